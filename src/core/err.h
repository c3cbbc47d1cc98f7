/*
 * err.h - the one error convention of afftrack.
 *
 * Every fallible function returns int: 0 on success, a negative AFF_E* code on
 * failure. The codes come from one X-macro list so the name, the message and the
 * number never drift apart. HTTP statuses are mapped from these codes in exactly
 * one place (src/api/error.c); nothing below api/ knows about HTTP.
 */
#ifndef AFF_CORE_ERR_H
#define AFF_CORE_ERR_H

/* X(name, number, short code used in JSON errors, message) */
#define AFF_ERRNO_MAP(X)                                                                        \
    X(EINVAL, -1, "invalid_argument", "invalid argument")                                       \
    X(ENOMEM, -2, "out_of_memory", "out of memory")                                             \
    X(ENOTFOUND, -3, "not_found", "not found")                                                  \
    X(EEXIST, -4, "already_exists", "already exists")                                           \
    X(ECONFLICT, -5, "conflict", "conflicting state")                                           \
    X(ESTORE, -6, "store_error", "storage failure")                                             \
    X(ETOOBIG, -7, "too_large", "input exceeds its limit")                                      \
    X(EAUTH, -8, "unauthenticated", "missing or invalid credentials")                           \
    X(EFORBIDDEN, -9, "forbidden", "not allowed")                                               \
    X(EUNAVAIL, -10, "unavailable", "temporarily unavailable")                                  \
    X(ERANGE, -11, "out_of_range", "value out of range")                                        \
    X(EIO, -13, "io_error", "input/output error")                                               \
    X(EBADID, -14, "invalid_click_id", "click id is malformed or forged")                       \
    X(ENOATTR, -15, "not_attributed", "no click, cookie, coupon or customer matched")           \
    X(ECURRENCY, -16, "currency_mismatch", "currency is not the program's currency")            \
    X(ESHUTDOWN, -17, "shutting_down", "server is shutting down")                               \
    X(EUNKNOWNCLICK, -18, "unknown_click_id", "click id is not a stored click of this program") \
    X(EAGAIN, -19, "retry", "try again")                                                        \
    X(EINVARIANT, -20, "invariant_violated", "a ledger invariant would be broken")              \
    X(ERATELIMIT, -24, "rate_limited", "too many attempts, retry later")

enum {
    AFF_OK = 0,
#define AFF_ERR_ENUM(name, num, code, msg) AFF_##name = (num),
    AFF_ERRNO_MAP(AFF_ERR_ENUM)
#undef AFF_ERR_ENUM
};

/* Human message for rc (static storage, never NULL; unknown codes get "unknown error"). */
const char *aff_strerror(int rc);

/* Short machine code for rc, as used in JSON error bodies ("invalid_argument", ...). */
const char *aff_errcode(int rc);

#endif

#ifndef AFF_CORE_ERRINFO_H
#define AFF_CORE_ERRINFO_H
/* Detail for an error: which input field is at fault and a human message. Validation
 * code fills it with aff_fail(); api/ turns (rc, info) into the JSON error body. */
typedef struct aff_errinfo {
    const char *field; /* static string or NULL */
    char msg[240];
} aff_errinfo;

/* Record field and a printf-style message in e (may be NULL) and return rc. */
int aff_fail(aff_errinfo *e, int rc, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#endif
