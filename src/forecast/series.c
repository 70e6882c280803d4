/* series.c -- daily series read from a long-format CSV file for the forecaster.
 *
 * The file is read as text (plumb__csv_text), so every value keeps its place in the file and every complaint
 * names its line and column. Rows of different series may interleave; within a series the dates must run one
 * day apart in order. The set owns every series and its arrays.
 */
#include "forecast.h"

#include "../data/data.h"
#include "../data/value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS_PER_DAY 86400

void plumb__fc_set_free(plumb__fc_set *set) {
    if (!set)
        return;
    for (int64_t i = 0; i < set->n; i++) {
        free(set->s[i].name);
        free(set->s[i].y);
        free(set->s[i].future);
    }
    free(set->s);
    memset(set, 0, sizeof *set);
}

int64_t plumb__fc_find(const plumb__fc_set *set, const char *name) {
    for (int64_t i = 0; i < set->n; i++)
        if (strcmp(set->s[i].name, name) == 0)
            return i;
    return -1;
}

/* Field (row, col) of the text frame: its bytes at *s (*n of them); false when missing. */
static bool field(const plumb__csv_text *t, int64_t row, int64_t col, const char **s, size_t *n) {
    const int32_t code = t->frame->cols[col].codes[row];
    if (code < 0)
        return false;
    const plumb__dict *d = &t->frame->schema->cols[col].cats;
    *s = plumb__dict_str(d, code);
    *n = d->lens[code];
    return true;
}

static plumb_status bad_at(const plumb__csv_text *t, int64_t row, int64_t col, plumb_error *err, const char *fmt, ...)
    PLUMB__PRINTF(5, 6);

/* A PLUMB_EPARSE error at field (row, col) of the file. */
static plumb_status bad_at(const plumb__csv_text *t, int64_t row, int64_t col, plumb_error *err, const char *fmt, ...) {
    char msg[PLUMB_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int64_t line, column;
    plumb__csv_text_locate(t, row, col, &line, &column);
    return plumb__error_at(err, PLUMB_EPARSE, t->name, line, column, "%s", msg);
}

/* The whole field parsed as a number; false when it is not one. */
static bool whole_number(const char *s, size_t n, double *v) {
    const char *e = plumb__parse_number(s, s + n, v);
    return e == s + n && isfinite(*v);
}

static int64_t find_column(const plumb__csv_text *t, const char *name, const char *what, plumb_error *err) {
    const int64_t c = plumb_frame_find(t->frame, name);
    if (c < 0) {
        int64_t line, column;
        plumb__csv_text_locate(t, -1, 0, &line, &column);
        plumb__error_at(err, PLUMB_ESCHEMA, t->name, line, column, "%s column '%s' not found in header", what, name);
    }
    return c;
}

void plumb__fc_day_text(int64_t day, char *buf, size_t n) {
    int64_t y;
    int m, d;
    plumb__civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* The series called name (len bytes), added when new; NULL when out of memory. */
static plumb__fc_series *series_for(plumb__fc_set *set, const char *name, size_t len) {
    for (int64_t i = set->n - 1; i >= 0; i--)
        if (strlen(set->s[i].name) == len && memcmp(set->s[i].name, name, len) == 0)
            return &set->s[i];
    if (set->n == set->cap) {
        const int64_t cap = set->cap ? 2 * set->cap : 8;
        plumb__fc_series *s = realloc(set->s, (size_t)cap * sizeof *s);
        if (!s)
            return NULL;
        set->s = s;
        set->cap = cap;
    }
    plumb__fc_series *s = &set->s[set->n];
    memset(s, 0, sizeof *s);
    if (!(s->name = malloc(len + 1)))
        return NULL;
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    set->n++;
    return s;
}

static bool grow(plumb__fc_series *s, int64_t n_future) {
    if (s->n < s->cap)
        return true;
    const int64_t cap = s->cap ? 2 * s->cap : 64;
    double *y = realloc(s->y, (size_t)cap * sizeof *y);
    if (!y)
        return false;
    s->y = y;
    if (n_future) {
        float *f = realloc(s->future, (size_t)(cap * n_future) * sizeof *f);
        if (!f)
            return false;
        s->future = f;
    }
    s->cap = cap;
    return true;
}

/* Checks that day follows series s's last day, appending it; row/tcol locate the date for messages. */
static plumb_status next_day(const plumb__csv_text *t, plumb__fc_series *s, int64_t day, int64_t row, int64_t tcol,
                             plumb_error *err) {
    if (s->n == 0) {
        s->day0 = day;
        s->row0 = row;
        return PLUMB_OK;
    }
    const int64_t last = s->day0 + s->n - 1;
    if (day == last + 1)
        return PLUMB_OK;
    char d[16], prev[16], in[PLUMB_PATH_MAX / 2], where[48];
    plumb__fc_day_text(day, d, sizeof d);
    plumb__fc_day_text(last, prev, sizeof prev);
    int64_t pline, pcol;
    plumb__csv_text_locate(t, s->last_row, tcol, &pline, &pcol);
    snprintf(where, sizeof where, "line %lld", (long long)pline);
    if (*s->name) {
        char q[PLUMB_PATH_MAX / 4];
        plumb__quote(q, sizeof q, s->name, strlen(s->name));
        snprintf(in, sizeof in, " in series '%s'", q);
    } else {
        in[0] = '\0';
    }
    int64_t line, column;
    plumb__csv_text_locate(t, row, tcol, &line, &column);
    if (day == last)
        return plumb__error_at(err, PLUMB_EPARSE, t->name, line, column, "duplicate date '%s'%s (first on %s)", d, in,
                               where);
    if (day < last)
        return plumb__error_at(err, PLUMB_EPARSE, t->name, line, column,
                               "date '%s'%s is earlier than '%s' on %s: rows of a series must be in date order", d, in,
                               prev, where);
    return plumb__error_at(err, PLUMB_EPARSE, t->name, line, column,
                           "gap of %lld days%s: '%s' follows '%s' on %s (forecasts need one row per day)",
                           (long long)(day - last - 1), in, d, prev, where);
}

plumb_status plumb__fc_read(const char *path, const plumb__fc_spec *spec, bool with_target, plumb__fc_set *out,
                            plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb__csv_text t = {0};
    int64_t *fcol = NULL;
    memset(out, 0, sizeof *out);
    out->n_future = spec->n_future;
    if ((st = plumb__csv_text_read(path, &t, err)) != PLUMB_OK)
        goto done;
    st = PLUMB_ESCHEMA;
    const int64_t tcol = find_column(&t, spec->time_col, "time", err);
    if (tcol < 0)
        goto done;
    const int64_t ycol = with_target ? find_column(&t, spec->target, "target", err) : -1;
    if (with_target && ycol < 0)
        goto done;
    const int64_t scol = spec->series_col ? find_column(&t, spec->series_col, "series", err) : -1;
    if (spec->series_col && scol < 0)
        goto done;
    if (spec->n_future && !(fcol = malloc((size_t)spec->n_future * sizeof *fcol))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < spec->n_future; k++)
        if ((fcol[k] = find_column(&t, spec->future[k], "future covariate", err)) < 0)
            goto done;
    st = PLUMB_OK;
    const int64_t n_rows = plumb_frame_n_rows(t.frame);
    for (int64_t i = 0; i < n_rows && st == PLUMB_OK; i++) {
        const char *s;
        size_t n;
        int64_t secs;
        if (!field(&t, i, tcol, &s, &n)) {
            st = bad_at(&t, i, tcol, err, "missing date in column '%s'", spec->time_col);
            break;
        }
        char q[72];
        if (!plumb__parse_datetime(s, n, &secs)) {
            plumb__quote(q, sizeof q, s, n);
            st = bad_at(&t, i, tcol, err, "bad date '%s' in column '%s' (expected YYYY-MM-DD)", q, spec->time_col);
            break;
        }
        if (secs % SECONDS_PER_DAY != 0) {
            plumb__quote(q, sizeof q, s, n);
            st = bad_at(&t, i, tcol, err, "'%s' in column '%s' is not a whole day: forecasts are daily", q,
                        spec->time_col);
            break;
        }
        const int64_t day = secs / SECONDS_PER_DAY;
        const char *name = "";
        size_t name_len = 0;
        if (scol >= 0 && !field(&t, i, scol, &name, &name_len)) {
            st = bad_at(&t, i, scol, err, "missing series in column '%s'", spec->series_col);
            break;
        }
        plumb__fc_series *ser = series_for(out, name, name_len);
        if (!ser || !grow(ser, spec->n_future)) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            break;
        }
        if ((st = next_day(&t, ser, day, i, tcol, err)) != PLUMB_OK)
            break;
        double v = NAN;
        if (ycol >= 0) {
            if (!field(&t, i, ycol, &s, &n)) {
                st = bad_at(&t, i, ycol, err, "missing value in target column '%s'", spec->target);
                break;
            }
            if (!whole_number(s, n, &v)) {
                plumb__quote(q, sizeof q, s, n);
                st = bad_at(&t, i, ycol, err, "bad number '%s' in column '%s'", q, spec->target);
                break;
            }
        }
        for (int64_t k = 0; k < spec->n_future && st == PLUMB_OK; k++) {
            double fv = NAN;
            if (field(&t, i, fcol[k], &s, &n) && !whole_number(s, n, &fv)) {
                plumb__quote(q, sizeof q, s, n);
                st = bad_at(&t, i, fcol[k], err, "bad number '%s' in column '%s'", q, spec->future[k]);
            }
            ser->future[ser->n * spec->n_future + k] = (float)fv;
        }
        ser->y[ser->n++] = v;
        ser->last_row = i;
    }
done:
    free(fcol);
    plumb__csv_text_free(&t);
    if (st != PLUMB_OK)
        plumb__fc_set_free(out);
    return st;
}
