/* quant.h -- quantised gradient-boosted trees (model kind "gbdt_q"): the layout shared by quantising, scoring and
 * the model file.
 *
 * A gbdt_q model is made from a gbdt model (plumb_model_quantize) and keeps only what scoring needs. Thresholds are
 * the indices of the gbdt model's own bin edges: a split "x <= edges[b-1]" is "bin(x) <= b" exactly (gbdt.h), so a
 * block's values are binned once per feature and every tree compares small integers, and no decision changes.
 * Leaf values become int16 (or int8) times a per-tree scale, the one lossy step: a tree's score moves by at most
 * half its scale, and the sum of those over a row's trees is the bound plumb_model_quantize reports.
 *
 * Each tree is flattened breadth-first, as gbdt's scoring layout is: the children of a node are adjacent (left at
 * child, right at child + 1) and a leaf is a node that loops on itself, so a block of rows walks a tree with one
 * branch-free step each. With m = 1 when missing values go right, a row goes left when (bin - m) <= thr in the
 * codes' unsigned width (the missing bin 0 wraps to the largest code). A node is 4 bytes when every feature has at
 * most 256 bins (u8 codes), there are at most 127 features and every tree fits 32768 slots and 255 bitset words;
 * else 8 bytes. A categorical split sets the feature's top bit and its thr is the offset of its bitset (of the
 * feature's full width, cat_words[feature] words) among the tree's words: bin b goes left when its bit is set.
 */
#ifndef PLUMB_QUANT_QUANT_H
#define PLUMB_QUANT_QUANT_H

#include "../gbdt/gbdt.h"

typedef struct plumb__qnode4 {
    uint16_t child_m; /* first child's slot, | 0x8000 when missing values go right */
    uint8_t feature;  /* | 0x80: a categorical split */
    uint8_t thr;      /* numeric: split bin - m; categorical: bitset offset in words */
} plumb__qnode4;

typedef struct plumb__qnode8 {
    uint32_t child_m; /* | 0x80000000 when missing values go right */
    uint16_t feature; /* | 0x8000: a categorical split */
    uint16_t thr;
} plumb__qnode8;

/* The kind's data (plumb_model.impl). */
typedef struct plumb__quant {
    plumb__objective objective;
    int32_t n_classes; /* tree k adds to output k % n_classes */
    int64_t n_features;
    plumb__feature *features; /* bin edges and category counts, as the gbdt model had them */
    uint16_t *cat_words;      /* per feature: words of a categorical split's bitset; 0 for numeric */
    bool wide;                /* some feature has more than 256 bins: codes are uint16 */
    int node_bytes;           /* 4 (plumb__qnode4) or 8 (plumb__qnode8) */
    int leaf_bits;            /* 16 or 8 */
    double *init_score;       /* per output */
    int64_t n_trees;
    int64_t *tree_start; /* n_trees + 1: tree k's slots are [tree_start[k], tree_start[k + 1]) */
    int64_t *bits_start; /* n_trees + 1: tree k's bitset words in cat_bits */
    double *scale;       /* per tree: leaf value = scale * stored integer */
    void *nodes;         /* tree_start[n_trees] nodes */
    void *values;        /* per slot: int16_t or int8_t, 0 for internal nodes */
    uint32_t *cat_bits;
    bool has_cat;
    /* what describe reports, from the gbdt model */
    char metric[32];
    double train_metric, valid_metric;
    int64_t n_iterations, best_iteration;
} plumb__quant;

static inline plumb__quant *plumb__quant_of(const plumb_model *m) {
    return (plumb__quant *)m->impl;
}

/* Frees the kind's data; accepts NULL. */
void plumb__quant_free(void *q);

/* Bytes q holds in memory (the struct and every array). */
int64_t plumb__quant_bytes(const plumb__quant *q);

/* Allocates q's per-tree and per-slot arrays for n_trees trees, n_slots slots and n_words bitset words (nodes,
 * values and cat_bits by node_bytes and leaf_bits, which must be set). Returns false when out of memory. */
bool plumb__quant_alloc(plumb__quant *q, int64_t n_slots, int64_t n_words);

/* Sets q->cat_words and q->wide from q->features. */
void plumb__quant_set_cat_words(plumb__quant *q);

/* Breadth-first order of gbdt tree t, the order of its slots: queue[slot] (2 * n_leaves entries) is the node (>= 0)
 * or ~leaf there. Returns the slots (2 * n_leaves - 1). */
int32_t plumb__quant_bfs(const plumb__gbdt_tree *t, int32_t *queue);

/* Test hook: the slot (relative to its tree's start) that each of nr rows of feature values x reaches in every
 * tree, into slot (nr x n_trees, row-major). Returns false when out of memory. */
bool plumb__quant_reach(const plumb_model *m, const float *x, int64_t nr, int32_t *slot);

/* The model file's body (src/quant/serial.c): plumb__model_ops hooks. */
json_t *plumb__quant_to_json(const plumb_model *m);
plumb_status plumb__quant_from_json(plumb__loader *ld, const json_t *root, plumb_model *m);

#endif /* PLUMB_QUANT_QUANT_H */
