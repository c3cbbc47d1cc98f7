/* jsonw.c - streaming JSON writer; see jsonw.h. */
#include "core/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

void aff_jw_init(aff_jw *w)
{
    memset(w, 0, sizeof(*w));
}

void aff_jw_free(aff_jw *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* Room for n more bytes and the final NUL; 0, or the sticky error. */
static int grow(aff_jw *w, size_t n)
{
    if (w->err)
        return w->err;
    size_t cap = w->cap ? w->cap : 512;
    while (w->len + n + 1 > cap)
        cap *= 2;
    char *b = realloc(w->buf, cap);
    if (b == NULL)
        return w->err = AFF_ENOMEM;
    w->buf = b;
    w->cap = cap;
    return 0;
}

/* The text is NUL-terminated by aff_jw_finish only: appends are the writer's hot path
 * (an answer is a few hundred of them). */
static inline void put(aff_jw *w, const char *s, size_t n)
{
    if ((w->len + n + 1 > w->cap || w->err) && grow(w, n) != 0)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* first[] per level: 1 = nothing written yet, 2 = a key was just written, 0 = otherwise. */
/* Before a value: a comma unless it is the first at this level or follows a key. */
static void value_sep(aff_jw *w)
{
    if (w->depth > 0) {
        if (w->first[w->depth - 1] == 0)
            put(w, ",", 1);
        w->first[w->depth - 1] = 0;
    }
}

static void open(aff_jw *w, char c)
{
    value_sep(w);
    if (w->depth == AFF_JW_DEPTH) {
        w->err = AFF_ERANGE;
        return;
    }
    put(w, &c, 1);
    w->first[w->depth++] = 1;
}

static void close_level(aff_jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void aff_jw_begin_object(aff_jw *w)
{
    open(w, '{');
}
void aff_jw_end_object(aff_jw *w)
{
    close_level(w, '}');
}
void aff_jw_begin_array(aff_jw *w)
{
    open(w, '[');
}
void aff_jw_end_array(aff_jw *w)
{
    close_level(w, ']');
}

/* Bytes a JSON string cannot hold as they are: control characters, '"' and '\\'. */
static const unsigned char needs_escape[256] = {
    [0 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
};

static void put_escaped(aff_jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    const char *run = s;
    for (;; s++) {
        unsigned char c = (unsigned char)*s;
        if (!needs_escape[c])
            continue;
        put(w, run, (size_t)(s - run));
        if (c == '\0')
            break;
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            e[1] = (char)c;
            put(w, e, 2);
        } else {
            put(w, e, 6);
        }
        run = s + 1;
    }
    put(w, "\"", 1);
}

void aff_jw_key(aff_jw *w, const char *name)
{
    size_t n = strlen(name);
    if (w->err || (w->len + n + 5 > w->cap && grow(w, n + 4) != 0))
        return;
    /* [,]"name": straight into the buffer (names are the code's identifiers, see .h) */
    char *p = w->buf + w->len;
    if (w->depth > 0 && w->first[w->depth - 1] == 0)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, name, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    w->len = (size_t)(p - w->buf);
    if (w->depth > 0)
        w->first[w->depth - 1] = 2; /* the value that follows takes no comma */
}

void aff_jw_string(aff_jw *w, const char *s)
{
    value_sep(w);
    put_escaped(w, s);
}

void aff_jw_null(aff_jw *w)
{
    value_sep(w);
    put(w, "null", 4);
}

void aff_jw_string_or_null(aff_jw *w, const char *s)
{
    if (s == NULL || s[0] == '\0')
        aff_jw_null(w);
    else
        aff_jw_string(w, s);
}

void aff_jw_int(aff_jw *w, int64_t v)
{
    char buf[24];
    size_t n = sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        buf[--n] = '-';
    if (w->depth > 0 && w->first[w->depth - 1] == 0)
        buf[--n] = ','; /* value_sep's comma in the same append */
    if (w->depth > 0)
        w->first[w->depth - 1] = 0;
    put(w, buf + n, sizeof(buf) - n);
}

void aff_jw_real(aff_jw *w, double v, int precision)
{
    /* As jansson writes a real (JSON_REAL_PRECISION(precision)), so answers built either
     * way read the same: "%.*g", ".0" when that looks like an integer, and an exponent
     * without '+' or leading zeros ("1e-06" -> "1e-6"). */
    char buf[40];
    int n = snprintf(buf, sizeof(buf) - 2, "%.*g", precision, v);
    if (n < 0 || (size_t)n >= sizeof(buf) - 2 || strspn(buf, "-0123456789.e+") != (size_t)n) {
        aff_jw_null(w); /* inf, nan: JSON has no such number */
        return;
    }
    char *e = strchr(buf, 'e');
    if (e == NULL && strchr(buf, '.') == NULL) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    } else if (e != NULL) {
        char *start = e + 1, *end = start;
        if (*end == '+')
            end++;
        else if (*end == '-')
            start = ++end;
        while (*end == '0' && end[1] != '\0')
            end++;
        memmove(start, end, strlen(end) + 1);
        n = (int)strlen(buf);
    }
    value_sep(w);
    put(w, buf, (size_t)n);
}

void aff_jw_id(aff_jw *w, int64_t v)
{
    if (v == 0)
        aff_jw_null(w);
    else
        aff_jw_int(w, v);
}

void aff_jw_bool(aff_jw *w, int v)
{
    value_sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void aff_jw_raw(aff_jw *w, const char *json)
{
    value_sep(w);
    put(w, json, strlen(json));
}

int aff_jw_finish(aff_jw *w)
{
    if (w->err == 0 && (w->buf != NULL || grow(w, 0) == 0))
        w->buf[w->len] = '\0'; /* put and grow keep a byte for it */
    return w->err;
}
