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
#include "../data/target.h"
#include "metric.h"

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
    double *label;
    const double *weight; /* the frame's weight column (borrowed); NULL: every row weighs 1 */
    double *score;        /* n_rows x K raw scores */
    double *prob;         /* multiclass: n_rows x K softmax probabilities at the start of the iteration */
    int64_t *gh;          /* quantized gradient and hessian of each row, packed */
    double sg, sh;        /* gradient = packed_g / sg, hessian = packed_h / sh */
    uint32_t *idx;        /* rows of the tree; each leaf a range, rows ascending within it */
    uint32_t *tmp;        /* partition scratch, n_rows */
    int64_t n_bag;
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

/* ---------------------------------------------------------------------------------------------------------- */
/* Random numbers: counter-based, so a row's draw does not depend on which thread makes it                     */
/* ---------------------------------------------------------------------------------------------------------- */

static double uniform(uint64_t seed, uint64_t stream, uint64_t i) {
    return (double)(plumb__mix64(plumb__mix64(seed ^ plumb__mix64(stream)) ^ i) >> 11) * 0x1.0p-53;
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

/* Chooses the edges of feature f from the sorted non-missing sample v[0..n) with cumulative weights cw (cw[i] =
 * weight of v[0..i), n + 1 entries): every distinct value its own bin when they fit, else bins of about equal
 * weight, cut only between distinct values. */
static bool choose_edges(plumb__feature *f, const float *v, const double *cw, int64_t n, int32_t max_bin) {
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
            /* ideal end of this bin: where it holds 1/bins_left of the remaining weight */
            const double want = cw[start] + (cw[n] - cw[start]) / bins_left;
            int64_t lo_i = start + 1, hi_i = n;
            while (lo_i < hi_i) {
                const int64_t mid = lo_i + (hi_i - lo_i) / 2;
                if (cw[mid] < want)
                    lo_i = mid + 1;
                else
                    hi_i = mid;
            }
            const int64_t target = lo_i;
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

void plumb__bin_rows(const plumb__feature *features, int64_t F, const plumb__fcol *cols, int64_t n, void *bins,
                     bool wide, int nt) {
    const int64_t block = 4096; /* a block of rows at a time, so the writes of all features share cache lines */
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t b = 0; b < n; b += block) {
        const int64_t e = b + block < n ? b + block : n;
        for (int64_t f = 0; f < F; f++) {
            for (int64_t i = b; i < e; i++) {
                const uint16_t v = plumb__feature_bin(&features[f], &cols[f], i);
                if (wide)
                    ((uint16_t *)bins)[i * F + f] = v;
                else
                    ((uint8_t *)bins)[i * F + f] = (uint8_t)v;
            }
        }
    }
}

/* A value and its weight: bin sampling and weighted quantiles sort these. */
typedef struct wpair {
    double v, w;
} wpair;

static int cmp_wpair(const void *a, const void *b) {
    const double x = ((const wpair *)a)->v, y = ((const wpair *)b)->v;
    return (x > y) - (x < y);
}

/* Sorted non-missing sample values of numeric feature column c (m evenly spaced rows of n) into v, with
 * cumulative weights into cw; returns their number. pair is scratch for m weighted values. */
static int64_t sample_values(const plumb__fcol *c, const double *weight, int64_t n, int64_t m, float *v, double *cw,
                             wpair *pair) {
    int64_t k = 0;
    for (int64_t s = 0; s < m; s++) {
        const int64_t i = s * n / m;
        const float x = plumb__feature_value(c->f32, c->u8, i);
        if (x == x)
            pair[k++] = (wpair){x, weight ? (float)weight[i] : 1.0f}; /* weights at float precision, as the values */
    }
    if (weight)
        qsort(pair, (size_t)k, sizeof *pair, cmp_wpair);
    else {
        for (int64_t i = 0; i < k; i++)
            v[i] = (float)pair[i].v;
        sort_floats(v, k, (float *)cw); /* cw is free scratch until filled below */
    }
    cw[0] = 0;
    for (int64_t i = 0; i < k; i++) {
        if (weight)
            v[i] = (float)pair[i].v;
        cw[i + 1] = cw[i] + (weight ? pair[i].w : 1.0);
    }
    return k;
}

/* Chooses the bins of every feature that has none yet (an init model brings its own) and bins the rows. */
static plumb_status make_bins(trainer *t, const plumb__fcol *cols, bool fresh, plumb_error *err) {
    const int64_t n = t->n_rows, F = t->F;
    const int64_t m = n < BIN_SAMPLE ? n : BIN_SAMPLE;
    bool ok = true;
#pragma omp parallel num_threads(t->nt) reduction(&& : ok)
    {
        float *v = malloc(((size_t)m + 1) * sizeof *v);
        double *cw = malloc(((size_t)m + 2) * sizeof *cw);
        wpair *pair = malloc(((size_t)m + 1) * sizeof *pair);
        ok = v && cw && pair;
#pragma omp for schedule(dynamic, 1)
        for (int64_t f = 0; f < F; f++) {
            if (!ok || !fresh || t->features[f].n_categories > 0)
                continue;
            const int64_t k = sample_values(&cols[f], t->weight, n, m, v, cw, pair);
            if (!choose_edges(&t->features[f], v, cw, k, t->p->max_bin))
                ok = false;
        }
        free(v);
        free(cw);
        free(pair);
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
    plumb__bin_rows(t->features, F, cols, n, t->bins, t->wide, t->nt);
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

/* Softmax probabilities of every row from its K scores (multiclass), before an iteration's trees. */
static void softmax_rows(trainer *t) {
    const int64_t K = t->K;
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t i = 0; i < t->n_rows; i++) {
        const double *s = t->score + i * K;
        double *p = t->prob + i * K, mx = s[0], sum = 0;
        for (int64_t k = 1; k < K; k++)
            mx = fmax(mx, s[k]);
        for (int64_t k = 0; k < K; k++)
            sum += p[k] = exp(s[k] - mx);
        for (int64_t k = 0; k < K; k++)
            p[k] /= sum;
    }
}

/* Gradient and hessian of row i (output k), weighted. */
static inline void row_grad(const trainer *t, int64_t i, int32_t k, double *g, double *h) {
    if (t->K > 1) {
        const double p = t->prob[i * t->K + k];
        *g = p - (t->label[i] == k);
        *h = (double)t->K / (t->K - 1) * p * (1 - p);
    } else {
        plumb__objective_grad(t->obj, t->label[i], t->score[i], g, h);
    }
    if (t->weight) {
        *g *= t->weight[i];
        *h *= t->weight[i];
    }
}

/* Gradients of output k at the current scores, quantized to nearest and packed. The scales map the largest
 * gradient to min(32767, 2^31/rows) and the largest hessian to min(65535, 2^32/rows): 11 bits and more for a
 * million rows (LightGBM's quantized training keeps accuracy with 4). Log-loss (binary and softmax) has |g| <= 1
 * and a bounded hessian, which fixes its scales (times the largest weight) and saves a pass; the others need their
 * largest gradient and hessian first. */
static void gradients(trainer *t, int32_t k, double wmax) {
    const int64_t n = t->n_rows;
    const double gq_max = fmin(32767, floor(2147483647.0 / (double)n)),
                 hq_max = fmin(65535, floor(4294967295.0 / (double)n));
    if (t->K > 1 || t->obj->kind == PLUMB_OBJECTIVE_BINARY) {
        t->sg = gq_max / wmax;
        t->sh = hq_max / (wmax * (t->K > 1 ? (double)t->K / (t->K - 1) / 4 : 0.25));
    } else {
        double gmax = 0, hmax = 0;
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(max : gmax, hmax)
        for (int64_t i = 0; i < n; i++) {
            double g, h;
            row_grad(t, i, k, &g, &h);
            gmax = fmax(gmax, fabs(g));
            hmax = fmax(hmax, h);
        }
        t->sg = gmax > 0 ? gq_max / gmax : 1.0;
        t->sh = hmax > 0 ? hq_max / hmax : 1.0;
    }
    const double sg = t->sg, sh = t->sh;
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t i = 0; i < n; i++) {
        double g, h;
        row_grad(t, i, k, &g, &h);
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

/* -T(G) / (H + l2); 0 where the leaf has no curvature at all (its rows' hessians all quantized to 0, as when a
 * binary target has one class and the scores have run to the end of the logistic) */
static inline double leaf_output(double G, double H, const plumb_gbdt_params *p) {
    double tg = fabs(G) > p->lambda_l1 ? G - copysign(p->lambda_l1, G) : 0.0;
    return H + p->lambda_l2 > 0 ? -tg / (H + p->lambda_l2) : 0.0;
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

/* The constants of one leaf's split search, in quantized units. */
typedef struct search {
    double l1, l2, to_gain;       /* regularisation in quantized units; to_gain turns a quantized score into a gain */
    double per_h, hmin, xlo, xhi; /* rows are estimated as hessian * per_h; bounds of each side */
    double lo, hi;                /* bounds of the children's outputs (real units) */
    bool bounded;                 /* lo or hi is finite, or the feature is monotone: outputs are clamped and checked */
} search;

static search search_init(const trainer *t, const leaf *l) {
    const plumb_gbdt_params *p = t->p;
    const int64_t H = l->h, C = l->c;
    return (search){.l1 = p->lambda_l1 * t->sg,
                    .l2 = p->lambda_l2 * t->sh,
                    .to_gain = t->sh / (t->sg * t->sg),
                    .per_h = H > 0 ? (double)C / (double)H : 0,
                    .hmin = p->min_sum_hessian_in_leaf * t->sh,
                    .xlo = (double)p->min_data_in_leaf - 0.5,
                    .xhi = (double)(C - p->min_data_in_leaf) + 0.5,
                    .lo = l->lo,
                    .hi = l->hi,
                    .bounded = isfinite(l->lo) || isfinite(l->hi)};
}

/* Output of a side with quantized sums (g, h), real units, and the score it buys, -(2 T(g) w + (h + l2) w^2),
 * in quantized units: T(g)^2 / (h + l2) when w is unclamped. */
static inline double q_output(const trainer *t, const search *q, double g, double h, double l2) {
    const double w = -soft(g, q->l1) / (h + l2) * t->sh / t->sg;
    return fmin(fmax(w, q->lo), q->hi);
}

static inline double q_score_at(const trainer *t, const search *q, double g, double h, double l2, double w) {
    const double wq = w * t->sg / t->sh; /* the output in quantized units */
    return -(2 * soft(g, q->l1) * wq + (h + l2) * wq * wq);
}

/* Score (quantized units) of sending (ag, ah) left and the rest of (G, H) right, or -INFINITY when the sides break
 * the row, hessian or monotone constraints; the clamped outputs go to *wl, *wr when bounded. */
static inline double side_score(const trainer *t, const search *q, int64_t ag, int64_t ah, int64_t G, int64_t H,
                                double l2, int monotone, double *wl, double *wr) {
    const double x = (double)ah * q->per_h;
    if (x < q->xlo || x >= q->xhi || (double)ah < q->hmin || (double)(H - ah) < q->hmin)
        return -INFINITY;
    if (!q->bounded && !monotone)
        return q_gain2((double)ag, (double)ah, (double)(G - ag), (double)(H - ah), q->l1, l2);
    *wl = q_output(t, q, (double)ag, (double)ah, l2);
    *wr = q_output(t, q, (double)(G - ag), (double)(H - ah), l2);
    if ((monotone > 0 && *wl > *wr) || (monotone < 0 && *wl < *wr))
        return -INFINITY;
    return q_score_at(t, q, (double)ag, (double)ah, l2, *wl) +
           q_score_at(t, q, (double)(G - ag), (double)(H - ah), l2, *wr);
}

/* Finishes a split: its gain relative to the parent's score, -INFINITY when it gains too little. */
static void finish_split(const trainer *t, const search *q, split *best, double best_score, int64_t G, int64_t H,
                         double l2) {
    double parent = q_gain((double)G, (double)H, q->l1, l2);
    if (q->bounded)
        parent = q_score_at(t, q, (double)G, (double)H, l2, q_output(t, q, (double)G, (double)H, l2));
    best->gain = (best_score - parent) * q->to_gain;
    if (!(best->gain > t->p->min_gain_to_split) || !(best->gain > 0))
        best->gain = -INFINITY;
}

/* Best split of numeric feature f for a leaf with sums (G, H) and histogram h; gain -INFINITY when none.
 * Everything is compared in quantized units, where the gain of XGBoost's eq. 7 is the same up to the constant
 * factor sh / sg^2; the row-count and hessian constraints become bounds on the left hessian sum. */
static split best_of_numeric(const trainer *t, const search *q, int32_t f, const hist_entry *h, int64_t G, int64_t H,
                             int64_t C) {
    split best = {.gain = -INFINITY, .feature = f};
    const int32_t nb = t->features[f].n_bins;
    const int monotone = t->features[f].monotone;
    const int64_t miss_g = packed_g(h[0]), miss_h = packed_h(h[0]);
    double best_score = -INFINITY, wl = 0, wr = 0;
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
            const double score = side_score(t, q, ag, ah, G, H, q->l2, monotone, &wl, &wr);
            if (score > best_score) {
                best_score = score;
                best.bin = (uint16_t)k;
                /* without missing values here, send future ones to the larger side */
                best.missing_left = miss_h == 0 ? 2 * llround((double)ah * q->per_h) >= C : mleft;
                best.lg = ag;
                best.lh = ah;
                best.wl = wl, best.wr = wr;
            }
        }
    }
    finish_split(t, q, &best, best_score, G, H, q->l2);
    return best;
}

/* Best split of categorical feature f: a set of categories (bins) goes left, the rest right, and missing or unseen
 * values (bin 0) to the better side. With few categories, one category against the rest; otherwise the categories
 * with at least min_data_per_group rows are sorted by G / (H + cat_smooth) and every prefix of that order, from
 * either end, of up to max_cat_threshold categories is a candidate (Fisher 1958: for a convex loss the best
 * partition is a prefix of this order; LightGBM's heuristic), with cat_l2 added to the regularisation. */
static split best_of_categorical(const trainer *t, const search *q, int32_t f, const hist_entry *h, int64_t G,
                                 int64_t H, int64_t C) {
    const plumb_gbdt_params *p = t->p;
    split best = {.gain = -INFINITY, .feature = f};
    const int32_t nb = t->features[f].n_bins;
    const int64_t miss_g = packed_g(h[0]), miss_h = packed_h(h[0]);
    const bool onehot = nb - 1 <= p->max_cat_to_onehot;
    const double l2 = onehot ? q->l2 : q->l2 + p->cat_l2 * t->sh, smooth = p->cat_smooth * t->sh;
    /* candidates: non-empty bins with enough rows */
    int32_t n = 0;
    uint16_t *cand = t->cat_scratch + (size_t)f * (size_t)t->stride_cats;
    double *key = t->cat_keys + (size_t)f * (size_t)t->stride_cats;
    for (int32_t k = 1; k < nb; k++) {
        const double rows = (double)packed_h(h[k]) * q->per_h;
        if (h[k] != 0 && (onehot || rows >= (double)p->min_data_per_group)) {
            cand[n] = (uint16_t)k;
            key[n] = (double)packed_g(h[k]) / ((double)packed_h(h[k]) + smooth);
            n++;
        }
    }
    if (n < (onehot ? 1 : 2))
        return best;
    if (!onehot) {
        /* insertion sort by key (ties: bin order): n is at most the categories, sorted once per leaf and feature */
        for (int32_t i = 1; i < n; i++) {
            const uint16_t c = cand[i];
            const double kv = key[i];
            int32_t j = i - 1;
            while (j >= 0 && key[j] > kv) {
                cand[j + 1] = cand[j];
                key[j + 1] = key[j];
                j--;
            }
            cand[j + 1] = c;
            key[j + 1] = kv;
        }
    }
    double best_score = -INFINITY, wl = 0, wr = 0;
    int32_t best_dir = 0, best_len = 0, best_one = -1;
    const int32_t max_len = p->max_cat_threshold < n - 1 ? p->max_cat_threshold : n - 1;
    for (int32_t dir = 0; dir < (onehot ? 1 : 2); dir++) {
        int64_t lsum = 0;
        for (int32_t len = 1; len <= (onehot ? n : max_len); len++) {
            const int32_t c = onehot ? len - 1 : dir == 0 ? len - 1 : n - len;
            if (onehot)
                lsum = 0;
            lsum += h[cand[c]];
            const int64_t lg = packed_g(lsum), lh = packed_h(lsum);
            for (int side = 0; side < 2; side++) {
                const bool mleft = side == 1;
                if (mleft && miss_h == 0)
                    break;
                const int64_t ag = lg + (mleft ? miss_g : 0), ah = lh + (mleft ? miss_h : 0);
                const double score = side_score(t, q, ag, ah, G, H, l2, 0, &wl, &wr);
                if (score > best_score) {
                    best_score = score;
                    best_dir = dir, best_len = len, best_one = onehot ? c : -1;
                    best.missing_left = miss_h == 0 ? 2 * llround((double)ah * q->per_h) >= C : mleft;
                    best.lg = ag;
                    best.lh = ah;
                    best.wl = wl, best.wr = wr;
                }
            }
        }
    }
    if (best_score == -INFINITY)
        return best;
    if (best_one >= 0) {
        best.n_cats = 1;
        best.cats[0] = cand[best_one];
    } else {
        best.n_cats = best_len;
        for (int32_t i = 0; i < best_len; i++)
            best.cats[i] = cand[best_dir == 0 ? i : n - 1 - i];
    }
    finish_split(t, q, &best, best_score, G, H, l2);
    return best;
}

static split best_of_feature(const trainer *t, const leaf *l, int32_t f, const hist_entry *h) {
    search q = search_init(t, l);
    q.bounded |= t->features[f].monotone != 0;
    if (t->features[f].n_categories > 0)
        return best_of_categorical(t, &q, f, h, l->g, l->h, l->c);
    return best_of_numeric(t, &q, f, h, l->g, l->h, l->c);
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
                sb[u] = best_of_feature(t, build, f, bh + o);
            if (split_d)
                sd[u] = best_of_feature(t, derive, f, dh + o);
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
            const bool go_left = goes_left(t, col, s, bits, r);
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

bool plumb__gbdt_tree_alloc(plumb__gbdt_tree *t, int32_t n_leaves) {
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

void plumb__gbdt_tree_free(plumb__gbdt_tree *t) {
    free(t->mem);
    free(t->cat_begin);
    free(t->cat_words);
    free(t->cat_bits);
    memset(t, 0, sizeof *t);
}

bool plumb__gbdt_tree_alloc_cats(plumb__gbdt_tree *t, int32_t n_words) {
    const size_t nn = (size_t)(t->n_leaves > 1 ? t->n_leaves - 1 : 1);
    t->cat_begin = malloc(nn * sizeof *t->cat_begin);
    t->cat_words = calloc(nn, sizeof *t->cat_words);
    t->cat_bits = calloc((size_t)n_words + 1, sizeof *t->cat_bits);
    if (!t->cat_begin || !t->cat_words || !t->cat_bits)
        return false;
    for (size_t i = 0; i < nn; i++)
        t->cat_begin[i] = -1;
    t->n_cat_bits = n_words;
    return true;
}

bool plumb__gbdt_tree_copy(plumb__gbdt_tree *to, const plumb__gbdt_tree *from) {
    memset(to, 0, sizeof *to);
    if (!plumb__gbdt_tree_alloc(to, from->n_leaves))
        return false;
    const size_t nn = (size_t)(from->n_leaves > 1 ? from->n_leaves - 1 : 1), nl = (size_t)from->n_leaves;
    memcpy(to->gain, from->gain, nn * sizeof *to->gain);
    memcpy(to->node_count, from->node_count, nn * sizeof *to->node_count);
    memcpy(to->leaf_value, from->leaf_value, nl * sizeof *to->leaf_value);
    memcpy(to->leaf_count, from->leaf_count, nl * sizeof *to->leaf_count);
    memcpy(to->feature, from->feature, nn * sizeof *to->feature);
    memcpy(to->threshold, from->threshold, nn * sizeof *to->threshold);
    memcpy(to->left, from->left, nn * sizeof *to->left);
    memcpy(to->right, from->right, nn * sizeof *to->right);
    memcpy(to->bin, from->bin, nn * sizeof *to->bin);
    memcpy(to->missing_left, from->missing_left, nn * sizeof *to->missing_left);
    if (from->cat_begin) {
        if (!plumb__gbdt_tree_alloc_cats(to, from->n_cat_bits))
            return false;
        memcpy(to->cat_begin, from->cat_begin, nn * sizeof *to->cat_begin);
        memcpy(to->cat_words, from->cat_words, nn * sizeof *to->cat_words);
        memcpy(to->cat_bits, from->cat_bits, (size_t)from->n_cat_bits * sizeof *to->cat_bits);
    }
    return true;
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
static bool grow_tree(trainer *t, plumb__gbdt_tree *out) {
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
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(+ : sum)
    for (int64_t i = 0; i < t->n_bag; i++)
        sum += t->gh[t->idx[i]];
    const int64_t G = packed_g(sum), H = packed_h(sum);
    L[0] = (leaf){.begin = 0,
                  .end = t->n_bag,
                  .g = G,
                  .h = H,
                  .c = t->n_bag,
                  .parent = -1,
                  .hist = take_slot(t),
                  .lo = -INFINITY,
                  .hi = INFINITY};
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

/* ---------------------------------------------------------------------------------------------------------- */
/* Boosting                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb_gbdt_params_init(plumb_gbdt_params *p) {
    memset(p, 0, sizeof *p);
    p->task = PLUMB_TASK_AUTO;
    p->objective = PLUMB_OBJECTIVE_AUTO;
    p->alpha = 0.9;
    p->num_iterations = 100;
    p->learning_rate = 0.1;
    p->num_leaves = 31;
    p->max_depth = -1;
    p->min_data_in_leaf = 20;
    p->min_sum_hessian_in_leaf = 1e-3;
    p->max_bin = 255;
    p->feature_fraction = 1.0;
    p->bagging_fraction = 1.0;
    p->cat_smooth = 10;
    p->cat_l2 = 10;
    p->min_data_per_group = 100;
    p->max_cat_threshold = 32;
    p->max_cat_to_onehot = 4;
    p->poisson_max_delta_step = 0.7;
}

static const char *const objective_names[] = {"auto",  "binary",  "l2",       "l1",
                                              "huber", "poisson", "quantile", "multiclass"};

const char *plumb_objective_name(plumb_objective o) {
    return (unsigned)o < sizeof objective_names / sizeof *objective_names ? objective_names[o] : "unknown";
}

plumb_status plumb_objective_parse(const char *name, plumb_objective *out, plumb_error *err) {
    for (size_t i = 0; i < sizeof objective_names / sizeof *objective_names; i++)
        if (strcmp(name, objective_names[i]) == 0) {
            *out = (plumb_objective)i;
            return PLUMB_OK;
        }
    return plumb__fail(err, PLUMB_EINVAL,
                       "unknown objective '%s' (expected binary, l2, l1, huber, poisson, quantile or multiclass)",
                       name);
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
    else if ((unsigned)p->task > PLUMB_TASK_MULTICLASS)
        bad = "unknown task";
    else if ((unsigned)p->objective > PLUMB_OBJECTIVE_MULTICLASS)
        bad = "unknown objective";
    else if ((p->objective == PLUMB_OBJECTIVE_QUANTILE && !(p->alpha > 0 && p->alpha < 1)) ||
             (p->objective == PLUMB_OBJECTIVE_HUBER && !(p->alpha > 0 && isfinite(p->alpha))))
        bad = "alpha must be in (0, 1) for quantile and positive for huber";
    else if (!(p->cat_smooth >= 0) || !(p->cat_l2 >= 0) || p->min_data_per_group < 1)
        bad = "cat_smooth and cat_l2 must be at least 0, min_data_per_group at least 1";
    else if (p->max_cat_threshold < 1 || p->max_cat_threshold > PLUMB__MAX_CAT_SET)
        bad = "max_cat_threshold must be between 1 and 64";
    else if (p->max_cat_to_onehot < 1)
        bad = "max_cat_to_onehot must be at least 1";
    else if (!(p->poisson_max_delta_step >= 0) || !isfinite(p->poisson_max_delta_step))
        bad = "poisson_max_delta_step must be at least 0";
    else if (p->n_monotone < 0 || (p->n_monotone > 0 && !p->monotone))
        bad = "monotone constraints: n_monotone without the array";
    return bad ? plumb__fail(err, PLUMB_EINVAL, "%s", bad) : PLUMB_OK;
}

/* The objective the task and parameters ask for, and the task it implies; PLUMB_EINVAL when they disagree. */
static plumb_status resolve_objective(plumb_task *task, plumb_objective *obj, plumb_error *err) {
    if (*obj == PLUMB_OBJECTIVE_AUTO)
        return PLUMB_OK; /* settled once the target is read */
    const plumb_task implied = *obj == PLUMB_OBJECTIVE_BINARY       ? PLUMB_TASK_BINARY
                               : *obj == PLUMB_OBJECTIVE_MULTICLASS ? PLUMB_TASK_MULTICLASS
                                                                    : PLUMB_TASK_REGRESSION;
    if (*task != PLUMB_TASK_AUTO && *task != implied)
        return plumb__fail(err, PLUMB_EINVAL, "objective '%s' does not fit the task", plumb_objective_name(*obj));
    *task = implied;
    return PLUMB_OK;
}

/* The weighted alpha-quantile of pairs p[0..n): the smallest value whose cumulative weight reaches alpha of the
 * total. Sorts the pairs in place. */
static double weighted_quantile(wpair *p, int64_t n, double alpha) {
    if (n == 0)
        return 0;
    qsort(p, (size_t)n, sizeof *p, cmp_wpair);
    double total = 0, cum = 0;
    for (int64_t i = 0; i < n; i++)
        total += p[i].w;
    for (int64_t i = 0; i < n; i++) {
        cum += p[i].w;
        if (cum >= alpha * total)
            return p[i].v;
    }
    return p[n - 1].v;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Adds tree's output (times sign) to output k of the K scores of the n rows binned at bins, by walking the tree. */
static void add_tree(const plumb__gbdt_tree *tree, const void *bins, bool wide, int64_t F, int64_t n, double *score,
                     int32_t K, int32_t k, int nt, double sign) {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; i++) {
        const int32_t at = wide ? plumb__gbdt_tree_leaf_binned16(tree, (const uint16_t *)bins + (size_t)i * (size_t)F)
                                : plumb__gbdt_tree_leaf_binned8(tree, (const uint8_t *)bins + (size_t)i * (size_t)F);
        score[i * K + k] += sign * tree->leaf_value[at];
    }
}

/* L1 and quantile: each leaf's value becomes the (weighted) alpha-quantile of its rows' residuals, clamped to its
 * monotone bounds (LightGBM's RenewTreeOutput): the gradient steps only chose the partition. */
static bool renew_leaves(trainer *t, plumb__gbdt_tree *tree) {
    const double alpha = t->obj->kind == PLUMB_OBJECTIVE_L1 ? 0.5 : t->obj->alpha;
    wpair *pairs = malloc((size_t)(t->n_bag + 1) * sizeof *pairs);
    if (!pairs)
        return false;
    for (int32_t l = 0; l < tree->n_leaves; l++) {
        const leaf *lf = &t->leaves[l];
        int64_t k = 0;
        for (int64_t i = lf->begin; i < lf->end; i++) {
            const uint32_t r = t->idx[i];
            pairs[k++] = (wpair){t->label[r] - t->score[r], t->weight ? t->weight[r] : 1.0};
        }
        const double q = weighted_quantile(pairs, k, alpha);
        tree->leaf_value[l] = t->p->learning_rate * fmin(fmax(q, lf->lo), lf->hi);
    }
    free(pairs);
    return true;
}

static void trainer_free(trainer *t) {
    free(t->bins);
    free(t->colbins);
    free(t->off);
    free(t->label);
    free(t->score);
    free(t->prob);
    free(t->gh);
    free(t->idx);
    free(t->tmp);
    free(t->pool);
    free(t->free_slots);
    free(t->used);
    free(t->scratch);
    free(t->leaves);
    free(t->per_feature);
    free(t->cat_scratch);
    free(t->cat_keys);
    free(t->split_bits);
}

/* The model's features: the training frame's feature columns that gradient boosting reads, or an init model's
 * (whose bins are kept), with their monotone constraints. */
static plumb_status choose_features(plumb__gbdt *m, const plumb_schema *fs, const plumb_gbdt_params *p,
                                    plumb_error *err) {
    const plumb__gbdt *init = p->init_model ? plumb__gbdt_of(p->init_model) : NULL;
    const int64_t n_cols = plumb_schema_n_columns(fs);
    if (!(m->features = calloc((size_t)n_cols + 1, sizeof *m->features)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (init) {
        for (int64_t f = 0; f < init->n_features; f++) {
            plumb__feature *ft = &m->features[m->n_features++];
            *ft = init->features[f];
            ft->edges = NULL;
            if (init->features[f].edges) {
                const size_t bytes = (size_t)(ft->n_bins - 2 > 0 ? ft->n_bins - 2 : 1) * sizeof *ft->edges;
                if (!(ft->edges = malloc(bytes)))
                    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
                memcpy(ft->edges, init->features[f].edges, bytes);
            }
        }
    } else {
        for (int64_t j = 0; j < n_cols; j++) {
            plumb_column_info c;
            plumb_schema_column(fs, j, &c);
            if (c.role != PLUMB_ROLE_FEATURE)
                continue;
            if (c.type == PLUMB_TYPE_NUMERIC || c.type == PLUMB_TYPE_BOOL) {
                m->features[m->n_features++].column = j;
            } else if (c.type == PLUMB_TYPE_CATEGORICAL) {
                if (c.n_categories + 1 > PLUMB__MAX_BINS - 1)
                    return plumb__fail(err, PLUMB_EINVAL, "column '%s' has too many categories", c.name);
                plumb__feature *ft = &m->features[m->n_features++];
                ft->column = j;
                ft->n_categories = (int32_t)(c.n_categories > 0 ? c.n_categories : 1);
                ft->n_bins = ft->n_categories + 1;
            } else {
                plumb__log(PLUMB_LOG_INFO,
                           "column '%s' (%s) is not used: gradient boosting reads numeric, bool and "
                           "categorical features",
                           c.name, plumb_type_name(c.type));
            }
        }
    }
    if (m->n_features == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
    if (m->n_features >= (int64_t)PLUMB__SCAT)
        return plumb__fail(err, PLUMB_EINVAL, "%lld features: gradient boosting takes at most %u",
                           (long long)m->n_features, PLUMB__SCAT - 1);
    for (int i = 0; i < p->n_monotone; i++) {
        const plumb_monotone *mc = &p->monotone[i];
        if (mc->direction == 0)
            continue;
        int64_t f = 0;
        while (f < m->n_features && strcmp(fs->cols[m->features[f].column].name, mc->column) != 0)
            f++;
        if (f == m->n_features)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s', which is not a feature", mc->column);
        if (m->features[f].n_categories > 0)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s': it is categorical, with no order",
                               mc->column);
        if (mc->direction != 1 && mc->direction != -1)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s' must be +1 or -1", mc->column);
        m->features[f].monotone = (int8_t)mc->direction;
    }
    return PLUMB_OK;
}

/* Checks that an init model can be continued with these parameters and data. */
static plumb_status check_init_model(const plumb__gbdt *init, const plumb__gbdt *m, plumb_error *err) {
    if (init->objective.kind != m->objective.kind || init->n_classes != m->n_classes)
        return plumb__fail(err, PLUMB_EINVAL, "the init model's objective is '%s' with %d outputs, not '%s' with %d",
                           plumb_objective_name(init->objective.kind), init->n_classes,
                           plumb_objective_name(m->objective.kind), m->n_classes);
    return PLUMB_OK;
}

plumb_status plumb_gbdt_train(const plumb_frame *train, const plumb_frame *valid, const plumb_gbdt_params *params,
                              plumb_model **out, plumb_error *err) {
    plumb_status st;
    trainer t = {0};
    plumb_model *model = NULL;
    plumb__gbdt *m = NULL;
    plumb__fcol *cols = NULL, *vcols = NULL;
    void *vbins = NULL;
    double *vlabel = NULL, *vscore = NULL;
    const double *vweight = NULL;
    const plumb_model *init_model = params->init_model;
    *out = NULL;
    plumb__error_clear(err);
    if (init_model && init_model->ops != &plumb__gbdt_ops)
        return plumb__fail(err, PLUMB_EINVAL, "the init model is not gradient-boosted trees");
    const plumb__gbdt *init = init_model ? plumb__gbdt_of(init_model) : NULL;
    if ((st = check_params(params, err)) != PLUMB_OK)
        return st;
    const double t0 = now();
    const int64_t target = plumb__target_find(train);
    if (target < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    const int64_t n = plumb_frame_n_rows(train);
    if (n >= (int64_t)UINT32_MAX)
        return plumb__fail(err, PLUMB_EINVAL, "more than %u training rows", UINT32_MAX - 1);
    if (n == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no training rows");

    if (!(model = plumb__model_new(&plumb__gbdt_ops)) || !(m = model->impl = calloc(1, sizeof *m)) ||
        !(model->schema = plumb__schema_copy(init_model ? init_model->schema : plumb_frame_schema(train), false)))
        goto nomem;
    m->params = *params;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    m->params.positive_class = NULL;
    m->params.metric = NULL;
    m->params.monotone = NULL;
    m->params.n_monotone = 0;
    m->params.init_model = NULL;
    model->task = params->task;
    plumb_objective okind = params->objective;
    if ((st = resolve_objective(&model->task, &okind, err)) != PLUMB_OK)
        goto done;

    t.p = &m->params;
    t.nt = plumb__threads(params->n_threads);
    t.n_rows = n;
    if (!(t.label = malloc((size_t)n * sizeof *t.label)))
        goto nomem;
    if ((st = plumb__target_labels(train, target, &model->task, params->positive_class, t.label, &m->n_classes, err)) !=
        PLUMB_OK)
        goto done;
    model->n_outputs = m->n_classes;
    if (okind == PLUMB_OBJECTIVE_AUTO)
        okind = model->task == PLUMB_TASK_BINARY       ? PLUMB_OBJECTIVE_BINARY
                : model->task == PLUMB_TASK_MULTICLASS ? PLUMB_OBJECTIVE_MULTICLASS
                                                       : PLUMB_OBJECTIVE_L2;
    m->objective = (plumb__objective){okind, params->alpha, params->poisson_max_delta_step};
    m->params.objective = okind;
    m->params.task = model->task;
    t.obj = &m->objective;
    t.K = m->n_classes;
    if (okind == PLUMB_OBJECTIVE_POISSON)
        for (int64_t i = 0; i < n; i++)
            if (t.label[i] < 0) {
                st = plumb__fail(err, PLUMB_EINVAL, "poisson needs targets >= 0: %g in data row %lld", t.label[i],
                                 (long long)i + 1);
                goto done;
            }
    plumb__metric metric = plumb__metric_default(&m->objective, t.K);
    if (params->metric && (st = plumb__metric_parse(params->metric, &m->objective, t.K, &metric, err)) != PLUMB_OK)
        goto done;
    snprintf(m->metric, sizeof m->metric, "%s", plumb__metric_name(metric));
    double wmax = 1;
    if ((st = plumb__weights(train, &t.weight, NULL, &wmax, err)) != PLUMB_OK)
        goto done;
    if (init && (st = check_init_model(init, m, err)) != PLUMB_OK)
        goto done;
    if ((st = choose_features(m, model->schema, params, err)) != PLUMB_OK)
        goto done;
    if (!plumb__gbdt_set_features(model, m))
        goto nomem;
    t.F = m->n_features;
    t.features = m->features;
    if ((st = plumb__model_bind(model, train, &cols, err)) != PLUMB_OK)
        goto done;
    if (params->positive_class && plumb_frame_codes(train, target)) { /* read_labels checked the name */
        plumb_column_info tc;
        plumb_schema_column(plumb_frame_schema(train), target, &tc);
        model->positive_first = strcmp(params->positive_class, tc.categories[0]) == 0;
    }
    if (init)
        model->positive_first = init_model->positive_first;
    if ((st = make_bins(&t, cols, !init, err)) != PLUMB_OK)
        goto done;
    m->wide = t.wide;
    for (int64_t f = 0; f < t.F; f++) {
        if (t.features[f].n_categories > 0 && t.features[f].n_bins > t.stride_cats)
            t.stride_cats = t.features[f].n_bins;
        t.constrained |= t.features[f].monotone != 0;
    }
    if (t.constrained && t.K > 1) {
        st = plumb__fail(err, PLUMB_EINVAL, "monotone constraints need a binary or regression model");
        goto done;
    }

    const int32_t NL = params->num_leaves, K = t.K;
    const double pool_gib = (double)NL * (double)t.total_bins * sizeof(hist_entry) / (1 << 30);
    if (pool_gib > 4) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "%d leaves of %lld histogram bins need %.1f GiB: lower max_bin or num_leaves", NL,
                         (long long)t.total_bins, pool_gib);
        goto done;
    }
    if (!(t.score = malloc((size_t)n * (size_t)K * sizeof *t.score)) ||
        (K > 1 && !(t.prob = malloc((size_t)n * (size_t)K * sizeof *t.prob))) ||
        !(t.gh = malloc((size_t)n * sizeof *t.gh)) || !(t.idx = malloc((size_t)n * sizeof *t.idx)) ||
        !(t.tmp = malloc((size_t)n * sizeof *t.tmp)) ||
        !(t.pool = malloc((size_t)NL * (size_t)t.total_bins * sizeof *t.pool)) ||
        !(t.free_slots = malloc((size_t)NL * sizeof *t.free_slots)) ||
        !(t.used = malloc((size_t)t.F * sizeof *t.used)) || !(t.leaves = malloc((size_t)NL * sizeof *t.leaves)) ||
        !(t.per_feature = malloc(2 * (size_t)t.F * sizeof *t.per_feature)) ||
        !(t.scratch = malloc((size_t)(t.nt > 1 ? t.nt - 1 : 1) * (size_t)t.total_bins * sizeof *t.scratch)) ||
        !(t.cat_scratch = malloc((size_t)(t.F * t.stride_cats + 1) * sizeof *t.cat_scratch)) ||
        !(t.cat_keys = malloc((size_t)(t.F * t.stride_cats + 1) * sizeof *t.cat_keys)) ||
        !(t.split_bits = malloc((size_t)(t.stride_cats / 32 + 2) * sizeof *t.split_bits)) ||
        !(m->init_score = calloc((size_t)K, sizeof *m->init_score)))
        goto nomem;

    /* initial scores: an init model's predictions, or the best constant (log-odds of the mean, log of the class
     * shares, log of the mean, median, alpha-quantile, mean) */
    if (init) {
        memcpy(m->init_score, init->init_score, (size_t)K * sizeof *m->init_score);
        if ((st = plumb_model_predict(init_model, train, &(plumb_predict_options){.threads = t.nt, .raw = true},
                                      t.score, err)) != PLUMB_OK)
            goto done;
    } else {
        double wsum = 0, mean = 0;
        for (int64_t i = 0; i < n; i++) {
            const double w = t.weight ? t.weight[i] : 1.0;
            wsum += w;
            if (K > 1)
                m->init_score[(int32_t)t.label[i]] += w;
            else
                mean += w * t.label[i];
        }
        mean /= wsum;
        if (okind == PLUMB_OBJECTIVE_L1 || okind == PLUMB_OBJECTIVE_QUANTILE) {
            wpair *pairs = malloc((size_t)n * sizeof *pairs);
            if (!pairs)
                goto nomem;
            for (int64_t i = 0; i < n; i++)
                pairs[i] = (wpair){t.label[i], t.weight ? t.weight[i] : 1.0};
            m->init_score[0] = weighted_quantile(pairs, n, okind == PLUMB_OBJECTIVE_L1 ? 0.5 : params->alpha);
            free(pairs);
        } else if (K > 1) {
            for (int32_t k = 0; k < K; k++)
                m->init_score[k] = log(fmax(m->init_score[k] / wsum, 1e-15));
        } else if (okind == PLUMB_OBJECTIVE_BINARY) {
            const double pm = fmin(fmax(mean, 1e-15), 1 - 1e-15);
            m->init_score[0] = log(pm / (1 - pm));
        } else if (okind == PLUMB_OBJECTIVE_POISSON) {
            m->init_score[0] = log(fmax(mean, 1e-15));
        } else {
            m->init_score[0] = mean;
        }
        for (int64_t i = 0; i < n; i++)
            for (int32_t k = 0; k < K; k++)
                t.score[i * K + k] = m->init_score[k];
    }

    /* validation data, binned with the training edges */
    int64_t vn = 0;
    if (valid) {
        const int64_t vt = plumb__target_find(valid);
        vn = plumb_frame_n_rows(valid);
        if (vt < 0) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "validation data has no target column");
            goto done;
        }
        if (!(vlabel = malloc((size_t)(vn + 1) * sizeof *vlabel)) ||
            !(vscore = malloc((size_t)(vn * K + 1) * sizeof *vscore)) ||
            !(vbins = malloc((size_t)(vn * t.F) * (t.wide ? 2 : 1) + 1)))
            goto nomem;
        if ((st = plumb__model_bind(model, valid, &vcols, err)) != PLUMB_OK)
            goto done;
        plumb_task vtask = model->task;
        int32_t vk;
        double vwmax;
        if ((st = plumb__target_labels(valid, vt, &vtask, params->positive_class, vlabel, &vk, err)) != PLUMB_OK ||
            (st = plumb__weights(valid, &vweight, NULL, &vwmax, err)) != PLUMB_OK)
            goto done;
        if (vk != K) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "validation target has %d classes, training target %d", vk, K);
            goto done;
        }
        plumb__bin_rows(t.features, t.F, vcols, vn, vbins, t.wide, t.nt);
        if (init) {
            if ((st = plumb_model_predict(init_model, valid, &(plumb_predict_options){.threads = t.nt, .raw = true},
                                          vscore, err)) != PLUMB_OK)
                goto done;
        } else {
            for (int64_t i = 0; i < vn; i++)
                for (int32_t k = 0; k < K; k++)
                    vscore[i * K + k] = m->init_score[k];
        }
    }

    /* the init model's trees come first */
    const int64_t iters = params->num_iterations, n_init = init ? init->n_trees : 0;
    if (!(m->trees = calloc((size_t)(n_init + iters * K), sizeof *m->trees)) ||
        (valid && !(m->valid_metric = malloc((size_t)iters * sizeof *m->valid_metric))))
        goto nomem;
    for (int64_t k = 0; k < n_init; k++) {
        if (!plumb__gbdt_tree_copy(&m->trees[k], &init->trees[k]))
            goto nomem;
        m->n_trees = k + 1;
    }
    m->init_iterations = init ? init->init_iterations + init->best_iteration : 0;

    const bool higher_better = plumb__metric_higher_better(metric);
    const bool renew = okind == PLUMB_OBJECTIVE_L1 || okind == PLUMB_OBJECTIVE_QUANTILE;
    double best_valid = higher_better ? -INFINITY : INFINITY;
    int64_t best_iter = 0;
    for (int64_t it = 0; it < iters; it++) {
        if (K > 1)
            softmax_rows(&t);
        /* features of this iteration's trees */
        int64_t nf = (int64_t)llround((double)t.F * params->feature_fraction);
        nf = nf < 1 ? 1 : nf > t.F ? t.F : nf;
        t.n_used = 0;
        for (int64_t chosen = 0, f = 0; f < t.F; f++) {
            /* selection sampling (Knuth's algorithm S): each feature kept with probability needed/remaining */
            if (nf == t.F ||
                uniform(params->seed, 2 * (uint64_t)it + 2, (uint64_t)f) * (double)(t.F - f) < (double)(nf - chosen)) {
                t.used[t.n_used++] = (int32_t)f;
                chosen++;
            }
        }
        for (int32_t k = 0; k < K; k++) {
            gradients(&t, k, wmax);
            /* rows of this tree, ascending: a new bag every bagging_freq iterations (the same for every class) */
            if (params->bagging_freq > 0 && params->bagging_fraction < 1) {
                const int64_t bag_it = it - it % params->bagging_freq;
                t.n_bag = 0;
                for (int64_t i = 0; i < n; i++)
                    if (uniform(params->seed, 2 * (uint64_t)bag_it + 1, (uint64_t)i) < params->bagging_fraction)
                        t.idx[t.n_bag++] = (uint32_t)i;
                if (t.n_bag == 0)
                    t.idx[t.n_bag++] = 0;
            } else {
                for (int64_t i = 0; i < n; i++)
                    t.idx[i] = (uint32_t)i;
                t.n_bag = n;
            }
            plumb__gbdt_tree *tree = &m->trees[m->n_trees];
            if (!grow_tree(&t, tree))
                goto nomem;
            m->n_trees++;
            if (renew && !renew_leaves(&t, tree))
                goto nomem;
            if (t.n_bag == n) {
                /* every row sits in a leaf's range of idx: add the leaf values directly */
                for (int32_t l = 0; l < tree->n_leaves; l++) {
                    const double v = tree->leaf_value[l];
                    const leaf *lf = &t.leaves[l];
#pragma omp parallel for schedule(static) num_threads(t.nt) if (lf->c >= PAR_ROWS)
                    for (int64_t i = lf->begin; i < lf->end; i++) {
                        if (i + PREFETCH_ROWS < lf->end)
                            __builtin_prefetch(t.score + (size_t)t.idx[i + PREFETCH_ROWS] * (size_t)K, 1);
                        t.score[(size_t)t.idx[i] * (size_t)K + (size_t)k] += v;
                    }
                }
            } else {
                add_tree(tree, t.bins, t.wide, t.F, n, t.score, K, k, t.nt, 1);
            }
            if (valid)
                add_tree(tree, vbins, t.wide, t.F, vn, vscore, K, k, t.nt, 1);
        }
        double vmetric = NAN;
        if (valid) {
            vmetric = plumb__metric_eval(metric, &m->objective, K, vlabel, vweight, vscore, vn, t.nt);
            m->valid_metric[it] = vmetric;
            if (higher_better ? vmetric > best_valid : vmetric < best_valid) {
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
                                       .metric = m->metric,
                                       .valid_metric = vmetric,
                                       .elapsed_seconds = now() - t0};
            params->progress(&pr, params->progress_user);
        }
        if (last)
            break;
    }
    /* keep the trees up to the best validation iteration; the training metric (a pass over every row, so
     * computed once) is that of the trees kept */
    m->best_iteration = valid && params->early_stopping_rounds > 0 && best_iter > 0 ? best_iter : m->n_iterations;
    for (int64_t i = n_init + m->best_iteration * K; i < m->n_trees; i++) {
        add_tree(&m->trees[i], t.bins, t.wide, t.F, n, t.score, K, (int32_t)((i - n_init) % K), t.nt, -1);
        plumb__gbdt_tree_free(&m->trees[i]);
    }
    m->n_trees = n_init + m->best_iteration * K;
    m->train_metric = plumb__metric_eval(metric, &m->objective, K, t.label, t.weight, t.score, n, t.nt);
    plumb__model_stamp(model, train);
    if (!plumb__gbdt_prepare(m))
        goto nomem;
    *out = model;
    model = NULL;
    st = PLUMB_OK;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    trainer_free(&t);
    plumb__sources_free(cols, t.F);
    plumb__sources_free(vcols, t.F);
    free(vbins);
    free(vlabel);
    free(vscore);
    plumb_model_free(model);
    return st;
}
