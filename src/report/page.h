/* page.h -- what the report's page (render.c) shares with the files that draw its charts (charts_*.c): the page
 * being written, its text helpers, and one function per chart family.
 *
 * Every string from the record goes through esc(); put() is for the renderer's own markup only.
 */
#ifndef PLUMB_REPORT_PAGE_H
#define PLUMB_REPORT_PAGE_H

#include "report.h"

typedef struct page {
    plumb__buf *b;
    const plumb__record *r;
    int next_id; /* makes the ids of charts unique in the page */
} page;

static inline void put(page *p, const char *s) {
    plumb__buf_put(p->b, s);
}

static inline void esc(page *p, const char *s) {
    plumb__buf_html(p->b, s);
}

static inline void figure_open(page *p) {
    put(p, "<figure>");
}

static inline void figure_close(page *p, const char *caption) {
    if (caption) {
        put(p, "<figcaption>");
        esc(p, caption);
        put(p, "</figcaption>");
    }
    put(p, "</figure>\n");
}

/* How a metric reads ("roc_auc" -> "ROC AUC"; an unknown name as it is, "metric" for NULL). */
const char *plumb__metric_label(const char *name);
/* An evaluation's label ("boosted, the hold-out"; "evaluation 2" without names) into out[0..n). */
void plumb__eval_label(const plumb__eval *e, size_t i, char *out, size_t n);

/* charts_validation.c */
void plumb__chart_folds(page *p);
void plumb__chart_learning(page *p);
/* charts_audit.c */
void plumb__chart_audit_features(page *p);
/* charts_curves.c: the five curves inside the results' chart grid; the histogram of evaluation i */
void plumb__charts_curves(page *p);
void plumb__chart_hist(page *p, const plumb__eval *e, size_t i);
/* charts_regression.c: predicted against actual, residuals, error by segment of regression evaluation i */
void plumb__charts_regression(page *p, const plumb__eval *e, size_t i);
/* charts_importance.c: which 0 gain share, 1 mean |SHAP|, 2 one row's contributions */
void plumb__chart_ranked(page *p, int which);

/* charts_distill.c: the distillation summary sentence; the table of teacher and students with its charts */
void plumb__distill_summary(page *p);
void plumb__distill_block(page *p);

/* charts_tune.c: the search's history and its parameter importances */
void plumb__chart_tune_history(page *p);
/* charts_realtime.c: the real-time study's models and latency steps (the record's "realtime" and "latency") */
void plumb__realtime_block(page *p);
void plumb__chart_tune_importance(page *p);

#endif /* PLUMB_REPORT_PAGE_H */
