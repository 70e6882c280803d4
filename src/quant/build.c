/* build.c -- quantising a gradient-boosted model: plumb_model_quantize and the gbdt_q layout's storage.
 *
 * The gbdt model's splits already carry their bin ("bins 1..bin go left"), so a threshold becomes that index with
 * no loss; each tree is laid out breadth-first (quant.h) and its leaf values rounded to integers of leaf_bits bits
 * times scale = max |leaf| / (2^(leaf_bits-1) - 1). What is measured here (memory, the rounding bound) is what the
 * caller reports; the model's shared parts (schema, calibrator, provenance, reference profile) are copied as they are.
 */
#include "quant.h"
#include "../eval/eval.h"
#include "../model/reference.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void plumb_quantize_options_init(plumb_quantize_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->leaf_bits = 16;
}

void plumb__quant_free(void *impl) {
    plumb__quant *q = impl;
    if (!q)
        return;
    for (int64_t f = 0; q->features && f < q->n_features; f++)
        free(q->features[f].edges);
    free(q->features);
    free(q->cat_words);
    free(q->init_score);
    free(q->tree_start);
    free(q->bits_start);
    free(q->scale);
    free(q->nodes);
    free(q->values);
    free(q->cat_bits);
    free(q);
}

bool plumb__quant_alloc(plumb__quant *q, int64_t n_slots, int64_t n_words) {
    q->tree_start = calloc((size_t)q->n_trees + 1, sizeof *q->tree_start);
    q->bits_start = calloc((size_t)q->n_trees + 1, sizeof *q->bits_start);
    q->scale = calloc((size_t)q->n_trees + 1, sizeof *q->scale);
    q->nodes = calloc((size_t)n_slots + 1, (size_t)q->node_bytes);
    q->values = calloc((size_t)n_slots + 1, (size_t)q->leaf_bits / 8);
    q->cat_bits = calloc((size_t)n_words + 1, sizeof *q->cat_bits);
    return q->tree_start && q->bits_start && q->scale && q->nodes && q->values && q->cat_bits;
}

void plumb__quant_set_cat_words(plumb__quant *q) {
    q->wide = false;
    for (int64_t f = 0; f < q->n_features; f++) {
        const plumb__feature *ft = &q->features[f];
        q->cat_words[f] = (uint16_t)(ft->n_categories > 0 ? (ft->n_bins + 31) / 32 : 0);
        q->wide |= ft->n_bins > PLUMB__NARROW_BINS;
    }
}

int64_t plumb__quant_bytes(const plumb__quant *q) {
    int64_t b = (int64_t)sizeof *q + q->n_features * (int64_t)(sizeof *q->features + sizeof *q->cat_words) +
                q->n_classes * 8 + (q->n_trees + 1) * 24;
    for (int64_t f = 0; f < q->n_features; f++)
        b += q->features[f].edges ? (q->features[f].n_bins - 2) * 4 : 0;
    const int64_t slots = q->tree_start[q->n_trees], words = q->bits_start[q->n_trees];
    return b + slots * (q->node_bytes + q->leaf_bits / 8) + words * 4;
}

/* Bytes the gbdt model's data holds: trees as tree.c allocates them, their scoring layout (gbdt.h), bins. */
static int64_t gbdt_bytes(const plumb__gbdt *g) {
    int64_t b = (int64_t)sizeof *g + g->n_features * (int64_t)sizeof *g->features + g->n_classes * 8 +
                (g->valid_metric ? g->n_iterations * 8 : 0) + (g->n_trees + 1) * (int64_t)sizeof *g->tree_start;
    for (int64_t f = 0; f < g->n_features; f++)
        b += g->features[f].edges ? (g->features[f].n_bins - 2) * 4 : 0;
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        const int64_t nn = t->n_leaves > 1 ? t->n_leaves - 1 : 1, slots = 2 * (int64_t)t->n_leaves - 1;
        b += (int64_t)sizeof *t + nn * 35 + t->n_leaves * 16 + slots * (8 + 8 + (g->has_cat ? 4 : 0));
        if (t->cat_begin)
            b += nn * 8 + t->n_cat_bits * 8; /* the tree's bitsets and their copy in the scoring layout */
    }
    return b;
}

/* Breadth-first order of tree t: queue[slot] is the node (>= 0) or ~leaf at each slot; returns the slots. */
int32_t plumb__quant_bfs(const plumb__gbdt_tree *t, int32_t *queue) {
    int32_t n = 1;
    queue[0] = t->n_leaves > 1 ? 0 : ~0;
    for (int32_t i = 0; i < n; i++)
        if (queue[i] >= 0) {
            queue[n] = t->left[queue[i]];
            queue[n + 1] = t->right[queue[i]];
            n += 2;
        }
    return n;
}

/* Node of slot i as the scoring layout stores it (child_m's missing bit is top, the cat flag the feature's). */
typedef struct qnode {
    uint32_t child, miss;
    uint32_t feature, cat;
    uint32_t thr;
} qnode;

static void put_node(plumb__quant *q, int64_t at, qnode n) {
    if (q->node_bytes == 4)
        ((plumb__qnode4 *)q->nodes)[at] = (plumb__qnode4){.child_m = (uint16_t)(n.child | n.miss << 15),
                                                          .feature = (uint8_t)(n.feature | n.cat << 7),
                                                          .thr = (uint8_t)n.thr};
    else
        ((plumb__qnode8 *)q->nodes)[at] = (plumb__qnode8){
            .child_m = n.child | n.miss << 31, .feature = (uint16_t)(n.feature | n.cat << 15), .thr = (uint16_t)n.thr};
}

/* Lays out tree k of g at q's slot tree_start[k] and word bits_start[k] (queue: scratch of 2 * n_leaves slots); its
 * leaves rounded to q's scale. Returns the largest rounding error of a leaf. */
static double put_tree(plumb__quant *q, const plumb__gbdt *g, int64_t k, int32_t *queue) {
    const plumb__gbdt_tree *t = &g->trees[k];
    const int32_t n = plumb__quant_bfs(t, queue);
    const int64_t s0 = q->tree_start[k];
    uint32_t words = 0, child = 1;
    double mx = 0, worst = 0;
    for (int32_t l = 0; l < t->n_leaves; l++)
        mx = fmax(mx, fabs(t->leaf_value[l]));
    const int qmax = q->leaf_bits == 16 ? INT16_MAX : INT8_MAX;
    const double scale = q->scale[k] = mx / qmax;
    for (int32_t i = 0; i < n; i++) {
        const int32_t o = queue[i];
        if (o < 0) {
            const double v = t->leaf_value[~o];
            const long r = scale > 0 ? lround(v / scale) : 0, c = r > qmax ? qmax : r < -qmax ? -qmax : r;
            worst = fmax(worst, fabs(v - scale * (double)c));
            if (q->leaf_bits == 16)
                ((int16_t *)q->values)[s0 + i] = (int16_t)c;
            else
                ((int8_t *)q->values)[s0 + i] = (int8_t)c;
            put_node(q, s0 + i, (qnode){.child = (uint32_t)i, .thr = q->wide ? 0xFFFF : 0xFF});
            continue;
        }
        const int32_t f = t->feature[o];
        const uint32_t c = child; /* breadth-first: the internal nodes' children come in pairs, in slot order */
        child += 2;
        if (t->cat_begin && t->cat_begin[o] >= 0) {
            /* the bitset at the feature's full width: bins past the node's words go right, as before */
            memcpy(q->cat_bits + q->bits_start[k] + words, t->cat_bits + t->cat_begin[o],
                   (size_t)t->cat_words[o] * sizeof *t->cat_bits);
            put_node(q, s0 + i, (qnode){.child = c, .feature = (uint32_t)f, .cat = 1, .thr = words});
            words += q->cat_words[f];
        } else {
            const uint32_t m1 = !t->missing_left[o];
            put_node(q, s0 + i, (qnode){.child = c, .miss = m1, .feature = (uint32_t)f, .thr = t->bin[o] - m1});
        }
    }
    return worst;
}

/* Bitset words tree t takes in q: its categorical splits' features' full widths. */
static int64_t tree_words(const plumb__quant *q, const plumb__gbdt_tree *t) {
    int64_t w = 0;
    for (int32_t i = 0; t->cat_begin && i < t->n_leaves - 1; i++)
        w += t->cat_begin[i] >= 0 ? q->cat_words[t->feature[i]] : 0;
    return w;
}

plumb_status plumb_model_quantize(const plumb_model *model, const plumb_quantize_options *opts, plumb_model **out,
                                  plumb_quantize_info *info, plumb_error *err) {
    plumb__error_clear(err);
    if (!model || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_quantize: a NULL argument");
    *out = NULL;
    if (model->ops != &plumb__gbdt_ops)
        return plumb__fail(err, PLUMB_EINVAL, "a %s model cannot be quantised: only gbdt models can", model->ops->name);
    const int leaf_bits = opts ? opts->leaf_bits : 16;
    if (leaf_bits != 8 && leaf_bits != 16)
        return plumb__fail(err, PLUMB_EINVAL, "leaf values are quantised to 8 or 16 bits, not %d", leaf_bits);
    const plumb__gbdt *g = plumb__gbdt_of(model);
    plumb_status st = PLUMB_OK;
    int32_t *queue = NULL;
    double *bound = NULL;
    plumb__quant *q = calloc(1, sizeof *q);
    plumb_model *m = plumb__model_new(&plumb__gbdt_q_ops);
    if (!q || !m) {
        free(q);
        goto oom;
    }
    m->impl = q;
    q->objective = g->objective;
    q->n_classes = g->n_classes;
    q->n_features = g->n_features;
    q->n_trees = g->n_trees;
    q->leaf_bits = leaf_bits;
    snprintf(q->metric, sizeof q->metric, "%s", g->metric);
    q->train_metric = g->train_metric;
    q->valid_metric = g->valid_metric && g->best_iteration > 0 && g->best_iteration <= g->n_iterations
                          ? g->valid_metric[g->best_iteration - 1]
                          : NAN;
    q->n_iterations = g->n_iterations;
    q->best_iteration = g->best_iteration;
    if (!(q->features = calloc((size_t)q->n_features + 1, sizeof *q->features)) ||
        !(q->cat_words = calloc((size_t)q->n_features + 1, sizeof *q->cat_words)) ||
        !(q->init_score = malloc((size_t)q->n_classes * sizeof *q->init_score)))
        goto oom;
    memcpy(q->init_score, g->init_score, (size_t)q->n_classes * sizeof *q->init_score);
    for (int64_t f = 0; f < q->n_features; f++) {
        q->features[f] = g->features[f];
        q->features[f].edges = NULL;
        const size_t ne = g->features[f].edges ? (size_t)g->features[f].n_bins - 2 : 0;
        if (g->features[f].edges && !(q->features[f].edges = malloc((ne + 1) * sizeof(float))))
            goto oom;
        if (ne)
            memcpy(q->features[f].edges, g->features[f].edges, ne * sizeof(float));
    }
    plumb__quant_set_cat_words(q);
    /* the slots and bitset words of each tree decide the node size */
    int64_t slots = 0, words = 0, most_slots = 0, most_words = 0;
    int32_t most_leaves = 1;
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        const int64_t w = tree_words(q, t);
        slots += 2 * (int64_t)t->n_leaves - 1;
        words += w;
        most_slots = most_slots > 2 * (int64_t)t->n_leaves - 1 ? most_slots : 2 * (int64_t)t->n_leaves - 1;
        most_words = most_words > w ? most_words : w;
        most_leaves = most_leaves > t->n_leaves ? most_leaves : t->n_leaves;
        q->has_cat |= w > 0;
    }
    if (most_words > 65535) {
        st = plumb__fail(err, PLUMB_EINVAL, "a tree's categorical splits need %lld bitset words, more than 65535",
                         (long long)most_words);
        goto done;
    }
    q->node_bytes = !q->wide && q->n_features <= 127 && most_slots <= 32768 && most_words <= 255 ? 4 : 8;
    if (!plumb__quant_alloc(q, slots, words) || !(queue = malloc((size_t)(2 * most_leaves + 1) * sizeof *queue)) ||
        !(bound = calloc((size_t)q->n_classes, sizeof *bound)))
        goto oom;
    for (int64_t k = 0; k < g->n_trees; k++) {
        q->tree_start[k + 1] = q->tree_start[k] + 2 * (int64_t)g->trees[k].n_leaves - 1;
        q->bits_start[k + 1] = q->bits_start[k] + tree_words(q, &g->trees[k]);
        bound[k % q->n_classes] += put_tree(q, g, k, queue);
    }
    m->task = model->task;
    m->n_outputs = model->n_outputs;
    m->positive_first = model->positive_first;
    memcpy(m->plumb_version, model->plumb_version, sizeof m->plumb_version);
    memcpy(m->data_sha256, model->data_sha256, sizeof m->data_sha256);
    memcpy(m->created, model->created, sizeof m->created);
    m->train_rows = model->train_rows;
    if (!(m->schema = plumb__schema_copy(model->schema, true)) ||
        !plumb__model_set_features(m, q->n_features, &q->features[0].column, sizeof *q->features))
        goto oom;
    if (model->calibrator) { /* an immutable calibrator, copied through its file form */
        json_t *cj = plumb__calibrate_to_json(model->calibrator);
        st = cj ? plumb__calibrate_from_json(cj, &m->calibrator, err) : PLUMB_ENOMEM;
        json_decref(cj);
        if (st != PLUMB_OK)
            goto oom;
    }
    if (model->reference) { /* the training data's profile, for plumb monitor: copied through its file form too */
        json_t *rj = plumb__reference_to_json(model->reference);
        const bool ok = rj && plumb__reference_from_json(rj, m, &m->reference);
        json_decref(rj);
        if (!ok)
            goto oom;
    }
    if (info) {
        memset(info, 0, sizeof *info);
        info->memory_before = gbdt_bytes(g);
        info->memory_after = plumb__quant_bytes(q);
        for (int32_t c = 0; c < q->n_classes; c++)
            info->error_bound = fmax(info->error_bound, bound[c]);
        info->node_bytes = q->node_bytes;
        info->code_bytes = q->wide ? 2 : 1;
        info->leaf_bits = q->leaf_bits;
    }
    *out = m;
    m = NULL;
    goto done;
oom:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb_model_free(m);
    free(queue);
    free(bound);
    return st;
}
