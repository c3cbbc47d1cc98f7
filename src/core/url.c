/*
 * url.c - strict absolute-URL parsing for redirects, allow-list matching, query
 * parameter appending and query-string decoding (see url.h).
 *
 * Owns: deciding which host a destination URL really names, and refusing every input
 * where a browser might disagree with us (the no-open-redirect invariant of url.h).
 * Does not own: which domains a program allows (stored on the program), HTTP.
 * Rules beyond the header, all in the direction of rejecting more:
 *   - backslashes are rejected anywhere in the URL, not only in the authority;
 *   - the scheme must be followed by exactly "//" and a non-empty authority;
 *   - a port is 1..5 decimal digits with a value in 1..65535 (no empty port);
 *   - hosts (and allow-list entries) are LDH names: labels of 1..63 characters of
 *     [a-z0-9-] that neither start nor end with '-', at most 253 characters in all.
 * No allocation; every output is bounded by a caller-supplied capacity.
 */
#include "core/url.h"

#include <stdint.h>
#include <string.h>

#include "core/err.h"

#define HOST_MAX 253
#define LABEL_MAX 63

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_space_or_tab(char c)
{
    return c == ' ' || c == '\t';
}

/* Case-insensitive equality of two ASCII byte ranges of the same length. */
static int equal_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower_ascii(a[i]) != lower_ascii(b[i]))
            return 0;
    return 1;
}

/* Is h[0..n) a lower-case LDH hostname (see the file comment)? */
static int hostname_valid(const char *h, size_t n)
{
    if (n == 0 || n > HOST_MAX)
        return 0;
    size_t label_start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            size_t label_len = i - label_start;
            if (label_len == 0 || label_len > LABEL_MAX)
                return 0;
            if (h[label_start] == '-' || h[i - 1] == '-')
                return 0;
            label_start = i + 1;
        } else if (!is_alnum_lower(h[i]) && h[i] != '-') {
            return 0;
        }
    }
    return 1;
}

/* Match "http://" or "https://" case-insensitively; returns the prefix length or 0. */
static size_t scheme_prefix(const char *s, size_t len, int *https)
{
    static const struct {
        const char *prefix;
        size_t len;
        int https;
    } schemes[] = {{"http://", 7, 0}, {"https://", 8, 1}};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (len >= schemes[i].len && equal_nocase(s, schemes[i].prefix, schemes[i].len)) {
            *https = schemes[i].https;
            return schemes[i].len;
        }
    }
    return 0;
}

/* Parse "1".."65535" from p[0..n). */
static int port_parse(const char *p, size_t n, unsigned *port)
{
    if (n == 0 || n > 5)
        return AFF_EINVAL;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return AFF_EINVAL;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return AFF_EINVAL;
    *port = v;
    return AFF_OK;
}

int aff_url_parse(const char *s, size_t len, aff_url *out)
{
    if (len > AFF_URL_MAX)
        return AFF_ETOOBIG;
    if (s == NULL || out == NULL)
        return AFF_EINVAL;
    /* Controls, space, DEL and backslash are never part of a URL we redirect to. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return AFF_EINVAL;
    }
    aff_url u;
    memset(&u, 0, sizeof(u));
    size_t auth_start = scheme_prefix(s, len, &u.https);
    if (auth_start == 0)
        return AFF_EINVAL;
    size_t auth_end = auth_start;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
        auth_end++;
    /* Userinfo, escapes and IPv6 literals are all refused by the host/port syntax below
     * ('@', '%', '[' are outside it), so a single character-set check covers them. */
    size_t host_end = auth_start;
    while (host_end < auth_end && s[host_end] != ':')
        host_end++;
    if (host_end < auth_end && port_parse(s + host_end + 1, auth_end - host_end - 1, &u.port) != AFF_OK)
        return AFF_EINVAL;
    size_t host_len = host_end - auth_start;
    if (host_len > 0 && s[host_end - 1] == '.')
        host_len--; /* one trailing dot names the same host */
    if (host_len == 0 || host_len > HOST_MAX)
        return AFF_EINVAL;
    for (size_t i = 0; i < host_len; i++)
        u.host[i] = lower_ascii(s[auth_start + i]);
    u.host[host_len] = '\0';
    if (!hostname_valid(u.host, host_len))
        return AFF_EINVAL;
    u.path_start = s + auth_end;
    *out = u;
    return AFF_OK;
}

/* Does host match one trimmed allow-list entry e[0..n)? */
static int entry_matches(const char *host, size_t host_len, const char *e, size_t n)
{
    if (n >= 2 && e[0] == '*' && e[1] == '.') {
        const char *suffix = e + 2;
        size_t slen = n - 2;
        /* Need at least one character and a dot before the suffix. */
        if (slen == 0 || host_len < slen + 2)
            return 0;
        return host[host_len - slen - 1] == '.' && equal_nocase(host + host_len - slen, suffix, slen);
    }
    return n == host_len && n > 0 && equal_nocase(host, e, n);
}

/* Split the entry starting at p off a comma-separated list, spaces and tabs trimmed.
 * Returns where the next entry starts, or NULL when this was the last one. */
static const char *split_entry(const char *p, const char **entry, size_t *entry_len)
{
    const char *comma = strchr(p, ',');
    const char *end = comma != NULL ? comma : p + strlen(p);
    while (p < end && is_space_or_tab(*p))
        p++;
    while (end > p && is_space_or_tab(end[-1]))
        end--;
    *entry = p;
    *entry_len = (size_t)(end - p);
    return comma != NULL ? comma + 1 : NULL;
}

int aff_url_host_allowed(const char *host, const char *domains)
{
    if (host == NULL || domains == NULL)
        return 0;
    size_t host_len = strlen(host);
    if (host_len == 0)
        return 0;
    const char *p = domains, *e;
    size_t n;
    while (p != NULL) {
        p = split_entry(p, &e, &n);
        if (entry_matches(host, host_len, e, n))
            return 1;
    }
    return 0;
}

int aff_url_domains_validate(const char *domains)
{
    if (domains == NULL)
        return AFF_EINVAL;
    const char *p = domains, *e;
    size_t n;
    p = split_entry(p, &e, &n);
    if (p == NULL && n == 0)
        return AFF_OK; /* an empty (or blank) list allows nothing */
    for (;;) {
        /* Every entry must be present: "a.com,,b.com" and "a.com," are typos. */
        if (n >= 2 && e[0] == '*' && e[1] == '.') {
            e += 2;
            n -= 2;
        }
        if (!hostname_valid(e, n))
            return AFF_EINVAL;
        if (p == NULL)
            return AFF_OK;
        p = split_entry(p, &e, &n);
    }
}

/* Bounded writer: records overflow instead of truncating silently. */
typedef struct out_buf {
    char *p;
    size_t cap, len;
    int overflow;
} out_buf;

static void out_put(out_buf *o, const char *s, size_t n)
{
    if (o->overflow || n >= o->cap - o->len) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/* Runs of unreserved bytes are copied whole: a click id went byte by byte, a call per
 * byte, ~900 instructions of every redirect (callgrind). */
static void out_put_encoded(out_buf *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    while (*s != '\0') {
        size_t run = 0;
        while (s[run] != '\0' && is_unreserved((unsigned char)s[run]))
            run++;
        out_put(o, s, run);
        s += run;
        if (*s != '\0') {
            unsigned char c = (unsigned char)*s++;
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            out_put(o, esc, 3);
        }
    }
}

int aff_url_append_param(const char *url, size_t url_len, const char *name, const char *value, char *out,
                         size_t out_cap)
{
    if (url == NULL || name == NULL || value == NULL || out == NULL)
        return AFF_EINVAL;
    if (out_cap == 0)
        return AFF_ETOOBIG;
    const char *hash = memchr(url, '#', url_len);
    size_t base_len = hash != NULL ? (size_t)(hash - url) : url_len;
    const char *q = memchr(url, '?', base_len);
    out_buf o = {out, out_cap > INT32_MAX ? INT32_MAX : out_cap, 0, 0};
    out_put(&o, url, base_len);
    if (q == NULL)
        out_put(&o, "?", 1);
    else if (url[base_len - 1] != '?' && url[base_len - 1] != '&')
        out_put(&o, "&", 1);
    out_put_encoded(&o, name);
    out_put(&o, "=", 1);
    out_put_encoded(&o, value);
    out_put(&o, url + base_len, url_len - base_len);
    if (o.overflow) {
        out[0] = '\0';
        return AFF_ETOOBIG;
    }
    out[o.len] = '\0';
    return (int)o.len;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower_ascii(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int aff_url_decode_component(const char *s, size_t len, char *out)
{
    if (s == NULL || out == NULL || len > INT32_MAX)
        return AFF_EINVAL;
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (len - i < 3)
                return AFF_EINVAL;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return AFF_EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return AFF_EINVAL;
        out[w++] = c;
    }
    out[w] = '\0';
    return (int)w;
}

int aff_query_next(const char *query, size_t len, size_t *cursor, const char **name, size_t *name_len,
                   const char **value, size_t *value_len)
{
    if (query == NULL || cursor == NULL)
        return 0;
    size_t i = *cursor;
    while (i < len && query[i] == '&')
        i++; /* empty segments ("a=1&&b=2", a leading or trailing '&') are skipped */
    if (i >= len) {
        *cursor = len;
        return 0;
    }
    const char *seg = query + i;
    const char *amp = memchr(seg, '&', len - i);
    size_t seg_len = amp != NULL ? (size_t)(amp - seg) : len - i;
    const char *eq = memchr(seg, '=', seg_len);
    *name = seg;
    if (eq != NULL) {
        *name_len = (size_t)(eq - seg);
        *value = eq + 1;
        *value_len = seg_len - *name_len - 1;
    } else {
        *name_len = seg_len;
        *value = seg + seg_len;
        *value_len = 0;
    }
    *cursor = i + seg_len;
    return 1;
}
