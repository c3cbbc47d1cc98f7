/* test_velocity.c - unit tests for src/track/velocity.c: a burst of LIMIT passes, the
 * next event is over, the allowance refills at LIMIT per WINDOW, over-limit events
 * count (a flood stays over while it lasts, at most a window beyond), keys are
 * independent, limit 0 is no limit. */
#include "track/velocity.h"
#include "../test.h"

#define T0 1714564800000LL
#define K1 UINT64_C(0x0123456789abcdef)
#define K2 UINT64_C(0xfedcba9876543210)

AFF_TEST(velocity_burst_then_refill)
{
    aff_velocity *v = aff_velocity_new(10);
    AFF_CHECK(v != NULL);
    /* 3 per minute: interval 20 s, tolerance 40 s. The burst leaves the key's
     * theoretical arrival time (TAT) at T0+60 s. */
    for (int i = 0; i < 3; i++)
        AFF_CHECK_INT(aff_velocity_hit(v, K1, T0, 3, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0, 3, 60000), 1);         /* TAT-now 60 s > 40: over; TAT 80 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 39999, 3, 60000), 1); /* 40.001 s > 40: over; TAT 100 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 60000, 3, 60000), 0); /* 40 s: through; TAT 120 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 60000, 3, 60000), 1); /* 60 s: over; TAT 140 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K2, T0 + 60000, 3, 60000), 0); /* another key */
    /* after a quiet window the whole burst is back */
    for (int i = 0; i < 3; i++)
        AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 300000, 3, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 300000, 3, 60000), 1);
    aff_velocity_free(v);
}

AFF_TEST(velocity_a_flood_stays_over_while_it_lasts)
{
    aff_velocity *v = aff_velocity_new(10);
    /* 60 per minute (interval 1 s, tolerance 59 s): a flood of 1000 in one second gets
     * 60 through; the over-limit events push TAT up to a window beyond the limit
     * (now + 119 s), so nothing more gets through while the flood goes on... */
    int over = 0;
    for (int i = 0; i < 1000; i++)
        over += aff_velocity_hit(v, K1, T0 + i, 60, 60000);
    AFF_CHECK_INT(over, 1000 - 60);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 1000, 60, 60000), 1);  /* TAT T0+120 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 30000, 60, 60000), 1); /* TAT T0+121 s */
    /* ...and a key that stops gets through once TAT - now <= 59 s: at T0+62 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 62000, 60, 60000), 0);
    aff_velocity_free(v);
}

AFF_TEST(velocity_no_limit_and_null)
{
    aff_velocity *v = aff_velocity_new(4);
    for (int i = 0; i < 100; i++)
        AFF_CHECK_INT(aff_velocity_hit(v, K1, T0, 0, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(NULL, K1, T0, 1, 60000), 0);
    AFF_CHECK(aff_velocity_new(31) == NULL);
    aff_velocity_free(v);
    aff_velocity_free(NULL);
}

/* Two keys in one slot evict each other: each then starts afresh (fails open). */
AFF_TEST(velocity_slot_collision_fails_open)
{
    aff_velocity *v = aff_velocity_new(4);
    uint64_t a = UINT64_C(0x1000000000000003), b = UINT64_C(0x2000000000000003); /* same slot, other tag */
    AFF_CHECK_INT(aff_velocity_hit(v, a, T0, 1, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, a, T0, 1, 60000), 1);
    AFF_CHECK_INT(aff_velocity_hit(v, b, T0, 1, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, a, T0, 1, 60000), 0);
    aff_velocity_free(v);
}

/* A limit above one event per millisecond (the bench raises the click limits to 10^6 a
 * minute): whole-millisecond intervals would have capped it at 60,000 a minute. Here
 * 200,000 events over 2 s all pass; with 10^6 a minute 10^6 in one instant pass and the
 * next is over. */
AFF_TEST(velocity_limits_above_one_per_millisecond)
{
    aff_velocity *v = aff_velocity_new(10);
    AFF_CHECK(v != NULL);
    int over = 0;
    for (int i = 0; i < 200000; i++)
        over += aff_velocity_hit(v, K1, T0 + i / 100, 1000000, 60000);
    AFF_CHECK_INT(over, 0);
    over = 0;
    for (int i = 0; i < 480000; i++)
        over += aff_velocity_hit(v, K2, T0, 480000, 60000);
    AFF_CHECK_INT(over, 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K2, T0, 480000, 60000), 1);
    aff_velocity_free(v);
}
