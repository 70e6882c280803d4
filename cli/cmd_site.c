/* cmd_site.c -- `plumb site`: a static portfolio site from a folder of reports and Markdown pages. */
#include "cli.h"

#include <stdio.h>

static const cli_option options[] = {
    {"output", 'o', "DIR", "site", "folder to write the site into (created when absent)"},
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    const char *out = cli_get(a, "output") ? cli_get(a, "output") : "site";
    plumb_error err;
    int64_t n_reports = 0, n_pages = 0;
    if (cli_check_output_folder(a, out, a->pos[0]) != EXIT_OK)
        return EXIT_USAGE;
    if (plumb_site_build(a->pos[0], out, &n_reports, &n_pages, &err) != PLUMB_OK)
        return cli_fail(&err);
    printf("site written to '%s/index.html': %lld report%s, %lld page%s\n", out, (long long)n_reports,
           n_reports == 1 ? "" : "s", (long long)n_pages, n_pages == 1 ? "" : "s");
    return EXIT_OK;
}

const cli_command cli_site = {
    .name = "site",
    .usage = "[options] <folder>",
    .summary = "build a static portfolio site from the reports and Markdown pages in a folder",
    .details = "Every report in the folder (x.html with its run record x.json beside it, as --report and plumb demo\n"
               "write them) becomes a card on index.html -- title, date, headline metric and a small ROC chart --\n"
               "linking to a copy of the report; every *.md file becomes a page rendered from Markdown (CommonMark)\n"
               "and linked from the navigation. Sub-folders are searched one level deep (docs/site.md).\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
