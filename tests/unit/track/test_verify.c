/* test_verify.c - track/verify.c: ledger lines checked against the refund rule. */
#include "track/verify.h"

#include "../store/store_rows.h"

AFF_TEST(verify_counts_ledger_mismatches)
{
    /* verify.h: ledger_mismatches counts conversions whose lines do not sum to the rule of
     * conversion.h: after_refund(earned, amount, refunded). */
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t ok1, ok2, bad1, bad2;
    /* consistent: 100 earned, nothing refunded */
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "ok1", 1000, "approved", 10, 0, 0, &ok1), AFF_OK);
    add_ledger(ts.st, ok1, 1, 10, 100, "commission", "approved");
    set_earned(ts.st, ok1, 100);
    /* consistent: half refunded, -50 reversal */
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "ok2", 1000, "approved", 10, 0, 500, &ok2), AFF_OK);
    add_ledger(ts.st, ok2, 1, 10, 100, "commission", "approved");
    add_line(ts.st, ok2, 1, 10, -50, 100, "reversal", "approved");
    set_earned(ts.st, ok2, 100);
    /* inconsistent: half refunded, no reversal (sum 100, rule 50) */
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "bad1", 1000, "approved", 10, 0, 500, &bad1), AFF_OK);
    add_ledger(ts.st, bad1, 1, 10, 100, "commission", "approved");
    set_earned(ts.st, bad1, 100);
    /* inconsistent: reversed, but the commission was never taken back (sum 100, rule 0) */
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "bad2", 1000, "reversed", 10, 0, 1000, &bad2), AFF_OK);
    add_ledger(ts.st, bad2, 1, 10, 100, "commission", "approved");
    set_earned(ts.st, bad2, 100);
    aff_verify_report v;
    AFF_CHECK_INT(aff_verify_run(ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.conversions_checked, 4);
    AFF_CHECK_INT(v.ledger_mismatches, 2);
    AFF_CHECK_INT(v.bad_ids[0], bad1);
    AFF_CHECK_INT(v.bad_ids[1], bad2);
    AFF_CHECK(!aff_verify_ok(&v));
    (void)ok1;
    (void)ok2;
    aff_test_store_close(&ts);
}

AFF_TEST(verify_counts_conversions_whose_items_are_out_of_bounds)
{
    /* verify.h: items_out_of_bounds counts conversions whose stored items are beyond the
     * API's bounds (aff_comm_items_check): written here behind the engine, as conversions
     * stored before the API checked amount_minor * quantity in 128 bits could be. */
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t id[6];
    static const char *const orders[6] = {"none", "at-limit", "wraps", "sum", "qty", "garbage"};
    /* test conversions: nothing else for verify to find */
    for (int i = 0; i < 6; i++)
        AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", orders[i], 1000, "approved", 10, 1, 0, &id[i]), AFF_OK);
    char sql[1024];
    static const char *const items[6] = {
        "",
        /* 10^15 in all: the limit itself */
        "[{\"sku\":\"A\",\"category\":\"\",\"amount_minor\":999999000000,\"quantity\":1000},"
        "{\"sku\":\"B\",\"category\":\"\",\"amount_minor\":1000000,\"quantity\":1}]",
        /* 999999999999999 * 18447 wraps int64 to about 2.6e14, under the limit */
        "[{\"sku\":\"A\",\"category\":\"\",\"amount_minor\":999999999999999,\"quantity\":18447}]",
        /* each product within bounds, the sum 1.2e15 beyond */
        "[{\"sku\":\"A\",\"category\":\"\",\"amount_minor\":600000000000000,\"quantity\":1},"
        "{\"sku\":\"B\",\"category\":\"\",\"amount_minor\":600000000000000,\"quantity\":1}]",
        /* a quantity beyond 10^6 */
        "[{\"sku\":\"A\",\"category\":\"\",\"amount_minor\":1,\"quantity\":1000001}]",
        /* not an array of items */
        "{\"sku\":\"A\"}",
    };
    for (int i = 1; i < 6; i++) {
        snprintf(sql, sizeof(sql), "UPDATE conversion SET items = '%s' WHERE id = %lld", items[i], (long long)id[i]);
        AFF_CHECK_INT(aff_test_store_exec_raw(ts.path, sql), 0);
    }
    aff_verify_report v;
    AFF_CHECK_INT(aff_verify_run(ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.conversions_checked, 6);
    AFF_CHECK_INT(v.ledger_mismatches, 0);
    AFF_CHECK_INT(v.items_out_of_bounds, 4);
    AFF_CHECK_INT(v.items_bad_ids[0], id[2]);
    AFF_CHECK_INT(v.items_bad_ids[1], id[3]);
    AFF_CHECK_INT(v.items_bad_ids[2], id[4]);
    AFF_CHECK_INT(v.items_bad_ids[3], id[5]);
    AFF_CHECK(!aff_verify_ok(&v));
    /* repaired, they are not counted, and verify agrees with the rest (test conversions:
     * in no rollup and no recount, so the items alone made verify fail) */
    AFF_CHECK_INT(aff_test_store_exec_raw(ts.path, "UPDATE conversion SET items = ''"), 0);
    AFF_CHECK_INT(aff_verify_run(ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.conversions_checked, 6);
    AFF_CHECK_INT(v.items_out_of_bounds, 0);
    AFF_CHECK(aff_verify_ok(&v));
    aff_test_store_close(&ts);
}
