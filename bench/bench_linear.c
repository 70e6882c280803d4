/* bench_linear.c -- times plumb's logistic regression on the Higgs-like data, for bench/run-linear to set beside
 * scikit-learn's LogisticRegression(solver='lbfgs').
 *
 * usage: bench_linear [options] TRAIN.csv
 *   --rows N     train on the first N rows only (plumb_frame_take; default all)
 *   --threads N  training threads (2)
 *   --C X        inverse penalty as scikit-learn's C (1, its default): alpha = 1 / (C * rows), L2
 *   --tol X      plumb's optimality tolerance (its default, 1e-8)
 *   --coef FILE  write the fitted coefficients on the standardised scale, "name value" a line, intercept first
 *
 * Reads TRAIN.csv with plumb_frame_read_csv (target "label"; timed apart), then times plumb_linear_train alone:
 * the preprocessing it learns (medians, missing indicators, means and standard deviations of the 28 columns) is
 * part of the time, as the model carries it; scikit-learn's side times fit() on data already imputed and scaled.
 * Prints "key value" lines: read_seconds, train_rows, train_seconds, train_cpu_seconds (user + system over the
 * call: how much of the cores it got on a shared machine), n_iterations, converged, n_coefficients, objective
 * (the penalised objective of docs/linear.md, which is scikit-learn's divided by C times the rows), train_logloss.
 * Exit status: 0 success, 1 a library error, 2 a usage error.
 */
#include <plumb/plumb.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

static int usage(FILE *out, int status) {
    fprintf(out, "usage: bench_linear [--rows N] [--threads N] [--C X] [--tol X] [--coef FILE] TRAIN.csv\n");
    return status;
}

static void print_error(const plumb_error *err) {
    char msg[PLUMB_ERROR_MAX];
    fprintf(stderr, "bench_linear: %s\n", plumb_error_format(err, msg, sizeof msg));
}

int main(int argc, char **argv) {
    long long rows = 0, threads = 2;
    double C = 1, tol = 1e-8;
    const char *path = NULL, *coef_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout, 0);
        if (a[0] == '-' && i + 1 < argc) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            if (strcmp(a, "--coef") == 0) {
                coef_path = v;
                continue;
            }
            const double x = strtod(v, &end);
            if (errno || end == v || *end || !isfinite(x) || x <= 0) {
                fprintf(stderr, "bench_linear: bad value '%s' for %s\n", v, a);
                return usage(stderr, 2);
            }
            if (strcmp(a, "--rows") == 0)
                rows = (long long)x;
            else if (strcmp(a, "--threads") == 0)
                threads = (long long)x;
            else if (strcmp(a, "--C") == 0)
                C = x;
            else if (strcmp(a, "--tol") == 0)
                tol = x;
            else
                return usage(stderr, 2);
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            return usage(stderr, 2);
        }
    }
    if (!path)
        return usage(stderr, 2);

    plumb_read_options opts;
    plumb_read_options_init(&opts);
    opts.target = "label";
    plumb_frame *frame = NULL, *part = NULL;
    plumb_model *model = NULL;
    plumb_error err;
    int rc = 1;
    double t0 = now_seconds();
    if (plumb_frame_read_csv(path, &opts, &frame, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    printf("read_seconds %.6f\n", now_seconds() - t0);
    if (rows > 0 && rows < plumb_frame_n_rows(frame)) {
        int64_t *idx = malloc((size_t)rows * sizeof *idx);
        for (int64_t i = 0; idx && i < rows; i++)
            idx[i] = i;
        if (!idx || plumb_frame_take(frame, idx, rows, &part, &err) != PLUMB_OK) {
            free(idx);
            print_error(&err);
            goto done;
        }
        free(idx);
    }
    const plumb_frame *train = part ? part : frame;
    const int64_t n = plumb_frame_n_rows(train);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.task = PLUMB_TASK_BINARY;
    p.alpha = 1 / (C * (double)n);
    p.l1_ratio = 0;
    p.tol = tol;
    p.n_threads = (int)threads;
    t0 = now_seconds();
    const double c0 = cpu_seconds();
    if (plumb_linear_train(train, &p, &model, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    const double elapsed = now_seconds() - t0, cpu = cpu_seconds() - c0;
    plumb_linear_info li;
    plumb_model_info mi;
    const plumb_coefficient *co;
    int64_t k;
    if (plumb_linear_describe(model, &li, &err) != PLUMB_OK || plumb_model_coefficients(model, &co, &k, &err)) {
        print_error(&err);
        goto done;
    }
    plumb_model_describe(model, &mi);
    printf("train_rows %lld\ntrain_seconds %.6f\ntrain_cpu_seconds %.6f\nn_iterations %lld\nconverged %d\n"
           "n_coefficients %lld\nalpha %.17g\nobjective %.17g\ntrain_logloss %.17g\n",
           (long long)n, elapsed, cpu, (long long)li.n_iterations, li.converged, (long long)k, p.alpha, li.objective,
           mi.train_metric);
    if (coef_path) {
        FILE *f = fopen(coef_path, "w");
        for (int64_t j = 0; f && j < k; j++)
            fprintf(f, "%s %.17g\n", co[j].name, co[j].standardized);
        if (!f || fclose(f) != 0) {
            fprintf(stderr, "bench_linear: cannot write '%s'\n", coef_path);
            goto done;
        }
    }
    rc = 0;
done:
    plumb_model_free(model);
    plumb_frame_free(part);
    plumb_frame_free(frame);
    return rc;
}
