/* conversion.c - conversions, their commission lines and refunds; see conversion.h. */
#include "track/conversion.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "track/attribution.h"
#include "track/commission.h"
#include "track/rollup.h"

/* ---- loading ------------------------------------------------------------------------ */

static int collect_line(void *ud, const aff_ledger_row *row)
{
    aff_conversion_result *r = ud;
    if (r->nlines == AFF_CONV_MAX_LINES)
        return AFF_ERANGE;
    r->lines[r->nlines++] = *row;
    return 0;
}

static int load_lines(aff_store *st, aff_conversion_result *out)
{
    aff_list_query q = {.conversion_id = out->conv.id};
    out->nlines = 0;
    return aff_store_ledger_list(st, &q, collect_line, out);
}

int aff_conversion_load(aff_store *st, int64_t id, aff_conversion_result *out)
{
    memset(out, 0, sizeof(*out));
    int rc = aff_store_conversion_get(st, id, &out->conv);
    return rc != 0 ? rc : load_lines(st, out);
}

int aff_conversion_check_ledger(const aff_conversion_result *r)
{
    int64_t earned = 0, sum = 0;
    for (int i = 0; i < r->nlines; i++) {
        if (strcmp(r->lines[i].status, "rejected") == 0)
            continue;
        if (strcmp(r->lines[i].kind, "commission") == 0)
            earned += r->lines[i].amount_minor;
        sum += r->lines[i].amount_minor;
    }
    int64_t want = strcmp(r->conv.status, "reversed") == 0
                       ? 0
                       : aff_commission_after_refund(earned, r->conv.amount_minor, r->conv.refunded_minor);
    return sum == want;
}

/* ---- attribution lookups -------------------------------------------------------------- */

typedef struct lookup_ctx {
    aff_ctx *ctx;
    const aff_conversion_input *in;
} lookup_ctx;

static int lookup_click(aff_ctx *ctx, int64_t program_id, const char *click_id, int explicit_id,
                        aff_attr_candidate *c)
{
    if (click_id[0] == '\0')
        return 0;
    aff_click_row *row = malloc(sizeof(*row));
    if (row == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_click_get(ctx->st, click_id, row);
    if (rc == 0 && row->program_id == program_id) {
        c->found = 1;
        c->screened = (row->flags & AFF_CLICK_NOT_ATTRIBUTABLE) != 0; /* docs/fraud.md */
        c->ts_ms = row->ts_ms;
        c->affiliate_id = row->affiliate_id;
        c->link_id = row->link_id;
    } else if (rc == 0 || rc == AFF_ENOTFOUND) {
        c->error = explicit_id; /* a cookie from elsewhere is simply not ours */
        rc = 0;
    }
    free(row);
    return rc;
}

/* The keys a customer is known by in the customer table: "c:<customer_id>" and
 * "e:<sha256 of the e-mail>", in that order of preference. Returns how many. */
#define CUSTOMER_KEY_MAX (AFF_ORDER_ID_MAX + 8)
static int customer_keys(const aff_conversion_input *in, char keys[2][CUSTOMER_KEY_MAX])
{
    int n = 0;
    if (in->customer_id[0] != '\0')
        aff_str_concat2(keys[n++], CUSTOMER_KEY_MAX, "c:", in->customer_id);
    if (in->email_hash[0] != '\0')
        aff_str_concat2(keys[n++], CUSTOMER_KEY_MAX, "e:", in->email_hash);
    return n;
}

static int lookup_customer(aff_ctx *ctx, const aff_conversion_input *in, aff_attr_candidate *c)
{
    char keys[2][CUSTOMER_KEY_MAX];
    int n = customer_keys(in, keys);
    for (int i = 0; i < n; i++) {
        int rc = aff_store_customer_get(ctx->st, in->program_id, keys[i], &c->affiliate_id, &c->link_id);
        if (rc == 0) {
            c->found = 1;
            return 0;
        }
        if (rc != AFF_ENOTFOUND)
            return rc;
    }
    return 0;
}

static int attr_lookup(void *ud, aff_attr_method m, aff_attr_candidate *c)
{
    lookup_ctx *lc = ud;
    const aff_conversion_input *in = lc->in;
    switch (m) {
    case AFF_ATTR_CLICK_ID:
        return lookup_click(lc->ctx, in->program_id, in->click_id, 1, c);
    case AFF_ATTR_COOKIE:
        return lookup_click(lc->ctx, in->program_id, in->cookie_click_id, 0, c);
    case AFF_ATTR_COUPON: {
        const aff_snap_coupon *cp = in->coupon[0] ? aff_snap_coupon_get(lc->ctx->snap, in->program_id, in->coupon) : NULL;
        if (cp != NULL) {
            c->found = 1;
            c->affiliate_id = cp->affiliate_id;
            c->coupon_id = cp->id;
        }
        return 0;
    }
    case AFF_ATTR_REFERRAL_CODE: {
        const aff_snap_link *l =
            in->referral_code[0] ? aff_snap_link_get(lc->ctx->snap, in->referral_code, strlen(in->referral_code)) : NULL;
        if (l != NULL && l->program_id == in->program_id) {
            c->found = 1;
            c->affiliate_id = l->affiliate_id;
            c->link_id = l->id;
        }
        return 0;
    }
    case AFF_ATTR_CUSTOMER:
        return lookup_customer(lc->ctx, in, c);
    default:
        return 0;
    }
}

/* ---- recording ----------------------------------------------------------------------- */

static int remember_customer(aff_ctx *ctx, const aff_conversion_input *in, const aff_attr_result *a)
{
    char keys[2][CUSTOMER_KEY_MAX];
    int n = customer_keys(in, keys);
    for (int i = 0; i < n; i++) {
        int rc = aff_store_customer_put(ctx->st, in->program_id, keys[i], a->affiliate_id, a->link_id, in->now_ms);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int write_commission(aff_ctx *ctx, const aff_snap_program *p, aff_conversion_result *out)
{
    aff_conversion_row *conv = &out->conv;
    const aff_plan_rule *rule = aff_plan_rule_for(&p->plan, conv->event);
    if (rule == NULL)
        return 0; /* the plan pays nothing for this event */
    aff_ledger_row line = {.conversion_id = conv->id,
                           .program_id = conv->program_id,
                           .affiliate_id = conv->affiliate_id,
                           .plan_version = p->plan_version,
                           .created_ms = conv->created_ms};
    int rc = aff_commission_compute(rule, conv->amount_minor, &line.amount_minor, line.rule);
    if (rc != 0)
        return rc;
    memcpy(line.currency, conv->currency, sizeof(line.currency));
    aff_str_copy(line.kind, sizeof(line.kind), "commission");
    aff_str_copy(line.status, sizeof(line.status), strcmp(conv->status, "approved") == 0   ? "approved"
                                                     : strcmp(conv->status, "rejected") == 0 ? "rejected"
                                                                                             : "pending");
    /* A test conversion shows the line it would earn (id 0), and stores none. */
    if (!conv->test && (rc = aff_store_ledger_insert(ctx->st, &line)) != 0)
        return rc;
    out->lines[out->nlines++] = line;
    return 0;
}

static int64_t counted_commission(const aff_conversion_result *r)
{
    int64_t sum = 0;
    for (int i = 0; i < r->nlines; i++)
        if (strcmp(r->lines[i].status, "rejected") != 0)
            sum += r->lines[i].amount_minor;
    return sum;
}

void aff_conversion_input_clear(aff_conversion_input *in)
{
    memset(in, 0, offsetof(aff_conversion_input, items_json) + 1);
}

int aff_conversion_record(aff_ctx *ctx, const aff_conversion_input *in, aff_conversion_result *out, aff_errinfo *err)
{
    /* out is large (its lines and items): set what is read instead of zeroing it all. */
    out->nlines = 0;
    out->replayed = 0;
    int rc = aff_store_conversion_find(ctx->st, in->program_id, in->event, in->order_id, &out->conv);
    if (rc == 0) {
        out->replayed = 1;
        if ((rc = load_lines(ctx->st, out)) != 0)
            return rc;
        const aff_snap_program *p = aff_snap_program_get(ctx->snap, in->program_id);
        return out->conv.test && p != NULL ? write_commission(ctx, p, out) : 0;
    }
    if (rc != AFF_ENOTFOUND)
        return rc;
    const aff_snap_program *p = aff_snap_program_get(ctx->snap, in->program_id);
    if (p == NULL)
        return aff_fail(err, AFF_ENOTFOUND, "program_id", "no such program");

    aff_attr_result a;
    lookup_ctx lc = {ctx, in};
    if ((rc = aff_attribute(p->first_click, p->cookie_days, in->now_ms, attr_lookup, &lc, &a, err)) != 0)
        return rc;

    aff_conversion_row *c = &out->conv;
    c->program_id = in->program_id;
    memcpy(c->event, in->event, sizeof(c->event));
    memcpy(c->order_id, in->order_id, sizeof(c->order_id));
    c->amount_minor = in->amount_minor;
    memcpy(c->currency, p->currency, 4);
    aff_str_copy(c->status, sizeof(c->status), in->status[0] ? in->status : "pending");
    aff_str_copy(c->method, sizeof(c->method), aff_attr_method_name(a.method));
    c->click_id[0] = '\0';
    if (a.method == AFF_ATTR_CLICK_ID)
        memcpy(c->click_id, in->click_id, sizeof(c->click_id));
    else if (a.method == AFF_ATTR_COOKIE)
        memcpy(c->click_id, in->cookie_click_id, sizeof(c->click_id));
    c->affiliate_id = a.affiliate_id;
    c->link_id = a.link_id;
    c->coupon_id = a.coupon_id;
    memcpy(c->coupon, in->coupon, sizeof(c->coupon));
    memcpy(c->customer_id, in->customer_id, sizeof(c->customer_id));
    memcpy(c->email_hash, in->email_hash, sizeof(c->email_hash));
    c->test = in->test;
    c->refunded_minor = 0;
    aff_str_copy(c->items_json, sizeof(c->items_json), in->items_json);
    c->created_ms = in->now_ms;
    if ((rc = aff_store_conversion_insert(ctx->st, c)) != 0)
        return rc;
    if (!in->test && strcmp(c->status, "rejected") != 0 && (rc = remember_customer(ctx, in, &a)) != 0)
        return rc;
    if ((rc = write_commission(ctx, p, out)) != 0)
        return rc;
    if (in->test || strcmp(c->status, "rejected") == 0)
        return 0;
    aff_rollup_delta d = {.conversions = 1, .revenue_minor = c->amount_minor, .commission_minor = counted_commission(out)};
    return aff_rollup_add(ctx, in->now_ms / AFF_MS_PER_HOUR, c->program_id, c->affiliate_id, c->link_id, &d);
}

/* ---- refunds ------------------------------------------------------------------------- */

int aff_conversion_refund(aff_ctx *ctx, int64_t id, int64_t amount_minor, int64_t now_ms, aff_conversion_result *out,
                          aff_errinfo *err)
{
    int rc = aff_conversion_load(ctx->st, id, out);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, rc, NULL, "no such conversion");
    if (rc != 0)
        return rc;
    aff_conversion_row *c = &out->conv;
    if (c->test)
        return aff_fail(err, AFF_EINVAL, NULL, "a test conversion cannot be refunded");
    if (strcmp(c->status, "rejected") == 0)
        return aff_fail(err, AFF_EINVAL, NULL, "a rejected conversion earned nothing to refund");
    if (strcmp(c->status, "reversed") == 0)
        return aff_fail(err, AFF_ECONFLICT, NULL, "the conversion is already fully refunded");
    int64_t remaining = c->amount_minor - c->refunded_minor;
    if (amount_minor < 0)
        amount_minor = remaining;
    if (amount_minor > remaining)
        return aff_fail(err, AFF_EINVAL, "amount_minor", "refund of %lld exceeds the %lld that remains",
                        (long long)amount_minor, (long long)remaining);
    if (amount_minor == 0 && c->amount_minor != 0)
        return aff_fail(err, AFF_EINVAL, "amount_minor", "a refund must be greater than zero");

    int64_t refunded = c->refunded_minor + amount_minor;
    int64_t earned = 0, current = 0;
    const aff_ledger_row *model = NULL;
    for (int i = 0; i < out->nlines; i++) {
        if (strcmp(out->lines[i].kind, "commission") == 0) {
            earned += out->lines[i].amount_minor;
            model = &out->lines[i];
        }
        current += out->lines[i].amount_minor;
    }
    /* A zero-amount conversion (a lead) can only be reversed whole. */
    int64_t target = c->amount_minor == 0 ? 0 : aff_commission_after_refund(earned, c->amount_minor, refunded);
    int64_t delta = target - current;
    if (delta != 0 && model != NULL) {
        if (out->nlines == AFF_CONV_MAX_LINES)
            return aff_fail(err, AFF_ECONFLICT, NULL, "a conversion takes at most %d refunds",
                            AFF_CONV_MAX_LINES - 1);
        aff_ledger_row line = *model;
        line.id = 0;
        line.amount_minor = delta;
        aff_str_copy(line.kind, sizeof(line.kind), "reversal");
        line.created_ms = now_ms;
        if ((rc = aff_store_ledger_insert(ctx->st, &line)) != 0)
            return rc;
        out->lines[out->nlines++] = line;
    }
    if (refunded >= c->amount_minor)
        aff_str_copy(c->status, sizeof(c->status), "reversed");
    if ((rc = aff_store_conversion_set_refund(ctx->st, c->id, refunded, c->status)) != 0)
        return rc;
    c->refunded_minor = refunded;
    aff_rollup_delta d = {.refunds_minor = amount_minor, .commission_minor = model != NULL ? delta : 0};
    return aff_rollup_add(ctx, now_ms / AFF_MS_PER_HOUR, c->program_id, c->affiliate_id, c->link_id, &d);
}
