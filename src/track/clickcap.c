/* clickcap.c - click caps counted without locks; see clickcap.h. */
#include "track/clickcap.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "track/commission.h"

typedef struct slot {
    _Atomic uint64_t key; /* 0: empty */
    _Atomic int64_t count;
} slot;

static struct {
    slot *slots;
    uint64_t mask;
} T;

#define PROBES 16

int aff_clickcap_open(unsigned slots_log2)
{
    if (slots_log2 > 24)
        return AFF_EINVAL;
    T.slots = calloc((size_t)1 << slots_log2, sizeof(slot));
    if (T.slots == NULL)
        return AFF_ENOMEM;
    T.mask = ((uint64_t)1 << slots_log2) - 1;
    return 0;
}

void aff_clickcap_close(void)
{
    free(T.slots);
    T.slots = NULL;
    T.mask = 0;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t key_of(int64_t program_id, int64_t row, int period, int64_t start_ms)
{
    uint64_t k = mix((uint64_t)program_id * 0x9e3779b97f4a7c15ULL ^ mix((uint64_t)row + 1) ^
                     mix((uint64_t)start_ms * 2 + (uint64_t)period));
    return k | 1;
}

/* The counter of key, created when create is set; NULL when absent (or the table is full). */
static slot *find(uint64_t key, int create)
{
    if (T.slots == NULL)
        return NULL;
    for (uint64_t i = 0; i < PROBES; i++) {
        slot *s = &T.slots[(key + i) & T.mask];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == key)
            return s;
        if (k != 0)
            continue;
        if (!create)
            return NULL;
        uint64_t empty = 0;
        if (atomic_compare_exchange_strong(&s->key, &empty, key) || empty == key)
            return s;
    }
    return NULL;
}

static int applies(const aff_cap *c, int64_t affiliate_id, int64_t *row)
{
    if (c->metric != AFF_CAP_CLICKS || (c->affiliate_id != 0 && c->affiliate_id != affiliate_id))
        return 0;
    *row = c->per_affiliate ? affiliate_id : 0;
    return 1;
}

void aff_clickcap_admit(int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                        aff_clickcap_verdict *out)
{
    memset(out, 0, sizeof(*out));
    slot *taken[AFF_CAPS_MAX];
    int ntaken = 0;
    for (int i = 0; i < caps->n; i++) {
        const aff_cap *c = &caps->cap[i];
        int64_t row = 0;
        if (!applies(c, affiliate_id, &row))
            continue;
        slot *s = find(key_of(program_id, row, c->period, aff_cap_period_start(caps, c->period, now_ms)), 1);
        if (s == NULL)
            continue; /* full table: fail open */
        int64_t before = atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
        int over = before >= c->limit;
        if (!over) {
            taken[ntaken++] = s;
            continue;
        }
        int code = (c->per_affiliate ? 85 : 65) + c->period;
        if (c->hard) {
            atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed); /* not admitted: not counted */
            if (!out->over) {
                out->over = 1;
                out->soft = 0;
                out->code = code;
            }
        } else {
            taken[ntaken++] = s;
            if (!out->over && !out->soft) {
                out->soft = 1;
                out->code = code;
            }
        }
    }
    if (out->over) /* refused by one cap: not counted by the others either */
        for (int i = 0; i < ntaken; i++)
            atomic_fetch_sub_explicit(&taken[i]->count, 1, memory_order_relaxed);
}

int64_t aff_clickcap_count(int64_t program_id, int64_t affiliate_id, int period, int64_t start_ms)
{
    slot *s = find(key_of(program_id, affiliate_id, period, start_ms), 0);
    return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}

/* ---- seeding from the rollups ---------------------------------------------------------- */

typedef struct seed {
    int64_t program_id;
    int period;
    int64_t start;
    int64_t total;
    int per_affiliate;
} seed;

static void put(uint64_t key, int64_t value)
{
    slot *s = find(key, 0);
    if (s != NULL)
        return; /* already counting */
    if ((s = find(key, 1)) != NULL)
        atomic_store_explicit(&s->count, value, memory_order_relaxed);
}

static int seed_row(void *ud, int64_t affiliate_id, int64_t clicks, int64_t conversions)
{
    (void)conversions;
    seed *x = ud;
    x->total += clicks;
    if (x->per_affiliate && affiliate_id != 0)
        put(key_of(x->program_id, affiliate_id, x->period, x->start), clicks);
    return 0;
}

int aff_clickcap_seed(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t now_ms)
{
    for (int period = 0; period < 2; period++) {
        int wanted = 0, per_affiliate = 0;
        for (int i = 0; i < caps->n; i++)
            if (caps->cap[i].metric == AFF_CAP_CLICKS && caps->cap[i].period == period) {
                wanted = 1;
                per_affiliate |= caps->cap[i].per_affiliate;
            }
        if (!wanted)
            continue;
        seed x = {program_id, period, aff_cap_period_start(caps, period, now_ms), 0, per_affiliate};
        int rc = aff_store_affiliate_rates_hours(st, program_id, x.start / AFF_MS_PER_HOUR, now_ms / AFF_MS_PER_HOUR,
                                                 seed_row, &x);
        if (rc != 0)
            return rc;
        put(key_of(program_id, 0, period, x.start), x.total);
    }
    return 0;
}
