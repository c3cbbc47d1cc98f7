/*
 * fuzz_clock_day.c - the from/to dates of report queries: aff_clock_parse_day
 * (core/clock.h), exactly "YYYY-MM-DD" for a real date in 1970..9999.
 *
 * Checks: the return is 0 or AFF_EINVAL; nothing but 10-byte inputs is accepted (and no
 * byte past len is read: the buffer has no terminator); an accepted day is a UTC
 * midnight between 1970-01-01 and 9999-12-31, and aff_clock_format_day of it gives the
 * input back byte for byte, so every accepted string names exactly one real day. The
 * next day formats to a string that parses to exactly one day later.
 */
#include "fuzz.h"

#include "core/clock.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_memdup(data, size);
    int64_t ms = INT64_MIN;
    int rc = aff_clock_parse_day(s, size, &ms);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc == AFF_OK) {
        FUZZ_CHECK(size == 10);
        FUZZ_CHECK(ms >= 0 && ms % AFF_MS_PER_DAY == 0);
        FUZZ_CHECK(ms <= 253402214400000LL); /* 9999-12-31T00:00:00Z */
        char buf[16];
        FUZZ_CHECK(aff_clock_format_day(ms, buf, sizeof(buf)) == 10);
        FUZZ_CHECK(memcmp(buf, s, 10) == 0);
        if (ms < 253402214400000LL) {
            int64_t next = -1;
            FUZZ_CHECK(aff_clock_format_day(ms + AFF_MS_PER_DAY, buf, sizeof(buf)) == 10);
            FUZZ_CHECK(aff_clock_parse_day(buf, 10, &next) == AFF_OK && next == ms + AFF_MS_PER_DAY);
        }
    }
    free(s);
    return 0;
}
