/* lgbm_batch.c -- times LightGBM's batch prediction (LGBM_BoosterPredictForMat) on the Higgs-like test rows, for
 * bench/run-compile to set beside plumb's interpreted, quantised and compiled models.
 *
 * usage: lgbm_batch [--rows N] [--reps N] [--threads N] MODEL TEST.csv
 *
 * Reads the first --rows rows (200000) of TEST.csv (a header; the column "label" is skipped, the others are the
 * model's features in order) into a float32 row-major matrix -- the form LightGBM takes without a copy -- and
 * predicts them all in one call with num_threads=--threads (1), once untimed and then --reps times (5).
 * Output lines "key value": rows, rows_per_second (of the median call), seconds_median, cpu_us_per_row (the
 * process's CPU time per row: with 1 thread, comparable to bench_cputime's on a loaded machine).
 * Not built by CMake (LightGBM is no dependency of plumb): bench/run-compile compiles it against LIGHTGBM_DIR.
 * Exit status: 0 success, 1 a LightGBM or data error, 2 a usage error.
 */
#include <stdint.h>

#include <LightGBM/c_api.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPS 50

static double now_clock(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long rows = 200000, reps = 5, threads = 1;
    const char *paths[2];
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        long *opt = strcmp(argv[i], "--rows") == 0      ? &rows
                    : strcmp(argv[i], "--reps") == 0    ? &reps
                    : strcmp(argv[i], "--threads") == 0 ? &threads
                                                        : NULL;
        if (opt && i + 1 < argc)
            *opt = strtol(argv[++i], NULL, 10);
        else if (n_paths < 2 && argv[i][0] != '-')
            paths[n_paths++] = argv[i];
        else
            n_paths = 3;
    }
    if (n_paths != 2 || rows < 1 || reps < 1 || reps > MAX_REPS || threads < 1) {
        fprintf(stderr, "usage: lgbm_batch [--rows N] [--reps N] [--threads N] MODEL TEST.csv\n");
        return 2;
    }
    int n_iter = 0, n_features = 0;
    BoosterHandle booster = NULL;
    if (LGBM_BoosterCreateFromModelfile(paths[0], &n_iter, &booster) != 0 ||
        LGBM_BoosterGetNumFeature(booster, &n_features) != 0) {
        fprintf(stderr, "lgbm_batch: %s\n", LGBM_GetLastError());
        return 1;
    }
    FILE *f = fopen(paths[1], "r");
    char *line = NULL;
    size_t cap = 0;
    if (!f || getline(&line, &cap, f) < 0) {
        fprintf(stderr, "lgbm_batch: cannot read '%s'\n", paths[1]);
        return 1;
    }
    int label = -1, col = 0;
    for (char *p = line, *tok; (tok = strsep(&p, ",\n")) != NULL && *tok; col++)
        if (strcmp(tok, "label") == 0)
            label = col;
    float *x = malloc((size_t)rows * (size_t)n_features * sizeof *x);
    double *out = malloc((size_t)rows * sizeof *out);
    long n = 0;
    while (x && out && n < rows && getline(&line, &cap, f) > 0) {
        char *p = line;
        int j = 0;
        for (int c = 0; c < col; c++) {
            char *end;
            const float v = strtof(p, &end);
            if (c != label && j < n_features)
                x[n * n_features + j++] = end == p ? __builtin_nanf("") : v;
            p = strchr(end, ',');
            if (!p)
                break;
            p++;
        }
        n++;
    }
    fclose(f);
    free(line);
    char params[64];
    snprintf(params, sizeof params, "num_threads=%ld", threads);
    double t[MAX_REPS], cpu[MAX_REPS];
    int64_t len;
    for (long r = -1; r < reps; r++) {
        const double t0 = now_clock(CLOCK_MONOTONIC), c0 = now_clock(CLOCK_PROCESS_CPUTIME_ID);
        if (LGBM_BoosterPredictForMat(booster, x, C_API_DTYPE_FLOAT32, (int32_t)n, n_features, 1, C_API_PREDICT_NORMAL,
                                      0, -1, params, &len, out) != 0) {
            fprintf(stderr, "lgbm_batch: %s\n", LGBM_GetLastError());
            return 1;
        }
        if (r >= 0) {
            t[r] = now_clock(CLOCK_MONOTONIC) - t0;
            cpu[r] = now_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    const double med = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp);
    const double cmed = reps % 2 ? cpu[reps / 2] : (cpu[reps / 2 - 1] + cpu[reps / 2]) / 2;
    printf("cpu_us_per_row %.4f\n", cmed / (double)n * 1e6); /* the process's CPU time: all its threads */
    printf("iterations %d\nrows %ld\nthreads %ld\nseconds_median %.6f\nrows_per_second %.0f\n", n_iter, n, threads, med,
           (double)n / med);
    LGBM_BoosterFree(booster);
    free(x);
    free(out);
    return 0;
}
