/* objective.h -- training objectives: the loss of one row at a raw score, and its gradient and hessian.
 *
 * Binary log-loss works on the log-odds s: p = 1/(1+e^-s), loss = log(1+e^s) - y s, written in the stable form
 * max(s,0) - y s + log1p(e^-|s|); g = p - y, h = p(1-p). Squared error: loss = (s-y)^2, g = s - y, h = 1
 * (the factor 2 is absorbed into the learning rate, as LightGBM and XGBoost do).
 */
#ifndef PLUMB_GBDT_OBJECTIVE_H
#define PLUMB_GBDT_OBJECTIVE_H

#include <plumb/plumb.h>

#include <math.h>

/* Returns the loss at raw score s for label y and writes the gradient and hessian. */
static inline double plumb__objective_eval(plumb_task task, double y, double s, double *g, double *h) {
    if (task == PLUMB_TASK_BINARY) {
        const double e = exp(-fabs(s)), p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        *g = p - y;
        *h = p * (1 - p);
        return fmax(s, 0.0) - y * s + log1p(e);
    }
    *g = s - y;
    *h = 1;
    return (s - y) * (s - y);
}

/* Gradient and hessian only: what every boosting iteration needs for every row. */
static inline void plumb__objective_grad(plumb_task task, double y, double s, double *g, double *h) {
    if (task == PLUMB_TASK_BINARY) {
        const double p = 1 / (1 + exp(-s));
        *g = p - y;
        *h = p * (1 - p);
        return;
    }
    *g = s - y;
    *h = 1;
}

#endif /* PLUMB_GBDT_OBJECTIVE_H */
