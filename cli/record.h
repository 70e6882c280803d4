/* record.h -- run records: what `--report` on train, cv, eval and audit, and `plumb demo`, write.
 *
 * A run record is one JSON object ("plumb_run": 1, format in docs/report.md) holding every number a command has:
 * data, model, evaluations with their curves, importance, learning curve, folds, audit, comparison. The commands
 * build it with these helpers, then cli_record_write renders it to HTML (plumb_report_write) with the JSON beside.
 */
#ifndef PLUMB_CLI_RECORD_H
#define PLUMB_CLI_RECORD_H

#include "evaluate.h"

#include <jansson.h>

/* The option every reporting command has. */
#define CLI_REPORT_OPTION                                                                                              \
    { "report", 0, "FILE.html", NULL, "write a self-contained HTML report, and every number in it as FILE.json" }

/* A new record {"plumb_run": 1, "kind", "title", "created" (now, UTC), "plumb_version"}; NULL when out of memory. */
json_t *cli_record_new(const char *kind, const char *title);

/* The "data" object: path, rows, target, positive_class (NULL: none), task, positive_rate (NaN: left out). */
json_t *cli_record_data(const char *path, int64_t rows, const char *target, const char *positive, cli_task task,
                        double positive_rate);

/* One evaluation {"name", "model", "metrics", "ci", "threshold", "confusion", "curves"} of data (binary: with the
 * ROC, precision-recall, calibration (10 uniform bins), gain curves and the score histogram per class, each
 * thinned to at most a few hundred points; regression: "regression", the points of the predicted-against-actual and
 * residual charts and the error by segment, with frame (may be NULL) holding data's rows for the time and segment
 * columns). rep holds the metrics computed on data. model may be NULL. Returns NULL after reporting the error. */
json_t *cli_record_evaluation(const char *name, const char *model, const plumb_metric_data *data, const cli_report *rep,
                              const plumb_frame *frame);

/* Adds "model" (kind, objective, n_features, n_trees, params, settings: plumb_model_settings_json), "importance" (gain
 * share, splits and, when frame is not NULL, the mean |TreeSHAP| over its first 2,000 rows) and "learning_curve" (the
 * validation metric per iteration, when the model has one) to rec. Returns EXIT_OK, or EXIT_DATA after reporting the
 * error. */
int cli_record_model(json_t *rec, const plumb_model *model, const plumb_frame *frame);

/* The path of the JSON beside an HTML report: "x.html" -> "x.json", otherwise path + ".json" (malloc'ed). */
char *cli_record_json_path(const char *html_path);

/* Writes rec as JSON beside html_path and renders it to html_path; both files appear whole or not at all.
 * Returns EXIT_OK, or EXIT_DATA after reporting the error. */
int cli_record_write(const json_t *rec, const char *html_path);

/* `plumb eval --report`: a record of kind eval with the data, the model (when not NULL) and one evaluation named
 * after the data, written to html_path; frame (may be NULL) holds data's rows: the negative class (the other
 * category of a text target) and, for regression, the time and segment columns come from it. Returns EXIT_OK, or
 * EXIT_DATA after reporting the error. */
int cli_record_eval(const char *html_path, const char *data_path, const char *target, const char *positive,
                    const plumb_metric_data *data, const cli_report *rep, const plumb_model *model,
                    const plumb_frame *frame);

/* Labels of frame's target column as model encodes them (binary 0/1 on its positive class, regression values) into
 * *y (malloc'ed, n_rows entries) and the task into *task. Returns EXIT_OK, or EXIT_DATA after reporting it. */
int cli_record_labels(const plumb_model *model, const plumb_frame *frame, const char *source, cli_task *task,
                      double **y);

/* Scores frame with model and appends an evaluation named name (model label: model_name) to rec's
 * "evaluations"; *auc (may be NULL) receives its ROC-AUC (binary) or R^2. Returns EXIT_OK or EXIT_DATA. */
int cli_record_add_evaluation(json_t *rec, const char *name, const char *model_name, const plumb_model *model,
                              const plumb_frame *frame, const char *source, double *auc);

/* `plumb train --report`: a record of kind train: data, model, importance, learning curve and, when valid is not
 * NULL, the evaluation on the validation rows -- for a model calibrated on them, the cross-fitted probabilities
 * before and after calibration (seed: the --seed the calibration was judged with; the model is left as it was).
 * Returns EXIT_OK, or EXIT_DATA after reporting the error. */
int cli_record_train(const char *html_path, const char *data_path, plumb_model *model, const plumb_frame *train,
                     const plumb_frame *valid, uint64_t seed);

/* `plumb cv --report`: a record of kind cv: data, "folds" (strategy, per metric its value in each of the k folds,
 * fold_vals row-major k x n_metrics of rep's metrics) and the pooled out-of-fold evaluation of data; settings
 * (may be NULL): the JSON text plumb_model_settings_json gave for a fold's model, kept as "model.settings". */
int cli_record_cv(const char *html_path, const char *data_path, const char *target, const char *positive,
                  const char *model_kind, const char *strategy, int64_t k, const double *fold_vals,
                  const plumb_metric_data *data, const cli_report *rep, const char *settings);

/* `plumb audit --report`: a record of kind audit holding plumb_audit_json's object. */
int cli_record_audit(const char *html_path, const char *data_path, const char *target, int64_t rows,
                     const plumb_audit *audit);

#endif /* PLUMB_CLI_RECORD_H */
