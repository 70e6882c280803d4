/* metrics.c -- binary, regression and multiclass metrics, their curves and bootstrap intervals.
 *
 * Definitions follow scikit-learn 1.2 to the rounding: the ranking metrics walk the rows by decreasing score with
 * equal scores in decreasing row order (sklearn's argsort(kind="mergesort")[::-1]), accumulate the weights one row
 * at a time like its cumsum, and close a point at each distinct score, so curves have the same points and the
 * areas agree within 1e-9 (tests/parity). Binary data is copied once into that order (a "view"); every binary
 * metric is then one or two O(n) passes over it.
 *
 * Bootstrap resamples are row counts (a row drawn twice weighs twice), so a resample is the view with a count per
 * row and no sort: 1000 resamples of a million rows cost 1000 linear passes. Resample b draws from its own random
 * stream seeded by (seed, b) and the threads split the resamples, so the intervals do not depend on the thread
 * count. All allocation happens before the parallel region.
 */
#include "eval.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static const struct {
    const char *name, *task;
} metric_table[] = {
#define PLUMB__METRIC_ROW(id, str, task) {str, task},
    PLUMB_METRIC_MAP(PLUMB__METRIC_ROW)
#undef PLUMB__METRIC_ROW
};

const char *plumb_metric_name(plumb_metric m) {
    return (unsigned)m < PLUMB_METRIC_COUNT ? metric_table[m].name : NULL;
}

const char *plumb_metric_task(plumb_metric m) {
    return (unsigned)m < PLUMB_METRIC_COUNT ? metric_table[m].task : NULL;
}

void plumb_metric_data_init(plumb_metric_data *d) {
    memset(d, 0, sizeof *d);
    d->n_classes = 2;
    d->threshold = 0.5;
    d->alpha = 0.5;
}

void plumb_bootstrap_options_init(plumb_bootstrap_options *o) {
    memset(o, 0, sizeof *o);
    o->level = 0.95;
    o->n_resamples = 1000;
}

enum family { FAM_BINARY = 1, FAM_REGRESSION = 2, FAM_MULTICLASS = 4 };

static int family_of(plumb_metric m) {
    const char *t = plumb_metric_task(m);
    return !t ? 0 : t[0] == 'b' ? FAM_BINARY : t[0] == 'r' ? FAM_REGRESSION : FAM_MULTICLASS;
}

/* Metrics that need probabilities, not just an order of the scores. */
static bool wants_probability(plumb_metric m) {
    return m == PLUMB_METRIC_LOG_LOSS || m == PLUMB_METRIC_BRIER;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Checking the data                                                                                           */
/* ---------------------------------------------------------------------------------------------------------- */

static plumb_status check_data(const plumb_metric_data *d, int fam, bool probabilities, plumb_error *err) {
    const int64_t n = d->n_rows;
    if (n < 1)
        return plumb__fail(err, PLUMB_EINVAL, "no rows to evaluate");
    if (!d->label || !d->score)
        return plumb__fail(err, PLUMB_EINVAL, "labels and scores are required");
    double total = 0;
    for (int64_t i = 0; d->weight && i < n; i++) {
        if (!isfinite(d->weight[i]) || d->weight[i] < 0)
            return plumb__fail(err, PLUMB_EINVAL, "weight %g in row %lld is not a finite number >= 0", d->weight[i],
                               (long long)i + 1);
        total += d->weight[i];
    }
    if (d->weight && !(total > 0))
        return plumb__fail(err, PLUMB_EINVAL, "the weights sum to 0");
    if (fam == FAM_MULTICLASS) {
        const int64_t k = d->n_classes;
        if (k < 2)
            return plumb__fail(err, PLUMB_EINVAL, "multiclass metrics need at least 2 classes, got %lld", (long long)k);
        for (int64_t i = 0; i < n; i++) {
            const double y = d->label[i];
            if (!(y >= 0 && y < (double)k && y == floor(y)))
                return plumb__fail(err, PLUMB_EINVAL, "label %g in row %lld is not a class in 0..%lld", y,
                                   (long long)i + 1, (long long)k - 1);
            for (int64_t c = 0; c < k; c++) {
                const double p = d->score[i * k + c];
                if (!(p >= 0 && p <= 1))
                    return plumb__fail(err, PLUMB_EINVAL, "probability %g of class %lld in row %lld is not in [0, 1]",
                                       p, (long long)c, (long long)i + 1);
            }
        }
        return PLUMB_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        const double y = d->label[i], s = d->score[i];
        if (fam == FAM_BINARY && y != 0 && y != 1)
            return plumb__fail(err, PLUMB_EINVAL, "label %g in row %lld is not 0 or 1", y, (long long)i + 1);
        if (!isfinite(y))
            return plumb__fail(err, PLUMB_EINVAL, "label %g in row %lld is not a finite number", y, (long long)i + 1);
        if (!isfinite(s))
            return plumb__fail(err, PLUMB_EINVAL, "%s %g in row %lld is not a finite number",
                               fam == FAM_BINARY ? "score" : "prediction", s, (long long)i + 1);
        if (probabilities && !(s >= 0 && s <= 1))
            return plumb__fail(err, PLUMB_EINVAL, "score %g in row %lld is not a probability in [0, 1]", s,
                               (long long)i + 1);
    }
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Binary data in ranking order                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

/* Rows by decreasing score, equal scores in decreasing row order (sklearn's order). */
typedef struct view {
    int64_t n;
    double *y, *s, *w; /* w NULL: all 1 */
    double threshold;
    void *mem;
} view;

static void view_free(view *v) {
    free(v->mem);
    memset(v, 0, sizeof *v);
}

static plumb_status view_make(const plumb_metric_data *d, view *v, plumb_error *err) {
    const int64_t n = d->n_rows;
    memset(v, 0, sizeof *v);
    int64_t *order = malloc((size_t)n * sizeof *order);
    v->mem = malloc((size_t)n * (d->weight ? 3 : 2) * sizeof(double));
    if (!order || !v->mem || !plumb__sort_doubles(d->score, n, order)) {
        free(order);
        view_free(v);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    v->n = n;
    v->threshold = d->threshold;
    v->y = v->mem;
    v->s = v->y + n;
    v->w = d->weight ? v->s + n : NULL;
    for (int64_t k = 0; k < n; k++) {
        const int64_t r = order[n - 1 - k];
        v->y[k] = d->label[r];
        v->s[k] = d->score[r];
        if (v->w)
            v->w[k] = d->weight[r];
    }
    free(order);
    return PLUMB_OK;
}

/* Effective weight of view row k: its weight times its count in a resample (cnt NULL: 1). */
static inline double eff(const double *w, const uint32_t *cnt, int64_t k) {
    const double a = w ? w[k] : 1.0;
    return cnt ? a * (double)cnt[k] : a;
}

/* Everything binary, from one view and optional resample counts. */
typedef struct binary_stats {
    double P, N;                         /* weight of positives and negatives (sums in ranking order) */
    double auc, ap, ks, f1_best, f1_thr; /* NaN when undefined */
    double tn, fp, fn, tp;               /* at the threshold */
    double log_loss, brier;              /* weighted means */
} binary_stats;

static void binary_compute(const view *v, const uint32_t *cnt, bool probabilities, binary_stats *b) {
    const int64_t n = v->n;
    double P = 0, N = 0;
    for (int64_t k = 0; k < n; k++) {
        const double w = eff(v->w, cnt, k);
        if (v->y[k] == 1)
            P += w;
        else
            N += w;
    }
    b->P = P;
    b->N = N;
    /* the sweep: a point at each distinct score among the rows of non-zero weight */
    double tp = 0, fp = 0, ptp = 0, pfp = 0, auc2 = 0, ap = 0, ks = 0, best = -1, best_thr = NAN, cur = 0;
    bool open = false;
    for (int64_t k = 0; k <= n; k++) {
        const double w = k < n ? eff(v->w, cnt, k) : 0;
        if (k < n && w == 0)
            continue;
        if (open && (k == n || v->s[k] != cur)) { /* close the point of score cur */
            auc2 += (fp - pfp) * (tp + ptp);
            const double ps = tp + fp;
            ap += (tp - ptp) * (ps != 0 ? tp / ps : 0);
            if (P > 0 && N > 0)
                ks = fmax(ks, fabs(tp / P - fp / N));
            const double f1 = 2 * tp / ((tp + fp) + P);
            if (f1 >= best) { /* ties: the lower threshold */
                best = f1;
                best_thr = cur;
            }
            ptp = tp;
            pfp = fp;
        }
        if (k == n)
            break;
        if (v->y[k] == 1)
            tp += w;
        else
            fp += w;
        cur = v->s[k];
        open = true;
    }
    b->auc = P > 0 && N > 0 ? auc2 / 2 / (P * N) : NAN;
    b->ks = P > 0 && N > 0 ? ks : NAN;
    b->ap = P > 0 ? ap / P : NAN;
    b->f1_best = P > 0 ? best : NAN;
    b->f1_thr = P > 0 ? best_thr : NAN;
    /* the pointwise ones */
    double tn = 0, fp2 = 0, fn = 0, tp2 = 0, ll = 0, br = 0;
    const double eps = DBL_EPSILON; /* sklearn 1.2 log_loss(eps="auto"): the float64 machine epsilon */
    for (int64_t k = 0; k < n; k++) {
        const double w = eff(v->w, cnt, k);
        if (w == 0)
            continue;
        const double y = v->y[k], s = v->s[k];
        const bool pos = s >= v->threshold;
        if (y == 1)
            pos ? (tp2 += w) : (fn += w);
        else
            pos ? (fp2 += w) : (tn += w);
        if (probabilities) {
            const double p = fmin(fmax(s, eps), 1 - eps), q = 1 - p, sum = q + p; /* clip, then renormalise */
            ll -= w * log((y == 1 ? p : q) / sum);
            br += w * (y - s) * (y - s);
        }
    }
    b->tn = tn;
    b->fp = fp2;
    b->fn = fn;
    b->tp = tp2;
    b->log_loss = ll / (P + N);
    b->brier = br / (P + N);
}

static double safe_div(double a, double b) {
    return b != 0 ? a / b : 0;
}

/* The value of binary metric m, or NaN with *why set when it is undefined. */
static double binary_value(const binary_stats *b, plumb_metric m, const char **why) {
    const double W = b->P + b->N;
    double x = NAN;
    *why = NULL;
    if (!(W > 0)) {
        *why = "the weights sum to 0";
        return NAN;
    }
    switch (m) {
    case PLUMB_METRIC_ROC_AUC:
        x = b->auc;
        break;
    case PLUMB_METRIC_GINI:
        x = 2 * b->auc - 1;
        break;
    case PLUMB_METRIC_KS:
        x = b->ks;
        break;
    case PLUMB_METRIC_PR_AUC:
        x = b->ap;
        break;
    case PLUMB_METRIC_F1_BEST:
        x = b->f1_best;
        break;
    case PLUMB_METRIC_F1_BEST_THRESHOLD:
        x = b->f1_thr;
        break;
    case PLUMB_METRIC_LOG_LOSS:
        return b->log_loss;
    case PLUMB_METRIC_BRIER:
        return b->brier;
    case PLUMB_METRIC_ACCURACY:
        return (b->tp + b->tn) / W;
    case PLUMB_METRIC_PRECISION:
        return safe_div(b->tp, b->tp + b->fp);
    case PLUMB_METRIC_RECALL:
        return safe_div(b->tp, b->tp + b->fn);
    case PLUMB_METRIC_F1:
        return safe_div(2 * b->tp, 2 * b->tp + b->fp + b->fn);
    default:
        return NAN;
    }
    if (isnan(x)) {
        const bool both = m == PLUMB_METRIC_ROC_AUC || m == PLUMB_METRIC_GINI || m == PLUMB_METRIC_KS;
        *why = both ? (m == PLUMB_METRIC_KS     ? "only one class present in the labels: the KS statistic is undefined"
                       : m == PLUMB_METRIC_GINI ? "only one class present in the labels: Gini is undefined"
                                                : "only one class present in the labels: ROC-AUC is undefined")
               : m == PLUMB_METRIC_PR_AUC ? "no positive labels: PR-AUC is undefined"
                                          : "no positive labels: the F1-best threshold is undefined";
    }
    return x;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Regression and multiclass                                                                                   */
/* ---------------------------------------------------------------------------------------------------------- */

static double regression_value(const plumb_metric_data *d, const uint32_t *cnt, plumb_metric m, const char **why) {
    const int64_t n = d->n_rows;
    double W = 0, ae = 0, se = 0, ape = 0, ay = 0, wy = 0, dev = 0, pin = 0;
    bool domain = true; /* the deviance's labels and predictions are in its domain */
    const double alpha = d->alpha;
    *why = NULL;
    for (int64_t i = 0; i < n; i++) {
        const double w = eff(d->weight, cnt, i), y = d->label[i], p = d->score[i], e = y - p;
        W += w;
        ae += w * fabs(e);
        se += w * e * e;
        ape += w * (fabs(e) / fmax(fabs(y), DBL_EPSILON)); /* sklearn's MAPE: |y| floored at the epsilon */
        ay += w * fabs(y);
        wy += w * y;
        pin += w * (e >= 0 ? alpha * e : (alpha - 1) * e); /* sklearn's mean_pinball_loss */
        if (m == PLUMB_METRIC_POISSON_DEVIANCE) {
            /* Tweedie deviance of power 1 (sklearn's mean_poisson_deviance); y log(y/p) is 0 at y = 0 (xlogy) */
            domain &= y >= 0 && p > 0;
            dev += w * 2 * ((y > 0 ? y * log(y / p) : 0) - y + p);
        } else if (m == PLUMB_METRIC_GAMMA_DEVIANCE) {
            domain &= y > 0 && p > 0; /* power 2 (mean_gamma_deviance) */
            dev += w * 2 * (log(p / y) + y / p - 1);
        }
    }
    if (!(W > 0)) {
        *why = "the weights sum to 0";
        return NAN;
    }
    switch (m) {
    case PLUMB_METRIC_POISSON_DEVIANCE:
        if (!domain) {
            *why = "the Poisson deviance needs labels >= 0 and predictions > 0";
            return NAN;
        }
        return dev / W;
    case PLUMB_METRIC_GAMMA_DEVIANCE:
        if (!domain) {
            *why = "the Gamma deviance needs labels > 0 and predictions > 0";
            return NAN;
        }
        return dev / W;
    case PLUMB_METRIC_PINBALL_LOSS:
        if (!(alpha > 0 && alpha < 1)) {
            *why = "the pinball loss needs a quantile level alpha in (0, 1)";
            return NAN;
        }
        return pin / W;
    case PLUMB_METRIC_MAE:
        return ae / W;
    case PLUMB_METRIC_RMSE:
        return sqrt(se / W);
    case PLUMB_METRIC_MAPE:
        return ape / W;
    case PLUMB_METRIC_WAPE:
        if (!(ay > 0)) {
            *why = "every label is 0: WAPE (sum |error| / sum |label|) is undefined";
            return NAN;
        }
        return ae / ay;
    case PLUMB_METRIC_R2: {
        if (n < 2) {
            *why = "R2 is undefined with fewer than 2 rows";
            return NAN;
        }
        const double mean = wy / W;
        double sst = 0;
        for (int64_t i = 0; i < n; i++) {
            const double dy = d->label[i] - mean;
            sst += eff(d->weight, cnt, i) * dy * dy;
        }
        /* sklearn (force_finite): a perfect fit scores 1, else a constant target scores 0 */
        return se == 0 ? 1.0 : sst == 0 ? 0.0 : 1 - se / sst;
    }
    default:
        return NAN;
    }
}

/* Predicted class of multiclass row i: the most probable, the first on ties (numpy argmax). */
static int64_t argmax_row(const double *p, int64_t k) {
    int64_t best = 0;
    for (int64_t c = 1; c < k; c++)
        if (p[c] > p[best])
            best = c;
    return best;
}

/* scratch: 3k doubles + k bytes */
static double multiclass_value(const plumb_metric_data *d, const uint32_t *cnt, plumb_metric m, void *scratch,
                               const char **why) {
    const int64_t n = d->n_rows, k = d->n_classes;
    double *tp = scratch, *fp = tp + k, *fn = fp + k, W = 0, correct = 0, ll = 0;
    uint8_t *present = (uint8_t *)(fn + k);
    memset(scratch, 0, (size_t)k * (3 * sizeof(double) + 1));
    *why = NULL;
    for (int64_t i = 0; i < n; i++) {
        if (cnt && cnt[i] == 0)
            continue;
        const double w = eff(d->weight, cnt, i);
        const double *p = d->score + i * k;
        const int64_t y = (int64_t)d->label[i], pred = argmax_row(p, k);
        present[y] = present[pred] = 1; /* sklearn's labels: those in y_true or y_pred, whatever their weight */
        W += w;
        if (pred == y) {
            correct += w;
            tp[y] += w;
        } else {
            fp[pred] += w;
            fn[y] += w;
        }
        if (m == PLUMB_METRIC_MULTI_LOG_LOSS) {
            double sum = 0;
            for (int64_t c = 0; c < k; c++)
                sum += fmin(fmax(p[c], DBL_EPSILON), 1 - DBL_EPSILON);
            ll -= w * log(fmin(fmax(p[y], DBL_EPSILON), 1 - DBL_EPSILON) / sum);
        }
    }
    if (!(W > 0)) {
        *why = "the weights sum to 0";
        return NAN;
    }
    switch (m) {
    case PLUMB_METRIC_MULTI_ACCURACY:
        return correct / W;
    case PLUMB_METRIC_MULTI_LOG_LOSS:
        return ll / W;
    case PLUMB_METRIC_MACRO_F1: {
        double sum = 0;
        int64_t used = 0;
        for (int64_t c = 0; c < k; c++)
            if (present[c]) {
                sum += safe_div(2 * tp[c], 2 * tp[c] + fp[c] + fn[c]);
                used++;
            }
        return sum / (double)used;
    }
    case PLUMB_METRIC_MICRO_F1: {
        double t = 0, f = 0, g = 0;
        for (int64_t c = 0; c < k; c++)
            if (present[c]) {
                t += tp[c];
                f += fp[c];
                g += fn[c];
            }
        return safe_div(2 * t, 2 * t + f + g);
    }
    default:
        return NAN;
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Computing a list of metrics                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct prepared {
    const plumb_metric_data *d;
    int fams;
    bool probabilities;
    view v; /* binary metrics */
} prepared;

static plumb_status prepare(const plumb_metric_data *d, const plumb_metric *metrics, size_t n_metrics, prepared *p,
                            plumb_error *err) {
    memset(p, 0, sizeof *p);
    p->d = d;
    for (size_t j = 0; j < n_metrics; j++) {
        const int f = family_of(metrics[j]);
        if (!f)
            return plumb__fail(err, PLUMB_EINVAL, "unknown metric %d", (int)metrics[j]);
        p->fams |= f;
        p->probabilities |= wants_probability(metrics[j]);
    }
    if (p->fams != 0 && p->fams != FAM_BINARY && p->fams != FAM_REGRESSION && p->fams != FAM_MULTICLASS)
        return plumb__fail(err, PLUMB_EINVAL, "metrics of different tasks in one call");
    plumb_status st = check_data(d, p->fams ? p->fams : FAM_BINARY, p->probabilities, err);
    if (st == PLUMB_OK && p->fams == FAM_BINARY)
        st = view_make(d, &p->v, err);
    return st;
}

/* Values of all metrics on the prepared data with resample counts cnt (NULL: the data itself). Undefined
 * metrics get NaN; the reason of the first is in *why (NULL when all are defined). scratch: 3k doubles + k bytes
 * for multiclass. Never fails otherwise, never allocates: safe inside a parallel region. */
static void evaluate(const prepared *p, const uint32_t *cnt, const plumb_metric *metrics, size_t n_metrics,
                     double *values, void *scratch, const char **why) {
    binary_stats b = {0};
    *why = NULL;
    if (p->fams == FAM_BINARY)
        binary_compute(&p->v, cnt, p->probabilities, &b);
    for (size_t j = 0; j < n_metrics; j++) {
        const char *w = NULL;
        values[j] = p->fams == FAM_BINARY       ? binary_value(&b, metrics[j], &w)
                    : p->fams == FAM_REGRESSION ? regression_value(p->d, cnt, metrics[j], &w)
                                                : multiclass_value(p->d, cnt, metrics[j], scratch, &w);
        if (w && !*why)
            *why = w;
    }
}

plumb_status plumb_metrics_compute(const plumb_metric_data *d, const plumb_metric *metrics, size_t n_metrics,
                                   double *values, plumb_error *err) {
    prepared p;
    void *scratch = NULL;
    plumb__error_clear(err);
    plumb_status st = prepare(d, metrics, n_metrics, &p, err);
    if (st == PLUMB_OK && p.fams == FAM_MULTICLASS &&
        !(scratch = malloc((size_t)d->n_classes * (3 * sizeof(double) + 1))))
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (st == PLUMB_OK) {
        const char *why;
        evaluate(&p, NULL, metrics, n_metrics, values, scratch, &why);
        if (why)
            st = plumb__fail(err, PLUMB_EINVAL, "%s", why);
    }
    free(scratch);
    view_free(&p.v);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Bootstrap                                                                                                   */
/* ---------------------------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(v, 100 q) of the m sorted values, linear interpolation. */
static double quantile_sorted(const double *v, int64_t m, double q) {
    const double h = (double)(m - 1) * q;
    const int64_t lo = (int64_t)floor(h);
    if (lo >= m - 1)
        return v[m - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

plumb_status plumb_metrics_bootstrap(const plumb_metric_data *d, const plumb_metric *metrics, size_t n_metrics,
                                     const plumb_bootstrap_options *o, double *lo, double *hi, plumb_error *err) {
    prepared p;
    plumb__error_clear(err);
    if (!(o->level > 0 && o->level < 1))
        return plumb__fail(err, PLUMB_EINVAL, "confidence level %g is not in (0, 1)", o->level);
    if (o->n_resamples < 2)
        return plumb__fail(err, PLUMB_EINVAL, "the bootstrap needs at least 2 resamples, got %lld",
                           (long long)o->n_resamples);
    plumb_status st = prepare(d, metrics, n_metrics, &p, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = d->n_rows, B = o->n_resamples, m = (int64_t)n_metrics;
    const int nt = (int)(plumb__threads(o->n_threads) < B ? plumb__threads(o->n_threads) : B);
    const size_t scratch_bytes = p.fams == FAM_MULTICLASS ? (size_t)d->n_classes * (3 * sizeof(double) + 1) : 1;
    double *vals = malloc((size_t)(B * m + 1) * sizeof *vals), *col = malloc((size_t)(B + 1) * sizeof *col);
    uint32_t *counts = malloc((size_t)nt * (size_t)n * sizeof *counts);
    char *scratch = malloc((size_t)nt * scratch_bytes);
    if (!vals || !col || !counts || !scratch) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    /* the metrics on the full data must be defined, as plumb_metrics_compute requires */
    const char *why;
    evaluate(&p, NULL, metrics, n_metrics, vals, scratch, &why);
    if (why) {
        st = plumb__fail(err, PLUMB_EINVAL, "%s", why);
        goto done;
    }
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        const int t = omp_get_thread_num();
#else
        const int t = 0;
#endif
        uint32_t *cnt = counts + (size_t)t * (size_t)n;
#pragma omp for schedule(dynamic, 4)
        for (int64_t b = 0; b < B; b++) {
            uint64_t x = o->seed ^ (0xd1342543de82ef95u * (uint64_t)(b + 1));
            (void)plumb__splitmix64(&x);
            memset(cnt, 0, (size_t)n * sizeof *cnt);
            for (int64_t i = 0; i < n; i++)
                cnt[plumb__random_below(&x, (uint64_t)n)]++;
            const char *w;
            evaluate(&p, cnt, metrics, n_metrics, vals + b * m, scratch + (size_t)t * scratch_bytes, &w);
        }
    }
    for (int64_t j = 0; j < m; j++) {
        int64_t k = 0;
        for (int64_t b = 0; b < B; b++)
            if (!isnan(vals[b * m + j]))
                col[k++] = vals[b * m + j];
        qsort(col, (size_t)k, sizeof *col, cmp_double);
        lo[j] = k ? quantile_sorted(col, k, (1 - o->level) / 2) : NAN;
        hi[j] = k ? quantile_sorted(col, k, (1 + o->level) / 2) : NAN;
    }
done:
    free(vals);
    free(col);
    free(counts);
    free(scratch);
    view_free(&p.v);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Confusion matrix and curves                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_status plumb_metrics_confusion(const plumb_metric_data *d, int multiclass, double *out, plumb_error *err) {
    plumb__error_clear(err);
    plumb_status st = check_data(d, multiclass ? FAM_MULTICLASS : FAM_BINARY, false, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t k = multiclass ? d->n_classes : 2;
    memset(out, 0, (size_t)(k * k) * sizeof *out);
    for (int64_t i = 0; i < d->n_rows; i++) {
        const int64_t y = (int64_t)d->label[i];
        const int64_t pred = multiclass ? argmax_row(d->score + i * k, k) : d->score[i] >= d->threshold;
        out[y * k + pred] += d->weight ? d->weight[i] : 1.0;
    }
    return PLUMB_OK;
}

/* The points of the binary curves: cumulative positive and negative weight at each distinct score (rows of
 * weight 0 left out, as sklearn's _binary_clf_curve does), by decreasing score. Arrays of n entries. */
static int64_t clf_points(const view *v, double *tps, double *fps, double *thr) {
    int64_t g = 0;
    double tp = 0, fp = 0;
    for (int64_t k = 0; k < v->n; k++) {
        const double w = v->w ? v->w[k] : 1.0;
        if (w == 0)
            continue;
        if (v->y[k] == 1)
            tp += w;
        else
            fp += w;
        int64_t next = k + 1;
        while (next < v->n && v->w && v->w[next] == 0)
            next++;
        if (next == v->n || v->s[next] != v->s[k]) {
            tps[g] = tp;
            fps[g] = fp;
            thr[g] = v->s[k];
            g++;
        }
    }
    return g;
}

/* Prepares binary data for a curve: checks it and makes the view and three arrays of n entries. */
static plumb_status curve_begin(const plumb_metric_data *d, bool probabilities, view *v, double **buf,
                                plumb_error *err) {
    *buf = NULL;
    memset(v, 0, sizeof *v);
    plumb__error_clear(err);
    plumb_status st = check_data(d, FAM_BINARY, probabilities, err);
    if (st == PLUMB_OK && (st = view_make(d, v, err)) == PLUMB_OK &&
        !(*buf = malloc(3 * (size_t)d->n_rows * sizeof **buf))) {
        view_free(v);
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    return st;
}

plumb_status plumb_curve_roc(const plumb_metric_data *d, double *fpr, double *tpr, double *thresholds,
                             int64_t *n_points, plumb_error *err) {
    view v;
    double *buf;
    *n_points = 0;
    plumb_status st = curve_begin(d, false, &v, &buf, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = d->n_rows;
    double *tps = buf, *fps = buf + n, *thr = buf + 2 * n;
    const int64_t g = clf_points(&v, tps, fps, thr);
    if (g == 0 || tps[g - 1] <= 0 || fps[g - 1] <= 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "only one class present in the labels: the ROC curve is undefined");
        goto done;
    }
    const double P = tps[g - 1], N = fps[g - 1];
    /* drop the points where neither count's second difference is non-zero (sklearn's drop_intermediate) */
    int64_t m = 1;
    fpr[0] = tpr[0] = 0;
    thresholds[0] = thr[0] + 1;
    for (int64_t i = 0; i < g; i++) {
        const bool keep = g <= 2 || i == 0 || i == g - 1 || (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]) != 0 ||
                          (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]) != 0;
        if (!keep)
            continue;
        fpr[m] = fps[i] / N;
        tpr[m] = tps[i] / P;
        thresholds[m] = thr[i];
        m++;
    }
    *n_points = m;
done:
    free(buf);
    view_free(&v);
    return st;
}

plumb_status plumb_curve_pr(const plumb_metric_data *d, double *precision, double *recall, double *thresholds,
                            int64_t *n_points, plumb_error *err) {
    view v;
    double *buf;
    *n_points = 0;
    plumb_status st = curve_begin(d, false, &v, &buf, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = d->n_rows;
    double *tps = buf, *fps = buf + n, *thr = buf + 2 * n;
    const int64_t g = clf_points(&v, tps, fps, thr);
    if (g == 0 || tps[g - 1] <= 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "no positive labels: the precision-recall curve is undefined");
        goto done;
    }
    for (int64_t i = 0; i < g; i++) { /* by increasing threshold */
        const int64_t j = g - 1 - i;
        const double ps = tps[j] + fps[j];
        precision[i] = ps != 0 ? tps[j] / ps : 0;
        recall[i] = tps[j] / tps[g - 1];
        thresholds[i] = thr[j];
    }
    precision[g] = 1;
    recall[g] = 0;
    *n_points = g + 1;
done:
    free(buf);
    view_free(&v);
    return st;
}

plumb_status plumb_curve_gain(const plumb_metric_data *d, double *population, double *gain, double *lift,
                              double *thresholds, int64_t *n_points, plumb_error *err) {
    view v;
    double *buf;
    *n_points = 0;
    plumb_status st = curve_begin(d, false, &v, &buf, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = d->n_rows;
    double *tps = buf, *fps = buf + n, *thr = buf + 2 * n;
    const int64_t g = clf_points(&v, tps, fps, thr);
    if (g == 0 || tps[g - 1] <= 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "no positive labels: the gain curve is undefined");
        goto done;
    }
    const double W = tps[g - 1] + fps[g - 1];
    for (int64_t i = 0; i < g; i++) {
        population[i] = (tps[i] + fps[i]) / W;
        gain[i] = tps[i] / tps[g - 1];
        lift[i] = gain[i] / population[i];
        thresholds[i] = thr[i];
    }
    *n_points = g;
done:
    free(buf);
    view_free(&v);
    return st;
}

/* numpy.linspace(0, 1, n + 1)[i] * 100 / 100, the way numpy.percentile receives it in calibration_curve */
static double quantile_point(int64_t i, int64_t n_bins) {
    if (i == n_bins)
        return 1.0;
    const double step = 1.0 / (double)n_bins;
    return ((double)i * step) * 100 / 100;
}

/* numpy.percentile(x, 100 q) of sorted x (n values), method "linear" as numpy 1.24 computes it. */
static double percentile_linear(const double *x, int64_t n, double q) {
    const double h = (double)(n - 1) * q;
    double lo_d = floor(h);
    int64_t lo = (int64_t)lo_d;
    if (lo < 0)
        lo = 0, lo_d = 0;
    if (lo >= n - 1)
        return x[n - 1];
    const double t = h - lo_d, a = x[lo], b = x[lo + 1], diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t; /* numpy's _lerp */
}

plumb_status plumb_curve_calibration(const plumb_metric_data *d, int64_t n_bins, plumb_bins strategy, double *prob_true,
                                     double *prob_pred, double *count, int64_t *n_points, plumb_error *err) {
    *n_points = 0;
    plumb__error_clear(err);
    if (n_bins < 1)
        return plumb__fail(err, PLUMB_EINVAL, "a calibration curve needs at least 1 bin, got %lld", (long long)n_bins);
    if (strategy != PLUMB_BINS_UNIFORM && strategy != PLUMB_BINS_QUANTILE)
        return plumb__fail(err, PLUMB_EINVAL, "unknown bin strategy %d", (int)strategy);
    plumb_status st = check_data(d, FAM_BINARY, true, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = d->n_rows;
    double *edges = malloc((size_t)(n_bins + 1) * sizeof *edges), *sums = calloc((size_t)n_bins * 3, sizeof *sums);
    double *sorted = NULL;
    int64_t *order = NULL;
    if (!edges || !sums) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (strategy == PLUMB_BINS_UNIFORM) {
        const double step = 1.0 / (double)n_bins; /* numpy.linspace(0, 1, n_bins + 1) */
        for (int64_t i = 0; i <= n_bins; i++)
            edges[i] = i == n_bins ? 1.0 : (double)i * step;
    } else {
        if (!(order = malloc((size_t)n * sizeof *order)) || !(sorted = malloc((size_t)n * sizeof *sorted)) ||
            !plumb__sort_doubles(d->score, n, order)) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < n; i++)
            sorted[i] = d->score[order[i]];
        for (int64_t i = 0; i <= n_bins; i++)
            edges[i] = percentile_linear(sorted, n, quantile_point(i, n_bins));
    }
    for (int64_t i = 0; i < n; i++) {
        /* numpy.searchsorted(edges[1:-1], s, side="left"): the number of inner edges < s */
        const double s = d->score[i], w = d->weight ? d->weight[i] : 1.0;
        int64_t lo = 0, hi = n_bins - 1; /* inner edges are edges[1..n_bins-1] */
        while (lo < hi) {
            const int64_t mid = (lo + hi) / 2;
            if (edges[mid + 1] < s)
                lo = mid + 1;
            else
                hi = mid;
        }
        sums[3 * lo] += w * s;
        sums[3 * lo + 1] += w * d->label[i];
        sums[3 * lo + 2] += w;
    }
    int64_t m = 0;
    for (int64_t b = 0; b < n_bins; b++) {
        if (sums[3 * b + 2] == 0)
            continue;
        prob_true[m] = sums[3 * b + 1] / sums[3 * b + 2];
        prob_pred[m] = sums[3 * b] / sums[3 * b + 2];
        count[m] = sums[3 * b + 2];
        m++;
    }
    *n_points = m;
done:
    free(edges);
    free(sums);
    free(sorted);
    free(order);
    return st;
}
