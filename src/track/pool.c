/* pool.c - the writer thread (group commit) and the reader threads; see pool.h. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "track/pool.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "track/click.h"
#include "track/maintenance.h"
#include "track/recent.h"
#include "track/rollup.h"
#include "track/seen.h"

typedef struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    aff_job *head, *tail;
    _Atomic size_t depth; /* written under mu; read without it by aff_writer_backlog */
    size_t limit;
    int stopping;
} queue;

static void queue_init(queue *q, size_t limit)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->head = q->tail = NULL;
    q->depth = 0;
    q->limit = limit;
    q->stopping = 0;
}

/* Append the n jobs linked from head (tail is the last), under one lock with one
 * wake-up. All or none: AFF_ESHUTDOWN when stopping, AFF_EUNAVAIL past the limit. */
static int queue_push_list(queue *q, aff_job *head, aff_job *tail, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    if (q->stopping)
        rc = AFF_ESHUTDOWN;
    else if (q->depth + n > q->limit)
        rc = AFF_EUNAVAIL;
    else {
        if (q->tail)
            q->tail->next = head;
        else
            q->head = head;
        q->tail = tail;
        q->depth += n;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int queue_push(queue *q, aff_job *job)
{
    job->next = NULL;
    return queue_push_list(q, job, job, 1);
}

/* Take up to max jobs; blocks while empty unless stopping. Returns NULL when stopping
 * and empty. With linger_ms > 0 and no waited-on job in hand, waits up to that long for
 * the batch to fill (async clicks only: nobody is waiting for them). */
static aff_job *queue_take(queue *q, size_t max, int linger_ms, size_t *n)
{
    pthread_mutex_lock(&q->mu);
    while (q->head == NULL && !q->stopping)
        pthread_cond_wait(&q->cv, &q->mu);
    if (linger_ms > 0 && q->head != NULL && q->depth < max && !q->stopping) {
        int anyone_waiting = 0;
        for (aff_job *j = q->head; j; j = j->next)
            anyone_waiting |= j->waited_on;
        if (!anyone_waiting) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)linger_ms * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&q->cv, &q->mu, &until);
        }
    }
    aff_job *first = q->head, *last = NULL;
    size_t k = 0;
    for (aff_job *j = q->head; j != NULL && k < max; j = j->next) {
        last = j;
        k++;
    }
    if (last != NULL) {
        q->head = last->next;
        if (q->head == NULL)
            q->tail = NULL;
        last->next = NULL;
        q->depth -= k;
    }
    pthread_mutex_unlock(&q->mu);
    *n = k;
    return k ? first : NULL;
}

static void queue_stop(queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Name the calling thread (top -H, /proc/PID/task/TID/comm) and make it `nicer` steps
 * nicer than it is (see "Scheduling" in pool.h); a failure only costs the ordering. */
static void background_thread(const char *name, int nicer)
{
    pthread_setname_np(pthread_self(), name);
    if (nicer <= 0)
        return;
    pid_t tid = gettid();
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    int want = errno != 0 ? nicer : now + nicer;
    if (setpriority(PRIO_PROCESS, (id_t)tid, want > 19 ? 19 : want) != 0)
        AFF_LOG(AFF_LOG_WARN, "%s: cannot lower its priority: %s", name, strerror(errno));
}

/* ---- writer ------------------------------------------------------------------------ */

static struct {
    queue q;
    pthread_t thread;
    aff_ctx ctx;
    int started;
    int64_t last_prune_ms;
    _Atomic uint64_t batches, jobs, commit_failures, seen_pruned;
    /* the ticker: submits the maintenance job every maintenance_interval_ms */
    pthread_t ticker;
    pthread_mutex_t tick_mu;
    pthread_cond_t tick_cv;
    int tick_stop;
    _Atomic int tick_in_flight;
    aff_job tick_job;
} W;

static int maintenance_job_run(aff_job *job, aff_ctx *ctx)
{
    (void)job;
    aff_maintenance_stats s;
    return aff_maintenance_run(ctx->st, aff_clock_now_ms(), &s);
}

static void maintenance_job_done(aff_job *job)
{
    if (job->rc != 0)
        AFF_LOG(AFF_LOG_ERROR, "writer: maintenance failed: %s", aff_strerror(job->rc));
    atomic_store(&W.tick_in_flight, 0);
}

/* One maintenance job at a time: a round that is still queued is not doubled. */
static void *ticker_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "aff-ticker");
    pthread_mutex_lock(&W.tick_mu);
    while (!W.tick_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ms = W.ctx.cfg->maintenance_interval_ms < 50 ? 50 : W.ctx.cfg->maintenance_interval_ms;
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&W.tick_cv, &W.tick_mu, &until);
        if (W.tick_stop || atomic_exchange(&W.tick_in_flight, 1))
            continue;
        W.tick_job = (aff_job){.run = maintenance_job_run, .done = maintenance_job_done};
        if (queue_push(&W.q, &W.tick_job) != 0)
            atomic_store(&W.tick_in_flight, 0);
    }
    pthread_mutex_unlock(&W.tick_mu);
    return NULL;
}

static void (*done_flush)(void);

void aff_pool_set_done_flush(void (*fn)(void))
{
    done_flush = fn;
}

static void complete_all(aff_job *list)
{
    while (list != NULL) {
        aff_job *next = list->next;
        list->done(list);
        list = next;
    }
    if (done_flush != NULL)
        done_flush();
}

/* Run one job of a batch. With safe set, the job runs inside its own savepoint and a
 * failure is rolled back alone. Without it (the fast path) there is no savepoint: a
 * failing job that changed no row needs no undo, and one that did makes this return
 * AFF_EAGAIN, after which the caller rolls back the batch and replays it safely.
 * Savepoints cost SQLite a sub-journal copy of every page a job touches (profiled at
 * ~12k instructions per conversion), and almost every failure (not attributed, unknown
 * click id, bad reference) happens before the first write. Returns 0, AFF_EAGAIN, or a
 * store error that fails the batch. */
static int run_job(aff_ctx *ctx, aff_job *j, int safe)
{
    int rc;
    j->err.field = NULL;
    j->err.msg[0] = '\0';
    if (j->buffered) { /* stages only (track/click.h): nothing to undo in the store */
        j->rc = j->run(j, ctx);
        if (j->rc == 0)
            j->rc = aff_rollup_job_keep(ctx->rollups);
        if (j->rc == 0)
            return 0;
        aff_rollup_job_drop(ctx->rollups);
        rc = aff_click_flush(ctx); /* its uniqueness decision may be in memory: resync */
        aff_seen_job_failed(ctx->seen);
        return rc;
    }
    if ((rc = aff_click_flush(ctx)) != 0) /* other jobs may read clicks: write them first */
        return rc;
    if (safe && (rc = aff_store_savepoint(ctx->st)) != 0)
        return rc;
    int changed_before = ctx->catalog_changed;
    int64_t rows_before = aff_store_changes(ctx->st);
    j->rc = j->run(j, ctx);
    if (j->rc == 0)
        j->rc = aff_rollup_job_keep(ctx->rollups);
    else
        aff_rollup_job_drop(ctx->rollups);
    if (j->rc != 0) {
        if (!safe && aff_store_changes(ctx->st) != rows_before)
            return AFF_EAGAIN;
        if (safe) {
            rc = aff_store_rollback_to(ctx->st);
            aff_recent_clear(ctx->recent); /* it may hold a conversion just undone */
        }
        aff_seen_job_failed(ctx->seen);
        ctx->catalog_changed = changed_before;
    }
    if (safe && rc == 0)
        rc = aff_store_release(ctx->st);
    return rc;
}

/* Run the batch in one transaction and commit it. Returns 0, AFF_EAGAIN (fast path:
 * replay safely; everything was rolled back), or the error that failed the batch (then
 * everything was rolled back too). */
static int run_batch(aff_job *batch, int safe)
{
    aff_ctx *ctx = &W.ctx;
    ctx->catalog_changed = 0;
    ctx->snap = aff_snapshot_current();
    int rc = aff_store_begin(ctx->st);
    for (aff_job *j = batch; j != NULL && rc == 0; j = j->next)
        rc = run_job(ctx, j, safe);
    if (rc == 0)
        rc = aff_click_flush(ctx);
    if (rc == 0)
        rc = aff_rollup_flush(ctx->rollups, ctx->st);
    if (rc == 0)
        rc = aff_store_commit(ctx->st);
    aff_rollup_reset(ctx->rollups);
    aff_click_buffer_reset(ctx->clicks);
    aff_seen_batch_end(ctx->seen, rc == 0);
    if (rc != 0) {
        aff_store_rollback(ctx->st);
        aff_recent_clear(ctx->recent);
        ctx->catalog_changed = 0;
    }
    return rc;
}

/* After a full snapshot build: the scan filled the page cache (up to cache_size) with
 * catalog pages that the writer will not read again soon. Give them back, and the heap's
 * free pages to the system. */
static void release_scan_memory(aff_store *st)
{
    aff_store_release_memory(st);
    malloc_trim(0);
}

/* Apply one batch; see the lifecycle in pool.h. */
static void apply_batch(aff_job *batch, size_t n)
{
    aff_ctx *ctx = &W.ctx;
    int rc = run_batch(batch, 0);
    if (rc == AFF_EAGAIN)
        rc = run_batch(batch, 1);
    if (rc != 0) {
        atomic_fetch_add(&W.commit_failures, 1);
        AFF_LOG(AFF_LOG_ERROR, "writer: batch of %zu not committed: %s", n, aff_strerror(rc));
        for (aff_job *j = batch; j != NULL; j = j->next)
            j->rc = AFF_ESTORE;
    }
    if (ctx->catalog_changed) {
        aff_snapshot *s;
        int brc =
            ctx->catalog_changed > AFF_CATALOG_LOG_MAX
                ? aff_snapshot_build(ctx->st, &s)
                : aff_snapshot_update(ctx->st, aff_snapshot_current(), ctx->changes, (size_t)ctx->catalog_changed, &s);
        if (brc == 0) {
            aff_snapshot_publish(s);
            if (ctx->catalog_changed > AFF_CATALOG_LOG_MAX) /* a full build: see aff_writer_start */
                release_scan_memory(ctx->st);
        } else {
            AFF_LOG(AFF_LOG_ERROR, "writer: snapshot rebuild failed: %s", aff_strerror(brc));
        }
    } else {
        aff_snapshot_reclaim();
    }
    atomic_fetch_add(&W.batches, 1);
    atomic_fetch_add(&W.jobs, n);
    complete_all(batch);
}

/* One step of pruning the uniqueness window's table (track/seen.h), in a transaction of
 * its own after a batch was answered: when no job is waiting, at most every
 * AFF_SEEN_PRUNE_EVERY_MS; while jobs keep waiting, every AFF_SEEN_PRUNE_BUSY_MS (a
 * step holds them up about 3 ms at most). A failure is logged and the sweep retried. */
static void prune_seen(void)
{
    aff_ctx *ctx = &W.ctx;
    int64_t now = aff_clock_now_ms(), deleted = 0;
    int64_t every = aff_writer_backlog() == 0 ? AFF_SEEN_PRUNE_EVERY_MS : AFF_SEEN_PRUNE_BUSY_MS;
    if (ctx->seen == NULL || now - W.last_prune_ms < every)
        return;
    W.last_prune_ms = now;
    int rc = aff_store_begin(ctx->st);
    if (rc == 0)
        rc = aff_seen_prune(ctx->seen, ctx->st, now, &deleted);
    if (rc == 0)
        rc = aff_store_commit(ctx->st);
    if (rc != 0) {
        aff_store_rollback(ctx->st);
        AFF_LOG(AFF_LOG_WARN, "writer: pruning click_seen failed: %s", aff_strerror(rc));
        return;
    }
    atomic_fetch_add(&W.seen_pruned, (uint64_t)deleted);
}

static void *writer_main(void *arg)
{
    (void)arg;
    background_thread("aff-writer", W.ctx.cfg->background_nice);
    size_t n;
    aff_job *batch;
    while ((batch = queue_take(&W.q, (size_t)W.ctx.cfg->max_batch, W.ctx.cfg->group_commit_ms, &n)) != NULL) {
        apply_batch(batch, n);
        prune_seen();
    }
    return NULL;
}

int aff_writer_start(const aff_config *cfg, const aff_click_id_key *key)
{
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, cfg->synchronous == AFF_SYNC_FULL, &W.ctx.st);
    if (rc != 0)
        return rc;
    aff_snapshot *s;
    if ((rc = aff_snapshot_build(W.ctx.st, &s)) != 0) {
        aff_store_close(W.ctx.st);
        return rc;
    }
    aff_snapshot_publish(s);
    release_scan_memory(W.ctx.st);
    W.ctx.cfg = cfg;
    W.ctx.key = key;
    W.ctx.rollups = aff_rollups_new();
    W.ctx.clicks = aff_click_buffer_new();
    W.ctx.recent = aff_recent_new();
    W.ctx.changes = malloc(AFF_CATALOG_LOG_MAX * sizeof(*W.ctx.changes));
    rc = W.ctx.rollups && W.ctx.clicks && W.ctx.recent && W.ctx.changes
             ? aff_seen_open(W.ctx.st, aff_clock_now_ms(), (int64_t)cfg->unique_window_hours * AFF_MS_PER_HOUR,
                             &W.ctx.seen)
             : AFF_ENOMEM;
    if (rc != 0) {
        aff_rollups_free(W.ctx.rollups);
        aff_click_buffer_free(W.ctx.clicks);
        aff_recent_free(W.ctx.recent);
        free(W.ctx.changes);
        aff_store_close(W.ctx.st);
        return rc;
    }
    queue_init(&W.q, (size_t)cfg->queue_limit);
    if (pthread_create(&W.thread, NULL, writer_main, NULL) != 0) {
        aff_store_close(W.ctx.st);
        return AFF_ENOMEM;
    }
    W.started = 1;
    pthread_mutex_init(&W.tick_mu, NULL);
    pthread_cond_init(&W.tick_cv, NULL);
    W.tick_stop = 0;
    if (pthread_create(&W.ticker, NULL, ticker_main, NULL) != 0)
        AFF_LOG(AFF_LOG_ERROR, "writer: no maintenance ticker (thread creation failed)");
    else
        W.started = 2;
    return 0;
}

int aff_writer_submit(aff_job *job)
{
    return queue_push(&W.q, job);
}

int aff_writer_submit_list(aff_job *head, size_t n)
{
    aff_job *tail = head;
    while (tail->next != NULL)
        tail = tail->next;
    return queue_push_list(&W.q, head, tail, n);
}

void aff_writer_stop(void)
{
    if (!W.started)
        return;
    if (W.started == 2) {
        pthread_mutex_lock(&W.tick_mu);
        W.tick_stop = 1;
        pthread_cond_signal(&W.tick_cv);
        pthread_mutex_unlock(&W.tick_mu);
        pthread_join(W.ticker, NULL);
    }
    queue_stop(&W.q);
    pthread_join(W.thread, NULL);
    aff_seen_free(W.ctx.seen);
    aff_rollups_free(W.ctx.rollups);
    aff_click_buffer_free(W.ctx.clicks);
    aff_recent_free(W.ctx.recent);
    free(W.ctx.changes);
    aff_store_close(W.ctx.st);
    W.started = 0;
}

size_t aff_writer_backlog(void)
{
    return atomic_load_explicit(&W.q.depth, memory_order_relaxed);
}

void aff_writer_stats(aff_pool_stats *out)
{
    out->batches = atomic_load(&W.batches);
    out->jobs = atomic_load(&W.jobs);
    out->commit_failures = atomic_load(&W.commit_failures);
    out->seen_pruned = atomic_load(&W.seen_pruned);
    pthread_mutex_lock(&W.q.mu);
    out->queue_depth = W.q.depth;
    pthread_mutex_unlock(&W.q.mu);
}

/* ---- readers ------------------------------------------------------------------------ */

#define MAX_READERS 64

static struct {
    queue q;
    pthread_t threads[MAX_READERS];
    aff_ctx ctx[MAX_READERS];
    int n;
} R;

static void *reader_main(void *arg)
{
    aff_ctx *ctx = arg;
    size_t n;
    aff_job *job;
    background_thread("aff-reader", ctx->cfg->background_nice);
    while ((job = queue_take(&R.q, 1, 0, &n)) != NULL) {
        job->err.field = NULL;
        job->err.msg[0] = '\0';
        job->rc = job->run(job, ctx);
        aff_store_rollback(ctx->st); /* end any read transaction the job left open */
        job->next = NULL;
        complete_all(job);
    }
    return NULL;
}

int aff_readers_start(const aff_config *cfg, const aff_click_id_key *key)
{
    queue_init(&R.q, (size_t)cfg->queue_limit);
    for (int i = 0; i < cfg->read_threads && i < MAX_READERS; i++) {
        aff_ctx *ctx = &R.ctx[i];
        int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_READER, cfg->synchronous == AFF_SYNC_FULL, &ctx->st);
        if (rc != 0)
            return rc;
        ctx->cfg = cfg;
        ctx->key = key;
        if (pthread_create(&R.threads[i], NULL, reader_main, ctx) != 0)
            return AFF_ENOMEM;
        R.n++;
    }
    return 0;
}

int aff_readers_submit(aff_job *job)
{
    return queue_push(&R.q, job);
}

void aff_readers_stop(void)
{
    queue_stop(&R.q);
    for (int i = 0; i < R.n; i++) {
        pthread_join(R.threads[i], NULL);
        aff_store_close(R.ctx[i].st);
    }
    R.n = 0;
}
