/* test_proxy.c - net/proxy.c: the trusted_proxies list, its prefixes read as plain
 * digits within the address family's width. */
#include "net/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/err.h"
#include "../test.h"

static int trusted_v4(const char *ip)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return aff_proxy_is_trusted_sa((const struct sockaddr *)&sa);
}

AFF_TEST(proxy_list_prefixes_are_plain_digits)
{
    char err[256];
    AFF_CHECK_INT(aff_proxy_configure("10.0.0.0/8, 192.168.1.1, ::1/128, 172.16.0.0/012", err, sizeof(err)), AFF_OK);
    AFF_CHECK(trusted_v4("10.200.3.4"));
    AFF_CHECK(trusted_v4("192.168.1.1"));
    AFF_CHECK(!trusted_v4("192.168.1.2"));
    AFF_CHECK(trusted_v4("172.16.9.9")); /* leading zeros are digits: /12 */
    AFF_CHECK(!trusted_v4("11.0.0.1"));
    /* "/-1" read as no prefix (the host), "/+8" as /8: refused now, as is any non-digit */
    static const char *const bad[] = {"10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/",    "10.0.0.0/33",
                                      "::1/129",     "10.0.0.0/8x", "10.0.0.0/0x8", "10.0.0.0/99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        AFF_CHECK_INT(aff_proxy_configure(bad[i], err, sizeof(err)), AFF_EINVAL);
        AFF_CHECK(strstr(err, "trusted_proxies") != NULL);
    }
    AFF_CHECK_INT(aff_proxy_configure("", err, sizeof(err)), AFF_OK); /* leave none trusted */
    AFF_CHECK(!trusted_v4("10.200.3.4"));
}
