/* score.c -- scoring quantised trees: the kind's operations (plumb__gbdt_q_ops) and its block kernel.
 *
 * A block's feature values are binned once per feature with the model's edges (bin <= split bin is exactly
 * x <= threshold), then every tree is walked by the whole block before the next, as the gbdt kind does: rows step
 * through the breadth-first layout (quant.h) together, one branch-free compare of small integers each, and drop out
 * when they reach their leaf. A tree's rows then add scale * their leaf's integer to their raw scores, in tree
 * order. The walk is one of six instances (4- or 8-byte nodes, 1- or 2-byte codes, with or without categorical
 * splits), chosen once per block.
 */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Walks tree k with the nr binned rows of xb (code_t codes, n_features per row): at[i] is the slot row i reaches. */
typedef void (*walk_fn)(const plumb__quant *q, int64_t k, const void *xb, int64_t nr, int32_t *at);

#define QUANT_WALK(name, node_t, code_t, CAT, MISS, CFLAG)                                                             \
    static void name(const plumb__quant *q, int64_t k, const void *xbv, int64_t nr, int32_t *at) {                     \
        const code_t *xb = xbv;                                                                                        \
        const int64_t F = q->n_features;                                                                               \
        const node_t *nodes = (const node_t *)q->nodes + q->tree_start[k];                                             \
        const uint32_t *bits = q->cat_bits + q->bits_start[k];                                                         \
        int32_t active[PLUMB__BLOCK];                                                                                  \
        for (int64_t i = 0; i < nr; i++) {                                                                             \
            at[i] = 0;                                                                                                 \
            active[i] = (int32_t)i;                                                                                    \
        }                                                                                                              \
        for (int64_t n_active = nr; n_active > 0;) {                                                                   \
            int64_t still = 0;                                                                                         \
            for (int64_t j = 0; j < n_active; j++) {                                                                   \
                const int32_t i = active[j], cur = at[i];                                                              \
                const node_t nd = nodes[cur];                                                                          \
                int32_t next;                                                                                          \
                if (CAT && (nd.feature & CFLAG)) {                                                                     \
                    const uint32_t f = nd.feature & ~CFLAG, bin = xb[i * F + f];                                       \
                    const bool left = bin < 32u * q->cat_words[f] && plumb__bit(bits + nd.thr, bin);                   \
                    next = (int32_t)nd.child_m + !left;                                                                \
                } else {                                                                                               \
                    const code_t bin = xb[i * F + nd.feature];                                                         \
                    next = (int32_t)(nd.child_m & (MISS - 1)) + ((code_t)(bin - (nd.child_m >= MISS)) > nd.thr);       \
                }                                                                                                      \
                at[i] = next;                                                                                          \
                active[still] = i;                                                                                     \
                still += next != cur;                                                                                  \
            }                                                                                                          \
            n_active = still;                                                                                          \
        }                                                                                                              \
    }
QUANT_WALK(walk4, plumb__qnode4, uint8_t, false, 0x8000u, 0x80u)
QUANT_WALK(walk4c, plumb__qnode4, uint8_t, true, 0x8000u, 0x80u)
QUANT_WALK(walk8, plumb__qnode8, uint8_t, false, 0x80000000u, 0x8000u)
QUANT_WALK(walk8c, plumb__qnode8, uint8_t, true, 0x80000000u, 0x8000u)
QUANT_WALK(walk16, plumb__qnode8, uint16_t, false, 0x80000000u, 0x8000u)
QUANT_WALK(walk16c, plumb__qnode8, uint16_t, true, 0x80000000u, 0x8000u)

/* Leaf value of slot at (absolute) of tree k. */
static inline double leaf_value(const plumb__quant *q, int64_t k, int64_t at) {
    return q->scale[k] * (q->leaf_bits == 16 ? ((const int16_t *)q->values)[at] : ((const int8_t *)q->values)[at]);
}

/* One row: the walk of one tree is a chain of dependent loads, so the row walks ROW_TREES trees side by side and
 * their chains overlap in the memory system (gbdt's row walk does the same). Leaves loop on themselves, so a tree
 * that reached its leaf stays while the others finish; values are added in tree order, as the block walk adds
 * them, so the two paths agree to the bit. */
typedef void (*row_fn)(const plumb__quant *q, const void *xb, double *acc);
#define ROW_TREES 8
#define QUANT_ROW(name, node_t, code_t, CAT, MISS, CFLAG)                                                              \
    static void name(const plumb__quant *q, const void *xbv, double *acc) {                                            \
        const code_t *xb = xbv;                                                                                        \
        const int64_t K = q->n_classes;                                                                                \
        for (int64_t k0 = 0; k0 < q->n_trees; k0 += ROW_TREES) {                                                       \
            const int g_n = (int)(q->n_trees - k0 < ROW_TREES ? q->n_trees - k0 : ROW_TREES);                          \
            int32_t cur[ROW_TREES] = {0};                                                                              \
            for (bool moved = true; moved;) {                                                                          \
                moved = false;                                                                                         \
                for (int g = 0; g < g_n; g++) {                                                                        \
                    const node_t nd = ((const node_t *)q->nodes)[q->tree_start[k0 + g] + cur[g]];                      \
                    int32_t next;                                                                                      \
                    if (CAT && (nd.feature & CFLAG)) {                                                                 \
                        const uint32_t f = nd.feature & ~CFLAG, bin = xb[f];                                           \
                        const bool left = bin < 32u * q->cat_words[f] &&                                               \
                                          plumb__bit(q->cat_bits + q->bits_start[k0 + g] + nd.thr, bin);               \
                        next = (int32_t)nd.child_m + !left;                                                            \
                    } else {                                                                                           \
                        next = (int32_t)(nd.child_m & (MISS - 1)) +                                                    \
                               ((code_t)(xb[nd.feature] - (nd.child_m >= MISS)) > nd.thr);                             \
                    }                                                                                                  \
                    moved |= next != cur[g];                                                                           \
                    cur[g] = next;                                                                                     \
                }                                                                                                      \
            }                                                                                                          \
            for (int g = 0; g < g_n; g++)                                                                              \
                acc[(k0 + g) % K] += leaf_value(q, k0 + g, q->tree_start[k0 + g] + cur[g]);                            \
        }                                                                                                              \
    }
QUANT_ROW(row4, plumb__qnode4, uint8_t, false, 0x8000u, 0x80u)
QUANT_ROW(row4c, plumb__qnode4, uint8_t, true, 0x8000u, 0x80u)
QUANT_ROW(row8, plumb__qnode8, uint8_t, false, 0x80000000u, 0x8000u)
QUANT_ROW(row8c, plumb__qnode8, uint8_t, true, 0x80000000u, 0x8000u)
QUANT_ROW(row16, plumb__qnode8, uint16_t, false, 0x80000000u, 0x8000u)
QUANT_ROW(row16c, plumb__qnode8, uint16_t, true, 0x80000000u, 0x8000u)

static row_fn row_of(const plumb__quant *q) {
    if (q->wide)
        return q->has_cat ? row16c : row16;
    if (q->node_bytes == 4)
        return q->has_cat ? row4c : row4;
    return q->has_cat ? row8c : row8;
}

static walk_fn walk_of(const plumb__quant *q) {
    if (q->wide)
        return q->has_cat ? walk16c : walk16;
    if (q->node_bytes == 4)
        return q->has_cat ? walk4c : walk4;
    return q->has_cat ? walk8c : walk8;
}

static size_t scratch(const plumb_model *model, int64_t nr) {
    const plumb__quant *q = plumb__quant_of(model);
    return (size_t)(nr * q->n_features) * (q->wide ? 2 : 1);
}

/* The block's bins, column by column: one binary search over a feature's edges per value. */
static void bin_block(const plumb__quant *q, const float *x, int64_t nr, void *xb) {
    const int64_t F = q->n_features;
    for (int64_t f = 0; f < F; f++) {
        const plumb__feature *ft = &q->features[f];
        if (q->wide)
            for (int64_t i = 0; i < nr; i++)
                ((uint16_t *)xb)[i * F + f] = plumb__bin_of(ft, x[i * F + f]);
        else
            for (int64_t i = 0; i < nr; i++)
                ((uint8_t *)xb)[i * F + f] = (uint8_t)plumb__bin_of(ft, x[i * F + f]);
    }
}

static void score_block(const plumb_model *model, const float *x, int64_t nr, void *xb, double *out) {
    const plumb__quant *q = plumb__quant_of(model);
    const int64_t K = q->n_classes;
    const walk_fn walk = walk_of(q);
    int32_t at[PLUMB__BLOCK];
    bin_block(q, x, nr, xb);
    for (int64_t i = 0; i < nr; i++)
        for (int64_t k = 0; k < K; k++)
            out[i * K + k] = q->init_score[k];
    if (nr == 1) {
        row_of(q)(q, xb, out);
        return;
    }
    for (int64_t k = 0; k < q->n_trees; k++) {
        walk(q, k, xb, nr, at);
        const double s = q->scale[k];
        if (q->leaf_bits == 16) {
            const int16_t *v = (const int16_t *)q->values + q->tree_start[k];
            for (int64_t i = 0; i < nr; i++)
                out[i * K + k % K] += s * v[at[i]];
        } else {
            const int8_t *v = (const int8_t *)q->values + q->tree_start[k];
            for (int64_t i = 0; i < nr; i++)
                out[i * K + k % K] += s * v[at[i]];
        }
    }
}

bool plumb__quant_reach(const plumb_model *model, const float *x, int64_t nr, int32_t *slot) {
    const plumb__quant *q = plumb__quant_of(model);
    int32_t at[PLUMB__BLOCK];
    void *bins = malloc(scratch(model, PLUMB__BLOCK) + 1);
    for (int64_t r0 = 0; bins && r0 < nr; r0 += PLUMB__BLOCK) {
        const int64_t n = nr - r0 < PLUMB__BLOCK ? nr - r0 : PLUMB__BLOCK;
        bin_block(q, x + r0 * q->n_features, n, bins);
        for (int64_t k = 0; k < q->n_trees; k++) {
            walk_of(q)(q, k, bins, n, at);
            for (int64_t i = 0; i < n; i++)
                slot[(r0 + i) * q->n_trees + k] = at[i];
        }
    }
    free(bins);
    return bins != NULL;
}

/* Raw scores to predictions: softmax, sigmoid or exp by the objective, as the gbdt model it came from. */
static void link(const plumb_model *model, int64_t n, double *out) {
    const plumb__quant *q = plumb__quant_of(model);
    plumb__objective_link_rows(q->objective.kind, q->n_classes, n, out);
}

static void describe(const plumb_model *model, plumb_model_info *info) {
    const plumb__quant *q = plumb__quant_of(model);
    info->objective = plumb_objective_name(q->objective.kind);
    info->n_trees = q->n_trees;
    info->n_iterations = q->n_iterations;
    info->best_iteration = q->best_iteration;
    info->metric = q->metric;
    info->train_metric = q->train_metric;
    info->valid_metric = q->valid_metric;
}

const plumb__model_ops plumb__gbdt_q_ops = {
    .name = "gbdt_q",
    .kind = PLUMB_MODEL_GBDT_Q,
    .free = plumb__quant_free,
    .scratch = scratch,
    .score_block = score_block,
    .link = link,
    .describe = describe,
    .to_json = plumb__quant_to_json,
    .from_json = plumb__quant_from_json,
};
