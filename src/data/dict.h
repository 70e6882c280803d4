/* dict.h -- a string dictionary: interned byte strings with dense int32 codes in insertion order.
 *
 * Strings live NUL-terminated in one growing pool (they may contain NUL bytes themselves; lengths are kept).
 * Lookups hash with FNV-1a into an open-addressing table kept at most half full.
 */
#ifndef PLUMB_DATA_DICT_H
#define PLUMB_DATA_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct plumb__dict {
    char *pool;
    size_t pool_len, pool_cap;
    size_t *offsets; /* per code: start in pool */
    uint32_t *lens;  /* per code: length in bytes */
    int32_t n, cap;  /* codes in use, capacity of offsets/lens */
    int32_t *slots;  /* hash table of codes, -1 empty */
    size_t n_slots;  /* power of two */
} plumb__dict;

/* The code of [s, s+len), inserting it when new (*added set then, may be NULL). -1 when out of memory or the
 * dictionary is full (2^31 - 1 entries). */
int32_t plumb__dict_intern(plumb__dict *d, const char *s, size_t len, bool *added);

/* The code of [s, s+len), or -1 when absent. */
int32_t plumb__dict_find(const plumb__dict *d, const char *s, size_t len);

static inline const char *plumb__dict_str(const plumb__dict *d, int32_t code) {
    return d->pool + d->offsets[code];
}

/* Interns every string of src into dst, in src's code order. Returns false when out of memory. */
bool plumb__dict_copy(plumb__dict *dst, const plumb__dict *src);

/* Releases the dictionary's memory and zeroes it; the struct itself is the caller's. */
void plumb__dict_clear(plumb__dict *d);

/* Bytes held. */
size_t plumb__dict_memory(const plumb__dict *d);

#endif /* PLUMB_DATA_DICT_H */
