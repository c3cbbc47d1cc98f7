/*
 * rollup.h - the writer's aggregation of hourly rollup deltas.
 *
 * Events of one batch often hit the same (hour, program, affiliate, link) row: a burst
 * of clicks on one link is one row. Instead of one UPSERT per event, deltas are summed
 * in memory and written once per key, just before the batch commits, inside the same
 * transaction, so reports still equal the raw events exactly.
 *
 * Savepoint discipline: a job's deltas are staged; aff_rollup_job_done(ok) merges them
 * into the batch (ok) or drops them (the job was rolled back). Without an aggregator
 * (ctx->rollups == NULL, e.g. command-line tools and unit tests) aff_rollup_add writes
 * straight to the store, and the other calls do nothing.
 */
#ifndef AFF_TRACK_ROLLUP_H
#define AFF_TRACK_ROLLUP_H

#include "track/pool.h"

typedef struct aff_rollups aff_rollups;

aff_rollups *aff_rollups_new(void);
void aff_rollups_free(aff_rollups *r);

/* Add d to the row of (hour, program, affiliate, link) for the running job. */
int aff_rollup_add(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                   const aff_rollup_delta *d);
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
