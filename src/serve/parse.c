/* parse.c -- request bodies to rows: KServe v2 named tensors and v1 instances, checked against a model's inputs.
 *
 * No HTTP and no model here, only the columns a model reads, so the fuzzer (tests/fuzz/fuzz_serve.c) drives this
 * file alone. A body is checked for size, nesting and string length before jansson sees it: jansson would build
 * a 100,000-deep document (one allocation a level) or a 1 GB string before we could refuse it.
 */
#include "serve.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int plumb__serve_fail(plumb__serve_problem *prob, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prob->message, sizeof prob->message, fmt, ap);
    va_end(ap);
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

/* Refuses bodies nested deeper than max_depth or holding a string longer than max_string, in one pass that
 * tracks only whether it is inside a string. */
static int prescan(const char *p, size_t len, const plumb__serve_limits *lim, plumb__serve_problem *prob) {
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
        } else if (c == ']' || c == '}') {
            depth--;
        }
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

/* Text of an entity key or a category sent as a number: integers without a decimal point. */
static const char *number_text(plumb__serve_batch *b, double x) {
    char buf[40];
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, sizeof buf, "%.0f", x);
    else
        snprintf(buf, sizeof buf, "%.17g", x);
    return plumb__serve_batch_keep(b, buf);
}

/* Sets row r's value of column c (or its entity key, c == -2) from a JSON value; where names the value in errors
 * ("input 'age' element 3", "instance 2 field 'age'"). */
static int set_value(plumb__serve_batch *b, const plumb__serve_columns *cols, int64_t r, int64_t c, json_t *v,
                     const char *where, plumb__serve_problem *prob) {
    if (c == -2) {
        const char *key = json_is_string(v)                       ? json_string_value(v)
                          : json_is_integer(v) || json_is_real(v) ? number_text(b, json_number_value(v))
                                                                  : NULL;
        if (json_is_null(v))
            return 0;
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
            b->cats[k] = number_text(b, json_number_value(v));
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

int plumb__serve_parse(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                       const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob) {
    memset(out, 0, sizeof *out);
    prob->status = 0;
    prob->message[0] = '\0';
    if (len > lim->max_body)
        return plumb__serve_fail(prob, 413, "a body of %zu bytes exceeds the limit of %zu", len, lim->max_body);
    int r = prescan(body, len, lim, prob);
    if (r)
        return r;
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
