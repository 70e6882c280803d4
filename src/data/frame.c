/* frame.c -- the typed columnar frame: accessors, memory accounting, release.
 *
 * A frame is built by the reader (csv.c) and immutable afterwards, so every accessor is a plain read and
 * concurrent use from several threads is safe.
 */
#include "data.h"

#include <stdlib.h>
#include <string.h>

void plumb_frame_free(plumb_frame *f) {
    if (!f)
        return;
    for (int64_t j = 0; f->cols && f->schema && j < f->schema->n; j++) {
        plumb__column *c = &f->cols[j];
        if (f->borrowed && f->borrowed[j])
            continue;
        free(c->f32);
        free(c->f64);
        free(c->codes);
        free(c->i64);
        free(c->u8);
    }
    free(f->cols);
    free(f->borrowed);
    plumb__unmap(f->block, f->block_bytes);
    plumb_schema_free(f->schema);
    free(f);
}

int64_t plumb_frame_n_rows(const plumb_frame *f) {
    return f->n_rows;
}

int64_t plumb_frame_n_columns(const plumb_frame *f) {
    return f->schema->n;
}

int64_t plumb_frame_find(const plumb_frame *f, const char *name) {
    return plumb__schema_find(f->schema, name);
}

const plumb_schema *plumb_frame_schema(const plumb_frame *f) {
    return f->schema;
}

static const plumb__column *column(const plumb_frame *f, int64_t col) {
    return col >= 0 && col < f->schema->n ? &f->cols[col] : NULL;
}

const float *plumb_frame_f32(const plumb_frame *f, int64_t col) {
    const plumb__column *c = column(f, col);
    return c ? c->f32 : NULL;
}

const double *plumb_frame_f64(const plumb_frame *f, int64_t col) {
    const plumb__column *c = column(f, col);
    return c ? c->f64 : NULL;
}

const int32_t *plumb_frame_codes(const plumb_frame *f, int64_t col) {
    const plumb__column *c = column(f, col);
    return c ? c->codes : NULL;
}

const int64_t *plumb_frame_i64(const plumb_frame *f, int64_t col) {
    const plumb__column *c = column(f, col);
    return c ? c->i64 : NULL;
}

const uint8_t *plumb_frame_u8(const plumb_frame *f, int64_t col) {
    const plumb__column *c = column(f, col);
    return c ? c->u8 : NULL;
}

size_t plumb_frame_memory(const plumb_frame *f) {
    size_t bytes = sizeof *f + (size_t)f->schema->n * (sizeof *f->cols + sizeof *f->schema->cols);
    const size_t rows = (size_t)f->n_rows;
    for (int64_t j = 0; j < f->schema->n; j++) {
        const plumb__column *c = &f->cols[j];
        const plumb__schema_col *sc = &f->schema->cols[j];
        bytes += rows * (c->f32 ? 4 : c->f64 ? 8 : c->codes ? 4 : c->i64 ? 8 : 1);
        bytes += strlen(sc->name) + 1;
        if (sc->fixed)
            bytes += plumb__dict_memory(&sc->cats) + (size_t)sc->cats.n * sizeof *sc->cat_ptrs;
    }
    return bytes;
}

plumb_status plumb_frame_take(const plumb_frame *f, const int64_t *rows, int64_t n, plumb_frame **out,
                              plumb_error *err) {
    *out = NULL;
    for (int64_t i = 0; i < n; i++)
        if (rows[i] < 0 || rows[i] >= f->n_rows)
            return plumb__fail(err, PLUMB_EINVAL, "row %lld out of range (frame has %lld)", (long long)rows[i],
                               (long long)f->n_rows);
    plumb_frame *g = calloc(1, sizeof *g);
    if (!g || !(g->cols = calloc((size_t)f->schema->n + 1, sizeof *g->cols)) ||
        !(g->schema = plumb__schema_copy(f->schema, true)))
        goto nomem;
    g->n_rows = n;
    const size_t rn = (size_t)(n > 0 ? n : 1);
    for (int64_t j = 0; j < f->schema->n; j++) {
        const plumb__column *src = &f->cols[j];
        plumb__column *dst = &g->cols[j];
#define TAKE(field)                                                                                                    \
    if (src->field) {                                                                                                  \
        if (!(dst->field = malloc(rn * sizeof *dst->field)))                                                           \
            goto nomem;                                                                                                \
        for (int64_t i = 0; i < n; i++)                                                                                \
            dst->field[i] = src->field[rows[i]];                                                                       \
    }
        TAKE(f32)
        TAKE(f64)
        TAKE(codes)
        TAKE(i64)
        TAKE(u8)
#undef TAKE
    }
    *out = g;
    return PLUMB_OK;
nomem:
    plumb_frame_free(g);
    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}
