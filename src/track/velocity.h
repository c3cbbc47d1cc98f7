/*
 * velocity.h - "at most LIMIT events per WINDOW" counters for many keys, shared
 * by every event loop without locks (docs/fraud.md, rules ip_velocity,
 * ip_link_velocity and duplicate_click).
 *
 * Each key is rate-limited with GCRA (the generic cell rate algorithm): a key
 * may send LIMIT events at once, then one more every WINDOW/LIMIT. An event over
 * the limit is reported and counted too (up to one window beyond the limit), so
 * a flood stays over the limit for as long as it lasts, rather than getting one
 * event through per interval; a key that stops is allowed again within a window. The state of a key is one 64-bit word (a 24-bit tag of
 * the key and its theoretical arrival time in ms) in a direct-mapped table
 * updated by compare-and-swap: O(1), no allocation, memory fixed at creation.
 * Two live keys that share a slot evict each other's state, which can only let
 * events through (fail open), never flag a visitor for another's traffic. Keys
 * must be uniformly distributed (keyed hashes).
 */
#ifndef AFF_TRACK_VELOCITY_H
#define AFF_TRACK_VELOCITY_H

#include <stdint.h>

typedef struct aff_velocity aff_velocity;

/* A table of 2^slots_log2 slots (8 bytes each), or NULL without memory. */
aff_velocity *aff_velocity_new(unsigned slots_log2);
void aff_velocity_free(aff_velocity *v);

/* Count one event of key at now_ms against limit events per window_ms. Returns
 * 1 when the event is over the limit, else 0. limit 0 means no limit. Safe from
 * any thread. */
int aff_velocity_hit(aff_velocity *v, uint64_t key, int64_t now_ms, uint32_t limit, int64_t window_ms);

#endif
