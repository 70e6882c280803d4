/* linear.h -- internal layout of linear and logistic regression models, shared by the preprocessing (design.c),
 * the solver (solve.c), training and scoring (linear.c) and the model file (serial.c).
 *
 * A model reads "inputs" (data columns) and turns each into one or more design columns: column 0 is the constant
 * 1 of the intercept, then every input's columns in input order. A numeric input makes its value column (clipped,
 * imputed, standardised) and, when the training column had missing values, an indicator column; a bool input the
 * same without standardisation; a categorical input one 0/1 column per kept category, in dictionary order. Every
 * statistic of the preprocessing is learned from the training data and stored, so that scoring reproduces the
 * training design exactly: the same function (plumb__linear_design) builds it in both.
 *
 * Coefficients beta[0..p) are on the design's (standardised) scale. Ownership: the plumb__linear owns every array
 * and string it points to; plumb__linear_free releases all.
 */
#ifndef PLUMB_LINEAR_LINEAR_H
#define PLUMB_LINEAR_LINEAR_H

#include "../model/model.h"

#include <math.h>

typedef struct plumb__linear_input {
    int64_t column; /* index in the model's schema */
    plumb_type type;
    int64_t first; /* its first design column */
    /* numeric and bool */
    double lo, hi;  /* numeric: clipping bounds (-inf, +inf: none) */
    double fill;    /* the value of a missing entry: the median (numeric), the most frequent 0/1 (bool) */
    double center;  /* numeric: subtracted after clipping and imputation (0 when not standardised) */
    double scale;   /* numeric: divided by after that (1 when not standardised), > 0 */
    bool indicator; /* a 0/1 "missing" column follows the value column */
    /* categorical */
    int32_t n_levels; /* kept categories: design columns first .. first + n_levels - 1 */
    int32_t *levels;  /* their codes in the model's schema, ascending */
} plumb__linear_input;

typedef struct plumb__linear {
    plumb_linear_params params; /* as trained; pointers cleared (positive_class and class_weight are below) */
    char *class_weight;         /* the class_weight string trained with, or NULL */
    char *positive_class;       /* binary: the positive class as text; NULL for regression */
    int64_t n_inputs;
    plumb__linear_input *inputs;
    int64_t p;      /* design columns, the intercept's included */
    char **names;   /* p design column names ("(intercept)", "Income", "Income:missing", "Home=owner") */
    double *beta;   /* p coefficients, standardised scale */
    int64_t n_iter; /* Newton iterations */
    bool converged;
    double objective;         /* penalised objective at beta */
    double train_metric;      /* mean (sample-weighted) log-loss or squared error on the training data */
    plumb_coefficient *coefs; /* p entries for plumb_model_coefficients, derived from the rest */
} plumb__linear;

/* Frees everything the model holds, and it; accepts NULL. */
void plumb__linear_free(plumb__linear *lin);

/* Fills the design column names and the public coefficient table from inputs and beta. False when out of memory. */
bool plumb__linear_finish(plumb__linear *lin, const plumb_schema *schema);

/* The linear data of model m (which must be of this kind). */
static inline plumb__linear *plumb__linear_of(const plumb_model *m) {
    return (plumb__linear *)m->impl;
}

/* Makes model m's shared feature list from its inputs. Returns false when out of memory. */
static inline bool plumb__linear_set_features(plumb_model *m) {
    const plumb__linear *lin = plumb__linear_of(m);
    return plumb__model_set_features(m, lin->n_inputs, lin->n_inputs ? &lin->inputs[0].column : NULL,
                                     sizeof *lin->inputs);
}

/* ---- preprocessing (design.c) --------------------------------------------------------------------------------- */

/* A frame's columns as the model's inputs read them: per input, its data (one of f32, u8, codes non-NULL) and, for
 * categorical inputs, map[code] = design column of the category (or -1: no column), for codes 0..n_map-1 of the
 * frame's dictionary. */
typedef struct plumb__linear_bound {
    const float **f32;
    const uint8_t **u8;
    const int32_t **codes;
    int64_t **map;
    int64_t *n_map;
    int64_t n_inputs;
} plumb__linear_bound;

/* Chooses the inputs (feature-role numeric, bool and categorical columns of the training frame; others are logged
 * and skipped) and learns their statistics with sample weights w (NULL: all 1): clipping bounds, imputation
 * values, indicators, centers and scales, kept categories. Sets lin->inputs, n_inputs and p. Returns
 * PLUMB_EINVAL for an infinite value or no usable column, PLUMB_ENOMEM. */
plumb_status plumb__linear_fit_design(plumb__linear *lin, const plumb_frame *train, const double *w, int nt,
                                      plumb_error *err);

/* Binds the model's inputs to the columns of frame by name (categories matched by their text). Returns
 * PLUMB_ESCHEMA naming a missing or mistyped column, PLUMB_ENOMEM. Free with plumb__linear_unbind. */
plumb_status plumb__linear_bind(const plumb__linear *lin, const plumb_schema *model_schema, const plumb_frame *frame,
                                plumb__linear_bound *b, plumb_error *err);
void plumb__linear_unbind(plumb__linear_bound *b);

/* Writes the design rows r0 .. r0+nr-1 column-major into x: x[j * ld + i] for design column j of row r0 + i.
 * Column 0 is 1. ld >= nr. */
void plumb__linear_design(const plumb__linear *lin, const plumb__linear_bound *b, int64_t r0, int64_t nr, double *x,
                          int64_t ld);

/* ---- the solver (solve.c) --------------------------------------------------------------------------------------- */

/* The problem: rows of a bound frame, labels y, final weights w (sample x class; NULL = 1) and their sum W, and
 * the sample weights sw alone (NULL = 1) and their sum SW, for the training metric. */
typedef struct plumb__linear_problem {
    const plumb__linear *lin;
    const plumb__linear_bound *b;
    int64_t n;
    const double *y, *w, *sw;
    double W, SW;
    bool logistic;
    int nt;
} plumb__linear_problem;

/* Minimises the objective of plumb.h over lin->beta (lin->p entries, overwritten) with lin->params' penalty,
 * tolerance and iteration limit; sets lin->n_iter, converged and objective. Returns PLUMB_ENOMEM only. */
plumb_status plumb__linear_solve(plumb__linear *lin, const plumb__linear_problem *pr, plumb_error *err);

/* ---- the model file (serial.c) ---------------------------------------------------------------------------------- */

/* The "linear" object of the model file (NULL when out of memory), and back: parse fills lin from it and checks
 * it against the model's schema, failing with PLUMB_EFORMAT "corrupted model file: ..." (name is the file). */
json_t *plumb__linear_to_json(const plumb__linear *lin, const plumb_schema *schema);

/* The model file's body of a linear model (plumb__model_ops.to_json), and back (from_json). */
json_t *plumb__linear_model_json(const plumb_model *m);
plumb_status plumb__linear_model_parse(plumb__loader *ld, const json_t *root, plumb_model *m);
plumb_status plumb__linear_from_json(const json_t *obj, const plumb_schema *schema, plumb_task task, const char *name,
                                     plumb__linear **out, plumb_error *err);

#endif /* PLUMB_LINEAR_LINEAR_H */
