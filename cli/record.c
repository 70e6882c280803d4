/* record.c -- the JSON path beside a report, and writing a run record the library built. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_record_json_path(const char *html) {
    const size_t n = strlen(html);
    char *p = malloc(n + 6);
    if (!p)
        return NULL;
    if (n > 5 && strcmp(html + n - 5, ".html") == 0)
        snprintf(p, n + 6, "%.*s.json", (int)(n - 5), html);
    else
        snprintf(p, n + 6, "%s.json", html);
    return p;
}

int cli_record_write(plumb_status make, plumb_run *run, plumb_error *err, const char *html_path) {
    const plumb_status s = make == PLUMB_OK ? plumb_run_write(run, html_path, err) : make;
    plumb_run_free(run);
    return s == PLUMB_OK ? EXIT_OK : cli_fail(err);
}
