/* gen_higgs.c -- writes the gradient-boosting benchmark's data: a Higgs-like binary problem, train and test CSV.
 *
 * usage: gen_higgs [--train-rows N] [--test-rows N] [--noise S] TRAIN.csv TEST.csv
 *        defaults: 1000000 training rows, 200000 test rows, noise 0.8
 *
 * The 28 columns follow the layout of the UCI HIGGS data (Baldi, Sadowski and Whiteson, 2014), named f0..f27,
 * then the label:
 *   f0-f2 lepton pt, eta, phi;  f3-f4 missing energy magnitude, phi;
 *   f5-f20 four jets ordered by pt, each pt, eta, phi and a b-tag written as the integer 0, 1 or 2;
 *   f21-f27 invariant masses m_jj, m_jjj, m_lv, m_jlv, m_bb, m_wbb, m_wwbb computed from those objects (massless
 *   kinematics: m^2 = 2 pt1 pt2 (cosh d_eta - cos d_phi), sums of pair masses for three or more objects),
 *   smeared by a detector resolution of 8%.
 * The label is a noisy threshold of a nonlinear score: y = [z(x) + noise * e > 0], e roughly standard normal,
 * where z mixes resonance bumps of three masses (the m_bb bump weighted by the b-tags of its jets: a pairwise
 * interaction), a count of b-tags, the product of lepton pt and missing energy, the cosine of the azimuth
 * between lepton and missing energy scaled by the missing energy, and an exclusive-or of the leading jet's pt
 * and the lepton's centrality. The masses carry most of the signal but not all, as in HIGGS, so trees profit
 * from both the raw and the derived columns. f15, f18 and f19 (jet 3 phi, jet 4 eta and phi) are written as fresh
 * random numbers: pure noise. f1 (lepton eta), f9 (jet 2 pt) and f25 (m_bb) are missing (empty field) in 5% of
 * the rows each, at random; z is computed from the true values, so a model loses a little where they are
 * missing. The default noise level 0.8 puts the best possible test AUC (the AUC of z itself, printed at the end)
 * near 0.825 and the share of positives near 0.53 (HIGGS: 0.53), so that a strong model lands around 0.8, a little
 * below the 0.84 to 0.89 that boosted trees and deep nets reach on HIGGS.
 *
 * The output is the same on every machine: each row draws from its own splitmix64 stream, seeded by a hash of
 * a fixed seed, the set (train or test) and the row number, so a shorter file is a prefix of a longer one; the
 * arithmetic is + - * / and sqrt (correctly rounded by IEEE 754) with our own series for cos and cosh, never
 * libm's transcendental functions, whose last bits vary between versions. Numbers are written with six decimals
 * (trailing zeros dropped) by integer arithmetic. Files are written through plumb_outfile: an interrupted run
 * leaves nothing under the paths. Exit status: 0 written, 1 an I/O error, 2 a usage error.
 */
#include <plumb/plumb.h>

#include "auc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FEATURES 28
#define SEED UINT64_C(0x48166575B05E7001)
#define PI 3.14159265358979323846

/* ---------------------------------------------------------------------------------------------------------- */
/* Random numbers                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */

/* splitmix64: a Weyl sequence (state += golden gamma) through a 64-bit finaliser (Steele, Lea and Flood,
 * OOPSLA 2014). */
static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t draw(uint64_t *state) {
    return mix(*state += UINT64_C(0x9E3779B97F4A7C15));
}

/* Uniform in [0, 1), 53 bits. */
static double uniform(uint64_t *state) {
    return (double)(draw(state) >> 11) * 0x1p-53;
}

/* Roughly standard normal: six uniforms summed (Irwin-Hall, variance 1/2), centred, scaled by sqrt 2; bounded
 * by +-4.24, which detector quantities are anyway. */
static double normal(uint64_t *state) {
    double s = 0;
    for (int k = 0; k < 6; k++)
        s += uniform(state);
    return (s - 3.0) * 1.4142135623730951;
}

/* Roughly exponential with mean 1: half the sum of two squared normals (chi-square with two degrees of
 * freedom is exponential). */
static double expo(uint64_t *state) {
    const double a = normal(state), b = normal(state);
    return 0.5 * (a * a + b * b);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Kinematics, with series instead of libm                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* cos x for any x: reduced to [-pi, pi], then to [0, pi/2] by symmetry, then Taylor to x^16 (error < 1e-12). */
static double cos_series(double x) {
    while (x > PI)
        x -= 2 * PI;
    while (x < -PI)
        x += 2 * PI;
    double sign = 1;
    if (x < 0)
        x = -x;
    if (x > PI / 2) {
        x = PI - x;
        sign = -1;
    }
    const double x2 = x * x;
    double term = 1, sum = 1;
    for (int k = 1; k <= 8; k++) {
        term *= -x2 / (double)((2 * k - 1) * (2 * k));
        sum += term;
    }
    return sign * sum;
}

/* cosh x for |x| <= 10: Taylor to x^60 (relative error < 1e-15 there). */
static double cosh_series(double x) {
    const double x2 = x * x;
    double term = 1, sum = 1;
    for (int k = 1; k <= 30; k++) {
        term *= x2 / (double)((2 * k - 1) * (2 * k));
        sum += term;
    }
    return sum;
}

typedef struct object {
    double pt, eta, phi;
    bool has_eta; /* missing energy has no measured eta: pairs with it use the transverse mass */
    int btag;     /* jets: 0, 1 or 2 */
    bool b;       /* jets: truly from a b quark */
} object;

/* Squared invariant mass of two massless objects (transverse when one has no eta). */
static double mass2(const object *a, const object *b) {
    const double d_eta = a->has_eta && b->has_eta ? a->eta - b->eta : 0.0;
    return 2 * a->pt * b->pt * (cosh_series(d_eta) - cos_series(a->phi - b->phi));
}

/* Invariant mass of n massless objects: the square root of the sum of their pair masses squared. */
static double mass_of(const object *const *o, int n) {
    double m2 = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            m2 += mass2(o[i], o[j]);
    return sqrt(m2 > 0 ? m2 : 0);
}

static double clip(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* A resonance bump: 1 at centre, 1/2 at centre +- width (Cauchy shape). */
static double bump(double x, double centre, double width) {
    const double d = (x - centre) / width;
    return 1 / (1 + d * d);
}

/* x / (1 + |x|): a smooth saturating function. */
static double soft(double x) {
    return x / (1 + (x < 0 ? -x : x));
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Events                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/* Draws one event into x[0..28) (NaN where missing) and returns its noise-free score z; *y gets the label. */
static double make_event(uint64_t *st, double noise, double *x, int *y) {
    object lep = {.pt = 0.25 + 0.75 * expo(st), .eta = clip(normal(st), -2.5, 2.5), .has_eta = true};
    lep.phi = PI * (2 * uniform(st) - 1);
    object met = {.pt = 0.1 + 0.8 * expo(st), .phi = PI * (2 * uniform(st) - 1)};
    object jet[4];
    static const double pt_scale[4] = {0.9, 0.7, 0.55, 0.45}, b_share[4] = {0.45, 0.45, 0.25, 0.2};
    for (int j = 0; j < 4; j++) {
        jet[j] =
            (object){.pt = 0.3 + pt_scale[j] * expo(st), .eta = clip(1.1 * normal(st), -2.5, 2.5), .has_eta = true};
        jet[j].phi = PI * (2 * uniform(st) - 1);
        jet[j].b = uniform(st) < b_share[j];
        const double u = uniform(st); /* b-tagging: efficient for b jets, a few mistags for the others */
        jet[j].btag = jet[j].b ? (u < 0.15 ? 0 : u < 0.35 ? 1 : 2) : (u < 0.75 ? 0 : u < 0.92 ? 1 : 2);
    }
    for (int i = 1; i < 4; i++) /* order by pt, highest first (insertion sort) */
        for (int j = i; j > 0 && jet[j].pt > jet[j - 1].pt; j--) {
            object t = jet[j];
            jet[j] = jet[j - 1];
            jet[j - 1] = t;
        }
    /* the b pair: the two jets with the highest b-tags (ties: higher pt); the other two make the W */
    int order[4] = {0, 1, 2, 3};
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && jet[order[j]].btag > jet[order[j - 1]].btag; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    const object *b1 = &jet[order[0]], *b2 = &jet[order[1]], *w1 = &jet[order[2]], *w2 = &jet[order[3]];

    const object *jj[] = {w1, w2}, *jjj[] = {w1, w2, b1}, *lv[] = {&lep, &met}, *jlv[] = {b2, &lep, &met},
                 *bb[] = {b1, b2}, *wbb[] = {w1, w2, b1, b2}, *wwbb[] = {w1, w2, b1, b2, &lep, &met};
    double m[7] = {mass_of(jj, 2), mass_of(jjj, 3), mass_of(lv, 2),  mass_of(jlv, 3),
                   mass_of(bb, 2), mass_of(wbb, 4), mass_of(wwbb, 6)};
    static const double m_scale[7] = {0.79, 0.344, 1.16, 0.426, 0.567, 0.219, 0.147}; /* brings medians near 1 */
    for (int k = 0; k < 7; k++)
        m[k] = m_scale[k] * m[k] * (1 + 0.08 * normal(st));

    /* the ground truth */
    const int btags = jet[0].btag + jet[1].btag + jet[2].btag + jet[3].btag;
    const double both_b = (b1->btag > 0) + (b2->btag > 0); /* 0, 1, 2 */
    double z = -1.0;
    z += 1.3 * bump(m[4], 1.0, 0.25) * (0.3 + 0.35 * both_b); /* m_bb peak, stronger with two b-tags */
    z += 0.9 * bump(m[6], 1.1, 0.3);                          /* m_wwbb */
    z += 0.5 * bump(m[1], 0.9, 0.35);                         /* m_jjj */
    z += 0.15 * (btags - 2);
    z += 0.6 * soft((lep.pt - 1.0) * (met.pt - 0.9));
    z += 0.35 * cos_series(lep.phi - met.phi) * clip(met.pt, 0, 2);
    z += 0.3 * ((jet[0].pt > 1.1) == (lep.eta * lep.eta < 0.8) ? 1 : -1);
    z -= 0.2 * clip(jet[0].eta - jet[1].eta < 0 ? jet[1].eta - jet[0].eta : jet[0].eta - jet[1].eta, 0, 3);
    *y = z + noise * normal(st) > 0;

    /* the columns, in HIGGS order */
    double *p = x;
    *p++ = lep.pt, *p++ = lep.eta, *p++ = lep.phi;
    *p++ = met.pt, *p++ = met.phi;
    for (int j = 0; j < 4; j++)
        *p++ = jet[j].pt, *p++ = jet[j].eta, *p++ = jet[j].phi, *p++ = jet[j].btag;
    for (int k = 0; k < 7; k++)
        *p++ = m[k];
    x[15] = PI * (2 * uniform(st) - 1); /* pure noise: jet 3 phi, jet 4 eta and phi drawn afresh */
    x[18] = clip(1.1 * normal(st), -2.5, 2.5);
    x[19] = PI * (2 * uniform(st) - 1);
    static const int missing_cols[3] = {1, 9, 25};
    for (int k = 0; k < 3; k++)
        if (uniform(st) < 0.05)
            x[missing_cols[k]] = NAN;
    return z;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Output                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/* Writes x rounded to six decimals, trailing zeros dropped ("0.25", "-3.141593", "2"); nothing for NaN.
 * |x| must be below 9e12. Returns the end. */
static char *format_fixed6(char *p, double x) {
    if (x != x)
        return p;
    const double r = x < 0 ? -x * 1e6 + 0.5 : x * 1e6 + 0.5;
    uint64_t v = (uint64_t)r;
    if (x < 0 && v > 0)
        *p++ = '-';
    uint64_t ip = v / 1000000, fp = v % 1000000;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *p++ = tmp[--n];
    if (fp) {
        *p++ = '.';
        int digits = 6;
        while (fp % 10 == 0) {
            fp /= 10;
            digits--;
        }
        for (int k = digits - 1; k >= 0; k--, fp /= 10)
            p[k] = (char)('0' + fp % 10);
        p += digits;
    }
    return p;
}

typedef struct set_stats {
    long long rows, positives, missing;
    unsigned long long bytes;
} set_stats;

/* Writes rows events of set number set to path; z and y (may be NULL) receive the scores and labels. */
static bool write_set(const char *path, int set, long long rows, double noise, double *z, double *y, set_stats *stats) {
    enum { ROWS_PER_BLOCK = 4096, MAX_ROW = (N_FEATURES + 1) * 24 };
    bool ok = false;
    plumb_outfile *file = NULL;
    FILE *out = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX];
    char *buf = malloc((size_t)ROWS_PER_BLOCK * MAX_ROW);
    memset(stats, 0, sizeof *stats);
    if (!buf) {
        fprintf(stderr, "gen_higgs: out of memory\n");
        return false;
    }
    if (plumb_outfile_open(path, &file, &out, &err) != PLUMB_OK) {
        fprintf(stderr, "gen_higgs: %s\n", plumb_error_format(&err, msg, sizeof msg));
        goto done;
    }
    char *p = buf;
    for (int j = 0; j < N_FEATURES; j++)
        p += sprintf(p, "f%d,", j);
    p += sprintf(p, "label\n");
    const uint64_t base = mix(SEED ^ mix(UINT64_C(0x5E7) + (uint64_t)set));
    for (long long row = 0; row < rows;) {
        for (int k = 0; k < ROWS_PER_BLOCK && row < rows; k++, row++) {
            uint64_t st = mix(base + (uint64_t)row * UINT64_C(0x9E3779B97F4A7C15));
            double x[N_FEATURES];
            int label;
            const double score = make_event(&st, noise, x, &label);
            if (z)
                z[row] = score;
            if (y)
                y[row] = label;
            stats->positives += label;
            for (int j = 0; j < N_FEATURES; j++) {
                stats->missing += x[j] != x[j];
                p = format_fixed6(p, x[j]);
                *p++ = ',';
            }
            *p++ = (char)('0' + label);
            *p++ = '\n';
        }
        const size_t n = (size_t)(p - buf);
        if (fwrite(buf, 1, n, out) != n) {
            fprintf(stderr, "gen_higgs: cannot write '%s': %s\n", path, strerror(errno));
            goto done;
        }
        stats->bytes += n;
        p = buf;
    }
    stats->rows = rows;
    plumb_status st = plumb_outfile_commit(file, &err);
    file = NULL;
    if (st != PLUMB_OK) {
        fprintf(stderr, "gen_higgs: %s\n", plumb_error_format(&err, msg, sizeof msg));
        goto done;
    }
    ok = true;
done:
    plumb_outfile_abort(file);
    free(buf);
    return ok;
}

static int usage(FILE *out, int status) {
    fprintf(out, "usage: gen_higgs [--train-rows N] [--test-rows N] [--noise S] TRAIN.csv TEST.csv\n"
                 "writes a Higgs-like binary problem (28 features f0..f27, label) as two CSV files\n"
                 "  --train-rows N  rows of TRAIN.csv (default 1000000, about 230 MB)\n"
                 "  --test-rows N   rows of TEST.csv (default 200000)\n"
                 "  --noise S       label noise; larger is harder (default 0.8)\n");
    return status;
}

int main(int argc, char **argv) {
    long long train_rows = 1000000, test_rows = 200000;
    double noise = 0.8;
    const char *paths[2] = {NULL, NULL};
    int n_paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout, 0);
        if ((strcmp(a, "--train-rows") == 0 || strcmp(a, "--test-rows") == 0 || strcmp(a, "--noise") == 0) &&
            i + 1 < argc) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            if (strcmp(a, "--noise") == 0) {
                noise = strtod(v, &end);
                if (errno || *end || end == v || !(noise >= 0 && noise < 1e6)) {
                    fprintf(stderr, "gen_higgs: bad noise '%s': expected a number >= 0\n", v);
                    return usage(stderr, 2);
                }
            } else {
                long long n = strtoll(v, &end, 10);
                if (errno || *end || end == v || n < 1) {
                    fprintf(stderr, "gen_higgs: bad row count '%s': expected a positive integer\n", v);
                    return usage(stderr, 2);
                }
                *(strcmp(a, "--train-rows") == 0 ? &train_rows : &test_rows) = n;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "gen_higgs: unknown option '%s'\n", a);
            return usage(stderr, 2);
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "gen_higgs: more than two files\n");
            return usage(stderr, 2);
        }
    }
    if (n_paths != 2)
        return usage(stderr, 2);

    double *z = malloc((size_t)test_rows * sizeof *z), *y = malloc((size_t)test_rows * sizeof *y);
    if (!z || !y) {
        fprintf(stderr, "gen_higgs: out of memory\n");
        free(z);
        free(y);
        return 1;
    }
    set_stats s[2];
    const bool ok = write_set(paths[0], 0, train_rows, noise, NULL, NULL, &s[0]) &&
                    write_set(paths[1], 1, test_rows, noise, z, y, &s[1]);
    if (ok) {
        for (int k = 0; k < 2; k++)
            fprintf(stderr,
                    "gen_higgs: wrote '%s': %lld rows, %.4f positive, %.4f%% of feature values missing, %llu bytes\n",
                    paths[k], s[k].rows, (double)s[k].positives / (double)s[k].rows,
                    100.0 * (double)s[k].missing / ((double)s[k].rows * N_FEATURES), s[k].bytes);
        fprintf(stderr, "gen_higgs: best possible test AUC (of the noise-free score): %.4f\n",
                bench_auc(z, y, test_rows));
    }
    free(z);
    free(y);
    return ok ? 0 : 1;
}
