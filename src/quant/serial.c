/* serial.c -- the model file's body of a quantised model (docs/model-format.md, docs/quantize.md).
 *
 * After the keys every model starts with: the objective, the schema, the features (bin edges or category counts,
 * as the gbdt model wrote them), the initial scores, the layout (node_bytes, leaf_bits), per tree its slots, bitset
 * words and scale, then the packed arrays -- nodes, leaf values, bitsets -- as base64 of their little-endian bytes,
 * which is what makes the file small. Reading checks every node (children after their parent and inside their
 * tree, features and bins in range, bitsets inside their tree's words), so scoring a loaded model always terminates
 * and never reads out of bounds.
 */
#include "quant.h"
#include "../model/loader.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes as base64 (RFC 4648, padded): a new JSON string, NULL when out of memory. */
static json_t *base64(const uint8_t *p, size_t n) {
    char *s = malloc(4 * ((n + 2) / 3) + 1), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        const uint32_t v =
            (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[v >> 12 & 63];
        *o++ = i + 1 < n ? B64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    json_t *j = json_stringn(s, (size_t)(o - s));
    free(s);
    return j;
}

/* Decodes base64 string key of obj into exactly n bytes at out. */
static bool unbase64(plumb__loader *ld, const json_t *obj, const char *key, uint8_t *out, size_t n) {
    const json_t *j = json_object_get(obj, key);
    const char *s = json_string_value(j);
    const size_t len = s ? json_string_length(j) : 0;
    if (!s || len != 4 * ((n + 2) / 3))
        return plumb__loader_bad(ld, key);
    for (size_t i = 0, at = 0; i < len; i += 4) {
        uint32_t v = 0;
        for (int c = 0; c < 4; c++) {
            const char *hit = s[i + c] ? strchr(B64, s[i + c]) : NULL;
            const bool pad = s[i + c] == '=' && at + (size_t)c > n; /* only where bytes run out */
            if (!hit && !pad)
                return plumb__loader_bad(ld, key);
            v = v << 6 | (uint32_t)(hit ? hit - B64 : 0);
        }
        for (int b = 0; b < 3 && at < n; b++)
            out[at++] = (uint8_t)(v >> (16 - 8 * b));
    }
    return true;
}

/* Converts n values of width bytes between the host's order and little-endian, in place (its own inverse). */
static void little_endian(void *p, size_t n, size_t width) {
    const uint16_t one = 1;
    if (*(const uint8_t *)&one == 1)
        return;
    for (uint8_t *b = p; n--; b += width)
        for (size_t i = 0; i < width / 2; i++) {
            const uint8_t t = b[i];
            b[i] = b[width - 1 - i];
            b[width - 1 - i] = t;
        }
}

/* q's packed nodes at p as little-endian bytes and back: each field of a node swapped, so the layout reads back on
 * any host. */
static void nodes_little_endian(const plumb__quant *q, void *p) {
    const int64_t n = q->tree_start[q->n_trees];
    for (int64_t i = 0; i < n; i++)
        if (q->node_bytes == 4) {
            little_endian(&((plumb__qnode4 *)p)[i].child_m, 1, 2);
        } else {
            plumb__qnode8 *nd = &((plumb__qnode8 *)p)[i];
            little_endian(&nd->child_m, 1, 4);
            little_endian(&nd->feature, 1, 2);
            little_endian(&nd->thr, 1, 2);
        }
}

/* An array of packed values (n of width bytes) as base64 of its little-endian bytes. */
static json_t *packed(const void *p, size_t n, size_t width) {
    uint8_t *copy = malloc(n * width + 1);
    if (!copy)
        return NULL;
    memcpy(copy, p, n * width);
    little_endian(copy, n, width);
    json_t *j = base64(copy, n * width);
    free(copy);
    return j;
}

static json_t *features_json(const plumb_model *model, const plumb__quant *q) {
    json_t *a = json_array();
    for (int64_t f = 0; a && f < q->n_features; f++) {
        const plumb__feature *ft = &q->features[f];
        const char *name = model->schema->cols[ft->column].name;
        json_t *edges = json_array();
        for (int32_t e = 0; edges && ft->n_categories == 0 && e < ft->n_bins - 2; e++)
            json_array_append_new(edges, json_real((double)ft->edges[e]));
        json_t *o =
            ft->n_categories > 0
                ? json_pack("{s:s, s:i, s:i}", "name", name, "categories", ft->n_categories, "monotone", ft->monotone)
                : json_pack("{s:s, s:o, s:i}", "name", name, "edges", edges, "monotone", ft->monotone);
        if (ft->n_categories > 0)
            json_decref(edges);
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *plumb__quant_to_json(const plumb_model *model) {
    const plumb__quant *q = plumb__quant_of(model);
    const int64_t T = q->n_trees, slots = q->tree_start[T], words = q->bits_start[T];
    json_t *n_slots = json_array(), *n_words = json_array();
    for (int64_t k = 0; n_slots && n_words && k < T; k++) {
        json_array_append_new(n_slots, json_integer((json_int_t)(q->tree_start[k + 1] - q->tree_start[k])));
        json_array_append_new(n_words, json_integer((json_int_t)(q->bits_start[k + 1] - q->bits_start[k])));
    }
    /* a copy swapped, not the nodes: other threads may be scoring the model */
    const size_t node_size = (size_t)slots * (size_t)q->node_bytes;
    uint8_t *copy = malloc(node_size + 1);
    if (copy) {
        memcpy(copy, q->nodes, node_size);
        nodes_little_endian(q, copy);
    }
    json_t *nodes = copy ? base64(copy, node_size) : NULL;
    free(copy);
    json_t *objective = json_pack("{s:s, s:f, s:f}", "name", plumb_objective_name(q->objective.kind), "alpha",
                                  q->objective.alpha, "max_delta_step", q->objective.max_delta_step);
    json_t *metrics = json_pack("{s:s, s:o, s:o}", "name", q->metric, "train",
                                isfinite(q->train_metric) ? json_real(q->train_metric) : json_null(), "valid",
                                isfinite(q->valid_metric) ? json_real(q->valid_metric) : json_null());
    json_t *root = plumb__model_json_begin(model);
    if (root && plumb__json_add(root, "objective", objective) &&
        plumb__json_add(root, "n_classes", json_integer(q->n_classes)) &&
        plumb__json_add(root, "schema", plumb__schema_to_json(model->schema)) &&
        plumb__json_add(root, "features", features_json(model, q)) &&
        plumb__json_add(root, "init_score", plumb__json_reals(q->init_score, q->n_classes)) &&
        plumb__json_add(root, "node_bytes", json_integer(q->node_bytes)) &&
        plumb__json_add(root, "leaf_bits", json_integer(q->leaf_bits)) &&
        plumb__json_add(root, "tree_slots", n_slots) && plumb__json_add(root, "tree_words", n_words) &&
        plumb__json_add(root, "scale", plumb__json_reals(q->scale, T)) && plumb__json_add(root, "nodes", nodes) &&
        plumb__json_add(root, "values", packed(q->values, (size_t)slots, (size_t)q->leaf_bits / 8)) &&
        plumb__json_add(root, "cat_bits", packed(q->cat_bits, (size_t)words, 4)) &&
        plumb__json_add(root, "metrics", metrics) &&
        plumb__json_add(root, "n_iterations", json_integer((json_int_t)q->n_iterations)) &&
        plumb__json_add(root, "best_iteration", json_integer((json_int_t)q->best_iteration)) &&
        plumb__json_add(root, "provenance", plumb__provenance_json(model)))
        return root;
    json_decref(root);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Reading                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Reads array key of obj, of exactly n numbers (null: NaN), into out. */
static bool read_reals(plumb__loader *ld, const json_t *obj, const char *key, int64_t n, double *out) {
    const json_t *a = json_object_get(obj, key);
    if (!json_is_array(a) || (int64_t)json_array_size(a) != n)
        return plumb__loader_bad(ld, key);
    for (int64_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, (size_t)i);
        if (!json_is_number(v) && !json_is_null(v))
            return plumb__loader_bad(ld, key);
        out[i] = json_is_null(v) ? NAN : json_number_value(v);
    }
    return true;
}

/* Reads array key of obj (n_trees integers in [0, most]) as the sizes of consecutive ranges: start[k + 1] =
 * start[k] + size k. */
static bool read_sizes(plumb__loader *ld, const json_t *obj, const char *key, int64_t n, int64_t most, int64_t *start) {
    const json_t *a = json_object_get(obj, key);
    if (!json_is_array(a) || (int64_t)json_array_size(a) != n)
        return plumb__loader_bad(ld, key);
    for (int64_t k = 0; k < n; k++) {
        const json_t *v = json_array_get(a, (size_t)k);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > most)
            return plumb__loader_bad(ld, key);
        start[k + 1] = start[k] + json_integer_value(v);
    }
    return true;
}

static bool read_features(plumb__loader *ld, const json_t *root, plumb_model *model, plumb__quant *q) {
    const json_t *features = json_object_get(root, "features");
    if (!json_is_array(features) || json_array_size(features) < 1)
        return plumb__loader_bad(ld, "features");
    q->n_features = (int64_t)json_array_size(features);
    if (!(q->features = calloc((size_t)q->n_features + 1, sizeof *q->features)) ||
        !(q->cat_words = calloc((size_t)q->n_features + 1, sizeof *q->cat_words)))
        return plumb__loader_bad(ld, "out of memory");
    for (int64_t f = 0; f < q->n_features; f++) {
        const json_t *fo = json_array_get(features, (size_t)f), *edges = json_object_get(fo, "edges");
        const char *name = json_string_value(json_object_get(fo, "name"));
        const int64_t col = name ? plumb__schema_find(model->schema, name) : -1;
        const json_int_t n_cat = json_integer_value(json_object_get(fo, "categories"));
        const json_int_t mono = json_integer_value(json_object_get(fo, "monotone"));
        plumb__feature *ft = &q->features[f];
        if (col < 0 || mono < -1 || mono > 1 || n_cat < 0 || n_cat > PLUMB__MAX_BINS - 2 ||
            (n_cat > 0) != (model->schema->cols[col].type == PLUMB_TYPE_CATEGORICAL) ||
            (n_cat == 0 && (!json_is_array(edges) || json_array_size(edges) > PLUMB__MAX_BINS - 2)))
            return plumb__loader_bad(ld, "bad feature");
        ft->column = col;
        ft->monotone = (int8_t)mono;
        ft->n_categories = (int32_t)n_cat;
        ft->n_bins = n_cat > 0 ? ft->n_categories + 1 : (int32_t)json_array_size(edges) + 2;
        if (n_cat > 0)
            continue;
        if (!(ft->edges = malloc((size_t)ft->n_bins * sizeof *ft->edges)))
            return plumb__loader_bad(ld, "out of memory");
        for (int32_t e = 0; e < ft->n_bins - 2; e++) {
            const json_t *v = json_array_get(edges, (size_t)e);
            ft->edges[e] = (float)json_number_value(v);
            if (!json_is_number(v) || (e > 0 && !(ft->edges[e - 1] < ft->edges[e])))
                return plumb__loader_bad(ld, "feature edges not ascending");
        }
    }
    plumb__quant_set_cat_words(q);
    return true;
}

/* Node i of the packed array as its fields. */
static void get_node(const plumb__quant *q, int64_t i, uint32_t *child, uint32_t *miss, uint32_t *feature,
                     uint32_t *cat, uint32_t *thr) {
    if (q->node_bytes == 4) {
        const plumb__qnode4 nd = ((const plumb__qnode4 *)q->nodes)[i];
        *child = nd.child_m & 0x7FFFu, *miss = nd.child_m >> 15, *feature = nd.feature & 0x7Fu;
        *cat = nd.feature >> 7, *thr = nd.thr;
    } else {
        const plumb__qnode8 nd = ((const plumb__qnode8 *)q->nodes)[i];
        *child = nd.child_m & 0x7FFFFFFFu, *miss = nd.child_m >> 31, *feature = nd.feature & 0x7FFFu;
        *cat = nd.feature >> 15, *thr = nd.thr;
    }
}

/* Every node of tree k: a leaf loops on itself with the largest threshold; an internal node's children are later
 * slots of its tree, its feature exists and is of the split's type, its bin is a split bin of the feature, its
 * bitset lies inside the tree's words. Then every walk goes forward and stays inside the arrays. */
static bool check_tree(plumb__loader *ld, const plumb__quant *q, int64_t k) {
    const int64_t s0 = q->tree_start[k], n = q->tree_start[k + 1] - s0, words = q->bits_start[k + 1] - q->bits_start[k];
    if (n % 2 != 1)
        return plumb__loader_bad(ld, "a tree is not well formed");
    for (int64_t i = 0; i < n; i++) {
        uint32_t child, miss, f, cat, thr;
        get_node(q, s0 + i, &child, &miss, &f, &cat, &thr);
        bool ok;
        if (child == (uint32_t)i)
            ok = !miss && !f && !cat && thr == (q->wide ? 0xFFFFu : 0xFFu);
        else if (child <= (uint32_t)i || child + 1 >= (uint64_t)n || f >= (uint64_t)q->n_features ||
                 (bool)cat != (q->features[f].n_categories > 0))
            ok = false;
        else if (cat)
            ok = !miss && thr + (int64_t)q->cat_words[f] <= words;
        else
            ok = thr + miss >= 1 && (int64_t)thr + miss <= q->features[f].n_bins - 2;
        if (!ok)
            return plumb__loader_bad(ld, "a tree is not well formed");
    }
    return true;
}

/* The positive class of a binary model with a text target, by name (model.c writes it); absent: the last category. */
static bool read_positive(plumb__loader *ld, const json_t *root, plumb_model *model) {
    const char *positive = json_string_value(json_object_get(root, "positive_class"));
    if (!positive)
        return true;
    for (int64_t j = 0; j < model->schema->n; j++) {
        const plumb__schema_col *c = &model->schema->cols[j];
        if (c->role == PLUMB_ROLE_TARGET && c->type == PLUMB_TYPE_CATEGORICAL && c->cats.n == 2 &&
            model->task == PLUMB_TASK_BINARY &&
            (strcmp(positive, c->cat_ptrs[0]) == 0 || strcmp(positive, c->cat_ptrs[1]) == 0)) {
            model->positive_first = strcmp(positive, c->cat_ptrs[0]) == 0;
            return true;
        }
    }
    return plumb__loader_bad(ld, "positive class is not a category of a binary target");
}

plumb_status plumb__quant_from_json(plumb__loader *ld, const json_t *root, plumb_model *model) {
    plumb__quant *q = calloc(1, sizeof *q);
    if (!(model->impl = q))
        return plumb__fail(ld->err, PLUMB_ENOMEM, "out of memory");
    const char *task = json_string_value(json_object_get(root, "task"));
    model->task = strcmp(task, "binary") == 0       ? PLUMB_TASK_BINARY
                  : strcmp(task, "multiclass") == 0 ? PLUMB_TASK_MULTICLASS
                                                    : PLUMB_TASK_REGRESSION;
    const json_t *obj = json_object_get(root, "objective");
    const char *oname = json_string_value(json_object_get(obj, "name"));
    q->objective.alpha = json_number_value(json_object_get(obj, "alpha"));
    q->objective.max_delta_step = json_number_value(json_object_get(obj, "max_delta_step"));
    const json_int_t n_classes = json_integer_value(json_object_get(root, "n_classes"));
    if (!oname || plumb_objective_parse(oname, &q->objective.kind, NULL) != PLUMB_OK ||
        q->objective.kind == PLUMB_OBJECTIVE_AUTO || n_classes < 1 || n_classes > 100000 ||
        (n_classes > 1) != (q->objective.kind == PLUMB_OBJECTIVE_MULTICLASS)) {
        plumb__loader_bad(ld, "objective");
        goto done;
    }
    model->n_outputs = q->n_classes = (int32_t)n_classes;
    if ((ld->st = plumb__schema_from_json(json_object_get(root, "schema"), ld->name, &model->schema, ld->err)) !=
            PLUMB_OK ||
        !read_positive(ld, root, model) || !read_features(ld, root, model, q))
        goto done;
    q->node_bytes = (int)json_integer_value(json_object_get(root, "node_bytes"));
    q->leaf_bits = (int)json_integer_value(json_object_get(root, "leaf_bits"));
    const json_t *slots = json_object_get(root, "tree_slots");
    q->n_trees = (int64_t)json_array_size(slots);
    if ((q->node_bytes != 4 && q->node_bytes != 8) || (q->leaf_bits != 8 && q->leaf_bits != 16) ||
        (q->node_bytes == 4 && (q->wide || q->n_features > 127))) {
        plumb__loader_bad(ld, "layout");
        goto done;
    }
    /* the sizes first (into small arrays), then the arrays they size */
    int64_t *ts = calloc((size_t)q->n_trees + 1, sizeof *ts), *bs = calloc((size_t)q->n_trees + 1, sizeof *bs);
    const bool sized = ts && bs &&
                       read_sizes(ld, root, "tree_slots", q->n_trees, q->node_bytes == 4 ? 32767 : 262143, ts) &&
                       read_sizes(ld, root, "tree_words", q->n_trees, q->node_bytes == 4 ? 255 : 65535, bs);
    const int64_t n_slots = sized ? ts[q->n_trees] : 0, n_words = sized ? bs[q->n_trees] : 0;
    const bool alloc = sized && plumb__quant_alloc(q, n_slots, n_words);
    if (alloc) {
        memcpy(q->tree_start, ts, ((size_t)q->n_trees + 1) * sizeof *ts);
        memcpy(q->bits_start, bs, ((size_t)q->n_trees + 1) * sizeof *bs);
    }
    free(ts);
    free(bs);
    if (!alloc) {
        plumb__loader_bad(ld, sized ? "out of memory" : "tree sizes");
        goto done;
    }
    if (!(q->init_score = malloc((size_t)q->n_classes * sizeof *q->init_score))) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    if (!read_reals(ld, root, "init_score", q->n_classes, q->init_score) ||
        !read_reals(ld, root, "scale", q->n_trees, q->scale) ||
        !unbase64(ld, root, "nodes", q->nodes, (size_t)n_slots * (size_t)q->node_bytes) ||
        !unbase64(ld, root, "values", q->values, (size_t)n_slots * (size_t)q->leaf_bits / 8) ||
        !unbase64(ld, root, "cat_bits", (uint8_t *)q->cat_bits, (size_t)n_words * 4))
        goto done;
    nodes_little_endian(q, q->nodes);
    little_endian(q->values, (size_t)n_slots, (size_t)q->leaf_bits / 8);
    little_endian(q->cat_bits, (size_t)n_words, 4);
    for (int64_t k = 0; k < q->n_trees; k++)
        if (!(q->scale[k] >= 0 && isfinite(q->scale[k])) || !check_tree(ld, q, k))
            goto done;
    q->has_cat = n_words > 0;
    const json_t *metrics = json_object_get(root, "metrics"), *train = json_object_get(metrics, "train"),
                 *valid = json_object_get(metrics, "valid");
    const char *metric = json_string_value(json_object_get(metrics, "name"));
    if (!metric || !(json_is_number(train) || json_is_null(train)) || !(json_is_number(valid) || json_is_null(valid))) {
        plumb__loader_bad(ld, "metrics");
        goto done;
    }
    snprintf(q->metric, sizeof q->metric, "%s", metric);
    q->train_metric = json_is_null(train) ? NAN : json_number_value(train);
    q->valid_metric = json_is_null(valid) ? NAN : json_number_value(valid);
    q->n_iterations = json_integer_value(json_object_get(root, "n_iterations"));
    q->best_iteration = json_integer_value(json_object_get(root, "best_iteration"));
    if (!plumb__model_set_features(model, q->n_features, &q->features[0].column, sizeof *q->features)) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    return PLUMB_OK;
done:
    return ld->st != PLUMB_OK ? ld->st : plumb__fail(ld->err, PLUMB_EFORMAT, "corrupted model file");
}
