/* distill.c -- plumb_model_distill: a small student model trained on a teacher's raw scores.
 *
 * The teacher is scored through the model interface (plumb_model_predict), so any kind teaches: gbdt, imported,
 * quantised, linear, tree. Its raw scores are brought to the scale the student's link expects -- log-odds for a
 * binary task, class scores for multiclass (any per-row shift is the same softmax), values (or the log of the mean
 * for a Poisson teacher) for regression: kinds whose raw output is already a probability (linear, tree) give
 * logit(p) or log(p). The student fits them by squared error, per output, and keeps the teacher's link, schema,
 * target and positive class, so it is an ordinary model of the teacher's task.
 *
 * A gradient-boosted student is grown by the gbdt trainer's soft mode (plumb__gbdt_train_soft), which can mix the
 * labels' own loss in. A linear student is a least-squares fit to the margins through the linear trainer, on a
 * frame built here whose columns are the teacher's schema (the teacher's features bound by name, in the teacher's
 * category codes; every other column ignored) with the margins as a numeric target; the fitted model then takes the
 * teacher's task (a logistic model: the sigmoid of its linear score) and schema.
 *
 * The teacher's calibrator is copied into the student: the student learns the uncalibrated scores, which is what
 * the calibration map reads, so calibrated teacher and student predict alike.
 */
#include "../eval/eval.h"
#include "../gbdt/gbdt.h"
#include "../linear/linear.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PROB_EPS 1e-7 /* probabilities are clipped to [eps, 1 - eps] before logit(p) or log(p) */

void plumb_distill_options_init(plumb_distill_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->student = PLUMB_MODEL_GBDT;
    plumb_gbdt_params_init(&opts->gbdt);
    plumb_linear_params_init(&opts->linear);
}

/* The teacher's target column in its schema, or -1. */
static int64_t target_column(const plumb_schema *s) {
    for (int64_t j = 0; j < s->n; j++)
        if (s->cols[j].role == PLUMB_ROLE_TARGET)
            return j;
    return -1;
}

/* Whether the teacher's positive class is the first category of its text target (kinds that keep the class by
 * name, as linear models do, leave model.positive_first unset). */
static bool positive_first(const plumb_model *t) {
    const char *pc = plumb_model_positive_class(t);
    const int64_t tj = target_column(t->schema);
    return pc && tj >= 0 && t->schema->cols[tj].fixed && t->schema->cols[tj].cats.n == 2 &&
           strcmp(t->schema->cols[tj].cat_ptrs[0], pc) == 0;
}

/* The teacher's raw scores on frame (n x K) on the scale of the student's link: *objective says which link. */
static plumb_status teacher_margins(const plumb_model *t, const plumb_frame *frame, int threads, double *z,
                                    plumb_objective *objective, plumb_error *err) {
    const int64_t n = plumb_frame_n_rows(frame), K = t->n_outputs;
    double *p = malloc((size_t)(n * K + 1) * sizeof *p);
    plumb_status st;
    if (!p)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if ((st = plumb_model_predict(t, frame, &(plumb_predict_options){.threads = threads, .raw = true}, z, err)) !=
            PLUMB_OK ||
        (st = plumb_model_predict(t, frame, &(plumb_predict_options){.threads = threads, .uncalibrated = true}, p,
                                  err)) != PLUMB_OK)
        goto done;
    bool same = true, exp_link = true;
    for (int64_t i = 0; i < n * K; i++) {
        same &= z[i] == p[i];
        exp_link &= fabs(exp(z[i]) - p[i]) <= 1e-9 * fmax(1, fabs(p[i]));
    }
    if (t->task == PLUMB_TASK_BINARY) {
        *objective = PLUMB_OBJECTIVE_BINARY;
        for (int64_t i = 0; same && i < n; i++) { /* raw scores that are probabilities: their log-odds */
            const double q = fmin(fmax(p[i], PROB_EPS), 1 - PROB_EPS);
            z[i] = log(q / (1 - q));
        }
    } else if (t->task == PLUMB_TASK_MULTICLASS) {
        *objective = PLUMB_OBJECTIVE_MULTICLASS;
        for (int64_t i = 0; same && i < n * K; i++)
            z[i] = log(fmax(p[i], PROB_EPS));
    } else {
        *objective = !same && exp_link ? PLUMB_OBJECTIVE_POISSON : PLUMB_OBJECTIVE_L2;
    }
done:
    free(p);
    return st;
}

plumb_status plumb_model_margins(const plumb_model *model, const plumb_frame *frame, int threads, double *out,
                                 plumb_error *err) {
    plumb_objective objective;
    plumb__error_clear(err);
    return teacher_margins(model, frame, threads, out, &objective, err);
}

/* The labels of frame as the student's objective reads them (0/1, the teacher's class index, values) into y:
 * PLUMB_EINVAL when the frame has no target column or a label the teacher does not know. */
static plumb_status read_labels(const plumb_model *t, const plumb_frame *frame, double *y, plumb_error *err) {
    const int64_t tj = target_column(t->schema), n = plumb_frame_n_rows(frame);
    const plumb__schema_col *tc = tj >= 0 ? &t->schema->cols[tj] : NULL;
    const int64_t col = tc ? plumb_frame_find(frame, tc->name) : -1;
    if (col < 0)
        return plumb__fail(err, PLUMB_EINVAL, "labels_weight needs the target column '%s' in the data",
                           tc ? tc->name : "?");
    const plumb__schema_col *fc = &frame->schema->cols[col];
    if (t->task == PLUMB_TASK_MULTICLASS && fc->type == PLUMB_TYPE_CATEGORICAL && tc->fixed) {
        const int32_t *codes = plumb_frame_codes(frame, col);
        for (int64_t i = 0; i < n; i++) {
            const int32_t c = codes[i];
            const char *s = c >= 0 && fc->fixed ? fc->cat_ptrs[c] : NULL;
            const int32_t k = s ? plumb__dict_find(&tc->cats, s, strlen(s)) : -1;
            if (k < 0)
                return plumb__fail(err, PLUMB_EINVAL, "target '%s' in data row %lld is %s", tc->name, (long long)i + 1,
                                   s ? "a class the teacher does not know" : "missing");
            y[i] = k;
        }
        return PLUMB_OK;
    }
    plumb_task task = t->task;
    const char *positive = plumb_model_positive_class(t);
    int64_t n_classes = 0;
    return plumb_frame_labels(frame, col, NULL, &task, &positive, &n_classes, y, err);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* A linear student                                                                                            */
/* ---------------------------------------------------------------------------------------------------------- */

/* A frame of the teacher's schema over frame's rows: the teacher's features (numeric as f32, bool as u8,
 * categorical in the teacher's codes; a category the teacher never saw reads as missing), the weight column when
 * frame has it, y as a numeric target, every other column ignored (and empty). */
static plumb_status student_frame(const plumb_model *t, const plumb_frame *frame, const double *y, plumb_frame **out,
                                  plumb_error *err) {
    const int64_t n = plumb_frame_n_rows(frame), tj = target_column(t->schema);
    const size_t rn = (size_t)(n > 0 ? n : 1);
    plumb__source *src = NULL;
    plumb_status st = plumb__model_bind(t, frame, &src, err);
    if (st != PLUMB_OK)
        return st;
    plumb_frame *g = calloc(1, sizeof *g);
    if (!g || !(g->schema = plumb__schema_copy(t->schema, false)) ||
        !(g->cols = calloc((size_t)g->schema->n + 1, sizeof *g->cols)))
        goto nomem;
    g->n_rows = n;
    plumb_schema *s = g->schema;
    for (int64_t j = 0; j < s->n; j++) {
        plumb__schema_col *c = &s->cols[j];
        plumb__column *d = &g->cols[j];
        if (c->role == PLUMB_ROLE_FEATURE)
            c->role = PLUMB_ROLE_IGNORE; /* until found among the teacher's features below */
        if (j == tj) {
            plumb__dict_clear(&c->cats);
            free(c->cat_ptrs);
            c->cat_ptrs = NULL;
            c->fixed = false;
            c->type = PLUMB_TYPE_NUMERIC;
            if (!(d->f64 = malloc(rn * sizeof *d->f64)))
                goto nomem;
            memcpy(d->f64, y, (size_t)n * sizeof *y);
            continue;
        }
        const int64_t fj = plumb_frame_find(frame, c->name);
        if (c->role == PLUMB_ROLE_WEIGHT && fj >= 0 && plumb_frame_f64(frame, fj)) {
            if (!(d->f64 = malloc(rn * sizeof *d->f64)))
                goto nomem;
            memcpy(d->f64, plumb_frame_f64(frame, fj), (size_t)n * sizeof *d->f64);
            continue;
        }
        if (c->role == PLUMB_ROLE_WEIGHT)
            c->role = PLUMB_ROLE_IGNORE;
        /* an empty column of its type: nothing reads an ignored column but the data checksum */
        if (c->type == PLUMB_TYPE_CATEGORICAL || c->type == PLUMB_TYPE_STRING) {
            if (!(d->codes = malloc(rn * sizeof *d->codes)))
                goto nomem;
            for (int64_t i = 0; i < n; i++)
                d->codes[i] = PLUMB_CODE_MISSING;
        } else if (c->type == PLUMB_TYPE_DATETIME) {
            if (!(d->i64 = malloc(rn * sizeof *d->i64)))
                goto nomem;
            for (int64_t i = 0; i < n; i++)
                d->i64[i] = PLUMB_DATETIME_MISSING;
        } else if (c->type == PLUMB_TYPE_BOOL) {
            if (!(d->u8 = malloc(rn)))
                goto nomem;
            memset(d->u8, PLUMB_BOOL_MISSING, rn);
        } else if (plumb__role_wants_f64(c->role)) {
            if (!(d->f64 = malloc(rn * sizeof *d->f64)))
                goto nomem;
            for (int64_t i = 0; i < n; i++)
                d->f64[i] = NAN;
        } else {
            if (!(d->f32 = malloc(rn * sizeof *d->f32)))
                goto nomem;
            for (int64_t i = 0; i < n; i++)
                d->f32[i] = NAN;
        }
    }
    for (int64_t f = 0; f < t->n_features; f++) { /* the teacher's features, as it reads them */
        const int64_t j = t->feature_col[f];
        plumb__schema_col *c = &s->cols[j];
        plumb__column *d = &g->cols[j];
        c->role = PLUMB_ROLE_FEATURE;
        for (int64_t i = 0; i < n; i++) {
            const float v = plumb__source_value(&src[f], i);
            if (d->codes)
                d->codes[i] = v >= 0 ? (int32_t)v : PLUMB_CODE_MISSING;
            else if (d->u8)
                d->u8[i] = isnan(v) ? PLUMB_BOOL_MISSING : (uint8_t)(v != 0);
            else if (d->f32)
                d->f32[i] = v;
        }
    }
    plumb__sources_free(src, t->n_features);
    *out = g;
    return PLUMB_OK;
nomem:
    plumb__sources_free(src, t->n_features);
    plumb_frame_free(g);
    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* A least-squares linear model of y on the teacher's features, made a model of the teacher's task. */
static plumb_status linear_student(const plumb_model *t, const plumb_frame *frame, const plumb_linear_params *params,
                                   const double *y, plumb_model **out, plumb_error *err) {
    plumb_frame *g = NULL;
    plumb_model *m = NULL;
    plumb_schema *schema = NULL;
    plumb_linear_params p = *params;
    p.task = PLUMB_TASK_REGRESSION;
    p.positive_class = NULL;
    p.class_weight = NULL;
    plumb_status st = student_frame(t, frame, y, &g, err);
    if (st != PLUMB_OK || (st = plumb_linear_train(g, &p, &m, err)) != PLUMB_OK)
        goto done;
    plumb__linear *lin = plumb__linear_of(m);
    if (!(schema = plumb__schema_copy(t->schema, false)))
        goto nomem;
    plumb_schema_free(m->schema); /* the same columns at the same places, with the teacher's target */
    m->schema = schema;
    schema = NULL;
    m->task = t->task;
    lin->params.task = t->task;
    lin->train_metric = NAN; /* its squared error is to the teacher's margins, not a loss on labels */
    if (t->task == PLUMB_TASK_BINARY) {
        const char *pc = plumb_model_positive_class(t);
        const int64_t tj = target_column(t->schema);
        if (!pc)
            pc = tj >= 0 && t->schema->cols[tj].type == PLUMB_TYPE_BOOL ? "true" : "1";
        if (!(lin->positive_class = plumb__strdup(pc)))
            goto nomem;
        m->positive_first = positive_first(t);
    }
    /* the coefficient table again: its column names point into the schema, its odds ratios need the logistic link */
    for (int64_t j = 0; j < lin->p; j++)
        free(lin->names[j]);
    free(lin->names);
    free(lin->coefs);
    lin->names = NULL;
    lin->coefs = NULL;
    if (!plumb__linear_finish(lin, m->schema))
        goto nomem;
    *out = m;
    m = NULL;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb_frame_free(g);
    plumb_model_free(m);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The public call                                                                                             */
/* ---------------------------------------------------------------------------------------------------------- */

static plumb_status check_options(const plumb_model *t, const plumb_distill_options *o, plumb_error *err) {
    if (o->student != PLUMB_MODEL_GBDT && o->student != PLUMB_MODEL_LINEAR)
        return plumb__fail(err, PLUMB_EINVAL, "a student is gbdt or linear");
    if (!(o->labels_weight >= 0 && o->labels_weight < 1))
        return plumb__fail(err, PLUMB_EINVAL, "labels_weight must be in [0, 1), got %g", o->labels_weight);
    if (o->student == PLUMB_MODEL_LINEAR && t->task == PLUMB_TASK_MULTICLASS)
        return plumb__fail(err, PLUMB_EINVAL,
                           "a multiclass teacher needs a gbdt student: linear models are binary or "
                           "regression");
    if (o->student == PLUMB_MODEL_LINEAR && t->task == PLUMB_TASK_BINARY && o->labels_weight > 0)
        return plumb__fail(err, PLUMB_EINVAL, "labels_weight with a binary teacher needs a gbdt student");
    return PLUMB_OK;
}

plumb_status plumb_model_distill(const plumb_model *teacher, const plumb_frame *frame,
                                 const plumb_distill_options *opts, plumb_model **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    plumb_distill_options defaults;
    if (!opts) {
        plumb_distill_options_init(&defaults);
        opts = &defaults;
    }
    plumb_status st = check_options(teacher, opts, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = plumb_frame_n_rows(frame), K = teacher->n_outputs;
    if (n < 2)
        return plumb__fail(err, PLUMB_EINVAL, "distillation needs at least 2 rows, the data has %lld", (long long)n);
    const int threads = opts->student == PLUMB_MODEL_GBDT ? opts->gbdt.n_threads : opts->linear.n_threads;
    double *z = malloc((size_t)(n * K + 1) * sizeof *z), *y = NULL;
    plumb_model *m = NULL;
    plumb_objective objective = PLUMB_OBJECTIVE_L2;
    if (!z) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = teacher_margins(teacher, frame, threads, z, &objective, err)) != PLUMB_OK)
        goto done;
    if (opts->labels_weight > 0) {
        if (!(y = malloc((size_t)n * sizeof *y))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        if ((st = read_labels(teacher, frame, y, err)) != PLUMB_OK)
            goto done;
    }
    if (opts->student == PLUMB_MODEL_GBDT) {
        const plumb__gbdt_soft soft = {.z = z,
                                       .K = (int32_t)K,
                                       .task = teacher->task,
                                       .objective = objective,
                                       .label = y,
                                       .mix = opts->labels_weight,
                                       .schema = teacher->schema,
                                       .positive_first = positive_first(teacher)};
        st = plumb__gbdt_train_soft(frame, &opts->gbdt, &soft, &m, err);
    } else {
        if (objective == PLUMB_OBJECTIVE_POISSON) /* a linear student predicts the mean itself */
            for (int64_t i = 0; i < n; i++)
                z[i] = exp(z[i]);
        for (int64_t i = 0; y && i < n; i++) /* regression: the mixed squared loss is that of the mixed target */
            z[i] = (1 - opts->labels_weight) * z[i] + opts->labels_weight * y[i];
        if ((st = linear_student(teacher, frame, &opts->linear, z, &m, err)) == PLUMB_OK)
            plumb__model_stamp(m, frame);
    }
    if (st != PLUMB_OK)
        goto done;
    if (teacher->calibrator) {
        json_t *j = plumb__calibrate_to_json(teacher->calibrator);
        st = j ? plumb__calibrate_from_json(j, &m->calibrator, err) : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        json_decref(j);
        if (st != PLUMB_OK)
            goto done;
    }
    *out = m;
    m = NULL;
done:
    plumb_model_free(m);
    free(z);
    free(y);
    return st;
}
