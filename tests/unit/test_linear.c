/* test_linear.c -- linear and logistic regression: parity with scikit-learn, the preprocessing the model carries,
 * scoring with unseen and missing values, the model file, thread independence, and exact error messages. */
#include "test.h"

#include "gbdt/gbdt.h"
#include "linear/linear.h"

#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------------------------- */

static plumb_frame *read_text(const char *csv, const char *target, const char *weight) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = target;
    o.weight_col = weight;
    o.display_name = "test.csv";
    return plumb_test_read(csv, &o);
}

static plumb_model *train(const plumb_frame *fr, const plumb_linear_params *p) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_linear_train(fr, p, &m, &err), &err);
    return m;
}

/* Trains expecting failure with status st and exactly message msg. */
static void expect_train_error(const plumb_frame *fr, const plumb_linear_params *p, plumb_status st, const char *msg) {
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_linear_train(fr, p, &m, &err), st);
    assert_null(m);
    assert_int_equal(err.code, st);
    assert_string_equal(err.message, msg);
}

/* n rows of x0..x3 (x1 with ~10% missing), a category c (a, b, c, d; ~5% missing), a bool flag and a target:
 * binary (0/1 of a noisy logistic score) or a number. CSV text, to free. */
static char *make_data(int n, bool binary, uint64_t seed) {
    rng_state = seed;
    size_t cap = (size_t)n * 128 + 64, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "x0,x1,x2,x3,c,flag,y\n");
    for (int i = 0; i < n; i++) {
        double x[4];
        for (int j = 0; j < 4; j++)
            x[j] = (rnd() - 0.5) * (j + 1) * 4 + j;
        const int c = (int)(rnd() * 4);
        const bool flag = rnd() < 0.3, miss1 = rnd() < 0.1, missc = rnd() < 0.05;
        const double z = 0.8 * x[0] - 0.5 * (miss1 ? 0 : x[1]) + 0.3 * c - 1.0 * flag + (miss1 ? 0.7 : 0);
        len += (size_t)snprintf(s + len, cap - len, "%.5f,", x[0]);
        if (!miss1)
            len += (size_t)snprintf(s + len, cap - len, "%.5f", x[1]);
        len += (size_t)snprintf(s + len, cap - len, ",%.5f,%.5f,%s,%s,", x[2], x[3],
                                missc ? "" : (const char *[]){"a", "b", "c", "d"}[c], flag ? "true" : "false");
        if (binary)
            len += (size_t)snprintf(s + len, cap - len, "%d\n", rnd() < 1 / (1 + exp(-z)));
        else
            len += (size_t)snprintf(s + len, cap - len, "%.6f\n", 2 + z + 0.3 * (rnd() - 0.5));
    }
    return s;
}

static const plumb_coefficient *find_coef(const plumb_model *m, const char *name) {
    const plumb_coefficient *c;
    int64_t n;
    assert_int_equal(plumb_model_coefficients(m, &c, &n, NULL), PLUMB_OK);
    for (int64_t j = 0; j < n; j++)
        if (strcmp(c[j].name, name) == 0)
            return &c[j];
    fail_msg("no coefficient '%s'", name);
    return NULL;
}

/* ---- parity with scikit-learn (golden values from tests/parity/sklearn_linear.py) -------------------------- */

/* Reads a parity case's data: the target, the weight, and every column outside the case's list ignored. */
static plumb_frame *read_case(const char *path, const json_t *c) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = json_string_value(json_object_get(c, "target"));
    o.weight_col = json_string_value(json_object_get(c, "weight"));
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(path, &o, &f, &err), &err);
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    const json_t *cols = json_object_get(c, "columns");
    for (int64_t j = 0; j < plumb_frame_n_columns(f); j++) {
        plumb_column_info ci;
        plumb_schema_column(plumb_frame_schema(f), j, &ci);
        bool used = ci.role != PLUMB_ROLE_FEATURE;
        for (size_t k = 0; k < json_array_size(cols); k++)
            used |= strcmp(json_string_value(json_array_get(cols, k)), ci.name) == 0;
        if (!used)
            assert_int_equal(plumb_schema_set_role(s, ci.name, PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
    }
    plumb_frame_free(f);
    o.schema = s;
    plumb_test_ok(plumb_frame_read_csv(path, &o, &f, &err), &err);
    plumb_schema_free(s);
    return f;
}

static void parity_golden(void **state) {
    (void)state;
    /* the committed golden values, or a fresh run of the script (tests/cli/test_linear.sh: parity_live) */
    const char *dir = getenv("PLUMB_PARITY_DIR");
    char golden[2048], data[2048];
    if (!dir || !dir[0])
        dir = PLUMB_TEST_DATA "/../parity";
    snprintf(golden, sizeof golden, "%s/sklearn_linear.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(golden, 0, &jerr);
    if (!root)
        fail_msg("cannot read %s: %s", golden, jerr.text);
    const json_t *cases = json_object_get(root, "cases");
    assert_true(json_array_size(cases) >= 19);
    for (size_t k = 0; k < json_array_size(cases); k++) {
        const json_t *c = json_array_get(cases, k);
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *file = json_string_value(json_object_get(c, "data"));
        if (strncmp(file, "examples/", 9) == 0)
            snprintf(data, sizeof data, "%s/../../%s", PLUMB_TEST_DATA, file);
        else
            snprintf(data, sizeof data, "%s/%s", dir, file);
        plumb_frame *f = read_case(data, c);
        plumb_linear_params p;
        plumb_linear_params_init(&p);
        p.task = strcmp(json_string_value(json_object_get(c, "task")), "binary") == 0 ? PLUMB_TASK_BINARY
                                                                                      : PLUMB_TASK_REGRESSION;
        p.alpha = json_number_value(json_object_get(c, "alpha"));
        p.l1_ratio = json_number_value(json_object_get(c, "l1_ratio"));
        p.class_weight = json_string_value(json_object_get(c, "class_weight"));
        p.positive_class = json_string_value(json_object_get(c, "positive_class"));
        p.tol = 1e-10;
        p.standardize = json_is_false(json_object_get(c, "standardize")) ? 0 : 1;
        p.clip_quantile = json_number_value(json_object_get(c, "clip_quantile"));
        p.min_category_weight = json_number_value(json_object_get(c, "min_category_weight"));
        plumb_model *m = train(f, &p);
        const plumb_coefficient *co;
        int64_t n;
        assert_int_equal(plumb_model_coefficients(m, &co, &n, NULL), PLUMB_OK);
        const json_t *names = json_object_get(c, "names"), *coef = json_object_get(c, "coef");
        if ((size_t)n != json_array_size(coef))
            fail_msg("%s: %lld coefficients, sklearn has %zu", name, (long long)n, json_array_size(coef));
        double worst = 0;
        for (int64_t j = 0; j < n; j++) {
            const double want = json_number_value(json_array_get(coef, (size_t)j));
            const char *want_name = json_string_value(json_array_get(names, (size_t)j));
            if (strcmp(co[j].name, want_name) != 0)
                fail_msg("%s: design column %lld is '%s', sklearn's '%s'", name, (long long)j, co[j].name, want_name);
            const double diff = fabs(co[j].standardized - want) / fmax(1, fabs(want));
            worst = fmax(worst, diff);
            if (!(diff <= 1e-4))
                fail_msg("%s: coefficient '%s' is %.10g, sklearn's %.10g", name, co[j].name, co[j].standardized, want);
        }
        plumb_linear_info li;
        assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
        const double obj = json_number_value(json_object_get(c, "objective"));
        if (!(li.objective <= obj + 1e-9 * fmax(1, fabs(obj))))
            fail_msg("%s: objective %.15g is worse than sklearn's %.15g", name, li.objective, obj);
        assert_true(li.converged);
        print_message("%-24s largest relative coefficient difference %.2e, objective %.12g (sklearn %.12g)\n", name,
                      worst, li.objective, obj);
        plumb_model_free(m);
        plumb_frame_free(f);
    }
    json_decref(root);
}

/* ---- preprocessing ---------------------------------------------------------------------------------------- */

static void weighted_quantiles_clip_and_impute(void **state) {
    (void)state;
    /* x = 1 2 3 4 100 and a missing value. Unit weights: Q(0.2) = (1 + 2) / 2 (F(1) = 1 = 0.2 W exactly),
     * Q(0.8) = (4 + 100) / 2; the median of the clipped values is 3. */
    plumb_frame *f = read_text("x,y\n1,0\n2,1\n3,0\n4,1\n100,1\n,0\n", "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.clip_quantile = 0.2;
    plumb_model *m = train(f, &p);
    const plumb__linear_input *in = &plumb__linear_of(m)->inputs[0];
    assert_true(in->lo == 1.5 && in->hi == 52);
    assert_true(in->fill == 3);
    assert_true(in->indicator);
    /* mean and population sd of the clipped, imputed values 1.5 2 3 4 52 3 */
    const double mean = (1.5 + 2 + 3 + 4 + 52 + 3) / 6;
    double var = 0;
    for (int i = 0; i < 6; i++) {
        const double v = (double[]){1.5, 2, 3, 4, 52, 3}[i] - mean;
        var += v * v / 6;
    }
    assert_true(fabs(in->center - mean) < 1e-14 && fabs(in->scale - sqrt(var)) < 1e-14);
    plumb_model_free(m);
    plumb_frame_free(f);

    /* weights 1 1 1 1 4 (and 1 for the missing row): W = 8 over the values, the median is the smallest v with
     * F(v) >= 4: F(4) = 4 exactly, so the midpoint of 4 and 100 */
    f = read_text("x,w,y\n1,1,0\n2,1,1\n3,1,0\n4,1,1\n100,4,1\n,1,0\n", "y", "w");
    plumb_linear_params_init(&p);
    m = train(f, &p);
    in = &plumb__linear_of(m)->inputs[0];
    assert_true(in->fill == 52);
    assert_true(isinf(in->lo) && isinf(in->hi));
    /* the weighted mean over every row, the missing one at the fill value */
    assert_true(fabs(in->center - (1 + 2 + 3 + 4 + 400 + 52) / 9.0) < 1e-12);
    plumb_model_free(m);
    plumb_frame_free(f);
}

static void design_columns_and_names(void **state) {
    (void)state;
    /* a string column and a datetime column are skipped; bool with a missing value gets an indicator and the
     * most frequent value; categories one-hot in sorted order, the rare one dropped with min_category_weight */
    const char *csv = "id,when,flag,c,x,y\n"
                      "r1,2024-01-01,true,b,1,0\n"
                      "r2,2024-01-02,true,a,2,1\n"
                      "r3,2024-01-03,,a,3,0\n"
                      "r4,2024-01-04,false,c,4,1\n"
                      "r5,2024-01-05,true,b,5,1\n"
                      "r6,2024-01-06,false,b,6,0\n";
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    o.id_col = "id";
    o.display_name = "test.csv";
    plumb_frame *f = plumb_test_read(csv, &o);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.min_category_weight = 2;
    plumb_model *m = train(f, &p);
    const plumb_coefficient *co;
    int64_t n;
    assert_int_equal(plumb_model_coefficients(m, &co, &n, NULL), PLUMB_OK);
    const char *want[] = {"(intercept)", "flag", "flag:missing", "c=a", "c=b", "x"};
    assert_int_equal(n, 6);
    for (int64_t j = 0; j < n; j++)
        assert_string_equal(co[j].name, want[j]);
    assert_null(co[0].column);
    assert_string_equal(co[4].column, "c");
    assert_true(plumb__linear_of(m)->inputs[0].fill == 1);
    assert_true(co[1].center == 0 && co[1].scale == 1 && co[3].scale == 1);
    assert_true(co[5].center == 3.5 && co[5].scale > 0);
    plumb_model_info info;
    plumb_model_describe(m, &info);
    assert_string_equal(info.kind, "linear");
    assert_int_equal(info.task, PLUMB_TASK_BINARY);
    assert_int_equal(info.n_features, 3);
    assert_string_equal(info.metric, "binary_logloss");
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* Predictions are the intercept plus the coefficients on the original scale times the raw values (after
 * imputation): the two scales describe the same model. */
static void coefficients_on_both_scales_predict_alike(void **state) {
    (void)state;
    char *csv = make_data(500, false, 11);
    plumb_frame *f = read_text(csv, "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.alpha = 0.01;
    p.l1_ratio = 0.3;
    plumb_model *m = train(f, &p);
    assert_int_equal(m->task, PLUMB_TASK_REGRESSION);
    const int64_t n = plumb_frame_n_rows(f);
    double *pred = malloc((size_t)n * sizeof *pred);
    assert_int_equal(plumb_model_predict(m, f, NULL, pred, NULL), PLUMB_OK);
    const float *x0 = plumb_frame_f32(f, plumb_frame_find(f, "x0")),
                *x1 = plumb_frame_f32(f, plumb_frame_find(f, "x1"));
    const int32_t *c = plumb_frame_codes(f, plumb_frame_find(f, "c"));
    const uint8_t *flag = plumb_frame_u8(f, plumb_frame_find(f, "flag"));
    const double fill1 = plumb__linear_of(m)->inputs[1].fill;
    const char *cats[] = {"c=a", "c=b", "c=c", "c=d"};
    for (int64_t i = 0; i < n; i++) {
        double s = find_coef(m, "(intercept)")->value + find_coef(m, "x0")->value * x0[i] +
                   find_coef(m, "x1")->value * (isnan(x1[i]) ? fill1 : x1[i]) +
                   find_coef(m, "x1:missing")->value * isnan(x1[i]) + find_coef(m, "flag")->value * flag[i];
        s +=
            find_coef(m, "x2")->value * plumb_frame_f32(f, 2)[i] + find_coef(m, "x3")->value * plumb_frame_f32(f, 3)[i];
        if (c[i] >= 0)
            s += find_coef(m, cats[c[i]])->value;
        assert_true(fabs(s - pred[i]) < 1e-9 * fmax(1, fabs(s)));
    }
    /* the same in the standardised scale: the intercept is the score at the means */
    const plumb_coefficient *x0c = find_coef(m, "x0");
    assert_true(fabs(x0c->value * x0c->scale - x0c->standardized) < 1e-15 * fmax(1, fabs(x0c->standardized)));
    assert_true(isnan(x0c->odds_ratio));
    free(pred);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(csv);
}

/* ---- scoring ------------------------------------------------------------------------------------------------ */

static void unseen_and_missing_at_scoring(void **state) {
    (void)state;
    char *csv = make_data(400, true, 5);
    plumb_frame *f = read_text(csv, "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.alpha = 0.001;
    plumb_model *m = train(f, &p);
    assert_int_equal(m->task, PLUMB_TASK_BINARY);
    /* scoring data read with the model's schema (codes as in training; z is unseen) and without it (other codes:
     * only b and z, in another order) must score alike; z and a missing category score like no category */
    const char *score_csv = "x0,x1,x2,x3,c,flag\n"
                            "0.5,,1,2,z,true\n"
                            "0.5,,1,2,,true\n"
                            "0.5,1.25,1,2,b,\n"
                            "0.5,1.25,1,2,b,false\n";
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(m);
    o.schema_subset = 1;
    plumb_frame *s1 = plumb_test_read(score_csv, &o);
    plumb_read_options_init(&o);
    o.categorical = (const char *[]){"c"};
    o.n_categorical = 1;
    plumb_frame *s2 = plumb_test_read(score_csv, &o);
    double p1[4], p2[4];
    assert_int_equal(plumb_model_predict(m, s1, NULL, p1, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(m, s2, NULL, p2, NULL), PLUMB_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_true(p1[0] == p1[1]); /* unseen = missing = all zeros */
    /* by hand: the raw score from the coefficients, with the fills */
    const double fill1 = plumb__linear_of(m)->inputs[1].fill, fill_flag = plumb__linear_of(m)->inputs[5].fill;
    double base = find_coef(m, "(intercept)")->value + find_coef(m, "x0")->value * 0.5 + find_coef(m, "x2")->value * 1 +
                  find_coef(m, "x3")->value * 2;
    double s0 =
        base + find_coef(m, "x1")->value * fill1 + find_coef(m, "x1:missing")->value + find_coef(m, "flag")->value * 1;
    assert_true(fabs(p1[0] - 1 / (1 + exp(-s0))) < 1e-12);
    double s2v =
        base + find_coef(m, "x1")->value * 1.25 + find_coef(m, "c=b")->value + find_coef(m, "flag")->value * fill_flag;
    assert_true(fabs(p1[2] - 1 / (1 + exp(-s2v))) < 1e-12);
    /* the flag column had no missing values in training: no indicator, a missing flag is just its fill */
    assert_int_equal(plumb__linear_of(m)->inputs[5].indicator, false);
    plumb_frame_free(s1);
    plumb_frame_free(s2);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(csv);
}

static void save_load_round_trip(void **state) {
    (void)state;
    char *csv = make_data(300, true, 9);
    plumb_frame *f = read_text(csv, "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.alpha = 0.003;
    p.l1_ratio = 0.7;
    p.clip_quantile = 0.05;
    p.class_weight = "balanced";
    plumb_model *m = train(f, &p);
    char path[256];
    snprintf(path, sizeof path, "%s/plumb_linear_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    plumb_error err;
    assert_int_equal(plumb_model_save(m, path, &err), PLUMB_OK);
    plumb_model *l = NULL;
    assert_int_equal(plumb_model_load(path, &l, &err), PLUMB_OK);
    unlink(path);
    const int64_t n = plumb_frame_n_rows(f);
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    assert_int_equal(plumb_model_predict(m, f, NULL, a, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(l, f, NULL, b, NULL), PLUMB_OK);
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    const plumb_coefficient *ca, *cb;
    int64_t na, nb;
    assert_int_equal(plumb_model_coefficients(m, &ca, &na, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_coefficients(l, &cb, &nb, NULL), PLUMB_OK);
    assert_int_equal(na, nb);
    for (int64_t j = 0; j < na; j++) {
        assert_string_equal(ca[j].name, cb[j].name);
        assert_true(ca[j].value == cb[j].value && ca[j].standardized == cb[j].standardized);
    }
    plumb_linear_info ia, ib;
    assert_int_equal(plumb_linear_describe(m, &ia, NULL), PLUMB_OK);
    assert_int_equal(plumb_linear_describe(l, &ib, NULL), PLUMB_OK);
    assert_true(ia.objective == ib.objective && ia.alpha == ib.alpha && ia.l1_ratio == ib.l1_ratio);
    assert_int_equal(ia.n_iterations, ib.n_iterations);
    assert_string_equal(ib.positive_class, "1");
    plumb_model_info ma, mb;
    plumb_model_describe(m, &ma);
    plumb_model_describe(l, &mb);
    assert_string_equal(mb.kind, "linear");
    assert_true(ma.train_metric == mb.train_metric);
    assert_string_equal(ma.data_sha256, mb.data_sha256);
    assert_int_equal(mb.train_rows, n);
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_model_free(l);
    plumb_frame_free(f);
    free(csv);
}

/* A model file whose body is body (the header computed for it), loaded; returns the status and the message. */
static plumb_status load_body(const char *body, plumb_error *err) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(body), (const uint8_t *)body);
    sha256_digest(&ctx, sizeof digest, digest);
    char hex[65];
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    size_t n = strlen(body) + 128;
    char *file = malloc(n);
    snprintf(file, n, "plumb-model 1 %zu %s\n%s\n", strlen(body), hex, body);
    plumb_model *m = NULL;
    plumb_status st = plumb_model_load_buffer(file, strlen(file), "m.plumb", &m, err);
    plumb_model_free(m);
    free(file);
    return st;
}

/* Replaces the first occurrence of from in s by to (a new string). */
static char *replace(const char *s, const char *from, const char *to) {
    const char *at = strstr(s, from);
    assert_non_null(at);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return r;
}

static void corrupted_model_files(void **state) {
    (void)state;
    plumb_frame *f = read_text("x,c,y\n1,a,0\n2,b,1\n3,a,0\n4,b,1\n5,a,1\n", "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    plumb_model *m = train(f, &p);
    char path[256];
    snprintf(path, sizeof path, "%s/plumb_linear_c%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    assert_int_equal(plumb_model_save(m, path, NULL), PLUMB_OK);
    FILE *fp = fopen(path, "rb");
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    unlink(path);
    buf[len] = '\0';
    char *body = strchr(buf, '\n') + 1;
    body[strlen(body) - 1] = '\0';
    plumb_error err;
    assert_int_equal(load_body(body, &err), PLUMB_OK);
    static const struct {
        const char *from, *to, *message;
    } cases[] = {
        {"\"beta\":[", "\"beta\":[1,",
         "corrupted model file: linear has not one coefficient and name per design column"},
        {"\"levels\":[\"a\"", "\"levels\":[\"z\"",
         "corrupted model file: linear input 'c' has a level the schema does not list (or out of order)"},
        {"\"levels\":[\"a\",\"b\"]", "\"levels\":[\"b\",\"a\"]",
         "corrupted model file: linear input 'c' has a level the schema does not list (or out of order)"},
        {"\"name\":\"x\",\"type\":\"numeric\",\"lo\"", "\"name\":\"q\",\"type\":\"numeric\",\"lo\"",
         "corrupted model file: linear input 'q' is not in the schema"},
        {"\"type\":\"categorical\",\"levels\"", "\"type\":\"numeric\",\"levels\"",
         "corrupted model file: linear input 'c' has a type the schema does not give it"},
        {"\"scale\":", "\"scale\":-",
         "corrupted model file: linear input 'x' has bounds out of order or a scale that is not positive"},
        {"\"positive_class\":\"1\"", "\"positive_class\":null",
         "corrupted model file: linear positive_class does not fit the task"},
        {"\"names\":[\"(intercept)\"", "\"names\":[\"(icept)\"",
         "corrupted model file: linear design column (icept) does not match its input"},
        {"\"beta\":[", "\"beta\":[\"x\",",
         "corrupted model file: linear has not one coefficient and name per design column"},
        {"\"linear\":{", "\"linear\":{\"x\":1,\"params\":3,",
         "corrupted model file: duplicate object key near '\"params\"'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *bad = replace(body, cases[k].from, cases[k].to);
        assert_int_equal(load_body(bad, &err), PLUMB_EFORMAT);
        if (strcmp(err.message, cases[k].message) != 0)
            fail_msg("case %zu: '%s', expected '%s'", k, err.message, cases[k].message);
        assert_string_equal(err.path, "m.plumb");
        free(bad);
    }
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* ---- threads ------------------------------------------------------------------------------------------------ */

static void threads_give_identical_models(void **state) {
    (void)state;
    /* 20,000 rows: three stripes of rows, so two threads really split the sums */
    char *csv = make_data(20000, true, 3);
    plumb_frame *f = read_text(csv, "y", NULL);
    for (int variant = 0; variant < 2; variant++) {
        plumb_linear_params p;
        plumb_linear_params_init(&p);
        p.alpha = 1e-3;
        p.l1_ratio = variant ? 0.5 : 0;
        p.n_threads = 1;
        plumb_model *m1 = train(f, &p);
        p.n_threads = 2;
        plumb_model *m2 = train(f, &p);
        assert_int_equal(plumb__linear_of(m1)->p, plumb__linear_of(m2)->p);
        assert_memory_equal(plumb__linear_of(m1)->beta, plumb__linear_of(m2)->beta,
                            (size_t)plumb__linear_of(m1)->p * sizeof(double));
        assert_true(plumb__linear_of(m1)->objective == plumb__linear_of(m2)->objective);
        const int64_t n = plumb_frame_n_rows(f);
        double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
        plumb_set_threads(1);
        assert_int_equal(plumb_model_predict(m1, f, NULL, a, NULL), PLUMB_OK);
        plumb_set_threads(2);
        assert_int_equal(plumb_model_predict(m1, f, NULL, b, NULL), PLUMB_OK);
        plumb_set_threads(0);
        assert_memory_equal(a, b, (size_t)n * sizeof *a);
        free(a);
        free(b);
        plumb_model_free(m1);
        plumb_model_free(m2);
    }
    plumb_frame_free(f);
    free(csv);
}

/* ---- convergence ---------------------------------------------------------------------------------------------- */

static void converges_and_reports(void **state) {
    (void)state;
    char *csv = make_data(1000, true, 21);
    plumb_frame *f = read_text(csv, "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    plumb_model *m = train(f, &p);
    plumb_linear_info li;
    assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
    assert_true(li.converged);
    assert_true(li.n_iterations >= 2 && li.n_iterations <= 10); /* Newton: a handful */
    assert_int_equal(li.n_coefficients, plumb__linear_of(m)->p);
    plumb_model_free(m);
    /* one iteration is not enough: the model comes back, marked as not converged */
    p.max_iter = 1;
    m = train(f, &p);
    assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
    assert_false(li.converged);
    assert_int_equal(li.n_iterations, 1);
    plumb_model_free(m);
    /* an L1 penalty strong enough zeroes every coefficient but the intercept */
    plumb_linear_params_init(&p);
    p.alpha = 10;
    p.l1_ratio = 1;
    m = train(f, &p);
    assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
    assert_int_equal(li.n_nonzero, 0);
    plumb_model_free(m);
    /* regression converges in one Newton step: squared error is quadratic */
    plumb_frame_free(f);
    free(csv);
    csv = make_data(1000, false, 22);
    f = read_text(csv, "y", NULL);
    plumb_linear_params_init(&p);
    m = train(f, &p);
    assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
    assert_true(li.converged);
    assert_int_equal(li.n_iterations, 1);
    assert_null(li.positive_class);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(csv);
}

/* Without a penalty, a category for every value and no missing ones make the design singular (their columns add
 * up to the intercept's): the fit still converges, to one of the equally good solutions. */
static void singular_design_without_penalty(void **state) {
    (void)state;
    plumb_frame *f = read_text("c,x,y\na,1,1.5\nb,2,2.5\na,3,2.9\nb,4,5.1\na,5,5.2\nb,7,8\n", "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.alpha = 0;
    plumb_model *m = train(f, &p);
    plumb_linear_info li;
    assert_int_equal(plumb_linear_describe(m, &li, NULL), PLUMB_OK);
    assert_true(li.converged);
    /* the fit is least squares: its residuals are orthogonal to x */
    double pred[6];
    assert_int_equal(plumb_model_predict(m, f, NULL, pred, NULL), PLUMB_OK);
    const double x[] = {1, 2, 3, 4, 5, 7}, y[] = {1.5, 2.5, 2.9, 5.1, 5.2, 8};
    double dot = 0;
    for (int i = 0; i < 6; i++)
        dot += (y[i] - pred[i]) * x[i];
    assert_true(fabs(dot) < 1e-6);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* ---- errors ----------------------------------------------------------------------------------------------------- */

static void bad_parameters(void **state) {
    (void)state;
    plumb_frame *f = read_text("x,y\n1,0\n2,1\n3,0\n4,1\n", "y", NULL);
    static const struct {
        int field;
        double value;
        const char *message;
    } cases[] = {
        {0, -1, "alpha must be a finite number >= 0"}, {0, INFINITY, "alpha must be a finite number >= 0"},
        {1, 1.5, "l1_ratio must be in [0, 1]"},        {1, NAN, "l1_ratio must be in [0, 1]"},
        {2, 0.5, "clip_quantile must be in [0, 0.5)"}, {3, -2, "min_category_weight must be a finite number >= 0"},
        {4, 0, "max_iter must be at least 1"},         {5, 0, "tol must be a finite number > 0"},
        {6, -1, "n_threads must be at least 0"},       {7, 9, "unknown task"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        plumb_linear_params p;
        plumb_linear_params_init(&p);
        switch (cases[k].field) {
        case 0:
            p.alpha = cases[k].value;
            break;
        case 1:
            p.l1_ratio = cases[k].value;
            break;
        case 2:
            p.clip_quantile = cases[k].value;
            break;
        case 3:
            p.min_category_weight = cases[k].value;
            break;
        case 4:
            p.max_iter = (int64_t)cases[k].value;
            break;
        case 5:
            p.tol = cases[k].value;
            break;
        case 6:
            p.n_threads = (int)cases[k].value;
            break;
        default:
            p.task = (plumb_task)cases[k].value;
            break;
        }
        expect_train_error(f, &p, PLUMB_EINVAL, cases[k].message);
    }
    plumb_frame_free(f);
}

static void bad_targets_weights_and_classes(void **state) {
    (void)state;
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    plumb_frame *f = read_text("x,y\n1,1\n2,1\n3,1\n", "y", NULL);
    p.task = PLUMB_TASK_BINARY;
    expect_train_error(f, &p, PLUMB_EINVAL, "target 'y' has only one class ('1'): logistic regression needs both");
    plumb_frame_free(f);

    f = read_text("x,w,y\n1,1,0\n2,0,1\n3,1,0\n", "y", "w");
    expect_train_error(f, &p, PLUMB_EINVAL,
                       "target 'y' has only one class ('0' with weight): logistic regression needs both");
    plumb_frame_free(f);

    f = read_text("x,w,y\n1,1,0\n2,-1,1\n", "y", "w");
    expect_train_error(f, &p, PLUMB_EINVAL, "weight 'w' is negative in data row 2");
    plumb_frame_free(f);
    f = read_text("x,w,y\n1,1,0\n2,,1\n", "y", "w");
    expect_train_error(f, &p, PLUMB_EINVAL, "weight 'w' is missing in data row 2");
    plumb_frame_free(f);
    f = read_text("x,w,y\n1,0,0\n2,0,1\n", "y", "w");
    expect_train_error(f, &p, PLUMB_EINVAL, "weights 'w' are all zero");
    plumb_frame_free(f);

    f = read_text("x,y\n1,0\n2,1\n3,\n", "y", NULL);
    expect_train_error(f, &p, PLUMB_EINVAL, "target 'y' is missing in data row 3");
    plumb_frame_free(f);
    f = read_text("x,y\n1,a\n2,b\n3,c\n", "y", NULL);
    expect_train_error(f, &p, PLUMB_EINVAL,
                       "target 'y' has 3 categories: a binary model needs exactly 2 (regression needs numbers)");
    plumb_frame_free(f);
    f = read_text("x,y\n1,0\n2,1\n", NULL, NULL);
    expect_train_error(f, &p, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    plumb_frame_free(f);
    f = read_text("x,y\n1,0\n1e39,1\n", "y", NULL);
    expect_train_error(f, &p, PLUMB_EINVAL, "column 'x' has an infinite value in data row 2");
    plumb_frame_free(f);
    f = read_text("x,y\n,0\n,1\n", "y", NULL);
    expect_train_error(f, &p, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
    plumb_frame_free(f);

    f = read_text("x,y\n1,good\n2,bad\n3,good\n", "y", NULL);
    p.class_weight = "good=2,ugly=1";
    expect_train_error(f, &p, PLUMB_EINVAL, "class weight 'ugly=1': 'ugly' is not a class of 'y' ('bad', 'good')");
    p.class_weight = "good=-1";
    expect_train_error(f, &p, PLUMB_EINVAL, "class weight 'good=-1': the weight must be a positive number");
    p.class_weight = "good";
    expect_train_error(f, &p, PLUMB_EINVAL, "class weight 'good' is not CLASS=WEIGHT (or give \"balanced\")");
    p.class_weight = "good=1,good=2";
    expect_train_error(f, &p, PLUMB_EINVAL, "class weight: class 'good' is given twice");
    p.class_weight = NULL;
    p.positive_class = "ok";
    expect_train_error(f, &p, PLUMB_EINVAL, "positive class 'ok' is not a category of 'y' ('bad', 'good')");
    plumb_frame_free(f);

    f = read_text("x,y\n1,0.5\n2,1.5\n", "y", NULL);
    plumb_linear_params_init(&p);
    p.class_weight = "balanced";
    expect_train_error(f, &p, PLUMB_EINVAL, "class weights need a binary target; 'y' is a regression target");
    plumb_frame_free(f);
}

static void scoring_errors(void **state) {
    (void)state;
    plumb_frame *f = read_text("x1,c,y\n1,a,0\n2,b,1\n3,a,0\n4,b,1\n", "y", NULL);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    plumb_model *m = train(f, &p);
    double out[4];
    plumb_error err;
    plumb_frame *s = read_text("c\na\n", NULL, NULL);
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "column 'x1' needed by the model is missing");
    plumb_frame_free(s);
    s = read_text("x1,c\na,a\n", NULL, NULL);
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "column 'x1' is categorical here but numeric in the training data");
    plumb_frame_free(s);
    s = read_text("x1,c\n1,1\n", NULL, NULL);
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "column 'c' is numeric here but categorical in the training data");
    plumb_frame_free(s);
    s = read_text("x1,c\n1,a\n1e39,b\n", NULL, NULL);
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "column 'x1' has an infinite value in data row 2");
    plumb_frame_free(s);
    plumb_model_free(m);
    plumb_frame_free(f);

    /* coefficients of a gradient-boosting model */
    f = read_text("x,y\n1,0\n2,1\n3,0\n4,1\n", "y", NULL);
    plumb_gbdt_params gp;
    plumb_gbdt_params_init(&gp);
    gp.num_iterations = 2;
    gp.min_data_in_leaf = 1;
    assert_int_equal(plumb_gbdt_train(f, NULL, &gp, &m, NULL), PLUMB_OK);
    const plumb_coefficient *co;
    int64_t n;
    assert_int_equal(plumb_model_coefficients(m, &co, &n, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the model is not linear: only linear models have coefficients");
    plumb_linear_info li;
    assert_int_equal(plumb_linear_describe(m, &li, &err), PLUMB_EINVAL);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* Class weights: 'balanced' equals explicit weights n / (2 n_class), and sample weights of 2 equal doubled rows. */
static void class_and_sample_weights(void **state) {
    (void)state;
    char *csv = make_data(300, true, 17);
    plumb_frame *f = read_text(csv, "y", NULL);
    const int64_t n = plumb_frame_n_rows(f);
    const double *y = plumb_frame_f64(f, plumb_frame_find(f, "y"));
    int64_t n1 = 0;
    for (int64_t i = 0; i < n; i++)
        n1 += y[i] == 1;
    char spec[128];
    snprintf(spec, sizeof spec, "0=%.17g,1=%.17g", (double)n / (2.0 * (double)(n - n1)),
             (double)n / (2.0 * (double)n1));
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.alpha = 0.01;
    p.class_weight = "balanced";
    plumb_model *a = train(f, &p);
    p.class_weight = spec;
    plumb_model *b = train(f, &p);
    for (int64_t j = 0; j < plumb__linear_of(a)->p; j++)
        assert_true(fabs(plumb__linear_of(a)->beta[j] - plumb__linear_of(b)->beta[j]) < 1e-12);
    plumb_model_free(a);
    plumb_model_free(b);
    plumb_frame_free(f);
    free(csv);

    /* weight 2 on a row = the row twice (statistics of the preprocessing included) */
    const char *weighted = "x,c,w,y\n1,a,2,0\n2,b,1,1\n3,a,1,0\n5,b,2,1\n4,a,1,1\n,b,1,0\n";
    const char *doubled = "x,c,w,y\n1,a,1,0\n1,a,1,0\n2,b,1,1\n3,a,1,0\n5,b,1,1\n5,b,1,1\n4,a,1,1\n,b,1,0\n";
    plumb_frame *fw = read_text(weighted, "y", "w"), *fd = read_text(doubled, "y", "w");
    plumb_linear_params_init(&p);
    p.alpha = 0.05;
    a = train(fw, &p);
    b = train(fd, &p);
    assert_int_equal(plumb__linear_of(a)->p, plumb__linear_of(b)->p);
    for (int64_t j = 0; j < plumb__linear_of(a)->p; j++)
        assert_true(fabs(plumb__linear_of(a)->beta[j] - plumb__linear_of(b)->beta[j]) < 1e-9);
    assert_true(plumb__linear_of(a)->inputs[0].center == plumb__linear_of(b)->inputs[0].center);
    assert_true(plumb__linear_of(a)->inputs[0].fill == plumb__linear_of(b)->inputs[0].fill);
    plumb_model_free(a);
    plumb_model_free(b);
    plumb_frame_free(fw);
    plumb_frame_free(fd);
}

PLUMB_TEST_MAIN(cmocka_unit_test(parity_golden), cmocka_unit_test(weighted_quantiles_clip_and_impute),
                cmocka_unit_test(design_columns_and_names), cmocka_unit_test(coefficients_on_both_scales_predict_alike),
                cmocka_unit_test(unseen_and_missing_at_scoring), cmocka_unit_test(save_load_round_trip),
                cmocka_unit_test(corrupted_model_files), cmocka_unit_test(threads_give_identical_models),
                cmocka_unit_test(converges_and_reports), cmocka_unit_test(singular_design_without_penalty),
                cmocka_unit_test(bad_parameters), cmocka_unit_test(bad_targets_weights_and_classes),
                cmocka_unit_test(scoring_errors), cmocka_unit_test(class_and_sample_weights))
