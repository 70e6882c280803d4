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

/* Every column of one entity, in one allocation (free() it). Names are sorted bytewise for binary search;
 * values[i] is NULL for a NULL value. */
typedef struct plumb__row {
    size_t n;
    const char **names, **values;
} plumb__row;

/* A row of n columns from (names[i], name_lens[i]) and (values[i], value_lens[i]) (values[i] may be NULL), all
 * copied. NULL when out of memory. */
plumb__row *plumb__row_create(size_t n, const char *const *names, const size_t *name_lens, const char *const *values,
                              const size_t *value_lens);

/* The index of the named column in row, or -1. */
ptrdiff_t plumb__row_find(const plumb__row *row, const char *name);

typedef struct plumb__store_backend {
    const char *name;
    /* Opens the shared state for target (what follows the scheme) and table; the error says what is wrong. */
    plumb_status (*open)(const char *target, const char *table, void **state, plumb_error *err);
    /* Looks key up through *conn (NULL on a thread's first call: the backend connects and stores it there; it may
     * replace a broken one). *row is the entity or NULL when it does not exist. */
    plumb_status (*fetch)(void *state, void **conn, const char *key, plumb__row **row, plumb_error *err);
    void (*conn_free)(void *conn); /* accepts NULL */
    void (*close)(void *state);    /* accepts NULL */
} plumb__store_backend;

extern const plumb__store_backend plumb__store_sqlite, plumb__store_redis;

#endif /* PLUMB_FEATURES_BACKEND_H */
