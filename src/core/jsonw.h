/*
 * jsonw.h - a streaming JSON text writer for hot answers (conversions), where building
 * a jansson tree and dumping it cost more than the conversion itself (profiled: 120k
 * instructions per answer). Writes compact JSON into a growing buffer; commas are
 * managed by a nesting stack. Bounded: nesting depth AFF_JW_DEPTH, and the first error
 * (out of memory, too deep) sticks and is reported by aff_jw_finish.
 * Strings are escaped per RFC 8259 (", \ and control characters); input must be UTF-8.
 */
#ifndef AFF_CORE_JSONW_H
#define AFF_CORE_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define AFF_JW_DEPTH 16

typedef struct aff_jw {
    char *buf;
    size_t len, cap;
    int depth;
    unsigned char first[AFF_JW_DEPTH]; /* 1 until the level's first member is written */
    int err;
} aff_jw;

void aff_jw_init(aff_jw *w);
void aff_jw_free(aff_jw *w);
void aff_jw_begin_object(aff_jw *w);
void aff_jw_end_object(aff_jw *w);
void aff_jw_begin_array(aff_jw *w);
void aff_jw_end_array(aff_jw *w);
/* A member name inside an object; the value call follows. name is chosen by the code
 * (a plain identifier such as "order_id"): it is written as is, without escaping. */
void aff_jw_key(aff_jw *w, const char *name);
void aff_jw_string(aff_jw *w, const char *s);
/* s, or null when s is NULL or empty. */
void aff_jw_string_or_null(aff_jw *w, const char *s);
void aff_jw_int(aff_jw *w, int64_t v);
/* v, or null when v is 0 (ids). */
/* A real as jansson writes it with JSON_REAL_PRECISION(precision); inf and nan: null. */
void aff_jw_real(aff_jw *w, double v, int precision);
void aff_jw_id(aff_jw *w, int64_t v);
void aff_jw_bool(aff_jw *w, int v);
void aff_jw_null(aff_jw *w);
/* Already valid JSON text (trusted: stored by us). */
void aff_jw_raw(aff_jw *w, const char *json);
/* 0 and the NUL-terminated text in w->buf (length w->len), or the first error. */
int aff_jw_finish(aff_jw *w);

#endif
