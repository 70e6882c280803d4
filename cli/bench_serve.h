/* bench_serve.h -- the load generator of plumb bench-serve and plumb demo realtime: HTTP POST requests at a fixed
 * rate (open loop) or as fast as the connections go (closed loop), their latencies and throughput.
 *
 * Open loop: request i is due at start + i / rate whether or not the server kept up, and its latency runs from that
 * due time, not from when a connection was free to send it, so a server that stalls is charged for every request
 * that waited behind the stall (no coordinated omission).
 */
#ifndef PLUMB_CLI_BENCH_SERVE_H
#define PLUMB_CLI_BENCH_SERVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_options {
    const char *host; /* numeric IPv4 address */
    int port;
    const char *path;          /* "/v1/models/m:predict" */
    const char *const *bodies; /* JSON request bodies, sent in turn (cycled) */
    size_t n_bodies;
    double rate;       /* requests per second; 0: closed loop */
    int connections;   /* keep-alive connections */
    double duration_s; /* measured time */
    double warmup_s;   /* sent first at the same rate, not measured */
} bench_options;

enum { BENCH_BUCKETS = 48 }; /* latency histogram: bucket k holds latencies up to 10 us x 1.5^k */

typedef struct bench_result {
    int64_t requests; /* measured responses (2xx and others) */
    int64_t non_2xx;  /* of them, status not 2xx */
    int64_t
        errors; /* connection errors, unreadable responses, requests due but unsent or unanswered 10 s after the end */
    double seconds;    /* from the first measured due time to the last response */
    double throughput; /* measured responses per second */
    double p50_ms, p90_ms, p99_ms, p999_ms, max_ms, mean_ms;
    int64_t hist[BENCH_BUCKETS];
} bench_result;

/* Runs the load; 0, or -1 with the reason in why (size n) when the server cannot be reached. */
int bench_run(const bench_options *o, bench_result *r, char *why, size_t n);

/* The result as JSON: the settings, requests, errors, p50_ms ... max_ms, throughput and the histogram. */
json_t *bench_result_json(const bench_options *o, const bench_result *r);

/* The upper edge, in milliseconds, of histogram bucket k. */
double bench_bucket_ms(int k);

#endif /* PLUMB_CLI_BENCH_SERVE_H */
