/* cmd_train.c -- `plumb train`: fit a model on a CSV file and write the model file. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", "model.plumb", "where to write the model (atomically)"},
    {"model", 0, "KIND", "gbdt", "the kind of model: gbdt (gradient-boosted trees)"},
    {"task", 0, "TASK", "auto", "binary, regression, or auto (binary for a two-valued target)"},
    {"positive-class", 0, "VALUE", "the last category", "binary target with text values: the positive class"},
    {"valid", 0, "FILE", NULL, "validation data, scored every iteration (early stopping, metrics)"},
    {"valid-fraction", 0, "F", "0", "hold out this share of the rows (chosen at random by --seed) as validation"},
    {"num-iterations", 0, "N", "100", "boosting iterations (trees)"},
    {"learning-rate", 0, "X", "0.1", "shrinkage applied to every tree"},
    {"num-leaves", 0, "N", "31", "most leaves per tree (trees grow leaf-wise)"},
    {"max-depth", 0, "N", "-1", "most levels per tree; -1: no limit"},
    {"min-data-in-leaf", 0, "N", "20", "fewest training rows in a leaf (estimated from hessians, as LightGBM)"},
    {"min-sum-hessian-in-leaf", 0, "X", "0.001", "smallest sum of hessians in a leaf"},
    {"lambda-l1", 0, "X", "0", "L1 regularisation of leaf values"},
    {"lambda-l2", 0, "X", "0", "L2 regularisation of leaf values"},
    {"min-gain-to-split", 0, "X", "0", "smallest gain that makes a split"},
    {"max-bin", 0, "N", "255", "most bins per feature (2..65535; over 255, bins take 2 bytes a value)"},
    {"feature-fraction", 0, "F", "1", "share of features each tree may use"},
    {"bagging-fraction", 0, "F", "1", "share of rows each bag keeps (with --bagging-freq)"},
    {"bagging-freq", 0, "N", "0", "draw a new bag every N iterations; 0: no bagging"},
    {"early-stopping-rounds", 0, "N", "0", "stop when the validation metric has not improved for N rounds; 0: off"},
    {"seed", 0, "N", "0", "seed of bagging, feature sampling and --valid-fraction"},
    {"quiet", 'q', NULL, NULL, "no progress line"},
    {"json", 0, NULL, NULL, "print the training summary as JSON"},
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

static bool get_double(const cli_args *a, const char *name, double *out) {
    const char *v = cli_get(a, name);
    if (!v)
        return true;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) {
        cli_usage_error(a->cmd, "option '--%s' expects a number, got '%s'", name, v);
        return false;
    }
    *out = x;
    return true;
}

static bool get_int64(const cli_args *a, const char *name, long long min, int64_t *out) {
    long long x = *out;
    if (!cli_int(a, name, min, &x))
        return false;
    *out = x;
    return true;
}

static bool get_int32(const cli_args *a, const char *name, long long min, int32_t *out) {
    int64_t x = *out;
    if (!get_int64(a, name, min, &x))
        return false;
    *out = (int32_t)x;
    return true;
}

typedef struct progress_state {
    bool tty;
} progress_state;

static void show_progress(const plumb_train_progress *p, void *user) {
    const progress_state *s = user;
    if (!s->tty)
        return;
    const double eta = p->elapsed_seconds / (double)p->iteration * (double)(p->n_iterations - p->iteration);
    char valid[64] = "";
    if (!isnan(p->valid_metric))
        snprintf(valid, sizeof valid, "  valid %s %.6f", p->metric, p->valid_metric);
    fprintf(stderr, "\r\033[K[%lld/%lld]%s  %.1f s, ETA %.1f s", (long long)p->iteration, (long long)p->n_iterations,
            valid, p->elapsed_seconds, eta);
    fflush(stderr);
}

/* Splits frame into training and validation rows: each row is held out with probability fraction. */
static int split_frame(plumb_frame *frame, double fraction, uint64_t seed, plumb_frame **train, plumb_frame **valid) {
    const int64_t n = plumb_frame_n_rows(frame);
    int64_t *rows = malloc((size_t)(n + 1) * sizeof *rows), nv = 0, nt = 0;
    plumb_error err;
    int rc = EXIT_OK;
    if (!rows) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    /* validation rows fill the array from the back, training rows from the front */
    uint64_t x = seed * 0x9e3779b97f4a7c15u + 0x632be59bd9b4e019u;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        if ((double)(x >> 11) * 0x1.0p-53 < fraction)
            rows[n - 1 - nv++] = i;
        else
            rows[nt++] = i;
    }
    if (nt == 0 || nv == 0) {
        fprintf(stderr, "plumb: --valid-fraction %g leaves %s rows empty\n", fraction, nt ? "validation" : "training");
        rc = EXIT_USAGE;
    } else {
        /* the validation rows were stored back to front: reverse them into file order */
        for (int64_t i = 0, j = nv - 1; i < j; i++, j--) {
            int64_t t = rows[nt + i];
            rows[nt + i] = rows[nt + j];
            rows[nt + j] = t;
        }
        if (plumb_frame_take(frame, rows, nt, train, &err) != PLUMB_OK ||
            plumb_frame_take(frame, rows + nt, nv, valid, &err) != PLUMB_OK)
            rc = cli_fail(&err);
    }
    free(rows);
    return rc;
}

static int run(const cli_args *a) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    const char *kind = cli_get(a, "model"), *task = cli_get(a, "task"), *out = cli_get(a, "output");
    if (kind && strcmp(kind, "gbdt") != 0)
        return cli_usage_error(a->cmd, "unknown model '%s' (this plumb trains: gbdt)", kind);
    if (task) {
        if (strcmp(task, "binary") == 0)
            p.task = PLUMB_TASK_BINARY;
        else if (strcmp(task, "regression") == 0)
            p.task = PLUMB_TASK_REGRESSION;
        else if (strcmp(task, "auto") != 0)
            return cli_usage_error(a->cmd, "unknown task '%s' (expected binary, regression or auto)", task);
    }
    double valid_fraction = 0;
    int64_t seed = 0;
    if (!get_int64(a, "num-iterations", 1, &p.num_iterations) || !get_double(a, "learning-rate", &p.learning_rate) ||
        !get_int32(a, "num-leaves", 2, &p.num_leaves) || !get_int32(a, "max-depth", -1, &p.max_depth) ||
        !get_int64(a, "min-data-in-leaf", 1, &p.min_data_in_leaf) ||
        !get_double(a, "min-sum-hessian-in-leaf", &p.min_sum_hessian_in_leaf) ||
        !get_double(a, "lambda-l1", &p.lambda_l1) || !get_double(a, "lambda-l2", &p.lambda_l2) ||
        !get_double(a, "min-gain-to-split", &p.min_gain_to_split) || !get_int32(a, "max-bin", 2, &p.max_bin) ||
        !get_double(a, "feature-fraction", &p.feature_fraction) ||
        !get_double(a, "bagging-fraction", &p.bagging_fraction) || !get_int32(a, "bagging-freq", 0, &p.bagging_freq) ||
        !get_int64(a, "early-stopping-rounds", 0, &p.early_stopping_rounds) || !get_int64(a, "seed", 0, &seed) ||
        !get_double(a, "valid-fraction", &valid_fraction))
        return EXIT_USAGE;
    if (valid_fraction < 0 || valid_fraction >= 1)
        return cli_usage_error(a->cmd, "option '--valid-fraction' expects a share in [0, 1), got %g", valid_fraction);
    if (cli_get(a, "valid") && valid_fraction > 0)
        return cli_usage_error(a->cmd, "give --valid or --valid-fraction, not both");
    if (!cli_get(a, "target"))
        return cli_usage_error(a->cmd, "no target: name the column to predict with --target");
    p.seed = (uint64_t)seed;
    p.positive_class = cli_get(a, "positive-class");
    long long threads = 0;
    if (!cli_int(a, "threads", 1, &threads))
        return EXIT_USAGE;
    p.n_threads = (int)threads;
    progress_state ps = {.tty = !cli_get(a, "quiet") && isatty(STDERR_FILENO)};
    p.progress = show_progress;
    p.progress_user = &ps;
    if (!out)
        out = "model.plumb";

    plumb_frame *frame = NULL, *train = NULL, *valid = NULL;
    plumb_model *model = NULL;
    plumb_error err;
    int rc = cli_read_frame(a, a->pos[0], NULL, &frame);
    if (rc != EXIT_OK)
        goto done;
    if (cli_get(a, "valid") &&
        (rc = cli_read_frame(a, cli_get(a, "valid"), plumb_frame_schema(frame), &valid)) != EXIT_OK)
        goto done;
    if (valid_fraction > 0) {
        if ((rc = split_frame(frame, valid_fraction, p.seed, &train, &valid)) != EXIT_OK)
            goto done;
    }
    plumb_status st = plumb_gbdt_train(train ? train : frame, valid, &p, &model, &err);
    if (ps.tty)
        fprintf(stderr, "\n");
    if (st != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (plumb_model_save(model, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const char *task_name = info.task == PLUMB_TASK_BINARY ? "binary" : "regression";
    if (cli_get(a, "json")) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s}", "model", info.kind,
                              "task", task_name, "output", out, "n_features", (json_int_t)info.n_features, "n_trees",
                              (json_int_t)info.n_trees, "n_iterations", (json_int_t)info.n_iterations, "best_iteration",
                              (json_int_t)info.best_iteration, "train_rows", (json_int_t)info.train_rows, "valid_rows",
                              (json_int_t)(valid ? plumb_frame_n_rows(valid) : 0), "metric", info.metric,
                              "train_metric", isnan(info.train_metric) ? json_null() : json_real(info.train_metric),
                              "valid_metric", isnan(info.valid_metric) ? json_null() : json_real(info.valid_metric),
                              "data_sha256", info.data_sha256);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
    } else {
        printf("trained %lld trees (%s, %lld features) on %lld rows: %s train %.6f", (long long)info.n_trees, task_name,
               (long long)info.n_features, (long long)info.train_rows, info.metric, info.train_metric);
        if (valid)
            printf(", valid %.6f (best iteration %lld of %lld)", info.valid_metric, (long long)info.best_iteration,
                   (long long)info.n_iterations);
        printf("\nmodel written to '%s'\n", out);
    }
done:
    plumb_model_free(model);
    plumb_frame_free(frame);
    plumb_frame_free(train);
    plumb_frame_free(valid);
    return rc;
}

const cli_command cli_train = {
    .name = "train",
    .usage = "[options] --target COL <data.csv | ->",
    .summary = "train a model on a CSV file and write it to a model file",
    .details = "Parameters follow LightGBM's names and defaults. Gradient boosting uses the numeric and bool\n"
               "feature columns; the model file (docs/model-format.md) carries the schema, bin edges, trees,\n"
               "parameters, per-iteration metrics and provenance, so 'plumb predict' needs nothing else.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
