/*
 * conversions.c - conversion ingestion shared by POST /v1/conversions, /postback and
 * /px.gif (validation of every field into an aff_conversion_input on the event loop,
 * then aff_conversion_record on the writer), refunds, and the conversion listings.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/conversions.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonw.h"
#include "core/money.h"
#include "core/str.h"
#include "track/commission.h"

typedef struct conv_job {
    aff_pending base;
    int pixel;
    aff_conversion_input in;
    aff_conversion_result out;
} conv_job;

static const unsigned char gif[] = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04,
                                    0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

void aff_api_send_gif(h2o_req_t *req)
{
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    aff_http_send(req, 200, "image/gif", (const char *)gif, sizeof(gif));
}

/* ---- validation -------------------------------------------------------------------------- */

static int plain_text(const aff_str *s, size_t max)
{
    if (s->len > max)
        return 0;
    for (size_t i = 0; i < s->len; i++)
        if ((unsigned char)s->p[i] < 0x20 || s->p[i] == 0x7f)
            return 0;
    return 1;
}

static int copy_text(const aff_str *s, const char *field, size_t max, char *out, aff_errinfo *err)
{
    if (s->p == NULL)
        return 0;
    if (!plain_text(s, max))
        return aff_fail(err, AFF_EINVAL, field, "%s: at most %zu bytes, no control characters", field, max);
    memcpy(out, s->p, s->len);
    out[s->len] = '\0';
    return 0;
}

static int valid_event(const aff_str *s)
{
    if (s->len == 0 || s->len > AFF_EVENT_MAX)
        return 0;
    for (size_t i = 0; i < s->len; i++) {
        char c = s->p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* One money field given as a decimal string (name) or as minor units (name_minor). */
static int set_money(const char *name, const char *name_minor, const aff_str *dec, int has_minor, int64_t minor,
                     const aff_snap_program *p, int64_t *out, aff_errinfo *err)
{
    if (dec->p != NULL && has_minor)
        return aff_fail(err, AFF_EINVAL, name, "give %s or %s, not both", name, name_minor);
    if (has_minor) {
        if (minor < 0 || minor > AFF_MONEY_MAX_MINOR)
            return aff_fail(err, AFF_EINVAL, name_minor, "%s: a non-negative integer of minor units", name_minor);
        *out = minor;
        return 0;
    }
    if (dec->p == NULL)
        return 0;
    int rc = aff_money_parse(dec->p, dec->len, p->exponent, 0, out);
    if (rc != 0)
        return aff_fail(err, AFF_EINVAL, name,
                        "%s: a non-negative decimal with at most %d fraction digits for %s (e.g. \"49.90\")", name,
                        p->exponent, p->currency);
    return 0;
}

static int set_amount(const aff_conv_fields *f, const aff_snap_program *p, aff_conversion_input *in, aff_errinfo *err)
{
    int rc = set_money("amount", "amount_minor", &f->amount, f->has_amount_minor, f->amount_minor, p, &in->amount_minor,
                       err);
    if (rc == 0)
        rc = set_money("shipping", "shipping_minor", &f->shipping, f->has_shipping_minor, f->shipping_minor, p,
                       &in->shipping_minor, err);
    if (rc == 0)
        rc = set_money("tax", "tax_minor", &f->tax, f->has_tax_minor, f->tax_minor, p, &in->tax_minor, err);
    if (rc == 0 && in->shipping_minor + in->tax_minor > in->amount_minor)
        rc = aff_fail(err, AFF_EINVAL, "shipping", "shipping and tax are parts of amount: together at most amount");
    return rc;
}

static int set_items(json_t *items, aff_conversion_input *in, aff_errinfo *err)
{
    if (items == NULL || json_is_null(items))
        return 0;
    if (!json_is_array(items) || json_array_size(items) > AFF_COMM_MAX_ITEMS)
        return aff_fail(err, AFF_EINVAL, "items", "items: an array of at most %d objects", AFF_COMM_MAX_ITEMS);
    static const char *const fields[] = {"sku", "category", "amount_minor", "quantity", NULL};
    size_t i;
    json_t *it;
    json_t *clean = json_array();
    int rc = 0;
    int64_t total = 0;
    json_array_foreach(items, i, it)
    {
        char sku[129] = "", cat[129] = "";
        int64_t amount = 0, qty = 1;
        if (!json_is_object(it)) {
            rc = aff_fail(err, AFF_EINVAL, "items", "items[%zu]: expected an object", i);
            break;
        }
        if ((rc = aff_field_only(it, fields, err)) != 0 ||
            (rc = aff_field_str(it, "sku", 0, 1, 128, sku, sizeof(sku), NULL, err)) != 0 ||
            (rc = aff_field_str(it, "category", 0, 1, 128, cat, sizeof(cat), NULL, err)) != 0 ||
            (rc = aff_field_int(it, "amount_minor", 1, 0, AFF_MONEY_MAX_MINOR, &amount, NULL, err)) != 0 ||
            (rc = aff_field_int(it, "quantity", 0, 1, AFF_COMM_ITEM_QTY_MAX, &qty, NULL, err)) != 0) {
            err->field = "items";
            break;
        }
        if (aff_comm_item_add(amount, qty, &total) != 0) { /* the fields' own bounds hold: the sum */
            rc = aff_fail(err, AFF_EINVAL, "items", "items: amount_minor * quantity sums beyond %lld",
                          (long long)AFF_MONEY_MAX_MINOR);
            break;
        }
        json_array_append_new(clean, json_pack("{s:s, s:s, s:I, s:I}", "sku", sku, "category", cat, "amount_minor",
                                               (json_int_t)amount, "quantity", (json_int_t)qty));
    }
    if (rc == 0) {
        char *text = json_dumps(clean, JSON_COMPACT);
        if (text == NULL || strlen(text) >= sizeof(in->items_json))
            rc = aff_fail(err, AFF_EINVAL, "items", "items: too large");
        else
            memcpy(in->items_json, text, strlen(text) + 1);
        free(text);
    }
    json_decref(clean);
    return rc;
}

static void hash_email(const aff_str *email, char out[65])
{
    char norm[AFF_EMAIL_MAX + 1];
    size_t a = 0, b = email->len;
    while (a < b && (email->p[a] == ' ' || email->p[a] == '\t'))
        a++;
    while (b > a && (email->p[b - 1] == ' ' || email->p[b - 1] == '\t'))
        b--;
    size_t n = 0;
    for (size_t i = a; i < b && n < AFF_EMAIL_MAX; i++) {
        char c = email->p[i];
        norm[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    aff_sha256_hex(norm, n, out);
}

int aff_api_conversion_input(const aff_snap_program *p, const aff_click_id_key *key, const aff_conv_fields *f,
                             aff_conversion_input *in, aff_errinfo *err)
{
    static const char *const statuses[] = {"pending", "approved", "rejected"};
    int rc;
    aff_conversion_input_clear(in);
    in->program_id = p->id;
    in->now_ms = aff_clock_now_ms();
    if (f->order_id.p == NULL || f->order_id.len == 0)
        return aff_fail(err, AFF_EINVAL, "order_id", "order_id is required");
    if ((rc = copy_text(&f->order_id, "order_id", AFF_ORDER_ID_MAX, in->order_id, err)) != 0)
        return rc;
    if (f->event.p != NULL && !valid_event(&f->event))
        return aff_fail(err, AFF_EINVAL, "event", "event: 1 to 32 of a-z 0-9 _");
    if (f->event.p != NULL) { /* validated: at most AFF_EVENT_MAX bytes */
        memcpy(in->event, f->event.p, f->event.len);
        in->event[f->event.len] = '\0';
    } else {
        aff_str_copy(in->event, sizeof(in->event), "sale");
    }
    if ((rc = set_amount(f, p, in, err)) != 0)
        return rc;
    if (f->currency.p != NULL && (f->currency.len != 3 || strncasecmp(f->currency.p, p->currency, 3) != 0))
        return aff_fail(err, AFF_ECURRENCY, "currency", "currency: this program is in %s", p->currency);
    memcpy(in->currency, p->currency, 4);
    if (f->status.p != NULL) {
        size_t k;
        for (k = 0; k < 3; k++)
            if (f->status.len == strlen(statuses[k]) && memcmp(f->status.p, statuses[k], f->status.len) == 0)
                break;
        if (k == 3)
            return aff_fail(err, AFF_EINVAL, "status", "status: pending, approved or rejected");
        aff_str_copy(in->status, sizeof(in->status), statuses[k]);
    }
    if (f->click_id.p != NULL && f->click_id.len > 0 &&
        aff_click_id_check(key, f->click_id.p, f->click_id.len, NULL, in->click_id) != 0)
        return aff_fail(err, AFF_EBADID, "click_id", "click_id: malformed or forged click id");
    if (f->cookie_click_id.p != NULL &&
        aff_click_id_check(key, f->cookie_click_id.p, f->cookie_click_id.len, NULL, in->cookie_click_id) != 0)
        in->cookie_click_id[0] = '\0'; /* a stale or foreign cookie is simply ignored */
    if (f->coupon.p != NULL && f->coupon.len > 0) {
        if (!aff_code_valid(f->coupon.p, f->coupon.len))
            return aff_fail(err, AFF_EINVAL, "coupon", "coupon: 1 to 64 of A-Z a-z 0-9 _ -");
        for (size_t i = 0; i < f->coupon.len; i++) {
            char c = f->coupon.p[i];
            in->coupon[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
    }
    if (f->referral_code.p != NULL && f->referral_code.len > 0) {
        if (!aff_code_valid(f->referral_code.p, f->referral_code.len))
            return aff_fail(err, AFF_EINVAL, "referral_code", "referral_code: 1 to 64 of A-Z a-z 0-9 _ -");
        memcpy(in->referral_code, f->referral_code.p, f->referral_code.len);
    }
    if ((rc = copy_text(&f->customer_id, "customer_id", AFF_ORDER_ID_MAX, in->customer_id, err)) != 0)
        return rc;
    if (f->email.p != NULL && f->email.len > 0) {
        if (!plain_text(&f->email, AFF_EMAIL_MAX) || memchr(f->email.p, '@', f->email.len) == NULL)
            return aff_fail(err, AFF_EINVAL, "email", "email: not an e-mail address");
        hash_email(&f->email, in->email_hash);
    }
    in->test = f->test;
    in->renewal = f->renewal;
    if (f->ip.p != NULL && f->ip.len > 0) {
        unsigned char raw[16];
        char ip[64];
        if (f->ip.len >= sizeof(ip))
            return aff_fail(err, AFF_EINVAL, "ip", "ip: an IPv4 or IPv6 address");
        memcpy(ip, f->ip.p, f->ip.len);
        ip[f->ip.len] = '\0';
        if (inet_pton(AF_INET, ip, raw) != 1 && inet_pton(AF_INET6, ip, raw) != 1)
            return aff_fail(err, AFF_EINVAL, "ip", "ip: an IPv4 or IPv6 address");
        memcpy(in->ip, ip, f->ip.len + 1);
    }
    return set_items(f->items, in, err);
}

/* ---- recording --------------------------------------------------------------------------- */

static int run_record(aff_job *job, aff_ctx *ctx)
{
    conv_job *j = AFF_CONTAINER_OF(AFF_CONTAINER_OF(job, aff_pending, job), conv_job, base);
    return aff_conversion_record(ctx, &j->in, &j->out, &job->err);
}

static void respond_record(aff_pending *p, h2o_req_t *req)
{
    conv_job *j = AFF_CONTAINER_OF(p, conv_job, base);
    if (p->job.rc != 0)
        atomic_fetch_add(j->pixel ? &aff_api_stats.pixel_errors : &aff_api_stats.conversion_errors, 1);
    else if (!j->out.replayed) {
        atomic_fetch_add(&aff_api_stats.conversions, 1);
        if (j->out.cap_code != 0)
            aff_api_count_cap_hit(j->out.cap_code, j->out.cap_hard);
    }
    if (j->pixel) {
        aff_api_send_gif(req);
        return;
    }
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    if (j->out.replayed)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("idempotent-replayed"), 0, NULL,
                              H2O_STRLIT("true"));
    aff_jw w;
    aff_jw_init(&w);
    aff_render_conversion_result_jw(&w, &j->out);
    if (aff_jw_finish(&w) == 0)
        aff_http_send(req, j->out.replayed ? 200 : 201, "application/json", w.buf, w.len);
    else
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
    aff_jw_free(&w);
}

void aff_api_conversion_submit(aff_http *h, const aff_snap_program *p, const aff_conv_fields *f, int pixel)
{
    conv_job *j = aff_pending_new(h, sizeof(*j), run_record, respond_record);
    if (j == NULL) {
        if (pixel)
            aff_api_send_gif(h->req);
        else
            aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    j->pixel = pixel; /* in is filled by aff_api_conversion_input, out by the writer */
    aff_errinfo err = {0};
    int rc = aff_api_conversion_input(p, aff_server.key, f, &j->in, &err);
    if (rc != 0) {
        if (pixel) {
            atomic_fetch_add(&aff_api_stats.pixel_errors, 1);
            aff_api_send_gif(h->req);
        } else {
            atomic_fetch_add(&aff_api_stats.conversion_errors, 1);
            aff_http_error(h->req, rc, &err);
        }
        aff_pending_discard(&j->base);
        return;
    }
    aff_pending_submit(&j->base, 1);
}

/* ---- POST /v1/conversions ------------------------------------------------------------------ */

static aff_str json_str(json_t *obj, const char *name, int *bad)
{
    json_t *v = json_object_get(obj, name);
    aff_str s = {NULL, 0};
    if (v == NULL || json_is_null(v))
        return s;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = 1;
        return s;
    }
    s.p = json_string_value(v);
    s.len = json_string_length(v);
    return s;
}

void aff_api_conversions_create(aff_http *h)
{
    static const char *const fields[] = {
        "program_id", "order_id",       "event",       "amount",    "amount_minor", "currency", "click_id",
        "coupon",     "referral_code",  "customer_id", "email",     "items",        "test",     "status",
        "shipping",   "shipping_minor", "tax",         "tax_minor", "renewal",      "ip",       NULL};
    static const char *const strings[] = {"order_id", "event",         "amount",      "currency", "click_id",
                                          "coupon",   "referral_code", "customer_id", "email",    "status",
                                          "shipping", "tax",           "ip"};
    json_t *in = aff_http_json_body(h->req);
    if (in == NULL)
        return;
    aff_errinfo err = {0};
    int64_t program_id = 0;
    int present = 0, rc = aff_field_only(in, fields, &err);
    if (rc == 0)
        rc = aff_field_int(in, "program_id", h->role == AFF_ROLE_ADMIN, 1, INT64_MAX, &program_id, &present, &err);
    if (rc == 0 && h->role == AFF_ROLE_PROGRAM) {
        if (present && program_id != h->program_id)
            rc = aff_fail(&err, AFF_EFORBIDDEN, "program_id", "this postback token belongs to another program");
        program_id = h->program_id;
    }
    const aff_snap_program *p = rc == 0 ? aff_snap_program_get(h->snap, program_id) : NULL;
    if (rc == 0 && p == NULL)
        rc = aff_fail(&err, AFF_EINVAL, "program_id", "no program %lld", (long long)program_id);
    aff_conv_fields f = {0};
    for (size_t i = 0; rc == 0 && i < sizeof(strings) / sizeof(strings[0]); i++) {
        int bad = 0;
        aff_str s = json_str(in, strings[i], &bad);
        if (bad) {
            rc = aff_fail(&err, AFF_EINVAL, strings[i], "%s: expected a string", strings[i]);
            break;
        }
        aff_str *dst[] = {&f.order_id,    &f.event, &f.amount, &f.currency, &f.click_id, &f.coupon, &f.referral_code,
                          &f.customer_id, &f.email, &f.status, &f.shipping, &f.tax,      &f.ip};
        *dst[i] = s;
    }
    if (rc == 0)
        rc = aff_field_int(in, "amount_minor", 0, INT64_MIN, INT64_MAX, &f.amount_minor, &f.has_amount_minor, &err);
    if (rc == 0)
        rc = aff_field_int(in, "shipping_minor", 0, INT64_MIN, INT64_MAX, &f.shipping_minor, &f.has_shipping_minor,
                           &err);
    if (rc == 0)
        rc = aff_field_int(in, "tax_minor", 0, INT64_MIN, INT64_MAX, &f.tax_minor, &f.has_tax_minor, &err);
    json_t *test = json_object_get(in, "test"), *renewal = json_object_get(in, "renewal");
    if (rc == 0 && test != NULL && !json_is_boolean(test))
        rc = aff_fail(&err, AFF_EINVAL, "test", "test: expected true or false");
    if (rc == 0 && renewal != NULL && !json_is_boolean(renewal))
        rc = aff_fail(&err, AFF_EINVAL, "renewal", "renewal: expected true or false");
    f.test = test != NULL && json_is_true(test);
    f.renewal = renewal != NULL && json_is_true(renewal);
    f.items = json_object_get(in, "items");
    if (rc != 0)
        aff_http_error(h->req, rc, &err);
    else
        aff_api_conversion_submit(h, p, &f, 0);
    json_decref(in);
}

/* ---- refunds and listings --------------------------------------------------------------------- */

static int run_refund(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"amount_minor", "amount", "reason", NULL};
    static const char *const reasons[] = {"refund", "chargeback", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    int64_t amount = -1;
    int present = 0;
    char reason[16] = "refund";
    aff_conversion_row *conv = malloc(sizeof(*conv));
    int rc = conv ? aff_store_conversion_get(ctx->st, j->id, conv) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such conversion");
    if (rc == 0)
        rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "amount_minor", 0, 1, AFF_MONEY_MAX_MINOR, &amount, &present, &job->err);
    if (rc == 0)
        rc = aff_field_enum(j->in, "reason", reasons, reason, sizeof(reason), NULL, &job->err);
    json_t *dec = rc == 0 ? json_object_get(j->in, "amount") : NULL;
    if (rc == 0 && dec != NULL) {
        int exp = 2;
        aff_currency_exponent(conv->currency, &exp);
        if (present)
            rc = aff_fail(&job->err, AFF_EINVAL, "amount", "give amount or amount_minor, not both");
        else if (!json_is_string(dec) ||
                 aff_money_parse(json_string_value(dec), json_string_length(dec), exp, 0, &amount) != 0 || amount == 0)
            rc = aff_fail(&job->err, AFF_EINVAL, "amount", "amount: a positive decimal string in %s", conv->currency);
    }
    free(conv);
    aff_conversion_result *r = rc == 0 ? malloc(sizeof(*r)) : NULL;
    if (rc == 0 && r == NULL)
        rc = AFF_ENOMEM;
    if (rc == 0)
        rc = aff_conversion_take_back(ctx, j->id, amount, strcmp(reason, "chargeback") == 0, aff_clock_now_ms(), r,
                                      &job->err);
    if (rc == 0)
        j->out = aff_render_conversion_result(r);
    free(r);
    return rc;
}

static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_conversion_result *r = malloc(sizeof(*r));
    int rc = r ? aff_conversion_load(ctx->st, j->id, r) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such conversion");
    if (rc == 0)
        j->out = aff_render_conversion_result(r);
    free(r);
    return rc;
}

AFF_API_LISTER(run_list, aff_conversion_row, aff_store_conversion_list, aff_render_conversion_u)

void aff_api_conversions_refund(aff_http *h)
{
    aff_api_submit_body(h, run_refund, 1);
}
void aff_api_conversions_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}
static const aff_api_list_spec list_spec = {"conversions",
                                            AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(AMOUNT) | AFF_SORT_BIT(STATUS) |
                                                AFF_SORT_BIT(ORDER_ID) | AFF_SORT_BIT(PROGRAM) |
                                                AFF_SORT_BIT(AFFILIATE),
                                            1,
                                            1,
                                            0,
                                            0,
                                            aff_api_statuses_conversion};
void aff_api_conversions_list(aff_http *h)
{
    aff_api_submit_list(h, run_list, &list_spec);
}
