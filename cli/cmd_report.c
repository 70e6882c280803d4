/* cmd_report.c -- `plumb report`: a saved run record rendered as one self-contained HTML page. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", "the record's name with .html", "the HTML page to write ('-': standard output)"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

/* Reads all of path ("-": standard input) into *out (malloc'd, NUL-terminated), its length into *len. */
static int read_all(const char *path, char **out, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *s = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!f) {
        fprintf(stderr, "plumb: cannot open '%s': %s\n", path, strerror(errno));
        return EXIT_DATA;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *t = realloc(s, cap);
            if (!t) {
                fprintf(stderr, "plumb: out of memory\n");
                free(s);
                if (f != stdin)
                    fclose(f);
                return EXIT_DATA;
            }
            s = t;
        }
        size_t got = fread(s + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "plumb: cannot read '%s'\n", path);
        free(s);
        return EXIT_DATA;
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return EXIT_OK;
}

/* path with its suffix from (when it ends so) replaced by to; malloc'd. */
static char *with_suffix(const char *path, const char *from, const char *to) {
    size_t n = strlen(path), f = strlen(from);
    if (n > f && strcmp(path + n - f, from) == 0)
        n -= f;
    char *s = malloc(n + strlen(to) + 1);
    if (s) {
        memcpy(s, path, n);
        strcpy(s + n, to);
    }
    return s;
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int run(const cli_args *a) {
    const char *input = a->pos[0];
    char *json = NULL, *html_path = NULL, *json_path = NULL;
    size_t len = 0;
    plumb_outfile *html = NULL, *copy = NULL;
    FILE *f;
    plumb_error err;
    int rc = read_all(input, &json, &len);
    if (rc != EXIT_OK)
        goto done;
    const char *out = cli_get(a, "output");
    if (!out) {
        if (strcmp(input, "-") == 0) {
            rc = cli_usage_error(a->cmd, "reading standard input: name the page with -o FILE");
            goto done;
        }
        out = html_path = with_suffix(input, ".json", ".html");
    }
    if (!out || (strcmp(out, "-") != 0 && !(json_path = with_suffix(out, ".html", ".json")))) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    /* the record's copy beside the page, unless the record is already there */
    const bool copy_json = json_path && (strcmp(input, "-") == 0 || !same_file(input, json_path));
    if ((rc = cli_check_outputs(a, CLI_FILES(out, copy_json ? json_path : NULL))) != EXIT_OK ||
        (copy_json && (rc = cli_check_report_json(a, json_path)) != EXIT_OK))
        goto done;
    if (plumb_outfile_open(out, &html, &f, &err) != PLUMB_OK ||
        plumb_report_render(json, len, strcmp(input, "-") == 0 ? "<stdin>" : input, f, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* every number on the page also in a JSON file beside it */
    if (copy_json) {
        if (plumb_outfile_open(json_path, &copy, &f, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        fwrite(json, 1, len, f);
        if (len > 0 && json[len - 1] != '\n')
            fputc('\n', f);
        plumb_outfile *c = copy;
        copy = NULL;
        if (plumb_outfile_commit(c, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    plumb_outfile *h = html;
    html = NULL;
    if (plumb_outfile_commit(h, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (strcmp(out, "-") != 0)
        cli_note("wrote %s", out);
done:
    plumb_outfile_abort(copy);
    plumb_outfile_abort(html);
    free(json);
    free(html_path);
    free(json_path);
    return rc;
}

const cli_command cli_report_cmd = {
    .name = "report",
    .usage = "[options] <run.json>",
    .summary = "render a run record as a self-contained HTML report with SVG charts",
    .details = "The page (docs/report.md) opens with a summary in plain words, then the problem, the approach, the\n"
               "validation, the risks, the results and the decision, each shown when the record has it; charts are\n"
               "inline SVG, and nothing is loaded from the network. The record is also written beside the page, as\n"
               "the page's name with .json for .html, unless that is the record itself.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
