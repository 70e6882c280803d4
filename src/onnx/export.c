/* export.c -- plumb_model_export_onnx: a plumb model as an ONNX model (docs/export.md).
 *
 * The graph's inputs, the same for every kind: "X", float [N, n_numeric], the numeric and bool features in the
 * model's feature order (a bool as 0 or 1, NaN for a missing value), and "C", string [N, n_categorical], the
 * categorical features in that order (a value as the text in the CSV); either is left out when the model has no
 * such feature. The metadata key "plumb.inputs" lists their columns by name. The front end (here) splits C into
 * columns; the kind's translator (trees.c, linear.c) builds the rest: the tree ensembles read "features", X and
 * the codes of C (plumb__onnx_features); the linear models one-hot encode C themselves.
 *
 * What is refused: a model with a calibrator (no ONNX operator computes plumb's isotonic or Platt map on top of an
 * ensemble's probabilities without a hand-built lookup), and the quantised kind gbdt_q (ONNX's ensembles hold
 * float thresholds and leaves: export the gbdt model it was made from, which predicts the same splits).
 */
#include "onnx.h"
#include "../base/base.h"
#include "../linear/linear.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The schema column of model feature f. */
static const plumb__schema_col *feature_col(const plumb_model *m, int64_t f) {
    return &m->schema->cols[m->feature_col[f]];
}

const char *plumb__onnx_features(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe) {
    if (fe->features)
        return fe->features;
    if (fe->n_categorical == 0)
        return fe->features = fe->x;
    if (!fe->c_cols)
        return NULL;
    const size_t n_in = (size_t)(fe->n_categorical + (fe->x ? 1 : 0));
    const char **in = plumb__onnx_alloc(o, n_in * sizeof *in);
    if (!in)
        return NULL;
    size_t at = 0;
    if (fe->x)
        in[at++] = fe->x;
    size_t n_missing;
    const char *const *missing = plumb__csv_default_missing(&n_missing);
    for (int64_t f = 0; f < m->n_features; f++) {
        if (!fe->is_cat[f])
            continue;
        const plumb__dict *d = &feature_col(m, f)->cats;
        const size_t n_keys = (size_t)d->n + n_missing;
        const char **keys = plumb__onnx_alloc(o, n_keys * sizeof *keys);
        float *values = plumb__onnx_alloc(o, n_keys * sizeof *values);
        if (!keys || !values)
            return NULL;
        size_t k = 0;
        for (int32_t c = 0; c < d->n; c++) {
            keys[k] = plumb__dict_str(d, c);
            values[k++] = (float)c;
        }
        for (size_t i = 0; i < n_missing; i++) /* a category spelt like a missing value stays a category */
            if (plumb__dict_find(d, missing[i], strlen(missing[i])) < 0) {
                keys[k] = missing[i];
                values[k++] = NAN;
            }
        const char *code = plumb__onnx_name(o, "code");
        Onnx__NodeProto *n = plumb__onnx_node(o, "LabelEncoder", "ai.onnx.ml", 1, &fe->c_cols[fe->col[f]], 1, &code);
        plumb__onnx_attr_strings(o, n, "keys_strings", keys, k);
        plumb__onnx_attr_floats(o, n, "values_floats", values, k);
        plumb__onnx_attr_f(o, n, "default_float", PLUMB__ONNX_CODE_UNSEEN);
        in[at++] = code;
    }
    const char *features = "features";
    Onnx__NodeProto *n = plumb__onnx_node(o, "Concat", "", n_in, in, 1, &features);
    plumb__onnx_attr_i(o, n, "axis", 1);
    return fe->features = features;
}

/* The front end: inputs X and C (with C split into its columns), the feature layout, the metadata. */
static void front(plumb__onnx *o, const plumb_model *m, plumb__onnx_front *fe) {
    const int64_t F = m->n_features;
    fe->col = plumb__onnx_alloc(o, (size_t)(F + 1) * sizeof *fe->col);
    fe->fcol = plumb__onnx_alloc(o, (size_t)(F + 1) * sizeof *fe->fcol);
    fe->is_cat = plumb__onnx_alloc(o, (size_t)(F + 1) * sizeof *fe->is_cat);
    json_t *meta = json_object(), *xs = json_array(), *cs = json_array(), *bools = json_array();
    if (!fe->col || !fe->fcol || !fe->is_cat || !meta || !xs || !cs || !bools) {
        o->oom = true;
        goto done;
    }
    for (int64_t f = 0; f < F; f++) {
        const plumb__schema_col *c = feature_col(m, f);
        fe->is_cat[f] = c->type == PLUMB_TYPE_CATEGORICAL;
        fe->col[f] = fe->is_cat[f] ? fe->n_categorical++ : fe->n_numeric++;
        if (json_array_append_new(fe->is_cat[f] ? cs : xs, json_string(c->name)) ||
            (c->type == PLUMB_TYPE_BOOL && json_array_append_new(bools, json_string(c->name))))
            o->oom = true; /* a column missing from the lists would shift the others: fail instead */
    }
    for (int64_t f = 0; f < F; f++)
        fe->fcol[f] = fe->is_cat[f] ? fe->n_numeric + fe->col[f] : fe->col[f];
    if (fe->n_numeric > 0) {
        fe->x = "X";
        plumb__onnx_input(o, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, fe->n_numeric);
    }
    if (fe->n_categorical > 0) {
        const char *c = "C";
        plumb__onnx_input(o, c, ONNX__TENSOR_PROTO__DATA_TYPE__STRING, fe->n_categorical);
        fe->c_cols = plumb__onnx_alloc(o, (size_t)fe->n_categorical * sizeof *fe->c_cols);
        for (int64_t j = 0; fe->c_cols && j < fe->n_categorical; j++)
            fe->c_cols[j] = plumb__onnx_name(o, "C_col");
        if (fe->n_categorical == 1) {
            if (fe->c_cols)
                plumb__onnx_node(o, "Identity", "", 1, &c, 1, fe->c_cols);
        } else {
            Onnx__NodeProto *n =
                fe->c_cols ? plumb__onnx_node(o, "Split", "", 1, &c, (size_t)fe->n_categorical, fe->c_cols) : NULL;
            plumb__onnx_attr_i(o, n, "axis", 1);
        }
    }
    if (json_object_set_new(meta, "X", xs) | json_object_set_new(meta, "C", cs) |
        json_object_set_new(meta, "bool", bools))
        o->oom = true;
    xs = cs = bools = NULL; /* stolen by meta, even on failure */
    char *text = json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        o->oom = true;
    else
        plumb__onnx_meta(o, "plumb.inputs", text);
    free(text);
done:
    json_decref(meta);
    json_decref(xs);
    json_decref(cs);
    json_decref(bools);
}

/* The class labels: binary [negative, positive] (the target's categories, or "0" and "1"), multiclass the
 * target's categories in order; NULL (with oom set) when out of memory. */
static const char **class_names(plumb__onnx *o, const plumb_model *m) {
    const int64_t K = m->task == PLUMB_TASK_MULTICLASS ? m->n_outputs : 2;
    const char **names = plumb__onnx_alloc(o, (size_t)K * sizeof *names);
    const plumb__schema_col *target = NULL;
    for (int64_t j = 0; j < m->schema->n; j++)
        if (m->schema->cols[j].role == PLUMB_ROLE_TARGET)
            target = &m->schema->cols[j];
    if (!names)
        return NULL;
    const bool text = target && target->type == PLUMB_TYPE_CATEGORICAL && target->cats.n == K;
    if (m->task == PLUMB_TASK_BINARY && text) {
        const char *pos = plumb_model_positive_class(m);
        const int32_t pc = pos ? plumb__dict_find(&target->cats, pos, strlen(pos)) : 1;
        names[0] = plumb__dict_str(&target->cats, pc == 0 ? 1 : 0);
        names[1] = plumb__dict_str(&target->cats, pc == 0 ? 0 : 1);
    } else {
        for (int64_t k = 0; k < K; k++) {
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)k);
            names[k] = text ? plumb__dict_str(&target->cats, (int32_t)k) : plumb__onnx_str(o, buf);
        }
    }
    return names;
}

/* Why model m cannot be exported (PLUMB_EINVAL), or PLUMB_OK. */
static plumb_status check(const plumb_model *m, plumb_error *err) {
    if (!m)
        return plumb__fail(err, PLUMB_EINVAL, "no model (NULL)");
    if (m->ops->kind == PLUMB_MODEL_GBDT_Q)
        return plumb__fail(err, PLUMB_EINVAL,
                           "a gbdt_q model cannot be exported to ONNX: its thresholds are bin indices and its leaves "
                           "integers; export the gbdt model it was quantised from");
    if (m->ops->kind != PLUMB_MODEL_GBDT && m->ops->kind != PLUMB_MODEL_TREE && m->ops->kind != PLUMB_MODEL_LINEAR)
        return plumb__fail(err, PLUMB_EINVAL, "a %s model cannot be exported to ONNX", m->ops->name);
    if (m->calibrator)
        return plumb__fail(err, PLUMB_EINVAL,
                           "a calibrated model cannot be exported to ONNX: its calibration map has no ONNX operator; "
                           "export the model trained without --calibrate");
    if (m->ops->kind == PLUMB_MODEL_LINEAR && plumb__linear_of(m)->p <= 1)
        return plumb__fail(err, PLUMB_EINVAL, "a linear model of its intercept alone cannot be exported to ONNX");
    if (m->task == PLUMB_TASK_MULTICLASS && m->ops->kind != PLUMB_MODEL_GBDT)
        return plumb__fail(err, PLUMB_EINVAL, "a multiclass %s model cannot be exported to ONNX", m->ops->name);
    return PLUMB_OK;
}

plumb_status plumb_model_export_onnx_buffer(const plumb_model *m, void **data, size_t *size, plumb_error *err) {
    if (!data || !size)
        return plumb__fail(err, PLUMB_EINVAL, "export: no output buffer (NULL)");
    *data = NULL;
    *size = 0;
    plumb_status st = check(m, err);
    if (st != PLUMB_OK)
        return st;
    plumb__onnx o = {0};
    plumb__onnx_front fe = {0};
    front(&o, m, &fe);
    const char **names = class_names(&o, m);
    if (!o.oom) {
        if (m->ops->kind == PLUMB_MODEL_GBDT)
            plumb__onnx_gbdt(&o, m, &fe, names);
        else if (m->ops->kind == PLUMB_MODEL_TREE)
            plumb__onnx_cart(&o, m, &fe, names);
        else
            plumb__onnx_linear(&o, m, &fe, names);
    }
    char doc[160];
    snprintf(doc, sizeof doc, "plumb %s model (%s), exported by plumb %s", m->ops->name, plumb__task_name(m->task),
             plumb_version());
    plumb__onnx_meta(&o, "plumb.kind", m->ops->name);
    plumb__onnx_meta(&o, "plumb.task", plumb__task_name(m->task));
    uint8_t *buf = NULL;
    size_t len = 0;
    st = plumb__onnx_pack(&o, "plumb", doc, &buf, &len, err);
    plumb__onnx_free(&o);
    if (st == PLUMB_OK) {
        *data = buf;
        *size = len;
    }
    return st;
}

plumb_status plumb_model_export_onnx(const plumb_model *m, const char *path, plumb_error *err) {
    void *data = NULL;
    size_t size = 0;
    plumb_outfile *f = NULL;
    FILE *stream = NULL;
    plumb_status st = plumb_model_export_onnx_buffer(m, &data, &size, err);
    if (st == PLUMB_OK)
        st = plumb_outfile_open(path, &f, &stream, err);
    if (st == PLUMB_OK) {
        if (fwrite(data, 1, size, stream) != size) {
            plumb_outfile_abort(f);
            st = plumb__fail(err, PLUMB_EIO, "cannot write '%s'", path);
        } else {
            st = plumb_outfile_commit(f, err);
        }
    }
    free(data);
    return st;
}
