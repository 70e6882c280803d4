/* cmd_bench_serve.c -- `plumb bench-serve URL`: a fixed request rate (open loop, latencies from each request's due
 * time) or as fast as the connections go, for a scoring server; p50/p90/p99/p99.9 and a histogram (bench_serve.h).
 */
#include "bench_serve.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"body", 'b', "FILE", NULL, "request bodies, one JSON document a line, sent in turn (required)"},
    {"rate", 'r', "R", "1000", "requests per second (open loop); 0: as fast as the connections go (closed loop)"},
    {"connections", 'c', "N", "4", "keep-alive connections"},
    {"duration", 'd', "S", "10", "seconds measured"},
    {"warmup", 0, "S", "1", "seconds of load sent first and not measured"},
    {"json", 0, "FILE", NULL, "also write the results as JSON (p50_ms, p99_ms, ..., the histogram)"},
    CLI_QUIET_OPTION("; with --json, nothing on standard output either"),
    {NULL, 0, NULL, NULL, NULL},
};

/* "http://HOST:PORT/PATH" into host (IPv4; localhost is 127.0.0.1), port and path; false when it is not one. */
static bool parse_url(const char *url, char *host, size_t host_n, int *port, const char **path) {
    if (strncmp(url, "http://", 7) != 0)
        return false;
    const char *h = url + 7, *colon = strchr(h, ':'), *slash = strchr(h, '/');
    if (!colon || !slash || colon > slash || colon == h || (size_t)(colon - h) >= host_n)
        return false;
    snprintf(host, host_n, "%.*s", (int)(colon - h), h);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, host_n, "127.0.0.1");
    char *end;
    const long p = strtol(colon + 1, &end, 10);
    if (end != slash || p < 1 || p > 65535)
        return false;
    *port = (int)p;
    *path = slash;
    return true;
}

/* The lines of path that are not empty, into *lines (malloc'ed strings); -1 with errno when it cannot be read. */
static long read_lines(const char *path, char ***lines) {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    long n = 0;
    ssize_t len;
    *lines = NULL;
    if (!f)
        return -1;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char **nl = realloc(*lines, (size_t)(n + 1) * sizeof *nl);
        if (!nl || !(nl[n] = strdup(line))) {
            *lines = nl ? nl : *lines;
            break;
        }
        *lines = nl;
        n++;
    }
    free(line);
    fclose(f);
    return n;
}

static int run(const cli_args *a) {
    char host[256];
    int port;
    const char *path;
    if (!parse_url(a->pos[0], host, sizeof host, &port, &path))
        return cli_usage_error(a->cmd, "the URL is http://HOST:PORT/PATH with HOST an IPv4 address, not '%s'",
                               a->pos[0]);
    const char *body = cli_get(a, "body");
    if (!body)
        return cli_usage_error(a->cmd, "--body FILE is required");
    double rate = 1000, duration = 10, warmup = 1;
    long long conns = 4;
    if (!cli_double(a, "rate", &rate) || !cli_double(a, "duration", &duration) || !cli_double(a, "warmup", &warmup) ||
        !cli_int(a, "connections", 1, &conns))
        return EXIT_USAGE;
    if (!(rate >= 0 && rate <= 1e7) || !(duration > 0 && duration <= 86400) || !(warmup >= 0 && warmup <= 3600) ||
        conns > 10000)
        return cli_usage_error(a->cmd, "--rate from 0 to 1e7, --duration from 0 to 86400 (not 0), --warmup from 0 to "
                                       "3600, --connections up to 10000");
    char **lines = NULL;
    const long n = read_lines(body, &lines);
    if (n <= 0) {
        fprintf(stderr, "plumb bench-serve: %s: %s\n", body, n < 0 ? strerror(errno) : "no request body in the file");
        free(lines);
        return EXIT_DATA;
    }
    const bench_options o = {.host = host,
                             .port = port,
                             .path = path,
                             .bodies = (const char *const *)lines,
                             .n_bodies = (size_t)n,
                             .rate = rate,
                             .connections = (int)conns,
                             .duration_s = duration,
                             .warmup_s = warmup};
    bench_result r;
    char why[512];
    int rc = EXIT_OK;
    if (bench_run(&o, &r, why, sizeof why) != 0) {
        fprintf(stderr, "plumb bench-serve: %s\n", why);
        rc = EXIT_DATA;
        goto done;
    }
    if (cli_quiet && cli_get(a, "json"))
        goto write_json;
    printf("%s: %lld requests in %.2f s (%.0f/s; %s), %lld not 2xx, %lld errors\n", a->pos[0], (long long)r.requests,
           r.seconds, r.throughput, rate > 0 ? "open loop at a fixed rate" : "closed loop", (long long)r.non_2xx,
           (long long)r.errors);
    printf("latency (ms): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", r.p50_ms, r.p90_ms,
           r.p99_ms, r.p999_ms, r.max_ms, r.mean_ms);
write_json:;
    const char *json = cli_get(a, "json");
    if (json) {
        json_t *j = bench_result_json(&o, &r);
        plumb_outfile *of = NULL;
        FILE *f;
        plumb_error err;
        if (plumb_outfile_open(json, &of, &f, &err) != PLUMB_OK) {
            json_decref(j);
            rc = cli_fail(&err);
            goto done;
        }
        json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', f);
        json_decref(j);
        if (plumb_outfile_commit(of, &err) != PLUMB_OK)
            rc = cli_fail(&err);
    }
done:
    for (long i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return rc;
}

const cli_command cli_bench_serve = {
    .name = "bench-serve",
    .usage = "URL --body FILE [options]",
    .summary = "load a scoring server at a fixed request rate and report its latency percentiles",
    .details = "Sends POST requests with the bodies of FILE in turn over keep-alive connections. With --rate R the\n"
               "load is an open loop: request i is due at i/R seconds whatever the server does, and its latency runs\n"
               "from that due time, so a stall is charged to every request that waited behind it. --rate 0 sends as\n"
               "fast as the connections go, for the throughput. Errors (connections lost, unreadable responses,\n"
               "requests unanswered 10 s after the end) are counted apart from responses that are not 2xx.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
