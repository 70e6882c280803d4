/* gbdt.h -- internal layout of gradient-boosted tree models, shared by training, scoring and the model file.
 *
 * Features are binned: bin 0 holds missing values, bins 1..n_bins-1 the values, split by ascending edges so
 * that bin(x) = 1 + #{edges < x}. A split "bin <= t" therefore equals "x <= edges[t-1]", which is how raw values
 * are scored without binning them first. Nodes and leaves of a tree live in flat arrays (struct of arrays);
 * a child index >= 0 is an internal node, ~child is a leaf.
 */
#ifndef PLUMB_GBDT_GBDT_H
#define PLUMB_GBDT_GBDT_H

#include "../data/data.h"

#include <math.h>

#define PLUMB__MAX_BINS 65536  /* missing bin + up to 65535 value bins: codes fit in uint16 */
#define PLUMB__NARROW_BINS 256 /* when every feature has at most this many bins, codes are uint8 */

typedef struct plumb__tree {
    int32_t n_leaves; /* internal nodes: n_leaves - 1 */
    int32_t *feature; /* per node: model feature index */
    uint16_t *bin;    /* per node: bins 1..bin go left */
    float *threshold; /* per node: x <= threshold goes left (edges[bin-1]) */
    uint8_t *missing_left;
    int32_t *left, *right;
    double *gain;        /* per node: split gain, for importance */
    int64_t *node_count; /* per node: training rows through it */
    double *leaf_value;  /* per leaf: added to the raw score (learning rate applied) */
    int64_t *leaf_count; /* per leaf: training rows */
    void *mem;           /* the one allocation behind the arrays */
} plumb__tree;

typedef struct plumb__feature {
    int64_t column; /* index in the model's schema */
    int32_t n_bins; /* including the missing bin */
    float *edges;   /* n_bins - 2 ascending edges */
} plumb__feature;

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

struct plumb_model {
    plumb_schema *schema; /* the training data's columns: types, roles, dictionaries */
    plumb_model_kind kind;
    struct plumb__linear *linear; /* PLUMB_MODEL_LINEAR: the fitted model (src/linear); NULL otherwise */
    struct plumb__cart *cart;     /* PLUMB_MODEL_TREE: the fitted tree (src/linear); NULL otherwise */
    plumb_task task;
    bool positive_first; /* binary with a text target: the positive class is the first category, not the last */
    int64_t n_features;
    plumb__feature *features;
    bool wide; /* some feature has more than PLUMB__NARROW_BINS bins: bin codes are uint16, else uint8 */
    double init_score;
    int64_t n_trees;
    plumb__tree *trees;
    plumb_gbdt_params params;
    int64_t n_iterations;   /* trained (the trees may be truncated to best_iteration) */
    double train_metric;    /* on the training data, with the trees kept */
    double *valid_metric;   /* per iteration; NULL without validation data */
    int64_t best_iteration; /* 1-based; trees were truncated to it */
    /* scoring layout, built by plumb__model_prepare: tree k's nodes start at snodes + tree_start[k] */
    plumb__snode *snodes;
    double *svalue; /* per node: the leaf value (0 for internal nodes) */
    int64_t *tree_start;
    /* provenance */
    char plumb_version[32];
    char data_sha256[65];
    int64_t train_rows;
    char created[32]; /* ISO-8601 UTC */
};

/* Allocates the arrays of a tree with n_leaves leaves (zeroed). Returns false when out of memory. */
bool plumb__tree_alloc(plumb__tree *t, int32_t n_leaves);
void plumb__tree_free(plumb__tree *t);

/* Row i of a feature column as a float: numeric columns as they are, bool columns as 0/1 (NaN when missing).
 * Exactly one of f32 and u8 is non-NULL. */
static inline float plumb__feature_value(const float *f32, const uint8_t *u8, int64_t i) {
    return f32 ? f32[i] : u8[i] == PLUMB_BOOL_MISSING ? NAN : (float)u8[i];
}

/* Bin of value x for feature f. */
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

/* The leaf a binned row (bins[f] for model feature f, uint8 or uint16 codes) reaches in tree t. */
#define PLUMB__LEAF_BINNED(name, code_t)                                                                               \
    static inline int32_t name(const plumb__tree *t, const code_t *bins) {                                             \
        if (t->n_leaves == 1)                                                                                          \
            return 0;                                                                                                  \
        int32_t node = 0;                                                                                              \
        while (node >= 0) {                                                                                            \
            const code_t b = bins[t->feature[node]];                                                                   \
            const bool left = b == 0 ? t->missing_left[node] : b <= t->bin[node];                                      \
            node = left ? t->left[node] : t->right[node];                                                              \
        }                                                                                                              \
        return ~node;                                                                                                  \
    }
PLUMB__LEAF_BINNED(plumb__tree_leaf_binned8, uint8_t)
PLUMB__LEAF_BINNED(plumb__tree_leaf_binned16, uint16_t)

/* Builds the scoring layout from the trees (after training or loading). Returns false when out of memory. */
bool plumb__model_prepare(plumb_model *m);

/* Records the plumb version, the SHA-256 of the training data, its rows and the time in the model. */
void plumb__model_stamp(plumb_model *m, const plumb_frame *train);

/* Frees everything a model holds, and the model; accepts NULL. */
void plumb__model_free(plumb_model *m);

/* Maps the model's features to the columns of frame by name; cols (OUT) has n_features entries.
 * Returns PLUMB_ESCHEMA naming the first missing or mistyped column. */
plumb_status plumb__model_bind(const plumb_model *m, const plumb_frame *frame, int64_t *cols, plumb_error *err);

/* Raw scores (before the link function) of every row of frame. */
plumb_status plumb__gbdt_raw_scores(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err);

#endif /* PLUMB_GBDT_GBDT_H */
