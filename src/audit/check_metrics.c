/* check_metrics.c -- checks 4 (without a test set) and 8: too good to be true, random against time splits,
 * train against validation and out-of-time scores, the row order. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks 4 (without a test set), 8: random against time splits, train against validation and out-of-time. */
bool plumb__audit_metric_findings(plumb__audit_ctx *c) {
    plumb_audit *a = c->a;
    const char *pn = plumb__audit_power_name(a);
    const double gap = c->o->split_gap;
    bool ok = true;
    if (a->cv_power >= c->too_good)
        ok = plumb__audit_add(
            a, PLUMB_SEVERITY_CRITICAL, "too_good", NULL, a->cv_power, c->too_good,
            plumb__audit_format("the cross-validated %s of %.3f is too good to be true", pn, a->cv_power),
            plumb__audit_format("a model of all features reaches an out-of-fold %s of %.3f; real problems of this kind "
                                "rarely pass %.2f",
                                pn, a->cv_power, c->too_good),
            plumb__audit_format(
                "look for the feature that makes it possible (the single-feature findings above) before "
                "trusting any score"));
    if (ok && !isnan(a->time_cv_power) && a->cv_power - a->time_cv_power >= gap)
        ok = plumb__audit_add(
            a, a->cv_power - a->time_cv_power >= 2 * gap ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING,
            "random_vs_time", NULL, a->cv_power - a->time_cv_power, gap,
            plumb__audit_format("random-split validation overstates the model: %s %.3f against %.3f on time splits", pn,
                                a->cv_power, a->time_cv_power),
            plumb__audit_format(
                "the same model scores %.3f higher when validation rows are drawn at random than when they "
                "follow their training rows in time: it exploits time-local structure or leakage",
                a->cv_power - a->time_cv_power),
            plumb__audit_format("validate by time (plumb cv --strategy time) and report that figure"));
    if (ok && a->train_power - a->cv_power >= 0.10 && c->reg_power > a->cv_power + 0.002)
        ok = plumb__audit_add(
            a, PLUMB_SEVERITY_WARNING, "metric_gap", NULL, c->reg_power - a->cv_power, 0.002,
            plumb__audit_format("a more regularised model scores better out of fold: %s %.3f against %.3f", pn,
                                c->reg_power, a->cv_power),
            plumb__audit_format(
                "with 15 leaves of at least 20 rows and %lld rounds the model reaches %s %.3f on its "
                "training rows and %.3f out of fold; with 4 leaves of at least 100 rows and %lld rounds, "
                "%.3f out of fold",
                (long long)c->o->num_iterations, pn, a->train_power, a->cv_power, 2 * (long long)c->o->num_iterations,
                c->reg_power),
            plumb__audit_format("train with fewer leaves and more rows per leaf (plumb train --num-leaves 4 "
                                "--min-data-in-leaf 100 --num-iterations %lld), then tune them by cross-validation",
                                2 * (long long)c->o->num_iterations));
    /* the test set is out of time only when its rows are known to follow the training rows */
    const bool use_test = !isnan(a->test_power), out_of_time = !use_test || c->test_later;
    const double oot = use_test ? a->test_power : a->oot_power;
    if (ok && !isnan(oot) && a->cv_power - oot >= gap)
        ok = plumb__audit_add(
            a, a->cv_power - oot >= 2 * gap ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "metric_gap", NULL,
            a->cv_power - oot, gap,
            plumb__audit_format("%s %s %.3f against %.3f in validation", out_of_time ? "out-of-time" : "test", pn, oot,
                                a->cv_power),
            plumb__audit_format("%s, the model loses %.3f of %s",
                                !use_test     ? "trained on the past and scored on the latest 20% of rows"
                                : out_of_time ? "trained on the past and scored on the test set, which follows it"
                                              : "scored on the test set",
                                a->cv_power - oot, pn),
            plumb__audit_format(out_of_time ? "expect the out-of-time figure in production; find what changed over "
                                              "time or leaks within a period"
                                            : "find what differs between the test set and the training data (its "
                                              "period, population or labels); with --time-col the audit checks "
                                              "whether the test set follows the training data in time"));
    if (ok && !a->time_ordered && a->row_order_power >= c->o->id_power)
        ok = plumb__audit_add(
            a, PLUMB_SEVERITY_WARNING, "row_order", NULL, a->row_order_power, c->o->id_power,
            plumb__audit_format("the row order carries the label (%s %.3f)", pn, a->row_order_power),
            plumb__audit_format("the position of a row in the file separates the classes with %s %.3f", pn,
                                a->row_order_power),
            plumb__audit_format(
                "shuffle before any split that takes consecutive rows, and look for an id or counter that "
                "follows the same order"));
    return ok;
}
