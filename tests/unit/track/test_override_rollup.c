/* test_override_rollup.c - sub-affiliate overrides in the rollups (track/rollup.h):
 * commission_minor of a conversion's row counts every line (the brand's cost),
 * overrides_minor the part paid to the converting affiliate's parents, and each parent's
 * own row (link 0, sub1 "") its override_income_minor; through sales, refunds,
 * rejections, retroactive tiers, the writer's aggregation, `verify` and migration 8's
 * backfill. Expected amounts by hand in the comments. */
#include <sqlite3.h>

#include "track/earn.h"
#include "track/ledger.h"
#include "track/report.h"
#include "track/rollup.h"
#include "conversion_fixture.h"

/* Affiliates g <- p <- c (c's parent p, p's parent g) in a program paying plan; c has
 * links "kid" and "kid2" (referral codes), g a link of its own, "gina". */
typedef struct tree {
    fx f;
    int64_t prog, g, p, c, link, link2, glink;
} tree;

static int tree_open(tree *t, const char *plan)
{
    memset(t, 0, sizeof(*t));
    if (fx_open(&t->f) != 0)
        return -1;
    t->prog = fx_program(&t->f, "Shop", "USD", "last_click", 30, plan);
    t->g = fx_affiliate(&t->f, "gina", 0);
    t->p = fx_affiliate(&t->f, "paul", t->g);
    t->c = fx_affiliate(&t->f, "cleo", t->p);
    t->link = fx_link(&t->f, "kid", t->prog, t->c);
    t->link2 = fx_link(&t->f, "kid2", t->prog, t->c);
    t->glink = fx_link(&t->f, "gina", t->prog, t->g);
    return t->prog && t->g && t->p && t->c && t->link && t->link2 && t->glink ? 0 : -1;
}

#define TREE_OR_RETURN(t, plan)        \
    do {                               \
        if (tree_open(t, plan) != 0) { \
            AFF_CHECK(0);              \
            fx_close(&(t)->f);         \
            return;                    \
        }                              \
    } while (0)

#define TWO_LEVELS "{\"sale\":{\"percent\":\"10\"},\"sub_affiliates\":[\"10\",\"5\"]}"

/* A sale of amount at now through referral code `code`, with status; r gets the result. */
static int sell(tree *t, const char *code, const char *order, int64_t amount, const char *status, int64_t now,
                aff_conversion_result *r)
{
    aff_conversion_input *in = input(t->prog, "sale", order, amount, status, now);
    snprintf(in->referral_code, sizeof(in->referral_code), "%s", code);
    aff_errinfo err = {0};
    int rc = aff_conversion_record(&t->f.ctx, in, r, &err);
    free(in);
    return rc;
}

/* The metrics of affiliate's rows (all links) of the whole days [day, day + days). */
typedef struct find {
    int64_t affiliate_id;
    aff_rollup_delta m;
} find;

static int add_affiliate_rows(void *ud, const aff_report_row *r)
{
    find *f = ud;
    if (r->affiliate_id == f->affiliate_id)
        aff_report_add(&f->m, &r->m);
    return 0;
}

static aff_rollup_delta of(tree *t, int64_t affiliate, int64_t day, int days)
{
    aff_report_query q = {.from_hour = day * 24, .to_hour = (day + days) * 24 - 1, .group_mask = AFF_GROUP_AFFILIATE};
    find f = {.affiliate_id = affiliate};
    AFF_CHECK_INT(aff_store_report(t->f.ts.st, &q, add_affiliate_rows, &f), AFF_OK);
    return f.m;
}

/* verify: raw = hourly = daily = sub-ID for every counter, and no (program, affiliate)
 * override total off the ledger. */
static void expect_verified(const char *file, int line, tree *t)
{
    aff_verify_counts v;
    if (aff_store_verify(t->f.ts.st, &v) != AFF_OK) {
        aff_test_fail(file, line, "verify failed");
        return;
    }
    if (memcmp(&v.raw, &v.rollup, sizeof(v.raw)) != 0 || memcmp(&v.rollup, &v.daily, sizeof(v.raw)) != 0 ||
        memcmp(&v.daily, &v.sub, sizeof(v.raw)) != 0)
        aff_test_fail(file, line,
                      "counters differ: overrides raw %lld hourly %lld daily %lld sub %lld; income raw %lld"
                      " hourly %lld; commission raw %lld hourly %lld",
                      (long long)v.raw.overrides_minor, (long long)v.rollup.overrides_minor,
                      (long long)v.daily.overrides_minor, (long long)v.sub.overrides_minor,
                      (long long)v.raw.override_income_minor, (long long)v.rollup.override_income_minor,
                      (long long)v.raw.commission_minor, (long long)v.rollup.commission_minor);
    if (v.override_mismatches != 0 || v.sub_mismatches != 0)
        aff_test_fail(file, line, "%lld override and %lld sub-ID mismatches", (long long)v.override_mismatches,
                      (long long)v.sub_mismatches);
}
#define EXPECT_VERIFIED(t) expect_verified(__FILE__, __LINE__, t)

/* ---- the split itself ----------------------------------------------------------------- */

AFF_TEST(override_split_counts_others_by_payee)
{
    aff_rollup_split s;
    aff_rollup_split_clear(&s);
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 7, 333), AFF_OK); /* the converting affiliate's own */
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 5, 33), AFF_OK);
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 3, 17), AFF_OK);
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 5, -17), AFF_OK); /* a reversal of 5's share */
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 7, 700), AFF_OK); /* a bonus */
    AFF_CHECK_INT(s.commission_minor, 333 + 33 + 17 - 17 + 700);
    AFF_CHECK_INT(s.overrides_minor, 33 + 17 - 17);
    AFF_CHECK_INT(s.n, 2);
    AFF_CHECK_INT(s.payee[0], 5);
    AFF_CHECK_INT(s.income_minor[0], 16);
    AFF_CHECK_INT(s.payee[1], 3);
    AFF_CHECK_INT(s.income_minor[1], 17);
    /* more payees than it holds: refused, unchanged */
    for (int i = 0; i < AFF_ROLLUP_PAYEES_MAX - 2; i++)
        AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 100 + i, 1), AFF_OK);
    aff_rollup_split before = s;
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 99, 1), AFF_ERANGE);
    AFF_CHECK(memcmp(&before, &s, sizeof(s)) == 0);
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 5, 1), AFF_OK); /* a known payee still adds */
    AFF_CHECK_INT(aff_rollup_split_line(&s, 7, 7, 1), AFF_OK); /* and the owner */
}

/* ---- through the domain --------------------------------------------------------------- */

AFF_TEST(override_rollup_sale_refund_and_rejection)
{
    tree t;
    TREE_OR_RETURN(&t, TWO_LEVELS);
    aff_conversion_result *r = result();
    int64_t day0 = FX_T0 / FX_DAY;
    /* c sells 3330: c 333, p 10 % of it = 33, g 5 % = 16.65 -> 17 */
    AFF_CHECK_INT(sell(&t, "kid", "o1", 3330, "approved", FX_T0, r), AFF_OK);
    aff_rollup_delta c = of(&t, t.c, day0, 1), p = of(&t, t.p, day0, 1), g = of(&t, t.g, day0, 1);
    AFF_CHECK_INT(c.conversions, 1);
    AFF_CHECK_INT(c.commission_minor, 333 + 33 + 17); /* the brand's cost, as before */
    AFF_CHECK_INT(c.overrides_minor, 33 + 17);
    AFF_CHECK_INT(c.override_income_minor, 0);
    AFF_CHECK_INT(p.commission_minor, 0);
    AFF_CHECK_INT(p.conversions, 0);
    AFF_CHECK_INT(p.override_income_minor, 33);
    AFF_CHECK_INT(g.override_income_minor, 17);
    AFF_CHECK_INT(g.overrides_minor, 0);
    EXPECT_VERIFIED(&t);
    /* half refunded the next day: c -167, p -17, g -9 (docs: earn_sub_affiliate_depth) */
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_conversion_refund(&t.f.ctx, r->conv.id, 1665, FX_T0 + FX_DAY, r, &err), AFF_OK);
    c = of(&t, t.c, day0 + 1, 1), p = of(&t, t.p, day0 + 1, 1), g = of(&t, t.g, day0 + 1, 1);
    AFF_CHECK_INT(c.refunds_minor, 1665);
    AFF_CHECK_INT(c.commission_minor, -(167 + 17 + 9));
    AFF_CHECK_INT(c.overrides_minor, -(17 + 9));
    AFF_CHECK_INT(p.override_income_minor, -17);
    AFF_CHECK_INT(g.override_income_minor, -9);
    EXPECT_VERIFIED(&t);
    /* a second sale, pending, refunded a bit on day 2, rejected on day 3: it leaves every
     * row of day 0 (where it was recorded), the parents' too */
    AFF_CHECK_INT(sell(&t, "kid2", "o2", 10000, "pending", FX_T0 + 1, r), AFF_OK); /* 1000, 100, 50 */
    int64_t doomed = r->conv.id;
    AFF_CHECK_INT(of(&t, t.p, day0, 1).override_income_minor, 33 + 100);
    AFF_CHECK_INT(aff_conversion_refund(&t.f.ctx, doomed, 1000, FX_T0 + 2 * FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_INT(of(&t, t.p, day0 + 2, 1).override_income_minor, -10);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&t.f.ctx, doomed, "fraud", FX_T0 + 3 * FX_DAY, &err), AFF_OK);
    /* over all days: only the first sale, net of its refund */
    c = of(&t, t.c, day0, 4), p = of(&t, t.p, day0, 4), g = of(&t, t.g, day0, 4);
    AFF_CHECK_INT(c.conversions, 1);
    AFF_CHECK_INT(c.commission_minor, (333 - 167) + (33 - 17) + (17 - 9));
    AFF_CHECK_INT(c.overrides_minor, (33 - 17) + (17 - 9));
    AFF_CHECK_INT(c.commission_minor - c.overrides_minor, 333 - 167); /* what c earned itself */
    AFF_CHECK_INT(p.override_income_minor, 33 - 17);
    AFF_CHECK_INT(g.override_income_minor, 17 - 9);
    EXPECT_VERIFIED(&t);
    /* g's own sale: its own commission, no overrides (it has no parent) */
    AFF_CHECK_INT(sell(&t, "gina", "o3", 1000, "approved", FX_T0 + 4 * FX_DAY, r), AFF_OK);
    g = of(&t, t.g, day0 + 4, 1);
    AFF_CHECK_INT(g.commission_minor, 100);
    AFF_CHECK_INT(g.overrides_minor, 0);
    AFF_CHECK_INT(g.override_income_minor, 0);
    EXPECT_VERIFIED(&t);
    free(r);
    fx_close(&t.f);
}

/* The writer's path: jobs staged and merged, a batch flushed; a failed job's rows
 * (all of them: the child's and its parents') are dropped. */
AFF_TEST(override_rollup_through_the_batch_aggregator)
{
    tree t;
    TREE_OR_RETURN(&t, TWO_LEVELS);
    aff_rollups *agg = aff_rollups_new();
    t.f.ctx.rollups = agg;
    aff_conversion_result *r = result();
    int64_t day0 = FX_T0 / FX_DAY;
    AFF_CHECK_INT(aff_store_begin(t.f.ts.st), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid", "a1", 3330, "approved", FX_T0, r), AFF_OK);
    AFF_CHECK_INT(aff_rollup_job_keep(agg), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid", "a2", 5000, "approved", FX_T0 + 1, r), AFF_OK);
    aff_rollup_job_drop(agg); /* (its store rows would be rolled back with the job) */
    AFF_CHECK_INT(sell(&t, "kid2", "a3", 1000, "approved", FX_T0 + 2, r), AFF_OK); /* 100, 10, 5 */
    AFF_CHECK_INT(aff_rollup_job_keep(agg), AFF_OK);
    AFF_CHECK_INT(aff_rollup_flush(agg, t.f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(t.f.ts.st), AFF_OK);
    aff_rollup_delta c = of(&t, t.c, day0, 1), p = of(&t, t.p, day0, 1), g = of(&t, t.g, day0, 1);
    AFF_CHECK_INT(c.conversions, 2);
    AFF_CHECK_INT(c.commission_minor, 333 + 33 + 17 + 100 + 10 + 5);
    AFF_CHECK_INT(c.overrides_minor, 33 + 17 + 10 + 5);
    AFF_CHECK_INT(p.override_income_minor, 33 + 10);
    AFF_CHECK_INT(g.override_income_minor, 17 + 5);
    aff_rollups_free(agg);
    t.f.ctx.rollups = NULL;
    free(r);
    fx_close(&t.f);
}

/* A retroactive tier re-prices c's earlier sale: its adjustment and its parents' follow
 * under the conversion that reached the tier, and the parents' income follows too. */
AFF_TEST(override_rollup_retroactive_tier_moves_the_parents_income)
{
    tree t;
    TREE_OR_RETURN(&t, "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"conversions\",\"levels\":[{\"min\":2,"
                       "\"percent\":\"20\"}],\"period\":\"month\",\"retroactive\":true}},\"sub_affiliates\":[\"10\"]}");
    aff_conversion_result *r = result();
    int64_t day0 = FX_T0 / FX_DAY;
    /* day 0: 10 % of 1000 = 100, p 10; day 1: the 2nd sale pays 20 % = 200 (p 20) and
     * lifts the first to 200 (+100, p +10) */
    AFF_CHECK_INT(sell(&t, "kid", "t1", 1000, "approved", FX_T0, r), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid2", "t2", 1000, "approved", FX_T0 + FX_DAY, r), AFF_OK);
    aff_rollup_delta c = of(&t, t.c, day0 + 1, 1), p = of(&t, t.p, day0 + 1, 1);
    AFF_CHECK_INT(c.commission_minor, 200 + 20 + 100 + 10);
    AFF_CHECK_INT(c.overrides_minor, 20 + 10);
    AFF_CHECK_INT(p.override_income_minor, 20 + 10);
    AFF_CHECK_INT(of(&t, t.p, day0, 1).override_income_minor, 10);
    EXPECT_VERIFIED(&t);
    free(r);
    fx_close(&t.f);
}

AFF_TEST(override_rollup_verify_finds_income_on_the_wrong_parent)
{
    tree t;
    TREE_OR_RETURN(&t, TWO_LEVELS);
    aff_conversion_result *r = result();
    AFF_CHECK_INT(sell(&t, "kid", "w1", 3330, "approved", FX_T0, r), AFF_OK);
    EXPECT_VERIFIED(&t);
    /* p's 33 credited to g instead: every sum still agrees, the pairs do not */
    int64_t hour = FX_T0 / FX_HOUR;
    aff_rollup_delta minus = {.override_income_minor = -33}, plus = {.override_income_minor = 33};
    AFF_CHECK_INT(aff_rollup_write(t.f.ts.st, hour, t.prog, t.p, 0, "", &minus), AFF_OK);
    AFF_CHECK_INT(aff_rollup_write(t.f.ts.st, hour, t.prog, t.g, 0, "", &plus), AFF_OK);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(t.f.ts.st, &v), AFF_OK);
    AFF_CHECK(memcmp(&v.raw, &v.rollup, sizeof(v.raw)) == 0);
    /* the ledger says p 33, g 17; the rollups p nothing (no row), g 50: p is missing,
     * g differs both ways */
    AFF_CHECK_INT(v.override_mismatches, 3);
    /* a child's overrides counted as its own commission: the sums differ */
    aff_rollup_delta own = {.overrides_minor = -50};
    AFF_CHECK_INT(aff_rollup_write(t.f.ts.st, hour, t.prog, t.c, t.link, "", &own), AFF_OK);
    AFF_CHECK_INT(aff_store_verify(t.f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.raw.overrides_minor, 50);
    AFF_CHECK_INT(v.rollup.overrides_minor, 0);
    free(r);
    fx_close(&t.f);
}

/* ---- migration 8 ------------------------------------------------------------------------ */

/* Every row of a report, without rows whose counters are all zero. */
typedef struct rows {
    int n;
    aff_report_row r[64];
} rows;

static int collect(void *ud, const aff_report_row *row)
{
    rows *rs = ud;
    static const aff_rollup_delta zero;
    if (memcmp(&row->m, &zero, sizeof(zero)) == 0)
        return 0;
    if (rs->n == 64)
        return AFF_ERANGE;
    rs->r[rs->n] = *row;
    rs->n++;
    return 0;
}

static void snapshot(tree *t, rows out[3])
{
    int64_t h0 = FX_T0 / FX_HOUR - 1;
    /* hourly (a range that is not whole days), daily, sub-ID */
    aff_report_query hourly = {
        .from_hour = h0, .to_hour = h0 + 24 * 10, .group_mask = AFF_GROUP_DAY | AFF_GROUP_AFFILIATE | AFF_GROUP_LINK};
    aff_report_query daily = {.from_hour = (FX_T0 / FX_DAY) * 24,
                              .to_hour = (FX_T0 / FX_DAY + 10) * 24 - 1,
                              .group_mask = AFF_GROUP_DAY | AFF_GROUP_AFFILIATE | AFF_GROUP_LINK};
    aff_report_query sub = daily;
    sub.group_mask = AFF_GROUP_DAY | AFF_GROUP_AFFILIATE | AFF_GROUP_SUB1;
    const aff_report_query *qs[3] = {&hourly, &daily, &sub};
    for (int i = 0; i < 3; i++) {
        out[i].n = 0;
        AFF_CHECK_INT(aff_store_report(t->f.ts.st, qs[i], collect, &out[i]), AFF_OK);
    }
}

AFF_TEST(override_rollup_migration_backfills_what_the_writer_counted)
{
    tree t;
    TREE_OR_RETURN(&t, "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"conversions\",\"levels\":[{\"min\":3,"
                       "\"percent\":\"20\"}],\"period\":\"month\",\"retroactive\":true}},"
                       "\"sub_affiliates\":[\"10\",\"5\"]}");
    aff_conversion_result *r = result();
    aff_errinfo err = {0};
    /* history: a sale on kid (day 0), refunded in part on day 1; a pending sale on kid2
     * (day 0) refunded a little on day 2 and rejected on day 3; one posted as rejected;
     * a test sale; the 3rd counted sale (the rejected one counted), on kid2 on day 4,
     * lifts the tier and adjusts the first (under kid2, day 4); g's own sale */
    AFF_CHECK_INT(sell(&t, "kid", "m1", 3330, "approved", FX_T0, r), AFF_OK);
    int64_t first = r->conv.id;
    AFF_CHECK_INT(aff_conversion_refund(&t.f.ctx, first, 1000, FX_T0 + FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid2", "m2", 10000, "pending", FX_T0 + 5, r), AFF_OK);
    int64_t doomed = r->conv.id;
    AFF_CHECK_INT(aff_conversion_refund(&t.f.ctx, doomed, 999, FX_T0 + 2 * FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&t.f.ctx, doomed, "fraud", FX_T0 + 3 * FX_DAY, &err), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid", "m3", 2000, "rejected", FX_T0 + 6, r), AFF_OK);
    aff_conversion_input *test = input(t.prog, "sale", "m4", 5000, "approved", FX_T0 + 7);
    snprintf(test->referral_code, sizeof(test->referral_code), "kid");
    test->test = 1;
    AFF_CHECK_INT(aff_conversion_record(&t.f.ctx, test, r, &err), AFF_OK);
    free(test);
    AFF_CHECK_INT(sell(&t, "kid2", "m5", 4000, "approved", FX_T0 + 4 * FX_DAY, r), AFF_OK);
    AFF_CHECK_INT(sell(&t, "kid", "m6", 6000, "approved", FX_T0 + 4 * FX_DAY + 10, r), AFF_OK);
    AFF_CHECK_INT(sell(&t, "gina", "m7", 1000, "approved", FX_T0 + 5 * FX_DAY, r), AFF_OK);
    EXPECT_VERIFIED(&t);
    static rows before[3], after[3];
    snapshot(&t, before);
    AFF_CHECK(before[0].n > 8);
    /* the retroactive adjustment counted under kid2: c's kid2 row of day 4 has more
     * overrides than kid2's own sale pays (4000 at 20 % = 800 -> p 80, g 40) */
    int found = 0;
    for (int i = 0; i < before[1].n; i++) {
        const aff_report_row *x = &before[1].r[i];
        if (x->affiliate_id == t.c && x->link_id == t.link2 && x->day_ms == (FX_T0 / FX_DAY + 4) * FX_DAY) {
            found = 1;
            AFF_CHECK(x->m.overrides_minor > 80 + 40);
        }
    }
    AFF_CHECK(found);
    /* back to schema 7: the counters gone; opening runs migration 8 */
    aff_store_close(t.f.ts.st);
    t.f.ts.st = NULL;
    AFF_CHECK_INT(aff_test_store_exec_raw(
                      t.f.ts.path,
                      "ALTER TABLE stats_hourly DROP COLUMN overrides_minor;"
                      " ALTER TABLE stats_hourly DROP COLUMN override_income_minor;"
                      " ALTER TABLE stats_daily DROP COLUMN overrides_minor;"
                      " ALTER TABLE stats_daily DROP COLUMN override_income_minor;"
                      " ALTER TABLE stats_sub_daily DROP COLUMN overrides_minor;"
                      " ALTER TABLE stats_sub_daily DROP COLUMN override_income_minor; PRAGMA user_version = 7;"),
                  0);
    AFF_CHECK_INT(aff_store_sqlite_open(t.f.ts.path, AFF_STORE_WRITER, 0, &t.f.ts.st), AFF_OK);
    if (t.f.ts.st == NULL) {
        free(r);
        fx_close(&t.f);
        return;
    }
    t.f.ctx.st = t.f.ts.st;
    snapshot(&t, after);
    /* every row of every rollup as the writer left it */
    for (int k = 0; k < 3; k++) {
        AFF_CHECK_INT(after[k].n, before[k].n);
        for (int i = 0; i < before[k].n && i < after[k].n; i++) {
            const aff_report_row *x = &before[k].r[i], *y = &after[k].r[i];
            int same = x->day_ms == y->day_ms && x->affiliate_id == y->affiliate_id && x->link_id == y->link_id &&
                       strcmp(x->sub1, y->sub1) == 0 && memcmp(&x->m, &y->m, sizeof(x->m)) == 0;
            if (!same)
                aff_test_fail(__FILE__, __LINE__,
                              "rollup %d row %d (affiliate %lld link %lld sub1 '%s'): overrides %lld/%lld, income "
                              "%lld/%lld",
                              k, i, (long long)x->affiliate_id, (long long)x->link_id, x->sub1,
                              (long long)x->m.overrides_minor, (long long)y->m.overrides_minor,
                              (long long)x->m.override_income_minor, (long long)y->m.override_income_minor);
        }
    }
    EXPECT_VERIFIED(&t);
    free(r);
    fx_close(&t.f);
}
