/*
 * server.c - listeners, event-loop threads and orderly shutdown.
 *
 * Owns: one h2o evloop per worker thread, each with its own SO_REUSEPORT listener on
 * the same address, the dispatch of every request through the route table, and the
 * shutdown sequence. Does not own: any route's behaviour (api/).
 *
 * Shutdown (SIGTERM/SIGINT), in this order so nothing accepted is lost:
 *   1. draining: every loop closes its listener (no new connections), /healthz says 503;
 *   2. wait until no request is waiting for a worker thread (bounded by
 *      shutdown_timeout_ms), so every accepted request gets its answer;
 *   3. stop the readers, then the writer, which applies and commits everything still
 *      queued (async clicks included) before it returns;
 *   4. stop and join the loops.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "net/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/listen.h"
#include "net/static.h"

#define MAX_LOOPS 64

static h2o_globalconf_t globalconf;
static aff_routes *route_table;
static aff_loop loops[MAX_LOOPS];
static pthread_t loop_threads[MAX_LOOPS];
static int nloops;
static atomic_int stopping;

/* 404, or 405 with the path's methods in Allow (RFC 9110 15.5.6) and the message. */
static void answer_unrouted(h2o_req_t *req, int status, const char *allow)
{
    if (status != 405) {
        aff_http_json(req, status,
                      json_pack("{s:{s:s,s:s}}", "error", "code", "not_found", "message", "no such endpoint"));
        return;
    }
    size_t n = strlen(allow);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, h2o_strdup(&req->pool, allow, n).base, n);
    json_t *e = json_pack("{s:s,s:s+}", "code", "method_not_allowed", "message",
                          "this path does not take that method; it takes ", allow);
    aff_http_json(req, status, json_pack("{s:o}", "error", e));
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    aff_loop *loop = (aff_loop *)req->conn->ctx;
    aff_http h = {.req = req, .loop = loop};
    int status = 404;
    char allow[AFF_ROUTE_ALLOW_MAX];
    aff_route *r = aff_route_match(route_table, req, &h, &status, allow);
    if (r == NULL) {
        if (status == 404 && aff_static_serve(req))
            return 0;
        answer_unrouted(req, status, allow);
        return 0;
    }
    atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed);
    if (r->max_body == 0 && req->entity.len > (size_t)aff_server.cfg->max_body_bytes) {
        aff_http_errorf(req, AFF_ETOOBIG, NULL, "request body exceeds %d bytes", aff_server.cfg->max_body_bytes);
        return 0;
    }
    h.snap = aff_snapshot_acquire(loop->snap_slot);
    const char *why = NULL;
    int rc = aff_route_authorize(r, &h, &why);
    if (rc != 0)
        aff_http_errorf(req, rc, rc == AFF_EAUTH && r->auth == AFF_AUTH_ADMIN_OR_PROGRAM ? "token" : NULL, "%s", why);
    else
        r->fn(&h);
    h.snap = NULL;
    aff_snapshot_release(loop->snap_slot);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    aff_loop *loop = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&loop->accept_ctx, sock);
}

/* Everything h2o of a loop is made on the loop's own thread. h2o keeps per-thread state
 * (h2o_socket_buffer_prototype and the memory-pool recycler are __thread) and a socket's
 * buffers remember the prototype of the thread that created the socket: a socket made on
 * the main thread (the multithread queue's, the listener) would have every loop
 * allocating from and recycling into the main thread's free list at once, which
 * corrupted the heap with two workers (ThreadSanitizer: two loops read() into the same
 * recycled chunk). */
static pthread_barrier_t loops_ready;
static int listen_fds[MAX_LOOPS];

static void loop_setup(aff_loop *loop, int fd)
{
    h2o_context_init(&loop->ctx, h2o_evloop_create(), &globalconf);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = globalconf.hosts;
    loop->queue = h2o_multithread_create_queue(loop->ctx.loop);
    h2o_multithread_register_receiver(loop->queue, &loop->receiver, aff_pending_on_messages);
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, on_accept);
}

static void *loop_main(void *arg)
{
    aff_loop *loop = arg;
    char name[16];
    snprintf(name, sizeof(name), "aff-loop-%d", loop->index);
    pthread_setname_np(pthread_self(), name);
    loop_setup(loop, listen_fds[loop->index]);
    pthread_barrier_wait(&loops_ready);
    while (!atomic_load(&stopping)) {
        h2o_evloop_run(loop->ctx.loop, 50);
        aff_loop_flush(loop);
        if (atomic_load(&aff_server.draining) && loop->listener != NULL) {
            h2o_socket_read_stop(loop->listener);
            h2o_socket_close(loop->listener);
            loop->listener = NULL;
        }
    }
    return NULL;
}

/* ---- listeners ---------------------------------------------------------------------- */

static int split_listen(const char *listen, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL)
        return AFF_EINVAL;
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hcap || strlen(colon + 1) >= pcap || colon[1] == '\0')
        return AFF_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, pcap, "%s", colon + 1);
    return 0;
}

/* ---- run ------------------------------------------------------------------------------ */

static int64_t total_pending(void)
{
    int64_t n = 0;
    for (int i = 0; i < nloops; i++)
        n += atomic_load(&loops[i].pending);
    return n;
}

int aff_server_run(const aff_config *cfg, aff_routes *routes, void (*on_bound)(int port))
{
    char host[256], port[16];
    int rc = split_listen(cfg->listen, host, sizeof(host), port, sizeof(port));
    if (rc != 0) {
        AFF_LOG(AFF_LOG_ERROR, "listen: \"%s\" is not HOST:PORT", cfg->listen);
        return rc;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        AFF_LOG(AFF_LOG_ERROR, "listen: cannot resolve \"%s\"", host);
        return AFF_EINVAL;
    }
    route_table = routes;
    aff_routes_prepare(routes);
    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("afftrack"));
    /* Bodies up to 1 MiB past the largest limit reach the routes, which answer their own
     * JSON 413 (banner uploads have a larger limit than max_body_bytes). */
    size_t largest =
        (size_t)cfg->max_body_bytes > AFF_CREATIVE_IMAGE_MAX ? (size_t)cfg->max_body_bytes : AFF_CREATIVE_IMAGE_MAX;
    globalconf.max_request_entity_size = largest + (1 << 20);
    h2o_hostconf_t *hostconf = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = on_req;

    /* Loops inherit a mask with the shutdown signals blocked; the main thread waits for them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int actual_port = -1;
    nloops = cfg->workers < MAX_LOOPS ? cfg->workers : MAX_LOOPS;
    for (int i = 0; i < nloops; i++) {
        aff_loop *loop = &loops[i];
        int fd;
        if ((rc = aff_listen_open(ai, i == 0 ? -1 : actual_port, &fd)) != 0) {
            AFF_LOG(AFF_LOG_ERROR, "listen: cannot bind %s: %s", cfg->listen, strerror(errno));
            freeaddrinfo(ai);
            return rc;
        }
        if (i == 0)
            actual_port = aff_listen_port(fd);
        loop->index = i;
        loop->snap_slot = aff_snapshot_slot();
        listen_fds[i] = fd;
    }
    freeaddrinfo(ai);
    if (on_bound != NULL)
        on_bound(actual_port);
    pthread_barrier_init(&loops_ready, NULL, (unsigned)nloops + 1);
    for (int i = 0; i < nloops; i++)
        pthread_create(&loop_threads[i], NULL, loop_main, &loops[i]);
    pthread_barrier_wait(&loops_ready); /* every loop is set up before we say we listen */

    printf("afftrack: listening on http://%s%s%s:%d\n", strchr(host, ':') ? "[" : "", host,
           strchr(host, ':') ? "]" : "", actual_port);
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    AFF_LOG(AFF_LOG_INFO, "signal %d: draining", sig);
    atomic_store(&aff_server.draining, 1);
    int64_t deadline = aff_clock_now_ms() + cfg->shutdown_timeout_ms;
    while (total_pending() > 0 && aff_clock_now_ms() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* Give the loops a moment to flush the last answers before the writer stops. */
    struct timespec grace = {0, 100 * 1000000L};
    nanosleep(&grace, NULL);
    aff_readers_stop();
    aff_writer_stop();
    atomic_store(&stopping, 1);
    for (int i = 0; i < nloops; i++)
        pthread_join(loop_threads[i], NULL);
    AFF_LOG(AFF_LOG_INFO, "stopped");
    return 0;
}
