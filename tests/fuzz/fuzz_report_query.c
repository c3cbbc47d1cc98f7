/*
 * fuzz_report_query.c - the query parameters of GET /v1/reports and /v1/me/reports
 * (docs/api.md "Reports"): aff_http_params (net/http.h) splits the query, then
 * aff_api_report_query (api/api.h) reads from, to, program_id, affiliate_id, link_id,
 * group_by (aff_report_parse_group, fuzzed by report_group), format, sort
 * (aff_report_parse_sort) and limit. The input is "RQUERY": R '1' for an affiliate's own
 * report (anything else: the admin's), QUERY the query string; today is 2024-06-15.
 *
 * Checks, against a reference that reads each parameter from docs/api.md (the first of
 * a name counts, an empty value is absent):
 *   - the answer is 0 exactly when no parameter is bad, else AFF_EINVAL naming one of
 *     the bad parameters, with a message; a number written with leading zeros may go
 *     either way;
 *   - accepted values are the reference's and within their bounds: from and to UTC
 *     days (default the 30 days ending today), from <= to, at most 3660 days; positive
 *     ids; the dimensions of group_by and their mask, sub1 never with a link_id;
 *     format json or csv; sort one of the ten counters (overrides_minor not in an own
 *     report) at that counter's offset; limit 1..10000; the hours from the first hour
 *     of from to the last hour of to;
 *   - the same input parsed again gives the same parameters.
 */
#include "fuzz_query.h"

#include <stddef.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/err.h"
#include "track/report.h"

#define FUZZ_REPORT_MAX 4096
#define TODAY_MS 1718409600000LL /* 2024-06-15 */

static const struct {
    const char *name;
    size_t offset;
    int admin_only;
} counters[] = {
    {"clicks", offsetof(aff_rollup_delta, clicks), 0},
    {"unique_clicks", offsetof(aff_rollup_delta, unique_clicks), 0},
    {"bot_clicks", offsetof(aff_rollup_delta, bot_clicks), 0},
    {"rejected_clicks", offsetof(aff_rollup_delta, rejected_clicks), 0},
    {"conversions", offsetof(aff_rollup_delta, conversions), 0},
    {"revenue_minor", offsetof(aff_rollup_delta, revenue_minor), 0},
    {"refunds_minor", offsetof(aff_rollup_delta, refunds_minor), 0},
    {"commission_minor", offsetof(aff_rollup_delta, commission_minor), 0},
    {"overrides_minor", offsetof(aff_rollup_delta, overrides_minor), 1},
    {"override_income_minor", offsetof(aff_rollup_delta, override_income_minor), 0},
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

typedef struct ref {
    fuzz_verdicts v;
    aff_api_report_params want;
} ref;

static void ref_parse(const aff_params *ps, int own, ref *r)
{
    memset(r, 0, sizeof(*r));
    aff_api_report_params *w = &r->want;
    const aff_param *p;
    int days_ok = 1;
    static const char *const day_names[2] = {"from", "to"};
    int64_t *days[2] = {&w->from_ms, &w->to_ms};
    const int64_t dflt[2] = {TODAY_MS - 29 * AFF_MS_PER_DAY, TODAY_MS};
    for (int i = 0; i < 2; i++) {
        *days[i] = dflt[i];
        if ((p = fuzz_param_get(ps, day_names[i], 0)) != NULL &&
            aff_clock_parse_day(p->value, p->value_len, days[i]) != 0) {
            fuzz_verdict(&r->v, day_names[i], BAD);
            days_ok = 0;
        }
    }
    if (days_ok && w->from_ms > w->to_ms) {
        fuzz_verdict(&r->v, "from", BAD);
        fuzz_verdict(&r->v, "to", BAD);
    } else if (days_ok && w->to_ms - w->from_ms > 3659 * AFF_MS_PER_DAY) {
        fuzz_verdict(&r->v, "from", BAD);
        fuzz_verdict(&r->v, "to", BAD);
    }
    static const char *const id_names[3] = {"program_id", "affiliate_id", "link_id"};
    int64_t *ids[3] = {&w->q.program_id, &w->q.affiliate_id, &w->q.link_id};
    for (int i = 0; i < 3; i++)
        if ((p = fuzz_param_get(ps, id_names[i], 0)) != NULL)
            fuzz_verdict(&r->v, id_names[i], fuzz_ref_pos(p->value, p->value_len, INT64_MAX, ids[i]));
    for (int i = 0; i < ps->n; i++) /* group_by: its own parser, fuzzed by report_group */
        if (strcmp(ps->p[i].name, "group_by") == 0) {
            aff_errinfo e;
            if (aff_report_parse_group(ps->p[i].value, ps->p[i].value_len, &w->dims, &e) != 0)
                fuzz_verdict(&r->v, "group_by", BAD);
            break;
        }
    for (int i = 0; i < w->dims.n; i++)
        w->q.group_mask |= w->dims.dim[i];
    if ((w->q.group_mask & AFF_GROUP_SUB1) && w->q.link_id != 0) {
        fuzz_verdict(&r->v, "link_id", BAD);
        fuzz_verdict(&r->v, "group_by", BAD);
    }
    if ((p = fuzz_param_get(ps, "format", 0)) != NULL) {
        if (strcmp(p->value, "json") != 0 && strcmp(p->value, "csv") != 0)
            fuzz_verdict(&r->v, "format", BAD);
        w->csv = strcmp(p->value, "csv") == 0;
    }
    if ((p = fuzz_param_get(ps, "sort", 0)) != NULL) {
        size_t k;
        for (k = 0; k < NCOUNTERS; k++)
            if (strcmp(p->value, counters[k].name) == 0 && !(own && counters[k].admin_only))
                break;
        if (k == NCOUNTERS) {
            fuzz_verdict(&r->v, "sort", BAD);
        } else {
            w->sorted = 1;
            w->sort_off = counters[k].offset;
        }
    }
    if ((p = fuzz_param_get(ps, "limit", 0)) != NULL) {
        int64_t v = 0;
        fuzz_verdict(&r->v, "limit", fuzz_ref_pos(p->value, p->value_len, AFF_REPORT_LIMIT_MAX, &v));
        w->limit = (size_t)v;
    }
    w->q.from_hour = w->from_ms / AFF_MS_PER_HOUR;
    w->q.to_hour = (w->to_ms + AFF_MS_PER_DAY) / AFF_MS_PER_HOUR - 1;
}

static int same(const aff_api_report_params *a, const aff_api_report_params *b)
{
    if (a->dims.n != b->dims.n)
        return 0;
    for (int i = 0; i < a->dims.n; i++)
        if (a->dims.dim[i] != b->dims.dim[i])
            return 0;
    return a->q.from_hour == b->q.from_hour && a->q.to_hour == b->q.to_hour && a->q.group_mask == b->q.group_mask &&
           a->q.program_id == b->q.program_id && a->q.affiliate_id == b->q.affiliate_id &&
           a->q.link_id == b->q.link_id && a->from_ms == b->from_ms && a->to_ms == b->to_ms && a->csv == b->csv &&
           a->sorted == b->sorted && a->sort_off == b->sort_off && a->limit == b->limit;
}

static void check_bounds(const aff_api_report_params *g, int own)
{
    FUZZ_CHECK(g->from_ms % AFF_MS_PER_DAY == 0 && g->to_ms % AFF_MS_PER_DAY == 0);
    FUZZ_CHECK(g->from_ms >= 0 && g->from_ms <= g->to_ms && g->to_ms - g->from_ms <= 3659 * AFF_MS_PER_DAY);
    FUZZ_CHECK(g->q.from_hour * AFF_MS_PER_HOUR == g->from_ms);
    FUZZ_CHECK((g->q.to_hour + 1) * AFF_MS_PER_HOUR == g->to_ms + AFF_MS_PER_DAY);
    FUZZ_CHECK(g->q.program_id >= 0 && g->q.affiliate_id >= 0 && g->q.link_id >= 0);
    FUZZ_CHECK(g->dims.n >= 0 && g->dims.n <= 5);
    FUZZ_CHECK(!((g->q.group_mask & AFF_GROUP_SUB1) && g->q.link_id != 0));
    FUZZ_CHECK(g->limit <= AFF_REPORT_LIMIT_MAX);
    if (g->sorted) {
        size_t k;
        for (k = 0; k < NCOUNTERS; k++)
            if (counters[k].offset == g->sort_off)
                break;
        FUZZ_CHECK(k < NCOUNTERS && !(own && counters[k].admin_only));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_REPORT_MAX)
        return 0;
    int own = data[0] == '1';
    fuzz_query fq;
    fuzz_query_init(&fq, data + 1, size - 1);
    aff_params ps;
    if (aff_http_params(&fq.req, 0, &ps) != 0)
        goto out; /* answered 422 naming the parameter (aff_api_params_error) before any report parameter is read */

    ref r;
    ref_parse(&ps, own, &r);
    aff_api_report_params got, again;
    aff_errinfo e1, e2;
    memset(&got, 0xa5, sizeof(got));
    memset(&e1, 0, sizeof(e1));
    memset(&e2, 0, sizeof(e2));
    int rc = aff_api_report_query(&ps, own, TODAY_MS, &got, &e1);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (r.v.nbad == 0)
        FUZZ_CHECK(rc == AFF_OK);
    if (rc == AFF_OK) {
        FUZZ_CHECK(r.v.nstrict == 0);
        check_bounds(&got, own);
        if (!r.v.either)
            FUZZ_CHECK(same(&got, &r.want));
    } else {
        fuzz_check_refusal(&r.v, &e1);
    }
    FUZZ_CHECK(aff_api_report_query(&ps, own, TODAY_MS, &again, &e2) == rc);
    FUZZ_CHECK(rc != AFF_OK || same(&got, &again));
    FUZZ_CHECK(rc == AFF_OK || (strcmp(e1.field, e2.field) == 0 && strcmp(e1.msg, e2.msg) == 0));
out:
    fuzz_query_free(&fq);
    return 0;
}
