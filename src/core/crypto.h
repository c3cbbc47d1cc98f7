/*
 * crypto.h - thin wrappers over OpenSSL libcrypto: SHA-256, HMAC-SHA256, random bytes,
 * constant-time compare, and the hex/base32 encodings the project prints.
 * All functions are thread-safe and never block beyond the kernel's random source.
 */
#ifndef AFF_CORE_CRYPTO_H
#define AFF_CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define AFF_SHA256_LEN 32
#define AFF_SHA256_HEX_LEN 64

/* SHA-256 of len bytes of data into out[32]. */
void aff_sha256(const void *data, size_t len, unsigned char out[AFF_SHA256_LEN]);

/* Lower-case hex SHA-256 of data into out (65 bytes, NUL-terminated). */
void aff_sha256_hex(const void *data, size_t len, char out[AFF_SHA256_HEX_LEN + 1]);

/* HMAC-SHA256(key, data) into out[32]. */
void aff_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[AFF_SHA256_LEN]);

/* Fill buf with n cryptographically strong random bytes. Returns 0 or AFF_EIO. */
int aff_random_bytes(void *buf, size_t n);

/* The same for small n (at most 64) on hot paths: served from a per-thread buffer of
 * RAND_bytes output refilled 4 KiB at a time, so one DRBG call serves hundreds of
 * click ids. Bytes are never served twice. Returns 0 or AFF_EIO. */
int aff_random_small(void *buf, size_t n);

#define AFF_SIPHASH_KEY_LEN 16

/* SipHash-2-4 (libsodium crypto_shorthash) of len bytes under a 128-bit key: a keyed
 * PRF for short inputs, about a hundred times cheaper here than OpenSSL 3's HMAC. Used
 * for click-id tags and visitor fingerprints. */
uint64_t aff_siphash(const unsigned char key[AFF_SIPHASH_KEY_LEN], const void *data, size_t len);

/* 1 when the n bytes of a and b are equal, 0 otherwise; time depends only on n. */
int aff_ct_equal(const void *a, const void *b, size_t n);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void aff_hex_encode(const void *data, size_t n, char *out);

/* A random URL-safe token: nbytes of randomness as lower-case base32 (Crockford alphabet
 * of id.h), prefixed with prefix (may be ""). out_cap must hold the prefix, 8*nbytes/5
 * rounded up characters and the NUL. Returns 0, AFF_ETOOBIG or AFF_EIO. */
int aff_random_token(const char *prefix, size_t nbytes, char *out, size_t out_cap);

/* Base32 (Crockford lower-case alphabet, no padding) encode n bytes into out; returns the
 * number of characters written (ceil(8n/5)) and NUL-terminates. out needs that + 1. */
size_t aff_base32_encode(const unsigned char *data, size_t n, char *out);

/* Decode len base32 characters (case-insensitive) into exactly nbytes of out. Returns 0,
 * or AFF_EINVAL when a character is outside the alphabet or len != ceil(8*nbytes/5)
 * or the unused trailing bits are not zero. */
int aff_base32_decode(const char *s, size_t len, unsigned char *out, size_t nbytes);

#endif
