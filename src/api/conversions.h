/*
 * conversions.h - the one ingestion path for conversions, whatever their transport
 * (JSON API, postback query/form, image pixel): raw fields in, a validated
 * aff_conversion_input out, recorded by the writer and answered after commit.
 */
#ifndef AFF_API_CONVERSIONS_H
#define AFF_API_CONVERSIONS_H

#include <jansson.h>

#include "net/http.h"
#include "track/conversion.h"

typedef struct aff_str {
    const char *p; /* NULL: absent */
    size_t len;
} aff_str;

typedef struct aff_conv_fields {
    aff_str order_id, event, amount, currency, status, click_id, cookie_click_id, coupon, referral_code, customer_id,
        email, shipping, tax, ip;
    int has_amount_minor, has_shipping_minor, has_tax_minor;
    int64_t amount_minor, shipping_minor, tax_minor;
    int test;
    int renewal;
    json_t *items; /* borrowed; NULL when absent */
} aff_conv_fields;

/* Validate f for program p into in. Returns 0 or an AFF_E* code with err naming the
 * field (422 family: invalid_argument, invalid_click_id, currency_mismatch). */
int aff_api_conversion_input(const aff_snap_program *p, const aff_click_id_key *key, const aff_conv_fields *f,
                             aff_conversion_input *in, aff_errinfo *err);

/* Validate and queue; answers the request (JSON, or always a GIF when pixel is set). */
void aff_api_conversion_submit(aff_http *h, const aff_snap_program *p, const aff_conv_fields *f, int pixel);

/* The 1x1 transparent GIF answer of /px.gif. */
void aff_api_send_gif(h2o_req_t *req);

#endif
