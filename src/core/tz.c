/* tz.c - local periods through ICU's calendar; see tz.h. */
#include "core/tz.h"

#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/err.h"

#define MS_PER_DAY 86400000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int is_utc(const char *zone)
{
    return zone == NULL || zone[0] == '\0' || strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0;
}

static UCalendar *open_zone(const char *zone)
{
    UChar id[AFF_TZ_MAX + 1];
    int32_t n = 0;
    UErrorCode e = U_ZERO_ERROR;
    u_strFromUTF8(id, AFF_TZ_MAX + 1, &n, zone, -1, &e);
    if (U_FAILURE(e))
        return NULL;
    UBool system = 0;
    UChar canon[AFF_TZ_MAX + 1];
    e = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, n, canon, AFF_TZ_MAX + 1, &system, &e);
    if (U_FAILURE(e) || !system)
        return NULL;
    e = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, n, "en_US_POSIX", UCAL_GREGORIAN, &e);
    if (U_FAILURE(e)) {
        if (cal != NULL)
            ucal_close(cal);
        return NULL;
    }
    return cal;
}

int aff_tz_valid(const char *zone)
{
    if (is_utc(zone))
        return 1;
    if (strlen(zone) > AFF_TZ_MAX)
        return 0;
    UCalendar *cal = open_zone(zone);
    if (cal == NULL)
        return 0;
    ucal_close(cal);
    return 1;
}

/* The local start of the day or month holding ms: set the calendar to ms, clear the
 * time of day (and the day of month), read the instant back. ICU resolves a local
 * midnight that does not exist (a DST gap) to the next valid instant. */
static int64_t local_start(UCalendar *cal, int period, int64_t ms, int months_ahead)
{
    UErrorCode e = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)ms, &e);
    ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
    ucal_set(cal, UCAL_MINUTE, 0);
    ucal_set(cal, UCAL_SECOND, 0);
    ucal_set(cal, UCAL_MILLISECOND, 0);
    if (period == AFF_TZ_MONTH)
        ucal_set(cal, UCAL_DATE, 1);
    if (months_ahead)
        ucal_add(cal, period == AFF_TZ_MONTH ? UCAL_MONTH : UCAL_DATE, 1, &e);
    UDate d = ucal_getMillis(cal, &e);
    return U_FAILURE(e) ? ms : (int64_t)d;
}

typedef struct cached {
    char zone[AFF_TZ_MAX + 1];
    int period;
    int64_t start, end;
} cached;

#define CACHE 8
static _Thread_local cached cache[CACHE];
static _Thread_local unsigned next_slot;

int aff_tz_period(const char *zone, int period, int64_t ms, int64_t *start, int64_t *end)
{
    int rc = 0;
    if (is_utc(zone)) {
        if (period == AFF_TZ_DAY) {
            *start = floor_div(ms, MS_PER_DAY) * MS_PER_DAY;
            *end = *start + MS_PER_DAY;
            return 0;
        }
        zone = "UTC"; /* months: ICU's calendar, as for any zone */
    }
    for (int i = 0; i < CACHE; i++) {
        cached *c = &cache[i];
        if (c->period == period && c->end > ms && c->start <= ms && strcmp(c->zone, zone) == 0) {
            *start = c->start;
            *end = c->end;
            return 0;
        }
    }
    UCalendar *cal = strlen(zone) <= AFF_TZ_MAX ? open_zone(zone) : NULL;
    if (cal == NULL) { /* unknown (validated on the way in, so not expected): UTC */
        rc = AFF_EINVAL;
        zone = "UTC";
        if ((cal = open_zone(zone)) == NULL) {
            *start = floor_div(ms, MS_PER_DAY) * MS_PER_DAY;
            *end = *start + MS_PER_DAY;
            return rc;
        }
    }
    *start = local_start(cal, period, ms, 0);
    *end = local_start(cal, period, ms, 1);
    ucal_close(cal);
    cached *c = &cache[next_slot++ % CACHE];
    memcpy(c->zone, zone, strlen(zone) + 1);
    c->period = period;
    c->start = *start;
    c->end = *end;
    return rc;
}
