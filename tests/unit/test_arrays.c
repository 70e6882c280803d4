/* test_arrays.c -- frames from arrays (plumb_frame_from_arrays) and models in memory (plumb_model_save_buffer).
 *
 * The frame built from arrays must be the frame the CSV reader builds from the same values: same types, same
 * dictionaries, same column data, and a model trained on it predicts the same to the last bit.
 */
#include "test.h"

#include <math.h>

static const char CSV[] = "x,h,b,d,y\n"
                          "1.5,rent,true,2021-01-02,0\n"
                          ",owner,false,2021-01-03,1\n"
                          "-2,,true,,0\n"
                          "4,rent,,2021-01-05,1\n";

/* The same table as arrays, in awkward layouts: x float64 with a mask, h codes in unsorted order, d in ns. */
static plumb_frame *csv_as_arrays(bool borrow) {
    static const double x[] = {1.5, 99, -2, 4};
    static const uint8_t x_missing[] = {0, 1, 0, 0};
    static const int8_t h[] = {0, 1, -1, 0};
    static const char *const h_cats[] = {"rent", "owner"};
    static const uint8_t b[] = {1, 0, 1, PLUMB_BOOL_MISSING};
    static const int64_t d[] = {1609545600000000000, 1609632000000000000, INT64_MIN, 1609804800000000000};
    static const double y[] = {0, 1, 0, 1};
    const plumb_array_column cols[] = {
        {.name = "x", .dtype = PLUMB_ARRAY_F64, .data = x, .missing = x_missing},
        {.name = "h", .dtype = PLUMB_ARRAY_I8, .data = h, .categories = h_cats, .n_categories = 2},
        {.name = "b", .dtype = PLUMB_ARRAY_BOOL, .data = b},
        {.name = "d",
         .type = PLUMB_TYPE_DATETIME,
         .dtype = PLUMB_ARRAY_I64,
         .data = d,
         .datetime_per_second = 1000000000},
        {.name = "y", .role = PLUMB_ROLE_TARGET, .dtype = PLUMB_ARRAY_F64, .data = y},
    };
    plumb_array_options o;
    plumb_array_options_init(&o);
    o.borrow = borrow;
    plumb_frame *f = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_from_arrays(cols, 5, 4, &o, &f, &err), PLUMB_OK);
    return f;
}

static void same_frame_as_the_csv_reader(void **state) {
    (void)state;
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.target = "y";
    plumb_frame *csv = NULL;
    assert_int_equal(plumb_frame_read_buffer(CSV, sizeof CSV - 1, &ro, &csv, NULL), PLUMB_OK);
    for (int borrow = 0; borrow < 2; borrow++) {
        plumb_frame *arr = csv_as_arrays(borrow);
        assert_int_equal(plumb_frame_n_rows(arr), 4);
        assert_int_equal(plumb_frame_n_columns(arr), 5);
        for (int64_t j = 0; j < 5; j++) {
            plumb_column_info a, c;
            plumb_schema_column(plumb_frame_schema(arr), j, &a);
            plumb_schema_column(plumb_frame_schema(csv), j, &c);
            assert_string_equal(a.name, c.name);
            assert_int_equal(a.type, c.type);
            assert_int_equal(a.role, c.role);
            assert_int_equal(a.n_categories, c.n_categories);
            for (int64_t k = 0; k < a.n_categories; k++)
                assert_string_equal(a.categories[k], c.categories[k]);
        }
        for (int64_t i = 0; i < 4; i++) {
            const float ax = plumb_frame_f32(arr, 0)[i], cx = plumb_frame_f32(csv, 0)[i];
            assert_true(ax == cx || (isnan(ax) && isnan(cx)));
            assert_int_equal(plumb_frame_codes(arr, 1)[i], plumb_frame_codes(csv, 1)[i]);
            assert_int_equal(plumb_frame_u8(arr, 2)[i], plumb_frame_u8(csv, 2)[i]);
            assert_int_equal(plumb_frame_i64(arr, 3)[i], plumb_frame_i64(csv, 3)[i]);
            assert_true(plumb_frame_f64(arr, 4)[i] == plumb_frame_f64(csv, 4)[i]);
        }
        plumb_frame_free(arr);
    }
    plumb_frame_free(csv);
}

static void contiguous_columns_are_borrowed_others_copied(void **state) {
    (void)state;
    float x[3] = {1, 2, NAN};
    double y[3] = {0, 1, 0};
    double m[6] = {1, 10, 2, 20, 3, 30}; /* row-major 3 x 2: column 1 has stride 2 */
    const plumb_array_column cols[] = {
        {.name = "x", .dtype = PLUMB_ARRAY_F32, .data = x},
        {.name = "y", .role = PLUMB_ROLE_TARGET, .dtype = PLUMB_ARRAY_F64, .data = y},
        {.name = "m1", .dtype = PLUMB_ARRAY_F64, .data = m + 1, .stride = 2},
    };
    plumb_array_options o;
    plumb_array_options_init(&o);
    o.borrow = true;
    plumb_frame *f = NULL;
    assert_int_equal(plumb_frame_from_arrays(cols, 3, 3, &o, &f, NULL), PLUMB_OK);
    assert_ptr_equal(plumb_frame_f32(f, 0), x);
    assert_ptr_equal(plumb_frame_f64(f, 1), y);
    assert_true(plumb_frame_f32(f, 2)[0] == 10 && plumb_frame_f32(f, 2)[2] == 30);
    plumb_frame_free(f); /* must not free x or y: the sanitizers would catch it */
    o.borrow = false;
    assert_int_equal(plumb_frame_from_arrays(cols, 3, 3, &o, &f, NULL), PLUMB_OK);
    assert_ptr_not_equal(plumb_frame_f32(f, 0), x);
    plumb_frame_free(f);
}

/* Large converted columns share one mapping in huge pages (plumb__map_large): each column's values land in their
 * own aligned place, a borrowed column stays the caller's, and the frame frees the mapping once (the sanitizers
 * catch a column freed on its own). */
static void large_copies_share_one_block(void **state) {
    (void)state;
    enum { N = 700000 }; /* two float32 copies of 2.8 MB: over PLUMB__LARGE_MIN together */
    double *a = malloc(N * sizeof *a);
    int64_t *c = malloc(N * sizeof *c);
    float *borrowed = malloc(N * sizeof *borrowed);
    uint8_t *b = malloc(N);
    assert_non_null(a && c && borrowed && b);
    for (int64_t i = 0; i < N; i++) {
        a[i] = (double)i + 0.25;
        c[i] = -i;
        borrowed[i] = (float)i;
        b[i] = (uint8_t)(i % 3 == 0 ? PLUMB_BOOL_MISSING : i % 2);
    }
    const plumb_array_column cols[] = {
        {.name = "a", .dtype = PLUMB_ARRAY_F64, .data = a},
        {.name = "b", .dtype = PLUMB_ARRAY_U8, .type = PLUMB_TYPE_BOOL, .data = b, .stride = 1},
        {.name = "f", .dtype = PLUMB_ARRAY_F32, .data = borrowed},
        {.name = "c", .dtype = PLUMB_ARRAY_I64, .data = c},
    };
    plumb_array_options o;
    plumb_array_options_init(&o);
    o.borrow = true;
    plumb_frame *f = NULL;
    assert_int_equal(plumb_frame_from_arrays(cols, 4, N, &o, &f, NULL), PLUMB_OK);
    const float *fa = plumb_frame_f32(f, 0), *fc = plumb_frame_f32(f, 3);
    assert_ptr_equal(plumb_frame_f32(f, 2), borrowed);
    assert_true((uintptr_t)fa % 64 == 0 && (uintptr_t)fc % 64 == 0 && fa != fc);
    for (int64_t i = 0; i < N; i++) {
        assert_true(fa[i] == (float)a[i]);
        assert_true(fc[i] == (float)c[i]);
    }
    assert_int_equal(plumb_frame_u8(f, 1)[N - 1], (N - 1) % 3 == 0 ? PLUMB_BOOL_MISSING : (N - 1) % 2);
    plumb_frame_free(f);
    free(a);
    free(c);
    free(borrowed);
    free(b);
}

static void strings_make_a_sorted_dictionary(void **state) {
    (void)state;
    const char *s[] = {"b", NULL, "a", "b", "c"};
    const plumb_array_column col = {.name = "s", .dtype = PLUMB_ARRAY_STRING, .data = s};
    plumb_frame *f = NULL;
    assert_int_equal(plumb_frame_from_arrays(&col, 1, 5, NULL, &f, NULL), PLUMB_OK);
    plumb_column_info info;
    plumb_schema_column(plumb_frame_schema(f), 0, &info);
    assert_int_equal(info.type, PLUMB_TYPE_CATEGORICAL);
    assert_int_equal(info.n_categories, 3);
    assert_string_equal(info.categories[0], "a");
    const int32_t want[] = {1, PLUMB_CODE_MISSING, 0, 1, 2};
    assert_memory_equal(plumb_frame_codes(f, 0), want, sizeof want);
    plumb_frame_free(f);
    plumb_array_options o;
    plumb_array_options_init(&o);
    o.max_categories = 2;
    assert_int_equal(plumb_frame_from_arrays(&col, 1, 5, &o, &f, NULL), PLUMB_OK);
    plumb_schema_column(plumb_frame_schema(f), 0, &info);
    assert_int_equal(info.type, PLUMB_TYPE_STRING);
    plumb_frame_free(f);
}

static void bad_columns_fail_with_their_name(void **state) {
    (void)state;
    const int32_t codes[] = {0, 7};
    const char *const cats[] = {"a", "b", "c"};
    const char *const dup[] = {"a", "a"};
    const double v[] = {0, 2};
    const char *strs[] = {"x", "y"};
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_array_column c = {
        .name = "h", .dtype = PLUMB_ARRAY_I32, .data = codes, .categories = cats, .n_categories = 3};
    assert_int_equal(plumb_frame_from_arrays(&c, 1, 2, NULL, &f, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "column 'h': code 7 in row 1 is outside its 3 categories");
    assert_null(f);
    c.categories = dup;
    c.n_categories = 2;
    assert_int_equal(plumb_frame_from_arrays(&c, 1, 2, NULL, &f, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "column 'h': category 'a' appears twice");
    const plumb_array_column b = {.name = "b", .type = PLUMB_TYPE_BOOL, .dtype = PLUMB_ARRAY_F64, .data = v};
    assert_int_equal(plumb_frame_from_arrays(&b, 1, 2, NULL, &f, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "column 'b': 2 in row 1 is not a bool (0, 1 or missing)");
    const plumb_array_column s = {.name = "s", .type = PLUMB_TYPE_NUMERIC, .dtype = PLUMB_ARRAY_STRING, .data = strs};
    assert_int_equal(plumb_frame_from_arrays(&s, 1, 2, NULL, &f, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "column 's': strings cannot be a numeric column");
    const plumb_array_column two[] = {{.name = "v", .dtype = PLUMB_ARRAY_F64, .data = v},
                                      {.name = "v", .dtype = PLUMB_ARRAY_F64, .data = v}};
    assert_int_equal(plumb_frame_from_arrays(two, 2, 2, NULL, &f, &err), PLUMB_ESCHEMA);
    assert_string_equal(err.message, "duplicate column name 'v'");
}

static void model_trained_on_arrays_predicts_as_from_csv(void **state) {
    (void)state;
    enum { N = 400 };
    static float x1[N], x2[N];
    static double y[N];
    static int32_t g[N];
    static const char *const gcats[] = {"a", "b", "c"};
    plumb_test_text csv = {0};
    plumb_test_put(&csv, "x1,x2,g,y\n");
    rng_state = 7;
    for (int i = 0; i < N; i++) {
        x1[i] = (float)(int)(rnd() * 100) / 10;
        x2[i] = i % 17 == 0 ? NAN : (float)(int)(rnd() * 50);
        g[i] = (int32_t)(rnd() * 3);
        y[i] = x1[i] + (isnan(x2[i]) ? 0 : x2[i]) / 10 + g[i] > 7 ? 1 : 0;
        if (isnan(x2[i]))
            plumb_test_put(&csv, "%.9g,,%s,%g\n", x1[i], gcats[g[i]], y[i]);
        else
            plumb_test_put(&csv, "%.9g,%.9g,%s,%g\n", x1[i], x2[i], gcats[g[i]], y[i]);
    }
    const plumb_array_column cols[] = {
        {.name = "x1", .dtype = PLUMB_ARRAY_F32, .data = x1},
        {.name = "x2", .dtype = PLUMB_ARRAY_F32, .data = x2},
        {.name = "g", .dtype = PLUMB_ARRAY_I32, .data = g, .categories = gcats, .n_categories = 3},
        {.name = "y", .role = PLUMB_ROLE_TARGET, .dtype = PLUMB_ARRAY_F64, .data = y},
    };
    plumb_array_options o;
    plumb_array_options_init(&o);
    o.borrow = true;
    plumb_frame *fa = NULL, *fc = NULL;
    assert_int_equal(plumb_frame_from_arrays(cols, 4, N, &o, &fa, NULL), PLUMB_OK);
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.target = "y";
    assert_int_equal(plumb_frame_read_buffer(csv.s, csv.len, &ro, &fc, NULL), PLUMB_OK);
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.num_iterations = 20;
    p.min_data_in_leaf = 5;
    plumb_model *ma = NULL, *mc = NULL, *mb = NULL;
    assert_int_equal(plumb_gbdt_train(fa, NULL, &p, &ma, NULL), PLUMB_OK);
    assert_int_equal(plumb_gbdt_train(fc, NULL, &p, &mc, NULL), PLUMB_OK);
    static double pa[N], pc[N], pb[N];
    assert_int_equal(plumb_model_predict(ma, fc, NULL, pa, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(mc, fa, NULL, pc, NULL), PLUMB_OK);
    assert_memory_equal(pa, pc, sizeof pa);
    /* the model through memory: the same bytes a file holds, read back to the same predictions */
    void *bytes = NULL;
    size_t size = 0;
    assert_int_equal(plumb_model_save_buffer(ma, &bytes, &size, NULL), PLUMB_OK);
    assert_true(size > 100 && memcmp(bytes, "plumb-model", 11) == 0);
    assert_int_equal(plumb_model_load_buffer(bytes, size, "mem", &mb, NULL), PLUMB_OK);
    assert_int_equal(plumb_model_predict(mb, fa, NULL, pb, NULL), PLUMB_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    char path[] = "/tmp/plumb_arrays_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(plumb_model_save(ma, path, NULL), PLUMB_OK);
    FILE *fp = fopen(path, "rb");
    char *disk = malloc(size + 1);
    assert_int_equal(fread(disk, 1, size + 1, fp), size);
    fclose(fp);
    unlink(path);
    assert_memory_equal(disk, bytes, size);
    free(disk);
    free(bytes);
    plumb_model_free(ma);
    plumb_model_free(mb);
    plumb_model_free(mc);
    plumb_frame_free(fa);
    plumb_frame_free(fc);
    free(csv.s);
}

PLUMB_TEST_MAIN(cmocka_unit_test(same_frame_as_the_csv_reader),
                cmocka_unit_test(contiguous_columns_are_borrowed_others_copied),
                cmocka_unit_test(large_copies_share_one_block), cmocka_unit_test(strings_make_a_sorted_dictionary),
                cmocka_unit_test(bad_columns_fail_with_their_name),
                cmocka_unit_test(model_trained_on_arrays_predicts_as_from_csv))
