/* check_labels.c -- check 6: labels the out-of-fold model finds very unlikely (confident learning), and labels
 * too recent to be final. */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a mislabelling link: the out-of-fold score mapped to a calibrated probability with noise floors ----
 *
 * Why not isotonic calibration alone: a calibration fitted on the observed labels learns the noisy posterior
 * q(x) = P(observed 1 | x); wrong labels are then part of what it calls calibrated, and the disagreements it
 * expects equal those observed whatever the noise. So the link separates the two (Copas 1988, "Binary regression
 * models for contaminated data"; Bootkrajang & Kaban 2012):
 *
 *     p_i = sigmoid(alpha * logit(s_i) + beta)          the calibrated probability of a clean label 1
 *     q_i = r0 + (1 - r0 - r1) * p_i                     the probability of an observed 1
 *
 * r0 is the share of true 0s labelled 1, r1 of true 1s labelled 0. Fitted by maximum likelihood (Fisher scoring,
 * r = sigmoid(u) / 2 keeps each rate in [0, 1/2)). A clean table gives r0, r1 near 0; flipped labels show up as
 * floors that the model's own uncertainty (the spread of p) does not explain. A row's suspicion is the posterior
 * probability that its label is wrong: P(true 0 | x, observed 1) = r0 (1 - p) / q, and symmetrically. */

typedef struct link {
    double alpha, beta, u0, u1;
} link;

static double sigmoid(double z) {
    return 1 / (1 + exp(-z));
}

static double clamp_logit(double s) {
    const double e = 1e-6, p = s < e ? e : s > 1 - e ? 1 - e : s;
    return log(p / (1 - p));
}

/* Negative log-likelihood of rows (z = logit of the score, y the observed label, w a count) under l. */
static double link_nll(const link *l, const double *z, const double *y, const double *w, int64_t n) {
    const double r0 = sigmoid(l->u0) / 2, r1 = sigmoid(l->u1) / 2;
    double nll = 0;
    for (int64_t i = 0; i < n; i++) {
        if (w[i] == 0)
            continue;
        double q = r0 + (1 - r0 - r1) * sigmoid(l->alpha * z[i] + l->beta);
        q = fmin(fmax(q, 1e-12), 1 - 1e-12);
        nll -= w[i] * (y[i] > 0.5 ? log(q) : log(1 - q));
    }
    return nll;
}

/* Solves the 4x4 system h d = g in place (Gaussian elimination with partial pivoting); false when singular. */
static bool solve4(double h[4][4], double g[4], double d[4]) {
    for (int k = 0; k < 4; k++) {
        int piv = k;
        for (int i = k + 1; i < 4; i++)
            if (fabs(h[i][k]) > fabs(h[piv][k]))
                piv = i;
        if (fabs(h[piv][k]) < 1e-12)
            return false;
        for (int j = 0; j < 4; j++) {
            const double t = h[k][j];
            h[k][j] = h[piv][j], h[piv][j] = t;
        }
        const double t = g[k];
        g[k] = g[piv], g[piv] = t;
        for (int i = k + 1; i < 4; i++) {
            const double f = h[i][k] / h[k][k];
            for (int j = k; j < 4; j++)
                h[i][j] -= f * h[k][j];
            g[i] -= f * g[k];
        }
    }
    for (int k = 3; k >= 0; k--) {
        double v = g[k];
        for (int j = k + 1; j < 4; j++)
            v -= h[k][j] * d[j];
        d[k] = v / h[k][k];
    }
    return true;
}

/* Fits l (its values on entry are the start) to the rows with weight w > 0 by Fisher scoring with step halving. */
static void link_fit(link *l, const double *z, const double *y, const double *w, int64_t n, int max_iter) {
    double cur = link_nll(l, z, y, w, n);
    for (int it = 0; it < max_iter; it++) {
        const double s0 = sigmoid(l->u0), s1 = sigmoid(l->u1), r0 = s0 / 2, r1 = s1 / 2;
        double g[4] = {0}, h[4][4] = {{0}}, d[4];
        for (int64_t i = 0; i < n; i++) {
            if (w[i] == 0)
                continue;
            const double p = sigmoid(l->alpha * z[i] + l->beta), k = 1 - r0 - r1, pp = p * (1 - p);
            const double q = fmin(fmax(r0 + k * p, 1e-12), 1 - 1e-12);
            const double dq[4] = {k * pp * z[i], k * pp, (1 - p) * s0 * (1 - s0) / 2, -p * s1 * (1 - s1) / 2};
            const double e = w[i] * ((y[i] > 0.5) - q) / (q * (1 - q)), f = w[i] / (q * (1 - q));
            for (int a = 0; a < 4; a++) {
                g[a] += e * dq[a];
                for (int b = 0; b < 4; b++)
                    h[a][b] += f * dq[a] * dq[b];
            }
        }
        for (int a = 0; a < 4; a++)
            h[a][a] += 1e-6 * (1 + h[a][a]);
        if (!solve4(h, g, d))
            return;
        double step = 1;
        bool better = false;
        for (int half = 0; half < 20 && !better; half++, step /= 2) {
            link t = {l->alpha + step * d[0], l->beta + step * d[1], fmax(l->u0 + step * d[2], -30),
                      fmax(l->u1 + step * d[3], -30)};
            const double v = link_nll(&t, z, y, w, n);
            if (v <= cur) {
                better = cur - v > 1e-9 * (1 + fabs(cur));
                *l = t, cur = v;
                if (!better)
                    return;
            }
        }
        if (!better)
            return;
    }
}

/* Posterior probability that the observed label y is wrong, and the calibrated clean probability p, under l. */
static double link_wrong(const link *l, double z, double y, double *p_out) {
    const double r0 = sigmoid(l->u0) / 2, r1 = sigmoid(l->u1) / 2, p = sigmoid(l->alpha * z + l->beta);
    if (p_out)
        *p_out = p;
    const double bad = y > 0.5 ? r0 * (1 - p) : r1 * p, good = y > 0.5 ? (1 - r1) * p : (1 - r0) * (1 - p);
    return bad + good > 0 ? bad / (bad + good) : 0;
}

#define LABEL_FIT_ROWS 20000 /* rows (evenly spaced) a fit of the link sees at most: 4 parameters need few */
#define LABEL_BOOTSTRAP 100  /* resamples of the interval */
#define LABEL_SUSPECT 0.30   /* a row is listed when its label is at least this likely wrong, */
#define LABEL_FOUND 0.5      /* and the list holds at least this share of the expected wrong labels */

typedef struct cand {
    double score;
    int64_t row;
} cand;

static int by_score(const void *x, const void *y) {
    const cand *a = x, *b = y;
    return a->score != b->score ? (a->score < b->score) - (a->score > b->score) : (a->row > b->row) - (a->row < b->row);
}

/* Check 6: the share of wrong labels, estimated with its bootstrap interval from calibrated out-of-fold
 * probabilities (the link above, fitted inside the folds: the rows of fold k are judged by a link fitted on the
 * other folds' rows), and the rows most likely mislabelled, in order. oof holds out-of-fold probabilities over the
 * folds of split (the label check's own, averaged over repetitions of the folds: audit.c label_scores). */
bool plumb__audit_label_noise(plumb__audit_ctx *c, const plumb_split *split, const double *oof) {
    plumb_audit *a = c->a;
    const int64_t n = c->n;
    const int32_t k_folds = plumb_split_n_folds(split);
    /* labels of immature rows are not final: the maturity check reports them, and they stay out of this one */
    const bool *skip = c->o->outcome_window_days > 0 ? c->recent : NULL;
    double *z = malloc((size_t)(n + 1) * sizeof *z);
    double *wrong = malloc((size_t)(n + 1) * sizeof *wrong), *clean_p = malloc((size_t)(n + 1) * sizeof *clean_p);
    double *boot = malloc(LABEL_BOOTSTRAP * sizeof *boot);
    uint8_t *role = malloc((size_t)n + 1);
    cand *s = malloc((size_t)(n + 1) * sizeof *s);
    /* the rows a fit sees, gathered (a fit passes over them some ten times) */
    double *fz = malloc((LABEL_FIT_ROWS + 1) * sizeof *fz), *fy = malloc((LABEL_FIT_ROWS + 1) * sizeof *fy);
    double *fw = malloc((LABEL_FIT_ROWS + 1) * sizeof *fw);
    bool ok = z && wrong && clean_p && boot && role && s && fz && fy && fw;
    int64_t judged = 0;
    for (int64_t i = 0; ok && i < n; i++) {
        z[i] = clamp_logit(oof[i]);
        wrong[i] = NAN;
        judged += !(skip && skip[i]) && !isnan(oof[i]);
    }
    if (!ok || judged < 20) {
        free(z), free(wrong), free(clean_p), free(boot), free(role), free(s), free(fz), free(fy), free(fw);
        return ok;
    }
    const int64_t stride = judged > LABEL_FIT_ROWS ? (judged + LABEL_FIT_ROWS - 1) / LABEL_FIT_ROWS : 1;
    /* the link of the whole table (its parameters are reported), the start of every other fit */
    link all = {1, 0, -6, -6};
    int64_t seen = 0, nf = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(skip && skip[i]) && !isnan(oof[i]) && seen++ % stride == 0 && nf < LABEL_FIT_ROWS)
            fz[nf] = z[i], fy[nf] = c->y[i], fw[nf++] = 1;
    link_fit(&all, fz, fy, fw, nf, 100);
    /* inside the folds: fold k judged by the link of the other folds */
    for (int32_t k = 0; k < k_folds; k++) {
        plumb_split_roles(split, k, role);
        seen = 0, nf = 0;
        for (int64_t i = 0; i < n; i++)
            if (!(skip && skip[i]) && !isnan(oof[i]) && role[i] != PLUMB_FOLD_TEST && seen++ % stride == 0 &&
                nf < LABEL_FIT_ROWS)
                fz[nf] = z[i], fy[nf] = c->y[i], fw[nf++] = 1;
        link l = all;
        link_fit(&l, fz, fy, fw, nf, 100);
        for (int64_t i = 0; i < n; i++)
            if (role[i] == PLUMB_FOLD_TEST && !(skip && skip[i]) && !isnan(oof[i]))
                wrong[i] = link_wrong(&l, z[i], c->y[i], &clean_p[i]);
    }
    /* the estimate, the disagreements observed and those a clean table at the calibrated probabilities expects */
    double est = 0, observed = 0, expected = 0;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(wrong[i]))
            continue;
        est += wrong[i];
        observed += (c->y[i] > 0.5) != (clean_p[i] >= 0.5);
        expected += fmin(clean_p[i], 1 - clean_p[i]);
        s[m++] = (cand){wrong[i], i};
    }
    est /= (double)m;
    /* bootstrap: the link refitted on rows drawn with replacement (at most LABEL_FIT_ROWS of them: beyond, the
     * interval is that of a table of that size, wider than it need be), the estimate on them */
    uint64_t rng = c->o->seed * 0x9e3779b97f4a7c15u + 0x51ed;
    const int64_t draws = m < LABEL_FIT_ROWS ? m : LABEL_FIT_ROWS;
    for (int b = 0; b < LABEL_BOOTSTRAP; b++) {
        for (int64_t d = 0; d < draws; d++) {
            rng += 0x9e3779b97f4a7c15u;
            const int64_t row = s[plumb__mix64(rng) % (uint64_t)m].row;
            fz[d] = z[row], fy[d] = c->y[row], fw[d] = 1;
        }
        link l = all;
        link_fit(&l, fz, fy, fw, draws, 10);
        double sum = 0;
        for (int64_t d = 0; d < draws; d++)
            sum += link_wrong(&l, fz[d], fy[d], NULL);
        boot[b] = sum / (double)draws;
    }
    qsort(boot, LABEL_BOOTSTRAP, sizeof *boot, plumb__cmp_double);
    a->noise_rate = est;
    a->noise_lo = boot[(int)(0.025 * LABEL_BOOTSTRAP)];
    a->noise_hi = boot[(int)(0.975 * LABEL_BOOTSTRAP) - 1];
    a->noise_r0 = sigmoid(all.u0) / 2;
    a->noise_r1 = sigmoid(all.u1) / 2;
    a->noise_observed = observed / (double)m;
    a->noise_expected = expected / (double)m;
    /* the suspects, most likely wrong first: every row whose label is at least LABEL_SUSPECT likely wrong, and, when
     * the interval lies above the small rate, more until the list holds at least LABEL_FOUND of the wrong labels the
     * estimate expects (the sum of the rows' probabilities). Not as many rows as the estimate: where the classes
     * overlap (credit data) the wrong labels are spread thinly over many rows, and such a list found under half of
     * them; where they do not (planted noise beside leaks), the rows just past that count were still mostly flipped
     * (docs/audit.md, bench/RESULTS.md) */
    qsort(s, (size_t)m, sizeof *s, by_score);
    const double small = c->o->label_noise, found = a->noise_lo > small ? LABEL_FOUND * est * (double)m : 0;
    int64_t k = 0;
    for (double held = 0; k < m && (s[k].score >= LABEL_SUSPECT || held < found); k++)
        held += s[k].score;
    a->suspects = malloc((size_t)(k + 1) * sizeof *a->suspects);
    a->suspect_scores = malloc((size_t)(k + 1) * sizeof *a->suspect_scores);
    ok = a->suspects && a->suspect_scores;
    int64_t to_good = 0;
    for (int64_t i = 0; ok && i < k; i++) {
        a->suspects[i] = s[i].row;
        a->suspect_scores[i] = s[i].score;
        to_good += c->y[s[i].row] < 0.5;
    }
    a->n_suspects = ok ? k : 0;
    free(z), free(wrong), free(clean_p), free(boot), free(role), free(s), free(fz), free(fy), free(fw);
    if (!ok)
        return false;
    /* a warning only when the interval excludes the documented small rate; critical when it excludes 10% */
    const plumb_severity sev = a->noise_lo > 0.10    ? PLUMB_SEVERITY_CRITICAL
                               : a->noise_lo > small ? PLUMB_SEVERITY_WARNING
                                                     : PLUMB_SEVERITY_INFO;
    char top[512] = "";
    for (int64_t i = 0; i < k && i < 8; i++) {
        char one[48];
        snprintf(one, sizeof one, "%s%lld (%.2f)", i ? ", " : "", (long long)a->suspects[i] + 1, a->suspect_scores[i]);
        strncat(top, one, sizeof top - strlen(top) - 1);
    }
    const char *pos = c->positive ? c->positive : "1";
    return plumb__audit_add(
        a, sev, "label_noise", a->target, a->noise_lo, small,
        sev == PLUMB_SEVERITY_INFO
            ? plumb__audit_format("estimated share of wrong labels %.1f%% (95%% interval %.1f-%.1f%%): no more "
                                  "than a small rate",
                                  100 * est, 100 * a->noise_lo, 100 * a->noise_hi)
            : plumb__audit_format("about %.1f%% of the labels look wrong (95%% interval %.1f-%.1f%%)", 100 * est,
                                  100 * a->noise_lo, 100 * a->noise_hi),
        plumb__audit_format(
            "%lld rows judged out of fold: %.1f%% disagree with the calibrated model where a clean table would "
            "give %.1f%%; estimated %.1f%% of true '%s' labelled otherwise and %.1f%% of the others labelled "
            "'%s'; the %lld most likely wrong (data row, probability the label is wrong): %s%s",
            (long long)m, 100 * a->noise_observed, 100 * a->noise_expected, 100 * a->noise_r1, pos, 100 * a->noise_r0,
            pos, (long long)k, k ? top : "none", k > 8 ? ", ..." : ""),
        sev == PLUMB_SEVERITY_INFO
            ? plumb__audit_format("nothing to do: the labels look as clean as the model can tell (warning when the "
                                  "interval lies above %.1f%%)",
                                  100 * small)
            : plumb__audit_format("review the listed rows first (%lld of them labelled '%s' against the model); fix, "
                                  "drop or down-weight wrong labels, and check how labels are assigned",
                                  (long long)(k - to_good), pos));
}

/* Check 6b: labels whose outcome window has not closed by the last date. */
bool plumb__audit_label_maturity(plumb__audit_ctx *c) {
    plumb_audit *a = c->a;
    const double window = c->o->outcome_window_days;
    if (!(window > 0) || !c->days || !a->binary)
        return true;
    double last = c->o->as_of_days;
    for (int64_t i = 0; isnan(c->o->as_of_days) && i < c->n; i++)
        last = fmax(isnan(last) ? -INFINITY : last, c->days[i]);
    double pos_new = 0, pos_old = 0, n_new = 0, n_old = 0;
    for (int64_t i = 0; i < c->n; i++) {
        if (isnan(c->days[i]))
            continue;
        if (c->days[i] > last - window)
            n_new += 1, pos_new += c->y[i];
        else
            n_old += 1, pos_old += c->y[i];
    }
    a->n_immature = (int64_t)n_new;
    if (n_new == 0)
        return true;
    const double rn = pos_new / n_new, ro = n_old > 0 ? pos_old / n_old : NAN;
    const bool low = n_old > 0 && rn < 0.5 * ro;
    return plumb__audit_add(
        a, low && n_new * 100 >= (double)c->n ? PLUMB_SEVERITY_CRITICAL : PLUMB_SEVERITY_WARNING, "label_maturity",
        a->target, n_new / (double)c->n, 0,
        plumb__audit_format("%lld rows (%.1f%%) are too recent for their label to be final", (long long)n_new,
                            100 * n_new / (double)c->n),
        plumb__audit_format("their %.0f-day outcome window had not closed by the snapshot date; their positive "
                            "rate is %.1f%% against %.1f%% for mature rows",
                            window, 100 * rn, 100 * ro),
        plumb__audit_format("leave rows younger than the outcome window out of training and evaluation, or label them "
                            "only once their window closes"));
}
