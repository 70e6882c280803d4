/* model.c -- the model file: versioned JSON behind a header line that carries its length and SHA-256.
 *
 * Layout (docs/model-format.md):   plumb-model <format> <body bytes> <sha256 of body, hex>\n<JSON body>
 * The header lets a loader tell a truncated file, a corrupted one and one from a newer plumb apart before it
 * parses anything. Doubles are written with 17 significant digits and floats are exact in a double, so every
 * number reads back bit for bit. Files are written atomically (plumb_outfile). SHA-256 comes from nettle.
 */
#include "../eval/eval.h"
#include "../gbdt/gbdt.h"
#include "../tree/tree.h"
#include "../linear/linear.h"
#include "loader.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MODEL_MAGIC "plumb-model"
#define MODEL_FORMAT 1

static void sha256_hex(const void *data, size_t n, char hex[65]) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, n, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Writing                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static const char *task_name(plumb_task t) {
    return t == PLUMB_TASK_BINARY       ? "binary"
           : t == PLUMB_TASK_REGRESSION ? "regression"
           : t == PLUMB_TASK_MULTICLASS ? "multiclass"
                                        : "auto";
}

static json_t *reals(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null())) {
            json_decref(a);
            return NULL;
        }
    return a;
}

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
    json_t *o =
        json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n_leaves", (json_int_t)nl, "feature",
                  ints_int32_t(t->feature, nn), "bin", ints_uint16_t(t->bin, nn), "threshold", floats(t->threshold, nn),
                  "missing_left", ints_uint8_t(t->missing_left, nn), "left", ints_int32_t(t->left, nn), "right",
                  ints_int32_t(t->right, nn), "gain", reals(t->gain, nn), "node_count", ints_int64_t(t->node_count, nn),
                  "leaf_value", reals(t->leaf_value, nl), "leaf_count", ints_int64_t(t->leaf_count, nl));
    if (o && t->cat_begin &&
        json_object_update_new(o, json_pack("{s:o, s:o, s:o}", "cat_begin", ints_int32_t(t->cat_begin, nn), "cat_words",
                                            ints_int32_t(t->cat_words, nn), "cat_bits",
                                            ints_uint32_t(t->cat_bits, t->n_cat_bits)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- linear models: the "linear" object is serial.c's; the rest is shared with every kind ---- */

json_t *plumb__provenance_json(const plumb_model *m) {
    return json_pack("{s:s, s:s, s:I, s:s}", "plumb_version", m->plumb_version, "data_sha256", m->data_sha256,
                     "train_rows", (json_int_t)m->train_rows, "created", m->created);
}

static json_t *linear_model_json(const plumb_model *m) {
    json_t *metrics = json_pack("{s:s, s:o, s:n}", "name", m->task == PLUMB_TASK_BINARY ? "binary_logloss" : "l2",
                                "train", isfinite(m->train_metric) ? json_real(m->train_metric) : json_null(), "valid");
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o}", "format", MODEL_MAGIC, "format_version", MODEL_FORMAT,
                     "model", "linear", "task", task_name(m->task), "schema", plumb__schema_to_json(m->schema),
                     "linear", plumb__linear_to_json(m->linear, m->schema), "metrics", metrics, "provenance",
                     plumb__provenance_json(m));
}

static json_t *model_json(const plumb_model *m) {
    if (m->kind == PLUMB_MODEL_TREE)
        return plumb__cart_model_json(m, MODEL_MAGIC, MODEL_FORMAT);
    if (m->kind == PLUMB_MODEL_LINEAR)
        return linear_model_json(m);
    const plumb_gbdt_params *p = &m->params;
    json_t *features = json_array(), *trees = json_array();
    for (int64_t f = 0; features && f < m->n_features; f++) {
        const plumb__feature *ft = &m->features[f];
        const char *name = m->schema->cols[ft->column].name;
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
                                m->valid_metric ? reals(m->valid_metric, m->n_iterations) : json_null());
    json_t *prov = plumb__provenance_json(m);
    json_t *objective = json_pack("{s:s, s:f, s:f}", "name", plumb_objective_name(m->objective.kind), "alpha",
                                  m->objective.alpha, "max_delta_step", m->objective.max_delta_step);
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o}", "format",
                     MODEL_MAGIC, "format_version", MODEL_FORMAT, "model", "gbdt", "task", task_name(m->task),
                     "objective", objective, "n_classes", m->n_classes, "schema", plumb__schema_to_json(m->schema),
                     "features", features, "init_score", reals(m->init_score, m->n_classes), "trees", trees, "params",
                     params, "metrics", metrics, "init_iterations", (json_int_t)m->init_iterations, "n_iterations",
                     (json_int_t)m->n_iterations, "best_iteration", (json_int_t)m->best_iteration, "provenance", prov);
}

/* The positive class of a binary model with a text target: its name, which evaluation reads back
 * (plumb_model_positive_class). Other models have no such key. Returns false when out of memory. */
static bool add_positive_class(json_t *root, const plumb_model *m) {
    const char *name = plumb_model_positive_class(m);
    return !root || !name || json_object_set_new(root, "positive_class", json_string(name)) == 0;
}

plumb_status plumb_model_save(const plumb_model *m, const char *path, plumb_error *err) {
    plumb_status st;
    plumb_outfile *file = NULL;
    FILE *f;
    json_t *root = model_json(m);
    if (root && m->calibrator && json_object_set_new(root, "calibration", plumb__calibrate_to_json(m->calibrator))) {
        json_decref(root);
        root = NULL;
    }
    if (!add_positive_class(root, m)) {
        json_decref(root);
        root = NULL;
    }
    char *body = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!body)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    const size_t n = strlen(body);
    char hex[65];
    sha256_hex(body, n, hex);
    if ((st = plumb_outfile_open(path, &file, &f, err)) != PLUMB_OK)
        goto done;
    if (fprintf(f, "%s %d %zu %s\n", MODEL_MAGIC, MODEL_FORMAT, n, hex) < 0 || fwrite(body, 1, n, f) != n ||
        fputc('\n', f) < 0) {
        plumb_outfile_abort(file);
        st = plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    st = plumb_outfile_commit(file, err);
done:
    free(body);
    return st;
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
static bool check_tree(plumb__loader *ld, const plumb_model *m, const plumb__gbdt_tree *t) {
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

void plumb__provenance_read(plumb_model *m, const json_t *root) {
    const json_t *prov = json_object_get(root, "provenance");
    const char *pv = json_string_value(json_object_get(prov, "plumb_version"));
    const char *sha = json_string_value(json_object_get(prov, "data_sha256"));
    const char *created = json_string_value(json_object_get(prov, "created"));
    snprintf(m->plumb_version, sizeof m->plumb_version, "%s", pv ? pv : "");
    snprintf(m->data_sha256, sizeof m->data_sha256, "%s", sha ? sha : "");
    snprintf(m->created, sizeof m->created, "%s", created ? created : "");
    m->train_rows = json_integer_value(json_object_get(prov, "train_rows"));
}

/* A linear model's body: the schema, then serial.c's "linear" object checked against it. */
static plumb_status parse_linear(plumb__loader *ld, const json_t *root, const char *task, plumb_model *m) {
    m->kind = PLUMB_MODEL_LINEAR;
    if (strcmp(task, "binary") != 0 && strcmp(task, "regression") != 0) {
        plumb__loader_bad(ld, "unknown task");
        return ld->st;
    }
    m->task = strcmp(task, "binary") == 0 ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    if ((ld->st = plumb__schema_from_json(json_object_get(root, "schema"), ld->name, &m->schema, ld->err)) !=
            PLUMB_OK ||
        (ld->st = plumb__linear_from_json(json_object_get(root, "linear"), m->schema, m->task, ld->name, &m->linear,
                                          ld->err)) != PLUMB_OK)
        return ld->st;
    plumb__provenance_read(m, root);
    m->n_iterations = m->best_iteration = m->linear->n_iter;
    m->train_metric = m->linear->train_metric;
    return PLUMB_OK;
}

static plumb_status parse_model(plumb__loader *ld, const json_t *root, plumb_model **out) {
    plumb_model *m = calloc(1, sizeof *m);
    if (!m)
        return plumb__fail(ld->err, PLUMB_ENOMEM, "out of memory");
    plumb_gbdt_params_init(&m->params);
    const char *task = json_string_value(json_object_get(root, "task"));
    const char *kind = json_string_value(json_object_get(root, "model"));
    if (kind && task && strcmp(kind, "linear") == 0) {
        if (parse_linear(ld, root, task, m) != PLUMB_OK)
            goto done;
        *out = m;
        return PLUMB_OK;
    }
    if (!kind || strcmp(kind, "gbdt") != 0 || !task) {
        plumb__loader_bad(ld, "unknown model kind");
        goto done;
    }
    m->kind = PLUMB_MODEL_GBDT;
    m->task = strcmp(task, "binary") == 0       ? PLUMB_TASK_BINARY
              : strcmp(task, "multiclass") == 0 ? PLUMB_TASK_MULTICLASS
                                                : PLUMB_TASK_REGRESSION;
    /* files from before objectives were chosen have neither objective nor n_classes: the task says which */
    const json_t *obj = json_object_get(root, "objective");
    const char *oname = obj                            ? json_string_value(json_object_get(obj, "name"))
                        : m->task == PLUMB_TASK_BINARY ? "binary"
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
    m->n_classes = (int32_t)n_classes;
    if ((ld->st = plumb__schema_from_json(json_object_get(root, "schema"), ld->name, &m->schema, ld->err)) != PLUMB_OK)
        goto done;
    const char *positive = json_string_value(json_object_get(root, "positive_class"));
    if (positive) { /* written for a binary model with a text target; absent: the default, the last category */
        bool found = false;
        for (int64_t j = 0; j < plumb_schema_n_columns(m->schema); j++) {
            plumb_column_info c;
            plumb_schema_column(m->schema, j, &c);
            if (c.role == PLUMB_ROLE_TARGET && c.n_categories == 2 && m->task == PLUMB_TASK_BINARY) {
                found = strcmp(positive, c.categories[0]) == 0 || strcmp(positive, c.categories[1]) == 0;
                m->positive_first = strcmp(positive, c.categories[0]) == 0;
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
        const int64_t col = name ? plumb__schema_find(m->schema, name) : -1;
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
            if (n_cat > PLUMB__MAX_BINS - 2 || m->schema->cols[col].type != PLUMB_TYPE_CATEGORICAL) {
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
    m->params.task = m->task;
    plumb__provenance_read(m, root);
    if (!plumb__model_prepare(m)) {
        plumb__loader_bad(ld, "out of memory");
        goto done;
    }
    *out = m;
    return PLUMB_OK;
done:
    plumb__model_free(m);
    return ld->st != PLUMB_OK ? ld->st : plumb__fail(ld->err, PLUMB_EFORMAT, "corrupted model file");
}

plumb_status plumb_model_load_buffer(const void *data, size_t size, const char *name, plumb_model **out,
                                     plumb_error *err) {
    plumb__loader ld = {.name = name ? name : "<buffer>", .err = err, .st = PLUMB_OK};
    *out = NULL;
    plumb__error_clear(err);
    const char *p = data;
    const size_t magic = sizeof MODEL_MAGIC - 1;
    if (size < magic + 1 || memcmp(p, MODEL_MAGIC " ", magic + 1) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "not a plumb model file");
    const char *nl = memchr(p, '\n', size < 256 ? size : 256);
    if (!nl)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "truncated model file: no complete header");
    char header[256];
    memcpy(header, p, (size_t)(nl - p));
    header[nl - p] = '\0';
    int version;
    unsigned long long body_len;
    char hex[65], want[65];
    if (sscanf(header, MODEL_MAGIC " %d %llu %64s", &version, &body_len, want) != 3 || strlen(want) != 64)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: bad header");
    if (version > MODEL_FORMAT)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0,
                               "model format %d is newer than this plumb reads (%d): upgrade plumb", version,
                               MODEL_FORMAT);
    if (version < 1)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: bad format %d", version);
    const char *body = nl + 1;
    const size_t have = size - (size_t)(body - p);
    if (have < body_len)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "truncated model file: %zu of %llu bytes", have,
                               body_len);
    sha256_hex(body, (size_t)body_len, hex);
    if (strcmp(hex, want) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: checksum mismatch");
    json_error_t jerr;
    json_t *root = json_loadb(body, (size_t)body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: %s", jerr.text);
    const char *kind = json_string_value(json_object_get(root, "model"));
    plumb_status st = kind && strcmp(kind, "tree") == 0 ? plumb__cart_model_parse(root, ld.name, out, err)
                                                        : parse_model(&ld, root, out);
    const json_t *cal = json_object_get(root, "calibration");
    if (st == PLUMB_OK && cal) { /* any binary model may carry one */
        plumb_error cerr;
        if ((*out)->task != PLUMB_TASK_BINARY ||
            plumb__calibrate_from_json(cal, &(*out)->calibrator, &cerr) != PLUMB_OK) {
            plumb_model_free(*out);
            *out = NULL;
            st = plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: calibration");
        }
    }
    json_decref(root);
    return st;
}

plumb_status plumb_model_load(const char *path, plumb_model **out, plumb_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return plumb__fail(err, PLUMB_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    const bool failed = ferror(f);
    fclose(f);
    if (!buf)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = failed ? plumb__fail(err, PLUMB_EIO, "cannot read '%s'", path)
                             : plumb_model_load_buffer(buf, n, path, out, err);
    free(buf);
    return st;
}

/* SHA-256 of what a model learns from: the frame's schema (names, types, roles, categories) and every
 * column's values as stored, so the same data gives the same digest however the CSV was formatted. */
static void frame_sha256(const plumb_frame *fr, char hex[65]) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    json_t *schema = plumb__schema_to_json(plumb_frame_schema(fr));
    char *text = schema ? json_dumps(schema, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    free(text);
    json_decref(schema);
    const size_t n = (size_t)plumb_frame_n_rows(fr);
    for (int64_t j = 0; j < plumb_frame_n_columns(fr); j++) {
        if (plumb_frame_f32(fr, j))
            sha256_update(&ctx, n * 4, (const uint8_t *)plumb_frame_f32(fr, j));
        else if (plumb_frame_f64(fr, j))
            sha256_update(&ctx, n * 8, (const uint8_t *)plumb_frame_f64(fr, j));
        else if (plumb_frame_codes(fr, j))
            sha256_update(&ctx, n * 4, (const uint8_t *)plumb_frame_codes(fr, j));
        else if (plumb_frame_i64(fr, j))
            sha256_update(&ctx, n * 8, (const uint8_t *)plumb_frame_i64(fr, j));
        else if (plumb_frame_u8(fr, j))
            sha256_update(&ctx, n, plumb_frame_u8(fr, j));
    }
    sha256_digest(&ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void plumb__model_stamp(plumb_model *m, const plumb_frame *train) {
    snprintf(m->plumb_version, sizeof m->plumb_version, "%s", plumb_version());
    frame_sha256(train, m->data_sha256);
    m->train_rows = plumb_frame_n_rows(train);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
