/* model.h -- the model object every kind shares, and the interface a kind implements.
 *
 * A plumb_model holds what every kind of model has (the training schema, the task, its outputs, the features it
 * reads, the positive class, a calibrator, provenance) plus `ops`, the kind's operations, and `impl`, the kind's
 * own data (opaque here). The kinds are listed once, in kinds.c; the loader reads the kind's name from the file
 * and finds its operations there. Adding a kind is one folder that defines a plumb__model_ops, and one line in
 * that table (docs/architecture.md).
 *
 * Scoring goes through one path for every kind and every input (a frame, one row, a plain matrix): the input is
 * gathered into blocks of "feature values" -- per model feature a float: the value of a numeric or bool feature
 * (NaN when missing), the model's own category code of a categorical one (PLUMB_CODE_MISSING, PLUMB_CODE_UNSEEN
 * when absent or unknown) -- and the kind scores a block. Since the frame, row and matrix paths share the block
 * kernel, they agree to the last bit. The kind is dispatched once per block, never per row or per tree.
 *
 * A model is immutable after training or loading, so any number of threads may score it at once.
 */
#ifndef PLUMB_MODEL_MODEL_H
#define PLUMB_MODEL_MODEL_H

#include "../data/data.h"

#include <math.h>

#define PLUMB__BLOCK 128 /* rows gathered and scored together */

typedef struct plumb__loader plumb__loader;
struct plumb__calibrator;
struct plumb__reference;

/* What a kind of model does. Hooks marked optional may be NULL: the caller then reports that this kind cannot. */
typedef struct plumb__model_ops {
    const char *name;      /* the model file's "model" value and plumb_model_info.kind: "gbdt", "linear", "tree" */
    plumb_model_kind kind; /* its public enum value */
    /* Frees the kind's data (impl); accepts NULL. */
    void (*free)(void *impl);
    /* Bytes of scratch memory score_block needs for nr rows (the caller provides it, so scoring allocates
     * nothing); 0 for none. */
    size_t (*scratch)(const plumb_model *m, int64_t nr);
    /* Raw scores of nr <= PLUMB__BLOCK rows of feature values x (row-major, nr x n_features) into out (nr x
     * n_outputs). Cannot fail. */
    void (*score_block)(const plumb_model *m, const float *x, int64_t nr, void *scratch, double *out);
    /* Optional: raw scores of n rows to predictions in place (sigmoid, softmax, exp); NULL: raw is the prediction. */
    void (*link)(const plumb_model *m, int64_t n, double *out);
    /* Optional: rejects feature values the kind cannot score (row is the block's first row, 0-based, for the
     * message); run on every block before any is scored. */
    plumb_status (*check_block)(const plumb_model *m, const float *x, int64_t nr, int64_t row, plumb_error *err);
    /* Fills the kind's fields of *info (the shared ones are filled by plumb_model_describe). */
    void (*describe)(const plumb_model *m, plumb_model_info *info);
    /* The model file's JSON body (a new reference; NULL when out of memory). plumb__model_json_begin starts it
     * with the keys every kind writes first. */
    json_t *(*to_json)(const plumb_model *m);
    /* Reads the kind's body: sets m->impl, m->task, m->schema, the features (plumb__model_set_features) and
     * n_outputs; problems through plumb__loader_bad (or ld->st with ld->err filled). */
    plumb_status (*from_json)(plumb__loader *ld, const json_t *root, plumb_model *m);
    /* Optional: the class the model's probabilities are of, by name; NULL: the schema's default (see
     * plumb_model_positive_class). */
    const char *(*positive_class)(const plumb_model *m);
    /* Optional capabilities. */
    plumb_status (*importance)(const plumb_model *m, plumb_importance *out, plumb_error *err);
    plumb_status (*contrib)(const plumb_model *m, const plumb_frame *frame, int threads, double *out, plumb_error *err);
    plumb_status (*rules)(const plumb_model *m, char **text, plumb_error *err);
    int64_t (*valid_curve)(const plumb_model *m, const double **values);
    /* Optional: a kind whose files are not model files (a compiled model is a shared object): they start with the
     * magic_len bytes at magic, and open reads size bytes at data, name naming them in errors, into *out. */
    const char *magic;
    size_t magic_len;
    plumb_status (*open)(const void *data, size_t size, const char *name, plumb_model **out, plumb_error *err);
} plumb__model_ops;

struct plumb_model {
    const plumb__model_ops *ops;
    void *impl;           /* the kind's data */
    plumb_schema *schema; /* the training data's columns: types, roles, dictionaries */
    plumb_task task;
    int32_t n_outputs;    /* values predicted per row: the classes of a multiclass model, else 1 */
    int64_t n_features;   /* the columns the model reads, in the kind's order */
    int64_t *feature_col; /* per feature: its column in schema */
    bool positive_first;  /* binary with a text target: the positive class is the first category, not the last */
    struct plumb__calibrator *calibrator; /* binary: maps probabilities to calibrated ones; NULL: none */
    /* provenance */
    char plumb_version[32];
    char data_sha256[65];
    int64_t train_rows;
    char created[32];                   /* ISO-8601 UTC */
    struct plumb__reference *reference; /* the training data's profile (reference.h); NULL in older files */
};

/* The kinds' operations, defined in their folders and listed in kinds.c. */
extern const plumb__model_ops plumb__gbdt_ops, plumb__linear_ops, plumb__tree_ops, plumb__gbdt_q_ops;
extern const plumb__model_ops plumb__compiled_ops;

/* Every kind's operations (n of them), in the table's order. */
const plumb__model_ops *const *plumb__model_kinds(size_t *n);

/* The operations of the kind called name (the file's "model" value), or NULL. */
const plumb__model_ops *plumb__model_kind(const char *name);

/* A new model of the given kind with nothing else set; NULL when out of memory. Free with plumb_model_free. */
plumb_model *plumb__model_new(const plumb__model_ops *ops);

/* Sets the model's n features from their schema columns, read from an array of the kind's feature structs: the
 * column of feature f is at (const char *)first_col + f * stride (&features[0].column, sizeof *features).
 * Returns false when out of memory. */
bool plumb__model_set_features(plumb_model *m, int64_t n, const int64_t *first_col, size_t stride);

/* Records the plumb version, the SHA-256 of the training data, its rows and the time in the model, and profiles the
 * training data (the model's reference, reference.h): call it once the model can score. */
void plumb__model_stamp(plumb_model *m, const plumb_frame *train);

/* The keys every model file starts with ("format", "format_version", "model", "task"): a new object, NULL when
 * out of memory; the kind adds its own after them, so each kind's files keep their order. */
json_t *plumb__model_json_begin(const plumb_model *m);

/* Adds key to obj (stealing value); false when value is NULL or out of memory. */
bool plumb__json_add(json_t *obj, const char *key, json_t *value);

/* A JSON array of the n values at v, null for a value that is not finite; NULL when out of memory. */
json_t *plumb__json_reals(const double *v, int64_t n);

/* The name of plumb_task t in model files and messages ("binary", "regression", "multiclass"). */
const char *plumb__task_name(plumb_task t);

/* ---- scoring inputs --------------------------------------------------------------------------------------- */

/* A model feature's column in a frame: one of f32, f64, u8, codes; remap maps the frame's category codes
 * (0 .. n_remap-1) to the model's (PLUMB_CODE_UNSEEN for categories the model never saw) when the dictionaries
 * differ, NULL when they are the same. */
typedef struct plumb__source {
    const float *f32;
    const double *f64;
    const uint8_t *u8;
    const int32_t *codes;
    int32_t *remap;
    int32_t n_remap;
} plumb__source;

/* Finds the model's features in frame by name: *out (n_features sources; free with plumb__sources_free).
 * PLUMB_ESCHEMA naming the first missing or mistyped column, PLUMB_ENOMEM. */
plumb_status plumb__model_bind(const plumb_model *m, const plumb_frame *frame, plumb__source **out, plumb_error *err);
void plumb__sources_free(plumb__source *src, int64_t n);

/* Feature values of rows [r0, r0 + nr) of bound sources into x (row-major, nr x n). */
void plumb__gather(const plumb__source *src, int64_t n, int64_t r0, int64_t nr, float *x);

/* Feature value of row i of a source (see plumb__gather). */
static inline float plumb__source_value(const plumb__source *s, int64_t i) {
    if (s->codes) {
        int32_t k = s->codes[i];
        if (k >= 0 && s->remap)
            k = k < s->n_remap ? s->remap[k] : PLUMB_CODE_UNSEEN;
        return (float)k;
    }
    if (s->f32)
        return s->f32[i];
    if (s->f64)
        return (float)s->f64[i];
    return s->u8[i] == PLUMB_BOOL_MISSING ? NAN : (float)s->u8[i];
}

#endif /* PLUMB_MODEL_MODEL_H */
