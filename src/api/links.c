/* links.c - /v1/links and /v1/coupons (admin) and /v1/me/links (affiliate): field
 * validation and jobs. A link's destination must match its program's allowed_domains
 * (checked in track/catalog.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "track/catalog.h"

static int apply_subs(json_t *in, aff_link_row *r, aff_errinfo *err)
{
    for (int i = 0; i < 5; i++) {
        static const char *const names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
        json_t *v = json_object_get(in, names[i]);
        if (v != NULL && json_is_null(v))
            r->sub[i][0] = '\0';
        else {
            int rc = aff_field_str(in, names[i], 0, 1, AFF_SUB_MAX, r->sub[i], sizeof(r->sub[i]), NULL, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int apply_destination(json_t *in, const char *name, aff_link_row *r, aff_errinfo *err)
{
    json_t *v = json_object_get(in, name);
    if (v != NULL && json_is_null(v)) {
        r->destination_url[0] = '\0';
        return 0;
    }
    int rc = aff_field_str(in, name, 0, 0, AFF_URL_MAX, r->destination_url, sizeof(r->destination_url), NULL, err);
    if (rc == 0 && err != NULL)
        err->field = NULL;
    return rc;
}

static int apply_code(json_t *in, char *code, aff_errinfo *err)
{
    int present;
    int rc = aff_field_str(in, "code", 0, 0, AFF_CODE_MAX, code, AFF_CODE_MAX + 1, &present, err);
    if (rc == 0 && present && !aff_code_valid(code, strlen(code)))
        return aff_fail(err, AFF_EINVAL, "code", "code: 1 to 64 of A-Z a-z 0-9 _ -");
    return rc;
}

typedef struct member_find {
    int64_t program_id;
    int found;
} member_find;

static int find_member(void *ud, int64_t program_id, int64_t link_id)
{
    member_find *m = ud;
    m->found = program_id == m->program_id;
    return m->found; /* 1: stop, found */
}

/* An affiliate creates links only in its programs (the store's membership rule: a link
 * in it, its sign-up's program, an approved application). Any other program is refused
 * exactly as one that does not exist: a link would make it one of its programs, with
 * its creatives, announcements and terms, without the admin ever admitting it. */
static int check_member(aff_ctx *ctx, int64_t affiliate_id, int64_t program_id, aff_errinfo *err)
{
    member_find m = {program_id, 0};
    int rc = aff_store_member_list(ctx->st, affiliate_id, find_member, &m);
    if (rc == 0 && !m.found)
        rc = aff_fail(err, AFF_EINVAL, "program_id", "no program %lld", (long long)program_id);
    return rc;
}

/* The destination field is "destination_url" for admins and "url" for affiliates; a
 * domain error from the catalog names "destination_url", rename it to what was sent. */
static int create_link(aff_api_job *j, aff_ctx *ctx, aff_job *job, int by_affiliate)
{
    static const char *const admin_fields[] = {
        "program_id", "affiliate_id", "code", "destination_url", "sub1", "sub2", "sub3", "sub4", "sub5", NULL};
    static const char *const me_fields[] = {"program_id", "url", "code", "sub1", "sub2", "sub3", "sub4", "sub5", NULL};
    aff_link_row *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return AFF_ENOMEM;
    const char *dest_name = by_affiliate ? "url" : "destination_url";
    int rc = aff_field_only(j->in, by_affiliate ? me_fields : admin_fields, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 1, 1, INT64_MAX, &r->program_id, NULL, &job->err);
    if (rc == 0 && !by_affiliate)
        rc = aff_field_int(j->in, "affiliate_id", 1, 1, INT64_MAX, &r->affiliate_id, NULL, &job->err);
    if (by_affiliate) {
        r->affiliate_id = j->affiliate_id;
        const aff_snap_affiliate *a = aff_snap_affiliate_get(ctx->snap, j->affiliate_id);
        if (rc == 0 && (a == NULL || a->status != AFF_AFF_APPROVED))
            rc = aff_fail(&job->err, AFF_EFORBIDDEN, NULL, "only approved affiliates can create links");
        if (rc == 0)
            rc = check_member(ctx, j->affiliate_id, r->program_id, &job->err);
    }
    if (rc == 0)
        rc = apply_code(j->in, r->code, &job->err);
    if (rc == 0)
        rc = apply_destination(j->in, dest_name, r, &job->err);
    if (rc == 0)
        rc = apply_subs(j->in, r, &job->err);
    if (rc == 0)
        rc = aff_catalog_link_create(ctx, r, &job->err);
    if (rc != 0 && job->err.field != NULL && strcmp(job->err.field, "destination_url") == 0)
        job->err.field = dest_name;
    if (rc == 0) {
        j->out = aff_render_link(r, j->public_url);
        j->status = 201;
    }
    free(r);
    return rc;
}

static int run_create(aff_job *job, aff_ctx *ctx)
{
    return create_link(AFF_API_JOB(job), ctx, job, 0);
}

static int run_me_create(aff_job *job, aff_ctx *ctx)
{
    return create_link(AFF_API_JOB(job), ctx, job, 1);
}

static int run_patch(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"destination_url", "sub1", "sub2", "sub3", "sub4", "sub5", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    aff_link_row *r = malloc(sizeof(*r));
    int rc = r ? aff_store_link_get(ctx->st, j->id, r) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such link");
    if (rc == 0)
        rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = apply_destination(j->in, "destination_url", r, &job->err);
    if (rc == 0)
        rc = apply_subs(j->in, r, &job->err);
    if (rc == 0)
        rc = aff_catalog_link_update(ctx, r, &job->err);
    if (rc == 0)
        j->out = aff_render_link(r, j->public_url);
    free(r);
    return rc;
}

/* Get a link; affiliates see only their own (anything else is "not found"). */
static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_link_row *r = malloc(sizeof(*r));
    int rc = r ? aff_store_link_get(ctx->st, j->id, r) : AFF_ENOMEM;
    if (rc == 0 && j->role == AFF_ROLE_AFFILIATE && r->affiliate_id != j->affiliate_id)
        rc = AFF_ENOTFOUND;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such link");
    if (rc == 0)
        j->out = aff_render_link(r, j->public_url);
    free(r);
    return rc;
}

AFF_API_LISTER(run_list, aff_link_row, aff_store_link_list, aff_render_link)

void aff_api_links_create(aff_http *h)
{
    aff_api_submit_body(h, run_create, 0);
}
void aff_api_links_patch(aff_http *h)
{
    aff_api_submit_body(h, run_patch, 1);
}
void aff_api_links_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}
static const aff_api_list_spec links_spec = {
    "links", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(CODE) | AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE), 1, 1, 0};
static const aff_api_list_spec coupons_spec = {
    "coupons", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(CODE) | AFF_SORT_BIT(PROGRAM) | AFF_SORT_BIT(AFFILIATE), 1, 1, 0};
void aff_api_links_list(aff_http *h)
{
    aff_api_submit_list(h, run_list, &links_spec);
}
void aff_api_me_links_create(aff_http *h)
{
    aff_api_submit_body(h, run_me_create, 0);
}
void aff_api_me_links_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}

void aff_api_me_links_list(aff_http *h)
{
    aff_api_submit_list(h, run_list, &links_spec);
}

/* ---- coupons ------------------------------------------------------------------------- */

static int run_coupon_create(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"code", "program_id", "affiliate_id", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    aff_coupon_row r = {0};
    int present;
    int rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_field_str(j->in, "code", 1, 0, AFF_CODE_MAX, r.code, sizeof(r.code), &present, &job->err);
    if (rc == 0 && !aff_code_valid(r.code, strlen(r.code)))
        rc = aff_fail(&job->err, AFF_EINVAL, "code", "code: 1 to 64 of A-Z a-z 0-9 _ -");
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 1, 1, INT64_MAX, &r.program_id, NULL, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "affiliate_id", 1, 1, INT64_MAX, &r.affiliate_id, NULL, &job->err);
    for (char *p = r.code; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    if (rc == 0)
        rc = aff_catalog_coupon_create(ctx, &r, &job->err);
    if (rc == 0) {
        j->out = aff_render_coupon(&r);
        j->status = 201;
    }
    return rc;
}

static int run_coupon_patch(aff_job *job, aff_ctx *ctx)
{
    static const char *const fields[] = {"affiliate_id", NULL};
    aff_api_job *j = AFF_API_JOB(job);
    aff_coupon_row r;
    int rc = aff_store_coupon_get(ctx->st, j->id, &r);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, rc, NULL, "no such coupon");
    if (rc == 0)
        rc = aff_field_only(j->in, fields, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "affiliate_id", 0, 1, INT64_MAX, &r.affiliate_id, NULL, &job->err);
    if (rc == 0)
        rc = aff_catalog_coupon_update(ctx, &r, &job->err);
    if (rc == 0)
        j->out = aff_render_coupon(&r);
    return rc;
}

static int run_coupon_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_coupon_row r;
    int rc = aff_store_coupon_get(ctx->st, j->id, &r);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, rc, NULL, "no such coupon");
    if (rc == 0)
        j->out = aff_render_coupon(&r);
    return rc;
}

AFF_API_LISTER(run_coupon_list, aff_coupon_row, aff_store_coupon_list, aff_render_coupon_u)

void aff_api_coupons_create(aff_http *h)
{
    aff_api_submit_body(h, run_coupon_create, 0);
}
void aff_api_coupons_patch(aff_http *h)
{
    aff_api_submit_body(h, run_coupon_patch, 1);
}
void aff_api_coupons_get(aff_http *h)
{
    aff_api_submit_get(h, run_coupon_get);
}
void aff_api_coupons_list(aff_http *h)
{
    aff_api_submit_list(h, run_coupon_list, &coupons_spec);
}
