/* record.h -- what the reporting commands (train, cv, eval, audit) share about run records: the --report option
 * and where the JSON record goes beside the HTML page. The records themselves are built by the library
 * (plumb_run_train, plumb_run_eval, plumb_run_cv, plumb_run_audit; src/report/run.c) and written by cli_record_write.
 */
#ifndef PLUMB_CLI_RECORD_H
#define PLUMB_CLI_RECORD_H

#include "cli.h"

/* The option every reporting command has. */
#define CLI_REPORT_OPTION                                                                                              \
    { "report", 0, "FILE.html", NULL, "write a self-contained HTML report, and every number in it as FILE.json" }

/* The path of the JSON beside an HTML report: "x.html" -> "x.json", otherwise path + ".json" (malloc'ed). */
char *cli_record_json_path(const char *html_path);

/* Writes the record that make built (status and *run as its plumb_run_* call left them; run is freed here) as JSON
 * beside html_path and renders it to html_path; both files appear whole or not at all. Returns EXIT_OK, or
 * EXIT_DATA after reporting err (make's error, or the write's). */
int cli_record_write(plumb_status make, plumb_run *run, plumb_error *err, const char *html_path);

#endif /* PLUMB_CLI_RECORD_H */
