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

/* Options that not every kind of model reads, and which kinds do: an option given to a kind that does not read it
 * is a usage error, not a silent no-op. */
enum { GBDT = 1, TREE = 2, LINEAR = 4 };
static const struct {
    const char *name;
    unsigned kinds;
} owned[] = {
    {"num-iterations", GBDT},
    {"learning-rate", GBDT},
    {"num-leaves", GBDT},
    {"max-depth", GBDT | TREE},
    {"min-data-in-leaf", GBDT},
    {"min-sum-hessian-in-leaf", GBDT},
    {"lambda-l1", GBDT},
    {"lambda-l2", GBDT},
    {"min-gain-to-split", GBDT},
    {"max-bin", GBDT},
    {"feature-fraction", GBDT},
    {"bagging-fraction", GBDT},
    {"bagging-freq", GBDT},
    {"early-stopping-rounds", GBDT},
    {"objective", GBDT},
    {"alpha", GBDT | LINEAR},
    {"metric", GBDT},
    {"monotone", GBDT},
    {"init-model", GBDT},
    {"cat-smooth", GBDT},
    {"cat-l2", GBDT},
    {"min-data-per-group", GBDT},
    {"max-cat-threshold", GBDT},
    {"max-cat-to-onehot", GBDT},
    {"criterion", TREE},
    {"min-samples-split", TREE},
    {"min-samples-leaf", TREE},
    {"min-impurity-decrease", TREE},
    {"ccp-alpha", TREE},
    {"class-weight", TREE | LINEAR},
    {"l1-ratio", LINEAR},
    {"clip-quantile", LINEAR},
    {"min-category-weight", LINEAR},
    {"no-standardize", LINEAR},
    {"max-iter", LINEAR},
    {"tol", LINEAR},
};

/* The task --task names (PLUMB_TASK_AUTO without it), or -1 for an unknown name. */
static int task_of(const cli_args *a) {
    static const char *const names[] = {[PLUMB_TASK_AUTO] = "auto",
                                        [PLUMB_TASK_BINARY] = "binary",
                                        [PLUMB_TASK_REGRESSION] = "regression",
                                        [PLUMB_TASK_MULTICLASS] = "multiclass"};
    const char *v = cli_get(a, "task");
    for (int t = 0; v && t < (int)(sizeof names / sizeof *names); t++)
        if (strcmp(v, names[t]) == 0)
            return t;
    return v ? -1 : PLUMB_TASK_AUTO;
}

static unsigned model_kind(const cli_args *a) {
    const char *kind = cli_get(a, "model");
    if (!kind || strcmp(kind, "gbdt") == 0)
        return GBDT;
    if (strcmp(kind, "tree") == 0)
        return TREE;
    return strcmp(kind, "linear") == 0 || strcmp(kind, "logistic") == 0 ? LINEAR : 0;
}

int cli_fit_check(const cli_args *a) {
    const char *kind = cli_get(a, "model");
    const unsigned k = model_kind(a);
    if (!k)
        return cli_usage_error(a->cmd, "unknown model '%s' (this plumb trains: gbdt, linear, logistic, tree)", kind);
    if (task_of(a) < 0)
        return cli_usage_error(a->cmd, "unknown task '%s' (expected binary, regression, multiclass or auto)",
                               cli_get(a, "task"));
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (!(owned[i].kinds & k) && cli_get(a, owned[i].name))
            return cli_usage_error(a->cmd, "option '--%s' does not apply to --model %s", owned[i].name,
                                   kind ? kind : "gbdt");
    if (k == TREE) {
        plumb_tree_params tp;
        return cli_tree_params(a, &tp);
    }
    if (k == LINEAR) {
        plumb_linear_params lp;
        return cli_linear_params(a, &lp);
    }
    cli_gbdt g = {0};
    int rc = cli_gbdt_params(a, &g);
    cli_gbdt_free(&g);
    return rc;
}

int cli_tree_params(const cli_args *a, plumb_tree_params *p) {
    plumb_tree_params_init(p);
    p->task = (plumb_task)task_of(a);
    if (p->task == PLUMB_TASK_MULTICLASS)
        return cli_usage_error(a->cmd, "--model tree does not train multiclass models yet");
    const char *crit = cli_get(a, "criterion");
    if (crit && strcmp(crit, "gini") == 0)
        p->criterion = PLUMB_TREE_CRITERION_GINI;
    else if (crit && strcmp(crit, "entropy") == 0)
        p->criterion = PLUMB_TREE_CRITERION_ENTROPY;
    else if (crit && strcmp(crit, "squared_error") == 0)
        p->criterion = PLUMB_TREE_CRITERION_SQUARED_ERROR;
    else if (crit)
        return cli_usage_error(a->cmd, "unknown criterion '%s' (expected gini, entropy or squared_error)", crit);
    long long threads = 0;
    if (!get_int32(a, "max-depth", -1, &p->max_depth) || !get_int64(a, "min-samples-split", 2, &p->min_samples_split) ||
        !get_int64(a, "min-samples-leaf", 1, &p->min_samples_leaf) ||
        !cli_double(a, "min-impurity-decrease", &p->min_impurity_decrease) ||
        !cli_double(a, "ccp-alpha", &p->ccp_alpha) || !cli_threads(a, &threads))
        return EXIT_USAGE;
    if (p->max_depth == 0)
        return cli_usage_error(a->cmd, "option '--max-depth' expects -1 (no limit) or at least 1, got 0");
    if (p->min_impurity_decrease < 0)
        return cli_usage_error(a->cmd, "option '--min-impurity-decrease' expects a number >= 0, got %g",
                               p->min_impurity_decrease);
    if (p->ccp_alpha < 0)
        return cli_usage_error(a->cmd, "option '--ccp-alpha' expects a number >= 0, got %g", p->ccp_alpha);
    const char *cw = cli_get(a, "class-weight");
    if (cw && strcmp(cw, "balanced") == 0) {
        p->class_weight_balanced = 1;
    } else if (cw && strcmp(cw, "none") != 0) {
        char *end;
        const double neg = strtod(cw, &end);
        const double pos = *end == ':' ? strtod(end + 1, &end) : NAN;
        if (*end || !(neg > 0) || !(pos > 0) || !isfinite(neg) || !isfinite(pos))
            return cli_usage_error(a->cmd, "option '--class-weight' expects 'balanced' or NEG:POS weights, got '%s'",
                                   cw);
        p->class_weight[0] = neg;
        p->class_weight[1] = pos;
    }
    p->n_threads = (int)threads;
    p->positive_class = cli_get(a, "positive-class");
    return EXIT_OK;
}

void cli_gbdt_free(cli_gbdt *g) {
    free(g->monotone);
    free(g->monotone_buf);
    plumb_model_free(g->init_model);
    memset(g, 0, sizeof *g);
}

/* Parses --monotone "A:+1,B:-1" into g->monotone. */
static int parse_monotone(const cli_args *a, cli_gbdt *g) {
    const char *v = cli_get(a, "monotone");
    if (!v)
        return EXIT_OK;
    int n = 1;
    for (const char *c = v; *c; c++)
        n += *c == ',';
    if (!(g->monotone_buf = strdup(v)) || !(g->monotone = calloc((size_t)n, sizeof *g->monotone))) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    char *save = NULL;
    for (char *item = strtok_r(g->monotone_buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':');
        if (!colon || colon == item || (strcmp(colon + 1, "+1") && strcmp(colon + 1, "1") && strcmp(colon + 1, "-1")))
            return cli_usage_error(a->cmd,
                                   "option '--monotone' expects COLUMN:+1 or COLUMN:-1, comma-separated, "
                                   "got '%s'",
                                   item);
        *colon = '\0';
        g->monotone[g->p.n_monotone++] = (plumb_monotone){item, strcmp(colon + 1, "-1") == 0 ? -1 : 1};
    }
    g->p.monotone = g->monotone;
    return EXIT_OK;
}

int cli_linear_params(const cli_args *a, plumb_linear_params *p) {
    plumb_linear_params_init(p);
    const bool logistic = strcmp(cli_get(a, "model"), "logistic") == 0;
    const char *task = cli_get(a, "task");
    if (task && strcmp(task, "auto") != 0 && strcmp(task, logistic ? "binary" : "regression") != 0)
        return cli_usage_error(a->cmd, "--model %s is %s: use --model %s for a %s target",
                               logistic ? "logistic" : "linear", logistic ? "binary" : "regression",
                               logistic ? "linear" : "logistic", task);
    if ((cli_get(a, "valid") || cli_get(a, "valid-fraction")) && !cli_get(a, "calibrate"))
        return cli_usage_error(a->cmd,
                               "--valid and --valid-fraction are for early stopping of gradient boosting: "
                               "--model %s does not use validation data",
                               logistic ? "logistic" : "linear");
    p->task = logistic ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    long long threads = 0, max_iter = p->max_iter;
    if (!cli_double(a, "alpha", &p->alpha) || !cli_double(a, "l1-ratio", &p->l1_ratio) ||
        !cli_double(a, "clip-quantile", &p->clip_quantile) ||
        !cli_double(a, "min-category-weight", &p->min_category_weight) || !cli_double(a, "tol", &p->tol) ||
        !cli_int(a, "max-iter", 1, &max_iter) || !cli_threads(a, &threads))
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

int cli_gbdt_params(const cli_args *a, cli_gbdt *g) {
    memset(g, 0, sizeof *g);
    plumb_gbdt_params *p = &g->p;
    plumb_gbdt_params_init(p);
    p->task = (plumb_task)task_of(a);
    plumb_error err;
    const char *objective = cli_get(a, "objective");
    if (objective && plumb_objective_parse(objective, &p->objective, &err) != PLUMB_OK)
        return cli_usage_error(a->cmd, "%s", err.message);
    int rc = parse_monotone(a, g);
    if (rc != EXIT_OK)
        return rc;
    const char *init = cli_get(a, "init-model");
    if (init && plumb_model_load(init, &g->init_model, &err) != PLUMB_OK)
        return cli_fail(&err);
    p->init_model = g->init_model;
    p->metric = cli_get(a, "metric");
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
        !cli_threads(a, &threads) || !cli_double(a, "alpha", &p->alpha) ||
        !cli_double(a, "cat-smooth", &p->cat_smooth) || !cli_double(a, "cat-l2", &p->cat_l2) ||
        !get_int64(a, "min-data-per-group", 1, &p->min_data_per_group) ||
        !get_int32(a, "max-cat-threshold", 1, &p->max_cat_threshold) ||
        !get_int32(a, "max-cat-to-onehot", 1, &p->max_cat_to_onehot))
        return EXIT_USAGE;
    p->seed = (uint64_t)seed;
    p->n_threads = (int)threads;
    p->positive_class = cli_get(a, "positive-class");
    return EXIT_OK;
}

/* Refuses features the schema says become known after the moment of prediction, except those --allow-feature
 * names (comma-separated). */
static int check_availability(const cli_args *a, const plumb_frame *train) {
    const char *v = cli_get(a, "allow-feature");
    char *buf = v ? strdup(v) : NULL;
    const char *names[256];
    size_t n = 0;
    char *save = NULL;
    for (char *t = buf ? strtok_r(buf, ",", &save) : NULL; t && n < 256; t = strtok_r(NULL, ",", &save))
        names[n++] = t;
    plumb_error err;
    const int rc = plumb_frame_check_availability(train, names, n, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    free(buf);
    return rc;
}

int cli_fit(const cli_args *a, const plumb_frame *train, const plumb_frame *valid, bool progress, plumb_model **out) {
    cli_gbdt g = {0};
    int rc = cli_fit_check(a);
    if (rc != EXIT_OK || (rc = check_availability(a, train)) != EXIT_OK)
        return rc;
    if (model_kind(a) == TREE) {
        /* one tree has no iterations to validate: valid data is for the caller to score */
        plumb_tree_params tp;
        plumb_error err;
        if ((rc = cli_tree_params(a, &tp)) != EXIT_OK)
            return rc;
        return plumb_tree_train(train, &tp, out, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    }
    if (model_kind(a) == LINEAR) {
        /* no iterations worth a progress line, and no use for validation data */
        plumb_linear_params lp;
        plumb_error err;
        if ((rc = cli_linear_params(a, &lp)) != EXIT_OK)
            return rc;
        return plumb_linear_train(train, &lp, out, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    }
    if ((rc = cli_gbdt_params(a, &g)) != EXIT_OK) {
        cli_gbdt_free(&g);
        return rc;
    }
    progress = progress && !cli_get(a, "quiet") && isatty(STDERR_FILENO);
    if (progress)
        g.p.progress = show_progress;
    plumb_error err;
    plumb_status st = plumb_gbdt_train(train, valid, &g.p, out, &err);
    if (progress)
        fprintf(stderr, "\n");
    cli_gbdt_free(&g);
    return st == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}
