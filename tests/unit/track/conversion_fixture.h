/*
 * conversion_fixture.h - the world the conversion and refund tests share: two programs
 * (12.5 % of sales, 200 flat per lead), two affiliates, a link in each program and a
 * coupon, built through the catalog on a throw-away store; input/result builders; and
 * checks of the ledger invariant and of rollups against the store's raw recount.
 * Header-only (static inline).
 */
#ifndef AFF_TEST_CONVERSION_FIXTURE_H
#define AFF_TEST_CONVERSION_FIXTURE_H

#include "track/conversion.h"
#include "track_fixture.h"

/* 12.5 % of sales (999 -> 124.875 -> 125), 200 flat per lead. */
#define PLAN "{\"lead\":{\"flat_minor\":200},\"sale\":{\"percent\":\"12.5\"}}"

typedef struct world {
    fx f;
    int64_t prog, other, a1, a2, link1, link_other, coupon;
} world;

static inline int world_open(world *w)
{
    memset(w, 0, sizeof(*w));
    if (fx_open(&w->f) != 0)
        return -1;
    w->prog = fx_program(&w->f, "Shop", "USD", "last_click", 30, PLAN);
    w->other = fx_program(&w->f, "Other", "EUR", "last_click", 30, PLAN);
    w->a1 = fx_affiliate(&w->f, "ann", 0);
    w->a2 = fx_affiliate(&w->f, "bob", 0);
    w->link1 = fx_link(&w->f, "alice", w->prog, w->a1);
    w->link_other = fx_link(&w->f, "elsewhere", w->other, w->a2);
    w->coupon = fx_coupon(&w->f, "SAVE10", w->prog, w->a2);
    return w->prog && w->other && w->a1 && w->a2 && w->link1 && w->link_other && w->coupon ? 0 : -1;
}

#define WORLD_OR_RETURN(w)        \
    do {                          \
        if (world_open(w) != 0) { \
            AFF_CHECK(0);         \
            fx_close(&(w)->f);    \
            return;               \
        }                         \
    } while (0)

static inline aff_conversion_input *input(int64_t program, const char *event, const char *order, int64_t amount,
                                          const char *status, int64_t now)
{
    aff_conversion_input *in = calloc(1, sizeof(*in));
    in->program_id = program;
    snprintf(in->event, sizeof(in->event), "%s", event);
    snprintf(in->order_id, sizeof(in->order_id), "%s", order);
    in->amount_minor = amount;
    snprintf(in->currency, sizeof(in->currency), "USD");
    snprintf(in->status, sizeof(in->status), "%s", status);
    in->now_ms = now;
    return in;
}

static inline aff_conversion_result *result(void)
{
    return calloc(1, sizeof(aff_conversion_result));
}

static inline int record(world *w, const aff_conversion_input *in, aff_conversion_result *out, aff_errinfo *err)
{
    memset(err, 0, sizeof(*err));
    return aff_conversion_record(&w->f.ctx, in, out, err);
}

static inline int refund(world *w, int64_t id, int64_t amount, int64_t now, aff_conversion_result *out,
                         aff_errinfo *err)
{
    memset(err, 0, sizeof(*err));
    return aff_conversion_refund(&w->f.ctx, id, amount, now, out, err);
}

/* Sum and count of the stored ledger lines of a conversion (all statuses). */
static inline int cb_sum(void *ud, const aff_ledger_row *r)
{
    int64_t *acc = ud;
    acc[0] += r->amount_minor;
    acc[1]++;
    return 0;
}

static inline void stored_lines(world *w, int64_t conv, int64_t *sum, int64_t *count)
{
    int64_t acc[2] = {0, 0};
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    q.conversion_id = conv;
    AFF_CHECK_INT(aff_store_ledger_list(w->f.ts.st, &q, cb_sum, acc), AFF_OK);
    *sum = acc[0];
    *count = acc[1];
}

/* Reload the conversion from the store and check the ledger invariant. */
static inline void expect_ledger_ok(const char *file, int line, world *w, int64_t id)
{
    aff_conversion_result *r = result();
    int rc = aff_conversion_load(w->f.ts.st, id, r);
    if (rc != AFF_OK)
        aff_test_fail(file, line, "load %lld: rc %d", (long long)id, rc);
    else if (!aff_conversion_check_ledger(r))
        aff_test_fail(file, line, "conversion %lld: ledger invariant broken", (long long)id);
    free(r);
}
#define EXPECT_LEDGER_OK(w, id) expect_ledger_ok(__FILE__, __LINE__, w, id)

/* Rollups must equal the raw recount, counter by counter. */
static inline void expect_rollups_match(const char *file, int line, world *w)
{
    aff_verify_counts v;
    int rc = aff_store_verify(w->f.ts.st, &v);
    if (rc != AFF_OK) {
        aff_test_fail(file, line, "verify rc %d", rc);
        return;
    }
    const int64_t raw[10] = {
        v.raw.clicks,          v.raw.unique_clicks,        v.raw.bot_clicks,       v.raw.rejected_clicks,
        v.raw.conversions,     v.raw.revenue_minor,        v.raw.commission_minor, v.raw.refunds_minor,
        v.raw.overrides_minor, v.raw.override_income_minor};
    const int64_t rol[10] = {
        v.rollup.clicks,          v.rollup.unique_clicks,        v.rollup.bot_clicks,       v.rollup.rejected_clicks,
        v.rollup.conversions,     v.rollup.revenue_minor,        v.rollup.commission_minor, v.rollup.refunds_minor,
        v.rollup.overrides_minor, v.rollup.override_income_minor};
    static const char *const names[10] = {
        "clicks",        "unique_clicks",    "bot_clicks",    "rejected_clicks", "conversions",
        "revenue_minor", "commission_minor", "refunds_minor", "overrides_minor", "override_income_minor"};
    for (int i = 0; i < 10; i++)
        if (raw[i] != rol[i])
            aff_test_fail(file, line, "%s: raw %lld, rollup %lld", names[i], (long long)raw[i], (long long)rol[i]);
    if (v.override_mismatches != 0)
        aff_test_fail(file, line, "%lld (program, affiliate) override totals differ from the ledger",
                      (long long)v.override_mismatches);
}
#define EXPECT_ROLLUPS_MATCH(w) expect_rollups_match(__FILE__, __LINE__, w)

/* Totals of the rollups of one program. */
static inline int cb_total(void *ud, const aff_report_row *r)
{
    *(aff_rollup_delta *)ud = r->m;
    return 0;
}

static inline aff_rollup_delta totals(world *w, int64_t program)
{
    aff_rollup_delta m;
    memset(&m, 0, sizeof(m));
    aff_report_query q = {.from_hour = 0, .to_hour = INT64_MAX / 2, .program_id = program};
    AFF_CHECK_INT(aff_store_report(w->f.ts.st, &q, cb_total, &m), AFF_OK);
    return m;
}

#endif
