/* monitor.c -- plumb_monitor_run: new data against the reference profile a model carries, per time window.
 *
 * Steps: bind each model feature to its column (a missing or retyped column is a schema finding, and the feature
 * is left out); cut the rows into windows by the time column; score every row once (uncalibrated, as the
 * reference's score profile was taken; calibrated for the performance estimate); then per window and column count
 * the rows into the reference's bins or categories and judge drift with the test suited to the column's type and
 * the window's size. Counting, the only pass over all values, runs one feature per thread; buffers are allocated
 * before the parallel region, which cannot fail.
 *
 * Decisions (docs/monitor.md has the false-alarm rates measured on resamples of training data):
 *   drift        numeric: KS p < alpha / features up to PLUMB__SMALL_SAMPLE rows, else Wasserstein-1 over the
 *                reference std > 0.1; categorical: chi-square p < alpha / features, else Jensen-Shannon > 0.1
 *   missing      the share moved by more than PLUMB__MISSING_MIN and a two-proportion z-test has p < alpha / features
 *   range        more than 1% of the values outside the training range
 *   unseen       more than 1% of the values are categories the model never saw
 *   performance  binary: CBPE-expected AUC more than 0.05 below the reference's expected AUC; with labels, the
 *                realised AUC more than max(0.05, 3 standard errors) below the expected one (concept drift)
 */
#include "monitor.h"
#include "../eval/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plumb_monitor_options_init(plumb_monitor_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->alpha = 0.05;
}

/* ---- one column in one window ------------------------------------------------------------------------------ */

/* The value of row i of a feature (source) or of the score. */
static inline double value_of(const plumb__source *src, const double *score, int64_t i) {
    return src ? (double)plumb__source_value(src, i) : score[i];
}

/* Counts rows[0..n) (NULL: rows 0..n-1) of a column into d and the count buffer cur (bins or categories) and
 * judges it; cannot fail. */
static void column_drift(const plumb__ref_column *rc, const plumb__source *src, const double *score,
                         const int64_t *rows, int64_t n, double alpha, int64_t *cur, plumb__drift *d) {
    const int32_t k = rc->categorical ? rc->n_cats : rc->n_cuts + 1;
    memset(cur, 0, (size_t)k * sizeof *cur);
    int64_t missing = 0, outside = 0, unseen = 0;
    double sum = 0, sum2 = 0, lo = INFINITY, hi = -INFINITY;
    const double shift = isfinite(rc->mean) ? rc->mean : 0;
    for (int64_t r = 0; r < n; r++) {
        const int64_t i = rows ? rows[r] : r;
        const double x = value_of(src, score, i);
        if (rc->categorical) {
            const int32_t c = isnan(x) ? PLUMB_CODE_MISSING : (int32_t)x;
            if (c >= 0 && c < k)
                cur[c]++;
            else if (c == PLUMB_CODE_MISSING)
                missing++;
            else
                unseen++;
            continue;
        }
        if (isnan(x)) {
            missing++;
            continue;
        }
        cur[plumb__ref_bin(rc, x)]++;
        outside += x < rc->min || x > rc->max;
        sum += x - shift;
        sum2 += (x - shift) * (x - shift);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    d->categorical = rc->categorical;
    d->n_rows = n;
    d->n_missing = missing;
    const int64_t present = n - missing, ref_present = rc->n_rows - rc->n_missing;
    d->missing_ref = rc->n_rows ? (double)rc->n_missing / (double)rc->n_rows : NAN;
    d->missing = n ? (double)missing / (double)n : NAN;
    d->out_of_range = present ? (double)outside / (double)present : 0;
    d->unseen = present ? (double)unseen / (double)present : 0;
    d->mean = d->std = d->min = d->max = NAN;
    d->statistic = d->p_value = d->psi = d->js = d->ks = d->wasserstein = NAN;
    d->test = "";
    const int64_t *ref = rc->categorical ? rc->cat_counts : rc->counts;
    if (!rc->categorical && present > 0) {
        const int64_t m = present - unseen;
        d->mean = shift + sum / (double)m;
        d->std = m > 1 ? sqrt(fmax(0, (sum2 - sum * sum / (double)m) / (double)(m - 1))) : 0;
        d->min = lo;
        d->max = hi;
    }
    if (rc->categorical) {
        double vanished = 0, ref_n = 0;
        for (int32_t c = 0; c < k; c++) {
            d->n_distinct_cats += cur[c] > 0;
            ref_n += (double)ref[c];
            vanished += cur[c] == 0 ? (double)ref[c] : 0;
        }
        d->vanished = ref_n > 0 ? vanished / ref_n : 0;
    }
    if (present - unseen > 0 && ref_present > 0) {
        d->psi = plumb__psi(ref, cur, k);
        d->js = plumb__js_distance(ref, cur, k);
        if (rc->categorical) {
            double x2;
            const double p = plumb__chi2_test(ref, cur, k, &x2);
            if (present <= PLUMB__SMALL_SAMPLE) {
                d->test = "chi2";
                d->statistic = x2;
                d->p_value = p;
                d->threshold = alpha;
                d->drift = p < alpha;
            } else {
                d->test = "jensen_shannon";
                d->statistic = d->js;
                d->threshold = PLUMB__JS_MAX;
                d->drift = d->js > PLUMB__JS_MAX;
            }
        } else {
            d->ks = plumb__ks_binned(ref, cur, k);
            const double scale = rc->std > 0 ? rc->std : fmax(fabs(rc->mean), 1);
            /* the binned integral misses moves beyond the outer cuts; the mean's move is a lower bound of W1 */
            d->wasserstein =
                fmax(plumb__wasserstein_binned(rc->cuts, rc->n_cuts, ref, cur), fabs(d->mean - rc->mean)) / scale;
            if (present <= PLUMB__SMALL_SAMPLE) {
                d->test = "ks";
                d->statistic = d->ks;
                d->p_value = plumb__ks_pvalue(d->ks, (double)ref_present, (double)present);
                d->threshold = alpha;
                d->drift = d->p_value < alpha;
            } else {
                d->test = "wasserstein";
                d->statistic = d->wasserstein;
                d->threshold = PLUMB__WASSERSTEIN_MAX;
                d->drift = d->wasserstein > PLUMB__WASSERSTEIN_MAX;
            }
        }
    }
    if (n > 0 && rc->n_rows > 0) { /* two-proportion z-test on the missing share */
        const double pr = d->missing_ref, pc = d->missing;
        const double var = fmax(pr * (1 - pr), 1.0 / (double)rc->n_rows) * (1.0 / (double)n + 1.0 / (double)rc->n_rows);
        const double p = erfc(fabs(pc - pr) / sqrt(var) / sqrt(2.0));
        d->missing_alert = fabs(pc - pr) > PLUMB__MISSING_MIN && p < alpha;
    }
    d->range_alert = !rc->categorical && d->out_of_range > PLUMB__SHARE_MAX;
    d->unseen_alert = rc->categorical && d->unseen > PLUMB__SHARE_MAX;
}

/* ---- windows ----------------------------------------------------------------------------------------------- */

/* Cuts the rows into windows of opts->window_seconds by the time column: *order holds the rows window by window,
 * (*first)[w] where window w starts in it (n_windows + 1 entries). Rows without a time are left out. */
static plumb_status cut_windows(plumb_monitor *mon, const plumb_frame *data, int64_t **order, int64_t **first,
                                plumb_error *err) {
    const plumb_monitor_options *o = &mon->opts;
    const int64_t n = plumb_frame_n_rows(data);
    *order = malloc(((size_t)n + 1) * sizeof **order);
    if (!*order)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (!o->time_column || o->window_seconds <= 0) {
        for (int64_t i = 0; i < n; i++)
            (*order)[i] = i;
        mon->n_windows = 1;
        if (!(*first = malloc(2 * sizeof **first)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        (*first)[0] = 0;
        (*first)[1] = n;
        if (!(mon->windows = calloc(1, sizeof *mon->windows)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        return PLUMB_OK;
    }
    const int64_t col = plumb_frame_find(data, o->time_column);
    const int64_t *t = col >= 0 ? plumb_frame_i64(data, col) : NULL;
    if (col < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no time column '%s' in the data", o->time_column);
    if (!t)
        return plumb__fail(err, PLUMB_EINVAL, "time column '%s' is not a datetime", o->time_column);
    const int64_t w = o->window_seconds;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t i = 0; i < n; i++)
        if (t[i] != PLUMB_DATETIME_MISSING) {
            const int64_t id = t[i] >= 0 ? t[i] / w : -((-t[i] + w - 1) / w);
            lo = id < lo ? id : lo;
            hi = id > hi ? id : hi;
        }
    if (lo > hi)
        return plumb__fail(err, PLUMB_EINVAL, "time column '%s' has no values", o->time_column);
    if (hi - lo >= 100000)
        return plumb__fail(err, PLUMB_EINVAL, "%lld windows of %lld seconds: choose a longer --window",
                           (long long)(hi - lo + 1), (long long)w);
    const int64_t nw = hi - lo + 1;
    int64_t *at = calloc((size_t)nw + 2, sizeof *at);
    if (!at || !(mon->windows = calloc((size_t)nw, sizeof *mon->windows))) {
        free(at);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++)
        if (t[i] != PLUMB_DATETIME_MISSING)
            at[(t[i] >= 0 ? t[i] / w : -((-t[i] + w - 1) / w)) - lo + 1]++;
    for (int64_t k = 0; k < nw; k++)
        at[k + 1] += at[k];
    *first = malloc(((size_t)nw + 1) * sizeof **first);
    if (!*first) {
        free(at);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    memcpy(*first, at, ((size_t)nw + 1) * sizeof **first);
    for (int64_t i = 0; i < n; i++)
        if (t[i] != PLUMB_DATETIME_MISSING)
            (*order)[at[(t[i] >= 0 ? t[i] / w : -((-t[i] + w - 1) / w)) - lo]++] = i;
    free(at);
    mon->n_windows = nw;
    for (int64_t k = 0; k < nw; k++) {
        mon->windows[k].start = (lo + k) * w;
        mon->windows[k].end = (lo + k + 1) * w;
    }
    return PLUMB_OK;
}

/* ---- performance ------------------------------------------------------------------------------------------- */

/* Hanley and McNeil's standard error of an AUC a with np positives and nn negatives. */
static double auc_se(double a, double np, double nn) {
    const double q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
    return sqrt(fmax(0, (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn)));
}

static bool window_performance(plumb_monitor *mon, plumb__window *w, const int64_t *rows, const double *raw,
                               const double *cal, const double *y) {
    const int64_t n = w->n_rows;
    w->expected_auc = w->expected_accuracy = w->auc = w->accuracy = w->positive_rate = w->score_mean = NAN;
    if (!raw || n == 0)
        return true;
    double *p = malloc(((size_t)n + 1) * 2 * sizeof *p);
    if (!p)
        return false;
    double *lab = p + n + 1, sm = 0;
    for (int64_t r = 0; r < n; r++) {
        p[r] = cal ? cal[rows[r]] : raw[rows[r]];
        sm += raw[rows[r]];
        if (y)
            lab[r] = y[rows[r]];
    }
    w->score_mean = sm / (double)n;
    bool ok = true;
    if (cal) {
        ok = plumb__expected_performance(p, n, &w->expected_auc, &w->expected_accuracy);
        /* scores profiled on training rows promise too much: judge performance only against held-out ones */
        w->performance_alert =
            mon->model->reference->held_out && w->expected_auc < mon->ref_expected_auc - PLUMB__AUC_DROP;
    }
    if (ok && cal && y) {
        double pos = 0;
        for (int64_t r = 0; r < n; r++)
            pos += lab[r];
        w->positive_rate = pos / (double)n;
        plumb_metric_data md;
        plumb_metric_data_init(&md);
        md.n_rows = n;
        md.label = lab;
        md.score = p;
        const plumb_metric which[2] = {PLUMB_METRIC_ROC_AUC, PLUMB_METRIC_ACCURACY};
        double v[2];
        if (pos > 0 && pos < (double)n && plumb_metrics_compute(&md, which, 2, v, NULL) == PLUMB_OK) {
            w->auc = v[0];
            w->accuracy = v[1];
            const double se = auc_se(w->expected_auc, pos, (double)n - pos);
            w->concept_alert =
                mon->model->reference->held_out && w->auc < w->expected_auc - fmax(PLUMB__AUC_DROP, 3 * se);
        }
    }
    free(p);
    return ok;
}

/* ---- the run ----------------------------------------------------------------------------------------------- */

static bool add_issue(plumb_monitor *mon, const char *column, const char *problem) {
    plumb__schema_issue *s = realloc(mon->schema, (size_t)(mon->n_schema + 1) * sizeof *s);
    if (!s)
        return false;
    mon->schema = s;
    s[mon->n_schema].column = strdup(column);
    s[mon->n_schema].problem = strdup(problem);
    return s[mon->n_schema++].problem != NULL;
}

/* Binds model feature f alone (a copy of the model that reads that feature only), so one missing column does not
 * stop the others from being monitored. A problem becomes a schema finding and leaves *src unbound. */
static plumb_status bind_one(plumb_monitor *mon, const plumb_frame *data, int64_t f, plumb__source *src) {
    const plumb_model *m = mon->model;
    plumb_model one = *m;
    one.n_features = 1;
    one.feature_col = &m->feature_col[f];
    plumb__source *s = NULL;
    plumb_error e;
    const plumb_status st = plumb__model_bind(&one, data, &s, &e);
    if (st == PLUMB_ENOMEM)
        return st;
    if (st != PLUMB_OK)
        return add_issue(mon, plumb_model_feature_name(m, f), e.message) ? PLUMB_OK : PLUMB_ENOMEM;
    *src = *s;
    free(s); /* the remap (if any) now belongs to *src */
    return PLUMB_OK;
}

plumb_status plumb_monitor_run(const plumb_model *m, const plumb_frame *data, const plumb_monitor_options *opts,
                               plumb_monitor **out, plumb_error *err) {
    plumb__error_clear(err);
    plumb_status st = PLUMB_OK;
    plumb_monitor *mon = NULL;
    plumb__source *src = NULL;
    int64_t *order = NULL, *first = NULL, *counts = NULL, *count_at = NULL;
    double *raw = NULL, *cal = NULL, *y = NULL;
    if (!m || !data || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_monitor_run: a NULL argument");
    *out = NULL;
    const plumb__reference *ref = m->reference;
    if (!ref)
        return plumb__fail(err, PLUMB_EINVAL,
                           "the model has no reference profile: retrain it with plumb %s to monitor it",
                           plumb_version());
    const int64_t F = m->n_features, n = plumb_frame_n_rows(data);
    if (!(mon = calloc(1, sizeof *mon)) || !(src = calloc((size_t)F + 1, sizeof *src)))
        goto nomem;
    mon->model = m;
    if (opts)
        mon->opts = *opts;
    else
        plumb_monitor_options_init(&mon->opts);
    if (!(mon->opts.alpha > 0 && mon->opts.alpha < 1)) {
        st = plumb__fail(err, PLUMB_EINVAL, "alpha %g is not in (0, 1)", mon->opts.alpha);
        goto done;
    }
    mon->n_rows = n;
    mon->n_features = F;
    mon->alpha_feature = mon->opts.alpha / (double)(F > 0 ? F : 1);
    mon->ref_expected_auc = ref->expected_auc;
    for (int64_t f = 0; f < F; f++)
        if ((st = bind_one(mon, data, f, &src[f])) != PLUMB_OK)
            goto nomem;
    if ((st = cut_windows(mon, data, &order, &first, err)) != PLUMB_OK)
        goto done;
    /* the score, once for all windows, when every feature is there */
    if (mon->n_schema == 0 && ref->has_score && n > 0) {
        const int64_t K = m->n_outputs;
        if (!(raw = malloc(((size_t)(n * K) + 1) * sizeof *raw)))
            goto nomem;
        const plumb_predict_options po = {.threads = mon->opts.threads, .uncalibrated = true};
        if ((st = plumb_model_predict(m, data, &po, raw, err)) != PLUMB_OK)
            goto done;
        for (int64_t i = 1; K > 1 && i < n; i++)
            raw[i] = raw[i * K];
        if (m->task == PLUMB_TASK_BINARY) {
            if (!(cal = malloc(((size_t)n + 1) * sizeof *cal)))
                goto nomem;
            plumb__reference_calibrate(m, ref, raw, n, cal);
        }
    }
    if (mon->opts.labels_column) {
        const int64_t col = plumb_frame_find(data, mon->opts.labels_column);
        if (col < 0) {
            st = plumb__fail(err, PLUMB_EINVAL, "no labels column '%s' in the data", mon->opts.labels_column);
            goto done;
        }
        if (m->task == PLUMB_TASK_BINARY) {
            if (!(y = malloc(((size_t)n + 1) * sizeof *y)))
                goto nomem;
            plumb_task task = PLUMB_TASK_BINARY;
            const char *positive = plumb_model_positive_class(m);
            int64_t n_classes = 0;
            if ((st = plumb_frame_labels(data, col, NULL, &task, &positive, &n_classes, y, err)) != PLUMB_OK)
                goto done;
        }
    }
    /* count buffers: per feature its bins or categories, and the score's */
    if (!(count_at = malloc(((size_t)F + 2) * sizeof *count_at)))
        goto nomem;
    count_at[0] = 0;
    for (int64_t f = 0; f <= F; f++) {
        const plumb__ref_column *rc = f < F ? &ref->features[f] : &ref->score;
        count_at[f + 1] = count_at[f] + (rc->categorical ? rc->n_cats : rc->n_cuts + 1) + 1;
    }
    if (!(counts = malloc((size_t)count_at[F + 1] * sizeof *counts)))
        goto nomem;
    for (int64_t k = 0; k < mon->n_windows; k++)
        if (!(mon->windows[k].features = calloc((size_t)F + 1, sizeof(plumb__drift))))
            goto nomem;
    const int nt = plumb__threads(mon->opts.threads);
    (void)nt;
    for (int64_t k = 0; k < mon->n_windows; k++) {
        plumb__window *w = &mon->windows[k];
        const int64_t *rows = order + first[k], nr = first[k + 1] - first[k];
        w->n_rows = nr;
        const bool all = nr == n && mon->n_windows == 1;
#pragma omp parallel for schedule(dynamic) num_threads(nt) if (F > 1 && nt > 1)
        for (int64_t f = 0; f <= F; f++) {
            plumb__drift *d = f < F ? &w->features[f] : &w->score;
            d->f = f < F ? f : -1;
            d->name = f < F ? plumb_model_feature_name(m, f) : "score";
            if (f < F && src[f].codes == NULL && src[f].f32 == NULL && src[f].f64 == NULL && src[f].u8 == NULL)
                continue; /* not bound: a schema finding */
            if (f == F && !raw)
                continue;
            column_drift(f < F ? &ref->features[f] : &ref->score, f < F ? &src[f] : NULL, raw, all ? NULL : rows, nr,
                         mon->alpha_feature, counts + count_at[f], d);
        }
        w->has_score = raw != NULL;
        if (!window_performance(mon, w, rows, raw, cal, y))
            goto nomem;
        for (int64_t f = 0; f < F; f++) {
            const plumb__drift *d = &w->features[f];
            w->n_alerts += d->drift + d->missing_alert + d->range_alert + d->unseen_alert;
        }
        w->n_alerts += (w->has_score && w->score.drift) + w->performance_alert + w->concept_alert;
        mon->n_alerts += w->n_alerts;
    }
    mon->n_alerts += mon->n_schema;
    *out = mon;
    mon = NULL;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb__sources_free(src, F);
    free(order);
    free(first);
    free(counts);
    free(count_at);
    free(raw);
    free(cal);
    free(y);
    plumb_monitor_free(mon);
    return st;
}

int64_t plumb_monitor_n_alerts(const plumb_monitor *mon) {
    return mon ? mon->n_alerts : 0;
}

void plumb_monitor_free(plumb_monitor *mon) {
    if (!mon)
        return;
    for (int64_t k = 0; k < mon->n_windows; k++)
        free(mon->windows[k].features);
    free(mon->windows);
    for (int64_t i = 0; i < mon->n_schema; i++) {
        free(mon->schema[i].column);
        free(mon->schema[i].problem);
    }
    free(mon->schema);
    free(mon->contrib_shift);
    free(mon);
}
