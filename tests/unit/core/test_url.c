/* test_url.c - unit tests for src/core/url.c: the open-redirect rules of aff_url_parse,
 * allow-list matching and validation, parameter appending and query decoding. */
#include "core/err.h"
#include "core/url.h"
#include "../test.h"

static int parse(const char *s, aff_url *u)
{
    return aff_url_parse(s, strlen(s), u);
}

static void expect_ok(const char *s, int https, const char *host, unsigned port, const char *path)
{
    aff_url u;
    memset(&u, 0, sizeof(u));
    int rc = parse(s, &u);
    if (rc != AFF_OK) {
        aff_test_fail(__FILE__, __LINE__, "\"%s\" rejected (%d)", s, rc);
        return;
    }
    AFF_CHECK_INT(u.https, https);
    AFF_CHECK_STR(u.host, host);
    AFF_CHECK_INT(u.port, port);
    AFF_CHECK(u.path_start >= s && u.path_start <= s + strlen(s));
    AFF_CHECK_STR(u.path_start, path);
}

static void expect_bad(const char *s, size_t len, int want)
{
    aff_url u;
    int rc = aff_url_parse(s, len, &u);
    if (rc != want)
        aff_test_fail(__FILE__, __LINE__, "\"%.*s\" gave %d, want %d", (int)len, s, rc, want);
}

#define EXPECT_BAD(s) expect_bad((s), strlen(s), AFF_EINVAL)

AFF_TEST(url_parse_accepts)
{
    expect_ok("https://example.com", 1, "example.com", 0, "");
    expect_ok("http://example.com/", 0, "example.com", 0, "/");
    expect_ok("https://shop.example.com:8443/a/b?x=1&y=2#frag", 1, "shop.example.com", 8443, "/a/b?x=1&y=2#frag");
    expect_ok("http://example.com:80", 0, "example.com", 80, "");
    expect_ok("https://example.com:65535/", 1, "example.com", 65535, "/");
    expect_ok("https://example.com:1?q", 1, "example.com", 1, "?q");
    expect_ok("https://example.com?q=1", 1, "example.com", 0, "?q=1");
    expect_ok("https://example.com#top", 1, "example.com", 0, "#top");
    expect_ok("https://EXAMPLE.Com/Path", 1, "example.com", 0, "/Path");
    expect_ok("HTTPS://example.com/", 1, "example.com", 0, "/");
    expect_ok("https://example.com./x", 1, "example.com", 0, "/x");
    expect_ok("https://xn--bcher-kva.example/", 1, "xn--bcher-kva.example", 0, "/");
    expect_ok("https://a-b.c0.example/", 1, "a-b.c0.example", 0, "/");
    expect_ok("https://localhost:3000/", 1, "localhost", 3000, "/");
    expect_ok("http://127.0.0.1:8080/x", 0, "127.0.0.1", 8080, "/x");
    /* '@' after the authority is just path/query/fragment: the host is still good.com. */
    expect_ok("https://good.com/@evil.com", 1, "good.com", 0, "/@evil.com");
    expect_ok("https://good.com?@evil.com", 1, "good.com", 0, "?@evil.com");
    expect_ok("https://good.com#@evil.com", 1, "good.com", 0, "#@evil.com");
    expect_ok("https://good.com/a%20b", 1, "good.com", 0, "/a%20b");
}

AFF_TEST(url_parse_reads_only_len_bytes)
{
    aff_url u;
    const char *s = "https://good.com.evil.net/";
    AFF_CHECK_INT(aff_url_parse(s, strlen("https://good.com"), &u), AFF_OK);
    AFF_CHECK_STR(u.host, "good.com");
    AFF_CHECK(u.path_start == s + strlen("https://good.com"));
}

AFF_TEST(url_parse_rejects_userinfo)
{
    EXPECT_BAD("https://good.com@evil.com/");
    EXPECT_BAD("https://evil.com\\@good.com");
    EXPECT_BAD("https://good.com:pass@evil.com");
    EXPECT_BAD("https://user@good.com/");
    EXPECT_BAD("https://@good.com/");
    EXPECT_BAD("https://a:b@good.com/");
}

AFF_TEST(url_parse_rejects_backslashes_and_scheme_tricks)
{
    EXPECT_BAD("https:\\\\evil.com");
    EXPECT_BAD("https://good.com\\.evil.com");
    EXPECT_BAD("https:/\\evil.com");
    EXPECT_BAD("https://good.com\\");
    EXPECT_BAD("https://good.com/\\evil.com");
    EXPECT_BAD("//evil.com");
    EXPECT_BAD("///evil.com");
    EXPECT_BAD("/path");
    EXPECT_BAD("evil.com");
    EXPECT_BAD("javascript:alert(1)");
    EXPECT_BAD("JavaScript://good.com/%0aalert(1)");
    EXPECT_BAD("ftp://x");
    EXPECT_BAD("data:text/html;base64,PHNjcmlwdD4=");
    EXPECT_BAD("https:evil.com");
    EXPECT_BAD("https:/evil.com");
    EXPECT_BAD("httpx://evil.com");
    EXPECT_BAD("https//evil.com");
    EXPECT_BAD("");
}

AFF_TEST(url_parse_rejects_bad_hosts)
{
    EXPECT_BAD("https://%65vil.com");
    EXPECT_BAD("https://good.com%2eevil.com");
    EXPECT_BAD("https://good.com%2Fevil.com/");
    EXPECT_BAD("https://b\xc3\xbc"
               "cher.example/"); /* raw UTF-8 "bücher" */
    EXPECT_BAD("https://\xe2\x80\xae"
               "moc.live/");
    EXPECT_BAD("https://good.com\xef\xbc\x8f"
               "evil.com/"); /* fullwidth solidus */
    EXPECT_BAD("https:///x");
    EXPECT_BAD("https://");
    EXPECT_BAD("https://:443/");
    EXPECT_BAD("https://./");
    EXPECT_BAD("https://a..b/");
    EXPECT_BAD("https://.example.com/");
    EXPECT_BAD("https://example.com../");
    EXPECT_BAD("https://-a.com/");
    EXPECT_BAD("https://a-.com/");
    EXPECT_BAD("https://under_score.com/");
    EXPECT_BAD("https://[::1]/");
    EXPECT_BAD("https://[2001:db8::1]:443/");
    EXPECT_BAD("https://good.com;evil.com/");
    EXPECT_BAD("https://good.com,evil.com/");
}

AFF_TEST(url_parse_rejects_long_labels_and_hosts)
{
    char buf[400];
    /* A 64-character label is one too many. */
    int n = snprintf(buf, sizeof(buf), "https://%s.com/",
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect_bad(buf, (size_t)n, AFF_EINVAL);
    n = snprintf(buf, sizeof(buf), "https://%s.com/",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    AFF_CHECK_INT(n, 8 + 63 + 5);
    aff_url u;
    AFF_CHECK_INT(aff_url_parse(buf, (size_t)n, &u), AFF_OK);
    /* 300-character host made of short labels. */
    memcpy(buf, "https://", 8);
    for (int i = 0; i < 150; i++)
        memcpy(buf + 8 + 2 * i, "a.", 2);
    memcpy(buf + 8 + 300, "com", 4);
    expect_bad(buf, strlen(buf), AFF_EINVAL);

    /* 253 characters (labels of 63, 63, 63, 61) is the longest host; with a trailing dot
     * the input is 254 and still fine; one more character is not. */
    char host[256];
    memset(host, 'a', sizeof(host));
    host[63] = host[127] = host[191] = '.';
    host[253] = '\0';
    n = snprintf(buf, sizeof(buf), "https://%s/", host);
    AFF_CHECK_INT(aff_url_parse(buf, (size_t)n, &u), AFF_OK);
    AFF_CHECK_INT(strlen(u.host), 253);
    n = snprintf(buf, sizeof(buf), "https://%s./", host);
    AFF_CHECK_INT(aff_url_parse(buf, (size_t)n, &u), AFF_OK);
    AFF_CHECK_INT(strlen(u.host), 253);
    host[253] = 'a';
    host[254] = '\0';
    n = snprintf(buf, sizeof(buf), "https://%s/", host);
    expect_bad(buf, (size_t)n, AFF_EINVAL);
}

AFF_TEST(url_parse_rejects_whitespace_and_controls)
{
    EXPECT_BAD("https://good.com /");
    EXPECT_BAD(" https://good.com/");
    EXPECT_BAD("https://good.com/ ");
    EXPECT_BAD("https://good.com/a b");
    EXPECT_BAD("https://good.com/\tx");
    EXPECT_BAD("https://good.com/\rx");
    EXPECT_BAD("https://good.com/\nx");
    EXPECT_BAD("https://go\tod.com/");
    EXPECT_BAD("https://good.com\r\nLocation: https://evil.com");
    EXPECT_BAD("https://good.com/\x7f");
    expect_bad("https://good.com\0.evil.com/", 27, AFF_EINVAL);
    expect_bad("https://good.com/\0", 18, AFF_EINVAL);
}

AFF_TEST(url_parse_rejects_bad_ports)
{
    EXPECT_BAD("https://good.com:0/");
    EXPECT_BAD("https://good.com:65536/");
    EXPECT_BAD("https://good.com:99999/");
    EXPECT_BAD("https://good.com:123456/");
    EXPECT_BAD("https://good.com:abc/");
    EXPECT_BAD("https://good.com:/");
    EXPECT_BAD("https://good.com:-1/");
    EXPECT_BAD("https://good.com:+80/");
    EXPECT_BAD("https://good.com:80:81/");
    EXPECT_BAD("https://good.com:443.evil.com/");
}

AFF_TEST(url_parse_length_limit)
{
    static char buf[AFF_URL_MAX + 2];
    memcpy(buf, "https://a.com/", 14);
    memset(buf + 14, 'x', sizeof(buf) - 14);
    aff_url u;
    AFF_CHECK_INT(aff_url_parse(buf, AFF_URL_MAX, &u), AFF_OK);
    AFF_CHECK_INT(aff_url_parse(buf, AFF_URL_MAX + 1, &u), AFF_ETOOBIG);
    AFF_CHECK_INT(aff_url_parse(buf, AFF_URL_MAX + 2, &u), AFF_ETOOBIG);
}

AFF_TEST(url_host_allowed_exact)
{
    AFF_CHECK_INT(aff_url_host_allowed("good.com", "good.com"), 1);
    AFF_CHECK_INT(aff_url_host_allowed("good.com", "other.org,good.com"), 1);
    AFF_CHECK_INT(aff_url_host_allowed("good.com.evil.com", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("notgood.com", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("evil.com", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("sub.good.com", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("good.co", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("good.com", ""), 0);
    AFF_CHECK_INT(aff_url_host_allowed("", "good.com"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("", ""), 0);
    AFF_CHECK_INT(aff_url_host_allowed("", ",,"), 0);
}

AFF_TEST(url_host_allowed_wildcard)
{
    const char *list = "*.example.com";
    AFF_CHECK_INT(aff_url_host_allowed("a.example.com", list), 1);
    AFF_CHECK_INT(aff_url_host_allowed("a.b.example.com", list), 1);
    AFF_CHECK_INT(aff_url_host_allowed("example.com", list), 0);
    AFF_CHECK_INT(aff_url_host_allowed("badexample.com", list), 0);
    AFF_CHECK_INT(aff_url_host_allowed("example.com.evil.net", list), 0);
    AFF_CHECK_INT(aff_url_host_allowed(".example.com", list), 0);
    AFF_CHECK_INT(aff_url_host_allowed("a.example.co", list), 0);
    /* "*" and "*." are not wildcards for everything. */
    AFF_CHECK_INT(aff_url_host_allowed("evil.com", "*"), 0);
    AFF_CHECK_INT(aff_url_host_allowed("evil.com", "*."), 0);
    AFF_CHECK_INT(aff_url_host_allowed("evil.com", "*.com.evil"), 0);
}

AFF_TEST(url_host_allowed_case_and_spaces)
{
    AFF_CHECK_INT(aff_url_host_allowed("shop.example.com", "SHOP.Example.COM"), 1);
    AFF_CHECK_INT(aff_url_host_allowed("a.example.org", "*.EXAMPLE.org"), 1);
    AFF_CHECK_INT(aff_url_host_allowed("b.org", " a.com ,  b.org  "), 1);
    AFF_CHECK_INT(aff_url_host_allowed("a.com", " a.com ,  b.org  "), 1);
    AFF_CHECK_INT(aff_url_host_allowed("x.a.com", "\t*.a.com\t,b.org"), 1);
    AFF_CHECK_INT(aff_url_host_allowed("c.org", " a.com ,  b.org  "), 0);
    AFF_CHECK_INT(aff_url_host_allowed("a.com", "a. com"), 0);
}

AFF_TEST(url_host_allowed_uses_parsed_host)
{
    /* The end-to-end check callers do: parse, then match the extracted host. */
    aff_url u;
    AFF_CHECK_INT(parse("https://Shop.Example.com./x", &u), AFF_OK);
    AFF_CHECK_INT(aff_url_host_allowed(u.host, "shop.example.com"), 1);
    AFF_CHECK_INT(parse("https://evil.net/?r=https://shop.example.com", &u), AFF_OK);
    AFF_CHECK_INT(aff_url_host_allowed(u.host, "shop.example.com"), 0);
}

AFF_TEST(url_domains_validate)
{
    AFF_CHECK_INT(aff_url_domains_validate(""), AFF_OK);
    AFF_CHECK_INT(aff_url_domains_validate("a.com"), AFF_OK);
    AFF_CHECK_INT(aff_url_domains_validate("*.a.com, b.org"), AFF_OK);
    AFF_CHECK_INT(aff_url_domains_validate("shop.example.com,*.example.org"), AFF_OK);
    AFF_CHECK_INT(aff_url_domains_validate("localhost"), AFF_OK);
    AFF_CHECK_INT(aff_url_domains_validate("xn--bcher-kva.example"), AFF_OK);

    static const char *const bad[] = {
        "*",          "*.",           "a..b",   "-",      "exa mple.com", "http://x.com",  "a.com,",
        ",a.com",     "a.com,,b.com", "A.com",  "a.com.", ".a.com",       "*.*.a.com",     "a*.com",
        "a.com/path", "a.com:443",    "-a.com", "a-.com", "u@a.com",      "b\xc3\xbc.com", "a_b.com",
        "*a.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (aff_url_domains_validate(bad[i]) != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);

    /* Hostname length: 253 characters is the most DNS allows. */
    char name[300];
    memset(name, 'a', sizeof(name));
    for (int i = 63; i < 300; i += 64)
        name[i] = '.'; /* labels of 63 */
    name[253] = '\0';  /* labels of 63, 63, 63 and 61 characters: 253 in all */
    AFF_CHECK_INT(aff_url_domains_validate(name), AFF_OK);
    name[253] = 'a';
    name[254] = '\0';
    AFF_CHECK_INT(aff_url_domains_validate(name), AFF_EINVAL);
}

static void check_append(const char *url, const char *name, const char *value, const char *want)
{
    char out[256];
    int n = aff_url_append_param(url, strlen(url), name, value, out, sizeof(out));
    AFF_CHECK_INT(n, (long long)strlen(want));
    AFF_CHECK_STR(out, want);
}

AFF_TEST(url_append_param)
{
    check_append("https://a.com/p", "click_id", "abc", "https://a.com/p?click_id=abc");
    check_append("https://a.com", "click_id", "abc", "https://a.com?click_id=abc");
    check_append("https://a.com/p?x=1", "click_id", "abc", "https://a.com/p?x=1&click_id=abc");
    check_append("https://a.com/p?", "k", "v", "https://a.com/p?k=v");
    check_append("https://a.com/p?x=1&", "k", "v", "https://a.com/p?x=1&k=v");
    check_append("https://a.com/p#frag", "k", "v", "https://a.com/p?k=v#frag");
    check_append("https://a.com/p?x=1#frag?y=2", "k", "v", "https://a.com/p?x=1&k=v#frag?y=2");
    check_append("https://a.com/p?k=old", "k", "new", "https://a.com/p?k=old&k=new");
    check_append("https://a.com/", "k", "a b&c", "https://a.com/?k=a%20b%26c");
    check_append("https://a.com/", "k", "x=y#z/?%+\xc3\xa9", "https://a.com/?k=x%3Dy%23z%2F%3F%25%2B%C3%A9");
    check_append("https://a.com/", "k", "AZaz09-._~", "https://a.com/?k=AZaz09-._~");
    check_append("https://a.com/", "k", "", "https://a.com/?k=");
}

AFF_TEST(url_append_param_reads_only_len_bytes)
{
    char out[64];
    const char *url = "https://a.com/p#frag-not-part";
    int n = aff_url_append_param(url, strlen("https://a.com/p"), "k", "v", out, sizeof(out));
    AFF_CHECK_INT(n, (long long)strlen("https://a.com/p?k=v"));
    AFF_CHECK_STR(out, "https://a.com/p?k=v");
}

AFF_TEST(url_append_param_toobig)
{
    const char *url = "https://a.com/p";
    const char *want = "https://a.com/p?k=a%20b";
    char out[64];
    size_t need = strlen(want) + 1;
    AFF_CHECK_INT(aff_url_append_param(url, strlen(url), "k", "a b", out, need - 1), AFF_ETOOBIG);
    AFF_CHECK_INT(aff_url_append_param(url, strlen(url), "k", "a b", out, 10), AFF_ETOOBIG);
    AFF_CHECK_INT(aff_url_append_param(url, strlen(url), "k", "a b", out, 0), AFF_ETOOBIG);
    AFF_CHECK_INT(aff_url_append_param(url, strlen(url), "k", "a b", out, need), (long long)strlen(want));
    AFF_CHECK_STR(out, want);
}

static void check_decode(const char *in, const char *want)
{
    char out[128];
    int n = aff_url_decode_component(in, strlen(in), out);
    AFF_CHECK_INT(n, (long long)strlen(want));
    if (n >= 0)
        AFF_CHECK_STR(out, want);
}

AFF_TEST(url_decode_component)
{
    check_decode("%41+b", "A b");
    check_decode("plain", "plain");
    check_decode("", "");
    check_decode("a%20b%2Bc%2bd", "a b+c+d");
    check_decode("%C3%A9", "\xc3\xa9");
    check_decode("100%25", "100%");

    char out[16];
    static const char *const bad[] = {"%4", "%zz", "%00", "%", "a%", "%g1", "%1g", "ab%0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (aff_url_decode_component(bad[i], strlen(bad[i]), out) != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
    AFF_CHECK_INT(aff_url_decode_component("a\0b", 3, out), AFF_EINVAL);
    /* Only len bytes are read: a '%' just past the end is not an escape. */
    AFF_CHECK_INT(aff_url_decode_component("ab%41", 2, out), 2);
    AFF_CHECK_STR(out, "ab");
    AFF_CHECK_INT(aff_url_decode_component("ab%41", 4, out), AFF_EINVAL);
}

typedef struct pair {
    const char *name, *value;
} pair;

static void check_query(const char *q, const pair *want, size_t nwant)
{
    size_t cursor = 0, got = 0;
    const char *name, *value;
    size_t nl, vl;
    while (aff_query_next(q, strlen(q), &cursor, &name, &nl, &value, &vl)) {
        if (got < nwant) {
            if (nl != strlen(want[got].name) || memcmp(name, want[got].name, nl) != 0 ||
                vl != strlen(want[got].value) || memcmp(value, want[got].value, vl) != 0)
                aff_test_fail(__FILE__, __LINE__, "%s: pair %zu is \"%.*s\"=\"%.*s\", want \"%s\"=\"%s\"", q, got,
                              (int)nl, name, (int)vl, value, want[got].name, want[got].value);
        }
        got++;
        if (got > 64)
            break;
    }
    AFF_CHECK_INT(got, nwant);
    /* Exhausted iterators stay exhausted. */
    AFF_CHECK_INT(aff_query_next(q, strlen(q), &cursor, &name, &nl, &value, &vl), 0);
}

AFF_TEST(url_query_next)
{
    static const pair p1[] = {{"a", "1"}, {"b", ""}, {"c", ""}, {"d", "4"}};
    check_query("a=1&b=&c&&d=4", p1, 4);
    static const pair p2[] = {{"x", "1"}};
    check_query("&&x=1&&", p2, 1);
    check_query("", NULL, 0);
    check_query("&", NULL, 0);
    check_query("&&&", NULL, 0);
    static const pair p3[] = {{"k", "a=b"}, {"", "v"}, {"n", "%20+"}};
    check_query("k=a=b&=v&n=%20+", p3, 3);
    static const pair p4[] = {{"only", ""}};
    check_query("only", p4, 1);
}

AFF_TEST(url_query_next_respects_len)
{
    const char *q = "a=1&b=2&c"; /* the '&' after "b=2" lies beyond len */
    size_t cursor = 0, nl, vl;
    const char *name, *value;
    AFF_CHECK_INT(aff_query_next(q, 5, &cursor, &name, &nl, &value, &vl), 1);
    AFF_CHECK_INT(nl, 1);
    AFF_CHECK_INT(vl, 1);
    AFF_CHECK_INT(aff_query_next(q, 5, &cursor, &name, &nl, &value, &vl), 1);
    AFF_CHECK(name == q + 4);
    AFF_CHECK_INT(nl, 1);
    AFF_CHECK_INT(vl, 0);
    AFF_CHECK_INT(aff_query_next(q, 5, &cursor, &name, &nl, &value, &vl), 0);
}
