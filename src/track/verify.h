/*
 * verify.h - the consistency check behind `afftrack verify`: raw events recounted
 * against the hourly rollups (store); every conversion's ledger against the invariants
 * of track/ledger.h; every conversion's items against the API's bounds; the balances
 * the store keeps against a recount of the lines; and
 * (aff_verify_plans) every conversion's gross against a replay of its program under
 * the plan versions it recorded (track/replay.h). Read-only; safe while the server
 * runs.
 */
#ifndef AFF_TRACK_VERIFY_H
#define AFF_TRACK_VERIFY_H

#include "store/store.h"

#define AFF_VERIFY_LIST_MAX 10

typedef struct aff_verify_report {
    aff_verify_counts counts;
    int64_t conversions_checked;
    int64_t ledger_mismatches;
    int64_t bad_ids[AFF_VERIFY_LIST_MAX]; /* the first mismatching conversion ids */
    int64_t items_out_of_bounds;          /* conversions whose items the API would refuse (aff_comm_items_check) */
    int64_t items_bad_ids[AFF_VERIFY_LIST_MAX];
    int64_t balance_mismatches; /* (program, affiliate, status) balances off their lines */
    int64_t programs_replayed;
    int64_t plan_mismatches; /* conversions whose gross is not what their plan yields */
    int64_t plan_bad_ids[AFF_VERIFY_LIST_MAX];
} aff_verify_report;

/* Run every check inside one read transaction of st. Returns 0 (whatever was found) or
 * a store error. */
int aff_verify_run(aff_store *st, aff_verify_report *out);

/* Replay every program of the store in data_dir under its recorded plan versions,
 * adding to r's plan_* fields. */
int aff_verify_plans(const char *data_dir, aff_verify_report *r);

/* 1 when the rollups equal the recount, every conversion's items are within bounds and
 * no ledger, balance or plan mismatched. */
int aff_verify_ok(const aff_verify_report *r);

#endif
