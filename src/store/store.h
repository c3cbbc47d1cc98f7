/*
 * store.h - the backend-neutral store interface and the data model rows.
 *
 * Owns: what is persisted and how it is asked for; the rows below are the data model
 * of DESIGN.md section 5. Does not own: any domain decision (attribution, commission,
 * uniqueness windows are track/'s) or any HTTP (api/'s).
 *
 * A backend is a struct of function pointers (aff_store_ops); the static inline
 * wrappers below are the only entry points, and the seam where tests inject faults
 * (aff_store_fault_* in store_fault.c wraps any backend).
 *
 * Threading: an aff_store is one connection, used by one thread at a time. The writer
 * thread owns the only connection that writes; each reader thread owns a read-only one.
 * Every call blocks on disk. Never call from an event-loop thread.
 *
 * Errors: 0 ok, AFF_ENOTFOUND for a missing row on *_get, AFF_EEXIST for a unique-key
 * violation on insert, AFF_ESTORE for anything the backend could not do (the caller
 * rolls back), AFF_ENOMEM.
 *
 * Strings in rows are NUL-terminated fixed buffers; inserts reject (AFF_ETOOBIG) nothing
 * because the api layer bounds every field first to the sizes declared here.
 */
#ifndef AFF_STORE_STORE_H
#define AFF_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/url.h"

#define AFF_NAME_MAX 200
#define AFF_EMAIL_MAX 254
#define AFF_CODE_MAX 64
#define AFF_SUB_MAX 255
#define AFF_UA_MAX 1024
#define AFF_ORDER_ID_MAX 128
#define AFF_EVENT_MAX 32
#define AFF_DOMAINS_MAX 1024
#define AFF_PLAN_MAX 8192
#define AFF_ITEMS_MAX 16384
#define AFF_TOKEN_MAX 64
#define AFF_GROUP_MAX 128
#define AFF_REASON_MAX 200
#define AFF_SCREENING_MAX 1024

typedef struct aff_program_row {
    int64_t id;
    char name[AFF_NAME_MAX + 1];
    char kind[16];    /* affiliate | referral */
    char currency[4]; /* ISO 4217 */
    char destination_url[AFF_URL_MAX + 1];
    char allowed_domains[AFF_DOMAINS_MAX + 1]; /* comma-separated */
    int cookie_days;
    char attribution[16]; /* last_click | first_click */
    char click_id_param[65];
    int commission_version;
    char plan_json[AFF_PLAN_MAX + 1]; /* current version's plan */
    int hold_days;
    int64_t min_payout_minor;
    char payout_schedule[16];              /* manual | weekly | monthly */
    char screening[AFF_SCREENING_MAX + 1]; /* conversion screening settings (track/screen.h), JSON */
    char caps[AFF_SCREENING_MAX + 1];      /* conversion and commission caps (track/cap.h), JSON */
    char time_zone[65];                    /* IANA name: the days and months of caps */
    char postback_token[AFF_TOKEN_MAX + 1];
    int64_t created_ms;
    char fallback_url[AFF_URL_MAX + 1]; /* where blocked clicks go (docs/fraud.md); "": 403 */
} aff_program_row;

typedef struct aff_affiliate_row {
    int64_t id;
    char name[AFF_NAME_MAX + 1];
    char email[AFF_EMAIL_MAX + 1];
    char status[16];                        /* pending | approved | suspended | rejected */
    int64_t parent_id;                      /* 0: none */
    char group[AFF_GROUP_MAX + 1];          /* commission group, "" none */
    char payout_method[16];                 /* "" | paypal | bank | other */
    char payout_account[AFF_EMAIL_MAX + 1]; /* PayPal e-mail, IBAN, ... */
    int64_t created_ms;
} aff_affiliate_row;

typedef struct aff_link_row {
    int64_t id;
    char code[AFF_CODE_MAX + 1];
    int64_t program_id, affiliate_id;
    char destination_url[AFF_URL_MAX + 1]; /* "" : the program's */
    char sub[5][AFF_SUB_MAX + 1];
    int64_t created_ms;
} aff_link_row;

typedef struct aff_coupon_row {
    int64_t id;
    char code[AFF_CODE_MAX + 1]; /* upper case */
    int64_t program_id, affiliate_id;
    int64_t created_ms;
} aff_coupon_row;

typedef struct aff_key_row {
    unsigned char hash[32]; /* SHA-256 of the key */
    char role[16];          /* admin | affiliate */
    int64_t affiliate_id;
} aff_key_row;

/* Click flags. BOT and REJECTED clicks are never attributed and are counted apart
 * (bot_clicks, rejected_clicks), never in clicks or unique_clicks; FLAGGED ones count
 * and attribute normally. The rule that decided is the click's reason (track/fraud.h). */
enum { AFF_CLICK_UNIQUE = 1, AFF_CLICK_BOT = 2, AFF_CLICK_REJECTED = 4, AFF_CLICK_FLAGGED = 8 };
#define AFF_CLICK_NOT_ATTRIBUTABLE (AFF_CLICK_BOT | AFF_CLICK_REJECTED)

typedef struct aff_click_row {
    char click_id[AFF_CLICK_ID_LEN + 1];
    int64_t ts_ms;
    int64_t program_id, affiliate_id, link_id;
    char ip[64];
    char user_agent[AFF_UA_MAX + 1];
    char referer[AFF_URL_MAX + 1];
    char sub[5][AFF_SUB_MAX + 1];
    char source_id[AFF_SUB_MAX + 1];
    unsigned flags;  /* AFF_CLICK_* */
    int reason;      /* fraud rule code (track/fraud.h), 0: none matched */
    uint32_t asn;    /* autonomous system of ip, 0: unknown */
    char country[3]; /* ISO 3166 alpha-2 of ip, "": unknown */
} aff_click_row;

/* What attributing a conversion to a stored click reads of it (click_attr_get): a
 * fraction of aff_click_row, without the user agent, referer and the other sub-IDs. */
typedef struct aff_click_attr {
    int64_t ts_ms;
    int64_t program_id, affiliate_id, link_id;
    unsigned flags; /* AFF_CLICK_* */
    char ip[64];
    char sub1[AFF_SUB_MAX + 1];
    char country[3];
} aff_click_attr;

typedef struct aff_conversion_row {
    int64_t id;
    int64_t program_id;
    char event[AFF_EVENT_MAX + 1];
    char order_id[AFF_ORDER_ID_MAX + 1];
    int64_t amount_minor;
    char currency[4];
    char status[16]; /* pending | held | approved | rejected | reversed */
    char method[16]; /* click_id | cookie | coupon | customer */
    char click_id[AFF_CLICK_ID_LEN + 1];
    int64_t affiliate_id, link_id, coupon_id;
    char coupon[AFF_CODE_MAX + 1];
    char customer_id[AFF_ORDER_ID_MAX + 1];
    char email_hash[65];
    int test;
    int64_t refunded_minor;
    int64_t shipping_minor, tax_minor;     /* parts of amount_minor */
    int renewal;                           /* 1: a subscription renewal */
    int64_t origin_id;                     /* renewal: the customer's original conversion */
    int plan_version;                      /* the plan version that priced it (0: none) */
    int64_t earned_minor;                  /* gross commission of the earning affiliate */
    int tier;                              /* tier level its default rule was priced at (0: none) */
    int counted;                           /* 1: counted towards volume when it was priced */
    char ip[64];                           /* the customer's IP when known (pixel, or given) */
    int score;                             /* screening score (track/screen.h), 0: no rule hit */
    char screening[AFF_SCREENING_MAX + 1]; /* the rules that hit, JSON, "" none */
    int64_t hold_until_ms;                 /* pending until then (INT64_MAX: held for review) */
    char reason[AFF_REASON_MAX + 1];       /* why rejected / held, "" none */
    char items_json[AFF_ITEMS_MAX + 1];
    int64_t created_ms;
    char sub1[AFF_SUB_MAX + 1]; /* the attributed click's sub1 (a renewal: its original's), "" none */
} aff_conversion_row;

typedef struct aff_ledger_row {
    int64_t id;
    int64_t conversion_id, program_id, affiliate_id; /* conversion 0: not tied to one (cpc) */
    int64_t amount_minor;
    char currency[4];
    char kind[16]; /* commission | tier_adjust | reversal | override | bonus | cpc */
    char slot[48]; /* the share it belongs to: commission | override:<level> | bonus:<name> | cpc */
    char rule[64]; /* which plan rule produced it, e.g. "sale:default", "sale:tier:2" */
    int plan_version;
    int64_t gross_minor; /* the slot's gross amount when the line was written (track/ledger.h) */
    char status[16];     /* pending | approved | payable | in_payout | paid | rejected | reversed */
    int64_t payout_id;
    int64_t hold_until_ms;
    int64_t created_ms, updated_ms;
} aff_ledger_row;

typedef struct aff_payout_row {
    int64_t id;
    int64_t affiliate_id, program_id, run_id;
    int64_t amount_minor;
    int64_t lines;
    char currency[4];
    char status[16]; /* pending | paid | failed */
    char reference[AFF_REASON_MAX + 1];
    int64_t created_ms, updated_ms;
} aff_payout_row;

typedef struct aff_payout_run_row {
    int64_t id;
    int64_t program_id; /* 0: every program */
    char cause[16];     /* api | cli | weekly | monthly */
    int64_t payouts, created_ms;
} aff_payout_run_row;

/* An affiliate's money in one program, by line status. id is the row's place in the
 * default order, program_id * 2^32 + affiliate_id (ids stay below 2^31), for cursors. */
typedef struct aff_balance_row {
    int64_t id;
    int64_t program_id, affiliate_id;
    char currency[4];
    int64_t pending, approved, payable, in_payout, paid; /* minor units */
} aff_balance_row;

/* Volume and commission of one affiliate in one counting period (tiers, bonuses, caps). */
typedef struct aff_period_row {
    int64_t program_id, affiliate_id;
    char counter[64]; /* "<event>/<period key>" for volume, "*\/<period key>" for the cap */
    int64_t period_start_ms;
    int64_t conversions, revenue_minor, commission_minor;
    int tier; /* highest tier level reached (retroactive tiers) */
} aff_period_row;

/* Which ledger lines a status change applies to (track/ledger.h draws the machine). */
enum { AFF_LEDGER_BY_ID = 0, AFF_LEDGER_BY_CONVERSION, AFF_LEDGER_BY_PAYOUT, AFF_LEDGER_BY_AFFILIATE, AFF_LEDGER_NBY };
typedef struct aff_ledger_move {
    int by;              /* AFF_LEDGER_BY_* */
    int64_t key;         /* line, conversion or payout id, or affiliate id */
    int64_t program_id;  /* BY_AFFILIATE: the program */
    const char *from[4]; /* statuses it may leave (NULL-terminated) */
    const char *to;
    int64_t payout_id; /* -1: unchanged; else set (0 clears) */
    int64_t now_ms;
} aff_ledger_move;

/* A dashboard user: an admin, or an affiliate's portal login (affiliate_id set). The
 * email is stored lower-case; the password only as its argon2id encoding. */
typedef struct aff_user_row {
    int64_t id;
    char email[AFF_EMAIL_MAX + 1];
    char role[16];        /* admin | affiliate */
    int64_t affiliate_id; /* 0 for admins */
    char password_hash[160];
    int64_t created_ms;
    int64_t terms_accepted_ms; /* when the user accepted the partner terms (sign-up); 0: never asked */
} aff_user_row;

/* A signed-in session: only the SHA-256 of its cookie token is stored. */
typedef struct aff_session_row {
    unsigned char hash[32];
    int64_t user_id;
    char role[16];
    int64_t affiliate_id;
    int64_t created_ms, expires_ms;
} aff_session_row;

/* Additions to one hourly rollup row (hour, program, affiliate, link).
 * commission_minor is every ledger line of the row's conversions, whoever it pays (the
 * brand's cost); overrides_minor the part of it paid to affiliates other than the
 * converting one (its parents' override lines, their reversals and adjustments);
 * override_income_minor what the row's affiliate earned as a parent on its
 * sub-affiliates' conversions (rows of link 0 and sub1 ""). docs/api.md "Reports". */
typedef struct aff_rollup_delta {
    int64_t clicks, unique_clicks, bot_clicks, rejected_clicks;
    int64_t conversions, revenue_minor, commission_minor, refunds_minor;
    int64_t overrides_minor, override_income_minor;
} aff_rollup_delta;

/* Sort keys of lists (docs/api.md "Lists"): each list supports some of them; the
 * others answer AFF_EINVAL. AFF_SORT_ID is every list's default (the click list's is
 * its time, which its id starts with). The numbers are part of page cursors: append,
 * never renumber. */
/* clang-format off */ /* several names a line, grouped by kind */
enum {
    AFF_SORT_ID, AFF_SORT_CREATED, AFF_SORT_UPDATED, AFF_SORT_NAME, AFF_SORT_EMAIL, AFF_SORT_CODE,
    AFF_SORT_STATUS, AFF_SORT_AMOUNT, AFF_SORT_ORDER_ID, AFF_SORT_PROGRAM, AFF_SORT_AFFILIATE,
    AFF_SORT_LINK, AFF_SORT_IP, AFF_SORT_SUB1,                                  /* clicks */
    AFF_SORT_PENDING, AFF_SORT_APPROVED, AFF_SORT_PAYABLE, AFF_SORT_IN_PAYOUT, AFF_SORT_PAID, /* balances */
    AFF_SORT_TITLE,                                                              /* announcements */
    AFF_SORT_COUNT
};
/* clang-format on */

/* A click list sorted by anything but its time reads every click of the days it covers
 * (its created range, else all days) and sorts them: it answers AFF_ERANGE, reading
 * nothing, when the daily rollups count more clicks than this in those days. */
#define AFF_CLICK_SORT_SCAN_MAX 100000

/* Where a sorted page ended: the last row handed to the callback and accepted (the
 * callback returned 0): its sort value and id (tid: the text id of a click). Filled by
 * sorted lists only. */
typedef struct aff_list_key {
    int set;
    int64_t id;
    char tid[AFF_CURSOR_TID_MAX + 1];
    int is_text;
    int64_t ival;
    char sval[AFF_CURSOR_TEXT_MAX + 1];
} aff_list_key;

/* Filters and paging of list calls. 0 / "" / NULL mean "any". Lists are in ascending
 * id (click_id for clicks) order, strictly after `after` / `after_click`, unless the
 * query is `sorted` (aff_list_sorted): then in (sort value, id) order, ascending or
 * descending, strictly after the cursor `from` when `from.set`. */
typedef struct aff_list_query {
    int64_t after;
    char after_click[AFF_CLICK_ID_LEN + 1];
    int limit; /* rows wanted; the callback may stop earlier */
    int64_t program_id, affiliate_id, link_id, conversion_id, run_id, payout_id;
    const char *status;
    int sort, desc;                   /* AFF_SORT_*; 1: descending */
    aff_list_key from;                /* the cursor: start strictly after this row */
    int64_t created_from, created_to; /* ms, inclusive / exclusive; 0: open */
    const char *search;               /* prefix of a code or order id, or part of a name or email */
    aff_list_key *last;               /* out (may be NULL): where the page ended */
} aff_list_query;

/* Does q need the sorted path (any sort, cursor, time range or search)? */
static inline int aff_list_sorted(const aff_list_query *q)
{
    return q->sort != AFF_SORT_ID || q->desc || q->from.set || q->created_from != 0 || q->created_to != 0 ||
           (q->search != NULL && q->search[0] != '\0');
}

/* AFF_GROUP_SUB1 reads the daily sub-ID rollup (day, program, affiliate, sub1), which
 * has no link: it cannot be combined with AFF_GROUP_LINK or a link filter. */
enum { AFF_GROUP_DAY = 1, AFF_GROUP_PROGRAM = 2, AFF_GROUP_AFFILIATE = 4, AFF_GROUP_LINK = 8, AFF_GROUP_SUB1 = 16 };

typedef struct aff_report_query {
    int64_t from_hour, to_hour; /* inclusive, hours since the epoch */
    unsigned group_mask;        /* AFF_GROUP_* */
    int64_t program_id, affiliate_id, link_id;
} aff_report_query;

typedef struct aff_report_row {
    int64_t day_ms; /* UTC midnight, when grouped by day */
    int64_t program_id, affiliate_id, link_id;
    char sub1[AFF_SUB_MAX + 1]; /* when grouped by sub1: "" for clicks without one */
    aff_rollup_delta m;
} aff_report_row;

/* Raw recount against rollups (track/verify.c adds the ledger checks). */
typedef struct aff_verify_counts {
    aff_rollup_delta raw, rollup, daily; /* raw events, stats_hourly, stats_daily */
    aff_rollup_delta sub;                /* stats_sub_daily */
    /* Rows of stats_sub_daily whose clicks, conversions or revenue differ from a recount
     * of the raw events by (day, program, affiliate, sub1), plus (day, program,
     * affiliate) groups whose sums differ from stats_daily's. */
    int64_t sub_mismatches;
    /* (program, affiliate) pairs whose overrides_minor or override_income_minor in
     * stats_daily differ from a recount of the ledger lines (in total over time: a line
     * counts in the hour it was written), either way. */
    int64_t override_mismatches;
} aff_verify_counts;

typedef int (*aff_program_cb)(void *ud, const aff_program_row *row);
typedef int (*aff_affiliate_cb)(void *ud, const aff_affiliate_row *row);
typedef int (*aff_link_cb)(void *ud, const aff_link_row *row);
typedef int (*aff_coupon_cb)(void *ud, const aff_coupon_row *row);
typedef int (*aff_key_cb)(void *ud, const aff_key_row *row);
typedef int (*aff_click_cb)(void *ud, const aff_click_row *row);
typedef int (*aff_conversion_cb)(void *ud, const aff_conversion_row *row);
typedef int (*aff_ledger_cb)(void *ud, const aff_ledger_row *row);
typedef int (*aff_payout_cb)(void *ud, const aff_payout_row *row);
typedef int (*aff_payout_run_cb)(void *ud, const aff_payout_run_row *row);
typedef int (*aff_balance_cb)(void *ud, const aff_balance_row *row);
/* Per-affiliate totals: (conversions or unique clicks, an amount). */
typedef int (*aff_replay_total_cb)(void *ud, int64_t affiliate_id, int64_t count, int64_t net_minor);
typedef int (*aff_report_cb)(void *ud, const aff_report_row *row);
typedef int (*aff_user_cb)(void *ud, const aff_user_row *row);
typedef int (*aff_session_cb)(void *ud, const aff_session_row *row);

/* ---- affiliate-portal content (sqlite_content.c): program terms and applications,
 * creatives, announcements. None of it is catalog: the click path never reads it. ---- */
#define AFF_DESCRIPTION_MAX 2000
#define AFF_TERMS_MAX 20000
#define AFF_PROMOTION_MAX 2000
#define AFF_CREATIVE_TEXT_MAX 4000
#define AFF_CREATIVE_IMAGE_MAX (1024 * 1024) /* bytes of one banner */
#define AFF_ANNOUNCEMENT_MAX 8000

/* A program's public page: description, terms (plain text; version +1 and hash on every
 * change of the text) and whether anyone may apply to it. A program without a row has
 * empty texts, version 0 and applications closed. */
typedef struct aff_terms_row {
    int64_t program_id;
    char description[AFF_DESCRIPTION_MAX + 1];
    char terms[AFF_TERMS_MAX + 1];
    int version;
    char hash[65]; /* lower-case hex SHA-256 of terms */
    int applications_open;
    int64_t updated_ms;
} aff_terms_row;

/* An affiliate's application to a program, with the terms it accepted. A sign-up's
 * application (signup 1, made with its affiliate) is decided by the affiliate's status;
 * an existing affiliate's (signup 0) by its own status: pending -> approved | rejected.
 * Read rows carry the effective status and the affiliate's name and email. */
typedef struct aff_application_row {
    int64_t id, affiliate_id, program_id;
    char website[AFF_URL_MAX + 1];
    char promotion[AFF_PROMOTION_MAX + 1];
    int terms_version;
    char terms_hash[65];
    int64_t terms_accepted_ms, created_ms, decided_ms;
    int signup;
    char status[16]; /* insert: the application's own (pending); read: the effective one */
    char name[AFF_NAME_MAX + 1], email[AFF_EMAIL_MAX + 1]; /* the affiliate's (read only) */
} aff_application_row;

/* A banner (kind image: mime, size, sha256 of the bytes, the bytes themselves apart)
 * or a text (kind text: body) of a program. */
typedef struct aff_creative_row {
    int64_t id, program_id;
    char kind[8]; /* image | text */
    char name[AFF_NAME_MAX + 1];
    char body[AFF_CREATIVE_TEXT_MAX + 1];
    char mime[16];
    int width, height; /* 0: unknown */
    int64_t bytes;
    char sha256[65];
    int64_t created_ms;
    const unsigned char *image; /* insert only: the bytes (not owned) */
} aff_creative_row;

/* A note from the brand to the affiliates of one program (program_id) or all (0). */
typedef struct aff_announcement_row {
    int64_t id, program_id;
    char title[AFF_NAME_MAX + 1];
    char body[AFF_ANNOUNCEMENT_MAX + 1];
    int64_t created_ms;
} aff_announcement_row;

typedef int (*aff_application_cb)(void *ud, const aff_application_row *row);
typedef int (*aff_creative_cb)(void *ud, const aff_creative_row *row);
typedef int (*aff_announcement_cb)(void *ud, const aff_announcement_row *row);
/* (program, the affiliate's first link in it or 0) */
typedef int (*aff_member_cb)(void *ud, int64_t program_id, int64_t link_id);
/* List callbacks return 0 to go on, 1 to stop early (not an error), <0 to abort with that rc. */

typedef struct aff_store aff_store;

typedef struct aff_store_ops {
    void (*close)(aff_store *st);
    int (*begin)(aff_store *st);
    int (*commit)(aff_store *st);
    int (*rollback)(aff_store *st);
    int (*savepoint)(aff_store *st);
    int (*release)(aff_store *st);
    int (*rollback_to)(aff_store *st);
    /* Rows inserted, updated or deleted by this connection since it opened. */
    int64_t (*changes)(aff_store *st);
    /* Give back the memory of cached pages no statement holds (after a full scan that
     * filled the cache with pages the connection will not need soon). */
    void (*release_memory)(aff_store *st);
    /* on: bulk loading (synthetic data, `afftrack generate`): commits are not synced to
     * disk and checkpoints are rarer; an application crash loses nothing committed, a
     * machine crash may lose or damage the store. off: back to the durability the store
     * was opened with. */
    int (*bulk_load)(aff_store *st, int on);

    int (*meta_get)(aff_store *st, const char *key, void *buf, size_t cap, size_t *len);
    int (*meta_put)(aff_store *st, const char *key, const void *data, size_t len);

    int (*program_insert)(aff_store *st, aff_program_row *row);
    int (*program_update)(aff_store *st, const aff_program_row *row);
    int (*program_get)(aff_store *st, int64_t id, aff_program_row *row);
    int (*program_list)(aff_store *st, const aff_list_query *q, aff_program_cb cb, void *ud);
    int (*plan_insert)(aff_store *st, int64_t program_id, int version, const char *plan_json, int64_t ms);

    int (*affiliate_insert)(aff_store *st, aff_affiliate_row *row);
    int (*affiliate_update)(aff_store *st, const aff_affiliate_row *row);
    int (*affiliate_get)(aff_store *st, int64_t id, aff_affiliate_row *row);
    int (*affiliate_list)(aff_store *st, const aff_list_query *q, aff_affiliate_cb cb, void *ud);

    int (*key_insert)(aff_store *st, const aff_key_row *row);
    int (*key_count)(aff_store *st, const char *role, int64_t *n);
    int (*key_list)(aff_store *st, aff_key_cb cb, void *ud);

    int (*link_insert)(aff_store *st, aff_link_row *row);
    int (*link_update)(aff_store *st, const aff_link_row *row);
    int (*link_get)(aff_store *st, int64_t id, aff_link_row *row);
    int (*link_list)(aff_store *st, const aff_list_query *q, aff_link_cb cb, void *ud);

    int (*coupon_insert)(aff_store *st, aff_coupon_row *row);
    int (*coupon_update)(aff_store *st, const aff_coupon_row *row);
    int (*coupon_get)(aff_store *st, int64_t id, aff_coupon_row *row);
    int (*coupon_list)(aff_store *st, const aff_list_query *q, aff_coupon_cb cb, void *ud);

    int (*click_insert)(aff_store *st, const aff_click_row *row);
    /* Insert n clicks (multi-row statements): all or, on error, the caller rolls back. */
    int (*click_insert_many)(aff_store *st, const aff_click_row *const *rows, size_t n);
    int (*click_get)(aff_store *st, const char *click_id, aff_click_row *row);
    /* The columns attribution reads, without the joins and long texts of click_get. */
    int (*click_attr_get)(aff_store *st, const char *click_id, aff_click_attr *row);
    /* Filtered by link or affiliate, finds the clicks counted in the hourly rollups under
     * the hour of their time, which the writer does for every click in the same
     * transaction (track/click.c; `afftrack verify` checks raw = rollups), and relies on
     * a click id's time prefix being its ts_ms (core/id.h). Sorted by time (AFF_SORT_ID)
     * either way; by another key only within AFF_CLICK_SORT_SCAN_MAX clicks (AFF_ERANGE
     * otherwise). The cursor's tid is a click id. */
    int (*click_list)(aff_store *st, const aff_list_query *q, aff_click_cb cb, void *ud);
    /* The time of the last unique click of (link, fingerprint): AFF_ENOTFOUND if none. */
    int (*click_seen_get)(aff_store *st, int64_t link_id, uint64_t fingerprint, int64_t *unique_ms);
    /* Remember now_ms as the last unique click of (link, fingerprint), without reading. */
    int (*click_seen_put)(aff_store *st, int64_t link_id, uint64_t fingerprint, int64_t now_ms);
    /* One bounded step of a sweep over click_seen in key order: of the next max_rows
     * rows after the cursor (*link_id, *fingerprint), delete those whose last unique
     * click is before before_ms, and move the cursor past them. At the end of the table
     * the cursor returns to the start ({INT64_MIN, INT64_MIN}, also the first cursor).
     * *deleted: the rows deleted. Runs in the caller's transaction. */
    int (*click_seen_prune)(aff_store *st, int64_t *link_id, int64_t *fingerprint, int max_rows, int64_t before_ms,
                            int64_t *deleted);
    int (*conversion_find)(aff_store *st, int64_t program_id, const char *event, const char *order_id,
                           aff_conversion_row *row);
    /* row->id 0: the store assigns the id; above 0: that id (from conversion_next_id). */
    int (*conversion_insert)(aff_store *st, aff_conversion_row *row);
    /* The id the next conversion_insert would assign, in the caller's transaction: a
     * conversion's ledger lines can be written before its row, which is then inserted
     * once with what it earned (track/conversion.c). */
    int (*conversion_next_id)(aff_store *st, int64_t *id);
    int (*conversion_get)(aff_store *st, int64_t id, aff_conversion_row *row);
    int (*conversion_list)(aff_store *st, const aff_list_query *q, aff_conversion_cb cb, void *ud);
    int (*conversion_set_refund)(aff_store *st, int64_t id, int64_t refunded_minor, const char *status);
    /* Set status, reason, earned and hold of a conversion (the commission engine). */
    int (*conversion_set_state)(aff_store *st, const aff_conversion_row *row);
    /* Set only what pricing decides (earned_minor, plan_version, tier, counted): no
     * indexed column changes, so it is the cheaper write of every new conversion. */
    int (*conversion_set_earned)(aff_store *st, const aff_conversion_row *row);
    /* The customer's first conversion of event in program that is not a renewal, a test
     * or rejected, by customer id, else by e-mail hash. AFF_ENOTFOUND if none. */
    int (*conversion_first_of_customer)(aff_store *st, int64_t program_id, const char *event, const char *customer_id,
                                        const char *email_hash, aff_conversion_row *row);
    /* Conversions of (program, affiliate, event) created in [from_ms, to_ms), id order. */
    int (*conversion_list_period)(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *event,
                                  int64_t from_ms, int64_t to_ms, aff_conversion_cb cb, void *ud);
    /* Conversions of (program, affiliate) created at or after since_ms, counted up to max
     * (a rule's threshold: counting a busy affiliate's whole minute made each conversion
     * cost O(conversions a minute)). */
    int (*conversion_count_since)(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  int64_t max, int64_t *n);
    /* The created_ms of the latest max non-test conversions of (program, affiliate),
     * newest first, into ms[0..*n) (track/recent.h keeps them in memory). */
    int (*conversion_latest_ms)(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t max, int64_t *ms,
                                int64_t *n);
    /* Is there a conversion of the customer (id, else e-mail hash) in program for
     * amount_minor, created at or after since_ms, under another order id? 1 yes, 0 no. */
    int (*conversion_duplicate)(aff_store *st, int64_t program_id, const char *customer_id, const char *email_hash,
                                int64_t amount_minor, const char *order_id, int64_t since_ms, int *found);
    /* Hold the pending, non-test conversions of (program, affiliate) created at or after
     * since_ms (a burst found by a later one): status held, never approved by time, the
     * hit (hit_json, one object) added to their screening, score raised by score,
     * reason set; their pending lines keep waiting. *n counts them. */
    int (*conversion_hold_recent)(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                                  const char *reason, const char *hit_json, int score, int64_t *n);
    /* Conversions of program with a screening hit (score > 0), id order after `after`. */
    int (*conversion_list_screened)(aff_store *st, const aff_list_query *q, aff_conversion_cb cb, void *ud);
    /* Conversion-rate outliers (track/screen.h): the z-score x1000 of (program,
     * affiliate), AFF_ENOTFOUND when it is not one; replace a program's set. */
    int (*outlier_get)(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t *z_milli);
    int (*outliers_clear)(aff_store *st, int64_t program_id);
    int (*outlier_put)(aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t z_milli, int64_t now_ms);
    /* Per affiliate of program: clicks and conversions of the hours [from_hour, to_hour]
     * (periods that start at a local midnight: track/cap.h). */
    int (*affiliate_rates_hours)(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                 aff_replay_total_cb cb, void *ud);
    /* Per affiliate of program: clicks and conversions of the days [from_day, to_day]. */
    int (*affiliate_rates)(aff_store *st, int64_t program_id, int64_t from_day, int64_t to_day, aff_replay_total_cb cb,
                           void *ud);
    /* Conversions still pending whose hold ended by now_ms become approved; *n counts them. */
    int (*conversion_auto_approve)(aff_store *st, int64_t now_ms, int64_t *n);

    /* The affiliate a customer (key "c:<id>" or "e:<sha256>") was attributed to. */
    int (*customer_get)(aff_store *st, int64_t program_id, const char *key, int64_t *affiliate_id, int64_t *link_id);
    int (*customer_put)(aff_store *st, int64_t program_id, const char *key, int64_t affiliate_id, int64_t link_id,
                        int64_t ms);

    int (*ledger_insert)(aff_store *st, aff_ledger_row *row);
    int (*ledger_list)(aff_store *st, const aff_list_query *q, aff_ledger_cb cb, void *ud);
    int (*ledger_get)(aff_store *st, int64_t id, aff_ledger_row *row);
    /* Move the lines m selects from one of m->from to m->to; *n counts them. */
    int (*ledger_move)(aff_store *st, const aff_ledger_move *m, int64_t *n);
    /* Pending lines whose hold ended by now_ms become approved. */
    int (*ledger_auto_approve)(aff_store *st, int64_t now_ms, int64_t *n);
    /* Approved lines of approved affiliates (of program, 0 any) become payable. */
    int (*ledger_release)(aff_store *st, int64_t program_id, int64_t now_ms, int64_t *n);
    /* Balances (maintained by the store on every line insert and status change), one
     * row per (program, affiliate); filters program_id and affiliate_id, sorted like
     * any list (by default program, then affiliate). */
    int (*balance_list)(aff_store *st, const aff_list_query *q, aff_balance_cb cb, void *ud);
    /* Balances recomputed from the lines, compared with the maintained ones: how many
     * (program, affiliate, status) balances differ. */
    int (*balance_check)(aff_store *st, int64_t *mismatches);

    int (*period_get)(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *counter, int64_t start_ms,
                      aff_period_row *row); /* a zero row (not an error) when absent */
    int (*period_put)(aff_store *st, const aff_period_row *row);
    /* Every affiliate's row of (program, counter, period start): a malloc'ed array. */
    int (*period_list)(aff_store *st, int64_t program_id, const char *counter, int64_t start_ms, aff_period_row **rows,
                       size_t *n);
    /* Remember that a bonus was awarded: AFF_EEXIST when it already was this period. */
    int (*bonus_award)(aff_store *st, int64_t program_id, int64_t affiliate_id, const char *bonus, int64_t start_ms,
                       int64_t conversion_id, int64_t now_ms);
    int (*plan_get)(aff_store *st, int64_t program_id, int version, char *json, size_t cap);

    int (*payout_list)(aff_store *st, const aff_list_query *q, aff_payout_cb cb, void *ud);
    int (*payout_insert)(aff_store *st, aff_payout_row *row);
    int (*payout_get)(aff_store *st, int64_t id, aff_payout_row *row);
    /* Set status, reference, updated_ms and lines of a payout. */
    int (*payout_set_status)(aff_store *st, const aff_payout_row *row);
    int (*payout_run_insert)(aff_store *st, aff_payout_run_row *row);
    int (*payout_run_get)(aff_store *st, int64_t id, aff_payout_run_row *row);
    int (*payout_run_list)(aff_store *st, const aff_list_query *q, aff_payout_run_cb cb, void *ud);

    /* Replay (a SCRATCH connection only): shadow the ledger, counting periods, bonus
     * awards and the program's conversions created in [from_ms, to_ms) (with the
     * originals of its renewals) with temporary tables, so pricing them again writes
     * nothing stored. */
    int (*replay_prepare)(aff_store *st, int64_t program_id, int64_t from_ms, int64_t to_ms);
    /* Per affiliate, for the shadowed conversions created in [from_ms, to_ms): the net of
     * their lines that are not rejected, in the stored ledger (replayed 0) or in the
     * replay's (replayed 1). */
    int (*replay_totals)(aff_store *st, int replayed, int64_t from_ms, int64_t to_ms, aff_replay_total_cb cb, void *ud);
    /* Unique clicks per affiliate of a program in the hours (from_hour, to_hour]. */
    int (*unique_clicks_by_affiliate)(aff_store *st, int64_t program_id, int64_t from_hour, int64_t to_hour,
                                      aff_replay_total_cb cb, void *ud);
    /* Shadowed conversions whose replayed earned_minor differs from the stored one. */
    int (*replay_mismatches)(aff_store *st, aff_conversion_cb cb, void *ud);

    int (*rollup_add)(aff_store *st, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                      const aff_rollup_delta *d);
    /* Add d to the sub-ID row (day, program, affiliate, sub1) of stats_sub_daily. */
    int (*rollup_sub_add)(aff_store *st, int64_t day, int64_t program_id, int64_t affiliate_id, const char *sub1,
                          const aff_rollup_delta *d);
    /* AFF_EINVAL: sub1 grouping over a range that is not whole days, or with a link. */
    int (*report)(aff_store *st, const aff_report_query *q, aff_report_cb cb, void *ud);
    int (*verify)(aff_store *st, aff_verify_counts *out);

    /* Users (AFF_EEXIST for a taken email) and sessions of the dashboard. */
    int (*user_insert)(aff_store *st, aff_user_row *row);
    int (*user_get)(aff_store *st, int64_t id, aff_user_row *row);
    int (*user_get_by_email)(aff_store *st, const char *email, aff_user_row *row);
    int (*user_list)(aff_store *st, const aff_list_query *q, aff_user_cb cb, void *ud);
    int (*session_insert)(aff_store *st, const aff_session_row *row);
    int (*session_delete)(aff_store *st, const unsigned char hash[32]);
    /* Sessions that expire after now_ms; then delete the others. */
    int (*session_list)(aff_store *st, int64_t now_ms, aff_session_cb cb, void *ud);
    int (*session_prune)(aff_store *st, int64_t now_ms);

    /* Portal content (sqlite_content.c). Lists take program_id and, when affiliate_id is
     * set, keep to the programs the affiliate belongs to: those it has a link in, applied
     * to when it signed up, or had another application approved to (announcements for
     * all programs included). They list in id order like every list (the API shows
     * announcements newest first, with desc). Applications filter and sort by effective
     * status. */
    int (*terms_get)(aff_store *st, int64_t program_id, aff_terms_row *row); /* defaults when none */
    int (*terms_put)(aff_store *st, const aff_terms_row *row);
    int (*application_insert)(aff_store *st, aff_application_row *row);
    int (*application_list)(aff_store *st, const aff_list_query *q, aff_application_cb cb, void *ud);
    int (*application_get)(aff_store *st, int64_t id, aff_application_row *row);
    /* Decide an existing affiliate's application (signup 0): AFF_ENOTFOUND otherwise. */
    int (*application_set_status)(aff_store *st, int64_t id, const char *status, int64_t decided_ms);
    int (*member_list)(aff_store *st, int64_t affiliate_id, aff_member_cb cb, void *ud);
    int (*creative_insert)(aff_store *st, aff_creative_row *row);
    int (*creative_get)(aff_store *st, int64_t id, aff_creative_row *row);
    /* The image bytes of creative id: *data malloc'ed (caller frees), with its mime and
     * sha256. AFF_ENOTFOUND for a text creative or none. */
    int (*creative_image)(aff_store *st, int64_t id, unsigned char **data, size_t *len, char mime[16], char sha256[65]);
    int (*creative_list)(aff_store *st, const aff_list_query *q, aff_creative_cb cb, void *ud);
    int (*creative_delete)(aff_store *st, int64_t id); /* AFF_ENOTFOUND when none */
    int (*announcement_insert)(aff_store *st, aff_announcement_row *row);
    int (*announcement_get)(aff_store *st, int64_t id, aff_announcement_row *row);
    int (*announcement_list)(aff_store *st, const aff_list_query *q, aff_announcement_cb cb, void *ud);
    int (*announcement_delete)(aff_store *st, int64_t id);
} aff_store_ops;

struct aff_store {
    const aff_store_ops *ops;
};

/* SCRATCH: reads the store like a reader but may write temporary tables that shadow
 * the stored ones (replay: track/replay.h); it never writes the database file. */
enum { AFF_STORE_WRITER = 0, AFF_STORE_READER = 1, AFF_STORE_SCRATCH = 2 };

/* Open (creating and migrating when role is AFF_STORE_WRITER) the SQLite store in
 * directory dir. synchronous_full selects fsync on every commit (see config). */
int aff_store_sqlite_open(const char *dir, int role, int synchronous_full, aff_store **out);
/* How many migrations the SQLite backend has (its schema's user_version once open). */
int aff_store_sqlite_schema_version(void);

/* SQLite only, for tests and diagnosis: the query plan (EXPLAIN QUERY PLAN, one step a
 * line) of the last list or report statement this connection ran, in out. AFF_ENOTFOUND
 * before any, AFF_ETOOBIG when cap is too small. Does not block on other connections. */
int aff_store_sqlite_last_plan(aff_store *st, char *out, size_t cap);

/* The only entry points: one line each. */
/* clang-format off */
static inline void aff_store_close(aff_store *st) { st->ops->close(st); }
static inline int aff_store_begin(aff_store *st) { return st->ops->begin(st); }
static inline int aff_store_commit(aff_store *st) { return st->ops->commit(st); }
static inline int aff_store_rollback(aff_store *st) { return st->ops->rollback(st); }
static inline int aff_store_savepoint(aff_store *st) { return st->ops->savepoint(st); }
static inline int aff_store_release(aff_store *st) { return st->ops->release(st); }
static inline int aff_store_rollback_to(aff_store *st) { return st->ops->rollback_to(st); }
static inline int64_t aff_store_changes(aff_store *st) { return st->ops->changes(st); }
static inline void aff_store_release_memory(aff_store *st) { st->ops->release_memory(st); }
static inline int aff_store_bulk_load(aff_store *st, int on) { return st->ops->bulk_load(st, on); }
static inline int aff_store_meta_get(aff_store *st, const char *k, void *b, size_t c, size_t *l) { return st->ops->meta_get(st, k, b, c, l); }
static inline int aff_store_meta_put(aff_store *st, const char *k, const void *d, size_t l) { return st->ops->meta_put(st, k, d, l); }
static inline int aff_store_program_insert(aff_store *st, aff_program_row *r) { return st->ops->program_insert(st, r); }
static inline int aff_store_program_update(aff_store *st, const aff_program_row *r) { return st->ops->program_update(st, r); }
static inline int aff_store_program_get(aff_store *st, int64_t id, aff_program_row *r) { return st->ops->program_get(st, id, r); }
static inline int aff_store_program_list(aff_store *st, const aff_list_query *q, aff_program_cb cb, void *ud) { return st->ops->program_list(st, q, cb, ud); }
static inline int aff_store_plan_insert(aff_store *st, int64_t pid, int v, const char *j, int64_t ms) { return st->ops->plan_insert(st, pid, v, j, ms); }
static inline int aff_store_affiliate_insert(aff_store *st, aff_affiliate_row *r) { return st->ops->affiliate_insert(st, r); }
static inline int aff_store_affiliate_update(aff_store *st, const aff_affiliate_row *r) { return st->ops->affiliate_update(st, r); }
static inline int aff_store_affiliate_get(aff_store *st, int64_t id, aff_affiliate_row *r) { return st->ops->affiliate_get(st, id, r); }
static inline int aff_store_affiliate_list(aff_store *st, const aff_list_query *q, aff_affiliate_cb cb, void *ud) { return st->ops->affiliate_list(st, q, cb, ud); }
static inline int aff_store_key_insert(aff_store *st, const aff_key_row *r) { return st->ops->key_insert(st, r); }
static inline int aff_store_key_count(aff_store *st, const char *role, int64_t *n) { return st->ops->key_count(st, role, n); }
static inline int aff_store_key_list(aff_store *st, aff_key_cb cb, void *ud) { return st->ops->key_list(st, cb, ud); }
static inline int aff_store_link_insert(aff_store *st, aff_link_row *r) { return st->ops->link_insert(st, r); }
static inline int aff_store_link_update(aff_store *st, const aff_link_row *r) { return st->ops->link_update(st, r); }
static inline int aff_store_link_get(aff_store *st, int64_t id, aff_link_row *r) { return st->ops->link_get(st, id, r); }
static inline int aff_store_link_list(aff_store *st, const aff_list_query *q, aff_link_cb cb, void *ud) { return st->ops->link_list(st, q, cb, ud); }
static inline int aff_store_coupon_insert(aff_store *st, aff_coupon_row *r) { return st->ops->coupon_insert(st, r); }
static inline int aff_store_coupon_update(aff_store *st, const aff_coupon_row *r) { return st->ops->coupon_update(st, r); }
static inline int aff_store_coupon_get(aff_store *st, int64_t id, aff_coupon_row *r) { return st->ops->coupon_get(st, id, r); }
static inline int aff_store_coupon_list(aff_store *st, const aff_list_query *q, aff_coupon_cb cb, void *ud) { return st->ops->coupon_list(st, q, cb, ud); }
static inline int aff_store_click_insert(aff_store *st, const aff_click_row *r) { return st->ops->click_insert(st, r); }
static inline int aff_store_click_insert_many(aff_store *st, const aff_click_row *const *r, size_t n) { return st->ops->click_insert_many(st, r, n); }
static inline int aff_store_click_seen_get(aff_store *st, int64_t link, uint64_t fp, int64_t *ms) { return st->ops->click_seen_get(st, link, fp, ms); }
static inline int aff_store_click_get(aff_store *st, const char *id, aff_click_row *r) { return st->ops->click_get(st, id, r); }
static inline int aff_store_click_attr_get(aff_store *st, const char *id, aff_click_attr *r) { return st->ops->click_attr_get(st, id, r); }
static inline int aff_store_click_list(aff_store *st, const aff_list_query *q, aff_click_cb cb, void *ud) { return st->ops->click_list(st, q, cb, ud); }
static inline int aff_store_click_seen_put(aff_store *st, int64_t link, uint64_t fp, int64_t now) { return st->ops->click_seen_put(st, link, fp, now); }
static inline int aff_store_click_seen_prune(aff_store *st, int64_t *link, int64_t *fp, int max, int64_t before, int64_t *deleted) { return st->ops->click_seen_prune(st, link, fp, max, before, deleted); }
static inline int aff_store_conversion_find(aff_store *st, int64_t pid, const char *ev, const char *oid, aff_conversion_row *r) { return st->ops->conversion_find(st, pid, ev, oid, r); }
static inline int aff_store_conversion_insert(aff_store *st, aff_conversion_row *r) { return st->ops->conversion_insert(st, r); }
static inline int aff_store_conversion_next_id(aff_store *st, int64_t *id) { return st->ops->conversion_next_id(st, id); }
static inline int aff_store_conversion_get(aff_store *st, int64_t id, aff_conversion_row *r) { return st->ops->conversion_get(st, id, r); }
static inline int aff_store_conversion_list(aff_store *st, const aff_list_query *q, aff_conversion_cb cb, void *ud) { return st->ops->conversion_list(st, q, cb, ud); }
static inline int aff_store_conversion_set_refund(aff_store *st, int64_t id, int64_t ref, const char *status) { return st->ops->conversion_set_refund(st, id, ref, status); }
static inline int aff_store_customer_get(aff_store *st, int64_t pid, const char *key, int64_t *aff, int64_t *link) { return st->ops->customer_get(st, pid, key, aff, link); }
static inline int aff_store_customer_put(aff_store *st, int64_t pid, const char *key, int64_t aff, int64_t link, int64_t ms) { return st->ops->customer_put(st, pid, key, aff, link, ms); }
static inline int aff_store_ledger_insert(aff_store *st, aff_ledger_row *r) { return st->ops->ledger_insert(st, r); }
static inline int aff_store_ledger_list(aff_store *st, const aff_list_query *q, aff_ledger_cb cb, void *ud) { return st->ops->ledger_list(st, q, cb, ud); }
static inline int aff_store_conversion_set_state(aff_store *st, const aff_conversion_row *r) { return st->ops->conversion_set_state(st, r); }
static inline int aff_store_conversion_set_earned(aff_store *st, const aff_conversion_row *r) { return st->ops->conversion_set_earned(st, r); }
static inline int aff_store_conversion_first_of_customer(aff_store *st, int64_t pid, const char *ev, const char *cid, const char *eh, aff_conversion_row *r) { return st->ops->conversion_first_of_customer(st, pid, ev, cid, eh, r); }
static inline int aff_store_conversion_list_period(aff_store *st, int64_t pid, int64_t aid, const char *ev, int64_t from, int64_t to, aff_conversion_cb cb, void *ud) { return st->ops->conversion_list_period(st, pid, aid, ev, from, to, cb, ud); }
static inline int aff_store_conversion_latest_ms(aff_store *st, int64_t pid, int64_t aid, int64_t max, int64_t *ms, int64_t *n) { return st->ops->conversion_latest_ms(st, pid, aid, max, ms, n); }
static inline int aff_store_conversion_count_since(aff_store *st, int64_t pid, int64_t aid, int64_t since, int64_t max, int64_t *n) { return st->ops->conversion_count_since(st, pid, aid, since, max, n); }
static inline int aff_store_conversion_duplicate(aff_store *st, int64_t pid, const char *cid, const char *eh, int64_t amount, const char *oid, int64_t since, int *found) { return st->ops->conversion_duplicate(st, pid, cid, eh, amount, oid, since, found); }
static inline int aff_store_conversion_hold_recent(aff_store *st, int64_t pid, int64_t aid, int64_t since, const char *reason, const char *hit, int score, int64_t *n) { return st->ops->conversion_hold_recent(st, pid, aid, since, reason, hit, score, n); }
static inline int aff_store_conversion_list_screened(aff_store *st, const aff_list_query *q, aff_conversion_cb cb, void *ud) { return st->ops->conversion_list_screened(st, q, cb, ud); }
static inline int aff_store_outlier_get(aff_store *st, int64_t pid, int64_t aid, int64_t *z) { return st->ops->outlier_get(st, pid, aid, z); }
static inline int aff_store_outliers_clear(aff_store *st, int64_t pid) { return st->ops->outliers_clear(st, pid); }
static inline int aff_store_outlier_put(aff_store *st, int64_t pid, int64_t aid, int64_t z, int64_t now) { return st->ops->outlier_put(st, pid, aid, z, now); }
static inline int aff_store_affiliate_rates_hours(aff_store *st, int64_t pid, int64_t from, int64_t to, aff_replay_total_cb cb, void *ud) { return st->ops->affiliate_rates_hours(st, pid, from, to, cb, ud); }
static inline int aff_store_affiliate_rates(aff_store *st, int64_t pid, int64_t from, int64_t to, aff_replay_total_cb cb, void *ud) { return st->ops->affiliate_rates(st, pid, from, to, cb, ud); }
static inline int aff_store_conversion_auto_approve(aff_store *st, int64_t now, int64_t *n) { return st->ops->conversion_auto_approve(st, now, n); }
static inline int aff_store_ledger_get(aff_store *st, int64_t id, aff_ledger_row *r) { return st->ops->ledger_get(st, id, r); }
static inline int aff_store_ledger_move(aff_store *st, const aff_ledger_move *m, int64_t *n) { return st->ops->ledger_move(st, m, n); }
static inline int aff_store_ledger_auto_approve(aff_store *st, int64_t now, int64_t *n) { return st->ops->ledger_auto_approve(st, now, n); }
static inline int aff_store_ledger_release(aff_store *st, int64_t pid, int64_t now, int64_t *n) { return st->ops->ledger_release(st, pid, now, n); }
static inline int aff_store_balance_list(aff_store *st, const aff_list_query *q, aff_balance_cb cb, void *ud) { return st->ops->balance_list(st, q, cb, ud); }
static inline int aff_store_balance_check(aff_store *st, int64_t *bad) { return st->ops->balance_check(st, bad); }
static inline int aff_store_period_get(aff_store *st, int64_t pid, int64_t aid, const char *c, int64_t start, aff_period_row *r) { return st->ops->period_get(st, pid, aid, c, start, r); }
static inline int aff_store_period_put(aff_store *st, const aff_period_row *r) { return st->ops->period_put(st, r); }
static inline int aff_store_period_list(aff_store *st, int64_t pid, const char *c, int64_t start, aff_period_row **rows, size_t *n) { return st->ops->period_list(st, pid, c, start, rows, n); }
static inline int aff_store_bonus_award(aff_store *st, int64_t pid, int64_t aid, const char *b, int64_t start, int64_t cid, int64_t now) { return st->ops->bonus_award(st, pid, aid, b, start, cid, now); }
static inline int aff_store_plan_get(aff_store *st, int64_t pid, int v, char *json, size_t cap) { return st->ops->plan_get(st, pid, v, json, cap); }
static inline int aff_store_payout_list(aff_store *st, const aff_list_query *q, aff_payout_cb cb, void *ud) { return st->ops->payout_list(st, q, cb, ud); }
static inline int aff_store_payout_insert(aff_store *st, aff_payout_row *r) { return st->ops->payout_insert(st, r); }
static inline int aff_store_payout_get(aff_store *st, int64_t id, aff_payout_row *r) { return st->ops->payout_get(st, id, r); }
static inline int aff_store_payout_set_status(aff_store *st, const aff_payout_row *r) { return st->ops->payout_set_status(st, r); }
static inline int aff_store_payout_run_insert(aff_store *st, aff_payout_run_row *r) { return st->ops->payout_run_insert(st, r); }
static inline int aff_store_payout_run_get(aff_store *st, int64_t id, aff_payout_run_row *r) { return st->ops->payout_run_get(st, id, r); }
static inline int aff_store_replay_prepare(aff_store *st, int64_t pid, int64_t from, int64_t to) { return st->ops->replay_prepare(st, pid, from, to); }
static inline int aff_store_replay_totals(aff_store *st, int replayed, int64_t from, int64_t to, aff_replay_total_cb cb, void *ud) { return st->ops->replay_totals(st, replayed, from, to, cb, ud); }
static inline int aff_store_unique_clicks_by_affiliate(aff_store *st, int64_t pid, int64_t from, int64_t to, aff_replay_total_cb cb, void *ud) { return st->ops->unique_clicks_by_affiliate(st, pid, from, to, cb, ud); }
static inline int aff_store_replay_mismatches(aff_store *st, aff_conversion_cb cb, void *ud) { return st->ops->replay_mismatches(st, cb, ud); }
static inline int aff_store_payout_run_list(aff_store *st, const aff_list_query *q, aff_payout_run_cb cb, void *ud) { return st->ops->payout_run_list(st, q, cb, ud); }
static inline int aff_store_rollup_add(aff_store *st, int64_t hour, int64_t pid, int64_t aid, int64_t lid, const aff_rollup_delta *d) { return st->ops->rollup_add(st, hour, pid, aid, lid, d); }
static inline int aff_store_rollup_sub_add(aff_store *st, int64_t day, int64_t pid, int64_t aid, const char *sub1, const aff_rollup_delta *d) { return st->ops->rollup_sub_add(st, day, pid, aid, sub1, d); }
static inline int aff_store_report(aff_store *st, const aff_report_query *q, aff_report_cb cb, void *ud) { return st->ops->report(st, q, cb, ud); }
static inline int aff_store_verify(aff_store *st, aff_verify_counts *out) { return st->ops->verify(st, out); }
static inline int aff_store_user_insert(aff_store *st, aff_user_row *r) { return st->ops->user_insert(st, r); }
static inline int aff_store_user_get(aff_store *st, int64_t id, aff_user_row *r) { return st->ops->user_get(st, id, r); }
static inline int aff_store_user_get_by_email(aff_store *st, const char *e, aff_user_row *r) { return st->ops->user_get_by_email(st, e, r); }
static inline int aff_store_user_list(aff_store *st, const aff_list_query *q, aff_user_cb cb, void *ud) { return st->ops->user_list(st, q, cb, ud); }
static inline int aff_store_session_insert(aff_store *st, const aff_session_row *r) { return st->ops->session_insert(st, r); }
static inline int aff_store_session_delete(aff_store *st, const unsigned char h[32]) { return st->ops->session_delete(st, h); }
static inline int aff_store_session_list(aff_store *st, int64_t now, aff_session_cb cb, void *ud) { return st->ops->session_list(st, now, cb, ud); }
static inline int aff_store_session_prune(aff_store *st, int64_t now) { return st->ops->session_prune(st, now); }
static inline int aff_store_terms_get(aff_store *st, int64_t pid, aff_terms_row *r) { return st->ops->terms_get(st, pid, r); }
static inline int aff_store_terms_put(aff_store *st, const aff_terms_row *r) { return st->ops->terms_put(st, r); }
static inline int aff_store_application_insert(aff_store *st, aff_application_row *r) { return st->ops->application_insert(st, r); }
static inline int aff_store_application_list(aff_store *st, const aff_list_query *q, aff_application_cb cb, void *ud) { return st->ops->application_list(st, q, cb, ud); }
static inline int aff_store_application_get(aff_store *st, int64_t id, aff_application_row *r) { return st->ops->application_get(st, id, r); }
static inline int aff_store_application_set_status(aff_store *st, int64_t id, const char *s, int64_t ms) { return st->ops->application_set_status(st, id, s, ms); }
static inline int aff_store_member_list(aff_store *st, int64_t aid, aff_member_cb cb, void *ud) { return st->ops->member_list(st, aid, cb, ud); }
static inline int aff_store_creative_insert(aff_store *st, aff_creative_row *r) { return st->ops->creative_insert(st, r); }
static inline int aff_store_creative_get(aff_store *st, int64_t id, aff_creative_row *r) { return st->ops->creative_get(st, id, r); }
static inline int aff_store_creative_image(aff_store *st, int64_t id, unsigned char **d, size_t *n, char mime[16], char sha[65]) { return st->ops->creative_image(st, id, d, n, mime, sha); }
static inline int aff_store_creative_list(aff_store *st, const aff_list_query *q, aff_creative_cb cb, void *ud) { return st->ops->creative_list(st, q, cb, ud); }
static inline int aff_store_creative_delete(aff_store *st, int64_t id) { return st->ops->creative_delete(st, id); }
static inline int aff_store_announcement_insert(aff_store *st, aff_announcement_row *r) { return st->ops->announcement_insert(st, r); }
static inline int aff_store_announcement_get(aff_store *st, int64_t id, aff_announcement_row *r) { return st->ops->announcement_get(st, id, r); }
static inline int aff_store_announcement_list(aff_store *st, const aff_list_query *q, aff_announcement_cb cb, void *ud) { return st->ops->announcement_list(st, q, cb, ud); }
static inline int aff_store_announcement_delete(aff_store *st, int64_t id) { return st->ops->announcement_delete(st, id); }
/* clang-format on */

#endif
