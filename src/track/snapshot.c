/* snapshot.c - catalog snapshots and their hazard-pointer publication; see snapshot.h. */
#include "track/snapshot.h"

#include <stdatomic.h>
#include <stdlib.h>
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

static int add_program(void *ud, const aff_program_row *r)
{
    aff_snapshot *s = ud;
    aff_snap_program *p = aff_arena_alloc(&s->arena, sizeof(*p));
    if (p == NULL)
        return AFF_ENOMEM;
    p->id = r->id;
    p->name = dup(s, r->name);
    p->currency = dup(s, r->currency);
    p->destination_url = dup(s, r->destination_url);
    p->allowed_domains = dup(s, r->allowed_domains);
    p->click_id_param = dup(s, r->click_id_param);
    p->postback_token = dup(s, r->postback_token);
    if (p->name == NULL || p->currency == NULL || p->destination_url == NULL || p->allowed_domains == NULL ||
        p->click_id_param == NULL || p->postback_token == NULL)
        return AFF_ENOMEM;
    if (aff_currency_exponent(r->currency, &p->exponent) != 0)
        p->exponent = 2;
    p->cookie_days = r->cookie_days;
    p->first_click = strcmp(r->attribution, "first_click") == 0;
    p->plan_version = r->commission_version;
    if (aff_plan_parse(r->plan_json, &p->plan, NULL, 0, NULL) != 0)
        memset(&p->plan, 0, sizeof(p->plan)); /* stored plans were validated on write */
    s->nprograms++;
    if (aff_map_put(&s->programs, aff_hash_u64((uint64_t)p->id), p) != 0 ||
        aff_map_put(&s->program_tokens, aff_hash_bytes(p->postback_token, strlen(p->postback_token)), p) != 0)
        return AFF_ENOMEM;
    return 0;
}

static int add_link(void *ud, const aff_link_row *r)
{
    aff_snapshot *s = ud;
    aff_snap_link *l = aff_arena_alloc(&s->arena, sizeof(*l));
    if (l == NULL || (l->code = dup(s, r->code)) == NULL)
        return AFF_ENOMEM;
    l->id = r->id;
    l->program_id = r->program_id;
    l->affiliate_id = r->affiliate_id;
    l->destination_url = r->destination_url[0] ? dup(s, r->destination_url) : NULL;
    for (int i = 0; i < 5; i++)
        if ((l->sub[i] = dup(s, r->sub[i])) == NULL)
            return AFF_ENOMEM;
    s->nlinks++;
    if (aff_map_put(&s->link_ids, aff_hash_u64((uint64_t)l->id), l) != 0)
        return AFF_ENOMEM;
    return aff_map_put(&s->links, aff_hash_bytes(l->code, strlen(l->code)), l);
}

static int add_coupon(void *ud, const aff_coupon_row *r)
{
    aff_snapshot *s = ud;
    aff_snap_coupon *c = aff_arena_alloc(&s->arena, sizeof(*c));
    if (c == NULL || (c->code = dup(s, r->code)) == NULL)
        return AFF_ENOMEM;
    c->id = r->id;
    c->program_id = r->program_id;
    c->affiliate_id = r->affiliate_id;
    s->ncoupons++;
    return aff_map_put(&s->coupons, coupon_hash(c->program_id, c->code), c);
}

static int status_code(const char *status)
{
    static const char *const names[] = {"pending", "approved", "suspended", "rejected"};
    for (int i = 0; i < 4; i++)
        if (strcmp(status, names[i]) == 0)
            return i;
    return AFF_AFF_SUSPENDED;
}

static int add_affiliate(void *ud, const aff_affiliate_row *r)
{
    aff_snapshot *s = ud;
    aff_snap_affiliate *a = aff_arena_alloc(&s->arena, sizeof(*a));
    if (a == NULL)
        return AFF_ENOMEM;
    a->id = r->id;
    a->parent_id = r->parent_id;
    a->status = status_code(r->status);
    s->naffiliates++;
    return aff_map_put(&s->affiliates, aff_hash_u64((uint64_t)a->id), a);
}

static int add_key(void *ud, const aff_key_row *r)
{
    aff_snapshot *s = ud;
    aff_snap_key *k = aff_arena_alloc(&s->arena, sizeof(*k));
    if (k == NULL)
        return AFF_ENOMEM;
    memcpy(k->hash, r->hash, sizeof(k->hash));
    k->admin = strcmp(r->role, "admin") == 0;
    k->affiliate_id = r->affiliate_id;
    s->nkeys++;
    return aff_map_put(&s->keys, aff_hash_bytes(k->hash, sizeof(k->hash)), k);
}

int aff_snapshot_build(aff_store *st, aff_snapshot **out)
{
    aff_snapshot *s = calloc(1, sizeof(*s));
    int rc = AFF_ENOMEM;
    if (s == NULL)
        return AFF_ENOMEM;
    aff_arena_init(&s->arena, 1 << 16);
    if (aff_map_init(&s->programs, 16) || aff_map_init(&s->program_tokens, 16) || aff_map_init(&s->links, 64) || aff_map_init(&s->link_ids, 64) ||
        aff_map_init(&s->coupons, 16) || aff_map_init(&s->affiliates, 64) || aff_map_init(&s->keys, 64))
        goto fail;
    aff_list_query all = {0};
    if ((rc = aff_store_program_list(st, &all, add_program, s)) != 0 ||
        (rc = aff_store_link_list(st, &all, add_link, s)) != 0 ||
        (rc = aff_store_coupon_list(st, &all, add_coupon, s)) != 0 ||
        (rc = aff_store_affiliate_list(st, &all, add_affiliate, s)) != 0 ||
        (rc = aff_store_key_list(st, add_key, s)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    aff_snapshot_free(s);
    return rc;
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
    return aff_map_find(&s->programs, aff_hash_u64((uint64_t)id), eq_program_id, &id);
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
    return aff_map_find(&s->program_tokens, aff_hash_bytes(token, len), eq_token, &k);
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
    return aff_map_find(&s->links, aff_hash_bytes(code, len), eq_link_code, &k);
}

static int eq_link_id(const void *v, const void *key)
{
    return ((const aff_snap_link *)v)->id == *(const int64_t *)key;
}

const aff_snap_link *aff_snap_link_by_id(const aff_snapshot *s, int64_t id)
{
    return aff_map_find(&s->link_ids, aff_hash_u64((uint64_t)id), eq_link_id, &id);
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
    return aff_map_find(&s->coupons, coupon_hash(program_id, upper_code), eq_coupon, &k);
}

static int eq_affiliate(const void *v, const void *key)
{
    return ((const aff_snap_affiliate *)v)->id == *(const int64_t *)key;
}

const aff_snap_affiliate *aff_snap_affiliate_get(const aff_snapshot *s, int64_t id)
{
    return aff_map_find(&s->affiliates, aff_hash_u64((uint64_t)id), eq_affiliate, &id);
}

static int eq_key(const void *v, const void *key)
{
    return memcmp(((const aff_snap_key *)v)->hash, key, 32) == 0;
}

const aff_snap_key *aff_snap_key_get(const aff_snapshot *s, const unsigned char hash[32])
{
    return aff_map_find(&s->keys, aff_hash_bytes(hash, 32), eq_key, hash);
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

void aff_snapshot_reclaim(void)
{
    aff_snapshot **pp = &retired;
    while (*pp != NULL) {
        aff_snapshot *s = *pp;
        if (in_use(s)) {
            pp = &s->retired_next;
        } else {
            *pp = s->retired_next;
            aff_snapshot_free(s);
        }
    }
}

void aff_snapshot_shutdown(void)
{
    aff_snapshot_free(atomic_exchange(&current, NULL));
    while (retired != NULL) {
        aff_snapshot *next = retired->retired_next;
        aff_snapshot_free(retired);
        retired = next;
    }
}
