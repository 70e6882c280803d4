/* charts_audit.c -- the audit's chart: each feature's power alone, strongest first, against the warning and critical
 * levels the audit used. */
#include "page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_power(const void *a, const void *b) {
    const plumb__audit_feature *x = *(const plumb__audit_feature *const *)a,
                               *y = *(const plumb__audit_feature *const *)b;
    const double px = isfinite(x->power) ? x->power : -INFINITY, py = isfinite(y->power) ? y->power : -INFINITY;
    if (px != py)
        return px > py ? -1 : 1;
    return x < y ? -1 : x > y; /* stable: record order */
}

void plumb__chart_audit_features(page *p) {
    const plumb__record *r = p->r;
    const plumb__audit_feature **order = malloc(r->n_audit_features * sizeof *order);
    plumb__bar *bars = calloc(r->n_audit_features, sizeof *bars);
    if (!order || !bars) {
        p->b->oom = true;
        goto done;
    }
    for (size_t i = 0; i < r->n_audit_features; i++)
        order[i] = &r->audit_features[i];
    qsort(order, r->n_audit_features, sizeof *order, cmp_power);
    const bool r2 = r->audit_metric && strcmp(r->audit_metric, "r2") == 0;
    /* the audit's own thresholds when the record has them (older records: the defaults) */
    const double warn = isfinite(r->audit_power_warning) ? r->audit_power_warning : r2 ? 0.5 : 0.8;
    const double crit = isfinite(r->audit_power_critical) ? r->audit_power_critical : r2 ? 0.8 : 0.9;
    size_t n = 0;
    double lo = r2 ? 0 : 0.5;
    for (size_t i = 0; i < r->n_audit_features && n < 20; i++) {
        if (!isfinite(order[i]->power))
            continue;
        const double v = order[i]->power;
        bars[n++] = (plumb__bar){order[i]->column ? order[i]->column : "?",
                                 {v, NAN},
                                 v >= crit   ? 3
                                 : v >= warn ? 4
                                             : 0};
        if (v < lo)
            lo = floor(v * 10) / 10;
    }
    if (n > 0) {
        char title[96];
        snprintf(title, sizeof title, "Audit: each feature's power alone (%s)", r2 ? "R\xC2\xB2" : "AUC");
        plumb__bar_chart c = {title,
                              "Out-of-fold score of a model that sees one feature only, with the warning and "
                              "critical levels.",
                              r2 ? "R\xC2\xB2 of the feature alone" : "AUC of the feature alone",
                              bars,
                              n,
                              1,
                              {NULL, NULL},
                              lo,
                              1,
                              3,
                              {warn, crit},
                              {"warning", "critical"}};
        figure_open(p);
        plumb__svg_hbars(p->b, p->next_id++, &c);
        figure_close(p, "A single feature that predicts the target almost by itself is usually known only after "
                        "the outcome: a leak, not a signal.");
    }
done:
    free(order);
    free(bars);
}
