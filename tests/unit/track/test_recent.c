/* test_recent.c - track/recent.c: the writer's memory of the latest conversion times
 * counts exactly what the store counts (aff_store_conversion_count_since), for any
 * arrival order of times, test conversions, several keys, a threshold that grows, and
 * after a rollback clears it. */

#include "track/recent.h"
#include "../store/store_fixture.h"
#include "../store/store_rows.h"
#include "../test.h"

static int insert_at(aff_store *st, int64_t program, int64_t affiliate, int64_t created_ms, int test, int n)
{
    char order[16];
    snprintf(order, sizeof(order), "o-%d", n);
    return add_conversion_at_rc(st, program, "sale", order, 100, "pending", affiliate, test, 0, created_ms, NULL);
}

/* Compare memory and store for every key, window and max in a few combinations. */
static void compare(aff_recent *r, aff_store *st, int64_t now, const char *when)
{
    static const int64_t maxes[] = {1, 3, 10, 40};
    static const int64_t windows[] = {0, 1000, 60000, 3600000};
    for (int64_t aff = 1; aff <= 2; aff++)
        for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++)
            for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
                int64_t mem = -1, sql = -2;
                AFF_CHECK_INT(aff_recent_count(r, st, 1, aff, now - windows[w], maxes[m], &mem), AFF_OK);
                AFF_CHECK_INT(aff_store_conversion_count_since(st, 1, aff, now - windows[w], maxes[m], &sql), AFF_OK);
                if (mem != sql)
                    aff_test_fail(
                        __FILE__, __LINE__, "%s: affiliate %lld, window %lld, max %lld: memory %lld, store %lld", when,
                        (long long)aff, (long long)windows[w], (long long)maxes[m], (long long)mem, (long long)sql);
            }
}

AFF_TEST(recent_counts_what_the_store_counts)
{
    aff_test_store ts;
    if (aff_test_store_open(&ts) != 0)
        return;
    aff_recent *r = aff_recent_new();
    AFF_CHECK(r != NULL);
    unsigned seed = 7;
    int64_t now = 1714564800000LL;
    int n = 0;
    /* before anything is stored: every count is 0, from memory */
    compare(r, ts.st, now, "empty");
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    for (int step = 0; step < 400; step++) {
        /* mostly forward in time, sometimes late (out of order), sometimes a test one */
        int64_t aff = 1 + (rand_r(&seed) % 2);
        int late = rand_r(&seed) % 5 == 0;
        int test = rand_r(&seed) % 7 == 0;
        now += rand_r(&seed) % 4000;
        int64_t at = late ? now - (rand_r(&seed) % 120000) : now;
        AFF_CHECK_INT(insert_at(ts.st, 1, aff, at, test, n++), AFF_OK);
        if (!test)
            aff_recent_add(r, 1, aff, at);
        if (step % 20 == 19)
            compare(r, ts.st, now, "after inserts");
    }
    /* a rollback undoes rows the memory holds: after a clear it reads them again */
    AFF_CHECK_INT(aff_store_rollback(ts.st), AFF_OK);
    aff_recent_clear(r);
    compare(r, ts.st, now, "after rollback");
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    for (int i = 0; i < 30; i++) {
        now += 500;
        AFF_CHECK_INT(insert_at(ts.st, 1, 1, now, 0, n++), AFF_OK);
        aff_recent_add(r, 1, 1, now);
    }
    compare(r, ts.st, now, "after the rollback's inserts");
    AFF_CHECK_INT(aff_store_commit(ts.st), AFF_OK);
    aff_recent_free(r);
    aff_test_store_close(&ts);
}

/* Without the clear, memory would count a conversion the rollback removed: the test
 * above can fail. */
AFF_TEST(recent_without_clear_would_count_undone_rows)
{
    aff_test_store ts;
    if (aff_test_store_open(&ts) != 0)
        return;
    aff_recent *r = aff_recent_new();
    int64_t now = 1714564800000LL, mem = 0, sql = 0;
    AFF_CHECK_INT(aff_recent_count(r, ts.st, 1, 1, now - 60000, 3, &mem), AFF_OK);
    AFF_CHECK_INT(mem, 0);
    AFF_CHECK_INT(aff_store_begin(ts.st), AFF_OK);
    AFF_CHECK_INT(insert_at(ts.st, 1, 1, now, 0, 1), AFF_OK);
    aff_recent_add(r, 1, 1, now);
    AFF_CHECK_INT(aff_store_rollback(ts.st), AFF_OK);
    AFF_CHECK_INT(aff_recent_count(r, ts.st, 1, 1, now - 60000, 3, &mem), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_count_since(ts.st, 1, 1, now - 60000, 3, &sql), AFF_OK);
    AFF_CHECK_INT(mem, 1); /* stale: this is what aff_recent_clear is for */
    AFF_CHECK_INT(sql, 0);
    aff_recent_clear(r);
    AFF_CHECK_INT(aff_recent_count(r, ts.st, 1, 1, now - 60000, 3, &mem), AFF_OK);
    AFF_CHECK_INT(mem, 0);
    aff_recent_free(r);
    aff_test_store_close(&ts);
}
