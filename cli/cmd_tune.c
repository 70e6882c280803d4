/* cmd_tune.c -- `plumb tune`: Bayesian hyperparameter search (TPE or random) with cross-validation, pruning, a
 * resumable SQLite journal, and an honest estimate of the tuned model on held-out data.
 *
 * The library owns the search (src/tune: spaces, samplers, journal); this file runs the trials. The folds are
 * drawn once (plumb_split_create) and every trial is scored on the same folds, each fold trained exactly as
 * `plumb cv` trains it (cli_fit_train with the trial's parameters written over the command line's). Folds of one
 * trial run side by side on the threads (a fold per thread, each training single-threaded: on small tables that
 * beats threads inside one training, docs/tune.md has the measurement). The median rule prunes a trial after a
 * fold whose running mean is worse than the median of the earlier trials' running means at that fold; decisions
 * at fold f use folds 0..f only, so the result does not depend on the thread count even though a wave of folds
 * may have run past the fold that pruned. Each finished trial goes to the journal at once; with the same options
 * a killed search resumes at the first unfinished trial, which is proposed again identically.
 * The final model is refit on all training rows with the best parameters (gbdt: as many trees as the best trial's
 * folds stopped at on average); the report's unbiased figure is its score on --test, rows no trial has seen.
 */
#include "evaluate.h"
#include "record.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", NULL, "write the model refit with the best parameters (atomically)"},
    {"trials", 'n', "N", "50", "trials in all (a resumed search counts those in its journal)"},
    {"time-budget", 0, "S", NULL, "start no trial after S seconds (the result then depends on the machine)"},
    {"folds", 'k', "N", "5", "cross-validation folds per trial"},
    {"strategy", 0, "S", "stratified (binary), kfold", "kfold, stratified, group (--group-col) or time (--time-col)"},
    {"metric", 0, "NAME", "roc_auc or rmse",
     "the score to optimise: any metric of the task (roc_auc, pr_auc, log_loss, brier, rmse, mae, r2, ...; auc is "
     "roc_auc)"},
    {"space", 0, "FILE", "by the model", "the search space (JSON, docs/tune.md); default: the model's own"},
    {"sampler", 0, "NAME", "tpe", "tpe or random"},
    {"startup", 0, "N", "10", "tpe: random trials before the model of good and bad trials takes over"},
    {"prune", 0, "RULE", "median", "median (stop a trial whose running fold mean is below the median) or none"},
    {"journal", 0, "FILE", NULL, "record every trial in this SQLite file; run again with it to resume"},
    {"test", 0, "FILE", NULL, "held-out rows for an unbiased estimate of the tuned model"},
    {"json", 0, NULL, NULL, "print the result as JSON"},
    CLI_REPORT_OPTION,
    CLI_QUIET_OPTION(""),
    {"model", 0, "KIND", "gbdt", "gbdt, logistic, linear or tree"},
    {"task", 0, "TASK", "auto", "binary, regression, or auto (from the target's values)"},
    {"positive-class", 0, "VALUE", "the last category", "binary target with text values: the positive class"},
    {"num-iterations", 0, "N", "1000", "gbdt: most trees per fold (early stopping picks fewer)"},
    {"early-stopping-rounds", 0, "N", "50", "gbdt: patience of early stopping inside each fold"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the folds, the sampler and the models"},
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

static const char *const strategy_names[] = {"kfold", "stratified", "group", "time"};
static const char *const state_names[] = {"complete", "pruned", "failed"};

/* metrics where a lower value is better */
static bool lower_is_better(plumb_metric m) {
    switch (m) {
    case PLUMB_METRIC_LOG_LOSS:
    case PLUMB_METRIC_BRIER:
    case PLUMB_METRIC_MAE:
    case PLUMB_METRIC_RMSE:
    case PLUMB_METRIC_MAPE:
    case PLUMB_METRIC_WAPE:
    case PLUMB_METRIC_POISSON_DEVIANCE:
    case PLUMB_METRIC_GAMMA_DEVIANCE:
    case PLUMB_METRIC_PINBALL_LOSS:
        return true;
    default:
        return false;
    }
}

/* What every trial shares: the data, its folds, the options. */
typedef struct ctx {
    const cli_args *a;
    const cli_args *fit_args; /* a, with --metric turned into gbdt's early-stopping metric (or removed) */
    const cli_fit *base;
    const plumb_tune_space *space;
    int32_t k;
    plumb_frame **train, **test; /* per fold */
    double **ty, **tw, **ts;     /* per fold: test labels, weights (NULL without a weight column), scores */
    plumb_metric metric;
    bool early;
    int waves; /* folds trained at once */
    int inner; /* threads inside each training */
} ctx;

typedef struct fold_job {
    const ctx *c;
    const cli_fit *fit;
    int32_t f;
    double score;
    int64_t best_iteration;
    int rc;
} fold_job;

static void *run_fold(void *arg) {
    fold_job *j = arg;
    const ctx *c = j->c;
    plumb_model *m = NULL;
    plumb_error err;
    j->score = NAN;
    j->rc = cli_fit_train(c->fit_args, j->fit, c->train[j->f], c->early ? c->test[j->f] : NULL, false, &m);
    if (j->rc != EXIT_OK)
        return NULL;
    plumb_model_info mi;
    plumb_model_describe(m, &mi);
    j->best_iteration = mi.best_iteration;
    const int64_t n = plumb_frame_n_rows(c->test[j->f]);
    if (plumb_model_predict(m, c->test[j->f], NULL, c->ts[j->f], &err) != PLUMB_OK) {
        j->rc = cli_fail(&err);
    } else {
        plumb_metric_data d;
        plumb_metric_data_init(&d);
        d.n_rows = n;
        d.label = c->ty[j->f];
        d.score = c->ts[j->f];
        d.weight = c->tw[j->f];
        if (plumb_metrics_compute(&d, &c->metric, 1, &j->score, &err) != PLUMB_OK)
            j->rc = cli_fail(&err);
    }
    plumb_model_free(m);
    return NULL;
}

/* The fit of a trial: the command line's with the trial's values written over it. */
static void trial_fit(const ctx *c, const double *values, cli_fit *fit) {
    *fit = *c->base;
    if (strcmp(fit->kind->file_kind, "gbdt") == 0) {
        plumb_tune_apply_gbdt(c->space, values, &fit->gbdt);
        fit->gbdt.n_threads = c->inner;
    } else if (strcmp(fit->kind->file_kind, "tree") == 0) {
        plumb_tune_apply_tree(c->space, values, &fit->tree);
        fit->tree.n_threads = c->inner;
    } else {
        plumb_tune_apply_linear(c->space, values, &fit->linear);
        fit->linear.n_threads = c->inner;
    }
}

/* Runs one trial: folds in waves of c->waves, the median rule after each fold once min_trials trials are told.
 * Fills steps[0..*n_steps), *state, *score and the mean best iteration; EXIT_OK, or a failed trial (reported). */
static void run_trial(const ctx *c, const plumb_tuner *tuner, const double *values, bool prune, double *steps,
                      int64_t *n_steps, plumb_trial_state *state, double *score, double *mean_best) {
    cli_fit fit;
    trial_fit(c, values, &fit);
    fold_job jobs[64];
    pthread_t th[64];
    const bool minimize = lower_is_better(c->metric);
    *n_steps = 0;
    *state = PLUMB_TRIAL_COMPLETE;
    *mean_best = 0;
    double sum = 0;
    for (int32_t f0 = 0; f0 < c->k; f0 += c->waves) {
        const int32_t f1 = f0 + c->waves < c->k ? f0 + c->waves : c->k;
        bool started[64] = {false};
        for (int32_t f = f0; f < f1; f++) {
            jobs[f] = (fold_job){c, &fit, f, NAN, 0, EXIT_OK};
            if (f > f0)
                started[f] = pthread_create(&th[f], NULL, run_fold, &jobs[f]) == 0;
        }
        run_fold(&jobs[f0]);
        for (int32_t f = f0 + 1; f < f1; f++) {
            if (started[f])
                pthread_join(th[f], NULL);
            else
                run_fold(&jobs[f]);
        }
        for (int32_t f = f0; f < f1; f++) {
            if (jobs[f].rc != EXIT_OK || isnan(jobs[f].score)) {
                *state = PLUMB_TRIAL_FAILED;
                *score = NAN;
                return;
            }
            steps[f] = jobs[f].score;
            sum += jobs[f].score;
            *mean_best += (double)jobs[f].best_iteration;
            *n_steps = f + 1;
            if (prune && f >= 1 && f + 1 < c->k) { /* warm-up: one fold says too little */
                const double med = plumb_tuner_median(tuner, f, 5);
                const double mean = sum / (double)(f + 1);
                if (!isnan(med) && (minimize ? mean > med : mean < med)) {
                    *state = PLUMB_TRIAL_PRUNED;
                    *score = mean;
                    *mean_best /= (double)(f + 1);
                    return;
                }
            }
        }
    }
    *score = sum / (double)c->k;
    *mean_best /= (double)c->k;
}

/* The split options for the strategy (labels, groups or times allocated into *buf). */
static int split_inputs(const cli_args *a, const plumb_frame *fr, plumb_split_strategy strategy, const double *y,
                        plumb_split_options *o, void **buf) {
    const int64_t n = plumb_frame_n_rows(fr);
    *buf = NULL;
    if (strategy == PLUMB_SPLIT_STRATIFIED) {
        int64_t *lab = malloc((size_t)n * sizeof *lab);
        if (!(*buf = lab))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        for (int64_t i = 0; i < n; i++)
            lab[i] = (int64_t)y[i];
        o->labels = lab;
    } else if (strategy == PLUMB_SPLIT_GROUP) {
        const int64_t g = cli_column_with_role(fr, PLUMB_ROLE_GROUP);
        const int32_t *codes = g >= 0 ? plumb_frame_codes(fr, g) : NULL;
        if (!codes)
            return cli_usage_error(a->cmd, "--strategy group needs a text --group-col");
        int64_t *grp = malloc((size_t)n * sizeof *grp);
        if (!(*buf = grp))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        for (int64_t i = 0; i < n; i++)
            grp[i] = codes[i];
        o->groups = grp;
    } else if (strategy == PLUMB_SPLIT_TIME) {
        double *t = NULL;
        const int rc = cli_time_values(a, fr, &t);
        *buf = t;
        if (rc != EXIT_OK)
            return rc;
        o->times = t;
    }
    return EXIT_OK;
}

/* The configuration text the journal keeps: everything that changes what a trial computes. */
static char *config_text(const cli_args *a, const ctx *c, const char *target, const char *kind, plumb_task task,
                         int strategy, long long seed, const char *sampler, long long startup, bool prune,
                         int64_t n_rows) {
    char *space = plumb_tune_space_json(c->space);
    if (!space)
        return NULL;
    const char *fixed[] = {"num-iterations", "early-stopping-rounds", "positive-class", "weight-col", "group-col",
                           "time-col",       "categorical",           "id-col",         "schema",     "missing"};
    char opts[2048] = "";
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (cli_get(a, fixed[i]))
            snprintf(opts + strlen(opts), sizeof opts - strlen(opts), "--%s %s ", fixed[i], cli_get(a, fixed[i]));
    const char *fmt = "plumb tune journal\ndata: %s (%lld rows)\ntarget: %s\nmodel: %s\ntask: %s\nmetric: %s\n"
                      "folds: %d %s\nseed: %lld\nsampler: %s (startup %lld)\nprune: %s\noptions: %s\nspace: %s\n";
    const int len = snprintf(NULL, 0, fmt, a->pos[0], (long long)n_rows, target, kind, plumb_task_name(task),
                             plumb_metric_name(c->metric), c->k, strategy_names[strategy], seed, sampler, startup,
                             prune ? "median" : "none", opts, space);
    char *text = malloc((size_t)len + 1);
    if (text)
        snprintf(text, (size_t)len + 1, fmt, a->pos[0], (long long)n_rows, target, kind, plumb_task_name(task),
                 plumb_metric_name(c->metric), c->k, strategy_names[strategy], seed, sampler, startup,
                 prune ? "median" : "none", opts, space);
    free(space);
    return text;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The trial's active parameters as a JSON object (plumb_tune_params_json's); NULL when out of memory. */
static json_t *params_json(const plumb_tune_space *s, const double *v) {
    char *text = plumb_tune_params_json(s, v);
    json_t *o = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    return o;
}

static int run_parsed(const cli_args *a, cli_args *fa, cli_fit *fit);

static int run(const cli_args *a) {
    /* --metric is the score to optimise; gbdt's early stopping watches the same metric when LightGBM has it
     * (auc, binary_logloss, rmse, l1), else the objective's loss; the other kinds read no --metric */
    cli_args fa = *a;
    const char **values = NULL;
    int n_opt = 0, mi = -1;
    while (a->cmd->options[n_opt].name) {
        if (strcmp(a->cmd->options[n_opt].name, "metric") == 0)
            mi = n_opt;
        n_opt++;
    }
    if (!(values = malloc((size_t)n_opt * sizeof *values)))
        return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
    memcpy(values, a->values, (size_t)n_opt * sizeof *values);
    const char *m = values[mi];
    const char *kind = cli_get(a, "model");
    values[mi] = NULL;
    if (m && (!kind || strcmp(kind, "gbdt") == 0)) {
        if (strcmp(m, "auc") == 0 || strcmp(m, "roc_auc") == 0)
            values[mi] = "auc";
        else if (strcmp(m, "log_loss") == 0)
            values[mi] = "binary_logloss";
        else if (strcmp(m, "rmse") == 0)
            values[mi] = "rmse";
        else if (strcmp(m, "mae") == 0)
            values[mi] = "l1";
    }
    fa.values = values;
    cli_fit fit;
    int rc = cli_fit_parse(&fa, &fit);
    if (rc == EXIT_OK)
        rc = run_parsed(a, &fa, &fit);
    cli_fit_free(&fit);
    free(values);
    return rc;
}

static int run_parsed(const cli_args *a, cli_args *fa, cli_fit *fit) {
    int rc = EXIT_OK;
    long long n_trials = 50, k = 5, seed = CLI_SEED, startup = 10, threads = 0;
    double budget = 0;
    if (!cli_int(a, "trials", 1, &n_trials) || !cli_int(a, "folds", 2, &k) || !cli_int(a, "seed", 0, &seed) ||
        !cli_int(a, "startup", 0, &startup) || !cli_double(a, "time-budget", &budget) || !cli_threads(a, &threads))
        return EXIT_USAGE;
    if (k > 64)
        return cli_usage_error(a->cmd, "option '--folds' expects at most 64 folds, got %lld", k);
    if (cli_get(a, "time-budget") && !(budget > 0))
        return cli_usage_error(a->cmd, "option '--time-budget' expects seconds > 0, got '%s'",
                               cli_get(a, "time-budget"));
    const char *sampler = cli_get(a, "sampler") ? cli_get(a, "sampler") : "tpe";
    if (strcmp(sampler, "tpe") && strcmp(sampler, "random"))
        return cli_usage_error(a->cmd, "unknown sampler '%s' (expected tpe or random)", sampler);
    const char *prune_rule = cli_get(a, "prune") ? cli_get(a, "prune") : "median";
    if (strcmp(prune_rule, "median") && strcmp(prune_rule, "none"))
        return cli_usage_error(a->cmd, "unknown pruning rule '%s' (expected median or none)", prune_rule);
    const bool prune = strcmp(prune_rule, "median") == 0;
    const char *out = cli_get(a, "output");
    if (!out)
        return cli_usage_error(a->cmd, "no output: name the tuned model's file with -o");
    if ((rc = cli_check_outputs(a, CLI_FILES(out, cli_get(a, "report"), cli_get(a, "journal")))) != EXIT_OK)
        return rc;
    const char *sname = cli_get(a, "strategy");
    int strategy = -1;
    for (int s = 0; sname && s < 4; s++)
        if (strcmp(sname, strategy_names[s]) == 0)
            strategy = s;
    if (sname && strategy < 0)
        return cli_usage_error(a->cmd, "unknown strategy '%s' (expected kfold, stratified, group or time)", sname);
    if (strategy == PLUMB_SPLIT_GROUP && !cli_get(a, "group-col"))
        return cli_usage_error(a->cmd, "--strategy group needs --group-col");
    if (strategy == PLUMB_SPLIT_TIME && !cli_get(a, "time-col"))
        return cli_usage_error(a->cmd, "--strategy time needs --time-col");
    if (fit->task == PLUMB_TASK_MULTICLASS)
        return cli_usage_error(a->cmd, "plumb tune covers binary and regression targets");
    const char *kind = fit->kind->name;
    const bool gbdt = strcmp(fit->kind->file_kind, "gbdt") == 0;
    if (gbdt) { /* tune's own defaults: many trees, each fold stops early */
        if (!cli_get(a, "num-iterations"))
            fit->gbdt.num_iterations = 1000;
        if (!cli_get(a, "early-stopping-rounds"))
            fit->gbdt.early_stopping_rounds = 50;
    } else if (cli_get(a, "num-iterations") || cli_get(a, "early-stopping-rounds")) {
        return cli_usage_error(a->cmd, "options '--num-iterations' and '--early-stopping-rounds' are for --model gbdt");
    }

    plumb_error err;
    plumb_frame *frame = NULL, *test = NULL;
    plumb_model *final = NULL;
    plumb_split *split = NULL;
    plumb_tune_space *space = NULL;
    plumb_tuner *tuner = NULL;
    plumb_tune_journal *journal = NULL;
    void *split_buf = NULL;
    double *y = NULL, *values = NULL, *test_y = NULL, *test_s = NULL, *importance = NULL;
    int64_t *rows_train = NULL, *rows_test = NULL;
    char *config = NULL;
    json_t *history = NULL;
    ctx c = {0};
    c.a = a;
    c.fit_args = fa;
    c.base = fit;
    c.k = (int32_t)k;
    plumb_evaluation test_ev = {0};
    const bool progress = !cli_get(a, "quiet");

    if ((rc = cli_read_frame(a, a->pos[0], NULL, &frame)) != EXIT_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(frame);
    const int64_t tcol = cli_column_with_role(frame, PLUMB_ROLE_TARGET);
    if (tcol < 0) {
        rc = cli_usage_error(a->cmd, "no target: name the column to predict with --target");
        goto done;
    }
    const int64_t wcol = cli_column_with_role(frame, PLUMB_ROLE_WEIGHT);
    const double *w = wcol >= 0 ? plumb_frame_f64(frame, wcol) : NULL;
    plumb_task task = fit->task;
    const char *positive = cli_get(a, "positive-class");
    int64_t n_classes = 0;
    if (!(y = malloc((size_t)n * sizeof *y)) || !(rows_train = malloc((size_t)n * sizeof *rows_train)) ||
        !(rows_test = malloc((size_t)n * sizeof *rows_test))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    if (plumb_frame_labels(frame, tcol, a->pos[0], &task, &positive, &n_classes, y, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (task == PLUMB_TASK_MULTICLASS) {
        rc = cli_usage_error(a->cmd, "plumb tune covers binary and regression targets");
        goto done;
    }
    if (strcmp(kind, "logistic") == 0 && task != PLUMB_TASK_BINARY) {
        rc = cli_usage_error(a->cmd, "--model logistic needs a binary target: use --model linear for regression");
        goto done;
    }
    /* the metric */
    const char *mname = cli_get(a, "metric");
    if (!mname)
        mname = task == PLUMB_TASK_BINARY ? "roc_auc" : "rmse";
    if (strcmp(mname, "auc") == 0)
        mname = "roc_auc";
    c.metric = PLUMB_METRIC_COUNT;
    for (int mi = 0; mi < PLUMB_METRIC_COUNT; mi++)
        if (strcmp(plumb_metric_name((plumb_metric)mi), mname) == 0 &&
            strcmp(plumb_metric_task((plumb_metric)mi), plumb_task_name(task)) == 0)
            c.metric = (plumb_metric)mi;
    if (c.metric == PLUMB_METRIC_COUNT || c.metric == PLUMB_METRIC_F1_BEST_THRESHOLD) {
        rc = cli_usage_error(a->cmd, "unknown metric '%s' for a %s target (e.g. %s)", mname, plumb_task_name(task),
                             task == PLUMB_TASK_BINARY ? "roc_auc, pr_auc, log_loss, brier" : "rmse, mae, r2");
        goto done;
    }
    /* the space */
    const plumb_status sst = cli_get(a, "space") ? plumb_tune_space_load(cli_get(a, "space"), kind, &space, &err)
                                                 : plumb_tune_space_default(kind, task, &space, &err);
    if (sst != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    c.space = space;
    const int64_t d = plumb_tune_space_size(space);
    for (int64_t i = 0; i < d; i++) { /* a tuned parameter also fixed on the command line is ambiguous */
        char opt[128];
        snprintf(opt, sizeof opt, "%s", plumb_tune_space_param(space, i)->name);
        for (char *p = opt; *p; p++)
            if (*p == '_')
                *p = '-';
        if (cli_get(a, opt)) {
            rc = cli_usage_error(a->cmd, "option '--%s' fixes a parameter the search space tunes", opt);
            goto done;
        }
    }
    /* the held-out rows are read now: a bad file fails before the search, not after it */
    if (cli_get(a, "test") && (rc = cli_read_frame(a, cli_get(a, "test"), plumb_frame_schema(frame), &test)) != EXIT_OK)
        goto done;
    if (strategy < 0)
        strategy = task == PLUMB_TASK_BINARY ? PLUMB_SPLIT_STRATIFIED : PLUMB_SPLIT_KFOLD;
    if (strategy == PLUMB_SPLIT_STRATIFIED && task != PLUMB_TASK_BINARY) {
        rc = cli_usage_error(a->cmd, "stratified folds need a binary target: use --strategy kfold for regression");
        goto done;
    }
    plumb_split_options so;
    plumb_split_options_init(&so);
    so.strategy = (plumb_split_strategy)strategy;
    so.n_folds = (int32_t)k;
    so.shuffle = true;
    so.seed = (uint64_t)seed;
    if ((rc = split_inputs(a, frame, so.strategy, y, &so, &split_buf)) != EXIT_OK)
        goto done;
    if (plumb_split_create(n, &so, &split, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* the folds, taken once */
    if (!(c.train = calloc((size_t)k, sizeof *c.train)) || !(c.test = calloc((size_t)k, sizeof *c.test)) ||
        !(c.ty = calloc((size_t)k, sizeof *c.ty)) || !(c.tw = calloc((size_t)k, sizeof *c.tw)) ||
        !(c.ts = calloc((size_t)k, sizeof *c.ts))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    for (int32_t f = 0; f < (int32_t)k; f++) {
        int64_t ntr, nte;
        plumb_split_rows(split, f, rows_train, &ntr, rows_test, &nte);
        if (plumb_frame_take(frame, rows_train, ntr, &c.train[f], &err) != PLUMB_OK ||
            plumb_frame_take(frame, rows_test, nte, &c.test[f], &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (!(c.ty[f] = malloc((size_t)(nte ? nte : 1) * sizeof(double))) ||
            !(c.ts[f] = malloc((size_t)(nte ? nte : 1) * sizeof(double))) ||
            (w && !(c.tw[f] = malloc((size_t)(nte ? nte : 1) * sizeof(double))))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto done;
        }
        for (int64_t i = 0; i < nte; i++) {
            c.ty[f][i] = y[rows_test[i]];
            if (w)
                c.tw[f][i] = w[rows_test[i]];
        }
    }
    c.early = gbdt && fit->gbdt.early_stopping_rounds > 0;
    /* threads: one fold per thread, each training single-threaded (docs/tune.md, "threads") */
    const int n_threads = threads > 0 ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    c.waves = n_threads < 1 ? 1 : n_threads > (int)k ? (int)k : n_threads;
    c.inner = 1;
    if (getenv("PLUMB_TUNE_INNER_THREADS")) { /* for the measurement in docs/tune.md: threads inside a training */
        c.inner = atoi(getenv("PLUMB_TUNE_INNER_THREADS"));
        c.waves = 1;
    }

    plumb_tuner_options to;
    plumb_tuner_options_init(&to);
    to.sampler = strcmp(sampler, "random") == 0 ? PLUMB_TUNE_RANDOM : PLUMB_TUNE_TPE;
    to.seed = (uint64_t)seed;
    to.minimize = lower_is_better(c.metric);
    to.n_startup = startup;
    if (plumb_tuner_create(space, &to, &tuner, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    int64_t resumed = 0;
    if (cli_get(a, "journal")) {
        plumb_column_info tci;
        plumb_schema_column(plumb_frame_schema(frame), tcol, &tci);
        if (!(config = config_text(a, &c, tci.name, kind, task, strategy, seed, sampler, startup, prune, n))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto done;
        }
        if (plumb_tune_journal_open(cli_get(a, "journal"), config, &journal, &err) != PLUMB_OK ||
            plumb_tune_journal_replay(journal, tuner, &resumed, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (resumed > 0)
            cli_note("resuming from '%s': %lld trials done", cli_get(a, "journal"), (long long)resumed);
    }
    if (!(values = malloc((size_t)d * sizeof *values)) || !(importance = malloc((size_t)d * sizeof *importance))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    double *mean_best = calloc((size_t)n_trials + (size_t)resumed + 1, sizeof *mean_best);
    double *seconds = calloc((size_t)n_trials + (size_t)resumed + 1, sizeof *seconds);
    if (!mean_best || !seconds) {
        free(mean_best);
        free(seconds);
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    for (int64_t t = 0; t < resumed; t++) /* the journal keeps no best iteration: recomputed at refit if needed */
        seconds[t] = plumb_tune_journal_seconds(journal, t), mean_best[t] = NAN;
    const double t0 = now();
    int64_t n_failed = 0;
    double steps[64];
    for (int64_t t = resumed; t < n_trials; t++) {
        if (budget > 0 && now() - t0 > budget) {
            cli_note("time budget of %g s used: stopping after %lld trials", budget, (long long)t);
            break;
        }
        const double ts = now();
        if (plumb_tuner_ask(tuner, values, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto trials_done;
        }
        plumb_trial_state state;
        double score;
        int64_t n_steps;
        run_trial(&c, tuner, values, prune && t >= 5, steps, &n_steps, &state, &score, &mean_best[t]);
        seconds[t] = now() - ts;
        n_failed += state == PLUMB_TRIAL_FAILED;
        if (plumb_tuner_tell(tuner, values, state, score, steps, n_steps, &err) != PLUMB_OK ||
            (journal && plumb_tune_journal_append(journal, space, t, values, state, score, steps, n_steps, seconds[t],
                                                  &err) != PLUMB_OK)) {
            rc = cli_fail(&err);
            goto trials_done;
        }
        if (progress) {
            const int64_t b = plumb_tuner_best(tuner);
            double bs = NAN;
            if (b >= 0)
                plumb_tuner_trial(tuner, b, NULL, &bs);
            fprintf(stderr, "trial %lld/%lld: %s %s %.6f (%.2f s), best %.6f (trial %lld)\n", (long long)t + 1,
                    n_trials, state_names[state], plumb_metric_name(c.metric), score, seconds[t], bs, (long long)b + 1);
        }
    }
    const int64_t done_trials = plumb_tuner_n_trials(tuner);
    const int64_t best = plumb_tuner_best(tuner);
    if (best < 0) {
        fprintf(stderr, "plumb: no trial of %lld completed: every one failed or was pruned\n", (long long)done_trials);
        rc = EXIT_DATA;
        goto trials_done;
    }
    double best_score;
    const double *bv = plumb_tuner_trial(tuner, best, NULL, &best_score);
    /* the best trial's fold scores (its standard deviation) and, for gbdt, its trees: a resumed search reruns the
     * best trial's folds when its best iteration was not measured in this process */
    double best_trees = mean_best[best];
    double bsteps[64];
    int64_t bn = 0;
    plumb_trial_state bst;
    double bscore;
    if (gbdt && isnan(best_trees)) {
        run_trial(&c, tuner, bv, false, bsteps, &bn, &bst, &bscore, &best_trees);
    }
    /* refit on every training row */
    cli_fit final_fit;
    trial_fit(&c, bv, &final_fit);
    if (gbdt) {
        final_fit.gbdt.n_threads = n_threads;
        final_fit.gbdt.early_stopping_rounds = 0;
        final_fit.gbdt.num_iterations = (int64_t)llround(best_trees) > 0 ? (int64_t)llround(best_trees) : 1;
    } else if (strcmp(fit->kind->file_kind, "tree") == 0) {
        final_fit.tree.n_threads = n_threads;
    } else {
        final_fit.linear.n_threads = n_threads;
    }
    if ((rc = cli_fit_train(fa, &final_fit, frame, NULL, false, &final)) != EXIT_OK)
        goto trials_done;
    /* the unbiased estimate: rows no trial saw */
    double test_score = NAN;
    int64_t test_rows = 0;
    plumb_metric_data md;
    plumb_metric_data_init(&md);
    if (cli_get(a, "test")) {
        test_rows = plumb_frame_n_rows(test);
        const int64_t ttc = cli_column_with_role(test, PLUMB_ROLE_TARGET);
        plumb_task tt = task;
        const char *tp = positive;
        int64_t tnc = 0;
        if (!(test_y = malloc((size_t)(test_rows ? test_rows : 1) * sizeof *test_y)) ||
            !(test_s = malloc((size_t)(test_rows ? test_rows : 1) * sizeof *test_s))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto trials_done;
        }
        if (ttc < 0) {
            plumb_column_info tci;
            plumb_schema_column(plumb_frame_schema(frame), tcol, &tci);
            fprintf(stderr, "plumb: test data '%s' has no target column '%s'\n", cli_get(a, "test"), tci.name);
            rc = EXIT_DATA;
            goto trials_done;
        }
        if (plumb_frame_labels(test, ttc, cli_get(a, "test"), &tt, &tp, &tnc, test_y, &err) != PLUMB_OK ||
            plumb_model_predict(final, test, NULL, test_s, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto trials_done;
        }
        const int64_t twc = cli_column_with_role(test, PLUMB_ROLE_WEIGHT);
        md.n_rows = test_rows;
        md.label = test_y;
        md.score = test_s;
        md.weight = twc >= 0 ? plumb_frame_f64(test, twc) : NULL;
        plumb_evaluation_options eo;
        plumb_evaluation_options_init(&eo);
        eo.task = task;
        eo.source = cli_get(a, "test");
        if (plumb_metrics_compute(&md, &c.metric, 1, &test_score, &err) != PLUMB_OK ||
            plumb_evaluation_compute(&md, &eo, &test_ev, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto trials_done;
        }
    }
    plumb_tuner_importance(tuner, importance);

    /* the best trial's fold spread */
    plumb_tuner_trial(tuner, best, NULL, NULL);
    int64_t n_pruned = 0;
    history = json_array();
    for (int64_t t = 0; t < done_trials; t++) {
        plumb_trial_state s;
        double sc;
        const double *v = plumb_tuner_trial(tuner, t, &s, &sc);
        n_pruned += s == PLUMB_TRIAL_PRUNED;
        json_array_append_new(history,
                              json_pack("{s:I, s:s, s:o, s:f, s:o}", "trial", (json_int_t)t + 1, "state",
                                        state_names[s], "score", cli_json_number(sc), "seconds",
                                        isfinite(seconds[t]) ? seconds[t] : 0.0, "params", params_json(space, v)));
    }
    json_t *imp = json_object();
    for (int64_t i = 0; i < d; i++)
        json_object_set_new(imp, plumb_tune_space_param(space, i)->name, json_real(importance[i]));
    plumb_column_info tc;
    plumb_schema_column(plumb_frame_schema(frame), tcol, &tc);
    json_t *summary = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "command", "tune", "model", kind,
        "sampler", sampler, "target", tc.name, "metric", plumb_metric_name(c.metric), "higher_is_better",
        !lower_is_better(c.metric), "rows", (json_int_t)n, "folds", (json_int_t)k, "strategy", strategy_names[strategy],
        "seed", (json_int_t)seed, "trials", (json_int_t)done_trials, "resumed_trials", (json_int_t)resumed, "pruned",
        (json_int_t)n_pruned, "failed", (json_int_t)n_failed, "seconds", now() - t0);
    json_object_set_new(summary, "best_trial", json_integer((json_int_t)best + 1));
    json_object_set_new(summary, "best_cv_score", json_real(best_score));
    json_object_set_new(summary, "best_params", params_json(space, bv));
    if (gbdt)
        json_object_set_new(summary, "refit_iterations", json_integer((json_int_t)final_fit.gbdt.num_iterations));
    if (cli_get(a, "test")) {
        json_object_set_new(summary, "test",
                            json_pack("{s:s, s:I, s:o}", "data", cli_get(a, "test"), "rows", (json_int_t)test_rows,
                                      "score", cli_json_number(test_score)));
    }
    json_object_set_new(summary, "importance", imp);
    json_object_set_new(summary, "history", json_incref(history));

    /* the report first, then the model: a model that cannot be saved takes its report with it */
    if (cli_get(a, "report")) {
        plumb_run_options ro;
        plumb_run_options_init(&ro);
        ro.data_path = a->pos[0];
        ro.target = tc.name;
        ro.positive_class = task == PLUMB_TASK_BINARY ? positive : NULL;
        ro.model_kind = kind;
        ro.strategy = strategy_names[strategy];
        plumb_run *run = NULL;
        plumb_run_tune_info ti = {space,
                                  tuner,
                                  sampler,
                                  c.metric,
                                  lower_is_better(c.metric),
                                  k,
                                  now() - t0,
                                  final,
                                  frame,
                                  cli_get(a, "test"),
                                  cli_get(a, "test") ? &md : NULL,
                                  cli_get(a, "test") ? &test_ev : NULL};
        const plumb_status made = plumb_run_tune(&ro, &ti, &run, &err);
        (void)ro;
        (void)test_ev;
        err.code = PLUMB_EINVAL;
        snprintf(err.message, sizeof err.message, "no report yet");
        if ((rc = cli_record_write(made, run, &err, cli_get(a, "report"))) != EXIT_OK) {
            json_decref(summary);
            goto trials_done;
        }
    }
    if (plumb_model_save(final, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        if (cli_get(a, "report")) {
            char *json = cli_record_json_path(cli_get(a, "report"));
            unlink(cli_get(a, "report"));
            if (json)
                unlink(json);
            free(json);
        }
        json_decref(summary);
        goto trials_done;
    }
    if (cli_get(a, "json")) {
        json_dumpf(summary, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        printf("\n");
    } else {
        printf("tune: %s, %s sampler, %lld trials (%lld pruned, %lld failed%s), %lld-fold %s cv, %s (%s is better)\n",
               kind, sampler, (long long)done_trials, (long long)n_pruned, (long long)n_failed,
               resumed ? ", some from the journal" : "", k, strategy_names[strategy], plumb_metric_name(c.metric),
               lower_is_better(c.metric) ? "lower" : "higher");
        printf("\nbest trial %lld: cv %s %.6f  (the best of %lld: an optimistic figure)\n", (long long)best + 1,
               plumb_metric_name(c.metric), best_score, (long long)done_trials);
        for (int64_t i = 0; i < d; i++) {
            char buf[64];
            printf("  %-24s %-12s importance %.2f\n", plumb_tune_space_param(space, i)->name,
                   plumb_tune_format_value(space, i, bv[i], buf, sizeof buf), importance[i]);
        }
        if (cli_get(a, "test"))
            printf("\nheld-out test '%s' (%lld rows): %s %.6f  (unbiased: no trial saw these rows)\n",
                   cli_get(a, "test"), (long long)test_rows, plumb_metric_name(c.metric), test_score);
        else
            printf("\nno unbiased estimate: give --test with rows kept out of the search\n");
        printf("\nmodel refit on all %lld rows%s written to '%s'\n", (long long)n, gbdt ? "" : "", out);
        if (gbdt)
            printf("(%lld trees: the best trial's folds stopped at %.1f on average)\n",
                   (long long)final_fit.gbdt.num_iterations, best_trees);
    }
    json_decref(summary);
trials_done:
    free(mean_best);
    free(seconds);
done:
    json_decref(history);
    plumb_evaluation_free(&test_ev);
    free(config);
    plumb_tune_journal_close(journal);
    plumb_tuner_free(tuner);
    for (int32_t f = 0; c.train && f < (int32_t)k; f++) {
        plumb_frame_free(c.train[f]);
        plumb_frame_free(c.test[f]);
        free(c.ty[f]);
        free(c.tw[f]);
        free(c.ts[f]);
    }
    free(c.train);
    free(c.test);
    free(c.ty);
    free(c.tw);
    free(c.ts);
    plumb_tune_space_free(space);
    plumb_model_free(final);
    plumb_frame_free(test);
    plumb_frame_free(frame);
    plumb_split_free(split);
    free(split_buf);
    free(y);
    free(values);
    free(importance);
    free(test_y);
    free(test_s);
    free(rows_train);
    free(rows_test);
    return rc;
}

const cli_command cli_tune = {
    .name = "tune",
    .usage = "[options] --target COL -o model.plumb <data.csv>",
    .summary = "tune a model's hyperparameters: TPE or random search over cross-validation, with a journal",
    .details = "Each trial cross-validates one set of parameters on the same folds (drawn once by --seed) and scores\n"
               "the pooled mean of its fold metrics. The first --startup trials are random; then TPE proposes\n"
               "parameters likely to be good (docs/tune.md). The median rule stops a trial early when its running\n"
               "mean after a fold is worse than the median of earlier trials at that fold. With --journal every\n"
               "finished trial is saved at once: run the same command again to resume a killed search. The model\n"
               "is refit on every row with the best parameters. The best CV score is optimistic (the best of many);\n"
               "--test gives the unbiased figure. Given the same options and --seed, the result is the same.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
