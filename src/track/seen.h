/*
 * seen.h - the uniqueness window's cache (writer thread only).
 *
 * A click is unique when no unique click of the same (link, visitor fingerprint)
 * happened within unique_window_hours before it. The store's click_seen table is the
 * authority (one row per pair: the time of its last unique click). This module caches
 * pairs in memory, including pairs the store has no row for, so a repeat visitor costs
 * one hash lookup and a new one a single primary-key read. Nothing is loaded at start
 * (a 24-hour window can hold millions of pairs: loading it took over 10 s with 10^8
 * clicks stored). Bounded: past AFF_SEEN_MAX_ENTRIES pairs the cache is emptied at the
 * end of a batch (never within one: a batch's decisions must stay cached until its
 * click_seen rows are written). Rolled-back jobs and batches empty it too.
 */
#ifndef AFF_TRACK_SEEN_H
#define AFF_TRACK_SEEN_H

#include <stdint.h>

#include "track/pool.h"

#define AFF_SEEN_MAX_ENTRIES (512u << 10) /* about 24 MB of table */

typedef struct aff_seen aff_seen;

/* A new, empty cache. (st and now_ms are unused: kept for the callers' symmetry.) */
int aff_seen_open(aff_store *st, int64_t now_ms, int64_t window_ms, aff_seen **out);
void aff_seen_free(aff_seen *s);

/* Decide uniqueness of a click at now_ms and remember the outcome in the cache. Reads the
 * store on a cache miss (or always when ctx->seen is NULL); never writes it: the caller
 * writes the click_seen row of a unique click (track/click.c) in the same transaction. */
int aff_seen_decide(aff_ctx *ctx, int64_t link_id, uint64_t fingerprint, int64_t now_ms, int *unique);

/* A job was rolled back to its savepoint: forget what the batch cached (the store no
 * longer holds that job's rows) if the batch changed anything. */
void aff_seen_job_failed(aff_seen *s);
/* The batch ended: committed, or rolled back (then forget what it cached). */
void aff_seen_batch_end(aff_seen *s, int committed);

/* Pruning. click_seen gains a row per new (link, visitor) pair and would otherwise grow
 * forever; a row whose last unique click is older than the window decides nothing (no
 * row and an expired row both make the next click unique), so it can go. Each call is
 * one bounded step of a sweep over the table in key order, run by the caller inside a
 * transaction of its own (the writer: after a batch, when no job waits and at most
 * every AFF_SEEN_PRUNE_EVERY_MS, or while jobs keep waiting every
 * AFF_SEEN_PRUNE_BUSY_MS): it examines AFF_SEEN_PRUNE_MIN rows plus twice the unique
 * clicks decided since the last step (at most AFF_SEEN_PRUNE_MAX, about 3 ms of the
 * writer's time) and deletes those older than now_ms - window -
 * AFF_SEEN_PRUNE_MARGIN_MS. The margin covers clicks stamped a little before the
 * writer's clock (queued, or a clock stepped back). The cache needs no change: it holds
 * the same decision for a pruned pair. *deleted: the rows this step deleted. Store
 * errors are returned; the caller rolls back. */
#define AFF_SEEN_PRUNE_MIN 1024
#define AFF_SEEN_PRUNE_MAX 16384
#define AFF_SEEN_PRUNE_EVERY_MS 250
#define AFF_SEEN_PRUNE_BUSY_MS 2000
#define AFF_SEEN_PRUNE_MARGIN_MS (60 * 60 * 1000)
int aff_seen_prune(aff_seen *s, aff_store *st, int64_t now_ms, int64_t *deleted);
/* Rows deleted by pruning since aff_seen_open. */
int64_t aff_seen_pruned(const aff_seen *s);

#endif
