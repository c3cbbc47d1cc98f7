/* test_store_stmt_cache.c - unit tests for aff_sq_cached_stmt (src/store/store_sqlite.c),
 * the per-connection cache of sorted-list statements: a statement still stepping (a list
 * whose row callback runs another list) is neither handed out again nor evicted while
 * other statements come and go. */
#include <sqlite3.h>

#include "store/sqlite_int.h"
#include "store_rows.h"

AFF_TEST(store_stmt_cache_never_reuses_or_evicts_a_stepping_statement)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    sqlite3_stmt *outer = aff_sq_cached_stmt(ts.st, "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n "
                                                    "WHERE v < 3) SELECT v FROM n");
    AFF_CHECK(outer != NULL);
    if (outer == NULL) {
        aff_test_store_close(&ts);
        return;
    }
    AFF_CHECK_INT(sqlite3_step(outer), SQLITE_ROW);
    AFF_CHECK_INT(sqlite3_column_int(outer, 0), 1);

    /* The same text while the first is mid-step: another statement. */
    sqlite3_stmt *again = aff_sq_cached_stmt(ts.st, sqlite3_sql(outer));
    AFF_CHECK(again != NULL && again != outer);

    /* Many other statements, more than the cache holds: the stepping one survives. */
    for (int i = 0; i < 100; i++) {
        char sql[64];
        snprintf(sql, sizeof(sql), "SELECT %d", i);
        sqlite3_stmt *q = aff_sq_cached_stmt(ts.st, sql);
        AFF_CHECK(q != NULL);
        if (q != NULL) {
            AFF_CHECK(q != outer);
            AFF_CHECK_INT(sqlite3_step(q), SQLITE_ROW);
            AFF_CHECK_INT(sqlite3_column_int(q, 0), i);
            sqlite3_reset(q);
        }
    }
    AFF_CHECK_INT(sqlite3_step(outer), SQLITE_ROW);
    AFF_CHECK_INT(sqlite3_column_int(outer, 0), 2);
    AFF_CHECK_INT(sqlite3_step(outer), SQLITE_ROW);
    AFF_CHECK_INT(sqlite3_column_int(outer, 0), 3);
    AFF_CHECK_INT(sqlite3_step(outer), SQLITE_DONE);
    sqlite3_reset(outer);

    /* Done stepping, its text is served from the cache again, ready to run. */
    sqlite3_stmt *later = aff_sq_cached_stmt(ts.st, sqlite3_sql(outer));
    AFF_CHECK(later != NULL && !sqlite3_stmt_busy(later));
    aff_test_store_close(&ts);
}
