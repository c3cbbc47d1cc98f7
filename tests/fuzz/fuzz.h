/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point's prototype and
 * FUZZ_CHECK, which turns a broken invariant into abort() (so libFuzzer and the replay
 * driver both report it as a crash, with the message naming the file, line and check).
 * Targets are built two ways (tests/fuzz/README.md): with clang's libFuzzer for real
 * fuzzing (`make fuzz`) and with tests/fuzz/replay.c under gcc (`make fuzz-replay`).
 */
#ifndef AFF_FUZZ_H
#define AFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* A heap copy of data with a NUL after it, sized exactly so that AddressSanitizer sees
 * any read past size + 1. Aborts on allocation failure (the input is at most a few MB). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A heap copy of exactly size bytes (no terminator), for length-taking parsers. */
static inline char *fuzz_memdup(const uint8_t *data, size_t size)
{
    char *s = calloc(size > 0 ? size : 1, 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    return s;
}

static inline char fuzz_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static inline int fuzz_equal_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fuzz_lower(a[i]) != fuzz_lower(b[i]))
            return 0;
    return 1;
}

/* The reference form decoder the query and parameter targets check the real one
 * against, written the obvious way: accepts iff every '%' has two hex digits and nothing
 * decodes to NUL; '+' is a space. out holds len + 1 bytes; the length, or -1. */
static inline int fuzz_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline int fuzz_ref_decode(const char *s, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = fuzz_hexval(s[i + 1]), lo = fuzz_hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0')
            return -1;
        out[w++] = c;
    }
    out[w] = '\0';
    return (int)w;
}

#endif
