/*
 * content.c - the affiliate portal's program pages and announcements (docs/api.md
 * "Portal content"): a program's description, terms and whether applications are open
 * (GET/PATCH /v1/programs/{id}/terms), its public page for applicants
 * (GET /v1/public/programs/{id}), the applications list (GET /v1/applications),
 * announcements (POST/GET/DELETE /v1/announcements), and their /v1/me views.
 *
 * Owns: validating and rendering these. Does not own: sign-up itself (users.c records
 * the application), creatives (creatives.c), which programs an affiliate belongs to
 * (the store's rule: a link in it or an application to it).
 *
 * Texts (terms, descriptions, bodies) are plain text: line breaks and tabs allowed,
 * other control characters refused; the dashboard shows them as text, never as HTML.
 * Writes run on the writer and are answered after their commit; reads on a reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "track/catalog.h"

int aff_field_text(json_t *obj, const char *name, int required, size_t maxlen, char *out, size_t cap, int *present,
                   aff_errinfo *err)
{
    json_t *v = json_object_get(obj, name);
    if (present != NULL)
        *present = 0;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return aff_fail(err, AFF_EINVAL, name, "%s is required", name);
        return 0;
    }
    if (!json_is_string(v))
        return aff_fail(err, AFF_EINVAL, name, "%s: expected a string", name);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > maxlen || n >= cap)
        return aff_fail(err, AFF_EINVAL, name, "%s: longer than %zu bytes", name, maxlen);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
            return aff_fail(err, AFF_EINVAL, name,
                            "%s: control characters other than line breaks and tabs are not allowed", name);
    }
    memcpy(out, s, n + 1);
    if (present != NULL)
        *present = 1;
    return 0;
}

/* ---- rendering ------------------------------------------------------------------------ */

static json_t *render_terms(const aff_terms_row *t)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:s?, s:b, s:o}", "program_id", (json_int_t)t->program_id, "description",
                     t->description, "terms", t->terms, "terms_version", t->version, "terms_hash",
                     t->version ? t->hash : NULL, "applications_open", t->applications_open, "updated_at",
                     t->updated_ms ? aff_render_time(t->updated_ms) : json_null());
}

static json_t *render_application(const aff_application_row *r)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:b, s:s?, s:s?, s:i, s:s?, s:o, s:o}", "id",
                          (json_int_t)r->id, "affiliate_id", (json_int_t)r->affiliate_id, "program_id",
                          (json_int_t)r->program_id, "name", r->name, "email", r->email, "status", r->status, "signup",
                          r->signup, "website", r->website[0] ? r->website : NULL, "promotion",
                          r->promotion[0] ? r->promotion : NULL, "terms_version", r->terms_version, "terms_hash",
                          r->terms_hash[0] ? r->terms_hash : NULL, "terms_accepted_at",
                          aff_render_time(r->terms_accepted_ms), "created_at", aff_render_time(r->created_ms));
    json_object_set_new(o, "decided_at", r->decided_ms ? aff_render_time(r->decided_ms) : json_null());
    return o;
}
#define render_application_u(r, u) render_application(r)

static json_t *render_announcement(const aff_announcement_row *r)
{
    json_t *pid = r->program_id ? json_integer(r->program_id) : json_null();
    return json_pack("{s:I, s:o, s:s, s:s, s:o}", "id", (json_int_t)r->id, "program_id", pid, "title", r->title, "body",
                     r->body, "created_at", aff_render_time(r->created_ms));
}
#define render_announcement_u(r, u) render_announcement(r)

/* The program must exist: AFF_ENOTFOUND (404) for a path id, 422 naming field for a body's. */
static int program_exists(aff_ctx *ctx, int64_t id, const char *field, aff_program_row *p, aff_errinfo *err)
{
    int rc = aff_store_program_get(ctx->st, id, p);
    if (rc == AFF_ENOTFOUND && field != NULL)
        return aff_fail(err, AFF_EINVAL, field, "%s: no such program", field);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, AFF_ENOTFOUND, NULL, "no such program");
    return rc;
}

/* Is the caller an approved affiliate? Portal content other than terms is for them only. */
int aff_api_caller_approved(aff_ctx *ctx, int64_t affiliate_id, int *approved)
{
    aff_affiliate_row a;
    int rc = aff_store_affiliate_get(ctx->st, affiliate_id, &a);
    *approved = rc == 0 && strcmp(a.status, "approved") == 0;
    return rc == AFF_ENOTFOUND ? 0 : rc;
}

/* ---- program terms -------------------------------------------------------------------- */

static int run_terms_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *p = malloc(sizeof(*p));
    aff_terms_row *t = malloc(sizeof(*t));
    int rc = p == NULL || t == NULL ? AFF_ENOMEM : program_exists(ctx, j->id, NULL, p, &job->err);
    if (rc == 0)
        rc = aff_store_terms_get(ctx->st, j->id, t);
    if (rc == 0)
        j->out = render_terms(t);
    free(t);
    free(p);
    return rc;
}

void aff_api_program_terms_get(aff_http *h)
{
    aff_api_submit_get(h, run_terms_get);
}

static int run_terms_patch(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    static const char *const allowed[] = {"description", "terms", "applications_open", NULL};
    aff_program_row *p = malloc(sizeof(*p));
    aff_terms_row *t = malloc(sizeof(*t));
    char *terms = malloc(AFF_TERMS_MAX + 1);
    int has_terms = 0, rc = 0;
    if (p == NULL || t == NULL || terms == NULL)
        rc = AFF_ENOMEM;
    if (rc == 0)
        rc = aff_field_only(j->in, allowed, &job->err);
    if (rc == 0)
        rc = program_exists(ctx, j->id, NULL, p, &job->err);
    if (rc == 0)
        rc = aff_store_terms_get(ctx->st, j->id, t);
    if (rc == 0)
        rc = aff_field_text(j->in, "description", 0, AFF_DESCRIPTION_MAX, t->description, sizeof(t->description), NULL,
                            &job->err);
    if (rc == 0)
        rc = aff_field_text(j->in, "terms", 0, AFF_TERMS_MAX, terms, AFF_TERMS_MAX + 1, &has_terms, &job->err);
    json_t *open = json_object_get(j->in, "applications_open");
    if (rc == 0 && open != NULL && !json_is_boolean(open))
        rc = aff_fail(&job->err, AFF_EINVAL, "applications_open", "applications_open: expected true or false");
    if (rc == 0 && open != NULL)
        t->applications_open = json_is_true(open);
    /* A new text is a new version (applicants record the version and hash they accepted);
     * saving the same text again is not. */
    if (rc == 0 && has_terms && strcmp(terms, t->terms) != 0) {
        memcpy(t->terms, terms, strlen(terms) + 1);
        t->version++;
        aff_sha256_hex(t->terms, strlen(t->terms), t->hash);
    }
    if (rc == 0 && t->applications_open && t->terms[0] == '\0')
        rc = aff_fail(&job->err, AFF_EINVAL, "terms", "terms: a program open to applications needs terms to accept");
    if (rc == 0) {
        t->program_id = j->id;
        t->updated_ms = aff_clock_now_ms();
        rc = aff_store_terms_put(ctx->st, t);
    }
    if (rc == 0)
        j->out = render_terms(t);
    free(terms);
    free(t);
    free(p);
    return rc;
}

void aff_api_program_terms_patch(aff_http *h)
{
    aff_api_submit_body(h, run_terms_patch, 1);
}

/* GET /v1/public/programs/{id}: what an applicant reads before applying. A program
 * that is not open to applications is 404, as one that does not exist. */
static int run_public_program(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *p = malloc(sizeof(*p));
    aff_terms_row *t = malloc(sizeof(*t));
    int rc = p == NULL || t == NULL ? AFF_ENOMEM : program_exists(ctx, j->id, NULL, p, &job->err);
    if (rc == 0)
        rc = aff_store_terms_get(ctx->st, j->id, t);
    if (rc == 0 && !t->applications_open)
        rc = aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such program open to applications");
    if (rc == 0)
        j->out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s}", "id", (json_int_t)p->id, "name", p->name, "kind",
                           p->kind, "description", t->description, "terms", t->terms, "terms_version", t->version,
                           "terms_hash", t->hash);
    free(t);
    free(p);
    return rc;
}

void aff_api_public_program_get(aff_http *h)
{
    aff_api_submit_get(h, run_public_program);
}

/* ---- applications ------------------------------------------------------------------------ */

int aff_api_application_terms(aff_ctx *ctx, aff_application_row *app, int has_version, aff_errinfo *err)
{
    aff_terms_row *t = malloc(sizeof(*t));
    aff_program_row *p = malloc(sizeof(*p));
    int rc = t == NULL || p == NULL ? AFF_ENOMEM : aff_store_program_get(ctx->st, app->program_id, p);
    if (rc == 0)
        rc = aff_store_terms_get(ctx->st, app->program_id, t);
    if (rc == AFF_ENOTFOUND || (rc == 0 && !t->applications_open))
        rc = aff_fail(err, AFF_EINVAL, "program_id", "program_id: no such program open to applications");
    if (rc == 0 && has_version && app->terms_version != t->version)
        rc = aff_fail(err, AFF_ECONFLICT, "terms_version",
                      "terms_version: the program's terms changed since they were read (now version %d)", t->version);
    if (rc == 0) {
        app->terms_version = t->version;
        memcpy(app->terms_hash, t->hash, sizeof(app->terms_hash));
    }
    free(p);
    free(t);
    return rc;
}

AFF_API_LISTER(run_applications_list, aff_application_row, aff_store_application_list, render_application_u)

/* docs/api.md "Lists"; announcements newest first unless sorted otherwise. */
static const aff_api_list_spec applications_spec = {"applications",
                                                    AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(NAME) | AFF_SORT_BIT(EMAIL) |
                                                        AFF_SORT_BIT(STATUS),
                                                    1,
                                                    1,
                                                    0,
                                                    0,
                                                    aff_api_statuses_affiliate};
static const aff_api_list_spec announcements_spec = {
    "announcements", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(TITLE) | AFF_SORT_BIT(PROGRAM), 1, 1, 0, 1};

void aff_api_applications_list(aff_http *h)
{
    aff_api_submit_list(h, run_applications_list, &applications_spec);
}

static int find_pending(void *ud, const aff_application_row *r)
{
    *(int *)ud |= strcmp(r->status, "pending") == 0;
    return 0;
}

/* POST /v1/me/applications: an affiliate that has a login applies to a further program. */
static int run_me_apply(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    static const char *const allowed[] = {"program_id", "terms_version", "accept_terms", "website", "promotion", NULL};
    aff_application_row *a = calloc(1, sizeof(*a));
    aff_affiliate_row *me = malloc(sizeof(*me));
    int64_t version = 0, pids[AFF_API_MEMBERS_MAX], lids[AFF_API_MEMBERS_MAX];
    size_t n = 0;
    int has_version = 0, pending = 0;
    int rc = a == NULL || me == NULL ? AFF_ENOMEM : aff_field_only(j->in, allowed, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 1, 1, INT64_MAX, &a->program_id, NULL, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "terms_version", 0, 0, INT32_MAX, &version, &has_version, &job->err);
    if (rc == 0)
        rc = aff_field_str(j->in, "website", 0, 1, AFF_URL_MAX, a->website, sizeof(a->website), NULL, &job->err);
    if (rc == 0 && a->website[0] && strncmp(a->website, "http://", 7) != 0 && strncmp(a->website, "https://", 8) != 0)
        rc = aff_fail(&job->err, AFF_EINVAL, "website", "website: an http:// or https:// address");
    if (rc == 0)
        rc = aff_field_text(j->in, "promotion", 0, AFF_PROMOTION_MAX, a->promotion, sizeof(a->promotion), NULL,
                            &job->err);
    if (rc == 0 && !json_is_true(json_object_get(j->in, "accept_terms")))
        rc = aff_fail(&job->err, AFF_EINVAL, "accept_terms", "accept_terms: the program's terms must be accepted");
    if (rc == 0)
        rc = aff_store_affiliate_get(ctx->st, j->affiliate_id, me);
    if (rc == 0 && strcmp(me->status, "approved") != 0 && strcmp(me->status, "pending") != 0)
        rc = aff_fail(&job->err, AFF_EFORBIDDEN, NULL, "a %s affiliate cannot apply", me->status);
    a->terms_version = (int)version;
    if (rc == 0)
        rc = aff_api_application_terms(ctx, a, has_version, &job->err);
    if (rc == 0)
        rc = aff_api_members(ctx, j->affiliate_id, pids, lids, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (pids[i] == a->program_id)
            rc = aff_fail(&job->err, AFF_EEXIST, "program_id", "program_id: you are in this program already");
    if (rc == 0) {
        aff_list_query q = {.affiliate_id = j->affiliate_id, .program_id = a->program_id, .limit = 0};
        rc = aff_store_application_list(ctx->st, &q, find_pending, &pending);
    }
    if (rc == 0 && pending)
        rc = aff_fail(&job->err, AFF_EEXIST, "program_id",
                      "program_id: your application to it is waiting for a decision");
    if (rc == 0) {
        a->affiliate_id = j->affiliate_id;
        a->terms_accepted_ms = a->created_ms = aff_clock_now_ms();
        rc = aff_store_application_insert(ctx->st, a);
    }
    if (rc == 0)
        rc = aff_store_application_get(ctx->st, a->id, a);
    if (rc == 0) {
        j->out = render_application(a);
        j->status = 201;
    }
    free(me);
    free(a);
    return rc;
}

void aff_api_me_applications_create(aff_http *h)
{
    aff_api_submit_body(h, run_me_apply, 0);
}

/* POST /v1/applications/{id}/approve|reject. A sign-up's application is decided by its
 * affiliate's status (pending -> approved | rejected, through the catalog like PATCH
 * /v1/affiliates); another application by its own. Deciding again the same way is a
 * no-op; contradicting an affiliate that was decided on its own is 409. */
static int decide(aff_job *job, aff_ctx *ctx, const char *to)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_application_row *a = malloc(sizeof(*a));
    aff_affiliate_row *f = malloc(sizeof(*f));
    int rc = a == NULL || f == NULL ? AFF_ENOMEM : aff_field_only(j->in, (const char *const[]){NULL}, &job->err);
    if (rc == 0)
        rc = aff_store_application_get(ctx->st, j->id, a);
    if (rc == AFF_ENOTFOUND)
        rc = aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such application");
    if (rc == 0 && a->signup) {
        rc = aff_store_affiliate_get(ctx->st, a->affiliate_id, f);
        if (rc == 0 && strcmp(f->status, "pending") == 0) {
            snprintf(f->status, sizeof(f->status), "%s", to);
            rc = aff_catalog_affiliate_update(ctx, f, &job->err);
        } else if (rc == 0 && strcmp(f->status, to) != 0) {
            rc = aff_fail(&job->err, AFF_ECONFLICT, NULL,
                          "the applicant is %s already; change its status on the Affiliates page", f->status);
        }
    } else if (rc == 0) {
        rc = aff_store_application_set_status(ctx->st, a->id, to, aff_clock_now_ms());
    }
    if (rc == 0)
        rc = aff_store_application_get(ctx->st, j->id, a);
    if (rc == 0)
        j->out = render_application(a);
    free(f);
    free(a);
    return rc;
}

static int run_approve(aff_job *job, aff_ctx *ctx)
{
    return decide(job, ctx, "approved");
}

static int run_reject(aff_job *job, aff_ctx *ctx)
{
    return decide(job, ctx, "rejected");
}

void aff_api_applications_approve(aff_http *h)
{
    aff_api_submit_action(h, run_approve, 1);
}

void aff_api_applications_reject(aff_http *h)
{
    aff_api_submit_action(h, run_reject, 1);
}

/* ---- GET /v1/me/programs: the caller's programs, their terms and its first link ------------- */

typedef struct member {
    int64_t program_id, link_id;
} member;

typedef struct members {
    member m[AFF_API_MEMBERS_MAX];
    size_t n;
} members;

static int add_member(void *ud, int64_t program_id, int64_t link_id)
{
    members *ms = ud;
    if (ms->n == AFF_API_MEMBERS_MAX)
        return 1; /* stop: a page of programs is enough for a portal */
    ms->m[ms->n++] = (member){program_id, link_id};
    return 0;
}

int aff_api_members(aff_ctx *ctx, int64_t affiliate_id, int64_t *program_ids, int64_t *link_ids, size_t *n)
{
    members *ms = malloc(sizeof(*ms));
    if (ms == NULL)
        return AFF_ENOMEM;
    ms->n = 0;
    int rc = aff_store_member_list(ctx->st, affiliate_id, add_member, ms);
    for (size_t i = 0; rc == 0 && i < ms->n; i++)
        program_ids[i] = ms->m[i].program_id, link_ids[i] = ms->m[i].link_id;
    *n = rc == 0 ? ms->n : 0;
    free(ms);
    return rc;
}

/* The caller's applications, latest per program (ids ascend, so later rows win). */
typedef struct my_apps {
    int64_t program_id[AFF_API_MEMBERS_MAX], id[AFF_API_MEMBERS_MAX];
    char status[AFF_API_MEMBERS_MAX][16];
    size_t n;
} my_apps;

static int add_my_app(void *ud, const aff_application_row *r)
{
    my_apps *m = ud;
    size_t i = 0;
    while (i < m->n && m->program_id[i] != r->program_id)
        i++;
    if (i == m->n) {
        if (m->n == AFF_API_MEMBERS_MAX)
            return 0;
        m->n++;
    }
    m->program_id[i] = r->program_id;
    m->id[i] = r->id;
    snprintf(m->status[i], sizeof(m->status[i]), "%s", r->status);
    return 0;
}

static json_t *render_my_program(const aff_program_row *p, const aff_terms_row *t, json_t *link, const my_apps *apps)
{
    json_t *app = json_null();
    for (size_t i = 0; i < apps->n; i++)
        if (apps->program_id[i] == p->id) {
            json_decref(app);
            app = json_pack("{s:I, s:s}", "id", (json_int_t)apps->id[i], "status", apps->status[i]);
        }
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:o, s:o}", "id", (json_int_t)p->id, "name", p->name,
                     "kind", p->kind, "currency", p->currency, "description", t->description, "terms", t->terms,
                     "terms_version", t->version, "terms_hash", t->version ? t->hash : NULL, "link", link,
                     "application", app);
}

/* format=csv of the list: the JSON rows' members as columns (link and application, the
 * objects, as their JSON text, as every CSV export writes objects), rows in the JSON's
 * order. The header comes from an empty row: without programs, the header line alone. */
static int my_programs_csv(aff_api_job *j, json_t *data)
{
    aff_program_row *p = calloc(1, sizeof(*p));
    aff_terms_row *t = calloc(1, sizeof(*t));
    my_apps *none = calloc(1, sizeof(*none));
    json_t *header = p != NULL && t != NULL && none != NULL ? render_my_program(p, t, json_null(), none) : NULL;
    j->csv_out = header != NULL ? aff_csv_new(header, AFF_CSV_MAX_BYTES) : NULL;
    json_decref(header);
    free(none);
    free(t);
    free(p);
    if (j->csv_out == NULL)
        return AFF_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(data); i++)
        rc = aff_csv_row(j->csv_out, json_array_get(data, i));
    if (rc == 0)
        aff_api_list_finish(j);
    return rc != 0 ? aff_api_list_fail(&j->base.job, rc) : 0;
}

/* Its programs (members) and, after them, programs it applied to without being in
 * them yet (pending) or any more (rejected): those show the terms and the decision. */
static int run_me_programs(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    int64_t pids[2 * AFF_API_MEMBERS_MAX], lids[2 * AFF_API_MEMBERS_MAX];
    size_t n = 0;
    aff_program_row *p = malloc(sizeof(*p));
    aff_terms_row *t = malloc(sizeof(*t));
    aff_link_row *l = malloc(sizeof(*l));
    my_apps *apps = calloc(1, sizeof(*apps));
    int rc = p == NULL || t == NULL || l == NULL || apps == NULL
                 ? AFF_ENOMEM
                 : aff_api_members(ctx, j->affiliate_id, pids, lids, &n);
    if (rc == 0) {
        aff_list_query q = {.affiliate_id = j->affiliate_id, .limit = 0};
        rc = aff_store_application_list(ctx->st, &q, add_my_app, apps);
    }
    for (size_t i = 0; rc == 0 && i < apps->n; i++) {
        size_t k = 0;
        while (k < n && pids[k] != apps->program_id[i])
            k++;
        if (k == n)
            pids[n] = apps->program_id[i], lids[n++] = 0;
    }
    json_t *data = json_array();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (j->id != 0 && pids[i] != j->id)
            continue;
        rc = aff_store_program_get(ctx->st, pids[i], p);
        if (rc == AFF_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0)
            rc = aff_store_terms_get(ctx->st, pids[i], t);
        json_t *link = json_null();
        if (rc == 0 && lids[i] != 0 && aff_store_link_get(ctx->st, lids[i], l) == 0) {
            json_decref(link);
            link = aff_render_link(l, j->public_url);
        }
        if (rc == 0)
            json_array_append_new(data, render_my_program(p, t, link, apps));
        else
            json_decref(link);
    }
    if (rc == 0 && j->id != 0 && json_array_size(data) == 0)
        rc = aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such program");
    if (rc == 0 && j->id != 0)
        j->out = json_incref(json_array_get(data, 0));
    else if (rc == 0 && j->csv)
        rc = my_programs_csv(j, data);
    else if (rc == 0)
        j->out = json_pack("{s:O, s:b}", "data", data, "has_more", 0);
    json_decref(data);
    free(apps);
    free(l);
    free(t);
    free(p);
    return rc;
}

/* Not a list (not paged, no sorts or filters: docs/api.md), but it exports CSV as the
 * lists do. */
void aff_api_me_programs_list(aff_http *h)
{
    static const aff_api_list_spec spec = {"programs", 0, 0, 0, 0, 0};
    aff_api_job *j = aff_api_job_new(h, run_me_programs);
    if (j == NULL)
        return;
    j->spec = &spec;
    if (aff_api_format_param(h, j) != 0) {
        aff_pending_discard(&j->base);
        return;
    }
    aff_pending_submit(&j->base, 0);
}

void aff_api_me_programs_get(aff_http *h)
{
    aff_api_submit_get(h, run_me_programs);
}

/* ---- announcements ------------------------------------------------------------------------ */

static int run_announcement_create(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    static const char *const allowed[] = {"program_id", "title", "body", NULL};
    aff_announcement_row *r = calloc(1, sizeof(*r));
    aff_program_row *p = malloc(sizeof(*p));
    int rc = r == NULL || p == NULL ? AFF_ENOMEM : aff_field_only(j->in, allowed, &job->err);
    if (rc == 0)
        rc = aff_field_int(j->in, "program_id", 0, 1, INT64_MAX, &r->program_id, NULL, &job->err);
    if (rc == 0)
        rc = aff_field_str(j->in, "title", 1, 0, AFF_NAME_MAX, r->title, sizeof(r->title), NULL, &job->err);
    if (rc == 0)
        rc = aff_field_text(j->in, "body", 1, AFF_ANNOUNCEMENT_MAX, r->body, sizeof(r->body), NULL, &job->err);
    if (rc == 0 && r->body[0] == '\0')
        rc = aff_fail(&job->err, AFF_EINVAL, "body", "body: must not be empty");
    if (rc == 0 && r->program_id != 0)
        rc = program_exists(ctx, r->program_id, "program_id", p, &job->err);
    if (rc == 0) {
        r->created_ms = aff_clock_now_ms();
        rc = aff_store_announcement_insert(ctx->st, r);
    }
    if (rc == 0) {
        j->out = render_announcement(r);
        j->status = 201;
    }
    free(p);
    free(r);
    return rc;
}

void aff_api_announcements_create(aff_http *h)
{
    aff_api_submit_body(h, run_announcement_create, 0);
}

AFF_API_LISTER(run_announcements_list_all, aff_announcement_row, aff_store_announcement_list, render_announcement_u)

/* An affiliate's announcements: none until it is approved. */
static int run_announcements_list(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    int approved = 1;
    if (j->role == AFF_ROLE_AFFILIATE) {
        int rc = aff_api_caller_approved(ctx, j->affiliate_id, &approved);
        if (rc != 0)
            return rc;
    }
    if (!approved) { /* nothing to see: an empty list, or a CSV of just its header */
        j->out = aff_render_list_new();
        if (j->csv) {
            aff_announcement_row *zero = calloc(1, sizeof(*zero));
            json_t *t = zero != NULL ? render_announcement(zero) : NULL;
            free(zero);
            j->csv_out = t != NULL ? aff_csv_new(t, AFF_CSV_MAX_BYTES) : NULL;
            json_decref(t);
            if (j->csv_out == NULL)
                return AFF_ENOMEM;
        }
        aff_api_list_finish(j);
        return 0;
    }
    return run_announcements_list_all(job, ctx);
}

void aff_api_announcements_list(aff_http *h)
{
    aff_api_submit_list(h, run_announcements_list, &announcements_spec);
}

static int run_announcement_delete(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    int rc = aff_store_announcement_delete(ctx->st, j->id);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(&job->err, AFF_ENOTFOUND, NULL, "no such announcement");
    if (rc == 0)
        j->out = json_pack("{s:I, s:b}", "id", (json_int_t)j->id, "deleted", 1);
    return rc;
}

void aff_api_announcements_delete(aff_http *h)
{
    aff_api_submit_action(h, run_announcement_delete, 1);
}
