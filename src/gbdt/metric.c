/* metric.c -- the metrics gradient boosting reports and stops early on, computed from raw scores.
 *
 * Every metric is a weighted mean over rows (AUC excepted), summed in fixed blocks of rows so that the value does
 * not depend on the thread count. Names follow LightGBM's, but for Poisson: LightGBM's "poisson" is the negative
 * log-likelihood without its log(y!) term, a number of no scale (often below 0); plumb reports the mean Poisson
 * deviance instead, as plumb eval and scikit-learn's mean_poisson_deviance do, and still reads "poisson" as its name.
 * The two differ by a constant per dataset (deviance = 2 NLL + 2 mean(y log y - y)), so early stopping chooses the
 * same iteration. AUC sorts the scores once per call, with tied scores
 * counted as half (the Mann-Whitney statistic), as scikit-learn's roc_auc_score does.
 */
#include "metric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define METRIC_BLOCK 65536

static const struct {
    const char *name;
    bool higher_better;
    int kind; /* 'b' binary, 'r' regression, 'm' multiclass */
} metrics[] = {
    [PLUMB__METRIC_BINARY_LOGLOSS] = {"binary_logloss", false, 'b'},
    [PLUMB__METRIC_AUC] = {"auc", true, 'b'},
    [PLUMB__METRIC_BINARY_ERROR] = {"binary_error", false, 'b'},
    [PLUMB__METRIC_L2] = {"l2", false, 'r'},
    [PLUMB__METRIC_RMSE] = {"rmse", false, 'r'},
    [PLUMB__METRIC_L1] = {"l1", false, 'r'},
    [PLUMB__METRIC_HUBER] = {"huber", false, 'r'},
    [PLUMB__METRIC_POISSON] = {"poisson_deviance", false, 'r'},
    [PLUMB__METRIC_QUANTILE] = {"quantile", false, 'r'},
    [PLUMB__METRIC_MAPE] = {"mape", false, 'r'},
    [PLUMB__METRIC_MULTI_LOGLOSS] = {"multi_logloss", false, 'm'},
    [PLUMB__METRIC_MULTI_ERROR] = {"multi_error", false, 'm'},
};

const char *plumb__metric_name(plumb__metric m) {
    return metrics[m].name;
}

bool plumb__metric_higher_better(plumb__metric m) {
    return metrics[m].higher_better;
}

plumb__metric plumb__metric_default(const plumb__objective *o, int32_t n_classes) {
    if (n_classes > 1)
        return PLUMB__METRIC_MULTI_LOGLOSS;
    switch (o->kind) {
    case PLUMB_OBJECTIVE_BINARY:
        return PLUMB__METRIC_BINARY_LOGLOSS;
    case PLUMB_OBJECTIVE_L1:
        return PLUMB__METRIC_L1;
    case PLUMB_OBJECTIVE_HUBER:
        return PLUMB__METRIC_HUBER;
    case PLUMB_OBJECTIVE_POISSON:
        return PLUMB__METRIC_POISSON;
    case PLUMB_OBJECTIVE_QUANTILE:
        return PLUMB__METRIC_QUANTILE;
    default:
        return PLUMB__METRIC_L2;
    }
}

plumb_status plumb__metric_parse(const char *name, const plumb__objective *o, int32_t n_classes, plumb__metric *out,
                                 plumb_error *err) {
    const int want = n_classes > 1 ? 'm' : o->kind == PLUMB_OBJECTIVE_BINARY ? 'b' : 'r';
    if (strcmp(name, "poisson") == 0)
        name = metrics[PLUMB__METRIC_POISSON].name;
    for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) {
        if (strcmp(metrics[i].name, name) != 0)
            continue;
        if (metrics[i].kind != want)
            return plumb__fail(err, PLUMB_EINVAL, "metric '%s' does not apply to a %s model", name,
                               want == 'm'   ? "multiclass"
                               : want == 'b' ? "binary"
                                             : "regression");
        *out = (plumb__metric)i;
        return PLUMB_OK;
    }
    return plumb__fail(err, PLUMB_EINVAL,
                       "unknown metric '%s' (expected binary_logloss, auc, binary_error, l2, rmse, l1, huber, "
                       "poisson_deviance, quantile, mape, multi_logloss or multi_error)",
                       name);
}

/* The loss of one row under a per-row metric; s points at the row's K raw scores. */
static double row_loss(plumb__metric m, const plumb__objective *o, double y, const double *s, int32_t K) {
    double g, h;
    switch (m) {
    case PLUMB__METRIC_BINARY_LOGLOSS: {
        plumb__objective bin = {.kind = PLUMB_OBJECTIVE_BINARY};
        return plumb__objective_eval(&bin, y, s[0], &g, &h);
    }
    case PLUMB__METRIC_BINARY_ERROR:
        return (s[0] > 0) != (y > 0.5);
    case PLUMB__METRIC_L1:
        return fabs(plumb__objective_link(o->kind, s[0]) - y);
    case PLUMB__METRIC_HUBER: {
        const plumb__objective hub = {.kind = PLUMB_OBJECTIVE_HUBER, .alpha = o->alpha};
        return plumb__objective_eval(&hub, y, plumb__objective_link(o->kind, s[0]), &g, &h);
    }
    case PLUMB__METRIC_POISSON: {
        /* unit deviance 2 (y log(y/mu) - y + mu), y log(y/mu) = 0 at y = 0; the floor keeps a non-Poisson
         * objective's mean (s itself) in the domain */
        const double mu = fmax(plumb__objective_link(o->kind, s[0]), 1e-10);
        return 2 * ((y > 0 ? y * log(y / mu) : 0) - y + mu);
    }
    case PLUMB__METRIC_QUANTILE: {
        const plumb__objective q = {.kind = PLUMB_OBJECTIVE_QUANTILE, .alpha = o->alpha};
        return plumb__objective_eval(&q, y, plumb__objective_link(o->kind, s[0]), &g, &h);
    }
    case PLUMB__METRIC_MAPE:
        return fabs(plumb__objective_link(o->kind, s[0]) - y) / fmax(1.0, fabs(y));
    case PLUMB__METRIC_MULTI_LOGLOSS:
    case PLUMB__METRIC_MULTI_ERROR: {
        const int32_t c = (int32_t)y;
        double mx = s[0], sum = 0;
        int32_t arg = 0;
        for (int32_t k = 1; k < K; k++)
            if (s[k] > mx)
                mx = s[k], arg = k;
        if (m == PLUMB__METRIC_MULTI_ERROR)
            return arg != c;
        for (int32_t k = 0; k < K; k++)
            sum += exp(s[k] - mx);
        return fmin(log(sum) - (s[c] - mx), -log(1e-15));
    }
    default: { /* l2 and rmse */
        const double r = plumb__objective_link(o->kind, s[0]) - y;
        return r * r;
    }
    }
}

typedef struct ranked {
    double s, y, w;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const double x = ((const ranked *)a)->s, y = ((const ranked *)b)->s;
    return (x > y) - (x < y);
}

/* Weighted ROC-AUC: the probability that a random positive scores above a random negative, ties counting half. */
static double auc(const double *y, const double *w, const double *s, int64_t n) {
    ranked *r = malloc((size_t)(n + 1) * sizeof *r);
    if (!r)
        return NAN;
    for (int64_t i = 0; i < n; i++)
        r[i] = (ranked){s[i], y[i], w ? w[i] : 1.0};
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    double neg_below = 0, pos = 0, neg = 0, area = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        double tp = 0, tn = 0;
        for (; j < n && r[j].s == r[i].s; j++) {
            if (r[j].y > 0.5)
                tp += r[j].w;
            else
                tn += r[j].w;
        }
        area += tp * (neg_below + 0.5 * tn);
        neg_below += tn;
        pos += tp;
        neg += tn;
        i = j;
    }
    free(r);
    return pos > 0 && neg > 0 ? area / (pos * neg) : NAN;
}

/* The weighted loss sum and weight sum of the rows of block b into block[2b], block[2b + 1]. */
static void block_loss(plumb__metric m, const plumb__objective *o, const double *y, const double *w, const double *s,
                       int64_t n, int32_t K, int64_t b, double *block) {
    double sum = 0, wsum = 0;
    for (int64_t i = b * METRIC_BLOCK; i < n && i < (b + 1) * METRIC_BLOCK; i++) {
        const double wi = w ? w[i] : 1.0;
        sum += wi * row_loss(m, o, y[i], s + i * K, K);
        wsum += wi;
    }
    block[2 * b] = sum;
    block[2 * b + 1] = wsum;
}

double plumb__metric_eval(plumb__metric m, const plumb__objective *o, int32_t K, const double *y, const double *w,
                          const double *s, int64_t n, int nt) {
    (void)nt; /* unused without OpenMP */
    if (m == PLUMB__METRIC_AUC)
        return auc(y, w, s, n);
    const int64_t nb = (n + METRIC_BLOCK - 1) / METRIC_BLOCK;
    double *block = malloc((size_t)(2 * nb + 2) * sizeof *block);
    if (!block)
        return NAN;
    if (nt <= 1 || nb <= 1) { /* no parallel region: even a team of one pays a futex call at its end */
        for (int64_t b = 0; b < nb; b++)
            block_loss(m, o, y, w, s, n, K, b, block);
    } else {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int64_t b = 0; b < nb; b++)
            block_loss(m, o, y, w, s, n, K, b, block);
    }
    double total = 0, wtotal = 0;
    for (int64_t b = 0; b < nb; b++)
        total += block[2 * b], wtotal += block[2 * b + 1];
    free(block);
    const double mean = wtotal > 0 ? total / wtotal : NAN;
    return m == PLUMB__METRIC_RMSE ? sqrt(mean) : mean;
}
