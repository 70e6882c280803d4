/* run.h -- building run records (the JSON behind every report) piece by piece: what the public plumb_run_*
 * producers (run.c) and the case studies (src/studies/) share.
 *
 * A record is a jansson object; the builders add the keys docs/report.md lists. Functions that can fail fill err
 * and return a status; those that return a json_t return NULL only when out of memory, unless they say otherwise.
 */
#ifndef PLUMB_REPORT_RUN_H
#define PLUMB_REPORT_RUN_H

#include "../base/base.h"

#include <jansson.h>

/* A JSON number, or null for NaN and infinities. */
json_t *plumb__json_number(double x);

/* A new record {"plumb_run": 1, "kind", "title", "created" (now, UTC), "plumb_version"}. */
json_t *plumb__run_new(const char *kind, const char *title);

/* The "data" object: path, rows, target, positive_class (NULL: none), task, positive_rate (NaN: left out). */
json_t *plumb__run_data(const char *path, int64_t rows, const char *target, const char *positive, plumb_task task,
                        double positive_rate);

/* Adds "model" (kind, objective, n_features, n_trees, params, settings), "importance" (gain share, splits and, when
 * frame is not NULL, the mean |TreeSHAP| over its first 2,000 rows) and "learning_curve" (the validation metric per
 * iteration, when the model has one) to rec. */
plumb_status plumb__run_model(json_t *rec, const plumb_model *model, const plumb_frame *frame, plumb_error *err);

/* Labels of frame's target column as model encodes them (binary 0/1 on its positive class, regression values) into
 * *y (malloc'ed, n_rows entries; NULL on failure) and the task into *task; source names frame in errors. */
plumb_status plumb__run_labels(const plumb_model *model, const plumb_frame *frame, const char *source, plumb_task *task,
                               double **y, plumb_error *err);

/* Scores frame with model and appends an evaluation named name (model label: model_name) to rec's
 * "evaluations"; *auc (may be NULL) receives its ROC-AUC (binary) or R^2. */
plumb_status plumb__run_add_evaluation(json_t *rec, const char *name, const char *model_name, const plumb_model *model,
                                       const plumb_frame *frame, const char *source, double *auc, plumb_error *err);

/* Writes rec as JSON beside html_path and renders it to html_path; both files appear whole or not at all. */
plumb_status plumb__run_write(const json_t *rec, const char *html_path, plumb_error *err);

#endif /* PLUMB_REPORT_RUN_H */
