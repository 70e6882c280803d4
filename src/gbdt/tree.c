/* tree.c -- storage of a gradient-boosted tree: its node and leaf arrays in one allocation (gbdt.h), the
 * categorical bitsets beside them, deep copies and freeing. Shared by training and the model file reader.
 */
#include "gbdt.h"

#include <stdlib.h>
#include <string.h>

bool plumb__gbdt_tree_alloc(plumb__gbdt_tree *t, int32_t n_leaves) {
    const size_t nn = (size_t)(n_leaves > 1 ? n_leaves - 1 : 1), nl = (size_t)n_leaves;
    const size_t bytes = nn * (4 + 2 + 4 + 1 + 4 + 4 + 8 + 8) + nl * (8 + 8);
    char *m = calloc(1, bytes + 64);
    if (!m)
        return false;
    t->mem = m;
    t->n_leaves = n_leaves;
    /* 8-byte arrays first keep every array aligned */
    t->gain = (double *)m, m += nn * 8;
    t->node_count = (int64_t *)m, m += nn * 8;
    t->leaf_value = (double *)m, m += nl * 8;
    t->leaf_count = (int64_t *)m, m += nl * 8;
    t->feature = (int32_t *)m, m += nn * 4;
    t->threshold = (float *)m, m += nn * 4;
    t->left = (int32_t *)m, m += nn * 4;
    t->right = (int32_t *)m, m += nn * 4;
    t->bin = (uint16_t *)m, m += 2 * nn;
    t->missing_left = (uint8_t *)m;
    return true;
}

void plumb__gbdt_tree_free(plumb__gbdt_tree *t) {
    free(t->mem);
    free(t->cat_begin);
    free(t->cat_words);
    free(t->cat_bits);
    memset(t, 0, sizeof *t);
}

bool plumb__gbdt_tree_alloc_cats(plumb__gbdt_tree *t, int32_t n_words) {
    const size_t nn = (size_t)(t->n_leaves > 1 ? t->n_leaves - 1 : 1);
    t->cat_begin = malloc(nn * sizeof *t->cat_begin);
    t->cat_words = calloc(nn, sizeof *t->cat_words);
    t->cat_bits = calloc((size_t)n_words + 1, sizeof *t->cat_bits);
    if (!t->cat_begin || !t->cat_words || !t->cat_bits)
        return false;
    for (size_t i = 0; i < nn; i++)
        t->cat_begin[i] = -1;
    t->n_cat_bits = n_words;
    return true;
}

bool plumb__gbdt_tree_copy(plumb__gbdt_tree *to, const plumb__gbdt_tree *from) {
    memset(to, 0, sizeof *to);
    if (!plumb__gbdt_tree_alloc(to, from->n_leaves))
        return false;
    const size_t nn = (size_t)(from->n_leaves > 1 ? from->n_leaves - 1 : 1), nl = (size_t)from->n_leaves;
    memcpy(to->gain, from->gain, nn * sizeof *to->gain);
    memcpy(to->node_count, from->node_count, nn * sizeof *to->node_count);
    memcpy(to->leaf_value, from->leaf_value, nl * sizeof *to->leaf_value);
    memcpy(to->leaf_count, from->leaf_count, nl * sizeof *to->leaf_count);
    memcpy(to->feature, from->feature, nn * sizeof *to->feature);
    memcpy(to->threshold, from->threshold, nn * sizeof *to->threshold);
    memcpy(to->left, from->left, nn * sizeof *to->left);
    memcpy(to->right, from->right, nn * sizeof *to->right);
    memcpy(to->bin, from->bin, nn * sizeof *to->bin);
    memcpy(to->missing_left, from->missing_left, nn * sizeof *to->missing_left);
    if (from->cat_begin) {
        if (!plumb__gbdt_tree_alloc_cats(to, from->n_cat_bits))
            return false;
        memcpy(to->cat_begin, from->cat_begin, nn * sizeof *to->cat_begin);
        memcpy(to->cat_words, from->cat_words, nn * sizeof *to->cat_words);
        memcpy(to->cat_bits, from->cat_bits, (size_t)from->n_cat_bits * sizeof *to->cat_bits);
    }
    return true;
}
