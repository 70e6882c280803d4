/* test_tree.c -- the CART tree: parity with scikit-learn, exhaustive split checks, categories, missing values,
 * pruning, the model file, the rules text and the error messages.
 *
 * Parity cases come from tests/parity/sklearn_tree.py (golden values in tests/data/tree, or in the directory named
 * by $PLUMB_TREE_GOLDEN when the live ctest test has just regenerated them with scikit-learn).
 */
#include "test.h"

#include "tree/tree.h"

#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Helpers                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static plumb_frame *read_csv_opts(const char *text, const char *path, const plumb_read_options *o) {
    if (text)
        return plumb_test_read(text, o);
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(path, o, &f, &err), &err);
    return f;
}

static plumb_frame *read_text(const char *text, const char *target) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = target;
    return read_csv_opts(text, NULL, &o);
}

static plumb_model *train(const plumb_frame *f, const plumb_tree_params *p) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_tree_train(f, p, &m, &err), &err);
    return m;
}

static double *predict(const plumb_model *m, const plumb_frame *f) {
    const int64_t n = plumb_frame_n_rows(f);
    double *p = malloc((size_t)(n + 1) * sizeof *p);
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    if (plumb_model_predict(m, f, NULL, p, &err) != PLUMB_OK)
        fail_msg("predict failed: %s", plumb_error_format(&err, msg, sizeof msg));
    return p;
}

static void expect_train_error(const plumb_frame *f, const plumb_tree_params *p, plumb_status want, const char *msg) {
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_tree_train(f, p, &m, &err), want);
    assert_null(m);
    assert_string_equal(err.message, msg);
}

static char *rules(const plumb_model *m) {
    char *t = NULL;
    assert_int_equal(plumb_model_rules(m, &t, NULL), PLUMB_OK);
    return t;
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

static double unif(uint64_t *s) {
    return (double)lcg(s) / 2147483648.0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Parity with scikit-learn                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

static const char *golden_dir(void) {
    const char *d = getenv("PLUMB_TREE_GOLDEN");
    return d && d[0] ? d : PLUMB_TEST_DATA "/tree";
}

/* The frame a case trains on: the generated CSV with or without its weight column, or the credit data's numeric
 * columns and complete rows (what the script gives scikit-learn). */
static plumb_frame *case_frame(const json_t *golden, const json_t *c) {
    const char *data = json_string_value(json_object_get(c, "data"));
    const char *target = json_string_value(json_object_get(c, "target"));
    const bool weighted = json_is_true(json_object_get(c, "weighted"));
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = target;
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    char path[1024];
    plumb_frame *f;
    if (strcmp(data, "credit") != 0) {
        if (weighted)
            o.weight_col = "w";
        else
            assert_int_equal(plumb_schema_set_role(s, "w", PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
        o.schema = s;
        snprintf(path, sizeof path, "%s/%s", golden_dir(), data);
        f = read_csv_opts(NULL, path, &o);
    } else {
        static const char *const text[] = {"Home", "Marital", "Records", "Job"};
        for (int k = 0; k < 4; k++)
            assert_int_equal(plumb_schema_set_role(s, text[k], PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
        if (strcmp(target, "Status") != 0)
            assert_int_equal(plumb_schema_set_role(s, "Status", PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
        o.schema = s;
        plumb_frame *all = read_csv_opts(NULL, PLUMB_TEST_DATA "/../../examples/credit/credit_data.csv", &o);
        const json_t *num = json_object_get(golden, "credit_numeric");
        const int64_t n = plumb_frame_n_rows(all);
        int64_t *rows = malloc((size_t)n * sizeof *rows), k = 0;
        for (int64_t i = 0; i < n; i++) {
            bool complete = true;
            for (size_t j = 0; j < json_array_size(num); j++) {
                const int64_t col = plumb_frame_find(all, json_string_value(json_array_get(num, j)));
                const float *x = plumb_frame_f32(all, col);
                const double *y = plumb_frame_f64(all, col);
                complete &= x ? !isnan(x[i]) : !isnan(y[i]);
            }
            if (complete)
                rows[k++] = i;
        }
        assert_int_equal(k, json_integer_value(json_object_get(golden, "credit_rows")));
        assert_int_equal(plumb_frame_take(all, rows, k, &f, NULL), PLUMB_OK);
        free(rows);
        plumb_frame_free(all);
    }
    plumb_schema_free(s);
    return f;
}

static void case_params(const json_t *c, plumb_tree_params *p) {
    plumb_tree_params_init(p);
    if (strcmp(json_string_value(json_object_get(c, "data")), "credit") == 0 &&
        strcmp(json_string_value(json_object_get(c, "task")), "binary") == 0)
        p->positive_class = "bad";
    const json_t *v;
    if ((v = json_object_get(c, "max_depth")) && json_is_integer(v))
        p->max_depth = (int32_t)json_integer_value(v);
    if ((v = json_object_get(c, "min_samples_split")))
        p->min_samples_split = json_integer_value(v);
    if ((v = json_object_get(c, "min_samples_leaf")))
        p->min_samples_leaf = json_integer_value(v);
    if ((v = json_object_get(c, "min_impurity_decrease")))
        p->min_impurity_decrease = json_number_value(v);
    if ((v = json_object_get(c, "ccp_alpha")))
        p->ccp_alpha = json_number_value(v);
    if ((v = json_object_get(c, "criterion")))
        p->criterion =
            strcmp(json_string_value(v), "entropy") == 0 ? PLUMB_TREE_CRITERION_ENTROPY : PLUMB_TREE_CRITERION_GINI;
    v = json_object_get(c, "class_weight");
    if (json_is_string(v))
        p->class_weight_balanced = 1;
    else if (json_is_array(v))
        for (int k = 0; k < 2; k++)
            p->class_weight[k] = json_number_value(json_array_get(v, (size_t)k));
}

/* The training score as scikit-learn's script computes it: accuracy (argmax, a tie predicting the negative
 * class) or mean squared error, weighted by the weight column when there is one. */
static double score(const plumb_frame *f, const char *target, const char *weight, bool binary, const double *pred) {
    const int64_t n = plumb_frame_n_rows(f), t = plumb_frame_find(f, target);
    const double *w = weight ? plumb_frame_f64(f, plumb_frame_find(f, weight)) : NULL;
    const double *y = plumb_frame_f64(f, t);
    const int32_t *codes = plumb_frame_codes(f, t);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1;
        if (binary) {
            const int label = codes ? codes[i] == 0 /* credit: "bad" is code 0, the positive class */ : y[i] == 1;
            num += wi * ((pred[i] > 0.5) == label);
        } else {
            num += wi * (pred[i] - y[i]) * (pred[i] - y[i]);
        }
        den += wi;
    }
    return num / den;
}

/* Runs every golden case whose data is (or is not, with negate) `data`. */
static void run_parity(const char *data, bool negate) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tree_golden.json", golden_dir());
    json_error_t jerr;
    json_t *golden = json_load_file(path, 0, &jerr);
    if (!golden)
        fail_msg("cannot read %s: %s", path, jerr.text);
    const json_t *cases = json_object_get(golden, "cases");
    int ran = 0;
    for (size_t k = 0; k < json_array_size(cases); k++) {
        const json_t *c = json_array_get(cases, k);
        const char *name = json_string_value(json_object_get(c, "name"));
        if ((strcmp(json_string_value(json_object_get(c, "data")), data) == 0) == negate)
            continue;
        ran++;
        plumb_frame *f = case_frame(golden, c);
        plumb_tree_params p;
        case_params(c, &p);
        plumb_model *m = train(f, &p);
        const bool binary = strcmp(json_string_value(json_object_get(c, "task")), "binary") == 0;
        const bool weighted = json_is_true(json_object_get(c, "weighted"));
        double *pred = predict(m, f);
        const double s = score(f, json_string_value(json_object_get(c, "target")), weighted ? "w" : NULL, binary, pred);
        const double tol = binary ? 1e-12 : 1e-9 * fabs(s);
        const double lo = json_number_value(json_object_get(c, "score_min"));
        const double hi = json_number_value(json_object_get(c, "score_max"));
        plumb_model_info info;
        plumb_model_describe(m, &info);
        if (fabs(info.train_metric - s) > tol)
            fail_msg("%s: the model's training metric %.17g is not its score %.17g", name, info.train_metric, s);
        plumb_tree_info ti;
        assert_int_equal(plumb_tree_describe(m, &ti, NULL), PLUMB_OK);
        const bool unique = json_is_true(json_object_get(c, "unique"));
        if (unique && ti.n_leaves != json_integer_value(json_object_get(c, "n_leaves")))
            fail_msg("%s: %lld leaves, scikit-learn %lld", name, (long long)ti.n_leaves,
                     (long long)json_integer_value(json_object_get(c, "n_leaves")));
        if (unique || json_is_true(json_object_get(c, "same_fit"))) {
            /* scikit-learn's fit does not depend on its seed: plumb must fit the same */
            if (fabs(s - json_number_value(json_object_get(c, "train_score"))) > tol)
                fail_msg("%s: score %.17g, scikit-learn %.17g", name, s,
                         json_number_value(json_object_get(c, "train_score")));
            const json_t *want = json_object_get(c, "pred");
            const int64_t n = plumb_frame_n_rows(f);
            double sum = 0;
            for (int64_t i = 0; i < n; i++) {
                sum += pred[i];
                if (!want)
                    continue;
                const double wv = json_number_value(json_array_get(want, (size_t)i));
                if (fabs(pred[i] - wv) > 1e-12 + 1e-9 * fabs(wv))
                    fail_msg("%s: row %lld predicts %.17g, scikit-learn %.17g", name, (long long)i, pred[i], wv);
            }
            const double wsum = json_number_value(json_object_get(c, "pred_sum"));
            if (fabs(sum - wsum) > 1e-9 * (1 + fabs(wsum)))
                fail_msg("%s: predictions sum to %.17g, scikit-learn's to %.17g", name, sum, wsum);
            const json_t *alphas = json_object_get(c, "ccp_alphas"), *imps = json_object_get(c, "impurities");
            if (unique && alphas) {
                double *a = NULL, *b = NULL;
                int64_t np = 0;
                assert_int_equal(plumb_tree_pruning_path(f, &p, &a, &b, &np, NULL), PLUMB_OK);
                if (np != (int64_t)json_array_size(alphas))
                    fail_msg("%s: pruning path of %lld steps, scikit-learn %zu", name, (long long)np,
                             json_array_size(alphas));
                for (int64_t i = 0; i < np; i++) {
                    const double wa = json_number_value(json_array_get(alphas, (size_t)i));
                    const double wb = json_number_value(json_array_get(imps, (size_t)i));
                    if (fabs(a[i] - wa) > 1e-14 + 1e-9 * fabs(wa) || fabs(b[i] - wb) > 1e-14 + 1e-9 * fabs(wb))
                        fail_msg("%s: pruning step %lld: alpha %.17g impurity %.17g, scikit-learn %.17g %.17g", name,
                                 (long long)i, a[i], b[i], wa, wb);
                }
                free(a);
                free(b);
            }
        } else if (s < lo - tol || s > hi + tol) {
            /* ties between features: scikit-learn's tree depends on its seed, plumb's on column order */
            fail_msg("%s: score %.17g outside scikit-learn's [%.17g, %.17g] over its seeds", name, s, lo, hi);
        }
        free(pred);
        plumb_model_free(m);
        plumb_frame_free(f);
    }
    assert_true(ran > 0);
    json_decref(golden);
}

static void parity_generated_binary(void **state) {
    (void)state;
    run_parity("tree_cls.csv", false);
}

static void parity_generated_regression(void **state) {
    (void)state;
    run_parity("tree_reg.csv", false);
}

static void parity_credit(void **state) {
    (void)state;
    run_parity("credit", false);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Exhaustive checks of the split search                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

/* Weighted Gini of a partition, as sklearn's proxy: -(w_L gini_L + w_R gini_R). */
static double gini_proxy(const double l[2], const double r[2]) {
    const double wl = l[0] + l[1], wr = r[0] + r[1];
    return -wr * (1 - (r[0] * r[0] + r[1] * r[1]) / (wr * wr)) - wl * (1 - (l[0] * l[0] + l[1] * l[1]) / (wl * wl));
}

/* The root split of a stump (depth 1) is the best of every threshold with missing values on either side, and the
 * missing-alone split, found by brute force on random data with missing values. */
static void numeric_split_with_missing_is_best(void **state) {
    (void)state;
    uint64_t seed = 7;
    for (int round = 0; round < 20; round++) {
        char csv[8192] = "x,y\n";
        size_t len = strlen(csv);
        const int n = 40 + round;
        float x[80];
        int y[80];
        for (int i = 0; i < n; i++) {
            const bool miss = unif(&seed) < 0.25;
            x[i] = miss ? NAN : (float)(lcg(&seed) % 12);
            y[i] = miss ? unif(&seed) < 0.7 : unif(&seed) < x[i] / 14;
            len += (size_t)(miss ? snprintf(csv + len, sizeof csv - len, ",%d\n", y[i])
                                 : snprintf(csv + len, sizeof csv - len, "%g,%d\n", (double)x[i], y[i]));
        }
        plumb_frame *f = read_text(csv, "y");
        plumb_tree_params p;
        plumb_tree_params_init(&p);
        p.max_depth = 1;
        plumb_model *m = train(f, &p);
        /* brute force: every cut between distinct values (and +inf), missing left or right */
        double best = -INFINITY;
        for (int t = -1; t <= 12; t++)
            for (int ml = 0; ml < 2; ml++) {
                double l[2] = {0, 0}, r[2] = {0, 0};
                for (int i = 0; i < n; i++) {
                    const bool left = isnan(x[i]) ? ml : (t == 12 || x[i] <= t);
                    (left ? l : r)[y[i]] += 1;
                }
                if (l[0] + l[1] > 0 && r[0] + r[1] > 0)
                    best = fmax(best, gini_proxy(l, r));
            }
        const struct plumb__cart *c = plumb__cart_of(m);
        if (c->n_nodes == 1) {
            assert_true(best == -INFINITY || best <= -(c->nodes[0].impurity * c->nodes[0].weighted_n) + 1e-9);
        } else {
            const plumb__cart_node *L = &c->nodes[c->nodes[0].left], *R = &c->nodes[c->nodes[0].right];
            const double got = -L->weighted_n * L->impurity - R->weighted_n * R->impurity;
            if (fabs(got - best) > 1e-9)
                fail_msg("round %d: split proxy %.17g, brute force %.17g", round, got, best);
        }
        plumb_model_free(m);
        plumb_frame_free(f);
    }
}

/* A categorical split by Breiman's ordering is the best of all 2^(k-1) - 1 subsets, for Gini and for squared
 * error, with missing values tried on both sides. */
static void categorical_split_is_best_subset(void **state) {
    (void)state;
    static const char *const names[] = {"ant", "bee", "cat", "dog", "eel", "fox", "gnu"};
    uint64_t seed = 11;
    for (int round = 0; round < 16; round++) {
        const bool regression = round % 2;
        char csv[16384] = "k,y\n";
        size_t len = strlen(csv);
        const int n = 60, C = 7;
        int code[60];
        double y[60], rate[7];
        for (int c = 0; c < C; c++)
            rate[c] = unif(&seed);
        for (int i = 0; i < n; i++) {
            code[i] = unif(&seed) < 0.1 ? -1 : (int)(lcg(&seed) % (uint64_t)C);
            const double r = code[i] < 0 ? 0.5 : rate[code[i]];
            y[i] = regression ? floor(100 * (r + unif(&seed))) / 10 : unif(&seed) < r;
            len += (size_t)snprintf(csv + len, sizeof csv - len, "%s,%g\n", code[i] < 0 ? "" : names[code[i]], y[i]);
        }
        plumb_read_options o;
        plumb_read_options_init(&o);
        o.target = "y";
        plumb_frame *f = read_csv_opts(csv, NULL, &o);
        plumb_column_info ci;
        plumb_schema_column(plumb_frame_schema(f), plumb_frame_find(f, "k"), &ci);
        const int present = (int)ci.n_categories;
        plumb_tree_params p;
        plumb_tree_params_init(&p);
        p.max_depth = 1;
        if (!regression)
            p.task = PLUMB_TASK_BINARY;
        else
            p.task = PLUMB_TASK_REGRESSION;
        plumb_model *m = train(f, &p);
        const int32_t *codes = plumb_frame_codes(f, plumb_frame_find(f, "k"));
        double best = -INFINITY;
        for (int mask = 0; mask < (1 << present); mask++)
            for (int ml = 0; ml < 2; ml++) {
                double l[3] = {0, 0, 0}, r[3] = {0, 0, 0}; /* count, classes (or sum) */
                for (int i = 0; i < n; i++) {
                    const bool left = codes[i] < 0 ? ml : (mask >> codes[i]) & 1;
                    double *s = left ? l : r;
                    s[0] += 1;
                    if (regression)
                        s[1] += y[i];
                    else
                        s[1 + (int)y[i]] += 1;
                }
                if (l[0] == 0 || r[0] == 0)
                    continue;
                const double v = regression ? l[1] * l[1] / l[0] + r[1] * r[1] / r[0]
                                            : gini_proxy((double[]){l[1], l[2]}, (double[]){r[1], r[2]});
                best = fmax(best, v);
            }
        const struct plumb__cart *c = plumb__cart_of(m);
        assert_true(c->n_nodes == 3);
        const plumb__cart_node *L = &c->nodes[c->nodes[0].left], *R = &c->nodes[c->nodes[0].right];
        double got;
        if (regression) {
            const double sl = L->value * L->weighted_n, sr = R->value * R->weighted_n;
            got = sl * sl / L->weighted_n + sr * sr / R->weighted_n;
        } else {
            got = -L->weighted_n * L->impurity - R->weighted_n * R->impurity;
        }
        if (fabs(got - best) > 1e-9 * (1 + fabs(best)))
            fail_msg("round %d: split proxy %.17g, best subset %.17g", round, got, best);
        plumb_model_free(m);
        plumb_frame_free(f);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Missing values, unseen categories, threads                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

/* Missing values go where training sent them: here, missing income means default. A feature that had no missing
 * values in training sends them to the larger child. */
static void missing_values_follow_training(void **state) {
    (void)state;
    char csv[8192] = "income,y\n";
    size_t len = strlen(csv);
    for (int i = 0; i < 120; i++) {
        if (i % 4 == 0)
            len += (size_t)snprintf(csv + len, sizeof csv - len, ",1\n");
        else
            len += (size_t)snprintf(csv + len, sizeof csv - len, "%d,%d\n", i, i > 80);
    }
    plumb_frame *f = read_text(csv, "y");
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.max_depth = 2;
    plumb_model *m = train(f, &p);
    const struct plumb__cart *c = plumb__cart_of(m);
    assert_int_equal(c->n_nodes, 3);          /* one split makes both children pure */
    assert_true(c->nodes[0].threshold == 80); /* between 79 and 81: 80 is a missing row */
    assert_int_equal(c->nodes[0].missing_left, 0);
    plumb_frame *s = read_text("income\nNA\n5\n100\n", NULL);
    double *pred = predict(m, s);
    assert_true(pred[0] == 1 && pred[1] == 0 && pred[2] == 1);
    free(pred);
    plumb_frame_free(s);
    plumb_model_free(m);
    plumb_frame_free(f);
    /* no missing values in training: 7 rows of x <= 7 (negative), 3 above */
    f = read_text("x,y\n1,0\n2,0\n3,0\n4,0\n5,0\n6,0\n7,0\n8,1\n9,1\n10,1\n", "y");
    m = train(f, &p);
    assert_int_equal(plumb__cart_of(m)->nodes[0].missing_left, 1);
    s = read_text("x\nNA\n1\n9\n", NULL);
    pred = predict(m, s);
    assert_true(pred[0] == 0 && pred[1] == 0 && pred[2] == 1);
    free(pred);
    plumb_frame_free(s);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* A category the training data never had (or that a node never saw) goes to the larger child; a frame read
 * without the model's schema (another dictionary) is matched by category text. */
static void unseen_category_goes_to_larger_child(void **state) {
    (void)state;
    char csv[8192] = "home,y\n";
    size_t len = strlen(csv);
    static const char *const homes[] = {"owner", "rent", "parents"};
    for (int i = 0; i < 90; i++) /* owner: 10% positive, rent: 60%, parents: 90% */
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%s,%d\n", homes[i % 3],
                                i % 3 == 0   ? i % 30 == 0
                                : i % 3 == 1 ? i % 5 < 3
                                             : i % 10 != 2);
    plumb_frame *f = read_text(csv, "y");
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.max_depth = 1;
    plumb_model *m = train(f, &p);
    const struct plumb__cart *c = plumb__cart_of(m);
    assert_int_equal(c->n_nodes, 3);
    const plumb__cart_node *L = &c->nodes[c->nodes[0].left], *R = &c->nodes[c->nodes[0].right];
    const double larger = L->n_rows > R->n_rows ? L->value : R->value;
    assert_int_equal(L->n_rows + R->n_rows, 90);
    /* owner alone against rent and parents: the larger child is {rent, parents} */
    assert_int_equal(c->nodes[0].unseen_left, L->n_rows > R->n_rows);
    plumb_frame *s = read_text("home\nzoo\nparents\nowner\nNA\n", NULL); /* its own dictionary: owner, parents, zoo */
    double *pred = predict(m, s);
    assert_true(pred[0] == larger);                                     /* zoo: never seen */
    assert_true(pred[1] == larger);                                     /* parents: with rent */
    assert_true(pred[2] == (larger == L->value ? R->value : L->value)); /* owner */
    assert_true(pred[3] == (c->nodes[0].missing_left ? L->value : R->value));
    char *text = rules(m);
    assert_string_equal(text, "if home = owner then P(y = 1) = 0.1 (30 rows)\n"
                              "if home != owner then P(y = 1) = 0.75 (60 rows)\n");
    free(text);
    free(pred);
    plumb_frame_free(s);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* Data of n rows: numeric, bool and categorical features, missing values, a binary target. */
static char *mixed_data(int n, uint64_t seed) {
    size_t cap = (size_t)n * 64 + 64, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "a,b,flag,home,y\n");
    static const char *const homes[] = {"owner", "rent", "parents", "other", "priv"};
    for (int i = 0; i < n; i++) {
        const double a = floor(unif(&seed) * 1000) / 10, b = unif(&seed) < 0.1 ? NAN : floor(unif(&seed) * 50);
        const int flag = unif(&seed) < 0.4, h = (int)(lcg(&seed) % 6);
        const double z = a / 100 + (isnan(b) ? 0.5 : b / 80) + 0.3 * flag +
                         (h == 1   ? 0.4
                          : h == 2 ? -0.3
                                   : 0) +
                         0.4 * unif(&seed);
        char bs[32] = "";
        if (!isnan(b))
            snprintf(bs, sizeof bs, "%g", b);
        len += (size_t)snprintf(csv + len, cap - len, "%g,%s,%s,%s,%d\n", a, bs, flag ? "true" : "false",
                                h == 5 ? "" : homes[h], z > 1.1);
    }
    return csv;
}

static void same_tree(const struct plumb__cart *a, const struct plumb__cart *b) {
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_words, b->n_words);
    for (int32_t i = 0; i < a->n_nodes; i++) {
        const plumb__cart_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_int_equal(x->left, y->left);
        assert_int_equal(x->right, y->right);
        assert_int_equal(x->feature, y->feature);
        assert_int_equal(x->missing_left, y->missing_left);
        assert_int_equal(x->unseen_left, y->unseen_left);
        assert_true(x->threshold == y->threshold || (isnan(x->threshold) && isnan(y->threshold)));
        assert_int_equal(x->bits, y->bits);
        assert_true(x->value == y->value);
        assert_true(x->impurity == y->impurity);
        assert_true(x->weighted_n == y->weighted_n);
        assert_int_equal(x->n_rows, y->n_rows);
    }
    if (a->n_words)
        assert_memory_equal(a->bits, b->bits, (size_t)a->n_words * sizeof *a->bits);
}

/* Nodes of 4096 rows and more are searched by several threads: the tree is the same for any count. */
static void threads_give_same_tree(void **state) {
    (void)state;
    char *csv = mixed_data(12000, 5);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.min_samples_leaf = 5;
    p.n_threads = 1;
    plumb_model *one = train(f, &p);
    p.n_threads = 2;
    plumb_model *two = train(f, &p);
    same_tree(plumb__cart_of(one), plumb__cart_of(two));
    assert_true(plumb__cart_of(one)->n_leaves > 50);
    plumb_model_free(one);
    plumb_model_free(two);
    plumb_frame_free(f);
}

/* The tree is a tree, rows add up, every node's value is its rows' mean, and predictions reach the leaves. */
static void invariants(void **state) {
    (void)state;
    char *csv = mixed_data(3000, 9);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.max_depth = 7;
    p.min_samples_leaf = 3;
    plumb_model *m = train(f, &p);
    const struct plumb__cart *c = plumb__cart_of(m);
    int32_t leaves = 0;
    for (int32_t i = 0; i < c->n_nodes; i++) {
        const plumb__cart_node *nd = &c->nodes[i];
        if (nd->left < 0) {
            leaves++;
            assert_true(nd->n_rows >= 3);
            continue;
        }
        assert_int_equal(nd->left, i + 1); /* preorder */
        assert_int_equal(nd->n_rows, c->nodes[nd->left].n_rows + c->nodes[nd->right].n_rows);
        assert_true(fabs(nd->value * nd->weighted_n - c->nodes[nd->left].value * c->nodes[nd->left].weighted_n -
                         c->nodes[nd->right].value * c->nodes[nd->right].weighted_n) < 1e-9);
    }
    assert_int_equal(leaves, c->n_leaves);
    assert_true(c->depth <= 7);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Pruning                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static double leaf_risk(const struct plumb__cart *c) {
    double r = 0;
    for (int32_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].left < 0)
            r += c->nodes[i].weighted_n * c->nodes[i].impurity / c->nodes[0].weighted_n;
    return r;
}

/* Training with ccp_alpha at a step of the pruning path gives the subtree of that step: the same total leaf
 * impurity; fewer leaves as alpha grows; the last alpha leaves only the root. */
static void pruning_follows_the_path(void **state) {
    (void)state;
    char *csv = mixed_data(800, 3);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    double *alpha = NULL, *imp = NULL;
    int64_t n = 0;
    assert_int_equal(plumb_tree_pruning_path(f, &p, &alpha, &imp, &n, NULL), PLUMB_OK);
    assert_true(n > 5);
    assert_true(alpha[0] == 0);
    int64_t prev_leaves = INT64_MAX;
    for (int64_t k = 0; k < n; k++) {
        if (k > 0)
            assert_true(alpha[k] >= alpha[k - 1]);
        if (k + 1 < n && alpha[k + 1] == alpha[k])
            continue; /* equal alphas prune together */
        p.ccp_alpha = alpha[k];
        plumb_model *m = train(f, &p);
        assert_true(fabs(leaf_risk(plumb__cart_of(m)) - imp[k]) < 1e-12);
        assert_true(plumb__cart_of(m)->n_leaves < prev_leaves);
        prev_leaves = plumb__cart_of(m)->n_leaves;
        if (k == n - 1)
            assert_int_equal(plumb__cart_of(m)->n_nodes, 1);
        plumb_model_free(m);
    }
    free(alpha);
    free(imp);
    plumb_frame_free(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Model file, rules                                                                                           */
/* ---------------------------------------------------------------------------------------------------------- */

static void save_load_round_trip(void **state) {
    (void)state;
    char *csv = mixed_data(2000, 21);
    plumb_frame *f = read_text(csv, "y");
    free(csv);
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.max_depth = 6;
    p.criterion = PLUMB_TREE_CRITERION_ENTROPY;
    p.class_weight_balanced = 1;
    plumb_model *m = train(f, &p), *l = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/plumb_test_tree_%ld.plumb", plumb_test_tmp_dir(), (long)getpid());
    assert_int_equal(plumb_model_save(m, path, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_load(path, &l, NULL), PLUMB_OK);
    unlink(path);
    same_tree(plumb__cart_of(m), plumb__cart_of(l));
    double *a = predict(m, f), *b = predict(l, f);
    assert_memory_equal(a, b, (size_t)plumb_frame_n_rows(f) * sizeof *a);
    char *ra = rules(m), *rb = rules(l);
    assert_string_equal(ra, rb);
    plumb_model_info ia, ib;
    plumb_model_describe(m, &ia);
    plumb_model_describe(l, &ib);
    assert_string_equal(ib.kind, "tree");
    assert_string_equal(ib.metric, "accuracy");
    assert_true(ia.train_metric == ib.train_metric);
    assert_string_equal(ia.data_sha256, ib.data_sha256);
    assert_int_equal(ib.train_rows, 2000);
    plumb_tree_info ta, tb;
    assert_int_equal(plumb_tree_describe(l, &tb, NULL), PLUMB_OK);
    assert_int_equal(plumb_tree_describe(m, &ta, NULL), PLUMB_OK);
    assert_int_equal(ta.n_leaves, tb.n_leaves);
    assert_int_equal(ta.depth, tb.depth);
    assert_string_equal(tb.criterion, "entropy");
    assert_true(plumb__cart_of(l)->params.class_weight_balanced);
    free(ra);
    free(rb);
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_model_free(l);
    plumb_frame_free(f);
}

/* A model file with body as its JSON (a correct header made for it). */
static plumb_status load_body(const char *body, plumb_error *err) {
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(body), (const uint8_t *)body);
    sha256_digest(&ctx, sizeof d, d);
    char *file = malloc(strlen(body) + 128);
    int k = sprintf(file, "plumb-model 1 %zu ", strlen(body));
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        k += sprintf(file + k, "%02x", d[i]);
    k += sprintf(file + k, "\n%s\n", body);
    plumb_model *m = NULL;
    plumb_status st = plumb_model_load_buffer(file, (size_t)k, "m.plumb", &m, err);
    plumb_model_free(m);
    free(file);
    return st;
}

/* The body of a saved model with the first occurrence of `from` replaced by `to`. */
static char *edited_body(const plumb_model *m, const char *from, const char *to) {
    char path[128];
    snprintf(path, sizeof path, "%s/plumb_test_tree_edit_%ld.plumb", plumb_test_tmp_dir(), (long)getpid());
    assert_int_equal(plumb_model_save(m, path, NULL), PLUMB_OK);
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 1 << 20);
    const size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    unlink(path);
    buf[n - 1] = '\0'; /* the final newline */
    const char *body = strchr(buf, '\n') + 1, *at = strstr(body, from);
    assert_non_null(at);
    char *out = malloc(strlen(body) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
    free(buf);
    return out;
}

static void corrupted_tree_files_are_refused(void **state) {
    (void)state;
    plumb_frame *f = read_text("x,c,y\n1,a,0\n2,b,1\n3,a,0\n4,b,1\n5,a,1\n6,c,0\n", "y");
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    plumb_model *m = train(f, &p);
    static const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"left\":[1,", "\"left\":[0,", "m.plumb: corrupted model file: a tree is not well formed"},
        {"\"right\":[6,", "\"right\":[1,", "m.plumb: corrupted model file: a tree is not well formed"},
        {"\"left\":[1,", "\"left\":[9,", "m.plumb: corrupted model file: left"},
        {"\"feature\":[1,", "\"feature\":[0,", "m.plumb: corrupted model file: a split does not fit its feature"},
        {"\"feature\":[1,", "\"feature\":[\"x\",", "m.plumb: corrupted model file: feature"},
        {"\"feature\":[1,", "\"feature\":[2,", "m.plumb: corrupted model file: feature"},
        {"\"feature\":[1,", "\"feature\":[1,1,", "m.plumb: corrupted model file: threshold"},
        {"\"categories_left\":[[0,2]", "\"categories_left\":[[0,3]", "m.plumb: corrupted model file: categories_left"},
        {"\"categories_left\":[[0,2]", "\"categories_left\":[null",
         "m.plumb: corrupted model file: a split does not fit its feature"},
        {"\"task\":\"binary\"", "\"task\":\"poisson\"", "m.plumb: corrupted model file: task or target"},
        {"\"positive_class\":\"1\"", "\"positive_class\":null", "m.plumb: corrupted model file: positive_class"},
        {"\"criterion\":\"gini\"", "\"criterion\":\"squared_error\"", "m.plumb: corrupted model file: criterion"},
        {"\"name\":\"x\",\"type\":\"numeric\"", "\"name\":\"x\",\"type\":\"bool\"",
         "m.plumb: corrupted model file: bad feature"},
        {"\"missing_left\":[1,", "\"missing_left\":[2,", "m.plumb: corrupted model file: missing_left"},
        {"\"value\":[0.5,", "\"value\":[\"a\",", "m.plumb: corrupted model file: value"},
        {"\"value\":[0.5,", "\"value\":[0.5,0.5,", "m.plumb: corrupted model file: value"},
    };
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    char *body = edited_body(m, "\"model\"", "\"model\"");
    assert_int_equal(load_body(body, &err), PLUMB_OK);
    free(body);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        body = edited_body(m, cases[k].from, cases[k].to);
        assert_int_equal(load_body(body, &err), PLUMB_EFORMAT);
        assert_string_equal(plumb_error_format(&err, msg, sizeof msg), cases[k].msg);
        free(body);
    }
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* The rules of a small tree, exactly: merged bounds, categories, missing values, a bool feature. (Each line was
 * checked against the data: its rows and share of bad.) */
static void rules_text(void **state) {
    (void)state;
    char csv[8192] = "income,records,flag,Status\n";
    size_t len = strlen(csv);
    /* records=yes: bad when flag; records=no: bad when income is missing, low or high */
    for (int i = 0; i < 200; i++) {
        const bool yes = i % 5 == 0, miss = i % 7 == 3, flag = i % 3 != 0;
        const int income = 20 + (i * 37) % 180;
        const bool bad = yes ? flag : miss || income <= 60 || income > 150;
        char inc[16] = "";
        if (!miss)
            snprintf(inc, sizeof inc, "%d", income);
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%s,%s,%s,%s\n", inc, yes ? "yes" : "no",
                                flag ? "true" : "false", bad ? "bad" : "good");
    }
    plumb_frame *f = read_text(csv, "Status");
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.positive_class = "bad";
    p.max_depth = 4;
    p.min_samples_leaf = 5;
    plumb_model *m = train(f, &p);
    char *text = rules(m);
    assert_string_equal(text, "if income <= 60.5 and records = yes and flag = false then P(bad) = 0 (5 rows)\n"
                              "if income <= 60.5 and records = yes and flag = true then P(bad) = 1 (6 rows)\n"
                              "if income <= 60.5 and records = no then P(bad) = 1 (28 rows)\n"
                              "if 60.5 < income <= 149.5 and records = no then P(bad) = 0 (71 rows)\n"
                              "if 60.5 < income <= 149.5 and records = yes and flag = false then P(bad) = 0 (5 rows)\n"
                              "if 60.5 < income <= 149.5 and records = yes and flag = true then P(bad) = 1 (9 rows)\n"
                              "if (149.5 < income <= 157.5 or missing) and records = yes then P(bad) = 0.625 (8 rows)\n"
                              "if income > 157.5 and records = yes then P(bad) = 0.857 (7 rows)\n"
                              "if (income > 149.5 or missing) and records = no then P(bad) = 1 (61 rows)\n");
    free(text);
    plumb_model_free(m);
    plumb_frame_free(f);
    /* thresholds: the shortest decimal that splits float32 values alike, without an exponent unless huge */
    static const char *const thresholds[][2] = {
        {"x,y\n0.1,0\n0.2,1\n", "if x <= 0.15 then P(y = 1) = 0 (1 row)\nif x > 0.15 then P(y = 1) = 1 (1 row)\n"},
        {"x,y\n1500,0\n2000,1\n", "if x <= 1750 then P(y = 1) = 0 (1 row)\nif x > 1750 then P(y = 1) = 1 (1 row)\n"},
        {"x,y\n1e20,0\n3e20,1\n",
         "if x <= 2.0000000401e+20 then P(y = 1) = 0 (1 row)\nif x > 2.0000000401e+20 then P(y = 1) = 1 (1 row)\n"},
        /* missing values alone on one side */
        {"x,y\n1,0\n2,0\n3,0\n,1\n,1\n",
         "if x is not missing then P(y = 1) = 0 (3 rows)\nif x is missing then P(y = 1) = 1 (2 rows)\n"},
        {"k,y\na,0\nb,0\na,0\n,1\n,1\n",
         "if k is not missing then P(y = 1) = 0 (3 rows)\nif k is missing then P(y = 1) = 1 (2 rows)\n"},
        {"x,y\n-0.5,0\n-0.25,1\n",
         "if x <= -0.375 then P(y = 1) = 0 (1 row)\nif x > -0.375 then P(y = 1) = 1 (1 row)\n"},
    };
    plumb_tree_params_init(&p);
    for (size_t k = 0; k < sizeof thresholds / sizeof *thresholds; k++) {
        f = read_text(thresholds[k][0], "y");
        m = train(f, &p);
        text = rules(m);
        assert_string_equal(text, thresholds[k][1]);
        free(text);
        plumb_model_free(m);
        plumb_frame_free(f);
    }
    /* regression: the value, and a tree that is only its root */
    f = read_text("x,amount\n1,5\n1,7\n", "amount");
    p.positive_class = NULL;
    m = train(f, &p);
    text = rules(m);
    assert_string_equal(text, "if true then amount = 6 (2 rows)\n");
    free(text);
    plumb_model_free(m);
    plumb_frame_free(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Errors                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static void errors_have_exact_messages(void **state) {
    (void)state;
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    plumb_frame *f = read_text("x,y\n1,a\n2,b\n3,c\n", "y");
    expect_train_error(f, &p, PLUMB_EINVAL,
                       "target 'y' has 3 categories: a binary model needs exactly 2 (regression needs numbers)");
    plumb_frame_free(f);
    f = read_text("x,y\n1,1\n2,\n3,0\n", "y");
    expect_train_error(f, &p, PLUMB_EINVAL, "target 'y' is missing in data row 2");
    plumb_frame_free(f);
    f = read_text("x,y\n1,1\n2,0\n", NULL);
    expect_train_error(f, &p, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    plumb_frame_free(f);
    f = read_text("x,y\n1,a\n2,b\n", "y");
    p.positive_class = "c";
    expect_train_error(f, &p, PLUMB_EINVAL, "positive class 'c' is not a category of 'y' ('a', 'b')");
    p.positive_class = NULL;
    p.criterion = PLUMB_TREE_CRITERION_SQUARED_ERROR;
    expect_train_error(f, &p, PLUMB_EINVAL,
                       "criterion 'squared_error' is for regression: a binary tree uses gini or entropy");
    plumb_frame_free(f);
    f = read_text("x,y\n1,1.5\n2,3\n", "y");
    p.criterion = PLUMB_TREE_CRITERION_ENTROPY;
    expect_train_error(f, &p, PLUMB_EINVAL,
                       "criterion 'entropy' is for a binary target: a regression tree uses squared_error");
    p.criterion = PLUMB_TREE_CRITERION_AUTO;
    p.class_weight_balanced = 1;
    expect_train_error(f, &p, PLUMB_EINVAL, "class weights need a binary task");
    p.class_weight_balanced = 0;
    static const struct {
        int field;
        double v;
        const char *msg;
    } bad[] = {
        {0, 0, "max_depth must be -1 (no limit) or at least 1"},
        {1, 1, "min_samples_split must be at least 2"},
        {2, 0, "min_samples_leaf must be at least 1"},
        {3, -0.5, "min_impurity_decrease must be at least 0"},
        {4, -1, "ccp_alpha must be at least 0"},
        {5, 0, "class weights must be positive"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        plumb_tree_params q;
        plumb_tree_params_init(&q);
        if (bad[k].field == 0)
            q.max_depth = (int32_t)bad[k].v;
        else if (bad[k].field == 1)
            q.min_samples_split = (int64_t)bad[k].v;
        else if (bad[k].field == 2)
            q.min_samples_leaf = (int64_t)bad[k].v;
        else if (bad[k].field == 3)
            q.min_impurity_decrease = bad[k].v;
        else if (bad[k].field == 4)
            q.ccp_alpha = bad[k].v;
        else
            q.class_weight[1] = bad[k].v;
        expect_train_error(f, &q, PLUMB_EINVAL, bad[k].msg);
    }
    plumb_frame_free(f);
    /* weights */
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    o.weight_col = "w";
    f = read_csv_opts("x,w,y\n1,1,0\n2,-2,1\n", NULL, &o);
    expect_train_error(f, &p, PLUMB_EINVAL, "weight 'w' is negative in data row 2");
    plumb_frame_free(f);
    f = read_csv_opts("x,w,y\n1,,0\n2,2,1\n", NULL, &o);
    expect_train_error(f, &p, PLUMB_EINVAL, "weight 'w' is missing in data row 1");
    plumb_frame_free(f);
    f = read_csv_opts("x,w,y\n1,0,0\n2,0,1\n", NULL, &o);
    expect_train_error(f, &p, PLUMB_EINVAL, "weights 'w' are all zero");
    plumb_frame_free(f);
    /* no features: the only other column is an identifier */
    plumb_read_options_init(&o);
    o.target = "y";
    o.id_col = "id";
    f = read_csv_opts("id,y\na,1\nb,0\n", NULL, &o);
    expect_train_error(f, &p, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
    plumb_frame_free(f);
    /* scoring data without a feature, or with another type */
    f = read_text("x,c,y\n1,a,0\n2,b,1\n3,a,0\n", "y");
    plumb_model *m = train(f, &p);
    plumb_frame *s = read_text("c\na\n", NULL);
    double out[4];
    plumb_error err;
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "column 'x' needed by the model is missing");
    plumb_frame_free(s);
    s = read_text("x,c\nq,a\n", NULL);
    assert_int_equal(plumb_model_predict(m, s, NULL, out, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "column 'x' is categorical here but numeric in the training data");
    plumb_frame_free(s);
    plumb_model_free(m);
    plumb_frame_free(f);
    /* rules and tree info of a gradient-boosted model */
    f = read_text("x,y\n1,0\n2,1\n3,0\n4,1\n", "y");
    plumb_gbdt_params gp;
    plumb_gbdt_params_init(&gp);
    gp.num_iterations = 2;
    gp.min_data_in_leaf = 1;
    assert_int_equal(plumb_gbdt_train(f, NULL, &gp, &m, NULL), PLUMB_OK);
    char *t = NULL;
    assert_int_equal(plumb_model_rules(m, &t, &err), PLUMB_EINVAL);
    assert_null(t);
    assert_string_equal(err.message, "a gbdt model has no rules: only tree models have them");
    plumb_tree_info ti;
    assert_int_equal(plumb_tree_describe(m, &ti, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "not a tree model");
    plumb_model_free(m);
    plumb_frame_free(f);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parity_generated_binary),
        cmocka_unit_test(parity_generated_regression),
        cmocka_unit_test(parity_credit),
        cmocka_unit_test(numeric_split_with_missing_is_best),
        cmocka_unit_test(categorical_split_is_best_subset),
        cmocka_unit_test(missing_values_follow_training),
        cmocka_unit_test(unseen_category_goes_to_larger_child),
        cmocka_unit_test(threads_give_same_tree),
        cmocka_unit_test(invariants),
        cmocka_unit_test(pruning_follows_the_path),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(corrupted_tree_files_are_refused),
        cmocka_unit_test(rules_text),
        cmocka_unit_test(errors_have_exact_messages),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
