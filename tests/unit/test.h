/*
 * test.h - the unit-test kit: AFF_TEST registers a test, AFF_CHECK* record failures
 * without stopping the test. runner.c runs every registered test (or those whose
 * name contains argv[1]) each in its own forked process, so one crash or leak of
 * state cannot hide or cause another test's result, and prints "N passed, N failed".
 */
#ifndef AFF_TEST_H
#define AFF_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*aff_test_fn)(void);
void aff_test_register(const char *name, const char *file, aff_test_fn fn);
void aff_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define AFF_TEST(name)                                                 \
    static void aff_test_##name(void);                                 \
    __attribute__((constructor)) static void aff_test_reg_##name(void) \
    {                                                                  \
        aff_test_register(#name, __FILE__, aff_test_##name);           \
    }                                                                  \
    static void aff_test_##name(void)

#define AFF_CHECK(cond)                                                   \
    do {                                                                  \
        if (!(cond))                                                      \
            aff_test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
    } while (0)

#define AFF_CHECK_INT(a, b)                                                                      \
    do {                                                                                         \
        long long aff_a_ = (long long)(a), aff_b_ = (long long)(b);                              \
        if (aff_a_ != aff_b_)                                                                    \
            aff_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, aff_a_, aff_b_); \
    } while (0)

#define AFF_CHECK_STR(a, b)                                                                                     \
    do {                                                                                                        \
        const char *aff_a_ = (a), *aff_b_ = (b);                                                                \
        if (aff_a_ == NULL || aff_b_ == NULL || strcmp(aff_a_, aff_b_) != 0)                                    \
            aff_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, aff_a_ ? aff_a_ : "(null)", \
                          aff_b_ ? aff_b_ : "(null)");                                                          \
    } while (0)

#endif
