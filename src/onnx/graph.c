/* graph.c -- the ONNX graph builder: nodes, attributes, constants, inputs and outputs in protobuf-c structs, and
 * the serialised ModelProto.
 *
 * Everything is allocated from the builder's arena and freed at once (onnx.h). protobuf-c packs the structs as
 * they are: a repeated field is a count and a pointer to the values, a string a NUL-terminated char *, so the
 * builder fills those fields directly. The model declares IR version 8 with the ONNX opset 15 and the ai.onnx.ml
 * opset 3, the newest that ONNX 1.12's checker (Debian 12's python3-onnx) knows; the tests run the files in ONNX
 * Runtime 1.31.1.
 */
#include "onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 24 /* attributes of one node: TreeEnsembleClassifier has the most, 15 */
#define IR_VERSION 8
#define OPSET_ONNX 15
#define OPSET_ML 3

bool plumb__onnx_adopt(plumb__onnx *o, void *ptr) {
    if (!ptr) {
        o->oom = true;
        return false;
    }
    if (o->n_mem == o->cap_mem) {
        const size_t cap = o->cap_mem ? 2 * o->cap_mem : 256;
        void **mem = realloc(o->mem, cap * sizeof *mem);
        if (!mem) {
            free(ptr);
            o->oom = true;
            return false;
        }
        o->mem = mem;
        o->cap_mem = cap;
    }
    o->mem[o->n_mem++] = ptr;
    return true;
}

void *plumb__onnx_alloc(plumb__onnx *o, size_t size) {
    void *p = calloc(1, size ? size : 1);
    return plumb__onnx_adopt(o, p) ? p : NULL;
}

char *plumb__onnx_str(plumb__onnx *o, const char *s) {
    if (!s)
        return NULL;
    const size_t n = strlen(s) + 1;
    char *d = plumb__onnx_alloc(o, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *plumb__onnx_name(plumb__onnx *o, const char *base) {
    char buf[96];
    snprintf(buf, sizeof buf, "%s_%lld", base, (long long)o->n_names++);
    return plumb__onnx_str(o, buf);
}

/* Appends p to the array *arr (count *n, capacity *cap) grown in the arena. */
static bool push(plumb__onnx *o, void ***arr, size_t *n, size_t *cap, void *p) {
    if (!p)
        return false;
    if (*n == *cap) {
        const size_t c = *cap ? 2 * *cap : 16;
        void **a = plumb__onnx_alloc(o, c * sizeof *a);
        if (!a)
            return false;
        if (*n)
            memcpy(a, *arr, *n * sizeof *a);
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return true;
}

Onnx__NodeProto *plumb__onnx_node(plumb__onnx *o, const char *op, const char *domain, size_t n_in,
                                  const char *const *in, size_t n_out, const char *const *out) {
    Onnx__NodeProto *n = plumb__onnx_alloc(o, sizeof *n);
    char **ins = plumb__onnx_alloc(o, (n_in + 1) * sizeof *ins);
    char **outs = plumb__onnx_alloc(o, (n_out + 1) * sizeof *outs);
    Onnx__AttributeProto **attrs = plumb__onnx_alloc(o, MAX_ATTRS * sizeof *attrs);
    if (!n || !ins || !outs || !attrs)
        return NULL;
    onnx__node_proto__init(n);
    while (n_in > 0 && !in[n_in - 1])
        n_in--;
    for (size_t i = 0; i < n_in; i++)
        ins[i] = plumb__onnx_str(o, in[i] ? in[i] : "");
    for (size_t i = 0; i < n_out; i++)
        outs[i] = plumb__onnx_str(o, out[i]);
    n->n_input = n_in;
    n->input = ins;
    n->n_output = n_out;
    n->output = outs;
    n->op_type = plumb__onnx_str(o, op);
    n->domain = plumb__onnx_str(o, domain);
    n->name = plumb__onnx_name(o, op);
    n->attribute = attrs;
    return push(o, (void ***)&o->nodes, &o->n_nodes, &o->cap_nodes, n) ? n : NULL;
}

/* A new attribute of node n, of type t. */
static Onnx__AttributeProto *attr(plumb__onnx *o, Onnx__NodeProto *n, const char *name,
                                  Onnx__AttributeProto__AttributeType t) {
    if (!n || n->n_attribute >= MAX_ATTRS)
        return NULL;
    Onnx__AttributeProto *a = plumb__onnx_alloc(o, sizeof *a);
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = plumb__onnx_str(o, name);
    a->has_type = true;
    a->type = t;
    n->attribute[n->n_attribute++] = a;
    return a;
}

void plumb__onnx_attr_i(plumb__onnx *o, Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *a = attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = true;
        a->i = v;
    }
}

void plumb__onnx_attr_f(plumb__onnx *o, Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = true;
        a->f = v;
    }
}

void plumb__onnx_attr_s(plumb__onnx *o, Onnx__NodeProto *n, const char *name, const char *v) {
    Onnx__AttributeProto *a = attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    char *s = plumb__onnx_str(o, v);
    if (a && s) {
        a->has_s = true;
        a->s = (ProtobufCBinaryData){.len = strlen(s), .data = (uint8_t *)s};
    }
}

void plumb__onnx_attr_ints(plumb__onnx *o, Onnx__NodeProto *n, const char *name, int64_t *v, size_t count) {
    Onnx__AttributeProto *a = v ? attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) : NULL;
    if (a) {
        a->n_ints = count;
        a->ints = v;
    }
}

void plumb__onnx_attr_floats(plumb__onnx *o, Onnx__NodeProto *n, const char *name, float *v, size_t count) {
    Onnx__AttributeProto *a = v ? attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) : NULL;
    if (a) {
        a->n_floats = count;
        a->floats = v;
    }
}

void plumb__onnx_attr_strings(plumb__onnx *o, Onnx__NodeProto *n, const char *name, const char *const *v,
                              size_t count) {
    ProtobufCBinaryData *s = v ? plumb__onnx_alloc(o, (count + 1) * sizeof *s) : NULL;
    Onnx__AttributeProto *a = s ? attr(o, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS) : NULL;
    if (!a)
        return;
    for (size_t i = 0; i < count; i++)
        s[i] = (ProtobufCBinaryData){.len = strlen(v[i]), .data = (uint8_t *)(uintptr_t)v[i]};
    a->n_strings = count;
    a->strings = s;
}

/* A constant tensor of elem type with dims; the caller sets its data. */
static Onnx__TensorProto *tensor(plumb__onnx *o, const char *base, int32_t elem, const int64_t *dims, size_t n_dims) {
    Onnx__TensorProto *t = plumb__onnx_alloc(o, sizeof *t);
    int64_t *d = plumb__onnx_alloc(o, (n_dims + 1) * sizeof *d);
    if (!t || !d)
        return NULL;
    onnx__tensor_proto__init(t);
    if (n_dims)
        memcpy(d, dims, n_dims * sizeof *d);
    t->n_dims = n_dims;
    t->dims = d;
    t->has_data_type = true;
    t->data_type = elem;
    t->name = plumb__onnx_name(o, base);
    return push(o, (void ***)&o->inits, &o->n_inits, &o->cap_inits, t) ? t : NULL;
}

static size_t n_values(const int64_t *dims, size_t n_dims) {
    size_t n = 1;
    for (size_t i = 0; i < n_dims; i++)
        n *= (size_t)dims[i];
    return n;
}

const char *plumb__onnx_const_f(plumb__onnx *o, const char *base, const int64_t *dims, size_t n_dims, float *v) {
    Onnx__TensorProto *t = v ? tensor(o, base, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, n_dims) : NULL;
    if (!t)
        return NULL;
    t->n_float_data = n_values(dims, n_dims);
    t->float_data = v;
    return t->name;
}

const char *plumb__onnx_const_i(plumb__onnx *o, const char *base, const int64_t *dims, size_t n_dims, int64_t *v) {
    Onnx__TensorProto *t = v ? tensor(o, base, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, n_dims) : NULL;
    if (!t)
        return NULL;
    t->n_int64_data = n_values(dims, n_dims);
    t->int64_data = v;
    return t->name;
}

/* A value info: name, tensor of elem, shape dims (n_dims of them, at most 3; a negative one is the symbolic N). */
static Onnx__ValueInfoProto *value_info(plumb__onnx *o, const char *name, int32_t elem, const int64_t *dims,
                                        size_t n_dims) {
    Onnx__ValueInfoProto *vi = plumb__onnx_alloc(o, sizeof *vi);
    Onnx__TypeProto *tp = plumb__onnx_alloc(o, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = plumb__onnx_alloc(o, sizeof *tt);
    Onnx__TensorShapeProto *sh = plumb__onnx_alloc(o, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dv = plumb__onnx_alloc(o, (n_dims + 1) * sizeof *dv);
    if (!vi || !tp || !tt || !sh || !dv)
        return NULL;
    for (size_t i = 0; i < n_dims; i++) {
        Onnx__TensorShapeProto__Dimension *d = plumb__onnx_alloc(o, sizeof *d);
        if (!d)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] < 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = plumb__onnx_str(o, "N");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        dv[i] = d;
    }
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = n_dims;
    sh->dim = dv;
    tt->has_elem_type = true;
    tt->elem_type = elem;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = plumb__onnx_str(o, name);
    vi->type = tp;
    return vi;
}

void plumb__onnx_value_info(plumb__onnx *o, const char *name, int32_t elem, const int64_t *dims, size_t n_dims) {
    push(o, (void ***)&o->vinfo, &o->n_vinfo, &o->cap_vinfo, value_info(o, name, elem, dims, n_dims));
}

void plumb__onnx_input(plumb__onnx *o, const char *name, int32_t elem, int64_t cols) {
    Onnx__ValueInfoProto *vi = value_info(o, name, elem, (const int64_t[]){-1, cols}, cols < 0 ? 1 : 2);
    if (vi && o->n_inputs < sizeof o->inputs / sizeof *o->inputs)
        o->inputs[o->n_inputs++] = vi;
}

void plumb__onnx_output(plumb__onnx *o, const char *name, int32_t elem, int64_t cols) {
    Onnx__ValueInfoProto *vi = value_info(o, name, elem, (const int64_t[]){-1, cols}, cols < 0 ? 1 : 2);
    if (vi && o->n_outputs < sizeof o->outputs / sizeof *o->outputs)
        o->outputs[o->n_outputs++] = vi;
}

void plumb__onnx_meta(plumb__onnx *o, const char *key, const char *value) {
    Onnx__StringStringEntryProto *e = plumb__onnx_alloc(o, sizeof *e);
    if (!e || o->n_meta >= sizeof o->meta / sizeof *o->meta)
        return;
    onnx__string_string_entry_proto__init(e);
    e->key = plumb__onnx_str(o, key);
    e->value = plumb__onnx_str(o, value);
    o->meta[o->n_meta++] = e;
}

plumb_status plumb__onnx_pack(plumb__onnx *o, const char *name, const char *doc, uint8_t **buf, size_t *len,
                              plumb_error *err) {
    *buf = NULL;
    *len = 0;
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto onnx = ONNX__OPERATOR_SET_ID_PROTO__INIT, ml = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[2] = {&onnx, &ml};
    onnx.domain = "";
    onnx.has_version = ml.has_version = true;
    onnx.version = OPSET_ONNX;
    ml.domain = "ai.onnx.ml";
    ml.version = OPSET_ML;
    graph.name = (char *)(uintptr_t)name;
    graph.doc_string = (char *)(uintptr_t)doc;
    graph.n_node = o->n_nodes;
    graph.node = o->nodes;
    graph.n_initializer = o->n_inits;
    graph.initializer = o->inits;
    graph.n_input = o->n_inputs;
    graph.input = o->inputs;
    graph.n_output = o->n_outputs;
    graph.output = o->outputs;
    graph.n_value_info = o->n_vinfo;
    graph.value_info = o->vinfo;
    model.has_ir_version = true;
    model.ir_version = IR_VERSION;
    model.n_opset_import = 2;
    model.opset_import = opsets;
    model.producer_name = "plumb";
    model.producer_version = (char *)(uintptr_t)plumb_version();
    model.doc_string = (char *)(uintptr_t)doc;
    model.graph = &graph;
    model.n_metadata_props = o->n_meta;
    model.metadata_props = o->meta;
    if (o->oom)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory building the ONNX graph");
    const size_t n = onnx__model_proto__get_packed_size(&model);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory writing the ONNX model (%zu bytes)", n);
    *len = onnx__model_proto__pack(&model, b);
    *buf = b;
    return PLUMB_OK;
}

void plumb__onnx_free(plumb__onnx *o) {
    if (!o)
        return;
    for (size_t i = 0; i < o->n_mem; i++)
        free(o->mem[i]);
    free(o->mem);
    memset(o, 0, sizeof *o);
}
