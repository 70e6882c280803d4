/* data.h -- internal layout of schemas and frames, shared by the reader, the profiler and later subsystems.
 *
 * A schema column owns its name and, when its categories are fixed, a dictionary whose codes are the sorted
 * positions of the categories (code i is the i-th category in bytewise order). A frame owns a full schema (one
 * column per frame column, every type resolved) and one data array per column.
 */
#ifndef PLUMB_DATA_DATA_H
#define PLUMB_DATA_DATA_H

#include "../base/base.h"
#include "dict.h"

typedef struct plumb__schema_col {
    char *name;
    plumb_type type;
    plumb_role role;
    bool fixed; /* categories are fixed: cats holds them sorted */
    plumb__dict cats;
    const char **cat_ptrs;       /* cats.n pointers into cats.pool, for plumb_column_info */
    char *available_at;          /* the column holding when this one's value became known; NULL: not declared */
    double available_after_days; /* or: the value is known this many days after the row's time; NaN: not declared */
    char *note; /* why the reader typed the column as it did, when values disagreed (plumb_column_info.note) */
} plumb__schema_col;

struct plumb_schema {
    int64_t n, cap;
    plumb__schema_col *cols;
};

/* Index of the named column, or -1. */
int64_t plumb__schema_find(const plumb_schema *s, const char *name);

/* Appends a column (type AUTO, role FEATURE); returns its index, or -1 when out of memory. */
int64_t plumb__schema_add(plumb_schema *s, const char *name);

/* Moves the sorted, duplicate-free dictionary *d into column i as its fixed categories (*d is zeroed).
 * Returns false when out of memory (then *d is left to the caller). */
bool plumb__schema_take_categories(plumb_schema *s, int64_t i, plumb__dict *d);

/* A deep copy of s; fixed categories of string-typed columns (identifiers, text) are dropped unless
 * keep_string_categories. NULL when out of memory. */
plumb_schema *plumb__schema_copy(const plumb_schema *s, bool keep_string_categories);

/* JSON form of a schema (docs/schema.md), as a new jansson reference (NULL when out of memory), and back;
 * path names the source in errors. */
typedef struct json_t json_t;
json_t *plumb__schema_to_json(const plumb_schema *s);
plumb_status plumb__schema_from_json(const json_t *root, const char *path, plumb_schema **out, plumb_error *err);

typedef struct plumb__column {
    float *f32;     /* numeric features */
    double *f64;    /* numeric target, weight, time */
    int32_t *codes; /* categorical, string */
    int64_t *i64;   /* datetime */
    uint8_t *u8;    /* bool */
} plumb__column;

struct plumb_frame {
    int64_t n_rows;
    plumb_schema *schema; /* schema->n columns */
    plumb__column *cols;
    uint8_t *borrowed; /* NULL, or per column: nonzero when its data is not its own allocation: the caller's, or
                        * inside block (plumb_frame_from_arrays) */
    void *block;       /* NULL, or one mapping of block_bytes holding columns the frame made (plumb__map_large) */
    size_t block_bytes;
};

/* Bytes of input per reader chunk (4 MiB). Not thread-safe to change: only tests and fuzzers set it. */
extern size_t plumb__csv_chunk_bytes;

/* Bytes per read() of a regular file (16 MiB), and a hook called after each read with the bytes read so far
 * (NULL). Only tests set them: the hook lets a test change the file while it is read. */
extern size_t plumb__csv_read_block;
extern void (*plumb__csv_read_hook)(int fd, size_t n_read);

/* A CSV file read as text, for tables that store values as they were written (plumb_features_load): the frame
 * has every column typed PLUMB_TYPE_STRING (each value's exact text; the default missing tokens are missing), and
 * the file's bytes are kept so plumb__csv_text_locate can say where a value sits. Free with plumb__csv_text_free
 * (also after a failed read, which leaves nothing to free). */
typedef struct plumb__csv_text {
    plumb_frame *frame;
    char *buf;
    size_t size;
    char name[PLUMB_PATH_MAX]; /* for errors: the path, or "<stdin>" */
} plumb__csv_text;
plumb_status plumb__csv_text_read(const char *path, plumb__csv_text *t, plumb_error *err);
/* Line and column (1-based) of field col of data row `row` (0-based; -1: the header). */
void plumb__csv_text_locate(const plumb__csv_text *t, int64_t row, int64_t col, int64_t *line, int64_t *column);
void plumb__csv_text_free(plumb__csv_text *t);

/* Whether a numeric column with this role is stored as float64. */
static inline bool plumb__role_wants_f64(plumb_role role) {
    return role == PLUMB_ROLE_TARGET || role == PLUMB_ROLE_WEIGHT || role == PLUMB_ROLE_TIME;
}

/* The spellings the CSV reader takes for a missing value by default (pandas' na_values and '?'): *n of them. */
const char *const *plumb__csv_default_missing(size_t *n);

#endif /* PLUMB_DATA_DATA_H */
