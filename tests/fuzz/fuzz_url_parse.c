/*
 * fuzz_url_parse.c - aff_url_parse (core/url.h) on arbitrary bytes: the no-open-redirect
 * parser of destination URLs, which affiliates and merchants control.
 *
 * Checks, beyond not crashing or reading past len bytes:
 *   - the return is 0, AFF_EINVAL, or AFF_ETOOBIG exactly when len > AFF_URL_MAX;
 *   - an accepted URL contains no control, space, DEL or backslash byte anywhere, starts
 *     with http:// or https:// (the https flag agrees), and path_start points into the
 *     input at '/', '?', '#' or its end;
 *   - the host is a lower-case LDH name ([a-z0-9.-], labels 1..63 not starting or ending
 *     with '-', 1..253 in all), and the authority is exactly that host (any case), an
 *     optional trailing dot and an optional ":port" whose digits give port (1..65535);
 *     so no '@', '%', '[' or non-ASCII byte can have slipped into it;
 *   - aff_url_host_allowed against a fixed allow-list agrees with a hand-written oracle;
 *   - appending a parameter (aff_url_append_param) never changes which host the URL
 *     names: the result parses again to the same scheme, host and port.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/url.h"

/* Entries in mixed case and with blanks, to exercise the list's own parsing. */
static const char allow_list[] = "shop.example.com, *.EXAMPLE.org,good.com\t, *.xn--bcher-kva.example";

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int oracle_allowed(const char *host)
{
    size_t n = strlen(host);
    if (strcmp(host, "shop.example.com") == 0 || strcmp(host, "good.com") == 0)
        return 1;
    if (n > strlen(".example.org") && ends_with(host, n, ".example.org"))
        return 1;
    if (n > strlen(".xn--bcher-kva.example") && ends_with(host, n, ".xn--bcher-kva.example"))
        return 1;
    return 0;
}

static void check_host_syntax(const char *host)
{
    size_t n = strlen(host);
    FUZZ_CHECK(n >= 1 && n <= 253);
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || host[i] == '.') {
            FUZZ_CHECK(label >= 1 && label <= 63);
            FUZZ_CHECK(host[i - label] != '-' && host[i - 1] != '-');
            label = 0;
            continue;
        }
        char c = host[i];
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        label++;
    }
}

/* The authority s[a..b) must be host, an optional '.', an optional ":digits" = port. */
static void check_authority(const char *s, size_t a, size_t b, const aff_url *u)
{
    size_t hn = strlen(u->host);
    FUZZ_CHECK(b - a >= hn && fuzz_equal_nocase(s + a, u->host, hn));
    size_t i = a + hn;
    if (i < b && s[i] == '.')
        i++;
    if (i == b) {
        FUZZ_CHECK(u->port == 0);
        return;
    }
    FUZZ_CHECK(s[i] == ':');
    i++;
    FUZZ_CHECK(b - i >= 1 && b - i <= 5);
    unsigned v = 0;
    for (; i < b; i++) {
        FUZZ_CHECK(s[i] >= '0' && s[i] <= '9');
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    FUZZ_CHECK(v >= 1 && v <= 65535 && v == u->port);
}

static void check_append_keeps_host(const char *s, size_t len, const aff_url *u)
{
    static const char value[] = "01hx a&b=c#d/?%+";
    size_t cap = len + 3 * sizeof(value) + 32;
    char *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    int n = aff_url_append_param(s, len, "click_id", value, out, cap);
    FUZZ_CHECK(n > 0 && (size_t)n < cap && strlen(out) == (size_t)n);
    aff_url again;
    int rc = aff_url_parse(out, (size_t)n, &again);
    if ((size_t)n > AFF_URL_MAX) {
        FUZZ_CHECK(rc == AFF_ETOOBIG);
    } else {
        FUZZ_CHECK(rc == AFF_OK);
        FUZZ_CHECK(again.https == u->https && again.port == u->port && strcmp(again.host, u->host) == 0);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_memdup(data, size); /* exactly size bytes: no terminator to lean on */
    aff_url u;
    memset(&u, 0, sizeof(u));
    int rc = aff_url_parse(s, size, &u);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL || rc == AFF_ETOOBIG);
    FUZZ_CHECK((rc == AFF_ETOOBIG) == (size > AFF_URL_MAX));
    if (rc != AFF_OK)
        goto out;

    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c > 0x20 && c != 0x7f && c != '\\');
    }
    size_t scheme_len = u.https ? 8 : 7;
    FUZZ_CHECK(size >= scheme_len && fuzz_equal_nocase(s, u.https ? "https://" : "http://", scheme_len));
    FUZZ_CHECK(u.path_start >= s + scheme_len && u.path_start <= s + size);
    size_t auth_end = (size_t)(u.path_start - s);
    FUZZ_CHECK(auth_end == size || s[auth_end] == '/' || s[auth_end] == '?' || s[auth_end] == '#');
    for (size_t i = scheme_len; i < auth_end; i++)
        FUZZ_CHECK(s[i] != '/' && s[i] != '?' && s[i] != '#');
    FUZZ_CHECK(memchr(u.host, '\0', sizeof(u.host)) != NULL);
    check_host_syntax(u.host);
    check_authority(s, scheme_len, auth_end, &u);
    FUZZ_CHECK(aff_url_host_allowed(u.host, allow_list) == oracle_allowed(u.host));
    check_append_keeps_host(s, size, &u);
out:
    free(s);
    return 0;
}
