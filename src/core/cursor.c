/* cursor.c - opaque page cursors: text form and strict parsing (see cursor.h). */
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/cursor.h"
#include "core/err.h"

#define RAW_MAX (AFF_CURSOR_MAX * 5 / 8 + 1) /* "1." + key + dir + id + kind + value */

/* The id field: decimal, or "t" and the text id. */
static int id_field(const aff_cursor *c, char *out, size_t cap)
{
    size_t n = strlen(c->tid);
    if (n == 0)
        return snprintf(out, cap, "%lld", (long long)c->id) < (int)cap ? 0 : AFF_EINVAL;
    if (n > AFF_CURSOR_TID_MAX || strspn(c->tid, "0123456789abcdefghijklmnopqrstuvwxyz") != n || c->id != 0)
        return AFF_EINVAL;
    return snprintf(out, cap, "t%s", c->tid) < (int)cap ? 0 : AFF_EINVAL;
}

int aff_cursor_encode(const aff_cursor *c, char *out, size_t cap)
{
    char raw[RAW_MAX], id[AFF_CURSOR_TID_MAX + 2];
    int n;
    if (c->key < 0 || c->key > 99 || (c->is_text && strlen(c->sval) > AFF_CURSOR_TEXT_MAX) ||
        id_field(c, id, sizeof(id)) != 0)
        return AFF_EINVAL;
    if (c->is_text)
        n = snprintf(raw, sizeof(raw), "1.%d.%c.%s.s%s", c->key, c->desc ? 'd' : 'a', id, c->sval);
    else
        n = snprintf(raw, sizeof(raw), "1.%d.%c.%s.i%lld", c->key, c->desc ? 'd' : 'a', id, (long long)c->ival);
    if (n < 0 || (size_t)n >= sizeof(raw))
        return AFF_EINVAL;
    if (cap < ((size_t)n * 8 + 4) / 5 + 1)
        return AFF_ETOOBIG;
    aff_base32_encode((const unsigned char *)raw, (size_t)n, out);
    return 0;
}

/* A decimal integer (optionally negative when allow_neg) filling s[0..len). */
static int parse_i64(const char *s, size_t len, int allow_neg, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (allow_neg && len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || len - i > 18)
        return AFF_EINVAL;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return AFF_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* The next '.'-terminated field of raw[*pos..n): its start and length. */
static int next_field(const char *raw, size_t n, size_t *pos, const char **f, size_t *flen)
{
    const char *dot = memchr(raw + *pos, '.', n - *pos);
    if (dot == NULL)
        return AFF_EINVAL;
    *f = raw + *pos;
    *flen = (size_t)(dot - *f);
    *pos += *flen + 1;
    return 0;
}

int aff_cursor_decode(const char *s, size_t len, aff_cursor *c)
{
    unsigned char raw[RAW_MAX];
    size_t n = len * 5 / 8, pos = 0, flen;
    const char *f;
    int64_t v;
    if (len == 0 || len > AFF_CURSOR_MAX || n >= sizeof(raw) || aff_base32_decode(s, len, raw, n) != 0)
        return AFF_EINVAL;
    const char *r = (const char *)raw;
    memset(c, 0, sizeof(*c));
    if (next_field(r, n, &pos, &f, &flen) != 0 || flen != 1 || f[0] != '1')
        return AFF_EINVAL;
    if (next_field(r, n, &pos, &f, &flen) != 0 || flen > 2 || parse_i64(f, flen, 0, &v) != 0)
        return AFF_EINVAL;
    c->key = (int)v;
    if (next_field(r, n, &pos, &f, &flen) != 0 || flen != 1 || (f[0] != 'a' && f[0] != 'd'))
        return AFF_EINVAL;
    c->desc = f[0] == 'd';
    if (next_field(r, n, &pos, &f, &flen) != 0)
        return AFF_EINVAL;
    if (flen > 0 && f[0] == 't') {
        if (flen < 2 || flen - 1 > AFF_CURSOR_TID_MAX)
            return AFF_EINVAL;
        for (size_t i = 1; i < flen; i++)
            if (!((f[i] >= '0' && f[i] <= '9') || (f[i] >= 'a' && f[i] <= 'z')))
                return AFF_EINVAL;
        memcpy(c->tid, f + 1, flen - 1);
        c->tid[flen - 1] = '\0';
    } else if (parse_i64(f, flen, 0, &c->id) != 0) {
        return AFF_EINVAL;
    }
    if (pos >= n)
        return AFF_EINVAL;
    const char *val = r + pos + 1;
    size_t vlen = n - pos - 1;
    if (r[pos] == 'i') {
        if (parse_i64(val, vlen, 1, &c->ival) != 0)
            return AFF_EINVAL;
    } else if (r[pos] == 's') {
        if (vlen > AFF_CURSOR_TEXT_MAX || memchr(val, '\0', vlen) != NULL)
            return AFF_EINVAL;
        memcpy(c->sval, val, vlen);
        c->sval[vlen] = '\0';
        c->is_text = 1;
    } else {
        return AFF_EINVAL;
    }
    return 0;
}
