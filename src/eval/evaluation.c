/* evaluation.c -- one evaluation of scores against labels: the labels read from a frame's target column, the
 * metric list of a task, and every number an evaluation reports (metrics, bootstrap intervals, the confusion
 * matrix, the weights), computed once for `plumb eval`, `plumb cv` and the run records.
 *
 * Moved from the command line (cli/evaluate.c) so that the run records (src/report/run.c) and the case studies
 * compute an evaluation the same way the commands do. Errors name the data they are about (source) as their path,
 * so a caller prints them as "credit.csv: target 'Status' is missing in data row 12".
 */
#include "../base/base.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fills err with "source: message" (source, when not NULL, as the path) and returns PLUMB_EINVAL. */
static plumb_status data_error(plumb_error *err, const char *source, const char *fmt, ...) PLUMB__PRINTF(3, 4);
static plumb_status data_error(plumb_error *err, const char *source, const char *fmt, ...) {
    char msg[PLUMB_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return plumb__error_at(err, PLUMB_EINVAL, source, 0, 0, "%s", msg);
}

plumb_status plumb_frame_labels(const plumb_frame *fr, int64_t col, const char *source, plumb_task *task,
                                const char **positive, int64_t *n_classes, double *y, plumb_error *err) {
    plumb__error_clear(err);
    const int64_t n = plumb_frame_n_rows(fr);
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(fr), col, &c);
    const double *num = plumb_frame_f64(fr, col);
    const float *f32 = plumb_frame_f32(fr, col);
    const int32_t *codes = plumb_frame_codes(fr, col);
    const uint8_t *u8 = plumb_frame_u8(fr, col);
    if (!num && !f32 && !codes && !u8)
        return data_error(err, source, "target '%s' must be numeric, bool or categorical", c.name);
    for (int64_t i = 0; i < n; i++) {
        const bool missing = num     ? isnan(num[i])
                             : f32   ? isnan(f32[i])
                             : codes ? codes[i] == PLUMB_CODE_MISSING
                                     : u8[i] == PLUMB_BOOL_MISSING;
        if (missing)
            return data_error(err, source, "target '%s' is missing in data row %lld", c.name, (long long)i + 1);
        if (codes && codes[i] < 0)
            return data_error(err, source, "target '%s' has a category the model was not trained on in data row %lld",
                              c.name, (long long)i + 1);
        y[i] = num ? num[i] : f32 ? (double)f32[i] : codes ? (double)codes[i] : (double)u8[i];
    }
    *n_classes = 0;
    if (*task == PLUMB_TASK_MULTICLASS) {
        if (codes) {
            *n_classes = c.n_categories;
            return PLUMB_OK;
        }
        double top = 0;
        for (int64_t i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] != floor(y[i]) || y[i] > 1e6)
                return data_error(err, source, "target '%s' in data row %lld is not a class number 0, 1, 2, ...",
                                  c.name, (long long)i + 1);
            top = fmax(top, y[i]);
        }
        *n_classes = (int64_t)top + 1;
        return PLUMB_OK;
    }
    if (codes) {
        if (*task == PLUMB_TASK_REGRESSION || c.n_categories != 2)
            return data_error(err, source,
                              "target '%s' is categorical with %lld categories: binary needs exactly 2 (regression "
                              "needs numbers)",
                              c.name, (long long)c.n_categories);
        int32_t pos = 1;
        if (*positive) {
            pos = strcmp(*positive, c.categories[0]) == 0 ? 0 : strcmp(*positive, c.categories[1]) == 0 ? 1 : -1;
            if (pos < 0)
                return data_error(err, source, "positive class '%s' is not a category of '%s' ('%s', '%s')", *positive,
                                  c.name, c.categories[0], c.categories[1]);
        }
        for (int64_t i = 0; i < n; i++)
            y[i] = codes[i] == pos;
        *positive = c.categories[pos];
        *task = PLUMB_TASK_BINARY;
        return PLUMB_OK;
    }
    if (*positive && (u8 || *task != PLUMB_TASK_REGRESSION)) {
        const double want = u8                            ? strcmp(*positive, "true") == 0    ? 1
                                                            : strcmp(*positive, "false") == 0 ? 0
                                                                                              : -1
                            : strcmp(*positive, "1") == 0 ? 1
                            : strcmp(*positive, "0") == 0 ? 0
                                                          : -1;
        if (want < 0)
            return data_error(err, source, "positive class '%s' is not a value of '%s' (%s)", *positive, c.name,
                              u8 ? "true, false" : "1, 0");
        if (want == 0)
            for (int64_t i = 0; i < n; i++)
                y[i] = 1 - y[i];
    }
    int64_t other = -1; /* the first row whose label is neither 0 nor 1 */
    for (int64_t i = 0; i < n && other < 0; i++)
        if (y[i] != 0 && y[i] != 1)
            other = i;
    if (*task == PLUMB_TASK_AUTO)
        *task = other < 0 ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    if (*task == PLUMB_TASK_BINARY && other >= 0)
        return data_error(err, source, "target '%s' is %g in data row %lld: a binary target is 0 or 1", c.name,
                          y[other], (long long)other + 1);
    return PLUMB_OK;
}

size_t plumb_task_metrics(plumb_task task, bool probabilities, plumb_metric *out) {
    size_t n = 0;
    const char *want = plumb_task_name(task);
    for (int m = 0; m < PLUMB_METRIC_COUNT; m++) {
        const plumb_metric met = (plumb_metric)m;
        if (strcmp(plumb_metric_task(met), want) != 0)
            continue;
        if (!probabilities && (met == PLUMB_METRIC_LOG_LOSS || met == PLUMB_METRIC_BRIER))
            continue;
        if (met == PLUMB_METRIC_POISSON_DEVIANCE || met == PLUMB_METRIC_GAMMA_DEVIANCE ||
            met == PLUMB_METRIC_PINBALL_LOSS)
            continue; /* defined on some data only: plumb_evaluation_compute adds them */
        out[n++] = met;
    }
    return n;
}

void plumb_evaluation_options_init(plumb_evaluation_options *o) {
    memset(o, 0, sizeof *o);
    o->task = PLUMB_TASK_BINARY;
    o->n_resamples = 1000;
}

/* Names source as the path of a library error that names no file. */
static plumb_status report_fail(plumb_error *err, const char *source) {
    if (err && source && !err->path[0])
        snprintf(err->path, sizeof err->path, "%s", source);
    return err ? err->code : PLUMB_EINVAL;
}

plumb_status plumb_evaluation_compute(const plumb_metric_data *d, const plumb_evaluation_options *o,
                                      plumb_evaluation *r, plumb_error *err) {
    plumb_error local;
    if (!err)
        err = &local;
    plumb__error_clear(err);
    const plumb_task task = o->task;
    memset(r, 0, sizeof *r);
    r->task = task;
    if (task != PLUMB_TASK_BINARY && task != PLUMB_TASK_REGRESSION && task != PLUMB_TASK_MULTICLASS)
        return plumb__fail(err, PLUMB_EINVAL, "an evaluation needs a binary, regression or multiclass task, not %s",
                           plumb_task_name(task));
    r->probabilities = true;
    for (int64_t i = 0; task == PLUMB_TASK_BINARY && i < d->n_rows; i++)
        r->probabilities &= d->score[i] >= 0 && d->score[i] <= 1;
    r->n_metrics = plumb_task_metrics(task, r->probabilities, r->metrics);
    if (task == PLUMB_TASK_REGRESSION) {
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
        if (o->pinball)
            r->metrics[r->n_metrics++] = PLUMB_METRIC_PINBALL_LOSS;
    }
    if (plumb_metrics_compute(d, r->metrics, r->n_metrics, r->values, err) != PLUMB_OK)
        return report_fail(err, o->source);
    r->n_rows = (double)d->n_rows;
    for (int64_t i = 0; i < d->n_rows; i++) {
        const double w = d->weight ? d->weight[i] : 1.0;
        r->weight_sum += w;
        r->positives += task == PLUMB_TASK_BINARY ? w * d->label[i] : 0;
    }
    if (task != PLUMB_TASK_REGRESSION) {
        r->n_classes = task == PLUMB_TASK_BINARY ? 2 : d->n_classes;
        if (!(r->confusion = malloc((size_t)(r->n_classes * r->n_classes) * sizeof *r->confusion)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        if (plumb_metrics_confusion(d, task == PLUMB_TASK_MULTICLASS, r->confusion, err) != PLUMB_OK)
            return report_fail(err, o->source);
    }
    if (o->ci_level > 0) {
        plumb_bootstrap_options bo;
        plumb_bootstrap_options_init(&bo);
        bo.level = o->ci_level;
        bo.n_resamples = o->n_resamples;
        bo.seed = o->seed;
        r->ci_level = o->ci_level;
        r->n_resamples = o->n_resamples;
        if (plumb_metrics_bootstrap(d, r->metrics, r->n_metrics, &bo, r->lo, r->hi, err) != PLUMB_OK)
            return report_fail(err, o->source);
    }
    return PLUMB_OK;
}

void plumb_evaluation_free(plumb_evaluation *r) {
    if (!r)
        return;
    free(r->confusion);
    r->confusion = NULL;
}
