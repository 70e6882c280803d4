/* rules.c -- the rules text of a CART tree (plumb_model_rules): one line per leaf, in preorder, saying what the
 * path from the root to it requires of each feature it tests, and what the leaf predicts for how many rows.
 *
 * A path's splits on one feature are merged into one condition: an interval for a numeric feature (its bounds
 * printed as the shortest decimals that split float32 values as the thresholds do), true or false for a bool, the
 * smaller of the category set and its complement for a categorical one; "or missing" when missing values take the
 * path too (and the training data had any), "is missing" or "a category new since training" when only those do.
 */

#include "tree.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Rules                                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t n, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...) PLUMB__PRINTF(2, 3);
static void put(text *t, const char *fmt, ...) {
    if (t->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)k + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->n + (size_t)k + 1 > cap)
            cap *= 2;
        char *ns = realloc(t->s, cap);
        if (!ns) {
            t->oom = true;
            return;
        }
        t->s = ns;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

/* The shortest decimal d that splits float32 values exactly as threshold t does: the largest float a <= t and the
 * next one b bound it, a <= d < b. */
static void fmt_threshold(char *buf, size_t n, double t) {
    float a = (float)t;
    if ((double)a > t)
        a = nextafterf(a, -INFINITY);
    const float b = nextafterf(a, INFINITY);
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, t);
        const double d = strtod(buf, NULL);
        if (!(d >= (double)a && d < (double)b))
            continue;
        if (strchr(buf, 'e') && fabs(d) >= 1e-4 && fabs(d) < 1e15) {
            /* the same digits without an exponent: 1750, not 1.75e+03 */
            const int e10 = (int)floor(log10(fabs(d)));
            snprintf(buf, n, "%.*f", p - 1 - e10 > 0 ? p - 1 - e10 : 0, d);
        }
        return;
    }
}

/* What the path to a leaf says about one feature. */
typedef struct cond {
    bool used;
    double lo, hi;   /* numeric: lo < x <= hi */
    bool value_ok;   /* some non-missing value takes this path */
    bool missing_ok; /* missing values take it */
    uint64_t *allowed;
} cond;

static void put_category_set(text *t, const char *name, const plumb_column_info *ci, const uint64_t *allowed, bool in) {
    int64_t k = 0;
    for (int64_t c = 0; c < ci->n_categories; c++)
        k += ((allowed[c / 64] >> (c % 64)) & 1) == in;
    put(t, k == 1 ? "%s %s " : "%s %s {", name, k == 1 ? (in ? "=" : "!=") : (in ? "in" : "not in"));
    bool first = true;
    for (int64_t c = 0; c < ci->n_categories; c++)
        if (((allowed[c / 64] >> (c % 64)) & 1) == in) {
            put(t, "%s%s", first ? "" : ", ", ci->categories[c]);
            first = false;
        }
    if (k != 1)
        put(t, "}");
}

/* Appends the condition on feature f, with " and " before it unless *first; nothing when the path only went where
 * every value goes. */
static void put_cond(text *t, const struct plumb__cart *c, const plumb_schema *s, int64_t f, const cond *cd,
                     bool *first) {
    const plumb__cart_feature *ft = &c->features[f];
    plumb_column_info ci;
    plumb_schema_column(s, ft->column, &ci);
    text u = {0};
    int64_t k = 0; /* categories that take the path */
    for (int64_t j = 0; ft->type == PLUMB_TYPE_CATEGORICAL && j < ci.n_categories; j++)
        k += (cd->allowed[j / 64] >> (j % 64)) & 1;
    if (!cd->value_ok || (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0 && cd->missing_ok)) {
        put(&u, "%s is missing", ci.name);
    } else if (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0) {
        put(&u, "%s is a category new since training", ci.name);
    } else if (ft->type == PLUMB_TYPE_CATEGORICAL) {
        if (k < ci.n_categories)
            put_category_set(&u, ci.name, &ci, cd->allowed, k <= ci.n_categories - k);
    } else if (ft->type == PLUMB_TYPE_BOOL) {
        if (cd->hi < 1 || cd->lo >= 0)
            put(&u, "%s = %s", ci.name, cd->hi < 1 ? "false" : "true");
    } else {
        char lo[40], hi[40];
        fmt_threshold(lo, sizeof lo, cd->lo);
        fmt_threshold(hi, sizeof hi, cd->hi);
        if (isfinite(cd->lo) && isfinite(cd->hi))
            put(&u, "%s < %s <= %s", lo, ci.name, hi);
        else if (isfinite(cd->hi))
            put(&u, "%s <= %s", ci.name, hi);
        else if (isfinite(cd->lo))
            put(&u, "%s > %s", ci.name, lo);
    }
    const char *sep = *first ? "" : " and ";
    if (u.oom)
        t->oom = true;
    else if (!cd->value_ok || (ft->type == PLUMB_TYPE_CATEGORICAL && k == 0))
        put(t, "%s%s", sep, u.s);
    else if (u.n > 0 && cd->missing_ok && ft->has_missing)
        put(t, "%s(%s or missing)", sep, u.s);
    else if (u.n > 0)
        put(t, "%s%s", sep, u.s);
    else if (!cd->missing_ok)
        put(t, "%s%s is not missing", sep, ci.name);
    else
        sep = NULL; /* nothing to say */
    *first = *first && !sep;
    free(u.s);
}

plumb_status plumb__cart_rules(const plumb_model *m, char **out, plumb_error *err) {
    const struct plumb__cart *c = plumb__cart_of(m);
    const int32_t n = c->n_nodes;
    const int64_t F = c->n_features;
    int32_t *parent = malloc((size_t)n * sizeof *parent), *path = malloc((size_t)n * sizeof *path);
    int64_t *touched = malloc((size_t)(F + 1) * sizeof *touched);
    cond *conds = calloc((size_t)F + 1, sizeof *conds);
    text t = {0};
    bool ok = parent && path && touched && conds;
    for (int64_t f = 0; ok && f < F; f++)
        if (c->features[f].type == PLUMB_TYPE_CATEGORICAL &&
            !(conds[f].allowed = malloc(((size_t)c->features[f].n_categories + 64) / 64 * sizeof(uint64_t))))
            ok = false;
    if (!ok) {
        t.oom = true;
        goto done;
    }
    parent[0] = -1;
    for (int32_t i = 0; i < n; i++)
        if (c->nodes[i].left >= 0)
            parent[c->nodes[i].left] = parent[c->nodes[i].right] = i;
    plumb_column_info tc;
    plumb_schema_column(m->schema, plumb__schema_find(m->schema, c->target), &tc);
    for (int32_t leaf = 0; leaf < n; leaf++) {
        if (c->nodes[leaf].left >= 0)
            continue;
        int32_t len = 0;
        for (int32_t k = leaf; k != 0; k = parent[k])
            path[len++] = k;
        int64_t n_touched = 0;
        for (int32_t q = len - 1; q >= 0; q--) {
            const int32_t child = path[q], node = parent[child];
            const plumb__cart_node *nd = &c->nodes[node];
            const bool left = nd->left == child;
            const int64_t f = nd->feature;
            cond *cd = &conds[f];
            if (!cd->used) {
                *cd = (cond){.used = true,
                             .lo = -INFINITY,
                             .hi = INFINITY,
                             .value_ok = true,
                             .missing_ok = true,
                             .allowed = cd->allowed};
                if (cd->allowed)
                    memset(cd->allowed, 0xFF, ((size_t)c->features[f].n_categories + 64) / 64 * sizeof(uint64_t));
                touched[n_touched++] = f;
            }
            cd->missing_ok &= left ? nd->missing_left : !nd->missing_left;
            if (nd->bits >= 0) {
                const int64_t words = (c->features[f].n_categories + 63) / 64;
                for (int64_t w = 0; w < words; w++)
                    cd->allowed[w] &= left ? c->bits[nd->bits + w] : ~c->bits[nd->bits + w];
            } else if (isinf(nd->threshold)) {
                cd->value_ok &= left; /* the split of missing values from all others */
            } else if (left) {
                cd->hi = fmin(cd->hi, nd->threshold);
            } else {
                cd->lo = fmax(cd->lo, nd->threshold);
            }
        }
        put(&t, "if ");
        bool first = true;
        for (int64_t k = 0; k < n_touched; k++) {
            put_cond(&t, c, m->schema, touched[k], &conds[touched[k]], &first);
            conds[touched[k]].used = false;
        }
        if (first)
            put(&t, "true");
        const plumb__cart_node *nd = &c->nodes[leaf];
        if (m->task == PLUMB_TASK_BINARY && c->target_is_text)
            put(&t, " then P(%s) = %.3g", c->positive_class, nd->value);
        else if (m->task == PLUMB_TASK_BINARY)
            put(&t, " then P(%s = %s) = %.3g", c->target, c->positive_class, nd->value);
        else
            put(&t, " then %s = %.6g", c->target, nd->value);
        put(&t, " (%lld row%s)\n", (long long)nd->n_rows, nd->n_rows == 1 ? "" : "s");
    }
done:
    free(parent);
    free(path);
    free(touched);
    for (int64_t f = 0; conds && f < F; f++)
        free(conds[f].allowed);
    free(conds);
    if (t.oom) {
        free(t.s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    *out = t.s;
    return PLUMB_OK;
}
