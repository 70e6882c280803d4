/* test_tune.c -- the search: space files and their errors, the samplers (TPE against random on known functions,
 * bounds, conditional parameters, determinism), the median rule, parameter importance and the journal. */
#include "test.h"

#include <math.h>

static const char space3[] = "{\n"
                             "  \"learning_rate\": {\"type\": \"float\", \"low\": 0.001, \"high\": 1, \"log\": true},\n"
                             "  \"feature_fraction\": {\"type\": \"float\", \"low\": 0.1, \"high\": 1},\n"
                             "  \"num_leaves\": {\"type\": \"int\", \"low\": 2, \"high\": 256, \"log\": true},\n"
                             "  \"bagging_freq\": {\"type\": \"categorical\", \"choices\": [0, 1, 5]},\n"
                             "  \"bagging_fraction\": {\"type\": \"float\", \"low\": 0.3, \"high\": 1,\n"
                             "                       \"when\": {\"bagging_freq\": [1, 5]}}\n"
                             "}\n";

static plumb_tune_space *parse(const char *text) {
    plumb_tune_space *s = NULL;
    plumb_error err;
    assert_int_equal(plumb_tune_space_parse(text, strlen(text), "s.json", "gbdt", &s, &err), PLUMB_OK);
    return s;
}

/* A smooth function with its minimum 0 at learning_rate 0.03, feature_fraction 0.7, num_leaves 40, bagging_freq 1,
 * bagging_fraction 0.8 -- shaped like a validation loss over the usual parameters. */
static double loss(const double *v) {
    const double a = log10(v[0]) - log10(0.03), b = (v[1] - 0.7) / 0.3, c = (log(v[2]) - log(40)) / 1.5;
    double l = a * a + b * b + c * c;
    l += v[3] == 1 ? 0 : 0.5;
    if (!isnan(v[4]))
        l += ((v[4] - 0.8) / 0.3) * ((v[4] - 0.8) / 0.3);
    else
        l += 0.3;
    return l;
}

/* The best loss found in n trials. */
static double search(const plumb_tune_space *s, plumb_tune_sampler sampler, uint64_t seed, int n) {
    plumb_tuner_options o;
    plumb_tuner_options_init(&o);
    o.sampler = sampler;
    o.seed = seed;
    o.minimize = true;
    plumb_tuner *t = NULL;
    assert_int_equal(plumb_tuner_create(s, &o, &t, NULL), PLUMB_OK);
    double v[8], best = INFINITY;
    for (int i = 0; i < n; i++) {
        assert_int_equal(plumb_tuner_ask(t, v, NULL), PLUMB_OK);
        const double l = loss(v);
        best = fmin(best, l);
        assert_int_equal(plumb_tuner_tell(t, v, PLUMB_TRIAL_COMPLETE, l, NULL, 0, NULL), PLUMB_OK);
    }
    plumb_tuner_free(t);
    return best;
}

/* Over 20 seeds at 60 trials, TPE's mean best loss is well below random search's (measured: about 0.16 against
 * 0.47, and TPE wins on most seeds); the assertion leaves room for that margin to shrink by half. */
static void tpe_beats_random(void **state) {
    (void)state;
    plumb_tune_space *s = parse(space3);
    double tpe = 0, rnd_ = 0;
    int wins = 0;
    const int seeds = 20;
    for (int k = 0; k < seeds; k++) {
        const double a = search(s, PLUMB_TUNE_TPE, (uint64_t)k, 60), b = search(s, PLUMB_TUNE_RANDOM, (uint64_t)k, 60);
        tpe += a / seeds;
        rnd_ += b / seeds;
        wins += a < b;
    }
    print_message("mean best loss over %d seeds: tpe %.4f, random %.4f; tpe better on %d\n", seeds, tpe, rnd_, wins);
    assert_true(tpe < 0.6 * rnd_);
    assert_true(wins >= 14);
    plumb_tune_space_free(s);
}

/* Every proposal lies in its bounds, ints are whole, an inactive child is NaN, an active one is not. */
static void proposals_in_bounds(void **state) {
    (void)state;
    plumb_tune_space *s = parse(space3);
    for (int sampler = 0; sampler < 2; sampler++) {
        plumb_tuner_options o;
        plumb_tuner_options_init(&o);
        o.sampler = (plumb_tune_sampler)sampler;
        o.minimize = true;
        plumb_tuner *t = NULL;
        assert_int_equal(plumb_tuner_create(s, &o, &t, NULL), PLUMB_OK);
        double v[5];
        for (int i = 0; i < 80; i++) {
            assert_int_equal(plumb_tuner_ask(t, v, NULL), PLUMB_OK);
            assert_true(v[0] >= 0.001 && v[0] <= 1);
            assert_true(v[1] >= 0.1 && v[1] <= 1);
            assert_true(v[2] >= 2 && v[2] <= 256 && v[2] == floor(v[2]));
            assert_true(v[3] == 0 || v[3] == 1 || v[3] == 2);
            assert_true(v[3] == 0 ? isnan(v[4]) : (v[4] >= 0.3 && v[4] <= 1));
            assert_int_equal(plumb_tune_space_active(s, v, 4), v[3] != 0);
            assert_int_equal(plumb_tuner_tell(t, v, PLUMB_TRIAL_COMPLETE, loss(v), NULL, 0, NULL), PLUMB_OK);
        }
        plumb_tuner_free(t);
    }
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    const double v[5] = {0.05, 0.5, 17, 2, 0.6};
    plumb_tune_apply_gbdt(s, v, &p);
    assert_true(p.learning_rate == 0.05 && p.feature_fraction == 0.5 && p.num_leaves == 17 && p.bagging_freq == 5 &&
                p.bagging_fraction == 0.6);
    plumb_tune_space_free(s);
}

/* The same seed proposes the same trials; another seed does not. A tuner told the first 30 trials of a search
 * proposes trial 31 as the uninterrupted search did (what resuming from a journal relies on). */
static void deterministic(void **state) {
    (void)state;
    plumb_tune_space *s = parse(space3);
    plumb_tuner_options o;
    plumb_tuner_options_init(&o);
    o.minimize = true;
    o.seed = 7;
    plumb_tuner *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(plumb_tuner_create(s, &o, &a, NULL), PLUMB_OK);
    assert_int_equal(plumb_tuner_create(s, &o, &b, NULL), PLUMB_OK);
    o.seed = 8;
    assert_int_equal(plumb_tuner_create(s, &o, &c, NULL), PLUMB_OK);
    double va[5], vb[5], vc[5];
    int differ = 0;
    for (int i = 0; i < 30; i++) {
        plumb_tuner_ask(a, va, NULL);
        plumb_tuner_ask(b, vb, NULL);
        plumb_tuner_ask(c, vc, NULL);
        assert_memory_equal(va, vb, sizeof va);
        differ += va[0] != vc[0];
        plumb_tuner_tell(a, va, PLUMB_TRIAL_COMPLETE, loss(va), NULL, 0, NULL);
        plumb_tuner_tell(b, vb, PLUMB_TRIAL_COMPLETE, loss(vb), NULL, 0, NULL);
        plumb_tuner_tell(c, vc, PLUMB_TRIAL_COMPLETE, loss(vc), NULL, 0, NULL);
    }
    assert_true(differ > 25);
    /* a fresh tuner told a's history proposes what a proposes next */
    o.seed = 7;
    plumb_tuner *r = NULL;
    assert_int_equal(plumb_tuner_create(s, &o, &r, NULL), PLUMB_OK);
    for (int64_t i = 0; i < plumb_tuner_n_trials(a); i++) {
        plumb_trial_state st;
        double sc;
        const double *v = plumb_tuner_trial(a, i, &st, &sc);
        plumb_tuner_tell(r, v, st, sc, NULL, 0, NULL);
    }
    plumb_tuner_ask(a, va, NULL);
    plumb_tuner_ask(r, vb, NULL);
    assert_memory_equal(va, vb, sizeof va);
    plumb_tuner_free(a);
    plumb_tuner_free(b);
    plumb_tuner_free(c);
    plumb_tuner_free(r);
    plumb_tune_space_free(s);
}

/* The median rule's reference and the importance of the one parameter a score depends on. */
static void median_and_importance(void **state) {
    (void)state;
    plumb_tune_space *s = parse(space3);
    plumb_tuner_options o;
    plumb_tuner_options_init(&o);
    o.sampler = PLUMB_TUNE_RANDOM;
    plumb_tuner *t = NULL;
    assert_int_equal(plumb_tuner_create(s, &o, &t, NULL), PLUMB_OK);
    assert_true(isnan(plumb_tuner_median(t, 0, 1)));
    double v[5];
    for (int i = 0; i < 40; i++) {
        plumb_tuner_ask(t, v, NULL);
        const double steps[2] = {(double)i, (double)i + 2}; /* running means after step 1: i + 1 */
        /* the score depends on feature_fraction alone */
        plumb_tuner_tell(t, v, PLUMB_TRIAL_COMPLETE, v[1], steps, i < 30 ? 2 : 1, NULL);
    }
    assert_true(plumb_tuner_median(t, 0, 1) == 19.5); /* 0..39 */
    assert_true(plumb_tuner_median(t, 1, 1) == 15.5); /* (i + i + 2) / 2 for i in 0..29 */
    assert_true(isnan(plumb_tuner_median(t, 1, 31))); /* only 30 trials reached step 1 */
    double imp[5];
    plumb_tuner_importance(t, imp);
    print_message("importance: %.3f %.3f %.3f %.3f %.3f\n", imp[0], imp[1], imp[2], imp[3], imp[4]);
    assert_true(imp[1] > 0.6);
    double sum = 0;
    for (int i = 0; i < 5; i++)
        sum += imp[i];
    assert_true(fabs(sum - 1) < 1e-12);
    assert_int_equal(plumb_tuner_best(t) >= 0, 1);
    plumb_tuner_free(t);
    plumb_tune_space_free(s);
}

/* Errors in a space file say where, as a compiler would. */
static void space_errors(void **state) {
    (void)state;
    static const struct {
        const char *text, *model, *message;
    } cases[] = {
        {"{\"learning_rate\": {\"type\": \"float\", \"low\": 0.01 \"high\": 1}}", "gbdt",
         "s.json:1:54: '}' expected near '\"high\"'"},
        {"{\n  \"learning_rate\": {\"type\": \"float\", \"low\": 0.01, \"high\": 2}\n}", "gbdt",
         "s.json:2:51: 'learning_rate': high 2 is outside the values a gbdt model takes: (0, 1]"},
        {"{\n  \"leaves\": {\"type\": \"int\", \"low\": 2, \"high\": 8}\n}", "gbdt",
         "s.json:2:3: 'leaves' is no parameter of a gbdt model that plumb tune can set"},
        {"{\n  \"num_leaves\": {\"type\": \"int\", \"low\": 2, \"high\": 8.5}\n}", "gbdt",
         "s.json:2:43: 'num_leaves': an int parameter needs whole-number bounds"},
        {"{\n  \"num_leaves\": {\"type\": \"int\", \"low\": 64,\n    \"high\": 8}\n}", "gbdt",
         "s.json:3:5: 'num_leaves': high 8 is below low 64"},
        {"{\"alpha\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"log\": true}}", "logistic",
         "s.json:1:29: 'alpha': a log-scaled parameter needs low > 0, got 0"},
        {"{\"criterion\": {\"type\": \"categorical\", \"choices\": [\"gini\", \"best\"]}}", "tree",
         "s.json:1:39: 'criterion': unknown criterion 'best' (expected gini, entropy or squared_error)"},
        {"{\"bagging_fraction\": {\"type\": \"float\", \"low\": 0.5, \"high\": 1, \"when\": {\"bagging_freq\": [1]}}}",
         "gbdt",
         "s.json:1:63: 'bagging_fraction': \"when\" names 'bagging_freq', which is no categorical parameter given "
         "before 'bagging_fraction'"},
        {"{\"num_leaves\": {\"type\": \"int\", \"low\": 2, \"high\": 8, \"step\": 2}}", "gbdt",
         "s.json:1:53: 'num_leaves': unknown key 'step' (expected type, low, high, log, choices, when)"},
        {"[]", "gbdt",
         "s.json:1:1: a search space is a JSON object with at least one parameter, such as {\"learning_rate\": "
         "{\"type\": \"float\", \"low\": 0.01, \"high\": 0.3}}"},
        {"{\"num_leaves\": {\"type\": \"int\", \"low\": 2, \"high\": 8}, \"num_leaves\": {}}", "gbdt",
         "s.json:1:65: duplicate object key near '\"num_leaves\"'"},
        {"{\"alpha\": {\"type\": \"float\", \"low\": 0.1, \"high\": 1}}", "gbdt",
         "s.json:1:2: 'alpha' is no parameter of a gbdt model that plumb tune can set"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        plumb_tune_space *s = NULL;
        plumb_error err;
        char msg[1024];
        const plumb_status st =
            plumb_tune_space_parse(cases[i].text, strlen(cases[i].text), "s.json", cases[i].model, &s, &err);
        assert_int_equal(st, PLUMB_EPARSE);
        assert_null(s);
        assert_string_equal(plumb_error_format(&err, msg, sizeof msg), cases[i].message);
    }
    /* every default space parses, and round-trips through its canonical JSON */
    const char *models[] = {"gbdt", "logistic", "linear", "tree"};
    for (size_t i = 0; i < 4; i++) {
        plumb_tune_space *s = NULL, *again = NULL;
        assert_int_equal(plumb_tune_space_default(models[i], PLUMB_TASK_BINARY, &s, NULL), PLUMB_OK);
        char *j = plumb_tune_space_json(s);
        assert_int_equal(plumb_tune_space_parse(j, strlen(j), "again", models[i], &again, NULL), PLUMB_OK);
        char *j2 = plumb_tune_space_json(again);
        assert_string_equal(j, j2);
        free(j);
        free(j2);
        plumb_tune_space_free(s);
        plumb_tune_space_free(again);
    }
}

/* The journal keeps every trial exactly, refuses another search's configuration and a trial out of order. */
static void journal_roundtrip(void **state) {
    (void)state;
    char path[] = "/tmp/plumb-test-journal-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    plumb_tune_space *s = parse(space3);
    plumb_tuner_options o;
    plumb_tuner_options_init(&o);
    o.minimize = true;
    plumb_tuner *t = NULL, *r = NULL;
    plumb_tune_journal *j = NULL;
    plumb_error err;
    assert_int_equal(plumb_tuner_create(s, &o, &t, NULL), PLUMB_OK);
    assert_int_equal(plumb_tune_journal_open(path, "search A\nseed: 1\n", &j, &err), PLUMB_OK);
    double v[5];
    for (int i = 0; i < 15; i++) {
        plumb_tuner_ask(t, v, NULL);
        const double steps[3] = {loss(v), loss(v) / 3, NAN};
        const plumb_trial_state st = i % 4 == 3 ? PLUMB_TRIAL_PRUNED
                                     : i == 5   ? PLUMB_TRIAL_FAILED
                                                : PLUMB_TRIAL_COMPLETE;
        plumb_tuner_tell(t, v, st, loss(v), steps, 3, NULL);
        assert_int_equal(plumb_tune_journal_append(j, s, i, v, st, loss(v), steps, 3, 0.25 * i, &err), PLUMB_OK);
    }
    assert_int_equal(plumb_tune_journal_append(j, s, 17, v, PLUMB_TRIAL_COMPLETE, 1, NULL, 0, 0, &err), PLUMB_EINVAL);
    plumb_tune_journal_close(j);
    /* another search's configuration */
    assert_int_equal(plumb_tune_journal_open(path, "search A\nseed: 2\n", &j, &err), PLUMB_EINVAL);
    char msg[1024];
    char want[1200];
    snprintf(want, sizeof want,
             "%s: journal of another search: it has 'seed: 1' where this search has 'seed: 2' (resume with the same "
             "options, or use a new --journal)",
             path);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    /* the same: every trial comes back, bit for bit, and the next proposal is the same */
    assert_int_equal(plumb_tune_journal_open(path, "search A\nseed: 1\n", &j, &err), PLUMB_OK);
    assert_int_equal(plumb_tuner_create(s, &o, &r, NULL), PLUMB_OK);
    int64_t n = 0;
    assert_int_equal(plumb_tune_journal_replay(j, r, &n, &err), PLUMB_OK);
    assert_int_equal(n, 15);
    for (int64_t i = 0; i < n; i++) {
        plumb_trial_state sa, sb;
        double ca, cb;
        const double *a = plumb_tuner_trial(t, i, &sa, &ca), *b = plumb_tuner_trial(r, i, &sb, &cb);
        assert_memory_equal(a, b, 5 * sizeof *a);
        assert_int_equal(sa, sb);
        assert_true(sa == PLUMB_TRIAL_FAILED ? isnan(cb) : ca == cb);
        const double *pa, *pb;
        assert_int_equal(plumb_tuner_steps(t, i, &pa), plumb_tuner_steps(r, i, &pb));
        assert_true(pa[0] == pb[0] && pa[1] == pb[1] && isnan(pb[2]));
        assert_true(plumb_tune_journal_seconds(j, i) == 0.25 * (double)i);
    }
    double va[5], vb[5];
    plumb_tuner_ask(t, va, NULL);
    plumb_tuner_ask(r, vb, NULL);
    assert_memory_equal(va, vb, sizeof va);
    plumb_tune_journal_close(j);
    /* a file that is no journal */
    FILE *f = fopen(path, "w");
    fputs("not a database at all, just text that is long enough to have a header..........................", f);
    fclose(f);
    assert_int_equal(plumb_tune_journal_open(path, "x", &j, &err), PLUMB_EIO);
    unlink(path);
    plumb_tuner_free(t);
    plumb_tuner_free(r);
    plumb_tune_space_free(s);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tpe_beats_random), cmocka_unit_test(proposals_in_bounds),
        cmocka_unit_test(deterministic),    cmocka_unit_test(median_and_importance),
        cmocka_unit_test(space_errors),     cmocka_unit_test(journal_roundtrip),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
