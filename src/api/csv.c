/*
 * csv.c - CSV exports of lists (docs/api.md "Lists": format=csv).
 *
 * Owns: turning the JSON objects a list renders into RFC 4180 lines: the header comes
 * from a template row (so an empty export still has one), cells are quoted when they
 * hold a comma, quote, CR or LF, and text cells starting with = + - @ TAB or CR get a
 * leading ' so that a spreadsheet never runs them as formulas. Money: every `X_minor`
 * column of a row with a `currency` is preceded by `X`, the decimal amount in the
 * currency's exponent (numbers we format, never prefixed, so "-4.99" stays a number).
 * Objects and arrays are written as their JSON text. Does not own: which rows (the
 * lists) or the HTTP answer (common.c).
 * Invariant: the text never exceeds the byte limit given at creation (AFF_ETOOBIG).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/money.h"

#define CSV_COLS 64

struct aff_csv {
    char *text;
    size_t len, cap, max;
    int ncols;
    struct {
        char key[64]; /* the JSON member */
        int money;    /* 1: the decimal form of key (an X_minor member) */
    } col[CSV_COLS];
    size_t rows;
};

static int grow(aff_csv *c, size_t more)
{
    if (c->len + more + 1 > c->max)
        return AFF_ETOOBIG;
    if (c->len + more + 1 <= c->cap)
        return 0;
    size_t cap = c->cap * 2 > c->len + more + 1 ? c->cap * 2 : c->len + more + 1 + 4096;
    char *t = realloc(c->text, cap);
    if (t == NULL)
        return AFF_ENOMEM;
    c->text = t;
    c->cap = cap;
    return 0;
}

static int put(aff_csv *c, const char *s, size_t n)
{
    int rc = grow(c, n);
    if (rc == 0) {
        memcpy(c->text + c->len, s, n);
        c->len += n;
        c->text[c->len] = '\0';
    }
    return rc;
}

/* One text cell: quoted when needed, with the formula guard. */
static int put_text(aff_csv *c, const char *s)
{
    int guard = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    int rc = 0;
    if (quote)
        rc = put(c, "\"", 1);
    if (rc == 0 && guard)
        rc = put(c, "'", 1);
    for (const char *p = s; rc == 0 && *p != '\0'; p++)
        rc = *p == '"' ? put(c, "\"\"", 2) : put(c, p, 1);
    if (rc == 0 && quote)
        rc = put(c, "\"", 1);
    return rc;
}

static int put_value(aff_csv *c, json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return put_text(c, json_string_value(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        return put(c, num, strlen(num));
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.6f", json_real_value(v));
        return put(c, num, strlen(num));
    case JSON_TRUE:
        return put(c, "true", 4);
    case JSON_FALSE:
        return put(c, "false", 5);
    case JSON_NULL:
        return 0;
    default: {
        char *j = json_dumps(v, JSON_COMPACT);
        int rc = j ? put_text(c, j) : AFF_ENOMEM;
        free(j);
        return rc;
    }
    }
}

static int ends_with_minor(const char *k, size_t *base)
{
    size_t n = strlen(k);
    if (n <= 6 || strcmp(k + n - 6, "_minor") != 0)
        return 0;
    *base = n - 6;
    return 1;
}

aff_csv *aff_csv_new(json_t *template_row, size_t max_bytes)
{
    aff_csv *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->max = max_bytes;
    int money = json_object_get(template_row, "currency") != NULL;
    const char *key;
    json_t *v;
    json_object_foreach(template_row, key, v)
    {
        size_t base;
        char minor[80];
        snprintf(minor, sizeof(minor), "%s_minor", key);
        if (money && json_object_get(template_row, minor) != NULL)
            continue; /* its decimal form is written from X_minor, below */
        if (c->ncols + 2 > CSV_COLS || strlen(key) >= sizeof(c->col[0].key))
            continue;
        if (money && ends_with_minor(key, &base)) {
            snprintf(c->col[c->ncols].key, sizeof(c->col[0].key), "%s", key);
            c->col[c->ncols++].money = 1;
        }
        snprintf(c->col[c->ncols++].key, sizeof(c->col[0].key), "%s", key);
    }
    int rc = 0;
    for (int i = 0; i < c->ncols && rc == 0; i++) {
        size_t base = strlen(c->col[i].key);
        if (c->col[i].money)
            ends_with_minor(c->col[i].key, &base);
        rc = (i ? put(c, ",", 1) : 0) || put(c, c->col[i].key, base);
    }
    if (rc != 0 || put(c, "\r\n", 2) != 0) {
        aff_csv_free(c);
        return NULL;
    }
    return c;
}

int aff_csv_row(aff_csv *c, json_t *row)
{
    int rc = 0;
    const char *cur = json_string_value(json_object_get(row, "currency"));
    for (int i = 0; i < c->ncols && rc == 0; i++) {
        json_t *v = json_object_get(row, c->col[i].key);
        if (i)
            rc = put(c, ",", 1);
        if (rc != 0 || v == NULL)
            continue;
        if (c->col[i].money && json_is_integer(v)) {
            char amount[48];
            int exp = 2;
            if (cur != NULL)
                aff_currency_exponent(cur, &exp);
            aff_money_format(json_integer_value(v), exp, amount, sizeof(amount));
            rc = put(c, amount, strlen(amount));
        } else if (!c->col[i].money) {
            rc = put_value(c, v);
        }
    }
    if (rc == 0)
        rc = put(c, "\r\n", 2);
    if (rc == 0)
        c->rows++;
    return rc;
}

size_t aff_csv_rows(const aff_csv *c)
{
    return c->rows;
}

char *aff_csv_take(aff_csv *c, size_t *len)
{
    char *t = c->text;
    *len = c->len;
    c->text = NULL;
    c->len = c->cap = 0;
    return t;
}

void aff_csv_free(aff_csv *c)
{
    if (c != NULL)
        free(c->text);
    free(c);
}
