/* check_columns.c -- checks 1, 2, 3 (statistical), 5 and 7: each column alone as a one-feature table, its
 * missingness, its behaviour on old against recent rows, identifiers; the full model's gain against permutation
 * importance. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINGLE_BINS 32
#define SMOOTH_ROWS 20.0 /* a bin's mean is shrunk toward the fold's mean as if it held this many more rows */

/* Bins of values x[0..n) for a one-feature table: 0 = missing, else 1 + quantile bin (up to SINGLE_BINS). */
static bool bin_values(const double *x, int64_t n, int32_t *bin, int32_t *n_bins) {
    double *v = malloc((size_t)(n + 1) * sizeof *v);
    if (!v)
        return false;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[k++] = x[i];
    qsort(v, (size_t)k, sizeof *v, plumb__cmp_double);
    double edges[SINGLE_BINS];
    int32_t ne = 0;
    for (int32_t b = 1; b < SINGLE_BINS && k > 0; b++) {
        const double e = v[(int64_t)((double)k * b / SINGLE_BINS)];
        if (ne == 0 || e > edges[ne - 1])
            edges[ne++] = e;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t b = 0;
        if (!isnan(x[i])) {
            b = 1;
            while (b - 1 < ne && x[i] >= edges[b - 1])
                b++;
        }
        bin[i] = b;
    }
    *n_bins = ne + 2;
    free(v);
    return true;
}

/* Bins of column col for a one-feature table: 0 = missing, categories 1 + code, numbers 1 + quantile bin. */
static bool bin_column(const plumb_frame *f, int64_t col, int32_t *bin, int32_t *n_bins) {
    const int64_t n = plumb_frame_n_rows(f);
    const int32_t *codes = plumb_frame_codes(f, col);
    if (codes) {
        int32_t mx = 0;
        for (int64_t i = 0; i < n; i++) {
            bin[i] = codes[i] >= 0 ? codes[i] + 1 : 0;
            mx = bin[i] > mx ? bin[i] : mx;
        }
        *n_bins = mx + 1;
        return true;
    }
    double *v = malloc((size_t)(n + 1) * sizeof *v);
    if (!v)
        return false;
    for (int64_t i = 0; i < n; i++)
        v[i] = plumb__number_at(f, col, i);
    const bool ok = bin_values(v, n, bin, n_bins);
    free(v);
    return ok;
}

/* Out-of-fold scores of a one-feature table: for each fold, bins' smoothed means from its training rows. */
static bool table_scores(const int32_t *bin, int32_t n_bins, const double *y, const plumb_split *split, double *out) {
    const int64_t n = plumb_split_n_rows(split);
    double *sum = malloc((size_t)n_bins * sizeof *sum), *cnt = malloc((size_t)n_bins * sizeof *cnt);
    uint8_t *role = malloc((size_t)(n + 1));
    bool ok = sum && cnt && role;
    for (int32_t k = 0; ok && k < plumb_split_n_folds(split); k++) {
        plumb_split_roles(split, k, role);
        memset(sum, 0, (size_t)n_bins * sizeof *sum);
        memset(cnt, 0, (size_t)n_bins * sizeof *cnt);
        double all = 0, m = 0;
        for (int64_t i = 0; i < n; i++)
            if (role[i] == PLUMB_FOLD_TRAIN) {
                sum[bin[i]] += y[i], cnt[bin[i]] += 1;
                all += y[i], m += 1;
            }
        const double prior = m > 0 ? all / m : 0;
        for (int64_t i = 0; i < n; i++)
            if (role[i] == PLUMB_FOLD_TEST)
                out[i] = (sum[bin[i]] + SMOOTH_ROWS * prior) / (cnt[bin[i]] + SMOOTH_ROWS);
    }
    free(sum);
    free(cnt);
    free(role);
    return ok;
}

/* Out-of-fold power of values x (NaN: missing) as a one-feature table over split; NaN when out of memory. */
double plumb__audit_values_power(const plumb__audit_ctx *c, const plumb_split *split, const double *x) {
    int32_t *bin = malloc((size_t)(c->n + 1) * sizeof *bin), nb;
    double *score = malloc((size_t)(c->n + 1) * sizeof *score), p = NAN;
    if (bin && score && bin_values(x, c->n, bin, &nb) && table_scores(bin, nb, c->y, split, score))
        p = plumb__audit_power(c->a->binary, c->y, score, NULL, c->n);
    free(bin);
    free(score);
    return p;
}

/* Checks 1, 2, 3 (statistical), 5: each column alone, its missingness, its behaviour over time, identifiers. */
bool plumb__audit_single_columns(plumb__audit_ctx *c, const plumb_split *split) {
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    int32_t *bin = malloc((size_t)(n + 1) * sizeof *bin);
    double *score = malloc((size_t)(n + 1) * sizeof *score), *miss = malloc((size_t)(n + 1) * sizeof *miss);
    int64_t *old_rows = malloc((size_t)(n + 1) * sizeof *old_rows),
            *new_rows = malloc((size_t)(n + 1) * sizeof *new_rows);
    bool ok = bin && score && miss && old_rows && new_rows;
    int64_t n_old = 0, n_new = 0;
    for (int64_t i = 0; ok && c->recent && i < n; i++) {
        if (c->recent[i])
            new_rows[n_new++] = i;
        else
            old_rows[n_old++] = i;
    }
    for (int64_t k = 0; ok && k < a->n_feats; k++) {
        plumb__feat_stat *s = &a->feats[k];
        int32_t nb;
        if (!(ok = bin_column(c->f, s->col, bin, &nb) && table_scores(bin, nb, c->y, split, score)))
            break;
        s->power = plumb__audit_power(a->binary, c->y, score, NULL, n);
        int64_t nm = 0;
        double pos_m = 0, pos = 0, neg_m = 0, neg = 0;
        for (int64_t i = 0; i < n; i++) {
            miss[i] = bin[i] == 0;
            nm += bin[i] == 0;
            if (c->y[i] > 0.5)
                pos += 1, pos_m += bin[i] == 0;
            else
                neg += 1, neg_m += bin[i] == 0;
        }
        s->missing_rate = (double)nm / (double)n;
        s->missing_rate_pos = pos > 0 ? pos_m / pos : NAN;
        s->missing_rate_neg = neg > 0 ? neg_m / neg : NAN;
        s->missing_power = nm > 0 && nm < n ? plumb__audit_power(a->binary, c->y, miss, NULL, n) : NAN;
        if (a->binary && !isnan(s->missing_power))
            s->missing_power = fmax(s->missing_power, 1 - s->missing_power);
        if (c->recent && n_old > 1 && n_new > 1) {
            s->power_old = plumb__audit_power(a->binary, c->y, score, old_rows, n_old);
            s->power_recent = plumb__audit_power(a->binary, c->y, score, new_rows, n_new);
            double mo = 0, mr = 0;
            for (int64_t i = 0; i < n_old; i++)
                mo += miss[old_rows[i]];
            for (int64_t i = 0; i < n_new; i++)
                mr += miss[new_rows[i]];
            s->missing_old = mo / (double)n_old;
            s->missing_recent = mr / (double)n_new;
        } else {
            s->power_old = s->power_recent = s->missing_old = s->missing_recent = NAN;
        }
        /* identifiers: the value itself (or the digits of a text id) as a score */
        if (s->id_like) {
            const int32_t *codes = plumb_frame_codes(c->f, s->col);
            plumb_column_info ci;
            plumb_schema_column(plumb_frame_schema(c->f), s->col, &ci);
            int64_t have = 0;
            for (int64_t i = 0; i < n; i++) {
                double v = NAN;
                if (codes && codes[i] >= 0 && ci.categories) {
                    const char *t = ci.categories[codes[i]];
                    double num = 0;
                    bool digit = false;
                    for (; *t; t++)
                        if (*t >= '0' && *t <= '9')
                            num = 10 * num + (*t - '0'), digit = true;
                    v = digit ? num : NAN;
                } else if (!codes) {
                    v = plumb__number_at(c->f, s->col, i);
                }
                score[i] = isnan(v) ? 0 : v;
                have += !isnan(v);
            }
            s->id_power = have > n / 2 ? plumb__audit_power(a->binary, c->y, score, NULL, n) : NAN;
            if (a->binary && !isnan(s->id_power))
                s->id_power = fmax(s->id_power, 1 - s->id_power);
            s->power = fmax(isnan(s->power) ? 0 : s->power, isnan(s->id_power) ? 0 : s->id_power);
        }
    }
    free(bin);
    free(score);
    free(miss);
    free(old_rows);
    free(new_rows);
    return ok;
}

/* Turns the per-column measurements into findings (checks 1, 2, 3, 5, 7). */
bool plumb__audit_column_findings(plumb__audit_ctx *c) {
    plumb_audit *a = c->a;
    const char *pn = plumb__audit_power_name(a);
    bool ok = true;
    for (int64_t k = 0; ok && k < a->n_feats; k++) {
        const plumb__feat_stat *s = &a->feats[k];
        if (s->is_feature && !s->lag_explained && s->power >= c->warn)
            ok = plumb__audit_add(
                a, s->power >= c->crit ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "single_feature_power",
                s->name, s->power, s->power >= c->crit ? c->crit : c->warn,
                plumb__audit_format("'%s' alone predicts the target (out-of-fold %s %.3f)", s->name, pn, s->power),
                plumb__audit_format(
                    "a one-feature model of '%s' reaches an out-of-fold %s of %.3f; honest single features "
                    "rarely pass %.2f",
                    s->name, pn, s->power, c->warn),
                plumb__audit_format("find out when '%s' is filled in and from where: if it is recorded at or after the "
                                    "outcome, drop it or declare its availability in the schema",
                                    s->name));
        const double mp = s->missing_power;
        if (ok && s->is_feature && a->binary && !isnan(mp) && mp >= c->o->missing_power)
            ok = plumb__audit_add(
                a, mp >= 0.75 ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "missingness", s->name, mp,
                c->o->missing_power,
                plumb__audit_format("whether '%s' is missing predicts the target (AUC %.3f)", s->name, mp),
                plumb__audit_format("'%s' is missing in %.1f%% of positive rows and %.1f%% of negative rows (%.1f%% "
                                    "overall)",
                                    s->name, 100 * s->missing_rate_pos, 100 * s->missing_rate_neg,
                                    100 * s->missing_rate),
                plumb__audit_format(
                    "ask why '%s' is missing: a field filled in only for some outcomes leaks them; impute "
                    "without an indicator or drop it if the gap is caused by the outcome",
                    s->name));
        /* retro-filled: strong on old rows, weak on recent ones, or missing far more often recently */
        const bool drift_power = s->power_old - s->power_recent >= 0.15 && s->power_old >= 0.75;
        const bool drift_missing = fabs(s->missing_recent - s->missing_old) >= 0.25 &&
                                   (s->power_old >= 0.7 || (!isnan(mp) && mp >= c->o->missing_power));
        if (ok && s->is_feature && c->recent && (drift_power || drift_missing))
            ok = plumb__audit_add(
                a, PLUMB_SEVERITY_CRITICAL, "retro_filled", s->name, s->power_old - s->power_recent, 0.15,
                plumb__audit_format("'%s' looks filled in after the fact: it behaves differently on recent rows",
                                    s->name),
                plumb__audit_format(
                    "out-of-fold %s %.3f on older rows against %.3f on the latest 30%%; missing in %.1f%% of "
                    "older and %.1f%% of recent rows",
                    pn, s->power_old, s->power_recent, 100 * s->missing_old, 100 * s->missing_recent),
                plumb__audit_format(
                    "a value that depends on how long ago the event was, in a way tied to the label, is "
                    "typically updated after the decision (verification, collections): confirm with the "
                    "data owner, then drop '%s' or use its value as of the decision date",
                    s->name));
        if (ok && s->id_like && !isnan(s->id_power) && s->id_power >= c->o->id_power)
            ok = plumb__audit_add(
                a, s->is_feature && s->id_power >= 0.7 ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "id_leak",
                s->name, s->id_power, c->o->id_power,
                plumb__audit_format("identifier '%s' carries the label (%s %.3f)", s->name, pn, s->id_power),
                plumb__audit_format(
                    "'%s' is unique per row or nearly so, yet ordering rows by it separates the classes with "
                    "%s %.3f: ids were assigned in an order tied to the outcome",
                    s->name, pn, s->id_power),
                plumb__audit_format(
                    "never use '%s' as a feature (give it the id role), and split by time or group rather "
                    "than by id ranges",
                    s->name));
        if (ok && s->is_feature && !isnan(s->gain_share) && s->gain_share >= 0.10 && a->binary &&
            s->permutation < 0.005)
            ok = plumb__audit_add(
                a, PLUMB_SEVERITY_WARNING, "importance_disagreement", s->name, s->gain_share, 0.10,
                plumb__audit_format("'%s' is important in training but useless out of sample", s->name),
                plumb__audit_format(
                    "%.1f%% of the model's gain, but shuffling it in held-out folds lowers the AUC by only "
                    "%.4f",
                    100 * s->gain_share, s->permutation),
                plumb__audit_format(
                    "'%s' is fitted to noise or to something that does not hold out of sample: check it for "
                    "leakage through the split, or regularise it away",
                    s->name));
        if (ok && s->is_feature && !s->lag_explained && !isnan(s->gain_share) && s->gain_share >= c->o->gain_share)
            ok = plumb__audit_add(
                a, PLUMB_SEVERITY_WARNING, "gain_concentration", s->name, s->gain_share, c->o->gain_share,
                plumb__audit_format("'%s' holds %.0f%% of the model's gain", s->name, 100 * s->gain_share),
                plumb__audit_format(
                    "one feature of %lld holds %.1f%% of the total split gain of a model trained on all rows",
                    (long long)a->n_feats, 100 * s->gain_share),
                plumb__audit_format(
                    "a model that leans on one column fails when that column changes or leaks; confirm '%s' "
                    "is known at prediction time",
                    s->name));
    }
    return ok;
}

/* The model's gain share per column (by name). */
void plumb__audit_gain_shares(plumb_audit *a, const plumb_model *m) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    plumb_importance *imp = malloc((size_t)(info.n_features + 1) * sizeof *imp);
    if (!imp || plumb_model_importance(m, imp, NULL) != PLUMB_OK) {
        free(imp);
        return;
    }
    double total = 0;
    for (int64_t f = 0; f < info.n_features; f++)
        total += imp[f].gain;
    for (int64_t k = 0; k < a->n_feats; k++)
        for (int64_t f = 0; f < info.n_features; f++)
            if (strcmp(plumb_model_feature_name(m, f), a->feats[k].name) == 0)
                a->feats[k].gain_share = total > 0 ? imp[f].gain / total : 0;
    free(imp);
}
