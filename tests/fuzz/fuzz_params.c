/*
 * fuzz_params.c - the parameters of the tracking endpoints: aff_http_params (net/http.h)
 * over a request target's query and, for a form POST, the body (what /r/{code}, /postback
 * and /px.gif read), then aff_params_get with the name lists those endpoints use. The
 * input is "TARGET\nBODY" (no newline: no body); a leading 'F' makes it a form request.
 *
 * Checks, against a reference that splits on '&' (empty pieces skipped), cuts each pair
 * at its first '=' and percent-decodes both halves:
 *   - the return code is the reference's: AFF_ETOOBIG exactly when there are more than
 *     AFF_MAX_PARAMS pairs and the first AFF_MAX_PARAMS decode, AFF_EINVAL when one of
 *     those has a malformed escape or decodes to NUL, else 0; a query-only request
 *     never reads the body;
 *   - on AFF_EINVAL, got.bad names the pair that failed: its decoded name, else its
 *     text as sent, when that is 1..AFF_PARAM_NAME_MAX printable ASCII bytes, else NULL;
 *   - on success the parameters are the reference's pairs, query first, in order, each
 *     name and value NUL-terminated at its length;
 *   - aff_params_get answers the first parameter of the first name of the list that
 *     occurs, aff_params_get1 the first of its name.
 */
#include "fuzz.h"

#include "core/err.h"
#include "net/http.h"

#define FUZZ_PARAMS_MAX 8192

typedef struct ref_param {
    char *name, *value;
    size_t name_len, value_len;
} ref_param;

typedef struct ref_params {
    int n, rc;
    ref_param p[AFF_MAX_PARAMS];
    const char *bad; /* the failing pair's name (into its input or p[].name) */
    size_t bad_len;
} ref_params;

/* Can s[0..len) be an error's field (net/http.h aff_params.bad)? */
static int ref_field_ok(const char *s, size_t len)
{
    if (len == 0 || len > AFF_PARAM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}

/* Add the pairs of s[0..len) to r; stops at the first error (kept in r->rc). */
static void ref_add(ref_params *r, const char *s, size_t len)
{
    size_t i = 0;
    while (r->rc == 0 && i < len) {
        size_t e = i;
        while (e < len && s[e] != '&')
            e++;
        if (e > i) {
            if (r->n == AFF_MAX_PARAMS) {
                r->rc = AFF_ETOOBIG;
                return;
            }
            const char *eq = memchr(s + i, '=', e - i);
            size_t nlen = eq != NULL ? (size_t)(eq - (s + i)) : e - i;
            const char *v = eq != NULL ? eq + 1 : s + e;
            size_t vlen = eq != NULL ? (size_t)(s + e - v) : 0;
            ref_param *p = &r->p[r->n];
            p->name = malloc(nlen + 1);
            p->value = malloc(vlen + 1);
            FUZZ_CHECK(p->name != NULL && p->value != NULL);
            int a = fuzz_ref_decode(s + i, nlen, p->name), b = fuzz_ref_decode(v, vlen, p->value);
            r->n++;
            if (a < 0 || b < 0) {
                r->rc = AFF_EINVAL;
                r->bad = a < 0 ? s + i : p->name;
                r->bad_len = a < 0 ? nlen : (size_t)a;
                if (!ref_field_ok(r->bad, r->bad_len))
                    r->bad = NULL;
                return;
            }
            p->name_len = (size_t)a;
            p->value_len = (size_t)b;
        }
        i = e + 1;
    }
}

static void ref_free(ref_params *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->p[i].name);
        free(r->p[i].value);
    }
}

/* The reference's aff_params_get: index of the answer, or -1. */
static int ref_get(const ref_params *r, const char *const *names)
{
    for (const char *const *n = names; *n != NULL; n++)
        for (int i = 0; i < r->n; i++)
            if (r->p[i].name_len == strlen(*n) && memcmp(r->p[i].name, *n, r->p[i].name_len) == 0)
                return i;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_PARAMS_MAX)
        return 0;
    int form = size > 0 && data[0] == 'F';
    if (form) {
        data++;
        size--;
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl != NULL ? (size_t)(nl - data) : size;
    /* Exactly sized copies, not NUL-terminated, as h2o hands them over. */
    char *target = fuzz_memdup(data, tlen);
    char *body = nl != NULL ? fuzz_memdup(nl + 1, size - tlen - 1) : NULL;
    size_t blen = nl != NULL ? size - tlen - 1 : 0;

    h2o_req_t req;
    memset(&req, 0, sizeof(req));
    h2o_mem_init_pool(&req.pool);
    req.path = h2o_iovec_init(target, tlen);
    const char *q = memchr(target, '?', tlen);
    req.query_at = q != NULL ? (size_t)(q - target) : SIZE_MAX;
    if (body != NULL)
        req.entity = h2o_iovec_init(body, blen);

    ref_params want;
    memset(&want, 0, sizeof(want));
    if (q != NULL)
        ref_add(&want, q + 1, tlen - req.query_at - 1);
    if (form && body != NULL)
        ref_add(&want, body, blen);

    aff_params got;
    int rc = aff_http_params(&req, form, &got);
    FUZZ_CHECK(rc == want.rc);
    if (rc == AFF_EINVAL) {
        FUZZ_CHECK((got.bad == NULL) == (want.bad == NULL));
        FUZZ_CHECK(got.bad == NULL ||
                   (strlen(got.bad) == want.bad_len && memcmp(got.bad, want.bad, want.bad_len) == 0));
    }
    if (rc == 0) {
        FUZZ_CHECK(got.n == want.n);
        for (int i = 0; i < got.n; i++) {
            const aff_param *p = &got.p[i];
            FUZZ_CHECK(p->name_len == want.p[i].name_len && p->value_len == want.p[i].value_len);
            FUZZ_CHECK(memcmp(p->name, want.p[i].name, p->name_len + 1) == 0); /* with its NUL */
            FUZZ_CHECK(memcmp(p->value, want.p[i].value, p->value_len + 1) == 0);
        }
        /* The name lists of api/tracking.c, and a few that collide. */
        static const char *const lists[][6] = {
            {"click_id", "transaction_id", "clickid", "subid", "cid", NULL},
            {"order_id", "txid", "tid", NULL},
            {"sub1", "aff_sub", NULL},
            {"token", NULL},
            {"a", "b", "", NULL},
            {" ", "a b", NULL},
        };
        for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
            const aff_param *p = aff_params_get(&got, lists[l]);
            int k = ref_get(&want, lists[l]);
            FUZZ_CHECK(k < 0 ? p == NULL : p == &got.p[k]);
            const aff_param *p1 = aff_params_get1(&got, lists[l][0]);
            const char *one[2] = {lists[l][0], NULL};
            int k1 = ref_get(&want, one);
            FUZZ_CHECK(k1 < 0 ? p1 == NULL : p1 == &got.p[k1]);
        }
        /* Every parameter is found by its own name, as its name's first occurrence. */
        for (int i = 0; i < got.n; i++) {
            const aff_param *p = aff_params_get1(&got, got.p[i].name);
            FUZZ_CHECK(p != NULL && p <= &got.p[i] && strcmp(p->name, got.p[i].name) == 0);
        }
    }
    ref_free(&want);
    h2o_mem_clear_pool(&req.pool);
    free(body);
    free(target);
    return 0;
}
