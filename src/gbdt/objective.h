/* objective.h -- training objectives: the loss of one row at a raw score, its gradient and hessian, and the link
 * from raw score to prediction.
 *
 * Binary log-loss works on the log-odds s: p = 1/(1+e^-s), loss = log(1+e^s) - y s, written in the stable form
 * max(s,0) - y s + log1p(e^-|s|); g = p - y, h = p(1-p). Squared error: loss = (s-y)^2, g = s - y, h = 1 (the
 * factor 2 is absorbed into the learning rate, as LightGBM and XGBoost do). L1 and quantile have no curvature:
 * their trees are grown on g = sign-like steps with h = 1 and their leaf values then re-fitted to the median or
 * alpha-quantile of the leaf's residuals (LightGBM does the same). Huber: g = clip(s - y, -alpha, alpha), h = 1.
 * Poisson works on s = log(mean): loss = e^s - y s, g = e^s - y, and h = e^(s + max_delta_step) instead of e^s,
 * which keeps the first steps from overshooting where the mean is near zero (XGBoost's and LightGBM's 0.7).
 * Multiclass (softmax) is handled per class in train.c: g = p_k - [y = k], h = K/(K-1) p_k (1 - p_k), with leaf
 * outputs bounded by +-10 before the learning rate (train.c says why).
 */
#ifndef PLUMB_GBDT_OBJECTIVE_H
#define PLUMB_GBDT_OBJECTIVE_H

#include <plumb/plumb.h>

#include <math.h>

typedef struct plumb__objective {
    plumb_objective kind;
    double alpha;          /* huber threshold, quantile level */
    double max_delta_step; /* poisson */
} plumb__objective;

static inline double plumb__sigmoid(double s) {
    return 1 / (1 + exp(-s));
}

/* Returns the loss at raw score s for label y and writes the gradient and hessian. */
static inline double plumb__objective_eval(const plumb__objective *o, double y, double s, double *g, double *h) {
    const double r = s - y;
    switch (o->kind) {
    case PLUMB_OBJECTIVE_BINARY: {
        const double e = exp(-fabs(s)), p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        *g = p - y;
        *h = p * (1 - p);
        return fmax(s, 0.0) - y * s + log1p(e);
    }
    case PLUMB_OBJECTIVE_L1:
        *g = r > 0 ? 1 : r < 0 ? -1 : 0;
        *h = 1;
        return fabs(r);
    case PLUMB_OBJECTIVE_HUBER:
        *g = fmin(fmax(r, -o->alpha), o->alpha);
        *h = 1;
        return fabs(r) <= o->alpha ? 0.5 * r * r : o->alpha * (fabs(r) - 0.5 * o->alpha);
    case PLUMB_OBJECTIVE_POISSON: {
        const double mu = exp(s);
        *g = mu - y;
        *h = exp(s + o->max_delta_step);
        return mu - y * s;
    }
    case PLUMB_OBJECTIVE_QUANTILE:
        *g = r >= 0 ? 1 - o->alpha : -o->alpha;
        *h = 1;
        return r >= 0 ? (1 - o->alpha) * r : -o->alpha * r;
    default:
        *g = r;
        *h = 1;
        return r * r;
    }
}

/* Gradient and hessian only: what every boosting iteration needs for every row. */
static inline void plumb__objective_grad(const plumb__objective *o, double y, double s, double *g, double *h) {
    if (o->kind == PLUMB_OBJECTIVE_BINARY) {
        const double p = plumb__sigmoid(s);
        *g = p - y;
        *h = p * (1 - p);
        return;
    }
    if (o->kind == PLUMB_OBJECTIVE_L2) {
        *g = s - y;
        *h = 1;
        return;
    }
    (void)plumb__objective_eval(o, y, s, g, h);
}

/* The prediction for raw score s: probability (binary), mean (poisson), s itself otherwise. */
static inline double plumb__objective_link(plumb_objective kind, double s) {
    return kind == PLUMB_OBJECTIVE_BINARY ? plumb__sigmoid(s) : kind == PLUMB_OBJECTIVE_POISSON ? exp(s) : s;
}

/* Raw scores to predictions in place, n rows of n_classes scores (1 unless multiclass): softmax over a row's
 * classes, else plumb__objective_link of each score. The link of gbdt models and of the kinds made from them. */
static inline void plumb__objective_link_rows(plumb_objective kind, int64_t n_classes, int64_t n, double *out) {
    if (n_classes > 1) {
        for (int64_t i = 0; i < n; i++) {
            double *s = out + i * n_classes, mx = s[0], sum = 0;
            for (int64_t k = 1; k < n_classes; k++)
                mx = fmax(mx, s[k]);
            for (int64_t k = 0; k < n_classes; k++)
                sum += s[k] = exp(s[k] - mx);
            for (int64_t k = 0; k < n_classes; k++)
                s[k] /= sum;
        }
    } else if (kind == PLUMB_OBJECTIVE_BINARY || kind == PLUMB_OBJECTIVE_POISSON) {
        for (int64_t i = 0; i < n; i++)
            out[i] = plumb__objective_link(kind, out[i]);
    }
}

#endif /* PLUMB_GBDT_OBJECTIVE_H */
