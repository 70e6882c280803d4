/* status.c -- version, status names, error formatting and the log callback.
 *
 * The status table is the X-macro in plumb.h, expanded here into the name and message lookups, so adding a
 * status is one line. The log callback and the default thread count are process-wide settings that a host may
 * change at any time from any thread: the thread count is an atomic int, the callback and its user pointer a pair
 * under a sequence lock (writers serialised by a mutex, readers lock-free and retrying while a write is under way),
 * so no reader ever sees the function of one call with the user pointer of another.
 */
#include "base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

const char *plumb_version(void) {
#define PLUMB__STR2(x) #x
#define PLUMB__STR(x) PLUMB__STR2(x)
    return PLUMB__STR(PLUMB_VERSION_MAJOR) "." PLUMB__STR(PLUMB_VERSION_MINOR) "." PLUMB__STR(PLUMB_VERSION_PATCH);
}

const char *plumb_status_name(plumb_status status) {
    switch (status) {
#define PLUMB__NAME(name, value, msg)                                                                                  \
    case PLUMB_##name:                                                                                                 \
        return "PLUMB_" #name;
        PLUMB_STATUS_MAP(PLUMB__NAME)
#undef PLUMB__NAME
    }
    return "unknown status";
}

const char *plumb_status_message(plumb_status status) {
    switch (status) {
#define PLUMB__MSG(name, value, msg)                                                                                   \
    case PLUMB_##name:                                                                                                 \
        return msg;
        PLUMB_STATUS_MAP(PLUMB__MSG)
#undef PLUMB__MSG
    }
    return "unknown status";
}

char *plumb_error_format(const plumb_error *err, char *buf, size_t n) {
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (!err)
        return buf;
    const char *msg = err->message[0] ? err->message : plumb_status_message(err->code);
    if (err->path[0] && err->line > 0 && err->column > 0)
        snprintf(buf, n, "%s:%lld:%lld: %s", err->path, (long long)err->line, (long long)err->column, msg);
    else if (err->path[0] && err->line > 0)
        snprintf(buf, n, "%s:%lld: %s", err->path, (long long)err->line, msg);
    else if (err->path[0])
        snprintf(buf, n, "%s: %s", err->path, msg);
    else
        snprintf(buf, n, "%s", msg);
    return buf;
}

void plumb__error_clear(plumb_error *err) {
    if (!err)
        return;
    err->code = PLUMB_OK;
    err->path[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->message[0] = '\0';
}

static plumb_status error_vset(plumb_error *err, plumb_status status, const char *path, int64_t line, int64_t column,
                               const char *fmt, va_list ap) {
    if (!err)
        return status;
    err->code = status;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = line;
    err->column = column;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return status;
}

plumb_status plumb__error_at(plumb_error *err, plumb_status status, const char *path, int64_t line, int64_t column,
                             const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, path, line, column, fmt, ap);
    va_end(ap);
    return status;
}

plumb_status plumb__fail(plumb_error *err, plumb_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return status;
}

static _Atomic unsigned log_seq; /* odd while plumb_set_log is writing the pair */
static _Atomic(plumb_log_fn) log_fn;
static _Atomic(void *) log_user;
static pthread_mutex_t log_writer = PTHREAD_MUTEX_INITIALIZER;

void plumb_set_log(plumb_log_fn fn, void *user) {
    pthread_mutex_lock(&log_writer);
    const unsigned seq = atomic_load_explicit(&log_seq, memory_order_relaxed);
    atomic_store_explicit(&log_seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&log_fn, fn, memory_order_relaxed);
    atomic_store_explicit(&log_user, user, memory_order_relaxed);
    atomic_store_explicit(&log_seq, seq + 2, memory_order_release);
    pthread_mutex_unlock(&log_writer);
}

/* The current callback and its user pointer, read as one pair (Boehm, "Can seqlocks get along with programming
 * language memory models?", 2012). */
static plumb_log_fn log_get(void **user) {
    for (;;) {
        const unsigned before = atomic_load_explicit(&log_seq, memory_order_acquire);
        if (before & 1)
            continue;
        const plumb_log_fn fn = atomic_load_explicit(&log_fn, memory_order_relaxed);
        *user = atomic_load_explicit(&log_user, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&log_seq, memory_order_relaxed) == before)
            return fn;
    }
}

void plumb__log(plumb_log_level level, const char *fmt, ...) {
    void *user;
    const plumb_log_fn fn = log_get(&user);
    if (!fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(level, msg, user);
}

void plumb__quote(char *out, size_t out_size, const char *s, size_t n) {
    const size_t max = out_size > 4 ? out_size - 4 : 0;
    size_t i = 0;
    for (; i < n && i < max; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (i < n && out_size >= 4) {
        /* do not cut a UTF-8 sequence in half: back off while the first byte left out continues a sequence */
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
        memcpy(out + i, "...", 4);
    } else if (out_size > 0) {
        out[i < out_size ? i : out_size - 1] = '\0';
    }
}

static _Atomic int default_threads;
static atomic_flag capped_logged = ATOMIC_FLAG_INIT;

void plumb_set_threads(int n) {
    atomic_store_explicit(&default_threads, n > 0 ? n : 0, memory_order_relaxed);
}

int plumb__cores(void) {
#ifdef _OPENMP
    const int n = omp_get_num_procs();
#else
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? (int)n : 1;
}

int plumb__threads(int n) {
    if (n <= 0)
        n = atomic_load_explicit(&default_threads, memory_order_relaxed);
    if (n <= 0) {
#ifdef _OPENMP
        n = omp_get_max_threads();
#else
        n = 1;
#endif
    }
    const int cores = plumb__cores(), cap = cores * PLUMB__THREADS_PER_CORE;
    if (n > cap) {
        if (!atomic_flag_test_and_set(&capped_logged))
            plumb__log(PLUMB_LOG_WARN, "%d threads asked for; using %d (%d per core on %d cores)", n, cap,
                       PLUMB__THREADS_PER_CORE, cores);
        n = cap;
    }
    return n;
}

char *plumb__strdup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

bool plumb__utf8_valid(const char *s, size_t n, size_t *bad) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t len;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            goto invalid;
        }
        if (i + len > n)
            goto invalid;
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                goto invalid;
            c = (c << 6) | (u[i + k] & 0x3F);
        }
        /* overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 */
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            goto invalid;
        i += len;
    }
    return true;
invalid:
    if (bad)
        *bad = i;
    return false;
}
