/* test_store_plans.c - unit tests for src/store/store_sqlite.c, part 3: every filter of
 * a list or report that has an index of its own is answered through that index. Each
 * case runs the real store call with one filter set, then reads the query plan of the
 * statement it ran (aff_store_sqlite_last_plan) and requires a search whose index
 * constraint names the filter's column ("affiliate_id=?"), no table scan and no sort.
 * The optional-filter form `(?4 = 0 OR affiliate_id = ?4)` fails this: its plan is a
 * walk of the table in key order that tests every row. */
#include "store_rows.h"

static int cb_any(void *ud, const void *row)
{
    (void)ud;
    (void)row;
    return 0;
}

static int sum_report_clicks(void *ud, const aff_report_row *row)
{
    *(int64_t *)ud += row->m.clicks;
    return 0;
}

static int cb_report_any(void *ud, const aff_report_row *row)
{
    (void)ud;
    (void)row;
    return 0;
}

/* The plan of the last statement must search by want ("col=?") and neither scan nor sort. */
static void expect_plan(const char *file, int line, aff_store *st, const char *what, const char *want)
{
    char plan[2048];
    int rc = aff_store_sqlite_last_plan(st, plan, sizeof(plan));
    if (rc != AFF_OK) {
        aff_test_fail(file, line, "%s: no plan (%d)", what, rc);
        return;
    }
    /* The click lists' hours come from a 24-row constant table: scanning it is fine. */
    char *h;
    while ((h = strstr(plan, "SCAN 24 CONSTANT ROWS")) != NULL || (h = strstr(plan, "SCAN h\n")) != NULL)
        memcpy(h, "scan", 4);
    if (strstr(plan, want) == NULL || strstr(plan, "SEARCH") == NULL || strstr(plan, "SCAN") != NULL ||
        strstr(plan, "TEMP B-TREE") != NULL)
        aff_test_fail(file, line, "%s: plan does not search by %s:\n%s", what, want, plan);
}
#define EXPECT_PLAN(st, what, want) expect_plan(__FILE__, __LINE__, st, what, want)

AFF_TEST(store_list_filters_use_their_index)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    /* Clicks of link 7 and affiliate 7 in the rollups: their clicks are read hour by hour. */
    aff_rollup_delta one = {.clicks = 1};
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 7, 7, 7, &one), AFF_OK);
    static const struct {
        const char *what;
        int (*list)(aff_store *, const aff_list_query *, int (*)(void *, const void *), void *);
        int field; /* 0 program, 1 affiliate, 2 link, 3 conversion */
        const char *want;
    } cases[] = {
        {"links by program", (void *)aff_store_link_list, 0, "(program_id=?"},
        {"links by affiliate", (void *)aff_store_link_list, 1, "(affiliate_id=?"},
        {"coupons by program", (void *)aff_store_coupon_list, 0, "(program_id=?"},
        {"coupons by affiliate", (void *)aff_store_coupon_list, 1, "(affiliate_id=?"},
        /* clicks: the daily rollups' index names the days, their hourly rows' keys the
         * hours, the click key's time prefix bounds each hour */
        {"clicks by affiliate", (void *)aff_store_click_list, 1, "stats_daily_affiliate (affiliate_id=?"},
        {"clicks by affiliate", (void *)aff_store_click_list, 1,
         "SEARCH d USING COVERING INDEX stats_daily_affiliate (affiliate_id=? AND day=?)"},
        {"clicks by affiliate", (void *)aff_store_click_list, 1,
         "SEARCH s USING PRIMARY KEY (hour=? AND program_id=? AND affiliate_id=? AND link_id=?)"},
        {"clicks by affiliate", (void *)aff_store_click_list, 1, "(click_id>? AND click_id<?)"},
        {"clicks by link", (void *)aff_store_click_list, 2, "stats_daily_link (link_id=?"},
        {"clicks by link", (void *)aff_store_click_list, 2,
         "SEARCH d USING COVERING INDEX stats_daily_link (link_id=? AND day=?)"},
        {"clicks by link", (void *)aff_store_click_list, 2,
         "SEARCH s USING PRIMARY KEY (hour=? AND program_id=? AND affiliate_id=? AND link_id=?)"},
        {"clicks by link", (void *)aff_store_click_list, 2, "(click_id>? AND click_id<?)"},
        {"conversions by program", (void *)aff_store_conversion_list, 0, "(program_id=?"},
        {"conversions by affiliate", (void *)aff_store_conversion_list, 1, "(affiliate_id=?"},
        {"ledger by program", (void *)aff_store_ledger_list, 0, "(program_id=?"},
        {"ledger by affiliate", (void *)aff_store_ledger_list, 1, "(affiliate_id=?"},
        {"ledger by conversion", (void *)aff_store_ledger_list, 3, "(conversion_id=?"},
        {"payouts by program", (void *)aff_store_payout_list, 0, "(program_id=?"},
        {"payouts by affiliate", (void *)aff_store_payout_list, 1, "(affiliate_id=?"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aff_list_query q = q_page(0, 100);
        int64_t *field[] = {&q.program_id, &q.affiliate_id, &q.link_id, &q.conversion_id};
        *field[cases[i].field] = 7;
        AFF_CHECK_INT(cases[i].list(ts.st, &q, cb_any, NULL), AFF_OK);
        EXPECT_PLAN(ts.st, cases[i].what, cases[i].want);
        /* With a status as well (tested row by row) the index must still lead. */
        q.status = "approved";
        AFF_CHECK_INT(cases[i].list(ts.st, &q, cb_any, NULL), AFF_OK);
        EXPECT_PLAN(ts.st, cases[i].what, cases[i].want);
    }
    aff_test_store_close(&ts);
}

AFF_TEST(store_report_filters_use_their_index)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    /* Whole days (all the API asks) read stats_daily; grouped and not. */
    static const struct {
        int64_t from, to;
        unsigned group;
    } shapes[] = {{H0, H0 + 24 * 30 - 1, 0},
                  {H0, H0 + 24 * 30 - 1, AFF_GROUP_DAY | AFF_GROUP_LINK},
                  {H0 + 24, H0 + 48 - 1, AFF_GROUP_DAY}};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        aff_report_query q = {
            .from_hour = shapes[i].from, .to_hour = shapes[i].to, .group_mask = shapes[i].group, .affiliate_id = 3};
        AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report_any, NULL), AFF_OK);
        char plan[2048];
        AFF_CHECK_INT(aff_store_sqlite_last_plan(ts.st, plan, sizeof(plan)), AFF_OK);
        if (strstr(plan, "(affiliate_id=?") == NULL || strstr(plan, "SCAN") != NULL)
            aff_test_fail(__FILE__, __LINE__, "report %zu by affiliate:\n%s", i, plan);
        q.affiliate_id = 0;
        q.link_id = 9;
        AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report_any, NULL), AFF_OK);
        AFF_CHECK_INT(aff_store_sqlite_last_plan(ts.st, plan, sizeof(plan)), AFF_OK);
        if (strstr(plan, "(link_id=?") == NULL || strstr(plan, "SCAN") != NULL)
            aff_test_fail(__FILE__, __LINE__, "report %zu by link:\n%s", i, plan);
    }
    aff_test_store_close(&ts);
}

/* The sub-ID rollup has no affiliate index: an affiliate's report seeks its rows day by
 * day by the primary key's prefix (day, affiliate_id), never scanning the table. */
AFF_TEST(store_sub_report_by_affiliate_seeks_each_day)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_rollup_delta one = {.clicks = 1};
    for (int64_t aff = 1; aff <= 3; aff++)
        for (int64_t day = 0; day < 3; day++)
            AFF_CHECK_INT(aff_store_rollup_sub_add(ts.st, H0 / 24 + day, 1, aff, aff == 2 ? "mine" : "other", &one),
                          AFF_OK);
    for (int program = 0; program < 2; program++) {
        aff_report_query q = {.from_hour = H0,
                              .to_hour = H0 + 24 * 30 - 1,
                              .group_mask = AFF_GROUP_SUB1 | AFF_GROUP_DAY,
                              .affiliate_id = 2,
                              .program_id = program};
        int64_t clicks = 0;
        AFF_CHECK_INT(aff_store_report(ts.st, &q, sum_report_clicks, &clicks), AFF_OK);
        AFF_CHECK_INT(clicks, 3);
        char plan[2048];
        AFF_CHECK_INT(aff_store_sqlite_last_plan(ts.st, plan, sizeof(plan)), AFF_OK);
        if (strstr(plan, "SEARCH stats_sub_daily USING PRIMARY KEY (day=? AND affiliate_id=?)") == NULL ||
            strstr(plan, "SCAN stats_sub_daily") != NULL)
            aff_test_fail(__FILE__, __LINE__, "sub-ID report by affiliate (program %d):\n%s", program, plan);
    }
    aff_test_store_close(&ts);
}

/* With several filters set, the most selective one leads: SQLite has no statistics and
 * would otherwise as soon take a program's index, which can hold every row. */
AFF_TEST(store_combined_filters_lead_with_the_most_selective)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_list_query q = q_page(0, 100);
    q.program_id = 1;
    q.affiliate_id = 2;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, (aff_link_cb)cb_any, NULL), AFF_OK);
    EXPECT_PLAN(ts.st, "links by program and affiliate", "link_affiliate (affiliate_id=?");
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, (aff_conversion_cb)cb_any, NULL), AFF_OK);
    EXPECT_PLAN(ts.st, "conversions by program and affiliate", "conversion_affiliate (affiliate_id=?");
    AFF_CHECK_INT(aff_store_payout_list(ts.st, &q, (aff_payout_cb)cb_any, NULL), AFF_OK);
    EXPECT_PLAN(ts.st, "payouts by program and affiliate", "payout_affiliate (affiliate_id=?");
    q.conversion_id = 3;
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, (aff_ledger_cb)cb_any, NULL), AFF_OK);
    EXPECT_PLAN(ts.st, "ledger by program, affiliate and conversion", "ledger_conversion (conversion_id=?");
    aff_report_query rq = {.from_hour = H0, .to_hour = H0 + 24 * 7 - 1, .program_id = 1, .affiliate_id = 2};
    char plan[2048];
    AFF_CHECK_INT(aff_store_report(ts.st, &rq, cb_report_any, NULL), AFF_OK);
    AFF_CHECK_INT(aff_store_sqlite_last_plan(ts.st, plan, sizeof(plan)), AFF_OK);
    if (strstr(plan, "stats_daily_affiliate (affiliate_id=?") == NULL)
        aff_test_fail(__FILE__, __LINE__, "report by program and affiliate:\n%s", plan);
    rq.link_id = 9;
    AFF_CHECK_INT(aff_store_report(ts.st, &rq, cb_report_any, NULL), AFF_OK);
    AFF_CHECK_INT(aff_store_sqlite_last_plan(ts.st, plan, sizeof(plan)), AFF_OK);
    if (strstr(plan, "stats_daily_link (link_id=?") == NULL)
        aff_test_fail(__FILE__, __LINE__, "report by program, affiliate and link:\n%s", plan);
    aff_test_store_close(&ts);
}

/* The same results whichever statement a combination of filters picks, and a filter of
 * one combination never leaks into the next call's cached statement. */
AFF_TEST(store_list_filter_combinations_answer_alike)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p1 = add_program(ts.st, "One", "tok-1", "{}"), p2 = add_program(ts.st, "Two", "tok-2", "{}");
    int64_t a1 = add_affiliate(ts.st, "ann", "approved", 0), a2 = add_affiliate(ts.st, "bob", "approved", 0);
    int64_t l[4];
    AFF_CHECK_INT(add_link_rc(ts.st, "l1", p1, a1, &l[0]), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "l2", p1, a2, &l[1]), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "l3", p2, a1, &l[2]), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "l4", p2, a2, &l[3]), AFF_OK);
    ids got = {0};
    aff_list_query q = q_page(0, 100);
    q.program_id = p2;
    q.affiliate_id = a1;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l[2]);
    got = (ids){0};
    q.program_id = 0;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l[0], l[2]);
    got = (ids){0};
    q.affiliate_id = 0;
    q.after = l[0];
    q.limit = 2;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l[1], l[2]);
    got = (ids){0};
    q = q_page(l[0], 100);
    q.program_id = p1;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l[1]);
    aff_test_store_close(&ts);
}

/* Clicks of a link or an affiliate are read hour by hour: a page spans hours, skips the
 * hours without such clicks, and continues after a cursor in the middle of an hour. */
AFF_TEST(store_click_list_by_link_pages_across_hours)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    /* click n is at T0 + n s (click_id_for); n = 3600 k + j is in hour H0 + k */
    static const struct {
        int n;
        int64_t affiliate, link;
    } clicks[] = {{1, 10, 100},    {2, 11, 101},     {3, 10, 100},     {3601, 11, 101}, {7201, 10, 100},
                  {7202, 11, 101}, {18001, 11, 101}, {18002, 10, 100}, {18003, 10, 102}};
    for (size_t i = 0; i < sizeof(clicks) / sizeof(clicks[0]); i++)
        AFF_CHECK_INT(
            add_counted_click(ts.st, clicks[i].n, T0 + clicks[i].n * 1000LL, 1, clicks[i].affiliate, clicks[i].link, 0),
            AFF_OK);
    ids got = {0};
    aff_list_query q = q_page(0, 0);
    q.link_id = 100;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 3, 7201, 18002);
    got = (ids){0};
    q.limit = 2;
    click_id_for(1, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 3, 7201);
    got = (ids){0};
    click_id_for(7201, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 18002);
    got = (ids){0};
    click_id_for(18002, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_NO_IDS(&got);
    /* by affiliate, with the callback stopping early */
    got = (ids){.stop_after = 3};
    q = q_page(0, 0);
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 3, 7201);
    got = (ids){0};
    click_id_for(7201, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 18002, 18003);
    /* a program filter on top, and a link with no clicks */
    got = (ids){0};
    q = q_page(0, 0);
    q.affiliate_id = 11;
    q.program_id = 2;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_NO_IDS(&got);
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 2, 3601, 7202, 18001);
    got = (ids){0};
    q = q_page(0, 0);
    q.link_id = 999;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_NO_IDS(&got);
    aff_test_store_close(&ts);
}
