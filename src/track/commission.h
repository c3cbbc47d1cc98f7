/*
 * commission.h - commission plans, basic form: per event type, either a flat amount
 * or a percentage of the conversion amount (DESIGN.md section 7):
 *     {"sale": {"percent": "10"}, "lead": {"flat_minor": 200}}
 * Owns: parsing and validating a plan, and computing the commission one conversion
 * earns under it. Rule kinds are a table (commission.c), so tiers, bonuses and
 * overrides (the commission-engine issue) add rows rather than branches.
 * Does not own: ledger lines (conversion.c writes them) or currency exponents.
 * Invariant: integer minor units only; percentage results are rounded half away from
 * zero once per line (core/money.h).
 */
#ifndef AFF_TRACK_COMMISSION_H
#define AFF_TRACK_COMMISSION_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define AFF_PLAN_MAX_RULES 32

enum { AFF_RULE_FLAT = 0, AFF_RULE_PERCENT = 1 };

typedef struct aff_plan_rule {
    char event[AFF_EVENT_MAX + 1];
    int kind;      /* AFF_RULE_* */
    int64_t value; /* minor units for FLAT, micro-percent for PERCENT */
} aff_plan_rule;

typedef struct aff_plan {
    int nrules;
    aff_plan_rule rules[AFF_PLAN_MAX_RULES];
} aff_plan;

/* Parse and validate plan JSON text (an object of event -> rule). On error fills err
 * with field "commission" or "commission.<event>" and returns AFF_EINVAL. An empty
 * text or "{}" is an empty plan. Writes the canonical JSON form to canon (cap bytes)
 * when canon is not NULL. */
int aff_plan_parse(const char *json, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err);

/* The rule for event, or NULL when the plan pays nothing for it. */
const aff_plan_rule *aff_plan_rule_for(const aff_plan *plan, const char *event);

/* Commission for amount_minor under rule; writes the rule's name ("sale:percent") into
 * rule_name (64 bytes). Returns 0 or AFF_ERANGE. */
int aff_commission_compute(const aff_plan_rule *rule, int64_t amount_minor, int64_t *out, char rule_name[64]);

/* The commission left after refunds totalling refunded of amount, for an original
 * commission of earned: earned - round(earned * refunded / amount); earned when nothing
 * was refunded, 0 once refunded reaches amount. Exact, pro rata, computed on cumulative
 * totals so successive partial refunds never drift. */
int64_t aff_commission_after_refund(int64_t earned, int64_t amount, int64_t refunded);

#endif
