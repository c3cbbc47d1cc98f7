/*
 * fuzz_cookie.c - Cookie headers as a browser (or anyone) sends them: aff_http_cookie
 * (net/http.h) and aff_session_cookie / aff_session_csrf (net/session.h), which read the
 * dashboard's session cookie on every cookie-authenticated request. Each line of the
 * input is one Cookie header.
 *
 * Checks: a found value is NUL-terminated, shorter than the buffer, free of ';', and
 * occurs in the input right after "NAME="; the CSRF token of any found session token is
 * AFF_CSRF_LEN lower-case hex characters.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#include "net/http.h"
#include "net/session.h"

static void check_found(const char *input, size_t size, const char *name, const char *value, size_t cap)
{
    size_t n = strnlen(value, cap);
    FUZZ_CHECK(n < cap);
    FUZZ_CHECK(memchr(value, ';', n) == NULL);
    char needle[600];
    int k = snprintf(needle, sizeof(needle), "%s=%s", name, value);
    FUZZ_CHECK(k > 0 && (size_t)k < sizeof(needle));
    FUZZ_CHECK(memmem(input, size, needle, (size_t)k) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_memdup(data, size);
    h2o_req_t req;
    memset(&req, 0, sizeof(req));
    h2o_mem_init_pool(&req.pool);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || input[i] == '\n') {
            h2o_add_header(&req.pool, &req.headers, H2O_TOKEN_COOKIE, NULL, input + start, i - start);
            start = i + 1;
        }
    }
    static const char *const names[] = {"afftrack_click", "afftrack_session", "__Host-afftrack_session", "a"};
    char out[80];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (aff_http_cookie(&req, names[i], out, sizeof(out)))
            check_found(input, size, names[i], out, sizeof(out));
    char token[AFF_SESSION_TOKEN_MAX + 1];
    if (aff_session_cookie(&req, token, sizeof(token))) {
        FUZZ_CHECK(strnlen(token, sizeof(token)) < sizeof(token));
        char csrf[AFF_CSRF_LEN + 1];
        aff_session_csrf(token, csrf);
        FUZZ_CHECK(strlen(csrf) == AFF_CSRF_LEN && strspn(csrf, "0123456789abcdef") == AFF_CSRF_LEN);
    }
    h2o_mem_clear_pool(&req.pool);
    free(input);
    return 0;
}
