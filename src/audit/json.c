/* json.c -- everything the audit measured, as JSON (plumb_audit_json). */
#include "audit.h"

#include "../data/data.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static char *audit_json(const plumb_audit *a) {
    json_t *findings = json_array(), *features = json_array(), *suspects = json_array(), *scores = json_array();
    for (int64_t i = 0; findings && i < a->n_findings; i++) {
        const plumb_finding *f = &a->findings[i];
        json_array_append_new(findings, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "severity",
                                                  plumb_severity_name(f->severity), "check", f->check, "column",
                                                  f->column ? json_string(f->column) : json_null(), "title", f->title,
                                                  "evidence", f->evidence, "action", f->action, "value", num(f->value),
                                                  "threshold", num(f->threshold)));
    }
    for (int64_t k = 0; features && k < a->n_feats; k++) {
        const plumb__feat_stat *s = &a->feats[k];
        json_array_append_new(features,
                              json_pack("{s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "column", s->name,
                                        "feature", s->is_feature, "id_like", s->id_like, "power", num(s->power),
                                        "missing_rate", num(s->missing_rate), "missing_power", num(s->missing_power),
                                        "power_old", num(s->power_old), "power_recent", num(s->power_recent),
                                        "gain_share", num(s->gain_share), "permutation_drop", num(s->permutation),
                                        "id_power", num(s->id_power)));
    }
    for (int64_t i = 0; suspects && i < a->n_suspects; i++)
        json_array_append_new(suspects, json_integer((json_int_t)a->suspects[i] + 1));
    for (int64_t i = 0; scores && i < a->n_suspects; i++)
        json_array_append_new(scores, num(a->suspect_scores[i]));
    int64_t crit = 0;
    for (int64_t i = 0; i < a->n_findings; i++)
        crit += a->findings[i].severity == PLUMB_SEVERITY_CRITICAL;
    json_t *root =
        json_pack("{s:s, s:s, s:I, s:o, s:I, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:{s:o, s:I, s:o}, s:I, s:o}",
                  "target", a->target, "metric", a->binary ? "roc_auc" : "r2", "rows", (json_int_t)a->n_rows,
                  "positive_rate", a->binary ? num(a->positive_rate) : json_null(), "critical", (json_int_t)crit,
                  "scores", "train", num(a->train_power), "cv_random", num(a->cv_power), "cv_time",
                  num(a->time_cv_power), "out_of_time", num(a->oot_power), "test", num(a->test_power), "row_order",
                  num(a->row_order_power), "findings", findings, "labels", "noise_rate",
                  a->binary ? num(a->noise_rate) : json_null(), "immature_rows", (json_int_t)a->n_immature,
                  "suspect_rows", suspects, "n_features", (json_int_t)a->n_feats, "features", features);
    json_t *labels = root ? json_object_get(root, "labels") : NULL;
    if (labels && a->binary) {
        /* the estimate's interval and what it rests on; suspect_scores[i]: probability that suspect_rows[i] is wrong */
        json_object_set_new(labels, "noise_low", num(a->noise_lo));
        json_object_set_new(labels, "noise_high", num(a->noise_hi));
        json_object_set_new(labels, "negatives_labelled_positive", num(a->noise_r0));
        json_object_set_new(labels, "positives_labelled_negative", num(a->noise_r1));
        json_object_set_new(labels, "disagreements", num(a->noise_observed));
        json_object_set_new(labels, "disagreements_if_clean", num(a->noise_expected));
        json_object_set_new(labels, "suspect_scores", scores);
        scores = NULL;
    }
    json_decref(scores);
    if (root)
        json_object_set_new(root, "thresholds",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "single_power_warning",
                                      num(a->power_warning), "single_power_critical", num(a->power_critical),
                                      "too_good", num(a->too_good), "gain_concentration", num(a->opts.gain_share),
                                      "missingness", num(a->opts.missing_power), "id_leak", num(a->opts.id_power),
                                      "random_vs_time", num(a->opts.split_gap), "label_noise",
                                      num(a->opts.label_noise)));
    char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(root);
    return s;
}

/* The C locale around it, whatever the host set: its numbers are read and written the same everywhere. */
char *plumb_audit_json(const plumb_audit *a) {
    const locale_t saved = plumb__c_locale_enter();
    char *r = audit_json(a);
    plumb__c_locale_leave(saved);
    return r;
}
