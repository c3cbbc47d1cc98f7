/*
 * ledger.h - commission lines: their lifecycle, the shares they make up, and the
 * invariants that are checked on every change (not only in debug builds).
 *
 * Owns: which status moves are legal and the functions that make them; "shares"
 * (the lines of one conversion owed to one affiliate for one reason) and bringing a
 * share to what it is owed by appending a line; the per-conversion invariant.
 * Does not own: what a plan yields (track/commission.h, track/earn.h), payouts'
 * bookkeeping beyond the line moves (track/payout.h), SQL (store/).
 *
 * Line lifecycle (every arrow is one function; any other move is AFF_ECONFLICT, 409):
 *
 *              aff_ledger_approve_line / aff_ledger_approve_conversion /
 *              aff_ledger_auto_approve (hold_days elapsed)
 *     pending --------------------------------------------> approved
 *        |                                                      |  aff_ledger_release
 *        |                                                      v  (affiliate approved)
 *        |                                                   payable <------------------+
 *        |  aff_ledger_reject_conversion                        |  aff_payout_run       |
 *        +--------------------> rejected <----(also from        v                       |
 *                               (terminal)     approved,     in_payout --aff_payout_mark_failed
 *                                              payable)         |
 *        aff_ledger_reverse_unpaid (a full refund while         | aff_payout_mark_paid
 *        the share was never in a payout)                       v
 *     pending/approved/payable ------------> reversed          paid
 *                                            (terminal)
 *
 * Amounts never change (the store refuses): a refund, a retroactive tier, a cap or a
 * sub-affiliate share appends a line. A new line starts pending (with the conversion's
 * hold) while its conversion is pending, and approved otherwise, so money owed after a
 * share was paid (a clawback) flows into the affiliate's next payout: a negative
 * balance is carried, never lost.
 *
 * Shares: lines with the same (conversion, slot, affiliate). Slots: "commission" (the
 * converting affiliate), "override:<level>" (its parents), "bonus:<name>". Every line
 * records its share's gross (gross_minor). Invariant, per share of a conversion that is
 * not rejected:
 *     sum(lines not rejected) == owed(gross)   where owed(g) = g for bonuses, 0 once the
 *     conversion is reversed, else aff_commission_after_refund(g, amount, refunded);
 * the commission share's gross equals the conversion's earned_minor (unless it is
 * reversed: it owes nothing whatever its gross); a rejected conversion has only
 * rejected lines. Balances per affiliate equal the sum of their
 * lines by status (kept by the store, recounted by aff_store_balance_check).
 */
#ifndef AFF_TRACK_LEDGER_H
#define AFF_TRACK_LEDGER_H

#include <stdint.h>

#include "track/conversion.h"

/* 1 when a line may move from status `from` to `to`. */
int aff_ledger_move_allowed(const char *from, const char *to);

/* A share to bring up to date. */
typedef struct aff_share {
    const char *slot; /* "commission", "override:1", "bonus:<name>" */
    int64_t affiliate_id;
    int64_t gross_minor;
    const char *kind; /* kind of the line appended if one is needed */
    const char *rule; /* its rule */
    int plan_version;
} aff_share;

/* What a share is owed now (see the invariant above). */
int64_t aff_ledger_owed(const aff_conversion_row *conv, const char *slot, int64_t gross_minor);

/* Append to r (the conversion and its loaded lines) and to the store the line that
 * makes share s owed what it should be, or records its new gross (a 0 line when the
 * amount owed did not move); nothing when both already are. With dry set
 * (test conversions) the line is only added to r (id 0). *delta gets the amount
 * appended. Returns 0, AFF_ECONFLICT (AFF_CONV_MAX_LINES reached) or a store error. */
int aff_ledger_sync_share(aff_store *st, aff_conversion_result *r, const aff_share *s, int64_t now_ms, int dry,
                          int64_t *delta);

/* Every share of r brought up to date for the conversion's current refund state, with
 * lines of kind ("reversal" or "chargeback"); *delta gets the total appended. */
int aff_ledger_sync_all(aff_store *st, aff_conversion_result *r, const char *kind, int64_t now_ms, int64_t *delta);

/* After a full refund: the lines of every share that is owed nothing (not a bonus: a
 * refund does not take a bonus back) and none of whose lines reached a payout become
 * reversed (so a fully refunded, unpaid conversion leaves only its bonuses in balances). */
int aff_ledger_reverse_unpaid(aff_store *st, aff_conversion_result *r, int64_t now_ms);

/* Does r satisfy the invariant? 1 yes; 0 no, with the reason in why. */
int aff_ledger_check(const aff_conversion_result *r, char *why, size_t cap);

/* ---- transitions (writer; each inside the caller's transaction) ---- */

/* pending -> approved for one line. AFF_ENOTFOUND, AFF_ECONFLICT (not pending). */
int aff_ledger_approve_line(aff_store *st, int64_t line_id, int64_t now_ms, aff_errinfo *err);
/* A pending conversion and its pending lines -> approved. AFF_ENOTFOUND, AFF_ECONFLICT. */
int aff_ledger_approve_conversion(aff_ctx *ctx, int64_t conversion_id, int64_t now_ms, aff_errinfo *err);
/* A pending or approved conversion -> rejected with reason, its lines too, and its
 * numbers leave the reports. AFF_ECONFLICT when a line already reached a payout (refund
 * it instead: the clawback carries into the next payout) or the status forbids it. */
int aff_ledger_reject_conversion(aff_ctx *ctx, int64_t conversion_id, const char *reason, int64_t now_ms,
                                 aff_errinfo *err);
/* Lines and conversions whose hold ended by now_ms -> approved. */
int aff_ledger_auto_approve(aff_store *st, int64_t now_ms, int64_t *lines, int64_t *conversions);
/* Approved lines of approved affiliates in program (0: all) -> payable. */
int aff_ledger_release(aff_store *st, int64_t program_id, int64_t now_ms, int64_t *lines);

#endif
