/*
 * fraud.h - click-time fraud screening (docs/fraud.md): the rule table, and the
 * verdict for one click.
 *
 * Owns: the rules (a table: reason code, name, the config key of its action,
 * the test), their lists and counters (track/botua.h, core/cidr.h, track/geo.h,
 * track/velocity.h). Does not own: HTTP (api/tracking.c reads the request,
 * applies the verdict and answers), recording (track/click.h), or HEAD and
 * prefetch requests, which are never clicks and never reach the rules.
 *
 * Every enabled rule is tested on every click (velocity counters count every
 * click); the verdict is the strongest action among the rules that matched
 * (block > reject > flag), and its reason is the first such rule in table
 * order.
 *
 * State: configured once by aff_fraud_open before serving, read-only afterwards
 * except the velocity tables and hit counters (atomics). aff_fraud_screen is
 * safe from any thread, never blocks, never allocates.
 */
#ifndef AFF_TRACK_FRAUD_H
#define AFF_TRACK_FRAUD_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/id.h"

/* Reason codes, stored on the click (click.reason). */
enum {
    AFF_REASON_BOT_USER_AGENT = 101,
    AFF_REASON_EMPTY_USER_AGENT = 102,
    AFF_REASON_BLOCKED_CIDR = 103,
    AFF_REASON_BLOCKED_COUNTRY = 104,
    AFF_REASON_HOSTING_ASN = 105,
    AFF_REASON_IP_VELOCITY = 106,
    AFF_REASON_IP_LINK_VELOCITY = 107,
    AFF_REASON_DUPLICATE_CLICK = 108,
    AFF_REASON_NON_INTERACTIVE = 109,
};

typedef struct aff_fraud_click {
    const char *ip; /* the client address as text (after trusted proxies) */
    const char *user_agent;
    size_t user_agent_len;
    int64_t link_id;
    uint64_t fingerprint; /* aff_click_fingerprint(ip, user_agent) */
    int non_interactive;  /* the request says it loads a subresource (api/tracking.c decides) */
    int64_t now_ms;
} aff_fraud_click;

typedef struct aff_fraud_verdict {
    int action;      /* AFF_ACTION_*: OFF when no rule matched */
    int reason;      /* the deciding rule's code, 0 when none */
    unsigned flags;  /* AFF_CLICK_BOT, _REJECTED or _FLAGGED to add to the click's
                        flags */
    uint32_t asn;    /* 0 unknown */
    char country[3]; /* "" unknown */
} aff_fraud_verdict;

/* Load the lists and databases cfg names and size the counters. Returns 0,
 * AFF_ENOMEM, or AFF_EINVAL / AFF_EIO with "KEY: ..." in err (a bad list entry,
 * an unreadable file or database). Call once before serving; key must outlive
 * the screening. */
int aff_fraud_open(const aff_config *cfg, const aff_click_id_key *key, char *err, size_t errcap);
void aff_fraud_close(void);

/* Screen one click. Without aff_fraud_open, every click passes. */
void aff_fraud_screen(const aff_fraud_click *in, aff_fraud_verdict *out);

/* The rules for /healthz, /metrics and logs: in table order. */
typedef struct aff_fraud_rule_info {
    int code;
    const char *name;
    int action;           /* configured AFF_ACTION_* */
    const char *inactive; /* why the rule cannot run (a missing list or database),
                             or NULL */
    uint64_t hits;        /* clicks it matched since start */
} aff_fraud_rule_info;
size_t aff_fraud_rules(aff_fraud_rule_info *out, size_t cap);

/* "off", "flag", "reject", "block". */
const char *aff_fraud_action_name(int action);
/* The name of a reason code ("bot_user_agent"), or NULL for an unknown code. */
const char *aff_fraud_reason_name(int code);

#endif
