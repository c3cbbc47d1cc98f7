/*
 * fuzz_click_id.c - click ids arrive in postbacks, cookies and query strings: the
 * tag check aff_click_id_check (core/id.h) under a fixed key, and a round trip through
 * aff_click_id_new for 8-byte inputs.
 *
 * Checks:
 *   - any input: the return is 0 or AFF_EBADID; an accepted id is 32 characters, its
 *     canonical form is the input lower-cased and only alphabet characters, its time is
 *     below 2^48, and the canonical form is accepted again with the same time;
 *   - 8-byte inputs, read as a big-endian int64 time: aff_click_id_new refuses times
 *     outside 0..2^48-1 with AFF_EINVAL; for the time masked to 48 bits (and a node id
 *     taken from the last byte) the new id is accepted with that time, its canonical form
 *     is itself, its upper-case form is accepted too, and changing any one character of
 *     the 40-bit tag (characters 24..31 encode exactly bytes 15..19) is rejected.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/id.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void key_init(aff_click_id_key *key, unsigned node)
{
    for (int i = 0; i < AFF_CLICK_ID_SECRET_LEN; i++)
        key->secret[i] = (unsigned char)(i * 7 + 1);
    key->node_id = node;
}

static void check_any(const aff_click_id_key *key, const char *s, size_t len)
{
    int64_t ts = -1;
    char canon[AFF_CLICK_ID_LEN + 1];
    int rc = aff_click_id_check(key, s, len, &ts, canon);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EBADID);
    FUZZ_CHECK(aff_click_id_check(key, s, len, NULL, NULL) == rc);
    if (rc != AFF_OK)
        return;
    FUZZ_CHECK(len == AFF_CLICK_ID_LEN && strlen(canon) == AFF_CLICK_ID_LEN);
    FUZZ_CHECK(ts >= 0 && ts < ((int64_t)1 << 48));
    for (size_t i = 0; i < len; i++) {
        FUZZ_CHECK(canon[i] == fuzz_lower(s[i]));
        FUZZ_CHECK(strchr(alphabet, canon[i]) != NULL && canon[i] != '\0');
    }
    int64_t ts2 = -1;
    char canon2[AFF_CLICK_ID_LEN + 1];
    FUZZ_CHECK(aff_click_id_check(key, canon, AFF_CLICK_ID_LEN, &ts2, canon2) == AFF_OK);
    FUZZ_CHECK(ts2 == ts && strcmp(canon2, canon) == 0);
}

static void check_round_trip(const uint8_t *data)
{
    int64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = (int64_t)(((uint64_t)t << 8) | data[i]);
    aff_click_id_key key;
    key_init(&key, data[7]);
    char id[AFF_CLICK_ID_LEN + 1];
    int rc = aff_click_id_new(&key, t, id);
    if (t < 0 || t >= ((int64_t)1 << 48))
        FUZZ_CHECK(rc == AFF_EINVAL);
    else
        FUZZ_CHECK(rc == AFF_OK);

    int64_t t48 = t & (((int64_t)1 << 48) - 1);
    FUZZ_CHECK(aff_click_id_new(&key, t48, id) == AFF_OK);
    FUZZ_CHECK(strlen(id) == AFF_CLICK_ID_LEN);
    int64_t ts = -1;
    char canon[AFF_CLICK_ID_LEN + 1];
    FUZZ_CHECK(aff_click_id_check(&key, id, AFF_CLICK_ID_LEN, &ts, canon) == AFF_OK);
    FUZZ_CHECK(ts == t48 && strcmp(canon, id) == 0);

    char upper[AFF_CLICK_ID_LEN + 1];
    for (int i = 0; i <= AFF_CLICK_ID_LEN; i++)
        upper[i] = (id[i] >= 'a' && id[i] <= 'z') ? (char)(id[i] - 'a' + 'A') : id[i];
    FUZZ_CHECK(aff_click_id_check(&key, upper, AFF_CLICK_ID_LEN, &ts, canon) == AFF_OK);
    FUZZ_CHECK(ts == t48 && strcmp(canon, id) == 0);

    /* A different character in the tag changes only the tag: always a forgery. */
    int pos = 24 + data[6] % 8;
    char forged[AFF_CLICK_ID_LEN + 1];
    memcpy(forged, id, sizeof(forged));
    const char *at = strchr(alphabet, forged[pos]);
    FUZZ_CHECK(at != NULL);
    forged[pos] = alphabet[(size_t)(at - alphabet + 1 + data[5] % 31) % 32];
    FUZZ_CHECK(aff_click_id_check(&key, forged, AFF_CLICK_ID_LEN, NULL, NULL) == AFF_EBADID);
    /* One character short or long is never an id. */
    FUZZ_CHECK(aff_click_id_check(&key, id, AFF_CLICK_ID_LEN - 1, NULL, NULL) == AFF_EBADID);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aff_click_id_key key;
    key_init(&key, 3);
    char *s = fuzz_memdup(data, size);
    check_any(&key, s, size);
    free(s);
    if (size == 8)
        check_round_trip(data);
    return 0;
}
