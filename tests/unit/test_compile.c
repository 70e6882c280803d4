/* test_compile.c -- compiled trees (src/compiled/): scores equal to the bit, the ABI checks, bad files.
 *
 * Every case compiles models here, with the system's C compiler, into a private temporary directory: both code
 * shapes (flat arrays walked with AVX-512 when the compiler targets it, and the portable loop when it does not;
 * if/else nests for trees with categorical splits) are checked against the interpreted gbdt kind on the fixtures and
 * on random feature values with NaN, infinities and odd category codes.
 */
#include "test.h"

#include "compiled/compiled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIR PLUMB_TEST_DATA "/models/"

static const char *const fixtures[] = {"gbdt_binary", "gbdt_calibrated", "gbdt_multiclass", "gbdt_poisson"};
#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

/* cflags of the shapes: the default targets this processor (AVX-512 where it has it); -O2 alone is portable; both
 * again with batches forced through the block walk (small models take the row walk by default) */
static const char *const shapes[] = {NULL, "-O2", "-O2 -march=native -DBLOCK_WALK=1", "-O2 -DBLOCK_WALK=1"};

static char tmp[4096];

static void remove_tmp(void) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (tmp[0] && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmp);
}

/* A path in this process's temporary directory (removed at exit); the last 16 stay valid. */
static const char *tmp_path(const char *name) {
    static char path[16][4200];
    static int at;
    if (!tmp[0]) {
        snprintf(tmp, sizeof tmp, "%s/plumb_compile_XXXXXX", plumb_test_tmp_dir());
        assert_non_null(mkdtemp(tmp));
        atexit(remove_tmp);
    }
    at = (at + 1) % 16;
    snprintf(path[at], sizeof path[at], "%s/%s", tmp, name);
    return path[at];
}

static void compile(const char *model, const char *so, const char *cflags, const char *emit_c) {
    plumb_compile_options o;
    plumb_compile_options_init(&o);
    o.cflags = cflags;
    o.emit_c = emit_c;
    plumb_compile_info info;
    plumb_error err;
    plumb_test_ok(plumb_model_compile(model, so, &o, &info, &err), &err);
    assert_true(info.n_trees > 0);
    assert_int_equal(strlen(info.model_sha256), 64);
}

static plumb_model *load(const char *path) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
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
    return buf;
}

static void spill(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Raw scores of nr rows of feature values through the kind's block kernel, PLUMB__BLOCK rows at a time. */
static double *raw_scores(const plumb_model *m, const float *x, int64_t nr) {
    double *out = malloc((size_t)(nr * m->n_outputs) * sizeof *out);
    void *scratch = malloc((m->ops->scratch ? m->ops->scratch(m, PLUMB__BLOCK) : 0) + 1);
    for (int64_t r0 = 0; r0 < nr; r0 += PLUMB__BLOCK) {
        const int64_t n = nr - r0 < PLUMB__BLOCK ? nr - r0 : PLUMB__BLOCK;
        m->ops->score_block(m, x + r0 * m->n_features, n, scratch, out + r0 * m->n_outputs);
    }
    free(scratch);
    return out;
}

/* Random feature values for model m: numbers around the features' edges (taken from the model), NaN, +-inf and
 * -0; category codes in and out of range, negative (missing, unseen), NaN and fractional. */
static float *random_values(const plumb_model *m, int64_t nr) {
    const plumb__gbdt *g = plumb__gbdt_of(m);
    float *x = malloc((size_t)(nr * m->n_features) * sizeof *x);
    rng_state = 99;
    for (int64_t i = 0; i < nr; i++)
        for (int64_t f = 0; f < m->n_features; f++) {
            const plumb__feature *ft = &g->features[f];
            const double u = rnd();
            float v;
            if (ft->n_categories > 0)
                v = u < 0.1    ? NAN
                    : u < 0.2  ? -1.0f
                    : u < 0.25 ? -2.0f
                    : u < 0.3  ? (float)ft->n_categories + 3
                    : u < 0.35 ? 1.5f
                               : (float)(int)(rnd() * ft->n_categories);
            else if (u < 0.1)
                v = NAN;
            else if (u < 0.13)
                v = u < 0.115 ? INFINITY : -INFINITY;
            else if (u < 0.15)
                v = -0.0f;
            else if (ft->n_bins > 2 && u < 0.6) /* exactly on an edge, or next to one */
                v = nextafterf(ft->edges[(int)(rnd() * (ft->n_bins - 2))], u < 0.4   ? INFINITY
                                                                           : u < 0.5 ? 0
                                                                                     : -INFINITY);
            else
                v = (float)((rnd() - 0.5) * 8);
            x[i * m->n_features + f] = v;
        }
    return x;
}

/* The compiled model's raw scores equal the interpreted model's, bit for bit, on n random rows, one at a time
 * too. */
static void check_equal(const plumb_model *gb, const plumb_model *c, int64_t n) {
    assert_int_equal(c->n_features, gb->n_features);
    float *x = random_values(gb, n);
    double *want = raw_scores(gb, x, n), *got = raw_scores(c, x, n), one[64];
    for (int64_t i = 0; i < n * gb->n_outputs; i++)
        if (memcmp(&want[i], &got[i], sizeof *got) != 0)
            fail_msg("row %lld output %lld: compiled %.17g, interpreted %.17g", (long long)(i / gb->n_outputs),
                     (long long)(i % gb->n_outputs), got[i], want[i]);
    for (int64_t i = 0; i < 50 && gb->n_outputs <= 64; i++) {
        c->ops->score_block(c, x + i * c->n_features, 1, NULL, one);
        assert_memory_equal(one, want + i * gb->n_outputs, (size_t)gb->n_outputs * sizeof *one);
    }
    free(x);
    free(want);
    free(got);
}

/* The fixtures (categorical splits: if/else nests; a multiclass model with some numeric trees: flat arrays),
 * compiled in both shapes, score random values as the gbdt models do, and predict the fixture rows the same. */
static void fixtures_score_bit_for_bit(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            char model[512];
            snprintf(model, sizeof model, DIR "%s.plumb", fixtures[i]);
            const char *so = tmp_path("fixture.so");
            compile(model, so, shapes[s], NULL);
            plumb_model *gb = load(model), *c = load(so);
            assert_ptr_equal(c->ops, &plumb__compiled_ops);
            check_equal(gb, c, 3000);
            plumb_model_free(gb);
            plumb_model_free(c);
            unlink(so);
        }
}

/* A table of n rows with F numeric features (10% missing) and, when cats, a categorical one: a model with only
 * numeric splits takes the flat shape for every tree. */
static plumb_model *trained(int F, bool cats, int classes, int iterations) {
    plumb_test_text csv = {0};
    rng_state = 7;
    plumb_test_put(&csv, "y%s", cats ? ",c" : "");
    for (int f = 0; f < F; f++)
        plumb_test_put(&csv, ",x%d", f);
    plumb_test_put(&csv, "\n");
    for (int64_t i = 0; i < 3000; i++) {
        const double x0 = rnd(), x1 = rnd();
        const int c = (int)(rnd() * 9);
        const double z = x0 + 0.5 * x1 + (cats && c % 3 == 0 ? 0.4 : 0) + 0.3 * rnd();
        if (classes > 2)
            plumb_test_put(&csv, "k%d", (int)(z * classes / 1.8) % classes);
        else
            plumb_test_put(&csv, "%d", z > 0.9);
        if (cats)
            plumb_test_put(&csv, ",%s",
                           rnd() < 0.05 ? "" : (const char *[]){"a", "b", "c", "d", "e", "f", "g", "h", "i"}[c]);
        for (int f = 0; f < F; f++) {
            const double v = f == 0 ? x0 : f == 1 ? x1 : rnd();
            if (rnd() < 0.1)
                plumb_test_put(&csv, ",");
            else
                plumb_test_put(&csv, ",%.6f", v);
        }
        plumb_test_put(&csv, "\n");
    }
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    plumb_frame *fr = plumb_test_read(csv.s, &o);
    free(csv.s);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = iterations;
    p.num_leaves = 31;
    p.min_data_in_leaf = 5;
    p.min_data_per_group = 10;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(fr, NULL, &p, &m, &err), &err);
    plumb_frame_free(fr);
    return m;
}

/* Models trained here: numeric only with 5, 20 and 40 features (the three ways the vector walk reads a row's
 * values), binary and multiclass, and one with a categorical feature, in both shapes. */
static void trained_models_score_bit_for_bit(void **state) {
    (void)state;
    const struct {
        int F;
        bool cats;
        int classes;
    } cases[] = {{5, false, 2}, {20, false, 2}, {40, false, 2}, {20, false, 3}, {6, true, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        plumb_model *gb = trained(cases[i].F, cases[i].cats, cases[i].classes, 40);
        char model[4200];
        snprintf(model, sizeof model, "%s", tmp_path("trained.plumb"));
        plumb_error err;
        plumb_test_ok(plumb_model_save(gb, model, &err), &err);
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            const char *so = tmp_path("trained.so"), *c_src = tmp_path("trained.c");
            compile(model, so, shapes[s], c_src);
            size_t n;
            char *src = slurp(c_src, &n);
            if (!cases[i].cats) /* every tree is flat: no if/else nest */
                assert_null(strstr(src, "static double t0("));
            free(src);
            plumb_model *c = load(so);
            check_equal(gb, c, 5000);
            assert_true(plumb_model_profile_present(gb) && plumb_model_profile_present(c)); /* for plumb monitor */
            plumb_model_free(c);
        }
        plumb_model_free(gb);
    }
}

/* The hooks compiled code does not do come from the embedded model: importance, contributions, the validation
 * curve, link, describe; saving writes the gbdt model file it was compiled from, byte for byte. */
static void delegated_hooks_answer_as_the_model(void **state) {
    (void)state;
    const char *model = DIR "gbdt_binary.plumb", *so = tmp_path("hooks.so"), *saved = tmp_path("hooks.plumb");
    compile(model, so, NULL, NULL);
    plumb_model *gb = load(model), *c = load(so);
    plumb_model_info a, b;
    plumb_model_describe(gb, &a);
    plumb_model_describe(c, &b);
    assert_string_equal(b.kind, "compiled");
    assert_int_equal(a.n_trees, b.n_trees);
    assert_int_equal(a.n_features, b.n_features);
    assert_string_equal(a.objective, b.objective);
    assert_string_equal(plumb_model_positive_class(c), plumb_model_positive_class(gb));
    plumb_importance *ia = calloc((size_t)a.n_features, sizeof *ia), *ib = calloc((size_t)a.n_features, sizeof *ib);
    plumb_error err;
    plumb_test_ok(plumb_model_importance(gb, ia, &err), &err);
    plumb_test_ok(plumb_model_importance(c, ib, &err), &err);
    assert_memory_equal(ia, ib, (size_t)a.n_features * sizeof *ia);
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(gb);
    o.schema_subset = 1;
    plumb_frame *fr = NULL;
    plumb_test_ok(plumb_frame_read_csv(DIR "credit300.csv", &o, &fr, &err), &err);
    const size_t nc = (size_t)(plumb_frame_n_rows(fr) * (a.n_features + 1));
    double *ca = malloc(nc * sizeof *ca), *cb = malloc(nc * sizeof *cb);
    plumb_test_ok(plumb_model_contrib(gb, fr, NULL, ca, &err), &err);
    plumb_test_ok(plumb_model_contrib(c, fr, NULL, cb, &err), &err);
    assert_memory_equal(ca, cb, nc * sizeof *ca);
    const double *va, *vb;
    assert_int_equal(plumb_model_valid_curve(gb, &va), plumb_model_valid_curve(c, &vb));
    plumb_test_ok(plumb_model_save(c, saved, &err), &err);
    size_t n1, n2;
    char *f1 = slurp(model, &n1), *f2 = slurp(saved, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(f1, f2, n1);
    /* pairing: the .so is the model's, and not another's */
    plumb_test_ok(plumb_compiled_check(so, model, &err), &err);
    assert_int_equal(plumb_compiled_check(so, DIR "gbdt_poisson.plumb", &err), PLUMB_EFORMAT);
    assert_non_null(strstr(err.message, "compiled for another model"));
    assert_string_equal(err.path, so);
    assert_int_equal(plumb_compiled_check(model, model, &err), PLUMB_EFORMAT);
    assert_non_null(strstr(err.message, "not a compiled model"));
    free(f1);
    free(f2);
    free(ca);
    free(cb);
    free(ia);
    free(ib);
    plumb_frame_free(fr);
    plumb_model_free(gb);
    plumb_model_free(c);
}

static void expect_error(const char *path, plumb_status want, const char *message) {
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_model_load(path, &m, &err), want);
    assert_null(m);
    if (!strstr(err.message, message))
        fail_msg("%s: message '%s' lacks '%s'", path, err.message, message);
    assert_string_equal(err.path, path);
}

/* Runs the C compiler on src into so (a shared object without plumb's trailer). */
static void cc(const char *src, const char *so) {
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cc -shared -fPIC -o '%s' '%s'", so, src);
    assert_int_equal(system(cmd), 0);
}

/* A .so that is truncated, not plumb's, of an unknown ABI version, or whose code and embedded model differ is
 * refused naming the file and what is wrong; so is a JSON file that names the kind. */
static void bad_shared_objects_are_refused(void **state) {
    (void)state;
    const char *a = DIR "gbdt_binary.plumb", *b = DIR "gbdt_poisson.plumb";
    const char *so_a = tmp_path("a.so"), *so_b = tmp_path("b.so"), *c_a = tmp_path("a.c");
    compile(a, so_a, NULL, c_a);
    compile(b, so_b, NULL, NULL);
    size_t na, nb, nma, nmb, nc;
    char *da = slurp(so_a, &na), *db = slurp(so_b, &nb), *ma = slurp(a, &nma), *mb = slurp(b, &nmb);
    const size_t elf_a = na - nma - PLUMB__COMPILED_TRAILER, elf_b = nb - nmb - PLUMB__COMPILED_TRAILER;
    const char *bad = tmp_path("bad.so");
    /* truncated: at every cut the error says so */
    const size_t cuts[] = {na - 1, na - PLUMB__COMPILED_TRAILER, elf_a + nma / 2, elf_a, elf_a / 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spill(bad, da, cuts[i]);
        expect_error(bad, PLUMB_EFORMAT, "truncated compiled model");
    }
    spill(bad, da, 64);
    expect_error(bad, PLUMB_EFORMAT, "or truncated");
    /* not ours: a shared object without the trailer */
    const char *other_c = tmp_path("other.c");
    spill(other_c, "int f(void) { return 1; }\n", 26);
    cc(other_c, bad);
    expect_error(bad, PLUMB_EFORMAT, "not a compiled plumb model");
    /* ours in form but no entry symbol: another .so with a's model and trailer appended */
    char *o = slurp(bad, &nc);
    o = realloc(o, nc + nma + PLUMB__COMPILED_TRAILER);
    memcpy(o + nc, da + elf_a, nma + PLUMB__COMPILED_TRAILER);
    spill(bad, o, nc + nma + PLUMB__COMPILED_TRAILER);
    expect_error(bad, PLUMB_EFORMAT, "no symbol 'plumb_compiled_model'");
    free(o);
    /* an unknown ABI version: the generated C with version 99, a's model appended */
    char *src = slurp(c_a, &nc);
    char *v = strstr(src, ".abi_version = 1,");
    assert_non_null(v);
    memcpy(v, ".abi_version = 9", 16); /* ".abi_version = 9," */
    const char *c99 = tmp_path("v99.c");
    spill(c99, src, nc);
    cc(c99, bad);
    o = slurp(bad, &nc);
    o = realloc(o, nc + nma + PLUMB__COMPILED_TRAILER);
    memcpy(o + nc, da + elf_a, nma + PLUMB__COMPILED_TRAILER);
    spill(bad, o, nc + nma + PLUMB__COMPILED_TRAILER);
    expect_error(bad, PLUMB_EFORMAT, "ABI version 9: this plumb reads version 1");
    free(o);
    free(src);
    /* the code of a with the model of b: checksum mismatch */
    o = malloc(elf_a + nmb + PLUMB__COMPILED_TRAILER + na);
    memcpy(o, da, elf_a);
    memcpy(o + elf_a, db + elf_b, nmb + PLUMB__COMPILED_TRAILER);
    spill(bad, o, elf_a + nmb + PLUMB__COMPILED_TRAILER);
    expect_error(bad, PLUMB_EFORMAT, "checksum mismatch");
    /* one bit of the embedded model: its own checksum */
    memcpy(o, da, na);
    o[elf_a + nma / 2] ^= 1;
    spill(bad, o, na);
    expect_error(bad, PLUMB_EFORMAT, "checksum mismatch");
    free(o);
    /* a model file naming the kind */
    const char *body = "{\"format\":\"plumb-model\",\"format_version\":1,\"model\":\"compiled\",\"task\":\"binary\"}";
    plumb_model *m = NULL;
    plumb_error err;
    char file[512];
    const int len = snprintf(file, sizeof file,
                             "plumb-model 1 %zu 0000000000000000000000000000000000000000000000000"
                             "000000000000000\n%s\n",
                             strlen(body), body);
    assert_int_equal(plumb_model_load_buffer(file, (size_t)len, "k.plumb", &m, &err), PLUMB_EFORMAT);
    free(da);
    free(db);
    free(ma);
    free(mb);
}

/* A missing or failing compiler, a model that is no gbdt, or a .so given as the model: an error, and nothing at
 * the output path. */
static void compile_errors_leave_no_output(void **state) {
    (void)state;
    const char *so = tmp_path("none.so");
    plumb_compile_options o;
    plumb_compile_options_init(&o);
    plumb_error err;
    struct stat st;
    o.cc = "/nonexistent/cc";
    assert_int_equal(plumb_model_compile(DIR "gbdt_binary.plumb", so, &o, NULL, &err), PLUMB_EINVAL);
    assert_non_null(strstr(err.message, "cannot run the C compiler '/nonexistent/cc'"));
    assert_int_equal(stat(so, &st), -1);
    o.cc = "false";
    assert_int_equal(plumb_model_compile(DIR "gbdt_binary.plumb", so, &o, NULL, &err), PLUMB_EINVAL);
    assert_non_null(strstr(err.message, "the C compiler 'false' failed (exit status 1)"));
    assert_int_equal(stat(so, &st), -1);
    o.cc = NULL;
    o.cflags = "-O2 --no-such-flag";
    assert_int_equal(plumb_model_compile(DIR "gbdt_binary.plumb", so, &o, NULL, &err), PLUMB_EINVAL);
    assert_non_null(strstr(err.message, "no-such-flag"));
    assert_int_equal(stat(so, &st), -1);
    assert_int_equal(plumb_model_compile(DIR "linear.plumb", so, NULL, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "a linear model cannot be compiled: only gbdt models can");
    assert_int_equal(plumb_model_compile(DIR "gbdt_q.plumb", so, NULL, NULL, &err), PLUMB_EINVAL);
    assert_int_equal(stat(so, &st), -1);
    const char *good = tmp_path("good.so");
    compile(DIR "gbdt_binary.plumb", good, NULL, NULL);
    assert_int_equal(plumb_model_compile(good, so, NULL, NULL, &err), PLUMB_EINVAL);
    assert_non_null(strstr(err.message, "is a compiled model already"));
    assert_int_equal(plumb_model_compile(DIR "missing.plumb", so, NULL, NULL, &err), PLUMB_EIO);
    assert_int_equal(stat(so, &st), -1);
}

PLUMB_TEST_MAIN(cmocka_unit_test(fixtures_score_bit_for_bit), cmocka_unit_test(trained_models_score_bit_for_bit),
                cmocka_unit_test(delegated_hooks_answer_as_the_model), cmocka_unit_test(bad_shared_objects_are_refused),
                cmocka_unit_test(compile_errors_leave_no_output))
