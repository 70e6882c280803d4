/* serve.h -- `plumb serve`: KServe v2 / v1 scoring over HTTP (libmicrohttpd), shared by the files of src/serve.
 *
 * src/serve is not part of libplumb (the library does not depend on libmicrohttpd): it is linked into the plumb
 * tool and uses the public header, plus the feature store's internal interface (src/features/store.h) through
 * entity.c only. Pieces:
 *   parse.c     request bodies to a batch of rows: no HTTP, no model (fuzz_serve drives it)
 *   registry.c  models by name: load with checksum, reference-counted swap on reload, metadata
 *   loader.c    the thread that reloads model files, so that no worker thread waits for a load
 *   entity.c    features joined from the store for rows that name an entity
 *   metrics.c   counters and latency histograms, Prometheus text
 *   server.c    the HTTP layer: routing, limits, responses, access and shadow logs, signals and draining
 */
#ifndef PLUMB_SERVE_H
#define PLUMB_SERVE_H

#include <plumb/plumb.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- request parsing ------------------------------------------------------------------------------------------ */

typedef enum plumb__serve_proto { PLUMB__SERVE_V2, PLUMB__SERVE_V1 } plumb__serve_proto;

/* What a request may contain. */
typedef struct plumb__serve_limits {
    size_t max_body;   /* bytes of a request body */
    int64_t max_batch; /* rows of one request */
    int max_depth;     /* nesting of JSON arrays and objects */
    size_t max_string; /* bytes of one JSON string (names and values) */
} plumb__serve_limits;

/* The inputs a model reads, in the order of its scorer's columns. */
typedef struct plumb__serve_columns {
    int64_t n;
    const char *const *names;
    const plumb_type *types; /* PLUMB_TYPE_NUMERIC, _BOOL or _CATEGORICAL */
    const char *entity_key;  /* the column naming an entity (--entity-key), or NULL */
} plumb__serve_columns;

/* A parsed request: n_rows x n_cols values, row-major, in the columns' order. Strings point into the JSON
 * document (root) or the batch's own copies (entity.c), both freed with plumb__serve_batch_free. */
typedef struct plumb__serve_batch {
    int64_t n_rows, n_cols;
    double *values;    /* numeric and bool columns; NaN: missing */
    const char **cats; /* categorical columns: the text; NULL: missing */
    uint8_t *given;    /* 1 where the request set the value (it overrides the feature store) */
    const char **keys; /* per row the entity key, or NULL (no --entity-key, or the row names none) */
    bool explain;      /* "explain": true */
    const char *id;    /* v2 "id", or NULL */
    void *root;        /* the json_t document */
    char **owned;      /* strings copied from the feature store */
    size_t n_owned, cap_owned;
} plumb__serve_batch;

/* An HTTP status and a message naming what is wrong ("input 'age': datatype FP32 expected, got BYTES"). */
typedef struct plumb__serve_problem {
    int status;
    char message[512];
} plumb__serve_problem;

/* Parses body (len bytes, need not be NUL-terminated) as a v2 infer or v1 predict request against cols into
 * *out (zeroed first; free with plumb__serve_batch_free whatever the result). Returns 0, or the HTTP status of
 * the problem (400 malformed, 413 too large, 422 well-formed but not scorable by these columns) with
 * prob->message set. Never crashes on any input: fuzz_serve. */
int plumb__serve_parse(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                       const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob);
/* The same, always through a jansson document: what plumb__serve_parse does with any body its direct parser of
 * plain v1 rows and v2 tensors declines. fuzz_serve checks that the two agree on every body. */
int plumb__serve_parse_json(const char *body, size_t len, plumb__serve_proto proto, const plumb__serve_columns *cols,
                            const plumb__serve_limits *lim, plumb__serve_batch *out, plumb__serve_problem *prob);
void plumb__serve_batch_free(plumb__serve_batch *b);

/* Keeps a copy of s alive as long as the batch; NULL when out of memory. */
const char *plumb__serve_batch_keep(plumb__serve_batch *b, const char *s);

/* Reads s (n bytes) as one JSON number into *x: true with exactly the double strtod (and jansson) would give, false
 * for anything else (not JSON's number grammar, out of range, or too long to convert cheaply): ask strtod then. */
bool plumb__serve_number(const char *s, size_t n, double *x);

/* The length of the longest prefix of s, at most max bytes, that splits no UTF-8 character. */
size_t plumb__serve_utf8_prefix(const char *s, size_t max);
/* Replaces every byte of s that is not part of a valid UTF-8 character with '?', in place. */
void plumb__serve_utf8_scrub(char *s);

/* Sets prob's status and message (printf format, cut at a character and made valid UTF-8); returns the status. */
int plumb__serve_fail(plumb__serve_problem *prob, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- metrics -------------------------------------------------------------------------------------------------- */

#define PLUMB__SERVE_N_BUCKETS 14
typedef struct plumb__serve_histogram {
    _Atomic uint64_t counts[PLUMB__SERVE_N_BUCKETS + 1]; /* per bucket; the last: above every bound */
    _Atomic uint64_t sum_ns, n;
} plumb__serve_histogram;

void plumb__serve_histogram_add(plumb__serve_histogram *h, uint64_t ns);
/* Writes h in Prometheus text format (seconds) under name, with its HELP line. */
void plumb__serve_histogram_write(FILE *f, const char *name, const char *help, const plumb__serve_histogram *h);

/* ---- models --------------------------------------------------------------------------------------------------- */

/* One loaded version of a model file: immutable once published, freed when its last reference goes. */
typedef struct plumb__serve_model {
    _Atomic int refs;
    plumb_model *model;
    plumb_scorer *scorer; /* bound to names, in the model's feature order */
    plumb_model_info info;
    int64_t n_features;
    const char **names; /* borrowed from the model */
    plumb_type *types;
    const char *const *classes; /* multiclass: the target's categories (n_outputs); else NULL */
    char checksum[65];          /* SHA-256 of the body, from the file's header */
    int64_t version;            /* 1 for the first load, +1 per reload */
} plumb__serve_model;

#define PLUMB__SERVE_STATUSES 9 /* 200 400 404 405 413 422 500 503 other */

/* A name the server answers to, and the file it reloads from. */
typedef struct plumb__serve_slot {
    char *name, *path;
    void *lock; /* pthread_mutex_t: guards current */
    plumb__serve_model *current;
    struct plumb__serve_slot *shadow; /* --shadow NAME=FILE: scored beside current, or NULL */
    _Atomic uint64_t requests[PLUMB__SERVE_STATUSES];
    _Atomic uint64_t reloads, reload_failures;
} plumb__serve_slot;

/* Loads path as version `version` (checksum from the file's header line). Returns PLUMB_OK or the load error. */
plumb_status plumb__serve_model_load(const char *path, int64_t version, plumb__serve_model **out, plumb_error *err);
plumb__serve_model *plumb__serve_model_ref(plumb__serve_model *m);
void plumb__serve_model_unref(plumb__serve_model *m); /* accepts NULL */

plumb_status plumb__serve_slot_init(plumb__serve_slot *slot, const char *name, const char *path, plumb_error *err);
void plumb__serve_slot_free(plumb__serve_slot *slot);
/* The slot's current model, with a reference the caller drops with plumb__serve_model_unref. */
plumb__serve_model *plumb__serve_slot_acquire(plumb__serve_slot *slot);
/* Loads the slot's file again and swaps it in when it loads and keeps the model's task, outputs and input types;
 * requests in flight finish on the old one. On failure the old one keeps serving and err says why. */
plumb_status plumb__serve_slot_reload(plumb__serve_slot *slot, plumb_error *err);

/* The column view of a model for plumb__serve_parse. */
plumb__serve_columns plumb__serve_model_columns(const plumb__serve_model *m, const char *entity_key);

/* ---- reloads (loader.c) --------------------------------------------------------------------------------------- */

/* Someone waiting for a reload: filled in, then done(w) is called once, on the loader's thread (or the one that
 * stops it). status: 200 (reloaded: version and checksum set), 422 (the file was refused), 500 (it could not be
 * read), 503 (the server stopped first); message says why when not 200. */
typedef struct plumb__serve_waiter {
    void (*done)(struct plumb__serve_waiter *w);
    int status;
    int64_t version;
    char checksum[65];
    char message[PLUMB_ERROR_MAX];
    struct plumb__serve_waiter *next; /* the loader's */
} plumb__serve_waiter;

typedef struct plumb__serve_loader plumb__serve_loader;

/* Starts the loader's thread; NULL when it cannot. quiet: successful reloads asked by SIGHUP are not logged. */
plumb__serve_loader *plumb__serve_loader_start(bool quiet);
/* Queues a reload of slot, joining a queued one of the same slot; w (or NULL: a SIGHUP, logged) hears the outcome.
 * false: the loader is stopping or out of memory, w will not be called. Thread-safe. */
bool plumb__serve_loader_request(plumb__serve_loader *l, plumb__serve_slot *slot, plumb__serve_waiter *w);
/* Reload jobs queued (not started), running (0 or 1), and waiters not yet answered. */
void plumb__serve_loader_counts(plumb__serve_loader *l, int *queued, int *running, int *waiting);
/* Stops taking jobs (requests are refused from now on), answers the waiters of queued ones (503), waits up to
 * timeout_s for the running one. true: the thread ended; false: a load still runs, abandoned (its waiters answered
 * 503), and the slots must not be freed. A second call returns the first's answer. Accepts NULL. */
bool plumb__serve_loader_stop(plumb__serve_loader *l, double timeout_s);
/* Frees a stopped loader whose thread ended; one whose thread still runs is left to the process exit. Accepts
 * NULL. */
void plumb__serve_loader_free(plumb__serve_loader *l);

/* ---- feature store (entity.c) --------------------------------------------------------------------------------- */

typedef struct plumb__serve_entities plumb__serve_entities;

typedef struct plumb__serve_entity_stats {
    uint64_t hits, misses, errors;
} plumb__serve_entity_stats;

/* Opens the store at uri (SQLite file or redis://HOST:PORT), rows of table. */
plumb_status plumb__serve_entities_open(const char *uri, const char *table, size_t cache_size, double cache_ttl_s,
                                        plumb__serve_entities **out, plumb_error *err);
void plumb__serve_entities_close(plumb__serve_entities *e);
/* Fills the values of b's rows that name an entity and were not given by the request. Returns 0, 404 (an entity
 * does not exist and missing_ok is false), or 503 (the store is down), with prob set. */
int plumb__serve_entities_join(plumb__serve_entities *e, const plumb__serve_columns *cols, bool missing_ok,
                               plumb__serve_batch *b, plumb__serve_problem *prob);
void plumb__serve_entities_stats(const plumb__serve_entities *e, plumb__serve_entity_stats *out);

/* ---- the server ----------------------------------------------------------------------------------------------- */

typedef struct plumb__serve_config {
    const char *host;
    bool quiet; /* no line on stderr for a reload that succeeded */
    int port;   /* 0: any free port (the one taken is printed) */
    int threads;
    const char *const *names, *const *paths; /* n_models models */
    int n_models;
    const char *const *shadow_names, *const *shadow_paths;
    int n_shadows;
    const char *fallback_path; /* or NULL */
    double deadline_ms;        /* 0: none */
    plumb__serve_limits limits;
    size_t max_buffered; /* bytes of request bodies held at once, all connections together */
    int connection_timeout_s;
    int max_connections;
    double drain_timeout_s;
    const char *access_log;  /* JSON lines, or NULL */
    const char *shadow_log;  /* JSON lines, or NULL */
    size_t shadow_log_max;   /* bytes before the log is rotated to .1 */
    double shadow_budget_ms; /* a shadow slower than this on average is skipped */
    const char *entity_key, *features, *features_table;
    size_t cache_size;
    double cache_ttl_s;
    bool missing_entity_ok;
} plumb__serve_config;

/* Runs the server until SIGTERM or SIGINT (drains, then returns 0); SIGHUP reloads every model. Messages go to
 * stderr; the first line on stdout is "listening on http://HOST:PORT". Returns 1 when the server cannot start. */
int plumb__serve_run(const plumb__serve_config *cfg);

#endif
