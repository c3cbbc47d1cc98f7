/* reports.c - GET /v1/reports and /v1/me/reports: parameters, the rollup query on a
 * reader thread, and JSON or CSV rendering of rows and totals (docs/api.md "Reports"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "track/report.h"

typedef struct report_job {
    aff_pending base;
    aff_report_query q;
    aff_report_dims dims;
    int64_t from_ms, to_ms;
    int csv;
    json_t *rows;
    aff_rollup_delta totals;
    char *csv_text;
    size_t csv_len, csv_cap;
} report_job;

static const char *const metric_names[] = {"clicks",        "unique_clicks",    "bot_clicks", "rejected_clicks",
                                           "conversions",   "revenue_minor",    "refunds_minor", "commission_minor",
                                           "cr",            "epc_minor",        "aov_minor"};
#define NMETRICS (sizeof(metric_names) / sizeof(metric_names[0]))

static void metric_values(const aff_rollup_delta *m, int64_t v[NMETRICS], int64_t *cr_micro)
{
    aff_report_metrics x;
    aff_report_compute(m, &x);
    int64_t vals[NMETRICS] = {m->clicks,        m->unique_clicks,    m->bot_clicks, m->rejected_clicks,
                              m->conversions,   m->revenue_minor,    m->refunds_minor, m->commission_minor,
                              x.cr_micro,       x.epc_minor,         x.aov_minor};
    memcpy(v, vals, sizeof(vals));
    *cr_micro = x.cr_micro;
}

static json_t *metrics_json(const aff_rollup_delta *m, json_t *o)
{
    int64_t v[NMETRICS], cr;
    metric_values(m, v, &cr);
    for (size_t i = 0; i < NMETRICS; i++)
        json_object_set_new(o, metric_names[i],
                            strcmp(metric_names[i], "cr") == 0 ? json_real((double)cr / 1e6) : json_integer(v[i]));
    return o;
}

static int csv_append(report_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int csv_append(report_job *j, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(j->csv_text + j->csv_len, j->csv_cap - j->csv_len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return AFF_EINVAL;
        if ((size_t)n < j->csv_cap - j->csv_len) {
            j->csv_len += (size_t)n;
            return 0;
        }
        size_t cap = j->csv_cap * 2 + (size_t)n + 256;
        char *bigger = realloc(j->csv_text, cap);
        if (bigger == NULL)
            return AFF_ENOMEM;
        j->csv_text = bigger;
        j->csv_cap = cap;
    }
}

static void dim_value(const aff_report_row *r, unsigned dim, char *buf, size_t cap)
{
    switch (dim) {
    case AFF_GROUP_DAY:
        aff_clock_format_day(r->day_ms, buf, cap);
        break;
    default: {
        /* 0 (no link: a coupon or customer conversion) is an empty cell, as JSON's null */
        int64_t id = dim == AFF_GROUP_PROGRAM ? r->program_id : dim == AFF_GROUP_AFFILIATE ? r->affiliate_id : r->link_id;
        if (id == 0)
            buf[0] = '\0';
        else
            snprintf(buf, cap, "%lld", (long long)id);
    }
    }
}

static int add_row(void *ud, const aff_report_row *r)
{
    report_job *j = ud;
    aff_report_add(&j->totals, &r->m);
    if (j->dims.n == 0)
        return 0;
    if (j->csv) {
        char v[32];
        for (int i = 0; i < j->dims.n; i++) {
            dim_value(r, j->dims.dim[i], v, sizeof(v));
            if (csv_append(j, "%s%s", i ? "," : "", v) != 0)
                return AFF_ENOMEM;
        }
        int64_t m[NMETRICS], cr;
        metric_values(&r->m, m, &cr);
        for (size_t i = 0; i < NMETRICS; i++) {
            int rc = strcmp(metric_names[i], "cr") == 0
                         ? csv_append(j, ",%lld.%06lld", (long long)(cr / 1000000), (long long)(cr % 1000000))
                         : csv_append(j, ",%lld", (long long)m[i]);
            if (rc != 0)
                return rc;
        }
        return csv_append(j, "\r\n");
    }
    json_t *o = json_object();
    for (int i = 0; i < j->dims.n; i++) {
        unsigned d = j->dims.dim[i];
        if (d == AFF_GROUP_DAY) {
            char day[16];
            aff_clock_format_day(r->day_ms, day, sizeof(day));
            json_object_set_new(o, "day", json_string(day));
        } else {
            int64_t id = d == AFF_GROUP_PROGRAM ? r->program_id : d == AFF_GROUP_AFFILIATE ? r->affiliate_id : r->link_id;
            json_object_set_new(o, aff_report_dim_column(d), id ? json_integer(id) : json_null());
        }
    }
    json_array_append_new(j->rows, metrics_json(&r->m, o));
    return 0;
}

static int run_report(aff_job *job, aff_ctx *ctx)
{
    report_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), report_job, base);
    if (j->csv) {
        for (int i = 0; i < j->dims.n; i++)
            if (csv_append(j, "%s%s", i ? "," : "", aff_report_dim_column(j->dims.dim[i])) != 0)
                return AFF_ENOMEM;
        for (size_t i = 0; i < NMETRICS; i++)
            if (csv_append(j, "%s%s", i || j->dims.n ? "," : "", metric_names[i]) != 0)
                return AFF_ENOMEM;
        if (csv_append(j, "\r\n") != 0)
            return AFF_ENOMEM;
    }
    j->rows = json_array();
    int rc = aff_store_report(ctx->st, &j->q, add_row, j);
    if (rc == 0 && j->csv && j->dims.n == 0) { /* totals only: one line */
        aff_report_row total = {.m = j->totals};
        j->dims.n = 0;
        int64_t m[NMETRICS], cr;
        metric_values(&total.m, m, &cr);
        for (size_t i = 0; i < NMETRICS && rc == 0; i++)
            rc = strcmp(metric_names[i], "cr") == 0
                     ? csv_append(j, "%s%lld.%06lld", i ? "," : "", (long long)(cr / 1000000), (long long)(cr % 1000000))
                     : csv_append(j, "%s%lld", i ? "," : "", (long long)m[i]);
        if (rc == 0)
            rc = csv_append(j, "\r\n");
    }
    return rc;
}

static void respond_report(aff_pending *p, h2o_req_t *req)
{
    report_job *j = AFF_CONTAINER_OF(p, report_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    if (j->csv) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                       H2O_STRLIT("attachment; filename=\"report.csv\""));
        aff_http_send(req, 200, "text/csv; charset=utf-8", j->csv_text ? j->csv_text : "", j->csv_len);
        return;
    }
    char from[16], to[16];
    aff_clock_format_day(j->from_ms, from, sizeof(from));
    aff_clock_format_day(j->to_ms, to, sizeof(to));
    json_t *group = json_array();
    for (int i = 0; i < j->dims.n; i++) {
        static const char *const names[] = {"day", "program", "", "affiliate", "", "", "", "link"};
        json_array_append_new(group, json_string(names[j->dims.dim[i] - 1]));
    }
    json_t *rows = j->rows;
    j->rows = NULL;
    aff_http_json(req, 200,
                  json_pack("{s:s, s:s, s:o, s:o, s:o}", "from", from, "to", to, "group_by", group, "rows", rows,
                            "totals", metrics_json(&j->totals, json_object())));
}

static void cleanup_report(aff_pending *p)
{
    report_job *j = AFF_CONTAINER_OF(p, report_job, base);
    json_decref(j->rows);
    free(j->csv_text);
}

static int query_id(h2o_req_t *req, const aff_params *ps, const char *name, int64_t *out)
{
    const aff_param *p = aff_params_get1(ps, name);
    if (p == NULL || p->value_len == 0)
        return 0;
    char *end;
    long long v = strtoll(p->value, &end, 10);
    if (*end != '\0' || v <= 0) {
        aff_http_errorf(req, AFF_EINVAL, name, "%s: expected a positive integer id", name);
        return AFF_EINVAL;
    }
    *out = v;
    return 0;
}

static int parse_day(h2o_req_t *req, const aff_params *ps, const char *name, int64_t dflt, int64_t *out)
{
    const aff_param *p = aff_params_get1(ps, name);
    if (p == NULL || p->value_len == 0) {
        *out = dflt;
        return 0;
    }
    if (aff_clock_parse_day(p->value, p->value_len, out) != 0) {
        aff_http_errorf(req, AFF_EINVAL, name, "%s: expected a date YYYY-MM-DD", name);
        return AFF_EINVAL;
    }
    return 0;
}

static void report(aff_http *h, int own)
{
    h2o_req_t *req = h->req;
    aff_params ps;
    if (aff_http_params(req, 0, &ps) != 0) {
        aff_http_errorf(req, AFF_EINVAL, NULL, "malformed query string");
        return;
    }
    report_job *j = aff_pending_new(h, sizeof(*j), run_report, respond_report);
    if (j == NULL) {
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->base.cleanup = cleanup_report;
    int64_t today = aff_clock_now_ms() / AFF_MS_PER_DAY * AFF_MS_PER_DAY;
    aff_errinfo err = {0};
    const aff_param *g = aff_params_get1(&ps, "group_by");
    const aff_param *fmt = aff_params_get1(&ps, "format");
    if (parse_day(req, &ps, "from", today - 29 * AFF_MS_PER_DAY, &j->from_ms) ||
        parse_day(req, &ps, "to", today, &j->to_ms) || query_id(req, &ps, "program_id", &j->q.program_id) ||
        query_id(req, &ps, "affiliate_id", &j->q.affiliate_id) || query_id(req, &ps, "link_id", &j->q.link_id))
        goto discard;
    if (j->from_ms > j->to_ms) {
        aff_http_errorf(req, AFF_EINVAL, "from", "from must not be after to");
        goto discard;
    }
    if ((j->to_ms - j->from_ms) / AFF_MS_PER_DAY >= 3660) {
        aff_http_errorf(req, AFF_EINVAL, "to", "a report covers at most 3660 days");
        goto discard;
    }
    if (g != NULL && aff_report_parse_group(g->value, g->value_len, &j->dims, &err) != 0) {
        aff_http_error(req, AFF_EINVAL, &err);
        goto discard;
    }
    if (fmt != NULL && strcmp(fmt->value, "csv") != 0 && strcmp(fmt->value, "json") != 0) {
        aff_http_errorf(req, AFF_EINVAL, "format", "format: json or csv");
        goto discard;
    }
    j->csv = fmt != NULL && strcmp(fmt->value, "csv") == 0;
    if (own) {
        const aff_snap_link *l = j->q.link_id ? aff_snap_link_by_id(h->snap, j->q.link_id) : NULL;
        if ((j->q.affiliate_id != 0 && j->q.affiliate_id != h->affiliate_id) ||
            (j->q.link_id != 0 && (l == NULL || l->affiliate_id != h->affiliate_id))) {
            aff_http_errorf(req, AFF_ENOTFOUND, NULL, "no such affiliate");
            goto discard;
        }
        j->q.affiliate_id = h->affiliate_id;
    }
    for (int i = 0; i < j->dims.n; i++)
        j->q.group_mask |= j->dims.dim[i];
    j->q.from_hour = j->from_ms / AFF_MS_PER_HOUR;
    j->q.to_hour = (j->to_ms + AFF_MS_PER_DAY) / AFF_MS_PER_HOUR - 1;
    aff_pending_submit(&j->base, 0);
    return;
discard:
    aff_pending_discard(&j->base);
}

void aff_api_reports(aff_http *h)
{
    report(h, 0);
}

void aff_api_me_reports(aff_http *h)
{
    report(h, 1);
}
