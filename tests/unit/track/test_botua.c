/* test_botua.c - unit tests for src/track/botua.c: every example user agent
 * that the crawler-user-agents package lists for its patterns is a bot (this
 * checks the generator's required literals against PCRE2, pattern by pattern),
 * and common browser user agents are not. */
#include <jansson.h>

#include "../test.h"
#include "core/err.h"
#include "track/botua.h"

#define LIST "node_modules/crawler-user-agents/crawler-user-agents.json"

static int is_bot(const char *ua)
{
    return aff_botua_match(ua, strlen(ua));
}

AFF_TEST(botua_every_listed_instance_is_a_bot)
{
    char err[256] = "";
    AFF_CHECK_INT(aff_botua_open(err, sizeof(err)), 0);
    AFF_CHECK(aff_botua_count() >= 1000);
    json_error_t je;
    json_t *list = json_load_file(LIST, 0, &je);
    AFF_CHECK(list != NULL && json_is_array(list));
    size_t i, k, n = 0, missed = 0;
    json_t *e, *ua;
    json_array_foreach(list, i, e)
    {
        json_array_foreach(json_object_get(e, "instances"), k, ua)
        {
            n++;
            const char *u = json_string_value(ua);
            AFF_CHECK_INT(aff_botua_match_slow(u, strlen(u)), 1);
            if ((!is_bot(u) || !is_bot(u)) && missed++ < 5) /* the second answer comes from the cache */
                aff_test_fail(__FILE__, __LINE__, "not matched: pattern %s, ua %s",
                              json_string_value(json_object_get(e, "pattern")), json_string_value(ua));
        }
    }
    AFF_CHECK(n > 2000);
    AFF_CHECK_INT(missed, 0);
    json_decref(list);
    aff_botua_close();
}

AFF_TEST(botua_browsers_are_not_bots)
{
    static const char *const browsers[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/119.0.6045.163 Mobile "
        "Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/120.0.0.0 Safari/537.36 "
        "Edg/120.0.2210.61",
    };
    char err[256] = "";
    AFF_CHECK(is_bot("Googlebot/2.1 (+http://www.google.com/bot.html)") == 0); /* not opened yet */
    AFF_CHECK_INT(aff_botua_open(err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(browsers) / sizeof(browsers[0]); i++)
        if (is_bot(browsers[i]) || is_bot(browsers[i]) || aff_botua_match_slow(browsers[i], strlen(browsers[i])))
            aff_test_fail(__FILE__, __LINE__, "browser taken for a bot: %s", browsers[i]);
    AFF_CHECK(is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; "
                     "+http://www.google.com/bot.html)"));
    AFF_CHECK(is_bot("curl/8.4.0"));
    AFF_CHECK(is_bot("python-requests/2.31.0"));
    AFF_CHECK(is_bot("facebookexternalhit/1.1 "
                     "(+http://www.facebook.com/externalhit_uatext.php)"));
    AFF_CHECK(is_bot("Twitterbot/1.0"));
    AFF_CHECK(!is_bot(""));
    AFF_CHECK(!is_bot("ab"));
    aff_botua_close();
}
