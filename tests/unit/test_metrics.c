/* test_metrics.c -- metrics, curves, bootstrap intervals and calibrators: parity with scikit-learn's golden values
 * (tests/parity/golden_metrics.json, or the file named by $PLUMB_GOLDEN_METRICS), brute-force references,
 * invariants and error messages. */
#include "test.h"

#include "eval/eval.h"

#include <float.h>
#include <jansson.h>
#include <math.h>

#define TOL 1e-9

/* ---- helpers ---------------------------------------------------------------------------------------------- */

static bool close_to(double a, double b) {
    return fabs(a - b) <= TOL * fmax(1.0, fabs(b)) || (isnan(a) && isnan(b));
}

static void expect_close(double got, double want, const char *what, const char *name) {
    if (!close_to(got, want))
        fail_msg("%s %s: plumb %.17g, expected %.17g (diff %.3g)", name, what, got, want, got - want);
}

static double *doubles_of(const json_t *a, size_t *n) {
    *n = json_array_size(a);
    double *v = malloc((*n + 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < *n; i++)
        v[i] = json_number_value(json_array_get(a, i));
    return v;
}

static void expect_array(const double *got, int64_t n, const json_t *want, const char *what, const char *name) {
    if ((size_t)n != json_array_size(want))
        fail_msg("%s %s: plumb has %lld points, expected %zu", name, what, (long long)n, json_array_size(want));
    for (int64_t i = 0; i < n; i++) {
        char label[96];
        snprintf(label, sizeof label, "%s[%lld]", what, (long long)i);
        expect_close(got[i], json_number_value(json_array_get(want, (size_t)i)), label, name);
    }
}

static json_t *load_golden(void) {
    const char *env = getenv("PLUMB_GOLDEN_METRICS");
    const char *path = env && env[0] ? env : PLUMB_TEST_DATA "/../parity/golden_metrics.json";
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        fail_msg("cannot read golden file %s: %s", path, je.text);
    return root;
}

static plumb_metric metric_named(const char *name, const char *task) {
    for (int m = 0; m < PLUMB_METRIC_COUNT; m++)
        if (strcmp(plumb_metric_name((plumb_metric)m), name) == 0 &&
            strcmp(plumb_metric_task((plumb_metric)m), task) == 0)
            return (plumb_metric)m;
    fail_msg("no metric %s for %s", name, task);
    return PLUMB_METRIC_COUNT;
}

/* ---- parity with scikit-learn ----------------------------------------------------------------------------- */

static void check_case(const json_t *c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *task = json_string_value(json_object_get(c, "task"));
    size_t n, nl, nw = 0;
    double *y = doubles_of(json_object_get(c, "label"), &nl);
    double *s = doubles_of(json_object_get(c, "score"), &n);
    const json_t *jw = json_object_get(c, "weight");
    double *w = json_is_array(jw) ? doubles_of(jw, &nw) : NULL;
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = (int64_t)nl;
    d.label = y;
    d.score = s;
    d.weight = w;
    if (json_is_number(json_object_get(c, "threshold")))
        d.threshold = json_number_value(json_object_get(c, "threshold"));
    if (json_is_number(json_object_get(c, "alpha")))
        d.alpha = json_number_value(json_object_get(c, "alpha"));
    if (strcmp(task, "multiclass") == 0)
        d.n_classes = json_integer_value(json_object_get(c, "n_classes"));

    /* every metric alone, so an expected error does not hide the others */
    const char *key;
    const json_t *want;
    json_object_foreach(json_object_get(c, "metrics"), key, want) {
        const plumb_metric m = metric_named(key, task);
        double v = NAN;
        plumb_error err;
        plumb_status st = plumb_metrics_compute(&d, &m, 1, &v, &err);
        if (json_is_object(want)) {
            if (st != PLUMB_EINVAL)
                fail_msg("%s %s: sklearn fails (%s), plumb gives %.17g", name, key,
                         json_string_value(json_object_get(want, "error")), v);
        } else {
            if (st != PLUMB_OK)
                fail_msg("%s %s: plumb fails: %s", name, key, err.message);
            expect_close(v, json_number_value(want), key, name);
        }
    }
    const json_t *conf = json_object_get(c, "confusion");
    if (conf) {
        const bool multi = strcmp(task, "multiclass") == 0;
        double cm[64];
        assert_int_equal(plumb_metrics_confusion(&d, multi, cm, NULL), PLUMB_OK);
        expect_array(cm, multi ? d.n_classes * d.n_classes : 4, conf, "confusion", name);
    }
    double *a = malloc((n + 2) * sizeof *a), *b = malloc((n + 2) * sizeof *b), *t = malloc((n + 2) * sizeof *t);
    double *l = malloc((n + 2) * sizeof *l);
    int64_t np;
    const json_t *roc = json_object_get(c, "roc"), *pr = json_object_get(c, "pr"), *gain = json_object_get(c, "gain");
    if (roc) {
        assert_int_equal(plumb_curve_roc(&d, a, b, t, &np, NULL), PLUMB_OK);
        expect_array(a, np, json_object_get(roc, "fpr"), "roc fpr", name);
        expect_array(b, np, json_object_get(roc, "tpr"), "roc tpr", name);
        expect_array(t, np, json_object_get(roc, "thresholds"), "roc thresholds", name);
    }
    if (pr) {
        assert_int_equal(plumb_curve_pr(&d, a, b, t, &np, NULL), PLUMB_OK);
        expect_array(a, np, json_object_get(pr, "precision"), "precision", name);
        expect_array(b, np, json_object_get(pr, "recall"), "recall", name);
        expect_array(t, np - 1, json_object_get(pr, "thresholds"), "pr thresholds", name);
    }
    if (gain) {
        assert_int_equal(plumb_curve_gain(&d, a, b, l, t, &np, NULL), PLUMB_OK);
        expect_array(a, np, json_object_get(gain, "population"), "population", name);
        expect_array(b, np, json_object_get(gain, "gain"), "gain", name);
        expect_array(l, np, json_object_get(gain, "lift"), "lift", name);
        expect_array(t, np, json_object_get(gain, "thresholds"), "gain thresholds", name);
    }
    size_t i;
    const json_t *cal;
    json_array_foreach(json_object_get(c, "calibration"), i, cal) {
        const int64_t bins = json_integer_value(json_object_get(cal, "n_bins"));
        const bool quantile = strcmp(json_string_value(json_object_get(cal, "strategy")), "quantile") == 0;
        double pt[64], pp[64], cnt[64];
        char what[64];
        assert_int_equal(plumb_curve_calibration(&d, bins, quantile ? PLUMB_BINS_QUANTILE : PLUMB_BINS_UNIFORM, pt, pp,
                                                 cnt, &np, NULL),
                         PLUMB_OK);
        snprintf(what, sizeof what, "calibration %s %lld prob_true", quantile ? "quantile" : "uniform",
                 (long long)bins);
        expect_array(pt, np, json_object_get(cal, "prob_true"), what, name);
        snprintf(what, sizeof what, "calibration %s %lld prob_pred", quantile ? "quantile" : "uniform",
                 (long long)bins);
        expect_array(pp, np, json_object_get(cal, "prob_pred"), what, name);
    }
    free(a);
    free(b);
    free(t);
    free(l);
    free(y);
    free(s);
    free(w);
}

static void check_calibrator(const json_t *c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    const bool platt = strcmp(json_string_value(json_object_get(c, "method")), "platt") == 0;
    size_t n, nq, nw;
    double *s = doubles_of(json_object_get(c, "score"), &n), *y = doubles_of(json_object_get(c, "label"), &n);
    const json_t *jw = json_object_get(c, "weight");
    double *w = json_is_array(jw) ? doubles_of(jw, &nw) : NULL;
    double *q = doubles_of(json_object_get(c, "queries"), &nq), *out = malloc((nq + 1) * sizeof *out);
    plumb__calibrator *cal = NULL;
    plumb_error err;
    if (plumb__calibrate_fit(platt ? PLUMB__CALIBRATE_PLATT : PLUMB__CALIBRATE_ISOTONIC, s, y, w, (int64_t)n, &cal,
                             &err) != PLUMB_OK)
        fail_msg("%s: %s", name, err.message);
    if (platt) {
        /* the exact optimum of sklearn's objective; sklearn's own BFGS stops within its gradient tolerance */
        if (fabs(cal->a - json_number_value(json_object_get(c, "a"))) > 1e-7 * fmax(1, fabs(cal->a)) ||
            fabs(cal->b - json_number_value(json_object_get(c, "b"))) > 1e-7 * fmax(1, fabs(cal->b)))
            fail_msg("%s: plumb a=%.17g b=%.17g, optimum a=%.17g b=%.17g", name, cal->a, cal->b,
                     json_number_value(json_object_get(c, "a")), json_number_value(json_object_get(c, "b")));
        if (fabs(cal->a - json_number_value(json_object_get(c, "sklearn_a"))) > 1e-4 * fmax(1, fabs(cal->a)))
            fail_msg("%s: plumb a=%.17g, sklearn a=%.17g", name, cal->a,
                     json_number_value(json_object_get(c, "sklearn_a")));
    } else {
        /* the same function: at sklearn's breakpoints plumb gives sklearn's values. The breakpoints themselves may
         * differ where two pooled blocks have the same mean up to rounding (sklearn keeps 0.5 and 0.5 + 1 ulp apart) */
        size_t nx;
        double *x = doubles_of(json_object_get(c, "x"), &nx), *fx = malloc((nx + 1) * sizeof *fx);
        plumb__calibrate_apply(cal, x, (int64_t)nx, fx);
        expect_array(fx, (int64_t)nx, json_object_get(c, "y"), "isotonic at sklearn's points", name);
        assert_true(cal->x[0] == x[0] && cal->x[cal->n - 1] == x[nx - 1]);
        free(x);
        free(fx);
    }
    plumb__calibrate_apply(cal, q, (int64_t)nq, out);
    expect_array(out, (int64_t)nq, json_object_get(c, "expected"), "calibrated", name);
    plumb__calibrate_free(cal);
    free(s);
    free(y);
    free(w);
    free(q);
    free(out);
}

static void check_split(const json_t *c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *strategy = json_string_value(json_object_get(c, "strategy"));
    const int64_t n = json_integer_value(json_object_get(c, "n"));
    plumb_split_options o;
    plumb_split_options_init(&o);
    o.n_folds = (int32_t)json_integer_value(json_object_get(c, "folds"));
    o.shuffle = 0;
    int64_t *ints = malloc((size_t)n * sizeof *ints);
    double *times = malloc((size_t)n * sizeof *times);
    const json_t *lab = json_object_get(c, "labels"), *grp = json_object_get(c, "groups");
    const json_t *tim = json_object_get(c, "times");
    for (int64_t i = 0; i < n; i++) {
        ints[i] = json_integer_value(json_array_get(lab ? lab : grp, (size_t)i));
        times[i] = json_number_value(json_array_get(tim, (size_t)i));
    }
    o.strategy = strcmp(strategy, "kfold") == 0        ? PLUMB_SPLIT_KFOLD
                 : strcmp(strategy, "stratified") == 0 ? PLUMB_SPLIT_STRATIFIED
                 : strcmp(strategy, "group") == 0      ? PLUMB_SPLIT_GROUP
                                                       : PLUMB_SPLIT_TIME;
    o.labels = ints;
    o.groups = ints;
    o.times = times;
    o.gap = json_integer_value(json_object_get(c, "gap"));
    plumb_split *sp = NULL;
    plumb_error err;
    if (plumb_split_create(n, &o, &sp, &err) != PLUMB_OK)
        fail_msg("%s: %s", name, err.message);
    uint8_t *role = malloc((size_t)n);
    const json_t *roles = json_object_get(c, "roles");
    assert_int_equal(json_array_size(roles), plumb_split_n_folds(sp));
    for (int32_t k = 0; k < plumb_split_n_folds(sp); k++) {
        plumb_split_roles(sp, k, role);
        for (int64_t i = 0; i < n; i++)
            if (role[i] != json_integer_value(json_array_get(json_array_get(roles, (size_t)k), (size_t)i)))
                fail_msg("%s fold %d row %lld: plumb role %d, sklearn %lld", name, k, (long long)i, role[i],
                         (long long)json_integer_value(json_array_get(json_array_get(roles, (size_t)k), (size_t)i)));
    }
    plumb_split_free(sp);
    free(role);
    free(ints);
    free(times);
}

static void parity_golden(void **state) {
    (void)state;
    json_t *root = load_golden();
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c) check_case(c);
    json_array_foreach(json_object_get(root, "calibration"), i, c) check_calibrator(c);
    json_array_foreach(json_object_get(root, "splits"), i, c) check_split(c);
    assert_true(json_array_size(json_object_get(root, "cases")) >= 30);
    json_decref(root);
}

/* ---- references and invariants ---------------------------------------------------------------------------- */

/* ROC-AUC as the weighted Mann-Whitney statistic: over all (positive, negative) pairs, 1 when the positive
 * scores higher, 1/2 on a tie. */
static double auc_pairs(const double *y, const double *s, const double *w, int64_t n) {
    double num = 0, P = 0, N = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] == 1)
            P += w[i];
        else
            N += w[i];
        for (int64_t j = 0; y[i] == 1 && j < n; j++)
            if (y[j] == 0)
                num += w[i] * w[j] * (s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0);
    }
    return num / (P * N);
}

static void auc_matches_pair_count(void **state) {
    (void)state;
    enum { N = 700 };
    double y[N], s[N], w[N];
    rng_state = 11;
    for (int i = 0; i < N; i++) {
        y[i] = rnd() < 0.35;
        s[i] = floor((rnd() + 0.3 * y[i]) * 20) / 20; /* many ties */
        w[i] = i % 9 == 0 ? 0 : rnd() * 3;
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = N;
    d.label = y;
    d.score = s;
    d.weight = w;
    plumb_metric m[3] = {PLUMB_METRIC_ROC_AUC, PLUMB_METRIC_GINI, PLUMB_METRIC_KS};
    double v[3];
    assert_int_equal(plumb_metrics_compute(&d, m, 3, v, NULL), PLUMB_OK);
    const double ref = auc_pairs(y, s, w, N);
    assert_true(fabs(v[0] - ref) < 1e-12);
    assert_true(fabs(v[1] - (2 * ref - 1)) < 1e-12);
    assert_true(v[2] > 0 && v[2] <= 1);
}

/* Integer weights must give what repeating the rows gives, for every metric of every task. */
static void integer_weights_equal_repeated_rows(void **state) {
    (void)state;
    enum { N = 120, K = 3 };
    double y[N], s[N * K], w[N], yr[N * 4], sr[N * 4 * K], pr[N * 4], y1[N], yr1[N * 4];
    rng_state = 5;
    int64_t m = 0;
    for (int i = 0; i < N; i++) {
        y[i] = rnd() < 0.4;
        y1[i] = y[i] + 0.5;                      /* regression labels > 0: the Gamma deviance's domain */
        s[i] = (floor(rnd() * 10) + 0.5) / 10.5; /* scores > 0: the deviances' domain */
        w[i] = (double)(i % 4);
        for (int r = 0; r < (int)w[i]; r++, m++) {
            yr[m] = y[i];
            yr1[m] = y1[i];
            pr[m] = s[i];
        }
    }
    plumb_metric_data a, b;
    plumb_metric_data_init(&a);
    plumb_metric_data_init(&b);
    a.n_rows = N, a.label = y, a.score = s, a.weight = w;
    b.n_rows = m, b.label = yr, b.score = pr;
    for (int f = 0; f < PLUMB_METRIC_COUNT; f++) {
        const plumb_metric met = (plumb_metric)f;
        const char *task = plumb_metric_task(met);
        if (strcmp(task, "multiclass") == 0)
            continue;
        const bool reg = strcmp(task, "regression") == 0;
        a.label = reg ? y1 : y;
        b.label = reg ? yr1 : yr;
        a.alpha = b.alpha = 0.8;
        double va, vb;
        assert_int_equal(plumb_metrics_compute(&a, &met, 1, &va, NULL), PLUMB_OK);
        assert_int_equal(plumb_metrics_compute(&b, &met, 1, &vb, NULL), PLUMB_OK);
        if (fabs(va - vb) > 1e-12)
            fail_msg("%s: weighted %.17g, repeated %.17g", plumb_metric_name(met), va, vb);
    }
    /* multiclass */
    a.label = y;
    b.label = yr;
    m = 0;
    for (int i = 0; i < N; i++) {
        y[i] = (double)(i % K);
        double sum = 0;
        for (int c = 0; c < K; c++)
            sum += s[i * K + c] = rnd() + (c == (int)y[i]) * 0.2;
        for (int c = 0; c < K; c++)
            s[i * K + c] /= sum;
        for (int r = 0; r < (int)w[i]; r++, m++) {
            yr[m] = y[i];
            memcpy(sr + m * K, s + i * K, K * sizeof *s);
        }
    }
    a.n_classes = b.n_classes = K;
    b.n_rows = m;
    b.score = sr;
    const plumb_metric mc[4] = {PLUMB_METRIC_MULTI_ACCURACY, PLUMB_METRIC_MACRO_F1, PLUMB_METRIC_MICRO_F1,
                                PLUMB_METRIC_MULTI_LOG_LOSS};
    double va[4], vb[4];
    assert_int_equal(plumb_metrics_compute(&a, mc, 4, va, NULL), PLUMB_OK);
    assert_int_equal(plumb_metrics_compute(&b, mc, 4, vb, NULL), PLUMB_OK);
    for (int j = 0; j < 4; j++)
        assert_true(fabs(va[j] - vb[j]) < 1e-12);
}

static void expect_error(const plumb_metric_data *d, plumb_metric m, const char *message) {
    double v;
    plumb_error err;
    assert_int_equal(plumb_metrics_compute(d, &m, 1, &v, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, message);
}

static void errors_say_what_is_wrong(void **state) {
    (void)state;
    double y[4] = {0, 0, 0, 0}, s[4] = {0.1, 0.2, 0.3, 0.4}, w[4] = {1, 1, 1, 1};
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 4;
    d.label = y;
    d.score = s;
    expect_error(&d, PLUMB_METRIC_ROC_AUC, "only one class present in the labels: ROC-AUC is undefined");
    expect_error(&d, PLUMB_METRIC_GINI, "only one class present in the labels: Gini is undefined");
    expect_error(&d, PLUMB_METRIC_KS, "only one class present in the labels: the KS statistic is undefined");
    expect_error(&d, PLUMB_METRIC_PR_AUC, "no positive labels: PR-AUC is undefined");
    double v;
    const plumb_metric ll = PLUMB_METRIC_LOG_LOSS;
    assert_int_equal(plumb_metrics_compute(&d, &ll, 1, &v, NULL), PLUMB_OK); /* defined with one class */
    y[2] = 2;
    expect_error(&d, PLUMB_METRIC_ROC_AUC, "label 2 in row 3 is not 0 or 1");
    y[2] = 1;
    s[1] = NAN;
    expect_error(&d, PLUMB_METRIC_ROC_AUC, "score nan in row 2 is not a finite number");
    s[1] = 1.5;
    expect_error(&d, PLUMB_METRIC_LOG_LOSS, "score 1.5 in row 2 is not a probability in [0, 1]");
    assert_int_equal(plumb_metrics_compute(&d, (plumb_metric[]){PLUMB_METRIC_ROC_AUC}, 1, &v, NULL), PLUMB_OK);
    d.weight = w;
    w[3] = -1;
    expect_error(&d, PLUMB_METRIC_ROC_AUC, "weight -1 in row 4 is not a finite number >= 0");
    w[0] = w[1] = w[2] = w[3] = 0;
    expect_error(&d, PLUMB_METRIC_MAE, "the weights sum to 0");
    d.weight = NULL;
    y[0] = y[1] = y[2] = y[3] = 0;
    s[1] = 0;
    expect_error(&d, PLUMB_METRIC_WAPE, "every label is 0: WAPE (sum |error| / sum |label|) is undefined");
    d.n_rows = 1;
    expect_error(&d, PLUMB_METRIC_R2, "R2 is undefined with fewer than 2 rows");
    d.n_rows = 0;
    expect_error(&d, PLUMB_METRIC_MAE, "no rows to evaluate");
    double p[6] = {0.2, 0.8, 0, 0.5, 0.5, 0};
    y[0] = 1, y[1] = 3;
    d.n_rows = 2, d.score = p, d.n_classes = 3;
    expect_error(&d, PLUMB_METRIC_MACRO_F1, "label 3 in row 2 is not a class in 0..2");
    const plumb_metric mixed[2] = {PLUMB_METRIC_MAE, PLUMB_METRIC_ROC_AUC};
    double two[2];
    plumb_error err;
    assert_int_equal(plumb_metrics_compute(&d, mixed, 2, two, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "metrics of different tasks in one call");
    assert_string_equal(plumb_metric_name(PLUMB_METRIC_F1_BEST_THRESHOLD), "f1_best_threshold");
    assert_null(plumb_metric_name(PLUMB_METRIC_COUNT));
}

/* The ranking metrics of many rows: one sort, the same as on a shuffled copy, and the pair count on a sample. */
static void many_rows_sorted_once(void **state) {
    (void)state;
    const int64_t n = 200000;
    double *y = malloc((size_t)n * sizeof *y), *s = malloc((size_t)n * sizeof *s);
    double *y2 = malloc((size_t)n * sizeof *y), *s2 = malloc((size_t)n * sizeof *s);
    rng_state = 3;
    for (int64_t i = 0; i < n; i++) {
        y[i] = rnd() < 0.1;
        s[i] = floor((rnd() + 0.5 * y[i]) * 1e4) / 1e4 - 0.25; /* negative scores and ties, like log-odds */
    }
    for (int64_t i = 0; i < n; i++) { /* reversed copy */
        y2[i] = y[n - 1 - i];
        s2[i] = s[n - 1 - i];
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n, d.label = y, d.score = s;
    const plumb_metric m[3] = {PLUMB_METRIC_ROC_AUC, PLUMB_METRIC_PR_AUC, PLUMB_METRIC_F1_BEST};
    double a[3], b[3];
    assert_int_equal(plumb_metrics_compute(&d, m, 3, a, NULL), PLUMB_OK);
    d.label = y2, d.score = s2;
    assert_int_equal(plumb_metrics_compute(&d, m, 3, b, NULL), PLUMB_OK);
    for (int j = 0; j < 3; j++)
        assert_true(fabs(a[j] - b[j]) < 1e-12);
    assert_true(a[0] > 0.8 && a[0] < 1);
    free(y);
    free(s);
    free(y2);
    free(s2);
}

static void sort_is_stable_and_ordered(void **state) {
    (void)state;
    const int64_t n = 50000;
    double *v = malloc((size_t)n * sizeof *v);
    int64_t *o = malloc((size_t)n * sizeof *o);
    rng_state = 9;
    for (int64_t i = 0; i < n; i++)
        v[i] = i % 7 == 0 ? -0.0 : i % 5 == 0 ? 0.0 : floor((rnd() - 0.5) * 100) * 1e300 * (i % 3 ? 1e-300 : 1);
    assert_true(plumb__sort_doubles(v, n, o));
    for (int64_t i = 1; i < n; i++) {
        assert_true(v[o[i - 1]] <= v[o[i]]);
        if (v[o[i - 1]] == v[o[i]])
            assert_true(o[i - 1] < o[i]); /* -0.0 and 0.0 are one value, in row order */
    }
    free(v);
    free(o);
}

/* ---- bootstrap -------------------------------------------------------------------------------------------- */

static void bootstrap_same_for_any_thread_count(void **state) {
    (void)state;
    enum { N = 3000 };
    static double y[N], s[N], w[N];
    rng_state = 17;
    for (int i = 0; i < N; i++) {
        y[i] = rnd() < 0.3;
        s[i] = fmin(1, fmax(0, 0.3 * y[i] + 0.7 * rnd()));
        w[i] = 0.5 + rnd();
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = N, d.label = y, d.score = s, d.weight = w;
    const plumb_metric m[4] = {PLUMB_METRIC_ROC_AUC, PLUMB_METRIC_LOG_LOSS, PLUMB_METRIC_F1, PLUMB_METRIC_KS};
    double v[4], lo1[4], hi1[4], lo2[4], hi2[4], lo3[4], hi3[4];
    plumb_bootstrap_options o;
    plumb_bootstrap_options_init(&o);
    assert_true(o.level == 0.95 && o.n_resamples == 1000);
    o.n_resamples = 200;
    o.seed = 42;
    o.n_threads = 1;
    assert_int_equal(plumb_metrics_compute(&d, m, 4, v, NULL), PLUMB_OK);
    assert_int_equal(plumb_metrics_bootstrap(&d, m, 4, &o, lo1, hi1, NULL), PLUMB_OK);
    o.n_threads = 2;
    assert_int_equal(plumb_metrics_bootstrap(&d, m, 4, &o, lo2, hi2, NULL), PLUMB_OK);
    o.seed = 43;
    assert_int_equal(plumb_metrics_bootstrap(&d, m, 4, &o, lo3, hi3, NULL), PLUMB_OK);
    for (int j = 0; j < 4; j++) {
        assert_true(lo1[j] == lo2[j] && hi1[j] == hi2[j]); /* bit for bit */
        assert_true(lo1[j] < v[j] && v[j] < hi1[j]);
        assert_true(lo3[j] != lo1[j] || hi3[j] != hi1[j]); /* another seed, other resamples */
        assert_true(hi1[j] - lo1[j] < 0.1);
    }
    /* the AUC interval is about the normal one: 2 x 1.96 x its standard error (Hanley-McNeil, roughly 0.011) */
    assert_true(hi1[0] - lo1[0] > 0.025 && hi1[0] - lo1[0] < 0.06);
    plumb_error err;
    o.level = 1;
    assert_int_equal(plumb_metrics_bootstrap(&d, m, 4, &o, lo1, hi1, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "confidence level 1 is not in (0, 1)");
}

/* A metric undefined on some resamples (a rare class) leaves those out instead of failing. */
static void bootstrap_skips_undefined_resamples(void **state) {
    (void)state;
    double y[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, s[12], lo, hi;
    for (int i = 0; i < 12; i++)
        s[i] = i / 12.0;
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 12, d.label = y, d.score = s;
    plumb_bootstrap_options o;
    plumb_bootstrap_options_init(&o);
    o.n_resamples = 300;
    const plumb_metric m = PLUMB_METRIC_ROC_AUC;
    assert_int_equal(plumb_metrics_bootstrap(&d, &m, 1, &o, &lo, &hi, NULL), PLUMB_OK);
    assert_true(lo == 1 && hi == 1); /* the one positive scores highest in every resample that has it */
}

/* ---- calibrators ------------------------------------------------------------------------------------------ */

static void calibrators_round_trip_json(void **state) {
    (void)state;
    enum { N = 200 };
    double s[N], y[N], out1[N], out2[N];
    rng_state = 23;
    for (int i = 0; i < N; i++) {
        s[i] = rnd();
        y[i] = rnd() < s[i] * s[i];
    }
    for (int kind = PLUMB__CALIBRATE_ISOTONIC; kind <= PLUMB__CALIBRATE_PLATT; kind++) {
        plumb__calibrator *c = NULL, *back = NULL;
        assert_int_equal(plumb__calibrate_fit((plumb__calibration_kind)kind, s, y, NULL, N, &c, NULL), PLUMB_OK);
        json_t *j = plumb__calibrate_to_json(c);
        char *text = json_dumps(j, JSON_REAL_PRECISION(17));
        json_decref(j);
        j = json_loads(text, 0, NULL);
        assert_int_equal(plumb__calibrate_from_json(j, &back, NULL), PLUMB_OK);
        plumb__calibrate_apply(c, s, N, out1);
        plumb__calibrate_apply(back, s, N, out2);
        for (int i = 0; i < N; i++) {
            assert_true(out1[i] == out2[i]);
            assert_true(out1[i] >= 0 && out1[i] <= 1);
        }
        if (kind == PLUMB__CALIBRATE_ISOTONIC)
            for (int i = 1; i < c->n; i++)
                assert_true(c->x[i] > c->x[i - 1] && c->y[i] >= c->y[i - 1]);
        else
            assert_true(c->a < 0); /* higher scores, higher probabilities */
        free(text);
        json_decref(j);
        plumb__calibrate_free(c);
        plumb__calibrate_free(back);
    }
    const char *bad[] = {"{\"method\":\"beta\"}", "{\"method\":\"platt\",\"a\":1}",
                         "{\"method\":\"isotonic\",\"x\":[0,0.5],\"y\":[0.1]}",
                         "{\"method\":\"isotonic\",\"x\":[0.5,0.2],\"y\":[0.1,0.2]}",
                         "{\"method\":\"isotonic\",\"x\":[0.1,0.2],\"y\":[0.3,0.2]}"};
    const char *msg[] = {"calibration: unknown method", "calibration: platt needs finite numbers 'a' and 'b'",
                         "calibration: isotonic needs arrays 'x' and 'y' of one length >= 1",
                         "calibration: isotonic x values are not increasing",
                         "calibration: isotonic y values decrease"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        plumb__calibrator *c = (void *)1;
        plumb_error err;
        assert_int_equal(plumb__calibrate_from_json(j, &c, &err), PLUMB_EFORMAT);
        assert_null(c);
        assert_string_equal(err.message, msg[i]);
        json_decref(j);
    }
    plumb_error err;
    plumb__calibrator *c = NULL;
    double zero[2] = {0, 0};
    assert_int_equal(plumb__calibrate_fit(PLUMB__CALIBRATE_PLATT, s, y, zero, 2, &c, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "no rows of positive weight to calibrate on");
    s[1] = INFINITY;
    assert_int_equal(plumb__calibrate_fit(PLUMB__CALIBRATE_ISOTONIC, s, y, NULL, 3, &c, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "score inf in row 2 is not a finite number");
}

PLUMB_TEST_MAIN(cmocka_unit_test(parity_golden), cmocka_unit_test(auc_matches_pair_count),
                cmocka_unit_test(integer_weights_equal_repeated_rows), cmocka_unit_test(errors_say_what_is_wrong),
                cmocka_unit_test(many_rows_sorted_once), cmocka_unit_test(sort_is_stable_and_ordered),
                cmocka_unit_test(bootstrap_same_for_any_thread_count),
                cmocka_unit_test(bootstrap_skips_undefined_resamples), cmocka_unit_test(calibrators_round_trip_json))
