/* train.h -- what the files of gradient-boosting training share: the trainer's state, a leaf being grown, a split,
 * packed gradient histograms, and the steps one file calls in another. Only src/gbdt/ training files include it.
 *
 * Training is split along its seams (as LightGBM's treelearner/ is): bin.c chooses bin edges and builds the binned
 * matrix; histogram.c builds histograms (the hot kernel) and runs the parallel region of one split; split.c finds
 * a leaf's best split on one feature (numeric and categorical); grow.c grows one tree leaf-wise and partitions its
 * rows; tree.c allocates, copies and frees trees; train.c is the boosting loop (gradients, bagging, scores,
 * validation, early stopping) around them.
 *
 * Design (the techniques of LightGBM, Ke et al. 2017, and XGBoost, Chen & Guestrin 2016):
 * - Features are binned once into a row-major uint8 matrix (bin 0 = missing), so a histogram build reads each
 *   row's bins as one cache line; a column-major copy serves partitions, which read one feature.
 * - Gradients and hessians are quantized per iteration (11 bits and more for a million rows; LightGBM's quantized
 *   training, Shi et al. 2022, keeps accuracy with 4) and packed into one int64 per row. Integer sums are exact
 *   in any order, which makes the trees identical for any thread count and the subtraction trick (larger child =
 *   parent - smaller child) exact; a histogram bin is one int64.
 * - Trees grow leaf-wise: the leaf whose best split gains most is split next, up to num_leaves and max_depth.
 *   Split gain follows XGBoost's eq. 7 without the 1/2 and gamma, as LightGBM does:
 *   gain = T(G_L)^2/(H_L+l2) + T(G_R)^2/(H_R+l2) - T(G)^2/(H+l2), T = soft-threshold by l1.
 *   Each split tries missing values on both sides and keeps the better (the learned missing direction).
 * - Rows of the tree live in one index array; each leaf is a contiguous range, ascending, partitioned stably on
 *   a split. Each split is one parallel region in which every thread owns a share of the features.
 *
 * Memory: the binned matrix twice (2 x rows x features bytes), packed gradients (8 bytes a row), scores and
 * labels (16), row indices (8), and num_leaves histograms of 8 bytes a bin.
 */
#ifndef PLUMB_GBDT_TRAIN_H
#define PLUMB_GBDT_TRAIN_H

#include "gbdt.h"

#include <math.h>
#include <string.h>

#define BIN_SAMPLE 200000 /* rows used to choose bin edges, as LightGBM's bin_construct_sample_cnt */
#define PAR_ROWS 512      /* fewer rows than this: a split is one thread's work (above, both children's search pays) */
#define ROW_PAR_ROWS 4096 /* from this many rows, threads split a histogram build by rows instead of features */

/* Gradients and hessians are quantized to integers small enough that a row's pair packs into one int64,
 * gradient in the high half and hessian (never negative) in the low half: (g << 32) + h. Sums of such words stay
 * exact packed sums as long as every hessian sum stays below 2^32 and every gradient sum within +-2^31, which the
 * per-iteration scales guarantee (the most a row can carry is 2^31 / rows). So a histogram bin is one int64 and
 * adding a row to it is one 64-bit add: the hottest loop of training does half the memory traffic and a third
 * of the instructions of a pair of doubles. Row counts per bin are estimated from the hessian as LightGBM does
 * (count = H * leaf rows / leaf H; exact when hessians are constant, as in regression). */
typedef int64_t hist_entry;

static inline int64_t packed_h(int64_t v) {
    return (int64_t)(uint32_t)v;
}

static inline int64_t packed_g(int64_t v) {
    return (v - packed_h(v)) / ((int64_t)1 << 32);
}

/* Rows ahead to prefetch in loops that visit a leaf's rows: they are ascending but sparse, which hardware
 * prefetchers do not follow, and each is a cache miss without it. */
#define PREFETCH_ROWS 32

typedef struct split {
    double gain; /* -INFINITY when there is no valid split */
    int32_t feature;
    uint16_t bin; /* numeric: bins 1..bin go left */
    bool missing_left;
    int64_t lg, lh; /* sums of the left child */
    double wl, wr;  /* outputs of the children (real units, before the learning rate), clamped to bounds */
    int32_t n_cats; /* categorical: the bins cats[0..n_cats) go left (and bin 0 when missing_left); 0 numeric */
    uint16_t cats[PLUMB__MAX_CAT_SET];
} split;

typedef struct leaf {
    int64_t begin, end; /* idx[begin..end) */
    int64_t g, h, c;    /* c = end - begin, exact */
    int32_t depth;
    int32_t hist;   /* histogram slot, -1 when released */
    int32_t parent; /* internal node pointing here, -1 for the root */
    bool is_left;
    double lo, hi; /* monotone constraints: bounds of the outputs of this leaf and its descendants */
    split best;
} leaf;

typedef struct trainer {
    const plumb_gbdt_params *p;
    int nt;
    int64_t n_rows, F;
    plumb__feature *features;
    bool wide;          /* bin codes are uint16 (some feature has more than 256 bins), else uint8 */
    void *bins;         /* row-major: a row's bins together, for histogram builds */
    void *colbins;      /* column-major copy: a feature's bins together, for partitions */
    int64_t *off;       /* per feature: its first entry in a histogram */
    int64_t stride;     /* uint8 codes: entries per feature, the most bins of any (off[f] = f * stride) */
    int64_t total_bins; /* entries of a histogram */
    const plumb__objective *obj;
    int32_t K;        /* outputs: classes of a multiclass model, else 1 */
    bool constrained; /* some feature is monotone: splits check outputs against leaf bounds */
    double max_step;  /* bound of every leaf's output (before the learning rate): INFINITY, or for softmax
                         PLUMB__SOFTMAX_MAX_STEP (train.c says why) */
    double *label;
    const double *weight; /* the frame's weight column (borrowed); NULL: every row weighs 1 */
    const double *soft;   /* distillation: n_rows x K teacher raw scores to fit (borrowed); NULL: fit the labels */
    double soft_mix;      /* distillation: the labels' share of the loss (0: the teacher's scores alone) */
    double *score;        /* n_rows x K raw scores */
    double *prob;         /* multiclass: n_rows x K softmax probabilities at the start of the iteration */
    int64_t *gh;          /* quantized gradient and hessian of each row, packed */
    double sg, sh;        /* gradient = packed_g / sg, hessian = packed_h / sh */
    uint32_t *idx;        /* rows of the tree; each leaf a range, rows ascending within it */
    uint32_t *tmp;        /* partition scratch, n_rows */
    int64_t n_bag;
    uint32_t *oob;       /* rows out of the bag, ascending (n_rows - n_bag of them when bagging) */
    hist_entry *pool;    /* num_leaves histograms */
    hist_entry *scratch; /* nt - 1 histograms: the other threads' shares of a row-split build */
    int32_t *free_slots;
    int32_t n_free;
    int32_t *used; /* features this tree may use, ascending */
    int64_t n_used;
    leaf *leaves;
    split *per_feature;    /* 2 x F: best split per used feature, for the two leaves of a split */
    int64_t stride_cats;   /* the most bins of a categorical feature */
    uint16_t *cat_scratch; /* F x stride_cats: candidate categories of a split search */
    double *cat_keys;      /* F x stride_cats: their sort keys */
    uint32_t *split_bits;  /* the bitset of a categorical split being applied */
} trainer;

/* A value and its weight: bin sampling and weighted quantiles sort these. */
typedef struct wpair {
    double v, w;
} wpair;

/* qsort comparison of wpairs by value. */
int plumb__gbdt_wpair_cmp(const void *a, const void *b);

#define HIST(t, slot) ((t)->pool + (size_t)(slot) * (size_t)(t)->total_bins)

static inline bool can_split(const trainer *t, const leaf *l) {
    const plumb_gbdt_params *p = t->p;
    return l->c >= 2 * p->min_data_in_leaf && (p->max_depth <= 0 || l->depth < p->max_depth);
}

/* bin.c: chooses the bins of every feature that has none yet (fresh: no init model, which brings its own) and
 * bins the rows of cols into t->bins and t->colbins; sets t->wide, t->off, t->stride, t->total_bins.
 * Returns PLUMB_ENOMEM. */
plumb_status plumb__gbdt_make_bins(trainer *t, const plumb__fcol *cols, bool fresh, plumb_error *err);

/* histogram.c: the work of one split (see there): histograms of leaf build (and derive by subtraction, may be
 * NULL) and the best split of each into their best. Does not fail. */
void plumb__gbdt_histograms_and_splits(trainer *t, leaf *build, leaf *derive);

/* split.c: the best split of feature f for leaf l whose histogram (of that feature) is h; gain -INFINITY when
 * there is none. */
split plumb__gbdt_best_split(const trainer *t, const leaf *l, int32_t f, const hist_entry *h);

/* grow.c: grows one tree over t->idx[0..t->n_bag) into *out; t->leaves then holds its leaves (their rows are
 * ranges of t->idx). Returns false when out of memory. */
bool plumb__gbdt_grow_tree(trainer *t, plumb__gbdt_tree *out);

#endif /* PLUMB_GBDT_TRAIN_H */
