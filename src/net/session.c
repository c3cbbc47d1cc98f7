/* session.c - the in-memory session registry and the session cookie; see session.h. */
#include "net/session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"

#define NBUCKETS 4096

typedef struct entry {
    aff_session s;
    struct entry *next;
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry *buckets[NBUCKETS];
static size_t count;

static size_t bucket_of(const unsigned char hash[32])
{
    /* the hash is a SHA-256 of 256 random bits: any two bytes are uniform */
    return ((size_t)hash[0] << 8 | hash[1]) % NBUCKETS;
}

/* Unlink and free expired entries of one bucket. Lock held. */
static void sweep(entry **head, int64_t now_ms)
{
    for (entry **pp = head; *pp != NULL;) {
        if ((*pp)->s.expires_ms <= now_ms) {
            entry *dead = *pp;
            *pp = dead->next;
            free(dead);
            count--;
        } else {
            pp = &(*pp)->next;
        }
    }
}

int aff_sessions_put(const aff_session *s)
{
    entry *e = malloc(sizeof(*e));
    if (e == NULL)
        return AFF_ENOMEM;
    e->s = *s;
    int rc = 0;
    size_t b = bucket_of(s->hash);
    pthread_mutex_lock(&lock);
    for (entry **pp = &buckets[b]; *pp != NULL; pp = &(*pp)->next) {
        if (memcmp((*pp)->s.hash, s->hash, 32) == 0) {
            (*pp)->s = *s;
            free(e);
            e = NULL;
            break;
        }
    }
    if (e != NULL) {
        sweep(&buckets[b], aff_clock_now_ms()); /* expired entries leave when their bucket is written */
        if (count >= AFF_SESSIONS_MAX) {
            free(e);
            rc = AFF_EUNAVAIL;
        } else {
            e->next = buckets[b];
            buckets[b] = e;
            count++;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void aff_sessions_remove(const unsigned char hash[32])
{
    size_t b = bucket_of(hash);
    pthread_mutex_lock(&lock);
    for (entry **pp = &buckets[b]; *pp != NULL; pp = &(*pp)->next) {
        if (memcmp((*pp)->s.hash, hash, 32) == 0) {
            entry *dead = *pp;
            *pp = dead->next;
            free(dead);
            count--;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

int aff_sessions_get(const unsigned char hash[32], int64_t now_ms, aff_session *out)
{
    size_t b = bucket_of(hash);
    int found = 0;
    pthread_mutex_lock(&lock);
    sweep(&buckets[b], now_ms);
    for (entry *e = buckets[b]; e != NULL; e = e->next) {
        if (aff_ct_equal(e->s.hash, hash, 32)) {
            *out = e->s;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

static int load_one(void *ud, const aff_session_row *r)
{
    (void)ud;
    aff_session s = {.user_id = r->user_id,
                     .role = strcmp(r->role, "admin") == 0 ? AFF_ROLE_ADMIN : AFF_ROLE_AFFILIATE,
                     .affiliate_id = r->affiliate_id,
                     .expires_ms = r->expires_ms};
    memcpy(s.hash, r->hash, 32);
    return aff_sessions_put(&s);
}

int aff_sessions_load(aff_store *st, int64_t now_ms)
{
    return aff_store_session_list(st, now_ms, load_one, NULL);
}

void aff_sessions_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (buckets[b] != NULL) {
            entry *dead = buckets[b];
            buckets[b] = dead->next;
            free(dead);
        }
    }
    count = 0;
    pthread_mutex_unlock(&lock);
}

/* ---- the cookie ------------------------------------------------------------------------ */

int aff_session_cookie(h2o_req_t *req, char *token, size_t cap)
{
    return aff_http_cookie(req, "__Host-afftrack_session", token, cap) ||
           aff_http_cookie(req, "afftrack_session", token, cap);
}

void aff_session_csrf(const char *token, char out[AFF_CSRF_LEN + 1])
{
    char buf[AFF_SESSION_TOKEN_MAX + 32];
    int n = snprintf(buf, sizeof(buf), "afftrack-csrf:%s", token);
    char hex[AFF_SHA256_HEX_LEN + 1];
    aff_sha256_hex(buf, n > 0 ? (size_t)n : 0, hex);
    memcpy(out, hex, AFF_CSRF_LEN);
    out[AFF_CSRF_LEN] = '\0';
}

int aff_session_secure(h2o_req_t *req)
{
    char ip[64];
    int via_https = 0;
    aff_http_client_ip(req, ip, sizeof(ip), &via_https);
    return via_https || strncmp(aff_server.public_url, "https://", 8) == 0;
}

void aff_session_set_cookie(h2o_req_t *req, const char *token, int64_t max_age_s)
{
    int secure = aff_session_secure(req);
    char *v = h2o_mem_alloc_pool(&req->pool, 256);
    int n = snprintf(v, 256, "%s=%s; Max-Age=%lld; Path=/; HttpOnly; SameSite=Lax%s",
                     secure ? "__Host-afftrack_session" : "afftrack_session", token, (long long)max_age_s,
                     secure ? "; Secure" : "");
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, v, (size_t)n);
}
