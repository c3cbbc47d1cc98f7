/* common.c - the generic JSON job, field validation and row rendering; see api.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/cursor.h"
#include "core/money.h"
#include "core/jsonw.h"
#include "core/str.h"
#include "track/fraud.h"

aff_api_counters aff_api_stats;

void aff_api_count_cap_hit(int code, int hard)
{
    int per_affiliate = code >= 81;
    int i = code - (per_affiliate ? 81 : 61);
    if (i >= 0 && i < 6)
        atomic_fetch_add(&aff_api_stats.cap_hits[per_affiliate][hard != 0][i], 1);
}

/* ---- generic job ----------------------------------------------------------------------- */

static void job_respond(aff_pending *p, h2o_req_t *req)
{
    aff_api_job *j = AFF_CONTAINER_OF(p, aff_api_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    if (j->csv) {
        char disp[128];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"", j->spec ? j->spec->csv_name : "list");
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                       h2o_strdup(&req->pool, disp, SIZE_MAX).base, strlen(disp));
        aff_http_send(req, 200, "text/csv; charset=utf-8", j->csv_text ? j->csv_text : "", j->csv_len);
        return;
    }
    json_t *out = j->out;
    j->out = NULL;
    aff_http_json(req, j->status, out ? out : json_object());
}

static void job_cleanup(aff_pending *p)
{
    aff_api_job *j = AFF_CONTAINER_OF(p, aff_api_job, base);
    json_decref(j->in);
    json_decref(j->out);
    aff_csv_free(j->csv_out);
    free(j->csv_text);
}

/* The writer may run a job twice (a batch replayed with savepoints, track/pool.c):
 * start every run from an empty answer. */
static int job_run(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    json_decref(j->out);
    j->out = NULL;
    aff_csv_free(j->csv_out);
    j->csv_out = NULL;
    j->status = 200;
    return j->run_inner(job, ctx);
}

aff_api_job *aff_api_job_new(aff_http *h, int (*run)(aff_job *, aff_ctx *))
{
    aff_api_job *j = aff_pending_new(h, sizeof(*j), job_run, job_respond);
    if (j == NULL) {
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->base.cleanup = job_cleanup;
    j->run_inner = run;
    j->status = 200;
    j->role = h->role;
    j->affiliate_id = h->affiliate_id;
    snprintf(j->public_url, sizeof(j->public_url), "%s", aff_server.public_url);
    return j;
}

int aff_api_parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return AFF_EINVAL;
    return aff_str_to_int64(s, len, 1, INT64_MAX, out) == 0 ? 0 : AFF_EINVAL;
}

int aff_api_path_id(aff_http *h, int i, int64_t *out)
{
    if (i >= h->nargs || aff_api_parse_id(h->path_args[i].base, h->path_args[i].len, out) != 0) {
        aff_http_errorf(h->req, AFF_ENOTFOUND, NULL, "no such object");
        return AFF_ENOTFOUND;
    }
    return 0;
}

const char *const aff_api_statuses_affiliate[] = {"pending", "approved", "suspended", "rejected", NULL};
const char *const aff_api_statuses_conversion[] = {"pending", "held", "approved", "rejected", "reversed", NULL};
const char *const aff_api_statuses_ledger[] = {"pending", "approved", "payable",  "in_payout",
                                               "paid",    "rejected", "reversed", NULL};
const char *const aff_api_statuses_payout[] = {"pending", "paid", "failed", NULL};

static int query_id(const aff_params *ps, const char *name, int64_t *out, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, name);
    if (p == NULL || p->value_len == 0)
        return 0;
    if (aff_api_parse_id(p->value, p->value_len, out) != 0)
        return aff_fail(err, AFF_EINVAL, name, "%s: expected a positive integer id", name);
    return 0;
}

/* Sort names of the API (docs/api.md "Lists"); a list accepts those its spec names.
 * Clicks call their id (their time) ts. */
static const struct {
    const char *name;
    int key;
} sort_names[] = {
    {"id", AFF_SORT_ID},
    {"created_at", AFF_SORT_CREATED},
    {"updated_at", AFF_SORT_UPDATED},
    {"name", AFF_SORT_NAME},
    {"email", AFF_SORT_EMAIL},
    {"code", AFF_SORT_CODE},
    {"title", AFF_SORT_TITLE},
    {"status", AFF_SORT_STATUS},
    {"amount", AFF_SORT_AMOUNT},
    {"order_id", AFF_SORT_ORDER_ID},
    {"program_id", AFF_SORT_PROGRAM},
    {"affiliate_id", AFF_SORT_AFFILIATE},
    {"link_id", AFF_SORT_LINK},
    {"ip", AFF_SORT_IP},
    {"sub1", AFF_SORT_SUB1},
    {"pending", AFF_SORT_PENDING},
    {"approved", AFF_SORT_APPROVED},
    {"payable", AFF_SORT_PAYABLE},
    {"in_payout", AFF_SORT_IN_PAYOUT},
    {"paid", AFF_SORT_PAID},
};

/* "sort: one of id, created_at, ..." for spec. */
static int sort_error(const aff_api_list_spec *spec, aff_errinfo *err)
{
    char names[320] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]) && n < sizeof(names); i++)
        if ((spec->sorts | 1u) & (1u << sort_names[i].key))
            n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
                                  spec->clicks && sort_names[i].key == AFF_SORT_ID ? "ts" : sort_names[i].name);
    return aff_fail(err, AFF_EINVAL, "sort", "sort: one of %s, with a leading - for descending", names);
}

static int parse_sort(const aff_params *ps, aff_api_job *j, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, "sort");
    if (p == NULL || p->value_len == 0) {
        j->q.desc = j->spec->newest_first;
        return 0;
    }
    const char *v = p->value;
    if (v[0] == '-') {
        j->q.desc = 1;
        v++;
    }
    unsigned sorts = j->spec->sorts | 1u;
    if (j->spec->clicks && strcmp(v, "ts") == 0)
        v = "id";
    for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
        if (strcmp(v, sort_names[i].name) == 0 && (sorts & (1u << sort_names[i].key))) {
            j->q.sort = sort_names[i].key;
            return 0;
        }
    return sort_error(j->spec, err);
}

/* A click id as a cursor's text id: AFF_CLICK_ID_LEN characters of base32. */
static int click_tid(const char *t)
{
    return strlen(t) == AFF_CLICK_ID_LEN && strspn(t, "0123456789abcdefghjkmnpqrstvwxyz") == AFF_CLICK_ID_LEN;
}

static int parse_cursor(const aff_params *ps, aff_api_job *j, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, "cursor");
    aff_cursor c;
    if (p == NULL || p->value_len == 0)
        return 0;
    int ok = aff_cursor_decode(p->value, p->value_len, &c) == 0 && c.key == j->q.sort && c.desc == j->q.desc;
    if (ok && j->spec->clicks && c.key == AFF_SORT_ID && c.tid[0] == '\0' && c.is_text) {
        memcpy(c.tid, c.sval, sizeof(c.tid) - 1); /* the first form of a click cursor: the id as the value */
        c.tid[sizeof(c.tid) - 1] = '\0';
        c.is_text = 0;
    }
    if (!ok || (j->spec->clicks ? !click_tid(c.tid) : c.tid[0] != '\0' || c.id <= 0))
        return aff_fail(err, AFF_EINVAL, "cursor", "cursor: a next_cursor of this list with the same sort");
    j->q.from = (aff_list_key){.set = 1, .id = c.id, .is_text = c.is_text, .ival = c.ival};
    memcpy(j->q.from.tid, c.tid, sizeof(c.tid));
    memcpy(j->q.from.sval, c.sval, sizeof(c.sval));
    return 0;
}

static int parse_created(const aff_params *ps, aff_api_job *j, aff_errinfo *err)
{
    static const char *const names[] = {"created_from", "created_to"};
    int64_t *out[] = {&j->q.created_from, &j->q.created_to};
    int given[2] = {0, 0}; /* 1970-01-01 is 0 ms, which the query reads as no bound */
    for (int i = 0; i < 2; i++) {
        const aff_param *p = aff_params_get1(ps, names[i]);
        if (p == NULL || p->value_len == 0)
            continue;
        if (!j->spec->time)
            return aff_fail(err, AFF_EINVAL, names[i], "%s: this list has no time filter", names[i]);
        if (aff_clock_parse_day(p->value, p->value_len, out[i]) != 0)
            return aff_fail(err, AFF_EINVAL, names[i], "%s: a date YYYY-MM-DD", names[i]);
        given[i] = 1;
    }
    if (given[1])
        j->q.created_to += AFF_MS_PER_DAY; /* the whole last day */
    if (given[0] && given[1] && j->q.created_from >= j->q.created_to)
        return aff_fail(err, AFF_EINVAL, "created_from", "created_from must not be after created_to");
    return 0;
}

static int parse_search(const aff_params *ps, aff_api_job *j, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, "q");
    if (p == NULL || p->value_len == 0)
        return 0;
    int bad = !j->spec->search || p->value_len > AFF_SEARCH_MAX;
    for (size_t i = 0; !bad && i < p->value_len; i++)
        bad = (unsigned char)p->value[i] < 0x20 || p->value[i] == 0x7f;
    if (bad)
        return aff_fail(err, AFF_EINVAL, "q", "%s",
                        j->spec->search ? "q: 1 to 128 bytes without control characters"
                                        : "q: this list has no search");
    memcpy(j->search, p->value, p->value_len);
    j->search[p->value_len] = '\0';
    j->q.search = j->search;
    return 0;
}

static int parse_format(const aff_params *ps, const char *accept, size_t accept_len, aff_api_job *j, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, "format");
    if (p != NULL && p->value_len > 0) {
        if (strcmp(p->value, "csv") != 0 && strcmp(p->value, "json") != 0)
            return aff_fail(err, AFF_EINVAL, "format", "format: json or csv");
        j->csv = strcmp(p->value, "csv") == 0;
        return 0;
    }
    j->csv = accept != NULL && accept_len >= 8 && strncmp(accept, "text/csv", 8) == 0;
    return 0;
}

/* One of the list's statuses (one value: a row has one status), else 422 listing them. */
static int parse_status(const aff_params *ps, aff_api_job *j, aff_errinfo *err)
{
    const aff_param *p = aff_params_get1(ps, "status");
    if (p == NULL || p->value_len == 0)
        return 0;
    const char *const *s = j->spec->statuses;
    if (s == NULL)
        return aff_fail(err, AFF_EINVAL, "status", "status: this list has no status filter");
    for (; *s != NULL; s++)
        if (strcmp(p->value, *s) == 0 && strlen(*s) < sizeof(j->status_filter)) {
            memcpy(j->status_filter, *s, strlen(*s) + 1);
            j->q.status = j->status_filter;
            return 0;
        }
    char names[160] = "";
    size_t n = 0;
    for (s = j->spec->statuses; *s != NULL && n < sizeof(names); s++)
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", *s);
    return aff_fail(err, AFF_EINVAL, "status", "status: one of %s", names);
}

/* The request's Accept header, or NULL. */
static const char *accept_header(h2o_req_t *req, size_t *len)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
    if (i < 0)
        return NULL;
    *len = req->headers.entries[i].value.len;
    return req->headers.entries[i].value.base;
}

/* What the list parsers read of a request: its query parameters (a malformed query
 * string is answered 422 here) and its Accept header. 0 or AFF_EINVAL. */
typedef struct list_request {
    aff_params ps;
    const char *accept;
    size_t accept_len;
} list_request;

int aff_api_params_error(const aff_params *ps, int rc, aff_errinfo *err)
{
    if (rc == AFF_ETOOBIG)
        return aff_fail(err, AFF_ETOOBIG, NULL, "more than %d parameters", AFF_MAX_PARAMS);
    if (ps->bad == NULL)
        return aff_fail(err, AFF_EINVAL, NULL, "a parameter has a malformed percent-escape or an encoded NUL");
    return aff_fail(err, AFF_EINVAL, ps->bad, "%.64s: malformed percent-escape or an encoded NUL", ps->bad);
}

int aff_api_params(aff_http *h, int form, aff_params *ps)
{
    int rc = aff_http_params(h->req, form, ps);
    if (rc != 0) {
        aff_errinfo err = {0};
        aff_http_error(h->req, aff_api_params_error(ps, rc, &err), &err);
    }
    return rc;
}

static int read_list_request(aff_http *h, list_request *r)
{
    if (aff_api_params(h, 0, &r->ps) != 0)
        return AFF_EINVAL;
    r->accept_len = 0;
    r->accept = accept_header(h->req, &r->accept_len);
    return 0;
}

/* rc of a parser; its error answered when not 0. */
static int answer_parse(aff_http *h, int rc, const aff_errinfo *err)
{
    if (rc != 0)
        aff_http_error(h->req, rc, err);
    return rc;
}

int aff_api_format_param(aff_http *h, aff_api_job *j)
{
    list_request r;
    aff_errinfo err = {0};
    if (read_list_request(h, &r) != 0)
        return AFF_EINVAL;
    return answer_parse(h, parse_format(&r.ps, r.accept, r.accept_len, j, &err), &err);
}

int aff_api_list_query(const aff_params *ps, const char *accept, size_t accept_len, int role, int64_t affiliate_id,
                       aff_api_job *j, aff_errinfo *err)
{
    static const aff_api_list_spec plain = {"list", 0, 0, 0, 0, 0};
    if (j->spec == NULL)
        j->spec = &plain;
    j->q.limit = 100;
    const aff_param *lim = aff_params_get1(ps, "limit");
    if (lim != NULL) {
        int64_t v;
        if (aff_api_parse_id(lim->value, lim->value_len, &v) != 0 || v > 500)
            return aff_fail(err, AFF_EINVAL, "limit", "limit: an integer from 1 to 500");
        j->q.limit = (int)v;
    }
    const aff_param *after = aff_params_get1(ps, "after");
    if (after != NULL && after->value_len > 0) {
        if (after->value_len <= AFF_CLICK_ID_LEN && aff_api_parse_id(after->value, after->value_len, &j->q.after) != 0)
            memcpy(j->q.after_click, after->value, after->value_len + 1);
        else if (after->value_len > AFF_CLICK_ID_LEN)
            return aff_fail(err, AFF_EINVAL, "after", "after: an id from the previous page");
    }
    int rc;
    if ((rc = parse_sort(ps, j, err)) != 0 || (rc = parse_cursor(ps, j, err)) != 0 ||
        (rc = parse_created(ps, j, err)) != 0 || (rc = parse_search(ps, j, err)) != 0 ||
        (rc = parse_format(ps, accept, accept_len, j, err)) != 0)
        return rc;
    const aff_param *sort = aff_params_get1(ps, "sort"); /* empty: the default order, as in parse_sort */
    if (j->spec->newest_first && j->q.after != 0 && !j->q.from.set && (sort == NULL || sort->value_len == 0)) {
        j->q.from = (aff_list_key){.set = 1, .id = j->q.after, .ival = j->q.after}; /* its default order's */
        j->q.after = 0;
    }
    if ((j->q.after != 0 || j->q.after_click[0] != '\0') && aff_list_sorted(&j->q))
        return aff_fail(err, AFF_EINVAL, "after", "after: only with the default order; use cursor");
    if ((rc = query_id(ps, "program_id", &j->q.program_id, err)) != 0 ||
        (rc = query_id(ps, "affiliate_id", &j->q.affiliate_id, err)) != 0 ||
        (rc = query_id(ps, "link_id", &j->q.link_id, err)) != 0 ||
        (rc = query_id(ps, "conversion_id", &j->q.conversion_id, err)) != 0 ||
        (rc = query_id(ps, "run_id", &j->q.run_id, err)) != 0 ||
        (rc = query_id(ps, "payout_id", &j->q.payout_id, err)) != 0)
        return rc;
    if (role == AFF_ROLE_AFFILIATE && j->q.affiliate_id != 0 && j->q.affiliate_id != affiliate_id)
        return aff_fail(err, AFF_ENOTFOUND, NULL, "no such affiliate");
    return parse_status(ps, j, err);
}

int aff_api_list_params(aff_http *h, aff_api_job *j)
{
    list_request r;
    aff_errinfo err = {0};
    if (read_list_request(h, &r) != 0)
        return AFF_EINVAL;
    return answer_parse(h, aff_api_list_query(&r.ps, r.accept, r.accept_len, h->role, h->affiliate_id, j, &err), &err);
}

void aff_api_list_finish(aff_api_job *j)
{
    if (j->csv) {
        j->csv_text = aff_csv_take(j->csv_out, &j->csv_len);
        aff_csv_free(j->csv_out);
        j->csv_out = NULL;
        return;
    }
    aff_cursor c = {.key = j->q.sort, .desc = j->q.desc};
    char text[AFF_CURSOR_MAX + 1];
    json_t *data = json_object_get(j->out, "data");
    json_t *lastrow = json_array_get(data, json_array_size(data) - 1);
    int more = json_is_true(json_object_get(j->out, "has_more"));
    if (more && j->last.set) {
        c.id = j->last.id;
        memcpy(c.tid, j->last.tid, sizeof(c.tid));
        c.is_text = j->last.is_text;
        c.ival = j->last.ival;
        memcpy(c.sval, j->last.sval, sizeof(c.sval));
    } else if (more && json_is_integer(json_object_get(lastrow, "id"))) {
        c.id = c.ival = json_integer_value(json_object_get(lastrow, "id"));
    } else if (more && json_is_string(json_object_get(lastrow, "click_id"))) {
        snprintf(c.tid, sizeof(c.tid), "%s", json_string_value(json_object_get(lastrow, "click_id")));
    } else {
        more = 0;
    }
    json_object_set_new(j->out, "next_cursor",
                        more && aff_cursor_encode(&c, text, sizeof(text)) == 0 ? json_string(text) : json_null());
}

int aff_api_list_fail(aff_job *job, int rc)
{
    aff_api_job *j = AFF_API_JOB(job);
    if (rc == AFF_ETOOBIG)
        aff_fail(&job->err, rc, NULL, "the export has more than %d rows or %u MiB: narrow the filters",
                 AFF_CSV_MAX_ROWS, AFF_CSV_MAX_BYTES >> 20);
    else if (rc == AFF_ERANGE) /* a click sort over too many clicks (store.h) */
        rc = aff_fail(&job->err, AFF_EINVAL, "sort",
                      "sort: sorting clicks by anything but ts reads every click of the chosen days, and these "
                      "days hold more than %d: choose fewer days (created_from, created_to) or sort by ts",
                      AFF_CLICK_SORT_SCAN_MAX);
    else if (rc == AFF_EINVAL && job->err.msg[0] == '\0' && j->q.from.set)
        aff_fail(&job->err, rc, "cursor", "cursor: a next_cursor of this list with the same sort");
    else if (rc == AFF_EINVAL && job->err.msg[0] == '\0' && j->q.after_click[0] != '\0')
        aff_fail(&job->err, rc, "after", "after: a click id from the previous page");
    else if (rc == AFF_EINVAL && job->err.msg[0] == '\0')
        aff_fail(&job->err, rc, "sort", "sort: not available with these filters");
    return rc;
}

void aff_api_submit_body(aff_http *h, int (*run)(aff_job *, aff_ctx *), int with_id)
{
    int64_t id = 0;
    if (with_id && aff_api_path_id(h, 0, &id) != 0)
        return;
    json_t *in = aff_http_json_body(h->req);
    if (in == NULL)
        return;
    aff_api_job *j = aff_api_job_new(h, run);
    if (j == NULL) {
        json_decref(in);
        return;
    }
    j->in = in;
    j->id = id;
    aff_pending_submit(&j->base, 1);
}

void aff_api_submit_action(aff_http *h, int (*run)(aff_job *, aff_ctx *), int with_id)
{
    if (h->req->entity.len > 0) {
        aff_api_submit_body(h, run, with_id);
        return;
    }
    int64_t id = 0;
    if (with_id && aff_api_path_id(h, 0, &id) != 0)
        return;
    aff_api_job *j = aff_api_job_new(h, run);
    if (j == NULL)
        return;
    j->in = json_object();
    j->id = id;
    aff_pending_submit(&j->base, 1);
}

void aff_api_submit_get(aff_http *h, int (*run)(aff_job *, aff_ctx *))
{
    int64_t id;
    if (aff_api_path_id(h, 0, &id) != 0)
        return;
    aff_api_job *j = aff_api_job_new(h, run);
    if (j == NULL)
        return;
    j->id = id;
    aff_pending_submit(&j->base, 0);
}

void aff_api_submit_list(aff_http *h, int (*run)(aff_job *, aff_ctx *), const aff_api_list_spec *spec)
{
    aff_api_job *j = aff_api_job_new(h, run);
    if (j == NULL)
        return;
    j->spec = spec;
    if (aff_api_list_params(h, j) != 0) {
        aff_pending_discard(&j->base);
        return;
    }
    aff_pending_submit(&j->base, 0);
}

/* ---- fields ------------------------------------------------------------------------------ */

int aff_field_only(json_t *obj, const char *const *allowed, aff_errinfo *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const char *const *a = allowed;
        while (*a != NULL && strcmp(*a, key) != 0)
            a++;
        if (*a == NULL) {
            static _Thread_local char field[64];
            snprintf(field, sizeof(field), "%s", key);
            return aff_fail(err, AFF_EINVAL, field, "unknown field \"%.60s\"", key);
        }
    }
    return 0;
}

/* The member name of obj in *v, or NULL when absent or null (an error if required).
 * Clears *present (may be NULL); the caller sets it once the value is accepted. */
static int field_get(json_t *obj, const char *name, int required, int *present, json_t **v, aff_errinfo *err)
{
    *v = json_object_get(obj, name);
    if (present != NULL)
        *present = 0;
    if (*v != NULL && json_is_null(*v))
        *v = NULL;
    if (*v == NULL && required)
        return aff_fail(err, AFF_EINVAL, name, "%s is required", name);
    return 0;
}

int aff_field_str(json_t *obj, const char *name, int required, int allow_empty, size_t maxlen, char *out, size_t cap,
                  int *present, aff_errinfo *err)
{
    json_t *v;
    int rc = field_get(obj, name, required, present, &v, err);
    if (rc != 0 || v == NULL)
        return rc;
    if (!json_is_string(v))
        return aff_fail(err, AFF_EINVAL, name, "%s: expected a string", name);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 && !allow_empty)
        return aff_fail(err, AFF_EINVAL, name, "%s: must not be empty", name);
    if (n > maxlen || n >= cap)
        return aff_fail(err, AFF_EINVAL, name, "%s: longer than %zu bytes", name, maxlen);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return aff_fail(err, AFF_EINVAL, name, "%s: control characters are not allowed", name);
    memcpy(out, s, n + 1);
    if (present != NULL)
        *present = 1;
    return 0;
}

int aff_field_int(json_t *obj, const char *name, int required, int64_t min, int64_t max, int64_t *out, int *present,
                  aff_errinfo *err)
{
    json_t *v;
    int rc = field_get(obj, name, required, present, &v, err);
    if (rc != 0 || v == NULL)
        return rc;
    if (!json_is_integer(v))
        return aff_fail(err, AFF_EINVAL, name, "%s: expected an integer", name);
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return aff_fail(err, AFF_EINVAL, name, "%s: must be between %lld and %lld", name, (long long)min,
                        (long long)max);
    *out = n;
    if (present != NULL)
        *present = 1;
    return 0;
}

int aff_field_enum(json_t *obj, const char *name, const char *const *choices, char *out, size_t cap, int *present,
                   aff_errinfo *err)
{
    char buf[64];
    int here = 0;
    int rc = aff_field_str(obj, name, 0, 0, sizeof(buf) - 1, buf, sizeof(buf), &here, err);
    if (present != NULL)
        *present = here;
    if (rc != 0 || !here)
        return rc;
    for (const char *const *c = choices; *c != NULL; c++) {
        if (strcmp(*c, buf) == 0) {
            snprintf(out, cap, "%s", buf);
            return 0;
        }
    }
    return aff_fail(err, AFF_EINVAL, name, "%s: \"%s\" is not an allowed value", name, buf);
}

int aff_code_valid(const char *s, size_t len)
{
    if (len == 0 || len > AFF_CODE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* ---- rendering ------------------------------------------------------------------------------ */

json_t *aff_render_time(int64_t ms)
{
    char buf[40];
    aff_clock_format_iso(ms, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer(id) : json_null();
}

json_t *aff_render_program(const aff_program_row *r)
{
    json_t *domains = json_array();
    const char *s = r->allowed_domains;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n)
            json_array_append_new(domains, json_stringn(s, n));
        s += n + (e ? 1 : 0);
    }
    json_error_t jerr;
    json_t *plan = json_loads(r->plan_json[0] ? r->plan_json : "{}", 0, &jerr);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:s, s:o, s:i, s:i, s:I, s:s, s:o, s:s}", "id",
                          (json_int_t)r->id, "name", r->name, "kind", r->kind, "currency", r->currency,
                          "destination_url", r->destination_url, "allowed_domains", domains, "cookie_days",
                          r->cookie_days, "attribution", r->attribution, "click_id_param", r->click_id_param,
                          "commission", plan ? plan : json_object(), "commission_version", r->commission_version,
                          "hold_days", r->hold_days, "min_payout_minor", (json_int_t)r->min_payout_minor,
                          "postback_token", r->postback_token, "created_at", aff_render_time(r->created_ms),
                          "payout_schedule", r->payout_schedule[0] ? r->payout_schedule : "manual");
    json_t *screening = json_loads(r->screening[0] ? r->screening : "{}", 0, &jerr);
    json_object_set_new(o, "screening", screening ? screening : json_object());
    json_t *caps = json_loads(r->caps[0] ? r->caps : "[]", 0, &jerr);
    json_object_set_new(o, "caps", caps ? caps : json_array());
    json_object_set_new(o, "fallback_url", str_or_null(r->fallback_url));
    json_object_set_new(o, "time_zone", json_string(r->time_zone[0] ? r->time_zone : "UTC"));
    return o;
}

json_t *aff_render_affiliate(const aff_affiliate_row *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id, "name", r->name, "email",
                     r->email, "status", r->status, "parent_id", id_or_null(r->parent_id), "group",
                     str_or_null(r->group), "payout_method", str_or_null(r->payout_method), "payout_account",
                     str_or_null(r->payout_account), "created_at", aff_render_time(r->created_ms));
}

json_t *aff_render_link(const aff_link_row *r, const char *public_url)
{
    char url[700];
    snprintf(url, sizeof(url), "%s/r/%s", public_url, r->code);
    json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:o, s:s, s:o}", "id", (json_int_t)r->id, "code", r->code, "program_id",
                          (json_int_t)r->program_id, "affiliate_id", (json_int_t)r->affiliate_id, "destination_url",
                          str_or_null(r->destination_url), "url", url, "created_at", aff_render_time(r->created_ms));
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "sub%d", i + 1);
        json_object_set_new(o, name, str_or_null(r->sub[i]));
    }
    return o;
}

json_t *aff_render_coupon(const aff_coupon_row *r)
{
    return json_pack("{s:I, s:s, s:I, s:I, s:o}", "id", (json_int_t)r->id, "code", r->code, "program_id",
                     (json_int_t)r->program_id, "affiliate_id", (json_int_t)r->affiliate_id, "created_at",
                     aff_render_time(r->created_ms));
}

json_t *aff_render_click(const aff_click_row *r)
{
    json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:b}", "click_id", r->click_id, "ts",
                          aff_render_time(r->ts_ms), "program_id", (json_int_t)r->program_id, "affiliate_id",
                          (json_int_t)r->affiliate_id, "link_id", (json_int_t)r->link_id, "ip", r->ip, "user_agent",
                          r->user_agent, "referer", r->referer, "source_id", str_or_null(r->source_id), "unique",
                          (r->flags & AFF_CLICK_UNIQUE) != 0);
    /* Screening (docs/fraud.md): which rule decided, and what it made of the click. */
    const char *reason = aff_fraud_reason_name(r->reason);
    json_object_set_new(o, "bot", json_boolean(r->flags & AFF_CLICK_BOT));
    json_object_set_new(o, "rejected", json_boolean(r->flags & AFF_CLICK_REJECTED));
    json_object_set_new(o, "flagged", json_boolean(r->flags & AFF_CLICK_FLAGGED));
    json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(o, "reason_code", r->reason ? json_integer(r->reason) : json_null());
    json_object_set_new(o, "asn", r->asn ? json_integer(r->asn) : json_null());
    json_object_set_new(o, "country", r->country[0] ? json_string(r->country) : json_null());
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "sub%d", i + 1);
        json_object_set_new(o, name, str_or_null(r->sub[i]));
    }
    return o;
}

/* Conversions and ledger lines are written as text (they are on the hot path of every
 * conversion answer); their json_t forms for listings are parsed from that text, so the
 * shape is defined once. */
void aff_render_conversion_jw(aff_jw *w, const aff_conversion_row *r)
{
    char amount[48], ts[40];
    int exp = 2;
    aff_currency_exponent(r->currency, &exp);
    aff_money_format(r->amount_minor, exp, amount, sizeof(amount));
    aff_clock_format_iso(r->created_ms, ts, sizeof(ts));
    aff_jw_begin_object(w);
    aff_jw_key(w, "id"), aff_jw_int(w, r->id);
    aff_jw_key(w, "program_id"), aff_jw_int(w, r->program_id);
    aff_jw_key(w, "event"), aff_jw_string(w, r->event);
    aff_jw_key(w, "order_id"), aff_jw_string(w, r->order_id);
    aff_jw_key(w, "amount_minor"), aff_jw_int(w, r->amount_minor);
    aff_jw_key(w, "amount"), aff_jw_string(w, amount);
    aff_jw_key(w, "currency"), aff_jw_string(w, r->currency);
    aff_jw_key(w, "status"), aff_jw_string(w, r->status);
    aff_jw_key(w, "method"), aff_jw_string(w, r->method);
    aff_jw_key(w, "click_id"), aff_jw_string_or_null(w, r->click_id);
    aff_jw_key(w, "affiliate_id"), aff_jw_id(w, r->affiliate_id);
    aff_jw_key(w, "link_id"), aff_jw_id(w, r->link_id);
    aff_jw_key(w, "coupon"), aff_jw_string_or_null(w, r->coupon);
    aff_jw_key(w, "customer_id"), aff_jw_string_or_null(w, r->customer_id);
    aff_jw_key(w, "test"), aff_jw_bool(w, r->test);
    aff_jw_key(w, "refunded_minor"), aff_jw_int(w, r->refunded_minor);
    aff_jw_key(w, "shipping_minor"), aff_jw_int(w, r->shipping_minor);
    aff_jw_key(w, "tax_minor"), aff_jw_int(w, r->tax_minor);
    aff_jw_key(w, "renewal"), aff_jw_bool(w, r->renewal);
    aff_jw_key(w, "origin_id"), aff_jw_id(w, r->origin_id);
    aff_jw_key(w, "earned_minor"), aff_jw_int(w, r->earned_minor);
    aff_jw_key(w, "plan_version"), aff_jw_id(w, r->plan_version);
    aff_jw_key(w, "tier"), aff_jw_int(w, r->tier);
    aff_jw_key(w, "reason"), aff_jw_string_or_null(w, r->reason);
    aff_jw_key(w, "ip"), aff_jw_string_or_null(w, r->ip);
    aff_jw_key(w, "score"), aff_jw_int(w, r->score);
    aff_jw_key(w, "screening"), aff_jw_raw(w, r->screening[0] ? r->screening : "[]"); /* written by track/screen.c */
    if (strcmp(r->status, "pending") == 0) {
        char hold[40];
        aff_clock_format_iso(r->hold_until_ms, hold, sizeof(hold));
        aff_jw_key(w, "hold_until"), aff_jw_string(w, hold);
    } else {
        aff_jw_key(w, "hold_until"), aff_jw_null(w);
    }
    aff_jw_key(w, "created_at"), aff_jw_string(w, ts);
    aff_jw_key(w, "items"), aff_jw_raw(w, r->items_json[0] ? r->items_json : "[]"); /* validated on the way in */
    aff_jw_end_object(w);
}

void aff_render_ledger_jw(aff_jw *w, const aff_ledger_row *r)
{
    char ts[40];
    aff_clock_format_iso(r->created_ms, ts, sizeof(ts));
    aff_jw_begin_object(w);
    aff_jw_key(w, "id"), aff_jw_id(w, r->id);
    aff_jw_key(w, "conversion_id"), aff_jw_int(w, r->conversion_id);
    aff_jw_key(w, "program_id"), aff_jw_int(w, r->program_id);
    aff_jw_key(w, "affiliate_id"), aff_jw_int(w, r->affiliate_id);
    aff_jw_key(w, "amount_minor"), aff_jw_int(w, r->amount_minor);
    aff_jw_key(w, "currency"), aff_jw_string(w, r->currency);
    aff_jw_key(w, "status"), aff_jw_string(w, r->status);
    aff_jw_key(w, "kind"), aff_jw_string(w, r->kind);
    aff_jw_key(w, "slot"), aff_jw_string(w, r->slot);
    aff_jw_key(w, "rule"), aff_jw_string(w, r->rule);
    aff_jw_key(w, "plan_version"), aff_jw_int(w, r->plan_version);
    aff_jw_key(w, "gross_minor"), aff_jw_int(w, r->gross_minor);
    aff_jw_key(w, "payout_id"), aff_jw_id(w, r->payout_id);
    aff_jw_key(w, "created_at"), aff_jw_string(w, ts);
    aff_clock_format_iso(r->updated_ms ? r->updated_ms : r->created_ms, ts, sizeof(ts));
    aff_jw_key(w, "updated_at"), aff_jw_string(w, ts);
    aff_jw_end_object(w);
}

void aff_render_conversion_result_jw(aff_jw *w, const aff_conversion_result *r)
{
    aff_jw_begin_object(w);
    aff_jw_key(w, "conversion");
    aff_render_conversion_jw(w, &r->conv);
    aff_jw_key(w, "commissions");
    aff_jw_begin_array(w);
    for (int i = 0; i < r->nlines; i++)
        aff_render_ledger_jw(w, &r->lines[i]);
    aff_jw_end_array(w);
    aff_jw_end_object(w);
}

/* The json_t form of text written by one of the renderers above. */
static json_t *from_jw(aff_jw *w)
{
    json_error_t jerr;
    json_t *j = aff_jw_finish(w) == 0 ? json_loadb(w->buf, w->len, 0, &jerr) : NULL;
    aff_jw_free(w);
    return j != NULL ? j : json_null();
}

json_t *aff_render_conversion(const aff_conversion_row *r)
{
    aff_jw w;
    aff_jw_init(&w);
    aff_render_conversion_jw(&w, r);
    return from_jw(&w);
}

json_t *aff_render_ledger(const aff_ledger_row *r)
{
    aff_jw w;
    aff_jw_init(&w);
    aff_render_ledger_jw(&w, r);
    return from_jw(&w);
}

json_t *aff_render_conversion_result(const aff_conversion_result *r)
{
    aff_jw w;
    aff_jw_init(&w);
    aff_render_conversion_result_jw(&w, r);
    return from_jw(&w);
}

/* What an affiliate sees of a conversion: no customer data, no screening internals
 * (the reason's code and name only). */
json_t *aff_render_conversion_for_affiliate(const aff_conversion_row *r)
{
    char amount[48];
    int exp = 2;
    aff_currency_exponent(r->currency, &exp);
    aff_money_format(r->amount_minor, exp, amount, sizeof(amount));
    return json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:o,s:I,s:I,s:o}", "id", (json_int_t)r->id, "program_id",
                     (json_int_t)r->program_id, "event", r->event, "order_id", r->order_id, "amount_minor",
                     (json_int_t)r->amount_minor, "amount", amount, "currency", r->currency, "status", r->status,
                     "reason", str_or_null(r->reason), "refunded_minor", (json_int_t)r->refunded_minor, "earned_minor",
                     (json_int_t)r->earned_minor, "created_at", aff_render_time(r->created_ms));
}

json_t *aff_render_payout(const aff_payout_row *r)
{
    char amount[48];
    int exp = 2;
    aff_currency_exponent(r->currency, &exp);
    aff_money_format(r->amount_minor, exp, amount, sizeof(amount));
    return json_pack("{s:I, s:I, s:I, s:o, s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "id", (json_int_t)r->id,
                     "affiliate_id", (json_int_t)r->affiliate_id, "program_id", (json_int_t)r->program_id, "run_id",
                     id_or_null(r->run_id), "amount_minor", (json_int_t)r->amount_minor, "amount", amount, "currency",
                     r->currency, "status", r->status, "lines", (json_int_t)r->lines, "reference",
                     str_or_null(r->reference), "created_at", aff_render_time(r->created_ms), "updated_at",
                     aff_render_time(r->updated_ms ? r->updated_ms : r->created_ms));
}

json_t *aff_render_list_new(void)
{
    return json_pack("{s:[], s:b}", "data", "has_more", 0);
}

int aff_render_list_add(json_t *list, json_t *item, int limit)
{
    json_t *data = json_object_get(list, "data");
    if ((int)json_array_size(data) >= limit) {
        json_decref(item);
        json_object_set_new(list, "has_more", json_true());
        return 1;
    }
    json_array_append_new(data, item);
    return 0;
}
