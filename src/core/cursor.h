/*
 * cursor.h - the opaque page cursors of sorted lists (docs/api.md "Lists").
 *
 * Owns: the cursor's text form. A cursor names the sort it belongs to (key and
 * direction) and the last row of a page: its sort value (an integer or a text) and its
 * id, so that the next page starts strictly after (value, id) and rows whose values tie
 * are neither skipped nor repeated. The id is an integer, or for rows whose key is a text
 * (clicks: their click id) that text. Does not own: which sorts a list has (api/) or how
 * a store seeks to the position (store/).
 * Text form: lower-case base32 (core/crypto.h) of "1.<key>.<a|d>.<id>.<i|s><value>",
 * where <id> is decimal or "t" and 1..AFF_CURSOR_TID_MAX of [0-9a-z]; at most
 * AFF_CURSOR_MAX characters; URL-safe, so no escaping in a query string.
 */
#ifndef AFF_CORE_CURSOR_H
#define AFF_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define AFF_CURSOR_TEXT_MAX 256 /* bytes of a text sort value kept in a cursor */
#define AFF_CURSOR_TID_MAX 40   /* characters of a text id (a click id has 32) */
#define AFF_CURSOR_MAX 512      /* characters of an encoded cursor */

typedef struct aff_cursor {
    int key;                          /* the sort key (store.h AFF_SORT_*), 0..99 */
    int desc;                         /* 1: descending */
    int64_t id;                       /* the last row's id (0 when it has a text id) */
    char tid[AFF_CURSOR_TID_MAX + 1]; /* the last row's text id ([0-9a-z]), "" for an integer id */
    int is_text;                      /* which of ival / sval holds the sort value */
    int64_t ival;
    char sval[AFF_CURSOR_TEXT_MAX + 1];
} aff_cursor;

/* Encode c into out (cap bytes, AFF_CURSOR_MAX + 1 is always enough), NUL-terminated.
 * Returns 0, or AFF_EINVAL when c->key is out of range or a text value is longer than
 * AFF_CURSOR_TEXT_MAX, AFF_ETOOBIG when cap is too small. */
int aff_cursor_encode(const aff_cursor *c, char *out, size_t cap);

/* Decode len characters of s into c. Returns 0, or AFF_EINVAL for anything that
 * aff_cursor_encode did not produce (bad characters, version, fields, ranges). */
int aff_cursor_decode(const char *s, size_t len, aff_cursor *c);

#endif
