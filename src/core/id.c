/*
 * id.c - self-validating click ids: the 20-byte layout of id.h, its keyed tag and its
 * 32-character base32 encoding.
 *
 * Owns: building, encoding, decoding and tag-checking ids.
 * Does not own: the secret (the store's meta table keeps it), the clock (callers pass
 * now_ms), uniqueness beyond 64 random bits per node and millisecond.
 * Invariants: 20 bytes are exactly 160 bits, i.e. 32 base32 characters with no padding
 * bits, so every character of an id is covered by the tag. Big-endian time first and an
 * alphabet in ASCII order make later ids compare greater with strcmp.
 */
#include "core/id.h"

#include <string.h>

#include <openssl/crypto.h>

#include "core/crypto.h"
#include "core/err.h"

#define ID_RAW_LEN 20
#define ID_SIGNED_LEN 15 /* bytes [0..14] are covered by the tag */
#define ID_TAG_LEN 5
#define ID_MAX_MS ((int64_t)1 << 48)

/* The tag: the first 5 bytes (little-endian) of SipHash-2-4 over bytes [0..14], keyed
 * with the first half of the secret (the second half keys visitor fingerprints). */
static void id_tag(const aff_click_id_key *key, const unsigned char raw[ID_RAW_LEN], unsigned char tag[8])
{
    uint64_t h = aff_siphash(key->secret, raw, ID_SIGNED_LEN);
    for (int i = 0; i < 8; i++)
        tag[i] = (unsigned char)(h >> (8 * i));
}

int aff_click_id_new(const aff_click_id_key *key, int64_t now_ms, char *out)
{
    if (key == NULL || out == NULL || now_ms < 0 || now_ms >= ID_MAX_MS || key->node_id > 255)
        return AFF_EINVAL;
    unsigned char raw[ID_RAW_LEN];
    unsigned char tag[8];
    int rc;
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)((uint64_t)now_ms >> (8 * (5 - i)));
    raw[6] = (unsigned char)key->node_id;
    rc = aff_random_small(raw + 7, 8);
    if (rc != AFF_OK)
        goto cleanse;
    id_tag(key, raw, tag);
    memcpy(raw + ID_SIGNED_LEN, tag, ID_TAG_LEN);
    aff_base32_encode(raw, sizeof(raw), out);
cleanse:
    OPENSSL_cleanse(tag, sizeof(tag));
    return rc;
}

int aff_click_id_check(const aff_click_id_key *key, const char *s, size_t len, int64_t *ts_ms, char *canon)
{
    unsigned char raw[ID_RAW_LEN];
    unsigned char tag[8];
    if (key == NULL || s == NULL || len != AFF_CLICK_ID_LEN)
        return AFF_EBADID;
    if (aff_base32_decode(s, len, raw, sizeof(raw)) != AFF_OK)
        return AFF_EBADID;
    id_tag(key, raw, tag);
    int ok = aff_ct_equal(tag, raw + ID_SIGNED_LEN, ID_TAG_LEN);
    OPENSSL_cleanse(tag, sizeof(tag));
    if (!ok)
        return AFF_EBADID;
    if (ts_ms != NULL) {
        uint64_t t = 0;
        for (int i = 0; i < 6; i++)
            t = (t << 8) | raw[i];
        *ts_ms = (int64_t)t;
    }
    if (canon != NULL)
        aff_base32_encode(raw, sizeof(raw), canon);
    return AFF_OK;
}
