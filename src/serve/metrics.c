/* metrics.c -- latency histograms for /metrics: fixed buckets, atomic counts, no lock on the request path. */
#include "serve.h"

#include <stdio.h>

/* upper bounds in nanoseconds: 50 us to 1 s, where a scoring server's latencies fall */
static const uint64_t bounds_ns[PLUMB__SERVE_N_BUCKETS] = {50000,     100000,    250000,    500000,    1000000,
                                                           2500000,   5000000,   10000000,  25000000,  50000000,
                                                           100000000, 250000000, 500000000, 1000000000};

void plumb__serve_histogram_add(plumb__serve_histogram *h, uint64_t ns) {
    int b = 0;
    while (b < PLUMB__SERVE_N_BUCKETS && ns > bounds_ns[b])
        b++;
    atomic_fetch_add_explicit(&h->counts[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->n, 1, memory_order_relaxed);
}

void plumb__serve_histogram_write(FILE *f, const char *name, const char *help, const plumb__serve_histogram *h) {
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int b = 0; b <= PLUMB__SERVE_N_BUCKETS; b++) {
        cum += atomic_load_explicit(&h->counts[b], memory_order_relaxed);
        if (b < PLUMB__SERVE_N_BUCKETS)
            fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, (double)bounds_ns[b] / 1e9, (unsigned long long)cum);
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    fprintf(f, "%s_sum %.9f\n%s_count %llu\n", name, (double)atomic_load(&h->sum_ns) / 1e9, name,
            (unsigned long long)atomic_load(&h->n));
}
