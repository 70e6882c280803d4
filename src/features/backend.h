/* backend.h -- what a feature-store backend (sqlite.c, redis.c) provides to store.c, and the row they hand back.
 *
 * A backend has shared state (opened once, read-only afterwards, so any thread may use it) and per-thread
 * connections (created on a thread's first lookup, used by that thread alone). A lookup returns every column of
 * the entity as one row, which the cache keeps as it is.
 */
#ifndef PLUMB_FEATURES_BACKEND_H
#define PLUMB_FEATURES_BACKEND_H

#include "../base/base.h"

#include <stddef.h>

/* Every column of one entity, in one allocation (free() it), sorted by name (bytewise) for binary search; a
 * value is NULL for a NULL. */
typedef struct plumb__field {
    const char *name, *value;
} plumb__field;
typedef struct plumb__row {
    size_t n;
    plumb__field *fields;
} plumb__row;

/* A string that need not be NUL-terminated; s NULL for a NULL value. */
typedef struct plumb__text {
    const char *s;
    size_t len;
} plumb__text;

/* Field i of a backend's answer src: its name and value. Called twice per field (sizes, then copies). */
typedef void (*plumb__field_fn)(const void *src, size_t i, plumb__text *name, plumb__text *value);

/* A row of the n fields that field() reads from src, all copied. NULL when out of memory. */
plumb__row *plumb__row_create(size_t n, plumb__field_fn field, const void *src);

/* The index of the named column in row, or -1. */
ptrdiff_t plumb__row_find(const plumb__row *row, const char *name);

typedef struct plumb__store_backend {
    /* Opens the shared state for target (what follows the scheme) and table; the error says what is wrong. */
    plumb_status (*open)(const char *target, const char *table, void **state, plumb_error *err);
    /* Looks key up through *conn (NULL on a thread's first call: the backend connects and stores it there; it may
     * replace a broken one). *row is the entity or NULL when it does not exist. */
    plumb_status (*fetch)(void *state, void **conn, const char *key, plumb__row **row, plumb_error *err);
    void (*conn_free)(void *conn); /* accepts NULL */
    void (*close)(void *state);    /* accepts NULL */
} plumb__store_backend;

extern const plumb__store_backend plumb__store_sqlite, plumb__store_redis, plumb__store_query;

#endif /* PLUMB_FEATURES_BACKEND_H */
