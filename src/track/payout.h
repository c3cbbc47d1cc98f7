/*
 * payout.h - payout runs: paying affiliates their payable balances.
 *
 * Owns: the run (every approved affiliate whose payable balance in a program reaches
 * the program's min_payout_minor gets one payout holding all its payable lines), marking
 * a payout paid or failed, scheduled runs, and the mass-payment export files.
 * Does not own: line statuses' legality (track/ledger.h) or SQL.
 *
 * Payout states:
 *     pending --aff_payout_mark_paid-->   paid    (its lines: in_payout -> paid)
 *     pending --aff_payout_mark_failed--> failed  (its lines: in_payout -> payable, so
 *                                                  the next run pays them again)
 * paid and failed are terminal; any other move is AFF_ECONFLICT.
 * Invariant (checked on every run, always): a payout's amount equals the sum of its
 * lines, and equals the affiliate's payable balance it was made from.
 */
#ifndef AFF_TRACK_PAYOUT_H
#define AFF_TRACK_PAYOUT_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef struct aff_payout_run_result {
    aff_payout_run_row run;
    int64_t released; /* approved lines made payable first */
} aff_payout_run_result;

/* Run payouts for program (0: every program) now: release approved lines of approved
 * affiliates, then create a payout per (program, affiliate) whose payable balance is
 * positive and reaches the program's min_payout_minor. cause: "api", "cli", "weekly",
 * "monthly". A run that pays nobody is still recorded (payouts 0). */
int aff_payout_run(aff_store *st, int64_t program_id, const char *cause, int64_t now_ms, aff_payout_run_result *out,
                   aff_errinfo *err);

/* pending -> paid (reference: the bank or PayPal transaction id, may be ""). */
int aff_payout_mark_paid(aff_store *st, int64_t payout_id, const char *reference, int64_t now_ms, aff_payout_row *out,
                         aff_errinfo *err);
/* pending -> failed; its lines go back to payable. */
int aff_payout_mark_failed(aff_store *st, int64_t payout_id, const char *reason, int64_t now_ms, aff_payout_row *out,
                           aff_errinfo *err);

/* Programs whose payout_schedule ("weekly" or "monthly") is due at now_ms: a run for
 * each whose last scheduled run was in an earlier week / month. *runs counts them. */
int aff_payout_run_scheduled(aff_store *st, int64_t now_ms, int *runs);

/* Export formats of a run's payouts (aff_payout_export). */
enum { AFF_EXPORT_CSV = 0, AFF_EXPORT_PAYPAL = 1, AFF_EXPORT_JSON = 2 };

/* Write the payouts of run run_id in format to a malloc'ed, NUL-terminated buffer
 * (*out, caller frees). CSV: a header and one row per payout (payout id, affiliate,
 * e-mail, payout method and account, amount as a decimal, currency, reference); PayPal:
 * the Payouts mass-payment columns without header (receiver, amount, currency, unique
 * id, note); JSON: an array of objects. AFF_ENOTFOUND for an unknown run. */
int aff_payout_export(aff_store *st, int64_t run_id, int format, char **out, size_t *len);

#endif
