/* test_report.c - unit tests for src/track/report.c: group_by parsing and the cr / epc /
 * aov formulas (half away from zero, 0 for a zero divisor). Expected values by hand. */
#include <stddef.h>

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
#define EXPECT_GROUP(s, n, ...)                        \
    do {                                               \
        const unsigned want_[] = {__VA_ARGS__};        \
        expect_group(__FILE__, __LINE__, s, n, want_); \
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
    EXPECT_GROUP("sub1", 1, AFF_GROUP_SUB1);
    EXPECT_GROUP("affiliate,sub1,day,program", 4, AFF_GROUP_AFFILIATE, AFF_GROUP_SUB1, AFF_GROUP_DAY,
                 AFF_GROUP_PROGRAM);
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
    EXPECT_BAD_GROUP("sub2");
    EXPECT_BAD_GROUP("sub1,link"); /* the sub-ID rollup has no link */
    EXPECT_BAD_GROUP("link,day,sub1");
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
    AFF_CHECK_INT(metrics(8, 1, 0, 0).cr_micro, 125000);  /* 1/8 = 0.125 */
    AFF_CHECK_INT(metrics(3, 1, 0, 0).cr_micro, 333333);  /* 0.3333333 */
    AFF_CHECK_INT(metrics(3, 2, 0, 0).cr_micro, 666667);  /* 0.6666667 rounds up */
    AFF_CHECK_INT(metrics(2000000, 1, 0, 0).cr_micro, 1); /* 0.5 micro: half away from zero */
    AFF_CHECK_INT(metrics(2000001, 1, 0, 0).cr_micro, 0); /* just under half */
    AFF_CHECK_INT(metrics(2, 3, 0, 0).cr_micro, 1500000); /* more conversions than clicks */
    AFF_CHECK_INT(metrics(10, 10, 0, 0).cr_micro, 1000000);
    AFF_CHECK_INT(metrics(0, 5, 0, 0).cr_micro, 0); /* no clicks */
    AFF_CHECK_INT(metrics(7, 0, 0, 0).cr_micro, 0);
}

AFF_TEST(report_compute_epc_and_aov)
{
    aff_report_metrics m = metrics(3, 2, 9981, 1000);
    AFF_CHECK_INT(m.epc_minor, 333);  /* 1000/3 = 333.33 */
    AFF_CHECK_INT(m.aov_minor, 4991); /* 9981/2 = 4990.5 -> 4991 */
    m = metrics(3, 3, 1000, 500);
    AFF_CHECK_INT(m.epc_minor, 167); /* 166.67 */
    AFF_CHECK_INT(m.aov_minor, 333); /* 333.33 */
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
    aff_rollup_delta a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    aff_rollup_delta b = {10, 20, 30, 40, 50, 60, 70, -80, 90, -100};
    aff_report_add(&a, &b);
    AFF_CHECK_INT(a.clicks, 11);
    AFF_CHECK_INT(a.unique_clicks, 22);
    AFF_CHECK_INT(a.bot_clicks, 33);
    AFF_CHECK_INT(a.rejected_clicks, 44);
    AFF_CHECK_INT(a.conversions, 55);
    AFF_CHECK_INT(a.revenue_minor, 66);
    AFF_CHECK_INT(a.commission_minor, 77);
    AFF_CHECK_INT(a.refunds_minor, -72);
    AFF_CHECK_INT(a.overrides_minor, 99);
    AFF_CHECK_INT(a.override_income_minor, -90);
}

AFF_TEST(report_dim_columns)
{
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_DAY), "day");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_PROGRAM), "program_id");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_AFFILIATE), "affiliate_id");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_LINK), "link_id");
    AFF_CHECK_STR(aff_report_dim_column(AFF_GROUP_SUB1), "sub1");
}

/* ROI of revenue, refunds and commission: has_roi and roi_e4 (1/10,000ths). */
static aff_report_metrics roi(int64_t revenue, int64_t refunds, int64_t commission)
{
    aff_rollup_delta m;
    memset(&m, 0, sizeof(m));
    m.revenue_minor = revenue;
    m.refunds_minor = refunds;
    m.commission_minor = commission;
    aff_report_metrics out;
    memset(&out, 0x55, sizeof(out));
    aff_report_compute(&m, &out);
    return out;
}

AFF_TEST(report_roi_is_net_sales_over_commission)
{
    /* 100.00 of sales paying 10.00: (10000 - 1000) / 1000 = 9 */
    AFF_CHECK_INT(roi(10000, 0, 1000).has_roi, 1);
    AFF_CHECK_INT(roi(10000, 0, 1000).roi_e4, 90000);
    /* break-even and below: a flat commission above the sale */
    AFF_CHECK_INT(roi(1000, 0, 1000).roi_e4, 0);
    AFF_CHECK_INT(roi(1000, 0, 2000).roi_e4, -5000); /* -0.5 */
    AFF_CHECK_INT(roi(0, 0, 200).roi_e4, -10000);    /* a lead: all cost, -1 */
    AFF_CHECK_INT(roi(0, 0, 200).has_roi, 1);
}

AFF_TEST(report_roi_after_refunds_can_be_negative)
{
    /* 100.00 sold, 95.00 refunded in the period, commission 10.00 less a 5.00 reversal:
     * (10000 - 9500 - 500) / 500 = 0 */
    AFF_CHECK_INT(roi(10000, 9500, 500).roi_e4, 0);
    /* refunds of earlier sales land in a period with few sales: (1000 - 9000 - 100) / 100 */
    AFF_CHECK_INT(roi(1000, 9000, 100).has_roi, 1);
    AFF_CHECK_INT(roi(1000, 9000, 100).roi_e4, -810000); /* -81 */
}

AFF_TEST(report_roi_null_without_commission)
{
    /* nothing paid: no ratio (never infinity, never a division by zero) */
    AFF_CHECK_INT(roi(10000, 0, 0).has_roi, 0);
    AFF_CHECK_INT(roi(0, 0, 0).has_roi, 0);
    /* reversals outweigh the period's commission: a ratio over a negative cost is
     * meaningless, so none */
    AFF_CHECK_INT(roi(0, 5000, -500).has_roi, 0);
    AFF_CHECK_INT(roi(0, 5000, -500).roi_e4, 0);
}

AFF_TEST(report_roi_rounds_half_away_from_zero)
{
    AFF_CHECK_INT(roi(4, 0, 3).roi_e4, 3333);       /* 1/3 = 0.33333 */
    AFF_CHECK_INT(roi(5, 0, 3).roi_e4, 6667);       /* 2/3 = 0.66667 rounds up */
    AFF_CHECK_INT(roi(1, 0, 3).roi_e4, -6667);      /* -2/3 rounds away from zero */
    AFF_CHECK_INT(roi(20001, 0, 20000).roi_e4, 1);  /* 0.00005 -> 0.0001 */
    AFF_CHECK_INT(roi(19999, 0, 20000).roi_e4, -1); /* -0.00005 -> -0.0001 */
    AFF_CHECK_INT(roi(40001, 0, 40000).roi_e4, 0);  /* 0.000025 -> 0 */
    /* large sums do not overflow: 10^15 minor units of sales on 10^12 of commission */
    AFF_CHECK_INT(roi(1000000000000000LL, 0, 1000000000000LL).roi_e4, 9990000);
}

AFF_TEST(report_sort_names_counters)
{
    size_t off = 999;
    aff_errinfo e;
    memset(&e, 0, sizeof(e));
    AFF_CHECK_INT(aff_report_parse_sort("commission_minor", 0, &off, &e), AFF_OK);
    AFF_CHECK_INT((int64_t)off, (int64_t)offsetof(aff_rollup_delta, commission_minor));
    AFF_CHECK_INT(aff_report_parse_sort("clicks", 0, &off, &e), AFF_OK);
    AFF_CHECK_INT((int64_t)off, (int64_t)offsetof(aff_rollup_delta, clicks));
    AFF_CHECK_INT(aff_report_parse_sort("unique_clicks", 1, &off, &e), AFF_OK);
    AFF_CHECK_INT((int64_t)off, (int64_t)offsetof(aff_rollup_delta, unique_clicks));
    /* derived ratios and unknown names are refused, naming the field */
    AFF_CHECK_INT(aff_report_parse_sort("cr", 0, &off, &e), AFF_EINVAL);
    AFF_CHECK_STR(e.field, "sort");
    AFF_CHECK_INT(aff_report_parse_sort("", 0, &off, &e), AFF_EINVAL);
    AFF_CHECK_INT(aff_report_parse_sort("Clicks", 0, &off, &e), AFF_EINVAL);
    /* the sub-affiliate columns: overrides_minor is the brand's (admin) only */
    AFF_CHECK_INT(aff_report_parse_sort("overrides_minor", 0, &off, &e), AFF_OK);
    AFF_CHECK_INT((int64_t)off, (int64_t)offsetof(aff_rollup_delta, overrides_minor));
    AFF_CHECK_INT(aff_report_parse_sort("overrides_minor", 1, &off, &e), AFF_EINVAL);
    AFF_CHECK_STR(e.field, "sort");
    AFF_CHECK(strstr(e.msg, "overrides_minor") == NULL); /* not offered to an affiliate */
    AFF_CHECK_INT(aff_report_parse_sort("override_income_minor", 1, &off, &e), AFF_OK);
    AFF_CHECK_INT((int64_t)off, (int64_t)offsetof(aff_rollup_delta, override_income_minor));
}

/* An affiliate's own view: its commission without what its parents earn on it; its own
 * income as a parent kept; sums of views are views of sums (totals stay consistent). */
AFF_TEST(report_own_view_leaves_out_the_parents_overrides)
{
    aff_rollup_delta m = {.clicks = 4,
                          .conversions = 1,
                          .revenue_minor = 3330,
                          .commission_minor = 383,
                          .overrides_minor = 50,
                          .override_income_minor = 7};
    aff_report_own_view(&m);
    AFF_CHECK_INT(m.commission_minor, 333);
    AFF_CHECK_INT(m.overrides_minor, 0);
    AFF_CHECK_INT(m.override_income_minor, 7);
    AFF_CHECK_INT(m.revenue_minor, 3330);
    aff_report_metrics x;
    aff_report_compute(&m, &x);
    AFF_CHECK_INT(x.epc_minor, 83); /* 333 / 4 = 83.25, not 383 / 4 = 95.75 */
    /* a refund day: -(167 + 17 + 9) of which -26 were the parents' */
    aff_rollup_delta a = {.commission_minor = 383, .overrides_minor = 50},
                     b = {.commission_minor = -193, .overrides_minor = -26}, sum = a;
    aff_report_add(&sum, &b);
    aff_report_own_view(&a);
    aff_report_own_view(&b);
    aff_report_own_view(&sum);
    AFF_CHECK_INT(sum.commission_minor, a.commission_minor + b.commission_minor);
    AFF_CHECK_INT(sum.commission_minor, 333 - 167);
    /* a parent-only row (income, no traffic of its own) */
    aff_rollup_delta parent = {.override_income_minor = 33};
    aff_report_own_view(&parent);
    AFF_CHECK_INT(parent.commission_minor, 0);
    AFF_CHECK_INT(parent.override_income_minor, 33);
}
