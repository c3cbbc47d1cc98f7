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
    q.desc = 1; /* clicks only ascend in time */
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_EINVAL);
    aff_test_store_close(&ts);
}

/* The plan of the last list statement contains want and no full scan of the table. */
static void expect_plan(int line, aff_store *st, const char *want, const char *unwanted)
{
    char plan[2048];
    AFF_CHECK_INT(aff_store_sqlite_last_plan(st, plan, sizeof(plan)), AFF_OK);
    if (strstr(plan, want) == NULL || (unwanted != NULL && strstr(plan, unwanted) != NULL))
        aff_test_fail(__FILE__, line, "plan has no \"%s\" (or has \"%s\"):\n%s", want, unwanted ? unwanted : "",
                      plan);
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
    aff_test_store_close(&ts);
}
