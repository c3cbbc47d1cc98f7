/* test_str.c - core/str.h bounded copies: exact fits, cuts and termination. */
#include "core/str.h"

#include <stdint.h>
#include <stdio.h>

#include "../test.h"

AFF_TEST(str_copy_fits_cuts_and_terminates)
{
    char buf[6];
    AFF_CHECK_INT(aff_str_copy(buf, sizeof(buf), "hello"), 0); /* 5 + NUL: exact fit */
    AFF_CHECK_STR(buf, "hello");
    AFF_CHECK_INT(aff_str_copy(buf, sizeof(buf), "hello!"), 1);
    AFF_CHECK_STR(buf, "hello");
    AFF_CHECK_INT(aff_str_copy(buf, sizeof(buf), ""), 0);
    AFF_CHECK_STR(buf, "");
    AFF_CHECK_INT(aff_str_copy(buf, 1, "x"), 1);
    AFF_CHECK_STR(buf, "");
    char key[8];
    AFF_CHECK_INT(aff_str_concat2(key, sizeof(key), "c:", "12345"), 0);
    AFF_CHECK_STR(key, "c:12345");
    AFF_CHECK_INT(aff_str_concat2(key, sizeof(key), "c:", "123456"), 1);
    AFF_CHECK_STR(key, "c:12345");
    AFF_CHECK_INT(aff_str_concat2(key, 3, "abc", "d"), 1);
    AFF_CHECK_STR(key, "ab");
}

/* The appender leaves what snprintf would: every cap, integers at the int64 edges. */
AFF_TEST(str_appender_matches_snprintf_at_every_cap)
{
    const long long ints[] = {0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN};
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
        char want[64];
        int full = snprintf(want, sizeof(want), "[%lld|%s]", ints[k], "abc");
        for (size_t cap = 1; cap <= (size_t)full + 2; cap++) {
            char got[64], ref[64];
            memset(got, 'x', sizeof(got));
            aff_sbuf b = aff_sb_init(got, cap);
            aff_sb_put(&b, "[", 1);
            aff_sb_int(&b, ints[k]);
            aff_sb_str(&b, "|abc");
            aff_sb_put(&b, "]", 1);
            snprintf(ref, cap, "[%lld|%s]", ints[k], "abc");
            AFF_CHECK_STR(got, ref);
            AFF_CHECK_INT((long long)b.n, (long long)strlen(ref));
            AFF_CHECK(got[cap] == 'x'); /* nothing written past cap */
        }
    }
}

/* aff_str_to_int64: digits only, the range checked, nothing clamped. */
AFF_TEST(str_to_int64_plain_decimals_only)
{
    int64_t v = -1;
    AFF_CHECK_INT(aff_str_to_int64("5", 1, 1, INT64_MAX, &v), 0);
    AFF_CHECK_INT(v, 5);
    AFF_CHECK_INT(aff_str_to_int64("007", 3, 1, INT64_MAX, &v), 0); /* leading zeros are digits */
    AFF_CHECK_INT(v, 7);
    AFF_CHECK_INT(aff_str_to_int64("9223372036854775807", 19, 0, INT64_MAX, &v), 0);
    AFF_CHECK_INT(v, INT64_MAX);
    AFF_CHECK_INT(aff_str_to_int64("0", 1, 0, 10, &v), 0);
    AFF_CHECK_INT(v, 0);
    AFF_CHECK_INT(aff_str_to_int64("12345", 3, 0, INT64_MAX, &v), 0); /* len bytes only */
    AFF_CHECK_INT(v, 123);
    v = 42;
    static const char *const not_digits[] = {"+5", " 5", "5 ", "-5", "0x10", "1e3", "5.0", "", "\t5", "٥"};
    for (size_t i = 0; i < sizeof(not_digits) / sizeof(not_digits[0]); i++)
        AFF_CHECK_INT(aff_str_to_int64(not_digits[i], strlen(not_digits[i]), 0, INT64_MAX, &v), AFF_EINVAL);
    AFF_CHECK_INT(aff_str_to_int64(NULL, 0, 0, 1, &v), AFF_EINVAL);
    /* out of range, overflow included: never clamped */
    AFF_CHECK_INT(aff_str_to_int64("9223372036854775808", 19, 0, INT64_MAX, &v), AFF_ERANGE);
    AFF_CHECK_INT(aff_str_to_int64("99999999999999999999", 20, 0, INT64_MAX, &v), AFF_ERANGE);
    AFF_CHECK_INT(aff_str_to_int64("99999999999999999999x", 21, 0, INT64_MAX, &v), AFF_EINVAL); /* digits first */
    AFF_CHECK_INT(aff_str_to_int64("0", 1, 1, INT64_MAX, &v), AFF_ERANGE);
    AFF_CHECK_INT(aff_str_to_int64("3651", 4, 1, 3650, &v), AFF_ERANGE);
    AFF_CHECK_INT(v, 42); /* untouched on failure */
}
