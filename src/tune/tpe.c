/* tpe.c -- the tuner: the trials told so far, and the two samplers that propose the next one (random, TPE), the
 * median rule's reference and the parameter importances.
 *
 * TPE (Bergstra, Bardenet, Bengio & Kegl 2011, "Algorithms for hyper-parameter optimization"), univariate, with
 * the choices Optuna's TPESampler documents:
 *   - the complete trials are sorted by score; the best n_good = min(ceil(gamma n), max_good) form the good group,
 *     the rest and every pruned trial the bad group (gamma 0.1, max_good 25);
 *   - per parameter, on its internal scale (log for log parameters; an int's range widened by 1/2 each side),
 *     l(x) and g(x) are Parzen mixtures of truncated Gaussians, one per trial of the group in which the parameter
 *     was active, plus a prior component (mean the middle of the range, deviation the whole range), all of equal
 *     weight; each observation's bandwidth is the larger gap to its neighbours in sorted order (hyperopt's rule),
 *     clipped to [range / min(100, 1 + n), range];
 *   - a categorical parameter's l and g are the choice counts plus a prior of weight 1 spread over the choices;
 *   - n_candidates draws from l; the one with the largest log l(x) - log g(x) is proposed.
 * Inactive (conditional) parameters are NaN: a parameter's estimators see only the trials where it was active, so
 * a conditional parameter learns from the trials of its branch. The first n_startup trials, and any parameter with
 * fewer than 2 good observations, are drawn from the prior (uniformly).
 * Every draw of trial t comes from the stream keyed by (seed, t, parameter): proposals do not depend on threads or
 * on how often the program was restarted.
 */
#include "tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

typedef struct trial {
    double *values;
    plumb_trial_state state;
    double score;
    double *steps;
    int64_t n_steps;
} trial;

struct plumb_tuner {
    const plumb_tune_space *space;
    plumb_tuner_options o;
    trial *trials;
    int64_t n, cap;
};

void plumb_tuner_options_init(plumb_tuner_options *o) {
    memset(o, 0, sizeof *o);
    o->sampler = PLUMB_TUNE_TPE;
    o->n_startup = 10;
    o->n_candidates = 24;
    o->gamma = 0.1;
    o->max_good = 25;
}

plumb_status plumb_tuner_create(const plumb_tune_space *space, const plumb_tuner_options *opts, plumb_tuner **out,
                                plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    if (opts->sampler != PLUMB_TUNE_TPE && opts->sampler != PLUMB_TUNE_RANDOM)
        return plumb__fail(err, PLUMB_EINVAL, "unknown sampler %d", (int)opts->sampler);
    if (!(opts->gamma > 0 && opts->gamma <= 1) || opts->n_candidates < 1 || opts->max_good < 1 || opts->n_startup < 0)
        return plumb__fail(err, PLUMB_EINVAL,
                           "bad TPE options: gamma in (0, 1], n_candidates and max_good >= 1, "
                           "n_startup >= 0");
    plumb_tuner *t = calloc(1, sizeof *t);
    if (!t)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    t->space = space;
    t->o = *opts;
    *out = t;
    return PLUMB_OK;
}

void plumb_tuner_free(plumb_tuner *t) {
    if (!t)
        return;
    for (int64_t i = 0; i < t->n; i++) {
        free(t->trials[i].values);
        free(t->trials[i].steps);
    }
    free(t->trials);
    free(t);
}

int64_t plumb__tuner_dims(const plumb_tuner *t) {
    return t->space->n;
}

int64_t plumb_tuner_n_trials(const plumb_tuner *t) {
    return t->n;
}

const double *plumb_tuner_trial(const plumb_tuner *t, int64_t i, plumb_trial_state *state, double *score) {
    if (i < 0 || i >= t->n)
        return NULL;
    if (state)
        *state = t->trials[i].state;
    if (score)
        *score = t->trials[i].score;
    return t->trials[i].values;
}

int64_t plumb_tuner_steps(const plumb_tuner *t, int64_t i, const double **steps) {
    *steps = i >= 0 && i < t->n ? t->trials[i].steps : NULL;
    return i >= 0 && i < t->n ? t->trials[i].n_steps : 0;
}

/* a better than b */
static bool better(const plumb_tuner *t, double a, double b) {
    return t->o.minimize ? a < b : a > b;
}

int64_t plumb_tuner_best(const plumb_tuner *t) {
    int64_t best = -1;
    for (int64_t i = 0; i < t->n; i++)
        if (t->trials[i].state == PLUMB_TRIAL_COMPLETE && !isnan(t->trials[i].score) &&
            (best < 0 || better(t, t->trials[i].score, t->trials[best].score)))
            best = i;
    return best;
}

plumb_status plumb_tuner_tell(plumb_tuner *t, const double *values, plumb_trial_state state, double score,
                              const double *steps, int64_t n_steps, plumb_error *err) {
    const int64_t d = t->space->n;
    if (t->n == t->cap) {
        const int64_t cap = t->cap ? 2 * t->cap : 64;
        trial *grown = realloc(t->trials, (size_t)cap * sizeof *grown);
        if (!grown)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        t->trials = grown;
        t->cap = cap;
    }
    trial *tr = &t->trials[t->n];
    memset(tr, 0, sizeof *tr);
    if (!(tr->values = malloc((size_t)(d ? d : 1) * sizeof *tr->values)) ||
        (n_steps > 0 && !(tr->steps = malloc((size_t)n_steps * sizeof *tr->steps)))) {
        free(tr->values);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    memcpy(tr->values, values, (size_t)d * sizeof *values);
    if (n_steps > 0)
        memcpy(tr->steps, steps, (size_t)n_steps * sizeof *steps);
    tr->n_steps = n_steps > 0 ? n_steps : 0;
    tr->state = state;
    tr->score = state == PLUMB_TRIAL_FAILED ? NAN : score;
    t->n++;
    return PLUMB_OK;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double plumb_tuner_median(const plumb_tuner *t, int64_t step, int64_t n_min) {
    double *m = malloc((size_t)(t->n ? t->n : 1) * sizeof *m);
    int64_t c = 0;
    for (int64_t i = 0; m && i < t->n; i++) {
        const trial *tr = &t->trials[i];
        if (tr->state == PLUMB_TRIAL_FAILED || tr->n_steps <= step)
            continue;
        double s = 0;
        for (int64_t k = 0; k <= step; k++)
            s += tr->steps[k];
        m[c++] = s / (double)(step + 1);
    }
    double med = NAN;
    if (c >= n_min && c > 0) {
        qsort(m, (size_t)c, sizeof *m, cmp_double);
        med = c % 2 ? m[c / 2] : 0.5 * (m[c / 2 - 1] + m[c / 2]);
    }
    free(m);
    return med;
}

/* ---- scales ------------------------------------------------------------------------------------------------ */

/* The internal range of a numeric parameter: log scale for log parameters, ints widened by 1/2 each side. */
static void range_of(const plumb_tune_param *p, double *lo, double *hi) {
    double a = p->low, b = p->high;
    if (p->type == PLUMB_TUNE_INT)
        a -= 0.5, b += 0.5;
    if (p->log) {
        a = log(p->type == PLUMB_TUNE_INT ? fmax(a, p->low * 0.5) : a); /* low - 1/2 may be 0 for low = 1 */
        b = log(b);
    }
    *lo = a, *hi = b;
}

static double to_internal(const plumb_tune_param *p, double v) {
    return p->log ? log(v) : v;
}

/* From the internal scale to a value of the parameter, rounded and clamped into [low, high]. */
static double from_internal(const plumb_tune_param *p, double x) {
    double v = p->log ? exp(x) : x;
    if (p->type == PLUMB_TUNE_INT)
        v = round(v);
    return fmin(fmax(v, p->low), p->high);
}

static double draw_prior(const plumb_tune_param *p, plumb__rng *r) {
    if (p->type == PLUMB_TUNE_CATEGORICAL)
        return (double)(int64_t)(plumb__rng_unif(r) * (double)p->n_choices);
    double lo, hi;
    range_of(p, &lo, &hi);
    return from_internal(p, lo + (hi - lo) * plumb__rng_unif(r));
}

/* ---- Parzen estimators --------------------------------------------------------------------------------------- */

typedef struct parzen {
    int64_t n; /* components, the prior included */
    double *mu, *sigma;
    double lo, hi;
} parzen;

static double normal_cdf(double z) {
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* Builds the mixture of obs[0..n) and the prior into e (arrays from buf, 2 (n + 1) doubles). */
static void parzen_build(parzen *e, const plumb_tune_param *p, double *obs, int64_t n, double *buf) {
    range_of(p, &e->lo, &e->hi);
    const double range = e->hi - e->lo;
    e->n = n + 1;
    e->mu = buf;
    e->sigma = buf + n + 1;
    for (int64_t i = 0; i < n; i++)
        e->mu[i] = obs[i];
    e->mu[n] = 0.5 * (e->lo + e->hi);
    qsort(e->mu, (size_t)e->n, sizeof *e->mu, cmp_double);
    const double smin = range / fmin(100.0, 1.0 + (double)n), smax = range;
    bool prior_seen = false;
    for (int64_t i = 0; i < e->n; i++) {
        if (!prior_seen && e->mu[i] == 0.5 * (e->lo + e->hi)) { /* the prior keeps the whole range as its width */
            prior_seen = true;
            e->sigma[i] = range;
            continue;
        }
        const double left = i > 0 ? e->mu[i] - e->mu[i - 1] : e->mu[i] - e->lo;
        const double right = i + 1 < e->n ? e->mu[i + 1] - e->mu[i] : e->hi - e->mu[i];
        e->sigma[i] = fmin(fmax(fmax(left, right), smin), smax);
    }
    if (range <= 0)
        for (int64_t i = 0; i < e->n; i++)
            e->sigma[i] = 1;
}

/* log of the mixture's density at x (truncated to [lo, hi]). */
static double parzen_logpdf(const parzen *e, double x) {
    double s = 0;
    for (int64_t i = 0; i < e->n; i++) {
        const double z = (x - e->mu[i]) / e->sigma[i];
        const double mass = normal_cdf((e->hi - e->mu[i]) / e->sigma[i]) - normal_cdf((e->lo - e->mu[i]) / e->sigma[i]);
        s += exp(-0.5 * z * z) / (e->sigma[i] * sqrt(2 * PI) * fmax(mass, 1e-12));
    }
    return log(fmax(s / (double)e->n, 1e-300));
}

static double parzen_draw(const parzen *e, plumb__rng *r) {
    const int64_t c = (int64_t)(plumb__rng_unif(r) * (double)e->n);
    for (int tries = 0; tries < 100; tries++) {
        /* Box-Muller */
        const double u1 = 1.0 - plumb__rng_unif(r), u2 = plumb__rng_unif(r);
        const double x = e->mu[c] + e->sigma[c] * sqrt(-2 * log(u1)) * cos(2 * PI * u2);
        if (x >= e->lo && x <= e->hi)
            return x;
    }
    return fmin(fmax(e->mu[c], e->lo), e->hi);
}

/* Proposes parameter i of trial from the good and bad groups (trial numbers). */
static double tpe_param(const plumb_tuner *t, int64_t i, const int64_t *good, int64_t n_good, const int64_t *bad,
                        int64_t n_bad, plumb__rng *r, double *buf) {
    const plumb_tune_param *p = &t->space->params[i];
    double *og = buf, *ob = buf + t->n; /* active observations of each group */
    int64_t ng = 0, nb = 0;
    for (int64_t k = 0; k < n_good; k++)
        if (!isnan(t->trials[good[k]].values[i]))
            og[ng++] = t->trials[good[k]].values[i];
    for (int64_t k = 0; k < n_bad; k++)
        if (!isnan(t->trials[bad[k]].values[i]))
            ob[nb++] = t->trials[bad[k]].values[i];
    if (ng < 2)
        return draw_prior(p, r);
    if (p->type == PLUMB_TUNE_CATEGORICAL) {
        const int64_t K = p->n_choices;
        double wl[64], wg[64];
        for (int64_t c = 0; c < K; c++)
            wl[c] = wg[c] = 1.0 / (double)K;
        for (int64_t k = 0; k < ng; k++)
            wl[(int64_t)og[k]] += 1;
        for (int64_t k = 0; k < nb; k++)
            wg[(int64_t)ob[k]] += 1;
        double best = -INFINITY, pick = 0;
        for (int64_t k = 0; k < t->o.n_candidates; k++) {
            double u = plumb__rng_unif(r) * ((double)ng + 1), acc = 0;
            int64_t c = 0;
            while (c < K - 1 && (acc += wl[c]) <= u)
                c++;
            const double ei = log(wl[c] / ((double)ng + 1)) - log(wg[c] / ((double)nb + 1));
            if (ei > best)
                best = ei, pick = (double)c;
        }
        return pick;
    }
    for (int64_t k = 0; k < ng; k++)
        og[k] = to_internal(p, og[k]);
    for (int64_t k = 0; k < nb; k++)
        ob[k] = to_internal(p, ob[k]);
    double *pb = buf + 2 * t->n;
    parzen l, g;
    parzen_build(&l, p, og, ng, pb);
    parzen_build(&g, p, ob, nb, pb + 2 * (t->n + 1));
    double best = -INFINITY, pick = NAN;
    for (int64_t k = 0; k < t->o.n_candidates; k++) {
        const double v = from_internal(p, parzen_draw(&l, r));
        const double x = to_internal(p, v); /* scored where it will be evaluated: ints rounded */
        const double ei = parzen_logpdf(&l, x) - parzen_logpdf(&g, x);
        if (ei > best || isnan(pick))
            best = ei, pick = v;
    }
    return pick;
}

/* Trials by score, best first, ties by number: keys are scores turned so that smaller is better. */
typedef struct ranked {
    double key;
    int64_t number;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

plumb_status plumb_tuner_ask(plumb_tuner *t, double *values, plumb_error *err) {
    const plumb_tune_space *s = t->space;
    const uint64_t trial_key = plumb__mix64(t->o.seed ^ plumb__mix64((uint64_t)t->n + 0x5851f42d4c957f2dU));
    int64_t n_complete = 0;
    for (int64_t k = 0; k < t->n; k++)
        n_complete += t->trials[k].state == PLUMB_TRIAL_COMPLETE && !isnan(t->trials[k].score);
    const bool use_tpe = t->o.sampler == PLUMB_TUNE_TPE && t->n >= t->o.n_startup && n_complete >= 2;
    int64_t *order = NULL;
    double *buf = NULL;
    if (use_tpe) {
        order = malloc((size_t)t->n * sizeof *order);
        buf = malloc((size_t)(6 * t->n + 8) * sizeof *buf);
        if (!order || !buf) {
            free(order);
            free(buf);
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        }
    }
    int64_t n_good = 0, n_bad = 0;
    int64_t *bad = order ? order + n_complete : NULL;
    if (use_tpe) {
        int64_t c = 0;
        ranked *rk = (ranked *)buf; /* buf holds 6 n + 8 doubles: room for n pairs before it is used below */
        for (int64_t k = 0; k < t->n; k++)
            if (t->trials[k].state == PLUMB_TRIAL_COMPLETE && !isnan(t->trials[k].score))
                rk[c++] = (ranked){t->o.minimize ? t->trials[k].score : -t->trials[k].score, k};
        qsort(rk, (size_t)c, sizeof *rk, cmp_ranked);
        for (int64_t k = 0; k < c; k++)
            order[k] = rk[k].number;
        n_good = (int64_t)ceil(t->o.gamma * (double)c);
        if (n_good > t->o.max_good)
            n_good = t->o.max_good;
        n_bad = c - n_good;
        bad = order + n_good;
        for (int64_t k = 0; k < t->n; k++) /* pruned trials: in the bad group, after the complete ones */
            if (t->trials[k].state == PLUMB_TRIAL_PRUNED)
                order[c++] = k, n_bad++;
    }
    for (int64_t i = 0; i < s->n; i++) {
        plumb__rng r = {plumb__mix64(trial_key + (uint64_t)i * 0x9e3779b97f4a7c15u), 0};
        values[i] = use_tpe ? tpe_param(t, i, order, n_good, bad, n_bad, &r, buf) : draw_prior(&s->params[i], &r);
    }
    for (int64_t i = 0; i < s->n; i++) /* parents come first: their values decide which children are active */
        if (!plumb_tune_space_active(s, values, i))
            values[i] = NAN;
    free(order);
    free(buf);
    return PLUMB_OK;
}

/* ---- importance ------------------------------------------------------------------------------------------ */

void plumb_tuner_importance(const plumb_tuner *t, double *out) {
    const plumb_tune_space *s = t->space;
    ranked *v = malloc((size_t)(t->n ? t->n : 1) * sizeof *v);
    double total = 0;
    for (int64_t i = 0; i < s->n; i++) {
        out[i] = 0;
        const plumb_tune_param *p = &s->params[i];
        int64_t n = 0;
        for (int64_t k = 0; v && k < t->n; k++) /* key: the parameter's value; number: the trial */
            if (t->trials[k].state == PLUMB_TRIAL_COMPLETE && !isnan(t->trials[k].score) &&
                !isnan(t->trials[k].values[i]))
                v[n++] = (ranked){t->trials[k].values[i], k};
        if (n < 4)
            continue;
        qsort(v, (size_t)n, sizeof *v, cmp_ranked);
        double mean = 0, sst = 0, ssb = 0;
        int64_t n_groups = 0;
        for (int64_t k = 0; k < n; k++)
            mean += t->trials[v[k].number].score;
        mean /= (double)n;
        for (int64_t k = 0; k < n; k++) {
            const double d = t->trials[v[k].number].score - mean;
            sst += d * d;
        }
        const int64_t n_bins = p->type == PLUMB_TUNE_CATEGORICAL ? 0 : (n / 5 < 2 ? 2 : n / 5 > 10 ? 10 : n / 5);
        for (int64_t a = 0; a < n;) { /* a group: one choice, or one equal-count bin of sorted values */
            int64_t b = a + 1;
            if (p->type == PLUMB_TUNE_CATEGORICAL)
                while (b < n && v[b].key == v[a].key)
                    b++;
            else {
                b = (int64_t)((double)n * (double)((a * n_bins) / n + 1) / (double)n_bins);
                if (b <= a)
                    b = a + 1;
                while (b < n && v[b].key == v[b - 1].key) /* equal values share a bin */
                    b++;
            }
            double m = 0;
            for (int64_t k = a; k < b; k++)
                m += t->trials[v[k].number].score;
            m /= (double)(b - a);
            ssb += (double)(b - a) * (m - mean) * (m - mean);
            n_groups++;
            a = b;
        }
        /* epsilon squared: eta squared less what chance alone gives G groups, (G - 1) times the within-group
         * mean square (Kelley 1935); without the correction a parameter with few trials in many groups looks
         * important by its noise */
        const double msw = n > n_groups ? (sst - ssb) / (double)(n - n_groups) : 0;
        const double e2 = sst > 0 ? (ssb - (double)(n_groups - 1) * msw) / sst : 0;
        out[i] = e2 > 0 ? e2 : 0;
        total += out[i];
    }
    for (int64_t i = 0; total > 0 && i < s->n; i++)
        out[i] /= total;
    free(v);
}
