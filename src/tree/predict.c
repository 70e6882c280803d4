/* predict.c -- scoring with a CART tree: plumb_model_predict of a tree model, and the training metric.
 *
 * The model's features are bound to a frame's columns once per call, by name and type; a categorical column whose
 * dictionary differs from the model's gets a map from the frame's codes to the model's (matched by category text,
 * unknown categories unseen). Each row then walks from the root to its leaf (the split rules are in tree.h) and
 * scores the leaf's value. Rows are independent: large frames are scored by several threads, with the same result.
 */

#include "tree.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Scoring                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Where a feature's values come from in a frame; map (categorical, when the frame's dictionary differs from the
 * model's) turns the frame's codes into the model's. */
typedef struct source {
    const float *f32;
    const uint8_t *u8;
    const int32_t *codes;
    int32_t *map;
    int32_t n_map;
} source;

static int32_t leaf_of(const struct plumb__cart *c, const source *src, int64_t i) {
    int32_t k = 0;
    while (c->nodes[k].left >= 0) {
        const plumb__cart_node *nd = &c->nodes[k];
        const source *s = &src[nd->feature];
        bool left;
        if (s->codes) {
            int32_t code = s->codes[i];
            if (s->map && code >= 0)
                code = code < s->n_map ? s->map[code] : PLUMB_CODE_UNSEEN;
            if (code == PLUMB_CODE_MISSING)
                left = nd->missing_left;
            else if (code < 0 || code >= c->features[nd->feature].n_categories)
                left = nd->unseen_left;
            else
                left = (c->bits[nd->bits + code / 64] >> (code % 64)) & 1;
        } else {
            const float x = plumb__feature_value(s->f32, s->u8, i);
            left = x != x ? nd->missing_left : (double)x <= nd->threshold;
        }
        k = left ? nd->left : nd->right;
    }
    return k;
}

static void free_sources(source *src, int64_t n) {
    for (int64_t f = 0; src && f < n; f++)
        free(src[f].map);
    free(src);
}

/* Finds the model's features in frame by name, with the same types; categorical dictionaries are matched by
 * category text. *out (OUT) is freed with free_sources. */
static plumb_status bind(const plumb_model *m, const plumb_frame *frame, source **out, plumb_error *err) {
    const struct plumb__cart *c = m->cart;
    source *src = calloc((size_t)c->n_features + 1, sizeof *src);
    if (!src)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = PLUMB_OK;
    const plumb_schema *fs = plumb_frame_schema(frame);
    for (int64_t f = 0; f < c->n_features; f++) {
        plumb_column_info want, got;
        plumb_schema_column(m->schema, c->features[f].column, &want);
        const int64_t j = plumb_frame_find(frame, want.name);
        if (j < 0) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "column '%s' needed by the model is missing", want.name);
            goto done;
        }
        plumb_schema_column(fs, j, &got);
        source *s = &src[f];
        s->f32 = plumb_frame_f32(frame, j);
        s->u8 = plumb_frame_u8(frame, j);
        s->codes = plumb_frame_codes(frame, j);
        const bool fits = got.type == want.type && (want.type == PLUMB_TYPE_NUMERIC ? s->f32 != NULL
                                                    : want.type == PLUMB_TYPE_BOOL  ? s->u8 != NULL
                                                                                    : s->codes != NULL);
        if (!fits) {
            st = plumb__fail(err, PLUMB_ESCHEMA, "column '%s' is %s here but %s in the training data", want.name,
                             plumb_type_name(got.type), plumb_type_name(want.type));
            goto done;
        }
        if (want.type != PLUMB_TYPE_CATEGORICAL)
            continue;
        bool same = got.n_categories == want.n_categories;
        for (int64_t k = 0; same && k < got.n_categories; k++)
            same = strcmp(got.categories[k], want.categories[k]) == 0;
        if (same)
            continue;
        const int32_t nm = got.n_categories > 0 ? (int32_t)got.n_categories : 0;
        if (!(s->map = malloc((size_t)nm * sizeof *s->map + 1))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        s->n_map = nm;
        for (int32_t k = 0; k < nm; k++) {
            int64_t lo = 0, hi = want.n_categories; /* the model's dictionary is sorted bytewise */
            while (lo < hi) {
                const int64_t mid = (lo + hi) / 2;
                if (strcmp(want.categories[mid], got.categories[k]) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            s->map[k] = lo < want.n_categories && strcmp(want.categories[lo], got.categories[k]) == 0
                            ? (int32_t)lo
                            : PLUMB_CODE_UNSEEN;
        }
    }
done:
    if (st != PLUMB_OK) {
        free_sources(src, c->n_features);
        src = NULL;
    }
    *out = src;
    return st;
}

plumb_status plumb__cart_predict(const plumb_model *m, const plumb_frame *frame, double *out, plumb_error *err) {
    source *src = NULL;
    plumb_status st = bind(m, frame, &src, err);
    if (st != PLUMB_OK)
        return st;
    const struct plumb__cart *c = m->cart;
    const int64_t n = plumb_frame_n_rows(frame);
#pragma omp parallel for schedule(static) num_threads(plumb__threads(0)) if (n >= 16384)
    for (int64_t i = 0; i < n; i++)
        out[i] = c->nodes[leaf_of(c, src, i)].value;
    free_sources(src, c->n_features);
    return PLUMB_OK;
}

/* The training metric of the (pruned) tree on its training rows: accuracy at 0.5 for binary (a tie predicts the
 * negative class, as scikit-learn's argmax over [negative, positive]), mean squared error for regression; both
 * weighted by the weight column. */
plumb_status plumb__cart_train_metric(const plumb_model *m, const plumb_frame *train, const double *y,
                                      const uint8_t *cls, const double *sw, double *out, plumb_error *err) {
    source *src = NULL;
    plumb_status st = bind(m, train, &src, err);
    if (st != PLUMB_OK)
        return st;
    const struct plumb__cart *c = m->cart;
    const int64_t n = plumb_frame_n_rows(train);
    const bool classify = m->task == PLUMB_TASK_BINARY;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        const double v = c->nodes[leaf_of(c, src, i)].value;
        if (classify)
            num += sw[i] * ((v > 0.5) == (cls[i] == 1));
        else
            num += sw[i] * (v - y[i]) * (v - y[i]);
        den += sw[i];
    }
    *out = num / den;
    free_sources(src, c->n_features);
    return PLUMB_OK;
}
