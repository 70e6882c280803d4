/* bench_gbdt.c -- times plumb's gradient boosting on the Higgs-like data, for bench/run-gbdt to set beside XGBoost.
 *
 * usage: bench_gbdt train [options] TRAIN.csv TEST.csv
 *        bench_gbdt score [--runs N] MODEL TEST.csv
 *
 * train reads both files with plumb_frame_read_csv (target "label"; reading is timed apart and left out of the
 * training time), trains with plumb_gbdt_train, scores the test rows once with plumb_model_predict and computes
 * their AUC (tie-aware, bench/auc.h) and log-loss. Options (defaults are the benchmark's settings):
 *   --rows N             train on the first N rows of TRAIN.csv only (plumb_frame_take; default all)
 *   --iterations N       500       --leaves N            255       --learning-rate X     0.1
 *   --max-bin N          255       --threads N           2         --lambda-l2 X         1
 *   --min-data-in-leaf N 20        --min-sum-hessian X   0.001
 *   --predictions FILE   write the test predictions as little-endian float64, one per row, for a cross-check
 *   --model FILE         save the model, for `score`
 * score loads MODEL, reads TEST.csv, predicts once untimed (warm-up: page faults, caches) and then --runs times
 * (default 5), printing each time and the median. plumb_model_predict uses OpenMP's default thread count, so
 * the caller sets OMP_NUM_THREADS; the program prints what it was.
 *
 * Memory: peak_rss_bytes is the process's peak resident set over its whole life (ru_maxrss: the CSV reads
 * included, and with them the pages of the input files, which plumb memory-maps). For the training alone the
 * peak is reset just before plumb_gbdt_train (writing 5 to /proc/self/clear_refs, Linux >= 4.0) and read after it
 * (VmHWM): train_peak_rss_bytes includes the frames the training reads and the process's baseline;
 * rss_before_train_bytes is the resident set just before the call. When the reset is not allowed the training
 * peak is reported as -1. cpu_seconds (user + system over the call) against the wall time shows how much of the
 * two cores the call got on a shared machine.
 *
 * Output lines are "key value" for scripts. Exit status: 0 success, 1 a library error, 2 a usage error.
 */
#include <plumb/plumb.h>

#include "auc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_RUNS 100

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

/* The value in bytes of a "Key:   N kB" line of /proc/self/status; -1 when unavailable. */
static long long status_bytes(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long v = -1;
    const size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            v = atoll(line + n + 1) * 1024;
            break;
        }
    fclose(f);
    return v;
}

static long long max_rss_bytes(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (long long)ru.ru_maxrss * 1024;
}

/* Resets the peak resident set (VmHWM, and with it ru_maxrss) to the current one; false when not allowed. */
static bool reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return false;
    const bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static int usage(FILE *out, int status) {
    fprintf(out, "usage: bench_gbdt train [options] TRAIN.csv TEST.csv\n"
                 "       bench_gbdt score [--runs N] MODEL TEST.csv\n"
                 "train options (defaults: the benchmark's settings):\n"
                 "  --rows N             train on the first N rows only (default all)\n"
                 "  --iterations N       boosting iterations (500)\n"
                 "  --leaves N           num_leaves (255)\n"
                 "  --learning-rate X    (0.1)\n"
                 "  --max-bin N          (255)\n"
                 "  --threads N          training threads, 0 = all cores (2)\n"
                 "  --lambda-l2 X        (1)\n"
                 "  --min-data-in-leaf N (20)\n"
                 "  --min-sum-hessian X  min_sum_hessian_in_leaf (0.001)\n"
                 "  --predictions FILE   write test predictions as little-endian float64\n"
                 "  --model FILE         save the model\n"
                 "score options:\n"
                 "  --runs N             timed predictions after one warm-up (5); threads: OMP_NUM_THREADS\n");
    return status;
}

static bool parse_int(const char *s, long long min, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min)
        return false;
    *out = v;
    return true;
}

static bool parse_real(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static void print_error(const plumb_error *err) {
    char msg[PLUMB_ERROR_MAX];
    fprintf(stderr, "bench_gbdt: %s\n", plumb_error_format(err, msg, sizeof msg));
}

/* Reads path with "label" as the target; prints "read_<what>_seconds". NULL after printing the error. */
static plumb_frame *read_frame(const char *path, const char *what) {
    plumb_read_options opts;
    plumb_read_options_init(&opts);
    opts.target = "label";
    plumb_frame *frame = NULL;
    plumb_error err;
    const double t0 = now_seconds();
    if (plumb_frame_read_csv(path, &opts, &frame, &err) != PLUMB_OK) {
        print_error(&err);
        return NULL;
    }
    printf("read_%s_seconds %.6f\n", what, now_seconds() - t0);
    return frame;
}

/* Test AUC and mean log-loss of predictions p against the frame's label column; prints them. */
static bool print_quality(const plumb_frame *test, const double *p) {
    const int64_t n = plumb_frame_n_rows(test);
    const int64_t col = plumb_frame_find(test, "label");
    const double *y = col >= 0 ? plumb_frame_f64(test, col) : NULL;
    if (!y) {
        fprintf(stderr, "bench_gbdt: the test file has no numeric 'label' column\n");
        return false;
    }
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        const double q = fmin(fmax(p[i], 1e-15), 1 - 1e-15);
        loss -= y[i] != 0 ? log(q) : log1p(-q);
    }
    printf("test_auc %.6f\n", bench_auc(p, y, n));
    printf("test_logloss %.6f\n", loss / (double)n);
    return true;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_train(int argc, char **argv) {
    long long rows = 0, iterations = 500, leaves = 255, max_bin = 255, threads = 2, min_data = 20;
    double lr = 0.1, l2 = 1.0, min_hess = 1e-3;
    const char *paths[2] = {NULL, NULL}, *pred_path = NULL, *model_path = NULL;
    int n_paths = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        long long *iv = strcmp(a, "--rows") == 0               ? &rows
                        : strcmp(a, "--iterations") == 0       ? &iterations
                        : strcmp(a, "--leaves") == 0           ? &leaves
                        : strcmp(a, "--max-bin") == 0          ? &max_bin
                        : strcmp(a, "--threads") == 0          ? &threads
                        : strcmp(a, "--min-data-in-leaf") == 0 ? &min_data
                                                               : NULL;
        double *dv = strcmp(a, "--learning-rate") == 0     ? &lr
                     : strcmp(a, "--lambda-l2") == 0       ? &l2
                     : strcmp(a, "--min-sum-hessian") == 0 ? &min_hess
                                                           : NULL;
        const char **sv = strcmp(a, "--predictions") == 0 ? &pred_path : strcmp(a, "--model") == 0 ? &model_path : NULL;
        if ((iv || dv || sv) && i + 1 < argc) {
            const char *v = argv[++i];
            if ((iv && !parse_int(v, iv == &threads ? 0 : 1, iv)) || (dv && !parse_real(v, dv))) {
                fprintf(stderr, "bench_gbdt: bad value '%s' for %s\n", v, a);
                return usage(stderr, 2);
            }
            if (sv)
                *sv = v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bench_gbdt: unknown option '%s'\n", a);
            return usage(stderr, 2);
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "bench_gbdt: more than two files\n");
            return usage(stderr, 2);
        }
    }
    if (n_paths != 2)
        return usage(stderr, 2);

    int status = 1;
    plumb_frame *train = NULL, *test = NULL;
    plumb_model *model = NULL;
    int64_t *take = NULL;
    double *pred = NULL;
    plumb_error err;
    printf("plumb %s\n", plumb_version());
    if (!(train = read_frame(paths[0], "train")) || !(test = read_frame(paths[1], "test")))
        goto done;
    if (rows > 0 && rows < plumb_frame_n_rows(train)) {
        plumb_frame *part = NULL;
        if (!(take = malloc((size_t)rows * sizeof *take))) {
            fprintf(stderr, "bench_gbdt: out of memory\n");
            goto done;
        }
        for (int64_t i = 0; i < rows; i++)
            take[i] = i;
        if (plumb_frame_take(train, take, rows, &part, &err) != PLUMB_OK) {
            print_error(&err);
            goto done;
        }
        plumb_frame_free(train);
        train = part;
    }
    const int64_t n_test = plumb_frame_n_rows(test);
    printf("train_rows %lld\n", (long long)plumb_frame_n_rows(train));
    printf("test_rows %lld\n", (long long)n_test);

    plumb_gbdt_params params;
    plumb_gbdt_params_init(&params);
    params.task = PLUMB_TASK_BINARY;
    params.num_iterations = iterations;
    params.num_leaves = (int32_t)leaves;
    params.learning_rate = lr;
    params.max_bin = (int32_t)max_bin;
    params.n_threads = (int)threads;
    params.lambda_l2 = l2;
    params.min_data_in_leaf = min_data;
    params.min_sum_hessian_in_leaf = min_hess;
    printf("params iterations=%lld num_leaves=%lld learning_rate=%g max_bin=%lld threads=%lld lambda_l2=%g "
           "min_data_in_leaf=%lld min_sum_hessian_in_leaf=%g\n",
           iterations, leaves, lr, max_bin, threads, l2, min_data, min_hess);

    const long long peak_reading = max_rss_bytes();
    const bool reset = reset_peak();
    printf("rss_before_train_bytes %lld\n", status_bytes("VmRSS"));
    const double c0 = cpu_seconds(), t0 = now_seconds();
    if (plumb_gbdt_train(train, NULL, &params, &model, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    const double t1 = now_seconds(), c1 = cpu_seconds();
    printf("train_seconds %.6f\n", t1 - t0);
    printf("train_cpu_seconds %.6f\n", c1 - c0);
    printf("train_peak_rss_bytes %lld\n", reset ? status_bytes("VmHWM") : -1LL);
    plumb_model_info info;
    plumb_model_describe(model, &info);
    printf("trees %lld\n", (long long)info.n_trees);
    printf("train_logloss %.6f\n", info.train_metric);

    if (!(pred = malloc((size_t)n_test * sizeof *pred))) {
        fprintf(stderr, "bench_gbdt: out of memory\n");
        goto done;
    }
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("predict_threads %s\n", omp ? omp : "default");
    const double p0 = now_seconds();
    if (plumb_model_predict(model, test, NULL, pred, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    printf("predict_seconds %.6f\n", now_seconds() - p0);
    if (!print_quality(test, pred))
        goto done;
    if (pred_path) {
        FILE *f = fopen(pred_path, "wb");
        if (!f || fwrite(pred, sizeof *pred, (size_t)n_test, f) != (size_t)n_test || fclose(f) != 0) {
            fprintf(stderr, "bench_gbdt: cannot write '%s': %s\n", pred_path, strerror(errno));
            goto done;
        }
    }
    if (model_path && plumb_model_save(model, model_path, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    const long long peak_after = max_rss_bytes();
    printf("peak_rss_bytes %lld\n", peak_reading > peak_after ? peak_reading : peak_after);
    status = 0;
done:
    plumb_model_free(model);
    plumb_frame_free(train);
    plumb_frame_free(test);
    free(take);
    free(pred);
    return status;
}

static int run_score(int argc, char **argv) {
    long long runs = 5;
    const char *paths[2] = {NULL, NULL};
    int n_paths = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
            if (!parse_int(argv[++i], 1, &runs) || runs > MAX_RUNS) {
                fprintf(stderr, "bench_gbdt: bad value '%s' for --runs: 1 to %d\n", argv[i], MAX_RUNS);
                return usage(stderr, 2);
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bench_gbdt: unknown option '%s'\n", a);
            return usage(stderr, 2);
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "bench_gbdt: more than two files\n");
            return usage(stderr, 2);
        }
    }
    if (n_paths != 2)
        return usage(stderr, 2);

    int status = 1;
    plumb_model *model = NULL;
    plumb_frame *test = NULL;
    double *pred = NULL;
    plumb_error err;
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("plumb %s\n", plumb_version());
    printf("threads %s\n", omp ? omp : "default");
    if (plumb_model_load(paths[0], &model, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    if (!(test = read_frame(paths[1], "test")))
        goto done;
    const int64_t n = plumb_frame_n_rows(test);
    if (!(pred = malloc((size_t)n * sizeof *pred))) {
        fprintf(stderr, "bench_gbdt: out of memory\n");
        goto done;
    }
    double times[MAX_RUNS];
    for (long long run = 0; run <= runs; run++) {
        const double t0 = now_seconds();
        if (plumb_model_predict(model, test, NULL, pred, &err) != PLUMB_OK) {
            print_error(&err);
            goto done;
        }
        const double dt = now_seconds() - t0;
        if (run == 0) {
            printf("warmup seconds %.6f\n", dt);
        } else {
            times[run - 1] = dt;
            printf("run %lld seconds %.6f\n", run, dt);
        }
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    const double median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    printf("rows %lld\n", (long long)n);
    printf("score_seconds %.6f\n", median);
    printf("rows_per_second %.0f\n", (double)n / median);
    if (!print_quality(test, pred))
        goto done;
    status = 0;
done:
    plumb_model_free(model);
    plumb_frame_free(test);
    free(pred);
    return status;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines appear as they are measured, also into a file */
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return run_train(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "score") == 0)
        return run_score(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return usage(stdout, 0);
    return usage(stderr, 2);
}
