/* store.h -- the feature store: stored features of an entity, by key, from SQLite or Redis, behind an LRU cache.
 *
 * Internal (src/serve includes it as ../features/store.h). A store is opened once and then shared by any number of
 * threads: each thread gets its own backend connection and its own scratch for the strings it is handed, so
 * lookups never wait on each other except for the cache's short critical section.
 */
#ifndef PLUMB_FEATURES_STORE_H
#define PLUMB_FEATURES_STORE_H

#include "../base/base.h"

#include <stddef.h>
#include <stdint.h>

typedef struct plumb__store plumb__store;

typedef struct plumb__store_stats {
    uint64_t hits, misses, expired, evictions, not_found, errors; /* cumulative, read atomically */
} plumb__store_stats;

/* Opens a store. uri: "redis://HOST:PORT" (hiredis; an entity is the hash "TABLE:KEY"), or a SQLite file path
 * (optionally "sqlite:PATH"; an entity is the row of table TABLE whose key column equals KEY), or "query:PATH", a
 * SQLite file queried per lookup: TABLE is then the path of a file of one SELECT whose parameter ?1 is KEY, an
 * entity the first row it returns (features aggregated per request; a bad query is file:line:col at open).
 * cache_size: entities kept in the in-process LRU cache (0 = no cache); cache_ttl_s: seconds an entry lives
 * (<= 0: forever). Safe for concurrent callers after open. */
plumb_status plumb__store_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                               plumb__store **out, plumb_error *err);

/* Looks up entity KEY and fills values[i] with the stored text of column cols[i] (NULL when the entity lacks
 * that column or it is NULL). *found = 0 when the entity does not exist (not an error). The strings stay valid
 * until the same thread's next plumb__store_get on the same store (per-thread scratch; no allocation on a cache
 * hit). Returns PLUMB_EIO (or the matching status) with a message when the backend is down or answers
 * garbage: the server turns that into a fallback or a 503, never a crash. */
plumb_status plumb__store_get(plumb__store *s, const char *key, size_t n_cols, const char *const *cols,
                              const char **values, int *found, plumb_error *err);

void plumb__store_stats_get(const plumb__store *s, plumb__store_stats *out);
void plumb__store_close(plumb__store *s); /* accepts NULL */

#endif /* PLUMB_FEATURES_STORE_H */
