/* model.c -- the model object every kind shares: the model file, lifecycle, accessors and the dispatch of optional
 * capabilities to the kind's operations.
 *
 * The file: versioned JSON behind a header line that carries its length and SHA-256.
 *
 * Layout (docs/model-format.md):   plumb-model <format> <body bytes> <sha256 of body, hex>\n<JSON body>
 * The header lets a loader tell a truncated file, a corrupted one and one from a newer plumb apart before it
 * parses anything. Doubles are written with 17 significant digits and floats are exact in a double, so every
 * number reads back bit for bit. Files are written atomically (plumb_outfile). SHA-256 comes from nettle.
 */
#include "model.h"
#include "../eval/eval.h"
#include "loader.h"
#include "reference.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MODEL_MAGIC "plumb-model"
#define MODEL_FORMAT 1

static void sha256_hex(const void *data, size_t n, char hex[65]) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, n, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The object                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

plumb_model *plumb__model_new(const plumb__model_ops *ops) {
    plumb_model *m = calloc(1, sizeof *m);
    if (m)
        m->ops = ops;
    return m;
}

bool plumb__model_set_features(plumb_model *m, int64_t n, const int64_t *first_col, size_t stride) {
    free(m->feature_col);
    m->n_features = 0;
    if (!(m->feature_col = malloc((size_t)(n + 1) * sizeof *m->feature_col)))
        return false;
    for (int64_t f = 0; f < n; f++)
        memcpy(&m->feature_col[f], (const char *)first_col + (size_t)f * stride, sizeof *m->feature_col);
    m->n_features = n;
    return true;
}

void plumb_model_free(plumb_model *m) {
    if (!m)
        return;
    if (m->ops)
        m->ops->free(m->impl);
    plumb__calibrate_free(m->calibrator);
    plumb__reference_free(m->reference);
    plumb_schema_free(m->schema);
    free(m->feature_col);
    free(m);
}

const plumb_schema *plumb_model_schema(const plumb_model *m) {
    return m ? m->schema : NULL;
}

void plumb_model_describe(const plumb_model *m, plumb_model_info *info) {
    memset(info, 0, sizeof *info);
    info->valid_metric = NAN;
    info->train_metric = NAN;
    if (!m)
        return;
    m->ops->describe(m, info);
    info->kind = m->ops->name;
    info->task = m->task;
    info->n_outputs = m->n_outputs;
    info->n_features = m->n_features;
    info->train_rows = m->train_rows;
    info->plumb_version = m->plumb_version;
    info->data_sha256 = m->data_sha256;
    info->created = m->created;
}

const char *plumb_model_feature_name(const plumb_model *m, int64_t f) {
    return m && f >= 0 && f < m->n_features ? m->schema->cols[m->feature_col[f]].name : NULL;
}

const char *plumb_model_positive_class(const plumb_model *m) {
    if (!m || m->task != PLUMB_TASK_BINARY)
        return NULL;
    for (int64_t j = 0; j < m->schema->n; j++) {
        const plumb__schema_col *c = &m->schema->cols[j];
        if (c->role != PLUMB_ROLE_TARGET)
            continue;
        if (c->type != PLUMB_TYPE_CATEGORICAL || c->cats.n != 2)
            return NULL;
        if (m->ops->positive_class) /* kinds that keep the class they predict by name */
            return m->ops->positive_class(m);
        return c->cat_ptrs[m->positive_first ? 0 : 1];
    }
    return NULL;
}

/* The error of a capability this kind of model lacks ("a linear model has no rules: only tree models have them"),
 * naming the kinds that have it: has(ops) says whether a kind does. */
static plumb_status cannot(const plumb_model *m, plumb_error *err, const char *what,
                           bool (*has)(const plumb__model_ops *ops)) {
    if (!m)
        return plumb__fail(err, PLUMB_EINVAL, "%s: no model (NULL)", what);
    char kinds[128] = "";
    size_t n, at = 0;
    const plumb__model_ops *const *all = plumb__model_kinds(&n);
    for (size_t i = 0; i < n && at < sizeof kinds; i++)
        if (has(all[i]))
            at += (size_t)snprintf(kinds + at, sizeof kinds - at, "%s%s", at ? " and " : "", all[i]->name);
    return plumb__fail(err, PLUMB_EINVAL, "a %s model has no %s: only %s models have them", m->ops->name, what, kinds);
}

static bool has_importance(const plumb__model_ops *ops) {
    return ops->importance != NULL;
}
static bool has_contrib(const plumb__model_ops *ops) {
    return ops->contrib != NULL;
}
static bool has_rules(const plumb__model_ops *ops) {
    return ops->rules != NULL;
}

plumb_status plumb_model_importance(const plumb_model *m, plumb_importance *out, plumb_error *err) {
    plumb__error_clear(err);
    if (!m || !m->ops->importance)
        return cannot(m, err, "split importance", has_importance);
    if (!out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_importance: a NULL argument");
    return m->ops->importance(m, out, err);
}

plumb_status plumb_model_contrib(const plumb_model *m, const plumb_frame *frame, const plumb_predict_options *opts,
                                 double *out, plumb_error *err) {
    plumb__error_clear(err);
    if (!m || !m->ops->contrib)
        return cannot(m, err, "TreeSHAP contributions", has_contrib);
    if (!frame || !out)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_contrib: a NULL argument");
    return m->ops->contrib(m, frame, opts ? opts->threads : 0, out, err);
}

plumb_status plumb_model_rules(const plumb_model *m, char **text, plumb_error *err) {
    plumb__error_clear(err);
    if (!text)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_rules: a NULL argument");
    *text = NULL;
    if (!m || !m->ops->rules)
        return cannot(m, err, "rules", has_rules);
    const locale_t saved = plumb__c_locale_enter(); /* thresholds are written the same under any host locale */
    const plumb_status st = m->ops->rules(m, text, err);
    plumb__c_locale_leave(saved);
    return st;
}

int64_t plumb_model_valid_curve(const plumb_model *m, const double **values) {
    *values = NULL;
    return m && m->ops->valid_curve ? m->ops->valid_curve(m, values) : 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Writing                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

const char *plumb__task_name(plumb_task t) {
    return t == PLUMB_TASK_BINARY       ? "binary"
           : t == PLUMB_TASK_REGRESSION ? "regression"
           : t == PLUMB_TASK_MULTICLASS ? "multiclass"
                                        : "auto";
}

bool plumb__json_add(json_t *obj, const char *key, json_t *value) {
    return value && json_object_set_new(obj, key, value) == 0;
}

json_t *plumb__json_reals(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null())) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *plumb__model_json_begin(const plumb_model *m) {
    return json_pack("{s:s, s:i, s:s, s:s}", "format", MODEL_MAGIC, "format_version", MODEL_FORMAT, "model",
                     m->ops->name, "task", plumb__task_name(m->task));
}

json_t *plumb__provenance_json(const plumb_model *m) {
    return json_pack("{s:s, s:s, s:I, s:s}", "plumb_version", m->plumb_version, "data_sha256", m->data_sha256,
                     "train_rows", (json_int_t)m->train_rows, "created", m->created);
}

/* The positive class of a binary model with a text target: its name, which evaluation reads back
 * (plumb_model_positive_class). Other models have no such key. Returns false when out of memory. */
static bool add_positive_class(json_t *root, const plumb_model *m) {
    const char *name = plumb_model_positive_class(m);
    return !root || !name || json_object_set_new(root, "positive_class", json_string(name)) == 0;
}

/* The whole model file -- header line, JSON body, newline -- as one malloc'd buffer (*size bytes); NULL when out
 * of memory. */
static char *model_file_bytes(const plumb_model *m, size_t *size) {
    json_t *root = m->ops->to_json(m);
    if (root && m->calibrator && json_object_set_new(root, "calibration", plumb__calibrate_to_json(m->calibrator))) {
        json_decref(root);
        root = NULL;
    }
    if (root && m->reference && json_object_set_new(root, "reference", plumb__reference_to_json(m->reference))) {
        json_decref(root);
        root = NULL;
    }
    if (!add_positive_class(root, m)) {
        json_decref(root);
        root = NULL;
    }
    char *body = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!body)
        return NULL;
    const size_t n = strlen(body);
    char hex[65];
    sha256_hex(body, n, hex);
    const int head = snprintf(NULL, 0, "%s %d %zu %s\n", MODEL_MAGIC, MODEL_FORMAT, n, hex);
    char *buf = head > 0 ? malloc((size_t)head + n + 2) : NULL;
    if (buf) {
        snprintf(buf, (size_t)head + 1, "%s %d %zu %s\n", MODEL_MAGIC, MODEL_FORMAT, n, hex);
        memcpy(buf + head, body, n);
        buf[(size_t)head + n] = '\n';
        buf[(size_t)head + n + 1] = '\0';
        *size = (size_t)head + n + 1;
    }
    free(body);
    return buf;
}

plumb_status plumb_model_save(const plumb_model *m, const char *path, plumb_error *err) {
    plumb_status st;
    plumb_outfile *file = NULL;
    FILE *f;
    size_t n = 0;
    char *bytes = model_file_bytes(m, &n);
    if (!bytes)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if ((st = plumb_outfile_open(path, &file, &f, err)) != PLUMB_OK)
        goto done;
    if (fwrite(bytes, 1, n, f) != n) {
        plumb_outfile_abort(file);
        st = plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    st = plumb_outfile_commit(file, err);
done:
    free(bytes);
    return st;
}

plumb_status plumb_model_save_buffer(const plumb_model *m, void **data, size_t *size, plumb_error *err) {
    *data = NULL;
    *size = 0;
    plumb__error_clear(err);
    char *bytes = model_file_bytes(m, size);
    if (!bytes)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    *data = bytes;
    return PLUMB_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Reading                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__provenance_read(plumb_model *m, const json_t *root) {
    const json_t *prov = json_object_get(root, "provenance");
    const char *pv = json_string_value(json_object_get(prov, "plumb_version"));
    const char *sha = json_string_value(json_object_get(prov, "data_sha256"));
    const char *created = json_string_value(json_object_get(prov, "created"));
    snprintf(m->plumb_version, sizeof m->plumb_version, "%s", pv ? pv : "");
    snprintf(m->data_sha256, sizeof m->data_sha256, "%s", sha ? sha : "");
    snprintf(m->created, sizeof m->created, "%s", created ? created : "");
    m->train_rows = json_integer_value(json_object_get(prov, "train_rows"));
}

/* The body: the kind named by "model" reads the rest. */
static plumb_status parse_model(plumb__loader *ld, const json_t *root, plumb_model **out) {
    const char *name = json_string_value(json_object_get(root, "model"));
    const plumb__model_ops *ops = name ? plumb__model_kind(name) : NULL;
    if (!ops || !json_is_string(json_object_get(root, "task"))) {
        plumb__loader_bad(ld, "unknown model kind");
        return ld->st;
    }
    plumb_model *m = plumb__model_new(ops);
    if (!m)
        return plumb__fail(ld->err, PLUMB_ENOMEM, "out of memory");
    m->n_outputs = 1;
    if (ops->from_json(ld, root, m) == PLUMB_OK && ld->st == PLUMB_OK) {
        plumb__provenance_read(m, root);
        *out = m;
        return PLUMB_OK;
    }
    plumb_model_free(m);
    return ld->st != PLUMB_OK ? ld->st : plumb__fail(ld->err, PLUMB_EFORMAT, "corrupted model file");
}

plumb_status plumb_model_load_buffer(const void *data, size_t size, const char *name, plumb_model **out,
                                     plumb_error *err) {
    plumb__loader ld = {.name = name ? name : "<buffer>", .err = err, .st = PLUMB_OK};
    *out = NULL;
    plumb__error_clear(err);
    const char *p = data;
    const size_t magic = sizeof MODEL_MAGIC - 1;
    size_t n_kinds;
    const plumb__model_ops *const *kinds = plumb__model_kinds(&n_kinds);
    for (size_t k = 0; k < n_kinds; k++) /* kinds with files of their own (a compiled model's shared object) */
        if (kinds[k]->open && size >= kinds[k]->magic_len && memcmp(p, kinds[k]->magic, kinds[k]->magic_len) == 0)
            return kinds[k]->open(data, size, ld.name, out, err);
    if (size < magic + 1 || memcmp(p, MODEL_MAGIC " ", magic + 1) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "not a plumb model file");
    const char *nl = memchr(p, '\n', size < 256 ? size : 256);
    if (!nl)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "truncated model file: no complete header");
    char header[256];
    memcpy(header, p, (size_t)(nl - p));
    header[nl - p] = '\0';
    int version;
    unsigned long long body_len = 0;
    char hex[65], want[65], len[24];
    /* the length is digits only: sscanf's %llu would read "-5" as 18446744073709551611 */
    if (sscanf(header, MODEL_MAGIC " %d %23s %64s", &version, len, want) != 3 || strlen(want) != 64 ||
        strspn(len, "0123456789") != strlen(len) || strlen(len) > 19 || sscanf(len, "%llu", &body_len) != 1)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: bad header");
    if (version > MODEL_FORMAT)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0,
                               "model format %d is newer than this plumb reads (%d): upgrade plumb", version,
                               MODEL_FORMAT);
    if (version < 1)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: bad format %d", version);
    const char *body = nl + 1;
    const size_t have = size - (size_t)(body - p);
    if (have < body_len)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "truncated model file: %zu of %llu bytes", have,
                               body_len);
    sha256_hex(body, (size_t)body_len, hex);
    if (strcmp(hex, want) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: checksum mismatch");
    json_error_t jerr;
    json_t *root = json_loadb(body, (size_t)body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: %s", jerr.text);
    plumb_status st = parse_model(&ld, root, out);
    const json_t *cal = json_object_get(root, "calibration");
    if (st == PLUMB_OK && cal) { /* any binary model may carry one */
        plumb_error cerr;
        if ((*out)->task != PLUMB_TASK_BINARY ||
            plumb__calibrate_from_json(cal, &(*out)->calibrator, &cerr) != PLUMB_OK) {
            plumb_model_free(*out);
            *out = NULL;
            st = plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: calibration");
        }
    }
    const json_t *ref = json_object_get(root, "reference");
    if (st == PLUMB_OK && ref && !plumb__reference_from_json(ref, *out, &(*out)->reference)) {
        plumb_model_free(*out); /* a file without a reference loads; a damaged one does not */
        *out = NULL;
        st = plumb__error_at(err, PLUMB_EFORMAT, ld.name, 0, 0, "corrupted model file: reference");
    }
    json_decref(root);
    return st;
}

plumb_status plumb_model_load(const char *path, plumb_model **out, plumb_error *err) {
    *out = NULL;
    char *buf;
    size_t n;
    plumb_status st = plumb__file_read(path, &buf, &n, err);
    if (st == PLUMB_OK)
        st = plumb_model_load_buffer(buf, n, path, out, err);
    free(buf);
    return st;
}

/* SHA-256 of what a model learns from: the frame's schema (names, types, roles, categories) and every
 * column's values as stored, so the same data gives the same digest however the CSV was formatted. */
static void frame_sha256(const plumb_frame *fr, char hex[65]) {
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    json_t *schema = plumb__schema_to_json(plumb_frame_schema(fr));
    char *text = schema ? json_dumps(schema, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        sha256_update(&ctx, strlen(text), (const uint8_t *)text);
    free(text);
    json_decref(schema);
    const size_t n = (size_t)plumb_frame_n_rows(fr);
    for (int64_t j = 0; j < plumb_frame_n_columns(fr); j++) {
        if (plumb_frame_f32(fr, j))
            sha256_update(&ctx, n * 4, (const uint8_t *)plumb_frame_f32(fr, j));
        else if (plumb_frame_f64(fr, j))
            sha256_update(&ctx, n * 8, (const uint8_t *)plumb_frame_f64(fr, j));
        else if (plumb_frame_codes(fr, j))
            sha256_update(&ctx, n * 4, (const uint8_t *)plumb_frame_codes(fr, j));
        else if (plumb_frame_i64(fr, j))
            sha256_update(&ctx, n * 8, (const uint8_t *)plumb_frame_i64(fr, j));
        else if (plumb_frame_u8(fr, j))
            sha256_update(&ctx, n, plumb_frame_u8(fr, j));
    }
    sha256_digest(&ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void plumb__model_stamp(plumb_model *m, const plumb_frame *train) {
    snprintf(m->plumb_version, sizeof m->plumb_version, "%s", plumb_version());
    frame_sha256(train, m->data_sha256);
    m->train_rows = plumb_frame_n_rows(train);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    plumb__reference_free(m->reference);
    m->reference = plumb__reference_build(m, train); /* NULL (no profile) only when out of memory */
}
