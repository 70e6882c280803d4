/* audit.h -- internal pieces of the audit (src/audit), shared by the driver (audit.c) and the checks (check_*.c): the
 * audit and its per-column measurements, the context every check reads, row times and availability. */
#ifndef PLUMB_AUDIT_AUDIT_H
#define PLUMB_AUDIT_AUDIT_H

#include "../data/target.h"

#include <stdbool.h>

/* Row i of a time-like column in days: datetime columns (seconds) / 86400, numbers as they are; NaN when
 * missing. */
double plumb__row_days(const plumb_frame *f, int64_t col, int64_t i);

/* How many rows of column col became known after their moment of prediction. */
typedef struct plumb__late {
    bool declared;         /* the schema says when the column becomes known */
    int64_t n_checked;     /* rows with both times */
    int64_t n_late;        /* of which known after the row's time */
    int64_t first_row;     /* the first late row, -1 when none */
    double max_delay_days; /* the latest, in days (or the time column's units) */
} plumb__late;

/* Fills *out for column col of f. PLUMB_EINVAL when a declaration cannot be checked (no time column),
 * PLUMB_ESCHEMA when its available_at column is absent. */
plumb_status plumb__availability(const plumb_frame *f, int64_t col, plumb__late *out, plumb_error *err);

typedef struct plumb__feat_stat {
    int64_t col;
    const char *name;
    plumb_type type;
    bool is_feature; /* role feature (id-like columns are examined too) */
    double power;    /* out-of-fold power of the feature alone */
    double missing_rate, missing_power, missing_rate_pos, missing_rate_neg;
    double power_old, power_recent, missing_old, missing_recent; /* with a time column */
    double gain_share;                                           /* of the full model; NaN when not in it */
    double permutation;                                          /* drop in out-of-fold power when shuffled */
    bool id_like;
    double id_power;    /* power of the identifier's numeric value (or the digits in it) */
    bool lag_explained; /* predicts the target no better than the target's own past (check_structure.c) */
} plumb__feat_stat;

struct plumb_audit {
    plumb_finding *findings;
    int64_t n_findings, cap;
    plumb__feat_stat *feats;
    int64_t n_feats;
    bool binary;
    double power_warning, power_critical; /* the single-feature thresholds used */
    double too_good;                      /* the whole-model threshold used */
    plumb_audit_options opts;             /* the other thresholds (its pointers are not kept) */
    char *target;
    int64_t n_rows;
    double positive_rate;
    double cv_power, train_power, time_cv_power, oot_power, test_power, row_order_power;
    double lag_power;  /* out-of-fold power of the target's own past at the best lag (NaN without a time column) */
    double lag_days;   /* that lag */
    bool time_ordered; /* the rows are in the order of the time column */
    int64_t *suspects;
    int64_t n_suspects;
    double noise_rate, noise_lo, noise_hi; /* estimated share of wrong labels, 95% bootstrap interval */
    double noise_r0, noise_r1;             /* of true 0s labelled 1, of true 1s labelled 0 */
    double noise_observed, noise_expected; /* disagreements with the calibrated model: seen, expected if clean */
    double *suspect_scores;                /* probability that each suspect's label is wrong */
    int64_t n_immature;
};

typedef struct plumb__audit_ctx {
    const plumb_frame *f;
    const plumb_audit_options *o;
    plumb_audit *a;
    const double *y;
    int64_t n;
    int64_t time; /* time column or -1 */
    double *days; /* row times in days, NULL without a time column */
    bool *recent; /* rows in the latest 30% of the time range (or whose outcome window is open) */
    const char *positive;
    double crit, warn, too_good; /* power thresholds by the task */
    int32_t leaves;              /* the audit's models: leaves per tree (15) */
    int64_t min_leaf;            /* and fewest rows per leaf (20) */
    double reg_power;            /* out of fold, of a regularised model (4 leaves, 100 rows); NaN when not tried */
    bool test_later;             /* the test set has the time column and no row older than the training data */
} plumb__audit_ctx;

/* A malloc'd formatted string; NULL when out of memory. */
char *plumb__audit_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Adds a finding; title, evidence and action are malloc'd strings it takes (NULL: out of memory). */
bool plumb__audit_add(plumb_audit *a, plumb_severity sev, const char *check, const char *column, double value,
                      double threshold, char *title, char *evidence, char *action);

int plumb__audit_by_severity(const void *x, const void *y);

/* Power of scores s for labels y over rows (all n when rows is NULL): ROC-AUC or R^2; NaN when undefined. */
double plumb__audit_power(bool binary, const double *y, const double *s, const int64_t *rows, int64_t n);

/* The value of column col at row i as a number (NaN when missing or not a number). */
double plumb__number_at(const plumb_frame *f, int64_t col, int64_t i);

/* A frame with the given rows, or NULL. */
plumb_frame *plumb__audit_take(const plumb_frame *f, const int64_t *rows, int64_t n);

/* A copy of every row of f in which the id-like feature columns have the ignore role. */
plumb_frame *plumb__audit_without_ids(const plumb_frame *f, const plumb__feat_stat *feats, int64_t n_feats);

/* The audit's model of f: gradient boosting with leaves leaves of at least min_leaf rows (15 and 20 by default). */
plumb_status plumb__audit_train(const plumb_frame *f, const plumb_audit_options *o, const char *positive,
                                int32_t leaves, int64_t min_leaf, plumb_model **m, plumb_error *err);

/* Labels of the target: 0/1 (binary: two categories, bool, or numbers 0/1) or values, as every trainer reads
 * them (src/data/target.c). */
plumb_status plumb__audit_target(const plumb_frame *f, int64_t t, const char *positive, double *y, bool *binary,
                                 plumb_error *err);

/* Out-of-fold probabilities of the audit's model over split; with perm (F entries, NaN-initialised) also the drop in
 * power when each feature is shuffled in the test folds. Rows unused by every fold get NaN. */
plumb_status plumb__audit_cv_scores(plumb__audit_ctx *c, const plumb_split *split, double *oof, double *perm,
                                    plumb_error *err);

/* Power over the rows that have an out-of-fold score. */
double plumb__audit_pooled_power(const plumb__audit_ctx *c, const double *oof);

const char *plumb__audit_power_name(const plumb_audit *a);

/* Checks 1, 2, 3 (statistical), 5: each column alone, its missingness, its behaviour over time, identifiers. */
bool plumb__audit_single_columns(plumb__audit_ctx *c, const plumb_split *split);

/* Check 6: the share of wrong labels with its bootstrap interval, from out-of-fold probabilities oof (over the
 * folds of split) calibrated inside the folds by a link with noise floors; the suspects, most likely wrong first. */
bool plumb__audit_label_noise(plumb__audit_ctx *c, const plumb_split *split, const double *oof);

/* Turns the per-column measurements into findings (checks 1, 2, 3, 5, 7). */
bool plumb__audit_column_findings(plumb__audit_ctx *c);

/* Check 3 (declared): features the schema says become known after the moment of prediction. */
plumb_status plumb__audit_declared_availability(plumb__audit_ctx *c, plumb_error *err);

/* Check 4 with a test set: duplicates and ids across the split, time order, target shift. */
plumb_status plumb__audit_split_hygiene(plumb__audit_ctx *c, const plumb_frame *test, plumb_error *err);

/* Check 6b: labels whose outcome window has not closed by the last date. */
bool plumb__audit_label_maturity(plumb__audit_ctx *c);

/* Checks 4 (without a test set), 8: random against time splits, train against validation and out-of-time. */
bool plumb__audit_metric_findings(plumb__audit_ctx *c);

/* The model's gain share per column (by name). */
void plumb__audit_gain_shares(plumb_audit *a, const plumb_model *m);

/* Out-of-fold power of values x (NaN: missing) as a one-feature table over split; NaN when out of memory. */
double plumb__audit_values_power(const plumb__audit_ctx *c, const plumb_split *split, const double *x);

/* The table's structure: the target's own past against single features (with a time column), the row order,
 * duplicate and constant columns. Marks lag-explained features; false when out of memory. */
bool plumb__audit_structure(plumb__audit_ctx *c, const plumb_split *split);

int plumb__cmp_double(const void *a, const void *b);
int plumb__cmp_u64(const void *a, const void *b);

#endif /* PLUMB_AUDIT_AUDIT_H */
