/* load.c -- plumb_features_load: a CSV file into a SQLite table that the feature store reads.
 *
 * The file is read by the project's CSV reader with every column typed as text, so a stored value is the exact
 * text of the file ("0.10" stays "0.10", an id keeps its leading zeros) and the server parses it the way it
 * parses a request. Keys are checked before the database is touched; then one transaction drops the old table,
 * creates the new one (the key as primary key, which is how the store finds an entity) and inserts every row, so
 * readers see the old table or the new one, never a mix. The database is put in WAL mode: readers then never wait
 * for a load. A failure rolls back; a database file this call created is removed.
 */
#include "../data/data.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

/* Appends name to sql as a quoted identifier (running out of memory shows in sqlite3_str_errcode). */
static void put_ident(sqlite3_str *sql, const char *name) {
    sqlite3_str_appendchar(sql, 1, '"');
    for (const char *p = name; *p; p++)
        sqlite3_str_appendchar(sql, *p == '"' ? 2 : 1, *p);
    sqlite3_str_appendchar(sql, 1, '"');
}

/* Every key present and distinct; otherwise the error points at the first bad one. */
static plumb_status check_keys(const plumb__csv_text *t, int64_t kcol, plumb_error *err) {
    const plumb_frame *f = t->frame;
    const plumb__schema_col *sc = &f->schema->cols[kcol];
    const int32_t *codes = f->cols[kcol].codes;
    plumb_status st = PLUMB_OK;
    int64_t *first = malloc(((size_t)sc->cats.n + 1) * sizeof *first);
    if (!first)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (int32_t c = 0; c < sc->cats.n; c++)
        first[c] = -1;
    for (int64_t i = 0; i < f->n_rows; i++) {
        const int32_t c = codes[i];
        if (c >= 0 && first[c] < 0) {
            first[c] = i;
            continue;
        }
        int64_t line, col;
        plumb__csv_text_locate(t, i, kcol, &line, &col);
        if (c < 0) {
            st = plumb__error_at(err, PLUMB_EPARSE, t->name, line, col, "missing key in column '%s'", sc->name);
            break;
        }
        int64_t first_line, first_col;
        char q[72];
        plumb__csv_text_locate(t, first[c], kcol, &first_line, &first_col);
        plumb__quote(q, sizeof q, plumb__dict_str(&sc->cats, c), sc->cats.lens[c]);
        st = plumb__error_at(err, PLUMB_EPARSE, t->name, line, col,
                             "duplicate key '%s' in column '%s' (first on line %lld)", q, sc->name,
                             (long long)first_line);
        break;
    }
    free(first);
    return st;
}

/* Runs one statement without results. */
static bool exec(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* The CREATE TABLE and INSERT statements of the frame's table (sqlite3_free them). */
static bool table_sql(const plumb_frame *f, int64_t kcol, const char *table, char **create, char **insert) {
    sqlite3_str *c = sqlite3_str_new(NULL), *ins = sqlite3_str_new(NULL);
    sqlite3_str_appendall(c, "CREATE TABLE ");
    put_ident(c, table);
    sqlite3_str_appendall(c, " (");
    sqlite3_str_appendall(ins, "INSERT INTO ");
    put_ident(ins, table);
    sqlite3_str_appendall(ins, " VALUES (");
    for (int64_t j = 0; j < f->schema->n; j++) {
        sqlite3_str_appendall(c, j ? ", " : "");
        put_ident(c, f->schema->cols[j].name);
        sqlite3_str_appendall(c, j == kcol ? " TEXT PRIMARY KEY NOT NULL" : " TEXT");
        sqlite3_str_appendall(ins, j ? ", ?" : "?");
    }
    /* WITHOUT ROWID: the rows are stored in key order, a lookup is one b-tree search */
    sqlite3_str_appendall(c, ") WITHOUT ROWID");
    sqlite3_str_appendall(ins, ")");
    const bool ok = sqlite3_str_errcode(c) == SQLITE_OK && sqlite3_str_errcode(ins) == SQLITE_OK;
    *create = sqlite3_str_finish(c);
    *insert = sqlite3_str_finish(ins);
    return ok && *create && *insert;
}

/* Replaces the table with the frame's rows in one transaction (rolled back on failure). */
static plumb_status write_table(sqlite3 *db, const plumb_frame *f, int64_t kcol, const char *table, const char *db_path,
                                plumb_error *err) {
    plumb_status st = PLUMB_OK;
    char *create = NULL, *insert = NULL;
    sqlite3_str *drop = sqlite3_str_new(db);
    sqlite3_stmt *q = NULL;
    bool began = false;
    sqlite3_str_appendall(drop, "DROP TABLE IF EXISTS ");
    put_ident(drop, table);
    char *drop_sql = sqlite3_str_finish(drop);
    if (!drop_sql || !table_sql(f, kcol, table, &create, &insert)) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (!(began = exec(db, "BEGIN IMMEDIATE")) || !exec(db, drop_sql) || !exec(db, create) ||
        sqlite3_prepare_v2(db, insert, -1, &q, NULL) != SQLITE_OK)
        goto sql_error;
    for (int64_t i = 0; i < f->n_rows; i++) {
        for (int64_t j = 0; j < f->schema->n; j++) {
            const plumb__dict *cats = &f->schema->cols[j].cats;
            const int32_t code = f->cols[j].codes[i];
            if (code < 0)
                sqlite3_bind_null(q, (int)j + 1);
            else
                sqlite3_bind_text(q, (int)j + 1, plumb__dict_str(cats, code), (int)cats->lens[code], SQLITE_STATIC);
        }
        if (sqlite3_step(q) != SQLITE_DONE)
            goto sql_error;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!exec(db, "COMMIT"))
        goto sql_error;
    began = false;
    goto done;
sql_error:
    st = plumb__fail(err, PLUMB_EIO, "cannot write table '%s' to '%s': %s", table, db_path, sqlite3_errmsg(db));
done:
    sqlite3_finalize(q);
    if (began)
        exec(db, "ROLLBACK");
    sqlite3_free(drop_sql);
    sqlite3_free(create);
    sqlite3_free(insert);
    return st;
}

/* Removes a database file this call created, with the files SQLite keeps beside it. */
static void remove_db(const char *db_path) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    const size_t n = strlen(db_path);
    char *p = malloc(n + 16);
    if (!p)
        return;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        memcpy(p, db_path, n);
        strcpy(p + n, suffixes[i]);
        unlink(p);
    }
    free(p);
}

plumb_status plumb_features_load(const char *csv_path, const char *key, const char *db_path, const char *table,
                                 plumb_error *err) {
    plumb_status st;
    plumb__csv_text t = {0};
    sqlite3 *db = NULL;
    bool created = false;
    plumb__error_clear(err);
    if (!csv_path || !*csv_path || !key || !*key || !db_path || !*db_path || !table || !*table)
        return plumb__fail(err, PLUMB_EINVAL, "features load needs a csv file, a key column, a database and a table");
    if ((st = plumb__csv_text_read(csv_path, &t, err)) != PLUMB_OK)
        goto done;
    const int64_t kcol = plumb_frame_find(t.frame, key);
    if (kcol < 0) {
        int64_t line, col;
        plumb__csv_text_locate(&t, -1, 0, &line, &col);
        st = plumb__error_at(err, PLUMB_ESCHEMA, t.name, line, col, "key column '%s' not found in header", key);
        goto done;
    }
    if ((st = check_keys(&t, kcol, err)) != PLUMB_OK)
        goto done;

    struct stat sb;
    created = stat(db_path, &sb) != 0 && errno == ENOENT;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        st = plumb__fail(err, PLUMB_EIO, "cannot open feature database '%s': %s", db_path,
                         db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (!exec(db, "PRAGMA journal_mode=WAL")) {
        st = plumb__fail(err, PLUMB_EIO, "cannot use feature database '%s': %s", db_path, sqlite3_errmsg(db));
        goto done;
    }
    st = write_table(db, t.frame, kcol, table, db_path, err);
done:
    sqlite3_close(db);
    if (st != PLUMB_OK && created)
        remove_db(db_path);
    plumb__csv_text_free(&t);
    return st;
}
