/* test_conversion.c - unit tests for aff_conversion_record (src/track/conversion.c) on a
 * real store with a hand-built aff_ctx: attribution by click id, cookie, coupon, referral
 * code and customer, idempotent replays, test and rejected conversions, the ledger
 * invariant and rollups against the store's raw recount. Commission expectations are
 * worked out by hand in the comments. */
#include "conversion_fixture.h"
#include "track/verify.h"

/* ---- attribution ----------------------------------------------------------------------------- */

AFF_TEST(conversion_by_click_id)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", cid);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + 2 * FX_HOUR);
    memcpy(in->click_id, cid, sizeof(in->click_id));
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10"); /* the click id outranks the coupon */
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(r->replayed, 0);
    AFF_CHECK(r->conv.id > 0);
    AFF_CHECK_STR(r->conv.method, "click_id");
    AFF_CHECK_STR(r->conv.click_id, cid);
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->conv.link_id, w.link1);
    AFF_CHECK_INT(r->conv.coupon_id, 0);
    AFF_CHECK_STR(r->conv.currency, "USD");
    AFF_CHECK_STR(r->conv.status, "approved");
    AFF_CHECK_INT(r->conv.amount_minor, 999);
    AFF_CHECK_INT(r->conv.created_ms, FX_T0 + 2 * FX_HOUR);
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 125);
    AFF_CHECK_STR(r->lines[0].kind, "commission");
    AFF_CHECK_STR(r->lines[0].rule, "sale:percent");
    AFF_CHECK_STR(r->lines[0].status, "approved");
    AFF_CHECK_STR(r->lines[0].currency, "USD");
    AFF_CHECK_INT(r->lines[0].plan_version, 1);
    AFF_CHECK_INT(r->lines[0].conversion_id, r->conv.id);
    AFF_CHECK_INT(r->lines[0].affiliate_id, w.a1);
    AFF_CHECK_INT(r->lines[0].program_id, w.prog);

    /* What was stored matches what was answered. */
    aff_conversion_result *loaded = result();
    AFF_CHECK_INT(aff_conversion_load(w.f.ts.st, r->conv.id, loaded), AFF_OK);
    AFF_CHECK_STR(loaded->conv.method, "click_id");
    AFF_CHECK_INT(loaded->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(loaded->nlines, 1);
    AFF_CHECK_INT(loaded->lines[0].amount_minor, 125);
    AFF_CHECK(aff_conversion_check_ledger(loaded));

    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.clicks, 1);
    AFF_CHECK_INT(t.unique_clicks, 1);
    AFF_CHECK_INT(t.conversions, 1);
    AFF_CHECK_INT(t.revenue_minor, 999);
    AFF_CHECK_INT(t.commission_minor, 125);
    EXPECT_ROLLUPS_MATCH(&w);
    free(loaded);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_by_cookie)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", cid);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 4000, "pending", FX_T0 + FX_DAY);
    memcpy(in->cookie_click_id, cid, sizeof(in->cookie_click_id));
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "cookie");
    AFF_CHECK_STR(r->conv.click_id, cid);
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->conv.link_id, w.link1);
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 500); /* 12.5 % of 4000 */
    AFF_CHECK_STR(r->lines[0].status, "pending");
    EXPECT_LEDGER_OK(&w, r->conv.id);
    EXPECT_ROLLUPS_MATCH(&w);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_by_coupon)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 1000, "approved", FX_T0);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    snprintf(in->referral_code, sizeof(in->referral_code), "alice"); /* the coupon outranks it */
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "coupon");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a2);
    AFF_CHECK_INT(r->conv.coupon_id, w.coupon);
    AFF_CHECK_INT(r->conv.link_id, 0);
    AFF_CHECK_STR(r->conv.coupon, "SAVE10");
    AFF_CHECK_STR(r->conv.click_id, "");
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 125); /* 12.5 % of 1000 */
    AFF_CHECK_INT(r->lines[0].affiliate_id, w.a2);

    /* The coupon belongs to one program only. */
    aff_conversion_input *in2 = input(w.other, "sale", "o-1", 1000, "approved", FX_T0);
    snprintf(in2->coupon, sizeof(in2->coupon), "SAVE10");
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_ENOATTR);
    EXPECT_ROLLUPS_MATCH(&w);
    free(in2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_by_referral_code)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "lead", "l-1", 0, "approved", FX_T0);
    snprintf(in->referral_code, sizeof(in->referral_code), "alice");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "referral_code");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->conv.link_id, w.link1);
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 200);
    AFF_CHECK_STR(r->lines[0].rule, "lead:flat_minor");
    /* A link of another program is no referral for this one. */
    aff_conversion_input *in2 = input(w.prog, "lead", "l-2", 0, "approved", FX_T0);
    snprintf(in2->referral_code, sizeof(in2->referral_code), "elsewhere");
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_ENOATTR);
    free(in2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_by_customer_on_later_conversion)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", cid);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + FX_HOUR);
    memcpy(in->click_id, cid, sizeof(in->click_id));
    snprintf(in->customer_id, sizeof(in->customer_id), "cust-7");
    snprintf(in->email_hash, sizeof(in->email_hash), "%064x", 0xbeef);
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "click_id");

    /* Months later, no click: the customer id alone attributes it to the same affiliate and link. */
    aff_conversion_input *in2 = input(w.prog, "sale", "o-2", 2000, "approved", FX_T0 + 200 * FX_DAY);
    snprintf(in2->customer_id, sizeof(in2->customer_id), "cust-7");
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "customer");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->conv.link_id, w.link1);
    AFF_CHECK_STR(r->conv.click_id, "");
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 250);

    /* The email hash alone works too. */
    aff_conversion_input *in3 = input(w.prog, "sale", "o-3", 8, "approved", FX_T0 + 201 * FX_DAY);
    snprintf(in3->email_hash, sizeof(in3->email_hash), "%064x", 0xbeef);
    AFF_CHECK_INT(record(&w, in3, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "customer");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 1); /* 12.5 % of 8 = 1 exactly */

    /* An unknown customer, or a known one in another program, matches nothing. */
    aff_conversion_input *in4 = input(w.other, "sale", "o-4", 100, "approved", FX_T0 + 201 * FX_DAY);
    snprintf(in4->customer_id, sizeof(in4->customer_id), "cust-7");
    AFF_CHECK_INT(record(&w, in4, r, &err), AFF_ENOATTR);
    EXPECT_ROLLUPS_MATCH(&w);
    free(in4);
    free(in3);
    free(in2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_first_click_prefers_customer)
{
    world w;
    WORLD_OR_RETURN(&w);
    int64_t fc = fx_program(&w.f, "First", "USD", "first_click", 30, PLAN);
    int64_t l1 = fx_link(&w.f, "fc-ann", fc, w.a1);
    int64_t l2 = fx_link(&w.f, "fc-bob", fc, w.a2);
    char c1[AFF_CLICK_ID_LEN + 1], c2[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, fc, w.a1, l1, FX_T0, "203.0.113.5", c1);
    fx_click(&w.f, fc, w.a2, l2, FX_T0 + FX_DAY, "203.0.113.6", c2);
    aff_conversion_input *in = input(fc, "sale", "o-1", 100, "approved", FX_T0 + FX_HOUR);
    memcpy(in->click_id, c1, sizeof(in->click_id));
    snprintf(in->customer_id, sizeof(in->customer_id), "cust-1");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "click_id");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    /* The same customer comes back through bob's click: first_click keeps ann. */
    aff_conversion_input *in2 = input(fc, "sale", "o-2", 100, "approved", FX_T0 + 2 * FX_DAY);
    memcpy(in2->click_id, c2, sizeof(in2->click_id));
    snprintf(in2->customer_id, sizeof(in2->customer_id), "cust-1");
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "customer");
    AFF_CHECK_INT(r->conv.affiliate_id, w.a1);
    AFF_CHECK_INT(r->conv.link_id, l1);
    /* In a last_click program the same would go to the click. */
    free(in2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_unknown_click_id_is_error)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    /* Well-formed and correctly tagged, but never stored. */
    AFF_CHECK_INT(aff_click_id_new(&w.f.key, FX_T0, cid), AFF_OK);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0 + FX_HOUR);
    memcpy(in->click_id, cid, sizeof(in->click_id));
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_EUNKNOWNCLICK);
    AFF_CHECK_STR(err.field, "click_id");
    AFF_CHECK_INT(aff_store_conversion_find(w.f.ts.st, w.prog, "sale", "o-1", &r->conv), AFF_ENOTFOUND);

    /* A stored click of another program is just as unknown here. */
    char other[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.other, w.a2, w.link_other, FX_T0, "203.0.113.9", other);
    memcpy(in->click_id, other, sizeof(in->click_id));
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_EUNKNOWNCLICK);
    AFF_CHECK_STR(err.field, "click_id");
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_foreign_cookie_is_ignored)
{
    world w;
    WORLD_OR_RETURN(&w);
    char other[AFF_CLICK_ID_LEN + 1], unknown[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.other, w.a2, w.link_other, FX_T0, "203.0.113.9", other);
    AFF_CHECK_INT(aff_click_id_new(&w.f.key, FX_T0, unknown), AFF_OK);
    const char *cookies[2] = {other, unknown};
    for (int i = 0; i < 2; i++) {
        char order[16];
        snprintf(order, sizeof(order), "o-%d", i);
        aff_conversion_input *in = input(w.prog, "sale", order, 1000, "approved", FX_T0 + FX_HOUR);
        memcpy(in->cookie_click_id, cookies[i], sizeof(in->cookie_click_id));
        snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
        aff_conversion_result *r = result();
        aff_errinfo err;
        AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
        AFF_CHECK_STR(r->conv.method, "coupon");
        free(r);
        free(in);
    }
    fx_close(&w.f);
}

AFF_TEST(conversion_click_window)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", cid);
    aff_conversion_result *r = result();
    aff_errinfo err;
    /* 30 days and 1 ms later: stale, and nothing else matched */
    aff_conversion_input *in = input(w.prog, "sale", "late", 999, "approved", FX_T0 + 30 * FX_DAY + 1);
    memcpy(in->click_id, cid, sizeof(in->click_id));
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_ENOATTR);
    AFF_CHECK_STR(err.field, "click_id");
    /* exactly 30 days later: inside */
    aff_conversion_input *in2 = input(w.prog, "sale", "edge", 999, "approved", FX_T0 + 30 * FX_DAY);
    memcpy(in2->click_id, cid, sizeof(in2->click_id));
    AFF_CHECK_INT(record(&w, in2, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "click_id");
    /* stale click but a coupon: the coupon wins */
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.method, "coupon");
    free(in2);
    free(in);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(conversion_nothing_or_unknown_program)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_result *r = result();
    aff_errinfo err;
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0);
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_ENOATTR);
    AFF_CHECK(err.field == NULL);
    snprintf(in->coupon, sizeof(in->coupon), "NOPE");
    snprintf(in->referral_code, sizeof(in->referral_code), "nope");
    snprintf(in->customer_id, sizeof(in->customer_id), "stranger");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_ENOATTR);
    in->program_id = 999;
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_ENOTFOUND);
    AFF_CHECK_STR(err.field, "program_id");
    aff_verify_report vr;
    AFF_CHECK_INT(aff_verify_run(w.f.ts.st, &vr), AFF_OK);
    AFF_CHECK(aff_verify_ok(&vr));
    const aff_verify_counts v = vr.counts;
    AFF_CHECK_INT(v.raw.conversions, 0);
    free(in);
    free(r);
    fx_close(&w.f);
}

AFF_TEST(conversion_replay_is_idempotent)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "sale", "o-1", 999, "approved", FX_T0);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    aff_conversion_result *r1 = result(), *r2 = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r1, &err), AFF_OK);
    AFF_CHECK_INT(r1->replayed, 0);
    /* The same key again, even with another amount and time: the first answer. */
    in->amount_minor = 5000;
    in->now_ms = FX_T0 + FX_DAY;
    AFF_CHECK_INT(record(&w, in, r2, &err), AFF_OK);
    AFF_CHECK_INT(r2->replayed, 1);
    AFF_CHECK_INT(r2->conv.id, r1->conv.id);
    AFF_CHECK_INT(r2->conv.amount_minor, 999);
    AFF_CHECK_INT(r2->nlines, 1);
    AFF_CHECK_INT(r2->lines[0].amount_minor, 125);
    AFF_CHECK_INT(r2->lines[0].id, r1->lines[0].id);
    int64_t sum, count;
    stored_lines(&w, r1->conv.id, &sum, &count);
    AFF_CHECK_INT(count, 1);
    AFF_CHECK_INT(sum, 125);
    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.conversions, 1);
    AFF_CHECK_INT(t.revenue_minor, 999);
    AFF_CHECK_INT(t.commission_minor, 125);
    EXPECT_ROLLUPS_MATCH(&w);
    free(r2);
    free(r1);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_test_writes_no_ledger)
{
    world w;
    WORLD_OR_RETURN(&w);
    char cid[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", cid);
    aff_conversion_input *in = input(w.prog, "sale", "t-1", 999, "approved", FX_T0 + FX_HOUR);
    memcpy(in->click_id, cid, sizeof(in->click_id));
    snprintf(in->customer_id, sizeof(in->customer_id), "tester");
    in->test = 1;
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(r->conv.test, 1);
    /* answered with the line it would earn, which is not stored (id 0) */
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].id, 0);
    AFF_CHECK_INT(r->lines[0].amount_minor, 125);
    AFF_CHECK_STR(r->lines[0].rule, "sale:percent");
    AFF_CHECK_STR(r->lines[0].kind, "commission");
    int64_t sum, count;
    stored_lines(&w, r->conv.id, &sum, &count);
    AFF_CHECK_INT(count, 0);
    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.conversions, 0);
    AFF_CHECK_INT(t.revenue_minor, 0);
    AFF_CHECK_INT(t.commission_minor, 0);
    EXPECT_ROLLUPS_MATCH(&w);
    EXPECT_LEDGER_OK(&w, r->conv.id);

    /* A replay reports what it would have earned again. */
    aff_conversion_result *r2 = result();
    AFF_CHECK_INT(record(&w, in, r2, &err), AFF_OK);
    AFF_CHECK_INT(r2->replayed, 1);
    AFF_CHECK_INT(r2->conv.id, r->conv.id);
    AFF_CHECK_INT(r2->nlines, 1);
    AFF_CHECK_INT(r2->lines[0].id, 0);
    AFF_CHECK_INT(r2->lines[0].amount_minor, 125);
    AFF_CHECK_STR(r2->lines[0].rule, "sale:percent");
    stored_lines(&w, r->conv.id, &sum, &count);
    AFF_CHECK_INT(count, 0);
    /* A test conversion does not teach us the customer. */
    aff_conversion_input *in2 = input(w.prog, "sale", "o-2", 999, "approved", FX_T0 + 2 * FX_HOUR);
    snprintf(in2->customer_id, sizeof(in2->customer_id), "tester");
    AFF_CHECK_INT(record(&w, in2, r2, &err), AFF_ENOATTR);
    /* ...and cannot be refunded. */
    AFF_CHECK_INT(refund(&w, r->conv.id, -1, FX_T0 + 3 * FX_HOUR, r2, &err), AFF_EINVAL);
    free(in2);
    free(r2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_rejected_earns_nothing)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "sale", "r-1", 999, "rejected", FX_T0);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_STR(r->conv.status, "rejected");
    AFF_CHECK_INT(r->nlines, 1);
    AFF_CHECK_INT(r->lines[0].amount_minor, 125);
    AFF_CHECK_STR(r->lines[0].status, "rejected");
    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.conversions, 0);
    AFF_CHECK_INT(t.revenue_minor, 0);
    AFF_CHECK_INT(t.commission_minor, 0);
    EXPECT_ROLLUPS_MATCH(&w);
    EXPECT_LEDGER_OK(&w, r->conv.id);
    aff_conversion_result *r2 = result();
    AFF_CHECK_INT(refund(&w, r->conv.id, 100, FX_T0 + FX_HOUR, r2, &err), AFF_EINVAL);
    free(r2);
    free(r);
    free(in);
    fx_close(&w.f);
}

AFF_TEST(conversion_event_without_rule)
{
    world w;
    WORLD_OR_RETURN(&w);
    aff_conversion_input *in = input(w.prog, "signup", "s-1", 300, "approved", FX_T0);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    aff_conversion_result *r = result();
    aff_errinfo err;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(r->nlines, 0);
    aff_rollup_delta t = totals(&w, w.prog);
    AFF_CHECK_INT(t.conversions, 1);
    AFF_CHECK_INT(t.revenue_minor, 300);
    AFF_CHECK_INT(t.commission_minor, 0);
    EXPECT_LEDGER_OK(&w, r->conv.id);
    /* refunding it changes no ledger line but is recorded */
    AFF_CHECK_INT(refund(&w, r->conv.id, 100, FX_T0 + FX_HOUR, r, &err), AFF_OK);
    AFF_CHECK_INT(r->conv.refunded_minor, 100);
    AFF_CHECK_INT(r->nlines, 0);
    EXPECT_ROLLUPS_MATCH(&w);
    free(r);
    free(in);
    fx_close(&w.f);
}

/* ---- everything together -------------------------------------------------------------------------- */

AFF_TEST(conversion_rollups_equal_raw_recount)
{
    world w;
    WORLD_OR_RETURN(&w);
    char c1[AFF_CLICK_ID_LEN + 1], c2[AFF_CLICK_ID_LEN + 1], c3[AFF_CLICK_ID_LEN + 1];
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0, "203.0.113.5", c1);
    fx_click(&w.f, w.prog, w.a1, w.link1, FX_T0 + 60000, "203.0.113.5", c2); /* same visitor: not unique */
    fx_click(&w.f, w.other, w.a2, w.link_other, FX_T0 + 2 * FX_DAY, "203.0.113.7", c3);
    aff_conversion_result *r = result();
    aff_errinfo err;
    aff_conversion_input *in = input(w.prog, "sale", "a", 999, "approved", FX_T0 + FX_HOUR);
    memcpy(in->click_id, c2, sizeof(in->click_id));
    snprintf(in->customer_id, sizeof(in->customer_id), "k");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    int64_t a_id = r->conv.id;
    free(in);
    in = input(w.prog, "sale", "b", 2000, "pending", FX_T0 + 3 * FX_DAY);
    snprintf(in->customer_id, sizeof(in->customer_id), "k");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK); /* 250 */
    free(in);
    in = input(w.other, "lead", "c", 0, "approved", FX_T0 + 2 * FX_DAY + FX_HOUR);
    memcpy(in->cookie_click_id, c3, sizeof(in->cookie_click_id));
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK); /* 200 */
    free(in);
    in = input(w.prog, "sale", "d", 700, "rejected", FX_T0 + FX_HOUR);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    free(in);
    in = input(w.prog, "sale", "e", 700, "approved", FX_T0 + FX_HOUR);
    snprintf(in->coupon, sizeof(in->coupon), "SAVE10");
    in->test = 1;
    AFF_CHECK_INT(record(&w, in, r, &err), AFF_OK);
    AFF_CHECK_INT(refund(&w, a_id, 333, FX_T0 + 5 * FX_DAY, r, &err), AFF_OK); /* -42 */
    EXPECT_ROLLUPS_MATCH(&w);

    /* By hand: 3 clicks (2 unique); conversions a, b, c (d rejected, e test);
     * revenue 999 + 2000 + 0; commission 125 + 250 + 200 - 42 = 533; refunds 333. */
    aff_verify_report vr;
    AFF_CHECK_INT(aff_verify_run(w.f.ts.st, &vr), AFF_OK);
    AFF_CHECK(aff_verify_ok(&vr));
    const aff_verify_counts v = vr.counts;
    AFF_CHECK_INT(v.rollup.clicks, 3);
    AFF_CHECK_INT(v.rollup.unique_clicks, 2);
    AFF_CHECK_INT(v.rollup.conversions, 3);
    AFF_CHECK_INT(v.rollup.revenue_minor, 2999);
    AFF_CHECK_INT(v.rollup.commission_minor, 533);
    AFF_CHECK_INT(v.rollup.refunds_minor, 333);
    AFF_CHECK_INT(vr.ledger_mismatches, 0);
    free(in);
    free(r);
    fx_close(&w.f);
}
