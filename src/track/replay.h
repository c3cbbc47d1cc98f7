/*
 * replay.h - recomputing commissions without writing anything: what-if for a new plan,
 * and the proof that stored commissions are what their plans yield.
 *
 * Owns: re-pricing a program's conversions, in the order they happened, with the full
 * engine (track/earn.h: tiers, caps, bonuses, parents, recurring, refunds) on a SCRATCH
 * store connection whose temporary tables shadow the ledger, the counting periods and
 * the conversions (store.h replay_prepare). The stored database is only read.
 * Counting starts at the beginning of the longest counting period (tiers, bonuses, the
 * cap) that holds `from`, so volume reached before `from` is reached in the replay.
 * Does not own: printing (main.c) or pricing rules.
 */
#ifndef AFF_TRACK_REPLAY_H
#define AFF_TRACK_REPLAY_H

#include <stdint.h>

#include "track/commission.h"

typedef struct aff_replay_row {
    int64_t affiliate_id;
    int64_t conversions;   /* conversions it earned in the window */
    int64_t current_minor; /* net commission of its lines today */
    int64_t replayed_minor;
} aff_replay_row;

#define AFF_REPLAY_BAD_MAX 16

typedef struct aff_replay_result {
    aff_replay_row *rows; /* by affiliate id; free with aff_replay_result_free */
    size_t n;
    int64_t conversions; /* re-priced */
    /* with recorded plans: conversions whose replayed gross differs from the stored */
    int64_t mismatches;
    int64_t bad_ids[AFF_REPLAY_BAD_MAX];
} aff_replay_result;

/* Re-price the conversions of program created in [from_ms, to_ms) from the store in
 * data_dir. plan NULL: each under the plan version it recorded (a check: mismatches
 * counts those whose gross differs); else all under plan, numbered plan_version. */
int aff_replay_run(const char *data_dir, int64_t program_id, int64_t from_ms, int64_t to_ms, const aff_plan *plan,
                   int plan_version, aff_replay_result *out);

void aff_replay_result_free(aff_replay_result *r);

#endif
