/* evaluate.c -- the --task option, printing evaluations and the curves file, shared by `plumb eval` and `plumb cv`. */
#include "evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_task_option(const cli_args *a, plumb_task *task) {
    const char *v = cli_get(a, "task");
    *task = PLUMB_TASK_AUTO;
    if (!v || strcmp(v, "auto") == 0)
        return EXIT_OK;
    if (plumb_task_parse(v, task, NULL) == PLUMB_OK)
        return EXIT_OK;
    return cli_usage_error(a->cmd, "unknown task '%s' (expected binary, regression, multiclass or auto)", v);
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

int cli_evaluate(const plumb_metric_data *d, const plumb_evaluation_options *o, plumb_evaluation *ev) {
    plumb_error err;
    const plumb_status s = plumb_evaluation_compute(d, o, ev, &err);
    if (o->task == PLUMB_TASK_BINARY && !ev->probabilities)
        cli_note("plumb: note: scores outside [0, 1] are not probabilities: no log-loss or Brier score");
    return s == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}

void cli_report_print(FILE *f, const plumb_evaluation *r, const char *const *names) {
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
            r->task == PLUMB_TASK_BINARY ? ", score >= threshold is positive" : "");
    fprintf(f, "%-14s", "");
    for (int64_t c = 0; c < k; c++) {
        char head[32];
        snprintf(head, sizeof head, "%.12s", names ? names[c] : r->task == PLUMB_TASK_BINARY ? (c ? "1" : "0") : "");
        if (!names && r->task != PLUMB_TASK_BINARY)
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

json_t *cli_report_json(const plumb_evaluation *r) {
    json_t *o = json_object(), *m = json_object();
    json_object_set_new(o, "task", json_string(plumb_task_name(r->task)));
    json_object_set_new(o, "rows", json_integer((json_int_t)r->n_rows));
    json_object_set_new(o, "weight", cli_json_number(r->weight_sum));
    if (r->task == PLUMB_TASK_BINARY)
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
    rc = cli_fail(&err);
done:
    free(buf);
    json_decref(root);
    return rc;
}
