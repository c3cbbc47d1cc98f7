/* map.c - open-addressing hash index; see map.h. */
#include "core/map.h"

#include <stdlib.h>

#include "core/err.h"

static uint64_t hash_seed = 0x9e3779b97f4a7c15ULL;

void aff_hash_seed(uint64_t seed)
{
    hash_seed = seed | 1;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t aff_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = hash_seed ^ (len * 0x100000001b3ULL);
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h = mix64(h ^ hash_seed);
    return h ? h : 1;
}

uint64_t aff_hash_u64(uint64_t v)
{
    uint64_t h = mix64(v ^ hash_seed);
    return h ? h : 1;
}

int aff_map_init(aff_map *m, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2)
        cap <<= 1;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (m->slots == NULL)
        return AFF_ENOMEM;
    m->mask = cap - 1;
    m->count = 0;
    return 0;
}

void aff_map_free(aff_map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}

static int grow(aff_map *m)
{
    aff_map bigger;
    if (aff_map_init(&bigger, (m->mask + 1)) != 0)
        return AFF_ENOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->slots[i].hash == 0)
            continue;
        size_t j = m->slots[i].hash & bigger.mask;
        while (bigger.slots[j].hash != 0)
            j = (j + 1) & bigger.mask;
        bigger.slots[j] = m->slots[i];
        bigger.count++;
    }
    free(m->slots);
    *m = bigger;
    return 0;
}

int aff_map_put(aff_map *m, uint64_t hash, void *val)
{
    if ((m->count + 1) * 2 > m->mask + 1 && grow(m) != 0)
        return AFF_ENOMEM;
    size_t j = hash & m->mask;
    while (m->slots[j].hash != 0)
        j = (j + 1) & m->mask;
    m->slots[j].hash = hash;
    m->slots[j].val = val;
    m->count++;
    return 0;
}

void *aff_map_find(const aff_map *m, uint64_t hash, int (*eq)(const void *val, const void *key), const void *key)
{
    if (m->slots == NULL)
        return NULL;
    for (size_t j = hash & m->mask; m->slots[j].hash != 0; j = (j + 1) & m->mask) {
        if (m->slots[j].hash == hash && eq(m->slots[j].val, key))
            return m->slots[j].val;
    }
    return NULL;
}
