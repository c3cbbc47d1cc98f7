/*
 * recent.h - the writer's memory of each (program, affiliate)'s latest conversion
 * times, so that the conversion_velocity rule (track/screen.c) counts "conversions in
 * the last minute" without a query per conversion (the query cost 11k of a postback's
 * 203k instructions: an index range and a table lookup per row for the test flag).
 *
 * Exact, not an estimate: for a key it holds the `cap` largest created_ms of the key's
 * non-test conversions, cap being the largest count asked for (the rule's threshold),
 * read from the store the first time and kept up to date by aff_recent_add. A count up
 * to max <= cap over the top cap times equals the store's count up to max, whatever
 * order the times arrive in. A conversion's program, affiliate, test flag and time never
 * change once stored, so the only way memory and store can part is a rollback: the
 * writer then calls aff_recent_clear, and every key is read again when next asked.
 * Writer thread only.
 */
#ifndef AFF_TRACK_RECENT_H
#define AFF_TRACK_RECENT_H

#include <stdint.h>

#include "store/store.h"

typedef struct aff_recent aff_recent;

/* An empty memory, or NULL without memory. */
aff_recent *aff_recent_new(void);
void aff_recent_free(aff_recent *r);

/* *n = the number, up to max (> 0), of non-test conversions of (program, affiliate)
 * created at or after since_ms, as the store holds them in the caller's transaction. */
int aff_recent_count(aff_recent *r, aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                     int64_t max, int64_t *n);

/* A non-test conversion of (program, affiliate) created at created_ms was inserted. */
void aff_recent_add(aff_recent *r, int64_t program_id, int64_t affiliate_id, int64_t created_ms);

/* Forget every key (after a rollback). */
void aff_recent_clear(aff_recent *r);

#endif
