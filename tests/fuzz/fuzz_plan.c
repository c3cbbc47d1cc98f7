/*
 * fuzz_plan.c - commission plans are JSON from the program API: aff_plan_parse
 * (track/commission.h) on arbitrary text, NUL-terminated first as the contract needs.
 *
 * Checks: the return is 0 or AFF_EINVAL, and an error names the "commission" field with
 * a message; an accepted plan stays within its limits (events, overrides, tiers,
 * bonuses, levels), with distinct valid event names, known rule kinds, flat amounts in
 * 0..AFF_MONEY_MAX_MINOR, rates in 0..100 %, increasing tier minimums and indexes that
 * point at events; parsing without a canon buffer gives the same plan; the canonical
 * form parses again to the same plan and is its own canonical form; a canon buffer one
 * byte too small is an error, never a truncated plan; and pricing a few conversions
 * with every event stays in range, its lines summing to its total.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/money.h"
#include "track/commission.h"

#define CANON_CAP 8192

static int event_valid(const char *e)
{
    size_t n = strlen(e);
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((e[i] >= 'a' && e[i] <= 'z') || (e[i] >= '0' && e[i] <= '9') || e[i] == '_'))
            return 0;
    return 1;
}

static void check_rule(const aff_rule *r)
{
    if (r->kind == AFF_RULE_FLAT)
        FUZZ_CHECK(r->value >= 0 && r->value <= AFF_MONEY_MAX_MINOR);
    else
        FUZZ_CHECK(r->kind == AFF_RULE_PERCENT && r->value >= 0 && r->value <= AFF_RATE_ONE_HUNDRED);
}

static void check_eval(const aff_plan *p, const char *event)
{
    static const aff_comm_item items[2] = {{"A", "x", 4990, 3}, {"", "books", 1, 1}};
    static const int64_t amounts[] = {0, 1, 4990, 100000, AFF_MONEY_MAX_MINOR};
    for (size_t k = 0; k < sizeof(amounts) / sizeof(amounts[0]); k++) {
        aff_comm_facts f = {.event = event,
                            .amount_minor = amounts[k],
                            .shipping_minor = amounts[k] / 3,
                            .items = items,
                            .nitems = (int)(k % 3),
                            .affiliate_id = 42,
                            .group = "gold",
                            .volume = (int64_t)k * 7};
        aff_comm_result res;
        int rc = aff_commission_eval(p, &f, &res);
        FUZZ_CHECK(rc == AFF_OK || rc == AFF_ERANGE);
        if (rc != AFF_OK)
            continue;
        FUZZ_CHECK(res.pays == 1 && res.n >= 1 && res.n <= AFF_COMM_MAX_LINES);
        int64_t sum = 0;
        for (int i = 0; i < res.n; i++) {
            FUZZ_CHECK(res.lines[i].amount_minor >= 0 && res.lines[i].amount_minor <= AFF_MONEY_MAX_MINOR);
            FUZZ_CHECK(memchr(res.lines[i].rule, '\0', sizeof(res.lines[i].rule)) != NULL);
            FUZZ_CHECK(strncmp(res.lines[i].rule, event,
                               strlen(res.lines[i].rule) < strlen(event) ? strlen(res.lines[i].rule) : strlen(event)) ==
                           0 ||
                       strncmp(res.lines[i].rule, "caps:", 5) == 0);
            sum += res.lines[i].amount_minor;
        }
        FUZZ_CHECK(sum == res.total_minor);
    }
}

static void check_plan(const aff_plan *p)
{
    FUZZ_CHECK(p->nevents >= 0 && p->nevents <= AFF_PLAN_MAX_EVENTS);
    for (int i = 0; i < p->nevents; i++) {
        const aff_plan_event *e = &p->events[i];
        FUZZ_CHECK(memchr(e->name, '\0', sizeof(e->name)) != NULL && event_valid(e->name));
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(p->events[j].name, e->name) != 0);
        FUZZ_CHECK(aff_plan_event_for(p, e->name) == e);
        check_rule(&e->rule);
        FUZZ_CHECK(e->cap_minor >= -1 && e->cap_minor <= AFF_MONEY_MAX_MINOR);
        FUZZ_CHECK(e->tiers.n >= 0 && e->tiers.n <= AFF_PLAN_MAX_TIERS);
        for (int t = 0; t < e->tiers.n; t++) {
            FUZZ_CHECK(e->tiers.level[t].min >= 1 && (t == 0 || e->tiers.level[t].min > e->tiers.level[t - 1].min));
            check_rule(&e->tiers.level[t].rule);
        }
        FUZZ_CHECK(e->recurring_months >= -1 && e->recurring_months <= 1200);
        check_eval(p, e->name);
    }
    FUZZ_CHECK(p->noverrides >= 0 && p->noverrides <= AFF_PLAN_MAX_OVERRIDES);
    for (int i = 0; i < p->noverrides; i++) {
        const aff_plan_override *o = &p->overrides[i];
        FUZZ_CHECK(o->scope >= 0 && o->scope < AFF_OVR_NSCOPES && o->event >= 0 && o->event < p->nevents);
        FUZZ_CHECK(memchr(o->key, '\0', sizeof(o->key)) != NULL && o->key[0] != '\0');
        check_rule(&o->rule);
    }
    FUZZ_CHECK(p->nbonuses >= 0 && p->nbonuses <= AFF_PLAN_MAX_BONUSES);
    for (int i = 0; i < p->nbonuses; i++)
        FUZZ_CHECK(p->bonuses[i].event >= 0 && p->bonuses[i].event < p->nevents && p->bonuses[i].threshold >= 1);
    FUZZ_CHECK(p->nlevels >= 0 && p->nlevels <= AFF_PLAN_MAX_LEVELS);
    for (int i = 0; i < p->nlevels; i++)
        FUZZ_CHECK(p->level_rate[i] >= 0 && p->level_rate[i] <= AFF_RATE_ONE_HUNDRED);
}

static void check_same(const aff_plan *a, const aff_plan *b)
{
    FUZZ_CHECK(memcmp(a, b, sizeof(*a)) == 0); /* parse zeroes the plan first: no stray bytes */
}

/* The canonical form sorts keys, so events may come in another order: the same events
 * (byte for byte), the same numbers of everything else. */
static void check_equivalent(const aff_plan *a, const aff_plan *b)
{
    FUZZ_CHECK(a->nevents == b->nevents && a->noverrides == b->noverrides && a->nbonuses == b->nbonuses);
    FUZZ_CHECK(a->nlevels == b->nlevels && memcmp(a->level_rate, b->level_rate, sizeof(a->level_rate)) == 0);
    FUZZ_CHECK(a->has_affiliate_cap == b->has_affiliate_cap && a->affiliate_cap_minor == b->affiliate_cap_minor);
    for (int i = 0; i < a->nevents; i++) {
        const aff_plan_event *e = aff_plan_event_for(b, a->events[i].name);
        FUZZ_CHECK(e != NULL && memcmp(e, &a->events[i], sizeof(*e)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    static aff_plan plan, plain, again, third;
    static char canon[CANON_CAP], canon2[CANON_CAP];
    aff_errinfo err;
    memset(&err, 0, sizeof(err));
    int rc = aff_plan_parse(text, &plan, canon, sizeof(canon), &err);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc != AFF_OK) {
        FUZZ_CHECK(err.field != NULL && strncmp(err.field, "commission", 10) == 0);
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0] != '\0');
        goto out;
    }
    check_plan(&plan);
    FUZZ_CHECK(aff_plan_parse(text, &plain, NULL, 0, NULL) == AFF_OK);
    check_same(&plan, &plain);

    size_t cn = strlen(canon);
    FUZZ_CHECK(cn > 0 && cn < sizeof(canon));
    FUZZ_CHECK(aff_plan_parse(canon, &again, canon2, sizeof(canon2), NULL) == AFF_OK);
    check_equivalent(&plan, &again);
    FUZZ_CHECK(strcmp(canon, canon2) == 0);

    char *tight = malloc(cn + 1);
    FUZZ_CHECK(tight != NULL);
    FUZZ_CHECK(aff_plan_parse(text, &third, tight, cn + 1, NULL) == AFF_OK && strcmp(tight, canon) == 0);
    FUZZ_CHECK(aff_plan_parse(text, &third, tight, cn, NULL) == AFF_EINVAL);
    free(tight);
out:
    free(text);
    return 0;
}
