/* entity.c -- features joined from the feature store (src/features/store.h) for rows that name an entity.
 *
 * The only file of src/serve that knows the store. Values the request sent win over stored ones; a stored value
 * is text (SQLite column or Redis hash field) read as the model's column type wants it. The store's strings live
 * until this thread's next lookup, so categories are copied into the batch.
 */
#include "serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../features/store.h"

struct plumb__serve_entities {
    plumb__store *store;
};

plumb_status plumb__serve_entities_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                                        plumb__serve_entities **out, plumb_error *err) {
    *out = calloc(1, sizeof **out);
    if (!*out)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = plumb__store_open(uri, table, cache_size, cache_ttl_s, &(*out)->store, err);
    if (st != PLUMB_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

void plumb__serve_entities_close(plumb__serve_entities *e) {
    if (!e)
        return;
    plumb__store_close(e->store);
    free(e);
}

void plumb__serve_entities_stats(const plumb__serve_entities *e, plumb__serve_entity_stats *out) {
    plumb__store_stats s;
    plumb__store_stats_get(e->store, &s);
    out->hits = s.hits;
    out->misses = s.misses; /* expired entries included: they went to the backend */
    out->errors = s.errors;
}

/* Reads stored text as a value of column type type into *x (numeric, bool); false when it is not one. */
static bool stored_number(const char *text, plumb_type type, double *x) {
    if (type == PLUMB_TYPE_BOOL) {
        if (strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0)
            *x = 1;
        else if (strcmp(text, "0") == 0 || strcasecmp(text, "false") == 0)
            *x = 0;
        else
            return false;
        return true;
    }
    if (plumb__serve_number(text, strlen(text), x)) /* most stored numbers: without strtod's big-number code */
        return true;
    char *end;
    *x = strtod(text, &end);
    return end != text && *end == '\0';
}

int plumb__serve_entities_join(plumb__serve_entities *e, const plumb__serve_columns *cols, bool missing_ok,
                               plumb__serve_batch *b, plumb__serve_problem *prob) {
    const char **values = calloc((size_t)cols->n + 1, sizeof *values);
    int r = 0;
    if (!values)
        return plumb__serve_fail(prob, 500, "out of memory");
    for (int64_t row = 0; row < b->n_rows && r == 0; row++) {
        if (!b->keys[row])
            continue;
        plumb_error err;
        int found = 0;
        if (plumb__store_get(e->store, b->keys[row], (size_t)cols->n, cols->names, values, &found, &err) != PLUMB_OK) {
            char msg[PLUMB_ERROR_MAX];
            r = plumb__serve_fail(prob, 503, "feature store: %s", plumb_error_format(&err, msg, sizeof msg));
            break;
        }
        if (!found) {
            if (!missing_ok)
                r = plumb__serve_fail(prob, 404, "row %lld: entity '%s' not found in the feature store", (long long)row,
                                      b->keys[row]);
            continue;
        }
        for (int64_t c = 0; c < cols->n && r == 0; c++) {
            const size_t k = (size_t)row * (size_t)b->n_cols + (size_t)c;
            if (b->given[k] || !values[c])
                continue;
            if (cols->types[c] == PLUMB_TYPE_CATEGORICAL) {
                if (!(b->cats[k] = plumb__serve_batch_keep(b, values[c])))
                    r = plumb__serve_fail(prob, 500, "out of memory");
            } else if (values[c][0] != '\0' && !stored_number(values[c], cols->types[c], &b->values[k])) {
                r = plumb__serve_fail(prob, 503, "feature store: entity '%s' column '%s' holds '%s', not a %s value",
                                      b->keys[row], cols->names[c], values[c], plumb_type_name(cols->types[c]));
            }
        }
    }
    free(values);
    return r;
}
