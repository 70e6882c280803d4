/* cmd_site.c -- `plumb site`: a static portfolio site from a folder of reports and Markdown pages. */
#define _GNU_SOURCE /* nftw */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_option options[] = {
    {"output", 'o', "DIR", "site", "folder to write the site into (created when absent)"},
    CLI_QUIET_OPTION("; standard output: nothing on success"),
    {NULL, 0, NULL, NULL, NULL},
};

/* Removes a folder and everything in it (no links followed). */
static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Moves everything in src into dst (merging sub-folders that exist in both), then removes src. Renames only:
 * it needs no disk space. Returns false with errno set when a move fails. */
static bool merge_into(const char *src, const char *dst) {
    DIR *d = opendir(src);
    if (!d)
        return false;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        struct stat fs, ts;
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
        if (lstat(from, &fs) == 0 && S_ISDIR(fs.st_mode) && lstat(to, &ts) == 0 && S_ISDIR(ts.st_mode))
            ok = merge_into(from, to);
        else
            ok = rename(from, to) == 0;
    }
    closedir(d);
    return ok && rmdir(src) == 0;
}

/* The site is built in a temporary folder beside the output and moved into place only when complete, so a
 * failure (a full disk, a bad record) leaves no partial site: a new output folder appears whole or not at all,
 * and an existing one gets the new files only after all of them were written. */
static int run(const cli_args *a) {
    char out[PATH_MAX - 64], tmp[PATH_MAX];
    snprintf(out, sizeof out, "%s", cli_get(a, "output") ? cli_get(a, "output") : "site");
    for (size_t n = strlen(out); n > 1 && out[n - 1] == '/';)
        out[--n] = '\0';
    plumb_error err;
    int64_t n_reports = 0, n_pages = 0;
    if (cli_check_output_folder(a, out, a->pos[0]) != EXIT_OK)
        return EXIT_USAGE;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    struct stat sb;
    const bool exists = stat(out, &sb) == 0;
    if (mkdir(tmp, 0777) != 0) {
        fprintf(stderr, "plumb: cannot create '%s': %s\n", out, strerror(errno));
        return EXIT_DATA;
    }
    if (plumb_site_build(a->pos[0], tmp, &n_reports, &n_pages, &err) != PLUMB_OK) {
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return cli_fail(&err);
    }
    if (!(exists ? merge_into(tmp, out) : rename(tmp, out) == 0)) {
        fprintf(stderr, "plumb: cannot move the site into '%s': %s\n", out, strerror(errno));
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return EXIT_DATA;
    }
    if (!cli_quiet)
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
