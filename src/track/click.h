/*
 * click.h - recording a click (writer thread).
 * Owns: uniqueness (the same link and visitor fingerprint within unique_window_hours
 * counts once) and the click's contribution to the hourly rollup, written in the same
 * transaction as the click. Does not own: resolving the link or building the redirect
 * (api/track.c does that on the event loop from the snapshot).
 */
#ifndef AFF_TRACK_CLICK_H
#define AFF_TRACK_CLICK_H

#include <stdint.h>

#include "track/pool.h"

/* A visitor fingerprint stable across restarts: SipHash-2-4 of (ip NUL user_agent) keyed
 * with the second half of the store's secret, so nobody can aim two visitors at one
 * fingerprint. Pure; callable from any thread. */
uint64_t aff_click_fingerprint(const aff_click_id_key *key, const char *ip, const char *user_agent);

/* Record a click: decide uniqueness (row->flags gets AFF_CLICK_UNIQUE), stage its rollup
 * delta (a click flagged AFF_CLICK_BOT or AFF_CLICK_REJECTED by screening counts in
 * bot_clicks or rejected_clicks instead, is never unique and leaves the window alone), and store the row and, when unique, its click_seen row. With a click buffer and
 * the uniqueness window (ctx->clicks and ctx->seen, the writer's), the rows are only
 * queued: row must stay valid until the
 * next aff_click_flush, and nothing is written to the store by this call, so a batch of
 * buffered clicks needs no savepoints. Without one, they are written at once.
 * Writer thread only, inside the batch transaction. */
int aff_click_record(aff_ctx *ctx, aff_click_row *row, uint64_t fingerprint);

typedef struct aff_click_buffer aff_click_buffer;
aff_click_buffer *aff_click_buffer_new(void);
void aff_click_buffer_free(aff_click_buffer *b);
/* Write the buffered clicks (multi-row inserts) and their click_seen rows, then empty
 * the buffer. On error the batch must be rolled back. No-op without a buffer. */
int aff_click_flush(aff_ctx *ctx);
/* Forget the buffered clicks (their batch is being rolled back). */
void aff_click_buffer_reset(aff_click_buffer *b);

#endif
