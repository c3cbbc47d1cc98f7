/*
 * store_rows.h - shared helpers of the store unit tests: row builders that insert one
 * row of each type with every column set to a recognisable value, list collectors that
 * record the ids a list call returned, and a paging query. Header-only (static inline).
 */
#ifndef AFF_TEST_STORE_ROWS_H
#define AFF_TEST_STORE_ROWS_H

#include <stdlib.h>

#include "core/crypto.h"
#include "core/err.h"
#include "store/store.h"
#include "store_fixture.h"
#include "../test.h"

#define T0 1714521600000LL  /* 2024-05-01T00:00:00Z, a UTC midnight */
#define H0 (T0 / 3600000LL) /* its hour number, a multiple of 24 */

#define OPEN_OR_RETURN(ts)                  \
    do {                                    \
        int orc_ = aff_test_store_open(ts); \
        AFF_CHECK_INT(orc_, AFF_OK);        \
        if (orc_ != AFF_OK) {               \
            aff_test_store_close(ts);       \
            return;                         \
        }                                   \
    } while (0)

/* ---- row builders -------------------------------------------------------------------- */

static inline int64_t add_program(aff_store *st, const char *name, const char *token, const char *plan)
{
    aff_program_row *p = calloc(1, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->kind, sizeof(p->kind), "affiliate");
    snprintf(p->currency, sizeof(p->currency), "EUR");
    snprintf(p->destination_url, sizeof(p->destination_url), "https://shop.example/landing");
    snprintf(p->allowed_domains, sizeof(p->allowed_domains), "shop.example,*.shop.example");
    p->cookie_days = 45;
    snprintf(p->attribution, sizeof(p->attribution), "first_click");
    snprintf(p->click_id_param, sizeof(p->click_id_param), "cid");
    p->commission_version = 1;
    p->hold_days = 14;
    p->min_payout_minor = 5000;
    snprintf(p->postback_token, sizeof(p->postback_token), "%s", token);
    p->created_ms = T0 + 1;
    int64_t id = 0;
    int rc = aff_store_program_insert(st, p);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc == 0) {
        AFF_CHECK(p->id > 0);
        AFF_CHECK_INT(aff_store_plan_insert(st, p->id, 1, plan, T0 + 1), AFF_OK);
        id = p->id;
    }
    free(p);
    return id;
}

static inline int64_t add_affiliate(aff_store *st, const char *name, const char *status, int64_t parent)
{
    aff_affiliate_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.email, sizeof(a.email), "%s@example.com", name);
    snprintf(a.status, sizeof(a.status), "%s", status);
    a.parent_id = parent;
    a.created_ms = T0 + 2;
    AFF_CHECK_INT(aff_store_affiliate_insert(st, &a), AFF_OK);
    return a.id;
}

static inline int add_link_rc(aff_store *st, const char *code, int64_t program, int64_t affiliate, int64_t *id)
{
    aff_link_row *l = calloc(1, sizeof(*l));
    snprintf(l->code, sizeof(l->code), "%s", code);
    l->program_id = program;
    l->affiliate_id = affiliate;
    snprintf(l->destination_url, sizeof(l->destination_url), "https://shop.example/p/%s", code);
    for (int i = 0; i < 5; i++)
        snprintf(l->sub[i], sizeof(l->sub[i]), "s%d-%s", i + 1, code);
    l->created_ms = T0 + 3;
    int rc = aff_store_link_insert(st, l);
    if (id != NULL)
        *id = l->id;
    free(l);
    return rc;
}

static inline int add_coupon_rc(aff_store *st, const char *code, int64_t program, int64_t affiliate, int64_t *id)
{
    aff_coupon_row c;
    memset(&c, 0, sizeof(c));
    snprintf(c.code, sizeof(c.code), "%s", code);
    c.program_id = program;
    c.affiliate_id = affiliate;
    c.created_ms = T0 + 4;
    int rc = aff_store_coupon_insert(st, &c);
    if (id != NULL)
        *id = c.id;
    return rc;
}

/* A 32-character click id whose order follows n. */
/* The id of test click n, laid out as real ids are (core/id.h; the tag is not valid):
 * time prefix T0 + n seconds (the store finds a link's clicks by the hour in the prefix),
 * then n in bytes 7..14, which cb_click reads back. */
static inline void click_id_for(int n, char out[AFF_CLICK_ID_LEN + 1])
{
    unsigned char raw[20] = {0};
    uint64_t ms = (uint64_t)(T0 + (int64_t)n * 1000);
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)(ms >> (8 * (5 - i)));
    for (int i = 0; i < 8; i++)
        raw[7 + i] = (unsigned char)((uint64_t)n >> (8 * (7 - i)));
    aff_base32_encode(raw, sizeof(raw), out);
    out[AFF_CLICK_ID_LEN] = '\0';
}

static inline int click_number(const char *id)
{
    unsigned char raw[20];
    uint64_t n = 0;
    if (aff_base32_decode(id, strlen(id), raw, sizeof(raw)) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        n = (n << 8) | raw[7 + i];
    return (int)n;
}

static inline int add_click(aff_store *st, int n, int64_t ts, int64_t program, int64_t affiliate, int64_t link,
                            unsigned flags)
{
    aff_click_row *c = calloc(1, sizeof(*c));
    click_id_for(n, c->click_id);
    c->ts_ms = ts;
    c->program_id = program;
    c->affiliate_id = affiliate;
    c->link_id = link;
    snprintf(c->ip, sizeof(c->ip), "198.51.100.%d", n % 250);
    snprintf(c->user_agent, sizeof(c->user_agent), "agent/%d", n);
    snprintf(c->referer, sizeof(c->referer), "https://ref.example/%d", n);
    for (int i = 0; i < 5; i++)
        snprintf(c->sub[i], sizeof(c->sub[i]), "sub%d", i + 1);
    snprintf(c->source_id, sizeof(c->source_id), "src%d", n);
    c->flags = flags;
    c->reason = n % 2 ? 0 : 100 + n;
    c->asn = (uint32_t)(n * 1000);
    snprintf(c->country, sizeof(c->country), "%c%c", 'A' + n % 26, 'Z' - n % 26);
    int rc = aff_store_click_insert(st, c);
    free(c);
    return rc;
}

/* add_click, and count the click in the rollups as the writer does for every click (the
 * store lists a link's or an affiliate's clicks by the hours the rollups name). */
static inline int add_counted_click(aff_store *st, int n, int64_t ts, int64_t program, int64_t affiliate, int64_t link,
                                    unsigned flags)
{
    aff_rollup_delta d = {.clicks = 1, .unique_clicks = (flags & AFF_CLICK_UNIQUE) ? 1 : 0};
    int rc = add_click(st, n, ts, program, affiliate, link, flags);
    return rc != 0 ? rc : aff_store_rollup_add(st, ts / 3600000LL, program, affiliate, link, &d);
}

/* A conversion created at created_ms; *id (if not NULL) gets its id. */
static inline int add_conversion_at_rc(aff_store *st, int64_t program, const char *event, const char *order,
                                       int64_t amount, const char *status, int64_t affiliate, int test,
                                       int64_t refunded, int64_t created_ms, int64_t *id)
{
    aff_conversion_row *c = calloc(1, sizeof(*c));
    c->program_id = program;
    snprintf(c->event, sizeof(c->event), "%s", event);
    snprintf(c->order_id, sizeof(c->order_id), "%s", order);
    c->amount_minor = amount;
    snprintf(c->currency, sizeof(c->currency), "EUR");
    snprintf(c->status, sizeof(c->status), "%s", status);
    snprintf(c->method, sizeof(c->method), "coupon");
    c->affiliate_id = affiliate;
    c->link_id = 0;
    c->coupon_id = 9;
    snprintf(c->coupon, sizeof(c->coupon), "SAVE10");
    snprintf(c->customer_id, sizeof(c->customer_id), "cust-%s", order);
    snprintf(c->email_hash, sizeof(c->email_hash), "%064d", 7);
    c->test = test;
    c->refunded_minor = refunded;
    snprintf(c->items_json, sizeof(c->items_json), "[{\"sku\":\"A\",\"qty\":1}]");
    c->created_ms = created_ms;
    int rc = aff_store_conversion_insert(st, c);
    if (id != NULL)
        *id = c->id;
    free(c);
    return rc;
}

static inline int add_conversion_rc(aff_store *st, int64_t program, const char *event, const char *order,
                                    int64_t amount, const char *status, int64_t affiliate, int test, int64_t refunded,
                                    int64_t *id)
{
    return add_conversion_at_rc(st, program, event, order, amount, status, affiliate, test, refunded, T0 + 5, id);
}

/* A ledger line of the "commission" share whose gross is gross. */
static inline int64_t add_line(aff_store *st, int64_t conv, int64_t program, int64_t affiliate, int64_t amount,
                               int64_t gross, const char *kind, const char *status)
{
    aff_ledger_row l;
    memset(&l, 0, sizeof(l));
    l.conversion_id = conv;
    l.program_id = program;
    l.affiliate_id = affiliate;
    l.amount_minor = amount;
    snprintf(l.currency, sizeof(l.currency), "EUR");
    snprintf(l.kind, sizeof(l.kind), "%s", kind);
    snprintf(l.rule, sizeof(l.rule), "sale:percent");
    l.plan_version = 3;
    snprintf(l.status, sizeof(l.status), "%s", status);
    l.payout_id = 0;
    l.gross_minor = gross;
    l.created_ms = T0 + 6;
    AFF_CHECK_INT(aff_store_ledger_insert(st, &l), AFF_OK);
    return l.id;
}

static inline int64_t add_ledger(aff_store *st, int64_t conv, int64_t program, int64_t affiliate, int64_t amount,
                                 const char *kind, const char *status)
{
    return add_line(st, conv, program, affiliate, amount, amount, kind, status);
}

/* Record earned as the conversion's gross commission (what the engine would have). */
static inline void set_earned(aff_store *st, int64_t conv, int64_t earned)
{
    aff_conversion_row *c = malloc(sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(st, conv, c), AFF_OK);
    c->earned_minor = earned;
    AFF_CHECK_INT(aff_store_conversion_set_state(st, c), AFF_OK);
    free(c);
}

/* ---- list collectors: record the ids (or click numbers) seen ---------------------------- */

typedef struct ids {
    int n;
    int64_t v[64];
    int stop_after; /* >0: return 1 after this many */
} ids;

static inline int push_id(ids *s, int64_t v)
{
    if (s->n < 64)
        s->v[s->n++] = v;
    return s->stop_after > 0 && s->n >= s->stop_after ? 1 : 0;
}

static inline int cb_program(void *ud, const aff_program_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_affiliate(void *ud, const aff_affiliate_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_link(void *ud, const aff_link_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_coupon(void *ud, const aff_coupon_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_conversion(void *ud, const aff_conversion_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_ledger(void *ud, const aff_ledger_row *r)
{
    return push_id(ud, r->id);
}
static inline int cb_click(void *ud, const aff_click_row *r)
{
    return push_id(ud, click_number(r->click_id));
}
static inline int cb_abort(void *ud, const aff_affiliate_row *r)
{
    (void)r;
    ((ids *)ud)->n++;
    return AFF_EIO;
}

static inline void expect_ids(const char *file, int line, const ids *got, int n, const int64_t *want)
{
    int ok = got->n == n;
    for (int i = 0; ok && i < n; i++)
        ok = got->v[i] == want[i];
    if (ok)
        return;
    char g[512] = "", w[512] = "";
    size_t gl = 0, wl = 0;
    for (int i = 0; i < got->n && gl < 400; i++)
        gl += (size_t)snprintf(g + gl, sizeof(g) - gl, "%lld ", (long long)got->v[i]);
    for (int i = 0; i < n && wl < 400; i++)
        wl += (size_t)snprintf(w + wl, sizeof(w) - wl, "%lld ", (long long)want[i]);
    aff_test_fail(file, line, "ids [%s], want [%s]", g, w);
}
#define EXPECT_IDS(got, ...)                                                                 \
    do {                                                                                     \
        const int64_t want_[] = {__VA_ARGS__};                                               \
        expect_ids(__FILE__, __LINE__, got, (int)(sizeof(want_) / sizeof(want_[0])), want_); \
    } while (0)
#define EXPECT_NO_IDS(got) AFF_CHECK_INT((got)->n, 0)

static inline aff_list_query q_page(int64_t after, int limit)
{
    aff_list_query q;
    memset(&q, 0, sizeof(q));
    q.after = after;
    q.limit = limit;
    return q;
}

#endif
