/* test_task.c -- the task names: plumb_task_name and plumb_task_parse read and print the one table in plumb.h,
 * and every name round-trips. */
#include "test.h"

#include <string.h>

static void every_task_round_trips(void **state) {
    (void)state;
    const plumb_task all[] = {PLUMB_TASK_AUTO, PLUMB_TASK_BINARY, PLUMB_TASK_REGRESSION, PLUMB_TASK_MULTICLASS};
    const char *names[] = {"auto", "binary", "regression", "multiclass"};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        assert_string_equal(plumb_task_name(all[i]), names[i]);
        plumb_task t = PLUMB_TASK_AUTO;
        assert_int_equal(plumb_task_parse(names[i], &t, NULL), PLUMB_OK);
        assert_int_equal(t, all[i]);
    }
    assert_string_equal(plumb_task_name((plumb_task)99), "unknown");
}

static void unknown_task_names_are_refused(void **state) {
    (void)state;
    plumb_task t = PLUMB_TASK_BINARY;
    plumb_error err;
    assert_int_equal(plumb_task_parse("binry", &t, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "unknown task 'binry' (expected binary, regression, multiclass or auto)");
    assert_int_equal(t, PLUMB_TASK_BINARY);
    assert_int_equal(plumb_task_parse(NULL, &t, &err), PLUMB_EINVAL);
    assert_int_equal(plumb_task_parse("Binary", &t, NULL), PLUMB_EINVAL);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_task_round_trips),
        cmocka_unit_test(unknown_task_names_are_refused),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
