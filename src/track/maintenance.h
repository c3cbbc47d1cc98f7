/*
 * maintenance.h - the writer's periodic work: what time alone changes.
 *
 * Owns, every maintenance_interval_ms (a job on the writer, in its own batch):
 *   0. cost per click: for every program whose plan pays "click", each affiliate's
 *      unique clicks of the hours that ended (5 minutes ago) since the last charge get
 *      one "cpc" ledger line (flat_minor x unique clicks, held like any commission);
 *      the first round only marks where charging starts;
 *   1. commission lines and conversions whose hold ended become approved
 *      (aff_ledger_auto_approve);
 *   2. approved lines of approved affiliates become payable (aff_ledger_release);
 *   3. programs whose payout schedule is due get their payout run
 *      (aff_payout_run_scheduled);
 *   4. once an hour, the conversion-rate outliers of screening rule cr_outlier
 *      (aff_screen_outliers).
 * Does not own: the timer (track/pool.c's ticker submits the job) or any rule.
 */
#ifndef AFF_TRACK_MAINTENANCE_H
#define AFF_TRACK_MAINTENANCE_H

#include "track/pool.h"

typedef struct aff_maintenance_stats {
    int64_t cpc_lines, approved_lines, approved_conversions, released_lines;
    int payout_runs;
    int outliers_computed; /* 1 when the conversion-rate outliers were recomputed */
} aff_maintenance_stats;

/* Step 0 alone (*lines: cpc lines written). */
int aff_maintenance_cpc(aff_store *st, int64_t now_ms, int64_t *lines);

/* One round at now_ms inside the caller's transaction. */
int aff_maintenance_run(aff_store *st, int64_t now_ms, aff_maintenance_stats *out);

#endif
