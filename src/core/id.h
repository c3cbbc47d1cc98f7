/*
 * id.h - self-validating click ids (DESIGN.md section 6).
 *
 * Layout of the 20 raw bytes, big-endian:
 *   [0..5]   48-bit Unix time in milliseconds
 *   [6]      node id (0..255), so several nodes never collide
 *   [7..14]  64 random bits (RAND_bytes)
 *   [15..19] 40-bit tag: the low 5 bytes (little-endian) of SipHash-2-4 over bytes[0..14],
 *            keyed with secret[0..15] (DESIGN.md said HMAC; SipHash is a keyed PRF made
 *            for short inputs and costs ~100x fewer instructions per click here, see
 *            docs/architecture.md)
 * Encoded as 32 characters of lower-case base32 (alphabet "0123456789abcdefghjkmnpqrstvwxyz",
 * Crockford's without i l o u). Decoding is case-insensitive.
 *
 * A forged or mistyped id fails the tag check, so it is rejected without any
 * table lookup. The time prefix keeps click-table inserts append-mostly.
 * Owns: the codec and the tag. Does not own: the secret's storage (store meta table).
 */
#ifndef AFF_CORE_ID_H
#define AFF_CORE_ID_H

#include <stddef.h>
#include <stdint.h>

#define AFF_CLICK_ID_LEN 32 /* encoded characters, without NUL */
#define AFF_CLICK_ID_SECRET_LEN 32

typedef struct aff_click_id_key {
    unsigned char secret[AFF_CLICK_ID_SECRET_LEN];
    unsigned node_id; /* 0..255 */
} aff_click_id_key;

/* Make a new click id for time now_ms. out must hold AFF_CLICK_ID_LEN + 1 bytes; it is
 * NUL-terminated. Thread-safe. Returns AFF_EIO if the random source fails. */
int aff_click_id_new(const aff_click_id_key *key, int64_t now_ms, char *out);

/* Validate an encoded id of len bytes: right length, alphabet and tag. On success sets
 * *ts_ms to the embedded time (may be NULL) and writes the canonical lower-case form to
 * canon (AFF_CLICK_ID_LEN + 1 bytes, may be NULL). Returns AFF_EBADID otherwise.
 * Constant-time tag comparison. Thread-safe, no allocation. */
int aff_click_id_check(const aff_click_id_key *key, const char *s, size_t len, int64_t *ts_ms, char *canon);

#endif
