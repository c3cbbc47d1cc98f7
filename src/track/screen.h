/*
 * screen.h - conversion-time fraud screening: rules with reason codes, scores and
 * actions, configured per program, run on the writer before a conversion earns.
 *
 * Owns: the rule table (screen.c) and its per-program settings
 *     {"fast_conversion": {"action": "reject", "threshold": 10}, "cr_outlier": {"action": "off"}, ...}
 * (the program's `screening` JSON: a rule named there takes that action and threshold,
 * the others their defaults); evaluating every rule for one conversion and combining
 * them: the strongest action wins (reject > hold > flag), scores add up.
 * Does not own: what an action does to the conversion (track/conversion.c: flag
 * approves normally and keeps the hits, hold stores it "held" with its commission
 * pending until an admin decides, reject stores it rejected with the reason), the
 * review queue's API, click-time rules.
 *
 * Rules (code, name: default threshold, default action; defaults never lose a sale:
 * only self-referral holds, the others flag for review until a program asks more):
 *   201 fast_conversion:     click to conversion under 10 s            flag
 *   202 duplicate_order:     the same customer and amount within 600 s
 *                            under another order id                    flag
 *   203 conversion_velocity: the affiliate's conversions in the last
 *                            60 s reach 3 (this one included); with
 *                            hold or reject, the burst's earlier
 *                            pending conversions are held too          flag
 *   204 ip_mismatch:         the conversion's IP (pixel, or "ip" given)
 *                            is outside the click IP's /16 (IPv4) or
 *                            /48 (IPv6)                                 flag
 *   205 self_referral:       the customer's e-mail is the affiliate's   hold
 *   206 cr_outlier:          the affiliate's 30-day conversion rate is
 *                            more than 3 standard deviations (x1000:
 *                            3000) above its program's (maintenance)   flag
 * Codes are TUNE-style numbers; affiliates see the code and name of the rule that
 * decided, never thresholds or scores.
 */
#ifndef AFF_TRACK_SCREEN_H
#define AFF_TRACK_SCREEN_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

enum { AFF_SCREEN_OFF = 0, AFF_SCREEN_FLAG, AFF_SCREEN_HOLD, AFF_SCREEN_REJECT };

/* The velocity rule holds a burst whole: when it holds a conversion, the affiliate's
 * conversions of the last 60 s that are still pending are held with it. */
#define AFF_SCREEN_VELOCITY_CODE 203
#define AFF_SCREEN_SELF_REFERRAL 4 /* the rule's index */

#define AFF_SCREEN_RULES 7

typedef struct aff_screen_setting {
    int action;        /* AFF_SCREEN_* */
    int64_t threshold; /* the rule's unit (seconds, conversions, ...) */
} aff_screen_setting;

typedef struct aff_screen_config {
    aff_screen_setting rule[AFF_SCREEN_RULES]; /* by rule index */
} aff_screen_config;

/* The defaults of every rule. */
void aff_screen_defaults(aff_screen_config *c);

/* Parse a program's screening JSON ("" or "{}": defaults) over the defaults; canon
 * (cap bytes, may be NULL) gets the canonical form (only rules that differ from their
 * defaults). AFF_EINVAL with field "screening" naming the member. */
int aff_screen_parse(const char *json, aff_screen_config *c, char *canon, size_t cap, aff_errinfo *err);

/* What the rules know about one conversion. */
typedef struct aff_screen_facts {
    int64_t program_id, affiliate_id;
    int64_t now_ms;
    int64_t click_ms;          /* 0: not attributed by a click */
    const char *click_ip;      /* "" unknown */
    const char *ip;            /* the conversion's IP, "" unknown */
    const char *click_country; /* ISO 3166 alpha-2, "" unknown (no country_db) */
    const char *country;       /* the conversion IP's, "" unknown */
    const char *email_hash;    /* the customer's, "" unknown */
    const char *affiliate_email_hash;
    const char *customer_id; /* "" unknown */
    int64_t amount_minor;
    const char *order_id;
    struct aff_recent *recent; /* the writer's latest conversion times (track/recent.h), or
                                * NULL: conversion_velocity counts in the store */
} aff_screen_facts;

typedef struct aff_screen_hit {
    int code;
    const char *name;
    int action;
    int score;
} aff_screen_hit;

typedef struct aff_screen_result {
    int action; /* the strongest hit's, AFF_SCREEN_OFF when none */
    int score;  /* sum of the hits' scores */
    int nhits;
    aff_screen_hit hits[AFF_SCREEN_RULES + 1]; /* + a cap's (track/cap.h) */
    const aff_screen_hit *decisive;            /* the hit that set action, NULL when none */
} aff_screen_result;

/* Run every rule that is not off (reads the store: recent conversions, outliers). */
int aff_screen_run(aff_store *st, const aff_screen_config *c, const aff_screen_facts *f, aff_screen_result *out);

/* "203 conversion_velocity" for a reason column; JSON of the hits for the screening
 * column ([{"code":203,"rule":"conversion_velocity","action":"hold","score":40}]). */
void aff_screen_reason(const aff_screen_result *r, char *buf, size_t cap);
void aff_screen_hits_json(const aff_screen_result *r, char *buf, size_t cap);

/* Action names: "off", "flag", "hold", "reject". */
const char *aff_screen_action_name(int action);

/* SHA-256 hex of an e-mail normalised as conversions store it (trimmed, lower case). */
void aff_screen_email_hash(const char *email, char out[65]);

/* Maintenance: recompute every program's 30-day conversion-rate outliers (z above
 * the program's setting) from the daily rollups ending at now_ms. */
int aff_screen_outliers(aff_store *st, int64_t now_ms);

#endif
