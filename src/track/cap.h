/*
 * cap.h - budget caps on conversions and commission, per program and per affiliate,
 * per UTC day or calendar month.
 *
 * A program's `caps` is a JSON array (docs/fraud.md):
 *     [{"metric": "conversions", "period": "day", "limit": 100},
 *      {"metric": "commission_minor", "period": "month", "limit": 500000, "per": "affiliate"},
 *      {"metric": "conversions", "period": "month", "limit": 10, "affiliate_id": 42, "hard": false}]
 * "per": "program" (default: one count for the whole program) or "affiliate" (each
 * affiliate its own count); "affiliate_id": a cap on that affiliate only; "hard"
 * (default true): a conversion over the cap is rejected with the cap's reason code;
 * soft: it is accepted and the cap's hit recorded (flag) and counted in metrics.
 *
 * Owns: parsing, checking a new conversion against every cap (aff_cap_check, before
 * it earns), and counting it once accepted (aff_cap_count, with its commission). The
 * counts live in commission_period rows (counter "cap/<metric>/<period>", affiliate 0
 * for the program's), updated in the conversion's transaction on the single writer, so
 * a cap of 100 admits exactly 100 whatever the concurrency.
 * Conversions over a cap: reason codes 61-64 for program caps (conversions/day,
 * conversions/month, commission/day, commission/month), 81-84 for affiliate caps (TUNE
 * numbers its offer caps 61-65 and affiliate caps 81-83).
 * Days and months are the program's local ones (its time_zone, IANA; default UTC).
 * A commission cap rejects conversions once the period's commission has reached it
 * (the conversion that crosses it is the last accepted).
 * Click caps ("metric": "clicks", codes 65/66 and 85/86) are parsed here and counted
 * on the event loops (track/clickcap.h); aff_cap_check and aff_cap_count skip them.
 * Does not own: commission caps inside plans (commission.h).
 */
#ifndef AFF_TRACK_CAP_H
#define AFF_TRACK_CAP_H

#include <stdint.h>

#include "core/err.h"
#include "core/tz.h"
#include "store/store.h"

#define AFF_CAPS_MAX 16

enum { AFF_CAP_CONVERSIONS = 0, AFF_CAP_COMMISSION = 1, AFF_CAP_CLICKS = 2 };
enum { AFF_CAP_DAY = 0, AFF_CAP_MONTH = 1 };

typedef struct aff_cap {
    int metric;           /* AFF_CAP_* */
    int period;           /* AFF_CAP_DAY | AFF_CAP_MONTH */
    int per_affiliate;    /* each affiliate its own count */
    int64_t affiliate_id; /* 0: every affiliate (or the program) */
    int64_t limit;
    int hard;
} aff_cap;

typedef struct aff_caps {
    int n;
    aff_cap cap[AFF_CAPS_MAX];
    char time_zone[AFF_TZ_MAX + 1]; /* the program's (its days and months), "" UTC */
} aff_caps;

/* Start of the cap period (AFF_CAP_DAY / AFF_CAP_MONTH) holding now_ms, in the caps'
 * time zone. */
int64_t aff_cap_period_start(const aff_caps *caps, int period, int64_t now_ms);

/* Parse caps JSON ("" or "[]": none); canon (may be NULL) gets the canonical form.
 * AFF_EINVAL with field "caps". */
int aff_caps_parse(const char *json, aff_caps *caps, char *canon, size_t cap, aff_errinfo *err);

typedef struct aff_cap_verdict {
    int over;      /* 1: over a hard cap (reject) */
    int soft;      /* 1: over a soft cap only (flag) */
    int code;      /* the first cap over: 61..64, 81..84; 0 none */
    char name[48]; /* "affiliate_conversions_day", ... */
} aff_cap_verdict;

/* Would a new conversion of affiliate at now_ms go over a cap? (reads the counts) */
int aff_cap_check(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                  aff_cap_verdict *out);

/* Count an accepted conversion and its commission against every cap that counts it. */
int aff_cap_count(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                  int64_t commission_minor);

/* Usage of every cap of a program now: cb per (cap index, affiliate (0: program),
 * used). Per-affiliate caps report each affiliate counted this period. */
typedef int (*aff_cap_usage_cb)(void *ud, int index, const aff_cap *cap, int64_t affiliate_id, int64_t used,
                                int64_t period_start_ms);
int aff_cap_usage(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t now_ms, aff_cap_usage_cb cb,
                  void *ud);

#endif
