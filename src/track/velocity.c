/* velocity.c - lock-free GCRA counters; see velocity.h. */
#include "track/velocity.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Times are kept in ticks of 1/16 ms: with whole milliseconds a limit above one event
 * per ms (e.g. 10^6 per minute) had an emission interval rounded up to 1 ms, so it
 * capped traffic at 60,000 a minute. 44 bits of ticks reach 34 years from the origin;
 * the 20 bits left tag the key. */
#define TICKS_PER_MS 16
#define TAT_BITS 44
#define TAT_MASK ((UINT64_C(1) << TAT_BITS) - 1)

struct aff_velocity {
    uint64_t mask;
    _Atomic uint64_t *slot; /* tag << TAT_BITS | ticks since base_ms; 0 = empty */
    int64_t base_ms;        /* origin of the stored times, fixed at the first event */
    _Atomic int64_t base_set;
};

aff_velocity *aff_velocity_new(unsigned slots_log2)
{
    if (slots_log2 > 30)
        return NULL;
    aff_velocity *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    v->mask = (UINT64_C(1) << slots_log2) - 1;
    v->slot = calloc((size_t)v->mask + 1, sizeof(*v->slot));
    if (v->slot == NULL) {
        free(v);
        return NULL;
    }
    return v;
}

void aff_velocity_free(aff_velocity *v)
{
    if (v != NULL)
        free((void *)v->slot);
    free(v);
}

/* The time origin: the first caller's now minus a day (so slightly older clocks
 * of other threads stay positive). Set once; racing first callers agree on one
 * value. */
static int64_t base_of(aff_velocity *v, int64_t now_ms)
{
    if (atomic_load_explicit(&v->base_set, memory_order_acquire) == 2)
        return v->base_ms;
    int64_t expected = 0;
    if (atomic_compare_exchange_strong(&v->base_set, &expected, 1)) {
        v->base_ms = now_ms - 86400000;
        atomic_store_explicit(&v->base_set, 2, memory_order_release);
    }
    while (atomic_load_explicit(&v->base_set, memory_order_acquire) != 2)
        ;
    return v->base_ms;
}

int aff_velocity_hit(aff_velocity *v, uint64_t key, int64_t now_ms, uint32_t limit, int64_t window_ms)
{
    if (v == NULL || limit == 0 || window_ms <= 0)
        return 0;
    int64_t rel = (now_ms - base_of(v, now_ms)) * TICKS_PER_MS;
    if (rel < 0)
        rel = 0;
    int64_t window = window_ms * TICKS_PER_MS;
    int64_t interval = window / limit; /* emission interval */
    if (interval < 1)
        interval = 1;
    int64_t tolerance = window - interval; /* how far ahead the key may run: a burst of limit */
    uint64_t tag = (key >> TAT_BITS) | 1;  /* never 0, so an empty slot never matches */
    _Atomic uint64_t *s = &v->slot[key & v->mask];
    uint64_t old = atomic_load_explicit(s, memory_order_relaxed);
    for (;;) {
        int64_t tat = (old >> TAT_BITS) == tag ? (int64_t)(old & TAT_MASK) : rel;
        if (tat < rel)
            tat = rel;
        int over = tat - rel > tolerance;
        /* An event over the limit counts too, up to one window beyond the limit: a flood
         * stays over while it lasts (instead of getting one event through per interval),
         * and a key that stops is back within a window. */
        int64_t next_tat = tat + interval;
        if (over && next_tat - rel > tolerance + window)
            next_tat = rel + tolerance + window;
        uint64_t next = tag << TAT_BITS | ((uint64_t)next_tat & TAT_MASK);
        if (atomic_compare_exchange_weak_explicit(s, &old, next, memory_order_relaxed, memory_order_relaxed))
            return over;
    }
}
