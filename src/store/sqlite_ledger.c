/*
 * sqlite_ledger.c - the money tables of the SQLite backend: ledger lines, balances,
 * counting periods and bonus awards, payouts and payout runs, and the conversion
 * queries of the commission engine.
 *
 * Owns: their SQL. Does not own: the schema (store_sqlite.c's migrations), any rule of
 * the lifecycle (track/ledger.h decides which moves are legal; here a move only
 * touches lines whose status is one of those it is given).
 * Invariants: ledger amounts and owners never change and lines are never deleted (the
 * schema's triggers abort); `balance` follows every line: aff_sq_ledger_insert adds a
 * new line's amount in the same call, and a trigger moves it on every status change, so
 * it cannot drift from the lines (aff_sq_balance_check recounts it).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define LEDGER_COLS                                                                                          \
    "id, conversion_id, program_id, affiliate_id, amount_minor, currency, kind, rule, plan_version, status," \
    " payout_id, created_ms, slot, gross_minor, hold_until_ms, updated_ms FROM ledger"
#define PAYOUT_COLS                                                                                       \
    "id, affiliate_id, program_id, amount_minor, currency, status, created_ms, run_id, lines, reference," \
    " updated_ms FROM payout"
/* Optional filters of a list: 0 or NULL binds mean "any". The leading equality of each
 * statement is what picks the index. */
#define ANY(col, n) " AND (?" #n " = 0 OR " col " = ?" #n ")"
#define ANY_STATUS(n) " AND (?" #n " IS NULL OR status = ?" #n ")"
#define MOVE_SET \
    "UPDATE ledger SET status = ?2, payout_id = CASE WHEN ?3 < 0 THEN payout_id ELSE ?3 END, updated_ms = ?4"
#define MOVE_FROM " AND status IN (?5, ?6, ?7, ?8)"

/* clang-format off */ /* several names a line, grouped by kind */
enum {
    L_LEDGER_INSERT, L_BALANCE_ADD, L_LEDGER_GET,
    L_LEDGER_LIST, L_LEDGER_OF_PROGRAM, L_LEDGER_OF_AFFILIATE, L_LEDGER_OF_CONVERSION, L_LEDGER_OF_PAYOUT,
    L_MOVE_BY_ID, L_MOVE_BY_CONVERSION, L_MOVE_BY_PAYOUT, L_MOVE_BY_AFFILIATE,
    L_AUTO_APPROVE, L_RELEASE,
    L_BALANCE_CHECK,
    L_PERIOD_GET, L_PERIOD_PUT, L_BONUS_AWARD,
    L_CONV_SET_STATE, L_CONV_SET_EARNED, L_CONV_FIRST_BY_CUSTOMER, L_CONV_FIRST_BY_EMAIL, L_CONV_LIST_PERIOD, L_CONV_AUTO_APPROVE,
    L_PAYOUT_LIST, L_PAYOUT_OF_PROGRAM, L_PAYOUT_OF_AFFILIATE, L_PAYOUT_OF_RUN, L_PAYOUT_INSERT, L_PAYOUT_GET, L_PAYOUT_SET,
    L_RUN_INSERT, L_RUN_GET, L_RUN_LIST,
    L_CPC_CLICKS,
    L_CONV_COUNT_SINCE, L_CONV_LATEST_MS, L_CONV_DUP_CUSTOMER, L_CONV_DUP_EMAIL, L_CONV_SCREENED,
    L_OUTLIER_GET, L_OUTLIERS_CLEAR, L_OUTLIER_PUT, L_AFF_RATES, L_AFF_RATES_HOURS, L_PERIOD_LIST, L_HOLD_LINES, L_HOLD_CONVERSIONS,
    L_COUNT
};
/* clang-format on */

static const char *const sql[L_COUNT] = {
    [L_LEDGER_INSERT] =
        "INSERT INTO ledger(conversion_id, program_id, affiliate_id, amount_minor, currency, kind, rule,"
        " plan_version, status, payout_id, created_ms, slot, gross_minor, hold_until_ms, updated_ms)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?11)",
    [L_BALANCE_ADD] = "INSERT INTO balance VALUES(?1,?2,?3,?4,?5,1) ON CONFLICT(program_id, affiliate_id, status)"
                      " DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor, lines = lines + 1",
    [L_LEDGER_GET] = "SELECT " LEDGER_COLS " WHERE id = ?1",
    [L_LEDGER_LIST] = "SELECT " LEDGER_COLS " WHERE id > ?1" ANY("program_id", 3) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_LEDGER_OF_PROGRAM] =
        "SELECT " LEDGER_COLS " WHERE program_id = ?3 AND id > ?1" ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_LEDGER_OF_AFFILIATE] = "SELECT " LEDGER_COLS " WHERE affiliate_id = ?4 AND id > ?1" ANY("program_id", 3)
        ANY("conversion_id", 5) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_LEDGER_OF_CONVERSION] = "SELECT " LEDGER_COLS " WHERE conversion_id = ?5 AND id > ?1" ANY("program_id", 3)
        ANY("affiliate_id", 4) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_LEDGER_OF_PAYOUT] = "SELECT " LEDGER_COLS " WHERE payout_id = ?7 AND payout_id <> 0 AND id > ?1" ANY(
        "program_id", 3) ANY("affiliate_id", 4) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_MOVE_BY_ID] = MOVE_SET " WHERE id = ?1" MOVE_FROM,
    [L_MOVE_BY_CONVERSION] = MOVE_SET " WHERE conversion_id = ?1" MOVE_FROM,
    [L_MOVE_BY_PAYOUT] = MOVE_SET " WHERE payout_id = ?1 AND payout_id <> 0" MOVE_FROM,
    [L_MOVE_BY_AFFILIATE] = MOVE_SET " WHERE affiliate_id = ?1 AND program_id = ?9" MOVE_FROM,
    [L_AUTO_APPROVE] = "UPDATE ledger SET status = 'approved', updated_ms = ?1"
                       " WHERE status = 'pending' AND hold_until_ms <= ?1",
    [L_RELEASE] = "UPDATE ledger SET status = 'payable', updated_ms = ?2 WHERE status = 'approved'" ANY(
        "program_id", 1) " AND affiliate_id IN (SELECT id FROM affiliate WHERE status = 'approved')",
    [L_BALANCE_CHECK] = "SELECT (SELECT count(*) FROM (SELECT program_id, affiliate_id, status, sum(amount_minor),"
                        " count(*) FROM ledger GROUP BY 1, 2, 3 EXCEPT SELECT program_id, affiliate_id, status,"
                        " amount_minor, lines FROM balance)) + (SELECT count(*) FROM (SELECT program_id, affiliate_id,"
                        " status, amount_minor, lines FROM balance WHERE lines <> 0 OR amount_minor <> 0 EXCEPT"
                        " SELECT program_id, affiliate_id, status, sum(amount_minor), count(*) FROM ledger"
                        " GROUP BY 1, 2, 3))",
    [L_PERIOD_GET] = "SELECT conversions, revenue_minor, commission_minor, tier FROM commission_period"
                     " WHERE program_id = ?1 AND affiliate_id = ?2 AND counter = ?3 AND period_start_ms = ?4",
    [L_PERIOD_PUT] = "INSERT INTO commission_period VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
                     " ON CONFLICT(program_id, affiliate_id, counter, period_start_ms) DO UPDATE SET"
                     " conversions = excluded.conversions, revenue_minor = excluded.revenue_minor,"
                     " commission_minor = excluded.commission_minor, tier = excluded.tier",
    [L_BONUS_AWARD] = "INSERT INTO bonus_award VALUES(?1,?2,?3,?4,?5,?6)",
    [L_CONV_SET_STATE] = "UPDATE conversion SET status = ?2, reason = ?3, earned_minor = ?4, hold_until_ms = ?5,"
                         " plan_version = ?6, tier = ?7, counted = ?8 WHERE id = ?1",
    [L_CONV_SET_EARNED] = "UPDATE conversion SET earned_minor = ?2, plan_version = ?3, tier = ?4, counted = ?5"
                          " WHERE id = ?1",
    [L_CONV_FIRST_BY_CUSTOMER] = "SELECT " AFF_SQ_CONV_COLS " WHERE program_id = ?1 AND customer_id = ?2 AND event = ?3"
                                 " AND renewal = 0 AND test = 0 AND status <> 'rejected' ORDER BY id LIMIT 1",
    [L_CONV_FIRST_BY_EMAIL] = "SELECT " AFF_SQ_CONV_COLS " WHERE program_id = ?1 AND email_hash = ?2 AND event = ?3"
                              " AND renewal = 0 AND test = 0 AND status <> 'rejected' ORDER BY id LIMIT 1",
    [L_CONV_LIST_PERIOD] = "SELECT " AFF_SQ_CONV_COLS " WHERE program_id = ?1 AND affiliate_id = ?2 AND event = ?3"
                           " AND created_ms >= ?4 AND created_ms < ?5 ORDER BY id",
    [L_CONV_AUTO_APPROVE] =
        "UPDATE conversion SET status = 'approved' WHERE status = 'pending' AND hold_until_ms <= ?1",
    [L_PAYOUT_LIST] = "SELECT " PAYOUT_COLS " WHERE id > ?1" ANY("program_id", 3) ANY("run_id", 5)
        ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_PAYOUT_OF_PROGRAM] =
        "SELECT " PAYOUT_COLS " WHERE program_id = ?3 AND id > ?1" ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_PAYOUT_OF_AFFILIATE] = "SELECT " PAYOUT_COLS " WHERE affiliate_id = ?4 AND id > ?1" ANY("program_id", 3)
        ANY("run_id", 5) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_PAYOUT_OF_RUN] = "SELECT " PAYOUT_COLS " WHERE run_id = ?5 AND id > ?1" ANY("program_id", 3)
        ANY("affiliate_id", 4) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_PAYOUT_INSERT] =
        "INSERT INTO payout(affiliate_id, program_id, amount_minor, currency, status, created_ms, run_id,"
        " lines, reference, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?6)",
    [L_PAYOUT_GET] = "SELECT " PAYOUT_COLS " WHERE id = ?1",
    [L_PAYOUT_SET] = "UPDATE payout SET status = ?2, reference = ?3, updated_ms = ?4, lines = ?5 WHERE id = ?1",
    [L_RUN_INSERT] = "INSERT INTO payout_run(program_id, cause, payouts, created_ms) VALUES(?1,?2,?3,?4)",
    [L_RUN_GET] = "SELECT id, program_id, cause, payouts, created_ms FROM payout_run WHERE id = ?1",
    [L_RUN_LIST] = "SELECT id, program_id, cause, payouts, created_ms FROM payout_run WHERE id > ?1" ANY(
        "program_id", 3) " ORDER BY id LIMIT ?2",
    /* hour leads the rollup key: a range of hours, then the program */
    [L_CPC_CLICKS] = "SELECT affiliate_id, sum(unique_clicks), 0 FROM stats_hourly WHERE hour > ?2 AND hour <= ?3"
                     " AND program_id = ?1 GROUP BY affiliate_id HAVING sum(unique_clicks) > 0 ORDER BY affiliate_id",
    [L_CONV_LATEST_MS] = "SELECT created_ms FROM conversion WHERE program_id = ?1 AND affiliate_id = ?2 AND test = 0"
                         " ORDER BY created_ms DESC LIMIT ?3",
    [L_CONV_COUNT_SINCE] = "SELECT count(*) FROM (SELECT 1 FROM conversion WHERE program_id = ?1 AND affiliate_id = ?2"
                           " AND created_ms >= ?3 AND test = 0 LIMIT ?4)",
    [L_CONV_DUP_CUSTOMER] = "SELECT 1 FROM conversion WHERE program_id = ?1 AND customer_id = ?2 AND amount_minor = ?3"
                            " AND created_ms >= ?4 AND order_id <> ?5 AND test = 0 LIMIT 1",
    [L_CONV_DUP_EMAIL] = "SELECT 1 FROM conversion WHERE program_id = ?1 AND email_hash = ?2 AND amount_minor = ?3"
                         " AND created_ms >= ?4 AND order_id <> ?5 AND test = 0 LIMIT 1",
    [L_CONV_SCREENED] = "SELECT " AFF_SQ_CONV_COLS " WHERE score > 0 AND id > ?1" ANY("program_id", 3)
        ANY("affiliate_id", 4) ANY_STATUS(6) " ORDER BY id LIMIT ?2",
    [L_OUTLIER_GET] = "SELECT z_milli FROM cr_outlier WHERE program_id = ?1 AND affiliate_id = ?2",
    [L_OUTLIERS_CLEAR] = "DELETE FROM cr_outlier WHERE program_id = ?1",
    [L_OUTLIER_PUT] = "INSERT OR REPLACE INTO cr_outlier VALUES(?1,?2,?3,?4)",
    [L_PERIOD_LIST] = "SELECT affiliate_id, conversions, revenue_minor, commission_minor, tier FROM commission_period"
                      " WHERE program_id = ?1 AND counter = ?2 AND period_start_ms = ?3 ORDER BY affiliate_id",
    /* lines first: the conversions are still pending while their lines are found */
    [L_HOLD_LINES] =
        "UPDATE ledger SET hold_until_ms = 9223372036854775807 WHERE status = 'pending' AND conversion_id IN"
        " (SELECT id FROM conversion WHERE program_id = ?1 AND affiliate_id = ?2 AND created_ms >= ?3"
        " AND status = 'pending' AND test = 0)",
    [L_HOLD_CONVERSIONS] = "UPDATE conversion SET status = 'held', hold_until_ms = 9223372036854775807, reason = ?4,"
                           " score = score + ?6, screening = CASE WHEN screening = '' THEN json_array(json(?5))"
                           " ELSE json_insert(screening, '$[#]', json(?5)) END"
                           " WHERE program_id = ?1 AND affiliate_id = ?2 AND created_ms >= ?3 AND status = 'pending'"
                           " AND test = 0",
    [L_AFF_RATES_HOURS] = "SELECT affiliate_id, sum(clicks), sum(conversions) FROM stats_hourly WHERE hour >= ?2"
                          " AND hour <= ?3 AND program_id = ?1 GROUP BY affiliate_id ORDER BY affiliate_id",
    [L_AFF_RATES] = "SELECT affiliate_id, sum(clicks), sum(conversions) FROM stats_daily WHERE day >= ?2 AND day <= ?3"
                    " AND program_id = ?1 GROUP BY affiliate_id ORDER BY affiliate_id",
};

_Static_assert(L_COUNT <= AFF_SQ_LEDGER_STMTS, "raise AFF_SQ_LEDGER_STMTS");

const char *aff_sq_ledger_sql(int id)
{
    return id >= 0 && id < L_COUNT ? sql[id] : "";
}

#define Q(st, id) aff_sq_ledger_stmt((st), (id))

static int changed(aff_store *st, int rc, int64_t *n)
{
    if (rc == 0 && n != NULL)
        *n = sqlite3_changes64(aff_sq_db(st));
    return rc;
}

/* ---- ledger lines ---------------------------------------------------------------- */

static void read_ledger(sqlite3_stmt *q, void *v)
{
    aff_ledger_row *r = v;
    r->id = col_i64(q, 0);
    r->conversion_id = col_i64(q, 1);
    r->program_id = col_i64(q, 2);
    r->affiliate_id = col_i64(q, 3);
    r->amount_minor = col_i64(q, 4);
    col_text(q, 5, r->currency, sizeof(r->currency));
    col_text(q, 6, r->kind, sizeof(r->kind));
    col_text(q, 7, r->rule, sizeof(r->rule));
    r->plan_version = (int)col_i64(q, 8);
    col_text(q, 9, r->status, sizeof(r->status));
    r->payout_id = col_i64(q, 10);
    r->created_ms = col_i64(q, 11);
    col_text(q, 12, r->slot, sizeof(r->slot));
    r->gross_minor = col_i64(q, 13);
    r->hold_until_ms = col_i64(q, 14);
    r->updated_ms = col_i64(q, 15);
}

int aff_sq_ledger_insert(aff_store *st, aff_ledger_row *r)
{
    sqlite3_stmt *q = Q(st, L_LEDGER_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->conversion_id);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->affiliate_id);
    sqlite3_bind_int64(q, 4, r->amount_minor);
    bind_text(q, 5, r->currency);
    bind_text(q, 6, r->kind);
    bind_text(q, 7, r->rule);
    sqlite3_bind_int(q, 8, r->plan_version);
    bind_text(q, 9, r->status);
    sqlite3_bind_int64(q, 10, r->payout_id);
    sqlite3_bind_int64(q, 11, r->created_ms);
    bind_text(q, 12, r->slot[0] ? r->slot : "commission");
    sqlite3_bind_int64(q, 13, r->gross_minor);
    sqlite3_bind_int64(q, 14, r->hold_until_ms);
    int rc = exec_stmt(q);
    if (rc != 0)
        return rc;
    r->id = sqlite3_last_insert_rowid(aff_sq_db(st));
    r->updated_ms = r->created_ms;
    /* the line's balance, in the same transaction (moves update it by trigger) */
    if ((q = Q(st, L_BALANCE_ADD)) == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    sqlite3_bind_int64(q, 2, r->affiliate_id);
    bind_text(q, 3, r->status);
    bind_text(q, 4, r->currency);
    sqlite3_bind_int64(q, 5, r->amount_minor);
    return exec_stmt(q);
}

int aff_sq_ledger_get(aff_store *st, int64_t id, aff_ledger_row *r)
{
    sqlite3_stmt *q = Q(st, L_LEDGER_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_ledger);
}

#define OFF(type, member) offsetof(type, member)
static const aff_sq_shape ledger_shape = {
    .select = "SELECT " LEDGER_COLS,
    .id = "id",
    .id_off = OFF(aff_ledger_row, id),
    .time = "created_ms",
    .filter = {{"conversion_id", AFF_SQ_F_CONVERSION},
               {"payout_id", AFF_SQ_F_PAYOUT},
               {"affiliate_id", AFF_SQ_F_AFFILIATE},
               {"program_id", AFF_SQ_F_PROGRAM},
               {"status", AFF_SQ_F_STATUS}},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_ledger_row, created_ms)},
             [AFF_SORT_UPDATED] = {"updated_ms", OFF(aff_ledger_row, updated_ms)},
             [AFF_SORT_AMOUNT] = {"amount_minor", OFF(aff_ledger_row, amount_minor)},
             [AFF_SORT_STATUS] = {"status", OFF(aff_ledger_row, status)},
             [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_ledger_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"affiliate_id", OFF(aff_ledger_row, affiliate_id)}},
    .read = read_ledger,
    .row_size = sizeof(aff_ledger_row)};

int aff_sq_ledger_list(aff_store *st, const aff_list_query *lq, aff_ledger_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &ledger_shape, lq, (int (*)(void *, const void *))cb, ud);
    int id = lq->conversion_id != 0  ? L_LEDGER_OF_CONVERSION
             : lq->payout_id != 0    ? L_LEDGER_OF_PAYOUT
             : lq->affiliate_id != 0 ? L_LEDGER_OF_AFFILIATE
             : lq->program_id != 0   ? L_LEDGER_OF_PROGRAM
                                     : L_LEDGER_LIST;
    sqlite3_stmt *q = Q(st, id);
    aff_ledger_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    sqlite3_bind_int64(q, 4, lq->affiliate_id);
    sqlite3_bind_int64(q, 5, lq->conversion_id);
    aff_sq_note_list(st, q);
    bind_opt_text(q, 6, lq->status);
    if (id == L_LEDGER_OF_PAYOUT)
        sqlite3_bind_int64(q, 7, lq->payout_id);
    return run_list(q, &row, read_ledger, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_ledger_move(aff_store *st, const aff_ledger_move *m, int64_t *n)
{
    static const int by_stmt[AFF_LEDGER_NBY] = {L_MOVE_BY_ID, L_MOVE_BY_CONVERSION, L_MOVE_BY_PAYOUT,
                                                L_MOVE_BY_AFFILIATE};
    if (m->by < 0 || m->by >= AFF_LEDGER_NBY)
        return AFF_EINVAL;
    sqlite3_stmt *q = Q(st, by_stmt[m->by]);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, m->key);
    bind_text(q, 2, m->to);
    sqlite3_bind_int64(q, 3, m->payout_id);
    sqlite3_bind_int64(q, 4, m->now_ms);
    for (int i = 0; i < 4 && m->from[i] != NULL; i++)
        bind_text(q, 5 + i, m->from[i]);
    if (m->by == AFF_LEDGER_BY_AFFILIATE)
        sqlite3_bind_int64(q, 9, m->program_id);
    return changed(st, exec_stmt(q), n);
}

int aff_sq_ledger_auto_approve(aff_store *st, int64_t now_ms, int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_AUTO_APPROVE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, now_ms);
    return changed(st, exec_stmt(q), n);
}

int aff_sq_ledger_release(aff_store *st, int64_t program_id, int64_t now_ms, int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_RELEASE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, now_ms);
    return changed(st, exec_stmt(q), n);
}

/* ---- balances ------------------------------------------------------------------- */

static void read_balance(sqlite3_stmt *q, void *v)
{
    aff_balance_row *r = v;
    r->id = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    r->affiliate_id = col_i64(q, 2);
    col_text(q, 3, r->currency, sizeof(r->currency));
    r->pending = col_i64(q, 4);
    r->approved = col_i64(q, 5);
    r->payable = col_i64(q, 6);
    r->in_payout = col_i64(q, 7);
    r->paid = col_i64(q, 8);
}

#define BALANCE_BY(s) "sum(CASE status WHEN '" s "' THEN amount_minor ELSE 0 END) AS " s
/* One row per (program, affiliate) from its rows by status. The filters reach the
 * grouped rows (SQLite pushes a condition on a GROUP BY column into the subquery, so a
 * program's balances read its part of the key); a sort by an amount groups what the
 * filters select and sorts it. */
static const aff_sq_shape balance_shape = {
    .select =
        "SELECT id, program_id, affiliate_id, currency, pending, approved, payable, in_payout, paid FROM"
        " (SELECT program_id * 4294967296 + affiliate_id AS id, program_id, affiliate_id,"
        " max(currency) AS currency, " BALANCE_BY("pending") ", " BALANCE_BY("approved") ", " BALANCE_BY(
            "payable") ", " BALANCE_BY("in_payout") ", " BALANCE_BY("paid") " FROM balance GROUP BY program_id, affiliate_id) b",
    .id = "b.id",
    .id_off = OFF(aff_balance_row, id),
    .filter = {{"b.program_id", AFF_SQ_F_PROGRAM}, {"b.affiliate_id", AFF_SQ_F_AFFILIATE}},
    .sort = {[AFF_SORT_PROGRAM] = {"b.program_id", OFF(aff_balance_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"b.affiliate_id", OFF(aff_balance_row, affiliate_id)},
             [AFF_SORT_PENDING] = {"b.pending", OFF(aff_balance_row, pending)},
             [AFF_SORT_APPROVED] = {"b.approved", OFF(aff_balance_row, approved)},
             [AFF_SORT_PAYABLE] = {"b.payable", OFF(aff_balance_row, payable)},
             [AFF_SORT_IN_PAYOUT] = {"b.in_payout", OFF(aff_balance_row, in_payout)},
             [AFF_SORT_PAID] = {"b.paid", OFF(aff_balance_row, paid)}},
    .read = read_balance,
    .row_size = sizeof(aff_balance_row)};

int aff_sq_balance_list(aff_store *st, const aff_list_query *lq, aff_balance_cb cb, void *ud)
{
    return aff_sq_sorted_list(st, &balance_shape, lq, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_balance_check(aff_store *st, int64_t *mismatches)
{
    sqlite3_stmt *q = Q(st, L_BALANCE_CHECK);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    if (step_row(q, &rc))
        *mismatches = col_i64(q, 0);
    sqlite3_reset(q);
    return rc;
}

/* ---- counting periods and bonuses -------------------------------------------------- */

int aff_sq_period_get(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *counter, int64_t start_ms,
                      aff_period_row *r)
{
    sqlite3_stmt *q = Q(st, L_PERIOD_GET);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    memset(r, 0, sizeof(*r));
    r->program_id = program_id;
    r->affiliate_id = affiliate_id;
    snprintf(r->counter, sizeof(r->counter), "%s", counter);
    r->period_start_ms = start_ms;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    bind_text(q, 3, counter);
    sqlite3_bind_int64(q, 4, start_ms);
    if (step_row(q, &rc)) {
        r->conversions = col_i64(q, 0);
        r->revenue_minor = col_i64(q, 1);
        r->commission_minor = col_i64(q, 2);
        r->tier = (int)col_i64(q, 3);
    }
    sqlite3_reset(q);
    return rc;
}

int aff_sq_period_put(aff_store *st, const aff_period_row *r)
{
    sqlite3_stmt *q = Q(st, L_PERIOD_PUT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    sqlite3_bind_int64(q, 2, r->affiliate_id);
    bind_text(q, 3, r->counter);
    sqlite3_bind_int64(q, 4, r->period_start_ms);
    sqlite3_bind_int64(q, 5, r->conversions);
    sqlite3_bind_int64(q, 6, r->revenue_minor);
    sqlite3_bind_int64(q, 7, r->commission_minor);
    sqlite3_bind_int(q, 8, r->tier);
    return exec_stmt(q);
}

int aff_sq_bonus_award(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *bonus, int64_t start_ms,
                       int64_t conversion_id, int64_t now_ms)
{
    sqlite3_stmt *q = Q(st, L_BONUS_AWARD);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    bind_text(q, 3, bonus);
    sqlite3_bind_int64(q, 4, start_ms);
    sqlite3_bind_int64(q, 5, conversion_id);
    sqlite3_bind_int64(q, 6, now_ms);
    return exec_stmt(q);
}

/* ---- conversions (the engine's queries) ------------------------------------------- */

int aff_sq_conversion_set_state(aff_store *st, const aff_conversion_row *r)
{
    sqlite3_stmt *q = Q(st, L_CONV_SET_STATE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    bind_text(q, 2, r->status);
    bind_text(q, 3, r->reason);
    sqlite3_bind_int64(q, 4, r->earned_minor);
    sqlite3_bind_int64(q, 5, r->hold_until_ms);
    sqlite3_bind_int(q, 6, r->plan_version);
    sqlite3_bind_int(q, 7, r->tier);
    sqlite3_bind_int(q, 8, r->counted);
    int64_t n = 0;
    int rc = changed(st, exec_stmt(q), &n);
    return rc == 0 && n == 0 ? AFF_ENOTFOUND : rc;
}

int aff_sq_conversion_set_earned(aff_store *st, const aff_conversion_row *r)
{
    sqlite3_stmt *q = Q(st, L_CONV_SET_EARNED);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    sqlite3_bind_int64(q, 2, r->earned_minor);
    sqlite3_bind_int(q, 3, r->plan_version);
    sqlite3_bind_int(q, 4, r->tier);
    sqlite3_bind_int(q, 5, r->counted);
    int64_t n = 0;
    int rc = changed(st, exec_stmt(q), &n);
    return rc == 0 && n == 0 ? AFF_ENOTFOUND : rc;
}

int aff_sq_conversion_first_of_customer(aff_store *st, int64_t program_id, const char *event, const char *customer_id,
                                        const char *email_hash, aff_conversion_row *row)
{
    const char *keys[2] = {customer_id, email_hash};
    const int ids[2] = {L_CONV_FIRST_BY_CUSTOMER, L_CONV_FIRST_BY_EMAIL};
    for (int i = 0; i < 2; i++) {
        if (keys[i] == NULL || keys[i][0] == '\0')
            continue;
        sqlite3_stmt *q = Q(st, ids[i]);
        if (q == NULL)
            return AFF_ESTORE;
        sqlite3_bind_int64(q, 1, program_id);
        bind_text(q, 2, keys[i]);
        bind_text(q, 3, event);
        int rc = get_one(q, row, aff_sq_read_conversion);
        if (rc != AFF_ENOTFOUND)
            return rc;
    }
    return AFF_ENOTFOUND;
}

int aff_sq_conversion_list_period(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *event,
                                  int64_t from_ms, int64_t to_ms, aff_conversion_cb cb, void *ud)
{
    sqlite3_stmt *q = Q(st, L_CONV_LIST_PERIOD);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    bind_text(q, 3, event);
    sqlite3_bind_int64(q, 4, from_ms);
    sqlite3_bind_int64(q, 5, to_ms);
    return run_list_alloc(q, sizeof(aff_conversion_row), aff_sq_read_conversion, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_conversion_auto_approve(aff_store *st, int64_t now_ms, int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_CONV_AUTO_APPROVE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, now_ms);
    return changed(st, exec_stmt(q), n);
}

/* ---- payouts and runs ------------------------------------------------------------ */

static void read_payout(sqlite3_stmt *q, void *v)
{
    aff_payout_row *r = v;
    r->id = col_i64(q, 0);
    r->affiliate_id = col_i64(q, 1);
    r->program_id = col_i64(q, 2);
    r->amount_minor = col_i64(q, 3);
    col_text(q, 4, r->currency, sizeof(r->currency));
    col_text(q, 5, r->status, sizeof(r->status));
    r->created_ms = col_i64(q, 6);
    r->run_id = col_i64(q, 7);
    r->lines = col_i64(q, 8);
    col_text(q, 9, r->reference, sizeof(r->reference));
    r->updated_ms = col_i64(q, 10);
}

static const aff_sq_shape payout_shape = {
    .select = "SELECT " PAYOUT_COLS,
    .id = "id",
    .id_off = OFF(aff_payout_row, id),
    .time = "created_ms",
    .filter = {{"run_id", AFF_SQ_F_RUN},
               {"affiliate_id", AFF_SQ_F_AFFILIATE},
               {"program_id", AFF_SQ_F_PROGRAM},
               {"status", AFF_SQ_F_STATUS}},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_payout_row, created_ms)},
             [AFF_SORT_UPDATED] = {"updated_ms", OFF(aff_payout_row, updated_ms)},
             [AFF_SORT_AMOUNT] = {"amount_minor", OFF(aff_payout_row, amount_minor)},
             [AFF_SORT_STATUS] = {"status", OFF(aff_payout_row, status)},
             [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_payout_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"affiliate_id", OFF(aff_payout_row, affiliate_id)}},
    .read = read_payout,
    .row_size = sizeof(aff_payout_row)};

int aff_sq_payout_list(aff_store *st, const aff_list_query *lq, aff_payout_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &payout_shape, lq, (int (*)(void *, const void *))cb, ud);
    int id = lq->run_id != 0         ? L_PAYOUT_OF_RUN
             : lq->affiliate_id != 0 ? L_PAYOUT_OF_AFFILIATE
             : lq->program_id != 0   ? L_PAYOUT_OF_PROGRAM
                                     : L_PAYOUT_LIST;
    sqlite3_stmt *q = Q(st, id);
    aff_payout_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    sqlite3_bind_int64(q, 4, lq->affiliate_id);
    sqlite3_bind_int64(q, 5, lq->run_id);
    aff_sq_note_list(st, q);
    bind_opt_text(q, 6, lq->status);
    return run_list(q, &row, read_payout, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_payout_insert(aff_store *st, aff_payout_row *r)
{
    sqlite3_stmt *q = Q(st, L_PAYOUT_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->affiliate_id);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->amount_minor);
    bind_text(q, 4, r->currency);
    bind_text(q, 5, r->status);
    sqlite3_bind_int64(q, 6, r->created_ms);
    sqlite3_bind_int64(q, 7, r->run_id);
    sqlite3_bind_int64(q, 8, r->lines);
    bind_text(q, 9, r->reference);
    int rc = exec_stmt(q);
    if (rc == 0) {
        r->id = sqlite3_last_insert_rowid(aff_sq_db(st));
        r->updated_ms = r->created_ms;
    }
    return rc;
}

int aff_sq_payout_get(aff_store *st, int64_t id, aff_payout_row *r)
{
    sqlite3_stmt *q = Q(st, L_PAYOUT_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_payout);
}

int aff_sq_payout_set_status(aff_store *st, const aff_payout_row *r)
{
    sqlite3_stmt *q = Q(st, L_PAYOUT_SET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    bind_text(q, 2, r->status);
    bind_text(q, 3, r->reference);
    sqlite3_bind_int64(q, 4, r->updated_ms);
    sqlite3_bind_int64(q, 5, r->lines);
    int64_t n = 0;
    int rc = changed(st, exec_stmt(q), &n);
    return rc == 0 && n == 0 ? AFF_ENOTFOUND : rc;
}

static void read_run(sqlite3_stmt *q, void *v)
{
    aff_payout_run_row *r = v;
    r->id = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    col_text(q, 2, r->cause, sizeof(r->cause));
    r->payouts = col_i64(q, 3);
    r->created_ms = col_i64(q, 4);
}

int aff_sq_payout_run_insert(aff_store *st, aff_payout_run_row *r)
{
    sqlite3_stmt *q = Q(st, L_RUN_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    bind_text(q, 2, r->cause);
    sqlite3_bind_int64(q, 3, r->payouts);
    sqlite3_bind_int64(q, 4, r->created_ms);
    int rc = exec_insert(q, &r->id);
    return rc;
}

int aff_sq_payout_run_get(aff_store *st, int64_t id, aff_payout_run_row *r)
{
    sqlite3_stmt *q = Q(st, L_RUN_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_run);
}

static const aff_sq_shape run_shape = {
    .select = "SELECT id, program_id, cause, payouts, created_ms FROM payout_run",
    .id = "id",
    .id_off = OFF(aff_payout_run_row, id),
    .time = "created_ms",
    .filter = {{"program_id", AFF_SQ_F_PROGRAM}},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_payout_run_row, created_ms)},
             [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_payout_run_row, program_id)}},
    .read = read_run,
    .row_size = sizeof(aff_payout_run_row)};

int aff_sq_payout_run_list(aff_store *st, const aff_list_query *lq, aff_payout_run_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &run_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = Q(st, L_RUN_LIST);
    aff_payout_run_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    return run_list(q, &row, read_run, (int (*)(void *, const void *))cb, ud);
}

/* ---- replay (a scratch connection) --------------------------------------------------- */

/* The temporary tables that shadow the stored ones for a replay: unqualified names in
 * every statement above resolve to temp first, so pricing writes only here. */
static const char replay_ddl[] =
    "CREATE TEMP TABLE conversion AS SELECT * FROM main.conversion WHERE 0;"
    "CREATE INDEX temp.replay_conversion_id ON conversion(id);"
    "CREATE INDEX temp.replay_conversion_period ON conversion(program_id, affiliate_id, event, created_ms);"
    "CREATE TEMP TABLE ledger(id INTEGER PRIMARY KEY, conversion_id INTEGER NOT NULL, program_id INTEGER NOT NULL,"
    " affiliate_id INTEGER NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL,"
    " rule TEXT NOT NULL, plan_version INTEGER NOT NULL, status TEXT NOT NULL, payout_id INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, slot TEXT NOT NULL, gross_minor INTEGER NOT NULL, hold_until_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX temp.replay_ledger_conversion ON ledger(conversion_id, id);"
    "CREATE TEMP TABLE balance(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, status TEXT NOT NULL,"
    " currency TEXT NOT NULL, amount_minor INTEGER NOT NULL, lines INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, status));"
    "CREATE TEMP TABLE commission_period(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL,"
    " counter TEXT NOT NULL, period_start_ms INTEGER NOT NULL, conversions INTEGER NOT NULL,"
    " revenue_minor INTEGER NOT NULL, commission_minor INTEGER NOT NULL, tier INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, counter, period_start_ms));"
    "CREATE TEMP TABLE bonus_award(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, bonus TEXT NOT NULL,"
    " period_start_ms INTEGER NOT NULL, conversion_id INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, bonus, period_start_ms));";

int aff_sq_replay_prepare(aff_store *st, int64_t program_id, int64_t from_ms, int64_t to_ms)
{
    sqlite3 *db = aff_sq_db(st);
    if (sqlite3_exec(db, replay_ddl, NULL, NULL, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    sqlite3_stmt *q = NULL;
    static const char copy[] =
        "INSERT INTO temp.conversion SELECT * FROM main.conversion WHERE program_id = ?1 AND"
        " ((created_ms >= ?2 AND created_ms < ?3) OR id IN (SELECT origin_id FROM main.conversion"
        "  WHERE program_id = ?1 AND created_ms >= ?2 AND created_ms < ?3 AND origin_id <> 0))";
    if (sqlite3_prepare_v2(db, copy, -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, from_ms);
    sqlite3_bind_int64(q, 3, to_ms);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : AFF_ESTORE;
    sqlite3_finalize(q);
    return rc;
}

int aff_sq_replay_totals(aff_store *st, int replayed, int64_t from_ms, int64_t to_ms, aff_replay_total_cb cb, void *ud)
{
    /* conversions: those the affiliate earned in the window (not tests, not posted
     * rejected); net: every line not rejected of those conversions, whoever holds it */
    static const char *const text[2] = {
        "SELECT a, sum(n), sum(m) FROM (SELECT affiliate_id a, count(*) n, 0 m FROM temp.conversion"
        " WHERE created_ms >= ?1 AND created_ms < ?2 AND test = 0 AND status <> 'rejected'"
        " GROUP BY affiliate_id UNION ALL SELECT l.affiliate_id, 0, sum(l.amount_minor) FROM main.ledger l"
        " JOIN temp.conversion c ON c.id = l.conversion_id WHERE c.created_ms >= ?1 AND c.created_ms < ?2"
        " AND l.status <> 'rejected' GROUP BY l.affiliate_id) GROUP BY a ORDER BY a",
        "SELECT a, sum(n), sum(m) FROM (SELECT affiliate_id a, count(*) n, 0 m FROM temp.conversion"
        " WHERE created_ms >= ?1 AND created_ms < ?2 AND test = 0 AND status <> 'rejected'"
        " GROUP BY affiliate_id UNION ALL SELECT l.affiliate_id, 0, sum(l.amount_minor) FROM temp.ledger l"
        " JOIN temp.conversion c ON c.id = l.conversion_id WHERE c.created_ms >= ?1 AND c.created_ms < ?2"
        " AND c.status <> 'rejected' GROUP BY l.affiliate_id) GROUP BY a ORDER BY a",
    };
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(aff_sq_db(st), text[replayed ? 1 : 0], -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, from_ms);
    sqlite3_bind_int64(q, 2, to_ms);
    int rc = run_totals(q, cb, ud);
    sqlite3_finalize(q);
    return rc;
}

int aff_sq_replay_mismatches(aff_store *st, aff_conversion_cb cb, void *ud)
{
    sqlite3_stmt *q = NULL;
    static const char text[] =
        "SELECT " AFF_SQ_CONV_COLS_OF("t") " FROM temp.conversion t JOIN main.conversion m"
                                           " ON m.id = t.id WHERE t.earned_minor <> m.earned_minor ORDER BY t.id";
    if (sqlite3_prepare_v2(aff_sq_db(st), text, -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    int rc =
        run_list_alloc(q, sizeof(aff_conversion_row), aff_sq_read_conversion, (int (*)(void *, const void *))cb, ud);
    sqlite3_finalize(q);
    return rc;
}

/* ---- cost per click ------------------------------------------------------------------- */

int aff_sq_unique_clicks_by_affiliate(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                      aff_replay_total_cb cb, void *ud)
{
    sqlite3_stmt *q = Q(st, L_CPC_CLICKS);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, from_hour);
    sqlite3_bind_int64(q, 3, to_hour);
    return run_totals(q, cb, ud); /* the third column is 0 */
}

/* ---- screening ------------------------------------------------------------------------ */

int aff_sq_conversion_count_since(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  int64_t max, int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_CONV_COUNT_SINCE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    sqlite3_bind_int64(q, 3, since_ms);
    sqlite3_bind_int64(q, 4, max > 0 ? max : -1);
    return one_int(q, n);
}

int aff_sq_conversion_latest_ms(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t max, int64_t *ms,
                                int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_CONV_LATEST_MS);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    sqlite3_bind_int64(q, 3, max);
    int rc = 0;
    *n = 0;
    while (*n < max && step_row(q, &rc))
        ms[(*n)++] = col_i64(q, 0);
    sqlite3_reset(q);
    return rc;
}

int aff_sq_conversion_duplicate(aff_store *st, int64_t program_id, const char *customer_id, const char *email_hash,
                                int64_t amount_minor, const char *order_id, int64_t since_ms, int *found)
{
    const char *keys[2] = {customer_id, email_hash};
    const int ids[2] = {L_CONV_DUP_CUSTOMER, L_CONV_DUP_EMAIL};
    *found = 0;
    for (int i = 0; i < 2 && !*found; i++) {
        if (keys[i] == NULL || keys[i][0] == '\0')
            continue;
        sqlite3_stmt *q = Q(st, ids[i]);
        if (q == NULL)
            return AFF_ESTORE;
        sqlite3_bind_int64(q, 1, program_id);
        bind_text(q, 2, keys[i]);
        sqlite3_bind_int64(q, 3, amount_minor);
        sqlite3_bind_int64(q, 4, since_ms);
        bind_text(q, 5, order_id);
        int64_t one = 0;
        int rc = one_int(q, &one);
        if (rc == 0)
            *found = 1;
        else if (rc != AFF_ENOTFOUND)
            return rc;
    }
    return 0;
}

int aff_sq_conversion_list_screened(aff_store *st, const aff_list_query *lq, aff_conversion_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &aff_sq_screened_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = Q(st, L_CONV_SCREENED);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    sqlite3_bind_int64(q, 4, lq->affiliate_id);
    bind_opt_text(q, 6, lq->status);
    return run_list_alloc(q, sizeof(aff_conversion_row), aff_sq_read_conversion, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_outlier_get(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t *z_milli)
{
    sqlite3_stmt *q = Q(st, L_OUTLIER_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    return one_int(q, z_milli);
}

int aff_sq_outliers_clear(aff_store *st, int64_t program_id)
{
    sqlite3_stmt *q = Q(st, L_OUTLIERS_CLEAR);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    return exec_stmt(q);
}

int aff_sq_outlier_put(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t z_milli, int64_t now_ms)
{
    sqlite3_stmt *q = Q(st, L_OUTLIER_PUT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    sqlite3_bind_int64(q, 3, z_milli);
    sqlite3_bind_int64(q, 4, now_ms);
    return exec_stmt(q);
}

int aff_sq_affiliate_rates(aff_store *st, int64_t program_id, int64_t from_day, int64_t to_day, aff_replay_total_cb cb,
                           void *ud)
{
    sqlite3_stmt *q = Q(st, L_AFF_RATES);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, from_day);
    sqlite3_bind_int64(q, 3, to_day);
    return run_totals(q, cb, ud);
}

int aff_sq_period_list(aff_store *st, int64_t program_id, const char *counter, int64_t start_ms, aff_period_row **rows,
                       size_t *n)
{
    sqlite3_stmt *q = Q(st, L_PERIOD_LIST);
    *rows = NULL;
    *n = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    bind_text(q, 2, counter);
    sqlite3_bind_int64(q, 3, start_ms);
    size_t cap = 0;
    int rc = 0;
    while (step_row(q, &rc)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            aff_period_row *r = realloc(*rows, cap * sizeof(*r));
            if (r == NULL) {
                rc = AFF_ENOMEM;
                break;
            }
            *rows = r;
        }
        aff_period_row *p = &(*rows)[(*n)++];
        memset(p, 0, sizeof(*p));
        p->program_id = program_id;
        p->affiliate_id = col_i64(q, 0);
        snprintf(p->counter, sizeof(p->counter), "%s", counter);
        p->period_start_ms = start_ms;
        p->conversions = col_i64(q, 1);
        p->revenue_minor = col_i64(q, 2);
        p->commission_minor = col_i64(q, 3);
        p->tier = (int)col_i64(q, 4);
    }
    sqlite3_reset(q);
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

int aff_sq_conversion_hold_recent(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  const char *reason, const char *hit_json, int score, int64_t *n)
{
    sqlite3_stmt *q = Q(st, L_HOLD_LINES);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    sqlite3_bind_int64(q, 3, since_ms);
    int rc = exec_stmt(q);
    if (rc != 0 || (q = Q(st, L_HOLD_CONVERSIONS)) == NULL)
        return rc != 0 ? rc : AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, affiliate_id);
    sqlite3_bind_int64(q, 3, since_ms);
    bind_text(q, 4, reason);
    bind_text(q, 5, hit_json);
    sqlite3_bind_int(q, 6, score);
    return changed(st, exec_stmt(q), n);
}

int aff_sq_affiliate_rates_hours(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                 aff_replay_total_cb cb, void *ud)
{
    sqlite3_stmt *q = Q(st, L_AFF_RATES_HOURS);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int64(q, 2, from_hour);
    sqlite3_bind_int64(q, 3, to_hour);
    return run_totals(q, cb, ud);
}
