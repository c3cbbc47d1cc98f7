/*
 * fuzz_plan.c - commission plans are JSON from the program API: aff_plan_parse
 * (track/commission.h) on arbitrary text, NUL-terminated first as the contract needs.
 *
 * Checks: the return is 0 or AFF_EINVAL, and an error names the "commission" field with
 * a message; an accepted plan has at most AFF_PLAN_MAX_RULES rules with distinct event
 * names of [a-z0-9_]{1,32}, a known kind, flat amounts in 0..AFF_MONEY_MAX_MINOR and
 * rates in 0..100 %; parsing without a canon buffer gives the same plan; the canonical
 * form parses again to the same rules (as a set) and is its own canonical form; a canon
 * buffer one byte too small is an error, never a truncated plan; and computing a
 * commission with every rule on a few amounts stays in range.
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

static int same_rule(const aff_plan_rule *a, const aff_plan_rule *b)
{
    return strcmp(a->event, b->event) == 0 && a->kind == b->kind && a->value == b->value;
}

static void check_same_set(const aff_plan *a, const aff_plan *b)
{
    FUZZ_CHECK(a->nrules == b->nrules);
    for (int i = 0; i < a->nrules; i++) {
        const aff_plan_rule *r = aff_plan_rule_for(b, a->rules[i].event);
        FUZZ_CHECK(r != NULL && same_rule(r, &a->rules[i]));
    }
}

static void check_plan(const aff_plan *p)
{
    FUZZ_CHECK(p->nrules >= 0 && p->nrules <= AFF_PLAN_MAX_RULES);
    for (int i = 0; i < p->nrules; i++) {
        const aff_plan_rule *r = &p->rules[i];
        FUZZ_CHECK(memchr(r->event, '\0', sizeof(r->event)) != NULL && event_valid(r->event));
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(p->rules[j].event, r->event) != 0);
        FUZZ_CHECK(aff_plan_rule_for(p, r->event) == r);
        if (r->kind == AFF_RULE_FLAT)
            FUZZ_CHECK(r->value >= 0 && r->value <= AFF_MONEY_MAX_MINOR);
        else
            FUZZ_CHECK(r->kind == AFF_RULE_PERCENT && r->value >= 0 && r->value <= AFF_RATE_ONE_HUNDRED);
        static const int64_t amounts[] = {0, 1, -1, 4990, -4990, AFF_MONEY_MAX_MINOR, -AFF_MONEY_MAX_MINOR};
        for (size_t k = 0; k < sizeof(amounts) / sizeof(amounts[0]); k++) {
            int64_t c = -1;
            char name[64];
            FUZZ_CHECK(aff_commission_compute(r, amounts[k], &c, name) == AFF_OK);
            FUZZ_CHECK(memchr(name, '\0', sizeof(name)) != NULL && strncmp(name, r->event, strlen(r->event)) == 0);
            if (r->kind == AFF_RULE_FLAT)
                FUZZ_CHECK(c == r->value);
            else
                FUZZ_CHECK(amounts[k] >= 0 ? (c >= 0 && c <= amounts[k]) : (c <= 0 && c >= amounts[k]));
        }
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
    check_same_set(&plan, &plain);

    size_t cn = strlen(canon);
    FUZZ_CHECK(cn > 0 && cn < sizeof(canon));
    FUZZ_CHECK(aff_plan_parse(canon, &again, canon2, sizeof(canon2), NULL) == AFF_OK);
    check_same_set(&plan, &again);
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
