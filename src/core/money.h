/*
 * money.h - exact money arithmetic in int64 minor units.
 *
 * Owns: ISO-4217 currency exponents, parsing decimal strings into minor units,
 * formatting minor units back to decimal strings, percentage (rate) parsing and
 * the one rounding rule of the project: half away from zero, to one minor unit,
 * applied once per computed amount.
 * Does not own: which currency a program uses, commission rules (track/commission).
 * Invariant: no floating point anywhere in this module. Products are computed in
 * 128-bit integers, so amount * rate never overflows before the division.
 */
#ifndef AFF_CORE_MONEY_H
#define AFF_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Largest absolute amount accepted anywhere, in minor units (10^15: a quadrillion cents). */
#define AFF_MONEY_MAX_MINOR 1000000000000000LL

/* A rate is a percentage held as an integer count of millionths of a percent
 * ("micro-percent"): "10" -> 10000000, "12.5" -> 12500000, "0.000001" -> 1.
 * 100 % is AFF_RATE_ONE_HUNDRED. */
#define AFF_RATE_SCALE 1000000LL
#define AFF_RATE_ONE_HUNDRED (100LL * AFF_RATE_SCALE)

/* Exponent (digits after the decimal point) of an ISO-4217 code given in upper case,
 * e.g. "USD" -> 2, "JPY" -> 0, "KWD" -> 3. Returns AFF_EINVAL for a code that is not
 * an active ISO-4217 currency. Never blocks, no allocation. */
int aff_currency_exponent(const char *code, int *exponent);

/* Parse an exact decimal string ("49.90", "49.9", "49", "0.5") into minor units for
 * the given exponent. Accepts an optional leading '-' only when allow_negative is set;
 * no '+', no spaces, no exponent notation, no thousands separators, at least one digit
 * before the point, at least one after it if a point is present, and no more fraction
 * digits than the exponent ("49.905" with exponent 2 is rejected, never rounded).
 * len bytes of s are read (s need not be NUL-terminated).
 * Returns 0 and sets *out, AFF_EINVAL when malformed, AFF_ERANGE when the magnitude
 * exceeds AFF_MONEY_MAX_MINOR. */
int aff_money_parse(const char *s, size_t len, int exponent, int allow_negative, int64_t *out);

/* Format minor units as a decimal string with exactly `exponent` fraction digits
 * ("4990",2 -> "49.90"; "-5",2 -> "-0.05"; "100",0 -> "100"). Writes at most cap bytes
 * including the NUL; returns the length written, or AFF_ETOOBIG when cap is too small. */
int aff_money_format(int64_t minor, int exponent, char *buf, size_t cap);

/* Parse a percentage string ("10", "12.5", "0.25", up to 6 fraction digits, 0..100
 * inclusive) into micro-percent. Returns AFF_EINVAL when malformed, AFF_ERANGE when
 * above 100. */
int aff_rate_parse(const char *s, size_t len, int64_t *out_micro_percent);

/* Format a micro-percent rate as the shortest exact decimal ("12500000" -> "12.5"). */
int aff_rate_format(int64_t micro_percent, char *buf, size_t cap);

/* round_half_away_from_zero(a * b / d), computed exactly in 128 bits.
 * d must be > 0. Sets *out; returns AFF_ERANGE if the result does not fit in int64. */
int aff_muldiv_round(int64_t a, int64_t b, int64_t d, int64_t *out);

/* amount * rate / 100 %, rounded half away from zero: the percentage commission. */
int aff_money_apply_rate(int64_t amount_minor, int64_t micro_percent, int64_t *out);

#endif
