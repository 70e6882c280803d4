/* test_value.c -- the scalar parsers behind the CSV reader: numbers, booleans, datetimes, calendar math. */
#include "test.h"

#include "base/base.h"
#include "data/value.h"

#include <math.h>
#include <stdlib.h>

static double num(const char *s) {
    double v = -12345;
    const char *e = plumb__parse_number(s, s + strlen(s), &v);
    assert_non_null(e);
    assert_ptr_equal(e, s + strlen(s));
    return v;
}

/* Every number must equal strtod's correctly rounded result, bit for bit, on both paths. */
static void number_matches_strtod(void **state) {
    (void)state;
    const char *cases[] = {"0",
                           "-0",
                           "1",
                           "+1",
                           "3.14159",
                           "-2.5e-3",
                           "1e22",
                           "1e23",
                           "9007199254740993",
                           "0.1",
                           "123456789012345678901234",
                           "1.7976931348623157e308",
                           "4.9e-324",
                           "2.2250738585072014e-308",
                           ".5",
                           "5.",
                           "0.000001234",
                           "1E5",
                           "12345678901234567890e-10",
                           "0.30000000000000004"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double want = strtod(cases[i], NULL);
        double got = num(cases[i]);
        assert_memory_equal(&got, &want, sizeof got);
    }
}

static void number_stops_at_non_digits(void **state) {
    (void)state;
    const char *s = "1.5,2";
    double v;
    assert_ptr_equal(plumb__parse_number(s, s + 5, &v), s + 3);
    assert_true(v == 1.5);
    /* bounded by the end pointer, not by a NUL */
    assert_ptr_equal(plumb__parse_number(s, s + 2, &v), s + 2);
    assert_true(v == 1.0);
    const char *bad[] = {"", "-", ".", "e5", "1e", "1e+", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_null(plumb__parse_number(bad[i], bad[i] + strlen(bad[i]), &v));
}

/* float columns: the float nearest to the text, not the float nearest to the nearest double */
static void float_rounding_is_correct(void **state) {
    (void)state;
    const char *tricky = "1.0000000596046447753906251"; /* just above a float midpoint; its double is on it */
    double v = 0;
    const char *e = plumb__parse_number(tricky, tricky + strlen(tricky), &v);
    assert_true(plumb__to_float(v, tricky, e) == strtof(tricky, NULL));
    assert_true(plumb__to_float(v, tricky, e) != (float)v);
    /* many random decimals of 9 to 17 digits, and subnormals, agree with strtof */
    uint64_t x = 88172645463325252u;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const int digits = 9 + (int)(x % 9), exp10 = (int)((x >> 8) % 90) - 50;
        snprintf(buf, sizeof buf, "%.*e", digits - 1, (double)(x >> 11) * 0x1.0p-53 * pow(10, exp10));
        e = plumb__parse_number(buf, buf + strlen(buf), &v);
        assert_non_null(e);
        const float want = strtof(buf, NULL), got = plumb__to_float(v, buf, e);
        assert_memory_equal(&got, &want, sizeof got);
    }
}

static void bool_forms(void **state) {
    (void)state;
    uint8_t b;
    assert_true(plumb__parse_bool("true", 4, &b) && b == 1);
    assert_true(plumb__parse_bool("FALSE", 5, &b) && b == 0);
    assert_true(plumb__parse_bool("True", 4, &b) && b == 1);
    assert_false(plumb__parse_bool("yes", 3, &b));
    assert_false(plumb__parse_bool("tRUE", 4, &b));
    assert_false(plumb__parse_bool("1", 1, &b));
}

static int64_t dt(const char *s) {
    int64_t t = 0;
    assert_true(plumb__parse_datetime(s, strlen(s), &t));
    return t;
}

static void datetime_forms(void **state) {
    (void)state;
    assert_int_equal(dt("1970-01-01"), 0);
    assert_int_equal(dt("2001-01-22"), 980121600);
    assert_int_equal(dt("2016-08-28T12:34:56"), 1472387696);
    assert_int_equal(dt("2016-08-28 12:34:56Z"), 1472387696);
    assert_int_equal(dt("2016-08-28T12:34:56.789+02:00"), 1472387696 - 7200);
    assert_int_equal(dt("2016-08-28T12:34-0130"), 1472387640 + 5400);
    assert_int_equal(dt("1969-12-31T23:59:59Z"), -1);
    assert_int_equal(dt("2000-02-29"), 951782400);
    const char *bad[] = {"2023-02-29", "2023-13-01",       "2023-00-10",    "2023-01-32",  "2023-1-01",
                         "20230101",   "2023-01-01T25:00", "2023-01-01T10", "2023-01-01x", "2023-01-01T10:00:00+"};
    int64_t t;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(plumb__parse_datetime(bad[i], strlen(bad[i]), &t));
}

static void civil_round_trip(void **state) {
    (void)state;
    for (int64_t days = -800000; days <= 800000; days += 7) {
        int64_t y;
        int m, d;
        plumb__civil_from_days(days, &y, &m, &d);
        assert_int_equal(plumb__days_from_civil(y, m, d), days);
    }
}

/* Values quoted into error messages are cut by their own bytes, whatever the output buffer held before (a fuzz
 * finding: the cut looked at the unwritten output byte, so the same error read differently from run to run). */
static void quote_cuts_on_source_bytes(void **state) {
    (void)state;
    char in[100], out[16];
    memset(in, 0, sizeof in); /* control bytes: shown as '?' */
    memset(out, 0x80, sizeof out);
    plumb__quote(out, sizeof out, in, sizeof in);
    assert_string_equal(out, "????????????...");
    /* a two-byte UTF-8 character straddling the cut is left out whole */
    memcpy(in, "abcdefghijk\xc3\xa9xyz", 16);
    memset(out, 'z', sizeof out);
    plumb__quote(out, sizeof out, in, 16);
    assert_string_equal(out, "abcdefghijk...");
    plumb__quote(out, sizeof out, "short", 5);
    assert_string_equal(out, "short");
}

PLUMB_TEST_MAIN(cmocka_unit_test(quote_cuts_on_source_bytes), cmocka_unit_test(number_matches_strtod),
                cmocka_unit_test(number_stops_at_non_digits), cmocka_unit_test(float_rounding_is_correct),
                cmocka_unit_test(bool_forms), cmocka_unit_test(datetime_forms), cmocka_unit_test(civil_round_trip))
