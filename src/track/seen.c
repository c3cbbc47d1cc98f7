/* seen.c - the uniqueness window's read-through cache; see seen.h. */
#include "track/seen.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/map.h"

#define NO_ROW (-1) /* cached: the store has no row for the pair */

typedef struct seen_entry {
    int64_t link_id;
    uint64_t fp;
    int64_t unique_ms; /* 0: empty slot; NO_ROW; else the last unique click */
} seen_entry;

struct aff_seen {
    seen_entry *table;
    size_t mask, count;
    int dirty; /* the running batch added or changed entries */
    int64_t window_ms;
    /* the pruning sweep over click_seen (aff_seen_prune) */
    int64_t sweep_link, sweep_fp; /* cursor: the last key examined */
    int64_t uniques;              /* unique clicks decided since the last step */
    int64_t pruned;               /* rows deleted, in all */
};

static size_t slot_of(const aff_seen *s, int64_t link_id, uint64_t fp)
{
    return aff_hash_u64(fp ^ ((uint64_t)link_id * 0x9e3779b97f4a7c15ULL)) & s->mask;
}

static seen_entry *find(aff_seen *s, int64_t link_id, uint64_t fp)
{
    for (size_t j = slot_of(s, link_id, fp);; j = (j + 1) & s->mask) {
        seen_entry *e = &s->table[j];
        if (e->unique_ms == 0 || (e->link_id == link_id && e->fp == fp))
            return e;
    }
}

/* Empty the cache (the store stays the authority), at the minimum size. */
static int clear(aff_seen *s)
{
    free(s->table);
    s->table = calloc(1024, sizeof(*s->table));
    s->mask = 1023;
    s->count = 0;
    return s->table != NULL ? 0 : AFF_ENOMEM;
}

/* Room for one more entry. Within a batch the table only grows (a batch's decisions
 * must stay cached until its click_seen rows are written); it is cut back at batch end. */
static int make_room(aff_seen *s)
{
    if ((s->count + 1) * 2 <= s->mask + 1)
        return 0;
    size_t cap = (s->mask + 1) * 2;
    seen_entry *old = s->table, *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return AFF_ENOMEM;
    size_t old_cap = s->mask + 1;
    s->table = t;
    s->mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].unique_ms != 0)
            *find(s, old[i].link_id, old[i].fp) = old[i];
    free(old);
    return 0;
}

int aff_seen_open(aff_store *st, int64_t now_ms, int64_t window_ms, aff_seen **out)
{
    (void)st;
    (void)now_ms;
    aff_seen *s = calloc(1, sizeof(*s));
    if (s == NULL || clear(s) != 0) {
        aff_seen_free(s);
        return AFF_ENOMEM;
    }
    s->window_ms = window_ms;
    s->sweep_link = s->sweep_fp = INT64_MIN;
    *out = s;
    return 0;
}

void aff_seen_free(aff_seen *s)
{
    if (s != NULL)
        free(s->table);
    free(s);
}

int aff_seen_decide(aff_ctx *ctx, int64_t link_id, uint64_t fp, int64_t now_ms, int *unique)
{
    aff_seen *s = ctx->seen;
    int64_t window_ms = (int64_t)ctx->cfg->unique_window_hours * AFF_MS_PER_HOUR;
    int64_t last = 0;
    seen_entry *e = NULL;
    if (s != NULL) {
        if (make_room(s) != 0)
            return AFF_ENOMEM;
        e = find(s, link_id, fp);
    }
    if (e != NULL && e->unique_ms != 0) {
        last = e->unique_ms == NO_ROW ? 0 : e->unique_ms;
    } else {
        int rc = aff_store_click_seen_get(ctx->st, link_id, fp, &last);
        if (rc == AFF_ENOTFOUND)
            last = 0;
        else if (rc != 0)
            return rc;
    }
    *unique = last == 0 || now_ms - last >= window_ms;
    if (e != NULL) {
        if (e->unique_ms == 0)
            s->count++;
        *e = (seen_entry){link_id, fp, *unique ? now_ms : (last != 0 ? last : NO_ROW)};
        s->dirty |= *unique;
        s->uniques += *unique;
    }
    return 0;
}

int aff_seen_prune(aff_seen *s, aff_store *st, int64_t now_ms, int64_t *deleted)
{
    /* Examine at least twice as many rows as unique clicks added rows since the last
     * step, so the sweep outpaces the table's growth and a full pass takes at most about
     * half the time the table took to grow; never more than a bounded step. */
    int64_t want = AFF_SEEN_PRUNE_MIN + 2 * s->uniques;
    int max_rows = (int)(want < AFF_SEEN_PRUNE_MAX ? want : AFF_SEEN_PRUNE_MAX);
    int64_t before = now_ms - s->window_ms - AFF_SEEN_PRUNE_MARGIN_MS;
    int rc = aff_store_click_seen_prune(st, &s->sweep_link, &s->sweep_fp, max_rows, before, deleted);
    if (rc == 0) {
        s->uniques = want > AFF_SEEN_PRUNE_MAX ? (want - AFF_SEEN_PRUNE_MAX) / 2 : 0; /* the rest: next steps */
        s->pruned += *deleted;
    }
    return rc;
}

int64_t aff_seen_pruned(const aff_seen *s)
{
    return s != NULL ? s->pruned : 0;
}

void aff_seen_job_failed(aff_seen *s)
{
    if (s != NULL && s->dirty && clear(s) != 0)
        abort(); /* 8 KB: cannot fail short of the heap being gone */
}

void aff_seen_batch_end(aff_seen *s, int committed)
{
    if (s == NULL)
        return;
    if ((!committed && s->dirty) || s->count > AFF_SEEN_MAX_ENTRIES) {
        if (clear(s) != 0)
            abort();
    }
    s->dirty = 0;
}
