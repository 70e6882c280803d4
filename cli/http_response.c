/* http_response.c -- one HTTP/1.1 response's extent and status in a buffer (http_response.h). */
#include "http_response.h"

#include <string.h>
#include <strings.h>

enum { MAX_HEAD = 65536 };

/* The end of the head (after CRLF CRLF) in buf[0..n), or NULL. */
static const char *head_end(const char *buf, size_t n) {
    for (size_t i = 3; i < n; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return buf + i + 1;
    return NULL;
}

long http_response_parse(const char *buf, size_t n, int *status, const char **why) {
    *status = 0;
    *why = NULL;
    const char *end = head_end(buf, n < MAX_HEAD ? n : MAX_HEAD);
    if (!end) {
        if (n >= MAX_HEAD)
            *why = "response headers longer than 64 KiB";
        return n >= MAX_HEAD ? -1 : 0;
    }
    /* "HTTP/1.x NNN" */
    if (end - buf < 14 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
        buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9' ||
        (buf[12] != ' ' && buf[12] != '\r')) {
        *why = "malformed status line";
        return -1;
    }
    *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    long body = 0;
    const char *line = memchr(buf, '\n', (size_t)(end - buf)) + 1;
    while (line < end - 2) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const size_t len = (size_t)(eol - line);
        static const char cl[] = "content-length:", te[] = "transfer-encoding:";
        if (len > sizeof cl - 1 && strncasecmp(line, cl, sizeof cl - 1) == 0) {
            const char *p = line + sizeof cl - 1;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p < '0' || *p > '9') {
                *why = "malformed Content-Length";
                return -1;
            }
            body = 0;
            for (; *p >= '0' && *p <= '9'; p++) {
                body = body * 10 + (*p - '0');
                if (body > (1L << 30)) {
                    *why = "Content-Length above 1 GiB";
                    return -1;
                }
            }
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != '\r') {
                *why = "malformed Content-Length";
                return -1;
            }
        } else if (len > sizeof te - 1 && strncasecmp(line, te, sizeof te - 1) == 0) {
            *why = "chunked responses are not read (the server must send Content-Length)";
            return -1;
        }
        line = eol + 1;
    }
    const long total = (long)(end - buf) + body;
    return (size_t)total <= n ? total : 0;
}
