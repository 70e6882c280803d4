/* xgboost.c -- XGBoost's JSON model format (Booster.save_model("m.json"), versions 1 to 3) in the neutral form.
 *
 * XGBoost sends x left when x < split_condition, a float32, and missing values where default_left says. For a
 * float x, x < c is x <= the largest float below c, so that is the threshold plumb keeps: the same comparison for
 * every float. The margin starts at base_score, which binary:logistic (and reg:logistic) store as a probability:
 * plumb starts at its logit. Leaves are the nodes whose left child is -1; their value is split_condition.
 */
#include "import.h"

#include <jansson.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef plumb__imp_reader reader;

#define fail(r, ...) plumb__imp_fail((r), 0, __VA_ARGS__)

/* XGBoost writes its parameters as strings ("5E-1", "[5E-1]" since 3.0); numbers are accepted too. */
static bool param(reader *r, const json_t *obj, const char *key, double *out) {
    const json_t *v = json_object_get(obj, key);
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    char *end = NULL;
    if (s) {
        const bool bracket = s[0] == '[';
        *out = strtod(s + bracket, &end);
        if (end != s + bracket && (bracket ? strcmp(end, "]") == 0 : *end == '\0'))
            return true;
    }
    return fail(r, "'%s' is missing or not a number", key);
}

/* Array key of tree k, of n numbers (n < 0: any length, stored in *n). */
static const json_t *array(reader *r, const json_t *tree, int64_t k, const char *key, int64_t n) {
    const json_t *a = json_object_get(tree, key);
    if (!json_is_array(a))
        return fail(r, "tree %lld: '%s' is missing", (long long)k, key), NULL;
    if (n >= 0 && (int64_t)json_array_size(a) != n)
        return fail(r, "tree %lld: '%s' has %zu values for %lld nodes", (long long)k, key, json_array_size(a),
                    (long long)n),
               NULL;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!json_is_number(json_array_get(a, i)))
            return fail(r, "tree %lld: '%s' holds a value that is not a number", (long long)k, key), NULL;
    return a;
}

static double num(const json_t *a, size_t i) {
    return json_number_value(json_array_get(a, i));
}

static bool read_tree(reader *r, const json_t *tree, int64_t k, plumb__imp_tree *t) {
    const json_t *left = array(r, tree, k, "left_children", -1);
    if (!left)
        return false;
    const int64_t n = (int64_t)json_array_size(left);
    if (n < 1 || n > INT32_MAX / 2)
        return fail(r, "tree %lld has %lld nodes", (long long)k, (long long)n);
    const json_t *right = array(r, tree, k, "right_children", n), *feature = array(r, tree, k, "split_indices", n),
                 *cond = array(r, tree, k, "split_conditions", n), *dleft = array(r, tree, k, "default_left", n),
                 *hess = array(r, tree, k, "sum_hessian", n), *gain = array(r, tree, k, "loss_changes", n);
    const json_t *type = json_object_get(tree, "split_type");
    if (!right || !feature || !cond || !dleft || !hess || !gain)
        return false;
    for (int64_t i = 0; type && i < n; i++)
        if (json_integer_value(json_array_get(type, (size_t)i)) != 0 && num(left, (size_t)i) != -1)
            return fail(r, "tree %lld: node %lld is a categorical split, which plumb does not import from xgboost",
                        (long long)k, (long long)i);
    if (!plumb__imp_tree_alloc(t, (int32_t)n, 0))
        return fail(r, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        const double l = num(left, (size_t)i), c = num(cond, (size_t)i);
        t->cover[i] = num(hess, (size_t)i);
        t->gain[i] = num(gain, (size_t)i);
        if (l == -1) {
            t->value[i] = c;
            continue;
        }
        const double rr = num(right, (size_t)i), f = num(feature, (size_t)i);
        if (!(l >= 0 && l < (double)n) || !(rr >= 0 && rr < (double)n))
            return fail(r, "tree %lld: node %lld has children %g and %g, out of range (%lld nodes)", (long long)k,
                        (long long)i, l, rr, (long long)n);
        t->left[i] = (int32_t)l;
        t->right[i] = (int32_t)rr;
        t->feature[i] = f >= 0 && f < INT32_MAX ? (int32_t)f : INT32_MAX; /* the tree check names it */
        if (!(fabs(c) <= FLT_MAX))
            return fail(r, "tree %lld: node %lld has split condition %g, not a float32", (long long)k, (long long)i, c);
        /* x < c for float x is x <= the float just below c */
        t->threshold[i] = nextafterf((float)c, -INFINITY);
        t->missing_left[i] = num(dleft, (size_t)i) != 0;
    }
    return true;
}

plumb_status plumb__import_xgboost(const char *data, size_t size, const char *path, plumb_model **out,
                                   plumb_error *err) {
    reader r = {.path = path, .format = "xgboost", .err = err, .st = PLUMB_OK};
    plumb__imp im = {.path = path, .err = err, .cover_scale = 1e6};
    *out = NULL;
    plumb__error_clear(err);
    json_error_t jerr;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        r.st = plumb__error_at(err, PLUMB_EFORMAT, path, jerr.line, jerr.column, "not an xgboost JSON model: %s",
                               jerr.text);
        goto done;
    }
    const json_t *version = json_object_get(root, "version");
    const json_t *learner = json_object_get(root, "learner");
    if (!json_is_array(version) || !json_is_integer(json_array_get(version, 0)) || !json_is_object(learner)) {
        fail(&r, "no 'version' and 'learner': not a model written by Booster.save_model");
        goto done;
    }
    const json_int_t major = json_integer_value(json_array_get(version, 0));
    if (major < 1 || major > 3) {
        fail(&r, "unknown version %lld (plumb reads versions 1 to 3)", (long long)major);
        goto done;
    }
    const json_t *lp = json_object_get(learner, "learner_model_param");
    const json_t *gb = json_object_get(learner, "gradient_booster");
    const char *gbname = json_string_value(json_object_get(gb, "name"));
    const char *objective = json_string_value(json_object_get(json_object_get(learner, "objective"), "name"));
    double base_score = 0, num_class = 0, num_feature = 0;
    if (!param(&r, lp, "base_score", &base_score) || !param(&r, lp, "num_class", &num_class) ||
        !param(&r, lp, "num_feature", &num_feature))
        goto done;
    if (!gbname || strcmp(gbname, "gbtree") != 0) {
        fail(&r, "booster '%s': plumb imports gbtree models only", gbname ? gbname : "");
        goto done;
    }
    if (!objective) {
        fail(&r, "no objective");
        goto done;
    }
    if (!(num_feature >= 1 && num_feature <= 1e6) || !(num_class >= 0 && num_class <= 1e5) ||
        num_class != floor(num_class)) {
        fail(&r, "num_feature %g or num_class %g out of range", num_feature, num_class);
        goto done;
    }
    if (strcmp(objective, "binary:logistic") == 0 || strcmp(objective, "reg:logistic") == 0) {
        if (!(base_score > 0 && base_score < 1)) {
            fail(&r, "base_score %g is not a probability", base_score);
            goto done;
        }
        im.task = PLUMB_TASK_BINARY;
        im.objective = "binary";
        base_score = log(base_score / (1 - base_score));
    } else if (strcmp(objective, "reg:squarederror") == 0 || strcmp(objective, "reg:linear") == 0) {
        im.task = PLUMB_TASK_REGRESSION;
        im.objective = "l2";
    } else if (strcmp(objective, "multi:softprob") == 0 || strcmp(objective, "multi:softmax") == 0) {
        im.task = PLUMB_TASK_MULTICLASS;
        im.objective = "multiclass";
        if (num_class < 2) {
            fail(&r, "objective %s with num_class %g", objective, num_class);
            goto done;
        }
    } else {
        fail(&r,
             "objective '%s' is not one plumb imports (binary:logistic, reg:logistic, reg:squarederror, "
             "multi:softprob, multi:softmax)",
             objective);
        goto done;
    }
    im.n_classes = im.task == PLUMB_TASK_MULTICLASS ? (int32_t)num_class : 1;
    im.n_features = (int64_t)num_feature;
    const json_t *model = json_object_get(gb, "model");
    const json_t *trees = json_object_get(model, "trees"), *info = json_object_get(model, "tree_info");
    double num_trees = 0;
    if (!param(&r, json_object_get(model, "gbtree_model_param"), "num_trees", &num_trees))
        goto done;
    if (!json_is_array(trees) || !json_is_array(info) || (double)json_array_size(trees) != num_trees ||
        json_array_size(info) != json_array_size(trees)) {
        fail(&r, "num_trees %g, but %zu trees and %zu tree_info entries: truncated or inconsistent", num_trees,
             json_array_size(trees), json_array_size(info));
        goto done;
    }
    im.n_trees = (int64_t)json_array_size(trees);
    im.trees = calloc((size_t)im.n_trees + 1, sizeof *im.trees);
    im.init_score = malloc((size_t)im.n_classes * sizeof *im.init_score);
    im.names = calloc((size_t)im.n_features, sizeof *im.names);
    if (!im.trees || !im.init_score || !im.names) {
        r.st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int32_t c = 0; c < im.n_classes; c++)
        im.init_score[c] = base_score;
    const json_t *names = json_object_get(learner, "feature_names");
    if (json_is_array(names) && json_array_size(names) > 0 && (int64_t)json_array_size(names) != im.n_features) {
        fail(&r, "%zu feature names for %lld features", json_array_size(names), (long long)im.n_features);
        goto done;
    }
    for (int64_t f = 0; f < im.n_features && json_array_size(names) > 0; f++) {
        const char *s = json_string_value(json_array_get(names, (size_t)f));
        if (!s || !(im.names[f] = strdup(s))) {
            fail(&r, s ? "out of memory" : "a feature name is not a string");
            goto done;
        }
    }
    for (int64_t k = 0; k < im.n_trees; k++) {
        const json_t *cls = json_array_get(info, (size_t)k);
        if (!json_is_integer(cls) || json_integer_value(cls) < 0 || json_integer_value(cls) >= im.n_classes) {
            fail(&r, "tree %lld: tree_info says class %lld of a model with %d", (long long)k,
                 (long long)json_integer_value(cls), im.n_classes);
            goto done;
        }
        if (!read_tree(&r, json_array_get(trees, (size_t)k), k, &im.trees[k]))
            goto done;
        im.trees[k].output = (int32_t)json_integer_value(cls);
    }
    r.st = plumb__imp_build(&im, out);
done:
    plumb__imp_clear(&im);
    json_decref(root);
    return r.st;
}
