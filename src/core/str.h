/*
 * str.h - bounded string copies for hot paths, where snprintf("%s") showed up in
 * profiles (its format machinery costs ~1k instructions a call). Never writes more
 * than cap bytes and always terminates (cap > 0).
 */
#ifndef AFF_CORE_STR_H
#define AFF_CORE_STR_H

#include <stddef.h>
#include <string.h>

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

#endif
