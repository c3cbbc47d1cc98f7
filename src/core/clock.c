/* clock.c - time in Unix milliseconds; see clock.h. Civil-date conversion is done with
 * integer arithmetic (days from civil), so no timezone or locale state is touched. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"

static _Atomic int64_t fake_ms;

int64_t aff_clock_now_ms(void)
{
    int64_t f = atomic_load_explicit(&fake_ms, memory_order_relaxed);
    if (f != 0)
        return f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void aff_clock_set_fake(int64_t ms)
{
    atomic_store(&fake_ms, ms);
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms (public domain math). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Write v as exactly width decimal digits (v < 10^width). */
static void digits(char *out, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

/* By hand rather than snprintf: it is on the path of every conversion answer. */
int aff_clock_format_iso(int64_t ms, char *buf, size_t cap)
{
    int64_t days = floor_div(ms, AFF_MS_PER_DAY);
    int64_t rem = ms - days * AFF_MS_PER_DAY;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        int n = snprintf(buf, cap, "%d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, (int)(rem / 3600000),
                         (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
        return n < 0 || (size_t)n >= cap ? AFF_ETOOBIG : n;
    }
    if (cap < 25)
        return AFF_ETOOBIG;
    digits(buf, (unsigned)y, 4);
    buf[4] = '-';
    digits(buf + 5, m, 2);
    buf[7] = '-';
    digits(buf + 8, d, 2);
    buf[10] = 'T';
    digits(buf + 11, (unsigned)(rem / 3600000), 2);
    buf[13] = ':';
    digits(buf + 14, (unsigned)(rem / 60000 % 60), 2);
    buf[16] = ':';
    digits(buf + 17, (unsigned)(rem / 1000 % 60), 2);
    buf[19] = '.';
    digits(buf + 20, (unsigned)(rem % 1000), 3);
    buf[23] = 'Z';
    buf[24] = '\0';
    return 24;
}

int aff_clock_format_day(int64_t ms, char *buf, size_t cap)
{
    int y;
    unsigned m, d;
    civil_from_days(floor_div(ms, AFF_MS_PER_DAY), &y, &m, &d);
    int n = snprintf(buf, cap, "%04d-%02u-%02u", y, m, d);
    return n < 0 || (size_t)n >= cap ? AFF_ETOOBIG : n;
}

int aff_clock_parse_day(const char *s, size_t len, int64_t *out_ms)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return AFF_EINVAL;
    unsigned v[8];
    const int pos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++) {
        char c = s[pos[i]];
        if (c < '0' || c > '9')
            return AFF_EINVAL;
        v[i] = (unsigned)(c - '0');
    }
    unsigned y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return AFF_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return AFF_EINVAL;
    *out_ms = days_from_civil(y, m, d) * AFF_MS_PER_DAY;
    return 0;
}
