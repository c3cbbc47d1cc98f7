/*
 * rollup.h - the writer's aggregation of rollup deltas.
 *
 * Every event counts in two rollups: the hourly one keyed (hour, program, affiliate,
 * link), which the store also adds to its day's row in stats_daily, and the daily
 * sub-ID one keyed (day, program, affiliate, sub1) in stats_sub_daily. Events of one
 * batch often hit the same rows: a burst of clicks on one link, or from one placement,
 * is one row of each. Instead of UPSERTs per event, deltas are summed in memory and
 * written once per key, just before the batch commits, inside the same transaction,
 * so reports still equal the raw events exactly.
 *
 * sub1 is the attributed click's (a click's own; a conversion's, its refunds' and its
 * rejection's: the sub1 the conversion recorded; "" when there was no click, e.g. a
 * coupon, or for lines tied to no conversion, such as cost per click).
 *
 * Commission and sub-affiliates: every ledger line of a conversion counts in the
 * converting affiliate's commission_minor (the brand's cost of its traffic); a line paid
 * to another affiliate (a parent's override, and its corrections) counts in that row's
 * overrides_minor too, and in the payee's own override_income_minor, on its row of the
 * same hour and program with link 0 and sub1 "". aff_rollup_split collects the lines of
 * one change and aff_rollup_add_split stages all of those rows at once.
 *
 * Savepoint discipline: a job's deltas are staged; aff_rollup_job_keep merges them into
 * the batch and aff_rollup_job_drop drops them (the job was rolled back). Without an
 * aggregator (ctx->rollups == NULL, e.g. command-line tools and unit tests)
 * aff_rollup_add writes straight to the store, and the other calls do nothing.
 */
#ifndef AFF_TRACK_ROLLUP_H
#define AFF_TRACK_ROLLUP_H

#include "track/pool.h"

typedef struct aff_rollups aff_rollups;

aff_rollups *aff_rollups_new(void);
void aff_rollups_free(aff_rollups *r);

/* Add d to the rows of (hour, program, affiliate, link) and (day of hour, program,
 * affiliate, sub1) for the running job. sub1 is read up to AFF_SUB_MAX bytes and copied.
 * Returns 0, AFF_ERANGE (a job staged more than 8192 rows), AFF_ENOMEM or a store
 * error. */
int aff_rollup_add(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                   const char *sub1, const aff_rollup_delta *d);
/* The ledger amounts of one change of a conversion (its new lines, a rejection's
 * removal of them, or a retroactive tier's adjustments of the same affiliate's earlier
 * conversions), split for the reports. */
#define AFF_ROLLUP_PAYEES_MAX 64
typedef struct aff_rollup_split {
    int64_t commission_minor; /* every amount */
    int64_t overrides_minor;  /* the amounts paid to others than the converting affiliate */
    int n;                    /* those others, with what each was paid */
    int64_t payee[AFF_ROLLUP_PAYEES_MAX], income_minor[AFF_ROLLUP_PAYEES_MAX];
} aff_rollup_split;

void aff_rollup_split_clear(aff_rollup_split *s);
/* Count amount_minor of a line paid to payee_id of a conversion of owner_id (the
 * converting affiliate). Returns 0, or AFF_ERANGE when the change pays more than
 * AFF_ROLLUP_PAYEES_MAX others (s is unchanged then). */
int aff_rollup_split_line(aff_rollup_split *s, int64_t owner_id, int64_t payee_id, int64_t amount_minor);

/* Stage d plus s for the running job: d with s's commission_minor and overrides_minor
 * added on (hour, program, affiliate, link, sub1), and each payee's income on (hour,
 * program, payee, 0, ""). All rows or none. Returns as aff_rollup_add. */
int aff_rollup_add_split(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                         const char *sub1, const aff_rollup_delta *d, const aff_rollup_split *s);

/* The same rows, written to the store at once (outside the writer's batches). */
int aff_rollup_write(aff_store *st, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                     const char *sub1, const aff_rollup_delta *d);
/* End of a successful job: merge its staged deltas into the batch. Returns 0, or
 * AFF_ENOMEM with nothing merged (the caller then rolls the job back). */
int aff_rollup_job_keep(aff_rollups *r);
/* End of a failed job: drop its staged deltas. */
void aff_rollup_job_drop(aff_rollups *r);
/* Write every aggregated row to the store (before COMMIT). On error the batch must be
 * rolled back. The aggregate is emptied either way. */
int aff_rollup_flush(aff_rollups *r, aff_store *st);
/* Forget everything (the batch was rolled back). */
void aff_rollup_reset(aff_rollups *r);

#endif
