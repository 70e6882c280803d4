/* schema.c -- column descriptions: types, roles, fixed categories; JSON load and save (docs/schema.md).
 *
 * A schema given to the reader is a set of overrides keyed by column name; the reader turns it into the frame's
 * full schema. JSON is read and written with jansson; numbers never appear in a schema, so no locale concerns.
 */
#include "data.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_FORMAT 1

static const char *const type_names[] = {"auto", "numeric", "categorical", "datetime", "bool", "string"};
static const char *const role_names[] = {"feature", "target", "id", "time", "weight", "group", "ignore"};
#define N_TYPES (int)(sizeof type_names / sizeof *type_names)
#define N_ROLES (int)(sizeof role_names / sizeof *role_names)

const char *plumb_type_name(plumb_type type) {
    return (int)type >= 0 && (int)type < N_TYPES ? type_names[type] : "unknown";
}

const char *plumb_role_name(plumb_role role) {
    return (int)role >= 0 && (int)role < N_ROLES ? role_names[role] : "unknown";
}

int plumb_type_parse(const char *name) {
    for (int i = 0; name && i < N_TYPES; i++)
        if (strcmp(name, type_names[i]) == 0)
            return i;
    return -1;
}

int plumb_role_parse(const char *name) {
    for (int i = 0; name && i < N_ROLES; i++)
        if (strcmp(name, role_names[i]) == 0)
            return i;
    return -1;
}

plumb_status plumb_schema_create(plumb_schema **out, plumb_error *err) {
    *out = calloc(1, sizeof **out);
    return *out ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

void plumb_schema_free(plumb_schema *s) {
    if (!s)
        return;
    for (int64_t i = 0; i < s->n; i++) {
        free(s->cols[i].name);
        plumb__dict_clear(&s->cols[i].cats);
        free(s->cols[i].cat_ptrs);
        free(s->cols[i].available_at);
        free(s->cols[i].note);
    }
    free(s->cols);
    free(s);
}

int64_t plumb__schema_find(const plumb_schema *s, const char *name) {
    for (int64_t i = 0; i < s->n; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return i;
    return -1;
}

int64_t plumb__schema_add(plumb_schema *s, const char *name) {
    if (s->n == s->cap) {
        int64_t cap = s->cap ? s->cap * 2 : 16;
        plumb__schema_col *cols = realloc(s->cols, (size_t)cap * sizeof *cols);
        if (!cols)
            return -1;
        s->cols = cols;
        s->cap = cap;
    }
    plumb__schema_col *c = &s->cols[s->n];
    memset(c, 0, sizeof *c);
    if (!(c->name = plumb__strdup(name)))
        return -1;
    c->type = PLUMB_TYPE_AUTO;
    c->role = PLUMB_ROLE_FEATURE;
    c->available_after_days = NAN;
    return s->n++;
}

bool plumb__schema_take_categories(plumb_schema *s, int64_t i, plumb__dict *d) {
    plumb__schema_col *c = &s->cols[i];
    const char **ptrs = malloc(((size_t)d->n + 1) * sizeof *ptrs);
    if (!ptrs)
        return false;
    for (int32_t k = 0; k < d->n; k++)
        ptrs[k] = plumb__dict_str(d, k);
    plumb__dict_clear(&c->cats);
    free(c->cat_ptrs);
    c->cats = *d;
    c->cat_ptrs = ptrs;
    c->fixed = true;
    memset(d, 0, sizeof *d);
    return true;
}

plumb_schema *plumb__schema_copy(const plumb_schema *src, bool keep_string_categories) {
    plumb_schema *dst;
    plumb__dict d = {0};
    if (plumb_schema_create(&dst, NULL) != PLUMB_OK)
        return NULL;
    for (int64_t i = 0; i < src->n; i++) {
        const plumb__schema_col *c = &src->cols[i];
        int64_t k = plumb__schema_add(dst, c->name);
        if (k < 0)
            goto fail;
        dst->cols[k].type = c->type;
        dst->cols[k].role = c->role;
        dst->cols[k].available_after_days = c->available_after_days;
        if (c->available_at && !(dst->cols[k].available_at = strdup(c->available_at)))
            goto fail;
        if (c->note && !(dst->cols[k].note = strdup(c->note)))
            goto fail;
        if (c->fixed && (keep_string_categories || c->type != PLUMB_TYPE_STRING) &&
            (!plumb__dict_copy(&d, &c->cats) || !plumb__schema_take_categories(dst, k, &d)))
            goto fail;
    }
    return dst;
fail:
    plumb__dict_clear(&d);
    plumb_schema_free(dst);
    return NULL;
}

static plumb_status find_or_add(plumb_schema *s, const char *name, int64_t *idx, plumb_error *err) {
    if (!name || !name[0])
        return plumb__fail(err, PLUMB_EINVAL, "empty column name");
    *idx = plumb__schema_find(s, name);
    if (*idx < 0 && (*idx = plumb__schema_add(s, name)) < 0)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    return PLUMB_OK;
}

plumb_status plumb_schema_set_type(plumb_schema *s, const char *name, plumb_type type, plumb_error *err) {
    if ((int)type < 0 || (int)type >= N_TYPES)
        return plumb__fail(err, PLUMB_EINVAL, "bad column type %d", (int)type);
    int64_t i = -1;
    plumb_status st = find_or_add(s, name, &i, err);
    if (st == PLUMB_OK)
        s->cols[i].type = type;
    return st;
}

plumb_status plumb_schema_set_role(plumb_schema *s, const char *name, plumb_role role, plumb_error *err) {
    if ((int)role < 0 || (int)role >= N_ROLES)
        return plumb__fail(err, PLUMB_EINVAL, "bad column role %d", (int)role);
    int64_t i = -1;
    plumb_status st = find_or_add(s, name, &i, err);
    if (st != PLUMB_OK)
        return st;
    if (role == PLUMB_ROLE_TARGET)
        for (int64_t k = 0; k < s->n; k++)
            if (k != i && s->cols[k].role == PLUMB_ROLE_TARGET)
                return plumb__fail(err, PLUMB_EINVAL, "two target columns: '%s' and '%s'", s->cols[k].name, name);
    s->cols[i].role = role;
    return PLUMB_OK;
}

int64_t plumb_schema_n_columns(const plumb_schema *s) {
    return s->n;
}

void plumb_schema_column(const plumb_schema *s, int64_t i, plumb_column_info *info) {
    const plumb__schema_col *c = &s->cols[i];
    info->name = c->name;
    info->type = c->type;
    info->role = c->role;
    info->n_categories = c->fixed ? c->cats.n : -1;
    info->categories = c->fixed ? c->cat_ptrs : NULL;
    info->available_at = c->available_at;
    info->available_after_days = c->available_after_days;
    info->note = c->note;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* JSON                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads column k's "categories" array into a sorted fixed dictionary. */
static plumb_status load_categories(plumb_schema *s, int64_t idx, json_t *arr, const char *path, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb__dict d = {0};
    size_t n = json_array_size(arr);
    const char **v = malloc((n + 1) * sizeof *v);
    if (!v)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] = json_string_value(json_array_get(arr, i)))) {
            st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0, "column '%s': categories must be strings",
                                 s->cols[idx].name);
            goto done;
        }
    }
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(v[i - 1], v[i]) == 0) {
            st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0, "column '%s': duplicate category '%s'",
                                 s->cols[idx].name, v[i]);
            goto done;
        }
        if (plumb__dict_intern(&d, v[i], strlen(v[i]), NULL) < 0)
            goto nomem;
    }
    if (!plumb__schema_take_categories(s, idx, &d))
        goto nomem;
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    plumb__dict_clear(&d);
    free(v);
    return st;
}

plumb_status plumb__schema_from_json(const json_t *root, const char *path, plumb_schema **out, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb_schema *s = NULL;
    *out = NULL;
    json_t *format = json_object_get(root, "plumb_schema");
    json_t *columns = json_object_get(root, "columns");
    if (!json_is_object(root) || !json_is_integer(format) || !json_is_array(columns)) {
        st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                             "not a plumb schema: expected an object with \"plumb_schema\" and \"columns\"");
        goto done;
    }
    if (json_integer_value(format) != SCHEMA_FORMAT) {
        st = plumb__error_at(err, PLUMB_EFORMAT, path, 0, 0, "unsupported schema format %lld (this plumb reads %d)",
                             (long long)json_integer_value(format), SCHEMA_FORMAT);
        goto done;
    }
    if ((st = plumb_schema_create(&s, err)) != PLUMB_OK)
        goto done;
    size_t k;
    json_t *col;
    json_array_foreach(columns, k, col) {
        const char *name = json_string_value(json_object_get(col, "name"));
        if (!json_is_object(col) || !name || !name[0]) {
            st =
                plumb__error_at(err, PLUMB_EPARSE, path, 0, 0, "column %zu: expected an object with a \"name\"", k + 1);
            goto done;
        }
        if (plumb__schema_find(s, name) >= 0) {
            st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0, "duplicate column name '%s'", name);
            goto done;
        }
        int64_t idx = plumb__schema_add(s, name);
        if (idx < 0) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        const char *key;
        json_t *val;
        json_object_foreach(col, key, val) {
            const char *sv = json_string_value(val);
            if (strcmp(key, "name") == 0) {
                continue;
            } else if (strcmp(key, "type") == 0) {
                int t = plumb_type_parse(sv);
                if (t < 0) {
                    st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                                         "column '%s': unknown type '%s' (expected auto, numeric, categorical, "
                                         "datetime, bool or string)",
                                         name, sv ? sv : "?");
                    goto done;
                }
                s->cols[idx].type = (plumb_type)t;
            } else if (strcmp(key, "role") == 0) {
                int r = plumb_role_parse(sv);
                if (r < 0) {
                    st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                                         "column '%s': unknown role '%s' (expected feature, target, id, time, "
                                         "weight, group or ignore)",
                                         name, sv ? sv : "?");
                    goto done;
                }
                if ((st = plumb_schema_set_role(s, name, (plumb_role)r, err)) != PLUMB_OK) {
                    if (st == PLUMB_EINVAL) /* a second target: the file is malformed, not an argument */
                        st = PLUMB_EPARSE;
                    if (err) {
                        err->code = st;
                        snprintf(err->path, sizeof err->path, "%s", path);
                    }
                    goto done;
                }
            } else if (strcmp(key, "available_at") == 0) {
                if (!sv || !sv[0]) {
                    st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                                         "column '%s': available_at must name the column that says when its value "
                                         "became known",
                                         name);
                    goto done;
                }
                free(s->cols[idx].available_at);
                if (!(s->cols[idx].available_at = strdup(sv))) {
                    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
                    goto done;
                }
            } else if (strcmp(key, "available_after_days") == 0) {
                if (!json_is_number(val) || !(json_number_value(val) >= 0) || !isfinite(json_number_value(val))) {
                    st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                                         "column '%s': available_after_days must be a number of days >= 0", name);
                    goto done;
                }
                s->cols[idx].available_after_days = json_number_value(val);
            } else if (strcmp(key, "categories") == 0) {
                if (!json_is_array(val)) {
                    st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0,
                                         "column '%s': categories must be an array of strings", name);
                    goto done;
                }
                if ((st = load_categories(s, idx, val, path, err)) != PLUMB_OK)
                    goto done;
            } else {
                st = plumb__error_at(err, PLUMB_EPARSE, path, 0, 0, "column '%s': unknown key '%s'", name, key);
                goto done;
            }
        }
    }
    *out = s;
    s = NULL;
done:
    plumb_schema_free(s);
    return st;
}

plumb_status plumb_schema_load(const char *path, plumb_schema **out, plumb_error *err) {
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line < 0)
            return plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot read schema '%s': %s", path, jerr.text);
        return plumb__error_at(err, PLUMB_EPARSE, path, jerr.line, jerr.column, "%s", jerr.text);
    }
    plumb_status st = plumb__schema_from_json(root, path, out, err);
    json_decref(root);
    return st;
}

static int dump_to_file(const char *buffer, size_t size, void *data) {
    return fwrite(buffer, 1, size, (FILE *)data) == size ? 0 : -1;
}

json_t *plumb__schema_to_json(const plumb_schema *s) {
    json_t *root = json_object(), *columns = json_array();
    if (!root || !columns || json_object_set_new(root, "plumb_schema", json_integer(SCHEMA_FORMAT)) ||
        json_object_set_new(root, "columns", columns))
        goto nomem;
    for (int64_t i = 0; i < s->n; i++) {
        const plumb__schema_col *c = &s->cols[i];
        json_t *col = json_object();
        if (!col || json_array_append_new(columns, col) || json_object_set_new(col, "name", json_string(c->name)) ||
            json_object_set_new(col, "type", json_string(plumb_type_name(c->type))) ||
            json_object_set_new(col, "role", json_string(plumb_role_name(c->role))))
            goto nomem;
        if ((c->available_at && json_object_set_new(col, "available_at", json_string(c->available_at))) ||
            (!isnan(c->available_after_days) &&
             json_object_set_new(col, "available_after_days", json_real(c->available_after_days))))
            goto nomem;
        if (c->fixed) {
            json_t *cats = json_array();
            if (!cats || json_object_set_new(col, "categories", cats))
                goto nomem;
            for (int32_t k = 0; k < c->cats.n; k++)
                if (json_array_append_new(cats, json_stringn(plumb__dict_str(&c->cats, k), c->cats.lens[k])))
                    goto nomem;
        }
    }
    return root;
nomem:
    json_decref(root);
    return NULL;
}

plumb_status plumb_schema_save(const plumb_schema *s, const char *path, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    plumb_outfile *file = NULL;
    FILE *f;
    json_t *root = plumb__schema_to_json(s);
    if (!root)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if ((st = plumb_outfile_open(path, &file, &f, err)) != PLUMB_OK)
        goto done;
    if (json_dump_callback(root, dump_to_file, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) < 0) {
        plumb_outfile_abort(file);
        st = plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s'", path);
        goto done;
    }
    st = plumb_outfile_commit(file, err);
done:
    json_decref(root);
    return st;
}
