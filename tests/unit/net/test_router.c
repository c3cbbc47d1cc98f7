/* test_router.c - unit tests for the route matcher (src/net/router.c): a path belongs
 * to its most specific pattern whatever the method and the table's order, a wrong
 * method is 405 with the pattern's methods, and aff_routes_prepare only speeds up what
 * an unprepared table answers too. */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "net/router.h"
#include "../test.h"

/* A request of method for path (with an optional query), as the matcher reads it. */
static h2o_req_t req_for(const char *method, const char *path)
{
    h2o_req_t req;
    memset(&req, 0, sizeof(req));
    req.method = h2o_iovec_init(method, strlen(method));
    req.path = h2o_iovec_init(path, strlen(path));
    const char *q = strchr(path, '?');
    req.query_at = q != NULL ? (size_t)(q - path) : SIZE_MAX;
    return req;
}

/* The name of the route for method and path, or "404"/"405 <Allow>" in out. */
static const char *route_of(const aff_routes *t, const char *method, const char *path, char *out, size_t cap)
{
    h2o_req_t req = req_for(method, path);
    aff_http h = {.req = &req};
    int status = 0;
    char allow[AFF_ROUTE_ALLOW_MAX];
    aff_route *r = aff_route_match(t, &req, &h, &status, allow);
    if (r == NULL) {
        snprintf(out, cap, "%d%s%s", status, allow[0] ? " " : "", allow);
        return out;
    }
    snprintf(out, cap, "%s", r->name);
    if (h.nargs > 0)
        snprintf(out + strlen(out), cap - strlen(out), " %.*s", (int)h.path_args[0].len, h.path_args[0].base);
    return out;
}

/* The id routes come first on purpose: the table's order must not matter. */
static aff_route synthetic[] = {
    {"GET", "/v1/things/:id", AFF_AUTH_NONE, NULL, "thing_get"},
    {"DELETE", "/v1/things/:id", AFF_AUTH_NONE, NULL, "thing_delete"},
    {"GET", "/v1/things/:id/parts/:part", AFF_AUTH_NONE, NULL, "part_get"},
    {"POST", "/v1/things/import", AFF_AUTH_NONE, NULL, "things_import"},
    {"POST", "/v1/things/:id/parts/main", AFF_AUTH_NONE, NULL, "main_part_set"},
    {"GET", "/v1/things", AFF_AUTH_NONE, NULL, "things_list"},
};

static void check_synthetic(aff_routes *t)
{
    char b[128];
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/7", b, sizeof(b)), "thing_get 7");
    AFF_CHECK_STR(route_of(t, "HEAD", "/v1/things/7?x=1", b, sizeof(b)), "thing_get 7");
    AFF_CHECK_STR(route_of(t, "DELETE", "/v1/things/7", b, sizeof(b)), "thing_delete 7");
    AFF_CHECK_STR(route_of(t, "PUT", "/v1/things/7", b, sizeof(b)), "405 GET, HEAD, DELETE");
    /* the text beats the id, whatever the method */
    AFF_CHECK_STR(route_of(t, "POST", "/v1/things/import", b, sizeof(b)), "things_import");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/import", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "DELETE", "/v1/things/import", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "HEAD", "/v1/things/import", b, sizeof(b)), "405 POST");
    /* two arguments: the first segment that differs decides */
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/7/parts/side", b, sizeof(b)), "part_get 7");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/7/parts/main", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "POST", "/v1/things/7/parts/main", b, sizeof(b)), "main_part_set 7");
    AFF_CHECK_STR(route_of(t, "POST", "/v1/things/7/parts/side", b, sizeof(b)), "405 GET, HEAD");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things", b, sizeof(b)), "things_list");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/", b, sizeof(b)), "404");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/things/7/parts", b, sizeof(b)), "404");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/other", b, sizeof(b)), "404");
}

AFF_TEST(router_text_beats_an_argument_whatever_the_method_and_order)
{
    aff_routes t = {synthetic, sizeof(synthetic) / sizeof(synthetic[0])};
    for (size_t i = 0; i < t.n; i++)
        t.routes[i].sole = 0;
    check_synthetic(&t); /* unprepared: every match takes the careful way */
    aff_routes_prepare(&t);
    AFF_CHECK_INT(synthetic[0].sole, 0); /* GET /v1/things/:id: /v1/things/import */
    AFF_CHECK_INT(synthetic[1].sole, 0);
    AFF_CHECK_INT(synthetic[2].sole, 0); /* .../parts/:part: .../parts/main */
    AFF_CHECK_INT(synthetic[3].sole, 1);
    AFF_CHECK_INT(synthetic[4].sole, 1);
    AFF_CHECK_INT(synthetic[5].sole, 1);
    check_synthetic(&t);
}

AFF_TEST(router_api_table_action_paths_are_their_own)
{
    aff_routes *t = aff_api_routes();
    aff_routes_prepare(t);
    char b[128];
    AFF_CHECK_STR(route_of(t, "GET", "/v1/conversions/bulk", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "POST", "/v1/conversions/bulk", b, sizeof(b)), "conversions_bulk");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/conversions/12", b, sizeof(b)), "conversions_get 12");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/payouts/run", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "GET", "/v1/payouts/3", b, sizeof(b)), "payouts_get 3");
    AFF_CHECK_STR(route_of(t, "DELETE", "/v1/creatives/image", b, sizeof(b)), "405 POST");
    AFF_CHECK_STR(route_of(t, "DELETE", "/v1/creatives/4", b, sizeof(b)), "creatives_delete 4");
    AFF_CHECK_STR(route_of(t, "GET", "/r/abc?sub1=x", b, sizeof(b)), "redirect abc");
    AFF_CHECK_STR(route_of(t, "POST", "/r/abc", b, sizeof(b)), "405 GET, HEAD");
    AFF_CHECK_STR(route_of(t, "PATCH", "/v1/session", b, sizeof(b)), "405 POST, GET, HEAD, DELETE");
    /* the click path stays a first-route match */
    AFF_CHECK_STR(t->routes[0].pattern, "/r/:code");
    AFF_CHECK_INT(t->routes[0].sole, 1);
    /* only the id routes that meet an action's path lose the shortcut */
    int shared = 0;
    for (size_t i = 0; i < t->n; i++)
        shared += !t->routes[i].sole;
    AFF_CHECK_INT(shared, 4); /* GET conversions/:id, GET payouts/:id, GET and DELETE creatives/:id */
}
