/* bench_metrics.c -- times the binary metrics on many rows, through the public API only.
 *
 * usage: bench_metrics [ROWS] [THREADS]     (default 1000000 rows, 1 thread)
 *
 * Makes ROWS labels and scores (20% positives, scores rounded to 1e-6 so that ties occur, as with real model
 * outputs), then times plumb_metrics_compute for all twelve binary metrics (one sort of the scores, then O(n)
 * passes), the ROC curve, and a 1000-resample bootstrap of ROC-AUC. Prints "key seconds" lines.
 */
#include <plumb/plumb.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    const int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
    const int threads = argc > 2 ? atoi(argv[2]) : 1;
    double *y = malloc((size_t)n * sizeof *y), *s = malloc((size_t)n * sizeof *s);
    double *a = malloc((size_t)(n + 1) * sizeof *a), *b = malloc((size_t)(n + 1) * sizeof *b);
    double *t = malloc((size_t)(n + 1) * sizeof *t);
    if (n < 2 || !y || !s || !a || !b || !t)
        return 2;
    uint64_t x = 12345;
    for (int64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        const double u = (double)(x >> 11) * 0x1.0p-53;
        x = x * 6364136223846793005u + 1442695040888963407u;
        const double v = (double)(x >> 11) * 0x1.0p-53;
        y[i] = u < 0.2;
        s[i] = round(1e6 / (1 + exp(-(0.8 * y[i] + 4 * (v - 0.5))))) / 1e6;
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n;
    d.label = y;
    d.score = s;
    plumb_metric m[PLUMB_METRIC_COUNT];
    size_t k = 0;
    for (int j = 0; j < PLUMB_METRIC_COUNT; j++)
        if (plumb_metric_task((plumb_metric)j)[0] == 'b')
            m[k++] = (plumb_metric)j;
    double v[PLUMB_METRIC_COUNT], lo, hi;
    plumb_error err;
    double t0 = now_seconds();
    if (plumb_metrics_compute(&d, m, k, v, &err) != PLUMB_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    double t1 = now_seconds();
    const plumb_metric one = PLUMB_METRIC_ROC_AUC;
    double auc;
    plumb_metrics_compute(&d, &one, 1, &auc, NULL);
    double t2 = now_seconds();
    int64_t np;
    plumb_curve_roc(&d, a, b, t, &np, NULL);
    double t3 = now_seconds();
    plumb_bootstrap_options o;
    plumb_bootstrap_options_init(&o);
    o.n_threads = threads;
    plumb_metrics_bootstrap(&d, &one, 1, &o, &lo, &hi, NULL);
    double t4 = now_seconds();
    printf("rows %lld\nroc_auc %.6f\nall_binary_metrics %.3f\nroc_auc_alone %.3f\nroc_curve %.3f (%lld points)\n"
           "bootstrap_1000_roc_auc %.3f (%d threads) [%.6f, %.6f]\n",
           (long long)n, v[0], t1 - t0, t2 - t1, t3 - t2, (long long)np, t4 - t3, threads, lo, hi);
    free(y), free(s), free(a), free(b), free(t);
    return 0;
}
