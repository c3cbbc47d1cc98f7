/* rollup.c - per-batch rollup aggregation; see rollup.h. */
#include "track/rollup.h"

#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "track/report.h"

#define STAGE_MAX 16
#define TABLE_MIN 256

typedef struct rollup_key {
    int64_t hour, program_id, affiliate_id, link_id;
} rollup_key;

typedef struct rollup_entry {
    rollup_key key;
    aff_rollup_delta d;
    int used;
} rollup_entry;

struct aff_rollups {
    rollup_entry stage[STAGE_MAX];
    int nstage;
    rollup_entry *table; /* open addressing, power-of-two size */
    size_t mask, count;
    size_t *used;        /* slots in use, in insertion order: flush and reset touch only these */
};

aff_rollups *aff_rollups_new(void)
{
    aff_rollups *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->table = calloc(TABLE_MIN, sizeof(*r->table));
    r->used = malloc(TABLE_MIN * sizeof(*r->used));
    if (r->table == NULL || r->used == NULL) {
        aff_rollups_free(r);
        return NULL;
    }
    r->mask = TABLE_MIN - 1;
    return r;
}

void aff_rollups_free(aff_rollups *r)
{
    if (r != NULL) {
        free(r->table);
        free(r->used);
    }
    free(r);
}

static uint64_t key_hash(const rollup_key *k)
{
    return aff_hash_u64((uint64_t)k->hour * 0x9e3779b97f4a7c15ULL ^ (uint64_t)k->program_id * 0xbf58476d1ce4e5b9ULL ^
                        (uint64_t)k->affiliate_id * 0x94d049bb133111ebULL ^ (uint64_t)k->link_id);
}

static int grow(aff_rollups *r)
{
    size_t cap = (r->mask + 1) * 2;
    rollup_entry *t = calloc(cap, sizeof(*t));
    size_t *used = malloc(cap * sizeof(*used));
    if (t == NULL || used == NULL) {
        free(t);
        free(used);
        return AFF_ENOMEM;
    }
    for (size_t k = 0; k < r->count; k++) {
        const rollup_entry *e = &r->table[r->used[k]];
        size_t j = key_hash(&e->key) & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
        used[k] = j;
    }
    free(r->table);
    free(r->used);
    r->table = t;
    r->used = used;
    r->mask = cap - 1;
    return 0;
}

static int merge(aff_rollups *r, const rollup_entry *e)
{
    if ((r->count + 1) * 2 > r->mask + 1 && grow(r) != 0)
        return AFF_ENOMEM;
    size_t j = key_hash(&e->key) & r->mask;
    while (r->table[j].used && memcmp(&r->table[j].key, &e->key, sizeof(e->key)) != 0)
        j = (j + 1) & r->mask;
    rollup_entry *t = &r->table[j];
    if (!t->used) {
        *t = *e;
        r->used[r->count++] = j;
        return 0;
    }
    aff_report_add(&t->d, &e->d);
    return 0;
}

int aff_rollup_add(aff_ctx *ctx, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                   const aff_rollup_delta *d)
{
    aff_rollups *r = ctx->rollups;
    if (r == NULL)
        return aff_store_rollup_add(ctx->st, hour, program_id, affiliate_id, link_id, d);
    if (r->nstage == STAGE_MAX)
        return AFF_ERANGE; /* no job makes this many rollup changes */
    rollup_entry *e = &r->stage[r->nstage++];
    e->key = (rollup_key){hour, program_id, affiliate_id, link_id};
    e->d = *d;
    e->used = 1;
    return 0;
}

int aff_rollup_job_keep(aff_rollups *r)
{
    if (r == NULL)
        return 0;
    /* Make room first, so that the merge below cannot fail halfway. */
    while ((r->count + (size_t)r->nstage + 1) * 2 > r->mask + 1) {
        if (grow(r) != 0) {
            r->nstage = 0;
            return AFF_ENOMEM;
        }
    }
    for (int i = 0; i < r->nstage; i++)
        merge(r, &r->stage[i]);
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
    for (size_t k = 0; k < r->count; k++)
        r->table[r->used[k]].used = 0;
    r->count = 0;
    r->nstage = 0;
}

int aff_rollup_flush(aff_rollups *r, aff_store *st)
{
    int rc = 0;
    if (r == NULL)
        return 0;
    for (size_t k = 0; k < r->count && rc == 0; k++) {
        const rollup_entry *e = &r->table[r->used[k]];
        rc = aff_store_rollup_add(st, e->key.hour, e->key.program_id, e->key.affiliate_id, e->key.link_id, &e->d);
    }
    aff_rollup_reset(r);
    return rc;
}
