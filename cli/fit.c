/* fit.c -- the model options that `plumb train` and `plumb cv` share, and the one function that turns them into
 * parameters and trains the model they name.
 *
 * CLI_MODEL_OPTIONS (cli.h) lists every option of every kind of model; cli_fit reads those of the kind chosen with
 * --model, so train and cv accept exactly the same model settings.
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_double(const cli_args *a, const char *name, double *out) {
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

static void show_progress(const plumb_train_progress *p, void *user) {
    (void)user;
    const double eta = p->elapsed_seconds / (double)p->iteration * (double)(p->n_iterations - p->iteration);
    char valid[64] = "";
    if (!isnan(p->valid_metric))
        snprintf(valid, sizeof valid, "  valid %s %.6f", p->metric, p->valid_metric);
    fprintf(stderr, "\r\033[K[%lld/%lld]%s  %.1f s, ETA %.1f s", (long long)p->iteration, (long long)p->n_iterations,
            valid, p->elapsed_seconds, eta);
    fflush(stderr);
}

/* Options that only one family of models reads: giving one to the other family is a usage error. */
static const char *const gbdt_only[] = {"num-iterations",
                                        "learning-rate",
                                        "num-leaves",
                                        "max-depth",
                                        "min-data-in-leaf",
                                        "min-sum-hessian-in-leaf",
                                        "lambda-l1",
                                        "lambda-l2",
                                        "min-gain-to-split",
                                        "max-bin",
                                        "feature-fraction",
                                        "bagging-fraction",
                                        "bagging-freq",
                                        "early-stopping-rounds",
                                        NULL};
static const char *const linear_only[] = {
    "alpha", "l1-ratio", "class-weight", "clip-quantile", "min-category-weight", "no-standardize", "max-iter",
    "tol",   NULL};

bool cli_model_is_linear(const cli_args *a) {
    const char *kind = cli_get(a, "model");
    return kind && (strcmp(kind, "linear") == 0 || strcmp(kind, "logistic") == 0);
}

int cli_fit_check(const cli_args *a) {
    const char *kind = cli_get(a, "model");
    if (kind && strcmp(kind, "gbdt") != 0 && strcmp(kind, "linear") != 0 && strcmp(kind, "logistic") != 0)
        return cli_usage_error(a->cmd, "unknown model '%s' (this plumb trains: gbdt, linear, logistic)", kind);
    const char *task = cli_get(a, "task");
    if (task && strcmp(task, "binary") != 0 && strcmp(task, "regression") != 0 && strcmp(task, "auto") != 0)
        return cli_usage_error(a->cmd, "unknown task '%s' (expected binary, regression or auto)", task);
    const bool linear = cli_model_is_linear(a);
    for (const char *const *o = linear ? gbdt_only : linear_only; *o; o++)
        if (cli_get(a, *o))
            return cli_usage_error(a->cmd, "option '--%s' does not apply to --model %s", *o, kind ? kind : "gbdt");
    if (linear) {
        plumb_linear_params p;
        return cli_linear_params(a, &p);
    }
    plumb_gbdt_params p;
    return cli_gbdt_params(a, &p);
}

int cli_linear_params(const cli_args *a, plumb_linear_params *p) {
    plumb_linear_params_init(p);
    const bool logistic = strcmp(cli_get(a, "model"), "logistic") == 0;
    const char *task = cli_get(a, "task");
    if (task && strcmp(task, "auto") != 0 && strcmp(task, logistic ? "binary" : "regression") != 0)
        return cli_usage_error(a->cmd, "--model %s is %s: use --model %s for a %s target",
                               logistic ? "logistic" : "linear", logistic ? "binary" : "regression",
                               logistic ? "linear" : "logistic", task);
    if (cli_get(a, "valid") || cli_get(a, "valid-fraction"))
        return cli_usage_error(a->cmd,
                               "--valid and --valid-fraction are for early stopping of gradient boosting: "
                               "--model %s does not use validation data",
                               logistic ? "logistic" : "linear");
    p->task = logistic ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    long long threads = 0, max_iter = p->max_iter;
    if (!cli_double(a, "alpha", &p->alpha) || !cli_double(a, "l1-ratio", &p->l1_ratio) ||
        !cli_double(a, "clip-quantile", &p->clip_quantile) ||
        !cli_double(a, "min-category-weight", &p->min_category_weight) || !cli_double(a, "tol", &p->tol) ||
        !cli_int(a, "max-iter", 1, &max_iter) || !cli_int(a, "threads", 1, &threads))
        return EXIT_USAGE;
    if (p->alpha < 0)
        return cli_usage_error(a->cmd, "option '--alpha' expects a number >= 0, got %g", p->alpha);
    if (p->l1_ratio < 0 || p->l1_ratio > 1)
        return cli_usage_error(a->cmd, "option '--l1-ratio' expects a share in [0, 1], got %g", p->l1_ratio);
    if (p->clip_quantile < 0 || p->clip_quantile >= 0.5)
        return cli_usage_error(a->cmd, "option '--clip-quantile' expects a quantile in [0, 0.5), got %g",
                               p->clip_quantile);
    if (p->min_category_weight < 0)
        return cli_usage_error(a->cmd, "option '--min-category-weight' expects a number >= 0, got %g",
                               p->min_category_weight);
    if (p->tol <= 0)
        return cli_usage_error(a->cmd, "option '--tol' expects a number > 0, got %g", p->tol);
    if (!logistic && cli_get(a, "class-weight"))
        return cli_usage_error(a->cmd, "option '--class-weight' is for a binary target: use --model logistic");
    p->max_iter = max_iter;
    p->n_threads = (int)threads;
    p->positive_class = cli_get(a, "positive-class");
    p->class_weight = cli_get(a, "class-weight");
    p->standardize = !cli_get(a, "no-standardize");
    return EXIT_OK;
}

int cli_gbdt_params(const cli_args *a, plumb_gbdt_params *p) {
    plumb_gbdt_params_init(p);
    const char *task = cli_get(a, "task");
    if (task && strcmp(task, "binary") == 0)
        p->task = PLUMB_TASK_BINARY;
    else if (task && strcmp(task, "regression") == 0)
        p->task = PLUMB_TASK_REGRESSION;
    int64_t seed = 0;
    long long threads = 0;
    if (!get_int64(a, "num-iterations", 1, &p->num_iterations) || !cli_double(a, "learning-rate", &p->learning_rate) ||
        !get_int32(a, "num-leaves", 2, &p->num_leaves) || !get_int32(a, "max-depth", -1, &p->max_depth) ||
        !get_int64(a, "min-data-in-leaf", 1, &p->min_data_in_leaf) ||
        !cli_double(a, "min-sum-hessian-in-leaf", &p->min_sum_hessian_in_leaf) ||
        !cli_double(a, "lambda-l1", &p->lambda_l1) || !cli_double(a, "lambda-l2", &p->lambda_l2) ||
        !cli_double(a, "min-gain-to-split", &p->min_gain_to_split) || !get_int32(a, "max-bin", 2, &p->max_bin) ||
        !cli_double(a, "feature-fraction", &p->feature_fraction) ||
        !cli_double(a, "bagging-fraction", &p->bagging_fraction) ||
        !get_int32(a, "bagging-freq", 0, &p->bagging_freq) ||
        !get_int64(a, "early-stopping-rounds", 0, &p->early_stopping_rounds) || !get_int64(a, "seed", 0, &seed) ||
        !cli_int(a, "threads", 1, &threads))
        return EXIT_USAGE;
    p->seed = (uint64_t)seed;
    p->n_threads = (int)threads;
    p->positive_class = cli_get(a, "positive-class");
    return EXIT_OK;
}

int cli_fit(const cli_args *a, const plumb_frame *train, const plumb_frame *valid, bool progress, plumb_model **out) {
    plumb_gbdt_params p;
    int rc = cli_fit_check(a);
    if (rc != EXIT_OK)
        return rc;
    if (cli_model_is_linear(a)) {
        /* no iterations worth a progress line, and no use for validation data */
        plumb_linear_params lp;
        plumb_error err;
        if ((rc = cli_linear_params(a, &lp)) != EXIT_OK)
            return rc;
        return plumb_linear_train(train, &lp, out, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    }
    if ((rc = cli_gbdt_params(a, &p)) != EXIT_OK)
        return rc;
    progress = progress && !cli_get(a, "quiet") && isatty(STDERR_FILENO);
    if (progress)
        p.progress = show_progress;
    plumb_error err;
    plumb_status st = plumb_gbdt_train(train, valid, &p, out, &err);
    if (progress)
        fprintf(stderr, "\n");
    return st == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}
