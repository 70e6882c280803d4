/* evaluate.c -- labels, metric lists and reports shared by `plumb eval` and `plumb cv`. */
#include "evaluate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_task_name(cli_task t) {
    return t == CLI_TASK_BINARY       ? "binary"
           : t == CLI_TASK_REGRESSION ? "regression"
           : t == CLI_TASK_MULTICLASS ? "multiclass"
                                      : "auto";
}

int cli_task_option(const cli_args *a, cli_task *task) {
    const char *v = cli_get(a, "task");
    *task = CLI_TASK_AUTO;
    if (!v || strcmp(v, "auto") == 0)
        return EXIT_OK;
    for (int t = CLI_TASK_BINARY; t <= CLI_TASK_MULTICLASS; t++)
        if (strcmp(v, cli_task_name((cli_task)t)) == 0) {
            *task = (cli_task)t;
            return EXIT_OK;
        }
    return cli_usage_error(a->cmd, "unknown task '%s' (expected binary, regression, multiclass or auto)", v);
}

/* Reports "source: message" and returns EXIT_DATA. */
static int data_error(const char *source, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int data_error(const char *source, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", source);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return EXIT_DATA;
}

int cli_target_labels(const plumb_frame *fr, int64_t col, const char *source, cli_task *task, const char **positive,
                      int64_t *n_classes, double *y) {
    const int64_t n = plumb_frame_n_rows(fr);
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(fr), col, &c);
    const double *num = plumb_frame_f64(fr, col);
    const float *f32 = plumb_frame_f32(fr, col);
    const int32_t *codes = plumb_frame_codes(fr, col);
    const uint8_t *u8 = plumb_frame_u8(fr, col);
    for (int64_t i = 0; i < n; i++) {
        const bool missing = num     ? isnan(num[i])
                             : f32   ? isnan(f32[i])
                             : codes ? codes[i] == PLUMB_CODE_MISSING
                             : u8    ? u8[i] == PLUMB_BOOL_MISSING
                                     : true;
        if (!num && !f32 && !codes && !u8)
            return data_error(source, "target '%s' must be numeric, bool or categorical", c.name);
        if (missing)
            return data_error(source, "target '%s' is missing in data row %lld", c.name, (long long)i + 1);
        if (codes && codes[i] < 0)
            return data_error(source, "target '%s' has a category the model was not trained on in data row %lld",
                              c.name, (long long)i + 1);
        y[i] = num ? num[i] : f32 ? (double)f32[i] : codes ? (double)codes[i] : (double)u8[i];
    }
    *n_classes = 0;
    if (*task == CLI_TASK_MULTICLASS) {
        if (codes) {
            *n_classes = c.n_categories;
            return EXIT_OK;
        }
        double top = 0;
        for (int64_t i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] != floor(y[i]) || y[i] > 1e6)
                return data_error(source, "target '%s' in data row %lld is not a class number 0, 1, 2, ...", c.name,
                                  (long long)i + 1);
            top = fmax(top, y[i]);
        }
        *n_classes = (int64_t)top + 1;
        return EXIT_OK;
    }
    if (codes) {
        if (*task == CLI_TASK_REGRESSION || c.n_categories != 2)
            return data_error(source,
                              "target '%s' is categorical with %lld categories: binary needs exactly 2 (regression "
                              "needs numbers)",
                              c.name, (long long)c.n_categories);
        int32_t pos = 1;
        if (*positive) {
            pos = strcmp(*positive, c.categories[0]) == 0 ? 0 : strcmp(*positive, c.categories[1]) == 0 ? 1 : -1;
            if (pos < 0) {
                fprintf(stderr, "%s: positive class '%s' is not a category of '%s' ('%s', '%s')\n", source, *positive,
                        c.name, c.categories[0], c.categories[1]);
                return EXIT_DATA;
            }
        }
        for (int64_t i = 0; i < n; i++)
            y[i] = codes[i] == pos;
        *positive = c.categories[pos];
        *task = CLI_TASK_BINARY;
        return EXIT_OK;
    }
    if (*positive && (u8 || *task != CLI_TASK_REGRESSION)) {
        const double want = u8                            ? strcmp(*positive, "true") == 0    ? 1
                                                            : strcmp(*positive, "false") == 0 ? 0
                                                                                              : -1
                            : strcmp(*positive, "1") == 0 ? 1
                            : strcmp(*positive, "0") == 0 ? 0
                                                          : -1;
        if (want < 0) {
            fprintf(stderr, "%s: positive class '%s' is not a value of '%s' (%s)\n", source, *positive, c.name,
                    u8 ? "true, false" : "1, 0");
            return EXIT_DATA;
        }
        if (want == 0)
            for (int64_t i = 0; i < n; i++)
                y[i] = 1 - y[i];
    }
    int64_t other = -1; /* the first row whose label is neither 0 nor 1 */
    for (int64_t i = 0; i < n && other < 0; i++)
        if (y[i] != 0 && y[i] != 1)
            other = i;
    if (*task == CLI_TASK_AUTO)
        *task = other < 0 ? CLI_TASK_BINARY : CLI_TASK_REGRESSION;
    if (*task == CLI_TASK_BINARY && other >= 0)
        return data_error(source, "target '%s' is %g in data row %lld: a binary target is 0 or 1", c.name, y[other],
                          (long long)other + 1);
    return EXIT_OK;
}

void cli_put_number(FILE *f, double x, bool single) {
    if (isnan(x))
        return;
    char buf[40];
    for (int digits = single ? 6 : 15; digits <= (single ? 9 : 17); digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        const double back = strtod(buf, NULL);
        if (single ? (float)back == (float)x : back == x)
            break;
    }
    fputs(buf, f);
}

int cli_read_text_column(const cli_args *a, const char *path, const char *buf, size_t len, const char *name,
                         plumb_frame **out) {
    cli_reader r;
    plumb_error err;
    plumb_schema *s = NULL;
    *out = NULL;
    int rc = cli_reader_init(&r, a, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (plumb_schema_create(&s, &err) != PLUMB_OK ||
        plumb_schema_set_type(s, name, PLUMB_TYPE_STRING, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    r.opts.schema = s;
    r.opts.schema_subset = 0;
    r.opts.target = r.opts.id_col = r.opts.time_col = r.opts.weight_col = r.opts.group_col = NULL;
    r.opts.n_categorical = 0;
    if ((buf ? plumb_frame_read_buffer(buf, len, &r.opts, out, &err)
             : plumb_frame_read_csv(path, &r.opts, out, &err)) != PLUMB_OK)
        rc = cli_fail(&err);
done:
    plumb_schema_free(s);
    cli_reader_free(&r);
    return rc;
}

void cli_put_text(FILE *f, const plumb_frame *text, const char *name, int64_t i) {
    const int64_t j = plumb_frame_find(text, name);
    const int32_t *codes = j >= 0 ? plumb_frame_codes(text, j) : NULL;
    if (!codes || codes[i] < 0)
        return;
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(text), j, &c);
    cli_put_field(f, c.categories[codes[i]]);
}

void cli_binary_score_name(const char *positive, bool bool_target, char *buf, size_t n) {
    snprintf(buf, n, "p_%s", positive ? positive : bool_target ? "true" : "1");
}

size_t cli_task_metrics(cli_task task, bool probabilities, plumb_metric *out) {
    size_t n = 0;
    const char *want = cli_task_name(task);
    for (int m = 0; m < PLUMB_METRIC_COUNT; m++) {
        const plumb_metric met = (plumb_metric)m;
        if (strcmp(plumb_metric_task(met), want) != 0)
            continue;
        if (!probabilities && (met == PLUMB_METRIC_LOG_LOSS || met == PLUMB_METRIC_BRIER))
            continue;
        if (met == PLUMB_METRIC_POISSON_DEVIANCE || met == PLUMB_METRIC_GAMMA_DEVIANCE ||
            met == PLUMB_METRIC_PINBALL_LOSS)
            continue; /* defined on some data only: cli_report_compute adds them */
        out[n++] = met;
    }
    return n;
}

static int report_fail(plumb_error *err, const char *source) {
    if (source && !err->path[0])
        snprintf(err->path, sizeof err->path, "%s", source);
    return cli_fail(err);
}

int cli_report_compute(const plumb_metric_data *d, cli_task task, double ci_level, int64_t n_resamples, uint64_t seed,
                       const char *source, cli_report *r) {
    return cli_report_compute_quantile(d, task, ci_level, n_resamples, seed, source, false, r);
}

int cli_report_compute_quantile(const plumb_metric_data *d, cli_task task, double ci_level, int64_t n_resamples,
                                uint64_t seed, const char *source, bool pinball, cli_report *r) {
    plumb_error err;
    memset(r, 0, sizeof *r);
    r->task = task;
    bool probabilities = true;
    for (int64_t i = 0; task == CLI_TASK_BINARY && i < d->n_rows; i++)
        probabilities &= d->score[i] >= 0 && d->score[i] <= 1;
    if (!probabilities)
        fprintf(stderr, "plumb: note: scores outside [0, 1] are not probabilities: no log-loss or Brier score\n");
    r->n_metrics = cli_task_metrics(task, probabilities, r->metrics);
    if (task == CLI_TASK_REGRESSION) {
        /* the deviances where labels and predictions are in their domain (counts, positive amounts) */
        bool poisson = d->n_rows > 0, gamma = d->n_rows > 0;
        for (int64_t i = 0; i < d->n_rows; i++) {
            poisson &= d->label[i] >= 0 && d->score[i] > 0;
            gamma &= d->label[i] > 0 && d->score[i] > 0;
        }
        if (poisson)
            r->metrics[r->n_metrics++] = PLUMB_METRIC_POISSON_DEVIANCE;
        if (gamma)
            r->metrics[r->n_metrics++] = PLUMB_METRIC_GAMMA_DEVIANCE;
        if (pinball)
            r->metrics[r->n_metrics++] = PLUMB_METRIC_PINBALL_LOSS;
    }
    if (plumb_metrics_compute(d, r->metrics, r->n_metrics, r->values, &err) != PLUMB_OK)
        return report_fail(&err, source);
    r->n_rows = (double)d->n_rows;
    for (int64_t i = 0; i < d->n_rows; i++) {
        const double w = d->weight ? d->weight[i] : 1.0;
        r->weight_sum += w;
        r->positives += task == CLI_TASK_BINARY ? w * d->label[i] : 0;
    }
    if (task != CLI_TASK_REGRESSION) {
        r->n_classes = task == CLI_TASK_BINARY ? 2 : d->n_classes;
        if (!(r->confusion = malloc((size_t)(r->n_classes * r->n_classes) * sizeof *r->confusion))) {
            fprintf(stderr, "plumb: out of memory\n");
            return EXIT_DATA;
        }
        if (plumb_metrics_confusion(d, task == CLI_TASK_MULTICLASS, r->confusion, &err) != PLUMB_OK)
            return report_fail(&err, source);
    }
    if (ci_level > 0) {
        plumb_bootstrap_options o;
        plumb_bootstrap_options_init(&o);
        o.level = ci_level;
        o.n_resamples = n_resamples;
        o.seed = seed;
        r->ci_level = ci_level;
        r->n_resamples = n_resamples;
        if (plumb_metrics_bootstrap(d, r->metrics, r->n_metrics, &o, r->lo, r->hi, &err) != PLUMB_OK)
            return report_fail(&err, source);
    }
    return EXIT_OK;
}

void cli_report_free(cli_report *r) {
    free(r->confusion);
    r->confusion = NULL;
}

void cli_report_print(FILE *f, const cli_report *r, const char *const *names) {
    if (r->ci_level > 0)
        fprintf(f, "%-18s %12s   %g%% interval (%lld bootstrap resamples)\n", "metric", "value", 100 * r->ci_level,
                (long long)r->n_resamples);
    else
        fprintf(f, "%-18s %12s\n", "metric", "value");
    for (size_t j = 0; j < r->n_metrics; j++) {
        fprintf(f, "%-18s %12.6f", plumb_metric_name(r->metrics[j]), r->values[j]);
        if (r->ci_level > 0)
            fprintf(f, "   [%.6f, %.6f]", r->lo[j], r->hi[j]);
        fprintf(f, "\n");
    }
    if (!r->confusion)
        return;
    const int64_t k = r->n_classes;
    fprintf(f, "\nconfusion matrix (rows: true class, columns: predicted%s)\n",
            r->task == CLI_TASK_BINARY ? ", score >= threshold is positive" : "");
    fprintf(f, "%-14s", "");
    for (int64_t c = 0; c < k; c++) {
        char head[32];
        snprintf(head, sizeof head, "%.12s", names ? names[c] : r->task == CLI_TASK_BINARY ? (c ? "1" : "0") : "");
        if (!names && r->task != CLI_TASK_BINARY)
            snprintf(head, sizeof head, "%lld", (long long)c);
        fprintf(f, " %12s", head);
    }
    fprintf(f, "\n");
    for (int64_t a = 0; a < k; a++) {
        char head[32];
        snprintf(head, sizeof head, "%.12s", names ? names[a] : "");
        if (!names)
            snprintf(head, sizeof head, "%lld", (long long)a);
        fprintf(f, "%-14s", head);
        for (int64_t c = 0; c < k; c++)
            fprintf(f, " %12.6g", r->confusion[a * k + c]);
        fprintf(f, "\n");
    }
}

json_t *cli_json_number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *cli_report_json(const cli_report *r) {
    json_t *o = json_object(), *m = json_object();
    json_object_set_new(o, "task", json_string(cli_task_name(r->task)));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->n_rows));
    json_object_set_new(o, "weight", cli_json_number(r->weight_sum));
    if (r->task == CLI_TASK_BINARY)
        json_object_set_new(o, "positive_weight", cli_json_number(r->positives));
    for (size_t j = 0; j < r->n_metrics; j++)
        json_object_set_new(m, plumb_metric_name(r->metrics[j]), cli_json_number(r->values[j]));
    json_object_set_new(o, "metrics", m);
    if (r->ci_level > 0) {
        json_t *ci = json_object();
        json_object_set_new(ci, "level", json_real(r->ci_level));
        json_object_set_new(ci, "resamples", json_integer((json_int_t)r->n_resamples));
        for (size_t j = 0; j < r->n_metrics; j++)
            json_object_set_new(ci, plumb_metric_name(r->metrics[j]),
                                json_pack("[o, o]", cli_json_number(r->lo[j]), cli_json_number(r->hi[j])));
        json_object_set_new(o, "ci", ci);
    }
    if (r->confusion) {
        json_t *rows = json_array();
        for (int64_t a = 0; a < r->n_classes; a++) {
            json_t *row = json_array();
            for (int64_t c = 0; c < r->n_classes; c++)
                json_array_append_new(row, cli_json_number(r->confusion[a * r->n_classes + c]));
            json_array_append_new(rows, row);
        }
        json_object_set_new(o, "confusion", rows);
    }
    return o;
}

static json_t *numbers(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; i < n; i++)
        json_array_append_new(a, cli_json_number(v[i]));
    return a;
}

int cli_write_curves(const char *path, const plumb_metric_data *d, int64_t bins, plumb_bins strategy) {
    plumb_error err;
    const int64_t n = d->n_rows;
    int rc = EXIT_OK;
    double *buf = malloc((size_t)(4 * (n + 2) + 3 * bins) * sizeof *buf);
    json_t *root = json_object();
    if (!buf || !root) {
        free(buf);
        json_decref(root);
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    double *a = buf, *b = a + n + 2, *c = b + n + 2, *t = c + n + 2, *cal = t + n + 2;
    int64_t np;
    if (plumb_curve_roc(d, a, b, t, &np, &err) != PLUMB_OK)
        goto fail;
    json_object_set_new(
        root, "roc",
        json_pack("{s:o, s:o, s:o}", "fpr", numbers(a, np), "tpr", numbers(b, np), "thresholds", numbers(t, np)));
    if (plumb_curve_pr(d, a, b, t, &np, &err) != PLUMB_OK)
        goto fail;
    json_object_set_new(root, "pr",
                        json_pack("{s:o, s:o, s:o}", "precision", numbers(a, np), "recall", numbers(b, np),
                                  "thresholds", numbers(t, np - 1)));
    if (plumb_curve_gain(d, a, b, c, t, &np, &err) != PLUMB_OK)
        goto fail;
    json_object_set_new(root, "gain",
                        json_pack("{s:o, s:o, s:o, s:o}", "population", numbers(a, np), "gain", numbers(b, np), "lift",
                                  numbers(c, np), "thresholds", numbers(t, np)));
    if (plumb_curve_calibration(d, bins, strategy, cal, cal + bins, cal + 2 * bins, &np, &err) != PLUMB_OK)
        goto fail;
    json_object_set_new(root, "calibration",
                        json_pack("{s:I, s:s, s:o, s:o, s:o}", "bins", (json_int_t)bins, "strategy",
                                  strategy == PLUMB_BINS_QUANTILE ? "quantile" : "uniform", "prob_true",
                                  numbers(cal, np), "prob_pred", numbers(cal + bins, np), "weight",
                                  numbers(cal + 2 * bins, np)));
    plumb_outfile *file = NULL;
    FILE *f;
    if (plumb_outfile_open(path, &file, &f, &err) != PLUMB_OK)
        goto fail;
    json_dumpf(root, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fputc('\n', f);
    if (plumb_outfile_commit(file, &err) != PLUMB_OK)
        goto fail;
    goto done;
fail:
    rc = report_fail(&err, NULL);
done:
    free(buf);
    json_decref(root);
    return rc;
}
