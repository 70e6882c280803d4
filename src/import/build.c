/* build.c -- a gbdt model from the neutral form of a foreign model (import.h).
 *
 * plumb's trees compare bins: a numeric split "bin <= b" means x <= edges[b - 1]. So every distinct threshold of a
 * feature becomes one of its edges, and a split on threshold t becomes the split on t's bin; the comparison is the
 * same for every float x. A categorical feature's categories are the integers 0..n-1 written as text (the model's
 * dictionary, sorted bytewise as every plumb dictionary is), so category c has the code of "c" in that order.
 * The body is written as a gbdt model file's and read back by the gbdt reader, which checks it once more.
 */
#include "import.h"
#include "../gbdt/gbdt.h"
#include "../model/loader.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdarg.h>

bool plumb__imp_tree_alloc(plumb__imp_tree *t, int32_t n, int32_t n_words) {
    const size_t nn = (size_t)n;
    memset(t, 0, sizeof *t);
    /* doubles first, then 4-byte fields, then bytes: each array stays aligned */
    t->mem = calloc(1, nn * (3 * sizeof(double) + 6 * sizeof(int32_t) + sizeof(float) + 1) +
                           ((size_t)n_words + 1) * sizeof(uint32_t));
    if (!t->mem)
        return false;
    t->n_nodes = n;
    t->value = t->mem;
    t->cover = t->value + nn;
    t->gain = t->cover + nn;
    t->left = (int32_t *)(t->gain + nn);
    t->right = t->left + nn;
    t->feature = t->right + nn;
    t->cat_begin = t->feature + nn;
    t->cat_words = t->cat_begin + nn;
    t->threshold = (float *)(t->cat_words + nn);
    t->cat_bits = (uint32_t *)(t->threshold + nn);
    t->n_cat_bits = n_words;
    t->missing_left = (uint8_t *)(t->cat_bits + n_words + 1);
    for (size_t i = 0; i < nn; i++)
        t->left[i] = t->right[i] = t->cat_begin[i] = -1;
    return true;
}

void plumb__imp_clear(plumb__imp *im) {
    for (int64_t k = 0; im->trees && k < im->n_trees; k++)
        free(im->trees[k].mem);
    for (int64_t f = 0; im->names && f < im->n_features; f++)
        free(im->names[f]);
    free(im->trees);
    free(im->names);
    free(im->categorical);
    free(im->init_score);
    memset(im, 0, sizeof *im);
}

bool plumb__imp_fail(plumb__imp_reader *r, int64_t line, const char *fmt, ...) {
    if (r->st == PLUMB_OK) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        r->st = plumb__error_at(r->err, PLUMB_EFORMAT, r->path, line, 0, "%s model: %s", r->format, msg);
    }
    return false;
}

static plumb_status bad(const plumb__imp *im, const char *fmt, ...) PLUMB__PRINTF(2, 3);
static plumb_status bad(const plumb__imp *im, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return plumb__error_at(im->err, PLUMB_EFORMAT, im->path, 0, 0, "%s", msg);
}

static int cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* ---- checks ------------------------------------------------------------------------------------------------- */

/* Tree k must be a tree: every child in range, every node reached once from the root, splits on features that
 * exist with finite thresholds and bitsets inside the tree's. Its preorder (internal nodes, then leaves) goes to
 * order, its internal nodes' count to *n_internal. */
static plumb_status check_tree(const plumb__imp *im, int64_t k, int32_t *order, int32_t *n_internal) {
    const plumb__imp_tree *t = &im->trees[k];
    const int32_t n = t->n_nodes;
    int32_t *stack = malloc(((size_t)n + 1) * sizeof *stack);
    char *seen = calloc((size_t)n + 1, 1);
    plumb_status st = PLUMB_OK;
    if (!stack || !seen) {
        st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    int32_t top = 0, n_in = 0, n_leaf = 0, n_left = n;
    stack[top++] = 0;
    seen[0] = 1;
    while (top > 0 && st == PLUMB_OK) {
        const int32_t i = stack[--top];
        if (t->left[i] < 0) {
            order[--n_left] = i; /* leaves fill the order from its end; reversed below */
            n_leaf++;
            if (!isfinite(t->value[i]))
                st = bad(im, "tree %lld: leaf %d has value %g", (long long)k, i, t->value[i]);
            continue;
        }
        order[n_in++] = i;
        const int32_t f = t->feature[i];
        if (f < 0 || f >= im->n_features)
            st = bad(im, "tree %lld: node %d splits on feature %d of a model with %lld features", (long long)k, i, f,
                     (long long)im->n_features);
        else if (t->cat_begin[i] >= 0 && (!im->categorical || !im->categorical[f]))
            st = bad(im, "tree %lld: node %d is a categorical split on numeric feature %d", (long long)k, i, f);
        else if (t->cat_begin[i] < 0 && im->categorical && im->categorical[f])
            st = bad(im, "tree %lld: node %d is a numeric split on categorical feature %d", (long long)k, i, f);
        else if (t->cat_begin[i] >= 0 && (t->cat_words[i] < 1 || t->cat_begin[i] > t->n_cat_bits - t->cat_words[i]))
            st = bad(im, "tree %lld: node %d: category bitset out of range", (long long)k, i);
        else if (t->cat_begin[i] < 0 && !isfinite(t->threshold[i]))
            st = bad(im, "tree %lld: node %d has threshold %g", (long long)k, i, (double)t->threshold[i]);
        for (int side = 0; side < 2 && st == PLUMB_OK; side++) {
            const int32_t c = side ? t->right[i] : t->left[i];
            if (c < 0 || c >= n)
                st = bad(im, "tree %lld: node %d has child %d out of range (%d nodes)", (long long)k, i, c, n);
            else if (seen[c]++)
                st = bad(im, "tree %lld: node %d is reached twice", (long long)k, c);
            else
                stack[top++] = c;
        }
    }
    if (st == PLUMB_OK && n_in + n_leaf != n)
        st = bad(im, "tree %lld: %d of its %d nodes are not reached from the root", (long long)k, n - n_in - n_leaf, n);
    /* the leaves were stored from the end in visit order: put them back in that order */
    for (int32_t a = n_in, b = n - 1; st == PLUMB_OK && a < b; a++, b--) {
        const int32_t x = order[a];
        order[a] = order[b];
        order[b] = x;
    }
    *n_internal = n_in;
done:
    free(stack);
    free(seen);
    return st;
}

/* ---- the body ----------------------------------------------------------------------------------------------- */

/* Per feature: its sorted distinct thresholds (numeric), or its categories' count and codes (categorical). */
typedef struct feature_map {
    float *edges;
    int32_t n_edges;
    int32_t n_categories;
    int32_t *code; /* category value -> dictionary code */
} feature_map;

static int32_t edge_bin(const feature_map *fm, float x) {
    const float *p = bsearch(&x, fm->edges, (size_t)fm->n_edges, sizeof x, cmp_float);
    return (int32_t)(p - fm->edges) + 1;
}

static bool add(json_t *a, json_t *v) {
    return v && json_array_append_new(a, v) == 0;
}

static json_t *tree_json(const plumb__imp *im, const plumb__imp_tree *t, const feature_map *fm, const int32_t *order,
                         int32_t n_in, int32_t *index) {
    json_t *feature = json_array(), *bin = json_array(), *threshold = json_array(), *missing = json_array(),
           *left = json_array(), *right = json_array(), *gain = json_array(), *node_count = json_array(),
           *leaf_value = json_array(), *leaf_count = json_array(), *cat_begin = json_array(), *cat_words = json_array(),
           *cat_bits = json_array();
    int64_t *count = malloc(((size_t)t->n_nodes + 1) * sizeof *count);
    json_t *o = NULL;
    bool ok = feature && bin && threshold && missing && left && right && gain && node_count && leaf_value &&
              leaf_count && cat_begin && cat_words && cat_bits && count;
    bool has_cat = false;
    /* internal nodes keep their preorder number; leaf j is ~j */
    for (int32_t r = 0; ok && r < t->n_nodes; r++)
        index[order[r]] = r < n_in ? r : ~(r - n_in);
    /* counts bottom-up (reverse preorder), so a node's is its leaves' sum, as TreeSHAP expects; a leaf's is capped
     * so that no sum over a tree overflows */
    for (int32_t r = t->n_nodes - 1; ok && r >= 0; r--) {
        const int32_t i = order[r];
        count[i] = t->left[i] < 0 ? llround(fmin(fmax(t->cover[i] * im->cover_scale, 0), 1e12))
                                  : count[t->left[i]] + count[t->right[i]];
    }
    int64_t words = 0;
    for (int32_t r = 0; ok && r < n_in; r++) {
        const int32_t i = order[r], f = t->feature[i];
        const feature_map *m = &fm[f];
        int32_t b = 0;
        float thr = 0;
        if (t->cat_begin[i] >= 0) {
            /* bin 0 (missing or unseen) goes right, as in LightGBM; category c is bin code[c] + 1 */
            const int32_t nw = (m->n_categories + 1 + 31) / 32;
            uint32_t w[nw];
            memset(w, 0, sizeof w);
            for (int32_t c = 0; c < 32 * t->cat_words[i] && c < m->n_categories; c++)
                if (plumb__bit(t->cat_bits + t->cat_begin[i], (uint32_t)c)) {
                    const int32_t bb = m->code[c] + 1;
                    w[bb >> 5] |= 1u << (bb & 31);
                }
            ok = add(cat_begin, json_integer(words)) && add(cat_words, json_integer(nw));
            for (int32_t j = 0; ok && j < nw; j++)
                ok = add(cat_bits, json_integer(w[j]));
            words += nw;
            has_cat = true;
        } else {
            b = edge_bin(m, t->threshold[i]);
            thr = t->threshold[i];
            ok = add(cat_begin, json_integer(-1)) && add(cat_words, json_integer(0));
        }
        ok = ok && add(feature, json_integer(f)) && add(bin, json_integer(b)) && add(threshold, json_real(thr)) &&
             add(missing, json_integer(t->cat_begin[i] < 0 && t->missing_left[i])) &&
             add(left, json_integer(index[t->left[i]])) && add(right, json_integer(index[t->right[i]])) &&
             add(gain, json_real(isfinite(t->gain[i]) ? t->gain[i] : 0)) && add(node_count, json_integer(count[i]));
    }
    for (int32_t r = n_in; ok && r < t->n_nodes; r++)
        ok = add(leaf_value, json_real(t->value[order[r]])) && add(leaf_count, json_integer(count[order[r]]));
    if (ok)
        o = json_pack("{s:i, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "n_leaves", t->n_nodes - n_in,
                      "feature", feature, "bin", bin, "threshold", threshold, "missing_left", missing, "left", left,
                      "right", right, "gain", gain, "node_count", node_count, "leaf_value", leaf_value, "leaf_count",
                      leaf_count);
    if (o && has_cat &&
        json_object_update_new(
            o, json_pack("{s:O, s:O, s:O}", "cat_begin", cat_begin, "cat_words", cat_words, "cat_bits", cat_bits))) {
        json_decref(o);
        o = NULL;
    }
    json_t *all[] = {feature,    bin,        threshold,  missing,   left,      right,   gain,
                     node_count, leaf_value, leaf_count, cat_begin, cat_words, cat_bits};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        json_decref(all[j]);
    free(count);
    return o;
}

/* The feature's name: the file's, or f<index>. */
static void feature_name(const plumb__imp *im, int64_t f, char *buf, size_t n) {
    snprintf(buf, n, "%s", im->names && im->names[f] ? im->names[f] : "");
    if (!buf[0])
        snprintf(buf, n, "f%lld", (long long)f);
}

/* Class c of n as text, padded so that bytewise order (a dictionary's) is numeric order. */
static void class_name(int32_t c, int32_t n, char *buf, size_t size) {
    int width = 1;
    for (int32_t x = n - 1; x >= 10; x /= 10)
        width++;
    char digits[16];
    const int len = snprintf(digits, sizeof digits, "%d", c);
    snprintf(buf, size, "%.*s%s", width > len ? width - len : 0, "0000000000", digits);
}

static json_t *schema_json(const plumb__imp *im, const feature_map *fm) {
    json_t *cols = json_array();
    char target[64] = "label";
    char name[256];
    /* the target's name must not be a feature's */
    for (bool clash = true; clash && strlen(target) + 2 < sizeof target;) {
        clash = false;
        for (int64_t f = 0; f < im->n_features && !clash; f++) {
            feature_name(im, f, name, sizeof name);
            clash = strcmp(name, target) == 0;
        }
        if (clash)
            strcat(target, "_");
    }
    json_t *t = json_pack("{s:s, s:s, s:s}", "name", target, "type",
                          im->task == PLUMB_TASK_MULTICLASS ? "categorical" : "numeric", "role", "target");
    if (t && im->task == PLUMB_TASK_MULTICLASS) {
        json_t *cats = json_array();
        for (int32_t c = 0; c < im->n_classes; c++) {
            class_name(c, im->n_classes, name, sizeof name);
            json_array_append_new(cats, json_string(name));
        }
        json_object_set_new(t, "categories", cats);
    }
    if (!cols || !add(cols, t)) {
        json_decref(cols);
        return NULL;
    }
    for (int64_t f = 0; f < im->n_features; f++) {
        feature_name(im, f, name, sizeof name);
        json_t *c = json_pack("{s:s, s:s, s:s}", "name", name, "type",
                              fm[f].n_categories > 0 ? "categorical" : "numeric", "role", "feature");
        if (c && fm[f].n_categories > 0) {
            json_t *cats = json_array();
            int32_t *value = malloc((size_t)fm[f].n_categories * sizeof *value);
            for (int32_t v = 0; value && v < fm[f].n_categories; v++)
                value[fm[f].code[v]] = v;
            for (int32_t r = 0; value && cats && r < fm[f].n_categories; r++) {
                snprintf(name, sizeof name, "%d", value[r]);
                json_array_append_new(cats, json_string(name));
            }
            if (!value || json_object_set_new(c, "categories", cats)) {
                json_decref(c);
                c = NULL;
            }
            free(value);
        }
        if (!add(cols, c)) {
            json_decref(cols);
            return NULL;
        }
    }
    return json_pack("{s:i, s:o}", "plumb_schema", 1, "columns", cols);
}

/* ---- the model ---------------------------------------------------------------------------------------------- */

/* Reorders the trees so that tree k adds to output k % n_classes, as gbdt models are laid out; the i-th tree of
 * each class stays the i-th. Each class must have as many trees. */
static plumb_status interleave(plumb__imp *im) {
    const int32_t K = im->n_classes;
    int64_t *seen = calloc((size_t)K, sizeof *seen);
    plumb__imp_tree *trees = malloc(((size_t)im->n_trees + 1) * sizeof *trees);
    plumb_status st = PLUMB_OK;
    if (!seen || !trees) {
        st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < im->n_trees; k++)
        if (im->trees[k].output < 0 || im->trees[k].output >= K) {
            st = bad(im, "tree %lld adds to class %d of a model with %d", (long long)k, im->trees[k].output, K);
            goto done;
        }
    if (im->n_trees % K != 0) {
        st = bad(im, "%lld trees cannot be shared equally by %d classes", (long long)im->n_trees, K);
        goto done;
    }
    for (int64_t k = 0; k < im->n_trees; k++) {
        const int32_t c = im->trees[k].output;
        if (seen[c] >= im->n_trees / K) {
            st = bad(im, "class %d has more than its share of the %lld trees (%lld per class)", c,
                     (long long)im->n_trees, (long long)(im->n_trees / K));
            goto done;
        }
        trees[seen[c]++ * K + c] = im->trees[k];
    }
    memcpy(im->trees, trees, (size_t)im->n_trees * sizeof *trees);
done:
    free(seen);
    free(trees);
    return st;
}

typedef struct category {
    char text[12];
    int32_t value;
} category;

static int cmp_category(const void *a, const void *b) {
    return strcmp(((const category *)a)->text, ((const category *)b)->text);
}

/* Gathers each feature's thresholds (numeric) or categories (categorical) over every tree. */
static plumb_status map_features(const plumb__imp *im, feature_map *fm) {
    int64_t *n = calloc((size_t)im->n_features + 1, sizeof *n);
    if (!n)
        return plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
    for (int64_t k = 0; k < im->n_trees; k++)
        for (int32_t i = 0; i < im->trees[k].n_nodes; i++) {
            const plumb__imp_tree *t = &im->trees[k];
            if (t->left[i] < 0)
                continue;
            if (t->cat_begin[i] < 0) {
                n[t->feature[i]]++;
                continue;
            }
            feature_map *m = &fm[t->feature[i]];
            for (int32_t c = 32 * t->cat_words[i] - 1; c >= m->n_categories; c--)
                if (plumb__bit(t->cat_bits + t->cat_begin[i], (uint32_t)c))
                    m->n_categories = c + 1;
        }
    plumb_status st = PLUMB_OK;
    for (int64_t f = 0; f < im->n_features && st == PLUMB_OK; f++) {
        feature_map *m = &fm[f];
        if (im->categorical && im->categorical[f]) {
            if (m->n_categories == 0)
                m->n_categories = 1;
            if (m->n_categories > PLUMB__MAX_BINS - 2) {
                st = bad(im, "feature %lld has category %d: at most %d categories are supported", (long long)f,
                         m->n_categories - 1, PLUMB__MAX_BINS - 2);
                break;
            }
            if (!(m->code = malloc((size_t)m->n_categories * sizeof *m->code))) {
                st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
                break;
            }
            /* the dictionary holds "0", "1", ... sorted bytewise ("10" before "2"): code[c] is the rank of "c" */
            category *cat = malloc((size_t)m->n_categories * sizeof *cat);
            if (!cat) {
                st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
                break;
            }
            for (int32_t c = 0; c < m->n_categories; c++) {
                snprintf(cat[c].text, sizeof cat[c].text, "%d", c);
                cat[c].value = c;
            }
            qsort(cat, (size_t)m->n_categories, sizeof *cat, cmp_category);
            for (int32_t r = 0; r < m->n_categories; r++)
                m->code[cat[r].value] = r;
            free(cat);
            continue;
        }
        if (!(m->edges = malloc(((size_t)n[f] + 1) * sizeof *m->edges))) {
            st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
            break;
        }
    }
    for (int64_t k = 0; k < im->n_trees && st == PLUMB_OK; k++)
        for (int32_t i = 0; i < im->trees[k].n_nodes; i++) {
            const plumb__imp_tree *t = &im->trees[k];
            if (t->left[i] >= 0 && t->cat_begin[i] < 0)
                fm[t->feature[i]].edges[fm[t->feature[i]].n_edges++] = t->threshold[i];
        }
    for (int64_t f = 0; f < im->n_features && st == PLUMB_OK; f++) {
        feature_map *m = &fm[f];
        if (!m->edges)
            continue;
        qsort(m->edges, (size_t)m->n_edges, sizeof *m->edges, cmp_float);
        int32_t u = 0;
        for (int32_t j = 0; j < m->n_edges; j++)
            if (u == 0 || m->edges[j] != m->edges[u - 1])
                m->edges[u++] = m->edges[j];
        m->n_edges = u;
        if (u > PLUMB__MAX_BINS - 2)
            st = bad(im, "feature %lld has %d distinct thresholds: at most %d are supported", (long long)f, u,
                     PLUMB__MAX_BINS - 2);
    }
    free(n);
    return st;
}

plumb_status plumb__imp_build(plumb__imp *im, plumb_model **out) {
    *out = NULL;
    feature_map *fm = calloc((size_t)im->n_features + 1, sizeof *fm);
    int32_t *order = NULL, *index = NULL;
    json_t *root = NULL, *features = json_array(), *trees = json_array(), *init = json_array();
    plumb_model *m = NULL;
    plumb_status st = PLUMB_OK;
    int32_t most = 1;
    for (int64_t k = 0; k < im->n_trees; k++)
        most = im->trees[k].n_nodes > most ? im->trees[k].n_nodes : most;
    order = malloc((size_t)most * sizeof *order);
    index = malloc((size_t)most * sizeof *index);
    if (!fm || !order || !index || !features || !trees || !init) {
        st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (im->n_trees == 0) {
        st = bad(im, "the model has no trees");
        goto done;
    }
    for (int64_t k = 0; k < im->n_trees && st == PLUMB_OK; k++) {
        int32_t n_in;
        st = check_tree(im, k, order, &n_in);
    }
    if (st != PLUMB_OK || (st = interleave(im)) != PLUMB_OK || (st = map_features(im, fm)) != PLUMB_OK)
        goto done;
    for (int64_t f = 0; f < im->n_features; f++) {
        char name[256];
        feature_name(im, f, name, sizeof name);
        json_t *e = fm[f].n_categories > 0 ? NULL : json_array();
        for (int32_t j = 0; e && j < fm[f].n_edges; j++)
            json_array_append_new(e, json_real(fm[f].edges[j]));
        if (!add(features,
                 fm[f].n_categories > 0
                     ? json_pack("{s:s, s:i, s:i}", "name", name, "categories", fm[f].n_categories, "monotone", 0)
                     : json_pack("{s:s, s:o, s:i}", "name", name, "edges", e, "monotone", 0))) {
            st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (int64_t k = 0; k < im->n_trees; k++) {
        int32_t n_in;
        if ((st = check_tree(im, k, order, &n_in)) != PLUMB_OK)
            goto done;
        if (!add(trees, tree_json(im, &im->trees[k], fm, order, n_in, index))) {
            st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (int32_t c = 0; c < im->n_classes; c++)
        if (!add(init, json_real(isfinite(im->init_score[c]) ? im->init_score[c] : 0))) {
            st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    root = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:f, s:f}, s:i, s:o, s:O, s:O, s:O, s:{}, s:{s:s, s:n, s:n}, "
                     "s:i, s:I, s:i}",
                     "format", "plumb-model", "format_version", 1, "model", "gbdt", "task", plumb__task_name(im->task),
                     "objective", "name", im->objective, "alpha", 0.9, "max_delta_step", 0.7, "n_classes",
                     im->n_classes, "schema", schema_json(im, fm), "features", features, "init_score", init, "trees",
                     trees, "params", "metrics", "name", "", "train", "valid", "init_iterations", 0, "n_iterations",
                     (json_int_t)(im->n_trees / im->n_classes), "best_iteration", 0);
    if (!root) {
        st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (!(m = plumb__model_new(&plumb__gbdt_ops))) {
        st = plumb__fail(im->err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    plumb__loader ld = {.name = im->path, .err = im->err, .st = PLUMB_OK};
    if ((st = plumb__gbdt_from_json(&ld, root, m)) != PLUMB_OK)
        goto done;
    snprintf(m->plumb_version, sizeof m->plumb_version, "%s", plumb_version());
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *out = m;
    m = NULL;
done:
    for (int64_t f = 0; fm && f < im->n_features; f++) {
        free(fm[f].edges);
        free(fm[f].code);
    }
    free(fm);
    free(order);
    free(index);
    json_decref(root);
    json_decref(features);
    json_decref(trees);
    json_decref(init);
    plumb_model_free(m);
    return st;
}
