/* test_distill.c -- plumb_model_distill (src/distill/): students of every kind of teacher, how close they come to
 * it, what they keep of it (task, schema, positive class, link, calibrator), and bad input.
 *
 * The real table is examples/credit/credit_data.csv (4,454 applicants, binary Status): a teacher is trained on four
 * rows in five and the students are judged on the fifth, which neither saw. The thresholds were measured with these
 * settings and are asserted with a margin (the comments give the measured figures).
 */
#include "test.h"

#include <math.h>

#define MODELS PLUMB_TEST_DATA "/models/"
#define CREDIT PLUMB_TEST_DATA "/../../examples/credit/credit_data.csv"

static plumb_model *load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, MODELS "%s.plumb", name);
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
}

static plumb_frame *read_csv(const char *path, const plumb_model *m) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    if (m) {
        o.schema = plumb_model_schema(m);
        o.schema_subset = 1;
    } else {
        o.target = "Status";
    }
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(path, &o, &f, &err), &err);
    return f;
}

/* Rows i % 5 != 0 (train) or == 0 (test) of f. */
static plumb_frame *fold(const plumb_frame *f, bool test) {
    const int64_t n = plumb_frame_n_rows(f);
    int64_t *rows = malloc((size_t)n * sizeof *rows), k = 0;
    assert_non_null(rows);
    for (int64_t i = 0; i < n; i++)
        if ((i % 5 == 0) == test)
            rows[k++] = i;
    plumb_frame *g = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_take(f, rows, k, &g, &err), &err);
    free(rows);
    return g;
}

static double *predict(const plumb_model *m, const plumb_frame *f, bool raw) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    double *p = malloc((size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *p);
    assert_non_null(p);
    plumb_error err;
    plumb_test_ok(plumb_model_predict(m, f, &(plumb_predict_options){.raw = raw}, p, &err), &err);
    return p;
}

static double *margins(const plumb_model *m, const plumb_frame *f) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    double *z = malloc((size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *z);
    assert_non_null(z);
    plumb_error err;
    plumb_test_ok(plumb_model_margins(m, f, 0, z, &err), &err);
    return z;
}

static double auc(const plumb_model *m, const plumb_frame *f) {
    const int64_t n = plumb_frame_n_rows(f);
    double *y = malloc((size_t)n * sizeof *y), *p = predict(m, f, false), v;
    assert_non_null(y);
    plumb_task task = PLUMB_TASK_BINARY;
    const char *pos = plumb_model_positive_class(m);
    int64_t k = 0;
    plumb_error err;
    plumb_test_ok(plumb_frame_labels(f, plumb_frame_find(f, "Status"), NULL, &task, &pos, &k, y, &err), &err);
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n;
    d.label = y;
    d.score = p;
    const plumb_metric metric = PLUMB_METRIC_ROC_AUC;
    plumb_test_ok(plumb_metrics_compute(&d, &metric, 1, &v, &err), &err);
    free(y);
    free(p);
    return v;
}

/* Fidelity of b to a on f: the share of rows with the same predicted class (argmax, or p >= 0.5), the RMSE of
 * their margins and the largest difference of their predictions. */
typedef struct fidelity {
    double agreement, rmse, max_pred;
} fidelity;

static fidelity compare(const plumb_model *a, const plumb_model *b, const plumb_frame *f) {
    plumb_model_info info;
    plumb_model_describe(a, &info);
    const int64_t n = plumb_frame_n_rows(f), K = info.n_outputs;
    double *pa = predict(a, f, false), *pb = predict(b, f, false), *za = margins(a, f), *zb = margins(b, f);
    fidelity r = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) {
        int64_t ka = 0, kb = 0;
        for (int64_t k = 0; k < K; k++) {
            ka = pa[i * K + k] > pa[i * K + ka] ? k : ka;
            kb = pb[i * K + k] > pb[i * K + kb] ? k : kb;
            r.rmse += (za[i * K + k] - zb[i * K + k]) * (za[i * K + k] - zb[i * K + k]);
            r.max_pred = fmax(r.max_pred, fabs(pa[i * K + k] - pb[i * K + k]));
        }
        r.agreement += K > 1 ? ka == kb : (pa[i] >= 0.5) == (pb[i] >= 0.5);
    }
    r.agreement /= (double)n;
    r.rmse = sqrt(r.rmse / (double)(n * K));
    free(pa);
    free(pb);
    free(za);
    free(zb);
    return r;
}

static plumb_model *distill(const plumb_model *teacher, const plumb_frame *f, const plumb_distill_options *o) {
    plumb_model *s = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_distill(teacher, f, o, &s, &err), &err);
    return s;
}

/* The student is a model of the teacher's task: kind, task, outputs, schema and positive class. */
static void assert_same_task(const plumb_model *t, const plumb_model *s, const char *kind) {
    plumb_model_info ti, si;
    plumb_model_describe(t, &ti);
    plumb_model_describe(s, &si);
    assert_string_equal(si.kind, kind);
    assert_int_equal(si.task, ti.task);
    assert_int_equal(si.n_outputs, ti.n_outputs);
    const plumb_schema *a = plumb_model_schema(t), *b = plumb_model_schema(s);
    assert_int_equal(plumb_schema_n_columns(a), plumb_schema_n_columns(b));
    for (int64_t j = 0; j < plumb_schema_n_columns(a); j++) {
        plumb_column_info ca, cb;
        plumb_schema_column(a, j, &ca);
        plumb_schema_column(b, j, &cb);
        assert_string_equal(ca.name, cb.name);
        assert_int_equal(ca.type, cb.type);
        assert_int_equal(ca.role, cb.role);
        assert_int_equal(ca.n_categories, cb.n_categories);
    }
    const char *pt = plumb_model_positive_class(t), *ps = plumb_model_positive_class(s);
    assert_true((pt == NULL) == (ps == NULL));
    if (pt)
        assert_string_equal(pt, ps);
}

/* A saved and loaded student predicts what it did. */
static void assert_round_trip(const plumb_model *s, const plumb_frame *f) {
    char path[512];
    snprintf(path, sizeof path, "%s/plumb_distill_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    plumb_error err;
    plumb_model *back = NULL;
    plumb_test_ok(plumb_model_save(s, path, &err), &err);
    plumb_test_ok(plumb_model_load(path, &back, &err), &err);
    unlink(path);
    plumb_model_info info;
    plumb_model_describe(s, &info);
    double *a = predict(s, f, false), *b = predict(back, f, false);
    assert_memory_equal(a, b, (size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *a);
    free(a);
    free(b);
    plumb_model_free(back);
}

/* A gbdt teacher on the credit table, trained on its training rows. */
static plumb_model *credit_teacher(const plumb_frame *train) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 300;
    p.num_leaves = 63;
    p.learning_rate = 0.03;
    plumb_model *t = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(train, NULL, &p, &t, &err), &err);
    return t;
}

static void binary_gbdt_student_is_close_to_its_teacher(void **state) {
    (void)state;
    plumb_frame *all = read_csv(CREDIT, NULL), *train = fold(all, false), *test = fold(all, true);
    plumb_model *t = credit_teacher(train);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    o.gbdt.num_leaves = 15;
    o.gbdt.num_iterations = 100;
    plumb_model *s = distill(t, train, &o);
    assert_same_task(t, s, "gbdt");
    const double at = auc(t, test), as = auc(s, test);
    const fidelity f = compare(t, s, test);
    printf("binary: teacher auc %.4f student %.4f agreement %.4f rmse %.4f\n", at, as, f.agreement, f.rmse);
    assert_true(at > 0.80);
    assert_true(as > at - 0.01);
    assert_true(f.agreement > 0.91);
    assert_true(f.rmse < 0.85);
    assert_round_trip(s, test);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(all);
    plumb_frame_free(train);
    plumb_frame_free(test);
}

static void logistic_student_of_a_gbdt_teacher(void **state) {
    (void)state;
    plumb_frame *all = read_csv(CREDIT, NULL), *train = fold(all, false), *test = fold(all, true);
    plumb_model *t = credit_teacher(train);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    o.student = PLUMB_MODEL_LINEAR;
    plumb_model *s = distill(t, train, &o);
    assert_same_task(t, s, "linear");
    const double at = auc(t, test), as = auc(s, test);
    const fidelity f = compare(t, s, test);
    printf("logistic: teacher auc %.4f student %.4f agreement %.4f rmse %.4f\n", at, as, f.agreement, f.rmse);
    assert_true(as > at - 0.02);
    assert_true(f.agreement > 0.85);
    /* a logistic model's coefficients, named after the teacher's columns, with odds ratios */
    const plumb_coefficient *co = NULL;
    int64_t nco = 0;
    plumb_error err;
    plumb_test_ok(plumb_model_coefficients(s, &co, &nco, &err), &err);
    assert_true(nco > 10);
    for (int64_t j = 1; j < nco; j++) {
        assert_true(plumb_frame_find(test, co[j].column) >= 0);
        assert_true(isfinite(co[j].odds_ratio));
    }
    /* a logistic model's probabilities */
    double *p = predict(s, test, false);
    for (int64_t i = 0; i < plumb_frame_n_rows(test); i++)
        assert_true(p[i] > 0 && p[i] < 1);
    free(p);
    assert_round_trip(s, test);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(all);
    plumb_frame_free(train);
    plumb_frame_free(test);
}

/* A linear student of a linear teacher on the same rows finds the teacher again. */
static void linear_students_of_linear_teachers_reproduce_them(void **state) {
    (void)state;
    const char *names[] = {"logistic", "linear"};
    for (int k = 0; k < 2; k++) {
        plumb_model *t = load(names[k]);
        plumb_frame *f = read_csv(MODELS "credit300.csv", t);
        plumb_distill_options o;
        plumb_distill_options_init(&o);
        o.student = PLUMB_MODEL_LINEAR;
        plumb_model *s = distill(t, f, &o);
        assert_same_task(t, s, "linear");
        const fidelity d = compare(t, s, f);
        printf("%s: agreement %.4f rmse %.3g max %.3g\n", names[k], d.agreement, d.rmse, d.max_pred);
        /* measured: probabilities within 0.0025; values (the hundreds to thousands of Amount) within 3.8: the
         * small default penalty acts on another target scale, so the fit is close, not exact */
        assert_true(d.max_pred < (k == 0 ? 0.01 : 10));
        plumb_model_free(s);
        plumb_model_free(t);
        plumb_frame_free(f);
    }
}

/* A gbdt student of a logistic teacher whose positive class is the first category ('bad'): the same class. */
static void gbdt_student_of_a_logistic_teacher(void **state) {
    (void)state;
    plumb_model *t = load("logistic");
    plumb_frame *f = read_csv(MODELS "credit300.csv", t);
    assert_string_equal(plumb_model_positive_class(t), "bad");
    plumb_model *s = distill(t, f, NULL);
    assert_same_task(t, s, "gbdt");
    const fidelity d = compare(t, s, f);
    printf("gbdt of logistic: agreement %.4f rmse %.4f\n", d.agreement, d.rmse);
    assert_true(d.agreement > 0.95);
    assert_true(d.rmse < 0.5);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(f);
}

static void multiclass_teacher(void **state) {
    (void)state;
    plumb_model *t = load("gbdt_multiclass");
    plumb_frame *f = read_csv(MODELS "credit300.csv", t);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    plumb_model *s = distill(t, f, &o);
    assert_same_task(t, s, "gbdt");
    const fidelity d = compare(t, s, f);
    printf("multiclass: agreement %.4f rmse %.4f\n", d.agreement, d.rmse);
    assert_true(d.agreement > 0.9);
    assert_true(d.rmse < 0.5);
    /* probabilities of each class, summing to 1 */
    plumb_model_info info;
    plumb_model_describe(s, &info);
    double *p = predict(s, f, false);
    for (int64_t i = 0; i < plumb_frame_n_rows(f); i++) {
        double sum = 0;
        for (int64_t k = 0; k < info.n_outputs; k++)
            sum += p[i * info.n_outputs + k];
        assert_true(fabs(sum - 1) < 1e-9);
    }
    free(p);
    /* a linear student cannot be multiclass */
    o.student = PLUMB_MODEL_LINEAR;
    plumb_model *bad = NULL;
    plumb_error err;
    assert_int_equal(plumb_model_distill(t, f, &o, &bad, &err), PLUMB_EINVAL);
    assert_null(bad);
    assert_string_equal(err.message,
                        "a multiclass teacher needs a gbdt student: linear models are binary or regression");
    assert_round_trip(s, f);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(f);
}

static void regression_teachers(void **state) {
    (void)state;
    plumb_model *t = load("gbdt_poisson");
    plumb_frame *f = read_csv(MODELS "credit300.csv", t);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    plumb_model *s = distill(t, f, &o);
    assert_same_task(t, s, "gbdt");
    plumb_model_info info;
    plumb_model_describe(s, &info);
    assert_string_equal(info.objective, "poisson"); /* the student keeps the teacher's log link */
    const fidelity d = compare(t, s, f);
    double *p = predict(t, f, false), var = 0, mean = 0;
    const int64_t n = plumb_frame_n_rows(f);
    for (int64_t i = 0; i < n; i++)
        mean += p[i] / (double)n;
    for (int64_t i = 0; i < n; i++)
        var += (p[i] - mean) * (p[i] - mean) / (double)n;
    printf("poisson: log-mean rmse %.4f, teacher sd %.4g\n", d.rmse, sqrt(var));
    assert_true(d.rmse < 0.1); /* on the log of the mean */
    free(p);
    /* a linear student of a poisson teacher fits its predictions */
    o.student = PLUMB_MODEL_LINEAR;
    plumb_model *l = distill(t, f, &o);
    assert_same_task(t, l, "linear");
    plumb_model_free(l);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(f);
}

static void calibrator_is_carried_over(void **state) {
    (void)state;
    plumb_model *t = load("gbdt_calibrated");
    plumb_frame *f = read_csv(MODELS "credit300.csv", t);
    plumb_model *s = distill(t, f, NULL);
    assert_same_task(t, s, "gbdt");
    const int64_t n = plumb_frame_n_rows(f);
    double *cal = predict(s, f, false), *unc = malloc((size_t)n * sizeof *unc), *tc = predict(t, f, false);
    plumb_error err;
    plumb_test_ok(plumb_model_predict(s, f, &(plumb_predict_options){.uncalibrated = true}, unc, &err), &err);
    int differ = 0;
    double md = 0;
    for (int64_t i = 0; i < n; i++) {
        differ += cal[i] != unc[i];
        md += fabs(cal[i] - tc[i]) / (double)n;
    }
    printf("calibrated: %d of %lld differ, mean |p - teacher p| %.4f\n", differ, (long long)n, md);
    assert_true(differ > n / 2); /* the calibrator maps the student's probabilities */
    assert_true(md < 0.05);
    free(cal);
    free(unc);
    free(tc);
    plumb_model_free(s);
    plumb_model_free(t);
    plumb_frame_free(f);
}

/* A weak teacher (3 trees of 4 leaves): its student is as weak, one that also learns from the labels is not. */
static void labels_weight_mixes_in_the_labels(void **state) {
    (void)state;
    plumb_frame *all = read_csv(CREDIT, NULL), *train = fold(all, false), *test = fold(all, true);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 3;
    p.num_leaves = 4;
    plumb_model *t = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(train, NULL, &p, &t, &err), &err);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    plumb_model *s0 = distill(t, train, &o);
    o.labels_weight = 0.9;
    plumb_model *s9 = distill(t, train, &o);
    const double at = auc(t, test), a0 = auc(s0, test), a9 = auc(s9, test);
    printf("labels weight: teacher auc %.4f, student %.4f, with labels %.4f\n", at, a0, a9);
    assert_true(fabs(a0 - at) < 0.01);
    assert_true(a9 > at + 0.03);
    plumb_model_info i0, i9;
    plumb_model_describe(s0, &i0);
    plumb_model_describe(s9, &i9);
    assert_true(isnan(i0.train_metric));    /* no labels seen: no training loss */
    assert_true(isfinite(i9.train_metric)); /* the log-loss on the labels */
    plumb_model_free(s0);
    plumb_model_free(s9);
    plumb_model_free(t);
    plumb_frame_free(all);
    plumb_frame_free(train);
    plumb_frame_free(test);
}

static void same_student_whatever_the_threads(void **state) {
    (void)state;
    plumb_model *t = load("gbdt_binary");
    plumb_frame *f = read_csv(MODELS "credit300.csv", t);
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    o.gbdt.n_threads = 1;
    plumb_model *a = distill(t, f, &o);
    o.gbdt.n_threads = 3;
    plumb_model *b = distill(t, f, &o);
    double *pa = predict(a, f, true), *pb = predict(b, f, true);
    assert_memory_equal(pa, pb, (size_t)plumb_frame_n_rows(f) * sizeof *pa);
    free(pa);
    free(pb);
    plumb_model_free(a);
    plumb_model_free(b);
    plumb_model_free(t);
    plumb_frame_free(f);
}

static void expect_error(const plumb_model *t, const plumb_frame *f, const plumb_distill_options *o, plumb_status code,
                         const char *message) {
    plumb_model *s = (plumb_model *)1;
    plumb_error err;
    assert_int_equal(plumb_model_distill(t, f, o, &s, &err), code);
    assert_null(s);
    assert_string_equal(err.message, message);
}

static void bad_input_is_refused(void **state) {
    (void)state;
    plumb_model *t = load("gbdt_binary");
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    /* data without a feature the teacher reads */
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    plumb_frame *f = plumb_test_read("Status,Age\ngood,30\nbad,40\ngood,50\n", &ro);
    plumb_model *s = NULL;
    plumb_error err;
    assert_int_equal(plumb_model_distill(t, f, &o, &s, &err), PLUMB_ESCHEMA);
    assert_null(s);
    assert_non_null(strstr(err.message, "Seniority"));
    plumb_frame_free(f);
    plumb_frame *g = read_csv(MODELS "credit300.csv", t);
    o.labels_weight = 1;
    expect_error(t, g, &o, PLUMB_EINVAL, "labels_weight must be in [0, 1), got 1");
    o.labels_weight = NAN;
    expect_error(t, g, &o, PLUMB_EINVAL, "labels_weight must be in [0, 1), got nan");
    o.labels_weight = 0.5;
    o.student = PLUMB_MODEL_LINEAR;
    expect_error(t, g, &o, PLUMB_EINVAL, "labels_weight with a binary teacher needs a gbdt student");
    o.student = PLUMB_MODEL_TREE;
    expect_error(t, g, &o, PLUMB_EINVAL, "a student is gbdt or linear");
    /* labels_weight without the target column: credit300.csv with its first column (Status) cut off */
    FILE *in = fopen(MODELS "credit300.csv", "r");
    assert_non_null(in);
    plumb_test_text csv = {0};
    char line[4096];
    while (fgets(line, sizeof line, in))
        plumb_test_put(&csv, "%s", strchr(line, ',') + 1);
    fclose(in);
    ro.schema = plumb_model_schema(t);
    ro.schema_subset = 1;
    plumb_frame *nolabel = plumb_test_read(csv.s, &ro);
    free(csv.s);
    o.student = PLUMB_MODEL_GBDT;
    expect_error(t, nolabel, &o, PLUMB_EINVAL, "labels_weight needs the target column 'Status' in the data");
    o.labels_weight = 0; /* without labels the student learns from the teacher alone */
    s = distill(t, nolabel, &o);
    plumb_model_describe(s, &(plumb_model_info){0});
    plumb_model_free(s);
    plumb_frame_free(nolabel);
    o.gbdt.num_leaves = 1;
    expect_error(t, g, &o, PLUMB_EINVAL, "num_leaves must be between 2 and 131072");
    plumb_frame_free(g);
    plumb_model_free(t);
}

PLUMB_TEST_MAIN(cmocka_unit_test(binary_gbdt_student_is_close_to_its_teacher),
                cmocka_unit_test(logistic_student_of_a_gbdt_teacher),
                cmocka_unit_test(linear_students_of_linear_teachers_reproduce_them),
                cmocka_unit_test(gbdt_student_of_a_logistic_teacher), cmocka_unit_test(multiclass_teacher),
                cmocka_unit_test(regression_teachers), cmocka_unit_test(calibrator_is_carried_over),
                cmocka_unit_test(labels_weight_mixes_in_the_labels),
                cmocka_unit_test(same_student_whatever_the_threads), cmocka_unit_test(bad_input_is_refused))
