/* predict.c -- scoring with gradient-boosted trees: the kind's operations (plumb__gbdt_ops) and its block kernel.
 *
 * Rows are scored in blocks (src/model/predict.c gathers their feature values row-major), then
 * every tree walks the whole block before the next tree, so a tree's nodes stay in cache. The block is binned
 * with the model's edges (bin <= split bin is exactly x <= threshold), and its rows walk each tree together
 * through the breadth-first scoring layout (gbdt.h), one branch-free step at a time, dropping out as they reach
 * their leaves: the steps of different rows are independent, so the processor overlaps them.
 */
#include "gbdt.h"
#include "../model/loader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void plumb__gbdt_free(void *impl) {
    plumb__gbdt *m = impl;
    if (!m)
        return;
    for (int64_t i = 0; m->trees && i < m->n_trees; i++)
        plumb__gbdt_tree_free(&m->trees[i]);
    free(m->trees);
    for (int64_t f = 0; m->features && f < m->n_features; f++)
        free(m->features[f].edges);
    free(m->features);
    free(m->valid_metric);
    free(m->init_score);
    free(m->snodes);
    free(m->svalue);
    free(m->tree_start);
    free(m->scat);
    free(m->scat_bits);
    free(m);
}

bool plumb__gbdt_set_features(plumb_model *model, const plumb__gbdt *g) {
    return plumb__model_set_features(model, g->n_features, &g->features[0].column, sizeof *g->features);
}

static void describe(const plumb_model *model, plumb_model_info *info) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    info->objective = plumb_objective_name(m->objective.kind);
    info->n_trees = m->n_trees;
    info->n_iterations = m->n_iterations;
    info->best_iteration = m->best_iteration;
    info->metric = m->metric;
    info->train_metric = m->train_metric;
    info->valid_metric = m->valid_metric && m->best_iteration > 0 && m->best_iteration <= m->n_iterations
                             ? m->valid_metric[m->best_iteration - 1]
                             : NAN;
}

static int64_t valid_curve(const plumb_model *model, const double **values) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    if (!m->valid_metric || m->n_iterations <= 0)
        return 0;
    *values = m->valid_metric;
    return m->n_iterations;
}

bool plumb__gbdt_prepare(plumb__gbdt *m) {
    int64_t total = 0, cat_words = 0;
    m->has_cat = false;
    for (int64_t k = 0; k < m->n_trees; k++) {
        total += 2 * (int64_t)m->trees[k].n_leaves - 1;
        cat_words += m->trees[k].n_cat_bits;
        m->has_cat |= m->trees[k].cat_begin != NULL;
    }
    free(m->snodes);
    free(m->svalue);
    free(m->tree_start);
    free(m->scat);
    free(m->scat_bits);
    m->snodes = malloc((size_t)(total + 1) * sizeof *m->snodes);
    m->svalue = calloc((size_t)(total + 1), sizeof *m->svalue);
    m->tree_start = malloc((size_t)(m->n_trees + 1) * sizeof *m->tree_start);
    m->scat = m->has_cat ? calloc((size_t)(total + 1), sizeof *m->scat) : NULL;
    m->scat_bits = m->has_cat ? malloc((size_t)(cat_words + 1) * sizeof *m->scat_bits) : NULL;
    int32_t *queue = malloc((size_t)(2 * 131072) * sizeof *queue);
    bool ok = m->snodes && m->svalue && m->tree_start && queue && (!m->has_cat || (m->scat && m->scat_bits));
    int64_t start = 0, bits_at = 0;
    for (int64_t k = 0; ok && k < m->n_trees; k++) {
        const plumb__gbdt_tree *t = &m->trees[k];
        plumb__snode *nodes = m->snodes + start;
        double *value = m->svalue + start;
        if (t->cat_begin) {
            memcpy(m->scat_bits + bits_at, t->cat_bits, (size_t)t->n_cat_bits * sizeof *t->cat_bits);
        }
        /* breadth-first: queue[i] is the original node (>= 0) or ~leaf of slot i */
        int32_t n = 1;
        queue[0] = t->n_leaves > 1 ? 0 : ~0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t o = queue[i];
            if (o < 0) {
                nodes[i] = (plumb__snode){.child_m = (uint32_t)i, .feature = 0, .thr = m->wide ? 0xFFFF : 0xFF};
                value[i] = t->leaf_value[~o];
                continue;
            }
            if (t->cat_begin && t->cat_begin[o] >= 0) {
                /* bins beyond the bitset go right: the walk tests b < 32 * words first */
                nodes[i] = (plumb__snode){.child_m = (uint32_t)n,
                                          .feature = (uint16_t)(t->feature[o] | PLUMB__SCAT),
                                          .thr = (uint16_t)t->cat_words[o]};
                m->scat[start + i] = (uint32_t)(bits_at + t->cat_begin[o]);
            } else {
                const uint32_t m1 = !t->missing_left[o];
                nodes[i] = (plumb__snode){.child_m = (uint32_t)n | m1 << 31,
                                          .feature = (uint16_t)t->feature[o],
                                          .thr = (uint16_t)(t->bin[o] - m1)};
            }
            queue[n] = t->left[o];
            queue[n + 1] = t->right[o];
            n += 2;
        }
        m->tree_start[k] = start;
        start += n;
        bits_at += t->n_cat_bits;
    }
    free(queue);
    return ok;
}

/* Adds every tree's leaf value to acc (nr rows x K outputs; tree k adds to output k % K) for the nr binned rows of
 * xb (uint8 or uint16 codes, F per row). Every row that moved takes another step; one that stayed has reached its
 * leaf and leaves the active list. The categorical variant (CAT) also tests the bitsets of categorical splits;
 * models without them keep the one-compare step. */
#define PLUMB__WALK(name, code_t, CAT)                                                                                 \
    static void name(const plumb__gbdt *m, const void *xbv, int64_t nr, double *acc) {                                 \
        const code_t *xb = xbv;                                                                                        \
        const int64_t F = m->n_features, K = m->n_classes;                                                             \
        int32_t at[PLUMB__BLOCK], active[PLUMB__BLOCK];                                                                \
        for (int64_t k = 0; k < m->n_trees; k++) {                                                                     \
            const plumb__snode *nodes = m->snodes + m->tree_start[k];                                                  \
            const uint32_t *scat = CAT ? m->scat + m->tree_start[k] : NULL;                                            \
            const double *value = m->svalue + m->tree_start[k];                                                        \
            int64_t n_active = nr;                                                                                     \
            for (int64_t i = 0; i < nr; i++) {                                                                         \
                at[i] = 0;                                                                                             \
                active[i] = (int32_t)i;                                                                                \
            }                                                                                                          \
            while (n_active > 0) {                                                                                     \
                int64_t still = 0;                                                                                     \
                for (int64_t j = 0; j < n_active; j++) {                                                               \
                    const int32_t i = active[j], cur = at[i];                                                          \
                    const plumb__snode nd = nodes[cur];                                                                \
                    int32_t next;                                                                                      \
                    if (CAT && (nd.feature & PLUMB__SCAT)) {                                                           \
                        const code_t bin = xb[i * F + (nd.feature & ~PLUMB__SCAT)];                                    \
                        const bool left = bin < 32u * nd.thr && plumb__bit(m->scat_bits + scat[cur], (uint32_t)bin);   \
                        next = (int32_t)nd.child_m + !left;                                                            \
                    } else {                                                                                           \
                        const code_t bin = xb[i * F + nd.feature];                                                     \
                        next = (int32_t)(nd.child_m & 0x7FFFFFFFu) + ((code_t)(bin - (nd.child_m >> 31)) > nd.thr);    \
                    }                                                                                                  \
                    at[i] = next;                                                                                      \
                    active[still] = i;                                                                                 \
                    still += next != cur;                                                                              \
                }                                                                                                      \
                n_active = still;                                                                                      \
            }                                                                                                          \
            for (int64_t i = 0; i < nr; i++)                                                                           \
                acc[i * K + k % K] += value[at[i]];                                                                    \
        }                                                                                                              \
    }
PLUMB__WALK(walk8, uint8_t, false)
PLUMB__WALK(walk16, uint16_t, false)
PLUMB__WALK(walk8c, uint8_t, true)
PLUMB__WALK(walk16c, uint16_t, true)

/* The same for one row. The walk of one tree is a chain of dependent loads, each likely a cache miss on a large
 * model, so the row walks ROW_TREES trees side by side: their chains overlap in the memory system. Leaves loop on
 * themselves, so a tree that reached its leaf stays there while the others finish. Leaf values are added in tree
 * order, as the block walk adds them: the scores are the same to the bit. */
#define ROW_TREES 8
#define PLUMB__WALK1(name, code_t, CAT)                                                                                \
    static void name(const plumb__gbdt *m, const code_t *xb, double *acc) {                                            \
        const int64_t K = m->n_classes;                                                                                \
        for (int64_t k0 = 0; k0 < m->n_trees; k0 += ROW_TREES) {                                                       \
            const int g_n = (int)(m->n_trees - k0 < ROW_TREES ? m->n_trees - k0 : ROW_TREES);                          \
            int32_t cur[ROW_TREES] = {0};                                                                              \
            for (bool moved = true; moved;) {                                                                          \
                moved = false;                                                                                         \
                for (int g = 0; g < g_n; g++) {                                                                        \
                    const int64_t start = m->tree_start[k0 + g];                                                       \
                    const plumb__snode nd = m->snodes[start + cur[g]];                                                 \
                    int32_t next;                                                                                      \
                    if (CAT && (nd.feature & PLUMB__SCAT)) {                                                           \
                        const code_t bin = xb[nd.feature & ~PLUMB__SCAT];                                              \
                        const bool left =                                                                              \
                            bin < 32u * nd.thr && plumb__bit(m->scat_bits + m->scat[start + cur[g]], (uint32_t)bin);   \
                        next = (int32_t)nd.child_m + !left;                                                            \
                    } else {                                                                                           \
                        next = (int32_t)(nd.child_m & 0x7FFFFFFFu) +                                                   \
                               ((code_t)(xb[nd.feature] - (nd.child_m >> 31)) > nd.thr);                               \
                    }                                                                                                  \
                    moved |= next != cur[g];                                                                           \
                    cur[g] = next;                                                                                     \
                }                                                                                                      \
            }                                                                                                          \
            for (int g = 0; g < g_n; g++)                                                                              \
                acc[(k0 + g) % K] += m->svalue[m->tree_start[k0 + g] + cur[g]];                                        \
        }                                                                                                              \
    }
PLUMB__WALK1(walk1_8, uint8_t, false)
PLUMB__WALK1(walk1_16, uint16_t, false)
PLUMB__WALK1(walk1_8c, uint8_t, true)
PLUMB__WALK1(walk1_16c, uint16_t, true)

static size_t scratch(const plumb_model *model, int64_t nr) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    return (size_t)(nr * m->n_features) * (m->wide ? 2 : 1);
}

/* Bins the block's feature values with the model's edges (bin <= split bin is exactly x <= threshold), then walks
 * every tree; out starts at the initial scores. */
static void score_block(const plumb_model *model, const float *x, int64_t nr, void *xb, double *out) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    const int64_t F = m->n_features, K = m->n_classes;
    for (int64_t f = 0; f < F; f++) {
        const plumb__feature *ft = &m->features[f];
        for (int64_t i = 0; i < nr; i++) {
            const uint16_t code = plumb__bin_of(ft, x[i * F + f]);
            if (m->wide)
                ((uint16_t *)xb)[i * F + f] = code;
            else
                ((uint8_t *)xb)[i * F + f] = (uint8_t)code;
        }
    }
    for (int64_t i = 0; i < nr; i++)
        for (int64_t k = 0; k < K; k++)
            out[i * K + k] = m->init_score[k];
    if (nr == 1) {
        if (m->has_cat)
            m->wide ? walk1_16c(m, xb, out) : walk1_8c(m, xb, out);
        else
            m->wide ? walk1_16(m, xb, out) : walk1_8(m, xb, out);
    } else if (m->has_cat) {
        (m->wide ? walk16c : walk8c)(m, xb, nr, out);
    } else {
        (m->wide ? walk16 : walk8)(m, xb, nr, out);
    }
}

/* Raw scores to predictions: softmax, sigmoid or exp by the objective. */
static void link(const plumb_model *model, int64_t n, double *out) {
    const plumb__gbdt *m = plumb__gbdt_of(model);
    plumb__objective_link_rows(m->objective.kind, m->n_classes, n, out);
}

const plumb__model_ops plumb__gbdt_ops = {
    .name = "gbdt",
    .kind = PLUMB_MODEL_GBDT,
    .free = plumb__gbdt_free,
    .scratch = scratch,
    .score_block = score_block,
    .link = link,
    .describe = describe,
    .to_json = plumb__gbdt_to_json,
    .from_json = plumb__gbdt_from_json,
    .importance = plumb__gbdt_importance,
    .contrib = plumb__gbdt_contrib,
    .valid_curve = valid_curve,
};
