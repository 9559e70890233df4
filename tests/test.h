/* test.h — the smallest test harness that does the job.
 *
 * Each TEST registers itself at start-up; tests/test_main.c runs every test in a
 * child process (a crash fails that test only) and ends with the summary line
 * "N passed, N failed".  CHECK* macros record a failure and continue, so one run
 * shows every broken expectation of a test. */
#ifndef MT_TEST_H
#define MT_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn, const char *file);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Directory of the source tree (for data/ and tests/fixtures/). */
const char *test_source_dir(void);
/* A fresh empty temporary directory for this test (removed at exit). */
const char *test_tmpdir(void);
/* Write `len` bytes to path; returns 0 on success. */
int test_write_file(const char *path, const void *data, size_t len);

#define TEST(name)                                                                     \
    static void name(void);                                                            \
    __attribute__((constructor)) static void register_##name(void)                     \
    {                                                                                  \
        test_register(#name, name, __FILE__);                                          \
    }                                                                                  \
    static void name(void)

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
    } while (0)

#define CHECK_INT(a, b)                                                                \
    do {                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                            \
        if (a_ != b_) test_fail(__FILE__, __LINE__, "%s = %lld, expected %s = %lld",   \
                                #a, a_, #b, b_);                                       \
    } while (0)

/* |a - b| <= tol (absolute). */
#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                 \
        if (!(fabs(a_ - b_) <= t_)) test_fail(__FILE__, __LINE__,                      \
            "%s = %.9g, expected %s = %.9g within %.3g", #a, a_, #b, b_, t_);          \
    } while (0)

/* Expect a status code and a message containing `needle`. */
#define CHECK_ERROR(status, err, want_code, needle)                                    \
    do {                                                                               \
        int s_ = (status);                                                             \
        if (s_ != (want_code)) test_fail(__FILE__, __LINE__,                           \
            "%s returned %d (%s), expected %d", #status, s_, (err).message, (want_code)); \
        else if (!strstr((err).message, (needle))) test_fail(__FILE__, __LINE__,       \
            "message \"%s\" lacks \"%s\"", (err).message, (needle));                   \
    } while (0)

#endif
