/*
 * fuzz_url_query.c - query strings from tracking and postback URLs: aff_query_next over
 * every pair, and aff_url_decode_component on each name, each value and the whole input.
 *
 * Checks:
 *   - the iterator only hands out ranges inside the input, its cursor strictly advances,
 *     names contain no '&' or '=', values no '&'; joining the pairs back with '&' gives
 *     the input with runs of '&' collapsed and leading/trailing ones dropped; an
 *     exhausted iterator stays exhausted;
 *   - decoding writes at most len + 1 bytes (buffers are sized exactly), its output is
 *     never longer than its input, and it agrees byte for byte with a reference decoder
 *     (accept iff every '%' has two hex digits and nothing decodes to NUL, '+' is space).
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/url.h"

static void check_decode(const char *s, size_t len)
{
    char *in = fuzz_memdup((const uint8_t *)s, len); /* exactly len bytes: a read past them is caught */
    char *out = malloc(len + 1);
    char *want = malloc(len + 1);
    FUZZ_CHECK(out != NULL && want != NULL);
    int n = aff_url_decode_component(in, len, out);
    int m = fuzz_ref_decode(in, len, want);
    FUZZ_CHECK(n >= 0 || n == AFF_EINVAL);
    FUZZ_CHECK((n >= 0) == (m >= 0));
    if (n >= 0) {
        FUZZ_CHECK((size_t)n <= len);
        FUZZ_CHECK(n == m && memcmp(out, want, (size_t)n + 1) == 0);
        FUZZ_CHECK(memchr(out, '\0', (size_t)n) == NULL);
    }
    free(want);
    free(out);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_memdup(data, size);
    char *joined = malloc(size + 1), *collapsed = malloc(size + 1);
    FUZZ_CHECK(joined != NULL && collapsed != NULL);
    size_t jn = 0, cn = 0;
    for (size_t i = 0; i < size; i++) /* the input with '&' runs collapsed, ends trimmed */
        if (q[i] != '&' || (cn > 0 && collapsed[cn - 1] != '&'))
            collapsed[cn++] = q[i];
    if (cn > 0 && collapsed[cn - 1] == '&')
        cn--;

    size_t cursor = 0, prev = 0, pairs = 0;
    const char *name, *value;
    size_t nl, vl;
    while (aff_query_next(q, size, &cursor, &name, &nl, &value, &vl)) {
        FUZZ_CHECK(++pairs <= size);
        FUZZ_CHECK(cursor > prev && cursor <= size);
        prev = cursor;
        FUZZ_CHECK(name >= q && name + nl <= q + size);
        FUZZ_CHECK(value >= name + nl && value + vl <= q + size);
        FUZZ_CHECK(memchr(name, '&', nl) == NULL && memchr(name, '=', nl) == NULL);
        FUZZ_CHECK(memchr(value, '&', vl) == NULL);
        int has_eq = value == name + nl + 1;
        FUZZ_CHECK(has_eq || (value == name + nl && vl == 0));
        FUZZ_CHECK(name + nl + (has_eq ? 1 : 0) + vl == q + cursor);
        FUZZ_CHECK(nl + vl > 0 || has_eq);
        if (jn > 0)
            joined[jn++] = '&';
        size_t seg = nl + (size_t)has_eq + vl;
        FUZZ_CHECK(jn + seg <= size);
        memcpy(joined + jn, name, seg);
        jn += seg;
        check_decode(name, nl);
        check_decode(value, vl);
    }
    FUZZ_CHECK(jn == cn && memcmp(joined, collapsed, jn) == 0);
    FUZZ_CHECK(aff_query_next(q, size, &cursor, &name, &nl, &value, &vl) == 0);
    check_decode(q, size);
    free(collapsed);
    free(joined);
    free(q);
    return 0;
}
