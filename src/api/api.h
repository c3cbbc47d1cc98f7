/*
 * api.h - what the api/ files share: the generic JSON job (work on the writer or a
 * reader, answer with the JSON it built or the error it hit), body-field validation
 * that names the field at fault, and rendering of store rows as JSON objects.
 * api/ is the only place HTTP meets the domain (DESIGN.md section 3).
 */
#ifndef AFF_API_API_H
#define AFF_API_API_H

#include <jansson.h>

#include "net/http.h"
#include "net/router.h"
#include "store/store.h"
#include "track/conversion.h"
#include "track/report.h"

/* ---- generic job ---- */
#define AFF_SEARCH_MAX 128      /* bytes of a list's `q` */
#define AFF_CSV_MAX_ROWS 100000 /* rows of one CSV export */
#define AFF_CSV_MAX_BYTES (64u << 20)

/* What a list endpoint accepts beyond limit/cursor and the id filters (docs/api.md
 * "Lists"): the sort keys (1u << AFF_SORT_*; AFF_SORT_ID always), whether rows have a
 * creation time (created_from/created_to) and a search (q), the statuses its `status`
 * filter takes, and the CSV file name. */
typedef struct aff_api_list_spec {
    const char *csv_name; /* "conversions" -> conversions.csv */
    unsigned sorts;
    int time, search;
    int clicks;                  /* the click list: AFF_SORT_ID is "ts", its cursors' ids are click ids */
    int newest_first;            /* without a sort: id descending (`after` then resumes that order) */
    const char *const *statuses; /* NULL-terminated (aff_api_statuses_*); NULL: no status filter */
} aff_api_list_spec;

/* Every status a row can have (store.h), NULL-terminated: the `status` filters of the
 * lists and the affiliate's status field. An application's effective status is its
 * affiliate's for a sign-up, so applications take the affiliate statuses. */
extern const char *const aff_api_statuses_affiliate[];  /* pending approved suspended rejected */
extern const char *const aff_api_statuses_conversion[]; /* pending held approved rejected reversed */
extern const char *const aff_api_statuses_ledger[];     /* pending approved payable in_payout paid rejected reversed */
extern const char *const aff_api_statuses_payout[];     /* pending paid failed */
#define AFF_SORT_BIT(k) (1u << AFF_SORT_##k)

/* ---- CSV exports (csv.c) ---- */
typedef struct aff_csv aff_csv;
/* A CSV text whose header names the members of template_row (X_minor money members of
 * a row with `currency` get a decimal column X first); at most max_bytes. NULL when
 * out of memory. */
aff_csv *aff_csv_new(json_t *template_row, size_t max_bytes);
/* Append row (an object like the template). 0, AFF_ETOOBIG past the limit, AFF_ENOMEM. */
int aff_csv_row(aff_csv *c, json_t *row);
size_t aff_csv_rows(const aff_csv *c);
/* The text (caller frees), leaving c empty. */
char *aff_csv_take(aff_csv *c, size_t *len);
void aff_csv_free(aff_csv *c);
typedef struct aff_api_job {
    aff_pending base;
    json_t *in;                     /* request body (owned), may be NULL */
    json_t *out;                    /* answer (owned), built by run */
    int status;                     /* HTTP status of a successful answer (default 200) */
    int64_t id;                     /* the path's id, if any */
    char key[AFF_CLICK_ID_LEN + 1]; /* the path's string key (click id), if any */
    int role;
    int64_t affiliate_id; /* the caller, for affiliate keys */
    aff_list_query q;
    char status_filter[16];
    char search[AFF_SEARCH_MAX + 1];
    const struct aff_api_list_spec *spec; /* a list's: its sorts, filters, CSV name */
    aff_list_key last;                    /* where a sorted page ended */
    int csv;                              /* format=csv: the answer is csv_text */
    aff_csv *csv_out;                     /* being written by the list run */
    char *csv_text;
    size_t csv_len;
    char public_url[512];
    int (*run_inner)(aff_job *job, aff_ctx *ctx); /* the resource's run; see aff_api_job_new */
} aff_api_job;

/* New job for h; run fills out (or returns an error with job->err). Answers 503 and
 * returns NULL when out of memory. */
aff_api_job *aff_api_job_new(aff_http *h, int (*run)(aff_job *, aff_ctx *));
#define AFF_API_JOB(job) AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), aff_api_job, base)

/* A positive decimal id of 1..18 digits, nothing else (no sign, space or 0x): 0 and *out,
 * or AFF_EINVAL. The id filters and limits of lists and reports. */
int aff_api_parse_id(const char *s, size_t len, int64_t *out);

/* Parse the path id argument i (a positive integer); answers 404 and returns
 * AFF_ENOTFOUND otherwise. */
int aff_api_path_id(aff_http *h, int i, int64_t *out);
/* Read limit/after/cursor/sort/format and the filters j->spec allows from the query
 * into j; answers 422 itself on bad input (naming the parameter) and returns its code. */
int aff_api_list_params(aff_http *h, aff_api_job *j);

/* What aff_api_list_params does once the query is split into ps, without HTTP: the list
 * parameters (docs/api.md "Lists") for j->spec (NULL: a plain list) into j->q, and
 * j->status_filter, j->search and j->csv; accept (accept_len bytes, may be NULL) is the
 * Accept header, which asks for CSV when format is not given. role and affiliate_id are
 * the caller's: an affiliate may filter only on itself. j must be zeroed but for spec.
 * Returns 0; AFF_EINVAL with err naming the parameter; AFF_ENOTFOUND ("no such
 * affiliate", no field) for an affiliate's foreign affiliate_id. Pure, never blocks. */
int aff_api_list_query(const aff_params *ps, const char *accept, size_t accept_len, int role, int64_t affiliate_id,
                       aff_api_job *j, aff_errinfo *err);

/* Read `format` alone (json or csv; without it, Accept: text/csv asks for CSV) into
 * j->csv, for an endpoint that is not paged but exports CSV like the lists; answers 422
 * itself on bad input (naming `format`) and returns its code. */
int aff_api_format_param(aff_http *h, aff_api_job *j);

/* The three handler shapes every resource uses:
 *   body:  parse the JSON body, take path id 0 if with_id, run on the writer;
 *   get:   take path id 0, run on a reader;
 *   list:  read limit/after/filters from the query, run on a reader. */
void aff_api_submit_body(aff_http *h, int (*run)(aff_job *, aff_ctx *), int with_id);
/* body, for actions whose body may be empty (then {}). */
void aff_api_submit_action(aff_http *h, int (*run)(aff_job *, aff_ctx *), int with_id);
void aff_api_submit_get(aff_http *h, int (*run)(aff_job *, aff_ctx *));
void aff_api_submit_list(aff_http *h, int (*run)(aff_job *, aff_ctx *), const aff_api_list_spec *spec);

/* The list run's end: for JSON, next_cursor (from the sorted page's end, or else the
 * last row's id); for CSV, the text moves to csv_text for the answer. Shared by every
 * AFF_API_LISTER. */
void aff_api_list_finish(aff_api_job *j);
/* A list run's failure rc with its error set: a CSV export over AFF_CSV_MAX_ROWS rows
 * or AFF_CSV_MAX_BYTES (413, narrow the filters); a sort, cursor or after the store
 * refused, or a click sort over too many clicks (AFF_ERANGE; 422 naming the parameter).
 * Returns the rc to answer with. */
int aff_api_list_fail(aff_job *job, int rc);

/* Define `static int name(aff_job *, aff_ctx *)`, the reader-side run of a list
 * endpoint: it calls store_list with the job's filters and sort and one row more than
 * the page (to know has_more), renders each row with render(row, public_url) and, for
 * an affiliate key, restricts the query to the caller. For format=csv it asks for every
 * row instead (up to AFF_CSV_MAX_ROWS), writing each through the CSV writer with a
 * header from the rendering of a zeroed row. One definition for every listing. */
#define AFF_API_LISTER(name, row_type, store_list, render)                                                        \
    static int name##_add(void *ud, const row_type *row)                                                          \
    {                                                                                                             \
        aff_api_job *j_ = ud;                                                                                     \
        if (j_->csv) {                                                                                            \
            json_t *o_ = render(row, j_->public_url);                                                             \
            int rc_ = aff_csv_rows(j_->csv_out) >= AFF_CSV_MAX_ROWS ? AFF_ETOOBIG : aff_csv_row(j_->csv_out, o_); \
            json_decref(o_);                                                                                      \
            return rc_;                                                                                           \
        }                                                                                                         \
        return aff_render_list_add(j_->out, render(row, j_->public_url), j_->q.limit);                            \
    }                                                                                                             \
    static int name(aff_job *job, aff_ctx *ctx)                                                                   \
    {                                                                                                             \
        aff_api_job *j_ = AFF_API_JOB(job);                                                                       \
        aff_list_query q_ = j_->q;                                                                                \
        q_.limit++;                                                                                               \
        if (j_->role == AFF_ROLE_AFFILIATE)                                                                       \
            q_.affiliate_id = j_->affiliate_id;                                                                   \
        if (j_->csv) {                                                                                            \
            row_type *zero_ = calloc(1, sizeof(row_type));                                                        \
            json_t *t_ = zero_ ? render(zero_, j_->public_url) : NULL;                                            \
            free(zero_);                                                                                          \
            j_->csv_out = t_ ? aff_csv_new(t_, AFF_CSV_MAX_BYTES) : NULL;                                         \
            json_decref(t_);                                                                                      \
            if (j_->csv_out == NULL)                                                                              \
                return AFF_ENOMEM;                                                                                \
            q_.limit = AFF_CSV_MAX_ROWS + 1; /* every row: no page, no cursor */                                  \
            q_.from.set = 0;                                                                                      \
            q_.after = 0;                                                                                         \
            q_.after_click[0] = '\0';                                                                             \
        } else {                                                                                                  \
            j_->out = aff_render_list_new();                                                                      \
        }                                                                                                         \
        memset(&j_->last, 0, sizeof(j_->last));                                                                   \
        q_.last = &j_->last; /* set by sorted lists only */                                                       \
        int rc_ = store_list(ctx->st, &q_, name##_add, j_);                                                       \
        if (rc_ == 0)                                                                                             \
            aff_api_list_finish(j_);                                                                              \
        return rc_ != 0 ? aff_api_list_fail(job, rc_) : 0;                                                        \
    }

/* ---- body fields (all return 0 or AFF_EINVAL with err naming the field) ---- */
/* Reject members other than the NULL-terminated allowed names. */
int aff_field_only(json_t *obj, const char *const *allowed, aff_errinfo *err);
/* String member: when absent, *present = 0 (error if required). Length 1..maxlen
 * unless allow_empty; no control characters. */
int aff_field_str(json_t *obj, const char *name, int required, int allow_empty, size_t maxlen, char *out, size_t cap,
                  int *present, aff_errinfo *err);
/* Integer member within [min, max]. */
int aff_field_int(json_t *obj, const char *name, int required, int64_t min, int64_t max, int64_t *out, int *present,
                  aff_errinfo *err);
/* String member that must be one of choices (NULL-terminated). */
int aff_field_enum(json_t *obj, const char *name, const char *const *choices, char *out, size_t cap, int *present,
                   aff_errinfo *err);
/* Does s (len bytes) consist of [A-Za-z0-9_-] only, 1..AFF_CODE_MAX? */
int aff_code_valid(const char *s, size_t len);

/* ---- dashboard users and sign-in (session.c, shared with users.c) ---- */
/* {id, email, role, affiliate_id, created_at}: never the password hash. */
json_t *aff_render_user(const aff_user_row *u);
/* Lower-case s in place (emails). */
void aff_api_lower(char *s);
/* Does e look like an email address (one '@' with text on both sides, no space)? */
int aff_api_email_valid(const char *e);
/* 1 when req has no Origin header, or one naming its Host or public_url; else 0. */
int aff_api_origin_ok(h2o_req_t *req);
/* Count one sign-in or sign-up attempt by the caller's IP and for email; 0 (having
 * answered 429 with Retry-After) when over signin_attempts_per_minute. Thread-safe. */
int aff_api_attempt_allowed(aff_http *h, const char *email);

/* ---- rendering ---- (the _u forms take the public URL too, for AFF_API_LISTER) */
#define aff_render_program_u(r, u) aff_render_program(r)
#define aff_render_conversion_for_affiliate_u(r, u) aff_render_conversion_for_affiliate(r)
json_t *aff_render_conversion_for_affiliate(const aff_conversion_row *r);
#define aff_render_affiliate_u(r, u) aff_render_affiliate(r)
#define aff_render_coupon_u(r, u) aff_render_coupon(r)
#define aff_render_click_u(r, u) aff_render_click(r)
#define aff_render_conversion_u(r, u) aff_render_conversion(r)
#define aff_render_ledger_u(r, u) aff_render_ledger(r)
#define aff_render_payout_u(r, u) aff_render_payout(r)
json_t *aff_render_time(int64_t ms);
json_t *aff_render_program(const aff_program_row *r);
json_t *aff_render_affiliate(const aff_affiliate_row *r);
json_t *aff_render_link(const aff_link_row *r, const char *public_url);
json_t *aff_render_coupon(const aff_coupon_row *r);
json_t *aff_render_click(const aff_click_row *r);
json_t *aff_render_conversion(const aff_conversion_row *r);
struct aff_jw;
void aff_render_conversion_jw(struct aff_jw *w, const aff_conversion_row *r);
void aff_render_ledger_jw(struct aff_jw *w, const aff_ledger_row *r);
void aff_render_conversion_result_jw(struct aff_jw *w, const aff_conversion_result *r);
json_t *aff_render_ledger(const aff_ledger_row *r);
json_t *aff_render_payout(const aff_payout_row *r);
/* {conversion, commissions[]} as answered by conversion endpoints. */
json_t *aff_render_conversion_result(const aff_conversion_result *r);
/* Append a row to {"data": [...]} while respecting the page size; sets has_more. */
int aff_render_list_add(json_t *list, json_t *item, int limit);
json_t *aff_render_list_new(void);

/* ---- report parameters (reports.c) ---- */
/* The parameters of GET /v1/reports and /v1/me/reports (docs/api.md "Reports"). */
#define AFF_REPORT_LIMIT_MAX 10000
typedef struct aff_api_report_params {
    aff_report_query q; /* filters, group mask and the hours of from..to */
    aff_report_dims dims;
    int64_t from_ms, to_ms; /* UTC midnights of the first and the last day */
    int csv;
    int sorted; /* sort given: rows by the counter at sort_off, descending */
    size_t sort_off;
    size_t limit; /* 0: every row */
} aff_api_report_params;

/* Read from, to, the id filters, group_by, format, sort and limit of a report from ps
 * into out (zeroed first); own: the affiliate's own report (/v1/me/reports), whose sort
 * has no overrides_minor; today_ms: the UTC midnight the default range ends on. Whether
 * an affiliate may see the filtered affiliate or link is the caller's (it needs the
 * snapshot). Returns 0, or AFF_EINVAL with err naming the parameter. Pure. */
int aff_api_report_query(const aff_params *ps, int own, int64_t today_ms, aff_api_report_params *out, aff_errinfo *err);

/* ---- handlers (one file per resource) ---- */
void aff_api_programs_create(aff_http *h);
void aff_api_programs_list(aff_http *h);
void aff_api_programs_get(aff_http *h);
void aff_api_programs_patch(aff_http *h);
void aff_api_affiliates_create(aff_http *h);
void aff_api_affiliates_list(aff_http *h);
void aff_api_affiliates_get(aff_http *h);
void aff_api_affiliates_patch(aff_http *h);
void aff_api_links_create(aff_http *h);
void aff_api_links_list(aff_http *h);
void aff_api_links_get(aff_http *h);
void aff_api_links_patch(aff_http *h);
void aff_api_coupons_create(aff_http *h);
void aff_api_coupons_list(aff_http *h);
void aff_api_coupons_get(aff_http *h);
void aff_api_coupons_patch(aff_http *h);
void aff_api_redirect(aff_http *h);
void aff_api_postback(aff_http *h);
void aff_api_pixel(aff_http *h);
void aff_api_conversions_create(aff_http *h);
void aff_api_conversions_list(aff_http *h);
void aff_api_conversions_get(aff_http *h);
void aff_api_conversions_refund(aff_http *h);
void aff_api_clicks_list(aff_http *h);
void aff_api_clicks_get(aff_http *h);
void aff_api_commissions_list(aff_http *h);
void aff_api_payouts_list(aff_http *h);
void aff_api_reports(aff_http *h);
void aff_api_me(aff_http *h);
void aff_api_me_links_list(aff_http *h);
void aff_api_me_links_get(aff_http *h);
void aff_api_me_links_create(aff_http *h);
void aff_api_me_reports(aff_http *h);
void aff_api_me_commissions(aff_http *h);
void aff_api_me_payouts(aff_http *h);
void aff_api_conversions_approve(aff_http *h);
void aff_api_conversions_reject(aff_http *h);
void aff_api_conversions_bulk(aff_http *h);
void aff_api_commissions_approve(aff_http *h);
void aff_api_balances(aff_http *h);
void aff_api_me_balance(aff_http *h);
void aff_api_review(aff_http *h);
void aff_api_programs_caps(aff_http *h);
void aff_api_me_conversions(aff_http *h);
void aff_api_payouts_run(aff_http *h);
void aff_api_payouts_get(aff_http *h);
void aff_api_payouts_paid(aff_http *h);
void aff_api_payouts_failed(aff_http *h);
void aff_api_me_payouts_get(aff_http *h);
void aff_api_payout_runs_list(aff_http *h);
void aff_api_payout_runs_export(aff_http *h);
void aff_api_session_create(aff_http *h);
void aff_api_session_get(aff_http *h);
void aff_api_session_delete(aff_http *h);
void aff_api_users_create(aff_http *h);
void aff_api_users_list(aff_http *h);
void aff_api_signup(aff_http *h);
void aff_api_healthz(aff_http *h);
void aff_api_metrics(aff_http *h);

/* ---- portal content (content.c, creatives.c) ---- */
/* String member of plain text that may hold line breaks and tabs (terms, bodies); 0..maxlen bytes. */
int aff_field_text(json_t *obj, const char *name, int required, size_t maxlen, char *out, size_t cap, int *present,
                   aff_errinfo *err);
/* The programs affiliate_id belongs to (at most AFF_API_MEMBERS_MAX) and its first link
 * in each (0: none), into the caller's arrays. Reader or writer. */
#define AFF_API_MEMBERS_MAX 256
int aff_api_members(aff_ctx *ctx, int64_t affiliate_id, int64_t *program_ids, int64_t *link_ids, size_t *n);
/* *approved = 1 when the affiliate exists with status approved. */
int aff_api_caller_approved(aff_ctx *ctx, int64_t affiliate_id, int *approved);
/* Writer, before an application is stored: the program must be open to applications
 * (else 422 naming program_id) and, when has_version, app->terms_version the current
 * version (else 409 naming terms_version); fills app's terms version and hash. */
int aff_api_application_terms(aff_ctx *ctx, aff_application_row *app, int has_version, aff_errinfo *err);
void aff_api_me_applications_create(aff_http *h);
void aff_api_applications_approve(aff_http *h);
void aff_api_applications_reject(aff_http *h);
void aff_api_program_terms_get(aff_http *h);
void aff_api_program_terms_patch(aff_http *h);
void aff_api_public_program_get(aff_http *h);
void aff_api_applications_list(aff_http *h);
void aff_api_me_programs_list(aff_http *h);
void aff_api_me_programs_get(aff_http *h);
void aff_api_announcements_create(aff_http *h);
void aff_api_announcements_list(aff_http *h);
void aff_api_announcements_delete(aff_http *h);
void aff_api_creatives_create(aff_http *h);
void aff_api_creatives_upload(aff_http *h);
void aff_api_creatives_list(aff_http *h);
void aff_api_creatives_get(aff_http *h);
void aff_api_creatives_delete(aff_http *h);
void aff_api_creative_image(aff_http *h);
/* The text an affiliate pastes for creative r with its tracking URL link_url (HTML for a
 * banner, with every value escaped; the text with "{link}" replaced for a text
 * creative) into out. 0 or AFF_ETOOBIG. */
int aff_creative_snippet(const aff_creative_row *r, const char *public_url, const char *link_url, char *out,
                         size_t cap);

/* The route table (api/routes.c). */
aff_routes *aff_api_routes(void);

/* Counters shown by /metrics. */
typedef struct aff_api_counters {
    _Atomic uint64_t clicks, clicks_refused, conversions, conversion_errors, pixel_errors;
    _Atomic uint64_t clicks_blocked;     /* refused 403 by a fraud rule with action block */
    _Atomic uint64_t clicks_not_counted; /* HEAD and prefetch requests: redirected, never recorded */
    /* Conversions and clicks over a cap (track/cap.h), by [affiliate cap][hard][code % 10 - 1]
     * for the reason codes 61..66 and 81..86: the alert of a soft cap. */
    _Atomic uint64_t cap_hits[2][2][6];
} aff_api_counters;
extern aff_api_counters aff_api_stats;

/* Count a cap hit of reason code (61..66, 81..86; others are ignored). */
void aff_api_count_cap_hit(int code, int hard);

/* The request's parameters: its query, and with form an x-www-form-urlencoded body too.
 * A query or form that does not decode is answered here and the call returns non-zero:
 * 422 naming the parameter at fault, 413 beyond AFF_MAX_PARAMS parameters. */
int aff_api_params(aff_http *h, int form, aff_params *ps);
/* The same error for a caller that answers it itself: fills err and returns the code
 * (AFF_EINVAL naming ps->bad, valid until the request ends, or AFF_ETOOBIG). */
int aff_api_params_error(const aff_params *ps, int rc, aff_errinfo *err);

#endif
