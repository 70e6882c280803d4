/* fuzz_http_response.c -- libFuzzer target for the HTTP response reader of plumb bench-serve
 * (cli/http_response.c).
 *
 * Whatever the bytes, the reader returns -1 with a reason, 0 (more bytes needed) or a length within the buffer
 * with a status from 100 to 599; fed the same bytes one at a time, it must say "more" until the first prefix that
 * holds the whole response and then the same length and status (a reader that answers early would cut a
 * response short on a slow connection).
 */
#include "../../cli/http_response.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *buf = (const char *)data, *why;
    int status;
    const long len = http_response_parse(buf, size, &status, &why);
    if (len < 0 && !why)
        abort();
    if (len > 0 && ((size_t)len > size || status < 100 || status > 599))
        abort();
    if (len <= 0 || size > 4096)
        return 0;
    for (size_t n = 0; n < (size_t)len; n++) {
        int s2;
        const long l2 = http_response_parse(buf, n, &s2, &why);
        if (l2 != 0)
            abort();
    }
    return 0;
}
