/*
 * fuzz_xff.c - X-Forwarded-For values, which a trusted proxy passes on with whatever the
 * client put in front of its own entry: aff_proxy_client_from_xff (net/proxy.h), the
 * client address of every click, postback and pixel behind a proxy. The input's first
 * byte '0'..'3' picks the trusted set (none, loopback and 10/8, private ranges with
 * IPv6, everything); any other first byte means set 1 and is part of the header.
 *
 * Checks:
 *   - the answer is a reference's: walking the comma-separated entries from the right,
 *     each trimmed of spaces and tabs, an empty, too long (64+ bytes) or unparsable entry
 *     leaves the address untouched, the first entry that is not a trusted proxy is the
 *     client, and the left-most entry is the client when all of them are trusted;
 *   - a client found is an address inet_pton reads, NUL-terminated within the buffer,
 *     and a smaller buffer gets a NUL-terminated prefix of it;
 *   - a trusted hop appended on the right never changes the answer; a forged entry
 *     prepended on the left changes it only when every entry was trusted.
 */
#include "fuzz.h"

#include <arpa/inet.h>

#include "net/proxy.h"

#define MAX_XFF 2048

static const char *const sets[4] = {
    "",
    "127.0.0.1, 10.0.0.0/8, ::1",
    "192.168.0.0/16 172.16.0.0/12 fd00::/8 2001:db8::/32",
    "0.0.0.0/0, ::/0",
};
/* One address inside each set but the first, for the appended hop. */
static const char *const hops[4] = {NULL, "10.9.8.7", "fd00::1", "203.0.113.5"};

/* ---- reference ---------------------------------------------------------------------- */

/* 16 bytes of an address (IPv4 as IPv4-mapped IPv6), 0; or -1. */
static int addr16(const char *s, unsigned char out[16])
{
    unsigned char a4[4];
    if (inet_pton(AF_INET, s, a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static int in_prefix(const unsigned char a[16], const unsigned char net[16], int bits)
{
    for (int i = 0; i < bits; i++) {
        int bit = 7 - i % 8;
        if (((a[i / 8] >> bit) & 1) != ((net[i / 8] >> bit) & 1))
            return 0;
    }
    return 1;
}

/* Is a in the trusted set text (entries split on spaces and commas, "ADDR[/BITS]")? */
static int ref_trusted(const char *set, const unsigned char a[16])
{
    for (const char *s = set; *s;) {
        size_t n = strcspn(s, " ,");
        if (n == 0) {
            s++;
            continue;
        }
        char e[64];
        FUZZ_CHECK(n < sizeof(e));
        memcpy(e, s, n);
        e[n] = '\0';
        s += n;
        char *slash = strchr(e, '/');
        int v4 = strchr(e, ':') == NULL;
        int bits = 128;
        if (slash != NULL) {
            *slash = '\0';
            bits = (int)strtol(slash + 1, NULL, 10) + (v4 ? 96 : 0);
        }
        unsigned char net[16];
        FUZZ_CHECK(addr16(e, net) == 0);
        if (in_prefix(a, net, bits))
            return 1;
    }
    return 0;
}

/* The client of xff into out (64 bytes), or "" for "untouched"; *all_trusted when the
 * answer is the left-most entry reached past trusted ones. */
static void ref_client(const char *set, const char *xff, size_t len, char out[64], int *all_trusted)
{
    out[0] = '\0';
    *all_trusted = 0;
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
        if (b == a || b - a >= 64)
            return;
        char item[64];
        memcpy(item, xff + a, b - a);
        item[b - a] = '\0'; /* as a C string: a NUL byte inside ends the entry (h2o refuses
                                NUL in header values, so that never comes from the network) */
        unsigned char addr[16];
        if (addr16(item, addr) != 0)
            return;
        int trusted = ref_trusted(set, addr);
        if (!trusted || start == 0) {
            snprintf(out, 64, "%s", item);
            *all_trusted = trusted;
            return;
        }
        end = start - 1;
    }
}

/* ---- the target ----------------------------------------------------------------------- */

#define SENTINEL "unchanged"

static void client(const char *xff, size_t len, char *out, size_t cap)
{
    snprintf(out, cap, "%s", SENTINEL);
    aff_proxy_client_from_xff(xff, len, out, cap);
    FUZZ_CHECK(strnlen(out, cap) < cap);
}

static int answer_is(const char *got, const char *want)
{
    return want[0] == '\0' ? strcmp(got, SENTINEL) == 0 : strcmp(got, want) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int configured = -1;
    int which = 1;
    if (size > 0 && data[0] >= '0' && data[0] <= '3') {
        which = data[0] - '0';
        data++;
        size--;
    }
    if (size > MAX_XFF)
        return 0;
    if (which != configured) {
        char err[256];
        FUZZ_CHECK(aff_proxy_configure(sets[which], err, sizeof(err)) == 0);
        configured = which;
    }
    const char *set = sets[which];
    char *xff = fuzz_memdup(data, size); /* exactly size bytes, as a header value */

    char want[64], out[64];
    int all_trusted;
    ref_client(set, xff, size, want, &all_trusted);
    client(xff, size, out, sizeof(out));
    FUZZ_CHECK(answer_is(out, want));
    if (want[0] != '\0') {
        unsigned char a[16];
        FUZZ_CHECK(addr16(out, a) == 0);
        char small[8];
        client(xff, size, small, sizeof(small));
        FUZZ_CHECK(strncmp(small, out, sizeof(small) - 1) == 0);
    }

    /* A trusted proxy's own hop on the right: the same client. */
    if (hops[which] != NULL && size > 0) {
        size_t hlen = strlen(hops[which]);
        char *more = malloc(size + 2 + hlen);
        FUZZ_CHECK(more != NULL);
        memcpy(more, xff, size);
        memcpy(more + size, ", ", 2);
        memcpy(more + size + 2, hops[which], hlen);
        char got[64];
        client(more, size + 2 + hlen, got, sizeof(got));
        FUZZ_CHECK(strcmp(got, out) == 0);
        free(more);
    }
    /* A forged client on the left: matters only if everything to its right is trusted. */
    {
        static const char forged[] = "198.51.100.66, ";
        size_t flen = sizeof(forged) - 1;
        char *more = malloc(size + flen);
        FUZZ_CHECK(more != NULL);
        memcpy(more, forged, flen);
        memcpy(more + flen, xff, size);
        char got[64];
        client(more, size + flen, got, sizeof(got));
        FUZZ_CHECK(strcmp(got, all_trusted ? "198.51.100.66" : out) == 0);
        free(more);
    }
    free(xff);
    return 0;
}
