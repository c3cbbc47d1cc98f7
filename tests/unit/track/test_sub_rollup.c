/* test_sub_rollup.c - the daily sub-ID rollup (stats_sub_daily, track/rollup.h) through
 * the real domain paths: clicks count under their own sub1, a conversion under its
 * click's sub1 (and remembers it), its refund and its rejection under the same sub1,
 * and the store's verification recounts every row against the raw events. Expected
 * amounts by hand (12.5 % of sales, conversion_fixture.h). */
#include <sqlite3.h>

#include "conversion_fixture.h"
#include "track/click.h"
#include "track/ledger.h"
#include "track/rollup.h"

/* A click on link1 of w->prog (affiliate a1) with sub1, at ts from ip. */
static void click_sub(world *w, const char *sub1, int64_t ts, const char *ip, char click_id[AFF_CLICK_ID_LEN + 1])
{
    aff_click_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_click_id_new(&w->f.key, ts, c->click_id), AFF_OK);
    c->ts_ms = ts;
    c->program_id = w->prog;
    c->affiliate_id = w->a1;
    c->link_id = w->link1;
    snprintf(c->ip, sizeof(c->ip), "%s", ip);
    snprintf(c->user_agent, sizeof(c->user_agent), "Mozilla/5.0 (unit test)");
    snprintf(c->sub[0], sizeof(c->sub[0]), "%s", sub1);
    snprintf(c->sub[1], sizeof(c->sub[1]), "not-rolled-up-%s", ip);
    AFF_CHECK_INT(aff_click_record(&w->f.ctx, c, aff_click_fingerprint(w->f.ctx.key, c->ip, c->user_agent)), AFF_OK);
    if (click_id != NULL)
        memcpy(click_id, c->click_id, AFF_CLICK_ID_LEN + 1);
    free(c);
}

typedef struct sub_row {
    int n;
    aff_rollup_delta m;
} sub_row;

typedef struct sub_find {
    const char *sub1;
    int64_t affiliate_id;
    sub_row out;
    int rows;
} sub_find;

static int find_sub(void *ud, const aff_report_row *r)
{
    sub_find *f = ud;
    f->rows++;
    if (strcmp(r->sub1, f->sub1) == 0 && r->affiliate_id == f->affiliate_id) {
        f->out.n++;
        f->out.m = r->m;
    }
    return 0;
}

/* The sub-ID row of (day of ts, w->prog, affiliate, sub1) over the store's report. */
static sub_row sub_of(world *w, int64_t ts, int64_t affiliate, const char *sub1, int *rows)
{
    int64_t day = ts / FX_DAY;
    aff_report_query q = {.from_hour = day * 24,
                          .to_hour = day * 24 + 23,
                          .group_mask = AFF_GROUP_SUB1 | AFF_GROUP_AFFILIATE,
                          .program_id = w->prog};
    sub_find f = {.sub1 = sub1, .affiliate_id = affiliate};
    AFF_CHECK_INT(aff_store_report(w->f.ts.st, &q, find_sub, &f), AFF_OK);
    if (rows != NULL)
        *rows = f.rows;
    return f.out;
}

static void expect_sub_verified(const char *file, int line, world *w)
{
    aff_verify_counts v;
    if (aff_store_verify(w->f.ts.st, &v) != AFF_OK) {
        aff_test_fail(file, line, "verify failed");
        return;
    }
    if (v.sub_mismatches != 0)
        aff_test_fail(file, line, "%lld sub-ID rows differ from the raw events", (long long)v.sub_mismatches);
    if (memcmp(&v.sub, &v.daily, sizeof(v.sub)) != 0 || memcmp(&v.sub, &v.raw, sizeof(v.sub)) != 0)
        aff_test_fail(file, line,
                      "sub-ID totals differ: clicks %lld/%lld, commission %lld/%lld, refunds "
                      "%lld/%lld",
                      (long long)v.sub.clicks, (long long)v.raw.clicks, (long long)v.sub.commission_minor,
                      (long long)v.raw.commission_minor, (long long)v.sub.refunds_minor,
                      (long long)v.raw.refunds_minor);
}
#define EXPECT_SUB_VERIFIED(w) expect_sub_verified(__FILE__, __LINE__, w)

AFF_TEST(sub_rollup_counts_equal_raw_clicks)
{
    world w;
    WORLD_OR_RETURN(&w);
    click_sub(&w, "fb", FX_T0, "10.0.0.1", NULL);
    click_sub(&w, "fb", FX_T0 + 1000, "10.0.0.2", NULL);
    click_sub(&w, "fb", FX_T0 + 2000, "10.0.0.2", NULL); /* same visitor again: not unique */
    click_sub(&w, "tw", FX_T0 + 3000, "10.0.0.3", NULL);
    click_sub(&w, "", FX_T0 + 4000, "10.0.0.4", NULL);
    click_sub(&w, "fb", FX_T0 + FX_DAY, "10.0.0.5", NULL); /* the next day */
    int rows = 0;
    sub_row fb = sub_of(&w, FX_T0, w.a1, "fb", &rows);
    AFF_CHECK_INT(rows, 3); /* fb, tw and no sub1: sub2 is not rolled up */
    AFF_CHECK_INT(fb.n, 1);
    AFF_CHECK_INT(fb.m.clicks, 3);
    AFF_CHECK_INT(fb.m.unique_clicks, 2);
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "tw", NULL).m.clicks, 1);
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "", NULL).m.clicks, 1);
    AFF_CHECK_INT(sub_of(&w, FX_T0 + FX_DAY, w.a1, "fb", NULL).m.clicks, 1);
    EXPECT_SUB_VERIFIED(&w);
    fx_close(&w.f);
}

AFF_TEST(sub_rollup_conversion_lands_on_its_clicks_sub1)
{
    world w;
    WORLD_OR_RETURN(&w);
    char fb_click[AFF_CLICK_ID_LEN + 1], tw_click[AFF_CLICK_ID_LEN + 1];
    click_sub(&w, "fb", FX_T0, "10.0.0.1", fb_click);
    click_sub(&w, "tw", FX_T0 + 1000, "10.0.0.2", tw_click);
    /* a sale on the fb click, an hour later, while the last click was tw's */
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + FX_HOUR);
    snprintf(in->click_id, sizeof(in->click_id), "%s", fb_click);
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.sub1, "fb");
    aff_conversion_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(w.f.ts.st, r->conv.id, c), AFF_OK);
    AFF_CHECK_STR(c->sub1, "fb"); /* stored, for its refunds and rejection */
    sub_row fb = sub_of(&w, FX_T0, w.a1, "fb", NULL), tw = sub_of(&w, FX_T0, w.a1, "tw", NULL);
    AFF_CHECK_INT(fb.m.conversions, 1);
    AFF_CHECK_INT(fb.m.revenue_minor, 999);
    AFF_CHECK_INT(fb.m.commission_minor, 125);
    AFF_CHECK_INT(tw.m.conversions, 0);
    AFF_CHECK_INT(tw.m.commission_minor, 0);
    /* a coupon sale has no click: it counts under no sub1, for the coupon's affiliate */
    aff_conversion_input *cin = input(w.prog, "sale", "o-2", 999, "approved", FX_T0 + FX_HOUR);
    snprintf(cin->coupon, sizeof(cin->coupon), "SAVE10");
    AFF_CHECK_INT(record(&w, cin, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.sub1, "");
    sub_row none = sub_of(&w, FX_T0, w.a2, "", NULL);
    AFF_CHECK_INT(none.m.conversions, 1);
    AFF_CHECK_INT(none.m.revenue_minor, 999);
    EXPECT_SUB_VERIFIED(&w);
    free(c);
    free(cin);
    free(in);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(sub_rollup_refunds_and_rejections_subtract_from_the_sub1)
{
    world w;
    WORLD_OR_RETURN(&w);
    char fb_click[AFF_CLICK_ID_LEN + 1];
    click_sub(&w, "fb", FX_T0, "10.0.0.1", fb_click);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + FX_HOUR);
    snprintf(in->click_id, sizeof(in->click_id), "%s", fb_click);
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    int64_t sold = r->conv.id;
    /* a third refunded the next day: 333 refunds and -42 commission on fb of that day */
    AFF_CHECK_INT(refund(&w, sold, 333, FX_T0 + FX_DAY, r, &err), AFF_OK);
    sub_row next = sub_of(&w, FX_T0 + FX_DAY, w.a1, "fb", NULL);
    AFF_CHECK_INT(next.n, 1);
    AFF_CHECK_INT(next.m.refunds_minor, 333);
    AFF_CHECK_INT(next.m.commission_minor, -42);
    AFF_CHECK_INT(next.m.conversions, 0);
    EXPECT_SUB_VERIFIED(&w);
    /* a second sale on the same click, then rejected: it leaves fb of its own day */
    aff_conversion_input *in2 = input(w.prog, "sale", "o-2", 500, "pending", FX_T0 + 2 * FX_HOUR);
    snprintf(in2->click_id, sizeof(in2->click_id), "%s", fb_click);
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_OK);
    int64_t doomed = r->conv.id;
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "fb", NULL).m.conversions, 2);
    memset(&err, 0, sizeof(err));
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, doomed, "test", FX_T0 + 3 * FX_DAY, &err), AFF_OK);
    sub_row fb = sub_of(&w, FX_T0, w.a1, "fb", NULL);
    AFF_CHECK_INT(fb.m.conversions, 1);
    AFF_CHECK_INT(fb.m.revenue_minor, 999);
    AFF_CHECK_INT(fb.m.commission_minor, 125);
    EXPECT_SUB_VERIFIED(&w);
    free(in2);
    free(in);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(sub_rollup_verify_finds_a_wrong_row)
{
    world w;
    WORLD_OR_RETURN(&w);
    click_sub(&w, "fb", FX_T0, "10.0.0.1", NULL);
    EXPECT_SUB_VERIFIED(&w);
    /* a click moved from fb to tw: the totals still agree, the rows do not */
    aff_rollup_delta minus = {.clicks = -1, .unique_clicks = -1}, plus = {.clicks = 1, .unique_clicks = 1};
    int64_t day = FX_T0 / FX_DAY;
    AFF_CHECK_INT(aff_store_rollup_sub_add(w.f.ts.st, day, w.prog, w.a1, "fb", &minus), AFF_OK);
    AFF_CHECK_INT(aff_store_rollup_sub_add(w.f.ts.st, day, w.prog, w.a1, "tw", &plus), AFF_OK);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(w.f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.sub.clicks, v.raw.clicks);
    AFF_CHECK_INT(v.sub_mismatches, 2); /* fb is missing its click, tw has one too many */
    /* a sub row that disagrees with stats_daily for its (day, program, affiliate) */
    aff_rollup_delta extra = {.commission_minor = 7};
    AFF_CHECK_INT(aff_store_rollup_sub_add(w.f.ts.st, day, w.prog, w.a1, "tw", &extra), AFF_OK);
    AFF_CHECK_INT(aff_store_verify(w.f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.sub_mismatches, 4); /* and the group differs from stats_daily both ways */
    fx_close(&w.f);
}

AFF_TEST(sub_rollup_report_refuses_links_and_hours)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_report_query q = {.from_hour = 24, .to_hour = 47, .group_mask = AFF_GROUP_SUB1 | AFF_GROUP_LINK};
    AFF_CHECK_INT(aff_store_report(w.f.ts.st, &q, find_sub, &(sub_find){.sub1 = ""}), AFF_EINVAL);
    q.group_mask = AFF_GROUP_SUB1;
    q.link_id = w.link1;
    AFF_CHECK_INT(aff_store_report(w.f.ts.st, &q, find_sub, &(sub_find){.sub1 = ""}), AFF_EINVAL);
    q.link_id = 0;
    q.to_hour = 30; /* not a whole day */
    AFF_CHECK_INT(aff_store_report(w.f.ts.st, &q, find_sub, &(sub_find){.sub1 = ""}), AFF_EINVAL);
    fx_close(&w.f);
}

AFF_TEST(sub_rollup_migration_fills_the_rows_of_earlier_events)
{
    world w;
    WORLD_OR_RETURN(&w);
    char fb_click[AFF_CLICK_ID_LEN + 1];
    click_sub(&w, "fb", FX_T0, "10.0.0.1", fb_click);
    click_sub(&w, "tw", FX_T0 + 1000, "10.0.0.2", NULL);
    click_sub(&w, "tw", FX_T0 + FX_DAY, "10.0.0.3", NULL);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + FX_HOUR);
    snprintf(in->click_id, sizeof(in->click_id), "%s", fb_click);
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(refund(&w, r->conv.id, 333, FX_T0 + FX_DAY, r, &err), AFF_OK);
    /* back to the schema before migration 6 (and 7 and 8, which follow it), then open
     * again: all run */
    aff_store_close(w.f.ts.st);
    w.f.ts.st = NULL;
    AFF_CHECK_INT(
        aff_test_store_exec_raw(
            w.f.ts.path,
            "ALTER TABLE stats_hourly DROP COLUMN overrides_minor;"
            " ALTER TABLE stats_hourly DROP COLUMN override_income_minor;"
            " ALTER TABLE stats_daily DROP COLUMN overrides_minor;"
            " ALTER TABLE stats_daily DROP COLUMN override_income_minor;"
            " DROP TABLE stats_sub_daily; ALTER TABLE conversion DROP COLUMN sub1; DROP TABLE program_terms;"
            " DROP TABLE application; DROP TABLE creative; DROP TABLE announcement; PRAGMA user_version = 5;"),
        0);
    AFF_CHECK_INT(aff_store_sqlite_open(w.f.ts.path, AFF_STORE_WRITER, 0, &w.f.ts.st), AFF_OK);
    if (w.f.ts.st == NULL) {
        fx_close(&w.f);
        return;
    }
    w.f.ctx.st = w.f.ts.st;
    /* clicks by their sub1; the conversion, whose click's sub1 was not kept, under "" */
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "fb", NULL).m.clicks, 1);
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "fb", NULL).m.conversions, 0);
    AFF_CHECK_INT(sub_of(&w, FX_T0, w.a1, "tw", NULL).m.clicks, 1);
    AFF_CHECK_INT(sub_of(&w, FX_T0 + FX_DAY, w.a1, "tw", NULL).m.clicks, 1);
    sub_row none = sub_of(&w, FX_T0, w.a1, "", NULL);
    AFF_CHECK_INT(none.m.conversions, 1);
    AFF_CHECK_INT(none.m.revenue_minor, 999);
    AFF_CHECK_INT(none.m.commission_minor, 125);
    AFF_CHECK_INT(sub_of(&w, FX_T0 + FX_DAY, w.a1, "", NULL).m.refunds_minor, 333);
    EXPECT_SUB_VERIFIED(&w);
    free(in);
    free(r);
    fx_close(&w.f);
}
