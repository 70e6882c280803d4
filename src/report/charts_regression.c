/* charts_regression.c -- how far a regression model is off, per evaluation: predicted against actual with the line
 * y = x, the residuals (actual - predicted) against the prediction and against time, and the error by segment
 * (decile of the prediction, year, category) as bars of the mean absolute error and the mean error. */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void scatter(page *p, const char *title, const char *desc, const char *xl, const char *yl, const double *x,
                    const double *y, size_t n, bool diagonal, const char *caption) {
    double lo = NAN, hi = NAN;
    if (diagonal) { /* the same range on both axes, so y = x is the diagonal of the square */
        for (size_t i = 0; i < n; i++)
            if (isfinite(x[i]) && isfinite(y[i])) {
                lo = isfinite(lo) ? fmin(lo, fmin(x[i], y[i])) : fmin(x[i], y[i]);
                hi = isfinite(hi) ? fmax(hi, fmax(x[i], y[i])) : fmax(x[i], y[i]);
            }
    }
    plumb__series s = {NULL, x, y, n, PLUMB__MARK_POINTS, 0, false};
    plumb__xy_chart c = {
        title, desc, xl, yl, lo, hi, lo, hi, diagonal, diagonal ? NAN : 0, diagonal ? NULL : "no error", &s, 1};
    figure_open(p);
    plumb__svg_xy(p->b, p->next_id++, &c);
    figure_close(p, caption);
}

static void segment_bars(page *p, const plumb__segment *g, const char *label, bool first) {
    const size_t n = g->rows.n;
    plumb__bar *bars = calloc(n ? n : 1, sizeof *bars);
    if (!bars) {
        p->b->oom = true;
        return;
    }
    for (size_t k = 0; k < n; k++)
        bars[k] = (plumb__bar){g->labels[k], {g->mae.v[k], g->bias.v[k]}, 0};
    char title[192];
    snprintf(title, sizeof title, "Error by %s: %s", g->by ? g->by : "segment", label);
    plumb__bar_chart c = {title,
                          "Mean absolute error and mean error (actual minus predicted) of each group of rows.",
                          "error",
                          bars,
                          n,
                          2,
                          {"mean absolute error", "mean error (actual \xE2\x88\x92 predicted)"},
                          NAN,
                          NAN,
                          2,
                          {NAN, NAN},
                          {NULL, NULL}};
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    /* said once, under the first of these charts */
    figure_close(p, first ? "A group whose mean error sits far from 0 is predicted too low (positive) or too high "
                            "(negative) as a whole; a long error bar alone is noise the model cannot explain."
                          : NULL);
    free(bars);
}

void plumb__charts_regression(page *p, const plumb__eval *e, size_t i) {
    const size_t n = e->reg_pred.n;
    char label[96], title[192], xl[128];
    plumb__eval_label(e, i, label, sizeof label);
    double *res = malloc((n ? n : 1) * sizeof *res);
    if (!res) {
        p->b->oom = true;
        return;
    }
    for (size_t k = 0; k < n; k++)
        res[k] = e->reg_actual.v[k] - e->reg_pred.v[k];
    if (n > 0) {
        snprintf(title, sizeof title, "Predicted against actual: %s", label);
        scatter(p, title, "Each dot a row: its prediction across, its actual value up; the dashed line is y = x.",
                "predicted", "actual", e->reg_pred.v, e->reg_actual.v, n, true,
                "On the dashed line the prediction is exact; dots above it were predicted too low.");
        snprintf(title, sizeof title, "Residuals against the prediction: %s", label);
        scatter(p, title, "Actual minus predicted value of each row against its prediction.", "predicted",
                "actual \xE2\x88\x92 predicted", e->reg_pred.v, res, n, false,
                "A funnel means the error grows with the prediction; a curve, a pattern the model missed.");
    }
    if (e->reg_time.n == n && n > 0) {
        snprintf(title, sizeof title, "Residuals over time: %s", label);
        if (e->time_unit)
            snprintf(xl, sizeof xl, "%s (%s)", e->time_name ? e->time_name : "time", e->time_unit);
        else
            snprintf(xl, sizeof xl, "%s", e->time_name ? e->time_name : "time");
        scatter(p, title, "Actual minus predicted value of each row against its time.", xl,
                "actual \xE2\x88\x92 predicted", e->reg_time.v, res, n, false,
                "Residuals drifting away from 0 over time mean the model is going stale.");
    }
    free(res);
    for (size_t k = 0, shown = 0; k < e->n_segments; k++)
        if (e->segments[k].rows.n > 0)
            segment_bars(p, &e->segments[k], label, shown++ == 0);
}
