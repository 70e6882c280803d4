/* tune.h -- internals of the hyperparameter search shared by its files: the space's layout, the table of tunable
 * model parameters, and a counter-based random stream.
 *
 * A space owns its parameters' names and choices. Each parameter refers to one row of the table of tunable
 * parameters (params.c), which says which model kinds read it, where it lives in their params struct and which
 * values the model accepts; the space parser checks bounds against that row, the apply functions write through it.
 */
#ifndef PLUMB_TUNE_H
#define PLUMB_TUNE_H

#include "../base/base.h"

#include <stdint.h>

/* The kinds a tunable parameter applies to (bits). */
enum { TUNE_GBDT = 1, TUNE_LINEAR = 2, TUNE_TREE = 4 };

typedef enum tune_field {
    TUNE_F64,          /* double */
    TUNE_I32,          /* int32_t */
    TUNE_I64,          /* int64_t */
    TUNE_CRITERION,    /* plumb_tree_criterion, by name */
    TUNE_CLASS_WEIGHT, /* "none" or "balanced" */
} tune_field;

typedef struct plumb__tunable {
    const char *name;
    unsigned kinds;
    tune_field field;
    size_t offset_gbdt, offset_linear, offset_tree; /* offsetof in each kind's params struct that has it */
    double min, max;                                /* the values the model accepts */
    bool min_open;                                  /* min itself is not accepted (a rate of 0) */
} plumb__tunable;

/* The row named name that applies to kind bit, or NULL. */
const plumb__tunable *plumb__tunable_find(const char *name, unsigned kind);

/* The kind bit of a model name ("gbdt", "logistic", "linear", "tree"), 0 when unknown. */
unsigned plumb__tune_kind(const char *model);

struct plumb_tune_space {
    char *model;
    unsigned kind;
    int64_t n;
    plumb_tune_param *params;
    const plumb__tunable **rows; /* per parameter */
};

/* The number of parameters of the tuner's space. */
int64_t plumb__tuner_dims(const plumb_tuner *tuner);

/* A counter-based random stream: draw k is mix64(key + k), so a trial's draws depend only on its key. */
typedef struct plumb__rng {
    uint64_t key, k;
} plumb__rng;

static inline uint64_t plumb__rng_next(plumb__rng *r) {
    return plumb__mix64(r->key + 0x632be59bd9b4e019u * ++r->k);
}
/* A uniform double in [0, 1). */
static inline double plumb__rng_unif(plumb__rng *r) {
    return (double)(plumb__rng_next(r) >> 11) * 0x1.0p-53;
}

#endif /* PLUMB_TUNE_H */
