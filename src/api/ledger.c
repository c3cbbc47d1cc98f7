/* ledger.c - read-only listings of clicks, commission lines and payouts, for admins and
 * (restricted to the caller) for affiliates under /v1/me. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

AFF_API_LISTER(run_clicks, aff_click_row, aff_store_click_list, aff_render_click_u)

static int run_click_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_click_row *r = malloc(sizeof(*r));
    int rc = r ? aff_store_click_get(ctx->st, j->key, r) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such click");
    if (rc == 0)
        j->out = aff_render_click(r);
    free(r);
    return rc;
}

void aff_api_clicks_list(aff_http *h)
{
    /* ts either way; the other columns within AFF_CLICK_SORT_SCAN_MAX clicks (store.h) */
    static const aff_api_list_spec spec = {
        "clicks",
        AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE) | AFF_SORT_BIT(LINK) | AFF_SORT_BIT(IP) | AFF_SORT_BIT(SUB1),
        1,
        0,
        1,
        0};
    aff_api_submit_list(h, run_clicks, &spec);
}

void aff_api_clicks_get(aff_http *h)
{
    char canon[AFF_CLICK_ID_LEN + 1];
    if (aff_click_id_check(aff_server.key, h->path_args[0].base, h->path_args[0].len, NULL, canon) != 0) {
        aff_http_errorf(h->req, AFF_ENOTFOUND, NULL, "no such click");
        return;
    }
    aff_api_job *j = aff_api_job_new(h, run_click_get);
    if (j == NULL)
        return;
    memcpy(j->key, canon, sizeof(canon));
    aff_pending_submit(&j->base, 0);
}

AFF_API_LISTER(run_commissions, aff_ledger_row, aff_store_ledger_list, aff_render_ledger_u)
AFF_API_LISTER(run_payouts, aff_payout_row, aff_store_payout_list, aff_render_payout_u)

static const aff_api_list_spec commissions_spec = {"commissions",
                                                   AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(UPDATED) |
                                                       AFF_SORT_BIT(AMOUNT) | AFF_SORT_BIT(STATUS) |
                                                       AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE),
                                                   1,
                                                   0,
                                                   0,
                                                   0,
                                                   aff_api_statuses_ledger};
static const aff_api_list_spec payouts_spec = {"payouts",
                                               AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(UPDATED) | AFF_SORT_BIT(AMOUNT) |
                                                   AFF_SORT_BIT(STATUS) | AFF_SORT_BIT(PROGRAM) |
                                                   AFF_SORT_BIT(AFFILIATE),
                                               1,
                                               0,
                                               0,
                                               0,
                                               aff_api_statuses_payout};

void aff_api_commissions_list(aff_http *h)
{
    aff_api_submit_list(h, run_commissions, &commissions_spec);
}
void aff_api_payouts_list(aff_http *h)
{
    aff_api_submit_list(h, run_payouts, &payouts_spec);
}
void aff_api_me_commissions(aff_http *h)
{
    aff_api_submit_list(h, run_commissions, &commissions_spec);
}
void aff_api_me_payouts(aff_http *h)
{
    aff_api_submit_list(h, run_payouts, &payouts_spec);
}
