/* test.h -- what every unit-test binary includes: cmocka, and a main() helper that runs all cases or the one
 * named by argv[1].
 *
 * tests/CMakeLists.txt registers each case as its own ctest test by reading the `cmocka_unit_test(name)` lines
 * (one per line) of the test file and running `binary name`; an unknown name fails, so a typo cannot pass.
 */
#ifndef PLUMB_TEST_H
#define PLUMB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <plumb/plumb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tests' random numbers: a 64-bit LCG whose state each test file seeds (rng_state = seed) for its own data. */
static uint64_t rng_state;
static inline double rnd(void) {
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* Text built up by plumb_test_put (generated CSV tables): s holds len bytes, NUL-terminated; free(s) after. */
typedef struct plumb_test_text {
    char *s;
    size_t len, cap;
} plumb_test_text;

static inline void plumb_test_put(plumb_test_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void plumb_test_put(plumb_test_text *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->cap - b->len < (size_t)n + 1) {
        b->cap = 2 * b->cap + (size_t)n + 4096;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    va_start(ap, fmt);
    b->len += (size_t)vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
}

static inline int plumb_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t n) {
    if (argc > 1) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(tests[i].name, argv[1]) == 0)
                return _cmocka_run_group_tests(argv[0], &tests[i], 1, NULL, NULL);
        fprintf(stderr, "no test case '%s'\n", argv[1]);
        return 2;
    }
    return _cmocka_run_group_tests(argv[0], tests, n, NULL, NULL);
}

/* The directory for temporary files: $TMPDIR, else /tmp. */
static inline const char *plumb_test_tmp_dir(void) {
    const char *dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

/* Writes text to a new temporary file (mkstemp) and returns its path, which the caller unlinks and frees. */
static inline char *plumb_test_temp_file(const char *text) {
    size_t n = strlen(plumb_test_tmp_dir()) + 32;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/plumb_test_XXXXXX", plumb_test_tmp_dir());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), len);
    assert_int_equal(close(fd), 0);
    return path;
}

/* Fails the test with the error's message (file:line:column: what) unless st is PLUMB_OK. */
static inline void plumb_test_ok(plumb_status st, const plumb_error *err) {
    if (st != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fail_msg("%s", plumb_error_format(err, msg, sizeof msg));
    }
}

/* Reads CSV text with the options; a failure fails the test with its message. */
static inline plumb_frame *plumb_test_read(const char *csv, const plumb_read_options *o) {
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_buffer(csv, strlen(csv), o, &f, &err), &err);
    return f;
}

/* Loads a schema from JSON text through a temporary file; a failure fails the test with the message. */
static inline plumb_schema *plumb_test_schema(const char *json) {
    char *path = plumb_test_temp_file(json);
    plumb_schema *s = NULL;
    plumb_error err;
    plumb_status st = plumb_schema_load(path, &s, &err);
    unlink(path);
    free(path);
    plumb_test_ok(st, &err);
    return s;
}

#define PLUMB_TEST_MAIN(...)                                                                                           \
    int main(int argc, char **argv) {                                                                                  \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                                               \
        return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);                                       \
    }

#endif /* PLUMB_TEST_H */
