/* charts_curves.c -- the results' curves, one series per evaluation: ROC, precision-recall, calibration, cumulative
 * gain and lift; and the histogram of scores by actual class. */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One series per evaluation that has the curve (x, y picked by the accessors). */
typedef const plumb__vec *(*curve_fn)(const plumb__eval *e, int axis);

static const plumb__vec *roc_curve(const plumb__eval *e, int axis) {
    return axis ? &e->roc_tpr : &e->roc_fpr;
}
static const plumb__vec *pr_curve(const plumb__eval *e, int axis) {
    return axis ? &e->pr_precision : &e->pr_recall;
}
static const plumb__vec *cal_curve(const plumb__eval *e, int axis) {
    return axis ? &e->cal_true : &e->cal_pred;
}
static const plumb__vec *gain_curve(const plumb__eval *e, int axis) {
    return axis ? &e->gain_gain : &e->gain_pop;
}
static const plumb__vec *lift_curve(const plumb__eval *e, int axis) {
    return axis ? &e->gain_lift : &e->gain_pop;
}

static bool curve_chart(page *p, curve_fn f, const char *title, const char *desc, const char *xl, const char *yl,
                        bool unit_range, bool diagonal, double baseline, const char *baseline_label,
                        const char *caption) {
    const plumb__record *r = p->r;
    plumb__series *s = calloc(r->n_evals ? r->n_evals : 1, sizeof *s);
    char(*names)[96] = calloc(r->n_evals ? r->n_evals : 1, sizeof *names);
    size_t n = 0;
    if (!s || !names) {
        p->b->oom = true;
        goto done;
    }
    for (size_t i = 0; i < r->n_evals; i++) {
        const plumb__vec *x = f(&r->evals[i], 0), *y = f(&r->evals[i], 1);
        if (x->n == 0 || y->n != x->n)
            continue;
        plumb__eval_label(&r->evals[i], i, names[n], sizeof names[n]);
        s[n] = (plumb__series){names[n], x->v, y->v, x->n, PLUMB__MARK_LINE, (int)(i % PLUMB__N_COLORS), false};
        n++;
    }
    if (n > 0) {
        const double lo = unit_range ? 0 : NAN, hi = unit_range ? 1 : NAN;
        plumb__xy_chart c = {title, desc, xl, yl, lo, hi, lo, hi, diagonal, baseline, baseline_label, s, n};
        figure_open(p);
        plumb__svg_xy(p->b, p->next_id++, &c);
        figure_close(p, caption);
    }
done:
    free(s);
    free(names);
    return n > 0;
}

void plumb__chart_hist(page *p, const plumb__eval *e, size_t i) {
    const size_t n = e->hist_pos.n;
    double *pos = malloc((n ? n : 1) * sizeof *pos), *neg = malloc((n ? n : 1) * sizeof *neg);
    if (!pos || !neg) {
        p->b->oom = true;
        goto done;
    }
    /* shares of each class, so a rare class is not flattened against the common one */
    double sp = 0, sn = 0;
    for (size_t k = 0; k < n; k++) {
        sp += isfinite(e->hist_pos.v[k]) ? e->hist_pos.v[k] : 0;
        sn += isfinite(e->hist_neg.v[k]) ? e->hist_neg.v[k] : 0;
    }
    for (size_t k = 0; k < n; k++) {
        pos[k] = sp > 0 && isfinite(e->hist_pos.v[k]) ? e->hist_pos.v[k] / sp : 0;
        neg[k] = sn > 0 && isfinite(e->hist_neg.v[k]) ? e->hist_neg.v[k] / sn : 0;
    }
    const plumb__record *r = p->r;
    char pl[64], nl[64], label[96], title[160];
    snprintf(pl, sizeof pl, "%s", r->positive_class ? r->positive_class : "positive");
    snprintf(nl, sizeof nl, "%s", r->negative_class ? r->negative_class : r->positive_class ? "other" : "negative");
    plumb__eval_label(e, i, label, sizeof label);
    snprintf(title, sizeof title, "Scores by class: %s", label);
    plumb__series s[2] = {{nl, e->hist_edges.v, neg, n, PLUMB__MARK_STEP_AREA, 0, false},
                          {pl, e->hist_edges.v, pos, n, PLUMB__MARK_STEP_AREA, 1, false}};
    plumb__xy_chart c = {title,   "Overlaid histograms of the model's score for each actual class.",
                         "score", "share of the class",
                         NAN,     NAN,
                         0,       NAN,
                         false,   isfinite(e->threshold) ? NAN : NAN,
                         NULL,    s,
                         2};
    figure_open(p);
    plumb__svg_xy(p->b, p->next_id++, &c);
    figure_close(p, NULL);
done:
    free(pos);
    free(neg);
}

void plumb__charts_curves(page *p) {
    const plumb__record *r = p->r;
    curve_chart(p, roc_curve, "ROC curve", "True positive rate against false positive rate as the threshold moves.",
                "false positive rate", "true positive rate", true, true, NAN, NULL,
                "The diagonal is a coin toss; the further the curve bows to the top left, the better the ranking.");
    const double base = isfinite(r->positive_rate) ? r->positive_rate : NAN;
    curve_chart(p, pr_curve, "Precision-recall curve", "Precision against recall as the threshold moves.", "recall",
                "precision", true, false, base, isfinite(base) ? "positive rate" : NULL,
                "With a rare positive class this shows what the ROC curve hides: how many flagged cases are real.");
    curve_chart(p, cal_curve, "Calibration", "Observed positive rate against the predicted probability, per bin.",
                "predicted probability", "observed rate", true, true, NAN, NULL,
                "On the diagonal, a predicted 20% means 20% of such cases are positive.");
    curve_chart(p, gain_curve, "Cumulative gain",
                "Share of all positives found against the share of the population reviewed, highest scores first.",
                "share of population reviewed", "share of positives found", true, true, NAN, NULL,
                "The diagonal is reviewing cases in random order.");
    curve_chart(p, lift_curve, "Lift", "How many times the positive rate of random review the top scores reach.",
                "share of population reviewed", "lift", false, false, 1, "random", NULL);
}
