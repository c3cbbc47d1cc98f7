/* me.c - GET /v1/me: the calling affiliate. The other /v1/me routes reuse the
 * resource handlers, which restrict every query to the caller (links.c, ledger.c,
 * reports.c). */
#include "api/api.h"

static int run_me(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_affiliate_row r;
    int rc = aff_store_affiliate_get(ctx->st, j->affiliate_id, &r);
    if (rc == 0)
        j->out = aff_render_affiliate(&r);
    return rc;
}

void aff_api_me(aff_http *h)
{
    aff_api_job *j = aff_api_job_new(h, run_me);
    if (j != NULL)
        aff_pending_submit(&j->base, 0);
}
