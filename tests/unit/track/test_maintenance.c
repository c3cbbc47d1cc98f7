/* test_maintenance.c - track/maintenance.c: cost per click charged once per ended hour
 * from the rollups, auto-approval after the hold, release to payable, scheduled payout
 * runs. Expected amounts by hand. */
#include "track/maintenance.h"
#include "track/verify.h"
#include "conversion_fixture.h"

typedef struct sums {
    int64_t n, amount, cpc;
} sums;

static int sum_line(void *ud, const aff_ledger_row *l)
{
    sums *s = ud;
    s->n++;
    s->amount += l->amount_minor;
    s->cpc += strcmp(l->kind, "cpc") == 0;
    return 0;
}

static sums lines_of(fx *f, int64_t affiliate)
{
    sums s = {0};
    aff_list_query q = {.affiliate_id = affiliate};
    AFF_CHECK_INT(aff_store_ledger_list(f->ts.st, &q, sum_line, &s), AFF_OK);
    return s;
}

AFF_TEST(maintenance_charges_unique_clicks_once_per_ended_hour)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{\"click\":{\"flat_minor\":5}}");
    int64_t a = fx_affiliate(&f, "ann", 0), b = fx_affiliate(&f, "bob", 0);
    int64_t la = fx_link(&f, "ann1", p, a), lb = fx_link(&f, "bob1", p, b);
    char id[AFF_CLICK_ID_LEN + 1];
    aff_maintenance_stats st;
    /* The first round only marks where charging starts: the hour before T0's. */
    AFF_CHECK_INT(aff_maintenance_run(f.ts.st, FX_T0 + 10 * 60000, &st), AFF_OK);
    AFF_CHECK_INT(st.cpc_lines, 0);
    /* In T0's hour: ann gets 3 unique visitors and one repeat, bob 1. */
    fx_click(&f, p, a, la, FX_T0 + 1000, "192.0.2.1", id);
    fx_click(&f, p, a, la, FX_T0 + 2000, "192.0.2.2", id);
    fx_click(&f, p, a, la, FX_T0 + 3000, "192.0.2.3", id);
    fx_click(&f, p, a, la, FX_T0 + 4000, "192.0.2.3", id); /* not unique */
    fx_click(&f, p, b, lb, FX_T0 + 5000, "192.0.2.9", id);
    /* T0's hour ended, but less than 5 minutes ago: nothing yet. */
    AFF_CHECK_INT(aff_maintenance_run(f.ts.st, FX_T0 + FX_HOUR + 60000, &st), AFF_OK);
    AFF_CHECK_INT(st.cpc_lines, 0);
    /* 6 minutes after: ann 3 x 5 = 15, bob 1 x 5 = 5, each one "cpc" line. */
    AFF_CHECK_INT(aff_maintenance_run(f.ts.st, FX_T0 + FX_HOUR + 6 * 60000, &st), AFF_OK);
    AFF_CHECK_INT(st.cpc_lines, 2);
    sums sa = lines_of(&f, a), sb = lines_of(&f, b);
    AFF_CHECK_INT(sa.amount, 15);
    AFF_CHECK_INT(sa.cpc, 1);
    AFF_CHECK_INT(sb.amount, 5);
    /* Never twice for the same hour. */
    AFF_CHECK_INT(aff_maintenance_run(f.ts.st, FX_T0 + 2 * FX_HOUR + 6 * 60000, &st), AFF_OK);
    AFF_CHECK_INT(st.cpc_lines, 0);
    AFF_CHECK_INT(lines_of(&f, a).amount, 15);
    /* The lines are in the reports: raw recount == rollups. */
    aff_verify_report v;
    AFF_CHECK_INT(aff_verify_run(f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.counts.raw.commission_minor, 20);
    AFF_CHECK_INT(v.counts.rollup.commission_minor, 20);
    AFF_CHECK(aff_verify_ok(&v));
    fx_close(&f);
}

typedef struct statuses {
    int pending, approved, payable;
} statuses;

static int count_status(void *ud, const aff_ledger_row *l)
{
    statuses *s = ud;
    s->pending += strcmp(l->status, "pending") == 0;
    s->approved += strcmp(l->status, "approved") == 0;
    s->payable += strcmp(l->status, "payable") == 0;
    return 0;
}

AFF_TEST(maintenance_approves_after_hold_and_releases_approved_affiliates)
{
    world w;
    WORLD_OR_RETURN(&w); /* hold_days 30 */
    aff_errinfo err;
    aff_conversion_input *in = input(w.prog, "sale", "h1", 1000, "pending", FX_T0);
    snprintf(in->referral_code, sizeof(in->referral_code), "alice");
    aff_conversion_result *r = result();
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    aff_maintenance_stats st;
    statuses s = {0};
    aff_list_query q = {.conversion_id = r->conv.id};
    /* 29 days later: still pending. */
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + 29 * FX_DAY, &st), AFF_OK);
    AFF_CHECK_INT(st.approved_lines, 0);
    AFF_CHECK_INT(aff_store_ledger_list(w.f.ts.st, &q, count_status, &s), AFF_OK);
    AFF_CHECK_INT(s.pending, 1);
    /* 30 days: approved, and (ann is approved) payable in the same round. */
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + 30 * FX_DAY, &st), AFF_OK);
    AFF_CHECK_INT(st.approved_lines, 1);
    AFF_CHECK_INT(st.approved_conversions, 1);
    AFF_CHECK_INT(st.released_lines, 1);
    memset(&s, 0, sizeof(s));
    AFF_CHECK_INT(aff_store_ledger_list(w.f.ts.st, &q, count_status, &s), AFF_OK);
    AFF_CHECK_INT(s.payable, 1);
    aff_conversion_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(w.f.ts.st, r->conv.id, c), AFF_OK);
    AFF_CHECK_STR(c->status, "approved");
    free(c);
    free(in);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(maintenance_suspended_affiliate_lines_stay_approved)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_affiliate_row a;
    AFF_CHECK_INT(aff_store_affiliate_get(w.f.ts.st, w.a1, &a), AFF_OK);
    snprintf(a.status, sizeof(a.status), "suspended");
    AFF_CHECK_INT(aff_store_affiliate_update(w.f.ts.st, &a), AFF_OK);
    aff_errinfo err;
    aff_conversion_input *in = input(w.prog, "sale", "s1", 1000, "approved", FX_T0);
    snprintf(in->referral_code, sizeof(in->referral_code), "alice");
    aff_conversion_result *r = result();
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    aff_maintenance_stats st;
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + FX_HOUR, &st), AFF_OK);
    AFF_CHECK_INT(st.released_lines, 0);
    statuses s = {0};
    aff_list_query q = {.conversion_id = r->conv.id};
    AFF_CHECK_INT(aff_store_ledger_list(w.f.ts.st, &q, count_status, &s), AFF_OK);
    AFF_CHECK_INT(s.approved, 1);
    free(in);
    free(r);
    fx_close(&w.f);
}

static int count_runs(void *ud, const aff_payout_run_row *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

AFF_TEST(maintenance_runs_scheduled_payouts_once_per_period)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_program_row *p = calloc(1, sizeof(*p));
    AFF_CHECK_INT(aff_store_program_get(w.f.ts.st, w.prog, p), AFF_OK);
    snprintf(p->payout_schedule, sizeof(p->payout_schedule), "monthly");
    AFF_CHECK_INT(aff_store_program_update(w.f.ts.st, p), AFF_OK);
    free(p);
    aff_maintenance_stats st;
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0, &st), AFF_OK);
    AFF_CHECK_INT(st.payout_runs, 1); /* May 2024: the first run */
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + 10 * FX_DAY, &st), AFF_OK);
    AFF_CHECK_INT(st.payout_runs, 0); /* still May */
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + 31 * FX_DAY, &st), AFF_OK);
    AFF_CHECK_INT(st.payout_runs, 1); /* June */
    int runs = 0;
    aff_list_query all = {0};
    AFF_CHECK_INT(aff_store_payout_run_list(w.f.ts.st, &all, count_runs, &runs), AFF_OK);
    AFF_CHECK_INT(runs, 2);
    fx_close(&w.f);
}
