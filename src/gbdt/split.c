/* split.c -- the best split of one leaf on one feature, from its histogram: a threshold for numeric features, a
 * set of categories for categorical ones, and the side that missing values take.
 *
 * Candidates are scored in the quantized units of the histogram (train.h); the row-count and hessian limits and
 * the monotone bounds are checked on each candidate, and the gain is turned into real units once at the end.
 */
#include "train.h"

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
        if ((double)lh * q->per_h >= q->xhi)
            break; /* the right side is already too small, on either side of the missing values, and only shrinks */
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

split plumb__gbdt_best_split(const trainer *t, const leaf *l, int32_t f, const hist_entry *h) {
    search q = search_init(t, l);
    q.bounded |= t->features[f].monotone != 0;
    if (t->features[f].n_categories > 0)
        return best_of_categorical(t, &q, f, h, l->g, l->h, l->c);
    return best_of_numeric(t, &q, f, h, l->g, l->h, l->c);
}
