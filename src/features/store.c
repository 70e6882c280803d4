/* store.c -- STAND-IN for the feature store (replaced whole by the store branch's src/features/): the interface
 * of store.h over a plain CSV file (header line, no quoting, the first column is the entity key), read again at
 * every lookup so that a test can take the "store" down by removing the file. No cache: every lookup is a miss.
 * It exists only so that src/serve/entity.c is built and tested against the real interface before the merge.
 */
#include "store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plumb__store {
    char *path;
    _Atomic uint64_t misses, not_found, errors;
};

static void fail(plumb_error *err, plumb_status code, const char *path, const char *msg) {
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path);
    snprintf(err->message, sizeof err->message, "%s", msg);
}

plumb_status plumb__store_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                               plumb__store **out, plumb_error *err) {
    (void)table, (void)cache_size, (void)cache_ttl_s;
    *out = calloc(1, sizeof **out);
    if (!*out || !((*out)->path = strdup(strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri))) {
        free(*out);
        *out = NULL;
        fail(err, PLUMB_ENOMEM, "", "out of memory");
        return PLUMB_ENOMEM;
    }
    return PLUMB_OK;
}

/* splits line at commas in place into at most max fields; returns the count */
static size_t split(char *line, char **fields, size_t max) {
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max; p++) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    return n;
}

plumb_status plumb__store_get(plumb__store *s, const char *key, size_t n_cols, const char *const *cols,
                              const char **values, int *found, plumb_error *err) {
    static _Thread_local char header[4096], row[4096];
    char *names[128], *fields[128];
    FILE *f = fopen(s->path, "r");
    *found = 0;
    for (size_t c = 0; c < n_cols; c++)
        values[c] = NULL;
    if (!f || !fgets(header, sizeof header, f)) {
        if (f)
            fclose(f);
        atomic_fetch_add(&s->errors, 1);
        fail(err, PLUMB_EIO, s->path, "cannot read the feature file");
        return PLUMB_EIO;
    }
    atomic_fetch_add(&s->misses, 1);
    const size_t n_names = split(header, names, 128);
    while (fgets(row, sizeof row, f)) {
        const size_t n = split(row, fields, 128);
        if (n == 0 || strcmp(fields[0], key) != 0)
            continue;
        *found = 1;
        for (size_t c = 0; c < n_cols; c++)
            for (size_t i = 1; i < n && i < n_names; i++)
                if (strcmp(names[i], cols[c]) == 0)
                    values[c] = fields[i][0] ? fields[i] : NULL;
        break;
    }
    fclose(f);
    if (!*found)
        atomic_fetch_add(&s->not_found, 1);
    return PLUMB_OK;
}

void plumb__store_stats_get(const plumb__store *s, plumb__store_stats *out) {
    memset(out, 0, sizeof *out);
    out->misses = atomic_load(&s->misses);
    out->not_found = atomic_load(&s->not_found);
    out->errors = atomic_load(&s->errors);
}

void plumb__store_close(plumb__store *s) {
    if (!s)
        return;
    free(s->path);
    free(s);
}
