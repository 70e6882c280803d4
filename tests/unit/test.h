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

#include <stdio.h>
#include <string.h>

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

#define PLUMB_TEST_MAIN(...)                                                                                           \
    int main(int argc, char **argv) {                                                                                  \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                                               \
        return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);                                       \
    }

#endif /* PLUMB_TEST_H */
