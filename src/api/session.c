/*
 * session.c - dashboard sign-in and sign-out: POST/GET/DELETE /v1/session (docs/api.md,
 * "Dashboard sign-in"), and what users.c shares with it: the sign-in rate limit, the
 * Origin check, user rendering.
 *
 * Owns: checking passwords, opening and ending sessions, and the rate limit of sign-in
 * and sign-up. Does not own: the registry the loops check on every request, the
 * cookie's attributes or the CSRF rule (net/session.h, net/router.c).
 *
 * Where the work runs: argon2id takes tens of milliseconds, so it never runs on a loop
 * or on the writer. Sign-in: loop (validate, rate limit) -> reader (find the user,
 * verify the password) -> loop -> writer (store the session, drop the browser's previous
 * one) -> loop (registry, Set-Cookie, answer).
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/password.h"
#include "net/session.h"

/* ---- rate limit -------------------------------------------------------------------------- */

/* Fixed one-minute windows in a direct-mapped table keyed by a SipHash of "ip:..." or
 * "email:..." under a random key: two keys sharing a slot reset each other's count, which
 * nobody can aim at without the key. Counts every attempt, right or wrong, so that
 * argon2 work per client is bounded too. */
#define RATE_SLOTS 8192
static struct rate_slot {
    uint64_t key;
    int64_t minute;
    int count;
} rate[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char rate_key[AFF_SIPHASH_KEY_LEN];
static pthread_once_t rate_once = PTHREAD_ONCE_INIT;

static void rate_init(void)
{
    if (aff_random_bytes(rate_key, sizeof(rate_key)) != 0)
        memset(rate_key, 0x5a, sizeof(rate_key));
}

/* 1 when one more attempt by who is allowed now; else 0 and *retry_s. */
static int rate_allow(const char *who, int limit, int64_t now_ms, int *retry_s)
{
    pthread_once(&rate_once, rate_init);
    uint64_t k = aff_siphash(rate_key, who, strlen(who));
    int64_t minute = now_ms / 60000;
    struct rate_slot *s = &rate[k % RATE_SLOTS];
    int ok;
    pthread_mutex_lock(&rate_lock);
    if (s->key != k || s->minute != minute) {
        s->key = k;
        s->minute = minute;
        s->count = 0;
    }
    ok = s->count < limit;
    if (ok)
        s->count++;
    pthread_mutex_unlock(&rate_lock);
    *retry_s = (int)(60 - (now_ms / 1000) % 60);
    return ok;
}

/* ---- shared pieces ------------------------------------------------------------------------- */

void aff_api_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int aff_api_email_valid(const char *e)
{
    const char *at = strchr(e, '@');
    return at != NULL && at != e && at[1] != '\0' && strchr(at + 1, '@') == NULL && strchr(e, ' ') == NULL;
}

json_t *aff_render_user(const aff_user_row *u)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)u->id, "email", u->email, "role", u->role,
                     "affiliate_id", u->affiliate_id ? json_integer(u->affiliate_id) : json_null(), "created_at",
                     aff_render_time(u->created_ms));
}

/* Same-origin check for requests that cannot carry a CSRF token yet (sign-in): a
 * browser sends Origin on every cross-site POST; when present it must name this host,
 * or be public_url (behind a proxy that does not pass the public Host on). */
int aff_api_origin_ok(h2o_req_t *req)
{
    const h2o_iovec_t *origin = aff_http_header(req, "origin");
    if (origin == NULL)
        return 1;
    size_t plen = strlen(aff_server.public_url);
    if (plen > 0 && origin->len == plen && strncasecmp(origin->base, aff_server.public_url, plen) == 0)
        return 1;
    const h2o_iovec_t *host = aff_http_header(req, "host");
    if (host == NULL)
        host = &req->authority;
    const char *sep = memmem(origin->base, origin->len, "://", 3);
    if (sep == NULL)
        return 0;
    size_t off = (size_t)(sep + 3 - origin->base);
    return origin->len - off == host->len && strncasecmp(origin->base + off, host->base, host->len) == 0;
}

/* Read a bounded string member; answers 422 itself. */
static int body_str(aff_http *h, json_t *in, const char *name, int required, size_t maxlen, char *out, size_t cap,
                    int *present)
{
    aff_errinfo err = {0};
    int rc = aff_field_str(in, name, required, 0, maxlen, out, cap, present, &err);
    if (rc != 0)
        aff_http_error(h->req, rc, &err);
    return rc;
}

/* Sign-in and sign-up share the limit: one more attempt by the caller's IP and for email.
 * Answers 429 itself and returns 0 when over it. */
int aff_api_attempt_allowed(aff_http *h, const char *email)
{
    char ip[80], who[AFF_EMAIL_MAX + 16];
    int via_https, retry = 60, limit = aff_server.cfg->signin_attempts_per_minute;
    int64_t now = aff_clock_now_ms();
    aff_http_client_ip(h->req, ip, sizeof(ip), &via_https);
    snprintf(who, sizeof(who), "ip:%s", ip);
    int ok = rate_allow(who, limit, now, &retry);
    snprintf(who, sizeof(who), "email:%s", email);
    ok = rate_allow(who, limit, now, &retry) && ok;
    if (!ok) {
        char *v = h2o_mem_alloc_pool(&h->req->pool, 16);
        int n = snprintf(v, 16, "%d", retry);
        h2o_add_header(&h->req->pool, &h->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v, (size_t)n);
        aff_http_errorf(h->req, AFF_ERATELIMIT, NULL, "too many attempts: retry in %d s", retry);
    }
    return ok;
}

/* ---- POST /v1/session ------------------------------------------------------------------------ */

typedef struct signin_job {
    aff_pending base;
    char email[AFF_EMAIL_MAX + 1];
    char password[AFF_PASSWORD_MAX + 1];
    size_t pwlen;
    aff_user_row user;
    int had_old;
    unsigned char old_hash[32];
    aff_session_row sess;
    char token[AFF_SESSION_TOKEN_MAX + 1];
} signin_job;

static void signin_cleanup(aff_pending *p)
{
    signin_job *j = AFF_CONTAINER_OF(p, signin_job, base);
    explicit_bzero(j->password, sizeof(j->password));
}

/* Reader: find the user and check the password (slow by design). */
static int signin_check(aff_job *job, aff_ctx *ctx)
{
    signin_job *j = AFF_CONTAINER_OF(job, signin_job, base.job);
    int rc = aff_store_user_get_by_email(ctx->st, j->email, &j->user);
    if (rc == AFF_ENOTFOUND)
        rc = aff_password_verify_dummy(j->password, j->pwlen);
    else if (rc == 0)
        rc = aff_password_verify(j->user.password_hash, j->password, j->pwlen);
    explicit_bzero(j->password, sizeof(j->password));
    if (rc == AFF_EAUTH)
        return aff_fail(&job->err, AFF_EAUTH, NULL, "wrong email or password");
    if (rc == 0 && strcmp(j->user.role, "affiliate") == 0) {
        aff_affiliate_row a;
        rc = aff_store_affiliate_get(ctx->st, j->user.affiliate_id, &a);
        if (rc == 0 && strcmp(a.status, "approved") != 0 && strcmp(a.status, "pending") != 0)
            return aff_fail(&job->err, AFF_EFORBIDDEN, NULL, "this affiliate account is %s", a.status);
    }
    return rc;
}

/* Writer: store the new session, end the browser's previous one, prune expired rows. */
static int signin_store(aff_job *job, aff_ctx *ctx)
{
    signin_job *j = AFF_CONTAINER_OF(job, signin_job, base.job);
    int rc = 0;
    if (j->had_old)
        rc = aff_store_session_delete(ctx->st, j->old_hash);
    if (rc == 0)
        rc = aff_store_session_insert(ctx->st, &j->sess);
    if (rc == 0)
        rc = aff_store_session_prune(ctx->st, j->sess.created_ms);
    return rc;
}

static json_t *session_answer(const aff_user_row *u, const char *csrf, int64_t expires_ms)
{
    return json_pack("{s:o, s:s, s:o}", "user", aff_render_user(u), "csrf_token", csrf, "expires_at",
                     aff_render_time(expires_ms));
}

static void signin_stored(aff_pending *p, h2o_req_t *req)
{
    signin_job *j = AFF_CONTAINER_OF(p, signin_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    if (j->had_old)
        aff_sessions_remove(j->old_hash);
    aff_session s = {.user_id = j->sess.user_id,
                     .role = strcmp(j->sess.role, "admin") == 0 ? AFF_ROLE_ADMIN : AFF_ROLE_AFFILIATE,
                     .affiliate_id = j->sess.affiliate_id,
                     .expires_ms = j->sess.expires_ms};
    memcpy(s.hash, j->sess.hash, sizeof(s.hash));
    int rc = aff_sessions_put(&s);
    if (rc != 0) {
        aff_http_errorf(req, rc, NULL, "too many open sessions, retry later");
        return;
    }
    char csrf[AFF_CSRF_LEN + 1];
    aff_session_csrf(j->token, csrf);
    aff_session_set_cookie(req, j->token, (j->sess.expires_ms - j->sess.created_ms) / 1000);
    aff_http_json(req, 200, session_answer(&j->user, csrf, j->sess.expires_ms));
}

static void signin_checked(aff_pending *p, h2o_req_t *req)
{
    signin_job *j = AFF_CONTAINER_OF(p, signin_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_http h = {.req = req, .loop = p->loop};
    signin_job *w = aff_pending_new(&h, sizeof(*w), signin_store, signin_stored);
    if (w == NULL) {
        aff_http_errorf(req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memcpy((char *)w + sizeof(w->base), (char *)j + sizeof(j->base), sizeof(*w) - sizeof(w->base));
    w->base.cleanup = signin_cleanup;
    int64_t now = aff_clock_now_ms();
    if (aff_random_token("", 32, w->token, sizeof(w->token)) != 0) {
        aff_pending_discard(&w->base);
        aff_http_errorf(req, AFF_EIO, NULL, "no randomness for a session");
        return;
    }
    aff_sha256(w->token, strlen(w->token), w->sess.hash);
    w->sess.user_id = w->user.id;
    snprintf(w->sess.role, sizeof(w->sess.role), "%s", w->user.role);
    w->sess.affiliate_id = w->user.affiliate_id;
    w->sess.created_ms = now;
    w->sess.expires_ms = now + (int64_t)aff_server.cfg->session_hours * 3600 * 1000;
    aff_pending_submit(&w->base, 1);
}

void aff_api_session_create(aff_http *h)
{
    if (!aff_api_origin_ok(h->req)) {
        aff_http_errorf(h->req, AFF_EFORBIDDEN, NULL, "sign-in from another origin");
        return;
    }
    json_t *in = aff_http_json_body(h->req);
    if (in == NULL)
        return;
    signin_job *j = aff_pending_new(h, sizeof(*j), signin_check, signin_checked);
    if (j == NULL) {
        json_decref(in);
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memset((char *)j + sizeof(j->base), 0, sizeof(*j) - sizeof(j->base));
    j->base.cleanup = signin_cleanup;
    static const char *const allowed[] = {"email", "password", NULL};
    aff_errinfo err = {0};
    int rc = aff_field_only(in, allowed, &err);
    if (rc != 0)
        aff_http_error(h->req, rc, &err);
    if (rc == 0)
        rc = body_str(h, in, "email", 1, AFF_EMAIL_MAX, j->email, sizeof(j->email), NULL);
    if (rc == 0)
        rc = body_str(h, in, "password", 1, AFF_PASSWORD_MAX, j->password, sizeof(j->password), NULL);
    json_decref(in);
    if (rc != 0) {
        aff_pending_discard(&j->base);
        return;
    }
    j->pwlen = strlen(j->password);
    aff_api_lower(j->email);
    if (!aff_api_attempt_allowed(h, j->email)) {
        aff_pending_discard(&j->base);
        return;
    }
    char old[AFF_SESSION_TOKEN_MAX + 1];
    if (aff_session_cookie(h->req, old, sizeof(old))) { /* sessions rotate on sign-in */
        aff_sha256(old, strlen(old), j->old_hash);
        j->had_old = 1;
    }
    aff_pending_submit(&j->base, 0);
}

/* ---- GET /v1/session, DELETE /v1/session -------------------------------------------------------- */

typedef struct whoami_job {
    aff_pending base;
    int64_t user_id, expires_ms;
    char csrf[AFF_CSRF_LEN + 1];
    unsigned char hash[32];
    aff_user_row user;
} whoami_job;

static int whoami_run(aff_job *job, aff_ctx *ctx)
{
    whoami_job *j = AFF_CONTAINER_OF(job, whoami_job, base.job);
    return aff_store_user_get(ctx->st, j->user_id, &j->user);
}

static void whoami_respond(aff_pending *p, h2o_req_t *req)
{
    whoami_job *j = AFF_CONTAINER_OF(p, whoami_job, base);
    if (p->job.rc == AFF_ENOTFOUND) /* the user is gone: the session with it */
        p->job.rc = aff_fail(&p->job.err, AFF_EAUTH, NULL, "the session's user no longer exists");
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_http_json(req, 200, session_answer(&j->user, j->csrf, j->expires_ms));
}

void aff_api_session_get(aff_http *h)
{
    if (!h->via_session) { /* an API key: no user, no cookie, no CSRF */
        aff_http_json(h->req, 200,
                      json_pack("{s:n, s:s, s:o, s:n, s:n}", "user", "role",
                                h->role == AFF_ROLE_ADMIN ? "admin" : "affiliate", "affiliate_id",
                                h->role == AFF_ROLE_AFFILIATE ? json_integer(h->affiliate_id) : json_null(),
                                "csrf_token", "expires_at"));
        return;
    }
    whoami_job *j = aff_pending_new(h, sizeof(*j), whoami_run, whoami_respond);
    if (j == NULL) {
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    j->user_id = h->user_id;
    j->expires_ms = h->session_expires_ms;
    memcpy(j->csrf, h->csrf, sizeof(j->csrf));
    aff_pending_submit(&j->base, 0);
}

static int signout_run(aff_job *job, aff_ctx *ctx)
{
    whoami_job *j = AFF_CONTAINER_OF(job, whoami_job, base.job);
    return aff_store_session_delete(ctx->st, j->hash);
}

static void signout_respond(aff_pending *p, h2o_req_t *req)
{
    whoami_job *j = AFF_CONTAINER_OF(p, whoami_job, base);
    if (p->job.rc != 0) {
        aff_http_error(req, p->job.rc, &p->job.err);
        return;
    }
    aff_sessions_remove(j->hash);
    aff_session_set_cookie(req, "", 0);
    aff_http_json(req, 200, json_pack("{s:b}", "signed_out", 1));
}

void aff_api_session_delete(aff_http *h)
{
    if (!h->via_session) {
        aff_http_json(h->req, 200, json_pack("{s:b}", "signed_out", 0));
        return;
    }
    whoami_job *j = aff_pending_new(h, sizeof(*j), signout_run, signout_respond);
    if (j == NULL) {
        aff_http_errorf(h->req, AFF_ENOMEM, NULL, "out of memory");
        return;
    }
    memcpy(j->hash, h->session_hash, sizeof(j->hash));
    aff_pending_submit(&j->base, 1);
}
