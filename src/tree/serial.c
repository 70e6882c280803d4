/* serial.c -- a CART tree's body in the model file: written as JSON (plumb__cart_model_json) and read back
 * (plumb__cart_model_parse); the envelope (magic, version, checksum, atomic write) is src/model/'s.
 *
 * The nodes are stored column-wise, one array per field of plumb__cart_node in preorder, the categorical left sets
 * as lists of category codes and non-finite numbers as null. The reader trusts nothing: every index, type and range
 * is checked, and the tree must be well formed (children after their parent, one parent each) so that every walk
 * ends at a leaf; anything else is PLUMB_EFORMAT "corrupted model file: <what>".
 */

#include "tree.h"
#include "../model/loader.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Model file                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

static json_t *real_or_null(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *plumb__cart_model_json(const plumb_model *m) {
    const struct plumb__cart *c = plumb__cart_of(m);
    const plumb_tree_params *p = &c->params;
    json_t *features = json_array(), *cats = json_array();
    json_t *feature = json_array(), *threshold = json_array(), *missing_left = json_array(),
           *unseen_left = json_array(), *left = json_array(), *right = json_array(), *value = json_array(),
           *imp = json_array(), *wn = json_array(), *rows = json_array();
    bool ok = features && cats && feature && threshold && missing_left && unseen_left && left && right && value &&
              imp && wn && rows;
    for (int64_t f = 0; ok && f < c->n_features; f++)
        ok = !json_array_append_new(
            features, json_pack("{s:s, s:s, s:b}", "name", m->schema->cols[c->features[f].column].name, "type",
                                plumb_type_name(c->features[f].type), "has_missing", c->features[f].has_missing));
    for (int32_t i = 0; ok && i < c->n_nodes; i++) {
        const plumb__cart_node *nd = &c->nodes[i];
        json_t *set = json_array();
        if (set && nd->bits >= 0)
            for (int32_t k = 0; k < c->features[nd->feature].n_categories; k++)
                if ((c->bits[nd->bits + k / 64] >> (k % 64)) & 1)
                    json_array_append_new(set, json_integer(k));
        ok = set && !json_array_append_new(cats, nd->bits >= 0 ? set : json_null()) &&
             !json_array_append_new(feature, json_integer(nd->feature)) &&
             !json_array_append_new(threshold,
                                    nd->bits < 0 && nd->feature >= 0 ? real_or_null(nd->threshold) : json_null()) &&
             !json_array_append_new(missing_left, json_integer(nd->missing_left)) &&
             !json_array_append_new(unseen_left, json_integer(nd->unseen_left)) &&
             !json_array_append_new(left, json_integer(nd->left)) &&
             !json_array_append_new(right, json_integer(nd->right)) &&
             !json_array_append_new(value, json_real(nd->value)) &&
             !json_array_append_new(imp, real_or_null(nd->impurity)) &&
             !json_array_append_new(wn, json_real(nd->weighted_n)) &&
             !json_array_append_new(rows, json_integer((json_int_t)nd->n_rows));
        if (nd->bits < 0)
            json_decref(set);
    }
    if (!ok) {
        json_decref(features);
        json_decref(cats);
        json_decref(feature);
        json_decref(threshold);
        json_decref(missing_left);
        json_decref(unseen_left);
        json_decref(left);
        json_decref(right);
        json_decref(value);
        json_decref(imp);
        json_decref(wn);
        json_decref(rows);
        return NULL;
    }
    json_t *nodes =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "feature", feature, "threshold", threshold,
                  "categories_left", cats, "missing_left", missing_left, "unseen_left", unseen_left, "left", left,
                  "right", right, "value", value, "impurity", imp, "weighted_n", wn, "n_rows", rows);
    json_t *params = json_pack(
        "{s:s, s:i, s:I, s:I, s:f, s:f, s:b, s:[f, f]}", "criterion", plumb__cart_criterion_names[p->criterion],
        "max_depth", p->max_depth, "min_samples_split", (json_int_t)p->min_samples_split, "min_samples_leaf",
        (json_int_t)p->min_samples_leaf, "min_impurity_decrease", p->min_impurity_decrease, "ccp_alpha", p->ccp_alpha,
        "class_weight_balanced", p->class_weight_balanced != 0, "class_weight", p->class_weight[0], p->class_weight[1]);
    json_t *metrics = json_pack("{s:s, s:o}", "name", m->task == PLUMB_TASK_BINARY ? "accuracy" : "l2", "train",
                                real_or_null(c->train_metric));
    json_t *root = plumb__model_json_begin(m);
    if (root && plumb__json_add(root, "schema", plumb__schema_to_json(m->schema)) &&
        plumb__json_add(root, "target", json_string(c->target)) &&
        plumb__json_add(root, "positive_class", c->positive_class ? json_string(c->positive_class) : json_null()) &&
        plumb__json_add(root, "target_is_text", json_boolean(c->target_is_text)) &&
        plumb__json_add(root, "features", features) && plumb__json_add(root, "nodes", nodes) &&
        plumb__json_add(root, "params", params) && plumb__json_add(root, "metrics", metrics) &&
        plumb__json_add(root, "provenance", plumb__provenance_json(m)))
        return root;
    json_decref(root);
    return NULL;
}

/* Element i of array key of obj: an integer in [lo, hi] into *v. */
static bool get_int(plumb__loader *rd, const json_t *obj, const char *key, int32_t i, int64_t lo, int64_t hi,
                    int64_t *v) {
    const json_t *x = json_array_get(json_object_get(obj, key), (size_t)i);
    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
        return plumb__loader_bad(rd, key);
    *v = json_integer_value(x);
    return true;
}

/* Element i of array key: a number (null: +inf when null_ok). */
static bool get_real(plumb__loader *rd, const json_t *obj, const char *key, int32_t i, bool null_ok, double *v) {
    const json_t *x = json_array_get(json_object_get(obj, key), (size_t)i);
    if (json_is_null(x) && null_ok) {
        *v = INFINITY;
        return true;
    }
    if (!json_is_number(x))
        return plumb__loader_bad(rd, key);
    *v = json_number_value(x);
    return true;
}

static bool read_nodes(plumb__loader *rd, struct plumb__cart *c, const json_t *nodes) {
    static const char *const keys[] = {"feature", "threshold", "categories_left", "missing_left", "unseen_left", "left",
                                       "right",   "value",     "impurity",        "weighted_n",   "n_rows"};
    const json_t *fa = json_object_get(nodes, "feature");
    if (!json_is_array(fa) || json_array_size(fa) < 1 || json_array_size(fa) > (size_t)INT32_MAX / 2)
        return plumb__loader_bad(rd, "nodes");
    const int32_t n = (int32_t)json_array_size(fa);
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const json_t *a = json_object_get(nodes, keys[k]);
        if (!json_is_array(a) || json_array_size(a) != (size_t)n)
            return plumb__loader_bad(rd, keys[k]);
    }
    int64_t words = 0;
    for (int32_t i = 0; i < n; i++) {
        const json_t *set = json_array_get(json_object_get(nodes, "categories_left"), (size_t)i);
        const json_t *f = json_array_get(fa, (size_t)i);
        if (json_is_array(set) && json_is_integer(f) && json_integer_value(f) >= 0 &&
            json_integer_value(f) < c->n_features)
            words += (c->features[json_integer_value(f)].n_categories + 63) / 64;
    }
    if (!(c->nodes = calloc((size_t)n, sizeof *c->nodes)) || !(c->bits = calloc((size_t)words + 1, sizeof *c->bits)))
        return plumb__loader_bad(rd, "out of memory");
    c->n_nodes = n;
    uint8_t *has_parent = calloc((size_t)n, 1);
    int32_t *depth = calloc((size_t)n, sizeof *depth);
    if (!has_parent || !depth) {
        free(has_parent);
        free(depth);
        return plumb__loader_bad(rd, "out of memory");
    }
    bool ok = true;
    for (int32_t i = 0; ok && i < n; i++) {
        plumb__cart_node *nd = &c->nodes[i];
        int64_t f, ml, ul, l, r, rows;
        double value, imp, wn;
        ok = get_int(rd, nodes, "feature", i, -1, c->n_features - 1, &f) &&
             get_int(rd, nodes, "missing_left", i, 0, 1, &ml) && get_int(rd, nodes, "unseen_left", i, 0, 1, &ul) &&
             get_int(rd, nodes, "left", i, -1, n - 1, &l) && get_int(rd, nodes, "right", i, -1, n - 1, &r) &&
             get_int(rd, nodes, "n_rows", i, 0, INT64_MAX, &rows) && get_real(rd, nodes, "value", i, false, &value) &&
             get_real(rd, nodes, "impurity", i, true, &imp) && get_real(rd, nodes, "weighted_n", i, false, &wn);
        if (!ok)
            break;
        *nd = (plumb__cart_node){.left = (int32_t)l,
                                 .right = (int32_t)r,
                                 .feature = (int32_t)f,
                                 .missing_left = (uint8_t)ml,
                                 .unseen_left = (uint8_t)ul,
                                 .threshold = NAN,
                                 .bits = -1,
                                 .value = value,
                                 .impurity = imp,
                                 .weighted_n = wn,
                                 .n_rows = rows};
        /* a leaf has neither children nor feature; a split has both children after it (preorder), each with
         * one parent: then every walk ends, at a leaf */
        if ((f < 0) != (l < 0) || (l < 0) != (r < 0) || (l >= 0 && (l <= i || r <= i || l == r)) ||
            (l >= 0 && (has_parent[l]++ || has_parent[r]++))) {
            ok = plumb__loader_bad(rd, "a tree is not well formed");
            break;
        }
        if (l >= 0) {
            depth[l] = depth[r] = depth[i] + 1;
            c->depth = depth[l] > c->depth ? depth[l] : c->depth;
        } else {
            c->n_leaves++;
        }
        if (f < 0)
            continue;
        const json_t *set = json_array_get(json_object_get(nodes, "categories_left"), (size_t)i);
        if (c->features[f].type != PLUMB_TYPE_CATEGORICAL) {
            if (!(ok = get_real(rd, nodes, "threshold", i, true, &nd->threshold)))
                break;
            if (json_is_array(set)) {
                ok = plumb__loader_bad(rd, "a split does not fit its feature");
                break;
            }
            continue;
        }
        const int32_t C = c->features[f].n_categories;
        if (!json_is_array(set)) {
            ok = plumb__loader_bad(rd, "a split does not fit its feature");
            break;
        }
        nd->bits = c->n_words;
        c->n_words += (C + 63) / 64;
        for (size_t k = 0; ok && k < json_array_size(set); k++) {
            const json_t *v = json_array_get(set, k);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= C)
                ok = plumb__loader_bad(rd, "categories_left");
            else
                c->bits[nd->bits + json_integer_value(v) / 64] |= (uint64_t)1 << (json_integer_value(v) % 64);
        }
    }
    for (int32_t i = 1; ok && i < n; i++)
        if (!has_parent[i])
            ok = plumb__loader_bad(rd, "a tree is not well formed");
    free(has_parent);
    free(depth);
    return ok;
}

plumb_status plumb__cart_model_parse(plumb__loader *ld, const json_t *root, plumb_model *m) {
    plumb__loader rd = *ld;
    const char *name = ld->name;
    plumb_error *err = ld->err;
    struct plumb__cart *c = calloc(1, sizeof *c);
    if (!(m->impl = c))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_tree_params_init(&c->params);
    const char *task = json_string_value(json_object_get(root, "task"));
    const char *target = json_string_value(json_object_get(root, "target"));
    const json_t *pos = json_object_get(root, "positive_class");
    if (!task || (strcmp(task, "binary") != 0 && strcmp(task, "regression") != 0) || !target) {
        plumb__loader_bad(&rd, "task or target");
        goto done;
    }
    m->task = strcmp(task, "binary") == 0 ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    if ((m->task == PLUMB_TASK_BINARY) != json_is_string(pos)) {
        plumb__loader_bad(&rd, "positive_class");
        goto done;
    }
    if (!(c->target = plumb__strdup(target)) ||
        (json_is_string(pos) && !(c->positive_class = plumb__strdup(json_string_value(pos))))) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    c->target_is_text = json_is_true(json_object_get(root, "target_is_text"));
    if ((rd.st = plumb__schema_from_json(json_object_get(root, "schema"), name, &m->schema, err)) != PLUMB_OK)
        goto done;
    if (plumb__schema_find(m->schema, c->target) < 0) {
        plumb__loader_bad(&rd, "target not in the schema");
        goto done;
    }
    const json_t *features = json_object_get(root, "features");
    if (!json_is_array(features) || json_array_size(features) < 1 || json_array_size(features) > 1000000) {
        plumb__loader_bad(&rd, "features");
        goto done;
    }
    c->n_features = (int64_t)json_array_size(features);
    if (!(c->features = calloc((size_t)c->n_features, sizeof *c->features))) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    for (int64_t f = 0; f < c->n_features; f++) {
        const json_t *fo = json_array_get(features, (size_t)f);
        const char *fname = json_string_value(json_object_get(fo, "name"));
        const char *type = json_string_value(json_object_get(fo, "type"));
        const int64_t col = fname ? plumb__schema_find(m->schema, fname) : -1;
        plumb_column_info ci;
        if (col >= 0)
            plumb_schema_column(m->schema, col, &ci);
        if (col < 0 || !type || plumb_type_parse(type) != (int)ci.type ||
            (ci.type != PLUMB_TYPE_NUMERIC && ci.type != PLUMB_TYPE_BOOL && ci.type != PLUMB_TYPE_CATEGORICAL) ||
            (ci.type == PLUMB_TYPE_CATEGORICAL && (ci.n_categories < 0 || ci.n_categories > INT32_MAX - 64))) {
            plumb__loader_bad(&rd, "bad feature");
            goto done;
        }
        c->features[f] =
            (plumb__cart_feature){.column = col,
                                  .type = ci.type,
                                  .n_categories = ci.type == PLUMB_TYPE_CATEGORICAL ? (int32_t)ci.n_categories : 0,
                                  .has_missing = json_is_true(json_object_get(fo, "has_missing"))};
    }
    if (!read_nodes(&rd, c, json_object_get(root, "nodes")))
        goto done;
    const json_t *params = json_object_get(root, "params");
    const char *crit = json_string_value(json_object_get(params, "criterion"));
    int k = 1;
    while (crit && k < 4 && strcmp(crit, plumb__cart_criterion_names[k]) != 0)
        k++;
    if (!crit || k == 4 || (m->task == PLUMB_TASK_BINARY) == (k == PLUMB_TREE_CRITERION_SQUARED_ERROR)) {
        plumb__loader_bad(&rd, "criterion");
        goto done;
    }
    c->params.criterion = (plumb_tree_criterion)k;
    c->params.max_depth = (int32_t)json_integer_value(json_object_get(params, "max_depth"));
    c->params.min_samples_split = json_integer_value(json_object_get(params, "min_samples_split"));
    c->params.min_samples_leaf = json_integer_value(json_object_get(params, "min_samples_leaf"));
    c->params.min_impurity_decrease = json_number_value(json_object_get(params, "min_impurity_decrease"));
    c->params.ccp_alpha = json_number_value(json_object_get(params, "ccp_alpha"));
    c->params.class_weight_balanced = json_is_true(json_object_get(params, "class_weight_balanced"));
    const json_t *cw = json_object_get(params, "class_weight");
    c->params.class_weight[0] = json_is_number(json_array_get(cw, 0)) ? json_number_value(json_array_get(cw, 0)) : 1;
    c->params.class_weight[1] = json_is_number(json_array_get(cw, 1)) ? json_number_value(json_array_get(cw, 1)) : 1;
    const json_t *train = json_object_get(json_object_get(root, "metrics"), "train");
    c->train_metric = json_is_number(train) ? json_number_value(train) : NAN;
    if (!plumb__cart_set_features(m)) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    return PLUMB_OK;
done:
    ld->st = rd.st != PLUMB_OK ? rd.st : plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "corrupted model file");
    return ld->st;
}
