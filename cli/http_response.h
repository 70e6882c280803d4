/* http_response.h -- the HTTP/1.1 response reader of plumb bench-serve: where one response ends in the bytes a
 * connection received, and its status. Plain C on a buffer, no I/O, so a fuzz target can drive it
 * (tests/fuzz/fuzz_http_response.c).
 */
#ifndef PLUMB_CLI_HTTP_RESPONSE_H
#define PLUMB_CLI_HTTP_RESPONSE_H

#include <stddef.h>

/* Looks for one whole response at the start of buf[0..n): a status line "HTTP/1.x NNN ...", headers, CRLF CRLF,
 * then a body of Content-Length bytes (no Content-Length: none). Returns its length in bytes (*status set), 0 when
 * more bytes are needed, -1 for a response it cannot read (what is wrong in *why: a malformed status line or
 * Content-Length, a chunked body, headers longer than 64 KiB). */
long http_response_parse(const char *buf, size_t n, int *status, const char **why);

#endif /* PLUMB_CLI_HTTP_RESPONSE_H */
