/* cmd_import.c -- `plumb import`: a model trained by XGBoost or LightGBM, as a plumb model file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"from", 0, "FORMAT", NULL, "the library that wrote the model: xgboost (JSON) or lightgbm (text)"},
    {"output", 'o', "FILE", "model.plumb", "where to write the plumb model (atomically)"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    const char *from = cli_get(a, "from"), *out = cli_get(a, "output");
    out = out ? out : "model.plumb";
    plumb_import_format format;
    plumb_error err;
    if (!from)
        return cli_usage_error(a->cmd, "--from is required: xgboost or lightgbm");
    if (plumb_import_format_parse(from, &format, &err) != PLUMB_OK)
        return cli_usage_error(a->cmd, "%s", err.message);
    int rc = cli_check_outputs(a, CLI_FILES(out));
    if (rc != EXIT_OK)
        return rc;
    plumb_model *model = NULL;
    if (plumb_model_import(a->pos[0], format, &model, &err) != PLUMB_OK ||
        plumb_model_save(model, out, &err) != PLUMB_OK) {
        plumb_model_free(model);
        return cli_fail(&err);
    }
    plumb_model_info info;
    plumb_model_describe(model, &info);
    cli_note("imported %s model '%s': %s, %lld features, %lld trees -> %s", from, a->pos[0], plumb_task_name(info.task),
             (long long)info.n_features, (long long)info.n_trees, out);
    plumb_model_free(model);
    return EXIT_OK;
}

const cli_command cli_import = {
    .name = "import",
    .usage = "--from xgboost|lightgbm [options] <model file>",
    .summary = "read a model trained by XGBoost or LightGBM as a plumb model",
    .details = "XGBoost's JSON model (Booster.save_model(\"m.json\")) or LightGBM's text model\n"
               "(Booster.save_model(\"m.txt\")) becomes a gradient-boosted plumb model that predicts what the\n"
               "original library predicts; predict, eval and explain take it as any other. Its features are\n"
               "the model's (f0, f1, ... when the file names none), its target 'label'. See docs/import.md.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
