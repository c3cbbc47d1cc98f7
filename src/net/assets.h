/*
 * assets.h - the dashboard's static files, embedded into the binary at build time.
 *
 * Owns: the table's shape and serving it (net/static.c). The table itself is generated
 * by scripts/embed-web.js from web/ and a few npm module files (Makefile rule), so the
 * binary serves the exact files it was built with and needs nothing on disk.
 */
#ifndef AFF_NET_ASSETS_H
#define AFF_NET_ASSETS_H

#include <stddef.h>

typedef struct aff_asset {
    const char *path; /* URL path: "/" or "/assets/..." */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted strong validator: a SHA-256 prefix of data */
} aff_asset;

extern const aff_asset aff_assets[];
extern const size_t aff_nassets;

/* The asset at path (without query), or NULL. */
const aff_asset *aff_asset_find(const char *path, size_t len);

/* The security headers of every page and asset: a Content-Security-Policy without
 * inline scripts or styles, frame-ancestors 'none', nosniff, no referrer off-site. */
#define AFF_CSP                                                                                          \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';" \
    " font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

#endif
