/* cmd_forecast.c -- `plumb forecast train|predict`: daily demand forecasts (plumb_forecast_train/_predict).
 *
 * A thin client: the library reads the series (every bad date, gap or duplicate as file:line:column), builds the
 * features and trains; this file parses the options, saves the model and writes the forecasts as CSV, whole or
 * not at all.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", NULL, "train: the model file; predict: the forecasts (CSV; '-' for stdout) (required)"},
    {"time-col", 0, "COL", NULL, "train: the day of each row, YYYY-MM-DD, one row per day and series (required)"},
    {"target", 0, "COL", NULL, "train: the demand to forecast (required)"},
    {"series-col", 0, "COL", "one series", "train: the column naming the series a row belongs to (long format)"},
    {"horizon", 0, "N", "the model's",
     "train: days ahead the model forecasts, 1..366 (required); predict: at most that"},
    {"future-cols", 0, "A,B", NULL,
     "train: known-future covariates (price, promotion, weather forecast), read on the day forecast"},
    {"related", 0, "FILE", NULL,
     "train: analog series (other products, stores, stations) in long format with the same columns, pooled into "
     "training, each scaled by its own level"},
    {"related-weight", 0, "X", "1", "train: sample weight of the analogs' rows (the history's weigh 1)"},
    {"related-stride", 0, "N", "1", "train: use every N-th origin of the analog series"},
    {"num-iterations", 0, "N", "300", "train: boosting iterations"},
    {"learning-rate", 0, "X", "0.05", "train: shrinkage applied to every tree"},
    {"num-leaves", 0, "N", "15", "train: most leaves per tree"},
    {"min-data-in-leaf", 0, "N", "20", "train: fewest rows in a leaf"},
    {"lambda-l2", 0, "X", "1", "train: L2 regularisation of leaf values"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "train: seed of the booster's sampling"},
    {"future", 0, "FILE", NULL, "predict: the known-future covariates for every day forecast (CSV)"},
    {"origin", 0, "DATE", "each series' last day", "predict: forecast from this day; later rows are ignored"},
    {"threads", 't', "N", "all cores", "threads to use"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

/* The comma-separated names of option name: *list points into *buf (both freed by the caller). */
static bool split_list(const char *v, char **buf, const char ***list, size_t *n) {
    *n = 0;
    if (!v)
        return true;
    if (!(*buf = strdup(v)) || !(*list = calloc(strlen(v) + 1, sizeof **list)))
        return false;
    char *save = NULL;
    for (char *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        (*list)[(*n)++] = t;
    return true;
}

static const char *const train_only[] = {"time-col",      "target",         "series-col",       "future-cols",
                                         "related",       "related-weight", "related-stride",   "num-iterations",
                                         "learning-rate", "num-leaves",     "min-data-in-leaf", "lambda-l2",
                                         "seed"};
static const char *const predict_only[] = {"future", "origin"};

static int train(const cli_args *a, const char *out) {
    plumb_forecast_options o;
    plumb_forecast_options_init(&o);
    o.time_col = cli_get(a, "time-col");
    o.target = cli_get(a, "target");
    o.series_col = cli_get(a, "series-col");
    o.related = cli_get(a, "related");
    if (!o.time_col || !*o.time_col)
        return cli_usage_error(a->cmd, "missing option '--time-col COL'");
    if (!o.target || !*o.target)
        return cli_usage_error(a->cmd, "missing option '--target COL'");
    if (!cli_get(a, "horizon"))
        return cli_usage_error(a->cmd, "missing option '--horizon N'");
    long long h = 0, stride = 1, iters = o.gbdt.num_iterations, leaves = o.gbdt.num_leaves,
              leaf = o.gbdt.min_data_in_leaf, seed = 0, threads = 0;
    if (!cli_int(a, "horizon", 1, &h) || !cli_int(a, "related-stride", 1, &stride) ||
        !cli_int(a, "num-iterations", 1, &iters) || !cli_int(a, "num-leaves", 2, &leaves) ||
        !cli_int(a, "min-data-in-leaf", 1, &leaf) || !cli_int(a, "seed", 0, &seed) || !cli_threads(a, &threads) ||
        !cli_double(a, "related-weight", &o.related_weight) || !cli_double(a, "learning-rate", &o.gbdt.learning_rate) ||
        !cli_double(a, "lambda-l2", &o.gbdt.lambda_l2))
        return EXIT_USAGE;
    if (h > 366)
        return cli_usage_error(a->cmd, "option '--horizon' expects at most 366 days, got %lld", h);
    o.horizon = h;
    o.related_stride = stride;
    o.gbdt.num_iterations = iters;
    o.gbdt.num_leaves = (int32_t)leaves;
    o.gbdt.min_data_in_leaf = leaf;
    o.gbdt.seed = (uint64_t)seed;
    o.gbdt.n_threads = (int)threads;
    int rc = cli_check_outputs(a, CLI_FILES(out, o.related));
    if (rc != EXIT_OK)
        return rc;
    char *buf = NULL;
    const char **cols = NULL;
    size_t n_cols = 0;
    if (!split_list(cli_get(a, "future-cols"), &buf, &cols, &n_cols)) {
        free(buf);
        fprintf(stderr, "plumb forecast: out of memory\n");
        return EXIT_DATA;
    }
    o.future_cols = cols;
    o.n_future_cols = n_cols;
    plumb_error err;
    plumb_model *model = NULL;
    if (plumb_forecast_train(a->pos[1], &o, &model, &err) != PLUMB_OK ||
        plumb_model_save(model, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
    } else {
        plumb_model_info info;
        plumb_model_describe(model, &info);
        printf("wrote %s: forecasts %lld days ahead, %lld trees on %lld rows (series x origin x horizon)\n", out,
               (long long)o.horizon, (long long)info.n_trees, (long long)info.train_rows);
    }
    plumb_model_free(model);
    free(cols);
    free(buf);
    return rc;
}

static void write_forecasts(FILE *f, const plumb_forecast_info *info, const plumb_forecast *fc) {
    if (info->series_col) {
        cli_put_field(f, info->series_col);
        fputc(',', f);
    }
    cli_put_field(f, info->time_col);
    fputs(",horizon,", f);
    cli_put_field(f, info->target);
    fputc('\n', f);
    for (int64_t i = 0; i < plumb_forecast_n_rows(fc); i++) {
        plumb_forecast_row r;
        plumb_forecast_row_get(fc, i, &r);
        char day[32];
        cli_format_datetime((double)r.date, day, sizeof day);
        if (info->series_col) {
            cli_put_field(f, r.series);
            fputc(',', f);
        }
        fprintf(f, "%s,%lld,%.17g\n", day, (long long)r.horizon, r.prediction);
    }
}

static int predict(const cli_args *a, const char *out) {
    long long h = 0, threads = 0;
    if (!cli_int(a, "horizon", 1, &h) || !cli_threads(a, &threads))
        return EXIT_USAGE;
    int rc = cli_check_outputs(a, CLI_FILES(out, cli_get(a, "future")));
    if (rc != EXIT_OK)
        return rc;
    plumb_error err;
    plumb_model *model = NULL;
    plumb_forecast *fc = NULL;
    plumb_forecast_info info;
    plumb_forecast_predict_options po = {
        .horizon = h, .future = cli_get(a, "future"), .origin = cli_get(a, "origin"), .threads = (int)threads};
    if (plumb_model_load(a->pos[1], &model, &err) != PLUMB_OK ||
        plumb_forecast_describe(model, &info, &err) != PLUMB_OK ||
        plumb_forecast_predict(model, a->pos[2], &po, &fc, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (strcmp(out, "-") == 0) {
        write_forecasts(stdout, &info, fc);
        goto done;
    }
    plumb_outfile *file = NULL;
    FILE *f = NULL;
    if (plumb_outfile_open(out, &file, &f, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    write_forecasts(f, &info, fc);
    rc = plumb_outfile_commit(file, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    if (rc == EXIT_OK)
        cli_note("wrote %s: %lld forecasts", out, (long long)plumb_forecast_n_rows(fc));
done:
    plumb_forecast_free(fc);
    plumb_model_free(model);
    return rc;
}

static int run(const cli_args *a) {
    const char *sub = a->pos[0], *out = cli_get(a, "output");
    const bool is_train = strcmp(sub, "train") == 0;
    if (!is_train && strcmp(sub, "predict") != 0)
        return cli_usage_error(a->cmd, "unknown subcommand '%s' (expected train or predict)", sub);
    if (a->n_pos != (is_train ? 2 : 3))
        return cli_usage_error(a->cmd, is_train ? "train takes one history file"
                                                : "predict takes a model and a "
                                                  "history file");
    const char *const *wrong = is_train ? predict_only : train_only;
    const size_t n_wrong =
        is_train ? sizeof predict_only / sizeof *predict_only : sizeof train_only / sizeof *train_only;
    for (size_t i = 0; i < n_wrong; i++)
        if (cli_get(a, wrong[i]))
            return cli_usage_error(a->cmd, "option '--%s' does not apply to %s", wrong[i], sub);
    if (!out || !*out)
        return cli_usage_error(a->cmd, "missing option '--output FILE'");
    return is_train ? train(a, out) : predict(a, out);
}

const cli_command cli_forecast = {
    .name = "forecast",
    .usage = "train HISTORY.csv --time-col COL --target COL --horizon N [options] -o MODEL | predict MODEL "
             "HISTORY.csv [--horizon N] [--future FILE] [--origin DATE] -o OUT.csv",
    .summary = "forecast daily demand days ahead, from little history, with analog series (direct multi-horizon "
               "boosting)",
    .details = "train builds, for every day t of every series and every horizon h, features known on day t (calendar\n"
               "of day t+h, the last values, same-weekday values, weekly statistics, all divided by the series'\n"
               "level) and learns the value of day t+h over that level with one gradient-boosted model. predict\n"
               "forecasts each series of HISTORY.csv from its last day (or --origin) and writes series, date,\n"
               "horizon and the forecast. See docs/forecast.md.\n",
    .options = options,
    .min_pos = 2,
    .max_pos = 3,
    .run = run,
};
