/* test_tz.c - core/tz.c: local days and months through ICU, across DST changes and
 * half-hour offsets; zone validation. Instants worked out by hand (UTC ms). */
#include "core/err.h"
#include "core/tz.h"
#include "../test.h"

#define HOUR 3600000LL

AFF_TEST(tz_days_and_months)
{
    int64_t s = 0, e = 0;
    /* Berlin, 2024-03-31, the spring change: the local day runs from 2024-03-30T23:00Z
     * (CET, +1) to 2024-03-31T22:00Z (CEST, +2), 23 hours; 2024-03-31T00:00Z = 1711843200000 */
    AFF_CHECK_INT(aff_tz_period("Europe/Berlin", AFF_TZ_DAY, 1711843200000LL + 10 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1711843200000LL - HOUR);
    AFF_CHECK_INT(e, 1711843200000LL + 22 * HOUR);
    /* its March: from 2024-02-29T23:00Z (2024-03-01T00:00Z = 1709251200000) to the same end */
    AFF_CHECK_INT(aff_tz_period("Europe/Berlin", AFF_TZ_MONTH, 1709251200000LL + 14 * 24 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1709251200000LL - HOUR);
    AFF_CHECK_INT(e, 1711843200000LL + 22 * HOUR);
    /* New York, 2024-11-03, the autumn change: 2024-11-03T04:00Z to 2024-11-04T05:00Z, 25 hours */
    AFF_CHECK_INT(aff_tz_period("America/New_York", AFF_TZ_DAY, 1730592000000LL + 12 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1730592000000LL + 4 * HOUR);
    AFF_CHECK_INT(e, 1730592000000LL + 29 * HOUR);
    /* Kolkata, +05:30: 2024-05-01T12:00Z is 17:30 local; the day began at 2024-04-30T18:30Z */
    AFF_CHECK_INT(aff_tz_period("Asia/Kolkata", AFF_TZ_DAY, 1714521600000LL + 12 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1714521600000LL - 5 * HOUR - HOUR / 2);
    AFF_CHECK_INT(e, s + 24 * HOUR);
    /* UTC: February 2024 has 29 days; "" is UTC too */
    AFF_CHECK_INT(aff_tz_period("UTC", AFF_TZ_MONTH, 1706745600000LL + 5 * 24 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1706745600000LL);
    AFF_CHECK_INT(e, 1709251200000LL);
    AFF_CHECK_INT(aff_tz_period("", AFF_TZ_DAY, 1706745600000LL + 5, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1706745600000LL);
    /* the cache answers the same for another instant of the period */
    AFF_CHECK_INT(aff_tz_period("Europe/Berlin", AFF_TZ_DAY, 1711843200000LL + 20 * HOUR, &s, &e), AFF_OK);
    AFF_CHECK_INT(s, 1711843200000LL - HOUR);
}

AFF_TEST(tz_validation)
{
    AFF_CHECK(aff_tz_valid("Europe/Berlin"));
    AFF_CHECK(aff_tz_valid("America/Los_Angeles"));
    AFF_CHECK(aff_tz_valid("UTC"));
    AFF_CHECK(aff_tz_valid(""));
    AFF_CHECK(!aff_tz_valid("Mars/Olympus_Mons"));
    AFF_CHECK(!aff_tz_valid("Europe/Berlin; DROP"));
    AFF_CHECK(!aff_tz_valid("GMT+25"));
    int64_t s = 0, e = 0;
    AFF_CHECK_INT(aff_tz_period("Nowhere/Land", AFF_TZ_DAY, 1706745600000LL + HOUR, &s, &e), AFF_EINVAL);
    AFF_CHECK_INT(s, 1706745600000LL); /* UTC instead */
}
