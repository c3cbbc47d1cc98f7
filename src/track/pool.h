/*
 * pool.h - the threads behind the event loops: one writer and a pool of readers.
 *
 * Owns: the job queues, the writer's group commit and the reader threads, each with
 * its own store connection. Does not own: what a job does (its run function) or how
 * its result reaches a client (its done function; api/ and net/ supply both).
 *
 * Job lifecycle:
 *   submitted (aff_writer_submit / aff_readers_submit, any thread)
 *     -> queued -> run(job, ctx) on the writer inside the batch transaction (a failing
 *        job is undone alone: see run_job in pool.c for how without a savepoint per job)
 *        / on a reader, outside
 *     -> COMMIT of the whole batch (fsync) -> snapshot rebuilt if the batch changed the
 *        catalog -> done(job) on the writer/reader thread.
 *   done() is called exactly once per submitted job, with job->rc set: 0, the run's
 *   error, or AFF_ESTORE when the commit failed (then no job of the batch took effect).
 *   run() may be called twice for one job (a batch replayed with savepoints): it must
 *   start from its inputs each time and overwrite, not accumulate, its outputs.
 * Invariant: nothing is acknowledged before the commit that made it durable.
 *
 * Scheduling: the writer and the readers run background_nice steps nicer than the
 * process (Linux nice values are per thread; default 0, the same). Where they share a
 * core with an event loop, a nicer writer lets the loop's parsing and answering go
 * first: an async click does not wait behind a batch being applied, and in commit mode
 * the keep-alive requests that arrive meanwhile join the next batch (33 -> 55 clicks a
 * batch). It costs one-request-per-connection traffic about 6 %, whose accepts then
 * keep the writer waiting, so it is not the default (docs/benchmarks.md, session 9).
 */
#ifndef AFF_TRACK_POOL_H
#define AFF_TRACK_POOL_H

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/id.h"
#include "store/store.h"
#include "track/snapshot.h"

/* What a running job may use. */
struct aff_rollups;
struct aff_seen;
struct aff_click_buffer;

typedef struct aff_ctx {
    aff_store *st;
    struct aff_rollups *rollups;     /* writer: per-batch rollup aggregation (track/rollup.h); else NULL */
    struct aff_seen *seen;           /* writer: the uniqueness window in memory (track/seen.h); else NULL */
    struct aff_click_buffer *clicks; /* writer: clicks waiting for the batch's multi-row insert */
    struct aff_recent *recent;       /* writer: latest conversion times (track/recent.h); else NULL */
    aff_snapshot *snap;              /* writer: the current snapshot; readers: NULL */
    const aff_config *cfg;
    const aff_click_id_key *key;
    /* Catalog rows (programs, affiliates, links, coupons, keys) changed by the batch so
     * far: a count, and with a log (the writer's) their first AFF_CATALOG_LOG_MAX ids. */
    int catalog_changed;
    aff_catalog_change *changes;
} aff_ctx;

#define AFF_CATALOG_LOG_MAX 1024

typedef struct aff_job aff_job;
struct aff_job {
    aff_job *next;
    int (*run)(aff_job *job, aff_ctx *ctx);
    void (*done)(aff_job *job);
    int rc;
    int waited_on; /* 1 when a client waits for done (used to size batches) */
    int buffered;  /* 1: run only stages (ctx->clicks, rollups), writing nothing to the
                      store, so it needs no savepoint (track/click.h) */
    aff_errinfo err;
};

typedef struct aff_pool_stats {
    uint64_t batches, jobs, queue_depth, commit_failures;
    uint64_t seen_pruned; /* click_seen rows deleted by pruning (track/seen.h) */
} aff_pool_stats;

/* Optional: fn runs on a worker thread each time it has called done() for a whole
 * writer batch, or for one reader job. done() may then only queue a result, and fn hand
 * the queued results over together (net/http.c): a loop is woken once per batch, not
 * once per job (on a shared core every wake-up preempted the writer, profiled at 15
 * switches a 38-conversion batch). Set before the threads start; NULL: none. */
void aff_pool_set_done_flush(void (*fn)(void));

/* Open the writer's store connection and start the writer thread. The snapshot is
 * built and published before this returns. */
int aff_writer_start(const aff_config *cfg, const aff_click_id_key *key);
/* Queue a job. Returns 0, AFF_EUNAVAIL when the queue is at queue_limit, or
 * AFF_ESHUTDOWN after aff_writer_stop began. done() is not called on error. */
int aff_writer_submit(aff_job *job);
/* Queue the n jobs linked through ->next from head (one lock, one wake-up). Returns 0,
 * AFF_EUNAVAIL or AFF_ESHUTDOWN (then none was queued). */
int aff_writer_submit_list(aff_job *head, size_t n);
/* Run every queued job, commit, stop the thread, close the store. */
void aff_writer_stop(void);
void aff_writer_stats(aff_pool_stats *out);
/* Jobs waiting for the writer right now (a racy but cheap read, for backpressure). */
size_t aff_writer_backlog(void);

int aff_readers_start(const aff_config *cfg, const aff_click_id_key *key);
int aff_readers_submit(aff_job *job);
void aff_readers_stop(void);

#endif
