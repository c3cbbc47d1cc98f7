/* router.c - pattern matching and auth for the route table; see router.h. */
#include "net/router.h"

#include <string.h>

#include "core/crypto.h"

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

int aff_route_authorize(const aff_route *route, aff_http *h)
{
    h->role = AFF_ROLE_NONE;
    if (route->auth == AFF_AUTH_NONE)
        return 0;
    const h2o_iovec_t *auth = aff_http_header(h->req, "authorization");
    if (auth == NULL || auth->len <= 7 || strncasecmp(auth->base, "Bearer ", 7) != 0)
        return AFF_EAUTH;
    const char *key = auth->base + 7;
    size_t klen = auth->len - 7;
    unsigned char hash[AFF_SHA256_LEN];
    aff_sha256(key, klen, hash);
    const aff_snap_key *k = aff_snap_key_get(h->snap, hash);
    if (k != NULL) {
        h->role = k->admin ? AFF_ROLE_ADMIN : AFF_ROLE_AFFILIATE;
        h->affiliate_id = k->affiliate_id;
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
    switch (route->auth) {
    case AFF_AUTH_ADMIN:
    case AFF_AUTH_ADMIN_OR_PROGRAM:
        return h->role == AFF_ROLE_ADMIN ? 0 : AFF_EFORBIDDEN;
    case AFF_AUTH_AFFILIATE:
        return h->role == AFF_ROLE_AFFILIATE ? 0 : AFF_EFORBIDDEN;
    }
    return AFF_EFORBIDDEN;
}
