/* cart.c -- a single CART decision tree (Breiman, Friedman, Olshen & Stone 1984) grown as scikit-learn grows it:
 * training, minimal cost-complexity pruning, scoring, the rules text and the tree's model-file body.
 *
 * Growth follows scikit-learn's DecisionTree{Classifier,Regressor} with splitter="best" and max_leaf_nodes unset:
 * depth-first, nodes numbered in preorder; a node is a leaf when it is at max_depth, has fewer than
 * min_samples_split or 2 * min_samples_leaf rows, or is pure (impurity <= DBL_EPSILON); otherwise every split of
 * every feature is scored by scikit-learn's "proxy" (the weighted child impurities, negated; for squared error
 * sum_L^2/w_L + sum_R^2/w_R) in the same float arithmetic, and the best one is kept unless its weighted impurity
 * decrease (w_node/w_total) (i - w_R/w_node i_R - w_L/w_node i_L) plus DBL_EPSILON is below min_impurity_decrease.
 *
 * Numeric (float32) and bool features: each feature's rows are sorted once (radix sort, missing last) and every node
 * owns a range of each sorted list, kept sorted by stable partitions on every split; so a node's split search is
 * one pass per feature. Candidate thresholds lie between consecutive distinct values, at the midpoint a/2 + b/2
 * computed in double from the float32 values (a when that rounds to b), and values within 1e-7 of each other count
 * as one, as scikit-learn's FEATURE_THRESHOLD; scoring compares the float32 value, widened, with the double
 * threshold, as scikit-learn does. Missing values are tried on both sides as scikit-learn >= 1.3 does: every
 * threshold with missing values right, then every threshold with them left, then "missing right, every other value
 * left" (threshold +inf); a node without missing values sends them to its larger child.
 * Categorical features: a node's categories are ordered by their mean target (the weighted share of the positive
 * class, or the weighted mean) and every prefix of that order is a candidate left set (Breiman's theorem: for two
 * classes and for squared error the best subset split is among them). Categories absent from the node and codes
 * outside the dictionary (unseen at scoring) go to the larger child; missing values as for numeric features.
 *
 * Ties: scikit-learn visits features in a random order (seeded by random_state) and keeps the first of equally
 * good splits, so between features its choice depends on the seed; plumb visits features in column order and keeps
 * the first. Within a feature both keep the smallest threshold. Trees therefore equal scikit-learn's whenever no
 * two splits of a node tie exactly (continuous data), and reach the same training impurity otherwise.
 *
 * Threads: the features of a node of PAR_ROWS rows or more are searched, and partitioned, by several threads, each
 * feature's result written to its own slot and reduced in feature order: the tree does not depend on the count.
 * Memory: one int32 sorted row list per numeric feature (4 bytes x rows x features), plus row-sized scratch.
 */
#include "cart.h"
#include "../data/target.h"
#include "../model/loader.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define FEATURE_THRESHOLD 1e-7 /* scikit-learn's: values closer than this are one value */
#define PAR_ROWS 4096          /* nodes with this many rows search their features with several threads */
#define PAR_SORT (1 << 20)     /* rows x features from which features are presorted by several threads */

static const char *const criterion_names[] = {"auto", "gini", "entropy", "squared_error"};

/* ---------------------------------------------------------------------------------------------------------- */
/* Parameters                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb_tree_params_init(plumb_tree_params *p) {
    memset(p, 0, sizeof *p);
    p->task = PLUMB_TASK_AUTO;
    p->criterion = PLUMB_TREE_CRITERION_AUTO;
    p->max_depth = -1;
    p->min_samples_split = 2;
    p->min_samples_leaf = 1;
    p->class_weight[0] = p->class_weight[1] = 1;
}

static plumb_status check_params(const plumb_tree_params *p, plumb_error *err) {
    const char *bad = NULL;
    if (p->task != PLUMB_TASK_AUTO && p->task != PLUMB_TASK_BINARY && p->task != PLUMB_TASK_REGRESSION)
        bad = "unknown task";
    else if ((int)p->criterion < 0 || p->criterion > PLUMB_TREE_CRITERION_SQUARED_ERROR)
        bad = "unknown criterion";
    else if (p->max_depth < -1 || p->max_depth == 0)
        bad = "max_depth must be -1 (no limit) or at least 1";
    else if (p->min_samples_split < 2)
        bad = "min_samples_split must be at least 2";
    else if (p->min_samples_leaf < 1)
        bad = "min_samples_leaf must be at least 1";
    else if (!(p->min_impurity_decrease >= 0) || !isfinite(p->min_impurity_decrease))
        bad = "min_impurity_decrease must be at least 0";
    else if (!(p->ccp_alpha >= 0) || !isfinite(p->ccp_alpha))
        bad = "ccp_alpha must be at least 0";
    else if (!(p->class_weight[0] > 0 && p->class_weight[1] > 0) || !isfinite(p->class_weight[0]) ||
             !isfinite(p->class_weight[1]))
        bad = "class weights must be positive";
    return bad ? plumb__fail(err, PLUMB_EINVAL, "%s", bad) : PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Target and weights                                                                                          */
/* ---------------------------------------------------------------------------------------------------------- */

/* The target as classes (binary: 1 = positive) or values, with the encoding every trainer shares
 * (src/data/target.c). Resolves *task; *pos_text (OUT, malloc'd) names the positive class of a binary task, and
 * *is_text says whether it is a category. */
static plumb_status read_target(const plumb_frame *fr, int64_t target, plumb_task *task, const char *positive_name,
                                double *y, uint8_t *cls, char **pos_text, bool *is_text, plumb_error *err) {
    plumb_status st = plumb__target_labels(fr, target, task, positive_name, y, NULL, err);
    if (st != PLUMB_OK)
        return st;
    const int64_t n = plumb_frame_n_rows(fr);
    for (int64_t i = 0; i < n; i++)
        cls[i] = y[i] == 1;
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(fr), target, &c);
    *is_text = plumb_frame_codes(fr, target) != NULL;
    const char *pos = *task != PLUMB_TASK_BINARY ? NULL
                      : !*is_text                ? (plumb_frame_u8(fr, target) ? "true" : "1")
                      : positive_name            ? positive_name
                                                 : c.categories[1];
    if (pos && !(*pos_text = plumb__strdup(pos)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    return PLUMB_OK;
}

/* Row weights: the weight column (finite, not negative) times the class weight. *sw (OUT) is the weight column's
 * values alone (1 without one), for the training metric. */
static plumb_status read_weights(const plumb_frame *fr, const plumb_tree_params *p, plumb_task task, const uint8_t *cls,
                                 double *w, double *sw, plumb_error *err) {
    const int64_t n = plumb_frame_n_rows(fr);
    const double *col;
    plumb_status st = plumb__weights(fr, &col, NULL, NULL, err);
    if (st != PLUMB_OK)
        return st;
    for (int64_t i = 0; i < n; i++)
        sw[i] = col ? col[i] : 1.0;
    double cw[2] = {p->class_weight[0], p->class_weight[1]};
    const bool weighted_classes = p->class_weight_balanced || cw[0] != 1 || cw[1] != 1;
    if (weighted_classes && task != PLUMB_TASK_BINARY)
        return plumb__fail(err, PLUMB_EINVAL, "class weights need a binary task");
    if (p->class_weight_balanced) {
        /* scikit-learn's "balanced": n / (n_classes * bincount(y)), counting rows, not weights */
        int64_t count[2] = {0, 0};
        for (int64_t i = 0; i < n; i++)
            count[cls[i]]++;
        for (int k = 0; k < 2; k++)
            cw[k] = count[k] ? (double)n / (2.0 * (double)count[k]) : 1.0;
    }
    for (int64_t i = 0; i < n; i++)
        w[i] = task == PLUMB_TASK_BINARY && weighted_classes ? sw[i] * cw[cls[i]] : sw[i];
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Growing                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct stats {
    double w;    /* weight */
    double a, b; /* binary: weights of the negative and the positive class; regression: sums of w y and w y y */
} stats;

/* The best split of one feature at a node. */
typedef struct cand {
    double proxy; /* -INFINITY: no valid split */
    int32_t pos;  /* numeric: sorted non-missing rows before it go left; categorical: categories in order */
    int32_t n_left;
    bool missing_left;
    double threshold;
    stats left;
} cand;

/* What a row adds to the sums: its weight, and its terms of a and b (binary: the weight under its class and 0 under
 * the other, so adding is exact and branch-free; regression: w y and (w y) y, scikit-learn's terms). */
typedef struct row_terms {
    double w, a, b;
} row_terms;

/* A category's sums at a node, and its place in Breiman's order. */
typedef struct cat_entry {
    double key;
    int32_t code;
} cat_entry;

typedef struct grower {
    const plumb_tree_params *p;
    plumb_tree_criterion crit;
    bool classify;
    int nt;
    int32_t n;
    int64_t F;
    const float **x;       /* per feature: values (bool as 0/1, NaN missing); NULL for categorical features */
    float **xcopy;         /* per feature: the owned copy behind x of a bool feature; NULL otherwise */
    const int32_t **codes; /* per feature: categorical codes; NULL otherwise */
    const int32_t *n_cats; /* per feature: dictionary size */
    int32_t max_cats;
    row_terms *terms; /* per row */
    int32_t **ord;    /* per numeric feature: rows sorted by value, missing last; each node a range */
    float **sorted;   /* per numeric feature: the values in ord's order, partitioned with it (scans read in order) */
    int32_t *rows;    /* rows, each node a range, ascending within it */
    uint8_t *go_left; /* per row, for the split being applied */
    int32_t *tmp;     /* nt x n: partition scratch */
    float *tmpv;      /* nt x n: partition scratch for values */
    stats *cat_stats; /* nt x max_cats */
    int32_t *cat_count;
    cat_entry *cat_order;
    cand *cands; /* per feature */
    double total_w;
    /* the tree */
    plumb__cart_node *nodes;
    int32_t n_nodes, cap_nodes, depth;
    uint64_t *bits;
    int64_t n_words, cap_words;
} grower;

static inline void add_row(stats *s, const grower *g, int32_t r) {
    const row_terms *t = &g->terms[r];
    s->w += t->w;
    s->a += t->a;
    s->b += t->b;
}

static inline void add_stats(stats *s, const stats *t) {
    s->w += t->w;
    s->a += t->a;
    s->b += t->b;
}

static inline stats minus(const stats *t, const stats *l) {
    return (stats){t->w - l->w, t->a - l->a, t->b - l->b};
}

/* scikit-learn's log: base 2 */
static inline double log2_sk(double x) {
    return log(x) / log(2.0);
}

static inline double impurity(plumb_tree_criterion crit, const stats *s) {
    if (crit == PLUMB_TREE_CRITERION_GINI)
        return 1.0 - (s->a * s->a + s->b * s->b) / (s->w * s->w);
    if (crit == PLUMB_TREE_CRITERION_ENTROPY) {
        double e = 0;
        if (s->a > 0) {
            const double q = s->a / s->w;
            e -= q * log2_sk(q);
        }
        if (s->b > 0) {
            const double q = s->b / s->w;
            e -= q * log2_sk(q);
        }
        return e;
    }
    const double mean = s->a / s->w;
    return s->b / s->w - mean * mean;
}

/* scikit-learn's proxy_impurity_improvement: larger is better; the same order as the impurity decrease. */
static inline double proxy(plumb_tree_criterion crit, const stats *l, const stats *r) {
    if (crit == PLUMB_TREE_CRITERION_SQUARED_ERROR)
        return l->a * l->a / l->w + r->a * r->a / r->w;
    return -r->w * impurity(crit, r) - l->w * impurity(crit, l);
}

/* Considers the split with left sums l (n_left rows) of a node with sums t and n rows. */
static inline void consider(const grower *g, const stats *t, const stats *l, int32_t n_left, int32_t n, cand *c,
                            int32_t pos, bool missing_left) {
    const int64_t msl = g->p->min_samples_leaf;
    if (n_left < msl || n - n_left < msl)
        return;
    const stats r = minus(t, l);
    if (!(l->w > 0) || !(r.w > 0))
        return;
    const double v = proxy(g->crit, l, &r);
    if (v > c->proxy) {
        c->proxy = v;
        c->pos = pos;
        c->n_left = n_left;
        c->missing_left = missing_left;
        c->left = *l;
    }
}

/* Merges the three passes in scikit-learn's order (missing right, missing left, missing alone right): a later
 * pass wins only when strictly better. */
static void merge(cand *best, const cand *c) {
    if (c->proxy > best->proxy)
        *best = *c;
}

static void search_numeric(const grower *g, int64_t f, int32_t b, int32_t e, const stats *t, cand *best) {
    const int32_t *o = g->ord[f] + b;
    const float *x = g->sorted[f] + b;
    const int32_t n = e - b;
    int32_t m = n;
    stats miss = {0, 0, 0};
    while (m > 0 && isnan(x[m - 1]))
        add_row(&miss, g, o[--m]);
    const int32_t n_miss = n - m;
    best->proxy = -INFINITY;
    if (m == 0)
        return;
    cand right = {.proxy = -INFINITY}, left = {.proxy = -INFINITY}, alone = {.proxy = -INFINITY};
    stats l = {0, 0, 0};
    for (int32_t q = 0; q < m; q++) {
        add_row(&l, g, o[q]);
        if (q + 1 == m || !((double)x[q + 1] > (double)x[q] + FEATURE_THRESHOLD))
            continue;
        const int32_t pos = q + 1;
        consider(g, t, &l, pos, n, &right, pos, false);
        if (n_miss) {
            stats lm = l;
            add_stats(&lm, &miss);
            consider(g, t, &lm, pos + n_miss, n, &left, pos, true);
        }
    }
    if (n_miss)
        consider(g, t, &l, m, n, &alone, m, false);
    *best = right;
    merge(best, &left);
    merge(best, &alone);
    if (best->proxy == -INFINITY)
        return;
    if (best->pos == m) {
        best->threshold = INFINITY;
    } else {
        const float lo = x[best->pos - 1], hi = x[best->pos];
        double thr = (double)lo / 2.0 + (double)hi / 2.0;
        if (thr == (double)hi || isinf(thr))
            thr = lo;
        best->threshold = thr;
    }
    if (n_miss == 0)
        best->missing_left = best->n_left > n - best->n_left;
}

static int cmp_cat(const void *pa, const void *pb) {
    const cat_entry *a = pa, *b = pb;
    return a->key < b->key ? -1 : a->key > b->key ? 1 : (a->code > b->code) - (a->code < b->code);
}

/* Sums the node's rows per category (thread tid's scratch) and orders the categories present by their mean target,
 * ties by code. Returns how many are present; *miss and *n_miss (OUT) are the missing rows'. */
static int32_t order_categories(const grower *g, int tid, int64_t f, int32_t b, int32_t e, stats *miss,
                                int32_t *n_miss) {
    const int32_t C = g->n_cats[f];
    const int32_t *codes = g->codes[f];
    stats *cs = g->cat_stats + (size_t)tid * (size_t)g->max_cats;
    int32_t *cc = g->cat_count + (size_t)tid * (size_t)g->max_cats;
    cat_entry *order = g->cat_order + (size_t)tid * (size_t)g->max_cats;
    memset(cs, 0, (size_t)C * sizeof *cs);
    memset(cc, 0, (size_t)C * sizeof *cc);
    *miss = (stats){0, 0, 0};
    *n_miss = 0;
    for (int32_t i = b; i < e; i++) {
        const int32_t r = g->rows[i], c = codes[r];
        if (c < 0 || c >= C) {
            add_row(miss, g, r);
            ++*n_miss;
        } else {
            add_row(&cs[c], g, r);
            cc[c]++;
        }
    }
    int32_t k = 0;
    for (int32_t c = 0; c < C; c++)
        if (cc[c] > 0) {
            const double mean = g->classify ? cs[c].b : cs[c].a;
            order[k++] = (cat_entry){.key = cs[c].w > 0 ? mean / cs[c].w : 0, .code = c};
        }
    qsort(order, (size_t)k, sizeof *order, cmp_cat);
    return k;
}

static void search_categorical(const grower *g, int tid, int64_t f, int32_t b, int32_t e, const stats *t, cand *best) {
    stats miss;
    int32_t n_miss;
    const int32_t k = order_categories(g, tid, f, b, e, &miss, &n_miss), n = e - b;
    const stats *cs = g->cat_stats + (size_t)tid * (size_t)g->max_cats;
    const int32_t *cc = g->cat_count + (size_t)tid * (size_t)g->max_cats;
    const cat_entry *order = g->cat_order + (size_t)tid * (size_t)g->max_cats;
    cand right = {.proxy = -INFINITY}, left = {.proxy = -INFINITY}, alone = {.proxy = -INFINITY};
    stats l = {0, 0, 0};
    int32_t nl = 0;
    for (int32_t j = 0; j < k; j++) {
        add_stats(&l, &cs[order[j].code]);
        nl += cc[order[j].code];
        if (j + 1 == k)
            break;
        consider(g, t, &l, nl, n, &right, j + 1, false);
        if (n_miss) {
            stats lm = l;
            add_stats(&lm, &miss);
            consider(g, t, &lm, nl + n_miss, n, &left, j + 1, true);
        }
    }
    if (n_miss && k > 0)
        consider(g, t, &l, nl, n, &alone, k, false);
    *best = right;
    merge(best, &left);
    merge(best, &alone);
    if (best->proxy != -INFINITY && n_miss == 0)
        best->missing_left = best->n_left > n - best->n_left;
}

static void search_feature(const grower *g, int tid, int64_t f, int32_t b, int32_t e, const stats *t) {
    if (g->codes[f])
        search_categorical(g, tid, f, b, e, t, &g->cands[f]);
    else
        search_numeric(g, f, b, e, t, &g->cands[f]);
}

/* Stable partition of rows a[0..n) (and their values x, when not NULL) by go_left: left rows first, each side in
 * its order. */
static void partition(int32_t *a, float *x, int32_t n, const uint8_t *go_left, int32_t *tmp, float *tmpv) {
    int32_t l = 0, r = 0;
    if (!x) {
        for (int32_t i = 0; i < n; i++) {
            const int32_t v = a[i];
            if (go_left[v])
                a[l++] = v;
            else
                tmp[r++] = v;
        }
    } else {
        for (int32_t i = 0; i < n; i++) {
            const int32_t v = a[i];
            const float xv = x[i];
            if (go_left[v]) {
                x[l] = xv;
                a[l++] = v;
            } else {
                tmpv[r] = xv;
                tmp[r++] = v;
            }
        }
        memcpy(x + l, tmpv, (size_t)r * sizeof *x);
    }
    memcpy(a + l, tmp, (size_t)r * sizeof *a);
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static bool add_node(grower *g) {
    if (g->n_nodes == g->cap_nodes) {
        const int32_t cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
        plumb__cart_node *nn = realloc(g->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return false;
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    g->n_nodes++;
    return true;
}

static int64_t add_words(grower *g, int64_t k) {
    if (g->n_words + k > g->cap_words) {
        int64_t cap = g->cap_words ? 2 * g->cap_words : 64;
        while (cap < g->n_words + k)
            cap *= 2;
        uint64_t *nb = realloc(g->bits, (size_t)cap * sizeof *nb);
        if (!nb)
            return -1;
        g->bits = nb;
        g->cap_words = cap;
    }
    memset(g->bits + g->n_words, 0, (size_t)k * sizeof *g->bits);
    g->n_words += k;
    return g->n_words - k;
}

/* Turns the winning candidate of feature f into node's split and marks go_left for the node's rows.
 * False when out of memory. */
static bool set_split(grower *g, int64_t f, const cand *c, int32_t b, int32_t e, plumb__cart_node *node) {
    const int32_t n = e - b;
    const bool larger_left = c->n_left > n - c->n_left;
    node->feature = (int32_t)f;
    node->missing_left = c->missing_left;
    node->unseen_left = larger_left;
    node->bits = -1;
    node->threshold = NAN;
    if (!g->codes[f]) {
        const float *x = g->x[f];
        node->threshold = c->threshold;
        for (int32_t i = b; i < e; i++) {
            const int32_t r = g->rows[i];
            g->go_left[r] = isnan(x[r]) ? c->missing_left : (double)x[r] <= c->threshold;
        }
        return true;
    }
    const int32_t C = g->n_cats[f];
    const int64_t at = add_words(g, (C + 63) / 64);
    if (at < 0)
        return false;
    node->bits = at;
    uint64_t *bits = g->bits + at;
    stats miss;
    int32_t n_miss;
    order_categories(g, 0, f, b, e, &miss, &n_miss);
    const int32_t *cc = g->cat_count;
    const cat_entry *order = g->cat_order;
    for (int32_t code = 0; code < C; code++)
        if (cc[code] == 0 && larger_left) /* absent here: the larger child's */
            bits[code / 64] |= (uint64_t)1 << (code % 64);
    for (int32_t j = 0; j < c->pos; j++)
        bits[order[j].code / 64] |= (uint64_t)1 << (order[j].code % 64);
    const int32_t *codes = g->codes[f];
    for (int32_t i = b; i < e; i++) {
        const int32_t r = g->rows[i], code = codes[r];
        g->go_left[r] = code < 0 || code >= C ? c->missing_left : (bits[code / 64] >> (code % 64)) & 1;
    }
    return true;
}

typedef struct record {
    int32_t b, e, depth, parent;
    bool is_left;
    double impurity; /* NAN for the root: computed from its sums */
} record;

/* Grows the whole tree (no pruning) into g->nodes. False when out of memory. */
static bool grow(grower *g) {
    const plumb_tree_params *p = g->p;
    int32_t cap = 64, top = 0;
    record *stack = malloc((size_t)cap * sizeof *stack);
    if (!stack)
        return false;
    stack[top++] = (record){.b = 0, .e = g->n, .depth = 0, .parent = -1, .impurity = NAN};
    bool ok = true;
    while (ok && top > 0) {
        const record rec = stack[--top];
        if (!(ok = add_node(g)))
            break;
        const int32_t id = g->n_nodes - 1, n = rec.e - rec.b;
        if (rec.parent >= 0) {
            if (rec.is_left)
                g->nodes[rec.parent].left = id;
            else
                g->nodes[rec.parent].right = id;
        }
        g->depth = rec.depth > g->depth ? rec.depth : g->depth;
        stats t = {0, 0, 0};
        for (int32_t i = rec.b; i < rec.e; i++)
            add_row(&t, g, g->rows[i]);
        const double imp = isnan(rec.impurity) ? impurity(g->crit, &t) : rec.impurity;
        plumb__cart_node *node = &g->nodes[id];
        *node = (plumb__cart_node){.left = -1,
                                   .right = -1,
                                   .feature = -1,
                                   .threshold = NAN,
                                   .bits = -1,
                                   .value = g->classify ? t.b / t.w : t.a / t.w,
                                   .impurity = imp,
                                   .weighted_n = t.w,
                                   .n_rows = n};
        bool leaf = (p->max_depth >= 0 && rec.depth >= p->max_depth) || n < p->min_samples_split ||
                    n < 2 * p->min_samples_leaf || imp <= DBL_EPSILON;
        if (leaf)
            continue;
        const bool par = n >= PAR_ROWS && g->nt > 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(g->nt) if (par)
        for (int64_t f = 0; f < g->F; f++)
            search_feature(g, thread_id(), f, rec.b, rec.e, &t);
        int64_t bf = -1;
        for (int64_t f = 0; f < g->F; f++)
            if (g->cands[f].proxy > (bf < 0 ? -INFINITY : g->cands[bf].proxy))
                bf = f;
        if (bf < 0)
            continue;
        const cand c = g->cands[bf];
        const stats r = minus(&t, &c.left);
        const double imp_l = impurity(g->crit, &c.left), imp_r = impurity(g->crit, &r);
        const double improvement =
            (t.w / g->total_w) * (imp - r.w / t.w * imp_r - c.left.w / t.w * imp_l); /* sklearn's formula */
        if (improvement + DBL_EPSILON < p->min_impurity_decrease)
            continue;
        if (!(ok = set_split(g, bf, &c, rec.b, rec.e, node)))
            break;
            /* node stays valid: nothing reallocates the nodes until the next add_node */
#pragma omp parallel for schedule(dynamic, 1) num_threads(g->nt) if (par)
        for (int64_t f = -1; f < g->F; f++) {
            int32_t *tmp = g->tmp + (size_t)thread_id() * (size_t)g->n;
            float *tmpv = g->tmpv + (size_t)thread_id() * (size_t)g->n;
            if (f < 0)
                partition(g->rows + rec.b, NULL, n, g->go_left, tmp, tmpv);
            else if (g->ord[f])
                partition(g->ord[f] + rec.b, g->sorted[f] + rec.b, n, g->go_left, tmp, tmpv);
        }
        if (top + 2 > cap) {
            record *ns = realloc(stack, (size_t)(cap *= 2) * sizeof *ns);
            if (!(ok = ns != NULL))
                break;
            stack = ns;
        }
        const int32_t mid = rec.b + c.n_left;
        stack[top++] = (record){mid, rec.e, rec.depth + 1, id, false, imp_r};
        stack[top++] = (record){rec.b, mid, rec.depth + 1, id, true, imp_l};
    }
    free(stack);
    return ok;
}

/* Rows 0..n-1 ordered by x ascending, missing last, into out: a stable LSD radix sort (three 11-bit digits) on
 * order-preserving integer keys. Scratch: keys and k2 (n each), i2 (n). */
static void sort_rows(const float *x, int32_t n, int32_t *out, uint32_t *keys, uint32_t *k2, int32_t *i2) {
    for (int32_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        keys[i] = x[i] != x[i] ? 0xFFFFFFFFu : u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
        out[i] = i;
    }
    uint32_t *ka = keys, *kb = k2;
    int32_t *ia = out, *ib = i2;
    for (int shift = 0; shift < 33; shift += 11) {
        int32_t count[2049] = {0};
        for (int32_t i = 0; i < n; i++)
            count[((ka[i] >> shift) & 0x7FF) + 1]++;
        for (int k = 0; k < 2048; k++)
            count[k + 1] += count[k];
        for (int32_t i = 0; i < n; i++) {
            const int32_t to = count[(ka[i] >> shift) & 0x7FF]++;
            kb[to] = ka[i];
            ib[to] = ia[i];
        }
        uint32_t *tk = ka;
        ka = kb;
        kb = tk;
        int32_t *ti = ia;
        ia = ib;
        ib = ti;
    }
    if (ia != out) /* three passes: the result is in i2 */
        memcpy(out, ia, (size_t)n * sizeof *out);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Minimal cost-complexity pruning                                                                             */
/* ---------------------------------------------------------------------------------------------------------- */

/* Breiman et al.'s weakest-link pruning as scikit-learn's _cost_complexity_prune computes it: with
 * R(t) = w_t/w_root * impurity(t) and R(T_t) the sum of R over the leaves of the branch at t, the branch whose
 * effective alpha (R(t) - R(T_t)) / (|leaves(T_t)| - 1) is smallest (the first in preorder on ties) becomes a leaf,
 * again and again, while that alpha is at most alpha_max (and the root is not a leaf). leaf (OUT, n entries) marks
 * the nodes that end as leaves of the pruned tree (their descendants are gone); with path set, every effective
 * alpha and the total leaf R after it are appended to path (OUT, n + 1 pairs: 0 and the whole tree's R first).
 * False when out of memory. */
static bool cost_complexity(const plumb__cart_node *nodes, int32_t n, double alpha_max, uint8_t *leaf, double *path,
                            int64_t *n_path) {
    int32_t *parent = malloc((size_t)n * sizeof *parent), *n_leaves = calloc((size_t)n, sizeof *n_leaves);
    double *r_node = malloc((size_t)n * sizeof *r_node), *r_branch = calloc((size_t)n, sizeof *r_branch);
    uint8_t *candidate = malloc((size_t)n), *in_tree = malloc((size_t)n);
    int32_t *stack = malloc((size_t)n * sizeof *stack);
    bool ok = parent && n_leaves && r_node && r_branch && candidate && in_tree && stack;
    if (!ok)
        goto done;
    const double total = nodes[0].weighted_n;
    parent[0] = -1;
    for (int32_t i = 0; i < n; i++) {
        r_node[i] = nodes[i].weighted_n * nodes[i].impurity / total;
        leaf[i] = nodes[i].left < 0;
        candidate[i] = !leaf[i];
        in_tree[i] = 1;
        if (!leaf[i])
            parent[nodes[i].left] = parent[nodes[i].right] = i;
    }
    for (int32_t i = 0; i < n; i++) {
        if (!leaf[i])
            continue;
        r_branch[i] = r_node[i];
        for (int32_t j = i; j != 0; j = parent[j]) {
            r_branch[parent[j]] += r_node[i];
            n_leaves[parent[j]]++;
        }
    }
    int64_t k = 0;
    if (path) {
        path[2 * k] = 0;
        path[2 * k + 1] = r_branch[0];
        k++;
    }
    while (candidate[0]) {
        double alpha = DBL_MAX;
        int32_t at = -1;
        for (int32_t i = 0; i < n; i++) {
            if (!candidate[i])
                continue;
            const double a = (r_node[i] - r_branch[i]) / (n_leaves[i] - 1);
            if (a < alpha) {
                alpha = a;
                at = i;
            }
        }
        if (at < 0 || alpha_max < alpha)
            break;
        int32_t top = 0;
        stack[top++] = at;
        while (top > 0) {
            const int32_t i = stack[--top];
            if (!in_tree[i])
                continue;
            candidate[i] = leaf[i] = in_tree[i] = 0;
            if (nodes[i].left >= 0) {
                stack[top++] = nodes[i].left;
                stack[top++] = nodes[i].right;
            }
        }
        leaf[at] = in_tree[at] = 1;
        const int32_t pruned = n_leaves[at] - 1;
        n_leaves[at] = 0;
        const double diff = r_node[at] - r_branch[at];
        r_branch[at] = r_node[at];
        for (int32_t j = parent[at]; j != -1; j = parent[j]) {
            n_leaves[j] -= pruned;
            r_branch[j] += diff;
        }
        if (path) {
            path[2 * k] = alpha;
            path[2 * k + 1] = r_branch[0];
            k++;
        }
    }
    if (n_path)
        *n_path = k;
    /* nodes below a pruned branch are not leaves of the pruned tree */
    for (int32_t i = 0; i < n; i++)
        leaf[i] = leaf[i] && in_tree[i];
done:
    free(parent);
    free(n_leaves);
    free(r_node);
    free(r_branch);
    free(candidate);
    free(in_tree);
    free(stack);
    return ok;
}

/* Keeps the subtree whose leaves leaf[] marks, renumbered in preorder, with its categorical sets compacted.
 * False when out of memory (the tree is unchanged). */
static bool keep_subtree(struct plumb__cart *c, const uint8_t *leaf) {
    const int32_t n = c->n_nodes;
    plumb__cart_node *nodes = malloc((size_t)n * sizeof *nodes);
    uint64_t *bits = malloc((size_t)(c->n_words + 1) * sizeof *bits);
    int32_t *stack = malloc((size_t)(n + 1) * sizeof *stack), *depth = malloc((size_t)(n + 1) * sizeof *depth);
    int32_t *parent = malloc((size_t)(n + 1) * sizeof *parent);
    uint8_t *is_left = malloc((size_t)n + 1);
    bool ok = nodes && bits && stack && depth && parent && is_left;
    if (ok) {
        int32_t top = 0, k = 0, max_depth = 0, n_leaves = 0;
        int64_t w = 0;
        stack[top] = 0;
        depth[top] = 0;
        parent[top] = -1;
        is_left[top++] = 0;
        while (top > 0) {
            top--;
            const int32_t o = stack[top], d = depth[top], par = parent[top];
            const bool left = is_left[top];
            plumb__cart_node nd = c->nodes[o];
            if (par >= 0) {
                if (left)
                    nodes[par].left = k;
                else
                    nodes[par].right = k;
            }
            max_depth = d > max_depth ? d : max_depth;
            if (leaf[o]) {
                nd.left = nd.right = nd.feature = -1;
                nd.threshold = NAN;
                nd.bits = -1;
                nd.missing_left = nd.unseen_left = 0;
                n_leaves++;
            } else {
                if (nd.bits >= 0) {
                    const int64_t words = (c->features[nd.feature].n_categories + 63) / 64;
                    memcpy(bits + w, c->bits + nd.bits, (size_t)words * sizeof *bits);
                    nd.bits = w;
                    w += words;
                }
                stack[top] = nd.right, depth[top] = d + 1, parent[top] = k, is_left[top++] = 0;
                stack[top] = nd.left, depth[top] = d + 1, parent[top] = k, is_left[top++] = 1;
            }
            nodes[k++] = nd;
        }
        free(c->nodes);
        free(c->bits);
        c->nodes = nodes;
        c->bits = bits;
        c->n_words = w;
        c->n_nodes = k;
        c->n_leaves = n_leaves;
        c->depth = max_depth;
        nodes = NULL;
        bits = NULL;
    }
    free(nodes);
    free(bits);
    free(stack);
    free(depth);
    free(parent);
    free(is_left);
    return ok;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Scoring                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

typedef plumb__source source;

/* Whether feature value v (model.h: a number, or the model's category code) goes left at node nd. */
static bool goes_left(const struct plumb__cart *c, const plumb__cart_node *nd, float v) {
    if (c->features[nd->feature].type != PLUMB_TYPE_CATEGORICAL)
        return v != v ? nd->missing_left : (double)v <= nd->threshold;
    const int32_t code = (int32_t)v;
    if (code == PLUMB_CODE_MISSING)
        return nd->missing_left;
    if (code < 0 || code >= c->features[nd->feature].n_categories)
        return nd->unseen_left;
    return (c->bits[nd->bits + code / 64] >> (code % 64)) & 1;
}

static int32_t leaf_of(const struct plumb__cart *c, const source *src, int64_t i) {
    int32_t k = 0;
    while (c->nodes[k].left >= 0) {
        const plumb__cart_node *nd = &c->nodes[k];
        k = goes_left(c, nd, plumb__source_value(&src[nd->feature], i)) ? nd->left : nd->right;
    }
    return k;
}

/* The leaf a row of feature values reaches. */
static int32_t leaf_of_values(const struct plumb__cart *c, const float *x) {
    int32_t k = 0;
    while (c->nodes[k].left >= 0) {
        const plumb__cart_node *nd = &c->nodes[k];
        k = goes_left(c, nd, x[nd->feature]) ? nd->left : nd->right;
    }
    return k;
}

/* A tree's leaves hold its predictions (the positive class's share, or the mean): there is no link. */
static void score_block(const plumb_model *m, const float *x, int64_t nr, void *scratch, double *out) {
    (void)scratch;
    const struct plumb__cart *c = plumb__cart_of(m);
    for (int64_t i = 0; i < nr; i++)
        out[i] = c->nodes[leaf_of_values(c, x + i * c->n_features)].value;
}

static void describe(const plumb_model *m, plumb_model_info *info) {
    info->n_trees = 1;
    info->n_iterations = 1;
    info->best_iteration = 1;
    info->metric = m->task == PLUMB_TASK_BINARY ? "accuracy" : "l2";
    info->train_metric = plumb__cart_of(m)->train_metric;
}

static const char *positive_class(const plumb_model *m) {
    return plumb__cart_of(m)->positive_class;
}

static void free_impl(void *impl) {
    plumb__cart_free(impl);
}

const plumb__model_ops plumb__tree_ops = {
    .name = "tree",
    .kind = PLUMB_MODEL_TREE,
    .free = free_impl,
    .score_block = score_block,
    .describe = describe,
    .to_json = plumb__cart_model_json,
    .from_json = plumb__cart_model_parse,
    .positive_class = positive_class,
    .rules = plumb__cart_rules,
};

/* ---------------------------------------------------------------------------------------------------------- */
/* Training                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

bool plumb__cart_set_features(plumb_model *m) {
    const struct plumb__cart *c = plumb__cart_of(m);
    int64_t *cols = malloc((size_t)(c->n_features + 1) * sizeof *cols);
    for (int64_t f = 0; cols && f < c->n_features; f++)
        cols[f] = c->features[f].column;
    const bool ok = cols && plumb__model_set_features(m, c->n_features, cols);
    free(cols);
    return ok;
}

void plumb__cart_free(struct plumb__cart *c) {
    if (!c)
        return;
    free(c->target);
    free(c->positive_class);
    free(c->features);
    free(c->nodes);
    free(c->bits);
    free(c);
}

/* The training metric of the (pruned) tree on its training rows: accuracy at 0.5 for binary (a tie predicts the
 * negative class, as scikit-learn's argmax over [negative, positive]), mean squared error for regression; both
 * weighted by the weight column. */
static double train_metric(const struct plumb__cart *c, const source *src, int64_t n, const double *y,
                           const uint8_t *cls, const double *sw, bool classify) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        const double v = c->nodes[leaf_of(c, src, i)].value;
        if (classify)
            num += sw[i] * ((v > 0.5) == (cls[i] == 1));
        else
            num += sw[i] * (v - y[i]) * (v - y[i]);
        den += sw[i];
    }
    return num / den;
}

static void grower_free(grower *g) {
    for (int64_t f = 0; g->ord && f < g->F; f++)
        free(g->ord[f]);
    free(g->ord);
    for (int64_t f = 0; g->sorted && f < g->F; f++)
        free(g->sorted[f]);
    free(g->sorted);
    free(g->terms);
    free(g->tmpv);
    for (int64_t f = 0; g->xcopy && f < g->F; f++)
        free(g->xcopy[f]);
    free(g->xcopy);
    free(g->x);
    free(g->codes);
    free((void *)g->n_cats);
    free(g->rows);
    free(g->go_left);
    free(g->tmp);
    free(g->cat_stats);
    free(g->cat_count);
    free(g->cat_order);
    free(g->cands);
    free(g->nodes);
    free(g->bits);
}

/* Grows the unpruned tree on train into a new model (*out); sw (OUT, malloc'd) receives the weight column's
 * values and y/cls the target, for the training metric. */
static plumb_status fit(const plumb_frame *train, const plumb_tree_params *params, plumb_model **out, double **y_out,
                        uint8_t **cls_out, double **sw_out, plumb_error *err) {
    plumb_status st;
    grower g = {0};
    plumb_model *m = NULL;
    double *y = NULL, *w = NULL, *sw = NULL;
    uint8_t *cls = NULL;
    *out = NULL;
    plumb__error_clear(err);
    if ((st = check_params(params, err)) != PLUMB_OK)
        return st;
    const int64_t target = plumb__find_role(train, PLUMB_ROLE_TARGET), n = plumb_frame_n_rows(train);
    if (target < 0)
        return plumb__fail(err, PLUMB_EINVAL, "no target column: name one with --target or a schema role");
    if (n < 1)
        return plumb__fail(err, PLUMB_EINVAL, "no training rows");
    if (n >= INT32_MAX)
        return plumb__fail(err, PLUMB_EINVAL, "more than %d training rows", INT32_MAX - 1);
    struct plumb__cart *c = NULL;
    if (!(m = plumb__model_new(&plumb__tree_ops)) ||
        !(m->schema = plumb__schema_copy(plumb_frame_schema(train), false)) || !(c = m->impl = calloc(1, sizeof *c)))
        goto nomem;
    m->n_outputs = 1;
    c->params = *params;
    c->params.positive_class = NULL;
    plumb_column_info tc;
    plumb_schema_column(plumb_frame_schema(train), target, &tc);
    if (!(c->target = plumb__strdup(tc.name)))
        goto nomem;
    if (!(y = calloc((size_t)n, sizeof *y)) || !(cls = calloc((size_t)n, 1)) || !(w = malloc((size_t)n * sizeof *w)) ||
        !(sw = malloc((size_t)n * sizeof *sw)))
        goto nomem;
    m->task = params->task;
    if ((st = read_target(train, target, &m->task, params->positive_class, y, cls, &c->positive_class,
                          &c->target_is_text, err)) != PLUMB_OK)
        goto done;
    const bool classify = m->task == PLUMB_TASK_BINARY;
    plumb_tree_criterion crit = params->criterion;
    if (crit == PLUMB_TREE_CRITERION_AUTO)
        crit = classify ? PLUMB_TREE_CRITERION_GINI : PLUMB_TREE_CRITERION_SQUARED_ERROR;
    if (classify != (crit != PLUMB_TREE_CRITERION_SQUARED_ERROR)) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         classify ? "criterion 'squared_error' is for regression: a binary tree uses gini or entropy"
                                  : "criterion '%s' is for a binary target: a regression tree uses squared_error",
                         criterion_names[crit]);
        goto done;
    }
    c->params.criterion = crit;
    if ((st = read_weights(train, params, m->task, cls, w, sw, err)) != PLUMB_OK)
        goto done;

    /* features: numeric, bool and categorical columns with the feature role */
    const plumb_schema *fs = plumb_frame_schema(train);
    const int64_t n_cols = plumb_schema_n_columns(fs);
    if (!(c->features = calloc((size_t)n_cols + 1, sizeof *c->features)))
        goto nomem;
    for (int64_t j = 0; j < n_cols; j++) {
        plumb_column_info ci;
        plumb_schema_column(fs, j, &ci);
        if (ci.role != PLUMB_ROLE_FEATURE)
            continue;
        if (ci.type == PLUMB_TYPE_NUMERIC || ci.type == PLUMB_TYPE_BOOL ||
            (ci.type == PLUMB_TYPE_CATEGORICAL && plumb_frame_codes(train, j))) {
            c->features[c->n_features++] = (plumb__cart_feature){
                .column = j, .type = ci.type, .n_categories = ci.n_categories > 0 ? (int32_t)ci.n_categories : 0};
        } else {
            plumb__log(PLUMB_LOG_INFO,
                       "column '%s' (%s) is not used: a tree reads numeric, bool and categorical features", ci.name,
                       plumb_type_name(ci.type));
        }
    }
    if (c->n_features == 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "no numeric, bool or categorical feature columns to train on");
        goto done;
    }
    if (!plumb__cart_set_features(m))
        goto nomem;

    const int64_t F = c->n_features;
    g.p = &c->params;
    g.crit = crit;
    g.classify = classify;
    g.nt = plumb__threads(params->n_threads);
    g.n = (int32_t)n;
    g.F = F;
    int32_t *n_cats = NULL;
    if (!(g.x = calloc((size_t)F, sizeof *g.x)) || !(g.codes = calloc((size_t)F, sizeof *g.codes)) ||
        !(g.n_cats = n_cats = calloc((size_t)F, sizeof *n_cats)) || !(g.ord = calloc((size_t)F, sizeof *g.ord)) ||
        !(g.sorted = calloc((size_t)F, sizeof *g.sorted)) || !(g.terms = malloc((size_t)n * sizeof *g.terms)) ||
        !(g.xcopy = calloc((size_t)F, sizeof *g.xcopy)))
        goto nomem;
    for (int64_t f = 0; f < F; f++) {
        plumb__cart_feature *ft = &c->features[f];
        const int64_t j = ft->column;
        if (ft->type == PLUMB_TYPE_CATEGORICAL) {
            g.codes[f] = plumb_frame_codes(train, j);
            n_cats[f] = ft->n_categories;
            g.max_cats = ft->n_categories > g.max_cats ? ft->n_categories : g.max_cats;
            for (int64_t i = 0; i < n && !ft->has_missing; i++)
                ft->has_missing = g.codes[f][i] < 0 || g.codes[f][i] >= ft->n_categories;
            continue;
        }
        if (ft->type == PLUMB_TYPE_NUMERIC) {
            g.x[f] = plumb_frame_f32(train, j);
        } else {
            float *v = g.xcopy[f] = malloc((size_t)n * sizeof *v);
            if (!v)
                goto nomem;
            const uint8_t *u = plumb_frame_u8(train, j);
            for (int64_t i = 0; i < n; i++)
                v[i] = u[i] == PLUMB_BOOL_MISSING ? NAN : (float)u[i];
            g.x[f] = v;
        }
        for (int64_t i = 0; i < n && !ft->has_missing; i++)
            ft->has_missing = isnan(g.x[f][i]);
        if (!(g.ord[f] = malloc((size_t)n * sizeof *g.ord[f])) ||
            !(g.sorted[f] = malloc((size_t)n * sizeof *g.sorted[f])))
            goto nomem;
    }
    const size_t mc = (size_t)(g.max_cats > 0 ? g.max_cats : 1) * (size_t)g.nt;
    if (!(g.rows = malloc((size_t)n * sizeof *g.rows)) || !(g.go_left = malloc((size_t)n)) ||
        !(g.tmp = malloc((size_t)n * (size_t)g.nt * sizeof *g.tmp)) ||
        !(g.tmpv = malloc((size_t)n * (size_t)g.nt * sizeof *g.tmpv)) ||
        !(g.cat_stats = malloc(mc * sizeof *g.cat_stats)) || !(g.cat_count = malloc(mc * sizeof *g.cat_count)) ||
        !(g.cat_order = malloc(mc * sizeof *g.cat_order)) || !(g.cands = malloc((size_t)F * sizeof *g.cands)))
        goto nomem;
    for (int64_t i = 0; i < n; i++) {
        g.rows[i] = (int32_t)i;
        if (classify)
            g.terms[i] = (row_terms){w[i], cls[i] ? 0 : w[i], cls[i] ? w[i] : 0};
        else
            g.terms[i] = (row_terms){w[i], w[i] * y[i], w[i] * y[i] * y[i]};
    }
    g.total_w = 0;
    for (int64_t i = 0; i < n; i++)
        g.total_w += w[i];

    /* presort: each thread sorts whole features with its own scratch */
    bool ok = true;
#pragma omp parallel num_threads(g.nt) reduction(&& : ok) if (n * F >= PAR_SORT)
    {
        uint32_t *keys = malloc(2 * (size_t)n * sizeof *keys);
        int32_t *idx = malloc((size_t)n * sizeof *idx);
        ok = keys && idx;
#pragma omp for schedule(dynamic, 1)
        for (int64_t f = 0; f < F; f++)
            if (keys && idx && g.ord[f]) {
                sort_rows(g.x[f], g.n, g.ord[f], keys, keys + n, idx);
                for (int64_t i = 0; i < n; i++)
                    g.sorted[f][i] = g.x[f][g.ord[f][i]];
            }
        free(keys);
        free(idx);
    }
    if (!ok || !grow(&g))
        goto nomem;
    c->nodes = g.nodes;
    c->n_nodes = g.n_nodes;
    c->bits = g.bits;
    c->n_words = g.n_words;
    c->depth = g.depth;
    g.nodes = NULL;
    g.bits = NULL;
    for (int32_t i = 0; i < c->n_nodes; i++)
        c->n_leaves += c->nodes[i].left < 0;
    *out = m;
    m = NULL;
    *y_out = y;
    *cls_out = cls;
    *sw_out = sw;
    y = NULL;
    cls = NULL;
    sw = NULL;
    st = PLUMB_OK;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    grower_free(&g);
    free(y);
    free(w);
    free(sw);
    free(cls);
    plumb_model_free(m);
    return st;
}

plumb_status plumb_tree_train(const plumb_frame *train, const plumb_tree_params *params, plumb_model **out,
                              plumb_error *err) {
    plumb_model *m = NULL;
    double *y = NULL, *sw = NULL;
    uint8_t *cls = NULL, *leaf = NULL;
    source *src = NULL;
    plumb_status st = fit(train, params, &m, &y, &cls, &sw, err);
    if (st != PLUMB_OK)
        return st;
    struct plumb__cart *c = plumb__cart_of(m);
    if (params->ccp_alpha > 0) {
        if (!(leaf = malloc((size_t)c->n_nodes)) ||
            !cost_complexity(c->nodes, c->n_nodes, params->ccp_alpha, leaf, NULL, NULL) || !keep_subtree(c, leaf)) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    }
    if ((st = plumb__model_bind(m, train, &src, err)) != PLUMB_OK)
        goto done;
    c->train_metric = train_metric(c, src, plumb_frame_n_rows(train), y, cls, sw, m->task == PLUMB_TASK_BINARY);
    plumb__model_stamp(m, train);
    *out = m;
    m = NULL;
done:
    plumb__sources_free(src, c->n_features);
    free(leaf);
    free(y);
    free(cls);
    free(sw);
    plumb_model_free(m);
    return st;
}

plumb_status plumb_tree_pruning_path(const plumb_frame *train, const plumb_tree_params *params, double **ccp_alphas,
                                     double **impurities, int64_t *n_out, plumb_error *err) {
    plumb_model *m = NULL;
    double *y = NULL, *sw = NULL, *path = NULL;
    uint8_t *cls = NULL, *leaf = NULL;
    *ccp_alphas = *impurities = NULL;
    *n_out = 0;
    plumb_status st = fit(train, params, &m, &y, &cls, &sw, err);
    if (st != PLUMB_OK)
        return st;
    const struct plumb__cart *c = plumb__cart_of(m);
    int64_t k = 0;
    double *a = NULL, *b = NULL;
    if (!(leaf = malloc((size_t)c->n_nodes)) || !(path = malloc(2 * ((size_t)c->n_nodes + 1) * sizeof *path)) ||
        !cost_complexity(c->nodes, c->n_nodes, INFINITY, leaf, path, &k) ||
        !(a = malloc(((size_t)k + 1) * sizeof *a)) || !(b = malloc(((size_t)k + 1) * sizeof *b))) {
        free(a);
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < k; i++) {
        a[i] = path[2 * i];
        b[i] = path[2 * i + 1];
    }
    *ccp_alphas = a;
    *impurities = b;
    *n_out = k;
done:
    free(path);
    free(leaf);
    free(y);
    free(cls);
    free(sw);
    plumb_model_free(m);
    return st;
}

plumb_status plumb_tree_describe(const plumb_model *m, plumb_tree_info *info, plumb_error *err) {
    memset(info, 0, sizeof *info);
    if (!m || m->ops != &plumb__tree_ops)
        return plumb__fail(err, PLUMB_EINVAL, "not a tree model");
    const struct plumb__cart *c = plumb__cart_of(m);
    info->n_nodes = c->n_nodes;
    info->n_leaves = c->n_leaves;
    info->depth = c->depth;
    info->criterion = criterion_names[c->params.criterion];
    info->ccp_alpha = c->params.ccp_alpha;
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Rules                                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t n, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...) PLUMB__PRINTF(2, 3);
static void put(text *t, const char *fmt, ...) {
    if (t->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)k + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->n + (size_t)k + 1 > cap)
            cap *= 2;
        char *ns = realloc(t->s, cap);
        if (!ns) {
            t->oom = true;
            return;
        }
        t->s = ns;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

/* The shortest decimal d that splits float32 values exactly as threshold t does: the largest float a <= t and the
 * next one b bound it, a <= d < b. */
static void fmt_threshold(char *buf, size_t n, double t) {
    float a = (float)t;
    if ((double)a > t)
        a = nextafterf(a, -INFINITY);
    const float b = nextafterf(a, INFINITY);
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, t);
        const double d = strtod(buf, NULL);
        if (!(d >= (double)a && d < (double)b))
            continue;
        if (strchr(buf, 'e') && fabs(d) >= 1e-4 && fabs(d) < 1e15) {
            /* the same digits without an exponent: 1750, not 1.75e+03 */
            const int e10 = (int)floor(log10(fabs(d)));
            snprintf(buf, n, "%.*f", p - 1 - e10 > 0 ? p - 1 - e10 : 0, d);
        }
        return;
    }
}

/* What the path to a leaf says about one feature. */
typedef struct cond {
    bool used;
    double lo, hi;   /* numeric: lo < x <= hi */
    bool value_ok;   /* some non-missing value takes this path */
    bool missing_ok; /* missing values take it */
    uint64_t *allowed;
} cond;

static void put_category_set(text *t, const char *name, const plumb_column_info *ci, const uint64_t *allowed, bool in) {
    int64_t k = 0;
    for (int64_t c = 0; c < ci->n_categories; c++)
        k += ((allowed[c / 64] >> (c % 64)) & 1) == in;
    put(t, k == 1 ? "%s %s " : "%s %s {", name, k == 1 ? (in ? "=" : "!=") : (in ? "in" : "not in"));
    bool first = true;
    for (int64_t c = 0; c < ci->n_categories; c++)
        if (((allowed[c / 64] >> (c % 64)) & 1) == in) {
            put(t, "%s%s", first ? "" : ", ", ci->categories[c]);
            first = false;
        }
    if (k != 1)
        put(t, "}");
}

/* Appends the condition on feature f, with " and " before it unless *first; nothing when the path only went where
 * every value goes. */
static void put_cond(text *t, const struct plumb__cart *c, const plumb_schema *s, int64_t f, const cond *cd,
                     bool *first) {
    const plumb__cart_feature *ft = &c->features[f];
    plumb_column_info ci;
    plumb_schema_column(s, ft->column, &ci);
    text u = {0};
    int64_t k = 0; /* categories that take the path */
    for (int64_t j = 0; ft->type == PLUMB_TYPE_CATEGORICAL && j < ci.n_categories; j++)
        k += (cd->allowed[j / 64] >> (j % 64)) & 1;
    if (!cd->value_ok || (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0 && cd->missing_ok)) {
        put(&u, "%s is missing", ci.name);
    } else if (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0) {
        put(&u, "%s is a category new since training", ci.name);
    } else if (ft->type == PLUMB_TYPE_CATEGORICAL) {
        if (k < ci.n_categories)
            put_category_set(&u, ci.name, &ci, cd->allowed, k <= ci.n_categories - k);
    } else if (ft->type == PLUMB_TYPE_BOOL) {
        if (cd->hi < 1 || cd->lo >= 0)
            put(&u, "%s = %s", ci.name, cd->hi < 1 ? "false" : "true");
    } else {
        char lo[40], hi[40];
        fmt_threshold(lo, sizeof lo, cd->lo);
        fmt_threshold(hi, sizeof hi, cd->hi);
        if (isfinite(cd->lo) && isfinite(cd->hi))
            put(&u, "%s < %s <= %s", lo, ci.name, hi);
        else if (isfinite(cd->hi))
            put(&u, "%s <= %s", ci.name, hi);
        else if (isfinite(cd->lo))
            put(&u, "%s > %s", ci.name, lo);
    }
    const char *sep = *first ? "" : " and ";
    if (u.oom)
        t->oom = true;
    else if (!cd->value_ok || (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0))
        put(t, "%s%s", sep, u.s);
    else if (u.n > 0 && cd->missing_ok && ft->has_missing)
        put(t, "%s(%s or missing)", sep, u.s);
    else if (u.n > 0)
        put(t, "%s%s", sep, u.s);
    else if (!cd->missing_ok)
        put(t, "%s%s is not missing", sep, ci.name);
    else
        sep = NULL; /* nothing to say */
    *first = *first && !sep;
    free(u.s);
}

plumb_status plumb__cart_rules(const plumb_model *m, char **out, plumb_error *err) {
    const struct plumb__cart *c = plumb__cart_of(m);
    const int32_t n = c->n_nodes;
    const int64_t F = c->n_features;
    int32_t *parent = malloc((size_t)n * sizeof *parent), *path = malloc((size_t)n * sizeof *path);
    int64_t *touched = malloc((size_t)(F + 1) * sizeof *touched);
    cond *conds = calloc((size_t)F + 1, sizeof *conds);
    text t = {0};
    bool ok = parent && path && touched && conds;
    for (int64_t f = 0; ok && f < F; f++)
        if (c->features[f].type == PLUMB_TYPE_CATEGORICAL &&
            !(conds[f].allowed = malloc(((size_t)c->features[f].n_categories + 64) / 64 * sizeof(uint64_t))))
            ok = false;
    if (!ok) {
        t.oom = true;
        goto done;
    }
    parent[0] = -1;
    for (int32_t i = 0; i < n; i++)
        if (c->nodes[i].left >= 0)
            parent[c->nodes[i].left] = parent[c->nodes[i].right] = i;
    plumb_column_info tc;
    plumb_schema_column(m->schema, plumb__schema_find(m->schema, c->target), &tc);
    for (int32_t leaf = 0; leaf < n; leaf++) {
        if (c->nodes[leaf].left >= 0)
            continue;
        int32_t len = 0;
        for (int32_t k = leaf; k != 0; k = parent[k])
            path[len++] = k;
        int64_t n_touched = 0;
        for (int32_t q = len - 1; q >= 0; q--) {
            const int32_t child = path[q], node = parent[child];
            const plumb__cart_node *nd = &c->nodes[node];
            const bool left = nd->left == child;
            const int64_t f = nd->feature;
            cond *cd = &conds[f];
            if (!cd->used) {
                *cd = (cond){.used = true,
                             .lo = -INFINITY,
                             .hi = INFINITY,
                             .value_ok = true,
                             .missing_ok = true,
                             .allowed = cd->allowed};
                if (cd->allowed)
                    memset(cd->allowed, 0xFF, ((size_t)c->features[f].n_categories + 64) / 64 * sizeof(uint64_t));
                touched[n_touched++] = f;
            }
            cd->missing_ok &= left ? nd->missing_left : !nd->missing_left;
            if (nd->bits >= 0) {
                const int64_t words = (c->features[f].n_categories + 63) / 64;
                for (int64_t w = 0; w < words; w++)
                    cd->allowed[w] &= left ? c->bits[nd->bits + w] : ~c->bits[nd->bits + w];
            } else if (isinf(nd->threshold)) {
                cd->value_ok &= left; /* the split of missing values from all others */
            } else if (left) {
                cd->hi = fmin(cd->hi, nd->threshold);
            } else {
                cd->lo = fmax(cd->lo, nd->threshold);
            }
        }
        put(&t, "if ");
        bool first = true;
        for (int64_t k = 0; k < n_touched; k++) {
            put_cond(&t, c, m->schema, touched[k], &conds[touched[k]], &first);
            conds[touched[k]].used = false;
        }
        if (first)
            put(&t, "true");
        const plumb__cart_node *nd = &c->nodes[leaf];
        if (m->task == PLUMB_TASK_BINARY && c->target_is_text)
            put(&t, " then P(%s) = %.3g", c->positive_class, nd->value);
        else if (m->task == PLUMB_TASK_BINARY)
            put(&t, " then P(%s = %s) = %.3g", c->target, c->positive_class, nd->value);
        else
            put(&t, " then %s = %.6g", c->target, nd->value);
        put(&t, " (%lld row%s)\n", (long long)nd->n_rows, nd->n_rows == 1 ? "" : "s");
    }
done:
    free(parent);
    free(path);
    free(touched);
    for (int64_t f = 0; conds && f < F; f++)
        free(conds[f].allowed);
    free(conds);
    if (t.oom) {
        free(t.s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    *out = t.s;
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Model file                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

static json_t *real_or_null(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *plumb__cart_model_json(const plumb_model *m) {
    const struct plumb__cart *c = plumb__cart_of(m);
    const plumb_tree_params *p = &c->params;
    json_t *features = json_array(), *cats = json_array();
    json_t *feature = json_array(), *threshold = json_array(), *missing_left = json_array(),
           *unseen_left = json_array(), *left = json_array(), *right = json_array(), *value = json_array(),
           *imp = json_array(), *wn = json_array(), *rows = json_array();
    bool ok = features && cats && feature && threshold && missing_left && unseen_left && left && right && value &&
              imp && wn && rows;
    for (int64_t f = 0; ok && f < c->n_features; f++)
        ok = !json_array_append_new(
            features, json_pack("{s:s, s:s, s:b}", "name", m->schema->cols[c->features[f].column].name, "type",
                                plumb_type_name(c->features[f].type), "has_missing", c->features[f].has_missing));
    for (int32_t i = 0; ok && i < c->n_nodes; i++) {
        const plumb__cart_node *nd = &c->nodes[i];
        json_t *set = json_array();
        if (set && nd->bits >= 0)
            for (int32_t k = 0; k < c->features[nd->feature].n_categories; k++)
                if ((c->bits[nd->bits + k / 64] >> (k % 64)) & 1)
                    json_array_append_new(set, json_integer(k));
        ok = set && !json_array_append_new(cats, nd->bits >= 0 ? set : json_null()) &&
             !json_array_append_new(feature, json_integer(nd->feature)) &&
             !json_array_append_new(threshold,
                                    nd->bits < 0 && nd->feature >= 0 ? real_or_null(nd->threshold) : json_null()) &&
             !json_array_append_new(missing_left, json_integer(nd->missing_left)) &&
             !json_array_append_new(unseen_left, json_integer(nd->unseen_left)) &&
             !json_array_append_new(left, json_integer(nd->left)) &&
             !json_array_append_new(right, json_integer(nd->right)) &&
             !json_array_append_new(value, json_real(nd->value)) &&
             !json_array_append_new(imp, real_or_null(nd->impurity)) &&
             !json_array_append_new(wn, json_real(nd->weighted_n)) &&
             !json_array_append_new(rows, json_integer((json_int_t)nd->n_rows));
        if (nd->bits < 0)
            json_decref(set);
    }
    if (!ok) {
        json_decref(features);
        json_decref(cats);
        json_decref(feature);
        json_decref(threshold);
        json_decref(missing_left);
        json_decref(unseen_left);
        json_decref(left);
        json_decref(right);
        json_decref(value);
        json_decref(imp);
        json_decref(wn);
        json_decref(rows);
        return NULL;
    }
    json_t *nodes =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "feature", feature, "threshold", threshold,
                  "categories_left", cats, "missing_left", missing_left, "unseen_left", unseen_left, "left", left,
                  "right", right, "value", value, "impurity", imp, "weighted_n", wn, "n_rows", rows);
    json_t *params = json_pack(
        "{s:s, s:i, s:I, s:I, s:f, s:f, s:b, s:[f, f]}", "criterion", criterion_names[p->criterion], "max_depth",
        p->max_depth, "min_samples_split", (json_int_t)p->min_samples_split, "min_samples_leaf",
        (json_int_t)p->min_samples_leaf, "min_impurity_decrease", p->min_impurity_decrease, "ccp_alpha", p->ccp_alpha,
        "class_weight_balanced", p->class_weight_balanced != 0, "class_weight", p->class_weight[0], p->class_weight[1]);
    json_t *metrics = json_pack("{s:s, s:o}", "name", m->task == PLUMB_TASK_BINARY ? "accuracy" : "l2", "train",
                                real_or_null(c->train_metric));
    json_t *root = plumb__model_json_begin(m);
    if (root && plumb__json_add(root, "schema", plumb__schema_to_json(m->schema)) &&
        plumb__json_add(root, "target", json_string(c->target)) &&
        plumb__json_add(root, "positive_class", c->positive_class ? json_string(c->positive_class) : json_null()) &&
        plumb__json_add(root, "target_is_text", json_boolean(c->target_is_text)) &&
        plumb__json_add(root, "features", features) && plumb__json_add(root, "nodes", nodes) &&
        plumb__json_add(root, "params", params) && plumb__json_add(root, "metrics", metrics) &&
        plumb__json_add(root, "provenance", plumb__provenance_json(m)))
        return root;
    json_decref(root);
    return NULL;
}

/* Element i of array key of obj: an integer in [lo, hi] into *v. */
static bool get_int(plumb__loader *rd, const json_t *obj, const char *key, int32_t i, int64_t lo, int64_t hi,
                    int64_t *v) {
    const json_t *x = json_array_get(json_object_get(obj, key), (size_t)i);
    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
        return plumb__loader_bad(rd, key);
    *v = json_integer_value(x);
    return true;
}

/* Element i of array key: a number (null: +inf when null_ok). */
static bool get_real(plumb__loader *rd, const json_t *obj, const char *key, int32_t i, bool null_ok, double *v) {
    const json_t *x = json_array_get(json_object_get(obj, key), (size_t)i);
    if (json_is_null(x) && null_ok) {
        *v = INFINITY;
        return true;
    }
    if (!json_is_number(x))
        return plumb__loader_bad(rd, key);
    *v = json_number_value(x);
    return true;
}

static bool read_nodes(plumb__loader *rd, struct plumb__cart *c, const json_t *nodes) {
    static const char *const keys[] = {"feature", "threshold", "categories_left", "missing_left", "unseen_left", "left",
                                       "right",   "value",     "impurity",        "weighted_n",   "n_rows"};
    const json_t *fa = json_object_get(nodes, "feature");
    if (!json_is_array(fa) || json_array_size(fa) < 1 || json_array_size(fa) > (size_t)INT32_MAX / 2)
        return plumb__loader_bad(rd, "nodes");
    const int32_t n = (int32_t)json_array_size(fa);
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const json_t *a = json_object_get(nodes, keys[k]);
        if (!json_is_array(a) || json_array_size(a) != (size_t)n)
            return plumb__loader_bad(rd, keys[k]);
    }
    int64_t words = 0;
    for (int32_t i = 0; i < n; i++) {
        const json_t *set = json_array_get(json_object_get(nodes, "categories_left"), (size_t)i);
        const json_t *f = json_array_get(fa, (size_t)i);
        if (json_is_array(set) && json_is_integer(f) && json_integer_value(f) >= 0 &&
            json_integer_value(f) < c->n_features)
            words += (c->features[json_integer_value(f)].n_categories + 63) / 64;
    }
    if (!(c->nodes = calloc((size_t)n, sizeof *c->nodes)) || !(c->bits = calloc((size_t)words + 1, sizeof *c->bits)))
        return plumb__loader_bad(rd, "out of memory");
    c->n_nodes = n;
    uint8_t *has_parent = calloc((size_t)n, 1);
    int32_t *depth = calloc((size_t)n, sizeof *depth);
    if (!has_parent || !depth) {
        free(has_parent);
        free(depth);
        return plumb__loader_bad(rd, "out of memory");
    }
    bool ok = true;
    for (int32_t i = 0; ok && i < n; i++) {
        plumb__cart_node *nd = &c->nodes[i];
        int64_t f, ml, ul, l, r, rows;
        double value, imp, wn;
        ok = get_int(rd, nodes, "feature", i, -1, c->n_features - 1, &f) &&
             get_int(rd, nodes, "missing_left", i, 0, 1, &ml) && get_int(rd, nodes, "unseen_left", i, 0, 1, &ul) &&
             get_int(rd, nodes, "left", i, -1, n - 1, &l) && get_int(rd, nodes, "right", i, -1, n - 1, &r) &&
             get_int(rd, nodes, "n_rows", i, 0, INT64_MAX, &rows) && get_real(rd, nodes, "value", i, false, &value) &&
             get_real(rd, nodes, "impurity", i, true, &imp) && get_real(rd, nodes, "weighted_n", i, false, &wn);
        if (!ok)
            break;
        *nd = (plumb__cart_node){.left = (int32_t)l,
                                 .right = (int32_t)r,
                                 .feature = (int32_t)f,
                                 .missing_left = (uint8_t)ml,
                                 .unseen_left = (uint8_t)ul,
                                 .threshold = NAN,
                                 .bits = -1,
                                 .value = value,
                                 .impurity = imp,
                                 .weighted_n = wn,
                                 .n_rows = rows};
        /* a leaf has neither children nor feature; a split has both children after it (preorder), each with
         * one parent: then every walk ends, at a leaf */
        if ((f < 0) != (l < 0) || (l < 0) != (r < 0) || (l >= 0 && (l <= i || r <= i || l == r)) ||
            (l >= 0 && (has_parent[l]++ || has_parent[r]++))) {
            ok = plumb__loader_bad(rd, "a tree is not well formed");
            break;
        }
        if (l >= 0) {
            depth[l] = depth[r] = depth[i] + 1;
            c->depth = depth[l] > c->depth ? depth[l] : c->depth;
        } else {
            c->n_leaves++;
        }
        if (f < 0)
            continue;
        const json_t *set = json_array_get(json_object_get(nodes, "categories_left"), (size_t)i);
        if (c->features[f].type != PLUMB_TYPE_CATEGORICAL) {
            if (!(ok = get_real(rd, nodes, "threshold", i, true, &nd->threshold)))
                break;
            if (json_is_array(set)) {
                ok = plumb__loader_bad(rd, "a split does not fit its feature");
                break;
            }
            continue;
        }
        const int32_t C = c->features[f].n_categories;
        if (!json_is_array(set)) {
            ok = plumb__loader_bad(rd, "a split does not fit its feature");
            break;
        }
        nd->bits = c->n_words;
        c->n_words += (C + 63) / 64;
        for (size_t k = 0; ok && k < json_array_size(set); k++) {
            const json_t *v = json_array_get(set, k);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= C)
                ok = plumb__loader_bad(rd, "categories_left");
            else
                c->bits[nd->bits + json_integer_value(v) / 64] |= (uint64_t)1 << (json_integer_value(v) % 64);
        }
    }
    for (int32_t i = 1; ok && i < n; i++)
        if (!has_parent[i])
            ok = plumb__loader_bad(rd, "a tree is not well formed");
    free(has_parent);
    free(depth);
    return ok;
}

plumb_status plumb__cart_model_parse(plumb__loader *ld, const json_t *root, plumb_model *m) {
    plumb__loader rd = *ld;
    const char *name = ld->name;
    plumb_error *err = ld->err;
    struct plumb__cart *c = calloc(1, sizeof *c);
    if (!(m->impl = c))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_tree_params_init(&c->params);
    const char *task = json_string_value(json_object_get(root, "task"));
    const char *target = json_string_value(json_object_get(root, "target"));
    const json_t *pos = json_object_get(root, "positive_class");
    if (!task || (strcmp(task, "binary") != 0 && strcmp(task, "regression") != 0) || !target) {
        plumb__loader_bad(&rd, "task or target");
        goto done;
    }
    m->task = strcmp(task, "binary") == 0 ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    if ((m->task == PLUMB_TASK_BINARY) != json_is_string(pos)) {
        plumb__loader_bad(&rd, "positive_class");
        goto done;
    }
    if (!(c->target = plumb__strdup(target)) ||
        (json_is_string(pos) && !(c->positive_class = plumb__strdup(json_string_value(pos))))) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    c->target_is_text = json_is_true(json_object_get(root, "target_is_text"));
    if ((rd.st = plumb__schema_from_json(json_object_get(root, "schema"), name, &m->schema, err)) != PLUMB_OK)
        goto done;
    if (plumb__schema_find(m->schema, c->target) < 0) {
        plumb__loader_bad(&rd, "target not in the schema");
        goto done;
    }
    const json_t *features = json_object_get(root, "features");
    if (!json_is_array(features) || json_array_size(features) < 1 || json_array_size(features) > 1000000) {
        plumb__loader_bad(&rd, "features");
        goto done;
    }
    c->n_features = (int64_t)json_array_size(features);
    if (!(c->features = calloc((size_t)c->n_features, sizeof *c->features))) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    for (int64_t f = 0; f < c->n_features; f++) {
        const json_t *fo = json_array_get(features, (size_t)f);
        const char *fname = json_string_value(json_object_get(fo, "name"));
        const char *type = json_string_value(json_object_get(fo, "type"));
        const int64_t col = fname ? plumb__schema_find(m->schema, fname) : -1;
        plumb_column_info ci;
        if (col >= 0)
            plumb_schema_column(m->schema, col, &ci);
        if (col < 0 || !type || plumb_type_parse(type) != (int)ci.type ||
            (ci.type != PLUMB_TYPE_NUMERIC && ci.type != PLUMB_TYPE_BOOL && ci.type != PLUMB_TYPE_CATEGORICAL) ||
            (ci.type == PLUMB_TYPE_CATEGORICAL && (ci.n_categories < 0 || ci.n_categories > INT32_MAX - 64))) {
            plumb__loader_bad(&rd, "bad feature");
            goto done;
        }
        c->features[f] =
            (plumb__cart_feature){.column = col,
                                  .type = ci.type,
                                  .n_categories = ci.type == PLUMB_TYPE_CATEGORICAL ? (int32_t)ci.n_categories : 0,
                                  .has_missing = json_is_true(json_object_get(fo, "has_missing"))};
    }
    if (!read_nodes(&rd, c, json_object_get(root, "nodes")))
        goto done;
    const json_t *params = json_object_get(root, "params");
    const char *crit = json_string_value(json_object_get(params, "criterion"));
    int k = 1;
    while (crit && k < 4 && strcmp(crit, criterion_names[k]) != 0)
        k++;
    if (!crit || k == 4 || (m->task == PLUMB_TASK_BINARY) == (k == PLUMB_TREE_CRITERION_SQUARED_ERROR)) {
        plumb__loader_bad(&rd, "criterion");
        goto done;
    }
    c->params.criterion = (plumb_tree_criterion)k;
    c->params.max_depth = (int32_t)json_integer_value(json_object_get(params, "max_depth"));
    c->params.min_samples_split = json_integer_value(json_object_get(params, "min_samples_split"));
    c->params.min_samples_leaf = json_integer_value(json_object_get(params, "min_samples_leaf"));
    c->params.min_impurity_decrease = json_number_value(json_object_get(params, "min_impurity_decrease"));
    c->params.ccp_alpha = json_number_value(json_object_get(params, "ccp_alpha"));
    c->params.class_weight_balanced = json_is_true(json_object_get(params, "class_weight_balanced"));
    const json_t *cw = json_object_get(params, "class_weight");
    c->params.class_weight[0] = json_is_number(json_array_get(cw, 0)) ? json_number_value(json_array_get(cw, 0)) : 1;
    c->params.class_weight[1] = json_is_number(json_array_get(cw, 1)) ? json_number_value(json_array_get(cw, 1)) : 1;
    const json_t *train = json_object_get(json_object_get(root, "metrics"), "train");
    c->train_metric = json_is_number(train) ? json_number_value(train) : NAN;
    if (!plumb__cart_set_features(m)) {
        plumb__loader_bad(&rd, "out of memory");
        goto done;
    }
    return PLUMB_OK;
done:
    ld->st = rd.st != PLUMB_OK ? rd.st : plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "corrupted model file");
    return ld->st;
}
