/* bin.c -- the bins of gradient boosting: edges chosen from a sample of each numeric feature, and the binned
 * matrix (row-major for histogram builds, a column-major copy for partitions).
 *
 * Edges cut between distinct sample values: every distinct value its own bin when they fit in max_bin, else bins
 * of about equal (weighted) count. Categorical features need no edges: category c is bin c + 1. Bin 0 is missing.
 */
#include "train.h"

#include <stdlib.h>

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
    (void)nt;                   /* unused without OpenMP */
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

int plumb__gbdt_wpair_cmp(const void *a, const void *b) {
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
        const float x = plumb__source_value(c, i);
        if (x == x)
            pair[k++] = (wpair){x, weight ? (float)weight[i] : 1.0f}; /* weights at float precision, as the values */
    }
    if (weight)
        qsort(pair, (size_t)k, sizeof *pair, plumb__gbdt_wpair_cmp);
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

plumb_status plumb__gbdt_make_bins(trainer *t, const plumb__fcol *cols, bool fresh, plumb_error *err) {
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
