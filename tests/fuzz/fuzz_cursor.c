/*
 * fuzz_cursor.c - aff_cursor_decode (core/cursor.h), the parser of a list's `cursor`
 * query parameter, which any client sends.
 *
 * Input: the cursor text.
 * Checks: decoding returns 0 or AFF_EINVAL; an accepted cursor has a key 0..99, an id
 * >= 0 (0 with a text id of [0-9a-z]), a text value within AFF_CURSOR_TEXT_MAX, and re-encodes to a cursor that
 * decodes to the same fields (the text form is canonical up to base32 case).
 */
#include "fuzz.h"

#include "core/cursor.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_memdup(data, size);
    aff_cursor c, again;
    char text[AFF_CURSOR_MAX + 1];
    int rc = aff_cursor_decode(s, size, &c);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    if (rc == AFF_OK) {
        FUZZ_CHECK(c.key >= 0 && c.key <= 99 && c.id >= 0);
        FUZZ_CHECK(!c.is_text || strlen(c.sval) <= AFF_CURSOR_TEXT_MAX);
        FUZZ_CHECK(strlen(c.tid) <= AFF_CURSOR_TID_MAX && (c.tid[0] == '\0' || c.id == 0));
        FUZZ_CHECK(strspn(c.tid, "0123456789abcdefghijklmnopqrstuvwxyz") == strlen(c.tid));
        FUZZ_CHECK(aff_cursor_encode(&c, text, sizeof(text)) == AFF_OK);
        FUZZ_CHECK(aff_cursor_decode(text, strlen(text), &again) == AFF_OK);
        FUZZ_CHECK(again.key == c.key && again.desc == c.desc && again.id == c.id && again.is_text == c.is_text &&
                   strcmp(again.tid, c.tid) == 0);
        FUZZ_CHECK(c.is_text ? strcmp(again.sval, c.sval) == 0 : again.ival == c.ival);
    }
    free(s);
    return 0;
}
