/* linear.c -- linear and logistic models as ONNX: their preprocessing in operators, then ai.onnx.ml
 * LinearRegressor / LinearClassifier.
 *
 * plumb's design row (src/linear/linear.h) is rebuilt from the inputs X and C:
 *   numeric and bool columns of X:  Z = Scaler(Where(IsNaN(X), fill, Min(Max(X, lo), hi)), center, 1/scale)
 *     (clip, impute the missing with the training median or most frequent value, standardise; a bool column has
 *     no bounds, center 0, scale 1), and the missing indicators Cast(IsNaN(X)) as floats;
 *   categorical columns of C:       OneHotEncoder over the kept categories (zeros = 1: any other value, a missing
 *     one too, is all zeros, as in plumb), flattened to [N, kept].
 * The pieces are concatenated in that order, and the coefficients are permuted to it (an indicator column that
 * plumb does not have gets coefficient 0). Logistic models give LinearClassifier two rows, -beta and beta, with
 * the LOGISTIC transform: the probabilities [1 - p, p] come out with no special two-class case.
 *
 * ONNX computes in float32 where plumb computes the design and the sum in double: the difference is of the order
 * of float32's precision, well within the tests' 1e-5 on the credit data. An infinite value that no clipping
 * bounds, which plumb refuses, gives NaN or infinity here.
 */
#include "onnx.h"
#include "../linear/linear.h"

#include <math.h>
#include <string.h>

void plumb__onnx_linear(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe, const char *const *class_names) {
    const plumb__linear *lin = plumb__linear_of(m);
    const int64_t nx = fe->n_numeric, F = lin->n_inputs;
    const char **parts = plumb__onnx_alloc(o, (size_t)(fe->n_categorical + 2) * sizeof *parts);
    size_t n_parts = 0;
    bool any_indicator = false;
    for (int64_t k = 0; k < F; k++)
        any_indicator |= lin->inputs[k].type != PLUMB_TYPE_CATEGORICAL && lin->inputs[k].indicator;
    /* the design column each concatenated column stands for comes from pos[] below */
    int64_t *pos = plumb__onnx_alloc(o, (size_t)(lin->p + 1) * sizeof *pos);
    if (!pos || !parts || (fe->n_categorical > 0 && !fe->c_cols))
        return;
    int64_t width = 0;
    if (nx > 0) {
        float *lo = plumb__onnx_alloc(o, (size_t)nx * sizeof *lo), *hi = plumb__onnx_alloc(o, (size_t)nx * sizeof *hi);
        float *fill = plumb__onnx_alloc(o, (size_t)nx * sizeof *fill);
        float *center = plumb__onnx_alloc(o, (size_t)nx * sizeof *center);
        float *inv = plumb__onnx_alloc(o, (size_t)nx * sizeof *inv);
        if (!lo || !hi || !fill || !center || !inv)
            return;
        for (int64_t k = 0; k < F; k++) {
            const plumb__linear_input *in = &lin->inputs[k];
            if (in->type == PLUMB_TYPE_CATEGORICAL)
                continue;
            const int64_t x = fe->col[k];
            const bool num = in->type == PLUMB_TYPE_NUMERIC;
            lo[x] = num ? (float)in->lo : -INFINITY;
            hi[x] = num ? (float)in->hi : INFINITY;
            fill[x] = (float)in->fill;
            center[x] = num ? (float)in->center : 0.0f;
            inv[x] = num ? (float)(1 / in->scale) : 1.0f;
            pos[in->first] = x;
            if (in->indicator)
                pos[in->first + 1] = nx + x;
        }
        const int64_t dims[1] = {nx};
        const char *x = fe->x;
        const char *nan = plumb__onnx_name(o, "missing"), *a = plumb__onnx_name(o, "above_lo");
        const char *b = plumb__onnx_name(o, "clipped"), *f = plumb__onnx_name(o, "imputed");
        const char *z = plumb__onnx_name(o, "standardised");
        plumb__onnx_node(o, "IsNaN", "", 1, &x, 1, &nan);
        plumb__onnx_node(o, "Max", "", 2, (const char *[]){x, plumb__onnx_const_f(o, "lo", dims, 1, lo)}, 1, &a);
        plumb__onnx_node(o, "Min", "", 2, (const char *[]){a, plumb__onnx_const_f(o, "hi", dims, 1, hi)}, 1, &b);
        plumb__onnx_node(o, "Where", "", 3, (const char *[]){nan, plumb__onnx_const_f(o, "fill", dims, 1, fill), b}, 1,
                         &f);
        Onnx__NodeProto *s = plumb__onnx_node(o, "Scaler", "ai.onnx.ml", 1, &f, 1, &z);
        plumb__onnx_attr_floats(o, s, "offset", center, (size_t)nx);
        plumb__onnx_attr_floats(o, s, "scale", inv, (size_t)nx);
        plumb__onnx_value_info(o, z, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, (const int64_t[]){-1, nx}, 2);
        parts[n_parts++] = z;
        width = nx;
        if (any_indicator) {
            const char *ind = plumb__onnx_name(o, "indicator");
            Onnx__NodeProto *c = plumb__onnx_node(o, "Cast", "", 1, &nan, 1, &ind);
            plumb__onnx_attr_i(o, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
            parts[n_parts++] = ind;
            width += nx;
        }
    }
    for (int64_t k = 0; k < F; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        if (in->type != PLUMB_TYPE_CATEGORICAL || in->n_levels == 0)
            continue;
        const plumb__dict *d = &m->schema->cols[in->column].cats;
        const char **cats = plumb__onnx_alloc(o, (size_t)in->n_levels * sizeof *cats);
        if (!cats)
            return;
        for (int32_t l = 0; l < in->n_levels; l++) {
            cats[l] = plumb__dict_str(d, in->levels[l]);
            pos[in->first + l] = width + l;
        }
        const char *oh = plumb__onnx_name(o, "onehot"), *flat = plumb__onnx_name(o, "onehot_flat");
        Onnx__NodeProto *n = plumb__onnx_node(o, "OneHotEncoder", "ai.onnx.ml", 1, &fe->c_cols[fe->col[k]], 1, &oh);
        plumb__onnx_attr_strings(o, n, "cats_strings", cats, (size_t)in->n_levels);
        plumb__onnx_attr_i(o, n, "zeros", 1);
        /* ONNX 1.12 infers no type for OneHotEncoder's output: declare it (and Scaler's), so the checker can follow the
         * graph */
        plumb__onnx_value_info(o, oh, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, (const int64_t[]){-1, 1, in->n_levels}, 3);
        Onnx__NodeProto *fl = plumb__onnx_node(o, "Flatten", "", 1, &oh, 1, &flat);
        plumb__onnx_attr_i(o, fl, "axis", 1);
        parts[n_parts++] = flat;
        width += in->n_levels;
    }
    const char *design = plumb__onnx_name(o, "design");
    Onnx__NodeProto *cat = plumb__onnx_node(o, "Concat", "", n_parts, parts, 1, &design);
    plumb__onnx_attr_i(o, cat, "axis", 1);
    const bool binary = m->task == PLUMB_TASK_BINARY;
    const int64_t rows = binary ? 2 : 1;
    float *coef = plumb__onnx_alloc(o, (size_t)(rows * width + 1) * sizeof *coef);
    float *icpt = plumb__onnx_alloc(o, (size_t)rows * sizeof *icpt);
    if (!coef || !icpt)
        return;
    for (int64_t j = 1; j < lin->p; j++)
        coef[(rows - 1) * width + pos[j]] = (float)lin->beta[j];
    icpt[rows - 1] = (float)lin->beta[0];
    if (binary) {
        for (int64_t j = 0; j < width; j++)
            coef[j] = -coef[width + j];
        icpt[0] = -icpt[1];
        Onnx__NodeProto *n = plumb__onnx_node(o, "LinearClassifier", "ai.onnx.ml", 1, &design, 2,
                                              (const char *[]){"label", "probabilities"});
        plumb__onnx_attr_floats(o, n, "coefficients", coef, (size_t)(2 * width));
        plumb__onnx_attr_floats(o, n, "intercepts", icpt, 2);
        plumb__onnx_attr_strings(o, n, "classlabels_strings", class_names, 2);
        plumb__onnx_attr_s(o, n, "post_transform", "LOGISTIC");
        plumb__onnx_output(o, "label", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, -1);
        plumb__onnx_output(o, "probabilities", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    } else {
        Onnx__NodeProto *n =
            plumb__onnx_node(o, "LinearRegressor", "ai.onnx.ml", 1, &design, 1, (const char *[]){"prediction"});
        plumb__onnx_attr_floats(o, n, "coefficients", coef, (size_t)width);
        plumb__onnx_attr_floats(o, n, "intercepts", icpt, 1);
        plumb__onnx_attr_i(o, n, "targets", 1);
        plumb__onnx_output(o, "prediction", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1);
    }
}
