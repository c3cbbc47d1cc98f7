/* test_generate.c - track/generate.c: synthetic traffic must be exactly what verify and
 * reports recount, deterministic for a seed, and additive across runs. */
#include "track/generate.h"
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
