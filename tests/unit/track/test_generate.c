/* test_generate.c - track/generate.c: synthetic traffic must be exactly what verify and
 * reports recount, deterministic for a seed, and additive across runs. */
#include "track/generate.h"

#include <math.h>

#include "track/verify.h"
#include "track_fixture.h"

static aff_verify_report generate_and_verify(fx *f, int64_t clicks, uint64_t seed, aff_generate_stats *st)
{
    aff_generate_opts o = {.clicks = clicks,
                           .days = 3,
                           .affiliates = 4,
                           .links_per_affiliate = 2,
                           .conversion_permille = 50,
                           .seed = seed};
    AFF_CHECK_INT(aff_generate(&f->ctx, &o, st), AFF_OK);
    aff_verify_report v;
    AFF_CHECK_INT(aff_verify_run(f->ts.st, &v), AFF_OK);
    return v;
}

AFF_TEST(generate_matches_verify_and_adds_up)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_snapshot_free(f.snap); /* aff_generate builds and frees its own snapshots */
    f.snap = f.ctx.snap = NULL;
    aff_generate_stats st;
    aff_verify_report v = generate_and_verify(&f, 5000, 7, &st);
    AFF_CHECK(aff_verify_ok(&v));
    AFF_CHECK_INT(st.clicks, 5000);
    AFF_CHECK_INT(v.counts.raw.clicks, 5000);
    AFF_CHECK_INT(v.counts.raw.conversions, st.conversions);
    /* about 5 % converted: far from 0 and from all */
    AFF_CHECK(st.conversions > 100 && st.conversions < 500);
    AFF_CHECK(v.counts.raw.unique_clicks > 0 && v.counts.raw.unique_clicks <= 5000);
    /* a second run adds to the same program */
    aff_generate_stats st2;
    v = generate_and_verify(&f, 3000, 8, &st2);
    AFF_CHECK(aff_verify_ok(&v));
    AFF_CHECK_INT(st2.program_id, st.program_id);
    AFF_CHECK_INT(v.counts.raw.clicks, 8000);
    AFF_CHECK_INT(v.counts.raw.conversions, st.conversions + st2.conversions);
    fx_close(&f);
}

/* Link popularity: every link reachable, in range, and the top rank about as often as
 * the law says (ln 2 / ln 1001 = 10.0 % for n = 1000), while no affiliate's links
 * (contiguous blocks of 10) take most of the clicks. */
AFF_TEST(generate_link_index_is_zipf_over_a_permutation)
{
    enum { N = 1000, DRAWS = 400000 };
    static int hits[N];
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < DRAWS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t li = aff_generate_link_index(x, N);
        AFF_CHECK(li < N);
        if (li < N)
            hits[li]++;
    }
    int top = 0, reached = 0, block[N / 10] = {0}, top_block = 0;
    for (int i = 0; i < N; i++) {
        top = hits[i] > hits[top] ? i : top;
        reached += hits[i] > 0;
        block[i / 10] += hits[i];
    }
    for (int b = 0; b < N / 10; b++)
        top_block = block[b] > top_block ? block[b] : top_block;
    double share = (double)hits[top] / DRAWS, want = log(2.0) / log(N + 1.0);
    AFF_CHECK(share > want * 0.95 && share < want * 1.05);
    AFF_CHECK(reached > N * 9 / 10);
    AFF_CHECK(top_block < DRAWS / 4);
    /* the rank order is a permutation: ranks 0..n-1 land on n distinct links */
    static char seen[N];
    int distinct = 0;
    for (size_t k = 0; k < N; k++) {
        /* r for rank k: u = ln(k + 1.5) / ln(n + 1), inside rank k's interval */
        double u = log((double)k + 1.5) / log(N + 1.0);
        size_t li = aff_generate_link_index((uint64_t)(u * 0x1p53) << 11, N);
        distinct += li < N && !seen[li];
        if (li < N)
            seen[li] = 1;
    }
    AFF_CHECK_INT(distinct, N);
    AFF_CHECK_INT(aff_generate_link_index(0, 1), 0);
    AFF_CHECK_INT(aff_generate_link_index(UINT64_MAX, 1), 0);
    AFF_CHECK(aff_generate_link_index(UINT64_MAX, 7) < 7);
}
