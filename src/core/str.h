/*
 * str.h - bounded string copies for hot paths, where snprintf("%s") showed up in
 * profiles (its format machinery costs ~1k instructions a call). Never writes more
 * than cap bytes and always terminates (cap > 0). And the one strict reader of a
 * decimal integer (ids of the API, numbers of the command line): strtoll skips leading
 * space, takes a sign and clamps an overflow, none of which an id or a count may do.
 */
#ifndef AFF_CORE_STR_H
#define AFF_CORE_STR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

/* Copy src into dst (cap bytes). Returns 1 when src was cut to fit, 0 otherwise. */
static inline int aff_str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    while (n + 1 < cap && src[n] != '\0')
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return src[n] != '\0';
}

/* Copy a prefix and src (e.g. "c:" + id) into dst. Returns 1 when cut. */
static inline int aff_str_concat2(char *dst, size_t cap, const char *a, const char *b)
{
    if (aff_str_copy(dst, cap, a))
        return 1;
    size_t na = strlen(dst);
    return aff_str_copy(dst + na, cap - na, b);
}

/* A bounded appender over buf[cap] (cap > 0): what does not fit is dropped, and the
 * text stays terminated, as snprintf would leave it, without the format machinery. */
typedef struct aff_sbuf {
    char *p;
    size_t n, cap;
} aff_sbuf;

static inline aff_sbuf aff_sb_init(char *buf, size_t cap)
{
    buf[0] = '\0';
    return (aff_sbuf){buf, 0, cap};
}

static inline void aff_sb_put(aff_sbuf *b, const char *s, size_t len)
{
    size_t room = b->cap - 1 - b->n;
    if (len > room)
        len = room;
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static inline void aff_sb_str(aff_sbuf *b, const char *s)
{
    aff_sb_put(b, s, strlen(s));
}

/* v in decimal. */
static inline void aff_sb_int(aff_sbuf *b, long long v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        tmp[--i] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        tmp[--i] = '-';
    aff_sb_put(b, tmp + i, sizeof(tmp) - i);
}

/* s[0..len) as a plain decimal integer: one or more digits '0'-'9' and nothing else (no
 * sign, space, '+' or "0x"; leading zeros are digits), whose value is within [min, max]
 * (0 <= min <= max). 0 with *out set; AFF_EINVAL when s is not such digits; AFF_ERANGE
 * when the value is outside [min, max], beyond INT64_MAX included (never clamped). */
static inline int aff_str_to_int64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || len == 0)
        return AFF_EINVAL;
    int64_t v = 0;
    int over = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return AFF_EINVAL;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            over = 1; /* keep reading: a later non-digit is AFF_EINVAL */
        else
            v = v * 10 + d;
    }
    if (over || v < min || v > max)
        return AFF_ERANGE;
    *out = v;
    return 0;
}

#endif
