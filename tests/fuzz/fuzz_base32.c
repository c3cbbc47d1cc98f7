/*
 * fuzz_base32.c - aff_base32_decode (core/crypto.h), the codec under click ids and
 * tokens, and the encode/decode round trip.
 *
 * Input: byte 0 picks a byte count (0..63), the rest is the text to decode.
 * Checks: decoding returns 0 or AFF_EINVAL, and AFF_EINVAL whenever the length is not
 * ceil(8n/5) for the byte count asked; it writes only the n bytes asked for (the buffer
 * is sized exactly); an accepted text re-encodes to itself lower-cased, so no two texts
 * (apart from case) decode to the same bytes. The text is also decoded with the byte
 * count its length implies. Separately, encoding the whole input gives ceil(8n/5)
 * alphabet characters that decode back to the input.
 */
#include "fuzz.h"

#include "core/crypto.h"
#include "core/err.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static size_t enc_len(size_t n)
{
    return (8 * n + 4) / 5;
}

static void check_decode(const char *s, size_t len, size_t nbytes)
{
    unsigned char *out = malloc(nbytes > 0 ? nbytes : 1);
    FUZZ_CHECK(out != NULL);
    int rc = aff_base32_decode(s, len, out, nbytes);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (len != enc_len(nbytes))
        FUZZ_CHECK(rc == AFF_EINVAL);
    if (rc == AFF_OK) {
        char *again = malloc(enc_len(nbytes) + 1);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(aff_base32_encode(out, nbytes, again) == len);
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK(again[i] == fuzz_lower(s[i]));
        FUZZ_CHECK(again[len] == '\0');
        free(again);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t len = size - 1;
    char *s = fuzz_memdup(data + 1, len);
    check_decode(s, len, data[0] % 64);
    check_decode(s, len, len * 5 / 8);

    size_t n = enc_len(size);
    char *text = malloc(n + 1);
    unsigned char *raw = malloc(size);
    FUZZ_CHECK(text != NULL && raw != NULL);
    FUZZ_CHECK(aff_base32_encode(data, size, text) == n && text[n] == '\0');
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(strchr(alphabet, text[i]) != NULL && text[i] != '\0');
    FUZZ_CHECK(aff_base32_decode(text, n, raw, size) == AFF_OK && memcmp(raw, data, size) == 0);
    free(raw);
    free(text);
    free(s);
    return 0;
}
