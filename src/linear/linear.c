/* linear.c -- linear and logistic regression: parameters, training, scoring, coefficients.
 *
 * plumb_linear_train checks the parameters, encodes the target as every trainer does (src/data/target.c), checks
 * the sample weights and applies the class weights, learns the preprocessing (design.c) and fits the coefficients
 * (solve.c). The model is a plumb_model of kind PLUMB_MODEL_LINEAR whose `linear` field holds everything here;
 * predict.c and model.c call into this file (and serial.c) for that kind. Scoring builds design rows with the
 * training's own function, so a row scores exactly as it did in training.
 */
#include "linear.h"

#include "../data/target.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_DESIGN 4096 /* design columns: the p x p Hessian of a Newton step stays at 128 MiB */

void plumb_linear_params_init(plumb_linear_params *p) {
    memset(p, 0, sizeof *p);
    p->task = PLUMB_TASK_AUTO;
    p->alpha = 1e-4;
    p->l1_ratio = 0;
    p->standardize = 1;
    p->clip_quantile = 0;
    p->min_category_weight = 0;
    p->max_iter = 100;
    p->tol = 1e-8;
}

static plumb_status check_params(const plumb_linear_params *p, plumb_error *err) {
    const char *bad = NULL;
    if (!(p->alpha >= 0) || !isfinite(p->alpha))
        bad = "alpha must be a finite number >= 0";
    else if (!(p->l1_ratio >= 0 && p->l1_ratio <= 1))
        bad = "l1_ratio must be in [0, 1]";
    else if (!(p->clip_quantile >= 0 && p->clip_quantile < 0.5))
        bad = "clip_quantile must be in [0, 0.5)";
    else if (!(p->min_category_weight >= 0) || !isfinite(p->min_category_weight))
        bad = "min_category_weight must be a finite number >= 0";
    else if (p->max_iter < 1)
        bad = "max_iter must be at least 1";
    else if (!(p->tol > 0) || !isfinite(p->tol))
        bad = "tol must be a finite number > 0";
    else if (p->n_threads < 0)
        bad = "n_threads must be at least 0";
    else if (p->task != PLUMB_TASK_AUTO && p->task != PLUMB_TASK_BINARY && p->task != PLUMB_TASK_REGRESSION)
        bad = "unknown task";
    return bad ? plumb__fail(err, PLUMB_EINVAL, "%s", bad) : PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Model state                                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__linear_free(plumb__linear *lin) {
    if (!lin)
        return;
    for (int64_t i = 0; lin->inputs && i < lin->n_inputs; i++)
        free(lin->inputs[i].levels);
    free(lin->inputs);
    for (int64_t j = 0; lin->names && j < lin->p; j++)
        free(lin->names[j]);
    free(lin->names);
    free(lin->beta);
    free(lin->coefs);
    free(lin->class_weight);
    free(lin->positive_class);
    free(lin);
}

static char *concat(const char *a, const char *sep, const char *b) {
    const size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
    char *s = malloc(na + ns + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, sep, ns);
        memcpy(s + na + ns, b, nb + 1);
    }
    return s;
}

bool plumb__linear_finish(plumb__linear *lin, const plumb_schema *schema) {
    const int64_t p = lin->p;
    if (!(lin->names = calloc((size_t)p, sizeof *lin->names)) || !(lin->coefs = calloc((size_t)p, sizeof *lin->coefs)))
        return false;
    const bool logistic = lin->positive_class != NULL;
    if (!(lin->names[0] = plumb__strdup("(intercept)")))
        return false;
    double intercept = lin->beta[0];
    for (int64_t k = 0; k < lin->n_inputs; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        plumb_column_info c;
        plumb_schema_column(schema, in->column, &c);
        const int64_t width = in->type == PLUMB_TYPE_CATEGORICAL ? in->n_levels : 1 + in->indicator;
        for (int64_t l = 0; l < width; l++) {
            const int64_t j = in->first + l;
            plumb_coefficient *co = &lin->coefs[j];
            co->center = 0;
            co->scale = 1;
            if (in->type == PLUMB_TYPE_CATEGORICAL)
                lin->names[j] = concat(c.name, "=", c.categories[in->levels[l]]);
            else if (l == 1)
                lin->names[j] = concat(c.name, ":", "missing");
            else {
                lin->names[j] = concat(c.name, "", "");
                co->center = in->center;
                co->scale = in->scale;
            }
            if (!lin->names[j])
                return false;
            co->name = lin->names[j];
            co->column = c.name;
            co->standardized = lin->beta[j];
            co->value = lin->beta[j] / co->scale;
            intercept -= co->value * co->center;
        }
    }
    lin->coefs[0] = (plumb_coefficient){.name = lin->names[0],
                                        .column = NULL,
                                        .value = intercept,
                                        .standardized = lin->beta[0],
                                        .center = 0,
                                        .scale = 1};
    for (int64_t j = 0; j < p; j++) {
        lin->coefs[j].odds_ratio = logistic ? exp(lin->coefs[j].value) : NAN;
        lin->coefs[j].odds_ratio_std = logistic ? exp(lin->coefs[j].standardized) : NAN;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Training                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

/* Parses the class_weight parameter into cw[0] (negative class) and cw[1] (positive), given the classes' names
 * and row counts. */
static plumb_status class_weights(const char *spec, const char *const names[2], const double counts[2],
                                  const char *target, double cw[2], plumb_error *err) {
    cw[0] = cw[1] = 1;
    if (!spec)
        return PLUMB_OK;
    if (strcmp(spec, "balanced") == 0) {
        for (int c = 0; c < 2; c++)
            cw[c] = (counts[0] + counts[1]) / (2 * counts[c]);
        return PLUMB_OK;
    }
    const char *s = spec;
    bool seen[2] = {false, false};
    while (*s) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        char item[256];
        snprintf(item, sizeof item, "%.*s", (int)(end - s), s);
        if (!eq)
            return plumb__fail(err, PLUMB_EINVAL, "class weight '%s' is not CLASS=WEIGHT (or give \"balanced\")", item);
        int c = -1;
        for (int k = 0; k < 2; k++)
            if ((size_t)(eq - s) == strlen(names[k]) && memcmp(s, names[k], (size_t)(eq - s)) == 0)
                c = k;
        if (c < 0)
            return plumb__fail(err, PLUMB_EINVAL, "class weight '%s': '%.*s' is not a class of '%s' ('%s', '%s')", item,
                               (int)(eq - s), s, target, names[0], names[1]);
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(end - eq - 1), eq + 1);
        char *stop;
        errno = 0;
        const double v = strtod(num, &stop);
        if (stop == num || *stop || !isfinite(v) || !(v > 0) || end - eq - 1 >= (int)sizeof num)
            return plumb__fail(err, PLUMB_EINVAL, "class weight '%s': the weight must be a positive number", item);
        if (seen[c])
            return plumb__fail(err, PLUMB_EINVAL, "class weight: class '%s' is given twice", names[c]);
        seen[c] = true;
        cw[c] = v;
        s = comma ? comma + 1 : end;
    }
    return PLUMB_OK;
}

static plumb_status train_linear(const plumb_frame *train, const plumb_linear_params *params, plumb_model **out,
                                 plumb_error *err) {
    plumb_status st;
    plumb_model *m = NULL;
    plumb__linear *lin = NULL;
    double *y = NULL, *w = NULL;
    plumb__linear_bound bound = {0};
    *out = NULL;
    plumb__error_clear(err);
    if ((st = check_params(params, err)) != PLUMB_OK)
        return st;
    const int64_t target = plumb__target_find(train);
    if (target < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    const int64_t n = plumb_frame_n_rows(train);
    if (n < 1)
        return plumb__fail(err, PLUMB_EINVAL, "no training rows");
    const double *sw;
    double SW;
    if ((st = plumb__weights(train, &sw, &SW, NULL, err)) != PLUMB_OK)
        return st;
    if (!(m = plumb__model_new(&plumb__linear_ops)) || !(lin = m->impl = calloc(1, sizeof *lin)) ||
        !(y = malloc((size_t)n * sizeof *y)))
        goto nomem;
    m->n_outputs = 1;
    lin->params = *params;
    lin->params.positive_class = NULL;
    lin->params.class_weight = NULL;
    lin->params.n_threads = 0;
    m->task = params->task;
    if ((st = plumb__target_labels(train, target, &m->task, params->positive_class, y, NULL, err)) != PLUMB_OK)
        goto done;
    if (!(m->schema = plumb__schema_copy(plumb_frame_schema(train), false)))
        goto nomem;

    /* binary: both classes present, the positive class's name, class weights */
    plumb_column_info tc;
    plumb_schema_column(plumb_frame_schema(train), target, &tc);
    const bool logistic = m->task == PLUMB_TASK_BINARY;
    double cw[2] = {1, 1};
    if (logistic) {
        const char *names[2] = {"0", "1"};
        if (plumb_frame_codes(train, target)) {
            const bool first = params->positive_class && strcmp(params->positive_class, tc.categories[0]) == 0;
            names[0] = tc.categories[first ? 1 : 0];
            names[1] = tc.categories[first ? 0 : 1];
        } else if (plumb_frame_u8(train, target)) {
            names[0] = "false";
            names[1] = "true";
        }
        double counts[2] = {0, 0}, wc[2] = {0, 0};
        for (int64_t i = 0; i < n; i++) {
            counts[y[i] != 0]++;
            wc[y[i] != 0] += sw ? sw[i] : 1;
        }
        for (int c = 0; c < 2; c++)
            if (!(wc[c] > 0)) {
                st = plumb__fail(err, PLUMB_EINVAL,
                                 "target '%s' has only one class ('%s'%s): logistic regression needs both", tc.name,
                                 names[1 - c], counts[c] > 0 ? " with weight" : "");
                goto done;
            }
        if ((st = class_weights(params->class_weight, names, counts, tc.name, cw, err)) != PLUMB_OK)
            goto done;
        if (!(lin->positive_class = plumb__strdup(names[1])))
            goto nomem;
        if (params->class_weight && !(lin->class_weight = plumb__strdup(params->class_weight)))
            goto nomem;
    } else if (params->class_weight) {
        st = plumb__fail(err, PLUMB_EINVAL, "class weights need a binary target; '%s' is a regression target", tc.name);
        goto done;
    }
    double W = SW;
    if (logistic && (cw[0] != 1 || cw[1] != 1)) {
        if (!(w = malloc((size_t)n * sizeof *w)))
            goto nomem;
        W = 0;
        for (int64_t i = 0; i < n; i++) {
            w[i] = (sw ? sw[i] : 1) * cw[y[i] != 0];
            W += w[i];
        }
    }

    const int nt = plumb__threads(params->n_threads);
    if ((st = plumb__linear_fit_design(lin, train, sw, nt, err)) != PLUMB_OK)
        goto done;
    plumb__log(PLUMB_LOG_DEBUG, "linear model: preprocessing learned: %lld inputs, %lld design columns",
               (long long)lin->n_inputs, (long long)lin->p - 1);
    if (lin->p > MAX_DESIGN) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "%lld design columns are more than %d: drop rare categories (min_category_weight) or "
                         "columns with many categories",
                         (long long)lin->p - 1, MAX_DESIGN - 1);
        goto done;
    }
    if (!(lin->beta = calloc((size_t)lin->p, sizeof *lin->beta)))
        goto nomem;
    if ((st = plumb__linear_bind(lin, m->schema, train, &bound, err)) != PLUMB_OK)
        goto done;
    const plumb__linear_problem pr = {.lin = lin,
                                      .b = &bound,
                                      .n = n,
                                      .y = y,
                                      .w = w ? w : sw,
                                      .sw = sw,
                                      .W = W,
                                      .SW = SW,
                                      .logistic = logistic,
                                      .nt = nt};
    if ((st = plumb__linear_solve(lin, &pr, err)) != PLUMB_OK)
        goto done;
    if (!plumb__linear_finish(lin, m->schema) || !plumb__linear_set_features(m))
        goto nomem;
    plumb__model_stamp(m, train);
    *out = m;
    m = NULL;
    st = PLUMB_OK;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb__linear_unbind(&bound);
    free(y);
    free(w);
    plumb_model_free(m);
    return st;
}

/* The C locale around it, whatever the host set: its numbers are read and written the same everywhere. */
plumb_status plumb_linear_train(const plumb_frame *train, const plumb_linear_params *params, plumb_model **out,
                                plumb_error *err) {
    const locale_t saved = plumb__c_locale_enter();
    plumb_status r = train_linear(train, params, out, err);
    plumb__c_locale_leave(saved);
    return r;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Scoring and accessors                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

/* An infinite value has no place on a standardised scale unless clipping bounds it. */
static plumb_status check_block(const plumb_model *m, const float *x, int64_t nr, int64_t row, plumb_error *err) {
    const plumb__linear *lin = plumb__linear_of(m);
    const int64_t F = lin->n_inputs;
    for (int64_t k = 0; k < F; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        if (in->type != PLUMB_TYPE_NUMERIC || (isfinite(in->lo) && isfinite(in->hi)))
            continue;
        for (int64_t i = 0; i < nr; i++)
            if (isinf(x[i * F + k]))
                return plumb__fail(err, PLUMB_EINVAL, "column '%s' has an infinite value in data row %lld",
                                   m->schema->cols[in->column].name, (long long)(row + i + 1));
    }
    return PLUMB_OK;
}

static int cmp_i32(const void *a, const void *b) {
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The design rows of nr rows of feature values x (row-major, one value per input), column-major into d:
 * d[j * ld + i], with the same arithmetic as plumb__linear_design on a frame. */
static void design_values(const plumb__linear *lin, const float *x, int64_t nr, double *d, int64_t ld) {
    const int64_t F = lin->n_inputs;
    for (int64_t i = 0; i < nr; i++)
        d[i] = 1;
    for (int64_t k = 0; k < F; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        double *col = d + in->first * ld;
        if (in->type == PLUMB_TYPE_NUMERIC) {
            const double lo = in->lo, hi = in->hi, fill = in->fill, c = in->center, inv = 1 / in->scale;
            for (int64_t i = 0; i < nr; i++) {
                const double xi = x[i * F + k];
                col[i] = ((xi != xi ? fill : xi < lo ? lo : xi > hi ? hi : xi) - c) * inv;
                if (in->indicator)
                    col[ld + i] = xi != xi;
            }
        } else if (in->type == PLUMB_TYPE_BOOL) {
            for (int64_t i = 0; i < nr; i++) {
                const float v = x[i * F + k];
                col[i] = v != v ? in->fill : v;
                if (in->indicator)
                    col[ld + i] = v != v;
            }
        } else {
            memset(col, 0, (size_t)(in->n_levels * ld) * sizeof *col);
            for (int64_t i = 0; i < nr; i++) {
                const int32_t code = (int32_t)x[i * F + k];
                const int32_t *hit = code >= 0 && in->n_levels > 0
                                         ? bsearch(&code, in->levels, (size_t)in->n_levels, sizeof *in->levels, cmp_i32)
                                         : NULL;
                if (hit)
                    col[(hit - in->levels) * ld + i] = 1;
            }
        }
    }
}

static size_t scratch(const plumb_model *m, int64_t nr) {
    return (size_t)(plumb__linear_of(m)->p * nr) * sizeof(double);
}

/* Predictions (probabilities for logistic regression): the design row times the coefficients, summed in design
 * column order. */
static void score_block(const plumb_model *m, const float *x, int64_t nr, void *work, double *f) {
    const plumb__linear *lin = plumb__linear_of(m);
    double *d = work;
    design_values(lin, x, nr, d, nr);
    for (int64_t i = 0; i < nr; i++)
        f[i] = 0;
    for (int64_t j = 0; j < lin->p; j++) {
        const double bj = lin->beta[j], *dj = d + j * nr;
        for (int64_t i = 0; i < nr; i++)
            f[i] += bj * dj[i];
    }
    if (m->task == PLUMB_TASK_BINARY)
        for (int64_t i = 0; i < nr; i++)
            f[i] = 1 / (1 + exp(-f[i]));
}

static void describe(const plumb_model *m, plumb_model_info *info) {
    const plumb__linear *lin = plumb__linear_of(m);
    info->n_iterations = lin->n_iter;
    info->best_iteration = lin->n_iter;
    info->metric = m->task == PLUMB_TASK_BINARY ? "binary_logloss" : "l2";
    info->train_metric = lin->train_metric;
}

static const char *positive_class(const plumb_model *m) {
    return plumb__linear_of(m)->positive_class;
}

static void free_impl(void *impl) {
    plumb__linear_free(impl);
}

const plumb__model_ops plumb__linear_ops = {
    .name = "linear",
    .kind = PLUMB_MODEL_LINEAR,
    .free = free_impl,
    .scratch = scratch,
    .score_block = score_block,
    .check_block = check_block,
    .describe = describe,
    .to_json = plumb__linear_model_json,
    .from_json = plumb__linear_model_parse,
    .positive_class = positive_class,
};

plumb_status plumb_model_coefficients(const plumb_model *m, const plumb_coefficient **out, int64_t *n,
                                      plumb_error *err) {
    *out = NULL;
    *n = 0;
    if (!m || m->ops != &plumb__linear_ops)
        return plumb__fail(err, PLUMB_EINVAL, "the model is not linear: only linear models have coefficients");
    *out = plumb__linear_of(m)->coefs;
    *n = plumb__linear_of(m)->p;
    return PLUMB_OK;
}

plumb_status plumb_linear_describe(const plumb_model *m, plumb_linear_info *info, plumb_error *err) {
    memset(info, 0, sizeof *info);
    if (!m || m->ops != &plumb__linear_ops)
        return plumb__fail(err, PLUMB_EINVAL, "the model is not linear");
    const plumb__linear *lin = plumb__linear_of(m);
    info->alpha = lin->params.alpha;
    info->l1_ratio = lin->params.l1_ratio;
    info->n_inputs = lin->n_inputs;
    info->n_coefficients = lin->p;
    for (int64_t j = 1; j < lin->p; j++)
        info->n_nonzero += lin->beta[j] != 0;
    info->n_iterations = lin->n_iter;
    info->converged = lin->converged;
    info->objective = lin->objective;
    info->positive_class = lin->positive_class;
    return PLUMB_OK;
}
