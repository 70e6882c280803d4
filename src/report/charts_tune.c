/* charts_tune.c -- the search section of a tune report: every trial's score with the best so far, and how much of
 * the score's spread each parameter explains. */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plumb__chart_tune_history(page *p) {
    const plumb__record *r = p->r;
    const size_t n = r->tune_scores.n;
    double *x = malloc((n ? n : 1) * 4 * sizeof *x);
    if (!x) {
        p->b->oom = true;
        return;
    }
    double *done = x + n, *cut = x + 2 * n, *best = x + 3 * n;
    double b = NAN;
    for (size_t i = 0; i < n; i++) {
        const double v = r->tune_scores.v[i];
        const bool pruned = r->tune_states && strcmp(r->tune_states[i], "pruned") == 0;
        const bool complete = !r->tune_states || strcmp(r->tune_states[i], "complete") == 0;
        x[i] = (double)(i + 1);
        done[i] = complete ? v : NAN;
        cut[i] = pruned ? v : NAN;
        if (complete && isfinite(v) && (isnan(b) || (r->tune_higher ? v > b : v < b)))
            b = v;
        best[i] = b;
    }
    plumb__series s[3] = {
        {"complete trial", x, done, n, PLUMB__MARK_POINTS, 0, false},
        {"pruned trial (mean of its folds so far)", x, cut, n, PLUMB__MARK_POINTS, 3, false},
        {"best so far", x, best, n, PLUMB__MARK_LINE, 1, false},
    };
    char title[128];
    snprintf(title, sizeof title, "Optimisation history: cross-validated %s per trial",
             plumb__metric_label(r->tune_metric));
    plumb__xy_chart c = {title,
                         "Each trial's cross-validated score in the order the trials ran, and the best so far.",
                         "trial",
                         plumb__metric_label(r->tune_metric),
                         NAN,
                         NAN,
                         NAN,
                         NAN,
                         false,
                         isfinite(r->tune_test_score) ? r->tune_test_score : NAN,
                         isfinite(r->tune_test_score) ? "the tuned model on held-out rows" : NULL,
                         s,
                         3};
    figure_open(p);
    plumb__svg_xy(p->b, p->next_id++, &c);
    figure_close(p, isfinite(r->tune_test_score)
                        ? "The best-so-far line is the best of many noisy scores, so it drifts above what the model "
                          "will do; the dashed line is the refit model on rows no trial saw."
                        : "The best-so-far line is the best of many noisy scores, so it drifts above what the model "
                          "will do on new rows: hold rows out (--test) for an unbiased figure.");
    free(x);
}

void plumb__chart_tune_importance(page *p) {
    const plumb__record *r = p->r;
    const size_t n = r->tune_imp.n;
    plumb__bar *bars = calloc(n ? n : 1, sizeof *bars);
    if (!bars) {
        p->b->oom = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(r->tune_imp.v[i]))
            bars[k++] =
                (plumb__bar){r->tune_imp_names[i] ? r->tune_imp_names[i] : "?", {100 * r->tune_imp.v[i], NAN}, 2};
    for (size_t i = 1; i < k; i++) /* largest first; insertion sort keeps ties in record order */
        for (size_t j = i; j > 0 && bars[j].value[0] > bars[j - 1].value[0]; j--) {
            const plumb__bar t = bars[j];
            bars[j] = bars[j - 1];
            bars[j - 1] = t;
        }
    if (k > 0) {
        plumb__bar_chart c = {"Parameter importance: share of the score's spread",
                              "How much of the spread of the complete trials' scores each parameter explains alone.",
                              "% of the explained variance",
                              bars,
                              k,
                              1,
                              {NULL, NULL},
                              0,
                              NAN,
                              1,
                              {NAN, NAN},
                              {NULL, NULL}};
        figure_open(p);
        plumb__svg_hbars(p->b, p->next_id++, &c);
        figure_close(p, "Each parameter's epsilon squared: trials grouped by its value (choices, or up to 10 "
                        "equal-count bins), the between-group variance of the score over the total less what chance "
                        "gives, normalised to 100%. A main effect only: parameters that matter together show little "
                        "here.");
    }
    free(bars);
}
