/* cmd_predict.c -- `plumb predict`: score a CSV file (or standard input) with a model file, write CSV. */
#include "evaluate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", "- (standard output)", "where to write the predictions (atomically)"},
    {"id-col", 0, "COL", "the model's id column", "column to copy into the output beside each prediction"},
    {"contrib", 0, NULL, NULL,
     "write each feature's contribution to the raw score (TreeSHAP) and the bias, instead of predictions"},
    {"delimiter", 'd', "CHAR", ",", "field separator of the input; 'tab' for a tab"},
    {"missing", 0, "A,B", "\"\",NA,NaN,null,?", "values read as missing, comma-separated"},
    CLI_QUIET_OPTION(""),
    {"threads", 't', "N", "all cores", "threads to use"},
    {NULL, 0, NULL, NULL, NULL},
};

/* The model's target column: its name and, for a multiclass model, its classes. */
static plumb_column_info target_info(const plumb_model *model) {
    const plumb_schema *s = plumb_model_schema(model);
    plumb_column_info c = {0};
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_schema_column(s, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            return c;
    }
    memset(&c, 0, sizeof c);
    return c;
}

/* The header of the values columns: "prediction"; for binary "p_<positive class>"; for multiclass also "p_<class>" per
 * class; with --contrib one column per feature and "bias" (prefixed "<class>:" for multiclass). */
static void put_header(FILE *f, const plumb_model *model, const plumb_model_info *info, bool contrib) {
    const plumb_column_info target = target_info(model);
    const bool multi = info->n_outputs > 1;
    if (!contrib && info->task == PLUMB_TASK_BINARY) { /* the column says which class: "p_bad" */
        char name[1024];
        cli_binary_score_name(plumb_model_positive_class(model), target.type == PLUMB_TYPE_BOOL, name, sizeof name);
        cli_put_field(f, name);
        fputc('\n', f);
        return;
    }
    if (!contrib) {
        fputs("prediction", f);
        for (int64_t k = 0; multi && k < info->n_outputs; k++) {
            fputs(",p_", f);
            cli_put_field(f, k < target.n_categories ? target.categories[k] : "?");
        }
        fputc('\n', f);
        return;
    }
    char name[1024];
    for (int64_t k = 0; k < info->n_outputs; k++) {
        const char *cls = multi && k < target.n_categories ? target.categories[k] : NULL;
        for (int64_t j = 0; j <= info->n_features; j++) {
            const char *feat = j < info->n_features ? plumb_model_feature_name(model, j) : "bias";
            if (cls)
                snprintf(name, sizeof name, "%s:%s", cls, feat);
            if (k || j)
                fputc(',', f);
            cli_put_field(f, cls ? name : feat);
        }
    }
    fputc('\n', f);
}

/* The id column of frame: the one named by --id-col, else the one the model's schema declares; NULL when none. */
static const char *id_column(const cli_args *a, const plumb_frame *frame) {
    if (cli_get(a, "id-col"))
        return cli_get(a, "id-col");
    const plumb_schema *fs = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_frame_n_columns(frame); j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (c.role == PLUMB_ROLE_ID)
            return c.name;
    }
    return NULL;
}

/* The id column of the input (path, or buf of len bytes) read again as text, so that ids are copied exactly as
 * written whatever their type (a date, 2.002 as a float32); *ids is NULL when frame has no id column. */
static int read_ids(const cli_args *a, const plumb_frame *frame, const char *path, const char *buf, size_t len,
                    plumb_frame **ids) {
    const char *name = id_column(a, frame);
    *ids = NULL;
    if (!name || plumb_frame_find(frame, name) < 0)
        return EXIT_OK;
    return cli_read_text_column(a, path, buf, len, name, ids);
}

/* Predicts every row of frame and writes them to f (the header first when header is set), with the id column
 * (id_column) copied from ids, its text. */
static int write_predictions(const cli_args *a, const plumb_model *model, const plumb_frame *frame,
                             const plumb_frame *ids, FILE *f, bool header, const char *source) {
    plumb_error err;
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const bool contrib = cli_get(a, "contrib") != NULL;
    const int64_t n = plumb_frame_n_rows(frame), K = info.n_outputs > 0 ? info.n_outputs : 1;
    const int64_t width = contrib ? K * (info.n_features + 1) : K;
    double *pred = malloc((size_t)(n * width + 1) * sizeof *pred);
    if (!pred) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    if ((contrib ? plumb_model_contrib(model, frame, NULL, pred, &err)
                 : plumb_model_predict(model, frame, NULL, pred, &err)) != PLUMB_OK) {
        free(pred);
        return cli_fail(&err);
    }
    const char *id_name = id_column(a, frame);
    if (cli_get(a, "id-col") && plumb_frame_find(frame, id_name) < 0) {
        fprintf(stderr, "plumb: id column '%s' not found in '%s'\n", id_name, source);
        free(pred);
        return EXIT_DATA;
    }
    const plumb_column_info target = target_info(model);
    if (header) {
        if (ids) {
            cli_put_field(f, id_name);
            fputc(',', f);
        }
        put_header(f, model, &info, contrib);
    }
    for (int64_t i = 0; i < n; i++) {
        if (ids) {
            cli_put_text(f, ids, id_name, i);
            fputc(',', f);
        }
        const double *v = pred + i * width;
        if (!contrib && K > 1) {
            int64_t best = 0;
            for (int64_t k = 1; k < K; k++)
                best = v[k] > v[best] ? k : best;
            cli_put_field(f, best < target.n_categories ? target.categories[best] : "?");
            for (int64_t k = 0; k < K; k++)
                fprintf(f, ",%.17g", v[k]);
            fputc('\n', f);
            continue;
        }
        for (int64_t k = 0; k < width; k++)
            fprintf(f, k + 1 < width ? "%.17g," : "%.17g\n", v[k]);
    }
    free(pred);
    return EXIT_OK;
}

/* Offset just past the first (or last) record boundary in [from, n): a newline outside quotes, the quotes being
 * balanced at from. 0 when there is none. */
static size_t boundary(const char *buf, size_t from, size_t n, bool last) {
    size_t cut = 0;
    bool quoted = false;
    for (size_t i = from; i < n; i++) {
        if (buf[i] == '"') {
            quoted = !quoted;
        } else if (buf[i] == '\n' && !quoted) {
            cut = i + 1;
            if (!last)
                break;
        }
    }
    return cut;
}

static size_t count_lines(const char *s, size_t n) {
    size_t k = 0;
    for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + n - p))); p++)
        k++;
    return k;
}

/* Whether buf (n bytes) holds a data byte after its first line. */
static bool has_data(const char *buf, size_t n) {
    const size_t h = boundary(buf, 0, n, false);
    for (size_t i = h; h && i < n; i++)
        if (buf[i] != '\n' && buf[i] != '\r')
            return true;
    return false;
}

/* Streams standard input: batches of about 8 MiB of whole records, each read behind a copy of the header (with
 * the model's schema, so every batch gets the same types and codes), scored and written before the next is read.
 * Memory stays bounded whatever the input's length; error lines count from the start of the input. */
static int predict_stream(const cli_args *a, const plumb_model *model, FILE *f) {
    const size_t batch = (size_t)8 << 20;
    cli_reader r;
    int rc = cli_reader_init(&r, a, plumb_model_schema(model));
    if (rc != EXIT_OK)
        return rc;
    r.opts.display_name = "<stdin>";
    size_t cap = batch, len = 0, want = batch, header_len = 0;
    int64_t header_lines = 0, data_line = 0; /* data_line: input line of the first pending data byte */
    char *buf = malloc(cap);
    bool eof = false, first = true;
    while (buf) {
        while (!eof && len < want) {
            if (len == cap) {
                char *nb = realloc(buf, cap *= 2);
                if (!nb) {
                    free(buf);
                    buf = NULL;
                    break;
                }
                buf = nb;
            }
            size_t got = fread(buf + len, 1, cap - len, stdin);
            len += got;
            eof = got == 0;
        }
        if (!buf)
            break;
        if (eof && first && !has_data(buf, len)) { /* no rows (or no input at all): the header alone */
            plumb_model_info info;
            plumb_model_describe(model, &info);
            put_header(f, model, &info, cli_get(a, "contrib") != NULL);
            break;
        }
        if (!header_len) {
            size_t h = boundary(buf, 0, len, false);
            if (!h && !eof) { /* a header longer than what was read */
                want = len + batch;
                continue;
            }
            header_len = h ? h : len;
            header_lines = (int64_t)count_lines(buf, header_len);
            data_line = header_lines + 1;
        }
        const size_t cut = eof ? len : boundary(buf, header_len, len, true);
        if (!cut) { /* one record longer than a batch */
            want = len + batch;
            continue;
        }
        bool blank = true;
        for (size_t i = header_len; i < cut && blank; i++)
            blank = buf[i] == '\n' || buf[i] == '\r';
        if (!blank || first) {
            plumb_frame *frame = NULL;
            plumb_error err;
            if (plumb_frame_read_buffer(buf, cut, &r.opts, &frame, &err) != PLUMB_OK) {
                if (err.line > header_lines)
                    err.line += data_line - header_lines - 1;
                rc = cli_fail(&err);
                break;
            }
            plumb_frame *ids = NULL;
            rc = read_ids(a, frame, NULL, buf, cut, &ids);
            if (rc == EXIT_OK)
                rc = write_predictions(a, model, frame, ids, f, first, "<stdin>");
            plumb_frame_free(ids);
            plumb_frame_free(frame);
            first = false;
            if (rc != EXIT_OK)
                break;
        }
        data_line += (int64_t)count_lines(buf + header_len, cut - header_len);
        memmove(buf + header_len, buf + cut, len - cut);
        len = header_len + (len - cut);
        want = header_len + batch;
        if (eof && len == header_len)
            break;
    }
    if (!buf) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
    } else if (rc == EXIT_OK && ferror(stdin)) {
        fprintf(stderr, "plumb: cannot read standard input\n");
        rc = EXIT_DATA;
    }
    free(buf);
    cli_reader_free(&r);
    return rc;
}

static int run(const cli_args *a) {
    plumb_error err;
    plumb_model *model = NULL;
    plumb_frame *frame = NULL, *ids = NULL;
    plumb_outfile *file = NULL;
    FILE *f;
    const char *data = a->n_pos > 1 ? a->pos[1] : "-";
    const char *out = cli_get(a, "output") ? cli_get(a, "output") : "-";
    int rc = cli_check_outputs(a, CLI_FILES(out));
    if (rc != EXIT_OK)
        return rc;
    if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK)
        return cli_fail(&err);
    if (strcmp(data, "-") != 0) {
        /* a file is read whole, with the model's schema (the target may be absent), before the output opens */
        if ((rc = cli_read_frame(a, data, plumb_model_schema(model), &frame)) != EXIT_OK ||
            (rc = read_ids(a, frame, data, NULL, 0, &ids)) != EXIT_OK)
            goto done;
    }
    if (plumb_outfile_open(out, &file, &f, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    rc = frame ? write_predictions(a, model, frame, ids, f, true, data) : predict_stream(a, model, f);
    if (rc == EXIT_OK)
        rc = plumb_outfile_commit(file, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    else
        plumb_outfile_abort(file);
    file = NULL;
done:
    plumb_frame_free(ids);
    plumb_frame_free(frame);
    plumb_model_free(model);
    return rc;
}

const cli_command cli_predict = {
    .name = "predict",
    .usage = "[options] <model.plumb> [data.csv | -]",
    .summary = "score a CSV file with a model: one prediction per row, as CSV",
    .details = "Binary models write the probability of the positive class, regression models the value (poisson:\n"
               "the mean), multiclass models the most likely class and one probability column per class.\n"
               "--contrib writes, per row, each feature's contribution to the raw score (log-odds, log-mean, or the\n"
               "value) by TreeSHAP, and the bias: they add up to the raw score, the basis of reason codes.\n"
               "Without a data file (or with '-') it streams standard input to standard output in batches of whole\n"
               "records, in bounded memory, so it runs unchanged as a map task under engines that pipe records\n"
               "(Spark RDD.pipe, Hadoop Streaming).\n"
               "The data is read with the model's schema: the same types and category codes as in training.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 2,
    .run = run,
};
