/*
 * generate.h - synthetic traffic for benchmarks and demos: a catalog (one program,
 * affiliates, links, coupons) and clicks with conversions spread over recent days,
 * written through the same functions the writer uses (aff_click_record,
 * aff_conversion_record, rollup aggregation, the uniqueness window), so reports and
 * `afftrack verify` see exactly what live traffic would produce.
 *
 * Deterministic for a given seed. Blocking; run it on a store no server writes to.
 */
#ifndef AFF_TRACK_GENERATE_H
#define AFF_TRACK_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "track/pool.h"

typedef struct aff_generate_opts {
    int64_t clicks; /* total clicks to add */
    int days;       /* spread over the days ending now */
    int affiliates; /* created when the store has no program yet */
    int links_per_affiliate;
    int conversion_permille; /* conversions per 1000 clicks */
    uint64_t seed;
    /* progress(ud, done, total) after every transaction; may be NULL */
    void (*progress)(void *ud, int64_t done, int64_t total);
    void *ud;
} aff_generate_opts;

typedef struct aff_generate_stats {
    int64_t clicks, conversions;
    int64_t program_id;
} aff_generate_stats;

/* Which of n links (n >= 1) a click goes to, from a uniform random r: Zipf-like with
 * exponent 1 over link popularity ranks (rank k gets ln((k + 2) / (k + 1)) / ln(n + 1)
 * of the clicks: 10 % for the top link of 1,000; half go to the top sqrt(n) links), and
 * the ranks spread over the links by a fixed permutation, so that popular links belong
 * to many affiliates. */
size_t aff_generate_link_index(uint64_t r, size_t n);

/* ctx must hold a writer store, config and click-id key; rollups and seen are set up and
 * torn down here. Returns 0 or the first error (the transaction in flight is rolled back;
 * earlier ones stay committed). */
int aff_generate(aff_ctx *ctx, const aff_generate_opts *opts, aff_generate_stats *out);

#endif
