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
