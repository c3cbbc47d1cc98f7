/* test_catalog.c - unit tests for src/track/catalog.c: generated tokens, codes and keys,
 * plan versions, referential checks (program, affiliate, parent chains), deep-link
 * destinations against allowed_domains, duplicate codes, and catalog_changed. */
#include "core/crypto.h"
#include "track_fixture.h"

#define OPEN_FX_OR_RETURN(f)   \
    do {                       \
        if (fx_open(f) != 0) { \
            fx_close(f);       \
            return;            \
        }                      \
    } while (0)

static int is_base32(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    return strspn(s, alphabet) == strlen(s);
}

AFF_TEST(catalog_program_create)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{\"sale\":{\"percent\":\"10\"}}");
    AFF_CHECK(p > 0);
    aff_program_row *row = calloc(1, sizeof(*row));
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, row), AFF_OK);
    AFF_CHECK_INT(row->commission_version, 1);
    AFF_CHECK_STR(row->plan_json, "{\"sale\":{\"percent\":\"10\"}}");
    AFF_CHECK_INT(row->created_ms, FX_T0); /* the (fake) clock */
    AFF_CHECK(strncmp(row->postback_token, "pt_", 3) == 0);
    AFF_CHECK_INT(strlen(row->postback_token), 3 + 32); /* 20 random bytes in base32 */
    AFF_CHECK(is_base32(row->postback_token + 3));
    /* tokens differ between programs */
    int64_t p2 = fx_program(&f, "Shop 2", "USD", "last_click", 30, "{}");
    aff_program_row *row2 = calloc(1, sizeof(*row2));
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p2, row2), AFF_OK);
    AFF_CHECK(strcmp(row->postback_token, row2->postback_token) != 0);
    free(row2);
    free(row);
    fx_close(&f);
}

AFF_TEST(catalog_program_update_versions_plan)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{\"sale\":{\"percent\":\"10\"}}");
    aff_program_row *prev = calloc(1, sizeof(*prev)), *next = calloc(1, sizeof(*next));
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, prev), AFF_OK);
    aff_errinfo err = {0};

    /* same plan: same version; currency and token cannot change */
    *next = *prev;
    snprintf(next->name, sizeof(next->name), "Renamed");
    snprintf(next->currency, sizeof(next->currency), "EUR");
    snprintf(next->postback_token, sizeof(next->postback_token), "pt_forged");
    f.ctx.catalog_changed = 0;
    AFF_CHECK_INT(aff_catalog_program_update(&f.ctx, prev, next, &err), AFF_OK);
    AFF_CHECK_INT(f.ctx.catalog_changed, 1);
    AFF_CHECK_INT(next->commission_version, 1);
    AFF_CHECK_STR(next->currency, "USD");
    AFF_CHECK_STR(next->postback_token, prev->postback_token);
    aff_program_row *got = calloc(1, sizeof(*got));
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, got), AFF_OK);
    AFF_CHECK_STR(got->name, "Renamed");
    AFF_CHECK_INT(got->commission_version, 1);

    /* a new plan: version 2, then 3 */
    *prev = *got;
    *next = *got;
    snprintf(next->plan_json, sizeof(next->plan_json), "{\"sale\":{\"percent\":\"15\"}}");
    AFF_CHECK_INT(aff_catalog_program_update(&f.ctx, prev, next, &err), AFF_OK);
    AFF_CHECK_INT(next->commission_version, 2);
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, got), AFF_OK);
    AFF_CHECK_INT(got->commission_version, 2);
    AFF_CHECK_STR(got->plan_json, "{\"sale\":{\"percent\":\"15\"}}");
    *prev = *got;
    *next = *got;
    snprintf(next->plan_json, sizeof(next->plan_json), "{}");
    AFF_CHECK_INT(aff_catalog_program_update(&f.ctx, prev, next, &err), AFF_OK);
    AFF_CHECK_INT(aff_store_program_get(f.ts.st, p, got), AFF_OK);
    AFF_CHECK_INT(got->commission_version, 3);
    AFF_CHECK_STR(got->plan_json, "{}");
    free(got);
    free(prev);
    free(next);
    fx_close(&f);
}

AFF_TEST(catalog_affiliate_create_and_key)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    aff_affiliate_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "ann");
    snprintf(a.email, sizeof(a.email), "ann@example.com");
    snprintf(a.status, sizeof(a.status), "approved");
    char key[AFF_API_KEY_LEN];
    memset(key, 0, sizeof(key));
    aff_errinfo err = {0};
    f.ctx.catalog_changed = 0;
    aff_catalog_change log[4];
    f.ctx.changes = log;
    AFF_CHECK_INT(aff_catalog_affiliate_create(&f.ctx, &a, key, &err), AFF_OK);
    /* two catalog rows changed: the affiliate (by id) and its API key */
    AFF_CHECK_INT(f.ctx.catalog_changed, 2);
    AFF_CHECK_INT(log[0].kind, AFF_CHANGE_AFFILIATE);
    AFF_CHECK_INT(log[0].id, a.id);
    AFF_CHECK_INT(log[1].kind, AFF_CHANGE_KEY);
    AFF_CHECK_INT(log[1].key.affiliate_id, a.id);
    f.ctx.changes = NULL;
    AFF_CHECK(a.id > 0);
    AFF_CHECK_INT(a.created_ms, FX_T0);
    AFF_CHECK(strncmp(key, "ak_", 3) == 0);
    AFF_CHECK_INT(strlen(key), 35);
    AFF_CHECK(is_base32(key + 3));
    /* stored only as SHA-256, found by it */
    fx_rebuild(&f);
    unsigned char h[32];
    aff_sha256(key, strlen(key), h);
    const aff_snap_key *k = aff_snap_key_get(f.snap, h);
    AFF_CHECK(k != NULL && k->admin == 0 && k->affiliate_id == a.id);
    int64_t n = 0;
    AFF_CHECK_INT(aff_store_key_count(f.ts.st, "affiliate", &n), AFF_OK);
    AFF_CHECK_INT(n, 1);
    fx_close(&f);
}

AFF_TEST(catalog_affiliate_parent_checks)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    int64_t a1 = fx_affiliate(&f, "ann", 0);
    int64_t a2 = fx_affiliate(&f, "bob", a1);
    int64_t a3 = fx_affiliate(&f, "cat", a2);
    AFF_CHECK(a1 && a2 && a3);
    aff_affiliate_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.name, sizeof(a.name), "dan");
    snprintf(a.status, sizeof(a.status), "approved");
    a.parent_id = 999;
    char key[AFF_API_KEY_LEN];
    aff_errinfo err = {0};
    f.ctx.catalog_changed = 0;
    AFF_CHECK_INT(aff_catalog_affiliate_create(&f.ctx, &a, key, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "parent_id");
    AFF_CHECK_INT(f.ctx.catalog_changed, 0);

    /* its own parent, or a descendant as parent: refused */
    aff_affiliate_row upd;
    AFF_CHECK_INT(aff_store_affiliate_get(f.ts.st, a1, &upd), AFF_OK);
    upd.parent_id = a1;
    memset(&err, 0, sizeof(err));
    AFF_CHECK_INT(aff_catalog_affiliate_update(&f.ctx, &upd, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "parent_id");
    upd.parent_id = a3; /* a3 -> a2 -> a1: a cycle */
    memset(&err, 0, sizeof(err));
    AFF_CHECK_INT(aff_catalog_affiliate_update(&f.ctx, &upd, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "parent_id");
    AFF_CHECK_INT(f.ctx.catalog_changed, 0);
    /* a sideways move is fine */
    AFF_CHECK_INT(aff_store_affiliate_get(f.ts.st, a3, &upd), AFF_OK);
    upd.parent_id = a1;
    AFF_CHECK_INT(aff_catalog_affiliate_update(&f.ctx, &upd, &err), AFF_OK);
    AFF_CHECK_INT(f.ctx.catalog_changed, 1);
    AFF_CHECK_INT(aff_store_affiliate_get(f.ts.st, a3, &upd), AFF_OK);
    AFF_CHECK_INT(upd.parent_id, a1);
    fx_close(&f);
}

static int link_create(fx *f, const char *code, int64_t program, int64_t affiliate, const char *dest, aff_errinfo *err,
                       int64_t *id, char *code_out)
{
    aff_link_row *l = calloc(1, sizeof(*l));
    snprintf(l->code, sizeof(l->code), "%s", code);
    l->program_id = program;
    l->affiliate_id = affiliate;
    snprintf(l->destination_url, sizeof(l->destination_url), "%s", dest);
    memset(err, 0, sizeof(*err));
    int rc = aff_catalog_link_create(&f->ctx, l, err);
    if (id != NULL)
        *id = l->id;
    if (code_out != NULL)
        snprintf(code_out, AFF_CODE_MAX + 1, "%s", l->code);
    free(l);
    return rc;
}

AFF_TEST(catalog_link_checks)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "ann", 0);
    aff_errinfo err;
    f.ctx.catalog_changed = 0;
    AFF_CHECK_INT(link_create(&f, "x1", p + 10, a, "", &err, NULL, NULL), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "program_id");
    AFF_CHECK_INT(link_create(&f, "x1", p, a + 10, "", &err, NULL, NULL), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "affiliate_id");
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "https://evil.example/", &err, NULL, NULL), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "destination_url");
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "https://sub.shop.example/", &err, NULL, NULL), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "destination_url");
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "not a url", &err, NULL, NULL), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "destination_url");
    AFF_CHECK_INT(f.ctx.catalog_changed, 0);

    int64_t id = 0;
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "https://shop.example/deal?x=1", &err, &id, NULL), AFF_OK);
    AFF_CHECK(id > 0);
    AFF_CHECK_INT(f.ctx.catalog_changed, 1);
    /* taken vanity code: caught with or without a fresh snapshot */
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "", &err, NULL, NULL), AFF_EEXIST);
    AFF_CHECK_STR(err.field, "code");
    fx_rebuild(&f);
    AFF_CHECK_INT(link_create(&f, "x1", p, a, "", &err, NULL, NULL), AFF_EEXIST);
    AFF_CHECK_STR(err.field, "code");

    /* generated codes: 8 base32 characters, all different */
    char codes[20][AFF_CODE_MAX + 1];
    for (int i = 0; i < 20; i++) {
        AFF_CHECK_INT(link_create(&f, "", p, a, "", &err, NULL, codes[i]), AFF_OK);
        AFF_CHECK_INT(strlen(codes[i]), 8);
        AFF_CHECK(is_base32(codes[i]));
        for (int j = 0; j < i; j++)
            AFF_CHECK(strcmp(codes[i], codes[j]) != 0);
    }

    /* update checks the destination too */
    aff_link_row *l = calloc(1, sizeof(*l));
    AFF_CHECK_INT(aff_store_link_get(f.ts.st, id, l), AFF_OK);
    snprintf(l->destination_url, sizeof(l->destination_url), "https://evil.example/");
    memset(&err, 0, sizeof(err));
    AFF_CHECK_INT(aff_catalog_link_update(&f.ctx, l, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "destination_url");
    snprintf(l->destination_url, sizeof(l->destination_url), "https://shop.example/other");
    AFF_CHECK_INT(aff_catalog_link_update(&f.ctx, l, &err), AFF_OK);
    AFF_CHECK_INT(aff_store_link_get(f.ts.st, id, l), AFF_OK);
    AFF_CHECK_STR(l->destination_url, "https://shop.example/other");
    free(l);
    fx_close(&f);
}

static int coupon_create(fx *f, const char *code, int64_t program, int64_t affiliate, aff_errinfo *err)
{
    aff_coupon_row c;
    memset(&c, 0, sizeof(c));
    snprintf(c.code, sizeof(c.code), "%s", code);
    c.program_id = program;
    c.affiliate_id = affiliate;
    memset(err, 0, sizeof(*err));
    return aff_catalog_coupon_create(&f->ctx, &c, err);
}

AFF_TEST(catalog_coupon_checks)
{
    fx f;
    OPEN_FX_OR_RETURN(&f);
    int64_t p = fx_program(&f, "Shop", "USD", "last_click", 30, "{}");
    int64_t q = fx_program(&f, "Other", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "ann", 0);
    aff_errinfo err;
    AFF_CHECK_INT(coupon_create(&f, "SAVE10", p + q, a, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "program_id");
    AFF_CHECK_INT(coupon_create(&f, "SAVE10", p, a + 5, &err), AFF_EINVAL);
    AFF_CHECK_STR(err.field, "affiliate_id");
    AFF_CHECK_INT(coupon_create(&f, "SAVE10", p, a, &err), AFF_OK);
    AFF_CHECK_INT(coupon_create(&f, "SAVE10", p, a, &err), AFF_EEXIST);
    AFF_CHECK_STR(err.field, "code");
    AFF_CHECK_INT(coupon_create(&f, "SAVE10", q, a, &err), AFF_OK);
    fx_close(&f);
}
