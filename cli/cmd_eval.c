/* cmd_eval.c -- `plumb eval`: metrics of a model on labelled data, or of any model's predictions.
 *
 * Two sources of scores: a model file scoring a CSV file read with its schema (the labels are the model's target
 * column, encoded as the model encodes it: the same positive class), or a predictions file (`--pred`, such as
 * `plumb predict` writes) with the labels in it or, row by row, in a second file (`--data`). Score columns are read
 * as float64 so that no digit of a written prediction is lost.
 */
#include "evaluate.h"
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"pred", 0, "FILE", NULL, "evaluate the predictions in FILE (any model's) instead of a model's"},
    {"target", 0, "COL", "the model's target", "the column of true labels (in --pred FILE, or in --data FILE)"},
    {"data", 0, "FILE", NULL, "with --pred: read the labels (and weights) from FILE, row by row with the predictions"},
    {"score-col", 0, "COL[,COL]", "p_<class> or prediction",
     "with --pred: the score column; multiclass: one probability column per class, in class order. By default the "
     "columns plumb writes: p_<class> (binary: the scores are about that class), prediction, or prediction and "
     "p_<class> per class (multiclass)"},
    {"positive-class", 0, "VALUE", "the model's, or the last category", "binary: the class the scores are about"},
    {"weight-col", 0, "COL", NULL, "sample weights (numeric, >= 0)"},
    {"task", 0, "TASK", "the model's, or inferred", "binary, regression or multiclass"},
    {"threshold", 0, "X", "0.5", "binary: a score >= X is predicted positive"},
    {"interval", 0, "LO,HI", NULL,
     "regression, with --pred: the columns of an interval's lower and upper predictions (two quantile models): its "
     "coverage (weighted share of labels inside) and mean width"},
    {"alpha", 0, "Q", NULL, "regression: the predictions are Q-quantiles (0 < Q < 1): adds the pinball loss at Q"},
    {"ci", 0, "LEVEL", NULL, "bootstrap confidence intervals at this level, e.g. 0.95"},
    {"resamples", 0, "N", "1000", "bootstrap resamples for --ci"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the bootstrap"},
    {"curves", 0, "FILE", NULL, "binary: write the ROC, precision-recall, reliability and gain curves as JSON"},
    {"bins", 0, "N", "10", "reliability curve: number of bins"},
    {"bin-strategy", 0, "S", "uniform", "reliability curve: uniform (equal widths) or quantile (equal counts)"},
    {"json", 0, NULL, NULL, "print every number as JSON"},
    CLI_QUIET_OPTION(""),
    CLI_REPORT_OPTION,
    {"delimiter", 'd', "CHAR", ",", "field separator; 'tab' for a tab"},
    {"missing", 0, "A,B", "\"\",NA,NaN,null,?", "values read as missing, comma-separated"},
    {"threads", 't', "N", "all cores", "threads to use"},
    {NULL, 0, NULL, NULL, NULL},
};

/* Options checked before any file is read. */
typedef struct eval_opts {
    plumb_task task;
    double threshold, ci, alpha;
    long long resamples, seed, bins;
    plumb_bins strategy;
} eval_opts;

static int parse_opts(const cli_args *a, eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->threshold = 0.5;
    o->resamples = 1000;
    o->bins = 10;
    o->seed = CLI_SEED;
    int rc = cli_task_option(a, &o->task);
    if (rc != EXIT_OK)
        return rc;
    if (!cli_double(a, "threshold", &o->threshold) || !cli_double(a, "ci", &o->ci) ||
        !cli_double(a, "alpha", &o->alpha) || !cli_int(a, "resamples", 2, &o->resamples) ||
        !cli_int(a, "seed", 0, &o->seed) || !cli_int(a, "bins", 1, &o->bins))
        return EXIT_USAGE;
    if (cli_get(a, "alpha") && !(o->alpha > 0 && o->alpha < 1))
        return cli_usage_error(a->cmd,
                               "option '--alpha' expects a quantile level between 0 and 1, such as 0.9; got '%s'",
                               cli_get(a, "alpha"));
    if (o->bins > 10000) /* one pass per bin over the scores: bound the work */
        return cli_usage_error(a->cmd, "option '--bins' expects at most 10000 bins, got '%s'", cli_get(a, "bins"));
    if (o->resamples > 100000)
        return cli_usage_error(a->cmd, "option '--resamples' expects at most 100000 resamples, got '%s'",
                               cli_get(a, "resamples"));
    if (cli_get(a, "ci") && !(o->ci > 0 && o->ci < 1))
        return cli_usage_error(a->cmd, "option '--ci' expects a level between 0 and 1, such as 0.95; got '%s'",
                               cli_get(a, "ci"));
    const char *bs = cli_get(a, "bin-strategy");
    if (bs && strcmp(bs, "uniform") != 0 && strcmp(bs, "quantile") != 0)
        return cli_usage_error(a->cmd, "option '--bin-strategy' expects uniform or quantile, got '%s'", bs);
    o->strategy = bs && strcmp(bs, "quantile") == 0 ? PLUMB_BINS_QUANTILE : PLUMB_BINS_UNIFORM;
    if (cli_get(a, "pred") && a->n_pos > 0)
        return cli_usage_error(a->cmd, "give a model and data, or --pred FILE, not both");
    if (!cli_get(a, "pred") && a->n_pos != 2)
        return cli_usage_error(a->cmd, "missing argument: usage: plumb eval %s", a->cmd->usage);
    if (!cli_get(a, "pred") && (cli_get(a, "data") || cli_get(a, "score-col") || cli_get(a, "interval")))
        return cli_usage_error(a->cmd, "--data, --score-col and --interval go with --pred");
    const char *iv = cli_get(a, "interval"), *comma = iv ? strchr(iv, ',') : NULL;
    if (iv && (!comma || comma == iv || !comma[1] || strchr(comma + 1, ',')))
        return cli_usage_error(a->cmd, "option '--interval' expects two columns LO,HI, got '%s'", iv);
    if (cli_get(a, "pred") && !cli_get(a, "target"))
        return cli_usage_error(a->cmd, "no labels: name the column of true labels with --target");
    return EXIT_OK;
}

/* The index of the named column of frame, or -1 after reporting it missing from source. */
static int64_t need_column(const plumb_frame *fr, const char *name, const char *source, const char *what) {
    const int64_t j = plumb_frame_find(fr, name);
    if (j < 0)
        fprintf(stderr, "%s: no column '%s' (%s)\n", source, name, what);
    return j;
}

/* The weights: the --weight-col column, else a column with the weight role; NULL when none. */
static int weights_of(const cli_args *a, const plumb_frame *fr, const char *source, const double **w, double **own) {
    *w = NULL;
    const char *name = cli_get(a, "weight-col");
    int64_t j = -1;
    if (name) {
        if ((j = need_column(fr, name, source, "--weight-col")) < 0)
            return EXIT_DATA;
    } else {
        for (int64_t k = 0; k < plumb_frame_n_columns(fr); k++) {
            plumb_column_info c;
            plumb_schema_column(plumb_frame_schema(fr), k, &c);
            if (c.role == PLUMB_ROLE_WEIGHT)
                j = k;
        }
        if (j < 0)
            return EXIT_OK;
    }
    const float *f32 = plumb_frame_f32(fr, j); /* a column read without the weight role (or a model feature) */
    if (!(*w = plumb_frame_f64(fr, j)) && !f32) {
        plumb_column_info c;
        plumb_schema_column(plumb_frame_schema(fr), j, &c);
        fprintf(stderr, "%s: weight column '%s' is not numeric\n", source, c.name);
        return EXIT_DATA;
    }
    if (!*w) {
        const int64_t n = plumb_frame_n_rows(fr);
        if (!(*own = malloc((size_t)(n + 1) * sizeof **own)))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        for (int64_t i = 0; i < n; i++)
            (*own)[i] = (double)f32[i];
        *w = *own;
    }
    return EXIT_OK;
}

/* An interval's coverage and mean width: the weighted share of labels y inside [lo, hi], the weighted mean of
 * hi - lo. Columns lo and hi (names "LO,HI" in spec) of fr are float64. Returns EXIT_OK, or EXIT_DATA after
 * reporting a missing bound or a lower bound above the upper one. */
static int interval_of(const plumb_frame *fr, const char *spec, const char *source, const double *y, const double *w,
                       double out[2]) {
    char lo_name[512];
    const char *comma = strchr(spec, ',');
    snprintf(lo_name, sizeof lo_name, "%.*s", (int)(comma - spec), spec);
    const int64_t jl = need_column(fr, lo_name, source, "--interval"),
                  jh = need_column(fr, comma + 1, source, "--interval");
    if (jl < 0 || jh < 0)
        return EXIT_DATA;
    const double *lo = plumb_frame_f64(fr, jl), *hi = plumb_frame_f64(fr, jh);
    double W = 0, in = 0, width = 0;
    for (int64_t i = 0; i < plumb_frame_n_rows(fr); i++) {
        if (isnan(lo[i]) || isnan(hi[i]) || lo[i] > hi[i]) {
            fprintf(stderr, "%s: interval [%s, %s] is %s in data row %lld\n", source, lo_name, comma + 1,
                    lo[i] > hi[i] ? "empty (lower above upper)" : "missing", (long long)i + 1);
            return EXIT_DATA;
        }
        const double wi = w ? w[i] : 1.0;
        W += wi;
        in += wi * (y[i] >= lo[i] && y[i] <= hi[i]);
        width += wi * (hi[i] - lo[i]);
    }
    out[0] = W > 0 ? in / W : NAN;
    out[1] = W > 0 ? width / W : NAN;
    return EXIT_OK;
}

/* The score columns of a predictions file without --score-col, as plumb writes them: "p_<class>" alone is binary
 * (*col_class, borrowed from *cols, is the class), "prediction" and a "p_<class>" per class multiclass (in file
 * order, which is class order), "prediction" alone the scores of any task. *cols holds the names, each ended by a
 * NUL (malloc'ed). Returns EXIT_OK, or EXIT_DATA after reporting the error. */
static int score_columns(const cli_args *a, const char *path, char **cols, int64_t *k, const char **col_class) {
    cli_reader r;
    plumb_error err;
    plumb_frame *fr = NULL;
    int rc = cli_reader_init(&r, a, NULL);
    if (rc != EXIT_OK)
        return rc;
    r.opts.target = r.opts.weight_col = r.opts.id_col = r.opts.time_col = r.opts.group_col = NULL;
    if (plumb_frame_read_csv(path, &r.opts, &fr, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    size_t len = 0;
    int64_t n_p = 0;
    const int64_t nc = plumb_frame_n_columns(fr);
    plumb_column_info c;
    for (int64_t j = 0; j < nc; j++) {
        plumb_schema_column(plumb_frame_schema(fr), j, &c);
        if (strncmp(c.name, "p_", 2) == 0)
            len += strlen(c.name) + 1, n_p++;
    }
    const bool has_pred = plumb_frame_find(fr, "prediction") >= 0;
    if (n_p == 1 || (n_p > 1 && has_pred)) {
        if (!(*cols = malloc(len))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto done;
        }
        char *o = *cols;
        for (int64_t j = 0; j < nc; j++) {
            plumb_schema_column(plumb_frame_schema(fr), j, &c);
            if (strncmp(c.name, "p_", 2) == 0)
                o += strlen(strcpy(o, c.name)) + 1;
        }
        *k = n_p;
        *col_class = n_p == 1 ? *cols + 2 : NULL;
    } else if (!(*cols = strdup("prediction"))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
    } else {
        *k = 1;
    }
done:
    plumb_frame_free(fr);
    cli_reader_free(&r);
    return rc;
}

static int run(const cli_args *a) {
    eval_opts o;
    int rc = parse_opts(a, &o);
    if (rc == EXIT_OK)
        rc = cli_check_outputs(a, CLI_FILES(cli_get(a, "curves"), cli_get(a, "report")));
    if (rc != EXIT_OK)
        return rc;
    plumb_error err;
    plumb_model *model = NULL;
    plumb_frame *pframe = NULL, *lframe = NULL;
    plumb_schema *score_schema = NULL;
    cli_reader reader = {0};
    double *score = NULL, *y = NULL, *wbuf = NULL;
    const char *pred = cli_get(a, "pred"), *positive = cli_get(a, "positive-class");
    const char *source = pred ? pred : a->pos[1], *label_source = source;
    const char *target = cli_get(a, "target");
    plumb_evaluation rep = {0};
    int64_t k_scores = 1, n = 0;
    char *cols = NULL;

    if (!pred) {
        /* ---- a model scoring labelled data ---- */
        if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        plumb_model_info info;
        plumb_model_describe(model, &info);
        const plumb_task mtask =
            info.task == PLUMB_TASK_BINARY || info.task == PLUMB_TASK_MULTICLASS ? info.task : PLUMB_TASK_REGRESSION;
        if (o.task != PLUMB_TASK_AUTO && o.task != mtask) {
            rc = cli_usage_error(a->cmd, "the model is %s, not %s", plumb_task_name(mtask), plumb_task_name(o.task));
            goto done;
        }
        o.task = mtask;
        const char *mpos = plumb_model_positive_class(model);
        if (positive && mpos && strcmp(positive, mpos) != 0) {
            rc = cli_usage_error(a->cmd, "the model predicts the probability of '%s', not of '%s'", mpos, positive);
            goto done;
        }
        positive = mpos;
        /* --weight-col is not given to the reader: a weight-role column is stored as float64, and a model feature
         * named as the weight would no longer be the float32 column the model scores (issue 12) */
        if ((rc = cli_reader_init(&reader, a, plumb_model_schema(model))) != EXIT_OK)
            goto done;
        reader.opts.weight_col = NULL;
        if (plumb_frame_read_csv(a->pos[1], &reader.opts, &lframe, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        n = plumb_frame_n_rows(lframe);
        k_scores = info.n_outputs > 0 ? info.n_outputs : 1; /* predict writes n_outputs values per row */
        if (!(score = malloc((size_t)(n * k_scores + 1) * sizeof *score))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto done;
        }
        if (plumb_model_predict(model, lframe, NULL, score, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (!target) {
            const plumb_schema *ms = plumb_model_schema(model);
            for (int64_t j = 0; j < plumb_schema_n_columns(ms); j++) {
                plumb_column_info c;
                plumb_schema_column(ms, j, &c);
                if (c.role == PLUMB_ROLE_TARGET)
                    target = c.name;
            }
        }
    } else {
        /* ---- a predictions file: score columns read as float64 (a time-role numeric column is stored so) ---- */
        const char *col_class = NULL; /* the class a "p_<class>" binary score column is about */
        if (cli_get(a, "score-col")) {
            if (!(cols = strdup(cli_get(a, "score-col")))) {
                rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
                goto done;
            }
            k_scores = 1;
            for (char *p = strchr(cols, ','); p; p = strchr(p + 1, ','), k_scores++)
                *p = '\0';
        } else if ((rc = score_columns(a, pred, &cols, &k_scores, &col_class)) != EXIT_OK) {
            goto done;
        }
        if (col_class && positive && strcmp(col_class, positive) != 0) {
            rc = cli_usage_error(a->cmd, "the scores in '%s' are probabilities of '%s', not of '%s'", cols, col_class,
                                 positive);
            goto done;
        }
        if (col_class)
            positive = col_class;
        if (plumb_schema_create(&score_schema, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        const char *p = cols;
        for (int64_t c = 0; c < k_scores; c++, p += strlen(p) + 1) {
            if (plumb_schema_set_type(score_schema, p, PLUMB_TYPE_NUMERIC, &err) != PLUMB_OK ||
                plumb_schema_set_role(score_schema, p, PLUMB_ROLE_TIME, &err) != PLUMB_OK) {
                rc = cli_usage_error(a->cmd, "bad --score-col: %s", err.message);
                goto done;
            }
        }
        if (k_scores > 1 && o.task == PLUMB_TASK_AUTO)
            o.task = PLUMB_TASK_MULTICLASS;
        if (o.task == PLUMB_TASK_MULTICLASS && k_scores < 2) {
            rc = cli_usage_error(a->cmd, "multiclass needs one --score-col per class (at least 2)");
            goto done;
        }
        if (cli_get(a, "interval")) { /* its bounds read as float64 too */
            char bounds[1024];
            snprintf(bounds, sizeof bounds, "%s", cli_get(a, "interval"));
            char *hi = strchr(bounds, ',');
            *hi++ = '\0';
            if (plumb_schema_set_type(score_schema, bounds, PLUMB_TYPE_NUMERIC, &err) != PLUMB_OK ||
                plumb_schema_set_role(score_schema, bounds, PLUMB_ROLE_TIME, &err) != PLUMB_OK ||
                plumb_schema_set_type(score_schema, hi, PLUMB_TYPE_NUMERIC, &err) != PLUMB_OK ||
                plumb_schema_set_role(score_schema, hi, PLUMB_ROLE_TIME, &err) != PLUMB_OK) {
                rc = cli_usage_error(a->cmd, "bad --interval: %s", err.message);
                goto done;
            }
        }
        if ((rc = cli_reader_init(&reader, a, score_schema)) != EXIT_OK)
            goto done;
        if (cli_get(a, "data")) /* the labels and weights come from the data file */
            reader.opts.target = reader.opts.weight_col = NULL;
        if (plumb_frame_read_csv(pred, &reader.opts, &pframe, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        if (cli_get(a, "data")) {
            label_source = cli_get(a, "data");
            if ((rc = cli_read_frame(a, label_source, NULL, &lframe)) != EXIT_OK)
                goto done;
            if (plumb_frame_n_rows(lframe) != plumb_frame_n_rows(pframe)) {
                fprintf(stderr, "plumb: '%s' has %lld rows but '%s' has %lld: they must match row by row\n", pred,
                        (long long)plumb_frame_n_rows(pframe), label_source, (long long)plumb_frame_n_rows(lframe));
                rc = EXIT_DATA;
                goto done;
            }
        }
        n = plumb_frame_n_rows(pframe);
        if (!(score = malloc((size_t)(n * k_scores + 1) * sizeof *score))) {
            rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
            goto done;
        }
        p = cols;
        for (int64_t c = 0; c < k_scores; c++, p += strlen(p) + 1) {
            const int64_t j = need_column(pframe, p, pred, "name the score column with --score-col");
            const double *v = j >= 0 ? plumb_frame_f64(pframe, j) : NULL;
            if (j < 0) {
                rc = EXIT_DATA;
                goto done;
            }
            for (int64_t i = 0; i < n; i++) {
                if (isnan(v[i])) {
                    fprintf(stderr, "%s: score column '%s' is missing in data row %lld\n", pred, p, (long long)i + 1);
                    rc = EXIT_DATA;
                    goto done;
                }
                score[i * k_scores + c] = v[i];
            }
        }
    }
    const plumb_frame *lf = lframe ? lframe : pframe;
    const int64_t tcol = target ? plumb_frame_find(lf, target) : -1;
    if (tcol < 0) {
        fprintf(stderr, "%s: no target column%s%s%s: evaluation needs the true labels\n", label_source,
                target ? " '" : "", target ? target : "", target ? "'" : "");
        rc = EXIT_DATA;
        goto done;
    }
    const double *w;
    if ((rc = weights_of(a, lf, label_source, &w, &wbuf)) != EXIT_OK)
        goto done;
    if (!(y = malloc((size_t)(n + 1) * sizeof *y))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    int64_t n_classes = 0;
    if (plumb_frame_labels(lf, tcol, label_source, &o.task, &positive, &n_classes, y, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (o.task == PLUMB_TASK_MULTICLASS && n_classes != k_scores) {
        fprintf(stderr, "%s: target '%s' has %lld classes but there are %lld score columns\n", label_source, target,
                (long long)n_classes, (long long)k_scores);
        rc = EXIT_DATA;
        goto done;
    }
    double interval[2] = {NAN, NAN}; /* coverage, mean width */
    if (cli_get(a, "interval") && o.task != PLUMB_TASK_REGRESSION) {
        rc = cli_usage_error(a->cmd, "--interval needs a regression task, not %s", plumb_task_name(o.task));
        goto done;
    }
    if (cli_get(a, "interval") && (rc = interval_of(pframe, cli_get(a, "interval"), pred, y, w, interval)) != EXIT_OK)
        goto done;
    if (cli_get(a, "curves") && o.task != PLUMB_TASK_BINARY) {
        rc = cli_usage_error(a->cmd, "--curves needs a binary task, not %s", plumb_task_name(o.task));
        goto done;
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n;
    d.label = y;
    d.score = score;
    d.weight = w;
    d.threshold = o.threshold;
    d.n_classes = o.task == PLUMB_TASK_MULTICLASS ? k_scores : 2;
    if (cli_get(a, "alpha") && o.task != PLUMB_TASK_REGRESSION) {
        rc = cli_usage_error(a->cmd, "--alpha needs a regression task, not %s", plumb_task_name(o.task));
        goto done;
    }
    if (cli_get(a, "alpha"))
        d.alpha = o.alpha;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    eo.task = o.task;
    eo.ci_level = o.ci;
    eo.n_resamples = o.resamples;
    eo.seed = (uint64_t)o.seed;
    eo.pinball = cli_get(a, "alpha") != NULL;
    eo.source = source;
    if ((rc = cli_evaluate(&d, &eo, &rep)) != EXIT_OK)
        goto done;
    for (size_t j = 0; o.task == PLUMB_TASK_BINARY && j < rep.n_metrics; j++)
        if (rep.metrics[j] == PLUMB_METRIC_ROC_AUC && rep.values[j] < 0.5)
            fprintf(stderr,
                    "plumb: warning: roc_auc %.4f is below 0.5: the scores rank the classes backwards -- are they "
                    "probabilities of %s%s%s? (--positive-class)\n",
                    rep.values[j], positive ? "'" : "", positive ? positive : "1", positive ? "'" : "");
    if (cli_get(a, "curves") && (rc = cli_write_curves(cli_get(a, "curves"), &d, o.bins, o.strategy)) != EXIT_OK)
        goto done;

    /* class names for the confusion matrix: the categories of a text target */
    plumb_column_info tc;
    plumb_schema_column(plumb_frame_schema(lf), tcol, &tc);
    const char *names2[2] = {NULL, positive};
    const char *const *names = NULL;
    if (o.task == PLUMB_TASK_BINARY && tc.n_categories == 2 && positive) {
        names2[0] = strcmp(tc.categories[0], positive) == 0 ? tc.categories[1] : tc.categories[0];
        names = names2;
    } else if (o.task == PLUMB_TASK_MULTICLASS && tc.n_categories == n_classes) {
        names = tc.categories;
    }
    if (cli_get(a, "report")) {
        plumb_run_options ro;
        plumb_run_options_init(&ro);
        ro.data_path = label_source;
        ro.target = tc.name;
        ro.positive_class = positive;
        ro.negative_class = o.task == PLUMB_TASK_BINARY && names ? names[0] : NULL;
        plumb_run *run = NULL;
        /* a predictions file's scores are read with the time role (to keep float64): no time axis from it */
        const plumb_frame *rows = pred && !lframe ? NULL : lf;
        const plumb_status made = plumb_run_eval(&ro, &d, &rep, model, rows, &run, &err);
        if ((rc = cli_record_write(made, run, &err, cli_get(a, "report"))) != EXIT_OK)
            goto done;
    }
    if (cli_get(a, "json")) {
        json_t *j = cli_report_json(&rep);
        json_object_set_new(j, "source", json_string(pred ? pred : a->pos[0]));
        json_object_set_new(j, "target", json_string(tc.name));
        if (o.task == PLUMB_TASK_BINARY) {
            json_object_set_new(j, "positive_class", positive ? json_string(positive) : json_integer(1));
            json_object_set_new(j, "threshold", json_real(o.threshold));
        }
        if (cli_get(a, "interval"))
            json_object_set_new(j, "interval",
                                json_pack("{s:s, s:o, s:o}", "columns", cli_get(a, "interval"), "coverage",
                                          cli_json_number(interval[0]), "width", cli_json_number(interval[1])));
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        printf("\n");
        json_decref(j);
    } else {
        printf("%s: %lld rows", plumb_task_name(o.task), (long long)n);
        if (w)
            printf(" (weight %g)", rep.weight_sum);
        if (o.task == PLUMB_TASK_BINARY) {
            printf(", positive class ");
            printf(positive ? "'%s'" : "1", positive);
            printf(" (weight %g), threshold %g", rep.positives, o.threshold);
        }
        printf("\n\n");
        cli_report_print(stdout, &rep, names);
        if (cli_get(a, "interval"))
            printf("\ninterval %s: coverage %.6f, mean width %.6f\n", cli_get(a, "interval"), interval[0], interval[1]);
        if (cli_get(a, "curves"))
            printf("\ncurves written to '%s'\n", cli_get(a, "curves"));
    }
done:
    plumb_evaluation_free(&rep);
    cli_reader_free(&reader);
    plumb_schema_free(score_schema);
    plumb_frame_free(pframe);
    plumb_frame_free(lframe);
    plumb_model_free(model);
    free(score);
    free(y);
    free(wbuf);
    free(cols);
    return rc;
}

const cli_command cli_eval = {
    .name = "eval",
    .usage = "[options] <model.plumb> <data.csv>  |  --pred preds.csv --target COL [options]",
    .summary = "evaluate a model on labelled data, or any model's predictions: metrics, intervals, curves",
    .details =
        "Binary: roc_auc, pr_auc (average precision), log_loss, brier, accuracy, precision, recall and f1 at\n"
        "--threshold, f1_best and the threshold reaching it, ks, gini, and the confusion matrix. Regression:\n"
        "mae, rmse, mape, wape, r2, poisson_deviance (labels >= 0, predictions > 0), gamma_deviance (both > 0),\n"
        "pinball_loss (with --alpha). Multiclass: accuracy, macro_f1, micro_f1, log_loss. Every metric equals\n"
        "scikit-learn 1.2's within 1e-9 (docs/eval.md has each definition). With a model, the labels are read\n"
        "as the model encodes them (the same positive class).\n",
    .options = options,
    .min_pos = 0,
    .max_pos = 2,
    .run = run,
};
