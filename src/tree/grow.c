/* grow.c -- training a single CART decision tree (Breiman, Friedman, Olshen & Stone 1984) grown as scikit-learn
 * grows it: the parameters, the target and weights, the split search and growth, plumb_tree_train, and the tree's
 * free, and plumb_tree_describe. Pruning is in prune.c, scoring in predict.c, the rules text in rules.c, the model file
 * in serial.c; tree.h holds the layout they share.
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

#include "tree.h"
#include "../data/target.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define FEATURE_THRESHOLD 1e-7 /* scikit-learn's: values closer than this are one value */
#define PAR_ROWS 4096          /* nodes with this many rows search their features with several threads */
#define PAR_SORT (1 << 20)     /* rows x features from which features are presorted by several threads */

const char *const plumb__cart_criterion_names[] = {"auto", "gini", "entropy", "squared_error"};

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
        (void)par; /* unused without OpenMP */
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
/* Training                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

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
plumb_status plumb__cart_fit(const plumb_frame *train, const plumb_tree_params *params, plumb_model **out,
                             double **y_out, uint8_t **cls_out, double **sw_out, plumb_error *err) {
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
                         plumb__cart_criterion_names[crit]);
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
    uint8_t *cls = NULL;
    plumb_status st = plumb__cart_fit(train, params, &m, &y, &cls, &sw, err);
    if (st != PLUMB_OK)
        return st;
    struct plumb__cart *c = plumb__cart_of(m);
    if (params->ccp_alpha > 0 && !plumb__cart_prune(c, params->ccp_alpha)) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = plumb__cart_train_metric(m, train, y, cls, sw, &c->train_metric, err)) != PLUMB_OK)
        goto done;
    plumb__model_stamp(m, train);
    *out = m;
    m = NULL;
done:
    free(y);
    free(cls);
    free(sw);
    plumb_model_free(m);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The model: free and describe                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

bool plumb__cart_set_features(plumb_model *m) {
    const struct plumb__cart *c = plumb__cart_of(m);
    return plumb__model_set_features(m, c->n_features, &c->features[0].column, sizeof *c->features);
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

plumb_status plumb_tree_describe(const plumb_model *m, plumb_tree_info *info, plumb_error *err) {
    memset(info, 0, sizeof *info);
    if (!m || m->ops != &plumb__tree_ops)
        return plumb__fail(err, PLUMB_EINVAL, "not a tree model");
    const struct plumb__cart *c = plumb__cart_of(m);
    info->n_nodes = c->n_nodes;
    info->n_leaves = c->n_leaves;
    info->depth = c->depth;
    info->criterion = plumb__cart_criterion_names[c->params.criterion];
    info->ccp_alpha = c->params.ccp_alpha;
    return PLUMB_OK;
}
