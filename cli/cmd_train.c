/* cmd_train.c -- `plumb train`: fit a model on a CSV file and write the model file. */
#include "cli.h"
#include "record.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", "model.plumb", "where to write the model (atomically)"},
    {"valid", 0, "FILE", NULL, "validation data, scored every iteration (early stopping, metrics)"},
    {"valid-fraction", 0, "F", "0",
     "hold out this share of the rows as validation: the latest with --time-col, else at random by --seed"},
    {"valid-split", 0, "HOW", "time with --time-col, else random",
     "which rows --valid-fraction holds out: time (the latest) or random"},
    {"calibrate", 0, "METHOD", NULL,
     "binary: fit isotonic or platt calibration of the probabilities on the validation rows, kept in the model"},
    CLI_MODEL_OPTIONS,
    CLI_QUIET_OPTION(""),
    {"json", 0, NULL, NULL, "print the training summary as JSON"},
    CLI_REPORT_OPTION,
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

/* The time column's values as numbers (NaN for missing), or NULL when the frame has none. */
static double *time_values(const plumb_frame *frame) {
    const plumb_schema *s = plumb_frame_schema(frame);
    const int64_t n = plumb_frame_n_rows(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role != PLUMB_ROLE_TIME)
            continue;
        double *t = malloc((size_t)(n + 1) * sizeof *t);
        const int64_t *i64 = plumb_frame_i64(frame, j);
        const float *f32 = plumb_frame_f32(frame, j);
        const double *f64 = plumb_frame_f64(frame, j);
        for (int64_t i = 0; t && i < n; i++)
            t[i] = i64 ? (i64[i] == PLUMB_DATETIME_MISSING ? NAN : (double)i64[i]) : f64 ? f64[i] : f32 ? f32[i] : NAN;
        return t;
    }
    return NULL;
}

static const double *sort_key;
static int by_time(const void *x, const void *y) {
    const int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    const double a = sort_key[i], b = sort_key[j];
    if (a != b && !(isnan(a) && isnan(b)))
        return isnan(a) ? -1 : isnan(b) ? 1 : a < b ? -1 : 1; /* rows without a time count as oldest */
    return (i > j) - (i < j);
}

/* Holds out the latest share fraction of the rows by time t (ties broken by file order): the validation rows are
 * the future of the training rows, as they will be for the model in use. */
static int split_by_time(plumb_frame *frame, const double *t, double fraction, plumb_frame **train, plumb_frame **valid,
                         double *cut) {
    const int64_t n = plumb_frame_n_rows(frame);
    int64_t *rows = malloc((size_t)(n + 1) * sizeof *rows);
    plumb_error err;
    int rc = EXIT_OK;
    if (!rows) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    for (int64_t i = 0; i < n; i++)
        rows[i] = i;
    sort_key = t;
    qsort(rows, (size_t)n, sizeof *rows, by_time);
    const int64_t nv = (int64_t)floor(fraction * (double)n + 0.5), nt = n - nv;
    if (nt == 0 || nv == 0) {
        fprintf(stderr, "plumb: --valid-fraction %g leaves %s rows empty\n", fraction, nt ? "validation" : "training");
        rc = EXIT_USAGE;
    } else {
        *cut = t[rows[nt]];
        if (plumb_frame_take(frame, rows, nt, train, &err) != PLUMB_OK ||
            plumb_frame_take(frame, rows + nt, nv, valid, &err) != PLUMB_OK)
            rc = cli_fail(&err);
    }
    free(rows);
    return rc;
}

static bool has_target(const plumb_frame *frame) {
    const plumb_schema *s = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            return true;
    }
    return false;
}

/* Prints o with the members of extra (a JSON object or NULL) added, and frees both. */
static void print_json(json_t *o, void *extra) {
    if (extra)
        json_object_update(o, extra);
    json_decref(extra);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("\n");
    json_decref(o);
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

/* The summary of a linear model: what was fitted, how well, and every coefficient (as JSON with --json). */
int cli_summary_linear(const cli_args *a, const plumb_model *model, const plumb_model_info *info, const char *out,
                       const plumb_frame *valid, void *extra) {
    (void)valid;
    plumb_linear_info li;
    const plumb_coefficient *co;
    int64_t n;
    plumb_error err;
    if (plumb_linear_describe(model, &li, &err) != PLUMB_OK || plumb_model_coefficients(model, &co, &n, &err))
        return cli_fail(&err);
    const bool logistic = info->task == PLUMB_TASK_BINARY;
    const char *penalty = li.alpha == 0      ? "no penalty"
                          : li.l1_ratio == 0 ? "L2"
                          : li.l1_ratio == 1 ? "L1"
                                             : "elastic net";
    if (cli_get(a, "json")) {
        json_t *coefs = json_array();
        for (int64_t j = 0; j < n; j++)
            json_array_append_new(coefs, json_pack("{s:s, s:f, s:f, s:o}", "name", co[j].name, "value", co[j].value,
                                                   "standardized", co[j].standardized, "odds_ratio",
                                                   logistic ? json_real(co[j].odds_ratio) : json_null()));
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:b, s:f, s:f, s:I, s:s, s:f, s:f, s:o, s:s, s:o}", "model",
                      info->kind, "task", logistic ? "binary" : "regression", "output", out, "positive_class",
                      li.positive_class ? json_string(li.positive_class) : json_null(), "n_features",
                      (json_int_t)info->n_features, "n_coefficients", (json_int_t)li.n_coefficients, "n_iterations",
                      (json_int_t)li.n_iterations, "converged", li.converged, "alpha", li.alpha, "l1_ratio",
                      li.l1_ratio, "train_rows", (json_int_t)info->train_rows, "metric", info->metric, "train_metric",
                      info->train_metric, "objective", li.objective, "coefficients", coefs, "data_sha256",
                      info->data_sha256, "nonzero", json_integer(li.n_nonzero));
        print_json(o, extra);
        return EXIT_OK;
    }
    printf("trained %s regression (%s, %lld features, %lld coefficients, %s", logistic ? "logistic" : "linear",
           logistic ? "binary" : "regression", (long long)info->n_features, (long long)li.n_coefficients, penalty);
    if (li.alpha > 0)
        printf(" alpha %g", li.alpha);
    if (li.alpha > 0 && li.l1_ratio > 0 && li.l1_ratio < 1)
        printf(" l1_ratio %g", li.l1_ratio);
    printf(") on %lld rows: %s train %.6f, %s in %lld iterations\n", (long long)info->train_rows, info->metric,
           info->train_metric, li.converged ? "converged" : "NOT converged", (long long)li.n_iterations);
    if (logistic)
        printf("positive class: '%s' (probabilities are P(%s); change with --positive-class)\n", li.positive_class,
               li.positive_class);
    printf("\n");
    cli_print_coefficients(co, n, logistic);
    printf("\nmodel written to '%s'\n", out);
    return EXIT_OK;
}

/* Says on stderr which feature columns the model cannot use (every kind reads numeric, bool and categorical
 * features) and which text columns are text only because of a few values that are not numbers or dates. */
static void note_columns(const plumb_frame *frame) {
    const plumb_schema *s = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role != PLUMB_ROLE_FEATURE)
            continue;
        const bool unused =
            c.type != PLUMB_TYPE_NUMERIC && c.type != PLUMB_TYPE_BOOL && c.type != PLUMB_TYPE_CATEGORICAL;
        if (unused && c.note)
            fprintf(stderr, "plumb: column '%s' is not used: it reads as text: %s\n", c.name, c.note);
        else if (unused && c.type == PLUMB_TYPE_STRING)
            fprintf(stderr, "plumb: column '%s' is not used: it is text with too many distinct values\n", c.name);
        else if (unused)
            fprintf(stderr,
                    "plumb: column '%s' is not used: models read numeric, bool and categorical features, not %s\n",
                    c.name, plumb_type_name(c.type));
        else if (c.note)
            fprintf(stderr, "plumb: column '%s' is used as categories, not numbers: %s\n", c.name, c.note);
    }
}

/* The positive class line of a binary model: which class the probabilities are of. */
static void print_positive(const plumb_model *model, const plumb_model_info *info) {
    const char *pos = plumb_model_positive_class(model);
    if (info->task == PLUMB_TASK_BINARY && pos)
        printf("positive class: '%s' (probabilities are P(%s); change with --positive-class)\n", pos, pos);
}

static json_t *positive_json(const plumb_model *model, const plumb_model_info *info) {
    const char *pos = plumb_model_positive_class(model);
    return info->task == PLUMB_TASK_BINARY && pos ? json_string(pos) : json_null();
}

int cli_summary_tree(const cli_args *a, const plumb_model *model, const plumb_model_info *info, const char *out,
                     const plumb_frame *valid, void *extra) {
    (void)valid;
    plumb_tree_info ti = {0};
    plumb_error err;
    if (plumb_tree_describe(model, &ti, &err) != PLUMB_OK)
        return cli_fail(&err);
    const char *task_name = plumb_task_name(info->task);
    if (cli_get(a, "json")) {
        print_json(json_pack("{s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:s, s:I, s:s, s:o, s:s}", "model", info->kind,
                             "task", task_name, "positive_class", positive_json(model, info), "output", out,
                             "n_features", (json_int_t)info->n_features, "n_leaves", (json_int_t)ti.n_leaves, "depth",
                             (json_int_t)ti.depth, "criterion", ti.criterion, "train_rows",
                             (json_int_t)info->train_rows, "metric", info->metric, "train_metric",
                             isnan(info->train_metric) ? json_null() : json_real(info->train_metric), "data_sha256",
                             info->data_sha256),
                   extra);
        return EXIT_OK;
    }
    printf("trained a tree (%s, %lld features, %lld leaves, depth %lld) on %lld rows: %s train %.6f\n", task_name,
           (long long)info->n_features, (long long)ti.n_leaves, (long long)ti.depth, (long long)info->train_rows,
           info->metric, info->train_metric);
    print_positive(model, info);
    printf("model written to '%s'\n", out);
    return EXIT_OK;
}

int cli_summary_gbdt(const cli_args *a, const plumb_model *model, const plumb_model_info *info, const char *out,
                     const plumb_frame *valid, void *extra) {
    const char *task_name = plumb_task_name(info->task);
    if (cli_get(a, "json")) {
        print_json(json_pack("{s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s}", "model",
                             info->kind, "task", task_name, "positive_class", positive_json(model, info), "objective",
                             info->objective, "output", out, "n_features", (json_int_t)info->n_features, "n_trees",
                             (json_int_t)info->n_trees, "n_iterations", (json_int_t)info->n_iterations,
                             "best_iteration", (json_int_t)info->best_iteration, "train_rows",
                             (json_int_t)info->train_rows, "valid_rows",
                             (json_int_t)(valid ? plumb_frame_n_rows(valid) : 0), "metric", info->metric,
                             "train_metric", isnan(info->train_metric) ? json_null() : json_real(info->train_metric),
                             "valid_metric", isnan(info->valid_metric) ? json_null() : json_real(info->valid_metric),
                             "data_sha256", info->data_sha256),
                   extra);
        return EXIT_OK;
    }
    printf("trained %lld trees (%s, %lld features) on %lld rows: %s train %.6f", (long long)info->n_trees, task_name,
           (long long)info->n_features, (long long)info->train_rows, info->metric, info->train_metric);
    if (valid)
        printf(", valid %.6f (best iteration %lld of %lld)", info->valid_metric, (long long)info->best_iteration,
               (long long)info->n_iterations);
    printf("\n");
    print_positive(model, info);
    printf("model written to '%s'\n", out);
    return EXIT_OK;
}

/* Judges the calibration on rows its map did not see (cross-fitted over the validation rows) before it is fitted
 * on all of them: log-loss and Brier score of the model's probabilities there, without and with it, into *out
 * ({"method", "rows", "cross_fit_folds", "uncalibrated": {...}, "calibrated": {...}}). */
static int judge_calibration(const plumb_model *model, const plumb_frame *valid, plumb_calibration cal,
                             const char *name, uint64_t seed, json_t **out) {
    const int64_t n = plumb_frame_n_rows(valid);
    double *y = malloc((size_t)(n + 1) * sizeof *y), *raw = malloc((size_t)(n + 1) * sizeof *raw);
    double *cf = malloc((size_t)(n + 1) * sizeof *cf);
    plumb_error err;
    int rc = EXIT_OK;
    if (!y || !raw || !cf) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    int32_t folds = 0; /* the library's choice: 5, fewer when a class has fewer rows */
    if (plumb_model_calibrate_crossfit(model, valid, cal, &folds, seed, y, raw, cf, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_metric m[2] = {PLUMB_METRIC_LOG_LOSS, PLUMB_METRIC_BRIER};
    double before[2], after[2];
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n;
    d.label = y;
    d.score = raw;
    if (plumb_metrics_compute(&d, m, 2, before, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    d.score = cf;
    if (plumb_metrics_compute(&d, m, 2, after, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    *out = json_pack("{s:s, s:I, s:i, s:{s:f, s:f}, s:{s:f, s:f}}", "method", name, "rows", (json_int_t)n,
                     "cross_fit_folds", folds, "uncalibrated", "log_loss", before[0], "brier", before[1], "calibrated",
                     "log_loss", after[0], "brier", after[1]);
done:
    free(y);
    free(raw);
    free(cf);
    return rc;
}

static int run(const cli_args *a) {
    const char *out = cli_get(a, "output");
    double valid_fraction = 0;
    long long seed = CLI_SEED;
    cli_fit fit;
    plumb_frame *frame = NULL, *train = NULL, *valid = NULL;
    plumb_model *model = NULL;
    double *times = NULL;
    json_t *judged = NULL;
    plumb_error err;
    int rc = cli_fit_parse(a, &fit);
    if (rc != EXIT_OK)
        goto done;
    rc = EXIT_USAGE;
    if (!cli_double(a, "valid-fraction", &valid_fraction) || !cli_int(a, "seed", 0, &seed))
        goto done;
    if (valid_fraction < 0 || valid_fraction >= 1) {
        rc = cli_usage_error(a->cmd, "option '--valid-fraction' expects a share in [0, 1), got %g", valid_fraction);
        goto done;
    }
    if (cli_get(a, "valid") && valid_fraction > 0) {
        rc = cli_usage_error(a->cmd, "give --valid or --valid-fraction, not both");
        goto done;
    }
    const char *vsplit = cli_get(a, "valid-split");
    if (vsplit && strcmp(vsplit, "time") != 0 && strcmp(vsplit, "random") != 0) {
        rc = cli_usage_error(a->cmd, "unknown --valid-split '%s' (expected time or random)", vsplit);
        goto done;
    }
    if (vsplit && valid_fraction == 0) {
        rc = cli_usage_error(a->cmd, "--valid-split says how --valid-fraction holds rows out: give --valid-fraction");
        goto done;
    }
    if (vsplit && strcmp(vsplit, "time") == 0 && !cli_get(a, "time-col")) {
        rc = cli_usage_error(a->cmd, "--valid-split time needs --time-col");
        goto done;
    }
    const bool has_valid = cli_get(a, "valid") || valid_fraction > 0;
    if (fit.kind->validates && fit.gbdt.early_stopping_rounds > 0 && !has_valid) {
        rc = cli_usage_error(a->cmd, "--early-stopping-rounds watches validation data: give --valid or "
                                     "--valid-fraction (plumb cv stops each fold on its held-out rows)");
        goto done;
    }
    const char *calibrate = cli_get(a, "calibrate");
    plumb_calibration cal = PLUMB_CALIBRATION_NONE;
    if (calibrate && strcmp(calibrate, "isotonic") == 0)
        cal = PLUMB_CALIBRATION_ISOTONIC;
    else if (calibrate && strcmp(calibrate, "platt") == 0)
        cal = PLUMB_CALIBRATION_PLATT;
    else if (calibrate) {
        rc = cli_usage_error(a->cmd, "unknown calibration '%s' (expected isotonic or platt)", calibrate);
        goto done;
    }
    if (cal && !has_valid) {
        rc = cli_usage_error(a->cmd, "--calibrate fits on held-out rows: give --valid or --valid-fraction");
        goto done;
    }
    if (!fit.kind->validates && !cal && has_valid) {
        rc = cli_usage_error(a->cmd,
                             "--valid and --valid-fraction do not apply to --model %s (score held-out data with plumb "
                             "predict)",
                             fit.kind->name);
        goto done;
    }
    if (!out)
        out = "model.plumb";
    if ((rc = cli_check_outputs(a, CLI_FILES(out, cli_get(a, "report")))) != EXIT_OK)
        return rc;

    /* continued training reads the data as the first model did: the same types and categories */
    rc = cli_read_frame(a, a->pos[0], fit.init_model ? plumb_model_schema(fit.init_model) : NULL, &frame);
    if (rc != EXIT_OK)
        goto done;
    if (!cli_get(a, "target") && !has_target(frame)) {
        rc = cli_usage_error(a->cmd, "no target: name the column to predict with --target (or give it the role "
                                     "target in --schema)");
        goto done;
    }
    if (cli_get(a, "valid") &&
        (rc = cli_read_frame(a, cli_get(a, "valid"), plumb_frame_schema(frame), &valid)) != EXIT_OK)
        goto done;
    if (valid_fraction > 0) {
        const bool by_time = cli_get(a, "time-col") && !(vsplit && strcmp(vsplit, "random") == 0);
        double cut = 0;
        if (by_time && !(times = time_values(frame))) {
            rc = cli_usage_error(a->cmd, "--time-col '%s' is no column of the data", cli_get(a, "time-col"));
            goto done;
        }
        if (by_time && (rc = split_by_time(frame, times, valid_fraction, &train, &valid, &cut)) != EXIT_OK)
            goto done;
        if (!by_time && (rc = split_frame(frame, valid_fraction, (uint64_t)seed, &train, &valid)) != EXIT_OK)
            goto done;
        if (by_time && !fit.quiet) {
            char from[40];
            if (plumb_frame_i64(frame, plumb_frame_find(frame, cli_get(a, "time-col")))) /* datetimes: seconds */
                cli_format_datetime(cut, from, sizeof from);
            else
                snprintf(from, sizeof from, "%.17g", cut);
            fprintf(stderr,
                    "validation: the latest %lld rows by '%s' (from %s on; --valid-split random to draw them at "
                    "random)\n",
                    (long long)plumb_frame_n_rows(valid), cli_get(a, "time-col"), from);
        }
    }
    if ((rc = cli_fit_train(a, &fit, train ? train : frame, valid, true, &model)) != EXIT_OK)
        goto done;
    if (cal && (rc = judge_calibration(model, valid, cal, calibrate, (uint64_t)seed, &judged)) != EXIT_OK)
        goto done;
    if (!cli_get(a, "quiet"))
        note_columns(frame);
    if (cal && plumb_model_calibrate(model, valid, cal, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (valid && plumb_model_profile_present(model) && plumb_model_profile_scores(model, valid, &err) != PLUMB_OK) {
        rc = cli_fail(&err); /* the reference's scores from the validation rows (docs/monitor.md) */
        goto done;
    }
    /* the report first: a report that fails leaves no model behind, and a model that cannot be saved takes its
     * report with it */
    if (cli_get(a, "report")) {
        plumb_run_options ro;
        plumb_run_options_init(&ro);
        ro.data_path = a->pos[0];
        ro.seed = (uint64_t)seed;
        plumb_run *run = NULL;
        const plumb_status made = plumb_run_train(&ro, model, train ? train : frame, valid, &run, &err);
        if ((rc = cli_record_write(made, run, &err, cli_get(a, "report"))) != EXIT_OK)
            goto done;
    }
    if (plumb_model_save(model, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        if (cli_get(a, "report")) {
            char *json = cli_record_json_path(cli_get(a, "report"));
            unlink(cli_get(a, "report"));
            if (json)
                unlink(json);
            free(json);
        }
        goto done;
    }
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const cli_kind *kind = cli_kind_of_model(model);
    const bool json = cli_get(a, "json") != NULL;
    rc = kind ? kind->summary(a, model, &info, out, valid,
                              json && judged ? json_pack("{s:O}", "calibration", judged) : NULL)
              : EXIT_OK;
    if (rc == EXIT_OK && judged && !json) {
        const json_t *b = json_object_get(judged, "uncalibrated"), *c = json_object_get(judged, "calibrated");
        printf("calibrated: %s, fitted on the %lld validation rows and kept in the model; on rows its map did not "
               "see\n(%lld-fold cross-fit over the validation rows): log_loss %.6f -> %.6f, brier %.6f -> %.6f\n",
               calibrate, (long long)plumb_frame_n_rows(valid),
               (long long)json_integer_value(json_object_get(judged, "cross_fit_folds")),
               json_real_value(json_object_get(b, "log_loss")), json_real_value(json_object_get(c, "log_loss")),
               json_real_value(json_object_get(b, "brier")), json_real_value(json_object_get(c, "brier")));
        if (json_real_value(json_object_get(c, "log_loss")) > json_real_value(json_object_get(b, "log_loss")))
            printf("note: the calibration makes the log-loss worse on rows it did not see: the model's own "
                   "probabilities may serve better (train without --calibrate)\n");
    }
done:
    json_decref(judged);
    free(times);
    cli_fit_free(&fit);
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
    .details =
        "Gradient boosting (the default) follows LightGBM's names and defaults and uses the numeric, bool and\n"
        "categorical feature columns (docs/train.md); the model file (docs/model-format.md) carries the schema,\n"
        "bins, trees, parameters, per-iteration metrics and provenance, so 'plumb predict' needs nothing else.\n"
        "--model tree grows one CART tree as scikit-learn does (the options marked 'tree:' and --max-depth,\n"
        "with scikit-learn's names and defaults; docs/tree.md).\n"
        "Linear and logistic regression (--model linear|logistic) use categorical columns one-hot, standardise\n"
        "numeric ones and impute missing values, all carried in the model; the objective, its scikit-learn\n"
        "equivalents and the coefficients are in docs/linear.md.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
