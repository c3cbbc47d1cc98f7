/* test_password.c - unit tests for src/core/password.c (argon2id via libargon2). */
#include "core/err.h"
#include "core/password.h"
#include "../test.h"

AFF_TEST(password_hash_and_verify)
{
    char a[AFF_PASSWORD_HASH_MAX], b[AFF_PASSWORD_HASH_MAX];
    AFF_CHECK_INT(aff_password_hash("correct horse", 13, a, sizeof(a)), 0);
    AFF_CHECK(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    AFF_CHECK_INT(aff_password_verify(a, "correct horse", 13), 0);
    AFF_CHECK_INT(aff_password_verify(a, "correct horsE", 13), AFF_EAUTH);
    AFF_CHECK_INT(aff_password_verify(a, "correct hors", 12), AFF_EAUTH);
    /* a fresh salt each time: the same password never hashes the same */
    AFF_CHECK_INT(aff_password_hash("correct horse", 13, b, sizeof(b)), 0);
    AFF_CHECK(strcmp(a, b) != 0);
    AFF_CHECK_INT(aff_password_verify(b, "correct horse", 13), 0);
}

AFF_TEST(password_refusals)
{
    char h[AFF_PASSWORD_HASH_MAX];
    AFF_CHECK_INT(aff_password_hash("short", 5, h, sizeof(h)), AFF_EINVAL);
    AFF_CHECK_INT(aff_password_hash("long enough", 11, h, 10), AFF_ETOOBIG);
    /* malformed or foreign encodings never verify */
    AFF_CHECK_INT(aff_password_verify("", "whatever1", 9), AFF_EAUTH);
    AFF_CHECK_INT(aff_password_verify("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "whatever1", 9), AFF_EAUTH);
    AFF_CHECK_INT(aff_password_verify("$argon2id$garbage", "whatever1", 9), AFF_EAUTH);
    AFF_CHECK_INT(aff_password_verify_dummy("whatever1", 9), AFF_EAUTH);
}
