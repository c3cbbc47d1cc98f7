/*
 * users.c - dashboard users: POST/GET /v1/users (admin) and POST /v1/signup, a public
 * application as an affiliate when affiliate_signup is on (docs/api.md).
 *
 * Owns: validating and creating users (admins, affiliates' portal logins, applicants).
 * Does not own: sessions, the rate limit or the Origin check (session.c), affiliates
 * (track/catalog.c creates the applicant's).
 *
 * Where the work runs: hashing a password takes tens of milliseconds, so it runs on a
 * reader: loop (validate) -> reader (check references, hash) -> loop -> writer (insert;
 * for sign-up the pending affiliate and its user in one job, so a lost race on the
 * email undoes the affiliate too) -> loop (answer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/password.h"
#include "track/catalog.h"

#define aff_render_user_u(r, u) aff_render_user(r)

/* ---- POST /v1/users, GET /v1/users ---------------------------------------------------------------- */

typedef struct user_job {
    aff_pending base;
    char password[AFF_PASSWORD_MAX + 1];
    size_t pwlen;
    aff_user_row user;
} user_job;

static void user_cleanup(aff_pending *p)
{
    user_job *j = AFF_CONTAINER_OF(p, user_job, base);
    explicit_bzero(j->password, sizeof(j->password));
}

/* Reader: the affiliate must exist; hash the password (slow by design). */
static int user_prepare(aff_job *job, aff_ctx *ctx)
{
    user_job *j = AFF_CONTAINER_OF(job, user_job, base.job);
    int rc = 0;
    if (j->user.affiliate_id != 0) {
        aff_affiliate_row a;
        rc = aff_store_affiliate_get(ctx->st, j->user.affiliate_id, &a);
        if (rc == AFF_ENOTFOUND)
            return aff_fail(&job->err, AFF_EINVAL, "affiliate_id", "affiliate_id: no such affiliate");
    }
    aff_user_row other;
    if (rc == 0 && aff_store_user_get_by_email(ctx->st, j->user.email, &other) == 0)
        return aff_fail(&job->err, AFF_EEXIST, "email", "email: a user with this email exists");
    if (rc == 0)
        rc = aff_password_hash(j->password, j->pwlen, j->user.password_hash, sizeof(j->user.password_hash));
    explicit_bzero(j->password, sizeof(j->password));
    return rc;
}

static int user_insert(aff_job *job, aff_ctx *ctx)
{
    user_job *j = AFF_CONTAINER_OF(job, user_job, base.job);
    int rc = aff_store_user_insert(ctx->st, &j->user);
    if (rc == AFF_EEXIST)
        return aff_fail(&job->err, AFF_EEXIST, "email", "email: a user with this email exists");
    return rc;
}

static void user_inserted(aff_pending *p, h2o_req_t *req)
{
    user_job *j = AFF_CONTAINER_OF(p, user_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_http_json(req, 201, aff_render_user(&j->user));
}

static void user_prepared(aff_pending *p, h2o_req_t *req)
{
    user_job *j = AFF_CONTAINER_OF(p, user_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_http h = {.req = req, .loop = p->loop};
    user_job *w = aff_pending_new(&h, sizeof(*w), user_insert, user_inserted);
    if (w == NULL) {
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memcpy((char *)w + sizeof(w->base), (char *)j + sizeof(j->base), sizeof(*w) - sizeof(w->base));
    w->base.cleanup = user_cleanup;
    aff_pending_submit(&w->base, 1);
}

void aff_api_users_create(aff_http *h)
{
    json_t *in = aff_http_json_body(h->req);
    if (in == NULL)
        return;
    user_job *j = aff_pending_new(h, sizeof(*j), user_prepare, user_prepared);
    if (j == NULL) {
        json_decref(in);
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->base.cleanup = user_cleanup;
    static const char *const allowed[] = {"email", "password", "role", "affiliate_id", NULL};
    static const char *const roles[] = {"admin", "affiliate", NULL};
    aff_errinfo err = {0};
    int has_aff = 0, has_role = 0;
    int rc = aff_field_only(in, allowed, &err);
    if (rc == 0)
        rc = aff_field_str(in, "email", 1, 0, AFF_EMAIL_MAX, j->user.email, sizeof(j->user.email), NULL, &err);
    if (rc == 0 && !aff_api_email_valid(j->user.email))
        rc = aff_fail(&err, AFF_EINVAL, "email", "email: not an email address");
    if (rc == 0)
        rc = aff_field_str(in, "password", 1, 0, AFF_PASSWORD_MAX, j->password, sizeof(j->password), NULL, &err);
    if (rc == 0 && strlen(j->password) < AFF_PASSWORD_MIN)
        rc = aff_fail(&err, AFF_EINVAL, "password", "password: at least %d characters", AFF_PASSWORD_MIN);
    if (rc == 0)
        rc = aff_field_enum(in, "role", roles, j->user.role, sizeof(j->user.role), &has_role, &err);
    if (rc == 0)
        rc = aff_field_int(in, "affiliate_id", 0, 1, INT64_MAX, &j->user.affiliate_id, &has_aff, &err);
    if (rc == 0 && !has_role)
        snprintf(j->user.role, sizeof(j->user.role), "%s", has_aff ? "affiliate" : "admin");
    if (rc == 0 && strcmp(j->user.role, "affiliate") == 0 && !has_aff)
        rc = aff_fail(&err, AFF_EINVAL, "affiliate_id", "affiliate_id is required for an affiliate's user");
    if (rc == 0 && strcmp(j->user.role, "admin") == 0 && has_aff)
        rc = aff_fail(&err, AFF_EINVAL, "affiliate_id", "affiliate_id: an admin belongs to no affiliate");
    json_decref(in);
    if (rc != 0) {
        aff_pending_discard(&j->base);
        aff_http_error(h->req, rc, &err);
        return;
    }
    aff_api_lower(j->user.email);
    j->pwlen = strlen(j->password);
    j->user.created_ms = aff_clock_now_ms();
    aff_pending_submit(&j->base, 0);
}

AFF_API_LISTER(run_users_list, aff_user_row, aff_store_user_list, aff_render_user_u)

void aff_api_users_list(aff_http *h)
{
    static const aff_api_list_spec spec = {"users", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(EMAIL), 1, 1, 0};
    aff_api_submit_list(h, run_users_list, &spec);
}

/* ---- POST /v1/signup ------------------------------------------------------------------------------- */

typedef struct signup_job {
    user_job u; /* the portal login; u.user.affiliate_id is set by the writer */
    aff_affiliate_row aff;
    aff_application_row app; /* app.program_id 0: a server-wide sign-up, no application */
    int has_terms_version;
} signup_job;

static void signup_cleanup(aff_pending *p)
{
    user_cleanup(p);
}

/* Writer: the pending affiliate and its login, in one transaction (a taken email undoes
 * the affiliate too). */
static int signup_insert(aff_job *job, aff_ctx *ctx)
{
    signup_job *j = AFF_CONTAINER_OF(job, signup_job, u.base.job);
    char key[AFF_API_KEY_LEN];
    aff_affiliate_row a = j->aff;
    if (j->app.program_id != 0) {
        int prc = aff_api_application_terms(ctx, &j->app, j->has_terms_version, &job->err);
        if (prc != 0)
            return prc;
    }
    int rc = aff_catalog_affiliate_create(ctx, &a, key, &job->err);
    explicit_bzero(key, sizeof(key)); /* an applicant gets no API key; an admin can issue one */
    if (rc != 0)
        return rc;
    j->u.user.affiliate_id = a.id;
    j->aff.id = a.id;
    j->aff.created_ms = a.created_ms;
    rc = aff_store_user_insert(ctx->st, &j->u.user);
    if (rc == AFF_EEXIST)
        return aff_fail(&job->err, AFF_EEXIST, "email", "email: a user with this email exists");
    if (rc == 0 && j->app.program_id != 0) {
        j->app.affiliate_id = a.id;
        rc = aff_store_application_insert(ctx->st, &j->app);
    }
    return rc;
}

static void signup_inserted(aff_pending *p, h2o_req_t *req)
{
    signup_job *j = AFF_CONTAINER_OF(p, signup_job, u.base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    json_t *app = json_null();
    if (j->app.program_id != 0)
        app = json_pack("{s:I, s:I, s:i, s:s, s:o}", "id", (json_int_t)j->app.id, "program_id",
                        (json_int_t)j->app.program_id, "terms_version", j->app.terms_version, "terms_hash",
                        j->app.terms_hash, "terms_accepted_at", aff_render_time(j->app.terms_accepted_ms));
    aff_http_json(req, 201,
                  json_pack("{s:o, s:o, s:o}", "affiliate", aff_render_affiliate(&j->aff), "user",
                            aff_render_user(&j->u.user), "application", app));
}

/* Reader: the email must be free; hash the password. */
static int signup_prepare(aff_job *job, aff_ctx *ctx)
{
    signup_job *j = AFF_CONTAINER_OF(job, signup_job, u.base.job);
    aff_user_row other;
    int rc = aff_store_user_get_by_email(ctx->st, j->u.user.email, &other);
    if (rc == 0)
        rc = aff_fail(&job->err, AFF_EEXIST, "email", "email: a user with this email exists");
    else if (rc == AFF_ENOTFOUND)
        rc = aff_password_hash(j->u.password, j->u.pwlen, j->u.user.password_hash, sizeof(j->u.user.password_hash));
    explicit_bzero(j->u.password, sizeof(j->u.password));
    return rc;
}

static void signup_prepared(aff_pending *p, h2o_req_t *req)
{
    signup_job *j = AFF_CONTAINER_OF(p, signup_job, u.base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_http h = {.req = req, .loop = p->loop};
    signup_job *w = aff_pending_new(&h, sizeof(*w), signup_insert, signup_inserted);
    if (w == NULL) {
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memcpy((char *)w + sizeof(w->u.base), (char *)j + sizeof(j->u.base), sizeof(*w) - sizeof(w->u.base));
    w->u.base.cleanup = signup_cleanup;
    aff_pending_submit(&w->u.base, 1);
}

/* The optional application fields: program_id, terms_version, website, promotion. */
static int signup_application(json_t *in, signup_job *j, aff_errinfo *err)
{
    int64_t version = 0;
    int rc = aff_field_int(in, "program_id", 0, 1, INT64_MAX, &j->app.program_id, NULL, err);
    if (rc == 0)
        rc = aff_field_int(in, "terms_version", 0, 0, INT32_MAX, &version, &j->has_terms_version, err);
    if (rc == 0)
        rc = aff_field_str(in, "website", 0, 1, AFF_URL_MAX, j->app.website, sizeof(j->app.website), NULL, err);
    if (rc == 0 && j->app.website[0] && strncmp(j->app.website, "http://", 7) != 0 &&
        strncmp(j->app.website, "https://", 8) != 0)
        rc = aff_fail(err, AFF_EINVAL, "website", "website: an http:// or https:// address");
    if (rc == 0)
        rc = aff_field_text(in, "promotion", 0, AFF_PROMOTION_MAX, j->app.promotion, sizeof(j->app.promotion), NULL,
                            err);
    if (rc == 0 && j->app.program_id == 0 && (j->has_terms_version || j->app.website[0] || j->app.promotion[0]))
        rc = aff_fail(err, AFF_EINVAL, "program_id", "program_id is required with terms_version, website or promotion");
    j->app.terms_version = (int)version;
    return rc;
}

void aff_api_signup(aff_http *h)
{
    if (!aff_api_origin_ok(h->req)) {
        aff_http_errorf(h->req, AFF_EFORBIDDEN, NULL, "sign-up from another origin");
        return;
    }
    json_t *in = aff_http_json_body(h->req);
    if (in == NULL)
        return;
    signup_job *j = aff_pending_new(h, sizeof(*j), signup_prepare, signup_prepared);
    if (j == NULL) {
        json_decref(in);
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->u.base), 0, sizeof(*j) - sizeof(j->u.base));
    j->u.base.cleanup = signup_cleanup;
    static const char *const allowed[] = {
        "name", "email", "password", "accept_terms", "program_id", "website", "promotion", "terms_version", NULL};
    aff_errinfo err = {0};
    int rc = aff_field_only(in, allowed, &err);
    if (rc == 0)
        rc = signup_application(in, j, &err);
    /* A program open to applications takes them whatever affiliate_signup says: its
     * admin opened it. The server-wide form needs affiliate_signup = on. */
    if (rc == 0 && j->app.program_id == 0 && aff_server.cfg->affiliate_signup == 0)
        rc = aff_fail(&err, AFF_EFORBIDDEN, NULL, "affiliate sign-up is closed on this server");
    if (rc == 0)
        rc = aff_field_str(in, "name", 1, 0, AFF_NAME_MAX, j->aff.name, sizeof(j->aff.name), NULL, &err);
    if (rc == 0)
        rc = aff_field_str(in, "email", 1, 0, AFF_EMAIL_MAX, j->aff.email, sizeof(j->aff.email), NULL, &err);
    if (rc == 0 && !aff_api_email_valid(j->aff.email))
        rc = aff_fail(&err, AFF_EINVAL, "email", "email: not an email address");
    if (rc == 0)
        rc = aff_field_str(in, "password", 1, 0, AFF_PASSWORD_MAX, j->u.password, sizeof(j->u.password), NULL, &err);
    if (rc == 0 && strlen(j->u.password) < AFF_PASSWORD_MIN)
        rc = aff_fail(&err, AFF_EINVAL, "password", "password: at least %d characters", AFF_PASSWORD_MIN);
    if (rc == 0 && !json_is_true(json_object_get(in, "accept_terms")))
        rc = aff_fail(&err, AFF_EINVAL, "accept_terms", "accept_terms: the partner terms must be accepted");
    json_decref(in);
    if (rc != 0) {
        aff_pending_discard(&j->u.base);
        aff_http_error(h->req, rc, &err);
        return;
    }
    aff_api_lower(j->aff.email);
    if (!aff_api_attempt_allowed(h, j->aff.email)) {
        aff_pending_discard(&j->u.base);
        return;
    }
    snprintf(j->aff.status, sizeof(j->aff.status), "pending");
    memcpy(j->u.user.email, j->aff.email, sizeof(j->u.user.email));
    snprintf(j->u.user.role, sizeof(j->u.user.role), "affiliate");
    j->u.pwlen = strlen(j->u.password);
    j->u.user.created_ms = j->u.user.terms_accepted_ms = aff_clock_now_ms();
    j->app.terms_accepted_ms = j->app.created_ms = j->u.user.created_ms;
    j->app.signup = 1;
    aff_pending_submit(&j->u.base, 0);
}
