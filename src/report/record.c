/* record.c -- the run record: parse it with jansson, check every key the report uses, unpack it into C structs.
 *
 * The checks are about types, not about values: a key of the wrong type is an error that names it by its path
 * ("evaluations[0].curves.roc.fpr[3]"), a number out of its usual range is drawn as it is (the charts clip), and
 * keys this renderer does not know are ignored, so writers may add optional keys. null counts as absent. Every
 * string in the unpacked record is borrowed from the parsed tree, which the record owns.
 */
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_ 256

typedef struct ctx {
    plumb_error *err;
    const char *name;
    plumb_status st;
} ctx;

static void bad(ctx *c, const char *fmt, ...) PLUMB__PRINTF(2, 3);
static void bad(ctx *c, const char *fmt, ...) {
    if (c->st != PLUMB_OK)
        return;
    char what[PLUMB_MESSAGE_MAX - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->st = plumb__error_at(c->err, PLUMB_EPARSE, c->name, 0, 0, "bad run record: %s", what);
}

static void nomem(ctx *c) {
    if (c->st == PLUMB_OK)
        c->st = plumb__fail(c->err, PLUMB_ENOMEM, "out of memory");
}

/* "where.key", or "key" at the top; cut at PATH_MAX_ bytes. out may be where. */
static void join(char *out, const char *where, const char *key) {
    char tmp[PATH_MAX_];
    size_t n = 0;
    for (const char *s = where; *s && n + 1 < sizeof tmp; s++)
        tmp[n++] = *s;
    if (where[0] && n + 1 < sizeof tmp)
        tmp[n++] = '.';
    for (const char *s = key; *s && n + 1 < sizeof tmp; s++)
        tmp[n++] = *s;
    tmp[n] = '\0';
    memcpy(out, tmp, n + 1);
}

static json_t *member(ctx *c, json_t *obj, const char *key, const char *where, json_type type, const char *what) {
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (json_typeof(v) != type) {
        char path[PATH_MAX_];
        join(path, where, key);
        bad(c, "'%s' is not %s", path, what);
        return NULL;
    }
    return v;
}

static json_t *object(ctx *c, json_t *obj, const char *key, const char *where) {
    return member(c, obj, key, where, JSON_OBJECT, "an object");
}

static json_t *array(ctx *c, json_t *obj, const char *key, const char *where) {
    return member(c, obj, key, where, JSON_ARRAY, "an array");
}

static const char *string(ctx *c, json_t *obj, const char *key, const char *where) {
    json_t *v = member(c, obj, key, where, JSON_STRING, "a string");
    return v ? json_string_value(v) : NULL;
}

static double number(ctx *c, json_t *obj, const char *key, const char *where) {
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v))
        return NAN;
    if (!json_is_number(v)) {
        char path[PATH_MAX_];
        join(path, where, key);
        bad(c, "'%s' is not a number", path);
        return NAN;
    }
    return json_number_value(v);
}

/* An array of numbers (null: NaN) into *out, owned by the record. */
static void vector(ctx *c, json_t *obj, const char *key, const char *where, plumb__vec *out) {
    char path[PATH_MAX_];
    json_t *a = array(c, obj, key, where);
    if (!a)
        return;
    join(path, where, key);
    const size_t n = json_array_size(a);
    if (n == 0)
        return;
    if (!(out->v = malloc(n * sizeof *out->v))) {
        nomem(c);
        return;
    }
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        if (json_is_null(x))
            out->v[i] = NAN;
        else if (json_is_number(x))
            out->v[i] = json_number_value(x);
        else {
            bad(c, "'%s[%zu]' is not a number", path, i);
            return;
        }
    }
}

/* Two arrays that pair up point by point must have the same length. */
static void pair(ctx *c, const char *where, const char *ka, const plumb__vec *a, const char *kb, const plumb__vec *b) {
    if (a->n != b->n)
        bad(c, "'%s': '%s' has %zu values, '%s' %zu", where, ka, a->n, kb, b->n);
}

/* An array of objects: *n entries of size bytes at *out (zeroed), each handed to fill. */
static json_t *objects(ctx *c, json_t *obj, const char *key, const char *where, void **out, size_t *n, size_t size) {
    json_t *a = array(c, obj, key, where);
    if (!a || json_array_size(a) == 0)
        return NULL;
    char path[PATH_MAX_];
    join(path, where, key);
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!json_is_object(json_array_get(a, i))) {
            bad(c, "'%s[%zu]' is not an object", path, i);
            return NULL;
        }
    if (!(*out = calloc(json_array_size(a), size))) {
        nomem(c);
        return NULL;
    }
    *n = json_array_size(a);
    return a;
}

/* The metrics whose position in the table is fixed; others follow in record order. */
static const char *const known_metrics[] = {"roc_auc",  "pr_auc",    "gini",   "ks", "log_loss", "brier",
                                            "accuracy", "precision", "recall", "f1", "f1_best",  "rmse",
                                            "mae",      "mape",      "wape",   "r2", "macro_f1", "micro_f1"};
#define N_KNOWN (sizeof known_metrics / sizeof *known_metrics)

static bool is_known(const char *name) {
    for (size_t i = 0; i < N_KNOWN; i++)
        if (strcmp(known_metrics[i], name) == 0)
            return true;
    return false;
}

/* evaluations[i].regression: {"points": {"predicted", "actual", "time"}, "time_name", "time_unit", "segments":
 * [{"by", "labels", "rows", "mae", "bias"}]} */
static void parse_regression(ctx *c, json_t *g, const char *where, plumb__eval *ev) {
    if (!g)
        return;
    char path[PATH_MAX_], p2[PATH_MAX_];
    join(path, where, "regression");
    json_t *pts = object(c, g, "points", path);
    if (pts) {
        join(p2, path, "points");
        vector(c, pts, "predicted", p2, &ev->reg_pred);
        vector(c, pts, "actual", p2, &ev->reg_actual);
        vector(c, pts, "time", p2, &ev->reg_time);
        pair(c, p2, "predicted", &ev->reg_pred, "actual", &ev->reg_actual);
        if (ev->reg_time.n)
            pair(c, p2, "predicted", &ev->reg_pred, "time", &ev->reg_time);
    }
    ev->time_name = string(c, g, "time_name", path);
    ev->time_unit = string(c, g, "time_unit", path);
    join(p2, path, "segments");
    json_t *ss = objects(c, g, "segments", path, (void **)&ev->segments, &ev->n_segments, sizeof *ev->segments);
    for (size_t i = 0; ss && i < ev->n_segments && c->st == PLUMB_OK; i++) {
        json_t *o = json_array_get(ss, i);
        plumb__segment *x = &ev->segments[i];
        char p3[PATH_MAX_ + 24];
        snprintf(p3, sizeof p3, "%s[%zu]", p2, i);
        x->by = string(c, o, "by", p3);
        vector(c, o, "rows", p3, &x->rows);
        vector(c, o, "mae", p3, &x->mae);
        vector(c, o, "bias", p3, &x->bias);
        pair(c, p3, "rows", &x->rows, "mae", &x->mae);
        pair(c, p3, "rows", &x->rows, "bias", &x->bias);
        json_t *l = array(c, o, "labels", p3);
        if (c->st != PLUMB_OK)
            return;
        if (json_array_size(l) != x->rows.n) {
            bad(c, "'%s': 'labels' has %zu values, 'rows' %zu", p3, json_array_size(l), x->rows.n);
            return;
        }
        if (x->rows.n && !(x->labels = calloc(x->rows.n, sizeof *x->labels))) {
            nomem(c);
            return;
        }
        for (size_t k = 0; k < x->rows.n; k++) {
            if (!json_is_string(json_array_get(l, k))) {
                bad(c, "'%s.labels[%zu]' is not a string", p3, k);
                return;
            }
            x->labels[k] = json_string_value(json_array_get(l, k));
        }
    }
}

static void parse_eval(ctx *c, json_t *e, const char *where, plumb__eval *ev) {
    char path[PATH_MAX_], p2[PATH_MAX_];
    ev->name = string(c, e, "name", where);
    ev->model = string(c, e, "model", where);
    ev->threshold = number(c, e, "threshold", where);
    json_t *m = object(c, e, "metrics", where), *ci = object(c, e, "ci", where);
    if (m && json_object_size(m) > 0) {
        if (!(ev->metrics = calloc(json_object_size(m), sizeof *ev->metrics))) {
            nomem(c);
            return;
        }
        join(path, where, "metrics");
        /* known ones first, in their order; then the rest as the record lists them */
        for (int pass = 0; pass < 2; pass++) {
            const size_t n_names = pass == 0 ? N_KNOWN : json_object_size(m);
            void *it = pass == 0 ? NULL : json_object_iter(m);
            for (size_t k = 0; k < n_names; k++) {
                const char *key = pass == 0 ? known_metrics[k] : json_object_iter_key(it);
                if (pass == 1)
                    it = json_object_iter_next(m, it);
                if (!json_object_get(m, key) || (pass == 1 && is_known(key)))
                    continue;
                plumb__metric *x = &ev->metrics[ev->n_metrics++];
                x->name = key;
                x->value = number(c, m, key, path);
                x->lo = x->hi = NAN;
                json_t *iv = ci ? json_object_get(ci, key) : NULL;
                if (iv && !json_is_null(iv)) {
                    join(p2, where, "ci");
                    join(p2, p2, key);
                    if (!json_is_array(iv) || json_array_size(iv) != 2 || !json_is_number(json_array_get(iv, 0)) ||
                        !json_is_number(json_array_get(iv, 1)))
                        bad(c, "'%s' is not a pair of numbers [low, high]", p2);
                    else {
                        x->lo = json_number_value(json_array_get(iv, 0));
                        x->hi = json_number_value(json_array_get(iv, 1));
                    }
                }
            }
        }
    }
    json_t *cm = object(c, e, "confusion", where);
    if (cm) {
        join(path, where, "confusion");
        static const char *const cells[] = {"tn", "fp", "fn", "tp"};
        double *dst[] = {&ev->tn, &ev->fp, &ev->fn, &ev->tp};
        for (int k = 0; k < 4; k++) {
            *dst[k] = number(c, cm, cells[k], path);
            if (c->st == PLUMB_OK && !(*dst[k] >= 0)) {
                join(p2, path, cells[k]);
                bad(c, "'%s' is not a count (a number >= 0)", p2);
            }
        }
        ev->has_confusion = c->st == PLUMB_OK;
    }
    parse_regression(c, object(c, e, "regression", where), where, ev);
    json_t *cu = object(c, e, "curves", where);
    if (!cu)
        return;
    join(path, where, "curves");
    json_t *o;
    if ((o = object(c, cu, "roc", path))) {
        join(p2, path, "roc");
        vector(c, o, "fpr", p2, &ev->roc_fpr);
        vector(c, o, "tpr", p2, &ev->roc_tpr);
        pair(c, p2, "fpr", &ev->roc_fpr, "tpr", &ev->roc_tpr);
    }
    if ((o = object(c, cu, "pr", path))) {
        join(p2, path, "pr");
        vector(c, o, "recall", p2, &ev->pr_recall);
        vector(c, o, "precision", p2, &ev->pr_precision);
        pair(c, p2, "recall", &ev->pr_recall, "precision", &ev->pr_precision);
    }
    if ((o = object(c, cu, "calibration", path))) {
        join(p2, path, "calibration");
        vector(c, o, "prob_pred", p2, &ev->cal_pred);
        vector(c, o, "prob_true", p2, &ev->cal_true);
        vector(c, o, "count", p2, &ev->cal_count);
        pair(c, p2, "prob_pred", &ev->cal_pred, "prob_true", &ev->cal_true);
        if (ev->cal_count.n)
            pair(c, p2, "prob_pred", &ev->cal_pred, "count", &ev->cal_count);
    }
    if ((o = object(c, cu, "gain", path))) {
        join(p2, path, "gain");
        vector(c, o, "population", p2, &ev->gain_pop);
        vector(c, o, "gain", p2, &ev->gain_gain);
        vector(c, o, "lift", p2, &ev->gain_lift);
        if (ev->gain_gain.n)
            pair(c, p2, "population", &ev->gain_pop, "gain", &ev->gain_gain);
        if (ev->gain_lift.n)
            pair(c, p2, "population", &ev->gain_pop, "lift", &ev->gain_lift);
    }
    if ((o = object(c, cu, "score_hist", path))) {
        join(p2, path, "score_hist");
        vector(c, o, "edges", p2, &ev->hist_edges);
        vector(c, o, "positive", p2, &ev->hist_pos);
        vector(c, o, "negative", p2, &ev->hist_neg);
        if (c->st == PLUMB_OK && ev->hist_edges.n > 0 &&
            (ev->hist_pos.n + 1 != ev->hist_edges.n || ev->hist_neg.n + 1 != ev->hist_edges.n))
            bad(c, "'%s': %zu edges need %zu 'positive' and 'negative' counts, not %zu and %zu", p2, ev->hist_edges.n,
                ev->hist_edges.n - 1, ev->hist_pos.n, ev->hist_neg.n);
    }
}

static void parse_audit(ctx *c, json_t *a, plumb__record *r) {
    r->has_audit = true;
    r->audit_target = string(c, a, "target", "audit");
    r->audit_metric = string(c, a, "metric", "audit");
    json_t *th = object(c, a, "thresholds", "audit");
    r->audit_power_warning = number(c, th, "single_power_warning", "audit.thresholds");
    r->audit_power_critical = number(c, th, "single_power_critical", "audit.thresholds");
    r->audit_rows = number(c, a, "rows", "audit");
    r->audit_positive_rate = number(c, a, "positive_rate", "audit");
    json_t *s = object(c, a, "scores", "audit");
    r->score_train = number(c, s, "train", "audit.scores");
    r->score_cv_random = number(c, s, "cv_random", "audit.scores");
    r->score_cv_time = number(c, s, "cv_time", "audit.scores");
    r->score_out_of_time = number(c, s, "out_of_time", "audit.scores");
    r->score_test = number(c, s, "test", "audit.scores");
    r->score_row_order = number(c, s, "row_order", "audit.scores");
    json_t *l = object(c, a, "labels", "audit");
    r->audit_noise_rate = number(c, l, "noise_rate", "audit.labels");
    r->audit_immature = number(c, l, "immature_rows", "audit.labels");
    json_t *sus = array(c, l, "suspect_rows", "audit.labels");
    r->audit_suspects = sus ? (double)json_array_size(sus) : NAN;
    char where[PATH_MAX_];
    json_t *fs = objects(c, a, "findings", "audit", (void **)&r->findings, &r->n_findings, sizeof *r->findings);
    for (size_t i = 0; fs && i < r->n_findings && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(fs, i);
        plumb__finding *x = &r->findings[i];
        snprintf(where, sizeof where, "audit.findings[%zu]", i);
        x->severity = string(c, f, "severity", where);
        if (c->st == PLUMB_OK &&
            (!x->severity || (strcmp(x->severity, "critical") != 0 && strcmp(x->severity, "warning") != 0 &&
                              strcmp(x->severity, "info") != 0))) {
            char q[64];
            plumb__quote(q, sizeof q, x->severity ? x->severity : "", x->severity ? strlen(x->severity) : 0);
            bad(c, "'%s.severity' is '%s', not critical, warning or info", where, q);
        }
        x->check = string(c, f, "check", where);
        x->column = string(c, f, "column", where);
        x->title = string(c, f, "title", where);
        x->evidence = string(c, f, "evidence", where);
        x->action = string(c, f, "action", where);
        x->value = number(c, f, "value", where);
        x->threshold = number(c, f, "threshold", where);
    }
    json_t *ft = objects(c, a, "features", "audit", (void **)&r->audit_features, &r->n_audit_features,
                         sizeof *r->audit_features);
    for (size_t i = 0; ft && i < r->n_audit_features && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(ft, i);
        plumb__audit_feature *x = &r->audit_features[i];
        snprintf(where, sizeof where, "audit.features[%zu]", i);
        x->column = string(c, f, "column", where);
        x->power = number(c, f, "power", where);
        x->missing_rate = number(c, f, "missing_rate", where);
        x->missing_power = number(c, f, "missing_power", where);
        x->power_old = number(c, f, "power_old", where);
        x->power_recent = number(c, f, "power_recent", where);
        x->gain_share = number(c, f, "gain_share", where);
        x->permutation_drop = number(c, f, "permutation_drop", where);
        x->id_power = number(c, f, "id_power", where);
    }
}

/* A boolean member (absent: false). */
static bool boolean(ctx *c, json_t *obj, const char *key, const char *where) {
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v && !json_is_boolean(v)) {
        char path[PATH_MAX_];
        join(path, where, key);
        bad(c, "'%s' is not true or false", path);
        return false;
    }
    return v && json_is_true(v);
}

/* The "distill" object: the teacher and every model measured (cmd_distill.c writes it). */
static void parse_distill(ctx *c, json_t *d, plumb__record *r) {
    char where[PATH_MAX_];
    r->distill_teacher = string(c, d, "teacher", "distill");
    r->distill_task = string(c, d, "task", "distill");
    r->distill_metric = string(c, d, "metric", "distill");
    r->distill_labels_weight = number(c, d, "labels_weight", "distill");
    json_t *a = objects(c, d, "students", "distill", (void **)&r->students, &r->n_students, sizeof *r->students);
    for (size_t i = 0; a && i < r->n_students && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(a, i);
        plumb__student *x = &r->students[i];
        snprintf(where, sizeof where, "distill.students[%zu]", i);
        x->name = string(c, f, "name", where);
        x->kind = string(c, f, "kind", where);
        x->teacher = boolean(c, f, "teacher", where);
        x->chosen = boolean(c, f, "chosen", where);
        x->leaves = number(c, f, "leaves", where);
        x->iterations = number(c, f, "iterations", where);
        x->bytes = number(c, f, "bytes", where);
        x->metric = number(c, f, "metric", where);
        x->agreement = number(c, f, "agreement", where);
        x->raw_rmse = number(c, f, "raw_rmse", where);
        x->us_row = number(c, f, "us_row", where);
        x->us_row_batch = number(c, f, "us_row_batch", where);
        x->train_seconds = number(c, f, "train_seconds", where);
    }
}

/* "tune": {"sampler", "metric", "higher_is_better", "folds", "trials", "pruned", "failed", "seconds", "best_trial",
 * "best_cv", "best_params", "test_score", "test_data", "history": {"score", "state"}, "importance": [{"param",
 * "share"}]} */
static void parse_tune(ctx *c, json_t *t, plumb__record *r) {
    r->has_tune = true;
    r->tune_sampler = string(c, t, "sampler", "tune");
    r->tune_metric = string(c, t, "metric", "tune");
    json_t *h = json_object_get(t, "higher_is_better");
    if (h && !json_is_null(h) && !json_is_boolean(h))
        bad(c, "'tune.higher_is_better' is not true or false");
    r->tune_higher = !h || !json_is_false(h);
    r->tune_folds = number(c, t, "folds", "tune");
    r->tune_trials = number(c, t, "trials", "tune");
    r->tune_pruned = number(c, t, "pruned", "tune");
    r->tune_failed = number(c, t, "failed", "tune");
    r->tune_seconds = number(c, t, "seconds", "tune");
    r->tune_best_trial = number(c, t, "best_trial", "tune");
    r->tune_best_cv = number(c, t, "best_cv", "tune");
    r->tune_test_score = number(c, t, "test_score", "tune");
    r->tune_test_data = string(c, t, "test_data", "tune");
    r->tune_best_params = object(c, t, "best_params", "tune");
    json_t *hist = object(c, t, "history", "tune");
    vector(c, hist, "score", "tune.history", &r->tune_scores);
    json_t *st = array(c, hist, "state", "tune.history");
    if (c->st != PLUMB_OK)
        return;
    if (st && json_array_size(st) != r->tune_scores.n) {
        bad(c, "'tune.history': 'state' has %zu values, 'score' %zu", json_array_size(st), r->tune_scores.n);
        return;
    }
    if (st && r->tune_scores.n) {
        if (!(r->tune_states = calloc(r->tune_scores.n, sizeof *r->tune_states))) {
            nomem(c);
            return;
        }
        for (size_t i = 0; i < r->tune_scores.n; i++) {
            const json_t *e = json_array_get(st, i);
            if (!json_is_string(e)) {
                bad(c, "'tune.history.state[%zu]' is not a string", i);
                return;
            }
            r->tune_states[i] = json_string_value(e);
        }
    }
    json_t *im = array(c, t, "importance", "tune");
    const size_t ni = im ? json_array_size(im) : 0;
    if (ni && c->st == PLUMB_OK) {
        if (!(r->tune_imp_names = calloc(ni, sizeof *r->tune_imp_names)) ||
            !(r->tune_imp.v = calloc(ni, sizeof *r->tune_imp.v))) {
            nomem(c);
            return;
        }
        r->tune_imp.n = ni;
        for (size_t i = 0; i < ni && c->st == PLUMB_OK; i++) {
            char where[PATH_MAX_];
            snprintf(where, sizeof where, "tune.importance[%zu]", i);
            json_t *e = json_array_get(im, i);
            if (!json_is_object(e)) {
                bad(c, "'%s' is not an object", where);
                return;
            }
            r->tune_imp_names[i] = string(c, e, "param", where);
            r->tune_imp.v[i] = number(c, e, "share", where);
        }
    }
}

static const char *const kinds[] = {"train", "cv", "eval", "audit", "case_study", "distill", "tune"};

static void parse(ctx *c, json_t *root, plumb__record *r) {
    if (!json_is_object(root)) {
        bad(c, "not a JSON object");
        return;
    }
    json_t *v = json_object_get(root, "plumb_run");
    if (!v) {
        bad(c, "no 'plumb_run' key (is this a run record?)");
        return;
    }
    if (!json_is_integer(v)) {
        bad(c, "'plumb_run' is not an integer");
        return;
    }
    if (json_integer_value(v) != 1) {
        bad(c, "'plumb_run' is %lld: this plumb reads version 1", (long long)json_integer_value(v));
        return;
    }
    r->kind = string(c, root, "kind", "");
    if (c->st != PLUMB_OK)
        return;
    if (!r->kind) {
        bad(c, "no 'kind' key");
        return;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        known |= strcmp(kinds[i], r->kind) == 0;
    if (!known) {
        char q[64];
        plumb__quote(q, sizeof q, r->kind, strlen(r->kind));
        bad(c, "unknown kind '%s' (train, cv, eval, audit, case_study, distill or tune)", q);
        return;
    }
    r->title = string(c, root, "title", "");
    r->created = string(c, root, "created", "");
    r->plumb_version = string(c, root, "plumb_version", "");

    json_t *d = object(c, root, "data", "");
    r->data_path = string(c, d, "path", "data");
    r->target = string(c, d, "target", "data");
    r->positive_class = string(c, d, "positive_class", "data");
    r->negative_class = string(c, d, "negative_class", "data");
    r->task = string(c, d, "task", "data");
    r->rows = number(c, d, "rows", "data");
    r->positive_rate = number(c, d, "positive_rate", "data");

    json_t *m = object(c, root, "model", "");
    r->has_model = m != NULL;
    r->model_kind = string(c, m, "kind", "model");
    r->objective = string(c, m, "objective", "model");
    r->n_features = number(c, m, "n_features", "model");
    r->n_trees = number(c, m, "n_trees", "model");
    r->params = object(c, m, "params", "model");
    r->settings = object(c, m, "settings", "model");
    /* without data.negative_class, the model's settings name the classes (record_fields.c writes them there) */
    if (!r->negative_class && r->positive_class && r->settings) {
        const char *pos = string(c, r->settings, "positive_class", "model.settings");
        if (pos && strcmp(pos, r->positive_class) == 0)
            r->negative_class = string(c, r->settings, "negative_class", "model.settings");
    }

    json_t *n = object(c, root, "narrative", "");
    r->problem = string(c, n, "problem", "narrative");
    r->approach = string(c, n, "approach", "narrative");
    r->validation = string(c, n, "validation", "narrative");
    r->risks = string(c, n, "risks", "narrative");
    r->results = string(c, n, "results", "narrative");
    r->decision = string(c, n, "decision", "narrative");
    r->rationale = string(c, n, "rationale", "narrative");

    char where[PATH_MAX_];
    json_t *es = objects(c, root, "evaluations", "", (void **)&r->evals, &r->n_evals, sizeof *r->evals);
    for (size_t i = 0; es && i < r->n_evals && c->st == PLUMB_OK; i++) {
        snprintf(where, sizeof where, "evaluations[%zu]", i);
        parse_eval(c, json_array_get(es, i), where, &r->evals[i]);
    }

    json_t *im = objects(c, root, "importance", "", (void **)&r->importance, &r->n_importance, sizeof *r->importance);
    for (size_t i = 0; im && i < r->n_importance && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(im, i);
        snprintf(where, sizeof where, "importance[%zu]", i);
        r->importance[i].feature = string(c, f, "feature", where);
        r->importance[i].gain_share = number(c, f, "gain_share", where);
        r->importance[i].splits = number(c, f, "splits", where);
        r->importance[i].shap_mean_abs = number(c, f, "shap_mean_abs", where);
    }

    json_t *ex = object(c, root, "explanation", "");
    r->explain_row = string(c, ex, "row", "explanation");
    r->explain_base = number(c, ex, "base", "explanation");
    r->explain_prediction = number(c, ex, "prediction", "explanation");
    json_t *co = objects(c, ex, "contributions", "explanation", (void **)&r->contributions, &r->n_contributions,
                         sizeof *r->contributions);
    for (size_t i = 0; co && i < r->n_contributions && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(co, i);
        snprintf(where, sizeof where, "explanation.contributions[%zu]", i);
        r->contributions[i].feature = string(c, f, "feature", where);
        r->contributions[i].value = string(c, f, "value", where);
        r->contributions[i].contribution = number(c, f, "contribution", where);
    }

    json_t *lc = object(c, root, "learning_curve", "");
    r->lc_metric = string(c, lc, "metric", "learning_curve");
    vector(c, lc, "train", "learning_curve", &r->lc_train);
    vector(c, lc, "valid", "learning_curve", &r->lc_valid);

    json_t *fo = object(c, root, "folds", "");
    r->fold_strategy = string(c, fo, "strategy", "folds");
    json_t *fm = object(c, fo, "metrics", "folds");
    if (fm && json_object_size(fm) > 0 && c->st == PLUMB_OK) {
        if (!(r->fold_metrics = calloc(json_object_size(fm), sizeof *r->fold_metrics))) {
            nomem(c);
            return;
        }
        const char *key;
        json_t *val;
        json_object_foreach(fm, key, val) {
            (void)val;
            plumb__fold_metric *x = &r->fold_metrics[r->n_fold_metrics++];
            x->name = key;
            vector(c, fm, key, "folds.metrics", &x->v);
        }
    }

    json_t *a = object(c, root, "audit", "");
    if (a)
        parse_audit(c, a, r);

    json_t *ds = object(c, root, "distill", "");
    if (ds)
        parse_distill(c, ds, r);
    r->valid_desc = string(c, d, "valid", "data");
    r->valid_rows = number(c, d, "valid_rows", "data");

    json_t *tu = object(c, root, "tune", "");
    if (tu)
        parse_tune(c, tu, r);

    json_t *cmp = objects(c, root, "comparison", "", (void **)&r->comparison, &r->n_comparison, sizeof *r->comparison);
    for (size_t i = 0; cmp && i < r->n_comparison && c->st == PLUMB_OK; i++) {
        json_t *f = json_array_get(cmp, i);
        snprintf(where, sizeof where, "comparison[%zu]", i);
        r->comparison[i].name = string(c, f, "name", where);
        r->comparison[i].metric = string(c, f, "metric", where);
        r->comparison[i].offline = number(c, f, "offline", where);
        r->comparison[i].out_of_time = number(c, f, "out_of_time", where);
    }
}

plumb_status plumb__record_parse(const char *json, size_t len, const char *name, plumb__record *r, plumb_error *err) {
    memset(r, 0, sizeof *r);
    r->rows = r->positive_rate = r->n_features = r->n_trees = NAN;
    r->distill_labels_weight = r->valid_rows = NAN;
    r->tune_trials = r->tune_pruned = r->tune_failed = r->tune_folds = r->tune_seconds = r->tune_best_trial =
        r->tune_best_cv = r->tune_test_score = NAN;
    ctx c = {err, name ? name : "run record", PLUMB_OK};
    json_error_t jerr;
    json_t *root = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return plumb__error_at(err, PLUMB_EPARSE, c.name, jerr.line > 0 ? jerr.line : 0,
                               jerr.line > 0 && jerr.column > 0 ? jerr.column : 0, "bad run record: %s", jerr.text);
    r->root = root;
    parse(&c, root, r);
    return c.st;
}

static void free_vec(plumb__vec *v) {
    free(v->v);
}

void plumb__record_free(plumb__record *r) {
    for (size_t i = 0; i < r->n_evals; i++) {
        plumb__eval *e = &r->evals[i];
        free(e->metrics);
        plumb__vec *vs[] = {&e->roc_fpr,    &e->roc_tpr,   &e->pr_recall, &e->pr_precision, &e->cal_pred,
                            &e->cal_true,   &e->cal_count, &e->gain_pop,  &e->gain_gain,    &e->gain_lift,
                            &e->hist_edges, &e->hist_pos,  &e->hist_neg};
        for (size_t k = 0; k < sizeof vs / sizeof *vs; k++)
            free_vec(vs[k]);
        free_vec(&e->reg_pred);
        free_vec(&e->reg_actual);
        free_vec(&e->reg_time);
        for (size_t k = 0; k < e->n_segments; k++) {
            free(e->segments[k].labels);
            free_vec(&e->segments[k].rows);
            free_vec(&e->segments[k].mae);
            free_vec(&e->segments[k].bias);
        }
        free(e->segments);
    }
    free(r->evals);
    free(r->importance);
    free(r->contributions);
    free_vec(&r->lc_train);
    free_vec(&r->lc_valid);
    for (size_t i = 0; i < r->n_fold_metrics; i++)
        free_vec(&r->fold_metrics[i].v);
    free(r->fold_metrics);
    free(r->findings);
    free(r->audit_features);
    free(r->comparison);
    free(r->students);
    free_vec(&r->tune_scores);
    free(r->tune_states);
    free(r->tune_imp_names);
    free_vec(&r->tune_imp);
    json_decref((json_t *)r->root);
    memset(r, 0, sizeof *r);
}
