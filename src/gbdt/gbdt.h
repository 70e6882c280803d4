/* gbdt.h -- internal layout of gradient-boosted tree models, shared by training, scoring and the model file.
 *
 * Features are binned: bin 0 holds missing values, bins 1..n_bins-1 the values, split by ascending edges so
 * that bin(x) = 1 + #{edges < x}. A split "bin <= t" therefore equals "x <= edges[t-1]", which is how raw values
 * are scored without binning them first. Nodes and leaves of a tree live in flat arrays (struct of arrays);
 * a child index >= 0 is an internal node, ~child is a leaf.
 */
#ifndef PLUMB_GBDT_GBDT_H
#define PLUMB_GBDT_GBDT_H

#include "../model/model.h"
#include "objective.h"

#include <math.h>

#define PLUMB__MAX_BINS 65536  /* missing bin + up to 65535 value bins: codes fit in uint16 */
#define PLUMB__NARROW_BINS 256 /* when every feature has at most this many bins, codes are uint8 */
#define PLUMB__MAX_CAT_SET 64  /* most categories on the left of a categorical split (max_cat_threshold) */

typedef struct plumb__gbdt_tree {
    int32_t n_leaves; /* internal nodes: n_leaves - 1 */
    /* categorical splits: a node with cat_begin[node] >= 0 sends bin b left when bit b of the bitset at
     * cat_bits + cat_begin[node] (cat_words[node] words) is set; bit 0 is the missing (and unseen) bin */
    int32_t *cat_begin, *cat_words; /* per node; NULL when the tree has no categorical split */
    uint32_t *cat_bits;
    int32_t n_cat_bits; /* words in cat_bits */
    int32_t *feature;   /* per node: model feature index */
    uint16_t *bin;      /* per node: bins 1..bin go left */
    float *threshold;   /* per node: x <= threshold goes left (edges[bin-1]) */
    uint8_t *missing_left;
    int32_t *left, *right;
    double *gain;        /* per node: split gain, for importance */
    int64_t *node_count; /* per node: training rows through it */
    double *leaf_value;  /* per leaf: added to the raw score (learning rate applied) */
    int64_t *leaf_count; /* per leaf: training rows */
    void *mem;           /* the one allocation behind the arrays */
} plumb__gbdt_tree;

/* A numeric (or bool) feature is binned by its edges; a categorical one maps category code c to bin c + 1, and
 * missing or unseen categories to bin 0. */
typedef struct plumb__feature {
    int64_t column;       /* index in the model's schema */
    int32_t n_bins;       /* including the missing bin */
    float *edges;         /* numeric: n_bins - 2 ascending edges; NULL for categorical */
    int32_t n_categories; /* categorical: the dictionary's size (n_bins - 1); 0 for numeric */
    int8_t monotone;      /* +1, -1 or 0 */
} plumb__feature;

/* A feature's column in a frame being trained on or explained (model.h's source: f32, u8 or codes, with a remap of
 * category codes when the frame's dictionary differs from the model's). */
typedef plumb__source plumb__fcol;

/* A node of the scoring layout: a tree flattened breadth-first so that the children of a node are adjacent
 * (left at child, right at child + 1), compared on bins. With m = 1 when missing values go right, a row goes left
 * when (bin - m) <= thr in the bins' unsigned width, thr = split bin - m: the missing bin 0 wraps to the largest
 * code and goes right exactly when it should, with one compare. m is the top bit of child_m. Leaves loop on
 * themselves (m = 0, thr = the largest code), so a row that reached a leaf stays. */
typedef struct plumb__snode {
    uint32_t child_m;
    uint16_t feature;
    uint16_t thr;
} plumb__snode;

/* The kind's data of a gradient-boosted model (plumb_model.impl). The model's features are features[f].column. */
typedef struct plumb__gbdt {
    plumb__objective objective;
    int32_t n_classes; /* outputs per row: trees per iteration (tree k adds to output k % n_classes) */
    char metric[32];   /* validation metric */
    int64_t n_features;
    plumb__feature *features;
    bool wide;          /* some feature has more than PLUMB__NARROW_BINS bins: bin codes are uint16, else uint8 */
    double *init_score; /* per output */
    int64_t n_trees;
    plumb__gbdt_tree *trees;
    plumb_gbdt_params params;
    int64_t init_iterations; /* iterations taken over from an init model (their trees come first) */
    int64_t n_iterations;    /* trained here (the trees may be truncated to best_iteration) */
    double train_metric;     /* on the training data, with the trees kept */
    double *valid_metric;    /* per iteration trained here; NULL without validation data */
    int64_t best_iteration;  /* 1-based, of those trained here; trees were truncated to it */
    /* scoring layout, built by plumb__gbdt_prepare: tree k's nodes start at snodes + tree_start[k]; nodes of
     * categorical splits have feature | PLUMB__SCAT and thr = 0, their bitset at cat_bits + scat[node] */
    plumb__snode *snodes;
    double *svalue; /* per node: the leaf value (0 for internal nodes) */
    int64_t *tree_start;
    uint32_t *scat; /* per node: offset of its bitset in scat_bits (categorical splits only) */
    uint32_t *scat_bits;
    bool has_cat; /* some split is categorical: scoring takes the slower walk that tests bitsets */
} plumb__gbdt;

/* The gradient-boosting data of model m (which must be of this kind). */
static inline plumb__gbdt *plumb__gbdt_of(const plumb_model *m) {
    return (plumb__gbdt *)m->impl;
}

#define PLUMB__SCAT 0x8000u /* snode feature flag: a categorical split */

/* Allocates the arrays of a tree with n_leaves leaves (zeroed). Returns false when out of memory. */
bool plumb__gbdt_tree_alloc(plumb__gbdt_tree *t, int32_t n_leaves);
void plumb__gbdt_tree_free(plumb__gbdt_tree *t);

/* Makes *to a deep copy of *from. Returns false when out of memory. */
bool plumb__gbdt_tree_copy(plumb__gbdt_tree *to, const plumb__gbdt_tree *from);

/* Allocates per-node categorical arrays for a tree (all -1) and a bitset area of n_words. */
bool plumb__gbdt_tree_alloc_cats(plumb__gbdt_tree *t, int32_t n_words);

static inline bool plumb__bit(const uint32_t *bits, uint32_t b) {
    return (bits[b >> 5] >> (b & 31)) & 1;
}

/* Bin of value x for numeric feature f. */
static inline uint16_t plumb__bin_value(const plumb__feature *f, float x) {
    if (x != x)
        return 0;
    /* count edges < x by a branchless binary search: values arrive in no order, so branches would mispredict */
    const float *base = f->edges;
    int32_t n = f->n_bins - 2;
    if (n <= 0)
        return 1;
    while (n > 1) {
        const int32_t half = n >> 1;
        base += (int32_t)(base[half - 1] < x) * half;
        n -= half;
    }
    return (uint16_t)(1 + (base - f->edges) + (*base < x));
}

/* Bin of feature value v (model.h: a number, or a categorical feature's code) of feature f. */
static inline uint16_t plumb__bin_of(const plumb__feature *f, float v) {
    if (f->n_categories > 0)
        return (uint16_t)(v >= 0 && v < (float)f->n_categories ? (int32_t)v + 1 : 0);
    return plumb__bin_value(f, v);
}

/* Bin of row i of a feature's column. */
static inline uint16_t plumb__feature_bin(const plumb__feature *f, const plumb__fcol *c, int64_t i) {
    return plumb__bin_of(f, plumb__source_value(c, i));
}

/* Whether bin b goes left at node of tree t. */
static inline bool plumb__gbdt_tree_left(const plumb__gbdt_tree *t, int32_t node, uint32_t b) {
    if (t->cat_begin && t->cat_begin[node] >= 0)
        return b < 32 * (uint32_t)t->cat_words[node] && plumb__bit(t->cat_bits + t->cat_begin[node], b);
    return b == 0 ? t->missing_left[node] : b <= t->bin[node];
}

/* The leaf a binned row (bins[f] for model feature f, uint8 or uint16 codes) reaches in tree t. */
#define PLUMB__LEAF_BINNED(name, code_t)                                                                               \
    static inline int32_t name(const plumb__gbdt_tree *t, const code_t *bins) {                                        \
        if (t->n_leaves == 1)                                                                                          \
            return 0;                                                                                                  \
        int32_t node = 0;                                                                                              \
        while (node >= 0)                                                                                              \
            node = plumb__gbdt_tree_left(t, node, bins[t->feature[node]]) ? t->left[node] : t->right[node];            \
        return ~node;                                                                                                  \
    }
PLUMB__LEAF_BINNED(plumb__gbdt_tree_leaf_binned8, uint8_t)
PLUMB__LEAF_BINNED(plumb__gbdt_tree_leaf_binned16, uint16_t)

/* Builds the scoring layout from the trees (after training or loading). Returns false when out of memory. */
bool plumb__gbdt_prepare(plumb__gbdt *g);

/* Frees everything the kind's data holds, and it; accepts NULL. */
void plumb__gbdt_free(void *g);

/* Makes model m's shared feature list from g's features. Returns false when out of memory. */
bool plumb__gbdt_set_features(plumb_model *m, const plumb__gbdt *g);

/* Bins rows [0, n) of the bound columns into bins (row-major, n x n_features, uint16 when wide, else uint8). */
void plumb__bin_rows(const plumb__feature *features, int64_t F, const plumb__fcol *cols, int64_t n, void *bins,
                     bool wide, int nt);

/* Distillation (plumb_model_distill): what a student fits instead of the frame's target. The loss of row i is
 * (1 - mix) * sum_k (s_ik - z_ik)^2 / 2 + mix * the objective's loss of its label, so the student's raw scores s
 * learn the teacher's raw scores z (log-odds, class scores, values) and, with mix > 0, the labels too. */
typedef struct plumb__gbdt_soft {
    const double *z;            /* n_rows x K teacher raw scores, row-major */
    int32_t K;                  /* outputs: the teacher's classes when multiclass, else 1 */
    plumb_task task;            /* the teacher's task */
    plumb_objective objective;  /* binary, multiclass, l2 or poisson: the link the student's scores go through */
    const double *label;        /* n_rows labels as the objective reads them, or NULL (then mix must be 0) */
    double mix;                 /* in [0, 1) */
    const plumb_schema *schema; /* the student's schema (the teacher's), borrowed: features are bound by name */
    bool positive_first;        /* the teacher's */
} plumb__gbdt_soft;

/* Trains gradient-boosted trees on frame's rows to fit soft (train.c): params as plumb_gbdt_train's (its task,
 * objective, metric, positive class, init model and validation settings are ignored). Errors as plumb_gbdt_train.
 * *out is owned by the caller. */
plumb_status plumb__gbdt_train_soft(const plumb_frame *train, const plumb_gbdt_params *params,
                                    const plumb__gbdt_soft *soft, plumb_model **out, plumb_error *err);

/* The model file's body of a gradient-boosted model, and back (src/gbdt/serial.c): plumb__model_ops hooks. */
json_t *plumb__gbdt_to_json(const plumb_model *m);
plumb_status plumb__gbdt_from_json(plumb__loader *ld, const json_t *root, plumb_model *m);

/* Importance and TreeSHAP contributions (src/gbdt/explain.c): plumb__model_ops hooks. */
plumb_status plumb__gbdt_importance(const plumb_model *m, plumb_importance *out, plumb_error *err);
plumb_status plumb__gbdt_contrib(const plumb_model *m, const plumb_frame *frame, int threads, double *out,
                                 plumb_error *err);

#endif /* PLUMB_GBDT_GBDT_H */
