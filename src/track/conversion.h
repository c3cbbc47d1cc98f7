/*
 * conversion.h - recording conversions and refunds (writer thread).
 *
 * Owns: idempotency on (program, event, order_id), attribution (attribution.c decides
 * the order), the commission lines a conversion earns, the reversal lines a refund
 * appends, and their rollup contributions, all inside the writer's transaction.
 *
 * Conversion states (status column); screening (track/screen.h) may record a new
 * conversion as rejected (a reject rule hit) or held (a hold rule hit: its lines stay
 * pending until aff_ledger_approve_conversion or aff_ledger_reject_conversion):
 *
 *     pending  --(refund reaching the full amount: aff_conversion_refund)-->  reversed
 *     approved --(refund reaching the full amount: aff_conversion_refund)-->  reversed
 *     rejected   (posted as rejected; terminal; earns nothing, cannot be refunded)
 *
 * A partial refund keeps the status and raises refunded_minor. Approval of pending
 * conversions and their ledger lines belongs to the commission engine (a later issue).
 *
 * Ledger invariant (checked by aff_conversion_check_ledger and by `afftrack verify`):
 * the lines of a conversion sum to aff_commission_after_refund(earned, amount,
 * refunded) where earned is the sum of its "commission" lines.
 */
#ifndef AFF_TRACK_CONVERSION_H
#define AFF_TRACK_CONVERSION_H

#include <stdint.h>

#include "track/pool.h"

/* Lines one conversion can hold: its commission line and up to 255 refunds (a 256th
 * refund is refused with AFF_ECONFLICT; the final full refund is always possible
 * before that limit). */
#define AFF_CONV_MAX_LINES 256

typedef struct aff_conversion_input {
    int64_t program_id;
    char event[AFF_EVENT_MAX + 1];
    char order_id[AFF_ORDER_ID_MAX + 1];
    int64_t amount_minor;
    char currency[4];
    char status[16];                            /* pending | approved | rejected */
    char click_id[AFF_CLICK_ID_LEN + 1];        /* validated, canonical; "" if none */
    char cookie_click_id[AFF_CLICK_ID_LEN + 1]; /* validated, canonical; "" if none */
    char coupon[AFF_CODE_MAX + 1];              /* upper case; "" if none */
    char referral_code[AFF_CODE_MAX + 1];       /* a link code; "" if none */
    char customer_id[AFF_ORDER_ID_MAX + 1];
    char email_hash[65];
    int test;
    int renewal;                       /* a subscription renewal (attributed by customer) */
    char ip[64];                       /* the customer's IP when known, "" else */
    int64_t shipping_minor, tax_minor; /* parts of amount_minor */
    int64_t now_ms;
    char items_json[AFF_ITEMS_MAX + 1]; /* validated JSON array or ""; last, see aff_conversion_input_clear */
} aff_conversion_input;

/* Reset every field of in to empty/zero without touching the unused tail of items_json. */
void aff_conversion_input_clear(aff_conversion_input *in);

typedef struct aff_conversion_result {
    aff_conversion_row conv;
    int nlines;
    aff_ledger_row lines[AFF_CONV_MAX_LINES]; /* for a test conversion: the unstored line it would earn (id 0) */
    int replayed;                             /* 1: an earlier conversion with the same key was returned */
    int cap_code;                             /* the cap this conversion went over (61..66, 81..86), 0 none */
    int cap_hard;                             /* 1: that cap is hard (the conversion was rejected) */
} aff_conversion_result;

/* Record a conversion. Errors (with err filled): AFF_ENOTFOUND (program),
 * AFF_EUNKNOWNCLICK (field "click_id") for a click id not stored for this program,
 * AFF_ENOATTR when nothing matched. */
int aff_conversion_record(aff_ctx *ctx, const aff_conversion_input *in, aff_conversion_result *out, aff_errinfo *err);

/* Refund amount_minor (-1: all that remains) of conversion id at now_ms. Errors:
 * AFF_ENOTFOUND, AFF_ECONFLICT (already fully refunded, or AFF_CONV_MAX_LINES reached),
 * AFF_EINVAL (test or
 * rejected conversion; amount above what remains, field "amount_minor"). */
int aff_conversion_refund(aff_ctx *ctx, int64_t id, int64_t amount_minor, int64_t now_ms, aff_conversion_result *out,
                          aff_errinfo *err);

/* The same for a chargeback (the payment was disputed, not refunded by the shop): the
 * arithmetic is the refund's; the appended lines are of kind "chargeback". */
int aff_conversion_take_back(aff_ctx *ctx, int64_t id, int64_t amount_minor, int chargeback, int64_t now_ms,
                             aff_conversion_result *out, aff_errinfo *err);

/* Load a conversion and all its ledger lines (any thread with a store). */
int aff_conversion_load(aff_store *st, int64_t id, aff_conversion_result *out);

/* Does the ledger of a loaded conversion satisfy the invariant above? 1 yes, 0 no. */
int aff_conversion_check_ledger(const aff_conversion_result *r);

#endif
