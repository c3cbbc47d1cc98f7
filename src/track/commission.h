/*
 * commission.h - commission plans: parsing, validation, and what one conversion earns.
 *
 * A plan is one JSON object per program version (docs/commissions.md has the full
 * grammar with examples). Its simplest form is DESIGN.md's
 *     {"sale": {"percent": "10"}, "lead": {"flat_minor": 200}}
 * and each event may add: overrides by affiliate, sku, category and affiliate group,
 * volume tiers, a per-conversion cap, shipping/tax exclusion and recurring earnings for
 * renewals. Plan-wide members: "bonuses" (milestones), "sub_affiliates" (override
 * percentages per parent level) and "caps" (per affiliate per period).
 *
 * Owns: the grammar, its canonical form, and aff_commission_eval, a pure function of
 * (plan, facts about one conversion) -> commission lines. Precedence, most specific
 * first: affiliate > sku > category > group > tier > program default.
 * Does not own: the period counters the facts come from, caps across conversions,
 * bonuses' "first time" memory, parents, or writing lines (track/conversion.c and
 * track/ledger.c do, over the store), nor currency exponents (core/money).
 *
 * Invariants: integer minor units only; every line is rounded half away from zero
 * exactly once (percent rule lines sum their bases first); eval never fails for a plan
 * that parsed, except AFF_ERANGE on amounts beyond AFF_MONEY_MAX_MINOR.
 */
#ifndef AFF_TRACK_COMMISSION_H
#define AFF_TRACK_COMMISSION_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define AFF_PLAN_MAX_EVENTS 32
#define AFF_PLAN_MAX_OVERRIDES 64
#define AFF_PLAN_MAX_TIERS 8
#define AFF_PLAN_MAX_BONUSES 8
#define AFF_PLAN_MAX_LEVELS 10 /* sub-affiliate override depth */
#define AFF_PLAN_KEY_MAX 128   /* sku, category, group names in overrides */
#define AFF_BONUS_NAME_MAX 32

/* Rule kinds (a table in commission.c). */
enum { AFF_RULE_FLAT = 0, AFF_RULE_PERCENT = 1 };

typedef struct aff_rule {
    int kind;      /* AFF_RULE_* */
    int64_t value; /* minor units for FLAT, micro-percent for PERCENT */
} aff_rule;

/* Override scopes, in precedence order. */
enum { AFF_OVR_AFFILIATE = 0, AFF_OVR_SKU, AFF_OVR_CATEGORY, AFF_OVR_GROUP, AFF_OVR_NSCOPES };

typedef struct aff_plan_override {
    int scope; /* AFF_OVR_* */
    int event; /* index into aff_plan.events */
    char key[AFF_PLAN_KEY_MAX + 1];
    aff_rule rule;
} aff_plan_override;

/* A counting period: calendar month or ISO week (UTC), or N days from an anchor. */
enum { AFF_PERIOD_MONTH = 0, AFF_PERIOD_WEEK, AFF_PERIOD_DAYS };
typedef struct aff_period {
    int kind;
    int days;          /* AFF_PERIOD_DAYS */
    int64_t anchor_ms; /* AFF_PERIOD_DAYS: a period starts here (UTC midnight) */
} aff_period;

/* Start (inclusive) and end (exclusive) of the period holding ms. */
int64_t aff_period_start(const aff_period *p, int64_t ms);
int64_t aff_period_end(const aff_period *p, int64_t ms);
/* A stable name of the period kind, for counter keys: "month", "week", "days14@<anchor>". */
void aff_period_key(const aff_period *p, char *buf, size_t cap);

enum { AFF_BASIS_CONVERSIONS = 0, AFF_BASIS_REVENUE = 1 };

typedef struct aff_plan_tiers {
    int n;           /* 0: no tiers */
    int basis;       /* AFF_BASIS_* */
    int retroactive; /* 1: reaching a level re-rates the whole period (adjusting lines) */
    aff_period period;
    struct {
        int64_t min; /* volume (conversions, or revenue minor units) from which it applies */
        aff_rule rule;
    } level[AFF_PLAN_MAX_TIERS]; /* ascending min; below level[0].min the event's rule */
} aff_plan_tiers;

typedef struct aff_plan_event {
    char name[AFF_EVENT_MAX + 1];
    aff_rule rule; /* the program default for this event */
    int exclude_shipping, exclude_tax;
    int64_t cap_minor; /* per conversion; -1 none */
    aff_plan_tiers tiers;
    int recurring_months;       /* renewals earn for this many months; 0 never; -1 lifetime */
    int recurring_current_rate; /* 1: renewals use the current plan, not the original sale's */
} aff_plan_event;

typedef struct aff_plan_bonus {
    char name[AFF_BONUS_NAME_MAX + 1];
    int event;         /* index into events */
    int basis;         /* AFF_BASIS_* */
    int64_t threshold; /* conversions or revenue minor units in the period */
    int64_t amount_minor;
    aff_period period;
} aff_plan_bonus;

typedef struct aff_plan {
    int nevents;
    aff_plan_event events[AFF_PLAN_MAX_EVENTS];
    int noverrides;
    aff_plan_override overrides[AFF_PLAN_MAX_OVERRIDES];
    int nbonuses;
    aff_plan_bonus bonuses[AFF_PLAN_MAX_BONUSES];
    int nlevels;
    int64_t
        level_rate[AFF_PLAN_MAX_LEVELS]; /* parent at level i+1 earns this micro-percent of the child's commission */
    int has_affiliate_cap;               /* 0: no cap (a zeroed plan is an empty plan) */
    int64_t affiliate_cap_minor;         /* per affiliate per cap_period */
    aff_period cap_period;
} aff_plan;

/* Parse and validate plan JSON text. On error fills err with field "commission" and a
 * message naming the member path ("commission.sale.tiers.levels[1].min: ...") and
 * returns AFF_EINVAL. An empty text or "{}" is an empty plan. Writes the canonical JSON
 * form (compact, keys sorted, shortest numbers) to canon (cap bytes) when not NULL. */
int aff_plan_parse(const char *json, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err);

/* 1 when some rule of the plan depends on the affiliate's group (a "groups" override):
 * only then does pricing need to read the affiliate. */
int aff_plan_uses_groups(const aff_plan *plan);

/* The event's entry, or NULL when the plan pays nothing for it. */
const aff_plan_event *aff_plan_event_for(const aff_plan *plan, const char *event);

/* ---- evaluation ---- */

typedef struct aff_comm_item {
    const char *sku, *category; /* "" when absent */
    int64_t unit_minor, quantity;
} aff_comm_item;

#define AFF_COMM_MAX_ITEMS 100
#define AFF_COMM_ITEM_QTY_MAX 1000000 /* an item's quantity: 1..this */

typedef struct aff_comm_facts {
    const char *event;
    int64_t amount_minor, shipping_minor, tax_minor;
    const aff_comm_item *items;
    int nitems;
    int64_t affiliate_id;
    const char *group; /* the affiliate's group, "" none */
    /* The event's tier volume in its tier period, counting this conversion (by the
     * tiers' basis). Ignored when the event has no tiers. */
    int64_t volume;
} aff_comm_facts;

#define AFF_COMM_MAX_LINES (AFF_PLAN_MAX_OVERRIDES + 2) /* every override + the base rule */

typedef struct aff_comm_line {
    char rule[64]; /* "sale:percent", "sale:tier:2", "sale:sku:TSHIRT", "sale:cap", ... (cut to fit) */
    int64_t amount_minor;
} aff_comm_line;

typedef struct aff_comm_result {
    int pays; /* 0: the plan has no entry for the event (no lines) */
    int tier; /* tier level used for the default rule: 0 = none, i = level[i-1] */
    int n;
    aff_comm_line lines[AFF_COMM_MAX_LINES];
    int64_t total_minor;
} aff_comm_result;

/* What one conversion earns under plan, before caps across conversions:
 *   base = amount - shipping (if excluded) - tax (if excluded), at least 0;
 *   an affiliate override takes the whole base; otherwise each item (unit * quantity,
 *   scaled down pro rata when the items exceed the base) takes its sku, category,
 *   group or default/tier rule, and what the items leave of the base takes the group
 *   or default/tier rule. Flat sku/category rules pay per unit; flat affiliate, group,
 *   tier and default rules pay once per conversion.
 *   One line per distinct rule; a per-conversion cap collapses them into one "cap" line.
 * Returns 0 or AFF_ERANGE. Pure: no store, no clock. */
int aff_commission_eval(const aff_plan *plan, const aff_comm_facts *f, aff_comm_result *out);

/* Parse validated items JSON (the conversion's items column) into items (cap entries);
 * the strings point into *json_out, which the caller frees with json_decref. Returns
 * the count, or AFF_EINVAL. */
struct json_t;
int aff_comm_items_parse(const char *items_json, aff_comm_item *items, int cap, struct json_t **json_out);

/* Add one item's amount_minor * quantity to *total, the one statement of the items'
 * bounds (docs/api.md, items) that the API and aff_comm_items_check share: AFF_ERANGE,
 * *total unchanged, when amount is outside 0..AFF_MONEY_MAX_MINOR, quantity outside
 * 1..AFF_COMM_ITEM_QTY_MAX, or the sum would pass AFF_MONEY_MAX_MINOR (the product is
 * computed in 128 bits: 10^15 * 10^6 overflows int64). 0 otherwise. */
int aff_comm_item_add(int64_t amount, int64_t quantity, int64_t *total);

/* Whether a stored items text, read as aff_comm_items_parse reads it for pricing, is
 * within the API's bounds (docs/api.md, items): each amount_minor 0..AFF_MONEY_MAX_MINOR,
 * each quantity at most AFF_COMM_ITEM_QTY_MAX (a stored quantity below 1 reads as 1,
 * as pricing reads it), and the sum of amount_minor * quantity,
 * computed in 128 bits, at most AFF_MONEY_MAX_MINOR. Conversions stored before the API
 * checked the products in 128 bits may hold a product that wrapped around int64 (pricing
 * reads such items as none: earn.c; aff_commission_eval refuses them with AFF_ERANGE), and those stored before it checked the sum a sum beyond
 * it. Returns 0 (also for "" or NULL: no items), AFF_ERANGE (a bound, a product or the
 * sum), or AFF_EINVAL (not a JSON array of at most AFF_COMM_MAX_ITEMS). Pure. */
int aff_comm_items_check(const char *items_json);

/* Share of a gross commission that survives refunds: earned - round(earned * refunded
 * / amount); earned when nothing was refunded, 0 once refunded reaches amount. Exact,
 * pro rata, on cumulative totals so successive partial refunds never drift. */
int64_t aff_commission_after_refund(int64_t earned, int64_t amount, int64_t refunded);

/* round(amount * micro_percent / 100 %): a sub-affiliate override of a commission. */
int64_t aff_commission_share(int64_t amount_minor, int64_t micro_percent);

#endif
