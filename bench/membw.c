/* membw.c -- the machine's memory bandwidth, for judging how close plumb's histogram kernel gets to it.
 *
 * usage: membw [MIB]        (default 512: each array; far larger than any cache)
 *
 * Three STREAM-like loops (McCalpin's STREAM benchmark measures the same things) over arrays of MIB MiB, with
 * 1 thread and with all cores: read (sum of 64-bit words), copy (memcpy per thread's slice) and triad
 * (a[i] = b[i] + s * c[i]). Each is run 5 times and the best time is kept, as STREAM does. Bytes counted are the
 * bytes the loop names (read: 1 array, summed as 64-bit integers; copy: 2; triad: 3); a write also costs a read for
 * ownership that is not counted, again as STREAM does. Also a random-access probe: dependent loads at random
 * 64-byte-aligned offsets (a pointer chase), giving the latency of a cache miss. Prints "key value" lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static volatile double sink;

/* Best of 5 runs of one kernel with nt threads; returns seconds. kind: 0 read, 1 copy, 2 triad. */
static double run(int kind, int nt, double *a, double *b, double *c, size_t n) {
    (void)nt; /* unused without OpenMP */
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double sum = 0;
        const double t0 = now_seconds();
#pragma omp parallel num_threads(nt) reduction(+ : sum)
        {
#ifdef _OPENMP
            const size_t tid = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
#else
            const size_t tid = 0, T = 1;
#endif
            const size_t lo = n * tid / T, hi = n * (tid + 1) / T;
            if (kind == 0) {
                /* integer adds, which the compiler may reorder and vectorize, so the loop waits on memory only */
                const uint64_t *w = (const uint64_t *)b;
                uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                size_t i = lo;
                for (; i + 4 <= hi; i += 4) {
                    s0 += w[i];
                    s1 += w[i + 1];
                    s2 += w[i + 2];
                    s3 += w[i + 3];
                }
                for (; i < hi; i++)
                    s0 += w[i];
                sum += (double)(s0 + s1 + s2 + s3);
            } else if (kind == 1) {
                memcpy(a + lo, b + lo, (hi - lo) * sizeof *a);
            } else {
                for (size_t i = lo; i < hi; i++)
                    a[i] = b[i] + 3.0 * c[i];
            }
        }
        const double dt = now_seconds() - t0;
        sink = sum + a[n / 2];
        if (dt < best)
            best = dt;
    }
    return best;
}

int main(int argc, char **argv) {
    const size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 512;
    if (mib < 8) {
        fprintf(stderr, "usage: membw [MIB]   (at least 8)\n");
        return 2;
    }
    const size_t n = mib * 1024 * 1024 / sizeof(double);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "membw: out of memory\n");
        return 1;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        a[i] = 0;
        b[i] = (double)(i & 1023);
        c[i] = 1.0;
    }
    static const char *names[3] = {"read", "copy", "triad"};
    static const double arrays[3] = {1, 2, 3};
    const int all = max_threads();
    printf("array_mib %zu\n", mib);
    for (int k = 0; k < 3; k++)
        for (int nt = 1; nt <= all; nt = nt == all ? all + 1 : all) {
            const double s = run(k, nt, a, b, c, n);
            printf("%s_gb_per_s threads=%d %.2f\n", names[k], nt, arrays[k] * (double)(n * sizeof *a) / s / 1e9);
        }

    /* pointer chase over the a array viewed as 64-byte lines: a random cyclic permutation (Sattolo's algorithm) */
    const size_t lines = n * sizeof *a / 64, stride = 64 / sizeof(size_t);
    size_t *next = (size_t *)a;
    uint64_t x = 0x9E3779B97F4A7C15u;
    size_t *perm = malloc(lines * sizeof *perm);
    if (!perm) {
        fprintf(stderr, "membw: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < lines; i++)
        perm[i] = i;
    for (size_t i = lines - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        const size_t j = (size_t)(x % i);
        const size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < lines; i++)
        next[perm[i] * stride] = perm[(i + 1) % lines] * stride;
    free(perm);
    const size_t steps = 20000000;
    size_t p = 0;
    const double t0 = now_seconds();
    for (size_t i = 0; i < steps; i++)
        p = next[p];
    const double dt = now_seconds() - t0;
    sink = (double)p;
    printf("random_miss_ns %.1f\n", dt / (double)steps * 1e9);
    free(a);
    free(b);
    free(c);
    return 0;
}
