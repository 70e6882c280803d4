/* kinds.c -- the table of model kinds: the one place that lists them (docs/architecture.md: adding a kind).
 *
 * Each kind's folder defines its plumb__model_ops; the loader finds a file's kind here by the name in the file.
 */
#include "model.h"

#include <string.h>

static const plumb__model_ops *const kinds[] = {
    &plumb__gbdt_ops, &plumb__linear_ops, &plumb__tree_ops, &plumb__gbdt_q_ops, &plumb__compiled_ops,
};

const plumb__model_ops *const *plumb__model_kinds(size_t *n) {
    *n = sizeof kinds / sizeof *kinds;
    return kinds;
}

const plumb__model_ops *plumb__model_kind(const char *name) {
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}
