/*
 * fuzz_image.c - uploaded banners: aff_image_sniff and aff_image_looks_like_markup
 * (core/image.h) read the first bytes of any request body an admin sends.
 *
 * Checks: an accepted input is one of the four types with a matching extension, its
 * sizes are 0..100000 (0: unknown), and it starts with that type's magic bytes; a
 * refused one leaves the info zeroed; an input that looks like markup is never accepted.
 */
#include "fuzz.h"

#include "core/err.h"
#include "core/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = (unsigned char *)fuzz_memdup(data, size);
    aff_image_info i;
    int rc = aff_image_sniff(p, size, &i);
    if (rc == 0) {
        FUZZ_CHECK(i.mime != NULL && i.ext != NULL);
        FUZZ_CHECK(aff_image_mime_of_ext(i.ext) != NULL && strcmp(aff_image_mime_of_ext(i.ext), i.mime) == 0);
        FUZZ_CHECK(i.width >= 0 && i.width <= 100000 && i.height >= 0 && i.height <= 100000);
        if (strcmp(i.ext, "png") == 0)
            FUZZ_CHECK(size >= 8 && p[0] == 0x89 && memcmp(p + 1, "PNG", 3) == 0);
        else if (strcmp(i.ext, "gif") == 0)
            FUZZ_CHECK(size >= 10 && memcmp(p, "GIF8", 4) == 0);
        else if (strcmp(i.ext, "webp") == 0)
            FUZZ_CHECK(size >= 16 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0);
        else
            FUZZ_CHECK(size >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff);
        FUZZ_CHECK(!aff_image_looks_like_markup(p, size));
    } else {
        FUZZ_CHECK(rc == AFF_EINVAL);
        FUZZ_CHECK(i.mime == NULL && i.ext == NULL && i.width == 0 && i.height == 0);
    }
    free(p);
    return 0;
}
