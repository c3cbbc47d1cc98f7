/*
 * attribution.h - which affiliate earns a conversion (DESIGN.md section 7, docs/api.md
 * "Attribution"). Owns the order of the methods and the window rule; pure except for
 * the lookups it is handed, so the order itself is unit-tested without a store.
 *
 *   last_click (default): click_id, cookie, coupon, referral_code, customer
 *   first_click:          customer, click_id, cookie, coupon, referral_code
 *
 * A click counts only inside the program's cookie window (now - click time <=
 * cookie_days). An explicit click id that is not stored for the program is an error
 * (the integrator sent garbage) when the search reaches it; with first_click a known
 * customer wins before the click id is looked at. A stale click is skipped, and so is
 * a click that click-time screening marked a bot or rejected (docs/fraud.md): the
 * search goes on with the next method.
 */
#ifndef AFF_TRACK_ATTRIBUTION_H
#define AFF_TRACK_ATTRIBUTION_H

#include <stdint.h>

#include "core/err.h"

typedef enum {
    AFF_ATTR_CLICK_ID,
    AFF_ATTR_COOKIE,
    AFF_ATTR_COUPON,
    AFF_ATTR_REFERRAL_CODE,
    AFF_ATTR_CUSTOMER,
    AFF_ATTR_NMETHODS
} aff_attr_method;

/* What one method found. found=0: the method had nothing (or was stale). */
typedef struct aff_attr_candidate {
    int found;
    int error;     /* a lookup that must fail the conversion (unknown explicit click id) */
    int screened;  /* a click that screening marked bot or rejected: never attributed */
    int64_t ts_ms; /* click time, for click methods */
    int64_t affiliate_id, link_id, coupon_id;
    char ip[64];     /* the click's IP, for click methods */
    char country[3]; /* the click's country, "" unknown */
    char sub1[256];  /* the click's sub1 (AFF_SUB_MAX + 1 bytes), for click methods */
} aff_attr_candidate;

typedef int (*aff_attr_lookup_fn)(void *ud, aff_attr_method m, aff_attr_candidate *out);

typedef struct aff_attr_result {
    aff_attr_method method;
    int64_t affiliate_id, link_id, coupon_id;
    int64_t click_ms; /* the winning click's time, 0 when not a click method */
    char click_ip[64];
    char click_country[3]; /* "" unknown */
    char sub1[256];        /* the winning click's sub1, "" when not a click method */
} aff_attr_result;

/* Run the methods in the program's order; the first fresh, unscreened match wins.
 * Returns 0, AFF_ENOATTR, the lookup's error, or AFF_EUNKNOWNCLICK (field click_id)
 * for an unknown explicit click id. */
int aff_attribute(int first_click, int cookie_days, int64_t now_ms, aff_attr_lookup_fn lookup, void *ud,
                  aff_attr_result *out, aff_errinfo *err);

/* "click_id", "cookie", "coupon", "referral_code", "customer". */
const char *aff_attr_method_name(aff_attr_method m);

#endif
