/*
 * sqlite_int.h - what the files of the SQLite backend share (not a public header).
 *
 * Owns: the small statement helpers every store call uses (bind, step, read a column,
 * run a list) and the seam between store_sqlite.c (connection, schema, catalog,
 * clicks, conversions, rollups) and sqlite_ledger.c (ledger lines, balances, counting
 * periods, payouts). Does not own: any SQL text beyond its own file's statements.
 */
#ifndef AFF_STORE_SQLITE_INT_H
#define AFF_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store.h"

static inline int map_rc(int src)
{
    switch (src) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_CONSTRAINT:
        return AFF_EEXIST;
    case SQLITE_NOMEM:
        return AFF_ENOMEM;
    default:
        return AFF_ESTORE;
    }
}

/* Run a statement that returns no rows. */
static inline int exec_stmt(sqlite3_stmt *q)
{
    if (q == NULL)
        return AFF_ESTORE;
    int src = sqlite3_step(q);
    int rc = src == SQLITE_DONE ? 0 : map_rc(sqlite3_extended_errcode(sqlite3_db_handle(q)) & 0xff);
    sqlite3_reset(q);
    return rc;
}

/* Run an INSERT; on success *id is the new row's id. */
static inline int exec_insert(sqlite3_stmt *q, int64_t *id)
{
    int rc = exec_stmt(q);
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(sqlite3_db_handle(q));
    return rc;
}

static inline void bind_text(sqlite3_stmt *q, int i, const char *s)
{
    sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static inline void bind_opt_text(sqlite3_stmt *q, int i, const char *s)
{
    if (s != NULL && s[0] != '\0')
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static inline void col_text(sqlite3_stmt *q, int i, char *buf, size_t cap)
{
    /* One API call per column instead of two (column_text, then column_bytes): each
     * sqlite3_column_* call enters and leaves the connection's mutex and checks for
     * errors, which cost a third of loading 10^6 links at start. The value is
     * "unprotected", which only matters to a connection shared between threads; every
     * connection here belongs to one thread. */
    sqlite3_value *v = sqlite3_column_value(q, i);
    const unsigned char *t = sqlite3_value_text(v);
    size_t n = t ? (size_t)sqlite3_value_bytes(v) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(buf, t, n);
    buf[n] = '\0';
}

static inline int64_t col_i64(sqlite3_stmt *q, int i)
{
    return sqlite3_column_int64(q, i);
}

static inline int step_row(sqlite3_stmt *q, int *rc)
{
    int src = sqlite3_step(q);
    if (src == SQLITE_ROW)
        return 1;
    *rc = src == SQLITE_DONE ? 0 : map_rc(src);
    return 0;
}

static inline int list_limit(const aff_list_query *q)
{
    return q->limit > 0 ? q->limit : -1;
}

/* Runs a prepared list statement, reading each row into a caller-sized row buffer and
 * handing it to cb. One generic loop for every list call. */
static inline int run_list(sqlite3_stmt *q, void *row, void (*read)(sqlite3_stmt *, void *),
                           int (*cb)(void *, const void *), void *ud)
{
    int rc = 0;
    while (step_row(q, &rc)) {
        read(q, row);
        int crc = cb(ud, row);
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            break;
        }
    }
    sqlite3_reset(q);
    return rc;
}

/* The first column of the first row as an integer; AFF_ENOTFOUND without a row. */
static inline int one_int(sqlite3_stmt *q, int64_t *out)
{
    int rc = 0;
    if (step_row(q, &rc))
        *out = col_i64(q, 0);
    else if (rc == 0)
        rc = AFF_ENOTFOUND;
    sqlite3_reset(q);
    return rc;
}

static inline int get_one(sqlite3_stmt *q, void *row, void (*read)(sqlite3_stmt *, void *))
{
    int rc = 0;
    if (step_row(q, &rc))
        read(q, row);
    else if (rc == 0)
        rc = AFF_ENOTFOUND;
    sqlite3_reset(q);
    return rc;
}

/* run_list with a row buffer of size bytes from the heap (rows too large for the stack). */
static inline int run_list_alloc(sqlite3_stmt *q, size_t size, void (*read)(sqlite3_stmt *, void *),
                                 int (*cb)(void *, const void *), void *ud)
{
    void *row = malloc(size);
    if (row == NULL) {
        sqlite3_reset(q);
        return AFF_ENOMEM;
    }
    int rc = run_list(q, row, read, cb, ud);
    free(row);
    return rc;
}

/* Rows of (affiliate id, count, amount) to cb; the statement is reset, not finalized. */
static inline int run_totals(sqlite3_stmt *q, aff_replay_total_cb cb, void *ud)
{
    int rc = 0;
    while (step_row(q, &rc)) {
        int crc = cb(ud, col_i64(q, 0), col_i64(q, 1), col_i64(q, 2));
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            break;
        }
    }
    sqlite3_reset(q);
    return rc;
}

/* The connection behind st (either file of the backend). */
sqlite3 *aff_sq_db(aff_store *st);

/* Statement id of sqlite_ledger.c's own table, prepared on first use on st's
 * connection and reset for reuse; NULL on failure. */
#define AFF_SQ_LEDGER_STMTS 48
sqlite3_stmt *aff_sq_ledger_stmt(aff_store *st, int id);

/* Remember q as the statement of the list call now running, for
 * aff_store_sqlite_last_plan (tests read which index a list uses). */
void aff_sq_note_list(aff_store *st, sqlite3_stmt *q);

/* ---- sorted lists (sqlite_sorted.c) ----
 * A list query with a sort, a cursor, a time range or a search (aff_list_sorted) runs
 * through one statement built from the list's shape: it names only what is set, the
 * most selective filter leads through its index (the others are written `+col`), and
 * pages by keyset on (sort column, id), never by OFFSET. Each file of the backend
 * defines the shapes of its own tables. A shape may select from a subquery (balances:
 * one row per group) and name conditions rather than columns as filters (membership
 * of an affiliate, an effective status); a click's shape has a text id and bounds
 * time by its id. */
enum {
    AFF_SQ_F_PROGRAM,
    AFF_SQ_F_AFFILIATE,
    AFF_SQ_F_LINK,
    AFF_SQ_F_CONVERSION,
    AFF_SQ_F_RUN,
    AFF_SQ_F_PAYOUT,
    AFF_SQ_F_STATUS
};
enum { AFF_SQ_SEARCH_NONE, AFF_SQ_SEARCH_PREFIX, AFF_SQ_SEARCH_PREFIX_UPPER, AFF_SQ_SEARCH_CONTAINS };
#define AFF_SQ_SHAPE_FILTERS 6
typedef struct aff_sq_shape {
    const char *select; /* "SELECT <columns> FROM <table>[ JOIN ...]" or "... FROM (<subquery>)", no WHERE */
    const char *fixed;  /* a condition of every row of the list, or NULL */
    const char *id;     /* the id column; its value is at id_off of the row */
    size_t id_off;
    /* A text id (a click's): the row holds it as char[] at id_off, cursors carry it as
     * their tid, and id_raw turns it into the column's value (a blob; AFF_EINVAL when
     * malformed). NULL: an int64_t id. */
    int (*id_raw)(const char *text, unsigned char *out, size_t *len);
    const char *time; /* the creation time column (ms), or NULL: no time range */
    /* Or a time range as bounds of the id column (a click id starts with its time):
     * the lowest id value of time ms. */
    void (*time_raw)(int64_t ms, unsigned char *out, size_t *len);
    struct {
        const char *col;            /* a column (`col = ?`), or a condition with `?` for the value */
        int field;                  /* AFF_SQ_F_* */
    } filter[AFF_SQ_SHAPE_FILTERS]; /* most selective first */
    int search_mode;                /* AFF_SQ_SEARCH_*: how `search` matches */
    const char *search[2];          /* its columns (CONTAINS: either may match) */
    struct {
        const char *col; /* NULL: not sortable by this key */
        size_t off;      /* the value in the row: int64_t, or char[] for text keys */
    } sort[AFF_SORT_COUNT];
    void (*read)(sqlite3_stmt *q, void *row);
    size_t row_size;
} aff_sq_shape;

/* Is sort key k compared as text (name, email, code, status, order id)? */
int aff_sq_sort_is_text(int k);
/* Run lq through sh (see above), handing each row to cb and recording the last row cb
 * accepted in lq->last. AFF_EINVAL when lq sorts by a key sh lacks or its cursor does
 * not fit the sort; AFF_ESTORE on SQL failure. */
int aff_sq_sorted_list(aff_store *st, const aff_sq_shape *sh, const aff_list_query *lq, int (*cb)(void *, const void *),
                       void *ud);
/* A statement for text, prepared on first use and kept in a small per-connection cache
 * (evicted round-robin), reset with bindings cleared; NULL on failure. */
sqlite3_stmt *aff_sq_cached_stmt(aff_store *st, const char *text);
/* store_sqlite.c: the conversions' shapes (the review queue's is listed here). */
extern const aff_sq_shape aff_sq_conversion_shape, aff_sq_screened_shape;

/* Read a conversion row from the columns of AFF_SQ_CONV_COLS. */
#define AFF_SQ_CONV_COLS_OF(t)                                                                                       \
    t ".id, " t ".program_id, " t ".event, " t ".order_id, " t ".amount_minor, " t ".currency, " t ".status, " t     \
      ".method, " t ".click_id, " t ".affiliate_id, " t ".link_id, " t ".coupon_id, " t ".coupon, " t                \
      ".customer_id, " t ".email_hash, " t ".test, " t ".refunded_minor, " t ".items, " t ".created_ms, " t          \
      ".shipping_minor, " t ".tax_minor, " t ".renewal, " t ".origin_id, " t ".plan_version, " t ".earned_minor, " t \
      ".hold_until_ms, " t ".reason, " t ".tier, " t ".counted, " t ".ip, " t ".score, " t ".screening, " t ".sub1"
#define AFF_SQ_CONV_COLS AFF_SQ_CONV_COLS_OF("conversion") " FROM conversion"
void aff_sq_read_conversion(sqlite3_stmt *q, void *row);

/* sqlite_ledger.c: the SQL text of its statements, and its store operations. */
const char *aff_sq_ledger_sql(int id);
int aff_sq_ledger_insert(aff_store *st, aff_ledger_row *r);
int aff_sq_ledger_list(aff_store *st, const aff_list_query *lq, aff_ledger_cb cb, void *ud);
int aff_sq_ledger_get(aff_store *st, int64_t id, aff_ledger_row *r);
int aff_sq_ledger_move(aff_store *st, const aff_ledger_move *m, int64_t *n);
int aff_sq_ledger_auto_approve(aff_store *st, int64_t now_ms, int64_t *n);
int aff_sq_ledger_release(aff_store *st, int64_t program_id, int64_t now_ms, int64_t *n);
int aff_sq_balance_list(aff_store *st, const aff_list_query *lq, aff_balance_cb cb, void *ud);
int aff_sq_balance_check(aff_store *st, int64_t *mismatches);
int aff_sq_period_get(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *counter, int64_t start_ms,
                      aff_period_row *row);
int aff_sq_period_put(aff_store *st, const aff_period_row *row);
int aff_sq_period_list(aff_store *st, int64_t program_id, const char *counter, int64_t start_ms, aff_period_row **rows,
                       size_t *n);
int aff_sq_bonus_award(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *bonus, int64_t start_ms,
                       int64_t conversion_id, int64_t now_ms);
int aff_sq_conversion_set_state(aff_store *st, const aff_conversion_row *r);
int aff_sq_conversion_set_earned(aff_store *st, const aff_conversion_row *r);
int aff_sq_conversion_first_of_customer(aff_store *st, int64_t program_id, const char *event, const char *customer_id,
                                        const char *email_hash, aff_conversion_row *row);
int aff_sq_conversion_list_period(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *event,
                                  int64_t from_ms, int64_t to_ms, aff_conversion_cb cb, void *ud);
int aff_sq_conversion_auto_approve(aff_store *st, int64_t now_ms, int64_t *n);
int aff_sq_payout_list(aff_store *st, const aff_list_query *lq, aff_payout_cb cb, void *ud);
int aff_sq_payout_insert(aff_store *st, aff_payout_row *r);
int aff_sq_payout_get(aff_store *st, int64_t id, aff_payout_row *r);
int aff_sq_payout_set_status(aff_store *st, const aff_payout_row *r);
int aff_sq_payout_run_insert(aff_store *st, aff_payout_run_row *r);
int aff_sq_payout_run_get(aff_store *st, int64_t id, aff_payout_run_row *r);
int aff_sq_payout_run_list(aff_store *st, const aff_list_query *lq, aff_payout_run_cb cb, void *ud);
int aff_sq_replay_prepare(aff_store *st, int64_t program_id, int64_t from_ms, int64_t to_ms);
int aff_sq_replay_totals(aff_store *st, int replayed, int64_t from_ms, int64_t to_ms, aff_replay_total_cb cb, void *ud);
int aff_sq_replay_mismatches(aff_store *st, aff_conversion_cb cb, void *ud);
int aff_sq_conversion_count_since(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  int64_t max, int64_t *n);
int aff_sq_conversion_latest_ms(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t max, int64_t *ms,
                                int64_t *n);
int aff_sq_conversion_duplicate(aff_store *st, int64_t program_id, const char *customer_id, const char *email_hash,
                                int64_t amount_minor, const char *order_id, int64_t since_ms, int *found);
int aff_sq_conversion_hold_recent(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  const char *reason, const char *hit_json, int score, int64_t *n);
int aff_sq_conversion_list_screened(aff_store *st, const aff_list_query *lq, aff_conversion_cb cb, void *ud);
int aff_sq_outlier_get(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t *z_milli);
int aff_sq_outliers_clear(aff_store *st, int64_t program_id);
int aff_sq_outlier_put(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t z_milli, int64_t now_ms);
int aff_sq_affiliate_rates_hours(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                 aff_replay_total_cb cb, void *ud);
int aff_sq_affiliate_rates(aff_store *st, int64_t program_id, int64_t from_day, int64_t to_day, aff_replay_total_cb cb,
                           void *ud);
int aff_sq_unique_clicks_by_affiliate(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                      aff_replay_total_cb cb, void *ud);

/* sqlite_content.c: portal content (program terms, applications, creatives,
 * announcements). Rare calls: each prepares its statement, runs it and finalizes it. */
int aff_sq_terms_get(aff_store *st, int64_t program_id, aff_terms_row *r);
int aff_sq_terms_put(aff_store *st, const aff_terms_row *r);
int aff_sq_application_insert(aff_store *st, aff_application_row *r);
int aff_sq_application_list(aff_store *st, const aff_list_query *lq, aff_application_cb cb, void *ud);
int aff_sq_application_get(aff_store *st, int64_t id, aff_application_row *r);
int aff_sq_application_set_status(aff_store *st, int64_t id, const char *status, int64_t decided_ms);
int aff_sq_member_list(aff_store *st, int64_t affiliate_id, aff_member_cb cb, void *ud);
int aff_sq_creative_insert(aff_store *st, aff_creative_row *r);
int aff_sq_creative_get(aff_store *st, int64_t id, aff_creative_row *r);
int aff_sq_creative_image(aff_store *st, int64_t id, unsigned char **data, size_t *len, char mime[16], char sha256[65]);
int aff_sq_creative_list(aff_store *st, const aff_list_query *lq, aff_creative_cb cb, void *ud);
int aff_sq_creative_delete(aff_store *st, int64_t id);
int aff_sq_announcement_insert(aff_store *st, aff_announcement_row *r);
int aff_sq_announcement_get(aff_store *st, int64_t id, aff_announcement_row *r);
int aff_sq_announcement_list(aff_store *st, const aff_list_query *lq, aff_announcement_cb cb, void *ud);
int aff_sq_announcement_delete(aff_store *st, int64_t id);

#endif
