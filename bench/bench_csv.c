/* bench_csv.c -- times plumb_frame_read_csv on one file, for bench/run to set beside pandas.read_csv.
 *
 * usage: bench_csv [--warmup N] [--runs N] [--threads N] FILE
 *
 * Reads FILE through the public API only, first --warmup times (default 0), then --runs times (default 3),
 * freeing the frame after each read, and prints one line per read with the wall time of the call (the file should
 * already be in the page cache: bench/run warms it). Then, from the last frame: its size (plumb_frame_memory), the size
 * of the same numbers as raw float32 (rows * columns * 4), their ratio, how much the first read grew the resident set,
 * with the frame alive (a measurement, unlike plumb_frame_memory, which is bookkeeping), the process's peak resident
 * set (ru_maxrss; it includes the pages of the mmap'd input file, which plumb reads in place), and a checksum of all
 * values, which bench/run compares with pandas' to show both read the same numbers.
 *
 * Output lines are "key value..." so that scripts can pick them with awk. Exit status: 0 success, 1 the read
 * failed or the file is not all float32 features, 2 a usage error.
 */
#include <plumb/plumb.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size of this process in bytes, from /proc/self/statm; 0 when unavailable. */
static size_t resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int usage(FILE *out, int status) {
    fprintf(out, "usage: bench_csv [--warmup N] [--runs N] [--threads N] FILE\n"
                 "  --warmup N   reads of FILE before the measured ones, printed as 'warmup' (default 0)\n"
                 "  --runs N     reads of FILE, each timed and printed (default 3)\n"
                 "  --threads N  reader threads, 0 = all cores (default 0)\n");
    return status;
}

static bool parse_count(const char *s, long min, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min)
        return false;
    *out = v;
    return true;
}

/* Sum of every value of the frame in double, column by column; false when a column is not float32. */
static bool checksum(const plumb_frame *frame, double *out) {
    const int64_t rows = plumb_frame_n_rows(frame), cols = plumb_frame_n_columns(frame);
    double total = 0.0;
    for (int64_t j = 0; j < cols; j++) {
        const float *x = plumb_frame_f32(frame, j);
        if (!x)
            return false;
        double s = 0.0;
        for (int64_t i = 0; i < rows; i++)
            s += (double)x[i];
        total += s;
    }
    *out = total;
    return true;
}

int main(int argc, char **argv) {
    long warmup = 0, runs = 3, threads = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout, 0);
        long *value = strcmp(a, "--runs") == 0      ? &runs
                      : strcmp(a, "--warmup") == 0  ? &warmup
                      : strcmp(a, "--threads") == 0 ? &threads
                                                    : NULL;
        if (value && i + 1 < argc) {
            if (!parse_count(argv[++i], value == &runs ? 1 : 0, value)) {
                fprintf(stderr, "bench_csv: bad value '%s' for %s\n", argv[i], a);
                return usage(stderr, 2);
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bench_csv: unknown option '%s'\n", a);
            return usage(stderr, 2);
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "bench_csv: more than one file\n");
            return usage(stderr, 2);
        }
    }
    if (!path)
        return usage(stderr, 2);

    plumb_read_options opts;
    plumb_read_options_init(&opts);
    opts.n_threads = (int)threads;
    printf("plumb %s\n", plumb_version());
    if (threads > 0)
        printf("threads %ld\n", threads);
    else
        printf("threads 0 (all cores: %ld online)\n", sysconf(_SC_NPROCESSORS_ONLN));

    plumb_frame *frame = NULL;
    size_t rss_growth = 0;
    for (long run = 1 - warmup; run <= runs; run++) {
        plumb_frame_free(frame);
        frame = NULL;
        plumb_error err;
        const size_t rss0 = resident_bytes();
        const double t0 = now_seconds();
        const plumb_status st = plumb_frame_read_csv(path, &opts, &frame, &err);
        const double t1 = now_seconds();
        if (st != PLUMB_OK) {
            char msg[PLUMB_ERROR_MAX];
            fprintf(stderr, "bench_csv: %s\n", plumb_error_format(&err, msg, sizeof msg));
            return 1;
        }
        const size_t rss1 = resident_bytes();
        if (run == 1 - warmup) /* later reads reuse the heap the first one freed, so only the first grows it */
            rss_growth = rss1 > rss0 ? rss1 - rss0 : 0;
        if (run < 1)
            printf("warmup %ld seconds %.6f\n", run + warmup, t1 - t0);
        else
            printf("run %ld seconds %.6f\n", run, t1 - t0);
        fflush(stdout);
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const int64_t rows = plumb_frame_n_rows(frame), cols = plumb_frame_n_columns(frame);
    const size_t frame_bytes = plumb_frame_memory(frame);
    const size_t raw_bytes = (size_t)rows * (size_t)cols * sizeof(float);
    double sum = 0.0;
    if (!checksum(frame, &sum)) {
        fprintf(stderr, "bench_csv: '%s' has columns that are not float32 features\n", path);
        plumb_frame_free(frame);
        return 1;
    }
    printf("rows %" PRId64 "\n", rows);
    printf("columns %" PRId64 "\n", cols);
    printf("frame_bytes %zu\n", frame_bytes);
    printf("raw_f32_bytes %zu\n", raw_bytes);
    printf("memory_ratio %.6f\n", (double)frame_bytes / (double)raw_bytes);
    printf("rss_growth_bytes %zu\n", rss_growth);
    printf("peak_rss_bytes %lld\n", (long long)ru.ru_maxrss * 1024);
    printf("checksum %.17g\n", sum);
    plumb_frame_free(frame);
    return 0;
}
