/* payouts.c - payout runs (POST /v1/payouts/run), marking payouts paid or failed,
 * payout runs and their mass-payment exports (CSV, PayPal, JSON). The rules are
 * track/payout.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "track/payout.h"

static json_t *render_run(const aff_payout_run_row *r)
{
    char ts[40];
    aff_clock_format_iso(r->created_ms, ts, sizeof(ts));
    return json_pack("{s:I,s:o,s:s,s:I,s:s}", "id", (json_int_t)r->id, "program_id",
                     r->program_id ? json_integer(r->program_id) : json_null(), "cause", r->cause, "payouts",
                     (json_int_t)r->payouts, "created_at", ts);
}

static int add_payout(void *ud, const aff_payout_row *p)
{
    json_array_append_new(ud, aff_render_payout(p));
    return 0;
}

static int run_payout_run(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"program_id", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    int64_t program_id = 0;
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 0, 1, INT64_MAX, &program_id, NULL, &job->err);
    aff_program_row *p = rc == 0 && program_id != 0 ? malloc(sizeof(*p)) : NULL;
    if (p != NULL && aff_store_program_get(ctx->st, program_id, p) == AFF_ENOTFOUND)
        rc = aff_fail(&job->err, AFF_EINVAL, "program_id", "no program %lld", (long long)program_id);
    free(p);
    aff_payout_run_result res;
    if (rc == 0)
        rc = aff_payout_run(ctx->st, program_id, "api", aff_clock_now_ms(), &res, &job->err);
    if (rc != 0)
        return rc;
    json_t *payouts = json_array();
    aff_list_query q = {.run_id = res.run.id};
    if ((rc = aff_store_payout_list(ctx->st, &q, add_payout, payouts)) != 0) {
        json_decref(payouts);
        return rc;
    }
    j->out = json_pack("{s:o,s:o,s:I}", "run", render_run(&res.run), "payouts", payouts, "released_lines",
                       (json_int_t)res.released);
    j->status = 201;
    return 0;
}

static int run_mark(aff_job *job, aff_ctx *ctx, int paid)
{
    static const char *const fields[] = {"reference", "reason", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    char text[AFF_REASON_MAX + 1] = "";
    const char *name = paid ? "reference" : "reason";
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0 && json_object_get(j->in, paid ? "reason" : "reference") != NULL)
        rc = aff_fail(&job->err, AFF_EINVAL, paid ? "reason" : "reference", "%s is not a field of this action",
                      paid ? "reason" : "reference");
    if (rc == 0)
        rc = aff_field_str(j->in, name, 0, 1, AFF_REASON_MAX, text, sizeof(text), NULL, &job->err);
    aff_payout_row p;
    if (rc == 0)
        rc = paid ? aff_payout_mark_paid(ctx->st, j->id, text, aff_clock_now_ms(), &p, &job->err)
                  : aff_payout_mark_failed(ctx->st, j->id, text, aff_clock_now_ms(), &p, &job->err);
    if (rc == 0)
        j->out = aff_render_payout(&p);
    return rc;
}

static int run_paid(aff_job *job, aff_ctx *ctx)
{
    return run_mark(job, ctx, 1);
}
static int run_failed(aff_job *job, aff_ctx *ctx)
{
    return run_mark(job, ctx, 0);
}

static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_payout_row p;
    int rc = aff_store_payout_get(ctx->st, j->id, &p);
    if (rc == 0 && j->role == AFF_ROLE_AFFILIATE && p.affiliate_id != j->affiliate_id)
        rc = AFF_ENOTFOUND;
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, rc, NULL, "no such payout");
    if (rc == 0)
        j->out = aff_render_payout(&p);
    return rc;
}

#define render_run_u(r, u) render_run(r)
AFF_API_LISTER(run_runs, aff_payout_run_row, aff_store_payout_run_list, render_run_u)

/* ---- export: a text answer, not JSON ---- */

typedef struct export_job {
    aff_pending base;
    int64_t run_id;
    int format;
    char *text;
    size_t len;
} export_job;

static int run_export(aff_job *job, aff_ctx *ctx)
{
    export_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), export_job, base);
    free(j->text);
    j->text = NULL;
    int rc = aff_payout_export(ctx->st, j->run_id, j->format, &j->text, &j->len);
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such payout run");
    return rc;
}

static void respond_export(aff_pending *p, h2o_req_t *req)
{
    export_job *j = AFF_CONTAINER_OF(p, export_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    static const char *const types[] = {"text/csv; charset=utf-8", "text/csv; charset=utf-8", "application/json"};
    static const char *const exts[] = {"csv", "paypal.csv", "json"};
    char *disp = h2o_mem_alloc_pool(&req->pool, 96);
    int n = snprintf(disp, 96, "attachment; filename=\"payout-run-%lld.%s\"", (long long)j->run_id, exts[j->format]);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL, disp, (size_t)n);
    aff_http_send(req, 200, types[j->format], j->text, j->len);
}

static void cleanup_export(aff_pending *p)
{
    export_job *j = AFF_CONTAINER_OF(p, export_job, base);
    free(j->text);
    j->text = NULL;
}

void aff_api_payout_runs_export(aff_http *h)
{
    static const char *const formats[] = {"csv", "paypal", "json"};
    int64_t id;
    if (aff_api_path_id(h, 0, &id) != 0)
        return;
    aff_params ps;
    if (aff_api_params(h, 0, &ps) != 0)
        return;
    const aff_param *f = aff_params_get1(&ps, "format");
    int format = AFF_EXPORT_CSV;
    if (f != NULL) {
        format = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(f->value, formats[i]) == 0)
                format = i;
        if (format < 0) {
            aff_http_errorf(h->req, AFF_EINVAL, "format", "format: csv, paypal or json");
            return;
        }
    }
    export_job *j = aff_pending_new(h, sizeof(*j), run_export, respond_export);
    if (j == NULL) {
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    j->base.cleanup = cleanup_export;
    j->run_id = id;
    j->format = format;
    j->text = NULL;
    aff_pending_submit(&j->base, 0);
}

void aff_api_payouts_run(aff_http *h)
{
    aff_api_submit_action(h, run_payout_run, 0);
}
void aff_api_payouts_paid(aff_http *h)
{
    aff_api_submit_action(h, run_paid, 1);
}
void aff_api_payouts_failed(aff_http *h)
{
    aff_api_submit_action(h, run_failed, 1);
}
void aff_api_payouts_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}
void aff_api_me_payouts_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}
static const aff_api_list_spec runs_spec = {"payout-runs", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(PROGRAM), 1, 0, 0};
void aff_api_payout_runs_list(aff_http *h)
{
    aff_api_submit_list(h, run_runs, &runs_spec);
}
