/* password.c - argon2id hashing of user passwords; see password.h. */
#include "core/password.h"

#include <argon2.h>
#include <pthread.h>
#include <string.h>

#include "core/crypto.h"
#include "core/err.h"

/* OWASP's first argon2id configuration: 19 MiB, 2 passes, 1 lane. */
enum { T_COST = 2, M_COST_KIB = 19456, LANES = 1, SALT_LEN = 16, HASH_LEN = 32 };

int aff_password_hash(const char *pw, size_t len, char *out, size_t cap)
{
    unsigned char salt[SALT_LEN];
    if (len < AFF_PASSWORD_MIN || len > AFF_PASSWORD_MAX)
        return AFF_EINVAL;
    if (cap < AFF_PASSWORD_HASH_MAX)
        return AFF_ETOOBIG;
    int rc = aff_random_bytes(salt, sizeof(salt));
    if (rc != 0)
        return rc;
    int arc = argon2id_hash_encoded(T_COST, M_COST_KIB, LANES, pw, len, salt, sizeof(salt), HASH_LEN, out, cap);
    if (arc == ARGON2_MEMORY_ALLOCATION_ERROR)
        return AFF_ENOMEM;
    return arc == ARGON2_OK ? 0 : AFF_EIO;
}

int aff_password_verify(const char *encoded, const char *pw, size_t len)
{
    if (len > AFF_PASSWORD_MAX || strncmp(encoded, "$argon2id$", 10) != 0)
        return AFF_EAUTH;
    return argon2id_verify(encoded, pw, len) == ARGON2_OK ? 0 : AFF_EAUTH;
}

static char dummy[AFF_PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    if (aff_password_hash("not a password of anyone", 24, dummy, sizeof(dummy)) != 0)
        dummy[0] = '\0';
}

int aff_password_verify_dummy(const char *pw, size_t len)
{
    pthread_once(&dummy_once, make_dummy);
    if (dummy[0] != '\0')
        (void)aff_password_verify(dummy, pw, len);
    return AFF_EAUTH;
}
