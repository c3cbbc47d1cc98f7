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
