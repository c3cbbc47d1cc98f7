/*
 * fuzz_money.c - amounts and rates from conversion postbacks and the API:
 * aff_money_parse for exponents 0..4 with and without negatives, and aff_rate_parse.
 *
 * Checks:
 *   - both parsers agree with a reference parser (syntax "[-]D+[.D+]", at most `exponent`
 *     fraction digits, syntax errors before range errors, AFF_ERANGE above
 *     AFF_MONEY_MAX_MINOR or 100 %), on the return code and the value;
 *   - an amount accepted without negatives is >= 0, and is accepted with the same value
 *     when negatives are allowed;
 *   - formatting an accepted amount (aff_money_format) gives exactly `exponent` fraction
 *     digits, needs exactly its length + 1 bytes (one less is AFF_ETOOBIG), and parses
 *     back to the same value; aff_rate_format likewise round-trips a rate;
 *   - applying an accepted rate to an accepted amount never grows its magnitude.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/money.h"

/* Reference: returns 0, AFF_EINVAL or AFF_ERANGE like the contract says. */
static int ref_parse(const char *s, size_t len, int max_frac, int allow_negative, int64_t cap, int64_t *out)
{
    size_t i = 0;
    int negative = len > 0 && s[0] == '-';
    if (negative) {
        if (!allow_negative)
            return AFF_EINVAL;
        i = 1;
    }
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (int_digits == 0)
        return AFF_EINVAL;
    size_t frac_at = i + 1;
    if (i < len) {
        if (s[i] != '.')
            return AFF_EINVAL;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
        if (frac_digits == 0 || i != len)
            return AFF_EINVAL;
    }
    if (frac_digits > (size_t)max_frac)
        return AFF_EINVAL;
    /* Value = digits (integer and fraction) followed by max_frac - frac_digits zeros. */
    unsigned __int128 v = 0;
    size_t start = negative ? 1 : 0;
    for (size_t k = start; k < start + int_digits; k++) {
        v = v * 10 + (unsigned)(s[k] - '0');
        if (v > (unsigned __int128)cap)
            return AFF_ERANGE;
    }
    for (size_t k = 0; k < (size_t)max_frac; k++) {
        v = v * 10 + (k < frac_digits ? (unsigned)(s[frac_at + k] - '0') : 0);
        if (v > (unsigned __int128)cap)
            return AFF_ERANGE;
    }
    *out = negative ? -(int64_t)v : (int64_t)v;
    return AFF_OK;
}

static void check_format(int64_t v, int exponent)
{
    char buf[64];
    int n = aff_money_format(v, exponent, buf, sizeof(buf));
    FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf));
    const char *dot = strchr(buf, '.');
    if (exponent == 0)
        FUZZ_CHECK(dot == NULL);
    else
        FUZZ_CHECK(dot != NULL && strlen(dot + 1) == (size_t)exponent && dot > buf + (v < 0));
    FUZZ_CHECK((buf[0] == '-') == (v < 0));
    int64_t back = 0;
    FUZZ_CHECK(aff_money_parse(buf, (size_t)n, exponent, 1, &back) == AFF_OK && back == v);
    char *exact = malloc((size_t)n + 1);
    FUZZ_CHECK(exact != NULL);
    FUZZ_CHECK(aff_money_format(v, exponent, exact, (size_t)n + 1) == n && strcmp(exact, buf) == 0);
    FUZZ_CHECK(aff_money_format(v, exponent, exact, (size_t)n) == AFF_ETOOBIG);
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_memdup(data, size);
    int64_t amount2 = 0;
    int amount2_ok = 0;
    for (int exponent = 0; exponent <= 4; exponent++) {
        int64_t unsigned_value = 0;
        int unsigned_rc = 0;
        for (int neg = 0; neg <= 1; neg++) {
            int64_t v = INT64_MIN, want = INT64_MIN;
            int rc = aff_money_parse(s, size, exponent, neg, &v);
            int want_rc = ref_parse(s, size, exponent, neg, AFF_MONEY_MAX_MINOR, &want);
            FUZZ_CHECK(rc == want_rc);
            if (rc != AFF_OK)
                continue;
            FUZZ_CHECK(v == want);
            FUZZ_CHECK(v >= -AFF_MONEY_MAX_MINOR && v <= AFF_MONEY_MAX_MINOR);
            if (neg == 0) {
                FUZZ_CHECK(v >= 0);
                unsigned_value = v;
                unsigned_rc = 1;
            } else if (unsigned_rc) {
                FUZZ_CHECK(v == unsigned_value);
            }
            check_format(v, exponent);
            if (exponent == 2 && neg == 1) {
                amount2 = v;
                amount2_ok = 1;
            }
        }
    }

    int64_t rate = -1, want_rate = -1;
    int rc = aff_rate_parse(s, size, &rate);
    FUZZ_CHECK(rc == ref_parse(s, size, 6, 0, AFF_RATE_ONE_HUNDRED, &want_rate));
    if (rc == AFF_OK) {
        FUZZ_CHECK(rate == want_rate && rate >= 0 && rate <= AFF_RATE_ONE_HUNDRED);
        char buf[32];
        int n = aff_rate_format(rate, buf, sizeof(buf));
        FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf));
        int64_t back = -1;
        FUZZ_CHECK(aff_rate_parse(buf, (size_t)n, &back) == AFF_OK && back == rate);
        if (amount2_ok) {
            int64_t c = 0;
            FUZZ_CHECK(aff_money_apply_rate(amount2, rate, &c) == AFF_OK);
            FUZZ_CHECK(amount2 >= 0 ? (c >= 0 && c <= amount2) : (c <= 0 && c >= amount2));
        }
    }
    free(s);
    return 0;
}
