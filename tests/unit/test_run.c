/* test_run.c -- evaluations (plumb_evaluation_compute, plumb_frame_labels, plumb_task_metrics), run records
 * (plumb_run_*) and case studies (plumb_study_*): the numbers agree with the metric functions, the records hold
 * what the reports read, errors name their source, and a study gives the same record whatever the thread count. */
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#define MODELS PLUMB_TEST_DATA "/models/"

static plumb_frame *read_credit(const plumb_schema *schema) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = schema;
    o.schema_subset = 1;
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(MODELS "credit300.csv", &o, &f, &err), &err);
    return f;
}

static plumb_model *load(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, MODELS "%s", name);
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- evaluations ---------------------------------------------------------------------------------------------- */

static void evaluation_matches_the_metric_functions(void **state) {
    (void)state;
    enum { N = 400 };
    double y[N], s[N], w[N];
    rng_state = 7;
    for (int i = 0; i < N; i++) {
        y[i] = rnd() < 0.3;
        s[i] = fmin(1, fmax(0, 0.4 * y[i] + 0.6 * rnd()));
        w[i] = 0.5 + rnd();
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = N;
    d.label = y;
    d.score = s;
    d.weight = w;
    plumb_evaluation_options o;
    plumb_evaluation_options_init(&o);
    o.ci_level = 0.9;
    o.n_resamples = 200;
    o.seed = 3;
    plumb_evaluation ev;
    plumb_error err;
    plumb_test_ok(plumb_evaluation_compute(&d, &o, &ev, &err), &err);
    assert_true(ev.probabilities);
    plumb_metric want[PLUMB_METRIC_COUNT];
    const size_t nm = plumb_task_metrics(PLUMB_TASK_BINARY, true, want);
    assert_int_equal(ev.n_metrics, nm);
    double values[PLUMB_METRIC_COUNT], lo[PLUMB_METRIC_COUNT], hi[PLUMB_METRIC_COUNT], confusion[4];
    plumb_test_ok(plumb_metrics_compute(&d, want, nm, values, &err), &err);
    plumb_bootstrap_options bo;
    plumb_bootstrap_options_init(&bo);
    bo.level = 0.9;
    bo.n_resamples = 200;
    bo.seed = 3;
    plumb_test_ok(plumb_metrics_bootstrap(&d, want, nm, &bo, lo, hi, &err), &err);
    plumb_test_ok(plumb_metrics_confusion(&d, 0, confusion, &err), &err);
    double wsum = 0, pos = 0;
    for (int i = 0; i < N; i++)
        wsum += w[i], pos += w[i] * y[i];
    for (size_t j = 0; j < nm; j++) {
        assert_int_equal(ev.metrics[j], want[j]);
        assert_true(ev.values[j] == values[j] && ev.lo[j] == lo[j] && ev.hi[j] == hi[j]);
    }
    assert_memory_equal(ev.confusion, confusion, sizeof confusion);
    assert_int_equal(ev.n_classes, 2);
    assert_true(ev.n_rows == N && ev.weight_sum == wsum && ev.positives == pos);
    assert_true(ev.ci_level == 0.9 && ev.n_resamples == 200);
    plumb_evaluation_free(&ev);
    assert_null(ev.confusion);
    plumb_evaluation_free(NULL);
}

/* Whether metric m is among ev's. */
static bool has(const plumb_evaluation *ev, plumb_metric m) {
    for (size_t j = 0; j < ev->n_metrics; j++)
        if (ev->metrics[j] == m)
            return true;
    return false;
}

static void evaluation_adds_the_metrics_the_data_allow(void **state) {
    (void)state;
    double y[4] = {1, 2, 3, 4}, s[4] = {1.5, 2, 2.5, 3.5};
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 4;
    d.label = y;
    d.score = s;
    plumb_evaluation_options o;
    plumb_evaluation_options_init(&o);
    o.task = PLUMB_TASK_REGRESSION;
    plumb_evaluation ev;
    plumb_error err;
    plumb_test_ok(plumb_evaluation_compute(&d, &o, &ev, &err), &err);
    assert_true(has(&ev, PLUMB_METRIC_POISSON_DEVIANCE) && has(&ev, PLUMB_METRIC_GAMMA_DEVIANCE));
    assert_false(has(&ev, PLUMB_METRIC_PINBALL_LOSS));
    assert_null(ev.confusion);
    plumb_evaluation_free(&ev);
    y[0] = 0; /* a count of zero: Poisson still, Gamma no longer */
    o.pinball = true;
    plumb_test_ok(plumb_evaluation_compute(&d, &o, &ev, &err), &err);
    assert_true(has(&ev, PLUMB_METRIC_POISSON_DEVIANCE) && has(&ev, PLUMB_METRIC_PINBALL_LOSS));
    assert_false(has(&ev, PLUMB_METRIC_GAMMA_DEVIANCE));
    assert_int_equal(ev.metrics[ev.n_metrics - 1], PLUMB_METRIC_PINBALL_LOSS);
    plumb_evaluation_free(&ev);

    /* binary scores that are not probabilities: no log-loss, no Brier score */
    double b[4] = {0, 1, 0, 1}, z[4] = {-2, 3, 0.5, 1.5};
    d.label = b;
    d.score = z;
    o.task = PLUMB_TASK_BINARY;
    plumb_test_ok(plumb_evaluation_compute(&d, &o, &ev, &err), &err);
    assert_false(ev.probabilities);
    assert_true(has(&ev, PLUMB_METRIC_ROC_AUC));
    assert_false(has(&ev, PLUMB_METRIC_LOG_LOSS) || has(&ev, PLUMB_METRIC_BRIER));
    plumb_metric m[PLUMB_METRIC_COUNT];
    assert_int_equal(ev.n_metrics, plumb_task_metrics(PLUMB_TASK_BINARY, false, m));
    assert_int_equal(plumb_task_metrics(PLUMB_TASK_BINARY, true, m), ev.n_metrics + 2);
    plumb_evaluation_free(&ev);
}

static void evaluation_errors_name_the_source(void **state) {
    (void)state;
    double y[3] = {0, 2, 1}, s[3] = {0.1, 0.5, 0.9};
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 3;
    d.label = y;
    d.score = s;
    plumb_evaluation_options o;
    plumb_evaluation_options_init(&o);
    o.source = "scores.csv";
    plumb_evaluation ev;
    plumb_error err;
    assert_int_equal(plumb_evaluation_compute(&d, &o, &ev, &err), PLUMB_EINVAL);
    assert_string_equal(err.path, "scores.csv");
    plumb_evaluation_free(&ev);
    o.task = PLUMB_TASK_AUTO;
    assert_int_equal(plumb_evaluation_compute(&d, &o, &ev, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "an evaluation needs a binary, regression or multiclass task, not auto");
    plumb_evaluation_free(&ev);
}

static plumb_frame *frame_of(const char *csv) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    return plumb_test_read(csv, &o);
}

static void frame_labels_encode_and_refuse(void **state) {
    (void)state;
    plumb_frame *f = frame_of("y,x\ngood,1\nbad,2\nbad,3\n");
    double y[3];
    plumb_task task = PLUMB_TASK_AUTO;
    const char *positive = "good";
    int64_t k;
    plumb_error err;
    plumb_test_ok(plumb_frame_labels(f, 0, "a.csv", &task, &positive, &k, y, &err), &err);
    assert_int_equal(task, PLUMB_TASK_BINARY);
    assert_string_equal(positive, "good");
    assert_true(y[0] == 1 && y[1] == 0 && y[2] == 0);
    positive = "fair";
    assert_int_equal(plumb_frame_labels(f, 0, "a.csv", &task, &positive, &k, y, &err), PLUMB_EINVAL);
    char msg[PLUMB_ERROR_MAX];
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg),
                        "a.csv: positive class 'fair' is not a category of 'y' ('bad', 'good')");
    plumb_frame_free(f);

    f = frame_of("y,x\n0,1\n,2\n");
    task = PLUMB_TASK_AUTO;
    positive = NULL;
    assert_int_equal(plumb_frame_labels(f, 0, "b.csv", &task, &positive, &k, y, &err), PLUMB_EINVAL);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), "b.csv: target 'y' is missing in data row 2");
    plumb_frame_free(f);

    f = frame_of("y,x\n0,1\n2,2\n1,3\n");
    task = PLUMB_TASK_MULTICLASS;
    plumb_test_ok(plumb_frame_labels(f, 0, "c.csv", &task, &positive, &k, y, &err), &err);
    assert_int_equal(k, 3);
    task = PLUMB_TASK_AUTO;
    plumb_test_ok(plumb_frame_labels(f, 0, "c.csv", &task, &positive, &k, y, &err), &err);
    assert_int_equal(task, PLUMB_TASK_REGRESSION);
    task = PLUMB_TASK_BINARY;
    assert_int_equal(plumb_frame_labels(f, 0, "c.csv", &task, &positive, &k, y, &err), PLUMB_EINVAL);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg),
                        "c.csv: target 'y' is 2 in data row 2: a binary target is 0 or 1");
    plumb_frame_free(f);
}

/* ---- run records ---------------------------------------------------------------------------------------------- */

/* The record's JSON text (freed by the caller). */
static char *json_of(const plumb_run *run) {
    char *s = plumb_run_json(run);
    assert_non_null(s);
    return s;
}

static void run_train_holds_what_the_report_reads(void **state) {
    (void)state;
    plumb_model *m = load("gbdt_binary.plumb");
    plumb_frame *f = read_credit(plumb_model_schema(m));
    plumb_run_options o;
    plumb_run_options_init(&o);
    o.data_path = "some/where/credit300.csv";
    plumb_run *run = NULL;
    plumb_error err;
    plumb_test_ok(plumb_run_train(&o, m, f, f, &run, &err), &err);
    char *s = json_of(run);
    assert_non_null(
        strstr(s, "\"plumb_run\": 1,\n \"kind\": \"train\",\n \"title\": \"gbdt model trained on credit300.csv\""));
    assert_non_null(strstr(s, "\"path\": \"some/where/credit300.csv\",\n  \"rows\": 300,\n  \"target\": \"Status\""));
    assert_non_null(strstr(s, "\"importance\": ["));
    assert_non_null(strstr(s, "\"shap_mean_abs\""));
    assert_non_null(strstr(s, "\"name\": \"validation\""));
    assert_non_null(strstr(s, "\"roc\": {"));
    free(s);
    plumb_run_free(run);

    /* reports cover binary and regression models: a multiclass one is refused, and nothing is returned */
    plumb_model *mc = load("gbdt_multiclass.plumb");
    plumb_frame *fm = read_credit(plumb_model_schema(mc));
    run = (plumb_run *)&err; /* any non-NULL value: the call must clear it */
    assert_int_equal(plumb_run_train(&o, mc, fm, NULL, &run, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "reports cover binary and regression models");
    assert_null(run);
    plumb_frame_free(fm);
    plumb_model_free(mc);
    plumb_frame_free(f);
    plumb_model_free(m);
}

static void run_cv_records_the_fold_metrics_it_is_given(void **state) {
    (void)state;
    /* the out-of-fold evaluation of a positive regression target adds the deviances to the fold metrics: the folds
     * must be read with their own metric count (they were read with the evaluation's, past the end of the array) */
    enum { N = 6, K = 2 };
    double y[N] = {1, 2, 3, 4, 5, 6}, s[N] = {1.5, 2, 2.5, 4, 5.5, 5};
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = N;
    d.label = y;
    d.score = s;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    eo.task = PLUMB_TASK_REGRESSION;
    plumb_evaluation ev;
    plumb_error err;
    plumb_test_ok(plumb_evaluation_compute(&d, &eo, &ev, &err), &err);
    plumb_metric fm[PLUMB_METRIC_COUNT];
    const size_t nm = plumb_task_metrics(PLUMB_TASK_REGRESSION, true, fm);
    assert_true(ev.n_metrics > nm);
    double *folds = malloc(K * nm * sizeof *folds);
    for (size_t i = 0; i < K * nm; i++)
        folds[i] = 100 + (double)i;
    plumb_run_options o;
    plumb_run_options_init(&o);
    o.data_path = "r.csv";
    o.target = "y";
    o.model_kind = "linear";
    o.strategy = "kfold";
    plumb_run *run = NULL;
    plumb_test_ok(plumb_run_cv(&o, K, fm, nm, folds, &d, &ev, &run, &err), &err);
    char *js = json_of(run);
    char want[256];
    for (size_t j = 0; j < nm; j++) {
        snprintf(want, sizeof want, "\"%s\": [\n    %.1f,\n    %.1f\n   ]", plumb_metric_name(fm[j]), 100.0 + (double)j,
                 100.0 + (double)(nm + j));
        assert_non_null(strstr(js, want));
    }
    const char *folds_json = strstr(js, "\"folds\""), *evals = strstr(js, "\"evaluations\"");
    const char *dev = strstr(folds_json, "poisson_deviance");
    assert_true(dev > evals); /* in the out-of-fold evaluation only */
    assert_non_null(strstr(js, "\"title\": \"Cross-validation of a linear model on r.csv\""));
    free(js);
    free(folds);
    plumb_run_free(run);
    plumb_evaluation_free(&ev);
}

static void run_write_appears_whole_or_not_at_all(void **state) {
    (void)state;
    double y[4] = {0, 1, 0, 1}, s[4] = {0.2, 0.7, 0.4, 0.6};
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 4;
    d.label = y;
    d.score = s;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    plumb_evaluation ev;
    plumb_error err;
    plumb_test_ok(plumb_evaluation_compute(&d, &eo, &ev, &err), &err);
    plumb_run_options o;
    plumb_run_options_init(&o);
    o.data_path = "p.csv";
    o.target = "y";
    plumb_run *run = NULL;
    plumb_test_ok(plumb_run_eval(&o, &d, &ev, NULL, NULL, &run, &err), &err);
    char dir[] = "/tmp/plumb_test_run_XXXXXX", html[256], json[256];
    assert_non_null(mkdtemp(dir));
    snprintf(html, sizeof html, "%s/no/such/r.html", dir);
    assert_int_not_equal(plumb_run_write(run, html, &err), PLUMB_OK);
    snprintf(json, sizeof json, "%s/no", dir);
    assert_int_not_equal(access(json, F_OK), 0);
    snprintf(html, sizeof html, "%s/r.html", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    plumb_test_ok(plumb_run_write(run, html, &err), &err);
    char *written = slurp(json), *text = json_of(run);
    const size_t n = strlen(text); /* the record beside the page, byte for byte, and a newline */
    assert_int_equal(strlen(written), n + 1);
    assert_memory_equal(written, text, n);
    assert_int_equal(written[n], '\n');
    assert_non_null(strstr(text, "\"model\": \"predictions\""));
    assert_non_null(strstr(text, "\"positive_rate\": 0.5"));
    free(written);
    free(text);
    free(slurp(html));
    unlink(html);
    unlink(json);
    rmdir(dir);
    plumb_run_free(run);
    plumb_run_free(NULL);
    plumb_evaluation_free(&ev);
}

/* ---- case studies --------------------------------------------------------------------------------------------- */

static void studies_are_listed_and_checked(void **state) {
    (void)state;
    const plumb_study_info *credit = plumb_study_get(0);
    assert_non_null(credit);
    assert_string_equal(credit->name, "credit");
    assert_int_equal(credit->min_rows, 2000);
    assert_int_equal(credit->n_rows, 20000);
    assert_string_equal(plumb_study_get(1)->name, "realtime");
    assert_null(plumb_study_get(2));
    assert_null(plumb_study_get(-1));
    plumb_study_options o;
    plumb_study_options_init(&o);
    assert_int_equal(o.seed, 0);
    o.output_dir = "/nonexistent/never";
    plumb_error err;
    char *summary = (char *)"not cleared";
    assert_int_equal(plumb_study_run("nope", &o, &summary, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "unknown case study 'nope' (expected credit or realtime)");
    assert_null(summary);
    o.n_rows = 100;
    assert_int_equal(plumb_study_run("credit", &o, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the credit study needs at least 2000 rows, not 100");
    o.output_dir = NULL;
    assert_int_equal(plumb_study_run("credit", &o, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "a case study needs an output folder");
}

static char *record_without_time(const char *dir);

/* Runs the realtime study on ratings text written to a file; returns its status, err filled. */
static plumb_status realtime_on(const char *text, const char *dir, plumb_error *err) {
    char data[600];
    snprintf(data, sizeof data, "%s/ratings_in.csv", dir);
    FILE *f = fopen(data, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    plumb_study_options o;
    plumb_study_options_init(&o);
    o.output_dir = dir;
    o.data_path = data;
    const plumb_status s = plumb_study_run("realtime", &o, NULL, err);
    unlink(data);
    return s;
}

static void realtime_study_refuses_bad_ratings(void **state) {
    (void)state;
    char dir[] = "/tmp/plumb_test_rt_XXXXXX";
    assert_non_null(mkdtemp(dir));
    plumb_error err;
    plumb_study_options o;
    plumb_study_options_init(&o);
    o.output_dir = dir;
    assert_int_equal(plumb_study_run("realtime", &o, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the realtime study needs the movielens ratings file (--data FILE)");
    assert_int_equal(realtime_on("user,movie\n1,2\n", dir, &err), PLUMB_EFORMAT);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "expected the header"));
    const char *head = "userId,movieId,rating,timestamp,title,year,genres\n";
    char text[512];
    snprintf(text, sizeof text, "%s1,31,2.5,1260759144,\"Dumbo, the\",1941,Drama\n1,32,7,1260759144,x,1990,Drama\n",
             head);
    assert_int_equal(realtime_on(text, dir, &err), PLUMB_EFORMAT);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.message, "rating is not a number from 0 to 5"));
    snprintf(text, sizeof text, "%s1,31,2.5,1260759144,\"Dumbo,1941,Drama\n", head);
    assert_int_equal(realtime_on(text, dir, &err), PLUMB_EFORMAT);
    assert_int_equal(err.line, 2);
    snprintf(text, sizeof text, "%s1,31,2.5,1260759144,Dumbo,1941,Drama\n", head);
    assert_int_equal(realtime_on(text, dir, &err), PLUMB_EFORMAT); /* too few ratings */
    assert_non_null(strstr(err.message, "the study needs at least 1000"));
    char path[600];
    snprintf(path, sizeof path, "%s/report.html", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* nothing written */
    rmdir(dir);
}

static void realtime_study_is_the_same_whatever_the_threads(void **state) {
    (void)state;
    char dir[] = "/tmp/plumb_test_rt_XXXXXX";
    assert_non_null(mkdtemp(dir));
    plumb_study_options o;
    plumb_study_options_init(&o);
    o.output_dir = dir;
    o.data_path = PLUMB_TEST_DATA "/movielens_4000.csv";
    o.seed = 3;
    char *summary = NULL, *first = NULL;
    plumb_error err;
    for (int threads = 1; threads <= 2; threads++) {
        o.n_threads = threads;
        plumb_test_ok(plumb_study_run("realtime", &o, &summary, &err), &err);
        assert_non_null(strstr(summary, "real-time recommendation case study: 4000 ratings"));
        assert_non_null(strstr(summary, "audit: ")); /* 0 critical on the whole file; a sample's labels look noisy */
        free(summary);
        char *rec = record_without_time(dir);
        assert_non_null(strstr(rec, "\"ndcg_at_10\""));
        assert_non_null(strstr(rec, "\"audit\""));
        if (first) {
            assert_string_equal(rec, first);
            free(rec);
        } else {
            first = rec;
        }
    }
    /* the models' quality: the teacher and its compiled student rank better than chance, and the compiled
       student scores as the student it was compiled from */
    json_error_t je;
    json_t *rec = json_loads(first, 0, &je), *models = json_object_get(json_object_get(rec, "realtime"), "models");
    assert_int_equal(json_array_size(models), 4);
    const double teacher = json_number_value(json_object_get(json_array_get(models, 0), "roc_auc"));
    const double student = json_number_value(json_object_get(json_array_get(models, 1), "roc_auc"));
    const double compiled = json_number_value(json_object_get(json_array_get(models, 3), "roc_auc"));
    assert_true(teacher > 0.55 && student > 0.55);
    assert_true(compiled == student);
    json_decref(rec);
    free(first);
    const char *files[] = {"report.html",  "report.json",   "ratings.csv",   "movies.csv",      "pairs.csv",
                           "features.sql", "teacher.plumb", "student.plumb", "student_q.plumb", "student.so"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_int_equal(access(path, F_OK), 0);
        unlink(path);
    }
    rmdir(dir);
}

/* report.json of a study run without its "created" lines (the record's and the model's). */
static char *record_without_time(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/report.json", dir);
    char *s = slurp(path), *c;
    int n = 0;
    for (; (c = strstr(s, "\"created\"")); n++) {
        char *eol = strchr(c, '\n');
        memmove(c, eol + 1, strlen(eol + 1) + 1);
    }
    assert_int_equal(n, 2);
    return s;
}

static void credit_study_is_the_same_whatever_the_threads(void **state) {
    (void)state;
    char dir[] = "/tmp/plumb_test_study_XXXXXX", out[512];
    assert_non_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/a/b", dir); /* folders created as needed */
    plumb_study_options o;
    plumb_study_options_init(&o);
    o.output_dir = out;
    o.n_rows = 2000;
    o.seed = 5;
    char *summary = NULL, *first = NULL;
    plumb_error err;
    for (int threads = 1; threads <= 2; threads++) {
        o.n_threads = threads;
        plumb_test_ok(plumb_study_run("credit", &o, &summary, &err), &err);
        char tail[600];
        snprintf(tail, sizeof tail, "\nreport: %s/report.html (every number in report.json beside it)\n", out);
        assert_true(strlen(summary) > strlen(tail));
        assert_string_equal(summary + strlen(summary) - strlen(tail), tail);
        assert_non_null(strstr(summary, "credit-scoring case study: 2000 applications"));
        free(summary);
        char *rec = record_without_time(out);
        assert_non_null(strstr(rec, "\"kind\": \"case_study\""));
        assert_non_null(strstr(rec, "\"comparison\""));
        if (first) {
            assert_string_equal(rec, first);
            free(rec);
        } else {
            first = rec;
        }
    }
    free(first);
    const char *files[] = {"report.html",         "report.json", "credit_warehouse.csv",
                           "credit_decision.csv", "truth.json",  "schema_naive.json",
                           "schema_clean.json",   "naive.plumb", "clean.plumb"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", out, files[i]);
        assert_int_equal(access(path, F_OK), 0);
        unlink(path);
    }
    rmdir(out);
    snprintf(out, sizeof out, "%s/a", dir);
    rmdir(out);
    rmdir(dir);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evaluation_matches_the_metric_functions),
        cmocka_unit_test(evaluation_adds_the_metrics_the_data_allow),
        cmocka_unit_test(evaluation_errors_name_the_source),
        cmocka_unit_test(frame_labels_encode_and_refuse),
        cmocka_unit_test(run_train_holds_what_the_report_reads),
        cmocka_unit_test(run_cv_records_the_fold_metrics_it_is_given),
        cmocka_unit_test(run_write_appears_whole_or_not_at_all),
        cmocka_unit_test(studies_are_listed_and_checked),
        cmocka_unit_test(credit_study_is_the_same_whatever_the_threads),
        cmocka_unit_test(realtime_study_refuses_bad_ratings),
        cmocka_unit_test(realtime_study_is_the_same_whatever_the_threads),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
