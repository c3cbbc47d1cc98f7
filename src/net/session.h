/*
 * session.h - the signed-in dashboard sessions the event loops check on each request
 * that carries a session cookie instead of an API key.
 *
 * Owns: the in-memory registry (SHA-256 of the cookie token -> user, role, affiliate,
 * expiry), the cookie's name and attributes, and the CSRF token derived from a session.
 * Does not own: creating or ending sessions (api/session.c does, through the writer,
 * which stores them in the web_session table) or any password (core/password.h).
 *
 * Lifecycle of a session:
 *   signed in  (api/session.c: row committed by the writer, then aff_sessions_put)
 *   -> valid until expires_ms (aff_sessions_get answers it; expired entries are dropped
 *      when met and swept on insert)
 *   -> ended   (sign-out: row deleted, then aff_sessions_remove; or a newer sign-in
 *      from the same browser replaces it: sessions rotate on sign-in)
 *   At start, aff_sessions_load fills the registry from the store, so a restart signs
 *   nobody out.
 *
 * Threading: every call is thread-safe (one mutex held for a hash lookup, never across
 * anything that blocks). Nothing here touches the store except aff_sessions_load.
 */
#ifndef AFF_NET_SESSION_H
#define AFF_NET_SESSION_H

#include <stdint.h>

#include "net/http.h"
#include "store/store.h"

#define AFF_SESSION_TOKEN_MAX 64 /* the cookie value: 52 base32 characters */
#define AFF_CSRF_LEN 32          /* hex characters */
#define AFF_SESSIONS_MAX 1000000 /* registry bound: beyond it, sign-in answers 503 */

typedef struct aff_session {
    unsigned char hash[32]; /* SHA-256 of the cookie token */
    int64_t user_id;
    int role; /* AFF_ROLE_ADMIN or AFF_ROLE_AFFILIATE */
    int64_t affiliate_id;
    int64_t expires_ms;
} aff_session;

/* Add (or replace) s. Returns 0 or AFF_EUNAVAIL when the registry is full. */
int aff_sessions_put(const aff_session *s);
/* Forget the session with this hash (no-op when absent). */
void aff_sessions_remove(const unsigned char hash[32]);
/* 1 and *out when a session with this hash exists and expires after now_ms; else 0. */
int aff_sessions_get(const unsigned char hash[32], int64_t now_ms, aff_session *out);
/* Fill the registry from st's unexpired sessions (start-up; blocking). */
int aff_sessions_load(aff_store *st, int64_t now_ms);
/* Drop every entry (tests, shutdown). */
void aff_sessions_clear(void);

/* The session cookie of req: its token into token (cap >= AFF_SESSION_TOKEN_MAX + 1).
 * Reads "__Host-afftrack_session" then "afftrack_session". 1 found, 0 not. */
int aff_session_cookie(h2o_req_t *req, char *token, size_t cap);
/* The CSRF token of a session: hex of SHA-256("afftrack-csrf:" token), first
 * AFF_CSRF_LEN characters, into out (AFF_CSRF_LEN + 1 bytes). Derived, never stored. */
void aff_session_csrf(const char *token, char out[AFF_CSRF_LEN + 1]);
/* Is the response to req going over TLS (a trusted proxy's X-Forwarded-Proto: https, or
 * an https public_url)? Then the cookie is "__Host-" prefixed and Secure. */
int aff_session_secure(h2o_req_t *req);
/* Add the Set-Cookie header for token with max_age_s (0 with token "" clears it). */
void aff_session_set_cookie(h2o_req_t *req, const char *token, int64_t max_age_s);

#endif
