/*
 * sqlite_sorted.c - sorted, filtered and searched lists of the SQLite backend.
 *
 * Owns: building one statement from a list's shape (sqlite_int.h aff_sq_shape) and the
 * query, and paging it by keyset. Does not own: the shapes (each file of the backend
 * describes its own tables) or the default id-ordered lists (list_stmt and
 * sqlite_ledger.c keep those, unchanged, for clients that set none of this).
 * Invariants: a page starts strictly after the cursor's (sort value, id) in the sort's
 * direction, and the order is total (id breaks ties), so consecutive pages neither skip
 * nor repeat a row even when many rows share a sort value. Only the filters that are set
 * are named; the first set filter of the shape leads through its index and the others
 * are written `+col` (see list_stmt in store_sqlite.c for why). A time range or a status
 * is tested row by row along whatever the leading filter chose; a prefix search of a
 * column with an index (a link's code) is a range of that index, a substring search of
 * a name or an email scans the rows the filters leave. A filter given as a condition
 * (membership, an effective status) is tested row by row and never leads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

#define TEXT_MAX 2048
#define BINDS_MAX 16
#define RAW_MAX 32 /* bytes of a blob value: a raw click id, a time prefix */

enum { B_INT, B_TEXT, B_BLOB };
typedef struct bind {
    int type; /* B_* */
    int64_t i;
    const char *s; /* text, or blob of i bytes */
} bind;

typedef struct builder {
    char text[TEXT_MAX];
    size_t n;
    bind b[BINDS_MAX];
    int nb;
    int overflow;
    char search_lo[2 * AFF_CURSOR_TEXT_MAX + 4], search_hi[2 * AFF_CURSOR_TEXT_MAX + 4];
    unsigned char raw[3][RAW_MAX]; /* blob values: cursor id, time from, time to */
} builder;

static void put(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = b->n < sizeof(b->text) ? vsnprintf(b->text + b->n, sizeof(b->text) - b->n, fmt, ap) : -1;
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(b->text) - b->n)
        b->overflow = 1;
    else
        b->n += (size_t)n;
}

/* The next parameter's number, binding an integer or a text to it. */
static int param_int(builder *b, int64_t v)
{
    if (b->nb == BINDS_MAX) {
        b->overflow = 1;
        return 1;
    }
    b->b[b->nb] = (bind){B_INT, v, NULL};
    return ++b->nb;
}

static int param_text(builder *b, const char *s)
{
    if (b->nb == BINDS_MAX) {
        b->overflow = 1;
        return 1;
    }
    b->b[b->nb] = (bind){B_TEXT, 0, s};
    return ++b->nb;
}

static int param_blob(builder *b, const unsigned char *v, size_t len)
{
    if (b->nb == BINDS_MAX) {
        b->overflow = 1;
        return 1;
    }
    b->b[b->nb] = (bind){B_BLOB, (int64_t)len, (const char *)v};
    return ++b->nb;
}

/* A filter: `col = ?p`, or the condition col with each `?` made `?p`. */
static void where_filter(builder *b, const char *col, int p, int lead)
{
    if (strchr(col, '?') == NULL) {
        put(b, " AND %s%s = ?%d", lead ? "" : "+", col, p);
        return;
    }
    put(b, " AND ");
    for (const char *c = col; *c != '\0'; c++) {
        const char *q = strchr(c, '?');
        size_t n = q != NULL ? (size_t)(q - c) : strlen(c);
        put(b, "%.*s", (int)n, c);
        if (q == NULL)
            break;
        put(b, "?%d", p);
        c = q;
    }
}

int aff_sq_sort_is_text(int k)
{
    return k == AFF_SORT_NAME || k == AFF_SORT_EMAIL || k == AFF_SORT_CODE || k == AFF_SORT_STATUS ||
           k == AFF_SORT_ORDER_ID || k == AFF_SORT_IP || k == AFF_SORT_SUB1 || k == AFF_SORT_TITLE;
}

static int filter_value(const aff_list_query *lq, int field, int64_t *v, const char **s)
{
    switch (field) {
    case AFF_SQ_F_PROGRAM:
        *v = lq->program_id;
        break;
    case AFF_SQ_F_AFFILIATE:
        *v = lq->affiliate_id;
        break;
    case AFF_SQ_F_LINK:
        *v = lq->link_id;
        break;
    case AFF_SQ_F_CONVERSION:
        *v = lq->conversion_id;
        break;
    case AFF_SQ_F_RUN:
        *v = lq->run_id;
        break;
    case AFF_SQ_F_PAYOUT:
        *v = lq->payout_id;
        break;
    default:
        *s = lq->status;
        return lq->status != NULL && lq->status[0] != '\0';
    }
    return *v != 0;
}

/* `col LIKE %s%` with s's LIKE wildcards escaped, into out. */
static void like_pattern(const char *s, char *out, size_t cap)
{
    size_t w = 0;
    out[w++] = '%';
    for (; *s != '\0' && w + 3 < cap; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            out[w++] = '\\';
        out[w++] = *s;
    }
    out[w++] = '%';
    out[w] = '\0';
}

static void where_search(builder *b, const aff_sq_shape *sh, const char *search)
{
    if (sh->search_mode == AFF_SQ_SEARCH_CONTAINS) {
        like_pattern(search, b->search_lo, sizeof(b->search_lo));
        int p = param_text(b, b->search_lo);
        put(b, " AND (%s LIKE ?%d ESCAPE '\\'", sh->search[0], p);
        if (sh->search[1] != NULL)
            put(b, " OR %s LIKE ?%d ESCAPE '\\'", sh->search[1], p);
        put(b, ")");
        return;
    }
    /* A prefix is the range [s, s + 0xff): no UTF-8 text continues with byte 0xff, and
     * a range keeps the column's index usable (LIKE would not, being case-insensitive). */
    snprintf(b->search_lo, sizeof(b->search_lo), "%s", search);
    if (sh->search_mode == AFF_SQ_SEARCH_PREFIX_UPPER)
        for (char *c = b->search_lo; *c != '\0'; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
    size_t n = strlen(b->search_lo);
    memcpy(b->search_hi, b->search_lo, n);
    b->search_hi[n] = '\xff';
    b->search_hi[n + 1] = '\0';
    int lo = param_text(b, b->search_lo), hi = param_text(b, b->search_hi);
    put(b, " AND %s >= ?%d AND %s < ?%d", sh->search[0], lo, sh->search[0], hi);
}

/* The parameter of the cursor's id: its integer, or its text id as the column's value. */
static int param_id(builder *b, const aff_sq_shape *sh, const aff_list_query *lq)
{
    size_t len = 0;
    if (sh->id_raw == NULL)
        return param_int(b, lq->from.id);
    if (sh->id_raw(lq->from.tid, b->raw[0], &len) != 0 || len > RAW_MAX)
        return -1;
    return param_blob(b, b->raw[0], len);
}

static int where_cursor(builder *b, const aff_sq_shape *sh, const aff_list_query *lq, const char *col, int text)
{
    const char *op = lq->desc ? "<" : ">";
    if (lq->sort == AFF_SORT_ID) {
        int id = param_id(b, sh, lq);
        put(b, " AND %s %s ?%d", sh->id, op, id);
        return id < 0 ? AFF_EINVAL : 0;
    }
    int v = text ? param_text(b, lq->from.sval) : param_int(b, lq->from.ival);
    int id = param_id(b, sh, lq);
    put(b, " AND (%s, %s) %s (?%d, ?%d)", col, sh->id, op, v, id);
    return id < 0 ? AFF_EINVAL : 0;
}

static void where_time(builder *b, const aff_sq_shape *sh, const aff_list_query *lq)
{
    int64_t bound[2] = {lq->created_from, lq->created_to};
    for (int i = 0; i < 2; i++) {
        if (bound[i] == 0)
            continue;
        const char *op = i == 0 ? ">=" : "<";
        size_t len = 0;
        if (sh->time_raw == NULL) {
            put(b, " AND %s %s ?%d", sh->time, op, param_int(b, bound[i]));
            continue;
        }
        sh->time_raw(bound[i], b->raw[1 + i], &len);
        put(b, " AND %s %s ?%d", sh->id, op, param_blob(b, b->raw[1 + i], len));
    }
}

static int build(builder *b, const aff_sq_shape *sh, const aff_list_query *lq)
{
    if (lq->sort < 0 || lq->sort >= AFF_SORT_COUNT)
        return AFF_EINVAL;
    const char *col = sh->sort[lq->sort].col;
    int text = aff_sq_sort_is_text(lq->sort), lead = 1;
    if (lq->sort != AFF_SORT_ID && col == NULL)
        return AFF_EINVAL;
    if (lq->from.set && lq->sort != AFF_SORT_ID && lq->from.is_text != text)
        return AFF_EINVAL;
    if (lq->from.set && (sh->id_raw != NULL) != (lq->from.tid[0] != '\0'))
        return AFF_EINVAL; /* a text id on a list of integer ids, or the other way round */
    if ((lq->created_from || lq->created_to) && sh->time == NULL && sh->time_raw == NULL)
        return AFF_EINVAL;
    if (lq->search != NULL && lq->search[0] != '\0' && sh->search_mode == AFF_SQ_SEARCH_NONE)
        return AFF_EINVAL;
    put(b, "%s WHERE 1", sh->select);
    if (sh->fixed != NULL)
        put(b, " AND %s", sh->fixed);
    for (int k = 0; k < AFF_SQ_SHAPE_FILTERS && sh->filter[k].col != NULL; k++) {
        int64_t v = 0;
        const char *s = NULL;
        if (!filter_value(lq, sh->filter[k].field, &v, &s))
            continue;
        int p = s != NULL ? param_text(b, s) : param_int(b, v);
        where_filter(b, sh->filter[k].col, p, lead);
        if (strchr(sh->filter[k].col, '?') == NULL)
            lead = 0;
    }
    where_time(b, sh, lq);
    if (lq->search != NULL && lq->search[0] != '\0')
        where_search(b, sh, lq->search);
    if (lq->from.set && where_cursor(b, sh, lq, col, text) != 0)
        return AFF_EINVAL;
    const char *dir = lq->desc ? " DESC" : "";
    if (lq->sort == AFF_SORT_ID)
        put(b, " ORDER BY %s%s", sh->id, dir);
    else
        put(b, " ORDER BY %s%s, %s%s", col, dir, sh->id, dir);
    put(b, " LIMIT ?%d", param_int(b, lq->limit > 0 ? lq->limit : -1));
    return b->overflow ? AFF_ETOOBIG : 0;
}

/* The sort value and id of row, as a cursor position. */
static void key_of(const aff_sq_shape *sh, const aff_list_query *lq, const void *row, aff_list_key *k)
{
    const char *base = row;
    memset(k, 0, sizeof(*k));
    k->set = 1;
    if (sh->id_raw != NULL)
        snprintf(k->tid, sizeof(k->tid), "%s", base + sh->id_off);
    else
        memcpy(&k->id, base + sh->id_off, sizeof(k->id));
    if (lq->sort == AFF_SORT_ID) {
        k->ival = k->id;
    } else if (aff_sq_sort_is_text(lq->sort)) {
        k->is_text = 1;
        snprintf(k->sval, sizeof(k->sval), "%s", base + sh->sort[lq->sort].off);
    } else {
        memcpy(&k->ival, base + sh->sort[lq->sort].off, sizeof(k->ival));
    }
}

int aff_sq_sorted_list(aff_store *st, const aff_sq_shape *sh, const aff_list_query *lq, int (*cb)(void *, const void *),
                       void *ud)
{
    builder *b = calloc(1, sizeof(*b));
    void *row = NULL;
    int rc;
    if (b == NULL)
        return AFF_ENOMEM;
    if ((rc = build(b, sh, lq)) != 0)
        goto free_builder;
    sqlite3_stmt *q = aff_sq_cached_stmt(st, b->text);
    if (q == NULL) {
        rc = AFF_ESTORE;
        goto free_builder;
    }
    for (int i = 0; i < b->nb; i++)
        if (b->b[i].type == B_TEXT)
            sqlite3_bind_text(q, i + 1, b->b[i].s, -1, SQLITE_STATIC);
        else if (b->b[i].type == B_BLOB)
            sqlite3_bind_blob(q, i + 1, b->b[i].s, (int)b->b[i].i, SQLITE_STATIC);
        else
            sqlite3_bind_int64(q, i + 1, b->b[i].i);
    aff_sq_note_list(st, q);
    if ((row = malloc(sh->row_size)) == NULL) {
        rc = AFF_ENOMEM;
        goto reset;
    }
    while (step_row(q, &rc)) {
        sh->read(q, row);
        int crc = cb(ud, row);
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            break;
        }
        if (lq->last != NULL)
            key_of(sh, lq, row, lq->last);
    }
    free(row);
reset:
    sqlite3_reset(q);
free_builder:
    free(b);
    return rc;
}
