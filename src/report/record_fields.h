/* record_fields.h -- parts of a run record the library computes from a model or from scores (record_fields.c):
 * the training settings a reader needs to judge the results, and the regression diagnostics of an evaluation.
 *
 * Each returns a new JSON object (NULL when out of memory) that the record's writer adds under its key
 * (docs/report.md): "model.settings" and "evaluations[i].regression".
 */
#ifndef PLUMB_REPORT_RECORD_FIELDS_H
#define PLUMB_REPORT_RECORD_FIELDS_H

#include "../eval/eval.h"
#include "../model/model.h"

#include <jansson.h>

/* The settings the model was trained with that change what its results mean, under LightGBM's names for boosting
 * and scikit-learn's for the rest: objective (and its alpha), iterations, learning rate, leaves, depth, leaf size,
 * regularisation, sampling, early stopping, monotone constraints ({"Income": -1}), calibration ("isotonic",
 * "platt" or "none"), class weights; and the target's classes (positive_class, negative_class) when it is text. */
json_t *plumb__record_settings(const plumb_model *m);

/* Regression diagnostics of data (labels: actual values, scores: predictions), with frame (may be NULL) holding
 * the same rows: {"points": {"predicted", "actual", "time"}} (at most PLUMB__REG_POINTS rows spread evenly over the
 * data, "time" when frame has a time column -- the column with the time role, else the first datetime one --
 * datetimes as decimal years), "time_name", "time_unit" ("year" for datetimes), and "segments": the error per
 * decile of the prediction, per year (datetimes over two years or more; else per tenth of the time range) and per
 * category of the first categorical feature with 2 to 20 categories, each {"by", "labels", "rows", "mae", "bias"}
 * (bias: mean of actual - predicted). Weights count as in the metrics. NULL without rows. */
json_t *plumb__record_regression(const plumb_metric_data *data, const plumb_frame *frame);

#define PLUMB__REG_POINTS 300

#endif /* PLUMB_REPORT_RECORD_FIELDS_H */
