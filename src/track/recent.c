/* recent.c - the latest conversion times per (program, affiliate); see recent.h. */
#include "track/recent.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/map.h"

/* Beyond this many keys, memory starts again from empty (each key is read again). */
#define RECENT_MAX_KEYS 65536

typedef struct key_times {
    int64_t program_id, affiliate_id;
    int64_t cap;  /* how many of the latest times are kept */
    int64_t n;    /* how many are held: n < cap means the key has no more */
    int64_t head; /* ms is a ring of cap: the oldest time kept is ms[head] */
    int64_t *ms;  /* ascending from head */
} key_times;

/* The i-th oldest time kept (0 <= i < n). */
static int64_t *at(const key_times *k, int64_t i)
{
    return &k->ms[(k->head + i) % k->cap];
}

struct aff_recent {
    aff_map keys;
};

typedef struct key_ref {
    int64_t program_id, affiliate_id;
} key_ref;

static uint64_t key_hash(int64_t program_id, int64_t affiliate_id)
{
    return aff_hash_u64((uint64_t)program_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)affiliate_id);
}

static int key_eq(const void *val, const void *key)
{
    const key_times *k = val;
    const key_ref *ref = key;
    return k->program_id == ref->program_id && k->affiliate_id == ref->affiliate_id;
}

aff_recent *aff_recent_new(void)
{
    aff_recent *r = calloc(1, sizeof(*r));
    if (r != NULL && aff_map_init(&r->keys, 64) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

static void free_keys(aff_recent *r)
{
    for (size_t j = 0; r->keys.slots != NULL && j <= r->keys.mask; j++) {
        key_times *k = r->keys.slots[j].val;
        if (r->keys.slots[j].hash != 0 && k != NULL) {
            free(k->ms);
            free(k);
        }
    }
    aff_map_free(&r->keys);
}

void aff_recent_free(aff_recent *r)
{
    if (r == NULL)
        return;
    free_keys(r);
    free(r);
}

void aff_recent_clear(aff_recent *r)
{
    if (r == NULL || r->keys.count == 0)
        return;
    free_keys(r);
    memset(&r->keys, 0, sizeof(r->keys));
    (void)aff_map_init(&r->keys, 64); /* without memory: slots stay NULL, put below retries */
}

/* The key's latest cap times, read from the store (ascending in k->ms). */
static int load(aff_store *st, key_times *k, int64_t cap)
{
    int64_t *ms = malloc((size_t)cap * sizeof(*ms));
    if (ms == NULL)
        return AFF_ENOMEM;
    int64_t n = 0;
    int rc = aff_store_conversion_latest_ms(st, k->program_id, k->affiliate_id, cap, ms, &n);
    if (rc != 0) {
        free(ms);
        return rc;
    }
    for (int64_t i = 0; i < n / 2; i++) { /* the store gives them newest first */
        int64_t t = ms[i];
        ms[i] = ms[n - 1 - i];
        ms[n - 1 - i] = t;
    }
    free(k->ms);
    k->ms = ms;
    k->n = n;
    k->cap = cap;
    k->head = 0;
    return 0;
}

static key_times *find(aff_recent *r, int64_t program_id, int64_t affiliate_id)
{
    key_ref ref = {program_id, affiliate_id};
    return aff_map_find(&r->keys, key_hash(program_id, affiliate_id), key_eq, &ref);
}

int aff_recent_count(aff_recent *r, aff_store *st, int64_t program_id, int64_t affiliate_id, int64_t since_ms,
                     int64_t max, int64_t *n)
{
    *n = 0;
    if (max <= 0)
        return AFF_EINVAL;
    key_times *k = find(r, program_id, affiliate_id);
    if (k == NULL) {
        if (r->keys.count >= RECENT_MAX_KEYS)
            aff_recent_clear(r);
        if ((k = calloc(1, sizeof(*k))) == NULL)
            return AFF_ENOMEM;
        k->program_id = program_id;
        k->affiliate_id = affiliate_id;
        int rc = load(st, k, max);
        if (rc == 0 && (r->keys.slots == NULL ? aff_map_init(&r->keys, 64) : 0) == 0)
            rc = aff_map_put(&r->keys, key_hash(program_id, affiliate_id), k);
        if (rc != 0) {
            free(k->ms);
            free(k);
            return rc;
        }
    } else if (max > k->cap) {
        int rc = load(st, k, max);
        if (rc != 0)
            return rc;
    }
    int64_t c = 0;
    for (int64_t i = k->n - 1; i >= 0 && *at(k, i) >= since_ms && c < max; i--)
        c++;
    *n = c;
    return 0;
}

void aff_recent_add(aff_recent *r, int64_t program_id, int64_t affiliate_id, int64_t created_ms)
{
    key_times *k = find(r, program_id, affiliate_id);
    if (k == NULL)
        return; /* read from the store (this conversion included) when first asked */
    int64_t i;
    if (k->n < k->cap) {
        i = k->n++;
    } else if (created_ms > *at(k, 0)) { /* the oldest makes room: its slot becomes the newest */
        k->head = (k->head + 1) % k->cap;
        i = k->n - 1;
    } else {
        return; /* older than every time kept: a count up to cap cannot need it */
    }
    for (; i > 0 && *at(k, i - 1) > created_ms; i--) /* keep them ascending (times mostly come in order) */
        *at(k, i) = *at(k, i - 1);
    *at(k, i) = created_ms;
}
