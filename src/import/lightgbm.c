/* lightgbm.c -- LightGBM's text model format (Booster.save_model("m.txt"), versions v2 to v4) in the neutral form.
 *
 * The file is "key=value" lines: a header, then one block per tree ("Tree=k" ... up to a blank line), then
 * "end of trees". Internal node i of a tree has children left_child[i], right_child[i]: >= 0 another internal
 * node, < 0 leaf ~c. Node ids here: internal nodes 0..n_leaves-2, then leaf l as n_leaves - 1 + l.
 *
 * Splits (LightGBM's tree.h, NumericalDecision and CategoricalDecision): a numeric one sends x left when
 * x <= threshold, a double; for a float x that is x <= the largest float not above it, which plumb keeps.
 * decision_type holds bit 0 categorical, bit 1 default left, bits 2-3 the missing type: None (NaN is read as 0),
 * Zero (0 and NaN take the default side) or NaN (NaN takes it). plumb sends NaN one way and every number by its
 * threshold, so a Zero split is exact only when zero falls on its default side anyway; others are refused rather
 * than imported wrong. A categorical split sends the integer part of x left when it is in the split's bitset, and
 * NaN, negative values and values past the bitset right; plumb's missing and unseen categories go right too.
 * LightGBM folds its initial score into the first trees' leaves, so the initial score is 0.
 */
#include "import.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_THRESHOLD 1e-35f /* LightGBM's kZeroThreshold: |x| <= this is zero */

typedef struct line {
    const char *key, *value; /* into the parser's copy of the file */
    int64_t number;          /* 1-based, for messages */
} line;

typedef struct reader {
    plumb__imp_reader base;
    line *lines;
    int64_t n_lines;
} reader;

#define fail(r, ...) plumb__imp_fail(&(r)->base, __VA_ARGS__)

/* Splits the text into lines of key and value ("end of trees" and other lines without '=' have value NULL). */
static bool split_lines(reader *r, char *text) {
    int64_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    if (!(r->lines = calloc((size_t)cap, sizeof *r->lines)))
        return fail(r, 0, "out of memory");
    int64_t number = 0;
    for (char *p = text; *p;) {
        char *end = strchr(p, '\n');
        if (end)
            *end = '\0';
        number++;
        const size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\r')
            p[len - 1] = '\0';
        line *l = &r->lines[r->n_lines++];
        l->number = number;
        l->key = p;
        char *eq = strchr(p, '=');
        if (eq) {
            *eq = '\0';
            l->value = eq + 1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return true;
}

/* The value of key among lines [a, b), with its line number; NULL when absent. */
static const char *get(const reader *r, int64_t a, int64_t b, const char *key, int64_t *number) {
    for (int64_t i = a; i < b; i++)
        if (r->lines[i].value && strcmp(r->lines[i].key, key) == 0) {
            *number = r->lines[i].number;
            return r->lines[i].value;
        }
    return NULL;
}

/* The line number of key in [a, b) (a's when absent). */
static int64_t line_of(const reader *r, int64_t a, int64_t b, const char *key) {
    int64_t number = r->lines[a].number;
    get(r, a, b, key, &number);
    return number;
}

/* Reads n space-separated numbers of key in [a, b) into out (doubles). */
static bool numbers(reader *r, int64_t a, int64_t b, const char *key, int64_t n, double *out, int64_t tree) {
    int64_t number = r->lines[a].number;
    const char *s = get(r, a, b, key, &number);
    if (!s)
        return fail(r, number, "tree %lld: no '%s'", (long long)tree, key);
    for (int64_t i = 0; i < n; i++) {
        char *end;
        errno = 0;
        out[i] = strtod(s, &end);
        if (end == s || (*end && *end != ' '))
            return fail(r, number, "tree %lld: '%s' has %lld values where %lld are expected", (long long)tree, key,
                        (long long)i, (long long)n);
        s = end;
    }
    while (*s == ' ')
        s++;
    return *s ? fail(r, number, "tree %lld: '%s' has more than %lld values", (long long)tree, key, (long long)n) : true;
}

/* An integer in [lo, hi] from a double read by numbers(). */
static bool integer(double x, double lo, double hi) {
    return x >= lo && x <= hi && x == floor(x);
}

/* The header key's integer value (>= 0). */
static bool header_int(reader *r, int64_t end, const char *key, int64_t *out, bool required) {
    int64_t number = 1;
    const char *s = get(r, 0, end, key, &number);
    if (!s) {
        if (required)
            return fail(r, 0, "no '%s' in the header: truncated or not a LightGBM model", key);
        return true;
    }
    char *e;
    const long long v = strtoll(s, &e, 10);
    if (e == s || *e || v < 0 || v > 100000000)
        return fail(r, number, "bad %s '%s'", key, s);
    *out = v;
    return true;
}

/* Threshold t of "x <= t" (a double) for float x: the largest float <= t. */
static float float_threshold(double t) {
    if (t >= FLT_MAX)
        return FLT_MAX;
    if (t < -FLT_MAX)
        return -INFINITY; /* refused by the tree check */
    float f = (float)t;
    if ((double)f > t)
        f = nextafterf(f, -INFINITY);
    return f;
}

static bool read_tree(reader *r, int64_t a, int64_t b, int64_t k, int64_t n_features, plumb__imp_tree *t,
                      bool *categorical) {
    int64_t number = r->lines[a].number, nl = 0, ncat = 0;
    const char *s = get(r, a, b, "num_leaves", &number);
    char *e = NULL;
    if (s)
        nl = strtoll(s, &e, 10);
    if (!s || e == s || *e || nl < 1 || nl > 1000000)
        return fail(r, number, "tree %lld: bad or missing num_leaves", (long long)k);
    s = get(r, a, b, "num_cat", &number);
    if (s)
        ncat = strtoll(s, &e, 10);
    if (s && (e == s || *e || ncat < 0 || ncat >= nl))
        return fail(r, number, "tree %lld: bad num_cat '%s'", (long long)k, s);
    s = get(r, a, b, "is_linear", &number);
    if (s && strcmp(s, "0") != 0)
        return fail(r, number, "tree %lld: linear trees are not imported", (long long)k);
    const int64_t ni = nl - 1;
    double *v = malloc(sizeof *v * (size_t)(7 * ni + 2 * nl));
    double *feature = v, *threshold = v + ni, *dtype = v + 2 * ni, *left = v + 3 * ni, *right = v + 4 * ni,
           *gain = v + 5 * ni, *icount = v + 6 * ni, *leaf = v + 7 * ni, *lcount = leaf + nl;
    double *bits = NULL, *bounds = NULL;
    bool ok = v != NULL;
    if (!ok)
        return fail(r, 0, "out of memory");
    if (nl == 1) {
        ok = numbers(r, a, b, "leaf_value", 1, leaf, k);
        lcount[0] = 0;
    } else {
        ok = numbers(r, a, b, "split_feature", ni, feature, k) && numbers(r, a, b, "threshold", ni, threshold, k) &&
             numbers(r, a, b, "decision_type", ni, dtype, k) && numbers(r, a, b, "left_child", ni, left, k) &&
             numbers(r, a, b, "right_child", ni, right, k) && numbers(r, a, b, "split_gain", ni, gain, k) &&
             numbers(r, a, b, "internal_count", ni, icount, k) && numbers(r, a, b, "leaf_value", nl, leaf, k) &&
             numbers(r, a, b, "leaf_count", nl, lcount, k);
    }
    int64_t n_words = 0;
    if (ok && ncat > 0) {
        if (!(bounds = malloc(sizeof *bounds * (size_t)(ncat + 1))))
            ok = fail(r, 0, "out of memory");
        ok = ok && numbers(r, a, b, "cat_boundaries", ncat + 1, bounds, k);
        for (int64_t c = 0; ok && c <= ncat; c++)
            ok = integer(bounds[c], c == 0 ? 0 : bounds[c - 1], 1e7) && (c > 0 || bounds[0] == 0);
        if (ok)
            n_words = (int64_t)bounds[ncat];
        else
            fail(r, line_of(r, a, b, "cat_boundaries"), "tree %lld: cat_boundaries are not ascending from 0",
                 (long long)k);
        if (ok && !(bits = malloc(sizeof *bits * (size_t)(n_words + 1))))
            ok = fail(r, 0, "out of memory");
        ok = ok && numbers(r, a, b, "cat_threshold", n_words, bits, k);
    }
    if (ok && !plumb__imp_tree_alloc(t, (int32_t)(ni + nl), (int32_t)n_words))
        ok = fail(r, 0, "out of memory");
    for (int64_t j = 0; ok && j < n_words; j++) {
        if ((ok = integer(bits[j], 0, 4294967295.0)))
            t->cat_bits[j] = (uint32_t)bits[j];
    }
    if (!ok)
        fail(r, line_of(r, a, b, "cat_threshold"), "tree %lld: bad cat_threshold", (long long)k);
    for (int64_t l = 0; ok && l < nl; l++) {
        t->value[ni + l] = leaf[l];
        t->cover[ni + l] = lcount[l];
    }
    for (int64_t i = 0; ok && i < ni; i++) {
        const int dt = integer(dtype[i], 0, 255) ? (int)dtype[i] : -1;
        const int missing = (dt >> 2) & 3;
        const bool default_left = (dt >> 1) & 1;
        if (dt < 0 || missing == 3) {
            ok = fail(r, line_of(r, a, b, "decision_type"), "tree %lld: node %lld has decision_type %g", (long long)k,
                      (long long)i, dtype[i]);
            break;
        }
        const double c[2] = {left[i], right[i]};
        for (int side = 0; side < 2; side++)
            if (!integer(c[side], -(double)nl, (double)ni - 1)) {
                ok = fail(r, line_of(r, a, b, side ? "right_child" : "left_child"),
                          "tree %lld: node %lld has child %g, out of range (%lld nodes, %lld leaves)", (long long)k,
                          (long long)i, c[side], (long long)ni, (long long)nl);
                break;
            }
        if (!ok)
            break;
        t->left[i] = left[i] >= 0 ? (int32_t)left[i] : (int32_t)(ni + ~(int64_t)left[i]);
        t->right[i] = right[i] >= 0 ? (int32_t)right[i] : (int32_t)(ni + ~(int64_t)right[i]);
        if (!integer(feature[i], 0, (double)n_features - 1)) {
            ok = fail(r, line_of(r, a, b, "split_feature"),
                      "tree %lld: node %lld splits on feature %g of a model with %lld features", (long long)k,
                      (long long)i, feature[i], (long long)n_features);
            break;
        }
        t->feature[i] = (int32_t)feature[i];
        t->gain[i] = gain[i];
        t->cover[i] = icount[i];
        if (dt & 1) {
            if (!integer(threshold[i], 0, (double)ncat - 1)) {
                ok = fail(r, line_of(r, a, b, "threshold"), "tree %lld: node %lld has category bitset %g of %lld",
                          (long long)k, (long long)i, threshold[i], (long long)ncat);
                break;
            }
            const int64_t j = (int64_t)threshold[i];
            t->cat_begin[i] = (int32_t)bounds[j];
            t->cat_words[i] = (int32_t)(bounds[j + 1] - bounds[j]);
            categorical[t->feature[i]] = true;
            continue;
        }
        if (!isfinite(threshold[i]) && !(threshold[i] > 0)) {
            ok = fail(r, line_of(r, a, b, "threshold"), "tree %lld: node %lld has threshold %g", (long long)k,
                      (long long)i, threshold[i]);
            break;
        }
        t->threshold[i] = float_threshold(threshold[i]);
        if (missing == 0) /* None: NaN is read as 0 */
            t->missing_left[i] = 0.0 <= threshold[i];
        else
            t->missing_left[i] = default_left;
        if (missing == 1 &&
            (default_left ? !((double)ZERO_THRESHOLD <= threshold[i]) : !(threshold[i] < -(double)ZERO_THRESHOLD))) {
            ok = fail(r, line_of(r, a, b, "decision_type"),
                      "tree %lld: node %lld sends zero (zero_as_missing) against its threshold %g, which plumb "
                      "cannot express",
                      (long long)k, (long long)i, threshold[i]);
            break;
        }
    }
    free(v);
    free(bounds);
    free(bits);
    return ok;
}

plumb_status plumb__import_lightgbm(const char *data, size_t size, const char *path, plumb_model **out,
                                    plumb_error *err) {
    reader r = {.base = {.path = path, .format = "lightgbm", .err = err, .st = PLUMB_OK}};
    plumb__imp im = {.path = path, .err = err, .cover_scale = 1};
    *out = NULL;
    plumb__error_clear(err);
    char *text = malloc(size + 1);
    bool *cat = NULL;
    if (!text) {
        r.base.st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) != size) {
        fail(&r, 0, "a NUL byte: not a LightGBM text model");
        goto done;
    }
    if (!split_lines(&r, text))
        goto done;
    if (r.n_lines == 0 || strcmp(r.lines[0].key, "tree") != 0 || r.lines[0].value) {
        fail(&r, 1, "the first line is not 'tree': not a LightGBM text model");
        goto done;
    }
    int64_t first = 0, end = -1;
    while (first < r.n_lines && !(r.lines[first].value && strcmp(r.lines[first].key, "Tree") == 0))
        first++;
    for (int64_t i = first; i < r.n_lines && end < 0; i++)
        if (!r.lines[i].value && strcmp(r.lines[i].key, "end of trees") == 0)
            end = i;
    if (end < 0) {
        fail(&r, r.n_lines, "no 'end of trees': the file is truncated");
        goto done;
    }
    int64_t number = 1;
    const char *version = get(&r, 0, first, "version", &number);
    if (!version || (strcmp(version, "v2") != 0 && strcmp(version, "v3") != 0 && strcmp(version, "v4") != 0)) {
        fail(&r, version ? number : 0, "unknown version '%s' (plumb reads v2 to v4)", version ? version : "");
        goto done;
    }
    int64_t num_class = 1, per_iter = 1, max_feature = 0;
    if (!header_int(&r, first, "num_class", &num_class, true) ||
        !header_int(&r, first, "num_tree_per_iteration", &per_iter, false) ||
        !header_int(&r, first, "max_feature_idx", &max_feature, true))
        goto done;
    const char *objective = get(&r, 0, first, "objective", &number);
    if (!objective) {
        fail(&r, 0, "no objective in the header");
        goto done;
    }
    char oname[64];
    double sigmoid = 1;
    sscanf(objective, "%63s", oname);
    const char *sig = strstr(objective, "sigmoid:");
    if (sig && sscanf(sig, "sigmoid:%lf", &sigmoid) != 1)
        sigmoid = NAN;
    if (strcmp(oname, "binary") == 0) {
        im.task = PLUMB_TASK_BINARY;
        im.objective = "binary";
    } else if (strcmp(oname, "multiclass") == 0 || strcmp(oname, "softmax") == 0) {
        im.task = PLUMB_TASK_MULTICLASS;
        im.objective = "multiclass";
    } else if (strcmp(oname, "regression") == 0 || strcmp(oname, "regression_l1") == 0 || strcmp(oname, "huber") == 0 ||
               strcmp(oname, "fair") == 0 || strcmp(oname, "quantile") == 0) {
        im.task = PLUMB_TASK_REGRESSION;
        im.objective = strcmp(oname, "regression_l1") == 0 ? "l1"
                       : strcmp(oname, "huber") == 0       ? "huber"
                       : strcmp(oname, "quantile") == 0    ? "quantile"
                                                           : "l2";
        if (strstr(objective, "sqrt")) {
            fail(&r, number, "objective '%s': the sqrt transform of the label is not imported", objective);
            goto done;
        }
    } else {
        fail(&r, number, "objective '%s' is not one plumb imports (binary, regression, multiclass)", objective);
        goto done;
    }
    if (im.task != PLUMB_TASK_BINARY)
        sigmoid = 1;
    if (!(sigmoid > 0 && isfinite(sigmoid))) {
        fail(&r, number, "bad sigmoid in objective '%s'", objective);
        goto done;
    }
    if ((im.task == PLUMB_TASK_MULTICLASS) != (num_class > 1) || per_iter != num_class || num_class > 100000) {
        fail(&r, 0, "objective '%s' with num_class %lld and num_tree_per_iteration %lld", oname, (long long)num_class,
             (long long)per_iter);
        goto done;
    }
    im.n_classes = (int32_t)num_class;
    im.n_features = max_feature + 1;
    im.n_trees = 0;
    for (int64_t i = first; i < end; i++)
        im.n_trees += r.lines[i].value && strcmp(r.lines[i].key, "Tree") == 0;
    const char *sizes = get(&r, 0, first, "tree_sizes", &number);
    if (sizes) {
        int64_t n_sizes = 0;
        for (const char *p = sizes; *p;) {
            while (*p == ' ')
                p++;
            if (*p)
                n_sizes++;
            while (*p && *p != ' ')
                p++;
        }
        if (n_sizes != im.n_trees) {
            fail(&r, number, "tree_sizes lists %lld trees, the file has %lld", (long long)n_sizes,
                 (long long)im.n_trees);
            goto done;
        }
    }
    im.trees = calloc((size_t)im.n_trees + 1, sizeof *im.trees);
    im.init_score = calloc((size_t)im.n_classes, sizeof *im.init_score);
    im.names = calloc((size_t)im.n_features, sizeof *im.names);
    cat = calloc((size_t)im.n_features, sizeof *cat);
    if (!im.trees || !im.init_score || !im.names || !cat) {
        r.base.st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    const char *names = get(&r, 0, first, "feature_names", &number);
    for (int64_t f = 0; names && f < im.n_features; f++) {
        const size_t len = strcspn(names, " ");
        if (len == 0) {
            fail(&r, number, "feature_names has %lld names for %lld features", (long long)f, (long long)im.n_features);
            goto done;
        }
        if (!(im.names[f] = strndup(names, len))) {
            r.base.st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        names += len + (names[len] == ' ');
    }
    int64_t k = 0;
    for (int64_t i = first; i < end; i++) {
        if (!(r.lines[i].value && strcmp(r.lines[i].key, "Tree") == 0))
            continue;
        char *e;
        const long long id = strtoll(r.lines[i].value, &e, 10);
        if (e == r.lines[i].value || *e || id != k) {
            fail(&r, r.lines[i].number, "'Tree=%s' where tree %lld is expected", r.lines[i].value, (long long)k);
            goto done;
        }
        int64_t b = i + 1;
        while (b < end && !(r.lines[b].value && strcmp(r.lines[b].key, "Tree") == 0))
            b++;
        if (!read_tree(&r, i, b, k, im.n_features, &im.trees[k], cat))
            goto done;
        im.trees[k].output = (int32_t)(k % im.n_classes);
        /* binary: p = 1 / (1 + exp(-sigmoid * raw)); plumb's link has sigmoid 1, so the leaves carry the factor */
        for (int32_t j = 0; sigmoid != 1 && j < im.trees[k].n_nodes; j++)
            im.trees[k].value[j] *= sigmoid;
        k++;
    }
    im.categorical = cat;
    cat = NULL;
    r.base.st = plumb__imp_build(&im, out);
done:
    plumb__imp_clear(&im);
    free(cat);
    free(r.lines);
    free(text);
    return r.base.st;
}
