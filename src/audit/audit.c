/* audit.c -- the leakage and label audit: many cheap, independent measurements of a training table, each turned
 * into a finding with a severity, its evidence in numbers and an action for a person (docs/audit.md).
 *
 * Power is ROC-AUC for a binary target and R^2 for regression, always measured out of fold. A one-feature model is
 * a table: the feature's values cut into up to 32 quantile bins (categories: one bin each; missing values their own
 * bin), each bin scored by the smoothed target mean of the training folds' rows in it. Full models are the
 * gradient-boosting engine with small settings (15 leaves, 80 rounds). Everything derives from the seed, so the
 * same data gives the same audit.
 */
#include "audit.h"

#include "../data/data.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINGLE_BINS 32
#define SMOOTH_ROWS 20.0
#define PERM_ROWS                                                                                                      \
    4000 /* held-out rows per fold that permutation importance shuffles (evenly spaced) */ /* a bin's mean is shrunk   \
                                                                                              toward the fold's mean   \
                                                                                              as if it held this many  \
                                                                                              more rows */

typedef struct feat_stat {
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
    double id_power; /* power of the identifier's numeric value (or the digits in it) */
} feat_stat;

struct plumb_audit {
    plumb_finding *findings;
    int64_t n_findings, cap;
    feat_stat *feats;
    int64_t n_feats;
    bool binary;
    double power_warning, power_critical; /* the single-feature thresholds used */
    char *target;
    int64_t n_rows;
    double positive_rate;
    double cv_power, train_power, time_cv_power, oot_power, test_power, row_order_power;
    int64_t *suspects;
    int64_t n_suspects;
    double noise_rate;
    int64_t n_immature;
};

const char *plumb_severity_name(plumb_severity s) {
    return s == PLUMB_SEVERITY_CRITICAL ? "critical" : s == PLUMB_SEVERITY_WARNING ? "warning" : "info";
}

void plumb_audit_options_init(plumb_audit_options *o) {
    memset(o, 0, sizeof *o);
    o->n_folds = 5;
    o->num_iterations = 80;
    o->as_of_days = NAN;
    o->single_power_critical = NAN; /* by the task: 0.90 AUC, 0.80 R^2 */
    o->single_power_warning = NAN;  /* 0.80 AUC, 0.50 R^2 */
    o->too_good = NAN;              /* 0.95 AUC, 0.98 R^2 */
    o->gain_share = 0.5;
    o->missing_power = 0.65;
    o->id_power = 0.60;
    o->split_gap = 0.05;
    o->label_noise = 0.01;
}

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

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* Adds a finding; title, evidence and action are malloc'd strings it takes (NULL: out of memory). */
static bool add(plumb_audit *a, plumb_severity sev, const char *check, const char *column, double value,
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

static int by_severity(const void *x, const void *y) {
    const plumb_finding *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
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

/* ---------------------------------------------------------------------------------------------------------- */
/* Measurements                                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

/* Power of scores s for labels y over rows (all n when rows is NULL): ROC-AUC or R^2; NaN when undefined. */
static double power(bool binary, const double *y, const double *s, const int64_t *rows, int64_t n) {
    double *yy = malloc((size_t)(n + 1) * sizeof *yy), *ss = malloc((size_t)(n + 1) * sizeof *ss), v = NAN;
    if (yy && ss) {
        for (int64_t i = 0; i < n; i++) {
            const int64_t r = rows ? rows[i] : i;
            yy[i] = y[r];
            ss[i] = s[r];
        }
        plumb_metric_data d;
        plumb_metric_data_init(&d);
        d.n_rows = n;
        d.label = yy;
        d.score = ss;
        const plumb_metric m = binary ? PLUMB_METRIC_ROC_AUC : PLUMB_METRIC_R2;
        if (n < 2 || plumb_metrics_compute(&d, &m, 1, &v, NULL) != PLUMB_OK)
            v = NAN;
    }
    free(yy);
    free(ss);
    return v;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The value of column col at row i as a number (NaN when missing or not a number). */
static double number_at(const plumb_frame *f, int64_t col, int64_t i) {
    const float *x = plumb_frame_f32(f, col);
    if (x)
        return x[i];
    const uint8_t *u = plumb_frame_u8(f, col);
    if (u)
        return u[i] == PLUMB_BOOL_MISSING ? NAN : u[i];
    return plumb__row_days(f, col, i);
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
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        const double x = number_at(f, col, i);
        if (!isnan(x))
            v[k++] = x;
    }
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    double edges[SINGLE_BINS];
    int32_t ne = 0;
    for (int32_t b = 1; b < SINGLE_BINS && k > 0; b++) {
        const double e = v[(int64_t)((double)k * b / SINGLE_BINS)];
        if (ne == 0 || e > edges[ne - 1])
            edges[ne++] = e;
    }
    for (int64_t i = 0; i < n; i++) {
        const double x = number_at(f, col, i);
        int32_t b = 0;
        if (!isnan(x)) {
            b = 1;
            while (b - 1 < ne && x >= edges[b - 1])
                b++;
        }
        bin[i] = b;
    }
    *n_bins = ne + 2;
    free(v);
    return true;
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

/* A frame with the given rows, or NULL. */
static plumb_frame *take(const plumb_frame *f, const int64_t *rows, int64_t n) {
    plumb_frame *out = NULL;
    return plumb_frame_take(f, rows, n, &out, NULL) == PLUMB_OK ? out : NULL;
}

/* A copy of every row of f in which the id-like feature columns have the ignore role. */
static plumb_frame *without_ids(const plumb_frame *f, const feat_stat *feats, int64_t n_feats) {
    const int64_t n = plumb_frame_n_rows(f);
    int64_t *rows = malloc((size_t)(n + 1) * sizeof *rows);
    plumb_frame *out = NULL;
    if (rows) {
        for (int64_t i = 0; i < n; i++)
            rows[i] = i;
        out = take(f, rows, n);
    }
    free(rows);
    for (int64_t k = 0; out && k < n_feats; k++)
        if (feats[k].id_like && feats[k].is_feature)
            out->schema->cols[feats[k].col].role = PLUMB_ROLE_IGNORE;
    return out;
}

static plumb_status train_model(const plumb_frame *f, const plumb_audit_options *o, const char *positive,
                                plumb_model **m, plumb_error *err) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = o->num_iterations;
    p.num_leaves = 15;
    p.learning_rate = 0.1;
    p.min_data_in_leaf = 20;
    p.min_data_per_group = 20;
    p.seed = o->seed;
    p.n_threads = o->n_threads;
    p.positive_class = positive;
    return plumb_gbdt_train(f, NULL, &p, m, err);
}

/* Shuffles column col of f in place with a seeded Fisher-Yates (the same permutation for every column type). */
static void shuffle_column(plumb_frame *f, int64_t col, uint64_t seed) {
    plumb__column *c = &f->cols[col];
    uint64_t x = seed * 0x9e3779b97f4a7c15u + 1;
    for (int64_t i = f->n_rows - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const int64_t j = (int64_t)(x % (uint64_t)(i + 1));
#define SWAP(p)                                                                                                        \
    if (c->p) {                                                                                                        \
        const __typeof__(*c->p) t = c->p[i];                                                                           \
        c->p[i] = c->p[j];                                                                                             \
        c->p[j] = t;                                                                                                   \
    }
        SWAP(f32) SWAP(f64) SWAP(codes) SWAP(i64) SWAP(u8)
#undef SWAP
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The audit                                                                                                   */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct ctx {
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
} ctx;

/* Labels of the target: 0/1 (binary: two categories, bool, or numbers 0/1) or values, as every trainer reads
 * them (src/data/target.c). */
static plumb_status read_target(const plumb_frame *f, int64_t t, const char *positive, double *y, bool *binary,
                                plumb_error *err) {
    plumb_task task = PLUMB_TASK_AUTO;
    plumb_status st = plumb__target_labels(f, t, &task, positive, y, NULL, err);
    *binary = task == PLUMB_TASK_BINARY;
    return st;
}

/* Checks 1, 2, 3 (statistical), 5: each column alone, its missingness, its behaviour over time, identifiers. */
static bool single_columns(ctx *c, const plumb_split *split) {
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
        feat_stat *s = &a->feats[k];
        int32_t nb;
        if (!(ok = bin_column(c->f, s->col, bin, &nb) && table_scores(bin, nb, c->y, split, score)))
            break;
        s->power = power(a->binary, c->y, score, NULL, n);
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
        s->missing_power = nm > 0 && nm < n ? power(a->binary, c->y, miss, NULL, n) : NAN;
        if (a->binary && !isnan(s->missing_power))
            s->missing_power = fmax(s->missing_power, 1 - s->missing_power);
        if (c->recent && n_old > 1 && n_new > 1) {
            s->power_old = power(a->binary, c->y, score, old_rows, n_old);
            s->power_recent = power(a->binary, c->y, score, new_rows, n_new);
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
                    v = number_at(c->f, s->col, i);
                }
                score[i] = isnan(v) ? 0 : v;
                have += !isnan(v);
            }
            s->id_power = have > n / 2 ? power(a->binary, c->y, score, NULL, n) : NAN;
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

/* Check 6: confident learning on out-of-fold probabilities (Northcutt, Jiang & Chuang 2021): a row labelled 0 is
 * suspect when its probability of 1 reaches the mean probability of 1 among rows labelled 1, and symmetrically. */
static bool label_noise(ctx *c, const double *oof) {
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    /* labels of immature rows are not final: the maturity check reports them, and they stay out of this one */
    const bool *skip = c->o->outcome_window_days > 0 ? c->recent : NULL;
    double t1 = 0, t0 = 0, n1 = 0, n0 = 0;
    for (int64_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        if (c->y[i] > 0.5)
            t1 += oof[i], n1 += 1;
        else
            t0 += 1 - oof[i], n0 += 1;
    }
    if (n1 == 0 || n0 == 0)
        return true;
    t1 /= n1, t0 /= n0;
    typedef struct {
        double margin;
        int64_t row;
    } cand;
    cand *s = malloc((size_t)(n + 1) * sizeof *s);
    if (!s)
        return false;
    int64_t k = 0, flipped_to_good = 0;
    for (int64_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        const double m = c->y[i] > 0.5 ? (1 - oof[i]) - t0 : oof[i] - t1;
        if (m >= 0) {
            s[k++] = (cand){m + (c->y[i] > 0.5 ? 1 - oof[i] : oof[i]), i};
            flipped_to_good += c->y[i] < 0.5;
        }
    }
    for (int64_t i = 1; i < k; i++) { /* insertion sort by margin, most suspicious first (k is small) */
        const cand v = s[i];
        int64_t j = i - 1;
        while (j >= 0 && s[j].margin < v.margin)
            s[j + 1] = s[j], j--;
        s[j + 1] = v;
    }
    if (!(a->suspects = malloc((size_t)(k + 1) * sizeof *a->suspects))) {
        free(s);
        return false;
    }
    for (int64_t i = 0; i < k; i++)
        a->suspects[i] = s[i].row;
    a->n_suspects = k;
    a->noise_rate = (double)k / (n0 + n1); /* of the rows whose labels were judged */
    free(s);
    /* with a weak model most flags are the model's own errors: a high rate is conclusive only when the model
     * separates the classes well */
    const plumb_severity sev = a->noise_rate >= 0.10 && a->cv_power >= 0.85 ? PLUMB_SEVERITY_CRITICAL
                               : a->noise_rate >= c->o->label_noise         ? PLUMB_SEVERITY_WARNING
                                                                            : PLUMB_SEVERITY_INFO;
    char top[256] = "";
    for (int64_t i = 0; i < k && i < 8; i++) {
        char one[32];
        snprintf(one, sizeof one, "%s%lld", i ? ", " : "", (long long)a->suspects[i] + 1);
        strncat(top, one, sizeof top - strlen(top) - 1);
    }
    return add(
        a, sev, "label_noise", c->a->target, a->noise_rate, c->o->label_noise,
        format("%lld labels (%.1f%% of rows) look wrong to the out-of-fold model", (long long)k, 100 * a->noise_rate),
        format("confident learning on out-of-fold probabilities: %lld rows labelled negative reach the mean "
               "probability of the positives (%.3f), %lld labelled positive the mean of the negatives' "
               "(%.3f); most suspicious data rows: %s",
               (long long)flipped_to_good, t1, (long long)(k - flipped_to_good), 1 - t0, k ? top : "none"),
        format("review the listed rows first (for credit: clients marked good who later defaulted); fix, "
               "drop or down-weight wrong labels, and check how labels are assigned"));
}

/* Adds to perm[f] the power the fold model m loses on (up to PERM_ROWS of) its test rows te when feature f is
 * shuffled among them: permutation importance. Each column is shuffled in a copy and restored from its saved values. */
static bool permutation_drops(const ctx *c, const plumb_model *m, const int64_t *te, int64_t nte, const double *oof,
                              double *perm) {
    const int64_t step = nte > PERM_ROWS ? (nte + PERM_ROWS - 1) / PERM_ROWS : 1, k = (nte + step - 1) / step;
    int64_t *rows = malloc((size_t)(k + 1) * sizeof *rows);
    double *y = malloc((size_t)(k + 1) * sizeof *y), *base = malloc((size_t)(k + 1) * sizeof *base);
    double *pred = malloc((size_t)(k + 1) * sizeof *pred);
    void *saved = malloc((size_t)(k + 1) * 8);
    plumb_frame *f = NULL;
    bool ok = rows && y && base && pred && saved;
    for (int64_t i = 0; ok && i < k; i++) {
        rows[i] = te[i * step];
        y[i] = c->y[rows[i]];
        base[i] = oof[rows[i]];
    }
    ok = ok && (f = take(c->f, rows, k));
    const double before = ok ? power(c->a->binary, y, base, NULL, k) : NAN;
    for (int64_t j = 0; ok && j < c->a->n_feats; j++) {
        const feat_stat *s = &c->a->feats[j];
        if (!s->is_feature)
            continue;
        plumb__column *col = &f->cols[s->col];
        void *data = col->f32     ? (void *)col->f32
                     : col->f64   ? (void *)col->f64
                     : col->codes ? (void *)col->codes
                     : col->i64   ? (void *)col->i64
                                  : (void *)col->u8;
        const size_t bytes = (size_t)k * (col->f32 || col->codes ? 4 : col->u8 ? 1 : 8);
        memcpy(saved, data, bytes);
        shuffle_column(f, s->col, c->o->seed + 7919 * (uint64_t)j + (uint64_t)te[0]);
        if (plumb_model_predict(m, f, NULL, pred, NULL) == PLUMB_OK)
            perm[j] += before - power(c->a->binary, y, pred, NULL, k);
        memcpy(data, saved, bytes);
    }
    plumb_frame_free(f);
    free(rows);
    free(y);
    free(base);
    free(pred);
    free(saved);
    return ok;
}

/* Out-of-fold probabilities of the audit's model over split; with perm (F entries, NaN-initialised) also the drop in
 * power when each feature is shuffled in the test folds. Rows unused by every fold get NaN. */
static plumb_status cv_scores(ctx *c, const plumb_split *split, double *oof, double *perm, plumb_error *err) {
    const int64_t n = c->n;
    int64_t *tr = malloc((size_t)(n + 1) * sizeof *tr), *te = malloc((size_t)(n + 1) * sizeof *te);
    double *pred = malloc((size_t)(n + 1) * sizeof *pred);
    plumb_status st = PLUMB_OK;
    if (!tr || !te || !pred) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        oof[i] = NAN;
    for (int64_t k = 0; perm && k < c->a->n_feats; k++)
        perm[k] = 0;
    int32_t folds_used = 0;
    for (int32_t k = 0; k < plumb_split_n_folds(split); k++) {
        int64_t ntr, nte;
        plumb_split_rows(split, k, tr, &ntr, te, &nte);
        plumb_frame *ftr = take(c->f, tr, ntr), *fte = take(c->f, te, nte);
        plumb_model *m = NULL;
        if (!ftr || !fte)
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        else if ((st = train_model(ftr, c->o, c->positive, &m, err)) == PLUMB_OK &&
                 (st = plumb_model_predict(m, fte, NULL, pred, err)) == PLUMB_OK) {
            for (int64_t i = 0; i < nte; i++)
                oof[te[i]] = pred[i];
            if (perm && !permutation_drops(c, m, te, nte, oof, perm))
                st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            folds_used++;
        }
        plumb_model_free(m);
        plumb_frame_free(ftr);
        plumb_frame_free(fte);
        if (st != PLUMB_OK)
            goto done;
    }
    for (int64_t k = 0; perm && folds_used && k < c->a->n_feats; k++)
        perm[k] /= folds_used;
done:
    free(tr);
    free(te);
    free(pred);
    return st;
}

/* Power over the rows that have an out-of-fold score. */
static double pooled_power(const ctx *c, const double *oof) {
    int64_t *rows = malloc((size_t)(c->n + 1) * sizeof *rows), k = 0;
    if (!rows)
        return NAN;
    for (int64_t i = 0; i < c->n; i++)
        if (!isnan(oof[i]))
            rows[k++] = i;
    const double p = power(c->a->binary, c->y, oof, rows, k);
    free(rows);
    return p;
}

static const char *power_name(const plumb_audit *a) {
    return a->binary ? "AUC" : "R^2";
}

/* Turns the per-column measurements into findings (checks 1, 2, 3, 5, 7). */
static bool column_findings(ctx *c) {
    plumb_audit *a = c->a;
    const char *pn = power_name(a);
    bool ok = true;
    for (int64_t k = 0; ok && k < a->n_feats; k++) {
        const feat_stat *s = &a->feats[k];
        if (s->is_feature && s->power >= c->warn)
            ok = add(a, s->power >= c->crit ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "single_feature_power",
                     s->name, s->power, s->power >= c->crit ? c->crit : c->warn,
                     format("'%s' alone predicts the target (out-of-fold %s %.3f)", s->name, pn, s->power),
                     format("a one-feature model of '%s' reaches an out-of-fold %s of %.3f; honest single features "
                            "rarely pass %.2f",
                            s->name, pn, s->power, c->warn),
                     format("find out when '%s' is filled in and from where: if it is recorded at or after the "
                            "outcome, drop it or declare its availability in the schema",
                            s->name));
        const double mp = s->missing_power;
        if (ok && s->is_feature && a->binary && !isnan(mp) && mp >= c->o->missing_power)
            ok = add(a, mp >= 0.75 ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "missingness", s->name, mp,
                     c->o->missing_power, format("whether '%s' is missing predicts the target (AUC %.3f)", s->name, mp),
                     format("'%s' is missing in %.1f%% of positive rows and %.1f%% of negative rows (%.1f%% "
                            "overall)",
                            s->name, 100 * s->missing_rate_pos, 100 * s->missing_rate_neg, 100 * s->missing_rate),
                     format("ask why '%s' is missing: a field filled in only for some outcomes leaks them; impute "
                            "without an indicator or drop it if the gap is caused by the outcome",
                            s->name));
        /* retro-filled: strong on old rows, weak on recent ones, or missing far more often recently */
        const bool drift_power = s->power_old - s->power_recent >= 0.15 && s->power_old >= 0.75;
        const bool drift_missing = fabs(s->missing_recent - s->missing_old) >= 0.25 &&
                                   (s->power_old >= 0.7 || (!isnan(mp) && mp >= c->o->missing_power));
        if (ok && s->is_feature && c->recent && (drift_power || drift_missing))
            ok = add(a, PLUMB_SEVERITY_CRITICAL, "retro_filled", s->name, s->power_old - s->power_recent, 0.15,
                     format("'%s' looks filled in after the fact: it behaves differently on recent rows", s->name),
                     format("out-of-fold %s %.3f on older rows against %.3f on the latest 30%%; missing in %.1f%% of "
                            "older and %.1f%% of recent rows",
                            pn, s->power_old, s->power_recent, 100 * s->missing_old, 100 * s->missing_recent),
                     format("a value that depends on how long ago the event was, in a way tied to the label, is "
                            "typically updated after the decision (verification, collections): confirm with the "
                            "data owner, then drop '%s' or use its value as of the decision date",
                            s->name));
        if (ok && s->id_like && !isnan(s->id_power) && s->id_power >= c->o->id_power)
            ok = add(a, s->is_feature && s->id_power >= 0.7 ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING,
                     "id_leak", s->name, s->id_power, c->o->id_power,
                     format("identifier '%s' carries the label (%s %.3f)", s->name, pn, s->id_power),
                     format("'%s' is unique per row or nearly so, yet ordering rows by it separates the classes with "
                            "%s %.3f: ids were assigned in an order tied to the outcome",
                            s->name, pn, s->id_power),
                     format("never use '%s' as a feature (give it the id role), and split by time or group rather "
                            "than by id ranges",
                            s->name));
        if (ok && s->is_feature && !isnan(s->gain_share) && s->gain_share >= 0.10 && a->binary &&
            s->permutation < 0.005)
            ok = add(a, PLUMB_SEVERITY_WARNING, "importance_disagreement", s->name, s->gain_share, 0.10,
                     format("'%s' is important in training but useless out of sample", s->name),
                     format("%.1f%% of the model's gain, but shuffling it in held-out folds lowers the AUC by only "
                            "%.4f",
                            100 * s->gain_share, s->permutation),
                     format("'%s' is fitted to noise or to something that does not hold out of sample: check it for "
                            "leakage through the split, or regularise it away",
                            s->name));
        if (ok && s->is_feature && !isnan(s->gain_share) && s->gain_share >= c->o->gain_share)
            ok = add(a, PLUMB_SEVERITY_WARNING, "gain_concentration", s->name, s->gain_share, c->o->gain_share,
                     format("'%s' holds %.0f%% of the model's gain", s->name, 100 * s->gain_share),
                     format("one feature of %lld holds %.1f%% of the total split gain of a model trained on all rows",
                            (long long)a->n_feats, 100 * s->gain_share),
                     format("a model that leans on one column fails when that column changes or leaks; confirm '%s' "
                            "is known at prediction time",
                            s->name));
    }
    return ok;
}

/* Check 3 (declared): features the schema says become known after the moment of prediction. */
static plumb_status declared_availability(ctx *c, plumb_error *err) {
    plumb_audit *a = c->a;
    for (int64_t k = 0; k < a->n_feats; k++) {
        const feat_stat *s = &a->feats[k];
        if (!s->is_feature)
            continue;
        plumb__late late;
        plumb_status st = plumb__availability(c->f, s->col, &late, err);
        if (st != PLUMB_OK)
            return st;
        if (late.n_late > 0 &&
            !add(a, PLUMB_SEVERITY_CRITICAL, "available_at", s->name, (double)late.n_late / (double)late.n_checked, 0,
                 format("'%s' becomes known after the moment of prediction", s->name),
                 format("in %lld of %lld rows its value was recorded after the row's time (up to %.4g days "
                        "later; first: data row %lld)",
                        (long long)late.n_late, (long long)late.n_checked, late.max_delay_days,
                        (long long)late.first_row + 1),
                 format("drop '%s': plumb train refuses it unless given --allow-feature %s", s->name, s->name)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    return PLUMB_OK;
}

/* Check 4 with a test set: duplicates and ids across the split, time order, target shift. */
static plumb_status split_hygiene(ctx *c, const plumb_frame *test, plumb_error *err) {
    plumb_audit *a = c->a;
    const int64_t nt = plumb_frame_n_rows(test), n = c->n;
    const int64_t target = plumb__find_role(test, PLUMB_ROLE_TARGET);
    /* rows are compared by a hash of their feature values (by name, as text-free numbers and category names) */
    uint64_t *h = malloc((size_t)(n + 1) * sizeof *h), *ht = malloc((size_t)(nt + 1) * sizeof *ht);
    if (!h || !ht) {
        free(h), free(ht);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int side = 0; side < 2; side++) {
        const plumb_frame *f = side ? test : c->f;
        uint64_t *out = side ? ht : h;
        const int64_t rows = side ? nt : n;
        for (int64_t i = 0; i < rows; i++)
            out[i] = 1469598103934665603u;
        for (int64_t k = 0; k < a->n_feats; k++) {
            if (!a->feats[k].is_feature)
                continue;
            const int64_t col = plumb_frame_find(f, a->feats[k].name);
            if (col < 0)
                continue;
            const int32_t *codes = plumb_frame_codes(f, col);
            plumb_column_info ci;
            plumb_schema_column(plumb_frame_schema(f), col, &ci);
            for (int64_t i = 0; i < rows; i++) {
                uint64_t v = 0;
                if (codes) {
                    const char *s = codes[i] >= 0 && ci.categories ? ci.categories[codes[i]] : "";
                    for (; *s; s++)
                        v = (v ^ (uint8_t)*s) * 1099511628211u;
                } else {
                    const double x = number_at(f, col, i);
                    memcpy(&v, &x, sizeof v);
                    if (isnan(x))
                        v = 0x7ff8000000000000u;
                }
                out[i] = (out[i] ^ v) * 1099511628211u;
                out[i] ^= out[i] >> 29;
            }
        }
    }
    qsort(h, (size_t)n, sizeof *h, cmp_u64);
    int64_t dup = 0;
    for (int64_t i = 0; i < nt; i++)
        dup += bsearch(&ht[i], h, (size_t)n, sizeof *h, cmp_u64) != NULL;
    free(h);
    free(ht);
    bool ok = true;
    if (dup > 0)
        ok = add(a, dup * 20 >= nt ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "duplicates", NULL,
                 (double)dup / (double)nt, 0, format("%lld test rows also appear in the training data", (long long)dup),
                 format("%lld of %lld test rows (%.1f%%) have exactly the feature values of a training row",
                        (long long)dup, (long long)nt, 100.0 * (double)dup / (double)nt),
                 format("deduplicate before splitting, or split by client so the same case cannot sit on both sides"));
    /* id overlap */
    const int64_t id = plumb__find_role(c->f, PLUMB_ROLE_ID);
    if (ok && id >= 0) {
        plumb_column_info ci;
        plumb_schema_column(plumb_frame_schema(c->f), id, &ci);
        const int64_t tid = plumb_frame_find(test, ci.name);
        const int32_t *a_codes = plumb_frame_codes(c->f, id), *t_codes = tid >= 0 ? plumb_frame_codes(test, tid) : NULL;
        if (a_codes && t_codes) {
            plumb_column_info ti;
            plumb_schema_column(plumb_frame_schema(test), tid, &ti);
            int64_t overlap = 0;
            /* only the ids the training rows hold: a frame taken from a larger one keeps its whole dictionary */
            uint8_t *used = calloc((size_t)ci.n_categories + 1, 1);
            if (!used)
                return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            for (int64_t i = 0; i < n; i++)
                if (a_codes[i] >= 0)
                    used[a_codes[i]] = 1;
            for (int64_t i = 0; i < nt; i++) {
                const char *v = t_codes[i] >= 0 && ti.categories ? ti.categories[t_codes[i]] : NULL;
                for (int64_t k = 0; v && k < ci.n_categories; k++)
                    if (used[k] && strcmp(v, ci.categories[k]) == 0) {
                        overlap++;
                        break;
                    }
            }
            free(used);
            if (overlap > 0)
                ok = add(
                    a, PLUMB_SEVERITY_CRITICAL, "id_overlap", ci.name, (double)overlap / (double)nt, 0,
                    format("%lld test rows share an id with training rows", (long long)overlap),
                    format("'%s' values of %lld of %lld test rows also occur in the training data", ci.name,
                           (long long)overlap, (long long)nt),
                    format("split by '%s' (group split) so no client is scored on data it was trained on", ci.name));
        }
    }
    /* time order */
    const int64_t tt = c->time >= 0 ? plumb_frame_find(test, plumb_frame_schema(c->f)->cols[c->time].name) : -1;
    if (ok && tt >= 0) {
        double newest = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            newest = fmax(newest, c->days[i]);
        int64_t older = 0;
        for (int64_t i = 0; i < nt; i++)
            older += plumb__row_days(test, tt, i) < newest;
        if (older > 0)
            ok = add(a, older * 10 >= nt ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "test_older", NULL,
                     (double)older / (double)nt, 0,
                     format("%lld test rows are older than the newest training row", (long long)older),
                     format("%.1f%% of the test rows happened before the training data ends: the test set does not "
                            "measure performance on the future",
                            100.0 * (double)older / (double)nt),
                     format("split by time: train on the past, test on the period after it"));
    }
    /* target shift */
    if (ok && target >= 0 && a->binary) {
        double *yt = malloc((size_t)(nt + 1) * sizeof *yt);
        bool bin;
        if (!yt || read_target(test, target, c->positive, yt, &bin, NULL) != PLUMB_OK) {
            free(yt);
            return PLUMB_OK;
        }
        double rt = 0;
        for (int64_t i = 0; i < nt; i++)
            rt += yt[i] / (double)nt;
        free(yt);
        const double p = a->positive_rate, se = sqrt(p * (1 - p) * (1.0 / (double)n + 1.0 / (double)nt));
        const double z = se > 0 ? fabs(rt - p) / se : 0;
        if (z >= 4 && fabs(rt - p) >= 0.02)
            ok = add(a, fabs(rt - p) >= 0.5 * p ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "target_shift",
                     a->target, rt - p, 0,
                     format("the positive rate moves from %.1f%% in training to %.1f%% in test", 100 * p, 100 * rt),
                     format("a difference of %.1f points (z = %.1f): the test period differs, or its labels are not "
                            "mature yet",
                            100 * (rt - p), z),
                     format("check label maturity and the population of the test period before comparing scores"));
    }
    return ok ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* Check 6b: labels whose outcome window has not closed by the last date. */
static bool label_maturity(ctx *c) {
    plumb_audit *a = c->a;
    const double window = c->o->outcome_window_days;
    if (!(window > 0) || !c->days || !a->binary)
        return true;
    double last = c->o->as_of_days;
    for (int64_t i = 0; isnan(c->o->as_of_days) && i < c->n; i++)
        last = fmax(isnan(last) ? -INFINITY : last, c->days[i]);
    double pos_new = 0, pos_old = 0, n_new = 0, n_old = 0;
    for (int64_t i = 0; i < c->n; i++) {
        if (isnan(c->days[i]))
            continue;
        if (c->days[i] > last - window)
            n_new += 1, pos_new += c->y[i];
        else
            n_old += 1, pos_old += c->y[i];
    }
    a->n_immature = (int64_t)n_new;
    if (n_new == 0)
        return true;
    const double rn = pos_new / n_new, ro = n_old > 0 ? pos_old / n_old : NAN;
    const bool low = n_old > 0 && rn < 0.5 * ro;
    return add(a, low && n_new * 100 >= (double)c->n ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING,
               "label_maturity", a->target, n_new / (double)c->n, 0,
               format("%lld rows (%.1f%%) are too recent for their label to be final", (long long)n_new,
                      100 * n_new / (double)c->n),
               format("their %.0f-day outcome window had not closed by the snapshot date; their positive "
                      "rate is %.1f%% against %.1f%% for mature rows",
                      window, 100 * rn, 100 * ro),
               format("leave rows younger than the outcome window out of training and evaluation, or label them "
                      "only once their window closes"));
}

/* Checks 4 (without a test set), 8: random against time splits, train against validation and out-of-time. */
static bool metric_findings(ctx *c) {
    plumb_audit *a = c->a;
    const char *pn = power_name(a);
    const double gap = c->o->split_gap;
    bool ok = true;
    if (a->cv_power >= c->too_good)
        ok = add(a, PLUMB_SEVERITY_CRITICAL, "too_good", NULL, a->cv_power, c->too_good,
                 format("the cross-validated %s of %.3f is too good to be true", pn, a->cv_power),
                 format("a model of all features reaches an out-of-fold %s of %.3f; real problems of this kind "
                        "rarely pass %.2f",
                        pn, a->cv_power, c->too_good),
                 format("look for the feature that makes it possible (the single-feature findings above) before "
                        "trusting any score"));
    if (ok && !isnan(a->time_cv_power) && a->cv_power - a->time_cv_power >= gap)
        ok = add(a, a->cv_power - a->time_cv_power >= 2 * gap ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING,
                 "random_vs_time", NULL, a->cv_power - a->time_cv_power, gap,
                 format("random-split validation overstates the model: %s %.3f against %.3f on time splits", pn,
                        a->cv_power, a->time_cv_power),
                 format("the same model scores %.3f higher when validation rows are drawn at random than when they "
                        "follow their training rows in time: it exploits time-local structure or leakage",
                        a->cv_power - a->time_cv_power),
                 format("validate by time (plumb cv --strategy time) and report that figure"));
    if (ok && a->train_power - a->cv_power >= 0.10)
        ok = add(a, PLUMB_SEVERITY_WARNING, "metric_gap", NULL, a->train_power - a->cv_power, 0.10,
                 format("training %s %.3f against %.3f out of fold", pn, a->train_power, a->cv_power),
                 format("the model fits its training rows much better than rows it has not seen"),
                 format("regularise (fewer leaves, more rows per leaf, early stopping) and judge the model by "
                        "held-out scores only"));
    const double oot = !isnan(a->test_power) ? a->test_power : a->oot_power;
    if (ok && !isnan(oot) && a->cv_power - oot >= gap)
        ok = add(a, a->cv_power - oot >= 2 * gap ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "metric_gap", NULL,
                 a->cv_power - oot, gap, format("out-of-time %s %.3f against %.3f in validation", pn, oot, a->cv_power),
                 format("trained on the past and scored on the %s, the model loses %.3f of %s",
                        !isnan(a->test_power) ? "test set" : "latest 20% of rows", a->cv_power - oot, pn),
                 format("expect the out-of-time figure in production; find what changed over time or leaks within "
                        "a period"));
    if (ok && a->row_order_power >= c->o->id_power)
        ok = add(a, PLUMB_SEVERITY_WARNING, "row_order", NULL, a->row_order_power, c->o->id_power,
                 format("the row order carries the label (%s %.3f)", pn, a->row_order_power),
                 format("the position of a row in the file separates the classes with %s %.3f", pn, a->row_order_power),
                 format("shuffle before any split that takes consecutive rows, and look for an id or counter that "
                        "follows the same order"));
    return ok;
}

/* The model's gain share per column (by name). */
static void gain_shares(plumb_audit *a, const plumb_model *m) {
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

plumb_status plumb_audit_run(const plumb_frame *f, const plumb_audit_options *o, plumb_audit **out, plumb_error *err) {
    plumb__error_clear(err);
    *out = NULL;
    const int64_t n = plumb_frame_n_rows(f), target = plumb__find_role(f, PLUMB_ROLE_TARGET);
    if (target < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target");
    if (o->n_folds < 2 || n < 4 * (int64_t)o->n_folds)
        return plumb__fail(err, PLUMB_EINVAL, "an audit needs at least %d rows for %d folds", 4 * o->n_folds,
                           o->n_folds);
    plumb_audit *a = calloc(1, sizeof *a);
    double *y = malloc((size_t)(n + 1) * sizeof *y), *oof = malloc((size_t)(n + 1) * sizeof *oof);
    double *perm = NULL, *order = malloc((size_t)(n + 1) * sizeof *order);
    int64_t *labels = malloc((size_t)(n + 1) * sizeof *labels), *rows = malloc((size_t)(n + 1) * sizeof *rows);
    plumb_split *split = NULL, *tsplit = NULL;
    plumb_model *full = NULL;
    plumb_frame *model_frame = NULL;
    ctx c = {.f = f, .o = o, .a = a, .y = y, .n = n, .time = plumb__find_role(f, PLUMB_ROLE_TIME)};
    plumb_status st = PLUMB_OK;
    if (!a || !y || !oof || !order || !labels || !rows)
        goto nomem;
    const plumb_schema *fs = plumb_frame_schema(f);
    plumb_column_info tc;
    plumb_schema_column(fs, target, &tc);
    if (!(a->target = strdup(tc.name)))
        goto nomem;
    a->n_rows = n;
    c.positive = o->positive_class;
    if ((st = read_target(f, target, o->positive_class, y, &a->binary, err)) != PLUMB_OK)
        goto done;
    if (a->binary && !o->positive_class && tc.n_categories == 2)
        c.positive = tc.categories[1];
    c.crit = !isnan(o->single_power_critical) ? o->single_power_critical : a->binary ? 0.90 : 0.80;
    c.warn = !isnan(o->single_power_warning) ? o->single_power_warning : a->binary ? 0.80 : 0.50;
    c.too_good = !isnan(o->too_good) ? o->too_good : a->binary ? 0.95 : 0.98;
    a->power_warning = c.warn;
    a->power_critical = c.crit;
    for (int64_t i = 0; i < n; i++)
        a->positive_rate += y[i] / (double)n;

    /* the columns examined: features, and id-like columns whatever their role */
    if (!(a->feats = calloc((size_t)plumb_schema_n_columns(fs) + 1, sizeof *a->feats)))
        goto nomem;
    for (int64_t j = 0; j < plumb_schema_n_columns(fs); j++) {
        plumb_column_info ci;
        plumb_schema_column(fs, j, &ci);
        const bool feature = ci.role == PLUMB_ROLE_FEATURE && ci.type != PLUMB_TYPE_DATETIME;
        bool id_like = ci.role == PLUMB_ROLE_ID || ci.type == PLUMB_TYPE_STRING;
        if (!id_like && ci.role == PLUMB_ROLE_FEATURE && ci.type == PLUMB_TYPE_NUMERIC) {
            /* numbers distinct in (nearly) every row */
            int64_t k = 0;
            for (int64_t i = 0; i < n; i++)
                if (!isnan(order[k] = number_at(f, j, i)))
                    k++;
            qsort(order, (size_t)k, sizeof *order, cmp_double);
            int64_t distinct = k > 0;
            for (int64_t i = 1; i < k; i++)
                distinct += order[i] != order[i - 1];
            bool integers = true;
            for (int64_t i = 0; i < k && integers; i++)
                integers = order[i] == floor(order[i]);
            id_like = integers && distinct >= 0.95 * (double)n;
        }
        if (!feature && !id_like)
            continue;
        a->feats[a->n_feats++] = (feat_stat){.col = j,
                                             .name = fs->cols[j].name,
                                             .type = ci.type,
                                             .is_feature = feature,
                                             .id_like = id_like,
                                             .gain_share = NAN,
                                             .permutation = NAN,
                                             .id_power = NAN};
    }

    /* row times, and which rows are recent: the latest 30% of the time range, or those whose outcome window is
     * still open */
    if (c.time >= 0) {
        if (!(c.days = malloc((size_t)(n + 1) * sizeof *c.days)) || !(c.recent = calloc((size_t)n + 1, 1)))
            goto nomem;
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            c.days[i] = plumb__row_days(f, c.time, i);
            lo = fmin(lo, c.days[i]), hi = fmax(hi, c.days[i]);
        }
        const double snapshot = isnan(o->as_of_days) ? hi : o->as_of_days;
        const double cut = o->outcome_window_days > 0 ? snapshot - o->outcome_window_days : lo + 0.7 * (hi - lo);
        for (int64_t i = 0; i < n; i++)
            c.recent[i] = c.days[i] > cut;
    }

    /* folds: stratified for a binary target */
    plumb_split_options so;
    plumb_split_options_init(&so);
    so.n_folds = o->n_folds;
    so.seed = o->seed;
    so.strategy = a->binary ? PLUMB_SPLIT_STRATIFIED : PLUMB_SPLIT_KFOLD;
    for (int64_t i = 0; i < n; i++)
        labels[i] = (int64_t)y[i];
    so.labels = a->binary ? labels : NULL;
    if ((st = plumb_split_create(n, &so, &split, err)) != PLUMB_OK)
        goto done;

    if (!single_columns(&c, split))
        goto nomem;
    for (int64_t i = 0; i < n; i++)
        order[i] = (double)i;
    a->row_order_power = power(a->binary, y, order, NULL, n);
    if (a->binary)
        a->row_order_power = fmax(a->row_order_power, 1 - a->row_order_power);

    /* the audit's models never see identifiers (their leak is a finding of its own, and a column that copies the
     * observed label would hide the wrong labels from the label audit): a copy of the frame where they are ignored */
    if (!(model_frame = without_ids(f, a->feats, a->n_feats)))
        goto nomem;
    c.f = model_frame;

    /* the full model: out-of-fold scores with permutation importance, then one model on every row */
    if (!(perm = malloc((size_t)(a->n_feats + 1) * sizeof *perm)))
        goto nomem;
    if ((st = cv_scores(&c, split, oof, perm, err)) != PLUMB_OK)
        goto done;
    a->cv_power = pooled_power(&c, oof);
    for (int64_t k = 0; k < a->n_feats; k++)
        a->feats[k].permutation = a->feats[k].is_feature ? perm[k] : NAN;
    if ((st = train_model(f, o, c.positive, &full, err)) != PLUMB_OK ||
        (st = plumb_model_predict(full, f, NULL, order, err)) != PLUMB_OK)
        goto done;
    a->train_power = power(a->binary, y, order, NULL, n);
    gain_shares(a, o->model ? o->model : full);

    /* time: the same model validated on time splits, and trained on the first 80% of the time range */
    a->time_cv_power = a->oot_power = a->test_power = NAN;
    if (c.time >= 0) {
        plumb_split_options to;
        plumb_split_options_init(&to);
        to.strategy = PLUMB_SPLIT_TIME;
        to.n_folds = o->n_folds;
        to.times = c.days;
        if (plumb_split_create(n, &to, &tsplit, NULL) == PLUMB_OK) {
            double *toof = malloc((size_t)(n + 1) * sizeof *toof);
            if (!toof)
                goto nomem;
            if ((st = cv_scores(&c, tsplit, toof, NULL, err)) == PLUMB_OK)
                a->time_cv_power = pooled_power(&c, toof);
            /* the last fold of the time split is the out-of-time test: trained on everything before it */
            int64_t ntr, nte, *te = malloc((size_t)(n + 1) * sizeof *te);
            if (te && st == PLUMB_OK) {
                plumb_split_rows(tsplit, plumb_split_n_folds(tsplit) - 1, rows, &ntr, te, &nte);
                a->oot_power = power(a->binary, y, toof, te, nte);
            }
            free(toof);
            if (!te)
                goto nomem;
            if (st != PLUMB_OK) {
                free(te);
                goto done;
            }
            free(te);
        }
    }
    if (o->test) {
        if ((st = split_hygiene(&c, o->test, err)) != PLUMB_OK)
            goto done;
        const int64_t tt = plumb__find_role(o->test, PLUMB_ROLE_TARGET), nt = plumb_frame_n_rows(o->test);
        double *p = malloc((size_t)(nt + 1) * sizeof *p), *yt = malloc((size_t)(nt + 1) * sizeof *yt);
        bool bin;
        if (p && yt && tt >= 0 && read_target(o->test, tt, c.positive, yt, &bin, NULL) == PLUMB_OK &&
            plumb_model_predict(o->model ? o->model : full, o->test, NULL, p, NULL) == PLUMB_OK)
            a->test_power = power(a->binary, yt, p, NULL, nt);
        free(p);
        free(yt);
    }

    if ((st = declared_availability(&c, err)) != PLUMB_OK)
        goto done;
    if (!column_findings(&c) || !metric_findings(&c) || (a->binary && !label_noise(&c, oof)) || !label_maturity(&c))
        goto nomem;
    qsort(a->findings, (size_t)a->n_findings, sizeof *a->findings, by_severity);
    *out = a;
    a = NULL;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb_audit_free(a);
    plumb_split_free(split);
    plumb_split_free(tsplit);
    plumb_model_free(full);
    plumb_frame_free(model_frame);
    free(y);
    free(oof);
    free(perm);
    free(order);
    free(labels);
    free(rows);
    free(c.days);
    free(c.recent);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* JSON                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

char *plumb_audit_json(const plumb_audit *a) {
    json_t *findings = json_array(), *features = json_array(), *suspects = json_array();
    for (int64_t i = 0; findings && i < a->n_findings; i++) {
        const plumb_finding *f = &a->findings[i];
        json_array_append_new(findings, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "severity",
                                                  plumb_severity_name(f->severity), "check", f->check, "column",
                                                  f->column ? json_string(f->column) : json_null(), "title", f->title,
                                                  "evidence", f->evidence, "action", f->action, "value", num(f->value),
                                                  "threshold", num(f->threshold)));
    }
    for (int64_t k = 0; features && k < a->n_feats; k++) {
        const feat_stat *s = &a->feats[k];
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
    if (root)
        json_object_set_new(root, "thresholds",
                            json_pack("{s:o, s:o}", "single_power_warning", num(a->power_warning),
                                      "single_power_critical", num(a->power_critical)));
    char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(root);
    return s;
}
