/*
 * tz.h - local days and months in a named time zone (IANA, "Europe/Berlin"), through
 * ICU's calendar (libicu: the tz database with its DST rules), for caps counted "per
 * day in the program's time zone".
 *
 * Owns: validating zone names and finding the UTC instants where the local day or
 * month holding an instant starts and ends. A per-thread cache keeps the last periods
 * asked for, so the event loops pay ICU only when a period turns over.
 * Does not own: which zone a program uses (its `time_zone`), the periods of commission
 * plans (UTC, track/commission.h).
 */
#ifndef AFF_CORE_TZ_H
#define AFF_CORE_TZ_H

#include <stddef.h>
#include <stdint.h>

#define AFF_TZ_MAX 64

enum { AFF_TZ_DAY = 0, AFF_TZ_MONTH = 1 };

/* 1 when zone names a time zone of the tz database (or is "UTC"). */
int aff_tz_valid(const char *zone);

/* [*start, *end) of the local day or month (AFF_TZ_*) of zone that holds ms. "" or
 * "UTC" is UTC. Returns 0, or AFF_EINVAL for an unknown zone (then UTC is used). */
int aff_tz_period(const char *zone, int period, int64_t ms, int64_t *start, int64_t *end);

#endif
