/* check_structure.c -- the table's structure: the target's own past against the single features of a time series,
 * the row order, identical and constant columns.
 *
 * A feature that predicts the target no better than the target's own past (its value 1, 7, 14, 28 or 364 days
 * earlier, looked up by the time column) is lag structure: legitimate when it is known at prediction time, and said
 * once as info rather than as one "alone predicts" warning per column. The row order is measured as a one-feature
 * table over row positions (so its R^2 is an honest out-of-fold figure) and is not a finding when the rows follow
 * the time column: that order is time, which the random-against-time check judges.
 */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct day_row {
    double day;
    int64_t row;
} day_row;

static int by_day(const void *x, const void *y) {
    const day_row *a = x, *b = y;
    return (a->day > b->day) - (a->day < b->day);
}

/* The target's own past at the best of a few lags: fills a->lag_power, a->lag_days and lag[] (the target at that
 * lag, NaN when no row has that day). False when out of memory. */
static bool target_lags(plumb__audit_ctx *c, const plumb_split *split, double *lag) {
    static const double lags[] = {1, 7, 14, 28, 364};
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    day_row *d = malloc((size_t)(n + 1) * sizeof *d);
    double *x = malloc((size_t)(n + 1) * sizeof *x);
    bool ok = d && x;
    int64_t m = 0;
    for (int64_t i = 0; ok && i < n; i++)
        if (!isnan(c->days[i]))
            d[m++] = (day_row){c->days[i], i};
    if (ok)
        qsort(d, (size_t)m, sizeof *d, by_day);
    bool unique = true; /* one row per day: a series; otherwise a lag is not one value */
    for (int64_t i = 1; ok && i < m && unique; i++)
        unique = d[i].day != d[i - 1].day;
    for (size_t l = 0; ok && unique && l < sizeof lags / sizeof *lags; l++) {
        int64_t found = 0;
        for (int64_t i = 0; i < n; i++) {
            x[i] = NAN;
            if (isnan(c->days[i]))
                continue;
            const day_row key = {c->days[i] - lags[l], 0};
            const day_row *hit = bsearch(&key, d, (size_t)m, sizeof *d, by_day);
            if (hit)
                x[i] = c->y[hit->row], found++;
        }
        if (found < n / 2)
            continue;
        const double p = plumb__audit_values_power(c, split, x);
        if (!isnan(p) && (isnan(a->lag_power) || p > a->lag_power)) {
            a->lag_power = p, a->lag_days = lags[l];
            memcpy(lag, x, (size_t)n * sizeof *x);
        }
    }
    free(d);
    free(x);
    return ok;
}

/* Whether column col of f holds the same values as column other in every row (numbers, or category names). */
static bool same_values(const plumb_frame *f, int64_t col, int64_t other) {
    const int32_t *ca = plumb_frame_codes(f, col), *cb = plumb_frame_codes(f, other);
    if ((ca == NULL) != (cb == NULL))
        return false;
    plumb_column_info ia, ib;
    plumb_schema_column(plumb_frame_schema(f), col, &ia);
    plumb_schema_column(plumb_frame_schema(f), other, &ib);
    for (int64_t i = 0; i < plumb_frame_n_rows(f); i++) {
        if (ca) {
            const char *sa = ca[i] >= 0 ? ia.categories[ca[i]] : NULL, *sb = cb[i] >= 0 ? ib.categories[cb[i]] : NULL;
            if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
                return false;
        } else {
            const double x = plumb__number_at(f, col, i), y = plumb__number_at(f, other, i);
            if (isnan(x) != isnan(y) || (!isnan(x) && x != y))
                return false;
        }
    }
    return true;
}

/* Identical and constant feature columns: one finding each, naming every column concerned. */
static bool duplicate_columns(plumb__audit_ctx *c) {
    plumb_audit *a = c->a;
    const plumb_frame *f = c->f;
    char dup[1024] = "", con[1024] = "";
    int64_t n_dup = 0, n_con = 0;
    bool *taken = calloc((size_t)a->n_feats + 1, 1);
    if (!taken)
        return false;
    for (int64_t k = 0; k < a->n_feats; k++) {
        const plumb__feat_stat *s = &a->feats[k];
        if (!s->is_feature || taken[k])
            continue;
        /* constant: one value in every row (missing counts as a value) */
        bool constant = true;
        for (int64_t i = 1; i < c->n && constant; i++) {
            const int32_t *codes = plumb_frame_codes(f, s->col);
            if (codes)
                constant = codes[i] == codes[0];
            else {
                const double x = plumb__number_at(f, s->col, i), x0 = plumb__number_at(f, s->col, 0);
                constant = isnan(x) ? isnan(x0) : x == x0;
            }
        }
        if (constant) {
            n_con++;
            snprintf(con + strlen(con), sizeof con - strlen(con), "%s'%s'", n_con > 1 ? ", " : "", s->name);
            continue;
        }
        bool first = true;
        for (int64_t j = k + 1; j < a->n_feats; j++) {
            if (!a->feats[j].is_feature || taken[j] || !same_values(f, s->col, a->feats[j].col))
                continue;
            taken[j] = true;
            if (first)
                snprintf(dup + strlen(dup), sizeof dup - strlen(dup), "%s'%s'", n_dup ? "; " : "", s->name), n_dup++;
            snprintf(dup + strlen(dup), sizeof dup - strlen(dup), " = '%s'", a->feats[j].name);
            first = false;
        }
    }
    free(taken);
    bool ok = true;
    if (n_dup)
        ok = plumb__audit_add(
            a, PLUMB_SEVERITY_WARNING, "duplicate_columns", NULL, (double)n_dup, 0,
            plumb__audit_format("%lld group%s of identical columns", (long long)n_dup, n_dup == 1 ? "" : "s"),
            plumb__audit_format("the same value in every row: %s", dup),
            plumb__audit_format("keep one column of each group: copies split the model's gain and "
                                "importance between them, and often mean a join or export error"));
    if (ok && n_con)
        ok = plumb__audit_add(a, PLUMB_SEVERITY_INFO, "constant_columns", NULL, (double)n_con, 0,
                              plumb__audit_format("%lld constant column%s", (long long)n_con, n_con == 1 ? "" : "s"),
                              plumb__audit_format("one value in every row: %s", con),
                              plumb__audit_format("drop them: a column that never changes cannot inform a model"));
    return ok;
}

bool plumb__audit_structure(plumb__audit_ctx *c, const plumb_split *split) {
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    double *x = malloc((size_t)(n + 1) * sizeof *x), *lag = malloc((size_t)(n + 1) * sizeof *lag);
    if (!x || !lag) {
        free(x), free(lag);
        return false;
    }
    /* the row order, as a table over row positions; rows in time order make it the time itself */
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)i;
    a->row_order_power = plumb__audit_values_power(c, split, x);
    a->time_ordered = c->days != NULL;
    for (int64_t i = 1; c->days && i < n && a->time_ordered; i++)
        a->time_ordered = !(c->days[i] < c->days[i - 1]);
    /* lag structure */
    a->lag_power = a->lag_days = NAN;
    bool ok = !c->days || target_lags(c, split, lag);
    if (ok && !isnan(a->lag_power)) {
        int64_t n_lag = 0;
        char names[512] = "", exact[256] = "";
        for (int64_t k = 0; k < a->n_feats; k++) {
            plumb__feat_stat *s = &a->feats[k];
            if (!s->is_feature || s->id_like || !(s->power >= c->warn) || s->power > a->lag_power + 0.02)
                continue;
            s->lag_explained = true;
            if (n_lag++ < 6)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%s'", n_lag > 1 ? ", " : "", s->name);
            /* the target itself, earlier: equal to the lagged target in nearly every row where both exist */
            int64_t both = 0, equal = 0;
            for (int64_t i = 0; i < n && !plumb_frame_codes(c->f, s->col); i++) {
                const double v = plumb__number_at(c->f, s->col, i);
                if (isnan(v) || isnan(lag[i]))
                    continue;
                both++;
                equal += fabs(v - lag[i]) <= 1e-6 * fmax(1, fabs(lag[i]));
            }
            if (both > 0 && equal >= 0.95 * (double)both && !exact[0])
                snprintf(exact, sizeof exact, "; '%s' is the target itself %.0f days earlier", s->name, a->lag_days);
        }
        const char *pn = plumb__audit_power_name(a);
        if (n_lag)
            ok = plumb__audit_add(
                a, PLUMB_SEVERITY_INFO, "lag_structure", a->target, a->lag_power, c->warn,
                plumb__audit_format("%lld feature%s predict%s the target about as well as its own past (lag structure)",
                                    (long long)n_lag, n_lag == 1 ? "" : "s", n_lag == 1 ? "s" : ""),
                plumb__audit_format("the target %.0f days earlier alone reaches an out-of-fold %s of %.3f; %s%s "
                                    "reach%s no more than that%s",
                                    a->lag_days, pn, a->lag_power, names, n_lag > 6 ? " and others" : "",
                                    n_lag == 1 ? "es" : "", exact),
                plumb__audit_format("legitimate when these values are known at the moment of prediction: check that "
                                    "the lag is at least the forecast horizon"));
    }
    free(x);
    free(lag);
    return ok && duplicate_columns(c);
}
