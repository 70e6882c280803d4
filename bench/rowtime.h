/* rowtime.h -- timing of single-row scoring calls, for the single-row benchmark (bench/run-row): bench_row
 * (plumb) and lgbm_row (LightGBM) time their calls with these functions, and xgb_row.py does the same in Python,
 * so that every peer's figures mean the same thing.
 *
 * One repetition scores every row once in two passes:
 *   1. per call: clock_gettime(CLOCK_MONOTONIC) before and after each call, giving the distribution of the
 *      time of one call (median, and p99 by nearest rank: the ceil(0.99 n)-th smallest);
 *   2. per batch: one clock reading before and one after a loop over all the rows, giving the mean time of a
 *      call with no timer inside the loop.
 * Why both: a call costs microseconds here, a pair of vDSO clock readings some tens of nanoseconds (measured
 * and printed as timer_overhead_ns), so the per-call figures carry that overhead once, which is small but not
 * nothing at this scale; the batch mean carries none, and the two agreeing shows the overhead does not matter.
 * Only per-call timing gives a tail (p99), which is what a server's latency budget is about.
 * Reported per repetition ("<name>_rep K median_us X p99_us Y mean_us Z"), then the median over the
 * repetitions of each ("<name>_median_us X", "<name>_p99_us", "<name>_mean_us"). Header-only: the two programs
 * that use it are separate executables, and lgbm_row is compiled by the runner with cc, outside CMake.
 */
#ifndef PLUMB_BENCH_ROWTIME_H
#define PLUMB_BENCH_ROWTIME_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROWTIME_MAX_REPS 100

/* Scores row `row` of the benchmark's rows; 0 on success. */
typedef int (*rowtime_fn)(void *ctx, int64_t row);

typedef struct rowtime_result {
    double median_us, p99_us, mean_us;
} rowtime_result;

static inline int64_t rowtime_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int rowtime_cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int rowtime_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n >= 1; sorts v. */
static double rowtime_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, rowtime_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The time of one back-to-back pair of clock readings (the median of 10,000 pairs), in nanoseconds. */
static double rowtime_timer_overhead_ns(void) {
    enum { N = 10000 };
    static int64_t d[N];
    for (int i = 0; i < N; i++) {
        const int64_t t0 = rowtime_now_ns();
        d[i] = rowtime_now_ns() - t0;
    }
    qsort(d, N, sizeof *d, rowtime_cmp_i64);
    return (double)(d[N / 2 - 1] + d[N / 2]) / 2;
}

/* One repetition over rows 0..n (n >= 1): the per-call pass, then the batch pass. scratch holds n values.
 * Returns fn's first nonzero status, else 0. */
static int rowtime_rep(rowtime_fn fn, void *ctx, int64_t n, int64_t *scratch, rowtime_result *out) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t t0 = rowtime_now_ns();
        const int rc = fn(ctx, i);
        scratch[i] = rowtime_now_ns() - t0;
        if (rc)
            return rc;
    }
    const int64_t t0 = rowtime_now_ns();
    for (int64_t i = 0; i < n; i++) {
        const int rc = fn(ctx, i);
        if (rc)
            return rc;
    }
    const int64_t t1 = rowtime_now_ns();
    qsort(scratch, (size_t)n, sizeof *scratch, rowtime_cmp_i64);
    const double mid = n % 2 ? (double)scratch[n / 2] : (double)(scratch[n / 2 - 1] + scratch[n / 2]) / 2;
    const int64_t rank = (int64_t)ceil(0.99 * (double)n); /* nearest rank, 1-based */
    out->median_us = mid / 1e3;
    out->p99_us = (double)scratch[rank - 1] / 1e3;
    out->mean_us = (double)(t1 - t0) / (double)n / 1e3;
    return 0;
}

static void rowtime_print_rep(const char *name, int rep, const rowtime_result *r) {
    printf("%s_rep %d median_us %.4f p99_us %.4f mean_us %.4f\n", name, rep, r->median_us, r->p99_us, r->mean_us);
}

/* Prints the median over reps (1 to ROWTIME_MAX_REPS) repetitions of each figure. */
static void rowtime_print_summary(const char *name, const rowtime_result *r, int reps) {
    double v[ROWTIME_MAX_REPS];
    for (int i = 0; i < reps; i++)
        v[i] = r[i].median_us;
    printf("%s_median_us %.4f\n", name, rowtime_median(v, reps));
    for (int i = 0; i < reps; i++)
        v[i] = r[i].p99_us;
    printf("%s_p99_us %.4f\n", name, rowtime_median(v, reps));
    for (int i = 0; i < reps; i++)
        v[i] = r[i].mean_us;
    printf("%s_mean_us %.4f\n", name, rowtime_median(v, reps));
}

#endif
