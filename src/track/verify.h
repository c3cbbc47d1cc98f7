/*
 * verify.h - the consistency check behind `afftrack verify`: raw events recounted
 * against the hourly rollups (store), and every conversion's ledger lines against the
 * refund rule of conversion.h (track). Read-only; safe while the server runs when given
 * a reader connection.
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
} aff_verify_report;

/* Run every check inside one read transaction of st. Returns 0 (whatever was found) or
 * a store error. */
int aff_verify_run(aff_store *st, aff_verify_report *out);

/* 1 when the rollups equal the recount and no ledger mismatched. */
int aff_verify_ok(const aff_verify_report *r);

#endif
