/*
 * creatives.c - banners and texts a brand gives its affiliates (docs/api.md
 * "Creatives"): POST /v1/creatives (text), POST /v1/creatives/image (a banner as the
 * raw request body), GET/DELETE /v1/creatives[/{id}], the portal's /v1/me/creatives
 * with a ready-to-paste snippet around the caller's own tracking link, and the public
 * banner URL GET /c/{id}.{ext}.
 *
 * Owns: the upload limit and type check (magic bytes through core/image.h, never the
 * client's Content-Type; SVG refused), the snippet, the image's caching headers.
 * Does not own: storage (the store's creative table), which programs an affiliate
 * belongs to (content.c / the store).
 *
 * Flow of an upload: loop (size, sniff, copy the bytes off the request) -> writer
 * (program exists, insert, commit) -> loop (201). A banner fetch: loop -> reader (read
 * the blob) -> loop (200, or 304 when the ETag matches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/image.h"

/* ---- rendering ------------------------------------------------------------------------ */

static const char *ext_of(const char *mime)
{
    static const char *const map[][2] = {
        {"image/png", "png"}, {"image/jpeg", "jpg"}, {"image/gif", "gif"}, {"image/webp", "webp"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(mime, map[i][0]) == 0)
            return map[i][1];
    return "bin";
}

static void image_url(const aff_creative_row *r, const char *public_url, char *out, size_t cap)
{
    snprintf(out, cap, "%s/c/%lld.%s", public_url, (long long)r->id, ext_of(r->mime));
}

static json_t *render_creative(const aff_creative_row *r, const char *public_url)
{
    int image = strcmp(r->kind, "image") == 0;
    char url[700];
    image_url(r, public_url, url, sizeof(url));
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:o}", "id", (json_int_t)r->id, "program_id", (json_int_t)r->program_id,
                          "kind", r->kind, "name", r->name, "created_at", aff_render_time(r->created_ms));
    if (image) {
        json_object_set_new(o, "text", json_null());
        json_object_set_new(o, "mime", json_string(r->mime));
        json_object_set_new(o, "width", r->width ? json_integer(r->width) : json_null());
        json_object_set_new(o, "height", r->height ? json_integer(r->height) : json_null());
        json_object_set_new(o, "bytes", json_integer(r->bytes));
        json_object_set_new(o, "image_url", json_string(url));
    } else {
        json_object_set_new(o, "text", json_string(r->body));
        json_object_set_new(o, "mime", json_null());
        json_object_set_new(o, "width", json_null());
        json_object_set_new(o, "height", json_null());
        json_object_set_new(o, "bytes", json_null());
        json_object_set_new(o, "image_url", json_null());
    }
    return o;
}

/* Append s to the growing buffer b (cap bytes), HTML-escaped when esc. 0 or AFF_ETOOBIG. */
static int put(char *b, size_t cap, size_t *n, const char *s, int esc)
{
    for (; *s; s++) {
        const char *rep = NULL;
        if (esc)
            rep = *s == '&'    ? "&amp;"
                  : *s == '<'  ? "&lt;"
                  : *s == '>'  ? "&gt;"
                  : *s == '"'  ? "&quot;"
                  : *s == '\'' ? "&#39;"
                               : NULL;
        size_t k = rep ? strlen(rep) : 1;
        if (*n + k >= cap)
            return AFF_ETOOBIG;
        memcpy(b + *n, rep ? rep : s, k);
        *n += k;
    }
    b[*n] = '\0';
    return 0;
}

/* The text an affiliate pastes: for a banner, HTML linking the image to its tracking
 * URL; for a text creative, the text with "{link}" replaced by the tracking URL (or the
 * URL appended after a space when the text has no "{link}"). Plain text stays text: it
 * goes into e-mails and posts, not HTML. */
int aff_creative_snippet(const aff_creative_row *r, const char *public_url, const char *link_url, char *out, size_t cap)
{
    size_t n = 0;
    int rc = 0;
    out[0] = '\0';
    if (strcmp(r->kind, "image") == 0) {
        char img[700], dims[64] = "";
        image_url(r, public_url, img, sizeof(img));
        if (r->width && r->height)
            snprintf(dims, sizeof(dims), " width=\"%d\" height=\"%d\"", r->width, r->height);
        rc = put(out, cap, &n, "<a href=\"", 0);
        if (rc == 0)
            rc = put(out, cap, &n, link_url, 1);
        if (rc == 0)
            rc = put(out, cap, &n, "\"><img src=\"", 0);
        if (rc == 0)
            rc = put(out, cap, &n, img, 1);
        if (rc == 0)
            rc = put(out, cap, &n, "\" alt=\"", 0);
        if (rc == 0)
            rc = put(out, cap, &n, r->name, 1);
        if (rc == 0)
            rc = put(out, cap, &n, "\"", 0);
        if (rc == 0)
            rc = put(out, cap, &n, dims, 0);
        if (rc == 0)
            rc = put(out, cap, &n, "></a>", 0);
        return rc;
    }
    const char *at = strstr(r->body, "{link}");
    if (at == NULL) {
        rc = put(out, cap, &n, r->body, 0);
        if (rc == 0 && r->body[0])
            rc = put(out, cap, &n, " ", 0);
        return rc == 0 ? put(out, cap, &n, link_url, 0) : rc;
    }
    for (const char *s = r->body; rc == 0 && *s;) {
        if (strncmp(s, "{link}", 6) == 0) {
            rc = put(out, cap, &n, link_url, 0);
            s += 6;
        } else {
            char one[2] = {*s++, '\0'};
            rc = put(out, cap, &n, one, 0);
        }
    }
    return rc;
}

/* ---- POST /v1/creatives (text) ------------------------------------------------------------ */

static int program_exists_422(aff_ctx *ctx, int64_t id, aff_errinfo *err)
{
    aff_program_row *p = malloc(sizeof(*p));
    if (p == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_program_get(ctx->st, id, p);
    free(p);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, AFF_EINVAL, "program_id", "program_id: no such program");
    return rc;
}

static int run_text_create(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    static const char *const allowed[] = {"program_id", "name", "text", "kind", NULL};
    static const char *const kinds[] = {"text", NULL};
    aff_creative_row *r = calloc(1, sizeof(*r));
    int rc = r == NULL ? AFF_ENOMEM : aff_field_only(j->in, allowed, &job->err);
    if (rc == 0)
        rc = aff_field_enum(j->in, "kind", kinds, r->kind, sizeof(r->kind), NULL, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 1, 1, INT64_MAX, &r->program_id, NULL, &job->err);
    if (rc == 0)
        rc = aff_field_str(j->in, "name", 1, 0, AFF_NAME_MAX, r->name, sizeof(r->name), NULL, &job->err);
    if (rc == 0)
        rc = aff_field_text(j->in, "text", 1, AFF_CREATIVE_TEXT_MAX, r->body, sizeof(r->body), NULL, &job->err);
    if (rc == 0 && r->body[0] == '\0')
        rc = aff_fail(&job->err, AFF_EINVAL, "text", "text: must not be empty");
    if (rc == 0)
        rc = program_exists_422(ctx, r->program_id, &job->err);
    if (rc == 0) {
        snprintf(r->kind, sizeof(r->kind), "text");
        r->created_ms = aff_clock_now_ms();
        rc = aff_store_creative_insert(ctx->st, r);
    }
    if (rc == 0) {
        j->out = render_creative(r, j->public_url);
        j->status = 201;
    }
    free(r);
    return rc;
}

void aff_api_creatives_create(aff_http *h)
{
    aff_api_submit_body(h, run_text_create, 0);
}

/* ---- POST /v1/creatives/image?program_id=&name= (raw body) ----------------------------------- */

typedef struct upload_job {
    aff_pending base;
    aff_creative_row row;
    unsigned char *bytes; /* owned */
    char public_url[512];
    json_t *out;
} upload_job;

static void upload_cleanup(aff_pending *p)
{
    upload_job *j = AFF_CONTAINER_OF(p, upload_job, base);
    free(j->bytes);
    json_decref(j->out);
}

static int run_upload(aff_job *job, aff_ctx *ctx)
{
    upload_job *j = AFF_CONTAINER_OF(job, upload_job, base.job);
    json_decref(j->out);
    j->out = NULL;
    int rc = program_exists_422(ctx, j->row.program_id, &job->err);
    if (rc == 0) {
        j->row.image = j->bytes;
        rc = aff_store_creative_insert(ctx->st, &j->row);
        j->row.image = NULL;
    }
    if (rc == 0)
        j->out = render_creative(&j->row, j->public_url);
    return rc;
}

static void upload_respond(aff_pending *p, h2o_req_t *req)
{
    upload_job *j = AFF_CONTAINER_OF(p, upload_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    json_t *out = j->out;
    j->out = NULL;
    aff_http_json(req, 201, out);
}

/* The query's program_id and name, checked like body fields (422 naming the field). */
static int upload_params(aff_http *h, aff_creative_row *r, aff_errinfo *err)
{
    aff_params ps;
    int rc = aff_http_params(h->req, 0, &ps);
    if (rc != 0)
        return aff_api_params_error(&ps, rc, err);
    const aff_param *pid = aff_params_get1(&ps, "program_id");
    const aff_param *name = aff_params_get1(&ps, "name");
    if (pid == NULL || pid->value_len == 0)
        return aff_fail(err, AFF_EINVAL, "program_id", "program_id is required");
    int64_t v = 0;
    for (size_t i = 0; i < pid->value_len; i++) {
        if (pid->value[i] < '0' || pid->value[i] > '9' || i >= 18)
            return aff_fail(err, AFF_EINVAL, "program_id", "program_id: expected a positive integer id");
        v = v * 10 + (pid->value[i] - '0');
    }
    if (v <= 0)
        return aff_fail(err, AFF_EINVAL, "program_id", "program_id: expected a positive integer id");
    r->program_id = v;
    if (name == NULL || name->value_len == 0)
        return aff_fail(err, AFF_EINVAL, "name", "name is required");
    if (name->value_len > AFF_NAME_MAX)
        return aff_fail(err, AFF_EINVAL, "name", "name: longer than %d bytes", AFF_NAME_MAX);
    for (size_t i = 0; i < name->value_len; i++)
        if ((unsigned char)name->value[i] < 0x20 || name->value[i] == 0x7f)
            return aff_fail(err, AFF_EINVAL, "name", "name: control characters are not allowed");
    memcpy(r->name, name->value, name->value_len + 1);
    return 0;
}

/* Type and size from the bytes themselves. */
static int upload_sniff(const unsigned char *b, size_t n, aff_creative_row *r, aff_errinfo *err)
{
    aff_image_info info;
    if (n == 0)
        return aff_fail(err, AFF_EINVAL, "image", "image: the request body is empty; send the image's bytes");
    if (n > AFF_CREATIVE_IMAGE_MAX)
        return aff_fail(err, AFF_ETOOBIG, "image", "image: larger than %d bytes", AFF_CREATIVE_IMAGE_MAX);
    if (aff_image_sniff(b, n, &info) != 0) {
        if (aff_image_looks_like_markup(b, n))
            return aff_fail(
                err, AFF_EINVAL, "image",
                "image: SVG and other markup is not accepted (it can carry scripts); upload PNG, JPEG, GIF or WebP");
        return aff_fail(err, AFF_EINVAL, "image", "image: not a PNG, JPEG, GIF or WebP image");
    }
    snprintf(r->kind, sizeof(r->kind), "image");
    snprintf(r->mime, sizeof(r->mime), "%s", info.mime);
    r->width = info.width;
    r->height = info.height;
    r->bytes = (int64_t)n;
    aff_sha256_hex(b, n, r->sha256);
    return 0;
}

void aff_api_creatives_upload(aff_http *h)
{
    aff_creative_row r;
    aff_errinfo err = {0};
    memset(&r, 0, sizeof(r));
    const unsigned char *b = (const unsigned char *)h->req->entity.base;
    size_t n = h->req->entity.base ? h->req->entity.len : 0;
    int rc = upload_sniff(b, n, &r, &err);
    if (rc == 0)
        rc = upload_params(h, &r, &err);
    if (rc != 0) {
        aff_http_error(h->req, rc, &err);
        return;
    }
    upload_job *j = aff_pending_new(h, sizeof(*j), run_upload, upload_respond);
    unsigned char *copy = j != NULL ? malloc(n) : NULL;
    if (copy == NULL) {
        if (j != NULL)
            aff_pending_discard(&j->base);
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memcpy(copy, b, n);
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->row = r;
    j->bytes = copy;
    j->row.created_ms = aff_clock_now_ms();
    snprintf(j->public_url, sizeof(j->public_url), "%s", aff_server.public_url);
    j->base.cleanup = upload_cleanup;
    aff_pending_submit(&j->base, 1);
}

/* ---- lists, get, delete --------------------------------------------------------------------- */

/* Admin: every creative; affiliate: those of its programs (the store's rule), each with
 * its own link and snippet, and none until it is approved. */
typedef struct me_ctx {
    aff_api_job *j;
    int64_t pids[AFF_API_MEMBERS_MAX];
    char links[AFF_API_MEMBERS_MAX][700]; /* "" : no link in that program */
    size_t n;
} me_ctx;

static json_t *render_for(me_ctx *m, const aff_creative_row *r)
{
    json_t *o = render_creative(r, m->j->public_url);
    if (m->j->role != AFF_ROLE_AFFILIATE)
        return o;
    const char *link = "";
    for (size_t i = 0; i < m->n; i++)
        if (m->pids[i] == r->program_id)
            link = m->links[i];
    /* Room for the worst case: every byte escaped to 6, every "{link}" replaced. */
    size_t cap = 6 * (strlen(r->name) + strlen(r->body) + strlen(link) + 2 * sizeof(m->links[0])) +
                 (strlen(r->body) / 6 + 1) * strlen(link) + 64;
    char *snip = link[0] ? malloc(cap) : NULL;
    if (snip != NULL && aff_creative_snippet(r, m->j->public_url, link, snip, cap) == 0) {
        json_object_set_new(o, "link_url", json_string(link));
        json_object_set_new(o, "snippet", json_string(snip));
    } else {
        json_object_set_new(o, "link_url", json_null());
        json_object_set_new(o, "snippet", json_null());
    }
    free(snip);
    return o;
}

static int list_add(void *ud, const aff_creative_row *r)
{
    me_ctx *m = ud;
    if (m->j->csv) {
        json_t *o = render_for(m, r);
        int rc = aff_csv_rows(m->j->csv_out) >= AFF_CSV_MAX_ROWS ? AFF_ETOOBIG : aff_csv_row(m->j->csv_out, o);
        json_decref(o);
        return rc;
    }
    return aff_render_list_add(m->j->out, render_for(m, r), m->j->q.limit);
}

/* For an affiliate: its programs and links; *visible = 0 when it may see no creative. */
static int me_prepare(me_ctx *m, aff_ctx *ctx, int *visible)
{
    aff_api_job *j = m->j;
    *visible = 1;
    m->n = 0;
    if (j->role != AFF_ROLE_AFFILIATE)
        return 0;
    int rc = aff_api_caller_approved(ctx, j->affiliate_id, visible);
    if (rc != 0 || !*visible)
        return rc;
    int64_t lids[AFF_API_MEMBERS_MAX];
    rc = aff_api_members(ctx, j->affiliate_id, m->pids, lids, &m->n);
    aff_link_row *l = malloc(sizeof(*l));
    if (rc == 0 && l == NULL)
        rc = AFF_ENOMEM;
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        m->links[i][0] = '\0';
        if (lids[i] != 0 && aff_store_link_get(ctx->st, lids[i], l) == 0)
            snprintf(m->links[i], sizeof(m->links[i]), "%s/r/%s", j->public_url, l->code);
    }
    free(l);
    return rc;
}

static int run_list(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    me_ctx *m = malloc(sizeof(*m));
    if (m == NULL)
        return AFF_ENOMEM;
    m->j = j;
    int visible;
    j->out = aff_render_list_new();
    int rc = me_prepare(m, ctx, &visible);
    if (rc == 0 && j->csv) { /* the header from an empty row, as AFF_API_LISTER does */
        aff_creative_row *zero = calloc(1, sizeof(*zero));
        json_t *t = zero != NULL ? render_for(m, zero) : NULL;
        free(zero);
        j->csv_out = t != NULL ? aff_csv_new(t, AFF_CSV_MAX_BYTES) : NULL;
        json_decref(t);
        if (j->csv_out == NULL)
            rc = AFF_ENOMEM;
    }
    if (rc == 0 && visible) {
        aff_list_query q = j->q;
        q.limit = j->csv ? AFF_CSV_MAX_ROWS + 1 : q.limit + 1; /* CSV: every row, no page */
        if (j->csv) {
            q.after = 0;
            q.from.set = 0;
        }
        if (j->role == AFF_ROLE_AFFILIATE)
            q.affiliate_id = j->affiliate_id;
        memset(&j->last, 0, sizeof(j->last));
        q.last = &j->last;
        rc = aff_store_creative_list(ctx->st, &q, list_add, m);
    }
    if (rc == 0)
        aff_api_list_finish(j);
    free(m);
    return rc != 0 ? aff_api_list_fail(job, rc) : 0;
}

/* Each row (and CSV line) is built with the caller's own link (docs/api.md). */
static const aff_api_list_spec creatives_spec = {"creatives", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(NAME), 1, 1, 0, 0};

void aff_api_creatives_list(aff_http *h)
{
    aff_api_submit_list(h, run_list, &creatives_spec);
}

static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    me_ctx *m = malloc(sizeof(*m));
    aff_creative_row *r = malloc(sizeof(*r));
    int visible = 0, rc = m == NULL || r == NULL ? AFF_ENOMEM : 0;
    if (rc == 0) {
        m->j = j;
        rc = me_prepare(m, ctx, &visible);
    }
    if (rc == 0)
        rc = aff_store_creative_get(ctx->st, j->id, r);
    if (rc == 0 && j->role == AFF_ROLE_AFFILIATE) {
        int mine = 0;
        for (size_t i = 0; visible && i < m->n; i++)
            mine |= m->pids[i] == r->program_id;
        if (!mine)
            rc = AFF_ENOTFOUND; /* another affiliate's program: exactly as a missing id */
    }
    if (rc == AFF_ENOTFOUND)
        rc = aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such creative");
    if (rc == 0)
        j->out = render_for(m, r);
    free(r);
    free(m);
    return rc;
}

void aff_api_creatives_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}

static int run_delete(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    int rc = aff_store_creative_delete(ctx->st, j->id);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such creative");
    if (rc == 0)
        j->out = json_pack("{s:I, s:b}", "id", (json_int_t)j->id, "deleted", 1);
    return rc;
}

void aff_api_creatives_delete(aff_http *h)
{
    aff_api_submit_action(h, run_delete, 1);
}

/* ---- GET /c/{id}.{ext}: the public banner --------------------------------------------------- */

typedef struct image_job {
    aff_pending base;
    int64_t id;
    unsigned char *data; /* owned */
    size_t len;
    char mime[16], sha256[65];
} image_job;

static void image_cleanup(aff_pending *p)
{
    image_job *j = AFF_CONTAINER_OF(p, image_job, base);
    free(j->data);
}

static int run_image(aff_job *job, aff_ctx *ctx)
{
    image_job *j = AFF_CONTAINER_OF(job, image_job, base.job);
    int rc = aff_store_creative_image(ctx->st, j->id, &j->data, &j->len, j->mime, j->sha256);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such image");
    return rc;
}

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, strlen(value));
}

/* The bytes never change under an id (a new banner is a new id), so browsers and CDNs
 * may keep them a year; the ETag answers revalidations with 304. nosniff and the
 * sandboxing CSP keep a browser from treating the bytes as anything but an image. */
static void image_respond(aff_pending *p, h2o_req_t *req)
{
    image_job *j = AFF_CONTAINER_OF(p, image_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    char etag[72];
    snprintf(etag, sizeof(etag), "\"%.32s\"", j->sha256);
    add_header(req, "etag", etag);
    add_header(req, "cache-control", "public, max-age=31536000, immutable");
    add_header(req, "x-content-type-options", "nosniff");
    add_header(req, "content-security-policy", "default-src 'none'; sandbox");
    add_header(req, "cross-origin-resource-policy", "cross-origin");
    const h2o_iovec_t *inm = aff_http_header(req, "if-none-match");
    if (inm != NULL && h2o_contains_token(inm->base, inm->len, etag, strlen(etag), ',')) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, "", 0);
        return;
    }
    aff_http_send(req, 200, j->mime, (const char *)j->data, j->len);
}

void aff_api_creative_image(aff_http *h)
{
    /* "{id}.{ext}": any accepted extension (the Content-Type is the stored type, whatever it says). */
    const h2o_iovec_t *arg = &h->path_args[0];
    char file[64];
    if (h->nargs < 1 || arg->len == 0 || arg->len >= sizeof(file)) {
        aff_http_errorf(h->req, AFF_ENOTFOUND, NULL, "no such image");
        return;
    }
    memcpy(file, arg->base, arg->len);
    file[arg->len] = '\0';
    char *dot = strchr(file, '.');
    int64_t id = 0;
    size_t digits = 0;
    for (const char *s = file; *s >= '0' && *s <= '9' && digits < 18; s++, digits++)
        id = id * 10 + (*s - '0');
    if (dot == NULL || (size_t)(dot - file) != digits || id <= 0 || aff_image_mime_of_ext(dot + 1) == NULL) {
        aff_http_errorf(h->req, AFF_ENOTFOUND, NULL, "no such image");
        return;
    }
    image_job *j = aff_pending_new(h, sizeof(*j), run_image, image_respond);
    if (j == NULL) {
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->id = id;
    j->base.cleanup = image_cleanup;
    aff_pending_submit(&j->base, 0);
}
