/* test_gbdt_tables.c -- gradient boosting on real-table needs: categorical splits, objectives, weights, monotone
 * constraints, continued training, importance and TreeSHAP contributions. */
#include "test.h"

#include "gbdt/gbdt.h"

#include <math.h>
#include <stdlib.h>

static plumb_frame *read_csv(const char *csv, const char *target, const plumb_schema *schema) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = target;
    o.display_name = "test.csv";
    o.schema = schema;
    o.schema_subset = schema && !target;
    return plumb_test_read(csv, &o);
}

static plumb_model *train(const plumb_frame *tr, const plumb_frame *va, const plumb_gbdt_params *p) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(tr, va, p, &m, &err), &err);
    return m;
}

static const char *const colours[] = {"amber", "blue", "coral", "denim", "ebony", "fawn", "green", "hazel"};

/* n rows: x (numeric), c (8 categories; ~3% missing), z (numeric noise), w (weight) and y: a category effect that
 * no order of the categories makes monotone, plus a smooth effect of x. Binary: y = [score > 0]. */
static char *make_table(int n, bool binary, uint64_t seed) {
    static const double effect[] = {1.0, -1.2, 0.8, -0.6, 1.4, -1.5, 0.1, -0.2};
    rng_state = seed;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x,c,z,w,y\n");
    for (int i = 0; i < n; i++) {
        const double x = rnd(), z = rnd();
        const int c = (int)(rnd() * 8);
        const bool miss = rnd() < 0.03;
        const double score = (miss ? 0.5 : effect[c]) + 2 * (x - 0.5) + 0.4 * (rnd() - 0.5);
        plumb_test_put(&b, "%.6f,%s,%.6f,%d,", x, miss ? "" : colours[c], z, 1 + (i % 3));
        if (binary)
            plumb_test_put(&b, "%d\n", score > 0);
        else
            plumb_test_put(&b, "%.6f\n", score);
    }
    return b.s;
}

static plumb_gbdt_params small_params(void) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 30;
    p.num_leaves = 8;
    p.min_data_in_leaf = 5;
    p.min_data_per_group = 5;
    p.n_threads = 2;
    return p;
}

/* ---- categorical splits ----------------------------------------------------------------------------------- */

static void categorical_splits_learn_sets(void **state) {
    (void)state;
    char *csv = make_table(3000, false, 7);
    plumb_frame *f = read_csv(csv, "y", NULL);
    plumb_gbdt_params p = small_params();
    plumb_model *m = train(f, NULL, &p);
    /* c is a feature (categorical), and the first tree splits it into a set that is not an interval of codes */
    assert_int_equal(m->n_features, 4);
    bool set_split = false;
    for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++)
        set_split |= plumb__gbdt_of(m)->trees[k].cat_begin != NULL;
    assert_true(set_split);
    /* the model explains the category effect: l2 well below the variance of the target (~1.1) */
    assert_true(plumb__gbdt_of(m)->train_metric < 0.08);
    /* unseen categories go where missing values go: a row with an unseen colour scores like a missing one */
    plumb_frame *g = read_csv("x,c,z,w\n0.5,,0.5,1\n0.5,purple,0.5,1\n0.5,blue,0.5,1\n", NULL, plumb_model_schema(m));
    double pred[3];
    assert_int_equal(plumb_model_predict(m, g, NULL, pred, NULL), PLUMB_OK);
    assert_true(pred[0] == pred[1]);
    assert_true(fabs(pred[2] - (-1.2)) < 0.3);
    /* a frame read without the model's schema has its own dictionary: codes are remapped by name */
    plumb_frame *h = read_csv("x,c,z,w\n0.5,,0.5,1\n0.5,purple,0.5,1\n0.5,blue,0.5,1\n", NULL, NULL);
    double again[3];
    assert_int_equal(plumb_model_predict(m, h, NULL, again, NULL), PLUMB_OK);
    assert_memory_equal(pred, again, sizeof pred);
    /* save and load keep the categorical splits */
    char *path = plumb_test_temp_file("");
    plumb_model *l = NULL;
    assert_int_equal(plumb_model_save(m, path, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_load(path, &l, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(l, h, NULL, again, NULL), PLUMB_OK);
    assert_memory_equal(pred, again, sizeof pred);
    unlink(path);
    free(path);
    plumb_model_free(l);
    plumb_frame_free(h);
    plumb_frame_free(g);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(csv);
}

/* ---- objectives ------------------------------------------------------------------------------------------- */

/* Mean of loss over the rows of f with the model's predictions; kind: 'q' pinball at alpha, 'p' poisson
 * deviance part mu - y log mu, 'a' absolute error. */
static double mean_loss(const plumb_model *m, const plumb_frame *f, char kind, double alpha) {
    const int64_t n = plumb_frame_n_rows(f);
    double *pred = malloc((size_t)n * sizeof *pred), sum = 0;
    assert_int_equal(plumb_model_predict(m, f, NULL, pred, NULL), PLUMB_OK);
    const double *y = plumb_frame_f64(f, plumb_frame_find(f, "y"));
    for (int64_t i = 0; i < n; i++) {
        const double r = y[i] - pred[i];
        sum += kind == 'q'   ? (r >= 0 ? alpha * r : (alpha - 1) * r)
               : kind == 'p' ? pred[i] - y[i] * log(pred[i])
                             : fabs(r);
    }
    free(pred);
    return sum / (double)n;
}

static void quantile_and_l1_fit_their_quantiles(void **state) {
    (void)state;
    /* y = x + skewed noise: the 0.9-quantile model leaves about 90% of the rows below it */
    rng_state = 3;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x,y\n");
    for (int i = 0; i < 4000; i++) {
        const double x = rnd(), e = -log(1 - rnd());
        plumb_test_put(&b, "%.6f,%.6f\n", x, 3 * x + e);
    }
    plumb_frame *f = read_csv(b.s, "y", NULL);
    plumb_gbdt_params p = small_params();
    p.objective = PLUMB_OBJECTIVE_QUANTILE;
    p.alpha = 0.9;
    plumb_model *q = train(f, NULL, &p);
    const int64_t n = plumb_frame_n_rows(f);
    double *pred = malloc((size_t)n * sizeof *pred);
    assert_int_equal(plumb_model_predict(q, f, NULL, pred, NULL), PLUMB_OK);
    const double *y = plumb_frame_f64(f, 1);
    int64_t below = 0;
    for (int64_t i = 0; i < n; i++)
        below += y[i] <= pred[i];
    assert_true(fabs((double)below / (double)n - 0.9) < 0.03);
    /* it beats the l2 model on its own loss, and l1 beats l2 on absolute error */
    p.objective = PLUMB_OBJECTIVE_L2;
    plumb_model *l2 = train(f, NULL, &p);
    p.objective = PLUMB_OBJECTIVE_L1;
    plumb_model *l1 = train(f, NULL, &p);
    assert_true(mean_loss(q, f, 'q', 0.9) < 0.8 * mean_loss(l2, f, 'q', 0.9));
    assert_true(mean_loss(l1, f, 'a', 0) < mean_loss(l2, f, 'a', 0));
    assert_string_equal(plumb__gbdt_of(q)->metric, "quantile");
    free(pred);
    plumb_model_free(q);
    plumb_model_free(l2);
    plumb_model_free(l1);
    plumb_frame_free(f);
    free(b.s);
}

static void poisson_fits_counts(void **state) {
    (void)state;
    /* counts with mean exp(1.5 x - 0.5): poisson predictions are positive means and beat l2 on deviance */
    rng_state = 11;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x,y\n");
    for (int i = 0; i < 8000; i++) {
        const double x = rnd(), mu = exp(2.5 * x - 1);
        int k = 0;
        for (double t = -log(1 - rnd()); t < mu; t += -log(1 - rnd()))
            k++;
        plumb_test_put(&b, "%.6f,%d\n", x, k);
    }
    plumb_frame *all = read_csv(b.s, "y", NULL), *f = NULL, *test = NULL;
    int64_t rows[8000];
    for (int i = 0; i < 8000; i++)
        rows[i] = i;
    assert_int_equal(plumb_frame_take(all, rows, 4000, &f, NULL), PLUMB_OK);
    assert_int_equal(plumb_frame_take(all, rows + 4000, 4000, &test, NULL), PLUMB_OK);
    plumb_gbdt_params p = small_params();
    p.objective = PLUMB_OBJECTIVE_POISSON;
    p.num_iterations = 150; /* the hessian e^(s + 0.7) halves the first steps */
    plumb_model *m = train(f, NULL, &p);
    plumb_frame *g = read_csv("x\n0.05\n0.95\n", NULL, plumb_model_schema(m));
    double pred[2];
    assert_int_equal(plumb_model_predict(m, g, NULL, pred, NULL), PLUMB_OK);
    assert_true(pred[0] > 0 && fabs(pred[0] - exp(2.5 * 0.05 - 1)) < 0.15);
    assert_true(fabs(pred[1] - exp(2.5 * 0.95 - 1)) < 1.0);
    p.objective = PLUMB_OBJECTIVE_L2;
    plumb_model *l2 = train(f, NULL, &p);
    double *l2pred = malloc(4000 * sizeof *l2pred);
    assert_int_equal(plumb_model_predict(l2, test, NULL, l2pred, NULL), PLUMB_OK);
    bool positive = true;
    for (int i = 0; i < 4000; i++)
        positive &= l2pred[i] > 0;
    if (positive) /* deviance is defined for l2's predictions only when they are all positive */
        assert_true(mean_loss(m, test, 'p', 0) <= mean_loss(l2, test, 'p', 0));
    /* negative counts are refused */
    plumb_frame *bad = read_csv("x,y\n1,2\n2,-1\n", "y", NULL);
    plumb_error err;
    plumb_model *none = NULL;
    p.objective = PLUMB_OBJECTIVE_POISSON;
    assert_int_equal(plumb_gbdt_train(bad, NULL, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "poisson needs targets >= 0: -1 in data row 2");
    /* in the validation data too: their deviance would be a meaningless number */
    plumb_frame *good = read_csv("x,y\n1,2\n2,1\n3,0\n", "y", NULL);
    assert_int_equal(plumb_gbdt_train(good, bad, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "poisson needs targets >= 0: -1 in validation data row 2");
    assert_null(none);
    free(l2pred);
    plumb_frame_free(good);
    plumb_frame_free(bad);
    plumb_frame_free(g);
    plumb_model_free(l2);
    plumb_model_free(m);
    plumb_frame_free(f);
    plumb_frame_free(test);
    plumb_frame_free(all);
    free(b.s);
}

static void multiclass_softmax(void **state) {
    (void)state;
    /* three classes by region of (x, z), with the categorical c adding evidence */
    rng_state = 5;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x,z,c,y\n");
    for (int i = 0; i < 3000; i++) {
        const double x = rnd(), z = rnd();
        const int k = x + 0.1 * (rnd() - 0.5) < 0.4 ? 0 : z < 0.5 ? 1 : 2;
        plumb_test_put(&b, "%.6f,%.6f,%s,%s\n", x, z, colours[(k * 2 + (rnd() < 0.5)) % 8],
                       k == 0   ? "low"
                       : k == 1 ? "mid"
                                : "top");
    }
    plumb_frame *f = read_csv(b.s, "y", NULL);
    plumb_gbdt_params p = small_params();
    plumb_model *m = train(f, NULL, &p);
    plumb_model_info info;
    plumb_model_describe(m, &info);
    assert_int_equal(info.task, PLUMB_TASK_MULTICLASS);
    assert_int_equal(info.n_outputs, 3);
    assert_int_equal(info.n_trees, 3 * 30);
    assert_string_equal(info.metric, "multi_logloss");
    const int64_t n = plumb_frame_n_rows(f);
    double *prob = malloc((size_t)(3 * n) * sizeof *prob);
    assert_int_equal(plumb_model_predict(m, f, NULL, prob, NULL), PLUMB_OK);
    const int32_t *y = plumb_frame_codes(f, plumb_frame_find(f, "y"));
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++) {
        const double *q = prob + 3 * i;
        assert_true(fabs(q[0] + q[1] + q[2] - 1) < 1e-12);
        const int best = q[0] >= q[1] && q[0] >= q[2] ? 0 : q[1] >= q[2] ? 1 : 2;
        right += best == y[i];
    }
    assert_true((double)right / (double)n > 0.95);
    free(prob);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(b.s);
}

/* ---- weights ---------------------------------------------------------------------------------------------- */

static void weights_count_rows(void **state) {
    (void)state;
    /* weight 0 rows do not move the model: training with them equals training without them (up to the
     * gradient quantization, whose scale depends on the row count) */
    char *csv = make_table(2000, false, 21);
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    o.weight_col = "w";
    plumb_frame *f = NULL;
    assert_int_equal(plumb_frame_read_buffer(csv, strlen(csv), &o, &f, NULL), PLUMB_OK);
    plumb_gbdt_params p = small_params();
    p.min_data_in_leaf = 1;
    plumb_model *weighted = train(f, NULL, &p);
    assert_int_equal(weighted->n_features, 3); /* the weight column is not a feature */
    /* a weighted constant: the initial score is the weighted mean */
    const double *y = plumb_frame_f64(f, plumb_frame_find(f, "y")), *w = plumb_frame_f64(f, plumb_frame_find(f, "w"));
    double sw = 0, swy = 0;
    for (int64_t i = 0; i < 2000; i++)
        sw += w[i], swy += w[i] * y[i];
    assert_true(fabs(plumb__gbdt_of(weighted)->init_score[0] - swy / sw) < 1e-12);
    /* weights 0 and 1 against dropping the zero-weight rows */
    plumb_test_text zero = {0}, kept = {0};
    plumb_test_put(&zero, "x,c,z,w,y\n");
    plumb_test_put(&kept, "x,c,z,w,y\n");
    const char *line = strchr(csv, '\n') + 1;
    for (int i = 0; *line; i++) {
        const char *end = strchr(line, '\n');
        char row[256];
        snprintf(row, sizeof row, "%.*s", (int)(end - line), line);
        char *wpos = row;
        for (int commas = 0; commas < 3; wpos++)
            commas += *wpos == ',';
        *wpos = i % 4 == 0 ? '0' : '1';
        plumb_test_put(&zero, "%s\n", row);
        if (i % 4)
            plumb_test_put(&kept, "%s\n", row);
        line = end + 1;
    }
    plumb_frame *fz = NULL, *fk = NULL;
    assert_int_equal(plumb_frame_read_buffer(zero.s, zero.len, &o, &fz, NULL), PLUMB_OK);
    assert_int_equal(plumb_frame_read_buffer(kept.s, kept.len, &o, &fk, NULL), PLUMB_OK);
    plumb_model *mz = train(fz, NULL, &p), *mk = train(fk, NULL, &p);
    double pz[1500], pk[1500];
    assert_int_equal(plumb_model_predict(mz, fk, NULL, pz, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(mk, fk, NULL, pk, NULL), PLUMB_OK);
    double diff = 0;
    for (int i = 0; i < 1500; i++)
        diff = fmax(diff, fabs(pz[i] - pk[i]));
    assert_true(diff < 0.05);
    assert_true(fabs(plumb__gbdt_of(mz)->train_metric - plumb__gbdt_of(mk)->train_metric) <
                0.01 * plumb__gbdt_of(mk)->train_metric + 1e-3);
    plumb_model_free(mz);
    plumb_model_free(mk);
    plumb_frame_free(fz);
    plumb_frame_free(fk);
    free(zero.s);
    free(kept.s);
    plumb_model_free(weighted);
    plumb_frame_free(f);
    free(csv);
}

/* ---- monotone constraints --------------------------------------------------------------------------------- */

static void monotone_on_a_dense_grid(void **state) {
    (void)state;
    /* y rises with x overall but wiggles down locally: unconstrained trees follow the wiggle, constrained ones
     * must not; checked on a grid of 400 values of x for 50 random other rows, both directions */
    rng_state = 9;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x,z,y\n");
    for (int i = 0; i < 3000; i++) {
        const double x = rnd(), z = rnd();
        plumb_test_put(&b, "%.6f,%.6f,%.6f\n", x, z, 2 * x - 0.6 * sin(25 * x) + z * x + 0.2 * (rnd() - 0.5));
    }
    plumb_frame *f = read_csv(b.s, "y", NULL);
    for (int dir = -1; dir <= 1; dir += 2) {
        plumb_gbdt_params p = small_params();
        p.num_iterations = 60;
        p.num_leaves = 16;
        const plumb_monotone mono = {"x", dir};
        p.monotone = &mono;
        p.n_monotone = 1;
        plumb_model *m = train(f, NULL, &p);
        plumb_test_text g = {0};
        plumb_test_put(&g, "x,z\n");
        for (int r = 0; r < 50; r++) {
            const double z = rnd();
            for (int k = 0; k < 400; k++)
                plumb_test_put(&g, "%.6f,%.6f\n", -0.1 + 1.2 * k / 399.0, z);
        }
        plumb_frame *gf = read_csv(g.s, NULL, plumb_model_schema(m));
        double *pred = malloc(50 * 400 * sizeof *pred);
        assert_int_equal(plumb_model_predict(m, gf, NULL, pred, NULL), PLUMB_OK);
        for (int r = 0; r < 50; r++)
            for (int k = 1; k < 400; k++) {
                const double step = pred[r * 400 + k] - pred[r * 400 + k - 1];
                if (dir * step < 0)
                    fail_msg("direction %d: prediction moves the wrong way at grid point %d of row %d", dir, k, r);
            }
        free(pred);
        plumb_frame_free(gf);
        free(g.s);
        plumb_model_free(m);
    }
    /* a constraint on a categorical column, or on a column that is not a feature, is refused */
    char *csv = make_table(200, false, 1);
    plumb_frame *t = read_csv(csv, "y", NULL);
    plumb_gbdt_params p = small_params();
    plumb_monotone mono = {"c", 1};
    p.monotone = &mono;
    p.n_monotone = 1;
    plumb_model *none = NULL;
    plumb_error err;
    assert_int_equal(plumb_gbdt_train(t, NULL, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "monotone constraint on 'c': it is categorical, with no order");
    mono.column = "nope";
    assert_int_equal(plumb_gbdt_train(t, NULL, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "monotone constraint on 'nope', which is not a feature");
    plumb_frame_free(t);
    free(csv);
    plumb_frame_free(f);
    free(b.s);
}

/* ---- continued training ----------------------------------------------------------------------------------- */

static void init_model_continues_exactly(void **state) {
    (void)state;
    /* 20 iterations, then 20 more from that model, make the same trees as 40 at once */
    char *csv = make_table(2000, true, 4);
    plumb_frame *f = read_csv(csv, "y", NULL);
    plumb_gbdt_params p = small_params();
    p.num_iterations = 40;
    plumb_model *whole = train(f, NULL, &p);
    p.num_iterations = 20;
    plumb_model *first = train(f, NULL, &p);
    p.init_model = first;
    plumb_model *second = train(f, NULL, &p);
    assert_int_equal(plumb__gbdt_of(second)->n_trees, 40);
    double a[2000], b[2000];
    assert_int_equal(plumb_model_predict(whole, f, NULL, a, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(second, f, NULL, b, NULL), PLUMB_OK);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(plumb__gbdt_of(second)->init_iterations, 20);
    /* another objective cannot continue it */
    p.objective = PLUMB_OBJECTIVE_L2;
    p.task = PLUMB_TASK_REGRESSION;
    plumb_model *none = NULL;
    plumb_error err;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the init model's objective is 'binary' with 1 outputs, not 'l2' with 1");
    plumb_model_free(whole);
    plumb_model_free(first);
    plumb_model_free(second);
    plumb_frame_free(f);
    free(csv);
}

/* ---- metrics and early stopping ---------------------------------------------------------------------------- */

static void auc_metric_stops_at_its_best(void **state) {
    (void)state;
    char *a = make_table(2000, true, 12), *b = make_table(800, true, 13);
    plumb_frame *tr = read_csv(a, "y", NULL), *va = read_csv(b, "y", NULL);
    plumb_gbdt_params p = small_params();
    p.num_iterations = 200;
    p.num_leaves = 31;
    p.min_data_in_leaf = 2;
    p.metric = "auc";
    p.early_stopping_rounds = 10;
    plumb_model *m = train(tr, va, &p);
    assert_string_equal(plumb__gbdt_of(m)->metric, "auc");
    /* the best iteration has the highest validation AUC of those trained */
    for (int64_t i = 0; i < plumb__gbdt_of(m)->n_iterations; i++)
        assert_true(plumb__gbdt_of(m)->valid_metric[i] <=
                    plumb__gbdt_of(m)->valid_metric[plumb__gbdt_of(m)->best_iteration - 1]);
    assert_true(plumb__gbdt_of(m)->valid_metric[plumb__gbdt_of(m)->best_iteration - 1] > 0.9);
    p.metric = "l2";
    plumb_model *none = NULL;
    plumb_error err;
    assert_int_equal(plumb_gbdt_train(tr, va, &p, &none, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "metric 'l2' does not apply to a binary model");
    plumb_model_free(m);
    plumb_frame_free(tr);
    plumb_frame_free(va);
    free(a);
    free(b);
}

static void one_class_target_is_not_nan(void **state) {
    (void)state;
    /* a time split's early window may hold no positive: the model predicts (almost) zero, never NaN */
    plumb_frame *f = read_csv("x,y\n1,0\n2,0\n3,0\n4,0\n", "y", NULL);
    plumb_gbdt_params p = small_params();
    p.min_data_in_leaf = 1;
    plumb_model *m = train(f, NULL, &p);
    double pred[4];
    assert_int_equal(plumb_model_predict(m, f, NULL, pred, NULL), PLUMB_OK);
    for (int i = 0; i < 4; i++)
        assert_true(pred[i] >= 0 && pred[i] < 1e-9);
    plumb_model_free(m);
    plumb_frame_free(f);
}

static void calibration_is_kept_and_applied(void **state) {
    (void)state;
    /* isotonic calibration on held-out rows: on those rows the calibrated probabilities average to the positive
     * rate (pool-adjacent-violators preserves the mean; centring the blocks and their (k + 1/2) / (n + 1) estimate
     * move it a little), none is 0 or 1; the model file keeps the map */
    char *a = make_table(2000, true, 31), *b = make_table(1000, true, 32);
    plumb_frame *tr = read_csv(a, "y", NULL), *va = read_csv(b, "y", NULL);
    plumb_gbdt_params p = small_params();
    plumb_model *m = train(tr, NULL, &p);
    double before[1000], after[1000], again[1000];
    assert_int_equal(plumb_model_predict(m, va, NULL, before, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_calibrate(m, va, PLUMB_CALIBRATION_ISOTONIC, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(m, va, NULL, after, NULL), PLUMB_OK);
    const double *y = plumb_frame_f64(va, plumb_frame_find(va, "y"));
    double mean_y = 0, mean_p = 0;
    for (int i = 0; i < 1000; i++)
        mean_y += y[i] / 1000, mean_p += after[i] / 1000;
    assert_true(fabs(mean_y - mean_p) < 0.005);
    for (int i = 0; i < 1000; i++)
        assert_true(after[i] > 0 && after[i] < 1);
    assert_true(memcmp(before, after, sizeof before) != 0);
    char *path = plumb_test_temp_file("");
    plumb_model *l = NULL;
    assert_int_equal(plumb_model_save(m, path, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_load(path, &l, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(l, va, NULL, again, NULL), PLUMB_OK);
    assert_memory_equal(after, again, sizeof after);
    /* Platt: a sigmoid of the probability, still increasing in it */
    assert_int_equal(plumb_model_calibrate(m, va, PLUMB_CALIBRATION_PLATT, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(m, va, NULL, after, NULL), PLUMB_OK);
    for (int i = 1; i < 1000; i++)
        assert_true((before[i] - before[0]) * (after[i] - after[0]) >= 0);
    unlink(path);
    free(path);
    plumb_model_free(l);
    plumb_model_free(m);
    plumb_frame_free(tr);
    plumb_frame_free(va);
    free(a);
    free(b);
}

/* ---- TreeSHAP --------------------------------------------------------------------------------------------- */

/* v(S): the tree's expected output with the features in S (bit mask) fixed to the row's bins, the others
 * following both branches in proportion to their training rows. */
static double cond_expectation(const plumb__gbdt_tree *t, int32_t c, const uint16_t *bins, unsigned S) {
    if (c < 0)
        return t->leaf_value[~c];
    const int32_t l = t->left[c], r = t->right[c];
    if (S >> t->feature[c] & 1)
        return cond_expectation(t, plumb__gbdt_tree_left(t, c, bins[t->feature[c]]) ? l : r, bins, S);
    const double cl = (double)(l >= 0 ? t->node_count[l] : t->leaf_count[~l]);
    const double cr = (double)(r >= 0 ? t->node_count[r] : t->leaf_count[~r]);
    return (cl * cond_expectation(t, l, bins, S) + cr * cond_expectation(t, r, bins, S)) / (cl + cr);
}

static void treeshap_equals_brute_force_shapley(void **state) {
    (void)state;
    char *csv = make_table(1500, true, 17);
    plumb_frame *f = read_csv(csv, "y", NULL);
    plumb_gbdt_params p = small_params();
    p.num_iterations = 5;
    p.num_leaves = 12;
    plumb_model *m = train(f, NULL, &p);
    const int F = (int)m->n_features, W = F + 1, rows = 40;
    double *phi = malloc((size_t)(plumb_frame_n_rows(f) * W) * sizeof *phi);
    double *raw = malloc((size_t)plumb_frame_n_rows(f) * sizeof *raw);
    assert_int_equal(plumb_model_contrib(m, f, NULL, phi, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(m, f, &(plumb_predict_options){.raw = true}, raw, NULL), PLUMB_OK);
    plumb__fcol *cols = NULL;
    assert_int_equal(plumb__model_bind(m, f, &cols, NULL), PLUMB_OK);
    double fact[8] = {1};
    for (int k = 1; k < 8; k++)
        fact[k] = fact[k - 1] * k;
    for (int i = 0; i < plumb_frame_n_rows(f); i++) {
        /* efficiency: contributions and bias add up to the raw score */
        double sum = 0;
        for (int j = 0; j < W; j++)
            sum += phi[i * W + j];
        assert_true(fabs(sum - raw[i]) < 1e-9);
        if (i >= rows)
            continue;
        /* exact Shapley values over all subsets of the features */
        uint16_t bins[8];
        for (int j = 0; j < F; j++)
            bins[j] = plumb__feature_bin(&plumb__gbdt_of(m)->features[j], &cols[j], i);
        for (int j = 0; j < F; j++) {
            double want = 0;
            for (unsigned S = 0; S < 1u << F; S++) {
                if (S >> j & 1)
                    continue;
                const int s = __builtin_popcount(S);
                double dv = 0;
                for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++)
                    dv += cond_expectation(&plumb__gbdt_of(m)->trees[k],
                                           plumb__gbdt_of(m)->trees[k].n_leaves > 1 ? 0 : ~0, bins, S | 1u << j) -
                          cond_expectation(&plumb__gbdt_of(m)->trees[k],
                                           plumb__gbdt_of(m)->trees[k].n_leaves > 1 ? 0 : ~0, bins, S);
                want += fact[s] * fact[F - s - 1] / fact[F] * dv;
            }
            if (fabs(phi[i * W + j] - want) > 1e-9)
                fail_msg("row %d feature %d: TreeSHAP %.12g, exact Shapley %.12g", i, j, phi[i * W + j], want);
        }
    }
    plumb__sources_free(cols, F);
    /* importance: every split counted once, gains positive */
    plumb_importance imp[8];
    assert_int_equal(plumb_model_importance(m, imp, NULL), PLUMB_OK);
    int64_t splits = 0, want_splits = 0;
    for (int j = 0; j < F; j++)
        splits += imp[j].splits;
    for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++)
        want_splits += plumb__gbdt_of(m)->trees[k].n_leaves - 1;
    assert_int_equal(splits, want_splits);
    free(phi);
    free(raw);
    plumb_model_free(m);
    plumb_frame_free(f);
    free(csv);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(categorical_splits_learn_sets),
        cmocka_unit_test(quantile_and_l1_fit_their_quantiles),
        cmocka_unit_test(poisson_fits_counts),
        cmocka_unit_test(multiclass_softmax),
        cmocka_unit_test(weights_count_rows),
        cmocka_unit_test(monotone_on_a_dense_grid),
        cmocka_unit_test(init_model_continues_exactly),
        cmocka_unit_test(auc_metric_stops_at_its_best),
        cmocka_unit_test(one_class_target_is_not_nan),
        cmocka_unit_test(calibration_is_kept_and_applied),
        cmocka_unit_test(treeshap_equals_brute_force_shapley),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
