/* bench_cputime.c -- per-row scoring cost in CPU time of the calling thread, for bench/run-compile: on a shared
 * machine whose load varies, the thread's CPU time leaves out the time other processes hold the core (not their
 * effect on the caches), so models measured minutes apart can still be compared.
 *
 * usage: bench_cputime [--rows N] [--reps N] MODEL TEST.csv
 *
 * Loads MODEL (any kind: a .plumb file or a compiled .so), reads the first --rows rows (10000) of TEST.csv (a
 * header; every column named like one of the model's features is read as float32, "label" is skipped), binds a
 * scorer to the file's columns, then --reps times (5): every row in its own plumb_scorer_matrix call (one row)
 * and all rows in one call (batch), both on 1 thread. Prints "cpu_row_us X" and "cpu_batch_us X" (per row, median
 * over the repetitions). Exit status: 0 success, 1 a library or data error, 2 a usage error.
 */
#define _GNU_SOURCE
#include <plumb/plumb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COLS 256
#define MAX_REPS 50

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    long rows = 10000, reps = 5;
    const char *paths[2];
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        long *opt = strcmp(argv[i], "--rows") == 0 ? &rows : strcmp(argv[i], "--reps") == 0 ? &reps : NULL;
        if (opt && i + 1 < argc)
            *opt = strtol(argv[++i], NULL, 10);
        else if (n_paths < 2 && argv[i][0] != '-')
            paths[n_paths++] = argv[i];
        else
            n_paths = 3;
    }
    if (n_paths != 2 || rows < 1 || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "usage: bench_cputime [--rows N] [--reps N] MODEL TEST.csv\n");
        return 2;
    }
    plumb_model *m = NULL;
    plumb_scorer *s = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    if (plumb_model_load(paths[0], &m, &err) != PLUMB_OK) {
        fprintf(stderr, "bench_cputime: %s\n", plumb_error_format(&err, msg, sizeof msg));
        return 1;
    }
    FILE *f = fopen(paths[1], "r");
    char *line = NULL, *names[MAX_COLS];
    size_t cap = 0;
    int cols = 0, label = -1;
    if (!f || getline(&line, &cap, f) < 0) {
        fprintf(stderr, "bench_cputime: cannot read '%s'\n", paths[1]);
        return 1;
    }
    for (char *p = line, *tok; cols < MAX_COLS && (tok = strsep(&p, ",\r\n")) != NULL && *tok; cols++) {
        names[cols] = strdup(tok);
        if (strcmp(tok, "label") == 0)
            label = cols;
    }
    const int F = cols - (label >= 0);
    const char *features[MAX_COLS];
    for (int c = 0, j = 0; c < cols; c++)
        if (c != label)
            features[j++] = names[c];
    float *x = malloc((size_t)rows * (size_t)F * sizeof *x);
    double *out = malloc((size_t)rows * 64 * sizeof *out);
    long n = 0;
    while (x && out && n < rows && getline(&line, &cap, f) > 0) {
        char *p = line;
        for (int c = 0, j = 0; c < cols && p; c++) {
            char *end;
            const float v = strtof(p, &end);
            if (c != label)
                x[n * F + j++] = end == p ? __builtin_nanf("") : v;
            p = strchr(end, ',');
            p = p ? p + 1 : NULL;
        }
        n++;
    }
    fclose(f);
    free(line);
    if (plumb_scorer_create(m, features, F, &s, &err) != PLUMB_OK) {
        fprintf(stderr, "bench_cputime: %s\n", plumb_error_format(&err, msg, sizeof msg));
        return 1;
    }
    const int64_t K = plumb_scorer_n_outputs(s);
    double one[MAX_REPS], all[MAX_REPS];
    for (long r = -1; r < reps; r++) {
        const double t0 = cpu_now();
        for (long i = 0; i < n; i++)
            plumb_scorer_matrix(s, x + i * F, PLUMB_DTYPE_F32, PLUMB_LAYOUT_ROW_MAJOR, 1, 1, out + i * K, &err);
        const double t1 = cpu_now();
        if (plumb_scorer_matrix(s, x, PLUMB_DTYPE_F32, PLUMB_LAYOUT_ROW_MAJOR, n, 1, out, &err) != PLUMB_OK) {
            fprintf(stderr, "bench_cputime: %s\n", plumb_error_format(&err, msg, sizeof msg));
            return 1;
        }
        const double t2 = cpu_now();
        if (r >= 0) {
            one[r] = (t1 - t0) / (double)n * 1e6;
            all[r] = (t2 - t1) / (double)n * 1e6;
        }
    }
    printf("rows %ld\ncpu_row_us %.4f\ncpu_batch_us %.4f\n", n, median(one, (int)reps), median(all, (int)reps));
    plumb_scorer_free(s);
    plumb_model_free(m);
    for (int c = 0; c < cols; c++)
        free(names[c]);
    free(x);
    free(out);
    return 0;
}
