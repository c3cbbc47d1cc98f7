/* mem.c - arena allocator; see mem.h. */
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

struct aff_arena_chunk {
    aff_arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void aff_arena_init(aff_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size < 1024 ? 1024 : chunk_size;
}

void *aff_arena_alloc(aff_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    aff_arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > a->chunk_size ? n : a->chunk_size;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *aff_arena_strndup(aff_arena *a, const char *s, size_t n)
{
    char *p = aff_arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *aff_arena_strdup(aff_arena *a, const char *s)
{
    return aff_arena_strndup(a, s, strlen(s));
}

void aff_arena_free(aff_arena *a)
{
    aff_arena_chunk *c = a->head;
    while (c != NULL) {
        aff_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
