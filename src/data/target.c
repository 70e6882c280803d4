/* target.c -- the target column as numbers a trainer fits (target.h): one encoding shared by gradient boosting,
 * linear models and trees, so that the same data and --positive-class mean the same labels to every kind of model.
 */
#include "target.h"

#include <math.h>
#include <string.h>

int64_t plumb__find_role(const plumb_frame *fr, plumb_role role) {
    const plumb_schema *s = plumb_frame_schema(fr);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++)
        if (s->cols[j].role == role)
            return j;
    return -1;
}

int64_t plumb__target_find(const plumb_frame *fr) {
    return plumb__find_role(fr, PLUMB_ROLE_TARGET);
}

plumb_status plumb__weights(const plumb_frame *fr, const double **w, double *sum, double *max, plumb_error *err) {
    const int64_t n = plumb_frame_n_rows(fr), col = plumb__find_role(fr, PLUMB_ROLE_WEIGHT);
    double total = (double)n, largest = 1;
    *w = NULL;
    if (col >= 0) {
        const plumb__schema_col *c = &plumb_frame_schema(fr)->cols[col];
        const double *v = plumb_frame_f64(fr, col);
        if (!v)
            return plumb__fail(err, PLUMB_EINVAL, "weight column '%s' must be numeric, not %s", c->name,
                               plumb_type_name(c->type));
        total = largest = 0;
        for (int64_t i = 0; i < n; i++) {
            const char *what = isnan(v[i]) ? "missing" : isinf(v[i]) ? "infinite" : v[i] < 0 ? "negative" : NULL;
            if (what)
                return plumb__fail(err, PLUMB_EINVAL, "weight '%s' is %s in data row %lld", c->name, what,
                                   (long long)i + 1);
            total += v[i];
            largest = v[i] > largest ? v[i] : largest;
        }
        if (!(total > 0))
            return plumb__fail(err, PLUMB_EINVAL, "weights '%s' are all zero", c->name);
        *w = v;
    }
    if (sum)
        *sum = total;
    if (max)
        *max = largest;
    return PLUMB_OK;
}

plumb_status plumb__target_labels(const plumb_frame *fr, int64_t target, plumb_task *task, const char *positive_name,
                                  double *y, int32_t *n_classes, plumb_error *err) {
    const int64_t n = plumb_frame_n_rows(fr);
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(fr), target, &c);
    const double *num = plumb_frame_f64(fr, target);
    const int32_t *codes = plumb_frame_codes(fr, target);
    const uint8_t *u8 = plumb_frame_u8(fr, target);
    if (n_classes)
        *n_classes = 1;
    for (int64_t i = 0; i < n; i++) {
        bool missing = num ? isnan(num[i]) : codes ? codes[i] < 0 : u8 ? u8[i] == PLUMB_BOOL_MISSING : true;
        if (missing)
            return plumb__fail(err, PLUMB_EINVAL, "target '%s' is missing in data row %lld", c.name, (long long)i + 1);
    }
    if (*task == PLUMB_TASK_MULTICLASS && !n_classes)
        return plumb__fail(err, PLUMB_EINVAL, "this kind of model does not handle multiclass targets yet");
    if (codes && n_classes && (*task == PLUMB_TASK_MULTICLASS || (*task == PLUMB_TASK_AUTO && c.n_categories > 2))) {
        if (c.n_categories < 2)
            return plumb__fail(err, PLUMB_EINVAL, "target '%s' has %lld categories: a classifier needs 2 or more",
                               c.name, (long long)c.n_categories);
        for (int64_t i = 0; i < n; i++)
            y[i] = codes[i];
        *n_classes = (int32_t)c.n_categories;
        *task = PLUMB_TASK_MULTICLASS;
        return PLUMB_OK;
    }
    if (*task == PLUMB_TASK_MULTICLASS)
        return plumb__fail(err, PLUMB_EINVAL, "target '%s' must be categorical for a multiclass model", c.name);
    if (codes) {
        if (*task == PLUMB_TASK_REGRESSION)
            return plumb__fail(err, PLUMB_EINVAL, "target '%s' is categorical: regression needs numbers", c.name);
        if (c.n_categories != 2)
            return plumb__fail(err, PLUMB_EINVAL,
                               "target '%s' has %lld categories: a binary model needs exactly 2 (regression needs "
                               "numbers)",
                               c.name, (long long)c.n_categories);
        int32_t pos = 1;
        if (positive_name) {
            pos = -1;
            for (int32_t k = 0; k < 2; k++)
                if (strcmp(c.categories[k], positive_name) == 0)
                    pos = k;
            if (pos < 0)
                return plumb__fail(err, PLUMB_EINVAL, "positive class '%s' is not a category of '%s' ('%s', '%s')",
                                   positive_name, c.name, c.categories[0], c.categories[1]);
        }
        for (int64_t i = 0; i < n; i++)
            y[i] = codes[i] == pos;
        *task = PLUMB_TASK_BINARY;
        return PLUMB_OK;
    }
    if (u8) {
        for (int64_t i = 0; i < n; i++)
            y[i] = u8[i];
        if (*task == PLUMB_TASK_AUTO)
            *task = PLUMB_TASK_BINARY;
        return PLUMB_OK;
    }
    if (!num)
        return plumb__fail(err, PLUMB_EINVAL, "target '%s' must be numeric, bool or categorical", c.name);
    bool zero_one = true;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(num[i]))
            return plumb__fail(err, PLUMB_EINVAL, "target '%s' is infinite in data row %lld", c.name, (long long)i + 1);
        zero_one &= num[i] == 0 || num[i] == 1;
        y[i] = num[i];
    }
    if (*task == PLUMB_TASK_AUTO)
        *task = zero_one ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    if (*task == PLUMB_TASK_BINARY && !zero_one)
        return plumb__fail(err, PLUMB_EINVAL, "target '%s' has values other than 0 and 1: not binary", c.name);
    return PLUMB_OK;
}
