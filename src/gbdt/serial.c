/* serial.c -- the model file's body of a gradient-boosted model: written and read back bit for bit.
 *
 * The body (docs/model-format.md) follows the keys every model starts with: the objective, the schema, the
 * features (bin edges or category counts), the initial scores, the trees as flat arrays, the training parameters
 * and metrics. Reading checks every tree is a proper binary tree over valid features and bins, so that scoring a
 * loaded model always terminates and never reads out of bounds.
 */
#include "gbdt.h"
#include "../model/loader.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Writing                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static json_t *floats(const float *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real((double)v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

#define INTS(type)                                                                                                     \
    static json_t *ints_##type(const type *v, int64_t n) {                                                             \
        json_t *a = json_array();                                                                                      \
        for (int64_t i = 0; a && i < n; i++)                                                                           \
            if (json_array_append_new(a, json_integer((json_int_t)v[i]))) {                                            \
                json_decref(a);                                                                                        \
                return NULL;                                                                                           \
            }                                                                                                          \
        return a;                                                                                                      \
    }
INTS(int32_t)
INTS(int64_t)
INTS(uint8_t)
INTS(uint16_t)

INTS(uint32_t)

static json_t *tree_json(const plumb__gbdt_tree *t) {
    const int64_t nn = t->n_leaves - 1, nl = t->n_leaves;
    json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n_leaves", (json_int_t)nl,
                          "feature", ints_int32_t(t->feature, nn), "bin", ints_uint16_t(t->bin, nn), "threshold",
                          floats(t->threshold, nn), "missing_left", ints_uint8_t(t->missing_left, nn), "left",
                          ints_int32_t(t->left, nn), "right", ints_int32_t(t->right, nn), "gain",
                          plumb__json_reals(t->gain, nn), "node_count", ints_int64_t(t->node_count, nn), "leaf_value",
                          plumb__json_reals(t->leaf_value, nl), "leaf_count", ints_int64_t(t->leaf_count, nl));
    if (o && t->cat_begin &&
        json_object_update_new(o, json_pack("{s:o, s:o, s:o}", "cat_begin", ints_int32_t(t->cat_begin, nn), "cat_words",
                                            ints_int32_t(t->cat_words, nn), "cat_bits",
                                            ints_uint32_t(t->cat_bits, t->n_cat_bits)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *plumb__gbdt_to_json(const plumb_model *model) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    const plumb_gbdt_params *p = &m->params;
    json_t *features = json_array(), *trees = json_array();
    for (int64_t f = 0; features && f < m->n_features; f++) {
        const plumb__feature *ft = &m->features[f];
        const char *name = model->schema->cols[ft->column].name;
        json_array_append_new(features, ft->n_categories > 0
                                            ? json_pack("{s:s, s:i, s:i}", "name", name, "categories", ft->n_categories,
                                                        "monotone", ft->monotone)
                                            : json_pack("{s:s, s:o, s:i}", "name", name, "edges",
                                                        floats(ft->edges, ft->n_bins - 2), "monotone", ft->monotone));
    }
    for (int64_t k = 0; trees && k < m->n_trees; k++)
        json_array_append_new(trees, tree_json(&m->trees[k]));
    json_t *params =
        json_pack("{s:I, s:f, s:i, s:i, s:I, s:f, s:f, s:f, s:f, s:i, s:f, s:f, s:i, s:I, s:I}", "num_iterations",
                  (json_int_t)p->num_iterations, "learning_rate", p->learning_rate, "num_leaves", p->num_leaves,
                  "max_depth", p->max_depth, "min_data_in_leaf", (json_int_t)p->min_data_in_leaf,
                  "min_sum_hessian_in_leaf", p->min_sum_hessian_in_leaf, "lambda_l1", p->lambda_l1, "lambda_l2",
                  p->lambda_l2, "min_gain_to_split", p->min_gain_to_split, "max_bin", p->max_bin, "feature_fraction",
                  p->feature_fraction, "bagging_fraction", p->bagging_fraction, "bagging_freq", p->bagging_freq,
                  "early_stopping_rounds", (json_int_t)p->early_stopping_rounds, "seed", (json_int_t)p->seed);
    json_object_update_new(params,
                           json_pack("{s:f, s:f, s:I, s:i, s:i}", "cat_smooth", p->cat_smooth, "cat_l2", p->cat_l2,
                                     "min_data_per_group", (json_int_t)p->min_data_per_group, "max_cat_threshold",
                                     p->max_cat_threshold, "max_cat_to_onehot", p->max_cat_to_onehot));
    json_t *metrics = json_pack("{s:s, s:o, s:o}", "name", m->metric, "train",
                                isfinite(m->train_metric) ? json_real(m->train_metric) : json_null(), "valid",
                                m->valid_metric ? plumb__json_reals(m->valid_metric, m->n_iterations) : json_null());
    json_t *objective = json_pack("{s:s, s:f, s:f}", "name", plumb_objective_name(m->objective.kind), "alpha",
                                  m->objective.alpha, "max_delta_step", m->objective.max_delta_step);
    json_t *root = plumb__model_json_begin(model);
    if (root && plumb__json_add(root, "objective", objective) &&
        plumb__json_add(root, "n_classes", json_integer(m->n_classes)) &&
        plumb__json_add(root, "schema", plumb__schema_to_json(model->schema)) &&
        plumb__json_add(root, "features", features) &&
        plumb__json_add(root, "init_score", plumb__json_reals(m->init_score, m->n_classes)) &&
        plumb__json_add(root, "trees", trees) && plumb__json_add(root, "params", params) &&
        plumb__json_add(root, "metrics", metrics) &&
        plumb__json_add(root, "init_iterations", json_integer((json_int_t)m->init_iterations)) &&
        plumb__json_add(root, "n_iterations", json_integer((json_int_t)m->n_iterations)) &&
        plumb__json_add(root, "best_iteration", json_integer((json_int_t)m->best_iteration)) &&
        plumb__json_add(root, "provenance", plumb__provenance_json(model)))
        return root;
    json_decref(root);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Reading                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Reads array key of obj, of exactly n numbers, into out via conv. */
static bool read_array(plumb__loader *ld, const json_t *obj, const char *key, int64_t n, void *out, char kind) {
    const json_t *a = json_object_get(obj, key);
    if (!json_is_array(a) || (int64_t)json_array_size(a) != n)
        return plumb__loader_bad(ld, key);
    for (int64_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, (size_t)i);
        if (kind == 'd' || kind == 'f') {
            double x = json_is_null(v) ? NAN : json_number_value(v);
            if (!json_is_number(v) && !json_is_null(v))
                return plumb__loader_bad(ld, key);
            if (kind == 'd')
                ((double *)out)[i] = x;
            else
                ((float *)out)[i] = (float)x;
        } else {
            if (!json_is_integer(v))
                return plumb__loader_bad(ld, key);
            json_int_t x = json_integer_value(v);
            if (kind == 'i') {
                if (x < INT32_MIN || x > INT32_MAX)
                    return plumb__loader_bad(ld, key);
                ((int32_t *)out)[i] = (int32_t)x;
            } else if (kind == 'l') {
                ((int64_t *)out)[i] = (int64_t)x;
            } else if (kind == 'u') {
                if (x < 0 || x > UINT32_MAX)
                    return plumb__loader_bad(ld, key);
                ((uint32_t *)out)[i] = (uint32_t)x;
            } else if (kind == 'w') {
                if (x < 0 || x > 65535)
                    return plumb__loader_bad(ld, key);
                ((uint16_t *)out)[i] = (uint16_t)x;
            } else {
                if (x < 0 || x > 255)
                    return plumb__loader_bad(ld, key);
                ((uint8_t *)out)[i] = (uint8_t)x;
            }
        }
    }
    return true;
}

/* A tree must be a proper binary tree over its nodes and leaves, with features and bins in range: then scoring
 * always terminates and never reads out of bounds. */
static bool check_tree(plumb__loader *ld, const plumb__gbdt *m, const plumb__gbdt_tree *t) {
    const int32_t nn = t->n_leaves - 1;
    char *seen = calloc((size_t)(2 * t->n_leaves + 1), 1);
    if (!seen)
        return plumb__loader_bad(ld, "out of memory");
    bool ok = true;
    for (int32_t i = 0; ok && i < nn; i++) {
        const int32_t f = t->feature[i];
        const bool cat = t->cat_begin && t->cat_begin[i] >= 0;
        if (f < 0 || f >= m->n_features || t->missing_left[i] > 1 || cat != (m->features[f].n_categories > 0))
            ok = false;
        else if (cat)
            ok = f < (int32_t)PLUMB__SCAT && t->cat_words[i] >= 1 &&
                 t->cat_words[i] <= (m->features[f].n_bins + 31) / 32 &&
                 t->cat_begin[i] <= t->n_cat_bits - t->cat_words[i];
        else
            ok = t->bin[i] >= 1 && t->bin[i] <= m->features[f].n_bins - 2 &&
                 t->threshold[i] == m->features[f].edges[t->bin[i] - 1];
        for (int side = 0; ok && side < 2; side++) {
            int32_t c = side ? t->right[i] : t->left[i];
            /* children point forward (nodes are numbered in creation order) or at a leaf */
            if (c >= 0 ? (c <= i || c >= nn || seen[c]++) : (~c >= t->n_leaves || seen[nn + ~c]++))
                ok = false;
        }
    }
    for (int32_t i = 0; ok && i < nn + t->n_leaves; i++)
        ok = seen[i] == 1 || i == 0; /* every node but the root, and every leaf, has exactly one parent */
    if (nn == 0)
        ok = ok && t->n_leaves == 1;
    free(seen);
    return ok ? true : plumb__loader_bad(ld, "a tree is not well formed");
}

plumb_status plumb__gbdt_from_json(plumb__loader *ld, const json_t *root, plumb_model *model) {
    plumb__gbdt *m = calloc(1, sizeof *m);
    if (!(model->impl = m))
        return plumb__fail(ld->err, PLUMB_ENOMEM, "out of memory");
    plumb_gbdt_params_init(&m->params);
    const char *task = json_string_value(json_object_get(root, "task"));
    model->task = strcmp(task, "binary") == 0       ? PLUMB_TASK_BINARY
                  : strcmp(task, "multiclass") == 0 ? PLUMB_TASK_MULTICLASS
                                                    : PLUMB_TASK_REGRESSION;
    /* files from before objectives were chosen have neither objective nor n_classes: the task says which */
    const json_t *obj = json_object_get(root, "objective");
    const char *oname = obj                                ? json_string_value(json_object_get(obj, "name"))
                        : model->task == PLUMB_TASK_BINARY ? "binary"
                                                           : "l2";
    m->objective.alpha = json_number_value(json_object_get(obj, "alpha"));
    m->objective.max_delta_step = json_number_value(json_object_get(obj, "max_delta_step"));
    const json_int_t n_classes = obj ? json_integer_value(json_object_get(root, "n_classes")) : 1;
    if (!oname || plumb_objective_parse(oname, &m->objective.kind, NULL) != PLUMB_OK ||
        m->objective.kind == PLUMB_OBJECTIVE_AUTO || n_classes < 1 || n_classes > 100000 ||
        (n_classes > 1) != (m->objective.kind == PLUMB_OBJECTIVE_MULTICLASS)) {
        plumb__loader_bad(ld, "objective");
        goto done;
    }
    model->n_outputs = m->n_classes = (int32_t)n_classes;
    if ((ld->st = plumb__schema_from_json(json_object_get(root, "schema"), ld->name, &model->schema, ld->err)) !=
        PLUMB_OK)
        goto done;
    const char *positive = json_string_value(json_object_get(root, "positive_class"));
    if (positive) { /* written for a binary model with a text target; absent: the default, the last category */
        bool found = false;
        for (int64_t j = 0; j < plumb_schema_n_columns(model->schema); j++) {
            plumb_column_info c;
            plumb_schema_column(model->schema, j, &c);
            if (c.role == PLUMB_ROLE_TARGET && c.n_categories == 2 && model->task == PLUMB_TASK_BINARY) {
                found = strcmp(positive, c.categories[0]) == 0 || strcmp(positive, c.categories[1]) == 0;
                model->positive_first = strcmp(positive, c.categories[0]) == 0;
            }
        }
        if (!found) {
            plumb__loader_bad(ld, "positive class is not a category of a binary target");
            goto done;
        }
    }
    const json_t *features = json_object_get(root, "features"), *trees = json_object_get(root, "trees");
    if (!json_is_array(features) || !json_is_array(trees)) {
        plumb__loader_bad(ld, "missing features or trees");
        goto done;
    }
    if (!(m->init_score = malloc((size_t)m->n_classes * sizeof *m->init_score))) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    const json_t *init = json_object_get(root, "init_score");
    if (json_is_number(init) && m->n_classes == 1)
        m->init_score[0] = json_number_value(init);
    else if (!read_array(ld, root, "init_score", m->n_classes, m->init_score, 'd'))
        goto done;
    m->n_features = (int64_t)json_array_size(features);
    if (!(m->features = calloc((size_t)m->n_features + 1, sizeof *m->features))) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    for (int64_t f = 0; f < m->n_features; f++) {
        const json_t *fo = json_array_get(features, (size_t)f), *edges = json_object_get(fo, "edges");
        const char *name = json_string_value(json_object_get(fo, "name"));
        const int64_t col = name ? plumb__schema_find(model->schema, name) : -1;
        const json_int_t n_cat = json_integer_value(json_object_get(fo, "categories"));
        const json_int_t mono = json_integer_value(json_object_get(fo, "monotone"));
        plumb__feature *ft = &m->features[f];
        if (col < 0 || mono < -1 || mono > 1) {
            plumb__loader_bad(ld, "bad feature");
            goto done;
        }
        ft->column = col;
        ft->monotone = (int8_t)mono;
        if (n_cat > 0) {
            if (n_cat > PLUMB__MAX_BINS - 2 || model->schema->cols[col].type != PLUMB_TYPE_CATEGORICAL) {
                plumb__loader_bad(ld, "bad feature");
                goto done;
            }
            ft->n_categories = (int32_t)n_cat;
            ft->n_bins = ft->n_categories + 1;
            m->wide |= ft->n_bins > PLUMB__NARROW_BINS;
            continue;
        }
        if (!json_is_array(edges) || json_array_size(edges) > PLUMB__MAX_BINS - 2) {
            plumb__loader_bad(ld, "bad feature");
            goto done;
        }
        ft->n_bins = (int32_t)json_array_size(edges) + 2;
        m->wide |= ft->n_bins > PLUMB__NARROW_BINS;
        if (!(ft->edges = malloc((size_t)ft->n_bins * sizeof *ft->edges)) ||
            !read_array(ld, fo, "edges", ft->n_bins - 2, ft->edges, 'f'))
            goto done;
        for (int32_t k = 1; k < ft->n_bins - 2; k++)
            if (!(ft->edges[k - 1] < ft->edges[k])) {
                plumb__loader_bad(ld, "feature edges not ascending");
                goto done;
            }
    }
    m->n_trees = (int64_t)json_array_size(trees);
    if (!(m->trees = calloc((size_t)m->n_trees + 1, sizeof *m->trees))) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < m->n_trees; k++) {
        const json_t *to = json_array_get(trees, (size_t)k);
        const json_int_t nl = json_integer_value(json_object_get(to, "n_leaves"));
        if (nl < 1 || nl > 131072 || !plumb__gbdt_tree_alloc(&m->trees[k], (int32_t)nl)) {
            m->n_trees = k;
            plumb__loader_bad(ld, "bad tree size");
            goto done;
        }
        plumb__gbdt_tree *t = &m->trees[k];
        const int64_t nn = nl - 1;
        if (!read_array(ld, to, "feature", nn, t->feature, 'i') || !read_array(ld, to, "bin", nn, t->bin, 'w') ||
            !read_array(ld, to, "threshold", nn, t->threshold, 'f') ||
            !read_array(ld, to, "missing_left", nn, t->missing_left, 'b') ||
            !read_array(ld, to, "left", nn, t->left, 'i') || !read_array(ld, to, "right", nn, t->right, 'i') ||
            !read_array(ld, to, "gain", nn, t->gain, 'd') ||
            !read_array(ld, to, "node_count", nn, t->node_count, 'l') ||
            !read_array(ld, to, "leaf_value", nl, t->leaf_value, 'd') ||
            !read_array(ld, to, "leaf_count", nl, t->leaf_count, 'l'))
            goto done;
        const json_t *bits = json_object_get(to, "cat_bits");
        if (bits) {
            const size_t nw = json_array_size(bits);
            if (!json_is_array(bits) || nw > (size_t)INT32_MAX / 2 || !plumb__gbdt_tree_alloc_cats(t, (int32_t)nw) ||
                !read_array(ld, to, "cat_begin", nn, t->cat_begin, 'i') ||
                !read_array(ld, to, "cat_words", nn, t->cat_words, 'i') ||
                !read_array(ld, to, "cat_bits", (int64_t)nw, t->cat_bits, 'u')) {
                plumb__loader_bad(ld, "categorical splits");
                goto done;
            }
        }
        if (!check_tree(ld, m, t))
            goto done;
    }
    const json_t *metrics = json_object_get(root, "metrics");
    m->n_iterations = json_integer_value(json_object_get(root, "n_iterations"));
    m->init_iterations = json_integer_value(json_object_get(root, "init_iterations"));
    const char *metric = json_string_value(json_object_get(metrics, "name"));
    snprintf(m->metric, sizeof m->metric, "%s", metric ? metric : "");
    m->best_iteration = json_integer_value(json_object_get(root, "best_iteration"));
    const json_t *train = json_object_get(metrics, "train"), *valid = json_object_get(metrics, "valid");
    if (m->n_iterations < 0 || m->n_iterations > 100000000 || !(json_is_number(train) || json_is_null(train))) {
        plumb__loader_bad(ld, "metrics");
        goto done;
    }
    m->train_metric = json_is_null(train) ? NAN : json_number_value(train);
    if (json_is_array(valid) && (!(m->valid_metric = malloc(((size_t)m->n_iterations + 1) * sizeof *m->valid_metric)) ||
                                 !read_array(ld, metrics, "valid", m->n_iterations, m->valid_metric, 'd')))
        goto done;
    const json_t *params = json_object_get(root, "params");
    m->params.num_iterations = json_integer_value(json_object_get(params, "num_iterations"));
    m->params.learning_rate = json_number_value(json_object_get(params, "learning_rate"));
    m->params.num_leaves = (int32_t)json_integer_value(json_object_get(params, "num_leaves"));
    m->params.max_depth = (int32_t)json_integer_value(json_object_get(params, "max_depth"));
    m->params.min_data_in_leaf = json_integer_value(json_object_get(params, "min_data_in_leaf"));
    m->params.min_sum_hessian_in_leaf = json_number_value(json_object_get(params, "min_sum_hessian_in_leaf"));
    m->params.lambda_l1 = json_number_value(json_object_get(params, "lambda_l1"));
    m->params.lambda_l2 = json_number_value(json_object_get(params, "lambda_l2"));
    m->params.min_gain_to_split = json_number_value(json_object_get(params, "min_gain_to_split"));
    m->params.max_bin = (int32_t)json_integer_value(json_object_get(params, "max_bin"));
    m->params.feature_fraction = json_number_value(json_object_get(params, "feature_fraction"));
    m->params.bagging_fraction = json_number_value(json_object_get(params, "bagging_fraction"));
    m->params.bagging_freq = (int32_t)json_integer_value(json_object_get(params, "bagging_freq"));
    m->params.early_stopping_rounds = json_integer_value(json_object_get(params, "early_stopping_rounds"));
    m->params.seed = (uint64_t)json_integer_value(json_object_get(params, "seed"));
    m->params.cat_smooth = json_number_value(json_object_get(params, "cat_smooth"));
    m->params.cat_l2 = json_number_value(json_object_get(params, "cat_l2"));
    m->params.min_data_per_group = json_integer_value(json_object_get(params, "min_data_per_group"));
    m->params.max_cat_threshold = (int32_t)json_integer_value(json_object_get(params, "max_cat_threshold"));
    m->params.max_cat_to_onehot = (int32_t)json_integer_value(json_object_get(params, "max_cat_to_onehot"));
    m->params.objective = m->objective.kind;
    m->params.alpha = m->objective.alpha;
    m->params.poisson_max_delta_step = m->objective.max_delta_step;
    m->params.task = model->task;
    if (!plumb__gbdt_prepare(m) || !plumb__gbdt_set_features(model, m)) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    return PLUMB_OK;
done:
    return ld->st != PLUMB_OK ? ld->st : plumb__fail(ld->err, PLUMB_EFORMAT, "corrupted model file");
}
