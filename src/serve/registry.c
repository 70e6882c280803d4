/* registry.c -- the models a server answers for: loading with the file's checksum, and swapping in a reloaded
 * file while requests in flight keep the version they started with.
 *
 * A request takes a reference to the slot's current model under the slot's lock (a pointer copy and an atomic
 * increment, so the lock is held for nanoseconds) and drops it when its answer is written; a reload publishes the
 * new model under the same lock and drops the slot's reference to the old one, which is freed by whichever
 * request finishes with it last.
 */
#include "serve.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_error(plumb_error *err, plumb_status code, const char *path, const char *msg) {
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path);
    snprintf(err->message, sizeof err->message, "%s", msg);
}

/* Reads the whole file: the checksum reported is then the one of the very bytes loaded, even when the file is
 * replaced while we read it. */
static plumb_status read_file(const char *path, char **out, size_t *size, plumb_error *err) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    plumb_status st = PLUMB_OK;
    if (!f) {
        set_error(err, PLUMB_EIO, path, "cannot open the model file");
        return PLUMB_EIO;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? 2 * cap : 1 << 20;
            char *b = realloc(buf, cap);
            if (!b) {
                set_error(err, PLUMB_ENOMEM, path, "out of memory reading the model file");
                st = PLUMB_ENOMEM;
                goto done;
            }
            buf = b;
        }
        const size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        set_error(err, PLUMB_EIO, path, "cannot read the model file");
        st = PLUMB_EIO;
    }
done:
    fclose(f);
    if (st != PLUMB_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0'; /* room left: cap - n >= 65536 after the last read */
    *out = buf;
    *size = n;
    return PLUMB_OK;
}

void plumb__serve_model_unref(plumb__serve_model *m) {
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    plumb_scorer_free(m->scorer);
    plumb_model_free(m->model);
    free(m->names);
    free(m->types);
    free(m);
}

plumb__serve_model *plumb__serve_model_ref(plumb__serve_model *m) {
    atomic_fetch_add(&m->refs, 1);
    return m;
}

plumb_status plumb__serve_model_load(const char *path, int64_t version, plumb__serve_model **out, plumb_error *err) {
    char *buf = NULL;
    size_t size = 0;
    plumb__serve_model *m = NULL;
    *out = NULL;
    plumb_status st = read_file(path, &buf, &size, err);
    if (st != PLUMB_OK)
        return st;
    m = calloc(1, sizeof *m);
    if (!m) {
        st = PLUMB_ENOMEM;
        set_error(err, st, path, "out of memory");
        goto done;
    }
    atomic_init(&m->refs, 1);
    m->version = version;
    if ((st = plumb_model_load_buffer(buf, size, path, &m->model, err)) != PLUMB_OK)
        goto done;
    /* the loader has checked the header "plumb-model 1 <bytes> <sha256>\n" (and buf ends in a NUL) */
    sscanf(buf, "plumb-model %*d %*d %64[0-9a-f]", m->checksum);
    plumb_model_describe(m->model, &m->info);
    m->n_features = m->info.n_features;
    m->names = calloc((size_t)m->n_features + 1, sizeof *m->names);
    m->types = calloc((size_t)m->n_features + 1, sizeof *m->types);
    if (!m->names || !m->types) {
        st = PLUMB_ENOMEM;
        set_error(err, st, path, "out of memory");
        goto done;
    }
    const plumb_schema *schema = plumb_model_schema(m->model);
    const int64_t n_cols = plumb_schema_n_columns(schema);
    for (int64_t f = 0; f < m->n_features; f++) {
        m->names[f] = plumb_model_feature_name(m->model, f);
        m->types[f] = PLUMB_TYPE_NUMERIC;
        for (int64_t c = 0; c < n_cols; c++) {
            plumb_column_info ci;
            plumb_schema_column(schema, c, &ci);
            if (strcmp(ci.name, m->names[f]) == 0)
                m->types[f] = ci.type;
        }
    }
    for (int64_t c = 0; c < n_cols && m->info.task == PLUMB_TASK_MULTICLASS; c++) {
        plumb_column_info ci;
        plumb_schema_column(schema, c, &ci);
        if (ci.role == PLUMB_ROLE_TARGET && ci.n_categories == m->info.n_outputs)
            m->classes = ci.categories;
    }
    st = plumb_scorer_create(m->model, m->names, m->n_features, &m->scorer, err);
done:
    free(buf);
    if (st != PLUMB_OK) {
        plumb__serve_model_unref(m);
        return st;
    }
    *out = m;
    return PLUMB_OK;
}

plumb__serve_columns plumb__serve_model_columns(const plumb__serve_model *m, const char *entity_key) {
    return (plumb__serve_columns){m->n_features, m->names, m->types, entity_key};
}

plumb_status plumb__serve_slot_init(plumb__serve_slot *slot, const char *name, const char *path, plumb_error *err) {
    memset(slot, 0, sizeof *slot);
    pthread_mutex_t *lock = malloc(sizeof *lock);
    slot->name = strdup(name);
    slot->path = strdup(path);
    if (!lock || !slot->name || !slot->path) {
        free(lock);
        set_error(err, PLUMB_ENOMEM, path, "out of memory");
        return PLUMB_ENOMEM;
    }
    pthread_mutex_init(lock, NULL);
    slot->lock = lock;
    return plumb__serve_model_load(path, 1, &slot->current, err);
}

void plumb__serve_slot_free(plumb__serve_slot *slot) {
    if (!slot)
        return;
    plumb__serve_model_unref(slot->current);
    if (slot->lock)
        pthread_mutex_destroy(slot->lock);
    free(slot->lock);
    free(slot->name);
    free(slot->path);
    memset(slot, 0, sizeof *slot);
}

plumb__serve_model *plumb__serve_slot_acquire(plumb__serve_slot *slot) {
    pthread_mutex_lock(slot->lock);
    plumb__serve_model *m = plumb__serve_model_ref(slot->current);
    pthread_mutex_unlock(slot->lock);
    return m;
}

/* Whether clients of old can send the same requests to new and read its answers the same way. */
static bool compatible(const plumb__serve_model *old, const plumb__serve_model *new, char *why, size_t n) {
    if (old->info.task != new->info.task || old->info.n_outputs != new->info.n_outputs) {
        snprintf(why, n,
                 "the new model predicts %s with %lld outputs, the serving one %s with %lld: clients would "
                 "misread its answers",
                 plumb_task_name(new->info.task), (long long)new->info.n_outputs, plumb_task_name(old->info.task),
                 (long long)old->info.n_outputs);
        return false;
    }
    for (int64_t i = 0; i < new->n_features; i++)
        for (int64_t j = 0; j < old->n_features; j++)
            if (strcmp(new->names[i], old->names[j]) == 0 && new->types[i] != old->types[j]) {
                snprintf(why, n, "input '%s' changes type from %s to %s", new->names[i], plumb_type_name(old->types[j]),
                         plumb_type_name(new->types[i]));
                return false;
            }
    return true;
}

plumb_status plumb__serve_slot_reload(plumb__serve_slot *slot, plumb_error *err) {
    plumb__serve_model *old = plumb__serve_slot_acquire(slot), *new = NULL;
    plumb_status st = plumb__serve_model_load(slot->path, old->version + 1, &new, err);
    if (st == PLUMB_OK) {
        char why[PLUMB_MESSAGE_MAX];
        if (!compatible(old, new, why, sizeof why)) {
            set_error(err, PLUMB_ESCHEMA, slot->path, why);
            st = PLUMB_ESCHEMA;
        }
    }
    if (st != PLUMB_OK) {
        atomic_fetch_add(&slot->reload_failures, 1);
        plumb__serve_model_unref(new);
        plumb__serve_model_unref(old);
        malloc_trim(0);
        return st;
    }
    pthread_mutex_lock(slot->lock);
    plumb__serve_model *replaced = slot->current;
    /* two reloads at once: each numbers from the model it read; the later publication wins */
    new->version = replaced->version + 1;
    slot->current = new;
    pthread_mutex_unlock(slot->lock);
    atomic_fetch_add(&slot->reloads, 1);
    plumb__serve_model_unref(replaced);
    plumb__serve_model_unref(old);
    /* Loading a model allocates several times its size for a moment, in the arena of whichever thread loads it
     * (libmicrohttpd's for a POST, the main thread's for SIGHUP); glibc keeps freed memory in each arena, so the
     * resident size climbed to the sum of the arenas' peaks (80 -> 245 MB over the first reloads of the soak).
     * Giving the free pages back after each reload keeps it at what is live: the model, the old one while
     * requests still hold it, and the cache. */
    malloc_trim(0);
    return PLUMB_OK;
}
