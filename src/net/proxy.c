/* proxy.c - trusted proxies and X-Forwarded-For; see proxy.h. */
#include "net/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"

#define MAX_NETS 64

typedef struct net16 {
    unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
    int prefix;             /* over the 128 bits */
} net16;

static net16 nets[MAX_NETS];
static int nnets;

static int parse_addr(const char *s, unsigned char out[16], int *is_v4)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *is_v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(out, &a6, 16);
        *is_v4 = 0;
        return 0;
    }
    return AFF_EINVAL;
}

int aff_proxy_configure(const char *list, char *err, size_t errcap)
{
    nnets = 0;
    const char *s = list;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s)
            break;
        const char *e = s;
        while (*e && *e != ',' && *e != ' ')
            e++;
        char item[64];
        if ((size_t)(e - s) >= sizeof(item) || nnets == MAX_NETS) {
            snprintf(err, errcap, "trusted_proxies: entry too long or more than %d entries", MAX_NETS);
            return AFF_EINVAL;
        }
        memcpy(item, s, (size_t)(e - s));
        item[e - s] = '\0';
        char *slash = strchr(item, '/');
        int64_t prefix = -1; /* none: the host itself */
        if (slash != NULL) {
            *slash = '\0';
            /* digits only: strtol took "/-1" as no prefix, and "/+8" and "/ 8" */
            if (aff_str_to_int64(slash + 1, strlen(slash + 1), 0, 128, &prefix) != 0)
                prefix = -2;
        }
        int v4;
        if (parse_addr(item, nets[nnets].addr, &v4) != 0 || prefix == -2 || prefix > (v4 ? 32 : 128)) {
            snprintf(err, errcap, "trusted_proxies: \"%.*s\" is not an IP address or CIDR", (int)(e - s), s);
            return AFF_EINVAL;
        }
        nets[nnets].prefix = prefix < 0 ? 128 : (int)prefix + (v4 ? 96 : 0);
        nnets++;
        s = e;
    }
    return 0;
}

static int in_net(const unsigned char a[16], const net16 *n)
{
    int full = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(a, n->addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (n->addr[full] & mask);
}

static int trusted16(const unsigned char a[16])
{
    for (int i = 0; i < nnets; i++)
        if (in_net(a, &nets[i]))
            return 1;
    return 0;
}

static void sa_to16(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa->sa_family == AF_INET) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

int aff_proxy_is_trusted_sa(const struct sockaddr *sa)
{
    if (nnets == 0 || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
        return 0;
    unsigned char a[16];
    sa_to16(sa, a);
    return trusted16(a);
}

void aff_proxy_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    unsigned char a[16];
    out[0] = '\0';
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        return;
    sa_to16(sa, a);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) != 0) {
        inet_ntop(AF_INET6, a, out, (socklen_t)cap);
        return;
    }
    /* Dotted quad by hand: inet_ntop formats IPv4 with sprintf, which showed up on the
     * click path's profile. */
    char buf[16];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[12 + i];
        if (v >= 100)
            buf[n++] = (char)('0' + v / 100);
        if (v >= 10)
            buf[n++] = (char)('0' + v / 10 % 10);
        buf[n++] = (char)('0' + v % 10);
        buf[n++] = i < 3 ? '.' : '\0';
    }
    if (cap >= n)
        memcpy(out, buf, n);
}

void aff_proxy_client_from_xff(const char *xff, size_t len, char *out, size_t cap)
{
    size_t end = len;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        char item[64];
        unsigned char addr[16];
        int v4;
        if (b - a == 0 || b - a >= sizeof(item))
            return; /* garbage: keep the proxy's own address */
        memcpy(item, xff + a, b - a);
        item[b - a] = '\0';
        if (parse_addr(item, addr, &v4) != 0)
            return;
        if (!trusted16(addr) || start == 0) {
            snprintf(out, cap, "%s", item);
            return;
        }
        end = start - 1;
    }
}
