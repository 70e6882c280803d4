/* test_locale.c -- every file and text the library writes is the same under a comma-decimal locale.
 *
 * A host (a server, a Python process) may call setlocale(LC_ALL, "") under de_DE, where printf("%g", 0.5) writes
 * "0,5" and strtod("2.5") stops at the '.'. Each case here produces one kind of output under the C locale, then
 * again after setlocale(LC_ALL, "de_DE.UTF-8"), and requires the same bytes: model files of every kind (saved,
 * and loaded then saved again), a linear model whose class weights are parsed from text, a tree's rules, reports,
 * the site, the audit's JSON and findings, contributions. The comma locale is compiled with localedef into a
 * temporary folder (LOCPATH) when the system does not have it; without the locales package (scripts/bootstrap
 * installs it) the cases fail, saying so, rather than pass without checking anything.
 */
#include "test.h"

#include <dirent.h>
#include <locale.h>
#include <sys/stat.h>

static const char *const comma = "de_DE.UTF-8";
static char locpath[512];

/* Removes dir and the files in it (one level of sub-folders). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int remove_locale(void **state) {
    (void)state;
    setlocale(LC_ALL, "C");
    if (locpath[0])
        remove_tree(locpath);
    return 0;
}

/* Switches the process to the comma locale (built on first use if the system lacks it) and checks that it is one. */
static void use_comma_locale(void) {
    if (!setlocale(LC_ALL, comma) && !locpath[0]) {
        snprintf(locpath, sizeof locpath, "%s/plumb_locale_XXXXXX", plumb_test_tmp_dir());
        assert_non_null(mkdtemp(locpath));
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "localedef -i de_DE -c -f UTF-8 '%s/%s' >/dev/null 2>&1", locpath, comma);
        if (system(cmd) != 0)
            fprintf(stderr, "localedef failed: %s\n", cmd);
        setenv("LOCPATH", locpath, 1);
    }
    if (!setlocale(LC_ALL, comma))
        fail_msg("no %s locale and localedef could not build one: install the locales package (scripts/bootstrap)",
                 comma);
    char s[16];
    snprintf(s, sizeof s, "%.1f", 0.5);
    assert_string_equal(s, "0,5"); /* the test means something only if the locale really has a decimal comma */
}

static void use_c_locale(void) {
    assert_non_null(setlocale(LC_ALL, "C"));
}

/* ---- data and models, made under the C locale ---- */

static plumb_frame *credit_frame(int64_t rows) {
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = rows;
    o.n_months = 12;
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    plumb_error err;
    assert_int_equal(plumb_synth_credit_write(&o, f, NULL, &err), PLUMB_OK);
    fclose(f);
    plumb_schema *schema = NULL;
    assert_int_equal(plumb_synth_credit_schema(&schema, &err), PLUMB_OK);
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.schema = schema;
    plumb_frame *frame = NULL;
    assert_int_equal(plumb_frame_read_buffer(csv, len, &ro, &frame, &err), PLUMB_OK);
    plumb_schema_free(schema);
    free(csv);
    return frame;
}

static char *slurp_path(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s'", path);
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    char buf[65536];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;)
        fwrite(buf, 1, got, m);
    fclose(f);
    fclose(m);
    *len = n;
    return s;
}

/* Fails with the first place where a and b part. */
static void expect_same(const char *what, const char *a, size_t na, const char *b, size_t nb) {
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i])
        i++;
    if (i == na && i == nb)
        return;
    const size_t from = i > 30 ? i - 30 : 0;
    fail_msg("%s differs under %s at byte %zu: C '%.60s' vs comma '%.60s'", what, comma, i, a + from, b + from);
}

/* Models trained at different times differ in their "created" time, and so in the checksum of the header line:
 * expect_same_model compares the bodies with that time masked. */
static void mask_created(char *s, size_t n) {
    static const char key[] = "\"created\":";
    for (char *p = s; (p = strstr(p, key));) { /* model files are text: s is NUL-terminated */
        p += sizeof key - 1;
        while (*p == ' ')
            p++;
        if (*p != '"')
            continue;
        for (p++; (size_t)(p - s) < n && *p != '"'; p++)
            *p = 'X';
    }
}

static void expect_same_model(const char *what, char *a, size_t na, char *b, size_t nb) {
    const char *ea = memchr(a, '\n', na), *eb = memchr(b, '\n', nb);
    assert_true(ea && eb);
    mask_created(a, na);
    mask_created(b, nb);
    expect_same(what, ea, na - (size_t)(ea - a), eb, nb - (size_t)(eb - b));
}

/* The bytes of model m as plumb_model_save writes them, and as a load and a second save give them back. */
static char *model_bytes(const plumb_model *m, size_t *len) {
    char path[600];
    snprintf(path, sizeof path, "%s/plumb_locale_model_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    plumb_error err;
    assert_int_equal(plumb_model_save(m, path, &err), PLUMB_OK);
    size_t n1;
    char *first = slurp_path(path, &n1);
    plumb_model *back = NULL;
    assert_int_equal(plumb_model_load(path, &back, &err), PLUMB_OK);
    assert_int_equal(plumb_model_save(back, path, &err), PLUMB_OK);
    plumb_model_free(back);
    size_t n2;
    char *second = slurp_path(path, &n2);
    unlink(path);
    expect_same("a model saved after a load", first, n1, second, n2);
    free(second);
    *len = n1;
    return first;
}

static plumb_model *train_gbdt(const plumb_frame *frame) {
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 8;
    p.positive_class = "bad";
    p.n_threads = 1;
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_gbdt_train(frame, NULL, &p, &m, &err), PLUMB_OK);
    return m;
}

static void gbdt_model_file(void **state) {
    (void)state;
    use_c_locale();
    plumb_frame *frame = credit_frame(600);
    plumb_model *m = train_gbdt(frame);
    size_t na, nb;
    char *a = model_bytes(m, &na);
    use_comma_locale();
    char *b = model_bytes(m, &nb);
    expect_same("the gbdt model file", a, na, b, nb);
    /* training under the comma locale gives the same model too */
    plumb_model *m2 = train_gbdt(frame);
    free(b);
    b = model_bytes(m2, &nb);
    expect_same_model("a gbdt model trained under the comma locale", a, na, b, nb);
    use_c_locale();
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_model_free(m2);
    plumb_frame_free(frame);
}

static plumb_model *train_linear(const plumb_frame *frame) {
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.positive_class = "bad";
    p.class_weight = "bad=2.5,good=1"; /* parsed with the library's number reader */
    p.n_threads = 1;
    plumb_model *m = NULL;
    plumb_error err;
    if (plumb_linear_train(frame, &p, &m, &err) != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fail_msg("linear training failed: %s", plumb_error_format(&err, msg, sizeof msg));
    }
    return m;
}

static void linear_model_and_class_weights(void **state) {
    (void)state;
    use_c_locale();
    plumb_frame *frame = credit_frame(600);
    plumb_model *m = train_linear(frame);
    size_t na, nb;
    char *a = model_bytes(m, &na);
    use_comma_locale();
    plumb_model *m2 = train_linear(frame);
    char *b = model_bytes(m2, &nb);
    expect_same_model("a linear model with class weights 'bad=2.5,good=1'", a, na, b, nb);
    use_c_locale();
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_model_free(m2);
    plumb_frame_free(frame);
}

static plumb_model *train_tree(const plumb_frame *frame) {
    plumb_tree_params p;
    plumb_tree_params_init(&p);
    p.positive_class = "bad";
    p.max_depth = 4;
    p.n_threads = 1;
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_tree_train(frame, &p, &m, &err), PLUMB_OK);
    return m;
}

static void tree_model_and_rules(void **state) {
    (void)state;
    use_c_locale();
    plumb_frame *frame = credit_frame(600);
    plumb_model *m = train_tree(frame);
    plumb_error err;
    char *rules_c = NULL, *rules_comma = NULL;
    assert_int_equal(plumb_model_rules(m, &rules_c, &err), PLUMB_OK);
    assert_non_null(strchr(rules_c, '.')); /* thresholds such as 4.5 are in the text */
    size_t na, nb;
    char *a = model_bytes(m, &na);
    use_comma_locale();
    char *b = model_bytes(m, &nb);
    expect_same("the tree model file", a, na, b, nb);
    assert_int_equal(plumb_model_rules(m, &rules_comma, &err), PLUMB_OK);
    expect_same("the tree's rules", rules_c, strlen(rules_c), rules_comma, strlen(rules_comma));
    use_c_locale();
    free(rules_c);
    free(rules_comma);
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_frame_free(frame);
}

static void explain_contributions(void **state) {
    (void)state;
    use_c_locale();
    plumb_frame *frame = credit_frame(600);
    plumb_model *m = train_gbdt(frame);
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const size_t n = (size_t)plumb_frame_n_rows(frame) * (size_t)(info.n_features + 1);
    double *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    plumb_error err;
    assert_int_equal(plumb_model_contrib(m, frame, NULL, a, &err), PLUMB_OK);
    use_comma_locale();
    assert_int_equal(plumb_model_contrib(m, frame, NULL, b, &err), PLUMB_OK);
    expect_same("the contributions", (const char *)a, n * sizeof *a, (const char *)b, n * sizeof *b);
    use_c_locale();
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_frame_free(frame);
}

/* The audit's JSON and its findings in words. */
static char *audit_text(const plumb_frame *frame, size_t *len) {
    plumb_audit_options o;
    plumb_audit_options_init(&o);
    o.positive_class = "bad";
    o.n_folds = 3;
    o.num_iterations = 10;
    o.n_threads = 1;
    plumb_audit *audit = NULL;
    plumb_error err;
    assert_int_equal(plumb_audit_run(frame, &o, &audit, &err), PLUMB_OK);
    char *s = NULL;
    FILE *f = open_memstream(&s, len);
    char *json = plumb_audit_json(audit);
    assert_non_null(json);
    fputs(json, f);
    free(json);
    for (int64_t i = 0; i < plumb_audit_n_findings(audit); i++) {
        const plumb_finding *x = plumb_audit_finding(audit, i);
        fprintf(f, "\n%s\n%s\n%s", x->title ? x->title : "", x->evidence ? x->evidence : "",
                x->action ? x->action : "");
    }
    fclose(f);
    plumb_audit_free(audit);
    return s;
}

static void audit_json_and_findings(void **state) {
    (void)state;
    use_c_locale();
    plumb_frame *frame = credit_frame(1500);
    size_t na, nb;
    char *a = audit_text(frame, &na);
    use_comma_locale();
    char *b = audit_text(frame, &nb);
    expect_same("the audit's JSON and findings", a, na, b, nb);
    use_c_locale();
    free(a);
    free(b);
    plumb_frame_free(frame);
}

static char *render_file(const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/report/%s", PLUMB_TEST_DATA, name);
    size_t n;
    char *json = slurp_path(path, &n);
    char *page = NULL;
    FILE *f = open_memstream(&page, len);
    plumb_error err;
    assert_int_equal(plumb_report_render(json, n, name, f, &err), PLUMB_OK);
    fclose(f);
    free(json);
    return page;
}

static void reports(void **state) {
    (void)state;
    static const char *const names[] = {"credit.json", "audit.json"};
    for (size_t i = 0; i < 2; i++) {
        use_c_locale();
        size_t na, nb;
        char *a = render_file(names[i], &na);
        assert_non_null(strstr(a, "viewBox=\"0 0 480.0 "));
        use_comma_locale();
        char *b = render_file(names[i], &nb);
        expect_same(names[i], a, na, b, nb);
        use_c_locale();
        free(a);
        free(b);
    }
}

/* Builds the site of the two sample records and a page; returns every file's name and bytes, in order. */
static char *site_bytes(const char *in, size_t *len) {
    char out[600];
    snprintf(out, sizeof out, "%s/plumb_locale_site_XXXXXX", plumb_test_tmp_dir());
    assert_non_null(mkdtemp(out));
    plumb_error err;
    int64_t n_reports = 0, n_pages = 0;
    assert_int_equal(plumb_site_build(in, out, &n_reports, &n_pages, &err), PLUMB_OK);
    assert_int_equal(n_reports, 2);
    char *s = NULL;
    FILE *f = open_memstream(&s, len);
    static const char *const files[] = {"index.html", "notes.html", "reports/credit.html", "reports/audit.html"};
    for (size_t i = 0; i < 4; i++) {
        char path[800];
        snprintf(path, sizeof path, "%s/%s", out, files[i]);
        size_t n;
        char *data = slurp_path(path, &n);
        fprintf(f, "== %s\n", files[i]);
        fwrite(data, 1, n, f);
        free(data);
    }
    fclose(f);
    remove_tree(out);
    return s;
}

static void site(void **state) {
    (void)state;
    use_c_locale();
    char in[600], path[800];
    snprintf(in, sizeof in, "%s/plumb_locale_in_XXXXXX", plumb_test_tmp_dir());
    assert_non_null(mkdtemp(in));
    static const char *const names[] = {"credit", "audit"};
    for (size_t i = 0; i < 2; i++) {
        char src[1024];
        snprintf(src, sizeof src, "%s/report/%s.json", PLUMB_TEST_DATA, names[i]);
        size_t n;
        char *json = slurp_path(src, &n);
        snprintf(path, sizeof path, "%s/%s.html", in, names[i]);
        plumb_error err;
        assert_int_equal(plumb_report_write(json, n, path, &err), PLUMB_OK);
        free(json);
    }
    snprintf(path, sizeof path, "%s/notes.md", in);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# Notes\n\nA threshold of 0.5.\n", f);
    fclose(f);
    size_t na, nb;
    char *a = site_bytes(in, &na);
    assert_non_null(strstr(a, "<polyline"));
    use_comma_locale();
    char *b = site_bytes(in, &nb);
    expect_same("the site", a, na, b, nb);
    use_c_locale();
    free(a);
    free(b);
    remove_tree(in);
}

/* Reading numbers: a CSV under the comma locale reads 1.5 as 1.5. */
static void csv_numbers(void **state) {
    (void)state;
    use_comma_locale();
    static const char csv[] = "x,y\n1.5,a\n-2.25e1,b\n";
    plumb_frame *frame = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_read_buffer(csv, sizeof csv - 1, NULL, &frame, &err), PLUMB_OK);
    const double *x = plumb_frame_f64(frame, 0);
    const float *xf = plumb_frame_f32(frame, 0);
    assert_true(x ? x[0] == 1.5 && x[1] == -22.5 : xf[0] == 1.5f && xf[1] == -22.5f);
    plumb_frame_free(frame);
    use_c_locale();
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gbdt_model_file),
        cmocka_unit_test(linear_model_and_class_weights),
        cmocka_unit_test(tree_model_and_rules),
        cmocka_unit_test(explain_contributions),
        cmocka_unit_test(audit_json_and_findings),
        cmocka_unit_test(reports),
        cmocka_unit_test(site),
        cmocka_unit_test(csv_numbers),
    };
    const size_t n = sizeof tests / sizeof *tests;
    int rc;
    if (argc > 1) {
        rc = 2;
        for (size_t i = 0; i < n; i++)
            if (strcmp(tests[i].name, argv[1]) == 0)
                rc = _cmocka_run_group_tests(argv[0], &tests[i], 1, NULL, remove_locale);
        if (rc == 2)
            fprintf(stderr, "no test case '%s'\n", argv[1]);
    } else
        rc = _cmocka_run_group_tests(argv[0], tests, n, NULL, remove_locale);
    return rc;
}
