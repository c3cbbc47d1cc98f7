/* test_jsonw.c - core/jsonw.c: the text must be valid JSON that jansson reads back to
 * the values written, with exact escaping, separators and integer extremes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/jsonw.h"
#include "../test.h"

AFF_TEST(jsonw_nested_values_round_trip)
{
    aff_jw w;
    aff_jw_init(&w);
    aff_jw_begin_object(&w);
    aff_jw_key(&w, "a"), aff_jw_int(&w, INT64_MIN);
    aff_jw_key(&w, "b"), aff_jw_int(&w, INT64_MAX);
    aff_jw_key(&w, "c"), aff_jw_string(&w, "quote\" back\\ nl\n tab\t ctl\x01 é");
    aff_jw_key(&w, "d"), aff_jw_begin_array(&w);
    aff_jw_int(&w, 0), aff_jw_null(&w), aff_jw_bool(&w, 1), aff_jw_bool(&w, 0);
    aff_jw_begin_object(&w), aff_jw_end_object(&w);
    aff_jw_begin_array(&w), aff_jw_end_array(&w);
    aff_jw_end_array(&w);
    aff_jw_key(&w, "e"), aff_jw_string_or_null(&w, "");
    aff_jw_key(&w, "f"), aff_jw_id(&w, 0);
    aff_jw_key(&w, "g"), aff_jw_id(&w, 42);
    aff_jw_key(&w, "h"), aff_jw_raw(&w, "[{\"x\":1}]");
    aff_jw_end_object(&w);
    AFF_CHECK_INT(aff_jw_finish(&w), 0);
    AFF_CHECK_STR(w.buf, "{\"a\":-9223372036854775808,\"b\":9223372036854775807,"
                         "\"c\":\"quote\\\" back\\\\ nl\\u000a tab\\u0009 ctl\\u0001 é\","
                         "\"d\":[0,null,true,false,{},[]],\"e\":null,\"f\":null,\"g\":42,\"h\":[{\"x\":1}]}");
    json_error_t jerr;
    json_t *j = json_loads(w.buf, 0, &jerr);
    AFF_CHECK(j != NULL);
    AFF_CHECK(json_integer_value(json_object_get(j, "a")) == INT64_MIN);
    AFF_CHECK_STR(json_string_value(json_object_get(j, "c")), "quote\" back\\ nl\n tab\t ctl\x01 é");
    AFF_CHECK_INT(json_array_size(json_object_get(j, "d")), 6);
    json_decref(j);
    aff_jw_free(&w);
}

AFF_TEST(jsonw_depth_limit_is_an_error)
{
    aff_jw w;
    aff_jw_init(&w);
    for (int i = 0; i < AFF_JW_DEPTH + 1; i++)
        aff_jw_begin_array(&w);
    AFF_CHECK(aff_jw_finish(&w) != 0);
    aff_jw_free(&w);
    aff_jw_init(&w);
    AFF_CHECK_INT(aff_jw_finish(&w), 0); /* nothing written: an empty, terminated text */
    AFF_CHECK_STR(w.buf, "");
    aff_jw_free(&w);
}

AFF_TEST(jsonw_large_output_grows)
{
    aff_jw w;
    aff_jw_init(&w);
    aff_jw_begin_array(&w);
    for (int i = 0; i < 20000; i++)
        aff_jw_int(&w, i);
    aff_jw_end_array(&w);
    AFF_CHECK_INT(aff_jw_finish(&w), 0);
    json_error_t jerr;
    json_t *j = json_loadb(w.buf, w.len, 0, &jerr);
    AFF_CHECK_INT(json_array_size(j), 20000);
    AFF_CHECK_INT(json_integer_value(json_array_get(j, 19999)), 19999);
    json_decref(j);
    aff_jw_free(&w);
}

/* Reals read exactly as jansson writes them (reports moved from jansson trees to this
 * writer and must not change a byte): ".0" on integral values, exponents without '+'
 * or leading zeros, the precision's rounding; inf and nan are null. */
AFF_TEST(jsonw_reals_match_jansson)
{
    const double vals[] = {0.0,       1.0,        -1.0,         0.012559, 1e-6,    0.5,          8.9991,
                           -0.5,      123.456789, 1234567.8901, 1e20,     1.5e-10, 1e100,        -2.5e-7,
                           0.1 + 0.2, 3.0e6,      12559 / 1e6,  1 / 3.0,  2 / 3.0, 9999999999.0, 12345678901.0};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        aff_jw w;
        aff_jw_init(&w);
        aff_jw_real(&w, vals[i], 10);
        AFF_CHECK_INT(aff_jw_finish(&w), 0);
        json_t *r = json_real(vals[i]);
        char *want = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(10));
        AFF_CHECK(want != NULL && w.buf != NULL);
        if (want != NULL && w.buf != NULL && strcmp(want, w.buf) != 0)
            aff_test_fail(__FILE__, __LINE__, "%.17g: jansson \"%s\", jsonw \"%s\"", vals[i], want, w.buf);
        free(want);
        json_decref(r);
        aff_jw_free(&w);
    }
    aff_jw w;
    aff_jw_init(&w);
    aff_jw_begin_array(&w);
    aff_jw_real(&w, 1.0 / 0.0, 10);
    aff_jw_real(&w, 0.0 / 0.0, 10);
    aff_jw_real(&w, 0.25, 10);
    aff_jw_end_array(&w);
    AFF_CHECK_INT(aff_jw_finish(&w), 0);
    AFF_CHECK_STR(w.buf, "[null,null,0.25]");
    aff_jw_free(&w);
}
