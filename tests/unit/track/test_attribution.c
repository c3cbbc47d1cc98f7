/* test_attribution.c - unit tests for src/track/attribution.c: the method order of
 * last_click and first_click, the cookie window (inclusive boundary), stale clicks,
 * unknown explicit click ids and lookup errors, all through a fake lookup function. */
#include "core/clock.h"
#include "core/err.h"
#include "track/attribution.h"
#include "../test.h"

#define NOW 1714564800000LL /* 2024-05-01T12:00:00Z */
#define DAY 86400000LL

/* What each method returns, and the order the lookups were asked in. */
typedef struct fake {
    aff_attr_candidate cand[AFF_ATTR_NMETHODS];
    int rc[AFF_ATTR_NMETHODS];
    int calls[16];
    int ncalls;
} fake;

static int fake_lookup(void *ud, aff_attr_method m, aff_attr_candidate *out)
{
    fake *f = ud;
    if (f->ncalls < 16)
        f->calls[f->ncalls++] = (int)m;
    if (f->rc[m] != 0)
        return f->rc[m];
    *out = f->cand[m];
    return 0;
}

/* A fresh match for method m whose ids identify the method: affiliate 100+m, link 200+m,
 * coupon 300+m. */
static void found(fake *f, aff_attr_method m, int64_t ts_ms)
{
    f->cand[m].found = 1;
    f->cand[m].ts_ms = ts_ms;
    f->cand[m].affiliate_id = 100 + (int64_t)m;
    f->cand[m].link_id = 200 + (int64_t)m;
    f->cand[m].coupon_id = 300 + (int64_t)m;
}

static void all_found(fake *f)
{
    memset(f, 0, sizeof(*f));
    for (int m = 0; m < AFF_ATTR_NMETHODS; m++)
        found(f, (aff_attr_method)m, NOW - DAY); /* one day old: fresh for a 30-day window */
}

static int run(fake *f, int first_click, int cookie_days, aff_attr_result *res, aff_errinfo *err)
{
    memset(res, 0, sizeof(*res));
    memset(err, 0, sizeof(*err));
    f->ncalls = 0;
    return aff_attribute(first_click, cookie_days, NOW, fake_lookup, f, res, err);
}

AFF_TEST(attr_method_names)
{
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_CLICK_ID), "click_id");
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_COOKIE), "cookie");
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_COUPON), "coupon");
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_REFERRAL_CODE), "referral_code");
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_CUSTOMER), "customer");
    AFF_CHECK_STR(aff_attr_method_name(AFF_ATTR_NMETHODS), "unknown");
}

AFF_TEST(attr_last_click_order)
{
    /* Remove the winner one at a time: click_id > cookie > coupon > referral_code > customer. */
    static const aff_attr_method expect[] = {AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON,
                                             AFF_ATTR_REFERRAL_CODE, AFF_ATTR_CUSTOMER};
    fake f;
    all_found(&f);
    for (int i = 0; i < 5; i++) {
        aff_attr_result r;
        aff_errinfo e;
        AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
        AFF_CHECK_INT(r.method, expect[i]);
        AFF_CHECK_INT(r.affiliate_id, 100 + expect[i]);
        AFF_CHECK_INT(r.link_id, 200 + expect[i]);
        AFF_CHECK_INT(r.coupon_id, 300 + expect[i]);
        /* The lookups stop at the winner, which is the (i+1)-th asked. */
        AFF_CHECK_INT(f.ncalls, i + 1);
        f.cand[expect[i]].found = 0;
    }
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_ENOATTR);
}

AFF_TEST(attr_first_click_order)
{
    /* customer > click_id > cookie > coupon > referral_code. */
    static const aff_attr_method expect[] = {AFF_ATTR_CUSTOMER, AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON,
                                             AFF_ATTR_REFERRAL_CODE};
    fake f;
    all_found(&f);
    for (int i = 0; i < 5; i++) {
        aff_attr_result r;
        aff_errinfo e;
        AFF_CHECK_INT(run(&f, 1, 30, &r, &e), AFF_OK);
        AFF_CHECK_INT(r.method, expect[i]);
        AFF_CHECK_INT(r.affiliate_id, 100 + expect[i]);
        AFF_CHECK_INT(f.ncalls, i + 1);
        f.cand[expect[i]].found = 0;
    }
}

AFF_TEST(attr_lookup_call_order_when_nothing_matches)
{
    fake f;
    memset(&f, 0, sizeof(f));
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_ENOATTR);
    AFF_CHECK_INT(f.ncalls, 5);
    int last[] = {AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON, AFF_ATTR_REFERRAL_CODE, AFF_ATTR_CUSTOMER};
    for (int i = 0; i < 5; i++)
        AFF_CHECK_INT(f.calls[i], last[i]);

    AFF_CHECK_INT(run(&f, 1, 30, &r, &e), AFF_ENOATTR);
    AFF_CHECK_INT(f.ncalls, 5);
    int first[] = {AFF_ATTR_CUSTOMER, AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON, AFF_ATTR_REFERRAL_CODE};
    for (int i = 0; i < 5; i++)
        AFF_CHECK_INT(f.calls[i], first[i]);
}

AFF_TEST(attr_nothing_matches_is_enoattr_without_field)
{
    fake f;
    memset(&f, 0, sizeof(f));
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_ENOATTR);
    AFF_CHECK(e.field == NULL);
    AFF_CHECK(e.msg[0] != '\0');
}

AFF_TEST(attr_window_boundary_counts)
{
    /* Exactly cookie_days old: inside the window (now - ts <= cookie_days). */
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW - 30 * DAY);
    found(&f, AFF_ATTR_COUPON, 0);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
    AFF_CHECK_INT(r.method, AFF_ATTR_CLICK_ID);

    /* The same for the cookie. */
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_COOKIE, NOW - 7 * DAY);
    AFF_CHECK_INT(run(&f, 0, 7, &r, &e), AFF_OK);
    AFF_CHECK_INT(r.method, AFF_ATTR_COOKIE);
}

AFF_TEST(attr_window_one_ms_past_is_skipped)
{
    /* One millisecond older than the window: skipped, the next method wins. */
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW - 30 * DAY - 1);
    found(&f, AFF_ATTR_COOKIE, NOW - 2 * DAY);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
    AFF_CHECK_INT(r.method, AFF_ATTR_COOKIE);
    AFF_CHECK_INT(r.affiliate_id, 100 + AFF_ATTR_COOKIE);

    /* A stale cookie falls through to the coupon. */
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_COOKIE, NOW - 31 * DAY);
    found(&f, AFF_ATTR_COUPON, 0);
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
    AFF_CHECK_INT(r.method, AFF_ATTR_COUPON);
    AFF_CHECK_INT(r.coupon_id, 300 + AFF_ATTR_COUPON);
}

AFF_TEST(attr_zero_day_window)
{
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 0, &r, &e), AFF_OK);
    f.cand[AFF_ATTR_CLICK_ID].ts_ms = NOW - 1;
    AFF_CHECK_INT(run(&f, 0, 0, &r, &e), AFF_ENOATTR);
    AFF_CHECK_STR(e.field, "click_id");
}

AFF_TEST(attr_only_stale_clicks_is_enoattr_click_id)
{
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW - 40 * DAY);
    found(&f, AFF_ATTR_COOKIE, NOW - 50 * DAY);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_ENOATTR);
    AFF_CHECK_STR(e.field, "click_id");
    AFF_CHECK_INT(f.ncalls, 5); /* every later method was still tried */

    /* first_click: the same. */
    AFF_CHECK_INT(run(&f, 1, 30, &r, &e), AFF_ENOATTR);
    AFF_CHECK_STR(e.field, "click_id");
}

AFF_TEST(attr_window_applies_to_clicks_only)
{
    /* Coupon, referral code and customer carry no click time: ts 0 must not make them stale. */
    static const aff_attr_method m[] = {AFF_ATTR_COUPON, AFF_ATTR_REFERRAL_CODE, AFF_ATTR_CUSTOMER};
    for (int i = 0; i < 3; i++) {
        fake f;
        memset(&f, 0, sizeof(f));
        found(&f, m[i], 0);
        aff_attr_result r;
        aff_errinfo e;
        AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
        AFF_CHECK_INT(r.method, m[i]);
    }
}

AFF_TEST(attr_click_slightly_in_future_counts)
{
    /* A click stamped a few seconds ahead (clock skew between nodes) is still fresh. */
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW + 30000);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
    AFF_CHECK_INT(r.method, AFF_ATTR_CLICK_ID);
}

AFF_TEST(attr_unknown_explicit_click_is_error)
{
    /* An unknown explicit click id fails the conversion even though a cookie and a coupon match. */
    fake f;
    all_found(&f);
    f.cand[AFF_ATTR_CLICK_ID].found = 0;
    f.cand[AFF_ATTR_CLICK_ID].error = 1;
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_EUNKNOWNCLICK);
    AFF_CHECK_STR(e.field, "click_id");
    AFF_CHECK_INT(f.ncalls, 1);

    /* A NULL errinfo is allowed. */
    memset(&r, 0, sizeof(r));
    AFF_CHECK_INT(aff_attribute(0, 30, NOW, fake_lookup, &f, &r, NULL), AFF_EUNKNOWNCLICK);
}

AFF_TEST(attr_unknown_click_after_stale_click)
{
    /* last_click: a stale explicit click is skipped, then an erroring later lookup still fails. */
    fake f;
    memset(&f, 0, sizeof(f));
    f.cand[AFF_ATTR_COOKIE].error = 1;
    found(&f, AFF_ATTR_CLICK_ID, NOW - 90 * DAY);
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_EUNKNOWNCLICK);
    AFF_CHECK_STR(e.field, "click_id");
}

AFF_TEST(attr_lookup_error_propagates)
{
    static const aff_attr_method m[] = {AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON, AFF_ATTR_REFERRAL_CODE,
                                        AFF_ATTR_CUSTOMER};
    for (int i = 0; i < 5; i++) {
        fake f;
        memset(&f, 0, sizeof(f));
        f.rc[m[i]] = AFF_ESTORE;
        aff_attr_result r;
        aff_errinfo e;
        AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_ESTORE);
        AFF_CHECK_INT(run(&f, 1, 30, &r, &e), AFF_ESTORE);
    }
    /* An error in a method after the winner is never seen. */
    fake f;
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW);
    f.rc[AFF_ATTR_COUPON] = AFF_ENOMEM;
    aff_attr_result r;
    aff_errinfo e;
    AFF_CHECK_INT(run(&f, 0, 30, &r, &e), AFF_OK);
    /* ...but in first_click the customer lookup comes first and its error wins. */
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW);
    f.rc[AFF_ATTR_CUSTOMER] = AFF_ENOMEM;
    AFF_CHECK_INT(run(&f, 1, 30, &r, &e), AFF_ENOMEM);
}

/* A click that screening marked bot or rejected is skipped like a stale one: the next
 * method wins, and with nothing else the refusal names the screening. */
AFF_TEST(attr_screened_click_is_skipped)
{
    fake f;
    aff_attr_result res;
    aff_errinfo err;
    all_found(&f);
    f.cand[AFF_ATTR_CLICK_ID].screened = 1;
    AFF_CHECK_INT(run(&f, 0, 30, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.method, AFF_ATTR_COOKIE);
    AFF_CHECK_INT(res.affiliate_id, 100 + AFF_ATTR_COOKIE);

    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW - DAY);
    f.cand[AFF_ATTR_CLICK_ID].screened = 1;
    AFF_CHECK_INT(run(&f, 0, 30, &res, &err), AFF_ENOATTR);
    AFF_CHECK_STR(err.field, "click_id");
    AFF_CHECK(strstr(err.msg, "screened") != NULL);

    /* first_click: a screened click id does not hide a fresh cookie click */
    memset(&f, 0, sizeof(f));
    found(&f, AFF_ATTR_CLICK_ID, NOW - DAY);
    found(&f, AFF_ATTR_COOKIE, NOW - 2 * DAY);
    f.cand[AFF_ATTR_CLICK_ID].screened = 1;
    AFF_CHECK_INT(run(&f, 1, 30, &res, &err), AFF_OK);
    AFF_CHECK_INT(res.method, AFF_ATTR_COOKIE);
}
