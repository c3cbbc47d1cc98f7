/*
 * mem.h - an arena (bump allocator in chunks) for objects that live and die together,
 * such as one catalog snapshot. Not thread-safe while being filled; once filled and
 * published it is only read. Freed in one go with aff_arena_free.
 */
#ifndef AFF_CORE_MEM_H
#define AFF_CORE_MEM_H

#include <stddef.h>

typedef struct aff_arena_chunk aff_arena_chunk;
typedef struct aff_arena {
    aff_arena_chunk *head;
    size_t chunk_size;
} aff_arena;

void aff_arena_init(aff_arena *a, size_t chunk_size);
/* Zeroed, 16-byte aligned memory owned by the arena; NULL when out of memory. */
void *aff_arena_alloc(aff_arena *a, size_t n);
/* Copy of n bytes of s plus a NUL, owned by the arena; NULL when out of memory. */
char *aff_arena_strndup(aff_arena *a, const char *s, size_t n);
char *aff_arena_strdup(aff_arena *a, const char *s);
void aff_arena_free(aff_arena *a);

#endif
