/*
 * clock.h - wall-clock time in Unix milliseconds and its ISO 8601 / date forms.
 * Tests may pin the clock with aff_clock_set_fake (process-wide, for unit tests only).
 */
#ifndef AFF_CORE_CLOCK_H
#define AFF_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define AFF_MS_PER_HOUR 3600000LL
#define AFF_MS_PER_DAY 86400000LL

/* Current Unix time in milliseconds (CLOCK_REALTIME), or the fake time when set. */
int64_t aff_clock_now_ms(void);

/* Pin the clock to ms (0 to unpin). Not thread-safe against concurrent readers' intent:
 * meant for unit tests. */
void aff_clock_set_fake(int64_t ms);

/* "2026-11-21T08:53:15.123Z" into buf; returns the length or AFF_ETOOBIG. */
int aff_clock_format_iso(int64_t ms, char *buf, size_t cap);

/* "2026-11-21" (UTC day of ms) into buf; returns the length or AFF_ETOOBIG. */
int aff_clock_format_day(int64_t ms, char *buf, size_t cap);

/* Parse exactly "YYYY-MM-DD" (a real calendar date, years 1970..9999) into the Unix ms
 * of its UTC midnight. Returns 0 or AFF_EINVAL. */
int aff_clock_parse_day(const char *s, size_t len, int64_t *out_ms);

#endif
