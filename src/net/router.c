/* router.c - pattern matching and auth for the route table; see router.h. */
#include "net/router.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "net/session.h"

/* Match pattern against path (no query). 1 on match, filling args. */
static int match(const char *pattern, const char *path, size_t plen, aff_http *h)
{
    const char *p = pattern, *s = path, *end = path + plen;
    int nargs = 0;
    while (*p && s < end) {
        if (*p == ':') {
            while (*p && *p != '/')
                p++;
            const char *seg = s;
            while (s < end && *s != '/')
                s++;
            if (s == seg || nargs == 2)
                return 0;
            h->path_args[nargs++] = h2o_iovec_init(seg, (size_t)(s - seg));
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (*p != '\0' || s != end)
        return 0;
    h->nargs = nargs;
    return 1;
}

/* The next segment of a pattern from *p: its length, and whether it is an argument. */
static size_t next_segment(const char **p, int *arg)
{
    while (**p == '/')
        (*p)++;
    const char *start = *p;
    while (**p != '\0' && **p != '/')
        (*p)++;
    *arg = *start == ':';
    return (size_t)(*p - start);
}

/* >0 when pattern a is more specific than b (the first segment where one has text and
 * the other an argument is text in a), <0 when b is, 0 when neither. */
static int rank_cmp(const char *a, const char *b)
{
    for (;;) {
        int arg_a, arg_b;
        size_t la = next_segment(&a, &arg_a), lb = next_segment(&b, &arg_b);
        if (la == 0 || lb == 0)
            return 0;
        if (arg_a != arg_b)
            return arg_a ? -1 : 1;
    }
}

/* Can one path match both a and b? Same number of segments, and the same text wherever
 * both have text. */
static int overlap(const char *a, const char *b)
{
    for (;;) {
        int arg_a, arg_b;
        size_t la = next_segment(&a, &arg_a), lb = next_segment(&b, &arg_b);
        if (la == 0 || lb == 0)
            return la == lb;
        if (!arg_a && !arg_b && (la != lb || memcmp(a - la, b - lb, la) != 0))
            return 0;
    }
}

void aff_routes_prepare(aff_routes *t)
{
    for (size_t i = 0; i < t->n; i++) {
        aff_route *r = &t->routes[i];
        r->sole = 1;
        for (size_t k = 0; k < t->n && r->sole; k++)
            if (overlap(t->routes[k].pattern, r->pattern) && rank_cmp(t->routes[k].pattern, r->pattern) > 0)
                r->sole = 0;
    }
}

static int method_ok(h2o_req_t *req, const aff_route *r, int is_head)
{
    return aff_http_method_is(req, r->method) || (is_head && strcmp(r->method, "GET") == 0);
}

static void allow_add(char *allow, size_t *len, const char *m)
{
    int n = snprintf(allow + *len, AFF_ROUTE_ALLOW_MAX - *len, "%s%s", *len ? ", " : "", m);
    if (n > 0 && *len + (size_t)n < AFF_ROUTE_ALLOW_MAX)
        *len += (size_t)n;
    else
        allow[*len] = '\0'; /* the table has five methods at most: never here */
}

aff_route *aff_route_match(const aff_routes *t, h2o_req_t *req, aff_http *h, int *status,
                           char allow[AFF_ROUTE_ALLOW_MAX])
{
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    int is_head = aff_http_method_is(req, "HEAD");
    aff_route *best = NULL, *chosen = NULL; /* the path's pattern (a route of it); its route of the method */
    for (size_t i = 0; i < t->n; i++) {
        aff_route *r = &t->routes[i];
        if (!match(r->pattern, req->path.base, plen, h))
            continue;
        int ok = method_ok(req, r, is_head);
        if (ok && r->sole)
            return r; /* the click path: /r/:code is the first route, and sole */
        int c = best == NULL ? 1 : rank_cmp(r->pattern, best->pattern);
        if (c > 0) {
            best = r;
            chosen = ok ? r : NULL;
        } else if (c == 0 && ok && chosen == NULL) {
            chosen = r;
        }
    }
    if (chosen != NULL) {
        match(chosen->pattern, req->path.base, plen, h); /* its arguments, not the last match's */
        return chosen;
    }
    allow[0] = '\0';
    if (best == NULL) {
        *status = 404;
        return NULL;
    }
    size_t len = 0;
    for (size_t i = 0; i < t->n; i++) {
        aff_route *r = &t->routes[i];
        if (!match(r->pattern, req->path.base, plen, h) || rank_cmp(r->pattern, best->pattern) != 0)
            continue;
        allow_add(allow, &len, r->method);
        if (strcmp(r->method, "GET") == 0)
            allow_add(allow, &len, "HEAD");
    }
    *status = 405;
    return NULL;
}

/* Suspending or rejecting an affiliate takes effect at once, for its sessions and its
 * API keys alike. */
static int affiliate_may_act(aff_http *h, int64_t affiliate_id, const char **why)
{
    const aff_snap_affiliate *a = aff_snap_affiliate_get(h->snap, affiliate_id);
    if (a == NULL || a->status == AFF_AFF_SUSPENDED || a->status == AFF_AFF_REJECTED) {
        *why = "this affiliate account is suspended or rejected";
        return AFF_EFORBIDDEN;
    }
    return 0;
}

/* The session cookie, if any, as the caller's credentials. */
static int authorize_session(aff_http *h, const char **why)
{
    char token[AFF_SESSION_TOKEN_MAX + 1];
    if (!aff_session_cookie(h->req, token, sizeof(token))) {
        *why = "missing or invalid API key (Authorization: Bearer <key>) or session";
        return AFF_EAUTH;
    }
    unsigned char hash[AFF_SHA256_LEN];
    aff_session s;
    aff_sha256(token, strlen(token), hash);
    if (!aff_sessions_get(hash, aff_clock_now_ms(), &s)) {
        *why = "the session has expired or ended: sign in again";
        return AFF_EAUTH;
    }
    if (s.role == AFF_ROLE_AFFILIATE && affiliate_may_act(h, s.affiliate_id, why) != 0)
        return AFF_EFORBIDDEN;
    h->role = s.role;
    h->affiliate_id = s.affiliate_id;
    h->user_id = s.user_id;
    h->session_expires_ms = s.expires_ms;
    h->via_session = 1;
    memcpy(h->session_hash, hash, sizeof(hash));
    aff_session_csrf(token, h->csrf);
    if (aff_http_method_is(h->req, "GET") || aff_http_method_is(h->req, "HEAD"))
        return 0;
    const h2o_iovec_t *sent = aff_http_header(h->req, "x-csrf-token");
    if (sent == NULL || sent->len != AFF_CSRF_LEN || !aff_ct_equal(sent->base, h->csrf, AFF_CSRF_LEN)) {
        *why = "missing or wrong X-CSRF-Token for this session";
        return AFF_EFORBIDDEN;
    }
    return 0;
}

int aff_route_authorize(const aff_route *route, aff_http *h, const char **why)
{
    h->role = AFF_ROLE_NONE;
    h->via_session = 0;
    *why = "this key may not use this endpoint";
    if (route->auth == AFF_AUTH_NONE)
        return 0;
    const h2o_iovec_t *auth = aff_http_header(h->req, "authorization");
    if (auth == NULL) {
        int rc = authorize_session(h, why);
        if (rc != 0)
            return rc;
        *why = "this session may not use this endpoint";
    } else {
        *why = "missing or invalid API key (Authorization: Bearer <key>)";
        if (auth->len <= 7 || strncasecmp(auth->base, "Bearer ", 7) != 0)
            return AFF_EAUTH;
        const char *key = auth->base + 7;
        size_t klen = auth->len - 7;
        unsigned char hash[AFF_SHA256_LEN];
        aff_sha256(key, klen, hash);
        const aff_snap_key *k = aff_snap_key_get(h->snap, hash);
        if (k != NULL) {
            h->role = k->admin ? AFF_ROLE_ADMIN : AFF_ROLE_AFFILIATE;
            h->affiliate_id = k->affiliate_id;
            if (!k->admin && affiliate_may_act(h, k->affiliate_id, why) != 0)
                return AFF_EFORBIDDEN;
        } else if (route->auth == AFF_AUTH_ADMIN_OR_PROGRAM) {
            const aff_snap_program *p = aff_snap_program_by_token(h->snap, key, klen);
            if (p == NULL)
                return AFF_EAUTH;
            h->role = AFF_ROLE_PROGRAM;
            h->program_id = p->id;
            return 0;
        } else {
            return AFF_EAUTH;
        }
        *why = "this key may not use this endpoint";
    }
    switch (route->auth) {
    case AFF_AUTH_ADMIN:
    case AFF_AUTH_ADMIN_OR_PROGRAM:
        return h->role == AFF_ROLE_ADMIN ? 0 : AFF_EFORBIDDEN;
    case AFF_AUTH_AFFILIATE:
        return h->role == AFF_ROLE_AFFILIATE ? 0 : AFF_EFORBIDDEN;
    case AFF_AUTH_ANY:
        return h->role == AFF_ROLE_ADMIN || h->role == AFF_ROLE_AFFILIATE ? 0 : AFF_EFORBIDDEN;
    }
    return AFF_EFORBIDDEN;
}
