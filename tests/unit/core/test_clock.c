/* test_clock.c - core/clock.c: civil dates from Unix milliseconds and back. Expected
 * strings are independent facts (the epoch, leap days, the 2038 boundary). */
#include "core/clock.h"
#include "core/err.h"
#include "../test.h"

static const char *iso(int64_t ms)
{
    static char buf[40];
    AFF_CHECK(aff_clock_format_iso(ms, buf, sizeof(buf)) > 0);
    return buf;
}

AFF_TEST(clock_format_iso_known_instants)
{
    AFF_CHECK_STR(iso(0), "1970-01-01T00:00:00.000Z");
    AFF_CHECK_STR(iso(951782400000LL), "2000-02-29T00:00:00.000Z");      /* a leap day of a 400-year */
    AFF_CHECK_STR(iso(1709251199999LL), "2024-02-29T23:59:59.999Z");     /* last ms of a leap day */
    AFF_CHECK_STR(iso(2147483647000LL + 1), "2038-01-19T03:14:07.001Z"); /* past 32-bit time_t */
    AFF_CHECK_STR(iso(-1), "1969-12-31T23:59:59.999Z");
    AFF_CHECK_STR(iso(253402300799999LL), "9999-12-31T23:59:59.999Z");
    char small[24];
    AFF_CHECK_INT(aff_clock_format_iso(0, small, sizeof(small)), AFF_ETOOBIG); /* needs 25 bytes */
}

AFF_TEST(clock_days_round_trip)
{
    char buf[16];
    int64_t ms;
    AFF_CHECK_INT(aff_clock_parse_day("2024-02-29", 10, &ms), AFF_OK);
    AFF_CHECK_INT(ms, 1709164800000LL);
    AFF_CHECK(aff_clock_format_day(ms + 86399999, buf, sizeof(buf)) > 0);
    AFF_CHECK_STR(buf, "2024-02-29");
    AFF_CHECK_INT(aff_clock_parse_day("2023-02-29", 10, &ms), AFF_EINVAL); /* not a leap year */
    AFF_CHECK_INT(aff_clock_parse_day("1900-01-01", 10, &ms), AFF_EINVAL); /* before 1970 */
    AFF_CHECK_INT(aff_clock_parse_day("2024-13-01", 10, &ms), AFF_EINVAL);
    AFF_CHECK_INT(aff_clock_parse_day("2024-1-01", 9, &ms), AFF_EINVAL);
    AFF_CHECK_INT(aff_clock_parse_day("2024/01/01", 10, &ms), AFF_EINVAL);
}
