/* earn.c - applying a commission plan to a recorded conversion; see earn.h. */
#include "track/earn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "track/ledger.h"

int aff_earn_plan_of(aff_store *st, int64_t program_id, int version, aff_plan *plan)
{
    char *json = malloc(AFF_PLAN_MAX + 1);
    if (json == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_plan_get(st, program_id, version, json, AFF_PLAN_MAX + 1);
    if (rc == 0 && aff_plan_parse(json, plan, NULL, 0, NULL) != 0)
        rc = AFF_EINVAL; /* stored plans were validated on write */
    free(json);
    return rc;
}

/* ---- facts ---------------------------------------------------------------------------- */

typedef struct facts {
    aff_comm_facts f;
    aff_comm_item items[AFF_COMM_MAX_ITEMS];
    json_t *items_json;
    char group[AFF_GROUP_MAX + 1];
} facts;

/* The facts plan prices: the conversion's, and the affiliate's group when a rule of the
 * plan asks for it (reading the affiliate cost 3,300 instructions a conversion). */
static int facts_load(aff_store *st, const aff_plan *plan, const aff_conversion_row *c, facts *x)
{
    memset(&x->f, 0, sizeof(x->f));
    x->items_json = NULL;
    x->group[0] = '\0';
    /* the affiliate first: a failure then leaves nothing for the caller to free */
    if (aff_plan_uses_groups(plan)) {
        aff_affiliate_row *a = malloc(sizeof(*a));
        if (a == NULL)
            return AFF_ENOMEM;
        int rc = aff_store_affiliate_get(st, c->affiliate_id, a);
        if (rc == 0)
            aff_str_copy(x->group, sizeof(x->group), a->group);
        free(a);
        if (rc != 0 && rc != AFF_ENOTFOUND)
            return rc;
    }
    int n = aff_comm_items_parse(c->items_json, x->items, AFF_COMM_MAX_ITEMS, &x->items_json);
    if (n < 0)
        n = 0; /* items were validated on the way in */
    /* Conversions stored before the API bounded amount_minor * quantity in 128 bits may
     * hold items that wrap int64 (verify lists them): those are priced on their amount
     * alone, as if they had no items, rather than refused (aff_commission_eval) or
     * multiplied into a wrong commission. */
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        if (aff_comm_item_add(x->items[i].unit_minor, x->items[i].quantity, &total) != 0)
            n = 0;
    x->f = (aff_comm_facts){.event = c->event,
                            .amount_minor = c->amount_minor,
                            .shipping_minor = c->shipping_minor,
                            .tax_minor = c->tax_minor,
                            .items = x->items,
                            .nitems = n,
                            .affiliate_id = c->affiliate_id,
                            .group = x->group};
    return 0;
}

static void facts_free(facts *x)
{
    json_decref(x->items_json);
    x->items_json = NULL;
}

/* ---- counting periods ------------------------------------------------------------------- */

#define MAX_COUNTERS (1 + AFF_PLAN_MAX_BONUSES)

typedef struct counters {
    int n;
    aff_period_row rows[MAX_COUNTERS];
} counters;

static aff_period_row *counter_for(aff_store *st, counters *cs, const aff_conversion_row *c, const char *event,
                                   const aff_period *p, int *rc)
{
    char key[64], pk[40];
    aff_period_key(p, pk, sizeof(pk));
    snprintf(key, sizeof(key), "%.20s/%s", event, pk);
    int64_t start = aff_period_start(p, c->created_ms);
    for (int i = 0; i < cs->n; i++)
        if (strcmp(cs->rows[i].counter, key) == 0 && cs->rows[i].period_start_ms == start)
            return &cs->rows[i];
    if (cs->n == MAX_COUNTERS) {
        *rc = AFF_ERANGE;
        return NULL;
    }
    aff_period_row *r = &cs->rows[cs->n];
    if ((*rc = aff_store_period_get(st, c->program_id, c->affiliate_id, key, start, r)) != 0)
        return NULL;
    cs->n++;
    return r;
}

static int64_t volume_of(const aff_period_row *r, int basis)
{
    return basis == AFF_BASIS_REVENUE ? r->revenue_minor : r->conversions;
}

static int level_of(const aff_plan_tiers *t, int64_t volume)
{
    int level = 0;
    for (int i = 0; i < t->n; i++)
        if (volume >= t->level[i].min)
            level = i + 1;
    return level;
}

/* ---- lines -------------------------------------------------------------------------- */

static int append_line(aff_store *st, aff_conversion_result *r, const char *rule, int64_t amount, int64_t gross,
                       int plan_version, int64_t now_ms, int dry)
{
    if (r->nlines == AFF_CONV_MAX_LINES)
        return AFF_ECONFLICT;
    const aff_conversion_row *c = &r->conv;
    aff_ledger_row *l = &r->lines[r->nlines];
    memset(l, 0, sizeof(*l));
    l->conversion_id = c->id;
    l->program_id = c->program_id;
    l->affiliate_id = c->affiliate_id;
    l->amount_minor = amount;
    memcpy(l->currency, c->currency, sizeof(l->currency));
    aff_str_copy(l->kind, sizeof(l->kind), "commission");
    aff_str_copy(l->slot, sizeof(l->slot), "commission");
    aff_str_copy(l->rule, sizeof(l->rule), rule);
    l->plan_version = plan_version;
    l->gross_minor = gross;
    const char *status = strcmp(c->status, "approved") == 0   ? "approved"
                         : strcmp(c->status, "rejected") == 0 ? "rejected"
                                                              : "pending"; /* pending, held */
    aff_str_copy(l->status, sizeof(l->status), status);
    l->hold_until_ms = strcmp(status, "pending") == 0 ? c->hold_until_ms : now_ms;
    l->created_ms = l->updated_ms = now_ms;
    int rc = dry ? 0 : aff_store_ledger_insert(st, l);
    if (rc == 0)
        r->nlines++;
    return rc;
}

/* The plan's lines for r as the commission share (one or more lines, each its rule). */
static int write_commission(aff_store *st, aff_conversion_result *r, const aff_comm_result *res, int64_t earned,
                            int plan_version, int64_t now_ms, int dry)
{
    int written = 0, rc = 0;
    if (earned != res->total_minor) /* the affiliate cap cut it: one line says so */
        return append_line(st, r, "caps:affiliate", earned, earned, plan_version, now_ms, dry);
    for (int i = 0; i < res->n && rc == 0; i++)
        if (res->lines[i].amount_minor != 0 || (i == res->n - 1 && !written)) {
            rc = append_line(st, r, res->lines[i].rule, res->lines[i].amount_minor, earned, plan_version, now_ms, dry);
            written++;
        }
    return rc;
}

/* ---- parents ------------------------------------------------------------------------ */

/* The affiliate already holding slot in r, or 0. */
static int64_t slot_holder(const aff_conversion_result *r, const char *slot)
{
    for (int i = 0; i < r->nlines; i++)
        if (strcmp(r->lines[i].slot, slot) == 0)
            return r->lines[i].affiliate_id;
    return 0;
}

int aff_earn_sync_parents(aff_ctx *ctx, const aff_plan *plan, aff_conversion_result *r, int64_t now_ms, int64_t *delta)
{
    *delta = 0;
    if (plan->nlevels == 0)
        return 0;
    aff_affiliate_row *a = malloc(sizeof(*a));
    if (a == NULL)
        return AFF_ENOMEM;
    int64_t chain[AFF_PLAN_MAX_LEVELS + 1] = {r->conv.affiliate_id};
    int rc = aff_store_affiliate_get(ctx->st, r->conv.affiliate_id, a);
    for (int k = 1; rc == 0 && k <= plan->nlevels; k++) {
        int64_t parent = a->parent_id;
        int cycle = parent == 0;
        for (int i = 0; i < k && !cycle; i++)
            cycle = chain[i] == parent;
        if (cycle)
            break;
        if ((rc = aff_store_affiliate_get(ctx->st, parent, a)) != 0)
            break;
        chain[k] = parent;
        char slot[32], rule[32];
        snprintf(slot, sizeof(slot), "override:%d", k);
        snprintf(rule, sizeof(rule), "sub_affiliates:%d", k);
        int64_t holder = slot_holder(r, slot);
        int64_t gross = aff_commission_share(r->conv.earned_minor, plan->level_rate[k - 1]);
        if (holder == 0 && (gross == 0 || strcmp(a->status, "approved") != 0))
            continue; /* only approved parents start earning */
        aff_share s = {slot, holder != 0 ? holder : parent, gross, "override", rule, r->conv.plan_version};
        int64_t d = 0;
        rc = aff_ledger_sync_share(ctx->st, r, &s, now_ms, 0, &d);
        *delta += d;
    }
    free(a);
    return rc == AFF_ENOTFOUND ? 0 : rc; /* a parent that no longer exists ends the chain */
}

/* ---- retroactive tiers ----------------------------------------------------------------- */

typedef struct retro {
    aff_ctx *ctx;
    const aff_plan *plan;
    int plan_version;
    int64_t skip_id;
    int64_t volume;
    int level;
    aff_period_row *cap; /* NULL: no cap */
    int64_t cap_minor;
    int64_t now_ms;
    aff_rollup_split *split; /* the adjustments, for the reports */
    aff_plan *other;         /* the plan of another version, loaded on demand */
    int other_version;
} retro;

static const aff_plan *plan_for(retro *x, const aff_conversion_row *c, int *rc)
{
    if (c->plan_version == x->plan_version || c->plan_version == 0)
        return x->plan;
    if (x->other == NULL && (x->other = malloc(sizeof(*x->other))) == NULL) {
        *rc = AFF_ENOMEM;
        return NULL;
    }
    if (x->other_version != c->plan_version) {
        if ((*rc = aff_earn_plan_of(x->ctx->st, c->program_id, c->plan_version, x->other)) != 0)
            return NULL;
        x->other_version = c->plan_version;
    }
    return x->other;
}

/* Re-price one earlier conversion at the new level. Whatever happened to it since (a
 * refund, a full reversal, an admin's rejection), its gross follows the level, so a
 * replay in order of the final states (track/replay.h) finds the same numbers; a
 * rejected conversion only records its gross (no line: it earns nothing). */
static int reprice_one(retro *x, const aff_conversion_row *row)
{
    if (row->id == x->skip_id || row->test || row->renewal || !row->counted)
        return 0;
    int rc = 0;
    const aff_plan *plan = plan_for(x, row, &rc);
    if (plan == NULL)
        return rc;
    facts *fx = malloc(sizeof(*fx));
    aff_conversion_result *r = malloc(sizeof(*r));
    if (fx == NULL || r == NULL) {
        free(fx);
        free(r);
        return AFF_ENOMEM;
    }
    aff_comm_result res;
    if ((rc = aff_conversion_load(x->ctx->st, row->id, r)) == 0 &&
        (rc = facts_load(x->ctx->st, plan, &r->conv, fx)) == 0) {
        fx->f.volume = x->volume;
        rc = aff_commission_eval(plan, &fx->f, &res);
        facts_free(fx);
    }
    int64_t change = rc == 0 && res.pays ? res.total_minor - r->conv.earned_minor : 0;
    if (x->cap != NULL && change > 0) {
        int64_t room = x->cap_minor - x->cap->commission_minor;
        change = change < room ? change : room > 0 ? room : 0;
    }
    if (rc == 0 && change != 0) {
        r->conv.earned_minor += change;
        r->conv.tier = x->level;
        if (x->cap != NULL)
            x->cap->commission_minor += change;
        char rule[64];
        snprintf(rule, sizeof(rule), "%.32s:tier:%d", r->conv.event, x->level);
        aff_share s = {"commission", r->conv.affiliate_id, r->conv.earned_minor, "tier_adjust",
                       rule,         r->conv.plan_version};
        int64_t d1 = 0, d2 = 0;
        char why[160];
        int rejected = strcmp(r->conv.status, "rejected") == 0, first = r->nlines;
        if (!rejected)
            rc = aff_ledger_sync_share(x->ctx->st, r, &s, x->now_ms, 0, &d1);
        if (rc == 0 && !rejected)
            rc = aff_earn_sync_parents(x->ctx, plan, r, x->now_ms, &d2);
        if (rc == 0)
            rc = aff_store_conversion_set_state(x->ctx->st, &r->conv);
        if (rc == 0 && !aff_ledger_check(r, why, sizeof(why)))
            rc = AFF_EINVARIANT;
        for (int i = first; i < r->nlines && rc == 0; i++)
            rc = aff_rollup_split_line(x->split, r->conv.affiliate_id, r->lines[i].affiliate_id,
                                       r->lines[i].amount_minor);
    }
    free(fx);
    free(r);
    return rc;
}

static int reprice_cb(void *ud, const aff_conversion_row *row)
{
    int rc = reprice_one(ud, row);
    return rc < 0 ? rc : 0;
}

/* ---- pricing ------------------------------------------------------------------------ */

/* Add months to a UTC instant, clamping the day (Jan 31 + 1 month = Feb 28/29). */
static int64_t add_months(int64_t ms, int months)
{
    aff_period month = {.kind = AFF_PERIOD_MONTH};
    int64_t start = aff_period_start(&month, ms);
    int64_t offset = ms - start, t = start;
    for (int i = 0; i < months; i++)
        t = aff_period_end(&month, t);
    int64_t end = aff_period_end(&month, t);
    return t + offset < end ? t + offset : end - 1;
}

static int set_unpriced(aff_ctx *ctx, aff_conversion_result *r, int plan_version, int stored)
{
    r->conv.earned_minor = 0;
    r->conv.tier = 0;
    r->conv.plan_version = plan_version;
    return stored ? aff_store_conversion_set_earned(ctx->st, &r->conv) : 0;
}

typedef struct pricing {
    const aff_plan *plan; /* the plan that prices it (the original's for a renewal) */
    int version;
    int renewal_tier; /* -1: count volume; else the tier a renewal keeps */
    aff_plan *owned;  /* freed by the caller */
} pricing;

/* Which plan and tier price a renewal; *earns = 0 when it earns nothing. */
static int renewal_pricing(aff_ctx *ctx, const aff_plan *plan, int version, const aff_conversion_row *c, pricing *p,
                           int *earns)
{
    const aff_plan_event *e = aff_plan_event_for(plan, c->event);
    *earns = 0;
    if (e == NULL || e->recurring_months == 0)
        return 0;
    aff_conversion_row *origin = malloc(sizeof(*origin));
    if (origin == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_conversion_get(ctx->st, c->origin_id, origin);
    if (rc == 0 && (e->recurring_months < 0 || c->created_ms < add_months(origin->created_ms, e->recurring_months))) {
        *earns = 1;
        if (!e->recurring_current_rate) {
            p->renewal_tier = origin->tier;
            if (origin->plan_version != version && origin->plan_version != 0) {
                if ((p->owned = malloc(sizeof(*p->owned))) == NULL)
                    rc = AFF_ENOMEM;
                else if ((rc = aff_earn_plan_of(ctx->st, c->program_id, origin->plan_version, p->owned)) == 0) {
                    p->plan = p->owned;
                    p->version = origin->plan_version;
                }
            }
        }
    }
    free(origin);
    return rc == AFF_ENOTFOUND ? 0 : rc;
}

int aff_earn_price(aff_ctx *ctx, const aff_plan *plan, int plan_version, aff_conversion_result *r, int64_t now_ms,
                   aff_earn_mode mode, aff_rollup_split *split)
{
    int dry = mode == AFF_EARN_DRY, stored = mode == AFF_EARN_STORED;
    aff_conversion_row *c = &r->conv;
    int first = r->nlines;
    aff_rollup_split_clear(split);
    pricing p = {plan, plan_version, -1, NULL};
    int rc = 0, earns = 1;
    if (aff_plan_event_for(plan, c->event) == NULL)
        return set_unpriced(ctx, r, plan_version, stored);
    if (c->renewal && (rc = renewal_pricing(ctx, plan, plan_version, c, &p, &earns)) != 0)
        return rc;
    const aff_plan_event *e = aff_plan_event_for(p.plan, c->event);
    if (!earns || e == NULL) {
        free(p.owned);
        return set_unpriced(ctx, r, plan_version, stored);
    }
    facts *fx = malloc(sizeof(*fx));
    counters *cs = calloc(1, sizeof(*cs));
    if (fx == NULL || cs == NULL || (rc = facts_load(ctx->st, p.plan, c, fx)) != 0) {
        free(fx);
        free(cs);
        free(p.owned);
        return rc != 0 ? rc : AFF_ENOMEM;
    }
    /* 2. volume: count the conversion in every period its tiers and bonuses use */
    aff_period_row *tiers_row = NULL;
    int ev = -1;
    for (int i = 0; i < p.plan->nevents; i++)
        if (&p.plan->events[i] == e)
            ev = i;
    if (p.renewal_tier < 0 && !c->renewal) {
        if (e->tiers.n > 0 && (tiers_row = counter_for(ctx->st, cs, c, e->name, &e->tiers.period, &rc)) == NULL)
            goto out;
        for (int b = 0; b < p.plan->nbonuses; b++)
            if (p.plan->bonuses[b].event == ev &&
                counter_for(ctx->st, cs, c, e->name, &p.plan->bonuses[b].period, &rc) == NULL)
                goto out;
        for (int i = 0; i < cs->n; i++) {
            cs->rows[i].conversions++;
            cs->rows[i].revenue_minor += c->amount_minor;
        }
        fx->f.volume = tiers_row != NULL ? volume_of(tiers_row, e->tiers.basis) : 0;
    } else if (p.renewal_tier > 0 && p.renewal_tier <= e->tiers.n) {
        fx->f.volume = e->tiers.level[p.renewal_tier - 1].min;
    } else if (c->renewal && e->tiers.n > 0) { /* current rate: the period's volume, uncounted */
        aff_period_row now;
        char key[64], pk[40];
        aff_period_key(&e->tiers.period, pk, sizeof(pk));
        snprintf(key, sizeof(key), "%.20s/%s", e->name, pk);
        if ((rc = aff_store_period_get(ctx->st, c->program_id, c->affiliate_id, key,
                                       aff_period_start(&e->tiers.period, c->created_ms), &now)) != 0)
            goto out;
        fx->f.volume = volume_of(&now, e->tiers.basis);
    }
    /* 3. the plan's lines */
    aff_comm_result res;
    if ((rc = aff_commission_eval(p.plan, &fx->f, &res)) != 0)
        goto out;
    /* 4. the affiliate's cap for the period */
    int64_t earned = res.total_minor;
    aff_period_row cap_row, *cap = NULL;
    if (plan->has_affiliate_cap && !dry) {
        char key[64], pk[40];
        aff_period_key(&plan->cap_period, pk, sizeof(pk));
        snprintf(key, sizeof(key), "*/%s", pk);
        if ((rc = aff_store_period_get(ctx->st, c->program_id, c->affiliate_id, key,
                                       aff_period_start(&plan->cap_period, c->created_ms), &cap_row)) != 0)
            goto out;
        cap = &cap_row;
        int64_t room = plan->affiliate_cap_minor - cap->commission_minor;
        if (earned > room)
            earned = room > 0 ? room : 0;
        cap->commission_minor += earned;
    }
    if ((rc = write_commission(ctx->st, r, &res, earned, p.version, now_ms, dry)) != 0)
        goto out;
    c->earned_minor = earned;
    c->tier = res.tier;
    c->plan_version = p.version;
    c->counted = !c->renewal && !dry;
    if (dry)
        goto out;
    if (stored && (rc = aff_store_conversion_set_earned(ctx->st, c)) != 0)
        goto out;
    /* 5. retroactive tiers re-price the period's earlier conversions */
    if (tiers_row != NULL && e->tiers.retroactive) {
        int level = level_of(&e->tiers, fx->f.volume);
        if (level > tiers_row->tier) {
            retro x = {ctx,    p.plan, p.version, c->id, fx->f.volume, level, cap, plan->affiliate_cap_minor,
                       now_ms, split,  NULL,      0};
            rc = aff_store_conversion_list_period(ctx->st, c->program_id, c->affiliate_id, c->event,
                                                  tiers_row->period_start_ms, c->created_ms + 1, reprice_cb, &x);
            free(x.other);
            tiers_row->tier = level;
            if (rc != 0)
                goto out;
        }
    }
    for (int i = 0; i < cs->n; i++)
        if ((rc = aff_store_period_put(ctx->st, &cs->rows[i])) != 0)
            goto out;
    if (cap != NULL && (rc = aff_store_period_put(ctx->st, cap)) != 0)
        goto out;
    /* 6. parents */
    int64_t d = 0;
    if ((rc = aff_earn_sync_parents(ctx, p.plan, r, now_ms, &d)) != 0)
        goto out;
    /* 7. milestone bonuses */
    for (int b = 0; b < p.plan->nbonuses && !c->renewal; b++) {
        const aff_plan_bonus *bo = &p.plan->bonuses[b];
        if (bo->event != ev)
            continue;
        aff_period_row *row = counter_for(ctx->st, cs, c, e->name, &bo->period, &rc);
        if (row == NULL)
            goto out;
        if (volume_of(row, bo->basis) < bo->threshold)
            continue;
        rc = aff_store_bonus_award(ctx->st, c->program_id, c->affiliate_id, bo->name, row->period_start_ms, c->id,
                                   now_ms);
        if (rc == AFF_EEXIST) {
            rc = 0;
            continue;
        }
        char slot[48];
        snprintf(slot, sizeof(slot), "bonus:%s", bo->name);
        aff_share s = {slot, c->affiliate_id, bo->amount_minor, "bonus", slot, p.version};
        int64_t bd = 0;
        if (rc != 0 || (rc = aff_ledger_sync_share(ctx->st, r, &s, now_ms, 0, &bd)) != 0)
            goto out;
    }
    char why[160];
    if (!aff_ledger_check(r, why, sizeof(why)))
        rc = AFF_EINVARIANT;
    for (int i = first; i < r->nlines && rc == 0; i++)
        rc = aff_rollup_split_line(split, c->affiliate_id, r->lines[i].affiliate_id, r->lines[i].amount_minor);
out:
    facts_free(fx);
    free(fx);
    free(cs);
    free(p.owned);
    return rc;
}
