/* journal.c -- a search's journal in SQLite: its configuration and every finished trial.
 *
 * Two tables: meta (key, value) holds the format version and the configuration text the search was started
 * with; trials holds one row per finished trial -- its number, state, score, the step (fold) scores and the
 * values, as exact doubles (a blob) and as readable JSON. Each trial is appended in its own transaction with
 * synchronous=FULL, so a search killed at any moment leaves every finished trial in the file and no half-written
 * one; the trial that was running is simply not there, and the resumed search runs it again under the same number
 * with the same proposal (proposals depend only on the seed and the trials before). A journal whose configuration
 * differs from the caller's is refused, naming the first differing line, so a resumed search cannot mix trials of
 * two searches.
 */
#include "tune.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define JOURNAL_VERSION "1"

struct plumb_tune_journal {
    sqlite3 *db;
    char *path;
    double *seconds; /* per trial, as replayed or appended */
    int64_t n, cap;
};

static plumb_status db_fail(plumb_tune_journal *j, plumb_error *err, const char *what) {
    return plumb__error_at(err, PLUMB_EIO, j->path, 0, 0, "%s: %s", what, sqlite3_errmsg(j->db));
}

static plumb_status exec(plumb_tune_journal *j, const char *sql, plumb_error *err) {
    return sqlite3_exec(j->db, sql, NULL, NULL, NULL) == SQLITE_OK ? PLUMB_OK : db_fail(j, err, "journal");
}

void plumb_tune_journal_close(plumb_tune_journal *j) {
    if (!j)
        return;
    sqlite3_close(j->db);
    free(j->path);
    free(j->seconds);
    free(j);
}

static plumb_status keep_seconds(plumb_tune_journal *j, double s, plumb_error *err) {
    if (j->n == j->cap) {
        const int64_t cap = j->cap ? 2 * j->cap : 64;
        double *g = realloc(j->seconds, (size_t)cap * sizeof *g);
        if (!g)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        j->seconds = g;
        j->cap = cap;
    }
    j->seconds[j->n++] = s;
    return PLUMB_OK;
}

double plumb_tune_journal_seconds(const plumb_tune_journal *j, int64_t t) {
    return t >= 0 && t < j->n ? j->seconds[t] : NAN;
}

/* The first line where a and b differ, into buf, as "'<a's line>', not '<b's line>'". */
static void first_difference(const char *a, const char *b, char *buf, size_t n) {
    while (*a && *a == *b) {
        const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
        if (!na || !nb || na - a != nb - b || memcmp(a, b, (size_t)(na - a)) != 0)
            break;
        a = na + 1, b = nb + 1;
    }
    const size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    char qa[200], qb[200];
    plumb__quote(qa, sizeof qa, a, la);
    plumb__quote(qb, sizeof qb, b, lb);
    snprintf(buf, n, "it has '%s' where this search has '%s'", qa, qb);
}

plumb_status plumb_tune_journal_open(const char *path, const char *config, plumb_tune_journal **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    plumb_tune_journal *j = calloc(1, sizeof *j);
    sqlite3_stmt *q = NULL;
    plumb_status st = PLUMB_OK;
    if (!j || !(j->path = plumb__strdup(path))) {
        free(j);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        st = j->db ? db_fail(j, err, "cannot open journal") : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(j->db, 2000);
    if ((st = exec(j, "PRAGMA synchronous=FULL", err)) != PLUMB_OK)
        goto done;
    if (sqlite3_exec(j->db,
                     "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "CREATE TABLE IF NOT EXISTS trials (number INTEGER PRIMARY KEY, state TEXT NOT NULL, "
                     "score REAL, steps TEXT NOT NULL, params TEXT NOT NULL, vals BLOB NOT NULL, seconds REAL);",
                     NULL, NULL, NULL) != SQLITE_OK) {
        /* "file is not a database", a read-only file, a folder */
        st = db_fail(j, err, "not a tuning journal");
        goto done;
    }
    if (sqlite3_prepare_v2(j->db, "SELECT key, value FROM meta WHERE key IN ('version', 'config') ORDER BY key", -1, &q,
                           NULL) != SQLITE_OK) {
        st = db_fail(j, err, "journal");
        goto done;
    }
    const char *have_config = NULL;
    char *cfg = NULL;
    int rc;
    bool any = false;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        any = true;
        const char *k = (const char *)sqlite3_column_text(q, 0), *v = (const char *)sqlite3_column_text(q, 1);
        if (strcmp(k, "version") == 0 && strcmp(v, JOURNAL_VERSION) != 0) {
            st = plumb__error_at(err, PLUMB_EFORMAT, path, 0, 0, "journal of format version %s (this plumb writes %s)",
                                 v, JOURNAL_VERSION);
            goto done;
        }
        if (strcmp(k, "config") == 0)
            have_config = cfg = plumb__strdup(v);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        free(cfg);
        st = db_fail(j, err, "journal");
        goto done;
    }
    if (any && have_config && strcmp(have_config, config) != 0) {
        char diff[512];
        first_difference(have_config, config, diff, sizeof diff);
        free(cfg);
        st = plumb__error_at(err, PLUMB_EINVAL, path, 0, 0,
                             "journal of another search: %s (resume with the same options, or use a new --journal)",
                             diff);
        goto done;
    }
    free(cfg);
    if (!have_config) {
        if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO meta VALUES ('version', ?1), ('config', ?2)", -1, &q,
                               NULL) != SQLITE_OK ||
            sqlite3_bind_text(q, 1, JOURNAL_VERSION, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_bind_text(q, 2, config, -1, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE) {
            st = db_fail(j, err, "cannot write journal");
            goto done;
        }
    }
done:
    sqlite3_finalize(q);
    if (st != PLUMB_OK)
        plumb_tune_journal_close(j);
    else
        *out = j;
    return st;
}

/* A categorical choice as JSON: a number when its text is one (bagging_freq's 0 and 1), else the text. */
static json_t *choice_json(const char *text) {
    char *end;
    const double x = strtod(text, &end);
    if (*text && !*end)
        return x == floor(x) && fabs(x) < 1e15 ? json_integer((json_int_t)x) : json_real(x);
    return json_string(text);
}

char *plumb_tune_params_json(const plumb_tune_space *space, const double *values) {
    json_t *o = json_object();
    for (int64_t i = 0; o && i < plumb_tune_space_size(space); i++) {
        const plumb_tune_param *p = plumb_tune_space_param(space, i);
        if (isnan(values[i]))
            continue;
        json_object_set_new(o, p->name,
                            p->type == PLUMB_TUNE_CATEGORICAL ? choice_json(p->choices[(int64_t)values[i]])
                            : p->type == PLUMB_TUNE_INT       ? json_integer((json_int_t)values[i])
                                                              : json_real(values[i]));
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    return text;
}

static const char *const state_names[] = {"complete", "pruned", "failed"};

plumb_status plumb_tune_journal_replay(plumb_tune_journal *j, plumb_tuner *tuner, int64_t *n, plumb_error *err) {
    *n = 0;
    sqlite3_stmt *q = NULL;
    plumb_status st = PLUMB_OK;
    double *steps = NULL;
    json_t *sj = NULL;
    int rc;
    if (sqlite3_prepare_v2(j->db, "SELECT number, state, score, steps, vals, seconds FROM trials ORDER BY number", -1,
                           &q, NULL) != SQLITE_OK)
        return db_fail(j, err, "journal");
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const int64_t number = sqlite3_column_int64(q, 0);
        const char *state = (const char *)sqlite3_column_text(q, 1);
        int s = 0;
        while (s < 3 && strcmp(state, state_names[s]) != 0)
            s++;
        const int bytes = sqlite3_column_bytes(q, 4);
        const double *vals = sqlite3_column_blob(q, 4);
        json_error_t jerr;
        sj = json_loads((const char *)sqlite3_column_text(q, 3), 0, &jerr);
        if (number != *n || s == 3 || !json_is_array(sj) || (bytes > 0 && (size_t)bytes % sizeof(double) != 0)) {
            st = plumb__error_at(err, PLUMB_EFORMAT, j->path, 0, 0, "journal trial %lld is damaged", (long long)number);
            goto done;
        }
        const size_t ns = json_array_size(sj);
        free(steps);
        if (!(steps = malloc((ns ? ns : 1) * sizeof *steps))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < ns; k++)
            steps[k] = json_is_number(json_array_get(sj, k)) ? json_number_value(json_array_get(sj, k)) : NAN;
        json_decref(sj);
        sj = NULL;
        if ((size_t)bytes != (size_t)plumb__tuner_dims(tuner) * sizeof(double)) {
            st = plumb__error_at(err, PLUMB_EFORMAT, j->path, 0, 0,
                                 "journal trial %lld has %d values, the search space has %lld parameters",
                                 (long long)number, bytes / (int)sizeof(double), (long long)plumb__tuner_dims(tuner));
            goto done;
        }
        const double score = sqlite3_column_type(q, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 2);
        if ((st = plumb_tuner_tell(tuner, vals, (plumb_trial_state)s, score, steps, (int64_t)ns, err)) != PLUMB_OK ||
            (st = keep_seconds(j, sqlite3_column_type(q, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 5), err)) !=
                PLUMB_OK)
            goto done;
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        st = db_fail(j, err, "journal");
done:
    json_decref(sj);
    free(steps);
    sqlite3_finalize(q);
    return st;
}

plumb_status plumb_tune_journal_append(plumb_tune_journal *j, const plumb_tune_space *space, int64_t number,
                                       const double *values, plumb_trial_state state, double score, const double *steps,
                                       int64_t n_steps, double seconds, plumb_error *err) {
    if (number != j->n)
        return plumb__fail(err, PLUMB_EINVAL, "journal: trial %lld appended after %lld trials", (long long)number,
                           (long long)j->n);
    json_t *sj = json_array();
    for (int64_t k = 0; sj && k < n_steps; k++)
        json_array_append_new(sj, isfinite(steps[k]) ? json_real(steps[k]) : json_null());
    char *stext = sj ? json_dumps(sj, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    char *ptext = plumb_tune_params_json(space, values);
    json_decref(sj);
    sqlite3_stmt *q = NULL;
    plumb_status st = PLUMB_OK;
    if (!stext || !ptext) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (sqlite3_prepare_v2(j->db, "INSERT INTO trials VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_int64(q, 1, number) != SQLITE_OK ||
        sqlite3_bind_text(q, 2, state_names[state], -1, SQLITE_STATIC) != SQLITE_OK ||
        (isfinite(score) ? sqlite3_bind_double(q, 3, score) : sqlite3_bind_null(q, 3)) != SQLITE_OK ||
        sqlite3_bind_text(q, 4, stext, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(q, 5, ptext, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob(q, 6, values, (int)((size_t)plumb_tune_space_size(space) * sizeof *values), SQLITE_STATIC) !=
            SQLITE_OK ||
        sqlite3_bind_double(q, 7, seconds) != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE) {
        st = db_fail(j, err, "cannot write journal");
        goto done;
    }
    st = keep_seconds(j, seconds, err);
done:
    sqlite3_finalize(q);
    free(stext);
    free(ptext);
    return st;
}
