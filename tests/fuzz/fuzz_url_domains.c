/*
 * fuzz_url_domains.c - allow-lists (a program's allowed_domains, sent through the API):
 * aff_url_domains_validate and aff_url_host_allowed on arbitrary NUL-terminated text.
 *
 * Checks: validation returns 0 or AFF_EINVAL; when a list is accepted, every entry
 * (split on ',' with blanks trimmed) is a lower-case LDH hostname or "*." + one, every
 * plain entry is allowed by the list and parses as the host of "https://ENTRY/", and
 * every wildcard entry allows "a.SUFFIX". aff_url_host_allowed with the input as the
 * host must not crash either (it is only ever given parsed hosts, but must stay in
 * bounds) and answers 0 or 1.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/url.h"

static int ldh_valid(const char *h, size_t n)
{
    if (n == 0 || n > 253)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (i == start || i - start > 63 || h[start] == '-' || h[i - 1] == '-')
                return 0;
            start = i + 1;
        } else if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

static void check_entry(const char *list, const char *e, size_t n)
{
    char host[300], url[320];
    aff_url u;
    if (n >= 2 && e[0] == '*' && e[1] == '.') {
        FUZZ_CHECK(ldh_valid(e + 2, n - 2));
        if (n - 2 + 2 <= 253) {
            snprintf(host, sizeof(host), "a.%.*s", (int)(n - 2), e + 2);
            FUZZ_CHECK(aff_url_host_allowed(host, list) == 1);
        }
        return;
    }
    FUZZ_CHECK(ldh_valid(e, n));
    snprintf(host, sizeof(host), "%.*s", (int)n, e);
    FUZZ_CHECK(aff_url_host_allowed(host, list) == 1);
    int len = snprintf(url, sizeof(url), "https://%s/", host);
    FUZZ_CHECK(aff_url_parse(url, (size_t)len, &u) == AFF_OK && strcmp(u.host, host) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *list = fuzz_strndup(data, size);
    static const char *const hosts[] = {"a.com", "example.com", "x.example.com", "localhost", "a"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        int r = aff_url_host_allowed(hosts[i], list);
        FUZZ_CHECK(r == 0 || r == 1);
    }
    int r = aff_url_host_allowed(list, "a.com,*.example.com");
    FUZZ_CHECK(r == 0 || r == 1);
    r = aff_url_host_allowed(list, list);
    FUZZ_CHECK(r == 0 || r == 1);

    int rc = aff_url_domains_validate(list);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc == AFF_OK) {
        const char *p = list;
        size_t total = strlen(list);
        int blank = 1;
        for (size_t i = 0; i < total; i++)
            if (list[i] != ' ' && list[i] != '\t')
                blank = 0;
        while (!blank) {
            const char *comma = strchr(p, ',');
            const char *end = comma != NULL ? comma : list + total;
            const char *b = p;
            while (b < end && (*b == ' ' || *b == '\t'))
                b++;
            while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            check_entry(list, b, (size_t)(end - b));
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    free(list);
    return 0;
}
