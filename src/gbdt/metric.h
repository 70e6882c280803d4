/* metric.h -- metrics of gradient boosting (LightGBM's names), on raw scores: see metric.c. */
#ifndef PLUMB_GBDT_METRIC_H
#define PLUMB_GBDT_METRIC_H

#include "../base/base.h"
#include "objective.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum plumb__metric {
    PLUMB__METRIC_BINARY_LOGLOSS,
    PLUMB__METRIC_AUC,
    PLUMB__METRIC_BINARY_ERROR,
    PLUMB__METRIC_L2,
    PLUMB__METRIC_RMSE,
    PLUMB__METRIC_L1,
    PLUMB__METRIC_HUBER,
    PLUMB__METRIC_POISSON,
    PLUMB__METRIC_QUANTILE,
    PLUMB__METRIC_MAPE,
    PLUMB__METRIC_MULTI_LOGLOSS,
    PLUMB__METRIC_MULTI_ERROR,
} plumb__metric;

const char *plumb__metric_name(plumb__metric m);
bool plumb__metric_higher_better(plumb__metric m);

/* The metric an objective is judged by when none is chosen: its own loss. */
plumb__metric plumb__metric_default(const plumb__objective *o, int32_t n_classes);

/* The metric called name ("poisson", LightGBM's name, is poisson_deviance), checked against the model's kind of output.
 * PLUMB_EINVAL with a message otherwise. */
plumb_status plumb__metric_parse(const char *name, const plumb__objective *o, int32_t n_classes, plumb__metric *out,
                                 plumb_error *err);

/* The metric of raw scores s (n x K, row-major) against labels y (class indices for multiclass), weighted by w
 * (NULL: 1). NaN when out of memory or undefined (AUC with one class). */
double plumb__metric_eval(plumb__metric m, const plumb__objective *o, int32_t K, const double *y, const double *w,
                          const double *s, int64_t n, int nt);

#endif /* PLUMB_GBDT_METRIC_H */
