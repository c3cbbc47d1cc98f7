/*
 * fuzz_botua.c - the known-bot User-Agent matcher (track/botua.h) and the client address
 * parser of the screening rules (core/cidr.h) on arbitrary bytes: both read what a
 * visitor sends (User-Agent, X-Forwarded-For behind a trusted proxy).
 *
 * Checks, beyond not crashing or reading past len bytes:
 *   - the literal prefilter never changes the answer: aff_botua_match equals running
 *     every pattern (aff_botua_match_slow);
 *   - an address that parses is inside a set holding just it, and a set of
 *     0.0.0.0/0 and ::/0 contains every parsed address.
 */
#include "fuzz.h"

#include "core/cidr.h"
#include "track/botua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static aff_cidr_set *all;
    static int opened;
    if (!opened) {
        char err[256];
        FUZZ_CHECK(aff_botua_open(err, sizeof(err)) == 0);
        all = aff_cidr_set_new();
        FUZZ_CHECK(aff_cidr_set_add_list(all, "0.0.0.0/0 ::/0", 14, "fuzz", err, sizeof(err)) == 0);
        opened = 1;
    }
    if (size > 2048)
        return 0;
    char *ua = fuzz_strndup(data, size);
    FUZZ_CHECK(aff_botua_match(ua, size) == aff_botua_match_slow(ua, size));

    unsigned char a[16];
    if (aff_cidr_parse_addr(ua, a) == 0) {
        char err[256];
        aff_cidr_set *one = aff_cidr_set_new();
        FUZZ_CHECK(aff_cidr_set_add_list(one, ua, size, "fuzz", err, sizeof(err)) == 0 ||
                   memchr(ua, ',', size) != NULL || memchr(ua, '#', size) != NULL);
        if (aff_cidr_set_size(one) == 1)
            FUZZ_CHECK(aff_cidr_set_contains(one, a));
        FUZZ_CHECK(aff_cidr_set_contains(all, a));
        aff_cidr_set_free(one);
    }
    free(ua);
    return 0;
}
