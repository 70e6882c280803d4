/* fuzz_report.c -- libFuzzer target for the run-record parser and the HTML renderer.
 *
 * Whatever the input, plumb_report_render either refuses it with a status or writes a page; either way it must not
 * crash, leak or read out of bounds. And no string of the record may reach the page unescaped: report_escape.h
 * renders the record a second time with the markup characters of its strings neutralised and compares the counts
 * of those characters in the two pages; a difference aborts, so libFuzzer keeps the input.
 */
#include "report_escape.h"

#include <plumb/plumb.h>

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;
    plumb_error err;
    plumb_report_render((const char *)data, size, "fuzz.json", sink, &err);
    char why[256];
    if (!plumb_report_escapes((const char *)data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_report: a record string reached the page unescaped: %s\n", why);
        abort();
    }
    return 0;
}
