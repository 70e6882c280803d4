/* test_kinds.c -- what every kind of model must do, run over the table of kinds (src/model/kinds.c).
 *
 * The fixtures in tests/data/models are one model file of each kind (and task) written by plumb before the model
 * interface existed, with their predictions on 300 credit rows: they must load and predict the same numbers
 * forever. Each case loops over all of them; a kind in the table without a fixture fails the first case, so a new
 * kind cannot skip these checks.
 *
 * The compiled kind's fixture is machine code, so it is not committed: it is gbdt_binary.plumb compiled here with
 * the system's C compiler (plumb_model_compile) on first use, and must predict gbdt_binary.pred.csv. Its file is a
 * shared object, not a model file: the damaged-file checks of the model file skip it, and test_compile.c damages
 * shared objects instead (truncated, not plumb's, unknown ABI, checksum mismatch).
 */
#include "test.h"

#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR PLUMB_TEST_DATA "/models/"

static const char *const fixtures[] = {
    "gbdt_binary", "gbdt_calibrated", "gbdt_multiclass", "gbdt_poisson", "linear",
    "logistic",    "tree_binary",     "tree_regression", "gbdt_q", /* plumb quantize gbdt_binary.plumb */
    "compiled", /* plumb compile gbdt_binary.plumb, made at test time */
};
#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

static char compiled_so[512];
static void remove_compiled(void) {
    if (compiled_so[0])
        unlink(compiled_so);
}

/* The fixture's file: the compiled one is made on first use, in the temporary directory. */
static const char *fixture_path(const char *name) {
    static char path[512], so[512];
    if (strcmp(name, "compiled") != 0) {
        snprintf(path, sizeof path, DIR "%s.plumb", name);
        return path;
    }
    if (!so[0]) {
        snprintf(so, sizeof so, "%s/plumb_kinds_%d.so", plumb_test_tmp_dir(), (int)getpid());
        memcpy(compiled_so, so, sizeof so);
        plumb_error err;
        plumb_test_ok(plumb_model_compile(DIR "gbdt_binary.plumb", so, NULL, NULL, &err), &err);
        atexit(remove_compiled);
    }
    return so;
}

/* The file of the predictions the fixture must make. */
static const char *predictions_of(const char *name) {
    return strcmp(name, "compiled") == 0 ? "gbdt_binary" : name;
}

static plumb_model *load(const char *name) {
    const char *path = fixture_path(name);
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
}

/* The 300 credit rows read as the model reads scoring data: with its schema. */
static plumb_frame *rows_for(const plumb_model *m) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(m);
    o.schema_subset = 1;
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(DIR "credit300.csv", &o, &f, &err), &err);
    return f;
}

static double *predict(const plumb_model *m, const plumb_frame *f) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    double *out = malloc((size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *out);
    plumb_error err;
    plumb_test_ok(plumb_model_predict(m, f, NULL, out, &err), &err);
    return out;
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*n + 1);
    assert_int_equal(fread(buf, 1, *n, f), *n);
    fclose(f);
    buf[*n] = '\0';
    return buf;
}

static void every_kind_has_a_fixture(void **state) {
    (void)state;
    size_t n;
    const plumb__model_ops *const *kinds = plumb__model_kinds(&n);
    for (size_t k = 0; k < n; k++) {
        bool found = false;
        for (size_t i = 0; i < N_FIXTURES && !found; i++) {
            plumb_model *m = load(fixtures[i]);
            found = m->ops == kinds[k];
            plumb_model_free(m);
        }
        if (!found)
            fail_msg("kind '%s' has no fixture in tests/data/models", kinds[k]->name);
        assert_ptr_equal(plumb__model_kind(kinds[k]->name), kinds[k]);
    }
    assert_null(plumb__model_kind("forest"));
}

/* The fixtures predict what plumb wrote when they were made: every number of the .pred.csv file, to the bit
 * (written with 17 significant digits, which round-trip a double). */
static void fixtures_predict_as_written(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load(fixtures[i]);
        plumb_frame *f = rows_for(m);
        plumb_model_info info;
        plumb_model_describe(m, &info);
        double *got = predict(m, f);
        char path[512];
        size_t len;
        snprintf(path, sizeof path, DIR "%s.pred.csv", predictions_of(fixtures[i]));
        char *text = slurp(path, &len), *line = strchr(text, '\n') + 1;
        for (int64_t r = 0; r < plumb_frame_n_rows(f); r++) {
            char *p = line;
            if (info.n_outputs > 1) /* the predicted class comes first */
                p = strchr(p, ',') + 1;
            for (int64_t k = 0; k < info.n_outputs; k++) {
                char *end;
                const double want = strtod(p, &end);
                if (want != got[r * info.n_outputs + k])
                    fail_msg("%s row %lld output %lld: %.17g, the file says %.17g", fixtures[i], (long long)r,
                             (long long)k, got[r * info.n_outputs + k], want);
                p = end + 1;
            }
            line = strchr(line, '\n') + 1;
        }
        free(text);
        free(got);
        plumb_frame_free(f);
        plumb_model_free(m);
    }
}

/* Saved again, a model reads back as the same bytes and predicts the same numbers. */
static void save_load_is_bit_identical(void **state) {
    (void)state;
    char path[512], again[512];
    snprintf(path, sizeof path, "%s/plumb_kinds_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    snprintf(again, sizeof again, "%s/plumb_kinds_%d_2.plumb", plumb_test_tmp_dir(), (int)getpid());
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load(fixtures[i]), *l = NULL;
        plumb_error err;
        plumb_test_ok(plumb_model_save(m, path, &err), &err);
        plumb_test_ok(plumb_model_load(path, &l, &err), &err);
        plumb_test_ok(plumb_model_save(l, again, &err), &err);
        size_t na, nb;
        char *a = slurp(path, &na), *b = slurp(again, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        plumb_frame *f = rows_for(m);
        plumb_model_info info;
        plumb_model_describe(m, &info);
        double *p = predict(m, f), *q = predict(l, f);
        assert_memory_equal(p, q, (size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *p);
        free(a);
        free(b);
        free(p);
        free(q);
        plumb_frame_free(f);
        plumb_model_free(l);
        plumb_model_free(m);
    }
    unlink(path);
    unlink(again);
}

static void expect_load_error(const char *buf, size_t n, const char *want) {
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_model_load_buffer(buf, n, "x.plumb", &m, &err), PLUMB_EFORMAT);
    assert_null(m);
    if (!strstr(err.message, want))
        fail_msg("message '%s' lacks '%s'", err.message, want);
}

/* Truncated, corrupted and future files of every kind are refused with a message that says which. */
static void damaged_files_are_refused(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        char path[512];
        size_t n;
        if (strcmp(fixtures[i], "compiled") == 0) /* a shared object: test_compile.c damages those */
            continue;
        snprintf(path, sizeof path, DIR "%s.plumb", fixtures[i]);
        char *buf = slurp(path, &n);
        const size_t header = (size_t)(strchr(buf, '\n') - buf) + 1;
        expect_load_error(buf, n / 2, "truncated model file");
        expect_load_error(buf, 5, "not a plumb model file");
        buf[header + (n - header) / 3] ^= 1; /* one bit of the body */
        expect_load_error(buf, n, "checksum mismatch");
        buf[header + (n - header) / 3] ^= 1;
        char *future = malloc(n + 16);
        const char *rest = strchr(buf + 12, ' '); /* after "plumb-model N" */
        const int len = snprintf(future, n + 16, "plumb-model 99%s", rest);
        expect_load_error(future, (size_t)len, "newer than this plumb reads");
        const char *sha = strchr(rest + 1, ' ');
        const int neg = snprintf(future, n + 16, "plumb-model 1 -5%s", sha);
        expect_load_error(future, (size_t)neg, "bad header");
        free(future);
        free(buf);
    }
}

/* One row at a time and plain matrices (both layouts, float and double) predict what the frame path predicts,
 * to the last bit, for every kind. */
static void row_and_matrix_paths_equal_the_frame_path(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load(fixtures[i]);
        plumb_frame *f = rows_for(m);
        plumb_model_info info;
        plumb_model_describe(m, &info);
        const int64_t n = plumb_frame_n_rows(f), C = plumb_frame_n_columns(f), K = info.n_outputs;
        double *want = predict(m, f);
        const char **names = malloc((size_t)C * sizeof *names);
        const plumb_schema *fs = plumb_frame_schema(f);
        for (int64_t j = 0; j < C; j++) {
            plumb_column_info c;
            plumb_schema_column(fs, C - 1 - j, &c); /* the caller's order need not be the model's */
            names[j] = c.name;
        }
        plumb_scorer *s = NULL;
        plumb_error err;
        plumb_test_ok(plumb_scorer_create(m, names, C, &s, &err), &err);
        assert_int_equal(plumb_scorer_n_outputs(s), K);
        double *values = malloc((size_t)C * sizeof *values), *got = malloc((size_t)K * sizeof *got);
        const char **cats = malloc((size_t)C * sizeof *cats);
        double *rowmajor = malloc((size_t)(n * C) * sizeof *rowmajor),
               *colmajor = malloc((size_t)(n * C) * sizeof *colmajor);
        float *rowf = malloc((size_t)(n * C) * sizeof *rowf);
        for (int64_t r = 0; r < n; r++) {
            for (int64_t j = 0; j < C; j++) {
                const int64_t col = C - 1 - j;
                plumb_column_info c;
                plumb_schema_column(fs, col, &c);
                const float *x = plumb_frame_f32(f, col);
                const uint8_t *u = plumb_frame_u8(f, col);
                const int32_t *codes = plumb_frame_codes(f, col);
                const double *x64 = plumb_frame_f64(f, col);
                values[j] = x ? x[r] : u ? (u[r] == PLUMB_BOOL_MISSING ? NAN : u[r]) : x64 ? x64[r] : NAN;
                cats[j] = codes && codes[r] >= 0 ? c.categories[codes[r]] : NULL;
                const double code = cats[j] ? plumb_scorer_category_code(s, j, cats[j]) : NAN;
                rowmajor[r * C + j] = colmajor[j * n + r] = codes ? code : values[j];
                rowf[r * C + j] = (float)rowmajor[r * C + j];
            }
            plumb_test_ok(plumb_scorer_row(s, values, cats, got, &err), &err);
            if (memcmp(got, want + r * K, (size_t)K * sizeof *got) != 0)
                fail_msg("%s row %lld: the row path gives %.17g, the frame path %.17g", fixtures[i], (long long)r,
                         got[0], want[r * K]);
        }
        double *mat = malloc((size_t)(n * K) * sizeof *mat);
        plumb_test_ok(plumb_scorer_matrix(s, rowmajor, PLUMB_DTYPE_F64, PLUMB_LAYOUT_ROW_MAJOR, n, 2, mat, &err), &err);
        assert_memory_equal(mat, want, (size_t)(n * K) * sizeof *mat);
        plumb_test_ok(plumb_scorer_matrix(s, colmajor, PLUMB_DTYPE_F64, PLUMB_LAYOUT_COL_MAJOR, n, 1, mat, &err), &err);
        assert_memory_equal(mat, want, (size_t)(n * K) * sizeof *mat);
        plumb_test_ok(plumb_scorer_matrix(s, rowf, PLUMB_DTYPE_F32, PLUMB_LAYOUT_ROW_MAJOR, n, 0, mat, &err), &err);
        assert_memory_equal(mat, want, (size_t)(n * K) * sizeof *mat);
        /* a layout without a feature the model needs */
        plumb_scorer *bad = NULL;
        assert_int_equal(plumb_scorer_create(m, names, 1, &bad, &err), PLUMB_ESCHEMA);
        assert_null(bad);
        free(mat);
        free(rowmajor);
        free(colmajor);
        free(rowf);
        free(values);
        free(cats);
        free(got);
        free(names);
        free(want);
        plumb_scorer_free(s);
        plumb_frame_free(f);
        plumb_model_free(m);
    }
}

/* Every public accessor answers for every kind: a value, or a clear "this kind cannot"; never a crash. */
static void accessors_answer_for_every_kind(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load(fixtures[i]);
        plumb_model_info info;
        plumb_model_describe(m, &info);
        assert_string_equal(info.kind, m->ops->name);
        assert_true(info.n_features > 0);
        const plumb_schema *s = plumb_model_schema(m);
        for (int64_t k = 0; k < info.n_features; k++) {
            const char *name = plumb_model_feature_name(m, k);
            assert_non_null(name);
            bool in_schema = false;
            for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
                plumb_column_info c;
                plumb_schema_column(s, j, &c);
                in_schema |= strcmp(c.name, name) == 0;
            }
            assert_true(in_schema);
        }
        assert_null(plumb_model_feature_name(m, -1));
        assert_null(plumb_model_feature_name(m, info.n_features));
        const char *pos = plumb_model_positive_class(m);
        if (info.task == PLUMB_TASK_BINARY)
            assert_string_equal(pos, "bad");
        else
            assert_null(pos);
        plumb_error err;
        plumb_importance *imp = calloc((size_t)info.n_features, sizeof *imp);
        plumb_status st = plumb_model_importance(m, imp, &err);
        assert_true(st == PLUMB_OK || (st == PLUMB_EINVAL && strstr(err.message, "only gbdt and compiled models")));
        char *rules = NULL;
        st = plumb_model_rules(m, &rules, &err);
        assert_true(st == PLUMB_OK ? rules != NULL : strstr(err.message, "only tree models") != NULL);
        free(rules);
        const plumb_coefficient *co;
        int64_t nco;
        assert_int_equal(plumb_model_coefficients(m, &co, &nco, &err) == PLUMB_OK, strcmp(info.kind, "linear") == 0);
        plumb_tree_info ti;
        assert_int_equal(plumb_tree_describe(m, &ti, &err) == PLUMB_OK, strcmp(info.kind, "tree") == 0);
        plumb_linear_info li;
        assert_int_equal(plumb_linear_describe(m, &li, &err) == PLUMB_OK, strcmp(info.kind, "linear") == 0);
        const double *curve;
        assert_true(plumb_model_valid_curve(m, &curve) >= 0);
        assert_int_equal(plumb_model_rules(m, NULL, &err), PLUMB_EINVAL);
        free(imp);
        plumb_model_free(m);
    }
    /* no model at all */
    plumb_model_info info;
    plumb_model_describe(NULL, &info);
    assert_null(info.kind);
    assert_null(plumb_model_schema(NULL));
    assert_null(plumb_model_feature_name(NULL, 0));
    assert_null(plumb_model_positive_class(NULL));
    char *rules;
    plumb_error err;
    assert_int_equal(plumb_model_rules(NULL, &rules, &err), PLUMB_EINVAL);
    plumb_importance imp;
    assert_int_equal(plumb_model_importance(NULL, &imp, &err), PLUMB_EINVAL);
    plumb_scorer *s = NULL;
    assert_int_equal(plumb_scorer_create(NULL, NULL, 0, &s, &err), PLUMB_EINVAL);
    assert_int_equal(plumb_scorer_n_outputs(NULL), 0);
    plumb_scorer_free(NULL);
    plumb_model_free(NULL);
}

PLUMB_TEST_MAIN(cmocka_unit_test(every_kind_has_a_fixture), cmocka_unit_test(fixtures_predict_as_written),
                cmocka_unit_test(save_load_is_bit_identical), cmocka_unit_test(damaged_files_are_refused),
                cmocka_unit_test(row_and_matrix_paths_equal_the_frame_path),
                cmocka_unit_test(accessors_answer_for_every_kind))
