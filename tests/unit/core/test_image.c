/* test_image.c - unit tests for src/core/image.c: each accepted type from its magic
 * bytes with its pixel size, truncated headers (type kept, size unknown), and refusals
 * (SVG and other markup, unknown bytes, lookalikes). */
#include "core/err.h"
#include "core/image.h"
#include "../test.h"

static int sniff(const unsigned char *p, size_t n, aff_image_info *i)
{
    return aff_image_sniff(p, n, i);
}

AFF_TEST(image_png_gif_sizes)
{
    aff_image_info i;
    const unsigned char png[24] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                   'I',  'H', 'D', 'R', 0,    0,    0x01, 0x2c, 0, 0, 0, 0xfa};
    AFF_CHECK_INT(sniff(png, sizeof(png), &i), AFF_OK);
    AFF_CHECK_STR(i.mime, "image/png");
    AFF_CHECK_STR(i.ext, "png");
    AFF_CHECK_INT(i.width, 300);
    AFF_CHECK_INT(i.height, 250);
    AFF_CHECK_INT(sniff(png, 16, &i), AFF_OK); /* truncated: a PNG of unknown size */
    AFF_CHECK_INT(i.width, 0);
    AFF_CHECK_INT(sniff(png, 7, &i), AFF_EINVAL);
    const unsigned char gif[10] = {'G', 'I', 'F', '8', '7', 'a', 0x78, 0x00, 0x3c, 0x00};
    AFF_CHECK_INT(sniff(gif, sizeof(gif), &i), AFF_OK);
    AFF_CHECK_STR(i.mime, "image/gif");
    AFF_CHECK(i.width == 120 && i.height == 60);
    const unsigned char gif88[10] = {'G', 'I', 'F', '8', '8', 'a', 1, 0, 1, 0};
    AFF_CHECK_INT(sniff(gif88, sizeof(gif88), &i), AFF_EINVAL);
}

AFF_TEST(image_jpeg_frame_after_segments)
{
    aff_image_info i;
    /* SOI, an APP0 segment of 4 bytes, then SOF0 with height 90, width 160. */
    const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 'J',  'F',  0xff,
                                 0xc0, 0x00, 0x11, 0x08, 0x00, 0x5a, 0x00, 0xa0, 0x03};
    AFF_CHECK_INT(sniff(jpg, sizeof(jpg), &i), AFF_OK);
    AFF_CHECK_STR(i.mime, "image/jpeg");
    AFF_CHECK(i.width == 160 && i.height == 90);
    /* DHT (0xc4) is not a frame header: the size stays unknown. */
    const unsigned char dht[] = {0xff, 0xd8, 0xff, 0xc4, 0x00, 0x07, 0x08, 0x00, 0x5a, 0x00, 0xa0};
    AFF_CHECK_INT(sniff(dht, sizeof(dht), &i), AFF_OK);
    AFF_CHECK(i.width == 0 && i.height == 0);
    /* A segment length pointing past the end: still a JPEG, size unknown, no overread. */
    const unsigned char cut[] = {0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff};
    AFF_CHECK_INT(sniff(cut, sizeof(cut), &i), AFF_OK);
    AFF_CHECK_INT(i.width, 0);
}

AFF_TEST(image_webp_variants)
{
    aff_image_info i;
    unsigned char x[30] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'};
    x[24] = 0xd7, x[25] = 0x02; /* 727 -> 728 */
    x[27] = 0x59;               /* 89 -> 90 */
    AFF_CHECK_INT(sniff(x, sizeof(x), &i), AFF_OK);
    AFF_CHECK_STR(i.mime, "image/webp");
    AFF_CHECK(i.width == 728 && i.height == 90);
    unsigned char l[25] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'};
    l[20] = 0x2f;
    /* width-1 = 99, height-1 = 49: bits 0..13 and 14..27 */
    unsigned long b = 99UL | 49UL << 14;
    l[21] = b & 0xff, l[22] = (b >> 8) & 0xff, l[23] = (b >> 16) & 0xff, l[24] = (b >> 24) & 0xff;
    AFF_CHECK_INT(sniff(l, sizeof(l), &i), AFF_OK);
    AFF_CHECK(i.width == 100 && i.height == 50);
    unsigned char other[16] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', '?'};
    AFF_CHECK_INT(sniff(other, sizeof(other), &i), AFF_EINVAL);
    unsigned char wav[16] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' '};
    AFF_CHECK_INT(sniff(wav, sizeof(wav), &i), AFF_EINVAL);
}

AFF_TEST(image_refuses_markup_and_unknown)
{
    aff_image_info i;
    const char *svg = "\xef\xbb\xbf  <svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    AFF_CHECK_INT(sniff((const unsigned char *)svg, strlen(svg), &i), AFF_EINVAL);
    AFF_CHECK(i.mime == NULL);
    AFF_CHECK_INT(aff_image_looks_like_markup((const unsigned char *)svg, strlen(svg)), 1);
    AFF_CHECK_INT(aff_image_looks_like_markup((const unsigned char *)"GIF89a", 6), 0);
    AFF_CHECK_INT(sniff((const unsigned char *)"MZ\x90", 3, &i), AFF_EINVAL);
    AFF_CHECK_INT(sniff((const unsigned char *)"", 0, &i), AFF_EINVAL);
    AFF_CHECK_INT(sniff(NULL, 0, &i), AFF_EINVAL);
    AFF_CHECK_STR(aff_image_mime_of_ext("webp"), "image/webp");
    AFF_CHECK(aff_image_mime_of_ext("svg") == NULL);
}
