/*
 * tracking.c - the unauthenticated tracking endpoints: GET /r/{code} (the click path),
 * /postback and /px.gif. The click path resolves everything from the snapshot on the
 * event loop, screens the click there (track/fraud.h: block answers 403, the other
 * verdicts travel on the row) and only hands the writer a finished click row, so the
 * writer's work per click is one uniqueness lookup, one insert and one rollup upsert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/conversions.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/url.h"
#include "track/click.h"
#include "track/clickcap.h"
#include "track/fraud.h"

typedef struct click_job {
    aff_pending base;
    uint64_t fingerprint;
    int set_first_click; /* a first_click program without its own valid cookie yet */
    int cookie_days;
    int secure;
    /* In the request's pool: read only while the request lives (respond is called only
     * then). fallback is the destination without click id, if recording fails. */
    const char *location, *fallback;
    aff_click_row row; /* last: only the bytes written are touched */
} click_job;

static const char page_404[] = "<!doctype html><meta charset=utf-8><title>Link not found</title>"
                               "<h1>Link not found</h1><p>This tracking link does not exist.</p>\n";
static const char page_403[] = "<!doctype html><meta charset=utf-8><title>Blocked</title>"
                               "<h1>Blocked</h1><p>This request was refused.</p>\n";
static const char page_400[] = "<!doctype html><meta charset=utf-8><title>Bad link</title>"
                               "<h1>Bad link</h1><p>This link's destination is not allowed.</p>\n";

static void send_page(h2o_req_t *req, int status, const char *page, size_t len)
{
    aff_http_send(req, status, "text/html; charset=utf-8", page, len);
}

/* "NAME=ID; Max-Age=S; Path=/; HttpOnly; SameSite=Lax[; Secure]" in the request pool,
 * assembled with h2o_concat (snprintf was a visible share of the click path). */
static h2o_iovec_t click_cookie(h2o_req_t *req, const char *name, const char *click_id, int cookie_days, int secure)
{
    char age[24];
    size_t n = sizeof(age);
    uint64_t v = (uint64_t)cookie_days * 86400;
    do {
        age[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return h2o_concat(&req->pool, h2o_iovec_init(name, strlen(name)), h2o_iovec_init(H2O_STRLIT("=")),
                      h2o_iovec_init(click_id, strlen(click_id)), h2o_iovec_init(H2O_STRLIT("; Max-Age=")),
                      h2o_iovec_init(age + n, sizeof(age) - n),
                      h2o_iovec_init(H2O_STRLIT("; Path=/; HttpOnly; SameSite=Lax")),
                      secure ? h2o_iovec_init(H2O_STRLIT("; Secure")) : h2o_iovec_init("", 0));
}

/* A 302 with our own headers. h2o_send_redirect would drop the Set-Cookie header (it
 * resets res.headers); a known content length keeps the connection alive. */
/* A first_click program keeps its first click in a cookie of its own,
 * afftrack_fc<program id>=<click id>, while afftrack_click always holds the latest click
 * of any program (docs/api.md). The pixel prefers the program's own cookie. */
static void first_click_cookie_name(int64_t program_id, char *out, size_t cap)
{
    snprintf(out, cap, "afftrack_fc%lld", (long long)program_id);
}

static void add_first_click_cookie(h2o_req_t *req, int64_t program_id, const char *click_id, int cookie_days,
                                   int secure)
{
    char name[32];
    first_click_cookie_name(program_id, name, sizeof(name));
    h2o_iovec_t cookie = click_cookie(req, name, click_id, cookie_days, secure);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, cookie.base, cookie.len);
}

static void send_redirect(h2o_req_t *req, const char *location, const char *click_id, int cookie_days, int secure)
{
    static h2o_generator_t generator = {NULL, NULL};
    static const char body[] = "Found\n";
    req->res.status = 302;
    req->res.reason = "Found";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, location, strlen(location));
    if (click_id != NULL) {
        h2o_iovec_t cookie = click_cookie(req, "afftrack_click", click_id, cookie_days, secure);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, cookie.base, cookie.len);
    }
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/plain"));
    req->res.content_length = sizeof(body) - 1;
    h2o_start_response(req, &generator);
    if (aff_http_method_is(req, "HEAD")) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t buf = h2o_iovec_init(body, sizeof(body) - 1);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

/* ---- click path -------------------------------------------------------------------------- */

static int run_click(aff_job *job, aff_ctx *ctx)
{
    click_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), click_job, base);
    return aff_click_record(ctx, &j->row, j->fingerprint);
}

static void respond_click(aff_pending *p, h2o_req_t *req)
{
    click_job *j = AFF_CONTAINER_OF(p, click_job, base);
    if (p->job.rc != 0) {
        /* The shopper still gets to the shop; the click is counted as refused. */
        atomic_fetch_add(&aff_api_stats.clicks_refused, 1);
        AFF_LOG(AFF_LOG_WARN, "click not recorded: %s", aff_strerror(p->job.rc));
        send_redirect(req, j->fallback, NULL, 0, 0);
        return;
    }
    atomic_fetch_add(&aff_api_stats.clicks, 1);
    if (j->row.flags & AFF_CLICK_NOT_ATTRIBUTABLE) { /* keep the visitor's earlier cookies */
        send_redirect(req, j->location, NULL, 0, 0);
        return;
    }
    if (j->set_first_click)
        add_first_click_cookie(req, j->row.program_id, j->row.click_id, j->cookie_days, j->secure);
    send_redirect(req, j->location, j->row.click_id, j->cookie_days, j->secure);
}

/* Async mode: nobody waits for the writer; the job frees itself. */
static void async_click_done(aff_job *job)
{
    click_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), click_job, base);
    if (job->rc != 0)
        atomic_fetch_add(&aff_api_stats.clicks_refused, 1);
    free(j);
}

static int copy_param(const aff_params *ps, const char *const *names, char *out, size_t cap)
{
    const aff_param *p = aff_params_get(ps, names);
    if (p == NULL)
        return 0;
    if (p->value_len >= cap)
        return AFF_ETOOBIG;
    memcpy(out, p->value, p->value_len + 1);
    return 0;
}

static void copy_header(h2o_req_t *req, const h2o_token_t *token, char *out, size_t cap)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    out[0] = '\0';
    if (i < 0)
        return;
    size_t n = req->headers.entries[i].value.len;
    if (n >= cap)
        n = cap - 1; /* stored up to the column's limit (docs/api.md) */
    memcpy(out, req->headers.entries[i].value.base, n);
    out[n] = '\0';
}

/* Fill the click row's subs and source from the query. Returns 0 or AFF_ETOOBIG/EINVAL. */
static int read_click_params(const aff_params *ps, const aff_snap_link *link, aff_click_row *row)
{
    static const char *const sub_names[5][3] = {{"sub1", "aff_sub", NULL},
                                                {"sub2", "aff_sub2", NULL},
                                                {"sub3", "aff_sub3", NULL},
                                                {"sub4", "aff_sub4", NULL},
                                                {"sub5", "aff_sub5", NULL}};
    static const char *const source_names[] = {"source_id", "source", NULL};
    for (int i = 0; i < 5; i++) {
        size_t n = strnlen(link->sub[i], AFF_SUB_MAX); /* link defaults were bounded on write */
        memcpy(row->sub[i], link->sub[i], n);
        row->sub[i][n] = '\0';
        if (copy_param(ps, sub_names[i], row->sub[i], sizeof(row->sub[i])) != 0)
            return AFF_ETOOBIG;
    }
    return copy_param(ps, source_names, row->source_id, sizeof(row->source_id));
}

/* Prefetches and previews announce themselves in one of these headers (docs/fraud.md):
 * such a request is answered like a click but never recorded, like HEAD. h2o keeps
 * header names in lower case. */
static const struct {
    const char *name;
    size_t len;
} prefetch_headers[] = {
    {H2O_STRLIT("purpose")}, {H2O_STRLIT("sec-purpose")}, {H2O_STRLIT("x-purpose")}, {H2O_STRLIT("x-moz")}};

static int value_says_prefetch(h2o_iovec_t v)
{
    static const char *const words[] = {"prefetch", "preview", "prerender"};
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t n = strlen(words[w]);
        if (v.len >= n && strncasecmp(v.base, words[w], n) == 0)
            return 1;
    }
    return 0;
}

static int is_prefetch(h2o_req_t *req)
{
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *hd = &req->headers.entries[i];
        for (size_t k = 0; k < sizeof(prefetch_headers) / sizeof(prefetch_headers[0]); k++)
            if (hd->name->len == prefetch_headers[k].len &&
                memcmp(hd->name->base, prefetch_headers[k].name, prefetch_headers[k].len) == 0 &&
                value_says_prefetch(hd->value))
                return 1;
    }
    return 0;
}

/* Was the link loaded as a subresource (an <img>, <iframe>, <script>... pointing at the
 * tracking link: cookie stuffing) rather than followed? Browsers say so in
 * Sec-Fetch-Dest; older ones at least ask for an image in Accept (docs/fraud.md, rule
 * non_interactive). A top-level navigation is "document"; fetch() is "empty". */
static int is_non_interactive(h2o_req_t *req)
{
    static const char *const subresources[] = {"image", "iframe", "frame", "script", "style", "object",
                                               "embed", "audio",  "video", "font",   "track", "worker"};
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-fetch-dest"), -1);
    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        for (size_t k = 0; k < sizeof(subresources) / sizeof(subresources[0]); k++)
            if (v.len == strlen(subresources[k]) && strncasecmp(v.base, subresources[k], v.len) == 0)
                return 1;
        return 0;
    }
    i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
    return i >= 0 && req->headers.entries[i].value.len >= 6 &&
           strncasecmp(req->headers.entries[i].value.base, "image/", 6) == 0;
}

/* Screen the click (track/fraud.h) and put the verdict on its row. Returns 1 when the
 * click is blocked (then nothing is recorded). */
static int screen_click(h2o_req_t *req, aff_click_row *row, uint64_t fingerprint)
{
    aff_fraud_click in = {.ip = row->ip,
                          .user_agent = row->user_agent,
                          .user_agent_len = strlen(row->user_agent),
                          .link_id = row->link_id,
                          .fingerprint = fingerprint,
                          .non_interactive = is_non_interactive(req),
                          .now_ms = row->ts_ms};
    aff_fraud_verdict v;
    aff_fraud_screen(&in, &v);
    row->flags |= v.flags;
    row->reason = v.reason;
    row->asn = v.asn;
    memcpy(row->country, v.country, sizeof(row->country));
    if (v.action != AFF_ACTION_BLOCK)
        return 0;
    atomic_fetch_add(&aff_api_stats.clicks_blocked, 1);
    return 1;
}

/* Click caps (track/clickcap.h): a click over a hard cap goes to the program's
 * fallback_url (answered here, nothing recorded: returns 1), or without one is recorded
 * as rejected (not attributable) and still redirected; a soft cap flags it. */
static int cap_click(h2o_req_t *req, const aff_snap_program *prog, aff_click_row *row, const char *dest)
{
    aff_clickcap_verdict v;
    aff_clickcap_admit(prog->id, &prog->caps, row->affiliate_id, row->ts_ms, &v);
    if (v.code == 0)
        return 0;
    aff_api_count_cap_hit(v.code, v.over);
    if (v.over && prog->fallback_url != NULL) {
        atomic_fetch_add(&aff_api_stats.clicks_blocked, 1);
        send_redirect(req, prog->fallback_url, NULL, 0, 0);
        return 1;
    }
    row->flags |= v.over ? AFF_CLICK_REJECTED : AFF_CLICK_FLAGGED;
    if (row->reason == 0 || v.over)
        row->reason = v.code;
    (void)dest;
    return 0;
}

/* Does the request carry this first_click program's own, still valid first-click cookie? */
static int has_first_click(h2o_req_t *req, const aff_snap_program *prog, int64_t now)
{
    char name[32], existing[AFF_CLICK_ID_LEN + 8];
    int64_t ts;
    first_click_cookie_name(prog->id, name, sizeof(name));
    if (!aff_http_cookie(req, name, existing, sizeof(existing)) ||
        aff_click_id_check(aff_server.key, existing, strlen(existing), &ts, NULL) != 0)
        return 0;
    return now - ts <= (int64_t)prog->cookie_days * AFF_MS_PER_DAY;
}

void aff_api_redirect(aff_http *h)
{
    h2o_req_t *req = h->req;
    const aff_snap_link *link = aff_snap_link_get(h->snap, h->path_args[0].base, h->path_args[0].len);
    const aff_snap_program *prog = link ? aff_snap_program_get(h->snap, link->program_id) : NULL;
    if (prog == NULL) {
        send_page(req, 404, page_404, sizeof(page_404) - 1);
        return;
    }
    aff_params ps;
    if (aff_http_params(req, 0, &ps) != 0) {
        send_page(req, 400, page_400, sizeof(page_400) - 1);
        return;
    }
    const char *dest = link->destination_url ? link->destination_url : prog->destination_url;
    const aff_param *deep = aff_params_get1(&ps, "url");
    if (deep != NULL) {
        aff_url u;
        if (aff_url_parse(deep->value, deep->value_len, &u) != 0 ||
            !aff_url_host_allowed(u.host, prog->allowed_domains)) {
            atomic_fetch_add(&aff_api_stats.clicks_refused, 1);
            send_page(req, 400, page_400, sizeof(page_400) - 1);
            return;
        }
        dest = deep->value;
    }
    if (aff_http_method_is(req, "HEAD") || is_prefetch(req)) { /* never a click: recorded nowhere */
        atomic_fetch_add(&aff_api_stats.clicks_not_counted, 1);
        send_redirect(req, dest, NULL, 0, 0);
        return;
    }
    /* Async answers before the commit, but only while the writer keeps up: more than a
     * batch behind, a click waits for its commit as in commit mode. Without this the loop
     * (sharing a core with the writer) outruns it and the queue grows to queue_limit. */
    int async = aff_server.cfg->click_durability == AFF_DURABILITY_ASYNC &&
                aff_writer_backlog() < (size_t)aff_server.cfg->max_batch;
    click_job *j = async ? malloc(sizeof(*j)) : aff_pending_new(h, sizeof(*j), run_click, respond_click);
    if (j == NULL) {
        send_redirect(req, dest, NULL, 0, 0);
        return;
    }
    if (async)
        memset(&j->base, 0, sizeof(j->base));
    j->base.job.buffered = 1; /* aff_click_record only stages: see track/click.h */
    aff_click_row *row = &j->row;
    row->flags = 0;
    row->source_id[0] = '\0';
    if (read_click_params(&ps, link, row) != 0) {
        send_page(req, 400, page_400, sizeof(page_400) - 1);
        goto discard;
    }
    int64_t now = aff_clock_now_ms();
    row->ts_ms = now;
    row->program_id = prog->id;
    row->affiliate_id = link->affiliate_id;
    row->link_id = link->id;
    aff_http_client_ip(req, row->ip, sizeof(row->ip), &j->secure);
    copy_header(req, H2O_TOKEN_USER_AGENT, row->user_agent, sizeof(row->user_agent));
    copy_header(req, H2O_TOKEN_REFERER, row->referer, sizeof(row->referer));
    j->fingerprint = aff_click_fingerprint(aff_server.key, row->ip, row->user_agent);
    if (screen_click(req, row, j->fingerprint)) { /* blocked: the program's fallback URL, else 403 */
        if (prog->fallback_url != NULL)
            send_redirect(req, prog->fallback_url, NULL, 0, 0);
        else
            send_page(req, 403, page_403, sizeof(page_403) - 1);
        goto discard;
    }
    if (prog->caps.n > 0 && (row->flags & AFF_CLICK_NOT_ATTRIBUTABLE) == 0 && cap_click(req, prog, row, dest))
        goto discard;
    size_t dest_len = strlen(dest), cap = dest_len + strlen(prog->click_id_param) + AFF_CLICK_ID_LEN + 3;
    char *location = h2o_mem_alloc_pool(&req->pool, cap);
    if (aff_click_id_new(aff_server.key, now, row->click_id) != 0 ||
        aff_url_append_param(dest, dest_len, prog->click_id_param, row->click_id, location, cap) < 0) {
        send_redirect(req, dest, NULL, 0, 0);
        goto discard;
    }
    j->location = location;
    j->fallback = h2o_strdup(&req->pool, dest, dest_len).base;
    j->set_first_click = prog->first_click && !has_first_click(req, prog, now);
    j->cookie_days = prog->cookie_days;
    if (!async) {
        aff_pending_submit(&j->base, 1);
        return;
    }
    /* Once submitted, the job belongs to the writer, which frees it when done: copy what
     * the answer needs first. */
    char click_id[AFF_CLICK_ID_LEN + 1];
    memcpy(click_id, row->click_id, sizeof(click_id));
    int set_first_click = j->set_first_click, cookie_days = j->cookie_days, secure = j->secure;
    int screened = (row->flags & AFF_CLICK_NOT_ATTRIBUTABLE) != 0;
    int64_t program_id = row->program_id;
    j->base.job.run = run_click;
    j->base.job.done = async_click_done; /* also called if the writer refuses it */
    aff_loop_stage(h->loop, &j->base.job);
    j = NULL;
    atomic_fetch_add(&aff_api_stats.clicks, 1);
    if (screened) {
        send_redirect(req, location, NULL, 0, 0);
        return;
    }
    if (set_first_click)
        add_first_click_cookie(req, program_id, click_id, cookie_days, secure);
    send_redirect(req, location, click_id, cookie_days, secure);
    return;

discard:
    if (async)
        free(j);
    else
        aff_pending_discard(&j->base);
}

/* ---- postback and pixel ----------------------------------------------------------------- */

static aff_str param_str(const aff_params *ps, const char *const *names)
{
    const aff_param *p = aff_params_get(ps, names);
    aff_str s = {p ? p->value : NULL, p ? p->value_len : 0};
    return s;
}

static void read_conv_params(const aff_params *ps, aff_conv_fields *f)
{
    static const char *const click[] = {"click_id", "transaction_id", "clickid", "subid", "cid", NULL};
    static const char *const order[] = {"order_id", "txid", "tid", NULL};
    static const char *const amount[] = {"amount", NULL}, *const currency[] = {"currency", NULL};
    static const char *const event[] = {"event", NULL}, *const status[] = {"status", NULL};
    static const char *const coupon[] = {"coupon", NULL}, *const customer[] = {"customer_id", NULL};
    static const char *const email[] = {"email", NULL}, *const referral[] = {"referral_code", NULL};
    static const char *const shipping[] = {"shipping", NULL}, *const tax[] = {"tax", NULL};
    memset(f, 0, sizeof(*f));
    f->click_id = param_str(ps, click);
    f->order_id = param_str(ps, order);
    f->amount = param_str(ps, amount);
    f->currency = param_str(ps, currency);
    f->event = param_str(ps, event);
    f->status = param_str(ps, status);
    f->coupon = param_str(ps, coupon);
    f->customer_id = param_str(ps, customer);
    f->email = param_str(ps, email);
    f->referral_code = param_str(ps, referral);
    f->shipping = param_str(ps, shipping);
    f->tax = param_str(ps, tax);
    static const char *const ip[] = {"ip", NULL};
    f->ip = param_str(ps, ip);
    const aff_param *test = aff_params_get1(ps, "test");
    f->test = test != NULL && (strcmp(test->value, "1") == 0 || strcmp(test->value, "true") == 0);
    const aff_param *renewal = aff_params_get1(ps, "renewal");
    f->renewal = renewal != NULL && (strcmp(renewal->value, "1") == 0 || strcmp(renewal->value, "true") == 0);
}

static int is_form(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    static const char form[] = "application/x-www-form-urlencoded";
    return i >= 0 && req->headers.entries[i].value.len >= sizeof(form) - 1 &&
           strncasecmp(req->headers.entries[i].value.base, form, sizeof(form) - 1) == 0;
}

void aff_api_postback(aff_http *h)
{
    aff_params ps;
    if (aff_api_params(h, aff_http_method_is(h->req, "POST") && is_form(h->req), &ps) != 0)
        return;
    const aff_param *token = aff_params_get1(&ps, "token");
    const aff_snap_program *p = token ? aff_snap_program_by_token(h->snap, token->value, token->value_len) : NULL;
    if (p == NULL) {
        aff_http_errorf(h->req, AFF_EAUTH, "token", "token: missing or not a program's postback token");
        return;
    }
    aff_conv_fields f;
    read_conv_params(&ps, &f);
    aff_api_conversion_submit(h, p, &f, 0);
}

void aff_api_pixel(aff_http *h)
{
    aff_params ps;
    if (aff_http_params(h->req, 0, &ps) != 0) {
        atomic_fetch_add(&aff_api_stats.pixel_errors, 1);
        aff_api_send_gif(h->req);
        return;
    }
    const aff_param *token = aff_params_get1(&ps, "token");
    const aff_param *pid = aff_params_get1(&ps, "program_id");
    const aff_snap_program *p = NULL;
    if (token != NULL)
        p = aff_snap_program_by_token(h->snap, token->value, token->value_len);
    else if (pid != NULL) {
        int64_t id; /* a plain decimal, as every id of the API (aff_api_parse_id) */
        if (aff_api_parse_id(pid->value, pid->value_len, &id) == 0)
            p = aff_snap_program_get(h->snap, id);
    }
    if (p == NULL) {
        atomic_fetch_add(&aff_api_stats.pixel_errors, 1);
        aff_api_send_gif(h->req);
        return;
    }
    aff_conv_fields f;
    read_conv_params(&ps, &f);
    if (token == NULL) { /* without the secret, only the browser's own click counts */
        f.coupon.p = f.referral_code.p = f.customer_id.p = f.email.p = NULL;
    }
    char client_ip[64];
    int secure = 0;
    if (f.ip.p == NULL || token == NULL) { /* the pixel is loaded by the customer's browser */
        aff_http_client_ip(h->req, client_ip, sizeof(client_ip), &secure);
        f.ip.p = client_ip;
        f.ip.len = strlen(client_ip);
    }
    char cookie[AFF_CLICK_ID_LEN + 8], own[32];
    first_click_cookie_name(p->id, own, sizeof(own));
    if ((p->first_click && aff_http_cookie(h->req, own, cookie, sizeof(cookie))) ||
        aff_http_cookie(h->req, "afftrack_click", cookie, sizeof(cookie))) {
        f.cookie_click_id.p = cookie;
        f.cookie_click_id.len = strlen(cookie);
    }
    aff_api_conversion_submit(h, p, &f, 1);
}
