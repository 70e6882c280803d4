/* target.h -- the target column as numbers a trainer fits: one encoding for every kind of model.
 *
 * Binary targets become 0/1 labels (1 = the positive class): a categorical target with exactly two categories
 * (positive: the one named, else the second in sorted order), a bool target (true), or numbers that are all 0 or 1.
 * Regression targets are finite numbers. A missing target value is an error, as is a target that fits neither.
 */
#ifndef PLUMB_DATA_TARGET_H
#define PLUMB_DATA_TARGET_H

#include "data.h"

/* Index of the frame's first column with the role, or -1 when it has none. */
int64_t plumb__find_role(const plumb_frame *fr, plumb_role role);

/* Index of the frame's target column, or -1 when it has none. */
int64_t plumb__target_find(const plumb_frame *fr);

/* The frame's sample weights, borrowed: *w is NULL when it has no weight column. *sum and *max (OUT; may be NULL)
 * are their sum and largest value (the row count and 1 without a column). Returns PLUMB_EINVAL naming the column
 * and row for a weight that is missing, infinite or negative, when every weight is zero, or for a column that is
 * not numeric. */
plumb_status plumb__weights(const plumb_frame *fr, const double **w, double *sum, double *max, plumb_error *err);

/* Fills y (n_rows values) with the labels of column target of fr: 0/1 for binary, the values for regression, and
 * with n_classes (a trainer that handles multiclass targets; NULL otherwise) the class index for a categorical
 * target with more than two categories (or any, when *task is multiclass), *n_classes set to their number (1 for
 * the other tasks). Resolves PLUMB_TASK_AUTO in *task. positive_name (may be NULL) names the positive class of a
 * categorical target. Returns PLUMB_EINVAL naming the column (and row) for a missing or infinite value, a target
 * that cannot be binary or regression, or an unknown positive class. */
plumb_status plumb__target_labels(const plumb_frame *fr, int64_t target, plumb_task *task, const char *positive_name,
                                  double *y, int32_t *n_classes, plumb_error *err);

#endif /* PLUMB_DATA_TARGET_H */
