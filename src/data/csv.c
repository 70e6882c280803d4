/* csv.c -- the CSV reader: RFC 4180 text in, a typed columnar plumb_frame out.
 *
 * The input is one byte range: the file (or standard input) read into memory. Files are read, not mapped, so a
 * file truncated by another process is an error rather than SIGBUS. It is cut into chunks of a
 * few MiB that start on record boundaries: the parity of quote characters before a cut tells whether a newline
 * there is inside a quoted field, and quote counts per chunk are summed first so every cut is exact. A quick
 * pass counts the records of each chunk, so every chunk knows the row where its values go and the threads
 * write straight into the final column arrays (no second copy of the data).
 *
 * Types come from a sample (the first records and the first records of every chunk) unless the caller declared
 * them. A value that does not fit an inferred type marks the column, which is then re-inferred from all of its
 * values and parsed again; a value that does not fit a declared type is an error. Of several errors the first
 * in the file is reported, whatever the thread count. String columns get a dictionary per chunk, merged in
 * chunk order and sorted bytewise, so codes do not depend on threads either.
 *
 * Quotes are strict: a quote may only open a field, close it, or be doubled inside it. That keeps the quote
 * parity of any prefix meaningful, which the chunking relies on, and turns stray quotes into clear errors.
 */
#define _GNU_SOURCE
#include "data.h"
#include "value.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes per chunk. Tests and the fuzzer shrink it to push small inputs through the multi-chunk paths. */
size_t plumb__csv_chunk_bytes = (size_t)4 << 20;
/* Bytes per read() of a regular file, and a hook called after each one (tests change the file there). */
size_t plumb__csv_read_block = (size_t)16 << 20;
void (*plumb__csv_read_hook)(int fd, size_t n_read);
#define SAMPLE_FIRST 1000
#define SAMPLE_PER_CHUNK 100
#define MAX_COLUMNS 1000000

/* How one column is handled in one pass. */
enum kind { K_SKIP, K_GUESS, K_F32, K_F64, K_BOOL, K_DT, K_STR };

/* Guess flags: which types every non-missing value seen so far fits; BUMP: a value did not fit the type. */
enum { G_NUM = 1, G_BOOL = 2, G_DT = 4, G_ALL = 7, G_SEEN = 8, BUMP = 16 };

typedef struct column_plan {
    const char *name;
    plumb_type type; /* AUTO until inferred */
    plumb_role role;
    bool strict;                       /* declared by the caller: a value that does not fit is an error */
    bool inferred_string;              /* categorical or string, decided by the number of distinct values */
    const plumb__dict *fixed;          /* fixed categories from the caller's schema (borrowed) */
    const plumb__schema_col *declared; /* the caller's schema's column (borrowed), NULL when it has none */
    enum kind kind;
    void *out; /* n_rows values */
} column_plan;

typedef struct chunk {
    const char *begin, *end;
    int64_t row0, n_rows;
    const char *err_pos; /* first error in the chunk, or NULL */
    plumb_status err_code;
    char err_msg[PLUMB_MESSAGE_MAX];
    uint8_t *flags;     /* per column */
    plumb__dict *dicts; /* per column: local dictionary of string columns */
    char *scratch;      /* unescaped quoted field */
    size_t scratch_cap;
} chunk;

typedef struct reader {
    const char *name;
    const char *buf, *end;
    const char *content; /* after the BOM */
    const char *data;    /* after the header record */
    char delim;
    int n_threads;
    int64_t max_categories;
    const char *const *missing;
    size_t *missing_len;
    size_t n_missing;
    uint64_t missing_lens; /* bit n set: some token is n bytes long (bit 63: some token is 63 bytes or longer) */
    uint8_t missing_first[256 / 8]; /* bit b set: some nonempty token starts with byte b */
    bool numeric_missing;           /* a missing token reads as a number ("-999"): the number fast path must check */
    int64_t n_cols;
    plumb__dict names; /* header names, code = column index */
    column_plan *cols;
    int64_t n_chunks;
    chunk *chunks;
    int64_t n_rows;
} reader;

typedef struct field {
    const char *s, *e;
    bool escaped; /* contains doubled quotes */
} field;

/* pandas' default missing-value spellings (read_csv's na_values) and '?': what files written by numpy, pandas, R,
 * Excel and databases put where a value is missing. None of them parses as a number, so the number fast path
 * never has to look them up. */
static const char *const default_missing[] = {"",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
                                              "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
                                              "NaN",  "None",   "n/a",      "nan",  "null",    "?"};

const char *const *plumb__csv_default_missing(size_t *n) {
    *n = sizeof default_missing / sizeof *default_missing;
    return default_missing;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Errors                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static bool fail(chunk *c, const char *pos, plumb_status code, const char *fmt, ...) PLUMB__PRINTF(4, 5);

static bool fail(chunk *c, const char *pos, plumb_status code, const char *fmt, ...) {
    if (c->err_pos && c->err_pos <= pos)
        return false;
    c->err_pos = pos;
    c->err_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
    va_end(ap);
    return false;
}

/* Line (1-based) and column (1-based, in UTF-8 characters, not counting the BOM) of pos. */
static void locate(const reader *r, const char *pos, int64_t *line, int64_t *column) {
    int64_t ln = 1;
    const char *ls = r->content;
    for (const char *p = r->buf; p < pos;) {
        const char *nl = memchr(p, '\n', (size_t)(pos - p));
        if (!nl)
            break;
        ln++;
        ls = p = nl + 1;
    }
    int64_t col = 1;
    for (const char *p = ls; p < pos; p++)
        col += ((unsigned char)*p & 0xC0) != 0x80;
    *line = ln;
    *column = col;
}

static plumb_status report(const reader *r, const chunk *c, plumb_error *err) {
    if (c->err_code == PLUMB_ENOMEM)
        return plumb__fail(err, PLUMB_ENOMEM, "%s", c->err_msg);
    int64_t line, col;
    locate(r, c->err_pos, &line, &col);
    return plumb__error_at(err, c->err_code, r->name, line, col, "%s", c->err_msg);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Fields                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static inline bool field_end(const char *p, const char *end, char delim) {
    return p == end || *p == delim || *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'));
}

/* Scans the field starting at p; returns the byte after it (a delimiter, end of line or end of input), or NULL
 * with the chunk's error set. */
static const char *scan_field(const reader *r, chunk *c, const char *p, const char *end, field *f) {
    const char delim = r->delim;
    f->escaped = false;
    if (p < end && *p == '"') {
        const char *open = p++;
        f->s = p;
        for (;;) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            if (!q) {
                fail(c, open, PLUMB_EPARSE, "unterminated quoted field");
                return NULL;
            }
            if (q + 1 < end && q[1] == '"') {
                f->escaped = true;
                p = q + 2;
                continue;
            }
            f->e = q;
            p = q + 1;
            break;
        }
        if (!field_end(p, end, delim)) {
            fail(c, p, PLUMB_EPARSE, "unexpected character after closing quote");
            return NULL;
        }
        return p;
    }
    f->s = p;
    for (; p < end; p++) {
        const char ch = *p;
        if (ch == delim || ch == '\n' || (ch == '\r' && (p + 1 == end || p[1] == '\n')))
            break;
        if (ch == '"') {
            fail(c, p, PLUMB_EPARSE, "unexpected quote in unquoted field");
            return NULL;
        }
    }
    f->e = p;
    return p;
}

/* The field's text with doubled quotes undone (in the chunk's scratch buffer when needed). */
static bool field_text(chunk *c, const field *f, const char **s, size_t *n) {
    size_t len = (size_t)(f->e - f->s);
    if (!f->escaped) {
        *s = f->s;
        *n = len;
        return true;
    }
    if (len > c->scratch_cap) {
        char *b = realloc(c->scratch, len);
        if (!b)
            return false;
        c->scratch = b;
        c->scratch_cap = len;
    }
    size_t k = 0;
    for (const char *p = f->s; p < f->e; p++) {
        c->scratch[k++] = *p;
        if (*p == '"')
            p++; /* the second quote of a pair */
    }
    *s = c->scratch;
    *n = k;
    return true;
}

static bool is_missing(const reader *r, const char *s, size_t n) {
    /* most values are not missing: reject them on their length and first byte before comparing tokens */
    if (!(r->missing_lens >> (n < 63 ? n : 63) & 1))
        return false;
    if (n && !(r->missing_first[(unsigned char)*s >> 3] >> (*s & 7) & 1))
        return false;
    for (size_t i = 0; i < r->n_missing; i++)
        if (r->missing_len[i] == n && memcmp(r->missing[i], s, n) == 0)
            return true;
    return false;
}

static void trim(const char **s, size_t *n) {
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* A whole (trimmed) value as a number, including inf/infinity with a sign. */
static bool to_number(const char *s, size_t n, double *v) {
    if (n && plumb__parse_number(s, s + n, v) == s + n)
        return true;
    bool neg = n && s[0] == '-';
    if (n && (s[0] == '-' || s[0] == '+'))
        s++, n--;
    if ((n == 3 && strncasecmp(s, "inf", 3) == 0) || (n == 8 && strncasecmp(s, "infinity", 8) == 0)) {
        *v = neg ? -INFINITY : INFINITY;
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Values                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

/* A NUL byte inside a value: text values end at NUL everywhere downstream (model files, reports), so a value
 * that holds one is refused where it is, as in the header. Checked once per distinct value. */
static bool nul_in_value(reader *r, chunk *c, int64_t j, const char *fs, const char *s, size_t n) {
    const char *z = memchr(s, '\0', n);
    if (!z)
        return false;
    /* point at the NUL itself when s is the input (not an unescaped copy) */
    const char *at = s >= r->buf && s < r->end ? z : fs;
    fail(c, at, PLUMB_EPARSE, "NUL byte in a value of column '%s'", r->cols[j].name);
    return true;
}

static bool store_string(reader *r, chunk *c, int64_t j, int64_t row, const char *fs, const char *s, size_t n) {
    column_plan *col = &r->cols[j];
    int32_t code;
    if (is_missing(r, s, n)) {
        code = PLUMB_CODE_MISSING;
    } else if (col->fixed) {
        code = plumb__dict_find(col->fixed, s, n);
        if (code < 0 && nul_in_value(r, c, j, fs, s, n))
            return false;
        if (code < 0)
            code = PLUMB_CODE_UNSEEN;
    } else {
        bool added;
        code = plumb__dict_intern(&c->dicts[j], s, n, &added);
        if (code < 0)
            return fail(c, fs, PLUMB_ENOMEM, "out of memory");
        if (added && !plumb__utf8_valid(s, n, NULL))
            return fail(c, fs, PLUMB_EPARSE, "invalid UTF-8 in column '%s'", col->name);
        if (added && nul_in_value(r, c, j, fs, s, n))
            return false;
    }
    ((int32_t *)col->out)[row] = code;
    return true;
}

static bool bad_value(reader *r, chunk *c, int64_t j, const char *fs, const char *what, const char *s, size_t n) {
    column_plan *col = &r->cols[j];
    if (!col->strict) {
        /* Text that is not UTF-8 fails in whatever type the column is re-inferred as; report it in this pass, so
         * it is not lost to a later error that this pass finds first. */
        if (!plumb__utf8_valid(s, n, NULL))
            return fail(c, fs, PLUMB_EPARSE, "invalid UTF-8 in column '%s'", col->name);
        c->flags[j] |= BUMP; /* re-inferred and parsed again */
        return true;
    }
    char q[72];
    plumb__quote(q, sizeof q, s, n);
    return fail(c, fs, PLUMB_EPARSE, "bad %s '%s' in column '%s'", what, q, col->name);
}

/* Stores field f (starting at fs) of column j, kind k, at row: the general path for every kind. */
static bool store_field(reader *r, chunk *c, int64_t j, enum kind k, int64_t row, const char *fs, const field *f) {
    const char *s;
    size_t n;
    if (!field_text(c, f, &s, &n))
        return fail(c, fs, PLUMB_ENOMEM, "out of memory");
    if (k == K_STR)
        return store_string(r, c, j, row, fs, s, n);
    trim(&s, &n);
    const bool missing = is_missing(r, s, n);
    void *out = r->cols[j].out;
    switch (k) {
    case K_GUESS:
        if (!missing) {
            double d;
            uint8_t b;
            int64_t t;
            unsigned fits = (to_number(s, n, &d) ? G_NUM : 0) | (plumb__parse_bool(s, n, &b) ? G_BOOL : 0) |
                            (plumb__parse_datetime(s, n, &t) ? G_DT : 0);
            c->flags[j] = (uint8_t)((c->flags[j] & (fits | ~G_ALL)) | G_SEEN);
        }
        return true;
    case K_F32:
    case K_F64: {
        double v = NAN;
        if (!missing && !to_number(s, n, &v)) {
            v = NAN;
            if (!bad_value(r, c, j, fs, "number", s, n))
                return false;
        }
        if (k == K_F32)
            ((float *)out)[row] = plumb__to_float(v, s, s + n);
        else
            ((double *)out)[row] = v;
        return true;
    }
    case K_BOOL: {
        uint8_t v = PLUMB_BOOL_MISSING;
        if (!missing && !plumb__parse_bool(s, n, &v)) {
            v = PLUMB_BOOL_MISSING;
            if (!bad_value(r, c, j, fs, "boolean", s, n))
                return false;
        }
        ((uint8_t *)out)[row] = v;
        return true;
    }
    case K_DT: {
        int64_t v = PLUMB_DATETIME_MISSING;
        if (!missing && !plumb__parse_datetime(s, n, &v)) {
            v = PLUMB_DATETIME_MISSING;
            if (!bad_value(r, c, j, fs, "datetime", s, n))
                return false;
        }
        ((int64_t *)out)[row] = v;
        return true;
    }
    default:
        return true;
    }
}

/* Counts the fields of the record from p on, for the message about a ragged row. */
static int64_t count_rest(const reader *r, chunk *c, const char *p, const char *end) {
    int64_t n = 1;
    chunk scratch = *c; /* scan errors here must not replace the ragged-row error */
    field f;
    while ((p = scan_field(r, &scratch, p, end, &f)) && p < end && *p == r->delim) {
        p++;
        n++;
    }
    return n;
}

/* One pass over the chunk's records, at most max_rows of them, handling column j as kinds[j].
 * Returns false with the chunk's error set. */
static bool run_chunk(reader *r, chunk *c, const enum kind *kinds, int64_t max_rows) {
    const char *p = c->begin, *const end = c->end;
    const char delim = r->delim;
    const int64_t ncol = r->n_cols;
    int64_t rec = 0;
    while (p < end) {
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
            p++; /* blank line */
            continue;
        }
        if (rec == max_rows)
            break;
        const int64_t row = c->row0 + rec;
        for (int64_t j = 0;; j++) {
            if (j == ncol)
                return fail(c, p, PLUMB_EPARSE, "expected %lld fields, found %lld", (long long)ncol,
                            (long long)(ncol + count_rest(r, c, p, end)));
            const enum kind k = kinds[j];
            if ((k == K_F32 || k == K_F64) && p < end && *p != '"') {
                /* fast path: a plain number straight from the input */
                double v;
                const char *q = plumb__parse_number(p, end, &v);
                if (q && field_end(q, end, delim) && !(r->numeric_missing && is_missing(r, p, (size_t)(q - p)))) {
                    if (k == K_F32)
                        ((float *)r->cols[j].out)[row] = plumb__to_float(v, p, q);
                    else
                        ((double *)r->cols[j].out)[row] = v;
                    p = q;
                    goto next;
                }
            }
            {
                const char *fs = p;
                field f;
                if (!(p = scan_field(r, c, p, end, &f)))
                    return false;
                if (k != K_SKIP && !store_field(r, c, j, k, row, fs, &f))
                    return false;
            }
        next:
            if (p < end && *p == delim) {
                p++;
                continue;
            }
            if (j + 1 != ncol)
                return fail(c, p, PLUMB_EPARSE, "expected %lld fields, found %lld", (long long)ncol,
                            (long long)(j + 1));
            if (p < end && *p == '\r')
                p++;
            if (p < end && *p == '\n')
                p++;
            break;
        }
        rec++;
    }
    /* The record count comes from a separate pass; a disagreement would mean writing out of bounds. */
    if (max_rows == c->n_rows && (rec != c->n_rows || p < end))
        return fail(c, p, PLUMB_EPARSE, "internal error: records miscounted");
    return true;
}

/* Runs a pass over every chunk (max_rows_first for the first chunk, max_rows_rest for the others; -1 = all).
 * Returns the index of the chunk holding the first error in the file, or -1. */
static int64_t run_pass(reader *r, const enum kind *kinds, int64_t max_rows_first, int64_t max_rows_rest) {
    const int64_t n = r->n_chunks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->n_threads)
    for (int64_t i = 0; i < n; i++) {
        chunk *c = &r->chunks[i];
        int64_t max = i == 0 ? max_rows_first : max_rows_rest;
        run_chunk(r, c, kinds, max < 0 ? c->n_rows : max);
    }
    int64_t first = -1;
    for (int64_t i = 0; i < n; i++)
        if (r->chunks[i].err_pos && (first < 0 || r->chunks[i].err_pos < r->chunks[first].err_pos))
            first = i;
    return first;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Header                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static const char *skip_blank_lines(const char *p, const char *end) {
    while (p < end && (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))))
        p++;
    return p;
}

static plumb_status parse_header(reader *r, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    chunk hc = {0};
    const char *p = skip_blank_lines(r->content, r->end), *const end = r->end;
    if (p == end) {
        hc.err_pos = r->content;
        hc.err_code = PLUMB_EPARSE;
        snprintf(hc.err_msg, sizeof hc.err_msg, "empty file");
        goto done;
    }
    /* Line breaks that are carriage returns alone (classic Mac OS, some spreadsheet exports) would read as one
     * long header line: say what the file holds instead. */
    const char *cr = memchr(p, '\n', (size_t)(end - p)) ? NULL : memchr(p, '\r', (size_t)(end - p));
    if (cr && cr + 1 < end) {
        fail(&hc, cr, PLUMB_EPARSE,
             "lines end with a carriage return alone (CR, classic Mac OS): convert the line breaks to LF or CRLF");
        goto done;
    }
    for (;;) {
        const char *fs = p;
        field f;
        const char *s;
        size_t n, bad;
        if (!(p = scan_field(r, &hc, p, end, &f)))
            goto done;
        if (!field_text(&hc, &f, &s, &n)) {
            fail(&hc, fs, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        if (!plumb__utf8_valid(s, n, &bad)) {
            fail(&hc, f.escaped ? fs : f.s + bad, PLUMB_EPARSE, "invalid UTF-8 in header");
            goto done;
        }
        if (n == 0 || memchr(s, '\0', n)) {
            fail(&hc, fs, PLUMB_EPARSE, n ? "NUL byte in column name" : "empty column name");
            goto done;
        }
        bool added;
        int32_t code = plumb__dict_intern(&r->names, s, n, &added);
        if (code < 0) {
            fail(&hc, fs, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        if (!added) {
            char q[72];
            plumb__quote(q, sizeof q, s, n);
            fail(&hc, fs, PLUMB_ESCHEMA, "duplicate column name '%s'", q);
            goto done;
        }
        if (r->names.n > MAX_COLUMNS) {
            fail(&hc, fs, PLUMB_EPARSE, "more than %d columns", MAX_COLUMNS);
            goto done;
        }
        if (p < end && *p == r->delim) {
            p++;
            continue;
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        break;
    }
    r->data = p;
    r->n_cols = r->names.n;
done:
    if (hc.err_pos)
        st = report(r, &hc, err);
    free(hc.scratch);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Column plans                                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

static plumb_status absent(const reader *r, const char *what, const char *name, plumb_error *err) {
    return plumb__error_at(err, PLUMB_ESCHEMA, r->name, 1, 1, "%s column '%s' not found in header", what, name);
}

static plumb_status set_role(reader *r, const char *name, plumb_role role, plumb_error *err) {
    if (!name)
        return PLUMB_OK;
    int32_t j = plumb__dict_find(&r->names, name, strlen(name));
    if (j < 0)
        return absent(r, plumb_role_name(role), name, err);
    if (role == PLUMB_ROLE_TARGET)
        for (int64_t k = 0; k < r->n_cols; k++)
            if (r->cols[k].role == PLUMB_ROLE_TARGET)
                r->cols[k].role = PLUMB_ROLE_FEATURE; /* the explicit option wins over the schema */
    r->cols[j].role = role;
    return PLUMB_OK;
}

static plumb_status plan_columns(reader *r, const plumb_read_options *o, plumb_error *err) {
    plumb_status st;
    if (!(r->cols = calloc((size_t)r->n_cols, sizeof *r->cols)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (int64_t j = 0; j < r->n_cols; j++) {
        r->cols[j].name = plumb__dict_str(&r->names, (int32_t)j);
        r->cols[j].type = PLUMB_TYPE_AUTO;
        r->cols[j].role = PLUMB_ROLE_FEATURE;
    }
    for (int64_t i = 0; o->schema && i < o->schema->n; i++) {
        const plumb__schema_col *sc = &o->schema->cols[i];
        int32_t j = plumb__dict_find(&r->names, sc->name, strlen(sc->name));
        if (j < 0 && o->schema_subset)
            continue;
        if (j < 0)
            return absent(r, sc->role == PLUMB_ROLE_FEATURE ? "schema" : plumb_role_name(sc->role), sc->name, err);
        column_plan *c = &r->cols[j];
        c->type = sc->type;
        c->role = sc->role;
        c->strict = sc->type != PLUMB_TYPE_AUTO;
        c->declared = sc;
        if (sc->fixed) {
            if (c->type != PLUMB_TYPE_CATEGORICAL && c->type != PLUMB_TYPE_STRING && c->type != PLUMB_TYPE_AUTO)
                return plumb__fail(err, PLUMB_EINVAL, "column '%s' has categories but type %s", sc->name,
                                   plumb_type_name(c->type));
            if (c->type == PLUMB_TYPE_AUTO)
                c->type = PLUMB_TYPE_CATEGORICAL;
            c->fixed = &sc->cats;
        }
    }
    for (size_t i = 0; i < o->n_categorical; i++) {
        int32_t j = plumb__dict_find(&r->names, o->categorical[i], strlen(o->categorical[i]));
        if (j < 0)
            return absent(r, "categorical", o->categorical[i], err);
        r->cols[j].type = PLUMB_TYPE_CATEGORICAL;
        r->cols[j].strict = true;
    }
    if ((st = set_role(r, o->target, PLUMB_ROLE_TARGET, err)) != PLUMB_OK ||
        (st = set_role(r, o->id_col, PLUMB_ROLE_ID, err)) != PLUMB_OK ||
        (st = set_role(r, o->time_col, PLUMB_ROLE_TIME, err)) != PLUMB_OK ||
        (st = set_role(r, o->weight_col, PLUMB_ROLE_WEIGHT, err)) != PLUMB_OK ||
        (st = set_role(r, o->group_col, PLUMB_ROLE_GROUP, err)) != PLUMB_OK)
        return st;
    for (int64_t j = 0; j < r->n_cols; j++) {
        column_plan *c = &r->cols[j];
        if (c->type != PLUMB_TYPE_AUTO)
            continue;
        /* identifiers and groups are labels: keep their exact text; a weight must be a number */
        if (c->role == PLUMB_ROLE_ID || c->role == PLUMB_ROLE_GROUP)
            c->type = PLUMB_TYPE_STRING;
        else if (c->role == PLUMB_ROLE_WEIGHT)
            c->type = PLUMB_TYPE_NUMERIC, c->strict = true;
    }
    return PLUMB_OK;
}

static enum kind kind_of(const column_plan *c) {
    switch (c->type) {
    case PLUMB_TYPE_NUMERIC:
        return plumb__role_wants_f64(c->role) ? K_F64 : K_F32;
    case PLUMB_TYPE_CATEGORICAL:
    case PLUMB_TYPE_STRING:
        return K_STR;
    case PLUMB_TYPE_DATETIME:
        return K_DT;
    case PLUMB_TYPE_BOOL:
        return K_BOOL;
    default:
        return K_SKIP;
    }
}

static size_t kind_size(enum kind k) {
    switch (k) {
    case K_F32:
    case K_STR:
        return 4;
    case K_F64:
    case K_DT:
        return 8;
    case K_BOOL:
        return 1;
    default:
        return 0;
    }
}

/* Combines the chunks' guess flags of column j into a type. */
static void resolve_guess(reader *r, int64_t j) {
    unsigned fits = G_ALL, seen = 0;
    for (int64_t i = 0; i < r->n_chunks; i++) {
        fits &= r->chunks[i].flags[j] & G_ALL;
        seen |= r->chunks[i].flags[j] & G_SEEN;
    }
    column_plan *c = &r->cols[j];
    c->inferred_string = false;
    if (!seen || (fits & G_NUM))
        c->type = PLUMB_TYPE_NUMERIC; /* all missing: numeric, all NaN */
    else if (fits & G_BOOL)
        c->type = PLUMB_TYPE_BOOL;
    else if (fits & G_DT)
        c->type = PLUMB_TYPE_DATETIME;
    else
        c->type = PLUMB_TYPE_CATEGORICAL, c->inferred_string = true;
}

/* Infers the types of the columns marked in redo (all AUTO columns on the first call) from a guess pass. */
static void guess_types(reader *r, enum kind *kinds, const bool *redo, bool sample) {
    for (int64_t j = 0; j < r->n_cols; j++) {
        kinds[j] = redo[j] ? K_GUESS : K_SKIP;
        for (int64_t i = 0; i < r->n_chunks; i++)
            r->chunks[i].flags[j] = G_ALL;
    }
    /* a guess pass cannot fail but on malformed CSV, which the parse pass reports in file order */
    if (sample)
        run_pass(r, kinds, SAMPLE_FIRST, SAMPLE_PER_CHUNK);
    else
        run_pass(r, kinds, -1, -1);
    for (int64_t i = 0; i < r->n_chunks; i++)
        r->chunks[i].err_pos = NULL;
    for (int64_t j = 0; j < r->n_cols; j++)
        if (redo[j])
            resolve_guess(r, j);
}

/* (Re)allocates the output arrays of the columns marked in redo, after their types are known. */
static bool alloc_outputs(reader *r, enum kind *kinds, const bool *redo) {
    for (int64_t j = 0; j < r->n_cols; j++) {
        column_plan *c = &r->cols[j];
        kinds[j] = K_SKIP;
        if (!redo[j])
            continue;
        free(c->out);
        c->kind = kinds[j] = kind_of(c);
        if (!(c->out = malloc((size_t)(r->n_rows ? r->n_rows : 1) * kind_size(c->kind))))
            return false;
        for (int64_t i = 0; i < r->n_chunks; i++) {
            r->chunks[i].flags[j] = 0;
            plumb__dict_clear(&r->chunks[i].dicts[j]);
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Chunks                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static int64_t count_quotes(const char *p, const char *end) {
    int64_t n = 0;
    while ((p = memchr(p, '"', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

/* Records in [p, end): non-blank lines, where a newline inside quotes does not end a record. Must agree with
 * run_chunk on every well-formed input. */
static int64_t count_records(const char *p, const char *end) {
    int64_t n = 0;
    if (!memchr(p, '"', (size_t)(end - p))) {
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            n += le > p && !(le - p == 1 && *p == '\r');
            p = nl ? nl + 1 : end;
        }
        return n;
    }
    bool in_quotes = false, at_start = true;
    for (; p < end; p++) {
        const char ch = *p;
        if (at_start) {
            if (ch == '\n' || (ch == '\r' && (p + 1 == end || p[1] == '\n')))
                continue;
            n++;
            at_start = false;
        }
        if (ch == '"')
            in_quotes = !in_quotes;
        else if (ch == '\n' && !in_quotes)
            at_start = true;
    }
    return n;
}

static plumb_status plan_chunks(reader *r, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    const char *const data = r->data, *const end = r->end;
    const size_t size = (size_t)(end - data);
    int64_t n = (int64_t)(size / plumb__csv_chunk_bytes) + 1;
    if (size > ((size_t)1 << 20) && n < 4 * r->n_threads)
        n = 4 * r->n_threads;
    int64_t *quotes = calloc((size_t)n, sizeof *quotes);
    r->chunks = calloc((size_t)n, sizeof *r->chunks);
    if (!quotes || !r->chunks) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    r->n_chunks = n;
    const bool has_quotes = memchr(data, '"', size) != NULL;
    if (has_quotes) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->n_threads)
        for (int64_t i = 0; i < n; i++)
            quotes[i] = count_quotes(data + size * (size_t)i / (size_t)n, data + size * (size_t)(i + 1) / (size_t)n);
    }
    int64_t parity = 0;
    r->chunks[0].begin = data;
    for (int64_t i = 1; i < n; i++) {
        parity += quotes[i - 1];
        const char *p = data + size * (size_t)i / (size_t)n;
        bool in_quotes = parity & 1;
        for (; p < end; p++) {
            if (*p == '"')
                in_quotes = !in_quotes;
            else if (*p == '\n' && !in_quotes)
                break;
        }
        p = p < end ? p + 1 : end;
        r->chunks[i].begin = p > r->chunks[i - 1].begin ? p : r->chunks[i - 1].begin;
    }
    for (int64_t i = 0; i < n; i++)
        r->chunks[i].end = i + 1 < n ? r->chunks[i + 1].begin : end;
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->n_threads)
    for (int64_t i = 0; i < n; i++)
        r->chunks[i].n_rows = count_records(r->chunks[i].begin, r->chunks[i].end);
    for (int64_t i = 0; i < n; i++) {
        r->chunks[i].row0 = r->n_rows;
        r->n_rows += r->chunks[i].n_rows;
        r->chunks[i].flags = calloc((size_t)r->n_cols, 1);
        r->chunks[i].dicts = calloc((size_t)r->n_cols, sizeof(plumb__dict));
        if (!r->chunks[i].flags || !r->chunks[i].dicts) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    }
done:
    free(quotes);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Dictionaries                                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

/* Orders dictionary codes by their strings' bytes (a shorter prefix first). */
static int cmp_codes(const void *a, const void *b, void *ctx) {
    const plumb__dict *d = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    size_t lx = d->lens[x], ly = d->lens[y];
    int c = memcmp(plumb__dict_str(d, x), plumb__dict_str(d, y), lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* Merges the chunks' dictionaries of string column j into *sorted (codes in bytewise order) and rewrites the
 * column's codes. Counts non-missing values into *n_present. */
static bool merge_dicts(reader *r, int64_t j, plumb__dict *sorted, int64_t *n_present) {
    bool ok = false;
    plumb__dict all = {0};
    int32_t **maps = calloc((size_t)r->n_chunks, sizeof *maps);
    int32_t *order = NULL, *rank = NULL;
    if (!maps)
        goto done;
    for (int64_t i = 0; i < r->n_chunks; i++) {
        const plumb__dict *d = &r->chunks[i].dicts[j];
        if (!(maps[i] = malloc(((size_t)d->n + 1) * sizeof **maps)))
            goto done;
        for (int32_t k = 0; k < d->n; k++)
            if ((maps[i][k] = plumb__dict_intern(&all, plumb__dict_str(d, k), d->lens[k], NULL)) < 0)
                goto done;
    }
    order = malloc(((size_t)all.n + 1) * sizeof *order);
    rank = malloc(((size_t)all.n + 1) * sizeof *rank);
    if (!order || !rank)
        goto done;
    for (int32_t k = 0; k < all.n; k++)
        order[k] = k;
    qsort_r(order, (size_t)all.n, sizeof *order, cmp_codes, &all);
    for (int32_t k = 0; k < all.n; k++) {
        rank[order[k]] = k;
        if (plumb__dict_intern(sorted, plumb__dict_str(&all, order[k]), all.lens[order[k]], NULL) < 0)
            goto done;
    }
    int32_t *codes = r->cols[j].out;
    int64_t present = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(r->n_threads) reduction(+ : present)
    for (int64_t i = 0; i < r->n_chunks; i++) {
        const chunk *c = &r->chunks[i];
        for (int64_t row = c->row0; row < c->row0 + c->n_rows; row++) {
            if (codes[row] >= 0) {
                codes[row] = rank[maps[i][codes[row]]];
                present++;
            }
        }
    }
    *n_present = present;
    ok = true;
done:
    for (int64_t i = 0; maps && i < r->n_chunks; i++)
        free(maps[i]);
    free(maps);
    free(order);
    free(rank);
    plumb__dict_clear(&all);
    return ok;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Frame                                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

/* The position of field j of the record that holds row (data known to be well-formed: it was parsed). */
static const char *field_position(const reader *r, int64_t row, int64_t j) {
    int64_t i = 0;
    while (i + 1 < r->n_chunks && r->chunks[i + 1].row0 <= row)
        i++;
    chunk scratch = {0};
    const char *p = r->chunks[i].begin, *const end = r->chunks[i].end;
    for (int64_t rec = r->chunks[i].row0;; rec++) {
        p = skip_blank_lines(p, end);
        for (int64_t k = 0;; k++) {
            field f;
            if (rec == row && k == j)
                return p;
            const char *q = scan_field(r, &scratch, p, end, &f);
            if (!q)
                return p;
            p = q;
            if (p < end && *p == r->delim) {
                p++;
                continue;
            }
            if (p < end && *p == '\r')
                p++;
            if (p < end && *p == '\n')
                p++;
            break;
        }
    }
}

/* The note of an inferred text column whose distinct values are mostly numbers (or datetimes): the first value
 * in the file that is not, where it is, and how many values are. One value such as "n.a." turns a numeric column
 * into text, which a model then cannot use as a number: the note lets the tools say so. NULL when there is
 * nothing to say (or no memory for it). */
static char *fallback_note(const reader *r, int64_t j, const plumb__dict *cats, const int32_t *codes) {
    char *note = NULL;
    uint8_t *fits = malloc((size_t)cats->n + 1);
    if (!fits || cats->n == 0)
        goto done;
    int32_t n_num = 0, n_dt = 0;
    for (int32_t k = 0; k < cats->n; k++) {
        const char *s = plumb__dict_str(cats, k);
        size_t n = cats->lens[k];
        double d;
        trim(&s, &n);
        fits[k] = to_number(s, n, &d);
        n_num += fits[k];
    }
    const char *what = "number";
    int32_t n_fit = n_num;
    if (2 * (int64_t)n_num <= cats->n) {
        for (int32_t k = 0; k < cats->n; k++) {
            const char *s = plumb__dict_str(cats, k);
            size_t n = cats->lens[k];
            int64_t t;
            trim(&s, &n);
            fits[k] = plumb__parse_datetime(s, n, &t);
            n_dt += fits[k];
        }
        what = "datetime";
        n_fit = n_dt;
    }
    if (2 * (int64_t)n_fit <= cats->n)
        goto done;
    int64_t row = 0;
    while (row < r->n_rows && (codes[row] < 0 || fits[codes[row]]))
        row++;
    if (row == r->n_rows)
        goto done;
    int64_t line, col;
    locate(r, field_position(r, row, j), &line, &col);
    char q[72];
    const int32_t bad = codes[row];
    plumb__quote(q, sizeof q, plumb__dict_str(cats, bad), cats->lens[bad]);
    const char *fmt = "%s:%lld:%lld: '%s' is not a %s (%lld of %lld distinct values are)";
    int len =
        snprintf(NULL, 0, fmt, r->name, (long long)line, (long long)col, q, what, (long long)n_fit, (long long)cats->n);
    if (len > 0 && (note = malloc((size_t)len + 1)))
        snprintf(note, (size_t)len + 1, fmt, r->name, (long long)line, (long long)col, q, what, (long long)n_fit,
                 (long long)cats->n);
done:
    free(fits);
    return note;
}

/* Moves the parsed columns into a new frame. */
static plumb_status build_frame(reader *r, plumb_frame **out, plumb_error *err) {
    plumb_frame *f = calloc(1, sizeof *f);
    plumb__dict cats = {0};
    if (!f || !(f->cols = calloc((size_t)r->n_cols, sizeof *f->cols)) ||
        plumb_schema_create(&f->schema, NULL) != PLUMB_OK)
        goto nomem;
    f->n_rows = r->n_rows;
    for (int64_t j = 0; j < r->n_cols; j++) {
        column_plan *c = &r->cols[j];
        int64_t idx = plumb__schema_add(f->schema, c->name);
        if (idx < 0)
            goto nomem;
        plumb__schema_col *sc = &f->schema->cols[idx];
        sc->role = c->role;
        sc->type = c->type;
        if (c->declared) { /* availability declarations travel with the data */
            sc->available_after_days = c->declared->available_after_days;
            if (c->declared->available_at && !(sc->available_at = strdup(c->declared->available_at)))
                goto nomem;
        }
        if (c->kind == K_STR) {
            int64_t present = 0;
            bool ok = c->fixed ? plumb__dict_copy(&cats, c->fixed) : merge_dicts(r, j, &cats, &present);
            if (!ok)
                goto nomem;
            if (c->inferred_string && c->role != PLUMB_ROLE_TARGET &&
                (cats.n > r->max_categories || (present >= 50 && 2 * (int64_t)cats.n > present)))
                sc->type = PLUMB_TYPE_STRING;
            if (c->inferred_string)
                sc->note = fallback_note(r, j, &cats, c->out);
            if (!plumb__schema_take_categories(f->schema, idx, &cats))
                goto nomem;
        }
        plumb__column *fc = &f->cols[j];
        switch (c->kind) {
        case K_F32:
            fc->f32 = c->out;
            break;
        case K_F64:
            fc->f64 = c->out;
            break;
        case K_STR:
            fc->codes = c->out;
            break;
        case K_DT:
            fc->i64 = c->out;
            break;
        default:
            fc->u8 = c->out;
            break;
        }
        c->out = NULL;
    }
    *out = f;
    return PLUMB_OK;
nomem:
    plumb__dict_clear(&cats);
    plumb_frame_free(f);
    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Reading                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb_read_options_init(plumb_read_options *o) {
    memset(o, 0, sizeof *o);
    o->delimiter = ',';
    o->max_categories = 1000;
}

static void reader_free(reader *r) {
    for (int64_t i = 0; r->chunks && i < r->n_chunks; i++) {
        chunk *c = &r->chunks[i];
        for (int64_t j = 0; c->dicts && j < r->n_cols; j++)
            plumb__dict_clear(&c->dicts[j]);
        free(c->dicts);
        free(c->flags);
        free(c->scratch);
    }
    free(r->chunks);
    for (int64_t j = 0; r->cols && j < r->n_cols; j++)
        free(r->cols[j].out);
    free(r->cols);
    free(r->missing_len);
    plumb__dict_clear(&r->names);
}

static plumb_status read_core(const char *data, size_t size, const char *name, const plumb_read_options *opts,
                              plumb_frame **out, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb_read_options defaults;
    reader r = {0};
    enum kind *kinds = NULL;
    bool *redo = NULL;
    *out = NULL;
    plumb__error_clear(err);
    if (!opts) {
        plumb_read_options_init(&defaults);
        opts = &defaults;
    }
    const char d = opts->delimiter;
    if (d == '"' || d == '\n' || d == '\r' || d == '\0' || (unsigned char)d >= 0x80)
        return plumb__fail(err, PLUMB_EINVAL,
                           "bad delimiter: expected one ASCII character other than a quote "
                           "or line break");
    if (opts->max_categories < 1)
        return plumb__fail(err, PLUMB_EINVAL, "max_categories must be at least 1");
    r.name = name;
    r.buf = r.content = data;
    r.end = data + size;
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r.content += 3;
    r.delim = d;
    r.n_threads = plumb__threads(opts->n_threads);
    r.max_categories = opts->max_categories;
    r.missing = opts->missing_tokens ? opts->missing_tokens : default_missing;
    r.n_missing = opts->missing_tokens ? opts->n_missing_tokens : sizeof default_missing / sizeof *default_missing;
    if (!(r.missing_len = malloc((r.n_missing + 1) * sizeof *r.missing_len)))
        goto nomem;
    for (size_t i = 0; i < r.n_missing; i++) {
        const char *m = r.missing[i], *e = m + strlen(m);
        double v;
        r.missing_len[i] = (size_t)(e - m);
        r.missing_lens |= (uint64_t)1 << (r.missing_len[i] < 63 ? r.missing_len[i] : 63);
        if (e > m)
            r.missing_first[(unsigned char)*m >> 3] |= (uint8_t)(1u << (*m & 7));
        r.numeric_missing |= e > m && plumb__parse_number(m, e, &v) == e;
    }

    if ((st = parse_header(&r, err)) != PLUMB_OK || (st = plan_columns(&r, opts, err)) != PLUMB_OK ||
        (st = plan_chunks(&r, err)) != PLUMB_OK)
        goto done;
    if (r.n_rows == 0) {
        int64_t line, col;
        locate(&r, r.data, &line, &col);
        st = plumb__error_at(err, PLUMB_EPARSE, r.name, line, col, "no data rows after the header");
        goto done;
    }
    kinds = malloc((size_t)r.n_cols * sizeof *kinds);
    redo = malloc((size_t)r.n_cols * sizeof *redo);
    if (!kinds || !redo)
        goto nomem;

    /* types from a sample, then one pass over everything */
    bool any = false;
    for (int64_t j = 0; j < r.n_cols; j++)
        any |= redo[j] = r.cols[j].type == PLUMB_TYPE_AUTO;
    if (any)
        guess_types(&r, kinds, redo, true);
    for (int64_t j = 0; j < r.n_cols; j++)
        redo[j] = true;
    if (!alloc_outputs(&r, kinds, redo))
        goto nomem;
    int64_t e = run_pass(&r, kinds, -1, -1);
    if (e >= 0) {
        st = report(&r, &r.chunks[e], err);
        goto done;
    }

    /* columns whose sample misled: infer from all values and parse again */
    any = false;
    for (int64_t j = 0; j < r.n_cols; j++) {
        redo[j] = false;
        for (int64_t i = 0; i < r.n_chunks; i++)
            redo[j] |= (r.chunks[i].flags[j] & BUMP) != 0;
        any |= redo[j];
    }
    if (any) {
        guess_types(&r, kinds, redo, false);
        if (!alloc_outputs(&r, kinds, redo))
            goto nomem;
        if ((e = run_pass(&r, kinds, -1, -1)) >= 0) {
            st = report(&r, &r.chunks[e], err);
            goto done;
        }
    }
    st = build_frame(&r, out, err);
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    free(kinds);
    free(redo);
    reader_free(&r);
    return st;
}

plumb_status plumb_frame_read_buffer(const void *data, size_t size, const plumb_read_options *opts, plumb_frame **out,
                                     plumb_error *err) {
    const char *name = opts && opts->display_name ? opts->display_name : "<buffer>";
    return read_core(data, size, name, opts, out, err);
}

/* Reads all of fd into a malloc'd buffer. */
static plumb_status slurp(int fd, const char *name, char **buf, size_t *size, plumb_error *err) {
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        ssize_t got = read(fd, b + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(b);
            return plumb__fail(err, PLUMB_EIO, "cannot read '%s': %s", name, strerror(errno));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    *buf = b;
    *size = n;
    return PLUMB_OK;
}

/* Reads a regular file of `expected` bytes (its size when opened) into a malloc'd buffer, in blocks. The file is
 * read, not mapped: a mapped file that another process truncates kills the reader with SIGBUS at the first access
 * past the new end, and a library must not catch signals for the process. Memory stays one copy of the file.
 * A file whose size changes while it is read (fewer bytes than expected, more after them, or a different size
 * afterwards) is an error, never a frame of a partial file. */
static plumb_status read_regular(int fd, const char *name, size_t expected, char **buf, size_t *size,
                                 plumb_error *err) {
    char *b = malloc(expected + 1);
    size_t n = 0;
    if (!b)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (;;) {
        size_t want = expected + 1 - n; /* one byte more than expected: the file must end there */
        if (want > plumb__csv_read_block)
            want = plumb__csv_read_block;
        ssize_t got = read(fd, b + n, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(b);
            return plumb__fail(err, PLUMB_EIO, "cannot read '%s': %s", name, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (plumb__csv_read_hook)
            plumb__csv_read_hook(fd, n);
        if (n > expected)
            break;
    }
    struct stat sb;
    if (n != expected || fstat(fd, &sb) != 0 || (size_t)sb.st_size != expected) {
        free(b);
        return plumb__fail(err, PLUMB_EIO, "'%s' changed while it was read (%zu bytes when opened, %s)", name, expected,
                           n < expected ? "it ended early" : "it grew or shrank");
    }
    *buf = b;
    *size = n;
    return PLUMB_OK;
}

/* The bytes of path ("-": standard input) into *buf (malloc'd, *size bytes). */
static plumb_status read_file(const char *path, const char *name, char **buf, size_t *size, plumb_error *err) {
    const bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return plumb__fail(err, PLUMB_EIO, "cannot open '%s': %s", path, strerror(errno));
    plumb_status st;
    struct stat sb;
    *buf = NULL;
    *size = 0;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        st = read_regular(fd, name, (size_t)sb.st_size, buf, size, err);
    else
        st = slurp(fd, name, buf, size, err);
    if (!is_stdin)
        close(fd);
    return st;
}

plumb_status plumb_frame_read_csv(const char *path, const plumb_read_options *opts, plumb_frame **out,
                                  plumb_error *err) {
    *out = NULL;
    const char *name = opts && opts->display_name ? opts->display_name : strcmp(path, "-") == 0 ? "<stdin>" : path;
    char *buf = NULL;
    size_t size = 0;
    plumb_status st = read_file(path, name, &buf, &size, err);
    if (st == PLUMB_OK)
        st = read_core(buf, size, name, opts, out, err);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Text tables                                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

/* A reader over t's bytes that has parsed nothing: enough for locate() and field_position(). */
static void text_reader(const plumb__csv_text *t, reader *r) {
    memset(r, 0, sizeof *r);
    r->name = t->name;
    r->buf = r->content = t->buf;
    r->end = t->buf + t->size;
    if (t->size >= 3 && memcmp(t->buf, "\xEF\xBB\xBF", 3) == 0)
        r->content += 3;
    r->delim = ',';
}

plumb_status plumb__csv_text_read(const char *path, plumb__csv_text *t, plumb_error *err) {
    plumb_status st;
    plumb_schema *schema = NULL;
    reader r;
    memset(t, 0, sizeof *t);
    plumb__error_clear(err);
    snprintf(t->name, sizeof t->name, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
    if ((st = read_file(path, t->name, &t->buf, &t->size, err)) != PLUMB_OK)
        goto done;
    /* the header first, for the names the schema declares as text */
    text_reader(t, &r);
    st = parse_header(&r, err);
    if (st == PLUMB_OK)
        st = plumb_schema_create(&schema, err);
    for (int32_t j = 0; st == PLUMB_OK && j < r.names.n; j++)
        st = plumb_schema_set_type(schema, plumb__dict_str(&r.names, j), PLUMB_TYPE_STRING, err);
    reader_free(&r);
    if (st != PLUMB_OK)
        goto done;
    plumb_read_options opts;
    plumb_read_options_init(&opts);
    opts.schema = schema;
    st = read_core(t->buf, t->size, t->name, &opts, &t->frame, err);
done:
    plumb_schema_free(schema);
    if (st != PLUMB_OK)
        plumb__csv_text_free(t);
    return st;
}

void plumb__csv_text_locate(const plumb__csv_text *t, int64_t row, int64_t col, int64_t *line, int64_t *column) {
    reader r;
    text_reader(t, &r);
    chunk all = {.begin = r.content, .end = r.end, .row0 = -1}; /* record -1 is the header */
    r.chunks = &all;
    r.n_chunks = 1;
    locate(&r, field_position(&r, row, col), line, column);
}

void plumb__csv_text_free(plumb__csv_text *t) {
    plumb_frame_free(t->frame);
    free(t->buf);
    t->frame = NULL;
    t->buf = NULL;
}
