/* test_screen.c - track/screen.c: settings parsing, every conversion-time rule hitting
 * and missing, how actions combine, and conversions recorded held or rejected by them
 * (track/conversion.c), then approved or rejected by an admin. */
#include "track/ledger.h"
#include "track/maintenance.h"
#include "track/screen.h"
#include "conversion_fixture.h"

AFF_TEST(screen_parse_settings)
{
    aff_screen_config c;
    aff_errinfo err = {0};
    char canon[256];
    AFF_CHECK_INT(aff_screen_parse("", &c, canon, sizeof(canon), &err), AFF_OK);
    AFF_CHECK_STR(canon, "{}");
    AFF_CHECK_INT(c.rule[0].action, AFF_SCREEN_FLAG); /* fast_conversion */
    AFF_CHECK_INT(c.rule[0].threshold, 10);
    AFF_CHECK_INT(c.rule[4].action, AFF_SCREEN_HOLD); /* self_referral */
    AFF_CHECK_INT(aff_screen_parse("{\"fast_conversion\":{\"action\":\"reject\",\"threshold\":30},"
                                   "\"ip_mismatch\":{\"action\":\"off\"},\"self_referral\":{\"action\":\"hold\"}}",
                                   &c, canon, sizeof(canon), &err),
                  AFF_OK);
    AFF_CHECK_INT(c.rule[0].action, AFF_SCREEN_REJECT);
    AFF_CHECK_INT(c.rule[0].threshold, 30);
    AFF_CHECK_INT(c.rule[3].action, AFF_SCREEN_OFF);
    /* the canonical form keeps only what differs from the defaults */
    AFF_CHECK_STR(
        canon, "{\"fast_conversion\":{\"action\":\"reject\",\"threshold\":30},\"ip_mismatch\":{\"action\":\"off\"}}");
    static const char *const bad[] = {
        "[]",
        "{\"nope\":{}}",
        "{\"fast_conversion\":1}",
        "{\"fast_conversion\":{\"action\":\"block\"}}",
        "{\"fast_conversion\":{\"threshold\":0}}",
        "{\"fast_conversion\":{\"threshold\":86401}}",
        "{\"ip_mismatch\":{\"threshold\":5}}",
        "{\"fast_conversion\":{\"extra\":1}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (aff_screen_parse(bad[i], &c, NULL, 0, &err) != AFF_EINVAL || err.field == NULL ||
            strcmp(err.field, "screening") != 0)
            aff_test_fail(__FILE__, __LINE__, "screening %s: not refused with field screening", bad[i]);
    }
}

/* facts of a conversion 30 s after its click from 192.0.2.10 */
static aff_screen_facts base_facts(world *w)
{
    return (aff_screen_facts){.program_id = w->prog,
                              .affiliate_id = w->a1,
                              .now_ms = FX_T0 + 30000,
                              .click_ms = FX_T0,
                              .click_ip = "192.0.2.10",
                              .ip = "",
                              .email_hash = "",
                              .affiliate_email_hash = "x",
                              .customer_id = "",
                              .amount_minor = 1000,
                              .order_id = "o-new"};
}

static int hits(world *w, const aff_screen_config *c, const aff_screen_facts *f, int code)
{
    aff_screen_result r;
    AFF_CHECK_INT(aff_screen_run(w->f.ts.st, c, f, &r), AFF_OK);
    for (int i = 0; i < r.nhits; i++)
        if (r.hits[i].code == code)
            return 1;
    return 0;
}

AFF_TEST(screen_rules_hit_and_miss)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_screen_config c;
    aff_screen_defaults(&c);
    aff_screen_facts f = base_facts(&w);
    AFF_CHECK(!hits(&w, &c, &f, 201)); /* 30 s >= 10 s */
    f.now_ms = FX_T0 + 9999;
    AFF_CHECK(hits(&w, &c, &f, 201)); /* 9.999 s */
    f.click_ms = 0;
    AFF_CHECK(!hits(&w, &c, &f, 201)); /* no click: no timing */
    f = base_facts(&w);
    f.ip = "192.0.99.1";
    AFF_CHECK(!hits(&w, &c, &f, 204)); /* same /16 */
    f.ip = "198.51.100.7";
    AFF_CHECK(hits(&w, &c, &f, 204));
    f.ip = "2001:db8::1";
    AFF_CHECK(hits(&w, &c, &f, 204)); /* v6 against a v4 click */
    f = base_facts(&w);
    f.click_country = "US";
    f.country = "US";
    AFF_CHECK(!hits(&w, &c, &f, 207));
    f.country = "DE";
    AFF_CHECK(hits(&w, &c, &f, 207));
    f.click_country = ""; /* no country database when the click was recorded */
    AFF_CHECK(!hits(&w, &c, &f, 207));
    f.click_country = "US";
    f.country = ""; /* the conversion's IP not in the database */
    AFF_CHECK(!hits(&w, &c, &f, 207));
    f = base_facts(&w);
    char h[65];
    aff_screen_email_hash("  Ann@Example.COM ", h);
    f.email_hash = h;
    f.affiliate_email_hash = h;
    AFF_CHECK(hits(&w, &c, &f, 205));
    char other[65];
    aff_screen_email_hash("buyer@example.com", other);
    f.email_hash = other;
    AFF_CHECK(!hits(&w, &c, &f, 205));
    fx_close(&w.f);
}

/* Record a referral-code sale for a1 ("alice") at now; returns its status in status. */
static int sale_at(world *w, const char *order, int64_t amount, int64_t now, const char *customer, const char *ip,
                   aff_conversion_result *r)
{
    aff_conversion_input *in = input(w->prog, "sale", order, amount, "pending", now);
    snprintf(in->referral_code, sizeof(in->referral_code), "alice");
    snprintf(in->customer_id, sizeof(in->customer_id), "%s", customer);
    snprintf(in->ip, sizeof(in->ip), "%s", ip);
    aff_errinfo err = {0};
    int rc = aff_conversion_record(&w->f.ctx, in, r, &err);
    free(in);
    return rc;
}

static void set_screening(world *w, const char *json)
{
    aff_program_row *prev = calloc(1, sizeof(*prev)), *next = calloc(1, sizeof(*next));
    AFF_CHECK_INT(aff_store_program_get(w->f.ts.st, w->prog, prev), AFF_OK);
    *next = *prev;
    snprintf(next->screening, sizeof(next->screening), "%s", json);
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_program_update(&w->f.ctx, prev, next, &err), AFF_OK);
    fx_rebuild(&w->f);
    free(prev);
    free(next);
}

AFF_TEST(screen_velocity_and_duplicates_hold_then_admin_decides)
{
    world w;
    WORLD_OR_RETURN(&w);
    set_screening(&w, "{\"conversion_velocity\":{\"action\":\"hold\",\"threshold\":3},"
                      "\"duplicate_order\":{\"action\":\"reject\",\"threshold\":600}}");
    aff_conversion_result *r = result();
    /* two in a minute pass; the third is held (velocity) */
    AFF_CHECK_INT(sale_at(&w, "v1", 1000, FX_T0, "", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "pending");
    AFF_CHECK_INT(sale_at(&w, "v2", 1000, FX_T0 + 10000, "", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "pending");
    AFF_CHECK_INT(sale_at(&w, "v3", 1000, FX_T0 + 20000, "", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "held");
    AFF_CHECK_STR(r->conv.reason, "203 conversion_velocity");
    AFF_CHECK_INT(r->conv.score, 40);
    AFF_CHECK_STR(r->lines[0].status, "pending");
    AFF_CHECK(r->lines[0].hold_until_ms == INT64_MAX);
    int64_t held = r->conv.id;
    /* a held conversion never approves by itself */
    aff_maintenance_stats st;
    AFF_CHECK_INT(aff_maintenance_run(w.f.ts.st, FX_T0 + 400 * FX_DAY, &st), AFF_OK);
    aff_conversion_result *again = result();
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, held, again), AFF_OK);
    AFF_CHECK_STR(again->conv.status, "held");
    AFF_CHECK_STR(again->lines[0].status, "pending");
    /* the admin approves it */
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_ledger_approve_conversion(&w.f.ctx, held, FX_T0 + 401 * FX_DAY, &err), AFF_OK);
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, held, again), AFF_OK);
    AFF_CHECK_STR(again->conv.status, "approved");
    AFF_CHECK_STR(again->lines[0].status, "approved");
    /* the same customer and amount under another order id within 10 minutes: rejected */
    AFF_CHECK_INT(sale_at(&w, "d1", 5000, FX_T0 + FX_HOUR, "cust-1", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "pending");
    AFF_CHECK_INT(sale_at(&w, "d2", 5000, FX_T0 + FX_HOUR + 60000, "cust-1", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "rejected");
    AFF_CHECK_STR(r->conv.reason, "202 duplicate_order");
    AFF_CHECK_STR(r->lines[0].status, "rejected");
    /* a rejected conversion earns nothing in the reports: recount == rollups */
    EXPECT_ROLLUPS_MATCH(&w);
    free(r);
    free(again);
    fx_close(&w.f);
}

AFF_TEST(screen_outliers_from_the_rollups)
{
    world w;
    WORLD_OR_RETURN(&w);
    /* five affiliates with 200 clicks each in the last days; four convert 2 %, one 30 % */
    int64_t affs[5];
    char code[16], id[AFF_CLICK_ID_LEN + 1];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "o%d", i);
        affs[i] = fx_affiliate(&w.f, name, 0);
        snprintf(code, sizeof(code), "oc%d", i);
        int64_t link = fx_link(&w.f, code, w.prog, affs[i]);
        for (int k = 0; k < 200; k++) {
            char ip[32];
            snprintf(ip, sizeof(ip), "10.%d.%d.%d", i, k / 250, k % 250);
            fx_click(&w.f, w.prog, affs[i], link, FX_T0 + k, ip, id);
        }
        int convs = i == 4 ? 60 : 4;
        for (int k = 0; k < convs; k++) {
            aff_conversion_input *in = input(w.prog, "sale", "", 100, "approved", FX_T0 + FX_HOUR + k);
            snprintf(in->order_id, sizeof(in->order_id), "o%d-%d", i, k);
            snprintf(in->referral_code, sizeof(in->referral_code), "%s", code);
            aff_conversion_result *r = result();
            aff_errinfo err = {0};
            AFF_CHECK_INT(aff_conversion_record(&w.f.ctx, in, r, &err), AFF_OK);
            free(in);
            free(r);
        }
    }
    AFF_CHECK_INT(aff_screen_outliers(w.f.ts.st, FX_T0 + FX_DAY), AFF_OK);
    int64_t z = 0;
    /* the others: mean 2 %, no spread -> the floor 0.05 % dev.: z is far above 3 */
    AFF_CHECK_INT(aff_store_outlier_get(w.f.ts.st, w.prog, affs[4], &z), AFF_OK);
    AFF_CHECK(z >= 3000);
    AFF_CHECK_INT(aff_store_outlier_get(w.f.ts.st, w.prog, affs[0], &z), AFF_ENOTFOUND);
    /* the rule sees it */
    aff_screen_config c;
    aff_screen_defaults(&c);
    aff_screen_facts f = base_facts(&w);
    f.affiliate_id = affs[4];
    AFF_CHECK(hits(&w, &c, &f, 206));
    f.affiliate_id = affs[1];
    AFF_CHECK(!hits(&w, &c, &f, 206));
    fx_close(&w.f);
}

static void set_caps(world *w, const char *json)
{
    aff_program_row *prev = calloc(1, sizeof(*prev)), *next = calloc(1, sizeof(*next));
    AFF_CHECK_INT(aff_store_program_get(w->f.ts.st, w->prog, prev), AFF_OK);
    *next = *prev;
    snprintf(next->caps, sizeof(next->caps), "%s", json);
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_program_update(&w->f.ctx, prev, next, &err), AFF_OK);
    fx_rebuild(&w->f);
    free(prev);
    free(next);
}

typedef struct used {
    int64_t used[4];
} used;

static int note_usage(void *ud, int index, const aff_cap *c, int64_t affiliate_id, int64_t n, int64_t start)
{
    (void)c;
    (void)affiliate_id;
    (void)start;
    used *u = ud;
    if (index < 4)
        u->used[index] = n;
    return 0;
}

AFF_TEST(caps_reject_exactly_at_the_limit_and_soft_caps_flag)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_caps caps;
    aff_errinfo err = {0};
    char canon[512];
    AFF_CHECK_INT(
        aff_caps_parse("[{\"metric\":\"conversions\",\"period\":\"day\",\"limit\":3},"
                       "{\"metric\":\"commission_minor\",\"period\":\"month\",\"limit\":150,\"per\":\"affiliate\","
                       "\"hard\":false}]",
                       &caps, canon, sizeof(canon), &err),
        AFF_OK);
    AFF_CHECK_STR(canon,
                  "[{\"hard\":true,\"limit\":3,\"metric\":\"conversions\",\"per\":\"program\",\"period\":\"day\"},"
                  "{\"hard\":false,\"limit\":150,\"metric\":\"commission_minor\",\"per\":\"affiliate\","
                  "\"period\":\"month\"}]");
    static const char *const bad[] = {
        "{}",
        "[{\"metric\":\"visits\",\"period\":\"day\",\"limit\":1}]",
        "[{\"metric\":\"conversions\",\"period\":\"year\",\"limit\":1}]",
        "[{\"metric\":\"conversions\",\"period\":\"day\"}]",
        "[{\"metric\":\"conversions\",\"period\":\"day\",\"limit\":1,\"per\":\"x\"}]",
        "[{\"metric\":\"conversions\",\"period\":\"day\",\"limit\":1,\"affiliate_id\":0}]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (aff_caps_parse(bad[i], &caps, NULL, 0, &err) != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "caps %s accepted", bad[i]);
    set_caps(&w, canon);
    aff_conversion_result *r = result();
    /* 12.5 % of 1000 = 125 each: the 2nd crosses the affiliate's soft 150 (flag on the
     * 3rd, commission 250 >= 150); the 4th is over the program's 3 a day (rejected) */
    const char *want[] = {"pending", "pending", "pending", "rejected"};
    const char *reason[] = {"", "", "84 affiliate_commission_month", "61 program_conversions_day"};
    for (int i = 0; i < 4; i++) {
        char order[16];
        snprintf(order, sizeof(order), "cap%d", i);
        AFF_CHECK_INT(sale_at(&w, order, 1000, FX_T0 + 3600000 * (int64_t)i, "", "", r), AFF_OK);
        AFF_CHECK_STR(r->conv.status, want[i]);
        AFF_CHECK_STR(r->conv.reason, reason[i]);
    }
    /* the next day the program cap counts from 0 again */
    AFF_CHECK_INT(sale_at(&w, "cap-next", 1000, FX_T0 + FX_DAY, "", "", r), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "pending");
    used u = {{0}};
    AFF_CHECK_INT(aff_caps_parse(canon, &caps, NULL, 0, &err), AFF_OK); /* the loop above reused caps */
    AFF_CHECK_INT(aff_cap_usage(w.f.ts.st, w.prog, &caps, FX_T0 + FX_DAY, note_usage, &u), AFF_OK);
    AFF_CHECK_INT(u.used[0], 1);   /* today: 1 conversion */
    AFF_CHECK_INT(u.used[1], 500); /* this month: 4 accepted x 125 */
    free(r);
    fx_close(&w.f);
}

/* The reason and screening columns as the API shows them: exact text, cut like snprintf
 * when the buffer is short, empty when nothing hit. */
AFF_TEST(screen_reason_and_hits_json_text)
{
    aff_screen_result r = {.nhits = 2};
    r.hits[0] = (aff_screen_hit){203, "conversion_velocity", AFF_SCREEN_HOLD, 40};
    r.hits[1] = (aff_screen_hit){204, "ip_mismatch", AFF_SCREEN_FLAG, 20};
    r.decisive = &r.hits[0];
    char buf[256];
    aff_screen_reason(&r, buf, sizeof(buf));
    AFF_CHECK_STR(buf, "203 conversion_velocity");
    aff_screen_hits_json(&r, buf, sizeof(buf));
    const char *want = "[{\"code\":203,\"rule\":\"conversion_velocity\",\"action\":\"hold\",\"score\":40},"
                       "{\"code\":204,\"rule\":\"ip_mismatch\",\"action\":\"flag\",\"score\":20}]";
    AFF_CHECK_STR(buf, want);
    aff_screen_hits_json(&r, buf, 20);
    AFF_CHECK(strlen(buf) == 19 && strncmp(buf, want, 19) == 0);
    aff_screen_reason(&r, buf, 6);
    AFF_CHECK_STR(buf, "203 c");
    aff_screen_result none = {0};
    aff_screen_reason(&none, buf, sizeof(buf));
    AFF_CHECK_STR(buf, "");
    aff_screen_hits_json(&none, buf, sizeof(buf));
    AFF_CHECK_STR(buf, "");
}
