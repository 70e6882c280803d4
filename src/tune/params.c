/* params.c -- what can be tuned: the table of model parameters a space may name, the default space of each model
 * kind, and the functions that write a trial's values into a kind's params struct.
 *
 * A row names the parameter as its params struct does (learning_rate), the kinds that read it, where it lives and
 * the values the model accepts, so a space file is checked against what training would refuse before any trial
 * runs. The default spaces are JSON text parsed by the same parser as a space file; docs/tune.md shows them.
 */
#include "tune.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G(f) offsetof(plumb_gbdt_params, f)
#define L(f) offsetof(plumb_linear_params, f)
#define T(f) offsetof(plumb_tree_params, f)

static const plumb__tunable rows[] = {
    {"learning_rate", TUNE_GBDT, TUNE_F64, G(learning_rate), 0, 0, 0, 1, true},
    {"num_iterations", TUNE_GBDT, TUNE_I64, G(num_iterations), 0, 0, 1, 1e6, false},
    {"num_leaves", TUNE_GBDT, TUNE_I32, G(num_leaves), 0, 0, 2, 131072, false},
    {"max_depth", TUNE_GBDT | TUNE_TREE, TUNE_I32, G(max_depth), 0, T(max_depth), 1, 1000, false},
    {"min_data_in_leaf", TUNE_GBDT, TUNE_I64, G(min_data_in_leaf), 0, 0, 1, 1e9, false},
    {"min_sum_hessian_in_leaf", TUNE_GBDT, TUNE_F64, G(min_sum_hessian_in_leaf), 0, 0, 0, 1e9, false},
    {"lambda_l1", TUNE_GBDT, TUNE_F64, G(lambda_l1), 0, 0, 0, 1e9, false},
    {"lambda_l2", TUNE_GBDT, TUNE_F64, G(lambda_l2), 0, 0, 0, 1e9, false},
    {"min_gain_to_split", TUNE_GBDT, TUNE_F64, G(min_gain_to_split), 0, 0, 0, 1e9, false},
    {"max_bin", TUNE_GBDT, TUNE_I32, G(max_bin), 0, 0, 2, 65535, false},
    {"feature_fraction", TUNE_GBDT, TUNE_F64, G(feature_fraction), 0, 0, 0, 1, true},
    {"bagging_fraction", TUNE_GBDT, TUNE_F64, G(bagging_fraction), 0, 0, 0, 1, true},
    {"bagging_freq", TUNE_GBDT, TUNE_I32, G(bagging_freq), 0, 0, 0, 1e6, false},
    {"cat_smooth", TUNE_GBDT, TUNE_F64, G(cat_smooth), 0, 0, 0, 1e9, false},
    {"cat_l2", TUNE_GBDT, TUNE_F64, G(cat_l2), 0, 0, 0, 1e9, false},
    {"min_data_per_group", TUNE_GBDT, TUNE_I64, G(min_data_per_group), 0, 0, 1, 1e9, false},
    {"max_cat_threshold", TUNE_GBDT, TUNE_I32, G(max_cat_threshold), 0, 0, 1, 64, false},
    {"max_cat_to_onehot", TUNE_GBDT, TUNE_I32, G(max_cat_to_onehot), 0, 0, 1, 1e6, false},
    {"alpha", TUNE_LINEAR, TUNE_F64, 0, L(alpha), 0, 0, 1e9, false},
    {"l1_ratio", TUNE_LINEAR, TUNE_F64, 0, L(l1_ratio), 0, 0, 1, false},
    {"clip_quantile", TUNE_LINEAR, TUNE_F64, 0, L(clip_quantile), 0, 0, 0.4999, false},
    {"min_category_weight", TUNE_LINEAR, TUNE_F64, 0, L(min_category_weight), 0, 0, 1e9, false},
    {"class_weight", TUNE_LINEAR | TUNE_TREE, TUNE_CLASS_WEIGHT, 0, 0, 0, 0, 0, false},
    {"criterion", TUNE_TREE, TUNE_CRITERION, 0, 0, T(criterion), 0, 0, false},
    {"min_samples_split", TUNE_TREE, TUNE_I64, 0, 0, T(min_samples_split), 2, 1e9, false},
    {"min_samples_leaf", TUNE_TREE, TUNE_I64, 0, 0, T(min_samples_leaf), 1, 1e9, false},
    {"min_impurity_decrease", TUNE_TREE, TUNE_F64, 0, 0, T(min_impurity_decrease), 0, 1e9, false},
    {"ccp_alpha", TUNE_TREE, TUNE_F64, 0, 0, T(ccp_alpha), 0, 1e9, false},
};

const plumb__tunable *plumb__tunable_find(const char *name, unsigned kind) {
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if ((rows[i].kinds & kind) && strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

unsigned plumb__tune_kind(const char *model) {
    if (!model)
        return 0;
    if (strcmp(model, "gbdt") == 0)
        return TUNE_GBDT;
    if (strcmp(model, "logistic") == 0 || strcmp(model, "linear") == 0)
        return TUNE_LINEAR;
    if (strcmp(model, "tree") == 0)
        return TUNE_TREE;
    return 0;
}

/* The default spaces (docs/tune.md). gbdt: the ranges Optuna's LightGBM examples and most Kaggle searches use;
 * the number of trees is not tuned -- each fold stops early on its own (plumb tune sets 1000 rounds and a patience
 * of 50). bagging_fraction only matters when bagging is on, so it is conditional on bagging_freq. */
static const char gbdt_space[] =
    "{\n"
    "  \"learning_rate\": {\"type\": \"float\", \"low\": 0.01, \"high\": 0.3, \"log\": true},\n"
    "  \"num_leaves\": {\"type\": \"int\", \"low\": 4, \"high\": 128, \"log\": true},\n"
    "  \"min_data_in_leaf\": {\"type\": \"int\", \"low\": 2, \"high\": 200, \"log\": true},\n"
    "  \"feature_fraction\": {\"type\": \"float\", \"low\": 0.4, \"high\": 1.0},\n"
    "  \"lambda_l2\": {\"type\": \"float\", \"low\": 0.001, \"high\": 30, \"log\": true},\n"
    "  \"bagging_freq\": {\"type\": \"categorical\", \"choices\": [0, 1]},\n"
    "  \"bagging_fraction\": {\"type\": \"float\", \"low\": 0.4, \"high\": 1.0,\n"
    "                       \"when\": {\"bagging_freq\": [1]}}\n"
    "}\n";

static const char linear_space[] = "{\n"
                                   "  \"alpha\": {\"type\": \"float\", \"low\": 1e-06, \"high\": 10, \"log\": true},\n"
                                   "  \"l1_ratio\": {\"type\": \"float\", \"low\": 0, \"high\": 1},\n"
                                   "  \"clip_quantile\": {\"type\": \"float\", \"low\": 0, \"high\": 0.05}\n"
                                   "}\n";

static const char tree_binary_space[] =
    "{\n"
    "  \"max_depth\": {\"type\": \"int\", \"low\": 2, \"high\": 20},\n"
    "  \"min_samples_leaf\": {\"type\": \"int\", \"low\": 1, \"high\": 200, \"log\": true},\n"
    "  \"criterion\": {\"type\": \"categorical\", \"choices\": [\"gini\", \"entropy\"]},\n"
    "  \"ccp_alpha\": {\"type\": \"float\", \"low\": 1e-06, \"high\": 0.01, \"log\": true}\n"
    "}\n";

static const char tree_regression_space[] =
    "{\n"
    "  \"max_depth\": {\"type\": \"int\", \"low\": 2, \"high\": 20},\n"
    "  \"min_samples_leaf\": {\"type\": \"int\", \"low\": 1, \"high\": 200, \"log\": true},\n"
    "  \"ccp_alpha\": {\"type\": \"float\", \"low\": 1e-06, \"high\": 0.01, \"log\": true}\n"
    "}\n";

plumb_status plumb_tune_space_default(const char *model, plumb_task task, plumb_tune_space **out, plumb_error *err) {
    *out = NULL;
    const unsigned kind = plumb__tune_kind(model);
    const char *text = kind == TUNE_GBDT     ? gbdt_space
                       : kind == TUNE_LINEAR ? linear_space
                       : kind == TUNE_TREE ? (task == PLUMB_TASK_REGRESSION ? tree_regression_space : tree_binary_space)
                                           : NULL;
    if (!text)
        return plumb__fail(err, PLUMB_EINVAL,
                           "no default search space for model '%s' (expected gbdt, logistic, "
                           "linear or tree)",
                           model ? model : "");
    char name[64];
    snprintf(name, sizeof name, "default %s space", model);
    return plumb_tune_space_parse(text, strlen(text), name, model, out, err);
}

/* ---- writing values into params structs -------------------------------------------------------------------- */

static void put(const plumb__tunable *r, size_t offset, void *base, const plumb_tune_param *p, double v) {
    char *at = (char *)base + offset;
    if (p->type == PLUMB_TUNE_CATEGORICAL && r->field != TUNE_CRITERION && r->field != TUNE_CLASS_WEIGHT)
        v = strtod(p->choices[(int64_t)v], NULL); /* numeric choices: checked to parse when the space was read */
    switch (r->field) {
    case TUNE_F64:
        *(double *)at = v;
        break;
    case TUNE_I32:
        *(int32_t *)at = (int32_t)llround(v);
        break;
    case TUNE_I64:
        *(int64_t *)at = (int64_t)llround(v);
        break;
    default:
        break;
    }
}

void plumb_tune_apply_gbdt(const plumb_tune_space *s, const double *values, plumb_gbdt_params *p) {
    for (int64_t i = 0; i < s->n; i++)
        if ((s->rows[i]->kinds & TUNE_GBDT) && plumb_tune_space_active(s, values, i))
            put(s->rows[i], s->rows[i]->offset_gbdt, p, &s->params[i], values[i]);
}

void plumb_tune_apply_linear(const plumb_tune_space *s, const double *values, plumb_linear_params *p) {
    for (int64_t i = 0; i < s->n; i++) {
        if (!(s->rows[i]->kinds & TUNE_LINEAR) || !plumb_tune_space_active(s, values, i))
            continue;
        if (s->rows[i]->field == TUNE_CLASS_WEIGHT) {
            const char *c = s->params[i].choices[(int64_t)values[i]];
            p->class_weight = strcmp(c, "balanced") == 0 ? c : NULL;
        } else {
            put(s->rows[i], s->rows[i]->offset_linear, p, &s->params[i], values[i]);
        }
    }
}

void plumb_tune_apply_tree(const plumb_tune_space *s, const double *values, plumb_tree_params *p) {
    for (int64_t i = 0; i < s->n; i++) {
        if (!(s->rows[i]->kinds & TUNE_TREE) || !plumb_tune_space_active(s, values, i))
            continue;
        const char *c = s->params[i].type == PLUMB_TUNE_CATEGORICAL ? s->params[i].choices[(int64_t)values[i]] : NULL;
        if (s->rows[i]->field == TUNE_CLASS_WEIGHT)
            p->class_weight_balanced = strcmp(c, "balanced") == 0;
        else if (s->rows[i]->field == TUNE_CRITERION)
            p->criterion = strcmp(c, "gini") == 0      ? PLUMB_TREE_CRITERION_GINI
                           : strcmp(c, "entropy") == 0 ? PLUMB_TREE_CRITERION_ENTROPY
                                                       : PLUMB_TREE_CRITERION_SQUARED_ERROR;
        else
            put(s->rows[i], s->rows[i]->offset_tree, p, &s->params[i], values[i]);
    }
}
