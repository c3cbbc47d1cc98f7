/* test_snapshot_overlay.c - aff_snapshot_update: a batch's catalog changes become an
 * overlay over the full snapshot, lookups see the newest state of every row, and big
 * overlays give way to a full rebuild. */
#include <stdlib.h>

#include "track/catalog.h"
#include "track_fixture.h"

/* Create a link through the catalog with f's change log; the snapshot is not rebuilt. */
static int64_t logged_link(fx *f, const char *code, int64_t program, int64_t affiliate)
{
    aff_link_row *l = calloc(1, sizeof(*l));
    snprintf(l->code, sizeof(l->code), "%s", code);
    l->program_id = program;
    l->affiliate_id = affiliate;
    aff_errinfo err = {0};
    AFF_CHECK_INT(aff_catalog_link_create(&f->ctx, l, &err), AFF_OK);
    int64_t id = l->id;
    free(l);
    return id;
}

AFF_TEST(snapshot_overlay_sees_changes_over_its_base)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t p = fx_program(&f, "P", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "A", 0);
    int64_t l1 = fx_link(&f, "base-link", p, a);
    aff_snapshot *full = f.snap; /* built by the fixture: a full snapshot */
    AFF_CHECK(full->base == NULL);
    aff_catalog_change log[AFF_CATALOG_LOG_MAX];
    f.ctx.changes = log;

    /* batch 1: a new link */
    f.ctx.catalog_changed = 0;
    int64_t l2 = logged_link(&f, "overlay-link", p, a);
    aff_snapshot *o1 = NULL;
    AFF_CHECK_INT(aff_snapshot_update(f.ts.st, full, log, (size_t)f.ctx.catalog_changed, &o1), AFF_OK);
    AFF_CHECK(o1->base == full);
    AFF_CHECK_INT(full->refs, 1);
    AFF_CHECK_INT(o1->nlinks, 1); /* only the change lives in the overlay */
    const aff_snap_link *got = aff_snap_link_get(o1, "overlay-link", 12);
    AFF_CHECK(got != NULL && got->id == l2);
    got = aff_snap_link_get(o1, "base-link", 9);
    AFF_CHECK(got != NULL && got->id == l1);
    AFF_CHECK(aff_snap_link_by_id(o1, l2) != NULL);
    AFF_CHECK(aff_snap_link_get(full, "overlay-link", 12) == NULL); /* the base is untouched */

    /* batch 2 on top of o1: suspend the affiliate (an edit of a base row), add a coupon,
     * and change the same row twice */
    f.ctx.catalog_changed = 0;
    aff_affiliate_row ar;
    AFF_CHECK_INT(aff_store_affiliate_get(f.ts.st, a, &ar), AFF_OK);
    snprintf(ar.status, sizeof(ar.status), "suspended");
    aff_errinfo err = {0};
    f.ctx.snap = o1;
    AFF_CHECK_INT(aff_catalog_affiliate_update(&f.ctx, &ar, &err), AFF_OK);
    AFF_CHECK_INT(aff_catalog_affiliate_update(&f.ctx, &ar, &err), AFF_OK);
    aff_coupon_row c = {.program_id = p, .affiliate_id = a};
    snprintf(c.code, sizeof(c.code), "SAVE5");
    AFF_CHECK_INT(aff_catalog_coupon_create(&f.ctx, &c, &err), AFF_OK);
    aff_snapshot *o2 = NULL;
    AFF_CHECK_INT(aff_snapshot_update(f.ts.st, o1, log, (size_t)f.ctx.catalog_changed, &o2), AFF_OK);
    AFF_CHECK(o2->base == full); /* overlays do not chain: the base stays the full one */
    AFF_CHECK_INT(full->refs, 2);
    AFF_CHECK_INT(o2->naffiliates, 1); /* the twice-changed row is held once */
    AFF_CHECK_INT(o2->nlinks, 1);      /* carried over from o1 */
    AFF_CHECK_INT(o2->ncoupons, 1);
    AFF_CHECK_INT(aff_snap_affiliate_get(o2, a)->status, AFF_AFF_SUSPENDED);
    AFF_CHECK_INT(aff_snap_affiliate_get(full, a)->status, AFF_AFF_APPROVED);
    AFF_CHECK(aff_snap_link_get(o2, "overlay-link", 12) != NULL);
    AFF_CHECK(aff_snap_coupon_get(o2, p, "SAVE5") != NULL);
    AFF_CHECK(aff_snap_program_get(o2, p) != NULL);

    aff_snapshot_free(o1);
    AFF_CHECK_INT(full->refs, 1);
    aff_snapshot_free(o2);
    AFF_CHECK_INT(full->refs, 0);
    f.ctx.snap = full;
    f.ctx.changes = NULL;
    fx_close(&f);
}

AFF_TEST(snapshot_overlay_gives_way_to_a_full_build)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t p = fx_program(&f, "P", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "A", 0);
    static aff_catalog_change log[AFF_CATALOG_LOG_MAX];
    f.ctx.changes = log;
    aff_snapshot *cur = f.snap;
    /* AFF_SNAP_OVERLAY_MIN changes in batches of 1000: overlays until it is exceeded */
    int full_builds = 0;
    for (int b = 0; b < 6; b++) {
        f.ctx.catalog_changed = 0;
        for (int i = 0; i < 1000; i++) {
            char code[32];
            snprintf(code, sizeof(code), "bulk-%d-%d", b, i);
            logged_link(&f, code, p, a);
        }
        aff_snapshot *next = NULL;
        AFF_CHECK_INT(aff_snapshot_update(f.ts.st, cur, log, (size_t)f.ctx.catalog_changed, &next), AFF_OK);
        full_builds += next->base == NULL;
        AFF_CHECK(aff_snap_link_get(next, "bulk-0-0", 8) != NULL);
        char last[32];
        int n = snprintf(last, sizeof(last), "bulk-%d-999", b);
        AFF_CHECK(aff_snap_link_get(next, last, (size_t)n) != NULL);
        if (cur->base != NULL)
            aff_snapshot_free(cur); /* a replaced overlay; full snapshots may be the next one's base */
        cur = next;
    }
    /* overlays of 1000..4000 entries, a full build when the fifth batch makes it 5000,
     * then a fresh overlay over that new base */
    AFF_CHECK_INT(full_builds, 1);
    AFF_CHECK(cur->base != NULL && cur->base != f.snap);
    aff_snapshot *rebuilt = cur->base;
    aff_snapshot_free(cur);
    AFF_CHECK_INT(rebuilt->refs, 0);
    aff_snapshot_free(rebuilt);
    f.ctx.changes = NULL;
    fx_close(&f);
}
