/* test_session.c - unit tests for the session registry and CSRF derivation
 * (src/net/session.c) and the users/sessions store calls (store_sqlite.c). */
#include "core/clock.h"
#include "core/crypto.h"
#include "net/session.h"
#include "../store/store_fixture.h"
#include "../test.h"

static aff_session mk(const char *token, int64_t user, int64_t expires)
{
    aff_session s = {.user_id = user, .role = AFF_ROLE_ADMIN, .expires_ms = expires};
    aff_sha256(token, strlen(token), s.hash);
    return s;
}

AFF_TEST(session_registry_put_get_remove_expire)
{
    int64_t now = aff_clock_now_ms();
    aff_session a = mk("token-a", 1, now + 60000), b = mk("token-b", 2, now + 60000), got;
    AFF_CHECK_INT(aff_sessions_put(&a), 0);
    AFF_CHECK_INT(aff_sessions_put(&b), 0);
    AFF_CHECK(aff_sessions_get(a.hash, now, &got));
    AFF_CHECK_INT(got.user_id, 1);
    AFF_CHECK(aff_sessions_get(b.hash, now, &got));
    AFF_CHECK_INT(got.user_id, 2);
    /* expired at its expiry time, not after */
    AFF_CHECK(!aff_sessions_get(a.hash, now + 60000, &got));
    AFF_CHECK(!aff_sessions_get(a.hash, now, &got)); /* and dropped when met */
    aff_sessions_remove(b.hash);
    AFF_CHECK(!aff_sessions_get(b.hash, now, &got));
    aff_session c = mk("token-c", 3, now + 1000);
    AFF_CHECK_INT(aff_sessions_put(&c), 0);
    c.user_id = 4; /* put replaces */
    AFF_CHECK_INT(aff_sessions_put(&c), 0);
    AFF_CHECK(aff_sessions_get(c.hash, now, &got));
    AFF_CHECK_INT(got.user_id, 4);
    aff_sessions_clear();
    AFF_CHECK(!aff_sessions_get(c.hash, now, &got));
}

AFF_TEST(session_csrf_is_derived_and_distinct)
{
    char x[AFF_CSRF_LEN + 1], y[AFF_CSRF_LEN + 1], z[AFF_CSRF_LEN + 1];
    aff_session_csrf("token-a", x);
    aff_session_csrf("token-a", y);
    aff_session_csrf("token-b", z);
    AFF_CHECK_INT(strlen(x), AFF_CSRF_LEN);
    AFF_CHECK_STR(x, y);
    AFF_CHECK(strcmp(x, z) != 0);
    /* not the stored hash's prefix: the database never holds the CSRF token */
    char hex[AFF_SHA256_HEX_LEN + 1];
    aff_sha256_hex("token-a", 7, hex);
    AFF_CHECK(strncmp(hex, x, AFF_CSRF_LEN) != 0);
}

static int count_session(void *ud, const aff_session_row *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

AFF_TEST(store_users_and_sessions)
{
    aff_test_store ts;
    AFF_CHECK_INT(aff_test_store_open(&ts), 0);
    aff_user_row u = {.affiliate_id = 0, .created_ms = 5};
    snprintf(u.email, sizeof(u.email), "a@example.com");
    snprintf(u.role, sizeof(u.role), "admin");
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$x");
    AFF_CHECK_INT(aff_store_user_insert(ts.st, &u), 0);
    AFF_CHECK(u.id > 0);
    AFF_CHECK_INT(aff_store_user_insert(ts.st, &u), AFF_EEXIST);
    aff_user_row got;
    AFF_CHECK_INT(aff_store_user_get_by_email(ts.st, "a@example.com", &got), 0);
    AFF_CHECK_INT(got.id, u.id);
    AFF_CHECK_STR(got.password_hash, "$argon2id$x");
    AFF_CHECK_INT(aff_store_user_get_by_email(ts.st, "b@example.com", &got), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_user_get(ts.st, u.id, &got), 0);

    aff_session_row s1 = {.user_id = u.id, .created_ms = 10, .expires_ms = 100}, s2 = s1;
    snprintf(s1.role, sizeof(s1.role), "admin");
    s2 = s1;
    s2.hash[0] = 1;
    s2.expires_ms = 1000;
    AFF_CHECK_INT(aff_store_session_insert(ts.st, &s1), 0);
    AFF_CHECK_INT(aff_store_session_insert(ts.st, &s2), 0);
    int n = 0;
    AFF_CHECK_INT(aff_store_session_list(ts.st, 50, count_session, &n), 0);
    AFF_CHECK_INT(n, 2);
    n = 0;
    AFF_CHECK_INT(aff_store_session_list(ts.st, 100, count_session, &n), 0);
    AFF_CHECK_INT(n, 1); /* s1 expires at 100 */
    AFF_CHECK_INT(aff_store_session_prune(ts.st, 100), 0);
    AFF_CHECK_INT(aff_store_session_delete(ts.st, s2.hash), 0);
    n = 0;
    AFF_CHECK_INT(aff_store_session_list(ts.st, 0, count_session, &n), 0);
    AFF_CHECK_INT(n, 0);
    aff_test_store_close(&ts);
}
