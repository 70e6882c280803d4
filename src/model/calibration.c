/* calibration.c -- a model's probability calibration: fitted on held-out data after training, stored in the model
 * file, applied by plumb_model_predict.
 *
 * Gradient-boosted and single-tree probabilities are often over- or under-confident; a monotone map fitted on rows
 * the model did not train on (isotonic regression, or Platt's sigmoid) fixes that without changing the ranking
 * much (isotonic ties some scores, Platt keeps the order). The calibrators themselves live in src/eval.
 */
#include "../eval/eval.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Labels 0/1 of frame's target column (named as the model's), as the model encodes them. */
static plumb_status model_labels(const plumb_model *m, const plumb_frame *frame, double *y, plumb_error *err) {
    const plumb_schema *ms = m->schema;
    const char *name = NULL;
    for (int64_t j = 0; j < ms->n && !name; j++)
        if (ms->cols[j].role == PLUMB_ROLE_TARGET)
            name = ms->cols[j].name;
    const int64_t col = name ? plumb_frame_find(frame, name) : -1;
    if (col < 0)
        return plumb__fail(err, PLUMB_ESCHEMA, "the calibration data has no target column '%s'", name ? name : "");
    const int64_t n = plumb_frame_n_rows(frame);
    const int32_t *codes = plumb_frame_codes(frame, col);
    const uint8_t *u8 = plumb_frame_u8(frame, col);
    const double *f64 = plumb_frame_f64(frame, col);
    const char *positive = plumb_model_positive_class(m);
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(frame), col, &c);
    for (int64_t i = 0; i < n; i++) {
        if (codes && positive && codes[i] >= 0)
            y[i] = strcmp(c.categories[codes[i]], positive) == 0;
        else if (u8 && u8[i] != PLUMB_BOOL_MISSING)
            y[i] = u8[i];
        else if (f64 && (f64[i] == 0 || f64[i] == 1))
            y[i] = f64[i];
        else
            return plumb__fail(err, PLUMB_EINVAL, "target '%s' is missing or not a class of the model in data row %lld",
                               name, (long long)i + 1);
    }
    return PLUMB_OK;
}

/* The weight column of frame, or NULL. */
static const double *frame_weights(const plumb_frame *frame) {
    const plumb_schema *fs = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(fs); j++) {
        plumb_column_info ci;
        plumb_schema_column(fs, j, &ci);
        if (ci.role == PLUMB_ROLE_WEIGHT)
            return plumb_frame_f64(frame, j);
    }
    return NULL;
}

/* Fails unless rows of positive weight hold both classes: one class (or one row) leaves nothing to map, the
 * calibrator would predict one constant for every row. */
static plumb_status check_classes(const plumb_model *m, const double *y, const double *w, int64_t n, plumb_error *err) {
    double cw[2] = {0, 0};
    for (int64_t i = 0; i < n; i++)
        cw[y[i] > 0.5] += w ? w[i] : 1.0;
    if (cw[0] > 0 && cw[1] > 0)
        return PLUMB_OK;
    const char *pos = plumb_model_positive_class(m);
    char present[300] = "the negative class";
    if (cw[1] > 0)
        snprintf(present, sizeof present, "the positive class%s%.256s%s", pos ? " ('" : "", pos ? pos : "",
                 pos ? "')" : "");
    return plumb__fail(err, PLUMB_EINVAL,
                       "cannot calibrate on %lld row%s, all of %s: calibration needs rows of both classes",
                       (long long)n, n == 1 ? "" : "s", present);
}

static plumb__calibration_kind kind_of(plumb_calibration method) {
    return method == PLUMB_CALIBRATION_ISOTONIC ? PLUMB__CALIBRATE_ISOTONIC : PLUMB__CALIBRATE_PLATT;
}

/* Fits method's map to score, y, w (n rows), centring an isotonic one. */
static plumb_status fit_map(plumb_calibration method, const double *score, const double *y, const double *w, int64_t n,
                            plumb__calibrator **out, plumb_error *err) {
    plumb_status st = plumb__calibrate_fit(kind_of(method), score, y, w, n, out, err);
    if (st == PLUMB_OK && method == PLUMB_CALIBRATION_ISOTONIC)
        plumb__calibrate_center(*out, score, w, n);
    return st;
}

plumb_status plumb_model_calibrate_crossfit(const plumb_model *m, const plumb_frame *frame, plumb_calibration method,
                                            int32_t *folds, uint64_t seed, double *y, double *score, double *out,
                                            plumb_error *err) {
    plumb__error_clear(err);
    if (m->task != PLUMB_TASK_BINARY)
        return plumb__fail(err, PLUMB_EINVAL, "calibration needs a binary model");
    if (method != PLUMB_CALIBRATION_ISOTONIC && method != PLUMB_CALIBRATION_PLATT)
        return plumb__fail(err, PLUMB_EINVAL, "unknown calibration method");
    const int64_t n = plumb_frame_n_rows(frame);
    const double *w = frame_weights(frame);
    int64_t *labels = malloc((size_t)(n + 1) * sizeof *labels), *tr = malloc((size_t)(n + 1) * sizeof *tr);
    int64_t *te = malloc((size_t)(n + 1) * sizeof *te);
    double *s2 = malloc((size_t)(n + 1) * sizeof *s2), *y2 = malloc((size_t)(n + 1) * sizeof *y2);
    double *w2 = malloc((size_t)(n + 1) * sizeof *w2);
    plumb_split *split = NULL;
    plumb__calibrator *c = NULL;
    plumb_status st = PLUMB_OK;
    if (!labels || !tr || !te || !s2 || !y2 || !w2) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    const plumb_predict_options po = {.uncalibrated = true};
    st = plumb_model_predict(m, frame, &po, score, err);
    if (st != PLUMB_OK || (st = model_labels(m, frame, y, err)) != PLUMB_OK ||
        (st = check_classes(m, y, w, n, err)) != PLUMB_OK)
        goto done;
    int64_t n_pos = 0;
    for (int64_t i = 0; i < n; i++)
        n_pos += labels[i] = y[i] > 0.5;
    const int64_t fewest = n_pos < n - n_pos ? n_pos : n - n_pos;
    if (*folds <= 0) /* stratified folds need a row of each class: 5, or fewer when a class has fewer rows */
        *folds = (int32_t)(fewest < 5 ? fewest : 5);
    if (*folds < 2 || fewest < *folds) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "cannot cross-fit a calibration in %d folds: the smaller class has %lld row%s of %lld",
                         (int)*folds, (long long)fewest, fewest == 1 ? "" : "s", (long long)n);
        goto done;
    }
    const int32_t n_folds = *folds;
    plumb_split_options so;
    plumb_split_options_init(&so);
    so.strategy = PLUMB_SPLIT_STRATIFIED;
    so.n_folds = n_folds;
    so.seed = seed;
    so.labels = labels;
    if ((st = plumb_split_create(n, &so, &split, err)) != PLUMB_OK)
        goto done;
    for (int32_t f = 0; f < n_folds; f++) {
        int64_t ntr, nte;
        plumb_split_rows(split, f, tr, &ntr, te, &nte);
        for (int64_t i = 0; i < ntr; i++) {
            s2[i] = score[tr[i]];
            y2[i] = y[tr[i]];
            w2[i] = w ? w[tr[i]] : 1.0;
        }
        if ((st = check_classes(m, y2, w ? w2 : NULL, ntr, err)) != PLUMB_OK ||
            (st = fit_map(method, s2, y2, w ? w2 : NULL, ntr, &c, err)) != PLUMB_OK)
            goto done;
        for (int64_t i = 0; i < nte; i++)
            s2[i] = score[te[i]];
        plumb__calibrate_apply(c, s2, nte, s2);
        for (int64_t i = 0; i < nte; i++)
            out[te[i]] = s2[i];
        plumb__calibrate_free(c);
        c = NULL;
    }
done:
    plumb__calibrate_free(c);
    plumb_split_free(split);
    free(labels);
    free(tr);
    free(te);
    free(s2);
    free(y2);
    free(w2);
    return st;
}

plumb_status plumb_model_calibrate(plumb_model *m, const plumb_frame *frame, plumb_calibration method,
                                   plumb_error *err) {
    plumb__error_clear(err);
    if (m->task != PLUMB_TASK_BINARY)
        return plumb__fail(err, PLUMB_EINVAL, "calibration needs a binary model");
    if (method != PLUMB_CALIBRATION_ISOTONIC && method != PLUMB_CALIBRATION_PLATT)
        return plumb__fail(err, PLUMB_EINVAL, "unknown calibration method");
    const int64_t n = plumb_frame_n_rows(frame);
    double *score = malloc((size_t)(n + 1) * sizeof *score), *y = malloc((size_t)(n + 1) * sizeof *y);
    plumb__calibrator *c = NULL;
    plumb_status st = PLUMB_OK;
    if (!score || !y) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    /* the uncalibrated probabilities: drop any calibrator first */
    plumb__calibrate_free(m->calibrator);
    m->calibrator = NULL;
    if ((st = plumb_model_predict(m, frame, NULL, score, err)) != PLUMB_OK ||
        (st = model_labels(m, frame, y, err)) != PLUMB_OK)
        goto done;
    const double *w = frame_weights(frame);
    if ((st = check_classes(m, y, w, n, err)) != PLUMB_OK ||
        (st = fit_map(method, score, y, w, n, &c, err)) != PLUMB_OK)
        goto done;
    m->calibrator = c;
done:
    free(score);
    free(y);
    return st;
}
