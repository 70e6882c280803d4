/* measure.c -- what every check measures with: the power of scores (ROC-AUC or R^2), the audit's own model
 * (gradient boosting, 15 leaves) trained and scored out of fold, permutation importance, frames of chosen rows. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERM_ROWS 4000 /* held-out rows per fold that permutation importance shuffles (evenly spaced) */

/* Power of scores s for labels y over rows (all n when rows is NULL): ROC-AUC or R^2; NaN when undefined. */
double plumb__audit_power(bool binary, const double *y, const double *s, const int64_t *rows, int64_t n) {
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

int plumb__cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int plumb__cmp_u64(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The value of column col at row i as a number (NaN when missing or not a number). */
double plumb__number_at(const plumb_frame *f, int64_t col, int64_t i) {
    const float *x = plumb_frame_f32(f, col);
    if (x)
        return x[i];
    const uint8_t *u = plumb_frame_u8(f, col);
    if (u)
        return u[i] == PLUMB_BOOL_MISSING ? NAN : u[i];
    return plumb__row_days(f, col, i);
}

/* A frame with the given rows, or NULL. */
plumb_frame *plumb__audit_take(const plumb_frame *f, const int64_t *rows, int64_t n) {
    plumb_frame *out = NULL;
    return plumb_frame_take(f, rows, n, &out, NULL) == PLUMB_OK ? out : NULL;
}

/* A copy of every row of f in which the id-like feature columns have the ignore role. */
plumb_frame *plumb__audit_without_ids(const plumb_frame *f, const plumb__feat_stat *feats, int64_t n_feats) {
    const int64_t n = plumb_frame_n_rows(f);
    int64_t *rows = malloc((size_t)(n + 1) * sizeof *rows);
    plumb_frame *out = NULL;
    if (rows) {
        for (int64_t i = 0; i < n; i++)
            rows[i] = i;
        out = plumb__audit_take(f, rows, n);
    }
    free(rows);
    for (int64_t k = 0; out && k < n_feats; k++)
        if (feats[k].id_like && feats[k].is_feature)
            out->schema->cols[feats[k].col].role = PLUMB_ROLE_IGNORE;
    return out;
}

plumb_status plumb__audit_train(const plumb_frame *f, const plumb_audit_options *o, const char *positive,
                                int32_t leaves, int64_t min_leaf, plumb_model **m, plumb_error *err) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = o->num_iterations;
    p.num_leaves = leaves;
    p.learning_rate = 0.1;
    p.min_data_in_leaf = (int32_t)min_leaf;
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

/* Labels of the target: 0/1 (binary: two categories, bool, or numbers 0/1) or values, as every trainer reads
 * them (src/data/target.c). */
plumb_status plumb__audit_target(const plumb_frame *f, int64_t t, const char *positive, double *y, bool *binary,
                                 plumb_error *err) {
    plumb_task task = PLUMB_TASK_AUTO;
    plumb_status st = plumb__target_labels(f, t, &task, positive, y, NULL, err);
    *binary = task == PLUMB_TASK_BINARY;
    return st;
}

/* Adds to perm[f] the power the fold model m loses on (up to PERM_ROWS of) its test rows te when feature f is
 * shuffled among them: permutation importance. Each column is shuffled in a copy and restored from its saved values. */
static bool permutation_drops(const plumb__audit_ctx *c, const plumb_model *m, const int64_t *te, int64_t nte,
                              const double *oof, double *perm) {
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
    ok = ok && (f = plumb__audit_take(c->f, rows, k));
    const double before = ok ? plumb__audit_power(c->a->binary, y, base, NULL, k) : NAN;
    for (int64_t j = 0; ok && j < c->a->n_feats; j++) {
        const plumb__feat_stat *s = &c->a->feats[j];
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
            perm[j] += before - plumb__audit_power(c->a->binary, y, pred, NULL, k);
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
plumb_status plumb__audit_cv_scores(plumb__audit_ctx *c, const plumb_split *split, double *oof, double *perm,
                                    plumb_error *err) {
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
        plumb_frame *ftr = plumb__audit_take(c->f, tr, ntr), *fte = plumb__audit_take(c->f, te, nte);
        plumb_model *m = NULL;
        if (!ftr || !fte)
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        else if ((st = plumb__audit_train(ftr, c->o, c->positive, c->leaves, c->min_leaf, &m, err)) == PLUMB_OK &&
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
double plumb__audit_pooled_power(const plumb__audit_ctx *c, const double *oof) {
    int64_t *rows = malloc((size_t)(c->n + 1) * sizeof *rows), k = 0;
    if (!rows)
        return NAN;
    for (int64_t i = 0; i < c->n; i++)
        if (!isnan(oof[i]))
            rows[k++] = i;
    const double p = plumb__audit_power(c->a->binary, c->y, oof, rows, k);
    free(rows);
    return p;
}

const char *plumb__audit_power_name(const plumb_audit *a) {
    return a->binary ? "AUC" : "R^2";
}
