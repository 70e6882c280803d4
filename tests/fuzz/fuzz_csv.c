/* fuzz_csv.c -- libFuzzer target for the CSV reader, differential across chunkings.
 *
 * The first input byte picks the options (delimiter, a declared numeric or datetime column, a target); the rest
 * is the CSV. Each input is read twice: as one chunk, and cut into chunks of a few bytes, which pushes small
 * inputs through the quote-parity cuts, per-chunk dictionaries and first-error selection that otherwise only
 * multi-megabyte files reach. Both reads must agree exactly: the same error message, or the same frame.
 * Any crash, leak, sanitizer report or disagreement (abort) is a finding.
 */
#include <plumb/plumb.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

static void check_same(const plumb_frame *a, const plumb_frame *b) {
    const int64_t rows = plumb_frame_n_rows(a), cols = plumb_frame_n_columns(a);
    if (rows != plumb_frame_n_rows(b) || cols != plumb_frame_n_columns(b))
        abort();
    for (int64_t j = 0; j < cols; j++) {
        plumb_column_info x, y;
        plumb_schema_column(plumb_frame_schema(a), j, &x);
        plumb_schema_column(plumb_frame_schema(b), j, &y);
        if (strcmp(x.name, y.name) || x.type != y.type || x.role != y.role || x.n_categories != y.n_categories)
            abort();
        for (int64_t k = 0; k < x.n_categories; k++)
            if (strcmp(x.categories[k], y.categories[k]))
                abort();
        const float *fa = plumb_frame_f32(a, j), *fb = plumb_frame_f32(b, j);
        const double *da = plumb_frame_f64(a, j), *db = plumb_frame_f64(b, j);
        const int32_t *ca = plumb_frame_codes(a, j), *cb = plumb_frame_codes(b, j);
        const int64_t *ia = plumb_frame_i64(a, j), *ib = plumb_frame_i64(b, j);
        const uint8_t *ua = plumb_frame_u8(a, j), *ub = plumb_frame_u8(b, j);
        if (!fa != !fb || !da != !db || !ca != !cb || !ia != !ib || !ua != !ub)
            abort();
        if ((fa && memcmp(fa, fb, (size_t)rows * sizeof *fa)) || (da && memcmp(da, db, (size_t)rows * sizeof *da)) ||
            (ca && memcmp(ca, cb, (size_t)rows * sizeof *ca)) || (ia && memcmp(ia, ib, (size_t)rows * sizeof *ia)) ||
            (ua && memcmp(ua, ub, (size_t)rows * sizeof *ua)))
            abort();
        plumb_column_profile p;
        if (plumb_frame_profile(a, j, &p, NULL) != PLUMB_OK)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    static const char delims[] = {',', ';', '\t', '|'};
    const uint8_t mode = data[0];
    plumb_schema *schema = NULL;
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.n_threads = 1;
    o.delimiter = delims[mode & 3];
    o.display_name = "fuzz.csv";
    o.max_categories = 1 + (mode >> 5);
    if (mode & 4)
        o.target = "y";
    if (mode & 8) {
        plumb_schema_create(&schema, NULL);
        plumb_schema_set_type(schema, "a", (mode & 16) ? PLUMB_TYPE_DATETIME : PLUMB_TYPE_NUMERIC, NULL);
        o.schema = schema;
    }
    plumb_frame *one = NULL, *many = NULL;
    plumb_error e1, e2;
    plumb__csv_chunk_bytes = (size_t)1 << 30;
    plumb_status s1 = plumb_frame_read_buffer(data + 1, size - 1, &o, &one, &e1);
    plumb__csv_chunk_bytes = 8 + (mode >> 4);
    plumb_status s2 = plumb_frame_read_buffer(data + 1, size - 1, &o, &many, &e2);
    if (s1 != s2)
        abort();
    if (s1 == PLUMB_OK) {
        check_same(one, many);
    } else {
        char m1[PLUMB_ERROR_MAX], m2[PLUMB_ERROR_MAX];
        if (strcmp(plumb_error_format(&e1, m1, sizeof m1), plumb_error_format(&e2, m2, sizeof m2)))
            abort();
    }
    plumb_frame_free(one);
    plumb_frame_free(many);
    plumb_schema_free(schema);
    return 0;
}
