/*
 * track_fixture.h - an aff_ctx built by hand for unit tests of the writer-side track/
 * modules (catalog, snapshot, click, conversion): a store in a mkdtemp directory,
 * default config, a click-id key with a fixed secret, and the snapshot rebuilt after
 * every catalog change (catalog functions read ctx->snap for their references).
 * Header-only (static inline); each test file gets its own copy.
 */
#ifndef AFF_TEST_TRACK_FIXTURE_H
#define AFF_TEST_TRACK_FIXTURE_H

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/id.h"
#include "track/catalog.h"
#include "track/click.h"
#include "track/pool.h"
#include "track/snapshot.h"
#include "../store/store_fixture.h"
#include "../test.h"

#define FX_T0 1714564800000LL /* 2024-05-01T12:00:00Z */
#define FX_HOUR 3600000LL
#define FX_DAY 86400000LL

typedef struct fx {
    aff_test_store ts;
    aff_config cfg;
    aff_click_id_key key;
    aff_snapshot *snap;
    aff_ctx ctx;
} fx;

/* Rebuild the snapshot from the store and hand it to ctx. Returns the build's rc. */
static inline int fx_rebuild(fx *f)
{
    aff_snapshot *s = NULL;
    int rc = aff_snapshot_build(f->ts.st, &s);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc != 0)
        return rc;
    aff_snapshot_free(f->snap);
    f->snap = s;
    f->ctx.snap = s;
    return 0;
}

/* Returns 0 when the fixture is usable. */
static inline int fx_open(fx *f)
{
    memset(f, 0, sizeof(*f));
    aff_clock_set_fake(FX_T0);
    int rc = aff_test_store_open(&f->ts);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc != 0)
        return rc;
    aff_config_defaults(&f->cfg);
    for (size_t i = 0; i < sizeof(f->key.secret); i++)
        f->key.secret[i] = (unsigned char)(0x30 + i);
    f->key.node_id = 7;
    f->ctx.st = f->ts.st;
    f->ctx.cfg = &f->cfg;
    f->ctx.key = &f->key;
    return fx_rebuild(f);
}

static inline void fx_close(fx *f)
{
    aff_snapshot_free(f->snap);
    f->snap = NULL;
    aff_test_store_close(&f->ts);
    aff_clock_set_fake(0);
}

/* Create a program (plan_json must be canonical) and rebuild the snapshot. 0 on failure. */
static inline int64_t fx_program(fx *f, const char *name, const char *currency, const char *attribution,
                                 int cookie_days, const char *plan_json)
{
    aff_program_row *p = calloc(1, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->kind, sizeof(p->kind), "affiliate");
    snprintf(p->currency, sizeof(p->currency), "%s", currency);
    snprintf(p->destination_url, sizeof(p->destination_url), "https://shop.example/");
    snprintf(p->allowed_domains, sizeof(p->allowed_domains), "shop.example");
    p->cookie_days = cookie_days;
    snprintf(p->attribution, sizeof(p->attribution), "%s", attribution);
    snprintf(p->click_id_param, sizeof(p->click_id_param), "click_id");
    snprintf(p->plan_json, sizeof(p->plan_json), "%s", plan_json);
    p->hold_days = 30;
    aff_errinfo err = {0};
    f->ctx.catalog_changed = 0;
    int rc = aff_catalog_program_create(&f->ctx, p, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    AFF_CHECK_INT(f->ctx.catalog_changed, 1);
    int64_t id = rc == 0 ? p->id : 0;
    free(p);
    if (id != 0 && fx_rebuild(f) != 0)
        id = 0;
    return id;
}

static inline int64_t fx_affiliate(fx *f, const char *name, int64_t parent)
{
    aff_affiliate_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.email, sizeof(a.email), "%s@example.com", name);
    snprintf(a.status, sizeof(a.status), "approved");
    a.parent_id = parent;
    char key[AFF_API_KEY_LEN];
    aff_errinfo err = {0};
    int rc = aff_catalog_affiliate_create(&f->ctx, &a, key, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc != 0 || fx_rebuild(f) != 0)
        return 0;
    return a.id;
}

static inline int64_t fx_link(fx *f, const char *code, int64_t program, int64_t affiliate)
{
    aff_link_row *l = calloc(1, sizeof(*l));
    snprintf(l->code, sizeof(l->code), "%s", code);
    l->program_id = program;
    l->affiliate_id = affiliate;
    aff_errinfo err = {0};
    int rc = aff_catalog_link_create(&f->ctx, l, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    int64_t id = rc == 0 ? l->id : 0;
    free(l);
    if (id != 0 && fx_rebuild(f) != 0)
        id = 0;
    return id;
}

static inline int64_t fx_coupon(fx *f, const char *code, int64_t program, int64_t affiliate)
{
    aff_coupon_row c;
    memset(&c, 0, sizeof(c));
    snprintf(c.code, sizeof(c.code), "%s", code);
    c.program_id = program;
    c.affiliate_id = affiliate;
    aff_errinfo err = {0};
    int rc = aff_catalog_coupon_create(&f->ctx, &c, &err);
    AFF_CHECK_INT(rc, AFF_OK);
    if (rc != 0 || fx_rebuild(f) != 0)
        return 0;
    return c.id;
}

/* Record a click on a link at ts (through aff_click_record, so it is rolled up) and
 * write its id to click_id. Returns the record's rc. */
static inline int fx_click(fx *f, int64_t program, int64_t affiliate, int64_t link, int64_t ts, const char *ip,
                           char click_id[AFF_CLICK_ID_LEN + 1])
{
    aff_click_row *c = calloc(1, sizeof(*c));
    int rc = aff_click_id_new(&f->key, ts, c->click_id);
    AFF_CHECK_INT(rc, AFF_OK);
    c->ts_ms = ts;
    c->program_id = program;
    c->affiliate_id = affiliate;
    c->link_id = link;
    snprintf(c->ip, sizeof(c->ip), "%s", ip);
    snprintf(c->user_agent, sizeof(c->user_agent), "Mozilla/5.0 (unit test)");
    if (rc == 0)
        rc = aff_click_record(&f->ctx, c, aff_click_fingerprint(f->ctx.key, c->ip, c->user_agent));
    AFF_CHECK_INT(rc, AFF_OK);
    memcpy(click_id, c->click_id, AFF_CLICK_ID_LEN + 1);
    free(c);
    return rc;
}

#endif
