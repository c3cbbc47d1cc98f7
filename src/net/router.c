/* router.c - pattern matching and auth for the route table; see router.h. */
#include "net/router.h"

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

aff_route *aff_route_match(const aff_routes *t, h2o_req_t *req, aff_http *h, int *status)
{
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    int path_matched = 0;
    int is_head = aff_http_method_is(req, "HEAD");
    for (size_t i = 0; i < t->n; i++) {
        aff_route *r = &t->routes[i];
        if (!match(r->pattern, req->path.base, plen, h))
            continue;
        path_matched = 1;
        if (aff_http_method_is(req, r->method) || (is_head && strcmp(r->method, "GET") == 0))
            return r;
    }
    *status = path_matched ? 405 : 404;
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
