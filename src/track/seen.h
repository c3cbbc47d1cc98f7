/*
 * seen.h - the uniqueness window in memory (writer thread only).
 *
 * A click is unique when no unique click of the same (link, visitor fingerprint)
 * happened within unique_window_hours before it. The store's click_seen table is the
 * durable record (one row per pair, the time of its last unique click); this module
 * keeps every pair younger than the window in memory, loaded at start, so deciding
 * uniqueness costs one hash lookup and only unique clicks write a row.
 *
 * Bounded: past AFF_SEEN_MAX_ENTRIES pairs the set stops being authoritative and misses
 * fall back to reading the store (correct, slower), until the next prune shrinks it.
 * Rolled-back batches: aff_seen_forget_batch() discards what the batch added (the store
 * rolled back too).
 */
#ifndef AFF_TRACK_SEEN_H
#define AFF_TRACK_SEEN_H

#include <stdint.h>

#include "track/pool.h"

#define AFF_SEEN_MAX_ENTRIES (4u << 20)

typedef struct aff_seen aff_seen;

/* Load the pairs younger than window_ms before now_ms from the store (and delete older
 * rows). Returns 0 or a store error. */
int aff_seen_open(aff_store *st, int64_t now_ms, int64_t window_ms, aff_seen **out);
void aff_seen_free(aff_seen *s);

/* Decide uniqueness of a click at now_ms and, when unique, remember it in memory. Reads
 * the store when ctx->seen is NULL or not authoritative; never writes it: the caller
 * writes the click_seen row of a unique click (track/click.c) in the same transaction. */
int aff_seen_decide(aff_ctx *ctx, int64_t link_id, uint64_t fingerprint, int64_t now_ms, int *unique);

/* A job was rolled back to its savepoint: reload from the store (which no longer holds
 * that job's rows) if the batch changed anything. */
void aff_seen_job_failed(aff_seen *s);
/* The batch ended: committed, or rolled back (then reload what the store still has). */
void aff_seen_batch_end(aff_seen *s, int committed);

#endif
