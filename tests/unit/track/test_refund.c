/* test_refund.c - unit tests for aff_conversion_refund (src/track/conversion.c): pro-rata
 * reversal lines on cumulative refunds, the pending/approved -> reversed transition,
 * refused refunds, and the ledger invariant and rollups after every step. Expected lines
 * are worked out by hand in the comments. */
#include "conversion_fixture.h"

/* ---- refunds ---------------------------------------------------------------------------------- */

/* A 999 sale earning 125, attributed by coupon; returns its id. */
static int64_t sale_999(world *w, const char *order, const char *status)
{
    aff_conversion_input *in = input(w->prog, "sale", order, 999, status, FX_T0);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    aff_conversion_result *r = result();
    aff_errinfo err;
    int rc = record(w, in, r, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 125);
    int64_t id = rc == 0 ? r->conv.id : 0;
    free(r);
    free(in);
    return id;
}

AFF_TEST(refund_partial_partial_full)
{
    world w;
    WORLD_OR_RETURN(&w);
    int64_t id = sale_999(&w, "o-1", "approved");
    aff_conversion_result *r = result();
    aff_errinfo err;
    int64_t sum, count;

    /* 333 of 999: 125*333/999 = 41.67 -> 42 gone, 83 left: a -42 line */
    AFF_CHECK_INT(refund(&w, id, 333, FX_T0 + FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "approved");
    AFF_CHECK_INT(r->conv.refunded_minor, 333);
    AFF_CHECK_INT(r->nlines, 2);
    AFF_CHECK_INT(r->lines[1].amount_minor, -42);
    AFF_CHECK_STR(r->lines[1].kind, "reversal");
    AFF_CHECK_STR(r->lines[1].status, "approved");
    AFF_CHECK_STR(r->lines[1].rule, "sale:percent");
    AFF_CHECK_INT(r->lines[1].affiliate_id, w.a2);
    AFF_CHECK_INT(r->lines[1].created_ms, FX_T0 + FX_DAY);
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 83);
    AFF_CHECK_INT(count, 2);
    aff_conversion_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(w.f.ts.st, id, c), AFF_OK);
    AFF_CHECK_STR(c->status, "approved"); /* stored as well as answered */
    AFF_CHECK_INT(c->refunded_minor, 333);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);

    /* 666 of 999: 83.33 -> 83 gone, 42 left: a -41 line */
    AFF_CHECK_INT(refund(&w, id, 333, FX_T0 + 2 * FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "approved");
    AFF_CHECK_INT(r->conv.refunded_minor, 666);
    AFF_CHECK_INT(r->nlines, 3);
    AFF_CHECK_INT(r->lines[2].amount_minor, -41);
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 42);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);

    /* the rest (-1): nothing left, a -42 line, reversed */
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + 3 * FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "reversed");
    AFF_CHECK_INT(r->conv.refunded_minor, 999);
    AFF_CHECK_INT(r->nlines, 4);
    AFF_CHECK_INT(r->lines[3].amount_minor, -42);
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 0);
    AFF_CHECK_INT(count, 4);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);

    AFF_CHECK_INT(aff_store_conversion_get(w.f.ts.st, id, c), AFF_OK);
    AFF_CHECK_STR(c->status, "reversed");
    AFF_CHECK_INT(c->refunded_minor, 999);
    free(c);
    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.conversions, 1);
    AFF_CHECK_INT(t.revenue_minor, 999);
    AFF_CHECK_INT(t.refunds_minor, 999);
    AFF_CHECK_INT(t.commission_minor, 0);

    /* after reversed: conflict, whatever the amount */
    AFF_CHECK_INT(refund(&w, id, 1, FX_T0 + 4 * FX_DAY, r, &err), AFF_ECONFLICT);
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + 4 * FX_DAY, r, &err), AFF_ECONFLICT);
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(count, 4);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(refund_over_remaining_is_refused)
{
    world w;
    WORLD_OR_RETURN(&w);
    int64_t id = sale_999(&w, "o-1", "approved");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(refund(&w, id, 1000, FX_T0 + FX_HOUR, r, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "amount_minor");
    AFF_CHECK_INT(refund(&w, id, 333, FX_T0 + FX_HOUR, r, &err), AFF_OK);
    /* 666 remain: 667 is too much and changes nothing */
    AFF_CHECK_INT(refund(&w, id, 667, FX_T0 + 2 * FX_HOUR, r, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "amount_minor");
    int64_t sum, count;
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(count, 2);
    AFF_CHECK_INT(sum, 83);
    aff_conversion_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(w.f.ts.st, id, c), AFF_OK);
    AFF_CHECK_INT(c->refunded_minor, 333);
    /* exactly what remains reverses it */
    AFF_CHECK_INT(refund(&w, id, 666, FX_T0 + 3 * FX_HOUR, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "reversed");
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 0);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);
    free(c);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(refund_errors)
{
    world w;
    WORLD_OR_RETURN(&w);
    int64_t id = sale_999(&w, "o-1", "pending");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(refund(&w, 999999, 10, FX_T0, r, &err), AFF_ENOTFOUND);
    AFF_CHECK_INT(refund(&w, id, 0, FX_T0, r, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "amount_minor");
    /* a pending conversion keeps its status through a partial refund */
    AFF_CHECK_INT(refund(&w, id, 500, FX_T0, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "pending");
    AFF_CHECK_STR(r->lines[1].status, "pending");
    /* 125*500/999 = 62.56 -> 63 gone: -63 */
    AFF_CHECK_INT(r->lines[1].amount_minor, -63);
    EXPECT_LEDGER_OK(&w, id);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(refund_lead_without_amount)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "lead", "l-1", 0, "approved", FX_T0);
    snprintf(in->referral_code, sizeof(in->referral_code), "alice");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(r->lines[0].amount_minor, 200);
    int64_t id = r->conv.id;
    AFF_CHECK_INT(refund(&w, id, 5, FX_T0, r, &err), AFF_EINVAL);
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + FX_HOUR, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "reversed");
    int64_t sum, count;
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 0);
    AFF_CHECK_INT(count, 2);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + FX_HOUR, r, &err), AFF_ECONFLICT);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(refund_many_partials_then_rest)
{
    /* Ten refunds of 90 then the rest (99) of a 999 sale: each step moves the target
     * (125 * 90k / 999 rounds to a new value every time), so each adds a line. A valid
     * refund must not fail however many came before; the lines end at exactly 0. */
    world w;
    WORLD_OR_RETURN(&w);
    int64_t id = sale_999(&w, "o-1", "approved");
    aff_conversion_result *r = result();
    aff_errinfo err;
    int64_t refunded = 0;
    for (int i = 0; i < 10; i++) {
        int rc = refund(&w, id, 90, FX_T0 + (i + 1) * FX_HOUR, r, &err);
        refunded += 90;
        if (rc != AFF_OK) {
            aff_test_fail(__FILE__, __LINE__, "refund %d (cumulative %lld of 999): rc %d (%s)", i + 1,
                          (long long)refunded, rc, err.msg);
            break;
        }
        /* expected left: 125 - round(125 * refunded / 999) */
        int64_t left = 125 - (2 * 125 * refunded + 999) / (2 * 999);
        int64_t sum, count;
        stored_lines(&w, id, &sum, &count);
        AFF_CHECK_INT(sum, left);
    }
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + 20 * FX_HOUR, r, &err), AFF_OK);
    int64_t sum, count;
    stored_lines(&w, id, &sum, &count);
    AFF_CHECK_INT(sum, 0);
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(refund_chargeback_lines)
{
    world w;
    WORLD_OR_RETURN(&w);
    int64_t id = sale_999(&w, "cb-1", "approved");
    aff_conversion_result *r = result();
    aff_errinfo err = {0};
    /* A chargeback of 500 of 999: 125*500/999 = 62.56 -> 63 taken back, as a "chargeback" line. */
    AFF_CHECK_INT(aff_conversion_take_back(&w.f.ctx, id, 500, 1, FX_T0 + FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_INT(r->nlines, 2);
    AFF_CHECK_INT(r->lines[1].amount_minor, -63);
    AFF_CHECK_STR(r->lines[1].kind, "chargeback");
    /* then the rest as a plain refund: -62, and the conversion is reversed */
    AFF_CHECK_INT(refund(&w, id, -1, FX_T0 + 2 * FX_DAY, r, &err), AFF_OK);
    AFF_CHECK_INT(r->nlines, 3);
    AFF_CHECK_INT(r->lines[2].amount_minor, -62);
    AFF_CHECK_STR(r->lines[2].kind, "reversal");
    AFF_CHECK_STR(r->conv.status, "reversed");
    EXPECT_LEDGER_OK(&w, id);
    EXPECT_ROLLUPS_MATCH(&w);
    free(r);
    fx_close(&w.f);
}
