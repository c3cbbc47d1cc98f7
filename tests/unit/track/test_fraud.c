/* test_fraud.c - unit tests for src/track/fraud.c: each rule through aff_fraud_screen
 * with a config, the actions (flag/reject/block, bot vs rejected), the strongest action
 * winning, rules without their database reported inactive, ASN and country from a test
 * database written by scripts/mmdb-write.js, and configuration errors. */
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"
#include "track/fraud.h"
#include "../test.h"

#define T0 1714564800000LL
#define BROWSER "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"

static aff_click_id_key key = {.secret = "0123456789abcdef0123456789abcdef"};

static int open_with(aff_config *c, const char *const *kv, char *err, size_t cap)
{
    aff_config_defaults(c);
    for (; kv && kv[0]; kv += 2)
        if (aff_config_set(c, kv[0], kv[1], err, cap) != 0)
            return -1;
    return aff_fraud_open(c, &key, err, cap);
}

static aff_fraud_verdict screen_ni(const char *ip, const char *ua, int64_t link, int64_t now, int non_interactive)
{
    aff_fraud_click in = {.ip = ip,
                          .user_agent = ua,
                          .user_agent_len = strlen(ua),
                          .link_id = link,
                          .fingerprint = 0x1234 + (uint64_t)strlen(ua),
                          .now_ms = now,
                          .non_interactive = non_interactive};
    aff_fraud_verdict v;
    aff_fraud_screen(&in, &v);
    return v;
}

static aff_fraud_verdict screen(const char *ip, const char *ua, int64_t link, int64_t now)
{
    return screen_ni(ip, ua, link, now, 0);
}

static const aff_fraud_rule_info *rule(const char *name)
{
    static aff_fraud_rule_info r[16];
    size_t n = aff_fraud_rules(r, 16);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return &r[i];
    return NULL;
}

AFF_TEST(fraud_defaults_bots_pass_browsers)
{
    aff_config c;
    char err[256] = "";
    aff_fraud_verdict v = screen("127.0.0.1", "", 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_OFF); /* not opened: everything passes */
    AFF_CHECK_INT(open_with(&c, NULL, err, sizeof(err)), 0);
    v = screen("127.0.0.1", BROWSER, 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_OFF);
    AFF_CHECK_INT(v.reason, 0);
    AFF_CHECK_INT(v.flags, 0);
    v = screen("127.0.0.1", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_REJECT);
    AFF_CHECK_INT(v.reason, AFF_REASON_BOT_USER_AGENT);
    AFF_CHECK_INT(v.flags, AFF_CLICK_BOT);
    v = screen("127.0.0.1", "", 1, T0);
    AFF_CHECK_INT(v.reason, AFF_REASON_EMPTY_USER_AGENT);
    AFF_CHECK_INT(v.flags, AFF_CLICK_BOT);
    v = screen_ni("127.0.0.1", BROWSER, 1, T0, 1);
    AFF_CHECK_INT(v.reason, AFF_REASON_NON_INTERACTIVE);
    AFF_CHECK_INT(v.flags, AFF_CLICK_REJECTED);
    /* a bot loaded as an image: both reject, the bot rule comes first in the table */
    v = screen_ni("127.0.0.1", "curl/8.4.0", 1, T0, 1);
    AFF_CHECK_INT(v.reason, AFF_REASON_BOT_USER_AGENT);
    AFF_CHECK_INT(v.flags, AFF_CLICK_BOT);
    AFF_CHECK_INT(rule("bot_user_agent")->hits, 2);
    AFF_CHECK_INT(rule("non_interactive")->hits, 2);
    AFF_CHECK(rule("blocked_cidr")->inactive != NULL);
    AFF_CHECK_STR(rule("hosting_asn")->inactive, "no asn_db");
    AFF_CHECK_STR(rule("blocked_country")->inactive, "no country_db");
    AFF_CHECK_STR(aff_fraud_reason_name(106), "ip_velocity");
    AFF_CHECK(aff_fraud_reason_name(999) == NULL);
    aff_fraud_close();
}

AFF_TEST(fraud_actions_and_strongest_wins)
{
    aff_config c;
    char err[256] = "";
    const char *kv[] = {"fraud_bot_user_agent", "flag", "blocked_cidrs", "127.0.0.64/26, ::1", NULL};
    AFF_CHECK_INT(open_with(&c, kv, err, sizeof(err)), 0);
    aff_fraud_verdict v = screen("127.0.0.1", "curl/8.4.0", 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_FLAG);
    AFF_CHECK_INT(v.flags, AFF_CLICK_FLAGGED);
    AFF_CHECK_INT(v.reason, AFF_REASON_BOT_USER_AGENT);
    /* a bot (flag) from a blocked network (block): block wins, its reason is kept */
    v = screen("127.0.0.70", "curl/8.4.0", 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_BLOCK);
    AFF_CHECK_INT(v.reason, AFF_REASON_BLOCKED_CIDR);
    v = screen("::1", BROWSER, 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_BLOCK);
    v = screen("127.0.0.63", BROWSER, 1, T0);
    AFF_CHECK_INT(v.action, AFF_ACTION_OFF);
    aff_fraud_close();

    /* reject on a non-bot rule marks the click rejected, not a bot */
    const char *kv2[] = {
        "fraud_blocked_cidr", "reject", "blocked_cidrs", "127.0.0.9", "fraud_empty_user_agent", "off", NULL};
    AFF_CHECK_INT(open_with(&c, kv2, err, sizeof(err)), 0);
    v = screen("127.0.0.9", BROWSER, 1, T0);
    AFF_CHECK_INT(v.flags, AFF_CLICK_REJECTED);
    AFF_CHECK_INT(v.reason, AFF_REASON_BLOCKED_CIDR);
    v = screen("127.0.0.8", "", 1, T0); /* empty_user_agent off */
    AFF_CHECK_INT(v.action, AFF_ACTION_OFF);
    aff_fraud_close();
}

AFF_TEST(fraud_velocity_rules)
{
    aff_config c;
    char err[256] = "";
    const char *kv[] = {"ip_velocity_max",
                        "5",
                        "ip_link_velocity_max",
                        "3",
                        "velocity_window_s",
                        "60",
                        "fraud_duplicate_click",
                        "off",
                        NULL};
    AFF_CHECK_INT(open_with(&c, kv, err, sizeof(err)), 0);
    int reasons[8] = {0};
    for (int i = 0; i < 8; i++)
        reasons[i] = screen("127.0.0.1", BROWSER, 1, T0 + i).reason;
    AFF_CHECK_INT(reasons[2], 0);
    AFF_CHECK_INT(reasons[3], AFF_REASON_IP_LINK_VELOCITY); /* 4th on one link */
    AFF_CHECK_INT(reasons[5], AFF_REASON_IP_VELOCITY);      /* 6th from the IP: first in table order */
    AFF_CHECK_INT(screen("127.0.0.1", BROWSER, 1, T0 + 9).flags, AFF_CLICK_REJECTED);
    AFF_CHECK_INT(screen("127.0.0.2", BROWSER, 1, T0 + 9).reason, 0); /* another IP */
    aff_fraud_close();

    const char *kv2[] = {"fraud_ip_velocity", "off", "fraud_ip_link_velocity", "off", "duplicate_click_max", "2", NULL};
    AFF_CHECK_INT(open_with(&c, kv2, err, sizeof(err)), 0);
    AFF_CHECK_INT(screen("127.0.0.1", BROWSER, 1, T0).action, AFF_ACTION_OFF);
    AFF_CHECK_INT(screen("127.0.0.1", BROWSER, 1, T0).action, AFF_ACTION_OFF);
    aff_fraud_verdict v = screen("127.0.0.1", BROWSER, 1, T0);
    AFF_CHECK_INT(v.reason, AFF_REASON_DUPLICATE_CLICK);
    AFF_CHECK_INT(v.flags, AFF_CLICK_FLAGGED);
    AFF_CHECK_INT(screen("127.0.0.1", BROWSER, 2, T0).action, AFF_ACTION_OFF); /* another link */
    aff_fraud_close();
}

/* ASN and country from a database written by the repository's own writer. */
AFF_TEST(fraud_asn_and_country_from_mmdb)
{
    char dir[] = "/tmp/afftrack-fraud-XXXXXX", cmd[512], path[128];
    AFF_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/geo.mmdb", dir);
    snprintf(
        cmd, sizeof(cmd),
        "echo '[{\"network\":\"127.0.0.2/32\",\"data\":{\"autonomous_system_number\":16509,\"country_code\":\"DE\"}},"
        "{\"network\":\"127.0.5.0/24\",\"data\":{\"autonomous_system_number\":3320,\"country\":{\"iso_code\":\"fr\"}}}]'"
        " | node scripts/mmdb-write.js %s test",
        path);
    AFF_CHECK_INT(system(cmd), 0);
    aff_config c;
    char err[256] = "";
    const char *kv[] = {"asn_db", path, "country_db", path, "blocked_countries", "fr, XX", NULL};
    AFF_CHECK_INT(open_with(&c, kv, err, sizeof(err)), 0);
    AFF_CHECK(rule("hosting_asn")->inactive == NULL);
    aff_fraud_verdict v = screen("127.0.0.2", BROWSER, 1, T0);
    AFF_CHECK_INT(v.asn, 16509);
    AFF_CHECK_STR(v.country, "DE");
    AFF_CHECK_INT(v.reason, AFF_REASON_HOSTING_ASN); /* AS16509 is in the default hosting list */
    AFF_CHECK_INT(v.flags, AFF_CLICK_FLAGGED);
    v = screen("127.0.5.9", BROWSER, 1, T0);
    AFF_CHECK_INT(v.asn, 3320);
    AFF_CHECK_STR(v.country, "FR");
    AFF_CHECK_INT(v.action, AFF_ACTION_BLOCK);
    AFF_CHECK_INT(v.reason, AFF_REASON_BLOCKED_COUNTRY);
    v = screen("127.0.0.3", BROWSER, 1, T0);
    AFF_CHECK_INT(v.asn, 0);
    AFF_CHECK_STR(v.country, "");
    AFF_CHECK_INT(v.action, AFF_ACTION_OFF);
    aff_fraud_close();
    unlink(path);
    rmdir(dir);
}

AFF_TEST(fraud_config_errors_are_named)
{
    aff_config c;
    char err[256] = "";
    const char *a[] = {"hosting_asns", "16509, ASx", NULL};
    AFF_CHECK_INT(open_with(&c, a, err, sizeof(err)), AFF_EINVAL);
    AFF_CHECK(strstr(err, "hosting_asns") != NULL);
    const char *b[] = {"blocked_countries", "FRA", NULL};
    AFF_CHECK_INT(open_with(&c, b, err, sizeof(err)), AFF_EINVAL);
    AFF_CHECK(strstr(err, "blocked_countries") != NULL);
    const char *d[] = {"blocked_cidrs", "10.0.0.0/40", NULL};
    AFF_CHECK_INT(open_with(&c, d, err, sizeof(err)), AFF_EINVAL);
    AFF_CHECK(strstr(err, "10.0.0.0/40") != NULL);
    const char *e[] = {"asn_db", "/nonexistent/asn.mmdb", NULL};
    AFF_CHECK_INT(open_with(&c, e, err, sizeof(err)), AFF_EINVAL);
    AFF_CHECK(strstr(err, "asn_db") != NULL);
    const char *f[] = {"blocked_cidrs_file", "/nonexistent/list.txt", NULL};
    AFF_CHECK_INT(open_with(&c, f, err, sizeof(err)), AFF_EIO);
    AFF_CHECK(strstr(err, "blocked_cidrs_file") != NULL);
    /* after a failed open, screening passes everything */
    AFF_CHECK_INT(screen("127.0.0.1", "", 1, T0).action, AFF_ACTION_OFF);
}
