/* calibrate.c -- probability calibration: isotonic regression and Platt scaling, fitted on held-out scores.
 *
 * Isotonic regression follows sklearn's IsotonicRegression(out_of_bounds="clip"): rows of weight 0 are dropped,
 * the rest sorted by score then label, scores closer than 1e-15 to the first of their run are merged into one
 * point (weighted mean label, summed weight; sklearn's _make_unique), the pool-adjacent-violators algorithm makes
 * the labels non-decreasing, and points equal to both neighbours are dropped. Applying clips a score to the fitted
 * range and interpolates linearly between the points as scipy's interp1d does. plumb__calibrate_center turns that
 * fit into centred isotonic regression for model calibration (no probability of exactly 0 or 1).
 *
 * Platt scaling fits p = 1 / (1 + exp(a s + b)) by minimising the weighted log-loss against Platt's smoothed
 * targets, t+ = (N+ + 1) / (N+ + 2) for positives and t- = 1 / (N- + 2) for negatives (N = weight of each class),
 * as sklearn's _sigmoid_calibration does: smoothing keeps a and b finite when the scores separate the classes.
 * sklearn minimises with BFGS to a gradient of 1e-5; here Newton's method with a backtracking line search (Lin,
 * Lin and Weng, "A note on Platt's probabilistic outputs", 2007) goes to the exact optimum of the same objective.
 */
#include "eval.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define SMOOTH_PRIOR_P 0.5
#define SMOOTH_PRIOR_N 2
#define CENTER 0

void plumb__calibrate_free(plumb__calibrator *c) {
    if (!c)
        return;
    free(c->x);
    free(c->y);
    free(c);
}

/* log(1 + exp(z)) without overflow */
static double softplus(double z) {
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* 1 / (1 + exp(z)) without overflow */
static double sigmoid_neg(double z) {
    if (z >= 0) {
        const double e = exp(-z);
        return e / (1 + e);
    }
    return 1 / (1 + exp(z));
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Isotonic regression                                                                                         */
/* ---------------------------------------------------------------------------------------------------------- */

/* Pool adjacent violators in place on y (weights w) of n points: afterwards y is the non-decreasing sequence
 * nearest to the input in weighted squared error. A block is pooled with its left neighbour while the neighbour's
 * value is >= its own (as sklearn does, equal values are pooled too). Blocks live on a stack: start index, weight,
 * weighted sum. O(n). */
static void pava(double *y, const double *w, int64_t n, int64_t *start, double *bw, double *bs) {
    int64_t top = 0;
    for (int64_t i = 0; i < n; i++) {
        start[top] = i;
        bw[top] = w[i];
        bs[top] = w[i] * y[i];
        top++;
        while (top > 1 && bs[top - 2] / bw[top - 2] >= bs[top - 1] / bw[top - 1]) {
            bw[top - 2] += bw[top - 1];
            bs[top - 2] += bs[top - 1];
            top--;
        }
    }
    for (int64_t b = 0; b < top; b++) {
        const int64_t end = b + 1 < top ? start[b + 1] : n;
        const double v = bs[b] / bw[b];
        for (int64_t i = start[b]; i < end; i++)
            y[i] = v;
    }
}

static plumb_status fit_isotonic(plumb__calibrator *c, const double *score, const double *label, const double *weight,
                                 int64_t n, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    int64_t *by_label = malloc((size_t)n * sizeof *by_label), *order = malloc((size_t)n * sizeof *order);
    int64_t *stack = malloc((size_t)n * sizeof *stack);
    double *tmp = malloc((size_t)n * sizeof *tmp), *ux = malloc((size_t)n * sizeof *ux);
    double *uy = malloc((size_t)n * sizeof *uy), *uw = malloc((size_t)n * sizeof *uw);
    double *bw = malloc((size_t)n * sizeof *bw), *bs = malloc((size_t)n * sizeof *bs);
    if (!by_label || !order || !stack || !tmp || !ux || !uy || !uw || !bw || !bs)
        goto nomem;
    /* the rows of positive weight, sorted by score then label (numpy.lexsort((y, X))): a stable sort by score of
     * the rows sorted by label */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!weight || weight[i] > 0)
            by_label[m++] = i;
    for (int64_t i = 0; i < m; i++)
        tmp[i] = label[by_label[i]];
    if (!plumb__sort_doubles(tmp, m, order))
        goto nomem;
    for (int64_t i = 0; i < m; i++)
        stack[i] = by_label[order[i]];
    memcpy(by_label, stack, (size_t)m * sizeof *by_label);
    for (int64_t i = 0; i < m; i++)
        tmp[i] = score[by_label[i]];
    if (!plumb__sort_doubles(tmp, m, order))
        goto nomem;
    /* merge scores within 1e-15 of the first of their run */
    int64_t u = -1;
    double first = 0, sw = 0, swy = 0;
    for (int64_t k = 0; k < m; k++) {
        const int64_t r = by_label[order[k]];
        const double x = score[r], wt = weight ? weight[r] : 1.0;
        if (u < 0 || x - first >= 1e-15) {
            if (u >= 0) {
                uy[u] = swy / sw;
                uw[u] = sw;
            }
            ux[++u] = first = x;
            sw = swy = 0;
        }
        sw += wt;
        swy += label[r] * wt;
    }
    uy[u] = swy / sw;
    uw[u] = sw;
    const int64_t nu = u + 1;
    pava(uy, uw, nu, stack, bw, bs);
    /* keep the ends and every point that differs from a neighbour */
    if (!(c->x = malloc((size_t)nu * sizeof *c->x)) || !(c->y = malloc((size_t)nu * sizeof *c->y)))
        goto nomem;
    int64_t kept = 0;
    for (int64_t i = 0; i < nu; i++) {
        if (i == 0 || i == nu - 1 || uy[i] != uy[i - 1] || uy[i] != uy[i + 1]) {
            c->x[kept] = ux[i];
            c->y[kept] = uy[i];
            kept++;
        }
    }
    c->n = kept;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    free(by_label);
    free(order);
    free(stack);
    free(tmp);
    free(ux);
    free(uy);
    free(uw);
    free(bw);
    free(bs);
    return st;
}

static double apply_isotonic(const plumb__calibrator *c, double s) {
    const int64_t n = c->n;
    if (n == 1)
        return c->y[0];
    s = fmin(fmax(s, c->x[0]), c->x[n - 1]);
    /* scipy interp1d: hi = searchsorted(x, s, side="left") clipped to [1, n-1] */
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (c->x[mid] < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    hi = lo < 1 ? 1 : lo > n - 1 ? n - 1 : lo;
    lo = hi - 1;
    const double slope = (c->y[hi] - c->y[lo]) / (c->x[hi] - c->x[lo]);
    return slope * (s - c->x[lo]) + c->y[lo];
}

void plumb__calibrate_center(plumb__calibrator *c, const double *score, const double *weight, int64_t n) {
    if (c->kind != PLUMB__CALIBRATE_ISOTONIC)
        return;
    double wsum = 0;
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++)
        if (!weight || weight[i] > 0) {
            used++;
            wsum += weight ? weight[i] : 1.0;
        }
    if (used == 0)
        return;
    const double unit = wsum / (double)used; /* weights in units of the mean row */
    /* a block is a run of equal fitted values (only its first and last point are kept); its rows are those scored
     * from its first point to its last, the outer blocks reaching to the ends */
    int64_t m = 0;
    for (int64_t b0 = 0; b0 < c->n;) {
        int64_t b1 = b0;
        while (b1 + 1 < c->n && c->y[b1 + 1] == c->y[b0])
            b1++;
        double w = 0, ws = 0;
        for (int64_t i = 0; i < n; i++) {
            const double wi = weight ? weight[i] : 1.0;
            if (wi > 0 && (b0 == 0 || score[i] >= c->x[b0]) && (b1 == c->n - 1 || score[i] < c->x[b1] + 1e-15)) {
                w += wi;
                ws += wi * score[i];
            }
        }
        /* Krichevsky-Trofimov: half a row of each class, (k + 1/2) / (n + 1) */
        const double v = (c->y[b0] * w / unit + 0.5) / (w / unit + 1);
        c->x[m] = w > 0 ? ws / w : c->x[b0];
        c->y[m++] = v;
        b0 = b1 + 1;
    }
    c->n = m;
    for (int64_t k = 1; k < c->n; k++) /* shrinking can cross neighbours: keep the map non-decreasing */
        if (c->y[k] < c->y[k - 1])
            c->y[k] = c->y[k - 1];
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Platt scaling                                                                                               */
/* ---------------------------------------------------------------------------------------------------------- */

/* The objective: sum w (softplus(z) - (1 - t) z) with z = a s + b, which is the log-loss of p = 1 / (1 + e^z)
 * against targets t. */
static double platt_loss(const double *s, const double *t, const double *w, int64_t n, double a, double b) {
    double f = 0;
    for (int64_t i = 0; i < n; i++) {
        const double z = a * s[i] + b;
        f += (w ? w[i] : 1.0) * (softplus(z) - (1 - t[i]) * z);
    }
    return f;
}

static plumb_status fit_platt(plumb__calibrator *c, const double *score, const double *label, const double *weight,
                              int64_t n, plumb_error *err) {
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    double prior0 = 0, prior1 = 0;
    for (int64_t i = 0; i < n; i++) {
        const double w = weight ? weight[i] : 1.0;
        if (label[i] > 0)
            prior1 += w;
        else
            prior0 += w;
    }
    const double hi = (prior1 + 1) / (prior1 + 2), lo = 1 / (prior0 + 2);
    for (int64_t i = 0; i < n; i++)
        t[i] = label[i] > 0 ? hi : lo;
    double a = 0, b = log((prior0 + 1) / (prior1 + 1));
    double f = platt_loss(score, t, weight, n, a, b);
    for (int it = 0; it < 200; it++) {
        /* gradient and Hessian; dL/dz = t - p, d2L/dz2 = p (1 - p) */
        double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
        for (int64_t i = 0; i < n; i++) {
            const double w = weight ? weight[i] : 1.0, s = score[i];
            const double p = sigmoid_neg(a * s + b), d = w * (t[i] - p), h = w * p * (1 - p);
            ga += d * s;
            gb += d;
            haa += h * s * s;
            hab += h * s;
            hbb += h;
        }
        if (fabs(ga) < 1e-12 * (prior0 + prior1) && fabs(gb) < 1e-12 * (prior0 + prior1))
            break;
        const double det = haa * hbb - hab * hab;
        const double da = -(hbb * ga - hab * gb) / det, db = -(haa * gb - hab * ga) / det;
        const double slope = ga * da + gb * db;
        double step = 1;
        bool moved = false;
        while (step >= 1e-10) {
            const double na = a + step * da, nb = b + step * db, nf = platt_loss(score, t, weight, n, na, nb);
            if (nf <= f + 1e-4 * step * slope) {
                moved = na != a || nb != b;
                a = na;
                b = nb;
                f = nf;
                break;
            }
            step /= 2;
        }
        if (!moved)
            break;
    }
    free(t);
    c->a = a;
    c->b = b;
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The interface                                                                                               */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_status plumb__calibrate_fit(plumb__calibration_kind kind, const double *score, const double *label,
                                  const double *weight, int64_t n, plumb__calibrator **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    if (kind != PLUMB__CALIBRATE_ISOTONIC && kind != PLUMB__CALIBRATE_PLATT)
        return plumb__fail(err, PLUMB_EINVAL, "unknown calibration method %d", (int)kind);
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(score[i]) || !isfinite(label[i]))
            return plumb__fail(err, PLUMB_EINVAL, "%s %g in row %lld is not a finite number",
                               isfinite(score[i]) ? "label" : "score", isfinite(score[i]) ? label[i] : score[i],
                               (long long)i + 1);
        if (weight && (!isfinite(weight[i]) || weight[i] < 0))
            return plumb__fail(err, PLUMB_EINVAL, "weight %g in row %lld is not a finite number >= 0", weight[i],
                               (long long)i + 1);
        used += !weight || weight[i] > 0;
    }
    if (used == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no rows of positive weight to calibrate on");
    plumb__calibrator *c = calloc(1, sizeof *c);
    if (!c)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    c->kind = kind;
    plumb_status st = kind == PLUMB__CALIBRATE_ISOTONIC ? fit_isotonic(c, score, label, weight, n, err)
                                                        : fit_platt(c, score, label, weight, n, err);
    if (st != PLUMB_OK) {
        plumb__calibrate_free(c);
        return st;
    }
    *out = c;
    return PLUMB_OK;
}

void plumb__calibrate_apply(const plumb__calibrator *c, const double *score, int64_t n, double *out) {
    for (int64_t i = 0; i < n; i++) {
        const double s = score[i];
        out[i] = isnan(s)                            ? NAN
                 : c->kind == PLUMB__CALIBRATE_PLATT ? sigmoid_neg(c->a * s + c->b)
                                                     : apply_isotonic(c, s);
    }
}

static json_t *real_array(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *plumb__calibrate_to_json(const plumb__calibrator *c) {
    if (c->kind == PLUMB__CALIBRATE_PLATT)
        return json_pack("{s:s, s:f, s:f}", "method", "platt", "a", c->a, "b", c->b);
    return json_pack("{s:s, s:o, s:o}", "method", "isotonic", "x", real_array(c->x, c->n), "y", real_array(c->y, c->n));
}

plumb_status plumb__calibrate_from_json(const json_t *j, plumb__calibrator **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    const char *method = json_string_value(json_object_get(j, "method"));
    if (!method || (strcmp(method, "platt") != 0 && strcmp(method, "isotonic") != 0))
        return plumb__fail(err, PLUMB_EFORMAT, "calibration: unknown method");
    plumb__calibrator *c = calloc(1, sizeof *c);
    if (!c)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = PLUMB_OK;
    if (strcmp(method, "platt") == 0) {
        const json_t *a = json_object_get(j, "a"), *b = json_object_get(j, "b");
        c->kind = PLUMB__CALIBRATE_PLATT;
        c->a = json_number_value(a);
        c->b = json_number_value(b);
        if (!json_is_number(a) || !json_is_number(b) || !isfinite(c->a) || !isfinite(c->b))
            st = plumb__fail(err, PLUMB_EFORMAT, "calibration: platt needs finite numbers 'a' and 'b'");
    } else {
        const json_t *x = json_object_get(j, "x"), *y = json_object_get(j, "y");
        c->kind = PLUMB__CALIBRATE_ISOTONIC;
        c->n = (int64_t)json_array_size(x);
        if (!json_is_array(x) || !json_is_array(y) || c->n < 1 || json_array_size(y) != (size_t)c->n) {
            st = plumb__fail(err, PLUMB_EFORMAT, "calibration: isotonic needs arrays 'x' and 'y' of one length >= 1");
        } else if (!(c->x = malloc((size_t)c->n * sizeof *c->x)) || !(c->y = malloc((size_t)c->n * sizeof *c->y))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        } else {
            for (int64_t i = 0; i < c->n && st == PLUMB_OK; i++) {
                const json_t *xi = json_array_get(x, (size_t)i), *yi = json_array_get(y, (size_t)i);
                c->x[i] = json_number_value(xi);
                c->y[i] = json_number_value(yi);
                if (!json_is_number(xi) || !json_is_number(yi) || !isfinite(c->x[i]) || !isfinite(c->y[i]))
                    st = plumb__fail(err, PLUMB_EFORMAT, "calibration: point %lld is not a pair of finite numbers",
                                     (long long)i);
                else if (i > 0 && !(c->x[i] > c->x[i - 1]))
                    st = plumb__fail(err, PLUMB_EFORMAT, "calibration: isotonic x values are not increasing");
                else if (i > 0 && c->y[i] < c->y[i - 1])
                    st = plumb__fail(err, PLUMB_EFORMAT, "calibration: isotonic y values decrease");
            }
        }
    }
    if (st != PLUMB_OK) {
        plumb__calibrate_free(c);
        return st;
    }
    *out = c;
    return PLUMB_OK;
}
