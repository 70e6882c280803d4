/* report.h -- internal pieces of the HTML report: a growing text buffer with HTML escaping and fixed number
 * formats (html.c), nice axis ticks and SVG chart primitives (svg.c), used by the page renderer (render.c).
 *
 * Everything is written into a plumb__buf first, so a record that turns out to be bad half-way leaves the
 * caller's stream untouched. A buffer that failed to grow drops all further output and remembers it (oom); the
 * renderer checks once at the end. Numbers are printed with fixed formats and never as NaN or inf: the page is a
 * function of the record alone.
 */
#ifndef PLUMB_REPORT_H
#define PLUMB_REPORT_H

#include "../base/base.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct plumb__buf {
    char *s;
    size_t len, cap;
    bool oom;
} plumb__buf;

void plumb__buf_putn(plumb__buf *b, const char *s, size_t n);
void plumb__buf_put(plumb__buf *b, const char *s);
void plumb__buf_printf(plumb__buf *b, const char *fmt, ...) PLUMB__PRINTF(2, 3);
/* Appends s (NULL: nothing) with &, <, >, " and ' escaped, so it is safe as text and in quoted attributes. Bytes
 * that are not valid UTF-8 and control characters other than tab and newline become U+FFFD. */
void plumb__buf_html(plumb__buf *b, const char *s);
void plumb__buf_free(plumb__buf *b);

/* Writes v with the given decimals into out ("-0.00" comes out "0.00"); "n/a" when v is not finite. */
void plumb__fmt_fixed(char *out, size_t n, double v, int decimals);

/* Appends v for an SVG coordinate: one decimal, clamped to +-1e6, 0 for NaN (callers skip missing points before). */
void plumb__buf_coord(plumb__buf *b, double v);

/* ---- ticks ---- */

#define PLUMB__MAX_TICKS 16

/* Nice tick values covering [lo, hi] (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990): about target
 * ticks at multiples of 1, 2 or 5 times a power of ten. Writes up to PLUMB__MAX_TICKS values into ticks, the
 * rounded range into *nice_lo, *nice_hi (both may be NULL) and the decimals that label them into *decimals; returns
 * the number of ticks (>= 2). A degenerate or non-finite range is widened first. */
int plumb__nice_ticks(double lo, double hi, int target, double *ticks, double *nice_lo, double *nice_hi, int *decimals);

/* ---- charts (svg.c) ---- */

/* The palette: restrained colours that stay apart in print and for the common colour-vision deficiencies. */
#define PLUMB__N_COLORS 6
extern const char *const plumb__colors[PLUMB__N_COLORS];

typedef enum plumb__mark {
    PLUMB__MARK_LINE = 0,  /* a polyline through the points */
    PLUMB__MARK_STEP_AREA, /* histogram: x holds n+1 edges, y n heights; drawn as a translucent filled step */
    PLUMB__MARK_POINTS,    /* dots */
} plumb__mark;

typedef struct plumb__series {
    const char *name; /* legend label */
    const double *x, *y;
    size_t n; /* points (PLUMB__MARK_STEP_AREA: bins, x has n + 1 edges) */
    plumb__mark mark;
    int color; /* index into plumb__colors */
    bool dashed;
} plumb__series;

typedef struct plumb__xy_chart {
    const char *title, *desc; /* desc: one sentence for screen readers */
    const char *x_label, *y_label;
    double x_lo, x_hi, y_lo, y_hi; /* NaN: from the data */
    bool diagonal;                 /* the line y = x (chance for ROC, perfect calibration) */
    double baseline;               /* a dashed horizontal reference line; NaN: none */
    const char *baseline_label;
    const plumb__series *series;
    size_t n_series;
} plumb__xy_chart;

/* Writes c as an inline <svg> (viewBox, role img, <title>, <desc>, axes with nice ticks, a legend with more than one
 * series). Non-finite points are skipped; series longer than 200 points are thinned to about 200 (first and last
 * kept). id makes the element ids unique in the page. */
void plumb__svg_xy(plumb__buf *b, int id, const plumb__xy_chart *c);

typedef struct plumb__bar {
    const char *label;
    double value[2]; /* value[1] used when the chart has two groups; NaN: no bar */
    int color;       /* of value[0] when one group: index into plumb__colors */
} plumb__bar;

typedef struct plumb__bar_chart {
    const char *title, *desc, *x_label;
    const plumb__bar *bars;
    size_t n_bars;
    int n_groups;              /* 1 or 2 values per bar */
    const char *group_name[2]; /* legend with two groups */
    double x_lo, x_hi;         /* NaN: 0 (or the smallest value when negative) to the largest */
    int decimals;              /* of the value printed at each bar's end */
    double threshold[2];       /* vertical reference lines (NaN: none), e.g. the warning and critical levels */
    const char *threshold_label[2];
} plumb__bar_chart;

/* Writes c as horizontal bars, one row a label, the value printed at the end of each bar. */
void plumb__svg_hbars(plumb__buf *b, int id, const plumb__bar_chart *c);

/* A 2x2 confusion matrix as a heatmap: rows the actual class, columns the predicted one, counts and row shares in
 * the cells, darker for more. */
void plumb__svg_confusion(plumb__buf *b, int id, const char *title, const char *negative, const char *positive,
                          double tn, double fp, double fn, double tp);

typedef struct plumb__fold_row {
    const char *label;
    const double *v; /* per fold; NaN entries skipped */
    size_t n;
} plumb__fold_row;

/* Cross-validation spread: one row a metric, a dot per fold, the mean as a tick and mean +- one standard deviation
 * as a band, the mean +- sd printed at the right. */
void plumb__svg_folds(plumb__buf *b, int id, const char *title, const plumb__fold_row *rows, size_t n_rows);

/* ---- the run record, checked and unpacked (record.c) ---- */

typedef struct plumb__vec {
    double *v; /* NaN where the record has null */
    size_t n;
} plumb__vec;

typedef struct plumb__metric {
    const char *name;
    double value, lo, hi; /* lo, hi: the confidence interval, NaN when absent */
} plumb__metric;

/* The error of a regression model per group of rows: a decile of the prediction, a year, a category. */
typedef struct plumb__segment {
    const char *by;
    const char **labels;        /* n; borrowed from the record */
    plumb__vec rows, mae, bias; /* bias: mean of actual - predicted */
} plumb__segment;

typedef struct plumb__eval {
    const char *name, *model;
    plumb__metric *metrics; /* known metrics in a fixed order, then the others in record order */
    size_t n_metrics;
    double threshold; /* NaN: absent */
    bool has_confusion;
    double tn, fp, fn, tp;
    plumb__vec roc_fpr, roc_tpr, pr_recall, pr_precision, cal_pred, cal_true, cal_count, gain_pop, gain_gain, gain_lift,
        hist_edges, hist_pos, hist_neg;
    /* regression: a sample of rows (prediction, actual value, time; time empty without a time column) */
    plumb__vec reg_pred, reg_actual, reg_time;
    const char *time_name, *time_unit;
    plumb__segment *segments;
    size_t n_segments;
} plumb__eval;

typedef struct plumb__importance {
    const char *feature;
    double gain_share, splits, shap_mean_abs; /* NaN: absent */
} plumb__importance;

typedef struct plumb__contribution {
    const char *feature, *value; /* value: the row's value as text, may be NULL */
    double contribution;
} plumb__contribution;

typedef struct plumb__finding {
    const char *severity; /* "critical", "warning" or "info" */
    const char *check, *column, *title, *evidence, *action;
    double value, threshold;
} plumb__finding;

typedef struct plumb__audit_feature {
    const char *column;
    double power, missing_rate, missing_power, power_old, power_recent, gain_share, permutation_drop, id_power;
} plumb__audit_feature;

typedef struct plumb__comparison {
    const char *name, *metric;
    double offline, out_of_time;
} plumb__comparison;

/* One model of a distillation record: the teacher or a student (docs/report.md, kind distill). */
typedef struct plumb__student {
    const char *name, *kind; /* kind: teacher, gbdt, linear */
    bool teacher, chosen;
    double leaves, iterations, bytes, metric, agreement, raw_rmse, us_row, us_row_batch, train_seconds;
} plumb__student;

typedef struct plumb__fold_metric {
    const char *name;
    plumb__vec v;
} plumb__fold_metric;

typedef struct plumb__record {
    void *root; /* the parsed json_t; every string below is borrowed from it */
    const char *kind, *title, *created, *plumb_version;
    /* data */
    const char *data_path, *target, *positive_class, *negative_class, *task;
    double rows, positive_rate;
    /* model */
    bool has_model;
    const char *model_kind, *objective;
    double n_features, n_trees;
    void *params;   /* json_t object or NULL */
    void *settings; /* json_t object or NULL: the training settings (model.settings) */
    /* narrative */
    const char *problem, *approach, *validation, *risks, *results, *decision, *rationale;
    plumb__eval *evals;
    size_t n_evals;
    plumb__importance *importance;
    size_t n_importance;
    /* explanation of one row: {"row": "...", "base": x, "prediction": x, "contributions": [{feature, value,
     * contribution}]} (an optional key this renderer adds to the format) */
    const char *explain_row;
    double explain_base, explain_prediction;
    plumb__contribution *contributions;
    size_t n_contributions;
    const char *lc_metric;
    plumb__vec lc_train, lc_valid;
    const char *fold_strategy;
    plumb__fold_metric *fold_metrics;
    size_t n_fold_metrics;
    bool has_audit;
    const char *audit_target, *audit_metric;
    double audit_power_warning, audit_power_critical; /* the single-feature thresholds the audit used; NaN: absent */
    double audit_rows, audit_positive_rate, audit_noise_rate, audit_immature, audit_suspects;
    double score_train, score_cv_random, score_cv_time, score_out_of_time, score_test, score_row_order;
    plumb__finding *findings;
    size_t n_findings;
    plumb__audit_feature *audit_features;
    size_t n_audit_features;
    plumb__comparison *comparison;
    size_t n_comparison;
    /* distill: the teacher's file, the headline metric (NULL: no labels), the labels' weight, the models */
    const char *distill_teacher, *distill_metric, *distill_task, *valid_desc;
    double distill_labels_weight, valid_rows;
    plumb__student *students;
    size_t n_students;

    /* tune: the search (plumb_run_tune) */
    bool has_tune, tune_higher;
    const char *tune_sampler, *tune_metric, *tune_test_data;
    double tune_trials, tune_pruned, tune_failed, tune_folds, tune_seconds, tune_best_trial, tune_best_cv,
        tune_test_score;
    plumb__vec tune_scores;   /* per trial; NaN for a failed one */
    const char **tune_states; /* per trial (tune_scores.n): complete, pruned or failed */
    void *tune_best_params;   /* json_t object or NULL */
    const char **tune_imp_names;
    plumb__vec tune_imp; /* per parameter: its share of the explained score variance */
} plumb__record;

/* Parses and checks the run record json[0..len); name names it in errors. On success *rec owns the parsed tree
 * (free with plumb__record_free, also after a failure). Returns PLUMB_EPARSE ("bad run record: ..."),
 * PLUMB_ENOMEM. */
plumb_status plumb__record_parse(const char *json, size_t len, const char *name, plumb__record *rec, plumb_error *err);
void plumb__record_free(plumb__record *rec);

#endif /* PLUMB_REPORT_H */
