/* task.c -- the names of the tasks, read and printed from the one table in plumb.h (PLUMB_TASK_MAP).
 *
 * Every command that takes --task, and every file that records a task, goes through these two functions, so a new
 * task is one line in the table.
 */
#include "../base/base.h"

#include <string.h>

static const char *const task_names[] = {
#define X(NAME, name) [PLUMB_TASK_##NAME] = name,
    PLUMB_TASK_MAP(X)
#undef X
};
#define N_TASKS (sizeof task_names / sizeof *task_names)

const char *plumb_task_name(plumb_task task) {
    return (unsigned)task < N_TASKS ? task_names[task] : "unknown";
}

plumb_status plumb_task_parse(const char *name, plumb_task *out, plumb_error *err) {
    plumb__error_clear(err);
    for (size_t t = 0; name && t < N_TASKS; t++)
        if (strcmp(name, task_names[t]) == 0) {
            *out = (plumb_task)t;
            return PLUMB_OK;
        }
    return plumb__fail(err, PLUMB_EINVAL, "unknown task '%s' (expected binary, regression, multiclass or auto)",
                       name ? name : "");
}
