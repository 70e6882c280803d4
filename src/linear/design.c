/* design.c -- the preprocessing of linear models: learning it from training data, binding a frame, and building
 * design rows.
 *
 * Statistics are learned per input, each by one thread from its own column, so they do not depend on the thread
 * count. Quantiles are weighted: Q(q) is the smallest value v with F(v) >= q W (F the weight of the values <= v,
 * W the total), and the midpoint of v and the next larger value when F(v) = q W exactly; with unit weights this is
 * the usual median (the mean of the two middle values for an even count). They are selected, not sorted: two
 * rounds of 16-bit radix histograms of the floats' order-preserving keys, with the weights as the counts, find
 * the value in three passes over the column whatever its distribution. The standard deviation is the population one
 * (divisor W), as scikit-learn's StandardScaler; a constant column keeps scale 1 and is centered on its value, so its
 * design column is exactly 0.
 *
 * Scoring and training build design rows with the same function from the same stored numbers, so a row scores
 * exactly as it would have in training. Categories are matched by their text, so a frame read without the model's
 * schema (other codes for the same categories) scores the same as one read with it.
 */
#include "linear.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---------------------------------------------------------------------------------------------------------- */
/* Weighted quantiles                                                                                          */
/* ---------------------------------------------------------------------------------------------------------- */

#define RADIX 65536 /* 16-bit digits: two rounds select among float keys */

/* A float's order-preserving key: negatives reversed below the positives; -0 and +0 are one value. */
static uint32_t float_key(float v) {
    uint32_t u;
    v = v == 0 ? 0.0f : v;
    memcpy(&u, &v, sizeof u);
    return u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
}

static float key_float(uint32_t k) {
    const uint32_t u = k ^ ((k >> 31) ? 0x80000000u : 0xFFFFFFFFu);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A column's values (not missing, weight > 0) as histograms of their keys: per top 16 bits their weight and
 * smallest key; then, for the one top bin a selection lands in, per low 16 bits. Per thread: about 1.3 MB. */
typedef struct radix {
    double *hi, *lo;
    uint32_t *min;
    double W; /* total weight */
} radix;

/* The first round over column x (weights w, NULL = 1), noting missing values and the first infinite one. */
static void radix_fill(radix *r, const float *x, const double *w, int64_t n, bool *has_missing, int64_t *bad_row) {
    memset(r->hi, 0, RADIX * sizeof *r->hi);
    memset(r->min, 0xFF, RADIX * sizeof *r->min);
    double W = 0;
    for (int64_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1;
        if (x[i] != x[i]) {
            *has_missing = true;
            continue;
        }
        if (isinf(x[i])) {
            *bad_row = *bad_row < 0 ? i : *bad_row;
            continue;
        }
        if (!(wi > 0))
            continue;
        const uint32_t k = float_key(x[i]), b = k >> 16;
        r->hi[b] += wi;
        r->min[b] = k < r->min[b] ? k : r->min[b];
        W += wi;
    }
    r->W = W;
}

/* The smallest value v with F(v) >= t (F: the weight of the values <= v), with F(v) and the next larger value
 * (INFINITY when none). */
static double radix_select(radix *r, const float *x, const double *w, int64_t n, double t, double *F, double *next) {
    /* the top bin: the first whose cumulative weight reaches t (the last nonempty one if rounding falls short) */
    double before = 0;
    uint32_t b = 0, last = 0;
    for (; b < RADIX; b++) {
        if (r->hi[b] > 0) {
            last = b;
            if (before + r->hi[b] >= t)
                break;
            before += r->hi[b];
        }
    }
    if (b == RADIX) {
        b = last;
        before -= r->hi[b];
    }
    memset(r->lo, 0, RADIX * sizeof *r->lo);
    for (int64_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1;
        if (x[i] != x[i] || isinf(x[i]) || !(wi > 0))
            continue;
        const uint32_t k = float_key(x[i]);
        if (k >> 16 == b)
            r->lo[k & 0xFFFF] += wi;
    }
    uint32_t l = 0, lastl = 0;
    for (; l < RADIX; l++) {
        if (r->lo[l] > 0) {
            lastl = l;
            if (before + r->lo[l] >= t)
                break;
            before += r->lo[l];
        }
    }
    if (l == RADIX) {
        l = lastl;
        before -= r->lo[l];
    }
    *F = before + r->lo[l];
    *next = INFINITY;
    for (uint32_t k = l + 1; k < RADIX; k++)
        if (r->lo[k] > 0) {
            *next = key_float(b << 16 | k);
            return key_float(b << 16 | l);
        }
    for (uint32_t k = b + 1; k < RADIX; k++)
        if (r->hi[k] > 0) {
            *next = key_float(r->min[k]);
            break;
        }
    return key_float(b << 16 | l);
}

static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* Q(q) of the column's values clipped to [lo, hi] (infinite bounds: not clipped), as the file comment defines
 * it. Clipping is monotone, so the selected order statistic of the raw values, clipped, is that of the clipped
 * values; only the tie rule needs the clipped values' F and next value, found by one more pass. */
static double quantile(radix *r, const float *x, const double *w, int64_t n, double q, double lo, double hi) {
    const double t = q * r->W;
    double F, next;
    double v = radix_select(r, x, w, n, t, &F, &next);
    if (isfinite(lo) || isfinite(hi)) {
        v = clamp(v, lo, hi);
        F = 0;
        next = INFINITY;
        for (int64_t i = 0; i < n; i++) {
            const double wi = w ? w[i] : 1;
            if (x[i] != x[i] || !(wi > 0))
                continue;
            const double c = clamp(x[i], lo, hi);
            if (c <= v)
                F += wi;
            else if (c < next)
                next = c;
        }
    }
    return F == t && next < INFINITY ? v + (next - v) / 2 : v;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Learning the preprocessing                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct column_stats {
    bool usable;
    bool has_missing;
    int64_t bad_row;    /* >= 0: the first row with an infinite value */
    double *cat_weight; /* categorical: weight per category */
} column_stats;

static double weight_of(const double *w, int64_t i) {
    return w ? w[i] : 1.0;
}

/* Numeric input: clipping bounds, median, mean and standard deviation of the clipped, imputed values. */
static void fit_numeric(plumb__linear_input *in, const float *x, const double *w, int64_t n,
                        const plumb_linear_params *p, radix *r, column_stats *cs) {
    radix_fill(r, x, w, n, &cs->has_missing, &cs->bad_row);
    if (cs->bad_row >= 0 || !(r->W > 0))
        return;
    cs->usable = true;
    in->lo = -INFINITY;
    in->hi = INFINITY;
    if (p->clip_quantile > 0) {
        in->lo = quantile(r, x, w, n, p->clip_quantile, -INFINITY, INFINITY);
        in->hi = quantile(r, x, w, n, 1 - p->clip_quantile, -INFINITY, INFINITY);
    }
    const double lo = in->lo, hi = in->hi, fill = in->fill = quantile(r, x, w, n, 0.5, lo, hi);
    in->indicator = cs->has_missing;
    in->center = 0;
    in->scale = 1;
    if (!p->standardize)
        return;
    /* mean and variance over every row with weight, missing ones at the fill value (two passes: exact enough
     * for any offset) */
    double vmin = INFINITY, vmax = -INFINITY, sw = 0, swx = 0;
    for (int64_t i = 0; i < n; i++) {
        const double wi = weight_of(w, i), v = x[i] != x[i] ? fill : clamp(x[i], lo, hi);
        if (wi > 0) {
            sw += wi;
            swx += wi * v;
            vmin = v < vmin ? v : vmin;
            vmax = v > vmax ? v : vmax;
        }
    }
    const double mean = swx / sw;
    double ss = 0;
    for (int64_t i = 0; i < n; i++) {
        const double wi = weight_of(w, i), d = (x[i] != x[i] ? fill : clamp(x[i], lo, hi)) - mean;
        if (wi > 0)
            ss += wi * d * d;
    }
    const double sd = sqrt(ss / sw);
    if (vmin == vmax) {
        in->center = vmin; /* constant: exactly 0 in the design */
    } else {
        in->center = mean;
        in->scale = sd > 10 * DBL_EPSILON * fmax(1, fabs(mean)) ? sd : 1;
    }
}

/* Bool input: the most frequent value (false on a tie). */
static void fit_bool(plumb__linear_input *in, const uint8_t *u, const double *w, int64_t n, column_stats *cs) {
    double w0 = 0, w1 = 0;
    for (int64_t i = 0; i < n; i++) {
        if (u[i] == PLUMB_BOOL_MISSING) {
            cs->has_missing = true;
            continue;
        }
        const double wi = weight_of(w, i);
        if (u[i])
            w1 += wi;
        else
            w0 += wi;
    }
    cs->usable = w0 + w1 > 0;
    in->fill = w1 > w0;
    in->indicator = cs->has_missing;
    in->lo = -INFINITY;
    in->hi = INFINITY;
    in->center = 0;
    in->scale = 1;
}

static void fit_categorical(const int32_t *codes, int64_t n_cats, const double *w, int64_t n, column_stats *cs) {
    for (int64_t i = 0; i < n; i++)
        if (codes[i] >= 0 && codes[i] < n_cats)
            cs->cat_weight[codes[i]] += weight_of(w, i);
}

plumb_status plumb__linear_fit_design(plumb__linear *lin, const plumb_frame *train, const double *w, int nt,
                                      plumb_error *err) {
    const plumb_linear_params *p = &lin->params;
    const plumb_schema *fs = plumb_frame_schema(train);
    const int64_t n_cols = plumb_schema_n_columns(fs), n = plumb_frame_n_rows(train);
    plumb_status st = PLUMB_OK;
    column_stats *cs = calloc((size_t)n_cols + 1, sizeof *cs);
    plumb__linear_input *in = calloc((size_t)n_cols + 1, sizeof *in);
    radix *rad = calloc((size_t)nt, sizeof *rad);
    if (!cs || !in || !rad)
        goto nomem;
    int64_t k = 0, n_numeric = 0;
    for (int64_t j = 0; j < n_cols; j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (c.role != PLUMB_ROLE_FEATURE)
            continue;
        if (c.type != PLUMB_TYPE_NUMERIC && c.type != PLUMB_TYPE_BOOL && c.type != PLUMB_TYPE_CATEGORICAL) {
            plumb__log(PLUMB_LOG_INFO,
                       "column '%s' (%s) is not used: linear models read numeric, bool and categorical features",
                       c.name, plumb_type_name(c.type));
            continue;
        }
        in[k].column = j;
        in[k].type = c.type;
        cs[k].bad_row = -1;
        if (c.type == PLUMB_TYPE_CATEGORICAL &&
            !(cs[k].cat_weight = calloc((size_t)(c.n_categories > 0 ? c.n_categories : 0) + 1, sizeof(double))))
            goto nomem;
        n_numeric += c.type == PLUMB_TYPE_NUMERIC;
        k++;
    }
    const int64_t n_in = k;
    for (int t = 0; n_numeric > 0 && t < nt; t++)
        if (!(rad[t].hi = malloc(RADIX * sizeof *rad[t].hi)) || !(rad[t].lo = malloc(RADIX * sizeof *rad[t].lo)) ||
            !(rad[t].min = malloc(RADIX * sizeof *rad[t].min)))
            goto nomem;

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t i = 0; i < n_in; i++) {
#ifdef _OPENMP
        radix *r = &rad[omp_get_thread_num()];
#else
        radix *r = &rad[0];
#endif
        const int64_t j = in[i].column;
        if (in[i].type == PLUMB_TYPE_NUMERIC) {
            fit_numeric(&in[i], plumb_frame_f32(train, j), w, n, p, r, &cs[i]);
        } else if (in[i].type == PLUMB_TYPE_BOOL) {
            fit_bool(&in[i], plumb_frame_u8(train, j), w, n, &cs[i]);
        } else {
            plumb_column_info c;
            plumb_schema_column(fs, j, &c);
            fit_categorical(plumb_frame_codes(train, j), c.n_categories, w, n, &cs[i]);
        }
    }

    /* report the first bad column, then keep the usable inputs and number their design columns */
    for (int64_t i = 0; i < n_in; i++)
        if (cs[i].bad_row >= 0) {
            st = plumb__fail(err, PLUMB_EINVAL, "column '%s' has an infinite value in data row %lld",
                             fs->cols[in[i].column].name, (long long)cs[i].bad_row + 1);
            goto done;
        }
    int64_t kept = 0, dcol = 1;
    for (int64_t i = 0; i < n_in; i++) {
        plumb__linear_input cur = in[i];
        const char *name = fs->cols[cur.column].name;
        if (cur.type == PLUMB_TYPE_CATEGORICAL) {
            plumb_column_info c;
            plumb_schema_column(fs, cur.column, &c);
            int64_t n_rare = 0;
            cur.levels = malloc(((size_t)c.n_categories + 1) * sizeof *cur.levels);
            if (!cur.levels)
                goto nomem;
            for (int64_t l = 0; l < c.n_categories; l++) {
                const double cw = cs[i].cat_weight[l];
                if (cw > 0 && cw >= p->min_category_weight)
                    cur.levels[cur.n_levels++] = (int32_t)l;
                else
                    n_rare += cw > 0;
            }
            if (n_rare > 0)
                plumb__log(PLUMB_LOG_INFO,
                           "column '%s': %lld categories with training weight below %g get no column of their own",
                           name, (long long)n_rare, p->min_category_weight);
            cs[i].usable = cur.n_levels > 0;
            if (!cs[i].usable)
                free(cur.levels);
        }
        if (!cs[i].usable) {
            plumb__log(PLUMB_LOG_INFO, "column '%s' is not used: it has no values with weight in the training data",
                       name);
            continue;
        }
        cur.first = dcol;
        dcol += cur.type == PLUMB_TYPE_CATEGORICAL ? cur.n_levels : 1 + cur.indicator;
        in[kept++] = cur;
    }
    if (kept == 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
        goto done;
    }
    lin->inputs = in;
    lin->n_inputs = kept;
    lin->p = dcol;
    in = NULL;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    if (in)
        for (int64_t i = 0; i < n_cols; i++)
            free(in[i].levels);
    free(in);
    for (int64_t i = 0; cs && i < n_cols; i++)
        free(cs[i].cat_weight);
    free(cs);
    for (int t = 0; rad && t < nt; t++) {
        free(rad[t].hi);
        free(rad[t].lo);
        free(rad[t].min);
    }
    free(rad);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Binding a frame                                                                                             */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__linear_unbind(plumb__linear_bound *b) {
    for (int64_t i = 0; b->map && i < b->n_inputs; i++)
        free(b->map[i]);
    free(b->map);
    free(b->n_map);
    free(b->f32);
    free(b->u8);
    free(b->codes);
    memset(b, 0, sizeof *b);
}

/* map[k] = design column of the frame's category k (-1 when the model has no column for it). */
static bool map_categories(const plumb__linear_input *in, const plumb_column_info *model_col,
                           const plumb_column_info *frame_col, int64_t *map) {
    plumb__dict d = {0};
    for (int32_t l = 0; l < in->n_levels; l++) {
        const char *s = model_col->categories[in->levels[l]];
        if (plumb__dict_intern(&d, s, strlen(s), NULL) < 0) {
            plumb__dict_clear(&d);
            return false;
        }
    }
    for (int64_t k = 0; k < frame_col->n_categories; k++) {
        const char *s = frame_col->categories[k];
        const int32_t l = plumb__dict_find(&d, s, strlen(s));
        map[k] = l >= 0 ? in->first + l : -1;
    }
    plumb__dict_clear(&d);
    return true;
}

plumb_status plumb__linear_bind(const plumb__linear *lin, const plumb_schema *model_schema, const plumb_frame *frame,
                                plumb__linear_bound *b, plumb_error *err) {
    const int64_t m = lin->n_inputs;
    const plumb_schema *fs = plumb_frame_schema(frame);
    memset(b, 0, sizeof *b);
    b->n_inputs = m;
    b->f32 = calloc((size_t)m + 1, sizeof *b->f32);
    b->u8 = calloc((size_t)m + 1, sizeof *b->u8);
    b->codes = calloc((size_t)m + 1, sizeof *b->codes);
    b->map = calloc((size_t)m + 1, sizeof *b->map);
    b->n_map = calloc((size_t)m + 1, sizeof *b->n_map);
    if (!b->f32 || !b->u8 || !b->codes || !b->map || !b->n_map)
        goto nomem;
    for (int64_t i = 0; i < m; i++) {
        const plumb__linear_input *in = &lin->inputs[i];
        plumb_column_info want, got;
        plumb_schema_column(model_schema, in->column, &want);
        const int64_t j = plumb_frame_find(frame, want.name);
        if (j < 0) {
            plumb__linear_unbind(b);
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", want.name);
        }
        plumb_schema_column(fs, j, &got);
        bool ok;
        if (in->type == PLUMB_TYPE_NUMERIC)
            ok = (b->f32[i] = plumb_frame_f32(frame, j)) != NULL;
        else if (in->type == PLUMB_TYPE_BOOL)
            ok = (b->u8[i] = plumb_frame_u8(frame, j)) != NULL && got.type == PLUMB_TYPE_BOOL;
        else
            ok = (got.type == PLUMB_TYPE_CATEGORICAL || got.type == PLUMB_TYPE_STRING) && got.n_categories >= 0 &&
                 (b->codes[i] = plumb_frame_codes(frame, j)) != NULL;
        if (!ok) {
            plumb__linear_unbind(b);
            if (got.type == want.type)
                return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' has role %s here but %s in the training data",
                                   want.name, plumb_role_name(got.role), plumb_role_name(want.role));
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' is %s here but %s in the training data", want.name,
                               plumb_type_name(got.type), plumb_type_name(want.type));
        }
        if (in->type == PLUMB_TYPE_CATEGORICAL) {
            b->n_map[i] = got.n_categories;
            if (!(b->map[i] = malloc(((size_t)got.n_categories + 1) * sizeof **b->map)) ||
                !map_categories(in, &want, &got, b->map[i]))
                goto nomem;
        }
    }
    return PLUMB_OK;
nomem:
    plumb__linear_unbind(b);
    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Design rows                                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__linear_design(const plumb__linear *lin, const plumb__linear_bound *b, int64_t r0, int64_t nr, double *x,
                          int64_t ld) {
    for (int64_t i = 0; i < nr; i++)
        x[i] = 1;
    for (int64_t k = 0; k < lin->n_inputs; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        double *col = x + in->first * ld;
        if (in->type == PLUMB_TYPE_NUMERIC) {
            const float *v = b->f32[k] + r0;
            /* times the inverse of the scale: a division per value would cost more than the rest of the pass */
            const double lo = in->lo, hi = in->hi, fill = in->fill, c = in->center, inv = 1 / in->scale;
            for (int64_t i = 0; i < nr; i++) {
                const double xi = v[i];
                col[i] = ((xi != xi ? fill : xi < lo ? lo : xi > hi ? hi : xi) - c) * inv;
            }
            if (in->indicator)
                for (int64_t i = 0; i < nr; i++)
                    col[ld + i] = v[i] != v[i];
        } else if (in->type == PLUMB_TYPE_BOOL) {
            const uint8_t *u = b->u8[k] + r0;
            for (int64_t i = 0; i < nr; i++)
                col[i] = u[i] == PLUMB_BOOL_MISSING ? in->fill : u[i];
            if (in->indicator)
                for (int64_t i = 0; i < nr; i++)
                    col[ld + i] = u[i] == PLUMB_BOOL_MISSING;
        } else {
            memset(col, 0, (size_t)(in->n_levels * ld) * sizeof *col);
            const int32_t *codes = b->codes[k] + r0;
            const int64_t *map = b->map[k], n_map = b->n_map[k];
            for (int64_t i = 0; i < nr; i++) {
                const int32_t c = codes[i];
                if (c >= 0 && c < n_map && map[c] >= 0)
                    x[map[c] * ld + i] = 1;
            }
        }
    }
}
