/* store.c -- the feature store's front: the backend named by the URI, per-thread state, and the LRU cache.
 *
 * The cache is a hash map of entries chained per bucket plus a doubly linked list in recency order (head: most
 * recently used), both under one mutex; an entry holds every column of its entity (or none: the entity does not
 * exist, so unknown keys do not reach the backend on every request either). The critical section is a lookup, a
 * relink and a copy of the asked-for values into the calling thread's scratch; backend round trips happen outside
 * it, so one slow fetch never holds up hits of other threads. Two threads that miss the same key both fetch it and
 * the later insert wins: rare, and cheaper than making the others wait.
 *
 * Each thread that calls plumb__store_get gets a thread_ctx (pthread key): its backend connection and its scratch
 * buffer. The store keeps a list of them so plumb__store_close can free the contexts of threads that are still
 * alive; a thread that exits first frees its own through the key's destructor.
 */
#include "store.h"
#include "backend.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct entry {
    struct entry *hnext, *prev, *next;
    uint64_t hash;
    double expires;  /* monotonic seconds; INFINITY: never */
    plumb__row *row; /* NULL: the entity does not exist */
    char key[];
} entry;

typedef struct thread_ctx {
    plumb__store *s;
    void *conn;
    char *scratch;
    size_t cap;
    ptrdiff_t *hint; /* per asked-for column, where the last row had it: rows of one table share their layout */
    size_t n_hint;
    struct thread_ctx *prev, *next;
} thread_ctx;

struct plumb__store {
    const plumb__store_backend *be;
    void *state;
    pthread_key_t key;
    pthread_mutex_t ctx_lock;
    thread_ctx *ctxs;

    pthread_mutex_t lock; /* the cache: buckets, list, n */
    size_t capacity;
    double ttl;
    entry **buckets;
    size_t n_buckets, n; /* n_buckets: a power of two, at least twice the capacity */
    entry *head, *tail;

    _Atomic uint64_t hits, misses, expired, evictions, not_found, errors;
};

/* ---------------------------------------------------------------------------------------------------------- */
/* Rows                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

static int cmp_fields(const void *a, const void *b) {
    return strcmp(((const plumb__field *)a)->name, ((const plumb__field *)b)->name);
}

plumb__row *plumb__row_create(size_t n, plumb__field_fn field, const void *src) {
    size_t bytes = sizeof(plumb__row) + n * sizeof(plumb__field);
    plumb__text name, value;
    for (size_t i = 0; i < n; i++) {
        field(src, i, &name, &value);
        bytes += name.len + 1 + (value.s ? value.len + 1 : 0);
    }
    plumb__row *row = malloc(bytes);
    if (!row)
        return NULL;
    row->n = n;
    row->fields = (plumb__field *)(row + 1);
    char *p = (char *)(row->fields + n);
    for (size_t i = 0; i < n; i++) {
        field(src, i, &name, &value);
        row->fields[i].name = memcpy(p, name.s, name.len);
        p[name.len] = '\0';
        p += name.len + 1;
        row->fields[i].value = NULL;
        if (value.s) {
            row->fields[i].value = memcpy(p, value.s, value.len);
            p[value.len] = '\0';
            p += value.len + 1;
        }
    }
    qsort(row->fields, n, sizeof *row->fields, cmp_fields);
    return row;
}

ptrdiff_t plumb__row_find(const plumb__row *row, const char *name) {
    size_t lo = 0, hi = row->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(row->fields[mid].name, name);
        if (c == 0)
            return (ptrdiff_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Copies the values of cols in row (NULL row: the entity does not exist) into the thread's scratch and points
 * values at them. The scratch only grows, so once it is large enough this allocates nothing. */
static plumb_status fill(thread_ctx *t, const plumb__row *row, size_t n_cols, const char *const *cols,
                         const char **values, plumb_error *err) {
    size_t need = 0;
    if (t->n_hint < n_cols) {
        ptrdiff_t *h = realloc(t->hint, n_cols * sizeof *h);
        if (h) {
            for (size_t i = t->n_hint; i < n_cols; i++)
                h[i] = -1;
            t->hint = h;
            t->n_hint = n_cols;
        }
    }
    for (size_t i = 0; i < n_cols; i++) {
        ptrdiff_t k = -1;
        if (row) {
            const ptrdiff_t h = i < t->n_hint ? t->hint[i] : -1;
            k = h >= 0 && (size_t)h < row->n && strcmp(row->fields[h].name, cols[i]) == 0
                    ? h
                    : plumb__row_find(row, cols[i]);
            if (i < t->n_hint)
                t->hint[i] = k;
        }
        values[i] = k >= 0 ? row->fields[k].value : NULL;
        need += values[i] ? strlen(values[i]) + 1 : 0;
    }
    if (need > t->cap) {
        char *b = realloc(t->scratch, need);
        if (!b) {
            for (size_t i = 0; i < n_cols; i++)
                values[i] = NULL;
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        }
        t->scratch = b;
        t->cap = need;
    }
    char *p = t->scratch;
    for (size_t i = 0; i < n_cols; i++) {
        if (!values[i])
            continue;
        const size_t len = strlen(values[i]) + 1;
        memcpy(p, values[i], len);
        values[i] = p;
        p += len;
    }
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Per-thread state                                                                                            */
/* ---------------------------------------------------------------------------------------------------------- */

static void ctx_free(thread_ctx *t) {
    t->s->be->conn_free(t->conn);
    free(t->scratch);
    free(t->hint);
    free(t);
}

/* The key's destructor: a thread that exits before the store is closed. */
static void ctx_exit(void *p) {
    thread_ctx *t = p;
    plumb__store *s = t->s;
    pthread_mutex_lock(&s->ctx_lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        s->ctxs = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&s->ctx_lock);
    ctx_free(t);
}

static thread_ctx *ctx_get(plumb__store *s) {
    thread_ctx *t = pthread_getspecific(s->key);
    if (t)
        return t;
    if (!(t = calloc(1, sizeof *t)))
        return NULL;
    t->s = s;
    if (pthread_setspecific(s->key, t) != 0) {
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&s->ctx_lock);
    t->next = s->ctxs;
    if (s->ctxs)
        s->ctxs->prev = t;
    s->ctxs = t;
    pthread_mutex_unlock(&s->ctx_lock);
    return t;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The cache (every function here runs under s->lock)                                                          */
/* ---------------------------------------------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* FNV-1a, finalised by splitmix64 so the low bits that pick a bucket depend on every byte. */
static uint64_t hash_key(const char *key) {
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return plumb__mix64(h);
}

static entry *cache_find(const plumb__store *s, const char *key, uint64_t h) {
    for (entry *e = s->buckets[h & (s->n_buckets - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void list_unlink(plumb__store *s, entry *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(plumb__store *s, entry *e) {
    e->prev = NULL;
    e->next = s->head;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

/* Takes e out of the map and the list; the caller frees it (after unlocking). */
static void cache_remove(plumb__store *s, entry *e) {
    entry **pp = &s->buckets[e->hash & (s->n_buckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    list_unlink(s, e);
    s->n--;
}

static void entry_free(entry *e) {
    if (e)
        free(e->row);
    free(e);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The store                                                                                                   */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_status plumb__store_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                               plumb__store **out, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb__store *s = NULL;
    *out = NULL;
    plumb__error_clear(err);
    if (!uri || !*uri || !table || !*table)
        return plumb__fail(err, PLUMB_EINVAL, "a feature store needs a uri and a table");
    if (isnan(cache_ttl_s))
        return plumb__fail(err, PLUMB_EINVAL, "cache ttl is not a number");
    const plumb__store_backend *be = &plumb__store_sqlite;
    const char *target = uri;
    if (strncmp(uri, "redis://", 8) == 0) {
        be = &plumb__store_redis;
        target = uri + 8;
    } else if (strncmp(uri, "sqlite:", 7) == 0) {
        target = uri + 7;
    } else if (strncmp(uri, "query:", 6) == 0) {
        be = &plumb__store_query;
        target = uri + 6;
    }
    if (!(s = calloc(1, sizeof *s)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    s->be = be;
    s->capacity = cache_size;
    s->ttl = cache_ttl_s > 0 ? cache_ttl_s : INFINITY;
    if (cache_size) {
        s->n_buckets = 16;
        while (s->n_buckets < 2 * cache_size && s->n_buckets < ((size_t)1 << 40))
            s->n_buckets *= 2;
        if (!(s->buckets = calloc(s->n_buckets, sizeof *s->buckets))) {
            free(s);
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        }
    }
    if (pthread_key_create(&s->key, ctx_exit) != 0) {
        free(s->buckets);
        free(s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of thread-specific keys");
    }
    pthread_mutex_init(&s->ctx_lock, NULL);
    pthread_mutex_init(&s->lock, NULL);
    if ((st = be->open(target, table, &s->state, err)) != PLUMB_OK)
        goto done;
    *out = s;
    s = NULL;
done:
    plumb__store_close(s);
    return st;
}

/* The cached entity key, copied into the thread's scratch: true on a hit (*st, *found set). An expired entry is
 * dropped (a miss). */
static bool cache_get(plumb__store *s, thread_ctx *t, const char *key, uint64_t h, size_t n_cols,
                      const char *const *cols, const char **values, int *found, plumb_status *st, plumb_error *err) {
    entry *stale = NULL;
    pthread_mutex_lock(&s->lock);
    entry *e = cache_find(s, key, h);
    if (e && e->expires <= now_s()) {
        cache_remove(s, e);
        stale = e;
        e = NULL;
        atomic_fetch_add_explicit(&s->expired, 1, memory_order_relaxed);
    } else if (e) {
        list_unlink(s, e);
        list_push_front(s, e);
        *st = fill(t, e->row, n_cols, cols, values, err);
        *found = e->row != NULL;
    }
    pthread_mutex_unlock(&s->lock);
    entry_free(stale);
    return e != NULL;
}

/* Keeps row (NULL: the entity does not exist) as key's entry, taking it over: replaces whatever another thread put
 * there meanwhile, then evicts from the cold end. Without memory for the entry the row is just freed. */
static void cache_put(plumb__store *s, const char *key, uint64_t h, plumb__row *row) {
    const size_t key_len = strlen(key);
    entry *e = malloc(sizeof *e + key_len + 1);
    if (!e) {
        free(row);
        return;
    }
    memcpy(e->key, key, key_len + 1);
    e->hash = h;
    e->row = row;
    e->expires = now_s() + s->ttl;
    entry *victims = NULL; /* freed after unlocking, chained through hnext */
    pthread_mutex_lock(&s->lock);
    entry *old = cache_find(s, key, h);
    if (old) {
        cache_remove(s, old);
        old->hnext = victims;
        victims = old;
    }
    entry **bucket = &s->buckets[h & (s->n_buckets - 1)];
    e->hnext = *bucket;
    *bucket = e;
    list_push_front(s, e);
    s->n++;
    while (s->n > s->capacity) {
        entry *v = s->tail;
        cache_remove(s, v);
        v->hnext = victims;
        victims = v;
        atomic_fetch_add_explicit(&s->evictions, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->lock);
    while (victims) {
        entry *next = victims->hnext;
        entry_free(victims);
        victims = next;
    }
}

plumb_status plumb__store_get(plumb__store *s, const char *key, size_t n_cols, const char *const *cols,
                              const char **values, int *found, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb__row *row = NULL;
    *found = 0;
    plumb__error_clear(err);
    thread_ctx *t = ctx_get(s);
    const uint64_t h = hash_key(key);
    if (!t) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    } else if (s->capacity && cache_get(s, t, key, h, n_cols, cols, values, found, &st, err)) {
        atomic_fetch_add_explicit(&s->hits, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&s->misses, 1, memory_order_relaxed);
        if ((st = s->be->fetch(s->state, &t->conn, key, &row, err)) == PLUMB_OK) {
            *found = row != NULL;
            st = fill(t, row, n_cols, cols, values, err);
            if (s->capacity)
                cache_put(s, key, h, row);
            else
                free(row);
        }
    }
    if (st != PLUMB_OK && !*found) {
        for (size_t i = 0; i < n_cols; i++)
            values[i] = NULL;
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    } else if (!*found) {
        atomic_fetch_add_explicit(&s->not_found, 1, memory_order_relaxed);
    }
    return st;
}

void plumb__store_stats_get(const plumb__store *s, plumb__store_stats *out) {
    out->hits = atomic_load_explicit(&s->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&s->misses, memory_order_relaxed);
    out->expired = atomic_load_explicit(&s->expired, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&s->evictions, memory_order_relaxed);
    out->not_found = atomic_load_explicit(&s->not_found, memory_order_relaxed);
    out->errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
}

void plumb__store_close(plumb__store *s) {
    if (!s)
        return;
    /* no destructor runs after this; the contexts of threads still alive are freed here */
    pthread_key_delete(s->key);
    for (thread_ctx *t = s->ctxs, *next; t; t = next) {
        next = t->next;
        ctx_free(t);
    }
    for (entry *e = s->head, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    free(s->buckets);
    s->be->close(s->state);
    pthread_mutex_destroy(&s->ctx_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
