/* fit.c -- the table of model kinds the command line knows, the model options that `plumb train` and `plumb cv`
 * share, and the functions that parse them once and train the model they name.
 *
 * CLI_MODEL_OPTIONS (cli.h) lists every option of every kind of model; each option names the kinds that read it,
 * and each kind is one row of cli_kinds: its --model name, how it parses its options, how it trains, how train
 * prints its summary and explain its explanation. cli_fit_parse reads the options once (loading --init-model
 * once); cli_fit_train trains as often as the caller needs (cv: once per fold).
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

static int parse_gbdt(const cli_args *a, cli_fit *f);
static int parse_tree(const cli_args *a, cli_fit *f);
static int parse_linear(const cli_args *a, cli_fit *f);
static plumb_status train_gbdt(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                               plumb_model **out, plumb_error *err);
static plumb_status train_tree(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                               plumb_model **out, plumb_error *err);
static plumb_status train_linear(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                                 plumb_model **out, plumb_error *err);

/* The kinds of model, as git's command table: adding a kind is one row here and its hooks. */
const cli_kind cli_kinds[] = {
    {"gbdt", "gbdt", GBDT, true, parse_gbdt, train_gbdt, cli_summary_gbdt, cli_explain_gbdt},
    {"linear", "linear", LINEAR, false, parse_linear, train_linear, cli_summary_linear, cli_explain_linear},
    {"logistic", "linear", LINEAR, false, parse_linear, train_linear, cli_summary_linear, cli_explain_linear},
    {"tree", "tree", TREE, false, parse_tree, train_tree, cli_summary_tree, cli_explain_tree},
    {NULL, NULL, 0, false, NULL, NULL, NULL, NULL},
};

const cli_kind *cli_kind_named(const char *name) {
    for (const cli_kind *k = cli_kinds; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

const cli_kind *cli_kind_of_model(const plumb_model *model) {
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const char *kind = info.kind && strcmp(info.kind, "compiled") == 0 ? "gbdt" : info.kind; /* gbdt, compiled */
    for (const cli_kind *k = cli_kinds; k->name; k++)
        if (strcmp(k->file_kind, kind) == 0)
            return k;
    return NULL;
}

void cli_fit_free(cli_fit *f) {
    free(f->monotone);
    free(f->monotone_buf);
    free(f->allow_buf);
    plumb_model_free(f->init_model);
    memset(f, 0, sizeof *f);
}

int cli_fit_parse(const cli_args *a, cli_fit *f) {
    memset(f, 0, sizeof *f);
    const char *kind = cli_get(a, "model");
    if (!(f->kind = cli_kind_named(kind ? kind : "gbdt"))) {
        char names[256] = "";
        for (const cli_kind *k = cli_kinds; k->name; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k == cli_kinds ? "" : ", ", k->name);
        return cli_usage_error(a->cmd, "unknown model '%s' (this plumb trains: %s)", kind, names);
    }
    const char *task = cli_get(a, "task");
    plumb_error err;
    f->task = PLUMB_TASK_AUTO;
    if (task && plumb_task_parse(task, &f->task, &err) != PLUMB_OK)
        return cli_usage_error(a->cmd, "%s", err.message);
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (!(owned[i].kinds & f->kind->bit) && cli_get(a, owned[i].name))
            return cli_usage_error(a->cmd, "option '--%s' does not apply to --model %s", owned[i].name, f->kind->name);
    f->positive_class = cli_get(a, "positive-class");
    if (f->positive_class && f->task != PLUMB_TASK_AUTO && f->task != PLUMB_TASK_BINARY)
        return cli_usage_error(a->cmd, "--positive-class is for a binary target, not --task %s",
                               plumb_task_name(f->task));
    const char *allow = cli_get(a, "allow-feature");
    if (allow && !(f->allow_buf = strdup(allow))) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    char *save = NULL;
    for (char *t = f->allow_buf ? strtok_r(f->allow_buf, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        if (f->n_allow == sizeof f->allow / sizeof *f->allow)
            return cli_usage_error(a->cmd, "option '--allow-feature' names more than %zu columns",
                                   sizeof f->allow / sizeof *f->allow);
        f->allow[f->n_allow++] = t;
    }
    f->quiet = cli_get(a, "quiet") != NULL;
    return f->kind->parse(a, f);
}

static int parse_tree(const cli_args *a, cli_fit *f) {
    plumb_tree_params *p = &f->tree;
    plumb_tree_params_init(p);
    p->task = f->task;
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
    } else if (cw && strchr(cw, '=')) {
        f->tree_class_weight = cw; /* CLASS=W,...: resolved against the target's classes by cli_fit_train */
    } else if (cw && strcmp(cw, "none") != 0) {
        char *end;
        const double neg = strtod(cw, &end);
        const double pos = *end == ':' ? strtod(end + 1, &end) : NAN;
        if (*end || !(neg > 0) || !(pos > 0) || !isfinite(neg) || !isfinite(pos))
            return cli_usage_error(a->cmd,
                                   "option '--class-weight' expects 'balanced', CLASS=W per class (e.g. bad=3,good=1) "
                                   "or NEG:POS weights, got '%s'",
                                   cw);
        p->class_weight[0] = neg;
        p->class_weight[1] = pos;
    }
    p->n_threads = (int)threads;
    p->positive_class = f->positive_class;
    return EXIT_OK;
}

/* Parses --monotone "A:+1,B:-1" into g->monotone; a column named twice is a usage error. */
static int parse_monotone(const cli_args *a, cli_fit *g) {
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
        for (int64_t j = 0; j < g->gbdt.n_monotone; j++)
            if (strcmp(g->monotone[j].column, item) == 0)
                return cli_usage_error(a->cmd, "option '--monotone' names '%s' twice", item);
        g->monotone[g->gbdt.n_monotone++] = (plumb_monotone){item, strcmp(colon + 1, "-1") == 0 ? -1 : 1};
    }
    g->gbdt.monotone = g->monotone;
    return EXIT_OK;
}

static int parse_linear(const cli_args *a, cli_fit *f) {
    plumb_linear_params *p = &f->linear;
    plumb_linear_params_init(p);
    const bool logistic = strcmp(f->kind->name, "logistic") == 0;
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
    p->positive_class = f->positive_class;
    p->class_weight = cli_get(a, "class-weight");
    p->standardize = !cli_get(a, "no-standardize");
    if (p->class_weight && strcmp(p->class_weight, "balanced") != 0 && !strchr(p->class_weight, '='))
        return cli_usage_error(a->cmd,
                               "option '--class-weight' expects 'balanced' or CLASS=W per class (e.g. bad=3,good=1), "
                               "got '%s'",
                               p->class_weight);
    if (p->class_weight && strchr(p->class_weight, '='))
        f->tree_class_weight = p->class_weight; /* checked against the classes as the tree's is, in one syntax */
    return EXIT_OK;
}

/* The validation metrics: LightGBM's names, and scikit-learn's (as plumb eval prints them) for the same metric. */
static const struct {
    const char *name, *lightgbm;
} metric_names[] = {
    {"binary_logloss", "binary_logloss"},
    {"auc", "auc"},
    {"binary_error", "binary_error"},
    {"l2", "l2"},
    {"rmse", "rmse"},
    {"l1", "l1"},
    {"huber", "huber"},
    {"poisson", "poisson"},
    {"quantile", "quantile"},
    {"mape", "mape"},
    {"multi_logloss", "multi_logloss"},
    {"multi_error", "multi_error"},
    /* scikit-learn's and plumb eval's names; log_loss by the task */
    {"roc_auc", "auc"},
    {"mae", "l1"},
    {"mse", "l2"},
    {"poisson_deviance", "poisson"},
    {"log_loss", NULL},
};

/* --metric, in either vocabulary, as LightGBM's name; an unknown name is a usage error. */
static int parse_metric(const cli_args *a, cli_fit *g) {
    const char *m = cli_get(a, "metric");
    if (!m)
        return EXIT_OK;
    for (size_t i = 0; i < sizeof metric_names / sizeof *metric_names; i++)
        if (strcmp(m, metric_names[i].name) == 0) {
            g->gbdt.metric = metric_names[i].lightgbm           ? metric_names[i].lightgbm
                             : g->task == PLUMB_TASK_MULTICLASS ? "multi_logloss"
                                                                : "binary_logloss";
            return EXIT_OK;
        }
    return cli_usage_error(a->cmd,
                           "unknown metric '%s' (expected LightGBM's binary_logloss, auc, binary_error, l2, rmse, l1, "
                           "huber, poisson, quantile, mape, multi_logloss, multi_error, or scikit-learn's roc_auc, "
                           "log_loss, mae, mse, poisson_deviance)",
                           m);
}

static int parse_gbdt(const cli_args *a, cli_fit *g) {
    plumb_gbdt_params *p = &g->gbdt;
    plumb_gbdt_params_init(p);
    p->task = g->task;
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
    if ((rc = parse_metric(a, g)) != EXIT_OK)
        return rc;
    int64_t seed = CLI_SEED;
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
    p->positive_class = g->positive_class;
    return EXIT_OK;
}

/* Refuses features the schema says become known after the moment of prediction, except those --allow-feature
 * names; a name that is no column of the data is a usage error (a typo would otherwise allow nothing). */
static int check_availability(const cli_args *a, const cli_fit *f, const plumb_frame *train) {
    for (size_t i = 0; i < f->n_allow; i++)
        if (plumb_frame_find(train, f->allow[i]) < 0)
            return cli_usage_error(a->cmd, "option '--allow-feature' names '%s', which is no column of the data",
                                   f->allow[i]);
    plumb_error err;
    return plumb_frame_check_availability(train, f->allow, f->n_allow, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}

/* The target column of frame, or -1. */
static int64_t target_column(const plumb_frame *frame, plumb_column_info *c) {
    const plumb_schema *s = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_schema_column(s, j, c);
        if (c->role == PLUMB_ROLE_TARGET)
            return j;
    }
    return -1;
}

/* What the library would train without a word but is not what the user asked for: --positive-class on a target of
 * more than two classes, a target of one value (a "binary" model of loss 0), a time column that is text. */
static int check_target(const cli_args *a, const cli_fit *f, const plumb_frame *train) {
    plumb_column_info c;
    const int64_t col = target_column(train, &c);
    if (col < 0)
        return EXIT_OK; /* the library names the missing target */
    const int64_t n = plumb_frame_n_rows(train);
    if (f->positive_class && c.type == PLUMB_TYPE_CATEGORICAL && c.n_categories > 2)
        return cli_usage_error(a->cmd,
                               "--positive-class is for a binary target: '%s' has %lld classes (a multiclass model "
                               "predicts each of them)",
                               c.name, (long long)c.n_categories);
    const double *f64 = plumb_frame_f64(train, col);
    if (f64 && f->task != PLUMB_TASK_REGRESSION) {
        int64_t i = 0;
        while (i < n && isnan(f64[i]))
            i++;
        int64_t j = i;
        while (j < n && (isnan(f64[j]) || f64[j] == f64[i]))
            j++;
        if (i < n && j == n) {
            fprintf(stderr, "plumb: target '%s' has one value (%g) in all %lld rows: there is nothing to learn%s\n",
                    c.name, f64[i], (long long)n,
                    f->task == PLUMB_TASK_AUTO ? " (give --task regression to fit the constant)" : "");
            return EXIT_DATA;
        }
    }
    const plumb_schema *s = plumb_frame_schema(train);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info t;
        plumb_schema_column(s, j, &t);
        if (t.role == PLUMB_ROLE_TIME && t.type != PLUMB_TYPE_DATETIME && t.type != PLUMB_TYPE_NUMERIC)
            return cli_usage_error(a->cmd,
                                   "--time-col '%s' is read as text, not as dates or numbers: fix its values or "
                                   "declare its type in --schema",
                                   t.name);
    }
    return EXIT_OK;
}

/* Resolves --class-weight CLASS=W,... of a tree against the target's two classes into w[0] (negative) and w[1]
 * (positive), as logistic regression reads the same option; a class not named weighs 1. */
static int tree_class_weights(const cli_args *a, const cli_fit *f, const plumb_frame *train, double w[2]) {
    plumb_column_info c;
    if (target_column(train, &c) < 0)
        return EXIT_OK;
    const char *names[2] = {"0", "1"};
    if (c.type == PLUMB_TYPE_BOOL)
        names[0] = "false", names[1] = "true";
    if (c.type == PLUMB_TYPE_CATEGORICAL && c.n_categories == 2) {
        const int pos = f->positive_class && strcmp(c.categories[0], f->positive_class) == 0 ? 0 : 1;
        names[1] = c.categories[pos];
        names[0] = c.categories[1 - pos];
    }
    w[0] = w[1] = 1;
    bool seen[2] = {false, false};
    for (const char *s = f->tree_class_weight; *s;) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        int k = -1;
        for (int j = 0; eq && j < 2; j++)
            if ((size_t)(eq - s) == strlen(names[j]) && memcmp(s, names[j], (size_t)(eq - s)) == 0)
                k = j;
        char *stop = NULL;
        const double v = eq ? strtod(eq + 1, &stop) : NAN;
        if (!eq || k < 0 || stop != end || !(v > 0) || !isfinite(v) || seen[k])
            return cli_usage_error(a->cmd,
                                   "option '--class-weight': '%.*s' is not CLASS=WEIGHT with a positive weight for "
                                   "one of the classes of '%s' ('%s', '%s'), each once",
                                   (int)(end - s), s, c.name, names[0], names[1]);
        seen[k] = true;
        w[k] = v;
        s = comma ? comma + 1 : end;
    }
    return EXIT_OK;
}

static plumb_status train_tree(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                               plumb_model **out, plumb_error *err) {
    (void)valid, (void)progress; /* one tree has no iterations to validate: valid data is for the caller to score */
    return plumb_tree_train(train, &f->tree, out, err);
}

static plumb_status train_linear(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                                 plumb_model **out, plumb_error *err) {
    (void)valid, (void)progress; /* no iterations worth a progress line, and no use for validation data */
    return plumb_linear_train(train, &f->linear, out, err);
}

static plumb_status train_gbdt(const cli_fit *f, const plumb_frame *train, const plumb_frame *valid, bool progress,
                               plumb_model **out, plumb_error *err) {
    plumb_gbdt_params p = f->gbdt;
    if (progress)
        p.progress = show_progress;
    plumb_status st = plumb_gbdt_train(train, valid, &p, out, err);
    if (progress)
        fprintf(stderr, "\n");
    return st;
}

int cli_fit_train(const cli_args *a, const cli_fit *f, const plumb_frame *train, const plumb_frame *valid,
                  bool progress, plumb_model **out) {
    int rc = check_availability(a, f, train);
    if (rc != EXIT_OK || (rc = check_target(a, f, train)) != EXIT_OK)
        return rc;
    cli_fit tree_fit;
    if (f->tree_class_weight) {
        tree_fit = *f;
        if ((rc = tree_class_weights(a, f, train, tree_fit.tree.class_weight)) != EXIT_OK)
            return rc;
        f = &tree_fit;
    }
    plumb_error err;
    progress = progress && !f->quiet && isatty(STDERR_FILENO);
    return f->kind->train(f, train, valid, progress, out, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}
