/* target.c -- what evaluation needs to know about a model's target: which class its probabilities are of.
 *
 * Binary models with a text target predict the probability of one of its two categories: the last in sorted order
 * unless training named the first (positive_class), which a gradient-boosted model records as positive_first and
 * linear models and trees by name.
 */
#include "../gbdt/gbdt.h"
#include "../tree/tree.h"
#include "../linear/linear.h"

const char *plumb_model_positive_class(const plumb_model *m) {
    if (m->task != PLUMB_TASK_BINARY)
        return NULL;
    for (int64_t j = 0; j < plumb_schema_n_columns(m->schema); j++) {
        plumb_column_info c;
        plumb_schema_column(m->schema, j, &c);
        if (c.role != PLUMB_ROLE_TARGET)
            continue;
        if (c.type != PLUMB_TYPE_CATEGORICAL || c.n_categories != 2)
            return NULL;
        /* linear models and trees keep the class they predict by name */
        if (m->kind == PLUMB_MODEL_LINEAR && m->linear)
            return m->linear->positive_class;
        if (m->kind == PLUMB_MODEL_TREE && m->cart)
            return m->cart->positive_class;
        return c.categories[m->positive_first ? 0 : 1];
    }
    return NULL;
}
