/* test_csv.c -- the CSV reader through the public API: RFC 4180 parsing, missing values, type inference, the
 * re-parse of columns whose sample misled, determinism across thread counts, schema overrides, every error message
 * with its line and column, and column profiles.
 *
 * Small inputs are string literals read with plumb_frame_read_buffer. The multi-chunk cases build buffers of more
 * than 8 MiB, because the reader cuts 4 MiB chunks (and at least 4 per thread above 1 MiB): that is what puts
 * chunk cuts inside quoted line breaks, values outside the type sample, per-chunk dictionaries and errors in
 * several chunks. Every value in those buffers comes from a generator here and is checked against it.
 * tiny_chunks_agree also shrinks the chunk size (an internal knob) to push the small inputs through every cut.
 */
#include "test.h"

#include <plumb/plumb.h>

#include "data/data.h" /* plumb__csv_chunk_bytes */

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#define BIG_BYTES ((size_t)8 << 20) /* every multi-chunk buffer is larger than this */

/* ---------------------------------------------------------------------------------------------------------- */
/* Helpers                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static plumb_read_options named(const char *display_name) {
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.display_name = display_name;
    return o;
}

/* Reads n bytes of text; a failed read fails the test with the formatted error. */
static plumb_frame *read_n(const char *text, size_t n, const plumb_read_options *o) {
    plumb_frame *f = NULL;
    plumb_error err;
    plumb_status st = plumb_frame_read_buffer(text, n, o, &f, &err);
    if (st != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fail_msg("read failed (%s): %s", plumb_status_name(st), plumb_error_format(&err, msg, sizeof msg));
    }
    assert_non_null(f);
    return f;
}

static plumb_frame *read_text(const char *text, const plumb_read_options *o) {
    return read_n(text, strlen(text), o);
}

/* Reads n bytes of text expecting status code and exactly the formatted error want; *out must be set to NULL. */
static void expect_error_n(const char *text, size_t n, const plumb_read_options *o, plumb_status code,
                           const char *want) {
    static char sentinel;
    plumb_frame *f = (plumb_frame *)(void *)&sentinel;
    plumb_error err;
    plumb_status st = plumb_frame_read_buffer(text, n, o, &f, &err);
    if (st == PLUMB_OK) {
        plumb_frame_free(f);
        fail_msg("read succeeded, expected: %s", want);
    }
    char msg[PLUMB_ERROR_MAX];
    plumb_error_format(&err, msg, sizeof msg);
    if (st != code)
        fail_msg("status %s (%s), expected %s", plumb_status_name(st), msg, plumb_status_name(code));
    assert_int_equal(err.code, code);
    assert_null(f);
    assert_string_equal(msg, want);
}

static void expect_error(const char *text, const plumb_read_options *o, plumb_status code, const char *want) {
    expect_error_n(text, strlen(text), o, code, want);
}

static int64_t col_of(const plumb_frame *f, const char *name) {
    int64_t j = plumb_frame_find(f, name);
    if (j < 0)
        fail_msg("no column '%s'", name);
    return j;
}

static plumb_column_info info_of(const plumb_frame *f, const char *name) {
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(f), col_of(f, name), &c);
    return c;
}

/* The column's type and role, and that its data is stored in exactly the one array its type and role call for. */
static void expect_column(const plumb_frame *f, const char *name, plumb_type type, plumb_role role) {
    plumb_column_info c = info_of(f, name);
    if (c.type != type || c.role != role)
        fail_msg("column '%s' is %s/%s, expected %s/%s", name, plumb_type_name(c.type), plumb_role_name(c.role),
                 plumb_type_name(type), plumb_role_name(role));
    const int64_t j = col_of(f, name);
    const bool wide = role == PLUMB_ROLE_TARGET || role == PLUMB_ROLE_WEIGHT || role == PLUMB_ROLE_TIME;
    const bool num = type == PLUMB_TYPE_NUMERIC, text = type == PLUMB_TYPE_CATEGORICAL || type == PLUMB_TYPE_STRING;
    assert_int_equal(plumb_frame_f32(f, j) != NULL, num && !wide);
    assert_int_equal(plumb_frame_f64(f, j) != NULL, num && wide);
    assert_int_equal(plumb_frame_codes(f, j) != NULL, text);
    assert_int_equal(plumb_frame_i64(f, j) != NULL, type == PLUMB_TYPE_DATETIME);
    assert_int_equal(plumb_frame_u8(f, j) != NULL, type == PLUMB_TYPE_BOOL);
}

/* Exact comparisons of a whole column with the expected values (NaN where missing). */
static void expect_f32(const plumb_frame *f, const char *name, const double *want, size_t n) {
    assert_int_equal(plumb_frame_n_rows(f), n);
    const float *v = plumb_frame_f32(f, col_of(f, name));
    if (!v)
        fail_msg("column '%s' has no float32 data", name);
    for (size_t i = 0; i < n; i++)
        if (isnan(want[i]) ? !isnan(v[i]) : v[i] != (float)want[i])
            fail_msg("%s[%zu] = %.9g, expected %.9g", name, i, (double)v[i], (double)(float)want[i]);
}

static void expect_f64(const plumb_frame *f, const char *name, const double *want, size_t n) {
    assert_int_equal(plumb_frame_n_rows(f), n);
    const double *v = plumb_frame_f64(f, col_of(f, name));
    if (!v)
        fail_msg("column '%s' has no float64 data", name);
    for (size_t i = 0; i < n; i++)
        if (isnan(want[i]) ? !isnan(v[i]) : v[i] != want[i])
            fail_msg("%s[%zu] = %.17g, expected %.17g", name, i, v[i], want[i]);
}

static void expect_codes(const plumb_frame *f, const char *name, const int32_t *want, size_t n) {
    assert_int_equal(plumb_frame_n_rows(f), n);
    const int32_t *v = plumb_frame_codes(f, col_of(f, name));
    if (!v)
        fail_msg("column '%s' has no codes", name);
    for (size_t i = 0; i < n; i++)
        if (v[i] != want[i])
            fail_msg("%s[%zu] = %d, expected %d", name, i, (int)v[i], (int)want[i]);
}

static void expect_i64(const plumb_frame *f, const char *name, const int64_t *want, size_t n) {
    assert_int_equal(plumb_frame_n_rows(f), n);
    const int64_t *v = plumb_frame_i64(f, col_of(f, name));
    if (!v)
        fail_msg("column '%s' has no int64 data", name);
    for (size_t i = 0; i < n; i++)
        if (v[i] != want[i])
            fail_msg("%s[%zu] = %lld, expected %lld", name, i, (long long)v[i], (long long)want[i]);
}

static void expect_u8(const plumb_frame *f, const char *name, const uint8_t *want, size_t n) {
    assert_int_equal(plumb_frame_n_rows(f), n);
    const uint8_t *v = plumb_frame_u8(f, col_of(f, name));
    if (!v)
        fail_msg("column '%s' has no uint8 data", name);
    for (size_t i = 0; i < n; i++)
        if (v[i] != want[i])
            fail_msg("%s[%zu] = %d, expected %d", name, i, v[i], want[i]);
}

/* The column's dictionary, in code order. */
static void expect_categories(const plumb_frame *f, const char *name, const char *const *want, size_t n) {
    plumb_column_info c = info_of(f, name);
    if (c.n_categories != (int64_t)n)
        fail_msg("column '%s' has %lld categories, expected %zu", name, (long long)c.n_categories, n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(c.categories[k], want[k]) != 0)
            fail_msg("%s category %zu is '%s', expected '%s'", name, k, c.categories[k], want[k]);
}

#define COUNT(type, ...) (sizeof((type[]){__VA_ARGS__}) / sizeof(type))
#define EXPECT_F32(f, name, ...) expect_f32(f, name, (const double[]){__VA_ARGS__}, COUNT(double, __VA_ARGS__))
#define EXPECT_F64(f, name, ...) expect_f64(f, name, (const double[]){__VA_ARGS__}, COUNT(double, __VA_ARGS__))
#define EXPECT_CODES(f, name, ...) expect_codes(f, name, (const int32_t[]){__VA_ARGS__}, COUNT(int32_t, __VA_ARGS__))
#define EXPECT_I64(f, name, ...) expect_i64(f, name, (const int64_t[]){__VA_ARGS__}, COUNT(int64_t, __VA_ARGS__))
#define EXPECT_U8(f, name, ...) expect_u8(f, name, (const uint8_t[]){__VA_ARGS__}, COUNT(uint8_t, __VA_ARGS__))
#define EXPECT_CATEGORIES(f, name, ...)                                                                                \
    expect_categories(f, name, (const char *const[]){__VA_ARGS__}, COUNT(const char *, __VA_ARGS__))

/* Two frames hold the same columns, types, roles, dictionaries and data, bit for bit. */
static void expect_same_frames(const plumb_frame *a, const plumb_frame *b) {
    const int64_t rows = plumb_frame_n_rows(a), cols = plumb_frame_n_columns(a);
    assert_int_equal(plumb_frame_n_rows(b), rows);
    assert_int_equal(plumb_frame_n_columns(b), cols);
    for (int64_t j = 0; j < cols; j++) {
        plumb_column_info x, y;
        plumb_schema_column(plumb_frame_schema(a), j, &x);
        plumb_schema_column(plumb_frame_schema(b), j, &y);
        assert_string_equal(x.name, y.name);
        assert_int_equal(x.type, y.type);
        assert_int_equal(x.role, y.role);
        assert_int_equal(x.n_categories, y.n_categories);
        for (int64_t k = 0; k < x.n_categories; k++)
            assert_string_equal(x.categories[k], y.categories[k]);
        const size_t n = (size_t)rows;
        const void *pa[] = {plumb_frame_f32(a, j), plumb_frame_f64(a, j), plumb_frame_codes(a, j),
                            plumb_frame_i64(a, j), plumb_frame_u8(a, j)};
        const void *pb[] = {plumb_frame_f32(b, j), plumb_frame_f64(b, j), plumb_frame_codes(b, j),
                            plumb_frame_i64(b, j), plumb_frame_u8(b, j)};
        const size_t width[] = {4, 8, 4, 8, 1};
        for (int k = 0; k < 5; k++) {
            assert_int_equal(pa[k] != NULL, pb[k] != NULL);
            if (pa[k] && memcmp(pa[k], pb[k], n * width[k]) != 0)
                fail_msg("column '%s' differs", x.name);
        }
    }
}

/* A growing text buffer for the generated inputs. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void text_init(text *t, size_t cap) {
    t->p = malloc(cap);
    assert_non_null(t->p);
    t->n = 0;
    t->cap = cap;
}

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if ((size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->cap = 2 * t->cap + (size_t)k;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* RFC 4180                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

static void quoted_fields_and_doubled_quotes(void **state) {
    (void)state;
    plumb_frame *f = read_text("name,quote\n"
                               "\"Smith, J\",\"she said \"\"hi\"\"\"\n"
                               "plain,\"\"\n"
                               "\"\",x\n"
                               "\"\"\"\",\"a\"\"\"\"b\"\n",
                               NULL);
    assert_int_equal(plumb_frame_n_columns(f), 2);
    expect_column(f, "name", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "name", "\"", "Smith, J", "plain");
    EXPECT_CODES(f, "name", 1, 2, -1, 0);
    EXPECT_CATEGORIES(f, "quote", "a\"\"b", "she said \"hi\"", "x");
    EXPECT_CODES(f, "quote", 1, -1, 2, 0);
    plumb_frame_free(f);
}

static void quoted_numbers_and_spaces(void **state) {
    (void)state;
    /* spaces and tabs around numbers are ignored, quoted or not; every numeric form of docs/csv.md */
    plumb_frame *f = read_text("a,b\n"
                               "\"1.5\", 2 \n"
                               "\" 3\",\t-1.5e3\n"
                               ".5,+7\n"
                               "inf,\"-Infinity\"\n",
                               NULL);
    expect_column(f, "a", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    expect_column(f, "b", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    EXPECT_F32(f, "a", 1.5, 3, 0.5, INFINITY);
    EXPECT_F32(f, "b", 2, -1500, 7, -INFINITY);
    plumb_frame_free(f);
}

static void newlines_inside_quotes(void **state) {
    (void)state;
    plumb_frame *f = read_text("id,text\n"
                               "1,\"line one\nline two\"\n"
                               "2,\"a\r\nb\"\n"
                               "3,\"\n\"\n"
                               "4,plain\n",
                               NULL);
    EXPECT_F32(f, "id", 1, 2, 3, 4);
    EXPECT_CATEGORIES(f, "text", "\n", "a\r\nb", "line one\nline two", "plain");
    EXPECT_CODES(f, "text", 2, 1, 0, 3);
    plumb_frame_free(f);
}

static void crlf_line_endings(void **state) {
    (void)state;
    plumb_frame *f = read_text("a,b,c\r\n"
                               "1,x,\"q\"\r\n"
                               "\r\n"
                               "2,y,\"r\r\ns\"\r\n"
                               "3,,z\r\n",
                               NULL);
    assert_int_equal(plumb_frame_find(f, "c"), 2); /* the header's CR is not part of the last name */
    EXPECT_F32(f, "a", 1, 2, 3);
    EXPECT_CATEGORIES(f, "b", "x", "y");
    EXPECT_CODES(f, "b", 0, 1, -1);
    EXPECT_CATEGORIES(f, "c", "q", "r\r\ns", "z");
    EXPECT_CODES(f, "c", 0, 1, 2);
    plumb_frame_free(f);
}

static void utf8_bom_is_skipped(void **state) {
    (void)state;
    plumb_frame *f = read_text("\xEF\xBB\xBFname,n\n\xC3\xA4,1\nb,2\n", NULL);
    assert_int_equal(plumb_frame_find(f, "name"), 0);
    EXPECT_CATEGORIES(f, "name", "b", "\xC3\xA4");
    EXPECT_CODES(f, "name", 1, 0);
    EXPECT_F32(f, "n", 1, 2);
    plumb_frame_free(f);
    /* a BOM-only buffer is empty */
    plumb_read_options o = named("bom.csv");
    expect_error("\xEF\xBB\xBF", &o, PLUMB_EPARSE, "bom.csv:1:1: empty file");
}

static void semicolon_delimiter(void **state) {
    (void)state;
    plumb_read_options o = named("semi.csv");
    o.delimiter = ';';
    plumb_frame *f = read_text("a;b;c\n1,5;\"x;y\";3\n2,5;z;4\n", &o);
    assert_int_equal(plumb_frame_n_columns(f), 3);
    expect_column(f, "a", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE); /* "1,5" is not a number */
    EXPECT_CATEGORIES(f, "a", "1,5", "2,5");
    EXPECT_CATEGORIES(f, "b", "x;y", "z");
    EXPECT_F32(f, "c", 3, 4);
    plumb_frame_free(f);
    expect_error("a;b\n1;2;3\n", &o, PLUMB_EPARSE, "semi.csv:2:5: expected 2 fields, found 3");
}

static void tab_delimiter(void **state) {
    (void)state;
    plumb_read_options o = named("tab.tsv");
    o.delimiter = '\t';
    plumb_frame *f = read_text("a\tb\tc\n1\thello, world\t 2\n2\t\"q\tq\"\t3 \n", &o);
    EXPECT_F32(f, "a", 1, 2);
    EXPECT_CATEGORIES(f, "b", "hello, world", "q\tq");
    EXPECT_F32(f, "c", 2, 3);
    plumb_frame_free(f);
}

static void bad_delimiter_is_rejected(void **state) {
    (void)state;
    const char bad[] = {'"', '\n', '\r', '\0', (char)0xC3};
    for (size_t i = 0; i < sizeof bad; i++) {
        plumb_read_options o = named("x.csv");
        o.delimiter = bad[i];
        expect_error("a,b\n1,2\n", &o, PLUMB_EINVAL,
                     "bad delimiter: expected one ASCII character other than a quote or line break");
    }
    plumb_read_options o = named("x.csv");
    o.max_categories = 0;
    expect_error("a,b\n1,2\n", &o, PLUMB_EINVAL, "max_categories must be at least 1");
}

static void blank_lines_skipped(void **state) {
    (void)state;
    plumb_frame *f = read_text("\n\r\na,b\n\n1,2\n\r\n\n3,4\n\n", NULL);
    EXPECT_F32(f, "a", 1, 3);
    EXPECT_F32(f, "b", 2, 4);
    plumb_frame_free(f);
    /* blank lines still count for the line numbers of errors */
    plumb_read_options o = named("b.csv");
    expect_error("\na,b\n\n1,2,3\n", &o, PLUMB_EPARSE, "b.csv:4:5: expected 2 fields, found 3");
}

static void last_line_without_newline(void **state) {
    (void)state;
    plumb_frame *f = read_text("a,b\n1,x\n3,y", NULL);
    EXPECT_F32(f, "a", 1, 3);
    EXPECT_CATEGORIES(f, "b", "x", "y");
    EXPECT_CODES(f, "b", 0, 1);
    plumb_frame_free(f);
    f = read_text("a,b\n1,\"x\"", NULL);
    EXPECT_F32(f, "a", 1);
    EXPECT_CODES(f, "b", 0);
    plumb_frame_free(f);
    f = read_text("a,b\r\n1,2\r", NULL);
    EXPECT_F32(f, "b", 2);
    plumb_frame_free(f);
    /* an empty last field */
    f = read_text("a,b\n1,", NULL);
    EXPECT_F32(f, "b", NAN);
    plumb_frame_free(f);
}

/* The buffer need not be NUL-terminated: the reader stops at size. */
static void buffer_is_bounded_by_size(void **state) {
    (void)state;
    const char data[] = "a,b\n1,2\n3,4\nGARBAGE\"";
    plumb_frame *f = read_n(data, strlen("a,b\n1,2\n3,4\n"), NULL);
    EXPECT_F32(f, "a", 1, 3);
    plumb_frame_free(f);
    f = read_n(data, strlen("a,b\n1,2\n3,4"), NULL);
    EXPECT_F32(f, "b", 2, 4);
    plumb_frame_free(f);
}

static void read_csv_from_file(void **state) {
    (void)state;
    char *path = plumb_test_temp_file("a,b\n1,x\n2,y\n");
    plumb_frame *f = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_read_csv(path, NULL, &f, &err), PLUMB_OK);
    EXPECT_F32(f, "a", 1, 2);
    EXPECT_CODES(f, "b", 0, 1);
    plumb_frame_free(f);
    unlink(path);
    free(path);

    /* errors name the file by its path, or by display_name */
    path = plumb_test_temp_file("a,b\n1,2,3\n");
    char want[PLUMB_ERROR_MAX], msg[PLUMB_ERROR_MAX];
    snprintf(want, sizeof want, "%s:2:5: expected 2 fields, found 3", path);
    assert_int_equal(plumb_frame_read_csv(path, NULL, &f, &err), PLUMB_EPARSE);
    assert_null(f);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    plumb_read_options o = named("shown.csv");
    assert_int_equal(plumb_frame_read_csv(path, &o, &f, &err), PLUMB_EPARSE);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), "shown.csv:2:5: expected 2 fields, found 3");
    unlink(path);
    free(path);

    /* an empty file is not mapped (mmap of 0 bytes fails) but still reads as empty */
    path = plumb_test_temp_file("");
    snprintf(want, sizeof want, "%s:1:1: empty file", path);
    assert_int_equal(plumb_frame_read_csv(path, NULL, &f, &err), PLUMB_EPARSE);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    unlink(path);
    free(path);

    assert_int_equal(plumb_frame_read_csv("/nonexistent/nope.csv", NULL, &f, &err), PLUMB_EIO);
    assert_null(f);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg),
                        "cannot open '/nonexistent/nope.csv': No such file or directory");
}

/* The hook of the reader's read loop: truncates or extends the file (by path, as another process would) after
 * the first block. */
static off_t change_to = -1;
static const char *change_path;
static void change_file(int fd, size_t n_read) {
    (void)fd;
    (void)n_read;
    if (change_to >= 0 && change_path) {
        assert_int_equal(truncate(change_path, change_to), 0);
        change_to = -1;
    }
}

/* A file truncated (or extended) by another process while it is read: an error naming the file, never SIGBUS
 * (the reader used to map the file, and a mapped page past the new end kills the process) nor a partial frame. */
static void read_csv_file_changed_while_read(void **state) {
    (void)state;
    size_t n = 200000;
    char *body = malloc(n + 1);
    assert_non_null(body);
    memcpy(body, "a,b\n", 4);
    for (size_t i = 4; i < n; i += 4)
        memcpy(body + i, "1,2\n", 4);
    body[n] = '\0';
    char want[PLUMB_ERROR_MAX], msg[PLUMB_ERROR_MAX];
    plumb_frame *f = NULL;
    plumb_error err;
    const off_t sizes[] = {1000, 0, 300000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *path = plumb_test_temp_file(body);
        change_path = path;
        change_to = sizes[k];
        plumb__csv_read_block = 4096;
        plumb__csv_read_hook = change_file;
        plumb_status st = plumb_frame_read_csv(path, NULL, &f, &err);
        plumb__csv_read_hook = NULL;
        plumb__csv_read_block = (size_t)16 << 20;
        assert_int_equal(st, PLUMB_EIO);
        assert_null(f);
        snprintf(want, sizeof want, "'%s' changed while it was read (%zu bytes when opened, %s)", path, n,
                 sizes[k] < (off_t)n ? "it ended early" : "it grew or shrank");
        assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
        unlink(path);
        free(path);
    }
    /* unchanged, the same file reads whole in small blocks */
    char *path = plumb_test_temp_file(body);
    plumb__csv_read_block = 4096;
    assert_int_equal(plumb_frame_read_csv(path, NULL, &f, &err), PLUMB_OK);
    plumb__csv_read_block = (size_t)16 << 20;
    assert_int_equal(plumb_frame_n_rows(f), n / 4 - 1);
    plumb_frame_free(f);
    unlink(path);
    free(path);
    free(body);
}

static void read_csv_data_files(void **state) {
    (void)state;
    /* the checked-in CRLF file (tests/data/.gitattributes keeps its line endings) */
    plumb_frame *f = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_read_csv(PLUMB_TEST_DATA "/crlf.csv", NULL, &f, &err), PLUMB_OK);
    EXPECT_F32(f, "n", 1, 2, 3);
    EXPECT_CATEGORIES(f, "word", "a,b", "c\r\nd", "e");
    EXPECT_CODES(f, "word", 0, 1, 2);
    plumb_frame_free(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Missing values                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */

static void default_missing_tokens(void **state) {
    (void)state;
    plumb_frame *f = read_text("num,cat,day,flag\n"
                               "1,a,2024-01-02,true\n"
                               ",b,,\n"
                               "NA,NA,NA,NA\n"
                               "NaN,NaN,NaN,NaN\n"
                               "null,null,null,null\n"
                               "?,?,?,?\n"
                               " NA ,\"\", ? ,\tnull\n"
                               "2,,2024-01-03,false\n",
                               NULL);
    expect_column(f, "num", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    EXPECT_F32(f, "num", 1, NAN, NAN, NAN, NAN, NAN, NAN, 2);
    expect_column(f, "cat", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "cat", "a", "b");
    EXPECT_CODES(f, "cat", 0, 1, -1, -1, -1, -1, -1, -1);
    const int64_t M = PLUMB_DATETIME_MISSING;
    EXPECT_I64(f, "day", 1704153600, M, M, M, M, M, M, 1704153600 + 86400);
    EXPECT_U8(f, "flag", 1, 255, 255, 255, 255, 255, 255, 0);
    plumb_frame_free(f);
}

/* pandas' default missing-value spellings are missing by default: one lowercase "nan" written by numpy used to
 * turn a numeric column into text, which training then dropped without a word. */
static void pandas_missing_tokens(void **state) {
    (void)state;
    static const char *const pandas[] = {"#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                                         "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL", "NaN",
                                         "None",   "n/a",      "nan",  "null",    ""};
    const size_t n = sizeof pandas / sizeof *pandas;
    char buf[1024] = "num,cat,day\n";
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used, "%s,%s,%s\n", pandas[i], pandas[i], pandas[i]);
    }
    strcat(buf, "1.5,a,2024-01-02\n");
    plumb_frame *f = read_text(buf, NULL);
    expect_column(f, "num", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    expect_column(f, "cat", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    expect_column(f, "day", PLUMB_TYPE_DATETIME, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "cat", "a");
    const float *num = plumb_frame_f32(f, col_of(f, "num"));
    for (size_t i = 0; i < n; i++)
        if (!isnan(num[i]))
            fail_msg("'%s' is not missing", pandas[i]);
    assert_true(num[n] == 1.5f);
    assert_null(info_of(f, "num").note);
    plumb_frame_free(f);
    /* near misses stay values: the lookup compares whole tokens */
    f = read_text("cat\nnan\nnana\nNULLS\n#N/A N\n", &(plumb_read_options){.delimiter = ',', .max_categories = 9});
    EXPECT_CATEGORIES(f, "cat", "#N/A N", "NULLS", "nana");
    EXPECT_CODES(f, "cat", -1, 2, 1, 0);
    plumb_frame_free(f);
}

/* A mostly numeric (or datetime) column that falls back to text carries a note naming the first value that is not
 * a number, where it is, and how many distinct values are numbers; other text columns carry none. */
static void fallback_to_text_is_noted(void **state) {
    (void)state;
    plumb_read_options o = named("n.csv");
    /* beyond the type sample (the re-parse path) and inside it */
    size_t cap = 64 * 2100, used = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    used += (size_t)snprintf(buf + used, cap - used, "x,d,c,y\n");
    for (int i = 0; i < 2000; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%d.5,%s,%s,%d\n", i, i == 1500 ? "soon" : "2024-01-02",
                                 i % 2 ? "a" : "b", i == 1700 ? 7 : i % 2);
    used += (size_t)snprintf(buf + used, cap - used, "n.a.,2024-01-03,c,1\n\"n.a.\",2024-01-03,c,1\n");
    plumb_frame *f = read_n(buf, used, &o);
    expect_column(f, "x", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    assert_string_equal(info_of(f, "x").note,
                        "n.csv:2002:1: 'n.a.' is not a number (2000 of 2001 distinct values are)");
    assert_string_equal(info_of(f, "d").note, "n.csv:1502:8: 'soon' is not a datetime (2 of 3 distinct values are)");
    assert_null(info_of(f, "c").note);
    assert_null(info_of(f, "y").note);
    plumb_frame_free(f);
    /* a note survives plumb_frame_take (the schema is copied) */
    f = read_text("g,y\n1,0\n2,1\n3,0\nx y,1\n", &o);
    assert_string_equal(info_of(f, "g").note, "n.csv:5:1: 'x y' is not a number (3 of 4 distinct values are)");
    plumb_frame *g = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_take(f, (const int64_t[]){3, 0}, 2, &g, &err), PLUMB_OK);
    assert_string_equal(info_of(g, "g").note, "n.csv:5:1: 'x y' is not a number (3 of 4 distinct values are)");
    plumb_frame_free(g);
    plumb_frame_free(f);
    /* half numbers is not "mostly" */
    f = read_text("g\n1\nx\n", &o);
    assert_null(info_of(f, "g").note);
    plumb_frame_free(f);
    free(buf);
}

static void custom_missing_tokens(void **state) {
    (void)state;
    static const char *const tokens[] = {"-", "n/a", "-999", "0"};
    plumb_read_options o = named("m.csv");
    o.missing_tokens = tokens;
    o.n_missing_tokens = 4;
    /* "-999" and "0" look like numbers but are missing; "NA" is an ordinary value now */
    plumb_frame *f = read_text("num,cat,w\n"
                               "1,a,1\n"
                               "-,n/a,0\n"
                               "-999,NA,2\n"
                               "0,-,-999\n"
                               "2.5,\"n/a\",3\n",
                               &o);
    EXPECT_F32(f, "num", 1, NAN, NAN, NAN, 2.5);
    EXPECT_CATEGORIES(f, "cat", "NA", "a");
    EXPECT_CODES(f, "cat", 1, -1, 0, -1, -1);
    plumb_frame_free(f);
    /* the same through a float64 column (target) */
    o.target = "w";
    f = read_text("num,w\n1,1\n2,0\n3,-999\n4,2\n", &o);
    expect_column(f, "w", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TARGET);
    EXPECT_F64(f, "w", 1, NAN, NAN, 2);
    plumb_frame_free(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Type inference                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */

static void infer_each_type(void **state) {
    (void)state;
    plumb_frame *f = read_text("num,flag,day,color,mixed\n"
                               "1,true,2024-01-02,red,1\n"
                               "-2.5,False,2024-01-02T03:04:05Z,blue,true\n"
                               "1e3,TRUE,2024-01-02 03:04:05+01:00,red,2024-01-01\n"
                               ".5,false,,green,x\n"
                               ",,1970-01-01,,2\n",
                               NULL);
    expect_column(f, "num", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    EXPECT_F32(f, "num", 1, -2.5, 1000, 0.5, NAN);
    expect_column(f, "flag", PLUMB_TYPE_BOOL, PLUMB_ROLE_FEATURE);
    EXPECT_U8(f, "flag", 1, 0, 1, 0, PLUMB_BOOL_MISSING);
    expect_column(f, "day", PLUMB_TYPE_DATETIME, PLUMB_ROLE_FEATURE);
    EXPECT_I64(f, "day", 1704153600, 1704164645, 1704161045, PLUMB_DATETIME_MISSING, 0);
    expect_column(f, "color", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "color", "blue", "green", "red");
    EXPECT_CODES(f, "color", 2, 0, 2, 1, -1);
    /* no single type fits every value: text */
    expect_column(f, "mixed", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "mixed", "1", "2", "2024-01-01", "true", "x");
    EXPECT_CODES(f, "mixed", 0, 3, 2, 4, 1);
    plumb_frame_free(f);
}

static void dictionary_is_sorted_bytewise(void **state) {
    (void)state;
    plumb_frame *f = read_text("s\nB\na\nA\nb\n\xC3\xA9\nab\na\n\"a \"\n", NULL);
    EXPECT_CATEGORIES(f, "s", "A", "B", "a", "a ", "ab", "b", "\xC3\xA9");
    EXPECT_CODES(f, "s", 1, 2, 0, 5, 6, 4, 2, 3);
    plumb_frame_free(f);
}

static void all_missing_column_is_numeric(void **state) {
    (void)state;
    plumb_frame *f = read_text("a,b\n1,\n2,NA\n", NULL);
    expect_column(f, "b", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    EXPECT_F32(f, "b", NAN, NAN);
    plumb_frame_free(f);
}

static void string_when_over_max_categories(void **state) {
    (void)state;
    plumb_read_options o = named("s.csv");
    o.max_categories = 3;
    plumb_frame *f = read_text("s,t\nw,a\nx,b\ny,c\nz,a\nw,\n", &o);
    expect_column(f, "s", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE); /* 4 distinct > 3 */
    EXPECT_CATEGORIES(f, "s", "w", "x", "y", "z");
    EXPECT_CODES(f, "s", 0, 1, 2, 3, 0);
    expect_column(f, "t", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE); /* 3 distinct */
    EXPECT_CODES(f, "t", 0, 1, 2, 0, -1);
    plumb_frame_free(f);
}

static void string_when_mostly_unique(void **state) {
    (void)state;
    /* 60 rows: u has 26 distinct in 50 (string); v 25 in 50 (categorical: not over half); w 26 distinct in 50
     * present values after 10 missing (string); y like u but the target, which stays categorical */
    text t;
    text_init(&t, 4096);
    text_add(&t, "u,v,w,y\n");
    for (int i = 0; i < 60; i++) {
        if (i < 50)
            text_add(&t, "u%d,v%d,", i % 26, i % 25);
        else
            text_add(&t, ",,");
        if (i < 10)
            text_add(&t, ",");
        else
            text_add(&t, "w%d,", (i - 10) % 26);
        if (i < 50)
            text_add(&t, "y%d\n", i % 26);
        else
            text_add(&t, "\n");
    }
    plumb_read_options o = named("u.csv");
    o.target = "y";
    plumb_frame *f = read_n(t.p, t.n, &o);
    expect_column(f, "u", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    expect_column(f, "v", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    expect_column(f, "w", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    expect_column(f, "y", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_TARGET);
    assert_int_equal(info_of(f, "u").n_categories, 26);
    assert_int_equal(info_of(f, "v").n_categories, 25);
    plumb_frame_free(f);

    /* 49 values, all distinct: too few to call it an identifier */
    t.n = 0;
    text_add(&t, "u\n");
    for (int i = 0; i < 49; i++)
        text_add(&t, "id%d\n", i);
    f = read_n(t.p, t.n, NULL);
    expect_column(f, "u", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    plumb_frame_free(f);
    text_add(&t, "id49\n");
    f = read_n(t.p, t.n, NULL);
    expect_column(f, "u", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    plumb_frame_free(f);
    free(t.p);
}

static void role_decides_storage(void **state) {
    (void)state;
    plumb_read_options o = named("r.csv");
    o.id_col = "id";
    o.group_col = "grp";
    o.time_col = "t";
    o.weight_col = "w";
    o.target = "y";
    plumb_frame *f = read_text("id,grp,t,w,y,x\n"
                               "007,10,1.5,2,0.1,0.1\n"
                               "008,9,2.5,1,0.75,4\n"
                               "7,10,3,0.5,1e-300,5\n",
                               &o);
    /* identifiers and groups keep their text, leading zeros included */
    expect_column(f, "id", PLUMB_TYPE_STRING, PLUMB_ROLE_ID);
    EXPECT_CATEGORIES(f, "id", "007", "008", "7");
    EXPECT_CODES(f, "id", 0, 1, 2);
    expect_column(f, "grp", PLUMB_TYPE_STRING, PLUMB_ROLE_GROUP);
    EXPECT_CATEGORIES(f, "grp", "10", "9");
    EXPECT_CODES(f, "grp", 0, 1, 0);
    /* target, weight and time: float64, so 0.1 and 1e-300 survive */
    expect_column(f, "t", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TIME);
    EXPECT_F64(f, "t", 1.5, 2.5, 3);
    expect_column(f, "w", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_WEIGHT);
    EXPECT_F64(f, "w", 2, 1, 0.5);
    expect_column(f, "y", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TARGET);
    EXPECT_F64(f, "y", 0.1, 0.75, 1e-300);
    /* features: float32 */
    expect_column(f, "x", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    EXPECT_F32(f, "x", 0.1, 4, 5);
    assert_true(plumb_frame_f32(f, col_of(f, "x"))[0] == 0.1f);
    plumb_frame_free(f);

    /* a time column of dates is a datetime; a weight must be a number */
    o = named("r.csv");
    o.time_col = "t";
    o.weight_col = "w";
    f = read_text("t,w\n2024-01-02,1\n2024-01-03,\n", &o);
    expect_column(f, "t", PLUMB_TYPE_DATETIME, PLUMB_ROLE_TIME);
    EXPECT_I64(f, "t", 1704153600, 1704153600 + 86400);
    EXPECT_F64(f, "w", 1, NAN);
    plumb_frame_free(f);
    expect_error("t,w\n2024-01-02,1\n2024-01-03,heavy\n", &o, PLUMB_EPARSE,
                 "r.csv:3:12: bad number 'heavy' in column 'w'");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Multi-chunk inputs                                                                                          */
/* ---------------------------------------------------------------------------------------------------------- */

/* The type sample is the first 1000 records plus the first 100 of every chunk. Values at 45%, 52%, 55% and 60% of
 * a 9 MB buffer are in none of those, at 1 thread (3 chunks) or 2 (8 chunks): the columns look numeric, bool and
 * all-missing in the sample, and must come out as what all their values say. */
#define BUMP_ROWS 600000
#define BUMP_TEXT (BUMP_ROWS * 45 / 100)
#define BUMP_LATE (BUMP_ROWS * 52 / 100)
#define BUMP_FLAG (BUMP_ROWS * 55 / 100)
#define BUMP_DAY (BUMP_ROWS * 60 / 100)

static void bump_buffer(text *t) {
    text_init(t, (size_t)10 << 20);
    text_add(t, "n,flag,when,late,x\n");
    static const char *const digits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    for (int i = 0; i < BUMP_ROWS; i++)
        text_add(t, "%s,%s,%s,%s,%d\n", i == BUMP_TEXT ? "oops" : digits[i % 10],
                 i == BUMP_FLAG ? "maybe"
                 : i % 2        ? "true"
                                : "false",
                 i == BUMP_DAY ? "2024-05-06T07:08:09Z" : "", i == BUMP_LATE ? "abc" : "", i);
    assert_true(t->n > BIG_BYTES);
}

static void check_bumped(const plumb_frame *f) {
    assert_int_equal(plumb_frame_n_rows(f), BUMP_ROWS);
    expect_column(f, "n", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "n", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "oops");
    expect_column(f, "flag", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "flag", "false", "maybe", "true");
    expect_column(f, "when", PLUMB_TYPE_DATETIME, PLUMB_ROLE_FEATURE);
    expect_column(f, "late", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "late", "abc");
    expect_column(f, "x", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    const int32_t *n = plumb_frame_codes(f, col_of(f, "n")), *flag = plumb_frame_codes(f, col_of(f, "flag"));
    const int32_t *late = plumb_frame_codes(f, col_of(f, "late"));
    const int64_t *when = plumb_frame_i64(f, col_of(f, "when"));
    const float *x = plumb_frame_f32(f, col_of(f, "x"));
    for (int i = 0; i < BUMP_ROWS; i++) {
        if (n[i] != (i == BUMP_TEXT ? 10 : i % 10))
            fail_msg("n[%d] = %d", i, (int)n[i]);
        if (flag[i] != (i == BUMP_FLAG ? 1 : i % 2 ? 2 : 0))
            fail_msg("flag[%d] = %d", i, (int)flag[i]);
        if (when[i] != (i == BUMP_DAY ? 1714979289 : PLUMB_DATETIME_MISSING))
            fail_msg("when[%d] = %lld", i, (long long)when[i]);
        if (late[i] != (i == BUMP_LATE ? 0 : PLUMB_CODE_MISSING))
            fail_msg("late[%d] = %d", i, (int)late[i]);
        if (x[i] != (float)i)
            fail_msg("x[%d] = %g", i, (double)x[i]);
    }
}

static void bump_with(int threads) {
    text t;
    bump_buffer(&t);
    plumb_read_options o = named("bump.csv");
    o.n_threads = threads;
    plumb_frame *f = read_n(t.p, t.n, &o);
    free(t.p);
    check_bumped(f);
    plumb_frame_free(f);
}

static void bump_beyond_sample_one_thread(void **state) {
    (void)state;
    bump_with(1);
}

static void bump_beyond_sample_two_threads(void **state) {
    (void)state;
    bump_with(2);
}

/* The same value in a column the schema declares numeric is an error at its own line. */
static void bump_in_declared_column_is_error(void **state) {
    (void)state;
    text t;
    bump_buffer(&t);
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "n", PLUMB_TYPE_NUMERIC, NULL), PLUMB_OK);
    plumb_read_options o = named("bump.csv");
    o.schema = s;
    o.n_threads = 2;
    char want[128];
    snprintf(want, sizeof want, "bump.csv:%d:1: bad number 'oops' in column 'n'", BUMP_TEXT + 2);
    expect_error_n(t.p, t.n, &o, PLUMB_EPARSE, want);
    plumb_schema_free(s);
    free(t.p);
}

/* Rows with quoted commas, quoted line breaks and doubled quotes, string and categorical columns, across chunks. */
#define DET_ROWS 150000
static const char *const det_cat_raw[] = {"alpha", "\"be,ta\"", "\"gam\nma\"", "\"del\"\"ta\""};

static void threads_give_identical_frames(void **state) {
    (void)state;
    text t;
    text_init(&t, (size_t)10 << 20);
    text_add(&t, "id,cat,num,note,day,flag\n");
    for (int i = 0; i < DET_ROWS; i++) {
        const int k = (i * 7) % 1000;
        text_add(&t, "r%06d,%s,%d.%02d,\"note %d, line\nnext \"\"q\"\"\",2020-01-%02d,%s\n", i,
                 i % 13 == 0 ? "" : det_cat_raw[i % 4], k / 4, (k % 4) * 25, i, i % 28 + 1,
                 i % 3 == 0   ? "true"
                 : i % 3 == 1 ? "false"
                              : "");
    }
    assert_true(t.n > BIG_BYTES);
    plumb_frame *frames[2];
    for (int threads = 1; threads <= 2; threads++) {
        plumb_read_options o = named("det.csv");
        o.n_threads = threads;
        frames[threads - 1] = read_n(t.p, t.n, &o);
    }
    free(t.p);
    expect_same_frames(frames[0], frames[1]);

    const plumb_frame *f = frames[1];
    assert_int_equal(plumb_frame_n_rows(f), DET_ROWS);
    expect_column(f, "id", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    expect_column(f, "cat", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "cat", "alpha", "be,ta", "del\"ta", "gam\nma");
    expect_column(f, "num", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    expect_column(f, "note", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    expect_column(f, "day", PLUMB_TYPE_DATETIME, PLUMB_ROLE_FEATURE);
    expect_column(f, "flag", PLUMB_TYPE_BOOL, PLUMB_ROLE_FEATURE);
    plumb_column_info id = info_of(f, "id"), note = info_of(f, "note");
    assert_int_equal(id.n_categories, DET_ROWS);
    assert_int_equal(note.n_categories, DET_ROWS);
    const int32_t *idc = plumb_frame_codes(f, col_of(f, "id")), *cat = plumb_frame_codes(f, col_of(f, "cat"));
    const int32_t *notec = plumb_frame_codes(f, col_of(f, "note"));
    const float *num = plumb_frame_f32(f, col_of(f, "num"));
    const int64_t *day = plumb_frame_i64(f, col_of(f, "day"));
    const uint8_t *flag = plumb_frame_u8(f, col_of(f, "flag"));
    static const int32_t cat_code[] = {0, 1, 3, 2}; /* generation order -> sorted dictionary */
    for (int i = 0; i < DET_ROWS; i++) {
        char want[64];
        snprintf(want, sizeof want, "r%06d", i);
        if (idc[i] < 0 || strcmp(id.categories[idc[i]], want) != 0)
            fail_msg("id[%d] is code %d, expected '%s'", i, (int)idc[i], want);
        snprintf(want, sizeof want, "note %d, line\nnext \"q\"", i);
        if (notec[i] < 0 || strcmp(note.categories[notec[i]], want) != 0)
            fail_msg("note[%d] is code %d, expected '%s'", i, (int)notec[i], want);
        if (cat[i] != (i % 13 == 0 ? PLUMB_CODE_MISSING : cat_code[i % 4]))
            fail_msg("cat[%d] = %d", i, (int)cat[i]);
        if (num[i] != (float)((i * 7) % 1000) / 4.0f)
            fail_msg("num[%d] = %g", i, (double)num[i]);
        if (day[i] != 1577836800 + (int64_t)(i % 28) * 86400)
            fail_msg("day[%d] = %lld", i, (long long)day[i]);
        if (flag[i] != (i % 3 == 0 ? 1 : i % 3 == 1 ? 0 : PLUMB_BOOL_MISSING))
            fail_msg("flag[%d] = %d", i, flag[i]);
    }
    /* the dictionary is sorted bytewise, so ids are in generation order */
    for (int64_t k = 1; k < id.n_categories; k++)
        assert_true(strcmp(id.categories[k - 1], id.categories[k]) < 0);
    plumb_frame_free(frames[0]);
    plumb_frame_free(frames[1]);
}

/* Fixed-width records of two physical lines each, so record r starts on line 2 + 2r:
 *     0000123,123,"x
 *     y"
 * Errors are planted by overwriting single bytes of the second field (columns 9-11). */
#define ERR_ROWS 520000
#define ERR_RECORD 18

static char *error_buffer(size_t *size) {
    text t;
    text_init(&t, (size_t)10 << 20);
    text_add(&t, "a,b,c\n");
    for (int i = 0; i < ERR_ROWS; i++)
        text_add(&t, "%07d,%03d,\"x\ny\"\n", i, i % 1000);
    assert_int_equal(t.n, 6 + (size_t)ERR_ROWS * ERR_RECORD);
    assert_true(t.n > BIG_BYTES);
    *size = t.n;
    return t.p;
}

static char *field_b(char *buf, int record) {
    return buf + 6 + (size_t)record * ERR_RECORD + 8;
}

static void expect_big_error(const char *buf, size_t size, const plumb_schema *schema, int threads, const char *fmt,
                             int record) {
    plumb_read_options o = named("big.csv");
    o.n_threads = threads;
    o.schema = schema;
    char want[128];
    snprintf(want, sizeof want, fmt, 2 + 2 * record);
    expect_error_n(buf, size, &o, PLUMB_EPARSE, want);
}

static void first_error_in_file_wins(void **state) {
    (void)state;
    size_t size;
    char *buf = error_buffer(&size);
    const int early = ERR_ROWS / 5, late = ERR_ROWS * 4 / 5;
    field_b(buf, early)[1] = '"'; /* 0"5: a stray quote, which also breaks the quote parity of later cuts */
    field_b(buf, late)[1] = ',';  /* 4,5: one field too many */
    expect_big_error(buf, size, NULL, 2, "big.csv:%d:10: unexpected quote in unquoted field", early);
    expect_big_error(buf, size, NULL, 1, "big.csv:%d:10: unexpected quote in unquoted field", early);
    field_b(buf, early)[1] = (char)('0' + early % 100 / 10);
    expect_big_error(buf, size, NULL, 2, "big.csv:%d:13: expected 3 fields, found 4", late);
    free(buf);
}

static void first_error_wins_across_kinds(void **state) {
    (void)state;
    size_t size;
    char *buf = error_buffer(&size);
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "b", PLUMB_TYPE_NUMERIC, NULL), PLUMB_OK);
    const int a = ERR_ROWS * 3 / 10, b = ERR_ROWS * 7 / 10, c = ERR_ROWS * 9 / 10;
    field_b(buf, b)[0] = 'x'; /* a bad number in the declared column: "x" and the last two digits of b */
    field_b(buf, c)[1] = ',';
    char fmt[96];
    snprintf(fmt, sizeof fmt, "big.csv:%%d:9: bad number 'x%02d' in column 'b'", b % 100);
    expect_big_error(buf, size, s, 2, fmt, b);
    field_b(buf, a)[1] = ',';
    expect_big_error(buf, size, s, 2, "big.csv:%d:13: expected 3 fields, found 4", a);
    plumb_schema_free(s);
    free(buf);
}

/* Invalid UTF-8 makes a value text, so it is an error in any column it ends up in, even one whose sample looked
 * numeric (the value is found by the first pass, the error would be by the re-parse): it must still win over a
 * later error that the first pass finds. */
static void first_error_with_misleading_sample(void **state) {
    (void)state;
    text t;
    text_init(&t, 1 << 16);
    text_add(&t, "a,b\n");
    for (int i = 0; i < 3000; i++) {
        if (i == 1500)
            text_add(&t, "caf\xE9,%d\n", i);
        else if (i == 2000)
            text_add(&t, "1,2,3\n");
        else
            text_add(&t, "%d,%d\n", i, i);
    }
    plumb_read_options o = named("o.csv");
    expect_error_n(t.p, t.n, &o, PLUMB_EPARSE, "o.csv:1502:1: invalid UTF-8 in column 'a'");
    /* without the ragged row, from the re-parse */
    char *ragged = strstr(t.p, "1,2,3\n");
    assert_non_null(ragged);
    memcpy(ragged, "1,2  ", 5);
    expect_error_n(t.p, t.n, &o, PLUMB_EPARSE, "o.csv:1502:1: invalid UTF-8 in column 'a'");
    free(t.p);
}

/* Small inputs, valid and not, read as one chunk and as chunks of 1 to 16 bytes (1 thread; a few sizes with 2):
 * the frames or the error messages must be identical. */
static void tiny_chunks_agree(void **state) {
    (void)state;
    static const char *const inputs[] = {
        "a,b\n1,2\n3,4\n",
        "name,quote\n\"Smith, J\",\"she said \"\"hi\"\"\"\nplain,\"\"\n\"\",x\n",
        "id,text\n1,\"line one\nline two\"\n2,\"a\r\nb\"\n3,\"\n\"\n4,plain\n",
        "a,b,c\r\n1,x,\"q\"\r\n\r\n2,y,\"r\r\ns\"\r\n3,,z\r\n",
        "\xEF\xBB\xBFname,n\n\xC3\xA4,1\nb,2",
        "\n\r\na,b\n\n1,2\n\r\n\n3,4\n\n",
        ("num,flag,day,color,mixed\n1,true,2024-01-02,red,1\n-2.5,False,2024-01-02T03:04:05Z,blue,true\n"
         ".5,false,,green,x\n,,1970-01-01,,2\n"),
        "a,b\n1,2\n3,x\n4,5\n\"6\",\"7\"\n",
        "a,b,c\n1,2,3\n4,5,6,7\n",
        "a,b,c\n1,2\n",
        "a,b\n1,\"abc\n2,3\n",
        "a,b\n1,2\n\"3\n4\",5\n1,ab\"c\n",
        "a,b\n1,\"ab\"c\n",
        "x,y,x\n1,2,3\n",
        "a,b\n",
        "",
        "a,b\n\"x\ny\",\"z\"w\n",
        "a,b\n1,ok\n2,b\xE9\x64\n",
    };
    const size_t saved = plumb__csv_chunk_bytes;
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        plumb_read_options o = named("t.csv");
        plumb_frame *one = NULL;
        plumb_error e1;
        plumb__csv_chunk_bytes = (size_t)1 << 30;
        plumb_status s1 = plumb_frame_read_buffer(inputs[i], strlen(inputs[i]), &o, &one, &e1);
        char m1[PLUMB_ERROR_MAX];
        plumb_error_format(&e1, m1, sizeof m1);
        for (size_t bytes = 1; bytes <= 16; bytes++) {
            for (int threads = 1; threads <= (bytes % 5 == 1 ? 2 : 1); threads++) {
                plumb_frame *many = NULL;
                plumb_error e2;
                o.n_threads = threads;
                plumb__csv_chunk_bytes = bytes;
                plumb_status s2 = plumb_frame_read_buffer(inputs[i], strlen(inputs[i]), &o, &many, &e2);
                plumb__csv_chunk_bytes = saved;
                char m2[PLUMB_ERROR_MAX];
                plumb_error_format(&e2, m2, sizeof m2);
                if (s1 != s2 || strcmp(m1, m2) != 0)
                    fail_msg("input %zu, %zu-byte chunks, %d threads: '%s' (%d), one chunk: '%s' (%d)", i, bytes,
                             threads, m2, (int)s2, m1, (int)s1);
                if (s1 == PLUMB_OK)
                    expect_same_frames(one, many);
                plumb_frame_free(many);
            }
        }
        plumb_frame_free(one);
    }
    plumb__csv_chunk_bytes = saved;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Schema overrides                                                                                            */
/* ---------------------------------------------------------------------------------------------------------- */

static void schema_set_type_and_role(void **state) {
    (void)state;
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "zip", PLUMB_TYPE_CATEGORICAL, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "n", PLUMB_TYPE_STRING, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "flag", PLUMB_TYPE_CATEGORICAL, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(s, "d", PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(s, "y", PLUMB_ROLE_TARGET, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "y", PLUMB_TYPE_NUMERIC, NULL), PLUMB_OK);
    plumb_read_options o = named("s.csv");
    o.schema = s;
    plumb_frame *f = read_text("zip,n,d,flag,y,rest\n"
                               "01234,1,2024-01-01,true,1,a\n"
                               "98765,2.0,2024-01-02,false,0.5,b\n"
                               "01234,,,true,,c\n",
                               &o);
    expect_column(f, "zip", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "zip", "01234", "98765");
    EXPECT_CODES(f, "zip", 0, 1, 0);
    expect_column(f, "n", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "n", "1", "2.0");
    EXPECT_CODES(f, "n", 0, 1, -1);
    expect_column(f, "flag", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "flag", "false", "true");
    expect_column(f, "d", PLUMB_TYPE_DATETIME, PLUMB_ROLE_IGNORE); /* still read and typed */
    expect_column(f, "y", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TARGET);
    EXPECT_F64(f, "y", 1, 0.5, NAN);
    expect_column(f, "rest", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    plumb_frame_free(f);

    /* a role option wins over the schema's target */
    o.target = "rest";
    f = read_text("zip,n,d,flag,y,rest\n01234,1,2024-01-01,true,1,a\n", &o);
    expect_column(f, "y", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    expect_column(f, "rest", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_TARGET);
    EXPECT_F32(f, "y", 1);
    plumb_frame_free(f);
    plumb_schema_free(s);
}

static void fixed_categories_from_json_schema(void **state) {
    (void)state;
    plumb_schema *s = plumb_test_schema("{\"plumb_schema\": 1, \"columns\": [\n"
                                        "  {\"name\": \"color\", \"type\": \"categorical\",\n"
                                        "   \"categories\": [\"red\", \"green\", \"blue\"]},\n"
                                        "  {\"name\": \"size\", \"categories\": [\"S\", \"M\"]}\n"
                                        "]}\n");
    plumb_read_options o = named("c.csv");
    o.schema = s;
    plumb_frame *f = read_text("color,size\nred,M\ngreen,XL\npurple,S\n,\nblue,M\n", &o);
    expect_column(f, "color", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "color", "blue", "green", "red");
    EXPECT_CODES(f, "color", 2, 1, PLUMB_CODE_UNSEEN, PLUMB_CODE_MISSING, 0);
    /* categories without a type make the column categorical */
    expect_column(f, "size", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "size", "M", "S");
    EXPECT_CODES(f, "size", 0, PLUMB_CODE_UNSEEN, 1, PLUMB_CODE_MISSING, 0);
    /* the profile counts neither missing nor unseen values as categories */
    plumb_column_profile p;
    assert_int_equal(plumb_frame_profile(f, col_of(f, "color"), &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_missing, 1);
    assert_int_equal(p.n_distinct, 3);
    assert_int_equal(p.n_top, 3);
    assert_string_equal(p.top[0].value, "blue");
    assert_int_equal(p.top[0].count, 1);
    plumb_frame_free(f);
    plumb_schema_free(s);

    /* categories on a numeric column are a contradiction */
    s = plumb_test_schema("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"type\": \"numeric\", "
                          "\"categories\": [\"x\"]}]}");
    o.schema = s;
    expect_error("a\n1\n", &o, PLUMB_EINVAL, "column 'a' has categories but type numeric");
    plumb_schema_free(s);
}

static void categorical_option_forces_column(void **state) {
    (void)state;
    static const char *const cats[] = {"code", "big"};
    plumb_read_options o = named("c.csv");
    o.categorical = cats;
    o.n_categorical = 2;
    text t;
    text_init(&t, 4096);
    text_add(&t, "code,x,big\n10,1,0\n9,2,1\n10,3,2\n,4,3\n");
    for (int i = 4; i < 60; i++)
        text_add(&t, "10,%d,%d\n", i + 1, i);
    plumb_frame *f = read_n(t.p, t.n, &o);
    free(t.p);
    expect_column(f, "code", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    EXPECT_CATEGORIES(f, "code", "10", "9");
    const int32_t *code = plumb_frame_codes(f, col_of(f, "code"));
    assert_int_equal(code[0], 0);
    assert_int_equal(code[1], 1);
    assert_int_equal(code[3], PLUMB_CODE_MISSING);
    /* forced categorical stays categorical even when mostly unique */
    expect_column(f, "big", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE);
    assert_int_equal(info_of(f, "big").n_categories, 60);
    expect_column(f, "x", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE);
    plumb_frame_free(f);
}

static void declared_columns_must_exist(void **state) {
    (void)state;
    const char *csv = "a,b\n1,2\n";
    plumb_read_options o = named("d.csv");
    o.target = "y";
    expect_error(csv, &o, PLUMB_ESCHEMA, "d.csv:1:1: target column 'y' not found in header");
    o = named("d.csv");
    o.id_col = "key";
    expect_error(csv, &o, PLUMB_ESCHEMA, "d.csv:1:1: id column 'key' not found in header");
    static const char *const cats[] = {"b", "zz"};
    o = named("d.csv");
    o.categorical = cats;
    o.n_categorical = 2;
    expect_error(csv, &o, PLUMB_ESCHEMA, "d.csv:1:1: categorical column 'zz' not found in header");
    plumb_schema *s = NULL;
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "nope", PLUMB_TYPE_NUMERIC, NULL), PLUMB_OK);
    o = named("d.csv");
    o.schema = s;
    expect_error(csv, &o, PLUMB_ESCHEMA, "d.csv:1:1: schema column 'nope' not found in header");
    plumb_schema_free(s);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Errors: exact messages with line and column                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

static void error_ragged_too_many(void **state) {
    (void)state;
    plumb_read_options o = named("t.csv");
    expect_error("a,b,c\n1,2,3\n4,5,6,7\n", &o, PLUMB_EPARSE, "t.csv:3:7: expected 3 fields, found 4");
    expect_error("a,b,c\n1,2,3\n4,5,6,7,\"8\n9\",10", &o, PLUMB_EPARSE, "t.csv:3:7: expected 3 fields, found 6");
    expect_error("a,b,c\n1,2,3,", &o, PLUMB_EPARSE, "t.csv:2:7: expected 3 fields, found 4");
}

static void error_ragged_too_few(void **state) {
    (void)state;
    plumb_read_options o = named("t.csv");
    expect_error("a,b,c\n1,2\n", &o, PLUMB_EPARSE, "t.csv:2:4: expected 3 fields, found 2");
    expect_error("a,b,c\n1,2,3\n4", &o, PLUMB_EPARSE, "t.csv:3:2: expected 3 fields, found 1");
    expect_error("a,b,c\r\n\"x\",2\r\n", &o, PLUMB_EPARSE, "t.csv:2:6: expected 3 fields, found 2");
}

static void error_unterminated_quote(void **state) {
    (void)state;
    plumb_read_options o = named("t.csv");
    expect_error("a,b\n1,\"abc\n2,3\n", &o, PLUMB_EPARSE, "t.csv:2:3: unterminated quoted field");
    expect_error("a,b\n1,\"ab\"\"", &o, PLUMB_EPARSE, "t.csv:2:3: unterminated quoted field");
    expect_error("a,\"b\n1,2\n", &o, PLUMB_EPARSE, "t.csv:1:3: unterminated quoted field");
}

static void error_stray_quote(void **state) {
    (void)state;
    plumb_read_options o = named("t.csv");
    expect_error("a,b\n1,ab\"c\n", &o, PLUMB_EPARSE, "t.csv:2:5: unexpected quote in unquoted field");
    /* in a numeric column (the fast number path) and in the header */
    expect_error("a,b\n1,2\n3\"4,5\n", &o, PLUMB_EPARSE, "t.csv:3:2: unexpected quote in unquoted field");
    expect_error("a,b\"\n1,2\n", &o, PLUMB_EPARSE, "t.csv:1:4: unexpected quote in unquoted field");
}

static void error_after_closing_quote(void **state) {
    (void)state;
    plumb_read_options o = named("t.csv");
    expect_error("a,b\n1,\"ab\"c\n", &o, PLUMB_EPARSE, "t.csv:2:7: unexpected character after closing quote");
    expect_error("a,b\n\"1\" ,2\n", &o, PLUMB_EPARSE, "t.csv:2:4: unexpected character after closing quote");
}

static void error_bad_values_in_declared_columns(void **state) {
    (void)state;
    plumb_schema *s = plumb_test_schema("{\"plumb_schema\": 1, \"columns\": [\n"
                                        "  {\"name\": \"age\", \"type\": \"numeric\"},\n"
                                        "  {\"name\": \"day\", \"type\": \"datetime\"},\n"
                                        "  {\"name\": \"ok\", \"type\": \"bool\"}\n"
                                        "]}\n");
    plumb_read_options o = named("v.csv");
    o.schema = s;
    plumb_frame *f = read_text("name,age,day,ok\nbob,41,2024-01-02,true\n", &o);
    EXPECT_F32(f, "age", 41);
    plumb_frame_free(f);
    expect_error("name,age,day,ok\nbob,41,2024-01-02,true\nann,abc,2024-01-02,true\n", &o, PLUMB_EPARSE,
                 "v.csv:3:5: bad number 'abc' in column 'age'");
    expect_error("name,age,day,ok\nbob,41,2023-02-29,true\n", &o, PLUMB_EPARSE,
                 "v.csv:2:8: bad datetime '2023-02-29' in column 'day'");
    expect_error("name,age,day,ok\nbob,41,2024-01-02,yes\n", &o, PLUMB_EPARSE,
                 "v.csv:2:19: bad boolean 'yes' in column 'ok'");
    /* the column counts characters, not bytes; the message quotes the trimmed value */
    expect_error("name,age,day,ok\n\xC3\xA9mile,\" 1x \",2024-01-02,true\n", &o, PLUMB_EPARSE,
                 "v.csv:2:7: bad number '1x' in column 'age'");
    plumb_schema_free(s);
}

static void error_empty_input(void **state) {
    (void)state;
    plumb_read_options o = named("e.csv");
    expect_error("", &o, PLUMB_EPARSE, "e.csv:1:1: empty file");
    expect_error("\n\r\n\n", &o, PLUMB_EPARSE, "e.csv:1:1: empty file");
    expect_error("", NULL, PLUMB_EPARSE, "<buffer>:1:1: empty file");
}

static void error_header_only(void **state) {
    (void)state;
    plumb_read_options o = named("h.csv");
    expect_error("a,b\n", &o, PLUMB_EPARSE, "h.csv:2:1: no data rows after the header");
    expect_error("a,b", &o, PLUMB_EPARSE, "h.csv:1:4: no data rows after the header");
    expect_error("a,b\r\n\r\n\n", &o, PLUMB_EPARSE, "h.csv:2:1: no data rows after the header");
}

/* A NUL byte inside a value is refused where it is, as in a column name: it used to give a model file that could
 * never be loaded. */
static void error_nul_in_value(void **state) {
    (void)state;
    plumb_read_options o = named("z.csv");
    expect_error_n("a,b\n1,x\0y\n", 10, &o, PLUMB_EPARSE, "z.csv:2:4: NUL byte in a value of column 'b'");
    expect_error_n("a,b\n1,\"x\0\"\n", 11, &o, PLUMB_EPARSE, "z.csv:2:5: NUL byte in a value of column 'b'");
    expect_error_n("a,b\n1,\"\"\"\0\"\n", 13, &o, PLUMB_EPARSE, "z.csv:2:3: NUL byte in a value of column 'b'");
    /* in a numeric-looking column and in a declared categorical one */
    expect_error_n("a,b\n1,2\n3,4\0\n", 13, &o, PLUMB_EPARSE, "z.csv:3:4: NUL byte in a value of column 'b'");
    static const char *const cats[] = {"b"};
    o.categorical = cats;
    o.n_categorical = 1;
    expect_error_n("a,b\n1,\0\n", 8, &o, PLUMB_EPARSE, "z.csv:2:3: NUL byte in a value of column 'b'");
}

/* Line breaks that are carriage returns alone: a message that says so, not "no data rows after the header". */
static void error_cr_only_line_breaks(void **state) {
    (void)state;
    plumb_read_options o = named("cr.csv");
    expect_error("a,b\r1,2\r3,4\r", &o, PLUMB_EPARSE,
                 "cr.csv:1:4: lines end with a carriage return alone (CR, classic Mac OS): convert the line breaks to "
                 "LF or CRLF");
    expect_error("\xEF\xBB\xBFx\r1\r", &o, PLUMB_EPARSE,
                 "cr.csv:1:2: lines end with a carriage return alone (CR, classic Mac OS): convert the line breaks to "
                 "LF or CRLF");
    /* one CR at the very end of a one-line file is just a header without rows */
    expect_error("a,b\r", &o, PLUMB_EPARSE, "cr.csv:1:5: no data rows after the header");
}

static void error_header_names(void **state) {
    (void)state;
    plumb_read_options o = named("h.csv");
    expect_error("x,y,x\n1,2,3\n", &o, PLUMB_ESCHEMA, "h.csv:1:5: duplicate column name 'x'");
    expect_error("x,\"y\",\"y\"\n1,2,3\n", &o, PLUMB_ESCHEMA, "h.csv:1:7: duplicate column name 'y'");
    expect_error("a,,b\n1,2,3\n", &o, PLUMB_EPARSE, "h.csv:1:3: empty column name");
    /* the column of the bad byte, counted in characters: é is one */
    expect_error("\xC3\xA9,b\xFF\n1,2\n", &o, PLUMB_EPARSE, "h.csv:1:4: invalid UTF-8 in header");
    expect_error("a,\"b\xC3\"\n1,2\n", &o, PLUMB_EPARSE, "h.csv:1:5: invalid UTF-8 in header");
}

static void error_invalid_utf8_value(void **state) {
    (void)state;
    plumb_read_options o = named("u.csv");
    expect_error("a,b\n1,ok\n2,b\xE9\x64\n", &o, PLUMB_EPARSE, "u.csv:3:3: invalid UTF-8 in column 'b'");
}

static void error_positions_count_characters(void **state) {
    (void)state;
    plumb_read_options o = named("p.csv");
    /* multibyte characters before the error count once each */
    expect_error("na\xC3\xAFve,b\n\xC3\xBC,\xE2\x82\xAC,2\n", &o, PLUMB_EPARSE,
                 "p.csv:2:5: expected 2 fields, found 3");
    /* the BOM is not a character of line 1 */
    expect_error("\xEF\xBB\xBF"
                 "a,b,a\n1,2,3\n",
                 &o, PLUMB_ESCHEMA, "p.csv:1:5: duplicate column name 'a'");
    expect_error("\xEF\xBB\xBF"
                 "a,\"b\n",
                 &o, PLUMB_EPARSE, "p.csv:1:3: unterminated quoted field");
    /* line breaks inside quotes are lines */
    expect_error("a,b\n\"x\ny\",1\n1,2,3\n", &o, PLUMB_EPARSE, "p.csv:4:5: expected 2 fields, found 3");
    expect_error("a,b\n\"x\ny\",\"z\"w\n", &o, PLUMB_EPARSE, "p.csv:3:7: unexpected character after closing quote");
    /* CRLF: one line each */
    expect_error("a,b\r\n1,2\r\n3,4,5\r\n", &o, PLUMB_EPARSE, "p.csv:3:5: expected 2 fields, found 3");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Profiles                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

static void profile_columns(void **state) {
    (void)state;
    plumb_frame *f = read_text("x,c,b,d\n"
                               "1,a,true,2024-01-02\n"
                               "2,b,false,\n"
                               ",a,true,2024-01-04\n"
                               "4,c,,2024-01-03\n"
                               "8,a,true,\n",
                               NULL);
    plumb_column_profile p;
    assert_int_equal(plumb_frame_profile(f, col_of(f, "x"), &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_rows, 5);
    assert_int_equal(p.n_missing, 1);
    assert_int_equal(p.n_distinct, 4);
    assert_true(p.min == 1 && p.max == 8);
    assert_true(fabs(p.mean - 3.75) < 1e-12);
    /* sample standard deviation: squared deviations from 3.75 sum to 28.75, over n - 1 = 3 */
    assert_true(fabs(p.std - sqrt(28.75 / 3)) < 1e-12);
    assert_int_equal(p.n_top, 0);

    assert_int_equal(plumb_frame_profile(f, col_of(f, "c"), &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_missing, 0);
    assert_int_equal(p.n_distinct, 3);
    assert_int_equal(p.n_top, 3);
    assert_string_equal(p.top[0].value, "a");
    assert_int_equal(p.top[0].count, 3);
    assert_string_equal(p.top[1].value, "b"); /* a tie: dictionary order */
    assert_int_equal(p.top[1].count, 1);
    assert_string_equal(p.top[2].value, "c");
    assert_int_equal(p.top[2].count, 1);

    /* bool: the mean is the share of true */
    assert_int_equal(plumb_frame_profile(f, col_of(f, "b"), &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_missing, 1);
    assert_int_equal(p.n_distinct, 2);
    assert_true(p.min == 0 && p.max == 1);
    assert_true(fabs(p.mean - 0.75) < 1e-12 && fabs(p.std - 0.5) < 1e-12);
    assert_int_equal(p.n_top, 2);
    assert_string_equal(p.top[0].value, "true");
    assert_int_equal(p.top[0].count, 3);
    assert_string_equal(p.top[1].value, "false");
    assert_int_equal(p.top[1].count, 1);

    /* datetime: seconds */
    assert_int_equal(plumb_frame_profile(f, col_of(f, "d"), &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_missing, 2);
    assert_int_equal(p.n_distinct, 3);
    assert_true(p.min == 1704153600 && p.max == 1704153600 + 2 * 86400);
    assert_true(fabs(p.mean - (1704153600 + 86400)) < 1e-3);

    plumb_error err;
    assert_int_equal(plumb_frame_profile(f, 4, &p, &err), PLUMB_EINVAL);
    assert_int_equal(plumb_frame_profile(f, -1, &p, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "no column -1");
    plumb_frame_free(f);
}

static void profile_top_keeps_five_most_frequent(void **state) {
    (void)state;
    /* counts: g 5, a 1, b 3, c 3, d 2, e 4, f 1 */
    plumb_frame *f = read_text("v,n\ng,1\na,1\nb,1\nc,1\nd,1\ne,1\nf,1\ng,1\nb,1\nc,1\nd,1\ne,1\ng,1\nb,1\nc,1\n"
                               "e,1\ng,1\ne,1\ng,1\nNA,1\n",
                               NULL);
    plumb_column_profile p;
    assert_int_equal(plumb_frame_profile(f, 0, &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_rows, 20);
    assert_int_equal(p.n_missing, 1);
    assert_int_equal(p.n_distinct, 7);
    assert_int_equal(p.n_top, PLUMB_PROFILE_TOP);
    const char *want[] = {"g", "e", "b", "c", "d"};
    const int64_t count[] = {5, 4, 3, 3, 2};
    for (int i = 0; i < PLUMB_PROFILE_TOP; i++) {
        assert_string_equal(p.top[i].value, want[i]);
        assert_int_equal(p.top[i].count, count[i]);
    }
    /* a constant column: one distinct value, no spread */
    assert_int_equal(plumb_frame_profile(f, 1, &p, NULL), PLUMB_OK);
    assert_true(p.n_distinct == 1 && p.min == 1 && p.max == 1 && p.mean == 1 && p.std == 0);
    plumb_frame_free(f);
    /* an all-missing column: no moments */
    f = read_text("a,b\n1,\n2,\n", NULL);
    assert_int_equal(plumb_frame_profile(f, 1, &p, NULL), PLUMB_OK);
    assert_int_equal(p.n_missing, 2);
    assert_int_equal(p.n_distinct, 0);
    assert_true(isnan(p.min) && isnan(p.max) && isnan(p.mean) && isnan(p.std));
    plumb_frame_free(f);
}

/* clang-format off */
PLUMB_TEST_MAIN(
    cmocka_unit_test(quoted_fields_and_doubled_quotes),
    cmocka_unit_test(quoted_numbers_and_spaces),
    cmocka_unit_test(newlines_inside_quotes),
    cmocka_unit_test(crlf_line_endings),
    cmocka_unit_test(utf8_bom_is_skipped),
    cmocka_unit_test(semicolon_delimiter),
    cmocka_unit_test(tab_delimiter),
    cmocka_unit_test(bad_delimiter_is_rejected),
    cmocka_unit_test(blank_lines_skipped),
    cmocka_unit_test(last_line_without_newline),
    cmocka_unit_test(buffer_is_bounded_by_size),
    cmocka_unit_test(read_csv_from_file),
    cmocka_unit_test(read_csv_data_files),
    cmocka_unit_test(read_csv_file_changed_while_read),
    cmocka_unit_test(default_missing_tokens),
    cmocka_unit_test(pandas_missing_tokens),
    cmocka_unit_test(fallback_to_text_is_noted),
    cmocka_unit_test(custom_missing_tokens),
    cmocka_unit_test(infer_each_type),
    cmocka_unit_test(dictionary_is_sorted_bytewise),
    cmocka_unit_test(all_missing_column_is_numeric),
    cmocka_unit_test(string_when_over_max_categories),
    cmocka_unit_test(string_when_mostly_unique),
    cmocka_unit_test(role_decides_storage),
    cmocka_unit_test(bump_beyond_sample_one_thread),
    cmocka_unit_test(bump_beyond_sample_two_threads),
    cmocka_unit_test(bump_in_declared_column_is_error),
    cmocka_unit_test(threads_give_identical_frames),
    cmocka_unit_test(first_error_in_file_wins),
    cmocka_unit_test(first_error_wins_across_kinds),
    cmocka_unit_test(first_error_with_misleading_sample),
    cmocka_unit_test(tiny_chunks_agree),
    cmocka_unit_test(schema_set_type_and_role),
    cmocka_unit_test(fixed_categories_from_json_schema),
    cmocka_unit_test(categorical_option_forces_column),
    cmocka_unit_test(declared_columns_must_exist),
    cmocka_unit_test(error_ragged_too_many),
    cmocka_unit_test(error_ragged_too_few),
    cmocka_unit_test(error_unterminated_quote),
    cmocka_unit_test(error_stray_quote),
    cmocka_unit_test(error_after_closing_quote),
    cmocka_unit_test(error_bad_values_in_declared_columns),
    cmocka_unit_test(error_empty_input),
    cmocka_unit_test(error_header_only),
    cmocka_unit_test(error_nul_in_value),
    cmocka_unit_test(error_cr_only_line_breaks),
    cmocka_unit_test(error_header_names),
    cmocka_unit_test(error_invalid_utf8_value),
    cmocka_unit_test(error_positions_count_characters),
    cmocka_unit_test(profile_columns),
    cmocka_unit_test(profile_top_keeps_five_most_frequent),
)
/* clang-format on */
