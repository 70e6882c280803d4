/* test_split.c -- cross-validation splits: the invariants of each strategy (partition, class balance, groups
 * never straddling folds, time order, gaps and ties) and the errors for impossible requests. The rows of unshuffled
 * splits are checked against scikit-learn's in test_metrics (parity_golden). */
#include "test.h"

#include <math.h>
#include <stdbool.h>

static plumb_split *make(int64_t n, const plumb_split_options *o) {
    plumb_split *s = NULL;
    plumb_error err;
    if (plumb_split_create(n, o, &s, &err) != PLUMB_OK)
        fail_msg("split: %s", err.message);
    return s;
}

/* Every row is tested in exactly one fold and trains in all the others; returns the test fold of each row. */
static int32_t *expect_partition(const plumb_split *s) {
    const int64_t n = plumb_split_n_rows(s);
    int32_t *fold = malloc((size_t)n * sizeof *fold);
    uint8_t *role = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        fold[i] = -1;
    for (int32_t k = 0; k < plumb_split_n_folds(s); k++) {
        plumb_split_roles(s, k, role);
        int64_t nt = 0;
        for (int64_t i = 0; i < n; i++) {
            assert_true(role[i] == PLUMB_FOLD_TRAIN || role[i] == PLUMB_FOLD_TEST);
            if (role[i] == PLUMB_FOLD_TEST) {
                assert_int_equal(fold[i], -1);
                fold[i] = k;
                nt++;
            }
        }
        assert_true(nt > 0);
    }
    for (int64_t i = 0; i < n; i++)
        assert_true(fold[i] >= 0);
    free(role);
    return fold;
}

static void kfold_partitions_in_balanced_folds(void **state) {
    (void)state;
    plumb_split_options o;
    plumb_split_options_init(&o);
    assert_int_equal(o.n_folds, 5);
    for (int shuffle = 0; shuffle <= 1; shuffle++) {
        o.shuffle = shuffle;
        o.n_folds = 7;
        plumb_split *s = make(103, &o);
        int32_t *fold = expect_partition(s);
        int64_t size[7] = {0};
        bool in_order = true;
        for (int64_t i = 0; i < 103; i++) {
            size[fold[i]]++;
            in_order &= i == 0 || fold[i] >= fold[i - 1];
        }
        for (int k = 0; k < 7; k++)
            assert_int_equal(size[k], k < 103 % 7 ? 15 : 14);
        assert_int_equal(in_order, !shuffle);
        /* plumb_split_rows agrees with the roles, in increasing row order */
        int64_t train[103], test[103], ntr, nte;
        plumb_split_rows(s, 2, train, &ntr, test, &nte);
        assert_int_equal(ntr + nte, 103);
        for (int64_t i = 0; i < nte; i++)
            assert_true(fold[test[i]] == 2 && (i == 0 || test[i] > test[i - 1]));
        for (int64_t i = 0; i < ntr; i++)
            assert_true(fold[train[i]] != 2);
        free(fold);
        plumb_split_free(s);
    }
    /* the seed decides the shuffle */
    o.shuffle = 1;
    o.seed = 1;
    plumb_split *a = make(50, &o), *b = make(50, &o);
    o.seed = 2;
    plumb_split *c = make(50, &o);
    int32_t *fa = expect_partition(a), *fb = expect_partition(b), *fc = expect_partition(c);
    assert_memory_equal(fa, fb, 50 * sizeof *fa);
    assert_memory_not_equal(fa, fc, 50 * sizeof *fa);
    free(fa), free(fb), free(fc);
    plumb_split_free(a), plumb_split_free(b), plumb_split_free(c);
}

static void stratified_balances_every_class(void **state) {
    (void)state;
    enum { N = 1000, K = 5, C = 3 };
    int64_t lab[N];
    rng_state = 7;
    for (int i = 0; i < N; i++)
        lab[i] = rnd() < 0.07 ? 9 : rnd() < 0.3 ? 4 : 0; /* a rare class and unequal ones, any values */
    plumb_split_options o;
    plumb_split_options_init(&o);
    o.strategy = PLUMB_SPLIT_STRATIFIED;
    o.n_folds = K;
    o.labels = lab;
    for (int shuffle = 0; shuffle <= 1; shuffle++) {
        o.shuffle = shuffle;
        plumb_split *s = make(N, &o);
        int32_t *fold = expect_partition(s);
        int64_t count[K][C] = {{0}}, total[C] = {0}, size[K] = {0};
        for (int i = 0; i < N; i++) {
            const int c = lab[i] == 0 ? 0 : lab[i] == 4 ? 1 : 2;
            count[fold[i]][c]++;
            total[c]++;
            size[fold[i]]++;
        }
        for (int c = 0; c < C; c++)
            for (int k = 0; k < K; k++) /* each fold holds its share of each class, to one row */
                assert_true(llabs(count[k][c] * K - total[c]) <= K);
        for (int k = 0; k < K; k++)
            assert_true(llabs(size[k] * K - N) <= 2 * K);
        free(fold);
        plumb_split_free(s);
    }
}

static void groups_never_straddle_folds(void **state) {
    (void)state;
    enum { N = 2000, K = 4 };
    int64_t grp[N];
    rng_state = 13;
    for (int i = 0; i < N; i++)
        grp[i] = (int64_t)(pow(rnd(), 2) * 150); /* 150 groups of very different sizes */
    plumb_split_options o;
    plumb_split_options_init(&o);
    o.strategy = PLUMB_SPLIT_GROUP;
    o.n_folds = K;
    o.groups = grp;
    plumb_split *s = make(N, &o);
    int32_t *fold = expect_partition(s);
    int32_t fold_of[150];
    int64_t size[K] = {0};
    for (int g = 0; g < 150; g++)
        fold_of[g] = -1;
    for (int i = 0; i < N; i++) {
        if (fold_of[grp[i]] < 0)
            fold_of[grp[i]] = fold[i];
        assert_int_equal(fold_of[grp[i]], fold[i]);
        size[fold[i]]++;
    }
    for (int k = 0; k < K; k++) /* greedy balancing: within the largest group's size of the mean */
        assert_true(llabs(size[k] - N / K) < 60);
    free(fold);
    plumb_split_free(s);
}

/* Time splits: training rows all precede the test rows in time, the gap holds at least gap rows, rows of one time
 * never get two roles, test blocks tile the later part in order. */
static void time_splits_respect_order_gap_and_ties(void **state) {
    (void)state;
    enum { N = 500, K = 4 };
    double t[N];
    rng_state = 21;
    for (int i = 0; i < N; i++)
        t[i] = floor(rnd() * 120); /* shuffled rows, about 4 rows per time */
    plumb_split_options o;
    plumb_split_options_init(&o);
    o.strategy = PLUMB_SPLIT_TIME;
    o.n_folds = K;
    o.times = t;
    for (int64_t gap = 0; gap <= 30; gap += 30) {
        o.gap = gap;
        plumb_split *s = make(N, &o);
        uint8_t role[N];
        double prev_test_max = -1;
        int64_t prev_train = 0;
        for (int32_t k = 0; k < K; k++) {
            plumb_split_roles(s, k, role);
            double train_max = -INFINITY, test_min = INFINITY, test_max = -INFINITY;
            int64_t ntrain = 0, ntest = 0, between = 0;
            for (int i = 0; i < N; i++) {
                if (role[i] == PLUMB_FOLD_TRAIN)
                    train_max = fmax(train_max, t[i]), ntrain++;
                else if (role[i] == PLUMB_FOLD_TEST)
                    test_min = fmin(test_min, t[i]), test_max = fmax(test_max, t[i]), ntest++;
            }
            assert_true(ntrain > 0 && ntest > 0);
            assert_true(train_max < test_min);
            assert_true(test_min > prev_test_max); /* blocks follow each other */
            assert_true(ntrain >= prev_train);     /* the window expands */
            for (int i = 0; i < N; i++) {
                /* a time has one role: no test time also trains or sits in the gap, and so on */
                for (int j = 0; j < N; j++)
                    if (t[j] == t[i])
                        assert_int_equal(role[i], role[j]);
                between += role[i] == PLUMB_FOLD_UNUSED && t[i] > train_max && t[i] < test_min;
            }
            assert_true(between >= gap);
            assert_true(abs((int)ntest - N / (K + 1)) < 12); /* about n / (k + 1) rows, edges moved to a tie */
            prev_test_max = test_max;
            prev_train = ntrain;
        }
        plumb_split_free(s);
    }
}

static void expect_split_error(int64_t n, const plumb_split_options *o, const char *message) {
    plumb_split *s = (void *)1;
    plumb_error err;
    assert_int_equal(plumb_split_create(n, o, &s, &err), PLUMB_EINVAL);
    assert_null(s);
    assert_string_equal(err.message, message);
}

static void impossible_splits_fail_clearly(void **state) {
    (void)state;
    int64_t lab[6] = {0, 0, 1, 1, 1, 2}, grp[6] = {5, 5, 6, 6, 7, 7};
    double t[6] = {1, 2, 3, 4, 5, 6};
    plumb_split_options o;
    plumb_split_options_init(&o);
    o.n_folds = 1;
    expect_split_error(6, &o, "cross-validation needs at least 2 folds, got 1");
    o.n_folds = 7;
    expect_split_error(6, &o, "cannot have more folds (7) than rows (6)");
    o.n_folds = 4;
    o.strategy = PLUMB_SPLIT_STRATIFIED;
    expect_split_error(6, &o, "stratified folds need the classes");
    o.labels = lab;
    expect_split_error(6, &o, "cannot make 4 stratified folds: no class has that many rows (the largest has 3)");
    lab[4] = -1;
    o.n_folds = 2;
    expect_split_error(6, &o, "the class of row 5 is missing");
    o.strategy = PLUMB_SPLIT_GROUP;
    o.groups = grp;
    o.n_folds = 4;
    expect_split_error(6, &o, "cannot have more folds (4) than groups (3)");
    o.strategy = PLUMB_SPLIT_TIME;
    o.times = t;
    o.n_folds = 2;
    o.gap = 4;
    expect_split_error(6, &o,
                       "too many folds (2) for 6 rows with a gap of 4: time splits need more than gap + folds x "
                       "rows/(folds+1) rows");
    o.gap = 0;
    t[2] = NAN;
    expect_split_error(6, &o, "the time of row 3 is missing");
    double same[6] = {1, 2, 2, 2, 2, 2};
    o.times = same;
    expect_split_error(6, &o,
                       "too few distinct times for 2 folds: test block 2 would be empty (rows with equal times "
                       "stay together)");
    double early[6] = {1, 1, 1, 2, 3, 3};
    o.times = early;
    o.n_folds = 2; /* test blocks at 2 and 4 move to the tie edges 3 and 4; the first trains on the 1s */
    plumb_split *s = make(6, &o);
    int64_t tr[6], te[6], ntr, nte;
    plumb_split_rows(s, 0, tr, &ntr, te, &nte);
    assert_int_equal(ntr, 3);
    assert_int_equal(nte, 1);
    plumb_split_free(s);
    o.gap = 1; /* the gap reaches into the 1s: all of them leave training */
    expect_split_error(6, &o,
                       "fold 1 has no training rows: its test block starts at the earliest time or within the "
                       "gap");
}

PLUMB_TEST_MAIN(cmocka_unit_test(kfold_partitions_in_balanced_folds), cmocka_unit_test(stratified_balances_every_class),
                cmocka_unit_test(groups_never_straddle_folds), cmocka_unit_test(time_splits_respect_order_gap_and_ties),
                cmocka_unit_test(impossible_splits_fail_clearly))
