/* profile.c -- per-column profiles: missing values, distinct values, range, moments, most frequent values.
 *
 * Moments use Welford's update in double, so a column of a million float32 values loses no precision worth
 * seeing. Distinct numeric values are counted exactly by sorting a copy of the column.
 */
#include "data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct moments {
    int64_t n;
    double mean, m2, min, max;
} moments;

static void moments_add(moments *m, double x) {
    m->n++;
    double d = x - m->mean;
    m->mean += d / (double)m->n;
    m->m2 += d * (x - m->mean);
    if (m->n == 1 || x < m->min)
        m->min = x;
    if (m->n == 1 || x > m->max)
        m->max = x;
}

static void moments_store(const moments *m, plumb_column_profile *p) {
    p->min = m->n ? m->min : NAN;
    p->max = m->n ? m->max : NAN;
    p->mean = m->n ? m->mean : NAN;
    p->std = m->n > 1 ? sqrt(m->m2 / (double)(m->n - 1)) : NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of distinct values in v[0..n), which it sorts. */
static int64_t distinct_sorted(double *v, int64_t n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int64_t k = n > 0;
    for (int64_t i = 1; i < n; i++)
        k += v[i] != v[i - 1];
    return k;
}

/* Fills the top values from per-code counts (highest count first, ties in code order). */
static void fill_top(plumb_column_profile *p, const int64_t *counts, int32_t n_codes, const char *const *names) {
    p->n_top = 0;
    for (int32_t c = 0; c < n_codes; c++) {
        if (counts[c] == 0)
            continue;
        p->n_distinct++;
        int k = p->n_top < PLUMB_PROFILE_TOP ? p->n_top++ : PLUMB_PROFILE_TOP;
        while (k > 0 && counts[c] > p->top[k - 1].count) {
            if (k < PLUMB_PROFILE_TOP)
                p->top[k] = p->top[k - 1];
            k--;
        }
        if (k < PLUMB_PROFILE_TOP) {
            p->top[k].value = names[c];
            p->top[k].count = counts[c];
        }
    }
}

plumb_status plumb_frame_profile(const plumb_frame *f, int64_t col, plumb_column_profile *p, plumb_error *err) {
    if (col < 0 || col >= f->schema->n)
        return plumb__fail(err, PLUMB_EINVAL, "no column %lld", (long long)col);
    memset(p, 0, sizeof *p);
    const int64_t n = f->n_rows;
    const plumb__column *c = &f->cols[col];
    const plumb__schema_col *sc = &f->schema->cols[col];
    moments m = {0};
    p->n_rows = n;
    if (c->f32 || c->f64 || c->i64) {
        double *v = malloc(((size_t)n + 1) * sizeof *v);
        if (!v)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            double x;
            if (c->i64)
                x = c->i64[i] == PLUMB_DATETIME_MISSING ? NAN : (double)c->i64[i];
            else
                x = c->f32 ? (double)c->f32[i] : c->f64[i];
            if (isnan(x))
                continue;
            moments_add(&m, x);
            v[k++] = x;
        }
        p->n_missing = n - k;
        p->n_distinct = distinct_sorted(v, k);
        free(v);
    } else if (c->u8) {
        static const char *const names[] = {"false", "true"};
        int64_t counts[2] = {0, 0};
        for (int64_t i = 0; i < n; i++) {
            if (c->u8[i] == PLUMB_BOOL_MISSING) {
                p->n_missing++;
                continue;
            }
            counts[c->u8[i]]++;
            moments_add(&m, c->u8[i]);
        }
        fill_top(p, counts, 2, names);
    } else {
        int32_t nc = sc->cats.n;
        int64_t *counts = calloc((size_t)nc + 1, sizeof *counts);
        if (!counts)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < n; i++) {
            if (c->codes[i] >= 0)
                counts[c->codes[i]]++;
            else if (c->codes[i] == PLUMB_CODE_MISSING)
                p->n_missing++;
        }
        fill_top(p, counts, nc, sc->cat_ptrs);
        free(counts);
    }
    moments_store(&m, p);
    return PLUMB_OK;
}
