/* reference.c -- building, writing and reading the reference profile a model carries (reference.h).
 *
 * Numeric cuts and quantiles come from the sorted non-missing values (a strided sample of at most SAMPLE of them
 * for large frames, so profiling a million rows costs a sort of 200,000 values per feature); counts, missing
 * values and moments come from every row. Features are profiled in parallel, one per thread at a time.
 */
#include "reference.h"
#include "../eval/eval.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE 200000

const double plumb__ref_quantile_levels[PLUMB__REF_QUANTILES] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile at level q of n sorted values (linear interpolation, numpy's default). */
static double sorted_quantile(const double *s, int64_t n, double q) {
    const double h = q * (double)(n - 1);
    const int64_t i = (int64_t)floor(h);
    return i + 1 < n ? s[i] + (h - (double)i) * (s[i + 1] - s[i]) : s[n - 1];
}

bool plumb__ref_numeric(const double *v, int64_t n, plumb__ref_column *c) {
    memset(c, 0, sizeof *c);
    c->n_rows = n;
    int64_t k = 0;
    double sum = 0, sum2 = 0, mean0 = NAN;
    c->min = INFINITY;
    c->max = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        const double x = v[i];
        if (isnan(x))
            continue;
        if (k == 0)
            mean0 = x; /* shifted sums: no cancellation for values far from 0 */
        k++;
        sum += x - mean0;
        sum2 += (x - mean0) * (x - mean0);
        c->min = x < c->min ? x : c->min;
        c->max = x > c->max ? x : c->max;
    }
    c->n_missing = n - k;
    if (k == 0) {
        c->min = c->max = c->mean = c->std = NAN;
        for (int q = 0; q < PLUMB__REF_QUANTILES; q++)
            c->q[q] = NAN;
        return true;
    }
    c->mean = mean0 + sum / (double)k;
    c->std = k > 1 ? sqrt(fmax(0, (sum2 - sum * sum / (double)k) / (double)(k - 1))) : 0;
    const int64_t stride = k > SAMPLE ? (k + SAMPLE - 1) / SAMPLE : 1;
    double *s = malloc(((size_t)(k / stride) + 2) * sizeof *s);
    if (!s)
        return false;
    int64_t ns = 0, seen = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[i]) && seen++ % stride == 0)
            s[ns++] = v[i];
    qsort(s, (size_t)ns, sizeof *s, cmp_double);
    for (int q = 0; q < PLUMB__REF_QUANTILES; q++)
        c->q[q] = sorted_quantile(s, ns, plumb__ref_quantile_levels[q]);
    for (int b = 1; b < PLUMB__REF_BINS; b++) {
        const double cut = s[(int64_t)((double)b * (double)ns / PLUMB__REF_BINS)];
        if (cut > s[0] && (c->n_cuts == 0 || cut > c->cuts[c->n_cuts - 1]))
            c->cuts[c->n_cuts++] = cut;
    }
    free(s);
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            c->counts[plumb__ref_bin(c, v[i])]++;
    return true;
}

/* A categorical column of n codes (negative: missing or unseen) over n_cats categories. */
static bool ref_categorical(const int32_t *codes, int64_t n, int32_t n_cats, plumb__ref_column *c) {
    memset(c, 0, sizeof *c);
    c->categorical = true;
    c->n_rows = n;
    c->n_cats = n_cats;
    c->min = c->max = c->mean = c->std = NAN;
    for (int q = 0; q < PLUMB__REF_QUANTILES; q++)
        c->q[q] = NAN;
    if (!(c->cat_counts = calloc((size_t)n_cats + 1, sizeof *c->cat_counts)))
        return false;
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] >= 0 && codes[i] < n_cats)
            c->cat_counts[codes[i]]++;
        else
            c->n_missing++;
    }
    return true;
}

bool plumb__expected_performance(const double *p, int64_t n, double *auc, double *accuracy) {
    *auc = *accuracy = NAN;
    if (n < 2)
        return true;
    int64_t *order = malloc((size_t)n * sizeof *order);
    if (!order || !plumb__sort_doubles(p, n, order)) {
        free(order);
        return false;
    }
    double num = 0, neg_below = 0, P = 0, N = 0, self = 0, acc = 0;
    for (int64_t a = 0; a < n;) {
        int64_t b = a;
        double pg = 0, ng = 0, sg = 0;
        while (b < n && p[order[b]] == p[order[a]]) {
            const double x = p[order[b++]];
            pg += x;
            ng += 1 - x;
            sg += x * (1 - x);
            acc += x >= 0.5 ? x : 1 - x;
        }
        num += pg * neg_below + 0.5 * (pg * ng - sg);
        neg_below += ng;
        P += pg;
        N += ng;
        self += sg;
        a = b;
    }
    free(order);
    const double pairs = P * N - self;
    *auc = pairs > 0 ? num / pairs : NAN;
    *accuracy = acc / (double)n;
    return true;
}

void plumb__reference_calibrate(const plumb_model *m, const plumb__reference *r, const double *s, int64_t n,
                                double *out) {
    if (m->calibrator) {
        plumb__calibrate_apply(m->calibrator, s, n, out);
        return;
    }
    const int32_t k = r->n_cal;
    for (int64_t i = 0; i < n; i++) {
        const double x = s[i];
        double p = x;
        if (k > 0 && !isnan(x)) {
            int32_t j = 0;
            while (j < k && r->cal_score[j] < x)
                j++;
            if (j == 0)
                p = r->cal_rate[0];
            else if (j == k)
                p = r->cal_rate[k - 1];
            else {
                const double w = r->cal_score[j] - r->cal_score[j - 1];
                const double t = w > 0 ? (x - r->cal_score[j - 1]) / w : 1;
                p = r->cal_rate[j - 1] + t * (r->cal_rate[j] - r->cal_rate[j - 1]);
            }
        }
        out[i] = p;
    }
}

/* The score part: the first output before calibration, and for binary models with labels the calibration curve
 * and the realised and expected performance. Leaves has_score false when the model cannot score the frame. */
static bool reference_scores(plumb__reference *r, const plumb_model *m, const plumb_frame *train) {
    const int64_t n = plumb_frame_n_rows(train), K = m->n_outputs;
    r->has_score = false;
    r->n_cal = 0;
    r->positive_rate = r->auc = r->accuracy = r->expected_auc = r->expected_accuracy = NAN;
    if (n == 0 || (m->task != PLUMB_TASK_BINARY && m->task != PLUMB_TASK_REGRESSION))
        return true;
    double *out = malloc(((size_t)(n * K) + 1) * sizeof *out);
    double *y = malloc(((size_t)n + 1) * sizeof *y);
    bool ok = out && y;
    const plumb_predict_options po = {.uncalibrated = true};
    if (!ok || plumb_model_predict(m, train, &po, out, NULL) != PLUMB_OK)
        goto done;
    if (!(ok = plumb__ref_numeric(out, n, &r->score)))
        goto done;
    r->has_score = true;
    if (m->task != PLUMB_TASK_BINARY)
        goto done;
    int64_t target = -1;
    for (int64_t j = 0; j < m->schema->n; j++)
        if (m->schema->cols[j].role == PLUMB_ROLE_TARGET)
            target = plumb_frame_find(train, m->schema->cols[j].name);
    plumb_task task = PLUMB_TASK_BINARY;
    const char *positive = plumb_model_positive_class(m);
    int64_t n_classes = 0;
    if (target < 0 || plumb_frame_labels(train, target, NULL, &task, &positive, &n_classes, y, NULL) != PLUMB_OK)
        goto done;
    int64_t *order = malloc((size_t)n * sizeof *order);
    if (!(ok = order && plumb__sort_doubles(out, n, order))) {
        free(order);
        goto done;
    }
    double pos = 0;
    r->n_cal = PLUMB__REF_CAL_BINS < n ? PLUMB__REF_CAL_BINS : (int32_t)n;
    for (int32_t b = 0; b < r->n_cal; b++) {
        const int64_t i0 = b * n / r->n_cal, i1 = (b + 1) * n / r->n_cal;
        double s = 0, l = 0;
        for (int64_t i = i0; i < i1; i++) {
            s += out[order[i]];
            l += y[order[i]];
        }
        pos += l;
        r->cal_count[b] = i1 - i0;
        r->cal_score[b] = s / (double)(i1 - i0);
        r->cal_rate[b] = l / (double)(i1 - i0);
    }
    free(order);
    r->positive_rate = pos / (double)n;
    plumb_metric_data md;
    plumb_metric_data_init(&md);
    md.n_rows = n;
    md.label = y;
    md.score = out;
    const plumb_metric which[2] = {PLUMB_METRIC_ROC_AUC, PLUMB_METRIC_ACCURACY};
    double v[2];
    if (plumb_metrics_compute(&md, which, 2, v, NULL) == PLUMB_OK) {
        r->auc = v[0];
        r->accuracy = v[1];
    }
    plumb__reference_calibrate(m, r, out, n, out);
    ok = plumb__expected_performance(out, n, &r->expected_auc, &r->expected_accuracy);
done:
    free(out);
    free(y);
    return ok;
}

plumb__reference *plumb__reference_build(const plumb_model *m, const plumb_frame *train) {
    plumb__reference *r = calloc(1, sizeof *r);
    plumb__source *src = NULL;
    const int64_t n = plumb_frame_n_rows(train), F = m->n_features;
    if (!r || plumb__model_bind(m, train, &src, NULL) != PLUMB_OK)
        goto fail;
    r->n_rows = n;
    r->positive_rate = r->auc = r->accuracy = r->expected_auc = r->expected_accuracy = NAN;
    if (!(r->features = calloc((size_t)F + 1, sizeof *r->features)))
        goto fail;
    r->n_features = F;
    bool ok = true;
    const int nt = plumb__threads(0);
    (void)nt;
#pragma omp parallel for schedule(dynamic) num_threads(nt) reduction(&& : ok)
    for (int64_t f = 0; f < F; f++) {
        const plumb__schema_col *sc = &m->schema->cols[m->feature_col[f]];
        const bool cat = sc->type == PLUMB_TYPE_CATEGORICAL || sc->type == PLUMB_TYPE_BOOL;
        double *v = cat ? NULL : malloc(((size_t)n + 1) * sizeof *v);
        int32_t *codes = cat ? malloc(((size_t)n + 1) * sizeof *codes) : NULL;
        if (!v && !codes) {
            ok = false;
            continue;
        }
        for (int64_t i = 0; i < n; i++) {
            const float x = plumb__source_value(&src[f], i);
            if (cat)
                codes[i] = isnan(x) ? PLUMB_CODE_MISSING : (int32_t)x;
            else
                v[i] = x;
        }
        ok = cat ? ref_categorical(codes, n, sc->type == PLUMB_TYPE_BOOL ? 2 : sc->cats.n, &r->features[f])
                 : plumb__ref_numeric(v, n, &r->features[f]);
        free(v);
        free(codes);
    }
    plumb__sources_free(src, F);
    src = NULL;
    r->score_rows = n;
    if (!ok || !reference_scores(r, m, train))
        goto fail;
    return r;
fail:
    plumb__sources_free(src, F);
    plumb__reference_free(r);
    return NULL;
}

void plumb__reference_free(plumb__reference *r) {
    if (!r)
        return;
    for (int64_t f = 0; f < r->n_features; f++)
        free(r->features[f].cat_counts);
    free(r->features);
    free(r);
}

/* ---- the file ---------------------------------------------------------------------------------------------- */

static json_t *ints(const int64_t *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer((json_int_t)v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *real_or_null(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *column_json(const plumb__ref_column *c, const char *name) {
    json_t *o = json_object();
    bool ok = o && (!name || plumb__json_add(o, "name", json_string(name))) &&
              plumb__json_add(o, "type", json_string(c->categorical ? "categorical" : "numeric")) &&
              plumb__json_add(o, "rows", json_integer(c->n_rows)) &&
              plumb__json_add(o, "missing", json_integer(c->n_missing));
    if (ok && c->categorical)
        ok = plumb__json_add(o, "counts", ints(c->cat_counts, c->n_cats));
    else if (ok)
        ok = plumb__json_add(o, "cuts", plumb__json_reals(c->cuts, c->n_cuts)) &&
             plumb__json_add(o, "counts", ints(c->counts, c->n_cuts + 1)) &&
             plumb__json_add(o, "min", real_or_null(c->min)) && plumb__json_add(o, "max", real_or_null(c->max)) &&
             plumb__json_add(o, "mean", real_or_null(c->mean)) && plumb__json_add(o, "std", real_or_null(c->std)) &&
             plumb__json_add(o, "quantiles", plumb__json_reals(c->q, PLUMB__REF_QUANTILES));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *plumb__reference_to_json(const plumb__reference *r) {
    json_t *o = json_object(), *fs = json_array();
    bool ok = o && fs && plumb__json_add(o, "rows", json_integer(r->n_rows));
    for (int64_t f = 0; ok && f < r->n_features; f++)
        ok = json_array_append_new(fs, column_json(&r->features[f], NULL)) == 0;
    ok = ok && plumb__json_add(o, "features", fs) &&
         plumb__json_add(o, "score_source", json_string(r->held_out ? "held_out" : "training")) &&
         plumb__json_add(o, "score_rows", json_integer(r->score_rows));
    fs = NULL;
    if (ok && r->has_score)
        ok = plumb__json_add(o, "score", column_json(&r->score, NULL));
    if (ok && r->n_cal > 0) {
        ok = plumb__json_add(o, "calibration",
                             json_pack("{s:o?, s:o?, s:o?}", "score", plumb__json_reals(r->cal_score, r->n_cal), "rate",
                                       plumb__json_reals(r->cal_rate, r->n_cal), "count",
                                       ints(r->cal_count, r->n_cal))) &&
             plumb__json_add(o, "positive_rate", real_or_null(r->positive_rate)) &&
             plumb__json_add(o, "auc", real_or_null(r->auc)) &&
             plumb__json_add(o, "accuracy", real_or_null(r->accuracy)) &&
             plumb__json_add(o, "expected_auc", real_or_null(r->expected_auc)) &&
             plumb__json_add(o, "expected_accuracy", real_or_null(r->expected_accuracy));
    }
    json_decref(fs);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* n reals (null: NaN) of array a into v; false unless a is an array of exactly n numbers or nulls. */
static bool read_reals(const json_t *a, double *v, int64_t n) {
    if (!json_is_array(a) || (int64_t)json_array_size(a) != n)
        return false;
    for (int64_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_number(x) && !json_is_null(x))
            return false;
        v[i] = json_is_null(x) ? NAN : json_number_value(x);
    }
    return true;
}

static bool read_ints(const json_t *a, int64_t *v, int64_t n, int64_t *sum) {
    if (!json_is_array(a) || (int64_t)json_array_size(a) != n)
        return false;
    *sum = 0;
    for (int64_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return false;
        v[i] = json_integer_value(x);
        *sum += v[i];
    }
    return true;
}

static double real_of(const json_t *o, const char *key) {
    const json_t *x = json_object_get(o, key);
    return json_is_number(x) ? json_number_value(x) : NAN;
}

/* A column back; n_cats is the feature's categories (-1: numeric). */
static bool column_from_json(const json_t *o, int32_t n_cats, plumb__ref_column *c) {
    memset(c, 0, sizeof *c);
    const json_t *rows = json_object_get(o, "rows"), *missing = json_object_get(o, "missing");
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!json_is_integer(rows) || !json_is_integer(missing) || !type)
        return false;
    c->n_rows = json_integer_value(rows);
    c->n_missing = json_integer_value(missing);
    c->categorical = strcmp(type, "categorical") == 0;
    int64_t sum = 0;
    const json_t *counts = json_object_get(o, "counts");
    if (c->categorical != (n_cats >= 0))
        return false;
    if (c->categorical) {
        c->n_cats = n_cats;
        c->min = c->max = c->mean = c->std = NAN;
        if (!(c->cat_counts = calloc((size_t)n_cats + 1, sizeof *c->cat_counts)) ||
            !read_ints(counts, c->cat_counts, n_cats, &sum))
            return false;
    } else {
        const json_t *cuts = json_object_get(o, "cuts");
        const int64_t nc = json_is_array(cuts) ? (int64_t)json_array_size(cuts) : -1;
        if (nc < 0 || nc > PLUMB__REF_BINS - 1 || !read_reals(cuts, c->cuts, nc) ||
            !read_ints(counts, c->counts, nc + 1, &sum) ||
            !read_reals(json_object_get(o, "quantiles"), c->q, PLUMB__REF_QUANTILES))
            return false;
        c->n_cuts = (int32_t)nc;
        for (int32_t i = 0; i < c->n_cuts; i++)
            if (!isfinite(c->cuts[i]) || (i > 0 && c->cuts[i] <= c->cuts[i - 1]))
                return false;
        c->min = real_of(o, "min");
        c->max = real_of(o, "max");
        c->mean = real_of(o, "mean");
        c->std = real_of(o, "std");
    }
    return c->n_rows >= 0 && c->n_missing >= 0 && c->n_missing <= c->n_rows && sum + c->n_missing == c->n_rows;
}

bool plumb__reference_from_json(const json_t *j, const plumb_model *m, plumb__reference **out) {
    *out = NULL;
    plumb__reference *r = calloc(1, sizeof *r);
    const json_t *fs = json_object_get(j, "features"), *rows = json_object_get(j, "rows");
    if (!r || !json_is_array(fs) || (int64_t)json_array_size(fs) != m->n_features || !json_is_integer(rows))
        goto fail;
    r->n_rows = json_integer_value(rows);
    if (!(r->features = calloc((size_t)m->n_features + 1, sizeof *r->features)))
        goto fail;
    r->n_features = m->n_features;
    for (int64_t f = 0; f < m->n_features; f++) {
        const plumb__schema_col *sc = &m->schema->cols[m->feature_col[f]];
        const int32_t n_cats = sc->type == PLUMB_TYPE_CATEGORICAL ? sc->cats.n : sc->type == PLUMB_TYPE_BOOL ? 2 : -1;
        if (!column_from_json(json_array_get(fs, (size_t)f), n_cats, &r->features[f]))
            goto fail;
    }
    const char *source = json_string_value(json_object_get(j, "score_source"));
    r->held_out = source && strcmp(source, "held_out") == 0;
    r->score_rows = json_integer_value(json_object_get(j, "score_rows"));
    const json_t *score = json_object_get(j, "score");
    if (score && !(r->has_score = column_from_json(score, -1, &r->score)))
        goto fail;
    const json_t *cal = json_object_get(j, "calibration");
    if (cal) {
        const json_t *cs = json_object_get(cal, "score");
        r->n_cal = json_is_array(cs) ? (int32_t)json_array_size(cs) : -1;
        int64_t sum;
        if (r->n_cal < 1 || r->n_cal > PLUMB__REF_CAL_BINS || !read_reals(cs, r->cal_score, r->n_cal) ||
            !read_reals(json_object_get(cal, "rate"), r->cal_rate, r->n_cal) ||
            !read_ints(json_object_get(cal, "count"), r->cal_count, r->n_cal, &sum))
            goto fail;
    }
    r->positive_rate = real_of(j, "positive_rate");
    r->auc = real_of(j, "auc");
    r->accuracy = real_of(j, "accuracy");
    r->expected_auc = real_of(j, "expected_auc");
    r->expected_accuracy = real_of(j, "expected_accuracy");
    *out = r;
    return true;
fail:
    plumb__reference_free(r);
    return false;
}

/* ---- the public accessors ---------------------------------------------------------------------------------- */

bool plumb_model_profile_present(const plumb_model *m) {
    return m && m->reference;
}

plumb_status plumb_model_profile_column(const plumb_model *m, int64_t f, plumb_profile_column *out, plumb_error *err) {
    plumb__error_clear(err);
    if (!m || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_profile_column: a NULL argument");
    const plumb__reference *r = m->reference;
    if (!r)
        return plumb__fail(err, PLUMB_EINVAL, "the model has no reference profile: retrain it with this plumb");
    if (f < -1 || f >= r->n_features || (f == -1 && !r->has_score))
        return plumb__fail(err, PLUMB_EINVAL, "no profile column %lld", (long long)f);
    const plumb__ref_column *c = f < 0 ? &r->score : &r->features[f];
    *out = (plumb_profile_column){.categorical = c->categorical,
                                  .n_rows = c->n_rows,
                                  .n_missing = c->n_missing,
                                  .n_bins = c->categorical ? 0 : c->n_cuts + 1,
                                  .cuts = c->cuts,
                                  .counts = c->categorical ? c->cat_counts : c->counts,
                                  .n_categories = c->n_cats,
                                  .min = c->min,
                                  .max = c->max,
                                  .mean = c->mean,
                                  .std = c->std,
                                  .quantiles = c->q};
    return PLUMB_OK;
}

plumb_status plumb_model_profile_scores(plumb_model *m, const plumb_frame *held_out, plumb_error *err) {
    plumb__error_clear(err);
    if (!m || !held_out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_profile_scores: a NULL argument");
    if (!m->reference)
        return plumb__fail(err, PLUMB_EINVAL, "the model has no reference profile: retrain it with this plumb");
    plumb__source *src = NULL;
    plumb_status st = plumb__model_bind(m, held_out, &src, err);
    plumb__sources_free(src, m->n_features);
    if (st != PLUMB_OK)
        return st;
    if (plumb_frame_n_rows(held_out) == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no held-out rows to profile the scores on");
    if (!reference_scores(m->reference, m, held_out))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    m->reference->score_rows = plumb_frame_n_rows(held_out);
    m->reference->held_out = true;
    return PLUMB_OK;
}

char *plumb_model_profile_json(const plumb_model *m) {
    if (!m || !m->reference)
        return NULL;
    json_t *j = plumb__reference_to_json(m->reference);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    return text;
}
