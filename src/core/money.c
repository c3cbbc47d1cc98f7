/*
 * money.c - exact money arithmetic in int64 minor units (see money.h).
 *
 * Owns: the ISO-4217 exponent table, the decimal parser shared by amounts and rates,
 * the formatter, and the project's single rounding rule (half away from zero).
 * Does not own: currency choice per program, commission rules.
 * Invariants: no floating point; every product is taken in __int128 before a division;
 * a parsed magnitude never exceeds its cap (AFF_MONEY_MAX_MINOR or 100 %).
 */
#include "core/money.h"

#include <string.h>

#include "core/err.h"

/* Largest exponent parse/format accept: 10^18 still fits in int64. */
#define MONEY_MAX_EXPONENT 18

typedef struct currency {
    char code[4];
    unsigned char exponent;
} currency;

/* Active ISO-4217 codes with their minor-unit exponents, sorted by code for bsearch.
 * Codes whose minor unit is "N.A." (XXX, XAU, XDR, ...) are deliberately absent. */
static const currency currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
    {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2},
    {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
    {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2},
    {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2},
    {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2},
    {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2},
    {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2},
    {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
    {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2},
    {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3},
    {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2},
    {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2},
    {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2},
    {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2},
    {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0},
    {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

static int is_upper_code(const char *code)
{
    for (int i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return 0;
    return code[3] == '\0';
}

int aff_currency_exponent(const char *code, int *exponent)
{
    if (code == NULL || exponent == NULL || !is_upper_code(code))
        return AFF_EINVAL;
    size_t lo = 0, hi = sizeof(currencies) / sizeof(currencies[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(code, currencies[mid].code, 3);
        if (c == 0) {
            *exponent = currencies[mid].exponent;
            return AFF_OK;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return AFF_EINVAL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parse "[-]D+[.D+]" with at most max_frac fraction digits into an integer scaled by
 * 10^max_frac. AFF_EINVAL on any syntax error (checked first, over the whole input),
 * AFF_ERANGE when the magnitude exceeds cap. cap must be <= 10^17 so that
 * acc * 10 + 9 cannot overflow while acc <= cap. */
static int parse_scaled_decimal(const char *s, size_t len, int max_frac, int allow_negative, int64_t cap, int64_t *out)
{
    if (s == NULL || out == NULL || len == 0)
        return AFF_EINVAL;
    size_t i = 0;
    int negative = 0;
    if (s[0] == '-') {
        if (!allow_negative)
            return AFF_EINVAL;
        negative = 1;
        i = 1;
    }
    size_t int_start = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_end = i;
    if (int_end == int_start)
        return AFF_EINVAL;
    size_t frac_start = i, frac_end = i;
    if (i < len) {
        if (s[i] != '.')
            return AFF_EINVAL;
        frac_start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        frac_end = i;
        if (frac_end == frac_start || i != len)
            return AFF_EINVAL;
    }
    size_t nfrac = frac_end - frac_start;
    if (nfrac > (size_t)max_frac)
        return AFF_EINVAL;

    int64_t acc = 0;
    for (size_t k = int_start; k < int_end; k++) {
        acc = acc * 10 + (s[k] - '0');
        if (acc > cap)
            return AFF_ERANGE;
    }
    for (size_t k = frac_start; k < frac_end; k++) {
        acc = acc * 10 + (s[k] - '0');
        if (acc > cap)
            return AFF_ERANGE;
    }
    for (size_t k = nfrac; k < (size_t)max_frac; k++) {
        acc *= 10;
        if (acc > cap)
            return AFF_ERANGE;
    }
    *out = negative ? -acc : acc;
    return AFF_OK;
}

int aff_money_parse(const char *s, size_t len, int exponent, int allow_negative, int64_t *out)
{
    if (exponent < 0 || exponent > MONEY_MAX_EXPONENT)
        return AFF_EINVAL;
    return parse_scaled_decimal(s, len, exponent, allow_negative, AFF_MONEY_MAX_MINOR, out);
}

int aff_money_format(int64_t minor, int exponent, char *buf, size_t cap)
{
    if (buf == NULL || exponent < 0 || exponent > MONEY_MAX_EXPONENT)
        return AFF_EINVAL;
    /* Digits are produced right to left; 20 digits + point + sign + NUL always fit. */
    char tmp[48];
    size_t pos = sizeof(tmp);
    tmp[--pos] = '\0';
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    int ndigits = 0;
    do {
        if (ndigits == exponent && exponent > 0)
            tmp[--pos] = '.';
        tmp[--pos] = (char)('0' + mag % 10);
        mag /= 10;
        ndigits++;
    } while (mag != 0 || ndigits <= exponent);
    if (minor < 0)
        tmp[--pos] = '-';
    size_t n = sizeof(tmp) - pos; /* includes the NUL */
    if (n > cap)
        return AFF_ETOOBIG;
    memcpy(buf, tmp + pos, n);
    return (int)(n - 1);
}

int aff_rate_parse(const char *s, size_t len, int64_t *out_micro_percent)
{
    return parse_scaled_decimal(s, len, 6, 0, AFF_RATE_ONE_HUNDRED, out_micro_percent);
}

int aff_rate_format(int64_t micro_percent, char *buf, size_t cap)
{
    char tmp[48];
    int n = aff_money_format(micro_percent, 6, tmp, sizeof(tmp));
    if (n < 0)
        return n;
    while (tmp[n - 1] == '0')
        n--;
    if (tmp[n - 1] == '.')
        n--;
    tmp[n] = '\0';
    if (buf == NULL)
        return AFF_EINVAL;
    if ((size_t)n + 1 > cap)
        return AFF_ETOOBIG;
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int aff_muldiv_round(int64_t a, int64_t b, int64_t d, int64_t *out)
{
    if (d <= 0 || out == NULL)
        return AFF_EINVAL;
    __int128 p = (__int128)a * b;
    __int128 q = p / d;
    __int128 r = p % d; /* same sign as p, |r| < d */
    __int128 r2 = r < 0 ? -r : r;
    if (2 * r2 >= d)
        q += p < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN)
        return AFF_ERANGE;
    *out = (int64_t)q;
    return AFF_OK;
}

int aff_money_apply_rate(int64_t amount_minor, int64_t micro_percent, int64_t *out)
{
    return aff_muldiv_round(amount_minor, micro_percent, AFF_RATE_ONE_HUNDRED, out);
}
