/* check_labels.c -- check 6: labels the out-of-fold model finds very unlikely (confident learning), and labels
 * too recent to be final. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check 6: confident learning on out-of-fold probabilities (Northcutt, Jiang & Chuang 2021): a row labelled 0 is
 * suspect when its probability of 1 reaches the mean probability of 1 among rows labelled 1, and symmetrically. */
bool plumb__audit_label_noise(plumb__audit_ctx *c, const double *oof) {
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    /* labels of immature rows are not final: the maturity check reports them, and they stay out of this one */
    const bool *skip = c->o->outcome_window_days > 0 ? c->recent : NULL;
    double t1 = 0, t0 = 0, n1 = 0, n0 = 0;
    for (int64_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        if (c->y[i] > 0.5)
            t1 += oof[i], n1 += 1;
        else
            t0 += 1 - oof[i], n0 += 1;
    }
    if (n1 == 0 || n0 == 0)
        return true;
    t1 /= n1, t0 /= n0;
    typedef struct {
        double margin;
        int64_t row;
    } cand;
    cand *s = malloc((size_t)(n + 1) * sizeof *s);
    if (!s)
        return false;
    int64_t k = 0, flipped_to_good = 0;
    for (int64_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        const double m = c->y[i] > 0.5 ? (1 - oof[i]) - t0 : oof[i] - t1;
        if (m >= 0) {
            s[k++] = (cand){m + (c->y[i] > 0.5 ? 1 - oof[i] : oof[i]), i};
            flipped_to_good += c->y[i] < 0.5;
        }
    }
    for (int64_t i = 1; i < k; i++) { /* insertion sort by margin, most suspicious first (k is small) */
        const cand v = s[i];
        int64_t j = i - 1;
        while (j >= 0 && s[j].margin < v.margin)
            s[j + 1] = s[j], j--;
        s[j + 1] = v;
    }
    if (!(a->suspects = malloc((size_t)(k + 1) * sizeof *a->suspects))) {
        free(s);
        return false;
    }
    for (int64_t i = 0; i < k; i++)
        a->suspects[i] = s[i].row;
    a->n_suspects = k;
    a->noise_rate = (double)k / (n0 + n1); /* of the rows whose labels were judged */
    free(s);
    /* with a weak model most flags are the model's own errors: a high rate is conclusive only when the model
     * separates the classes well */
    const plumb_severity sev = a->noise_rate >= 0.10 && a->cv_power >= 0.85 ? PLUMB_SEVERITY_CRITICAL
                               : a->noise_rate >= c->o->label_noise         ? PLUMB_SEVERITY_WARNING
                                                                            : PLUMB_SEVERITY_INFO;
    char top[256] = "";
    for (int64_t i = 0; i < k && i < 8; i++) {
        char one[32];
        snprintf(one, sizeof one, "%s%lld", i ? ", " : "", (long long)a->suspects[i] + 1);
        strncat(top, one, sizeof top - strlen(top) - 1);
    }
    return plumb__audit_add(
        a, sev, "label_noise", c->a->target, a->noise_rate, c->o->label_noise,
        plumb__audit_format("%lld labels (%.1f%% of rows) look wrong to the out-of-fold model", (long long)k,
                            100 * a->noise_rate),
        plumb__audit_format(
            "confident learning on out-of-fold probabilities: %lld rows labelled negative reach the mean "
            "probability of the positives (%.3f), %lld labelled positive the mean of the negatives' "
            "(%.3f); most suspicious data rows: %s",
            (long long)flipped_to_good, t1, (long long)(k - flipped_to_good), 1 - t0, k ? top : "none"),
        plumb__audit_format("review the listed rows first (for credit: clients marked good who later defaulted); fix, "
                            "drop or down-weight wrong labels, and check how labels are assigned"));
}

/* Check 6b: labels whose outcome window has not closed by the last date. */
bool plumb__audit_label_maturity(plumb__audit_ctx *c) {
    plumb_audit *a = c->a;
    const double window = c->o->outcome_window_days;
    if (!(window > 0) || !c->days || !a->binary)
        return true;
    double last = c->o->as_of_days;
    for (int64_t i = 0; isnan(c->o->as_of_days) && i < c->n; i++)
        last = fmax(isnan(last) ? -INFINITY : last, c->days[i]);
    double pos_new = 0, pos_old = 0, n_new = 0, n_old = 0;
    for (int64_t i = 0; i < c->n; i++) {
        if (isnan(c->days[i]))
            continue;
        if (c->days[i] > last - window)
            n_new += 1, pos_new += c->y[i];
        else
            n_old += 1, pos_old += c->y[i];
    }
    a->n_immature = (int64_t)n_new;
    if (n_new == 0)
        return true;
    const double rn = pos_new / n_new, ro = n_old > 0 ? pos_old / n_old : NAN;
    const bool low = n_old > 0 && rn < 0.5 * ro;
    return plumb__audit_add(
        a, low && n_new * 100 >= (double)c->n ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "label_maturity",
        a->target, n_new / (double)c->n, 0,
        plumb__audit_format("%lld rows (%.1f%%) are too recent for their label to be final", (long long)n_new,
                            100 * n_new / (double)c->n),
        plumb__audit_format("their %.0f-day outcome window had not closed by the snapshot date; their positive "
                            "rate is %.1f%% against %.1f%% for mature rows",
                            window, 100 * rn, 100 * ro),
        plumb__audit_format("leave rows younger than the outcome window out of training and evaluation, or label them "
                            "only once their window closes"));
}
