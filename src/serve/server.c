/* server.c -- the HTTP layer of `plumb serve` on libmicrohttpd: routes, limits, scoring, fallback, shadow, logs,
 * metrics, reload and draining.
 *
 * Threads: an acceptor hands each new connection to one of --threads libmicrohttpd daemons (the one holding the
 * fewest), whose thread runs every request of it from its first byte to its last,
 * which parses, joins stored features, scores and answers -- except a reload: its connection is suspended while
 * the loader's thread (loader.c) loads the file, and resumed to answer. The main thread only waits for signals:
 * SIGHUP queues a reload of every model, SIGTERM and SIGINT stop accepting, wait for the requests in flight (and
 * at most the rest of the drain timeout for a reload), then stop.
 * A request body is collected up to the limit; whatever is wrong with a request is answered with a 4xx JSON
 * {"error": "..."} and the server carries on.
 */
#define _GNU_SOURCE /* accept4 */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- state ---------------------------------------------------------------------------------------------------- */

typedef struct server {
    const plumb__serve_config *cfg;
    plumb__serve_slot *slots; /* the models served by name */
    int n_slots;
    plumb__serve_slot *extra; /* the shadow models, then the fallback: reloaded with the others */
    int n_extra;
    plumb__serve_slot *fallback; /* in extra, or NULL */
    plumb__serve_entities *entities;
    struct worker *workers; /* one libmicrohttpd daemon, one thread each (--threads) */
    int n_workers;
    int listen_fd;
    pthread_t acceptor; /* accepts and hands each connection to the worker with the fewest */
    bool acceptor_started;
    _Atomic bool stop_accepting;
    plumb__serve_loader *loader;
    _Atomic int in_flight;
    _Atomic int connections; /* open, against cfg->max_connections */
    _Atomic bool draining;
    plumb__serve_histogram fetch, score, total;
    _Atomic uint64_t fallbacks, unrouted[PLUMB__SERVE_STATUSES], shadow_scored, shadow_skipped;
    _Atomic uint64_t shadow_mean_ns; /* the shadow's recent time a request: a moving mean, 1/4 for the newest */
    _Atomic uint64_t shadow_over;    /* requests that came while shadow_mean_ns was over the budget */
    _Atomic uint64_t log_errors;     /* access or shadow log lines that could not be written (disk full) */
    _Atomic size_t buffered;         /* bytes allocated for request bodies, against cfg->max_buffered */
    int access_fd;
    pthread_mutex_t shadow_lock; /* the shadow log's file and size */
    FILE *shadow_log;
    size_t shadow_log_size;
} server;

/* A libmicrohttpd daemon with its one thread, and the connections it holds. */
typedef struct worker {
    server *srv;
    struct MHD_Daemon *daemon;
    _Atomic int open; /* handed to it by the acceptor and not closed yet */
} worker;

/* One HTTP request, from its first call into the handler to libmicrohttpd's completion notice. */
typedef struct request {
    uint64_t start_ns;
    char *body;
    size_t len, cap;
    bool too_large;
    bool busy;         /* its body would have taken the server over --max-buffered: dropped, answered 503 */
    bool close;        /* arrived while draining: the answer closes the connection, so keep-alive clients move on */
    const char *allow; /* the methods a 405 answer lists in its Allow header (RFC 9110) */
    int status;
    const char *method;
    char path[256];
    plumb__serve_slot *slot; /* the model named, if any */
    int64_t rows;
    bool fallback;
    /* shadow scoring, done after the answer is sent: the main model's predictions and how the body parsed */
    double *main_out;
    int64_t main_outputs;
    plumb__serve_proto proto;
    /* a reload: queued with the loader, the connection suspended until waiter.done resumes it */
    bool reload_queued;
    struct MHD_Connection *conn;
    plumb__serve_waiter waiter;
} request;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int status_index(int status) {
    static const int codes[PLUMB__SERVE_STATUSES - 1] = {200, 400, 404, 405, 413, 422, 500, 503};
    for (int i = 0; i < PLUMB__SERVE_STATUSES - 1; i++)
        if (codes[i] == status)
            return i;
    return PLUMB__SERVE_STATUSES - 1;
}
static const char *const status_labels[PLUMB__SERVE_STATUSES] = {"200", "400", "404", "405",  "413",
                                                                 "422", "500", "503", "other"};

/* ---- responses ------------------------------------------------------------------------------------------------ */

static enum MHD_Result send_text(struct MHD_Connection *c, request *rq, int status, char *text, size_t len,
                                 const char *type) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (rq->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == 405 && rq->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rq->allow);
    rq->status = status;
    const enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Sends obj (taken over) as the JSON answer. A NULL obj is an answer that could not be built: jansson refuses
 * text that is not UTF-8 as it refuses to allocate, and the two cannot be told apart here. */
static enum MHD_Result send_json(struct MHD_Connection *c, request *rq, int status, json_t *obj) {
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text) {
        text = strdup(obj ? "{\"error\":\"out of memory\"}"
                          : "{\"error\":\"the answer could not be built: out of memory or text not UTF-8\"}");
        status = 500;
        if (!text)
            return MHD_NO;
    }
    return send_text(c, rq, status, text, strlen(text), "application/json");
}

/* Messages quote URLs, names and values as clients sent them: made valid UTF-8 here, so that a malformed request
 * is answered with its own status, not a 500. */
static enum MHD_Result send_error(struct MHD_Connection *c, request *rq, int status, const char *message) {
    char text[1024];
    const size_t n = plumb__serve_utf8_prefix(message, sizeof text - 1);
    memcpy(text, message, n);
    text[n] = '\0';
    plumb__serve_utf8_scrub(text);
    return send_json(c, rq, status, json_pack("{ss}", "error", text));
}

/* 405: the path takes only the methods in allow. */
static enum MHD_Result send_405(struct MHD_Connection *c, request *rq, const char *allow, const char *message) {
    rq->allow = allow;
    return send_error(c, rq, 405, message);
}

/* A JSON number, or null for what JSON cannot carry (NaN, infinities). */
static json_t *number(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

/* ---- scoring -------------------------------------------------------------------------------------------------- */

/* Scores every row of b with m into out (n_rows x n_outputs). Returns 0 or 422 with prob set. */
static int score_rows(const plumb__serve_model *m, const plumb__serve_batch *b, double *out,
                      plumb__serve_problem *prob) {
    const int64_t k = m->info.n_outputs;
    for (int64_t r = 0; r < b->n_rows; r++) {
        plumb_error err;
        const size_t off = (size_t)r * (size_t)b->n_cols;
        if (plumb_scorer_row(m->scorer, b->values + off, b->cats + off, out + r * k, &err) != PLUMB_OK)
            return plumb__serve_fail(prob, 422, "row %lld: %s", (long long)r, err.message);
    }
    return 0;
}

/* Writes one CSV field, quoted. */
static void csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* TreeSHAP contributions of b's rows (n_rows x n_outputs x (n_features + 1)) into *out. The public contribution
 * call reads a frame, so the rows are written as CSV and read back with the model's own schema; numbers are
 * written with 17 digits, so they read back exactly. Returns 0 or the problem's status. */
static int contributions(const plumb__serve_model *m, const plumb__serve_batch *b, double **out,
                         plumb__serve_problem *prob) {
    char *csv = NULL;
    size_t csv_len = 0;
    plumb_frame *frame = NULL;
    int r = 0;
    if (strcmp(m->info.kind, "gbdt") != 0)
        return plumb__serve_fail(prob, 422, "explain needs a gbdt model, this one is %s", m->info.kind);
    FILE *f = open_memstream(&csv, &csv_len);
    if (!f)
        return plumb__serve_fail(prob, 500, "out of memory");
    for (int64_t c = 0; c < b->n_cols; c++) {
        if (c)
            fputc(',', f);
        csv_field(f, m->names[c]);
    }
    fputc('\n', f);
    for (int64_t row = 0; row < b->n_rows; row++) {
        for (int64_t c = 0; c < b->n_cols; c++) {
            const size_t k = (size_t)row * (size_t)b->n_cols + (size_t)c;
            if (c)
                fputc(',', f);
            if (m->types[c] == PLUMB_TYPE_CATEGORICAL) {
                if (b->cats[k] && b->cats[k][0])
                    csv_field(f, b->cats[k]);
            } else if (m->types[c] == PLUMB_TYPE_BOOL) {
                if (!isnan(b->values[k]))
                    fputs(b->values[k] != 0 ? "true" : "false", f);
            } else if (!isnan(b->values[k])) {
                fprintf(f, "%.17g", b->values[k]);
            }
        }
        fputc('\n', f);
    }
    fclose(f);
    static const char *const empty_only[] = {""};
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.schema = plumb_model_schema(m->model);
    ro.schema_subset = 1;
    ro.missing_tokens = empty_only;
    ro.n_missing_tokens = 1;
    ro.n_threads = 1;
    ro.display_name = "<request>";
    plumb_error err;
    const size_t n = (size_t)b->n_rows * (size_t)m->info.n_outputs * (size_t)(m->n_features + 1);
    *out = malloc(n * sizeof **out);
    if (!*out) {
        r = plumb__serve_fail(prob, 500, "out of memory");
        goto done;
    }
    plumb_predict_options po = {.threads = 1};
    if (plumb_frame_read_buffer(csv, csv_len, &ro, &frame, &err) != PLUMB_OK ||
        plumb_model_contrib(m->model, frame, &po, *out, &err) != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        r = plumb__serve_fail(prob, 422, "explain: %s", plumb_error_format(&err, msg, sizeof msg));
    }
done:
    plumb_frame_free(frame);
    free(csv);
    return r;
}

/* What scoring a request produced. */
typedef struct answer {
    plumb__serve_model *model; /* the one that answered (referenced) */
    plumb__serve_batch batch;
    double *out, *contrib;
    bool fallback;
    char fallback_reason[512];
} answer;

static void answer_free(answer *a) {
    plumb__serve_model_unref(a->model);
    plumb__serve_batch_free(&a->batch);
    free(a->out);
    free(a->contrib);
}

/* Parses rq's body for m, joins stored features (unless skip_store), checks the deadline and scores. Returns 0
 * or the problem's status. */
static int try_model(server *srv, request *rq, plumb__serve_model *m, bool skip_store, answer *a,
                     plumb__serve_problem *prob) {
    const plumb__serve_columns cols = plumb__serve_model_columns(m, srv->cfg->entity_key);
    plumb__serve_batch_free(&a->batch);
    free(a->out);
    free(a->contrib);
    a->out = a->contrib = NULL;
    int st =
        plumb__serve_parse(rq->body ? rq->body : "", rq->len, rq->proto, &cols, &srv->cfg->limits, &a->batch, prob);
    if (st)
        return st;
    if (srv->entities && !skip_store) {
        const uint64_t t0 = now_ns();
        st = plumb__serve_entities_join(srv->entities, &cols, srv->cfg->missing_entity_ok, &a->batch, prob);
        const uint64_t t1 = now_ns();
        plumb__serve_histogram_add(&srv->fetch, t1 - t0);
        if (st)
            return st;
        if (srv->cfg->deadline_ms > 0 && (double)(t1 - rq->start_ns) / 1e6 > srv->cfg->deadline_ms)
            return plumb__serve_fail(prob, 503, "the deadline of %g ms passed while fetching features",
                                     srv->cfg->deadline_ms);
    }
    a->out = malloc((size_t)a->batch.n_rows * (size_t)m->info.n_outputs * sizeof *a->out);
    if (!a->out)
        return plumb__serve_fail(prob, 500, "out of memory");
    const uint64_t t0 = now_ns();
    st = score_rows(m, &a->batch, a->out, prob);
    plumb__serve_histogram_add(&srv->score, now_ns() - t0);
    if (st == 0 && a->batch.explain)
        st = contributions(m, &a->batch, &a->contrib, prob);
    return st;
}

/* Scores rq with the slot's model, or the fallback when the model cannot answer: input it cannot score (422),
 * the feature store down or the deadline passed (503). Malformed and oversized requests get no fallback: they are
 * the client's to fix. */
static int score_request(server *srv, request *rq, plumb__serve_slot *slot, answer *a, plumb__serve_problem *prob) {
    a->model = plumb__serve_slot_acquire(slot);
    const int st = try_model(srv, rq, a->model, false, a, prob);
    if (st == 0 || !srv->fallback || (st != 422 && st != 503))
        return st;
    snprintf(a->fallback_reason, sizeof a->fallback_reason, "%s", prob->message);
    plumb__serve_model_unref(a->model);
    a->model = plumb__serve_slot_acquire(srv->fallback);
    a->fallback = true;
    atomic_fetch_add(&srv->fallbacks, 1);
    /* the store may be what failed: the fallback scores what the request itself holds */
    return try_model(srv, rq, a->model, st == 503, a, prob);
}

static json_t *contrib_names(const plumb__serve_model *m) {
    json_t *names = json_array();
    for (int64_t f = 0; f < m->n_features; f++)
        json_array_append_new(names, json_string(m->names[f]));
    json_array_append_new(names, json_string("bias"));
    return names;
}

static json_t *v2_answer(const plumb__serve_slot *slot, const answer *a) {
    const plumb__serve_model *m = a->model;
    const int64_t n = a->batch.n_rows, k = m->info.n_outputs, w = m->n_features + 1;
    char version[32];
    snprintf(version, sizeof version, "%lld", (long long)m->version);
    json_t *data = json_array();
    for (int64_t i = 0; i < n * k; i++)
        json_array_append_new(data, number(a->out[i]));
    json_t *shape = k > 1 ? json_pack("[II]", (json_int_t)n, (json_int_t)k) : json_pack("[I]", (json_int_t)n);
    json_t *outputs = json_pack("[{ss,ss,so,so}]", "name", "predict", "datatype", "FP64", "shape", shape, "data", data);
    if (a->contrib) {
        json_t *cdata = json_array();
        for (int64_t i = 0; i < n * k * w; i++)
            json_array_append_new(cdata, number(a->contrib[i]));
        json_t *cshape = k > 1 ? json_pack("[III]", (json_int_t)n, (json_int_t)k, (json_int_t)w)
                               : json_pack("[II]", (json_int_t)n, (json_int_t)w);
        json_array_append_new(outputs, json_pack("{ss,ss,so,so,s{so}}", "name", "contrib", "datatype", "FP64", "shape",
                                                 cshape, "data", cdata, "parameters", "names", contrib_names(m)));
    }
    json_t *params = json_pack("{ss,sb}", "checksum", m->checksum, "fallback", a->fallback);
    if (a->fallback)
        json_object_set_new(params, "fallback_reason", json_string(a->fallback_reason));
    if (m->classes) {
        json_t *classes = json_array();
        for (int64_t i = 0; i < k; i++)
            json_array_append_new(classes, json_string(m->classes[i]));
        json_object_set_new(params, "classes", classes);
    }
    json_t *root = json_pack("{ss,ss,so,so}", "model_name", slot->name, "model_version", version, "parameters", params,
                             "outputs", outputs);
    if (a->batch.id)
        json_object_set_new(root, "id", json_string(a->batch.id));
    return root;
}

static json_t *v1_answer(const plumb__serve_slot *slot, const answer *a) {
    const plumb__serve_model *m = a->model;
    const int64_t n = a->batch.n_rows, k = m->info.n_outputs, w = m->n_features + 1;
    json_t *preds = json_array();
    for (int64_t r = 0; r < n; r++) {
        if (k == 1) {
            json_array_append_new(preds, number(a->out[r]));
            continue;
        }
        json_t *row = json_array();
        for (int64_t j = 0; j < k; j++)
            json_array_append_new(row, number(a->out[r * k + j]));
        json_array_append_new(preds, row);
    }
    json_t *root = json_pack("{so,ss,sI,ss,sb}", "predictions", preds, "model_name", slot->name, "model_version",
                             (json_int_t)m->version, "checksum", m->checksum, "fallback", a->fallback);
    if (a->fallback)
        json_object_set_new(root, "fallback_reason", json_string(a->fallback_reason));
    if (a->contrib) {
        json_t *rows = json_array();
        for (int64_t r = 0; r < n; r++) {
            json_t *per_output = json_array();
            for (int64_t j = 0; j < k; j++) {
                json_t *obj = json_object();
                const double *c = a->contrib + (r * k + j) * w;
                for (int64_t f = 0; f < m->n_features; f++)
                    json_object_set_new(obj, m->names[f], number(c[f]));
                json_object_set_new(obj, "bias", number(c[m->n_features]));
                json_array_append_new(per_output, obj);
            }
            json_array_append_new(rows, k == 1 ? json_incref(json_array_get(per_output, 0)) : json_incref(per_output));
            json_decref(per_output);
        }
        json_object_set_new(root, "contributions", rows);
    }
    return root;
}

/* ---- answers written directly --------------------------------------------------------------------------------- */

/* The common answers -- predictions, no explanation, no fallback, names of plain ASCII -- are written here, byte
 * for byte what json_dumps(JSON_COMPACT) makes of v1_answer and v2_answer (the tests compare), without building a
 * jansson document of them first; anything else goes through jansson. */

typedef struct outbuf {
    char *s;
    size_t len, cap;
} outbuf;

/* Appends n bytes; the buffer was sized for the whole answer, so this only checks. */
static bool put(outbuf *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap)
        return false;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
    return true;
}

static bool puts_(outbuf *t, const char *s) {
    return put(t, s, strlen(s));
}

/* A real as jansson 2.14 dumps it (jsonp_dtostr, precision 17): "%.17g", ".0" added when neither '.' nor 'e' is
 * in it, the exponent without '+' or leading zeros; null for what JSON cannot carry, as number() does. */
static bool put_real(outbuf *t, double x) {
    if (!isfinite(x))
        return put(t, "null", 4);
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", x);
    if (n < 0 || (size_t)n >= sizeof buf - 3)
        return false;
    char *e = strchr(buf, 'e');
    if (!e && !strchr(buf, '.')) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(buf + n - end) + 1);
            n -= (int)(end - start);
        }
    }
    return put(t, buf, (size_t)n);
}

/* s needs no escaping in JSON: printable ASCII without quote or backslash. */
static bool plain(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
            return false;
    return true;
}

/* The predictions of a as a JSON array (rows of k outputs nested when k > 1; v2 always flat). */
static bool put_predictions(outbuf *t, const answer *a, bool nest) {
    const int64_t n = a->batch.n_rows, k = a->model->info.n_outputs;
    bool ok = put(t, "[", 1);
    for (int64_t r = 0; r < n && ok; r++) {
        if (r)
            ok &= put(t, ",", 1);
        if (nest && k > 1)
            ok &= put(t, "[", 1);
        for (int64_t j = 0; j < k && ok; j++) {
            if (j)
                ok &= put(t, ",", 1);
            ok &= put_real(t, a->out[r * k + j]);
        }
        if (nest && k > 1)
            ok &= put(t, "]", 1);
    }
    return ok && put(t, "]", 1);
}

/* The answer to a for slot written directly, or NULL when it needs jansson (or memory ran out). */
static char *direct_answer(const plumb__serve_slot *slot, const answer *a, plumb__serve_proto proto, size_t *len) {
    const plumb__serve_model *m = a->model;
    if (a->contrib || a->fallback || !plain(slot->name) || !plain(m->checksum) ||
        (proto == PLUMB__SERVE_V2 && (m->classes || (a->batch.id && !plain(a->batch.id)))))
        return NULL;
    const int64_t n = a->batch.n_rows, k = m->info.n_outputs;
    outbuf t = {.cap = 256 + strlen(slot->name) + (a->batch.id ? strlen(a->batch.id) : 0) + (size_t)(n * k) * 28};
    if (!(t.s = malloc(t.cap)))
        return NULL;
    char num[64];
    bool ok;
    if (proto == PLUMB__SERVE_V1) {
        snprintf(num, sizeof num, "%lld", (long long)m->version);
        ok = puts_(&t, "{\"predictions\":") && put_predictions(&t, a, true) && puts_(&t, ",\"model_name\":\"") &&
             puts_(&t, slot->name) && puts_(&t, "\",\"model_version\":") && puts_(&t, num) &&
             puts_(&t, ",\"checksum\":\"") && puts_(&t, m->checksum) && puts_(&t, "\",\"fallback\":false}");
    } else {
        if (k > 1)
            snprintf(num, sizeof num, "[%lld,%lld]", (long long)n, (long long)k);
        else
            snprintf(num, sizeof num, "[%lld]", (long long)n);
        char version[32];
        snprintf(version, sizeof version, "%lld", (long long)m->version);
        ok = puts_(&t, "{\"model_name\":\"") && puts_(&t, slot->name) && puts_(&t, "\",\"model_version\":\"") &&
             puts_(&t, version) && puts_(&t, "\",\"parameters\":{\"checksum\":\"") && puts_(&t, m->checksum) &&
             puts_(&t, "\",\"fallback\":false},\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP64\",\"shape\":") &&
             puts_(&t, num) && puts_(&t, ",\"data\":") && put_predictions(&t, a, false) && puts_(&t, "}]");
        if (ok && a->batch.id)
            ok = puts_(&t, ",\"id\":\"") && puts_(&t, a->batch.id) && puts_(&t, "\"");
        ok = ok && puts_(&t, "}");
    }
    if (!ok) {
        free(t.s);
        return NULL;
    }
    *len = t.len;
    return t.s;
}

static enum MHD_Result infer(server *srv, struct MHD_Connection *c, request *rq, plumb__serve_slot *slot) {
    answer a = {0};
    plumb__serve_problem prob = {0};
    const int st = score_request(srv, rq, slot, &a, &prob);
    rq->fallback = a.fallback;
    if (st) {
        answer_free(&a);
        return send_error(c, rq, st, prob.message);
    }
    rq->rows = a.batch.n_rows;
    size_t len = 0;
    char *text = direct_answer(slot, &a, rq->proto, &len);
    json_t *obj = text ? NULL : rq->proto == PLUMB__SERVE_V2 ? v2_answer(slot, &a) : v1_answer(slot, &a);
    if (slot->shadow && !a.fallback) { /* kept for the shadow, scored once the answer is sent */
        rq->main_out = a.out;
        rq->main_outputs = a.model->info.n_outputs;
        a.out = NULL;
    }
    answer_free(&a);
    return text ? send_text(c, rq, 200, text, len, "application/json") : send_json(c, rq, 200, obj);
}

/* ---- shadow --------------------------------------------------------------------------------------------------- */

static void utc_now(char *buf, size_t n) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    const size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Appends line and a newline to the shadow log, first moving a log that would outgrow its limit to PATH.1. */
static void shadow_write(server *srv, const char *line) {
    const size_t len = strlen(line) + 1;
    pthread_mutex_lock(&srv->shadow_lock);
    if (srv->shadow_log && srv->shadow_log_size > 0 && srv->shadow_log_size + len > srv->cfg->shadow_log_max) {
        char old[PLUMB_PATH_MAX + 4];
        snprintf(old, sizeof old, "%s.1", srv->cfg->shadow_log);
        fclose(srv->shadow_log);
        rename(srv->cfg->shadow_log, old);
        srv->shadow_log = NULL;
        srv->shadow_log_size = 0;
    }
    /* opened again after a rotation, and at each line while it cannot be (its directory gone): each line lost to
     * that is a log error, as a line the disk refused is */
    if (!srv->shadow_log)
        srv->shadow_log = fopen(srv->cfg->shadow_log, "a");
    if (!srv->shadow_log) {
        atomic_fetch_add(&srv->log_errors, 1);
    } else {
        fprintf(srv->shadow_log, "%s\n", line);
        if (fflush(srv->shadow_log) != 0)
            atomic_fetch_add(&srv->log_errors, 1);
        srv->shadow_log_size += len;
    }
    pthread_mutex_unlock(&srv->shadow_lock);
}

/* Over its budget, the shadow scores 1 request in this many: enough for its mean to come back under the budget when
 * it was one slow batch, not enough to hold the worker threads. */
#define SHADOW_PROBE_EVERY 100

/* Scores the shadow model on rq (after its answer went out) and logs both predictions. A shadow whose recent mean
 * time is over its budget is mostly skipped: it holds a worker thread that the next request on the connection
 * waits for. */
static void shadow_score(server *srv, request *rq) {
    if ((double)atomic_load(&srv->shadow_mean_ns) / 1e6 > srv->cfg->shadow_budget_ms &&
        atomic_fetch_add(&srv->shadow_over, 1) % SHADOW_PROBE_EVERY != SHADOW_PROBE_EVERY - 1) {
        atomic_fetch_add(&srv->shadow_skipped, 1);
        return;
    }
    const uint64_t t0 = now_ns();
    answer a = {.model = plumb__serve_slot_acquire(rq->slot->shadow)};
    plumb__serve_problem prob = {0};
    const int st = try_model(srv, rq, a.model, false, &a, &prob);
    json_t *rows = json_array();
    const int64_t k = a.model->info.n_outputs, km = rq->main_outputs;
    for (int64_t r = 0; r < rq->rows; r++) {
        json_t *main = json_array(), *shadow = json_array();
        for (int64_t j = 0; j < km; j++)
            json_array_append_new(main, number(rq->main_out[r * km + j]));
        for (int64_t j = 0; st == 0 && j < k; j++)
            json_array_append_new(shadow, number(a.out[r * k + j]));
        json_array_append_new(rows, json_pack("{so,so}", "main", main, "shadow", shadow));
    }
    char ts[40];
    utc_now(ts, sizeof ts);
    plumb__serve_model *main_model = plumb__serve_slot_acquire(rq->slot);
    json_t *line = json_pack("{ss,ss,sI,ss,ss,so}", "time", ts, "model", rq->slot->name, "version",
                             (json_int_t)main_model->version, "checksum", main_model->checksum, "shadow_checksum",
                             a.model->checksum, "rows", rows);
    plumb__serve_model_unref(main_model);
    if (st)
        json_object_set_new(line, "shadow_error", json_string(prob.message));
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (text)
        shadow_write(srv, text);
    free(text);
    answer_free(&a);
    atomic_fetch_add(&srv->shadow_scored, 1);
    const uint64_t ns = now_ns() - t0;
    uint64_t mean = atomic_load(&srv->shadow_mean_ns), next;
    do
        next = mean ? mean - mean / 4 + ns / 4 : ns;
    while (!atomic_compare_exchange_weak(&srv->shadow_mean_ns, &mean, next));
}

/* ---- metadata, health, metrics, reload ------------------------------------------------------------------------ */

static const char *v2_datatype(plumb_type t) {
    return t == PLUMB_TYPE_CATEGORICAL ? "BYTES" : t == PLUMB_TYPE_BOOL ? "BOOL" : "FP32";
}

static enum MHD_Result metadata(struct MHD_Connection *c, request *rq, plumb__serve_slot *slot) {
    plumb__serve_model *m = plumb__serve_slot_acquire(slot);
    json_t *inputs = json_array();
    for (int64_t f = 0; f < m->n_features; f++)
        json_array_append_new(
            inputs, json_pack("{ss,ss,s[i]}", "name", m->names[f], "datatype", v2_datatype(m->types[f]), "shape", -1));
    const int64_t k = m->info.n_outputs;
    json_t *oshape = k > 1 ? json_pack("[iI]", -1, (json_int_t)k) : json_pack("[i]", -1);
    char version[32];
    snprintf(version, sizeof version, "%lld", (long long)m->version);
    json_t *obj = json_pack("{ss,s[s],ss,so,s[{ss,ss,so}],s{ss,ss,ss,sI,ss}}", "name", slot->name, "versions", version,
                            "platform", "plumb", "inputs", inputs, "outputs", "name", "predict", "datatype", "FP64",
                            "shape", oshape, "parameters", "checksum", m->checksum, "kind", m->info.kind, "task",
                            plumb_task_name(m->info.task), "n_trees", (json_int_t)m->info.n_trees, "created",
                            m->info.created ? m->info.created : "");
    plumb__serve_model_unref(m);
    return send_json(c, rq, 200, obj);
}

/* The loader's thread has the reload's outcome in rq->waiter: the connection goes on, and the handler is called
 * again to answer. */
static void reload_done(plumb__serve_waiter *w) {
    request *rq = (request *)(void *)((char *)w - offsetof(request, waiter));
    MHD_resume_connection(rq->conn);
}

/* POST .../load: queued with the loader, the connection suspended (the worker thread goes on with its other
 * connections); answered when called again after the loader resumed it. */
static enum MHD_Result reload(server *srv, struct MHD_Connection *c, request *rq, plumb__serve_slot *slot) {
    if (rq->reload_queued) {
        if (rq->waiter.status != 200)
            return send_error(c, rq, rq->waiter.status, rq->waiter.message);
        return send_json(c, rq, 200,
                         json_pack("{ss,sI,ss}", "name", slot->name, "version", (json_int_t)rq->waiter.version,
                                   "checksum", rq->waiter.checksum));
    }
    rq->reload_queued = true;
    rq->conn = c;
    rq->waiter.done = reload_done;
    MHD_suspend_connection(c); /* before the request: the loader may resume it at once */
    if (!plumb__serve_loader_request(srv->loader, slot, &rq->waiter)) {
        rq->waiter.status = 503;
        snprintf(rq->waiter.message, sizeof rq->waiter.message, "the server is stopping: the model was not reloaded");
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

static void write_counter(FILE *f, const char *name, const char *help, uint64_t v) {
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

static enum MHD_Result metrics(server *srv, struct MHD_Connection *c, request *rq) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return send_error(c, rq, 500, "out of memory");
    fprintf(f, "# HELP plumb_requests_total requests answered, by model and HTTP status\n"
               "# TYPE plumb_requests_total counter\n");
    for (int s = 0; s < PLUMB__SERVE_STATUSES; s++) {
        for (int i = 0; i < srv->n_slots; i++) {
            const uint64_t v = atomic_load(&srv->slots[i].requests[s]);
            if (v)
                fprintf(f, "plumb_requests_total{model=\"%s\",status=\"%s\"} %llu\n", srv->slots[i].name,
                        status_labels[s], (unsigned long long)v);
        }
        const uint64_t v = atomic_load(&srv->unrouted[s]);
        if (v)
            fprintf(f, "plumb_requests_total{model=\"\",status=\"%s\"} %llu\n", status_labels[s],
                    (unsigned long long)v);
    }
    plumb__serve_histogram_write(f, "plumb_feature_fetch_seconds", "time to join stored features", &srv->fetch);
    plumb__serve_histogram_write(f, "plumb_scoring_seconds", "time to score the rows of a request", &srv->score);
    plumb__serve_histogram_write(f, "plumb_request_seconds", "time from a request's first byte to its answer",
                                 &srv->total);
    uint64_t reloads = 0, failures = 0;
    for (int i = 0; i < srv->n_slots + srv->n_extra; i++) {
        const plumb__serve_slot *slot = i < srv->n_slots ? &srv->slots[i] : &srv->extra[i - srv->n_slots];
        reloads += atomic_load(&slot->reloads);
        failures += atomic_load(&slot->reload_failures);
    }
    fprintf(f, "# HELP plumb_model_version the version each model serves (1 + its reloads), with its checksum\n"
               "# TYPE plumb_model_version gauge\n");
    for (int i = 0; i < srv->n_slots; i++) {
        plumb__serve_model *m = plumb__serve_slot_acquire(&srv->slots[i]);
        fprintf(f, "plumb_model_version{model=\"%s\",checksum=\"%s\"} %lld\n", srv->slots[i].name, m->checksum,
                (long long)m->version);
        plumb__serve_model_unref(m);
    }
    write_counter(f, "plumb_reloads_total", "models swapped in by a reload", reloads);
    write_counter(f, "plumb_reload_failures_total", "reloads refused (the old model kept serving)", failures);
    write_counter(f, "plumb_fallbacks_total", "requests answered by the fallback model", atomic_load(&srv->fallbacks));
    write_counter(f, "plumb_shadow_scored_total", "requests scored by a shadow model",
                  atomic_load(&srv->shadow_scored));
    write_counter(f, "plumb_shadow_skipped_total", "requests a shadow model skipped (over its budget)",
                  atomic_load(&srv->shadow_skipped));
    write_counter(f, "plumb_log_write_errors_total", "access or shadow log lines that could not be written",
                  atomic_load(&srv->log_errors));
    if (srv->entities) {
        plumb__serve_entity_stats es;
        plumb__serve_entities_stats(srv->entities, &es);
        write_counter(f, "plumb_feature_cache_hits_total", "entities found in the cache", es.hits);
        write_counter(f, "plumb_feature_cache_misses_total", "entities looked up in the store", es.misses);
        write_counter(f, "plumb_feature_store_errors_total", "failed feature store lookups", es.errors);
        fprintf(f,
                "# HELP plumb_feature_cache_hit_ratio hits over lookups\n# TYPE plumb_feature_cache_hit_ratio "
                "gauge\nplumb_feature_cache_hit_ratio %g\n",
                es.hits + es.misses ? (double)es.hits / (double)(es.hits + es.misses) : 0.0);
    }
    fprintf(f,
            "# HELP plumb_requests_in_flight requests being answered\n# TYPE plumb_requests_in_flight gauge\n"
            "plumb_requests_in_flight %d\n# HELP plumb_connections_open open connections, per server thread\n"
            "# TYPE plumb_connections_open gauge\n",
            atomic_load(&srv->in_flight));
    for (int t = 0; t < srv->n_workers; t++)
        fprintf(f, "plumb_connections_open{thread=\"%d\"} %d\n", t, atomic_load(&srv->workers[t].open));
    int queued = 0, running = 0, waiting = 0;
    plumb__serve_loader_counts(srv->loader, &queued, &running, &waiting);
    fprintf(f,
            "# HELP plumb_reloads_queued reloads waiting for the loader\n# TYPE plumb_reloads_queued gauge\n"
            "plumb_reloads_queued %d\n# HELP plumb_reloads_running reloads being loaded (0 or 1)\n"
            "# TYPE plumb_reloads_running gauge\nplumb_reloads_running %d\n"
            "# HELP plumb_reload_requests_waiting load requests waiting for their reload\n"
            "# TYPE plumb_reload_requests_waiting gauge\nplumb_reload_requests_waiting %d\n",
            queued, running, waiting);
    fclose(f);
    return send_text(c, rq, 200, text, len, "text/plain; version=0.0.4");
}

/* ---- routing -------------------------------------------------------------------------------------------------- */

static plumb__serve_slot *find_slot(server *srv, const char *name, size_t len) {
    for (int i = 0; i < srv->n_slots; i++)
        if (strlen(srv->slots[i].name) == len && memcmp(srv->slots[i].name, name, len) == 0)
            return &srv->slots[i];
    return NULL;
}

/* If url is prefix NAME suffix, the slot NAME (or a 404 answer naming it); NULL when url has another shape. */
static bool match(const char *url, const char *prefix, const char *suffix, const char **name, size_t *len) {
    const size_t lp = strlen(prefix), ls = strlen(suffix), lu = strlen(url);
    if (lu <= lp + ls || strncmp(url, prefix, lp) != 0 || strcmp(url + lu - ls, suffix) != 0)
        return false;
    *name = url + lp;
    *len = lu - lp - ls;
    return memchr(*name, '/', *len) == NULL;
}

static enum MHD_Result route(server *srv, struct MHD_Connection *c, request *rq, const char *url, const char *method) {
    const bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    const char *name;
    size_t len;
    char msg[512];
    enum { NONE, META, READY, INFER, PREDICT, LOAD } kind = NONE;
    if (strcmp(url, "/v2/health/live") == 0 || strcmp(url, "/v2/health/ready") == 0) {
        if (!get)
            return send_405(c, rq, "GET", "health checks take GET");
        const bool ready = url[11] == 'l' || !atomic_load(&srv->draining);
        return send_json(c, rq, ready ? 200 : 503, json_pack("{sb}", url[11] == 'l' ? "live" : "ready", ready));
    }
    if (strcmp(url, "/metrics") == 0)
        return get ? metrics(srv, c, rq) : send_405(c, rq, "GET", "/metrics takes GET");
    if (strcmp(url, "/v2") == 0)
        return get ? send_json(c, rq, 200,
                               json_pack("{ss,ss,s[s]}", "name", "plumb", "version", plumb_version(), "extensions",
                                         "model_repository"))
                   : send_405(c, rq, "GET", "/v2 takes GET");
    if (match(url, "/v2/models/", "/infer", &name, &len))
        kind = INFER;
    else if (match(url, "/v2/models/", "/ready", &name, &len))
        kind = READY;
    else if (match(url, "/v1/models/", ":predict", &name, &len))
        kind = PREDICT;
    else if (match(url, "/v2/repository/models/", "/load", &name, &len))
        kind = LOAD;
    else if (match(url, "/v2/models/", "", &name, &len))
        kind = META;
    if (kind == NONE) {
        snprintf(msg, sizeof msg, "no such endpoint: %.20s %.*s", method, (int)plumb__serve_utf8_prefix(url, 200), url);
        return send_error(c, rq, 404, msg);
    }
    plumb__serve_slot *slot = find_slot(srv, name, len);
    if (!slot) {
        snprintf(msg, sizeof msg, "no model named '%.*s'", (int)plumb__serve_utf8_prefix(name, len < 200 ? len : 200),
                 name);
        return send_error(c, rq, 404, msg);
    }
    rq->slot = slot;
    const bool want_post = kind == INFER || kind == PREDICT || kind == LOAD;
    if (want_post ? !post : !get) {
        snprintf(msg, sizeof msg, "%.*s takes %s, not %.20s", (int)plumb__serve_utf8_prefix(url, 200), url,
                 want_post ? "POST" : "GET", method);
        return send_405(c, rq, want_post ? "POST" : "GET", msg);
    }
    if (rq->too_large) {
        snprintf(msg, sizeof msg, "the body exceeds the limit of %zu bytes", srv->cfg->limits.max_body);
        return send_error(c, rq, 413, msg);
    }
    switch (kind) {
    case META:
        return metadata(c, rq, slot);
    case READY:
        return send_json(c, rq, 200, json_pack("{ss,sb}", "name", slot->name, "ready", 1));
    case LOAD:
        return reload(srv, c, rq, slot);
    default:
        rq->proto = kind == INFER ? PLUMB__SERVE_V2 : PLUMB__SERVE_V1;
        return infer(srv, c, rq, slot);
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    server *srv = cls;
    (void)version;
    request *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        rq->start_ns = now_ns();
        rq->close = atomic_load(&srv->draining);
        rq->method = strcmp(method, "GET") == 0 ? "GET" : strcmp(method, "POST") == 0 ? "POST" : "other";
        snprintf(rq->path, sizeof rq->path, "%s", url);
        *con_cls = rq;
        atomic_fetch_add(&srv->in_flight, 1);
        /* a declared length over the limit is refused before a byte of the body is read */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->cfg->limits.max_body) {
            rq->too_large = true;
            char msg[128];
            snprintf(msg, sizeof msg, "the body of %s bytes exceeds the limit of %zu", cl, srv->cfg->limits.max_body);
            return send_error(c, rq, 413, msg);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        const size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->too_large || rq->busy) /* read and dropped */
            return MHD_YES;
        if (rq->len + n > srv->cfg->limits.max_body) {
            rq->too_large = true; /* chunked bodies have no length to refuse up front */
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n + 1)
                cap *= 2;
            if (cap > srv->cfg->limits.max_body + 1)
                cap = srv->cfg->limits.max_body + 1;
            /* slow uploads hold their bodies without holding a thread: the budget bounds them all together */
            const size_t more = cap - rq->cap;
            if (atomic_fetch_add(&srv->buffered, more) + more > srv->cfg->max_buffered) {
                atomic_fetch_sub(&srv->buffered, more);
                rq->busy = true;
                return MHD_YES;
            }
            char *b = realloc(rq->body, cap);
            if (!b) {
                atomic_fetch_sub(&srv->buffered, more);
                return MHD_NO;
            }
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        return MHD_YES;
    }
    if (rq->status) /* answered on the first call (too large) */
        return MHD_YES;
    if (rq->busy) {
        char msg[160];
        snprintf(msg, sizeof msg, "the server holds %zu bytes of request bodies, its limit (--max-buffered): try again",
                 srv->cfg->max_buffered);
        return send_error(c, rq, 503, msg);
    }
    return route(srv, c, rq, url, method);
}

/* ---- completion: shadow, metrics, access log ------------------------------------------------------------------ */

static void json_escape_into(char *dst, size_t n, const char *s) {
    size_t j = 0;
    for (; *s && j + 7 < n; s++) {
        const unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            dst[j++] = '\\';
            dst[j++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            j += (size_t)snprintf(dst + j, n - j, "\\u%04x", ch);
        } else {
            dst[j++] = (char)ch;
        }
    }
    dst[j] = '\0';
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    server *srv = cls;
    request *rq = *con_cls;
    (void)c;
    if (!rq)
        return;
    *con_cls = NULL;
    const uint64_t ns = now_ns() - rq->start_ns;
    if (rq->status) {
        plumb__serve_histogram_add(&srv->total, ns);
        _Atomic uint64_t *counts = rq->slot ? rq->slot->requests : srv->unrouted;
        atomic_fetch_add(&counts[status_index(rq->status)], 1);
    }
    if (srv->access_fd >= 0) {
        char ts[40], path[600], model[600], line[2048];
        utc_now(ts, sizeof ts);
        json_escape_into(path, sizeof path, rq->path);
        json_escape_into(model, sizeof model, rq->slot ? rq->slot->name : "");
        const int n =
            snprintf(line, sizeof line,
                     "{\"time\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"model\":\"%s\","
                     "\"rows\":%lld,\"ms\":%.3f,\"fallback\":%s,\"completed\":%s}\n",
                     ts, rq->method, path, rq->status, model, (long long)rq->rows, (double)ns / 1e6,
                     rq->fallback ? "true" : "false", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false");
        /* one write of a whole line to an O_APPEND file: lines of concurrent requests never interleave */
        if (n > 0 && write(srv->access_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
            atomic_fetch_add(&srv->log_errors, 1);
    }
    if (rq->main_out && rq->status == 200)
        shadow_score(srv, rq);
    free(rq->main_out);
    free(rq->body);
    atomic_fetch_sub(&srv->buffered, rq->cap);
    free(rq);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* ---- connections --------------------------------------------------------------------------------------------- */

/* Connections are accepted here, not by libmicrohttpd. With one listening socket shared by a pool of its threads,
 * whichever thread woke first took a new connection: wrk's 32 connections landed 32/0, 19/14, 16/17, 10/23 and
 * 14/19 on two threads in five runs (plumb_connections_open{thread}), and with 32/0 one core's server thread idled
 * while the other queued everything. The acceptor gives each connection to the worker holding the fewest, so the
 * threads share them evenly (at most one apart). It also enforces --max-connections: a connection over the limit
 * is closed at once (libmicrohttpd, at its own limit, stops watching the listening socket and leaves the next
 * connections unanswered in the kernel's backlog until the client gives up). */

/* libmicrohttpd's notice of a connection closed (or started: nothing to do, it was counted when handed over). */
static void connection_notice(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code) {
    worker *w = cls;
    (void)c;
    (void)socket_context;
    if (code != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    atomic_fetch_sub(&w->open, 1);
    atomic_fetch_sub(&w->srv->connections, 1);
}

static void *accept_loop(void *arg) {
    server *srv = arg;
    while (!atomic_load(&srv->stop_accepting)) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        const int fd = accept4(srv->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* out of descriptors or memory: the pending connection stays queued; try again shortly */
            if (errno != EINTR && errno != ECONNABORTED && !atomic_load(&srv->stop_accepting))
                nanosleep(&(struct timespec){0, 10000000}, NULL);
            continue;
        }
        if (atomic_load(&srv->connections) >= srv->cfg->max_connections) {
            close(fd);
            continue;
        }
        worker *best = &srv->workers[0];
        for (int i = 1; i < srv->n_workers; i++)
            if (atomic_load(&srv->workers[i].open) < atomic_load(&best->open))
                best = &srv->workers[i];
        atomic_fetch_add(&best->open, 1);
        atomic_fetch_add(&srv->connections, 1);
        /* on failure libmicrohttpd has closed fd */
        if (MHD_add_connection(best->daemon, fd, (struct sockaddr *)&addr, len) != MHD_YES) {
            atomic_fetch_sub(&best->open, 1);
            atomic_fetch_sub(&srv->connections, 1);
        }
    }
    return NULL;
}

/* The listening socket at addr (IPv6 only when addr is IPv6), its port into *port; -1 with errno set. */
static int open_listener(const struct sockaddr_storage *addr, bool v6, unsigned *port) {
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    if (fd < 0)
        return -1;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, (const struct sockaddr *)addr, v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0 ||
        listen(fd, SOMAXCONN) != 0 || getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        const int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *port = ntohs(v6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

/* Stops the acceptor and closes the listening socket: new connections are refused from now on. */
static void stop_accepting(server *srv) {
    atomic_store(&srv->stop_accepting, true);
    if (srv->listen_fd >= 0)
        shutdown(srv->listen_fd, SHUT_RDWR); /* wakes the acceptor from accept() */
    if (srv->acceptor_started)
        pthread_join(srv->acceptor, NULL);
    srv->acceptor_started = false;
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    srv->listen_fd = -1;
}

static void stop_workers(server *srv) {
    for (int i = 0; i < srv->n_workers; i++)
        if (srv->workers[i].daemon)
            MHD_stop_daemon(srv->workers[i].daemon);
    free(srv->workers);
    srv->workers = NULL;
    srv->n_workers = 0;
}

/* A connection's memory (libmicrohttpd's pool): its headers, its read and write buffers. libmicrohttpd zeroes the
 * whole pool between two requests of a keep-alive connection: 64 KiB cost 4 us of CPU a request (a sixth of a
 * one-row request; the memset also evicts the model's trees from the L1/L2 caches), 16 KiB about 1 us. Headers
 * over ~16 KiB are refused (431 or 413), as nginx and Apache refuse 8 KiB lines. */
#define CONNECTION_MEMORY 16384

/* ---- start, signals, drain ------------------------------------------------------------------------------------ */

/* SIGHUP: every model served, shadow and fallback, queued for a reload from its file; one that fails keeps its
 * old version. The loader logs the outcomes. */
static void reload_all(server *srv) {
    for (int i = 0; i < srv->n_slots + srv->n_extra; i++) {
        plumb__serve_slot *slot = i < srv->n_slots ? &srv->slots[i] : &srv->extra[i - srv->n_slots];
        if (!plumb__serve_loader_request(srv->loader, slot, NULL))
            fprintf(stderr, "plumb serve: reload of '%s' not queued: out of memory\n", slot->name);
    }
}

static bool load_models(server *srv) {
    const plumb__serve_config *cfg = srv->cfg;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    srv->slots = calloc((size_t)cfg->n_models, sizeof *srv->slots);
    if (!srv->slots)
        return false;
    for (int i = 0; i < cfg->n_models; i++) {
        if (plumb__serve_slot_init(&srv->slots[i], cfg->names[i], cfg->paths[i], &err) != PLUMB_OK) {
            fprintf(stderr, "plumb serve: %s\n", plumb_error_format(&err, msg, sizeof msg));
            srv->n_slots = i + 1;
            return false;
        }
        srv->n_slots = i + 1;
    }
    /* shadows and the fallback are slots too, named for the messages of a reload */
    srv->extra = calloc((size_t)cfg->n_shadows + 1, sizeof *srv->extra);
    if (!srv->extra)
        return false;
    for (int i = 0; i <= cfg->n_shadows; i++) {
        char name[300];
        const char *path = i < cfg->n_shadows ? cfg->shadow_paths[i] : cfg->fallback_path;
        plumb__serve_slot *slot =
            i < cfg->n_shadows ? find_slot(srv, cfg->shadow_names[i], strlen(cfg->shadow_names[i])) : NULL;
        if (i < cfg->n_shadows && !slot) {
            fprintf(stderr, "plumb serve: --shadow names model '%s', which is not served\n", cfg->shadow_names[i]);
            return false;
        }
        if (!path)
            break;
        if (slot)
            snprintf(name, sizeof name, "shadow of %.200s", slot->name);
        else
            snprintf(name, sizeof name, "fallback");
        const plumb_status st = plumb__serve_slot_init(&srv->extra[i], name, path, &err);
        srv->n_extra = i + 1;
        if (st != PLUMB_OK) {
            fprintf(stderr, "plumb serve: %s\n", plumb_error_format(&err, msg, sizeof msg));
            return false;
        }
        if (slot)
            slot->shadow = &srv->extra[i];
        else
            srv->fallback = &srv->extra[i];
    }
    if (cfg->features && plumb__serve_entities_open(cfg->features, cfg->features_table, cfg->cache_size,
                                                    cfg->cache_ttl_s, &srv->entities, &err) != PLUMB_OK) {
        fprintf(stderr, "plumb serve: %s\n", plumb_error_format(&err, msg, sizeof msg));
        return false;
    }
    return true;
}

static bool open_logs(server *srv) {
    const plumb__serve_config *cfg = srv->cfg;
    if (cfg->access_log &&
        (srv->access_fd = open(cfg->access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "plumb serve: cannot open the access log '%s': %s\n", cfg->access_log, strerror(errno));
        return false;
    }
    if (cfg->shadow_log) {
        struct stat stbuf;
        if (!(srv->shadow_log = fopen(cfg->shadow_log, "a"))) {
            fprintf(stderr, "plumb serve: cannot open the shadow log '%s': %s\n", cfg->shadow_log, strerror(errno));
            return false;
        }
        srv->shadow_log_size = stat(cfg->shadow_log, &stbuf) == 0 ? (size_t)stbuf.st_size : 0;
    }
    return true;
}

/* The address to listen on: an IPv4 or IPv6 literal or a host name, resolved once. */
static bool resolve(const char *host, int port, struct sockaddr_storage *addr, bool *v6) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &res) != 0)
        return false;
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return true;
}

static void wait_in_flight(server *srv, uint64_t until) {
    while (atomic_load(&srv->in_flight) > 0 && now_ns() < until)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
}

/* Stops accepting, waits for the requests in flight and the reloads, then stops libmicrohttpd. Returns false when
 * a reload still runs (abandoned: the slots must stay allocated). */
static bool drain(server *srv) {
    atomic_store(&srv->draining, true);
    stop_accepting(srv);
    const uint64_t start = now_ns(), until = start + (uint64_t)(srv->cfg->drain_timeout_s * 1e9);
    wait_in_flight(srv, until);
    const uint64_t t = now_ns();
    /* what the drain timeout leaves for a reload still queued or running; its waiters are answered either way */
    const bool loader_ended = plumb__serve_loader_stop(srv->loader, t < until ? (double)(until - t) / 1e9 : 0);
    /* a reload answered 503 by the stop goes out (libmicrohttpd's threads write it) before the daemon stops */
    wait_in_flight(srv, now_ns() + 1000000000u);
    const int left = atomic_load(&srv->in_flight);
    if (left > 0)
        fprintf(stderr, "plumb serve: %d requests still running after %g s: stopping anyway\n", left,
                srv->cfg->drain_timeout_s);
    /* no connection is suspended now: every reload request was answered by the loader's stop */
    stop_workers(srv);
    return loader_ended;
}

int plumb__serve_run(const plumb__serve_config *cfg) {
    server srv = {.cfg = cfg, .access_fd = -1, .listen_fd = -1};
    int rc = 1;
    bool slots_free = true;
    pthread_mutex_init(&srv.shadow_lock, NULL);
    json_object_seed(0); /* seeded here, before any thread: jansson seeds lazily and racily otherwise */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    /* blocked before any thread starts, so that every signal reaches sigwait below */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!load_models(&srv) || !open_logs(&srv))
        goto done;
    if (!(srv.loader = plumb__serve_loader_start(cfg->quiet))) {
        fprintf(stderr, "plumb serve: cannot start the reload thread\n");
        goto done;
    }
    malloc_trim(0); /* what loading the models took for a moment (registry.c says why) */
    struct sockaddr_storage addr;
    bool v6 = false;
    if (!resolve(cfg->host, cfg->port, &addr, &v6)) {
        fprintf(stderr, "plumb serve: cannot resolve the host '%s'\n", cfg->host);
        goto done;
    }
    unsigned port = 0;
    if ((srv.listen_fd = open_listener(&addr, v6, &port)) < 0) {
        fprintf(stderr, "plumb serve: cannot listen on %s:%d: %s\n", cfg->host, cfg->port, strerror(errno));
        goto done;
    }
    srv.n_workers = cfg->threads > 0 ? cfg->threads : 1;
    if (!(srv.workers = calloc((size_t)srv.n_workers, sizeof *srv.workers)))
        goto done;
    const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
                           MHD_USE_NO_LISTEN_SOCKET;
    for (int i = 0; i < srv.n_workers; i++) {
        worker *w = &srv.workers[i];
        w->srv = &srv;
        /* each may hold every connection: the acceptor holds the total to --max-connections */
        w->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, handle, &srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections + 1, MHD_OPTION_NOTIFY_CONNECTION,
            connection_notice, w, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
            MHD_OPTION_NOTIFY_COMPLETED, completed, &srv, MHD_OPTION_END);
        if (!w->daemon) {
            fprintf(stderr, "plumb serve: cannot start a server thread: %s\n",
                    errno ? strerror(errno) : "libmicrohttpd refused");
            goto done;
        }
    }
    if (pthread_create(&srv.acceptor, NULL, accept_loop, &srv) != 0) {
        fprintf(stderr, "plumb serve: cannot start the accepting thread\n");
        goto done;
    }
    srv.acceptor_started = true;
    printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", cfg->host, v6 ? "]" : "", port);
    fflush(stdout);
    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload_all(&srv);
            continue;
        }
        fprintf(stderr, "plumb serve: %s: draining %d requests in flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                atomic_load(&srv.in_flight));
        slots_free = drain(&srv);
        break;
    }
    rc = 0;
done:
    stop_accepting(&srv);
    stop_workers(&srv);
    if (!plumb__serve_loader_stop(srv.loader, srv.cfg->drain_timeout_s))
        slots_free = false;
    plumb__serve_loader_free(srv.loader);
    if (slots_free) { /* else a reload still runs on them: the process exits now, its memory goes with it */
        for (int i = 0; i < srv.n_slots; i++)
            plumb__serve_slot_free(&srv.slots[i]);
        free(srv.slots);
        for (int i = 0; i < srv.n_extra; i++)
            plumb__serve_slot_free(&srv.extra[i]);
        free(srv.extra);
        plumb__serve_entities_close(srv.entities);
    }
    if (srv.access_fd >= 0)
        close(srv.access_fd);
    if (srv.shadow_log)
        fclose(srv.shadow_log);
    pthread_mutex_destroy(&srv.shadow_lock);
    return rc;
}
