/* rollup.c - per-batch rollup aggregation; see rollup.h. */
#include "track/rollup.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "track/report.h"

/* A job's staged rows: most jobs stage one (a click, a conversion); a bulk rejection
 * stages one per conversion (and, with sub-affiliates, one per parent), up to 500 of
 * them, so the stage grows on demand up to STAGE_MAX. */
#define STAGE_MIN 16
#define STAGE_MAX 8192
#define TABLE_MIN 256

typedef struct rollup_key {
    int64_t hour, program_id, affiliate_id, link_id;
} rollup_key;

/* The sub-ID row: only the first len + 1 bytes of sub1 are meaningful. */
typedef struct sub_key {
    int64_t day, program_id, affiliate_id;
    size_t len;
    char sub1[AFF_SUB_MAX + 1];
} sub_key;

/* Every entry starts with its used flag (the table below is generic over the entry). */
typedef struct link_entry {
    int used;
    rollup_key key;
    aff_rollup_delta d;
} link_entry;

typedef struct sub_entry {
    int used;
    aff_rollup_delta d;
    sub_key key;
} sub_entry;

/* Open addressing over fixed-size entries, power-of-two size; `order` lists the slots in
 * use in insertion order, so flush and reset touch only those. */
typedef struct table {
    char *slots;
    size_t esize, mask, count;
    size_t *order;
    uint64_t (*hash)(const void *entry);
    int (*same)(const void *a, const void *b);
} table;

typedef struct staged {
    link_entry link;
    sub_entry sub;
} staged;

struct aff_rollups {
    staged *stage;
    int nstage, stage_cap;
    table links, subs;
};

static uint64_t link_hash(const void *v)
{
    const rollup_key *k = &((const link_entry *)v)->key;
    return aff_hash_u64((uint64_t)k->hour * 0x9e3779b97f4a7c15ULL ^ (uint64_t)k->program_id * 0xbf58476d1ce4e5b9ULL ^
                        (uint64_t)k->affiliate_id * 0x94d049bb133111ebULL ^ (uint64_t)k->link_id);
}

static int link_same(const void *a, const void *b)
{
    return memcmp(&((const link_entry *)a)->key, &((const link_entry *)b)->key, sizeof(rollup_key)) == 0;
}

static uint64_t sub_hash(const void *v)
{
    const sub_key *k = &((const sub_entry *)v)->key;
    return aff_hash_u64((uint64_t)k->day * 0x9e3779b97f4a7c15ULL ^ (uint64_t)k->program_id * 0xbf58476d1ce4e5b9ULL ^
                        (uint64_t)k->affiliate_id * 0x94d049bb133111ebULL ^ aff_hash_bytes(k->sub1, k->len));
}

static int sub_same(const void *a, const void *b)
{
    const sub_key *x = &((const sub_entry *)a)->key, *y = &((const sub_entry *)b)->key;
    return x->day == y->day && x->program_id == y->program_id && x->affiliate_id == y->affiliate_id &&
           x->len == y->len && memcmp(x->sub1, y->sub1, x->len) == 0;
}

static void *slot(const table *t, size_t j)
{
    return t->slots + j * t->esize;
}

static int table_init(table *t, size_t esize, uint64_t (*hash)(const void *), int (*same)(const void *, const void *))
{
    t->slots = calloc(TABLE_MIN, esize);
    t->order = malloc(TABLE_MIN * sizeof(*t->order));
    t->esize = esize;
    t->mask = TABLE_MIN - 1;
    t->count = 0;
    t->hash = hash;
    t->same = same;
    return t->slots != NULL && t->order != NULL ? 0 : AFF_ENOMEM;
}

static void table_free(table *t)
{
    free(t->slots);
    free(t->order);
}

static int grow(table *t)
{
    size_t cap = (t->mask + 1) * 2;
    char *slots = calloc(cap, t->esize);
    size_t *order = malloc(cap * sizeof(*order));
    if (slots == NULL || order == NULL) {
        free(slots);
        free(order);
        return AFF_ENOMEM;
    }
    for (size_t k = 0; k < t->count; k++) {
        const void *e = slot(t, t->order[k]);
        size_t j = t->hash(e) & (cap - 1);
        while (*(int *)(slots + j * t->esize))
            j = (j + 1) & (cap - 1);
        memcpy(slots + j * t->esize, e, t->esize);
        order[k] = j;
    }
    free(t->slots);
    free(t->order);
    t->slots = slots;
    t->order = order;
    t->mask = cap - 1;
    return 0;
}

/* Room for n more entries, so that the merges that follow cannot fail halfway. */
static int reserve(table *t, size_t n)
{
    while ((t->count + n + 1) * 2 > t->mask + 1)
        if (grow(t) != 0)
            return AFF_ENOMEM;
    return 0;
}

/* Add entry e (its delta at offset doff) into t; room must have been reserved. */
static void merge(table *t, const void *e, size_t doff)
{
    size_t j = t->hash(e) & t->mask;
    while (*(int *)slot(t, j) && !t->same(slot(t, j), e))
        j = (j + 1) & t->mask;
    char *s = slot(t, j);
    if (!*(int *)s) {
        memcpy(s, e, t->esize);
        t->order[t->count++] = j;
        return;
    }
    aff_report_add((aff_rollup_delta *)(s + doff), (const aff_rollup_delta *)((const char *)e + doff));
}

static void table_reset(table *t)
{
    for (size_t k = 0; k < t->count; k++)
        *(int *)slot(t, t->order[k]) = 0;
    t->count = 0;
}

aff_rollups *aff_rollups_new(void)
{
    aff_rollups *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->stage = malloc(STAGE_MIN * sizeof(*r->stage));
    r->stage_cap = STAGE_MIN;
    if (r->stage == NULL || table_init(&r->links, sizeof(link_entry), link_hash, link_same) != 0 ||
        table_init(&r->subs, sizeof(sub_entry), sub_hash, sub_same) != 0) {
        aff_rollups_free(r);
        return NULL;
    }
    return r;
}

void aff_rollups_free(aff_rollups *r)
{
    if (r != NULL) {
        table_free(&r->links);
        table_free(&r->subs);
        free(r->stage);
    }
    free(r);
}

static void set_sub_key(sub_key *k, int64_t hour, int64_t program_id, int64_t affiliate_id, const char *sub1)
{
    k->day = hour / 24;
    k->program_id = program_id;
    k->affiliate_id = affiliate_id;
    k->len = strnlen(sub1, AFF_SUB_MAX);
    memcpy(k->sub1, sub1, k->len);
    k->sub1[k->len] = '\0';
}

/* Room for n more staged rows of the running job. Returns 0, AFF_ERANGE (over
 * STAGE_MAX) or AFF_ENOMEM, with nothing staged either way. */
static int stage_reserve(aff_rollups *r, int n)
{
    if (r->nstage + n <= r->stage_cap)
        return 0;
    if (r->nstage + n > STAGE_MAX)
        return AFF_ERANGE;
    int cap = r->stage_cap;
    while (cap < r->nstage + n)
        cap *= 2;
    cap = cap < STAGE_MAX ? cap : STAGE_MAX;
    staged *bigger = realloc(r->stage, (size_t)cap * sizeof(*bigger));
    if (bigger == NULL)
        return AFF_ENOMEM;
    r->stage = bigger;
    r->stage_cap = cap;
    return 0;
}

int aff_rollup_add(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                   const char *sub1, const aff_rollup_delta *d)
{
    aff_rollups *r = ctx->rollups;
    if (r == NULL)
        return aff_rollup_write(ctx->st, hour, program_id, affiliate_id, link_id, sub1, d);
    int rc = stage_reserve(r, 1);
    if (rc != 0)
        return rc;
    staged *e = &r->stage[r->nstage++];
    e->link.used = 1;
    e->link.key = (rollup_key){hour, program_id, affiliate_id, link_id};
    e->link.d = *d;
    e->sub.used = 1;
    e->sub.d = *d;
    set_sub_key(&e->sub.key, hour, program_id, affiliate_id, sub1);
    return 0;
}

void aff_rollup_split_clear(aff_rollup_split *s)
{
    s->commission_minor = 0;
    s->overrides_minor = 0;
    s->n = 0;
}

int aff_rollup_split_line(aff_rollup_split *s, int64_t owner_id, int64_t payee_id, int64_t amount_minor)
{
    if (payee_id != owner_id) {
        int i = 0;
        while (i < s->n && s->payee[i] != payee_id)
            i++;
        if (i == AFF_ROLLUP_PAYEES_MAX)
            return AFF_ERANGE;
        if (i == s->n) {
            s->payee[s->n] = payee_id;
            s->income_minor[s->n++] = 0;
        }
        s->income_minor[i] += amount_minor;
        s->overrides_minor += amount_minor;
    }
    s->commission_minor += amount_minor;
    return 0;
}

int aff_rollup_add_split(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                         const char *sub1, const aff_rollup_delta *d, const aff_rollup_split *s)
{
    aff_rollup_delta own = *d;
    own.commission_minor += s->commission_minor;
    own.overrides_minor += s->overrides_minor;
    int rc = ctx->rollups != NULL ? stage_reserve(ctx->rollups, 1 + s->n) : 0; /* all rows or none */
    if (rc == 0)
        rc = aff_rollup_add(ctx, hour, program_id, affiliate_id, link_id, sub1, &own);
    for (int i = 0; i < s->n && rc == 0; i++) {
        if (s->income_minor[i] == 0)
            continue;
        aff_rollup_delta income = {.override_income_minor = s->income_minor[i]};
        rc = aff_rollup_add(ctx, hour, program_id, s->payee[i], 0, "", &income);
    }
    return rc;
}

int aff_rollup_write(aff_store *st, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                     const char *sub1, const aff_rollup_delta *d)
{
    int rc = aff_store_rollup_add(st, hour, program_id, affiliate_id, link_id, d);
    return rc != 0 ? rc : aff_store_rollup_sub_add(st, hour / 24, program_id, affiliate_id, sub1, d);
}

int aff_rollup_job_keep(aff_rollups *r)
{
    if (r == NULL)
        return 0;
    if (reserve(&r->links, (size_t)r->nstage) != 0 || reserve(&r->subs, (size_t)r->nstage) != 0) {
        r->nstage = 0;
        return AFF_ENOMEM;
    }
    for (int i = 0; i < r->nstage; i++) {
        merge(&r->links, &r->stage[i].link, offsetof(link_entry, d));
        merge(&r->subs, &r->stage[i].sub, offsetof(sub_entry, d));
    }
    r->nstage = 0;
    return 0;
}

void aff_rollup_job_drop(aff_rollups *r)
{
    if (r != NULL)
        r->nstage = 0;
}

void aff_rollup_reset(aff_rollups *r)
{
    if (r == NULL)
        return;
    table_reset(&r->links);
    table_reset(&r->subs);
    r->nstage = 0;
}

int aff_rollup_flush(aff_rollups *r, aff_store *st)
{
    int rc = 0;
    if (r == NULL)
        return 0;
    for (size_t k = 0; k < r->links.count && rc == 0; k++) {
        const link_entry *e = slot(&r->links, r->links.order[k]);
        rc = aff_store_rollup_add(st, e->key.hour, e->key.program_id, e->key.affiliate_id, e->key.link_id, &e->d);
    }
    for (size_t k = 0; k < r->subs.count && rc == 0; k++) {
        const sub_entry *e = slot(&r->subs, r->subs.order[k]);
        rc = aff_store_rollup_sub_add(st, e->key.day, e->key.program_id, e->key.affiliate_id, e->key.sub1, &e->d);
    }
    aff_rollup_reset(r);
    return rc;
}
