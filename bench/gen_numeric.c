/* gen_numeric.c -- writes the benchmark's numeric CSV: a Higgs-like table of 28 float columns.
 *
 * usage: gen_numeric [ROWS [PATH]]      defaults: 1000000 rows, bench/data/numeric_1m.csv
 *
 * The columns mimic the UCI HIGGS features (no label): a lepton, missing energy and four jets, each with a
 * transverse momentum (positive, skewed), a pseudo-rapidity (centred, +-2.5), an azimuth (uniform, +-1.74) and,
 * for jets, a b-tag written as the integer 0, 1 or 2; then seven invariant masses (positive, around 1). Values
 * are written like "%.7g" (7 significant digits, trailing zeros dropped, exponent form below 1e-4), so a few
 * fields in 100,000 have an exponent, as in real exports. 1,000,000 rows make about 250 MB.
 *
 * The output is the same on every machine: the random numbers come from a splitmix64 generator with a fixed
 * seed, the distributions use only + - * / (no libm, whose last bits vary between versions), and the decimal
 * text is made with integer arithmetic rather than printf, which is also what makes the generator fast (a few
 * seconds for the full file). The file is written through plumb_outfile, so an interrupted run leaves nothing
 * under PATH and bench/run regenerates it next time.
 */
#include <plumb/plumb.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_COLS 28
#define SEED UINT64_C(0x5EED0F4166510001)

/* ---------------------------------------------------------------------------------------------------------- */
/* Random numbers                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */

/* splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014). */
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 random bits. */
static double uniform(uint64_t *state) {
    return (double)(next_u64(state) >> 11) * 0x1p-53;
}

/* Approximately standard normal: the Irwin-Hall sum of four uniforms, centred and scaled to unit variance
 * (bounded to +-3.46, which suits detector quantities that are clipped anyway). */
static double normal(uint64_t *state) {
    double s = uniform(state) + uniform(state) + uniform(state) + uniform(state);
    return (s - 2.0) * 1.7320508075688772;
}

/* A transverse momentum: positive and right-skewed, mostly 0.3 to 3. */
static double momentum(uint64_t *state) {
    double g = normal(state);
    return 0.28 + 0.45 * g * g + 0.6 * uniform(state);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Formatting                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

/* Writes x like printf("%.7g") would for finite |x| < 1e15 (|x| < 1e-15 is written as 0) and returns the end.
 * The rounding to 7 digits is done on |x| * 10^k in double, which may round a value exactly halfway between
 * two 7-digit decimals differently from printf; the text is still a correct 7-digit number, which is all the
 * benchmark needs. */
static char *format_g7(char *p, double x) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (x > -1e-15 && x < 1e-15) {
        *p++ = '0';
        return p;
    }
    if (x < 0.0) {
        *p++ = '-';
        x = -x;
    }
    /* e10: the decimal exponent of x, so that 10^e10 <= x < 10^(e10+1) */
    int e10 = 0;
    while (e10 < 15 && x >= pow10[e10 + 1])
        e10++;
    while (x < 1.0 && e10 > -16 && x * pow10[-e10] < 1.0)
        e10--;
    /* m: the 7 significant digits, 1000000 <= m < 10000000 */
    int shift = 6 - e10;
    double scaled = shift >= 0 ? x * pow10[shift] : x / pow10[-shift];
    uint64_t m = (uint64_t)(scaled + 0.5);
    if (m >= 10000000) {
        m /= 10;
        e10++;
    }
    char digits[7];
    for (int i = 6; i >= 0; i--, m /= 10)
        digits[i] = (char)('0' + m % 10);
    int n_sig = 7;
    while (n_sig > 1 && digits[n_sig - 1] == '0')
        n_sig--;
    if (e10 < -4 || e10 >= 7) {
        /* d.dddddde-XX */
        *p++ = digits[0];
        if (n_sig > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)n_sig - 1);
            p += n_sig - 1;
        }
        *p++ = 'e';
        *p++ = e10 < 0 ? '-' : '+';
        int ae = e10 < 0 ? -e10 : e10;
        *p++ = (char)('0' + ae / 10);
        *p++ = (char)('0' + ae % 10);
    } else if (e10 < 0) {
        /* 0.000ddddddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > e10; i--)
            *p++ = '0';
        memcpy(p, digits, (size_t)n_sig);
        p += n_sig;
    } else {
        /* ddd.dddd: e10 + 1 digits before the point */
        int before = e10 + 1;
        memcpy(p, digits, (size_t)before);
        p += before;
        if (n_sig > before) {
            *p++ = '.';
            memcpy(p, digits + before, (size_t)(n_sig - before));
            p += n_sig - before;
        }
    }
    return p;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Rows                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

/* Writes one record (28 fields and a newline) at p; returns the end. At most N_COLS * 16 bytes. */
static char *write_row(char *p, uint64_t *state) {
    /* lepton: pt, eta, phi; missing energy: magnitude, phi */
    p = format_g7(p, momentum(state));
    *p++ = ',';
    p = format_g7(p, 0.75 * normal(state));
    *p++ = ',';
    p = format_g7(p, 3.48 * uniform(state) - 1.74);
    *p++ = ',';
    p = format_g7(p, momentum(state));
    *p++ = ',';
    p = format_g7(p, 3.48 * uniform(state) - 1.74);
    *p++ = ',';
    /* four jets: pt, eta, phi, b-tag */
    for (int jet = 0; jet < 4; jet++) {
        p = format_g7(p, momentum(state));
        *p++ = ',';
        p = format_g7(p, 0.72 * normal(state));
        *p++ = ',';
        p = format_g7(p, 3.48 * uniform(state) - 1.74);
        *p++ = ',';
        double u = uniform(state);
        *p++ = u < 0.55 ? '0' : u < 0.8 ? '1' : '2';
        *p++ = ',';
    }
    /* seven invariant masses */
    for (int k = 0; k < 7; k++) {
        double g = normal(state);
        double v = 1.0 + 0.25 * g + 0.04 * g * g * g;
        p = format_g7(p, v > 0.075 ? v : 0.075 + 0.1 * uniform(state));
        *p++ = k < 6 ? ',' : '\n';
    }
    return p;
}

int main(int argc, char **argv) {
    if (argc > 3 || (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
        fprintf(argc > 3 ? stderr : stdout, "usage: gen_numeric [ROWS [PATH]]\n"
                                            "writes a Higgs-like CSV of ROWS x 28 numbers (default 1000000 rows, "
                                            "about 250 MB)\nto PATH (default bench/data/numeric_1m.csv)\n");
        return argc > 3 ? 2 : 0;
    }
    long long rows = 1000000;
    if (argc > 1) {
        char *end;
        errno = 0;
        rows = strtoll(argv[1], &end, 10);
        if (errno || *end || end == argv[1] || rows < 1) {
            fprintf(stderr, "gen_numeric: bad row count '%s': expected a positive integer\n", argv[1]);
            return 2;
        }
    }
    const char *path = argc > 2 ? argv[2] : "bench/data/numeric_1m.csv";

    int status = 1;
    plumb_outfile *file = NULL;
    FILE *out = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    enum { ROWS_PER_BLOCK = 4096 };
    const size_t cap = (size_t)ROWS_PER_BLOCK * N_COLS * 16;
    char *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "gen_numeric: out of memory\n");
        return 1;
    }
    if (plumb_outfile_open(path, &file, &out, &err) != PLUMB_OK) {
        fprintf(stderr, "gen_numeric: %s\n", plumb_error_format(&err, msg, sizeof msg));
        goto done;
    }
    char *p = buf;
    for (int j = 0; j < N_COLS; j++)
        p += sprintf(p, j + 1 < N_COLS ? "f%d," : "f%d\n", j);
    uint64_t state = SEED;
    unsigned long long bytes = 0;
    for (long long row = 0; row < rows;) {
        for (int k = 0; k < ROWS_PER_BLOCK && row < rows; k++, row++)
            p = write_row(p, &state);
        size_t n = (size_t)(p - buf);
        if (fwrite(buf, 1, n, out) != n) {
            fprintf(stderr, "gen_numeric: cannot write '%s': %s\n", path, strerror(errno));
            goto done;
        }
        bytes += n;
        p = buf;
    }
    status = 0;
done:
    if (status == 0) {
        plumb_status st = plumb_outfile_commit(file, &err);
        file = NULL;
        if (st != PLUMB_OK) {
            fprintf(stderr, "gen_numeric: %s\n", plumb_error_format(&err, msg, sizeof msg));
            status = 1;
        } else {
            fprintf(stderr, "gen_numeric: wrote %lld rows x %d columns, %llu bytes to '%s'\n", rows, N_COLS, bytes,
                    path);
        }
    }
    plumb_outfile_abort(file);
    free(buf);
    return status;
}
