/* test_commission_plans.c - unit tests for the full plan grammar of src/track/commission.c
 * (overrides, tiers, caps, recurring, bonuses, sub-affiliates), the precedence and
 * rounding of aff_commission_eval, periods, item parsing and sub-affiliate shares.
 * Every expected number is worked out by hand in the comment next to it; dates are
 * counted in days since 1970-01-01 (2024-01-01 = 54*365 + 13 leap days = 19723,
 * 2025-01-01 = 19723 + 366 = 20089) or by ref_days(), a day-by-day counter written
 * here independently of the era arithmetic in commission.c. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/money.h"
#include "track/commission.h"
#include "../test.h"

#define DAY 86400000LL

/* ---- helpers ------------------------------------------------------------------------ */

static int plan_parse(const char *json, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err)
{
    memset(err, 0, sizeof(*err));
    return aff_plan_parse(json, plan, canon, cap, err);
}

/* Parse must succeed (reports the message otherwise). */
static int must_parse(const char *file, int line, const char *json, aff_plan *plan)
{
    aff_errinfo err;
    int rc = plan_parse(json, plan, NULL, 0, &err);
    if (rc != AFF_OK)
        aff_test_fail(file, line, "plan %s: rc %d (%s)", json, rc, err.msg);
    return rc;
}
#define MUST_PARSE(json, plan) must_parse(__FILE__, __LINE__, json, plan)

/* Parse must fail with AFF_EINVAL, field "commission" and a message starting with path. */
static void expect_invalid_at(const char *file, int line, const char *json, const char *path)
{
    aff_plan plan;
    aff_errinfo err;
    char canon[4096];
    int rc = plan_parse(json, &plan, canon, sizeof(canon), &err);
    if (rc != AFF_EINVAL)
        aff_test_fail(file, line, "plan %s: rc %d, want AFF_EINVAL", json, rc);
    else if (err.field == NULL || strcmp(err.field, "commission") != 0)
        aff_test_fail(file, line, "plan %s: field %s, want commission", json, err.field ? err.field : "(null)");
    else if (path != NULL && strncmp(err.msg, path, strlen(path)) != 0)
        aff_test_fail(file, line, "plan %s: message \"%s\" does not name %s", json, err.msg, path);
}
#define EXPECT_INVALID(json) expect_invalid_at(__FILE__, __LINE__, json, NULL)
#define EXPECT_INVALID_AT(json, path) expect_invalid_at(__FILE__, __LINE__, json, path)

/* Evaluate and check the invariant every result keeps: total = sum of lines. */
static int eval(const char *file, int line, const aff_plan *plan, const aff_comm_facts *f, aff_comm_result *res)
{
    int rc = aff_commission_eval(plan, f, res);
    if (rc != AFF_OK)
        return rc;
    int64_t sum = 0;
    for (int i = 0; i < res->n; i++)
        sum += res->lines[i].amount_minor;
    if (sum != res->total_minor)
        aff_test_fail(file, line, "lines sum to %lld, total_minor %lld", (long long)sum, (long long)res->total_minor);
    if (res->n < 0 || res->n > AFF_COMM_MAX_LINES)
        aff_test_fail(file, line, "%d lines", res->n);
    return rc;
}
#define EVAL(plan, f, res) AFF_CHECK_INT(eval(__FILE__, __LINE__, plan, f, res), AFF_OK)

/* The amount of the line named rule; -1 when absent, -2 when named twice. */
static int64_t line_amount(const aff_comm_result *res, const char *rule)
{
    int64_t found = -1;
    for (int i = 0; i < res->n; i++)
        if (strcmp(res->lines[i].rule, rule) == 0)
            found = found == -1 ? res->lines[i].amount_minor : -2;
    return found;
}
#define CHECK_LINE(res, rule, amount) AFF_CHECK_INT(line_amount(res, rule), amount)

/* The one line a result must have. */
static void expect_one_line(const char *file, int line, const aff_comm_result *res, const char *rule, int64_t amount)
{
    if (res->n != 1 || strcmp(res->lines[0].rule, rule) != 0 || res->lines[0].amount_minor != amount)
        aff_test_fail(file, line, "want one line %s = %lld, got %d lines, first %s = %lld", rule, (long long)amount,
                      res->n, res->n > 0 ? res->lines[0].rule : "-",
                      res->n > 0 ? (long long)res->lines[0].amount_minor : 0LL);
}
#define EXPECT_ONE_LINE(res, rule, amount) expect_one_line(__FILE__, __LINE__, res, rule, amount)

static aff_comm_facts facts(const char *event, int64_t amount)
{
    return (aff_comm_facts){.event = event, .amount_minor = amount, .affiliate_id = 1, .group = ""};
}

/* Days since 1970-01-01 of y-m-d (y >= 1970), counted year by year and month by month. */
static int64_t ref_days(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t n = 0;
    for (int yy = 1970; yy < y; yy++)
        n += ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0) ? 366 : 365;
    for (int mm = 1; mm < m; mm++)
        n += mdays[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return n + d - 1;
}

/* ---- parsing: every member ------------------------------------------------------------ */

AFF_TEST(commission_plans_ref_days_matches_hand_counts)
{
    AFF_CHECK_INT(ref_days(1970, 1, 1), 0);
    AFF_CHECK_INT(ref_days(2024, 1, 1), 19723);
    AFF_CHECK_INT(ref_days(2025, 1, 1), 20089);
    AFF_CHECK_INT(ref_days(2024, 3, 1), 19723 + 31 + 29); /* 19783 */
    /* 2025-01-01T00:00:00Z is Unix 1735689600 */
    AFF_CHECK_INT(ref_days(2025, 1, 1) * DAY, 1735689600000LL);
}

AFF_TEST(commission_plans_parse_event_members)
{
    aff_plan plan;
    const char *json = "{\"sale\": {\"percent\": \"10\", \"exclude\": [\"shipping\", \"tax\"], \"cap_minor\": 5000,"
                       " \"skus\": {\"ABC\": {\"percent\": \"30\"}, \"XYZ\": {\"flat_minor\": 150}},"
                       " \"categories\": {\"books\": {\"percent\": \"20\"}},"
                       " \"groups\": {\"gold\": {\"percent\": \"15\"}},"
                       " \"affiliates\": {\"42\": {\"percent\": \"50\"}}},"
                       " \"lead\": {\"flat_minor\": 200, \"exclude\": [\"tax\"]}}";
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    const aff_plan_event *sale = aff_plan_event_for(&plan, "sale");
    const aff_plan_event *lead = aff_plan_event_for(&plan, "lead");
    AFF_CHECK(sale != NULL && lead != NULL);
    if (sale == NULL || lead == NULL)
        return;
    AFF_CHECK_INT(sale->exclude_shipping, 1);
    AFF_CHECK_INT(sale->exclude_tax, 1);
    AFF_CHECK_INT(sale->cap_minor, 5000);
    AFF_CHECK_INT(sale->tiers.n, 0);
    AFF_CHECK_INT(sale->recurring_months, 0);
    AFF_CHECK_INT(lead->exclude_shipping, 0);
    AFF_CHECK_INT(lead->exclude_tax, 1);
    AFF_CHECK_INT(lead->cap_minor, -1); /* absent: no cap */
    /* 5 overrides: 2 skus, 1 category, 1 group, 1 affiliate, all on sale (event index of sale) */
    AFF_CHECK_INT(plan.noverrides, 5);
    int seen[AFF_OVR_NSCOPES] = {0};
    int sale_ev = (int)(sale - plan.events);
    for (int i = 0; i < plan.noverrides; i++) {
        const aff_plan_override *o = &plan.overrides[i];
        AFF_CHECK_INT(o->event, sale_ev);
        AFF_CHECK(o->scope >= 0 && o->scope < AFF_OVR_NSCOPES);
        if (o->scope < 0 || o->scope >= AFF_OVR_NSCOPES)
            continue;
        seen[o->scope]++;
        if (strcmp(o->key, "ABC") == 0) {
            AFF_CHECK_INT(o->scope, AFF_OVR_SKU);
            AFF_CHECK_INT(o->rule.kind, AFF_RULE_PERCENT);
            AFF_CHECK_INT(o->rule.value, 30000000); /* 30 % */
        } else if (strcmp(o->key, "XYZ") == 0) {
            AFF_CHECK_INT(o->scope, AFF_OVR_SKU);
            AFF_CHECK_INT(o->rule.kind, AFF_RULE_FLAT);
            AFF_CHECK_INT(o->rule.value, 150);
        } else if (strcmp(o->key, "books") == 0) {
            AFF_CHECK_INT(o->scope, AFF_OVR_CATEGORY);
            AFF_CHECK_INT(o->rule.value, 20000000);
        } else if (strcmp(o->key, "gold") == 0) {
            AFF_CHECK_INT(o->scope, AFF_OVR_GROUP);
            AFF_CHECK_INT(o->rule.value, 15000000);
        } else if (strcmp(o->key, "42") == 0) {
            AFF_CHECK_INT(o->scope, AFF_OVR_AFFILIATE);
            AFF_CHECK_INT(o->rule.value, 50000000);
        } else {
            aff_test_fail(__FILE__, __LINE__, "unexpected override key %s", o->key);
        }
    }
    AFF_CHECK_INT(seen[AFF_OVR_AFFILIATE], 1);
    AFF_CHECK_INT(seen[AFF_OVR_SKU], 2);
    AFF_CHECK_INT(seen[AFF_OVR_CATEGORY], 1);
    AFF_CHECK_INT(seen[AFF_OVR_GROUP], 1);
    AFF_CHECK_INT(plan.nbonuses, 0);
    AFF_CHECK_INT(plan.nlevels, 0);
    AFF_CHECK_INT(plan.has_affiliate_cap, 0);
}

AFF_TEST(commission_plans_parse_tiers)
{
    aff_plan plan;
    const char *json = "{\"sale\": {\"percent\": \"10\", \"tiers\": {\"basis\": \"revenue\", \"retroactive\": true,"
                       " \"period\": {\"days\": 14, \"start\": \"2025-01-01\"},"
                       " \"levels\": [{\"min\": 11, \"percent\": \"12\"}, {\"min\": 51, \"flat_minor\": 700}]}},"
                       " \"lead\": {\"flat_minor\": 1, \"tiers\": {\"levels\": [{\"min\": 1, \"flat_minor\": 2}]}},"
                       " \"trial\": {\"flat_minor\": 1, \"tiers\": {\"period\": \"week\", \"basis\": \"conversions\","
                       " \"retroactive\": false, \"levels\": [{\"min\": 3, \"flat_minor\": 2}]}}}";
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    const aff_plan_event *sale = aff_plan_event_for(&plan, "sale");
    const aff_plan_event *lead = aff_plan_event_for(&plan, "lead");
    const aff_plan_event *trial = aff_plan_event_for(&plan, "trial");
    AFF_CHECK(sale != NULL && lead != NULL && trial != NULL);
    if (sale == NULL || lead == NULL || trial == NULL)
        return;
    AFF_CHECK_INT(sale->tiers.n, 2);
    AFF_CHECK_INT(sale->tiers.basis, AFF_BASIS_REVENUE);
    AFF_CHECK_INT(sale->tiers.retroactive, 1);
    AFF_CHECK_INT(sale->tiers.period.kind, AFF_PERIOD_DAYS);
    AFF_CHECK_INT(sale->tiers.period.days, 14);
    AFF_CHECK_INT(sale->tiers.period.anchor_ms, 1735689600000LL); /* 2025-01-01 = day 20089 */
    AFF_CHECK_INT(sale->tiers.level[0].min, 11);
    AFF_CHECK_INT(sale->tiers.level[0].rule.kind, AFF_RULE_PERCENT);
    AFF_CHECK_INT(sale->tiers.level[0].rule.value, 12000000);
    AFF_CHECK_INT(sale->tiers.level[1].min, 51);
    AFF_CHECK_INT(sale->tiers.level[1].rule.kind, AFF_RULE_FLAT);
    AFF_CHECK_INT(sale->tiers.level[1].rule.value, 700);
    /* defaults: conversions, calendar month, not retroactive */
    AFF_CHECK_INT(lead->tiers.n, 1);
    AFF_CHECK_INT(lead->tiers.basis, AFF_BASIS_CONVERSIONS);
    AFF_CHECK_INT(lead->tiers.period.kind, AFF_PERIOD_MONTH);
    AFF_CHECK_INT(lead->tiers.retroactive, 0);
    AFF_CHECK_INT(trial->tiers.period.kind, AFF_PERIOD_WEEK);
    AFF_CHECK_INT(trial->tiers.basis, AFF_BASIS_CONVERSIONS);
    AFF_CHECK_INT(trial->tiers.retroactive, 0);
    /* 8 levels is the most */
    char buf[1024];
    int len = snprintf(buf, sizeof(buf), "{\"sale\":{\"percent\":\"1\",\"tiers\":{\"levels\":[");
    for (int i = 0; i < AFF_PLAN_MAX_TIERS; i++)
        len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s{\"min\":%d,\"percent\":\"%d\"}", i ? "," : "",
                        10 * (i + 1), i + 2);
    snprintf(buf + len, sizeof(buf) - (size_t)len, "]}}}");
    if (MUST_PARSE(buf, &plan) == AFF_OK) {
        AFF_CHECK_INT(plan.events[0].tiers.n, 8);
        AFF_CHECK_INT(plan.events[0].tiers.level[7].min, 80);
        AFF_CHECK_INT(plan.events[0].tiers.level[7].rule.value, 9000000); /* "9" */
    }
}

AFF_TEST(commission_plans_parse_recurring)
{
    aff_plan plan;
    const char *json =
        "{\"sub\": {\"percent\": \"20\", \"recurring\": {\"months\": 12}},"
        " \"sub2\": {\"percent\": \"20\", \"recurring\": {\"months\": \"lifetime\", \"rate\": \"current\"}},"
        " \"sub3\": {\"percent\": \"20\", \"recurring\": {\"months\": 1200, \"rate\": \"original\"}}}";
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    const aff_plan_event *a = aff_plan_event_for(&plan, "sub"), *b = aff_plan_event_for(&plan, "sub2"),
                         *c = aff_plan_event_for(&plan, "sub3");
    AFF_CHECK(a != NULL && b != NULL && c != NULL);
    if (a == NULL || b == NULL || c == NULL)
        return;
    AFF_CHECK_INT(a->recurring_months, 12);
    AFF_CHECK_INT(a->recurring_current_rate, 0); /* default "original" */
    AFF_CHECK_INT(b->recurring_months, -1);      /* lifetime */
    AFF_CHECK_INT(b->recurring_current_rate, 1);
    AFF_CHECK_INT(c->recurring_months, 1200);
    AFF_CHECK_INT(c->recurring_current_rate, 0);
}

AFF_TEST(commission_plans_parse_plan_wide_members)
{
    aff_plan plan;
    const char *json = "{\"sale\": {\"percent\": \"10\"}, \"lead\": {\"flat_minor\": 200},"
                       " \"bonuses\": [{\"name\": \"ten_sales\", \"event\": \"sale\", \"conversions\": 10,"
                       " \"flat_minor\": 10000},"
                       " {\"name\": \"big_week\", \"event\": \"lead\", \"revenue_minor\": 1000000, \"flat_minor\": 0,"
                       " \"period\": \"week\"},"
                       " {\"name\": \"b3\", \"event\": \"sale\", \"conversions\": 1, \"flat_minor\": 5,"
                       " \"period\": {\"days\": 7, \"start\": \"2025-01-06\"}}],"
                       " \"sub_affiliates\": [\"5\", \"2.50\", \"0.000001\"],"
                       " \"caps\": {\"affiliate_minor\": 100000, \"period\": \"week\"}}";
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    int sale = (int)(aff_plan_event_for(&plan, "sale") - plan.events);
    int lead = (int)(aff_plan_event_for(&plan, "lead") - plan.events);
    AFF_CHECK_INT(plan.nbonuses, 3);
    AFF_CHECK_STR(plan.bonuses[0].name, "ten_sales");
    AFF_CHECK_INT(plan.bonuses[0].event, sale);
    AFF_CHECK_INT(plan.bonuses[0].basis, AFF_BASIS_CONVERSIONS);
    AFF_CHECK_INT(plan.bonuses[0].threshold, 10);
    AFF_CHECK_INT(plan.bonuses[0].amount_minor, 10000);
    AFF_CHECK_INT(plan.bonuses[0].period.kind, AFF_PERIOD_MONTH); /* default */
    AFF_CHECK_STR(plan.bonuses[1].name, "big_week");
    AFF_CHECK_INT(plan.bonuses[1].event, lead);
    AFF_CHECK_INT(plan.bonuses[1].basis, AFF_BASIS_REVENUE);
    AFF_CHECK_INT(plan.bonuses[1].threshold, 1000000);
    AFF_CHECK_INT(plan.bonuses[1].amount_minor, 0);
    AFF_CHECK_INT(plan.bonuses[1].period.kind, AFF_PERIOD_WEEK);
    AFF_CHECK_INT(plan.bonuses[2].period.kind, AFF_PERIOD_DAYS);
    AFF_CHECK_INT(plan.bonuses[2].period.days, 7);
    AFF_CHECK_INT(plan.bonuses[2].period.anchor_ms, (20089 + 5) * DAY); /* 2025-01-06 */
    AFF_CHECK_INT(plan.nlevels, 3);
    AFF_CHECK_INT(plan.level_rate[0], 5000000);
    AFF_CHECK_INT(plan.level_rate[1], 2500000);
    AFF_CHECK_INT(plan.level_rate[2], 1);
    AFF_CHECK_INT(plan.has_affiliate_cap, 1);
    AFF_CHECK_INT(plan.affiliate_cap_minor, 100000);
    AFF_CHECK_INT(plan.cap_period.kind, AFF_PERIOD_WEEK);
    /* caps period defaults to the month; a zero cap is a cap */
    if (MUST_PARSE("{\"caps\": {\"affiliate_minor\": 0}}", &plan) == AFF_OK) {
        AFF_CHECK_INT(plan.nevents, 0);
        AFF_CHECK_INT(plan.has_affiliate_cap, 1);
        AFF_CHECK_INT(plan.affiliate_cap_minor, 0);
        AFF_CHECK_INT(plan.cap_period.kind, AFF_PERIOD_MONTH);
    }
    /* 10 sub-affiliate levels is the most */
    if (MUST_PARSE("{\"sub_affiliates\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\"]}", &plan) ==
        AFF_OK) {
        AFF_CHECK_INT(plan.nlevels, 10);
        AFF_CHECK_INT(plan.level_rate[9], 10000000);
    }
    /* a click event pays a flat amount per unique click */
    if (MUST_PARSE("{\"click\": {\"flat_minor\": 5}}", &plan) == AFF_OK)
        AFF_CHECK_INT(plan.events[0].rule.value, 5);
}

/* ---- canonical form ------------------------------------------------------------------- */

/* The full grammar in a non-canonical spelling, and its canonical form written by hand:
 * compact, keys sorted at every level, percents shortest ("10.0" -> "10", "2.50" ->
 * "2.5"), defaults made explicit (basis, period, retroactive, rate). */
static const char full_plan[] =
    "{\"sale\": {\"percent\": \"10.0\", \"exclude\": [\"tax\", \"shipping\"], \"cap_minor\": 5000,"
    " \"skus\": {\"XYZ\": {\"flat_minor\": 150}, \"ABC\": {\"percent\": \"30\"}},"
    " \"categories\": {\"books\": {\"percent\": \"20\"}}, \"groups\": {\"gold\": {\"percent\": \"15\"}},"
    " \"affiliates\": {\"42\": {\"percent\": \"50\"}},"
    " \"tiers\": {\"levels\": [{\"min\": 11, \"percent\": \"12\"}, {\"percent\": \"15\", \"min\": 51}],"
    " \"retroactive\": true}, \"recurring\": {\"months\": 12}},"
    " \"lead\": {\"flat_minor\": 200, \"tiers\": {\"basis\": \"revenue\", \"period\": {\"start\": \"2025-01-01\","
    " \"days\": 14}, \"levels\": [{\"min\": 1000, \"flat_minor\": 300}]},"
    " \"recurring\": {\"rate\": \"current\", \"months\": \"lifetime\"}},"
    " \"click\": {\"flat_minor\": 5},"
    " \"bonuses\": [{\"name\": \"ten_sales\", \"event\": \"sale\", \"conversions\": 10, \"flat_minor\": 10000},"
    " {\"period\": \"week\", \"flat_minor\": 25000, \"revenue_minor\": 1000000, \"event\": \"sale\","
    " \"name\": \"big_week\"}],"
    " \"sub_affiliates\": [\"5\", \"2.50\"],"
    " \"caps\": {\"period\": {\"days\": 7, \"start\": \"2025-01-06\"}, \"affiliate_minor\": 100000}}";

static const char full_canon[] =
    "{\"bonuses\":[{\"conversions\":10,\"event\":\"sale\",\"flat_minor\":10000,\"name\":\"ten_sales\","
    "\"period\":\"month\"},{\"event\":\"sale\",\"flat_minor\":25000,\"name\":\"big_week\",\"period\":\"week\","
    "\"revenue_minor\":1000000}],"
    "\"caps\":{\"affiliate_minor\":100000,\"period\":{\"days\":7,\"start\":\"2025-01-06\"}},"
    "\"click\":{\"flat_minor\":5},"
    "\"lead\":{\"flat_minor\":200,\"recurring\":{\"months\":\"lifetime\",\"rate\":\"current\"},"
    "\"tiers\":{\"basis\":\"revenue\",\"levels\":[{\"flat_minor\":300,\"min\":1000}],"
    "\"period\":{\"days\":14,\"start\":\"2025-01-01\"},\"retroactive\":false}},"
    "\"sale\":{\"affiliates\":{\"42\":{\"percent\":\"50\"}},\"cap_minor\":5000,"
    "\"categories\":{\"books\":{\"percent\":\"20\"}},\"exclude\":[\"shipping\",\"tax\"],"
    "\"groups\":{\"gold\":{\"percent\":\"15\"}},\"percent\":\"10\",\"recurring\":{\"months\":12,\"rate\":\"original\"},"
    "\"skus\":{\"ABC\":{\"percent\":\"30\"},\"XYZ\":{\"flat_minor\":150}},"
    "\"tiers\":{\"basis\":\"conversions\",\"levels\":[{\"min\":11,\"percent\":\"12\"},{\"min\":51,\"percent\":\"15\"}],"
    "\"period\":\"month\",\"retroactive\":true}},"
    "\"sub_affiliates\":[\"5\",\"2.5\"]}";

AFF_TEST(commission_plans_canonical_full_grammar)
{
    aff_plan a, b;
    aff_errinfo err;
    char c1[4096] = "", c2[4096] = "";
    AFF_CHECK_INT(plan_parse(full_plan, &a, c1, sizeof(c1), &err), AFF_OK);
    AFF_CHECK_STR(c1, full_canon);
    /* parse(canon) gives the same canon and the same plan */
    AFF_CHECK_INT(plan_parse(c1, &b, c2, sizeof(c2), &err), AFF_OK);
    AFF_CHECK_STR(c2, c1);
    AFF_CHECK_INT(b.nevents, a.nevents);
    AFF_CHECK_INT(b.noverrides, a.noverrides);
    AFF_CHECK_INT(b.nbonuses, 2);
    AFF_CHECK_INT(b.nlevels, 2);
    AFF_CHECK_INT(b.affiliate_cap_minor, 100000);
    AFF_CHECK_INT(b.cap_period.anchor_ms, (20089 + 5) * DAY);
    const aff_plan_event *sale = aff_plan_event_for(&b, "sale");
    AFF_CHECK(sale != NULL && sale->tiers.n == 2 && sale->tiers.retroactive == 1 && sale->recurring_months == 12);
}

AFF_TEST(commission_plans_canonical_equivalent_spellings)
{
    /* Each pair spells the same plan; both must give one canonical text, and that text
     * must re-parse to itself. */
    static const struct {
        const char *a, *b;
    } pairs[] = {
        {"{\"sale\":{\"percent\":\"10\",\"exclude\":[\"tax\",\"shipping\"]}}",
         "{\"sale\":{\"exclude\":[\"shipping\",\"tax\"],\"percent\":\"10.000000\"}}"},
        /* an empty exclude list and empty override objects say nothing */
        {"{\"sale\":{\"percent\":\"10\",\"exclude\":[],\"skus\":{},\"groups\":{}}}", "{\"sale\":{\"percent\":\"10\"}}"},
        {"{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":5,\"percent\":\"11\"}]}}}",
         "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"conversions\",\"period\":\"month\",\"retroactive\":false,"
         "\"levels\":[{\"percent\":\"11\",\"min\":5}]}}}"},
        {"{\"s\":{\"flat_minor\":1,\"recurring\":{\"months\":3}}}",
         "{\"s\":{\"flat_minor\":1,\"recurring\":{\"months\":3,\"rate\":\"original\"}}}"},
        {"{\"s\":{\"flat_minor\":1},\"bonuses\":[{\"name\":\"x\",\"event\":\"s\",\"conversions\":2,\"flat_minor\":3}]}",
         "{\"bonuses\":[{\"period\":\"month\",\"flat_minor\":3,\"conversions\":2,\"event\":\"s\",\"name\":\"x\"}],"
         "\"s\":{\"flat_minor\":1}}"},
        {"{\"caps\":{\"affiliate_minor\":9}}", "{\"caps\":{\"period\":\"month\",\"affiliate_minor\":9}}"},
        {"{\"sub_affiliates\":[\"10.0\",\"5.00\"]}", "{\"sub_affiliates\":[\"10\",\"5\"]}"},
        /* the empty bonus list says nothing */
        {"{\"s\":{\"flat_minor\":1},\"bonuses\":[]}", "{\"s\":{\"flat_minor\":1}}"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        aff_plan p;
        aff_errinfo err;
        char ca[1024] = "", cb[1024] = "", cc[1024] = "";
        int ra = plan_parse(pairs[i].a, &p, ca, sizeof(ca), &err);
        int rb = plan_parse(pairs[i].b, &p, cb, sizeof(cb), &err);
        int rc = plan_parse(ca, &p, cc, sizeof(cc), &err);
        if (ra != AFF_OK || rb != AFF_OK || rc != AFF_OK || strcmp(ca, cb) != 0 || strcmp(ca, cc) != 0)
            aff_test_fail(__FILE__, __LINE__, "pair %zu: rc %d/%d/%d canon\n      %s\n      %s\n      %s", i, ra, rb,
                          rc, ca, cb, cc);
    }
}

/* ---- parsing: invalid shapes ---------------------------------------------------------- */

AFF_TEST(commission_plans_invalid_event_members)
{
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"bogus\":1}}", "commission.sale: unknown member");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"Skus\":{}}}", "commission.sale");
    /* exclude */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"exclude\":\"shipping\"}}", "commission.sale.exclude");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"discount\"]}}", "commission.sale.exclude[0]");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"tax\",1]}}", "commission.sale.exclude[1]");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"Shipping\"]}}");
    /* cap_minor */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"cap_minor\":-1}}", "commission.sale.cap_minor");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"cap_minor\":\"100\"}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"cap_minor\":10.5}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"cap_minor\":null}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"cap_minor\":1000000000000001}}");
    /* a member without a rule */
    EXPECT_INVALID("{\"sale\":{\"cap_minor\":100}}");
    /* click pays a flat amount and nothing else */
    EXPECT_INVALID_AT("{\"click\":{\"percent\":\"10\"}}", "commission.click");
    EXPECT_INVALID_AT("{\"click\":{\"flat_minor\":5,\"cap_minor\":10}}", "commission.click");
    EXPECT_INVALID_AT("{\"click\":{\"flat_minor\":5,\"exclude\":[\"tax\"]}}", "commission.click");
    EXPECT_INVALID("{\"click\":{\"flat_minor\":5,\"skus\":{\"A\":{\"flat_minor\":1}}}}");
}

AFF_TEST(commission_plans_invalid_overrides)
{
    /* not an object of key -> rule */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"skus\":[]}}", "commission.sale.skus");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":\"20\"}}}", "commission.sale.skus.A");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":{}}}}", "commission.sale.skus.A");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"categories\":{\"c\":{\"percent\":\"20\",\"flat_minor\":1}}}}",
                      "commission.sale.categories.c");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"groups\":{\"g\":{\"percent\":\"20\",\"cap_minor\":1}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"groups\":{\"g\":{\"percent\":\"101\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":{\"flat_minor\":-5}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"skus\":{\"\":{\"flat_minor\":5}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":{\"percent\":\"1\"},\"A\":{\"percent\":\"2\"}}}}");
    /* affiliate keys are positive integer ids, written plainly */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"abc\":{\"percent\":\"20\"}}}}",
                      "commission.sale.affiliates");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"0\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"-4\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"+4\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"042\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"4.0\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"4x\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"1e3\":{\"percent\":\"20\"}}}}");
    /* whitespace before the digits is not an id either (it would never match "5") */
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\" 5\":{\"percent\":\"20\"}}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"\\t5\":{\"percent\":\"20\"}}}}");
    /* beyond int64: not an affiliate id */
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"99999999999999999999\":{\"percent\":\"20\"}}}}");
    aff_plan plan;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"9223372036854775807\":{\"percent\":\"20\"}}}}",
                   &plan) == AFF_OK)
        AFF_CHECK_INT(plan.noverrides, 1);
}

/* A plan with n sku overrides spread over events "sale" (first half) and "lead". */
static void many_overrides(char *buf, size_t cap, int n_sale, int n_lead)
{
    size_t len = (size_t)snprintf(buf, cap, "{\"sale\":{\"percent\":\"1\",\"skus\":{");
    for (int i = 0; i < n_sale; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\"s%d\":{\"percent\":\"2\"}", i ? "," : "", i);
    len += (size_t)snprintf(buf + len, cap - len, "}},\"lead\":{\"flat_minor\":1,\"categories\":{");
    for (int i = 0; i < n_lead; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\"c%d\":{\"flat_minor\":2}", i ? "," : "", i);
    snprintf(buf + len, cap - len, "}}}");
}

AFF_TEST(commission_plans_override_limits)
{
    char json[8192];
    aff_plan plan;
    many_overrides(json, sizeof(json), 64, 0);
    if (MUST_PARSE(json, &plan) == AFF_OK)
        AFF_CHECK_INT(plan.noverrides, 64);
    many_overrides(json, sizeof(json), 65, 0);
    EXPECT_INVALID_AT(json, "commission");
    /* the limit is per plan: 32 + 33 = 65 */
    many_overrides(json, sizeof(json), 32, 32);
    if (MUST_PARSE(json, &plan) == AFF_OK)
        AFF_CHECK_INT(plan.noverrides, 64);
    many_overrides(json, sizeof(json), 32, 33);
    EXPECT_INVALID(json);
    /* keys are 1..128 bytes */
    char key[200];
    memset(key, 'k', 128);
    key[128] = '\0';
    snprintf(json, sizeof(json), "{\"sale\":{\"percent\":\"1\",\"skus\":{\"%s\":{\"percent\":\"2\"}}}}", key);
    if (MUST_PARSE(json, &plan) == AFF_OK)
        AFF_CHECK_INT((long long)strlen(plan.overrides[0].key), 128);
    memset(key, 'k', 129);
    key[129] = '\0';
    snprintf(json, sizeof(json), "{\"sale\":{\"percent\":\"1\",\"categories\":{\"%s\":{\"percent\":\"2\"}}}}", key);
    EXPECT_INVALID(json);
}

AFF_TEST(commission_plans_invalid_tiers)
{
    const char *p = "commission.sale.tiers";
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":[]}}", p);
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{}}}", p);
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[]}}}", "commission.sale.tiers.levels");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":{}}}}", "commission.sale.tiers.levels");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":1,\"percent\":\"5\"}],\"x\":1}}}",
                      "commission.sale.tiers: unknown member");
    /* basis */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"clicks\",\"levels\":[{\"min\":1,"
                      "\"percent\":\"5\"}]}}}",
                      "commission.sale.tiers.basis");
    EXPECT_INVALID(
        "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":1,\"levels\":[{\"min\":1,\"percent\":\"5\"}]}}}");
    /* retroactive is a boolean */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"retroactive\":1,\"levels\":[{\"min\":1,"
                      "\"percent\":\"5\"}]}}}",
                      "commission.sale.tiers.retroactive");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"retroactive\":\"true\",\"levels\":[{\"min\":1,"
                   "\"percent\":\"5\"}]}}}");
    /* levels: min positive integers, strictly increasing; one rule each; nothing else */
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":11,\"percent\":\"12\"},"
                      "{\"min\":11,\"percent\":\"15\"}]}}}",
                      "commission.sale.tiers.levels[1].min");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":51,\"percent\":\"15\"},"
                      "{\"min\":11,\"percent\":\"12\"}]}}}",
                      "commission.sale.tiers.levels[1].min");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":1,\"percent\":\"12\"},"
                      "{\"min\":2,\"percent\":\"15\"},{\"min\":2,\"percent\":\"16\"}]}}}",
                      "commission.sale.tiers.levels[2].min");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":0,\"percent\":\"12\"}]}}}",
                      "commission.sale.tiers.levels[0].min");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":-1,\"percent\":\"12\"}]}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":1.5,\"percent\":\"12\"}]}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":\"5\",\"percent\":\"12\"}]}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"percent\":\"12\"}]}}}");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":3}]}}}",
                      "commission.sale.tiers.levels[0]");
    EXPECT_INVALID(
        "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":3,\"percent\":\"1\",\"flat_minor\":1}]}}}");
    EXPECT_INVALID_AT(
        "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":3,\"percent\":\"1\",\"cap\":1}]}}}",
        "commission.sale.tiers.levels[0]: unknown member");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[5]}}}");
    /* 9 levels: one too many */
    EXPECT_INVALID("{\"sale\":{\"percent\":\"1\",\"tiers\":{\"levels\":[{\"min\":1,\"percent\":\"2\"},{\"min\":2,"
                   "\"percent\":\"2\"},{\"min\":3,\"percent\":\"2\"},{\"min\":4,\"percent\":\"2\"},{\"min\":5,"
                   "\"percent\":\"2\"},{\"min\":6,\"percent\":\"2\"},{\"min\":7,\"percent\":\"2\"},{\"min\":8,"
                   "\"percent\":\"2\"},{\"min\":9,\"percent\":\"2\"}]}}}");
}

AFF_TEST(commission_plans_invalid_periods)
{
    const char *pre = "commission.sale.tiers.period";
#define TIER_PERIOD(p) \
    "{\"sale\":{\"percent\":\"10\",\"tiers\":{\"period\":" p ",\"levels\":[{\"min\":1,\"percent\":\"5\"}]}}}"
    EXPECT_INVALID_AT(TIER_PERIOD("\"day\""), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("\"Month\""), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("30"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("null"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"start\":\"2025-01-01\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":0,\"start\":\"2025-01-01\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":367,\"start\":\"2025-01-01\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":\"14\",\"start\":\"2025-01-01\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14,\"start\":\"2025-02-30\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14,\"start\":\"2025-1-1\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14,\"start\":\"2025-01-01T00:00:00Z\"}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14,\"start\":20250101}"), pre);
    EXPECT_INVALID_AT(TIER_PERIOD("{\"days\":14,\"start\":\"2025-01-01\",\"tz\":\"UTC\"}"), pre);
    /* bounds that are fine: 1 and 366 days, a leap day anchor */
    aff_plan plan;
    MUST_PARSE(TIER_PERIOD("{\"days\":1,\"start\":\"2024-02-29\"}"), &plan);
    MUST_PARSE(TIER_PERIOD("{\"days\":366,\"start\":\"1970-01-01\"}"), &plan);
#undef TIER_PERIOD
}

AFF_TEST(commission_plans_invalid_recurring)
{
    const char *p = "commission.sale.recurring";
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"recurring\":12}}", p);
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"recurring\":{}}}", "commission.sale.recurring.months");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":0}}}",
                      "commission.sale.recurring.months");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":1201}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":-1}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":\"12\"}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":\"forever\"}}}");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":1.5}}}");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":3,\"rate\":\"new\"}}}",
                      "commission.sale.recurring.rate");
    EXPECT_INVALID("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":3,\"rate\":1}}}");
    EXPECT_INVALID_AT("{\"sale\":{\"percent\":\"10\",\"recurring\":{\"months\":3,\"every\":\"month\"}}}",
                      "commission.sale.recurring: unknown member");
}

AFF_TEST(commission_plans_invalid_bonuses)
{
#define WITH_BONUSES(b) "{\"sale\":{\"percent\":\"10\"},\"lead\":{\"flat_minor\":1},\"bonuses\":" b "}"
#define B1 "{\"name\":\"b\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100}"
    aff_plan plan;
    MUST_PARSE(WITH_BONUSES("[" B1 "]"), &plan);
    EXPECT_INVALID_AT(WITH_BONUSES("{}"), "commission.bonuses");
    EXPECT_INVALID_AT(WITH_BONUSES("[1]"), "commission.bonuses[0]");
    EXPECT_INVALID_AT(WITH_BONUSES("[" B1 ",{\"name\":\"c\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100,"
                                   "\"x\":1}]"),
                      "commission.bonuses[1]: unknown member");
    /* names: [a-z0-9_]{1,32}, unique */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100}]"),
                      "commission.bonuses[0].name");
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"Big\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100}]"));
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100}]"));
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":7,\"event\":\"sale\",\"conversions\":10,\"flat_minor\":100}]"));
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"abcdefghijklmnopqrstuvwxyz0123456\",\"event\":\"sale\","
                                "\"conversions\":10,\"flat_minor\":100}]")); /* 33 characters */
    MUST_PARSE(WITH_BONUSES("[{\"name\":\"abcdefghijklmnopqrstuvwxyz012345\",\"event\":\"sale\","
                            "\"conversions\":10,\"flat_minor\":100}]"),
               &plan); /* 32 */
    EXPECT_INVALID_AT(WITH_BONUSES("[" B1 "," B1 "]"), "commission.bonuses[1].name");
    EXPECT_INVALID_AT(
        WITH_BONUSES("[" B1 ",{\"name\":\"c\",\"event\":\"lead\",\"conversions\":1,\"flat_minor\":1}," B1 "]"),
        "commission.bonuses[2].name");
    /* the event must be one the plan pays for */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"signup\",\"conversions\":10,\"flat_minor\":100}]"),
                      "commission.bonuses[0].event");
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"conversions\":10,\"flat_minor\":100}]"));
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"event\":1,\"conversions\":10,\"flat_minor\":100}]"));
    EXPECT_INVALID("{\"bonuses\":[" B1 "]}");
    /* exactly one of conversions or revenue_minor, a positive integer */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"flat_minor\":100}]"),
                      "commission.bonuses[0]");
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":1,\"revenue_minor\":1,"
                                "\"flat_minor\":100}]"));
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":0,\"flat_minor\":100}]"),
                      "commission.bonuses[0].conversions");
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"revenue_minor\":-1,\"flat_minor\":100}]"),
                      "commission.bonuses[0].revenue_minor");
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":\"10\",\"flat_minor\":100}]"));
    /* flat_minor required, a non-negative integer; no percent bonuses */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":10}]"),
                      "commission.bonuses[0].flat_minor");
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":-1}]"));
    EXPECT_INVALID(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":10,\"percent\":\"5\"}]"));
    /* period */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b\",\"event\":\"sale\",\"conversions\":10,\"flat_minor\":1,"
                                   "\"period\":\"year\"}]"),
                      "commission.bonuses[0].period");
    /* at most 8 */
    EXPECT_INVALID_AT(WITH_BONUSES("[{\"name\":\"b1\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b2\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b3\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b4\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b5\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b6\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b7\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b8\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                   "{\"name\":\"b9\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1}]"),
                      "commission.bonuses");
    if (MUST_PARSE(WITH_BONUSES("[{\"name\":\"b1\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b2\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b3\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b4\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b5\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b6\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b7\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1},"
                                "{\"name\":\"b8\",\"event\":\"sale\",\"conversions\":1,\"flat_minor\":1}]"),
                   &plan) == AFF_OK)
        AFF_CHECK_INT(plan.nbonuses, 8);
#undef B1
#undef WITH_BONUSES
}

AFF_TEST(commission_plans_invalid_sub_affiliates_and_caps)
{
    EXPECT_INVALID_AT("{\"sub_affiliates\":\"5\"}", "commission.sub_affiliates");
    EXPECT_INVALID_AT("{\"sub_affiliates\":{\"1\":\"5\"}}", "commission.sub_affiliates");
    EXPECT_INVALID_AT("{\"sub_affiliates\":[]}", "commission.sub_affiliates");
    EXPECT_INVALID_AT("{\"sub_affiliates\":[\"5\",5]}", "commission.sub_affiliates[1]");
    EXPECT_INVALID_AT("{\"sub_affiliates\":[\"100.5\"]}", "commission.sub_affiliates[0]");
    EXPECT_INVALID_AT("{\"sub_affiliates\":[\"-1\"]}", "commission.sub_affiliates[0]");
    EXPECT_INVALID("{\"sub_affiliates\":[{\"percent\":\"5\"}]}");
    /* 11 levels: one too many */
    EXPECT_INVALID_AT("{\"sub_affiliates\":[\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",\"1\"]}",
                      "commission.sub_affiliates");
    /* caps */
    EXPECT_INVALID_AT("{\"caps\":5}", "commission.caps");
    EXPECT_INVALID_AT("{\"caps\":{}}", "commission.caps.affiliate_minor");
    EXPECT_INVALID_AT("{\"caps\":{\"affiliate_minor\":-1}}", "commission.caps.affiliate_minor");
    EXPECT_INVALID("{\"caps\":{\"affiliate_minor\":\"100\"}}");
    EXPECT_INVALID("{\"caps\":{\"affiliate_minor\":1000000000000001}}");
    EXPECT_INVALID_AT("{\"caps\":{\"affiliate_minor\":100,\"period\":\"day\"}}", "commission.caps.period");
    EXPECT_INVALID_AT("{\"caps\":{\"affiliate_minor\":100,\"program_minor\":1}}", "commission.caps: unknown member");
    /* plan-wide member names are not events */
    EXPECT_INVALID("{\"caps\":{\"percent\":\"10\"}}");
    EXPECT_INVALID("{\"bonuses\":{\"percent\":\"10\"}}");
}

/* ---- evaluation: precedence ------------------------------------------------------------ */

/* default 10 %; affiliate 42: 50 %; sku ABC: 30 %; category books: 20 %; group gold: 15 %;
 * tier from 5 conversions: 12 %. */
static const char prec_plan[] =
    "{\"sale\":{\"percent\":\"10\",\"affiliates\":{\"42\":{\"percent\":\"50\"}},\"skus\":{\"ABC\":{\"percent\":\"30\"}},"
    "\"categories\":{\"books\":{\"percent\":\"20\"}},\"groups\":{\"gold\":{\"percent\":\"15\"}},"
    "\"tiers\":{\"levels\":[{\"min\":5,\"percent\":\"12\"}]}},"
    "\"lead\":{\"flat_minor\":200}}";

AFF_TEST(commission_plans_eval_precedence_one_item)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE(prec_plan, &plan) != AFF_OK)
        return;
    aff_comm_item abc_books = {"ABC", "books", 1000, 1}, xyz_books = {"XYZ", "books", 1000, 1},
                  xyz_toys = {"XYZ", "toys", 1000, 1};
    aff_comm_facts f = facts("sale", 1000);
    f.nitems = 1;
    f.volume = 10;
    f.group = "gold";

    /* affiliate 42 beats everything: 50 % of 1000 = 500 */
    f.affiliate_id = 42;
    f.items = &abc_books;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:affiliate:42", 500);
    AFF_CHECK_INT(res.pays, 1);
    AFF_CHECK_INT(res.tier, 0); /* the default rule was not used */
    /* sku beats category, group and tier: 30 % of 1000 = 300 */
    f.affiliate_id = 7;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:sku:ABC", 300);
    /* category beats group and tier: 20 % = 200 */
    f.items = &xyz_books;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:category:books", 200);
    /* group beats tier: 15 % = 150 */
    f.items = &xyz_toys;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:group:gold", 150);
    AFF_CHECK_INT(res.tier, 0);
    /* tier beats the default: volume 10 >= 5 -> 12 % = 120 */
    f.group = "silver";
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:tier:1", 120);
    AFF_CHECK_INT(res.tier, 1);
    /* below the tier: the default, 10 % = 100 */
    f.volume = 4;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:percent", 100);
    AFF_CHECK_INT(res.tier, 0);
    /* without items the same holds for the whole amount */
    f.items = NULL;
    f.nitems = 0;
    f.group = "gold";
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:group:gold", 150);
    f.affiliate_id = 42;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:affiliate:42", 500);
    /* an affiliate whose id only starts like 42 does not match */
    f.affiliate_id = 420;
    f.group = "";
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:percent", 100);
}

AFF_TEST(commission_plans_eval_overrides_belong_to_their_event)
{
    aff_plan plan;
    aff_comm_result res;
    /* lead has no overrides: sale's affiliate, sku, category and group rules do not apply */
    if (MUST_PARSE(prec_plan, &plan) != AFF_OK)
        return;
    aff_comm_item it = {"ABC", "books", 1000, 3};
    aff_comm_facts f = facts("lead", 3000);
    f.affiliate_id = 42;
    f.group = "gold";
    f.items = &it;
    f.nitems = 1;
    f.volume = 10;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "lead:flat_minor", 200);
    AFF_CHECK_INT(res.tier, 0);
    /* an event the plan does not pay: pays 0, no lines, total 0 */
    f.event = "signup";
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.pays, 0);
    AFF_CHECK_INT(res.n, 0);
    AFF_CHECK_INT(res.total_minor, 0);
    /* the empty plan pays nothing */
    aff_plan empty;
    if (MUST_PARSE("{}", &empty) == AFF_OK) {
        f.event = "sale";
        EVAL(&empty, &f, &res);
        AFF_CHECK_INT(res.pays, 0);
        AFF_CHECK_INT(res.n, 0);
    }
}

AFF_TEST(commission_plans_eval_mixed_items_and_remainder)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE(prec_plan, &plan) != AFF_OK)
        return;
    /* amount 10000 with 1000 shipping (not excluded); items:
     *   ABC  2000 x 2 = 4000 at sku 30 %       -> 1200
     *   XYZ/books 1500 x 1 at category 20 %    -> 300
     *   TOY/toys   500 x 1 at the default 10 %
     * items total 6000, the remainder 10000 - 6000 = 4000 also at the default:
     *   default base 500 + 4000 = 4500 at 10 % -> 450
     * total 1200 + 300 + 450 = 1950, three lines */
    aff_comm_item items[] = {{"ABC", "", 2000, 2}, {"XYZ", "books", 1500, 1}, {"TOY", "toys", 500, 1}};
    aff_comm_facts f = facts("sale", 10000);
    f.shipping_minor = 1000;
    f.items = items;
    f.nitems = 3;
    f.volume = 1;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 3);
    CHECK_LINE(&res, "sale:sku:ABC", 1200);
    CHECK_LINE(&res, "sale:category:books", 300);
    CHECK_LINE(&res, "sale:percent", 450);
    AFF_CHECK_INT(res.total_minor, 1950);
    /* the same for a gold affiliate: the default item and the remainder go to the group,
     * 15 % of 4500 = 675; total 1200 + 300 + 675 = 2175 */
    f.group = "gold";
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 3);
    CHECK_LINE(&res, "sale:group:gold", 675);
    CHECK_LINE(&res, "sale:percent", -1);
    AFF_CHECK_INT(res.total_minor, 2175);
    /* at tier volume: 12 % of 4500 = 540; total 2040; tier 1 */
    f.group = "";
    f.volume = 5;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:tier:1", 540);
    AFF_CHECK_INT(res.tier, 1);
    AFF_CHECK_INT(res.total_minor, 2040);
    /* all items overridden and nothing left of the base: no default line at all
     * (ABC 4000 at 30 % = 1200, books 1500 at 20 % = 300, amount = 5500) */
    f.volume = 1;
    f.amount_minor = 5500;
    f.shipping_minor = 0;
    f.nitems = 2;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    AFF_CHECK_INT(res.total_minor, 1500);
    CHECK_LINE(&res, "sale:percent", -1);
    /* the affiliate override takes the whole base, items or not: 50 % of 5500 = 2750 */
    f.affiliate_id = 42;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:affiliate:42", 2750);
}

AFF_TEST(commission_plans_eval_exclusions)
{
    aff_plan plan;
    aff_comm_result res;
    aff_comm_facts f = facts("sale", 10000);
    f.shipping_minor = 1000;
    f.tax_minor = 800;
    /* nothing excluded: 10 % of 10000 = 1000 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\"}}", &plan) == AFF_OK) {
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 1000);
    }
    /* shipping excluded: 10 % of 9000 = 900 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"shipping\"]}}", &plan) == AFF_OK) {
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 900);
    }
    /* tax excluded: 10 % of 9200 = 920 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"tax\"]}}", &plan) == AFF_OK) {
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 920);
    }
    /* both: 10 % of 8200 = 820 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"shipping\",\"tax\"]}}", &plan) == AFF_OK) {
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 820);
        /* shipping + tax above the amount: the base is 0, not negative */
        f.amount_minor = 1500;
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 0);
        /* items within the excluded base: 8200 base, item 5000 at sku 20 % = 1000, rest
         * 3200 at 10 % = 320 */
        aff_plan p2;
        if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"exclude\":[\"shipping\",\"tax\"],\"skus\":{\"A\":{\"percent\":"
                       "\"20\"}}}}",
                       &p2) == AFF_OK) {
            aff_comm_item it = {"A", "", 5000, 1};
            f.amount_minor = 10000;
            f.items = &it;
            f.nitems = 1;
            EVAL(&p2, &f, &res);
            AFF_CHECK_INT(res.n, 2);
            CHECK_LINE(&res, "sale:sku:A", 1000);
            CHECK_LINE(&res, "sale:percent", 320);
            /* the item price above the base (9000 > 8200): scaled, 20 % of 9000 * 8200/9000 =
             * 1640, and nothing left for the default */
            it.unit_minor = 9000;
            EVAL(&p2, &f, &res);
            EXPECT_ONE_LINE(&res, "sale:sku:A", 1640);
        }
    }
    /* a negative amount earns nothing */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\"}}", &plan) == AFF_OK) {
        aff_comm_facts g = facts("sale", -500);
        EVAL(&plan, &g, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 0);
    }
}

AFF_TEST(commission_plans_eval_flat_rules_per_unit_or_once)
{
    aff_plan plan;
    aff_comm_result res;
    /* default flat 200; sku A flat 150 per unit; category c flat 100 per unit; group g
     * flat 300 once; tier from 10 conversions flat 250 once; affiliate 9 flat 1000 once */
    if (MUST_PARSE("{\"sale\":{\"flat_minor\":200,\"skus\":{\"A\":{\"flat_minor\":150}},"
                   "\"categories\":{\"c\":{\"flat_minor\":100}},\"groups\":{\"g\":{\"flat_minor\":300}},"
                   "\"affiliates\":{\"9\":{\"flat_minor\":1000}},"
                   "\"tiers\":{\"levels\":[{\"min\":10,\"flat_minor\":250}]}}}",
                   &plan) != AFF_OK)
        return;
    aff_comm_item items[] = {
        {"A", "", 999, 3}, /* sku A: 3 units * 150 = 450 */
        {"B", "c", 10, 2}, /* category c: 2 units */
        {"C", "c", 10, 3}, /* category c: 3 more units, one line: 5 * 100 = 500 */
        {"D", "x", 50, 4}, /* default: once */
        {"E", "", 50, 7},  /* default: still once, one line with the remainder */
    };
    aff_comm_facts f = facts("sale", 100000);
    f.items = items;
    f.nitems = 5;
    f.volume = 1;
    /* 450 + 500 + 200 = 1150 */
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 3);
    CHECK_LINE(&res, "sale:sku:A", 450);
    CHECK_LINE(&res, "sale:category:c", 500);
    CHECK_LINE(&res, "sale:flat_minor", 200);
    AFF_CHECK_INT(res.total_minor, 1150);
    /* default-rule items only, 4 + 7 units, priced exactly at the amount (50*4 + 50*7 =
     * 550, no remainder): the default flat still pays once, 200 */
    f.items = items + 3;
    f.nitems = 2;
    f.amount_minor = 550;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:flat_minor", 200);
    /* and the group's flat once too: 300 */
    f.group = "g";
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:group:g", 300);
    f.items = items;
    f.nitems = 5;
    f.amount_minor = 100000;
    /* the group's flat pays once: 450 + 500 + 300 = 1250 */
    f.group = "g";
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:group:g", 300);
    AFF_CHECK_INT(res.total_minor, 1250);
    /* the tier's flat pays once: 450 + 500 + 250 = 1200 */
    f.group = "";
    f.volume = 10;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:tier:1", 250);
    AFF_CHECK_INT(res.tier, 1);
    AFF_CHECK_INT(res.total_minor, 1200);
    /* the affiliate's flat pays once for the whole conversion */
    f.affiliate_id = 9;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:affiliate:9", 1000);
    /* per-unit flats are not scaled when the items exceed the base: amount 1, only the
     * sku A item (3 units, 2997 > 1): still 3 * 150 = 450, and nothing left for the default */
    f.affiliate_id = 1;
    f.volume = 1;
    f.amount_minor = 1;
    f.nitems = 1;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:sku:A", 450);
    /* a lead (amount 0, no items) earns the flat default once */
    aff_comm_facts lead = facts("sale", 0);
    EVAL(&plan, &lead, &res);
    EXPECT_ONE_LINE(&res, "sale:flat_minor", 200);
}

AFF_TEST(commission_plans_eval_pro_rata_one_rounding_per_line)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":{\"percent\":\"10\"},\"B\":{\"percent\":\"20\"},"
                   "\"H1\":{\"percent\":\"10\"},\"H2\":{\"percent\":\"10\"}},"
                   "\"categories\":{\"c\":{\"percent\":\"10\"}}}}",
                   &plan) != AFF_OK)
        return;
    /* items 600 + 600 = 1200 exceed the amount 1000: scale 1000/1200 = 5/6
     *   A: 600 * 10 % * 5/6 = 50;  B: 600 * 20 % * 5/6 = 100 */
    aff_comm_item ab[] = {{"A", "", 600, 1}, {"B", "", 600, 1}};
    aff_comm_facts f = facts("sale", 1000);
    f.items = ab;
    f.nitems = 2;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    CHECK_LINE(&res, "sale:sku:A", 50);
    CHECK_LINE(&res, "sale:sku:B", 100);
    /* three items of one category, 50 each, amount 100: one line, one rounding:
     *   150 * 10 % * 100/150 = 10 exactly (rounding each item, 50*100/150 = 33.3 -> 3.3
     *   -> 3, would give 9) */
    aff_comm_item ccc[] = {{"X1", "c", 50, 1}, {"X2", "c", 50, 1}, {"X3", "c", 50, 1}};
    f.items = ccc;
    f.nitems = 3;
    f.amount_minor = 100;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:category:c", 10);
    /* the same items at the default rule (no category): also one line of 10 */
    aff_comm_item ddd[] = {{"X1", "", 50, 1}, {"X2", "", 50, 1}, {"X3", "", 50, 1}};
    f.items = ddd;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:percent", 10);
    /* halves round away from zero on each line: amount 100, items 50 + 150 = 200, scale 1/2
     *   H1: 50 * 10 % / 2 = 2.5 -> 3;  H2: 150 * 10 % / 2 = 7.5 -> 8;  total 11 */
    aff_comm_item hh[] = {{"H1", "", 50, 1}, {"H2", "", 150, 1}};
    f.items = hh;
    f.nitems = 2;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:sku:H1", 3);
    CHECK_LINE(&res, "sale:sku:H2", 8);
    AFF_CHECK_INT(res.total_minor, 11);
    /* quantity counts in the price: A 200 x 3 = 600 with B 600: as the first case */
    aff_comm_item aq[] = {{"A", "", 200, 3}, {"B", "", 600, 1}};
    f.items = aq;
    f.amount_minor = 1000;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:sku:A", 50);
    CHECK_LINE(&res, "sale:sku:B", 100);
    /* items exactly the base: no scaling and no remainder line: 10 % of 600 = 60, 20 % of
     * 400 = 80 */
    aff_comm_item exact[] = {{"A", "", 600, 1}, {"B", "", 400, 1}};
    f.items = exact;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    CHECK_LINE(&res, "sale:sku:A", 60);
    CHECK_LINE(&res, "sale:sku:B", 80);
    /* a zero base scales every item to zero */
    f.amount_minor = 0;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.total_minor, 0);
}

AFF_TEST(commission_plans_eval_rounding_jpy_kwd)
{
    int exp;
    AFF_CHECK_INT(aff_currency_exponent("JPY", &exp), AFF_OK);
    AFF_CHECK_INT(exp, 0);
    AFF_CHECK_INT(aff_currency_exponent("KWD", &exp), AFF_OK);
    AFF_CHECK_INT(exp, 3);
    static const struct {
        const char *rate;
        int64_t amount, want;
    } cases[] = {
        /* JPY (exponent 0): one minor unit is one yen */
        {"33.333333", 1, 0},       /* 0.33333333 -> 0 */
        {"33.333333", 2, 1},       /* 0.66666666 -> 1 */
        {"33.333333", 3, 1},       /* 0.99999999 -> 1 */
        {"50", 1, 1},              /* 0.5 -> 1 (half away from zero) */
        {"50", 3, 2},              /* 1.5 -> 2 */
        {"49.999999", 1, 0},       /* 0.49999999 -> 0 */
        {"0.000001", 49999999, 0}, /* 0.49999999 -> 0 */
        {"0.000001", 50000000, 1}, /* 0.5 -> 1 */
        {"7", 1250, 88},           /* 87.5 -> 88 */
        /* KWD (exponent 3): fils */
        {"12.5", 1003, 125},                                  /* 125.375 -> 125 */
        {"12.5", 1012, 127},                                  /* 126.5 -> 127 */
        {"12.5", 1011, 126},                                  /* 126.375 -> 126 */
        {"0.5", 1100, 6},                                     /* 5.5 -> 6 */
        {"2.5", 1020, 26},                                    /* 25.5 -> 26 */
        {"2.5", 1019, 25},                                    /* 25.475 -> 25 */
        {"99.999999", 1000000000000000LL, 999999990000000LL}, /* 10^15 * (1 - 10^-8) */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[96];
        aff_plan plan;
        aff_comm_result res;
        snprintf(json, sizeof(json), "{\"sale\":{\"percent\":\"%s\"}}", cases[i].rate);
        if (MUST_PARSE(json, &plan) != AFF_OK)
            continue;
        aff_comm_facts f = facts("sale", cases[i].amount);
        EVAL(&plan, &f, &res);
        if (res.total_minor != cases[i].want)
            aff_test_fail(__FILE__, __LINE__, "%s %% of %lld: %lld, want %lld", cases[i].rate,
                          (long long)cases[i].amount, (long long)res.total_minor, (long long)cases[i].want);
    }
}

AFF_TEST(commission_plans_eval_three_way_split_rounds_each_part)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE(
            "{\"sale\":{\"percent\":\"10\",\"skus\":{\"A\":{\"percent\":\"10\"},\"B\":{\"percent\":\"10\"},"
            "\"C\":{\"percent\":\"10\"}}},"
            "\"order\":{\"percent\":\"12.5\",\"skus\":{\"A\":{\"percent\":\"12.5\"},\"B\":{\"percent\":\"12.5\"},"
            "\"C\":{\"percent\":\"12.5\"}}}}",
            &plan) != AFF_OK)
        return;
    aff_comm_item abc[] = {{"A", "", 100, 1}, {"B", "", 100, 1}, {"C", "", 100, 1}};
    /* JPY: 300 yen of items on a 200 yen order: each 100 * 10 % * 200/300 = 6.67 -> 7;
     * three lines of 7 = 21 (not 10 % of 200 = 20: each line rounds once) */
    aff_comm_facts f = facts("sale", 200);
    f.items = abc;
    f.nitems = 3;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 3);
    CHECK_LINE(&res, "sale:sku:A", 7);
    CHECK_LINE(&res, "sale:sku:B", 7);
    CHECK_LINE(&res, "sale:sku:C", 7);
    AFF_CHECK_INT(res.total_minor, 21);
    /* on 100 yen: each 100 * 10 % / 3 = 3.33 -> 3; total 9 */
    f.amount_minor = 100;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:sku:A", 3);
    AFF_CHECK_INT(res.total_minor, 9);
    /* KWD: items 1000 fils each on a 1000 fils order, 12.5 %:
     * each 1000 * 12.5 % / 3 = 41.67 -> 42; total 126 */
    aff_comm_item kwd[] = {{"A", "", 1000, 1}, {"B", "", 1000, 1}, {"C", "", 1000, 1}};
    f.event = "order";
    f.items = kwd;
    f.amount_minor = 1000;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "order:sku:A", 42);
    CHECK_LINE(&res, "order:sku:B", 42);
    CHECK_LINE(&res, "order:sku:C", 42);
    AFF_CHECK_INT(res.total_minor, 126);
    /* unequal parts: items 1 + 2 + 4 = 7 fils of a 1003 fils order at 12.5 %, within the
     * base so unscaled: 0.125 -> 0, 0.25 -> 0, 0.5 -> 1; the remainder 996 at the default
     * 12.5 % = 124.5 -> 125; total 126 */
    aff_comm_item small[] = {{"A", "", 1, 1}, {"B", "", 2, 1}, {"C", "", 4, 1}};
    f.items = small;
    f.amount_minor = 1003;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 4);
    CHECK_LINE(&res, "order:sku:A", 0);
    CHECK_LINE(&res, "order:sku:B", 0);
    CHECK_LINE(&res, "order:sku:C", 1);
    CHECK_LINE(&res, "order:percent", 125);
    AFF_CHECK_INT(res.total_minor, 126);
}

AFF_TEST(commission_plans_eval_cap)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"cap_minor\":500,\"skus\":{\"A\":{\"percent\":\"30\"}}},"
                   "\"lead\":{\"flat_minor\":200,\"cap_minor\":0}}",
                   &plan) != AFF_OK)
        return;
    /* 10 % of 10000 = 1000 > 500: one line "sale:cap" of 500 */
    aff_comm_facts f = facts("sale", 10000);
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:cap", 500);
    AFF_CHECK_INT(res.total_minor, 500);
    /* two lines (A 1000 at 30 % = 300, rest 2000 at 10 % = 200, total 500) exactly at the
     * cap: the cap does not bite, the lines stay */
    aff_comm_item it = {"A", "", 1000, 1};
    f.amount_minor = 3000;
    f.items = &it;
    f.nitems = 1;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    CHECK_LINE(&res, "sale:sku:A", 300);
    CHECK_LINE(&res, "sale:percent", 200);
    /* one more: rest 2010 at 10 % = 201, total 501 > 500: collapsed into one cap line */
    f.amount_minor = 3010;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:cap", 500);
    /* under the cap: 10 % of 4990 = 499 */
    f.items = NULL;
    f.nitems = 0;
    f.amount_minor = 4990;
    EVAL(&plan, &f, &res);
    EXPECT_ONE_LINE(&res, "sale:percent", 499);
    /* a zero cap pays nothing, in one cap line */
    aff_comm_facts l = facts("lead", 0);
    EVAL(&plan, &l, &res);
    EXPECT_ONE_LINE(&res, "lead:cap", 0);
    AFF_CHECK_INT(res.total_minor, 0);
}

AFF_TEST(commission_plans_eval_sixty_four_overrides_in_one_conversion)
{
    char json[8192];
    aff_plan plan;
    aff_comm_result res;
    many_overrides(json, sizeof(json), 64, 0); /* skus s0..s63 at 2 %, default 1 % */
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    aff_comm_item items[64];
    char skus[64][16];
    for (int i = 0; i < 64; i++) {
        snprintf(skus[i], sizeof(skus[i]), "s%d", i);
        items[i] = (aff_comm_item){skus[i], "", 100, 1};
    }
    /* 64 items of 100 at 2 % = 2 each (128), the remainder 10000 - 6400 = 3600 at 1 % = 36:
     * 65 lines, total 164 */
    aff_comm_facts f = facts("sale", 10000);
    f.items = items;
    f.nitems = 64;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 65);
    CHECK_LINE(&res, "sale:sku:s0", 2);
    CHECK_LINE(&res, "sale:sku:s63", 2);
    CHECK_LINE(&res, "sale:percent", 36);
    AFF_CHECK_INT(res.total_minor, 164);
}

AFF_TEST(commission_plans_eval_long_keys_keep_their_rules)
{
    /* Two skus of 60 bytes that differ only in the last byte. Their rule names
     * ("sale:sku:" + 60 bytes) do not fit a 64-byte line name, but they are two rules:
     * 1000 at 10 % = 100 and 1000 at 50 % = 500, total 600. */
    char k1[61], k2[61], json[512];
    memset(k1, 'K', 60);
    memset(k2, 'K', 60);
    k1[59] = '1';
    k2[59] = '2';
    k1[60] = k2[60] = '\0';
    snprintf(json, sizeof(json),
             "{\"sale\":{\"percent\":\"0\",\"skus\":{\"%s\":{\"percent\":\"10\"},\"%s\":{\"percent\":\"50\"}}}}", k1,
             k2);
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    aff_comm_item items[] = {{k1, "", 1000, 1}, {k2, "", 1000, 1}};
    aff_comm_facts f = facts("sale", 2000);
    f.items = items;
    f.nitems = 2;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    AFF_CHECK_INT(res.total_minor, 600);
    /* the same with 40-byte categories under a 32-byte event name */
    char c1[41], c2[41], ev[33];
    memset(c1, 'c', 40);
    memset(c2, 'c', 40);
    c1[39] = '1';
    c2[39] = '2';
    c1[40] = c2[40] = '\0';
    memset(ev, 'e', 32);
    ev[32] = '\0';
    snprintf(json, sizeof(json),
             "{\"%s\":{\"flat_minor\":0,\"categories\":{\"%s\":{\"flat_minor\":7},\"%s\":{\"flat_minor\":100}}}}", ev,
             c1, c2);
    if (MUST_PARSE(json, &plan) != AFF_OK)
        return;
    /* c1: 2 units * 7 = 14; c2: 3 units * 100 = 300; total 314 */
    aff_comm_item citems[] = {{"a", c1, 10, 2}, {"b", c2, 10, 3}};
    f.event = ev;
    f.items = citems;
    f.amount_minor = 50;
    EVAL(&plan, &f, &res);
    AFF_CHECK_INT(res.n, 2);
    AFF_CHECK_INT(res.total_minor, 314);
    /* every line name is a NUL-terminated prefix of its full name */
    for (int i = 0; i < res.n; i++)
        AFF_CHECK(strnlen(res.lines[i].rule, sizeof(res.lines[i].rule)) < sizeof(res.lines[i].rule));
}

AFF_TEST(commission_plans_eval_range)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"100\",\"skus\":{\"A\":{\"flat_minor\":1000000000000000}}}}", &plan) !=
        AFF_OK)
        return;
    /* 100 % of 10^15 = 10^15: the largest amount, fine */
    aff_comm_facts f = facts("sale", AFF_MONEY_MAX_MINOR);
    AFF_CHECK_INT(aff_commission_eval(&plan, &f, &res), AFF_OK);
    AFF_CHECK_INT(res.total_minor, AFF_MONEY_MAX_MINOR);
    /* one sku unit at 10^15 flat: fine */
    aff_comm_item it = {"A", "", 1, 1};
    f.items = &it;
    f.nitems = 1;
    f.amount_minor = 1;
    AFF_CHECK_INT(aff_commission_eval(&plan, &f, &res), AFF_OK);
    AFF_CHECK_INT(res.total_minor, AFF_MONEY_MAX_MINOR);
    /* two units: a 2 * 10^15 line is beyond AFF_MONEY_MAX_MINOR */
    it.quantity = 2;
    AFF_CHECK_INT(aff_commission_eval(&plan, &f, &res), AFF_ERANGE);
    /* 100 % of 2 * 10^15: beyond too */
    aff_comm_facts g = facts("sale", 2 * AFF_MONEY_MAX_MINOR);
    AFF_CHECK_INT(aff_commission_eval(&plan, &g, &res), AFF_ERANGE);
    /* A row stored before the API bounded items: 2^32 * 2^32 wraps int64 to 0, which
     * would price the sale as if it had no items. Refused instead. */
    aff_comm_item wrap = {"B", "", INT64_C(1) << 32, INT64_C(1) << 32};
    g = facts("sale", 1000);
    g.items = &wrap;
    g.nitems = 1;
    AFF_CHECK_INT(aff_commission_eval(&plan, &g, &res), AFF_ERANGE);
    /* quantity past AFF_COMM_ITEM_QTY_MAX, product within bounds: refused too */
    wrap.unit_minor = 1;
    wrap.quantity = AFF_COMM_ITEM_QTY_MAX + 1;
    AFF_CHECK_INT(aff_commission_eval(&plan, &g, &res), AFF_ERANGE);
    wrap.quantity = AFF_COMM_ITEM_QTY_MAX;
    AFF_CHECK_INT(aff_commission_eval(&plan, &g, &res), AFF_OK);
    /* no product wraps, but the items sum to 2 * 10^15, past AFF_MONEY_MAX_MINOR */
    wrap.unit_minor = AFF_MONEY_MAX_MINOR;
    wrap.quantity = 2;
    AFF_CHECK_INT(aff_commission_eval(&plan, &g, &res), AFF_ERANGE);
}

/* ---- tiers ----------------------------------------------------------------------------- */

AFF_TEST(commission_plans_tier_boundaries_by_conversions)
{
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":11,\"percent\":\"12\"},"
                   "{\"min\":51,\"percent\":\"15\"}]}}}",
                   &plan) != AFF_OK)
        return;
    static const struct {
        int64_t volume;
        const char *rule;
        int64_t amount; /* of 1000 */
        int tier;
    } cases[] = {
        {0, "sale:percent", 100, 0}, {1, "sale:percent", 100, 0},      {10, "sale:percent", 100, 0},
        {11, "sale:tier:1", 120, 1}, {12, "sale:tier:1", 120, 1},      {50, "sale:tier:1", 120, 1},
        {51, "sale:tier:2", 150, 2}, {1000000, "sale:tier:2", 150, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aff_comm_facts f = facts("sale", 1000);
        f.volume = cases[i].volume;
        EVAL(&plan, &f, &res);
        if (res.n != 1 || strcmp(res.lines[0].rule, cases[i].rule) != 0 || res.total_minor != cases[i].amount ||
            res.tier != cases[i].tier)
            aff_test_fail(__FILE__, __LINE__, "volume %lld: %s %lld tier %d, want %s %lld tier %d",
                          (long long)cases[i].volume, res.n ? res.lines[0].rule : "-", (long long)res.total_minor,
                          res.tier, cases[i].rule, (long long)cases[i].amount, cases[i].tier);
    }
}

AFF_TEST(commission_plans_tier_boundaries_by_revenue)
{
    aff_plan plan;
    aff_comm_result res;
    /* revenue in minor units: 110.00 and 510.00 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"basis\":\"revenue\",\"levels\":[{\"min\":11000,"
                   "\"percent\":\"12\"},{\"min\":51000,\"percent\":\"15\"}]}}}",
                   &plan) != AFF_OK)
        return;
    static const struct {
        int64_t volume, amount;
        int tier;
    } cases[] = {
        {10999, 100, 0},
        {11000, 120, 1},
        {50999, 120, 1},
        {51000, 150, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aff_comm_facts f = facts("sale", 1000);
        f.volume = cases[i].volume;
        EVAL(&plan, &f, &res);
        AFF_CHECK_INT(res.total_minor, cases[i].amount);
        AFF_CHECK_INT(res.tier, cases[i].tier);
    }
    /* a flat tier pays once; below it the event's percent: 10 % of 1005 = 100.5 -> 101 */
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"tiers\":{\"levels\":[{\"min\":3,\"flat_minor\":999}]}}}", &plan) ==
        AFF_OK) {
        aff_comm_facts f = facts("sale", 1005);
        f.volume = 2;
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:percent", 101);
        f.volume = 3;
        EVAL(&plan, &f, &res);
        EXPECT_ONE_LINE(&res, "sale:tier:1", 999);
    }
}

/* ---- periods --------------------------------------------------------------------------- */

static const aff_period MONTH = {.kind = AFF_PERIOD_MONTH};
static const aff_period WEEK = {.kind = AFF_PERIOD_WEEK};

AFF_TEST(commission_plans_period_month)
{
    /* December 2024 to January 2025: Dec 1 = 20089 - 31 = 20058 */
    int64_t last_ms_2024 = 20089 * DAY - 1;
    AFF_CHECK_INT(aff_period_start(&MONTH, last_ms_2024), 20058 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, last_ms_2024), 20089 * DAY);
    /* the first ms of 2025 is in January: Feb 1 = 20089 + 31 = 20120 */
    AFF_CHECK_INT(aff_period_start(&MONTH, 20089 * DAY), 20089 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, 20089 * DAY), 20120 * DAY);
    /* leap February 2024: Feb 1 = 19723 + 31 = 19754, Feb 29 = 19782, Mar 1 = 19783 */
    int64_t feb29_noon = 19782 * DAY + DAY / 2;
    AFF_CHECK_INT(aff_period_start(&MONTH, feb29_noon), 19754 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, feb29_noon), 19783 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, feb29_noon) - aff_period_start(&MONTH, feb29_noon), 29 * DAY);
    AFF_CHECK_INT(aff_period_start(&MONTH, 19783 * DAY), 19783 * DAY); /* March 1 */
    /* February 2023: 2023-01-01 = 19723 - 365 = 19358, Feb 1 = 19389, Mar 1 = 19417 (28 days) */
    AFF_CHECK_INT(aff_period_start(&MONTH, 19416 * DAY + 5), 19389 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, 19416 * DAY + 5), 19417 * DAY);
    /* century rules: 2000 is leap, 2100 is not */
    AFF_CHECK_INT(aff_period_end(&MONTH, ref_days(2000, 2, 10) * DAY) - ref_days(2000, 2, 1) * DAY, 29 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, ref_days(2100, 2, 10) * DAY) - ref_days(2100, 2, 1) * DAY, 28 * DAY);
    /* 1970-01-01 00:00 and the ms before it (1969-12-31): [0, 31 days) and [-31 days, 0) */
    AFF_CHECK_INT(aff_period_start(&MONTH, 0), 0);
    AFF_CHECK_INT(aff_period_end(&MONTH, 0), 31 * DAY);
    AFF_CHECK_INT(aff_period_start(&MONTH, -1), -31 * DAY);
    AFF_CHECK_INT(aff_period_end(&MONTH, -1), 0);
    /* every day of 2023..2025 (reference: a day-by-day count) */
    int bad = 0;
    for (int y = 2023; y <= 2025 && bad < 3; y++)
        for (int m = 1; m <= 12 && bad < 3; m++) {
            int64_t start = ref_days(y, m, 1) * DAY;
            int64_t end = (m == 12 ? ref_days(y + 1, 1, 1) : ref_days(y, m + 1, 1)) * DAY;
            for (int64_t ms = start; ms < end; ms += DAY / 2 + 1)
                if (aff_period_start(&MONTH, ms) != start || aff_period_end(&MONTH, ms) != end) {
                    aff_test_fail(__FILE__, __LINE__, "%d-%02d at %lld", y, m, (long long)ms);
                    bad++;
                    break;
                }
        }
}

AFF_TEST(commission_plans_period_iso_week)
{
    /* 1970-01-01 (day 0) was a Thursday: its week runs Monday 1969-12-29 (day -3) to
     * Monday 1970-01-05 (day 4) */
    AFF_CHECK_INT(aff_period_start(&WEEK, 0), -3 * DAY);
    AFF_CHECK_INT(aff_period_end(&WEEK, 0), 4 * DAY);
    AFF_CHECK_INT(aff_period_start(&WEEK, 4 * DAY - 1), -3 * DAY); /* Sunday 23:59:59.999 */
    AFF_CHECK_INT(aff_period_start(&WEEK, 4 * DAY), 4 * DAY);      /* Monday 00:00 */
    AFF_CHECK_INT(aff_period_start(&WEEK, -1), -3 * DAY);          /* Wednesday 1969-12-31 */
    AFF_CHECK_INT(aff_period_start(&WEEK, -3 * DAY), -3 * DAY);
    AFF_CHECK_INT(aff_period_start(&WEEK, -3 * DAY - 1), -10 * DAY); /* Sunday 1969-12-28 */
    /* 2025-01-01 (day 20089): (20089 - 4) % 7 = 20085 % 7 = 2 days after a Monday -> a
     * Wednesday; its week is Monday 2024-12-30 (20087) to Monday 2025-01-06 (20094),
     * across the year end */
    AFF_CHECK_INT(aff_period_start(&WEEK, 20089 * DAY + 12345), 20087 * DAY);
    AFF_CHECK_INT(aff_period_end(&WEEK, 20089 * DAY + 12345), 20094 * DAY);
    AFF_CHECK_INT(aff_period_start(&WEEK, 20094 * DAY - 1), 20087 * DAY); /* Sunday 2025-01-05 */
    AFF_CHECK_INT(aff_period_start(&WEEK, 20094 * DAY), 20094 * DAY);
    /* every start is a Monday ((day - 4) % 7 == 0) and holds ms, over ten weeks by the hour */
    for (int64_t ms = 20080 * DAY; ms < 20150 * DAY; ms += 3600000) {
        int64_t s = aff_period_start(&WEEK, ms);
        if (s % DAY != 0 || (s / DAY - 4) % 7 != 0 || s > ms || ms >= s + 7 * DAY ||
            aff_period_end(&WEEK, ms) != s + 7 * DAY) {
            aff_test_fail(__FILE__, __LINE__, "week of %lld: start %lld", (long long)ms, (long long)s);
            break;
        }
    }
}

AFF_TEST(commission_plans_period_days)
{
    /* 14 days from 2025-01-01 (day 20089): periods start on days 20089 + 14k;
     * 20089 = 14 * 1434 + 13, so they are the days = 13 (mod 14) */
    aff_period p = {.kind = AFF_PERIOD_DAYS, .days = 14, .anchor_ms = 20089 * DAY};
    AFF_CHECK_INT(aff_period_start(&p, 20089 * DAY), 20089 * DAY);
    AFF_CHECK_INT(aff_period_end(&p, 20089 * DAY), 20103 * DAY);
    AFF_CHECK_INT(aff_period_start(&p, 20103 * DAY - 1), 20089 * DAY);
    AFF_CHECK_INT(aff_period_start(&p, 20103 * DAY), 20103 * DAY);
    AFF_CHECK_INT(aff_period_end(&p, 20103 * DAY), 20117 * DAY);
    /* before the anchor (negative offsets): the period before runs 20075..20089 */
    AFF_CHECK_INT(aff_period_start(&p, 20089 * DAY - 1), 20075 * DAY);
    AFF_CHECK_INT(aff_period_end(&p, 20089 * DAY - 1), 20089 * DAY);
    AFF_CHECK_INT(aff_period_start(&p, 20075 * DAY), 20075 * DAY);
    AFF_CHECK_INT(aff_period_start(&p, 20075 * DAY - 1), 20061 * DAY);
    /* far before: day 0 is in the period starting day -1 (= 13 - 14) and ending day 13 */
    AFF_CHECK_INT(aff_period_start(&p, 0), -1 * DAY);
    AFF_CHECK_INT(aff_period_end(&p, 0), 13 * DAY);
    AFF_CHECK_INT(aff_period_start(&p, 13 * DAY), 13 * DAY);
    /* one-day periods are UTC days */
    aff_period d1 = {.kind = AFF_PERIOD_DAYS, .days = 1, .anchor_ms = 20089 * DAY};
    AFF_CHECK_INT(aff_period_start(&d1, 19000 * DAY + 7), 19000 * DAY);
    AFF_CHECK_INT(aff_period_end(&d1, 19000 * DAY + 7), 19001 * DAY);
    AFF_CHECK_INT(aff_period_start(&d1, 20100 * DAY - 1), 20099 * DAY);
    /* 7 days anchored on a Wednesday (2025-01-01) are Wednesday weeks, unlike ISO weeks */
    aff_period w = {.kind = AFF_PERIOD_DAYS, .days = 7, .anchor_ms = 20089 * DAY};
    AFF_CHECK_INT(aff_period_start(&w, 20087 * DAY), 20082 * DAY); /* Monday 2024-12-30 -> Wednesday 12-25 */
    AFF_CHECK_INT(aff_period_start(&WEEK, 20087 * DAY), 20087 * DAY);
    /* 366 days: periods 20089 + 366k; day 19723 (2024-01-01) is in 19723..20089 */
    aff_period y = {.kind = AFF_PERIOD_DAYS, .days = 366, .anchor_ms = 20089 * DAY};
    AFF_CHECK_INT(aff_period_start(&y, 19723 * DAY), 19723 * DAY);
    AFF_CHECK_INT(aff_period_start(&y, 19722 * DAY), (19723 - 366) * DAY);
    AFF_CHECK_INT(aff_period_end(&y, 20454 * DAY), 20455 * DAY); /* 20089 + 366 */
    /* a period parsed from a plan behaves the same */
    aff_plan plan;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"1\",\"tiers\":{\"period\":{\"days\":14,\"start\":\"2025-01-01\"},"
                   "\"levels\":[{\"min\":2,\"percent\":\"2\"}]}}}",
                   &plan) == AFF_OK)
        AFF_CHECK_INT(aff_period_start(&plan.events[0].tiers.period, 0), -1 * DAY);
}

AFF_TEST(commission_plans_period_keys)
{
    char a[64] = "", b[64] = "", c[64] = "", d[64] = "";
    aff_period_key(&MONTH, a, sizeof(a));
    aff_period_key(&WEEK, b, sizeof(b));
    AFF_CHECK_STR(a, "month");
    AFF_CHECK_STR(b, "week");
    /* days periods: "days<N>@<anchor>", distinct per length and per anchor, stable */
    aff_period p14 = {.kind = AFF_PERIOD_DAYS, .days = 14, .anchor_ms = 20089 * DAY};
    aff_period p7 = {.kind = AFF_PERIOD_DAYS, .days = 7, .anchor_ms = 20089 * DAY};
    aff_period q14 = {.kind = AFF_PERIOD_DAYS, .days = 14, .anchor_ms = 20090 * DAY};
    aff_period_key(&p14, a, sizeof(a));
    aff_period_key(&p7, b, sizeof(b));
    aff_period_key(&q14, c, sizeof(c));
    aff_period_key(&p14, d, sizeof(d));
    AFF_CHECK(strncmp(a, "days14@", 7) == 0 && strlen(a) > 7);
    AFF_CHECK(strncmp(b, "days7@", 6) == 0 && strlen(b) > 6);
    AFF_CHECK(strcmp(a, c) != 0);
    AFF_CHECK(strcmp(a + 7, b + 6) == 0); /* same anchor, same anchor text */
    AFF_CHECK_STR(a, d);
    /* the same plan text parsed twice gives the same key */
    aff_plan p1, p2;
    const char *json = "{\"sale\":{\"percent\":\"1\",\"tiers\":{\"period\":{\"days\":14,\"start\":\"2025-01-01\"},"
                       "\"levels\":[{\"min\":2,\"percent\":\"2\"}]}}}";
    if (MUST_PARSE(json, &p1) == AFF_OK && MUST_PARSE(json, &p2) == AFF_OK) {
        aff_period_key(&p1.events[0].tiers.period, c, sizeof(c));
        aff_period_key(&p2.events[0].tiers.period, d, sizeof(d));
        AFF_CHECK_STR(c, d);
        AFF_CHECK_STR(c, a);
    }
}

/* ---- items ----------------------------------------------------------------------------- */

AFF_TEST(commission_plans_items_parse)
{
    aff_comm_item items[4];
    json_t *j = (json_t *)1;
    AFF_CHECK_INT(aff_comm_items_parse(NULL, items, 4, &j), 0);
    AFF_CHECK(j == NULL);
    AFF_CHECK_INT(aff_comm_items_parse("", items, 4, &j), 0);
    AFF_CHECK(j == NULL);
    AFF_CHECK_INT(aff_comm_items_parse("[]", items, 4, &j), 0);
    json_decref(j);
    int n =
        aff_comm_items_parse("[{\"sku\":\"TSHIRT-M\",\"category\":\"apparel\",\"amount_minor\":4990,\"quantity\":2},"
                             "{\"amount_minor\":100},{\"sku\":\"X\",\"amount_minor\":0,\"quantity\":1}]",
                             items, 4, &j);
    AFF_CHECK_INT(n, 3);
    if (n == 3) {
        AFF_CHECK_STR(items[0].sku, "TSHIRT-M");
        AFF_CHECK_STR(items[0].category, "apparel");
        AFF_CHECK_INT(items[0].unit_minor, 4990);
        AFF_CHECK_INT(items[0].quantity, 2);
        AFF_CHECK_STR(items[1].sku, ""); /* absent: "" */
        AFF_CHECK_STR(items[1].category, "");
        AFF_CHECK_INT(items[1].unit_minor, 100);
        AFF_CHECK_INT(items[1].quantity, 1); /* absent: one */
        AFF_CHECK_STR(items[2].sku, "X");
        AFF_CHECK_STR(items[2].category, "");
        AFF_CHECK_INT(items[2].unit_minor, 0);
    }
    json_decref(j);
    /* malformed, not an array, or more than cap */
    j = (json_t *)1;
    AFF_CHECK_INT(aff_comm_items_parse("[{", items, 4, &j), AFF_EINVAL);
    AFF_CHECK(j == NULL);
    AFF_CHECK_INT(aff_comm_items_parse("{\"sku\":\"A\"}", items, 4, &j), AFF_EINVAL);
    AFF_CHECK_INT(aff_comm_items_parse("[{},{},{},{},{}]", items, 4, &j), AFF_EINVAL);
    AFF_CHECK(j == NULL);
    AFF_CHECK_INT(aff_comm_items_parse("[{},{},{},{}]", items, 4, &j), 4);
    json_decref(j);
}

/* The API's bounds on stored items (aff_comm_items_check): what verify flags. */
AFF_TEST(commission_plans_items_check)
{
    AFF_CHECK_INT(aff_comm_items_check(NULL), 0);
    AFF_CHECK_INT(aff_comm_items_check(""), 0);
    AFF_CHECK_INT(aff_comm_items_check("[]"), 0);
    /* the sum exactly at 10^15 (a quantity of 10^6, absent: 1), then one more */
    AFF_CHECK_INT(
        aff_comm_items_check("[{\"amount_minor\":999999999,\"quantity\":1000000},{\"amount_minor\":1000000}]"), 0);
    AFF_CHECK_INT(
        aff_comm_items_check("[{\"amount_minor\":999999999,\"quantity\":1000000},{\"amount_minor\":1000001}]"),
        AFF_ERANGE);
    /* a product that wraps int64 to a small positive number */
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":999999999999999,\"quantity\":18447}]"), AFF_ERANGE);
    /* bounds of one item */
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":1000000000000000}]"), 0);
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":1000000000000001}]"), AFF_ERANGE);
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":-1}]"), AFF_ERANGE);
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":1,\"quantity\":1000001}]"), AFF_ERANGE);
    /* read as pricing reads them: what is not an integer amount is 0, a quantity below 1 is 1 */
    AFF_CHECK_INT(aff_comm_items_check("[{\"quantity\":1}]"), 0);
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":\"5\"},{\"amount_minor\":1.5}]"), 0);
    AFF_CHECK_INT(aff_comm_items_check("[{\"amount_minor\":1000000000000000,\"quantity\":-7}]"), 0);
    /* not an array */
    AFF_CHECK_INT(aff_comm_items_check("{\"amount_minor\":1}"), AFF_EINVAL);
    AFF_CHECK_INT(aff_comm_items_check("[{"), AFF_EINVAL);
    /* at most 100 items */
    for (int n = 100; n <= 101; n++) {
        char many[2048];
        size_t w = (size_t)snprintf(many, sizeof(many), "[");
        for (int i = 0; i < n; i++)
            w += (size_t)snprintf(many + w, sizeof(many) - w, "%s{\"amount_minor\":1}", i ? "," : "");
        snprintf(many + w, sizeof(many) - w, "]");
        AFF_CHECK_INT(aff_comm_items_check(many), n <= AFF_COMM_MAX_ITEMS ? 0 : AFF_EINVAL);
    }
}

AFF_TEST(commission_plans_items_parse_then_eval)
{
    /* the conversion's stored items through the engine: sku ABC 2 x 1500 = 3000 at 30 %
     * = 900; the rest 5000 - 3000 = 2000 at 10 % = 200 */
    aff_plan plan;
    aff_comm_result res;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\",\"skus\":{\"ABC\":{\"percent\":\"30\"}}}}", &plan) != AFF_OK)
        return;
    aff_comm_item items[AFF_COMM_MAX_ITEMS];
    json_t *j = NULL;
    int n =
        aff_comm_items_parse("[{\"sku\":\"ABC\",\"amount_minor\":1500,\"quantity\":2}]", items, AFF_COMM_MAX_ITEMS, &j);
    AFF_CHECK_INT(n, 1);
    aff_comm_facts f = facts("sale", 5000);
    f.items = items;
    f.nitems = n;
    EVAL(&plan, &f, &res);
    CHECK_LINE(&res, "sale:sku:ABC", 900);
    CHECK_LINE(&res, "sale:percent", 200);
    json_decref(j);
}

/* ---- sub-affiliate shares and refunds ---------------------------------------------------- */

AFF_TEST(commission_plans_share)
{
    /* round(amount * rate / 100), half away from zero */
    AFF_CHECK_INT(aff_commission_share(1000, 5000000), 50);  /* 5 % of 1000 */
    AFF_CHECK_INT(aff_commission_share(1000, 2500000), 25);  /* 2.5 % */
    AFF_CHECK_INT(aff_commission_share(5, 10000000), 1);     /* 0.5 -> 1 */
    AFF_CHECK_INT(aff_commission_share(4, 10000000), 0);     /* 0.4 -> 0 */
    AFF_CHECK_INT(aff_commission_share(4, 12500000), 1);     /* 0.5 -> 1 */
    AFF_CHECK_INT(aff_commission_share(3, 12500000), 0);     /* 0.375 -> 0 */
    AFF_CHECK_INT(aff_commission_share(999, 33333333), 333); /* 332.99999667 -> 333 */
    AFF_CHECK_INT(aff_commission_share(1, 50000000), 1);     /* 0.5 -> 1 */
    AFF_CHECK_INT(aff_commission_share(1, 49999999), 0);     /* 0.49999999 -> 0 */
    /* negative commissions (reversals) share symmetrically: half away from zero */
    AFF_CHECK_INT(aff_commission_share(-5, 10000000), -1); /* -0.5 -> -1 */
    AFF_CHECK_INT(aff_commission_share(-3, 50000000), -2); /* -1.5 -> -2 */
    AFF_CHECK_INT(aff_commission_share(-4, 10000000), 0);  /* -0.4 -> 0 */
    AFF_CHECK_INT(aff_commission_share(-1000, 5000000), -50);
    /* zero amount, zero rate, 100 %, the smallest rate on the largest amount */
    AFF_CHECK_INT(aff_commission_share(0, 100000000), 0);
    AFF_CHECK_INT(aff_commission_share(123456, 0), 0);
    AFF_CHECK_INT(aff_commission_share(123456, 100000000), 123456);
    AFF_CHECK_INT(aff_commission_share(AFF_MONEY_MAX_MINOR, 100000000), AFF_MONEY_MAX_MINOR);
    AFF_CHECK_INT(aff_commission_share(AFF_MONEY_MAX_MINOR, 1), 10000000); /* 10^15 * 10^-8 */
    AFF_CHECK_INT(aff_commission_share(-AFF_MONEY_MAX_MINOR, 1), -10000000);
}

AFF_TEST(commission_plans_share_chain_from_plan)
{
    /* sub_affiliates ["5", "2.5", "0.000001"]: a child earning 1003 gives its parents
     * 5 % = 50.15 -> 50, 2.5 % = 25.075 -> 25, 0.00001003 -> 0 */
    aff_plan plan;
    if (MUST_PARSE("{\"sale\":{\"percent\":\"10\"},\"sub_affiliates\":[\"5\",\"2.5\",\"0.000001\"]}", &plan) != AFF_OK)
        return;
    AFF_CHECK_INT(aff_commission_share(1003, plan.level_rate[0]), 50);
    AFF_CHECK_INT(aff_commission_share(1003, plan.level_rate[1]), 25);
    AFF_CHECK_INT(aff_commission_share(1003, plan.level_rate[2]), 0);
    /* shares are of the child's commission, not of each other: 2.5 % of 1010 = 25.25 -> 25,
     * not 2.5 % of the level-1 share (50.5 -> 51, then 1.275 -> 1) */
    AFF_CHECK_INT(aff_commission_share(1010, plan.level_rate[1]), 25);
}

AFF_TEST(commission_plans_share_after_refund)
{
    /* A parent's share of 5 % on a child commission of 1000 (50), on an order of 3000.
     * Refunds of 1000, 2000, 3000 cumulative: 50 * 1000/3000 = 16.67 -> 17 gone -> 33;
     * 50 * 2000/3000 = 33.33 -> 33 gone -> 17; all -> 0. The deltas -17, -16, -17 sum to -50. */
    int64_t share = aff_commission_share(1000, 5000000);
    AFF_CHECK_INT(share, 50);
    AFF_CHECK_INT(aff_commission_after_refund(share, 3000, 1000), 33);
    AFF_CHECK_INT(aff_commission_after_refund(share, 3000, 2000), 17);
    AFF_CHECK_INT(aff_commission_after_refund(share, 3000, 3000), 0);
    /* a share of one minor unit: 1 * 1/2 = 0.5 -> 1 gone at half the order refunded;
     * 1 * 1/3 = 0.33 -> stays; 1 * 2/3 = 0.67 -> gone */
    AFF_CHECK_INT(aff_commission_after_refund(1, 2, 1), 0);
    AFF_CHECK_INT(aff_commission_after_refund(1, 3, 1), 1);
    AFF_CHECK_INT(aff_commission_after_refund(1, 3, 2), 0);
    /* a zero share stays zero */
    AFF_CHECK_INT(aff_commission_after_refund(0, 3000, 1000), 0);
    /* a share of a flat lead commission (amount 0): nothing can be refunded of it,
     * and a refund "of" a zero amount leaves nothing */
    AFF_CHECK_INT(aff_commission_after_refund(10, 0, 0), 10);
    AFF_CHECK_INT(aff_commission_after_refund(10, 0, 1), 0);
    /* refunding the child's commission first and sharing after, or sharing first and
     * refunding the share, agree here: child 1000 -> 667 after 1000 of 3000; 5 % of 667
     * = 33.35 -> 33; the share's own after-refund was 33 */
    AFF_CHECK_INT(aff_commission_share(aff_commission_after_refund(1000, 3000, 1000), 5000000), 33);
    /* the largest share: 10^15 with 1 of 10^15 refunded -> 10^15 - 1 */
    AFF_CHECK_INT(aff_commission_after_refund(AFF_MONEY_MAX_MINOR, AFF_MONEY_MAX_MINOR, 1), AFF_MONEY_MAX_MINOR - 1);
}
