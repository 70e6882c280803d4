/* histogram.c -- gradient histograms of a leaf's rows, the hottest loop of training, and the parallel region of
 * one split that builds them and searches them.
 *
 * A histogram holds, per feature and bin, the packed sum of the quantized gradients and hessians of the rows in
 * that bin (train.h). The smaller child of a split is built from its rows, the larger derived by subtracting it
 * from the parent's, exactly, since the sums are integers.
 */
#include "train.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Prefetches what a histogram build will read for row `ahead`: its bins (row_bytes, which may straddle two cache
 * lines) and its packed gradient. */
static inline void prefetch_row(const void *bins, size_t row_bytes, const int64_t *gh, uint32_t ahead) {
    const char *next = (const char *)bins + (size_t)ahead * row_bytes;
    __builtin_prefetch(next);
    __builtin_prefetch(next + row_bytes - 1);
    __builtin_prefetch(gh + ahead);
}

/* Adds rows[0..n) into h for the features used[ub..ue). This is the hottest loop of training: per row, one load
 * of its bins (a cache line), one of its packed gradient pair, then one 64-bit add per feature. */
static void accumulate(const trainer *t, const uint32_t *rows, int64_t n, hist_entry *h, int64_t ub, int64_t ue) {
    const int64_t F = t->F, stride = t->stride;
    const int32_t *used = t->used;
    const uint8_t *bins = t->bins;
    const int64_t *gh = t->gh;
    const bool all = t->n_used == F; /* then used[u] == u: walk the features directly */
    for (int64_t i = 0; i < n; i++) {
        const uint32_t r = rows[i];
        const uint8_t *row = bins + (size_t)r * (size_t)F;
        if (i + PREFETCH_ROWS < n)
            prefetch_row(bins, (size_t)F, gh, rows[i + PREFETCH_ROWS]);
        const int64_t v = gh[r];
        if (all) {
            hist_entry *hf = h + ub * stride;
            for (int64_t f = ub; f < ue; f++, hf += stride)
                hf[row[f]] += v;
        } else {
            for (int64_t u = ub; u < ue; u++) {
                const int32_t f = used[u];
                h[f * stride + row[f]] += v;
            }
        }
    }
}

/* accumulate for uint16 codes (more than 256 bins in some feature): the same loop, bins found through off[]. */
static void accumulate16(const trainer *t, const uint32_t *rows, int64_t n, hist_entry *h, int64_t ub, int64_t ue) {
    const int64_t F = t->F;
    const int32_t *used = t->used;
    const int64_t *off = t->off;
    const uint16_t *bins = t->bins;
    const int64_t *gh = t->gh;
    for (int64_t i = 0; i < n; i++) {
        const uint32_t r = rows[i];
        const uint16_t *row = bins + (size_t)r * (size_t)F;
        if (i + PREFETCH_ROWS < n)
            prefetch_row(bins, 2 * (size_t)F, gh, rows[i + PREFETCH_ROWS]);
        const int64_t v = gh[r];
        for (int64_t u = ub; u < ue; u++) {
            const int32_t f = used[u];
            h[off[f] + row[f]] += v;
        }
    }
}

static void histogram_rows(const trainer *t, const uint32_t *rows, int64_t n, hist_entry *h, int64_t ub, int64_t ue) {
    if (t->wide)
        accumulate16(t, rows, n, h, ub, ue);
    else
        accumulate(t, rows, n, h, ub, ue);
}

/* The histogram of leaf build over the used features ub..ue (zeroed first). */
static void build_share(const trainer *t, const leaf *build, hist_entry *bh, int64_t ub, int64_t ue) {
    for (int64_t u = ub; u < ue; u++) {
        const int32_t f = t->used[u];
        memset(bh + t->off[f], 0, (size_t)t->features[f].n_bins * sizeof *bh);
    }
    histogram_rows(t, t->idx + build->begin, build->c, bh, ub, ue);
}

/* For the used features ub..ue: derive's histogram (parent - build) when there is one, and the best split of
 * each leaf that can split on each feature into sb[u], sd[u]. */
static void splits_share(const trainer *t, const leaf *build, const leaf *derive, const hist_entry *bh, hist_entry *dh,
                         bool split_b, bool split_d, int64_t ub, int64_t ue) {
    split *sb = t->per_feature, *sd = t->per_feature + t->F;
    for (int64_t u = ub; u < ue; u++) {
        const int32_t f = t->used[u];
        const int64_t o = t->off[f];
        if (dh) {
            for (int32_t k = 0; k < t->features[f].n_bins; k++)
                dh[o + k] -= bh[o + k];
        }
        sb[u].gain = sd[u].gain = -INFINITY;
        if (split_b)
            sb[u] = plumb__gbdt_best_split(t, build, f, bh + o);
        if (split_d)
            sd[u] = plumb__gbdt_best_split(t, derive, f, dh + o);
    }
}

/* The work of one split, in one parallel region. Each thread takes a share of the features this tree uses:
 * it builds the histogram of leaf `build` from its rows, derives the histogram of leaf `derive` (may be NULL)
 * by subtracting it from the parent's, which derive's slot holds, and finds both leaves' best splits. Threads
 * never share a histogram bin, so there is nothing to reduce and the result does not depend on their number.
 * Leaves that cannot split get gain -INFINITY. */
void plumb__gbdt_histograms_and_splits(trainer *t, leaf *build, leaf *derive) {
    const int64_t n_used = t->n_used;
    hist_entry *bh = HIST(t, build->hist), *dh = derive ? HIST(t, derive->hist) : NULL;
    const bool split_b = can_split(t, build), split_d = derive && can_split(t, derive);
    split *sb = t->per_feature, *sd = t->per_feature + t->F;
    if (t->nt <= 1 || build->c < PAR_ROWS) { /* no parallel region: even a team of one pays a futex call */
        build_share(t, build, bh, 0, n_used);
        splits_share(t, build, derive, bh, dh, split_b, split_d, 0, n_used);
    } else {
#pragma omp parallel num_threads(t->nt)
        {
#ifdef _OPENMP
            const int tid = omp_get_thread_num(), T = omp_get_num_threads();
#else
            const int tid = 0, T = 1;
#endif
            const int64_t ub = n_used * tid / T, ue = n_used * (tid + 1) / T;
            if (T > 1 && build->c >= ROW_PAR_ROWS) {
                /* a large leaf: each thread histograms a share of the rows over every feature (so each row is loaded
                 * once), then sums the others' histograms into its share of the features */
                hist_entry *mine = tid == 0 ? bh : t->scratch + (size_t)(tid - 1) * (size_t)t->total_bins;
                memset(mine, 0, (size_t)t->total_bins * sizeof *mine);
                const int64_t rb = build->c * tid / T, re = build->c * (tid + 1) / T;
                histogram_rows(t, t->idx + build->begin + rb, re - rb, mine, 0, n_used);
#pragma omp barrier
                for (int64_t u = ub; u < ue; u++) {
                    const int64_t o = t->off[t->used[u]];
                    for (int v = 1; v < T; v++) {
                        const hist_entry *other = t->scratch + (size_t)(v - 1) * (size_t)t->total_bins + o;
                        for (int32_t k = 0; k < t->features[t->used[u]].n_bins; k++)
                            bh[o + k] += other[k];
                    }
                }
            } else {
                /* each thread histograms every row over its share of the features: nothing to sum */
                build_share(t, build, bh, ub, ue);
            }
            splits_share(t, build, derive, bh, dh, split_b, split_d, ub, ue);
        }
    }
    /* in feature order: ties go to the first feature */
    build->best.gain = -INFINITY;
    if (derive)
        derive->best.gain = -INFINITY;
    for (int64_t u = 0; u < n_used; u++) {
        if (sb[u].gain > build->best.gain)
            build->best = sb[u];
        if (derive && sd[u].gain > derive->best.gain)
            derive->best = sd[u];
    }
}
