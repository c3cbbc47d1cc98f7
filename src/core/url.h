/*
 * url.h - the URL work of the tracking path: parsing absolute http(s) URLs strictly
 * enough to decide where a redirect really goes, matching hosts against a program's
 * allowed_domains, appending query parameters, and decoding query strings.
 *
 * Security invariant (no open redirects): aff_url_parse accepts only what a browser
 * would send to the same host that we extracted. Anything ambiguous is rejected, not
 * "fixed": userinfo ("evil.com@good.com", "good.com:x@evil.com"), backslashes anywhere
 * in the authority or before it, control characters or spaces, percent-encoding inside
 * the host, non-ASCII hosts (IDN must arrive as punycode "xn--..."), scheme-relative
 * "//host", schemes other than http and https, empty hosts, ports outside 1..65535,
 * and hosts with characters outside [a-z0-9.-] (IPv6 literals are not accepted as
 * destinations). The host is lower-cased; one trailing dot is removed.
 * No allocation: results point into the caller's buffers. Thread-safe.
 */
#ifndef AFF_CORE_URL_H
#define AFF_CORE_URL_H

#include <stddef.h>

#define AFF_URL_MAX 4096 /* longest destination URL accepted, in bytes */

typedef struct aff_url {
    int https;              /* 1 for https, 0 for http */
    char host[256];         /* lower-cased, NUL-terminated, trailing dot removed */
    unsigned port;          /* explicit port or 0 */
    const char *path_start; /* points into the input at the first of '/', '?', '#' after the authority, or at its end */
} aff_url;

/* Parse an absolute http(s) URL of len bytes. Returns 0, AFF_EINVAL when it is not a
 * URL we would ever redirect to, AFF_ETOOBIG when len > AFF_URL_MAX. */
int aff_url_parse(const char *s, size_t len, aff_url *out);

/* Does host (lower-case, from aff_url_parse) match one entry of the allow-list?
 * domains is a comma-separated list such as "shop.example.com,*.example.org".
 * An entry "example.com" matches exactly that host; "*.example.com" matches any
 * subdomain of it (not example.com itself, not "badexample.com", not
 * "example.com.evil.net"). Entries are compared case-insensitively, whitespace around
 * entries is ignored. Returns 1 on a match, 0 otherwise. */
int aff_url_host_allowed(const char *host, const char *domains);

/* Validate a comma-separated allow-list as stored on a program: every entry is a
 * hostname or "*." + hostname, lower-case letters, digits, '-' and '.', no empty labels.
 * An empty list is valid (nothing allowed). Returns 0 or AFF_EINVAL. */
int aff_url_domains_validate(const char *domains);

/* Append name=value to url (which may already have a query and/or a #fragment: the
 * parameter goes before the fragment), percent-encoding value as a query component.
 * An existing parameter of the same name is left in place (the new one is appended).
 * Writes a NUL-terminated result into out; returns its length or AFF_ETOOBIG. */
int aff_url_append_param(const char *url, size_t url_len, const char *name, const char *value, char *out,
                         size_t out_cap);

/* Percent-decode len bytes of a query component into out ('+' becomes a space).
 * Rejects malformed escapes ("%4", "%zz") and decoded NUL bytes. out needs len + 1
 * bytes; NUL-terminated. Returns the decoded length or AFF_EINVAL. */
int aff_url_decode_component(const char *s, size_t len, char *out);

/* Iterate over a query string "a=1&b=2" (without the leading '?'). On each call sets
 * name/value pointers and lengths (still encoded) and advances *cursor; returns 1 while
 * there is a pair, 0 at the end. A pair without '=' has an empty value. */
int aff_query_next(const char *query, size_t len, size_t *cursor, const char **name, size_t *name_len,
                   const char **value, size_t *value_len);

#endif
