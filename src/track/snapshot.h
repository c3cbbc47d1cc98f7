/*
 * snapshot.h - the immutable in-memory catalog the hot path reads: programs, links,
 * coupons, affiliates and API keys, indexed for O(1) lookup.
 *
 * Owns: building a snapshot from the store, publishing it, and reclaiming old ones.
 * Invariants:
 *   - A published snapshot is never modified. The writer thread builds a new one after
 *     it commits a catalog change and swaps the global pointer atomically.
 *   - Readers (event-loop threads) take the current snapshot with aff_snapshot_acquire
 *     on their own hazard slot and give it back with aff_snapshot_release before their
 *     callback returns: no snapshot pointer outlives one callback. Copy what a pending
 *     request needs.
 *   - A retired snapshot is freed only when no hazard slot points at it (hazard
 *     pointers, checked by the writer after each publish and periodically) and no
 *     overlay builds on it (refs, counted by the writer).
 * Lifecycle: build (writer or main) -> publish (writer) -> retired -> freed (reclaim).
 */
#ifndef AFF_TRACK_SNAPSHOT_H
#define AFF_TRACK_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/map.h"
#include "core/mem.h"
#include "store/store.h"
#include "track/commission.h"
#include "track/cap.h"
#include "track/screen.h"

#define AFF_SNAP_MAX_SLOTS 128

enum { AFF_AFF_PENDING, AFF_AFF_APPROVED, AFF_AFF_SUSPENDED, AFF_AFF_REJECTED };

typedef struct aff_snap_program {
    int64_t id;
    const char *name, *currency, *destination_url, *allowed_domains, *click_id_param, *postback_token;
    const char *fallback_url; /* NULL: blocked clicks get 403 (docs/fraud.md) */
    int exponent;
    int cookie_days;
    int hold_days;
    int first_click;
    int plan_version;
    aff_plan plan;
    aff_screen_config screening;
    aff_caps caps;
} aff_snap_program;

typedef struct aff_snap_link {
    int64_t id, program_id, affiliate_id;
    const char *code;
    const char *destination_url; /* NULL: the program's */
    const char *sub[5];          /* never NULL; "" when unset */
} aff_snap_link;

typedef struct aff_snap_coupon {
    int64_t id, program_id, affiliate_id;
    const char *code; /* upper case */
} aff_snap_coupon;

typedef struct aff_snap_affiliate {
    int64_t id, parent_id;
    int status; /* AFF_AFF_* */
} aff_snap_affiliate;

typedef struct aff_snap_key {
    unsigned char hash[32];
    int admin;
    int64_t affiliate_id;
} aff_snap_key;

typedef struct aff_snapshot {
    aff_arena arena;
    aff_map programs, program_tokens, links, link_ids, coupons, affiliates, keys;
    size_t nprograms, nlinks, ncoupons, naffiliates, nkeys; /* entries of this level only */
    struct aff_snapshot *base; /* overlays: the full snapshot under this one; NULL for a full one */
    int refs;                  /* overlays built on this one (writer-only count) */
    struct aff_snapshot *retired_next;
} aff_snapshot;

/* One catalog row a batch changed (track/catalog.c records them in the writer's ctx). */
enum { AFF_CHANGE_PROGRAM, AFF_CHANGE_AFFILIATE, AFF_CHANGE_LINK, AFF_CHANGE_COUPON, AFF_CHANGE_KEY };
typedef struct aff_catalog_change {
    int kind;
    int64_t id;      /* the row's id (not for keys) */
    aff_key_row key; /* AFF_CHANGE_KEY: the key itself (keys have no id) */
} aff_catalog_change;

/* An overlay keeps at least this many changes before a full rebuild is preferred. */
#define AFF_SNAP_OVERLAY_MIN 4096

/* Build a snapshot from st (blocking; writer or start-up only). */
int aff_snapshot_build(aff_store *st, aff_snapshot **out);
/* The snapshot after a batch that changed n catalog rows: an overlay holding those rows
 * (loaded by id from st) and the entries of cur's overlay, over cur's full snapshot, so a
 * change costs O(changes) instead of a full reload (1.5 s at 10^6 links). Once the
 * overlay would exceed max(AFF_SNAP_OVERLAY_MIN, 1/16 of the base) a full snapshot is
 * built instead. Lookups consult the overlay, then its base. Writer only. */
int aff_snapshot_update(aff_store *st, aff_snapshot *cur, const aff_catalog_change *changes, size_t n,
                        aff_snapshot **out);
/* For single-threaded tools: replace *snap (which may be NULL) with a fresh build from
 * st, freeing the old one. On error *snap is unchanged. */
int aff_snapshot_refresh(aff_store *st, aff_snapshot **snap);
void aff_snapshot_free(aff_snapshot *s);

/* Lookups (no allocation, thread-safe on a published snapshot). NULL when absent. */
const aff_snap_program *aff_snap_program_get(const aff_snapshot *s, int64_t id);
const aff_snap_program *aff_snap_program_by_token(const aff_snapshot *s, const char *token, size_t len);
const aff_snap_link *aff_snap_link_get(const aff_snapshot *s, const char *code, size_t len);
const aff_snap_link *aff_snap_link_by_id(const aff_snapshot *s, int64_t id);
const aff_snap_coupon *aff_snap_coupon_get(const aff_snapshot *s, int64_t program_id, const char *upper_code);
const aff_snap_affiliate *aff_snap_affiliate_get(const aff_snapshot *s, int64_t id);
const aff_snap_key *aff_snap_key_get(const aff_snapshot *s, const unsigned char hash[32]);

/* Publication. Slots 0..AFF_SNAP_MAX_SLOTS-1 are handed out with aff_snapshot_slot(). */
int aff_snapshot_slot(void);
const aff_snapshot *aff_snapshot_acquire(int slot);
void aff_snapshot_release(int slot);
/* Writer only: make s current; the previous one is retired. */
void aff_snapshot_publish(aff_snapshot *s);
/* Writer only: the current snapshot (the writer never needs a hazard slot). */
aff_snapshot *aff_snapshot_current(void);
/* Free retired snapshots that no hazard slot points at. Writer only. */
void aff_snapshot_reclaim(void);
/* At exit, after every reader stopped: free current and retired. */
void aff_snapshot_shutdown(void);

#endif
