/* test_crypto.c - unit tests for src/core/crypto.c against published vectors (FIPS 180-2,
 * RFC 4231) and hand-computed base32 encodings. */
#include "core/crypto.h"
#include "core/err.h"
#include "../test.h"

static const char base32_chars[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void hex_of(const unsigned char *p, size_t n, char *out)
{
    aff_hex_encode(p, n, out);
}

AFF_TEST(crypto_sha256_vectors)
{
    char hex[AFF_SHA256_HEX_LEN + 1];
    aff_sha256_hex("abc", 3, hex);
    AFF_CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    aff_sha256_hex("", 0, hex);
    AFF_CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    aff_sha256_hex(two_blocks, strlen(two_blocks), hex);
    AFF_CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    unsigned char raw[AFF_SHA256_LEN];
    aff_sha256("abc", 3, raw);
    AFF_CHECK_INT(raw[0], 0xba);
    AFF_CHECK_INT(raw[31], 0xad);
}

AFF_TEST(crypto_hmac_sha256_rfc4231)
{
    unsigned char mac[AFF_SHA256_LEN];
    char hex[2 * AFF_SHA256_LEN + 1];
    const char *data = "what do ya want for nothing?";
    aff_hmac_sha256("Jefe", 4, data, strlen(data), mac);
    hex_of(mac, sizeof(mac), hex);
    AFF_CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    unsigned char key1[20];
    memset(key1, 0x0b, sizeof(key1));
    aff_hmac_sha256(key1, sizeof(key1), "Hi There", 8, mac);
    hex_of(mac, sizeof(mac), hex);
    AFF_CHECK_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

AFF_TEST(crypto_hex_encode)
{
    const unsigned char in[] = {0x00, 0x0f, 0xab, 0xff, 0x10};
    char out[2 * sizeof(in) + 1];
    memset(out, 'X', sizeof(out));
    aff_hex_encode(in, sizeof(in), out);
    AFF_CHECK_STR(out, "000fabff10");
    aff_hex_encode(in, 0, out);
    AFF_CHECK_STR(out, "");
}

AFF_TEST(crypto_base32_known_encodings)
{
    char out[64];
    /* 00000000 01000100 00110010 00010100 11000111 -> groups 0..7 */
    const unsigned char seq[] = {0x00, 0x44, 0x32, 0x14, 0xc7};
    AFF_CHECK_INT(aff_base32_encode(seq, sizeof(seq), out), 8);
    AFF_CHECK_STR(out, "01234567");
    const unsigned char ff[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    AFF_CHECK_INT(aff_base32_encode(ff, 5, out), 8);
    AFF_CHECK_STR(out, "zzzzzzzz");
    /* 11111111 -> 11111 111(00): 31, 28 */
    AFF_CHECK_INT(aff_base32_encode(ff, 1, out), 2);
    AFF_CHECK_STR(out, "zw");
    AFF_CHECK_INT(aff_base32_encode(ff, 0, out), 0);
    AFF_CHECK_STR(out, "");

    unsigned char back[5];
    AFF_CHECK_INT(aff_base32_decode("01234567", 8, back, 5), AFF_OK);
    AFF_CHECK(memcmp(back, seq, 5) == 0);
    AFF_CHECK_INT(aff_base32_decode("ZW", 2, back, 1), AFF_OK); /* case-insensitive */
    AFF_CHECK_INT(back[0], 0xff);
}

AFF_TEST(crypto_base32_round_trip_random)
{
    for (size_t n = 1; n <= 40; n++) {
        for (int rep = 0; rep < 8; rep++) {
            unsigned char in[40], back[41];
            char enc[72];
            AFF_CHECK_INT(aff_random_bytes(in, n), AFF_OK);
            size_t len = aff_base32_encode(in, n, enc);
            AFF_CHECK_INT(len, (8 * n + 4) / 5);
            AFF_CHECK_INT(strlen(enc), len);
            AFF_CHECK_INT(strspn(enc, base32_chars), len);
            memset(back, 0xa5, sizeof(back));
            AFF_CHECK_INT(aff_base32_decode(enc, len, back, n), AFF_OK);
            AFF_CHECK(memcmp(in, back, n) == 0);
            AFF_CHECK_INT(back[n], 0xa5); /* exactly n bytes written */
        }
    }
}

AFF_TEST(crypto_base32_decode_rejects)
{
    unsigned char out[5];
    static const char bad_chars[] = {'i', 'I', 'l', 'L', 'o', 'O', 'u', 'U', '-', '=', '_', ' ', '\0', '\x80'};
    for (size_t i = 0; i < sizeof(bad_chars); i++) {
        char s[9] = "01234567";
        s[3] = bad_chars[i];
        if (aff_base32_decode(s, 8, out, 5) != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "character 0x%02x accepted", (unsigned char)bad_chars[i]);
    }
    AFF_CHECK_INT(aff_base32_decode("0123456", 7, out, 5), AFF_EINVAL);   /* too short */
    AFF_CHECK_INT(aff_base32_decode("012345670", 9, out, 5), AFF_EINVAL); /* too long */
    AFF_CHECK_INT(aff_base32_decode("zz", 2, out, 1), AFF_EINVAL);        /* non-zero padding bits */
    AFF_CHECK_INT(aff_base32_decode("zw", 2, out, 1), AFF_OK);
}

AFF_TEST(crypto_random_token)
{
    char a[64], b[64];
    AFF_CHECK_INT(aff_random_token("ak_", 20, a, sizeof(a)), AFF_OK);
    AFF_CHECK_INT(strlen(a), 3 + 32);
    AFF_CHECK(strncmp(a, "ak_", 3) == 0);
    AFF_CHECK_INT(strspn(a + 3, base32_chars), 32);
    AFF_CHECK_INT(aff_random_token("ak_", 20, b, sizeof(b)), AFF_OK);
    AFF_CHECK(strcmp(a, b) != 0);

    AFF_CHECK_INT(aff_random_token("", 7, a, sizeof(a)), AFF_OK);
    AFF_CHECK_INT(strlen(a), 12); /* ceil(56 / 5) */
    AFF_CHECK_INT(strspn(a, base32_chars), 12);

    /* More than one internal chunk of randomness. */
    char big[200];
    AFF_CHECK_INT(aff_random_token("t", 100, big, sizeof(big)), AFF_OK);
    AFF_CHECK_INT(strlen(big), 1 + 160);
    AFF_CHECK_INT(strspn(big + 1, base32_chars), 160);

    AFF_CHECK_INT(aff_random_token("ak_", 20, a, 35), AFF_ETOOBIG); /* NUL does not fit */
    AFF_CHECK_INT(aff_random_token("ak_", 20, a, 36), AFF_OK);
    AFF_CHECK_INT(strlen(a), 35);
    AFF_CHECK_INT(aff_random_token("abc", 0, a, 3), AFF_ETOOBIG);
}

AFF_TEST(crypto_random_bytes_vary)
{
    unsigned char a[32], b[32];
    AFF_CHECK_INT(aff_random_bytes(a, sizeof(a)), AFF_OK);
    AFF_CHECK_INT(aff_random_bytes(b, sizeof(b)), AFF_OK);
    AFF_CHECK(memcmp(a, b, sizeof(a)) != 0);
    AFF_CHECK_INT(aff_random_bytes(a, 0), AFF_OK);
}

AFF_TEST(crypto_ct_equal)
{
    unsigned char a[16], b[16];
    for (int i = 0; i < 16; i++)
        a[i] = b[i] = (unsigned char)(i * 17);
    AFF_CHECK_INT(aff_ct_equal(a, b, sizeof(a)), 1);
    b[0] ^= 1;
    AFF_CHECK_INT(aff_ct_equal(a, b, sizeof(a)), 0);
    b[0] ^= 1;
    b[15] ^= 0x80;
    AFF_CHECK_INT(aff_ct_equal(a, b, sizeof(a)), 0);
    AFF_CHECK_INT(aff_ct_equal(a, b, 15), 1);
    AFF_CHECK_INT(aff_ct_equal(a, b, 0), 1);
}

AFF_TEST(crypto_siphash_reference_vector)
{
    /* SipHash-2-4 paper (Aumasson & Bernstein), appendix A: key 00..0f, message 00..0e
     * (15 bytes) -> a129ca6149be45e5. */
    unsigned char key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (unsigned char)i;
    AFF_CHECK(aff_siphash(key, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL);
    key[0] ^= 1;
    AFF_CHECK(aff_siphash(key, msg, sizeof(msg)) != 0xa129ca6149be45e5ULL);
}

AFF_TEST(crypto_random_small_never_repeats)
{
    /* 2000 draws of 8 bytes cross several refills of the 4 KiB pool; a repeat would mean
     * served twice (the chance of a true 64-bit collision here is ~1e-13). */
    static uint64_t seen[2000];
    for (int i = 0; i < 2000; i++) {
        AFF_CHECK_INT(aff_random_small(&seen[i], 8), AFF_OK);
        for (int j = 0; j < i; j++)
            if (seen[j] == seen[i])
                AFF_CHECK(!"random_small repeated a value");
    }
    unsigned char big[65];
    AFF_CHECK_INT(aff_random_small(big, sizeof(big)), AFF_EINVAL);
}
