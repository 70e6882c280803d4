/* lgbm_row.c -- LightGBM's side of the single-row benchmark (bench/run-row): trains a LightGBM model with the
 * benchmark's settings, or times LightGBM's single-row C API on the test rows, for the runner to set beside plumb's
 * scorer (bench_row) and XGBoost's inplace_predict (xgb_row.py).
 *
 * usage: lgbm_row train [--iterations N] [--threads N] TRAIN.csv MODEL
 *        lgbm_row score [--rows N] [--reps N] MODEL TEST.csv
 *
 * train builds a Dataset from TRAIN.csv (header, target column "label"), trains with the benchmark's settings
 * (objective binary, 500 iterations, num_leaves 255, learning_rate 0.1, max_bin 255, lambda_l2 1,
 * min_data_in_leaf 20, min_sum_hessian_in_leaf 0.001; 2 threads) and saves the model in LightGBM's text format.
 *
 * score loads MODEL, reads the first --rows rows (10000) of TEST.csv, each value parsed with strtof (as plumb's
 * reader stores numbers, float32; an empty field is missing, NaN) and passed as float64 row-major, and scores
 * them one at a time with
 *   single: LGBM_BoosterPredictForMatSingleRow (parameter "num_threads=1"), and
 *   fast:   LGBM_BoosterPredictForMatSingleRowFast after one LGBM_BoosterPredictForMatSingleRowFastInit
 *           (compiled in when LGBM_ROW_FAST is defined: the runner defines it when c_api.h declares the call).
 * A warm-up pass of each scores every row once and checks the predictions equal LGBM_BoosterPredictForMat's on
 * the same rows (exit 1 otherwise); then --reps repetitions (5), alternating which API goes first, each timed as
 * bench/rowtime.h describes. Also prints the AUC of the predictions on those rows (a sanity check of the model).
 *
 * Not built by CMake (LightGBM is no dependency of plumb): bench/run-row compiles it with
 *   cc -O2 -DLGBM_ROW_FAST -I$LIGHTGBM_DIR/include bench/lgbm_row.c -o lgbm_row \
 *      -L$LIGHTGBM_DIR -l_lightgbm -Wl,-rpath,$LIGHTGBM_DIR -lm
 * Output lines are "key value" for scripts. Exit status: 0 success, 1 a LightGBM or data error, 2 a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdint.h> /* before c_api.h: its arrow.h uses int64_t without including it when compiled as C */

#include <LightGBM/c_api.h>

#include "auc.h"
#include "rowtime.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 1024
#define LINE_MAX_BYTES 65536

static int usage(FILE *out, int status) {
    fprintf(out,
            "usage: lgbm_row train [--iterations N] [--threads N] TRAIN.csv MODEL\n"
            "       lgbm_row score [--rows N] [--reps N] MODEL TEST.csv\n"
            "  --iterations N  boosting iterations (500); the other settings are the benchmark's\n"
            "  --threads N     training threads (2); scoring always uses 1\n"
            "  --rows N        test rows scored one at a time (10000)\n"
            "  --reps N        timed repetitions over the rows after a warm-up (5, at most %d)\n",
            ROWTIME_MAX_REPS);
    return status;
}

static bool parse_count(const char *s, long long max, long long *out) {
    char *end;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

/* Parses "--name N" options named in names[] into values[]; the other arguments go to paths[0..2). Returns
 * false (after a message) on a bad option or value or when there are not exactly two paths. */
static bool parse_args(int argc, char **argv, const char *const *names, const long long *max, long long *values,
                       int n_names, const char **paths) {
    int n_paths = 0;
    for (int i = 2; i < argc; i++) {
        int k = 0;
        while (k < n_names && strcmp(argv[i], names[k]) != 0)
            k++;
        if (k < n_names && i + 1 < argc) {
            if (!parse_count(argv[++i], max[k], &values[k])) {
                fprintf(stderr, "lgbm_row: bad value '%s' for %s: 1 to %lld\n", argv[i], names[k], max[k]);
                return false;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "lgbm_row: unknown option '%s'\n", argv[i]);
            return false;
        } else if (n_paths < 2) {
            paths[n_paths++] = argv[i];
        } else {
            fprintf(stderr, "lgbm_row: more than two files\n");
            return false;
        }
    }
    return n_paths == 2;
}

static bool lgbm_ok(int rc, const char *what) {
    if (rc == 0)
        return true;
    fprintf(stderr, "lgbm_row: %s: %s\n", what, LGBM_GetLastError());
    return false;
}

/* ---- train ---------------------------------------------------------------------------------------------------- */

static int run_train(int argc, char **argv) {
    static const char *const names[] = {"--iterations", "--threads"};
    static const long long max[] = {100000, 1024};
    long long values[] = {500, 2};
    const char *paths[2];
    if (!parse_args(argc, argv, names, max, values, 2, paths))
        return usage(stderr, 2);
    char params[512];
    snprintf(params, sizeof params,
             "objective=binary num_leaves=255 learning_rate=0.1 max_bin=255 lambda_l2=1 min_data_in_leaf=20 "
             "min_sum_hessian_in_leaf=0.001 num_threads=%lld header=true label_column=name:label verbosity=-1",
             values[1]);
    printf("lightgbm_params %s iterations=%lld\n", params, values[0]);

    int status = 1;
    DatasetHandle data = NULL;
    BoosterHandle booster = NULL;
    const int64_t t0 = rowtime_now_ns();
    if (!lgbm_ok(LGBM_DatasetCreateFromFile(paths[0], params, NULL, &data), "cannot read the training data"))
        goto done;
    const int64_t t1 = rowtime_now_ns();
    printf("dataset_seconds %.3f\n", (double)(t1 - t0) / 1e9);
    if (!lgbm_ok(LGBM_BoosterCreate(data, params, &booster), "cannot create the booster"))
        goto done;
    long long it = 0;
    for (int finished = 0; it < values[0] && !finished; it++)
        if (!lgbm_ok(LGBM_BoosterUpdateOneIter(booster, &finished), "training failed"))
            goto done;
    printf("train_seconds %.3f\n", (double)(rowtime_now_ns() - t1) / 1e9);
    printf("iterations %lld\n", it);
    if (!lgbm_ok(LGBM_BoosterSaveModel(booster, 0, -1, 0, paths[1]), "cannot save the model"))
        goto done;
    status = 0;
done:
    if (booster)
        LGBM_BoosterFree(booster);
    if (data)
        LGBM_DatasetFree(data);
    return status;
}

/* ---- score ---------------------------------------------------------------------------------------------------- */

/* The first n_rows rows of a CSV of numbers with a header naming a "label" column: x gets the other columns of
 * each row (row-major, n_features each, float32 values widened to double), y the labels. Returns the number of
 * rows read (fewer when the file is shorter), or -1 after a message. */
static int64_t read_rows(const char *path, int64_t n_rows, int n_features, double *x, double *y) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "lgbm_row: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    static char line[LINE_MAX_BYTES];
    int64_t row = 0;
    int label = -1, n_cols = 0;
    if (fgets(line, sizeof line, f)) {
        for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), n_cols++)
            if (strcmp(tok, "label") == 0)
                label = n_cols;
    }
    if (label < 0 || n_cols - 1 != n_features) {
        fprintf(stderr, "lgbm_row: '%s': want a header with 'label' and %d other columns\n", path, n_features);
        goto fail;
    }
    for (; row < n_rows && fgets(line, sizeof line, f); row++) {
        const char *p = line;
        double *xr = x + row * n_features;
        for (int c = 0, k = 0; c < n_cols; c++) {
            char *end = (char *)p;
            const bool empty = *p == ',' || *p == '\r' || *p == '\n' || *p == '\0'; /* missing */
            const float v = empty ? NAN : strtof(p, &end);
            if ((end == p && !empty) || (*end != ',' && c + 1 < n_cols)) {
                fprintf(stderr, "lgbm_row: %s:%lld: bad number in column %d\n", path, (long long)row + 2, c + 1);
                goto fail;
            }
            if (c == label)
                y[row] = v;
            else
                xr[k++] = v;
            p = end + 1;
        }
    }
    fclose(f);
    return row;
fail:
    fclose(f);
    return -1;
}

typedef struct score_ctx {
    BoosterHandle booster;
    FastConfigHandle fast;
    const double *x;
    int n_features;
    double *pred; /* one per row */
} score_ctx;

static int score_single(void *ctx, int64_t row) {
    score_ctx *c = ctx;
    int64_t len;
    return LGBM_BoosterPredictForMatSingleRow(c->booster, c->x + row * c->n_features, C_API_DTYPE_FLOAT64,
                                              c->n_features, 1, C_API_PREDICT_NORMAL, 0, -1, "num_threads=1", &len,
                                              &c->pred[row]);
}

#ifdef LGBM_ROW_FAST
static int score_fast(void *ctx, int64_t row) {
    score_ctx *c = ctx;
    int64_t len;
    return LGBM_BoosterPredictForMatSingleRowFast(c->fast, c->x + row * c->n_features, &len, &c->pred[row]);
}
#endif

/* Scores every row once with fn (the warm-up) and checks the predictions equal want's bit for bit. */
static bool warm_up(const char *name, rowtime_fn fn, score_ctx *ctx, int64_t n, const double *want) {
    for (int64_t i = 0; i < n; i++)
        if (!lgbm_ok(fn(ctx, i), name))
            return false;
    if (memcmp(ctx->pred, want, (size_t)n * sizeof *want) != 0) {
        fprintf(stderr, "lgbm_row: %s: predictions differ from LGBM_BoosterPredictForMat's\n", name);
        return false;
    }
    printf("%s_equals_batch 1\n", name);
    return true;
}

static int run_score(int argc, char **argv) {
    static const char *const names[] = {"--rows", "--reps"};
    static const long long max[] = {10000000, ROWTIME_MAX_REPS};
    long long values[] = {10000, 5};
    const char *paths[2];
    if (!parse_args(argc, argv, names, max, values, 2, paths))
        return usage(stderr, 2);
    const int reps = (int)values[1];

    int status = 1, n_iter = 0, n_features = 0;
    BoosterHandle booster = NULL;
    score_ctx ctx = {0};
    double *x = NULL, *y = NULL, *batch = NULL, *pred = NULL;
    int64_t *scratch = NULL;
    printf("lightgbm_threads 1\n");
    if (!lgbm_ok(LGBM_BoosterCreateFromModelfile(paths[0], &n_iter, &booster), "cannot load the model") ||
        !lgbm_ok(LGBM_BoosterGetNumFeature(booster, &n_features), "cannot count the features"))
        goto done;
    printf("iterations %d\n", n_iter);
    printf("features %d\n", n_features);
    if (n_features < 1 || n_features > MAX_COLUMNS) {
        fprintf(stderr, "lgbm_row: the model has %d features\n", n_features);
        goto done;
    }
    const int64_t want = values[0];
    x = malloc((size_t)want * (size_t)n_features * sizeof *x);
    y = malloc((size_t)want * sizeof *y);
    batch = malloc((size_t)want * sizeof *batch);
    pred = malloc((size_t)want * sizeof *pred);
    scratch = malloc((size_t)want * sizeof *scratch);
    if (!x || !y || !batch || !pred || !scratch) {
        fprintf(stderr, "lgbm_row: out of memory\n");
        goto done;
    }
    const int64_t n = read_rows(paths[1], want, n_features, x, y);
    if (n < 1) {
        if (n == 0)
            fprintf(stderr, "lgbm_row: '%s' has no rows\n", paths[1]);
        goto done;
    }
    printf("rows %lld\n", (long long)n);
    int64_t len;
    if (!lgbm_ok(LGBM_BoosterPredictForMat(booster, x, C_API_DTYPE_FLOAT64, (int32_t)n, n_features, 1,
                                           C_API_PREDICT_NORMAL, 0, -1, "num_threads=1", &len, batch),
                 "batch prediction failed"))
        goto done;

    ctx = (score_ctx){.booster = booster, .x = x, .n_features = n_features, .pred = pred};
    if (!warm_up("lgbm_single", score_single, &ctx, n, batch))
        goto done;
#ifdef LGBM_ROW_FAST
    if (!lgbm_ok(LGBM_BoosterPredictForMatSingleRowFastInit(booster, C_API_PREDICT_NORMAL, 0, -1, C_API_DTYPE_FLOAT64,
                                                            n_features, "num_threads=1", &ctx.fast),
                 "LGBM_BoosterPredictForMatSingleRowFastInit failed") ||
        !warm_up("lgbm_fast", score_fast, &ctx, n, batch))
        goto done;
    static const int n_apis = 2;
    static const rowtime_fn fns[] = {score_single, score_fast};
    static const char *const api_names[] = {"lgbm_single", "lgbm_fast"};
#else
    static const int n_apis = 1;
    static const rowtime_fn fns[] = {score_single};
    static const char *const api_names[] = {"lgbm_single"};
    printf("lgbm_fast_missing 1\n");
#endif
    printf("test_auc_rows %.6f\n", bench_auc(batch, y, n));
    printf("timer_overhead_ns %.1f\n", rowtime_timer_overhead_ns());

    rowtime_result results[2][ROWTIME_MAX_REPS];
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < n_apis; k++) {
            const int api = (r + k) % n_apis; /* alternate which goes first */
            if (!lgbm_ok(rowtime_rep(fns[api], &ctx, n, scratch, &results[api][r]), api_names[api]))
                goto done;
            rowtime_print_rep(api_names[api], r + 1, &results[api][r]);
        }
    for (int api = 0; api < n_apis; api++)
        rowtime_print_summary(api_names[api], results[api], reps);
    status = 0;
done:
#ifdef LGBM_ROW_FAST
    if (ctx.fast)
        LGBM_FastConfigFree(ctx.fast);
#endif
    if (booster)
        LGBM_BoosterFree(booster);
    free(x);
    free(y);
    free(batch);
    free(pred);
    free(scratch);
    return status;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return run_train(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "score") == 0)
        return run_score(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return usage(stdout, 0);
    return usage(stderr, 2);
}
