/* base.h -- internal helpers shared by every subsystem: error filling, logging, small utilities.
 *
 * Nothing here is public; names carry the plumb__ prefix. Error helpers fill a caller's plumb_error (which may
 * be NULL) and return the status, so a failing path reads `return plumb__fail(err, PLUMB_EIO, ...)`.
 */
#ifndef PLUMB_BASE_H
#define PLUMB_BASE_H

#include <plumb/plumb.h>

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define PLUMB__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PLUMB__PRINTF(f, a)
#endif

/* Clears *err (when not NULL) to PLUMB_OK with empty fields. */
void plumb__error_clear(plumb_error *err);

/* Fills *err with status, path, line, column and a printf-style message; returns status. */
plumb_status plumb__error_at(plumb_error *err, plumb_status status, const char *path, int64_t line, int64_t column,
                             const char *fmt, ...) PLUMB__PRINTF(6, 7);

/* The same without a location. */
plumb_status plumb__fail(plumb_error *err, plumb_status status, const char *fmt, ...) PLUMB__PRINTF(3, 4);

/* Reads the whole file at path into *data (malloc'ed, the caller frees it; NULL on failure), *size bytes.
 * PLUMB_EIO naming the file, PLUMB_ENOMEM. */
plumb_status plumb__file_read(const char *path, char **data, size_t *size, plumb_error *err);

/* Sends a message to the log callback, if one is set. */
void plumb__log(plumb_log_level level, const char *fmt, ...) PLUMB__PRINTF(2, 3);

/* Quotes at most max bytes of [s, s+n) for a message: control bytes as '?', "..." appended when cut. */
void plumb__quote(char *out, size_t out_size, const char *s, size_t n);

/* The most threads one call uses, per core: more only adds start-up and contention (a run asked for 10,000
 * threads took 100 times as long, 100,000 crashed the OpenMP runtime). */
#define PLUMB__THREADS_PER_CORE 4

/* Number of threads to use for a request of n (0 = the plumb_set_threads default, else OpenMP's default), capped
 * at PLUMB__THREADS_PER_CORE times plumb__cores() (logged once, as a warning); >= 1. */
int plumb__threads(int n);

/* Logical processors available to the process; >= 1. */
int plumb__cores(void);

/* ---- large buffers (memory.c) ----
 * Fresh memory is paid for on first touch, page by page: on the 2-core VM about 10 us per 4 KiB page, so filling
 * 112 MB of new float32 columns took 0.27 s against 0.01 s for the same loop on memory already touched. In 2 MiB
 * pages the same first fill takes 0.017 s. plumb__map_large returns bytes of zeroed memory aligned to 2 MiB, asked
 * of the kernel in huge pages (advice it may ignore), or NULL (out of memory, or not on this system: the caller
 * then allocates as usual). Release with plumb__unmap(p, bytes), which accepts NULL. Worth it from
 * PLUMB__LARGE_MIN bytes up. */
#define PLUMB__LARGE_MIN ((size_t)4 << 20)
void *plumb__map_large(size_t bytes);
void plumb__unmap(void *p, size_t bytes);

/* ---- the C locale (locale.c) ----
 * Every number the library writes or reads follows the C locale ('.' as the decimal point), never the host's
 * setlocale. A public function that formats or parses numbers (printf %f/%g, strtod) wraps its body:
 *     const locale_t saved = plumb__c_locale_enter();
 *     ... work ...
 *     plumb__c_locale_leave(saved);
 * The switch is per thread (uselocale), so it is safe in a server; it does not reach OpenMP worker threads. */

/* The "C" locale object, created once (thread-safe); (locale_t)0 if it could not be created. */
locale_t plumb__c_locale(void);
/* Switches the calling thread to the C locale; returns the locale to hand to plumb__c_locale_leave. */
locale_t plumb__c_locale_enter(void);
/* Restores the calling thread's locale saved by plumb__c_locale_enter. */
void plumb__c_locale_leave(locale_t saved);

/* strdup that returns NULL on failure (and for NULL). */
char *plumb__strdup(const char *s);

/* True when [s, s+n) is valid UTF-8; otherwise *bad (may be NULL) is the offset of the first bad byte. */
bool plumb__utf8_valid(const char *s, size_t n, size_t *bad);

/* The splitmix64 step (Steele, Lea & Flood 2014): x plus the golden-ratio increment, finalised. A good 64-bit mix
 * for counter-based random numbers, where a draw depends only on (seed, stream, index), never on a thread. */
static inline uint64_t plumb__mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

#endif /* PLUMB_BASE_H */
