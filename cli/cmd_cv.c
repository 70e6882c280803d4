/* cmd_cv.c -- `plumb cv`: cross-validate any model the model options describe, report per-fold and pooled
 * out-of-fold metrics, and write the out-of-fold predictions.
 *
 * The folds come from plumb_split_create (k-fold, stratified, group, time); each fold's training and test rows are
 * taken from the one frame read at the start (plumb_frame_take), so every fold shares its types and category
 * codes. Each fold is trained with cli_fit_train, exactly as `plumb train` would with the same options, so every kind
 * of model that train knows is cross-validated with no change here. The out-of-fold file is written only after the last
 * fold succeeded, atomically: a failure leaves no file.
 */
#include "evaluate.h"
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option options[] = {
    {"folds", 'k', "N", "5", "number of folds"},
    {"strategy", 0, "S", "stratified (binary), kfold",
     "kfold, stratified (class balance), group (--group-col) or time (--time-col)"},
    {"gap", 0, "N", "0", "time: rows left out between each training window and its test block"},
    {"no-shuffle", 0, NULL, NULL, "kfold and stratified: keep the row order (default: shuffled by --seed)"},
    {"oof", 0, "FILE", NULL,
     "write the out-of-fold predictions as CSV (row or id, fold, target, prediction or p_<positive class>)"},
    {"threshold", 0, "X", "0.5", "binary: a score >= X is predicted positive"},
    {"ci", 0, "LEVEL", NULL, "bootstrap intervals of the pooled out-of-fold metrics at this level, e.g. 0.95"},
    {"resamples", 0, "N", "1000", "bootstrap resamples for --ci"},
    {"json", 0, NULL, NULL, "print every number as JSON"},
    CLI_REPORT_OPTION,
    CLI_QUIET_OPTION(""),
    CLI_MODEL_OPTIONS,
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

static const char *const strategy_names[] = {"kfold", "stratified", "group", "time"};

/* Writes one value of column j of frame at row i as CSV. */
static void put_value(FILE *f, const plumb_frame *fr, int64_t j, int64_t i) {
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(fr), j, &c);
    const int32_t *codes = plumb_frame_codes(fr, j);
    const double *f64 = plumb_frame_f64(fr, j);
    const float *f32 = plumb_frame_f32(fr, j);
    const uint8_t *u8 = plumb_frame_u8(fr, j);
    const int64_t *i64 = plumb_frame_i64(fr, j);
    if (codes)
        cli_put_field(f, codes[i] >= 0 && c.categories ? c.categories[codes[i]] : "");
    else if (f64)
        cli_put_number(f, f64[i], false); /* the shortest text that reads back as the same number */
    else if (f32)
        cli_put_number(f, (double)f32[i], true);
    else if (u8 && u8[i] != PLUMB_BOOL_MISSING)
        fputs(u8[i] ? "true" : "false", f);
    else if (i64 && i64[i] != PLUMB_DATETIME_MISSING)
        fprintf(f, "%lld", (long long)i64[i]);
}

/* The out-of-fold file: row (or id), fold, target, and the prediction -- "p_<positive class>" for binary. */
static int write_oof(const cli_args *a, const char *path, const plumb_frame *fr, int64_t tcol, plumb_task task,
                     const char *positive, const int32_t *fold, const double *pred) {
    plumb_error err;
    plumb_outfile *file = NULL;
    plumb_frame *ids = NULL; /* the id column read again as text: ids are copied as written, whatever their type */
    FILE *f;
    const int64_t id = cli_column_with_role(fr, PLUMB_ROLE_ID);
    plumb_column_info ic, tc;
    if (id >= 0)
        plumb_schema_column(plumb_frame_schema(fr), id, &ic);
    if (id >= 0 && strcmp(a->pos[0], "-") != 0) { /* standard input cannot be read again */
        const int rc = cli_read_text_column(a, a->pos[0], NULL, 0, ic.name, &ids);
        if (rc != EXIT_OK)
            return rc;
    }
    if (plumb_outfile_open(path, &file, &f, &err) != PLUMB_OK) {
        plumb_frame_free(ids);
        return cli_fail(&err);
    }
    plumb_schema_column(plumb_frame_schema(fr), tcol, &tc);
    cli_put_field(f, id >= 0 ? ic.name : "row");
    fputs(",fold,", f);
    cli_put_field(f, tc.name);
    fputc(',', f);
    char name[1024] = "prediction";
    if (task == PLUMB_TASK_BINARY)
        cli_binary_score_name(positive, tc.type == PLUMB_TYPE_BOOL, name, sizeof name);
    cli_put_field(f, name);
    fputc('\n', f);
    for (int64_t i = 0; i < plumb_frame_n_rows(fr); i++) {
        if (fold[i] < 0)
            continue; /* time splits never test the earliest rows */
        if (ids)
            cli_put_text(f, ids, ic.name, i);
        else if (id >= 0)
            put_value(f, fr, id, i);
        else
            fprintf(f, "%lld", (long long)i + 1);
        fprintf(f, ",%d,", fold[i] + 1);
        put_value(f, fr, tcol, i);
        fprintf(f, ",%.17g\n", pred[i]);
    }
    plumb_frame_free(ids);
    return plumb_outfile_commit(file, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}

/* The split options for the chosen strategy; labels/groups/times arrays are allocated into *buf. */
static int split_inputs(const cli_args *a, const plumb_frame *fr, plumb_split_strategy strategy, const double *y,
                        plumb_task task, plumb_split_options *o, void **buf) {
    const int64_t n = plumb_frame_n_rows(fr);
    *buf = NULL;
    if (strategy == PLUMB_SPLIT_STRATIFIED) {
        if (task == PLUMB_TASK_REGRESSION)
            return cli_usage_error(a->cmd, "stratified folds need a binary target: use --strategy kfold for "
                                           "regression");
        int64_t *lab = malloc((size_t)n * sizeof *lab);
        if (!(*buf = lab))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        for (int64_t i = 0; i < n; i++)
            lab[i] = (int64_t)y[i];
        o->labels = lab;
    } else if (strategy == PLUMB_SPLIT_GROUP) {
        const int64_t g = cli_column_with_role(fr, PLUMB_ROLE_GROUP);
        const int32_t *codes = g >= 0 ? plumb_frame_codes(fr, g) : NULL;
        if (g < 0)
            return cli_usage_error(a->cmd, "--strategy group needs --group-col");
        if (!codes) {
            fprintf(stderr, "plumb: group column '%s' must be read as text (it is numeric in the schema)\n",
                    cli_get(a, "group-col") ? cli_get(a, "group-col") : "");
            return EXIT_DATA;
        }
        int64_t *grp = malloc((size_t)n * sizeof *grp);
        if (!(*buf = grp))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        for (int64_t i = 0; i < n; i++)
            if ((grp[i] = codes[i]) < 0) {
                fprintf(stderr, "%s: group column '%s' is missing in data row %lld\n", a->pos[0],
                        cli_get(a, "group-col"), (long long)i + 1);
                return EXIT_DATA;
            }
        o->groups = grp;
    } else if (strategy == PLUMB_SPLIT_TIME) {
        double *tm = NULL;
        const int rc = cli_time_values(a, fr, &tm);
        *buf = tm;
        if (rc != EXIT_OK)
            return rc;
        o->times = tm;
    }
    return EXIT_OK;
}

/* Per-fold values of the metrics: NaN (with a note) where a metric is undefined on the fold. */
static void fold_metrics(const plumb_metric_data *d, const plumb_metric *m, size_t nm, int fold, double *out) {
    if (plumb_metrics_compute(d, m, nm, out, NULL) == PLUMB_OK) /* all at once: one sort */
        return;
    for (size_t j = 0; j < nm; j++) {
        plumb_error err;
        if (plumb_metrics_compute(d, &m[j], 1, &out[j], &err) != PLUMB_OK) {
            cli_note("plumb: note: fold %d: %s", fold + 1, err.message);
            out[j] = NAN;
        }
    }
}

static int run_parsed(const cli_args *a, const cli_fit *fit);

static int run(const cli_args *a) {
    cli_fit fit;
    int rc = cli_fit_parse(a, &fit);
    if (rc != EXIT_OK) {
        cli_fit_free(&fit);
        return rc;
    }
    rc = run_parsed(a, &fit);
    cli_fit_free(&fit);
    return rc;
}

static int run_parsed(const cli_args *a, const cli_fit *fit) {
    int rc;
    long long k = 5, gap = 0, seed = CLI_SEED, resamples = 1000;
    double threshold = 0.5, ci = 0;
    if (!cli_int(a, "folds", 2, &k) || !cli_int(a, "gap", 0, &gap) || !cli_int(a, "seed", 0, &seed) ||
        !cli_int(a, "resamples", 2, &resamples) || !cli_double(a, "threshold", &threshold) || !cli_double(a, "ci", &ci))
        return EXIT_USAGE;
    if (cli_get(a, "ci") && !(ci > 0 && ci < 1))
        return cli_usage_error(a->cmd, "option '--ci' expects a level between 0 and 1, such as 0.95; got '%s'",
                               cli_get(a, "ci"));
    if ((rc = cli_check_outputs(a, CLI_FILES(cli_get(a, "oof"), cli_get(a, "report")))) != EXIT_OK)
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
    if (cli_get(a, "gap") && strategy != PLUMB_SPLIT_TIME)
        return cli_usage_error(a->cmd, "--gap goes with --strategy time");
    /* --task was read once, by cli_fit_parse */
    if (fit->task == PLUMB_TASK_MULTICLASS)
        return cli_usage_error(a->cmd, "multiclass models are not trained yet");
    plumb_task task = fit->task;

    plumb_error err;
    plumb_frame *frame = NULL, *train = NULL, *test = NULL;
    plumb_model *model = NULL, *first = NULL; /* first: the first fold's model, whose settings the report states */
    plumb_split *split = NULL;
    void *split_buf = NULL;
    double *y = NULL, *pred = NULL, *fold_vals = NULL, *ty = NULL, *tw = NULL, *ts = NULL;
    int64_t *rows_train = NULL, *rows_test = NULL, *best = NULL;
    int32_t *fold_of = NULL;
    /* early stopping watches each fold's held-out rows, as LightGBM's and XGBoost's cv do */
    const bool early = fit->kind->validates && fit->gbdt.early_stopping_rounds > 0;
    plumb_evaluation oof = {0};
    json_t *folds_json = NULL;
    const bool progress = !cli_get(a, "quiet") && isatty(STDERR_FILENO);

    if ((rc = cli_read_frame(a, a->pos[0], NULL, &frame)) != EXIT_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(frame);
    const int64_t tcol = cli_column_with_role(frame, PLUMB_ROLE_TARGET);
    if (tcol < 0) {
        rc = cli_usage_error(a->cmd, "no target: name the column to predict with --target (or give it the role target "
                                     "in --schema)");
        goto done;
    }
    const int64_t wcol = cli_column_with_role(frame, PLUMB_ROLE_WEIGHT);
    const double *w = wcol >= 0 ? plumb_frame_f64(frame, wcol) : NULL;
    const char *positive = cli_get(a, "positive-class");
    int64_t n_classes = 0;
    if (!(y = malloc((size_t)n * sizeof *y)) || !(pred = malloc((size_t)n * sizeof *pred)) ||
        !(fold_of = malloc((size_t)n * sizeof *fold_of)) || !(rows_train = malloc((size_t)n * sizeof *rows_train)) ||
        !(rows_test = malloc((size_t)n * sizeof *rows_test)) || !(ty = malloc((size_t)n * sizeof *ty)) ||
        !(ts = malloc((size_t)n * sizeof *ts)) || !(tw = malloc((size_t)n * sizeof *tw)) ||
        !(folds_json = json_array())) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    if (plumb_frame_labels(frame, tcol, a->pos[0], &task, &positive, &n_classes, y, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (strategy < 0)
        strategy = task == PLUMB_TASK_BINARY ? PLUMB_SPLIT_STRATIFIED : PLUMB_SPLIT_KFOLD;
    plumb_split_options so;
    plumb_split_options_init(&so);
    so.strategy = (plumb_split_strategy)strategy;
    so.n_folds = (int32_t)k;
    so.shuffle = !cli_get(a, "no-shuffle");
    so.seed = (uint64_t)seed;
    so.gap = gap;
    if ((rc = split_inputs(a, frame, so.strategy, y, task, &so, &split_buf)) != EXIT_OK)
        goto done;
    if (plumb_split_create(n, &so, &split, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_metric metrics[PLUMB_METRIC_COUNT];
    const size_t nm = plumb_task_metrics(task, true, metrics);
    if (!(fold_vals = malloc((size_t)k * nm * sizeof *fold_vals)) || !(best = calloc((size_t)k, sizeof *best))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        fold_of[i] = -1;

    for (int32_t f = 0; f < (int32_t)k; f++) {
        int64_t ntr, nte;
        plumb_split_rows(split, f, rows_train, &ntr, rows_test, &nte);
        if (progress)
            fprintf(stderr, "\r\033[Kfold %d/%lld: training on %lld rows, testing on %lld", f + 1, k, (long long)ntr,
                    (long long)nte);
        if (plumb_frame_take(frame, rows_train, ntr, &train, &err) != PLUMB_OK ||
            plumb_frame_take(frame, rows_test, nte, &test, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if ((rc = cli_fit_train(a, fit, train, early ? test : NULL, false, &model)) != EXIT_OK)
            goto done;
        plumb_model_info mi; /* ts holds one score per row: a multiclass model writes one per class */
        plumb_model_describe(model, &mi);
        best[f] = mi.best_iteration;
        if (mi.n_outputs != 1) {
            rc = cli_usage_error(a->cmd,
                                 "cross-validation covers binary and regression models, not a model with "
                                 "%lld outputs per row (--objective multiclass)",
                                 (long long)mi.n_outputs);
            goto done;
        }
        if (plumb_model_predict(model, test, NULL, ts, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        for (int64_t i = 0; i < nte; i++) {
            const int64_t r = rows_test[i];
            if (!isfinite(ts[i])) {
                fprintf(stderr, "plumb: fold %d: the model trained on %lld rows predicts %g for data row %lld\n", f + 1,
                        (long long)ntr, ts[i], (long long)r + 1);
                rc = EXIT_DATA;
                goto done;
            }
            pred[r] = ts[i];
            fold_of[r] = f;
            ty[i] = y[r];
            tw[i] = w ? w[r] : 1.0;
        }
        plumb_metric_data d;
        plumb_metric_data_init(&d);
        d.n_rows = nte;
        d.label = ty;
        d.score = ts;
        d.weight = w ? tw : NULL;
        d.threshold = threshold;
        fold_metrics(&d, metrics, nm, f, fold_vals + (size_t)f * nm);
        json_t *fm = json_object();
        for (size_t j = 0; j < nm; j++)
            json_object_set_new(fm, plumb_metric_name(metrics[j]), cli_json_number(fold_vals[f * nm + j]));
        json_t *fj = json_pack("{s:i, s:I, s:I, s:o}", "fold", f + 1, "train_rows", (json_int_t)ntr, "test_rows",
                               (json_int_t)nte, "metrics", fm);
        if (early)
            json_object_set_new(fj, "best_iteration", json_integer(best[f]));
        json_array_append_new(folds_json, fj);
        if (!first && cli_get(a, "report"))
            first = model;
        else
            plumb_model_free(model);
        plumb_frame_free(train);
        plumb_frame_free(test);
        model = NULL;
        train = test = NULL;
    }
    if (progress)
        fprintf(stderr, "\r\033[K");

    /* pooled out-of-fold predictions: every tested row once */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (fold_of[i] >= 0) {
            ty[m] = y[i];
            ts[m] = pred[i];
            tw[m] = w ? w[i] : 1.0;
            m++;
        }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = m;
    d.label = ty;
    d.score = ts;
    d.weight = w ? tw : NULL;
    d.threshold = threshold;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    eo.task = task;
    eo.ci_level = ci;
    eo.n_resamples = resamples;
    eo.seed = (uint64_t)seed;
    if ((rc = cli_evaluate(&d, &eo, &oof)) != EXIT_OK)
        goto done;
    if (cli_get(a, "oof") &&
        (rc = write_oof(a, cli_get(a, "oof"), frame, tcol, task, positive, fold_of, pred)) != EXIT_OK)
        goto done;

    /* mean and standard deviation (n - 1) over the folds where a metric is defined */
    double mean[PLUMB_METRIC_COUNT], sd[PLUMB_METRIC_COUNT];
    for (size_t j = 0; j < nm; j++) {
        double s = 0, s2 = 0;
        int c = 0;
        for (int f = 0; f < (int)k; f++)
            if (!isnan(fold_vals[f * nm + j]))
                s += fold_vals[f * nm + j], c++;
        mean[j] = c ? s / c : NAN;
        for (int f = 0; f < (int)k; f++)
            if (!isnan(fold_vals[f * nm + j]))
                s2 += (fold_vals[f * nm + j] - mean[j]) * (fold_vals[f * nm + j] - mean[j]);
        sd[j] = c > 1 ? sqrt(s2 / (c - 1)) : NAN;
    }
    plumb_column_info tc;
    plumb_schema_column(plumb_frame_schema(frame), tcol, &tc);
    const char *kind = cli_get(a, "model") ? cli_get(a, "model") : "gbdt";
    if (cli_get(a, "report")) {
        plumb_run_options ro;
        plumb_run_options_init(&ro);
        ro.data_path = a->pos[0];
        ro.target = tc.name;
        ro.positive_class = positive;
        ro.model_kind = kind;
        ro.strategy = strategy_names[strategy];
        ro.fold_model = first;
        plumb_run *run = NULL;
        const plumb_status made = plumb_run_cv(&ro, k, metrics, nm, fold_vals, &d, &oof, &run, &err);
        if ((rc = cli_record_write(made, run, &err, cli_get(a, "report"))) != EXIT_OK)
            goto done;
    }
    if (cli_get(a, "json")) {
        json_t *jm = json_object(), *js = json_object();
        for (size_t j = 0; j < nm; j++) {
            json_object_set_new(jm, plumb_metric_name(metrics[j]), cli_json_number(mean[j]));
            json_object_set_new(js, plumb_metric_name(metrics[j]), cli_json_number(sd[j]));
        }
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "model", kind, "strategy",
                              strategy_names[strategy], "folds", (json_int_t)k, "task", plumb_task_name(task), "target",
                              tc.name, "rows", (json_int_t)n, "tested_rows", (json_int_t)m, "per_fold", folds_json,
                              "mean", jm, "std", js, "oof", cli_report_json(&oof));
        folds_json = NULL;
        if (task == PLUMB_TASK_BINARY)
            json_object_set_new(o, "positive_class", positive ? json_string(positive) : json_integer(1));
        if (strategy == PLUMB_SPLIT_TIME)
            json_object_set_new(o, "gap", json_integer(gap));
        if (early)
            json_object_set_new(o, "early_stopping_rounds", json_integer(fit->gbdt.early_stopping_rounds));
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        printf("\n");
        json_decref(o);
    } else {
        printf("cv: %s, %lld folds (%s), %s target '%s'", kind, k, strategy_names[strategy], plumb_task_name(task),
               tc.name);
        if (task == PLUMB_TASK_BINARY) {
            printf(", positive class ");
            printf(positive ? "'%s'" : "1", positive);
        }
        printf(", %lld rows", (long long)n);
        if (m < n)
            printf(" (%lld tested)", (long long)m);
        printf("\n\n%-18s", "metric");
        for (int f = 0; f < (int)k; f++) {
            char head[16];
            snprintf(head, sizeof head, "fold %d", f + 1);
            printf(" %9s", head);
        }
        printf(" %9s %9s %12s", "mean", "std", "out-of-fold");
        if (ci > 0)
            printf("   %g%% interval", 100 * ci);
        printf("\n");
        for (size_t j = 0; j < nm; j++) {
            printf("%-18s", plumb_metric_name(metrics[j]));
            for (int f = 0; f < (int)k; f++)
                printf(" %9.4f", fold_vals[f * nm + j]);
            size_t o = 0; /* the same metric out of fold (its list can differ: it adds the deviances) */
            while (o < oof.n_metrics && oof.metrics[o] != metrics[j])
                o++;
            printf(" %9.4f %9.4f %12.6f", mean[j], sd[j], o < oof.n_metrics ? oof.values[o] : NAN);
            if (ci > 0 && o < oof.n_metrics)
                printf("   [%.6f, %.6f]", oof.lo[o], oof.hi[o]);
            printf("\n");
        }
        if (early) {
            printf("%-18s", "best iteration");
            for (int f = 0; f < (int)k; f++)
                printf(" %9lld", (long long)best[f]);
            printf("\n\nearly stopping (%lld rounds) watched each fold's held-out rows, as LightGBM's and XGBoost's "
                   "cv do:\nthe fold metrics are slightly optimistic, since those rows also chose the iteration\n",
                   (long long)fit->gbdt.early_stopping_rounds);
        }
        if (cli_get(a, "oof"))
            printf("\nout-of-fold predictions written to '%s'\n", cli_get(a, "oof"));
    }
done:
    plumb_evaluation_free(&oof);
    json_decref(folds_json);
    plumb_model_free(first);
    plumb_model_free(model);
    plumb_frame_free(train);
    plumb_frame_free(test);
    plumb_frame_free(frame);
    plumb_split_free(split);
    free(split_buf);
    free(y);
    free(pred);
    free(fold_vals);
    free(ty);
    free(tw);
    free(ts);
    free(rows_train);
    free(rows_test);
    free(fold_of);
    free(best);
    return rc;
}

const cli_command cli_cv = {
    .name = "cv",
    .usage = "[options] --target COL <data.csv>",
    .summary = "cross-validate a model: per-fold and out-of-fold metrics, out-of-fold predictions",
    .details = "Strategies: kfold (shuffled by --seed unless --no-shuffle), stratified (each fold keeps the class\n"
               "balance; the default for a binary target), group (rows of a --group-col value share a fold), and\n"
               "time (expanding window over --time-col: each fold trains on everything before its test block, minus\n"
               "--gap rows; rows with equal times stay together). Every model option of 'plumb train' applies to each\n"
               "fold. The out-of-fold metrics pool the test predictions of all folds (docs/cv.md).\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
