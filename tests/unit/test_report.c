/* test_report.c -- the HTML report: escaping, number formats, nice ticks, the SVG of charts, the page built from
 * a record, and the exact messages for malformed records. */
#include "test.h"

#include "../fuzz/report_escape.h"
#include "report/record_fields.h"
#include "report/report.h"

#include <math.h>

static char *html_of(const char *s) {
    plumb__buf b = {0};
    plumb__buf_html(&b, s);
    assert_false(b.oom);
    return b.s ? b.s : calloc(1, 1);
}

static void escapes_markup_and_repairs_text(void **state) {
    (void)state;
    char *s = html_of("<a href=\"x\">&'</a>");
    assert_string_equal(s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    free(s);
    s = html_of("caf\xC3\xA9 \xE2\x82\xAC ok");
    assert_string_equal(s, "caf\xC3\xA9 \xE2\x82\xAC ok"); /* valid UTF-8 stays */
    free(s);
    s = html_of("a\xFF"
                "b\x01"
                "c\xC3"); /* a bad byte, a control character, a cut sequence */
    assert_string_equal(s, "a\xEF\xBF\xBD"
                           "b\xEF\xBF\xBD"
                           "c\xEF\xBF\xBD");
    free(s);
    s = html_of("\xC0\xAF\xED\xA0\x80"); /* overlong '/', a surrogate */
    assert_string_equal(s, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free(s);
    s = html_of("line\nand\ttab");
    assert_string_equal(s, "line\nand\ttab");
    free(s);
}

static void fixed_numbers(void **state) {
    (void)state;
    char s[32];
    plumb__fmt_fixed(s, sizeof s, -0.0001, 2);
    assert_string_equal(s, "0.00");
    plumb__fmt_fixed(s, sizeof s, -0.006, 2);
    assert_string_equal(s, "-0.01");
    plumb__fmt_fixed(s, sizeof s, NAN, 3);
    assert_string_equal(s, "n/a");
    plumb__fmt_fixed(s, sizeof s, INFINITY, 3);
    assert_string_equal(s, "n/a");
    plumb__fmt_fixed(s, sizeof s, 0.78449, 3);
    assert_string_equal(s, "0.784");
    plumb__buf b = {0};
    plumb__buf_coord(&b, NAN);
    plumb__buf_put(&b, " ");
    plumb__buf_coord(&b, 1e300);
    plumb__buf_put(&b, " ");
    plumb__buf_coord(&b, -12.345);
    assert_string_equal(b.s, "0.0 1000000.0 -12.3");
    plumb__buf_free(&b);
}

static void expect_ticks(double lo, double hi, int target, const double *want, int n_want, int want_decimals) {
    double t[PLUMB__MAX_TICKS], nlo, nhi;
    int dec;
    int n = plumb__nice_ticks(lo, hi, target, t, &nlo, &nhi, &dec);
    assert_int_equal(n, n_want);
    for (int i = 0; i < n; i++)
        assert_true(fabs(t[i] - want[i]) < 1e-9);
    assert_true(fabs(nlo - want[0]) < 1e-9 && fabs(nhi - want[n - 1]) < 1e-9);
    assert_int_equal(dec, want_decimals);
}

static void nice_ticks(void **state) {
    (void)state;
    expect_ticks(0, 1, 6, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1}, 6, 1);
    expect_ticks(0.8123, 0.8571, 5, (double[]){0.81, 0.82, 0.83, 0.84, 0.85, 0.86}, 6, 2);
    expect_ticks(-1.234, 97.5, 6, (double[]){-20, 0, 20, 40, 60, 80, 100}, 7, 0);
    expect_ticks(1, 100, 5, (double[]){0, 20, 40, 60, 80, 100}, 6, 0);
    expect_ticks(0.0031, 0.0049, 3, (double[]){0.003, 0.004, 0.005}, 3, 3);
    expect_ticks(NAN, 3, 6, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1}, 6, 1); /* non-finite: 0 to 1 */
    expect_ticks(5, 5, 3, (double[]){4.5, 5, 5.5}, 3, 1);                /* one value: widened by a tenth */
    expect_ticks(0, 0, 3, (double[]){-1, 0, 1}, 3, 0);
    expect_ticks(1, 0, 6, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1}, 6, 1); /* reversed */
    double t[PLUMB__MAX_TICKS];
    assert_true(plumb__nice_ticks(-1e300, 1e300, 100, t, NULL, NULL, NULL) <= PLUMB__MAX_TICKS);
}

static size_t count(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void xy_chart_svg(void **state) {
    (void)state;
    double x[1000], y[1000], x2[3] = {0, NAN, 1}, y2[3] = {0, 0.5, 1};
    for (int i = 0; i < 1000; i++) {
        x[i] = i / 999.0;
        y[i] = sqrt(x[i]);
    }
    y[10] = NAN;
    plumb__series s[2] = {{"model <a>", x, y, 1000, PLUMB__MARK_LINE, 0, false},
                          {"baseline", x2, y2, 3, PLUMB__MARK_LINE, 1, false}};
    plumb__xy_chart c = {"ROC & co", "desc", "false positive rate", "true positive rate", 0, 1, 0, 1, true, NAN, NULL,
                         s,          2};
    plumb__buf b = {0};
    plumb__svg_xy(&b, 7, &c);
    assert_false(b.oom);
    assert_non_null(strstr(b.s,
                           "<svg class=\"chart\" id=\"chart-7\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
                           "480.0 "));
    assert_non_null(strstr(b.s, "role=\"img\" aria-labelledby=\"chart-7-title chart-7-desc\""));
    assert_non_null(strstr(b.s, "<title id=\"chart-7-title\">ROC &amp; co</title>"));
    assert_non_null(strstr(b.s, ">model &lt;a&gt;</text>")); /* legend, escaped */
    assert_non_null(strstr(b.s, ">false positive rate</text>"));
    assert_non_null(strstr(b.s, ">0.2</text>")); /* a tick label */
    assert_non_null(strstr(b.s, ">1.0</text>"));
    assert_non_null(strstr(b.s, "stroke-dasharray=\"4 4\"")); /* the diagonal */
    assert_null(strstr(b.s, "nan"));
    assert_null(strstr(b.s, "inf"));
    assert_int_equal(count(b.s, "<svg"), 1);
    assert_int_equal(count(b.s, "</svg>"), 1);
    /* the 1000 points are thinned to about 200; the NaN breaks the line: a second M */
    const char *path = strstr(b.s, "<path fill=\"none\"");
    assert_non_null(path);
    const char *end = strstr(path, "/>");
    size_t moves = 0, lines = 0;
    for (const char *p = path; p < end; p++) {
        moves += *p == 'M';
        lines += *p == 'L';
    }
    assert_true(moves + lines <= 201 && moves + lines >= 150);
    plumb__buf_free(&b);
}

static void bars_and_confusion_svg(void **state) {
    (void)state;
    plumb__bar bars[3] = {{"income", {0.31, NAN}, 0}, {"age", {NAN, NAN}, 0}, {"debt", {-0.2, NAN}, 1}};
    plumb__bar_chart c = {"Importance", "d", "share", bars, 3,           1,
                          {NULL, NULL}, NAN, NAN,     2,    {0.25, NAN}, {"warning", NULL}};
    plumb__buf b = {0};
    plumb__svg_hbars(&b, 1, &c);
    assert_int_equal(count(b.s, "<rect "), 2); /* the NaN bar is left out */
    assert_non_null(strstr(b.s, ">0.31</text>"));
    assert_non_null(strstr(b.s, "text-anchor=\"end\" fill=\"#59636e\" style=\"fill:#59636e\">-0.20</text>"));
    assert_non_null(strstr(b.s, ">warning</text>"));
    assert_null(strstr(b.s, "nan"));
    plumb__buf_free(&b);
    plumb__svg_confusion(&b, 2, "Confusion", "good", "bad", 733, 67, 152, 162);
    assert_int_equal(count(b.s, "<rect "), 4);
    assert_non_null(strstr(b.s, ">733</text>"));
    assert_non_null(strstr(b.s, ">91.6% of actual</text>"));
    assert_non_null(strstr(b.s, ">48.4% of actual</text>"));
    plumb__buf_free(&b);
    plumb__fold_row rows[1] = {{"ROC AUC", (double[]){0.81, 0.83, NAN, 0.82}, 4}};
    plumb__svg_folds(&b, 3, "Folds", rows, 1);
    assert_int_equal(count(b.s, "<circle "), 3);
    assert_non_null(strstr(b.s, ">0.820 \xC2\xB1 0.010</text>"));
    plumb__buf_free(&b);
}

/* Long labels are shortened to fit, never clipped by the chart's edge, and keep their whole text in a <title>. */
static void long_labels_keep_their_text(void **state) {
    (void)state;
    static const char long_label[] = "months_since_last_delinquency_on_any_account";
    static const char long_title[] =
        "Scores by class: gradient boosting with monotone constraints, the out-of-time hold-out of 2024";
    plumb__bar bars[1] = {{long_label, {0.31, NAN}, 0}};
    plumb__bar_chart c = {long_title, "d", "share", bars, 1, 1, {NULL, NULL}, NAN, NAN, 2, {NAN, NAN}, {NULL, NULL}};
    plumb__buf b = {0};
    plumb__svg_hbars(&b, 1, &c);
    /* the bar's label: 25 characters and an ellipsis, the whole in its <title> */
    assert_non_null(strstr(b.s, ">months_since_last_delinqu\xE2\x80\xA6<title>months_since_last_delinquency_on_any_"
                                "account</title></text>"));
    /* the chart's title: whole in the <title> element that labels the chart, and shown on two lines broken at a
     * space (an evaluation's name is often at its end: cut, "calibrated (isotonic, cross-fi..." hid which one),
     * with the chart moved down below them */
    assert_non_null(strstr(b.s, "<title id=\"chart-1-title\">Scores by class: gradient boosting with monotone "
                                "constraints, the out-of-time hold-out of 2024</title>"));
    assert_non_null(strstr(b.s, "<text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"600\">Scores by class: "
                                "gradient boosting with monotone constraints,</text>\n<text x=\"8\" y=\"35\" "
                                "font-size=\"13\" font-weight=\"600\">the out-of-time hold-out of 2024</text>\n"
                                "<g transform=\"translate(0 17)\">"));
    assert_non_null(strstr(b.s, "</g>\n</svg>\n"));
    plumb__buf_free(&b);
    /* a title too long for two lines is cut at the end of the second */
    c.title = "Scores by class: gradient boosting with monotone constraints, the out-of-time hold-out of 2024 and "
              "the rows of the months after it, scored by the model kept";
    plumb__svg_hbars(&b, 1, &c);
    assert_non_null(strstr(b.s, "font-weight=\"600\">the out-of-time hold-out of 2024 and the rows of the "
                                "months\xE2\x80\xA6</text>"));
    plumb__buf_free(&b);
    c.title = long_title;
    /* a short label has no <title> */
    bars[0].label = "age";
    plumb__svg_hbars(&b, 2, &c);
    assert_non_null(strstr(b.s, ">age</text>"));
    plumb__buf_free(&b);
}

/* Renders json; returns the page (malloc'd) or NULL with the formatted error in msg. */
static char *render(const char *json, char *msg) {
    FILE *f = tmpfile();
    assert_non_null(f);
    plumb_error err;
    char *out = NULL;
    if (plumb_report_render(json, strlen(json), "run.json", f, &err) != PLUMB_OK) {
        plumb_error_format(&err, msg, PLUMB_ERROR_MAX);
        assert_int_equal(ftell(f), 0); /* nothing written */
    } else {
        long n = ftell(f);
        out = malloc((size_t)n + 1);
        rewind(f);
        assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
        out[n] = '\0';
    }
    fclose(f);
    return out;
}

static void expect_error(const char *json, const char *want) {
    char msg[PLUMB_ERROR_MAX];
    char *page = render(json, msg);
    if (page)
        fail_msg("rendered a bad record: %s", json);
    assert_string_equal(msg, want);
}

/* A tune record: the search section with the best CV score beside the held-out one, the history chart (with the
 * held-out score as its reference line) and the parameter importances, largest first. */
static void tune_record(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render("{\"plumb_run\": 1, \"kind\": \"tune\", \"tune\": {\"sampler\": \"tpe\", \"metric\": "
                        "\"roc_auc\", \"higher_is_better\": true, \"trials\": 3, \"pruned\": 1, \"best_trial\": 2, "
                        "\"best_cv\": 0.86, \"test_score\": 0.83, \"test_data\": \"test.csv\", \"best_params\": "
                        "{\"learning_rate\": 0.05}, \"history\": {\"score\": [0.8, 0.86, 0.7], \"state\": "
                        "[\"complete\", \"complete\", \"pruned\"]}, \"importance\": [{\"param\": \"num_leaves\", "
                        "\"share\": 0.2}, {\"param\": \"learning_rate\", \"share\": 0.8}]}}",
                        msg);
    assert_non_null(page);
    assert_non_null(strstr(page, "plumb \xC2\xB7 hyperparameter search"));
    assert_non_null(strstr(page, "<h2>The search</h2>"));
    assert_non_null(strstr(page, "best CV score (optimistic)</dt><dd>0.860<"));
    assert_non_null(strstr(page, "held-out score (unbiased)</dt><dd>0.830<"));
    assert_non_null(strstr(page, "Optimisation history"));
    assert_non_null(strstr(page, "the tuned model on held-out rows"));
    const char *lr = strstr(page, ">learning_rate<"), *nl = strstr(page, ">num_leaves<");
    assert_true(lr && nl && lr < nl);
    free(page);
}

static void malformed_records(void **state) {
    (void)state;
    expect_error("{", "run.json:1:1: bad run record: string or '}' expected near end of file");
    expect_error("", "run.json:1: bad run record: '[' or '{' expected near end of file");
    expect_error("[]", "run.json: bad run record: not a JSON object");
    expect_error("{\"kind\": \"train\"}", "run.json: bad run record: no 'plumb_run' key (is this a run record?)");
    expect_error("{\"plumb_run\": \"1\", \"kind\": \"train\"}",
                 "run.json: bad run record: 'plumb_run' is not an integer");
    expect_error("{\"plumb_run\": 2, \"kind\": \"train\"}",
                 "run.json: bad run record: 'plumb_run' is 2: this plumb reads version 1");
    expect_error("{\"plumb_run\": 1}", "run.json: bad run record: no 'kind' key");
    expect_error(
        "{\"plumb_run\": 1, \"kind\": \"bogus\"}",
        "run.json: bad run record: unknown kind 'bogus' (train, cv, eval, audit, case_study, distill or tune)");
    expect_error("{\"plumb_run\": 1, \"kind\": \"tune\", \"tune\": {\"history\": {\"score\": [0.8, 0.7], "
                 "\"state\": [\"complete\"]}}}",
                 "run.json: bad run record: 'tune.history': 'state' has 1 values, 'score' 2");
    expect_error("{\"plumb_run\": 1, \"kind\": \"tune\", \"tune\": {\"higher_is_better\": 1}}",
                 "run.json: bad run record: 'tune.higher_is_better' is not true or false");
    expect_error("{\"plumb_run\": 1, \"kind\": \"tune\", \"tune\": {\"importance\": [{\"param\": \"a\", "
                 "\"share\": \"big\"}]}}",
                 "run.json: bad run record: 'tune.importance[0].share' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"title\": 3}",
                 "run.json: bad run record: 'title' is not a string");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"data\": {\"rows\": \"many\"}}",
                 "run.json: bad run record: 'data.rows' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{}, 3]}",
                 "run.json: bad run record: 'evaluations[1]' is not an object");
    expect_error(
        "{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"curves\": {\"roc\": {\"fpr\": [0, \"x\"], "
        "\"tpr\": [0, 1]}}}]}",
        "run.json: bad run record: 'evaluations[0].curves.roc.fpr[1]' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"curves\": {\"roc\": {\"fpr\": [0, 1], "
                 "\"tpr\": [0]}}}]}",
                 "run.json: bad run record: 'evaluations[0].curves.roc': 'fpr' has 2 values, 'tpr' 1");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"curves\": {\"score_hist\": {\"edges\": "
                 "[0, 0.5, 1], \"positive\": [1, 2], \"negative\": [3]}}}]}",
                 "run.json: bad run record: 'evaluations[0].curves.score_hist': 3 edges need 2 'positive' and "
                 "'negative' counts, not 2 and 1");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"metrics\": {\"roc_auc\": true}}]}",
                 "run.json: bad run record: 'evaluations[0].metrics.roc_auc' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"metrics\": {\"roc_auc\": 0.7}, \"ci\": "
                 "{\"roc_auc\": [0.6]}}]}",
                 "run.json: bad run record: 'evaluations[0].ci.roc_auc' is not a pair of numbers [low, high]");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"confusion\": {\"tn\": 1, \"fp\": -2, "
                 "\"fn\": 0, \"tp\": 0}}]}",
                 "run.json: bad run record: 'evaluations[0].confusion.fp' is not a count (a number >= 0)");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"regression\": {\"points\": "
                 "{\"predicted\": [1, 2], \"actual\": [1]}}}]}",
                 "run.json: bad run record: 'evaluations[0].regression.points': 'predicted' has 2 values, 'actual' 1");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"regression\": {\"segments\": "
                 "[{\"by\": \"x\", \"labels\": [\"a\"], \"rows\": [1, 2], \"mae\": [1, 2], \"bias\": [0, 0]}]}}]}",
                 "run.json: bad run record: 'evaluations[0].regression.segments[0]': 'labels' has 1 values, 'rows' 2");
    expect_error("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"regression\": {\"segments\": "
                 "[{\"labels\": [3], \"rows\": [1], \"mae\": [1], \"bias\": [0]}]}}]}",
                 "run.json: bad run record: 'evaluations[0].regression.segments[0].labels[0]' is not a string");
    expect_error("{\"plumb_run\": 1, \"kind\": \"train\", \"model\": {\"settings\": [1]}}",
                 "run.json: bad run record: 'model.settings' is not an object");
    expect_error("{\"plumb_run\": 1, \"kind\": \"audit\", \"audit\": {\"findings\": [{\"severity\": \"fatal\"}]}}",
                 "run.json: bad run record: 'audit.findings[0].severity' is 'fatal', not critical, warning or info");
    expect_error("{\"plumb_run\": 1, \"kind\": \"cv\", \"folds\": {\"metrics\": {\"roc_auc\": [0.8, {}]}}}",
                 "run.json: bad run record: 'folds.metrics.roc_auc[1]' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"case_study\", \"comparison\": [{\"offline\": \"high\"}]}",
                 "run.json: bad run record: 'comparison[0].offline' is not a number");
    expect_error("{\"plumb_run\": 1, \"kind\": \"train\", \"plumb_run\": 1}",
                 "run.json:1:45: bad run record: duplicate object key near '\"plumb_run\"'");
}

/* The per-feature audit chart draws the thresholds the audit used, which its JSON records (defaults otherwise). */
static void audit_chart_uses_recorded_thresholds(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
#define AUDIT_RECORD(TH)                                                                                               \
    "{\"plumb_run\": 1, \"kind\": \"audit\", \"audit\": {\"metric\": \"roc_auc\", \"features\": [{\"column\": \"x\", " \
    "\"power\": 0.7}, {\"column\": \"z\", \"power\": 0.55}]" TH "}}"
    char *plain = render(AUDIT_RECORD(""), msg);
    char *explicit_defaults =
        render(AUDIT_RECORD(", \"thresholds\": {\"single_power_warning\": 0.8, \"single_power_critical\": 0.9}"), msg);
    char *custom =
        render(AUDIT_RECORD(", \"thresholds\": {\"single_power_warning\": 0.6, \"single_power_critical\": 0.65}"), msg);
#undef AUDIT_RECORD
    assert_non_null(plain);
    assert_non_null(explicit_defaults);
    assert_non_null(custom);
    assert_string_equal(plain, explicit_defaults);
    assert_true(strcmp(plain, custom) != 0);
    free(plain);
    free(explicit_defaults);
    free(custom);
}

static void minimal_and_escaped_records(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render("{\"plumb_run\": 1, \"kind\": \"train\", \"unknown_key\": [1, 2]}", msg);
    assert_non_null(page);
    assert_non_null(strstr(page, "<!DOCTYPE html>"));
    assert_non_null(strstr(page, "<meta name=\"viewport\""));
    assert_non_null(strstr(page, "@media print"));
    assert_non_null(strstr(page, "<title>plumb training run report</title>"));
    assert_non_null(strstr(page, "This record holds no evaluation"));
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "http:"));
    assert_null(strstr(page, "<svg")); /* nothing to draw */
    free(page);
    page = render("{\"plumb_run\": 1, \"kind\": \"eval\", \"title\": \"<script>alert(1)</script>\", \"narrative\": "
                  "{\"problem\": \"a & b\\n\\nsecond \\\"paragraph\\\"\"}}",
                  msg);
    assert_non_null(page);
    assert_null(strstr(page, "<script"));
    assert_non_null(strstr(page, "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    assert_non_null(strstr(page, "<p>a &amp; b</p>\n<p>second &quot;paragraph&quot;</p>"));
    free(page);
}

static char *slurp(const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/report/%s", PLUMB_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    char buf[4096];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;)
        fwrite(buf, 1, got, m);
    fclose(f);
    fclose(m);
    *len = n;
    return s;
}

/* The repro records of the hardening issue: a metric name in the comparison and in the folds carries markup. */
static void metric_names_are_escaped(void **state) {
    (void)state;
    static const char *const files[] = {"xss_comparison.json", "xss_folds.json"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *json = slurp(files[i], &len), why[256] = "";
        char *page = plumb_escape_render(json, len);
        assert_non_null(page);
        assert_null(strstr(page, "<script"));
        assert_null(strstr(page, "<img"));
        assert_true(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
                    strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
        if (!plumb_report_escapes(json, len, why, sizeof why))
            fail_msg("%s: %s", files[i], why);
        free(page);
        free(json);
    }
}

static bool cat2(char **out, const char *a, const char *b) {
    const size_t n = strlen(a), m = strlen(b);
    if (!(*out = malloc(n + m + 1)))
        return false;
    memcpy(*out, a, n);
    memcpy(*out + n, b, m + 1);
    return true;
}

/* Markup appended to every string of a record: values, and the keys of the free-form maps (metrics, intervals,
 * parameters). Values the format restricts to a list (kind, severity) are left alone. */
static void poison(json_t *v, const char *key) {
    static const char bad[] = "<b title=\"x\" onclick='y'>&";
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_string(x)) {
                char *t = NULL;
                assert_true(cat2(&t, json_string_value(x), bad));
                json_array_set_new(v, i, json_string(t));
                free(t);
            } else
                poison(x, key);
        }
        return;
    }
    if (!json_is_object(v))
        return;
    const bool free_keys = key && (strcmp(key, "metrics") == 0 || strcmp(key, "ci") == 0 || strcmp(key, "params") == 0);
    json_t *copy = json_object();
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        char *nk = NULL;
        assert_true(cat2(&nk, k, free_keys ? bad : ""));
        if (json_is_string(x) && strcmp(k, "kind") != 0 && strcmp(k, "severity") != 0) {
            char *t = NULL;
            assert_true(cat2(&t, json_string_value(x), bad));
            json_object_set_new(copy, nk, json_string(t));
            free(t);
        } else {
            poison(x, k);
            json_object_set(copy, nk, x);
        }
        free(nk);
    }
    json_object_clear(v);
    json_object_update(v, copy);
    json_decref(copy);
}

/* The sample records with markup in every string: the page shows it as text, everywhere. */
static void every_record_string_is_escaped(void **state) {
    (void)state;
    static const char *const files[] = {"credit.json", "audit.json"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *json = slurp(files[i], &len), why[256] = "";
        json_t *root = json_loadb(json, len, 0, NULL);
        assert_non_null(root);
        poison(root, NULL);
        char *bad = json_dumps(root, JSON_COMPACT);
        assert_non_null(bad);
        char *page = plumb_escape_render(bad, strlen(bad));
        assert_non_null(page);
        assert_null(strstr(page, "<b "));
        assert_null(strstr(page, "onclick='"));
        assert_true(count(page, "&lt;b title=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;") > 20);
        if (!plumb_report_escapes(bad, strlen(bad), why, sizeof why))
            fail_msg("%s: %s", files[i], why);
        free(page);
        free(bad);
        json_decref(root);
        free(json);
    }
}

/* Issue 23 item 8: the summary's wording and the learning curve's caption say what the record holds. */
static void summary_wording(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render("{\"plumb_run\": 1, \"kind\": \"eval\", \"data\": {\"positive_class\": \"bad\", "
                        "\"negative_class\": \"good\"}, \"evaluations\": [{\"model\": \"model\", \"metrics\": "
                        "{\"roc_auc\": 0.8}, \"threshold\": 0.9, \"confusion\": {\"tn\": 990, \"fp\": 0, \"fn\": 9, "
                        "\"tp\": 1}}, {\"model\": \"naive model\", \"metrics\": {\"roc_auc\": 0.7}}, {\"model\": "
                        "\"boosted\", \"metrics\": {\"roc_auc\": 0.75}}], \"learning_curve\": {\"metric\": "
                        "\"binary_logloss\", \"valid\": [0.6, 0.5, 0.45]}, \"narrative\": {\"risks\": \"drift\"}}",
                        msg);
    assert_non_null(page);
    assert_null(strstr(page, "model model"));
    assert_non_null(strstr(page, "<p>The model ranks a random bad case"));
    assert_non_null(strstr(page, "<p>The naive model ranks"));
    assert_non_null(strstr(page, "<p>The boosted model ranks"));
    /* one case flagged in 1,000: counts, not "0% of cases; 100% of those flagged" */
    assert_non_null(strstr(page, "it flags 1 of 1\xE2\x80\x89"
                                 "000 cases; 1 of them is bad, and it catches 10% of all bad cases."));
    assert_null(strstr(page, "flags 0%"));
    /* only the validation line is drawn: the caption does not speak of a training curve */
    assert_non_null(strstr(page, "Where the validation curve flattens or turns up, more trees stop helping."));
    assert_null(strstr(page, "training curve"));
    /* no claim of monitoring, which plumb does not do */
    assert_null(strstr(page, "monitor"));
    free(page);
}

static const char *const record =
    "{\"plumb_run\": 1, \"kind\": \"eval\", \"data\": {\"positive_class\": \"bad\", \"negative_class\": \"good\", "
    "\"positive_rate\": 0.3},"
    " \"narrative\": {\"decision\": \"ship it\", \"rationale\": \"it ranks well\"},"
    " \"evaluations\": [{\"name\": \"the hold-out\", \"model\": \"boosted\", \"metrics\": {\"my_metric\": 2, "
    "\"roc_auc\": 0.78, \"log_loss\": null}, \"threshold\": 0.5, \"confusion\": {\"tn\": 60, \"fp\": 10, \"fn\": 10, "
    "\"tp\": 20}, \"curves\": {\"roc\": {\"fpr\": [0, 0.2, null, 1], \"tpr\": [0, 0.6, 0.9, 1]}, \"score_hist\": "
    "{\"edges\": [0, 0.5, 1], \"positive\": [5, 25], \"negative\": [50, 20]}}}],"
    " \"folds\": {\"strategy\": \"stratified\", \"metrics\": {\"roc_auc\": [0.77, 0.79]}},"
    " \"comparison\": [{\"name\": \"naive model\", \"metric\": \"roc_auc\", \"offline\": 0.97, \"out_of_time\": "
    "0.70}]}";

static void summary_in_plain_words(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render(record, msg);
    assert_non_null(page);
    assert_non_null(strstr(page, "<p>On the hold-out, the boosted model ranks a random bad case above a random good "
                                 "one 78% of the time (AUC 0.78). At a score threshold of 0.50 it flags 30% of cases; "
                                 "67% of those flagged are bad, and it catches 67% of all bad cases.</p>"));
    assert_non_null(strstr(page, "<p>The naive model scores 0.970 (ROC AUC) in offline validation and 0.700 on later "
                                 "data it never saw: a drop of 0.270, so the offline figure overstates what it will "
                                 "do in production.</p>"));
    assert_non_null(
        strstr(page, "<p>Across 2 cross-validation folds (stratified), ROC AUC is 0.780 \xC2\xB1 0.014.</p>"));
    assert_non_null(strstr(page, "<p class=\"decision\">Decision: ship it</p>\n<p>Why: it ranks well</p>"));
    /* the summary comes first, the decision section last */
    assert_true(strstr(page, "id=\"summary\"") < strstr(page, "id=\"results\""));
    assert_true(strstr(page, "id=\"results\"") < strstr(page, "id=\"decision\""));
    /* metrics: known first, then the others; null shows n/a */
    const char *auc = strstr(page, "<td>ROC AUC</td>"), *mine = strstr(page, "<td>my_metric</td>");
    assert_true(auc && mine && auc < mine);
    assert_non_null(strstr(page, "<td>log-loss</td><td class=\"num\">n/a</td>"));
    /* charts: ROC, confusion, histogram, folds, comparison */
    assert_int_equal(count(page, "<svg class=\"chart\""), 5);
    assert_null(strstr(page, "nan"));
    free(page);
    /* the same record, the same bytes */
    char *a = render(record, msg), *b = render(record, msg);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void write_puts_the_record_beside(void **state) {
    (void)state;
    char dir[512], html[600], json[600], other[600];
    snprintf(dir, sizeof dir, "%s/plumb_report_XXXXXX", plumb_test_tmp_dir());
    assert_non_null(mkdtemp(dir));
    snprintf(html, sizeof html, "%s/r.html", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(other, sizeof other, "%s/page", dir);
    plumb_error err;
    assert_int_equal(plumb_report_write(record, strlen(record), html, &err), PLUMB_OK);
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, strlen(record) + 1);
    assert_memory_equal(buf, record, strlen(record));
    assert_int_equal(buf[n - 1], '\n');
    assert_int_equal(access(html, F_OK), 0);
    unlink(html);
    unlink(json);
    /* a name without .html: the record goes to NAME.json */
    assert_int_equal(plumb_report_write(record, strlen(record), other, &err), PLUMB_OK);
    snprintf(json, sizeof json, "%s/page.json", dir);
    assert_int_equal(access(json, F_OK), 0);
    unlink(json);
    unlink(other);
    /* a bad record writes neither file; errors name the record's file */
    assert_int_equal(plumb_report_write("{\"plumb_run\": 1}", 16, html, &err), PLUMB_EPARSE);
    char msg[PLUMB_ERROR_MAX];
    snprintf(json, sizeof json, "%s/r.json", dir);
    char want[PLUMB_ERROR_MAX];
    snprintf(want, sizeof want, "%s: bad run record: no 'kind' key", json);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    assert_int_equal(access(html, F_OK), -1);
    assert_int_equal(access(json, F_OK), -1);
    assert_int_equal(plumb_report_write(record, strlen(record), "-", &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the report needs a file name, not '-'");
    assert_int_equal(rmdir(dir), 0);
}

/* Issue 23 item 7: a regression evaluation draws predicted against actual with y = x on square axes, the residuals
 * against the prediction and over time around a zero line, and a chart of the error per segment. */
static void regression_charts(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render("{\"plumb_run\": 1, \"kind\": \"eval\", \"data\": {\"target\": \"ridership\"}, "
                        "\"evaluations\": [{\"name\": \"2016\", \"model\": \"gbdt\", \"metrics\": {\"mae\": 1.5, "
                        "\"r2\": 0.8}, \"regression\": {\"points\": {\"predicted\": [2, 4, 6], \"actual\": [3, 4, 5], "
                        "\"time\": [2016.1, 2016.5, 2016.9]}, \"time_name\": \"date\", \"time_unit\": \"year\", "
                        "\"segments\": [{\"by\": \"decile of the prediction\", \"labels\": [\"2 to 4\", \"4 to 6\"], "
                        "\"rows\": [2, 1], \"mae\": [0.5, 1], \"bias\": [0.5, -1]}]}}]}",
                        msg);
    assert_non_null(page);
    assert_non_null(strstr(page, "<h3>How far off the predictions are</h3>"));
    assert_non_null(strstr(page, ">Predicted against actual: gbdt, 2016</title>"));
    assert_non_null(strstr(page, ">Residuals against the prediction: gbdt, 2016</title>"));
    assert_non_null(strstr(page, ">Residuals over time: gbdt, 2016</title>"));
    assert_non_null(strstr(page, ">date (year)</text>"));
    assert_non_null(strstr(page, ">Error by decile of the prediction: gbdt, 2016</title>"));
    assert_non_null(strstr(page, ">4 to 6</text>"));
    assert_non_null(strstr(page, ">-1.00</text>")); /* the mean error of the group predicted too high */
    /* the scatter's axes share one range, so y = x runs corner to corner of the plot */
    const char *scatter = strstr(page, ">Predicted against actual: gbdt, 2016</title>");
    const char *end = strstr(scatter, "</svg>");
    const char *diag = strstr(scatter, "<line x1=\"58.0\" y1=\"264.0\" x2=\"464.0\" y2=\"34.0\" stroke=\"#8c959f\"");
    assert_non_null(diag);
    assert_true(diag < end);
    /* three dots in each of the three scatter plots */
    size_t dots = 0;
    for (const char *q = page; (q = strstr(q, "<circle ")) != NULL; q++)
        dots++;
    assert_int_equal(dots, 9);
    assert_non_null(strstr(page, "no error</text>"));
    free(page);
    /* without a time column there is no chart over time */
    page = render("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"regression\": {\"points\": "
                  "{\"predicted\": [2, 4], \"actual\": [3, 4]}}}]}",
                  msg);
    assert_non_null(page);
    assert_non_null(strstr(page, ">Predicted against actual: evaluation 1</title>"));
    assert_null(strstr(page, "Residuals over time"));
    free(page);
}

/* Issue 23 item 8: the settings a model was trained with, under readable names, and the negative class named from
 * them when the data does not name it. */
static void settings_and_classes(void **state) {
    (void)state;
    char msg[PLUMB_ERROR_MAX];
    char *page = render("{\"plumb_run\": 1, \"kind\": \"train\", \"data\": {\"positive_class\": \"bad\"}, "
                        "\"model\": {\"kind\": \"gbdt\", \"settings\": {\"learning_rate\": 0.05, \"num_leaves\": 15, "
                        "\"monotone\": {\"Income\": -1, \"Age\": 1}, \"calibration\": \"isotonic\", \"custom\": \"x\", "
                        "\"positive_class\": \"bad\", \"negative_class\": \"good\"}}, \"evaluations\": [{\"model\": "
                        "\"gbdt\", \"metrics\": {\"roc_auc\": 0.8}, \"confusion\": {\"tn\": 5, \"fp\": 1, \"fn\": 2, "
                        "\"tp\": 3}, \"threshold\": 0.5}]}",
                        msg);
    assert_non_null(page);
    assert_non_null(strstr(page, "<h3>Training settings</h3>"));
    assert_non_null(strstr(page, "<td>learning rate <span class=\"key\">learning_rate</span></td><td>0.05</td>"));
    assert_non_null(strstr(page, "<td>leaves per tree (most) <span class=\"key\">num_leaves</span></td><td>15</td>"));
    assert_non_null(strstr(page, "<td>Income decreasing, Age increasing</td>"));
    assert_non_null(strstr(page, "<span class=\"key\">calibration</span></td><td>isotonic</td>"));
    assert_non_null(strstr(page, "<td>custom</td><td>x</td>")); /* a key the renderer does not know, as it is */
    assert_null(strstr(page, "<td>negative_class</td>"));       /* the classes are data facts */
    assert_non_null(strstr(page, "ranks a random bad case above a random good one"));
    assert_non_null(strstr(page, "<dt>negative class</dt><dd>good</dd>"));
    assert_null(strstr(page, ">other<"));
    free(page);
}

/* plumb__record_regression on plain data: every row a point (under the cap), deciles of the prediction with
 * their ranges, error and mean error, and no time without a frame. */
static void regression_fields(void **state) {
    (void)state;
    double y[20], pred[20];
    for (int i = 0; i < 20; i++) {
        y[i] = 1000.0 * (i + 1);
        pred[i] = y[i] + (i < 10 ? 500 : -250); /* too high on the lower half, too low on the upper */
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = 20;
    d.label = y;
    d.score = pred;
    json_t *o = plumb__record_regression(&d, NULL);
    assert_non_null(o);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(o);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"points\":{\"predicted\":[1500.0,2500.0,"));
    assert_null(strstr(text, "\"time\""));
    assert_non_null(strstr(text, "\"segments\":[{\"by\":\"decile of the prediction\",\"labels\":[\"1500 to 2500\","));
    assert_non_null(strstr(text, "\"rows\":[2,2,2,2,2,2,2,2,2,2]"));
    assert_non_null(strstr(text, "\"mae\":[500.0,500.0,500.0,500.0,500.0,250.0,"));
    assert_non_null(strstr(text, "\"bias\":[-500.0,-500.0,-500.0,-500.0,-500.0,250.0,"));
    free(text);
    d.n_rows = 0;
    assert_null(plumb__record_regression(&d, NULL));
}

PLUMB_TEST_MAIN(cmocka_unit_test(escapes_markup_and_repairs_text), cmocka_unit_test(fixed_numbers),
                cmocka_unit_test(nice_ticks), cmocka_unit_test(xy_chart_svg), cmocka_unit_test(bars_and_confusion_svg),
                cmocka_unit_test(malformed_records), cmocka_unit_test(tune_record),
                cmocka_unit_test(minimal_and_escaped_records), cmocka_unit_test(audit_chart_uses_recorded_thresholds),
                cmocka_unit_test(summary_in_plain_words), cmocka_unit_test(write_puts_the_record_beside),
                cmocka_unit_test(metric_names_are_escaped), cmocka_unit_test(every_record_string_is_escaped),
                cmocka_unit_test(summary_wording), cmocka_unit_test(long_labels_keep_their_text),
                cmocka_unit_test(regression_charts), cmocka_unit_test(settings_and_classes),
                cmocka_unit_test(regression_fields))
