/* conversion.c - conversions, their commission lines and refunds; see conversion.h. */
#include "track/conversion.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/clock.h"
#include "core/str.h"
#include "track/attribution.h"
#include "track/commission.h"
#include "track/earn.h"
#include "track/geo.h"
#include "track/recent.h"
#include "track/ledger.h"
#include "track/rollup.h"
#include "track/cap.h"
#include "track/screen.h"

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
    char why[160];
    return aff_ledger_check(r, why, sizeof(why));
}

/* ---- attribution lookups -------------------------------------------------------------- */

_Static_assert(sizeof(((aff_attr_candidate *)0)->sub1) == AFF_SUB_MAX + 1, "a click's sub1 fits the candidate's");

typedef struct lookup_ctx {
    aff_ctx *ctx;
    const aff_conversion_input *in;
} lookup_ctx;

static int lookup_click(aff_ctx *ctx, int64_t program_id, const char *click_id, int explicit_id, aff_attr_candidate *c)
{
    if (click_id[0] == '\0')
        return 0;
    aff_click_attr row;
    int rc = aff_store_click_attr_get(ctx->st, click_id, &row);
    if (rc == 0 && row.program_id == program_id) {
        c->found = 1;
        c->screened = (row.flags & AFF_CLICK_NOT_ATTRIBUTABLE) != 0; /* docs/fraud.md */
        c->ts_ms = row.ts_ms;
        c->affiliate_id = row.affiliate_id;
        c->link_id = row.link_id;
        aff_str_copy(c->ip, sizeof(c->ip), row.ip);
        aff_str_copy(c->country, sizeof(c->country), row.country);
        aff_str_copy(c->sub1, sizeof(c->sub1), row.sub1);
    } else if (rc == 0 || rc == AFF_ENOTFOUND) {
        c->error = explicit_id; /* a cookie from elsewhere is simply not ours */
        rc = 0;
    }
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
        const aff_snap_coupon *cp =
            in->coupon[0] ? aff_snap_coupon_get(lc->ctx->snap, in->program_id, in->coupon) : NULL;
        if (cp != NULL) {
            c->found = 1;
            c->affiliate_id = cp->affiliate_id;
            c->coupon_id = cp->id;
        }
        return 0;
    }
    case AFF_ATTR_REFERRAL_CODE: {
        const aff_snap_link *l = in->referral_code[0]
                                     ? aff_snap_link_get(lc->ctx->snap, in->referral_code, strlen(in->referral_code))
                                     : NULL;
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

/* A renewal belongs to whoever earned the customer's original conversion of the same
 * event: the customer id (or e-mail) must find it. */
static int attribute_renewal(aff_ctx *ctx, const aff_conversion_input *in, aff_attr_result *a, int64_t *origin_id,
                             aff_errinfo *err)
{
    if (in->customer_id[0] == '\0' && in->email_hash[0] == '\0')
        return aff_fail(err, AFF_EINVAL, "customer_id",
                        "a renewal needs the customer_id (or email) of its original order");
    aff_conversion_row *o = malloc(sizeof(*o));
    if (o == NULL)
        return AFF_ENOMEM;
    int rc =
        aff_store_conversion_first_of_customer(ctx->st, in->program_id, in->event, in->customer_id, in->email_hash, o);
    if (rc == AFF_ENOTFOUND)
        rc = aff_fail(err, AFF_ENOATTR, "customer_id", "renewal: no earlier %s of this customer to renew", in->event);
    if (rc == 0) {
        memset(a, 0, sizeof(*a));
        a->method = AFF_ATTR_CUSTOMER;
        a->affiliate_id = o->affiliate_id;
        a->link_id = o->link_id;
        a->coupon_id = o->coupon_id;
        aff_str_copy(a->sub1, sizeof(a->sub1), o->sub1);
        *origin_id = o->id;
    }
    free(o);
    return rc;
}

/* Run the program's screening rules on a new conversion c (attributed as a, from in)
 * and apply the strongest action: reject stores it rejected, hold stores it held, flag
 * only records the hits. */
static int screen(aff_ctx *ctx, const aff_snap_program *p, const aff_conversion_input *in, const aff_attr_result *a,
                  aff_conversion_result *out)
{
    aff_conversion_row *c = &out->conv;
    char aff_email[65] = "";
    int rc = 0;
    if (in->email_hash[0] != '\0' && p->screening.rule[AFF_SCREEN_SELF_REFERRAL].action != AFF_SCREEN_OFF) {
        /* the affiliate's e-mail matters only against a customer's (self_referral) */
        aff_affiliate_row *aff = malloc(sizeof(*aff));
        if (aff == NULL)
            return AFF_ENOMEM;
        rc = aff_store_affiliate_get(ctx->st, a->affiliate_id, aff);
        if (rc == 0)
            aff_screen_email_hash(aff->email, aff_email);
        free(aff);
        if (rc != 0 && rc != AFF_ENOTFOUND)
            return rc;
    }
    char country[3] = "";
    unsigned char addr[16];
    if (a->click_country[0] != '\0' && aff_geo_has_country() && aff_cidr_parse_addr(in->ip, addr) == 0) {
        uint32_t asn;
        aff_geo_lookup(addr, &asn, country);
    }
    aff_screen_facts f = {.program_id = in->program_id,
                          .affiliate_id = a->affiliate_id,
                          .now_ms = in->now_ms,
                          .click_ms = a->click_ms,
                          .click_ip = a->click_ip,
                          .ip = in->ip,
                          .click_country = a->click_country,
                          .country = country,
                          .email_hash = in->email_hash,
                          .affiliate_email_hash = aff_email,
                          .customer_id = in->customer_id,
                          .amount_minor = in->amount_minor,
                          .order_id = in->order_id,
                          .recent = ctx->recent};
    aff_screen_result r;
    if ((rc = aff_screen_run(ctx->st, &p->screening, &f, &r)) != 0)
        return rc;
    /* Caps come after the rules: a cap hit is one more hit, a hard one rejects. */
    aff_cap_verdict v;
    if ((rc = aff_cap_check(ctx->st, in->program_id, &p->caps, a->affiliate_id, in->now_ms, &v)) != 0)
        return rc;
    out->cap_code = v.code;
    out->cap_hard = v.over;
    if (v.code != 0 && r.nhits < AFF_SCREEN_RULES + 1) {
        aff_screen_hit *h = &r.hits[r.nhits++];
        *h = (aff_screen_hit){v.code, v.name, v.over ? AFF_SCREEN_REJECT : AFF_SCREEN_FLAG, 0};
        if (h->action > r.action) {
            r.action = h->action;
            r.decisive = h;
        }
    }
    /* A burst held by the velocity rule is held whole: the affiliate's conversions of
     * the last minute that were still pending join this one in the review queue. */
    for (int i = 0; i < r.nhits; i++) {
        const aff_screen_hit *h = &r.hits[i];
        if (h->code != AFF_SCREEN_VELOCITY_CODE || h->action < AFF_SCREEN_HOLD)
            continue;
        char hit[160], reason[64];
        int64_t n = 0;
        snprintf(hit, sizeof(hit), "{\"code\":%d,\"rule\":\"%s\",\"action\":\"hold\",\"score\":%d}", h->code, h->name,
                 h->score);
        snprintf(reason, sizeof(reason), "%d %s", h->code, h->name);
        if ((rc = aff_store_conversion_hold_recent(ctx->st, in->program_id, a->affiliate_id, in->now_ms - 60000, reason,
                                                   hit, h->score, &n)) != 0)
            return rc;
    }
    c->score = r.score;
    aff_screen_hits_json(&r, c->screening, sizeof(c->screening));
    aff_screen_reason(&r, c->reason, sizeof(c->reason));
    if (r.action == AFF_SCREEN_REJECT)
        aff_str_copy(c->status, sizeof(c->status), "rejected");
    else if (r.action == AFF_SCREEN_HOLD)
        aff_str_copy(c->status, sizeof(c->status), "held");
    return 0;
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

/* The conversion's commission lines: priced and stored (aff_earn_price) before its own
 * row, which the caller then inserts with what it earned; for a test conversion only
 * shown; for one posted as rejected, stored as rejected lines (what it would have
 * earned, counted nowhere). *split gets what reports count. */
static int write_commission(aff_ctx *ctx, const aff_snap_program *p, aff_conversion_result *out, int64_t now_ms,
                            aff_rollup_split *split)
{
    aff_conversion_row *conv = &out->conv;
    if (conv->test)
        return aff_earn_price(ctx, &p->plan, p->plan_version, out, now_ms, AFF_EARN_DRY, split);
    if (strcmp(conv->status, "rejected") != 0)
        return aff_earn_price(ctx, &p->plan, p->plan_version, out, now_ms, AFF_EARN_NEW, split);
    int first = out->nlines;
    int rc = aff_earn_price(ctx, &p->plan, p->plan_version, out, now_ms, AFF_EARN_DRY, split);
    for (int i = first; rc == 0 && i < out->nlines; i++)
        rc = aff_store_ledger_insert(ctx->st, &out->lines[i]);
    aff_rollup_split_clear(split);
    return rc;
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
    out->cap_code = 0;
    out->cap_hard = 0;
    int rc = aff_store_conversion_find(ctx->st, in->program_id, in->event, in->order_id, &out->conv);
    if (rc == 0) {
        out->replayed = 1;
        if ((rc = load_lines(ctx->st, out)) != 0)
            return rc;
        const aff_snap_program *p = aff_snap_program_get(ctx->snap, in->program_id);
        aff_rollup_split ignored;
        return out->conv.test && p != NULL ? write_commission(ctx, p, out, in->now_ms, &ignored) : 0;
    }
    if (rc != AFF_ENOTFOUND)
        return rc;
    const aff_snap_program *p = aff_snap_program_get(ctx->snap, in->program_id);
    if (p == NULL)
        return aff_fail(err, AFF_ENOTFOUND, "program_id", "no such program");

    aff_attr_result a;
    lookup_ctx lc = {ctx, in};
    int64_t origin_id = 0;
    if (in->renewal)
        rc = attribute_renewal(ctx, in, &a, &origin_id, err);
    else
        rc = aff_attribute(p->first_click, p->cookie_days, in->now_ms, attr_lookup, &lc, &a, err);
    if (rc != 0)
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
    c->shipping_minor = in->shipping_minor;
    c->tax_minor = in->tax_minor;
    c->renewal = in->renewal;
    c->origin_id = origin_id;
    c->plan_version = 0;
    c->earned_minor = 0;
    c->tier = 0;
    c->counted = 0;
    c->reason[0] = '\0';
    c->score = 0;
    c->screening[0] = '\0';
    aff_str_copy(c->ip, sizeof(c->ip), in->ip);
    aff_str_copy(c->sub1, sizeof(c->sub1), a.sub1);
    if (!in->test && strcmp(c->status, "rejected") != 0 && (rc = screen(ctx, p, in, &a, out)) != 0)
        return rc;
    c->hold_until_ms = strcmp(c->status, "held") == 0      ? INT64_MAX
                       : strcmp(c->status, "pending") == 0 ? in->now_ms + (int64_t)p->hold_days * AFF_MS_PER_DAY
                                                           : in->now_ms;
    aff_str_copy(c->items_json, sizeof(c->items_json), in->items_json);
    c->created_ms = in->now_ms;
    /* Priced first, under the id its row will get, then stored once with what it
     * earned: an insert and no update of the row (16k instructions a conversion). */
    if ((rc = aff_store_conversion_next_id(ctx->st, &c->id)) != 0)
        return rc;
    if (!in->test && strcmp(c->status, "rejected") != 0 && (rc = remember_customer(ctx, in, &a)) != 0)
        return rc;
    aff_rollup_split split;
    if ((rc = write_commission(ctx, p, out, in->now_ms, &split)) != 0)
        return rc;
    if ((rc = aff_store_conversion_insert(ctx->st, c)) != 0)
        return rc;
    if (!c->test && ctx->recent != NULL)
        aff_recent_add(ctx->recent, c->program_id, c->affiliate_id, c->created_ms);
    if (in->test || strcmp(c->status, "rejected") == 0)
        return 0;
    if (p->caps.n > 0 && (rc = aff_cap_count(ctx->st, c->program_id, &p->caps, c->affiliate_id, in->now_ms,
                                             split.commission_minor)) != 0)
        return rc;
    aff_rollup_delta d = {.conversions = 1, .revenue_minor = c->amount_minor};
    return aff_rollup_add_split(ctx, in->now_ms / AFF_MS_PER_HOUR, c->program_id, c->affiliate_id, c->link_id, c->sub1,
                                &d, &split);
}

/* ---- refunds ------------------------------------------------------------------------- */

int aff_conversion_refund(aff_ctx *ctx, int64_t id, int64_t amount_minor, int64_t now_ms, aff_conversion_result *out,
                          aff_errinfo *err)
{
    return aff_conversion_take_back(ctx, id, amount_minor, 0, now_ms, out, err);
}

int aff_conversion_take_back(aff_ctx *ctx, int64_t id, int64_t amount_minor, int chargeback, int64_t now_ms,
                             aff_conversion_result *out, aff_errinfo *err)
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
    c->refunded_minor = refunded;
    if (refunded >= c->amount_minor)
        aff_str_copy(c->status, sizeof(c->status), "reversed");
    if ((rc = aff_store_conversion_set_refund(ctx->st, c->id, refunded, c->status)) != 0)
        return rc;
    /* Every share (commission, parents', bonuses) follows the refund pro rata, with one
     * appended line each; a full refund also reverses what never reached a payout. */
    int64_t delta = 0;
    int first = out->nlines;
    rc = aff_ledger_sync_all(ctx->st, out, chargeback ? "chargeback" : "reversal", now_ms, &delta);
    if (rc == AFF_ECONFLICT)
        return aff_fail(err, rc, NULL, "a conversion takes at most %d ledger lines", AFF_CONV_MAX_LINES);
    if (rc == 0 && strcmp(c->status, "reversed") == 0)
        rc = aff_ledger_reverse_unpaid(ctx->st, out, now_ms);
    char why[160];
    if (rc == 0 && !aff_ledger_check(out, why, sizeof(why)))
        rc = aff_fail(err, AFF_EINVARIANT, NULL, "ledger invariant: %s", why);
    /* the appended lines, by payee, for the reports (a reversed line still counts) */
    aff_rollup_split split;
    aff_rollup_split_clear(&split);
    for (int i = first; rc == 0 && i < out->nlines; i++)
        rc = aff_rollup_split_line(&split, c->affiliate_id, out->lines[i].affiliate_id, out->lines[i].amount_minor);
    if (rc == 0 && split.commission_minor != delta)
        rc = aff_fail(err, AFF_EINVARIANT, NULL, "refund lines sum to %lld, their shares moved by %lld",
                      (long long)split.commission_minor, (long long)delta);
    if (rc != 0)
        return rc;
    aff_rollup_delta d = {.refunds_minor = amount_minor};
    return aff_rollup_add_split(ctx, now_ms / AFF_MS_PER_HOUR, c->program_id, c->affiliate_id, c->link_id, c->sub1, &d,
                                &split);
}
