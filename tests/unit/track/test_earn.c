/* test_earn.c - track/earn.c over a real store: progressive tiers, the per-affiliate
 * cap, milestone bonuses once per period, sub-affiliate shares limited by the plan's
 * depth, recurring renewals at the original sale's rate and outside their window.
 * Expected amounts by hand in the comments. */
#include "track/earn.h"
#include "track/ledger.h"
#include "conversion_fixture.h"

/* A program paying plan, with affiliates g <- p <- c (c's parent p, p's parent g) and
 * a link "kid" for c. */
typedef struct tree {
    fx f;
    int64_t prog, g, p, c, link;
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
    return t->prog && t->g && t->p && t->c && t->link ? 0 : -1;
}

#define TREE_OR_RETURN(t, plan)        \
    do {                               \
        if (tree_open(t, plan) != 0) { \
            AFF_CHECK(0);              \
            fx_close(&(t)->f);         \
            return;                    \
        }                              \
    } while (0)

/* Record a sale of amount at now by c (referral code "kid"); r gets the result. */
static int sell(tree *t, const char *order, int64_t amount, int64_t now, const char *customer, int renewal,
                aff_conversion_result *r)
{
    aff_conversion_input *in = input(t->prog, "sale", order, amount, "approved", now);
    snprintf(in->referral_code, sizeof(in->referral_code), "kid");
    snprintf(in->customer_id, sizeof(in->customer_id), "%s", customer);
    in->renewal = renewal;
    aff_errinfo err = {0};
    int rc = aff_conversion_record(&t->f.ctx, in, r, &err);
    free(in);
    return rc;
}

/* The sum of r's lines held by affiliate in slot. */
static int64_t held(const aff_conversion_result *r, int64_t affiliate, const char *slot)
{
    int64_t s = 0;
    for (int i = 0; i < r->nlines; i++)
        if (r->lines[i].affiliate_id == affiliate && strcmp(r->lines[i].slot, slot) == 0)
            s += r->lines[i].amount_minor;
    return s;
}

AFF_TEST(earn_progressive_tier_applies_from_the_crossing_conversion)
{
    tree t;
    TREE_OR_RETURN(&t,
                   "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"conversions\",\"levels\":[{\"min\":2,"
                   "\"percent\":\"15\"},{\"min\":3,\"percent\":\"20\"}],\"period\":\"month\",\"retroactive\":false}}}");
    aff_conversion_result *r1 = result(), *r2 = result(), *r3 = result(), *again = result();
    /* 1st: 10 % of 1000 = 100; 2nd: 15 % = 150; 3rd: 20 % = 200; the first two keep theirs */
    AFF_CHECK_INT(sell(&t, "p1", 1000, FX_T0, "", 0, r1), AFF_OK);
    AFF_CHECK_INT(sell(&t, "p2", 1000, FX_T0 + 1, "", 0, r2), AFF_OK);
    AFF_CHECK_INT(sell(&t, "p3", 1000, FX_T0 + 2, "", 0, r3), AFF_OK);
    AFF_CHECK_INT(r1->conv.earned_minor, 100);
    AFF_CHECK_INT(r2->conv.earned_minor, 150);
    AFF_CHECK_STR(r2->lines[0].rule, "sale:tier:1");
    AFF_CHECK_INT(r3->conv.earned_minor, 200);
    AFF_CHECK_STR(r3->lines[0].rule, "sale:tier:2");
    AFF_CHECK_INT(aff_conversion_load(t.f.ts.st, r1->conv.id, again), AFF_OK);
    AFF_CHECK_INT(again->nlines, 1); /* no adjustment: progressive */
    /* June starts a new period: back to 10 % */
    aff_conversion_result *r4 = result();
    AFF_CHECK_INT(sell(&t, "p4", 1000, FX_T0 + 31 * FX_DAY, "", 0, r4), AFF_OK);
    AFF_CHECK_INT(r4->conv.earned_minor, 100);
    free(r1), free(r2), free(r3), free(r4), free(again);
    fx_close(&t.f);
}

AFF_TEST(earn_affiliate_cap_cuts_and_then_pays_nothing)
{
    tree t;
    TREE_OR_RETURN(&t, "{\"caps\":{\"affiliate_minor\":250,\"period\":\"month\"},\"sale\":{\"percent\":\"10\"}}");
    aff_conversion_result *r = result();
    /* 100, 100, then 50 of 100 (cap 250), then 0; a new month pays again */
    int64_t want[] = {100, 100, 50, 0};
    for (int i = 0; i < 4; i++) {
        char order[16];
        snprintf(order, sizeof(order), "c%d", i);
        AFF_CHECK_INT(sell(&t, order, 1000, FX_T0 + i, "", 0, r), AFF_OK);
        AFF_CHECK_INT(r->conv.earned_minor, want[i]);
    }
    AFF_CHECK_STR(r->lines[0].rule, "caps:affiliate");
    AFF_CHECK_INT(r->lines[0].amount_minor, 0);
    AFF_CHECK_INT(sell(&t, "c9", 1000, FX_T0 + 31 * FX_DAY, "", 0, r), AFF_OK);
    AFF_CHECK_INT(r->conv.earned_minor, 100);
    free(r);
    fx_close(&t.f);
}

AFF_TEST(earn_bonus_once_per_period)
{
    tree t;
    TREE_OR_RETURN(&t, "{\"bonuses\":[{\"conversions\":2,\"event\":\"sale\",\"flat_minor\":700,\"name\":\"two\","
                       "\"period\":\"month\"}],\"sale\":{\"percent\":\"10\"}}");
    aff_conversion_result *r = result();
    int64_t bonus[] = {0, 700, 0, 0};
    for (int i = 0; i < 4; i++) {
        char order[16];
        snprintf(order, sizeof(order), "b%d", i);
        AFF_CHECK_INT(sell(&t, order, 1000, FX_T0 + i, "", 0, r), AFF_OK);
        AFF_CHECK_INT(held(r, t.c, "bonus:two"), bonus[i]);
    }
    /* the next month: the 2nd sale earns it again */
    AFF_CHECK_INT(sell(&t, "b5", 1000, FX_T0 + 31 * FX_DAY, "", 0, r), AFF_OK);
    AFF_CHECK_INT(held(r, t.c, "bonus:two"), 0);
    AFF_CHECK_INT(sell(&t, "b6", 1000, FX_T0 + 31 * FX_DAY + 1, "", 0, r), AFF_OK);
    AFF_CHECK_INT(held(r, t.c, "bonus:two"), 700);
    free(r);
    fx_close(&t.f);
}

AFF_TEST(earn_sub_affiliate_depth_follows_the_plan)
{
    /* one level: p earns 10 % of c's 333 (33.3 -> 33); g earns nothing */
    tree t;
    TREE_OR_RETURN(&t, "{\"sale\":{\"percent\":\"10\"},\"sub_affiliates\":[\"10\"]}");
    aff_conversion_result *r = result();
    AFF_CHECK_INT(sell(&t, "d1", 3330, FX_T0, "", 0, r), AFF_OK);
    AFF_CHECK_INT(held(r, t.c, "commission"), 333);
    AFF_CHECK_INT(held(r, t.p, "override:1"), 33);
    AFF_CHECK_INT(held(r, t.g, "override:2"), 0);
    fx_close(&t.f);
    /* two levels: p 10 % (33), g 5 % of 333 = 16.65 -> 17; a refund of half takes
     * back 167 (166.5 -> 167) of c's, 17 (16.5 -> 17) of p's, 9 (8.5 -> 9) of g's */
    TREE_OR_RETURN(&t, "{\"sale\":{\"percent\":\"10\"},\"sub_affiliates\":[\"10\",\"5\"]}");
    AFF_CHECK_INT(sell(&t, "d2", 3330, FX_T0, "", 0, r), AFF_OK);
    AFF_CHECK_INT(held(r, t.p, "override:1"), 33);
    AFF_CHECK_INT(held(r, t.g, "override:2"), 17);
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_conversion_refund(&t.f.ctx, r->conv.id, 1665, FX_T0 + 1, r, &err), AFF_OK);
    AFF_CHECK_INT(held(r, t.c, "commission"), 333 - 167);
    AFF_CHECK_INT(held(r, t.p, "override:1"), 33 - 17);
    AFF_CHECK_INT(held(r, t.g, "override:2"), 17 - 9);
    char why[160];
    AFF_CHECK(aff_ledger_check(r, why, sizeof(why)));
    free(r);
    fx_close(&t.f);
}

AFF_TEST(earn_recurring_keeps_the_original_rate_inside_its_window)
{
    tree t;
    TREE_OR_RETURN(&t, "{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":2,\"rate\":\"original\"}}}");
    aff_conversion_result *r = result();
    AFF_CHECK_INT(sell(&t, "sub-1", 1000, FX_T0, "cust-9", 0, r), AFF_OK);
    AFF_CHECK_INT(r->conv.earned_minor, 100);
    int64_t origin = r->conv.id;
    /* the program moves to 30 % (plan version 2) */
    aff_program_row *prev = calloc(1, sizeof(*prev)), *next = calloc(1, sizeof(*next));
    AFF_CHECK_INT(aff_store_program_get(t.f.ts.st, t.prog, prev), AFF_OK);
    *next = *prev;
    snprintf(next->plan_json, sizeof(next->plan_json), "%s",
             "{\"sale\":{\"percent\":\"30\",\"recurring\":{\"months\":2,\"rate\":\"original\"}}}");
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_program_update(&t.f.ctx, prev, next, &err), AFF_OK);
    fx_rebuild(&t.f);
    /* a renewal a month later: the original 10 % (version 1), attributed to c */
    AFF_CHECK_INT(sell(&t, "sub-2", 1000, FX_T0 + 31 * FX_DAY, "cust-9", 1, r), AFF_OK);
    AFF_CHECK_INT(r->conv.origin_id, origin);
    AFF_CHECK_INT(r->conv.affiliate_id, t.c);
    AFF_CHECK_INT(r->conv.earned_minor, 100);
    AFF_CHECK_INT(r->conv.plan_version, 1);
    /* a new customer's first sale pays the new 30 % */
    AFF_CHECK_INT(sell(&t, "new-1", 1000, FX_T0 + 31 * FX_DAY, "cust-10", 0, r), AFF_OK);
    AFF_CHECK_INT(r->conv.earned_minor, 300);
    /* two months after the original sale the window is over: recorded, earns nothing */
    AFF_CHECK_INT(sell(&t, "sub-3", 1000, FX_T0 + 62 * FX_DAY, "cust-9", 1, r), AFF_OK);
    AFF_CHECK_INT(r->conv.earned_minor, 0);
    AFF_CHECK_INT(r->nlines, 0);
    /* a renewal of a customer nobody brought is not attributed */
    aff_conversion_input *in = input(t.prog, "sale", "sub-x", 1000, "approved", FX_T0 + 40 * FX_DAY);
    snprintf(in->customer_id, sizeof(in->customer_id), "stranger");
    in->renewal = 1;
    AFF_CHECK_INT(aff_conversion_record(&t.f.ctx, in, r, &err), AFF_ENOATTR);
    free(in);
    free(prev);
    free(next);
    free(r);
    fx_close(&t.f);
}
