/* botua.c - the known-bot User-Agent matcher; see botua.h. */
#include "track/botua.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "gen/botua_list.h"

#define NLIST (sizeof(botua_list) / sizeof(botua_list[0]))
#define NBUCKETS 4096 /* buckets of literals by their first three bytes */

typedef struct entry {
    pcre2_code *re;
    const char *literal;
    size_t literal_len;
    uint32_t head; /* the literal's first three bytes, as key() computes them */
} entry;

static entry *entries;      /* NLIST, sorted by bucket; those without a literal at
                               the end (run always) */
static uint32_t *bucket_at; /* NBUCKETS + 1 offsets into entries */
static size_t nkeyed, ncount;
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
    if (!md_key_made) {
        if (pthread_key_create(&md_key, free_md) != 0)
            return AFF_ENOMEM;
        md_key_made = 1;
    }
    entries = calloc(NLIST, sizeof(*entries));
    bucket_at = calloc(NBUCKETS + 1, sizeof(*bucket_at));
    int rc = entries && bucket_at ? 0 : AFF_ENOMEM;
    for (size_t i = 0; rc == 0 && i < NLIST; i++) {
        entry *e = &entries[i];
        e->literal = botua_list[i].literal;
        e->literal_len = strlen(e->literal);
        if (e->literal_len >= 3)
            e->head = key((const unsigned char *)e->literal);
        if ((e->re = compile(botua_list[i].pattern, err, errcap)) == NULL)
            rc = AFF_EINVAL;
    }
    if (rc == 0) {
        qsort(entries, NLIST, sizeof(*entries), by_bucket);
        nkeyed = 0;
        while (nkeyed < NLIST && entries[nkeyed].literal_len >= 3)
            nkeyed++;
        for (size_t i = 0; i < nkeyed; i++)
            bucket_at[bucket(entries[i].head) + 1]++;
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

int aff_botua_match(const char *ua, size_t len)
{
    if (entries == NULL)
        return 0;
    pcre2_match_data *md = NULL;
    const unsigned char *u = (const unsigned char *)ua;
    for (size_t i = 0; i + 3 <= len; i++) {
        uint32_t k = key(u + i), b = bucket(k);
        for (uint32_t x = bucket_at[b]; x < bucket_at[b + 1]; x++) {
            const entry *e = &entries[x];
            if (e->head != k || e->literal_len > len - i || memcmp(ua + i, e->literal, e->literal_len) != 0)
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
