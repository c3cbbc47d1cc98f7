/* test_ledger_property.c - the ledger lifecycle (src/track/ledger.c, payout.c, and the
 * refunds of conversion.c) against docs/commissions.md and the diagram in ledger.h:
 *
 *   1. a seeded property test: random sales, refunds, approvals, rejections, holds ending,
 *      releases, payout runs and settlements on a rich plan, each in its own transaction
 *      like the writer's, with every invariant re-derived by the test after every step;
 *   2. the state machine: aff_ledger_move_allowed for every (from, to) pair against a
 *      table copied from the diagram, and each transition's success and 409 cases;
 *   3. refund sequences with exact numbers worked out by hand in the comments. */
#include <stdarg.h>
#include <stdlib.h>

#include "track/commission.h"
#include "track/conversion.h"
#include "track/ledger.h"
#include "track/payout.h"
#include "track_fixture.h"

/* ---- the diagram of ledger.h, as a table ---------------------------------------------- */

enum { S_PENDING, S_APPROVED, S_PAYABLE, S_IN_PAYOUT, S_PAID, S_REJECTED, S_REVERSED, NSTATUS };

static const char *const lp_status[NSTATUS] = {"pending", "approved", "payable", "in_payout",
                                               "paid",    "rejected", "reversed"};

/* lp_arrow[from][to]: one arrow of the diagram (one function performs it). */
static const unsigned char lp_arrow[NSTATUS][NSTATUS] = {
    /*              pend appr paya inpa paid reje reve */
    /* pending   */ {0, 1, 0, 0, 0, 1, 1}, /* approve_*, auto_approve; reject; reverse_unpaid */
    /* approved  */ {0, 0, 1, 0, 0, 1, 1}, /* release; reject; reverse_unpaid */
    /* payable   */ {0, 0, 0, 1, 0, 1, 1}, /* payout_run; reject; reverse_unpaid */
    /* in_payout */ {0, 0, 1, 0, 1, 0, 0}, /* mark_failed; mark_paid */
    /* paid      */ {0, 0, 0, 0, 0, 0, 0},
    /* rejected  */ {0, 0, 0, 0, 0, 0, 0},
    /* reversed  */ {0, 0, 0, 0, 0, 0, 0},
};

static int lp_status_of(const char *s)
{
    for (int i = 0; i < NSTATUS; i++)
        if (strcmp(lp_status[i], s) == 0)
            return i;
    return -1;
}

/* Can one operation (several arrows, e.g. a run releases then pays) lead from -> to? */
static int lp_reachable(int from, int to)
{
    int seen[NSTATUS] = {0}, stack[NSTATUS], n = 0;
    seen[from] = 1;
    stack[n++] = from;
    while (n > 0) {
        int s = stack[--n];
        for (int t = 0; t < NSTATUS; t++)
            if (lp_arrow[s][t] && !seen[t]) {
                seen[t] = 1;
                stack[n++] = t;
            }
    }
    return seen[to];
}

/* round_half_away_from_zero(a / d), d > 0: the test's own rounding, not money.c's. */
static int64_t lp_div_round(__int128 a, int64_t d)
{
    __int128 q = (a < 0 ? -a : a), r;
    r = q % d;
    q /= d;
    if (2 * r >= d)
        q++;
    return (int64_t)(a < 0 ? -q : q);
}

/* What a share is owed, from docs/commissions.md section 2 (independent of ledger.c). */
static int64_t lp_owed(const aff_conversion_row *c, const char *slot, int64_t gross)
{
    if (strncmp(slot, "bonus:", 6) == 0)
        return gross;
    if (strcmp(c->status, "reversed") == 0)
        return 0;
    if (c->refunded_minor == 0)
        return gross;
    return gross - lp_div_round((__int128)gross * c->refunded_minor, c->amount_minor);
}

/* ---- a world built through the catalog ------------------------------------------------- */

static int64_t lp_program(fx *f, const char *currency, const char *plan, int hold_days, int64_t min_payout)
{
    aff_program_row *p = calloc(1, sizeof(*p));
    aff_plan *parsed = malloc(sizeof(*parsed));
    aff_errinfo err = {0};
    int64_t id = 0;
    int rc = aff_plan_parse(plan, parsed, p->plan_json, sizeof(p->plan_json), &err);
    if (rc != 0)
        aff_test_fail(__FILE__, __LINE__, "plan %s: %s", plan, err.msg);
    snprintf(p->name, sizeof(p->name), "prog-%s", currency);
    snprintf(p->kind, sizeof(p->kind), "affiliate");
    snprintf(p->currency, sizeof(p->currency), "%s", currency);
    snprintf(p->destination_url, sizeof(p->destination_url), "https://shop.example/");
    snprintf(p->allowed_domains, sizeof(p->allowed_domains), "shop.example");
    p->cookie_days = 30;
    snprintf(p->attribution, sizeof(p->attribution), "last_click");
    snprintf(p->click_id_param, sizeof(p->click_id_param), "click_id");
    snprintf(p->payout_schedule, sizeof(p->payout_schedule), "manual");
    p->hold_days = hold_days;
    p->min_payout_minor = min_payout;
    if (rc == 0) {
        rc = aff_catalog_program_create(&f->ctx, p, &err);
        AFF_CHECK_INT(rc, AFF_OK);
    }
    if (rc == 0 && fx_rebuild(f) == 0)
        id = p->id;
    free(parsed);
    free(p);
    return id;
}

static int64_t lp_affiliate(fx *f, const char *name, const char *status, int64_t parent)
{
    aff_affiliate_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.email, sizeof(a.email), "%s@example.com", name);
    snprintf(a.status, sizeof(a.status), "%s", status);
    a.parent_id = parent;
    char key[AFF_API_KEY_LEN];
    aff_errinfo err = {0};
    int rc = aff_catalog_affiliate_create(&f->ctx, &a, key, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc != 0 || fx_rebuild(f) != 0)
        return 0;
    return a.id;
}

/* Record a sale attributed by coupon. Returns the record's rc; out gets the result. */
static int lp_sale(fx *f, int64_t prog, const char *coupon, const char *order, int64_t amount, int64_t shipping,
                   const char *items, const char *status, int64_t now, aff_conversion_result *out)
{
    aff_conversion_input *in = calloc(1, sizeof(*in));
    in->program_id = prog;
    snprintf(in->event, sizeof(in->event), "sale");
    snprintf(in->order_id, sizeof(in->order_id), "%s", order);
    in->amount_minor = amount;
    in->shipping_minor = shipping;
    snprintf(in->status, sizeof(in->status), "%s", status);
    snprintf(in->coupon, sizeof(in->coupon), "%s", coupon);
    snprintf(in->items_json, sizeof(in->items_json), "%s", items != NULL ? items : "");
    in->now_ms = now;
    aff_errinfo err = {0};
    int rc = aff_conversion_record(&f->ctx, in, out, &err);
    free(in);
    return rc;
}

/* One operation's transaction, as the writer runs it: commit on success, else roll back. */
static int lp_begin(fx *f)
{
    int rc = aff_store_begin(f->ts.st);
    AFF_CHECK_INT(rc, AFF_OK);
    return rc;
}

static int lp_end(fx *f, int rc)
{
    if (rc == 0) {
        int crc = aff_store_commit(f->ts.st);
        AFF_CHECK_INT(crc, AFF_OK);
        return crc;
    }
    aff_store_rollback(f->ts.st);
    return rc;
}

/* ---- store readers ----------------------------------------------------------------------- */

typedef struct lp_rows {
    aff_ledger_row *v;
    size_t n, cap;
} lp_rows;

static int lp_collect_line(void *ud, const aff_ledger_row *l)
{
    lp_rows *r = ud;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        aff_ledger_row *v = realloc(r->v, cap * sizeof(*v));
        if (v == NULL)
            return AFF_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = *l;
    return 0;
}

/* Every line (any status, program, affiliate), in id order. */
static int lp_all_lines(aff_store *st, lp_rows *r)
{
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    r->n = 0;
    return aff_store_ledger_list(st, &q, lp_collect_line, r);
}

typedef struct lp_payouts {
    aff_payout_row v[512];
    int n;
} lp_payouts;

static int lp_collect_payout(void *ud, const aff_payout_row *p)
{
    lp_payouts *ps = ud;
    if (ps->n == (int)(sizeof(ps->v) / sizeof(ps->v[0])))
        return AFF_ERANGE;
    ps->v[ps->n++] = *p;
    return 0;
}

typedef struct lp_balances {
    aff_balance_row v[64];
    int n;
} lp_balances;

static int lp_collect_balance(void *ud, const aff_balance_row *b)
{
    lp_balances *bs = ud;
    if (bs->n == (int)(sizeof(bs->v) / sizeof(bs->v[0])))
        return AFF_ERANGE;
    bs->v[bs->n++] = *b;
    return 0;
}

static aff_balance_row lp_balance_of(fx *f, int64_t prog, int64_t aff)
{
    lp_balances *bs = calloc(1, sizeof(*bs));
    aff_list_query q = {.program_id = prog, .affiliate_id = aff};
    AFF_CHECK_INT(aff_store_balance_list(f->ts.st, &q, lp_collect_balance, bs), AFF_OK);
    aff_balance_row b;
    memset(&b, 0, sizeof(b));
    if (bs->n == 1)
        b = bs->v[0];
    free(bs);
    return b;
}

/* ======================================================================================== */
/* 1. the property test                                                                     */
/* ======================================================================================== */

/* Percent default with exclusions, a percent and a flat sku override, retroactive tiers by
 * conversions, a milestone bonus, two parent levels and a monthly cap per affiliate. */
#define LP_PLAN                                                                                            \
    "{\"sale\": {\"percent\": \"7.5\", \"exclude\": [\"shipping\"],"                                       \
    "  \"skus\": {\"GADGET\": {\"percent\": \"12.5\"}, \"MUG\": {\"flat_minor\": 135}},"                   \
    "  \"tiers\": {\"basis\": \"conversions\", \"period\": \"month\", \"retroactive\": true,"              \
    "             \"levels\": [{\"min\": 2, \"percent\": \"9\"}, {\"min\": 4, \"percent\": \"11.25\"}]}}," \
    " \"bonuses\": [{\"name\": \"third\", \"event\": \"sale\", \"conversions\": 3, \"flat_minor\": 777}]," \
    " \"sub_affiliates\": [\"10\", \"3.3\"],"                                                              \
    " \"caps\": {\"affiliate_minor\": 40000, \"period\": \"month\"}}"
#define LP_MIN_PAYOUT 2500
#define LP_NAFF 6

typedef struct lp_line {
    int64_t amount, affiliate, conversion;
    char slot[48];
    int status;
    int ever_payout; /* seen in_payout or paid after some operation */
    int known;
} lp_line;

enum { POST_NONE, POST_AUTO, POST_RELEASE, POST_RUN };

typedef struct lp_state {
    fx f;
    uint64_t seed, rng;
    int op;
    char what[256];
    int failed;
    int64_t now, prog;
    int64_t aff[LP_NAFF];
    int aff_approved[LP_NAFF];
    int64_t *convs;
    int *conv_state; /* by index in convs: S_PENDING, S_APPROVED or -1, as last checked */
    int nconvs, capconvs;
    int64_t new_conv; /* the sale of this operation, kept once committed */
    int post;         /* POST_*: what the operation promises beyond the invariants */
    int64_t run_payouts, payouts_before;
    lp_line *lines; /* by line id */
    int64_t cap_lines, nknown, max_line;
    int pay_status[512]; /* by payout id: 0 unseen, else PAY_* */
    lp_rows rows;
    lp_payouts *payouts;
    lp_balances *balances;
    aff_conversion_result *r;
    int done[16]; /* operations that succeeded, by kind: every kind must have run */
} lp_state;

enum { PAY_PENDING = 1, PAY_PAID, PAY_FAILED };

static uint64_t lp_next(uint64_t *x) /* splitmix64 */
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t lp_range(lp_state *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lp_next(&s->rng) % (uint64_t)(hi - lo + 1));
}

static int lp_fail(lp_state *s, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int lp_fail(lp_state *s, int line, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    aff_test_fail(__FILE__, line, "seed %llu, operation %d (%s): %s", (unsigned long long)s->seed, s->op, s->what, why);
    s->failed = 1;
    return -1;
}
#define LP_FAIL(s, ...) lp_fail(s, __LINE__, __VA_ARGS__)

static int lp_aff_index(const lp_state *s, int64_t id)
{
    for (int i = 0; i < LP_NAFF; i++)
        if (s->aff[i] == id)
            return i;
    return -1;
}

/* ---- operations: each returns its rc inside the transaction and sets *expect ---------- */

static int64_t lp_amount(lp_state *s)
{
    int64_t k = lp_range(s, 0, 9);
    if (k < 2)
        return lp_range(s, 1, 60); /* rounding at the smallest amounts */
    if (k < 8)
        return lp_range(s, 61, 60000);
    return lp_range(s, 60001, 450000); /* big enough to reach the monthly cap */
}

/* 0..3 random items; their units may add up to more than the base (pro rata). */
static void lp_items(lp_state *s, int64_t amount, char *buf, size_t cap)
{
    static const char *const skus[] = {"GADGET", "MUG", "BOOK", ""};
    int n = (int)lp_range(s, 0, 3);
    size_t len = 0;
    buf[0] = '\0';
    if (n == 0)
        return;
    len += (size_t)snprintf(buf + len, cap - len, "[");
    for (int i = 0; i < n && len < cap; i++) {
        const char *sku = skus[lp_range(s, 0, 3)];
        int64_t unit = lp_range(s, 1, amount / 2 + 1), qty = lp_range(s, 1, 3);
        char skupart[32] = "";
        if (sku[0])
            snprintf(skupart, sizeof(skupart), "\"sku\":\"%s\",", sku);
        len += (size_t)snprintf(buf + len, cap - len, "%s{%s\"amount_minor\":%lld,\"quantity\":%lld}", i ? "," : "",
                                skupart, (long long)unit, (long long)qty);
    }
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
}

static int op_sale(lp_state *s, int *expect)
{
    int who = (int)lp_range(s, 0, LP_NAFF - 1);
    int64_t amount = lp_amount(s);
    int64_t shipping = lp_range(s, 0, 3) == 0 ? lp_range(s, 0, amount / 4) : 0;
    char items[400], order[64], coupon[16];
    lp_items(s, amount, items, sizeof(items));
    int64_t k = lp_range(s, 0, 19);
    const char *status = k == 0 ? "rejected" : k < 5 ? "approved" : "pending";
    snprintf(order, sizeof(order), "o-%llu-%d", (unsigned long long)s->seed, s->op);
    snprintf(coupon, sizeof(coupon), "C%d", who);
    snprintf(s->what, sizeof(s->what), "sale %lld (shipping %lld, items %.160s), %s, by affiliate %lld",
             (long long)amount, (long long)shipping, items[0] ? items : "none", status, (long long)s->aff[who]);
    *expect = AFF_OK;
    int rc = lp_sale(&s->f, s->prog, coupon, order, amount, shipping, items, status, s->now, s->r);
    if (rc == 0)
        s->new_conv = s->r->conv.id;
    return rc;
}

/* Any conversion, or mostly (3 in 4) one in state want (S_PENDING; S_APPROVED: pending
 * or approved) when there is one, so that approvals and rejections do succeed. */
static int64_t lp_pick_conversion(lp_state *s, int want)
{
    int n = 0;
    for (int i = 0; i < s->nconvs; i++)
        n += s->conv_state[i] >= 0 && s->conv_state[i] <= want;
    if (want < 0 || n == 0 || lp_range(s, 0, 3) == 0)
        return s->convs[lp_range(s, 0, s->nconvs - 1)];
    int k = (int)lp_range(s, 0, n - 1);
    for (int i = 0; i < s->nconvs; i++)
        if (s->conv_state[i] >= 0 && s->conv_state[i] <= want && k-- == 0)
            return s->convs[i];
    return s->convs[0];
}

static int lp_reached_payout(const aff_conversion_result *r)
{
    for (int i = 0; i < r->nlines; i++)
        if (strcmp(r->lines[i].status, "in_payout") == 0 || strcmp(r->lines[i].status, "paid") == 0)
            return 1;
    return 0;
}

static int op_refund(lp_state *s, int *expect)
{
    int64_t id = lp_pick_conversion(s, -1);
    int rc = aff_conversion_load(s->f.ts.st, id, s->r);
    if (rc != 0)
        return LP_FAIL(s, "load %lld: %d", (long long)id, rc);
    const aff_conversion_row *c = &s->r->conv;
    int64_t remaining = c->amount_minor - c->refunded_minor, k = lp_range(s, 0, 9), amount;
    if (k < 3)
        amount = -1; /* the rest */
    else if (k == 3)
        amount = remaining + lp_range(s, 1, 100); /* more than remains */
    else
        amount = remaining > 0 ? lp_range(s, 1, remaining) : 1;
    if (strcmp(c->status, "rejected") == 0)
        *expect = AFF_EINVAL;
    else if (strcmp(c->status, "reversed") == 0)
        *expect = AFF_ECONFLICT;
    else
        *expect = amount > remaining ? AFF_EINVAL : AFF_OK;
    snprintf(s->what, sizeof(s->what), "refund %lld of conversion %lld (%s, amount %lld, refunded %lld)",
             (long long)amount, (long long)id, c->status, (long long)c->amount_minor, (long long)c->refunded_minor);
    aff_errinfo err = {0};
    return aff_conversion_refund(&s->f.ctx, id, amount, s->now, s->r, &err);
}

static int op_approve(lp_state *s, int *expect)
{
    int64_t id = lp_pick_conversion(s, S_PENDING);
    aff_conversion_row c;
    int rc = aff_store_conversion_get(s->f.ts.st, id, &c);
    if (rc != 0)
        return LP_FAIL(s, "get %lld: %d", (long long)id, rc);
    *expect = strcmp(c.status, "pending") == 0 ? AFF_OK : AFF_ECONFLICT;
    snprintf(s->what, sizeof(s->what), "approve conversion %lld (%s)", (long long)id, c.status);
    aff_errinfo err = {0};
    return aff_ledger_approve_conversion(&s->f.ctx, id, s->now, &err);
}

static int op_reject(lp_state *s, int *expect)
{
    int64_t id = lp_pick_conversion(s, S_APPROVED);
    int rc = aff_conversion_load(s->f.ts.st, id, s->r);
    if (rc != 0)
        return LP_FAIL(s, "load %lld: %d", (long long)id, rc);
    const char *st = s->r->conv.status;
    int open = strcmp(st, "pending") == 0 || strcmp(st, "approved") == 0;
    int paid = lp_reached_payout(s->r);
    *expect = open && !paid ? AFF_OK : AFF_ECONFLICT;
    snprintf(s->what, sizeof(s->what), "reject conversion %lld (%s%s)", (long long)id, st,
             paid ? ", a line reached a payout" : "");
    aff_errinfo err = {0};
    return aff_ledger_reject_conversion(&s->f.ctx, id, "fraud", s->now, &err);
}

static int op_approve_line(lp_state *s, int *expect)
{
    int64_t id = lp_range(s, 1, s->max_line), npending = 0;
    for (int64_t i = 1; i <= s->max_line; i++)
        npending += s->lines[i].status == S_PENDING;
    if (npending > 0 && lp_range(s, 0, 3) != 0) { /* mostly a pending line, sometimes any */
        int64_t k = lp_range(s, 0, npending - 1);
        for (id = 1; id <= s->max_line; id++)
            if (s->lines[id].status == S_PENDING && k-- == 0)
                break;
    }
    *expect = s->lines[id].status == S_PENDING ? AFF_OK : AFF_ECONFLICT;
    snprintf(s->what, sizeof(s->what), "approve line %lld (%s)", (long long)id, lp_status[s->lines[id].status]);
    aff_errinfo err = {0};
    return aff_ledger_approve_line(s->f.ts.st, id, s->now, &err);
}

static int op_auto_approve(lp_state *s, int *expect)
{
    s->now += lp_range(s, 0, 12 * FX_DAY);
    aff_clock_set_fake(s->now);
    snprintf(s->what, sizeof(s->what), "auto-approve at day %lld", (long long)((s->now - FX_T0) / FX_DAY));
    *expect = AFF_OK;
    s->post = POST_AUTO;
    int64_t lines = 0, convs = 0;
    return aff_ledger_auto_approve(s->f.ts.st, s->now, &lines, &convs);
}

static int op_release(lp_state *s, int *expect)
{
    int64_t prog = lp_range(s, 0, 1) ? s->prog : 0;
    snprintf(s->what, sizeof(s->what), "release program %lld", (long long)prog);
    *expect = AFF_OK;
    s->post = POST_RELEASE;
    int64_t n = 0;
    return aff_ledger_release(s->f.ts.st, prog, s->now, &n);
}

static int op_run(lp_state *s, int *expect)
{
    int64_t prog = lp_range(s, 0, 1) ? s->prog : 0;
    snprintf(s->what, sizeof(s->what), "payout run for program %lld", (long long)prog);
    *expect = AFF_OK;
    s->post = POST_RUN;
    s->payouts_before = s->payouts->n;
    aff_payout_run_result res;
    aff_errinfo err = {0};
    int rc = aff_payout_run(s->f.ts.st, prog, "api", s->now, &res, &err);
    s->run_payouts = res.run.payouts;
    if (rc != 0)
        snprintf(s->what + strlen(s->what), sizeof(s->what) - strlen(s->what), ": %s", err.msg);
    return rc;
}

static int op_settle(lp_state *s, int *expect, int paid)
{
    const aff_payout_row *p = &s->payouts->v[lp_range(s, 0, s->payouts->n - 1)];
    int npending = 0;
    for (int i = 0; i < s->payouts->n; i++)
        npending += strcmp(s->payouts->v[i].status, "pending") == 0;
    if (npending > 0 && lp_range(s, 0, 3) != 0) { /* mostly a pending payout, sometimes any */
        int k = (int)lp_range(s, 0, npending - 1);
        for (int i = 0; i < s->payouts->n; i++)
            if (strcmp(s->payouts->v[i].status, "pending") == 0 && k-- == 0)
                p = &s->payouts->v[i];
    }
    *expect = strcmp(p->status, "pending") == 0 ? AFF_OK : AFF_ECONFLICT;
    snprintf(s->what, sizeof(s->what), "mark payout %lld (%s, %lld) %s", (long long)p->id, p->status,
             (long long)p->amount_minor, paid ? "paid" : "failed");
    aff_payout_row out;
    aff_errinfo err = {0};
    return paid ? aff_payout_mark_paid(s->f.ts.st, p->id, "ref-1", s->now, &out, &err)
                : aff_payout_mark_failed(s->f.ts.st, p->id, "bounced", s->now, &out, &err);
}

enum {
    OP_SALE,
    OP_REFUND,
    OP_APPROVE,
    OP_REJECT,
    OP_APPROVE_LINE,
    OP_AUTO,
    OP_RELEASE,
    OP_RUN,
    OP_PAID,
    OP_FAILED,
    NOPS
};
static const char *const lp_op_name[NOPS] = {"sale", "refund",  "approve", "reject", "approve_line",
                                             "auto", "release", "run",     "paid",   "failed"};
static const int lp_weight[NOPS] = {30, 16, 8, 5, 5, 8, 5, 9, 9, 5};

/* Run operation *kind (changed to one that can run: a sale before any conversion, a run
 * before any payout). */
static int lp_do(lp_state *s, int *kind, int *expect)
{
    if (*kind != OP_SALE && s->nconvs == 0)
        *kind = OP_SALE;
    if ((*kind == OP_PAID || *kind == OP_FAILED) && s->payouts->n == 0)
        *kind = OP_RUN;
    if (*kind == OP_APPROVE_LINE && s->max_line == 0)
        *kind = OP_SALE;
    switch (*kind) {
    case OP_SALE:
        return op_sale(s, expect);
    case OP_REFUND:
        return op_refund(s, expect);
    case OP_APPROVE:
        return op_approve(s, expect);
    case OP_REJECT:
        return op_reject(s, expect);
    case OP_APPROVE_LINE:
        return op_approve_line(s, expect);
    case OP_AUTO:
        return op_auto_approve(s, expect);
    case OP_RELEASE:
        return op_release(s, expect);
    case OP_RUN:
        return op_run(s, expect);
    case OP_PAID:
        return op_settle(s, expect, 1);
    default:
        return op_settle(s, expect, 0);
    }
}

/* ---- invariants, re-derived after every operation --------------------------------------- */

/* Lines: append-only, amounts and owners fixed, every status change a path of the
 * diagram, a paid line paid for good; nothing changed by an operation that failed. */
static int lp_check_lines(lp_state *s, int op_rc)
{
    int rc = lp_all_lines(s->f.ts.st, &s->rows);
    if (rc != 0)
        return LP_FAIL(s, "listing lines: %d", rc);
    if ((int64_t)s->rows.n < s->nknown)
        return LP_FAIL(s, "%zu lines listed, %lld seen before: a line was deleted", s->rows.n, (long long)s->nknown);
    int changes = 0;
    for (size_t i = 0; i < s->rows.n; i++) {
        const aff_ledger_row *l = &s->rows.v[i];
        int st = lp_status_of(l->status);
        if (st < 0)
            return LP_FAIL(s, "line %lld has status \"%s\"", (long long)l->id, l->status);
        if (l->id >= s->cap_lines) {
            int64_t cap = 2 * l->id + 256;
            lp_line *v = realloc(s->lines, (size_t)cap * sizeof(*v));
            if (v == NULL)
                return LP_FAIL(s, "out of memory");
            memset(v + s->cap_lines, 0, (size_t)(cap - s->cap_lines) * sizeof(*v));
            s->lines = v;
            s->cap_lines = cap;
        }
        lp_line *m = &s->lines[l->id];
        if (!m->known) {
            changes++;
            if (st != S_PENDING && st != S_APPROVED && st != S_REJECTED && st != S_REVERSED)
                return LP_FAIL(s, "new line %lld starts %s", (long long)l->id, l->status);
            m->known = 1;
            m->amount = l->amount_minor;
            m->affiliate = l->affiliate_id;
            m->conversion = l->conversion_id;
            snprintf(m->slot, sizeof(m->slot), "%s", l->slot);
            m->status = st;
            s->nknown++;
            if (l->id > s->max_line)
                s->max_line = l->id;
        } else {
            if (m->amount != l->amount_minor || m->affiliate != l->affiliate_id || m->conversion != l->conversion_id ||
                strcmp(m->slot, l->slot) != 0)
                return LP_FAIL(s, "line %lld changed amount or owner: %lld of %lld (%s) now %lld of %lld (%s)",
                               (long long)l->id, (long long)m->amount, (long long)m->affiliate, m->slot,
                               (long long)l->amount_minor, (long long)l->affiliate_id, l->slot);
            if (st != m->status) {
                changes++;
                if (m->status == S_PAID)
                    return LP_FAIL(s, "paid line %lld became %s", (long long)l->id, l->status);
                if (!lp_reachable(m->status, st))
                    return LP_FAIL(s, "line %lld moved %s -> %s, not a path of the diagram", (long long)l->id,
                                   lp_status[m->status], l->status);
                m->status = st;
            }
        }
        if (st == S_IN_PAYOUT || st == S_PAID)
            m->ever_payout = 1;
    }
    if ((int64_t)s->rows.n != s->nknown)
        return LP_FAIL(s, "%zu lines listed, %lld known: a line was deleted", s->rows.n, (long long)s->nknown);
    if (op_rc != 0 && changes != 0)
        return LP_FAIL(s, "the operation failed (rc %d) yet %d lines changed", op_rc, changes);
    return 0;
}

/* Balances by status equal the lines by status; money is conserved: the lines that are
 * not rejected sum to the balances (reversed lines sum to nothing). */
static int lp_check_balances(lp_state *s)
{
    int64_t sums[LP_NAFF][NSTATUS];
    int64_t counted = 0, held = 0, reversed = 0;
    memset(sums, 0, sizeof(sums));
    for (size_t i = 0; i < s->rows.n; i++) {
        const aff_ledger_row *l = &s->rows.v[i];
        int a = lp_aff_index(s, l->affiliate_id);
        if (a < 0 || l->program_id != s->prog)
            return LP_FAIL(s, "line %lld belongs to affiliate %lld in program %lld", (long long)l->id,
                           (long long)l->affiliate_id, (long long)l->program_id);
        int st = lp_status_of(l->status);
        sums[a][st] += l->amount_minor;
        if (st != S_REJECTED)
            counted += l->amount_minor;
        if (st == S_REVERSED)
            reversed += l->amount_minor;
    }
    s->balances->n = 0;
    aff_list_query all = {0};
    int rc = aff_store_balance_list(s->f.ts.st, &all, lp_collect_balance, s->balances);
    if (rc != 0)
        return LP_FAIL(s, "balance list: %d", rc);
    int listed[LP_NAFF] = {0};
    for (int i = 0; i < s->balances->n; i++) {
        const aff_balance_row *b = &s->balances->v[i];
        int a = lp_aff_index(s, b->affiliate_id);
        if (a < 0 || b->program_id != s->prog)
            return LP_FAIL(s, "balance of affiliate %lld in program %lld", (long long)b->affiliate_id,
                           (long long)b->program_id);
        listed[a] = 1;
        const int64_t got[5] = {b->pending, b->approved, b->payable, b->in_payout, b->paid};
        for (int st = 0; st < 5; st++)
            if (got[st] != sums[a][st])
                return LP_FAIL(s, "affiliate %lld: %s balance %lld, its lines sum to %lld", (long long)b->affiliate_id,
                               lp_status[st], (long long)got[st], (long long)sums[a][st]);
        held += b->pending + b->approved + b->payable + b->in_payout + b->paid;
    }
    for (int a = 0; a < LP_NAFF; a++)
        for (int st = 0; st < 5 && !listed[a]; st++)
            if (sums[a][st] != 0)
                return LP_FAIL(s, "affiliate %lld has %s lines of %lld but no balance", (long long)s->aff[a],
                               lp_status[st], (long long)sums[a][st]);
    int64_t bad = -1;
    if ((rc = aff_store_balance_check(s->f.ts.st, &bad)) != 0 || bad != 0)
        return LP_FAIL(s, "aff_store_balance_check: rc %d, %lld mismatches", rc, (long long)bad);
    if (counted != held)
        return LP_FAIL(s,
                       "money not conserved: lines not rejected sum to %lld, balances to %lld (reversed lines: %lld)",
                       (long long)counted, (long long)held, (long long)reversed);
    return 0;
}

/* Payouts: a pending payout holds in_payout lines summing to its amount (positive, at
 * least the minimum); a paid one paid lines with that sum; a failed one gave its lines
 * back; paid and failed are terminal. Every in_payout line is in a pending payout. */
static int lp_check_payouts(lp_state *s)
{
    s->payouts->n = 0;
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    int rc = aff_store_payout_list(s->f.ts.st, &q, lp_collect_payout, s->payouts);
    if (rc != 0)
        return LP_FAIL(s, "payout list: %d", rc);
    for (int i = 0; i < s->payouts->n; i++) {
        const aff_payout_row *p = &s->payouts->v[i];
        if (p->id <= 0 || p->id >= (int64_t)(sizeof(s->pay_status) / sizeof(s->pay_status[0])))
            return LP_FAIL(s, "payout id %lld out of the test's range", (long long)p->id);
        int now = strcmp(p->status, "pending") == 0  ? PAY_PENDING
                  : strcmp(p->status, "paid") == 0   ? PAY_PAID
                  : strcmp(p->status, "failed") == 0 ? PAY_FAILED
                                                     : 0;
        int before = s->pay_status[p->id];
        if (now == 0 || (before != 0 && before != PAY_PENDING && before != now))
            return LP_FAIL(s, "payout %lld went from %d to %s", (long long)p->id, before, p->status);
        s->pay_status[p->id] = now;
        int64_t sum = 0, n = 0;
        for (size_t j = 0; j < s->rows.n; j++) {
            const aff_ledger_row *l = &s->rows.v[j];
            if (l->payout_id != p->id)
                continue;
            sum += l->amount_minor;
            n++;
            const char *want = now == PAY_PAID ? "paid" : "in_payout";
            if (strcmp(l->status, want) != 0 || l->affiliate_id != p->affiliate_id)
                return LP_FAIL(s, "line %lld of %s payout %lld is %s (affiliate %lld, payout's %lld)", (long long)l->id,
                               p->status, (long long)p->id, l->status, (long long)l->affiliate_id,
                               (long long)p->affiliate_id);
        }
        if (now == PAY_FAILED && n != 0)
            return LP_FAIL(s, "failed payout %lld still holds %lld lines", (long long)p->id, (long long)n);
        if (now != PAY_FAILED && (sum != p->amount_minor || n != p->lines))
            return LP_FAIL(s, "%s payout %lld of %lld in %lld lines: its lines sum to %lld in %lld", p->status,
                           (long long)p->id, (long long)p->amount_minor, (long long)p->lines, (long long)sum,
                           (long long)n);
        if (p->amount_minor <= 0 || p->amount_minor < LP_MIN_PAYOUT)
            return LP_FAIL(s, "payout %lld of %lld (minimum %d)", (long long)p->id, (long long)p->amount_minor,
                           LP_MIN_PAYOUT);
    }
    for (size_t j = 0; j < s->rows.n; j++) {
        const aff_ledger_row *l = &s->rows.v[j];
        int st = lp_status_of(l->status);
        if ((st == S_IN_PAYOUT || st == S_PAID) &&
            (l->payout_id <= 0 || l->payout_id >= 512 ||
             s->pay_status[l->payout_id] != (st == S_PAID ? PAY_PAID : PAY_PENDING)))
            return LP_FAIL(s, "%s line %lld points at payout %lld", l->status, (long long)l->id,
                           (long long)l->payout_id);
    }
    return 0;
}

/* Per conversion: aff_ledger_check, and the same invariant re-derived from the spec:
 * each share sums to what it is owed, the commission share's gross is earned_minor, a
 * parent's gross is its level's percentage of it, a rejected conversion holds only
 * rejected lines, and a fully refunded share that never reached a payout is reversed. */
static int lp_check_conversion(lp_state *s, int index)
{
    int64_t id = s->convs[index];
    static const int64_t per_mille[2] = {100, 33}; /* sub_affiliates 10 %, 3.3 % */
    aff_conversion_result *r = s->r;
    int rc = aff_conversion_load(s->f.ts.st, id, r);
    if (rc != 0)
        return LP_FAIL(s, "load conversion %lld: %d", (long long)id, rc);
    char why[160];
    const aff_conversion_row *c = &r->conv;
    if (!aff_ledger_check(r, why, sizeof(why)))
        return LP_FAIL(s, "aff_ledger_check of conversion %lld (%s): %s", (long long)id, c->status, why);
    if (s->post == POST_AUTO && strcmp(c->status, "pending") == 0 && c->hold_until_ms <= s->now)
        return LP_FAIL(s, "conversion %lld still pending after its hold", (long long)id);
    int rejected = strcmp(c->status, "rejected") == 0, reversed = strcmp(c->status, "reversed") == 0;
    s->conv_state[index] = strcmp(c->status, "pending") == 0                             ? S_PENDING
                           : strcmp(c->status, "approved") == 0 && !lp_reached_payout(r) ? S_APPROVED
                                                                                         : -1;
    for (int i = 0; i < r->nlines; i++) {
        const aff_ledger_row *l = &r->lines[i];
        if (rejected) {
            if (strcmp(l->status, "rejected") != 0)
                return LP_FAIL(s, "rejected conversion %lld has a %s line %lld", (long long)id, l->status,
                               (long long)l->id);
            continue;
        }
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = !(r->lines[j].affiliate_id == l->affiliate_id && strcmp(r->lines[j].slot, l->slot) == 0);
        if (!first)
            continue;
        int64_t sum = 0, gross = 0;
        int ever_payout = 0, all_reversed = 1;
        for (int j = i; j < r->nlines; j++) {
            const aff_ledger_row *o = &r->lines[j];
            if (o->affiliate_id != l->affiliate_id || strcmp(o->slot, l->slot) != 0)
                continue;
            gross = o->gross_minor; /* the latest line carries the share's gross */
            ever_payout |= s->lines[o->id].ever_payout;
            if (strcmp(o->status, "rejected") == 0)
                continue;
            sum += o->amount_minor;
            all_reversed &= strcmp(o->status, "reversed") == 0;
        }
        int64_t owed = lp_owed(c, l->slot, gross);
        if (sum != owed)
            return LP_FAIL(s,
                           "conversion %lld (%s, amount %lld, refunded %lld): share %s of %lld sums to %lld, owed %lld",
                           (long long)id, c->status, (long long)c->amount_minor, (long long)c->refunded_minor, l->slot,
                           (long long)l->affiliate_id, (long long)sum, (long long)owed);
        /* ledger.h: a reversed conversion owes nothing, whatever its gross; a later
         * re-pricing records the gross on the conversion only */
        if (strcmp(l->slot, "commission") == 0 && gross != c->earned_minor && strcmp(c->status, "reversed") != 0)
            return LP_FAIL(s, "conversion %lld: commission gross %lld, earned %lld", (long long)id, (long long)gross,
                           (long long)c->earned_minor);
        if (strncmp(l->slot, "override:", 9) == 0 && strcmp(c->status, "reversed") != 0) {
            int level = (int)strtol(l->slot + 9, NULL, 10);
            if (level < 1 || level > 2 || gross != lp_div_round((__int128)c->earned_minor * per_mille[level - 1], 1000))
                return LP_FAIL(s, "conversion %lld: %s gross %lld for earned %lld", (long long)id, l->slot,
                               (long long)gross, (long long)c->earned_minor);
        }
        /* reversed: a share that never reached a payout leaves the balances (bonuses are
         * not taken back by a refund, section 1.2) */
        if (reversed && !ever_payout && strncmp(l->slot, "bonus:", 6) != 0 && !all_reversed)
            return LP_FAIL(s,
                           "conversion %lld is reversed, its share %s of %lld never reached a payout, yet a line "
                           "is not reversed",
                           (long long)id, l->slot, (long long)l->affiliate_id);
    }
    return 0;
}

/* What the operation promised beyond the invariants. */
static int lp_check_post(lp_state *s)
{
    for (size_t i = 0; i < s->rows.n; i++) {
        const aff_ledger_row *l = &s->rows.v[i];
        if (s->post == POST_AUTO && strcmp(l->status, "pending") == 0 && l->hold_until_ms <= s->now)
            return LP_FAIL(s, "line %lld still pending after its hold", (long long)l->id);
        if ((s->post == POST_RELEASE || s->post == POST_RUN) && strcmp(l->status, "approved") == 0 &&
            s->aff_approved[lp_aff_index(s, l->affiliate_id)])
            return LP_FAIL(s, "approved line %lld of an approved affiliate not released", (long long)l->id);
    }
    if (s->post == POST_RUN) {
        if (s->payouts->n - s->payouts_before != s->run_payouts)
            return LP_FAIL(s, "the run says %lld payouts, %lld were made", (long long)s->run_payouts,
                           (long long)(s->payouts->n - s->payouts_before));
        for (int i = 0; i < s->balances->n; i++)
            if (s->balances->v[i].payable >= LP_MIN_PAYOUT)
                return LP_FAIL(s, "affiliate %lld left with %lld payable after a run",
                               (long long)s->balances->v[i].affiliate_id, (long long)s->balances->v[i].payable);
    }
    return 0;
}

/* On a violation, what the failing conversion holds (the last one loaded). */
static void lp_dump(const aff_conversion_result *r)
{
    const aff_conversion_row *c = &r->conv;
    fprintf(stderr, "      conversion %lld: %s, affiliate %lld, amount %lld, refunded %lld, earned %lld, tier %d\n",
            (long long)c->id, c->status, (long long)c->affiliate_id, (long long)c->amount_minor,
            (long long)c->refunded_minor, (long long)c->earned_minor, c->tier);
    for (int i = 0; i < r->nlines; i++) {
        const aff_ledger_row *l = &r->lines[i];
        fprintf(stderr, "        line %lld: %-11s %-12s %-22s affiliate %lld %6lld gross %6lld %s\n", (long long)l->id,
                l->kind, l->slot, l->rule, (long long)l->affiliate_id, (long long)l->amount_minor,
                (long long)l->gross_minor, l->status);
    }
}

static void lp_check(lp_state *s, int op_rc)
{
    if (lp_check_lines(s, op_rc) != 0 || lp_check_balances(s) != 0 || lp_check_payouts(s) != 0 || lp_check_post(s) != 0)
        return;
    for (int i = 0; i < s->nconvs; i++)
        if (lp_check_conversion(s, i) != 0) {
            lp_dump(s->r);
            return;
        }
}

/* ---- the driver -------------------------------------------------------------------------- */

/* root <- mid <- leaf (two levels of parents), solo, susp (suspended, under root) <- kid
 * (its first parent is suspended, so only root earns, at level 2). */
static int lp_world(lp_state *s)
{
    static const char *const names[LP_NAFF] = {"root", "mid", "leaf", "solo", "susp", "kid"};
    static const int parent_of[LP_NAFF] = {-1, 0, 1, -1, 0, 4};
    if (fx_open(&s->f) != 0)
        return -1;
    s->prog = lp_program(&s->f, "USD", LP_PLAN, 30, LP_MIN_PAYOUT);
    if (s->prog == 0)
        return -1;
    for (int i = 0; i < LP_NAFF; i++) {
        int approved = strcmp(names[i], "susp") != 0;
        s->aff[i] = lp_affiliate(&s->f, names[i], approved ? "approved" : "suspended",
                                 parent_of[i] < 0 ? 0 : s->aff[parent_of[i]]);
        s->aff_approved[i] = approved;
        char code[16];
        snprintf(code, sizeof(code), "C%d", i);
        if (s->aff[i] == 0 || fx_coupon(&s->f, code, s->prog, s->aff[i]) == 0)
            return -1;
    }
    s->now = FX_T0;
    return 0;
}

static void lp_run_seed(uint64_t seed, int nops)
{
    lp_state *s = calloc(1, sizeof(*s));
    s->payouts = calloc(1, sizeof(*s->payouts));
    s->balances = calloc(1, sizeof(*s->balances));
    s->r = malloc(sizeof(*s->r));
    s->seed = s->rng = seed;
    if (lp_world(s) != 0) {
        aff_test_fail(__FILE__, __LINE__, "seed %llu: world not built", (unsigned long long)seed);
        goto out;
    }
    int total = 0;
    for (int k = 0; k < NOPS; k++)
        total += lp_weight[k];
    for (s->op = 0; s->op < nops && !s->failed; s->op++) {
        s->now += lp_range(s, 0, 6 * FX_HOUR);
        aff_clock_set_fake(s->now);
        int64_t pick = lp_range(s, 0, total - 1);
        int kind = 0;
        while (pick >= lp_weight[kind])
            pick -= lp_weight[kind++];
        s->new_conv = 0;
        s->post = POST_NONE;
        snprintf(s->what, sizeof(s->what), "%s", lp_op_name[kind]);
        int expect = AFF_OK;
        if (lp_begin(&s->f) != 0)
            break;
        int rc = lp_do(s, &kind, &expect);
        if (s->failed) {
            lp_end(&s->f, -1);
            break;
        }
        int end = lp_end(&s->f, rc);
        if (rc != expect) {
            LP_FAIL(s, "rc %d (%s), expected %d (%s)", rc, aff_strerror(rc), expect, aff_strerror(expect));
            break;
        }
        if (rc == 0 && end != 0) {
            LP_FAIL(s, "commit: %d", end);
            break;
        }
        if (rc == 0) {
            s->done[kind]++;
            if (s->new_conv != 0) {
                if (s->nconvs == s->capconvs) {
                    s->capconvs = s->capconvs ? 2 * s->capconvs : 64;
                    s->convs = realloc(s->convs, (size_t)s->capconvs * sizeof(*s->convs));
                    s->conv_state = realloc(s->conv_state, (size_t)s->capconvs * sizeof(*s->conv_state));
                }
                s->conv_state[s->nconvs] = -1;
                s->convs[s->nconvs++] = s->new_conv;
            }
        }
        lp_check(s, rc);
    }
    /* every kind of operation succeeded at least once, so none went untested */
    for (int k = 0; k < NOPS && !s->failed; k++)
        if (s->done[k] == 0)
            aff_test_fail(__FILE__, __LINE__, "seed %llu: no %s succeeded in %d operations", (unsigned long long)seed,
                          lp_op_name[k], nops);
out:
    fx_close(&s->f);
    free(s->rows.v);
    free(s->lines);
    free(s->convs);
    free(s->conv_state);
    free(s->payouts);
    free(s->balances);
    free(s->r);
    free(s);
}

/* Three seeds of 300 operations (about 90 sales, 25 refunds, 25 payout runs each, about
 * 0.3 s of CPU per seed): every kind of operation must succeed at least once per seed.
 * A violation names the seed, the operation and the check, and dumps the conversion. */
AFF_TEST(ledger_property_random_operations_keep_every_invariant)
{
    /* without this branch's ledger.c fixes, seeds 2 and 7 fail on a share's stale gross and
     * 20261121 on a reversed bonus */
    static const uint64_t seeds[] = {2, 7, 20261121};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        lp_run_seed(seeds[i], 300);
}

/* ======================================================================================== */
/* 2. the state machine                                                                     */
/* ======================================================================================== */

/* A program with one approved and one suspended affiliate, each with a coupon ("OK",
 * "SUS"), on a plan of 10 % of sales. */
typedef struct lp_small {
    fx f;
    int64_t prog, ok, sus;
    aff_conversion_result *r;
    int n; /* orders made */
} lp_small;

static int lp_small_open(lp_small *w, int64_t min_payout)
{
    memset(w, 0, sizeof(*w));
    w->r = malloc(sizeof(*w->r));
    if (fx_open(&w->f) != 0)
        return -1;
    w->prog = lp_program(&w->f, "USD", "{\"sale\": {\"percent\": \"10\"}}", 30, min_payout);
    w->ok = lp_affiliate(&w->f, "ok", "approved", 0);
    w->sus = lp_affiliate(&w->f, "sus", "suspended", 0);
    return w->prog && w->ok && w->sus && fx_coupon(&w->f, "OK", w->prog, w->ok) &&
                   fx_coupon(&w->f, "SUS", w->prog, w->sus)
               ? 0
               : -1;
}

static void lp_small_close(lp_small *w)
{
    fx_close(&w->f);
    free(w->r);
}

#define SMALL_OR_RETURN(w, min)           \
    do {                                  \
        if (lp_small_open(w, min) != 0) { \
            AFF_CHECK(0);                 \
            lp_small_close(w);            \
            return;                       \
        }                                 \
    } while (0)

/* A sale by coupon's affiliate; returns the conversion id and leaves its lines in w->r. */
static int64_t lp_small_sale(lp_small *w, const char *coupon, int64_t amount, const char *status, int64_t now)
{
    char order[32];
    snprintf(order, sizeof(order), "s-%d", ++w->n);
    int rc = lp_sale(&w->f, w->prog, coupon, order, amount, 0, NULL, status, now, w->r);
    AFF_CHECK_INT(rc, AFF_OK);
    return rc == 0 ? w->r->conv.id : 0;
}

static const char *lp_line_status(lp_small *w, int64_t line_id)
{
    static char status[16];
    aff_ledger_row l;
    int rc = aff_store_ledger_get(w->f.ts.st, line_id, &l);
    snprintf(status, sizeof(status), "%s", rc == 0 ? l.status : "(missing)");
    return status;
}

/* The first line of a conversion (its commission line). */
static int64_t lp_first_line(lp_small *w, int64_t conv)
{
    AFF_CHECK_INT(aff_conversion_load(w->f.ts.st, conv, w->r), AFF_OK);
    return w->r->nlines > 0 ? w->r->lines[0].id : 0;
}

static int64_t lp_only_payout(lp_small *w, const aff_payout_run_result *res)
{
    lp_payouts *ps = calloc(1, sizeof(*ps));
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    q.run_id = res->run.id;
    AFF_CHECK_INT(aff_store_payout_list(w->f.ts.st, &q, lp_collect_payout, ps), AFF_OK);
    AFF_CHECK_INT(ps->n, 1);
    int64_t id = ps->n == 1 ? ps->v[0].id : 0;
    free(ps);
    return id;
}

AFF_TEST(ledger_move_allowed_matches_the_diagram)
{
    for (int from = 0; from < NSTATUS; from++)
        for (int to = 0; to < NSTATUS; to++)
            if (aff_ledger_move_allowed(lp_status[from], lp_status[to]) != lp_arrow[from][to])
                aff_test_fail(__FILE__, __LINE__, "%s -> %s: allowed %d, the diagram says %d", lp_status[from],
                              lp_status[to], aff_ledger_move_allowed(lp_status[from], lp_status[to]),
                              lp_arrow[from][to]);
    AFF_CHECK_INT(aff_ledger_move_allowed("pending", "bogus"), 0);
    AFF_CHECK_INT(aff_ledger_move_allowed("bogus", "approved"), 0);
    AFF_CHECK_INT(aff_ledger_move_allowed("", ""), 0);
    AFF_CHECK_INT(aff_ledger_move_allowed("Pending", "approved"), 0);
}

AFF_TEST(ledger_approve_line_only_from_pending)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 0);
    aff_errinfo err = {0};
    int64_t c1 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l1 = lp_first_line(&w, c1);
    AFF_CHECK_STR(lp_line_status(&w, l1), "pending");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l1, FX_T0 + 1, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l1), "approved");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l1, FX_T0 + 2, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, 999999, FX_T0 + 2, &err), AFF_ENOTFOUND);
    /* the conversion itself stays pending: only the line moved */
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, c1, w.r), AFF_OK);
    AFF_CHECK_STR(w.r->conv.status, "pending");
    int64_t n = 0;
    AFF_CHECK_INT(aff_ledger_release(w.f.ts.st, w.prog, FX_T0 + 3, &n), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l1), "payable");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l1, FX_T0 + 4, &err), AFF_ECONFLICT);
    aff_payout_run_result res;
    AFF_CHECK_INT(aff_payout_run(w.f.ts.st, w.prog, "api", FX_T0 + 5, &res, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l1), "in_payout");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l1, FX_T0 + 6, &err), AFF_ECONFLICT);
    aff_payout_row p;
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, lp_only_payout(&w, &res), "r", FX_T0 + 7, &p, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l1), "paid");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l1, FX_T0 + 8, &err), AFF_ECONFLICT);
    /* rejected and reversed lines are terminal */
    int64_t c2 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l2 = lp_first_line(&w, c2);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c2, "fraud", FX_T0 + 9, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l2, FX_T0 + 10, &err), AFF_ECONFLICT);
    AFF_CHECK_STR(lp_line_status(&w, l2), "rejected");
    int64_t c3 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l3 = lp_first_line(&w, c3);
    AFF_CHECK_INT(aff_conversion_refund(&w.f.ctx, c3, -1, FX_T0 + 11, w.r, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l3), "reversed");
    AFF_CHECK_INT(aff_ledger_approve_line(w.f.ts.st, l3, FX_T0 + 12, &err), AFF_ECONFLICT);
    AFF_CHECK_STR(lp_line_status(&w, l3), "reversed");
    lp_small_close(&w);
}

AFF_TEST(ledger_approve_conversion_only_from_pending)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 0);
    aff_errinfo err = {0};
    int64_t c1 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l1 = lp_first_line(&w, c1);
    /* a partial refund of a pending conversion: the reversal line is pending too */
    AFF_CHECK_INT(aff_conversion_refund(&w.f.ctx, c1, 300, FX_T0 + 1, w.r, &err), AFF_OK);
    AFF_CHECK_INT(w.r->nlines, 2);
    AFF_CHECK_INT(w.r->lines[1].amount_minor, -30);
    AFF_CHECK_STR(w.r->lines[1].status, "pending");
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, c1, FX_T0 + 2 * FX_DAY, &err), AFF_OK);
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, c1, w.r), AFF_OK);
    AFF_CHECK_STR(w.r->conv.status, "approved");
    AFF_CHECK_INT(w.r->conv.hold_until_ms, FX_T0 + 2 * FX_DAY);
    AFF_CHECK_STR(w.r->lines[0].status, "approved");
    AFF_CHECK_STR(w.r->lines[1].status, "approved");
    AFF_CHECK_INT(w.r->lines[0].id, l1);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, c1, FX_T0 + 3 * FX_DAY, &err), AFF_ECONFLICT);
    /* posted approved, posted rejected, reversed, unknown, a test */
    int64_t c2 = lp_small_sale(&w, "OK", 1000, "approved", FX_T0);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, c2, FX_T0 + 1, &err), AFF_ECONFLICT);
    int64_t c3 = lp_small_sale(&w, "OK", 1000, "rejected", FX_T0);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, c3, FX_T0 + 1, &err), AFF_ECONFLICT);
    AFF_CHECK_STR(lp_line_status(&w, lp_first_line(&w, c3)), "rejected");
    int64_t c4 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0);
    AFF_CHECK_INT(aff_conversion_refund(&w.f.ctx, c4, -1, FX_T0 + 1, w.r, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, c4, FX_T0 + 2, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, 999999, FX_T0 + 2, &err), AFF_ENOTFOUND);
    aff_conversion_input *in = calloc(1, sizeof(*in));
    in->program_id = w.prog;
    snprintf(in->event, sizeof(in->event), "sale");
    snprintf(in->order_id, sizeof(in->order_id), "t-1");
    snprintf(in->status, sizeof(in->status), "pending");
    snprintf(in->coupon, sizeof(in->coupon), "OK");
    in->amount_minor = 1000;
    in->test = 1;
    in->now_ms = FX_T0;
    AFF_CHECK_INT(aff_conversion_record(&w.f.ctx, in, w.r, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, w.r->conv.id, FX_T0 + 1, &err), AFF_ECONFLICT);
    free(in);
    lp_small_close(&w);
}

AFF_TEST(ledger_reject_conversion_until_a_line_reaches_a_payout)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 0);
    aff_errinfo err = {0};
    aff_payout_run_result res;
    aff_payout_row p;
    int64_t n = 0;
    /* pending: lines rejected, the conversion too, with its reason */
    int64_t c1 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l1 = lp_first_line(&w, c1);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c1, "fraud", FX_T0 + 1, &err), AFF_OK);
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, c1, w.r), AFF_OK);
    AFF_CHECK_STR(w.r->conv.status, "rejected");
    AFF_CHECK_STR(w.r->conv.reason, "fraud");
    AFF_CHECK_STR(lp_line_status(&w, l1), "rejected");
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c1, "again", FX_T0 + 2, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_conversion_refund(&w.f.ctx, c1, 10, FX_T0 + 2, w.r, &err), AFF_EINVAL);
    /* approved with a payable line: rejected, and out of the balance */
    int64_t c2 = lp_small_sale(&w, "OK", 2000, "approved", FX_T0), l2 = lp_first_line(&w, c2);
    AFF_CHECK_INT(aff_ledger_release(w.f.ts.st, w.prog, FX_T0 + 1, &n), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l2), "payable");
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, w.ok).payable, 200);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c2, "fraud", FX_T0 + 2, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l2), "rejected");
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, w.ok).payable, 0);
    /* a line in a payout, then paid: 409, nothing changes */
    int64_t c3 = lp_small_sale(&w, "OK", 3000, "approved", FX_T0), l3 = lp_first_line(&w, c3);
    AFF_CHECK_INT(aff_payout_run(w.f.ts.st, w.prog, "api", FX_T0 + 3, &res, &err), AFF_OK);
    AFF_CHECK_STR(lp_line_status(&w, l3), "in_payout");
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c3, "fraud", FX_T0 + 4, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, c3, w.r), AFF_OK);
    AFF_CHECK_STR(w.r->conv.status, "approved");
    AFF_CHECK_STR(lp_line_status(&w, l3), "in_payout");
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, lp_only_payout(&w, &res), "r", FX_T0 + 5, &p, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c3, "fraud", FX_T0 + 6, &err), AFF_ECONFLICT);
    AFF_CHECK_STR(lp_line_status(&w, l3), "paid");
    /* reversed, unknown */
    int64_t c4 = lp_small_sale(&w, "OK", 1000, "approved", FX_T0);
    AFF_CHECK_INT(aff_conversion_refund(&w.f.ctx, c4, -1, FX_T0 + 7, w.r, &err), AFF_OK);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, c4, "fraud", FX_T0 + 8, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_ledger_reject_conversion(&w.f.ctx, 999999, "fraud", FX_T0 + 8, &err), AFF_ENOTFOUND);
    lp_small_close(&w);
}

AFF_TEST(ledger_auto_approve_when_the_hold_ends)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 0);
    int64_t c1 = lp_small_sale(&w, "OK", 1000, "pending", FX_T0), l1 = lp_first_line(&w, c1);
    int64_t lines = -1, convs = -1;
    /* hold_days 30: one millisecond early approves nothing */
    AFF_CHECK_INT(aff_ledger_auto_approve(w.f.ts.st, FX_T0 + 30 * FX_DAY - 1, &lines, &convs), AFF_OK);
    AFF_CHECK_INT(lines, 0);
    AFF_CHECK_INT(convs, 0);
    AFF_CHECK_STR(lp_line_status(&w, l1), "pending");
    AFF_CHECK_INT(aff_ledger_auto_approve(w.f.ts.st, FX_T0 + 30 * FX_DAY, &lines, &convs), AFF_OK);
    AFF_CHECK_INT(lines, 1);
    AFF_CHECK_INT(convs, 1);
    AFF_CHECK_STR(lp_line_status(&w, l1), "approved");
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, c1, w.r), AFF_OK);
    AFF_CHECK_STR(w.r->conv.status, "approved");
    AFF_CHECK_INT(aff_ledger_auto_approve(w.f.ts.st, FX_T0 + 31 * FX_DAY, &lines, &convs), AFF_OK);
    AFF_CHECK_INT(lines, 0);
    AFF_CHECK_INT(convs, 0);
    lp_small_close(&w);
}

AFF_TEST(ledger_release_only_approved_lines_of_approved_affiliates)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 0);
    int64_t a = lp_first_line(&w, lp_small_sale(&w, "OK", 1000, "approved", FX_T0));
    int64_t s = lp_first_line(&w, lp_small_sale(&w, "SUS", 1000, "approved", FX_T0));
    int64_t p = lp_first_line(&w, lp_small_sale(&w, "OK", 1000, "pending", FX_T0));
    int64_t n = -1;
    AFF_CHECK_INT(aff_ledger_release(w.f.ts.st, w.prog + 1000, FX_T0 + 1, &n), AFF_OK); /* another program */
    AFF_CHECK_INT(n, 0);
    AFF_CHECK_INT(aff_ledger_release(w.f.ts.st, w.prog, FX_T0 + 1, &n), AFF_OK);
    AFF_CHECK_INT(n, 1);
    AFF_CHECK_STR(lp_line_status(&w, a), "payable");
    AFF_CHECK_STR(lp_line_status(&w, s), "approved"); /* suspended: waits */
    AFF_CHECK_STR(lp_line_status(&w, p), "pending");
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, w.sus).approved, 100);
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, w.sus).payable, 0);
    lp_small_close(&w);
}

AFF_TEST(ledger_payout_run_mark_paid_and_failed)
{
    lp_small w;
    SMALL_OR_RETURN(&w, 150);
    aff_errinfo err = {0};
    aff_payout_run_result res;
    aff_payout_row p;
    aff_affiliate_row b;
    memset(&b, 0, sizeof(b));
    snprintf(b.name, sizeof(b.name), "big");
    snprintf(b.email, sizeof(b.email), "big@example.com");
    snprintf(b.status, sizeof(b.status), "approved");
    char key[AFF_API_KEY_LEN];
    AFF_CHECK_INT(aff_catalog_affiliate_create(&w.f.ctx, &b, key, &err), AFF_OK);
    fx_rebuild(&w.f);
    fx_coupon(&w.f, "BIG", w.prog, b.id);
    int64_t small = lp_first_line(&w, lp_small_sale(&w, "OK", 1000, "approved", FX_T0)); /* 100 < 150 */
    int64_t big = lp_first_line(&w, lp_small_sale(&w, "BIG", 2000, "approved", FX_T0));  /* 200 */
    AFF_CHECK_INT(aff_payout_run(w.f.ts.st, w.prog, "api", FX_T0 + 1, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 1);
    AFF_CHECK_INT(res.released, 2);
    AFF_CHECK_STR(lp_line_status(&w, small), "payable"); /* below the minimum: waits */
    AFF_CHECK_STR(lp_line_status(&w, big), "in_payout");
    int64_t p1 = lp_only_payout(&w, &res);
    AFF_CHECK_INT(aff_store_payout_get(w.f.ts.st, p1, &p), AFF_OK);
    AFF_CHECK_INT(p.amount_minor, 200);
    AFF_CHECK_INT(p.lines, 1);
    AFF_CHECK_INT(p.affiliate_id, b.id);
    AFF_CHECK_STR(p.status, "pending");
    /* failed: lines back to payable, out of the payout; then terminal */
    AFF_CHECK_INT(aff_payout_mark_failed(w.f.ts.st, p1, "bounced", FX_T0 + 2, &p, &err), AFF_OK);
    AFF_CHECK_STR(p.status, "failed");
    aff_ledger_row l;
    AFF_CHECK_INT(aff_store_ledger_get(w.f.ts.st, big, &l), AFF_OK);
    AFF_CHECK_STR(l.status, "payable");
    AFF_CHECK_INT(l.payout_id, 0);
    AFF_CHECK_INT(aff_payout_mark_failed(w.f.ts.st, p1, "again", FX_T0 + 3, &p, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, p1, "r", FX_T0 + 3, &p, &err), AFF_ECONFLICT);
    AFF_CHECK_STR(lp_line_status(&w, big), "payable");
    /* the next run pays it again; paid is terminal too */
    AFF_CHECK_INT(aff_payout_run(w.f.ts.st, 0, "cli", FX_T0 + 4, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 1);
    int64_t p2 = lp_only_payout(&w, &res);
    AFF_CHECK(p2 != p1);
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, p2, "tx-9", FX_T0 + 5, &p, &err), AFF_OK);
    AFF_CHECK_STR(p.status, "paid");
    AFF_CHECK_STR(p.reference, "tx-9");
    AFF_CHECK_INT(aff_store_ledger_get(w.f.ts.st, big, &l), AFF_OK);
    AFF_CHECK_STR(l.status, "paid");
    AFF_CHECK_INT(l.payout_id, p2);
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, p2, "r", FX_T0 + 6, &p, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_payout_mark_failed(w.f.ts.st, p2, "r", FX_T0 + 6, &p, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(aff_payout_mark_paid(w.f.ts.st, 999999, "r", FX_T0 + 6, &p, &err), AFF_ENOTFOUND);
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, b.id).paid, 200);
    AFF_CHECK_INT(lp_balance_of(&w.f, w.prog, w.ok).payable, 100);
    lp_small_close(&w);
}

/* ======================================================================================== */
/* 3. refund sequences with exact numbers                                                   */
/* ======================================================================================== */

/* Line i of r is (kind, slot, affiliate, amount, status). */
static void lp_expect_line(const char *file, int line, const aff_conversion_result *r, int i, const char *kind,
                           const char *slot, int64_t affiliate, int64_t amount, const char *status)
{
    if (i >= r->nlines) {
        aff_test_fail(file, line, "conversion %lld has %d lines, no line %d", (long long)r->conv.id, r->nlines, i);
        return;
    }
    const aff_ledger_row *l = &r->lines[i];
    if (strcmp(l->kind, kind) != 0 || strcmp(l->slot, slot) != 0 || l->affiliate_id != affiliate ||
        l->amount_minor != amount || strcmp(l->status, status) != 0)
        aff_test_fail(file, line, "line %d: %s %s %lld %lld %s, want %s %s %lld %lld %s", i, l->kind, l->slot,
                      (long long)l->affiliate_id, (long long)l->amount_minor, l->status, kind, slot,
                      (long long)affiliate, (long long)amount, status);
}
#define EXPECT_LINE(r, i, kind, slot, aff, amount, status) \
    lp_expect_line(__FILE__, __LINE__, r, i, kind, slot, aff, amount, status)

static int64_t lp_record(fx *f, int64_t prog, const char *coupon, const char *order, int64_t amount, int64_t now,
                         aff_conversion_result *r)
{
    int rc = lp_sale(f, prog, coupon, order, amount, 0, NULL, "approved", now, r);
    AFF_CHECK_INT(rc, AFF_OK);
    return rc == 0 ? r->conv.id : 0;
}

static int lp_refund(fx *f, int64_t id, int64_t amount, int64_t now, aff_conversion_result *r)
{
    aff_errinfo err = {0};
    return aff_conversion_refund(&f->ctx, id, amount, now, r, &err);
}

/* The one payout a run made for affiliate (0 when none). */
static int64_t lp_payout_of(fx *f, const aff_payout_run_result *res, int64_t affiliate, aff_payout_row *out)
{
    lp_payouts *ps = calloc(1, sizeof(*ps));
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    q.run_id = res->run.id;
    AFF_CHECK_INT(aff_store_payout_list(f->ts.st, &q, lp_collect_payout, ps), AFF_OK);
    int64_t id = 0;
    for (int i = 0; i < ps->n; i++)
        if (ps->v[i].affiliate_id == affiliate) {
            id = ps->v[i].id;
            *out = ps->v[i];
        }
    free(ps);
    return id;
}

static void lp_expect_all_ok(const char *file, int line, fx *f, int64_t conv, aff_conversion_result *r)
{
    char why[160];
    int64_t bad = -1;
    if (aff_conversion_load(f->ts.st, conv, r) != 0 || !aff_ledger_check(r, why, sizeof(why)))
        aff_test_fail(file, line, "conversion %lld: %s", (long long)conv, why);
    if (aff_store_balance_check(f->ts.st, &bad) != 0 || bad != 0)
        aff_test_fail(file, line, "%lld balances differ from their lines", (long long)bad);
}
#define EXPECT_ALL_OK(f, conv, r) lp_expect_all_ok(__FILE__, __LINE__, f, conv, r)

AFF_TEST(ledger_refund_partial_partial_full_with_two_parents)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    int64_t prog =
        lp_program(&f, "USD", "{\"sale\": {\"percent\": \"10\"}, \"sub_affiliates\": [\"10\", \"5\"]}", 30, 0);
    int64_t top = lp_affiliate(&f, "top", "approved", 0), mid = lp_affiliate(&f, "mid", "approved", top);
    int64_t kid = lp_affiliate(&f, "kid", "approved", mid);
    fx_coupon(&f, "KID", prog, kid);
    /* 999: kid 99.9 -> 100; mid 10 % of 100 = 10; top 5 % = 5 */
    int64_t id = lp_record(&f, prog, "KID", "o-1", 999, FX_T0, r);
    AFF_CHECK_INT(r->nlines, 3);
    EXPECT_LINE(r, 0, "commission", "commission", kid, 100, "approved");
    EXPECT_LINE(r, 1, "override", "override:1", mid, 10, "approved");
    EXPECT_LINE(r, 2, "override", "override:2", top, 5, "approved");
    /* 333 of 999 (a third): kid 33.33 -> 33 gone; mid 3.33 -> 3; top 1.67 -> 2 */
    AFF_CHECK_INT(lp_refund(&f, id, 333, FX_T0 + FX_DAY, r), AFF_OK);
    AFF_CHECK_INT(r->nlines, 6);
    EXPECT_LINE(r, 3, "reversal", "commission", kid, -33, "approved");
    EXPECT_LINE(r, 4, "reversal", "override:1", mid, -3, "approved");
    EXPECT_LINE(r, 5, "reversal", "override:2", top, -2, "approved");
    EXPECT_ALL_OK(&f, id, r);
    /* 666 (two thirds): kid 66.67 -> 67 gone, 33 left: -34; mid 6.67 -> 7, 3 left: -4;
     * top 3.33 -> 3, 2 left: -1 */
    AFF_CHECK_INT(lp_refund(&f, id, 333, FX_T0 + 2 * FX_DAY, r), AFF_OK);
    AFF_CHECK_INT(r->nlines, 9);
    EXPECT_LINE(r, 6, "reversal", "commission", kid, -34, "approved");
    EXPECT_LINE(r, 7, "reversal", "override:1", mid, -4, "approved");
    EXPECT_LINE(r, 8, "reversal", "override:2", top, -1, "approved");
    EXPECT_ALL_OK(&f, id, r);
    /* the rest: -33, -3, -2; never paid, so every line is reversed and balances are 0 */
    AFF_CHECK_INT(lp_refund(&f, id, -1, FX_T0 + 3 * FX_DAY, r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "reversed");
    EXPECT_ALL_OK(&f, id, r);
    AFF_CHECK_INT(r->nlines, 12);
    EXPECT_LINE(r, 9, "reversal", "commission", kid, -33, "reversed");
    EXPECT_LINE(r, 10, "reversal", "override:1", mid, -3, "reversed");
    EXPECT_LINE(r, 11, "reversal", "override:2", top, -2, "reversed");
    for (int i = 0; i < r->nlines; i++)
        AFF_CHECK_STR(r->lines[i].status, "reversed");
    const int64_t affs[3] = {kid, mid, top};
    for (int i = 0; i < 3; i++) {
        aff_balance_row b = lp_balance_of(&f, prog, affs[i]);
        AFF_CHECK_INT(b.pending + b.approved + b.payable + b.in_payout + b.paid, 0);
    }
    free(r);
    fx_close(&f);
}

/* docs/commissions.md section 1.3, step by step. */
AFF_TEST(ledger_refund_after_payout_is_netted_by_the_next_payout)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    aff_errinfo err = {0};
    aff_payout_run_result res;
    aff_payout_row p;
    int64_t prog =
        lp_program(&f, "USD",
                   "{\"sale\": {\"percent\": \"10\", \"tiers\": {\"retroactive\": true, \"levels\": [{\"min\": 2,"
                   " \"percent\": \"20\"}]}}, \"sub_affiliates\": [\"10\"], \"bonuses\": [{\"name\": \"two\","
                   " \"event\": \"sale\", \"conversions\": 2, \"flat_minor\": 500}]}",
                   30, 300);
    int64_t P = lp_affiliate(&f, "p", "approved", 0), C = lp_affiliate(&f, "c", "approved", P);
    fx_coupon(&f, "C", prog, C);
    int64_t s1 = lp_record(&f, prog, "C", "o-1", 10000, FX_T0, r);
    EXPECT_LINE(r, 0, "commission", "commission", C, 1000, "approved");
    EXPECT_LINE(r, 1, "override", "override:1", P, 100, "approved");
    int64_t s2 = lp_record(&f, prog, "C", "o-2", 10000, FX_T0 + FX_HOUR, r);
    AFF_CHECK_INT(r->nlines, 3);
    EXPECT_LINE(r, 0, "commission", "commission", C, 2000, "approved");
    AFF_CHECK_STR(r->lines[0].rule, "sale:tier:1");
    EXPECT_LINE(r, 1, "override", "override:1", P, 200, "approved");
    EXPECT_LINE(r, 2, "bonus", "bonus:two", C, 500, "approved");
    AFF_CHECK_INT(aff_conversion_load(f.ts.st, s1, r), AFF_OK);
    AFF_CHECK_INT(r->nlines, 4); /* sale 1 re-rated: C +1000, P +100 */
    EXPECT_LINE(r, 2, "tier_adjust", "commission", C, 1000, "approved");
    EXPECT_LINE(r, 3, "override", "override:1", P, 100, "approved");
    AFF_CHECK_INT(r->conv.earned_minor, 2000);
    /* run: C is paid 4500, P 400 */
    AFF_CHECK_INT(aff_payout_run(f.ts.st, prog, "api", FX_T0 + 2 * FX_HOUR, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 2);
    int64_t pc = lp_payout_of(&f, &res, C, &p);
    AFF_CHECK_INT(p.amount_minor, 4500);
    AFF_CHECK_INT(p.lines, 4);
    int64_t pp = lp_payout_of(&f, &res, P, &p);
    AFF_CHECK_INT(p.amount_minor, 400);
    AFF_CHECK_INT(aff_payout_mark_paid(f.ts.st, pc, "tx-c", FX_T0 + 3 * FX_HOUR, &p, &err), AFF_OK);
    AFF_CHECK_INT(aff_payout_mark_paid(f.ts.st, pp, "tx-p", FX_T0 + 3 * FX_HOUR, &p, &err), AFF_OK);
    /* refund half of sale 2: C -1000 and P -100, both approved (clawbacks); the bonus stays */
    AFF_CHECK_INT(lp_refund(&f, s2, 5000, FX_T0 + 4 * FX_HOUR, r), AFF_OK);
    AFF_CHECK_INT(r->nlines, 5);
    EXPECT_LINE(r, 3, "reversal", "commission", C, -1000, "approved");
    EXPECT_LINE(r, 4, "reversal", "override:1", P, -100, "approved");
    EXPECT_ALL_OK(&f, s2, r);
    /* next run: nothing to pay; the negative balances are carried, not lost. (The doc's
     * table says "P gets 300 if it reaches the minimum": P was paid 400 and owes 100 back,
     * so its balance is -100, as the invariants require.) */
    AFF_CHECK_INT(aff_payout_run(f.ts.st, prog, "api", FX_T0 + 5 * FX_HOUR, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 0);
    AFF_CHECK_INT(lp_balance_of(&f, prog, C).payable, -1000);
    AFF_CHECK_INT(lp_balance_of(&f, prog, C).paid, 4500);
    AFF_CHECK_INT(lp_balance_of(&f, prog, P).payable, -100);
    /* a new sale (tier 1 already: 2000, P 200) nets it: C is paid 2000 - 1000 = 1000 in
     * two lines; P's 200 - 100 = 100 stays below the 300 minimum */
    int64_t s3 = lp_record(&f, prog, "C", "o-3", 10000, FX_T0 + 6 * FX_HOUR, r);
    EXPECT_LINE(r, 0, "commission", "commission", C, 2000, "approved");
    EXPECT_LINE(r, 1, "override", "override:1", P, 200, "approved");
    AFF_CHECK_INT(aff_payout_run(f.ts.st, prog, "api", FX_T0 + 7 * FX_HOUR, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 1);
    AFF_CHECK(lp_payout_of(&f, &res, C, &p) != 0);
    AFF_CHECK_INT(p.amount_minor, 1000);
    AFF_CHECK_INT(p.lines, 2);
    AFF_CHECK_INT(lp_balance_of(&f, prog, C).payable, 0);
    AFF_CHECK_INT(lp_balance_of(&f, prog, P).payable, 100);
    EXPECT_ALL_OK(&f, s3, r);
    free(r);
    fx_close(&f);
}

AFF_TEST(ledger_refund_jpy_and_kwd_amounts_that_do_not_divide)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    aff_errinfo err = {0};
    aff_payout_run_result res;
    aff_payout_row p;
    char *csv = NULL;
    size_t len = 0;
    int64_t jpy = lp_program(&f, "JPY", "{\"sale\": {\"percent\": \"7.5\"}}", 30, 0);
    int64_t kwd = lp_program(&f, "KWD", "{\"sale\": {\"percent\": \"2.5\"}}", 30, 0);
    int64_t a = lp_affiliate(&f, "yen", "approved", 0), b = lp_affiliate(&f, "fils", "approved", 0);
    fx_coupon(&f, "YEN", jpy, a);
    fx_coupon(&f, "FILS", kwd, b);

    /* JPY (exponent 0): 7.5 % of 1333 = 99.975 -> 100 */
    int64_t j = lp_record(&f, jpy, "YEN", "j-1", 1333, FX_T0, r);
    EXPECT_LINE(r, 0, "commission", "commission", a, 100, "approved");
    AFF_CHECK_STR(r->lines[0].currency, "JPY");
    /* refund 500: 100 * 500 / 1333 = 37.51 -> 38 gone: -38, 62 left */
    AFF_CHECK_INT(lp_refund(&f, j, 500, FX_T0 + 1, r), AFF_OK);
    EXPECT_LINE(r, 1, "reversal", "commission", a, -38, "approved");
    AFF_CHECK_INT(aff_payout_run(f.ts.st, jpy, "api", FX_T0 + 2, &res, &err), AFF_OK);
    AFF_CHECK(lp_payout_of(&f, &res, a, &p) != 0);
    AFF_CHECK_INT(p.amount_minor, 62);
    AFF_CHECK_INT(aff_payout_export(f.ts.st, res.run.id, AFF_EXPORT_CSV, &csv, &len), AFF_OK);
    AFF_CHECK(csv != NULL && strstr(csv, ",62,JPY,") != NULL);
    free(csv);
    AFF_CHECK_INT(aff_payout_mark_paid(f.ts.st, p.id, "j", FX_T0 + 3, &p, &err), AFF_OK);
    /* one more yen: 100 * 501 / 1333 = 37.58 -> still 38: no line */
    AFF_CHECK_INT(lp_refund(&f, j, 1, FX_T0 + 4, r), AFF_OK);
    AFF_CHECK_INT(r->nlines, 2);
    /* the rest after payout: a -62 clawback, approved (the share was paid, not reversed) */
    AFF_CHECK_INT(lp_refund(&f, j, -1, FX_T0 + 5, r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "reversed");
    AFF_CHECK_INT(r->nlines, 3);
    EXPECT_LINE(r, 2, "reversal", "commission", a, -62, "approved");
    EXPECT_ALL_OK(&f, j, r);
    AFF_CHECK_INT(aff_payout_run(f.ts.st, jpy, "api", FX_T0 + 6, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.run.payouts, 0);
    AFF_CHECK_INT(lp_balance_of(&f, jpy, a).payable, -62);
    AFF_CHECK_INT(lp_balance_of(&f, jpy, a).paid, 62);

    /* KWD (exponent 3): 2.5 % of 12345 = 308.625 -> 309 */
    int64_t k = lp_record(&f, kwd, "FILS", "k-1", 12345, FX_T0, r);
    EXPECT_LINE(r, 0, "commission", "commission", b, 309, "approved");
    /* 4000: 309 * 4000 / 12345 = 100.12 -> 100: -100; 8000: 200.24 -> 200: -100, 109 left */
    AFF_CHECK_INT(lp_refund(&f, k, 4000, FX_T0 + 1, r), AFF_OK);
    EXPECT_LINE(r, 1, "reversal", "commission", b, -100, "approved");
    AFF_CHECK_INT(lp_refund(&f, k, 4000, FX_T0 + 2, r), AFF_OK);
    EXPECT_LINE(r, 2, "reversal", "commission", b, -100, "approved");
    AFF_CHECK_INT(aff_payout_run(f.ts.st, kwd, "api", FX_T0 + 3, &res, &err), AFF_OK);
    AFF_CHECK(lp_payout_of(&f, &res, b, &p) != 0);
    AFF_CHECK_INT(p.amount_minor, 109);
    AFF_CHECK_INT(aff_payout_export(f.ts.st, res.run.id, AFF_EXPORT_CSV, &csv, &len), AFF_OK);
    AFF_CHECK(csv != NULL && strstr(csv, ",0.109,KWD,") != NULL);
    free(csv);
    AFF_CHECK_INT(aff_payout_mark_paid(f.ts.st, p.id, "k", FX_T0 + 4, &p, &err), AFF_OK);
    AFF_CHECK_INT(lp_refund(&f, k, -1, FX_T0 + 5, r), AFF_OK);
    EXPECT_LINE(r, 3, "reversal", "commission", b, -109, "approved");
    EXPECT_ALL_OK(&f, k, r);
    /* unpaid KWD: 2.5 % of 1001 = 25.025 -> 25; 333: 8.32 -> 8: -8; the rest -17; all reversed */
    int64_t k2 = lp_record(&f, kwd, "FILS", "k-2", 1001, FX_T0 + 6, r);
    EXPECT_LINE(r, 0, "commission", "commission", b, 25, "approved");
    AFF_CHECK_INT(lp_refund(&f, k2, 333, FX_T0 + 7, r), AFF_OK);
    EXPECT_LINE(r, 1, "reversal", "commission", b, -8, "approved");
    AFF_CHECK_INT(lp_refund(&f, k2, -1, FX_T0 + 8, r), AFF_OK);
    EXPECT_LINE(r, 0, "commission", "commission", b, 25, "reversed");
    EXPECT_LINE(r, 1, "reversal", "commission", b, -8, "reversed");
    EXPECT_LINE(r, 2, "reversal", "commission", b, -17, "reversed");
    EXPECT_ALL_OK(&f, k2, r);
    aff_balance_row bb = lp_balance_of(&f, kwd, b);
    AFF_CHECK_INT(bb.approved + bb.payable, -109); /* the clawback of k-1 only */
    AFF_CHECK_INT(bb.paid, 109);
    free(r);
    fx_close(&f);
}

AFF_TEST(ledger_sub_affiliate_depth_limited_by_the_plan)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    static const char *const plans[4] = {
        "{\"sale\": {\"percent\": \"10\"}, \"sub_affiliates\": [\"10\"]}",
        "{\"sale\": {\"percent\": \"10\"}, \"sub_affiliates\": [\"10\", \"5\"]}",
        "{\"sale\": {\"percent\": \"10\"}, \"sub_affiliates\": [\"10\", \"5\", \"2.5\"]}",
        "{\"sale\": {\"percent\": \"10\"}, \"sub_affiliates\": [\"1\", \"1\", \"1\", \"1\", \"1\", \"1\", \"1\", \"1\","
        " \"1\", \"1\"]}",
    };
    /* a0 <- a1 <- a2 <- a3 <- a4 <- a5: a5 sells; a chain of five parents, no cycle */
    int64_t a[6], prog[4];
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "a%d", i);
        a[i] = lp_affiliate(&f, name, "approved", i ? a[i - 1] : 0);
    }
    for (int i = 0; i < 4; i++) {
        char code[16];
        prog[i] = lp_program(&f, "USD", plans[i], 30, 0);
        snprintf(code, sizeof(code), "D%d", i);
        fx_coupon(&f, code, prog[i], a[5]);
    }
    /* 10000 at 10 % = 1000 for a5 */
    lp_record(&f, prog[0], "D0", "d-1", 10000, FX_T0, r); /* depth 1: a4 10 % = 100 */
    AFF_CHECK_INT(r->nlines, 2);
    EXPECT_LINE(r, 0, "commission", "commission", a[5], 1000, "approved");
    EXPECT_LINE(r, 1, "override", "override:1", a[4], 100, "approved");
    lp_record(&f, prog[1], "D1", "d-2", 10000, FX_T0, r); /* depth 2: + a3 5 % = 50 */
    AFF_CHECK_INT(r->nlines, 3);
    EXPECT_LINE(r, 1, "override", "override:1", a[4], 100, "approved");
    EXPECT_LINE(r, 2, "override", "override:2", a[3], 50, "approved");
    lp_record(&f, prog[2], "D2", "d-3", 10000, FX_T0, r); /* depth 3 of 5: + a2 25; a1, a0 nothing */
    AFF_CHECK_INT(r->nlines, 4);
    EXPECT_LINE(r, 3, "override", "override:3", a[2], 25, "approved");
    lp_record(&f, prog[3], "D3", "d-4", 10000, FX_T0, r); /* depth 10 on 5 parents: the chain ends first */
    AFF_CHECK_INT(r->nlines, 6);
    for (int k = 1; k <= 5 && k < r->nlines; k++) {
        char slot[24];
        snprintf(slot, sizeof(slot), "override:%d", k);
        EXPECT_LINE(r, k, "override", slot, a[5 - k], 10, "approved");
    }
    /* a suspended first parent earns nothing; the grandparent still earns level 2 */
    int64_t s = lp_affiliate(&f, "s", "suspended", a[0]), t = lp_affiliate(&f, "t", "approved", s);
    fx_coupon(&f, "T1", prog[1], t);
    int64_t id = lp_record(&f, prog[1], "T1", "t-1", 10000, FX_T0, r);
    AFF_CHECK_INT(r->nlines, 2);
    EXPECT_LINE(r, 1, "override", "override:2", a[0], 50, "approved");
    /* overrides follow refunds: half refunded -> a0 -25 */
    AFF_CHECK_INT(lp_refund(&f, id, 5000, FX_T0 + 1, r), AFF_OK);
    EXPECT_LINE(r, 3, "reversal", "override:2", a[0], -25, "approved");
    EXPECT_ALL_OK(&f, id, r);
    free(r);
    fx_close(&f);
}

/* Found by the property test: a full refund reversed the unpaid bonus line too, so the
 * bonus left the balances although "a refund does not take a bonus back" (1.2) and the
 * share is still owed its gross. */
AFF_TEST(ledger_full_refund_keeps_an_unpaid_bonus)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    int64_t prog =
        lp_program(&f, "USD",
                   "{\"sale\": {\"percent\": \"10\"}, \"bonuses\": [{\"name\": \"first\", \"event\": \"sale\","
                   " \"conversions\": 1, \"flat_minor\": 500}]}",
                   30, 0);
    int64_t a = lp_affiliate(&f, "a", "approved", 0);
    fx_coupon(&f, "A", prog, a);
    int64_t id = lp_record(&f, prog, "A", "b-1", 1000, FX_T0, r);
    EXPECT_LINE(r, 0, "commission", "commission", a, 100, "approved");
    EXPECT_LINE(r, 1, "bonus", "bonus:first", a, 500, "approved");
    AFF_CHECK_INT(lp_refund(&f, id, -1, FX_T0 + 1, r), AFF_OK);
    EXPECT_ALL_OK(&f, id, r);
    AFF_CHECK_INT(r->nlines, 3);
    EXPECT_LINE(r, 0, "commission", "commission", a, 100, "reversed");
    EXPECT_LINE(r, 1, "bonus", "bonus:first", a, 500, "approved");
    EXPECT_LINE(r, 2, "reversal", "commission", a, -100, "reversed");
    AFF_CHECK_INT(lp_balance_of(&f, prog, a).approved, 500);
    free(r);
    fx_close(&f);
}

/* Found by the property test: a retroactive tier that raises the gross of a sale refunded
 * so far that what it is owed does not move appended no line, so no line recorded the new
 * gross; the conversion then failed aff_ledger_check (commission gross != earned) and the
 * sale that reached the tier was refused with AFF_EINVARIANT. */
AFF_TEST(ledger_retroactive_tier_on_a_nearly_refunded_sale)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_conversion_result *r = malloc(sizeof(*r));
    int64_t prog =
        lp_program(&f, "USD",
                   "{\"sale\": {\"percent\": \"10\", \"tiers\": {\"retroactive\": true, \"levels\": [{\"min\": 2,"
                   " \"percent\": \"20\"}]}}, \"sub_affiliates\": [\"10\"]}",
                   30, 0);
    int64_t P = lp_affiliate(&f, "p", "approved", 0), C = lp_affiliate(&f, "c", "approved", P);
    fx_coupon(&f, "C", prog, C);
    /* 10000 -> 1000, P 100; 9999 refunded: 1000 - round(999.9) = 0 and 100 - round(99.99) = 0 */
    int64_t s1 = lp_record(&f, prog, "C", "n-1", 10000, FX_T0, r);
    AFF_CHECK_INT(lp_refund(&f, s1, 9999, FX_T0 + 1, r), AFF_OK);
    EXPECT_LINE(r, 2, "reversal", "commission", C, -1000, "approved");
    EXPECT_LINE(r, 3, "reversal", "override:1", P, -100, "approved");
    /* sale 2 reaches tier 1: sale 1 is re-rated to 2000 (P 200); owed stays 2000 - round(1999.8) = 0 */
    int rc = lp_sale(&f, prog, "C", "n-2", 10000, 0, NULL, "approved", FX_T0 + 2, r);
    AFF_CHECK_INT(rc, AFF_OK);
    EXPECT_ALL_OK(&f, s1, r);
    AFF_CHECK_INT(r->conv.earned_minor, 2000);
    int64_t sum = 0, gross_c = 0, gross_p = 0;
    for (int i = 0; i < r->nlines; i++) {
        sum += r->lines[i].amount_minor;
        if (strcmp(r->lines[i].slot, "commission") == 0)
            gross_c = r->lines[i].gross_minor;
        else
            gross_p = r->lines[i].gross_minor;
    }
    AFF_CHECK_INT(sum, 0);
    AFF_CHECK_INT(gross_c, 2000);
    AFF_CHECK_INT(gross_p, 200);
    free(r);
    fx_close(&f);
}
