/* parse.c -- request bodies to rows: KServe v2 named tensors and v1 instances, checked against a model's inputs.
 *
 * No HTTP and no model here, only the columns a model reads, so the fuzzer (tests/fuzz/fuzz_serve.c) drives this
 * file alone. A body is checked for size, nesting and string length before jansson sees it: jansson would build
 * a 100,000-deep document (one allocation a level) or a 1 GB string before we could refuse it.
 */
#include "serve.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of a UTF-8 character that starts with byte c: 1 to 4, or 0 when no character starts with c. */
static size_t utf8_lead(unsigned char c) {
    return c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

/* The length of the valid UTF-8 character at s, or 0 for an invalid or cut one (a NUL ends the check). Overlong
 * forms, surrogates and code points past U+10FFFF are invalid, as they are to jansson. */
static size_t utf8_char(const unsigned char *s) {
    const size_t len = utf8_lead(s[0]);
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (len > 1 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
                    (s[0] == 0xf4 && s[1] > 0x8f)))
        return 0;
    return len;
}

size_t plumb__serve_utf8_prefix(const char *s, size_t max) {
    size_t i = 0;
    while (i < max && s[i]) {
        const size_t lead = utf8_lead((unsigned char)s[i]);
        if (i + lead > max)
            break;
        const size_t k = lead > 1 ? utf8_char((const unsigned char *)s + i) : 1;
        i += k ? k : 1;
    }
    return i;
}

void plumb__serve_utf8_scrub(char *s) {
    while (*s) {
        const size_t k = utf8_char((const unsigned char *)s);
        if (k == 0)
            *s++ = '?';
        else
            s += k;
    }
}

int plumb__serve_fail(plumb__serve_problem *prob, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(prob->message, sizeof prob->message, fmt, ap);
    va_end(ap);
    /* a message cut at the buffer's end loses the part of a character it split; messages quote what clients and
     * stores sent, which need not be UTF-8, and the answer is JSON, which must be */
    if (n >= (int)sizeof prob->message)
        prob->message[plumb__serve_utf8_prefix(prob->message, sizeof prob->message - 1)] = '\0';
    plumb__serve_utf8_scrub(prob->message);
    prob->status = status;
    return status;
}

void plumb__serve_batch_free(plumb__serve_batch *b) {
    if (!b)
        return;
    free(b->values);
    free(b->cats);
    free(b->given);
    free(b->keys);
    for (size_t i = 0; i < b->n_owned; i++)
        free(b->owned[i]);
    free(b->owned);
    json_decref(b->root);
    memset(b, 0, sizeof *b);
}

const char *plumb__serve_batch_keep(plumb__serve_batch *b, const char *s) {
    if (b->n_owned == b->cap_owned) {
        const size_t cap = b->cap_owned ? 2 * b->cap_owned : 16;
        char **o = realloc(b->owned, cap * sizeof *o);
        if (!o)
            return NULL;
        b->owned = o;
        b->cap_owned = cap;
    }
    char *copy = strdup(s);
    if (copy)
        b->owned[b->n_owned++] = copy;
    return copy;
}

/* Refuses bodies nested deeper than max_depth, holding a string longer than max_string, or holding more JSON values
 * than max_batch rows of cols can need, in one pass that tracks only whether it is inside a string. jansson takes
 * some 40 bytes a value: an 8 MB body of 4 million zeros in an input no model reads would cost 170 MB before it
 * could be skipped. Values are counted as commas and containers, one per element or member; twice the model's
 * columns (and the entity key) leave room for a request sent to several models. */
static int prescan(const char *p, size_t len, const plumb__serve_limits *lim, const plumb__serve_columns *cols,
                   plumb__serve_problem *prob) {
    const size_t max_values = ((size_t)lim->max_batch + 16) * 2 * ((size_t)cols->n + 1);
    size_t values = 0;
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        const char c = p[i];
        if (c == '"') {
            const size_t start = ++i;
            while (i < len && p[i] != '"')
                i += p[i] == '\\' ? 2 : 1;
            if (i - start > lim->max_string)
                return plumb__serve_fail(prob, 413, "a string of %zu bytes at byte %zu exceeds the limit of %zu",
                                         (i < len ? i : len) - start, start, lim->max_string);
        } else if (c == '[' || c == '{') {
            if (++depth > lim->max_depth)
                return plumb__serve_fail(prob, 400, "JSON nested deeper than %d levels at byte %zu", lim->max_depth,
                                         i + 1);
            values++;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',') {
            values++;
        }
        if (values > max_values)
            return plumb__serve_fail(prob, 413,
                                     "the body holds over %zu JSON values at byte %zu: more than %lld rows of %lld "
                                     "inputs can need",
                                     max_values, i + 1, (long long)lim->max_batch, (long long)cols->n);
    }
    return 0;
}

static int64_t find_column(const plumb__serve_columns *cols, const char *name) {
    for (int64_t c = 0; c < cols->n; c++)
        if (strcmp(cols->names[c], name) == 0)
            return c;
    return -1;
}

static int alloc_rows(plumb__serve_batch *b, int64_t n_rows, int64_t n_cols, const plumb__serve_limits *lim,
                      plumb__serve_problem *prob) {
    if (n_rows < 1)
        return plumb__serve_fail(prob, 400, "the request holds no rows");
    if (n_rows > lim->max_batch)
        return plumb__serve_fail(prob, 413, "%lld rows exceed the batch limit of %lld", (long long)n_rows,
                                 (long long)lim->max_batch);
    const size_t n = (size_t)n_rows * (size_t)(n_cols ? n_cols : 1);
    b->n_rows = n_rows;
    b->n_cols = n_cols;
    b->values = malloc(n * sizeof *b->values);
    b->cats = calloc(n, sizeof *b->cats);
    b->given = calloc(n, 1);
    b->keys = calloc((size_t)n_rows, sizeof *b->keys);
    if (!b->values || !b->cats || !b->given || !b->keys)
        return plumb__serve_fail(prob, 500, "out of memory for %lld rows", (long long)n_rows);
    for (size_t i = 0; i < n; i++)
        b->values[i] = NAN;
    return 0;
}

/* Text of an entity key or a category sent as a number, as the client wrote it where that can be told: an integer
 * in full (through a double, 1234567890123456789 would lose its last digits), a real in the fewest digits that
 * read back as the same double (0.1, not 0.10000000000000001). */
static const char *number_text(plumb__serve_batch *b, const json_t *v) {
    char buf[40];
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        const double x = json_real_value(v);
        snprintf(buf, sizeof buf, "%.15g", x);
        if (strtod(buf, NULL) != x)
            snprintf(buf, sizeof buf, "%.17g", x);
    }
    return plumb__serve_batch_keep(b, buf);
}

/* Sets row r's value of column c (or its entity key, c == -2) from a JSON value; where names the value in errors
 * ("input 'age' element 3", "instance 2 field 'age'"). */
static int set_value(plumb__serve_batch *b, const plumb__serve_columns *cols, int64_t r, int64_t c, json_t *v,
                     const char *where, plumb__serve_problem *prob) {
    if (c == -2) {
        const char *key = json_is_string(v) ? json_string_value(v) : json_is_number(v) ? number_text(b, v) : NULL;
        if (json_is_null(v))
            return 0;
        if (!key && json_is_number(v))
            return plumb__serve_fail(prob, 500, "out of memory");
        if (!key)
            return plumb__serve_fail(prob, 422, "%s: an entity key must be a string or a number", where);
        b->keys[r] = key;
        return 0;
    }
    const size_t k = (size_t)r * (size_t)b->n_cols + (size_t)c;
    b->given[k] = 1;
    if (json_is_null(v))
        return 0;
    switch (cols->types[c]) {
    case PLUMB_TYPE_CATEGORICAL:
        if (json_is_string(v))
            b->cats[k] = json_string_value(v);
        else if (json_is_number(v))
            b->cats[k] = number_text(b, v);
        else
            return plumb__serve_fail(prob, 422, "%s: '%s' is categorical: a string expected", where, cols->names[c]);
        if (!b->cats[k])
            return plumb__serve_fail(prob, 500, "out of memory");
        return 0;
    case PLUMB_TYPE_BOOL:
        if (json_is_boolean(v)) {
            b->values[k] = json_is_true(v);
            return 0;
        }
        if (json_is_number(v) && (json_number_value(v) == 0 || json_number_value(v) == 1)) {
            b->values[k] = json_number_value(v);
            return 0;
        }
        return plumb__serve_fail(prob, 422, "%s: '%s' is bool: true, false, 0 or 1 expected", where, cols->names[c]);
    default:
        if (json_is_number(v)) {
            b->values[k] = json_number_value(v);
            return 0;
        }
        if (json_is_boolean(v)) {
            b->values[k] = json_is_true(v);
            return 0;
        }
        return plumb__serve_fail(prob, 422, "%s: '%s' is numeric: a number expected", where, cols->names[c]);
    }
}

/* Flattens nested arrays (row-major tensors) into flat, up to max elements. Returns the count, or -1 when a
 * non-array element sits beside an array or there are too many. */
static int64_t flatten(json_t *data, json_t *flat, int64_t max) {
    size_t i;
    json_t *v;
    json_array_foreach(data, i, v) {
        if (json_is_array(v)) {
            if (flatten(v, flat, max) < 0)
                return -1;
        } else if ((int64_t)json_array_size(flat) >= max || json_array_append(flat, v) != 0) {
            return -1;
        }
    }
    return (int64_t)json_array_size(flat);
}

static bool explain_flag(json_t *root) {
    json_t *params = json_object_get(root, "parameters");
    return json_is_true(json_object_get(root, "explain")) || json_is_true(json_object_get(params, "explain"));
}

static const char *const numeric_types[] = {"FP32", "FP64",   "FP16",   "INT64",  "INT32", "INT16",
                                            "INT8", "UINT64", "UINT32", "UINT16", "UINT8", "BOOL"};

static int parse_v2(json_t *root, const plumb__serve_columns *cols, const plumb__serve_limits *lim,
                    plumb__serve_batch *b, plumb__serve_problem *prob) {
    json_t *inputs = json_object_get(root, "inputs");
    if (!json_is_array(inputs) || json_array_size(inputs) == 0)
        return plumb__serve_fail(prob, 400, "'inputs' must be a non-empty array of tensors");
    const json_t *id = json_object_get(root, "id");
    if (id && !json_is_string(id))
        return plumb__serve_fail(prob, 400, "'id' must be a string");
    b->id = json_string_value(id);
    int64_t n_rows = -1;
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in) {
        json_t *shape = json_object_get(in, "shape");
        const char *name = json_string_value(json_object_get(in, "name"));
        if (!json_is_object(in) || !name)
            return plumb__serve_fail(prob, 400, "input %zu: an object with a string 'name' expected", i);
        if (!json_is_array(shape) || json_array_size(shape) < 1 || json_array_size(shape) > 2 ||
            !json_is_integer(json_array_get(shape, 0)) ||
            (json_array_size(shape) == 2 && json_integer_value(json_array_get(shape, 1)) != 1))
            return plumb__serve_fail(prob, 400, "input '%s': 'shape' must be [N] or [N, 1] (one tensor a column)",
                                     name);
        const json_int_t n = json_integer_value(json_array_get(shape, 0));
        if (n_rows >= 0 && n != n_rows)
            return plumb__serve_fail(prob, 400, "input '%s' has %lld rows, the first input %lld", name, (long long)n,
                                     (long long)n_rows);
        n_rows = n;
    }
    int r = alloc_rows(b, n_rows, cols->n, lim, prob);
    if (r)
        return r;
    uint8_t *seen = calloc((size_t)cols->n + 1, 1);
    json_t *flat = json_array();
    if (!seen || !flat) {
        r = plumb__serve_fail(prob, 500, "out of memory");
        goto done;
    }
    json_array_foreach(inputs, i, in) {
        const char *name = json_string_value(json_object_get(in, "name"));
        const char *dtype = json_string_value(json_object_get(in, "datatype"));
        json_t *data = json_object_get(in, "data");
        const bool is_key = cols->entity_key && strcmp(name, cols->entity_key) == 0;
        const int64_t c = is_key ? -2 : find_column(cols, name);
        if (c == -1)
            continue; /* an input the model does not read: clients may send one request to several models */
        if (seen[is_key ? cols->n : c]) {
            r = plumb__serve_fail(prob, 400, "input '%s' appears twice", name);
            goto done;
        }
        seen[is_key ? cols->n : c] = 1;
        if (!dtype) {
            r = plumb__serve_fail(prob, 400, "input '%s': a string 'datatype' expected", name);
            goto done;
        }
        bool known = strcmp(dtype, "BYTES") == 0;
        for (size_t t = 0; t < sizeof numeric_types / sizeof *numeric_types; t++)
            known |= strcmp(dtype, numeric_types[t]) == 0;
        if (!known) {
            r = plumb__serve_fail(prob, 400, "input '%s': unknown datatype '%s'", name, dtype);
            goto done;
        }
        const bool bytes = strcmp(dtype, "BYTES") == 0;
        if (!is_key && bytes != (cols->types[c] == PLUMB_TYPE_CATEGORICAL)) {
            r = plumb__serve_fail(prob, 422, "input '%s' is %s: datatype %s expected, got %s", name,
                                  plumb_type_name(cols->types[c]), bytes ? "FP32, FP64 or INT64" : "BYTES", dtype);
            goto done;
        }
        json_array_clear(flat);
        if (!json_is_array(data) || flatten(data, flat, b->n_rows + 1) != b->n_rows) {
            r = plumb__serve_fail(prob, 400, "input '%s': 'data' must be an array of %lld values", name,
                                  (long long)b->n_rows);
            goto done;
        }
        for (int64_t row = 0; row < b->n_rows; row++) {
            char where[300];
            snprintf(where, sizeof where, "input '%s' element %lld", name, (long long)row);
            if ((r = set_value(b, cols, row, c, json_array_get(flat, (size_t)row), where, prob)) != 0)
                goto done;
        }
    }
done:
    free(seen);
    json_decref(flat);
    return r;
}

static int parse_v1(json_t *root, const plumb__serve_columns *cols, const plumb__serve_limits *lim,
                    plumb__serve_batch *b, plumb__serve_problem *prob) {
    json_t *instances = json_object_get(root, "instances");
    if (!json_is_array(instances))
        return plumb__serve_fail(prob, 400, "'instances' must be an array of objects");
    int r = alloc_rows(b, (int64_t)json_array_size(instances), cols->n, lim, prob);
    if (r)
        return r;
    size_t row;
    json_t *inst;
    json_array_foreach(instances, row, inst) {
        if (!json_is_object(inst))
            return plumb__serve_fail(prob, 400, "instance %zu is not an object of column values", row);
        const char *name;
        json_t *v;
        json_object_foreach(inst, name, v) {
            const bool is_key = cols->entity_key && strcmp(name, cols->entity_key) == 0;
            const int64_t c = is_key ? -2 : find_column(cols, name);
            if (c == -1)
                continue;
            char where[300];
            snprintf(where, sizeof where, "instance %zu", row);
            if ((r = set_value(b, cols, (int64_t)row, c, v, where, prob)) != 0)
                return r;
        }
    }
    return 0;
}

/* ---- the direct parser ---------------------------------------------------------------------------------------- */

/* Most requests are a handful of plain rows: {"instances": [{"f0": 1.5, ...}]}. jansson builds a document of them
 * (an allocation a value, a hash table a row) only for the rows to be copied out of it again, about half of the
 * server's time outside scoring. This parser reads that common shape straight into the batch and declines (returns
 * false, the batch cleared) at anything else -- other members, escapes or bytes outside printable ASCII in a
 * string, nesting, numbers it cannot convert exactly as jansson does, a value of the wrong type, a duplicate -- so
 * that jansson then parses the body and says what is wrong with it as before: on every body it accepts, the batch
 * equals jansson's (fuzz_serve checks the two against each other). */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static bool eat(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string of printable ASCII without escapes: *s and *n its bytes, between the quotes. */
static bool plain_string(cursor *c, const char **s, size_t *n) {
    skip_space(c);
    if (c->p >= c->end || *c->p != '"')
        return false;
    const char *q = c->p + 1;
    while (q < c->end && *q != '"') {
        if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '\\')
            return false;
        q++;
    }
    if (q >= c->end)
        return false;
    *s = c->p + 1;
    *n = (size_t)(q - *s);
    c->p = q + 1;
    return true;
}

static bool literal(cursor *c, const char *word, size_t n) {
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

/* A JSON number as jansson reads it: an integer literal is a json_int_t (here up to 18 digits, exactly), a real
 * is strtod's double. Reals of at most 19 significant digits whose value is below 2^53 scaled by a power of ten up
 * to 22 are computed as one correctly rounded multiplication or division, which is strtod's result (Clinger's
 * fast path); other reals go to strtod itself. */
static bool number(cursor *c, double *x) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = c->p, *start = c->p, *end = c->end;
    const bool neg = p < end && *p == '-';
    p += neg;
    if (p >= end || !is_digit(*p))
        return false;
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return false; /* a leading zero: not JSON */
    }
    for (; p < end && is_digit(*p); p++, digits++)
        mant = mant * 10 + (uint64_t)(*p - '0');
    bool real = false;
    if (p < end && *p == '.') {
        real = true;
        if (++p >= end || !is_digit(*p))
            return false;
        for (; p < end && is_digit(*p); p++, digits++, exp10--)
            mant = mant * 10 + (uint64_t)(*p - '0');
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p >= end || !is_digit(*p))
            return false;
        int e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 10000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    c->p = p;
    if (!real) { /* json_int_t, then json_number_value's (double) */
        if (digits > 18)
            return false;
        *x = (double)(neg ? -(int64_t)mant : (int64_t)mant);
        return true;
    }
    if (digits <= 19 && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        const double m = (double)mant;
        *x = exp10 < 0 ? m / pow10[-exp10] : m * pow10[exp10];
        if (neg)
            *x = -*x;
        return true;
    }
    char buf[64];
    if ((size_t)(p - start) >= sizeof buf)
        return false;
    memcpy(buf, start, (size_t)(p - start));
    buf[p - start] = '\0';
    errno = 0;
    *x = strtod(buf, NULL);
    return errno == 0 && isfinite(*x);
}

bool plumb__serve_number(const char *s, size_t n, double *x) {
    cursor c = {s, s + n};
    if (!(n > 0 && number(&c, x) && c.p == c.end))
        return false;
    if (*x == 0 && s[0] == '-')
        *x = -0.0; /* "-0": jansson's integer 0, strtod's negative zero */
    return true;
}

/* What a scalar JSON value is, for the direct parser. */
typedef enum scalar_kind { S_NUMBER, S_STRING, S_TRUE, S_FALSE, S_NULL } scalar_kind;

typedef struct scalar {
    scalar_kind kind;
    double x;
    const char *s;
    size_t n;
} scalar;

static bool read_scalar(cursor *c, scalar *v) {
    skip_space(c);
    if (c->p >= c->end)
        return false;
    switch (*c->p) {
    case '"':
        v->kind = S_STRING;
        return plain_string(c, &v->s, &v->n);
    case 't':
        v->kind = S_TRUE;
        return literal(c, "true", 4);
    case 'f':
        v->kind = S_FALSE;
        return literal(c, "false", 5);
    case 'n':
        v->kind = S_NULL;
        return literal(c, "null", 4);
    default:
        v->kind = S_NUMBER;
        return number(c, &v->x);
    }
}

static const char *keep_n(plumb__serve_batch *b, const char *s, size_t n) {
    char buf[256];
    if (n >= sizeof buf) {
        char *copy = strndup(s, n);
        const char *kept = copy ? plumb__serve_batch_keep(b, copy) : NULL;
        free(copy);
        return kept;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return plumb__serve_batch_keep(b, buf);
}

/* set_value for the direct parser: the same value where set_value succeeds, false where it would fail (or where
 * it would turn a number into text). */
static bool set_scalar(plumb__serve_batch *b, const plumb__serve_columns *cols, int64_t r, int64_t c, const scalar *v,
                       bool *key_seen) {
    if (c == -2) {
        if (*key_seen)
            return false;
        *key_seen = true;
        if (v->kind == S_NULL)
            return true;
        if (v->kind != S_STRING)
            return false;
        return (b->keys[r] = keep_n(b, v->s, v->n)) != NULL;
    }
    const size_t k = (size_t)r * (size_t)b->n_cols + (size_t)c;
    if (b->given[k])
        return false; /* a duplicate member: jansson keeps the last one */
    b->given[k] = 1;
    if (v->kind == S_NULL)
        return true;
    switch (cols->types[c]) {
    case PLUMB_TYPE_CATEGORICAL:
        return v->kind == S_STRING && (b->cats[k] = keep_n(b, v->s, v->n)) != NULL;
    case PLUMB_TYPE_BOOL:
        if (v->kind == S_NUMBER && v->x != 0 && v->x != 1)
            return false;
        break;
    default:
        break;
    }
    if (v->kind == S_STRING)
        return false;
    b->values[k] = v->kind == S_NUMBER ? v->x : v->kind == S_TRUE;
    return true;
}

/* The column named s (n bytes), trying *hint first: rows usually list the columns in the model's order. -2: the
 * entity key; -1: a name the model does not read. */
static int64_t column_at(const plumb__serve_columns *cols, const char *s, size_t n, int64_t *hint) {
    if (cols->entity_key && strncmp(cols->entity_key, s, n) == 0 && cols->entity_key[n] == '\0')
        return -2;
    for (int64_t i = 0; i < cols->n; i++) {
        int64_t c = *hint + i;
        if (c >= cols->n)
            c -= cols->n;
        if (strncmp(cols->names[c], s, n) == 0 && cols->names[c][n] == '\0') {
            *hint = c + 1 < cols->n ? c + 1 : 0;
            return c;
        }
    }
    return -1;
}

/* Room for row r of n_cols in b (missing values, nothing given). */
static bool grow_rows(plumb__serve_batch *b, int64_t r, int64_t n_cols, int64_t *cap) {
    if (r >= *cap) {
        const int64_t rows = *cap ? 2 * *cap : 1;
        const size_t n = (size_t)rows * (size_t)(n_cols ? n_cols : 1);
        double *values = realloc(b->values, n * sizeof *values);
        if (values)
            b->values = values;
        const char **cats = realloc(b->cats, n * sizeof *cats);
        if (cats)
            b->cats = cats;
        uint8_t *given = realloc(b->given, n);
        if (given)
            b->given = given;
        const char **keys = realloc(b->keys, (size_t)rows * sizeof *keys);
        if (keys)
            b->keys = keys;
        if (!values || !cats || !given || !keys)
            return false;
        *cap = rows;
    }
    const size_t w = (size_t)(n_cols ? n_cols : 1), off = (size_t)r * w;
    for (size_t i = 0; i < w; i++) {
        b->values[off + i] = NAN;
        b->cats[off + i] = NULL;
        b->given[off + i] = 0;
    }
    b->keys[r] = NULL;
    return true;
}

/* {"instances": [{...}, ...]} and nothing else, read into b; false: declined (b may hold part of it). */
static bool direct_v1(const char *body, size_t len, const plumb__serve_columns *cols, const plumb__serve_limits *lim,
                      plumb__serve_batch *b) {
    cursor c = {body, body + len};
    const char *s;
    size_t n;
    if (!eat(&c, '{') || !plain_string(&c, &s, &n) || n != 9 || memcmp(s, "instances", 9) != 0 || !eat(&c, ':') ||
        !eat(&c, '['))
        return false;
    int64_t cap = 0, r = 0, hint = 0;
    b->n_cols = cols->n;
    do {
        if (r >= lim->max_batch || !grow_rows(b, r, cols->n, &cap) || !eat(&c, '{'))
            return false;
        b->n_rows = r + 1;
        bool key_seen = false;
        if (!eat(&c, '}')) {
            do {
                scalar v;
                if (!plain_string(&c, &s, &n) || !eat(&c, ':') || !read_scalar(&c, &v))
                    return false;
                const int64_t col = column_at(cols, s, n, &hint);
                if (col != -1 && !set_scalar(b, cols, r, col, &v, &key_seen))
                    return false;
            } while (eat(&c, ','));
            if (!eat(&c, '}'))
                return false;
        }
        r++;
    } while (eat(&c, ','));
    if (!eat(&c, ']') || !eat(&c, '}'))
        return false;
    skip_space(&c);
    return c.p == c.end;
}

/* An integer literal, as json_is_integer sees one (no fraction, no exponent), of at most 18 digits. */
static bool integer(cursor *c, int64_t *v) {
    skip_space(c);
    const char *p = c->p;
    const bool neg = p < c->end && *p == '-';
    p += neg;
    if (p >= c->end || !is_digit(*p) || (*p == '0' && p + 1 < c->end && is_digit(p[1])))
        return false;
    int64_t x = 0;
    for (int d = 0; p < c->end && is_digit(*p); p++, d++) {
        if (d == 18)
            return false;
        x = x * 10 + (*p - '0');
    }
    if (p < c->end && (*p == '.' || *p == 'e' || *p == 'E'))
        return false;
    c->p = p;
    *v = neg ? -x : x;
    return true;
}

/* A flat array of scalars, skipped; *count its elements. */
static bool skip_flat_array(cursor *c, int64_t *count) {
    *count = 0;
    if (!eat(c, '['))
        return false;
    if (eat(c, ']'))
        return true;
    do {
        scalar v;
        if (!read_scalar(c, &v))
            return false;
        ++*count;
    } while (eat(c, ','));
    return eat(c, ']');
}

/* One v2 input as the direct parser takes it: name, datatype, shape [N] or [N, 1] and a flat data array, each
 * once, nothing else. */
typedef struct tensor {
    const char *name, *dtype, *data; /* data: where its array starts, read on the second pass */
    size_t name_n, dtype_n;
    int64_t rows, count;
} tensor;

static bool key_is(const char *s, size_t n, const char *key) {
    return strlen(key) == n && memcmp(s, key, n) == 0;
}

static bool read_tensor(cursor *c, tensor *t) {
    bool name = false, dtype = false, shape = false, data = false;
    if (!eat(c, '{'))
        return false;
    do {
        const char *k;
        size_t n;
        int64_t one = 1;
        if (!plain_string(c, &k, &n) || !eat(c, ':'))
            return false;
        if (key_is(k, n, "name") && !name) {
            if (!(name = plain_string(c, &t->name, &t->name_n)))
                return false;
        } else if (key_is(k, n, "datatype") && !dtype) {
            if (!(dtype = plain_string(c, &t->dtype, &t->dtype_n)))
                return false;
        } else if (key_is(k, n, "shape") && !shape) {
            if (!(shape = eat(c, '[') && integer(c, &t->rows) && (!eat(c, ',') || integer(c, &one)) && one == 1 &&
                          eat(c, ']')))
                return false;
        } else if (key_is(k, n, "data") && !data) {
            skip_space(c);
            t->data = c->p;
            if (!(data = skip_flat_array(c, &t->count)))
                return false;
        } else {
            return false;
        }
    } while (eat(c, ','));
    return eat(c, '}') && name && dtype && shape && data;
}

/* The second pass over input t of a v2 body that ends at end: its data into b's rows. */
static bool read_input(const char *end, const tensor *t, const plumb__serve_columns *cols, int64_t rows, uint8_t *seen,
                       int64_t *hint, plumb__serve_batch *b) {
    const int64_t col = column_at(cols, t->name, t->name_n, hint);
    if (col == -1)
        return true; /* an input the model does not read */
    if (seen[col == -2 ? cols->n : col]++)
        return false;
    const bool bytes = key_is(t->dtype, t->dtype_n, "BYTES");
    bool known = bytes;
    for (size_t i = 0; i < sizeof numeric_types / sizeof *numeric_types; i++)
        known |= key_is(t->dtype, t->dtype_n, numeric_types[i]);
    if (!known || (col != -2 && bytes != (cols->types[col] == PLUMB_TYPE_CATEGORICAL)) || t->count != rows)
        return false;
    cursor d = {t->data, end};
    eat(&d, '[');
    for (int64_t r = 0; r < rows; r++) {
        scalar v;
        bool key_seen = false;
        if ((r && !eat(&d, ',')) || !read_scalar(&d, &v) || !set_scalar(b, cols, r, col, &v, &key_seen))
            return false;
    }
    return true;
}

#define DIRECT_MAX_INPUTS 64

/* {"inputs": [...], "id": "..."} (id optional, either order) and nothing else, read into b in two passes: the
 * inputs' shapes first (the row count), then their data; false: declined. */
static bool direct_v2(const char *body, size_t len, const plumb__serve_columns *cols, const plumb__serve_limits *lim,
                      plumb__serve_batch *b) {
    tensor in[DIRECT_MAX_INPUTS];
    int n_in = 0;
    bool inputs = false, id = false;
    const char *id_s = NULL;
    size_t id_n = 0;
    cursor c = {body, body + len};
    if (!eat(&c, '{'))
        return false;
    do {
        const char *k;
        size_t n;
        if (!plain_string(&c, &k, &n) || !eat(&c, ':'))
            return false;
        if (key_is(k, n, "id") && !id) {
            if (!(id = plain_string(&c, &id_s, &id_n)))
                return false;
        } else if (key_is(k, n, "inputs") && !inputs) {
            inputs = true;
            if (!eat(&c, '['))
                return false;
            do {
                if (n_in == DIRECT_MAX_INPUTS || !read_tensor(&c, &in[n_in++]))
                    return false;
            } while (eat(&c, ','));
            if (!eat(&c, ']'))
                return false;
        } else {
            return false;
        }
    } while (eat(&c, ','));
    if (!eat(&c, '}') || !inputs)
        return false;
    skip_space(&c);
    if (c.p != c.end)
        return false;
    const int64_t rows = in[0].rows;
    for (int i = 1; i < n_in; i++)
        if (in[i].rows != rows)
            return false;
    plumb__serve_problem ignored;
    if (alloc_rows(b, rows, cols->n, lim, &ignored) != 0 || (id && !(b->id = keep_n(b, id_s, id_n))))
        return false;
    uint8_t *seen = calloc((size_t)cols->n + 1, 1); /* per column, and the key: one given twice declines */
    bool ok = seen != NULL;
    int64_t hint = 0;
    for (int i = 0; i < n_in && ok; i++)
        ok = read_input(body + len, &in[i], cols, rows, seen, &hint, b);
    free(seen);
    return ok;
}

/* The checks every body gets before it is read: its size, then prescan. */
static int check_body(const char *body, size_t len, const plumb__serve_columns *cols, const plumb__serve_limits *lim,
                      plumb__serve_batch *out, plumb__serve_problem *prob) {
    memset(out, 0, sizeof *out);
    prob->status = 0;
    prob->message[0] = '\0';
    if (len > lim->max_body)
        return plumb__serve_fail(prob, 413, "a body of %zu bytes exceeds the limit of %zu", len, lim->max_body);
    return prescan(body, len, lim, cols, prob);
}

static int parse_document(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                          const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob) {
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root)
        return plumb__serve_fail(prob, 400, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                                 jerr.text);
    out->root = root;
    if (!json_is_object(root))
        return plumb__serve_fail(prob, 400, "the body must be a JSON object");
    out->explain = explain_flag(root);
    return proto == PLUMB__SERVE_V2 ? parse_v2(root, cols, lim, out, prob) : parse_v1(root, cols, lim, out, prob);
}

int plumb__serve_parse(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                       const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob) {
    const int r = check_body(body, len, cols, lim, out, prob);
    if (r)
        return r;
    if (proto == PLUMB__SERVE_V1 ? direct_v1(body, len, cols, lim, out) : direct_v2(body, len, cols, lim, out))
        return 0;
    plumb__serve_batch_free(out);
    return parse_document(body, len, proto, cols, lim, out, prob);
}

int plumb__serve_parse_json(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                            const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob) {
    const int r = check_body(body, len, cols, lim, out, prob);
    return r ? r : parse_document(body, len, proto, cols, lim, out, prob);
}
