/* http.c - request helpers, answers and asynchronous completion; see http.h. */
#include "net/http.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"
#include "net/proxy.h"

aff_server_info aff_server;

/* ---- answers ------------------------------------------------------------------------- */

void aff_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = status == 200 ? "OK" : status == 201 ? "Created" : "Error";
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_send_inline(req, body, len);
}

void aff_http_json(h2o_req_t *req, int status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(json);
    if (text == NULL) {
        aff_http_send(req, 500, "application/json", "{\"error\":{\"code\":\"internal\",\"message\":\"encoding\"}}", 49);
        return;
    }
    aff_http_send(req, status, "application/json", text, strlen(text));
    free(text);
}

void aff_http_error(h2o_req_t *req, int rc, const aff_errinfo *info)
{
    const char *msg = info != NULL && info->msg[0] ? info->msg : aff_strerror(rc);
    json_t *e = json_pack("{s:s, s:s}", "code", aff_errcode(rc), "message", msg);
    if (info != NULL && info->field != NULL)
        json_object_set_new(e, "field", json_string(info->field));
    aff_http_json(req, aff_http_status_for(rc), json_pack("{s:o}", "error", e));
}

void aff_http_errorf(h2o_req_t *req, int rc, const char *field, const char *fmt, ...)
{
    aff_errinfo info = {.field = field};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info.msg, sizeof(info.msg), fmt, ap);
    va_end(ap);
    aff_http_error(req, rc, &info);
}

int aff_http_method_is(h2o_req_t *req, const char *m)
{
    size_t n = strlen(m);
    return req->method.len == n && memcmp(req->method.base, m, n) == 0;
}

/* ---- parameters ------------------------------------------------------------------------ */

/* A copy of s[0..len) in the pool when it can be an error's field (aff_params.bad). */
static const char *field_name(h2o_req_t *req, const char *s, size_t len)
{
    if (len == 0 || len > AFF_PARAM_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return NULL;
    char *copy = h2o_mem_alloc_pool(&req->pool, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static int add_pairs(h2o_req_t *req, const char *s, size_t len, aff_params *out)
{
    size_t cursor = 0;
    const char *name, *value;
    size_t nlen, vlen;
    while (aff_query_next(s, len, &cursor, &name, &nlen, &value, &vlen)) {
        if (out->n == AFF_MAX_PARAMS)
            return AFF_ETOOBIG;
        aff_param *p = &out->p[out->n];
        char *nb = h2o_mem_alloc_pool(&req->pool, nlen + 1), *vb = h2o_mem_alloc_pool(&req->pool, vlen + 1);
        int a = aff_url_decode_component(name, nlen, nb), b = aff_url_decode_component(value, vlen, vb);
        if (a < 0 || b < 0) {
            out->bad = a < 0 ? field_name(req, name, nlen) : field_name(req, nb, (size_t)a);
            return AFF_EINVAL;
        }
        p->name = nb;
        p->name_len = (size_t)a;
        p->value = vb;
        p->value_len = (size_t)b;
        out->n++;
    }
    return 0;
}

int aff_http_params(h2o_req_t *req, int form, aff_params *out)
{
    out->n = 0;
    out->bad = NULL;
    int rc = 0;
    if (req->query_at != SIZE_MAX)
        rc = add_pairs(req, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, out);
    if (rc == 0 && form && req->entity.base != NULL)
        rc = add_pairs(req, req->entity.base, req->entity.len, out);
    return rc;
}

const aff_param *aff_params_get(const aff_params *ps, const char *const *names)
{
    for (const char *const *n = names; *n != NULL; n++) {
        size_t len = strlen(*n);
        for (int i = 0; i < ps->n; i++)
            if (ps->p[i].name_len == len && memcmp(ps->p[i].name, *n, len) == 0)
                return &ps->p[i];
    }
    return NULL;
}

const aff_param *aff_params_get1(const aff_params *ps, const char *name)
{
    const char *names[2] = {name, NULL};
    return aff_params_get(ps, names);
}

const h2o_iovec_t *aff_http_header(h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    return i < 0 ? NULL : &req->headers.entries[i].value;
}

int aff_http_cookie(h2o_req_t *req, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
        const char *s = req->headers.entries[i].value.base, *end = s + req->headers.entries[i].value.len;
        while (s < end) {
            while (s < end && (*s == ' ' || *s == ';'))
                s++;
            const char *semi = memchr(s, ';', (size_t)(end - s));
            const char *e = semi ? semi : end;
            if ((size_t)(e - s) > nlen && memcmp(s, name, nlen) == 0 && s[nlen] == '=') {
                size_t vlen = (size_t)(e - s) - nlen - 1;
                if (vlen >= cap)
                    return 0;
                memcpy(out, s + nlen + 1, vlen);
                out[vlen] = '\0';
                return 1;
            }
            s = e;
        }
    }
    return 0;
}

void aff_http_client_ip(h2o_req_t *req, char *out, size_t cap, int *via_https)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    *via_https = 0;
    out[0] = '\0';
    if (len == 0)
        return;
    aff_proxy_addr_text((struct sockaddr *)&ss, out, cap);
    if (!aff_proxy_is_trusted_sa((struct sockaddr *)&ss))
        return;
    const h2o_iovec_t *proto = aff_http_header(req, "x-forwarded-proto");
    *via_https = proto != NULL && proto->len == 5 && strncasecmp(proto->base, "https", 5) == 0;
    const h2o_iovec_t *xff = aff_http_header(req, "x-forwarded-for");
    if (xff != NULL)
        aff_proxy_client_from_xff(xff->base, xff->len, out, cap);
}

json_t *aff_http_json_body(h2o_req_t *req)
{
    if (req->entity.len > (size_t)aff_server.cfg->max_body_bytes) {
        aff_http_errorf(req, AFF_ETOOBIG, NULL, "request body exceeds %d bytes", aff_server.cfg->max_body_bytes);
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        aff_errinfo info = {0};
        snprintf(info.msg, sizeof(info.msg), "body is not valid JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        req->res.status = 400;
        json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", "invalid_json", "message", info.msg);
        aff_http_json(req, 400, e);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        aff_http_json(
            req, 400,
            json_pack("{s:{s:s,s:s}}", "error", "code", "invalid_json", "message", "body must be a JSON object"));
        return NULL;
    }
    return j;
}

/* ---- asynchronous completion -------------------------------------------------------------- */

static void on_req_dispose(void *obj)
{
    aff_pending **link = obj;
    if (*link != NULL)
        (*link)->req = NULL;
}

/* Results finished on this thread and not yet handed to their loops, in done order. */
static _Thread_local aff_pending *outbox_head, *outbox_tail;

/* Worker thread: queue the finished job for aff_pending_flush. */
static void pending_done(aff_job *job)
{
    aff_pending *p = AFF_CONTAINER_OF(job, aff_pending, job);
    p->done_next = NULL;
    if (outbox_tail != NULL)
        outbox_tail->done_next = p;
    else
        outbox_head = p;
    outbox_tail = p;
}

void aff_pending_flush(void)
{
    /* One message per loop: its first result, the loop's others chained behind it in
     * the order they were done (a batch mostly serves one loop: one pass). */
    while (outbox_head != NULL) {
        aff_loop *loop = outbox_head->loop;
        aff_pending *first = outbox_head, *last = NULL, *rest = NULL, **rest_tail = &rest;
        for (aff_pending *p = outbox_head, *next; p != NULL; p = next) {
            next = p->done_next;
            if (p->loop == loop) {
                if (last != NULL)
                    last->done_next = p;
                last = p;
            } else {
                *rest_tail = p;
                rest_tail = &p->done_next;
            }
        }
        last->done_next = NULL;
        *rest_tail = NULL;
        outbox_head = rest;
        h2o_multithread_send_message(&loop->receiver, &first->msg);
    }
    outbox_tail = NULL;
}

void *aff_pending_new(aff_http *h, size_t size, int (*run)(aff_job *, aff_ctx *), aff_respond_fn respond)
{
    aff_pending *p = malloc(size);
    if (p == NULL)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->job.run = run;
    p->job.done = pending_done;
    p->job.waited_on = 1;
    p->loop = h->loop;
    p->req = h->req;
    p->respond = respond;
    p->req_link = h2o_mem_alloc_shared(&h->req->pool, sizeof(*p->req_link), on_req_dispose);
    *p->req_link = p;
    return p;
}

static void pending_free(aff_pending *p)
{
    if (p->req != NULL)
        *p->req_link = NULL;
    if (p->cleanup != NULL)
        p->cleanup(p);
    free(p);
}

void aff_pending_discard(aff_pending *p)
{
    pending_free(p);
}

void aff_loop_stage(aff_loop *loop, aff_job *job)
{
    job->next = NULL;
    if (loop->staged_tail != NULL)
        loop->staged_tail->next = job;
    else
        loop->staged_head = job;
    loop->staged_tail = job;
    loop->nstaged++;
}

void aff_loop_flush(aff_loop *loop)
{
    aff_job *head = loop->staged_head;
    size_t n = loop->nstaged;
    if (head == NULL)
        return;
    loop->staged_head = loop->staged_tail = NULL;
    loop->nstaged = 0;
    int rc = aff_writer_submit_list(head, n);
    if (rc == 0)
        return;
    while (head != NULL) { /* refused: each job learns it through its own done() */
        aff_job *next = head->next;
        head->rc = rc;
        aff_fail(&head->err, rc, NULL, "%s",
                 rc == AFF_ESHUTDOWN ? "server is shutting down" : "server is overloaded, retry later");
        head->done(head);
        head = next;
    }
    aff_pending_flush();
}

void aff_pending_submit(aff_pending *p, int writer)
{
    if (writer) {
        atomic_fetch_add(&p->loop->pending, 1);
        aff_loop_stage(p->loop, &p->job);
        return;
    }
    int rc = aff_readers_submit(&p->job);
    if (rc != 0) {
        if (p->req != NULL)
            aff_http_errorf(p->req, rc, NULL, "%s",
                            rc == AFF_ESHUTDOWN ? "server is shutting down" : "server is overloaded, retry later");
        pending_free(p);
        return;
    }
    atomic_fetch_add(&p->loop->pending, 1);
}

void aff_pending_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        for (aff_pending *p = AFF_CONTAINER_OF(m, aff_pending, msg), *next; p != NULL; p = next) {
            next = p->done_next;
            atomic_fetch_sub(&p->loop->pending, 1);
            h2o_req_t *req = p->req;
            if (req != NULL) {
                *p->req_link = NULL; /* responding may dispose the request synchronously */
                p->req = NULL;
                p->respond(p, req);
            }
            pending_free(p);
        }
    }
}
