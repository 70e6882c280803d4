/* test_schema.c -- schemas: building them with set_type/set_role, the JSON file format (docs/schema.md) saved and
 * loaded back, and every load error with its exact message.
 *
 * Files are written with mkstemp in $TMPDIR (or /tmp) and removed by the test; error messages name that path, so
 * expected messages are built from it.
 */
#include "test.h"

#include <plumb/plumb.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loads JSON text expecting status code and the message "<path>" + suffix (suffix starts with ':'). */
static void expect_load_error(const char *json, plumb_status code, const char *suffix) {
    char *path = plumb_test_temp_file(json);
    static char sentinel;
    plumb_schema *s = (plumb_schema *)(void *)&sentinel;
    plumb_error err;
    plumb_status st = plumb_schema_load(path, &s, &err);
    char msg[PLUMB_ERROR_MAX], want[PLUMB_ERROR_MAX];
    plumb_error_format(&err, msg, sizeof msg);
    snprintf(want, sizeof want, "%s%s", path, suffix);
    unlink(path);
    free(path);
    if (st == PLUMB_OK) {
        plumb_schema_free(s);
        fail_msg("load succeeded, expected: %s", want);
    }
    if (st != code)
        fail_msg("status %s (%s), expected %s", plumb_status_name(st), msg, plumb_status_name(code));
    assert_int_equal(err.code, code);
    assert_null(s);
    assert_string_equal(msg, want);
}

/* Column i of s is name/type/role with the given categories (n_categories -1: none fixed). */
static void expect_col(const plumb_schema *s, int64_t i, const char *name, plumb_type type, plumb_role role,
                       int64_t n_categories, const char *const *categories) {
    assert_true(i < plumb_schema_n_columns(s));
    plumb_column_info c;
    plumb_schema_column(s, i, &c);
    assert_string_equal(c.name, name);
    if (c.type != type || c.role != role)
        fail_msg("column '%s' is %s/%s, expected %s/%s", name, plumb_type_name(c.type), plumb_role_name(c.role),
                 plumb_type_name(type), plumb_role_name(role));
    assert_int_equal(c.n_categories, n_categories);
    if (n_categories < 0)
        assert_null(c.categories);
    for (int64_t k = 0; k < n_categories; k++)
        assert_string_equal(c.categories[k], categories[k]);
}

/* The n_categories and categories arguments of expect_col: a list, or none fixed. */
/* clang-format off */
#define CATS(...) (int64_t)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), (const char *[]){__VA_ARGS__}
#define NO_CATS -1, NULL
/* clang-format on */

static void expect_same_schema(const plumb_schema *a, const plumb_schema *b) {
    assert_int_equal(plumb_schema_n_columns(a), plumb_schema_n_columns(b));
    for (int64_t i = 0; i < plumb_schema_n_columns(a); i++) {
        plumb_column_info c;
        plumb_schema_column(a, i, &c);
        expect_col(b, i, c.name, c.type, c.role, c.n_categories, c.categories);
    }
}

/* Saves s to a fresh path in the temporary directory, loads it back and returns the copy. */
static plumb_schema *save_and_load(const plumb_schema *s) {
    char *path = plumb_test_temp_file("");
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    if (plumb_schema_save(s, path, &err) != PLUMB_OK)
        fail_msg("save failed: %s", plumb_error_format(&err, msg, sizeof msg));
    plumb_schema *back = NULL;
    if (plumb_schema_load(path, &back, &err) != PLUMB_OK)
        fail_msg("load failed: %s", plumb_error_format(&err, msg, sizeof msg));
    unlink(path);
    free(path);
    return back;
}

static void names_parse_back(void **state) {
    (void)state;
    for (int t = PLUMB_TYPE_AUTO; t <= PLUMB_TYPE_STRING; t++)
        assert_int_equal(plumb_type_parse(plumb_type_name((plumb_type)t)), t);
    for (int r = PLUMB_ROLE_FEATURE; r <= PLUMB_ROLE_IGNORE; r++)
        assert_int_equal(plumb_role_parse(plumb_role_name((plumb_role)r)), r);
    assert_string_equal(plumb_type_name(PLUMB_TYPE_CATEGORICAL), "categorical");
    assert_string_equal(plumb_role_name(PLUMB_ROLE_WEIGHT), "weight");
    assert_string_equal(plumb_type_name((plumb_type)99), "unknown");
    assert_string_equal(plumb_role_name((plumb_role)-1), "unknown");
    assert_int_equal(plumb_type_parse("Numeric"), -1);
    assert_int_equal(plumb_type_parse(NULL), -1);
    assert_int_equal(plumb_role_parse("label"), -1);
}

static void set_type_and_role(void **state) {
    (void)state;
    plumb_schema *s = NULL;
    plumb_error err;
    assert_int_equal(plumb_schema_create(&s, &err), PLUMB_OK);
    assert_int_equal(plumb_schema_n_columns(s), 0);
    assert_int_equal(plumb_schema_set_type(s, "a", PLUMB_TYPE_NUMERIC, &err), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(s, "b", PLUMB_ROLE_TARGET, &err), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(s, "a", PLUMB_ROLE_WEIGHT, &err), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(s, "b", PLUMB_ROLE_TARGET, &err), PLUMB_OK); /* the same target again */
    expect_col(s, 0, "a", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_WEIGHT, NO_CATS);
    expect_col(s, 1, "b", PLUMB_TYPE_AUTO, PLUMB_ROLE_TARGET, NO_CATS);

    assert_int_equal(plumb_schema_set_role(s, "a", PLUMB_ROLE_TARGET, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "two target columns: 'b' and 'a'");
    expect_col(s, 0, "a", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_WEIGHT, NO_CATS); /* unchanged */
    assert_int_equal(plumb_schema_set_type(s, "a", (plumb_type)6, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "bad column type 6");
    assert_int_equal(plumb_schema_set_role(s, "a", (plumb_role)-1, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "bad column role -1");
    assert_int_equal(plumb_schema_set_type(s, "", PLUMB_TYPE_NUMERIC, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "empty column name");
    assert_int_equal(plumb_schema_set_role(s, NULL, PLUMB_ROLE_ID, &err), PLUMB_EINVAL);
    assert_int_equal(plumb_schema_n_columns(s), 2);
    plumb_schema_free(s);
    plumb_schema_free(NULL);
}

/* A frame's schema (every type, every role, inferred dictionaries) survives save and load unchanged. */
static void save_load_round_trip(void **state) {
    (void)state;
    const char *csv = "id,g,t,w,y,x,c,s,d,b,skip\n"
                      "k1,g1,1,0.5,1,1.5,red,\"with \"\"quotes\"\", and, commas\",2024-01-02,true,z\n"
                      "k2,g2,2,1,0,2.5,blue,\xC3\xA9t\xC3\xA9,2024-01-03,false,z\n"
                      "k3,g1,3,1,1,,red,x,,,z\n";
    plumb_schema *over = NULL;
    assert_int_equal(plumb_schema_create(&over, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(over, "s", PLUMB_TYPE_STRING, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_role(over, "skip", PLUMB_ROLE_IGNORE, NULL), PLUMB_OK);
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = over;
    o.id_col = "id";
    o.group_col = "g";
    o.time_col = "t";
    o.weight_col = "w";
    o.target = "y";
    plumb_frame *f = NULL;
    plumb_error err;
    assert_int_equal(plumb_frame_read_buffer(csv, strlen(csv), &o, &f, &err), PLUMB_OK);
    const plumb_schema *s = plumb_frame_schema(f);
    expect_col(s, 0, "id", PLUMB_TYPE_STRING, PLUMB_ROLE_ID, CATS("k1", "k2", "k3"));
    expect_col(s, 1, "g", PLUMB_TYPE_STRING, PLUMB_ROLE_GROUP, CATS("g1", "g2"));
    expect_col(s, 2, "t", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TIME, NO_CATS);
    expect_col(s, 3, "w", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_WEIGHT, NO_CATS);
    expect_col(s, 4, "y", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_TARGET, NO_CATS);
    expect_col(s, 5, "x", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE, NO_CATS);
    expect_col(s, 6, "c", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE, CATS("blue", "red"));
    expect_col(s, 7, "s", PLUMB_TYPE_STRING, PLUMB_ROLE_FEATURE,
               CATS("with \"quotes\", and, commas", "x", "\xC3\xA9t\xC3\xA9"));
    expect_col(s, 8, "d", PLUMB_TYPE_DATETIME, PLUMB_ROLE_FEATURE, NO_CATS);
    expect_col(s, 9, "b", PLUMB_TYPE_BOOL, PLUMB_ROLE_FEATURE, NO_CATS);
    expect_col(s, 10, "skip", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_IGNORE, CATS("z"));
    plumb_schema *back = save_and_load(s);
    expect_same_schema(s, back);
    /* and once more, from the loaded copy */
    plumb_schema *again = save_and_load(back);
    expect_same_schema(s, again);
    plumb_schema_free(again);
    plumb_schema_free(back);

    /* the loaded schema reads the same file to the same frame */
    plumb_read_options_init(&o);
    plumb_schema *loaded = save_and_load(s);
    o.schema = loaded;
    plumb_frame *g = NULL;
    assert_int_equal(plumb_frame_read_buffer(csv, strlen(csv), &o, &g, &err), PLUMB_OK);
    expect_same_schema(plumb_frame_schema(f), plumb_frame_schema(g));
    for (int64_t j = 0; j < plumb_frame_n_columns(f); j++) {
        const int32_t *a = plumb_frame_codes(f, j), *b = plumb_frame_codes(g, j);
        assert_int_equal(a != NULL, b != NULL);
        if (a)
            assert_memory_equal(a, b, 3 * sizeof *a);
    }
    assert_memory_equal(plumb_frame_f64(f, 4), plumb_frame_f64(g, 4), 3 * sizeof(double));
    plumb_frame_free(g);
    plumb_frame_free(f);
    plumb_schema_free(loaded);
    plumb_schema_free(over);
}

/* The example of docs/schema.md loads as documented; keys may come in any order and types default to auto. */
static void load_documented_example(void **state) {
    (void)state;
    plumb_schema *s = plumb_test_schema("{\n"
                                        "  \"plumb_schema\": 1,\n"
                                        "  \"columns\": [\n"
                                        "    {\"name\": \"Status\", \"type\": \"categorical\", \"role\": \"target\"},\n"
                                        "    {\"name\": \"Income\", \"type\": \"numeric\"},\n"
                                        "    {\"name\": \"client\", \"type\": \"string\", \"role\": \"id\"},\n"
                                        "    {\"name\": \"Home\", \"type\": \"categorical\", \"categories\": "
                                        "[\"rent\", \"other\", \"owner\"]},\n"
                                        "    {\"role\": \"ignore\", \"name\": \"note\"}\n"
                                        "  ]\n"
                                        "}\n");
    assert_int_equal(plumb_schema_n_columns(s), 5);
    expect_col(s, 0, "Status", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_TARGET, NO_CATS);
    expect_col(s, 1, "Income", PLUMB_TYPE_NUMERIC, PLUMB_ROLE_FEATURE, NO_CATS);
    expect_col(s, 2, "client", PLUMB_TYPE_STRING, PLUMB_ROLE_ID, NO_CATS);
    /* categories are kept in bytewise order: codes are their positions */
    expect_col(s, 3, "Home", PLUMB_TYPE_CATEGORICAL, PLUMB_ROLE_FEATURE, CATS("other", "owner", "rent"));
    expect_col(s, 4, "note", PLUMB_TYPE_AUTO, PLUMB_ROLE_IGNORE, NO_CATS);
    plumb_schema *back = save_and_load(s);
    expect_same_schema(s, back);
    plumb_schema_free(back);
    plumb_schema_free(s);

    s = plumb_test_schema("{\"columns\": [], \"plumb_schema\": 1}");
    assert_int_equal(plumb_schema_n_columns(s), 0);
    plumb_schema_free(s);
}

static void load_bad_json(void **state) {
    (void)state;
    /* jansson's line and column of the bad token */
    expect_load_error("{\n  \"plumb_schema\": 1,\n  \"columns\": [x]\n}\n", PLUMB_EPARSE,
                      ":3:15: invalid token near 'x'");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [],}", PLUMB_EPARSE,
                      ":1:35: string or '}' expected near '}'");
    expect_load_error("{\"plumb_schema\": 1, \"plumb_schema\": 1, \"columns\": []}", PLUMB_EPARSE,
                      ":1:34: duplicate object key near '\"plumb_schema\"'");
    expect_load_error("", PLUMB_EPARSE, ":1: '[' or '{' expected near end of file");
}

static void load_not_a_schema(void **state) {
    (void)state;
    const char *msg = ": not a plumb schema: expected an object with \"plumb_schema\" and \"columns\"";
    expect_load_error("[]", PLUMB_EPARSE, msg);
    expect_load_error("{\"columns\": []}", PLUMB_EPARSE, msg);
    expect_load_error("{\"plumb_schema\": 1}", PLUMB_EPARSE, msg);
    expect_load_error("{\"plumb_schema\": \"1\", \"columns\": []}", PLUMB_EPARSE, msg);
    expect_load_error("{\"plumb_schema\": 1, \"columns\": {}}", PLUMB_EPARSE, msg);
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [\"a\"]}", PLUMB_EPARSE,
                      ": column 1: expected an object with a \"name\"");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\"}, {\"type\": \"numeric\"}]}", PLUMB_EPARSE,
                      ": column 2: expected an object with a \"name\"");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"\"}]}", PLUMB_EPARSE,
                      ": column 1: expected an object with a \"name\"");
}

static void load_future_version(void **state) {
    (void)state;
    expect_load_error("{\"plumb_schema\": 2, \"columns\": []}", PLUMB_EFORMAT,
                      ": unsupported schema format 2 (this plumb reads 1)");
    expect_load_error("{\"plumb_schema\": 0, \"columns\": []}", PLUMB_EFORMAT,
                      ": unsupported schema format 0 (this plumb reads 1)");
}

static void load_unknown_names(void **state) {
    (void)state;
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"type\": \"float\"}]}", PLUMB_EPARSE,
                      ": column 'a': unknown type 'float' (expected auto, numeric, categorical, datetime, bool or "
                      "string)");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"type\": 3}]}", PLUMB_EPARSE,
                      ": column 'a': unknown type '?' (expected auto, numeric, categorical, datetime, bool or "
                      "string)");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"role\": \"label\"}]}", PLUMB_EPARSE,
                      ": column 'a': unknown role 'label' (expected feature, target, id, time, weight, group or "
                      "ignore)");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"kind\": \"numeric\"}]}", PLUMB_EPARSE,
                      ": column 'a': unknown key 'kind'");
}

static void load_contradictions(void **state) {
    (void)state;
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", PLUMB_EPARSE,
                      ": duplicate column name 'a'");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"categories\": [\"x\", \"y\", \"x\"]}]}",
                      PLUMB_EPARSE, ": column 'a': duplicate category 'x'");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"categories\": [\"x\", 1]}]}",
                      PLUMB_EPARSE, ": column 'a': categories must be strings");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"categories\": \"x\"}]}", PLUMB_EPARSE,
                      ": column 'a': categories must be an array of strings");
    expect_load_error("{\"plumb_schema\": 1, \"columns\": [{\"name\": \"a\", \"role\": \"target\"}, "
                      "{\"name\": \"b\", \"role\": \"target\"}]}",
                      PLUMB_EPARSE, ": two target columns: 'a' and 'b'");
}

static void load_missing_file(void **state) {
    (void)state;
    plumb_schema *s = NULL;
    plumb_error err;
    assert_int_equal(plumb_schema_load("/nonexistent/schema.json", &s, &err), PLUMB_EIO);
    assert_null(s);
    assert_string_equal(err.path, "/nonexistent/schema.json");
    char msg[PLUMB_ERROR_MAX];
    plumb_error_format(&err, msg, sizeof msg);
    const char *want = "/nonexistent/schema.json: cannot read schema '/nonexistent/schema.json': ";
    assert_true(strncmp(msg, want, strlen(want)) == 0);
    assert_non_null(strstr(msg, "No such file or directory"));
}

/* A failed save leaves neither the file nor a temporary file beside it. */
static void save_failure_leaves_nothing(void **state) {
    (void)state;
    plumb_schema *s = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX], want[PLUMB_ERROR_MAX];
    assert_int_equal(plumb_schema_create(&s, NULL), PLUMB_OK);
    assert_int_equal(plumb_schema_set_type(s, "a", PLUMB_TYPE_NUMERIC, NULL), PLUMB_OK);

    assert_int_equal(plumb_schema_save(s, "/nonexistent/dir/s.json", &err), PLUMB_EIO);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg),
                        "/nonexistent/dir/s.json: cannot write '/nonexistent/dir/s.json': No such file or directory");

    /* the target is a directory: the temporary file is written, the rename fails and it must be removed */
    char dir[256];
    snprintf(dir, sizeof dir, "%s/plumb_schema_dir_XXXXXX", plumb_test_tmp_dir());
    assert_non_null(mkdtemp(dir));
    char target[300];
    snprintf(target, sizeof target, "%s/out", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(plumb_schema_save(s, target, &err), PLUMB_EIO);
    snprintf(want, sizeof want, "%s: cannot write '%s': Is a directory", target, target);
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    assert_int_equal(rmdir(target), 0);
    assert_int_equal(rmdir(dir), 0); /* fails if anything was left beside the target */
    plumb_schema_free(s);
}

/* clang-format off */
PLUMB_TEST_MAIN(
    cmocka_unit_test(names_parse_back),
    cmocka_unit_test(set_type_and_role),
    cmocka_unit_test(save_load_round_trip),
    cmocka_unit_test(load_documented_example),
    cmocka_unit_test(load_bad_json),
    cmocka_unit_test(load_not_a_schema),
    cmocka_unit_test(load_future_version),
    cmocka_unit_test(load_unknown_names),
    cmocka_unit_test(load_contradictions),
    cmocka_unit_test(load_missing_file),
    cmocka_unit_test(save_failure_leaves_nothing),
)
/* clang-format on */
