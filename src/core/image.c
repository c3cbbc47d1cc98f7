/* image.c - image type and size from magic bytes; see image.h. */
#include "core/image.h"

#include <string.h>

#include "core/err.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}
static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}
static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}
static unsigned long le24(const unsigned char *p)
{
    return (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

/* Pixel sizes above this are reported as unknown (0) rather than trusted. */
#define DIM_MAX 100000UL

static int dim(unsigned long v)
{
    return v <= DIM_MAX ? (int)v : 0;
}

static int sniff_png(const unsigned char *p, size_t n, aff_image_info *o)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 8 || memcmp(p, sig, 8) != 0)
        return 0;
    o->mime = "image/png", o->ext = "png";
    if (n >= 24 && memcmp(p + 12, "IHDR", 4) == 0)
        o->width = dim(be32(p + 16)), o->height = dim(be32(p + 20));
    return 1;
}

static int sniff_gif(const unsigned char *p, size_t n, aff_image_info *o)
{
    if (n < 10 || (memcmp(p, "GIF87a", 6) != 0 && memcmp(p, "GIF89a", 6) != 0))
        return 0;
    o->mime = "image/gif", o->ext = "gif";
    o->width = (int)le16(p + 6), o->height = (int)le16(p + 8);
    return 1;
}

static int sniff_webp(const unsigned char *p, size_t n, aff_image_info *o)
{
    if (n < 16 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WEBPVP8", 7) != 0)
        return 0;
    o->mime = "image/webp", o->ext = "webp";
    if (p[15] == ' ' && n >= 30 && p[23] == 0x9d && p[24] == 0x01 && p[25] == 0x2a) { /* lossy */
        o->width = (int)(le16(p + 26) & 0x3fff), o->height = (int)(le16(p + 28) & 0x3fff);
    } else if (p[15] == 'L' && n >= 25 && p[20] == 0x2f) { /* lossless: 14 bits each, minus one */
        unsigned long b =
            (unsigned long)p[21] | (unsigned long)p[22] << 8 | (unsigned long)p[23] << 16 | (unsigned long)p[24] << 24;
        o->width = (int)(b & 0x3fff) + 1, o->height = (int)((b >> 14) & 0x3fff) + 1;
    } else if (p[15] == 'X' && n >= 30) { /* extended: 24-bit canvas size minus one */
        o->width = dim(le24(p + 24) + 1), o->height = dim(le24(p + 27) + 1);
    } else if (p[15] != ' ' && p[15] != 'L' && p[15] != 'X') {
        memset(o, 0, sizeof(*o));
        return 0;
    }
    return 1;
}

/* SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
static int is_sof(unsigned m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static int sniff_jpeg(const unsigned char *p, size_t n, aff_image_info *o)
{
    if (n < 4 || p[0] != 0xff || p[1] != 0xd8 || p[2] != 0xff)
        return 0;
    o->mime = "image/jpeg", o->ext = "jpg";
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xff)
            break; /* not a marker: give up on the size, the type stands */
        while (i < n && p[i] == 0xff)
            i++;
        if (i >= n)
            break;
        unsigned m = p[i++];
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8))
            continue; /* markers without a length */
        if (m == 0xd9 || m == 0xda || i + 2 > n)
            break; /* end of image or start of scan before any frame header */
        size_t len = be16(p + i);
        if (len < 2)
            break;
        if (is_sof(m)) {
            if (i + 7 <= n)
                o->height = (int)be16(p + i + 3), o->width = (int)be16(p + i + 5);
            break;
        }
        i += len;
    }
    return 1;
}

int aff_image_sniff(const unsigned char *p, size_t n, aff_image_info *out)
{
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return AFF_EINVAL;
    if (sniff_png(p, n, out) || sniff_gif(p, n, out) || sniff_webp(p, n, out) || sniff_jpeg(p, n, out))
        return 0;
    memset(out, 0, sizeof(*out));
    return AFF_EINVAL;
}

int aff_image_looks_like_markup(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '<';
}

const char *aff_image_mime_of_ext(const char *ext)
{
    static const char *const map[][2] = {
        {"png", "image/png"}, {"jpg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(ext, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}
