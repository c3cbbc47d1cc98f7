/*
 * fuzz_url_append.c - aff_url_append_param, which writes click ids and sub-ids (values
 * an affiliate controls) into destination URLs, with a bounded output buffer.
 *
 * Input layout: byte 0 picks the output capacity (see below), the rest is
 * URL '\0' NAME '\0' VALUE (missing parts default to name "click_id", value "v").
 * Checks: the result equals what a reference builder makes (the URL up to '#', then
 * '?' or '&' unless it already ends a query, the encoded pair, then the fragment), with
 * only unreserved characters or %XX in the encoded pair; it succeeds exactly when the
 * result and its NUL fit the capacity (exact fit, one byte short, small and large caps
 * are all tried), never writes past the capacity (the buffer is sized exactly), and the
 * encoded value percent-decodes back to the value.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/url.h"

static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/* Percent-encode s into out (3 * strlen(s) + 1 bytes); returns the length. */
static size_t encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (unreserved(c)) {
            out[w++] = (char)c;
        } else {
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 15];
        }
    }
    out[w] = '\0';
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned sel = data[0];
    char *all = fuzz_memdup(data + 1, size - 1);
    size_t n = size - 1;
    const char *nul1 = memchr(all, '\0', n);
    size_t url_len = nul1 != NULL ? (size_t)(nul1 - all) : n;
    char *url = fuzz_memdup((const uint8_t *)all, url_len);
    char *name = fuzz_strndup((const uint8_t *)"click_id", 8);
    char *value = fuzz_strndup((const uint8_t *)"v", 1);
    if (nul1 != NULL) {
        const char *rest = nul1 + 1;
        size_t rest_len = n - url_len - 1;
        const char *nul2 = memchr(rest, '\0', rest_len);
        free(name);
        free(value);
        if (nul2 != NULL) {
            name = fuzz_strndup((const uint8_t *)rest, (size_t)(nul2 - rest));
            value = fuzz_strndup((const uint8_t *)nul2 + 1, rest_len - (size_t)(nul2 - rest) - 1);
        } else {
            name = fuzz_strndup((const uint8_t *)rest, rest_len);
            value = fuzz_strndup((const uint8_t *)"", 0);
        }
    }

    /* The reference result. */
    size_t want_cap = url_len + 1 + 3 * strlen(name) + 1 + 3 * strlen(value) + 1;
    char *want = malloc(want_cap), *enc_value = malloc(3 * strlen(value) + 1);
    FUZZ_CHECK(want != NULL && enc_value != NULL);
    const char *hash = memchr(url, '#', url_len);
    size_t base_len = hash != NULL ? (size_t)(hash - url) : url_len;
    size_t w = 0;
    memcpy(want, url, base_len);
    w = base_len;
    if (memchr(url, '?', base_len) == NULL)
        want[w++] = '?';
    else if (url[base_len - 1] != '?' && url[base_len - 1] != '&')
        want[w++] = '&';
    w += encode(name, want + w);
    want[w++] = '=';
    size_t ev = encode(value, enc_value);
    memcpy(want + w, enc_value, ev);
    w += ev;
    memcpy(want + w, url + base_len, url_len - base_len);
    w += url_len - base_len;
    want[w] = '\0';

    size_t caps[4] = {w + 1, w, (size_t)(size > 1 ? data[1] : 0), w + 100};
    for (int k = 0; k < 4; k++) {
        size_t cap = caps[(sel + (unsigned)k) % 4];
        char *out = malloc(cap > 0 ? cap : 1);
        FUZZ_CHECK(out != NULL);
        int rc = aff_url_append_param(url, url_len, name, value, out, cap);
        if (w + 1 <= cap) {
            FUZZ_CHECK(rc >= 0 && (size_t)rc == w);
            FUZZ_CHECK(memcmp(out, want, w + 1) == 0);
        } else {
            FUZZ_CHECK(rc == AFF_ETOOBIG);
        }
        free(out);
    }

    char *decoded = malloc(ev + 1);
    FUZZ_CHECK(decoded != NULL);
    int dn = aff_url_decode_component(enc_value, ev, decoded);
    FUZZ_CHECK(dn >= 0 && (size_t)dn == strlen(value) && strcmp(decoded, value) == 0);

    free(decoded);
    free(enc_value);
    free(want);
    free(value);
    free(name);
    free(url);
    free(all);
    return 0;
}
