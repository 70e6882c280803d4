/* codegen.c -- the C source of a compiled gradient-boosted model.
 *
 * Each tree becomes one function that walks a run of rows through an if/else nest with the split values as
 * constants and adds each row's leaf value to its raw score; the entry functions start every row at the initial
 * scores and call the trees in the model's order, so the leaf values are added in the order the interpreted walk
 * adds them and the sums are the same doubles. The branch towards the child that more training rows took is
 * marked likely: on the benchmark model the average row stops after 4 of up to 33 levels, so the branches predict
 * well and a tree costs a few compares.
 *
 * The decisions are the interpreted model's exactly (gbdt.h): a numeric split "bin(x) <= b" is "x <= edges[b-1]"
 * with the float edge written as a hexadecimal literal (no rounding), NaN takes the split's missing direction
 * (written as !(x > edge) when missing values go left), and a categorical feature's value becomes its bin (code + 1,
 * 0 when missing or unseen) before its bitset is tested. Leaf values and initial scores are hexadecimal doubles.
 */
#include "compiled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per run: the float copy of a run of double rows lives on the stack, at most 16 KiB. */
static int64_t run_rows(int64_t n_features) {
    const int64_t r = 4096 / (n_features > 0 ? n_features : 1);
    return r < 1 ? 1 : r > 64 ? 64 : r;
}

/* Training rows that reached child c (a node >= 0 or ~leaf) of tree t. */
static int64_t reached(const plumb__gbdt_tree *t, int32_t c) {
    return c >= 0 ? t->node_count[c] : t->leaf_count[~c];
}

/* A float constant, exactly: hexadecimal, or the compiler's infinity. */
static void literal(FILE *f, float x) {
    if (isinf(x))
        fputs(x > 0 ? "__builtin_inff()" : "-__builtin_inff()", f);
    else
        fprintf(f, "%af", (double)x);
}

/* The condition under which a row goes left at node o of tree t (feature values in r[]). */
static void condition(FILE *f, const plumb__gbdt *g, const plumb__gbdt_tree *t, int32_t o) {
    const int32_t fi = t->feature[o];
    const plumb__feature *ft = &g->features[fi];
    const bool ml = t->missing_left[o];
    if (ft->n_categories > 0) { /* on the bin: code + 1, 0 when missing or unseen */
        if (t->cat_begin && t->cat_begin[o] >= 0)
            fprintf(f, "cat_left(cbin(r[%d], %d), b%d + %d, %d)", fi, ft->n_categories, (int)(t - g->trees),
                    t->cat_begin[o], t->cat_words[o]);
        else
            fprintf(f, "num_left(cbin(r[%d], %d), %u, %d)", fi, ft->n_categories, (unsigned)t->bin[o], ml);
        return;
    }
    const int32_t ne = ft->n_bins - 2, b = t->bin[o];
    if (b == 0) /* only missing values go left */
        fprintf(f, ml ? "r[%d] != r[%d]" : "0 && r[%d] != r[%d]", fi, fi);
    else if (b > ne) /* every number goes left */
        fprintf(f, ml ? "1 || r[%d] == r[%d]" : "r[%d] == r[%d]", fi, fi);
    else {
        fprintf(f, ml ? "!(r[%d] > " : "r[%d] <= ", fi);
        literal(f, ft->edges[b - 1]);
        fputs(ml ? ")" : "", f);
    }
}

static void indent(FILE *f, int depth) {
    fprintf(f, "%*s", 4 * depth, "");
}

/* The nest below child c of tree t: assigns the leaf value to v. Recursion is as deep as the tree. */
static void nest(FILE *f, const plumb__gbdt *g, const plumb__gbdt_tree *t, int32_t c, int depth) {
    if (c < 0) {
        indent(f, depth);
        fprintf(f, "v = %a;\n", t->leaf_value[~c]);
        return;
    }
    const int64_t nl = reached(t, t->left[c]), nr = reached(t, t->right[c]);
    indent(f, depth);
    fprintf(f, nl == nr ? "if (" : "if (__builtin_expect(");
    condition(f, g, t, c);
    fprintf(f, nl == nr ? ") {\n" : ", %d)) {\n", nl > nr);
    nest(f, g, t, t->left[c], depth + 1);
    indent(f, depth);
    fprintf(f, "} else {\n");
    nest(f, g, t, t->right[c], depth + 1);
    indent(f, depth);
    fprintf(f, "}\n");
}

static const char *prologue =
    "#include <stdint.h>\n"
    "\n"
    "/* plumb.h's plumb_compiled_abi, ABI version 1 (docs/compile.md) */\n"
    "typedef struct plumb_compiled_abi {\n"
    "    uint32_t abi_version;\n"
    "    uint32_t struct_size;\n"
    "    char model_sha256[65];\n"
    "    int64_t n_features, n_outputs, n_trees;\n"
    "    void (*score_f32)(const float *x, int64_t n, double *out);\n"
    "    void (*score_f64)(const double *x, int64_t n, double *out);\n"
    "} plumb_compiled_abi;\n"
    "\n"
    "/* the bin of a categorical feature's value: code + 1, 0 when missing or unseen (gbdt.h: plumb__bin_of) */\n"
    "static inline uint32_t cbin(float v, int32_t n) {\n"
    "    return (uint16_t)(v >= 0 && v < (float)n ? (int32_t)v + 1 : 0);\n"
    "}\n"
    "static inline int cat_left(uint32_t b, const uint32_t *bits, uint32_t words) {\n"
    "    return b < 32u * words && ((bits[b >> 5] >> (b & 31)) & 1);\n"
    "}\n"
    "static inline int num_left(uint32_t b, uint32_t split, int missing_left) {\n"
    "    return b == 0 ? missing_left : b <= split;\n"
    "}\n";

plumb_status plumb__compiled_source(const plumb_model *model, const char *sha256, char **out, size_t *n,
                                    plumb_compile_info *info, plumb_error *err) {
    const plumb__gbdt *g = plumb__gbdt_of(model);
    const int64_t F = g->n_features, K = g->n_classes, R = run_rows(F);
    *out = NULL;
    *n = 0;
    info->n_nodes = 0;
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        for (int32_t o = 0; t->cat_begin && o < t->n_leaves - 1; o++)
            if (t->cat_begin[o] >= 0 && g->features[t->feature[o]].n_categories <= 0)
                return plumb__fail(err, PLUMB_EINVAL,
                                   "tree %lld has a categorical split on numeric feature %d: "
                                   "it cannot be compiled",
                                   (long long)k, t->feature[o]);
    }
    FILE *f = open_memstream(out, n);
    if (!f)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    fprintf(f,
            "/* generated by plumb compile from the model with checksum %s: %lld trees, %lld features, %lld "
            "outputs.\n * Scores equal the interpreted model's to the bit; see docs/compile.md. */\n",
            sha256, (long long)g->n_trees, (long long)F, (long long)K);
    fputs(prologue, f);
    fprintf(f, "\n#define F %lld\n#define K %lld\n#define RUN %lld\n\n", (long long)F, (long long)K, (long long)R);
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        if (t->cat_begin) {
            fprintf(f, "static const uint32_t b%lld[] = {", (long long)k);
            for (int32_t w = 0; w < t->n_cat_bits; w++)
                fprintf(f, "%s0x%xu", w ? ", " : "", t->cat_bits[w]);
            fprintf(f, "%s};\n", t->n_cat_bits ? "" : "0");
        }
        fprintf(f, "static void t%lld(const float *restrict x, int64_t n, double *restrict out) {\n", (long long)k);
        fprintf(f, "    for (int64_t i = 0; i < n; i++) {\n        const float *r = x + i * F;\n        double v;\n");
        if (t->n_leaves == 1)
            fprintf(f, "        (void)r;\n");
        nest(f, g, t, t->n_leaves > 1 ? 0 : ~0, 2);
        fprintf(f, "        out[i * K + %lld] += v;\n    }\n}\n", (long long)(k % K));
        info->n_nodes += t->n_leaves - 1;
    }
    fprintf(f, "\nstatic void run(const float *restrict x, int64_t n, double *restrict out) {\n"
               "    for (int64_t i = 0; i < n; i++) {\n");
    for (int64_t k = 0; k < K; k++)
        fprintf(f, "        out[i * K + %lld] = %a;\n", (long long)k, g->init_score[k]);
    fprintf(f, "    }\n");
    for (int64_t k = 0; k < g->n_trees; k++)
        fprintf(f, "    t%lld(x, n, out);\n", (long long)k);
    fprintf(f,
            "}\n\n"
            "static void score_f32(const float *x, int64_t n, double *out) {\n"
            "    for (int64_t i = 0; i < n; i += RUN)\n"
            "        run(x + i * F, n - i < RUN ? n - i : RUN, out + i * K);\n"
            "}\n\n"
            "static void score_f64(const double *x, int64_t n, double *out) {\n"
            "    float xf[RUN * F];\n"
            "    for (int64_t i = 0; i < n; i += RUN) {\n"
            "        const int64_t m = n - i < RUN ? n - i : RUN;\n"
            "        for (int64_t j = 0; j < m * F; j++)\n"
            "            xf[j] = (float)x[i * F + j];\n"
            "        run(xf, m, out + i * K);\n"
            "    }\n"
            "}\n\n"
            "__attribute__((visibility(\"default\"))) const plumb_compiled_abi plumb_compiled_model = {\n"
            "    .abi_version = 1,\n"
            "    .struct_size = sizeof(plumb_compiled_abi),\n"
            "    .model_sha256 = \"%s\",\n"
            "    .n_features = F,\n"
            "    .n_outputs = K,\n"
            "    .n_trees = %lld,\n"
            "    .score_f32 = score_f32,\n"
            "    .score_f64 = score_f64,\n"
            "};\n",
            sha256, (long long)g->n_trees);
    const bool failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        free(*out);
        *out = NULL;
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    info->n_trees = g->n_trees;
    info->c_bytes = (int64_t)*n;
    return PLUMB_OK;
}
