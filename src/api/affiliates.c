/* affiliates.c - /v1/affiliates: field validation and CRUD jobs. Creation answers the
 * affiliate's API key once; only its SHA-256 is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "track/catalog.h"

static const char *const fields[] = {"name",  "email",         "status",         "parent_id",
                                     "group", "payout_method", "payout_account", NULL};
static const char *const methods[] = {"paypal", "bank", "other", NULL};

static int apply_fields(json_t *in, aff_affiliate_row *r, int creating, aff_errinfo *err)
{
    int rc, present;
    if ((rc = aff_field_only(in, fields, err)) != 0 ||
        (rc = aff_field_str(in, "name", creating, 0, AFF_NAME_MAX, r->name, sizeof(r->name), NULL, err)) != 0 ||
        (rc = aff_field_str(in, "email", creating, 0, AFF_EMAIL_MAX, r->email, sizeof(r->email), &present, err)) != 0 ||
        (rc = aff_field_enum(in, "status", aff_api_statuses_affiliate, r->status, sizeof(r->status), NULL, err)) != 0 ||
        (rc = aff_field_str(in, "group", 0, 1, AFF_GROUP_MAX, r->group, sizeof(r->group), NULL, err)) != 0 ||
        (rc = aff_field_enum(in, "payout_method", methods, r->payout_method, sizeof(r->payout_method), NULL, err)) !=
            0 ||
        (rc = aff_field_str(in, "payout_account", 0, 1, AFF_EMAIL_MAX, r->payout_account, sizeof(r->payout_account),
                            NULL, err)) != 0)
        return rc;
    if (present) {
        const char *at = strchr(r->email, '@');
        if (at == NULL || at == r->email || at[1] == '\0' || strchr(r->email, ' ') != NULL)
            return aff_fail(err, AFF_EINVAL, "email", "email: not an e-mail address");
    }
    json_t *parent = json_object_get(in, "parent_id");
    if (parent != NULL && json_is_null(parent))
        r->parent_id = 0;
    else if ((rc = aff_field_int(in, "parent_id", 0, 1, INT64_MAX, &r->parent_id, NULL, err)) != 0)
        return rc;
    return 0;
}

static int run_create(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_affiliate_row r = {0};
    char key[AFF_API_KEY_LEN];
    snprintf(r.status, sizeof(r.status), "approved");
    int rc = apply_fields(j->in, &r, 1, &job->err);
    if (rc == 0)
        rc = aff_catalog_affiliate_create(ctx, &r, key, &job->err);
    if (rc == 0) {
        j->out = aff_render_affiliate(&r);
        json_object_set_new(j->out, "api_key", json_string(key));
        j->status = 201;
    }
    return rc;
}

static int run_patch(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_affiliate_row r;
    int rc = aff_store_affiliate_get(ctx->st, j->id, &r);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, rc, NULL, "no such affiliate");
    if (rc == 0)
        rc = apply_fields(j->in, &r, 0, &job->err);
    if (rc == 0)
        rc = aff_catalog_affiliate_update(ctx, &r, &job->err);
    if (rc == 0)
        j->out = aff_render_affiliate(&r);
    return rc;
}

static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_affiliate_row r;
    int rc = aff_store_affiliate_get(ctx->st, j->id, &r);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, rc, NULL, "no such affiliate");
    if (rc == 0)
        j->out = aff_render_affiliate(&r);
    return rc;
}

AFF_API_LISTER(run_list, aff_affiliate_row, aff_store_affiliate_list, aff_render_affiliate_u)

void aff_api_affiliates_create(aff_http *h)
{
    aff_api_submit_body(h, run_create, 0);
}
void aff_api_affiliates_patch(aff_http *h)
{
    aff_api_submit_body(h, run_patch, 1);
}
void aff_api_affiliates_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}
static const aff_api_list_spec list_spec = {"affiliates",
                                            AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(NAME) | AFF_SORT_BIT(EMAIL) |
                                                AFF_SORT_BIT(STATUS),
                                            1,
                                            1,
                                            0,
                                            0,
                                            aff_api_statuses_affiliate};
void aff_api_affiliates_list(aff_http *h)
{
    aff_api_submit_list(h, run_list, &list_spec);
}
