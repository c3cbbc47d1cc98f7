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

/* Store row (its flags get AFF_CLICK_UNIQUE when it is unique) and add it to the rollup.
 * Writer thread only, inside the batch transaction. */
int aff_click_record(aff_ctx *ctx, aff_click_row *row, uint64_t fingerprint);

#endif
