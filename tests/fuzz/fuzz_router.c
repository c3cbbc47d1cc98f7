/*
 * fuzz_router.c - request paths as the network sends them, through the route matcher
 * (net/router.h: aff_route_match over a table prepared by aff_routes_prepare). Tables:
 * the real one (api/routes.c, aff_api_routes) and a synthetic one with two-argument
 * patterns and text after an argument, which the real table does not have yet. Each is
 * also matched unprepared and in reverse order, which must not change any answer.
 * The input is "METHOD PATH" (no space: GET and the whole input as the path); the path
 * may carry a query, which the matcher must ignore.
 *
 * Checks, against a reference matcher that splits pattern and path on '/':
 *   - the answer (route, or 404/405 and its Allow) is the reference's: a route only if
 *     its pattern matches the path and takes the method (GET answers HEAD too), and no
 *     matching pattern is more specific; 404 exactly when no pattern matches; 405 when
 *     the most specific pattern has other methods only, with Allow naming exactly those
 *     (and HEAD after GET), each once, never the request's own method;
 *   - a match's arguments are non-empty pieces of the path (before the query) without
 *     '/', and putting them in place of the pattern's ":name" segments gives the path
 *     back byte for byte;
 *   - matching is deterministic: the same request twice, the table unprepared and the
 *     table reversed all give the same answer and arguments.
 */
#include "fuzz.h"

#include "api/api.h"
#include "net/router.h"

#define MAX_PATH 4096
#define MAX_SEGS 64

/* ---- reference matcher ------------------------------------------------------------- */

typedef struct seg {
    const char *p;
    size_t len;
} seg;

/* Split s[0..len) on '/', keeping empty pieces ("/a/" is "", "a", ""). -1 when too many. */
static int split(const char *s, size_t len, seg out[MAX_SEGS])
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (n == MAX_SEGS)
                return -1;
            out[n].p = s + start;
            out[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    return n;
}

static int is_arg(const seg *s)
{
    return s->len > 0 && s->p[0] == ':';
}

/* Does pattern match path? Same number of pieces; text pieces equal, argument pieces
 * non-empty. */
static int ref_match(const char *pattern, const char *path, size_t plen)
{
    seg ps[MAX_SEGS], ss[MAX_SEGS];
    int np = split(pattern, strlen(pattern), ps), ns = split(path, plen, ss);
    if (np < 0 || ns < 0 || np != ns)
        return 0;
    for (int i = 0; i < np; i++) {
        if (is_arg(&ps[i])) {
            if (ss[i].len == 0)
                return 0;
        } else if (ps[i].len != ss[i].len || memcmp(ps[i].p, ss[i].p, ps[i].len) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Of two patterns matching the same path: >0 when a is more specific (text where b has
 * an argument at the first piece where they differ so), <0 when b is, 0 when neither. */
static int ref_rank(const char *a, const char *b)
{
    seg as[MAX_SEGS], bs[MAX_SEGS];
    int na = split(a, strlen(a), as), nb = split(b, strlen(b), bs);
    for (int i = 0; i < na && i < nb; i++)
        if (is_arg(&as[i]) != is_arg(&bs[i]))
            return is_arg(&as[i]) ? -1 : 1;
    return 0;
}

static int method_is(const char *method, size_t mlen, const char *m)
{
    return strlen(m) == mlen && memcmp(method, m, mlen) == 0;
}

static int takes(const aff_route *r, const char *method, size_t mlen)
{
    return method_is(method, mlen, r->method) || (method_is(method, mlen, "HEAD") && strcmp(r->method, "GET") == 0);
}

/* ---- one answer ---------------------------------------------------------------------- */

typedef struct answer {
    const aff_route *route; /* NULL: status */
    int status;
    char allow[AFF_ROUTE_ALLOW_MAX];
    int nargs;
    h2o_iovec_t args[2];
} answer;

static void ask(const aff_routes *t, h2o_req_t *req, answer *a)
{
    aff_http h;
    memset(&h, 0, sizeof(h));
    h.req = req;
    memset(a, 0, sizeof(*a));
    a->status = -1;
    memset(a->allow, 'x', sizeof(a->allow)); /* must be written (NUL-terminated) on a miss */
    a->route = aff_route_match(t, req, &h, &a->status, a->allow);
    if (a->route != NULL) {
        a->nargs = h.nargs;
        a->args[0] = h.path_args[0];
        a->args[1] = h.path_args[1];
    }
}

/* Same answer: the same route (by method and pattern: copies of a table are compared),
 * the same arguments, or the same status and Allow set (its order follows the table's). */
static int allow_has(const char *allow, const char *m)
{
    size_t n = strlen(m);
    for (const char *s = allow; *s;) {
        const char *e = strstr(s, ", ");
        size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, m, n) == 0)
            return 1;
        s += len + (e != NULL ? 2 : 0);
    }
    return 0;
}

static size_t allow_count(const char *allow)
{
    if (allow[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *s = allow; (s = strstr(s, ", ")) != NULL; s += 2)
        n++;
    return n;
}

static void check_same(const answer *a, const answer *b)
{
    FUZZ_CHECK((a->route == NULL) == (b->route == NULL));
    if (a->route != NULL) {
        FUZZ_CHECK(strcmp(a->route->method, b->route->method) == 0);
        FUZZ_CHECK(strcmp(a->route->pattern, b->route->pattern) == 0);
        FUZZ_CHECK(a->nargs == b->nargs);
        for (int i = 0; i < a->nargs; i++)
            FUZZ_CHECK(a->args[i].base == b->args[i].base && a->args[i].len == b->args[i].len);
        return;
    }
    FUZZ_CHECK(a->status == b->status);
    FUZZ_CHECK(allow_count(a->allow) == allow_count(b->allow));
    static const char *const methods[] = {"GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        FUZZ_CHECK(allow_has(a->allow, methods[i]) == allow_has(b->allow, methods[i]));
}

/* The arguments put back into the pattern give the path. */
static void check_args(const answer *a, const char *path, size_t plen)
{
    const char *p = a->route->pattern;
    size_t w = 0;
    int k = 0;
    while (*p) {
        if (*p == ':') {
            FUZZ_CHECK(k < a->nargs);
            h2o_iovec_t v = a->args[k++];
            FUZZ_CHECK(v.len > 0 && v.base >= path && v.base + v.len <= path + plen);
            FUZZ_CHECK(memchr(v.base, '/', v.len) == NULL);
            FUZZ_CHECK(w + v.len <= plen && memcmp(path + w, v.base, v.len) == 0);
            FUZZ_CHECK(v.base == path + w); /* the very bytes of that segment */
            w += v.len;
            while (*p && *p != '/')
                p++;
            continue;
        }
        FUZZ_CHECK(w < plen && path[w] == *p);
        w++;
        p++;
    }
    FUZZ_CHECK(k == a->nargs);
    FUZZ_CHECK(w == plen);
}

/* The answer the reference gives for table t. */
static void check_reference(const aff_routes *t, const answer *a, const char *method, size_t mlen, const char *path,
                            size_t plen)
{
    const aff_route *best = NULL;
    for (size_t i = 0; i < t->n; i++)
        if (ref_match(t->routes[i].pattern, path, plen) &&
            (best == NULL || ref_rank(t->routes[i].pattern, best->pattern) > 0))
            best = &t->routes[i];
    if (best == NULL) {
        FUZZ_CHECK(a->route == NULL && a->status == 404);
        FUZZ_CHECK(a->allow[0] == '\0');
        return;
    }
    /* The path's pattern: every matching route as specific as best. */
    const aff_route *want = NULL;
    char allow[8][8];
    size_t nallow = 0;
    for (size_t i = 0; i < t->n; i++) {
        const aff_route *r = &t->routes[i];
        if (!ref_match(r->pattern, path, plen))
            continue;
        int c = ref_rank(r->pattern, best->pattern);
        FUZZ_CHECK(c <= 0); /* best is the most specific */
        if (c != 0)
            continue;
        if (takes(r, method, mlen)) {
            FUZZ_CHECK(want == NULL); /* tables have one route per method and pattern */
            want = r;
        }
        FUZZ_CHECK(nallow + 2 <= 8);
        snprintf(allow[nallow++], sizeof(allow[0]), "%s", r->method);
        if (strcmp(r->method, "GET") == 0)
            snprintf(allow[nallow++], sizeof(allow[0]), "HEAD");
    }
    if (want != NULL) {
        FUZZ_CHECK(a->route != NULL);
        FUZZ_CHECK(strcmp(a->route->method, want->method) == 0 && strcmp(a->route->pattern, want->pattern) == 0);
        FUZZ_CHECK(takes(a->route, method, mlen));
        check_args(a, path, plen);
        return;
    }
    FUZZ_CHECK(a->route == NULL && a->status == 405);
    FUZZ_CHECK(strnlen(a->allow, AFF_ROUTE_ALLOW_MAX) < AFF_ROUTE_ALLOW_MAX);
    FUZZ_CHECK(a->allow[0] != '\0');
    FUZZ_CHECK(allow_count(a->allow) == nallow);
    for (size_t i = 0; i < nallow; i++) {
        FUZZ_CHECK(allow_has(a->allow, allow[i]));
        FUZZ_CHECK(!method_is(method, mlen, allow[i])); /* else it would have matched */
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(allow[i], allow[k]) != 0); /* each method once */
    }
}

/* ---- tables -------------------------------------------------------------------------- */

/* Like tests/unit/net/test_router.c's: ids before the actions that share their path. */
static aff_route synthetic[] = {
    {"GET", "/v1/things/:id", AFF_AUTH_NONE, NULL, "thing_get"},
    {"DELETE", "/v1/things/:id", AFF_AUTH_NONE, NULL, "thing_delete"},
    {"GET", "/v1/things/:id/parts/:part", AFF_AUTH_NONE, NULL, "part_get"},
    {"PATCH", "/v1/things/:id/parts/:part", AFF_AUTH_NONE, NULL, "part_patch"},
    {"POST", "/v1/things/import", AFF_AUTH_NONE, NULL, "things_import"},
    {"POST", "/v1/things/:id/parts/main", AFF_AUTH_NONE, NULL, "main_part_set"},
    {"GET", "/v1/things/import/:job", AFF_AUTH_NONE, NULL, "import_get"},
    {"GET", "/v1/:kind/:id", AFF_AUTH_NONE, NULL, "any_get"},
    {"GET", "/v1/things", AFF_AUTH_NONE, NULL, "things_list"},
    {"GET", "/:a", AFF_AUTH_NONE, NULL, "top"},
};

typedef struct variant {
    aff_routes prepared, unprepared, reversed;
} variant;

/* Copies of t's routes (the hits counter is atomic: field by field). */
static aff_route *copy_routes(const aff_routes *t, int reverse)
{
    aff_route *c = calloc(t->n, sizeof(*c));
    FUZZ_CHECK(c != NULL);
    for (size_t i = 0; i < t->n; i++) {
        const aff_route *r = &t->routes[reverse ? t->n - 1 - i : i];
        c[i].method = r->method;
        c[i].pattern = r->pattern;
        c[i].auth = r->auth;
        c[i].fn = r->fn;
        c[i].name = r->name;
        c[i].max_body = r->max_body;
    }
    return c;
}

/* What the matcher's contract assumes of a table: patterns start with '/', arguments
 * are whole segments, at most two of them. */
static void check_table(const aff_routes *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const char *p = t->routes[i].pattern;
        FUZZ_CHECK(p[0] == '/');
        int nargs = 0;
        for (const char *c = p; *c; c++)
            if (*c == ':') {
                FUZZ_CHECK(c[-1] == '/');
                nargs++;
            }
        FUZZ_CHECK(nargs <= 2);
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(t->routes[k].method, t->routes[i].method) != 0 || strcmp(t->routes[k].pattern, p) != 0);
    }
}

static void variant_init(variant *v, aff_routes *t)
{
    check_table(t);
    aff_routes_prepare(t);
    v->prepared = *t;
    v->unprepared.routes = copy_routes(t, 0);
    v->unprepared.n = t->n; /* sole stays 0: every match takes the careful way */
    v->reversed.routes = copy_routes(t, 1);
    v->reversed.n = t->n;
    aff_routes_prepare(&v->reversed);
}

static void check_variant(const variant *v, h2o_req_t *req, const char *method, size_t mlen, const char *path,
                          size_t plen)
{
    answer a, again, plain, rev;
    ask(&v->prepared, req, &a);
    check_reference(&v->prepared, &a, method, mlen, path, plen);
    ask(&v->prepared, req, &again);
    check_same(&a, &again);
    ask(&v->unprepared, req, &plain);
    check_same(&a, &plain);
    ask(&v->reversed, req, &rev);
    check_same(&a, &rev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static variant real, synth;
    static int ready;
    if (!ready) {
        variant_init(&real, aff_api_routes());
        static aff_routes st = {synthetic, sizeof(synthetic) / sizeof(synthetic[0])};
        variant_init(&synth, &st);
        ready = 1;
    }
    const uint8_t *sp = memchr(data, ' ', size < 16 ? size : 16);
    size_t mlen = sp != NULL ? (size_t)(sp - data) : 3;
    const uint8_t *pdata = sp != NULL ? sp + 1 : data;
    size_t psize = sp != NULL ? size - mlen - 1 : size;
    if (psize > MAX_PATH)
        return 0;
    /* Exactly sized copies, not NUL-terminated, as h2o hands them over. */
    char *method = sp != NULL ? fuzz_memdup(data, mlen) : fuzz_memdup((const uint8_t *)"GET", 3);
    char *path = fuzz_memdup(pdata, psize);

    h2o_req_t req;
    memset(&req, 0, sizeof(req));
    req.method = h2o_iovec_init(method, mlen);
    req.path = h2o_iovec_init(path, psize);
    const char *q = memchr(path, '?', psize);
    req.query_at = q != NULL ? (size_t)(q - path) : SIZE_MAX;
    size_t plen = q != NULL ? (size_t)(q - path) : psize;

    check_variant(&real, &req, method, mlen, path, plen);
    check_variant(&synth, &req, method, mlen, path, plen);

    free(path);
    free(method);
    return 0;
}
