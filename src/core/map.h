/*
 * map.h - a build-once, read-many hash index: open addressing over (hash, value) pairs.
 * Values are caller-owned pointers; equality is decided by the caller's callback, so
 * the same index serves integer and string keys. No deletion (snapshots are rebuilt,
 * not edited). Readers may share a filled map across threads without locks.
 * Hashes come from aff_hash_bytes / aff_hash_u64, seeded once per process so that
 * chosen keys (vanity link codes) cannot be aimed at one bucket chain.
 */
#ifndef AFF_CORE_MAP_H
#define AFF_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct aff_map_slot {
    uint64_t hash; /* 0 marks an empty slot; real hashes are forced non-zero */
    void *val;
} aff_map_slot;

typedef struct aff_map {
    aff_map_slot *slots;
    size_t mask, count;
} aff_map;

/* Size the index for `expected` entries. Returns 0 or AFF_ENOMEM. */
int aff_map_init(aff_map *m, size_t expected);
void aff_map_free(aff_map *m);
/* Add val under hash (duplicates are the caller's business). Returns 0 or AFF_ENOMEM. */
int aff_map_put(aff_map *m, uint64_t hash, void *val);
/* First value under hash for which eq(val, key) is true, or NULL. */
void *aff_map_find(const aff_map *m, uint64_t hash, int (*eq)(const void *val, const void *key), const void *key);

/* Seed the hashes (called once at start; tests may leave the default seed). */
void aff_hash_seed(uint64_t seed);
uint64_t aff_hash_bytes(const void *data, size_t len);
uint64_t aff_hash_u64(uint64_t v);

#endif
