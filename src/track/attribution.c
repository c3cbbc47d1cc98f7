/* attribution.c - attribution order and windows; see attribution.h. */
#include "track/attribution.h"

#include <string.h>

#include "core/clock.h"

static const char *const method_names[AFF_ATTR_NMETHODS] = {"click_id", "cookie", "coupon", "referral_code",
                                                            "customer"};

static const aff_attr_method last_click_order[] = {AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE, AFF_ATTR_COUPON,
                                                   AFF_ATTR_REFERRAL_CODE, AFF_ATTR_CUSTOMER};
static const aff_attr_method first_click_order[] = {AFF_ATTR_CUSTOMER, AFF_ATTR_CLICK_ID, AFF_ATTR_COOKIE,
                                                    AFF_ATTR_COUPON, AFF_ATTR_REFERRAL_CODE};

const char *aff_attr_method_name(aff_attr_method m)
{
    return (unsigned)m < AFF_ATTR_NMETHODS ? method_names[m] : "unknown";
}

static int is_click_method(aff_attr_method m)
{
    return m == AFF_ATTR_CLICK_ID || m == AFF_ATTR_COOKIE;
}

int aff_attribute(int first_click, int cookie_days, int64_t now_ms, aff_attr_lookup_fn lookup, void *ud,
                  aff_attr_result *out, aff_errinfo *err)
{
    const aff_attr_method *order = first_click ? first_click_order : last_click_order;
    int stale_click = 0, screened_click = 0;
    for (int i = 0; i < AFF_ATTR_NMETHODS; i++) {
        aff_attr_method m = order[i];
        aff_attr_candidate c = {0};
        int rc = lookup(ud, m, &c);
        if (rc != 0)
            return rc;
        if (c.error)
            return aff_fail(err, AFF_EUNKNOWNCLICK, "click_id", "unknown click id: not a click of this program");
        if (!c.found)
            continue;
        if (c.screened) {
            screened_click = 1;
            continue;
        }
        if (is_click_method(m) &&
            (now_ms - c.ts_ms > (int64_t)cookie_days * AFF_MS_PER_DAY || c.ts_ms > now_ms + 60000)) {
            stale_click = 1;
            continue;
        }
        out->method = m;
        out->affiliate_id = c.affiliate_id;
        out->link_id = c.link_id;
        out->coupon_id = c.coupon_id;
        out->click_ms = is_click_method(m) ? c.ts_ms : 0;
        if (is_click_method(m)) {
            memcpy(out->click_ip, c.ip, sizeof(out->click_ip));
            memcpy(out->click_country, c.country, sizeof(out->click_country));
            memcpy(out->sub1, c.sub1, sizeof(out->sub1));
        } else {
            out->click_ip[0] = '\0';
            out->click_country[0] = '\0';
            out->sub1[0] = '\0';
        }
        return 0;
    }
    if (screened_click)
        return aff_fail(err, AFF_ENOATTR, "click_id",
                        "the click was screened out (bot or rejected traffic) and cannot be attributed");
    if (stale_click)
        return aff_fail(err, AFF_ENOATTR, "click_id", "the click is outside the program's %d-day attribution window",
                        cookie_days);
    return aff_fail(err, AFF_ENOATTR, NULL, "no click id, cookie, coupon, referral code or known customer matched");
}
