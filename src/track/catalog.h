/*
 * catalog.h - creating and changing programs, affiliates, links, coupons and API keys
 * (writer thread, inside the batch transaction). Every successful call marks the
 * catalog changed, so the writer publishes a new snapshot before answering.
 *
 * Owns: referential checks (a link's program and affiliate exist, an affiliate's parent
 * exists and is not itself or a descendant), deep-link destinations against the
 * program's allowed_domains, generated codes, tokens and keys, commission plan
 * versions. Does not own: field syntax (api/ checks it before submitting).
 */
#ifndef AFF_TRACK_CATALOG_H
#define AFF_TRACK_CATALOG_H

#include "track/pool.h"

#define AFF_API_KEY_LEN 40 /* "ak_" + 32 base32 characters (160 random bits) + NUL < 40 */

/* Insert a program: generates postback_token, sets commission_version 1 and stores the
 * plan. row->plan_json must already be canonical (aff_plan_parse). */
int aff_catalog_program_create(aff_ctx *ctx, aff_program_row *row, aff_errinfo *err);
/* Replace a program with next (same id); a changed plan_json becomes a new version. */
int aff_catalog_program_update(aff_ctx *ctx, const aff_program_row *prev, aff_program_row *next, aff_errinfo *err);

/* Insert an affiliate and its API key; the plain key is written to api_key (shown once). */
int aff_catalog_affiliate_create(aff_ctx *ctx, aff_affiliate_row *row, char api_key[AFF_API_KEY_LEN], aff_errinfo *err);
int aff_catalog_affiliate_update(aff_ctx *ctx, aff_affiliate_row *next, aff_errinfo *err);

/* Insert a link; an empty code gets a generated one. AFF_EEXIST (field "code") when a
 * vanity code is taken. */
int aff_catalog_link_create(aff_ctx *ctx, aff_link_row *row, aff_errinfo *err);
int aff_catalog_link_update(aff_ctx *ctx, aff_link_row *next, aff_errinfo *err);

int aff_catalog_coupon_create(aff_ctx *ctx, aff_coupon_row *row, aff_errinfo *err);
int aff_catalog_coupon_update(aff_ctx *ctx, aff_coupon_row *next, aff_errinfo *err);

/* Store the SHA-256 of key under role ("admin" or "affiliate"). */
int aff_catalog_key_add(aff_ctx *ctx, const char *key, const char *role, int64_t affiliate_id);

/* Make a new random API key ("ak_..."). */
int aff_catalog_new_key(char key[AFF_API_KEY_LEN]);

#endif
