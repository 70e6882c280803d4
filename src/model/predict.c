/* predict.c -- scoring any kind of model: a frame, one row, or a plain matrix, through one block kernel per kind.
 *
 * Every input is first gathered into blocks of feature values (model.h), which the kind's score_block turns into
 * raw scores; then the kind's link and the model's calibrator make them predictions. The three inputs differ only
 * in how a value is fetched, so their predictions agree to the last bit (tests/unit/test_kinds.c).
 *
 * A scorer (plumb_scorer) binds a model to the caller's column order once: a row then costs a gather, a block
 * kernel call and the link, on the caller's stack -- no allocation, no lock, any number of threads at once.
 */
#include "model.h"
#include "../eval/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Binding a frame                                                                                             */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__sources_free(plumb__source *src, int64_t n) {
    for (int64_t f = 0; src && f < n; f++)
        free(src[f].remap);
    free(src);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The model's code of category text in its column's dictionary (sorted bytewise), or PLUMB_CODE_UNSEEN. */
static int32_t category_code(const plumb__schema_col *c, const char *text) {
    const char **hit =
        c->cats.n > 0 ? bsearch(&text, c->cat_ptrs, (size_t)c->cats.n, sizeof *c->cat_ptrs, cmp_str) : NULL;
    return hit ? (int32_t)(hit - c->cat_ptrs) : PLUMB_CODE_UNSEEN;
}

/* Maps the frame's categories of column j to the model's when the two dictionaries differ. */
static plumb_status remap_categories(const plumb__schema_col *want, const plumb__schema_col *got, plumb__source *s,
                                     plumb_error *err) {
    bool same = got->cats.n == want->cats.n;
    for (int32_t k = 0; same && k < want->cats.n; k++)
        same = strcmp(got->cat_ptrs[k], want->cat_ptrs[k]) == 0;
    if (same)
        return PLUMB_OK;
    if (!(s->remap = malloc(((size_t)got->cats.n + 1) * sizeof *s->remap)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    s->n_remap = (int32_t)got->cats.n; /* the frame's codes 0 .. n-1 */
    for (int32_t k = 0; k < got->cats.n; k++)
        s->remap[k] = category_code(want, got->cat_ptrs[k]);
    return PLUMB_OK;
}

plumb_status plumb__model_bind(const plumb_model *m, const plumb_frame *frame, plumb__source **out, plumb_error *err) {
    plumb__source *src = calloc((size_t)m->n_features + 1, sizeof *src);
    plumb_status st = PLUMB_OK;
    if (!src)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (int64_t f = 0; f < m->n_features && st == PLUMB_OK; f++) {
        const plumb__schema_col *want = &m->schema->cols[m->feature_col[f]];
        const int64_t j = plumb_frame_find(frame, want->name);
        if (j < 0) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", want->name);
            break;
        }
        const plumb__schema_col *got = &frame->schema->cols[j];
        plumb__source *s = &src[f];
        if (want->type == PLUMB_TYPE_CATEGORICAL) {
            if ((s->codes = got->type == PLUMB_TYPE_CATEGORICAL ? frame->cols[j].codes : NULL))
                st = remap_categories(want, got, s, err);
        } else if (got->type == PLUMB_TYPE_NUMERIC || got->type == PLUMB_TYPE_BOOL) {
            s->f32 = frame->cols[j].f32;
            s->f64 = frame->cols[j].f64; /* a numeric column read as a target, weight or time */
            s->u8 = frame->cols[j].u8;
        }
        if (st == PLUMB_OK && !s->codes && !s->f32 && !s->f64 && !s->u8)
            st = plumb__fail(err, PLUMB_ESCHEMA, "column '%s' is %s here but %s in the training data", want->name,
                             plumb_type_name(got->type), plumb_type_name(want->type));
    }
    if (st != PLUMB_OK) {
        plumb__sources_free(src, m->n_features);
        src = NULL;
    }
    *out = src;
    return st;
}

void plumb__gather(const plumb__source *src, int64_t n, int64_t r0, int64_t nr, float *x) {
    for (int64_t f = 0; f < n; f++) {
        const plumb__source *s = &src[f];
        if (s->f32 && !s->remap) /* the common case, without the per-value tests */
            for (int64_t i = 0; i < nr; i++)
                x[i * n + f] = s->f32[r0 + i];
        else
            for (int64_t i = 0; i < nr; i++)
                x[i * n + f] = plumb__source_value(s, r0 + i);
    }
}

/* Link and calibration of n rows of raw scores (the calibration unless uncalibrated ones are wanted). */
static void finish(const plumb_model *m, bool calibrate, int64_t n, double *out) {
    if (m->ops->link)
        m->ops->link(m, n, out);
    if (calibrate && m->calibrator)
        plumb__calibrate_apply(m->calibrator, out, n, out);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Frames                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_status plumb_model_predict(const plumb_model *m, const plumb_frame *frame, const plumb_predict_options *opts,
                                 double *out, plumb_error *err) {
    plumb__error_clear(err);
    if (!m || !frame || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_predict: a NULL argument");
    const int64_t F = m->n_features, K = m->n_outputs, n = frame->n_rows;
    plumb__source *src = NULL;
    plumb_status st = plumb__model_bind(m, frame, &src, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n_blocks = (n + PLUMB__BLOCK - 1) / PLUMB__BLOCK;
    const size_t scratch = m->ops->scratch ? m->ops->scratch(m, PLUMB__BLOCK) : 0;
    if (m->ops->check_block) { /* validate first: a parallel region does not fail */
        float *x = malloc((size_t)(PLUMB__BLOCK * F + 1) * sizeof *x);
        if (!x)
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        for (int64_t b = 0; st == PLUMB_OK && b < n_blocks; b++) {
            const int64_t r0 = b * PLUMB__BLOCK, nr = n - r0 < PLUMB__BLOCK ? n - r0 : PLUMB__BLOCK;
            plumb__gather(src, F, r0, nr, x);
            st = m->ops->check_block(m, x, nr, r0, err);
        }
        free(x);
    }
    if (st != PLUMB_OK) {
        plumb__sources_free(src, F);
        return st;
    }
    bool ok = true;
    const int nt = plumb__threads(opts ? opts->threads : 0);
    (void)nt; /* unused without OpenMP */
#pragma omp parallel reduction(&& : ok) num_threads(nt) if (n_blocks > 1 && nt > 1)
    {
        float *x = malloc((size_t)(PLUMB__BLOCK * F + 1) * sizeof *x);
        void *work = scratch ? malloc(scratch) : NULL;
        ok = x && (!scratch || work);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            if (!ok)
                continue;
            const int64_t r0 = b * PLUMB__BLOCK, nr = n - r0 < PLUMB__BLOCK ? n - r0 : PLUMB__BLOCK;
            plumb__gather(src, F, r0, nr, x);
            m->ops->score_block(m, x, nr, work, out + r0 * K);
        }
        free(x);
        free(work);
    }
    plumb__sources_free(src, F);
    if (!ok)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (!opts || !opts->raw)
        finish(m, !opts || !opts->uncalibrated, n, out);
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Scorers: one row, plain matrices                                                                            */
/* ---------------------------------------------------------------------------------------------------------- */

/* Rows up to this many features are scored on the stack; wider models take one allocation per call. */
#define ROW_STACK_FEATURES 1024
#define ROW_STACK_SCRATCH 8192

struct plumb_scorer {
    const plumb_model *model;
    int64_t n_columns;
    int64_t *column;                    /* per model feature: its index in the caller's row */
    const plumb__schema_col **category; /* per model feature: the dictionary of a categorical one, else NULL */
    size_t scratch;                     /* score_block's scratch for one row */
};

plumb_status plumb_scorer_create(const plumb_model *m, const char *const *columns, int64_t n_columns,
                                 plumb_scorer **out, plumb_error *err) {
    plumb__error_clear(err);
    *out = NULL;
    if (!m || (!columns && n_columns > 0) || n_columns < 0)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_scorer_create: a NULL or negative argument");
    plumb_scorer *s = calloc(1, sizeof *s);
    const int64_t F = m->n_features;
    if (!s || !(s->column = malloc((size_t)(F + 1) * sizeof *s->column)) ||
        !(s->category = calloc((size_t)F + 1, sizeof *s->category))) {
        plumb_scorer_free(s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    s->model = m;
    s->n_columns = n_columns;
    s->scratch = m->ops->scratch ? m->ops->scratch(m, 1) : 0;
    for (int64_t f = 0; f < F; f++) {
        const plumb__schema_col *c = &m->schema->cols[m->feature_col[f]];
        int64_t j = 0;
        while (j < n_columns && (!columns[j] || strcmp(columns[j], c->name) != 0))
            j++;
        if (j == n_columns) {
            plumb_scorer_free(s);
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", c->name);
        }
        s->column[f] = j;
        s->category[f] = c->type == PLUMB_TYPE_CATEGORICAL ? c : NULL;
    }
    *out = s;
    return PLUMB_OK;
}

void plumb_scorer_free(plumb_scorer *s) {
    if (!s)
        return;
    free(s->column);
    free(s->category);
    free(s);
}

int64_t plumb_scorer_n_outputs(const plumb_scorer *s) {
    return s ? s->model->n_outputs : 0;
}

int32_t plumb_scorer_category_code(const plumb_scorer *s, int64_t column, const char *category) {
    if (!s || column < 0 || column >= s->n_columns)
        return PLUMB_CODE_UNSEEN;
    for (int64_t f = 0; f < s->model->n_features; f++)
        if (s->column[f] == column && s->category[f])
            return category ? category_code(s->category[f], category) : PLUMB_CODE_MISSING;
    return PLUMB_CODE_UNSEEN;
}

/* Scores one gathered row x into out, with scratch and raw outputs on the stack when they fit. */
static plumb_status score_row(const plumb_scorer *s, const float *x, double *out, plumb_error *err) {
    const plumb_model *m = s->model;
    double stack[ROW_STACK_SCRATCH / sizeof(double)]; /* doubles: aligned for any kind's scratch */
    void *work = s->scratch <= sizeof stack ? stack : malloc(s->scratch);
    if (!work)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = m->ops->check_block ? m->ops->check_block(m, x, 1, 0, err) : PLUMB_OK;
    if (st == PLUMB_OK) {
        m->ops->score_block(m, x, 1, work, out);
        finish(m, true, 1, out);
    }
    if (work != stack)
        free(work);
    return st;
}

plumb_status plumb_scorer_row(const plumb_scorer *s, const double *values, const char *const *categories, double *out,
                              plumb_error *err) {
    if (!s || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_scorer_row: a NULL argument");
    const int64_t F = s->model->n_features;
    float stack[ROW_STACK_FEATURES];
    float *x = F <= ROW_STACK_FEATURES ? stack : malloc((size_t)F * sizeof *x);
    if (!x)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = PLUMB_OK;
    for (int64_t f = 0; f < F && st == PLUMB_OK; f++) {
        const int64_t j = s->column[f];
        if (s->category[f]) {
            const char *text = categories ? categories[j] : NULL;
            x[f] = (float)(text ? category_code(s->category[f], text) : PLUMB_CODE_MISSING);
        } else if (!values) {
            st = plumb__fail(err, PLUMB_EINVAL, "plumb_scorer_row: no values for numeric column %lld", (long long)j);
        } else {
            x[f] = (float)values[j];
        }
    }
    if (st == PLUMB_OK)
        st = score_row(s, x, out, err);
    if (x != stack)
        free(x);
    return st;
}

/* Feature value of feature f at row i of a matrix. */
static float matrix_value(const plumb_scorer *s, int64_t f, const void *data, plumb_dtype dtype, plumb_layout layout,
                          int64_t n_rows, int64_t i) {
    const int64_t j = s->column[f];
    const int64_t at = layout == PLUMB_LAYOUT_ROW_MAJOR ? i * s->n_columns + j : j * n_rows + i;
    const double v = dtype == PLUMB_DTYPE_F32 ? (double)((const float *)data)[at] : ((const double *)data)[at];
    if (!s->category[f])
        return dtype == PLUMB_DTYPE_F32 ? ((const float *)data)[at] : (float)v;
    if (v != v || v < 0)
        return (float)PLUMB_CODE_MISSING;
    return (float)(v < (double)s->category[f]->cats.n && v == floor(v) ? (int32_t)v : PLUMB_CODE_UNSEEN);
}

/* Feature values of rows [r0, r0 + nr) of a matrix into x (row-major, nr x n_features). */
static void matrix_gather(const plumb_scorer *s, const void *data, plumb_dtype dtype, plumb_layout layout,
                          int64_t n_rows, int64_t r0, int64_t nr, float *x) {
    const int64_t F = s->model->n_features;
    for (int64_t i = 0; i < nr; i++)
        for (int64_t f = 0; f < F; f++)
            x[i * F + f] = matrix_value(s, f, data, dtype, layout, n_rows, r0 + i);
}

plumb_status plumb_scorer_matrix(const plumb_scorer *s, const void *data, plumb_dtype dtype, plumb_layout layout,
                                 int64_t n_rows, int threads, double *out, plumb_error *err) {
    plumb__error_clear(err);
    if (!s || (!data && n_rows > 0) || !out || n_rows < 0 || (dtype != PLUMB_DTYPE_F32 && dtype != PLUMB_DTYPE_F64) ||
        (layout != PLUMB_LAYOUT_ROW_MAJOR && layout != PLUMB_LAYOUT_COL_MAJOR))
        return plumb__fail(err, PLUMB_EINVAL, "plumb_scorer_matrix: a NULL, negative or unknown argument");
    const plumb_model *m = s->model;
    const int64_t F = m->n_features, K = m->n_outputs, n_blocks = (n_rows + PLUMB__BLOCK - 1) / PLUMB__BLOCK;
    const size_t scratch = m->ops->scratch ? m->ops->scratch(m, PLUMB__BLOCK) : 0;
    plumb_status st = PLUMB_OK;
    float *x = NULL;
    if (m->ops->check_block) {
        if (!(x = malloc((size_t)(PLUMB__BLOCK * F + 1) * sizeof *x)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        for (int64_t b = 0; st == PLUMB_OK && b < n_blocks; b++) {
            const int64_t r0 = b * PLUMB__BLOCK, nr = n_rows - r0 < PLUMB__BLOCK ? n_rows - r0 : PLUMB__BLOCK;
            matrix_gather(s, data, dtype, layout, n_rows, r0, nr, x);
            st = m->ops->check_block(m, x, nr, r0, err);
        }
        free(x);
        if (st != PLUMB_OK)
            return st;
    }
    bool ok = true;
    const int nt = plumb__threads(threads);
    (void)nt; /* unused without OpenMP */
#pragma omp parallel reduction(&& : ok) num_threads(nt) if (n_blocks > 1 && nt > 1)
    {
        float *bx = malloc((size_t)(PLUMB__BLOCK * F + 1) * sizeof *bx);
        void *work = scratch ? malloc(scratch) : NULL;
        ok = bx && (!scratch || work);
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            if (!ok)
                continue;
            const int64_t r0 = b * PLUMB__BLOCK, nr = n_rows - r0 < PLUMB__BLOCK ? n_rows - r0 : PLUMB__BLOCK;
            matrix_gather(s, data, dtype, layout, n_rows, r0, nr, bx);
            m->ops->score_block(m, bx, nr, work, out + r0 * K);
        }
        free(bx);
        free(work);
    }
    if (!ok)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    finish(m, true, n_rows, out);
    return PLUMB_OK;
}
