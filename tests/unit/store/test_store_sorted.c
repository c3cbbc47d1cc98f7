/* test_store_sorted.c - unit tests for src/store/sqlite_sorted.c: sorted lists page by
 * keyset on (sort value, id), so pages neither skip nor repeat rows whose sort values
 * tie, in both directions and with filters; time ranges and searches; the statement a
 * sorted list runs still leads through the filter's index. */
#include "store_rows.h"

/* Every row type starts with its int64_t id. */
static int push_id_cb(void *ud, const void *row)
{
    int64_t id;
    memcpy(&id, row, sizeof(id));
    return push_id(ud, id);
}

/* Walk a whole sorted list page by page (page rows at a time), following lq->last as
 * the cursor, collecting ids. */
static void walk(aff_store *st, aff_list_query q, int page,
                 int (*list)(aff_store *, const aff_list_query *, int (*)(void *, const void *), void *), ids *all)
{
    aff_list_key last;
    q.limit = page;
    q.last = &last;
    for (int guard = 0; guard < 64; guard++) {
        ids got = {0};
        memset(&last, 0, sizeof(last));
        AFF_CHECK_INT(list(st, &q, (int (*)(void *, const void *))push_id_cb, &got), AFF_OK);
        for (int i = 0; i < got.n; i++)
            push_id(all, got.v[i]);
        if (got.n < page)
            return;
        AFF_CHECK(last.set);
        AFF_CHECK_INT(last.id, got.v[got.n - 1]);
        q.from = last;
    }
    aff_test_fail(__FILE__, __LINE__, "the walk did not end");
}

/* Conversions with amounts that tie: 5 rows of 100, 3 of 200, 2 of 50. */
static void add_tied_conversions(aff_store *st, int64_t p, int64_t a1, int64_t a2, int64_t *id)
{
    static const int64_t amounts[] = {100, 200, 100, 50, 100, 200, 100, 50, 200, 100};
    for (int i = 0; i < 10; i++) {
        char order[16];
        snprintf(order, sizeof(order), "%c-%d", i % 2 ? 'B' : 'A', i);
        AFF_CHECK_INT(add_conversion_rc(st, p, "sale", order, amounts[i], i < 5 ? "approved" : "pending",
                                        i % 3 ? a1 : a2, 0, 0, &id[i]),
                      AFF_OK);
    }
}

AFF_TEST(store_sorted_pages_never_skip_or_repeat_ties)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p = add_program(ts.st, "P", "tok", "{}");
    int64_t a1 = add_affiliate(ts.st, "ann", "approved", 0), a2 = add_affiliate(ts.st, "bob", "approved", 0);
    int64_t c[10];
    add_tied_conversions(ts.st, p, a1, a2, c);
    aff_list_query q = q_page(0, 0);
    q.sort = AFF_SORT_AMOUNT;
    for (int page = 1; page <= 4; page++) {
        ids all = {0};
        q.desc = 0;
        walk(ts.st, q, page, (void *)aff_store_conversion_list, &all);
        /* 50s, then 100s, then 200s; ties in id order */
        EXPECT_IDS(&all, c[3], c[7], c[0], c[2], c[4], c[6], c[9], c[1], c[5], c[8]);
        all = (ids){0};
        q.desc = 1;
        walk(ts.st, q, page, (void *)aff_store_conversion_list, &all);
        EXPECT_IDS(&all, c[8], c[5], c[1], c[9], c[6], c[4], c[2], c[0], c[7], c[3]);
    }
    aff_test_store_close(&ts);
}

AFF_TEST(store_sorted_lists_filter_search_and_bound_time)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p = add_program(ts.st, "P", "tok", "{}");
    int64_t a1 = add_affiliate(ts.st, "ann", "approved", 0), a2 = add_affiliate(ts.st, "bob", "approved", 0);
    int64_t c[10];
    add_tied_conversions(ts.st, p, a1, a2, c);
    ids all = {0};
    aff_list_query q = q_page(0, 0);
    q.sort = AFF_SORT_AMOUNT;
    q.desc = 1;
    q.affiliate_id = a2; /* rows 0, 3, 6, 9 */
    walk(ts.st, q, 1, (void *)aff_store_conversion_list, &all);
    EXPECT_IDS(&all, c[9], c[6], c[0], c[3]);
    all = (ids){0};
    q.status = "pending"; /* 6, 9 */
    walk(ts.st, q, 1, (void *)aff_store_conversion_list, &all);
    EXPECT_IDS(&all, c[9], c[6]);
    all = (ids){0};
    q = q_page(0, 0);
    q.sort = AFF_SORT_ORDER_ID;
    q.search = "B-"; /* a prefix: B-1, B-3, ... */
    walk(ts.st, q, 2, (void *)aff_store_conversion_list, &all);
    EXPECT_IDS(&all, c[1], c[3], c[5], c[7], c[9]);
    all = (ids){0};
    q.search = NULL;
    q.created_from = T0 + 6; /* every conversion is at T0 + 5 */
    walk(ts.st, q, 2, (void *)aff_store_conversion_list, &all);
    EXPECT_NO_IDS(&all);
    q.created_from = T0;
    q.created_to = T0 + 6;
    q.sort = AFF_SORT_CREATED;
    walk(ts.st, q, 3, (void *)aff_store_conversion_list, &all);
    AFF_CHECK_INT(all.n, 10);
    /* names sort without regard to case, and a search finds a part of a name or email */
    int64_t a3 = add_affiliate(ts.st, "Carl", "approved", 0), a4 = add_affiliate(ts.st, "anna", "pending", 0);
    all = (ids){0};
    q = q_page(0, 0);
    q.sort = AFF_SORT_NAME;
    walk(ts.st, q, 1, (void *)aff_store_affiliate_list, &all);
    EXPECT_IDS(&all, a1, a4, a2, a3);
    all = (ids){0};
    q.search = "nn";
    q.status = "approved";
    walk(ts.st, q, 5, (void *)aff_store_affiliate_list, &all);
    EXPECT_IDS(&all, a1);
    aff_test_store_close(&ts);
}

AFF_TEST(store_sorted_lists_refuse_what_they_lack)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    ids got = {0};
    aff_list_query q = q_page(0, 10);
    q.sort = AFF_SORT_EMAIL; /* links have no email */
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_EINVAL);
    q.sort = AFF_SORT_CODE;
    q.from = (aff_list_key){.set = 1, .id = 3, .ival = 4}; /* an integer cursor for a text sort */
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_EINVAL);
    q = q_page(0, 10);
    q.search = "x"; /* the ledger has no search */
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_EINVAL);
    q = q_page(0, 10);
    q.search = "x"; /* clicks have no search */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_EINVAL);
    q = q_page(0, 10);
    q.sort = AFF_SORT_EMAIL; /* nor an email */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_EINVAL);
    q.sort = AFF_SORT_IP;
    q.from = (aff_list_key){.set = 1, .id = 3, .is_text = 1}; /* an integer id for a click */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_EINVAL);
    aff_test_store_close(&ts);
}

/* The plan of the last list statement contains want and no full scan of the table. */
static void expect_plan(int line, aff_store *st, const char *want, const char *unwanted)
{
    char plan[2048];
    AFF_CHECK_INT(aff_store_sqlite_last_plan(st, plan, sizeof(plan)), AFF_OK);
    if (strstr(plan, want) == NULL || (unwanted != NULL && strstr(plan, unwanted) != NULL))
        aff_test_fail(__FILE__, line, "plan has no \"%s\" (or has \"%s\"):\n%s", want, unwanted ? unwanted : "", plan);
}

AFF_TEST(store_sorted_lists_lead_through_the_filters_index)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    ids got = {0};
    aff_list_query q = q_page(0, 10);
    q.affiliate_id = 7;
    q.program_id = 3;
    q.sort = AFF_SORT_ID;
    q.desc = 1;
    q.from = (aff_list_key){.set = 1, .id = 50};
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    /* newest first through (affiliate_id, id), without sorting */
    expect_plan(__LINE__, ts.st, "conversion_affiliate (affiliate_id=? AND id<?)", "TEMP B-TREE");
    q.sort = AFF_SORT_AMOUNT;
    q.from = (aff_list_key){0};
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    expect_plan(__LINE__, ts.st, "ledger_affiliate (affiliate_id=?)", "SCAN");
    q = q_page(0, 10);
    q.sort = AFF_SORT_CODE;
    q.search = "spring";
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    /* a code prefix is a range of the code's unique index, already in code order */
    expect_plan(__LINE__, ts.st, "(code>? AND code<?)", "TEMP B-TREE");
    q.program_id = 4;
    q.search = NULL;
    q.sort = AFF_SORT_CREATED;
    AFF_CHECK_INT(aff_store_payout_list(ts.st, &q, (aff_payout_cb)cb_ledger, &got), AFF_OK);
    expect_plan(__LINE__, ts.st, "payout_program (program_id=?)", "SCAN");
    /* a program's balances: its part of the balance key, grouped, whatever the sort */
    q = q_page(0, 10);
    q.program_id = 4;
    q.sort = AFF_SORT_PAYABLE;
    AFF_CHECK_INT(aff_store_balance_list(ts.st, &q, (aff_balance_cb)cb_ledger, &got), AFF_OK);
    expect_plan(__LINE__, ts.st, "SEARCH balance USING PRIMARY KEY (program_id=?)", "SCAN balance");
    /* a click sort other than time reads the days of its range in the click key */
    q = q_page(0, 10);
    q.sort = AFF_SORT_IP;
    q.created_from = T0;
    q.created_to = T0 + 86400000;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    expect_plan(__LINE__, ts.st, "SEARCH c USING PRIMARY KEY (click_id>? AND click_id<?)", "SCAN c");
    aff_test_store_close(&ts);
}

/* Walk a whole click list page by page, following lq->last (a click id) as the cursor,
 * collecting the clicks' numbers. */
static void walk_clicks(aff_store *st, aff_list_query q, int page, ids *all)
{
    aff_list_key last;
    q.limit = page;
    q.last = &last;
    for (int guard = 0; guard < 64; guard++) {
        ids got = {0};
        memset(&last, 0, sizeof(last));
        AFF_CHECK_INT(aff_store_click_list(st, &q, cb_click, &got), AFF_OK);
        for (int i = 0; i < got.n; i++)
            push_id(all, got.v[i]);
        if (got.n < page)
            return;
        AFF_CHECK(last.set);
        AFF_CHECK_INT(click_number(last.tid), got.v[got.n - 1]);
        q.from = last;
    }
    aff_test_fail(__FILE__, __LINE__, "the walk did not end");
}

/* Click n of link (and affiliate) `link` at ts, its id starting with ts as real ids do
 * (click_number reads n back), counted in the rollups like the writer counts it: a
 * bot's apart. */
static void add_click_as_writer(aff_store *st, int n, int64_t ts, int64_t link, unsigned flags)
{
    aff_rollup_delta d = {.clicks = flags & AFF_CLICK_BOT ? 0 : 1, .bot_clicks = flags & AFF_CLICK_BOT ? 1 : 0};
    aff_click_row *c = calloc(1, sizeof(*c));
    unsigned char raw[20] = {0};
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)((uint64_t)ts >> (8 * (5 - i)));
    for (int i = 0; i < 8; i++)
        raw[7 + i] = (unsigned char)((uint64_t)n >> (8 * (7 - i)));
    aff_base32_encode(raw, sizeof(raw), c->click_id);
    c->ts_ms = ts;
    c->program_id = 1;
    c->affiliate_id = c->link_id = link;
    snprintf(c->ip, sizeof(c->ip), "198.51.100.%d", n);
    snprintf(c->sub[0], sizeof(c->sub[0]), "s%d", n % 3);
    c->flags = flags;
    AFF_CHECK_INT(aff_store_click_insert(st, c), AFF_OK);
    free(c);
    AFF_CHECK_INT(aff_store_rollup_add(st, ts / 3600000LL, 1, link, link, &d), AFF_OK);
}

AFF_TEST(store_clicks_sort_by_time_both_ways_by_link_and_not)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    /* clicks n of link 1 (affiliate 1) and 2 over two days; the last hour of link 1 has a
     * bot's click only, which is a row too */
    static const struct {
        int n;
        int64_t at; /* ms after T0 */
        int64_t link;
        unsigned flags;
    } c[] = {{1, 1000, 1, 0},    {2, 2000, 2, 0},     {3, 3600000 + 5, 1, 0}, {4, 3600000 + 9, 1, 0},
             {5, 7200000, 2, 0}, {6, 90000000, 1, 0}, {7, 90000001, 2, 0},    {8, 100000000, 1, AFF_CLICK_BOT}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        add_click_as_writer(ts.st, c[i].n, T0 + c[i].at, c[i].link, c[i].flags);
    for (int page = 1; page <= 3; page++) {
        ids all = {0};
        aff_list_query q = q_page(0, 0);
        q.link_id = 1;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 1, 3, 4, 6, 8);
        all = (ids){0};
        q.desc = 1;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 8, 6, 4, 3, 1);
        all = (ids){0};
        q.link_id = 0;
        q.affiliate_id = 2; /* the same walk by affiliate */
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 7, 5, 2);
        all = (ids){0};
        q.affiliate_id = 0; /* every click, newest first: the primary key backwards */
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 8, 7, 6, 5, 4, 3, 2, 1);
        all = (ids){0};
        q.link_id = 1; /* a time range bounds the walk at both ends, either way */
        q.created_from = T0 + 3600000;
        q.created_to = T0 + 100000000;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 6, 4, 3);
        all = (ids){0};
        q.desc = 0;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 3, 4, 6);
        all = (ids){0};
        q.link_id = 0;
        q.sort = AFF_SORT_IP; /* 198.51.100.n, as text */
        q.desc = 1;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 7, 6, 5, 4, 3);
        all = (ids){0};
        q.sort = AFF_SORT_LINK; /* ties by click id */
        q.desc = 0;
        q.created_from = q.created_to = 0;
        walk_clicks(ts.st, q, page, &all);
        EXPECT_IDS(&all, 1, 3, 4, 6, 8, 2, 5, 7);
    }
    aff_test_store_close(&ts);
}

AFF_TEST(store_clicks_refuse_a_sort_over_too_many_clicks)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    add_click_as_writer(ts.st, 1, T0 + 1000, 1, 0);
    ids got = {0};
    aff_list_query q = q_page(0, 10);
    q.sort = AFF_SORT_IP;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    AFF_CHECK_INT(got.n, 1);
    /* the rollups of the next day count more clicks than a sort may read */
    aff_rollup_delta d = {.clicks = AFF_CLICK_SORT_SCAN_MAX - 5, .bot_clicks = 3, .rejected_clicks = 3};
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0 + 30, 1, 1, 1, &d), AFF_OK);
    got = (ids){0};
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_ERANGE);
    AFF_CHECK_INT(got.n, 0);
    q.desc = 1;
    q.sort = AFF_SORT_ID; /* time needs no sort: allowed */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    AFF_CHECK_INT(got.n, 1);
    got = (ids){0};
    q.sort = AFF_SORT_SUB1;
    q.created_to = T0 + 86400000; /* the first day only */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    AFF_CHECK_INT(got.n, 1);
    q.created_to = T0 + 86400000 + 1; /* a part of the second day counts it whole */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_ERANGE);
    aff_test_store_close(&ts);
}
