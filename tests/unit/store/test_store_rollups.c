/* test_store_rollups.c - unit tests for src/store/store_sqlite.c, part 2: rollups and
 * reports by every group shape (against a reference aggregation written here), verify()
 * raw recounts, and transactions (savepoints undoing one job, rollback). */
#include "store_rows.h"

/* ---- rollups and reports ------------------------------------------------------------------- */

typedef struct report_rows {
    int n;
    aff_report_row r[128];
} report_rows;

static int cb_report(void *ud, const aff_report_row *row)
{
    report_rows *rr = ud;
    if (rr->n < 128)
        rr->r[rr->n++] = *row;
    return 0;
}

static aff_rollup_delta delta(int64_t base)
{
    aff_rollup_delta d = {base,     base + 1, base + 2, base + 3, base + 4,
                          base + 5, base + 6, base + 7, base + 8, base + 9};
    return d;
}

static int same_delta(const aff_rollup_delta *a, const aff_rollup_delta *b)
{
    return a->clicks == b->clicks && a->unique_clicks == b->unique_clicks && a->bot_clicks == b->bot_clicks &&
           a->rejected_clicks == b->rejected_clicks && a->conversions == b->conversions &&
           a->revenue_minor == b->revenue_minor && a->commission_minor == b->commission_minor &&
           a->refunds_minor == b->refunds_minor && a->overrides_minor == b->overrides_minor &&
           a->override_income_minor == b->override_income_minor;
}

AFF_TEST(store_rollup_add_accumulates)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_rollup_delta a = delta(1), b = delta(10), c = {0, 0, 0, 0, 0, 0, -3, 5};
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 10, 100, &a), AFF_OK);
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 10, 100, &b), AFF_OK);
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 10, 100, &c), AFF_OK);
    report_rows rr = {0};
    aff_report_query q = {.from_hour = H0, .to_hour = H0, .group_mask = AFF_GROUP_LINK};
    AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report, &rr), AFF_OK);
    AFF_CHECK_INT(rr.n, 1);
    aff_rollup_delta want = {11, 13, 15, 17, 19, 21, 20, 30, 27, 29}; /* refunds 8 + 17 + 5 */
    AFF_CHECK(rr.n == 1 && same_delta(&rr.r[0].m, &want));
    AFF_CHECK_INT(rr.r[0].link_id, 100);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(ts.st, &v), AFF_OK);
    AFF_CHECK(same_delta(&v.rollup, &want));
    aff_test_store_close(&ts);
}

/* The rollup rows the report tests share: 3 days, 2 programs, 3 affiliates, 4 links. */
typedef struct input_row {
    int64_t hour, program, affiliate, link;
    aff_rollup_delta d;
} input_row;

static const input_row report_input[] = {
    {H0 + 0, 1, 10, 100, {1, 1, 0, 0, 0, 0, 0, 0}},         {H0 + 5, 1, 10, 100, {2, 1, 0, 0, 1, 4990, 499, 0}},
    {H0 + 23, 1, 10, 101, {3, 2, 1, 0, 0, 0, 0, 0}},        {H0 + 24, 1, 10, 100, {4, 3, 0, 1, 1, 1000, 100, 0}},
    {H0 + 30, 1, 11, 102, {5, 5, 0, 0, 2, 3000, 300, 500}}, {H0 + 47, 2, 10, 103, {6, 4, 2, 0, 0, 0, 0, 0}},
    {H0 + 48, 2, 12, 103, {7, 7, 0, 0, 1, 700, 70, 0}},     {H0 + 49, 1, 11, 102, {8, 1, 0, 0, 0, 0, -50, 200}},
    {H0 + 71, 2, 12, 103, {9, 9, 1, 2, 3, 900, 90, 100}},
};
#define NINPUT (sizeof(report_input) / sizeof(report_input[0]))

static void load_report_input(aff_store *st)
{
    for (size_t i = 0; i < NINPUT; i++) {
        const input_row *r = &report_input[i];
        AFF_CHECK_INT(aff_store_rollup_add(st, r->hour, r->program, r->affiliate, r->link, &r->d), AFF_OK);
    }
}

/* The reference: filter, group by mask, sum, sort by (day, program, affiliate, link). */
static int key_cmp(const aff_report_row *a, const aff_report_row *b)
{
    int64_t ka[4] = {a->day_ms, a->program_id, a->affiliate_id, a->link_id};
    int64_t kb[4] = {b->day_ms, b->program_id, b->affiliate_id, b->link_id};
    for (int i = 0; i < 4; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

static void reference_report(const aff_report_query *q, report_rows *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < NINPUT; i++) {
        const input_row *r = &report_input[i];
        if (r->hour < q->from_hour || r->hour > q->to_hour)
            continue;
        if ((q->program_id && r->program != q->program_id) || (q->affiliate_id && r->affiliate != q->affiliate_id) ||
            (q->link_id && r->link != q->link_id))
            continue;
        aff_report_row key;
        memset(&key, 0, sizeof(key));
        if (q->group_mask & AFF_GROUP_DAY)
            key.day_ms = (r->hour / 24) * 86400000LL;
        if (q->group_mask & AFF_GROUP_PROGRAM)
            key.program_id = r->program;
        if (q->group_mask & AFF_GROUP_AFFILIATE)
            key.affiliate_id = r->affiliate;
        if (q->group_mask & AFF_GROUP_LINK)
            key.link_id = r->link;
        int j;
        for (j = 0; j < out->n; j++)
            if (key_cmp(&out->r[j], &key) == 0)
                break;
        if (j == out->n)
            out->r[out->n++] = key;
        aff_rollup_delta *m = &out->r[j].m;
        m->clicks += r->d.clicks;
        m->unique_clicks += r->d.unique_clicks;
        m->bot_clicks += r->d.bot_clicks;
        m->rejected_clicks += r->d.rejected_clicks;
        m->conversions += r->d.conversions;
        m->revenue_minor += r->d.revenue_minor;
        m->commission_minor += r->d.commission_minor;
        m->refunds_minor += r->d.refunds_minor;
    }
    /* insertion sort */
    for (int i = 1; i < out->n; i++)
        for (int j = i; j > 0 && key_cmp(&out->r[j - 1], &out->r[j]) > 0; j--) {
            aff_report_row t = out->r[j];
            out->r[j] = out->r[j - 1];
            out->r[j - 1] = t;
        }
}

static void compare_report(const char *file, int line, aff_store *st, const aff_report_query *q)
{
    report_rows got = {0}, want;
    int rc = aff_store_report(st, q, cb_report, &got);
    reference_report(q, &want);
    if (rc != AFF_OK) {
        aff_test_fail(file, line, "mask %u: report rc %d", q->group_mask, rc);
        return;
    }
    /* With no dimension, the store answers one totals row even when nothing matched. */
    if (q->group_mask == 0 && want.n == 0) {
        want.n = 1;
        memset(&want.r[0], 0, sizeof(want.r[0]));
    }
    if (got.n != want.n) {
        aff_test_fail(file, line, "mask %u hours %lld..%lld p%lld a%lld l%lld: %d rows, want %d", q->group_mask,
                      (long long)(q->from_hour - H0), (long long)(q->to_hour - H0), (long long)q->program_id,
                      (long long)q->affiliate_id, (long long)q->link_id, got.n, want.n);
        return;
    }
    for (int i = 0; i < got.n; i++) {
        const aff_report_row *g = &got.r[i], *w = &want.r[i];
        int64_t gday = (q->group_mask & AFF_GROUP_DAY) ? g->day_ms : 0;
        if (gday != w->day_ms || g->program_id != w->program_id || g->affiliate_id != w->affiliate_id ||
            g->link_id != w->link_id || !same_delta(&g->m, &w->m))
            aff_test_fail(file, line,
                          "mask %u row %d: got day %lld p%lld a%lld l%lld clicks %lld conv %lld comm %lld; want day "
                          "%lld p%lld a%lld l%lld clicks %lld conv %lld comm %lld",
                          q->group_mask, i, (long long)gday, (long long)g->program_id, (long long)g->affiliate_id,
                          (long long)g->link_id, (long long)g->m.clicks, (long long)g->m.conversions,
                          (long long)g->m.commission_minor, (long long)w->day_ms, (long long)w->program_id,
                          (long long)w->affiliate_id, (long long)w->link_id, (long long)w->m.clicks,
                          (long long)w->m.conversions, (long long)w->m.commission_minor);
    }
}

AFF_TEST(store_report_by_hand)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    load_report_input(ts.st);
    /* totals over everything: clicks 1+2+...+9 = 45, conversions 0+1+0+1+2+0+1+0+3 = 8,
     * commission 499+100+300+70-50+90 = 1009, refunds 500+200+100 = 800 */
    report_rows rr = {0};
    aff_report_query q = {.from_hour = H0, .to_hour = H0 + 71};
    AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report, &rr), AFF_OK);
    AFF_CHECK_INT(rr.n, 1);
    AFF_CHECK_INT(rr.r[0].m.clicks, 45);
    AFF_CHECK_INT(rr.r[0].m.unique_clicks, 33);
    AFF_CHECK_INT(rr.r[0].m.bot_clicks, 4);
    AFF_CHECK_INT(rr.r[0].m.rejected_clicks, 3);
    AFF_CHECK_INT(rr.r[0].m.conversions, 8);
    AFF_CHECK_INT(rr.r[0].m.revenue_minor, 10590);
    AFF_CHECK_INT(rr.r[0].m.commission_minor, 1009);
    AFF_CHECK_INT(rr.r[0].m.refunds_minor, 800);

    /* by day: day 0 = hours 0..23 (clicks 6), day 1 = 24..47 (15), day 2 = 48..71 (24) */
    memset(&rr, 0, sizeof(rr));
    q.group_mask = AFF_GROUP_DAY;
    AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report, &rr), AFF_OK);
    AFF_CHECK_INT(rr.n, 3);
    if (rr.n == 3) {
        AFF_CHECK_INT(rr.r[0].day_ms, T0);
        AFF_CHECK_INT(rr.r[0].m.clicks, 6);
        AFF_CHECK_INT(rr.r[1].day_ms, T0 + 86400000LL);
        AFF_CHECK_INT(rr.r[1].m.clicks, 15);
        AFF_CHECK_INT(rr.r[2].day_ms, T0 + 2 * 86400000LL);
        AFF_CHECK_INT(rr.r[2].m.clicks, 24);
        AFF_CHECK_INT(rr.r[2].m.commission_minor, 110); /* 70 - 50 + 90 */
    }

    /* program 1, affiliate 11 (link 102), hours 24..48: rows at 30 only -> 5 clicks */
    memset(&rr, 0, sizeof(rr));
    q = (aff_report_query){
        .from_hour = H0 + 24, .to_hour = H0 + 48, .program_id = 1, .affiliate_id = 11, .group_mask = AFF_GROUP_LINK};
    AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report, &rr), AFF_OK);
    AFF_CHECK_INT(rr.n, 1);
    AFF_CHECK_INT(rr.r[0].link_id, 102);
    AFF_CHECK_INT(rr.r[0].m.clicks, 5);
    AFF_CHECK_INT(rr.r[0].m.refunds_minor, 500);

    /* the hour range is inclusive at both ends: hour 49 alone */
    memset(&rr, 0, sizeof(rr));
    q = (aff_report_query){.from_hour = H0 + 49, .to_hour = H0 + 49, .group_mask = AFF_GROUP_PROGRAM};
    AFF_CHECK_INT(aff_store_report(ts.st, &q, cb_report, &rr), AFF_OK);
    AFF_CHECK_INT(rr.n, 1);
    AFF_CHECK_INT(rr.r[0].program_id, 1);
    AFF_CHECK_INT(rr.r[0].m.clicks, 8);
    AFF_CHECK_INT(rr.r[0].m.commission_minor, -50);
    aff_test_store_close(&ts);
}

AFF_TEST(store_report_every_group_mask_matches_reference)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    load_report_input(ts.st);
    const struct {
        int64_t from, to, program, affiliate, link;
    } ranges[] = {
        {H0, H0 + 71, 0, 0, 0},   {H0 - 100, H0 + 1000, 0, 0, 0}, {H0 + 5, H0 + 47, 0, 0, 0},
        {H0, H0 + 71, 1, 0, 0},   {H0, H0 + 71, 2, 0, 0},         {H0, H0 + 71, 0, 10, 0},
        {H0, H0 + 71, 0, 0, 103}, {H0 + 24, H0 + 71, 1, 11, 102}, {H0 + 72, H0 + 100, 0, 0, 0},
        {H0, H0 + 71, 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        for (unsigned mask = 0; mask < 16; mask++) {
            aff_report_query q = {.from_hour = ranges[i].from,
                                  .to_hour = ranges[i].to,
                                  .group_mask = mask,
                                  .program_id = ranges[i].program,
                                  .affiliate_id = ranges[i].affiliate,
                                  .link_id = ranges[i].link};
            compare_report(__FILE__, __LINE__, ts.st, &q);
        }
    aff_test_store_close(&ts);
}

/* ---- verify ---------------------------------------------------------------------------------- */

AFF_TEST(store_verify_raw_counts)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(ts.st, &v), AFF_OK);
    aff_rollup_delta zero = {0};
    AFF_CHECK(same_delta(&v.raw, &zero));
    AFF_CHECK(same_delta(&v.rollup, &zero));

    /* 3 clicks, 2 unique */
    AFF_CHECK_INT(add_click(ts.st, 1, T0, 1, 10, 100, AFF_CLICK_UNIQUE), AFF_OK);
    AFF_CHECK_INT(add_click(ts.st, 2, T0, 1, 10, 100, 0), AFF_OK);
    AFF_CHECK_INT(add_click(ts.st, 3, T0, 1, 10, 100, AFF_CLICK_UNIQUE), AFF_OK);
    /* conversions: approved 1000 (200 refunded), pending 500, test 700, rejected 300 */
    int64_t c1, c2, c3, c4;
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "1", 1000, "approved", 10, 0, 200, &c1), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "2", 500, "pending", 10, 0, 0, &c2), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "3", 700, "pending", 10, 1, 100, &c3), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "4", 300, "rejected", 10, 0, 0, &c4), AFF_OK);
    add_ledger(ts.st, c1, 1, 10, 100, "commission", "approved");
    add_ledger(ts.st, c1, 1, 10, -20, "reversal", "approved");
    add_ledger(ts.st, c2, 1, 10, 50, "commission", "pending");
    add_ledger(ts.st, c4, 1, 10, 30, "commission", "rejected");
    aff_rollup_delta r1 = {3, 2, 0, 0, 2, 1500, 130, 200};
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 10, 100, &r1), AFF_OK);
    AFF_CHECK_INT(aff_store_verify(ts.st, &v), AFF_OK);
    aff_rollup_delta raw = {3, 2, 0, 0, 2, 1500, 130, 200};
    AFF_CHECK_INT(v.raw.clicks, 3);
    AFF_CHECK_INT(v.raw.unique_clicks, 2);
    AFF_CHECK_INT(v.raw.conversions, 2);
    AFF_CHECK_INT(v.raw.revenue_minor, 1500);
    AFF_CHECK_INT(v.raw.commission_minor, 130);
    AFF_CHECK_INT(v.raw.refunds_minor, 200);
    AFF_CHECK(same_delta(&v.raw, &raw));
    AFF_CHECK(same_delta(&v.rollup, &r1));

    /* a rollup that drifted is visible */
    aff_rollup_delta drift = {1, 0, 0, 0, 0, 0, 0, 0};
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0 + 1, 1, 10, 100, &drift), AFF_OK);
    AFF_CHECK_INT(aff_store_verify(ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.rollup.clicks, 4);
    AFF_CHECK_INT(v.raw.clicks, 3);
    aff_test_store_close(&ts);
}

/* ---- transactions ------------------------------------------------------------------------------ */

AFF_TEST(store_savepoint_rollback_to_undoes_one_job)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_rollup_delta one = {1, 1, 0, 0, 0, 0, 0, 0};
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    /* job 1: kept */
    AFF_CHECK_INT(aff_store_savepoint(ts.st), AFF_OK);
    int64_t a1 = add_affiliate(ts.st, "kept", "approved", 0);
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 1, 1, &one), AFF_OK);
    AFF_CHECK_INT(aff_store_release(ts.st), AFF_OK);
    /* job 2: fails half way and is rolled back alone (as the writer does) */
    AFF_CHECK_INT(aff_store_savepoint(ts.st), AFF_OK);
    int64_t a2 = add_affiliate(ts.st, "undone", "approved", 0);
    AFF_CHECK_INT(aff_store_rollup_add(ts.st, H0, 1, 1, 1, &one), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "undone", 1, a2, NULL), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback_to(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_release(ts.st), AFF_OK);
    /* job 3: kept, and may reuse what job 2 took */
    AFF_CHECK_INT(aff_store_savepoint(ts.st), AFF_OK);
    int64_t l3 = 0;
    AFF_CHECK_INT(add_link_rc(ts.st, "undone", 1, a1, &l3), AFF_OK);
    AFF_CHECK_INT(aff_store_release(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(ts.st), AFF_OK);

    aff_affiliate_row a;
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, a1, &a), AFF_OK);
    AFF_CHECK_STR(a.name, "kept");
    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_IDS(&got, a1);
    memset(&got, 0, sizeof(got));
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l3);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.rollup.clicks, 1);

    /* The commit is durable: a second connection sees it. */
    aff_store *rd = NULL;
    AFF_CHECK_INT(aff_store_sqlite_open(ts.path, AFF_STORE_READER, 1, &rd), AFF_OK);
    if (rd != NULL) {
        AFF_CHECK_INT(aff_store_affiliate_get(rd, a1, &a), AFF_OK);
        aff_store_close(rd);
    }
    aff_test_store_close(&ts);
}

AFF_TEST(store_rollback_undoes_transaction)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    AFF_CHECK_INT(aff_store_rollback(ts.st), AFF_OK); /* no transaction: a no-op */
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    int64_t a1 = add_affiliate(ts.st, "gone", "approved", 0);
    AFF_CHECK_INT(aff_store_rollback(ts.st), AFF_OK);
    aff_affiliate_row a;
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, a1, &a), AFF_ENOTFOUND);
    /* A unique violation inside a savepoint does not poison the transaction. */
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(ts.st), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "X", 1, 1, NULL), AFF_OK);
    AFF_CHECK_INT(aff_store_release(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(ts.st), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "X", 1, 2, NULL), AFF_EEXIST);
    AFF_CHECK_INT(aff_store_rollback_to(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_release(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(ts.st), AFF_OK);
    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_coupon_list(ts.st, &q, cb_coupon, &got), AFF_OK);
    AFF_CHECK_INT(got.n, 1);
    aff_test_store_close(&ts);
}
