/*
 * test.h — a minimal test harness: TEST(name) { ... CHECK(cond); ... }.
 * Tests register themselves; test_main.c runs them all and ends with the
 * line "N passed, M failed".
 */
#ifndef TRJ_TEST_H
#define TRJ_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *what);

#define TEST(name)                                                                     \
    static void name(void);                                                            \
    __attribute__((constructor)) static void register_##name(void) { test_register(#name, name); } \
    static void name(void)

#define CHECK(cond)                                         \
    do {                                                    \
        if (!(cond))                                        \
            test_fail(__FILE__, __LINE__, #cond);           \
    } while (0)

/* CHECK with the two values shown on failure. */
#define CHECK_EQ(a, b)                                                                  \
    do {                                                                                \
        long long va_ = (long long)(a), vb_ = (long long)(b);                           \
        if (va_ != vb_) {                                                               \
            char w_[256];                                                               \
            snprintf(w_, sizeof w_, "%s == %s (%lld vs %lld)", #a, #b, va_, vb_);       \
            test_fail(__FILE__, __LINE__, w_);                                          \
        }                                                                               \
    } while (0)

#endif /* TRJ_TEST_H */
