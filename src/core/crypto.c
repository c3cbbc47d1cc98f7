/*
 * crypto.c - SHA-256, HMAC-SHA256, random bytes, constant-time compare, hex and base32
 * (see crypto.h), over OpenSSL libcrypto.
 *
 * Owns: the thin wrappers and the Crockford lower-case base32 codec shared with id.c.
 * Does not own: secrets (callers keep them), key storage, anything stateful.
 * Invariants: the digest functions have no error path in their contract, so a libcrypto
 * failure there (which only happens on memory exhaustion or a broken install) aborts
 * rather than handing back an uninitialised digest. Random buffers used for tokens are
 * cleansed before returning.
 */
#include "core/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "core/err.h"

static const char base32_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
static const char hex_digits[] = "0123456789abcdef";

void aff_sha256(const void *data, size_t len, unsigned char out[AFF_SHA256_LEN])
{
    unsigned int out_len = 0;
    if (data == NULL)
        data = "";
    if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) != 1 || out_len != AFF_SHA256_LEN)
        abort();
}

void aff_sha256_hex(const void *data, size_t len, char out[AFF_SHA256_HEX_LEN + 1])
{
    unsigned char md[AFF_SHA256_LEN];
    aff_sha256(data, len, md);
    aff_hex_encode(md, sizeof(md), out);
}

void aff_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[AFF_SHA256_LEN])
{
    unsigned int out_len = 0;
    /* OpenSSL 3 refuses a NULL key even with length 0; an empty key is still a key. */
    if (key == NULL || key_len == 0) {
        key = "";
        key_len = 0;
    }
    if (data == NULL)
        data = "";
    if (key_len > INT_MAX)
        abort();
    if (HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) == NULL || out_len != AFF_SHA256_LEN)
        abort();
}

#define RANDOM_POOL 4096

int aff_random_small(void *buf, size_t n)
{
    static _Thread_local unsigned char pool[RANDOM_POOL];
    static _Thread_local size_t left;
    if (n > 64)
        return AFF_EINVAL;
    if (left < n) {
        if (RAND_bytes(pool, RANDOM_POOL) != 1)
            return AFF_EIO;
        left = RANDOM_POOL;
    }
    unsigned char *src = pool + RANDOM_POOL - left;
    memcpy(buf, src, n);
    OPENSSL_cleanse(src, n);
    left -= n;
    return AFF_OK;
}

uint64_t aff_siphash(const unsigned char key[AFF_SIPHASH_KEY_LEN], const void *data, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, data, len, key);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | out[i];
    return v;
}

int aff_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1)
            return AFF_EIO;
        p += chunk;
        n -= (size_t)chunk;
    }
    return AFF_OK;
}

int aff_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void aff_hex_encode(const void *data, size_t n, char *out)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[p[i] >> 4];
        out[2 * i + 1] = hex_digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

/* ceil(8n/5) without overflowing for any n whose result fits in size_t. */
static size_t base32_len(size_t n)
{
    return n / 5 * 8 + (n % 5 * 8 + 4) / 5;
}

/* Value of a base32 character (either case), or -1 when outside the alphabet. */
/* Value + 1 of each alphabet character, upper or lower case; 0 marks anything else. */
static const unsigned char base32_values[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,  ['8'] = 9,
    ['9'] = 10, ['a'] = 11, ['A'] = 11, ['b'] = 12, ['B'] = 12, ['c'] = 13, ['C'] = 13, ['d'] = 14, ['D'] = 14,
    ['e'] = 15, ['E'] = 15, ['f'] = 16, ['F'] = 16, ['g'] = 17, ['G'] = 17, ['h'] = 18, ['H'] = 18, ['j'] = 19,
    ['J'] = 19, ['k'] = 20, ['K'] = 20, ['m'] = 21, ['M'] = 21, ['n'] = 22, ['N'] = 22, ['p'] = 23, ['P'] = 23,
    ['q'] = 24, ['Q'] = 24, ['r'] = 25, ['R'] = 25, ['s'] = 26, ['S'] = 26, ['t'] = 27, ['T'] = 27, ['v'] = 28,
    ['V'] = 28, ['w'] = 29, ['W'] = 29, ['x'] = 30, ['X'] = 30, ['y'] = 31, ['Y'] = 31, ['z'] = 32, ['Z'] = 32,
};

static int base32_value(char c)
{
    return (int)base32_values[(unsigned char)c] - 1;
}

size_t aff_base32_encode(const unsigned char *data, size_t n, char *out)
{
    size_t w = 0;
    unsigned acc = 0; /* holds at most 12 pending bits */
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[w++] = base32_alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[w++] = base32_alphabet[(acc << (5 - bits)) & 31];
    out[w] = '\0';
    return w;
}

int aff_base32_decode(const char *s, size_t len, unsigned char *out, size_t nbytes)
{
    if (s == NULL || (out == NULL && nbytes > 0))
        return AFF_EINVAL;
    if (nbytes > (SIZE_MAX - 4) / 8 || len != base32_len(nbytes))
        return AFF_EINVAL;
    /* Validate every character before writing anything to out. */
    for (size_t i = 0; i < len; i++)
        if (base32_value(s[i]) < 0)
            return AFF_EINVAL;
    unsigned acc = 0; /* holds at most 12 pending bits */
    int bits = 0;
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 5) | (unsigned)base32_value(s[i]);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* len == ceil(8n/5) leaves fewer than 5 padding bits; they must be zero. */
    if (acc != 0)
        return AFF_EINVAL;
    return AFF_OK;
}

int aff_random_token(const char *prefix, size_t nbytes, char *out, size_t out_cap)
{
    if (prefix == NULL)
        prefix = "";
    if (out == NULL)
        return AFF_EINVAL;
    size_t plen = strlen(prefix);
    if (nbytes > (SIZE_MAX - 4) / 8)
        return AFF_ETOOBIG;
    size_t enc_len = base32_len(nbytes);
    if (plen >= out_cap || enc_len >= out_cap - plen)
        return AFF_ETOOBIG;
    memcpy(out, prefix, plen);
    char *w = out + plen;
    /* 40 bytes encode to exactly 64 characters, so chunks concatenate seamlessly. */
    unsigned char rnd[40];
    int rc = AFF_OK;
    while (nbytes > 0) {
        size_t chunk = nbytes < sizeof(rnd) ? nbytes : sizeof(rnd);
        rc = aff_random_bytes(rnd, chunk);
        if (rc != AFF_OK) {
            out[0] = '\0';
            goto cleanse_rnd;
        }
        w += aff_base32_encode(rnd, chunk, w);
        nbytes -= chunk;
    }
    *w = '\0';
cleanse_rnd:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return rc;
}
