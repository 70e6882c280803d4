/* cmd_compile.c -- `plumb compile`: a gradient-boosted model as a shared object of generated code
 * (plumb_model_compile), and `--check`, whether a shared object was compiled from a given model file.
 *
 * The library writes the .so (and the C with --emit-c) whole or not at all, so a failing compiler leaves nothing.
 */
#include "cli.h"

#include <stdio.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", NULL, "write the shared object here (required unless --check)"},
    {"emit-c", 0, "FILE", NULL, "also write the generated C source here"},
    {"cc", 0, "CMD", "$CC, else cc", "the C compiler (words split at spaces)"},
    {"cflags", 0, "FLAGS", "-O1", "the compiler's optimisation flags (docs/compile.md has the measurements)"},
    {"check", 0, "SO", NULL,
     "compile nothing: check that SO was compiled from MODEL (exit 0), or say what it was compiled from (exit 1)"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    const char *in = a->pos[0], *out = cli_get(a, "output"), *so = cli_get(a, "check");
    plumb_error err;
    if (so) {
        if (out || cli_get(a, "emit-c"))
            return cli_usage_error(a->cmd, "option '--check' takes no '--output' or '--emit-c'");
        if (plumb_compiled_check(so, in, &err) != PLUMB_OK)
            return cli_fail(&err);
        printf("%s was compiled from %s\n", so, in);
        return EXIT_OK;
    }
    if (!out)
        return cli_usage_error(a->cmd, "missing option '--output FILE'");
    int rc = cli_check_outputs(a, CLI_FILES(out, cli_get(a, "emit-c")));
    if (rc != EXIT_OK)
        return rc;
    plumb_compile_options o;
    plumb_compile_options_init(&o);
    o.cc = cli_get(a, "cc");
    o.cflags = cli_get(a, "cflags");
    o.emit_c = cli_get(a, "emit-c");
    plumb_compile_info info;
    if (plumb_model_compile(in, out, &o, &info, &err) != PLUMB_OK)
        return cli_fail(&err);
    printf("wrote %s: %lld trees, %lld split nodes as code (%lld bytes of C), %lld bytes with the embedded model\n",
           out, (long long)info.n_trees, (long long)info.n_nodes, (long long)info.c_bytes, (long long)info.so_bytes);
    printf("compiled in %.1f s; model checksum %s\n", info.seconds, info.model_sha256);
    if (o.emit_c)
        cli_note("wrote the C source to %s", o.emit_c);
    return EXIT_OK;
}

const cli_command cli_compile = {
    .name = "compile",
    .usage = "MODEL -o FILE.so [--emit-c FILE.c] | MODEL --check FILE.so",
    .summary = "compile a gradient-boosted model into a shared object that scores it bit for bit, faster",
    .details = "Generates C from the model (one if/else nest per tree) and compiles it with the system's C\n"
               "compiler into a shared object that embeds the model file. plumb predict, eval, explain and serve\n"
               "take the .so wherever a model goes (kind \"compiled\"): the code scores, to the same bits as the\n"
               "model; contributions and importance come from the embedded model. Loading a .so runs its code:\n"
               "load only the ones you made. docs/compile.md has the ABI and the figures.",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
