/* charts_validation.c -- the validation section's charts: each cross-validation fold's score per metric, and the
 * learning curve (the metric per boosting iteration on the training and validation data). */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plumb__chart_folds(page *p) {
    const plumb__record *r = p->r;
    plumb__fold_row *rows = calloc(r->n_fold_metrics, sizeof *rows);
    if (!rows) {
        p->b->oom = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n_fold_metrics; i++)
        if (r->fold_metrics[i].v.n > 0)
            rows[n++] = (plumb__fold_row){plumb__metric_label(r->fold_metrics[i].name), r->fold_metrics[i].v.v,
                                          r->fold_metrics[i].v.n};
    if (n > 0) {
        figure_open(p);
        plumb__svg_folds(p->b, p->next_id++, "Cross-validation: each fold's score", rows, n);
        figure_close(p, "A dot per fold; the band spans the mean \xC2\xB1 one standard deviation. A narrow band "
                        "means the score does not hinge on which rows were held out.");
    }
    free(rows);
}

static double *iota(size_t n) {
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; x && i < n; i++)
        x[i] = (double)(i + 1);
    return x;
}

void plumb__chart_learning(page *p) {
    const plumb__record *r = p->r;
    const size_t n = r->lc_train.n > r->lc_valid.n ? r->lc_train.n : r->lc_valid.n;
    double *x = iota(n);
    if (!x) {
        p->b->oom = true;
        return;
    }
    plumb__series s[2];
    size_t k = 0;
    if (r->lc_train.n)
        s[k++] = (plumb__series){"training", x, r->lc_train.v, r->lc_train.n, PLUMB__MARK_LINE, 0, false};
    if (r->lc_valid.n)
        s[k++] = (plumb__series){"validation", x, r->lc_valid.v, r->lc_valid.n, PLUMB__MARK_LINE, 1, false};
    char title[96];
    snprintf(title, sizeof title, "Learning curve: %s per iteration", plumb__metric_label(r->lc_metric));
    plumb__xy_chart c = {title,
                         r->lc_train.n && r->lc_valid.n
                             ? "The metric on the training and validation data after each boosting iteration."
                         : r->lc_valid.n ? "The metric on the validation data after each boosting iteration."
                                         : "The metric on the training data after each boosting iteration.",
                         "iteration",
                         plumb__metric_label(r->lc_metric),
                         NAN,
                         NAN,
                         NAN,
                         NAN,
                         false,
                         NAN,
                         NULL,
                         s,
                         k};
    figure_open(p);
    plumb__svg_xy(p->b, p->next_id++, &c);
    /* the caption speaks only of the lines drawn */
    figure_close(p, r->lc_train.n && r->lc_valid.n
                        ? "Where the validation curve flattens or turns up while the training curve keeps improving, "
                          "more trees only memorise the training rows."
                    : r->lc_valid.n ? "Where the validation curve flattens or turns up, more trees stop helping."
                                    : "The training metric alone: without validation data the chart cannot show "
                                      "when more trees stop helping.");
    free(x);
}
