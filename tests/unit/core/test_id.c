/* test_id.c - unit tests for src/core/id.c: layout, tag checking, canonical form and
 * ordering of click ids. */
#include <ctype.h>

#include "core/crypto.h"
#include "core/err.h"
#include "core/id.h"
#include "../test.h"

static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* 2024-05-01T12:00:00Z in milliseconds. */
#define T0 1714564800000LL

static aff_click_id_key test_key(unsigned char fill, unsigned node)
{
    aff_click_id_key k;
    for (size_t i = 0; i < sizeof(k.secret); i++)
        k.secret[i] = (unsigned char)(fill + i * 7);
    k.node_id = node;
    return k;
}

static void make_id(const aff_click_id_key *k, int64_t ms, char out[AFF_CLICK_ID_LEN + 1])
{
    memset(out, 0, AFF_CLICK_ID_LEN + 1);
    AFF_CHECK_INT(aff_click_id_new(k, ms, out), AFF_OK);
}

AFF_TEST(id_new_is_32_alphabet_chars_and_checks)
{
    aff_click_id_key k = test_key(1, 3);
    char id[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, id);
    AFF_CHECK_INT(strlen(id), AFF_CLICK_ID_LEN);
    AFF_CHECK_INT(strspn(id, id_alphabet), AFF_CLICK_ID_LEN);

    int64_t ts = -1;
    char canon[AFF_CLICK_ID_LEN + 1];
    AFF_CHECK_INT(aff_click_id_check(&k, id, strlen(id), &ts, canon), AFF_OK);
    AFF_CHECK_INT(ts, T0);
    AFF_CHECK_STR(canon, id);
    AFF_CHECK_INT(aff_click_id_check(&k, id, strlen(id), NULL, NULL), AFF_OK);
}

AFF_TEST(id_layout_matches_header)
{
    /* Decode independently and recompute the tag: time, node and tag placement. */
    aff_click_id_key k = test_key(9, 200);
    char id[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0 + 123, id);
    unsigned char raw[20];
    AFF_CHECK_INT(aff_base32_decode(id, AFF_CLICK_ID_LEN, raw, sizeof(raw)), AFF_OK);
    int64_t t = 0;
    for (int i = 0; i < 6; i++)
        t = (t << 8) | raw[i];
    AFF_CHECK_INT(t, T0 + 123);
    AFF_CHECK_INT(raw[6], 200);
    /* tag = low 5 bytes (little-endian) of SipHash-2-4(secret[0..15], raw[0..14]) */
    uint64_t mac = aff_siphash(k.secret, raw, 15);
    for (int i = 0; i < 5; i++)
        AFF_CHECK_INT(raw[15 + i], (mac >> (8 * i)) & 0xff);
}

AFF_TEST(id_time_range)
{
    aff_click_id_key k = test_key(2, 0);
    char id[AFF_CLICK_ID_LEN + 1];
    int64_t ts = -1;
    make_id(&k, 0, id);
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN, &ts, NULL), AFF_OK);
    AFF_CHECK_INT(ts, 0);
    const int64_t max_ms = ((int64_t)1 << 48) - 1;
    make_id(&k, max_ms, id);
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN, &ts, NULL), AFF_OK);
    AFF_CHECK_INT(ts, max_ms);
    AFF_CHECK_INT(aff_click_id_new(&k, max_ms + 1, id), AFF_EINVAL);
    AFF_CHECK_INT(aff_click_id_new(&k, -1, id), AFF_EINVAL);
    k.node_id = 256;
    AFF_CHECK_INT(aff_click_id_new(&k, T0, id), AFF_EINVAL);
}

AFF_TEST(id_uppercase_checks_and_canonicalises)
{
    aff_click_id_key k = test_key(3, 1);
    char id[AFF_CLICK_ID_LEN + 1], upper[AFF_CLICK_ID_LEN + 1], canon[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, id);
    for (int i = 0; i <= AFF_CLICK_ID_LEN; i++)
        upper[i] = (char)toupper((unsigned char)id[i]);
    AFF_CHECK(strcmp(upper, id) != 0 || strspn(id, "0123456789") == AFF_CLICK_ID_LEN);
    int64_t ts = -1;
    AFF_CHECK_INT(aff_click_id_check(&k, upper, AFF_CLICK_ID_LEN, &ts, canon), AFF_OK);
    AFF_CHECK_STR(canon, id);
    AFF_CHECK_INT(ts, T0);

    /* Mixed case too. */
    char mixed[AFF_CLICK_ID_LEN + 1];
    memcpy(mixed, id, sizeof(mixed));
    for (int i = 0; i < AFF_CLICK_ID_LEN; i += 2)
        mixed[i] = (char)toupper((unsigned char)mixed[i]);
    AFF_CHECK_INT(aff_click_id_check(&k, mixed, AFF_CLICK_ID_LEN, NULL, canon), AFF_OK);
    AFF_CHECK_STR(canon, id);
}

AFF_TEST(id_every_single_char_change_rejected)
{
    aff_click_id_key k = test_key(4, 7);
    char id[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, id);
    int accepted = 0;
    for (int pos = 0; pos < AFF_CLICK_ID_LEN; pos++) {
        for (const char *c = id_alphabet; *c != '\0'; c++) {
            if (*c == id[pos])
                continue;
            char bad[AFF_CLICK_ID_LEN + 1];
            memcpy(bad, id, sizeof(bad));
            bad[pos] = *c;
            int rc = aff_click_id_check(&k, bad, AFF_CLICK_ID_LEN, NULL, NULL);
            if (rc != AFF_EBADID) {
                accepted++;
                aff_test_fail(__FILE__, __LINE__, "pos %d -> '%c' gave %d", pos, *c, rc);
            }
        }
    }
    AFF_CHECK_INT(accepted, 0);
}

AFF_TEST(id_wrong_secret_rejected)
{
    aff_click_id_key k = test_key(5, 1), other = test_key(5, 1), fp_half = test_key(5, 1);
    other.secret[15] ^= 1;   /* the tag key is secret[0..15] */
    fp_half.secret[31] ^= 1; /* secret[16..31] keys fingerprints, not ids (id.h) */
    char id[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, id);
    AFF_CHECK_INT(aff_click_id_check(&other, id, AFF_CLICK_ID_LEN, NULL, NULL), AFF_EBADID);
    AFF_CHECK_INT(aff_click_id_check(&fp_half, id, AFF_CLICK_ID_LEN, NULL, NULL), AFF_OK);
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN, NULL, NULL), AFF_OK);
    /* The node id is part of the id, not of the key check: another node's ids validate. */
    aff_click_id_key node2 = k;
    node2.node_id = 2;
    AFF_CHECK_INT(aff_click_id_check(&node2, id, AFF_CLICK_ID_LEN, NULL, NULL), AFF_OK);
}

AFF_TEST(id_wrong_length_or_chars_rejected)
{
    aff_click_id_key k = test_key(6, 0);
    char id[AFF_CLICK_ID_LEN + 2];
    make_id(&k, T0, id);
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN - 1, NULL, NULL), AFF_EBADID);
    AFF_CHECK_INT(aff_click_id_check(&k, id, 0, NULL, NULL), AFF_EBADID);
    AFF_CHECK_INT(aff_click_id_check(&k, "", 0, NULL, NULL), AFF_EBADID);
    id[AFF_CLICK_ID_LEN] = '0';
    id[AFF_CLICK_ID_LEN + 1] = '\0';
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN + 1, NULL, NULL), AFF_EBADID);
    id[AFF_CLICK_ID_LEN] = '\0';
    AFF_CHECK_INT(aff_click_id_check(&k, id, AFF_CLICK_ID_LEN, NULL, NULL), AFF_OK);

    static const char bad_chars[] = {'i', 'l', 'o', 'u', 'I', 'L', 'O', 'U', '-', '_', '\0', ' ', '='};
    for (size_t i = 0; i < sizeof(bad_chars); i++) {
        for (int pos = 0; pos < AFF_CLICK_ID_LEN; pos += 7) {
            char bad[AFF_CLICK_ID_LEN + 1];
            memcpy(bad, id, sizeof(bad));
            bad[pos] = bad_chars[i];
            char canon[AFF_CLICK_ID_LEN + 1] = "untouched";
            if (aff_click_id_check(&k, bad, AFF_CLICK_ID_LEN, NULL, canon) != AFF_EBADID)
                aff_test_fail(__FILE__, __LINE__, "char 0x%02x at %d accepted", (unsigned char)bad_chars[i], pos);
            AFF_CHECK_STR(canon, "untouched");
        }
    }
}

AFF_TEST(id_same_millisecond_ids_differ)
{
    aff_click_id_key k = test_key(7, 0);
    char a[AFF_CLICK_ID_LEN + 1], b[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, a);
    make_id(&k, T0, b);
    AFF_CHECK(strcmp(a, b) != 0);
    /* Same time and node: the first 56 bits (11 full characters) agree. */
    AFF_CHECK(memcmp(a, b, 11) == 0);
}

AFF_TEST(id_later_ids_sort_after)
{
    aff_click_id_key k = test_key(8, 255);
    static const int64_t steps[] = {1, 2, 31, 32, 1000, 86400000LL, (int64_t)1 << 40};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        char early[AFF_CLICK_ID_LEN + 1], late[AFF_CLICK_ID_LEN + 1];
        make_id(&k, T0, early);
        make_id(&k, T0 + steps[i], late);
        if (strcmp(early, late) >= 0)
            aff_test_fail(__FILE__, __LINE__, "+%lld ms: %s !< %s", (long long)steps[i], early, late);
    }
    /* Lower node id at a later millisecond still sorts after: time comes first. */
    aff_click_id_key low = test_key(8, 0);
    char early[AFF_CLICK_ID_LEN + 1], late[AFF_CLICK_ID_LEN + 1];
    make_id(&k, T0, early);
    make_id(&low, T0 + 1, late);
    AFF_CHECK(strcmp(early, late) < 0);
}
