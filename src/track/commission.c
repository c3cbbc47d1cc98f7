/* commission.c - plan grammar and commission arithmetic; see commission.h. */
#include "track/commission.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "core/str.h"

/* ---- periods ---------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (era arithmetic). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t aff_period_start(const aff_period *p, int64_t ms)
{
    int64_t day = floor_div(ms, AFF_MS_PER_DAY);
    switch (p->kind) {
    case AFF_PERIOD_WEEK: /* ISO weeks start on Monday; 1970-01-01 was a Thursday */
        return (day - ((day + 3) % 7 + 7) % 7) * AFF_MS_PER_DAY;
    case AFF_PERIOD_DAYS: {
        int64_t anchor = floor_div(p->anchor_ms, AFF_MS_PER_DAY);
        return (anchor + floor_div(day - anchor, p->days) * p->days) * AFF_MS_PER_DAY;
    }
    default: {
        int64_t y;
        int m, d;
        civil_from_days(day, &y, &m, &d);
        return days_from_civil(y, m, 1) * AFF_MS_PER_DAY;
    }
    }
}

int64_t aff_period_end(const aff_period *p, int64_t ms)
{
    int64_t start = aff_period_start(p, ms);
    switch (p->kind) {
    case AFF_PERIOD_WEEK:
        return start + 7 * AFF_MS_PER_DAY;
    case AFF_PERIOD_DAYS:
        return start + (int64_t)p->days * AFF_MS_PER_DAY;
    default: {
        int64_t y;
        int m, d;
        civil_from_days(start / AFF_MS_PER_DAY, &y, &m, &d);
        return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * AFF_MS_PER_DAY;
    }
    }
}

void aff_period_key(const aff_period *p, char *buf, size_t cap)
{
    if (p->kind == AFF_PERIOD_WEEK)
        snprintf(buf, cap, "week");
    else if (p->kind == AFF_PERIOD_DAYS)
        snprintf(buf, cap, "days%d@%lld", p->days, (long long)(p->anchor_ms / AFF_MS_PER_DAY));
    else
        snprintf(buf, cap, "month");
}

/* ---- parsing ---------------------------------------------------------------------- */

typedef struct pctx {
    aff_plan *plan;
    aff_errinfo *err;
} pctx;

#define BAD(pc, ...) aff_fail((pc)->err, AFF_EINVAL, "commission", __VA_ARGS__)

typedef struct rule_kind {
    const char *key; /* the JSON member naming the kind */
    int kind;
    const char *expect;
    int (*parse)(json_t *v, int64_t *out); /* 0, AFF_EINVAL or AFF_ERANGE */
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
    {"flat_minor", AFF_RULE_FLAT, "a non-negative integer of minor units", parse_flat, flat_json},
    {"percent", AFF_RULE_PERCENT, "a decimal string between 0 and 100", parse_percent, percent_json},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int is_kind_key(const char *k)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i].key, k) == 0)
            return 1;
    return 0;
}

/* The one rule kind member of obj (others are the caller's to check). */
static int parse_rule_in(pctx *pc, json_t *obj, const char *path, aff_rule *rule)
{
    int found = 0;
    for (size_t k = 0; k < NKINDS; k++) {
        json_t *v = json_object_get(obj, kinds[k].key);
        if (v == NULL)
            continue;
        if (found++)
            return BAD(pc, "commission.%s: give one of percent or flat_minor, not both", path);
        if (kinds[k].parse(v, &rule->value) != 0)
            return BAD(pc, "commission.%s.%s: %s", path, kinds[k].key, kinds[k].expect);
        rule->kind = kinds[k].kind;
    }
    if (!found)
        return BAD(pc, "commission.%s: expected {\"percent\": \"10\"} or {\"flat_minor\": 200}", path);
    return 0;
}

static json_t *rule_json(const aff_rule *r, json_t *into)
{
    for (size_t k = 0; k < NKINDS; k++)
        if (kinds[k].kind == r->kind)
            json_object_set_new(into, kinds[k].key, kinds[k].to_json(r->value));
    return into;
}

/* An object holding exactly a rule (overrides). */
static int parse_rule_only(pctx *pc, json_t *obj, const char *path, aff_rule *rule)
{
    if (!json_is_object(obj) || json_object_size(obj) != 1)
        return BAD(pc, "commission.%s: expected exactly one of {\"percent\": \"10\"} or {\"flat_minor\": 200}", path);
    return parse_rule_in(pc, obj, path, rule);
}

static int parse_count(json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return AFF_EINVAL;
    *out = json_integer_value(v);
    return 0;
}

static int parse_period(pctx *pc, json_t *v, const char *path, aff_period *p)
{
    memset(p, 0, sizeof(*p));
    if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "month") == 0))
        return 0;
    if (json_is_string(v) && strcmp(json_string_value(v), "week") == 0) {
        p->kind = AFF_PERIOD_WEEK;
        return 0;
    }
    json_t *days = json_is_object(v) ? json_object_get(v, "days") : NULL;
    json_t *start = json_is_object(v) ? json_object_get(v, "start") : NULL;
    int64_t n;
    if (days == NULL || start == NULL || json_object_size(v) != 2 || parse_count(days, 1, 366, &n) != 0 ||
        !json_is_string(start) ||
        aff_clock_parse_day(json_string_value(start), json_string_length(start), &p->anchor_ms) != 0)
        return BAD(pc, "commission.%s: \"month\", \"week\" or {\"days\": 1..366, \"start\": \"YYYY-MM-DD\"}", path);
    p->kind = AFF_PERIOD_DAYS;
    p->days = (int)n;
    return 0;
}

static json_t *period_json(const aff_period *p)
{
    if (p->kind == AFF_PERIOD_WEEK)
        return json_string("week");
    if (p->kind == AFF_PERIOD_MONTH)
        return json_string("month");
    char day[16];
    aff_clock_format_day(p->anchor_ms, day, sizeof(day));
    return json_pack("{s:i,s:s}", "days", p->days, "start", day);
}

static int parse_basis(pctx *pc, json_t *v, const char *path, int *basis)
{
    if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "conversions") == 0))
        *basis = AFF_BASIS_CONVERSIONS;
    else if (json_is_string(v) && strcmp(json_string_value(v), "revenue") == 0)
        *basis = AFF_BASIS_REVENUE;
    else
        return BAD(pc, "commission.%s: \"conversions\" or \"revenue\"", path);
    return 0;
}

static const char *const basis_names[] = {"conversions", "revenue"};

static int only_members(pctx *pc, json_t *obj, const char *path, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(allowed[i], k) == 0;
        if (!ok)
            return BAD(pc, "commission.%s: unknown member \"%s\"", path, k);
    }
    return 0;
}

/* ---- event members ---- */

typedef int (*member_fn)(pctx *pc, int ev, json_t *v, const char *path);

static int add_override(pctx *pc, int scope, int ev, const char *key, json_t *spec, const char *path)
{
    aff_plan *plan = pc->plan;
    if (plan->noverrides == AFF_PLAN_MAX_OVERRIDES)
        return BAD(pc, "commission: at most %d overrides", AFF_PLAN_MAX_OVERRIDES);
    size_t n = strlen(key);
    if (n == 0 || n > AFF_PLAN_KEY_MAX)
        return BAD(pc, "commission.%s: keys are 1..%d bytes", path, AFF_PLAN_KEY_MAX);
    if (scope == AFF_OVR_AFFILIATE) {
        char *end;
        errno = 0;
        long long id = strtoll(key, &end, 10);
        /* Only the plain decimal form matches an affiliate: strtoll also skips leading
         * spaces and saturates beyond int64, and such keys would never match. */
        if (key[0] < '1' || key[0] > '9' || *end != '\0' || errno == ERANGE || id <= 0)
            return BAD(pc, "commission.%s: affiliate keys are affiliate ids (\"42\")", path);
    }
    aff_plan_override *o = &plan->overrides[plan->noverrides];
    char sub[256];
    snprintf(sub, sizeof(sub), "%s.%s", path, key);
    int rc = parse_rule_only(pc, spec, sub, &o->rule);
    if (rc != 0)
        return rc;
    o->scope = scope;
    o->event = ev;
    memcpy(o->key, key, n + 1);
    plan->noverrides++;
    return 0;
}

static int parse_overrides(pctx *pc, int scope, int ev, json_t *v, const char *path)
{
    if (!json_is_object(v))
        return BAD(pc, "commission.%s: expected an object of key -> rule", path);
    const char *k;
    json_t *spec;
    json_object_foreach(v, k, spec)
    {
        int rc = add_override(pc, scope, ev, k, spec, path);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int m_affiliates(pctx *pc, int ev, json_t *v, const char *path)
{
    return parse_overrides(pc, AFF_OVR_AFFILIATE, ev, v, path);
}
static int m_skus(pctx *pc, int ev, json_t *v, const char *path)
{
    return parse_overrides(pc, AFF_OVR_SKU, ev, v, path);
}
static int m_categories(pctx *pc, int ev, json_t *v, const char *path)
{
    return parse_overrides(pc, AFF_OVR_CATEGORY, ev, v, path);
}
static int m_groups(pctx *pc, int ev, json_t *v, const char *path)
{
    return parse_overrides(pc, AFF_OVR_GROUP, ev, v, path);
}

static int m_exclude(pctx *pc, int ev, json_t *v, const char *path)
{
    aff_plan_event *e = &pc->plan->events[ev];
    size_t i;
    json_t *x;
    if (!json_is_array(v))
        return BAD(pc, "commission.%s: an array of \"shipping\" and/or \"tax\"", path);
    json_array_foreach(v, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), "shipping") == 0)
            e->exclude_shipping = 1;
        else if (json_is_string(x) && strcmp(json_string_value(x), "tax") == 0)
            e->exclude_tax = 1;
        else
            return BAD(pc, "commission.%s[%zu]: \"shipping\" or \"tax\"", path, i);
    }
    return 0;
}

static int m_cap(pctx *pc, int ev, json_t *v, const char *path)
{
    if (parse_flat(v, &pc->plan->events[ev].cap_minor) != 0)
        return BAD(pc, "commission.%s: a non-negative integer of minor units", path);
    return 0;
}

static int m_tiers(pctx *pc, int ev, json_t *v, const char *path)
{
    static const char *const allowed[] = {"basis", "period", "retroactive", "levels", NULL};
    aff_plan_tiers *t = &pc->plan->events[ev].tiers;
    char sub[128];
    int rc;
    if (!json_is_object(v))
        return BAD(pc, "commission.%s: expected an object with levels", path);
    if ((rc = only_members(pc, v, path, allowed)) != 0)
        return rc;
    snprintf(sub, sizeof(sub), "%s.basis", path);
    if ((rc = parse_basis(pc, json_object_get(v, "basis"), sub, &t->basis)) != 0)
        return rc;
    snprintf(sub, sizeof(sub), "%s.period", path);
    if ((rc = parse_period(pc, json_object_get(v, "period"), sub, &t->period)) != 0)
        return rc;
    json_t *retro = json_object_get(v, "retroactive");
    if (retro != NULL && !json_is_boolean(retro))
        return BAD(pc, "commission.%s.retroactive: true or false", path);
    t->retroactive = json_is_true(retro);
    json_t *levels = json_object_get(v, "levels");
    if (!json_is_array(levels) || json_array_size(levels) == 0 || json_array_size(levels) > AFF_PLAN_MAX_TIERS)
        return BAD(pc, "commission.%s.levels: an array of 1..%d {\"min\": N, rule}", path, AFF_PLAN_MAX_TIERS);
    size_t i;
    json_t *lv;
    json_array_foreach(levels, i, lv)
    {
        snprintf(sub, sizeof(sub), "%s.levels[%zu]", path, i);
        static const char *const lv_allowed[] = {"min", "percent", "flat_minor", NULL};
        if (!json_is_object(lv))
            return BAD(pc, "commission.%s: expected {\"min\": N, rule}", sub);
        if ((rc = only_members(pc, lv, sub, lv_allowed)) != 0)
            return rc;
        int64_t min;
        if (parse_count(json_object_get(lv, "min"), 1, AFF_MONEY_MAX_MINOR, &min) != 0)
            return BAD(pc, "commission.%s.min: a positive integer", sub);
        if (i > 0 && min <= t->level[i - 1].min)
            return BAD(pc, "commission.%s.min: levels must have increasing min", sub);
        t->level[i].min = min;
        if ((rc = parse_rule_in(pc, lv, sub, &t->level[i].rule)) != 0)
            return rc;
    }
    t->n = (int)json_array_size(levels);
    return 0;
}

static int m_recurring(pctx *pc, int ev, json_t *v, const char *path)
{
    static const char *const allowed[] = {"months", "rate", NULL};
    aff_plan_event *e = &pc->plan->events[ev];
    int rc;
    if (!json_is_object(v))
        return BAD(pc, "commission.%s: expected {\"months\": N or \"lifetime\"}", path);
    if ((rc = only_members(pc, v, path, allowed)) != 0)
        return rc;
    json_t *months = json_object_get(v, "months");
    int64_t n;
    if (json_is_string(months) && strcmp(json_string_value(months), "lifetime") == 0)
        e->recurring_months = -1;
    else if (parse_count(months, 1, 1200, &n) == 0)
        e->recurring_months = (int)n;
    else
        return BAD(pc, "commission.%s.months: 1..1200 or \"lifetime\"", path);
    json_t *rate = json_object_get(v, "rate");
    if (rate == NULL || (json_is_string(rate) && strcmp(json_string_value(rate), "original") == 0))
        e->recurring_current_rate = 0;
    else if (json_is_string(rate) && strcmp(json_string_value(rate), "current") == 0)
        e->recurring_current_rate = 1;
    else
        return BAD(pc, "commission.%s.rate: \"original\" or \"current\"", path);
    return 0;
}

static const struct {
    const char *key;
    member_fn parse;
} event_members[] = {
    {"affiliates", m_affiliates}, {"skus", m_skus},     {"categories", m_categories}, {"groups", m_groups},
    {"exclude", m_exclude},       {"cap_minor", m_cap}, {"tiers", m_tiers},           {"recurring", m_recurring},
};
#define NMEMBERS (sizeof(event_members) / sizeof(event_members[0]))

static const char *const scope_keys[AFF_OVR_NSCOPES] = {"affiliates", "skus", "categories", "groups"};
static const char *const scope_names[AFF_OVR_NSCOPES] = {"affiliate", "sku", "category", "group"};

static int parse_event(pctx *pc, const char *name, json_t *spec)
{
    aff_plan *plan = pc->plan;
    int ev = plan->nevents;
    aff_plan_event *e = &plan->events[ev];
    memset(e, 0, sizeof(*e));
    e->cap_minor = -1;
    snprintf(e->name, sizeof(e->name), "%s", name);
    if (!json_is_object(spec))
        return BAD(pc, "commission.%s: expected an object such as {\"percent\": \"10\"}", name);
    int rc = parse_rule_in(pc, spec, name, &e->rule);
    if (rc != 0)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(spec, k, v)
    {
        if (is_kind_key(k))
            continue;
        size_t i = 0;
        while (i < NMEMBERS && strcmp(event_members[i].key, k) != 0)
            i++;
        if (i == NMEMBERS)
            return BAD(pc, "commission.%s: unknown member \"%s\"", name, k);
        char path[96];
        snprintf(path, sizeof(path), "%s.%s", name, k);
        if ((rc = event_members[i].parse(pc, ev, v, path)) != 0)
            return rc;
    }
    if (strcmp(name, "click") == 0 && (e->rule.kind != AFF_RULE_FLAT || json_object_size(spec) != 1))
        return BAD(pc, "commission.click: only {\"flat_minor\": N} (an amount per unique click)");
    plan->nevents++;
    return 0;
}

/* ---- plan-wide members ---- */

static int event_index(const aff_plan *plan, const char *name)
{
    for (int i = 0; i < plan->nevents; i++)
        if (strcmp(plan->events[i].name, name) == 0)
            return i;
    return -1;
}

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int p_bonuses(pctx *pc, json_t *v)
{
    static const char *const allowed[] = {"name",       "event",  "conversions", "revenue_minor",
                                          "flat_minor", "period", NULL};
    aff_plan *plan = pc->plan;
    if (!json_is_array(v) || json_array_size(v) > AFF_PLAN_MAX_BONUSES)
        return BAD(pc, "commission.bonuses: an array of at most %d bonuses", AFF_PLAN_MAX_BONUSES);
    size_t i;
    json_t *b;
    json_array_foreach(v, i, b)
    {
        char path[64];
        snprintf(path, sizeof(path), "bonuses[%zu]", i);
        aff_plan_bonus *bo = &plan->bonuses[i];
        int rc;
        if (!json_is_object(b))
            return BAD(pc, "commission.%s: expected an object", path);
        if ((rc = only_members(pc, b, path, allowed)) != 0)
            return rc;
        json_t *name = json_object_get(b, "name");
        if (!json_is_string(name) || !valid_name(json_string_value(name), AFF_BONUS_NAME_MAX))
            return BAD(pc, "commission.%s.name: [a-z0-9_]{1,%d}", path, AFF_BONUS_NAME_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp(plan->bonuses[j].name, json_string_value(name)) == 0)
                return BAD(pc, "commission.%s.name: names must be unique", path);
        snprintf(bo->name, sizeof(bo->name), "%s", json_string_value(name));
        json_t *event = json_object_get(b, "event");
        bo->event = json_is_string(event) ? event_index(plan, json_string_value(event)) : -1;
        if (bo->event < 0)
            return BAD(pc, "commission.%s.event: an event the plan pays for", path);
        json_t *conv = json_object_get(b, "conversions"), *rev = json_object_get(b, "revenue_minor");
        if ((conv == NULL) == (rev == NULL))
            return BAD(pc, "commission.%s: give one of conversions or revenue_minor", path);
        bo->basis = conv != NULL ? AFF_BASIS_CONVERSIONS : AFF_BASIS_REVENUE;
        if (parse_count(conv != NULL ? conv : rev, 1, AFF_MONEY_MAX_MINOR, &bo->threshold) != 0)
            return BAD(pc, "commission.%s.%s: a positive integer", path,
                       conv != NULL ? "conversions" : "revenue_minor");
        if (parse_flat(json_object_get(b, "flat_minor"), &bo->amount_minor) != 0)
            return BAD(pc, "commission.%s.flat_minor: a non-negative integer of minor units", path);
        char sub[80];
        snprintf(sub, sizeof(sub), "%s.period", path);
        if ((rc = parse_period(pc, json_object_get(b, "period"), sub, &bo->period)) != 0)
            return rc;
    }
    plan->nbonuses = (int)json_array_size(v);
    return 0;
}

static int p_sub_affiliates(pctx *pc, json_t *v)
{
    aff_plan *plan = pc->plan;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > AFF_PLAN_MAX_LEVELS)
        return BAD(pc, "commission.sub_affiliates: an array of 1..%d percentages, one per parent level",
                   AFF_PLAN_MAX_LEVELS);
    size_t i;
    json_t *r;
    json_array_foreach(v, i, r)
    {
        if (parse_percent(r, &plan->level_rate[i]) != 0)
            return BAD(pc, "commission.sub_affiliates[%zu]: a decimal string between 0 and 100", i);
    }
    plan->nlevels = (int)json_array_size(v);
    return 0;
}

static int p_caps(pctx *pc, json_t *v)
{
    static const char *const allowed[] = {"affiliate_minor", "period", NULL};
    int rc;
    if (!json_is_object(v))
        return BAD(pc, "commission.caps: expected {\"affiliate_minor\": N, \"period\": \"month\"}");
    if ((rc = only_members(pc, v, "caps", allowed)) != 0)
        return rc;
    if (parse_flat(json_object_get(v, "affiliate_minor"), &pc->plan->affiliate_cap_minor) != 0)
        return BAD(pc, "commission.caps.affiliate_minor: a non-negative integer of minor units");
    pc->plan->has_affiliate_cap = 1;
    return parse_period(pc, json_object_get(v, "period"), "caps.period", &pc->plan->cap_period);
}

static const struct {
    const char *key;
    int (*parse)(pctx *pc, json_t *v);
} plan_members[] = {
    {"bonuses", p_bonuses},
    {"sub_affiliates", p_sub_affiliates},
    {"caps", p_caps},
};
#define NPLAN_MEMBERS (sizeof(plan_members) / sizeof(plan_members[0]))

static int plan_member(const char *k)
{
    for (size_t i = 0; i < NPLAN_MEMBERS; i++)
        if (strcmp(plan_members[i].key, k) == 0)
            return (int)i;
    return -1;
}

/* ---- canonical form ---- */

static json_t *event_json(const aff_plan *plan, int ev)
{
    const aff_plan_event *e = &plan->events[ev];
    json_t *o = rule_json(&e->rule, json_object());
    if (e->exclude_shipping || e->exclude_tax) {
        json_t *x = json_array();
        if (e->exclude_shipping)
            json_array_append_new(x, json_string("shipping"));
        if (e->exclude_tax)
            json_array_append_new(x, json_string("tax"));
        json_object_set_new(o, "exclude", x);
    }
    if (e->cap_minor >= 0)
        json_object_set_new(o, "cap_minor", json_integer(e->cap_minor));
    for (int i = 0; i < plan->noverrides; i++) {
        const aff_plan_override *ov = &plan->overrides[i];
        if (ov->event != ev)
            continue;
        json_t *scope = json_object_get(o, scope_keys[ov->scope]);
        if (scope == NULL)
            json_object_set_new(o, scope_keys[ov->scope], scope = json_object());
        json_object_set_new(scope, ov->key, rule_json(&ov->rule, json_object()));
    }
    if (e->tiers.n > 0) {
        json_t *levels = json_array();
        for (int i = 0; i < e->tiers.n; i++) {
            json_t *lv = rule_json(&e->tiers.level[i].rule, json_object());
            json_object_set_new(lv, "min", json_integer(e->tiers.level[i].min));
            json_array_append_new(levels, lv);
        }
        json_object_set_new(o, "tiers",
                            json_pack("{s:s,s:o,s:b,s:o}", "basis", basis_names[e->tiers.basis], "period",
                                      period_json(&e->tiers.period), "retroactive", e->tiers.retroactive, "levels",
                                      levels));
    }
    if (e->recurring_months != 0) {
        json_t *months = e->recurring_months < 0 ? json_string("lifetime") : json_integer(e->recurring_months);
        json_object_set_new(
            o, "recurring",
            json_pack("{s:o,s:s}", "months", months, "rate", e->recurring_current_rate ? "current" : "original"));
    }
    return o;
}

static json_t *plan_json(const aff_plan *plan)
{
    json_t *c = json_object();
    for (int i = 0; i < plan->nevents; i++)
        json_object_set_new(c, plan->events[i].name, event_json(plan, i));
    if (plan->nbonuses > 0) {
        json_t *a = json_array();
        for (int i = 0; i < plan->nbonuses; i++) {
            const aff_plan_bonus *b = &plan->bonuses[i];
            json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:o}", "name", b->name, "event",
                                               plan->events[b->event].name,
                                               b->basis == AFF_BASIS_CONVERSIONS ? "conversions" : "revenue_minor",
                                               (json_int_t)b->threshold, "flat_minor", (json_int_t)b->amount_minor,
                                               "period", period_json(&b->period)));
        }
        json_object_set_new(c, "bonuses", a);
    }
    if (plan->nlevels > 0) {
        json_t *a = json_array();
        for (int i = 0; i < plan->nlevels; i++)
            json_array_append_new(a, percent_json(plan->level_rate[i]));
        json_object_set_new(c, "sub_affiliates", a);
    }
    if (plan->has_affiliate_cap)
        json_object_set_new(c, "caps",
                            json_pack("{s:I,s:o}", "affiliate_minor", (json_int_t)plan->affiliate_cap_minor, "period",
                                      period_json(&plan->cap_period)));
    return c;
}

int aff_plan_parse(const char *text, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err)
{
    memset(plan, 0, sizeof(*plan));
    pctx pc = {plan, err};
    if (text == NULL || text[0] == '\0')
        text = "{}";
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (root == NULL || !json_is_object(root)) {
        rc = BAD(&pc, "commission: expected an object of event -> rule");
        goto out;
    }
    const char *key;
    json_t *spec;
    /* Events first: bonuses name them. */
    json_object_foreach(root, key, spec)
    {
        if (plan_member(key) >= 0)
            continue;
        if (!valid_name(key, AFF_EVENT_MAX)) {
            rc = BAD(&pc, "commission: event names are [a-z0-9_]{1,32} (\"%s\")", key);
            goto out;
        }
        if (plan->nevents == AFF_PLAN_MAX_EVENTS) {
            rc = BAD(&pc, "commission: at most %d events", AFF_PLAN_MAX_EVENTS);
            goto out;
        }
        if ((rc = parse_event(&pc, key, spec)) != 0)
            goto out;
    }
    for (size_t i = 0; i < NPLAN_MEMBERS; i++) {
        json_t *v = json_object_get(root, plan_members[i].key);
        if (v != NULL && (rc = plan_members[i].parse(&pc, v)) != 0)
            goto out;
    }
    if (canon != NULL) {
        json_t *c = plan_json(plan);
        char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(c);
        if (s == NULL || strlen(s) >= cap)
            rc = BAD(&pc, "commission: plan too large");
        else
            memcpy(canon, s, strlen(s) + 1);
        free(s);
    }
out:
    json_decref(root);
    return rc;
}

const aff_plan_event *aff_plan_event_for(const aff_plan *plan, const char *event)
{
    int i = event_index(plan, event);
    return i < 0 ? NULL : &plan->events[i];
}

/* ---- evaluation --------------------------------------------------------------------- */

/* One output line being summed: percent lines add bases (rounded once at the end),
 * flat lines add units. */
typedef struct acc {
    char rule[64];
    const aff_rule *r;
    int64_t base;  /* sum of bases (percent) */
    int64_t units; /* sum of units (flat) */
} acc;

typedef struct evalst {
    acc a[AFF_COMM_MAX_LINES];
    int n;
    int64_t scale_num, scale_den; /* items' share of the base: base / items total when items exceed it */
} evalst;

int aff_plan_uses_groups(const aff_plan *plan)
{
    for (int i = 0; i < plan->noverrides; i++)
        if (plan->overrides[i].scope == AFF_OVR_GROUP)
            return 1;
    return 0;
}

static const aff_plan_override *find_override(const aff_plan *plan, int ev, int scope, const char *key)
{
    if (key == NULL || key[0] == '\0')
        return NULL;
    for (int i = 0; i < plan->noverrides; i++) {
        const aff_plan_override *o = &plan->overrides[i];
        if (o->event == ev && o->scope == scope && strcmp(o->key, key) == 0)
            return o;
    }
    return NULL;
}

static acc *acc_for(evalst *s, const char *rule, const aff_rule *r)
{
    /* By rule, not by name: names are cut to fit a line, and two long keys may share one. */
    for (int i = 0; i < s->n; i++)
        if (s->a[i].r == r)
            return &s->a[i];
    /* AFF_COMM_MAX_LINES covers every override plus the base rule: never full. */
    acc *a = &s->a[s->n++];
    memset(a, 0, sizeof(*a));
    aff_str_copy(a->rule, sizeof(a->rule), rule);
    a->r = r;
    return a;
}

/* "<event>:<scope>[:<key>]", cut to fit (a rule name identifies, it is not parsed). */
static void rule_name(char *buf, size_t cap, const char *event, const char *scope, const char *key)
{
    const char *parts[5] = {event, ":", scope, key != NULL ? ":" : "", key != NULL ? key : ""};
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        for (const char *c = parts[i]; *c != '\0' && n + 1 < cap; c++)
            buf[n++] = *c;
    buf[n] = '\0';
}

/* The group-or-default rule of an event (with its tier), and its name. */
static const aff_rule *base_rule(const aff_plan *plan, int ev, const aff_comm_facts *f, char name[64], int *tier)
{
    const aff_plan_event *e = &plan->events[ev];
    const aff_plan_override *g = find_override(plan, ev, AFF_OVR_GROUP, f->group);
    if (g != NULL) {
        rule_name(name, 64, e->name, "group", g->key);
        return &g->rule;
    }
    int level = 0;
    for (int i = 0; i < e->tiers.n; i++)
        if (f->volume >= e->tiers.level[i].min)
            level = i + 1;
    *tier = level;
    if (level == 0) { /* "sale:percent": the names of the simplest plans stay what they were */
        for (size_t k = 0; k < NKINDS; k++)
            if (kinds[k].kind == e->rule.kind)
                rule_name(name, 64, e->name, kinds[k].key, NULL);
        return &e->rule;
    }
    char lv[16];
    aff_sbuf b = aff_sb_init(lv, sizeof(lv));
    aff_sb_int(&b, level);
    rule_name(name, 64, e->name, "tier", lv);
    return &e->tiers.level[level - 1].rule;
}

/* round(base * rate * num / (100 % * den)), exactly. */
static int percent_of(int64_t base, int64_t rate, int64_t num, int64_t den, int64_t *out)
{
    __int128 p = (__int128)base * rate * num; /* <= 10^15 * 10^8 * 10^15 */
    __int128 d = (__int128)AFF_RATE_ONE_HUNDRED * den;
    __int128 q = p / d, r = p % d;
    if (2 * r >= d)
        q++;
    if (q > AFF_MONEY_MAX_MINOR)
        return AFF_ERANGE;
    *out = (int64_t)q;
    return 0;
}

int aff_commission_eval(const aff_plan *plan, const aff_comm_facts *f, aff_comm_result *out)
{
    memset(out, 0, sizeof(*out));
    int ev = event_index(plan, f->event);
    if (ev < 0)
        return 0;
    const aff_plan_event *e = &plan->events[ev];
    out->pays = 1;
    int64_t base =
        f->amount_minor - (e->exclude_shipping ? f->shipping_minor : 0) - (e->exclude_tax ? f->tax_minor : 0);
    if (base < 0)
        base = 0;
    evalst s = {.n = 0, .scale_num = 1, .scale_den = 1};
    char name[64];
    char aff_key[24];
    aff_sbuf key = aff_sb_init(aff_key, sizeof(aff_key));
    aff_sb_int(&key, f->affiliate_id);
    const aff_plan_override *a = find_override(plan, ev, AFF_OVR_AFFILIATE, aff_key);
    if (a != NULL) {
        rule_name(name, sizeof(name), e->name, "affiliate", a->key);
        acc *x = acc_for(&s, name, &a->rule);
        x->base += base;
        x->units += 1;
    } else {
        /* The API keeps items within bounds (aff_comm_item_add), but conversions stored
         * before it checked the products in 128 bits may hold a product that wrapped
         * int64 (verify lists them): priced again, those are refused, not wrapped. Each
         * product below is then at most the checked sum. */
        int64_t items_total = 0;
        for (int i = 0; i < f->nitems; i++)
            if (aff_comm_item_add(f->items[i].unit_minor, f->items[i].quantity, &items_total) != 0)
                return AFF_ERANGE;
        if (items_total > base) {
            s.scale_num = base;
            s.scale_den = items_total;
        }
        for (int i = 0; i < f->nitems; i++) {
            const aff_comm_item *it = &f->items[i];
            const aff_plan_override *o = find_override(plan, ev, AFF_OVR_SKU, it->sku);
            if (o == NULL)
                o = find_override(plan, ev, AFF_OVR_CATEGORY, it->category);
            const aff_rule *r;
            if (o != NULL) {
                rule_name(name, sizeof(name), e->name, scope_names[o->scope], o->key);
                r = &o->rule;
            } else {
                r = base_rule(plan, ev, f, name, &out->tier);
            }
            acc *x = acc_for(&s, name, r);
            x->base += it->unit_minor * it->quantity;
            /* Flat sku and category rules pay per unit; the default, group and tier
             * rules pay once per conversion. */
            x->units = o != NULL ? x->units + it->quantity : 1;
        }
        int64_t rest = base - (items_total > base ? base : items_total);
        if (rest > 0 || f->nitems == 0) {
            const aff_rule *r = base_rule(plan, ev, f, name, &out->tier);
            acc *x = acc_for(&s, name, r);
            x->base += rest; /* rest > 0 means the items did not exceed the base: no scale */
            x->units = 1;
        }
    }
    for (int i = 0; i < s.n; i++) {
        acc *x = &s.a[i];
        int64_t amt;
        if (x->r->kind == AFF_RULE_FLAT) {
            __int128 v = (__int128)x->r->value * x->units;
            if (v > AFF_MONEY_MAX_MINOR)
                return AFF_ERANGE;
            amt = (int64_t)v;
        } else if (percent_of(x->base, x->r->value, s.scale_num, s.scale_den, &amt) != 0) {
            return AFF_ERANGE;
        }
        aff_str_copy(out->lines[out->n].rule, sizeof(out->lines[0].rule), x->rule);
        out->lines[out->n++].amount_minor = amt;
        out->total_minor += amt;
    }
    if (e->cap_minor >= 0 && out->total_minor > e->cap_minor) {
        out->n = 1;
        rule_name(out->lines[0].rule, sizeof(out->lines[0].rule), e->name, "cap", NULL);
        out->lines[0].amount_minor = e->cap_minor;
        out->total_minor = e->cap_minor;
    }
    return 0;
}

int aff_comm_items_parse(const char *items_json, aff_comm_item *items, int cap, json_t **json_out)
{
    *json_out = NULL;
    if (items_json == NULL || items_json[0] == '\0')
        return 0;
    json_t *arr = json_loads(items_json, 0, NULL);
    if (!json_is_array(arr) || (int)json_array_size(arr) > cap) {
        json_decref(arr);
        return AFF_EINVAL;
    }
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        json_t *sku = json_object_get(it, "sku"), *cat = json_object_get(it, "category");
        items[i].sku = json_is_string(sku) ? json_string_value(sku) : "";
        items[i].category = json_is_string(cat) ? json_string_value(cat) : "";
        items[i].unit_minor = json_integer_value(json_object_get(it, "amount_minor"));
        items[i].quantity = json_integer_value(json_object_get(it, "quantity"));
        if (items[i].quantity < 1)
            items[i].quantity = 1;
    }
    *json_out = arr;
    return (int)json_array_size(arr);
}

int aff_comm_item_add(int64_t amount, int64_t quantity, int64_t *total)
{
    if (amount < 0 || amount > AFF_MONEY_MAX_MINOR || quantity < 1 || quantity > AFF_COMM_ITEM_QTY_MAX)
        return AFF_ERANGE;
    __int128 sum = (__int128)*total + (__int128)amount * quantity;
    if (sum > AFF_MONEY_MAX_MINOR)
        return AFF_ERANGE;
    *total = (int64_t)sum;
    return 0;
}

int aff_comm_items_check(const char *items_json)
{
    aff_comm_item items[AFF_COMM_MAX_ITEMS];
    json_t *json;
    int n = aff_comm_items_parse(items_json, items, AFF_COMM_MAX_ITEMS, &json);
    if (n < 0)
        return n;
    int rc = 0;
    int64_t total = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = aff_comm_item_add(items[i].unit_minor, items[i].quantity, &total);
    json_decref(json);
    return rc;
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

int64_t aff_commission_share(int64_t amount_minor, int64_t micro_percent)
{
    int64_t out = 0;
    if (aff_money_apply_rate(amount_minor, micro_percent, &out) != 0)
        return 0;
    return out;
}
