/* codegen.c -- the C source of a compiled gradient-boosted model.
 *
 * Numeric trees become flat arrays, walked 16 trees at a time per row (one row, and small models' batches) or
 * once per block of up to 128 rows quantised to bytes (large models' batches: the block walk, docs/compile.md).
 * Other trees: each becomes one function that walks a run of rows through an if/else nest with the split values as
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

/* ---- the flat shape: numeric trees as arrays walked by 16 trees at once ------------------------------------ */

/* Whether tree t walks as arrays: every split numeric on a numeric feature, with at least one number going left
 * (a split that sends only missing values left stays an if/else nest), and few enough features and slots for the
 * packed node word. */
static bool flat_tree(const plumb__gbdt *g, const plumb__gbdt_tree *t) {
    if (g->n_features > 128)
        return false;
    for (int32_t o = 0; o < t->n_leaves - 1; o++)
        if ((t->cat_begin && t->cat_begin[o] >= 0) || g->features[t->feature[o]].n_categories > 0 || t->bin[o] == 0)
            return false;
    return true;
}

/* The threshold of numeric node o as a float: a row goes left when x <= it (NaN aside); +inf when every number
 * goes left (its bin is past the last edge). */
static float flat_threshold(const plumb__gbdt *g, const plumb__gbdt_tree *t, int32_t o) {
    const plumb__feature *ft = &g->features[t->feature[o]];
    const int32_t ne = ft->n_bins - 2, b = t->bin[o];
    return b > ne ? INFINITY : ft->edges[b - 1];
}

static const char *prologue =
    "#include <stdint.h>\n"
    "#include <string.h>\n"
    "#if defined(__x86_64__) || defined(__i386__)\n"
    "#include <immintrin.h>\n"
    "#endif\n"
    "#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__BMI2__)\n"
    "#define VEC 1 /* 16 trees per instruction */\n"
    "#ifndef NS\n"
    "#define NS 4\n"
    "#endif\n"
    "#else\n"
    "#define VEC 0\n"
    "#endif\n"
    "\n"
    "/* plumb.h's plumb_compiled_abi, ABI version 1 (docs/compile.md) */\n"
    "typedef struct plumb_compiled_abi {\n"
    "    uint32_t abi_version;\n"
    "    uint32_t struct_size;\n"
    "    char model_sha256[65];\n"
    "    int64_t n_features, n_outputs, n_trees;\n"
    "    uint32_t isa;\n"
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

/* The walk of the flat trees: W[p] (the root slot of flat tree p, NW of them padded to NPAD with the spare leaf) to
 * the leaf slot each reaches, L[p]. A slot's word M is first child << 8 | missing goes left << 7 | feature; a row
 * goes right when x > T (NaN: when missing values go right); a leaf loops on itself (T +inf, missing left). */
static const char *walker =
    "static void walk(const float *restrict r, int32_t *restrict L) {\n"
    "#if VEC\n"
    "    const __m512i f7 = _mm512_set1_epi32(0x7f), ml = _mm512_set1_epi32(0x80), one = _mm512_set1_epi32(1);\n"
    "#if F <= 16\n"
    "    const __m512 x0 = _mm512_maskz_loadu_ps((__mmask16)((1u << F) - 1), r);\n"
    "#define XOF(f) _mm512_permutexvar_ps(f, x0)\n"
    "#elif F <= 32\n"
    "    const __m512 x0 = _mm512_loadu_ps(r), x1 = _mm512_maskz_loadu_ps((__mmask16)((1u << (F - 16)) - 1), r + 16);\n"
    "#define XOF(f) _mm512_permutex2var_ps(x0, f, x1)\n"
    "#else\n"
    "#define XOF(f) _mm512_i32gather_ps(f, r, 4)\n"
    "#endif\n"
    "    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);\n"
    "    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);\n"
    "    const __m512i odd = _mm512_add_epi32(even, one);\n"
    "    int32_t BT[NPAD + 16], BS[NPAD + 16]; /* trees in the order they finish, and their leaves */\n"
    "    int nb = 0;\n"
    "    /* NS streams of trees, each walked by 16 lanes; a lane that reached its leaf records it (BT, BS) and\n"
    "     * takes the stream's next tree, so no lane idles while another finishes a deep path */\n"
    "    __m512i s[NS], t[NS];\n"
    "    __mmask16 live[NS];\n"
    "    int next[NS], end[NS];\n"
    "    for (int j = 0; j < NS; j++) {\n"
    "        const int lo = NW * j / NS, hi = NW * (j + 1) / NS, k = hi - lo < 16 ? hi - lo : 16;\n"
    "        live[j] = (__mmask16)((1u << k) - 1);\n"
    "        s[j] = _mm512_maskz_loadu_epi32(live[j], W + lo);\n"
    "        t[j] = _mm512_add_epi32(_mm512_set1_epi32(lo), iota);\n"
    "        next[j] = lo + k;\n"
    "        end[j] = hi;\n"
    "    }\n"
    "    for (;;) {\n"
    "        unsigned any = 0;\n"
    "        for (int j = 0; j < NS; j++) {\n"
    "            /* a node is 8 bytes: two gathers of 8 nodes, split into thresholds and words */\n"
    "            const __m512i g0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(s[j]), (const void *)N, 8),\n"
    "                          g1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(s[j], 1), (const void *)N, 8);\n"
    "            const __m512i m = _mm512_permutex2var_epi32(g0, odd, g1);\n"
    "            const __m512 th = _mm512_castsi512_ps(_mm512_permutex2var_epi32(g0, even, g1));\n"
    "            const __m512 x = XOF(_mm512_and_si512(m, f7));\n"
    "            const __mmask16 right = _mm512_cmp_ps_mask(x, th, _CMP_GT_OQ) |\n"
    "                                    (_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q) & _mm512_testn_epi32_mask(m, ml));\n"
    "            const __m512i c = _mm512_srli_epi32(m, 8), n = _mm512_mask_add_epi32(c, right, c, one);\n"
    "            const __mmask16 done = live[j] & _mm512_cmpeq_epi32_mask(n, s[j]);\n"
    "            const int left = end[j] - next[j], got = __builtin_popcount(done);\n"
    "            _mm512_storeu_si512(BT + nb, _mm512_maskz_compress_epi32(done, t[j]));\n"
    "            _mm512_storeu_si512(BS + nb, _mm512_maskz_compress_epi32(done, n));\n"
    "            nb += got;\n"
    "            const int take = got < left ? got : left;\n"
    "            const __mmask16 refill = (__mmask16)_pdep_u32((1u << take) - 1, done);\n"
    "            s[j] = _mm512_mask_expandloadu_epi32(n, refill, W + next[j]);\n"
    "            t[j] = _mm512_mask_expand_epi32(t[j], refill, _mm512_add_epi32(_mm512_set1_epi32(next[j]), iota));\n"
    "            next[j] += take;\n"
    "            live[j] = (__mmask16)((live[j] & ~done) | refill);\n"
    "            any |= live[j];\n"
    "        }\n"
    "        if (!any)\n"
    "            break;\n"
    "    }\n"
    "    for (int q = 0; q < nb; q++)\n"
    "        L[BT[q]] = BS[q];\n"
    "#else\n"
    "    /* without AVX-512: 8 trees side by side, their chains of loads overlapping (gbdt's row walk) */\n"
    "    for (int p0 = 0; p0 < NW; p0 += 8) {\n"
    "        const int g = NW - p0 < 8 ? NW - p0 : 8;\n"
    "        int32_t s[8];\n"
    "        for (int q = 0; q < 8; q++)\n"
    "            s[q] = q < g ? W[p0 + q] : 0;\n"
    "        for (int moved = 1; moved;) {\n"
    "            moved = 0;\n"
    "            for (int q = 0; q < 8; q++) {\n"
    "                const int32_t m = N[s[q]].m;\n"
    "                const float x = r[m & 0x7f];\n"
    "                const int32_t n = (m >> 8) + ((x > N[s[q]].t) | ((x != x) & !(m & 0x80)));\n"
    "                moved |= n != s[q];\n"
    "                s[q] = n;\n"
    "            }\n"
    "        }\n"
    "        for (int q = 0; q < g; q++)\n"
    "            L[p0 + q] = s[q];\n"
    "    }\n"
    "#endif\n"
    "}\n";

/* The block walk of the flat trees (when every numeric feature has at most 256 bins): BR rows at a time, each
 * row's values first quantised to their bins (u8) in two views, column by column -- view 0 the bin as is (missing 0),
 * view 1 the bin - 1 (missing 255) -- so that every split is "bin > t goes right" on one view: view 0 with t = the
 * split's bin when missing values go left, view 1 with t = bin - 1 when they go right. A tree then walks the block
 * once: a node takes the set of the block's rows that reached it (NB words of 64 bits), compares their bins with
 * its threshold 64 at a time, and passes the two halves on; a leaf adds its value to the score of each row in its
 * set. The trees go in the model's order and each row reaches one leaf a tree, so every row's sum is the same chain
 * of additions as the interpreted walk's. Q[slot] is the node's view-and-feature (view * F + f) and threshold. */
static const char *blocker =
    "#define BR (64 * NB)\n"
    "typedef struct qnode {\n"
    "    uint8_t f, t;\n"
    "} qnode;\n"
    "\n"
    "/* the bin of a number: 1 + the edges below it, 0 when missing (gbdt.h: plumb__bin_value) */\n"
    "static inline uint32_t qbin(const float *e, int32_t n, float x) {\n"
    "    if (x != x)\n"
    "        return 0;\n"
    "    if (n <= 0)\n"
    "        return 1;\n"
    "    const float *b = e;\n"
    "    while (n > 1) {\n"
    "        const int32_t h = n >> 1;\n"
    "        b += (int32_t)(b[h - 1] < x) * h;\n"
    "        n -= h;\n"
    "    }\n"
    "    return (uint32_t)(1 + (b - e) + (*b < x));\n"
    "}\n"
    "\n"
    "/* bit r of the result: c[r] > t (unsigned), for 64 bytes */\n"
    "static inline uint64_t gt64(const uint8_t *c, uint8_t t) {\n"
    "#if defined(__AVX512BW__)\n"
    "    return _mm512_cmpgt_epu8_mask(_mm512_load_si512((const void *)c), _mm512_set1_epi8((char)t));\n"
    "#elif defined(__AVX2__)\n"
    "    const __m256i s = _mm256_set1_epi8((char)(t ^ 0x80)), k = _mm256_set1_epi8((char)0x80);\n"
    "    const uint32_t lo = (uint32_t)_mm256_movemask_epi8(\n"
    "                       _mm256_cmpgt_epi8(_mm256_xor_si256(_mm256_load_si256((const void *)c), k), s)),\n"
    "                   hi = (uint32_t)_mm256_movemask_epi8(\n"
    "                       _mm256_cmpgt_epi8(_mm256_xor_si256(_mm256_load_si256((const void *)(c + 32)), k), s));\n"
    "    return (uint64_t)hi << 32 | lo;\n"
    "#elif defined(__SSE2__)\n"
    "    const __m128i s = _mm_set1_epi8((char)(t ^ 0x80)), k = _mm_set1_epi8((char)0x80);\n"
    "    uint64_t m = 0;\n"
    "    for (int q = 0; q < 4; q++)\n"
    "        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(\n"
    "                 _mm_cmpgt_epi8(_mm_xor_si128(_mm_load_si128((const void *)(c + 16 * q)), k), s))\n"
    "             << (16 * q);\n"
    "    return m;\n"
    "#else\n"
    "    uint64_t m = 0;\n"
    "    for (int q = 0; q < 64; q++)\n"
    "        m |= (uint64_t)(c[q] > t) << q;\n"
    "    return m;\n"
    "#endif\n"
    "}\n"
    "\n"
    "/* a range of memory into the caches, ahead of its use */\n"
    "static inline void pf(const void *p, int64_t bytes) {\n"
    "    for (int64_t o = 0; o < bytes; o += 64)\n"
    "        __builtin_prefetch((const char *)p + o);\n"
    "}\n"
    "\n"
    "/* the tree whose block words are T (its slots, the root first; leaf values Vt at the same slots)\n"
    " * over the block's rows in set all: each row's leaf value added to a[row] */\n"
    "static void walk_block(const uint32_t *restrict T, const double *restrict Vt, const uint8_t (*restrict B)[BR],\n"
    "                       const uint64_t *all, double *restrict a) {\n"
    "    int32_t sn[DEPTH];\n"
    "    uint64_t sm[DEPTH][NB];\n"
    "    int sp = 0;\n"
    "    int32_t n = 0;\n"
    "    uint64_t S[NB];\n"
    "    for (int j = 0; j < NB; j++)\n"
    "        S[j] = all[j];\n"
    "    for (;;) {\n"
    "        const uint32_t w = T[n];\n"
    "        if ((w & 0xff) == 0xff) { /* a leaf */\n"
    "            const double v = Vt[n];\n"
    "            for (int j = 0; j < NB; j++)\n"
    "                for (uint64_t m = S[j]; m; m &= m - 1)\n"
    "                    a[64 * j + __builtin_ctzll(m)] += v;\n"
    "            if (!sp)\n"
    "                return;\n"
    "            sp--;\n"
    "            n = sn[sp];\n"
    "            for (int j = 0; j < NB; j++)\n"
    "                S[j] = sm[sp][j];\n"
    "            continue;\n"
    "        }\n"
    "        const uint8_t *col = B[w & 0xff];\n"
    "        const uint8_t t = (uint8_t)(w >> 8);\n"
    "        const int32_t c = (int32_t)(w >> 16);\n"
    "        uint64_t L[NB], R[NB], anyl = 0, anyr = 0;\n"
    "        for (int j = 0; j < NB; j++) {\n"
    "            const uint64_t g = gt64(col + 64 * j, t);\n"
    "            R[j] = S[j] & g;\n"
    "            L[j] = S[j] & ~g;\n"
    "            anyl |= L[j];\n"
    "            anyr |= R[j];\n"
    "        }\n"
    "        if (anyl && anyr) {\n"
    "            sn[sp] = c + 1;\n"
    "            for (int j = 0; j < NB; j++) {\n"
    "                sm[sp][j] = R[j];\n"
    "                S[j] = L[j];\n"
    "            }\n"
    "            sp++;\n"
    "            n = c;\n"
    "        } else\n"
    "            n = anyl ? c : c + 1;\n"
    "    }\n"
    "}\n";

/* Appends tree t breadth-first at slot *at of the flat arrays (text into ft, fv). Returns its root slot. */
static int64_t flat_emit(const plumb__gbdt *g, const plumb__gbdt_tree *t, int32_t *queue, int64_t *at, FILE *ft,
                         FILE *fv, FILE *fq) {
    const int64_t base = *at;
    int32_t n = 1;
    queue[0] = t->n_leaves > 1 ? 0 : ~0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t o = queue[i];
        if (o < 0) { /* a leaf: loops on itself */
            fprintf(ft, "{__builtin_inff(), %lld},\n", (long long)((base + i) << 8 | 0x80));
            fprintf(fv, "%a,\n", t->leaf_value[~o]);
            fprintf(fq, "0x%xu,\n", 0xffu); /* a leaf: its value is V's at the same slot */
            continue;
        }
        const float thr = flat_threshold(g, t, o);
        if (isinf(thr))
            fprintf(ft, "{__builtin_inff(), ");
        else
            fprintf(ft, "{%af, ", (double)thr);
        fprintf(ft, "%lld},\n", (long long)((base + n) << 8 | (int64_t)t->missing_left[o] << 7 | t->feature[o]));
        fprintf(fv, "0,\n");
        /* the block walk's view and threshold: bins past the last edge are the last bin */
        const int32_t ne = g->features[t->feature[o]].n_bins - 2, last = (ne > 0 ? ne : 0) + 1;
        const int32_t b = t->bin[o] < last ? t->bin[o] : last;
        const uint32_t view = (uint32_t)(t->missing_left[o] ? t->feature[o] : g->n_features + t->feature[o]);
        fprintf(fq, "0x%xu,\n", view | (uint32_t)(t->missing_left[o] ? b : b - 1) << 8 | (uint32_t)n << 16);
        queue[n] = t->left[o];
        queue[n + 1] = t->right[o];
        n += 2;
    }
    *at += n;
    return base;
}

/* Text written to a memory stream, appended to f; false when out of memory. */
static bool append(FILE *f, FILE *part, char **buf, size_t *n) {
    if (fclose(part) != 0)
        return false;
    fwrite(*buf, 1, *n, f);
    free(*buf);
    *buf = NULL;
    return true;
}

plumb_status plumb__compiled_source(const plumb_model *model, const char *sha256, char **out, size_t *n,
                                    plumb_compile_info *info, plumb_error *err) {
    const plumb__gbdt *g = plumb__gbdt_of(model);
    const int64_t F = g->n_features, K = g->n_classes, R = run_rows(F);
    *out = NULL;
    *n = 0;
    info->n_nodes = 0;
    int32_t max_leaves = 1;
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        max_leaves = t->n_leaves > max_leaves ? t->n_leaves : max_leaves;
        for (int32_t o = 0; t->cat_begin && o < t->n_leaves - 1; o++)
            if (t->cat_begin[o] >= 0 && g->features[t->feature[o]].n_categories <= 0)
                return plumb__fail(err, PLUMB_EINVAL,
                                   "tree %lld has a categorical split on numeric feature %d: it cannot be compiled",
                                   (long long)k, t->feature[o]);
    }
    int64_t slots = 1;
    for (int64_t k = 0; k < g->n_trees; k++)
        slots += flat_tree(g, &g->trees[k]) ? 2 * (int64_t)g->trees[k].n_leaves - 1 : 0;
    const bool flat_ok = slots < (1 << 23);
    /* the block walk: every numeric feature's bins fit a byte */
    bool block_ok = flat_ok;
    for (int64_t f = 0; f < F; f++)
        block_ok = block_ok && F < 128 && (g->features[f].n_categories > 0 || g->features[f].n_bins <= 256);
    char *bt = NULL, *bm = NULL, *bv = NULL;
    size_t nt = 0, nm = 0, nv = 0;
    int32_t *queue = malloc((size_t)(2 * max_leaves + 2) * sizeof *queue);
    int64_t *root = malloc((size_t)(g->n_trees + 1) * sizeof *root); /* flat tree's root slot, or -1: a nest */
    FILE *f = open_memstream(out, n), *ft = open_memstream(&bt, &nt), *fm = open_memstream(&bm, &nm),
         *fv = open_memstream(&bv, &nv);
    if (!f || !ft || !fm || !fv || !queue || !root) {
        if (f)
            fclose(f);
        if (ft)
            fclose(ft);
        if (fm)
            fclose(fm);
        if (fv)
            fclose(fv);
        free(bt);
        free(bm);
        free(bv);
        free(*out);
        *out = NULL;
        free(queue);
        free(root);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    fprintf(f,
            "/* generated by plumb compile from the model with checksum %s: %lld trees, %lld features, %lld "
            "outputs.\n * Scores equal the interpreted model's to the bit; see docs/compile.md. */\n",
            sha256, (long long)g->n_trees, (long long)F, (long long)K);
    fputs(prologue, f);
    fprintf(f, "\n#define F %lld\n#define K %lld\n#define RUN %lld\n\n", (long long)F, (long long)K, (long long)R);
    fprintf(f, "static const double IS[K] = {"); /* the initial scores */
    for (int64_t k = 0; k < K; k++)
        fprintf(f, "%s%a", k ? ", " : "", g->init_score[k]);
    fprintf(f, "};\n");
    /* the flat trees' arrays, with the spare leaf (slot 0) that pads the walk to whole vectors */
    int64_t at = 1, n_flat = 0;
    fprintf(ft, "{__builtin_inff(), %d},\n", 0x80);
    fprintf(fv, "0,\n");
    fprintf(fm, "0x%xu,\n", 0xffu);
    for (int64_t k = 0; k < g->n_trees; k++) {
        root[k] = flat_ok && flat_tree(g, &g->trees[k]) ? flat_emit(g, &g->trees[k], queue, &at, ft, fv, fm) : -1;
        n_flat += root[k] >= 0;
    }
    const int64_t npad = (n_flat + 31) / 32 * 32;
    fprintf(f, "#define NW %lld\n#define NPAD %lld\n", (long long)n_flat, (long long)(npad > 0 ? npad : 32));
    fprintf(f, "static const struct node {\n    float t;\n    int32_t m;\n} N[] = {\n");
    bool ok = append(f, ft, &bt, &nt);
    fprintf(f, "};\nstatic const double V[] = {\n");
    ok = append(f, fv, &bv, &nv) && ok;
    fprintf(f, "};\n\n#define QB %d\n", block_ok);
    /* the block walk pays where the flat trees' nodes outgrow the caches: on the benchmark model (2 MB of nodes) it
     * took 0.68 of the row walk's time, on a 100-tree model of 255 leaves (400 KB) twice it; -DBLOCK_WALK=0/1 */
    fprintf(f, "#ifndef BLOCK_WALK\n#define BLOCK_WALK %d\n#endif\n", at * 8 > (1 << 20));
    if (block_ok) {
        fprintf(f, "#ifndef NB\n#define NB 2\n#endif\n#define DEPTH %d\n", max_leaves);
        fprintf(f, "static const uint32_t Q[] = {\n");
        ok = append(f, fm, &bm, &nm) && ok;
        /* the numeric features' edges, for the bins: EO[f] where feature f's start, EN[f] how many (-1: categorical) */
        fprintf(f, "};\nstatic const float E[] = {");
        int64_t ne_all = 0;
        for (int64_t fi = 0; fi < F; fi++)
            for (int32_t e = 0; g->features[fi].n_categories <= 0 && e < g->features[fi].n_bins - 2; e++, ne_all++) {
                fputs(ne_all % 8 == 0 ? "\n" : " ", f);
                literal(f, g->features[fi].edges[e]);
                fputc(',', f);
            }
        fprintf(f, "%s};\nstatic const int32_t EO[F] = {", ne_all ? "" : "0");
        for (int64_t fi = 0, o = 0; fi < F; fi++) {
            const int32_t ne = g->features[fi].n_categories > 0 ? -1 : g->features[fi].n_bins - 2;
            fprintf(f, "%s%lld", fi ? ", " : "", (long long)o);
            o += ne > 0 ? ne : 0;
        }
        fprintf(f, "};\nstatic const int32_t EN[F] = {");
        for (int64_t fi = 0; fi < F; fi++)
            fprintf(f, "%s%d", fi ? ", " : "", g->features[fi].n_categories > 0 ? -1 : g->features[fi].n_bins - 2);
        fprintf(f, "};\n%s", blocker);
        fprintf(f, "static const int32_t W[NPAD] = {");
    } else {
        fclose(fm);
        free(bm);
        bm = NULL;
    }
    if (!block_ok)
        fprintf(f, "};\nstatic const int32_t W[NPAD] = {");
    for (int64_t k = 0, p = 0; k < g->n_trees; k++)
        if (root[k] >= 0) {
            fprintf(f, "%s%s%lld", p ? "," : "", p % 16 == 0 ? "\n" : " ", (long long)root[k]);
            p++;
        }
    fprintf(f, "};\n\n%s\n", walker);
    /* the other trees as if/else nests, one function per tree */
    for (int64_t k = 0; k < g->n_trees; k++) {
        const plumb__gbdt_tree *t = &g->trees[k];
        info->n_nodes += t->n_leaves - 1;
        if (root[k] >= 0)
            continue;
        if (t->cat_begin) {
            fprintf(f, "static const uint32_t b%lld[] = {", (long long)k);
            for (int32_t w = 0; w < t->n_cat_bits; w++)
                fprintf(f, "%s0x%xu", w ? ", " : "", t->cat_bits[w]);
            fprintf(f, "%s};\n", t->n_cat_bits ? "" : "0");
        }
        fprintf(f, "static double t%lld(const float *restrict r) {\n    double v;\n", (long long)k);
        if (t->n_leaves == 1)
            fprintf(f, "    (void)r;\n");
        nest(f, g, t, t->n_leaves > 1 ? 0 : ~0, 1);
        fprintf(f, "    return v;\n}\n");
    }
    /* a row: the flat trees walk first, then every tree's value is added in the model's order */
    /* G rows at once (1, and 4 for batches): their sums are independent chains of additions, which overlap */
    for (int G = 1; G <= 4; G += 3) {
        fprintf(f, "\nstatic void rows%d(const float *restrict r, double *restrict o) {\n    int32_t L[%d][NPAD];\n", G,
                G);
        for (int q = 0; q < G; q++)
            fprintf(f, "    walk(r + %d * F, L[%d]);\n", q, q);
        for (int q = 0; q < G; q++)
            for (int64_t k = 0; k < K; k++)
                fprintf(f, "    o[%lld] = %a;\n", (long long)(q * K + k), g->init_score[k]);
        for (int64_t k = 0, p = 0; k < g->n_trees; k++) {
            for (int q = 0; q < G; q++)
                if (root[k] >= 0)
                    fprintf(f, "    o[%lld] += V[L[%d][%lld]];\n", (long long)(q * K + k % K), q, (long long)p);
                else
                    fprintf(f, "    o[%lld] += t%lld(r + %d * F);\n", (long long)(q * K + k % K), (long long)k, q);
            p += root[k] >= 0;
        }
        fprintf(f, "}\n");
    }
    if (block_ok) {
        fprintf(f, "\nstatic void block(const float *restrict x, int64_t n, double *restrict o) {\n"
                   "    _Alignas(64) uint8_t B[2 * F][BR];\n"
                   "    double A[K][BR];\n"
                   "    uint64_t all[NB];\n"
                   "    for (int j = 0; j < NB; j++)\n"
                   "        all[j] = n >= 64 * (j + 1) ? ~0ull : n <= 64 * j ? 0 : (1ull << (n - 64 * j)) - 1;\n"
                   "    for (int f = 0; f < F; f++) {\n"
                   "        if (EN[f] < 0)\n"
                   "            continue;\n"
                   "        for (int64_t r = 0; r < n; r++) {\n"
                   "            const uint32_t b = qbin(E + EO[f], EN[f], x[r * F + f]);\n"
                   "            B[f][r] = (uint8_t)b;\n"
                   "            B[F + f][r] = (uint8_t)(b - 1);\n"
                   "        }\n"
                   "        memset(B[f] + n, 0, (size_t)(BR - n));\n"
                   "        memset(B[F + f] + n, 0, (size_t)(BR - n));\n"
                   "    }\n"
                   "    for (int k = 0; k < K; k++)\n"
                   "        for (int64_t r = 0; r < n; r++)\n"
                   "            A[k][r] = IS[k];\n");
        for (int64_t k = 0, nx = 0; k < g->n_trees; k++)
            if (root[k] >= 0) {
                /* the next flat tree into the caches while this one walks */
                for (nx = nx > k ? nx : k + 1; nx < g->n_trees && root[nx] < 0; nx++)
                    ;
                if (nx < g->n_trees) {
                    const int64_t ns = 2 * (int64_t)g->trees[nx].n_leaves - 1;
                    fprintf(f, "    pf(Q + %lld, %lld);\n    pf(V + %lld, %lld);\n", (long long)root[nx],
                            (long long)(4 * ns), (long long)root[nx], (long long)(8 * ns));
                }
                fprintf(f, "    walk_block(Q + %lld, V + %lld, B, all, A[%lld]);\n", (long long)root[k],
                        (long long)root[k], (long long)(k % K));
            } else
                fprintf(f, "    for (int64_t r = 0; r < n; r++)\n        A[%lld][r] += t%lld(x + r * F);\n",
                        (long long)(k % K), (long long)k);
        fprintf(f, "    for (int64_t r = 0; r < n; r++)\n"
                   "        for (int k = 0; k < K; k++)\n"
                   "            o[r * K + k] = A[k][r];\n"
                   "}\n");
    }
    fprintf(f,
            "\n"
            "static void score_f32(const float *x, int64_t n, double *out) {\n"
            "#if QB\n"
            "    if (BLOCK_WALK && n >= 8) {\n"
            "        for (int64_t i = 0; i < n; i += BR)\n"
            "            block(x + i * F, n - i < BR ? n - i : BR, out + i * K);\n"
            "        return;\n"
            "    }\n"
            "#endif\n"
            "    int64_t i = 0;\n"
            "    for (; i + 4 <= n; i += 4)\n"
            "        rows4(x + i * F, out + i * K);\n"
            "    for (; i < n; i++)\n"
            "        rows1(x + i * F, out + i * K);\n"
            "}\n\n"
            "static void score_f64(const double *x, int64_t n, double *out) {\n"
            "    float xf[RUN * F];\n"
            "    for (int64_t i = 0; i < n; i += RUN) {\n"
            "        const int64_t m = n - i < RUN ? n - i : RUN;\n"
            "        for (int64_t j = 0; j < m * F; j++)\n"
            "            xf[j] = (float)x[i * F + j];\n"
            "        score_f32(xf, m, out + i * K);\n"
            "    }\n"
            "}\n\n"
            "__attribute__((visibility(\"default\"))) const plumb_compiled_abi plumb_compiled_model = {\n"
            "    .abi_version = 1,\n"
            "    .struct_size = sizeof(plumb_compiled_abi),\n"
            "    .model_sha256 = \"%s\",\n"
            "    .n_features = F,\n"
            "    .n_outputs = K,\n"
            "    .n_trees = %lld,\n"
            "    .isa = VEC,\n"
            "    .score_f32 = score_f32,\n"
            "    .score_f64 = score_f64,\n"
            "};\n",
            sha256, (long long)g->n_trees);
    free(queue);
    free(root);
    const bool failed = ferror(f);
    if (fclose(f) != 0 || failed || !ok) {
        free(*out);
        *out = NULL;
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    info->n_trees = g->n_trees;
    info->c_bytes = (int64_t)*n;
    return PLUMB_OK;
}
