/* commissions.c - approving and rejecting conversions and commission lines (singly or
 * in bulk), and balances (admin: any affiliate; /v1/me/balance: the caller). The
 * rules are track/ledger.h's; this file only parses requests and renders answers. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "track/ledger.h"

#define BULK_MAX 500

static int read_reason(json_t *in, char reason[AFF_REASON_MAX + 1], aff_errinfo *err)
{
    reason[0] = '\0';
    return aff_field_str(in, "reason", 0, 1, AFF_REASON_MAX, reason, AFF_REASON_MAX + 1, NULL, err);
}

/* The conversion with its lines, as answered by GET /v1/conversions/{id}. */
static int answer_conversion(aff_api_job *j, aff_ctx *ctx, int64_t id)
{
    aff_conversion_result *r = malloc(sizeof(*r));
    int rc = r ? aff_conversion_load(ctx->st, id, r) : AFF_ENOMEM;
    if (rc == 0)
        j->out = aff_render_conversion_result(r);
    free(r);
    return rc;
}

static int run_approve(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {NULL};
    aff_api_job *j = AFF_API_JOB(job);
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_ledger_approve_conversion(ctx, j->id, aff_clock_now_ms(), &job->err);
    return rc != 0 ? rc : answer_conversion(j, ctx, j->id);
}

static int run_reject(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"reason", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    char reason[AFF_REASON_MAX + 1];
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = read_reason(j->in, reason, &job->err);
    if (rc == 0)
        rc = aff_ledger_reject_conversion(ctx, j->id, reason, aff_clock_now_ms(), &job->err);
    return rc != 0 ? rc : answer_conversion(j, ctx, j->id);
}

/* {"ids": [1, 2, ...]}: 1..BULK_MAX positive integers, into a fresh array. */
static int read_ids(json_t *in, int64_t **ids, size_t *n, aff_errinfo *err)
{
    json_t *arr = json_object_get(in, "ids");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > BULK_MAX)
        return aff_fail(err, AFF_EINVAL, "ids", "ids: an array of 1 to %d ids", BULK_MAX);
    *n = json_array_size(arr);
    if ((*ids = malloc(*n * sizeof(**ids))) == NULL)
        return AFF_ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            free(*ids);
            *ids = NULL; /* the caller frees *ids whatever happened */
            return aff_fail(err, AFF_EINVAL, "ids", "ids[%zu]: a positive integer id", i);
        }
        (*ids)[i] = json_integer_value(v);
    }
    return 0;
}

/* A bulk answer: {"results": [{"id": 1, "ok": true} | {"id": 2, "ok": false, "error": {...}}]}.
 * Each id succeeds or fails on its own: a failing one is undone alone (savepoint). */
static int run_each(aff_job *job, aff_ctx *ctx, int64_t *ids, size_t n,
                    int (*one)(aff_ctx *, int64_t, const char *, aff_errinfo *), const char *reason)
{
    json_t *results = json_array();
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        aff_errinfo e = {0};
        if ((rc = aff_store_savepoint(ctx->st)) != 0)
            break;
        int one_rc = one(ctx, ids[i], reason, &e);
        if (one_rc == 0) {
            rc = aff_store_release(ctx->st);
            json_array_append_new(results, json_pack("{s:I,s:b}", "id", (json_int_t)ids[i], "ok", 1));
            continue;
        }
        if ((rc = aff_store_rollback_to(ctx->st)) == 0)
            rc = aff_store_release(ctx->st);
        if (one_rc == AFF_ESTORE || one_rc == AFF_ENOMEM) {
            rc = one_rc;
            break;
        }
        json_array_append_new(results,
                              json_pack("{s:I,s:b,s:{s:s,s:s}}", "id", (json_int_t)ids[i], "ok", 0, "error", "code",
                                        aff_errcode(one_rc), "message", e.msg[0] ? e.msg : aff_strerror(one_rc)));
    }
    if (rc != 0) {
        json_decref(results);
        return rc;
    }
    AFF_API_JOB(job)->out = json_pack("{s:o}", "results", results);
    return 0;
}

static int approve_one(aff_ctx *ctx, int64_t id, const char *reason, aff_errinfo *err)
{
    (void)reason;
    return aff_ledger_approve_conversion(ctx, id, aff_clock_now_ms(), err);
}

static int reject_one(aff_ctx *ctx, int64_t id, const char *reason, aff_errinfo *err)
{
    return aff_ledger_reject_conversion(ctx, id, reason, aff_clock_now_ms(), err);
}

static int approve_line(aff_ctx *ctx, int64_t id, const char *reason, aff_errinfo *err)
{
    (void)reason;
    return aff_ledger_approve_line(ctx->st, id, aff_clock_now_ms(), err);
}

static int run_bulk(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"action", "ids", "reason", NULL};
    static const char *const actions[] = {"approve", "reject", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    char action[16], reason[AFF_REASON_MAX + 1];
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_field_enum(j->in, "action", actions, action, sizeof(action), NULL, &job->err);
    if (rc == 0 && json_object_get(j->in, "action") == NULL)
        rc = aff_fail(&job->err, AFF_EINVAL, "action", "action: approve or reject");
    if (rc == 0)
        rc = read_reason(j->in, reason, &job->err);
    if (rc == 0)
        rc = read_ids(j->in, &ids, &n, &job->err);
    if (rc == 0)
        rc = run_each(job, ctx, ids, n, strcmp(action, "approve") == 0 ? approve_one : reject_one, reason);
    free(ids);
    return rc;
}

static int run_lines_approve(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"ids", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = read_ids(j->in, &ids, &n, &job->err);
    if (rc == 0)
        rc = run_each(job, ctx, ids, n, approve_line, "");
    free(ids);
    return rc;
}

/* ---- balances ------------------------------------------------------------------------ */

static json_t *render_balance(const aff_balance_row *b)
{
    return json_pack("{s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:I}", "program_id", (json_int_t)b->program_id, "affiliate_id",
                     (json_int_t)b->affiliate_id, "currency", b->currency, "pending_minor", (json_int_t)b->pending,
                     "approved_minor", (json_int_t)b->approved, "payable_minor", (json_int_t)b->payable,
                     "in_payout_minor", (json_int_t)b->in_payout, "paid_minor", (json_int_t)b->paid);
}

#define render_balance_u(r, u) render_balance(r)
/* One row per (program, affiliate); an affiliate's own only (AFF_API_LISTER). */
AFF_API_LISTER(run_balances, aff_balance_row, aff_store_balance_list, render_balance_u)

AFF_API_LISTER(run_review, aff_conversion_row, aff_store_conversion_list_screened, aff_render_conversion_u)
AFF_API_LISTER(run_me_conversions, aff_conversion_row, aff_store_conversion_list, aff_render_conversion_for_affiliate_u)

static const aff_api_list_spec review_spec = {"review",
                                              AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(AMOUNT) | AFF_SORT_BIT(STATUS) |
                                                  AFF_SORT_BIT(ORDER_ID) | AFF_SORT_BIT(PROGRAM) |
                                                  AFF_SORT_BIT(AFFILIATE),
                                              1,
                                              1,
                                              0,
                                              0,
                                              aff_api_statuses_conversion};
static const aff_api_list_spec me_conversions_spec = {"conversions",
                                                      AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(AMOUNT) |
                                                          AFF_SORT_BIT(STATUS) | AFF_SORT_BIT(ORDER_ID) |
                                                          AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE),
                                                      1,
                                                      1,
                                                      0,
                                                      0,
                                                      aff_api_statuses_conversion};
static const aff_api_list_spec balances_spec = {
    "balances",
    AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE) | AFF_SORT_BIT(PENDING) | AFF_SORT_BIT(APPROVED) |
        AFF_SORT_BIT(PAYABLE) | AFF_SORT_BIT(IN_PAYOUT) | AFF_SORT_BIT(PAID),
    0,
    0,
    0,
    0};

void aff_api_review(aff_http *h)
{
    aff_api_submit_list(h, run_review, &review_spec);
}
void aff_api_me_conversions(aff_http *h)
{
    aff_api_submit_list(h, run_me_conversions, &me_conversions_spec);
}
void aff_api_conversions_approve(aff_http *h)
{
    aff_api_submit_action(h, run_approve, 1);
}
void aff_api_conversions_reject(aff_http *h)
{
    aff_api_submit_action(h, run_reject, 1);
}
void aff_api_conversions_bulk(aff_http *h)
{
    aff_api_submit_body(h, run_bulk, 0);
}
void aff_api_commissions_approve(aff_http *h)
{
    aff_api_submit_body(h, run_lines_approve, 0);
}
void aff_api_balances(aff_http *h)
{
    aff_api_submit_list(h, run_balances, &balances_spec);
}
void aff_api_me_balance(aff_http *h)
{
    aff_api_submit_list(h, run_balances, &balances_spec);
}
