/* solve.c -- fitting linear and logistic regression: (proximal) Newton's method over the design's few columns.
 *
 * The objective (plumb.h) is F(b) = L(b) + a2/2 |b'|^2 + a1 |b'|_1, with L the weighted mean loss, b' the
 * coefficients without the intercept, a2 = alpha (1 - l1_ratio), a1 = alpha l1_ratio. Every iteration builds the
 * quadratic model of the smooth part at b from one pass over the rows (the gradient g and Hessian H of L plus the
 * L2 term: X'WrX / W with r the loss's second derivative, about p^2/2 multiply-adds a row), then
 *   - without L1: solves H d = -g by Cholesky (a Newton step);
 *   - with L1: minimises g'd + d'Hd/2 + a1 |b' + d'|_1 by cyclic coordinate descent on the p x p model
 *     (covariance updates), which is proximal Newton as in glmnet and Lee, Sun and Saunders (2014);
 * and moves along d with a backtracking (Armijo) line search on F, evaluated from the scores f = Xb and u = Xd
 * without rebuilding the design. Squared error is quadratic, so its model is exact: one pass builds H and X'Wy
 * once and the iterations need no more passes. The stopping rule is the optimality condition itself: the
 * largest violation of 0 in the subdifferential of F over all coordinates (|g_j| for a smooth coordinate, the
 * distance of -g_j to a1 sign(b_j) or [-a1, a1]) must be below tol (for regression: tol times the target's
 * standard deviation, which is the scale of g).
 *
 * Rows are summed in K fixed stripes (K depends only on the rows and columns), each stripe by one thread into its
 * own accumulators, which are then added in stripe order: the result is the same bit for bit whatever the thread
 * count. Inside a stripe, rows go through the design in blocks of BLOCK rows (column-major), so that the Hessian's
 * sums are dot products of contiguous columns.
 */
#include "linear.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define BLOCK 256
#define MAX_STRIPES 64
#define STRIPE_ROWS 8192                 /* at least this many rows a stripe (fewer stripes for small data) */
#define STRIPE_BYTES ((size_t)128 << 20) /* the stripes' accumulators together stay below this */
#define ARMIJO 1e-4

/* ---------------------------------------------------------------------------------------------------------- */
/* Small dense linear algebra (row-major p x p)                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

/* Cholesky factor L (lower triangle, in place) of the symmetric a; false when a is not positive definite. */
static bool cholesky(double *a, int64_t p) {
    for (int64_t j = 0; j < p; j++) {
        double d = a[j * p + j];
        for (int64_t k = 0; k < j; k++)
            d -= a[j * p + k] * a[j * p + k];
        if (!(d > 0) || !isfinite(d))
            return false;
        d = sqrt(d);
        a[j * p + j] = d;
        for (int64_t i = j + 1; i < p; i++) {
            double s = a[i * p + j];
            for (int64_t k = 0; k < j; k++)
                s -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = s / d;
        }
    }
    return true;
}

/* Solves L L' x = b in place. */
static void cholesky_solve(const double *l, int64_t p, double *b) {
    for (int64_t i = 0; i < p; i++) {
        double s = b[i];
        for (int64_t k = 0; k < i; k++)
            s -= l[i * p + k] * b[k];
        b[i] = s / l[i * p + i];
    }
    for (int64_t i = p - 1; i >= 0; i--) {
        double s = b[i];
        for (int64_t k = i + 1; k < p; k++)
            s -= l[k * p + i] * b[k];
        b[i] = s / l[i * p + i];
    }
}

static double soft(double z, double t) {
    return z > t ? z - t : z < -t ? z + t : 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Passes over the rows                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

/* Sums of one stripe: H (p x p, lower triangle), g (p), then the weighted loss, the sample-weighted loss and
 * X'Wy (p, squared error only). */
typedef struct solver {
    const plumb__linear_problem *pr;
    int64_t p, K;
    size_t acc_len; /* doubles per stripe */
    double *acc;    /* K stripes */
    double **x;     /* per thread: a design block, p x BLOCK */
    double **z;     /* per thread: the block times the loss's second derivatives, p x BLOCK */
    double *f, *u;  /* per row: score Xb, direction Xd (logistic) */
} solver;

static int64_t stripe_begin(const solver *s, int64_t k) {
    return (int64_t)((double)k / (double)s->K * (double)s->pr->n);
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Logistic loss of a row with label y at score f, and its first and second derivatives in f. */
static double logloss(double y, double f, double *d1, double *d2) {
    const double e = exp(-fabs(f)), q = f >= 0 ? 1 / (1 + e) : e / (1 + e);
    *d1 = q - y;
    *d2 = q * (1 - q);
    return fmax(f, 0.0) - y * f + log1p(e);
}

/* Two doubles as one SSE2 register (GCC and clang vector extensions): the sums below are written over pairs of
 * rows, so they vectorise the same way with any compiler and flags, and their rounding is fixed by the code. */
typedef double v2d __attribute__((vector_size(16)));

static v2d load2(const double *p) {
    v2d v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* sum_i a[i] b[i]: two pair accumulators, then the remainder. */
static double dot(const double *a, const double *b, int64_t n) {
    v2d s0 = {0, 0}, s1 = {0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += load2(a + i) * load2(b + i);
        s1 += load2(a + i + 2) * load2(b + i + 2);
    }
    double s = (s0[0] + s1[0]) + (s0[1] + s1[1]);
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* H[j][c] += sum_i z_j[i] x_c[i] over a block's nr rows for c <= j (columns BLOCK apart). Tiles of 2 j by 4 c: a
 * tile's eight sums are independent chains of row pairs, so the additions do not wait on one another, and every
 * value loaded serves several products. Entries above the diagonal that a tile computes on the way are not
 * stored. */
static void hessian_block(const double *x, const double *z, int64_t nr, int64_t p, double *H) {
    for (int64_t j = 0; j < p; j += 2) {
        const int64_t j1 = j + 1 < p ? j + 1 : j;
        const double *z0 = z + j * BLOCK, *z1 = z + j1 * BLOCK;
        for (int64_t c = 0; c <= j1; c += 4) {
            const int64_t c1 = c + 1 < p ? c + 1 : c, c2 = c + 2 < p ? c + 2 : c, c3 = c + 3 < p ? c + 3 : c;
            const double *x0 = x + c * BLOCK, *x1 = x + c1 * BLOCK, *x2 = x + c2 * BLOCK, *x3 = x + c3 * BLOCK;
            v2d v00 = {0, 0}, v01 = {0, 0}, v02 = {0, 0}, v03 = {0, 0};
            v2d v10 = {0, 0}, v11 = {0, 0}, v12 = {0, 0}, v13 = {0, 0};
            int64_t i = 0;
            for (; i + 2 <= nr; i += 2) {
                const v2d a = load2(z0 + i), b = load2(z1 + i);
                const v2d y0 = load2(x0 + i), y1 = load2(x1 + i), y2 = load2(x2 + i), y3 = load2(x3 + i);
                v00 += a * y0;
                v01 += a * y1;
                v02 += a * y2;
                v03 += a * y3;
                v10 += b * y0;
                v11 += b * y1;
                v12 += b * y2;
                v13 += b * y3;
            }
            double sums[2][4] = {{v00[0] + v00[1], v01[0] + v01[1], v02[0] + v02[1], v03[0] + v03[1]},
                                 {v10[0] + v10[1], v11[0] + v11[1], v12[0] + v12[1], v13[0] + v13[1]}};
            for (; i < nr; i++) {
                const double xs[4] = {x0[i], x1[i], x2[i], x3[i]};
                for (int k = 0; k < 4; k++) {
                    sums[0][k] += z0[i] * xs[k];
                    sums[1][k] += z1[i] * xs[k];
                }
            }
            for (int r = 0; r < 2; r++) {
                const int64_t jj = j + r;
                for (int k = 0; k < 4; k++)
                    if (jj < p && c + k <= jj)
                        H[jj * p + c + k] += sums[r][k];
            }
        }
    }
}

/* One pass at beta: scores f, the gradient and (when hessian) Hessian of the loss, the losses; and for squared
 * error X'Wy. Results in stripe order in s->acc; reduce with reduce_stripes. */
static void pass_model(solver *s, const double *beta, bool hessian) {
    const plumb__linear_problem *pr = s->pr;
    const int64_t p = s->p;
#pragma omp parallel for schedule(dynamic, 1) num_threads(pr->nt)
    for (int64_t k = 0; k < s->K; k++) {
        double *x = s->x[thread_id()];
        double *acc = s->acc + (size_t)k * s->acc_len;
        memset(acc, 0, s->acc_len * sizeof *acc);
        double *H = acc, *g = acc + p * p, *xy = g + p + 2;
        double r1[BLOCK], r2[BLOCK];
        for (int64_t r0 = stripe_begin(s, k); r0 < stripe_begin(s, k + 1); r0 += BLOCK) {
            const int64_t end = stripe_begin(s, k + 1), nr = end - r0 < BLOCK ? end - r0 : BLOCK;
            plumb__linear_design(pr->lin, pr->b, r0, nr, x, BLOCK);
            double f[BLOCK];
            for (int64_t i = 0; i < nr; i++)
                f[i] = 0;
            for (int64_t j = 0; j < p; j++) {
                const double bj = beta[j], *xj = x + j * BLOCK;
                if (bj != 0)
                    for (int64_t i = 0; i < nr; i++)
                        f[i] += bj * xj[i];
            }
            double loss = 0, loss_s = 0;
            for (int64_t i = 0; i < nr; i++) {
                const int64_t row = r0 + i;
                const double y = pr->y[row], w = pr->w ? pr->w[row] : 1, sw = pr->sw ? pr->sw[row] : 1;
                double l, d1, d2;
                if (pr->logistic) {
                    l = logloss(y, f[i], &d1, &d2);
                } else {
                    d1 = f[i] - y;
                    d2 = 1;
                    l = d1 * d1 / 2;
                }
                loss += w * l;
                loss_s += sw * l;
                r1[i] = w * d1;
                r2[i] = w * d2;
                if (s->f)
                    s->f[row] = f[i];
            }
            g[p] += loss;
            g[p + 1] += loss_s;
            for (int64_t j = 0; j < p; j++) {
                g[j] += dot(r1, x + j * BLOCK, nr);
            }
            if (!hessian)
                continue;
            if (!pr->logistic) {
                double wy[BLOCK];
                for (int64_t i = 0; i < nr; i++)
                    wy[i] = r2[i] * pr->y[r0 + i];
                for (int64_t j = 0; j < p; j++)
                    xy[j] += dot(wy, x + j * BLOCK, nr);
            }
            double *z = s->z[thread_id()];
            for (int64_t j = 0; j < p; j++) {
                const double *xj = x + j * BLOCK;
                double *zj = z + j * BLOCK;
                for (int64_t i = 0; i < nr; i++)
                    zj[i] = r2[i] * xj[i];
            }
            hessian_block(x, z, nr, p, H);
        }
    }
}

/* After a pass at beta + d wrote its scores to s->f, with beta's in s->u: makes s->f beta's scores again and s->u
 * the direction X d, their difference. */
static void direction_from_scores(solver *s) {
    double *fnew = s->f, *fold = s->u;
    const int64_t n = s->pr->n;
#pragma omp parallel for schedule(static) num_threads(s->pr->nt)
    for (int64_t i = 0; i < n; i++)
        fnew[i] -= fold[i];
    s->f = fold;
    s->u = fnew;
}

/* Weighted logistic loss at scores f + t u, summed by stripe in a fixed order. */
static double loss_along(solver *s, double t) {
    const plumb__linear_problem *pr = s->pr;
    double *part = s->acc; /* one double per stripe: acc is free between passes */
#pragma omp parallel for schedule(dynamic, 1) num_threads(pr->nt)
    for (int64_t k = 0; k < s->K; k++) {
        double sum = 0;
        for (int64_t i = stripe_begin(s, k); i < stripe_begin(s, k + 1); i++) {
            const double f = s->f[i] + t * s->u[i], e = exp(-fabs(f));
            sum += (pr->w ? pr->w[i] : 1) * (fmax(f, 0.0) - pr->y[i] * f + log1p(e));
        }
        part[k * s->acc_len] = sum;
    }
    double total = 0;
    for (int64_t k = 0; k < s->K; k++)
        total += part[k * s->acc_len];
    return total / pr->W;
}

/* Adds the stripes into out (acc_len doubles) in stripe order, divided by W, H mirrored to its upper triangle. */
static void reduce_stripes(const solver *s, double *out) {
    memset(out, 0, s->acc_len * sizeof *out);
    for (int64_t k = 0; k < s->K; k++) {
        const double *a = s->acc + (size_t)k * s->acc_len;
        for (size_t i = 0; i < s->acc_len; i++)
            out[i] += a[i];
    }
    const int64_t p = s->p;
    for (size_t i = 0; i < s->acc_len; i++)
        out[i] /= s->pr->W;
    for (int64_t j = 0; j < p; j++)
        for (int64_t c = 0; c < j; c++)
            out[c * p + j] = out[j * p + c];
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Newton steps                                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct penalty {
    double a1, a2; /* L1 and L2 strengths; the intercept (coordinate 0) has neither */
} penalty;

static double pen_value(const penalty *pen, const double *b, int64_t p) {
    double l1 = 0, l2 = 0;
    for (int64_t j = 1; j < p; j++) {
        l1 += fabs(b[j]);
        l2 += b[j] * b[j];
    }
    return pen->a1 * l1 + pen->a2 / 2 * l2;
}

/* The largest violation of the optimality condition at b, given the smooth gradient g (L2 included). */
static double violation(const penalty *pen, const double *b, const double *g, int64_t p) {
    double v = fabs(g[0]);
    for (int64_t j = 1; j < p; j++) {
        const double vj = b[j] > 0   ? fabs(g[j] + pen->a1)
                          : b[j] < 0 ? fabs(g[j] - pen->a1)
                                     : fmax(0, fabs(g[j]) - pen->a1);
        v = vj > v ? vj : v;
    }
    return v;
}

/* The step d minimising g'd + d'Hd/2 + a1 |b + d|_1 (H with the L2 term on its diagonal; scratch: p x p + 2p
 * doubles). Coordinates whose column is 0 (H_jj = 0) do not move. *singular is set when H needed a ridge to be
 * factored. target: the optimality violation of the model to reach (L1 only). */
static void newton_step(const penalty *pen, const double *b, const double *g, const double *H, int64_t p, double target,
                        double *d, double *scratch, bool *singular) {
    double *L = scratch, *q = scratch + p * p;
    if (pen->a1 == 0) {
        /* Cholesky, with a small ridge when H is singular (collinear columns without a penalty) */
        double ridge = 0, dmax = 0;
        for (int64_t j = 0; j < p; j++)
            dmax = fmax(dmax, H[j * p + j]);
        for (int tries = 0; tries < 12; tries++) {
            memcpy(L, H, (size_t)(p * p) * sizeof *L);
            for (int64_t j = 0; j < p; j++) {
                if (H[j * p + j] == 0) { /* a column of zeros: keep its coefficient */
                    for (int64_t c = 0; c < p; c++)
                        L[j * p + c] = L[c * p + j] = 0;
                    L[j * p + j] = 1;
                }
                L[j * p + j] += ridge;
            }
            if (cholesky(L, p))
                break;
            *singular = true;
            ridge = ridge == 0 ? 1e-12 * fmax(dmax, 1e-300) : ridge * 10;
        }
        for (int64_t j = 0; j < p; j++)
            d[j] = H[j * p + j] == 0 ? 0 : -g[j];
        cholesky_solve(L, p, d);
        return;
    }
    /* coordinate descent on z = b + d; q = g + H d is the model's smooth gradient at z */
    double *z = d;
    for (int64_t j = 0; j < p; j++) {
        z[j] = b[j];
        q[j] = g[j];
    }
    for (int sweep = 0; sweep < 10000; sweep++) {
        for (int64_t j = 0; j < p; j++) {
            const double a = H[j * p + j];
            if (a <= 0)
                continue;
            const double c = a * z[j] - q[j];
            const double zn = j == 0 ? c / a : soft(c, pen->a1) / a;
            const double delta = zn - z[j];
            if (delta != 0) {
                const double *hj = H + j * p;
                for (int64_t i = 0; i < p; i++)
                    q[i] += delta * hj[i];
                z[j] = zn;
            }
        }
        if (violation(pen, z, q, p) <= target)
            break;
    }
    for (int64_t j = 0; j < p; j++)
        d[j] = z[j] - b[j];
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The solver                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_status plumb__linear_solve(plumb__linear *lin, const plumb__linear_problem *pr, plumb_error *err) {
    const int64_t p = lin->p, n = pr->n;
    const plumb_linear_params *par = &lin->params;
    const penalty pen = {par->alpha * par->l1_ratio, par->alpha * (1 - par->l1_ratio)};
    plumb_status st = PLUMB_OK;
    solver s = {.pr = pr, .p = p};
    double *model = NULL, *H = NULL, *g = NULL, *d = NULL, *scratch = NULL, *bt = NULL;

    /* stripes: enough for the threads to share, few enough for their accumulators (fixed by rows and columns) */
    s.acc_len = (size_t)(p * p + 2 * p + 2);
    s.K = (n + STRIPE_ROWS - 1) / STRIPE_ROWS;
    s.K = s.K > MAX_STRIPES ? MAX_STRIPES : s.K < 1 ? 1 : s.K;
    while (s.K > 1 && (size_t)s.K * s.acc_len * sizeof(double) > STRIPE_BYTES)
        s.K /= 2;
    s.acc = malloc((size_t)s.K * s.acc_len * sizeof *s.acc);
    s.x = calloc((size_t)pr->nt, sizeof *s.x);
    s.z = calloc((size_t)pr->nt, sizeof *s.z);
    model = malloc(s.acc_len * sizeof *model);
    H = malloc((size_t)(p * p) * sizeof *H);
    g = malloc((size_t)p * sizeof *g);
    d = malloc((size_t)p * sizeof *d);
    bt = malloc((size_t)p * sizeof *bt);
    scratch = malloc((size_t)(p * p + 2 * p) * sizeof *scratch);
    if (!s.acc || !s.x || !s.z || !model || !H || !g || !d || !bt || !scratch)
        goto nomem;
    for (int t = 0; t < pr->nt; t++)
        if (!(s.x[t] = malloc((size_t)(p * BLOCK) * sizeof **s.x)) ||
            !(s.z[t] = malloc((size_t)(p * BLOCK) * sizeof **s.z)))
            goto nomem;
    if (pr->logistic && (!(s.f = malloc((size_t)n * sizeof *s.f)) || !(s.u = malloc((size_t)n * sizeof *s.u))))
        goto nomem;

    /* start: every coefficient 0, the intercept at the weighted mean (its log-odds for logistic) */
    double *beta = lin->beta;
    double ybar = 0, yvar = 0, yy = 0;
    for (int64_t i = 0; i < n; i++)
        ybar += (pr->w ? pr->w[i] : 1) * pr->y[i];
    ybar /= pr->W;
    for (int64_t i = 0; i < n; i++) {
        yvar += (pr->w ? pr->w[i] : 1) * (pr->y[i] - ybar) * (pr->y[i] - ybar);
        yy += (pr->w ? pr->w[i] : 1) * pr->y[i] * pr->y[i];
    }
    yvar /= pr->W;
    yy /= pr->W;
    memset(beta, 0, (size_t)p * sizeof *beta);
    if (pr->logistic) {
        const double m = fmin(fmax(ybar, 1e-12), 1 - 1e-12);
        beta[0] = log(m / (1 - m));
    } else {
        beta[0] = ybar;
    }
    const double tol = pr->logistic ? par->tol : par->tol * (yvar > 0 ? sqrt(yvar) : 1);

    bool singular = false, converged = false, have_pass = false;
    int64_t it = 0;
    double fval = NAN, loss_s = NAN;
    double *xy = model + p * p + p + 2;
    for (;;) {
        /* the quadratic model at beta: logistic from a pass (the line search's, when it took the full step);
         * squared error from one pass, then algebra */
        if (!have_pass && (pr->logistic || it == 0)) {
            pass_model(&s, beta, true);
            reduce_stripes(&s, model);
            memcpy(H, model, (size_t)(p * p) * sizeof *H);
        }
        have_pass = false;
        if (pr->logistic) {
            memcpy(g, model + p * p, (size_t)p * sizeof *g);
            fval = model[p * p + p];
        } else {
            /* L(b) = yy/2 - xy'b + b'Hb/2, gradient Hb - xy */
            double bhb = 0, xyb = 0;
            for (int64_t j = 0; j < p; j++) {
                double hb = 0;
                for (int64_t c = 0; c < p; c++)
                    hb += H[j * p + c] * beta[c];
                g[j] = hb - xy[j];
                bhb += beta[j] * hb;
                xyb += xy[j] * beta[j];
            }
            fval = yy / 2 - xyb + bhb / 2;
        }
        for (int64_t j = 1; j < p; j++)
            g[j] += pen.a2 * beta[j];
        fval += pen_value(&pen, beta, p);
        const double viol = violation(&pen, beta, g, p);
        plumb__log(PLUMB_LOG_DEBUG, "linear model: iteration %lld: objective %.17g, optimality violation %.3g",
                   (long long)it, fval, viol);
        if (viol <= tol) {
            converged = true;
            break;
        }
        if (it >= par->max_iter)
            break;
        /* H of the model: the loss's plus the L2 term */
        double *Hm = model; /* reuse: the pass's sums are consumed */
        memcpy(Hm, H, (size_t)(p * p) * sizeof *Hm);
        for (int64_t j = 1; j < p; j++)
            Hm[j * p + j] += pen.a2;
        newton_step(&pen, beta, g, Hm, p, fmin(0.01 * viol, 0.1 * tol), d, scratch, &singular);
        it++;
        /* decrease the model promises: g'd + a1 (|b + d|_1 - |b|_1) */
        double delta = 0;
        for (int64_t j = 0; j < p; j++)
            delta += g[j] * d[j];
        for (int64_t j = 1; j < p; j++)
            delta += pen.a1 * (fabs(beta[j] + d[j]) - fabs(beta[j]));
        if (!pr->logistic) {
            for (int64_t j = 0; j < p; j++)
                beta[j] += d[j];
            continue;
        }
        /* the full step first, with a pass at beta + d: when it is taken (near the optimum, always), that pass is
         * also the next iteration's. Close to the optimum Newton's error squares each step, so this step likely
         * ends the fit and its Hessian is skipped (a further step would reuse the current one). */
        for (int64_t j = 0; j < p; j++)
            bt[j] = beta[j] + d[j];
        double *f_old = s.f;
        s.f = s.u;
        s.u = f_old;
        const bool need_h = viol >= 0.1 * sqrt(tol);
        pass_model(&s, bt, need_h);
        reduce_stripes(&s, model);
        if (model[p * p + p] + pen_value(&pen, bt, p) <= fval + ARMIJO * delta) {
            memcpy(beta, bt, (size_t)p * sizeof *beta);
            if (need_h)
                memcpy(H, model, (size_t)(p * p) * sizeof *H);
            have_pass = true;
            continue;
        }
        /* backtrack along u = X d (the new scores minus the old) from the old scores */
        direction_from_scores(&s);
        double t = 0.5;
        bool moved = false;
        for (int k = 0; k < 60; k++, t /= 2) {
            for (int64_t j = 0; j < p; j++)
                bt[j] = beta[j] + t * d[j];
            const double ft = loss_along(&s, t) + pen_value(&pen, bt, p);
            if (ft <= fval + ARMIJO * t * delta) {
                moved = true;
                break;
            }
        }
        if (!moved) {
            plumb__log(PLUMB_LOG_WARN,
                       "linear model: the line search made no progress (optimality violation %.3g > tol %.3g): "
                       "stopped at the limit of floating-point precision",
                       viol, tol);
            break;
        }
        memcpy(beta, bt, (size_t)p * sizeof *beta);
    }
    if (!pr->logistic || !converged) {
        /* the losses at the final coefficients (logistic: the last pass had them unless it stopped early) */
        pass_model(&s, beta, false);
        reduce_stripes(&s, model);
        if (pr->logistic)
            fval = model[p * p + p] + pen_value(&pen, beta, p);
    }
    loss_s = model[p * p + p + 1] * pr->W / pr->SW;
    if (singular)
        plumb__log(PLUMB_LOG_WARN, "linear model: the design is singular (collinear or constant columns) and "
                                   "unpenalised: the coefficients are not unique (a tiny ridge chose one)");
    if (!converged)
        plumb__log(PLUMB_LOG_WARN,
                   "linear model did not converge in %lld iterations (max_iter): raise max_iter or alpha, or loosen "
                   "tol",
                   (long long)it);
    lin->n_iter = it;
    lin->converged = converged;
    lin->objective = fval;
    lin->train_metric = pr->logistic ? loss_s : 2 * loss_s;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    for (int t = 0; s.x && t < pr->nt; t++)
        free(s.x[t]);
    for (int t = 0; s.z && t < pr->nt; t++)
        free(s.z[t]);
    free(s.x);
    free(s.z);
    free(s.acc);
    free(s.f);
    free(s.u);
    free(model);
    free(H);
    free(g);
    free(d);
    free(bt);
    free(scratch);
    return st;
}
