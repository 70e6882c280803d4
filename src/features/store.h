/* store.h -- STAND-IN copy of the feature store's interface (/work/store_iface.md), so that src/serve compiles and
 * its tests run before the store branch lands; the store branch's own store.h replaces this file unchanged.
 */
#ifndef PLUMB_FEATURES_STORE_H
#define PLUMB_FEATURES_STORE_H

#include <plumb/plumb.h>

#include <stddef.h>
#include <stdint.h>

typedef struct plumb__store plumb__store;

typedef struct plumb__store_stats {
    uint64_t hits, misses, expired, evictions, not_found, errors; /* cumulative, read atomically */
} plumb__store_stats;

plumb_status plumb__store_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                               plumb__store **out, plumb_error *err);
plumb_status plumb__store_get(plumb__store *s, const char *key, size_t n_cols, const char *const *cols,
                              const char **values, int *found, plumb_error *err);
void plumb__store_stats_get(const plumb__store *s, plumb__store_stats *out);
void plumb__store_close(plumb__store *s); /* accepts NULL */

#endif
