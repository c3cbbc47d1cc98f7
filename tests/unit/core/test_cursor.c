/* test_cursor.c - unit tests for src/core/cursor.c: round trips of integer and text
 * positions, and strict refusal of anything the encoder did not produce. */
#include "core/crypto.h"
#include "core/cursor.h"
#include "core/err.h"
#include "../test.h"

static void round_trip(const aff_cursor *in)
{
    char text[AFF_CURSOR_MAX + 1];
    aff_cursor out;
    AFF_CHECK_INT(aff_cursor_encode(in, text, sizeof(text)), AFF_OK);
    AFF_CHECK(strlen(text) <= AFF_CURSOR_MAX);
    AFF_CHECK_INT(strspn(text, "0123456789abcdefghjkmnpqrstvwxyz"), strlen(text));
    AFF_CHECK_INT(aff_cursor_decode(text, strlen(text), &out), AFF_OK);
    AFF_CHECK_INT(out.key, in->key);
    AFF_CHECK_INT(out.desc, in->desc);
    AFF_CHECK_INT(out.id, in->id);
    AFF_CHECK_STR(out.tid, in->tid);
    AFF_CHECK_INT(out.is_text, in->is_text);
    if (in->is_text)
        AFF_CHECK_STR(out.sval, in->sval);
    else
        AFF_CHECK_INT(out.ival, in->ival);
}

AFF_TEST(cursor_round_trips_integers_and_texts)
{
    aff_cursor c = {.key = 7, .desc = 1, .id = 42, .ival = -499};
    round_trip(&c);
    c = (aff_cursor){.key = 0, .id = INT64_C(999999999999999999), .ival = INT64_C(-999999999999999999)};
    round_trip(&c);
    c = (aff_cursor){.key = 3, .id = 5, .is_text = 1};
    snprintf(c.sval, sizeof(c.sval), "O'Brien, \"Ann\". = café");
    round_trip(&c);
    c.sval[0] = '\0'; /* an empty name is a value too */
    round_trip(&c);
    memset(c.sval, 'x', AFF_CURSOR_TEXT_MAX);
    c.sval[AFF_CURSOR_TEXT_MAX] = '\0';
    round_trip(&c);
    /* a text id (a click's) with the longest text value still fits */
    c.id = 0;
    memset(c.tid, 'z', AFF_CURSOR_TID_MAX);
    c.tid[AFF_CURSOR_TID_MAX] = '\0';
    round_trip(&c);
    c = (aff_cursor){.key = 12, .desc = 1, .ival = -3};
    snprintf(c.tid, sizeof(c.tid), "0123456789abcdefghjkmnpqrstvwxyz");
    round_trip(&c);
}

AFF_TEST(cursor_encode_refuses_what_it_cannot_hold)
{
    char text[AFF_CURSOR_MAX + 1];
    aff_cursor c = {.key = 100, .id = 1};
    AFF_CHECK_INT(aff_cursor_encode(&c, text, sizeof(text)), AFF_EINVAL);
    c.key = 1;
    AFF_CHECK_INT(aff_cursor_encode(&c, text, 4), AFF_ETOOBIG);
    snprintf(c.tid, sizeof(c.tid), "abc"); /* a text id and an integer id */
    AFF_CHECK_INT(aff_cursor_encode(&c, text, sizeof(text)), AFF_EINVAL);
    c.id = 0;
    snprintf(c.tid, sizeof(c.tid), "ABC"); /* upper case is not a text id */
    AFF_CHECK_INT(aff_cursor_encode(&c, text, sizeof(text)), AFF_EINVAL);
}

/* Encode raw (the text before base32) as a cursor string. */
static void raw_cursor(const char *raw, char *out)
{
    aff_base32_encode((const unsigned char *)raw, strlen(raw), out);
}

AFF_TEST(cursor_decode_is_strict)
{
    aff_cursor c;
    char text[AFF_CURSOR_MAX + 1];
    static const char *const bad[] = {
        "2.1.a.5.i7",                                                          /* version */
        "1.x.a.5.i7",                                                          /* key */
        "1.123.a.5.i7", "1.1.z.5.i7",                                          /* direction */
        "1.1.a.-5.i7",                                                         /* id */
        "1.1.a.5.x7",                                                          /* value kind */
        "1.1.a.5.i",                                                           /* empty integer */
        "1.1.a.5.i7x",  "1.1.a.5",                                             /* no value */
        "1.1.a",        "1.1.a.t.i7",                                          /* empty text id */
        "1.1.a.tA.i7",                                                         /* text id characters */
        "1.1.a.t-1.i7", "1.1.a.t0123456789012345678901234567890123456789x.i7", /* 41 characters */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw_cursor(bad[i], text);
        if (aff_cursor_decode(text, strlen(text), &c) != AFF_EINVAL)
            aff_test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    }
    raw_cursor("1.1.a.5.i7", text);
    AFF_CHECK_INT(aff_cursor_decode(text, strlen(text), &c), AFF_OK);
    AFF_CHECK_INT(c.ival, 7);
    AFF_CHECK_INT(aff_cursor_decode("", 0, &c), AFF_EINVAL);
    AFF_CHECK_INT(aff_cursor_decode("abc!", 4, &c), AFF_EINVAL); /* not base32 */
    AFF_CHECK_INT(aff_cursor_decode("u0", 2, &c), AFF_EINVAL);
    char huge[AFF_CURSOR_MAX + 10];
    memset(huge, '0', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    AFF_CHECK_INT(aff_cursor_decode(huge, strlen(huge), &c), AFF_EINVAL);
}
