/* test_quant.c -- quantised trees (src/quant/): exact decisions, scores within the reported bound, the file.
 *
 * The models: the gbdt fixtures of tests/data/models (binary, calibrated, multiclass, poisson; with categorical
 * splits and missing values), and two trained here that take the other layouts -- a feature with 1000 bins (2-byte
 * codes, 8-byte nodes) and 130 features (1-byte codes, 8-byte nodes).
 */
#include "test.h"

#include "quant/quant.h"

#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>

#define DIR PLUMB_TEST_DATA "/models/"

static const char *const fixtures[] = {"gbdt_binary", "gbdt_calibrated", "gbdt_multiclass", "gbdt_poisson"};
#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

static plumb_model *load(const char *path) {
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
}

static plumb_model *load_fixture(const char *name) {
    char path[512];
    snprintf(path, sizeof path, DIR "%s.plumb", name);
    return load(path);
}

static plumb_frame *read_with(const plumb_model *m, const char *path) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(m);
    o.schema_subset = 1;
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(path, &o, &f, &err), &err);
    return f;
}

/* A binary table of n rows: x0..x(F-1) uniform with 10% missing, c one of 12 categories (5% missing), and y
 * depending on x0, x1 and c; x0 takes `distinct` values (more than 256: a feature with more bins than a byte). */
static plumb_frame *table(int64_t n, int F, int distinct, plumb_test_text *csv) {
    rng_state = 1234;
    plumb_test_put(csv, "y,c");
    for (int f = 0; f < F; f++)
        plumb_test_put(csv, ",x%d", f);
    plumb_test_put(csv, "\n");
    for (int64_t i = 0; i < n; i++) {
        const double x0 = floor(rnd() * distinct) / distinct, x1 = rnd();
        const int c = (int)(rnd() * 12);
        const bool y = x0 + 0.5 * x1 + (c % 3 == 0 ? 0.4 : 0) + 0.3 * rnd() > 0.9;
        plumb_test_put(csv, "%d,%s", y,
                       rnd() < 0.05 ? ""
                                    : (const char *[]){"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}[c]);
        for (int f = 0; f < F; f++) {
            const double v = f == 0 ? x0 : f == 1 ? x1 : rnd();
            if (rnd() < 0.1)
                plumb_test_put(csv, ",");
            else
                plumb_test_put(csv, ",%.6f", v);
        }
        plumb_test_put(csv, "\n");
    }
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "y";
    return plumb_test_read(csv->s, &o);
}

/* A gbdt model trained on table(n, F, distinct) with max_bin bins, and its training frame (*frame). */
static plumb_model *trained(int F, int distinct, int max_bin, plumb_frame **frame) {
    plumb_test_text csv = {0};
    *frame = table(2000, F, distinct, &csv);
    free(csv.s);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 20;
    p.num_leaves = 15;
    p.max_bin = max_bin;
    p.min_data_per_group = 10;
    p.min_data_in_leaf = 5;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_gbdt_train(*frame, NULL, &p, &m, &err), &err);
    return m;
}

static plumb_model *quantize(const plumb_model *m, int bits, plumb_quantize_info *info) {
    plumb_quantize_options o;
    plumb_quantize_options_init(&o);
    o.leaf_bits = bits;
    plumb_model *q = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_quantize(m, &o, &q, info, &err), &err);
    return q;
}

static double *predict(const plumb_model *m, const plumb_frame *f, bool raw) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    double *out = malloc((size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *out);
    plumb_predict_options po = {.raw = raw};
    plumb_error err;
    plumb_test_ok(plumb_model_predict(m, f, &po, out, &err), &err);
    return out;
}

/* Every row reaches, in every tree of the quantised model, the slot of the leaf it reaches in the gbdt model: the
 * thresholds' quantisation changes no decision. The gbdt leaf is found by its own tree walk on bins. */
static void check_decisions(const plumb_model *m, const plumb_model *q, const plumb_frame *f) {
    const plumb__gbdt *g = plumb__gbdt_of(m);
    const int64_t n = plumb_frame_n_rows(f), F = m->n_features, T = g->n_trees;
    plumb__source *src = NULL;
    plumb_error err;
    plumb_test_ok(plumb__model_bind(m, f, &src, &err), &err);
    float *x = malloc((size_t)(n * F) * sizeof *x);
    int32_t *slot = malloc((size_t)(n * T) * sizeof *slot), *queue = malloc(2 * 131072 * sizeof *queue);
    uint16_t *bins = malloc((size_t)F * sizeof *bins);
    plumb__gather(src, F, 0, n, x);
    assert_true(plumb__quant_reach(q, x, n, slot));
    int64_t leaves_differ = 0;
    for (int64_t k = 0; k < T; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        const int32_t ns = plumb__quant_bfs(t, queue);
        assert_int_equal(ns, 2 * t->n_leaves - 1);
        for (int64_t i = 0; i < n; i++) {
            for (int64_t j = 0; j < F; j++)
                bins[j] = plumb__bin_of(&g->features[j], x[i * F + j]);
            const int32_t leaf = plumb__gbdt_tree_leaf_binned16(t, bins);
            const int32_t s = slot[i * T + k];
            if (s < 0 || s >= ns || queue[s] != ~leaf)
                fail_msg("tree %lld row %lld: leaf %d in the gbdt model, slot %d in the quantised one", (long long)k,
                         (long long)i, leaf, s);
            leaves_differ += i > 0 && slot[i * T + k] != slot[k];
        }
    }
    assert_true(leaves_differ > 0); /* rows do go different ways */
    free(x);
    free(slot);
    free(queue);
    free(bins);
    plumb__sources_free(src, F);
}

/* Raw scores differ from the gbdt model's by at most the reported bound, and do differ (the leaves are rounded). */
static void check_bound(const plumb_model *m, const plumb_model *q, const plumb_frame *f, double bound) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    double *a = predict(m, f, true), *b = predict(q, f, true), mx = 0;
    for (int64_t i = 0; i < plumb_frame_n_rows(f) * info.n_outputs; i++)
        mx = fmax(mx, fabs(a[i] - b[i]));
    if (!(mx <= bound * (1 + 1e-9) + 1e-12))
        fail_msg("raw scores move by %.17g, beyond the bound %.17g", mx, bound);
    assert_true(mx > 0 && bound > 0);
    free(a);
    free(b);
}

/* One row at a time (the row walk) gives what the block walk gives, to the bit. */
static void check_row_path(const plumb_model *q, const plumb_frame *f) {
    double *all = predict(q, f, true);
    for (int64_t i = 0; i < 200; i++) {
        plumb_frame *one = NULL;
        plumb_error err;
        plumb_test_ok(plumb_frame_take(f, &i, 1, &one, &err), &err);
        double *got = predict(q, one, true);
        if (got[0] != all[i])
            fail_msg("row %lld: %.17g alone, %.17g in a block", (long long)i, got[0], all[i]);
        free(got);
        plumb_frame_free(one);
    }
    free(all);
}

static void thresholds_decide_exactly(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load_fixture(fixtures[i]), *q = quantize(m, 16, NULL);
        plumb_frame *f = read_with(m, DIR "credit300.csv");
        assert_true(plumb__quant_of(q)->has_cat); /* the credit models split on categories */
        check_decisions(m, q, f);
        plumb_frame_free(f);
        plumb_model_free(q);
        plumb_model_free(m);
    }
}

/* The other layouts: 2-byte codes (a feature with 1000 bins) and 8-byte nodes with 1-byte codes (130 features). */
static void wide_and_many_feature_layouts(void **state) {
    (void)state;
    const int F[] = {3, 130}, distinct[] = {5000, 50}, max_bin[] = {1000, 63};
    for (int v = 0; v < 2; v++) {
        plumb_frame *f = NULL;
        plumb_model *m = trained(F[v], distinct[v], max_bin[v], &f);
        plumb_quantize_info info;
        plumb_model *q = quantize(m, 16, &info);
        assert_int_equal(info.code_bytes, v == 0 ? 2 : 1);
        assert_int_equal(info.node_bytes, 8);
        check_decisions(m, q, f);
        check_bound(m, q, f, info.error_bound);
        check_row_path(q, f);
        plumb_model_free(q);
        plumb_model_free(m);
        plumb_frame_free(f);
    }
}

/* 16-bit leaves stay within their bound, 8-bit ones within theirs, which is wider; memory shrinks either way. */
static void scores_within_the_reported_bound(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIXTURES; i++) {
        plumb_model *m = load_fixture(fixtures[i]);
        plumb_frame *f = read_with(m, DIR "credit300.csv");
        plumb_quantize_info i16, i8;
        plumb_model *q16 = quantize(m, 16, &i16), *q8 = quantize(m, 8, &i8);
        assert_int_equal(i16.node_bytes, 4);
        assert_int_equal(i16.code_bytes, 1);
        check_bound(m, q16, f, i16.error_bound);
        check_bound(m, q8, f, i8.error_bound);
        assert_true(i8.error_bound > 100 * i16.error_bound);
        assert_true(i16.memory_after * 4 < i16.memory_before);
        assert_true(i8.memory_after < i16.memory_after);
        plumb_frame_free(f);
        plumb_model_free(q16);
        plumb_model_free(q8);
        plumb_model_free(m);
    }
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

/* Saved, loaded and saved again: the same bytes, the same predictions, for every layout and leaf width, with the
 * calibrator and the positive class kept. */
static void save_load_save_is_identical(void **state) {
    (void)state;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/plumb_quant_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    snprintf(b, sizeof b, "%s/plumb_quant_%d_2.plumb", plumb_test_tmp_dir(), (int)getpid());
    for (size_t i = 0; i < N_FIXTURES + 1; i++) {
        plumb_frame *f = NULL;
        plumb_model *m = i < N_FIXTURES ? load_fixture(fixtures[i]) : trained(3, 5000, 1000, &f);
        if (!f)
            f = read_with(m, DIR "credit300.csv");
        for (int bits = 8; bits <= 16; bits += 8) {
            plumb_model *q = quantize(m, bits, NULL);
            plumb_error err;
            plumb_test_ok(plumb_model_save(q, a, &err), &err);
            plumb_model *l = load(a);
            plumb_test_ok(plumb_model_save(l, b, &err), &err);
            size_t na, nb;
            char *ta = slurp(a, &na), *tb = slurp(b, &nb);
            assert_int_equal(na, nb);
            assert_memory_equal(ta, tb, na);
            plumb_model_info info;
            plumb_model_describe(m, &info);
            double *p = predict(q, f, false), *r = predict(l, f, false);
            assert_memory_equal(p, r, (size_t)(plumb_frame_n_rows(f) * info.n_outputs) * sizeof *p);
            assert_int_equal(l->calibrator != NULL, m->calibrator != NULL); /* gbdt_calibrated keeps its map */
            assert_int_equal(plumb_model_profile_present(l), plumb_model_profile_present(m)); /* and its profile */
            if (info.task == PLUMB_TASK_BINARY && plumb_model_positive_class(m))
                assert_string_equal(plumb_model_positive_class(l), plumb_model_positive_class(m));
            plumb_model_info qi;
            plumb_model_describe(l, &qi);
            assert_string_equal(qi.kind, "gbdt_q");
            assert_int_equal(qi.n_trees, info.n_trees);
            assert_string_equal(qi.objective, info.objective);
            free(ta);
            free(tb);
            free(p);
            free(r);
            plumb_model_free(l);
            plumb_model_free(q);
        }
        plumb_frame_free(f);
        plumb_model_free(m);
    }
    unlink(a);
    unlink(b);
}

/* Loads body (JSON text) behind a correct header, expecting the error want. */
static void expect_body_error(const char *body, const char *want) {
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(body), (const uint8_t *)body);
    sha256_digest(&ctx, sizeof d, d);
    char *file = malloc(strlen(body) + 128);
    int k = sprintf(file, "plumb-model 1 %zu ", strlen(body));
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        k += sprintf(file + k, "%02x", d[i]);
    k += sprintf(file + k, "\n%s", body);
    plumb_model *m = NULL;
    plumb_error err;
    assert_int_equal(plumb_model_load_buffer(file, (size_t)k, "q.plumb", &m, &err), PLUMB_EFORMAT);
    assert_null(m);
    char msg[PLUMB_ERROR_MAX];
    plumb_error_format(&err, msg, sizeof msg);
    if (strcmp(msg, want) != 0)
        fail_msg("message '%s', expected '%s'", msg, want);
    free(file);
}

/* The fixture's body with key set to value (a JSON text), as compact text. */
static char *body_with(const char *key, const char *value) {
    size_t n;
    char *text = slurp(DIR "gbdt_q.plumb", &n);
    json_t *root = json_loads(strchr(text, '\n') + 1, 0, NULL);
    assert_non_null(root);
    json_object_set_new(root, key, json_loads(value, JSON_DECODE_ANY, NULL));
    char *body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    free(text);
    return body;
}

/* The fixture's nodes (base64) with byte at changed to v. */
static char *nodes_with(size_t at, uint8_t v) {
    plumb_model *q = load_fixture("gbdt_q");
    const plumb__quant *p = plumb__quant_of(q);
    const size_t n = (size_t)p->tree_start[p->n_trees] * (size_t)p->node_bytes;
    uint8_t *bytes = malloc(n);
    memcpy(bytes, p->nodes, n); /* the file's order on a little-endian host */
    bytes[at] = v;
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(4 * (n + 2) / 3 + 8), *o = s;
    *o++ = '"';
    for (size_t i = 0; i < n; i += 3) {
        const uint32_t w =
            (uint32_t)bytes[i] << 16 | (i + 1 < n ? (uint32_t)bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
        *o++ = B64[w >> 18];
        *o++ = B64[w >> 12 & 63];
        *o++ = i + 1 < n ? B64[w >> 6 & 63] : '=';
        *o++ = i + 2 < n ? B64[w & 63] : '=';
    }
    *o++ = '"';
    *o = '\0';
    free(bytes);
    plumb_model_free(q);
    return s;
}

/* Bodies that pass the checksum but are not a model scoring could trust are refused, naming what is wrong. */
static void inconsistent_bodies_are_refused(void **state) {
    (void)state;
    const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"nodes", "\"AAAA\"", "q.plumb: corrupted model file: nodes"},
        {"values", "\"!!!!\"", "q.plumb: corrupted model file: values"},
        {"node_bytes", "6", "q.plumb: corrupted model file: layout"},
        {"leaf_bits", "4", "q.plumb: corrupted model file: layout"},
        {"tree_words", "[1]", "q.plumb: corrupted model file: tree_words"},
        {"scale", "[1]", "q.plumb: corrupted model file: scale"},
        {"objective", "{\"name\":\"nope\"}", "q.plumb: corrupted model file: objective"},
        {"features", "[]", "q.plumb: corrupted model file: features"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *body = body_with(cases[i].key, cases[i].value);
        expect_body_error(body, cases[i].want);
        free(body);
    }
    /* a node of the first tree changed (4-byte nodes: child_m low byte, high byte, feature, thr): the second
     * node's child pointing back, the root's feature past the last, the root's bin past its feature's bins */
    const struct {
        size_t at;
        uint8_t v;
    } nodes[] = {{4, 0}, {2, 0x7F}, {3, 0xFF}};
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        char *value = nodes_with(nodes[i].at, nodes[i].v), *body = body_with("nodes", value);
        expect_body_error(body, "q.plumb: corrupted model file: a tree is not well formed");
        free(body);
        free(value);
    }
}

/* Only gradient-boosted models are quantised, to 8 or 16 bits. */
static void other_kinds_and_widths_are_refused(void **state) {
    (void)state;
    const char *const other[] = {"linear", "tree_binary", "gbdt_q"};
    const char *const kind[] = {"linear", "tree", "gbdt_q"};
    for (int i = 0; i < 3; i++) {
        plumb_model *m = load_fixture(other[i]), *q = (plumb_model *)1;
        plumb_error err;
        assert_int_equal(plumb_model_quantize(m, NULL, &q, NULL, &err), PLUMB_EINVAL);
        assert_null(q);
        char want[128];
        snprintf(want, sizeof want, "a %s model cannot be quantised: only gbdt models can", kind[i]);
        assert_string_equal(err.message, want);
        plumb_model_free(m);
    }
    plumb_model *m = load_fixture("gbdt_binary"), *q = NULL;
    plumb_quantize_options o;
    plumb_quantize_options_init(&o);
    o.leaf_bits = 12;
    plumb_error err;
    assert_int_equal(plumb_model_quantize(m, &o, &q, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "leaf values are quantised to 8 or 16 bits, not 12");
    assert_int_equal(plumb_model_quantize(NULL, NULL, &q, NULL, &err), PLUMB_EINVAL);
    /* a quantised model has no contributions: the capability's own message */
    q = quantize(m, 16, NULL);
    plumb_frame *f = read_with(m, DIR "credit300.csv");
    double out[64];
    assert_int_equal(plumb_model_contrib(q, f, NULL, out, &err), PLUMB_EINVAL);
    assert_string_equal(err.message,
                        "a gbdt_q model has no TreeSHAP contributions: only gbdt and compiled models have them");
    plumb_frame_free(f);
    plumb_model_free(q);
    plumb_model_free(m);
}

PLUMB_TEST_MAIN(cmocka_unit_test(thresholds_decide_exactly), cmocka_unit_test(wide_and_many_feature_layouts),
                cmocka_unit_test(scores_within_the_reported_bound), cmocka_unit_test(save_load_save_is_identical),
                cmocka_unit_test(inconsistent_bodies_are_refused), cmocka_unit_test(other_kinds_and_widths_are_refused))
