/* cmd_predict.c -- `plumb predict`: score a CSV file (or standard input) with a model file, write CSV. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", "- (standard output)", "where to write the predictions (atomically)"},
    {"id-col", 0, "COL", "the model's id column", "column to copy into the output beside each prediction"},
    {"delimiter", 'd', "CHAR", ",", "field separator of the input; 'tab' for a tab"},
    {"missing", 0, "A,B", "\"\",NA,NaN,null,?", "values read as missing, comma-separated"},
    {"threads", 't', "N", "all cores", "threads to use"},
    {NULL, 0, NULL, NULL, NULL},
};

/* Writes s as one CSV field, quoted when it must be. */
static void put_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int run(const cli_args *a) {
    plumb_error err;
    plumb_model *model = NULL;
    plumb_frame *frame = NULL;
    plumb_outfile *file = NULL;
    double *pred = NULL;
    int rc = EXIT_OK;
    const char *data = a->n_pos > 1 ? a->pos[1] : "-";
    const char *out = cli_get(a, "output") ? cli_get(a, "output") : "-";
    if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK)
        return cli_fail(&err);

    /* read the data with the model's schema: its types and category codes, the target allowed to be absent */
    if ((rc = cli_read_frame(a, data, plumb_model_schema(model), &frame)) != EXIT_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(frame);
    if (!(pred = malloc((size_t)(n + 1) * sizeof *pred))) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    if (plumb_model_predict(model, frame, pred, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* the id column: the one named, else the one the model's schema declares */
    int64_t id = -1;
    const char *id_name = cli_get(a, "id-col");
    const plumb_schema *fs = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_frame_n_columns(frame); j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (id_name ? strcmp(c.name, id_name) == 0 : c.role == PLUMB_ROLE_ID)
            id = j;
    }
    if (id_name && id < 0) {
        fprintf(stderr, "plumb: id column '%s' not found in '%s'\n", id_name, data);
        rc = EXIT_DATA;
        goto done;
    }
    plumb_column_info idc = {0};
    if (id >= 0)
        plumb_schema_column(fs, id, &idc);
    const int32_t *codes = id >= 0 ? plumb_frame_codes(frame, id) : NULL;
    const float *f32 = id >= 0 ? plumb_frame_f32(frame, id) : NULL;
    FILE *f;
    if (plumb_outfile_open(out, &file, &f, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (id >= 0) {
        put_field(f, idc.name);
        fputc(',', f);
    }
    fputs("prediction\n", f);
    for (int64_t i = 0; i < n; i++) {
        if (codes) {
            put_field(f, codes[i] >= 0 ? idc.categories[codes[i]] : "");
            fputc(',', f);
        } else if (f32) {
            fprintf(f, "%.9g,", (double)f32[i]);
        }
        fprintf(f, "%.17g\n", pred[i]);
    }
    rc = plumb_outfile_commit(file, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
    file = NULL;
done:
    plumb_outfile_abort(file);
    free(pred);
    plumb_frame_free(frame);
    plumb_model_free(model);
    return rc;
}

const cli_command cli_predict = {
    .name = "predict",
    .usage = "[options] <model.plumb> [data.csv | -]",
    .summary = "score a CSV file with a model: one prediction per row, as CSV",
    .details = "Binary models write the probability of the positive class, regression models the value.\n"
               "Without a data file (or with '-') it reads standard input and writes standard output, so it runs\n"
               "unchanged as a map task under engines that pipe records (Spark RDD.pipe, Hadoop Streaming).\n"
               "The data is read with the model's schema: the same types and category codes as in training.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 2,
    .run = run,
};
