/* catalog.c - catalog mutations; see catalog.h. */
#include "track/catalog.h"

#include "track/cap.h"
#include "track/clickcap.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/url.h"

/* Note a changed catalog row (when rc says it changed) for the next snapshot. */
static int changed(aff_ctx *ctx, int rc, int kind, int64_t id, const aff_key_row *key)
{
    if (rc != 0)
        return rc;
    if (ctx->changes != NULL && ctx->catalog_changed < AFF_CATALOG_LOG_MAX) {
        aff_catalog_change *c = &ctx->changes[ctx->catalog_changed];
        c->kind = kind;
        c->id = id;
        if (key != NULL)
            c->key = *key;
    }
    ctx->catalog_changed++;
    return 0;
}

int aff_catalog_new_key(char key[AFF_API_KEY_LEN])
{
    return aff_random_token("ak_", 20, key, AFF_API_KEY_LEN);
}

int aff_catalog_key_add(aff_ctx *ctx, const char *key, const char *role, int64_t affiliate_id)
{
    aff_key_row k = {.affiliate_id = affiliate_id};
    aff_sha256(key, strlen(key), k.hash);
    snprintf(k.role, sizeof(k.role), "%s", role);
    return changed(ctx, aff_store_key_insert(ctx->st, &k), AFF_CHANGE_KEY, 0, &k);
}

/* ---- programs ---------------------------------------------------------------------- */

/* Click caps count on the event loops (track/clickcap.h): their counters start from the
 * clicks stored this day and month, before the new snapshot shows the caps. */
static int seed_click_caps(aff_ctx *ctx, const aff_program_row *row)
{
    aff_caps caps;
    if (aff_caps_parse(row->caps, &caps, NULL, 0, NULL) != 0)
        return 0; /* validated on the way in */
    snprintf(caps.time_zone, sizeof(caps.time_zone), "%s", row->time_zone);
    return aff_clickcap_seed(ctx->st, row->id, &caps, aff_clock_now_ms());
}

int aff_catalog_program_create(aff_ctx *ctx, aff_program_row *row, aff_errinfo *err)
{
    int rc = aff_random_token("pt_", 20, row->postback_token, sizeof(row->postback_token));
    if (rc != 0)
        return rc;
    row->commission_version = 1;
    row->created_ms = aff_clock_now_ms();
    if ((rc = aff_store_program_insert(ctx->st, row)) != 0)
        return rc;
    rc = aff_store_plan_insert(ctx->st, row->id, 1, row->plan_json, row->created_ms);
    return changed(ctx, rc, AFF_CHANGE_PROGRAM, row->id, NULL);
}

int aff_catalog_program_update(aff_ctx *ctx, const aff_program_row *prev, aff_program_row *next, aff_errinfo *err)
{
    int rc;
    next->id = prev->id;
    memcpy(next->currency, prev->currency, sizeof(next->currency));
    memcpy(next->postback_token, prev->postback_token, sizeof(next->postback_token));
    next->created_ms = prev->created_ms;
    next->commission_version = prev->commission_version;
    if (strcmp(prev->plan_json, next->plan_json) != 0) {
        next->commission_version++;
        rc = aff_store_plan_insert(ctx->st, next->id, next->commission_version, next->plan_json, aff_clock_now_ms());
        if (rc != 0)
            return rc;
    }
    if ((strcmp(prev->caps, next->caps) != 0 || strcmp(prev->time_zone, next->time_zone) != 0) &&
        (rc = seed_click_caps(ctx, next)) != 0)
        return rc;
    return changed(ctx, aff_store_program_update(ctx->st, next), AFF_CHANGE_PROGRAM, next->id, NULL);
}

/* ---- affiliates ---------------------------------------------------------------------- */

/* The parent must exist and must not be the affiliate or one of its descendants. */
static int check_parent(aff_ctx *ctx, int64_t self_id, int64_t parent_id, aff_errinfo *err)
{
    int64_t cur = parent_id;
    for (int depth = 0; cur != 0; depth++) {
        if (cur == self_id || depth > 64)
            return aff_fail(err, AFF_EINVAL, "parent_id", "an affiliate cannot be its own ancestor");
        const aff_snap_affiliate *a = aff_snap_affiliate_get(ctx->snap, cur);
        if (a == NULL)
            return aff_fail(err, AFF_EINVAL, "parent_id", "no affiliate %lld", (long long)cur);
        cur = a->parent_id;
    }
    return 0;
}

int aff_catalog_affiliate_create(aff_ctx *ctx, aff_affiliate_row *row, char api_key[AFF_API_KEY_LEN], aff_errinfo *err)
{
    int rc = check_parent(ctx, 0, row->parent_id, err);
    if (rc != 0)
        return rc;
    row->created_ms = aff_clock_now_ms();
    rc = aff_store_affiliate_insert(ctx->st, row); /* sets row->id: call before reading it */
    if ((rc = changed(ctx, rc, AFF_CHANGE_AFFILIATE, row->id, NULL)) != 0)
        return rc;
    if ((rc = aff_catalog_new_key(api_key)) != 0)
        return rc;
    return aff_catalog_key_add(ctx, api_key, "affiliate", row->id);
}

int aff_catalog_affiliate_update(aff_ctx *ctx, aff_affiliate_row *next, aff_errinfo *err)
{
    int rc = check_parent(ctx, next->id, next->parent_id, err);
    return rc != 0 ? rc : changed(ctx, aff_store_affiliate_update(ctx->st, next), AFF_CHANGE_AFFILIATE, next->id, NULL);
}

/* ---- links and coupons ----------------------------------------------------------------- */

static int check_owner(aff_ctx *ctx, int64_t program_id, int64_t affiliate_id, const aff_snap_program **p,
                       aff_errinfo *err)
{
    *p = aff_snap_program_get(ctx->snap, program_id);
    if (*p == NULL)
        return aff_fail(err, AFF_EINVAL, "program_id", "no program %lld", (long long)program_id);
    if (aff_snap_affiliate_get(ctx->snap, affiliate_id) == NULL)
        return aff_fail(err, AFF_EINVAL, "affiliate_id", "no affiliate %lld", (long long)affiliate_id);
    return 0;
}

static int check_destination(const aff_snap_program *p, const char *url, aff_errinfo *err)
{
    aff_url u;
    if (url[0] == '\0')
        return 0;
    if (aff_url_parse(url, strlen(url), &u) != 0)
        return aff_fail(err, AFF_EINVAL, "destination_url", "not an absolute http(s) URL we can redirect to");
    if (!aff_url_host_allowed(u.host, p->allowed_domains))
        return aff_fail(err, AFF_EINVAL, "destination_url", "host %s is not in the program's allowed_domains", u.host);
    return 0;
}

int aff_catalog_link_create(aff_ctx *ctx, aff_link_row *row, aff_errinfo *err)
{
    const aff_snap_program *p;
    int rc = check_owner(ctx, row->program_id, row->affiliate_id, &p, err);
    if (rc == 0)
        rc = check_destination(p, row->destination_url, err);
    if (rc != 0)
        return rc;
    row->created_ms = aff_clock_now_ms();
    int generated = row->code[0] == '\0';
    for (int attempt = 0; attempt < 8; attempt++) {
        if (generated && (rc = aff_random_token("", 5, row->code, sizeof(row->code))) != 0)
            return rc;
        if (aff_snap_link_get(ctx->snap, row->code, strlen(row->code)) != NULL)
            rc = AFF_EEXIST;
        else
            rc = aff_store_link_insert(ctx->st, row);
        if (rc != AFF_EEXIST || !generated)
            break;
    }
    if (rc == AFF_EEXIST)
        return aff_fail(err, AFF_EEXIST, "code", "link code \"%s\" is taken", row->code);
    return changed(ctx, rc, AFF_CHANGE_LINK, row->id, NULL);
}

int aff_catalog_link_update(aff_ctx *ctx, aff_link_row *next, aff_errinfo *err)
{
    const aff_snap_program *p = aff_snap_program_get(ctx->snap, next->program_id);
    int rc = p == NULL ? aff_fail(err, AFF_ENOTFOUND, "program_id", "no such program")
                       : check_destination(p, next->destination_url, err);
    return rc != 0 ? rc : changed(ctx, aff_store_link_update(ctx->st, next), AFF_CHANGE_LINK, next->id, NULL);
}

int aff_catalog_coupon_create(aff_ctx *ctx, aff_coupon_row *row, aff_errinfo *err)
{
    const aff_snap_program *p;
    int rc = check_owner(ctx, row->program_id, row->affiliate_id, &p, err);
    if (rc != 0)
        return rc;
    row->created_ms = aff_clock_now_ms();
    rc = aff_store_coupon_insert(ctx->st, row);
    if (rc == AFF_EEXIST)
        return aff_fail(err, rc, "code", "coupon code \"%s\" exists in this program", row->code);
    return changed(ctx, rc, AFF_CHANGE_COUPON, row->id, NULL);
}

int aff_catalog_coupon_update(aff_ctx *ctx, aff_coupon_row *next, aff_errinfo *err)
{
    const aff_snap_program *p;
    int rc = check_owner(ctx, next->program_id, next->affiliate_id, &p, err);
    return rc != 0 ? rc : changed(ctx, aff_store_coupon_update(ctx->st, next), AFF_CHANGE_COUPON, next->id, NULL);
}
