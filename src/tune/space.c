/* space.c -- search spaces: the JSON space file, its checks, and the space's accessors.
 *
 * A space file is one JSON object; each key names a tunable model parameter (params.c) and holds
 * {"type": "float"|"int"|"categorical", "low", "high", "log", "choices", "when"}. jansson parses the text and
 * reports syntax errors with their line and column; for errors in a well-formed file (a bound the model refuses,
 * an unknown parameter) the place is found again in the text by scanning for the parameter's key and then the
 * field's key inside it, so every error says file:line:col. The space owns copies of every name and choice.
 */
#include "tune.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- locating a key in the text --------------------------------------------------------------------------- */

/* Offset just past the string starting at text[i] == '"'. */
static size_t skip_string(const char *text, size_t len, size_t i) {
    for (i++; i < len && text[i] != '"'; i++)
        if (text[i] == '\\')
            i++;
    return i < len ? i + 1 : len;
}

/* The offset of the key "name" (followed by ':') at nesting depth depth below start, searching from start; len when
 * absent. depth counts braces and brackets opened after start. */
static size_t find_key(const char *text, size_t len, size_t start, int depth, const char *name) {
    int d = 0;
    const size_t nl = strlen(name);
    for (size_t i = start; i < len;) {
        const char c = text[i];
        if (c == '{' || c == '[') {
            d++, i++;
        } else if (c == '}' || c == ']') {
            if (--d < 0)
                return len;
            i++;
        } else if (c == '"') {
            const size_t end = skip_string(text, len, i);
            size_t j = end;
            while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'))
                j++;
            if (d == depth && j < len && text[j] == ':' && end - i - 2 == nl && memcmp(text + i + 1, name, nl) == 0)
                return i;
            i = end;
        } else {
            i++;
        }
    }
    return len;
}

/* Fills *line and *col (1-based) of offset off. */
static void line_col(const char *text, size_t off, int64_t *line, int64_t *col) {
    *line = 1, *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n')
            (*line)++, *col = 1;
        else if (((unsigned char)text[i] & 0xc0) != 0x80)
            (*col)++;
    }
}

typedef struct parser {
    const char *text;
    size_t len;
    const char *name;
    plumb_error *err;
} parser;

/* An error at the parameter's key, or at its field's key when field is not NULL and found. */
static plumb_status fail_at(const parser *ps, const char *param, const char *field, const char *fmt, ...)
    PLUMB__PRINTF(4, 5);
static plumb_status fail_at(const parser *ps, const char *param, const char *field, const char *fmt, ...) {
    char msg[PLUMB_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t at = 0;
    while (at < ps->len && ps->text[at] != '{')
        at++;
    if (at == ps->len) /* not an object: point at its start */
        for (at = 0; at < ps->len && (ps->text[at] == ' ' || ps->text[at] == '\n' || ps->text[at] == '\t');)
            at++;
    if (param) {
        const size_t p = find_key(ps->text, ps->len, at + 1, 0, param);
        if (p < ps->len) {
            at = p;
            if (field) {
                size_t b = skip_string(ps->text, ps->len, p);
                while (b < ps->len && ps->text[b] != '{' && ps->text[b] != ',' && ps->text[b] != '}')
                    b++;
                const size_t f =
                    b < ps->len && ps->text[b] == '{' ? find_key(ps->text, ps->len, b + 1, 0, field) : ps->len;
                if (f < ps->len)
                    at = f;
            }
        }
    }
    int64_t line, col;
    line_col(ps->text, at, &line, &col);
    return plumb__error_at(ps->err, PLUMB_EPARSE, ps->name, line, col, "%s", msg);
}

/* ---- the space -------------------------------------------------------------------------------------------- */

void plumb_tune_space_free(plumb_tune_space *s) {
    if (!s)
        return;
    for (int64_t i = 0; i < s->n; i++) {
        free((char *)s->params[i].name);
        for (int64_t c = 0; c < s->params[i].n_choices; c++)
            free((char *)s->params[i].choices[c]);
        free(s->params[i].choices);
    }
    free(s->params);
    free(s->rows);
    free(s->model);
    free(s);
}

int64_t plumb_tune_space_size(const plumb_tune_space *s) {
    return s->n;
}

const plumb_tune_param *plumb_tune_space_param(const plumb_tune_space *s, int64_t i) {
    return i >= 0 && i < s->n ? &s->params[i] : NULL;
}

bool plumb_tune_space_active(const plumb_tune_space *s, const double *values, int64_t i) {
    const plumb_tune_param *p = &s->params[i];
    if (p->parent < 0)
        return true;
    const double v = values[p->parent];
    return !isnan(v) && plumb_tune_space_active(s, values, p->parent) && ((p->parent_mask >> (int64_t)v) & 1);
}

char *plumb_tune_format_value(const plumb_tune_space *s, int64_t i, double v, char *buf, size_t n) {
    const plumb_tune_param *p = &s->params[i];
    const locale_t saved = plumb__c_locale_enter();
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (p->type == PLUMB_TUNE_CATEGORICAL)
        snprintf(buf, n, "%s", p->choices[(int64_t)v]);
    else if (p->type == PLUMB_TUNE_INT)
        snprintf(buf, n, "%lld", (long long)llround(v));
    else
        snprintf(buf, n, "%.4g", v);
    plumb__c_locale_leave(saved);
    return buf;
}

static const char *const type_names[] = {"float", "int", "categorical"};

char *plumb_tune_space_json(const plumb_tune_space *s) {
    json_t *o = json_object();
    for (int64_t i = 0; o && i < s->n; i++) {
        const plumb_tune_param *p = &s->params[i];
        json_t *j = json_pack("{s:s}", "type", type_names[p->type]);
        if (p->type == PLUMB_TUNE_CATEGORICAL) {
            json_t *c = json_array();
            const bool text = s->rows[i]->field == TUNE_CRITERION || s->rows[i]->field == TUNE_CLASS_WEIGHT;
            for (int64_t k = 0; k < p->n_choices; k++) {
                const double x = text ? 0 : strtod(p->choices[k], NULL);
                json_array_append_new(c, text                              ? json_string(p->choices[k])
                                         : x == floor(x) && fabs(x) < 1e15 ? json_integer((json_int_t)x)
                                                                           : json_real(x));
            }
            json_object_set_new(j, "choices", c);
        } else {
            json_object_set_new(j, "low", json_real(p->low));
            json_object_set_new(j, "high", json_real(p->high));
            json_object_set_new(j, "log", json_boolean(p->log));
        }
        if (p->parent >= 0) {
            json_t *c = json_array();
            for (int64_t k = 0; k < s->params[p->parent].n_choices; k++)
                if ((p->parent_mask >> k) & 1)
                    json_array_append_new(c, json_string(s->params[p->parent].choices[k]));
            json_object_set_new(j, "when", json_pack("{s:o}", s->params[p->parent].name, c));
        }
        json_object_set_new(o, p->name, j);
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    return text;
}

/* A choice as text: strings as they are, numbers in their shortest round-trip form. */
static char *choice_text(const json_t *v) {
    char buf[64];
    if (json_is_string(v))
        return plumb__strdup(json_string_value(v));
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    return plumb__strdup(buf);
}

/* Checks one number against what the model accepts. */
static plumb_status check_bound(const parser *ps, const char *name, const char *field, const plumb__tunable *r,
                                double v, const char *model) {
    if (v < r->min || (r->min_open && v == r->min) || v > r->max)
        return fail_at(ps, name, field, "'%s': %s %g is outside the values a %s model takes: %s%g, %g]", name, field, v,
                       model, r->min_open ? "(" : "[", r->min, r->max);
    return PLUMB_OK;
}

static plumb_status parse_param(const parser *ps, plumb_tune_space *s, const char *name, json_t *v) {
    plumb_tune_param *p = &s->params[s->n];
    memset(p, 0, sizeof *p);
    p->parent = -1;
    if (!(p->name = plumb__strdup(name)))
        return plumb__fail(ps->err, PLUMB_ENOMEM, "out of memory");
    s->n++; /* from here the space owns the name */
    const plumb__tunable *r = plumb__tunable_find(name, s->kind);
    if (!r)
        return fail_at(ps, name, NULL, "'%s' is no parameter of a %s model that plumb tune can set", name, s->model);
    s->rows[s->n - 1] = r;
    for (int64_t i = 0; i < s->n - 1; i++)
        if (s->rows[i] == r)
            return fail_at(ps, name, NULL, "'%s' is given twice", name);
    if (!json_is_object(v))
        return fail_at(ps, name, NULL,
                       "'%s' must be an object such as {\"type\": \"float\", \"low\": 0.01, "
                       "\"high\": 0.3}",
                       name);
    const char *key;
    json_t *f;
    json_object_foreach(v, key, f) {
        if (strcmp(key, "type") && strcmp(key, "low") && strcmp(key, "high") && strcmp(key, "log") &&
            strcmp(key, "choices") && strcmp(key, "when"))
            return fail_at(ps, name, key, "'%s': unknown key '%s' (expected type, low, high, log, choices, when)", name,
                           key);
    }
    const json_t *type = json_object_get(v, "type");
    const char *t = json_is_string(type) ? json_string_value(type) : NULL;
    if (!t || (strcmp(t, "float") && strcmp(t, "int") && strcmp(t, "categorical")))
        return fail_at(ps, name, type ? "type" : NULL, "'%s': \"type\" must be \"float\", \"int\" or \"categorical\"",
                       name);
    const bool text_param = r->field == TUNE_CRITERION || r->field == TUNE_CLASS_WEIGHT;
    if (strcmp(t, "categorical") == 0) {
        p->type = PLUMB_TUNE_CATEGORICAL;
        const json_t *c = json_object_get(v, "choices");
        if (!json_is_array(c) || json_array_size(c) < 1 || json_array_size(c) > 64)
            return fail_at(ps, name, c ? "choices" : NULL,
                           "'%s': a categorical parameter needs \"choices\", a list "
                           "of 1 to 64 values",
                           name);
        if (json_object_get(v, "low") || json_object_get(v, "high") || json_object_get(v, "log"))
            return fail_at(ps, name,
                           json_object_get(v, "low")    ? "low"
                           : json_object_get(v, "high") ? "high"
                                                        : "log",
                           "'%s': a categorical parameter has choices, not low, high or log", name);
        if (!(p->choices = calloc(json_array_size(c), sizeof *p->choices)))
            return plumb__fail(ps->err, PLUMB_ENOMEM, "out of memory");
        size_t k;
        json_t *e;
        json_array_foreach(c, k, e) {
            if (text_param ? !json_is_string(e) : !json_is_number(e))
                return fail_at(ps, name, "choices", "'%s': choice %zu must be %s", name, k + 1,
                               text_param ? "text" : "a number");
            if (!(p->choices[k] = choice_text(e)))
                return plumb__fail(ps->err, PLUMB_ENOMEM, "out of memory");
            p->n_choices = (int64_t)k + 1;
            const char *ct = p->choices[k];
            if (r->field == TUNE_CRITERION && strcmp(ct, "gini") && strcmp(ct, "entropy") &&
                strcmp(ct, "squared_error"))
                return fail_at(ps, name, "choices",
                               "'%s': unknown criterion '%s' (expected gini, entropy or "
                               "squared_error)",
                               name, ct);
            if (r->field == TUNE_CLASS_WEIGHT && strcmp(ct, "none") && strcmp(ct, "balanced"))
                return fail_at(ps, name, "choices", "'%s': unknown class weight '%s' (expected none or balanced)", name,
                               ct);
            if (!text_param) {
                plumb_status st = check_bound(ps, name, "choices", r, json_number_value(e), s->model);
                if (st != PLUMB_OK)
                    return st;
                if (r->field != TUNE_F64 && json_number_value(e) != floor(json_number_value(e)))
                    return fail_at(ps, name, "choices", "'%s': choice %g is not a whole number", name,
                                   json_number_value(e));
            }
            for (size_t q = 0; q < k; q++)
                if (strcmp(p->choices[q], ct) == 0)
                    return fail_at(ps, name, "choices", "'%s': choice '%s' is listed twice", name, ct);
        }
    } else {
        p->type = strcmp(t, "int") == 0 ? PLUMB_TUNE_INT : PLUMB_TUNE_FLOAT;
        if (text_param)
            return fail_at(ps, name, "type", "'%s' takes names: it must be \"categorical\"", name);
        if (p->type == PLUMB_TUNE_FLOAT && r->field != TUNE_F64)
            return fail_at(ps, name, "type", "'%s' is a whole number: its type is \"int\" (or \"categorical\")", name);
        if (json_object_get(v, "choices"))
            return fail_at(ps, name, "choices", "'%s': only a categorical parameter has choices", name);
        const json_t *lo = json_object_get(v, "low"), *hi = json_object_get(v, "high"), *lg = json_object_get(v, "log");
        if (!json_is_number(lo))
            return fail_at(ps, name, lo ? "low" : NULL, "'%s': \"low\" must be a number", name);
        if (!json_is_number(hi))
            return fail_at(ps, name, hi ? "high" : NULL, "'%s': \"high\" must be a number", name);
        if (lg && !json_is_boolean(lg))
            return fail_at(ps, name, "log", "'%s': \"log\" must be true or false", name);
        p->low = json_number_value(lo);
        p->high = json_number_value(hi);
        p->log = lg && json_is_true(lg);
        plumb_status st;
        if ((st = check_bound(ps, name, "low", r, p->low, s->model)) != PLUMB_OK ||
            (st = check_bound(ps, name, "high", r, p->high, s->model)) != PLUMB_OK)
            return st;
        if (!(p->low <= p->high))
            return fail_at(ps, name, "high", "'%s': high %g is below low %g", name, p->high, p->low);
        if (p->type == PLUMB_TUNE_INT && (p->low != floor(p->low) || p->high != floor(p->high)))
            return fail_at(ps, name, p->low != floor(p->low) ? "low" : "high",
                           "'%s': an int parameter needs whole-number bounds", name);
        if (p->log && !(p->low > 0))
            return fail_at(ps, name, "low", "'%s': a log-scaled parameter needs low > 0, got %g", name, p->low);
    }
    const json_t *when = json_object_get(v, "when");
    if (when) {
        const char *pname = NULL;
        json_t *list = NULL;
        if (json_is_object(when) && json_object_size(when) == 1) {
            void *it = json_object_iter((json_t *)when);
            pname = json_object_iter_key(it);
            list = json_object_iter_value(it);
        }
        if (!pname || !json_is_array(list) || json_array_size(list) == 0)
            return fail_at(ps, name, "when",
                           "'%s': \"when\" must name one categorical parameter and the list of "
                           "its choices, such as {\"bagging_freq\": [1]}",
                           name);
        for (int64_t i = 0; i < s->n - 1; i++)
            if (strcmp(s->params[i].name, pname) == 0)
                p->parent = i;
        if (p->parent < 0 || s->params[p->parent].type != PLUMB_TUNE_CATEGORICAL)
            return fail_at(ps, name, "when",
                           "'%s': \"when\" names '%s', which is no categorical parameter given "
                           "before '%s'",
                           name, pname, name);
        const plumb_tune_param *par = &s->params[p->parent];
        size_t k;
        json_t *e;
        json_array_foreach(list, k, e) {
            char *ct = json_is_string(e) || json_is_number(e) ? choice_text(e) : NULL;
            int64_t c = 0;
            while (ct && c < par->n_choices && strcmp(par->choices[c], ct) != 0)
                c++;
            free(ct);
            if (c == par->n_choices || !ct)
                return fail_at(ps, name, "when", "'%s': \"when\" lists a value that is no choice of '%s'", name, pname);
            p->parent_mask |= (uint64_t)1 << c;
        }
    }
    return PLUMB_OK;
}

plumb_status plumb_tune_space_parse(const char *text, size_t len, const char *name, const char *model,
                                    plumb_tune_space **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    const char *src = name ? name : "space";
    const unsigned kind = plumb__tune_kind(model);
    if (!kind)
        return plumb__fail(err, PLUMB_EINVAL, "cannot tune model '%s' (expected gbdt, logistic, linear or tree)",
                           model ? model : "");
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return plumb__error_at(err, PLUMB_EPARSE, src, jerr.line, jerr.column, "%s", jerr.text);
    const parser ps = {text, len, src, err};
    plumb_status st = PLUMB_OK;
    plumb_tune_space *s = calloc(1, sizeof *s);
    if (!json_is_object(root) || json_object_size(root) == 0) {
        st = fail_at(&ps, NULL, NULL,
                     "a search space is a JSON object with at least one parameter, such as "
                     "{\"learning_rate\": {\"type\": \"float\", \"low\": 0.01, \"high\": 0.3}}");
        goto done;
    }
    if (!s || !(s->model = plumb__strdup(model)) || !(s->params = calloc(json_object_size(root), sizeof *s->params)) ||
        !(s->rows = calloc(json_object_size(root), sizeof *s->rows))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    s->kind = kind;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if ((st = parse_param(&ps, s, key, v)) != PLUMB_OK)
            goto done;
    }
done:
    json_decref(root);
    if (st != PLUMB_OK)
        plumb_tune_space_free(s);
    else
        *out = s;
    return st;
}

plumb_status plumb_tune_space_load(const char *path, const char *model, plumb_tune_space **out, plumb_error *err) {
    char *data = NULL;
    size_t size = 0;
    *out = NULL;
    plumb_status st = plumb__file_read(path, &data, &size, err);
    if (st == PLUMB_OK)
        st = plumb_tune_space_parse(data, size, path, model, out, err);
    free(data);
    return st;
}
