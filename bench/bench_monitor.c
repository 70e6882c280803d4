/* bench_monitor.c -- times plumb_monitor_run (bench/run-monitor): a model file with its reference profile against
 * a CSV read once; prints the seconds of the read and of each of REPS monitoring runs, and the alerts.
 *
 * usage: bench_monitor MODEL CSV REPS THREADS
 */
#include <plumb/plumb.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* CPU seconds (user + system) of the process so far: on a loaded machine, what the work cost. */
static double cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bench_monitor MODEL CSV REPS THREADS\n");
        return 2;
    }
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    plumb_model *m = NULL;
    plumb_frame *f = NULL;
    plumb_set_threads(atoi(argv[4]));
    if (plumb_model_load(argv[1], &m, &err) != PLUMB_OK) {
        fprintf(stderr, "%s\n", plumb_error_format(&err, msg, sizeof msg));
        return 1;
    }
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.schema = plumb_model_schema(m);
    o.schema_subset = 1;
    o.n_threads = atoi(argv[4]);
    double t0 = now();
    if (plumb_frame_read_csv(argv[2], &o, &f, &err) != PLUMB_OK) {
        fprintf(stderr, "%s\n", plumb_error_format(&err, msg, sizeof msg));
        return 1;
    }
    printf("read %.3f s: %lld rows x %lld columns\n", now() - t0, (long long)plumb_frame_n_rows(f),
           (long long)plumb_frame_n_columns(f));
    plumb_monitor_options mo;
    plumb_monitor_options_init(&mo);
    mo.threads = atoi(argv[4]);
    double *pred = malloc((size_t)plumb_frame_n_rows(f) * sizeof *pred);
    const plumb_predict_options po = {.threads = atoi(argv[4]), .uncalibrated = true};
    for (int r = 0; pred && r < atoi(argv[3]); r++) { /* the part of monitoring that is scoring */
        t0 = now();
        const double c0 = cpu();
        if (plumb_model_predict(m, f, &po, pred, &err) != PLUMB_OK)
            return 1;
        printf("predict %.3f s wall, %.3f s cpu\n", now() - t0, cpu() - c0);
    }
    free(pred);
    for (int r = 0; r < atoi(argv[3]); r++) {
        plumb_monitor *mon = NULL;
        t0 = now();
        const double c0 = cpu();
        if (plumb_monitor_run(m, f, &mo, &mon, &err) != PLUMB_OK) {
            fprintf(stderr, "%s\n", plumb_error_format(&err, msg, sizeof msg));
            return 1;
        }
        printf("monitor %.3f s wall, %.3f s cpu, %lld alerts\n", now() - t0, cpu() - c0,
               (long long)plumb_monitor_n_alerts(mon));
        plumb_monitor_free(mon);
    }
    plumb_frame_free(f);
    plumb_model_free(m);
    return 0;
}
