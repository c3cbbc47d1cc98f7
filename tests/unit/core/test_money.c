/* test_money.c - unit tests for src/core/money.c: exponents, parsing, formatting, rates
 * and the half-away-from-zero rounding rule. Expected values are worked out by hand. */
#include "core/err.h"
#include "core/money.h"
#include "../test.h"

static int exponent_of(const char *code)
{
    int e = -99;
    int rc = aff_currency_exponent(code, &e);
    return rc == AFF_OK ? e : rc;
}

static int parse(const char *s, int exponent, int allow_negative, int64_t *out)
{
    return aff_money_parse(s, strlen(s), exponent, allow_negative, out);
}

static int parse_rate(const char *s, int64_t *out)
{
    return aff_rate_parse(s, strlen(s), out);
}

AFF_TEST(money_currency_exponents)
{
    AFF_CHECK_INT(exponent_of("USD"), 2);
    AFF_CHECK_INT(exponent_of("EUR"), 2);
    AFF_CHECK_INT(exponent_of("GBP"), 2);
    AFF_CHECK_INT(exponent_of("JPY"), 0);
    AFF_CHECK_INT(exponent_of("KRW"), 0);
    AFF_CHECK_INT(exponent_of("KWD"), 3);
    AFF_CHECK_INT(exponent_of("BHD"), 3);
    AFF_CHECK_INT(exponent_of("CLF"), 4);
    /* First and last entries of the table, so the binary search reaches both ends. */
    AFF_CHECK_INT(exponent_of("AED"), 2);
    AFF_CHECK_INT(exponent_of("ZWG"), 2);
}

AFF_TEST(money_currency_table_complete)
{
    /* A sample of active codes across the alphabet: every one must resolve. */
    static const char *const codes[] = {"AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "HKD", "HUF",
                                        "IDR", "ILS", "INR", "ISK", "MXN", "NOK", "NZD", "PLN", "RON",
                                        "SEK", "SGD", "THB", "TRY", "TWD", "UAH", "VND", "XAF", "XOF",
                                        "ZAR", "OMR", "JOD", "TND", "IQD", "LYD", "CLP", "PYG", "UGX"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        int e = -1;
        if (aff_currency_exponent(codes[i], &e) != AFF_OK)
            aff_test_fail(__FILE__, __LINE__, "currency %s not found", codes[i]);
    }
}

AFF_TEST(money_currency_rejects_unknown)
{
    AFF_CHECK_INT(exponent_of("XXX"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("XAU"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("usd"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("Usd"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("US"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("USDX"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of(""), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("AAA"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of("ZZZ"), AFF_EINVAL);
    AFF_CHECK_INT(exponent_of(NULL), AFF_EINVAL);
}

AFF_TEST(money_parse_valid)
{
    int64_t v = -1;
    AFF_CHECK_INT(parse("49.90", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 4990);
    AFF_CHECK_INT(parse("49.9", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 4990);
    AFF_CHECK_INT(parse("49", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 4900);
    AFF_CHECK_INT(parse("0.05", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 5);
    AFF_CHECK_INT(parse("0", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 0);
    AFF_CHECK_INT(parse("1500", 0, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1500);
    AFF_CHECK_INT(parse("1.234", 3, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1234);
    AFF_CHECK_INT(parse("1.2", 3, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1200);
    AFF_CHECK_INT(parse("-12.34", 2, 1, &v), AFF_OK);
    AFF_CHECK_INT(v, -1234);
}

AFF_TEST(money_parse_reads_only_len_bytes)
{
    int64_t v = -1;
    AFF_CHECK_INT(aff_money_parse("12.34xyz", 5, 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1234);
    AFF_CHECK_INT(aff_money_parse("12.34", 2, 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1200);
}

AFF_TEST(money_parse_rejects_malformed)
{
    static const char *const bad[] = {"",  ".5",    "5.",  "1,000", "1e3",  " 1",  "1 ",  "+1",
                                      "-", "1.2.3", "abc", "0x10",  "1..2", "-.5", "--1", "1-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = 777;
        int rc = parse(bad[i], 2, 1, &v);
        if (rc != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "\"%s\" gave %d, want EINVAL", bad[i], rc);
        if (v != 777)
            aff_test_fail(__FILE__, __LINE__, "\"%s\" wrote *out on failure", bad[i]);
    }
    int64_t v;
    AFF_CHECK_INT(parse("-1", 2, 0, &v), AFF_EINVAL);
    AFF_CHECK_INT(parse("49.905", 2, 0, &v), AFF_EINVAL);
    AFF_CHECK_INT(parse("1500.5", 0, 0, &v), AFF_EINVAL);
    AFF_CHECK_INT(parse("1.2345", 3, 0, &v), AFF_EINVAL);
    AFF_CHECK_INT(aff_money_parse("1\0"
                                  "2",
                                  3, 2, 0, &v),
                  AFF_EINVAL);
}

AFF_TEST(money_parse_range)
{
    int64_t v = 0;
    /* 10^13 dollars = 10^15 cents: exactly the limit, accepted. */
    AFF_CHECK_INT(parse("10000000000000", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 1000000000000000LL);
    AFF_CHECK_INT(parse("-10000000000000.00", 2, 1, &v), AFF_OK);
    AFF_CHECK_INT(v, -1000000000000000LL);
    AFF_CHECK_INT(parse("10000000000000.01", 2, 0, &v), AFF_ERANGE);
    AFF_CHECK_INT(parse("1000000000000001", 0, 0, &v), AFF_ERANGE);
    AFF_CHECK_INT(parse("99999999999999999999999999999999", 2, 0, &v), AFF_ERANGE);
    AFF_CHECK_INT(parse("-99999999999999999999", 0, 1, &v), AFF_ERANGE);
    /* Leading zeros do not count towards the magnitude. */
    AFF_CHECK_INT(parse("00000000000000000000001", 2, 0, &v), AFF_OK);
    AFF_CHECK_INT(v, 100);
}

static void check_format(int64_t minor, int exponent, const char *want)
{
    char buf[64];
    int n = aff_money_format(minor, exponent, buf, sizeof(buf));
    AFF_CHECK_INT(n, (long long)strlen(want));
    AFF_CHECK_STR(buf, want);
}

AFF_TEST(money_format_values)
{
    check_format(4990, 2, "49.90");
    check_format(-5, 2, "-0.05");
    check_format(5, 2, "0.05");
    check_format(0, 2, "0.00");
    check_format(100, 0, "100");
    check_format(0, 0, "0");
    check_format(-7, 0, "-7");
    check_format(1234, 3, "1.234");
    check_format(-1, 3, "-0.001");
    check_format(1000000000000000LL, 2, "10000000000000.00");
    check_format(INT64_MIN, 2, "-92233720368547758.08");
    check_format(INT64_MAX, 0, "9223372036854775807");
}

AFF_TEST(money_format_round_trips)
{
    static const int64_t values[] = {
        0, 1, -1, 5, -5, 99, -99, 100, 4990, -4990, 123456789, -123456789, 1000000000000000LL, -1000000000000000LL};
    static const int exponents[] = {0, 2, 3};
    for (size_t e = 0; e < sizeof(exponents) / sizeof(exponents[0]); e++) {
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
            char buf[64];
            int n = aff_money_format(values[i], exponents[e], buf, sizeof(buf));
            AFF_CHECK(n > 0);
            int64_t back = 0;
            AFF_CHECK_INT(aff_money_parse(buf, (size_t)n, exponents[e], 1, &back), AFF_OK);
            AFF_CHECK_INT(back, values[i]);
        }
    }
}

AFF_TEST(money_format_toobig)
{
    char buf[6];
    AFF_CHECK_INT(aff_money_format(4990, 2, buf, 5), AFF_ETOOBIG); /* "49.90" needs 6 */
    AFF_CHECK_INT(aff_money_format(4990, 2, buf, 6), 5);
    AFF_CHECK_STR(buf, "49.90");
    AFF_CHECK_INT(aff_money_format(1, 0, buf, 0), AFF_ETOOBIG);
}

AFF_TEST(money_rate_parse)
{
    int64_t r = -1;
    AFF_CHECK_INT(parse_rate("10", &r), AFF_OK);
    AFF_CHECK_INT(r, 10000000);
    AFF_CHECK_INT(parse_rate("12.5", &r), AFF_OK);
    AFF_CHECK_INT(r, 12500000);
    AFF_CHECK_INT(parse_rate("0.25", &r), AFF_OK);
    AFF_CHECK_INT(r, 250000);
    AFF_CHECK_INT(parse_rate("0.000001", &r), AFF_OK);
    AFF_CHECK_INT(r, 1);
    AFF_CHECK_INT(parse_rate("0", &r), AFF_OK);
    AFF_CHECK_INT(r, 0);
    AFF_CHECK_INT(parse_rate("100", &r), AFF_OK);
    AFF_CHECK_INT(r, 100000000);
    AFF_CHECK_INT(parse_rate("100.000000", &r), AFF_OK);
    AFF_CHECK_INT(r, 100000000);
    AFF_CHECK_INT(parse_rate("100.1", &r), AFF_ERANGE);
    AFF_CHECK_INT(parse_rate("100.000001", &r), AFF_ERANGE);
    AFF_CHECK_INT(parse_rate("1000", &r), AFF_ERANGE);
    AFF_CHECK_INT(parse_rate("99999999999999999999999", &r), AFF_ERANGE);
    AFF_CHECK_INT(parse_rate("abc", &r), AFF_EINVAL);
    AFF_CHECK_INT(parse_rate("1.0000001", &r), AFF_EINVAL);
    AFF_CHECK_INT(parse_rate("-1", &r), AFF_EINVAL);
    AFF_CHECK_INT(parse_rate("", &r), AFF_EINVAL);
    AFF_CHECK_INT(parse_rate("10%", &r), AFF_EINVAL);
    AFF_CHECK_INT(parse_rate(".5", &r), AFF_EINVAL);
}

static void check_rate_format(int64_t micro, const char *want)
{
    char buf[32];
    int n = aff_rate_format(micro, buf, sizeof(buf));
    AFF_CHECK_INT(n, (long long)strlen(want));
    AFF_CHECK_STR(buf, want);
}

AFF_TEST(money_rate_format)
{
    check_rate_format(12500000, "12.5");
    check_rate_format(10000000, "10");
    check_rate_format(100000000, "100");
    check_rate_format(1, "0.000001");
    check_rate_format(250000, "0.25");
    check_rate_format(0, "0");
    check_rate_format(33333333, "33.333333");
    char buf[4];
    AFF_CHECK_INT(aff_rate_format(12500000, buf, sizeof(buf)), AFF_ETOOBIG); /* "12.5" needs 5 */
}

static int64_t muldiv(int64_t a, int64_t b, int64_t d)
{
    int64_t out = 0x5a5a5a5a;
    int rc = aff_muldiv_round(a, b, d, &out);
    if (rc != AFF_OK)
        aff_test_fail(__FILE__, __LINE__, "muldiv(%lld,%lld,%lld) rc %d", (long long)a, (long long)b, (long long)d, rc);
    return out;
}

AFF_TEST(money_muldiv_round_half_away_from_zero)
{
    AFF_CHECK_INT(muldiv(5, 1, 2), 3);
    AFF_CHECK_INT(muldiv(-5, 1, 2), -3);
    AFF_CHECK_INT(muldiv(5, -1, 2), -3);
    AFF_CHECK_INT(muldiv(-5, -1, 2), 3);
    AFF_CHECK_INT(muldiv(4, 1, 3), 1);
    AFF_CHECK_INT(muldiv(-4, 1, 3), -1);
    AFF_CHECK_INT(muldiv(5, 1, 3), 2);
    AFF_CHECK_INT(muldiv(-5, 1, 3), -2);
    AFF_CHECK_INT(muldiv(3, 1, 2), 2);
    AFF_CHECK_INT(muldiv(1, 1, 2), 1);
    AFF_CHECK_INT(muldiv(-1, 1, 2), -1);
    AFF_CHECK_INT(muldiv(1, 1, 3), 0);
    AFF_CHECK_INT(muldiv(0, 7, 3), 0);
    AFF_CHECK_INT(muldiv(6, 1, 3), 2);
    AFF_CHECK_INT(muldiv(-6, 1, 3), -2);
}

AFF_TEST(money_muldiv_big_operands)
{
    /* 10^15 * 10^8 = 10^23 overflows int64 but not the 128-bit product. */
    AFF_CHECK_INT(muldiv(1000000000000000LL, 100000000LL, 100000000LL), 1000000000000000LL);
    AFF_CHECK_INT(muldiv(-1000000000000000LL, 100000000LL, 100000000LL), -1000000000000000LL);
    AFF_CHECK_INT(muldiv(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
    AFF_CHECK_INT(muldiv(INT64_MIN, 1, 1), INT64_MIN);
    /* 10^15 * 3 / 7 = 428571428571428.57... -> 428571428571429 */
    AFF_CHECK_INT(muldiv(1000000000000000LL, 3, 7), 428571428571429LL);

    int64_t out = 42;
    AFF_CHECK_INT(aff_muldiv_round(INT64_MAX, 2, 1, &out), AFF_ERANGE);
    AFF_CHECK_INT(aff_muldiv_round(INT64_MIN, -1, 1, &out), AFF_ERANGE);
    AFF_CHECK_INT(out, 42);
    AFF_CHECK_INT(aff_muldiv_round(1, 1, 0, &out), AFF_EINVAL);
    AFF_CHECK_INT(aff_muldiv_round(1, 1, -2, &out), AFF_EINVAL);
}

static int64_t apply(int64_t amount, const char *rate)
{
    int64_t micro = 0, out = 0x5a5a5a5a;
    AFF_CHECK_INT(parse_rate(rate, &micro), AFF_OK);
    AFF_CHECK_INT(aff_money_apply_rate(amount, micro, &out), AFF_OK);
    return out;
}

AFF_TEST(money_apply_rate)
{
    AFF_CHECK_INT(apply(4990, "10"), 499);
    AFF_CHECK_INT(apply(1, "12.5"), 0); /* 0.125 */
    AFF_CHECK_INT(apply(1, "50"), 1);   /* 0.5 rounds away from zero */
    AFF_CHECK_INT(apply(-1, "50"), -1); /* a refund rounds the same way, mirrored */
    AFF_CHECK_INT(apply(100, "33.333333"), 33);
    AFF_CHECK_INT(apply(4990, "100"), 4990);
    AFF_CHECK_INT(apply(4990, "0"), 0);
    AFF_CHECK_INT(apply(3, "50"), 2);          /* 1.5 */
    AFF_CHECK_INT(apply(-4990, "12.5"), -624); /* -623.75 */
    AFF_CHECK_INT(apply(1000000000000000LL, "0.000001"), 10000000LL);
}
