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

#include "../eval/eval.h"
#include "../tree/tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_BLOCK 128

void plumb__model_free(plumb_model *m) {
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
    plumb__cart_free(m->cart);
    plumb__linear_free(m->linear);
    plumb__calibrate_free(m->calibrator);
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
    if (m->kind == PLUMB_MODEL_TREE || m->kind == PLUMB_MODEL_LINEAR) {
        if (m->kind == PLUMB_MODEL_TREE)
            plumb__cart_describe(m, info);
        else
            plumb__linear_describe_model(m, info);
        return;
    }
    memset(info, 0, sizeof *info);
    info->kind = "gbdt";
    info->task = m->task;
    info->objective = plumb_objective_name(m->objective.kind);
    info->n_outputs = m->n_classes;
    info->n_features = m->n_features;
    info->n_trees = m->n_trees;
    info->n_iterations = m->n_iterations;
    info->best_iteration = m->best_iteration;
    info->metric = m->metric;
    info->train_metric = m->train_metric;
    info->valid_metric = m->valid_metric && m->best_iteration > 0 && m->best_iteration <= m->n_iterations
                             ? m->valid_metric[m->best_iteration - 1]
                             : NAN;
    info->train_rows = m->train_rows;
    info->plumb_version = m->plumb_version;
    info->data_sha256 = m->data_sha256;
    info->created = m->created;
}

const char *plumb_model_feature_name(const plumb_model *m, int64_t f) {
    return f >= 0 && f < m->n_features ? m->schema->cols[m->features[f].column].name : NULL;
}

void plumb__fcols_free(plumb__fcol *cols, int64_t n) {
    for (int64_t f = 0; cols && f < n; f++)
        free(cols[f].remap);
    free(cols);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Maps the frame's categories of column j to the model's (-1 for those the model never saw) when they differ. */
static plumb_status remap_categories(const plumb__schema_col *want, const plumb_schema *fs, int64_t j, plumb__fcol *c,
                                     plumb_error *err) {
    plumb_column_info got;
    plumb_schema_column(fs, j, &got);
    const int64_t nm = (int64_t)want->cats.n;
    bool same = got.n_categories == nm;
    for (int64_t k = 0; same && k < nm; k++)
        same = strcmp(got.categories[k], want->cat_ptrs[k]) == 0;
    if (same)
        return PLUMB_OK;
    if (!(c->remap = malloc((size_t)(got.n_categories + 1) * sizeof *c->remap)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    c->n_remap = (int32_t)got.n_categories;
    for (int64_t k = 0; k < got.n_categories; k++) {
        const char **hit =
            nm ? bsearch(&got.categories[k], want->cat_ptrs, (size_t)nm, sizeof *want->cat_ptrs, cmp_str) : NULL;
        c->remap[k] = hit ? (int32_t)(hit - want->cat_ptrs) : -1;
    }
    return PLUMB_OK;
}

plumb_status plumb__model_bind(const plumb_model *m, const plumb_frame *frame, plumb__fcol *cols, plumb_error *err) {
    const plumb_schema *fs = plumb_frame_schema(frame);
    memset(cols, 0, (size_t)m->n_features * sizeof *cols);
    for (int64_t f = 0; f < m->n_features; f++) {
        const plumb__schema_col *want = &m->schema->cols[m->features[f].column];
        const int64_t j = plumb_frame_find(frame, want->name);
        if (j < 0)
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", want->name);
        const plumb_type got = fs->cols[j].type;
        plumb__fcol *c = &cols[f];
        if (m->features[f].n_categories > 0) {
            c->codes = got == PLUMB_TYPE_CATEGORICAL ? plumb_frame_codes(frame, j) : NULL;
            if (c->codes) {
                plumb_status st = remap_categories(want, fs, j, c, err);
                if (st != PLUMB_OK)
                    return st;
            }
        } else if (got == PLUMB_TYPE_NUMERIC || got == PLUMB_TYPE_BOOL) {
            c->f32 = plumb_frame_f32(frame, j);
            c->u8 = plumb_frame_u8(frame, j);
        }
        if (!c->codes && !c->f32 && !c->u8)
            return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' is %s here but %s in the training data", want->name,
                               plumb_type_name(got), plumb_type_name(want->type));
    }
    return PLUMB_OK;
}

bool plumb__model_prepare(plumb_model *m) {
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
    static void name(const plumb_model *m, const void *xbv, int64_t nr, double *acc) {                                 \
        const code_t *xb = xbv;                                                                                        \
        const int64_t F = m->n_features, K = m->n_classes;                                                             \
        int32_t at[SCORE_BLOCK], active[SCORE_BLOCK];                                                                  \
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

plumb_status plumb__gbdt_raw_scores(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err) {
    const int64_t F = m->n_features, n = plumb_frame_n_rows(frame), K = m->n_classes;
    plumb__fcol *cols = calloc((size_t)(F + 1), sizeof *cols);
    plumb_status st = PLUMB_OK;
    if (!cols) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = plumb__model_bind(m, frame, cols, err)) != PLUMB_OK)
        goto done;
    const int64_t n_blocks = (n + SCORE_BLOCK - 1) / SCORE_BLOCK;
    bool ok = true;
#pragma omp parallel reduction(&& : ok) num_threads(plumb__threads(0))
    {
        void *xb = malloc((size_t)(SCORE_BLOCK * F) * (m->wide ? 2 : 1));
        double *acc = malloc((size_t)(SCORE_BLOCK * K) * sizeof *acc);
        ok = xb && acc;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            if (!xb || !acc)
                continue;
            const int64_t r0 = b * SCORE_BLOCK, nr = n - r0 < SCORE_BLOCK ? n - r0 : SCORE_BLOCK;
            /* the block's rows binned, row-major */
            for (int64_t f = 0; f < F; f++) {
                const plumb__feature *ft = &m->features[f];
                for (int64_t i = 0; i < nr; i++) {
                    const uint16_t code = plumb__feature_bin(ft, &cols[f], r0 + i);
                    if (m->wide)
                        ((uint16_t *)xb)[i * F + f] = code;
                    else
                        ((uint8_t *)xb)[i * F + f] = (uint8_t)code;
                }
            }
            for (int64_t i = 0; i < nr; i++)
                for (int64_t k = 0; k < K; k++)
                    acc[i * K + k] = m->init_score[k];
            if (m->has_cat)
                (m->wide ? walk16c : walk8c)(m, xb, nr, acc);
            else
                (m->wide ? walk16 : walk8)(m, xb, nr, acc);
            memcpy(out + r0 * K, acc, (size_t)(nr * K) * sizeof *acc);
        }
        free(xb);
        free(acc);
    }
    if (!ok)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb__fcols_free(cols, F);
    return st;
}

static plumb_status predict_raw(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err) {
    plumb__error_clear(err);
    if (m->kind == PLUMB_MODEL_TREE) /* a tree's leaves hold its predictions: there is no link */
        return plumb__cart_predict(m, frame, out, err);
    if (m->kind == PLUMB_MODEL_LINEAR) /* its predictions, probabilities for logistic regression */
        return plumb__linear_predict(m, frame, out, err);
    return plumb__gbdt_raw_scores(m, frame, out, err);
}

/* Raw scores to predictions: softmax, sigmoid or exp by the objective. */
static void link(const plumb_model *m, int64_t n, double *out) {
    const int64_t K = m->n_classes;
    if (K > 1) {
        for (int64_t i = 0; i < n; i++) {
            double *s = out + i * K, mx = s[0], sum = 0;
            for (int64_t k = 1; k < K; k++)
                mx = fmax(mx, s[k]);
            for (int64_t k = 0; k < K; k++)
                sum += s[k] = exp(s[k] - mx);
            for (int64_t k = 0; k < K; k++)
                s[k] /= sum;
        }
    } else if (m->objective.kind == PLUMB_OBJECTIVE_BINARY || m->objective.kind == PLUMB_OBJECTIVE_POISSON) {
        for (int64_t i = 0; i < n; i++)
            out[i] = plumb__objective_link(m->objective.kind, out[i]);
    }
}

plumb_status plumb_model_predict(const plumb_model *m, const plumb_frame *frame, const plumb_predict_options *opts,
                                 double *out, plumb_error *err) {
    plumb_status st = predict_raw(m, frame, out, err);
    if (st != PLUMB_OK || (opts && opts->raw))
        return st;
    const int64_t n = plumb_frame_n_rows(frame);
    if (m->kind == PLUMB_MODEL_GBDT)
        link(m, n, out);
    if (m->calibrator)
        plumb__calibrate_apply(m->calibrator, out, n, out);
    return PLUMB_OK;
}
