/*
 * static.c - serves the embedded dashboard files (net/assets.h) for GET and HEAD.
 *
 * Caching: every answer carries its ETag and `Cache-Control: no-cache`, so a browser
 * keeps the bytes but revalidates (a 304 without body) and never runs files from an
 * older build. Every answer carries the CSP and the other headers of AFF_CSP's comment.
 * Nothing here blocks: the files are in the binary.
 */
#include <string.h>

#include "net/assets.h"
#include "net/static.h"

const aff_asset *aff_asset_find(const char *path, size_t len)
{
    for (size_t i = 0; i < aff_nassets; i++)
        if (strlen(aff_assets[i].path) == len && memcmp(aff_assets[i].path, path, len) == 0)
            return &aff_assets[i];
    return NULL;
}

static void add(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, strlen(value));
}

static void add_str(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, strlen(value));
}

void aff_static_security_headers(h2o_req_t *req)
{
    add_str(req, "content-security-policy", AFF_CSP);
    add_str(req, "x-content-type-options", "nosniff");
    add_str(req, "x-frame-options", "DENY");
    add_str(req, "referrer-policy", "same-origin");
}

/* Does the If-None-Match header list etag (or "*")? */
static int etag_matches(h2o_req_t *req, const char *etag)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    if (i < 0)
        return 0;
    const h2o_iovec_t *v = &req->headers.entries[i].value;
    size_t n = strlen(etag);
    for (size_t k = 0; k + n <= v->len; k++)
        if (memcmp(v->base + k, etag, n) == 0)
            return 1;
    return v->len == 1 && v->base[0] == '*';
}

int aff_static_serve(h2o_req_t *req)
{
    int is_get = req->method.len == 3 && memcmp(req->method.base, "GET", 3) == 0;
    int is_head = req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0;
    if (!is_get && !is_head)
        return 0;
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const aff_asset *a = aff_asset_find(req->path.base, plen);
    if (a == NULL)
        return 0;
    aff_static_security_headers(req);
    add(req, H2O_TOKEN_ETAG, a->etag);
    add(req, H2O_TOKEN_CACHE_CONTROL, "no-cache");
    if (etag_matches(req, a->etag)) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, NULL, 0);
        return 1;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = a->len;
    add(req, H2O_TOKEN_CONTENT_TYPE, a->type);
    h2o_send_inline(req, (const char *)a->data, a->len);
    return 1;
}
