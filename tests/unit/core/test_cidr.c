/* test_cidr.c - unit tests for src/core/cidr.c: IPv4 and IPv6 networks, the edges of a
 * prefix, merging, comments and separators, and bad entries named in the error. */
#include "core/cidr.h"
#include "core/err.h"
#include "../test.h"

static int in(const aff_cidr_set *s, const char *ip)
{
    unsigned char a[16];
    if (aff_cidr_parse_addr(ip, a) != 0) {
        aff_test_fail(__FILE__, __LINE__, "not an address: %s", ip);
        return -1;
    }
    return aff_cidr_set_contains(s, a);
}

static int add(aff_cidr_set *s, const char *list, char *err, size_t cap)
{
    return aff_cidr_set_add_list(s, list, strlen(list), "blocked_cidrs", err, cap);
}

AFF_TEST(cidr_v4_v6_edges)
{
    char err[256] = "";
    aff_cidr_set *s = aff_cidr_set_new();
    AFF_CHECK_INT(add(s, "127.0.0.0/30, 127.1.2.3\n2001:db8::/32 # documentation\n::1", err, sizeof(err)), 0);
    AFF_CHECK_INT(aff_cidr_set_size(s), 4);
    AFF_CHECK_INT(in(s, "127.0.0.0"), 1);
    AFF_CHECK_INT(in(s, "127.0.0.3"), 1);
    AFF_CHECK_INT(in(s, "127.0.0.4"), 0);
    AFF_CHECK_INT(in(s, "126.255.255.255"), 0);
    AFF_CHECK_INT(in(s, "127.1.2.3"), 1);
    AFF_CHECK_INT(in(s, "127.1.2.4"), 0);
    AFF_CHECK_INT(in(s, "2001:db8::"), 1);
    AFF_CHECK_INT(in(s, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
    AFF_CHECK_INT(in(s, "2001:db9::"), 0);
    AFF_CHECK_INT(in(s, "::1"), 1);
    AFF_CHECK_INT(in(s, "::2"), 0);
    AFF_CHECK_INT(in(s, "::ffff:127.0.0.1"), 1); /* IPv4-mapped is the same address */
    aff_cidr_set_free(s);
}

AFF_TEST(cidr_merges_overlaps_and_neighbours)
{
    char err[256] = "";
    aff_cidr_set *s = aff_cidr_set_new();
    AFF_CHECK_INT(add(s, "127.0.0.0/24 127.0.0.128/25, 127.0.1.0/24 127.0.3.0/24", err, sizeof(err)), 0);
    AFF_CHECK_INT(aff_cidr_set_size(s), 2); /* .0/24+.1/24 adjacent, .128/25 inside */
    AFF_CHECK_INT(in(s, "127.0.1.255"), 1);
    AFF_CHECK_INT(in(s, "127.0.2.0"), 0);
    AFF_CHECK_INT(in(s, "127.0.3.9"), 1);
    AFF_CHECK_INT(add(s, "0.0.0.0/0", err, sizeof(err)), 0);
    AFF_CHECK_INT(in(s, "203.0.113.1"), 1);
    AFF_CHECK_INT(in(s, "2001:db8::1"), 0); /* 0.0.0.0/0 covers IPv4 only */
    aff_cidr_set_free(s);
}

AFF_TEST(cidr_bad_entries_are_named_and_add_nothing)
{
    static const char *const bad[] = {"127.0.0.1/33", "127.0.0.256", "2001:db8::/129", "host.example", "127.0.0.1/",
                                      "127.0.0.1/x",  "/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "", list[128];
        aff_cidr_set *s = aff_cidr_set_new();
        snprintf(list, sizeof(list), "127.9.9.9, %s", bad[i]);
        AFF_CHECK_INT(add(s, list, err, sizeof(err)), AFF_EINVAL);
        AFF_CHECK(strstr(err, "blocked_cidrs") != NULL && strstr(err, bad[i]) != NULL);
        AFF_CHECK_INT(aff_cidr_set_size(s), 0);
        AFF_CHECK_INT(in(s, "127.9.9.9"), 0);
        aff_cidr_set_free(s);
    }
    AFF_CHECK_INT(in(NULL, "127.0.0.1"), 0);
}
