/* tree.h -- internal layout of a single CART decision tree (PLUMB_MODEL_TREE), and the functions its files share:
 * grow.c (training), prune.c (cost-complexity pruning), predict.c (scoring), rules.c (the rules text) and serial.c
 * (the model file's body).
 *
 * A tree is an array of nodes in preorder, as scikit-learn numbers them: node 0 is the root and a split node's
 * left child follows it directly, so every child index is larger than its parent's (which is what the loader
 * checks to know a walk ends). Leaves have left = right = feature = -1. A numeric or bool split sends x <= threshold
 * left, compared in double on the float32 value (threshold +inf: every non-missing value left, missing right); a
 * categorical split sends the categories whose bit is set in its bitmask left. Missing values follow missing_left;
 * categories the tree never saw at a node (and codes outside the dictionary) follow unseen_left.
 *
 * The model owns the struct; the nodes and the bitmask words are separate allocations freed by plumb__cart_free.
 */
#ifndef PLUMB_TREE_TREE_H
#define PLUMB_TREE_TREE_H

#include "../model/model.h"

typedef struct plumb__cart_feature {
    int64_t column;       /* index in the model's schema */
    plumb_type type;      /* PLUMB_TYPE_NUMERIC, _BOOL or _CATEGORICAL */
    int32_t n_categories; /* categorical: the dictionary's size; 0 otherwise */
    bool has_missing;     /* the training data had missing values in it (the rules mention them) */
} plumb__cart_feature;

typedef struct plumb__cart_node {
    int32_t left, right; /* children, -1 in a leaf */
    int32_t feature;     /* index into features, -1 in a leaf */
    uint8_t missing_left, unseen_left;
    double threshold; /* numeric and bool splits */
    int64_t bits;     /* categorical splits: first word of the left set in cart->bits; -1 otherwise */
    double value;     /* binary: weighted share of the positive class; regression: weighted mean */
    double impurity;  /* of the node, by the criterion */
    double weighted_n;
    int64_t n_rows;
} plumb__cart_node;

struct plumb__cart {
    plumb_tree_params params; /* as trained; positive_class NULL (see below) */
    char *target;             /* the target column's name */
    char *positive_class;     /* binary: the positive class as text ("bad", "true", "1"); NULL for regression */
    bool target_is_text;      /* the target was categorical: the rules say P(bad) rather than P(y = 1) */
    int64_t n_features;
    plumb__cart_feature *features;
    int32_t n_nodes, n_leaves, depth;
    plumb__cart_node *nodes;
    int64_t n_words;
    uint64_t *bits;      /* categorical left sets, one bit per category */
    double train_metric; /* binary: accuracy at 0.5; regression: mean squared error (weighted by the weight column) */
};

/* grow.c: the criteria by plumb_tree_criterion, as the model file and the messages name them ("auto" first). */
extern const char *const plumb__cart_criterion_names[4];

/* grow.c: frees the tree; accepts NULL. */
void plumb__cart_free(struct plumb__cart *c);

/* The tree of model m (which must be of this kind). */
static inline struct plumb__cart *plumb__cart_of(const plumb_model *m) {
    return (struct plumb__cart *)m->impl;
}

/* grow.c: makes model m's shared feature list from its tree's features. Returns false when out of memory. */
bool plumb__cart_set_features(plumb_model *m);

/* grow.c: grows the unpruned tree on train into a new model (*out, NULL on failure); y, cls and sw (OUT, malloc'd)
 * receive the target (as values and as classes, 1 = positive) and the weight column's values, for the training
 * metric. Checks params (PLUMB_EINVAL) and the target; PLUMB_ENOMEM when out of memory. */
plumb_status plumb__cart_fit(const plumb_frame *train, const plumb_tree_params *params, plumb_model **out,
                             double **y_out, uint8_t **cls_out, double **sw_out, plumb_error *err);

/* prune.c: prunes c in place to the subtree minimal cost-complexity pruning keeps at ccp_alpha. False when out of
 * memory (the tree is unchanged). */
bool plumb__cart_prune(struct plumb__cart *c, double ccp_alpha);

/* predict.c: the training metric of m's tree on its training rows (y, cls and sw as plumb__cart_fit gives them)
 * into *out: accuracy at 0.5 for binary, mean squared error for regression, weighted by the weight column. Fails as
 * plumb_model_predict does when train's columns do not fit the model. */
plumb_status plumb__cart_train_metric(const plumb_model *m, const plumb_frame *train, const double *y,
                                      const uint8_t *cls, const double *sw, double *out, plumb_error *err);

/* serial.c: the model file's JSON body of a tree model (plumb__model_ops.to_json, NULL when out of memory), and
 * back (from_json). */
json_t *plumb__cart_model_json(const plumb_model *m);
plumb_status plumb__cart_model_parse(plumb__loader *ld, const json_t *root, plumb_model *m);

/* rules.c: the rules text of a tree (plumb__model_ops.rules). */
plumb_status plumb__cart_rules(const plumb_model *m, char **out, plumb_error *err);

#endif /* PLUMB_TREE_TREE_H */
