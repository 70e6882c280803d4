/* test_reference.c -- the reference profile every trained model carries (src/model/reference.c): built for every
 * trainable kind, consistent with the training data, the same after a save and load, absent (and harmless) in
 * files written before it existed, and a damaged one refused. */
#include "test.h"

#include <math.h>

#define DIR PLUMB_TEST_DATA "/models/"

static plumb_frame *credit(void) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.target = "Status";
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_test_ok(plumb_frame_read_csv(DIR "credit300.csv", &o, &f, &err), &err);
    return f;
}

typedef enum { GBDT, LOGISTIC, TREE } kind;

static plumb_model *train(kind k, const plumb_frame *f) {
    plumb_model *m = NULL;
    plumb_error err;
    if (k == GBDT) {
        plumb_gbdt_params p;
        plumb_gbdt_params_init(&p);
        p.num_iterations = 20;
        plumb_test_ok(plumb_gbdt_train(f, NULL, &p, &m, &err), &err);
    } else if (k == LOGISTIC) {
        plumb_linear_params p;
        plumb_linear_params_init(&p);
        p.task = PLUMB_TASK_BINARY;
        plumb_test_ok(plumb_linear_train(f, &p, &m, &err), &err);
    } else {
        plumb_tree_params p;
        plumb_tree_params_init(&p);
        plumb_test_ok(plumb_tree_train(f, &p, &m, &err), &err);
    }
    return m;
}

/* Every feature's counts and missing values add up to the training rows; numeric bins match a recount of the
 * column with the stored cuts; categorical counts match the frame's. */
static void check_profile(const plumb_model *m, const plumb_frame *f) {
    assert_true(plumb_model_profile_present(m));
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const int64_t n = plumb_frame_n_rows(f);
    for (int64_t j = 0; j < info.n_features; j++) {
        plumb_profile_column c;
        plumb_error err;
        plumb_test_ok(plumb_model_profile_column(m, j, &c, &err), &err);
        assert_int_equal(c.n_rows, n);
        const int64_t col = plumb_frame_find(f, plumb_model_feature_name(m, j));
        int64_t sum = c.n_missing;
        if (c.categorical) {
            for (int32_t k = 0; k < c.n_categories; k++)
                sum += c.counts[k];
            continue;
        }
        const float *v = plumb_frame_f32(f, col);
        assert_non_null(v);
        int64_t *recount = calloc((size_t)c.n_bins, sizeof *recount), missing = 0;
        for (int64_t i = 0; i < n; i++) {
            if (isnan(v[i])) {
                missing++;
                continue;
            }
            int32_t b = 0;
            while (b < c.n_bins - 1 && c.cuts[b] <= v[i])
                b++;
            recount[b]++;
            assert_true(v[i] >= c.min && v[i] <= c.max);
        }
        assert_int_equal(missing, c.n_missing);
        for (int32_t b = 0; b < c.n_bins; b++) {
            assert_int_equal(recount[b], c.counts[b]);
            sum += c.counts[b];
        }
        for (int q = 1; q < 7; q++)
            assert_true(c.quantiles[q] >= c.quantiles[q - 1]);
        free(recount);
        assert_int_equal(sum, n);
    }
    plumb_profile_column s;
    plumb_error err;
    plumb_test_ok(plumb_model_profile_column(m, -1, &s, &err), &err);
    assert_false(s.categorical);
    assert_true(s.min >= 0 && s.max <= 1); /* binary: probabilities */
    assert_int_equal(plumb_model_profile_column(m, info.n_features, &s, &err), PLUMB_EINVAL);
}

static void every_kind_has_a_profile_that_survives_save_and_load(void **state) {
    (void)state;
    plumb_frame *f = credit();
    for (kind k = GBDT; k <= TREE; k++) {
        plumb_model *m = train(k, f);
        check_profile(m, f);
        void *buf;
        size_t size;
        plumb_error err;
        plumb_test_ok(plumb_model_save_buffer(m, &buf, &size, &err), &err);
        plumb_model *back = NULL;
        plumb_test_ok(plumb_model_load_buffer(buf, size, "m.plumb", &back, &err), &err);
        char *a = plumb_model_profile_json(m), *b = plumb_model_profile_json(back);
        assert_non_null(a);
        assert_string_equal(a, b);
        assert_non_null(strstr(a, "\"expected_auc\""));
        assert_true(strlen(a) < 16 * 1024); /* small beside the model */
        check_profile(back, f);
        free(a);
        free(b);
        free(buf);
        plumb_model_free(back);
        plumb_model_free(m);
    }
    plumb_frame_free(f);
}

static void old_files_without_a_profile_still_load(void **state) {
    (void)state;
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(DIR "gbdt_binary.plumb", &m, &err), &err);
    assert_false(plumb_model_profile_present(m));
    assert_null(plumb_model_profile_json(m));
    plumb_profile_column c;
    assert_int_equal(plumb_model_profile_column(m, 0, &c, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "the model has no reference profile: retrain it with this plumb");
    plumb_model_free(m);
}

/* The model file with its body edited (same length) and its header's checksum recomputed. */
#include <nettle/sha2.h>
static void rewrite_checksum(char *buf, size_t size) {
    char *body = strchr(buf, '\n') + 1;
    const size_t n = size - (size_t)(body - buf) - 1;
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, n, (const uint8_t *)body);
    sha256_digest(&ctx, sizeof d, d);
    char *hex = body - 1 - 64;
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        char two[3];
        snprintf(two, sizeof two, "%02x", d[i]);
        memcpy(hex + 2 * i, two, 2);
    }
}

static void a_damaged_profile_is_refused(void **state) {
    (void)state;
    plumb_frame *f = credit();
    plumb_model *m = train(GBDT, f);
    void *buf;
    size_t size;
    plumb_error err;
    plumb_test_ok(plumb_model_save_buffer(m, &buf, &size, &err), &err);
    char *at = strstr(buf, "\"reference\":{\"rows\":300,\"features\":[{\"type\":\"numeric\",\"rows\":300");
    assert_non_null(at);
    memcpy(strstr(at, "\"features\"") + strlen("\"features\":[{\"type\":\"numeric\",\"rows\":30"), "1", 1);
    rewrite_checksum(buf, size);
    plumb_model *back = NULL;
    assert_int_equal(plumb_model_load_buffer(buf, size, "m.plumb", &back, &err), PLUMB_EFORMAT);
    assert_null(back);
    char msg[PLUMB_ERROR_MAX];
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), "m.plumb: corrupted model file: reference");
    free(buf);
    plumb_model_free(m);
    plumb_frame_free(f);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_has_a_profile_that_survives_save_and_load),
        cmocka_unit_test(old_files_without_a_profile_still_load),
        cmocka_unit_test(a_damaged_profile_is_refused),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
