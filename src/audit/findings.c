/* findings.c -- the audit's findings: formatted strings, adding one, their order (most severe first), and the
 * accessors of the public API. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Findings                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    const int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *plumb__audit_format(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* Adds a finding; title, evidence and action are malloc'd strings it takes (NULL: out of memory). */
bool plumb__audit_add(plumb_audit *a, plumb_severity sev, const char *check, const char *column, double value,
                      double threshold, char *title, char *evidence, char *action) {
    if (!title || !evidence || !action ||
        (a->n_findings == a->cap &&
         !(a->findings = realloc(a->findings, (size_t)(a->cap = 2 * a->cap + 16) * sizeof *a->findings)))) {
        free(title), free(evidence), free(action);
        return false;
    }
    a->findings[a->n_findings++] = (plumb_finding){sev, check, column, title, evidence, action, value, threshold};
    return true;
}

/* What a finding changes, most first within a severity: leaks make every score meaningless, a wrong validation
 * scheme misstates it, bad labels and split problems bias it, the rest is housekeeping. */
static int impact(const char *check) {
    static const char *const order[] = {"available_at",
                                        "single_feature_power",
                                        "too_good",
                                        "id_leak",
                                        "retro_filled",
                                        "missingness",
                                        "id_overlap",
                                        "duplicates",
                                        "random_vs_time",
                                        "test_older",
                                        "metric_gap",
                                        "label_noise",
                                        "label_maturity",
                                        "target_shift",
                                        "row_order",
                                        "gain_concentration",
                                        "importance_disagreement",
                                        "duplicate_columns",
                                        "constant_columns",
                                        "lag_structure"};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (strcmp(order[i], check) == 0)
            return (int)i;
    return (int)(sizeof order / sizeof *order);
}

int plumb__audit_by_severity(const void *x, const void *y) {
    const plumb_finding *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    const int ia = impact(a->check), ib = impact(b->check);
    if (ia != ib)
        return ia < ib ? -1 : 1;
    const double da = fabs(a->value - a->threshold), db = fabs(b->value - b->threshold);
    return (da < db) - (da > db);
}

void plumb_audit_free(plumb_audit *a) {
    if (!a)
        return;
    for (int64_t i = 0; i < a->n_findings; i++) {
        free((char *)a->findings[i].title);
        free((char *)a->findings[i].evidence);
        free((char *)a->findings[i].action);
    }
    free(a->findings);
    free(a->feats);
    free(a->target);
    free(a->suspects);
    free(a->suspect_scores);
    free(a);
}

int64_t plumb_audit_n_findings(const plumb_audit *a) {
    return a->n_findings;
}

const plumb_finding *plumb_audit_finding(const plumb_audit *a, int64_t i) {
    return i >= 0 && i < a->n_findings ? &a->findings[i] : NULL;
}

const int64_t *plumb_audit_suspect_rows(const plumb_audit *a, int64_t *n) {
    *n = a->n_suspects;
    return a->suspects;
}
