/* test_monitor.c -- plumb_monitor_run (src/monitor/): no alert on resamples of the training data, and each planted
 * break found on the column it was planted in; the statistics against values computed with scipy. */
#include "test.h"

#include "monitor/monitor.h"

#include <jansson.h>
#include <math.h>

enum { PLAIN, X1000, STUCK, MISSING, UNSEEN, SHIFT, FLIP };

/* n rows of x0..x3 (numeric), c (categorical a..d) and y (binary, from a logistic model of x0, x1 and c), with a
 * break planted in x1 (or c, or the labels). */
static char *table(int64_t n, uint64_t seed, int plant) {
    rng_state = seed;
    plumb_test_text b = {0};
    plumb_test_put(&b, "x0,x1,x2,x3,c,y\n");
    for (int64_t i = 0; i < n; i++) {
        double x[4];
        for (int j = 0; j < 4; j++)
            x[j] = sqrt(-2 * log(1 - rnd())) * cos(6.283185307179586 * rnd());
        const int c = (int)(rnd() * 4);
        double z = 1.5 * x[0] - x[1] + (c == 2 ? 1 : 0);
        int y = rnd() < 1 / (1 + exp(-z));
        if (plant == FLIP && rnd() < 0.5)
            y = rnd() < 0.5;
        if (plant == X1000)
            x[1] *= 1000;
        if (plant == STUCK)
            x[1] = 0.25;
        if (plant == SHIFT)
            x[1] += 0.8;
        if (plant == MISSING && rnd() < 0.3)
            plumb_test_put(&b, "%.6f,,%.6f,%.6f,", x[0], x[2], x[3]);
        else
            plumb_test_put(&b, "%.6f,%.6f,%.6f,%.6f,", x[0], x[1], x[2], x[3]);
        plumb_test_put(&b, "%s,%s\n", plant == UNSEEN && c == 3 ? "e" : (const char *[]){"a", "b", "c", "d"}[c],
                       y ? "yes" : "no");
    }
    return b.s;
}

static plumb_model *model_for(void) {
    char *csv = table(6000, 1, PLAIN);
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    plumb_frame *f = plumb_test_read(csv, &o);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 30;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(f, NULL, &p, &m, &err), &err);
    plumb_frame_free(f);
    free(csv);
    csv = table(3000, 2, PLAIN); /* held-out rows for the score part of the profile */
    o.schema = plumb_model_schema(m);
    f = plumb_test_read(csv, &o);
    plumb_test_ok(plumb_model_profile_scores(m, f, &err), &err);
    plumb_frame_free(f);
    free(csv);
    return m;
}

static plumb_monitor *monitor(const plumb_model *m, const char *csv, const char *labels) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(m);
    o.schema_subset = 1;
    plumb_frame *f = plumb_test_read(csv, &o);
    plumb_monitor_options mo;
    plumb_monitor_options_init(&mo);
    mo.labels_column = labels;
    plumb_monitor *mon = NULL;
    plumb_error err;
    plumb_test_ok(plumb_monitor_run(m, f, &mo, &mon, &err), &err);
    plumb_frame_free(f);
    return mon;
}

static void resamples_of_the_training_distribution_raise_few_alarms(void **state) {
    (void)state;
    plumb_model *m = model_for();
    int alarms = 0;
    for (uint64_t seed = 100; seed < 120; seed++) { /* 10 small windows (KS, chi-square), 10 large ones */
        char *csv = table(seed < 110 ? 400 : 3000, seed, PLAIN);
        plumb_monitor *mon = monitor(m, csv, "y");
        alarms += plumb_monitor_n_alerts(mon) > 0;
        if (getenv("PLUMB_TEST_VERBOSE")) {
            char *t = plumb_monitor_text(mon);
            fputs(t, stderr);
            free(t);
        }
        plumb_monitor_free(mon);
        free(csv);
    }
    assert_true(alarms <= 2); /* the budget is 5% per window */
    plumb_model_free(m);
}

/* The alerts of the one window of a run, as (kind, column) pairs: "drift:x1,range:x1". */
static void alerts_of(const plumb_monitor *mon, char *buf, size_t n) {
    buf[0] = '\0';
    const plumb__window *w = &mon->windows[0];
    for (int64_t f = 0; f <= mon->n_features; f++) {
        const plumb__drift *d = f < mon->n_features ? &w->features[f] : &w->score;
        const char *kinds[] = {"drift", "missing", "range", "unseen"};
        const bool on[] = {d->drift, d->missing_alert, d->range_alert, d->unseen_alert};
        for (int k = 0; k < 4; k++)
            if (on[k])
                snprintf(buf + strlen(buf), n - strlen(buf), "%s%s:%s", buf[0] ? "," : "", kinds[k], d->name);
    }
    if (w->concept_alert)
        snprintf(buf + strlen(buf), n - strlen(buf), "%sconcept", buf[0] ? "," : "");
}

static void each_break_is_found_on_its_column(void **state) {
    (void)state;
    plumb_model *m = model_for();
    const struct {
        int plant;
        int64_t n;
        const char *want;
    } cases[] = {
        {X1000, 3000, "drift:x1,range:x1,drift:score,concept"},
        {STUCK, 3000, "drift:x1,drift:score,concept"},
        {MISSING, 3000, "missing:x1"},
        {UNSEEN, 3000, "drift:c,unseen:c"},
        {SHIFT, 3000, "drift:x1,drift:score"},
        {SHIFT, 500, "drift:x1,drift:score"},
        {FLIP, 3000, "concept"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *csv = table(cases[i].n, 7 + i, cases[i].plant);
        plumb_monitor *mon = monitor(m, csv, "y");
        char got[256];
        alerts_of(mon, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            print_error("case %zu: alerts '%s', want '%s'\n", i, got, cases[i].want);
        assert_true(plumb_monitor_n_alerts(mon) > 0);
        bad += strcmp(got, cases[i].want) != 0;
        plumb_monitor_free(mon);
        free(csv);
    }
    assert_int_equal(bad, 0);
    plumb_model_free(m);
}

static void a_missing_column_is_a_schema_alert_and_the_rest_is_monitored(void **state) {
    (void)state;
    plumb_model *m = model_for();
    char *csv = table(2000, 3, PLAIN);
    for (char *line = csv; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) /* drop x3 */
        if (*line) {
            char *c3 = line;
            for (int k = 0; k < 3; k++)
                c3 = strchr(c3, ',') + 1;
            char *next = strchr(c3, ',');
            memmove(c3, next + 1, strlen(next + 1) + 1);
        }
    plumb_monitor *mon = monitor(m, csv, NULL);
    assert_int_equal(mon->n_schema, 1);
    assert_string_equal(mon->schema[0].column, "x3");
    assert_string_equal(mon->schema[0].problem, "column 'x3' needed by the model is missing");
    assert_int_equal(plumb_monitor_n_alerts(mon), 1);
    assert_false(mon->windows[0].has_score);
    char *json = plumb_monitor_json(mon);
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "windows"), 0), "features")), 4);
    json_decref(j);
    free(json);
    plumb_monitor_free(mon);
    free(csv);
    plumb_model_free(m);
}

static void windows_follow_the_time_column(void **state) {
    (void)state;
    plumb_test_text b = {0};
    plumb_test_put(&b, "t,x,y\n");
    rng_state = 5;
    for (int d = 0; d < 30; d++)
        for (int i = 0; i < 100; i++) {
            const double x = rnd();
            plumb_test_put(&b, "2024-01-%02d,%.4f,%d\n", d + 1, x, rnd() < x);
        }
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    o.time_col = "t";
    plumb_frame *f = plumb_test_read(b.s, &o);
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.task = PLUMB_TASK_BINARY;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_linear_train(f, &p, &m, &err), &err);
    plumb_monitor_options mo;
    plumb_monitor_options_init(&mo);
    mo.time_column = "t";
    mo.window_seconds = 7 * 86400;
    plumb_monitor *mon = NULL;
    plumb_test_ok(plumb_monitor_run(m, f, &mo, &mon, &err), &err);
    /* 2024-01-01 is a Monday; weeks counted from 1970-01-01, a Thursday: windows start on Thursdays */
    assert_int_equal(mon->n_windows, 5);
    int64_t rows = 0;
    for (int64_t k = 0; k < mon->n_windows; k++)
        rows += mon->windows[k].n_rows;
    assert_int_equal(rows, 3000);
    assert_int_equal(mon->windows[0].n_rows, 300); /* Jan 1-3 */
    plumb_monitor_free(mon);
    mo.time_column = "x";
    assert_int_equal(plumb_monitor_run(m, f, &mo, &mon, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "time column 'x' is not a datetime");
    plumb_model_free(m);
    plumb_frame_free(f);
    free(b.s);
}

/* Reference values in closed form: the Kolmogorov distribution at 1 is 0.26999967 (Marsaglia, Tsang and Wang's
 * table); chi-square with 1 degree of freedom has sf(x) = erfc(sqrt(x / 2)), with 4 sf(x) = exp(-x/2) (1 + x/2);
 * the Jensen-Shannon distance of (0.5, 0.5) and (1, 0), base 2, is sqrt((0.2075187 + 0.4150375) / 2). */
static void statistics_match_closed_forms(void **state) {
    (void)state;
    /* the asymptotic KS p-value tends to the Kolmogorov distribution for very large samples */
    assert_true(fabs(plumb__ks_pvalue(1.0 / sqrt(1e12), 2e12, 2e12) - 0.26999967) < 1e-5);
    const int64_t ref[2] = {500, 500}, cur[2] = {60, 40};
    double x2;
    const double p = plumb__chi2_test(ref, cur, 2, &x2);
    assert_true(fabs(x2 - 4.0) < 1e-12);
    assert_true(fabs(p - erfc(sqrt(2.0))) < 1e-9);
    const int64_t r5[5] = {100, 100, 100, 100, 100}, c5[5] = {30, 20, 10, 20, 20};
    assert_true(fabs(plumb__chi2_test(r5, c5, 5, &x2) - exp(-5.0) * 6) < 1e-9);
    assert_true(fabs(x2 - 10.0) < 1e-12);
    const int64_t one[2] = {10, 0};
    assert_true(fabs(plumb__js_distance(ref, one, 2) - 0.5579230) < 1e-6);
    assert_true(fabs(plumb__ks_binned(ref, one, 2) - 0.5) < 1e-12);
    assert_true(fabs(plumb__psi(ref, ref, 2)) < 1e-15);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resamples_of_the_training_distribution_raise_few_alarms),
        cmocka_unit_test(each_break_is_found_on_its_column),
        cmocka_unit_test(a_missing_column_is_a_schema_alert_and_the_rest_is_monitored),
        cmocka_unit_test(windows_follow_the_time_column),
        cmocka_unit_test(statistics_match_closed_forms),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
