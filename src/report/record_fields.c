/* record_fields.c -- the parts of a run record the library computes: the settings a model was trained with, read
 * from the model itself (its file's body, so what a report states is what was trained, whatever options a command
 * took), and the regression diagnostics of an evaluation (predicted against actual, residuals, error by segment).
 *
 * Both are JSON objects the record's writer (run.c) adds under its key (docs/report.md). Numbers that are not
 * finite become null, as everywhere in a record.
 */
#include "record_fields.h"
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Settings                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

/* Copies the keys of src named in keys[0..n) into dst, in that order (absent ones are skipped). */
static void copy_keys(json_t *dst, const json_t *src, const char *const *keys, size_t n) {
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(src, keys[i]);
        if (v)
            json_object_set(dst, keys[i], v);
    }
}

static const char *const gbdt_keys[] = {
    "num_iterations",   "early_stopping_rounds",   "learning_rate", "num_leaves", "max_depth",
    "min_data_in_leaf", "min_sum_hessian_in_leaf", "lambda_l1",     "lambda_l2",  "min_gain_to_split",
    "feature_fraction", "bagging_fraction",        "bagging_freq",  "max_bin",    "seed"};
static const char *const linear_keys[] = {
    "alpha", "l1_ratio", "class_weight", "standardize", "clip_quantile", "min_category_weight", "max_iter", "tol"};
static const char *const tree_keys[] = {
    "criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_impurity_decrease", "ccp_alpha"};

/* The monotone constraints of a gbdt body's features: {"Income": -1, ...}, or the string "none". */
static json_t *monotone(const json_t *features) {
    json_t *o = json_object();
    size_t i;
    const json_t *f;
    json_array_foreach(features, i, f) {
        const json_int_t dir = json_integer_value(json_object_get(f, "monotone"));
        const char *name = json_string_value(json_object_get(f, "name"));
        if (dir && name)
            json_object_set_new(o, name, json_integer(dir));
    }
    if (json_object_size(o) > 0)
        return o;
    json_decref(o);
    return json_string("none");
}

json_t *plumb__record_settings(const plumb_model *m) {
    json_t *body = m->ops->to_json(m), *s = json_object();
    if (!body || !s) {
        json_decref(body);
        json_decref(s);
        return NULL;
    }
    if (m->ops->kind == PLUMB_MODEL_GBDT) {
        const json_t *obj = json_object_get(body, "objective");
        const char *name = json_string_value(json_object_get(obj, "name"));
        json_object_set_new(s, "objective", json_string(name ? name : ""));
        /* alpha means something only to these two objectives */
        if (name && (strcmp(name, "quantile") == 0 || strcmp(name, "huber") == 0))
            json_object_set(s, "alpha", json_object_get(obj, "alpha"));
        copy_keys(s, json_object_get(body, "params"), gbdt_keys, sizeof gbdt_keys / sizeof *gbdt_keys);
        json_object_set_new(s, "monotone", monotone(json_object_get(body, "features")));
    } else if (m->ops->kind == PLUMB_MODEL_LINEAR) {
        const json_t *lin = json_object_get(body, "linear");
        json_object_set_new(s, "objective", json_string(m->task == PLUMB_TASK_BINARY ? "logistic" : "squared_error"));
        copy_keys(s, json_object_get(lin, "params"), linear_keys, sizeof linear_keys / sizeof *linear_keys);
        if (json_is_null(json_object_get(s, "class_weight")))
            json_object_set_new(s, "class_weight", json_string("none"));
    } else {
        const json_t *p = json_object_get(body, "params");
        copy_keys(s, p, tree_keys, sizeof tree_keys / sizeof *tree_keys);
        if (m->task == PLUMB_TASK_BINARY) {
            const json_t *cw = json_object_get(p, "class_weight");
            if (json_is_true(json_object_get(p, "class_weight_balanced")))
                json_object_set_new(s, "class_weight", json_string("balanced"));
            else if (json_number_value(json_array_get(cw, 0)) == 1 && json_number_value(json_array_get(cw, 1)) == 1)
                json_object_set_new(s, "class_weight", json_string("none"));
            else
                json_object_set(s, "class_weight", (json_t *)cw);
        }
    }
    if (m->task == PLUMB_TASK_BINARY)
        json_object_set_new(s, "calibration",
                            json_string(!m->calibrator                                  ? "none"
                                        : m->calibrator->kind == PLUMB__CALIBRATE_PLATT ? "platt"
                                                                                        : "isotonic"));
    /* the class names, so a report calls the negative class by its name ("good", not "other") */
    const char *positive = plumb_model_positive_class(m);
    for (int64_t j = 0; positive && j < plumb_schema_n_columns(m->schema); j++) {
        plumb_column_info c;
        plumb_schema_column(m->schema, j, &c);
        if (c.role != PLUMB_ROLE_TARGET || c.n_categories != 2)
            continue;
        json_object_set_new(s, "positive_class", json_string(positive));
        json_object_set_new(s, "negative_class",
                            json_string(strcmp(c.categories[0], positive) == 0 ? c.categories[1] : c.categories[0]));
    }
    json_decref(body);
    return s;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Regression diagnostics                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/* Days from 1970-01-01 to the first of January of year y (proleptic Gregorian). */
static int64_t days_to_year(int64_t y) {
    const int64_t p = y - 1; /* leap days before year y, counted from year 1 */
    return 365 * (y - 1970) + (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
}

/* Seconds since 1970 as a decimal year (2016.5 is about the first of July 2016), exact to the second. */
static double decimal_year(double secs) {
    const time_t t = (time_t)secs;
    struct tm tm;
    if (!isfinite(secs) || !gmtime_r(&t, &tm))
        return NAN;
    const int64_t y = 1900 + (int64_t)tm.tm_year;
    const double start = 86400.0 * (double)days_to_year(y), end = 86400.0 * (double)days_to_year(y + 1);
    return (double)y + (secs - start) / (end - start);
}

/* The time of each row (NaN: missing) from the frame's time column -- the one with the time role, else the first
 * datetime column -- into t; *name and *datetime say which column and whether it holds datetimes. false when
 * the frame has none. */
static bool time_of(const plumb_frame *frame, double *t, const char **name, bool *datetime) {
    const plumb_schema *s = plumb_frame_schema(frame);
    int64_t col = -1;
    for (int pass = 0; pass < 2 && col < 0; pass++)
        for (int64_t j = 0; j < plumb_schema_n_columns(s) && col < 0; j++) {
            plumb_column_info c;
            plumb_schema_column(s, j, &c);
            if (pass == 0 ? c.role == PLUMB_ROLE_TIME : c.type == PLUMB_TYPE_DATETIME)
                col = j;
        }
    if (col < 0)
        return false;
    plumb_column_info c;
    plumb_schema_column(s, col, &c);
    const int64_t *i64 = plumb_frame_i64(frame, col);
    const float *f32 = plumb_frame_f32(frame, col);
    const double *f64 = plumb_frame_f64(frame, col);
    if (!i64 && !f32 && !f64)
        return false;
    for (int64_t i = 0; i < plumb_frame_n_rows(frame); i++)
        t[i] = i64 ? (i64[i] == PLUMB_DATETIME_MISSING ? NAN : decimal_year((double)i64[i])) : f64 ? f64[i] : f32[i];
    *name = c.name;
    *datetime = i64 != NULL;
    return true;
}

/* Sorting row indices by a key (ties by index, so the order is the same on every platform). */
typedef struct keyed {
    double key;
    int64_t row;
} keyed;

static int by_key(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* One segmentation: rows go to group[i] in [0, n_groups) (-1: left out); adds {"by", "labels", "rows", "mae",
 * "bias"} to segs, leaving out empty groups. */
static void add_segments(json_t *segs, const char *by, const plumb_metric_data *d, const int32_t *group,
                         int32_t n_groups, char (*labels)[48]) {
    double *acc = calloc((size_t)n_groups * 3, sizeof *acc); /* weight, sum |e|, sum e */
    json_t *o = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "by", by, "labels", "rows", "mae", "bias");
    if (!acc || !o) {
        free(acc);
        json_decref(o);
        return;
    }
    int64_t *count = calloc((size_t)n_groups, sizeof *count);
    for (int64_t i = 0; count && i < d->n_rows; i++) {
        if (group[i] < 0)
            continue;
        const double w = d->weight ? d->weight[i] : 1, e = d->label[i] - d->score[i];
        acc[3 * group[i]] += w;
        acc[3 * group[i] + 1] += w * fabs(e);
        acc[3 * group[i] + 2] += w * e;
        count[group[i]]++;
    }
    for (int32_t g = 0; count && g < n_groups; g++) {
        if (count[g] == 0)
            continue;
        const double w = acc[3 * g];
        json_array_append_new(json_object_get(o, "labels"), json_string(labels[g]));
        json_array_append_new(json_object_get(o, "rows"), json_integer((json_int_t)count[g]));
        json_array_append_new(json_object_get(o, "mae"), plumb__json_number(w > 0 ? acc[3 * g + 1] / w : NAN));
        json_array_append_new(json_object_get(o, "bias"), plumb__json_number(w > 0 ? acc[3 * g + 2] / w : NAN));
    }
    if (count && json_array_size(json_object_get(o, "rows")) > 1)
        json_array_append(segs, o);
    json_decref(o);
    free(count);
    free(acc);
}

/* Groups of about equal rows along key (NaN keys left out): up to 10, labelled by their key range (with the given
 * decimals; -1: three significant digits, whole numbers from 1000 on). */
static int32_t tenths(const double *key, int64_t n, keyed *k, int32_t *group, char (*labels)[48], int decimals) {
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        group[i] = -1;
        if (isfinite(key[i]))
            k[m++] = (keyed){key[i], i};
    }
    qsort(k, (size_t)m, sizeof *k, by_key);
    const int32_t ng = m < 10 ? (int32_t)m : 10;
    for (int64_t r = 0; r < m; r++)
        group[k[r].row] = (int32_t)(r * ng / m);
    for (int32_t g = 0; g < ng; g++) {
        const int64_t first = (g * m + ng - 1) / ng, last = ((g + 1) * m + ng - 1) / ng - 1;
        if (decimals < 0 && fabs(k[first].key) < 1000 && fabs(k[last].key) < 1000)
            snprintf(labels[g], sizeof labels[g], "%.3g to %.3g", k[first].key, k[last].key);
        else if (decimals < 0) /* "125000 to 150000", not "1.25e+05 to 1.5e+05" */
            snprintf(labels[g], sizeof labels[g], "%.0f to %.0f", k[first].key, k[last].key);
        else
            snprintf(labels[g], sizeof labels[g], "%.*f to %.*f", decimals, k[first].key, decimals, k[last].key);
    }
    return ng;
}

json_t *plumb__record_regression(const plumb_metric_data *d, const plumb_frame *frame) {
    const int64_t n = d->n_rows;
    if (n <= 0 || !d->label || !d->score)
        return NULL;
    json_t *out = NULL, *pts = NULL, *segs = json_array();
    double *t = malloc((size_t)(n + 1) * sizeof *t);
    int32_t *group = malloc((size_t)(n + 1) * sizeof *group);
    keyed *k = malloc((size_t)(n + 1) * sizeof *k);
    char(*labels)[48] = malloc(64 * sizeof *labels);
    if (!segs || !t || !group || !k || !labels)
        goto done;
    const char *time_name = NULL;
    bool datetime = false;
    const bool has_time = frame && plumb_frame_n_rows(frame) == n && time_of(frame, t, &time_name, &datetime);

    /* the points of the scatter plots: rows spread evenly over the data, first and last kept */
    pts = json_pack("{s:[], s:[]}", "predicted", "actual");
    if (!pts)
        goto done;
    if (has_time)
        json_object_set_new(pts, "time", json_array());
    const int64_t m = n < PLUMB__REG_POINTS ? n : PLUMB__REG_POINTS;
    for (int64_t r = 0; r < m; r++) {
        const int64_t i = m == n ? r : (int64_t)llround((double)r * (double)(n - 1) / (double)(m - 1));
        json_array_append_new(json_object_get(pts, "predicted"), plumb__json_number(d->score[i]));
        json_array_append_new(json_object_get(pts, "actual"), plumb__json_number(d->label[i]));
        if (has_time)
            json_array_append_new(json_object_get(pts, "time"), plumb__json_number(t[i]));
    }

    const int32_t ng = tenths(d->score, n, k, group, labels, -1);
    add_segments(segs, "decile of the prediction", d, group, ng, labels);
    if (has_time) {
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            if (isfinite(t[i]))
                lo = fmin(lo, t[i]), hi = fmax(hi, t[i]);
        char by[96];
        if (datetime && hi - lo >= 2 && floor(hi) - floor(lo) < 64) { /* calendar years, at most 64 labels */
            const int32_t y0 = (int32_t)floor(lo), ny = (int32_t)floor(hi) - y0 + 1;
            for (int64_t i = 0; i < n; i++)
                group[i] = isfinite(t[i]) ? (int32_t)floor(t[i]) - y0 : -1;
            for (int32_t g = 0; g < ny; g++)
                snprintf(labels[g], sizeof labels[g], "%d", y0 + g);
            snprintf(by, sizeof by, "year of %s", time_name);
            add_segments(segs, by, d, group, ny, labels);
        } else {
            snprintf(by, sizeof by, "tenth of %s", time_name);
            add_segments(segs, by, d, group, tenths(t, n, k, group, labels, datetime ? 2 : -1), labels);
        }
    }
    /* the first categorical feature with few enough categories to read as bars */
    const plumb_schema *s = frame ? plumb_frame_schema(frame) : NULL;
    for (int64_t j = 0; s && plumb_frame_n_rows(frame) == n && j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        const int32_t *codes = plumb_frame_codes(frame, j);
        if (c.role != PLUMB_ROLE_FEATURE || c.type != PLUMB_TYPE_CATEGORICAL || !codes || c.n_categories < 2 ||
            c.n_categories > 20)
            continue;
        for (int64_t i = 0; i < n; i++)
            group[i] = codes[i] >= 0 ? codes[i] : -1;
        for (int64_t g = 0; g < c.n_categories; g++)
            snprintf(labels[g], sizeof labels[g], "%s", c.categories[g]);
        add_segments(segs, c.name, d, group, (int32_t)c.n_categories, labels);
        break;
    }
    out = json_pack("{s:O, s:O}", "points", pts, "segments", segs);
    if (out && has_time) {
        json_object_set_new(out, "time_name", json_string(time_name));
        if (datetime)
            json_object_set_new(out, "time_unit", json_string("year"));
    }
done:
    json_decref(pts);
    json_decref(segs);
    free(t);
    free(group);
    free(k);
    free(labels);
    return out;
}
