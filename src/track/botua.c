/* botua.c - the known-bot User-Agent matcher; see botua.h. */
#include "track/botua.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "core/err.h"
#include "gen/botua_list.h"

#define NLIST (sizeof(botua_list) / sizeof(botua_list[0]))
#define NBUCKETS 4096     /* buckets of literals by their first three bytes */
#define FILTER_BITS 65536 /* a second, finer hash of the same three bytes: 8 KB of bits */

typedef struct entry {
    pcre2_code *re;
    const char *literal;
    size_t literal_len;
    uint32_t head;         /* the literal's first three bytes, as key() computes them */
    uint64_t prefix, mask; /* its first (up to) eight bytes as load8() reads them, and their mask */
} entry;

/* NLIST, sorted by bucket; those without a literal at the end (they run always) */
static entry *entries;
static uint32_t *bucket_at; /* NBUCKETS + 1 offsets into entries */
/* Bit f is set when some literal's head filters to f (filter()): at most windows of a
 * browser user agent the scan stops at this one load, before touching the buckets. */
static uint64_t filter_bits[FILTER_BITS / 64];
static size_t nkeyed, ncount;
/* The answers for recent user agents, per thread (direct-mapped, CACHE_SLOTS): visitors
 * share a few hundred user agents, so most clicks skip the scan for one keyed hash.
 * A slot holds the SipHash of the user agent with its lowest bit replaced by the answer;
 * cache_key is random per aff_botua_open, and cache_gen empties every thread's cache
 * after a reopen. 63 of the 64 bits are compared: aiming a bot's user agent at a cached
 * browser's slot means finding a SipHash collision under an unknown key. */
#define CACHE_SLOTS 1024
static unsigned char cache_key[AFF_SIPHASH_KEY_LEN];
static unsigned cache_gen;
static _Thread_local uint64_t cache[CACHE_SLOTS];
static _Thread_local unsigned cache_gen_seen;
static pthread_key_t md_key;
static int md_key_made;

static uint32_t key(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint32_t bucket(uint32_t k)
{
    return (k * 2654435761u) >> 20; /* 12 bits */
}

static uint32_t filter(uint32_t k)
{
    return (k * 0x9e3779b1u) >> 16;
}

/* Up to eight bytes of p as one number (byte i at bits 8i on little-endian machines;
 * literals and user agents are read the same way, so only equality matters). */
static uint64_t load8(const char *p, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, p, n < 8 ? n : 8);
    return v;
}

static uint64_t low_bytes_mask(size_t n)
{
    uint64_t v = 0;
    memset(&v, 0xff, n < 8 ? n : 8);
    return v;
}

static void free_md(void *md)
{
    pcre2_match_data_free(md);
}

static pcre2_code *compile(const char *pattern, char *err, size_t errcap)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &at, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[128];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(err, errcap, "bot pattern \"%.60s\" at %zu: %s", pattern, (size_t)at, (const char *)msg);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without JIT, pcre2_match interprets */
    return re;
}

static int by_bucket(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    uint32_t bx = x->literal_len >= 3 ? bucket(x->head) : NBUCKETS;
    uint32_t by = y->literal_len >= 3 ? bucket(y->head) : NBUCKETS;
    return bx < by ? -1 : bx > by;
}

int aff_botua_open(char *err, size_t errcap)
{
    if (entries != NULL)
        return 0;
    int rc = aff_random_bytes(cache_key, sizeof(cache_key));
    if (rc != 0)
        return rc;
    cache_gen++;
    if (!md_key_made) {
        if (pthread_key_create(&md_key, free_md) != 0)
            return AFF_ENOMEM;
        md_key_made = 1;
    }
    entries = calloc(NLIST, sizeof(*entries));
    bucket_at = calloc(NBUCKETS + 1, sizeof(*bucket_at));
    rc = entries && bucket_at ? 0 : AFF_ENOMEM;
    for (size_t i = 0; rc == 0 && i < NLIST; i++) {
        entry *e = &entries[i];
        e->literal = botua_list[i].literal;
        e->literal_len = strlen(e->literal);
        if (e->literal_len >= 3) {
            e->head = key((const unsigned char *)e->literal);
            e->prefix = load8(e->literal, e->literal_len);
            e->mask = low_bytes_mask(e->literal_len);
        }
        if ((e->re = compile(botua_list[i].pattern, err, errcap)) == NULL)
            rc = AFF_EINVAL;
    }
    if (rc == 0) {
        qsort(entries, NLIST, sizeof(*entries), by_bucket);
        nkeyed = 0;
        while (nkeyed < NLIST && entries[nkeyed].literal_len >= 3)
            nkeyed++;
        memset(filter_bits, 0, sizeof(filter_bits));
        for (size_t i = 0; i < nkeyed; i++) {
            uint32_t f = filter(entries[i].head);
            bucket_at[bucket(entries[i].head) + 1]++;
            filter_bits[f / 64] |= UINT64_C(1) << (f % 64);
        }
        for (size_t b = 0; b < NBUCKETS; b++)
            bucket_at[b + 1] += bucket_at[b];
    }
    if (rc != 0) {
        aff_botua_close();
        return rc;
    }
    ncount = NLIST;
    return 0;
}

void aff_botua_close(void)
{
    if (entries != NULL)
        for (size_t i = 0; i < NLIST; i++)
            pcre2_code_free(entries[i].re);
    free(entries);
    free(bucket_at);
    entries = NULL;
    bucket_at = NULL;
    nkeyed = ncount = 0;
}

static pcre2_match_data *thread_md(void)
{
    pcre2_match_data *md = pthread_getspecific(md_key);
    if (md == NULL) {
        md = pcre2_match_data_create(1, NULL);
        if (md != NULL && pthread_setspecific(md_key, md) != 0) {
            pcre2_match_data_free(md);
            md = NULL;
        }
    }
    return md;
}

static int run(pcre2_code *re, const char *ua, size_t len, pcre2_match_data *md)
{
    return pcre2_match(re, (PCRE2_SPTR)ua, len, 0, 0, md, NULL) >= 0;
}

static int scan(const char *ua, size_t len);

int aff_botua_match(const char *ua, size_t len)
{
    if (entries == NULL || len == 0)
        return 0;
    if (cache_gen_seen != cache_gen) {
        memset(cache, 0, sizeof(cache));
        cache_gen_seen = cache_gen;
    }
    uint64_t h = aff_siphash(cache_key, ua, len) | 1; /* never 0: 0 is an empty slot */
    uint64_t *slot = &cache[(h >> 32) % CACHE_SLOTS];
    if (*slot != 0 && (*slot | 1) == h)
        return (int)(*slot & 1);
    int bot = scan(ua, len);
    *slot = bot ? h : h & ~UINT64_C(1);
    return bot;
}

/* The literal prefilter, then the candidate patterns (see botua.h). */
static int scan(const char *ua, size_t len)
{
    pcre2_match_data *md = NULL;
    const unsigned char *u = (const unsigned char *)ua;
    for (size_t i = 0; i + 3 <= len; i++) {
        uint32_t k = key(u + i), f = filter(k);
        if (!(filter_bits[f / 64] >> (f % 64) & 1))
            continue;
        uint32_t b = bucket(k);
        uint64_t here = load8(ua + i, len - i);
        for (uint32_t x = bucket_at[b]; x < bucket_at[b + 1]; x++) {
            const entry *e = &entries[x];
            if (e->head != k || e->literal_len > len - i || (here & e->mask) != e->prefix ||
                (e->literal_len > 8 && memcmp(ua + i + 8, e->literal + 8, e->literal_len - 8) != 0))
                continue;
            if (md == NULL && (md = thread_md()) == NULL)
                return 0;
            if (run(e->re, ua, len, md))
                return 1;
        }
    }
    for (size_t x = nkeyed; x < NLIST; x++) {
        if (md == NULL && (md = thread_md()) == NULL)
            return 0;
        if (run(entries[x].re, ua, len, md))
            return 1;
    }
    return 0;
}

int aff_botua_match_slow(const char *ua, size_t len)
{
    pcre2_match_data *md = entries ? thread_md() : NULL;
    for (size_t x = 0; md != NULL && x < NLIST; x++)
        if (run(entries[x].re, ua, len, md))
            return 1;
    return 0;
}

size_t aff_botua_count(void)
{
    return ncount;
}

const char *aff_botua_source(void)
{
    return AFF_BOTUA_SOURCE;
}
