/* serial.c -- the "linear" object of the model file: the preprocessing, the coefficients and how they were fitted.
 *
 *   {"params": {alpha, l1_ratio, class_weight, standardize, clip_quantile, min_category_weight, max_iter, tol},
 *    "positive_class": "bad" or null,
 *    "inputs": [{"name", "type": "numeric", "lo", "hi" (null: no clipping), "fill", "center", "scale", "indicator"},
 *               {"name", "type": "bool", "fill", "indicator"}, {"name", "type": "categorical", "levels": [...]}],
 *    "names": [design column names], "beta": [coefficients on the standardised scale, intercept first],
 *    "n_iterations", "converged", "objective", "train_metric"}
 *
 * Numbers are written with 17 significant digits by the model writer, so a loaded model scores bit for bit as the
 * trained one. Loading checks everything scoring relies on (columns and categories present in the schema with the
 * same type, one coefficient per design column, finite numbers, positive scales, names as the inputs make them)
 * and fails with "corrupted model file: linear ..." otherwise.
 */
#include "linear.h"
#include "../model/loader.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *real_or_null(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *plumb__linear_to_json(const plumb__linear *lin, const plumb_schema *schema) {
    const plumb_linear_params *p = &lin->params;
    json_t *inputs = json_array(), *names = json_array(), *beta = json_array();
    bool ok = inputs && names && beta;
    for (int64_t k = 0; ok && k < lin->n_inputs; k++) {
        const plumb__linear_input *in = &lin->inputs[k];
        plumb_column_info c;
        plumb_schema_column(schema, in->column, &c);
        json_t *o = NULL;
        if (in->type == PLUMB_TYPE_NUMERIC) {
            o = json_pack("{s:s, s:s, s:o, s:o, s:f, s:f, s:f, s:b}", "name", c.name, "type", "numeric", "lo",
                          real_or_null(in->lo), "hi", real_or_null(in->hi), "fill", in->fill, "center", in->center,
                          "scale", in->scale, "indicator", in->indicator);
        } else if (in->type == PLUMB_TYPE_BOOL) {
            o = json_pack("{s:s, s:s, s:f, s:b}", "name", c.name, "type", "bool", "fill", in->fill, "indicator",
                          in->indicator);
        } else {
            json_t *levels = json_array();
            for (int32_t l = 0; levels && l < in->n_levels; l++)
                if (json_array_append_new(levels, json_string(c.categories[in->levels[l]]))) {
                    json_decref(levels);
                    levels = NULL;
                }
            o = json_pack("{s:s, s:s, s:o}", "name", c.name, "type", "categorical", "levels", levels);
        }
        ok = o && json_array_append_new(inputs, o) == 0;
    }
    for (int64_t j = 0; ok && j < lin->p; j++)
        ok = json_array_append_new(names, json_string(lin->names[j])) == 0 &&
             json_array_append_new(beta, json_real(lin->beta[j])) == 0;
    if (!ok) {
        json_decref(inputs);
        json_decref(names);
        json_decref(beta);
        return NULL;
    }
    json_t *params = json_pack("{s:f, s:f, s:o, s:i, s:f, s:f, s:I, s:f}", "alpha", p->alpha, "l1_ratio", p->l1_ratio,
                               "class_weight", lin->class_weight ? json_string(lin->class_weight) : json_null(),
                               "standardize", p->standardize, "clip_quantile", p->clip_quantile, "min_category_weight",
                               p->min_category_weight, "max_iter", (json_int_t)p->max_iter, "tol", p->tol);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:b, s:f, s:o}", "params", params, "positive_class",
                     lin->positive_class ? json_string(lin->positive_class) : json_null(), "inputs", inputs, "names",
                     names, "beta", beta, "n_iterations", (json_int_t)lin->n_iter, "converged", lin->converged,
                     "objective", lin->objective, "train_metric", real_or_null(lin->train_metric));
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Reading                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

typedef plumb__loader reader;

/* The loader's error, "linear " + fmt with what: the linear model's parts say which they are. */
static bool corrupt(reader *r, const char *fmt, const char *what) {
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    char full[300];
    snprintf(full, sizeof full, "linear %s", msg);
    return plumb__loader_bad(r, full);
}

/* obj[key] as a finite number (or, with nullable, null for the default dflt). */
static bool get_real(reader *r, const json_t *obj, const char *key, bool nullable, double dflt, double *out) {
    const json_t *v = json_object_get(obj, key);
    if (nullable && json_is_null(v)) {
        *out = dflt;
        return true;
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return corrupt(r, "'%s' is not a finite number", key);
    *out = json_number_value(v);
    return true;
}

static bool read_input(reader *r, const json_t *o, const plumb_schema *schema, plumb__linear_input *in) {
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!name || !type)
        return corrupt(r, "%s", "input without a name or type");
    in->column = plumb__schema_find(schema, name);
    if (in->column < 0)
        return corrupt(r, "input '%s' is not in the schema", name);
    plumb_column_info c;
    plumb_schema_column(schema, in->column, &c);
    const int t = plumb_type_parse(type);
    if (t < 0 || (plumb_type)t != c.type ||
        (t != PLUMB_TYPE_NUMERIC && t != PLUMB_TYPE_BOOL && t != PLUMB_TYPE_CATEGORICAL))
        return corrupt(r, "input '%s' has a type the schema does not give it", name);
    in->type = (plumb_type)t;
    in->lo = -INFINITY;
    in->hi = INFINITY;
    in->center = 0;
    in->scale = 1;
    if (in->type == PLUMB_TYPE_CATEGORICAL) {
        const json_t *levels = json_object_get(o, "levels");
        if (!json_is_array(levels) || c.n_categories < 0 || (int64_t)json_array_size(levels) > c.n_categories)
            return corrupt(r, "input '%s' has bad levels", name);
        in->n_levels = (int32_t)json_array_size(levels);
        if (!(in->levels = malloc(((size_t)in->n_levels + 1) * sizeof *in->levels)))
            return corrupt(r, "%s", "out of memory");
        for (int32_t l = 0; l < in->n_levels; l++) {
            const char *s = json_string_value(json_array_get(levels, (size_t)l));
            int32_t code = -1;
            for (int64_t k = 0; s && k < c.n_categories; k++)
                if (strcmp(c.categories[k], s) == 0)
                    code = (int32_t)k;
            if (code < 0 || (l > 0 && code <= in->levels[l - 1]))
                return corrupt(r, "input '%s' has a level the schema does not list (or out of order)", name);
            in->levels[l] = code;
        }
        return in->n_levels > 0 ? true : corrupt(r, "input '%s' has no levels", name);
    }
    const json_t *ind = json_object_get(o, "indicator");
    if (!json_is_boolean(ind))
        return corrupt(r, "input '%s' has no indicator flag", name);
    in->indicator = json_is_true(ind);
    if (!get_real(r, o, "fill", false, 0, &in->fill))
        return false;
    if (in->type == PLUMB_TYPE_BOOL)
        return in->fill == 0 || in->fill == 1 ? true
                                              : corrupt(r, "input '%s' has a fill value other than 0 or 1", name);
    if (!get_real(r, o, "lo", true, -INFINITY, &in->lo) || !get_real(r, o, "hi", true, INFINITY, &in->hi) ||
        !get_real(r, o, "center", false, 0, &in->center) || !get_real(r, o, "scale", false, 1, &in->scale))
        return false;
    if (!(in->lo <= in->hi) || !(in->scale > 0))
        return corrupt(r, "input '%s' has bounds out of order or a scale that is not positive", name);
    return true;
}

plumb_status plumb__linear_from_json(const json_t *obj, const plumb_schema *schema, plumb_task task, const char *name,
                                     plumb__linear **out, plumb_error *err) {
    reader r = {.name = name, .err = err, .st = PLUMB_OK};
    *out = NULL;
    plumb__linear *lin = calloc(1, sizeof *lin);
    if (!lin)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_linear_params_init(&lin->params);
    const json_t *params = json_object_get(obj, "params"), *inputs = json_object_get(obj, "inputs");
    const json_t *names = json_object_get(obj, "names"), *beta = json_object_get(obj, "beta");
    const json_t *pos = json_object_get(obj, "positive_class"), *cw = json_object_get(params, "class_weight");
    const json_t *iters = json_object_get(obj, "n_iterations"), *conv = json_object_get(obj, "converged");
    const json_t *max_iter = json_object_get(params, "max_iter"), *stdz = json_object_get(params, "standardize");
    if (!json_is_object(obj) || !json_is_object(params) || !json_is_array(inputs) || !json_is_array(names) ||
        !json_is_array(beta)) {
        corrupt(&r, "%s", "lacks params, inputs, names or beta");
        goto done;
    }
    if (task == PLUMB_TASK_BINARY ? !json_is_string(pos) : !json_is_null(pos)) {
        corrupt(&r, "%s", "positive_class does not fit the task");
        goto done;
    }
    if (!get_real(&r, params, "alpha", false, 0, &lin->params.alpha) ||
        !get_real(&r, params, "l1_ratio", false, 0, &lin->params.l1_ratio) ||
        !get_real(&r, params, "clip_quantile", false, 0, &lin->params.clip_quantile) ||
        !get_real(&r, params, "min_category_weight", false, 0, &lin->params.min_category_weight) ||
        !get_real(&r, params, "tol", false, 0, &lin->params.tol) ||
        !get_real(&r, obj, "objective", true, NAN, &lin->objective) ||
        !get_real(&r, obj, "train_metric", true, NAN, &lin->train_metric))
        goto done;
    if (!json_is_integer(max_iter) || !json_is_integer(stdz) || !json_is_integer(iters) || !json_is_boolean(conv) ||
        json_integer_value(iters) < 0 || !(json_is_null(cw) || json_is_string(cw))) {
        corrupt(&r, "%s", "has bad params, n_iterations or converged");
        goto done;
    }
    lin->params.max_iter = json_integer_value(max_iter);
    lin->params.standardize = json_integer_value(stdz) != 0;
    lin->n_iter = json_integer_value(iters);
    lin->converged = json_is_true(conv);
    if ((pos && json_is_string(pos) && !(lin->positive_class = plumb__strdup(json_string_value(pos)))) ||
        (json_is_string(cw) && !(lin->class_weight = plumb__strdup(json_string_value(cw))))) {
        corrupt(&r, "%s", "out of memory");
        goto done;
    }
    lin->n_inputs = (int64_t)json_array_size(inputs);
    if (!(lin->inputs = calloc((size_t)lin->n_inputs + 1, sizeof *lin->inputs))) {
        corrupt(&r, "%s", "out of memory");
        goto done;
    }
    int64_t p = 1;
    for (int64_t k = 0; k < lin->n_inputs; k++) {
        plumb__linear_input *in = &lin->inputs[k];
        if (!read_input(&r, json_array_get(inputs, (size_t)k), schema, in))
            goto done;
        in->first = p;
        p += in->type == PLUMB_TYPE_CATEGORICAL ? in->n_levels : 1 + in->indicator;
    }
    if ((int64_t)json_array_size(beta) != p || (int64_t)json_array_size(names) != p) {
        corrupt(&r, "%s", "has not one coefficient and name per design column");
        goto done;
    }
    lin->p = p;
    if (!(lin->beta = malloc((size_t)p * sizeof *lin->beta))) {
        corrupt(&r, "%s", "out of memory");
        goto done;
    }
    for (int64_t j = 0; j < p; j++) {
        const json_t *v = json_array_get(beta, (size_t)j);
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            corrupt(&r, "%s", "has a coefficient that is not a finite number");
            goto done;
        }
        lin->beta[j] = json_number_value(v);
    }
    if (!plumb__linear_finish(lin, schema)) {
        corrupt(&r, "%s", "out of memory");
        goto done;
    }
    for (int64_t j = 0; j < p; j++) {
        const char *s = json_string_value(json_array_get(names, (size_t)j));
        if (!s || strcmp(s, lin->names[j]) != 0) {
            corrupt(&r, "design column %s does not match its input", s ? s : "(not a string)");
            goto done;
        }
    }
    *out = lin;
    return PLUMB_OK;
done:
    plumb__linear_free(lin);
    return r.st != PLUMB_OK ? r.st : plumb__fail(err, PLUMB_EFORMAT, "corrupted model file");
}

/* ---- the whole body: the keys every model starts with, the schema, the "linear" object, metrics ---- */

json_t *plumb__linear_model_json(const plumb_model *m) {
    const plumb__linear *lin = plumb__linear_of(m);
    json_t *metrics = json_pack("{s:s, s:o, s:n}", "name", m->task == PLUMB_TASK_BINARY ? "binary_logloss" : "l2",
                                "train", real_or_null(lin->train_metric), "valid");
    json_t *root = plumb__model_json_begin(m);
    if (root && plumb__json_add(root, "schema", plumb__schema_to_json(m->schema)) &&
        plumb__json_add(root, "linear", plumb__linear_to_json(lin, m->schema)) &&
        plumb__json_add(root, "metrics", metrics) && plumb__json_add(root, "provenance", plumb__provenance_json(m)))
        return root;
    json_decref(root);
    return NULL;
}

plumb_status plumb__linear_model_parse(plumb__loader *ld, const json_t *root, plumb_model *m) {
    const char *task = json_string_value(json_object_get(root, "task"));
    if (strcmp(task, "binary") != 0 && strcmp(task, "regression") != 0) {
        plumb__loader_bad(ld, "unknown task");
        return ld->st;
    }
    m->task = strcmp(task, "binary") == 0 ? PLUMB_TASK_BINARY : PLUMB_TASK_REGRESSION;
    plumb__linear *lin = NULL;
    if ((ld->st = plumb__schema_from_json(json_object_get(root, "schema"), ld->name, &m->schema, ld->err)) !=
            PLUMB_OK ||
        (ld->st = plumb__linear_from_json(json_object_get(root, "linear"), m->schema, m->task, ld->name, &lin,
                                          ld->err)) != PLUMB_OK)
        return ld->st;
    m->impl = lin;
    if (!plumb__linear_set_features(m))
        plumb__loader_bad(ld, "out of memory");
    return ld->st;
}
