/* trees.c -- gradient-boosted trees and CART trees as ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor.
 *
 * The ensemble reads "features" (onnx.h): numbers, and categorical codes with NaN for missing, -1 for unseen.
 *   Numeric splits: plumb sends x <= t left; BRANCH_LEQ with the float32 threshold decides the same for every
 *   float32 x (a gbdt threshold is a float32 bin edge; a CART threshold, a double, becomes the largest float32 not
 *   above it, which is exact since x is float32). NaN follows nodes_missing_value_tracks_true: the true branch is
 *   the left one, so the flag is the node's missing_left.
 *   Categorical splits: ai.onnx.ml has no set-membership mode before opset 5 (which ONNX 1.12 does not know), so a
 *   split on a category set S becomes a chain of BRANCH_EQ nodes, x == c1 ? T : (x == c2 ? T : ... F), whose true
 *   branches all point at the same child T: the chain tests the smaller of the left and the right set, so T is the
 *   left or the right child. A missing value (NaN) follows the tracks_true flag of every chain node; an unseen
 *   category (-1) is one more member of its side's set. Equality on small integer codes is exact. ONNX Runtime
 *   accepts children shared this way (the tests score such chains; nothing in ONNX's spec forbids them).
 * Node ids: a tree's own nodes keep their numbers (gbdt: internal i, leaf n_internal + l; CART: its preorder
 * index), chain nodes come after them.
 *
 * Leaf values become float32 (the ensemble's attribute type): the one rounding of the export, which ONNX Runtime
 * adds up in its own order; the tests bound the difference at 1e-5.
 */
#include "onnx.h"
#include "../gbdt/gbdt.h"
#include "../tree/tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The arrays of an ensemble being built, grown with realloc and adopted by the graph at the end. */
typedef struct ens {
    plumb__onnx *o;
    int64_t *tree, *id, *feat, *yes, *no, *miss;
    float *value;
    const char **mode;
    size_t n, cap;
    int64_t *l_tree, *l_id, *l_target;
    float *l_weight;
    size_t nl, capl;
    bool oom;
} ens;

#define GROW(p, cap) (tmp = realloc((p), (cap) * sizeof *(p))) ? (void)((p) = tmp) : (void)(e->oom = true)

static size_t add_node(ens *e) {
    if (e->oom)
        return 0;
    if (e->n == e->cap) {
        const size_t cap = e->cap ? 2 * e->cap : 1024;
        void *tmp;
        GROW(e->tree, cap);
        GROW(e->id, cap);
        GROW(e->feat, cap);
        GROW(e->yes, cap);
        GROW(e->no, cap);
        GROW(e->miss, cap);
        GROW(e->value, cap);
        GROW(e->mode, cap);
        if (e->oom)
            return 0;
        e->cap = cap;
    }
    return e->n++;
}

static void branch(ens *e, int64_t tree, int64_t id, int64_t feat, const char *mode, float value, int64_t yes,
                   int64_t no, bool miss) {
    const size_t i = add_node(e);
    if (e->oom)
        return;
    e->tree[i] = tree;
    e->id[i] = id;
    e->feat[i] = feat;
    e->mode[i] = mode;
    e->value[i] = value;
    e->yes[i] = yes;
    e->no[i] = no;
    e->miss[i] = miss;
}

static void leaf(ens *e, int64_t tree, int64_t id) {
    branch(e, tree, id, 0, "LEAF", 0, 0, 0, false);
}

static void weight(ens *e, int64_t tree, int64_t id, int64_t target, double w) {
    if (e->oom)
        return;
    if (e->nl == e->capl) {
        const size_t cap = e->capl ? 2 * e->capl : 1024;
        void *tmp;
        GROW(e->l_tree, cap);
        GROW(e->l_id, cap);
        GROW(e->l_target, cap);
        GROW(e->l_weight, cap);
        if (e->oom)
            return;
        e->capl = cap;
    }
    e->l_tree[e->nl] = tree;
    e->l_id[e->nl] = id;
    e->l_target[e->nl] = target;
    e->l_weight[e->nl] = (float)w;
    e->nl++;
}

/* A categorical split at node id of tree on feature feat (a column of codes 0..n_cat-1): in_left[c] says whether
 * category c goes left; missing and unseen values go left when missing_left and unseen_left. Chain nodes take ids
 * from *next_id. */
static void cat_split(ens *e, int64_t tree, int64_t id, int64_t feat, const uint8_t *in_left, int32_t n_cat,
                      bool missing_left, bool unseen_left, int64_t left, int64_t right, int64_t *next_id) {
    int32_t n_left = unseen_left;
    for (int32_t c = 0; c < n_cat; c++)
        n_left += in_left[c];
    const int32_t n_right = n_cat + 1 - n_left;
    /* the chain tests side `want` (1: left): x in that set goes to T, everything else to F */
    const bool want = n_left <= n_right;
    const int64_t t = want ? left : right, f = want ? right : left;
    const bool miss = missing_left == want;
    const int32_t total = want ? n_left : n_right;
    int32_t seen = 0;
    if (total == 0) {
        /* nothing but (perhaps) missing values goes to T: a test no code passes */
        branch(e, tree, id, feat, "BRANCH_EQ", -2.0f, t, f, miss);
        return;
    }
    int64_t cur = id;
    for (int32_t c = -1; c < n_cat; c++) {
        const bool is_left = c < 0 ? unseen_left : in_left[c];
        if (is_left != want)
            continue;
        const bool last = ++seen == total;
        const int64_t nxt = last ? f : (*next_id)++;
        branch(e, tree, cur, feat, "BRANCH_EQ", c < 0 ? PLUMB__ONNX_CODE_UNSEEN : (float)c, t, nxt, miss);
        cur = nxt;
    }
}

/* The TreeEnsemble node of the ensemble's arrays (adopted by the graph), Classifier when n_classes > 0 (class
 * labels class_names) else Regressor; out are its outputs. */
static Onnx__NodeProto *emit(ens *e, const char *in, const char *const *out, int32_t n_classes,
                             const char *const *class_names, const char *post) {
    plumb__onnx *o = e->o;
    const bool cls = n_classes > 0;
    Onnx__NodeProto *n = NULL;
    if (!e->oom)
        n = plumb__onnx_node(o, cls ? "TreeEnsembleClassifier" : "TreeEnsembleRegressor", "ai.onnx.ml", 1, &in,
                             cls ? 2 : 1, out);
    void *arrays[] = {e->tree,  e->id,   e->feat,   e->yes,  e->no,       e->miss,
                      e->value, e->mode, e->l_tree, e->l_id, e->l_target, e->l_weight};
    bool ok = !e->oom;
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        if (arrays[i])
            ok &= plumb__onnx_adopt(o, arrays[i]);
    if (!ok || !n) {
        o->oom = true;
        return NULL;
    }
    plumb__onnx_attr_ints(o, n, "nodes_treeids", e->tree, e->n);
    plumb__onnx_attr_ints(o, n, "nodes_nodeids", e->id, e->n);
    plumb__onnx_attr_ints(o, n, "nodes_featureids", e->feat, e->n);
    plumb__onnx_attr_strings(o, n, "nodes_modes", e->mode, e->n);
    plumb__onnx_attr_floats(o, n, "nodes_values", e->value, e->n);
    plumb__onnx_attr_ints(o, n, "nodes_truenodeids", e->yes, e->n);
    plumb__onnx_attr_ints(o, n, "nodes_falsenodeids", e->no, e->n);
    plumb__onnx_attr_ints(o, n, "nodes_missing_value_tracks_true", e->miss, e->n);
    const char *p = cls ? "class_" : "target_";
    char key[32];
    snprintf(key, sizeof key, "%streeids", p);
    plumb__onnx_attr_ints(o, n, key, e->l_tree, e->nl);
    snprintf(key, sizeof key, "%snodeids", p);
    plumb__onnx_attr_ints(o, n, key, e->l_id, e->nl);
    snprintf(key, sizeof key, "%sids", p);
    plumb__onnx_attr_ints(o, n, key, e->l_target, e->nl);
    snprintf(key, sizeof key, "%sweights", p);
    plumb__onnx_attr_floats(o, n, key, e->l_weight, e->nl);
    plumb__onnx_attr_s(o, n, "post_transform", post);
    if (cls) {
        plumb__onnx_attr_strings(o, n, "classlabels_strings", class_names, (size_t)n_classes);
    } else {
        plumb__onnx_attr_i(o, n, "n_targets", 1);
        plumb__onnx_attr_s(o, n, "aggregate_function", "SUM");
    }
    return n;
}

/* Outputs of the classifier or regressor: declared in the graph, named as onnx.h says. */
static void outputs(plumb__onnx *o, int32_t n_classes) {
    if (n_classes > 0) {
        plumb__onnx_output(o, "label", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, -1);
        plumb__onnx_output(o, "probabilities", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n_classes);
    } else {
        plumb__onnx_output(o, "prediction", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Gradient-boosted trees                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/* The node id of gbdt child c (>= 0 internal, ~leaf) of a tree with n_internal internal nodes. */
static int64_t gbdt_id(int32_t c, int32_t n_internal) {
    return c >= 0 ? c : (int64_t)n_internal + ~c;
}

static void gbdt_tree(ens *e, const plumb__gbdt *g, plumb__onnx_front *fe, int64_t k, uint8_t *in_left) {
    const plumb__gbdt_tree *t = &g->trees[k];
    const int32_t n_int = t->n_leaves - 1;
    int64_t next_id = n_int + t->n_leaves;
    for (int32_t i = 0; i < n_int; i++) {
        const int32_t f = t->feature[i];
        const plumb__feature *ft = &g->features[f];
        const int64_t left = gbdt_id(t->left[i], n_int), right = gbdt_id(t->right[i], n_int);
        if (t->cat_begin && t->cat_begin[i] >= 0) {
            /* bin b = code + 1 goes left when its bit is set; bin 0 (missing and unseen) by bit 0 */
            for (int32_t c = 0; c < ft->n_categories; c++)
                in_left[c] = plumb__gbdt_tree_left(t, i, (uint32_t)c + 1);
            const bool bin0 = plumb__gbdt_tree_left(t, i, 0);
            cat_split(e, k, i, fe->fcol[f], in_left, ft->n_categories, bin0, bin0, left, right, &next_id);
        } else {
            /* bins 1..bin go left: x <= edges[bin - 1], every value when bin is the last bin */
            const int32_t n_edges = ft->n_bins - 2;
            const float thr = t->bin[i] - 1 < n_edges ? ft->edges[t->bin[i] - 1] : INFINITY;
            branch(e, k, i, fe->fcol[f], "BRANCH_LEQ", thr, left, right, t->missing_left[i]);
        }
    }
    for (int32_t l = 0; l < t->n_leaves; l++)
        leaf(e, k, n_int + l);
}

void plumb__onnx_gbdt(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names) {
    const plumb__gbdt *g = plumb__gbdt_of(m);
    const int32_t K = g->n_classes;
    ens e = {.o = o};
    int32_t max_cat = 1;
    for (int64_t f = 0; f < g->n_features; f++)
        max_cat = g->features[f].n_categories > max_cat ? g->features[f].n_categories : max_cat;
    uint8_t *in_left = malloc((size_t)max_cat);
    e.oom = !in_left;
    /* binary: the log-odds s of the positive class (class 1), and -s for class 0, so that LOGISTIC makes the
     * probabilities [1 - p, p]. With the one score alone ONNX Runtime takes its two-class path, which leaves class 0
     * at logistic(0) = 0.5 or adds base_values to the wrong class; so every leaf votes for both classes, and the
     * initial score goes into the first tree's leaves rather than base_values. */
    const bool binary = m->task == PLUMB_TASK_BINARY;
    const char *features = plumb__onnx_features(o, m, fe);
    for (int64_t k = 0; k < g->n_trees && !e.oom; k++) {
        gbdt_tree(&e, g, fe, k, in_left);
        const plumb__gbdt_tree *t = &g->trees[k];
        for (int32_t l = 0; l < t->n_leaves; l++) {
            const double v = t->leaf_value[l] + (binary && k == 0 ? g->init_score[0] : 0);
            if (binary)
                weight(&e, k, t->n_leaves - 1 + l, 0, -v);
            weight(&e, k, t->n_leaves - 1 + l, binary ? 1 : k % K, v);
        }
    }
    if (g->n_trees == 0) { /* a model of its initial score alone: one leaf (holding it, for binary) */
        leaf(&e, 0, 0);
        for (int32_t k = 0; k < (binary ? 2 : K); k++)
            weight(&e, 0, 0, k, binary ? (k ? 1 : -1) * g->init_score[0] : 0.0);
    }
    free(in_left);
    Onnx__NodeProto *n = NULL;
    float *base = binary ? NULL : plumb__onnx_alloc(o, (size_t)K * sizeof *base);
    if (binary) {
        const char *out[2] = {"label", "probabilities"};
        n = emit(&e, features, out, 2, class_names, "LOGISTIC");
    } else if (m->task == PLUMB_TASK_MULTICLASS) {
        const char *out[2] = {"label", "probabilities"};
        n = emit(&e, features, out, K, class_names, "SOFTMAX");
    } else {
        const bool poisson = g->objective.kind == PLUMB_OBJECTIVE_POISSON;
        const char *raw = poisson ? plumb__onnx_name(o, "log_mean") : "prediction";
        n = emit(&e, features, &raw, 0, NULL, "NONE");
        if (poisson) /* the mean is exp of the raw score */
            plumb__onnx_node(o, "Exp", "", 1, &raw, 1, (const char *[]){"prediction"});
    }
    if (base && n) {
        for (int32_t k = 0; k < K; k++)
            base[k] = (float)g->init_score[k];
        plumb__onnx_attr_floats(o, n, "base_values", base, (size_t)K);
    }
    outputs(o, binary ? 2 : m->task == PLUMB_TASK_MULTICLASS ? K : 0);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* CART                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

/* The largest float32 not above the double t: x <= t and x <= it agree for every float32 x. */
static float float_at_most(double t) {
    float f = (float)t;
    if ((double)f > t)
        f = nextafterf(f, -INFINITY);
    return f;
}

void plumb__onnx_cart(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names) {
    const struct plumb__cart *c = plumb__cart_of(m);
    ens e = {.o = o};
    int32_t max_cat = 1;
    for (int64_t f = 0; f < c->n_features; f++)
        max_cat = c->features[f].n_categories > max_cat ? c->features[f].n_categories : max_cat;
    uint8_t *in_left = malloc((size_t)max_cat);
    e.oom = !in_left;
    const bool binary = m->task == PLUMB_TASK_BINARY;
    const char *features = plumb__onnx_features(o, m, fe);
    int64_t next_id = c->n_nodes;
    for (int32_t i = 0; i < c->n_nodes && !e.oom; i++) {
        const plumb__cart_node *nd = &c->nodes[i];
        if (nd->left < 0) {
            leaf(&e, 0, i);
            /* the leaf's value is the positive class's share: both classes get theirs, so the probabilities need
             * no transform */
            if (binary)
                weight(&e, 0, i, 0, 1 - nd->value);
            weight(&e, 0, i, binary ? 1 : 0, nd->value);
            continue;
        }
        const plumb__cart_feature *ft = &c->features[nd->feature];
        if (ft->type == PLUMB_TYPE_CATEGORICAL) {
            for (int32_t k = 0; k < ft->n_categories; k++)
                in_left[k] = (c->bits[nd->bits + k / 64] >> (k % 64)) & 1;
            cat_split(&e, 0, i, fe->fcol[nd->feature], in_left, ft->n_categories, nd->missing_left, nd->unseen_left,
                      nd->left, nd->right, &next_id);
        } else {
            branch(&e, 0, i, fe->fcol[nd->feature], "BRANCH_LEQ", float_at_most(nd->threshold), nd->left, nd->right,
                   nd->missing_left);
        }
    }
    free(in_left);
    if (binary) {
        const char *out[2] = {"label", "probabilities"};
        emit(&e, features, out, 2, class_names, "NONE");
    } else {
        const char *out = "prediction";
        emit(&e, features, &out, 0, NULL, "NONE");
    }
    outputs(o, binary ? 2 : 0);
}
