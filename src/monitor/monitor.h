/* monitor.h -- monitoring a model's inputs and outputs against the reference profile it carries (src/monitor/).
 *
 * plumb_monitor_run (monitor.c) cuts the new data into time windows and, per window, compares every model feature,
 * the score and (with labels) the realised performance with the model's reference (src/model/reference.h); the
 * statistics are in stats.c, the diagnosis that ranks causes in diagnose.c. Thresholds and their measured
 * false-alarm rates: docs/monitor.md.
 */
#ifndef PLUMB_MONITOR_MONITOR_H
#define PLUMB_MONITOR_MONITOR_H

#include "../model/reference.h"

/* Rows up to which drift is judged by a test's p-value (KS, chi-square), above by a distance (Wasserstein over
 * the reference's standard deviation, Jensen-Shannon), as Evidently does. */
#define PLUMB__SMALL_SAMPLE 1000
#define PLUMB__WASSERSTEIN_MAX 0.1 /* normed Wasserstein-1 above: drift */
#define PLUMB__JS_MAX 0.1          /* Jensen-Shannon distance (base 2) above: drift */
#define PLUMB__MISSING_MIN 0.02    /* missing share change below this never alerts */
#define PLUMB__SHARE_MAX 0.01      /* out-of-range values or unseen categories above this share: alert */
#define PLUMB__AUC_DROP 0.05       /* expected AUC this far below the reference's, or realised below expected */

/* What one window found about one column (a model feature or the score). */
typedef struct plumb__drift {
    int64_t f; /* model feature; -1: the score */
    const char *name;
    bool categorical;
    int64_t n_rows, n_missing;
    const char *test;                     /* "ks", "chi2", "wasserstein", "jensen_shannon" */
    double statistic, p_value, threshold; /* p_value NaN for distances; threshold: alpha or the distance's */
    double psi, js, ks, wasserstein;      /* every statistic, whichever decides */
    double missing_ref, missing;          /* shares */
    double out_of_range, unseen;          /* shares of the non-missing rows */
    double mean, std, min, max;           /* numeric, current */
    int64_t n_distinct_cats;              /* categorical: categories seen in the window */
    double vanished;                      /* categorical: reference share of categories absent in the window */
    bool drift, missing_alert, range_alert, unseen_alert;
} plumb__drift;

typedef struct plumb__window {
    int64_t start, end; /* seconds since 1970, [start, end); both 0 without a time column */
    int64_t n_rows;
    plumb__drift *features; /* n_features */
    bool has_score;
    plumb__drift score;
    double expected_auc, expected_accuracy, auc, accuracy, positive_rate, score_mean; /* NaN when not computed */
    bool performance_alert, concept_alert;
    int64_t n_alerts;
} plumb__window;

typedef struct plumb__schema_issue {
    char *column;
    char *problem;
} plumb__schema_issue;

struct plumb_monitor {
    const plumb_model *model; /* borrowed */
    plumb_monitor_options opts;
    int64_t n_rows, n_features;
    double alpha_feature; /* the p-value threshold of one feature's test: alpha over the features (Bonferroni) */
    plumb__schema_issue *schema;
    int64_t n_schema;
    plumb__window *windows;
    int64_t n_windows;
    double ref_expected_auc;
    double *contrib_shift; /* with diagnose: per feature, mean contribution change (NULL until computed) */
    int64_t n_alerts;
};

/* stats.c: two-sample statistics on counts in the same k bins (reference, current). */
double plumb__psi(const int64_t *ref, const int64_t *cur, int32_t k);
double plumb__js_distance(const int64_t *ref, const int64_t *cur, int32_t k);
double plumb__ks_binned(const int64_t *ref, const int64_t *cur, int32_t k);
double plumb__ks_pvalue(double d, double n, double m);
double plumb__wasserstein_binned(const double *cuts, int32_t n_cuts, const int64_t *ref, const int64_t *cur);
/* Chi-square goodness of fit of cur to ref's shares: the p-value, the statistic in *stat. */
double plumb__chi2_test(const int64_t *ref, const int64_t *cur, int32_t k, double *stat);

#endif /* PLUMB_MONITOR_MONITOR_H */
