/* test_report.c - unit tests for src/track/report.c: group_by parsing and the cr / epc /
 * aov formulas (half away from zero, 0 for a zero divisor). Expected values by hand. */
#include "core/err.h"
#include "track/report.h"
#include "../test.h"

static int parse_group(const char *s, aff_report_dims *d, aff_errinfo *e)
{
    memset(d, 0xff, sizeof(*d));
    memset(e, 0, sizeof(*e));
    return aff_report_parse_group(s, strlen(s), d, e);
}

static void expect_group(const char *file, int line, const char *s, int n, const unsigned *dims)
{
    aff_report_dims d;
    aff_errinfo e;
    int rc = parse_group(s, &d, &e);
    if (rc != AFF_OK) {
        aff_test_fail(file, line, "group_by \"%s\": rc %d (%s)", s, rc, e.msg);
        return;
    }
    if (d.n != n) {
        aff_test_fail(file, line, "group_by \"%s\": %d dims, want %d", s, d.n, n);
        return;
    }
    for (int i = 0; i < n; i++)
        if (d.dim[i] != dims[i])
            aff_test_fail(file, line, "group_by \"%s\": dim %d is %u, want %u", s, i, d.dim[i], dims[i]);
}
#define EXPECT_GROUP(s, n, ...)                                                                                    \
    do {                                                                                                            \
        const unsigned want_[] = {__VA_ARGS__};                                                                     \
        expect_group(__FILE__, __LINE__, s, n, want_);                                                              \
    } while (0)

static void expect_bad_group(const char *file, int line, const char *s)
{
    aff_report_dims d;
    aff_errinfo e;
    int rc = parse_group(s, &d, &e);
    if (rc != AFF_EINVAL)
        aff_test_fail(file, line, "group_by \"%s\": rc %d, want AFF_EINVAL", s, rc);
    else if (e.field == NULL || strcmp(e.field, "group_by") != 0)
        aff_test_fail(file, line, "group_by \"%s\": field %s, want group_by", s, e.field ? e.field : "(null)");
}
#define EXPECT_BAD_GROUP(s) expect_bad_group(__FILE__, __LINE__, s)

AFF_TEST(report_group_valid)
{
    EXPECT_GROUP("day", 1, AFF_GROUP_DAY);
    EXPECT_GROUP("program", 1, AFF_GROUP_PROGRAM);
    EXPECT_GROUP("affiliate", 1, AFF_GROUP_AFFILIATE);
    EXPECT_GROUP("link", 1, AFF_GROUP_LINK);
    EXPECT_GROUP("day,program,affiliate,link", 4, AFF_GROUP_DAY, AFF_GROUP_PROGRAM, AFF_GROUP_AFFILIATE,
                 AFF_GROUP_LINK);
    /* order is kept as asked */
    EXPECT_GROUP("link,day", 2, AFF_GROUP_LINK, AFF_GROUP_DAY);
    EXPECT_GROUP("affiliate,link,program,day", 4, AFF_GROUP_AFFILIATE, AFF_GROUP_LINK, AFF_GROUP_PROGRAM,
                 AFF_GROUP_DAY);
    EXPECT_GROUP("program,affiliate", 2, AFF_GROUP_PROGRAM, AFF_GROUP_AFFILIATE);
}

AFF_TEST(report_group_empty_is_totals)
{
    aff_report_dims d;
    aff_errinfo e;
    AFF_CHECK_INT(parse_group("", &d, &e), AFF_OK);
    AFF_CHECK_INT(d.n, 0);
}

AFF_TEST(report_group_respects_len)
{
    /* Only len bytes are read: "day,program" cut after 3 bytes is "day". */
    aff_report_dims d;
    aff_errinfo e;
    memset(&e, 0, sizeof(e));
    AFF_CHECK_INT(aff_report_parse_group("day,program", 3, &d, &e), AFF_OK);
    AFF_CHECK_INT(d.n, 1);
    AFF_CHECK_INT(d.dim[0], AFF_GROUP_DAY);
    /* ...and "programme" cut after 7 is "program". */
    AFF_CHECK_INT(aff_report_parse_group("programme", 7, &d, &e), AFF_OK);
    AFF_CHECK_INT(d.n, 1);
    AFF_CHECK_INT(d.dim[0], AFF_GROUP_PROGRAM);
}

AFF_TEST(report_group_invalid)
{
    EXPECT_BAD_GROUP("day,day");
    EXPECT_BAD_GROUP("program,link,program");
    EXPECT_BAD_GROUP("week");
    EXPECT_BAD_GROUP("Day");
    EXPECT_BAD_GROUP("days");
    EXPECT_BAD_GROUP("da");
    EXPECT_BAD_GROUP("program_id");
    EXPECT_BAD_GROUP("sub1");
    EXPECT_BAD_GROUP("day,");
    EXPECT_BAD_GROUP("day,link,");
    EXPECT_BAD_GROUP(",day");
    EXPECT_BAD_GROUP(",");
    EXPECT_BAD_GROUP("day,,link");
    EXPECT_BAD_GROUP("day, link");
    EXPECT_BAD_GROUP(" day");
    EXPECT_BAD_GROUP("day,program,affiliate,link,day");
}

static aff_report_metrics metrics(int64_t clicks, int64_t conversions, int64_t revenue, int64_t commission)
{
    aff_rollup_delta m;
    memset(&m, 0, sizeof(m));
    m.clicks = clicks;
    m.conversions = conversions;
    m.revenue_minor = revenue;
    m.commission_minor = commission;
    aff_report_metrics out;
    memset(&out, 0x55, sizeof(out));
    aff_report_compute(&m, &out);
    return out;
}

AFF_TEST(report_compute_cr)
{
    AFF_CHECK_INT(metrics(8, 1, 0, 0).cr_micro, 125000);      /* 1/8 = 0.125 */
    AFF_CHECK_INT(metrics(3, 1, 0, 0).cr_micro, 333333);      /* 0.3333333 */
    AFF_CHECK_INT(metrics(3, 2, 0, 0).cr_micro, 666667);      /* 0.6666667 rounds up */
    AFF_CHECK_INT(metrics(2000000, 1, 0, 0).cr_micro, 1);     /* 0.5 micro: half away from zero */
    AFF_CHECK_INT(metrics(2000001, 1, 0, 0).cr_micro, 0);     /* just under half */
    AFF_CHECK_INT(metrics(2, 3, 0, 0).cr_micro, 1500000);     /* more conversions than clicks */
    AFF_CHECK_INT(metrics(10, 10, 0, 0).cr_micro, 1000000);
    AFF_CHECK_INT(metrics(0, 5, 0, 0).cr_micro, 0);           /* no clicks */
    AFF_CHECK_INT(metrics(7, 0, 0, 0).cr_micro, 0);
}

AFF_TEST(report_compute_epc_and_aov)
{
    aff_report_metrics m = metrics(3, 2, 9981, 1000);
    AFF_CHECK_INT(m.epc_minor, 333);  /* 1000/3 = 333.33 */
    AFF_CHECK_INT(m.aov_minor, 4991); /* 9981/2 = 4990.5 -> 4991 */
    m = metrics(3, 3, 1000, 500);
    AFF_CHECK_INT(m.epc_minor, 167);  /* 166.67 */
    AFF_CHECK_INT(m.aov_minor, 333);  /* 333.33 */
    /* net commission can be negative after refunds: -5/2 = -2.5 -> -3 */
    m = metrics(2, 1, 100, -5);
    AFF_CHECK_INT(m.epc_minor, -3);
    /* zero divisors give 0 */
    m = metrics(0, 0, 4990, 499);
    AFF_CHECK_INT(m.cr_micro, 0);
    AFF_CHECK_INT(m.epc_minor, 0);
    AFF_CHECK_INT(m.aov_minor, 0);
    m = metrics(10, 0, 4990, 499);
    AFF_CHECK_INT(m.epc_minor, 50); /* 49.9 */
    AFF_CHECK_INT(m.aov_minor, 0);
}

AFF_TEST(report_add_sums_every_counter)
{
    aff_rollup_delta a = {1, 2, 3, 4, 5, 6, 7, 8};
    aff_rollup_delta b = {10, 20, 30, 40, 50, 60, 70, -80};
    aff_report_add(&a, &b);
    AFF_CHECK_INT(a.clicks, 11);
    AFF_CHECK_INT(a.unique_clicks, 22);
    AFF_CHECK_INT(a.bot_clicks, 33);
    AFF_CHECK_INT(a.rejected_clicks, 44);
    AFF_CHECK_INT(a.conversions, 55);
    AFF_CHECK_INT(a.revenue_minor, 66);
    AFF_CHECK_INT(a.commission_minor, 77);
    AFF_CHECK_INT(a.refunds_minor, -72);
}

AFF_TEST(report_dim_columns)
{
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_DAY), "day");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_PROGRAM), "program_id");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_AFFILIATE), "affiliate_id");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_LINK), "link_id");
}
