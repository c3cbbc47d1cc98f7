/* test_snapshot.c - unit tests for src/track/snapshot.c: building from a store, every
 * lookup (by id, token, code, program+coupon, key hash), immutability across rebuilds,
 * and publication through hazard slots. */
#include "core/crypto.h"
#include "track/snapshot.h"
#include "track_fixture.h"

AFF_TEST(snapshot_empty_store)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    AFF_CHECK_INT(f.snap->nprograms, 0);
    AFF_CHECK_INT(f.snap->nlinks, 0);
    AFF_CHECK_INT(f.snap->ncoupons, 0);
    AFF_CHECK_INT(f.snap->naffiliates, 0);
    AFF_CHECK_INT(f.snap->nkeys, 0);
    AFF_CHECK(aff_snap_program_get(f.snap, 1) == NULL);
    AFF_CHECK(aff_snap_link_get(f.snap, "x", 1) == NULL);
    AFF_CHECK(aff_snap_coupon_get(f.snap, 1, "X") == NULL);
    AFF_CHECK(aff_snap_affiliate_get(f.snap, 1) == NULL);
    AFF_CHECK(aff_snap_program_by_token(f.snap, "pt_x", 4) == NULL);
    fx_close(&f);
}

AFF_TEST(snapshot_program_fields)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    int64_t p1 = fx_program(&f, "Shop", "USD", "last_click", 30, "{\"sale\":{\"percent\":\"12.5\"}}");
    int64_t p2 = fx_program(&f, "Yen", "JPY", "first_click", 7, "{\"lead\":{\"flat_minor\":300}}");
    int64_t p3 = fx_program(&f, "Dinar", "KWD", "last_click", 1, "{}");
    AFF_CHECK_INT(f.snap->nprograms, 3);
    const aff_snap_program *a = aff_snap_program_get(f.snap, p1);
    const aff_snap_program *b = aff_snap_program_get(f.snap, p2);
    const aff_snap_program *c = aff_snap_program_get(f.snap, p3);
    AFF_CHECK(a != NULL && b != NULL && c != NULL);
    if (a == NULL || b == NULL || c == NULL) {
        fx_close(&f);
        return;
    }
    AFF_CHECK_INT(a->id, p1);
    AFF_CHECK_STR(a->name, "Shop");
    AFF_CHECK_STR(a->currency, "USD");
    AFF_CHECK_INT(a->exponent, 2);
    AFF_CHECK_INT(b->exponent, 0);
    AFF_CHECK_INT(c->exponent, 3);
    AFF_CHECK_INT(a->cookie_days, 30);
    AFF_CHECK_INT(b->cookie_days, 7);
    AFF_CHECK_INT(a->first_click, 0);
    AFF_CHECK_INT(b->first_click, 1);
    AFF_CHECK_INT(a->plan_version, 1);
    AFF_CHECK_STR(a->destination_url, "https://shop.example/");
    AFF_CHECK_STR(a->allowed_domains, "shop.example");
    AFF_CHECK_STR(a->click_id_param, "click_id");
    AFF_CHECK_INT(a->plan.nevents, 1);
    const aff_plan_event *r = aff_plan_event_for(&a->plan, "sale");
    AFF_CHECK(r != NULL && r->rule.kind == AFF_RULE_PERCENT && r->rule.value == 12500000);
    r = aff_plan_event_for(&b->plan, "lead");
    AFF_CHECK(r != NULL && r->rule.kind == AFF_RULE_FLAT && r->rule.value == 300);
    AFF_CHECK_INT(c->plan.nevents, 0);
    /* by postback token, which is exactly the token (no prefix match) */
    AFF_CHECK(strncmp(a->postback_token, "pt_", 3) == 0);
    AFF_CHECK(aff_snap_program_by_token(f.snap, a->postback_token, strlen(a->postback_token)) == a);
    AFF_CHECK(aff_snap_program_by_token(f.snap, b->postback_token, strlen(b->postback_token)) == b);
    AFF_CHECK(aff_snap_program_by_token(f.snap, a->postback_token, strlen(a->postback_token) - 1) == NULL);
    AFF_CHECK(aff_snap_program_get(f.snap, p3 + 1) == NULL);
    fx_close(&f);
}

AFF_TEST(snapshot_links_coupons_affiliates)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{}");
    int64_t q = fx_program(&f, "Other", "USD", "last_click", 30, "{}");
    int64_t a1 = fx_affiliate(&f, "ann", 0);
    int64_t a2 = fx_affiliate(&f, "bob", a1);
    /* statuses other than approved, straight into the store */
    aff_affiliate_row row;
    memset(&row, 0, sizeof(row));
    static const char *const st[] = {"pending", "suspended", "rejected", "weird"};
    int64_t ids[4];
    for (int i = 0; i < 4; i++) {
        snprintf(row.name, sizeof(row.name), "x%d", i);
        snprintf(row.status, sizeof(row.status), "%s", st[i]);
        row.id = 0;
        AFF_CHECK_INT(aff_store_affiliate_insert(f.ts.st, &row), AFF_OK);
        ids[i] = row.id;
    }
    aff_link_row *l = calloc(1, sizeof(*l));
    snprintf(l->code, sizeof(l->code), "deep");
    l->program_id = p;
    l->affiliate_id = a2;
    snprintf(l->destination_url, sizeof(l->destination_url), "https://shop.example/item/9");
    snprintf(l->sub[1], sizeof(l->sub[1]), "two");
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_link_create(&f.ctx, l, &err), AFF_OK);
    int64_t deep = l->id;
    free(l);
    int64_t plain = fx_link(&f, "plain", p, a1);
    int64_t cp = fx_coupon(&f, "SAVE10", p, a1);
    int64_t cq = fx_coupon(&f, "SAVE10", q, a2);
    fx_rebuild(&f);

    AFF_CHECK_INT(f.snap->naffiliates, 6);
    const aff_snap_affiliate *sa = aff_snap_affiliate_get(f.snap, a2);
    AFF_CHECK(sa != NULL && sa->parent_id == a1 && sa->status == AFF_AFF_APPROVED);
    static const int want_status[] = {AFF_AFF_PENDING, AFF_AFF_SUSPENDED, AFF_AFF_REJECTED, AFF_AFF_SUSPENDED};
    for (int i = 0; i < 4; i++) {
        sa = aff_snap_affiliate_get(f.snap, ids[i]);
        AFF_CHECK(sa != NULL && sa->status == want_status[i]);
    }

    const aff_snap_link *sl = aff_snap_link_get(f.snap, "deep", 4);
    AFF_CHECK(sl != NULL);
    if (sl != NULL) {
        AFF_CHECK_INT(sl->id, deep);
        AFF_CHECK_INT(sl->program_id, p);
        AFF_CHECK_INT(sl->affiliate_id, a2);
        AFF_CHECK_STR(sl->destination_url, "https://shop.example/item/9");
        AFF_CHECK_STR(sl->sub[0], "");
        AFF_CHECK_STR(sl->sub[1], "two");
        AFF_CHECK_STR(sl->sub[4], "");
    }
    sl = aff_snap_link_get(f.snap, "plain", 5);
    AFF_CHECK(sl != NULL && sl->id == plain && sl->destination_url == NULL);
    /* only len bytes of the code count; codes are case-sensitive */
    AFF_CHECK(aff_snap_link_get(f.snap, "plainly", 5) == sl);
    AFF_CHECK(aff_snap_link_get(f.snap, "plai", 4) == NULL);
    AFF_CHECK(aff_snap_link_get(f.snap, "Plain", 5) == NULL);

    const aff_snap_coupon *c = aff_snap_coupon_get(f.snap, p, "SAVE10");
    AFF_CHECK(c != NULL && c->id == cp && c->affiliate_id == a1);
    c = aff_snap_coupon_get(f.snap, q, "SAVE10");
    AFF_CHECK(c != NULL && c->id == cq && c->affiliate_id == a2);
    AFF_CHECK(aff_snap_coupon_get(f.snap, p, "save10") == NULL);
    AFF_CHECK(aff_snap_coupon_get(f.snap, q + 1, "SAVE10") == NULL);
    fx_close(&f);
}

AFF_TEST(snapshot_keys)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    int64_t a1 = fx_affiliate(&f, "ann", 0);
    AFF_CHECK_INT(aff_catalog_key_add(&f.ctx, "ak_adminsecret", "admin", 0), AFF_OK);
    fx_rebuild(&f);
    unsigned char h[32];
    aff_sha256("ak_adminsecret", strlen("ak_adminsecret"), h);
    const aff_snap_key *k = aff_snap_key_get(f.snap, h);
    AFF_CHECK(k != NULL && k->admin == 1 && k->affiliate_id == 0);
    h[0] ^= 1;
    AFF_CHECK(aff_snap_key_get(f.snap, h) == NULL);
    AFF_CHECK_INT(f.snap->nkeys, 2); /* the affiliate's own key and the admin key */
    (void)a1;
    fx_close(&f);
}

AFF_TEST(snapshot_many_links)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    aff_link_row *l = calloc(1, sizeof(*l));
    for (int i = 0; i < 500; i++) {
        memset(l, 0, sizeof(*l));
        snprintf(l->code, sizeof(l->code), "code-%d", i);
        l->program_id = 1 + i % 3;
        l->affiliate_id = 1 + i % 7;
        AFF_CHECK_INT(aff_store_link_insert(f.ts.st, l), AFF_OK);
    }
    free(l);
    fx_rebuild(&f);
    AFF_CHECK_INT(f.snap->nlinks, 500);
    int missing = 0;
    for (int i = 0; i < 500; i++) {
        char code[32];
        int n = snprintf(code, sizeof(code), "code-%d", i);
        const aff_snap_link *sl = aff_snap_link_get(f.snap, code, (size_t)n);
        if (sl == NULL || sl->id != i + 1 || sl->program_id != 1 + i % 3)
            missing++;
    }
    AFF_CHECK_INT(missing, 0);
    AFF_CHECK(aff_snap_link_get(f.snap, "code-500", 8) == NULL);
    fx_close(&f);
}

AFF_TEST(snapshot_is_immutable_across_rebuilds)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{\"sale\":{\"percent\":\"10\"}}");
    aff_snapshot *old = NULL;
    AFF_CHECK_INT(aff_snapshot_build(f.ts.st, &old), AFF_OK);
    aff_program_row *prev = calloc(1, sizeof(*prev)), *next = calloc(1, sizeof(*next));
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, prev), AFF_OK);
    *next = *prev;
    snprintf(next->name, sizeof(next->name), "Renamed");
    snprintf(next->plan_json, sizeof(next->plan_json), "{\"sale\":{\"percent\":\"20\"}}");
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_program_update(&f.ctx, prev, next, &err), AFF_OK);
    fx_rebuild(&f);
    const aff_snap_program *now = aff_snap_program_get(f.snap, p), *then = aff_snap_program_get(old, p);
    AFF_CHECK(now != NULL && then != NULL);
    if (now != NULL && then != NULL) {
        AFF_CHECK_STR(now->name, "Renamed");
        AFF_CHECK_INT(now->plan_version, 2);
        AFF_CHECK_INT(aff_plan_event_for(&now->plan, "sale")->rule.value, 20000000);
        AFF_CHECK_STR(then->name, "Shop");
        AFF_CHECK_INT(then->plan_version, 1);
        AFF_CHECK_INT(aff_plan_event_for(&then->plan, "sale")->rule.value, 10000000);
    }
    aff_snapshot_free(old);
    free(prev);
    free(next);
    fx_close(&f);
}

AFF_TEST(snapshot_publish_acquire_release)
{
    fx f;
    if (fx_open(&f) != 0) {
        fx_close(&f);
        return;
    }
    aff_snapshot *s1 = NULL, *s2 = NULL;
    AFF_CHECK_INT(aff_snapshot_build(f.ts.st, &s1), AFF_OK);
    AFF_CHECK_INT(aff_snapshot_build(f.ts.st, &s2), AFF_OK);
    AFF_CHECK(aff_snapshot_current() == NULL);
    aff_snapshot_publish(s1);
    AFF_CHECK(aff_snapshot_current() == s1);
    int slot = aff_snapshot_slot();
    int slot2 = aff_snapshot_slot();
    AFF_CHECK(slot >= 0 && slot2 == slot + 1);
    const aff_snapshot *held = aff_snapshot_acquire(slot);
    AFF_CHECK(held == s1);
    /* A publish while s1 is held retires it but must not free it: it stays readable. */
    aff_snapshot_publish(s2);
    AFF_CHECK(aff_snapshot_current() == s2);
    AFF_CHECK_INT(held->nprograms, 0);
    AFF_CHECK(aff_snap_program_get(held, 1) == NULL);
    AFF_CHECK(aff_snapshot_acquire(slot2) == s2);
    aff_snapshot_release(slot2);
    aff_snapshot_release(slot);
    aff_snapshot_reclaim();
    aff_snapshot_shutdown();
    AFF_CHECK(aff_snapshot_current() == NULL);
    fx_close(&f);
}
