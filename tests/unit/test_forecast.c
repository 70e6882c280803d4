/* test_forecast.c -- the forecaster (src/forecast/): no value after the origin reaches a feature or a forecast,
 * the model file keeps the forecaster, weekly demand is learnt, analogs of another size help a short series, and
 * bad series are refused with their file, line and column.
 */
#include "test.h"

#include "data/value.h"
#include "forecast/forecast.h"

#include <math.h>

/* Demand with a weekly shape (weekends low), a slow trend and noise, at the given scale; day 0 is a Monday. */
static double demand(int64_t i, double scale) {
    static const double week[] = {1.0, 1.05, 1.1, 1.05, 0.95, 0.35, 0.3};
    return scale * week[i % 7] * (1 + 0.002 * (double)i) * (1 + 0.04 * (rnd() - 0.5));
}

/* A long-format CSV (date,y[,id]) of series named names[k] with n[k] days from 2021-01-04 (a Monday), at scale[k]. */
static char *series_csv(size_t n_series, const char *const *names, const int64_t *n, const double *scale) {
    plumb_test_text b = {0};
    plumb_test_put(&b, names ? "date,y,id\n" : "date,y\n");
    for (size_t k = 0; k < n_series; k++) {
        const int64_t day0 = 18631; /* 2021-01-04 */
        for (int64_t i = 0; i < n[k]; i++) {
            int64_t y;
            int m, d;
            plumb__civil_from_days(day0 + i, &y, &m, &d);
            plumb_test_put(&b, "%04lld-%02d-%02d,%.6f", (long long)y, m, d, demand(i, scale[k]));
            plumb_test_put(&b, names ? ",%s\n" : "\n", names ? names[k] : "");
        }
    }
    return b.s;
}

static plumb_model *train_text(const char *csv, const char *related, int64_t horizon) {
    char *path = plumb_test_temp_file(csv), *rpath = related ? plumb_test_temp_file(related) : NULL;
    plumb_forecast_options o;
    plumb_forecast_options_init(&o);
    o.time_col = "date";
    o.target = "y";
    o.series_col = related ? "id" : NULL;
    o.horizon = horizon;
    o.related = rpath;
    o.gbdt.n_threads = 2;
    o.gbdt.num_iterations = 150;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_status st = plumb_forecast_train(path, &o, &m, &err);
    unlink(path);
    free(path);
    if (rpath)
        unlink(rpath);
    free(rpath);
    plumb_test_ok(st, &err);
    return m;
}

/* Forecasts of the model from history text csv, into out (horizon values of the first series). */
static void predict_text(const plumb_model *m, const char *csv, const char *origin, int64_t horizon, double *out) {
    char *path = plumb_test_temp_file(csv);
    plumb_forecast_predict_options po = {.horizon = horizon, .origin = origin, .threads = 1};
    plumb_forecast *fc = NULL;
    plumb_error err;
    plumb_status st = plumb_forecast_predict(m, path, &po, &fc, &err);
    unlink(path);
    free(path);
    plumb_test_ok(st, &err);
    assert_true(plumb_forecast_n_rows(fc) >= horizon);
    for (int64_t h = 0; h < horizon; h++) {
        plumb_forecast_row r;
        plumb_forecast_row_get(fc, h, &r);
        assert_int_equal(r.horizon, h + 1);
        out[h] = r.prediction;
    }
    plumb_forecast_free(fc);
}

/* Every feature of every (origin, horizon) is the same whatever the values after the origin are; the value at
 * the origin itself does count (so the comparison can fail). */
static void features_never_read_after_the_origin(void **state) {
    (void)state;
    rng_state = 11;
    enum { N = 120 };
    double y[N], z[N];
    float fut[3] = {1, 2, 3};
    for (int i = 0; i < N; i++)
        y[i] = demand(i, 10);
    plumb__fc_series s = {.name = "", .day0 = 18631, .n = N, .y = y};
    const int64_t nf = plumb__fc_n_features(3);
    float a[64], b[64];
    assert_true(nf <= 64);
    for (int64_t t = PLUMB__FC_MIN_HISTORY - 1; t < N - 1; t += 5) {
        memcpy(z, y, sizeof y);
        for (int64_t j = t + 1; j < N; j++)
            z[j] = 1000 * rnd() - 500;
        plumb__fc_series p = s;
        p.y = z;
        const double level = plumb__fc_level(&s, t);
        assert_true(level == plumb__fc_level(&p, t));
        for (int64_t h = 1; h <= 35; h++) {
            plumb__fc_features(&s, t, h, level, fut, 3, a);
            plumb__fc_features(&p, t, h, level, fut, 3, b);
            for (int64_t f = 0; f < nf; f++)
                if (memcmp(&a[f], &b[f], sizeof a[f]) != 0)
                    fail_msg("origin %lld horizon %lld: feature %lld changed with values after the origin",
                             (long long)t, (long long)h, (long long)f);
        }
        z[t] += 50; /* the origin's own value is known at the origin */
        plumb__fc_features(&p, t, 1, level, fut, 3, b);
        plumb__fc_features(&s, t, 1, level, fut, 3, a);
        assert_true(memcmp(a, b, (size_t)nf * sizeof *a) != 0);
    }
}

/* Through the public API: forecasts from an origin do not change when every row after it changes. */
static void forecasts_ignore_rows_after_the_origin(void **state) {
    (void)state;
    rng_state = 12;
    const int64_t n = 140;
    const double scale = 20;
    char *csv = series_csv(1, NULL, &n, &scale);
    plumb_model *m = train_text(csv, NULL, 14);
    rng_state = 99; /* other values, 100 times smaller, on the same days */
    const double small = scale / 100;
    char *other = series_csv(1, NULL, &n, &small);
    /* the two files agree on the first 100 days only */
    const char *p = csv, *q = other;
    for (int line = 0; line <= 100; line++) {
        p = strchr(p, '\n') + 1;
        q = strchr(q, '\n') + 1;
    }
    char *mixed = malloc(strlen(csv) + strlen(other) + 1);
    memcpy(mixed, csv, (size_t)(p - csv));
    strcpy(mixed + (p - csv), q);
    double a[14], b[14], c[14];
    predict_text(m, csv, "2021-04-13", 14, a); /* day 99 */
    predict_text(m, mixed, "2021-04-13", 14, b);
    for (int h = 0; h < 14; h++)
        assert_true(a[h] == b[h]);
    predict_text(m, other, "2021-04-13", 14, c); /* values up to the origin differ: forecasts do */
    bool differ = false;
    for (int h = 0; h < 14; h++)
        differ |= a[h] != c[h];
    assert_true(differ);
    free(mixed);
    free(other);
    free(csv);
    plumb_model_free(m);
}

/* Saved and loaded, the model forecasts to the bit what it did, and says what it forecasts. */
static void model_file_keeps_the_forecaster(void **state) {
    (void)state;
    rng_state = 13;
    const int64_t n = 90;
    const double scale = 5;
    char *csv = series_csv(1, NULL, &n, &scale);
    plumb_model *m = train_text(csv, NULL, 7);
    void *buf = NULL;
    size_t size = 0;
    plumb_error err;
    plumb_test_ok(plumb_model_save_buffer(m, &buf, &size, &err), &err);
    plumb_model *l = NULL;
    plumb_test_ok(plumb_model_load_buffer(buf, size, "f.plumb", &l, &err), &err);
    plumb_forecast_info info;
    plumb_test_ok(plumb_forecast_describe(l, &info, &err), &err);
    assert_string_equal(info.time_col, "date");
    assert_string_equal(info.target, "y");
    assert_null(info.series_col);
    assert_int_equal(info.horizon, 7);
    assert_int_equal(info.n_future_cols, 0);
    double a[7], b[7];
    predict_text(m, csv, NULL, 7, a);
    predict_text(l, csv, NULL, 7, b);
    for (int h = 0; h < 7; h++)
        assert_true(a[h] == b[h]);
    /* a horizon beyond the model's is refused */
    char *path = plumb_test_temp_file(csv);
    plumb_forecast *fc = NULL;
    plumb_forecast_predict_options po = {.horizon = 8};
    assert_int_equal(plumb_forecast_predict(l, path, &po, &fc, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "horizon 8 is outside 1..7, the horizons the model was trained for");
    assert_null(fc);
    unlink(path);
    free(path);
    free(buf);
    free(csv);
    plumb_model_free(l);
    plumb_model_free(m);
}

static double wape(const double *y, const double *p, int64_t n) {
    double e = 0, s = 0;
    for (int64_t i = 0; i < n; i++) {
        e += fabs(y[i] - p[i]);
        s += fabs(y[i]);
    }
    return e / s;
}

/* The first days data rows of csv (with its header) as a new string; the target of the n rows after them into
 * truth. */
static char *split_days(const char *csv, int days, double *truth, int n) {
    char *cut = strdup(csv), *p = cut;
    for (int line = 0; line <= days; line++)
        p = strchr(p, '\n') + 1;
    *p = '\0';
    const char *q = csv + (p - cut);
    for (int h = 0; h < n; h++) {
        q = strchr(q, ',') + 1;
        truth[h] = strtod(q, NULL);
        q = strchr(q, '\n') + 1;
    }
    return cut;
}

/* On 8 weeks of weekly demand, 28 days ahead are forecast within a few percent: the weekend dip included. */
static void weekly_demand_is_learnt(void **state) {
    (void)state;
    rng_state = 14;
    const int64_t n = 56 + 28;
    const double scale = 100;
    char *csv = series_csv(1, NULL, &n, &scale);
    double pred[28], truth[28];
    char *cut = split_days(csv, 56, truth, 28); /* the last 28 days are for checking */
    plumb_model *m = train_text(cut, NULL, 28);
    predict_text(m, cut, NULL, 28, pred);
    const double w = wape(truth, pred, 28);
    print_message("weekly demand, 56 days -> 28: WAPE %.4f\n", w);
    assert_true(w < 0.03);
    assert_true(pred[5] < 0.5 * pred[2]); /* day 56 is a Monday: day 61 a Saturday, day 58 a Wednesday */
    free(cut);
    free(csv);
    plumb_model_free(m);
}

/* A series of 21 days forecast 14 days ahead: analogs 100 times smaller and larger, pooled with their own levels,
 * make the forecast better than the short history alone does. */
static void analogs_of_other_sizes_help_a_short_series(void **state) {
    (void)state;
    rng_state = 15;
    const char *const name[] = {"new"}, *const rel_names[] = {"a", "b", "c"};
    const int64_t n = 21 + 14, rel_n[] = {300, 300, 300};
    const double scale = 100, rel_scale[] = {1, 10, 10000};
    char *all = series_csv(1, name, &n, &scale), *rel = series_csv(3, rel_names, rel_n, rel_scale);
    double truth[14], alone[14], pooled[14];
    char *cut = split_days(all, 21, truth, 14);
    plumb_model *m = train_text(cut, NULL, 14);
    predict_text(m, cut, NULL, 14, alone);
    plumb_model_free(m);
    m = train_text(cut, rel, 14);
    predict_text(m, cut, NULL, 14, pooled);
    plumb_model_free(m);
    const double w_alone = wape(truth, alone, 14), w_pooled = wape(truth, pooled, 14);
    print_message("21 days -> 14: WAPE alone %.4f, with analogs %.4f\n", w_alone, w_pooled);
    assert_true(w_pooled < 0.025);
    assert_true(w_pooled < 0.8 * w_alone);
    free(cut);
    free(rel);
    free(all);
}

static void expect_error(const char *csv, int64_t horizon, plumb_status code, const char *message) {
    char *path = plumb_test_temp_file(csv);
    plumb_forecast_options o;
    plumb_forecast_options_init(&o);
    o.time_col = "date";
    o.target = "y";
    o.horizon = horizon;
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_forecast_train(path, &o, &m, &err), code);
    assert_null(m);
    char want[PLUMB_ERROR_MAX], got[PLUMB_ERROR_MAX];
    snprintf(want, sizeof want, message, path);
    plumb_error_format(&err, got, sizeof got);
    assert_string_equal(got, want);
    unlink(path);
    free(path);
}

static void bad_series_are_refused_where_they_are(void **state) {
    (void)state;
    expect_error("day,y\n2021-01-01,1\n", 7, PLUMB_ESCHEMA, "%s:1:1: time column 'date' not found in header");
    expect_error("date,z\n2021-01-01,1\n", 7, PLUMB_ESCHEMA, "%s:1:1: target column 'y' not found in header");
    expect_error("date,y\n2021-01-01,1\n2021-13-02,2\n", 7, PLUMB_EPARSE,
                 "%s:3:1: bad date '2021-13-02' in column 'date' (expected YYYY-MM-DD)");
    expect_error("date,y\n2021-01-01,1\n2021-01-02,x\n", 7, PLUMB_EPARSE, "%s:3:12: bad number 'x' in column 'y'");
    expect_error("date,y\n2021-01-01,1\n2021-01-02,\n", 7, PLUMB_EPARSE, "%s:3:12: missing value in target column 'y'");
    expect_error("date,y\n2021-01-01,1\n2021-01-02,2\n2021-01-02,3\n", 7, PLUMB_EPARSE,
                 "%s:4:1: duplicate date '2021-01-02' (first on line 3)");
    expect_error("date,y\n2021-01-01,1\n2021-01-02,2\n2021-01-01,3\n", 7, PLUMB_EPARSE,
                 "%s:4:1: date '2021-01-01' is earlier than '2021-01-02' on line 3: rows of a series must be in "
                 "date order");
    expect_error("date,y\n2021-01-01,1\n2021-01-04,2\n", 7, PLUMB_EPARSE,
                 "%s:3:1: gap of 2 days: '2021-01-04' follows '2021-01-01' on line 2 (forecasts need one row per "
                 "day)");
    expect_error("date,y\n2021-01-01T12:00,1\n", 7, PLUMB_EPARSE,
                 "%s:2:1: '2021-01-01T12:00' in column 'date' is not a whole day: forecasts are daily");
    expect_error("date,y\n2021-01-01,1\n2021-01-02,2\n", 7, PLUMB_EINVAL,
                 "too little history: the longest series has 2 days; training needs at least 8");
    expect_error("date,y\n2021-01-01,1\n", 0, PLUMB_EINVAL, "horizon 0 is outside 1..366 days");
    expect_error("date,y\n2021-01-01,1\n", 367, PLUMB_EINVAL, "horizon 367 is outside 1..366 days");
}

PLUMB_TEST_MAIN(cmocka_unit_test(features_never_read_after_the_origin),
                cmocka_unit_test(forecasts_ignore_rows_after_the_origin),
                cmocka_unit_test(model_file_keeps_the_forecaster), cmocka_unit_test(weekly_demand_is_learnt),
                cmocka_unit_test(analogs_of_other_sizes_help_a_short_series),
                cmocka_unit_test(bad_series_are_refused_where_they_are))
