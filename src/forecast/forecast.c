/* forecast.c -- plumb_forecast_train and plumb_forecast_predict: a direct multi-horizon booster on daily series.
 *
 * Training turns every (series, origin t, horizon h) of the history -- and of the analog series, when given --
 * into one row: the features of plumb__fc_features and the target y[t + h] / level(t). One gbdt model learns all
 * horizons at once (the horizon is a feature). Prediction builds the same rows from each series' last day (or a
 * given origin) and multiplies the model's output by the level back.
 *
 * The model is a plain gbdt model, trained through the public API. What the forecaster needs besides the trees
 * travels in the model's schema: the time, target and series columns are the schema's columns with roles time,
 * target and id, and one ignored categorical column, "plumb_forecast", has as its only category the spec as JSON
 * (horizon, covariates, format version). So plumb_model_save/load, inspect and the model file need nothing new.
 */
#include "forecast.h"

#include "../data/value.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS_PER_DAY 86400
#define SPEC_VERSION 1

struct plumb_forecast {
    int64_t n;
    plumb_forecast_row *rows;
    char **names; /* n_names series names the rows point into */
    int64_t n_names;
};

void plumb_forecast_options_init(plumb_forecast_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->related_weight = 1.0;
    opts->related_stride = 1;
    plumb_gbdt_params_init(&opts->gbdt);
    opts->gbdt.task = PLUMB_TASK_REGRESSION;
    opts->gbdt.objective = PLUMB_OBJECTIVE_L2;
    opts->gbdt.num_iterations = 300;
    opts->gbdt.learning_rate = 0.05;
    opts->gbdt.num_leaves = 15;
    opts->gbdt.min_data_in_leaf = 20;
    opts->gbdt.lambda_l2 = 1.0;
}

void plumb__fc_spec_free(plumb__fc_spec *spec) {
    if (!spec)
        return;
    free(spec->time_col);
    free(spec->target);
    free(spec->series_col);
    for (int64_t k = 0; k < spec->n_future; k++)
        free(spec->future[k]);
    free(spec->future);
    memset(spec, 0, sizeof *spec);
}

/* ---- the spec in the model ----------------------------------------------------------------------------------- */

static char *spec_json(const plumb__fc_spec *spec) {
    json_t *o = json_object(), *fut = json_array();
    char *s = NULL;
    if (!o || !fut)
        goto done;
    for (int64_t k = 0; k < spec->n_future; k++)
        json_array_append_new(fut, json_string(spec->future[k]));
    json_object_set_new(o, "plumb_forecast", json_integer(SPEC_VERSION));
    json_object_set_new(o, "horizon", json_integer(spec->horizon));
    json_object_set_new(o, "future_cols", fut);
    fut = NULL;
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(fut);
    json_decref(o);
    return s;
}

/* The spec JSON of model (borrowed), or NULL when the model is not a forecast model. */
static const char *model_spec_text(const plumb_model *model) {
    const plumb_schema *sc = plumb_model_schema(model);
    for (int64_t j = 0; sc && j < plumb_schema_n_columns(sc); j++) {
        plumb_column_info c;
        plumb_schema_column(sc, j, &c);
        if (strcmp(c.name, PLUMB__FC_SPEC_COLUMN) == 0 && c.role == PLUMB_ROLE_IGNORE && c.n_categories == 1)
            return c.categories[0];
    }
    return NULL;
}

/* The schema column with the role, or NULL. */
static const char *role_column(const plumb_model *model, plumb_role role) {
    const plumb_schema *sc = plumb_model_schema(model);
    for (int64_t j = 0; j < plumb_schema_n_columns(sc); j++) {
        plumb_column_info c;
        plumb_schema_column(sc, j, &c);
        if (c.role == role)
            return c.name;
    }
    return NULL;
}

static plumb_status not_forecast(plumb_error *err) {
    return plumb__fail(err, PLUMB_EINVAL, "not a forecast model: train one with plumb forecast train");
}

/* Reads the model's spec into *spec (owned by the caller; free with plumb__fc_spec_free, also on failure). */
static plumb_status model_spec(const plumb_model *model, plumb__fc_spec *spec, plumb_error *err) {
    memset(spec, 0, sizeof *spec);
    const char *text = model_spec_text(model);
    if (!text)
        return not_forecast(err);
    plumb_status st = PLUMB_OK;
    json_t *o = json_loads(text, 0, NULL);
    const json_t *fut = o ? json_object_get(o, "future_cols") : NULL;
    const char *tc = role_column(model, PLUMB_ROLE_TIME), *tg = role_column(model, PLUMB_ROLE_TARGET),
               *sc = role_column(model, PLUMB_ROLE_ID);
    if (!o || json_integer_value(json_object_get(o, "plumb_forecast")) != SPEC_VERSION || !json_is_array(fut) || !tc ||
        !tg) {
        st = plumb__fail(err, PLUMB_EFORMAT, "corrupted forecast model: bad forecast spec");
        goto done;
    }
    spec->horizon = json_integer_value(json_object_get(o, "horizon"));
    spec->n_future = (int64_t)json_array_size(fut);
    if (spec->horizon < 1 || spec->horizon > PLUMB__FC_MAX_HORIZON) {
        st = plumb__fail(err, PLUMB_EFORMAT, "corrupted forecast model: horizon %lld", (long long)spec->horizon);
        goto done;
    }
    spec->time_col = plumb__strdup(tc);
    spec->target = plumb__strdup(tg);
    spec->series_col = sc ? plumb__strdup(sc) : NULL;
    spec->future = calloc((size_t)spec->n_future + 1, sizeof *spec->future);
    bool ok = spec->time_col && spec->target && (!sc || spec->series_col) && spec->future;
    for (int64_t k = 0; ok && k < spec->n_future; k++) {
        const char *name = json_string_value(json_array_get(fut, (size_t)k));
        if (!name) {
            st = plumb__fail(err, PLUMB_EFORMAT, "corrupted forecast model: bad covariate name");
            goto done;
        }
        ok = (spec->future[k] = plumb__strdup(name)) != NULL;
    }
    if (!ok)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    json_decref(o);
    return st;
}

plumb_status plumb_forecast_describe(const plumb_model *model, plumb_forecast_info *info, plumb_error *err) {
    plumb__error_clear(err);
    plumb__fc_spec spec;
    plumb_status st = model ? model_spec(model, &spec, err) : not_forecast(err);
    if (st == PLUMB_OK) {
        info->time_col = role_column(model, PLUMB_ROLE_TIME);
        info->target = role_column(model, PLUMB_ROLE_TARGET);
        info->series_col = role_column(model, PLUMB_ROLE_ID);
        info->horizon = spec.horizon;
        info->n_future_cols = spec.n_future;
    }
    plumb__fc_spec_free(&spec);
    return st;
}

/* ---- rows: (series, origin, horizon) ------------------------------------------------------------------------- */

/* The feature rows a training or prediction frame holds, column-major, and their extra columns. */
typedef struct rows {
    int64_t n, cap, n_feat;
    float **x;         /* n_feat columns */
    double *y, *w;     /* target ratio, weight */
    double *level;     /* the level each row was divided by */
    int64_t *date;     /* the target day, in seconds */
    int64_t *horizon;  /* h */
    const char **name; /* the series' name (borrowed from the set) */
} rows;

static void rows_free(rows *r) {
    for (int64_t f = 0; r->x && f < r->n_feat; f++)
        free(r->x[f]);
    free(r->x);
    free(r->y);
    free(r->w);
    free(r->level);
    free(r->date);
    free(r->horizon);
    free(r->name);
    memset(r, 0, sizeof *r);
}

static bool rows_alloc(rows *r, int64_t n, int64_t n_feat) {
    memset(r, 0, sizeof *r);
    const size_t m = (size_t)(n > 0 ? n : 1);
    r->n_feat = n_feat;
    r->cap = n;
    r->x = calloc((size_t)n_feat, sizeof *r->x);
    r->y = malloc(m * sizeof *r->y);
    r->w = malloc(m * sizeof *r->w);
    r->level = malloc(m * sizeof *r->level);
    r->date = malloc(m * sizeof *r->date);
    r->horizon = malloc(m * sizeof *r->horizon);
    r->name = malloc(m * sizeof *r->name);
    bool ok = r->x && r->y && r->w && r->level && r->date && r->horizon && r->name;
    for (int64_t f = 0; ok && f < n_feat; f++)
        ok = (r->x[f] = malloc(m * sizeof *r->x[f])) != NULL;
    return ok;
}

/* Appends the row of series s, origin t, horizon h (the covariates of the target day at fut, or NULL). */
static void rows_add(rows *r, const plumb__fc_series *s, int64_t t, int64_t h, double level, const float *fut,
                     int64_t n_future, double weight, float *scratch) {
    const int64_t i = r->n++;
    plumb__fc_features(s, t, h, level, fut, n_future, scratch);
    for (int64_t f = 0; f < r->n_feat; f++)
        r->x[f][i] = scratch[f];
    r->y[i] = t + h < s->n ? s->y[t + h] / level : NAN;
    r->w[i] = weight;
    r->level[i] = level;
    r->date[i] = (s->day0 + t + h) * SECONDS_PER_DAY;
    r->horizon[i] = h;
    r->name[i] = s->name;
}

/* Training rows of one set: every origin (every stride-th) with at least PLUMB__FC_MIN_HISTORY days before it, and
 * every horizon whose target day is observed. With r NULL, only counts them into *n. */
static void training_rows(const plumb__fc_set *set, int64_t horizon, int64_t stride, double weight, rows *r, int64_t *n,
                          float *scratch) {
    for (int64_t i = 0; i < set->n; i++) {
        const plumb__fc_series *s = &set->s[i];
        for (int64_t t = PLUMB__FC_MIN_HISTORY - 1; t + 1 < s->n; t += stride) {
            const int64_t hmax = s->n - 1 - t < horizon ? s->n - 1 - t : horizon;
            if (!r) {
                *n += hmax;
                continue;
            }
            const double level = plumb__fc_level(s, t);
            for (int64_t h = 1; h <= hmax; h++)
                rows_add(r, s, t, h, level, set->n_future ? s->future + (t + h) * set->n_future : NULL, set->n_future,
                         weight, scratch);
        }
    }
}

/* A frame of the rows: the features, and for training the target (named as the spec's), weight, time, series
 * and the spec column. */
static plumb_status rows_frame(const rows *r, const plumb__fc_spec *spec, const char *spec_text, bool training,
                               plumb_frame **out, plumb_error *err) {
    plumb_status st;
    const int64_t n_cols = r->n_feat + (training ? 5 : 0);
    plumb_array_column *cols = calloc((size_t)n_cols, sizeof *cols);
    char(*names)[PLUMB_PATH_MAX] = calloc((size_t)r->n_feat, sizeof *names);
    const char **spec_col = training ? malloc((size_t)(r->n > 0 ? r->n : 1) * sizeof *spec_col) : NULL;
    if (!cols || !names || (training && !spec_col)) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t f = 0; f < r->n_feat; f++) {
        const char *name = plumb__fc_feature_name(spec, f, names[f], sizeof names[f]);
        cols[f] =
            (plumb_array_column){.name = name, .type = PLUMB_TYPE_NUMERIC, .dtype = PLUMB_ARRAY_F32, .data = r->x[f]};
    }
    if (training) {
        for (int64_t i = 0; i < r->n; i++)
            spec_col[i] = spec_text;
        int64_t c = r->n_feat;
        cols[c++] = (plumb_array_column){.name = spec->target,
                                         .type = PLUMB_TYPE_NUMERIC,
                                         .role = PLUMB_ROLE_TARGET,
                                         .dtype = PLUMB_ARRAY_F64,
                                         .data = r->y};
        cols[c++] = (plumb_array_column){.name = "plumb_forecast_weight",
                                         .type = PLUMB_TYPE_NUMERIC,
                                         .role = PLUMB_ROLE_WEIGHT,
                                         .dtype = PLUMB_ARRAY_F64,
                                         .data = r->w};
        cols[c++] = (plumb_array_column){.name = spec->time_col,
                                         .type = PLUMB_TYPE_DATETIME,
                                         .role = PLUMB_ROLE_TIME,
                                         .dtype = PLUMB_ARRAY_I64,
                                         .data = r->date};
        cols[c++] = (plumb_array_column){.name = spec->series_col ? spec->series_col : "plumb_forecast_series",
                                         .type = PLUMB_TYPE_STRING,
                                         .role = spec->series_col ? PLUMB_ROLE_ID : PLUMB_ROLE_IGNORE,
                                         .dtype = PLUMB_ARRAY_STRING,
                                         .data = r->name};
        cols[c++] = (plumb_array_column){.name = PLUMB__FC_SPEC_COLUMN,
                                         .type = PLUMB_TYPE_CATEGORICAL,
                                         .role = PLUMB_ROLE_IGNORE,
                                         .dtype = PLUMB_ARRAY_STRING,
                                         .data = spec_col};
    }
    plumb_array_options ao;
    plumb_array_options_init(&ao);
    ao.borrow = true;
    st = plumb_frame_from_arrays(cols, n_cols, r->n, &ao, out, err);
done:
    free(cols);
    free(names);
    free(spec_col);
    return st;
}

/* ---- training ------------------------------------------------------------------------------------------------ */

static plumb_status check_options(const plumb_forecast_options *o, plumb_error *err) {
    if (!o || !o->time_col || !*o->time_col)
        return plumb__fail(err, PLUMB_EINVAL, "forecasting needs a time column (--time-col)");
    if (!o->target || !*o->target)
        return plumb__fail(err, PLUMB_EINVAL, "forecasting needs a target column (--target)");
    if (o->horizon < 1 || o->horizon > PLUMB__FC_MAX_HORIZON)
        return plumb__fail(err, PLUMB_EINVAL, "horizon %lld is outside 1..%d days", (long long)o->horizon,
                           PLUMB__FC_MAX_HORIZON);
    if (o->related_stride < 1)
        return plumb__fail(err, PLUMB_EINVAL, "related stride %lld must be at least 1", (long long)o->related_stride);
    if (!(o->related_weight > 0) || !isfinite(o->related_weight))
        return plumb__fail(err, PLUMB_EINVAL, "related weight %g must be positive", o->related_weight);
    if (o->n_future_cols && !o->future_cols)
        return plumb__fail(err, PLUMB_EINVAL, "covariate list missing");
    for (size_t k = 0; k < o->n_future_cols; k++)
        if (!o->future_cols[k] || !*o->future_cols[k])
            return plumb__fail(err, PLUMB_EINVAL, "empty covariate name");
    return PLUMB_OK;
}

plumb_status plumb_forecast_train(const char *history, const plumb_forecast_options *opts, plumb_model **out,
                                  plumb_error *err) {
    plumb_status st;
    plumb__fc_set hist = {0}, rel = {0};
    rows r = {0};
    char *spec_text = NULL;
    float *scratch = NULL;
    plumb_frame *frame = NULL;
    plumb__error_clear(err);
    *out = NULL;
    if ((st = check_options(opts, err)) != PLUMB_OK)
        return st;
    plumb__fc_spec spec = {.time_col = (char *)opts->time_col,
                           .target = (char *)opts->target,
                           .series_col = (char *)opts->series_col,
                           .future = (char **)opts->future_cols,
                           .n_future = (int64_t)opts->n_future_cols,
                           .horizon = opts->horizon};
    if ((st = plumb__fc_read(history, &spec, true, &hist, err)) != PLUMB_OK)
        goto done;
    if (opts->related && (st = plumb__fc_read(opts->related, &spec, true, &rel, err)) != PLUMB_OK)
        goto done;
    int64_t n_hist = 0, n_rel = 0;
    training_rows(&hist, spec.horizon, 1, 1.0, NULL, &n_hist, NULL);
    training_rows(&rel, spec.horizon, opts->related_stride, opts->related_weight, NULL, &n_rel, NULL);
    if (n_hist == 0) {
        int64_t longest = 0;
        for (int64_t i = 0; i < hist.n; i++)
            longest = hist.s[i].n > longest ? hist.s[i].n : longest;
        st = plumb__fail(err, PLUMB_EINVAL,
                         "too little history: the longest series has %lld days; training needs at least %d",
                         (long long)longest, PLUMB__FC_MIN_HISTORY + 1);
        goto done;
    }
    const int64_t n_feat = plumb__fc_n_features(spec.n_future);
    if (!rows_alloc(&r, n_hist + n_rel, n_feat) || !(scratch = malloc((size_t)n_feat * sizeof *scratch)) ||
        !(spec_text = spec_json(&spec))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    training_rows(&hist, spec.horizon, 1, 1.0, &r, NULL, scratch);
    training_rows(&rel, spec.horizon, opts->related_stride, opts->related_weight, &r, NULL, scratch);
    if ((st = rows_frame(&r, &spec, spec_text, true, &frame, err)) != PLUMB_OK)
        goto done;
    plumb_gbdt_params p = opts->gbdt;
    p.task = PLUMB_TASK_REGRESSION;
    if (p.objective == PLUMB_OBJECTIVE_AUTO)
        p.objective = PLUMB_OBJECTIVE_L2;
    p.early_stopping_rounds = 0;
    plumb__log(PLUMB_LOG_INFO, "forecast: %lld training rows (%lld from analogs), %lld features", (long long)r.n,
               (long long)n_rel, (long long)n_feat);
    st = plumb_gbdt_train(frame, NULL, &p, out, err);
done:
    plumb_frame_free(frame);
    rows_free(&r);
    free(scratch);
    free(spec_text);
    plumb__fc_set_free(&hist);
    plumb__fc_set_free(&rel);
    return st;
}

/* ---- prediction ---------------------------------------------------------------------------------------------- */

/* The known-future covariates of series s for days t+1..t+horizon, checked: a pointer to day t+1's, or NULL
 * with *err filled. */
static const float *future_of(const plumb__fc_set *fut, const plumb__fc_spec *spec, const plumb__fc_series *s,
                              int64_t t, int64_t horizon, plumb_error *err) {
    const int64_t i = plumb__fc_find(fut, s->name);
    char day[16], q[PLUMB_PATH_MAX / 4];
    plumb__quote(q, sizeof q, s->name, strlen(s->name));
    if (i < 0) {
        plumb__fail(err, PLUMB_EINVAL, "no known-future covariates for series '%s'", q);
        return NULL;
    }
    const plumb__fc_series *f = &fut->s[i];
    const int64_t first = s->day0 + t + 1;
    for (int64_t h = 1; h <= horizon; h++) {
        const int64_t j = first + h - 1 - f->day0;
        for (int64_t k = 0; k < spec->n_future; k++) {
            if (j >= 0 && j < f->n && !isnan(f->future[j * spec->n_future + k]))
                continue;
            plumb__fc_day_text(first + h - 1, day, sizeof day);
            plumb__fail(err, PLUMB_EINVAL, "covariate '%s' missing for %s%s%s%s: the horizon needs it", spec->future[k],
                        day, *q ? " in series '" : "", q, *q ? "'" : "");
            return NULL;
        }
    }
    return f->future + (first - f->day0) * spec->n_future;
}

static bool keep_names(plumb_forecast *fc, const plumb__fc_set *set) {
    if (!(fc->names = calloc((size_t)(set->n ? set->n : 1), sizeof *fc->names)))
        return false;
    for (int64_t i = 0; i < set->n; i++, fc->n_names++)
        if (!(fc->names[i] = plumb__strdup(set->s[i].name)))
            return false;
    return true;
}

plumb_status plumb_forecast_predict(const plumb_model *model, const char *history,
                                    const plumb_forecast_predict_options *opts, plumb_forecast **out,
                                    plumb_error *err) {
    plumb_status st;
    plumb__fc_spec spec = {0};
    plumb__fc_set hist = {0}, fut = {0};
    rows r = {0};
    float *scratch = NULL;
    double *pred = NULL;
    plumb_frame *frame = NULL;
    plumb_forecast *fc = NULL;
    const plumb_forecast_predict_options none = {0};
    plumb__error_clear(err);
    *out = NULL;
    if (!opts)
        opts = &none;
    if (!model) {
        st = not_forecast(err);
        goto done;
    }
    if ((st = model_spec(model, &spec, err)) != PLUMB_OK)
        goto done;
    const int64_t horizon = opts->horizon ? opts->horizon : spec.horizon;
    if (horizon < 1 || horizon > spec.horizon) {
        st = plumb__fail(err, PLUMB_EINVAL, "horizon %lld is outside 1..%lld, the horizons the model was trained for",
                         (long long)horizon, (long long)spec.horizon);
        goto done;
    }
    int64_t origin = INT64_MIN;
    if (opts->origin) {
        int64_t secs;
        if (!plumb__parse_datetime(opts->origin, strlen(opts->origin), &secs) || secs % SECONDS_PER_DAY) {
            st = plumb__fail(err, PLUMB_EINVAL, "bad origin '%s' (expected YYYY-MM-DD)", opts->origin);
            goto done;
        }
        origin = secs / SECONDS_PER_DAY;
    }
    if (spec.n_future && !opts->future) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "the model uses known-future covariates: give them for the horizon "
                         "(--future)");
        goto done;
    }
    /* the history's own covariates are not needed: the forecast reads those of the days ahead */
    plumb__fc_spec hspec = spec;
    hspec.n_future = 0;
    if ((st = plumb__fc_read(history, &hspec, true, &hist, err)) != PLUMB_OK)
        goto done;
    if (spec.n_future) {
        plumb__fc_spec fspec = spec;
        fspec.target = NULL;
        if ((st = plumb__fc_read(opts->future, &fspec, false, &fut, err)) != PLUMB_OK)
            goto done;
    }
    const int64_t n_feat = plumb__fc_n_features(spec.n_future);
    if (!rows_alloc(&r, hist.n * horizon, n_feat) || !(scratch = malloc((size_t)n_feat * sizeof *scratch))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < hist.n; i++) {
        const plumb__fc_series *s = &hist.s[i];
        char q[PLUMB_PATH_MAX / 4], day[16];
        plumb__quote(q, sizeof q, s->name, strlen(s->name));
        int64_t t = s->n - 1;
        if (origin != INT64_MIN) {
            t = origin - s->day0;
            if (t >= s->n || t < 0) {
                plumb__fc_day_text(origin, day, sizeof day);
                st = plumb__fail(err, PLUMB_EINVAL, "the origin %s is outside the history of series '%s'", day, q);
                goto done;
            }
        }
        if (t + 1 < PLUMB__FC_MIN_HISTORY) {
            st = plumb__fail(err, PLUMB_EINVAL, "series '%s' has %lld days of history; forecasting needs at least %d",
                             q, (long long)(t + 1), PLUMB__FC_MIN_HISTORY);
            goto done;
        }
        const float *f = NULL;
        if (spec.n_future && !(f = future_of(&fut, &spec, s, t, horizon, err))) {
            st = err ? err->code : PLUMB_EINVAL;
            st = st == PLUMB_OK ? PLUMB_EINVAL : st;
            goto done;
        }
        const double level = plumb__fc_level(s, t);
        for (int64_t h = 1; h <= horizon; h++)
            rows_add(&r, s, t, h, level, f ? f + (h - 1) * spec.n_future : NULL, spec.n_future, 1.0, scratch);
    }
    if ((st = rows_frame(&r, &spec, NULL, false, &frame, err)) != PLUMB_OK)
        goto done;
    if (!(pred = malloc((size_t)(r.n ? r.n : 1) * sizeof *pred)) || !(fc = calloc(1, sizeof *fc)) ||
        !(fc->rows = calloc((size_t)(r.n ? r.n : 1), sizeof *fc->rows)) || !keep_names(fc, &hist)) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    plumb_predict_options po = {.threads = opts->threads};
    if ((st = plumb_model_predict(model, frame, &po, pred, err)) != PLUMB_OK)
        goto done;
    for (int64_t i = 0, k = 0; i < r.n; i++) {
        while (strcmp(hist.s[k].name, r.name[i]) != 0)
            k++;
        fc->rows[i] = (plumb_forecast_row){
            .series = fc->names[k], .date = r.date[i], .horizon = r.horizon[i], .prediction = pred[i] * r.level[i]};
    }
    fc->n = r.n;
    *out = fc;
    fc = NULL;
done:
    plumb_forecast_free(fc);
    plumb_frame_free(frame);
    free(pred);
    free(scratch);
    rows_free(&r);
    plumb__fc_set_free(&hist);
    plumb__fc_set_free(&fut);
    plumb__fc_spec_free(&spec);
    return st;
}

int64_t plumb_forecast_n_rows(const plumb_forecast *fc) {
    return fc ? fc->n : 0;
}

void plumb_forecast_row_get(const plumb_forecast *fc, int64_t i, plumb_forecast_row *out) {
    *out = fc->rows[i];
}

void plumb_forecast_free(plumb_forecast *fc) {
    if (!fc)
        return;
    for (int64_t i = 0; i < fc->n_names; i++)
        free(fc->names[i]);
    free(fc->names);
    free(fc->rows);
    free(fc);
}
