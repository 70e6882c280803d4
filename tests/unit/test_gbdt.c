/* test_gbdt.c -- gradient boosting: objectives, split finding, tree invariants, determinism, the model file. */
#include "test.h"

#include "gbdt/gbdt.h"
#include "gbdt/objective.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------------------------- */

static plumb_frame *read_text(const char *csv, const char *target) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = target;
    o.display_name = "test.csv";
    return plumb_test_read(csv, &o);
}

/* A generated problem: n rows, f features in [0,1) with ~5% missing in feature 0, a nonlinear target
 * (binary: a noisy threshold of it). Returns CSV text (free it). */
static char *make_data(int n, int f, bool binary, uint64_t seed) {
    rng_state = seed;
    size_t cap = (size_t)n * (size_t)(f + 1) * 24 + 256, len = 0;
    char *s = malloc(cap);
    for (int j = 0; j < f; j++)
        len += (size_t)snprintf(s + len, cap - len, "x%d,", j);
    len += (size_t)snprintf(s + len, cap - len, "y\n");
    double *x = malloc((size_t)f * sizeof *x);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < f; j++) {
            x[j] = rnd();
            if (j == 0 && rnd() < 0.05)
                len += (size_t)snprintf(s + len, cap - len, ",");
            else
                len += (size_t)snprintf(s + len, cap - len, "%.6f,", x[j]);
        }
        double z = sin(6 * x[0]) + (x[1] > 0.5 ? x[2] : -x[2]) + 0.3 * (rnd() - 0.5);
        if (binary)
            len += (size_t)snprintf(s + len, cap - len, "%d\n", z > 0.2);
        else
            len += (size_t)snprintf(s + len, cap - len, "%.6f\n", z);
    }
    free(x);
    return s;
}

static plumb_model *train(const plumb_frame *tr, const plumb_frame *va, const plumb_gbdt_params *p) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(tr, va, p, &m, &err), &err);
    return m;
}

/* ---- objectives ------------------------------------------------------------------------------------------- */

static void gradients_match_finite_differences(void **state) {
    (void)state;
    /* the gradient is the loss's derivative (half of it for squared error: the factor 2 goes into the learning
     * rate); the hessian is the gradient's derivative where the loss has curvature (binary, l2, poisson without
     * its max_delta_step), and 1 where it has none */
    const plumb__objective objs[] = {{PLUMB_OBJECTIVE_BINARY, 0, 0},  {PLUMB_OBJECTIVE_L2, 0, 0},
                                     {PLUMB_OBJECTIVE_L1, 0, 0},      {PLUMB_OBJECTIVE_HUBER, 1.5, 0},
                                     {PLUMB_OBJECTIVE_POISSON, 0, 0}, {PLUMB_OBJECTIVE_QUANTILE, 0.8, 0}};
    const double scores[] = {-7.5, -1.2, -0.01, 0.3, 2.0, 9.0};
    const double labels[] = {0, 1, 3.7};
    for (size_t o = 0; o < sizeof objs / sizeof *objs; o++) {
        for (size_t yi = 0; yi < 3; yi++) {
            if (objs[o].kind == PLUMB_OBJECTIVE_BINARY && yi == 2)
                continue;
            for (size_t k = 0; k < sizeof scores / sizeof *scores; k++) {
                const double s = scores[k], y = labels[yi], eps = 1e-5;
                double g, h, g1, g2, h1, h2;
                plumb__objective_eval(&objs[o], y, s, &g, &h);
                const double lp = plumb__objective_eval(&objs[o], y, s + eps, &g1, &h1);
                const double lm = plumb__objective_eval(&objs[o], y, s - eps, &g2, &h2);
                const double scale = objs[o].kind == PLUMB_OBJECTIVE_L2 ? 0.5 : 1.0;
                const double tol = 1e-6 * fmax(1, fabs(g));
                if (fabs(scale * (lp - lm) / (2 * eps) - g) > tol)
                    fail_msg("objective %s y %g s %g: gradient %g, loss derivative %g",
                             plumb_objective_name(objs[o].kind), y, s, g, scale * (lp - lm) / (2 * eps));
                const plumb_objective kd = objs[o].kind;
                if (kd == PLUMB_OBJECTIVE_BINARY || kd == PLUMB_OBJECTIVE_L2 || kd == PLUMB_OBJECTIVE_POISSON)
                    assert_true(fabs((g1 - g2) / (2 * eps) - h) < 1e-5 * fmax(1, h));
                else
                    assert_true(h == 1);
                /* the fast gradient agrees with the full evaluation */
                double gf, hf;
                plumb__objective_grad(&objs[o], y, s, &gf, &hf);
                assert_true(fabs(gf - g) < 1e-12 * fmax(1, fabs(g)) && fabs(hf - h) < 1e-12 * fmax(1, h));
            }
        }
    }
    /* the stable log-loss does not overflow */
    double g, h;
    const plumb__objective bin = {PLUMB_OBJECTIVE_BINARY, 0, 0};
    assert_true(isfinite(plumb__objective_eval(&bin, 1, -800, &g, &h)));
    assert_true(fabs(plumb__objective_eval(&bin, 1, -800, &g, &h) - 800) < 1e-9);
}

/* ---- a model small enough to check by hand ---------------------------------------------------------------- */

static void hand_computed_stump(void **state) {
    (void)state;
    plumb_frame *f = read_text("x,y\n1,0\n2,0\n3,1\n4,1\n", "y");
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.task = PLUMB_TASK_REGRESSION;
    p.num_iterations = 1;
    p.num_leaves = 2;
    p.min_data_in_leaf = 1;
    p.learning_rate = 1;
    plumb_model *m = train(f, NULL, &p);
    /* init 0.5; gradients 0.5, 0.5, -0.5, -0.5; the split between 2 and 3 (cut at 2.5) gives leaves -0.5, +0.5 */
    assert_int_equal(plumb__gbdt_of(m)->n_trees, 1);
    assert_int_equal(plumb__gbdt_of(m)->trees[0].n_leaves, 2);
    assert_true(plumb__gbdt_of(m)->trees[0].threshold[0] == 2.5f);
    assert_true(plumb__gbdt_of(m)->init_score[0] == 0.5);
    plumb_frame *g = read_text("x,y\n2.4,0\n2.6,0\n,0\n-100,0\n100,0\n", "y");
    double pred[5];
    assert_int_equal(plumb_model_predict(m, g, NULL, pred, NULL), PLUMB_OK);
    assert_true(pred[0] == 0.0 && pred[1] == 1.0 && pred[3] == 0.0 && pred[4] == 1.0);
    /* no missing value in training: missing goes to the larger side (a tie: left) */
    assert_true(pred[2] == 0.0);
    plumb_frame_free(g);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* ---- split finding against brute force -------------------------------------------------------------------- */

/* Exact gain (l2 = 0.5) of sending x <= thr (and missing values when ml) left, or -INFINITY when a side has fewer
 * than 5 rows; gradients g = mean - y, hessians 1, as for the first tree of a regression. */
static double exact_gain(const float *x, const double *y, int64_t n, double mean, float thr, int ml) {
    double GL = 0, HL = 0, G = 0, H = 0;
    for (int64_t i = 0; i < n; i++) {
        const double g = mean - y[i];
        G += g, H += 1;
        if (isnan(x[i]) ? ml : x[i] <= thr)
            GL += g, HL += 1;
    }
    if (HL < 5 || H - HL < 5)
        return -INFINITY;
    return GL * GL / (HL + 0.5) + (G - GL) * (G - GL) / (H - HL + 0.5) - G * G / (H + 0.5);
}

/* Histograms sum quantized gradients (15 bits here), so the split found must be the best one up to that
 * precision: its exact gain within 1e-4 of the brute-force best over every cut of every feature, and the gain the
 * tree records within 1e-3 of its exact gain. */
static void split_matches_brute_force(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        char *csv = make_data(150, 3, false, seed);
        plumb_frame *f = read_text(csv, "y");
        free(csv);
        plumb_gbdt_params p;
        plumb_gbdt_params_init(&p);
        p.num_iterations = 1;
        p.num_leaves = 2;
        p.min_data_in_leaf = 5;
        p.learning_rate = 1;
        p.lambda_l2 = 0.5;
        plumb_model *m = train(f, NULL, &p);
        const int64_t n = plumb_frame_n_rows(f);
        const double *y = plumb_frame_f64(f, plumb_frame_find(f, "y"));
        double mean = 0;
        for (int64_t i = 0; i < n; i++)
            mean += y[i];
        mean /= (double)n;
        double best = -INFINITY;
        for (int j = 0; j < 3; j++) {
            const float *x = plumb_frame_f32(f, j);
            for (int64_t a = 0; a < n; a++)
                for (int ml = 0; ml < 2 && !isnan(x[a]); ml++)
                    best = fmax(best, exact_gain(x, y, n, mean, x[a], ml));
        }
        const plumb__gbdt_tree *t = &plumb__gbdt_of(m)->trees[0];
        assert_int_equal(t->n_leaves, 2);
        const float *x = plumb_frame_f32(f, plumb__gbdt_of(m)->features[t->feature[0]].column);
        const double chosen = exact_gain(x, y, n, mean, t->threshold[0], t->missing_left[0]);
        assert_true(chosen >= best - 1e-4 * fabs(best));
        assert_true(fabs(t->gain[0] - chosen) <= 1e-3 * fabs(chosen));
        plumb_model_free(m);
        plumb_frame_free(f);
    }
}

/* ---- tree invariants and determinism ---------------------------------------------------------------------- */

/* min_data_in_leaf is exact when hessians are constant (regression); for log-loss it is estimated from the
 * hessians, as in LightGBM, so a leaf may hold a few rows fewer. */
static void check_invariants(const plumb_model *m, const plumb_gbdt_params *p, int64_t n_rows) {
    const int64_t min_rows = m->task == PLUMB_TASK_REGRESSION ? p->min_data_in_leaf : 1;
    for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++) {
        const plumb__gbdt_tree *t = &plumb__gbdt_of(m)->trees[k];
        assert_true(t->n_leaves >= 1 && t->n_leaves <= p->num_leaves);
        int64_t rows = 0;
        for (int32_t l = 0; l < t->n_leaves; l++) {
            assert_true(t->leaf_count[l] >= min_rows);
            assert_true(isfinite(t->leaf_value[l]));
            rows += t->leaf_count[l];
        }
        assert_int_equal(rows, n_rows);
        for (int32_t i = 0; i < t->n_leaves - 1; i++) {
            assert_true(t->gain[i] > 0);
            const int64_t left = t->left[i] >= 0 ? t->node_count[t->left[i]] : t->leaf_count[~t->left[i]];
            const int64_t right = t->right[i] >= 0 ? t->node_count[t->right[i]] : t->leaf_count[~t->right[i]];
            assert_int_equal(left + right, t->node_count[i]);
        }
    }
}

static void same_trees(const plumb_model *a, const plumb_model *b) {
    assert_int_equal(plumb__gbdt_of(a)->n_trees, plumb__gbdt_of(b)->n_trees);
    assert_true(plumb__gbdt_of(a)->init_score[0] == plumb__gbdt_of(b)->init_score[0]);
    for (int64_t k = 0; k < plumb__gbdt_of(a)->n_trees; k++) {
        const plumb__gbdt_tree *x = &plumb__gbdt_of(a)->trees[k], *y = &plumb__gbdt_of(b)->trees[k];
        const size_t nn = (size_t)x->n_leaves - 1, nl = (size_t)x->n_leaves;
        assert_int_equal(x->n_leaves, y->n_leaves);
        assert_memory_equal(x->feature, y->feature, nn * sizeof *x->feature);
        assert_memory_equal(x->bin, y->bin, nn);
        assert_memory_equal(x->threshold, y->threshold, nn * sizeof *x->threshold);
        assert_memory_equal(x->missing_left, y->missing_left, nn);
        assert_memory_equal(x->left, y->left, nn * sizeof *x->left);
        assert_memory_equal(x->right, y->right, nn * sizeof *x->right);
        assert_memory_equal(x->leaf_value, y->leaf_value, nl * sizeof *x->leaf_value);
    }
}

static void threads_give_same_trees(void **state) {
    (void)state;
    char *csv = make_data(30000, 8, true, 7);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 15;
    p.num_leaves = 24;
    p.feature_fraction = 0.7;
    p.bagging_fraction = 0.8;
    p.bagging_freq = 1;
    p.seed = 42;
    p.n_threads = 1;
    plumb_model *one = train(f, NULL, &p);
    p.n_threads = 2;
    plumb_model *two = train(f, NULL, &p);
    same_trees(one, two);
    p.n_threads = 3;
    plumb_model *three = train(f, NULL, &p);
    same_trees(one, three);
    /* another seed gives another model */
    p.seed = 43;
    plumb_model *other = train(f, NULL, &p);
    assert_true(plumb__gbdt_of(other)->trees[0].n_leaves != plumb__gbdt_of(one)->trees[0].n_leaves ||
                memcmp(plumb__gbdt_of(other)->trees[0].leaf_value, plumb__gbdt_of(one)->trees[0].leaf_value,
                       (size_t)plumb__gbdt_of(one)->trees[0].n_leaves * sizeof(double)) != 0);
    plumb_model_free(one);
    plumb_model_free(two);
    plumb_model_free(three);
    plumb_model_free(other);
    plumb_frame_free(f);
}

static void invariants_and_learning(void **state) {
    (void)state;
    char *csv = make_data(20000, 6, true, 11), *vcsv = make_data(5000, 6, true, 12);
    plumb_frame *f = read_text(csv, "y"), *v = read_text(vcsv, "y");
    free(csv);
    free(vcsv);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 60;
    p.max_depth = 5;
    plumb_model *m = train(f, v, &p);
    check_invariants(m, &p, plumb_frame_n_rows(f));
    for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++) {
        /* depth bound: a node's depth is at most max_depth - 1, so leaves are at depth <= max_depth */
        const plumb__gbdt_tree *t = &plumb__gbdt_of(m)->trees[k];
        int depth[64] = {0};
        for (int32_t i = 0; i < t->n_leaves - 1; i++) {
            assert_true(depth[i] < p.max_depth);
            if (t->left[i] >= 0)
                depth[t->left[i]] = depth[i] + 1;
            if (t->right[i] >= 0)
                depth[t->right[i]] = depth[i] + 1;
        }
    }
    /* the model learns: validation log-loss far below the constant model's, and going down */
    plumb_model_info info;
    plumb_model_describe(m, &info);
    assert_true(info.valid_metric < 0.35);
    assert_true(plumb__gbdt_of(m)->valid_metric[59] < plumb__gbdt_of(m)->valid_metric[0]);
    plumb_model_free(m);
    plumb_frame_free(f);
    plumb_frame_free(v);
}

static void early_stopping_keeps_best(void **state) {
    (void)state;
    char *csv = make_data(3000, 4, false, 21), *vcsv = make_data(1000, 4, false, 22);
    plumb_frame *f = read_text(csv, "y"), *v = read_text(vcsv, "y");
    free(csv);
    free(vcsv);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 2000;
    p.learning_rate = 0.5;
    p.num_leaves = 63;
    p.min_data_in_leaf = 2;
    p.early_stopping_rounds = 10;
    plumb_model *m = train(f, v, &p);
    check_invariants(m, &p, plumb_frame_n_rows(f));
    assert_true(plumb__gbdt_of(m)->n_iterations < 2000);
    assert_int_equal(plumb__gbdt_of(m)->n_iterations, plumb__gbdt_of(m)->best_iteration + 10);
    assert_int_equal(plumb__gbdt_of(m)->n_trees, plumb__gbdt_of(m)->best_iteration);
    for (int64_t i = 0; i < plumb__gbdt_of(m)->n_iterations; i++)
        assert_true(plumb__gbdt_of(m)->valid_metric[i] >=
                    plumb__gbdt_of(m)->valid_metric[plumb__gbdt_of(m)->best_iteration - 1]);
    /* the training metric is that of the trees kept: the mean squared error of their predictions */
    const int64_t n = plumb_frame_n_rows(f);
    const double *y = plumb_frame_f64(f, plumb_frame_find(f, "y"));
    double *pred = malloc((size_t)n * sizeof *pred), mse = 0;
    assert_int_equal(plumb_model_predict(m, f, NULL, pred, NULL), PLUMB_OK);
    for (int64_t i = 0; i < n; i++)
        mse += (pred[i] - y[i]) * (pred[i] - y[i]);
    mse /= (double)n;
    assert_true(fabs(mse - plumb__gbdt_of(m)->train_metric) <= 1e-6 * mse);
    free(pred);
    plumb_model_free(m);
    plumb_frame_free(f);
    plumb_frame_free(v);
}

/* ---- the model file ---------------------------------------------------------------------------------------- */

static char model_path[64];

static plumb_model *saved_model(plumb_frame **data) {
    char *csv = make_data(4000, 5, true, 31);
    *data = read_text(csv, "y");
    free(csv);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 20;
    plumb_model *m = train(*data, NULL, &p);
    snprintf(model_path, sizeof model_path, "/tmp/plumb_test_%ld.plumb", (long)getpid());
    assert_int_equal(plumb_model_save(m, model_path, NULL), PLUMB_OK);
    return m;
}

static void save_load_predicts_identically(void **state) {
    (void)state;
    plumb_frame *f;
    plumb_model *m = saved_model(&f), *l = NULL;
    assert_int_equal(plumb_model_load(model_path, &l, NULL), PLUMB_OK);
    same_trees(m, l);
    const int64_t n = plumb_frame_n_rows(f);
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    assert_int_equal(plumb_model_predict(m, f, NULL, a, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(l, f, NULL, b, NULL), PLUMB_OK);
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    /* edges and metrics round-trip exactly too */
    for (int64_t j = 0; j < m->n_features; j++)
        assert_memory_equal(plumb__gbdt_of(m)->features[j].edges, plumb__gbdt_of(l)->features[j].edges,
                            (size_t)(plumb__gbdt_of(m)->features[j].n_bins - 2) * sizeof(float));
    assert_true(plumb__gbdt_of(m)->train_metric == plumb__gbdt_of(l)->train_metric);
    plumb_model_info info;
    plumb_model_describe(l, &info);
    assert_string_equal(info.plumb_version, plumb_version());
    assert_int_equal(strlen(info.data_sha256), 64);
    assert_int_equal(info.train_rows, n);
    free(a);
    free(b);
    unlink(model_path);
    plumb_model_free(m);
    plumb_model_free(l);
    plumb_frame_free(f);
}

static char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    char *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, fp), *n);
    fclose(fp);
    return b;
}

static void load_message(const char *data, size_t n, const char *want) {
    plumb_model *m = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    assert_int_equal(plumb_model_load_buffer(data, n, "m.plumb", &m, &err), PLUMB_EFORMAT);
    assert_null(m);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
}

static void corrupted_files_are_refused(void **state) {
    (void)state;
    plumb_frame *f;
    plumb_model *m = saved_model(&f);
    size_t n;
    char *b = slurp(model_path, &n);
    const char *body = strchr(b, '\n') + 1;
    const size_t body_len = n - (size_t)(body - b) - 1; /* without the final newline */
    char want[128];
    snprintf(want, sizeof want, "m.plumb: truncated model file: %zu of %zu bytes", body_len / 2, body_len);
    load_message(b, (size_t)(body - b) + body_len / 2, want);
    b[n / 2] ^= 0x20;
    load_message(b, n, "m.plumb: corrupted model file: checksum mismatch");
    b[n / 2] ^= 0x20;
    load_message(b, 20, "m.plumb: truncated model file: no complete header");
    load_message("hello world\n", 12, "m.plumb: not a plumb model file");
    const char *future = "plumb-model 2 2 0000000000000000000000000000000000000000000000000000000000000000\n{}";
    load_message(future, strlen(future), "m.plumb: model format 2 is newer than this plumb reads (1): upgrade plumb");
    plumb_model *ok = NULL;
    assert_int_equal(plumb_model_load_buffer(b, n, "m.plumb", &ok, NULL), PLUMB_OK);
    plumb_model_free(ok);
    plumb_error err;
    assert_int_equal(plumb_model_load("/nonexistent/m.plumb", &ok, &err), PLUMB_EIO);
    assert_string_equal(err.message, "cannot open '/nonexistent/m.plumb': No such file or directory");
    free(b);
    unlink(model_path);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* The raw score of row i by walking the trees on raw values and thresholds: the reference for the scorer. */
static double raw_walk(const plumb_model *m, const plumb_frame *f, int64_t i) {
    double s = plumb__gbdt_of(m)->init_score[0];
    for (int64_t k = 0; k < plumb__gbdt_of(m)->n_trees; k++) {
        const plumb__gbdt_tree *t = &plumb__gbdt_of(m)->trees[k];
        int32_t node = t->n_leaves > 1 ? 0 : ~0;
        while (node >= 0) {
            const float x = plumb_frame_f32(f, plumb__gbdt_of(m)->features[t->feature[node]].column)[i];
            const bool left = isnan(x) ? t->missing_left[node] : x <= t->threshold[node];
            node = left ? t->left[node] : t->right[node];
        }
        s += t->leaf_value[~node];
    }
    return s;
}

/* More than 255 bins: uint16 codes in training and scoring, the same trees for any thread count, and the
 * scorer's predictions equal to a walk on raw values. */
static void wide_bins(void **state) {
    (void)state;
    char *csv = make_data(20000, 4, false, 41);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 12;
    p.max_bin = 1000;
    p.n_threads = 1;
    plumb_model *one = train(f, NULL, &p);
    p.n_threads = 2;
    plumb_model *two = train(f, NULL, &p);
    same_trees(one, two);
    assert_true(plumb__gbdt_of(one)->wide);
    assert_int_equal(plumb__gbdt_of(one)->features[1].n_bins, 1001); /* 1000 value bins and the missing bin */
    int32_t high = 0;
    for (int32_t i = 0; i < plumb__gbdt_of(one)->trees[0].n_leaves - 1; i++)
        high = plumb__gbdt_of(one)->trees[0].bin[i] > high ? plumb__gbdt_of(one)->trees[0].bin[i] : high;
    assert_true(high > 255); /* some split uses a bin that needs 16 bits */
    const int64_t n = plumb_frame_n_rows(f);
    double *pred = malloc((size_t)n * sizeof *pred);
    assert_int_equal(plumb_model_predict(one, f, NULL, pred, NULL), PLUMB_OK);
    for (int64_t i = 0; i < n; i++)
        assert_true(fabs(pred[i] - raw_walk(one, f, i)) <= 1e-12 * (1 + fabs(pred[i])));
    /* and the model file keeps the 16-bit bins */
    char path[64];
    snprintf(path, sizeof path, "/tmp/plumb_test_wide_%ld.plumb", (long)getpid());
    assert_int_equal(plumb_model_save(one, path, NULL), PLUMB_OK);
    plumb_model *loaded = NULL;
    assert_int_equal(plumb_model_load(path, &loaded, NULL), PLUMB_OK);
    unlink(path);
    same_trees(one, loaded);
    double *again = malloc((size_t)n * sizeof *again);
    assert_int_equal(plumb_model_predict(loaded, f, NULL, again, NULL), PLUMB_OK);
    assert_memory_equal(pred, again, (size_t)n * sizeof *pred);
    free(again);
    plumb_model_free(loaded);
    free(pred);
    plumb_model_free(one);
    plumb_model_free(two);
    plumb_frame_free(f);
}

static void bad_targets_and_params(void **state) {
    (void)state;
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    plumb_model *m = NULL;
    plumb_error err;
    plumb_frame *f = read_text("x,y\n1,a\n2,b\n3,c\n", "y");
    p.task = PLUMB_TASK_BINARY;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message,
                        "target 'y' has 3 categories: a binary model needs exactly 2 (regression needs numbers)");
    plumb_frame_free(f);
    f = read_text("x,y\n1,1\n2,\n3,0\n", "y");
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "target 'y' is missing in data row 2");
    p.task = PLUMB_TASK_AUTO;
    p.objective = PLUMB_OBJECTIVE_MULTICLASS;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "target 'y' is missing in data row 2");
    p.objective = PLUMB_OBJECTIVE_AUTO;
    p.num_leaves = 1;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "num_leaves must be between 2 and 131072");
    assert_null(m);
    plumb_frame_free(f);
}

/* Issue 12: a run that diverges stops with an error naming the iteration, and returns no model (which would hold
 * NaN or infinite leaves, and predict NaN). */
static void divergence_is_an_error(void **state) {
    (void)state;
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 10;
    p.n_threads = 1;
    plumb_model *m = NULL;
    plumb_error err;
    char *csv = make_data(300, 3, true, 7);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    p.learning_rate = 1e308; /* finite, but a leaf's output times it is not */
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message,
                        "training diverged at iteration 1: a leaf value is not finite (try a lower learning rate)");
    assert_null(m);
    plumb_frame_free(f);
    /* poisson: exp of the raw score overflows, and with it the gradient, before any leaf does */
    csv = make_data(300, 3, true, 7);
    f = read_text(csv, "y");
    free(csv);
    p.objective = PLUMB_OBJECTIVE_POISSON;
    p.learning_rate = 300;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message,
                        "training diverged at iteration 5: a gradient is not finite (try a lower learning rate)");
    assert_null(m);
    plumb_frame_free(f);
    /* finite leaves whose sum can overflow; and finite scores near 1e308 whose log-loss is not finite */
    char text[512] = "x,y\n";
    for (int i = 1; i <= 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d\n", i % 4, (i * 7) % 5 > 1);
    f = read_text(text, "y");
    p.objective = PLUMB_OBJECTIVE_BINARY;
    p.min_data_in_leaf = 1;
    p.lambda_l2 = 10;
    p.learning_rate = 5e307;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(err.message,
                        "training diverged at iteration 3: the raw scores can overflow (try a lower learning rate)");
    assert_null(m);
    p.lambda_l2 = 100;
    p.learning_rate = 1e308;
    assert_int_equal(plumb_gbdt_train(f, NULL, &p, &m, &err), PLUMB_EINVAL);
    assert_string_equal(
        err.message, "training diverged at iteration 10: the training loss is not finite (try a lower learning rate)");
    assert_null(m);
    /* the same run at a sane rate trains */
    p.learning_rate = 0.1;
    m = train(f, NULL, &p);
    plumb_model_free(m);
    plumb_frame_free(f);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(hand_computed_stump),
        cmocka_unit_test(split_matches_brute_force),
        cmocka_unit_test(threads_give_same_trees),
        cmocka_unit_test(invariants_and_learning),
        cmocka_unit_test(early_stopping_keeps_best),
        cmocka_unit_test(save_load_predicts_identically),
        cmocka_unit_test(corrupted_files_are_refused),
        cmocka_unit_test(wide_bins),
        cmocka_unit_test(bad_targets_and_params),
        cmocka_unit_test(divergence_is_an_error),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
