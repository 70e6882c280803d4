/* grow.c -- one tree grown leaf-wise: the leaf whose best split gains most is split next, its rows partitioned
 * stably into the two children, until num_leaves, max_depth or no split gains.
 *
 * The rows of the tree live in t->idx; each leaf is a contiguous, ascending range of it. Histogram slots (one per
 * leaf that may still split) are taken from and returned to a free list.
 */
#include "train.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Whether a row goes left: bits is the split's bitset of bins going left for a categorical split, else NULL. */
static inline bool goes_left(const trainer *t, const void *col, const split *s, const uint32_t *bits, uint32_t row) {
    const unsigned b = t->wide ? ((const uint16_t *)col)[row] : ((const uint8_t *)col)[row];
    if (bits)
        return plumb__bit(bits, b);
    return b == 0 ? s->missing_left : b <= s->bin;
}

/* The bitset of bins a categorical split sends left (bit 0: missing) into bits (words words, zeroed here). */
static void split_bits(const split *s, uint32_t *bits, int32_t words) {
    memset(bits, 0, (size_t)words * sizeof *bits);
    for (int32_t i = 0; i < s->n_cats; i++)
        bits[s->cats[i] >> 5] |= 1u << (s->cats[i] & 31);
    if (s->missing_left)
        bits[0] |= 1u;
}

/* Writes the rows idx[lo..hi) going left forward from tmp[lo] and those going right backward from tmp[hi - 1];
 * returns how many go left. */
static int64_t split_block(const trainer *t, const char *col, const split *s, const uint32_t *bits, int64_t lo,
                           int64_t hi) {
    const uint32_t *idx = t->idx;
    uint32_t *tmp = t->tmp;
    int64_t left = lo, right = hi;
    for (int64_t i = lo; i < hi; i++) {
        const uint32_t r = idx[i];
        if (i + PREFETCH_ROWS < hi)
            __builtin_prefetch(col + (size_t)idx[i + PREFETCH_ROWS] * (t->wide ? 2 : 1));
        /* branchless: which side a row goes is a coin flip to the branch predictor */
        const bool go_left = goes_left(t, col, s, bits, r);
        tmp[left] = r;
        tmp[right - 1] = r;
        left += go_left;
        right -= !go_left;
    }
    return left - lo;
}

/* Partitions idx[begin..end) stably (rows stay ascending on both sides, which keeps later histogram builds
 * streaming through memory) so the rows going left come first; returns the first right row. Large leaves are
 * cut into one block per thread: each block writes its left rows forward and its right rows backward into the
 * same range of tmp, then the blocks are copied back in order. */
static int64_t partition(trainer *t, const leaf *l) {
    const split *s = &l->best;
    uint32_t *idx = t->idx, *tmp = t->tmp;
    const char *col = (const char *)t->colbins + (size_t)s->feature * (size_t)t->n_rows * (t->wide ? 2 : 1);
    const int64_t b = l->begin, n = l->end - l->begin;
    int64_t n_left[64];
    int used = 1;
    const uint32_t *bits = NULL;
    if (s->n_cats > 0) {
        split_bits(s, t->split_bits, (t->features[s->feature].n_bins + 31) / 32);
        bits = t->split_bits;
    }
    if (t->nt <= 1 || n < 4 * PAR_ROWS) { /* one block, outside any parallel region (whose end costs a futex call) */
        const int64_t left = b + split_block(t, col, s, bits, b, b + n);
        memcpy(idx + b, tmp + b, (size_t)(left - b) * sizeof *idx);
        for (int64_t i = b + n - 1, o = left; i >= left; i--, o++)
            idx[o] = tmp[i];
        return left;
    }
#pragma omp parallel num_threads(n >= 4 * PAR_ROWS ? (t->nt < 64 ? t->nt : 64) : 1)
    {
#ifdef _OPENMP
        const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        const int tid = 0, nt = 1;
#endif
        const int64_t lo = b + n * tid / nt, hi = b + n * (tid + 1) / nt;
        n_left[tid] = split_block(t, col, s, bits, lo, hi);
        if (tid == 0)
            used = nt;
#pragma omp barrier
        int64_t out_left = b, out_right = b;
        for (int u = 0; u < nt; u++)
            out_right += n_left[u];
        for (int u = 0; u < tid; u++) {
            out_left += n_left[u];
            out_right += (n * (u + 1) / nt - n * u / nt) - n_left[u];
        }
        memcpy(idx + out_left, tmp + lo, (size_t)n_left[tid] * sizeof *idx);
        /* right rows were written backwards */
        for (int64_t i = hi - 1, o = out_right; i >= lo + n_left[tid]; i--, o++)
            idx[o] = tmp[i];
    }
    int64_t total = b;
    for (int u = 0; u < used; u++)
        total += n_left[u];
    return total;
}

/* -T(G) / (H + l2); 0 where the leaf has no curvature at all (its rows' hessians all quantized to 0, as when a
 * binary target has one class and the scores have run to the end of the logistic) */
static inline double leaf_output(double G, double H, const plumb_gbdt_params *p) {
    double tg = fabs(G) > p->lambda_l1 ? G - copysign(p->lambda_l1, G) : 0.0;
    return H + p->lambda_l2 > 0 ? -tg / (H + p->lambda_l2) : 0.0;
}

static int32_t take_slot(trainer *t) {
    return t->n_free > 0 ? t->free_slots[--t->n_free] : -1;
}

static void release_slot(trainer *t, leaf *l) {
    if (l->hist >= 0)
        t->free_slots[t->n_free++] = l->hist;
    l->hist = -1;
}

bool plumb__gbdt_grow_tree(trainer *t, plumb__gbdt_tree *out) {
    const plumb_gbdt_params *p = t->p;
    const int32_t max_leaves = p->num_leaves;
    leaf *L = t->leaves;
    plumb__gbdt_tree tree = {0};
    if (!plumb__gbdt_tree_alloc(&tree, max_leaves) ||
        (t->stride_cats > 0 &&
         !plumb__gbdt_tree_alloc_cats(&tree, (max_leaves - 1) * (int32_t)((t->stride_cats + 31) / 32)))) {
        plumb__gbdt_tree_free(&tree);
        return false;
    }
    int32_t cat_used = 0;
    t->n_free = 0;
    for (int32_t s = max_leaves - 1; s >= 0; s--)
        t->free_slots[t->n_free++] = s;
    int64_t sum = 0;
    if (t->nt <= 1 || t->n_bag < ROW_PAR_ROWS) { /* integer sums: the same in any order */
        for (int64_t i = 0; i < t->n_bag; i++)
            sum += t->gh[t->idx[i]];
    } else {
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(+ : sum)
        for (int64_t i = 0; i < t->n_bag; i++)
            sum += t->gh[t->idx[i]];
    }
    const int64_t G = packed_g(sum), H = packed_h(sum);
    L[0] = (leaf){.begin = 0,
                  .end = t->n_bag,
                  .g = G,
                  .h = H,
                  .c = t->n_bag,
                  .parent = -1,
                  .hist = take_slot(t),
                  .lo = -t->max_step,
                  .hi = t->max_step};
    plumb__gbdt_histograms_and_splits(t, &L[0], NULL);
    int32_t n_leaves = 1;
    while (n_leaves < max_leaves) {
        int32_t best = -1;
        for (int32_t i = 0; i < n_leaves; i++)
            if (L[i].best.gain > -INFINITY && (best < 0 || L[i].best.gain > L[best].best.gain))
                best = i;
        if (best < 0)
            break;
        const leaf parent = L[best];
        const split s = parent.best;
        const int32_t node = n_leaves - 1, r = n_leaves;
        tree.feature[node] = s.feature;
        tree.missing_left[node] = s.missing_left;
        if (s.n_cats > 0) {
            const int32_t words = (t->features[s.feature].n_bins + 31) / 32;
            split_bits(&s, tree.cat_bits + cat_used, words);
            tree.cat_begin[node] = cat_used;
            tree.cat_words[node] = words;
            cat_used += words;
        } else {
            tree.bin[node] = s.bin;
            tree.threshold[node] = t->features[s.feature].edges[s.bin - 1];
        }
        tree.gain[node] = s.gain;
        tree.node_count[node] = parent.c;
        tree.left[node] = ~best;
        tree.right[node] = ~r;
        if (parent.parent >= 0)
            (parent.is_left ? tree.left : tree.right)[parent.parent] = node;
        const int64_t mid = partition(t, &parent);
        /* monotone constraints: everything under the left child stays below the midpoint of the two outputs
         * (direction +1) or above it (-1), and the right child on the other side, so no later split can undo
         * the order (XGBoost's and LightGBM's basic method) */
        double llo = parent.lo, lhi = parent.hi, rlo = parent.lo, rhi = parent.hi;
        const int mono = t->features[s.feature].monotone;
        if (mono != 0) {
            const double midw = (s.wl + s.wr) / 2;
            if (mono > 0)
                lhi = fmin(lhi, midw), rlo = fmax(rlo, midw);
            else
                llo = fmax(llo, midw), rhi = fmin(rhi, midw);
        }
        L[best] = (leaf){.begin = parent.begin,
                         .end = mid,
                         .g = s.lg,
                         .h = s.lh,
                         .c = mid - parent.begin,
                         .depth = parent.depth + 1,
                         .parent = node,
                         .is_left = true,
                         .hist = -1,
                         .lo = llo,
                         .hi = lhi,
                         .best.gain = -INFINITY};
        L[r] = (leaf){.begin = mid,
                      .end = parent.end,
                      .g = parent.g - s.lg,
                      .h = parent.h - s.lh,
                      .c = parent.end - mid,
                      .depth = parent.depth + 1,
                      .parent = node,
                      .is_left = false,
                      .hist = -1,
                      .lo = rlo,
                      .hi = rhi,
                      .best.gain = -INFINITY};
        n_leaves++;
        /* build the smaller child's histogram; the larger takes the parent's slot and subtracts it */
        leaf *small = L[best].c <= L[r].c ? &L[best] : &L[r], *large = small == &L[best] ? &L[r] : &L[best];
        if (can_split(t, small) || can_split(t, large)) {
            small->hist = take_slot(t);
            large->hist = parent.hist;
            plumb__gbdt_histograms_and_splits(t, small, large);
            if (!can_split(t, small))
                release_slot(t, small);
            if (!can_split(t, large))
                release_slot(t, large);
        } else {
            t->free_slots[t->n_free++] = parent.hist;
        }
    }
    for (int32_t i = 0; i < n_leaves; i++) {
        const double w = leaf_output((double)L[i].g / t->sg, (double)L[i].h / t->sh, p);
        tree.leaf_value[i] = p->learning_rate * fmin(fmax(w, L[i].lo), L[i].hi);
        tree.leaf_count[i] = L[i].c;
        release_slot(t, &L[i]);
    }
    tree.n_leaves = n_leaves;
    tree.n_cat_bits = cat_used;
    if (tree.cat_begin && cat_used == 0) { /* no categorical split after all */
        free(tree.cat_begin), free(tree.cat_words), free(tree.cat_bits);
        tree.cat_begin = tree.cat_words = NULL;
        tree.cat_bits = NULL;
    }
    *out = tree;
    return true;
}
