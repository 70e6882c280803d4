/* demo_realtime.h -- the serving half of `plumb demo realtime` (demo_realtime.c). */
#ifndef PLUMB_CLI_DEMO_REALTIME_H
#define PLUMB_CLI_DEMO_REALTIME_H

#include <stdio.h>

typedef struct cli_realtime_options {
    double rate;               /* requests per second, the slow path */
    double fast_rate;          /* requests per second, the other steps */
    double seconds;            /* measured seconds per step */
    double throughput_seconds; /* the fast path's closed-loop run */
    int connections;           /* of the generator */
    int server_threads;        /* of each plumb serve */
    const char *features;      /* NULL: the fast path's store is SQLite (store.db); "redis://HOST:PORT": Redis,
                                  loaded with the pairs as hashes "pairs:KEY" */
} cli_realtime_options;

/* Serves and loads each step of the study in dir (written by plumb_study_run("realtime")), adds "latency" to
 * dir/report.json and renders dir/report.html again; one line per step on summary (may be NULL). EXIT_OK, or
 * EXIT_DATA after a message on stderr. */
int cli_demo_realtime_serve(const char *dir, const cli_realtime_options *o, FILE *summary);

#endif /* PLUMB_CLI_DEMO_REALTIME_H */
