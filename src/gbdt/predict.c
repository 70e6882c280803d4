/* predict.c -- scoring with gradient-boosted trees, and the model object's accessors.
 *
 * Rows are scored in blocks: a block's feature values are gathered row-major into a small buffer once, then
 * every tree walks the whole block before the next tree, so a tree's nodes stay in cache. The block is binned
 * with the model's edges (bin <= split bin is exactly x <= threshold), and its rows walk each tree together
 * through the breadth-first scoring layout (gbdt.h), one branch-free step at a time, dropping out as they reach
 * their leaves: the steps of different rows are independent, so the processor overlaps them.
 */
#include "gbdt.h"
#include "../linear/linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_BLOCK 128

void plumb__model_free(plumb_model *m) {
    if (!m)
        return;
    for (int64_t i = 0; m->trees && i < m->n_trees; i++)
        plumb__tree_free(&m->trees[i]);
    free(m->trees);
    for (int64_t f = 0; m->features && f < m->n_features; f++)
        free(m->features[f].edges);
    free(m->features);
    free(m->valid_metric);
    free(m->snodes);
    free(m->svalue);
    free(m->tree_start);
    plumb__linear_free(m->linear);
    plumb_schema_free(m->schema);
    free(m);
}

void plumb_model_free(plumb_model *m) {
    plumb__model_free(m);
}

const plumb_schema *plumb_model_schema(const plumb_model *m) {
    return m->schema;
}

void plumb_model_describe(const plumb_model *m, plumb_model_info *info) {
    if (m->kind == PLUMB_MODEL_LINEAR) {
        plumb__linear_describe_model(m, info);
        return;
    }
    memset(info, 0, sizeof *info);
    info->kind = "gbdt";
    info->task = m->task;
    info->n_features = m->n_features;
    info->n_trees = m->n_trees;
    info->n_iterations = m->n_iterations;
    info->best_iteration = m->best_iteration;
    info->metric = m->task == PLUMB_TASK_BINARY ? "binary_logloss" : "l2";
    info->train_metric = m->train_metric;
    info->valid_metric = m->valid_metric && m->best_iteration > 0 && m->best_iteration <= m->n_iterations
                             ? m->valid_metric[m->best_iteration - 1]
                             : NAN;
    info->train_rows = m->train_rows;
    info->plumb_version = m->plumb_version;
    info->data_sha256 = m->data_sha256;
    info->created = m->created;
}

plumb_status plumb__model_bind(const plumb_model *m, const plumb_frame *frame, int64_t *cols, plumb_error *err) {
    const plumb_schema *fs = plumb_frame_schema(frame);
    for (int64_t f = 0; f < m->n_features; f++) {
        const plumb__schema_col *want = &m->schema->cols[m->features[f].column];
        const int64_t j = plumb_frame_find(frame, want->name);
        if (j < 0)
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", want->name);
        const plumb_type got = fs->cols[j].type;
        if ((got != PLUMB_TYPE_NUMERIC && got != PLUMB_TYPE_BOOL) ||
            !(plumb_frame_f32(frame, j) || plumb_frame_u8(frame, j)))
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' is %s here but %s in the training data", want->name,
                               plumb_type_name(got), plumb_type_name(want->type));
        cols[f] = j;
    }
    return PLUMB_OK;
}

bool plumb__model_prepare(plumb_model *m) {
    int64_t total = 0;
    for (int64_t k = 0; k < m->n_trees; k++)
        total += 2 * (int64_t)m->trees[k].n_leaves - 1;
    free(m->snodes);
    free(m->svalue);
    free(m->tree_start);
    m->snodes = malloc((size_t)(total + 1) * sizeof *m->snodes);
    m->svalue = calloc((size_t)(total + 1), sizeof *m->svalue);
    m->tree_start = malloc((size_t)(m->n_trees + 1) * sizeof *m->tree_start);
    int32_t *queue = malloc((size_t)(2 * 131072) * sizeof *queue);
    bool ok = m->snodes && m->svalue && m->tree_start && queue;
    int64_t start = 0;
    for (int64_t k = 0; ok && k < m->n_trees; k++) {
        const plumb__tree *t = &m->trees[k];
        plumb__snode *nodes = m->snodes + start;
        double *value = m->svalue + start;
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
            const uint32_t m1 = !t->missing_left[o];
            nodes[i] = (plumb__snode){.child_m = (uint32_t)n | m1 << 31,
                                      .feature = (uint16_t)t->feature[o],
                                      .thr = (uint16_t)(t->bin[o] - m1)};
            queue[n] = t->left[o];
            queue[n + 1] = t->right[o];
            n += 2;
        }
        m->tree_start[k] = start;
        start += n;
    }
    free(queue);
    return ok;
}

/* Adds every tree's leaf value to acc for the nr binned rows of xb (uint8 or uint16 codes, F per row). Every row
 * that moved takes another step; one that stayed has reached its leaf and leaves the active list. */
#define PLUMB__WALK(name, code_t)                                                                                      \
    static void name(const plumb_model *m, const void *xbv, int64_t nr, double *acc) {                                 \
        const code_t *xb = xbv;                                                                                        \
        const int64_t F = m->n_features;                                                                               \
        int32_t at[SCORE_BLOCK], active[SCORE_BLOCK];                                                                  \
        for (int64_t k = 0; k < m->n_trees; k++) {                                                                     \
            const plumb__snode *nodes = m->snodes + m->tree_start[k];                                                  \
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
                    const code_t bin = xb[i * F + nd.feature];                                                         \
                    const int32_t next =                                                                               \
                        (int32_t)(nd.child_m & 0x7FFFFFFFu) + ((code_t)(bin - (nd.child_m >> 31)) > nd.thr);           \
                    at[i] = next;                                                                                      \
                    active[still] = i;                                                                                 \
                    still += next != cur;                                                                              \
                }                                                                                                      \
                n_active = still;                                                                                      \
            }                                                                                                          \
            for (int64_t i = 0; i < nr; i++)                                                                           \
                acc[i] += value[at[i]];                                                                                \
        }                                                                                                              \
    }
PLUMB__WALK(walk8, uint8_t)
PLUMB__WALK(walk16, uint16_t)

plumb_status plumb__gbdt_raw_scores(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err) {
    const int64_t F = m->n_features, n = plumb_frame_n_rows(frame);
    int64_t *cols = malloc((size_t)(F + 1) * sizeof *cols);
    const float **f32 = malloc((size_t)(F + 1) * sizeof *f32);
    const uint8_t **u8 = malloc((size_t)(F + 1) * sizeof *u8);
    plumb_status st = PLUMB_OK;
    if (!cols || !f32 || !u8) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = plumb__model_bind(m, frame, cols, err)) != PLUMB_OK)
        goto done;
    for (int64_t f = 0; f < F; f++) {
        f32[f] = plumb_frame_f32(frame, cols[f]);
        u8[f] = plumb_frame_u8(frame, cols[f]);
    }
    const int64_t n_blocks = (n + SCORE_BLOCK - 1) / SCORE_BLOCK;
    bool ok = true;
#pragma omp parallel reduction(&& : ok) num_threads(plumb__threads(0))
    {
        void *xb = malloc((size_t)(SCORE_BLOCK * F) * (m->wide ? 2 : 1));
        ok = xb != NULL;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            if (!xb)
                continue;
            const int64_t r0 = b * SCORE_BLOCK, nr = n - r0 < SCORE_BLOCK ? n - r0 : SCORE_BLOCK;
            /* the block's rows binned, row-major */
            for (int64_t f = 0; f < F; f++) {
                const plumb__feature *ft = &m->features[f];
                for (int64_t i = 0; i < nr; i++) {
                    const uint16_t code = plumb__bin_value(ft, plumb__feature_value(f32[f], u8[f], r0 + i));
                    if (m->wide)
                        ((uint16_t *)xb)[i * F + f] = code;
                    else
                        ((uint8_t *)xb)[i * F + f] = (uint8_t)code;
                }
            }
            double acc[SCORE_BLOCK];
            for (int64_t i = 0; i < nr; i++)
                acc[i] = m->init_score;
            if (m->wide)
                walk16(m, xb, nr, acc);
            else
                walk8(m, xb, nr, acc);
            memcpy(out + r0, acc, (size_t)nr * sizeof *acc);
        }
        free(xb);
    }
    if (!ok)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    free(cols);
    free(f32);
    free(u8);
    return st;
}

plumb_status plumb_model_predict(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err) {
    if (m->kind == PLUMB_MODEL_LINEAR)
        return plumb__linear_predict(m, frame, out, err);
    plumb_status st = plumb__gbdt_raw_scores(m, frame, out, err);
    if (st != PLUMB_OK || m->task != PLUMB_TASK_BINARY)
        return st;
    const int64_t n = plumb_frame_n_rows(frame);
    for (int64_t i = 0; i < n; i++)
        out[i] = 1 / (1 + exp(-out[i]));
    return PLUMB_OK;
}
