/* audit.c -- the leakage and label audit: many cheap, independent measurements of a training table, each turned
 * into a finding with a severity, its evidence in numbers and an action for a person (docs/audit.md).
 *
 * Power is ROC-AUC for a binary target and R^2 for regression, always measured out of fold. A one-feature model is
 * a table: the feature's values cut into up to 32 quantile bins (categories: one bin each; missing values their own
 * bin), each bin scored by the smoothed target mean of the training folds' rows in it. Full models are the
 * gradient-boosting engine with small settings (15 leaves, 80 rounds; the label check and the metric-gap check also
 * a regularised one: 4 leaves, 160 rounds). Everything derives from the seed, so the same data gives the same audit.
 */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    o->label_noise = 0.02;
}

#define LABEL_OWN_ROWS 50000 /* up to this many rows the label check has its own scores (label_scores) */

/* Out-of-fold probabilities over split of the audit's regularised model: 4 leaves of at least 100 rows, twice the
 * rounds (a 4-leaf tree learns less per round; with as many rounds as the 15-leaf model it underfits the planted
 * leaks of tests/unit/test_audit.c and reads no label noise there). */
static plumb_status regularised_scores(plumb__audit_ctx *c, const plumb_split *split, double *oof, plumb_error *err) {
    const plumb_audit_options *given = c->o;
    plumb_audit_options o = *given;
    o.num_iterations = 2 * given->num_iterations;
    c->o = &o, c->leaves = 4, c->min_leaf = 100;
    const plumb_status st = plumb__audit_cv_scores(c, split, oof, NULL, err);
    c->o = given, c->leaves = 15, c->min_leaf = 20;
    return st;
}

/* The label check's own out-of-fold probabilities: the regularised model's, averaged over repetitions of the folds.
 * Why regularised: the 15-leaf model overfits small tables, and its overconfident scores (a defaulter scored near
 * 0) read to the link of check_labels.c as wrong labels; on the tables of bench/run-label-truth with 8% of labels
 * flipped it estimated 0.5-2 points higher (docs/audit.md). Why repetitions: one split's scores carry the luck of
 * its folds. Three up to 20,000 rows, two up to LABEL_OWN_ROWS; beyond, the label check reads the audit's model
 * (fitted to more rows, it overfits less; and the time budget is 5 s for 100,000 rows). The first repetition uses
 * split, the folds of the rest of the audit: its power is the regularised model's that the metric-gap check
 * compares with (c->reg_power). */
static plumb_status label_scores(plumb__audit_ctx *c, const plumb_split_options *so, const plumb_split *split,
                                 double *oof, plumb_error *err) {
    const int reps = c->n <= 20000 ? 3 : 2;
    double *more = malloc((size_t)(c->n + 1) * sizeof *more);
    if (!more)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = regularised_scores(c, split, oof, err);
    if (st == PLUMB_OK)
        c->reg_power = plumb__audit_pooled_power(c, oof);
    for (int r = 1; r < reps && st == PLUMB_OK; r++) {
        plumb_split_options o = *so;
        o.seed = so->seed + 1000003u * (uint64_t)r;
        plumb_split *rsplit = NULL;
        if ((st = plumb_split_create(c->n, &o, &rsplit, err)) == PLUMB_OK &&
            (st = regularised_scores(c, rsplit, more, err)) == PLUMB_OK)
            for (int64_t i = 0; i < c->n; i++)
                oof[i] += more[i];
        plumb_split_free(rsplit);
    }
    for (int64_t i = 0; st == PLUMB_OK && i < c->n; i++)
        oof[i] /= reps;
    free(more);
    return st;
}

/* Whether the model given to audit (opts->model) predicts what the audit measures: the same target, the same task
 * (binary or regression: the audit's scores are one number per row) and, for a text target, the same positive
 * class. PLUMB_EINVAL saying what differs otherwise. */
static plumb_status model_fits(const plumb_model *m, const char *target, bool binary, const char *positive,
                               plumb_error *err) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const char *mt = NULL;
    const plumb_schema *ms = plumb_model_schema(m);
    for (int64_t j = 0; ms && j < plumb_schema_n_columns(ms) && !mt; j++) {
        plumb_column_info ci;
        plumb_schema_column(ms, j, &ci);
        if (ci.role == PLUMB_ROLE_TARGET)
            mt = ci.name;
    }
    const char *task = binary ? "binary" : "regression";
    const char *mtask = info.task == PLUMB_TASK_BINARY       ? "binary"
                        : info.task == PLUMB_TASK_REGRESSION ? "regression"
                        : info.task == PLUMB_TASK_MULTICLASS ? "multiclass"
                                                             : "unknown";
    if (mt && strcmp(mt, target) != 0)
        return plumb__fail(err, PLUMB_EINVAL,
                           "the model predicts '%s', not the audited target '%s': give a model trained on '%s'", mt,
                           target, target);
    if (strcmp(task, mtask) != 0 || info.n_outputs != 1)
        return plumb__fail(err, PLUMB_EINVAL,
                           "the model is a %s model of '%s', the audit's target is %s: give a %s model of '%s'", mtask,
                           mt ? mt : target, task, task, target);
    const char *mp = plumb_model_positive_class(m);
    if (binary && mp && positive && strcmp(mp, positive) != 0)
        return plumb__fail(err, PLUMB_EINVAL,
                           "the model predicts the probability of '%s', the audit's positive class is '%s': give "
                           "--positive-class %s, or a model trained with --positive-class %s",
                           mp, positive, mp, positive);
    return PLUMB_OK;
}

static plumb_status run_audit(const plumb_frame *f, const plumb_audit_options *o, plumb_audit **out, plumb_error *err) {
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
    double *perm = NULL, *label_oof = NULL, *order = malloc((size_t)(n + 1) * sizeof *order);
    int64_t *labels = malloc((size_t)(n + 1) * sizeof *labels), *rows = malloc((size_t)(n + 1) * sizeof *rows);
    plumb_split *split = NULL, *tsplit = NULL;
    plumb_model *full = NULL;
    plumb_frame *model_frame = NULL;
    plumb__audit_ctx c = {.f = f,
                          .o = o,
                          .a = a,
                          .y = y,
                          .n = n,
                          .time = plumb__find_role(f, PLUMB_ROLE_TIME),
                          .leaves = 15,
                          .min_leaf = 20,
                          .reg_power = NAN};
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
    if ((st = plumb__audit_target(f, target, o->positive_class, y, &a->binary, err)) != PLUMB_OK)
        goto done;
    if (a->binary && !o->positive_class && tc.n_categories == 2)
        c.positive = tc.categories[1];
    if (o->model && (st = model_fits(o->model, tc.name, a->binary, c.positive, err)) != PLUMB_OK)
        goto done;
    c.crit = !isnan(o->single_power_critical) ? o->single_power_critical : a->binary ? 0.90 : 0.80;
    c.warn = !isnan(o->single_power_warning) ? o->single_power_warning : a->binary ? 0.80 : 0.50;
    c.too_good = !isnan(o->too_good) ? o->too_good : a->binary ? 0.95 : 0.98;
    a->power_warning = c.warn;
    a->power_critical = c.crit;
    a->too_good = c.too_good;
    a->opts = *o;
    a->opts.test = NULL, a->opts.model = NULL, a->opts.positive_class = NULL;
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
                if (!isnan(order[k] = plumb__number_at(f, j, i)))
                    k++;
            qsort(order, (size_t)k, sizeof *order, plumb__cmp_double);
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
        a->feats[a->n_feats++] = (plumb__feat_stat){.col = j,
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

    if (!plumb__audit_single_columns(&c, split))
        goto nomem;
    if (!plumb__audit_structure(&c, split))
        goto nomem;

    /* the audit's models never see identifiers (their leak is a finding of its own, and a column that copies the
     * observed label would hide the wrong labels from the label audit): a copy of the frame where they are ignored */
    if (!(model_frame = plumb__audit_without_ids(f, a->feats, a->n_feats)))
        goto nomem;
    c.f = model_frame;

    /* the full model: out-of-fold scores with permutation importance, then one model on every row */
    if (!(perm = malloc((size_t)(a->n_feats + 1) * sizeof *perm)))
        goto nomem;
    if ((st = plumb__audit_cv_scores(&c, split, oof, perm, err)) != PLUMB_OK)
        goto done;
    a->cv_power = plumb__audit_pooled_power(&c, oof);
    const bool own_label_scores = a->binary && n <= LABEL_OWN_ROWS;
    if (own_label_scores && !(label_oof = malloc((size_t)(n + 1) * sizeof *label_oof)))
        goto nomem;
    if (own_label_scores && (st = label_scores(&c, &so, split, label_oof, err)) != PLUMB_OK)
        goto done;
    for (int64_t k = 0; k < a->n_feats; k++)
        a->feats[k].permutation = a->feats[k].is_feature ? perm[k] : NAN;
    if ((st = plumb__audit_train(f, o, c.positive, c.leaves, c.min_leaf, &full, err)) != PLUMB_OK ||
        (st = plumb_model_predict(full, f, NULL, order, err)) != PLUMB_OK)
        goto done;
    a->train_power = plumb__audit_power(a->binary, y, order, NULL, n);
    plumb__audit_gain_shares(a, o->model ? o->model : full);

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
            if ((st = plumb__audit_cv_scores(&c, tsplit, toof, NULL, err)) == PLUMB_OK)
                a->time_cv_power = plumb__audit_pooled_power(&c, toof);
            /* the last fold of the time split is the out-of-time test: trained on everything before it */
            int64_t ntr, nte, *te = malloc((size_t)(n + 1) * sizeof *te);
            if (te && st == PLUMB_OK) {
                plumb_split_rows(tsplit, plumb_split_n_folds(tsplit) - 1, rows, &ntr, te, &nte);
                a->oot_power = plumb__audit_power(a->binary, y, toof, te, nte);
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
        if ((st = plumb__audit_split_hygiene(&c, o->test, err)) != PLUMB_OK)
            goto done;
        const int64_t tt = plumb__find_role(o->test, PLUMB_ROLE_TARGET), nt = plumb_frame_n_rows(o->test);
        plumb_model_info mi;
        plumb_model_describe(o->model ? o->model : full, &mi);
        /* sized for every output of the model, whatever model_fits lets through */
        double *p = malloc((size_t)(nt * (mi.n_outputs > 0 ? mi.n_outputs : 1) + 1) * sizeof *p),
               *yt = malloc((size_t)(nt + 1) * sizeof *yt);
        bool bin;
        if (p && yt && tt >= 0 && plumb__audit_target(o->test, tt, c.positive, yt, &bin, NULL) == PLUMB_OK &&
            plumb_model_predict(o->model ? o->model : full, o->test, NULL, p, NULL) == PLUMB_OK)
            a->test_power = plumb__audit_power(a->binary, yt, p, NULL, nt);
        free(p);
        free(yt);
    }

    if ((st = plumb__audit_declared_availability(&c, err)) != PLUMB_OK)
        goto done;
    /* training far above out of fold is normal for boosting: it matters only when a regularised model does better
     * (for a binary target the label check has measured it already) */
    if (isnan(c.reg_power) && a->train_power - a->cv_power >= 0.10) {
        double *reg = malloc((size_t)(n + 1) * sizeof *reg);
        if (!reg)
            goto nomem;
        if ((st = regularised_scores(&c, split, reg, err)) == PLUMB_OK)
            c.reg_power = plumb__audit_pooled_power(&c, reg);
        free(reg);
        if (st != PLUMB_OK)
            goto done;
    }
    if (!plumb__audit_column_findings(&c) || !plumb__audit_metric_findings(&c) ||
        (a->binary && !plumb__audit_label_noise(&c, split, own_label_scores ? label_oof : oof)) ||
        !plumb__audit_label_maturity(&c))
        goto nomem;
    qsort(a->findings, (size_t)a->n_findings, sizeof *a->findings, plumb__audit_by_severity);
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
    free(label_oof);
    free(perm);
    free(order);
    free(labels);
    free(rows);
    free(c.days);
    free(c.recent);
    return st;
}

/* The C locale around it, whatever the host set: its numbers are read and written the same everywhere. */
plumb_status plumb_audit_run(const plumb_frame *f, const plumb_audit_options *o, plumb_audit **out, plumb_error *err) {
    const locale_t saved = plumb__c_locale_enter();
    plumb_status r = run_audit(f, o, out, err);
    plumb__c_locale_leave(saved);
    return r;
}
