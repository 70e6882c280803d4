/* train.c -- the boosting loop of gradient-boosted trees: parameters, the model's features and initial scores,
 * then one iteration after another (gradients, the rows and features of its trees, growing them, adding them to
 * the scores, the validation metric) until num_iterations or early stopping.
 *
 * plumb_gbdt_train is the list of those steps (as LightGBM's GBDT::Train is a loop of TrainOneIter); the work of
 * a tree is in grow.c, histogram.c, split.c, its storage in tree.c and the binning in bin.c (train.h says how
 * they fit).
 */
#include "train.h"
#include "../data/target.h"
#include "metric.h"

#include <float.h>
#include <stdlib.h>
#include <time.h>

#define PLUMB__SOFTMAX_MAX_STEP 10.0

/* ---------------------------------------------------------------------------------------------------------- */
/* Random numbers: counter-based, so a row's draw does not depend on which thread makes it                     */
/* ---------------------------------------------------------------------------------------------------------- */

static double uniform(uint64_t seed, uint64_t stream, uint64_t i) {
    return (double)(plumb__mix64(plumb__mix64(seed ^ plumb__mix64(stream)) ^ i) >> 11) * 0x1.0p-53;
}

/* Softmax probabilities of every row from its K scores (multiclass), before an iteration's trees. */
static void softmax_rows(trainer *t) {
    const int64_t K = t->K;
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t i = 0; i < t->n_rows; i++) {
        const double *s = t->score + i * K;
        double *p = t->prob + i * K, mx = s[0], sum = 0;
        for (int64_t k = 1; k < K; k++)
            mx = fmax(mx, s[k]);
        for (int64_t k = 0; k < K; k++)
            sum += p[k] = exp(s[k] - mx);
        for (int64_t k = 0; k < K; k++)
            p[k] /= sum;
    }
}

/* Gradient and hessian of row i (output k), weighted. */
static inline void row_grad(const trainer *t, int64_t i, int32_t k, double *g, double *h) {
    if (t->soft && t->soft_mix == 0) {
        *g = t->score[i * t->K + k] - t->soft[i * t->K + k];
        *h = 1;
    } else if (t->K > 1) {
        const double p = t->prob[i * t->K + k];
        *g = p - (t->label[i] == k);
        *h = (double)t->K / (t->K - 1) * p * (1 - p);
    } else {
        plumb__objective_grad(t->obj, t->label[i], t->score[i], g, h);
    }
    if (t->soft && t->soft_mix > 0) { /* (1 - a) (s - z) + a g_label, (1 - a) + a h_label */
        const double a = t->soft_mix;
        *g = (1 - a) * (t->score[i * t->K + k] - t->soft[i * t->K + k]) + a * *g;
        *h = (1 - a) + a * *h;
    }
    if (t->weight) {
        *g *= t->weight[i];
        *h *= t->weight[i];
    }
}

/* Row i's gradient and hessian of output k, quantized by sg and sh and packed. */
static inline void pack_row(trainer *t, int64_t i, int32_t k, double sg, double sh) {
    double g, h;
    row_grad(t, i, k, &g, &h);
    t->gh[i] = (int64_t)(uint64_t)((int64_t)lrint(g * sg) * ((int64_t)1 << 32)) + (int64_t)lrint(h * sh);
}

/* Raises *gmax to row i's |gradient| and *hmax to its hessian (output k). */
static inline void grad_max_row(const trainer *t, int64_t i, int32_t k, double *gmax, double *hmax) {
    double g, h;
    row_grad(t, i, k, &g, &h);
    *gmax = fmax(*gmax, fabs(g));
    *hmax = fmax(*hmax, h);
}

/* Gradients of output k at the current scores, quantized to nearest and packed. The scales map the largest
 * gradient to min(32767, 2^31/rows) and the largest hessian to min(65535, 2^32/rows): 11 bits and more for a
 * million rows (LightGBM's quantized training keeps accuracy with 4). Log-loss (binary and softmax) has |g| <= 1
 * and a bounded hessian, which fixes its scales (times the largest weight) and saves a pass; the others need their
 * largest gradient and hessian first. Returns false when one of those is not finite (the scores have diverged). */
static bool gradients(trainer *t, int32_t k, double wmax) {
    const int64_t n = t->n_rows;
    const double gq_max = fmin(32767, floor(2147483647.0 / (double)n)),
                 hq_max = fmin(65535, floor(4294967295.0 / (double)n));
    if (!t->soft && (t->K > 1 || t->obj->kind == PLUMB_OBJECTIVE_BINARY)) {
        t->sg = gq_max / wmax;
        t->sh = hq_max / (wmax * (t->K > 1 ? (double)t->K / (t->K - 1) / 4 : 0.25));
    } else {
        double gmax = 0, hmax = 0;
        if (t->nt <= 1) {
            for (int64_t i = 0; i < n; i++)
                grad_max_row(t, i, k, &gmax, &hmax);
        } else {
#pragma omp parallel for schedule(static) num_threads(t->nt) reduction(max : gmax, hmax)
            for (int64_t i = 0; i < n; i++)
                grad_max_row(t, i, k, &gmax, &hmax);
        }
        if (!isfinite(gmax) || !isfinite(hmax))
            return false;
        t->sg = gmax > 0 ? gq_max / gmax : 1.0;
        t->sh = hmax > 0 ? hq_max / hmax : 1.0;
    }
    const double sg = t->sg, sh = t->sh;
    if (t->nt <= 1) { /* no parallel region: even a team of one pays a futex call at its end */
        for (int64_t i = 0; i < n; i++)
            pack_row(t, i, k, sg, sh);
        return true;
    }
#pragma omp parallel for schedule(static) num_threads(t->nt)
    for (int64_t i = 0; i < n; i++)
        pack_row(t, i, k, sg, sh);
    return true;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Boosting                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb_gbdt_params_init(plumb_gbdt_params *p) {
    memset(p, 0, sizeof *p);
    p->task = PLUMB_TASK_AUTO;
    p->objective = PLUMB_OBJECTIVE_AUTO;
    p->alpha = 0.9;
    p->num_iterations = 100;
    p->learning_rate = 0.1;
    p->num_leaves = 31;
    p->max_depth = -1;
    p->min_data_in_leaf = 20;
    p->min_sum_hessian_in_leaf = 1e-3;
    p->max_bin = 255;
    p->feature_fraction = 1.0;
    p->bagging_fraction = 1.0;
    p->cat_smooth = 10;
    p->cat_l2 = 10;
    p->min_data_per_group = 100;
    p->max_cat_threshold = 32;
    p->max_cat_to_onehot = 4;
    p->poisson_max_delta_step = 0.7;
}

static const char *const objective_names[] = {"auto",  "binary",  "l2",       "l1",
                                              "huber", "poisson", "quantile", "multiclass"};

const char *plumb_objective_name(plumb_objective o) {
    return (unsigned)o < sizeof objective_names / sizeof *objective_names ? objective_names[o] : "unknown";
}

plumb_status plumb_objective_parse(const char *name, plumb_objective *out, plumb_error *err) {
    for (size_t i = 0; i < sizeof objective_names / sizeof *objective_names; i++)
        if (strcmp(name, objective_names[i]) == 0) {
            *out = (plumb_objective)i;
            return PLUMB_OK;
        }
    return plumb__fail(err, PLUMB_EINVAL,
                       "unknown objective '%s' (expected binary, l2, l1, huber, poisson, quantile or multiclass)",
                       name);
}

static plumb_status check_params(const plumb_gbdt_params *p, plumb_error *err) {
    const char *bad = NULL;
    if (p->num_iterations < 1)
        bad = "num_iterations must be at least 1";
    else if (!(p->learning_rate > 0) || !isfinite(p->learning_rate))
        bad = "learning_rate must be positive";
    else if (p->num_leaves < 2 || p->num_leaves > 131072)
        bad = "num_leaves must be between 2 and 131072";
    else if (p->min_data_in_leaf < 1)
        bad = "min_data_in_leaf must be at least 1";
    else if (!(p->min_sum_hessian_in_leaf >= 0))
        bad = "min_sum_hessian_in_leaf must be at least 0";
    else if (!(p->lambda_l1 >= 0) || !(p->lambda_l2 >= 0))
        bad = "lambda_l1 and lambda_l2 must be at least 0";
    else if (!(p->min_gain_to_split >= 0))
        bad = "min_gain_to_split must be at least 0";
    else if (p->max_bin < 2 || p->max_bin > 65535)
        bad = "max_bin must be between 2 and 65535";
    else if (!(p->feature_fraction > 0 && p->feature_fraction <= 1))
        bad = "feature_fraction must be in (0, 1]";
    else if (!(p->bagging_fraction > 0 && p->bagging_fraction <= 1))
        bad = "bagging_fraction must be in (0, 1]";
    else if (p->bagging_freq < 0)
        bad = "bagging_freq must be at least 0";
    else if (p->early_stopping_rounds < 0)
        bad = "early_stopping_rounds must be at least 0";
    else if ((unsigned)p->task > PLUMB_TASK_MULTICLASS)
        bad = "unknown task";
    else if ((unsigned)p->objective > PLUMB_OBJECTIVE_MULTICLASS)
        bad = "unknown objective";
    else if ((p->objective == PLUMB_OBJECTIVE_QUANTILE && !(p->alpha > 0 && p->alpha < 1)) ||
             (p->objective == PLUMB_OBJECTIVE_HUBER && !(p->alpha > 0 && isfinite(p->alpha))))
        bad = "alpha must be in (0, 1) for quantile and positive for huber";
    else if (!(p->cat_smooth >= 0) || !(p->cat_l2 >= 0) || p->min_data_per_group < 1)
        bad = "cat_smooth and cat_l2 must be at least 0, min_data_per_group at least 1";
    else if (p->max_cat_threshold < 1 || p->max_cat_threshold > PLUMB__MAX_CAT_SET)
        bad = "max_cat_threshold must be between 1 and 64";
    else if (p->max_cat_to_onehot < 1)
        bad = "max_cat_to_onehot must be at least 1";
    else if (!(p->poisson_max_delta_step >= 0) || !isfinite(p->poisson_max_delta_step))
        bad = "poisson_max_delta_step must be at least 0";
    else if (p->n_monotone < 0 || (p->n_monotone > 0 && !p->monotone))
        bad = "monotone constraints: n_monotone without the array";
    return bad ? plumb__fail(err, PLUMB_EINVAL, "%s", bad) : PLUMB_OK;
}

/* The objective the task and parameters ask for, and the task it implies; PLUMB_EINVAL when they disagree. */
static plumb_status resolve_objective(plumb_task *task, plumb_objective *obj, plumb_error *err) {
    if (*obj == PLUMB_OBJECTIVE_AUTO)
        return PLUMB_OK; /* settled once the target is read */
    const plumb_task implied = *obj == PLUMB_OBJECTIVE_BINARY       ? PLUMB_TASK_BINARY
                               : *obj == PLUMB_OBJECTIVE_MULTICLASS ? PLUMB_TASK_MULTICLASS
                                                                    : PLUMB_TASK_REGRESSION;
    if (*task != PLUMB_TASK_AUTO && *task != implied)
        return plumb__fail(err, PLUMB_EINVAL, "objective '%s' does not fit the task", plumb_objective_name(*obj));
    *task = implied;
    return PLUMB_OK;
}

/* The weighted alpha-quantile of pairs p[0..n): the smallest value whose cumulative weight reaches alpha of the
 * total. Sorts the pairs in place. */
static double weighted_quantile(wpair *p, int64_t n, double alpha) {
    if (n == 0)
        return 0;
    qsort(p, (size_t)n, sizeof *p, plumb__gbdt_wpair_cmp);
    double total = 0, cum = 0;
    for (int64_t i = 0; i < n; i++)
        total += p[i].w;
    for (int64_t i = 0; i < n; i++) {
        cum += p[i].w;
        if (cum >= alpha * total)
            return p[i].v;
    }
    return p[n - 1].v;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Adds tree's output (times sign) to output k of the K scores of row r binned at bins, by walking the tree. */
static inline void add_tree_row(const plumb__gbdt_tree *tree, const void *bins, bool wide, int64_t F, int64_t r,
                                double *score, int32_t K, int32_t k, double sign) {
    const int32_t at = wide ? plumb__gbdt_tree_leaf_binned16(tree, (const uint16_t *)bins + (size_t)r * (size_t)F)
                            : plumb__gbdt_tree_leaf_binned8(tree, (const uint8_t *)bins + (size_t)r * (size_t)F);
    score[r * K + k] += sign * tree->leaf_value[at];
}

/* The same for the n rows binned at bins; small tables stay on this thread (a parallel region costs more than the
 * walk of a few thousand rows). */
static void add_tree(const plumb__gbdt_tree *tree, const void *bins, bool wide, int64_t F, int64_t n, double *score,
                     int32_t K, int32_t k, int nt, double sign) {
    if (nt <= 1 || n < ROW_PAR_ROWS) {
        for (int64_t i = 0; i < n; i++)
            add_tree_row(tree, bins, wide, F, i, score, K, k, sign);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; i++)
        add_tree_row(tree, bins, wide, F, i, score, K, k, sign);
}

/* L1 and quantile: each leaf's value becomes the (weighted) alpha-quantile of its rows' residuals, clamped to its
 * monotone bounds (LightGBM's RenewTreeOutput): the gradient steps only chose the partition. */
static bool renew_leaves(trainer *t, plumb__gbdt_tree *tree) {
    const double alpha = t->obj->kind == PLUMB_OBJECTIVE_L1 ? 0.5 : t->obj->alpha;
    wpair *pairs = malloc((size_t)(t->n_bag + 1) * sizeof *pairs);
    if (!pairs)
        return false;
    for (int32_t l = 0; l < tree->n_leaves; l++) {
        const leaf *lf = &t->leaves[l];
        int64_t k = 0;
        for (int64_t i = lf->begin; i < lf->end; i++) {
            const uint32_t r = t->idx[i];
            pairs[k++] = (wpair){t->label[r] - t->score[r], t->weight ? t->weight[r] : 1.0};
        }
        const double q = weighted_quantile(pairs, k, alpha);
        tree->leaf_value[l] = t->p->learning_rate * fmin(fmax(q, lf->lo), lf->hi);
    }
    free(pairs);
    return true;
}

static void trainer_free(trainer *t) {
    free(t->bins);
    free(t->colbins);
    free(t->off);
    free(t->label);
    free(t->score);
    free(t->prob);
    free(t->gh);
    free(t->idx);
    free(t->tmp);
    free(t->oob);
    free(t->pool);
    free(t->free_slots);
    free(t->used);
    free(t->scratch);
    free(t->leaves);
    free(t->per_feature);
    free(t->cat_scratch);
    free(t->cat_keys);
    free(t->split_bits);
}

/* The model's features: the training frame's feature columns that gradient boosting reads, or an init model's
 * (whose bins are kept), with their monotone constraints. */
static plumb_status choose_features(plumb__gbdt *m, const plumb_schema *fs, const plumb_gbdt_params *p,
                                    plumb_error *err) {
    const plumb__gbdt *init = p->init_model ? plumb__gbdt_of(p->init_model) : NULL;
    const int64_t n_cols = plumb_schema_n_columns(fs);
    if (!(m->features = calloc((size_t)n_cols + 1, sizeof *m->features)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (init) {
        for (int64_t f = 0; f < init->n_features; f++) {
            plumb__feature *ft = &m->features[m->n_features++];
            *ft = init->features[f];
            ft->edges = NULL;
            if (init->features[f].edges) {
                const size_t bytes = (size_t)(ft->n_bins - 2 > 0 ? ft->n_bins - 2 : 1) * sizeof *ft->edges;
                if (!(ft->edges = malloc(bytes)))
                    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
                memcpy(ft->edges, init->features[f].edges, bytes);
            }
        }
    } else {
        for (int64_t j = 0; j < n_cols; j++) {
            plumb_column_info c;
            plumb_schema_column(fs, j, &c);
            if (c.role != PLUMB_ROLE_FEATURE)
                continue;
            if (c.type == PLUMB_TYPE_NUMERIC || c.type == PLUMB_TYPE_BOOL) {
                m->features[m->n_features++].column = j;
            } else if (c.type == PLUMB_TYPE_CATEGORICAL) {
                if (c.n_categories + 1 > PLUMB__MAX_BINS - 1)
                    return plumb__fail(err, PLUMB_EINVAL, "column '%s' has too many categories", c.name);
                plumb__feature *ft = &m->features[m->n_features++];
                ft->column = j;
                ft->n_categories = (int32_t)(c.n_categories > 0 ? c.n_categories : 1);
                ft->n_bins = ft->n_categories + 1;
            } else {
                plumb__log(PLUMB_LOG_INFO,
                           "column '%s' (%s) is not used: gradient boosting reads numeric, bool and "
                           "categorical features",
                           c.name, plumb_type_name(c.type));
            }
        }
    }
    if (m->n_features == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
    if (m->n_features >= (int64_t)PLUMB__SCAT)
        return plumb__fail(err, PLUMB_EINVAL, "%lld features: gradient boosting takes at most %u",
                           (long long)m->n_features, PLUMB__SCAT - 1);
    for (int i = 0; i < p->n_monotone; i++) {
        const plumb_monotone *mc = &p->monotone[i];
        if (mc->direction == 0)
            continue;
        int64_t f = 0;
        while (f < m->n_features && strcmp(fs->cols[m->features[f].column].name, mc->column) != 0)
            f++;
        if (f == m->n_features)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s', which is not a feature", mc->column);
        if (m->features[f].n_categories > 0)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s': it is categorical, with no order",
                               mc->column);
        if (mc->direction != 1 && mc->direction != -1)
            return plumb__fail(err, PLUMB_EINVAL, "monotone constraint on '%s' must be +1 or -1", mc->column);
        m->features[f].monotone = (int8_t)mc->direction;
    }
    return PLUMB_OK;
}

/* Checks that an init model can be continued with these parameters and data. */
static plumb_status check_init_model(const plumb__gbdt *init, const plumb__gbdt *m, plumb_error *err) {
    if (init->objective.kind != m->objective.kind || init->n_classes != m->n_classes)
        return plumb__fail(err, PLUMB_EINVAL, "the init model's objective is '%s' with %d outputs, not '%s' with %d",
                           plumb_objective_name(init->objective.kind), init->n_classes,
                           plumb_objective_name(m->objective.kind), m->n_classes);
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The steps of a training run                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

/* One training run: the model being built, the trainer, and what the loop needs besides. */
typedef struct run {
    const plumb_frame *train, *valid;
    const plumb_gbdt_params *params;
    const plumb__gbdt_soft *soft;  /* distillation: what to fit instead of the target; NULL: the target */
    const plumb_model *init_model; /* the model continued, or NULL; init is its gradient-boosting data */
    const plumb__gbdt *init;
    plumb_model *model; /* the model being built; m is its gradient-boosting data */
    plumb__gbdt *m;
    trainer t;
    double t0;
    int64_t target; /* the training frame's target column */
    plumb__metric metric;
    double wmax;        /* the largest weight (1 without weights) */
    plumb__fcol *cols;  /* the model's features in the training frame */
    plumb__fcol *vcols; /* validation data: its columns, bins, labels, weights and raw scores */
    void *vbins;
    double *vlabel, *vscore;
    const double *vweight;
    int64_t vn;
    int64_t n_init;    /* trees taken over from the init model */
    double *bound;     /* per output: the largest |training score| at the start plus each tree's largest |leaf| */
    double best_valid; /* the best validation metric so far, at iteration best_iter (1-based) */
    int64_t best_iter;
} run;

/* The Poisson objective and deviance are defined for targets >= 0: EINVAL naming the first negative one (which:
 * "" for the training data, "validation " for the validation data), which would give a meaningless number. */
static plumb_status check_poisson_labels(const run *r, const double *label, int64_t n, const char *which,
                                         plumb_error *err) {
    const plumb_objective okind = r->m->objective.kind;
    if (okind != PLUMB_OBJECTIVE_POISSON && r->metric != PLUMB__METRIC_POISSON)
        return PLUMB_OK;
    for (int64_t i = 0; i < n; i++)
        if (label[i] < 0)
            return plumb__fail(err, PLUMB_EINVAL, "%s needs targets >= 0: %g in %sdata row %lld",
                               okind == PLUMB_OBJECTIVE_POISSON ? "poisson" : "the poisson_deviance metric", label[i],
                               which, (long long)i + 1);
    return PLUMB_OK;
}
/* The model's settings: task, objective, labels, metric, weights and features. */
static plumb_status start_model(run *r, plumb_error *err) {
    const plumb_gbdt_params *params = r->params;
    const plumb__gbdt *init = r->init;
    trainer *t = &r->t;
    const plumb__gbdt_soft *soft = r->soft;
    plumb_status st;
    r->target = soft ? -1 : plumb__target_find(r->train);
    if (r->target < 0 && !soft)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    const int64_t n = plumb_frame_n_rows(r->train);
    if (n >= (int64_t)UINT32_MAX)
        return plumb__fail(err, PLUMB_EINVAL, "more than %u training rows", UINT32_MAX - 1);
    if (n == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no training rows");
    plumb_model *model = r->model = plumb__model_new(&plumb__gbdt_ops);
    plumb__gbdt *m = model ? r->m = model->impl = calloc(1, sizeof *m) : NULL;
    const plumb_schema *schema = soft ? soft->schema : init ? r->init_model->schema : plumb_frame_schema(r->train);
    if (!m || !(model->schema = plumb__schema_copy(schema, false)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    m->params = *params;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    m->params.positive_class = NULL;
    m->params.metric = NULL;
    m->params.monotone = NULL;
    m->params.n_monotone = 0;
    m->params.init_model = NULL;
    model->task = soft ? soft->task : params->task;
    plumb_objective okind = soft ? soft->objective : params->objective;
    if ((st = resolve_objective(&model->task, &okind, err)) != PLUMB_OK)
        return st;

    t->p = &m->params;
    t->nt = plumb__threads(params->n_threads);
    t->n_rows = n;
    if (!(t->label = malloc((size_t)n * sizeof *t->label)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (soft) {
        for (int64_t i = 0; i < n; i++)
            t->label[i] = soft->label ? soft->label[i] : 0;
        m->n_classes = soft->K;
        t->soft = soft->z;
        t->soft_mix = soft->label ? soft->mix : 0;
    } else if ((st = plumb__target_labels(r->train, r->target, &model->task, params->positive_class, t->label,
                                          &m->n_classes, err)) != PLUMB_OK) {
        return st;
    }
    if (okind == PLUMB_OBJECTIVE_AUTO)
        okind = model->task == PLUMB_TASK_BINARY       ? PLUMB_OBJECTIVE_BINARY
                : model->task == PLUMB_TASK_MULTICLASS ? PLUMB_OBJECTIVE_MULTICLASS
                                                       : PLUMB_OBJECTIVE_L2;
    m->objective = (plumb__objective){okind, params->alpha, params->poisson_max_delta_step};
    m->params.objective = okind;
    model->n_outputs = m->n_classes;
    m->params.task = model->task;
    t->obj = &m->objective;
    t->K = m->n_classes;
    /* Softmax: a leaf's Newton step -G/H is about 1/p for a class of share p (a class of 4 rows in 3,000 steps by
     * 750), and once probabilities are near 0 or 1 the hessians p(1-p) vanish while a row that is badly wrong keeps
     * a gradient of -1: with many small classes, every leaf that cannot separate a class's rows from others pushes
     * the others far the wrong way, and the next trees push harder, so the loss rises (issue 12, 300 classes of 10
     * rows). The outputs are bounded, as XGBoost's max_delta_step bounds them; the split search scores splits with
     * the bounded outputs. 10 is far beyond the steps of a well-posed problem (about 1 near convergence). */
    t->max_step = t->K > 1 && !(soft && t->soft_mix == 0) ? PLUMB__SOFTMAX_MAX_STEP : INFINITY;
    r->metric = plumb__metric_default(&m->objective, t->K);
    if (params->metric && !soft &&
        (st = plumb__metric_parse(params->metric, &m->objective, t->K, &r->metric, err)) != PLUMB_OK)
        return st;
    if ((st = check_poisson_labels(r, t->label, n, "", err)) != PLUMB_OK)
        return st;
    snprintf(m->metric, sizeof m->metric, "%s", plumb__metric_name(r->metric));
    r->wmax = 1;
    if ((st = plumb__weights(r->train, &t->weight, NULL, &r->wmax, err)) != PLUMB_OK)
        return st;
    if (init && (st = check_init_model(init, m, err)) != PLUMB_OK)
        return st;
    if ((st = choose_features(m, model->schema, params, err)) != PLUMB_OK)
        return st;
    return plumb__gbdt_set_features(model, m) ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* Binds the features to the training frame and bins it. */
static plumb_status bin_training_data(run *r, plumb_error *err) {
    plumb__gbdt *m = r->m;
    trainer *t = &r->t;
    plumb_status st;
    t->F = m->n_features;
    t->features = m->features;
    if ((st = plumb__model_bind(r->model, r->train, &r->cols, err)) != PLUMB_OK)
        return st;
    if (r->soft)
        r->model->positive_first = r->soft->positive_first;
    else if (r->params->positive_class && plumb_frame_codes(r->train, r->target)) { /* read_labels checked the name */
        plumb_column_info tc;
        plumb_schema_column(plumb_frame_schema(r->train), r->target, &tc);
        r->model->positive_first = strcmp(r->params->positive_class, tc.categories[0]) == 0;
    }
    if (r->init)
        r->model->positive_first = r->init_model->positive_first;
    if ((st = plumb__gbdt_make_bins(t, r->cols, !r->init, err)) != PLUMB_OK)
        return st;
    m->wide = t->wide;
    for (int64_t f = 0; f < t->F; f++) {
        if (t->features[f].n_categories > 0 && t->features[f].n_bins > t->stride_cats)
            t->stride_cats = t->features[f].n_bins;
        t->constrained |= t->features[f].monotone != 0;
    }
    if (t->constrained && t->K > 1)
        return plumb__fail(err, PLUMB_EINVAL, "monotone constraints need a binary or regression model");
    return PLUMB_OK;
}

/* The trainer's arrays: scores, gradients, row indices, histograms, leaves and split scratch. */
static plumb_status alloc_trainer(run *r, plumb_error *err) {
    trainer *t = &r->t;
    const int64_t n = t->n_rows;
    const int32_t NL = r->params->num_leaves, K = t->K;
    const double pool_gib = (double)NL * (double)t->total_bins * sizeof(hist_entry) / (1 << 30);
    if (pool_gib > 4)
        return plumb__fail(err, PLUMB_EINVAL,
                           "%d leaves of %lld histogram bins need %.1f GiB: lower max_bin or num_leaves", NL,
                           (long long)t->total_bins, pool_gib);
    if (!(t->score = malloc((size_t)n * (size_t)K * sizeof *t->score)) ||
        (K > 1 && !(t->prob = malloc((size_t)n * (size_t)K * sizeof *t->prob))) ||
        !(t->gh = malloc((size_t)n * sizeof *t->gh)) || !(t->idx = malloc((size_t)n * sizeof *t->idx)) ||
        !(t->tmp = malloc((size_t)n * sizeof *t->tmp)) || !(t->oob = malloc((size_t)n * sizeof *t->oob)) ||
        !(t->pool = malloc((size_t)NL * (size_t)t->total_bins * sizeof *t->pool)) ||
        !(t->free_slots = malloc((size_t)NL * sizeof *t->free_slots)) ||
        !(t->used = malloc((size_t)t->F * sizeof *t->used)) || !(t->leaves = malloc((size_t)NL * sizeof *t->leaves)) ||
        !(t->per_feature = malloc(2 * (size_t)t->F * sizeof *t->per_feature)) ||
        !(t->scratch = malloc((size_t)(t->nt > 1 ? t->nt - 1 : 1) * (size_t)t->total_bins * sizeof *t->scratch)) ||
        !(t->cat_scratch = malloc((size_t)(t->F * t->stride_cats + 1) * sizeof *t->cat_scratch)) ||
        !(t->cat_keys = malloc((size_t)(t->F * t->stride_cats + 1) * sizeof *t->cat_keys)) ||
        !(t->split_bits = malloc((size_t)(t->stride_cats / 32 + 2) * sizeof *t->split_bits)) ||
        !(r->m->init_score = calloc((size_t)K, sizeof *r->m->init_score)) ||
        !(r->bound = calloc((size_t)K, sizeof *r->bound)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    return PLUMB_OK;
}

/* Initial scores: an init model's predictions, or the best constant (log-odds of the mean, log of the class
 * shares, log of the mean, median, alpha-quantile, mean). */
static plumb_status init_scores(run *r, plumb_error *err) {
    plumb__gbdt *m = r->m;
    trainer *t = &r->t;
    const int64_t n = t->n_rows;
    const int32_t K = t->K;
    const plumb_objective okind = m->objective.kind;
    if (r->init) {
        memcpy(m->init_score, r->init->init_score, (size_t)K * sizeof *m->init_score);
        return plumb_model_predict(r->init_model, r->train, &(plumb_predict_options){.threads = t->nt, .raw = true},
                                   t->score, err);
    }
    double wsum = 0, mean = 0;
    if (t->soft) { /* the best constant of the squared error to the teacher: its weighted mean raw scores */
        for (int64_t i = 0; i < n; i++) {
            const double w = t->weight ? t->weight[i] : 1.0;
            wsum += w;
            for (int32_t k = 0; k < K; k++)
                m->init_score[k] += w * t->soft[i * K + k];
        }
        for (int32_t k = 0; k < K; k++)
            m->init_score[k] /= wsum;
        goto fill;
    }
    for (int64_t i = 0; i < n; i++) {
        const double w = t->weight ? t->weight[i] : 1.0;
        wsum += w;
        if (K > 1)
            m->init_score[(int32_t)t->label[i]] += w;
        else
            mean += w * t->label[i];
    }
    mean /= wsum;
    if (okind == PLUMB_OBJECTIVE_L1 || okind == PLUMB_OBJECTIVE_QUANTILE) {
        wpair *pairs = malloc((size_t)n * sizeof *pairs);
        if (!pairs)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < n; i++)
            pairs[i] = (wpair){t->label[i], t->weight ? t->weight[i] : 1.0};
        m->init_score[0] = weighted_quantile(pairs, n, okind == PLUMB_OBJECTIVE_L1 ? 0.5 : r->params->alpha);
        free(pairs);
    } else if (K > 1) {
        for (int32_t k = 0; k < K; k++)
            m->init_score[k] = log(fmax(m->init_score[k] / wsum, 1e-15));
    } else if (okind == PLUMB_OBJECTIVE_BINARY) {
        const double pm = fmin(fmax(mean, 1e-15), 1 - 1e-15);
        m->init_score[0] = log(pm / (1 - pm));
    } else if (okind == PLUMB_OBJECTIVE_POISSON) {
        m->init_score[0] = log(fmax(mean, 1e-15));
    } else {
        m->init_score[0] = mean;
    }
fill:
    for (int64_t i = 0; i < n; i++)
        for (int32_t k = 0; k < K; k++)
            t->score[i * K + k] = m->init_score[k];
    return PLUMB_OK;
}

/* Validation data, binned with the training edges, and its initial scores. */
static plumb_status prepare_valid(run *r, plumb_error *err) {
    const plumb_frame *valid = r->valid;
    plumb__gbdt *m = r->m;
    trainer *t = &r->t;
    const int32_t K = t->K;
    plumb_status st;
    const int64_t vt = plumb__target_find(valid);
    const int64_t vn = r->vn = plumb_frame_n_rows(valid);
    if (vt < 0)
        return plumb__fail(err, PLUMB_ESCHEMA, "validation data has no target column");
    if (!(r->vlabel = malloc((size_t)(vn + 1) * sizeof *r->vlabel)) ||
        !(r->vscore = malloc((size_t)(vn * K + 1) * sizeof *r->vscore)) ||
        !(r->vbins = malloc((size_t)(vn * t->F) * (t->wide ? 2 : 1) + 1)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if ((st = plumb__model_bind(r->model, valid, &r->vcols, err)) != PLUMB_OK)
        return st;
    plumb_task vtask = r->model->task;
    int32_t vk;
    double vwmax;
    if ((st = plumb__target_labels(valid, vt, &vtask, r->params->positive_class, r->vlabel, &vk, err)) != PLUMB_OK ||
        (st = plumb__weights(valid, &r->vweight, NULL, &vwmax, err)) != PLUMB_OK ||
        (st = check_poisson_labels(r, r->vlabel, vn, "validation ", err)) != PLUMB_OK)
        return st;
    if (vk != K)
        return plumb__fail(err, PLUMB_ESCHEMA, "validation target has %d classes, training target %d", vk, K);
    plumb__bin_rows(t->features, t->F, r->vcols, vn, r->vbins, t->wide, t->nt);
    if (r->init)
        return plumb_model_predict(r->init_model, valid, &(plumb_predict_options){.threads = t->nt, .raw = true},
                                   r->vscore, err);
    for (int64_t i = 0; i < vn; i++)
        for (int32_t k = 0; k < K; k++)
            r->vscore[i * K + k] = m->init_score[k];
    return PLUMB_OK;
}

/* Room for the trees, the init model's first, and for the validation metric of every iteration. */
static plumb_status take_init_trees(run *r, plumb_error *err) {
    plumb__gbdt *m = r->m;
    const plumb__gbdt *init = r->init;
    const int64_t iters = r->params->num_iterations;
    r->n_init = init ? init->n_trees : 0;
    if (!(m->trees = calloc((size_t)(r->n_init + iters * r->t.K), sizeof *m->trees)) ||
        (r->valid && !(m->valid_metric = malloc((size_t)iters * sizeof *m->valid_metric))))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (int64_t k = 0; k < r->n_init; k++) {
        if (!plumb__gbdt_tree_copy(&m->trees[k], &init->trees[k]))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        m->n_trees = k + 1;
    }
    m->init_iterations = init ? init->init_iterations + init->best_iteration : 0;
    for (int64_t i = 0; i < r->t.n_rows * r->t.K; i++)
        r->bound[i % r->t.K] = fmax(r->bound[i % r->t.K], fabs(r->t.score[i]));
    r->best_valid = plumb__metric_higher_better(r->metric) ? -INFINITY : INFINITY;
    r->best_iter = 0;
    return PLUMB_OK;
}

/* The features of iteration it's trees into t->used. */
static void choose_used_features(trainer *t, const plumb_gbdt_params *params, int64_t it) {
    int64_t nf = (int64_t)llround((double)t->F * params->feature_fraction);
    nf = nf < 1 ? 1 : nf > t->F ? t->F : nf;
    t->n_used = 0;
    for (int64_t chosen = 0, f = 0; f < t->F; f++) {
        /* selection sampling (Knuth's algorithm S): each feature kept with probability needed/remaining */
        if (nf == t->F ||
            uniform(params->seed, 2 * (uint64_t)it + 2, (uint64_t)f) * (double)(t->F - f) < (double)(nf - chosen)) {
            t->used[t->n_used++] = (int32_t)f;
            chosen++;
        }
    }
}

/* The rows of iteration it's trees into t->idx[0..n_bag), ascending: a new bag every bagging_freq iterations (the
 * same for every class), else every row. */
static void choose_bag(trainer *t, const plumb_gbdt_params *params, int64_t it) {
    const int64_t n = t->n_rows;
    if (params->bagging_freq > 0 && params->bagging_fraction < 1) {
        const int64_t bag_it = it - it % params->bagging_freq;
        int64_t n_oob = 0;
        t->n_bag = 0;
        for (int64_t i = 0; i < n; i++)
            if (uniform(params->seed, 2 * (uint64_t)bag_it + 1, (uint64_t)i) < params->bagging_fraction)
                t->idx[t->n_bag++] = (uint32_t)i;
            else
                t->oob[n_oob++] = (uint32_t)i;
        if (t->n_bag == 0) { /* row 0, the first out of the bag, goes in */
            t->idx[t->n_bag++] = 0;
            memmove(t->oob, t->oob + 1, (size_t)(n_oob - 1) * sizeof *t->oob);
        }
    } else {
        for (int64_t i = 0; i < n; i++)
            t->idx[i] = (uint32_t)i;
        t->n_bag = n;
    }
}

/* Adds leaf value v to output k of the scores of the rows idx[begin..end). */
static inline void add_leaf_rows(trainer *t, int64_t begin, int64_t end, double v, int32_t k) {
    const int64_t K = t->K;
    for (int64_t i = begin; i < end; i++) {
        if (i + PREFETCH_ROWS < end)
            __builtin_prefetch(t->score + (size_t)t->idx[i + PREFETCH_ROWS] * (size_t)K, 1);
        t->score[(size_t)t->idx[i] * (size_t)K + (size_t)k] += v;
    }
}

/* Adds the tree just grown for output k to the training scores: the rows in the bag sit in the leaves' ranges of
 * idx and take their leaf's value directly; only the rows out of the bag walk the tree. Each row gets the same one
 * addition either way, so the scores are the same to the bit. */
static void add_to_scores(trainer *t, const plumb__gbdt_tree *tree, int32_t k) {
    const int64_t n_oob = t->n_rows - t->n_bag;
    if (n_oob > 0 && (t->nt <= 1 || n_oob < ROW_PAR_ROWS)) {
        for (int64_t j = 0; j < n_oob; j++)
            add_tree_row(tree, t->bins, t->wide, t->F, t->oob[j], t->score, t->K, k, 1);
    } else if (n_oob > 0) {
#pragma omp parallel for schedule(static) num_threads(t->nt)
        for (int64_t j = 0; j < n_oob; j++)
            add_tree_row(tree, t->bins, t->wide, t->F, t->oob[j], t->score, t->K, k, 1);
    }
    for (int32_t l = 0; l < tree->n_leaves; l++) {
        const double v = tree->leaf_value[l];
        const leaf *lf = &t->leaves[l];
        if (t->nt <= 1 || lf->c < PAR_ROWS) {
            add_leaf_rows(t, lf->begin, lf->end, v, k);
            continue;
        }
#pragma omp parallel for schedule(static) num_threads(t->nt)
        for (int64_t i = lf->begin; i < lf->end; i++)
            t->score[(size_t)t->idx[i] * (size_t)t->K + (size_t)k] += v;
    }
}

/* Divergence (a learning rate of 1e308, say) stops training with an error that names the iteration, so no model
 * holds a non-finite number and no raw score can overflow: a gradient that is not finite, a leaf value that is
 * not, or a bound on the scores of any row (every row's raw score is at most bound[k] in size) that overflows. */
static plumb_status diverged(int64_t it, const char *what, plumb_error *err) {
    return plumb__fail(err, PLUMB_EINVAL, "training diverged at iteration %lld: %s (try a lower learning rate)",
                       (long long)it + 1, what);
}

/* Checks the tree just grown for output k and adds its largest output to bound[k]. */
static plumb_status check_tree(run *r, const plumb__gbdt_tree *tree, int32_t k, int64_t it, plumb_error *err) {
    double top = 0;
    for (int32_t l = 0; l < tree->n_leaves; l++) {
        if (!isfinite(tree->leaf_value[l]))
            return diverged(it, "a leaf value is not finite", err);
        top = fmax(top, fabs(tree->leaf_value[l]));
    }
    r->bound[k] += top;
    if (!(r->bound[k] <= DBL_MAX))
        return diverged(it, "the raw scores can overflow", err);
    return PLUMB_OK;
}

/* Iteration it: one tree per output, grown on the gradients at the current scores and added to them. */
static plumb_status train_one_iter(run *r, int64_t it, plumb_error *err) {
    trainer *t = &r->t;
    plumb__gbdt *m = r->m;
    if (t->K > 1)
        softmax_rows(t);
    choose_used_features(t, r->params, it);
    for (int32_t k = 0; k < t->K; k++) {
        plumb_status st;
        if (!gradients(t, k, r->wmax))
            return diverged(it, "a gradient is not finite", err);
        choose_bag(t, r->params, it);
        plumb__gbdt_tree *tree = &m->trees[m->n_trees];
        if (!plumb__gbdt_grow_tree(t, tree))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        m->n_trees++;
        if ((m->objective.kind == PLUMB_OBJECTIVE_L1 || m->objective.kind == PLUMB_OBJECTIVE_QUANTILE) &&
            !renew_leaves(t, tree))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        if ((st = check_tree(r, tree, k, it, err)) != PLUMB_OK)
            return st;
        add_to_scores(t, tree, k);
        if (r->valid)
            add_tree(tree, r->vbins, t->wide, t->F, r->vn, r->vscore, t->K, k, t->nt, 1);
    }
    return PLUMB_OK;
}

/* After iteration it: the validation metric, progress; whether training stops here. */
static bool end_of_iter(run *r, int64_t it) {
    const plumb_gbdt_params *params = r->params;
    plumb__gbdt *m = r->m;
    double vmetric = NAN;
    if (r->valid) {
        vmetric =
            plumb__metric_eval(r->metric, &m->objective, r->t.K, r->vlabel, r->vweight, r->vscore, r->vn, r->t.nt);
        m->valid_metric[it] = vmetric;
        if (plumb__metric_higher_better(r->metric) ? vmetric > r->best_valid : vmetric < r->best_valid) {
            r->best_valid = vmetric;
            r->best_iter = it + 1;
        }
    }
    m->n_iterations = it + 1;
    const bool last = it + 1 == params->num_iterations || (r->valid && params->early_stopping_rounds > 0 &&
                                                           it + 1 - r->best_iter >= params->early_stopping_rounds);
    if (params->progress) {
        plumb_train_progress pr = {.iteration = it + 1,
                                   .n_iterations = params->num_iterations,
                                   .metric = m->metric,
                                   .valid_metric = vmetric,
                                   .elapsed_seconds = now() - r->t0};
        params->progress(&pr, params->progress_user);
    }
    return last;
}

/* Keeps the trees up to the best validation iteration; the training metric (a pass over every row, so computed
 * once) is that of the trees kept. Then provenance and the scoring layout. */
static plumb_status finish_model(run *r, plumb_error *err) {
    plumb__gbdt *m = r->m;
    trainer *t = &r->t;
    const int32_t K = t->K;
    m->best_iteration =
        r->valid && r->params->early_stopping_rounds > 0 && r->best_iter > 0 ? r->best_iter : m->n_iterations;
    for (int64_t i = r->n_init + m->best_iteration * K; i < m->n_trees; i++) {
        add_tree(&m->trees[i], t->bins, t->wide, t->F, t->n_rows, t->score, K, (int32_t)((i - r->n_init) % K), t->nt,
                 -1);
        plumb__gbdt_tree_free(&m->trees[i]);
    }
    m->n_trees = r->n_init + m->best_iteration * K;
    if (r->soft && !r->soft->label) { /* no labels: there is no training loss to report */
        m->train_metric = NAN;
        goto stamp;
    }
    m->train_metric = plumb__metric_eval(r->metric, &m->objective, K, t->label, t->weight, t->score, t->n_rows, t->nt);
    /* finite scores can still give an infinite loss (a log-loss summed over scores near 1e308) */
    const plumb__metric loss = plumb__metric_default(&m->objective, K);
    if (!isfinite(loss == r->metric
                      ? m->train_metric
                      : plumb__metric_eval(loss, &m->objective, K, t->label, t->weight, t->score, t->n_rows, t->nt)))
        return diverged(m->n_iterations - 1, "the training loss is not finite", err);
stamp:
    if (!plumb__gbdt_prepare(m))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb__model_stamp(r->model, r->train); /* after the scoring layout: the reference profiles the model's scores */
    return PLUMB_OK;
}

static void run_free(run *r) {
    trainer_free(&r->t);
    plumb__sources_free(r->cols, r->t.F);
    plumb__sources_free(r->vcols, r->t.F);
    free(r->vbins);
    free(r->vlabel);
    free(r->vscore);
    free(r->bound);
    plumb_model_free(r->model);
}

/* Training, on the target (soft NULL) or on a teacher's scores (plumb__gbdt_train_soft). */
static plumb_status train_gbdt(const plumb_frame *train, const plumb_frame *valid, const plumb_gbdt_params *params,
                               const plumb__gbdt_soft *soft, plumb_model **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    plumb_status st = check_params(params, err);
    if (st != PLUMB_OK)
        return st;
    const plumb_model *init = params->init_model;
    if (init && init->ops != &plumb__gbdt_ops)
        return plumb__fail(err, PLUMB_EINVAL, "the init model is not gradient-boosted trees");
    run r = {.train = train,
             .valid = valid,
             .soft = soft,
             .params = params,
             .init_model = init,
             .init = init ? plumb__gbdt_of(init) : NULL,
             .t0 = now()};
    if ((st = start_model(&r, err)) != PLUMB_OK || (st = bin_training_data(&r, err)) != PLUMB_OK ||
        (st = alloc_trainer(&r, err)) != PLUMB_OK || (st = init_scores(&r, err)) != PLUMB_OK ||
        (valid && (st = prepare_valid(&r, err)) != PLUMB_OK) || (st = take_init_trees(&r, err)) != PLUMB_OK)
        goto done;
    for (int64_t it = 0; it < params->num_iterations; it++) {
        if ((st = train_one_iter(&r, it, err)) != PLUMB_OK)
            goto done;
        if (end_of_iter(&r, it))
            break;
    }
    if ((st = finish_model(&r, err)) != PLUMB_OK)
        goto done;
    *out = r.model;
    r.model = NULL;
done:
    run_free(&r);
    return st;
}

plumb_status plumb_gbdt_train(const plumb_frame *train, const plumb_frame *valid, const plumb_gbdt_params *params,
                              plumb_model **out, plumb_error *err) {
    return train_gbdt(train, valid, params, NULL, out, err);
}

plumb_status plumb__gbdt_train_soft(const plumb_frame *train, const plumb_gbdt_params *params,
                                    const plumb__gbdt_soft *soft, plumb_model **out, plumb_error *err) {
    plumb_gbdt_params p = *params;
    p.task = soft->task;
    p.objective = soft->objective;
    p.metric = NULL;
    p.positive_class = NULL;
    p.init_model = NULL;
    p.early_stopping_rounds = 0;
    return train_gbdt(train, NULL, &p, soft, out, err);
}
