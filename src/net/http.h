/*
 * http.h - what api/ handlers get from net/: the per-request view (aff_http), the
 * per-thread loop (aff_loop), answers (JSON, errors, images, redirects), query/form
 * parameters, cookies, the client address, and asynchronous completion of requests
 * whose work runs on the writer or a reader thread (aff_pending).
 *
 * Threading: everything here runs on the event-loop thread that owns the request,
 * except aff_pending's run (worker thread). Nothing here blocks.
 * Memory: strings returned for a request live in its pool (h2o_mem_alloc_pool) and die
 * with the request.
 */
#ifndef AFF_NET_HTTP_H
#define AFF_NET_HTTP_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/id.h"
#include "track/pool.h"
#include "track/snapshot.h"

typedef struct aff_loop {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    h2o_socket_t *listener;
    int snap_slot;
    _Atomic int64_t pending; /* requests waiting for a worker thread */
    int index;
    /* Writer jobs made during one event-loop iteration, handed over together at its end
     * (aff_loop_flush): one lock and one wake-up of the writer per iteration instead of
     * per click, which on a shared core was ~20 % of the time in context switches. */
    aff_job *staged_head, *staged_tail;
    size_t nstaged;
} aff_loop;

enum { AFF_ROLE_NONE = 0, AFF_ROLE_ADMIN = 1, AFF_ROLE_AFFILIATE = 2, AFF_ROLE_PROGRAM = 3 };

#define AFF_MAX_PARAMS 64

typedef struct aff_param {
    const char *name, *value; /* decoded, NUL-terminated */
    size_t name_len, value_len;
} aff_param;

typedef struct aff_params {
    int n;
    aff_param p[AFF_MAX_PARAMS];
    /* After AFF_EINVAL from aff_http_params: the name of the pair that did not decode
     * (its decoded name, else its text as sent), when that is 1..AFF_PARAM_NAME_MAX
     * bytes of printable ASCII, in the request's pool; else NULL. */
    const char *bad;
} aff_params;

#define AFF_PARAM_NAME_MAX 64

typedef struct aff_http {
    h2o_req_t *req;
    aff_loop *loop;
    const aff_snapshot *snap; /* valid only during the handler call */
    h2o_iovec_t path_args[2];
    int nargs;
    int role;             /* AFF_ROLE_* of the bearer key or session */
    int64_t affiliate_id; /* for AFF_ROLE_AFFILIATE */
    int64_t program_id;   /* for AFF_ROLE_PROGRAM (postback token as bearer) */
    /* Set when the caller authenticated with the session cookie (net/session.h). */
    int via_session;
    int64_t user_id;
    int64_t session_expires_ms;
    unsigned char session_hash[32];
    char csrf[33];
} aff_http;

/* Process-wide server state handlers may read. */
typedef struct aff_server_info {
    const aff_config *cfg;
    const aff_click_id_key *key;
    char public_url[512];
    atomic_int draining;
} aff_server_info;
extern aff_server_info aff_server;

/* ---- answers (each sends the whole response) ---- */
/* Send json (reference stolen) with status. */
void aff_http_json(h2o_req_t *req, int status, json_t *json);
/* Send the error body for rc: status from api/error.c's table, code, message, field. */
void aff_http_error(h2o_req_t *req, int rc, const aff_errinfo *info);
/* Same with a printf message and field. */
void aff_http_errorf(h2o_req_t *req, int rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void aff_http_send(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
/* Map an AFF_E* code to an HTTP status (the one table, api/error.c). */
int aff_http_status_for(int rc);

/* ---- request data ---- */
/* Decode query string (and, when form is set, an x-www-form-urlencoded body) into out.
 * Returns 0, AFF_EINVAL (malformed escape; out->bad names the pair), AFF_ETOOBIG (too
 * many parameters). */
int aff_http_params(h2o_req_t *req, int form, aff_params *out);
/* First value of any of the names (NULL-terminated list), or NULL. */
const aff_param *aff_params_get(const aff_params *ps, const char *const *names);
const aff_param *aff_params_get1(const aff_params *ps, const char *name);
/* Header value by lower-case name, or NULL (value not NUL-terminated: use len). */
const h2o_iovec_t *aff_http_header(h2o_req_t *req, const char *name);
/* Value of cookie name from the Cookie header into out (cap bytes). 1 found, 0 not. */
int aff_http_cookie(h2o_req_t *req, const char *name, char *out, size_t cap);
/* Client address as text, honouring X-Forwarded-For from trusted proxies. Sets
 * *via_https when a trusted proxy says X-Forwarded-Proto: https. */
void aff_http_client_ip(h2o_req_t *req, char *out, size_t cap, int *via_https);
/* Parse the JSON object body. Answers the error itself and returns NULL on failure
 * (413 above max_body_bytes, 400 invalid_json). */
json_t *aff_http_json_body(h2o_req_t *req);
/* Is the method m? */
int aff_http_method_is(h2o_req_t *req, const char *m);

/* ---- asynchronous work ---- */
typedef struct aff_pending aff_pending;
typedef void (*aff_respond_fn)(aff_pending *p, h2o_req_t *req);
struct aff_pending {
    aff_job job; /* run on a worker; job.rc and job.err are its outcome */
    h2o_multithread_message_t msg;
    aff_loop *loop;
    h2o_req_t *req;                  /* NULL once the client went away */
    aff_pending **req_link;          /* back-pointer living in the request pool */
    aff_respond_fn respond;          /* on the loop thread, when req is still there */
    void (*cleanup)(aff_pending *p); /* optional: frees what the job owns */
    aff_pending *done_next;          /* the results handed to loop with this one (msg) */
};

/* Allocate a pending of size bytes (a struct beginning with aff_pending) bound to h's
 * request. Only the aff_pending header is initialised: the caller initialises the rest
 * (jobs can be large and most of their bytes are written anyway; zeroing them showed up
 * as 13 % of the click path). NULL when out of memory. */
void *aff_pending_new(aff_http *h, size_t size, int (*run)(aff_job *, aff_ctx *), aff_respond_fn respond);
/* Queue p on the writer (writer=1) or a reader. On failure answers 503 itself and frees p. */
void aff_pending_submit(aff_pending *p, int writer);
/* Stage a writer job on loop (handed over at the end of the iteration). */
void aff_loop_stage(aff_loop *loop, aff_job *job);
/* Hand the staged jobs to the writer; if it refuses them, complete each with the error. */
void aff_loop_flush(aff_loop *loop);
/* Free a pending that was never submitted (its request was answered already). */
void aff_pending_discard(aff_pending *p);
/* On a worker thread, after done() of a batch: hand the results done() queued to
 * their loops, one message (one wake-up) per loop. Registered with
 * aff_pool_set_done_flush; also called by aff_loop_flush for the jobs it refuses. */
void aff_pending_flush(void);
/* The loop's end of completion: registered as the receiver callback. */
void aff_pending_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

#define AFF_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#endif
