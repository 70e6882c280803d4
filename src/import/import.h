/* import.h -- models trained by XGBoost or LightGBM, read from their own files into gradient-boosted plumb models.
 *
 * Each foreign reader (xgboost.c, lightgbm.c) checks its format and translates every tree into the neutral form
 * below, with its splits already restated in plumb's terms: a numeric split sends x left when x <= threshold, for
 * float x (the value plumb scores), and says where a missing value goes; a categorical split lists the category
 * values that go left. build.c then checks the trees' structure, gathers every feature's thresholds into the bin
 * edges of a gbdt model, writes the model's JSON body and reads it back with the gbdt kind's own reader, so an
 * imported model is an ordinary gbdt model that predict, eval and explain take as is.
 */
#ifndef PLUMB_IMPORT_IMPORT_H
#define PLUMB_IMPORT_IMPORT_H

#include "../base/base.h"

#include <stdbool.h>
#include <stdint.h>

/* A tree in the foreign file's numbering: node 0 is the root; a node whose left child is -1 is a leaf. */
typedef struct plumb__imp_tree {
    int32_t n_nodes;
    int32_t *left, *right;
    int32_t *feature;
    float *threshold;      /* numeric split: x <= threshold goes left */
    uint8_t *missing_left; /* numeric split: a missing value goes left */
    int32_t *cat_begin;    /* categorical split: the left categories are bits of cat_bits + cat_begin; else -1 */
    int32_t *cat_words;
    uint32_t *cat_bits;
    int32_t n_cat_bits;
    double *value; /* leaf: added to the raw score */
    double *cover; /* rows (LightGBM) or hessian sum (XGBoost) through the node */
    double *gain;
    int32_t output; /* the class (output) the tree adds to */
    void *mem;
} plumb__imp_tree;

/* A foreign model in the neutral form. The reader fills everything; plumb__imp_build does the rest. */
typedef struct plumb__imp {
    const char *path; /* the file, for messages */
    plumb_error *err;
    plumb_task task;
    const char *objective; /* plumb_objective_name of the objective */
    int32_t n_classes;     /* outputs per row */
    int64_t n_features;
    char **names;       /* per feature; NULL entries (or NULL): "f<index>" */
    bool *categorical;  /* per feature; NULL: none */
    double *init_score; /* per output */
    double cover_scale; /* node counts are cover * cover_scale (TreeSHAP weighs paths by them) */
    int64_t n_trees;
    plumb__imp_tree *trees;
} plumb__imp;

/* A reader's first error: "path:line: <format> model: message" (line 0: none), status PLUMB_EFORMAT. */
typedef struct plumb__imp_reader {
    const char *path, *format; /* format: "xgboost", "lightgbm" */
    plumb_error *err;
    plumb_status st; /* PLUMB_OK until the first problem */
} plumb__imp_reader;

/* Records the error unless one is recorded already; returns false, so a check reads `return plumb__imp_fail(...)`. */
bool plumb__imp_fail(plumb__imp_reader *r, int64_t line, const char *fmt, ...) PLUMB__PRINTF(3, 4);

/* Allocates a tree of n nodes (every node a leaf, no categorical split) with room for n_words bitset words.
 * Returns false when out of memory. */
bool plumb__imp_tree_alloc(plumb__imp_tree *t, int32_t n, int32_t n_words);

/* Frees what the neutral form holds (not im itself). */
void plumb__imp_clear(plumb__imp *im);

/* Checks the trees (children in range, each node reached once, features in range, equal trees per class) and
 * makes the gbdt model *out. PLUMB_EFORMAT naming im->path and what is wrong, PLUMB_ENOMEM. */
plumb_status plumb__imp_build(plumb__imp *im, plumb_model **out);

/* The readers: a model from the bytes of a file (path names it in messages). */
plumb_status plumb__import_xgboost(const char *data, size_t size, const char *path, plumb_model **out,
                                   plumb_error *err);
plumb_status plumb__import_lightgbm(const char *data, size_t size, const char *path, plumb_model **out,
                                    plumb_error *err);

#endif /* PLUMB_IMPORT_IMPORT_H */
