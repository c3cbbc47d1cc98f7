/*
 * image.h - what kind of image a byte string is, from its magic bytes, and its size in
 * pixels when the header says so cheaply. Used for uploaded banners (api/content.c):
 * the type a client declares is never trusted.
 *
 * Accepted: PNG, JPEG, GIF, WebP. Refused: everything else, SVG included (it is a
 * document that may carry scripts; see docs/api.md "Creatives"). Pure, no allocation,
 * thread-safe; reads only the n bytes given.
 */
#ifndef AFF_CORE_IMAGE_H
#define AFF_CORE_IMAGE_H

#include <stddef.h>

typedef struct aff_image_info {
    const char *mime;  /* "image/png", "image/jpeg", "image/gif", "image/webp" */
    const char *ext;   /* "png", "jpg", "gif", "webp" */
    int width, height; /* 0 when the header does not say (a JPEG without a frame header) */
} aff_image_info;

/* Identify p[0..n). Returns 0 with *out filled, or AFF_EINVAL when it is none of the
 * accepted types (out is then zeroed). */
int aff_image_sniff(const unsigned char *p, size_t n, aff_image_info *out);

/* Does p[0..n) look like an SVG or other XML document (after an optional UTF-8 BOM and
 * white space, it starts with "<")? For a precise refusal message. */
int aff_image_looks_like_markup(const unsigned char *p, size_t n);

/* The mime type of an accepted extension ("png", ...), or NULL. */
const char *aff_image_mime_of_ext(const char *ext);

#endif
