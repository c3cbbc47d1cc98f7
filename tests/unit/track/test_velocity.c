/* test_velocity.c - unit tests for src/track/velocity.c: a burst of LIMIT passes, the
 * next event is over, the allowance refills at LIMIT per WINDOW, over-limit events do
 * not count, keys are independent, limit 0 is no limit. */
#include "track/velocity.h"
#include "../test.h"

#define T0 1714564800000LL
#define K1 UINT64_C(0x0123456789abcdef)
#define K2 UINT64_C(0xfedcba9876543210)

AFF_TEST(velocity_burst_then_refill)
{
    aff_velocity *v = aff_velocity_new(10);
    AFF_CHECK(v != NULL);
    for (int i = 0; i < 3; i++)
        AFF_CHECK_INT(aff_velocity_hit(v, K1, T0, 3, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0, 3, 60000), 1);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 19999, 3, 60000), 1); /* one slot refills every 20 s */
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 20000, 3, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 20000, 3, 60000), 1);
    AFF_CHECK_INT(aff_velocity_hit(v, K2, T0 + 20000, 3, 60000), 0); /* another key */
    /* after a quiet window the whole burst is back */
    for (int i = 0; i < 3; i++)
        AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 200000, 3, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 200000, 3, 60000), 1);
    aff_velocity_free(v);
}

AFF_TEST(velocity_over_limit_events_do_not_count)
{
    aff_velocity *v = aff_velocity_new(10);
    /* 60 per minute: a flood of 1000 in one second gets 60 through, then one a second */
    int over = 0;
    for (int i = 0; i < 1000; i++)
        over += aff_velocity_hit(v, K1, T0 + i, 60, 60000);
    AFF_CHECK_INT(over, 1000 - 60);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 1000, 60, 60000), 0);
    AFF_CHECK_INT(aff_velocity_hit(v, K1, T0 + 1000, 60, 60000), 1);
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
