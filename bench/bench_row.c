/* bench_row.c -- times plumb's single-row scorer (plumb_scorer_row) on the Higgs-like test rows, for bench/run-row
 * to set beside LightGBM's single-row C API (lgbm_row) and XGBoost's inplace_predict (xgb_row.py).
 *
 * usage: bench_row [--rows N] [--reps N] MODEL TEST.csv
 *
 * Loads MODEL, reads TEST.csv with the model's schema (plumb_frame_read_csv) and keeps its first --rows rows
 * (10000). Each row becomes what a server holds: an array of doubles in the order of the model's feature names
 * (numeric values widened from the frame's float32, bool 0/1, NaN for missing) and, when the model has
 * categorical features, an array of category strings. One scorer is bound to those names (plumb_scorer_create),
 * then:
 *   1. warm-up: every row scored once with plumb_scorer_row; the predictions must equal plumb_model_predict's on
 *      the same rows of the frame bit for bit, and so must plumb_scorer_matrix's on the doubles (row-major, 1
 *      thread; skipped for models with categorical features, whose matrix columns hold category codes) --
 *      exit 1 otherwise;
 *   2. --reps repetitions (5), each timing plumb_scorer_row on every row as bench/rowtime.h describes (per-call
 *      median and p99, batch mean), and, for comparison, one plumb_scorer_matrix call and one
 *      plumb_model_predict call over all the rows on 1 thread (per-row cost of the batch paths).
 * Everything runs on the calling thread: plumb_scorer_row never starts threads, and the batch calls are given 1.
 *
 * Also prints the AUC of the predictions on those rows against the "label" column (test_auc_rows; binary models),
 * a sanity check that the models of the three libraries are alike.
 * Output lines are "key value" for scripts (bench/rowtime.h lists the timing keys; the prefix is "plumb").
 * Exit status: 0 success, 1 a library error or predictions that differ, 2 a usage error.
 */
#include <plumb/plumb.h>

#include "auc.h"
#include "rowtime.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *out, int status) {
    fprintf(out,
            "usage: bench_row [--rows N] [--reps N] MODEL TEST.csv\n"
            "  --rows N  test rows scored one at a time (10000)\n"
            "  --reps N  timed repetitions over the rows after a warm-up (5, at most %d)\n",
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

static void print_error(const plumb_error *err) {
    char msg[PLUMB_ERROR_MAX];
    fprintf(stderr, "bench_row: %s\n", plumb_error_format(err, msg, sizeof msg));
}

/* The rows as a caller of plumb_scorer_row holds them. */
typedef struct rows {
    int64_t n, n_features, n_outputs;
    double *values;          /* n x n_features, row-major */
    const char **categories; /* n x n_features, row-major; NULL when no feature is categorical */
} rows;

/* Fills r->values (and r->categories) from the first r->n rows of frame, feature f taken from the frame's
 * column names[f]. Returns false after a message. */
static bool fill_rows(const plumb_frame *frame, const char *const *names, rows *r) {
    const plumb_schema *schema = plumb_frame_schema(frame);
    const int64_t nf = r->n_features;
    for (int64_t f = 0; f < nf; f++) {
        const int64_t col = plumb_frame_find(frame, names[f]);
        if (col < 0) {
            fprintf(stderr, "bench_row: the test file has no column '%s'\n", names[f]);
            return false;
        }
        plumb_column_info info;
        plumb_schema_column(schema, col, &info);
        const float *f32 = plumb_frame_f32(frame, col);
        const double *f64 = plumb_frame_f64(frame, col);
        const uint8_t *u8 = plumb_frame_u8(frame, col);
        const int32_t *codes = plumb_frame_codes(frame, col);
        if (info.type == PLUMB_TYPE_CATEGORICAL && codes && info.n_categories >= 0) {
            if (!r->categories && !(r->categories = calloc((size_t)(r->n * nf), sizeof *r->categories))) {
                fprintf(stderr, "bench_row: out of memory\n");
                return false;
            }
            for (int64_t i = 0; i < r->n; i++) {
                r->values[i * nf + f] = NAN;
                r->categories[i * nf + f] = codes[i] >= 0 ? info.categories[codes[i]] : NULL;
            }
        } else if (info.type == PLUMB_TYPE_NUMERIC && (f32 || f64)) {
            for (int64_t i = 0; i < r->n; i++)
                r->values[i * nf + f] = f32 ? (double)f32[i] : f64[i];
        } else if (info.type == PLUMB_TYPE_BOOL && u8) {
            for (int64_t i = 0; i < r->n; i++)
                r->values[i * nf + f] = u8[i] == PLUMB_BOOL_MISSING ? NAN : (double)u8[i];
        } else {
            fprintf(stderr, "bench_row: column '%s' is %s, which a model feature cannot be\n", names[f],
                    plumb_type_name(info.type));
            return false;
        }
    }
    return true;
}

typedef struct score_ctx {
    const plumb_scorer *scorer;
    const rows *rows;
    double *pred; /* n x n_outputs */
    plumb_error err;
} score_ctx;

static int score_one(void *ctx, int64_t row) {
    score_ctx *c = ctx;
    const int64_t nf = c->rows->n_features;
    const char *const *cats = c->rows->categories ? c->rows->categories + row * nf : NULL;
    return plumb_scorer_row(c->scorer, c->rows->values + row * nf, cats, c->pred + row * c->rows->n_outputs, &c->err) !=
           PLUMB_OK;
}

/* Checks got equals want (n values) bit for bit; prints "<what>_equals_frame 1" or a message. */
static bool same_bits(const char *what, const double *got, const double *want, int64_t n) {
    if (memcmp(got, want, (size_t)n * sizeof *got) == 0) {
        printf("%s_equals_frame 1\n", what);
        return true;
    }
    int64_t n_diff = 0, first = -1;
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof *got) != 0 && n_diff++ == 0)
            first = i;
    fprintf(stderr,
            "bench_row: %s differs from plumb_model_predict in %lld of %lld values; first at %lld: %.17g vs %.17g\n",
            what, (long long)n_diff, (long long)n, (long long)first, got[first], want[first]);
    return false;
}

/* Prints the AUC of p[0..n) against the frame's "label" column (numbers, or bool) when it has one. Returns false
 * when out of memory. */
static bool print_auc(const plumb_frame *frame, const double *p, int64_t n) {
    const int64_t col = plumb_frame_find(frame, "label");
    const double *y = col >= 0 ? plumb_frame_f64(frame, col) : NULL;
    const uint8_t *yb = col >= 0 ? plumb_frame_u8(frame, col) : NULL;
    if (!y && !yb)
        return true;
    double *copy = NULL;
    if (!y) {
        if (!(copy = malloc((size_t)n * sizeof *copy))) {
            fprintf(stderr, "bench_row: out of memory\n");
            return false;
        }
        for (int64_t i = 0; i < n; i++)
            copy[i] = yb[i] == 1;
    }
    printf("test_auc_rows %.6f\n", bench_auc(p, y ? y : copy, n));
    free(copy);
    return true;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long n_want = 10000, reps = 5;
    const char *paths[2] = {NULL, NULL};
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long long *v = strcmp(a, "--rows") == 0 ? &n_want : strcmp(a, "--reps") == 0 ? &reps : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout, 0);
        if (v && i + 1 < argc) {
            if (!parse_count(argv[++i], v == &reps ? ROWTIME_MAX_REPS : INT32_MAX, v)) {
                fprintf(stderr, "bench_row: bad value '%s' for %s\n", argv[i], a);
                return usage(stderr, 2);
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bench_row: unknown option '%s'\n", a);
            return usage(stderr, 2);
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "bench_row: more than two files\n");
            return usage(stderr, 2);
        }
    }
    if (n_paths != 2)
        return usage(stderr, 2);

    int status = 1;
    plumb_model *model = NULL;
    plumb_frame *frame = NULL, *head = NULL;
    plumb_scorer *scorer = NULL;
    int64_t *take = NULL, *scratch = NULL;
    const char **names = NULL;
    double *want = NULL, *pred = NULL;
    rows r = {0};
    plumb_error err;
    printf("plumb %s\n", plumb_version());
    if (plumb_model_load(paths[0], &model, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    plumb_model_info info;
    plumb_model_describe(model, &info);
    printf("kind %s\n", info.kind);
    printf("trees %lld\n", (long long)info.n_trees);
    printf("features %lld\n", (long long)info.n_features);

    plumb_read_options opts;
    plumb_read_options_init(&opts);
    opts.schema = plumb_model_schema(model);
    opts.schema_subset = 1;
    if (plumb_frame_read_csv(paths[1], &opts, &frame, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    r.n = plumb_frame_n_rows(frame) < n_want ? plumb_frame_n_rows(frame) : n_want;
    r.n_features = info.n_features;
    r.n_outputs = info.n_outputs;
    printf("rows %lld\n", (long long)r.n);
    const size_t n_values = (size_t)(r.n * r.n_features), n_out = (size_t)(r.n * r.n_outputs);
    take = malloc((size_t)r.n * sizeof *take);
    scratch = malloc((size_t)r.n * sizeof *scratch);
    names = malloc((size_t)(r.n_features > 0 ? r.n_features : 1) * sizeof *names);
    r.values = malloc((n_values > 0 ? n_values : 1) * sizeof *r.values);
    want = malloc(n_out * sizeof *want);
    pred = malloc(n_out * sizeof *pred);
    if (!take || !scratch || !names || !r.values || !want || !pred) {
        fprintf(stderr, "bench_row: out of memory\n");
        goto done;
    }
    for (int64_t i = 0; i < r.n; i++)
        take[i] = i;
    if (plumb_frame_take(frame, take, r.n, &head, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    for (int64_t f = 0; f < r.n_features; f++)
        names[f] = plumb_model_feature_name(model, f);
    if (!fill_rows(head, names, &r))
        goto done;
    if (plumb_scorer_create(model, names, r.n_features, &scorer, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    if (plumb_scorer_n_outputs(scorer) != r.n_outputs) {
        fprintf(stderr, "bench_row: the scorer has %lld outputs, the model %lld\n",
                (long long)plumb_scorer_n_outputs(scorer), (long long)r.n_outputs);
        goto done;
    }

    /* warm-up and the bit-for-bit checks */
    const plumb_predict_options one_thread = {.threads = 1};
    if (plumb_model_predict(model, head, &one_thread, want, &err) != PLUMB_OK) {
        print_error(&err);
        goto done;
    }
    score_ctx ctx = {.scorer = scorer, .rows = &r, .pred = pred};
    for (int64_t i = 0; i < r.n; i++)
        if (score_one(&ctx, i)) {
            print_error(&ctx.err);
            goto done;
        }
    if (!same_bits("plumb_scorer_row", pred, want, (int64_t)n_out))
        goto done;
    if (r.n_outputs == 1 && !print_auc(head, want, r.n))
        goto done;
    const bool matrix = r.categories == NULL;
    if (matrix) {
        if (plumb_scorer_matrix(scorer, r.values, PLUMB_DTYPE_F64, PLUMB_LAYOUT_ROW_MAJOR, r.n, 1, pred, &err) !=
            PLUMB_OK) {
            print_error(&err);
            goto done;
        }
        if (!same_bits("plumb_scorer_matrix", pred, want, (int64_t)n_out))
            goto done;
    }
    printf("timer_overhead_ns %.1f\n", rowtime_timer_overhead_ns());

    rowtime_result results[ROWTIME_MAX_REPS];
    double matrix_us[ROWTIME_MAX_REPS], frame_us[ROWTIME_MAX_REPS];
    for (int k = 0; k < reps; k++) {
        if (rowtime_rep(score_one, &ctx, r.n, scratch, &results[k])) {
            print_error(&ctx.err);
            goto done;
        }
        rowtime_print_rep("plumb", k + 1, &results[k]);
        const int64_t t0 = rowtime_now_ns();
        if (matrix && plumb_scorer_matrix(scorer, r.values, PLUMB_DTYPE_F64, PLUMB_LAYOUT_ROW_MAJOR, r.n, 1, pred,
                                          &err) != PLUMB_OK) {
            print_error(&err);
            goto done;
        }
        const int64_t t1 = rowtime_now_ns();
        if (plumb_model_predict(model, head, &one_thread, pred, &err) != PLUMB_OK) {
            print_error(&err);
            goto done;
        }
        matrix_us[k] = (double)(t1 - t0) / (double)r.n / 1e3;
        frame_us[k] = (double)(rowtime_now_ns() - t1) / (double)r.n / 1e3;
    }
    rowtime_print_summary("plumb", results, (int)reps);
    if (matrix)
        printf("plumb_matrix_us_per_row %.4f\n", rowtime_median(matrix_us, (int)reps));
    printf("plumb_frame_us_per_row %.4f\n", rowtime_median(frame_us, (int)reps));
    status = 0;
done:
    plumb_scorer_free(scorer);
    plumb_model_free(model);
    plumb_frame_free(frame);
    plumb_frame_free(head);
    free(take);
    free(scratch);
    free(names);
    free(r.values);
    free(r.categories);
    free(want);
    free(pred);
    return status;
}
