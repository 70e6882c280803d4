/* onnx.h -- the ONNX export's internals: a builder of ONNX graphs over the protobuf-c structs, and the kinds'
 * translators that fill it (trees.c: gbdt and CART trees; linear.c: linear and logistic models).
 *
 * The builder owns every byte of the graph it builds: nodes, attributes, tensors and strings come from its arena
 * (a list of allocations freed at once by plumb__onnx_free), so a translator never frees a piece of the graph.
 * An allocation that fails sets `oom` and returns NULL; every builder call accepts NULL arguments and does nothing
 * with them, so a translator runs to its end and checks `oom` once (plumb__onnx_pack reports it).
 *
 * The graph's front end (export.c) turns the model's inputs into one float matrix "features": per model feature f,
 * column col[f] holds a numeric or bool feature's value (NaN when missing) or a categorical feature's code in the
 * model's dictionary (NaN for a missing value, -1 for a category the model never saw). The translators read that
 * matrix, or the raw inputs where their preprocessing needs them (linear.c).
 */
#ifndef PLUMB_ONNX_ONNX_H
#define PLUMB_ONNX_ONNX_H

#include "../model/model.h"

#include "onnx-ml.pb-c.h"

#define PLUMB__ONNX_CODE_UNSEEN (-1.0f) /* the code of a category the model never saw, in "features" */

typedef struct plumb__onnx {
    void **mem; /* the arena: every allocation of the graph */
    size_t n_mem, cap_mem;
    bool oom;
    int64_t n_names;         /* names handed out by plumb__onnx_name */
    Onnx__NodeProto **nodes; /* in the arena, grown by doubling */
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    Onnx__ValueInfoProto **vinfo; /* types of intermediate tensors that ONNX's shape inference cannot derive */
    size_t n_vinfo, cap_vinfo;
    Onnx__ValueInfoProto *inputs[4], *outputs[4]; /* X and C; label and probabilities, or prediction */
    size_t n_inputs, n_outputs;
    Onnx__StringStringEntryProto *meta[4];
    size_t n_meta;
} plumb__onnx;

/* The inputs of the model as the front end made them (export.c). */
typedef struct plumb__onnx_front {
    const char *features; /* the float matrix [N, n_features] described above, once plumb__onnx_features made it */
    const char *x;        /* the numeric input "X" [N, n_numeric], NULL when there is none */
    const char **c_cols;  /* per categorical feature: its column of the string input "C", [N, 1] */
    int64_t *col;         /* per model feature: its column in "X" (numeric, bool) or "C" (categorical) */
    int64_t *fcol;        /* per model feature: its column in "features" */
    bool *is_cat;         /* per model feature: categorical */
    int64_t n_numeric, n_categorical;
} plumb__onnx_front;

/* The name of "features" (onnx.h), made on the first call: X and the categorical columns' codes (LabelEncoder:
 * the model's dictionary to codes, missing-value spellings to NaN, anything else to -1), concatenated. */
const char *plumb__onnx_features(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe);

/* Zeroed memory of size bytes owned by the graph; NULL (and oom set) when out of memory. */
void *plumb__onnx_alloc(plumb__onnx *o, size_t size);

/* Makes ptr (from malloc, or NULL) part of the graph, freed with it; false (and ptr freed) when out of memory. */
bool plumb__onnx_adopt(plumb__onnx *o, void *ptr);

/* A copy of s owned by the graph. */
char *plumb__onnx_str(plumb__onnx *o, const char *s);

/* A fresh tensor name starting with base ("base_3"). */
char *plumb__onnx_name(plumb__onnx *o, const char *base);

/* Adds a node op (of domain: "" for the ONNX domain, "ai.onnx.ml") with the given input and output names; NULL
 * names are left out only at the end of the inputs (optional inputs). */
Onnx__NodeProto *plumb__onnx_node(plumb__onnx *o, const char *op, const char *domain, size_t n_in,
                                  const char *const *in, size_t n_out, const char *const *out);

/* Attributes of node n: one integer, float or string; or arrays, which must come from plumb__onnx_alloc (or be
 * adopted): the attribute takes them as they are. strings is an array of n_strings C strings from the arena (or
 * static). */
void plumb__onnx_attr_i(plumb__onnx *o, Onnx__NodeProto *n, const char *name, int64_t v);
void plumb__onnx_attr_f(plumb__onnx *o, Onnx__NodeProto *n, const char *name, float v);
void plumb__onnx_attr_s(plumb__onnx *o, Onnx__NodeProto *n, const char *name, const char *v);
void plumb__onnx_attr_ints(plumb__onnx *o, Onnx__NodeProto *n, const char *name, int64_t *v, size_t count);
void plumb__onnx_attr_floats(plumb__onnx *o, Onnx__NodeProto *n, const char *name, float *v, size_t count);
void plumb__onnx_attr_strings(plumb__onnx *o, Onnx__NodeProto *n, const char *name, const char *const *v, size_t count);

/* A constant tensor (an initializer) of float or int64 values with dims (n_dims of them; 0: a scalar); values
 * from the arena, taken as they are. Returns its name (a fresh one from base). */
const char *plumb__onnx_const_f(plumb__onnx *o, const char *base, const int64_t *dims, size_t n_dims, float *v);
const char *plumb__onnx_const_i(plumb__onnx *o, const char *base, const int64_t *dims, size_t n_dims, int64_t *v);

/* A graph input or output called name of element type elem (ONNX__TENSOR_PROTO__DATA_TYPE__*), shape [N, cols]
 * (N symbolic) or [N] when cols < 0. */
void plumb__onnx_input(plumb__onnx *o, const char *name, int32_t elem, int64_t cols);
void plumb__onnx_output(plumb__onnx *o, const char *name, int32_t elem, int64_t cols);

/* The type of an intermediate tensor: elem, shape dims (n_dims <= 3; negative: the symbolic N). */
void plumb__onnx_value_info(plumb__onnx *o, const char *name, int32_t elem, const int64_t *dims, size_t n_dims);

/* A key of the model's metadata_props (up to 4). */
void plumb__onnx_meta(plumb__onnx *o, const char *key, const char *value);

/* The serialised ModelProto (malloc'ed into *buf, *len bytes) with the graph built so far, named name, the plumb
 * version as producer. PLUMB_ENOMEM when any allocation failed. */
plumb_status plumb__onnx_pack(plumb__onnx *o, const char *name, const char *doc, uint8_t **buf, size_t *len,
                              plumb_error *err);

/* Frees the graph; accepts NULL. */
void plumb__onnx_free(plumb__onnx *o);

/* ---- the kinds' translators: each adds the nodes from "features" (or the raw inputs) to the graph's outputs,
 * named "label" and "probabilities" (binary, multiclass) or "prediction" (regression) -------------------------- */

/* Gradient-boosted trees: TreeEnsembleClassifier (binary: LOGISTIC, multiclass: SOFTMAX) or
 * TreeEnsembleRegressor (and Exp for poisson). */
void plumb__onnx_gbdt(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names);

/* A CART tree: TreeEnsembleClassifier with the leaves' class shares, or TreeEnsembleRegressor. */
void plumb__onnx_cart(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names);

/* A linear or logistic model: its preprocessing (imputation, clipping, standardisation, missing indicators,
 * one-hot encoding) in ONNX operators, then LinearRegressor or LinearClassifier. */
void plumb__onnx_linear(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names);

#endif /* PLUMB_ONNX_ONNX_H */
