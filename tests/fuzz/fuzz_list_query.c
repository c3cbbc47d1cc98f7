/*
 * fuzz_list_query.c - the query parameters of every list endpoint (docs/api.md
 * "Lists"), which any affiliate key sends to its /v1/me lists: aff_http_params (net/http.h)
 * splits the query, then aff_api_list_query (api/api.h) reads limit, after, sort,
 * cursor, created_from/created_to, q, format, status and the id filters into the list
 * query. The input is "SRQUERY": S a digit picking the list's spec, 0 none, then
 * copies of the real ones: 1 conversions, 2 clicks, 3 announcements (newest first),
 * 4 balances, 5 applications, 6 payout runs; R a digit whose bit 0 makes the caller
 * affiliate 7 (else an admin) and bit 1 sends "Accept: text/csv"; QUERY is the query
 * string.
 *
 * Checks, against a reference that reads each parameter from docs/api.md (the first of
 * a name counts, an empty value is absent):
 *   - the answer is 0 exactly when no parameter is bad, AFF_ENOTFOUND (no field) only
 *     for an affiliate's foreign affiliate_id, and otherwise AFF_EINVAL naming one of
 *     the bad parameters, with a message; a number written with leading zeros may go
 *     either way;
 *   - accepted values are the reference's and within their bounds: limit 1..500
 *     (default 100), a sort column of the list (ts for clicks) with its direction,
 *     a cursor of that sort and direction decoding to q.from, the inclusive UTC days
 *     of created_from <= created_to as [from, to + 1 day), q 1..128 bytes without
 *     control characters (lists with a search only), format json or csv (else the
 *     Accept header), status one of the list's statuses (lists without: none), positive ids; after only with the
 *     default order (newest-first lists turn a numeric after into the cursor);
 *   - the same input parsed again gives the same query.
 */
#include "fuzz_query.h"

#include "api/api.h"
#include "core/clock.h"
#include "core/cursor.h"
#include "core/err.h"

#define FUZZ_LIST_MAX 4096
#define FUZZ_AFFILIATE 7

/* The statuses of docs/api.md "Lists", written out apart from api/common.c's. */
static const char *const conversion_statuses[] = {"pending", "held", "approved", "rejected", "reversed", NULL};
static const char *const application_statuses[] = {"pending", "approved", "suspended", "rejected", NULL};

static const aff_api_list_spec specs[] = {
    {"conversions",
     AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(AMOUNT) | AFF_SORT_BIT(STATUS) | AFF_SORT_BIT(ORDER_ID) |
         AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE),
     1, 1, 0, 0, conversion_statuses},
    {"clicks",
     AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE) | AFF_SORT_BIT(LINK) | AFF_SORT_BIT(IP) | AFF_SORT_BIT(SUB1), 1, 0,
     1, 0},
    {"announcements", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(TITLE) | AFF_SORT_BIT(PROGRAM), 1, 1, 0, 1},
    {"balances",
     AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE) | AFF_SORT_BIT(PENDING) | AFF_SORT_BIT(APPROVED) |
         AFF_SORT_BIT(PAYABLE) | AFF_SORT_BIT(IN_PAYOUT) | AFF_SORT_BIT(PAID),
     0, 0, 0, 0},
    {"applications", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(NAME) | AFF_SORT_BIT(EMAIL) | AFF_SORT_BIT(STATUS), 1, 1, 0,
     0, application_statuses},
    {"payout-runs", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(PROGRAM), 1, 0, 0},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* The API's sort names in AFF_SORT_* order (docs/api.md "Lists"). */
static const char *const sort_names[AFF_SORT_COUNT] = {
    "id",      "created_at", "updated_at", "name",         "email",   "code", "status",
    "amount",  "order_id",   "program_id", "affiliate_id", "link_id", "ip",   "sub1",
    "pending", "approved",   "payable",    "in_payout",    "paid",    "title"};

typedef struct ref {
    fuzz_verdicts v;
    int limit, sort, desc, csv, from_set;
    int64_t after, created_from, created_to;
    const char *after_click, *search, *status;
    int64_t ids[6];
    aff_cursor cur;
    int foreign; /* an affiliate asked for another affiliate_id */
} ref;

static const char *const id_names[6] = {"program_id",    "affiliate_id", "link_id",
                                        "conversion_id", "run_id",       "payout_id"};

static int click_tid(const char *t)
{
    if (strlen(t) != 32)
        return 0;
    for (; *t != '\0'; t++)
        if (strchr("0123456789abcdefghjkmnpqrstvwxyz", *t) == NULL)
            return 0;
    return 1;
}

static void ref_parse(const aff_params *ps, const aff_api_list_spec *spec, int affiliate, const char *accept, ref *r)
{
    memset(r, 0, sizeof(*r));
    r->limit = 100;
    const aff_param *p = fuzz_param_get(ps, "limit", 1);
    if (p != NULL) {
        int64_t v = 0;
        int k = fuzz_ref_pos(p->value, p->value_len, 500, &v);
        fuzz_verdict(&r->v, "limit", k);
        if (k != BAD && v > 0)
            r->limit = (int)v;
    }
    if ((p = fuzz_param_get(ps, "after", 0)) != NULL) {
        int64_t v = 0;
        if (p->value_len > 32)
            fuzz_verdict(&r->v, "after", BAD);
        else if (fuzz_ref_pos(p->value, p->value_len, INT64_MAX, &v) == OK)
            r->after = v;
        else if (fuzz_ref_pos(p->value, p->value_len, INT64_MAX, &v) == EITHER)
            fuzz_verdict(&r->v, "after", EITHER); /* a number or a click id: either reading */
        else
            r->after_click = p->value;
    }
    r->desc = spec->newest_first;
    int sort_given = (p = fuzz_param_get(ps, "sort", 0)) != NULL;
    if (sort_given) {
        const char *v = p->value;
        r->desc = v[0] == '-';
        v += r->desc;
        int k;
        for (k = 0; k < AFF_SORT_COUNT; k++) {
            int named = strcmp(v, sort_names[k]) == 0 || (spec->clicks && k == AFF_SORT_ID && strcmp(v, "ts") == 0);
            if (named && ((spec->sorts | 1u) & (1u << k)))
                break;
        }
        if (k == AFF_SORT_COUNT)
            fuzz_verdict(&r->v, "sort", BAD);
        else
            r->sort = k;
    }
    if ((p = fuzz_param_get(ps, "cursor", 0)) != NULL) {
        aff_cursor *c = &r->cur;
        int ok = aff_cursor_decode(p->value, p->value_len, c) == 0 && c->key == r->sort && c->desc == r->desc;
        if (ok && spec->clicks && c->key == AFF_SORT_ID && c->tid[0] == '\0' && c->is_text) {
            size_t n = strnlen(c->sval, AFF_CURSOR_TID_MAX); /* the first form: the click id as the value */
            memcpy(c->tid, c->sval, n);
            c->tid[n] = '\0';
            c->is_text = 0;
        }
        if (!ok || (spec->clicks ? !click_tid(c->tid) : (c->tid[0] != '\0' || c->id <= 0)))
            fuzz_verdict(&r->v, "cursor", BAD);
        else
            r->from_set = 1;
    }
    static const char *const days[2] = {"created_from", "created_to"};
    int64_t day[2] = {0, 0};
    int has[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        if ((p = fuzz_param_get(ps, days[i], 0)) == NULL)
            continue;
        if (!spec->time || aff_clock_parse_day(p->value, p->value_len, &day[i]) != 0)
            fuzz_verdict(&r->v, days[i], BAD);
        else
            has[i] = 1;
    }
    if (has[0] && has[1] && day[0] > day[1]) {
        fuzz_verdict(&r->v, "created_from", BAD);
        fuzz_verdict(&r->v, "created_to", BAD);
    }
    r->created_from = has[0] ? day[0] : 0;
    r->created_to = has[1] ? day[1] + AFF_MS_PER_DAY : 0;
    if ((p = fuzz_param_get(ps, "q", 0)) != NULL) {
        int bad = !spec->search || p->value_len > 128;
        for (size_t i = 0; i < p->value_len; i++)
            bad |= (unsigned char)p->value[i] < 0x20 || (unsigned char)p->value[i] == 0x7f;
        if (bad)
            fuzz_verdict(&r->v, "q", BAD);
        else
            r->search = p->value;
    }
    if ((p = fuzz_param_get(ps, "format", 0)) != NULL) {
        if (strcmp(p->value, "json") != 0 && strcmp(p->value, "csv") != 0)
            fuzz_verdict(&r->v, "format", BAD);
        r->csv = strcmp(p->value, "csv") == 0;
    } else {
        r->csv = accept != NULL && strncmp(accept, "text/csv", 8) == 0;
    }
    /* A newest-first list's numeric after resumes its default order: the cursor. */
    if (spec->newest_first && r->after != 0 && !r->from_set && !sort_given) {
        r->from_set = 1;
        memset(&r->cur, 0, sizeof(r->cur));
        r->cur.id = r->cur.ival = r->after;
        r->after = 0;
    }
    int sorted = r->sort != AFF_SORT_ID || r->desc || r->from_set || r->created_from != 0 || r->created_to != 0 ||
                 r->search != NULL;
    if ((r->after != 0 || r->after_click != NULL) && sorted)
        fuzz_verdict(&r->v, "after", BAD);
    for (int i = 0; i < 6; i++)
        if ((p = fuzz_param_get(ps, id_names[i], 0)) != NULL)
            fuzz_verdict(&r->v, id_names[i], fuzz_ref_pos(p->value, p->value_len, INT64_MAX, &r->ids[i]));
    r->foreign = affiliate && r->ids[1] != 0 && r->ids[1] != FUZZ_AFFILIATE;
    if ((p = fuzz_param_get(ps, "status", 0)) != NULL) {
        int known = 0;
        for (const char *const *s = spec->statuses; s != NULL && *s != NULL; s++)
            known |= strcmp(p->value, *s) == 0;
        if (known)
            r->status = p->value;
        else
            fuzz_verdict(&r->v, "status", BAD);
    }
}

/* Parse into a fresh job; its return code. */
static int parse(const aff_params *ps, const aff_api_list_spec *spec, int affiliate, const char *accept, aff_api_job *j,
                 aff_errinfo *err)
{
    memset(j, 0, sizeof(*j));
    memset(err, 0, sizeof(*err));
    j->spec = spec;
    return aff_api_list_query(ps, accept, accept ? strlen(accept) : 0, affiliate ? AFF_ROLE_AFFILIATE : AFF_ROLE_ADMIN,
                              FUZZ_AFFILIATE, j, err);
}

static void check_accepted(const ref *r, const aff_api_job *j, const aff_api_list_spec *spec)
{
    const aff_list_query *q = &j->q;
    FUZZ_CHECK(q->limit >= 1 && q->limit <= 500 && q->limit == r->limit);
    FUZZ_CHECK(q->sort >= 0 && q->sort < AFF_SORT_COUNT && ((spec->sorts | 1u) & (1u << q->sort)));
    FUZZ_CHECK(q->sort == r->sort && q->desc == r->desc);
    FUZZ_CHECK(q->from.set == r->from_set);
    if (q->from.set) {
        FUZZ_CHECK(q->from.id == r->cur.id && q->from.is_text == r->cur.is_text);
        FUZZ_CHECK(strcmp(q->from.tid, r->cur.tid) == 0);
        if (q->from.is_text)
            FUZZ_CHECK(strcmp(q->from.sval, r->cur.sval) == 0);
        else
            FUZZ_CHECK(q->from.ival == r->cur.ival);
    }
    FUZZ_CHECK(q->created_from == r->created_from && q->created_to == r->created_to);
    FUZZ_CHECK(q->created_from >= 0 && q->created_to >= 0);
    FUZZ_CHECK(q->created_from == 0 || q->created_to == 0 || q->created_from < q->created_to);
    FUZZ_CHECK(q->created_from % AFF_MS_PER_DAY == 0 && q->created_to % AFF_MS_PER_DAY == 0);
    if (r->search == NULL) {
        FUZZ_CHECK(q->search == NULL);
    } else {
        FUZZ_CHECK(q->search == j->search && strcmp(q->search, r->search) == 0);
        FUZZ_CHECK(spec->search && strlen(q->search) >= 1 && strlen(q->search) <= AFF_SEARCH_MAX);
    }
    FUZZ_CHECK(j->csv == r->csv);
    FUZZ_CHECK(r->status == NULL ? q->status == NULL
                                 : q->status == j->status_filter && strcmp(q->status, r->status) == 0);
    FUZZ_CHECK(q->after == r->after);
    FUZZ_CHECK(strcmp(q->after_click, r->after_click ? r->after_click : "") == 0);
    FUZZ_CHECK((q->after == 0 && q->after_click[0] == '\0') || !aff_list_sorted(q));
    const int64_t got_ids[6] = {q->program_id, q->affiliate_id, q->link_id, q->conversion_id, q->run_id, q->payout_id};
    for (int i = 0; i < 6; i++)
        FUZZ_CHECK(got_ids[i] == r->ids[i] && got_ids[i] >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_LIST_MAX)
        return 0;
    unsigned pick = (uint8_t)(data[0] - '0') % (NSPECS + 1);
    const aff_api_list_spec *spec = pick == 0 ? NULL : &specs[pick - 1];
    int affiliate = data[1] & 1;
    const char *accept = (data[1] & 2) ? "text/csv; q=1" : NULL;
    fuzz_query fq;
    fuzz_query_init(&fq, data + 2, size - 2);
    aff_params ps;
    static aff_api_job j1, j2;
    aff_errinfo e1, e2;
    if (aff_http_params(&fq.req, 0, &ps) != 0)
        goto out; /* answered 422 naming the parameter (aff_api_params_error) before any list parameter is read */

    static const aff_api_list_spec plain = {"list", 0, 0, 0, 0, 0};
    ref r;
    ref_parse(&ps, spec ? spec : &plain, affiliate, accept, &r);
    int rc = parse(&ps, spec, affiliate, accept, &j1, &e1);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL || rc == AFF_ENOTFOUND);
    FUZZ_CHECK(j1.spec != NULL);
    if (r.v.nbad == 0 && !r.foreign)
        FUZZ_CHECK(rc == AFF_OK);
    if (rc == AFF_OK) {
        FUZZ_CHECK(r.v.nstrict == 0 && !r.foreign);
        if (!r.v.either)
            check_accepted(&r, &j1, j1.spec);
    } else if (rc == AFF_ENOTFOUND) {
        FUZZ_CHECK(affiliate && r.foreign && e1.field == NULL);
    } else {
        fuzz_check_refusal(&r.v, &e1);
    }
    /* Deterministic: the same answer and the same query again. */
    int rc2 = parse(&ps, spec, affiliate, accept, &j2, &e2);
    FUZZ_CHECK(rc2 == rc);
    FUZZ_CHECK((e1.field == NULL) == (e2.field == NULL) && strcmp(e1.msg, e2.msg) == 0);
    FUZZ_CHECK(e1.field == NULL || strcmp(e1.field, e2.field) == 0);
    if (rc == AFF_OK) {
        FUZZ_CHECK(j1.q.limit == j2.q.limit && j1.q.sort == j2.q.sort && j1.q.desc == j2.q.desc);
        FUZZ_CHECK(j1.q.from.set == j2.q.from.set && j1.q.from.id == j2.q.from.id &&
                   j1.q.from.is_text == j2.q.from.is_text && j1.q.from.ival == j2.q.from.ival);
        FUZZ_CHECK(strcmp(j1.q.from.tid, j2.q.from.tid) == 0 && strcmp(j1.q.from.sval, j2.q.from.sval) == 0);
        FUZZ_CHECK(j1.q.created_from == j2.q.created_from && j1.q.created_to == j2.q.created_to);
        FUZZ_CHECK(j1.q.after == j2.q.after && strcmp(j1.q.after_click, j2.q.after_click) == 0);
        FUZZ_CHECK(j1.csv == j2.csv && strcmp(j1.search, j2.search) == 0 &&
                   strcmp(j1.status_filter, j2.status_filter) == 0);
    }
out:
    fuzz_query_free(&fq);
    return 0;
}
