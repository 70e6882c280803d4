/* charts_importance.c -- what the model relies on, as ranked horizontal bars: each feature's share of the gain, its
 * mean |TreeSHAP| contribution, and one row's contributions. */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    const char *label;
    double v;
    size_t order;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (fabs(x->v) != fabs(y->v))
        return fabs(x->v) > fabs(y->v) ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Horizontal bars of the top 20 by |value|. which: 0 gain share, 1 SHAP, 2 one row's contributions. */
void plumb__chart_ranked(page *p, int which) {
    const plumb__record *r = p->r;
    const size_t total = which == 2 ? r->n_contributions : r->n_importance;
    ranked *v = calloc(total ? total : 1, sizeof *v);
    plumb__bar *bars = calloc(total ? total : 1, sizeof *bars);
    char(*labels)[96] = calloc(total ? total : 1, sizeof *labels);
    if (!v || !bars || !labels) {
        p->b->oom = true;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        double x;
        const char *name;
        if (which == 2) {
            x = r->contributions[i].contribution;
            name = r->contributions[i].feature ? r->contributions[i].feature : "?";
            if (r->contributions[i].value)
                snprintf(labels[n], sizeof labels[n], "%s = %s", name, r->contributions[i].value);
            else
                snprintf(labels[n], sizeof labels[n], "%s", name);
        } else {
            x = which == 0 ? 100 * r->importance[i].gain_share : r->importance[i].shap_mean_abs;
            snprintf(labels[n], sizeof labels[n], "%s", r->importance[i].feature ? r->importance[i].feature : "?");
        }
        if (!isfinite(x))
            continue;
        v[n] = (ranked){labels[n], x, i};
        n++;
    }
    if (n == 0)
        goto done;
    qsort(v, n, sizeof *v, cmp_ranked);
    const size_t shown = n < 20 ? n : 20;
    for (size_t i = 0; i < shown; i++)
        bars[i] = (plumb__bar){v[i].label, {v[i].v, NAN}, which == 2 ? (v[i].v >= 0 ? 1 : 0) : which == 0 ? 0 : 2};
    char title[160];
    if (which == 2) {
        snprintf(title, sizeof title, "Why this score: %s", r->explain_row ? r->explain_row : "one row");
    } else
        snprintf(title, sizeof title, "%s%s",
                 which == 0 ? "Feature importance: share of total gain" : "TreeSHAP: mean |contribution| per feature",
                 n > shown ? " (top 20)" : "");
    plumb__bar_chart c = {title,
                          which == 0   ? "Each feature's share of the loss reduction of all the model's splits."
                          : which == 1 ? "The average size of each feature's contribution to a score (TreeSHAP)."
                                       : "How much each feature pushed this row's score up or down (TreeSHAP).",
                          which == 0   ? "share of gain (%)"
                          : which == 1 ? "mean |contribution| (raw score)"
                                       : "contribution to the raw score",
                          bars,
                          shown,
                          1,
                          {NULL, NULL},
                          NAN,
                          NAN,
                          which == 0 ? 1 : 3,
                          {NAN, NAN},
                          {NULL, NULL}};
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    if (which == 2 && isfinite(r->explain_base) && isfinite(r->explain_prediction)) {
        char a[32], b[32], cap[160];
        plumb__fmt_fixed(a, sizeof a, r->explain_base, 3);
        plumb__fmt_fixed(b, sizeof b, r->explain_prediction, 3);
        snprintf(cap, sizeof cap, "The average raw score %s plus these contributions gives this row's %s.", a, b);
        figure_close(p, cap);
    } else
        figure_close(p, which == 0   ? "Gain measures what the trees used, not what causes the outcome."
                        : which == 1 ? "TreeSHAP splits every score exactly among the features (Lundberg et al. "
                                       "2018); this is the average size of each share."
                                     : NULL);
done:
    free(v);
    free(bars);
    free(labels);
}
