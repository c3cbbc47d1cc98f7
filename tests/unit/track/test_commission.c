/* test_commission.c - unit tests for src/track/commission.c: plan parsing and its
 * canonical form, rule validation, commission arithmetic and pro-rata refunds. Expected
 * values are worked out by hand or by a 128-bit reference formula written here. */
#include <stdint.h>

#include "core/err.h"
#include "track/commission.h"
#include "../test.h"

static int parse(const char *json, aff_plan *plan, char *canon, size_t cap, aff_errinfo *err)
{
    memset(err, 0, sizeof(*err));
    return aff_plan_parse(json, plan, canon, cap, err);
}

/* Parse must fail with AFF_EINVAL and a "commission..." field. */
static void expect_invalid(const char *file, int line, const char *json)
{
    aff_plan plan;
    aff_errinfo err;
    char canon[256];
    int rc = parse(json, &plan, canon, sizeof(canon), &err);
    if (rc != AFF_EINVAL)
        aff_test_fail(file, line, "plan %s: rc %d, want AFF_EINVAL", json, rc);
    else if (err.field == NULL || strncmp(err.field, "commission", 10) != 0)
        aff_test_fail(file, line, "plan %s: field %s, want commission...", json, err.field ? err.field : "(null)");
}
#define EXPECT_INVALID(json) expect_invalid(__FILE__, __LINE__, json)

AFF_TEST(commission_plan_parse_valid)
{
    aff_plan plan;
    aff_errinfo err;
    char canon[256];
    AFF_CHECK_INT(
        parse("{\"sale\": {\"percent\": \"10\"}, \"lead\": {\"flat_minor\": 200}}", &plan, canon, sizeof(canon), &err),
        AFF_OK);
    AFF_CHECK_INT(plan.nevents, 2);
    const aff_plan_event *sale = aff_plan_event_for(&plan, "sale");
    const aff_plan_event *lead = aff_plan_event_for(&plan, "lead");
    AFF_CHECK(sale != NULL && lead != NULL);
    if (sale != NULL) {
        AFF_CHECK_INT(sale->rule.kind, AFF_RULE_PERCENT);
        AFF_CHECK_INT(sale->rule.value, 10000000); /* 10 % in micro-percent */
        AFF_CHECK_STR(sale->name, "sale");
    }
    if (lead != NULL) {
        AFF_CHECK_INT(lead->rule.kind, AFF_RULE_FLAT);
        AFF_CHECK_INT(lead->rule.value, 200);
    }
    AFF_CHECK(aff_plan_event_for(&plan, "signup") == NULL);
    AFF_CHECK(aff_plan_event_for(&plan, "sal") == NULL);
    /* Canonical: compact, keys sorted, shortest percent. */
    AFF_CHECK_STR(canon, "{\"lead\":{\"flat_minor\":200},\"sale\":{\"percent\":\"10\"}}");
}

/* Pricing reads the affiliate's group only for plans with a "groups" override: a plan
 * whose only overrides are by affiliate, sku or category must not ask for it. */
AFF_TEST(commission_plan_uses_groups)
{
    static const struct {
        const char *json;
        int want;
    } cases[] = {
        {"{}", 0},
        {"{\"sale\": {\"percent\": \"10\"}}", 0},
        {"{\"sale\": {\"percent\": \"10\", \"affiliates\": {\"7\": {\"percent\": \"12\"}},"
         " \"skus\": {\"A\": {\"flat_minor\": 100}}, \"categories\": {\"c\": {\"percent\": \"3\"}}}}",
         0},
        {"{\"sale\": {\"percent\": \"10\", \"groups\": {\"gold\": {\"percent\": \"15\"}}}}", 1},
        {"{\"sale\": {\"percent\": \"10\"}, \"lead\": {\"flat_minor\": 200,"
         " \"groups\": {\"vip\": {\"flat_minor\": 300}}}}",
         1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aff_plan plan;
        aff_errinfo err;
        AFF_CHECK_INT(parse(cases[i].json, &plan, NULL, 0, &err), AFF_OK);
        AFF_CHECK_INT(aff_plan_uses_groups(&plan), cases[i].want);
    }
}

AFF_TEST(commission_plan_canonical_forms)
{
    static const struct {
        const char *in, *canon;
    } cases[] = {
        {"", "{}"},
        {"{}", "{}"},
        {"  { }  ", "{}"},
        {"{\"sale\":{\"percent\":\"12.500\"}}", "{\"sale\":{\"percent\":\"12.5\"}}"},
        {"{\"sale\":{\"percent\":\"0.000001\"}}", "{\"sale\":{\"percent\":\"0.000001\"}}"},
        {"{\"sale\":{\"percent\":\"100\"}}", "{\"sale\":{\"percent\":\"100\"}}"},
        {"{\"sale\":{\"percent\":\"0\"}}", "{\"sale\":{\"percent\":\"0\"}}"},
        {"{\"b\":{\"flat_minor\":0},\"a\":{\"flat_minor\":1000000000000000}}",
         "{\"a\":{\"flat_minor\":1000000000000000},\"b\":{\"flat_minor\":0}}"},
        {"{\"z_9\":{\"flat_minor\":5}}", "{\"z_9\":{\"flat_minor\":5}}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aff_plan plan;
        aff_errinfo err;
        char canon[256] = "";
        int rc = parse(cases[i].in, &plan, canon, sizeof(canon), &err);
        if (rc != AFF_OK || strcmp(canon, cases[i].canon) != 0)
            aff_test_fail(__FILE__, __LINE__, "plan %s: rc %d canon %s, want %s", cases[i].in, rc, canon,
                          cases[i].canon);
    }
    /* NULL text is the empty plan too, and canon may be NULL. */
    aff_plan plan;
    aff_errinfo err;
    AFF_CHECK_INT(aff_plan_parse(NULL, &plan, NULL, 0, &err), AFF_OK);
    AFF_CHECK_INT(plan.nevents, 0);
}

AFF_TEST(commission_plan_canonical_reparses_to_itself)
{
    aff_plan a, b;
    aff_errinfo err;
    char c1[256], c2[256];
    AFF_CHECK_INT(parse("{\"x\":{\"percent\":\"33.333333\"},\"lead\":{\"flat_minor\":7}}", &a, c1, sizeof(c1), &err),
                  AFF_OK);
    AFF_CHECK_INT(parse(c1, &b, c2, sizeof(c2), &err), AFF_OK);
    AFF_CHECK_STR(c1, c2);
    AFF_CHECK_INT(b.nevents, 2);
    const aff_plan_event *x = aff_plan_event_for(&b, "x");
    AFF_CHECK(x != NULL && x->rule.kind == AFF_RULE_PERCENT && x->rule.value == 33333333);
}

AFF_TEST(commission_plan_invalid_shapes)
{
    EXPECT_INVALID("[]");
    EXPECT_INVALID("\"sale\"");
    EXPECT_INVALID("42");
    EXPECT_INVALID("null");
    EXPECT_INVALID("{");
    EXPECT_INVALID("{\"sale\": 10}");
    EXPECT_INVALID("{\"sale\": \"10\"}");
    EXPECT_INVALID("{\"sale\": {}}");
    EXPECT_INVALID("{\"sale\": []}");
    /* unknown kind */
    EXPECT_INVALID("{\"sale\": {\"bonus\": 5}}");
    EXPECT_INVALID("{\"sale\": {\"Percent\": \"5\"}}");
    /* two kinds in one rule */
    EXPECT_INVALID("{\"sale\": {\"percent\": \"10\", \"flat_minor\": 100}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"10\", \"extra\": 1}}");
    /* duplicate event */
    EXPECT_INVALID("{\"sale\": {\"percent\": \"10\"}, \"sale\": {\"percent\": \"20\"}}");
}

AFF_TEST(commission_plan_invalid_values)
{
    /* percent > 100, malformed, or not a string */
    EXPECT_INVALID("{\"sale\": {\"percent\": \"100.000001\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"101\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"-1\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"10%\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": \"1.0000001\"}}");
    EXPECT_INVALID("{\"sale\": {\"percent\": 10}}");
    /* negative, fractional, non-integer or too large flat */
    EXPECT_INVALID("{\"lead\": {\"flat_minor\": -1}}");
    EXPECT_INVALID("{\"lead\": {\"flat_minor\": 2.5}}");
    EXPECT_INVALID("{\"lead\": {\"flat_minor\": \"200\"}}");
    EXPECT_INVALID("{\"lead\": {\"flat_minor\": 1000000000000001}}");
}

AFF_TEST(commission_plan_invalid_event_names)
{
    EXPECT_INVALID("{\"Sale\": {\"percent\": \"10\"}}");
    EXPECT_INVALID("{\"\": {\"percent\": \"10\"}}");
    EXPECT_INVALID("{\"a-b\": {\"percent\": \"10\"}}");
    EXPECT_INVALID("{\"a b\": {\"percent\": \"10\"}}");
    EXPECT_INVALID("{\"caf\\u00e9\": {\"percent\": \"10\"}}");
    /* 33 characters: one too many; 32 is fine. */
    EXPECT_INVALID("{\"abcdefghijklmnopqrstuvwxyz0123456\": {\"percent\": \"10\"}}");
    aff_plan plan;
    aff_errinfo err;
    AFF_CHECK_INT(parse("{\"abcdefghijklmnopqrstuvwxyz012345\": {\"percent\": \"10\"}}", &plan, NULL, 0, &err), AFF_OK);
    AFF_CHECK(aff_plan_event_for(&plan, "abcdefghijklmnopqrstuvwxyz012345") != NULL);
}

/* {"e0":{"flat_minor":0},...} with n events. */
static void many_events(char *buf, size_t cap, int n)
{
    size_t len = 0;
    len += (size_t)snprintf(buf + len, cap - len, "{");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\"e%d\":{\"flat_minor\":%d}", i ? "," : "", i, i);
    snprintf(buf + len, cap - len, "}");
}

AFF_TEST(commission_plan_event_count_limit)
{
    char json[4096], canon[4096];
    aff_plan plan;
    aff_errinfo err;
    many_events(json, sizeof(json), 32);
    AFF_CHECK_INT(parse(json, &plan, canon, sizeof(canon), &err), AFF_OK);
    AFF_CHECK_INT(plan.nevents, 32);
    const aff_plan_event *r = aff_plan_event_for(&plan, "e31");
    AFF_CHECK(r != NULL && r->rule.value == 31);
    many_events(json, sizeof(json), 33);
    EXPECT_INVALID(json);
}

AFF_TEST(commission_plan_canon_too_small)
{
    aff_plan plan;
    aff_errinfo err;
    char canon[8];
    /* The canonical text needs 26 bytes: it must not be truncated silently. */
    AFF_CHECK_INT(parse("{\"sale\":{\"percent\":\"10\"}}", &plan, canon, sizeof(canon), &err), AFF_EINVAL);
}

/* What the plan {"<event>": <rule>} pays on amount, and its line's rule name. */
static int64_t eval1(const char *plan_json, const char *event, int64_t amount, char name[64])
{
    aff_plan plan;
    aff_errinfo err;
    aff_comm_result res;
    if (parse(plan_json, &plan, NULL, 0, &err) != AFF_OK)
        return -1;
    aff_comm_facts f = {.event = event, .amount_minor = amount, .affiliate_id = 1, .group = ""};
    if (aff_commission_eval(&plan, &f, &res) != AFF_OK || res.n != 1)
        return -2;
    memcpy(name, res.lines[0].rule, 64);
    return res.total_minor;
}

AFF_TEST(commission_compute_percent)
{
    char name[64];
    const char *ten = "{\"sale\":{\"percent\":\"10\"}}", *twelve = "{\"sale\":{\"percent\":\"12.5\"}}";
    AFF_CHECK_INT(eval1(ten, "sale", 4990, name), 499);
    AFF_CHECK_STR(name, "sale:percent");
    /* 12.5 % of 999 = 124.875 -> 125 */
    AFF_CHECK_INT(eval1(twelve, "sale", 999, name), 125);
    /* 12.5 % of 1004 = 125.5 -> 126 (half away from zero) */
    AFF_CHECK_INT(eval1(twelve, "sale", 1004, name), 126);
    /* 12.5 % of 1003 = 125.375 -> 125 */
    AFF_CHECK_INT(eval1(twelve, "sale", 1003, name), 125);
    /* 0 % and 100 % */
    AFF_CHECK_INT(eval1("{\"sale\":{\"percent\":\"0\"}}", "sale", 123456, name), 0);
    AFF_CHECK_INT(eval1("{\"sale\":{\"percent\":\"100\"}}", "sale", 123456, name), 123456);
    /* 33.333333 % of 10^15: 333333330000000 exactly */
    AFF_CHECK_INT(eval1("{\"sale\":{\"percent\":\"33.333333\"}}", "sale", 1000000000000000LL, name), 333333330000000LL);
}

AFF_TEST(commission_compute_flat)
{
    char name[64];
    const char *flat = "{\"lead\":{\"flat_minor\":200}}";
    AFF_CHECK_INT(eval1(flat, "lead", 0, name), 200);
    AFF_CHECK_STR(name, "lead:flat_minor");
    AFF_CHECK_INT(eval1(flat, "lead", 999999, name), 200);
    /* an event the plan does not pay for: no lines */
    aff_plan plan;
    aff_errinfo err;
    aff_comm_result res;
    AFF_CHECK_INT(parse(flat, &plan, NULL, 0, &err), AFF_OK);
    aff_comm_facts f = {.event = "sale", .amount_minor = 100, .group = ""};
    AFF_CHECK_INT(aff_commission_eval(&plan, &f, &res), AFF_OK);
    AFF_CHECK_INT(res.pays, 0);
    AFF_CHECK_INT(res.n, 0);
}

AFF_TEST(commission_after_refund_by_hand)
{
    /* earned 1000 of amount 3000; cumulative refunds 1000, 2000, 3000:
     *   1000*1000/3000 = 333.33 -> 333 gone -> 667
     *   1000*2000/3000 = 666.67 -> 667 gone -> 333
     *   all refunded              -> 0 */
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, 0), 1000);
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, 1000), 667);
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, 2000), 333);
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, 3000), 0);
    /* deltas -333, -334, -333 sum to -1000 */
    AFF_CHECK_INT((667 - 1000) + (333 - 667) + (0 - 333), -1000);

    /* 125 earned on 999 (12.5 %): refunds 333, 666: 41.67 -> 42 gone, 83.33 -> 83 gone */
    AFF_CHECK_INT(aff_commission_after_refund(125, 999, 333), 83);
    AFF_CHECK_INT(aff_commission_after_refund(125, 999, 666), 42);
    /* exact half: 5 earned on 10, refund 1 -> 0.5 gone -> rounds to 1 -> 4 */
    AFF_CHECK_INT(aff_commission_after_refund(5, 10, 1), 4);
    /* refunds beyond the amount leave nothing; negative or zero refunds leave everything */
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, 5000), 0);
    AFF_CHECK_INT(aff_commission_after_refund(1000, 3000, -5), 1000);
    AFF_CHECK_INT(aff_commission_after_refund(0, 3000, 1500), 0);
    /* a flat commission on a zero amount (a lead) */
    AFF_CHECK_INT(aff_commission_after_refund(200, 0, 0), 200);
    /* large values do not overflow: 10^15 * (10^15 - 1) needs 100 bits */
    AFF_CHECK_INT(aff_commission_after_refund(1000000000000000LL, 1000000000000000LL, 999999999999999LL), 1);
}

/* The reference: earned - round_half_up(earned * refunded / amount) for earned >= 0,
 * 0 <= refunded <= amount, amount > 0, in 128 bits. */
static int64_t ref_after_refund(int64_t earned, int64_t amount, int64_t refunded)
{
    __int128 num = (__int128)earned * refunded;
    __int128 gone = (2 * num + amount) / (2 * (__int128)amount);
    return earned - (int64_t)gone;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t rand_range(uint64_t *s, int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(splitmix64(s) % (uint64_t)(hi - lo + 1));
}

AFF_TEST(commission_after_refund_property)
{
    /* 10000 random (earned, amount, refund sequence): every step matches the reference,
     * never rises, stays in [0, earned], and the deltas sum to exactly -earned. */
    uint64_t seed = 0x5eed2024;
    int bad = 0;
    for (int i = 0; i < 10000 && bad < 5; i++) {
        int64_t amount, earned;
        switch (i % 3) {
        case 0:
            amount = rand_range(&seed, 1, 100);
            break;
        case 1:
            amount = rand_range(&seed, 1, 1000000);
            break;
        default:
            amount = rand_range(&seed, 1, 1000000000000000LL);
            break;
        }
        earned = rand_range(&seed, 0, i % 2 ? amount : 1000000);
        int64_t refunded = 0, prev = earned, sum_delta = 0;
        int steps = 0;
        while (refunded < amount && steps < 40) {
            int64_t left = amount - refunded;
            int64_t r = steps == 39 || rand_range(&seed, 0, 7) == 0 ? left : rand_range(&seed, 1, left);
            refunded += r;
            int64_t now = aff_commission_after_refund(earned, amount, refunded);
            int64_t want = ref_after_refund(earned, amount, refunded);
            if (now != want || now > prev || now < 0 || now > earned) {
                aff_test_fail(__FILE__, __LINE__,
                              "earned %lld amount %lld refunded %lld: got %lld want %lld (previous %lld)",
                              (long long)earned, (long long)amount, (long long)refunded, (long long)now,
                              (long long)want, (long long)prev);
                bad++;
                break;
            }
            sum_delta += now - prev;
            prev = now;
            steps++;
        }
        if (sum_delta != -earned && bad < 5) {
            aff_test_fail(__FILE__, __LINE__, "earned %lld amount %lld: deltas sum to %lld", (long long)earned,
                          (long long)amount, (long long)sum_delta);
            bad++;
        }
    }
}
