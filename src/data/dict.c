/* dict.c -- string dictionary with dense codes; see dict.h. */
#include "dict.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, 64-bit */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    return h ^ (h >> 29);
}

static bool same(const plumb__dict *d, int32_t code, const char *s, size_t len) {
    return d->lens[code] == len && memcmp(d->pool + d->offsets[code], s, len) == 0;
}

int32_t plumb__dict_find(const plumb__dict *d, const char *s, size_t len) {
    if (d->n_slots == 0)
        return -1;
    size_t mask = d->n_slots - 1;
    for (size_t i = hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
        int32_t c = d->slots[i];
        if (c < 0)
            return -1;
        if (same(d, c, s, len))
            return c;
    }
}

static bool rehash(plumb__dict *d, size_t n_slots) {
    int32_t *slots = malloc(n_slots * sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0xff, n_slots * sizeof *slots);
    size_t mask = n_slots - 1;
    for (int32_t c = 0; c < d->n; c++) {
        size_t i = hash_bytes(d->pool + d->offsets[c], d->lens[c]) & mask;
        while (slots[i] >= 0)
            i = (i + 1) & mask;
        slots[i] = c;
    }
    free(d->slots);
    d->slots = slots;
    d->n_slots = n_slots;
    return true;
}

int32_t plumb__dict_intern(plumb__dict *d, const char *s, size_t len, bool *added) {
    if (added)
        *added = false;
    if (len > UINT32_MAX)
        return -1;
    if ((size_t)d->n * 2 + 2 > d->n_slots && !rehash(d, d->n_slots ? d->n_slots * 2 : 16))
        return -1;
    size_t mask = d->n_slots - 1;
    size_t i = hash_bytes(s, len) & mask;
    for (; d->slots[i] >= 0; i = (i + 1) & mask)
        if (same(d, d->slots[i], s, len))
            return d->slots[i];
    if (d->n == INT32_MAX)
        return -1;
    if (d->n == d->cap) {
        int32_t cap = d->cap ? (d->cap > INT32_MAX / 2 ? INT32_MAX : d->cap * 2) : 16;
        size_t *offsets = realloc(d->offsets, (size_t)cap * sizeof *offsets);
        if (!offsets)
            return -1;
        d->offsets = offsets;
        uint32_t *lens = realloc(d->lens, (size_t)cap * sizeof *lens);
        if (!lens)
            return -1;
        d->lens = lens;
        d->cap = cap;
    }
    if (d->pool_len + len + 1 > d->pool_cap) {
        size_t cap = d->pool_cap ? d->pool_cap : 256;
        while (cap < d->pool_len + len + 1)
            cap *= 2;
        char *pool = realloc(d->pool, cap);
        if (!pool)
            return -1;
        d->pool = pool;
        d->pool_cap = cap;
    }
    memcpy(d->pool + d->pool_len, s, len);
    d->pool[d->pool_len + len] = '\0';
    int32_t code = d->n++;
    d->offsets[code] = d->pool_len;
    d->lens[code] = (uint32_t)len;
    d->pool_len += len + 1;
    d->slots[i] = code;
    if (added)
        *added = true;
    return code;
}

bool plumb__dict_copy(plumb__dict *dst, const plumb__dict *src) {
    for (int32_t k = 0; k < src->n; k++)
        if (plumb__dict_intern(dst, plumb__dict_str(src, k), src->lens[k], NULL) < 0)
            return false;
    return true;
}

void plumb__dict_clear(plumb__dict *d) {
    free(d->pool);
    free(d->offsets);
    free(d->lens);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

size_t plumb__dict_memory(const plumb__dict *d) {
    return d->pool_cap + (size_t)d->cap * (sizeof *d->offsets + sizeof *d->lens) + d->n_slots * sizeof *d->slots;
}
