/* output.c -- a monitoring run as JSON (for schedulers and the report) and as a short text (for people).
 *
 * The JSON keeps every statistic of every column and window; the text names only what raised an alert, one line
 * per finding, after one line per window. Numbers that do not apply are null in JSON and left out of the text.
 */
#include "monitor.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *num(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

static void day(int64_t t, char out[32]) {
    const time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *drift_json(const plumb__drift *d) {
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", json_string(d->name));
    json_object_set_new(o, "type", json_string(d->categorical ? "categorical" : "numeric"));
    json_object_set_new(o, "rows", json_integer(d->n_rows));
    json_object_set_new(o, "test", json_string(d->test));
    json_object_set_new(o, "statistic", num(d->statistic));
    json_object_set_new(o, "p_value", num(d->p_value));
    json_object_set_new(o, "threshold", num(d->threshold));
    json_object_set_new(o, "drift", json_boolean(d->drift));
    json_object_set_new(o, "psi", num(d->psi));
    json_object_set_new(o, "jensen_shannon", num(d->js));
    json_object_set_new(o, "ks", num(d->ks));
    json_object_set_new(o, "wasserstein", num(d->wasserstein));
    json_object_set_new(o, "missing_reference", num(d->missing_ref));
    json_object_set_new(o, "missing", num(d->missing));
    json_object_set_new(o, "missing_alert", json_boolean(d->missing_alert));
    if (d->categorical) {
        json_object_set_new(o, "unseen", num(d->unseen));
        json_object_set_new(o, "unseen_alert", json_boolean(d->unseen_alert));
        json_object_set_new(o, "vanished", num(d->vanished));
    } else {
        json_object_set_new(o, "out_of_range", num(d->out_of_range));
        json_object_set_new(o, "range_alert", json_boolean(d->range_alert));
        json_object_set_new(o, "mean", num(d->mean));
        json_object_set_new(o, "std", num(d->std));
        json_object_set_new(o, "min", num(d->min));
        json_object_set_new(o, "max", num(d->max));
    }
    return o;
}

char *plumb_monitor_json(const plumb_monitor *mon) {
    if (!mon)
        return NULL;
    json_t *root = json_object(), *schema = json_array(), *windows = json_array();
    if (!root || !schema || !windows) {
        json_decref(root);
        json_decref(schema);
        json_decref(windows);
        return NULL;
    }
    json_object_set_new(root, "rows", json_integer(mon->n_rows));
    json_object_set_new(root, "alerts", json_integer(mon->n_alerts));
    json_object_set_new(root, "alpha", json_real(mon->opts.alpha));
    json_object_set_new(root, "alpha_per_feature", json_real(mon->alpha_feature));
    json_object_set_new(root, "reference_expected_auc", num(mon->ref_expected_auc));
    for (int64_t i = 0; i < mon->n_schema; i++)
        json_array_append_new(
            schema, json_pack("{s:s, s:s}", "column", mon->schema[i].column, "problem", mon->schema[i].problem));
    json_object_set_new(root, "schema", schema);
    for (int64_t k = 0; k < mon->n_windows; k++) {
        const plumb__window *w = &mon->windows[k];
        json_t *o = json_object(), *fs = json_array();
        if (mon->opts.time_column && mon->opts.window_seconds > 0) {
            char a[32], b[32];
            day(w->start, a);
            day(w->end, b);
            json_object_set_new(o, "start", json_string(a));
            json_object_set_new(o, "end", json_string(b));
        }
        json_object_set_new(o, "rows", json_integer(w->n_rows));
        json_object_set_new(o, "alerts", json_integer(w->n_alerts));
        for (int64_t f = 0; f < mon->n_features; f++)
            if (w->features[f].name && w->features[f].test)
                json_array_append_new(fs, drift_json(&w->features[f]));
        json_object_set_new(o, "features", fs);
        if (w->has_score)
            json_object_set_new(o, "score", drift_json(&w->score));
        json_object_set_new(o, "performance",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "expected_auc", num(w->expected_auc),
                                      "expected_accuracy", num(w->expected_accuracy), "auc", num(w->auc), "accuracy",
                                      num(w->accuracy), "positive_rate", num(w->positive_rate), "performance_alert",
                                      w->performance_alert, "concept_alert", w->concept_alert));
        json_array_append_new(windows, o);
    }
    json_object_set_new(root, "windows", windows);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    return text;
}

static void drift_lines(FILE *f, const plumb__drift *d) {
    if (d->drift) {
        if (isfinite(d->p_value))
            fprintf(f, "  drift      %-20s %s %.4g (p = %.3g < %.3g), PSI %.3f\n", d->name, d->test, d->statistic,
                    d->p_value, d->threshold, d->psi);
        else
            fprintf(f, "  drift      %-20s %s %.4g > %.3g, PSI %.3f\n", d->name, d->test, d->statistic, d->threshold,
                    d->psi);
    }
    if (d->missing_alert)
        fprintf(f, "  missing    %-20s %.1f%% missing (training: %.1f%%)\n", d->name, 100 * d->missing,
                100 * d->missing_ref);
    if (d->range_alert)
        fprintf(f, "  range      %-20s %.1f%% of values outside the training range (now %.4g .. %.4g)\n", d->name,
                100 * d->out_of_range, d->min, d->max);
    if (d->unseen_alert)
        fprintf(f, "  unseen     %-20s %.1f%% of values are categories the model never saw\n", d->name,
                100 * d->unseen);
}

char *plumb_monitor_text(const plumb_monitor *mon) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = mon ? open_memstream(&buf, &len) : NULL;
    if (!f)
        return NULL;
    for (int64_t i = 0; i < mon->n_schema; i++)
        fprintf(f, "schema: column '%s': %s\n", mon->schema[i].column, mon->schema[i].problem);
    for (int64_t k = 0; k < mon->n_windows; k++) {
        const plumb__window *w = &mon->windows[k];
        if (mon->opts.time_column && mon->opts.window_seconds > 0) {
            char a[32];
            day(w->start, a);
            fprintf(f, "window %.10s: ", a);
        } else {
            fprintf(f, "all rows: ");
        }
        fprintf(f, "%lld rows, %lld alert%s", (long long)w->n_rows, (long long)w->n_alerts,
                w->n_alerts == 1 ? "" : "s");
        if (isfinite(w->expected_auc))
            fprintf(f, ", expected AUC %.3f (reference %.3f)", w->expected_auc, mon->ref_expected_auc);
        if (isfinite(w->auc))
            fprintf(f, ", realised AUC %.3f", w->auc);
        fputc('\n', f);
        for (int64_t j = 0; j < mon->n_features; j++)
            drift_lines(f, &w->features[j]);
        if (w->has_score)
            drift_lines(f, &w->score);
        if (w->performance_alert)
            fprintf(f, "  performance expected AUC %.3f is more than %.2f below the reference's %.3f\n",
                    w->expected_auc, PLUMB__AUC_DROP, mon->ref_expected_auc);
        if (w->concept_alert)
            fprintf(f,
                    "  concept    realised AUC %.3f is well below the %.3f the scores promise: the link between "
                    "inputs and label changed (concept drift, or a broken input)\n",
                    w->auc, w->expected_auc);
    }
    fprintf(f, "%lld alert%s\n", (long long)mon->n_alerts, mon->n_alerts == 1 ? "" : "s");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
