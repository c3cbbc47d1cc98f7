/*
 * clickcap.h - caps on clicks (track/cap.h's "clicks" metric): counted on the event
 * loops, where a click is answered, without locks.
 *
 * Owns: one process-wide table of counters keyed by (program, affiliate or 0 for the
 * program's count, day or month, period start), each an atomic count updated by
 * fetch-and-add, so a hard cap of N admits exactly N clicks of a period in this process
 * whatever the concurrency; seeding the table from the stored rollups (clicks already
 * recorded this day and month) when serving starts and when a program's caps change,
 * before the loops see them. A period's first click creates its counter at 0 (a new
 * period has no clicks). A full table fails open (clicks are admitted).
 * Does not own: what happens to a click over a cap (api/tracking.c: to the program's
 * fallback_url, else recorded as rejected; a soft cap flags it), conversion caps.
 */
#ifndef AFF_TRACK_CLICKCAP_H
#define AFF_TRACK_CLICKCAP_H

#include <stdint.h>

#include "store/store.h"
#include "track/cap.h"

/* The table, 2^slots_log2 counters. 0, AFF_ENOMEM. */
int aff_clickcap_open(unsigned slots_log2);
void aff_clickcap_close(void);

/* Seed the counters of program's click caps with the clicks stored in the rollups of
 * the day and month holding now_ms; counters that exist already keep counting. */
int aff_clickcap_seed(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t now_ms);

typedef struct aff_clickcap_verdict {
    int over; /* over a hard cap: the click is not admitted */
    int soft; /* over a soft cap only */
    int code; /* 65/66 program clicks a day/month, 85/86 an affiliate's; 0 none */
} aff_clickcap_verdict;

/* Count a click of affiliate against program's click caps. A click over a hard cap is
 * not counted (so the cap admits exactly its limit). Never blocks, never allocates. */
void aff_clickcap_admit(int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                        aff_clickcap_verdict *out);

/* The count of (program, affiliate or 0, period, start), 0 when absent. */
int64_t aff_clickcap_count(int64_t program_id, int64_t affiliate_id, int period, int64_t start_ms);

#endif
