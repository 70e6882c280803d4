/* fuzz_report.c -- libFuzzer target for the run-record parser and the HTML renderer.
 *
 * Whatever the input, plumb_report_render either refuses it with a status or writes a page; either way it must not
 * crash, leak or read out of bounds. The page goes to /dev/null: its bytes are checked by the unit tests.
 */
#include <plumb/plumb.h>

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;
    plumb_error err;
    plumb_report_render((const char *)data, size, "fuzz.json", sink, &err);
    return 0;
}
