/* prune.c -- minimal cost-complexity pruning of a CART tree (Breiman et al.'s weakest link, as scikit-learn's
 * _cost_complexity_prune computes it): the pruning that plumb_tree_train applies for ccp_alpha > 0, and the whole
 * pruning path (plumb_tree_pruning_path), every effective alpha with the total leaf impurity after it.
 *
 * Pruning works on a grown tree in place: the nodes that end as leaves are marked, then the subtree they bound is
 * kept, renumbered in preorder with its categorical sets compacted, so the layout of tree.h still holds after it.
 */

#include "tree.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
/* Pruning a tree, and the pruning path                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

bool plumb__cart_prune(struct plumb__cart *c, double ccp_alpha) {
    uint8_t *leaf = malloc((size_t)c->n_nodes);
    const bool ok = leaf && cost_complexity(c->nodes, c->n_nodes, ccp_alpha, leaf, NULL, NULL) && keep_subtree(c, leaf);
    free(leaf);
    return ok;
}

plumb_status plumb_tree_pruning_path(const plumb_frame *train, const plumb_tree_params *params, double **ccp_alphas,
                                     double **impurities, int64_t *n_out, plumb_error *err) {
    plumb_model *m = NULL;
    double *y = NULL, *sw = NULL, *path = NULL;
    uint8_t *cls = NULL, *leaf = NULL;
    *ccp_alphas = *impurities = NULL;
    *n_out = 0;
    plumb_status st = plumb__cart_fit(train, params, &m, &y, &cls, &sw, err);
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
