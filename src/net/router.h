/*
 * router.h - the route table's shape and its matcher. The table itself is api/'s
 * (api/routes.c); net/ only matches "METHOD /path/:arg" patterns against a request and
 * enforces the route's auth requirement before calling its handler.
 */
#ifndef AFF_NET_ROUTER_H
#define AFF_NET_ROUTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "net/http.h"

enum {
    AFF_AUTH_NONE,             /* tracking endpoints, health */
    AFF_AUTH_ADMIN,            /* admin key */
    AFF_AUTH_AFFILIATE,        /* affiliate key */
    AFF_AUTH_ADMIN_OR_PROGRAM, /* admin key or a program's postback token */
    AFF_AUTH_ANY,              /* any admin or affiliate key or session */
};

typedef void (*aff_handler_fn)(aff_http *h);

typedef struct aff_route {
    const char *method;  /* "GET", "POST", "PATCH", "DELETE"; GET routes also answer HEAD */
    const char *pattern; /* "/v1/programs/:id"; at most 2 ":" arguments, each a whole segment */
    int auth;            /* AFF_AUTH_* */
    aff_handler_fn fn;
    const char *name; /* metrics label */
    size_t max_body;  /* 0: bodies above max_body_bytes are refused (413) before the handler;
                            else the route's own limit, which its handler enforces */
    _Atomic uint64_t hits;
    int sole; /* set by aff_routes_prepare: no other pattern of the table is more specific
                 for a path this one matches, so a match of path and method is final */
} aff_route;

typedef struct aff_routes {
    aff_route *routes;
    size_t n;
} aff_routes;

/* Which pattern a path belongs to: of the patterns that match it, the most specific,
 * comparing segment by segment: at the first segment where one pattern has text and the
 * other an argument, the text wins ("/v1/conversions/bulk" over "/v1/conversions/:id"),
 * so a path is one resource whatever the method, and the order of the table does not
 * matter. Call once on a table before matching with it (matching an unprepared table is
 * correct, only slower). */
void aff_routes_prepare(aff_routes *t);

/* "GET, HEAD, POST, PATCH, DELETE" fits. */
#define AFF_ROUTE_ALLOW_MAX 64

/* Find the route for req: the route of the path's pattern (above) with req's method
 * (a GET route answers HEAD too). Returns the route, or NULL with *status set to 404 (no
 * pattern matches) or 405 (the path's pattern has other methods; allow gets them, as an
 * Allow header lists them: "GET, HEAD, DELETE"). Fills h->path_args. */
aff_route *aff_route_match(const aff_routes *t, h2o_req_t *req, aff_http *h, int *status,
                           char allow[AFF_ROUTE_ALLOW_MAX]);

/* Authenticate per route->auth: the Authorization header's key against h->snap, or, when
 * there is no Authorization header, the session cookie against the session registry
 * (net/session.h). Fills h->role and ids (and h->via_session, user_id, csrf for a
 * session). A request authenticated by its session cookie whose method is not GET or
 * HEAD must carry the session's CSRF token in X-CSRF-Token. Returns 0, AFF_EAUTH or
 * AFF_EFORBIDDEN, with *why a message for the answer. */
int aff_route_authorize(const aff_route *route, aff_http *h, const char **why);

#endif
