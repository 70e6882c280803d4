/* predict.c -- scoring with a CART tree: the kind's operations (plumb__tree_ops), its block kernel and the training
 * metric.
 *
 * Rows arrive as feature values (src/model/model.h: numbers, or the model's category codes) and walk from the root
 * to their leaf (the split rules are in tree.h); the leaf's value is the prediction. The training metric walks the
 * training frame's bound columns with the same decision, goes_left.
 */

#include "tree.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Scoring                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

typedef plumb__source source;

/* Whether feature value v (model.h: a number, or the model's category code) goes left at node nd. */
static bool goes_left(const struct plumb__cart *c, const plumb__cart_node *nd, float v) {
    if (c->features[nd->feature].type != PLUMB_TYPE_CATEGORICAL)
        return v != v ? nd->missing_left : (double)v <= nd->threshold;
    const int32_t code = (int32_t)v;
    if (code == PLUMB_CODE_MISSING)
        return nd->missing_left;
    if (code < 0 || code >= c->features[nd->feature].n_categories)
        return nd->unseen_left;
    return (c->bits[nd->bits + code / 64] >> (code % 64)) & 1;
}

static int32_t leaf_of(const struct plumb__cart *c, const source *src, int64_t i) {
    int32_t k = 0;
    while (c->nodes[k].left >= 0) {
        const plumb__cart_node *nd = &c->nodes[k];
        k = goes_left(c, nd, plumb__source_value(&src[nd->feature], i)) ? nd->left : nd->right;
    }
    return k;
}

/* The leaf a row of feature values reaches. */
static int32_t leaf_of_values(const struct plumb__cart *c, const float *x) {
    int32_t k = 0;
    while (c->nodes[k].left >= 0) {
        const plumb__cart_node *nd = &c->nodes[k];
        k = goes_left(c, nd, x[nd->feature]) ? nd->left : nd->right;
    }
    return k;
}

/* A tree's leaves hold its predictions (the positive class's share, or the mean): there is no link. */
static void score_block(const plumb_model *m, const float *x, int64_t nr, void *scratch, double *out) {
    (void)scratch;
    const struct plumb__cart *c = plumb__cart_of(m);
    for (int64_t i = 0; i < nr; i++)
        out[i] = c->nodes[leaf_of_values(c, x + i * c->n_features)].value;
}

static void describe(const plumb_model *m, plumb_model_info *info) {
    info->n_trees = 1;
    info->n_iterations = 1;
    info->best_iteration = 1;
    info->metric = m->task == PLUMB_TASK_BINARY ? "accuracy" : "l2";
    info->train_metric = plumb__cart_of(m)->train_metric;
}

static const char *positive_class(const plumb_model *m) {
    return plumb__cart_of(m)->positive_class;
}

static void free_impl(void *impl) {
    plumb__cart_free(impl);
}

const plumb__model_ops plumb__tree_ops = {
    .name = "tree",
    .kind = PLUMB_MODEL_TREE,
    .free = free_impl,
    .score_block = score_block,
    .describe = describe,
    .to_json = plumb__cart_model_json,
    .from_json = plumb__cart_model_parse,
    .positive_class = positive_class,
    .rules = plumb__cart_rules,
};

/* The training metric of the (pruned) tree on its training rows: accuracy at 0.5 for binary (a tie predicts the
 * negative class, as scikit-learn's argmax over [negative, positive]), mean squared error for regression; both
 * weighted by the weight column. */
plumb_status plumb__cart_train_metric(const plumb_model *m, const plumb_frame *train, const double *y,
                                      const uint8_t *cls, const double *sw, double *out, plumb_error *err) {
    source *src = NULL;
    plumb_status st = plumb__model_bind(m, train, &src, err);
    if (st != PLUMB_OK)
        return st;
    const struct plumb__cart *c = plumb__cart_of(m);
    const int64_t n = plumb_frame_n_rows(train);
    const bool classify = m->task == PLUMB_TASK_BINARY;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        const double v = c->nodes[leaf_of(c, src, i)].value;
        if (classify)
            num += sw[i] * ((v > 0.5) == (cls[i] == 1));
        else
            num += sw[i] * (v - y[i]) * (v - y[i]);
        den += sw[i];
    }
    *out = num / den;
    plumb__sources_free(src, c->n_features);
    return PLUMB_OK;
}
