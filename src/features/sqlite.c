/* sqlite.c -- the SQLite backends of the feature store: an entity is the row of a table whose primary key is KEY, or
 * (the query backend) the row a query file's SELECT returns with KEY bound to ?1: features computed per request.
 *
 * The table's key is its primary-key column (plumb features load declares it so), found once at open, so every
 * lookup is one indexed SELECT. Each thread has its own read-only connection and prepared statement: SQLite
 * connections must not be shared without its own serialising mutex, and separate ones let lookups run in
 * parallel. A busy timeout covers the moment a loader commits a new table; in WAL mode (what the loader sets)
 * readers do not wait at all. A lookup that fails drops the thread's connection, so the next one reopens the file.
 */
#include "backend.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 2000

typedef struct state {
    char *path;
    char *sql; /* SELECT * FROM "table" WHERE "key" = ?1 */
} state;

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt;
} conn;

/* Appends name to buf as a quoted SQL identifier ("a""b"); returns the bytes written. buf has 2 * len + 3. */
static size_t quote_ident(char *buf, const char *name) {
    size_t n = 0;
    buf[n++] = '"';
    for (const char *p = name; *p; p++) {
        buf[n++] = *p;
        if (*p == '"')
            buf[n++] = '"';
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return n;
}

static plumb_status db_open(const char *path, sqlite3 **db, plumb_error *err) {
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        plumb_status st = plumb__fail(err, PLUMB_EIO, "cannot open feature database '%s': %s", path,
                                      *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return st;
    }
    sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
    return PLUMB_OK;
}

/* The name of table's single primary-key column into *key (malloc'd). */
static plumb_status find_key(sqlite3 *db, const char *path, const char *table, char **key, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    sqlite3_stmt *q = NULL;
    int n_cols = 0, n_keys = 0, rc;
    *key = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, pk FROM pragma_table_info(?1)", -1, &q, NULL) != SQLITE_OK) {
        st = plumb__fail(err, PLUMB_EIO, "cannot read feature database '%s': %s", path, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        n_cols++;
        if (sqlite3_column_int(q, 1) == 0)
            continue;
        n_keys++;
        free(*key);
        if (!(*key = plumb__strdup((const char *)sqlite3_column_text(q, 0)))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (rc != SQLITE_DONE)
        st = plumb__fail(err, PLUMB_EIO, "cannot read feature database '%s': %s", path, sqlite3_errmsg(db));
    else if (n_cols == 0)
        st = plumb__fail(err, PLUMB_ESCHEMA, "feature database '%s' has no table '%s'", path, table);
    else if (n_keys != 1)
        st = plumb__fail(err, PLUMB_ESCHEMA,
                         "table '%s' of '%s' has %s: an entity needs one key column (plumb features load makes it)",
                         table, path, n_keys ? "a primary key of several columns" : "no primary key");
done:
    sqlite3_finalize(q);
    if (st != PLUMB_OK) {
        free(*key);
        *key = NULL;
    }
    return st;
}

static void sqlite_close(void *p) {
    state *s = p;
    if (!s)
        return;
    free(s->path);
    free(s->sql);
    free(s);
}

static plumb_status sqlite_open(const char *target, const char *table, void **out, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    sqlite3 *db = NULL;
    char *key = NULL;
    state *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->path = plumb__strdup(target)))
        goto nomem;
    if ((st = db_open(target, &db, err)) != PLUMB_OK || (st = find_key(db, target, table, &key, err)) != PLUMB_OK)
        goto done;
    const char *const parts[] = {"SELECT * FROM ", " WHERE ", " = ?1"};
    if (!(s->sql =
              malloc(strlen(parts[0]) + strlen(parts[1]) + strlen(parts[2]) + 2 * strlen(table) + 2 * strlen(key) + 7)))
        goto nomem;
    char *p = stpcpy(s->sql, parts[0]);
    p += quote_ident(p, table);
    p = stpcpy(p, parts[1]);
    p += quote_ident(p, key);
    strcpy(p, parts[2]);
    *out = s;
    s = NULL;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    free(key);
    sqlite3_close(db);
    sqlite_close(s);
    return st;
}

static void sqlite_conn_free(void *p) {
    conn *c = p;
    if (!c)
        return;
    sqlite3_finalize(c->stmt);
    sqlite3_close(c->db);
    free(c);
}

static void column_field(const void *q, size_t i, plumb__text *name, plumb__text *value) {
    sqlite3_stmt *stmt = (sqlite3_stmt *)q;
    name->s = sqlite3_column_name(stmt, (int)i);
    name->len = strlen(name->s);
    /* text first, then its length: sqlite3_column_bytes after sqlite3_column_text is the text's */
    value->s = (const char *)sqlite3_column_text(stmt, (int)i);
    value->len = value->s ? (size_t)sqlite3_column_bytes(stmt, (int)i) : 0;
}

static plumb_status sqlite_fetch(void *p, void **connp, const char *key, plumb__row **row, plumb_error *err) {
    state *s = p;
    conn *c = *connp;
    plumb_status st;
    *row = NULL;
    if (!c) {
        if (!(c = calloc(1, sizeof *c)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        if ((st = db_open(s->path, &c->db, err)) != PLUMB_OK) {
            free(c);
            return st;
        }
        if (sqlite3_prepare_v3(c->db, s->sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt, NULL) != SQLITE_OK) {
            st = plumb__fail(err, PLUMB_EIO, "feature database '%s': %s", s->path, sqlite3_errmsg(c->db));
            sqlite_conn_free(c);
            return st;
        }
        *connp = c;
    }
    sqlite3_stmt *q = c->stmt;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *row = plumb__row_create((size_t)sqlite3_column_count(q), column_field, q);
        sqlite3_reset(q);
        return *row ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    if (rc == SQLITE_DONE) {
        sqlite3_reset(q);
        return PLUMB_OK;
    }
    st = plumb__fail(err, PLUMB_EIO, "feature database '%s': %s", s->path, sqlite3_errmsg(c->db));
    sqlite_conn_free(c);
    *connp = NULL;
    return st;
}

/* The line and column (1-based) of byte off of text. */
static void line_col(const char *text, int off, int64_t *line, int64_t *col) {
    *line = 1;
    *col = 1;
    for (int i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* The query backend: target is the SQLite file, table the path of a file holding one SELECT whose only parameter
 * (?1) is the entity key; an entity is the first row it returns. Checked at open: it must prepare against the
 * database, be one statement and have one parameter. */
static plumb_status query_open(const char *target, const char *sql_path, void **out, plumb_error *err) {
    plumb_status st;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *sql = NULL;
    size_t size;
    state *s = NULL;
    *out = NULL;
    if ((st = plumb__file_read(sql_path, &sql, &size, err)) != PLUMB_OK)
        return st;
    char *text = realloc(sql, size + 1);
    if (!text) {
        free(sql);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    sql = text;
    sql[size] = '\0';
    if (strlen(sql) != size) {
        st = plumb__error_at(err, PLUMB_EFORMAT, sql_path, 0, 0, "a query file is text: it holds a NUL byte");
        goto done;
    }
    if ((st = db_open(target, &db, err)) != PLUMB_OK)
        goto done;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, &tail) != SQLITE_OK || !q) {
        int64_t line, col;
        const int off = q ? -1 : sqlite3_error_offset(db);
        line_col(sql, off < 0 ? 0 : off, &line, &col);
        st = plumb__error_at(err, PLUMB_EFORMAT, sql_path, off < 0 ? 0 : line, off < 0 ? 0 : col, "%s",
                             q || sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errmsg(db) : "no SQL statement");
        goto done;
    }
    tail += strspn(tail, " \t\r\n;");
    int64_t line, col;
    line_col(sql, (int)(tail - sql), &line, &col);
    if (*tail) {
        st = plumb__error_at(err, PLUMB_EFORMAT, sql_path, line, col, "a query file holds one statement");
        goto done;
    }
    if (sqlite3_bind_parameter_count(q) != 1 || sqlite3_stmt_readonly(q) == 0) {
        st = plumb__error_at(err, PLUMB_EFORMAT, sql_path, 1, 1,
                             "the query must be one SELECT with one parameter, ?1, the entity key (it has %d)",
                             sqlite3_bind_parameter_count(q));
        goto done;
    }
    if (!(s = calloc(1, sizeof *s)) || !(s->path = plumb__strdup(target))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    s->sql = sql;
    sql = NULL;
    *out = s;
    s = NULL;
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
    sqlite_close(s);
    free(sql);
    return st;
}

const plumb__store_backend plumb__store_query = {
    .open = query_open,
    .fetch = sqlite_fetch,
    .conn_free = sqlite_conn_free,
    .close = sqlite_close,
};

const plumb__store_backend plumb__store_sqlite = {
    .open = sqlite_open,
    .fetch = sqlite_fetch,
    .conn_free = sqlite_conn_free,
    .close = sqlite_close,
};
