/* train.c -- histogram gradient boosting: binning, histograms, leaf-wise growth, boosting loop.
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
#include "gbdt.h"
#include "objective.h"
#include "../data/target.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define BIN_SAMPLE 200000 /* rows used to choose bin edges, as LightGBM's bin_construct_sample_cnt */
#define PAR_ROWS 512      /* fewer rows than this: a split is one thread's work (above, both children's search pays) */
#define ROW_PAR_ROWS 4096 /* from this many rows, threads split a histogram build by rows instead of features */
#define BLOCK_ROWS 65536  /* fixed reduction blocks: sums independent of the thread count */

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
    uint16_t bin;
    bool missing_left;
    int64_t lg, lh; /* sums of the left child */
} split;

typedef struct leaf {
    int64_t begin, end; /* idx[begin..end) */
    int64_t g, h, c;    /* c = end - begin, exact */
    int32_t depth;
    int32_t hist;   /* histogram slot, -1 when released */
    int32_t parent; /* internal node pointing here, -1 for the root */
    bool is_left;
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
    double *label, *score;
    int64_t *gh;   /* quantized gradient and hessian of each row, packed */
    double sg, sh; /* gradient = packed_g / sg, hessian = packed_h / sh */
    uint32_t *idx; /* rows of the tree; each leaf a range, rows ascending within it */
    uint32_t *tmp; /* partition scratch, n_rows */
    int64_t n_bag;
    hist_entry *pool;    /* num_leaves histograms */
    hist_entry *scratch; /* nt - 1 histograms: the other threads' shares of a row-split build */
    int32_t *free_slots;
    int32_t n_free;
    int32_t *used; /* features this tree may use, ascending */
    int64_t n_used;
    leaf *leaves;
    split *per_feature; /* 2 x F: best split per used feature, for the two leaves of a split */
    double *block_loss;
} trainer;

/* ---------------------------------------------------------------------------------------------------------- */
/* Random numbers: counter-based, so a row's draw does not depend on which thread makes it                     */
/* ---------------------------------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15u; /* splitmix64 finaliser */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static double uniform(uint64_t seed, uint64_t stream, uint64_t i) {
    return (double)(mix64(mix64(seed ^ mix64(stream)) ^ i) >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Binning                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Sorts v[0..n) (no NaN) with an LSD radix sort on order-preserving integer keys; tmp holds n floats. */
static void sort_floats(float *v, int64_t n, float *tmp) {
    uint32_t *a = (uint32_t *)v, *b = (uint32_t *)tmp;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        a[i] = u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u); /* negatives reversed, positives above them */
    }
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xFF) + 1]++;
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (int64_t i = 0; i < n; i++)
            b[count[(a[i] >> shift) & 0xFF]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    /* four passes: the sorted keys are back in v */
    for (int64_t i = 0; i < n; i++) {
        const uint32_t u = a[i] ^ ((a[i] >> 31) ? 0x80000000u : 0xFFFFFFFFu);
        memcpy(&v[i], &u, 4);
    }
}

/* A cut between distinct values a < b: their midpoint in float when it lies in [a, b), else a. */
static float cut_between(float a, float b) {
    float m = (float)(((double)a + (double)b) / 2);
    return (m >= a && m < b) ? m : a;
}

/* Chooses the edges of feature f from the sorted non-missing sample v[0..n): every distinct value its own bin
 * when they fit, else bins of about equal counts, cut only between distinct values. */
static bool choose_edges(plumb__feature *f, const float *v, int64_t n, int32_t max_bin) {
    float *edges = malloc((size_t)max_bin * sizeof *edges);
    if (!edges)
        return false;
    int32_t n_edges = 0;
    int64_t distinct = n > 0;
    for (int64_t i = 1; i < n; i++)
        distinct += v[i] != v[i - 1];
    if (distinct <= max_bin) {
        for (int64_t i = 1; i < n; i++)
            if (v[i] != v[i - 1])
                edges[n_edges++] = cut_between(v[i - 1], v[i]);
    } else {
        int64_t start = 0; /* first sample value of the current bin */
        for (int32_t bins_left = max_bin; bins_left > 1 && start < n; bins_left--) {
            int64_t target = start + (n - start + bins_left - 1) / bins_left; /* ideal end of this bin */
            if (target >= n)
                break;
            /* move the cut to the nearest boundary between distinct values */
            int64_t hi = target, lo = target;
            while (hi < n && v[hi] == v[hi - 1])
                hi++;
            while (lo > start + 1 && v[lo] == v[lo - 1])
                lo--;
            int64_t cut = (v[lo] != v[lo - 1] && target - lo <= hi - target) || hi >= n ? lo : hi;
            if (cut <= start || cut >= n || v[cut] == v[cut - 1])
                break;
            edges[n_edges++] = cut_between(v[cut - 1], v[cut]);
            start = cut;
        }
    }
    f->edges = edges;
    f->n_bins = n_edges + 2;
    return true;
}

/* Fills bins[row * F + f] for every row of frame (columns cols[f]). */
/* Fills bins[row * F + f] for every row of frame (columns cols[f]), a block of rows at a time so the writes of
 * all features land in the same cache lines. */
static void bin_rows(const plumb__feature *features, int64_t F, const plumb_frame *fr, const int64_t *cols, void *bins,
                     bool wide, int nt) {
    const int64_t n = plumb_frame_n_rows(fr), block = 4096;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < n; b += block) {
        const int64_t e = b + block < n ? b + block : n;
        for (int64_t f = 0; f < F; f++) {
            const float *x = plumb_frame_f32(fr, cols[f]);
            const uint8_t *u = plumb_frame_u8(fr, cols[f]);
            for (int64_t i = b; i < e; i++) {
                const uint16_t v = plumb__bin_value(&features[f], plumb__feature_value(x, u, i));
                if (wide)
                    ((uint16_t *)bins)[i * F + f] = v;
                else
                    ((uint8_t *)bins)[i * F + f] = (uint8_t)v;
            }
        }
    }
}

static plumb_status make_bins(trainer *t, const plumb_frame *fr, const int64_t *cols, plumb_error *err) {
    const int64_t n = t->n_rows, F = t->F;
    const int64_t m = n < BIN_SAMPLE ? n : BIN_SAMPLE;
    bool ok = true;
#pragma omp parallel num_threads(t->nt) reduction(&& : ok)
    {
        float *v = malloc(2 * ((size_t)m + 1) * sizeof *v);
        ok = v != NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t f = 0; f < F; f++) {
            if (!v)
                continue;
            const float *x32 = plumb_frame_f32(fr, cols[f]);
            const uint8_t *u8 = plumb_frame_u8(fr, cols[f]);
            int64_t k = 0;
            for (int64_t s = 0; s < m; s++) {
                const float x = plumb__feature_value(x32, u8, s * n / m); /* evenly spaced sample */
                if (x == x)
                    v[k++] = x;
            }
            sort_floats(v, k, v + m + 1);
            if (!choose_edges(&t->features[f], v, k, t->p->max_bin))
                ok = false;
        }
        free(v);
    }
    if (!ok)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    t->wide = false;
    for (int64_t f = 0; f < F; f++)
        t->wide |= t->features[f].n_bins > PLUMB__NARROW_BINS;
    const size_t w = t->wide ? 2 : 1, cells = (size_t)(n * F > 0 ? n * F : 1);
    if (!(t->bins = malloc(cells * w)) || !(t->colbins = malloc(cells * w)) ||
        !(t->off = malloc((size_t)F * sizeof *t->off)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    bin_rows(t->features, F, fr, cols, t->bins, t->wide, t->nt);
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t f = 0; f < F; f++)
        for (int64_t i = 0; i < n; i++) {
            const size_t to = (size_t)f * (size_t)n + (size_t)i, from = (size_t)i * (size_t)F + (size_t)f;
            if (t->wide)
                ((uint16_t *)t->colbins)[to] = ((const uint16_t *)t->bins)[from];
            else
                ((uint8_t *)t->colbins)[to] = ((const uint8_t *)t->bins)[from];
        }
    /* uint8 codes: every feature gets the same stride, so the hot loop finds a bin at f * stride + bin with no
     * table; uint16 codes: features get what they need, one after another */
    t->stride = 2;
    t->total_bins = 0;
    for (int64_t f = 0; f < F; f++) {
        t->stride = t->features[f].n_bins > t->stride ? t->features[f].n_bins : t->stride;
        t->off[f] = t->total_bins;
        t->total_bins += t->features[f].n_bins;
    }
    if (!t->wide) {
        for (int64_t f = 0; f < F; f++)
            t->off[f] = f * t->stride;
        t->total_bins = F * t->stride;
    }
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Objectives                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

static const char *metric_name(plumb_task task) {
    return task == PLUMB_TASK_BINARY ? "binary_logloss" : "l2";
}

/* Mean loss over rows [0, n), summed in fixed blocks so the result does not depend on the thread count. */
static double mean_loss(plumb_task task, const double *y, const double *s, int64_t n, double *block, int nt) {
    const int64_t nb = (n + BLOCK_ROWS - 1) / BLOCK_ROWS;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < nb; b++) {
        double sum = 0;
        double g, h;
        for (int64_t i = b * BLOCK_ROWS; i < n && i < (b + 1) * BLOCK_ROWS; i++)
            sum += plumb__objective_eval(task, y[i], s[i], &g, &h);
        block[b] = sum;
    }
    double total = 0;
    for (int64_t b = 0; b < nb; b++)
        total += block[b];
    return total / (double)n;
}

/* Gradients at the current scores, quantized to nearest and packed. The scales map the largest gradient to
 * min(32767, 2^31/rows) and the largest hessian to min(65535, 2^32/rows): 11 bits and more for a million rows
 * (LightGBM's quantized training keeps accuracy with 4). Log-loss has |g| <= 1 and h <= 1/4, which fixes its
 * scales and saves a pass (and an exp per row); squared error has h = 1, represented exactly, and needs its
 * largest residual first. */
static void gradients(trainer *t, plumb_task task) {
    const int64_t n = t->n_rows;
    const double *y = t->label, *s = t->score;
    const double gq_max = fmin(32767, floor(2147483647.0 / (double)n)),
                 hq_max = fmin(65535, floor(4294967295.0 / (double)n));
    if (task == PLUMB_TASK_BINARY) {
        t->sg = gq_max;
        t->sh = 4 * hq_max;
    } else {
        double gmax = 0;
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(max : gmax)
        for (int64_t i = 0; i < n; i++)
            gmax = fmax(gmax, fabs(s[i] - y[i]));
        t->sg = gmax > 0 ? gq_max / gmax : 1.0;
        t->sh = hq_max;
    }
    const double sg = t->sg, sh = t->sh;
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t i = 0; i < n; i++) {
        double g, h;
        plumb__objective_grad(task, y[i], s[i], &g, &h);
        t->gh[i] = (int64_t)(uint64_t)((int64_t)lrint(g * sg) * ((int64_t)1 << 32)) + (int64_t)lrint(h * sh);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Histograms                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

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

/* ---------------------------------------------------------------------------------------------------------- */
/* Splits                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static inline double leaf_output(double G, double H, const plumb_gbdt_params *p) {
    double tg = fabs(G) > p->lambda_l1 ? G - copysign(p->lambda_l1, G) : 0.0;
    return -tg / (H + p->lambda_l2);
}

/* The soft-threshold by l1: T(g) = sign(g) max(|g| - l1, 0). */
static inline double soft(double g, double l1) {
    return fabs(g) > l1 ? g - copysign(l1, g) : 0.0;
}

/* T(g)^2 / (h + l2) in quantized units (l1, l2 scaled to them). */
static inline double q_gain(double g, double h, double l1, double l2) {
    const double tg = soft(g, l1);
    return tg * tg / (h + l2);
}

/* q_gain of both children of a split with one division. */
static inline double q_gain2(double ga, double ha, double gb, double hb, double l1, double l2) {
    const double ta = soft(ga, l1), tb = soft(gb, l1), da = ha + l2, db = hb + l2;
    return (ta * ta * db + tb * tb * da) / (da * db);
}

/* Best split of feature f for a leaf with sums (G, H), C rows and histogram h; gain -INFINITY when none.
 * Everything is compared in quantized units, where the gain of XGBoost's eq. 7 is the same up to the constant
 * factor sh / sg^2; the row-count and hessian constraints become bounds on the left hessian sum. */
static split best_of_feature(const trainer *t, int32_t f, const hist_entry *h, int64_t G, int64_t H, int64_t C) {
    const plumb_gbdt_params *p = t->p;
    split best = {.gain = -INFINITY, .feature = f};
    const int32_t nb = t->features[f].n_bins;
    const int64_t miss_g = packed_g(h[0]), miss_h = packed_h(h[0]);
    const double l1 = p->lambda_l1 * t->sg, l2 = p->lambda_l2 * t->sh, to_gain = t->sh / (t->sg * t->sg);
    const double parent = q_gain((double)G, (double)H, l1, l2);
    /* a side's rows are estimated as llround(its hessian * C / H); both sides need min_data_in_leaf rows and
     * min_sum_hessian_in_leaf hessian */
    const double per_h = H > 0 ? (double)C / (double)H : 0, hmin = p->min_sum_hessian_in_leaf * t->sh;
    const double xlo = (double)p->min_data_in_leaf - 0.5, xhi = (double)(C - p->min_data_in_leaf) + 0.5;
    double best_score = -INFINITY;
    int64_t lsum = 0;
    for (int32_t k = 1; k < nb - 1; k++) {
        if (h[k] == 0)
            continue; /* an empty bin repeats the previous candidate, which cannot win a second time */
        lsum += h[k];
        const int64_t lg = packed_g(lsum), lh = packed_h(lsum);
        for (int side = 0; side < 2; side++) {
            const bool mleft = side == 1;
            if (mleft && miss_h == 0)
                break;
            const int64_t ag = lg + (mleft ? miss_g : 0), ah = lh + (mleft ? miss_h : 0);
            const double x = (double)ah * per_h;
            if (x < xlo || x >= xhi || (double)ah < hmin || (double)(H - ah) < hmin)
                continue;
            const double score = q_gain2((double)ag, (double)ah, (double)(G - ag), (double)(H - ah), l1, l2);
            if (score > best_score) {
                best_score = score;
                best.bin = (uint16_t)k;
                /* without missing values here, send future ones to the larger side */
                best.missing_left = miss_h == 0 ? 2 * llround(x) >= C : mleft;
                best.lg = ag;
                best.lh = ah;
            }
        }
    }
    best.gain = (best_score - parent) * to_gain;
    if (!(best.gain > p->min_gain_to_split) || !(best.gain > 0))
        best.gain = -INFINITY;
    return best;
}

static bool can_split(const trainer *t, const leaf *l) {
    const plumb_gbdt_params *p = t->p;
    return l->c >= 2 * p->min_data_in_leaf && (p->max_depth <= 0 || l->depth < p->max_depth);
}

#define HIST(t, slot) ((t)->pool + (size_t)(slot) * (size_t)(t)->total_bins)

/* The work of one split, in one parallel region. Each thread takes a share of the features this tree uses:
 * it builds the histogram of leaf `build` from its rows, derives the histogram of leaf `derive` (may be NULL)
 * by subtracting it from the parent's, which derive's slot holds, and finds both leaves' best splits. Threads
 * never share a histogram bin, so there is nothing to reduce and the result does not depend on their number.
 * Leaves that cannot split get gain -INFINITY. */
static void histograms_and_splits(trainer *t, leaf *build, leaf *derive) {
    const int64_t n_used = t->n_used;
    hist_entry *bh = HIST(t, build->hist), *dh = derive ? HIST(t, derive->hist) : NULL;
    const bool split_b = can_split(t, build), split_d = derive && can_split(t, derive);
    split *sb = t->per_feature, *sd = t->per_feature + t->F;
#pragma omp parallel num_threads(t->nt) if (build->c >= PAR_ROWS)
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
            for (int64_t u = ub; u < ue; u++) {
                const int32_t f = t->used[u];
                memset(bh + t->off[f], 0, (size_t)t->features[f].n_bins * sizeof *bh);
            }
            histogram_rows(t, t->idx + build->begin, build->c, bh, ub, ue);
        }
        for (int64_t u = ub; u < ue; u++) {
            const int32_t f = t->used[u];
            const int64_t o = t->off[f];
            if (dh) {
                for (int32_t k = 0; k < t->features[f].n_bins; k++)
                    dh[o + k] -= bh[o + k];
            }
            sb[u].gain = sd[u].gain = -INFINITY;
            if (split_b)
                sb[u] = best_of_feature(t, f, bh + o, build->g, build->h, build->c);
            if (split_d)
                sd[u] = best_of_feature(t, f, dh + o, derive->g, derive->h, derive->c);
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

static inline bool goes_left(const trainer *t, const void *col, const split *s, uint32_t row) {
    const unsigned b = t->wide ? ((const uint16_t *)col)[row] : ((const uint8_t *)col)[row];
    return b == 0 ? s->missing_left : b <= s->bin;
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
#pragma omp parallel num_threads(n >= 4 * PAR_ROWS ? (t->nt < 64 ? t->nt : 64) : 1)
    {
#ifdef _OPENMP
        const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        const int tid = 0, nt = 1;
#endif
        const int64_t lo = b + n * tid / nt, hi = b + n * (tid + 1) / nt;
        int64_t left = lo, right = hi;
        for (int64_t i = lo; i < hi; i++) {
            const uint32_t r = idx[i];
            if (i + PREFETCH_ROWS < hi)
                __builtin_prefetch(col + (size_t)idx[i + PREFETCH_ROWS] * (t->wide ? 2 : 1));
            /* branchless: which side a row goes is a coin flip to the branch predictor */
            const bool go_left = goes_left(t, col, s, r);
            tmp[left] = r;
            tmp[right - 1] = r;
            left += go_left;
            right -= !go_left;
        }
        n_left[tid] = left - lo;
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

/* ---------------------------------------------------------------------------------------------------------- */
/* Trees                                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

bool plumb__tree_alloc(plumb__tree *t, int32_t n_leaves) {
    const size_t nn = (size_t)(n_leaves > 1 ? n_leaves - 1 : 1), nl = (size_t)n_leaves;
    const size_t bytes = nn * (4 + 2 + 4 + 1 + 4 + 4 + 8 + 8) + nl * (8 + 8);
    char *m = calloc(1, bytes + 64);
    if (!m)
        return false;
    t->mem = m;
    t->n_leaves = n_leaves;
    /* 8-byte arrays first keep every array aligned */
    t->gain = (double *)m, m += nn * 8;
    t->node_count = (int64_t *)m, m += nn * 8;
    t->leaf_value = (double *)m, m += nl * 8;
    t->leaf_count = (int64_t *)m, m += nl * 8;
    t->feature = (int32_t *)m, m += nn * 4;
    t->threshold = (float *)m, m += nn * 4;
    t->left = (int32_t *)m, m += nn * 4;
    t->right = (int32_t *)m, m += nn * 4;
    t->bin = (uint16_t *)m, m += 2 * nn;
    t->missing_left = (uint8_t *)m;
    return true;
}

void plumb__tree_free(plumb__tree *t) {
    free(t->mem);
    memset(t, 0, sizeof *t);
}

static int32_t take_slot(trainer *t) {
    return t->n_free > 0 ? t->free_slots[--t->n_free] : -1;
}

static void release_slot(trainer *t, leaf *l) {
    if (l->hist >= 0)
        t->free_slots[t->n_free++] = l->hist;
    l->hist = -1;
}

/* Grows one tree over idx[0..n_bag) into *out. */
static bool grow_tree(trainer *t, plumb__tree *out) {
    const plumb_gbdt_params *p = t->p;
    const int32_t max_leaves = p->num_leaves;
    leaf *L = t->leaves;
    plumb__tree tree;
    if (!plumb__tree_alloc(&tree, max_leaves))
        return false;
    t->n_free = 0;
    for (int32_t s = max_leaves - 1; s >= 0; s--)
        t->free_slots[t->n_free++] = s;
    int64_t sum = 0;
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(+ : sum)
    for (int64_t i = 0; i < t->n_bag; i++)
        sum += t->gh[t->idx[i]];
    const int64_t G = packed_g(sum), H = packed_h(sum);
    L[0] = (leaf){.begin = 0, .end = t->n_bag, .g = G, .h = H, .c = t->n_bag, .parent = -1, .hist = take_slot(t)};
    histograms_and_splits(t, &L[0], NULL);
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
        tree.bin[node] = s.bin;
        tree.threshold[node] = t->features[s.feature].edges[s.bin - 1];
        tree.missing_left[node] = s.missing_left;
        tree.gain[node] = s.gain;
        tree.node_count[node] = parent.c;
        tree.left[node] = ~best;
        tree.right[node] = ~r;
        if (parent.parent >= 0)
            (parent.is_left ? tree.left : tree.right)[parent.parent] = node;
        const int64_t mid = partition(t, &parent);
        L[best] = (leaf){.begin = parent.begin,
                         .end = mid,
                         .g = s.lg,
                         .h = s.lh,
                         .c = mid - parent.begin,
                         .depth = parent.depth + 1,
                         .parent = node,
                         .is_left = true,
                         .hist = -1,
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
                      .best.gain = -INFINITY};
        n_leaves++;
        /* build the smaller child's histogram; the larger takes the parent's slot and subtracts it */
        leaf *small = L[best].c <= L[r].c ? &L[best] : &L[r], *large = small == &L[best] ? &L[r] : &L[best];
        if (can_split(t, small) || can_split(t, large)) {
            small->hist = take_slot(t);
            large->hist = parent.hist;
            histograms_and_splits(t, small, large);
            if (!can_split(t, small))
                release_slot(t, small);
            if (!can_split(t, large))
                release_slot(t, large);
        } else {
            t->free_slots[t->n_free++] = parent.hist;
        }
    }
    for (int32_t i = 0; i < n_leaves; i++) {
        tree.leaf_value[i] = p->learning_rate * leaf_output((double)L[i].g / t->sg, (double)L[i].h / t->sh, p);
        tree.leaf_count[i] = L[i].c;
        release_slot(t, &L[i]);
    }
    tree.n_leaves = n_leaves;
    *out = tree;
    return true;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Boosting                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb_gbdt_params_init(plumb_gbdt_params *p) {
    memset(p, 0, sizeof *p);
    p->task = PLUMB_TASK_AUTO;
    p->num_iterations = 100;
    p->learning_rate = 0.1;
    p->num_leaves = 31;
    p->max_depth = -1;
    p->min_data_in_leaf = 20;
    p->min_sum_hessian_in_leaf = 1e-3;
    p->max_bin = 255;
    p->feature_fraction = 1.0;
    p->bagging_fraction = 1.0;
}

static plumb_status check_params(const plumb_gbdt_params *p, plumb_error *err) {
    const char *bad = NULL;
    if (p->num_iterations < 1)
        bad = "num_iterations must be at least 1";
    else if (!(p->learning_rate > 0) || !isfinite(p->learning_rate))
        bad = "learning_rate must be positive";
    else if (p->num_leaves < 2 || p->num_leaves > 131072)
        bad = "num_leaves must be between 2 and 131072";
    else if (p->min_data_in_leaf < 1)
        bad = "min_data_in_leaf must be at least 1";
    else if (!(p->min_sum_hessian_in_leaf >= 0))
        bad = "min_sum_hessian_in_leaf must be at least 0";
    else if (!(p->lambda_l1 >= 0) || !(p->lambda_l2 >= 0))
        bad = "lambda_l1 and lambda_l2 must be at least 0";
    else if (!(p->min_gain_to_split >= 0))
        bad = "min_gain_to_split must be at least 0";
    else if (p->max_bin < 2 || p->max_bin > 65535)
        bad = "max_bin must be between 2 and 65535";
    else if (!(p->feature_fraction > 0 && p->feature_fraction <= 1))
        bad = "feature_fraction must be in (0, 1]";
    else if (!(p->bagging_fraction > 0 && p->bagging_fraction <= 1))
        bad = "bagging_fraction must be in (0, 1]";
    else if (p->bagging_freq < 0)
        bad = "bagging_freq must be at least 0";
    else if (p->early_stopping_rounds < 0)
        bad = "early_stopping_rounds must be at least 0";
    else if (p->task != PLUMB_TASK_AUTO && p->task != PLUMB_TASK_BINARY && p->task != PLUMB_TASK_REGRESSION)
        bad = "unknown task";
    return bad ? plumb__fail(err, PLUMB_EINVAL, "%s", bad) : PLUMB_OK;
}

/* Labels of frame's target as doubles: 0/1 for binary (positive class = 1), values for regression
 * (src/data/target.c, shared by every trainer). Resolves PLUMB_TASK_AUTO into *task. */
static plumb_status read_labels(const plumb_frame *fr, int64_t target, plumb_task *task, const char *positive_name,
                                double *y, plumb_error *err) {
    return plumb__target_labels(fr, target, task, positive_name, y, err);
}

static int64_t find_target(const plumb_frame *fr) {
    const plumb_schema *s = plumb_frame_schema(fr);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            return j;
    }
    return -1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Adds tree's output to scores of rows whose bins are rows x F at bins (by walking the tree). */
static void add_tree(const plumb__tree *tree, const void *bins, bool wide, int64_t F, int64_t n, double *score, int nt,
                     double sign) {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; i++) {
        const int32_t at = wide ? plumb__tree_leaf_binned16(tree, (const uint16_t *)bins + (size_t)i * (size_t)F)
                                : plumb__tree_leaf_binned8(tree, (const uint8_t *)bins + (size_t)i * (size_t)F);
        score[i] += sign * tree->leaf_value[at];
    }
}

static void trainer_free(trainer *t) {
    free(t->bins);
    free(t->colbins);
    free(t->off);
    free(t->label);
    free(t->score);
    free(t->gh);
    free(t->idx);
    free(t->tmp);
    free(t->pool);
    free(t->free_slots);
    free(t->used);
    free(t->scratch);
    free(t->leaves);
    free(t->per_feature);
    free(t->block_loss);
}

plumb_status plumb_gbdt_train(const plumb_frame *train, const plumb_frame *valid, const plumb_gbdt_params *params,
                              plumb_model **out, plumb_error *err) {
    plumb_status st;
    trainer t = {0};
    plumb_model *m = NULL;
    int64_t *cols = NULL, *vcols = NULL;
    void *vbins = NULL;
    double *vlabel = NULL, *vscore = NULL, *vblock = NULL;
    *out = NULL;
    plumb__error_clear(err);
    if ((st = check_params(params, err)) != PLUMB_OK)
        return st;
    const double t0 = now();
    const int64_t target = find_target(train);
    if (target < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    const int64_t n = plumb_frame_n_rows(train);
    if (n >= (int64_t)UINT32_MAX)
        return plumb__fail(err, PLUMB_EINVAL, "more than %u training rows", UINT32_MAX - 1);

    if (!(m = calloc(1, sizeof *m)) || !(m->schema = plumb__schema_copy(plumb_frame_schema(train), false)))
        goto nomem;
    m->params = *params;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    m->params.positive_class = NULL;
    m->task = params->task;

    /* features: numeric and bool columns with the feature role */
    const plumb_schema *fs = plumb_frame_schema(train);
    const int64_t n_cols = plumb_schema_n_columns(fs);
    if (!(cols = malloc((size_t)n_cols * sizeof *cols)) || !(m->features = calloc((size_t)n_cols, sizeof *m->features)))
        goto nomem;
    for (int64_t j = 0; j < n_cols; j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (c.role != PLUMB_ROLE_FEATURE)
            continue;
        if (c.type == PLUMB_TYPE_NUMERIC || c.type == PLUMB_TYPE_BOOL) {
            m->features[m->n_features].column = j;
            cols[m->n_features++] = j;
        } else {
            plumb__log(PLUMB_LOG_INFO,
                       "column '%s' (%s) is not used: gradient boosting reads numeric and bool "
                       "features",
                       c.name, plumb_type_name(c.type));
        }
    }
    for (int64_t j = 0; j < n_cols; j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (c.role == PLUMB_ROLE_WEIGHT) {
            st = plumb__fail(err, PLUMB_EINVAL,
                             "sample weights ('%s') are not supported by gradient boosting yet: remove the weight "
                             "role",
                             c.name);
            goto done;
        }
    }
    if (m->n_features == 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "no numeric or bool feature columns to train on");
        goto done;
    }

    t.p = &m->params;
    t.nt = plumb__threads(params->n_threads);
    t.n_rows = n;
    t.F = m->n_features;
    t.features = m->features;
    if (!(t.label = malloc((size_t)n * sizeof *t.label)))
        goto nomem;
    if ((st = read_labels(train, target, &m->task, params->positive_class, t.label, err)) != PLUMB_OK)
        goto done;
    if ((st = make_bins(&t, train, cols, err)) != PLUMB_OK)
        goto done;

    const int64_t nb = (n + BLOCK_ROWS - 1) / BLOCK_ROWS + 1;
    const int32_t NL = params->num_leaves;
    m->wide = t.wide;
    const double pool_gib = (double)NL * (double)t.total_bins * sizeof(hist_entry) / (1 << 30);
    if (pool_gib > 4) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "%d leaves of %lld histogram bins need %.1f GiB: lower max_bin or num_leaves", NL,
                         (long long)t.total_bins, pool_gib);
        goto done;
    }
    if (!(t.score = malloc((size_t)n * sizeof *t.score)) || !(t.gh = malloc((size_t)n * sizeof *t.gh)) ||
        !(t.idx = malloc((size_t)n * sizeof *t.idx)) || !(t.tmp = malloc((size_t)n * sizeof *t.tmp)) ||
        !(t.pool = malloc((size_t)NL * (size_t)t.total_bins * sizeof *t.pool)) ||
        !(t.free_slots = malloc((size_t)NL * sizeof *t.free_slots)) ||
        !(t.used = malloc((size_t)t.F * sizeof *t.used)) || !(t.leaves = malloc((size_t)NL * sizeof *t.leaves)) ||
        !(t.per_feature = malloc(2 * (size_t)t.F * sizeof *t.per_feature)) ||
        !(t.scratch = malloc((size_t)(t.nt > 1 ? t.nt - 1 : 1) * (size_t)t.total_bins * sizeof *t.scratch)) ||
        !(t.block_loss = malloc((size_t)nb * sizeof *t.block_loss)))
        goto nomem;

    /* initial score from the data: log-odds of the mean label, or the mean */
    double mean = 0;
    for (int64_t i = 0; i < n; i++)
        mean += t.label[i];
    mean /= (double)n;
    if (m->task == PLUMB_TASK_BINARY) {
        const double pm = fmin(fmax(mean, 1e-15), 1 - 1e-15);
        m->init_score = log(pm / (1 - pm));
    } else {
        m->init_score = mean;
    }
    for (int64_t i = 0; i < n; i++)
        t.score[i] = m->init_score;

    /* validation data, binned with the training edges */
    int64_t vn = 0;
    if (valid) {
        const int64_t vt = find_target(valid);
        vn = plumb_frame_n_rows(valid);
        if (vt < 0) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "validation data has no target column");
            goto done;
        }
        if (!(vcols = malloc((size_t)t.F * sizeof *vcols)) || !(vlabel = malloc((size_t)vn * sizeof *vlabel)) ||
            !(vscore = malloc((size_t)vn * sizeof *vscore)) ||
            !(vbins = malloc((size_t)(vn * t.F) * (t.wide ? 2 : 1) + 1)))
            goto nomem;
        if ((st = plumb__model_bind(m, valid, vcols, err)) != PLUMB_OK)
            goto done;
        plumb_task vtask = m->task;
        if ((st = read_labels(valid, vt, &vtask, params->positive_class, vlabel, err)) != PLUMB_OK)
            goto done;
        bin_rows(t.features, t.F, valid, vcols, vbins, t.wide, t.nt);
        for (int64_t i = 0; i < vn; i++)
            vscore[i] = m->init_score;
    }

    const int64_t iters = params->num_iterations;
    if (!(m->trees = calloc((size_t)iters, sizeof *m->trees)) ||
        (valid && !(m->valid_metric = malloc((size_t)iters * sizeof *m->valid_metric))))
        goto nomem;
    if (valid && !(vblock = malloc((size_t)((vn + BLOCK_ROWS - 1) / BLOCK_ROWS + 1) * sizeof *vblock)))
        goto nomem;

    double best_valid = INFINITY;
    int64_t best_iter = 0;
    for (int64_t it = 0; it < iters; it++) {
        gradients(&t, m->task);
        /* rows of this tree: a new bag every bagging_freq iterations */
        if (params->bagging_freq > 0 && params->bagging_fraction < 1) {
            if (it % params->bagging_freq == 0) {
                t.n_bag = 0;
                for (int64_t i = 0; i < n; i++)
                    if (uniform(params->seed, 2 * (uint64_t)it + 1, (uint64_t)i) < params->bagging_fraction)
                        t.idx[t.n_bag++] = (uint32_t)i;
                if (t.n_bag == 0)
                    t.idx[t.n_bag++] = 0;
            }
        } else {
            for (int64_t i = 0; i < n; i++)
                t.idx[i] = (uint32_t)i;
            t.n_bag = n;
        }
        /* features of this tree */
        int64_t k = (int64_t)llround((double)t.F * params->feature_fraction);
        k = k < 1 ? 1 : k > t.F ? t.F : k;
        t.n_used = 0;
        for (int64_t chosen = 0, f = 0; f < t.F; f++) {
            /* selection sampling (Knuth's algorithm S): each feature kept with probability needed/remaining */
            if (k == t.F ||
                uniform(params->seed, 2 * (uint64_t)it + 2, (uint64_t)f) * (double)(t.F - f) < (double)(k - chosen)) {
                t.used[t.n_used++] = (int32_t)f;
                chosen++;
            }
        }
        plumb__tree *tree = &m->trees[it];
        if (!grow_tree(&t, tree))
            goto nomem;
        m->n_trees = it + 1;
        if (t.n_bag == n) {
            /* every row sits in a leaf's range of idx: add the leaf values directly */
            for (int32_t l = 0; l < tree->n_leaves; l++) {
                const double v = tree->leaf_value[l];
                const leaf *lf = &t.leaves[l];
#pragma omp parallel for schedule(static) num_threads(t.nt) if (lf->c >= PAR_ROWS)
                for (int64_t i = lf->begin; i < lf->end; i++) {
                    if (i + PREFETCH_ROWS < lf->end)
                        __builtin_prefetch(t.score + t.idx[i + PREFETCH_ROWS], 1);
                    t.score[t.idx[i]] += v;
                }
            }
        } else {
            add_tree(tree, t.bins, t.wide, t.F, n, t.score, t.nt, 1);
        }
        double vmetric = NAN;
        if (valid) {
            add_tree(tree, vbins, t.wide, t.F, vn, vscore, t.nt, 1);
            vmetric = mean_loss(m->task, vlabel, vscore, vn, vblock, t.nt);
            m->valid_metric[it] = vmetric;
            if (vmetric < best_valid) {
                best_valid = vmetric;
                best_iter = it + 1;
            }
        }
        m->n_iterations = it + 1;
        const bool last = it + 1 == iters || (valid && params->early_stopping_rounds > 0 &&
                                              it + 1 - best_iter >= params->early_stopping_rounds);
        if (params->progress) {
            plumb_train_progress pr = {.iteration = it + 1,
                                       .n_iterations = iters,
                                       .metric = metric_name(m->task),
                                       .valid_metric = vmetric,
                                       .elapsed_seconds = now() - t0};
            params->progress(&pr, params->progress_user);
        }
        if (last)
            break;
    }
    /* keep the trees up to the best validation iteration; the training metric (a pass over every row, so
     * computed once) is that of the trees kept */
    m->best_iteration = valid && params->early_stopping_rounds > 0 ? best_iter : m->n_trees;
    for (int64_t i = m->best_iteration; i < m->n_trees; i++) {
        add_tree(&m->trees[i], t.bins, t.wide, t.F, n, t.score, t.nt, -1);
        plumb__tree_free(&m->trees[i]);
    }
    m->n_trees = m->best_iteration;
    m->train_metric = mean_loss(m->task, t.label, t.score, n, t.block_loss, t.nt);
    plumb__model_stamp(m, train);
    if (!plumb__model_prepare(m))
        goto nomem;
    *out = m;
    m = NULL;
    st = PLUMB_OK;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    trainer_free(&t);
    free(cols);
    free(vcols);
    free(vbins);
    free(vlabel);
    free(vscore);
    free(vblock);
    plumb__model_free(m);
    return st;
}
