/* demo_realtime.c -- the serving half of `plumb demo realtime`: the study (src/studies/realtime.c) wrote the
 * models, the raw tables, the per-request SQL and the precomputed features; this loads them into SQLite, starts
 * `plumb serve` for each step from the slow path to the fast one, loads each at the same fixed rate with the
 * bench-serve generator, and adds the latencies to the study's record (report.json, report.html re-rendered).
 *
 * The steps: 1. the prototype: features aggregated per request from the raw ratings (features.sql), the teacher;
 * 2. the features precomputed into the feature store; 3. the in-process cache in front of it; 4. the distilled
 * student; 5. the student compiled to a shared object. Each server gets the same bodies (one candidate pair a
 * request, JSON), is primed with them (not measured), then loaded open loop: the slow path at the rate it can
 * sustain (--rate, 10/s), the others at a higher one (--fast-rate, 200/s), so that their p99 rests on enough
 * requests -- a harder condition for them, not an easier one. The last step's throughput is measured closed
 * loop.
 */
#include "bench_serve.h"
#include "cli.h"
#include "demo_realtime.h"
#include "http_response.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct step {
    const char *name, *what, *model, *quality_of; /* quality_of: the study's model whose quality the step has */
    bool query, cache;
} step;

static const step steps[] = {
    {"slow path", "features aggregated per request from the raw ratings (SQL), the teacher", "teacher.plumb", "teacher",
     true, false},
    {"+ feature store", "features precomputed offline into the store (SQLite, or Redis with --features), the teacher",
     "teacher.plumb", "teacher", false, false},
    {"+ cache", "the in-process cache in front of the store", "teacher.plumb", "teacher", false, true},
    {"+ distilled student", "the student (60 trees of 15 leaves) instead of the teacher", "student.plumb", "student",
     false, true},
    {"+ compiled", "the student compiled to a shared object", "student.so", "student_so", false, true},
};
#define N_STEPS ((int)(sizeof steps / sizeof *steps))

/* A running `plumb serve`. */
typedef struct server {
    pid_t pid;
    int port;
} server;

/* Starts `plumb serve ARGS --port 0 -q` (argv NULL-terminated, without the program and the port), its log in
 * log_path; reads the port from its "listening on" line. 0, or -1 with why. */
static int server_start(const char *const *args, const char *log_path, server *s, char *why, size_t n) {
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(why, n, "pipe: %s", strerror(errno));
        return -1;
    }
    const char *argv[48];
    int k = 0;
    argv[k++] = "plumb";
    argv[k++] = "serve";
    for (; *args && k < 44; args++)
        argv[k++] = *args;
    argv[k++] = "--port";
    argv[k++] = "0";
    argv[k] = NULL;
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        FILE *log = freopen(log_path, "w", stderr);
        (void)log;
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    if (s->pid < 0) {
        close(fd[0]);
        snprintf(why, n, "fork: %s", strerror(errno));
        return -1;
    }
    char buf[512];
    size_t len = 0;
    s->port = 0;
    for (;;) {
        struct pollfd p = {.fd = fd[0], .events = POLLIN};
        if (poll(&p, 1, 60000) <= 0)
            break;
        const ssize_t r = read(fd[0], buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        const char *l = strstr(buf, "listening on http://127.0.0.1:");
        if (l && strchr(l, '\n')) {
            s->port = atoi(l + strlen("listening on http://127.0.0.1:"));
            break;
        }
        if (len == sizeof buf - 1)
            break;
    }
    close(fd[0]);
    if (s->port <= 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        snprintf(why, n, "plumb serve did not start (its log: %s)", log_path);
        return -1;
    }
    return 0;
}

/* SIGTERM, then its exit (the server drains and stops). */
static void server_stop(server *s) {
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

/* The value of counter name in the server's /metrics, NaN when it cannot be read. */
static double metric(int port, const char *name) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    double v = NAN;
    if (fd < 0)
        return v;
    static char buf[1 << 16];
    size_t len = 0;
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && send(fd, req, sizeof req - 1, MSG_NOSIGNAL) > 0) {
        int status;
        const char *why;
        long whole = 0;
        ssize_t r;
        while (len < sizeof buf - 1 && (r = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0) {
            len += (size_t)r;
            if ((whole = http_response_parse(buf, len, &status, &why)) != 0)
                break;
        }
        buf[len] = '\0';
        const char *p = whole > 0 ? strstr(buf, "\r\n\r\n") : NULL;
        for (; p && (p = strstr(p, name)); p += strlen(name))
            if (p[-1] == '\n' && p[strlen(name)] == ' ') {
                v = strtod(p + strlen(name), NULL);
                break;
            }
    }
    close(fd);
    return v;
}

/* CPU seconds used by the children waited for so far. */
static double children_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The study's figure key of model name in rec's realtime.models, NaN when absent. */
static double quality(const json_t *rec, const char *name, const char *key) {
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(json_object_get(rec, "realtime"), "models"), i, m) {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return json_is_number(json_object_get(m, key)) ? json_number_value(json_object_get(m, key)) : NAN;
    }
    return NAN;
}

/* "dir/name" into a static buffer of 8 (used round robin, so a call's result lives for 7 more calls). */
static const char *in_dir(const char *dir, const char *name) {
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}

/* The first n keys of pairs.csv as request bodies (malloc'ed strings). */
static size_t read_bodies(const char *path, char **bodies, size_t n) {
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t k = 0;
    if (!f)
        return 0;
    if (fgets(line, sizeof line, f)) /* the header */
        while (k < n && fgets(line, sizeof line, f)) {
            line[strcspn(line, ",\n")] = '\0';
            char body[256];
            snprintf(body, sizeof body, "{\"instances\": [{\"pair\": \"%.200s\"}]}", line);
            if (!(bodies[k] = strdup(body)))
                break;
            k++;
        }
    fclose(f);
    return k;
}

/* Loads the CSV at path into Redis at uri ("redis://HOST:PORT") as hashes "TABLE:KEY" (the first column the key;
 * empty values left out), as the Redis feature store reads them; pipelined. 0, or -1 with why. */
static int load_redis(const char *path, const char *uri, const char *table, char *why, size_t n) {
    char host[256];
    int port = 6379, rc = -1;
    if (sscanf(uri, "redis://%255[^:/]:%d", host, &port) < 1) {
        snprintf(why, n, "bad redis uri '%s': expected redis://HOST:PORT", uri);
        return -1;
    }
    redisContext *c = redisConnect(host, port);
    FILE *f = fopen(path, "r");
    char *line = NULL, *head = NULL, *names[128], *vals[128];
    size_t cap = 0;
    long pending = 0;
    if (!c || c->err || !f) {
        snprintf(why, n, "%s", !f ? "cannot read the pairs" : c ? c->errstr : "out of memory");
        goto done;
    }
    int nf = 0;
    if (getline(&head, &cap, f) <= 0)
        goto done;
    head[strcspn(head, "\r\n")] = '\0';
    for (char *t = strtok(head, ","); t && nf < 128; t = strtok(NULL, ","))
        names[nf++] = t;
    cap = 0;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char key[512];
        const char *argv[2 + 2 * 128];
        int argc = 0, k = 0;
        for (char *p = line, *e; p && k < nf; p = e ? e + 1 : NULL, k++) {
            e = strchr(p, ',');
            if (e)
                *e = '\0';
            vals[k] = p;
        }
        snprintf(key, sizeof key, "%s:%s", table, vals[0]);
        argv[argc++] = "HSET";
        argv[argc++] = key;
        for (int i = 1; i < k; i++)
            if (vals[i][0]) {
                argv[argc++] = names[i];
                argv[argc++] = vals[i];
            }
        if (argc > 2 && redisAppendCommandArgv(c, argc, argv, NULL) == REDIS_OK)
            pending++;
    }
    for (; pending > 0; pending--) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR) {
            snprintf(why, n, "redis at %s:%d: %s", host, port, r ? r->str : c->errstr);
            freeReplyObject(r);
            goto done;
        }
        freeReplyObject(r);
    }
    rc = 0;
done:
    free(line);
    free(head);
    if (f)
        fclose(f);
    redisFree(c);
    return rc;
}

int cli_demo_realtime_serve(const char *dir, const cli_realtime_options *ro, FILE *summary) {
    enum { N_BODIES = 200 };
    char *bodies[N_BODIES] = {0}, why[1024] = "", *text = NULL;
    json_t *rec = NULL, *jsteps = json_array();
    int rc = EXIT_DATA;
    plumb_error err;
    server srv = {0};
    const size_t nb = read_bodies(in_dir(dir, "pairs.csv"), bodies, N_BODIES);
    json_error_t je;
    if (nb == 0) {
        fprintf(stderr, "plumb demo: %s: no candidate pairs\n", in_dir(dir, "pairs.csv"));
        goto done;
    }
    if (!(rec = json_load_file(in_dir(dir, "report.json"), 0, &je))) {
        fprintf(stderr, "plumb demo: %s:%d:%d: %s\n", in_dir(dir, "report.json"), je.line, je.column, je.text);
        goto done;
    }
    /* the raw tables of the slow path, the precomputed features of the fast one */
    unlink(in_dir(dir, "raw.db"));
    unlink(in_dir(dir, "store.db"));
    if (plumb_features_load(in_dir(dir, "ratings.csv"), "rating_id", in_dir(dir, "raw.db"), "ratings", &err) !=
            PLUMB_OK ||
        plumb_features_load(in_dir(dir, "movies.csv"), "movieId", in_dir(dir, "raw.db"), "movies", &err) != PLUMB_OK ||
        plumb_features_load(in_dir(dir, "pairs.csv"), "pair", in_dir(dir, "store.db"), "pairs", &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    const char *store = ro->features ? ro->features : in_dir(dir, "store.db");
    char store_arg[4200];
    snprintf(store_arg, sizeof store_arg, "%s", store);
    if (ro->features && load_redis(in_dir(dir, "pairs.csv"), ro->features, "pairs", why, sizeof why) != 0)
        goto fail;
    char threads[16];
    snprintf(threads, sizeof threads, "%d", ro->server_threads);
    double p99_slow = NAN, p99_fast = NAN, auc_teacher = quality(rec, "teacher", "roc_auc");
    bench_result fast_tp = {0};
    bench_options fast_tpo = {0};
    for (int k = 0; k < N_STEPS; k++) {
        const step *st = &steps[k];
        char model_arg[4200], log_name[64];
        snprintf(model_arg, sizeof model_arg, "%s", in_dir(dir, st->model));
        snprintf(log_name, sizeof log_name, "serve_%d.log", k + 1);
        const char *args[24] = {model_arg, "--name", "m",  "--entity-key", "pair",
                                "-t",      threads,  "-q", "--features",   NULL};
        int a = 9;
        if (st->query) {
            args[a++] = in_dir(dir, "raw.db");
            args[a++] = "--features-query";
            args[a++] = in_dir(dir, "features.sql");
        } else {
            args[a++] = store_arg;
            args[a++] = "--features-table";
            args[a++] = "pairs";
        }
        args[a++] = "--cache-size";
        args[a++] = st->cache ? "100000" : "0";
        args[a] = NULL;
        if (server_start(args, in_dir(dir, log_name), &srv, why, sizeof why) != 0)
            goto fail;
        bench_options o = {.host = "127.0.0.1",
                           .port = srv.port,
                           .path = "/v1/models/m:predict",
                           .bodies = (const char *const *)bodies,
                           .n_bodies = nb,
                           .rate = 0,
                           .connections = 1,
                           .duration_s = 1e-3,
                           .warmup_s = 0};
        bench_result r;
        /* prime: every body once, one at a time (the slow path's first pass is slow: at most 10 s) */
        o.duration_s = st->query ? 2 : 0.3;
        if (bench_run(&o, &r, why, sizeof why) != 0)
            goto fail;
        const double hits0 = metric(srv.port, "plumb_feature_cache_hits_total");
        const double miss0 = metric(srv.port, "plumb_feature_cache_misses_total");
        const double cpu0 = children_cpu();
        o.rate = k == 0 ? ro->rate : ro->fast_rate;
        o.connections = ro->connections;
        o.duration_s = ro->seconds;
        o.warmup_s = 0.5;
        if (bench_run(&o, &r, why, sizeof why) != 0)
            goto fail;
        const double hits = metric(srv.port, "plumb_feature_cache_hits_total") - hits0;
        const double miss = metric(srv.port, "plumb_feature_cache_misses_total") - miss0;
        if (k == N_STEPS - 1) { /* the fast path's throughput: closed loop */
            fast_tpo = o;
            fast_tpo.rate = 0;
            fast_tpo.connections = 8;
            fast_tpo.duration_s = ro->throughput_seconds;
            fast_tpo.warmup_s = 0.3;
            if (bench_run(&fast_tpo, &fast_tp, why, sizeof why) != 0)
                goto fail;
        }
        server_stop(&srv);
        /* CPU of the server over the whole step (priming and throughput included), per 1,000 requests */
        const double cpu = children_cpu() - cpu0;
        json_t *js = bench_result_json(&o, &r);
        json_object_set_new(js, "name", json_string(st->name));
        json_object_set_new(js, "what", json_string(st->what));
        json_object_set_new(js, "model", json_string(st->quality_of));
        json_object_set_new(js, "roc_auc", json_real(quality(rec, st->quality_of, "roc_auc")));
        json_object_set_new(js, "ndcg_at_10", json_real(quality(rec, st->quality_of, "ndcg_at_10")));
        json_object_set_new(js, "cache_hit_ratio",
                            st->cache && hits + miss > 0 ? json_real(hits / (hits + miss)) : json_null());
        if (k < N_STEPS - 1)
            json_object_set_new(js, "server_cpu_s_per_1000",
                                r.requests > 0 ? json_real(cpu / (double)r.requests * 1000) : json_null());
        json_array_append_new(jsteps, js);
        if (k == 0)
            p99_slow = r.p99_ms;
        p99_fast = r.p99_ms;
        if (summary)
            fprintf(summary, "%-22s p50 %8.3f ms  p99 %8.3f ms  (%lld requests at %g/s, %lld errors)  AUC %.4f\n",
                    st->name, r.p50_ms, r.p99_ms, (long long)r.requests, o.rate, (long long)r.errors,
                    quality(rec, st->quality_of, "roc_auc"));
    }
    const double auc_fast = quality(rec, "student_so", "roc_auc");
    json_t *lat = json_pack(
        "{s:s, s:f, s:f, s:i, s:f, s:i, s:o, s:o, s:o, s:o, s:o}", "feature_store", ro->features ? "redis" : "sqlite",
        "rate_slow", ro->rate, "rate_fast", ro->fast_rate, "connections", ro->connections, "duration_s", ro->seconds,
        "server_threads", ro->server_threads, "steps", jsteps, "throughput", bench_result_json(&fast_tpo, &fast_tp),
        "p99_ratio", json_real(p99_slow / p99_fast), "auc_change", json_real(auc_fast - auc_teacher), "goals",
        json_pack("{s:b, s:b}", "p99_100x_at_equal_quality",
                  p99_slow / p99_fast >= 100 && fabs(auc_fast - auc_teacher) <= 0.005, "throughput_20k",
                  fast_tp.throughput >= 20000));
    jsteps = NULL;
    json_object_set_new(rec, "latency", lat);
    if (summary) {
        fprintf(summary, "fast path: %.0f requests/s closed loop (8 connections); p99 %.1fx lower than the slow path\n",
                fast_tp.throughput, p99_slow / p99_fast);
    }
    if (!(text = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
        snprintf(why, sizeof why, "out of memory");
        goto fail;
    }
    if (plumb_report_write(text, strlen(text), in_dir(dir, "report.html"), &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    rc = EXIT_OK;
    goto done;
fail:
    fprintf(stderr, "plumb demo: %s\n", why);
done:
    server_stop(&srv);
    for (size_t i = 0; i < N_BODIES; i++)
        free(bodies[i]);
    free(text);
    json_decref(jsteps);
    json_decref(rec);
    return rc;
}
