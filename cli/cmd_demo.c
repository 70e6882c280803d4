/* cmd_demo.c -- `plumb demo NAME`: runs a case study end to end (plumb_study_run; src/studies/) and says where its
 * report is (issue 7, `make demo`).
 *
 * The studies are library pipelines, so that a program runs them as this command does; the command parses the
 * options, checks the output folder and prints the study's summary. docs/demo.md tells the credit study's story and
 * lists the command lines equivalent to each of its steps.
 */
#include "cli.h"
#include "demo_realtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"output", 'o', "DIR", "out/NAME", "folder of the report, the data and the models"},
    {"rows", 0, "N", "20000; realtime: all",
     "credit: applications to generate (at least 2000); realtime: ratings to read"},
    {"data", 0, "FILE", "../shared/data/movielens.csv", "realtime: the movielens ratings"},
    {"rate", 0, "R", "10", "realtime: requests per second on the slow path (open loop)"},
    {"fast-rate", 0, "R", "200", "realtime: requests per second on the other steps (open loop)"},
    {"serve-seconds", 0, "S", "10", "realtime: seconds measured per serving step; 0: no serving"},
    {"server-threads", 0, "N", "2", "realtime: worker threads of each plumb serve"},
    {"features", 0, "URI", "SQLite", "realtime: the fast path's feature store; redis://HOST:PORT: Redis (loaded)"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the generator, the splits and the models"},
    CLI_QUIET_OPTION("; standard output: only where the report is"),
    {"threads", 't', "N", "all cores", "threads to use"},
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    const plumb_study_info *study = NULL;
    char names[256] = "";
    for (int64_t i = 0; plumb_study_get(i); i++) {
        if (strcmp(a->pos[0], plumb_study_get(i)->name) == 0)
            study = plumb_study_get(i);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                 i == 0                    ? ""
                 : !plumb_study_get(i + 1) ? " or "
                                           : ", ",
                 plumb_study_get(i)->name);
    }
    if (!study)
        return cli_usage_error(a->cmd, "unknown case study '%s' (expected %s)", a->pos[0], names);
    long long rows = study->n_rows, seed = CLI_SEED, threads = 0;
    if (!cli_int(a, "rows", study->min_rows, &rows) || !cli_int(a, "seed", 0, &seed) || !cli_threads(a, &threads))
        return EXIT_USAGE;
    plumb_set_threads((int)threads);
    cli_realtime_options serve = {
        .rate = 10, .fast_rate = 200, .seconds = 10, .throughput_seconds = 3, .connections = 4};
    long long server_threads = 2;
    if (!cli_double(a, "rate", &serve.rate) || !cli_double(a, "fast-rate", &serve.fast_rate) ||
        !cli_double(a, "serve-seconds", &serve.seconds) || !cli_int(a, "server-threads", 1, &server_threads))
        return EXIT_USAGE;
    if (!(serve.rate > 0 && serve.rate <= 1e6) || !(serve.fast_rate > 0 && serve.fast_rate <= 1e6) ||
        !(serve.seconds >= 0 && serve.seconds <= 3600) || server_threads > 256)
        return cli_usage_error(a->cmd, "--rate and --fast-rate from 0 to 1e6 (not 0), --serve-seconds from 0 to 3600, "
                                       "--server-threads up to 256");
    serve.server_threads = (int)server_threads;
    serve.features = cli_get(a, "features");
    if (serve.features && strncmp(serve.features, "redis://", 8) != 0)
        return cli_usage_error(a->cmd, "--features is redis://HOST:PORT, not '%s'", serve.features);
    serve.throughput_seconds = serve.seconds < 3 ? serve.seconds : 3;
    char dir[256];
    snprintf(dir, sizeof dir, "out/%s", study->name);
    if (cli_check_output_folder(a, cli_get(a, "output") ? cli_get(a, "output") : dir, NULL) != EXIT_OK)
        return EXIT_USAGE;
    const bool quiet = cli_get(a, "quiet") != NULL;
    plumb_study_options o;
    plumb_study_options_init(&o);
    o.output_dir = cli_get(a, "output") ? cli_get(a, "output") : dir;
    o.n_rows = rows;
    o.seed = (uint64_t)seed;
    o.n_threads = (int)threads;
    o.data_path = cli_get(a, "data") ? cli_get(a, "data") : "../shared/data/movielens.csv";
    plumb_error err;
    char *summary = NULL;
    if (plumb_study_run(study->name, &o, quiet ? NULL : &summary, &err) != PLUMB_OK)
        return cli_fail(&err); /* the options were checked above: what fails here is a step's data or files */
    int rc = EXIT_OK;
    if (!quiet)
        fputs(summary, stdout);
    if (strcmp(study->name, "realtime") == 0 && serve.seconds > 0) {
        if (!quiet)
            printf("\nserving, %g s per step, open loop: the slow path at %g requests/s, the others at %g/s:\n",
                   serve.seconds, serve.rate, serve.fast_rate);
        fflush(stdout);
        rc = cli_demo_realtime_serve(o.output_dir, &serve, quiet ? NULL : stdout);
        if (!quiet && rc == EXIT_OK)
            printf("report: %s/report.html (latencies added)\n", o.output_dir);
    }
    if (quiet && rc == EXIT_OK)
        printf("%s/report.html\n", o.output_dir);
    free(summary);
    return rc;
}

const cli_command cli_demo = {
    .name = "demo",
    .usage = "[options] credit|realtime",
    .summary = "run a case study end to end and write its report (credit: leakage; realtime: slow and fast paths)",
    .details = "credit: generates a credit table with planted leaks and wrong labels (plumb synth credit), trains a\n"
               "naive model on every column, audits it, trains a clean model (late-known features refused by the\n"
               "schema's availability, suspect labels dropped, monotone in income, seniority and assets), compares\n"
               "both on a random split and out of time, and writes DIR/report.html with report.json beside it, the\n"
               "data, schemas and both models. docs/demo.md tells the story and its figures.\n"
               "realtime: reads the movielens ratings (--data), builds user and movie features before a time cut,\n"
               "trains a large teacher and a distilled, quantised, compiled student, measures their quality after\n"
               "the cut (AUC, NDCG@10), and writes the tables and SQL of the slow and fast serving paths\n"
               "(docs/realtime.md).\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
