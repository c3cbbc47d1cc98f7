/* seen.c - the in-memory uniqueness window; see seen.h. */
#include "track/seen.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/map.h"

typedef struct seen_entry {
    int64_t link_id;
    uint64_t fp;
    int64_t unique_ms; /* 0: empty slot */
} seen_entry;

struct aff_seen {
    seen_entry *table;
    size_t mask, count;
    int authoritative; /* every pair younger than the window is in the table */
    int dirty;         /* the running batch added or changed entries */
    int64_t window_ms;
    aff_store *st;
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

static int resize(aff_seen *s, size_t cap, int64_t keep_since)
{
    seen_entry *old = s->table;
    size_t old_cap = old ? s->mask + 1 : 0;
    seen_entry *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return AFF_ENOMEM;
    s->table = t;
    s->mask = cap - 1;
    s->count = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].unique_ms == 0 || old[i].unique_ms < keep_since)
            continue;
        *find(s, old[i].link_id, old[i].fp) = old[i];
        s->count++;
    }
    free(old);
    return 0;
}

/* Room for one more pair: drop expired pairs, grow, or give up authority at the cap. */
static void make_room(aff_seen *s, int64_t now_ms)
{
    if ((s->count + 1) * 2 <= s->mask + 1)
        return;
    size_t cap = s->mask + 1;
    if (resize(s, cap, now_ms - s->window_ms) == 0 && (s->count + 1) * 2 <= cap)
        return;
    if (cap * 2 <= (size_t)AFF_SEEN_MAX_ENTRIES * 2 && resize(s, cap * 2, now_ms - s->window_ms) == 0)
        return;
    s->authoritative = 0; /* full: misses read the store from now on */
    resize(s, cap, now_ms - s->window_ms / 2);
}

static int load_one(void *ud, int64_t link_id, uint64_t fp, int64_t unique_ms)
{
    aff_seen *s = ud;
    make_room(s, unique_ms);
    if (s->authoritative || (s->count + 1) * 2 <= s->mask + 1) {
        seen_entry *e = find(s, link_id, fp);
        if (e->unique_ms == 0)
            s->count++;
        *e = (seen_entry){link_id, fp, unique_ms};
    }
    return 0;
}

static int load(aff_seen *s, int64_t now_ms)
{
    s->authoritative = 1;
    if (resize(s, 1024, INT64_MAX) != 0)
        return AFF_ENOMEM;
    return aff_store_click_seen_load(s->st, now_ms - s->window_ms, load_one, s);
}

int aff_seen_open(aff_store *st, int64_t now_ms, int64_t window_ms, aff_seen **out)
{
    aff_seen *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return AFF_ENOMEM;
    s->st = st;
    s->window_ms = window_ms;
    int rc = load(s, now_ms);
    if (rc != 0) {
        aff_seen_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void aff_seen_free(aff_seen *s)
{
    if (s != NULL)
        free(s->table);
    free(s);
}

/* Remember now_ms as (link, fp)'s last unique click in memory. */
static void remember(aff_seen *s, int64_t link_id, uint64_t fp, int64_t now_ms)
{
    seen_entry *e = find(s, link_id, fp);
    if (e->unique_ms == 0) {
        make_room(s, now_ms);
        e = find(s, link_id, fp); /* make_room may have moved it */
        s->count++;
    }
    *e = (seen_entry){link_id, fp, now_ms};
    s->dirty = 1;
}

int aff_seen_decide(aff_ctx *ctx, int64_t link_id, uint64_t fp, int64_t now_ms, int *unique)
{
    aff_seen *s = ctx->seen;
    int64_t window_ms = (int64_t)ctx->cfg->unique_window_hours * AFF_MS_PER_HOUR;
    int64_t last = 0;
    seen_entry *e = s != NULL ? find(s, link_id, fp) : NULL;
    if (e != NULL && (e->unique_ms != 0 || s->authoritative)) {
        last = e->unique_ms;
    } else {
        int rc = aff_store_click_seen_get(ctx->st, link_id, fp, &last);
        if (rc == AFF_ENOTFOUND)
            last = 0;
        else if (rc != 0)
            return rc;
    }
    *unique = last == 0 || now_ms - last >= window_ms;
    if (*unique && s != NULL)
        remember(s, link_id, fp, now_ms);
    return 0;
}

static void reload(aff_seen *s)
{
    if (load(s, aff_clock_now_ms()) != 0)
        s->authoritative = 0; /* could not reload: misses read the store */
}

void aff_seen_job_failed(aff_seen *s)
{
    if (s != NULL && s->dirty)
        reload(s);
}

void aff_seen_batch_end(aff_seen *s, int committed)
{
    if (s == NULL)
        return;
    if (!committed && s->dirty)
        reload(s);
    s->dirty = 0;
}
