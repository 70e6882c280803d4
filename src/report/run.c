/* run.c -- building run records (the JSON behind every report) and writing them with their HTML.
 *
 * Every number comes from the public API: metrics and intervals from plumb_evaluation_compute, curves from
 * plumb_curve_*, importance from plumb_model_importance and plumb_model_contrib, the learning curve from
 * plumb_model_valid_curve. Curves are thinned to at most CURVE_POINTS points (first and last kept): a chart needs
 * no more, and a 20,000-row ROC curve would otherwise make the record megabytes long. A record is only written once
 * it is complete (plumb_report_write: the JSON, then the HTML, each atomically), so a command that fails leaves
 * no partial report. Moved from the command line (cli/record.c) so that the case studies (src/studies/) and any
 * program build records the way `--report` does.
 */
#include "run.h"

#include "../data/target.h"
#include "record_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct plumb_run {
    json_t *rec;
};

json_t *plumb__json_number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

enum { CURVE_POINTS = 256, HIST_BINS = 20, SHAP_ROWS = 2000 };

json_t *plumb__run_new(const char *kind, const char *title) {
    char created[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:i, s:s, s:s, s:s, s:s}", "plumb_run", 1, "kind", kind, "title", title, "created", created,
                     "plumb_version", plumb_version());
}

json_t *plumb__run_data(const char *path, int64_t rows, const char *target, const char *positive, plumb_task task,
                        double positive_rate) {
    json_t *d = json_pack("{s:s, s:I, s:s?, s:s}", "path", path, "rows", (json_int_t)rows, "target", target, "task",
                          plumb_task_name(task));
    if (d && positive)
        json_object_set_new(d, "positive_class", json_string(positive));
    if (d && !isnan(positive_rate))
        json_object_set_new(d, "positive_rate", json_real(positive_rate));
    return d;
}

/* v[0..n) thinned to at most CURVE_POINTS entries at evenly spaced indices, the first and last kept. */
static json_t *thin(const double *v, int64_t n) {
    json_t *a = json_array();
    const int64_t m = n <= CURVE_POINTS ? n : CURVE_POINTS;
    for (int64_t k = 0; k < m; k++) {
        const int64_t i = m == n ? k : (int64_t)llround((double)k * (double)(n - 1) / (double)(m - 1));
        json_array_append_new(a, plumb__json_number(v[i]));
    }
    return a;
}

static json_t *numbers(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; i < n; i++)
        json_array_append_new(a, plumb__json_number(v[i]));
    return a;
}

/* The binary curves of d, or NULL after filling err. */
static json_t *curves(const plumb_metric_data *d, plumb_error *err) {
    const int64_t n = d->n_rows, bins = 10;
    double *buf = malloc((size_t)(4 * (n + 2) + 3 * bins + 2 * HIST_BINS) * sizeof *buf);
    json_t *c = json_object();
    if (!buf || !c) {
        free(buf);
        json_decref(c);
        plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        return NULL;
    }
    double *a = buf, *b = a + n + 2, *g = b + n + 2, *t = g + n + 2, *cal = t + n + 2, *hist = cal + 3 * bins;
    int64_t np;
    if (plumb_curve_roc(d, a, b, t, &np, err) != PLUMB_OK)
        goto fail;
    json_object_set_new(c, "roc", json_pack("{s:o, s:o}", "fpr", thin(a, np), "tpr", thin(b, np)));
    if (plumb_curve_pr(d, a, b, t, &np, err) != PLUMB_OK)
        goto fail;
    json_object_set_new(c, "pr", json_pack("{s:o, s:o}", "recall", thin(b, np), "precision", thin(a, np)));
    if (plumb_curve_gain(d, a, b, g, t, &np, err) != PLUMB_OK)
        goto fail;
    json_object_set_new(
        c, "gain", json_pack("{s:o, s:o, s:o}", "population", thin(a, np), "gain", thin(b, np), "lift", thin(g, np)));
    bool probabilities = true;
    for (int64_t i = 0; i < n; i++)
        probabilities &= d->score[i] >= 0 && d->score[i] <= 1;
    if (probabilities) {
        if (plumb_curve_calibration(d, bins, PLUMB_BINS_UNIFORM, cal, cal + bins, cal + 2 * bins, &np, err) != PLUMB_OK)
            goto fail;
        json_object_set_new(c, "calibration",
                            json_pack("{s:o, s:o, s:o}", "prob_pred", numbers(cal + bins, np), "prob_true",
                                      numbers(cal, np), "count", numbers(cal + 2 * bins, np)));
    }
    /* score histogram per class: HIST_BINS equal widths over [0, 1] for probabilities, else over the score range */
    double lo = 0, hi = 1;
    if (!probabilities) {
        lo = hi = d->score[0];
        for (int64_t i = 1; i < n; i++)
            lo = fmin(lo, d->score[i]), hi = fmax(hi, d->score[i]);
        if (hi <= lo)
            hi = lo + 1;
    }
    double edges[HIST_BINS + 1], *pos = hist, *neg = hist + HIST_BINS;
    for (int k = 0; k <= HIST_BINS; k++)
        edges[k] = lo + (hi - lo) * k / HIST_BINS;
    memset(hist, 0, 2 * HIST_BINS * sizeof *hist);
    for (int64_t i = 0; i < n; i++) {
        int k = (int)((d->score[i] - lo) / (hi - lo) * HIST_BINS);
        k = k < 0 ? 0 : k >= HIST_BINS ? HIST_BINS - 1 : k;
        (d->label[i] > 0.5 ? pos : neg)[k] += d->weight ? d->weight[i] : 1.0;
    }
    json_object_set_new(c, "score_hist",
                        json_pack("{s:o, s:o, s:o}", "edges", numbers(edges, HIST_BINS + 1), "positive",
                                  numbers(pos, HIST_BINS), "negative", numbers(neg, HIST_BINS)));
    free(buf);
    return c;
fail:
    free(buf);
    json_decref(c);
    return NULL;
}

/* One evaluation {"name", "model", "metrics", "ci", "threshold", "confusion", "curves", "regression"} of data
 * (binary: with the ROC, precision-recall, calibration (10 uniform bins), gain curves and the score histogram per
 * class, each thinned to at most a few hundred points; regression: plumb__record_regression's points and segments,
 * with frame (may be NULL) holding data's rows for the time and segment columns). rep holds the metrics computed
 * on data. model may be NULL. Returns NULL after filling err. */
static json_t *evaluation(const char *name, const char *model, const plumb_metric_data *d, const plumb_evaluation *rep,
                          const plumb_frame *frame, plumb_error *err) {
    json_t *e = json_pack("{s:s}", "name", name), *m = json_object();
    if (model)
        json_object_set_new(e, "model", json_string(model));
    json_object_set_new(e, "rows", json_integer((json_int_t)d->n_rows));
    for (size_t j = 0; j < rep->n_metrics; j++)
        json_object_set_new(m, plumb_metric_name(rep->metrics[j]), plumb__json_number(rep->values[j]));
    json_object_set_new(e, "metrics", m);
    if (rep->ci_level > 0) {
        json_t *ci = json_object();
        for (size_t j = 0; j < rep->n_metrics; j++)
            json_object_set_new(ci, plumb_metric_name(rep->metrics[j]),
                                json_pack("[o, o]", plumb__json_number(rep->lo[j]), plumb__json_number(rep->hi[j])));
        json_object_set_new(e, "ci", ci);
        json_object_set_new(e, "ci_level", json_real(rep->ci_level));
    }
    if (rep->task == PLUMB_TASK_REGRESSION) {
        json_t *r = plumb__record_regression(d, frame); /* NULL without rows, or out of memory */
        if (!r && d->n_rows > 0 && d->label && d->score) {
            json_decref(e);
            plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            return NULL;
        }
        json_object_set_new(e, "regression", r);
    }
    if (rep->task != PLUMB_TASK_BINARY)
        return e;
    json_object_set_new(e, "threshold", json_real(d->threshold));
    if (rep->confusion)
        json_object_set_new(e, "confusion",
                            json_pack("{s:o, s:o, s:o, s:o}", "tn", plumb__json_number(rep->confusion[0]), "fp",
                                      plumb__json_number(rep->confusion[1]), "fn",
                                      plumb__json_number(rep->confusion[2]), "tp",
                                      plumb__json_number(rep->confusion[3])));
    json_t *c = curves(d, err);
    if (!c) {
        json_decref(e);
        return NULL;
    }
    json_object_set_new(e, "curves", c);
    return e;
}

plumb_status plumb__run_model(json_t *rec, const plumb_model *model, const plumb_frame *frame, plumb_error *err) {
    plumb_model_info info;
    plumb_model_describe(model, &info);
    json_t *params = json_pack("{s:I, s:I, s:I, s:s}", "n_iterations", (json_int_t)info.n_iterations, "best_iteration",
                               (json_int_t)info.best_iteration, "train_rows", (json_int_t)info.train_rows, "metric",
                               info.metric ? info.metric : "");
    json_object_set_new(params, "train_metric", plumb__json_number(info.train_metric));
    json_object_set_new(params, "valid_metric", plumb__json_number(info.valid_metric));
    json_t *m =
        json_pack("{s:s, s:s, s:I, s:I, s:o}", "kind", info.kind, "objective", info.objective ? info.objective : "",
                  "n_features", (json_int_t)info.n_features, "n_trees", (json_int_t)info.n_trees, "params", params);
    if (info.created)
        json_object_set_new(m, "created", json_string(info.created));
    if (info.data_sha256)
        json_object_set_new(m, "data_sha256", json_string(info.data_sha256));
    json_object_set_new(m, "settings", plumb__record_settings(model));
    json_object_set_new(rec, "model", m);

    const double *vc;
    const int64_t nvc = plumb_model_valid_curve(model, &vc);
    if (nvc > 0)
        json_object_set_new(rec, "learning_curve",
                            json_pack("{s:s, s:o}", "metric", info.metric, "valid", numbers(vc, nvc)));
    if (strcmp(info.kind, "gbdt") != 0 || info.n_features <= 0)
        return PLUMB_OK;

    const int64_t nf = info.n_features;
    plumb_importance *imp = malloc((size_t)nf * sizeof *imp);
    double *shap = NULL, *contrib = NULL;
    plumb_frame *sample = NULL;
    int64_t *rows = NULL;
    plumb_status rc = PLUMB_OK;
    if (!imp) {
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = plumb_model_importance(model, imp, err)) != PLUMB_OK)
        goto done;
    if (frame && info.n_outputs == 1) {
        /* mean |TreeSHAP| over up to SHAP_ROWS rows spread evenly over the frame */
        const int64_t n = plumb_frame_n_rows(frame), ns = n < SHAP_ROWS ? n : SHAP_ROWS;
        if (ns > 0) {
            if (!(rows = malloc((size_t)ns * sizeof *rows)) || !(shap = calloc((size_t)nf, sizeof *shap)) ||
                !(contrib = malloc((size_t)ns * (size_t)(nf + 1) * sizeof *contrib))) {
                rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
                goto done;
            }
            for (int64_t i = 0; i < ns; i++)
                rows[i] = i * n / ns;
            if ((rc = plumb_frame_take(frame, rows, ns, &sample, err)) != PLUMB_OK ||
                (rc = plumb_model_contrib(model, sample, NULL, contrib, err)) != PLUMB_OK)
                goto done;
            for (int64_t i = 0; i < ns; i++)
                for (int64_t f = 0; f < nf; f++)
                    shap[f] += fabs(contrib[i * (nf + 1) + f]) / (double)ns;
        }
    }
    double total = 0;
    for (int64_t f = 0; f < nf; f++)
        total += imp[f].gain;
    /* features by decreasing gain; a simple insertion order keeps it stable for ties */
    json_t *list = json_array();
    bool *used = calloc((size_t)nf, sizeof *used);
    for (int64_t k = 0; used && k < nf; k++) {
        int64_t best = -1;
        for (int64_t f = 0; f < nf; f++)
            if (!used[f] && (best < 0 || imp[f].gain > imp[best].gain))
                best = f;
        used[best] = true;
        json_t *o = json_pack("{s:s, s:o, s:I}", "feature", plumb_model_feature_name(model, best), "gain_share",
                              plumb__json_number(total > 0 ? imp[best].gain / total : 0), "splits",
                              (json_int_t)imp[best].splits);
        if (shap)
            json_object_set_new(o, "shap_mean_abs", plumb__json_number(shap[best]));
        json_array_append_new(list, o);
    }
    free(used);
    json_object_set_new(rec, "importance", list);
done:
    plumb_frame_free(sample);
    free(imp);
    free(shap);
    free(contrib);
    free(rows);
    return rc;
}

/* The base name of a path, for titles. */
static const char *base_name(const char *path) {
    return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

/* The status of a builder that returned NULL: its error, or out of memory when it had none to give (jansson). */
static plumb_status failed(plumb_error *err) {
    return err->code != PLUMB_OK ? err->code : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* Wraps rec (taken over) in a run handle into *out. */
static plumb_status wrap(json_t *rec, plumb_run **out, plumb_error *err) {
    *out = NULL;
    plumb_run *run = rec ? malloc(sizeof *run) : NULL;
    if (!run) {
        json_decref(rec);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    run->rec = rec;
    *out = run;
    return PLUMB_OK;
}

void plumb_run_options_init(plumb_run_options *o) {
    memset(o, 0, sizeof *o);
}

plumb_status plumb__run_write(const json_t *rec, const char *html_path, plumb_error *err) {
    char *text = json_dumps(rec, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!text)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    /* the renderer writes the record byte for byte beside the page, both atomically */
    const plumb_status s = plumb_report_write(text, strlen(text), html_path, err);
    free(text);
    return s;
}

plumb_status plumb_run_write(const plumb_run *run, const char *html_path, plumb_error *err) {
    return plumb__run_write(run->rec, html_path, err);
}

char *plumb_run_json(const plumb_run *run) {
    return json_dumps(run->rec, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
}

void plumb_run_free(plumb_run *run) {
    if (!run)
        return;
    json_decref(run->rec);
    free(run);
}

plumb_status plumb_run_eval(const plumb_run_options *o, const plumb_metric_data *d, const plumb_evaluation *rep,
                            const plumb_model *model, const plumb_frame *frame, plumb_run **out, plumb_error *err) {
    *out = NULL;
    if (!o || !o->data_path)
        return plumb__fail(err, PLUMB_EINVAL, "a run record needs the data's path (plumb_run_options.data_path)");
    plumb_error local; /* the status of a failed step is read from it */
    if (!err)
        err = &local;
    plumb__error_clear(err);
    char title[512];
    const char *base = base_name(o->data_path);
    snprintf(title, sizeof title, "Evaluation on %s", base);
    plumb_status rc = PLUMB_OK;
    json_t *rec = plumb__run_new("eval", title), *ev = NULL, *list = json_array();
    const double rate = rep->task == PLUMB_TASK_BINARY && rep->weight_sum > 0 ? rep->positives / rep->weight_sum : NAN;
    json_t *data = plumb__run_data(o->data_path, d->n_rows, o->target, o->positive_class, rep->task, rate);
    if (rep->task == PLUMB_TASK_BINARY && o->negative_class)
        json_object_set_new(data, "negative_class", json_string(o->negative_class));
    json_object_set_new(rec, "data", data);
    if (model && (rc = plumb__run_model(rec, model, NULL, err)) != PLUMB_OK)
        goto done;
    if (!(ev = evaluation(base, model ? "model" : "predictions", d, rep, frame, err))) {
        rc = failed(err);
        goto done;
    }
    json_array_append_new(list, ev);
    json_object_set(rec, "evaluations", list);
    rc = wrap(rec, out, err);
    rec = NULL;
done:
    json_decref(list);
    json_decref(rec);
    return rc;
}

/* The model's target column name, or NULL. */
static const char *target_name(const plumb_model *model) {
    const plumb_schema *ms = plumb_model_schema(model);
    for (int64_t j = 0; j < plumb_schema_n_columns(ms); j++) {
        plumb_column_info c;
        plumb_schema_column(ms, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            return c.name;
    }
    return NULL;
}

plumb_status plumb__run_labels(const plumb_model *model, const plumb_frame *frame, const char *source, plumb_task *task,
                               double **y, plumb_error *err) {
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const char *target = target_name(model), *positive = plumb_model_positive_class(model);
    const int64_t col = target ? plumb_frame_find(frame, target) : -1;
    *y = NULL;
    if (info.task != PLUMB_TASK_BINARY && info.task != PLUMB_TASK_REGRESSION)
        return plumb__fail(err, PLUMB_EINVAL, "reports cover binary and regression models");
    if (col < 0)
        return plumb__error_at(err, PLUMB_EINVAL, source, 0, 0, "no target column '%s'", target ? target : "");
    *task = info.task;
    int64_t n_classes = 0;
    if (!(*y = malloc((size_t)(plumb_frame_n_rows(frame) + 1) * sizeof **y)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    const plumb_status rc = plumb_frame_labels(frame, col, source, task, &positive, &n_classes, *y, err);
    if (rc != PLUMB_OK) {
        free(*y);
        *y = NULL;
    }
    return rc;
}

/* Appends the evaluation of scores against labels y (n rows of frame) named name to rec's "evaluations"; *value
 * (may be NULL) receives its ROC-AUC (binary) or R^2. */
static plumb_status add_scored(json_t *rec, const char *name, const char *model_name, plumb_task task, const double *y,
                               const double *score, const plumb_frame *frame, const char *source, double *value,
                               plumb_error *err) {
    plumb_evaluation rep = {0};
    json_t *ev = NULL;
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = plumb_frame_n_rows(frame);
    d.label = y;
    d.score = score;
    double weight_sum, weight_max;
    plumb_status rc = plumb__weights(frame, &d.weight, &weight_sum, &weight_max, err);
    if (rc != PLUMB_OK)
        return rc;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    eo.task = task;
    eo.source = source;
    if ((rc = plumb_evaluation_compute(&d, &eo, &rep, err)) != PLUMB_OK)
        goto done;
    if (!(ev = evaluation(name, model_name, &d, &rep, frame, err))) {
        rc = failed(err);
        goto done;
    }
    json_t *list = json_object_get(rec, "evaluations");
    if (!list) {
        list = json_array();
        json_object_set_new(rec, "evaluations", list);
    }
    json_array_append_new(list, ev);
    if (value) {
        *value = NAN;
        for (size_t j = 0; j < rep.n_metrics; j++)
            if (rep.metrics[j] == PLUMB_METRIC_ROC_AUC || rep.metrics[j] == PLUMB_METRIC_R2)
                *value = rep.values[j];
    }
done:
    plumb_evaluation_free(&rep);
    return rc;
}

plumb_status plumb__run_add_evaluation(json_t *rec, const char *name, const char *model_name, const plumb_model *model,
                                       const plumb_frame *frame, const char *source, double *auc, plumb_error *err) {
    plumb_error local;
    if (!err)
        err = &local;
    plumb__error_clear(err);
    plumb_task task;
    double *y = NULL, *score = NULL;
    plumb_status rc = plumb__run_labels(model, frame, source, &task, &y, err);
    if (rc != PLUMB_OK)
        return rc;
    const int64_t n = plumb_frame_n_rows(frame);
    if (!(score = malloc((size_t)(n + 1) * sizeof *score)))
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    else if ((rc = plumb_model_predict(model, frame, NULL, score, err)) == PLUMB_OK)
        rc = add_scored(rec, name, model_name, task, y, score, frame, source, auc, err);
    free(y);
    free(score);
    return rc;
}

/* A model calibrated on the validation rows would be judged on the rows its map was fitted to (a calibration chart
 * that looks perfect): its validation evaluations are cross-fitted instead, as `plumb train` judges the calibration
 * (the same folds and seed): the probabilities before calibration, and calibrated by maps that did not see the row. */
static plumb_status add_calibrated(json_t *rec, const plumb_model *model, const char *kind, const char *method,
                                   const plumb_frame *valid, const char *source, uint64_t seed, plumb_error *err) {
    const plumb_calibration cal = strcmp(method, "platt") == 0 ? PLUMB_CALIBRATION_PLATT : PLUMB_CALIBRATION_ISOTONIC;
    const int64_t n = plumb_frame_n_rows(valid);
    double *buf = malloc((size_t)(3 * n + 3) * sizeof *buf), *y = buf, *raw = buf + n + 1, *cf = raw + n + 1;
    int32_t folds = 0;
    plumb_status rc;
    if (!buf)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if ((rc = plumb_model_calibrate_crossfit(model, valid, cal, &folds, seed, y, raw, cf, err)) != PLUMB_OK)
        goto done;
    char name[96];
    snprintf(name, sizeof name, "validation, calibrated (%s, cross-fitted)", method);
    if ((rc = add_scored(rec, "validation, before calibration", kind, PLUMB_TASK_BINARY, y, raw, valid, source, NULL,
                         err)) == PLUMB_OK)
        rc = add_scored(rec, name, kind, PLUMB_TASK_BINARY, y, cf, valid, source, NULL, err);
done:
    free(buf);
    return rc;
}

plumb_status plumb_run_train(const plumb_run_options *o, const plumb_model *model, const plumb_frame *train,
                             const plumb_frame *valid, plumb_run **out, plumb_error *err) {
    *out = NULL;
    if (!o || !o->data_path)
        return plumb__fail(err, PLUMB_EINVAL, "a run record needs the data's path (plumb_run_options.data_path)");
    plumb_error local; /* the status of a failed step is read from it */
    if (!err)
        err = &local;
    plumb__error_clear(err);
    char title[512];
    const char *data_path = o->data_path, *base = base_name(data_path);
    plumb_model_info info;
    plumb_model_describe(model, &info);
    snprintf(title, sizeof title, "%s model trained on %s", info.kind, base);
    json_t *rec = plumb__run_new("train", title);
    double *y = NULL;
    plumb_task task;
    plumb_status rc = plumb__run_labels(model, train, data_path, &task, &y, err);
    if (rc != PLUMB_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(train);
    const double *w; /* the positive rate weighted, as eval's and cv's */
    double pos = 0, weight_sum, weight_max;
    if ((rc = plumb__weights(train, &w, &weight_sum, &weight_max, err)) != PLUMB_OK)
        goto done;
    for (int64_t i = 0; i < n; i++)
        pos += (w ? w[i] : 1.0) * y[i];
    json_object_set_new(rec, "data",
                        plumb__run_data(data_path, n, target_name(model), plumb_model_positive_class(model), task,
                                        task == PLUMB_TASK_BINARY && weight_sum > 0 ? pos / weight_sum : NAN));
    if ((rc = plumb__run_model(rec, model, valid ? valid : train, err)) != PLUMB_OK)
        goto done;
    const char *cal =
        json_string_value(json_object_get(json_object_get(json_object_get(rec, "model"), "settings"), "calibration"));
    if (valid && cal && strcmp(cal, "none") != 0)
        rc = add_calibrated(rec, model, info.kind, cal, valid, data_path, o->seed, err);
    else if (valid)
        rc = plumb__run_add_evaluation(rec, "validation", info.kind, model, valid, data_path, NULL, err);
    if (rc != PLUMB_OK)
        goto done;
    rc = wrap(rec, out, err);
    rec = NULL;
done:
    free(y);
    json_decref(rec);
    return rc;
}

plumb_status plumb_run_cv(const plumb_run_options *o, int64_t k, const plumb_metric *fold_metrics,
                          size_t n_fold_metrics, const double *fold_vals, const plumb_metric_data *d,
                          const plumb_evaluation *rep, plumb_run **out, plumb_error *err) {
    *out = NULL;
    if (!o || !o->data_path)
        return plumb__fail(err, PLUMB_EINVAL, "a run record needs the data's path (plumb_run_options.data_path)");
    plumb_error local; /* the status of a failed step is read from it */
    if (!err)
        err = &local;
    plumb__error_clear(err);
    char title[512];
    const char *model_kind = o->model_kind ? o->model_kind : "gbdt";
    snprintf(title, sizeof title, "Cross-validation of a %s model on %s", model_kind, base_name(o->data_path));
    json_t *rec = plumb__run_new("cv", title), *fm = json_object(), *list = json_array();
    const double rate = rep->task == PLUMB_TASK_BINARY && rep->weight_sum > 0 ? rep->positives / rep->weight_sum : NAN;
    json_object_set_new(rec, "data",
                        plumb__run_data(o->data_path, d->n_rows, o->target, o->positive_class, rep->task, rate));
    json_t *model = json_pack("{s:s}", "kind", model_kind);
    if (o->fold_model)
        json_object_set_new(model, "settings", plumb__record_settings(o->fold_model));
    json_object_set_new(rec, "model", model);
    for (size_t j = 0; j < n_fold_metrics; j++) {
        json_t *v = json_array();
        for (int64_t f = 0; f < k; f++)
            json_array_append_new(v, plumb__json_number(fold_vals[f * (int64_t)n_fold_metrics + (int64_t)j]));
        json_object_set_new(fm, plumb_metric_name(fold_metrics[j]), v);
    }
    json_object_set_new(
        rec, "folds",
        json_pack("{s:s, s:I, s:o}", "strategy", o->strategy ? o->strategy : "", "k", (json_int_t)k, "metrics", fm));
    json_t *ev = evaluation("out-of-fold", model_kind, d, rep, NULL, err);
    plumb_status rc = ev ? PLUMB_OK : failed(err);
    if (ev) {
        json_array_append_new(list, ev);
        json_object_set_new(rec, "evaluations", list);
        list = NULL;
        rc = wrap(rec, out, err);
        rec = NULL;
    }
    json_decref(list);
    json_decref(rec);
    return rc;
}

plumb_status plumb_run_audit(const plumb_run_options *o, int64_t rows, const plumb_audit *audit, plumb_run **out,
                             plumb_error *err) {
    *out = NULL;
    if (!o || !o->data_path)
        return plumb__fail(err, PLUMB_EINVAL, "a run record needs the data's path (plumb_run_options.data_path)");
    char title[512];
    plumb__error_clear(err);
    snprintf(title, sizeof title, "Audit of %s", base_name(o->data_path));
    char *text = plumb_audit_json(audit);
    json_error_t jerr;
    json_t *obj = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    if (!obj)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    json_t *rec = plumb__run_new("audit", title);
    json_object_set_new(
        rec, "data", json_pack("{s:s, s:I, s:s}", "path", o->data_path, "rows", (json_int_t)rows, "target", o->target));
    json_object_set_new(rec, "audit", obj);
    return wrap(rec, out, err);
}

/* ---- tune ------------------------------------------------------------------------------------------------- */

static const char *const trial_states[] = {"complete", "pruned", "failed"};

/* The trial's active parameters as a JSON object (plumb_tune_params_json's); NULL when out of memory. */
static json_t *trial_params(const plumb_tune_space *s, const double *v) {
    char *text = plumb_tune_params_json(s, v);
    json_t *o = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    return o;
}

plumb_status plumb_run_tune(const plumb_run_options *o, const plumb_run_tune_info *in, plumb_run **out,
                            plumb_error *err) {
    *out = NULL;
    if (!o || !o->data_path)
        return plumb__fail(err, PLUMB_EINVAL, "a run record needs the data's path (plumb_run_options.data_path)");
    plumb_error local;
    if (!err)
        err = &local;
    plumb__error_clear(err);
    const int64_t best = plumb_tuner_best(in->tuner), n = plumb_tuner_n_trials(in->tuner);
    if (best < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no complete trial to report");
    const int64_t d = plumb_tune_space_size(in->space);
    double *imp = malloc((size_t)(d ? d : 1) * sizeof *imp);
    if (!imp)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_tuner_importance(in->tuner, imp);
    char title[512];
    const char *kind = o->model_kind ? o->model_kind : "gbdt";
    snprintf(title, sizeof title, "Tuning a %s model on %s", kind, base_name(o->data_path));
    plumb_status rc = PLUMB_OK;
    json_t *rec = plumb__run_new("tune", title), *list = NULL;
    plumb_model_info mi;
    plumb_model_describe(in->model, &mi);
    const plumb_task task = mi.task;
    json_object_set_new(rec, "data",
                        plumb__run_data(o->data_path, in->train ? plumb_frame_n_rows(in->train) : 0, o->target,
                                        o->positive_class, task, NAN));
    if ((rc = plumb__run_model(rec, in->model, in->train, err)) != PLUMB_OK)
        goto done;
    json_t *scores = json_array(), *states = json_array(), *imps = json_array();
    int64_t pruned = 0, failed_n = 0;
    for (int64_t t = 0; t < n; t++) {
        plumb_trial_state s;
        double sc;
        plumb_tuner_trial(in->tuner, t, &s, &sc);
        json_array_append_new(scores, plumb__json_number(sc));
        json_array_append_new(states, json_string(trial_states[s]));
        pruned += s == PLUMB_TRIAL_PRUNED;
        failed_n += s == PLUMB_TRIAL_FAILED;
    }
    for (int64_t i = 0; i < d; i++)
        json_array_append_new(imps, json_pack("{s:s, s:o}", "param", plumb_tune_space_param(in->space, i)->name,
                                              "share", plumb__json_number(imp[i])));
    double best_score;
    const double *bv = plumb_tuner_trial(in->tuner, best, NULL, &best_score);
    json_t *tj = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:I, s:o, s:o}", "sampler",
                           in->sampler ? in->sampler : "tpe", "metric", plumb_metric_name(in->metric),
                           "higher_is_better", !in->minimize, "folds", (json_int_t)in->n_folds, "trials", (json_int_t)n,
                           "pruned", (json_int_t)pruned, "failed", (json_int_t)failed_n, "seconds",
                           plumb__json_number(in->seconds), "best_trial", (json_int_t)best + 1, "best_cv",
                           plumb__json_number(best_score), "best_params", trial_params(in->space, bv));
    if (in->test_ev) {
        double ts = NAN;
        for (size_t j = 0; j < in->test_ev->n_metrics; j++)
            if (in->test_ev->metrics[j] == in->metric)
                ts = in->test_ev->values[j];
        json_object_set_new(tj, "test_score", plumb__json_number(ts));
        json_object_set_new(tj, "test_data", json_string(in->test_path ? in->test_path : "test"));
    }
    json_object_set_new(tj, "history", json_pack("{s:o, s:o}", "score", scores, "state", states));
    json_object_set_new(tj, "importance", imps);
    json_object_set_new(rec, "tune", tj);
    const double *steps;
    const int64_t ns = plumb_tuner_steps(in->tuner, best, &steps);
    if (ns > 0) {
        json_t *v = json_array();
        for (int64_t f = 0; f < ns; f++)
            json_array_append_new(v, plumb__json_number(steps[f]));
        json_object_set_new(rec, "folds",
                            json_pack("{s:s, s:I, s:{s:o}}", "strategy", o->strategy ? o->strategy : "", "k",
                                      (json_int_t)ns, "metrics", plumb_metric_name(in->metric), v));
    }
    if (in->test && in->test_ev) {
        json_t *ev = evaluation(in->test_path ? base_name(in->test_path) : "held-out", "tuned model", in->test,
                                in->test_ev, NULL, err);
        if (!ev) {
            rc = failed(err);
            goto done;
        }
        list = json_array();
        json_array_append_new(list, ev);
        json_object_set_new(rec, "evaluations", list);
    }
    rc = wrap(rec, out, err);
    rec = NULL;
done:
    free(imp);
    json_decref(rec);
    return rc;
}
