/* snapshot.c - catalog snapshots and their hazard-pointer publication; see snapshot.h. */
#include "track/snapshot.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/money.h"

/* ---- building --------------------------------------------------------------------- */

/* Copies into the arena; the empty string is shared (most links have no default subs,
 * and 10^6 links would otherwise spend 80 MB on them). */
static const char *dup(aff_snapshot *s, const char *str)
{
    return str[0] == '\0' ? "" : aff_arena_strdup(&s->arena, str);
}

static uint64_t coupon_hash(int64_t program_id, const char *code)
{
    return aff_hash_bytes(code, strlen(code)) ^ aff_hash_u64((uint64_t)program_id);
}

/* put_*: copy an entry (strings into s's arena) and index it. The add_* callbacks turn
 * store rows into entries; overlays also copy entries of the previous overlay. */
static int put_program(aff_snapshot *s, const aff_snap_program *t)
{
    aff_snap_program *p = aff_arena_alloc(&s->arena, sizeof(*p));
    if (p == NULL)
        return AFF_ENOMEM;
    *p = *t;
    p->name = dup(s, t->name);
    p->currency = dup(s, t->currency);
    p->destination_url = dup(s, t->destination_url);
    p->allowed_domains = dup(s, t->allowed_domains);
    p->click_id_param = dup(s, t->click_id_param);
    p->postback_token = dup(s, t->postback_token);
    p->fallback_url = t->fallback_url ? dup(s, t->fallback_url) : NULL;
    if ((t->fallback_url != NULL && p->fallback_url == NULL) || p->name == NULL || p->currency == NULL ||
        p->destination_url == NULL || p->allowed_domains == NULL || p->click_id_param == NULL ||
        p->postback_token == NULL)
        return AFF_ENOMEM;
    s->nprograms++;
    if (aff_map_put(&s->programs, aff_hash_u64((uint64_t)p->id), p) != 0 ||
        aff_map_put(&s->program_tokens, aff_hash_bytes(p->postback_token, strlen(p->postback_token)), p) != 0)
        return AFF_ENOMEM;
    return 0;
}

static int add_program(void *ud, const aff_program_row *r)
{
    aff_snap_program t = {.id = r->id,
                          .name = r->name,
                          .currency = r->currency,
                          .destination_url = r->destination_url,
                          .allowed_domains = r->allowed_domains,
                          .click_id_param = r->click_id_param,
                          .postback_token = r->postback_token,
                          .fallback_url = r->fallback_url[0] ? r->fallback_url : NULL,
                          .cookie_days = r->cookie_days,
                          .hold_days = r->hold_days,
                          .first_click = strcmp(r->attribution, "first_click") == 0,
                          .plan_version = r->commission_version};
    if (aff_currency_exponent(r->currency, &t.exponent) != 0)
        t.exponent = 2;
    if (aff_plan_parse(r->plan_json, &t.plan, NULL, 0, NULL) != 0)
        memset(&t.plan, 0, sizeof(t.plan)); /* stored plans were validated on write */
    if (aff_screen_parse(r->screening, &t.screening, NULL, 0, NULL) != 0)
        aff_screen_defaults(&t.screening); /* so were screening settings */
    if (aff_caps_parse(r->caps, &t.caps, NULL, 0, NULL) != 0)
        memset(&t.caps, 0, sizeof(t.caps)); /* and caps */
    snprintf(t.caps.time_zone, sizeof(t.caps.time_zone), "%s", r->time_zone);
    return put_program(ud, &t);
}

static int put_link(aff_snapshot *s, const aff_snap_link *t)
{
    aff_snap_link *l = aff_arena_alloc(&s->arena, sizeof(*l));
    if (l == NULL || (l->code = dup(s, t->code)) == NULL)
        return AFF_ENOMEM;
    l->id = t->id;
    l->program_id = t->program_id;
    l->affiliate_id = t->affiliate_id;
    l->destination_url = t->destination_url ? dup(s, t->destination_url) : NULL;
    for (int i = 0; i < 5; i++)
        if ((l->sub[i] = dup(s, t->sub[i])) == NULL)
            return AFF_ENOMEM;
    s->nlinks++;
    if (aff_map_put(&s->link_ids, aff_hash_u64((uint64_t)l->id), l) != 0)
        return AFF_ENOMEM;
    return aff_map_put(&s->links, aff_hash_bytes(l->code, strlen(l->code)), l);
}

static int add_link(void *ud, const aff_link_row *r)
{
    aff_snap_link t = {.id = r->id,
                       .program_id = r->program_id,
                       .affiliate_id = r->affiliate_id,
                       .code = r->code,
                       .destination_url = r->destination_url[0] ? r->destination_url : NULL};
    for (int i = 0; i < 5; i++)
        t.sub[i] = r->sub[i];
    return put_link(ud, &t);
}

static int put_coupon(aff_snapshot *s, const aff_snap_coupon *t)
{
    aff_snap_coupon *c = aff_arena_alloc(&s->arena, sizeof(*c));
    if (c == NULL || (c->code = dup(s, t->code)) == NULL)
        return AFF_ENOMEM;
    c->id = t->id;
    c->program_id = t->program_id;
    c->affiliate_id = t->affiliate_id;
    s->ncoupons++;
    return aff_map_put(&s->coupons, coupon_hash(c->program_id, c->code), c);
}

static int add_coupon(void *ud, const aff_coupon_row *r)
{
    aff_snap_coupon t = {.id = r->id, .program_id = r->program_id, .affiliate_id = r->affiliate_id, .code = r->code};
    return put_coupon(ud, &t);
}

static int status_code(const char *status)
{
    static const char *const names[] = {"pending", "approved", "suspended", "rejected"};
    for (int i = 0; i < 4; i++)
        if (strcmp(status, names[i]) == 0)
            return i;
    return AFF_AFF_SUSPENDED;
}

static int put_affiliate(aff_snapshot *s, const aff_snap_affiliate *t)
{
    aff_snap_affiliate *a = aff_arena_alloc(&s->arena, sizeof(*a));
    if (a == NULL)
        return AFF_ENOMEM;
    *a = *t;
    s->naffiliates++;
    return aff_map_put(&s->affiliates, aff_hash_u64((uint64_t)a->id), a);
}

static int add_affiliate(void *ud, const aff_affiliate_row *r)
{
    aff_snap_affiliate t = {.id = r->id, .parent_id = r->parent_id, .status = status_code(r->status)};
    return put_affiliate(ud, &t);
}

static int put_key(aff_snapshot *s, const aff_snap_key *t)
{
    aff_snap_key *k = aff_arena_alloc(&s->arena, sizeof(*k));
    if (k == NULL)
        return AFF_ENOMEM;
    *k = *t;
    s->nkeys++;
    return aff_map_put(&s->keys, aff_hash_bytes(k->hash, sizeof(k->hash)), k);
}

static int add_key(void *ud, const aff_key_row *r)
{
    aff_snap_key t = {.admin = strcmp(r->role, "admin") == 0, .affiliate_id = r->affiliate_id};
    memcpy(t.hash, r->hash, sizeof(t.hash));
    return put_key(ud, &t);
}

static aff_snapshot *snapshot_new(void)
{
    aff_snapshot *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    aff_arena_init(&s->arena, 1 << 16);
    if (aff_map_init(&s->programs, 16) || aff_map_init(&s->program_tokens, 16) || aff_map_init(&s->links, 64) ||
        aff_map_init(&s->link_ids, 64) || aff_map_init(&s->coupons, 16) || aff_map_init(&s->affiliates, 64) ||
        aff_map_init(&s->keys, 64)) {
        aff_snapshot_free(s);
        return NULL;
    }
    return s;
}

int aff_snapshot_build(aff_store *st, aff_snapshot **out)
{
    aff_snapshot *s = snapshot_new();
    int rc;
    if (s == NULL)
        return AFF_ENOMEM;
    aff_list_query all = {0};
    if ((rc = aff_store_program_list(st, &all, add_program, s)) != 0 ||
        (rc = aff_store_link_list(st, &all, add_link, s)) != 0 ||
        (rc = aff_store_coupon_list(st, &all, add_coupon, s)) != 0 ||
        (rc = aff_store_affiliate_list(st, &all, add_affiliate, s)) != 0 ||
        (rc = aff_store_key_list(st, add_key, s)) != 0) {
        aff_snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int eq_program_id(const void *v, const void *key);
static int eq_link_id(const void *v, const void *key);
static int eq_affiliate(const void *v, const void *key);
static int eq_coupon_id(const void *v, const void *key)
{
    return ((const aff_snap_coupon *)v)->id == *(const int64_t *)key;
}
static int eq_key(const void *v, const void *key);

/* Is this row already in s's own level? (Overlays must hold one entry per row.) */
static int has_row(const aff_snapshot *s, int kind, int64_t id, const unsigned char *hash)
{
    uint64_t h = aff_hash_u64((uint64_t)id);
    switch (kind) {
    case AFF_CHANGE_PROGRAM:
        return aff_map_find(&s->programs, h, eq_program_id, &id) != NULL;
    case AFF_CHANGE_LINK:
        return aff_map_find(&s->link_ids, h, eq_link_id, &id) != NULL;
    case AFF_CHANGE_AFFILIATE:
        return aff_map_find(&s->affiliates, h, eq_affiliate, &id) != NULL;
    case AFF_CHANGE_COUPON: /* coupons are indexed by code: scan this small level */
        for (size_t i = 0; i <= s->coupons.mask; i++)
            if (s->coupons.slots[i].hash != 0 && eq_coupon_id(s->coupons.slots[i].val, &id))
                return 1;
        return 0;
    default:
        return aff_map_find(&s->keys, aff_hash_bytes(hash, 32), eq_key, hash) != NULL;
    }
}

static size_t entries(const aff_snapshot *s)
{
    return s->nprograms + s->nlinks + s->ncoupons + s->naffiliates + s->nkeys;
}

/* Copy the entries of the overlay prev that s does not hold yet (s already has the
 * batch's changes, which are newer). */
static int copy_overlay(aff_snapshot *s, const aff_snapshot *prev)
{
    int rc = 0;
    const aff_map *maps[5] = {&prev->programs, &prev->links, &prev->coupons, &prev->affiliates, &prev->keys};
    static const int kinds[5] = {AFF_CHANGE_PROGRAM, AFF_CHANGE_LINK, AFF_CHANGE_COUPON, AFF_CHANGE_AFFILIATE,
                                 AFF_CHANGE_KEY};
    for (int m = 0; m < 5 && rc == 0; m++) {
        for (size_t i = 0; i <= maps[m]->mask && rc == 0; i++) {
            const void *v = maps[m]->slots[i].val;
            if (maps[m]->slots[i].hash == 0)
                continue;
            switch (kinds[m]) {
            case AFF_CHANGE_PROGRAM: {
                const aff_snap_program *p = v;
                rc = has_row(s, kinds[m], p->id, NULL) ? 0 : put_program(s, p);
                break;
            }
            case AFF_CHANGE_LINK: {
                const aff_snap_link *l = v;
                rc = has_row(s, kinds[m], l->id, NULL) ? 0 : put_link(s, l);
                break;
            }
            case AFF_CHANGE_COUPON: {
                const aff_snap_coupon *c = v;
                rc = has_row(s, kinds[m], c->id, NULL) ? 0 : put_coupon(s, c);
                break;
            }
            case AFF_CHANGE_AFFILIATE: {
                const aff_snap_affiliate *a = v;
                rc = has_row(s, kinds[m], a->id, NULL) ? 0 : put_affiliate(s, a);
                break;
            }
            default: {
                const aff_snap_key *k = v;
                rc = has_row(s, kinds[m], 0, k->hash) ? 0 : put_key(s, k);
                break;
            }
            }
        }
    }
    return rc;
}

static int load_change(aff_store *st, aff_snapshot *s, const aff_catalog_change *c)
{
    int rc = AFF_ENOMEM;
    switch (c->kind) {
    case AFF_CHANGE_PROGRAM: {
        aff_program_row *r = malloc(sizeof(*r));
        if (r != NULL && (rc = aff_store_program_get(st, c->id, r)) == 0)
            rc = add_program(s, r);
        free(r);
        return rc;
    }
    case AFF_CHANGE_LINK: {
        aff_link_row *r = malloc(sizeof(*r));
        if (r != NULL && (rc = aff_store_link_get(st, c->id, r)) == 0)
            rc = add_link(s, r);
        free(r);
        return rc;
    }
    case AFF_CHANGE_COUPON: {
        aff_coupon_row r;
        return (rc = aff_store_coupon_get(st, c->id, &r)) == 0 ? add_coupon(s, &r) : rc;
    }
    case AFF_CHANGE_AFFILIATE: {
        aff_affiliate_row r;
        return (rc = aff_store_affiliate_get(st, c->id, &r)) == 0 ? add_affiliate(s, &r) : rc;
    }
    case AFF_CHANGE_KEY:
        return add_key(s, &c->key);
    }
    return AFF_EINVAL;
}

int aff_snapshot_update(aff_store *st, aff_snapshot *cur, const aff_catalog_change *changes, size_t n,
                        aff_snapshot **out)
{
    aff_snapshot *base = cur->base != NULL ? cur->base : cur;
    size_t overlay = (cur->base != NULL ? entries(cur) : 0) + n;
    if (overlay > AFF_SNAP_OVERLAY_MIN && overlay > entries(base) / 16)
        return aff_snapshot_build(st, out); /* the overlay outgrew its purpose */
    aff_snapshot *s = snapshot_new();
    int rc = s != NULL ? 0 : AFF_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) /* each row once, in its state at this commit */
        if (!has_row(s, changes[i].kind, changes[i].id, changes[i].key.hash))
            rc = load_change(st, s, &changes[i]);
    if (rc == 0 && cur->base != NULL)
        rc = copy_overlay(s, cur);
    if (rc != 0) {
        aff_snapshot_free(s);
        return rc;
    }
    s->base = base;
    base->refs++;
    *out = s;
    return 0;
}

int aff_snapshot_refresh(aff_store *st, aff_snapshot **snap)
{
    aff_snapshot *s;
    int rc = aff_snapshot_build(st, &s);
    if (rc == 0) {
        aff_snapshot_free(*snap);
        *snap = s;
    }
    return rc;
}

void aff_snapshot_free(aff_snapshot *s)
{
    if (s == NULL)
        return;
    if (s->base != NULL)
        s->base->refs--;
    aff_map_free(&s->programs);
    aff_map_free(&s->program_tokens);
    aff_map_free(&s->links);
    aff_map_free(&s->link_ids);
    aff_map_free(&s->coupons);
    aff_map_free(&s->affiliates);
    aff_map_free(&s->keys);
    aff_arena_free(&s->arena);
    free(s);
}

/* ---- lookups ------------------------------------------------------------------------ */

static int eq_program_id(const void *v, const void *key)
{
    return ((const aff_snap_program *)v)->id == *(const int64_t *)key;
}

const aff_snap_program *aff_snap_program_get(const aff_snapshot *s, int64_t id)
{
    for (uint64_t h = aff_hash_u64((uint64_t)id); s != NULL; s = s->base) {
        const aff_snap_program *p = aff_map_find(&s->programs, h, eq_program_id, &id);
        if (p != NULL)
            return p;
    }
    return NULL;
}

typedef struct str_key {
    const char *s;
    size_t len;
} str_key;

static int eq_token(const void *v, const void *key)
{
    const str_key *k = key;
    const char *t = ((const aff_snap_program *)v)->postback_token;
    return strlen(t) == k->len && memcmp(t, k->s, k->len) == 0;
}

const aff_snap_program *aff_snap_program_by_token(const aff_snapshot *s, const char *token, size_t len)
{
    str_key k = {token, len};
    for (uint64_t h = aff_hash_bytes(token, len); s != NULL; s = s->base) {
        const aff_snap_program *p = aff_map_find(&s->program_tokens, h, eq_token, &k);
        if (p != NULL)
            return p;
    }
    return NULL;
}

static int eq_link_code(const void *v, const void *key)
{
    const str_key *k = key;
    const char *c = ((const aff_snap_link *)v)->code;
    return strncmp(c, k->s, k->len) == 0 && c[k->len] == '\0';
}

const aff_snap_link *aff_snap_link_get(const aff_snapshot *s, const char *code, size_t len)
{
    str_key k = {code, len};
    for (uint64_t h = aff_hash_bytes(code, len); s != NULL; s = s->base) {
        const aff_snap_link *l = aff_map_find(&s->links, h, eq_link_code, &k);
        if (l != NULL)
            return l;
    }
    return NULL;
}

static int eq_link_id(const void *v, const void *key)
{
    return ((const aff_snap_link *)v)->id == *(const int64_t *)key;
}

const aff_snap_link *aff_snap_link_by_id(const aff_snapshot *s, int64_t id)
{
    for (uint64_t h = aff_hash_u64((uint64_t)id); s != NULL; s = s->base) {
        const aff_snap_link *l = aff_map_find(&s->link_ids, h, eq_link_id, &id);
        if (l != NULL)
            return l;
    }
    return NULL;
}

typedef struct coupon_key {
    int64_t program_id;
    const char *code;
} coupon_key;

static int eq_coupon(const void *v, const void *key)
{
    const aff_snap_coupon *c = v;
    const coupon_key *k = key;
    return c->program_id == k->program_id && strcmp(c->code, k->code) == 0;
}

const aff_snap_coupon *aff_snap_coupon_get(const aff_snapshot *s, int64_t program_id, const char *upper_code)
{
    coupon_key k = {program_id, upper_code};
    for (uint64_t h = coupon_hash(program_id, upper_code); s != NULL; s = s->base) {
        const aff_snap_coupon *c = aff_map_find(&s->coupons, h, eq_coupon, &k);
        if (c != NULL)
            return c;
    }
    return NULL;
}

static int eq_affiliate(const void *v, const void *key)
{
    return ((const aff_snap_affiliate *)v)->id == *(const int64_t *)key;
}

const aff_snap_affiliate *aff_snap_affiliate_get(const aff_snapshot *s, int64_t id)
{
    for (uint64_t h = aff_hash_u64((uint64_t)id); s != NULL; s = s->base) {
        const aff_snap_affiliate *a = aff_map_find(&s->affiliates, h, eq_affiliate, &id);
        if (a != NULL)
            return a;
    }
    return NULL;
}

static int eq_key(const void *v, const void *key)
{
    return memcmp(((const aff_snap_key *)v)->hash, key, 32) == 0;
}

const aff_snap_key *aff_snap_key_get(const aff_snapshot *s, const unsigned char hash[32])
{
    for (uint64_t h = aff_hash_bytes(hash, 32); s != NULL; s = s->base) {
        const aff_snap_key *k = aff_map_find(&s->keys, h, eq_key, hash);
        if (k != NULL)
            return k;
    }
    return NULL;
}

/* ---- publication (hazard pointers) ------------------------------------------------ */

static _Atomic(aff_snapshot *) current;
static _Atomic(aff_snapshot *) hazards[AFF_SNAP_MAX_SLOTS];
static atomic_int nslots;
static aff_snapshot *retired; /* writer-owned list */

int aff_snapshot_slot(void)
{
    int slot = atomic_fetch_add(&nslots, 1);
    return slot < AFF_SNAP_MAX_SLOTS ? slot : AFF_ERANGE;
}

const aff_snapshot *aff_snapshot_acquire(int slot)
{
    aff_snapshot *s;
    do {
        s = atomic_load(&current);
        atomic_store(&hazards[slot], s);
    } while (s != atomic_load(&current)); /* publish raced us: retry so the hazard is visible */
    return s;
}

void aff_snapshot_release(int slot)
{
    atomic_store(&hazards[slot], NULL);
}

void aff_snapshot_publish(aff_snapshot *s)
{
    aff_snapshot *old = atomic_exchange(&current, s);
    if (old != NULL) {
        old->retired_next = retired;
        retired = old;
    }
    aff_snapshot_reclaim();
}

aff_snapshot *aff_snapshot_current(void)
{
    return atomic_load(&current);
}

static int in_use(const aff_snapshot *s)
{
    int n = atomic_load(&nslots);
    for (int i = 0; i < n && i < AFF_SNAP_MAX_SLOTS; i++)
        if (atomic_load(&hazards[i]) == s)
            return 1;
    return 0;
}

/* Free retired snapshots that no reader holds and no overlay builds on; freeing an
 * overlay may release its base, so repeat until nothing more goes. */
static void reclaim(int ignore_hazards)
{
    for (int progress = 1; progress;) {
        progress = 0;
        for (aff_snapshot **pp = &retired; *pp != NULL;) {
            aff_snapshot *s = *pp;
            if (s->refs > 0 || (!ignore_hazards && in_use(s))) {
                pp = &s->retired_next;
                continue;
            }
            *pp = s->retired_next;
            aff_snapshot_free(s);
            progress = 1;
        }
    }
}

void aff_snapshot_reclaim(void)
{
    reclaim(0);
}

void aff_snapshot_shutdown(void)
{
    aff_snapshot *s = atomic_exchange(&current, NULL);
    if (s != NULL) {
        s->retired_next = retired;
        retired = s;
    }
    reclaim(1);
}
