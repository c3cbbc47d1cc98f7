/* commission.c - plan parsing and commission arithmetic; see commission.h. */
#include "track/commission.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "core/str.h"

typedef struct rule_kind {
    const char *key;  /* the JSON member naming the kind */
    int kind;
    int (*parse)(json_t *v, int64_t *out); /* 0, AFF_EINVAL or AFF_ERANGE */
    int (*compute)(int64_t value, int64_t amount_minor, int64_t *out);
    json_t *(*to_json)(int64_t value);
} rule_kind;

static int parse_flat(json_t *v, int64_t *out)
{
    if (!json_is_integer(v))
        return AFF_EINVAL;
    json_int_t n = json_integer_value(v);
    if (n < 0 || n > AFF_MONEY_MAX_MINOR)
        return AFF_ERANGE;
    *out = n;
    return 0;
}

static int parse_percent(json_t *v, int64_t *out)
{
    if (!json_is_string(v))
        return AFF_EINVAL;
    return aff_rate_parse(json_string_value(v), json_string_length(v), out);
}

static int compute_flat(int64_t value, int64_t amount_minor, int64_t *out)
{
    (void)amount_minor;
    *out = value;
    return 0;
}

static int compute_percent(int64_t value, int64_t amount_minor, int64_t *out)
{
    return aff_money_apply_rate(amount_minor, value, out);
}

static json_t *flat_json(int64_t value)
{
    return json_integer(value);
}

static json_t *percent_json(int64_t value)
{
    char buf[32];
    aff_rate_format(value, buf, sizeof(buf));
    return json_string(buf);
}

static const rule_kind kinds[] = {
    {"flat_minor", AFF_RULE_FLAT, parse_flat, compute_flat, flat_json},
    {"percent", AFF_RULE_PERCENT, parse_percent, compute_percent, percent_json},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int valid_event(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AFF_EVENT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int parse_rule(const char *event, json_t *spec, aff_plan_rule *rule, aff_errinfo *err)
{
    if (!json_is_object(spec) || json_object_size(spec) != 1)
        return aff_fail(err, AFF_EINVAL, "commission",
                        "commission.%s: expected exactly one of {\"percent\": \"10\"} or {\"flat_minor\": 200}", event);
    for (size_t k = 0; k < NKINDS; k++) {
        json_t *v = json_object_get(spec, kinds[k].key);
        if (v == NULL)
            continue;
        int rc = kinds[k].parse(v, &rule->value);
        if (rc != 0) {
            return aff_fail(err, AFF_EINVAL, "commission", "commission.%s.%s: %s", event, kinds[k].key,
                            kinds[k].kind == AFF_RULE_PERCENT ? "a decimal string between 0 and 100"
                                                               : "a non-negative integer of minor units");
        }
        rule->kind = kinds[k].kind;
        snprintf(rule->event, sizeof(rule->event), "%s", event);
        return 0;
    }
    return aff_fail(err, AFF_EINVAL, "commission", "commission.%s: unknown rule kind (percent, flat_minor)", event);
}

int aff_plan_parse(const char *text, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err)
{
    memset(plan, 0, sizeof(*plan));
    if (text == NULL || text[0] == '\0')
        text = "{}";
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (root == NULL || !json_is_object(root)) {
        rc = aff_fail(err, AFF_EINVAL, "commission", "commission: expected an object of event -> rule");
        goto out;
    }
    const char *event;
    json_t *spec;
    json_object_foreach(root, event, spec)
    {
        if (!valid_event(event)) {
            rc = aff_fail(err, AFF_EINVAL, "commission", "commission: event names are [a-z0-9_]{1,32}");
            goto out;
        }
        if (plan->nrules == AFF_PLAN_MAX_RULES) {
            rc = aff_fail(err, AFF_EINVAL, "commission", "commission: at most %d events", AFF_PLAN_MAX_RULES);
            goto out;
        }
        if ((rc = parse_rule(event, spec, &plan->rules[plan->nrules], err)) != 0)
            goto out;
        plan->nrules++;
    }
    if (canon != NULL) {
        json_t *c = json_object();
        for (int i = 0; i < plan->nrules; i++) {
            const aff_plan_rule *r = &plan->rules[i];
            json_t *spec_out = json_object();
            for (size_t k = 0; k < NKINDS; k++)
                if (kinds[k].kind == r->kind)
                    json_object_set_new(spec_out, kinds[k].key, kinds[k].to_json(r->value));
            json_object_set_new(c, r->event, spec_out);
        }
        char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(c);
        if (s == NULL || strlen(s) >= cap)
            rc = aff_fail(err, AFF_EINVAL, "commission", "commission: plan too large");
        else
            memcpy(canon, s, strlen(s) + 1);
        free(s);
    }
out:
    json_decref(root);
    return rc;
}

const aff_plan_rule *aff_plan_rule_for(const aff_plan *plan, const char *event)
{
    for (int i = 0; i < plan->nrules; i++)
        if (strcmp(plan->rules[i].event, event) == 0)
            return &plan->rules[i];
    return NULL;
}

int aff_commission_compute(const aff_plan_rule *rule, int64_t amount_minor, int64_t *out, char rule_name[64])
{
    for (size_t k = 0; k < NKINDS; k++) {
        if (kinds[k].kind != rule->kind)
            continue;
        size_t n = strnlen(rule->event, AFF_EVENT_MAX);
        memcpy(rule_name, rule->event, n); /* "event:kind", both bounded well below 64 */
        rule_name[n] = ':';
        aff_str_copy(rule_name + n + 1, (size_t)(64 - n - 1), kinds[k].key);
        return kinds[k].compute(rule->value, amount_minor, out);
    }
    return AFF_EINVAL;
}

int64_t aff_commission_after_refund(int64_t earned, int64_t amount, int64_t refunded)
{
    if (refunded <= 0)
        return earned;
    if (refunded >= amount)
        return 0;
    int64_t gone = 0;
    if (aff_muldiv_round(earned, refunded, amount, &gone) != 0)
        return 0;
    return earned - gone;
}
