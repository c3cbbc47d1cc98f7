/*
 * password.h - password hashing for dashboard users: argon2id (libargon2) in its
 * encoded form ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), which carries its own
 * parameters and salt, so they can be raised later without a migration.
 *
 * Blocking: both calls take tens of milliseconds of CPU and 19 MiB of memory by design.
 * Never call them on an event-loop thread: run them in a reader job (track/pool.h).
 * Thread-safe.
 */
#ifndef AFF_CORE_PASSWORD_H
#define AFF_CORE_PASSWORD_H

#include <stddef.h>

#define AFF_PASSWORD_MIN 8
#define AFF_PASSWORD_MAX 1024
#define AFF_PASSWORD_HASH_MAX 160 /* encoded hash, NUL included */

/* Hash len bytes of pw with a fresh random salt into out (cap >= AFF_PASSWORD_HASH_MAX).
 * Returns 0, AFF_EINVAL (length outside AFF_PASSWORD_MIN..MAX), AFF_EIO or AFF_ENOMEM. */
int aff_password_hash(const char *pw, size_t len, char *out, size_t cap);

/* 0 when pw matches encoded, AFF_EAUTH when it does not (or encoded is malformed). */
int aff_password_verify(const char *encoded, const char *pw, size_t len);

/* Spend the time of one verification without a stored hash, so that an unknown email
 * answers as slowly as a wrong password. Always returns AFF_EAUTH. */
int aff_password_verify_dummy(const char *pw, size_t len);

#endif
