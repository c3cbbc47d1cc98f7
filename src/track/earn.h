/*
 * earn.h - what a recorded conversion earns, and for whom: the commission plan applied
 * over the store's memory of each affiliate's periods.
 *
 * Owns, in this order for one conversion (aff_earn_price):
 *   1. recurring: a renewal earns only inside its event's "recurring" window from the
 *      customer's original conversion, priced by the original's plan version and tier
 *      unless the plan says rate "current"; renewals do not count towards volume;
 *   2. volume: the affiliate's conversions and revenue in each counting period the
 *      event's tiers and bonuses use (commission_period rows);
 *   3. the plan's lines for the conversion at that volume (track/commission.h);
 *   4. the per-affiliate cap of the period: commission above it is not earned (the
 *      lines collapse into one "caps:affiliate" line);
 *   5. retroactive tiers: when the volume reaches a new level, every earlier
 *      conversion of the period is re-priced at it and gets an adjusting line
 *      ("tier_adjust"); the cap applies to adjustments too;
 *   6. sub-affiliate shares: the affiliate's parents, level by level, earn the plan's
 *      percentage of its commission ("override:<level>"), kept in step whenever the
 *      commission changes;
 *   7. milestone bonuses, once per affiliate, bonus and period ("bonus:<name>").
 * Does not own: attribution, idempotency, refunds (track/conversion.c), the line
 * lifecycle (track/ledger.h).
 * Runs on the writer inside its transaction, or on a scratch connection (replay).
 */
#ifndef AFF_TRACK_EARN_H
#define AFF_TRACK_EARN_H

#include <stdint.h>

#include "track/commission.h"
#include "track/conversion.h"
#include "track/rollup.h"

typedef enum aff_earn_mode {
    AFF_EARN_STORED, /* r->conv is stored: its earned, tier and plan version are updated */
    AFF_EARN_DRY,    /* a test or rejected conversion: nothing is stored or counted */
    AFF_EARN_NEW,    /* r->conv has its id (aff_store_conversion_next_id) but is not stored
                      * yet: the caller inserts it afterwards, with what it earned (one
                      * write of the row instead of an insert and an update) */
} aff_earn_mode;

/* Price r->conv (not a test, not rejected) under plan (version plan_version), append
 * its lines to r and the store, set its earned/tier/plan_version (in the store too for
 * AFF_EARN_STORED), and count it in its periods. *split gets every amount appended (this
 * conversion's lines and adjustments of the affiliate's earlier ones), by payee, for the
 * reports (track/rollup.h). AFF_EARN_DRY: r gets the lines it would earn. */
int aff_earn_price(aff_ctx *ctx, const aff_plan *plan, int plan_version, aff_conversion_result *r, int64_t now_ms,
                   aff_earn_mode mode, aff_rollup_split *split);

/* Bring the parents' shares of a conversion in line with its commission. */
int aff_earn_sync_parents(aff_ctx *ctx, const aff_plan *plan, aff_conversion_result *r, int64_t now_ms, int64_t *delta);

/* The plan of (program, version), parsed; AFF_ENOTFOUND when the store has none. */
int aff_earn_plan_of(aff_store *st, int64_t program_id, int version, aff_plan *plan);

#endif
