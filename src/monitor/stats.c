/* stats.c -- the two-sample statistics monitoring uses, on binned counts: the reference's bins (or categories)
 * against the current data's counts in the same bins.
 *
 * Every statistic takes two count vectors of the same length k. Probabilities in PSI and Jensen-Shannon get a
 * floor of half a row over the sample (so an empty bin is not infinitely surprising); KS works on the cumulative
 * shares at the bin edges (the reference keeps only those, so it is the largest gap at the cuts, never above the
 * exact statistic); Wasserstein-1 integrates the gap between the two cumulative shares over the cuts.
 */
#include "monitor.h"

#include <math.h>

static double total(const int64_t *c, int32_t k) {
    double s = 0;
    for (int32_t i = 0; i < k; i++)
        s += (double)c[i];
    return s;
}

double plumb__psi(const int64_t *ref, const int64_t *cur, int32_t k) {
    const double nr = total(ref, k), nc = total(cur, k);
    if (nr <= 0 || nc <= 0)
        return NAN;
    double psi = 0;
    for (int32_t i = 0; i < k; i++) {
        const double p = fmax((double)ref[i], 0.5) / nr, q = fmax((double)cur[i], 0.5) / nc;
        psi += (q - p) * log(q / p);
    }
    return psi;
}

double plumb__js_distance(const int64_t *ref, const int64_t *cur, int32_t k) {
    const double nr = total(ref, k), nc = total(cur, k);
    if (nr <= 0 || nc <= 0)
        return NAN;
    double js = 0;
    for (int32_t i = 0; i < k; i++) {
        const double p = (double)ref[i] / nr, q = (double)cur[i] / nc, m = (p + q) / 2;
        if (p > 0)
            js += 0.5 * p * log2(p / m);
        if (q > 0)
            js += 0.5 * q * log2(q / m);
    }
    return sqrt(fmax(js, 0)); /* base 2: in [0, 1] */
}

double plumb__ks_binned(const int64_t *ref, const int64_t *cur, int32_t k) {
    const double nr = total(ref, k), nc = total(cur, k);
    if (nr <= 0 || nc <= 0)
        return NAN;
    double fr = 0, fc = 0, d = 0;
    for (int32_t i = 0; i + 1 < k; i++) {
        fr += (double)ref[i] / nr;
        fc += (double)cur[i] / nc;
        d = fmax(d, fabs(fr - fc));
    }
    return d;
}

double plumb__ks_pvalue(double d, double n, double m) {
    if (!(d > 0))
        return 1;
    /* asymptotic Kolmogorov distribution with the effective size n m / (n + m) and Stephens' small-sample
     * correction of the argument */
    const double ne = n * m / (n + m), se = sqrt(ne);
    const double lambda = (se + 0.12 + 0.11 / se) * d;
    double sum = 0, sign = 1;
    for (int j = 1; j <= 100; j++) {
        const double term = sign * exp(-2 * j * j * lambda * lambda);
        sum += term;
        if (fabs(term) < 1e-12)
            break;
        sign = -sign;
    }
    const double p = 2 * sum;
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double plumb__wasserstein_binned(const double *cuts, int32_t n_cuts, const int64_t *ref, const int64_t *cur) {
    const int32_t k = n_cuts + 1;
    const double nr = total(ref, k), nc = total(cur, k);
    if (nr <= 0 || nc <= 0)
        return NAN;
    /* on [cut i, cut i + 1) the cumulative share is that of bins 0 .. i and, taken as spread evenly, half of bin
     * i + 1 */
    double fr = 0, fc = 0, w = 0;
    for (int32_t i = 0; i + 1 < n_cuts; i++) {
        fr += (double)ref[i] / nr;
        fc += (double)cur[i] / nc;
        w += fabs(fr + 0.5 * (double)ref[i + 1] / nr - fc - 0.5 * (double)cur[i + 1] / nc) * (cuts[i + 1] - cuts[i]);
    }
    return w;
}

/* Regularised upper incomplete gamma Q(a, x): the series for x < a + 1, else the continued fraction (Lentz). */
static double gamma_q(double a, double x) {
    if (x <= 0)
        return 1;
    const double lg = lgamma(a);
    if (x < a + 1) {
        double sum = 1 / a, term = sum, ap = a;
        for (int i = 0; i < 1000; i++) {
            ap += 1;
            term *= x / ap;
            sum += term;
            if (fabs(term) < fabs(sum) * 1e-15)
                break;
        }
        return 1 - sum * exp(-x + a * log(x) - lg);
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        d = fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        const double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return exp(-x + a * log(x) - lg) * h;
}

double plumb__chi2_test(const int64_t *ref, const int64_t *cur, int32_t k, double *stat) {
    const double nr = total(ref, k), nc = total(cur, k);
    *stat = NAN;
    if (nr <= 0 || nc <= 0)
        return NAN;
    /* goodness of fit of the current counts to the reference shares; buckets expecting fewer than 5 rows are
     * pooled so the chi-square approximation holds */
    double x2 = 0, pool_e = 0, pool_o = 0;
    int32_t buckets = 0;
    for (int32_t i = 0; i < k; i++) {
        const double e = nc * (double)ref[i] / nr;
        if (e < 5) {
            pool_e += e;
            pool_o += (double)cur[i];
            continue;
        }
        x2 += ((double)cur[i] - e) * ((double)cur[i] - e) / e;
        buckets++;
    }
    if (pool_e > 0) {
        x2 += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
        buckets++;
    } else if (pool_o > 0) {
        x2 = INFINITY; /* rows where the reference has none */
    }
    *stat = x2;
    if (buckets < 2)
        return isinf(x2) ? 0 : 1;
    return isinf(x2) ? 0 : gamma_q((buckets - 1) / 2.0, x2 / 2);
}
