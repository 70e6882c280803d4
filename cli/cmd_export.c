/* cmd_export.c -- `plumb export`: a plumb model in another format (ONNX), for other runtimes to score.
 *
 * The library writes the file atomically (plumb_model_export_onnx), so a model it refuses or a failed write
 * leaves no file behind. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_option options[] = {
    {"format", 'f', "FORMAT", "onnx", "the format to write: onnx"},
    {"output", 'o', "FILE", NULL, "where to write the exported model (required; atomically)"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    const char *format = cli_get(a, "format"), *out = cli_get(a, "output");
    format = format ? format : "onnx";
    if (strcmp(format, "onnx") != 0)
        return cli_usage_error(a->cmd, "unknown format '%s' (plumb exports onnx)", format);
    if (!out)
        return cli_usage_error(a->cmd, "missing option '--output FILE'");
    int rc = cli_check_outputs(a, CLI_FILES(out));
    if (rc != EXIT_OK)
        return rc;
    plumb_model *model = NULL;
    plumb_error err;
    if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK)
        return cli_fail(&err);
    if (plumb_model_export_onnx(model, out, &err) != PLUMB_OK) {
        /* what the library refuses is about the model: name its file */
        if (!err.path[0])
            snprintf(err.path, sizeof err.path, "%s", a->pos[0]);
        plumb_model_free(model);
        return cli_fail(&err);
    }
    plumb_model_info info;
    plumb_model_describe(model, &info);
    struct stat st;
    const long long size = stat(out, &st) == 0 ? (long long)st.st_size : -1;
    cli_note("exported %s model '%s' (%s) to ONNX: %s, %lld bytes", info.kind, a->pos[0], plumb_task_name(info.task),
             out, size);
    plumb_model_free(model);
    return EXIT_OK;
}

const cli_command cli_export = {
    .name = "export",
    .usage = "MODEL --format onnx -o FILE",
    .summary = "write a model as ONNX, for ONNX Runtime and other ONNX runtimes",
    .details = "gbdt and tree models become ai.onnx.ml tree ensembles (categorical splits and missing values as\n"
               "plumb decides them), linear and logistic models their preprocessing in ONNX operators and a linear\n"
               "classifier or regressor. Inputs: X (float, the numeric and bool features) and C (string, the\n"
               "categorical ones), in the model's feature order. Calibrated and quantised models are refused.\n"
               "docs/export.md has the input signature and a Python example with ONNX Runtime.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
