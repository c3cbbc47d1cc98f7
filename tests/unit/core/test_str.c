/* test_str.c - core/str.h bounded copies: exact fits, cuts and termination. */
#include "core/str.h"
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
