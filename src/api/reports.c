/* reports.c - GET /v1/reports and /v1/me/reports: parameters, the rollup query on a
 * reader thread, and JSON or CSV rendering of rows and totals (docs/api.md "Reports").
 * Rows go out as the store reads them, up to `limit`; with `sort` (descending by a
 * counter) they are collected and sorted first. Totals are always over every row. An
 * affiliate's own report (/v1/me) shows each row in its own view (aff_report_own_view:
 * its commission without its parents' overrides) and has no `roi` and no
 * `overrides_minor` column: those are the brand's, not the affiliate's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "track/report.h"

typedef struct report_job {
    aff_pending base;
    aff_report_query q;
    aff_report_dims dims;
    int64_t from_ms, to_ms;
    int csv, own;
    int sorted; /* sort given: rows by the counter at sort_off, descending */
    size_t sort_off;
    size_t limit; /* 0: every row */
    aff_report_row *rows;
    size_t nrows, cap;
    aff_jw rows_w; /* JSON: the rows array, written as they come (no tree of json_t) */
    aff_rollup_delta totals;
    char *csv_text;
    size_t csv_len, csv_cap;
} report_job;

/* The metric columns in their order (JSON members and CSV columns alike) and which
 * report has each. New columns go last, so that CSV readers keep their positions. */
enum { V_INT, V_CR, V_ROI };                    /* how a value is written */
enum { IN_ADMIN = 1, IN_OWN = 2, IN_BOTH = 3 }; /* GET /v1/reports, /v1/me/reports */
static const struct {
    const char *name;
    int kind;
    unsigned in;
} metrics[] = {
    {"clicks", V_INT, IN_BOTH},
    {"unique_clicks", V_INT, IN_BOTH},
    {"bot_clicks", V_INT, IN_BOTH},
    {"rejected_clicks", V_INT, IN_BOTH},
    {"conversions", V_INT, IN_BOTH},
    {"revenue_minor", V_INT, IN_BOTH},
    {"refunds_minor", V_INT, IN_BOTH},
    {"commission_minor", V_INT, IN_BOTH},
    {"cr", V_CR, IN_BOTH},
    {"epc_minor", V_INT, IN_BOTH},
    {"aov_minor", V_INT, IN_BOTH},
    {"roi", V_ROI, IN_ADMIN},
    {"overrides_minor", V_INT, IN_ADMIN},
    {"override_income_minor", V_INT, IN_BOTH},
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

/* The metrics of one row in column order (cr in millionths, roi in 1/10,000ths). */
static void metric_values(const aff_rollup_delta *m, int64_t v[NMETRICS], aff_report_metrics *x)
{
    aff_report_compute(m, x);
    int64_t vals[NMETRICS] = {m->clicks,          m->unique_clicks,
                              m->bot_clicks,      m->rejected_clicks,
                              m->conversions,     m->revenue_minor,
                              m->refunds_minor,   m->commission_minor,
                              x->cr_micro,        x->epc_minor,
                              x->aov_minor,       x->roi_e4,
                              m->overrides_minor, m->override_income_minor};
    memcpy(v, vals, sizeof(vals));
}

static int shown(const report_job *j, size_t i)
{
    return (metrics[i].in & (j->own ? IN_OWN : IN_ADMIN)) != 0;
}

/* The metrics of one row as keys and values of the object being written. Reports are
 * written with the streaming writer: 3,000 rows as jansson objects were ~45,000
 * allocations, and malloc, not SQLite, was the largest cost of a 30-day report. */
static void metrics_jw(const report_job *j, const aff_rollup_delta *m, aff_jw *w)
{
    int64_t v[NMETRICS];
    aff_report_metrics x;
    metric_values(m, v, &x);
    for (size_t i = 0; i < NMETRICS; i++) {
        if (!shown(j, i))
            continue;
        aff_jw_key(w, metrics[i].name);
        if (metrics[i].kind == V_CR)
            aff_jw_real(w, (double)v[i] / 1e6, 10);
        else if (metrics[i].kind == V_ROI && x.has_roi)
            aff_jw_real(w, (double)v[i] / 1e4, 10);
        else if (metrics[i].kind == V_ROI)
            aff_jw_null(w);
        else
            aff_jw_int(w, v[i]);
    }
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

/* A decimal with `digits` fixed decimals of v / scale, the sign kept for -1 < x < 0. */
static int csv_fixed(report_job *j, const char *sep, int64_t v, int64_t scale, int digits)
{
    unsigned long long a = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    return csv_append(j, "%s%s%llu.%0*llu", sep, v < 0 ? "-" : "", a / (unsigned long long)scale, digits,
                      a % (unsigned long long)scale);
}

static int csv_metrics(report_job *j, const aff_rollup_delta *m, int first)
{
    int64_t v[NMETRICS];
    aff_report_metrics x;
    metric_values(m, v, &x);
    int rc = 0;
    for (size_t i = 0; i < NMETRICS && rc == 0; i++) {
        if (!shown(j, i))
            continue;
        const char *sep = i == 0 && first ? "" : ",";
        if (metrics[i].kind == V_CR)
            rc = csv_fixed(j, sep, v[i], 1000000, 6);
        else if (metrics[i].kind == V_ROI)
            rc = x.has_roi ? csv_fixed(j, sep, v[i], 10000, 4) : csv_append(j, "%s", sep);
        else
            rc = csv_append(j, "%s%lld", sep, (long long)v[i]);
    }
    return rc != 0 ? rc : csv_append(j, "\r\n");
}

/* A sub-ID as a CSV cell: it comes from click URLs, so a leading = + - @ (a spreadsheet
 * formula) is neutralised with a quote, and a cell with a comma, quote or line break is
 * quoted with its quotes doubled. */
static int csv_text_cell(report_job *j, const char *sep, const char *v)
{
    int formula = v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;
    int quote = strpbrk(v, ",\"\r\n") != NULL;
    int rc = csv_append(j, "%s%s%s", sep, quote ? "\"" : "", formula ? "'" : "");
    for (const char *p = v; rc == 0 && *p; p++)
        rc = *p == '"' ? csv_append(j, "\"\"") : csv_append(j, "%c", *p);
    return rc == 0 && quote ? csv_append(j, "\"") : rc;
}

static int64_t row_id(const aff_report_row *r, unsigned dim)
{
    return dim == AFF_GROUP_PROGRAM ? r->program_id : dim == AFF_GROUP_AFFILIATE ? r->affiliate_id : r->link_id;
}

static int csv_row(report_job *j, const aff_report_row *r)
{
    int rc = 0;
    for (int i = 0; i < j->dims.n && rc == 0; i++) {
        const char *sep = i ? "," : "";
        unsigned d = j->dims.dim[i];
        if (d == AFF_GROUP_DAY) {
            char day[16];
            aff_clock_format_day(r->day_ms, day, sizeof(day));
            rc = csv_append(j, "%s%s", sep, day);
        } else if (d == AFF_GROUP_SUB1) {
            rc = csv_text_cell(j, sep, r->sub1);
        } else if (row_id(r, d) == 0) { /* no link (a coupon or customer conversion): empty, as JSON's null */
            rc = csv_append(j, "%s", sep);
        } else {
            rc = csv_append(j, "%s%lld", sep, (long long)row_id(r, d));
        }
    }
    return rc != 0 ? rc : csv_metrics(j, &r->m, 0);
}

/* A sub-ID as a JSON string. It is whatever bytes the click URL carried: a byte that is
 * not part of valid UTF-8 becomes U+FFFD (jansson refuses invalid UTF-8). */
static json_t *json_text(const char *v)
{
    size_t n = strlen(v);
    json_t *s = json_stringn(v, n);
    if (s != NULL)
        return s;
    char out[(AFF_SUB_MAX + 1) * 3];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof(out);) {
        unsigned char c = (unsigned char)v[i];
        size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        json_t *one = i + len <= n ? json_stringn(v + i, len) : NULL;
        if (one != NULL) {
            memcpy(out + o, v + i, len);
            o += len;
            i += len;
            json_decref(one);
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    return json_stringn(out, o);
}

/* A sub-ID as a JSON string: ASCII as it is; anything else through json_text, which
 * replaces bytes that are not UTF-8. */
static void jw_text(aff_jw *w, const char *v)
{
    const unsigned char *c = (const unsigned char *)v;
    while (*c != 0 && *c < 0x80)
        c++;
    if (*c == 0) {
        aff_jw_string(w, v);
        return;
    }
    json_t *s = json_text(v);
    if (s == NULL)
        aff_jw_null(w);
    else
        aff_jw_string(w, json_string_value(s));
    json_decref(s);
}

static void jw_row(const report_job *j, const aff_report_row *r, aff_jw *w)
{
    aff_jw_begin_object(w);
    for (int i = 0; i < j->dims.n; i++) {
        unsigned d = j->dims.dim[i];
        if (d == AFF_GROUP_DAY) {
            char day[16];
            aff_clock_format_day(r->day_ms, day, sizeof(day));
            aff_jw_key(w, "day"), aff_jw_string(w, day);
        } else if (d == AFF_GROUP_SUB1) {
            aff_jw_key(w, "sub1"), jw_text(w, r->sub1);
        } else {
            aff_jw_key(w, aff_report_dim_column(d)), aff_jw_id(w, row_id(r, d));
        }
    }
    metrics_jw(j, &r->m, w);
    aff_jw_end_object(w);
}

/* One row out, as JSON or CSV. */
static int emit(report_job *j, const aff_report_row *r)
{
    if (j->csv)
        return csv_row(j, r);
    jw_row(j, r, &j->rows_w);
    return j->rows_w.err;
}

/* Unsorted rows go out as they come (up to limit); sorted ones are kept for the sort.
 * An affiliate's own report sees each row in its own view, totals and sorting too. */
static int add_row(void *ud, const aff_report_row *row)
{
    report_job *j = ud;
    aff_report_row own;
    const aff_report_row *r = row;
    if (j->own) {
        own = *row;
        aff_report_own_view(&own.m);
        r = &own;
    }
    aff_report_add(&j->totals, &r->m);
    if (j->dims.n == 0)
        return 0;
    if (!j->sorted) {
        j->nrows++;
        return j->limit == 0 || j->nrows <= j->limit ? emit(j, r) : 0;
    }
    if (j->nrows == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 64;
        aff_report_row *rows = realloc(j->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return AFF_ENOMEM;
        j->rows = rows;
        j->cap = cap;
    }
    j->rows[j->nrows++] = *r;
    return 0;
}

static _Thread_local size_t sort_off; /* for qsort's comparison, set just before it */

static int by_counter_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)((const char *)&((const aff_report_row *)a)->m + sort_off);
    int64_t y = *(const int64_t *)((const char *)&((const aff_report_row *)b)->m + sort_off);
    if (x != y)
        return x > y ? -1 : 1;
    /* ties keep the store's order (by the dimensions): compare positions */
    return a < b ? -1 : a > b;
}

static int run_report(aff_job *job, aff_ctx *ctx)
{
    report_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), report_job, base);
    int rc = 0;
    if (j->csv) {
        for (int i = 0; i < j->dims.n && rc == 0; i++)
            rc = csv_append(j, "%s%s", i ? "," : "", aff_report_dim_column(j->dims.dim[i]));
        for (size_t i = 0; i < NMETRICS && rc == 0; i++)
            if (shown(j, i))
                rc = csv_append(j, "%s%s", i || j->dims.n ? "," : "", metrics[i].name);
        if (rc == 0)
            rc = csv_append(j, "\r\n");
    } else {
        aff_jw_init(&j->rows_w);
        aff_jw_begin_array(&j->rows_w);
    }
    if (rc == 0)
        rc = aff_store_report(ctx->st, &j->q, add_row, j);
    if (rc == 0 && j->dims.n == 0 && j->csv)
        rc = csv_metrics(j, &j->totals, 1); /* CSV of totals only: one line */
    if (rc == 0 && j->dims.n > 0 && j->sorted) {
        if (j->nrows > 1) {
            sort_off = j->sort_off;
            qsort(j->rows, j->nrows, sizeof(*j->rows), by_counter_desc);
        }
        size_t shown = j->limit != 0 && j->limit < j->nrows ? j->limit : j->nrows;
        for (size_t i = 0; i < shown && rc == 0; i++)
            rc = emit(j, &j->rows[i]);
    }
    if (rc == 0 && !j->csv) {
        aff_jw_end_array(&j->rows_w);
        rc = aff_jw_finish(&j->rows_w);
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
    aff_jw w;
    aff_jw_init(&w);
    aff_jw_begin_object(&w);
    aff_jw_key(&w, "from"), aff_jw_string(&w, from);
    aff_jw_key(&w, "to"), aff_jw_string(&w, to);
    aff_jw_key(&w, "group_by");
    aff_jw_begin_array(&w);
    for (int i = 0; i < j->dims.n; i++) {
        const char *col = aff_report_dim_column(j->dims.dim[i]); /* "link_id" -> "link" */
        char name[32];
        size_t n = strlen(col);
        if (n > 3 && strcmp(col + n - 3, "_id") == 0)
            n -= 3;
        snprintf(name, sizeof(name), "%.*s", (int)n, col);
        aff_jw_string(&w, name);
    }
    aff_jw_end_array(&w);
    aff_jw_key(&w, "rows"), aff_jw_raw(&w, j->rows_w.buf != NULL ? j->rows_w.buf : "[]");
    aff_jw_key(&w, "rows_total"), aff_jw_int(&w, (int64_t)j->nrows);
    aff_jw_key(&w, "totals");
    aff_jw_begin_object(&w);
    metrics_jw(j, &j->totals, &w);
    aff_jw_end_object(&w);
    aff_jw_end_object(&w);
    if (aff_jw_finish(&w) == 0)
        aff_http_send(req, 200, "application/json", w.buf, w.len);
    else
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory writing the report");
    aff_jw_free(&w);
}

static void cleanup_report(aff_pending *p)
{
    report_job *j = AFF_CONTAINER_OF(p, report_job, base);
    aff_jw_free(&j->rows_w);
    free(j->rows);
    free(j->csv_text);
}

static int query_id(const aff_params *ps, const char *name, int64_t *out, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, name);
    if (p == NULL || p->value_len == 0)
        return 0;
    if (aff_api_parse_id(p->value, p->value_len, out) != 0)
        return aff_fail(err, AFF_EINVAL, name, "%s: expected a positive integer id", name);
    return 0;
}

static int parse_day(const aff_params *ps, const char *name, int64_t dflt, int64_t *out, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, name);
    if (p == NULL || p->value_len == 0) {
        *out = dflt;
        return 0;
    }
    if (aff_clock_parse_day(p->value, p->value_len, out) != 0)
        return aff_fail(err, AFF_EINVAL, name, "%s: expected a date YYYY-MM-DD", name);
    return 0;
}

int aff_api_report_query(const aff_params *ps, int own, int64_t today_ms, aff_api_report_params *out, aff_errinfo *err)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if ((rc = parse_day(ps, "from", today_ms - 29 * AFF_MS_PER_DAY, &out->from_ms, err)) != 0 ||
        (rc = parse_day(ps, "to", today_ms, &out->to_ms, err)) != 0 ||
        (rc = query_id(ps, "program_id", &out->q.program_id, err)) != 0 ||
        (rc = query_id(ps, "affiliate_id", &out->q.affiliate_id, err)) != 0 ||
        (rc = query_id(ps, "link_id", &out->q.link_id, err)) != 0)
        return rc;
    if (out->from_ms > out->to_ms)
        return aff_fail(err, AFF_EINVAL, "from", "from must not be after to");
    if ((out->to_ms - out->from_ms) / AFF_MS_PER_DAY >= 3660)
        return aff_fail(err, AFF_EINVAL, "to", "a report covers at most 3660 days");
    const aff_param *g = aff_params_get1(ps, "group_by");
    if (g != NULL && (rc = aff_report_parse_group(g->value, g->value_len, &out->dims, err)) != 0)
        return rc;
    const aff_param *fmt = aff_params_get1(ps, "format");
    if (fmt != NULL && fmt->value_len > 0 && strcmp(fmt->value, "csv") != 0 && strcmp(fmt->value, "json") != 0)
        return aff_fail(err, AFF_EINVAL, "format", "format: json or csv"); /* empty: absent, as in lists */
    out->csv = fmt != NULL && strcmp(fmt->value, "csv") == 0;
    const aff_param *sort = aff_params_get1(ps, "sort");
    if (sort != NULL && sort->value_len > 0) {
        if ((rc = aff_report_parse_sort(sort->value, own, &out->sort_off, err)) != 0)
            return rc;
        out->sorted = 1;
    }
    const aff_param *lim = aff_params_get1(ps, "limit");
    if (lim != NULL && lim->value_len > 0) {
        int64_t v;
        if (aff_api_parse_id(lim->value, lim->value_len, &v) != 0 || v > AFF_REPORT_LIMIT_MAX)
            return aff_fail(err, AFF_EINVAL, "limit", "limit: an integer from 1 to %d", AFF_REPORT_LIMIT_MAX);
        out->limit = (size_t)v;
    }
    for (int i = 0; i < out->dims.n; i++)
        out->q.group_mask |= out->dims.dim[i];
    if ((out->q.group_mask & AFF_GROUP_SUB1) && out->q.link_id != 0)
        return aff_fail(err, AFF_EINVAL, "link_id",
                        "link_id: sub-ID reports are per program and affiliate, not per link");
    out->q.from_hour = out->from_ms / AFF_MS_PER_HOUR;
    out->q.to_hour = (out->to_ms + AFF_MS_PER_DAY) / AFF_MS_PER_HOUR - 1;
    return 0;
}

static void report(aff_http *h, int own)
{
    h2o_req_t *req = h->req;
    aff_params ps;
    aff_errinfo err = {0};
    if (aff_api_params(h, 0, &ps) != 0)
        return;
    report_job *j = aff_pending_new(h, sizeof(*j), run_report, respond_report);
    if (j == NULL) {
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->base.cleanup = cleanup_report;
    int64_t today = aff_clock_now_ms() / AFF_MS_PER_DAY * AFF_MS_PER_DAY;
    aff_api_report_params rp;
    int rc = aff_api_report_query(&ps, own, today, &rp, &err);
    if (rc != 0) {
        aff_http_error(req, rc, &err);
        goto discard;
    }
    j->q = rp.q;
    j->dims = rp.dims;
    j->from_ms = rp.from_ms;
    j->to_ms = rp.to_ms;
    j->csv = rp.csv;
    j->sorted = rp.sorted;
    j->sort_off = rp.sort_off;
    j->limit = rp.limit;
    if (own) {
        const aff_snap_link *l = j->q.link_id ? aff_snap_link_by_id(h->snap, j->q.link_id) : NULL;
        if ((j->q.affiliate_id != 0 && j->q.affiliate_id != h->affiliate_id) ||
            (j->q.link_id != 0 && (l == NULL || l->affiliate_id != h->affiliate_id))) {
            aff_http_errorf(req, AFF_ENOTFOUND, NULL, "no such affiliate");
            goto discard;
        }
        j->q.affiliate_id = h->affiliate_id;
    }
    j->own = own;
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
