/* explain.c -- what a gradient-boosted model uses: split importance, and per-row contributions by TreeSHAP.
 *
 * TreeSHAP (Lundberg, Erion & Lee, "Consistent individualized feature attribution for tree ensembles", 2018,
 * Algorithm 2) gives each feature its Shapley value for the value function v(S) = the tree's expected output when
 * the features in S are fixed to the row's values and the others follow the training data down both branches in
 * proportion to the rows that went each way (the covers). It walks every root-to-leaf path once, keeping for the
 * distinct features on the path the share of subsets in which the path is followed with the feature fixed (one)
 * or free (zero), so a tree of depth D costs O(leaves x D^2) per row instead of 2^features. Contributions of all
 * features plus the expected output (the bias) add up to the raw score exactly.
 */
#include "gbdt.h"

#include <stdlib.h>
#include <string.h>

plumb_status plumb__gbdt_importance(const plumb_model *model, plumb_importance *out, plumb_error *err) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    (void)err;
    memset(out, 0, (size_t)m->n_features * sizeof *out);
    for (int64_t k = 0; k < m->n_trees; k++) {
        const plumb__gbdt_tree *t = &m->trees[k];
        for (int32_t i = 0; i < t->n_leaves - 1; i++) {
            out[t->feature[i]].gain += t->gain[i];
            out[t->feature[i]].splits++;
        }
    }
    return PLUMB_OK;
}

typedef struct path_elem {
    int32_t feature;      /* -1 for the root's placeholder */
    double zero_fraction; /* share of the cover that follows this path with the feature free */
    double one_fraction;  /* 1 when the row follows this path with the feature fixed, else 0 */
    double weight;        /* the permutation weight of subsets of this size */
} path_elem;

/* Adds a feature to the path of depth d (elements 0..d-1 exist; element d is new). */
static void extend(path_elem *p, int32_t d, double zero, double one, int32_t feature) {
    p[d] = (path_elem){feature, zero, one, d == 0 ? 1.0 : 0.0};
    for (int32_t i = d - 1; i >= 0; i--) {
        p[i + 1].weight += one * p[i].weight * (i + 1) / (double)(d + 1);
        p[i].weight = zero * p[i].weight * (d - i) / (double)(d + 1);
    }
}

/* Removes element at from the path of depth d (elements 0..d), undoing its extend. */
static void unwind(path_elem *p, int32_t d, int32_t at) {
    const double one = p[at].one_fraction, zero = p[at].zero_fraction;
    double next = p[d].weight;
    for (int32_t i = d - 1; i >= 0; i--) {
        if (one != 0) {
            const double tmp = p[i].weight;
            p[i].weight = next * (d + 1) / ((i + 1) * one);
            next = tmp - p[i].weight * zero * (d - i) / (double)(d + 1);
        } else {
            p[i].weight = p[i].weight * (d + 1) / (zero * (d - i));
        }
    }
    for (int32_t i = at; i < d; i++) {
        p[i].feature = p[i + 1].feature;
        p[i].zero_fraction = p[i + 1].zero_fraction;
        p[i].one_fraction = p[i + 1].one_fraction;
    }
}

/* The total weight the path of depth d would have with element at removed, without changing it. */
static double unwound_sum(const path_elem *p, int32_t d, int32_t at) {
    const double one = p[at].one_fraction, zero = p[at].zero_fraction;
    double next = p[d].weight, total = 0;
    for (int32_t i = d - 1; i >= 0; i--) {
        if (one != 0) {
            const double tmp = next * (d + 1) / ((i + 1) * one);
            total += tmp;
            next = p[i].weight - tmp * zero * (d - i) / (double)(d + 1);
        } else {
            total += p[i].weight / zero * (d + 1) / (double)(d - i);
        }
    }
    return total;
}

typedef struct shap_ctx {
    const plumb__gbdt_tree *t;
    const uint16_t *bins; /* the row's bins, one per model feature */
    double *phi;          /* per feature, added to */
} shap_ctx;

static double cover(const plumb__gbdt_tree *t, int32_t c) {
    return (double)(c >= 0 ? t->node_count[c] : t->leaf_count[~c]);
}

/* Visits node c (an internal node >= 0 or ~leaf) with the parent's path of depth d at parent (d + 1 elements);
 * this node's path is built right after it. */
static void recurse(const shap_ctx *x, int32_t c, const path_elem *parent, int32_t d, double zero, double one,
                    int32_t feature) {
    path_elem *p = (path_elem *)parent + d + 1;
    if (d >= 0)
        memcpy(p, parent, (size_t)(d + 1) * sizeof *p);
    d++;
    extend(p, d, zero, one, feature);
    const plumb__gbdt_tree *t = x->t;
    if (c < 0) {
        const double v = t->leaf_value[~c];
        for (int32_t i = 1; i <= d; i++)
            x->phi[p[i].feature] += unwound_sum(p, d, i) * (p[i].one_fraction - p[i].zero_fraction) * v;
        return;
    }
    const int32_t f = t->feature[c];
    const bool left = plumb__gbdt_tree_left(t, c, x->bins[f]);
    const int32_t hot = left ? t->left[c] : t->right[c], cold = left ? t->right[c] : t->left[c];
    const double here = cover(t, c);
    double in_zero = 1, in_one = 1;
    /* a feature met again on the path: its earlier element is taken out and its fractions carried over */
    for (int32_t i = 1; i <= d; i++)
        if (p[i].feature == f) {
            in_zero = p[i].zero_fraction;
            in_one = p[i].one_fraction;
            unwind(p, d, i);
            d--;
            break;
        }
    recurse(x, hot, p, d, cover(t, hot) / here * in_zero, in_one, f);
    recurse(x, cold, p, d, cover(t, cold) / here * in_zero, 0, f);
}

static int32_t tree_depth(const plumb__gbdt_tree *t, int32_t c) {
    if (c < 0)
        return 0;
    const int32_t l = tree_depth(t, t->left[c]), r = tree_depth(t, t->right[c]);
    return 1 + (l > r ? l : r);
}

/* The tree's expected output over the training rows: its leaves weighted by their covers. */
static double expected_value(const plumb__gbdt_tree *t) {
    double sum = 0, n = 0;
    for (int32_t l = 0; l < t->n_leaves; l++) {
        sum += t->leaf_value[l] * (double)t->leaf_count[l];
        n += (double)t->leaf_count[l];
    }
    return n > 0 ? sum / n : 0;
}

plumb_status plumb__gbdt_contrib(const plumb_model *model, const plumb_frame *frame, int threads, double *out,
                                 plumb_error *err) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    const int64_t F = m->n_features, K = m->n_classes, n = plumb_frame_n_rows(frame), W = F + 1;
    (void)threads; /* unused without OpenMP */
    plumb__fcol *cols = NULL;
    double *bias = calloc((size_t)K, sizeof *bias);
    plumb_status st = PLUMB_OK;
    if (!bias) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = plumb__model_bind(model, frame, &cols, err)) != PLUMB_OK)
        goto done;
    int32_t depth = 0;
    for (int64_t k = 0; k < m->n_trees; k++) {
        const plumb__gbdt_tree *t = &m->trees[k];
        const int32_t dk = t->n_leaves > 1 ? tree_depth(t, 0) : 0;
        depth = dk > depth ? dk : depth;
    }
    for (int64_t k = 0; k < K; k++)
        bias[k] = m->init_score[k];
    for (int64_t k = 0; k < m->n_trees; k++)
        bias[k % K] += expected_value(&m->trees[k]);
    /* path storage: one path per level of the recursion, each one longer than its parent's */
    const size_t path_len = (size_t)(depth + 2) * (size_t)(depth + 3) / 2 + 1;
    bool ok = true;
#pragma omp parallel num_threads(plumb__threads(threads)) reduction(&& : ok)
    {
        path_elem *path = malloc(path_len * sizeof *path);
        uint16_t *bins = malloc((size_t)(F + 1) * sizeof *bins);
        ok = path && bins;
#pragma omp for schedule(dynamic, 64)
        for (int64_t i = 0; i < n; i++) {
            if (!path || !bins)
                continue;
            for (int64_t f = 0; f < F; f++)
                bins[f] = plumb__feature_bin(&m->features[f], &cols[f], i);
            double *row = out + i * K * W;
            memset(row, 0, (size_t)(K * W) * sizeof *row);
            for (int64_t k = 0; k < K; k++)
                row[k * W + F] = bias[k];
            for (int64_t k = 0; k < m->n_trees; k++) {
                const plumb__gbdt_tree *t = &m->trees[k];
                if (t->n_leaves < 2)
                    continue;
                const shap_ctx x = {t, bins, row + (k % K) * W};
                recurse(&x, 0, path, -1, 1, 1, -1);
            }
        }
        free(path);
        free(bins);
    }
    if (!ok)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb__sources_free(cols, F);
    free(bias);
    return st;
}
