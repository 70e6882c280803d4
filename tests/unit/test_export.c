/* test_export.c -- the ONNX export's contract (plumb_model_export_onnx and _buffer): well-formed tree ensembles,
 * the file equal to the buffer, refusals with their messages, no file left behind.
 *
 * The exported bytes are read back with protobuf-c (the C generated from onnx-ml.proto, as the library uses) and
 * checked for what ONNX Runtime relies on: per tree, unique node ids, every child present, every node reachable
 * from node 0 and every walk ending in a leaf that votes; features within the ensemble's input. Whether the
 * predictions equal plumb's is ONNX Runtime's to tell: tests/cli/test_export.sh.
 */
#include "test.h"

#include "onnx-ml.pb-c.h"

#include <string.h>
#include <sys/stat.h>

#define DIR PLUMB_TEST_DATA "/models/"

static plumb_model *load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, DIR "%s.plumb", name);
    plumb_model *m = NULL;
    plumb_error err;
    plumb_test_ok(plumb_model_load(path, &m, &err), &err);
    return m;
}

static Onnx__ModelProto *export(const plumb_model *m) {
    void *data = NULL;
    size_t size = 0;
    plumb_error err;
    plumb_test_ok(plumb_model_export_onnx_buffer(m, &data, &size, &err), &err);
    Onnx__ModelProto *p = onnx__model_proto__unpack(NULL, size, data);
    free(data);
    assert_non_null(p);
    return p;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

/* The ints (or floats, strings) of attribute name, and their count in *len; fails when absent. */
static const int64_t *ints(const Onnx__NodeProto *n, const char *name, size_t *len) {
    const Onnx__AttributeProto *a = attr(n, name);
    assert_non_null(a);
    *len = a->n_ints;
    return a->ints;
}

/* Checks one ensemble: per tree the walk from node 0, the children, the votes. */
static void check_ensemble(const Onnx__NodeProto *n, int64_t width) {
    const bool cls = strcmp(n->op_type, "TreeEnsembleClassifier") == 0;
    size_t nn, k;
    const int64_t *tree = ints(n, "nodes_treeids", &nn), *id = ints(n, "nodes_nodeids", &k);
    assert_int_equal(k, nn);
    const int64_t *feat = ints(n, "nodes_featureids", &k);
    assert_int_equal(k, nn);
    const int64_t *yes = ints(n, "nodes_truenodeids", &k);
    assert_int_equal(k, nn);
    const int64_t *no = ints(n, "nodes_falsenodeids", &k);
    assert_int_equal(k, nn);
    ints(n, "nodes_missing_value_tracks_true", &k);
    assert_int_equal(k, nn);
    const Onnx__AttributeProto *modes = attr(n, "nodes_modes"), *values = attr(n, "nodes_values");
    assert_int_equal(modes->n_strings, nn);
    assert_int_equal(values->n_floats, nn);
    size_t nl;
    const int64_t *ltree = ints(n, cls ? "class_treeids" : "target_treeids", &nl);
    const int64_t *lid = ints(n, cls ? "class_nodeids" : "target_nodeids", &k);
    assert_int_equal(k, nl);
    assert_int_equal(attr(n, cls ? "class_weights" : "target_weights")->n_floats, nl);
    /* node ids of a tree are dense from 0 (ONNX's rule): index them */
    int64_t n_trees = 0, max_id = 0;
    for (size_t i = 0; i < nn; i++) {
        n_trees = tree[i] + 1 > n_trees ? tree[i] + 1 : n_trees;
        max_id = id[i] > max_id ? id[i] : max_id;
    }
    int64_t *at = malloc((size_t)(n_trees * (max_id + 1)) * sizeof *at);
    uint8_t *seen = calloc((size_t)(n_trees * (max_id + 1)), 1), *votes = calloc((size_t)(n_trees * (max_id + 1)), 1);
    assert_true(at && seen && votes);
    for (int64_t i = 0; i < n_trees * (max_id + 1); i++)
        at[i] = -1;
    for (size_t i = 0; i < nn; i++) {
        const int64_t slot = tree[i] * (max_id + 1) + id[i];
        assert_int_equal(at[slot], -1); /* each id once per tree */
        at[slot] = (int64_t)i;
        const bool leaf = modes->strings[i].len == 4 && memcmp(modes->strings[i].data, "LEAF", 4) == 0;
        if (!leaf)
            assert_true(feat[i] >= 0 && feat[i] < width);
    }
    for (size_t i = 0; i < nl; i++)
        votes[ltree[i] * (max_id + 1) + lid[i]] = 1;
    /* walk every tree from node 0 (a depth-first stack); shared children (categorical chains) are visited once */
    int64_t *stack = malloc((size_t)(nn + 1) * sizeof *stack);
    assert_non_null(stack);
    for (int64_t t = 0; t < n_trees; t++) {
        int64_t top = 0;
        assert_true(at[t * (max_id + 1)] >= 0);
        stack[top++] = 0;
        while (top > 0) {
            const int64_t node = stack[--top], slot = t * (max_id + 1) + node;
            assert_true(node >= 0 && node <= max_id && at[slot] >= 0);
            if (seen[slot])
                continue;
            seen[slot] = 1;
            const int64_t i = at[slot];
            if (modes->strings[i].len == 4 && memcmp(modes->strings[i].data, "LEAF", 4) == 0) {
                assert_true(votes[slot]);
                continue;
            }
            stack[top++] = yes[i];
            stack[top++] = no[i];
        }
    }
    for (size_t i = 0; i < nn; i++) /* nothing unreachable */
        assert_true(seen[tree[i] * (max_id + 1) + id[i]]);
    free(stack);
    free(at);
    free(seen);
    free(votes);
}

static void ensembles_are_well_formed(void **state) {
    (void)state;
    const char *const kinds[] = {"gbdt_binary", "gbdt_multiclass", "gbdt_poisson", "tree_binary", "tree_regression"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        plumb_model *m = load(kinds[k]);
        Onnx__ModelProto *p = export(m);
        assert_int_equal(p->ir_version, 8);
        assert_string_equal(p->producer_name, "plumb");
        int64_t width = 0;
        for (size_t i = 0; i < p->graph->n_input; i++) /* X [N, n] and C [N, n]: the ensemble reads X then C */
            width += p->graph->input[i]->type->tensor_type->shape->dim[1]->dim_value;
        int n_ensembles = 0;
        for (size_t i = 0; i < p->graph->n_node; i++)
            if (strncmp(p->graph->node[i]->op_type, "TreeEnsemble", 12) == 0) {
                check_ensemble(p->graph->node[i], width);
                n_ensembles++;
            }
        assert_int_equal(n_ensembles, 1);
        onnx__model_proto__free_unpacked(p, NULL);
        plumb_model_free(m);
    }
}

static void file_equals_buffer(void **state) {
    (void)state;
    plumb_model *m = load("logistic");
    char path[512];
    snprintf(path, sizeof path, "%s/plumb_test_export_%d.onnx", plumb_test_tmp_dir(), (int)getpid());
    plumb_error err;
    plumb_test_ok(plumb_model_export_onnx(m, path, &err), &err);
    void *data = NULL;
    size_t size = 0;
    plumb_test_ok(plumb_model_export_onnx_buffer(m, &data, &size, &err), &err);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *file = malloc(size + 1);
    assert_int_equal(fread(file, 1, size + 1, f), size);
    fclose(f);
    assert_memory_equal(file, data, size);
    free(file);
    free(data);
    unlink(path);
    plumb_model_free(m);
}

static void refusals_leave_no_file(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/plumb_test_refused_%d.onnx", plumb_test_tmp_dir(), (int)getpid());
    unlink(path);
    plumb_error err;
    plumb_model *cal = load("gbdt_calibrated"), *q = load("gbdt_q"), *g = load("gbdt_binary");
    assert_int_equal(plumb_model_export_onnx(cal, path, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "a calibrated model cannot be exported to ONNX: its calibration map has no ONNX "
                                     "operator; export the model trained without --calibrate");
    assert_int_equal(plumb_model_export_onnx(q, path, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "a gbdt_q model cannot be exported to ONNX: its thresholds are bin indices and "
                                     "its leaves integers; export the gbdt model it was quantised from");
    assert_int_equal(plumb_model_export_onnx(NULL, path, &err), PLUMB_EINVAL);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    void *data = (void *)1;
    size_t size = 1;
    assert_int_equal(plumb_model_export_onnx_buffer(cal, &data, &size, &err), PLUMB_EINVAL);
    assert_null(data);
    assert_int_equal(size, 0);
    assert_int_equal(plumb_model_export_onnx_buffer(g, NULL, &size, &err), PLUMB_EINVAL);
    /* a folder that does not exist: an I/O error naming it, nothing written */
    assert_int_equal(plumb_model_export_onnx(g, "/nonexistent-plumb-dir/m.onnx", &err), PLUMB_EIO);
    assert_string_equal(err.path, "/nonexistent-plumb-dir/m.onnx");
    plumb_model_free(cal);
    plumb_model_free(q);
    plumb_model_free(g);
}

PLUMB_TEST_MAIN(cmocka_unit_test(ensembles_are_well_formed), cmocka_unit_test(file_equals_buffer),
                cmocka_unit_test(refusals_leave_no_file))
