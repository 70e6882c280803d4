/* html.c -- the report's output buffer: appending, HTML escaping and fixed number formats.
 *
 * The buffer grows geometrically; when it cannot, it frees nothing, drops every later append and sets oom, which
 * the renderer turns into PLUMB_ENOMEM at the end (so the drawing code needs no error path). Escaping also repairs
 * text: a record is UTF-8 JSON, but jansson accepts any Unicode escape, so control characters are replaced too.
 */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(plumb__buf *b, size_t extra) {
    if (b->oom)
        return false;
    if (b->cap - b->len > extra)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= extra) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void plumb__buf_putn(plumb__buf *b, const char *s, size_t n) {
    if (!grow(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void plumb__buf_put(plumb__buf *b, const char *s) {
    plumb__buf_putn(b, s, strlen(s));
}

void plumb__buf_printf(plumb__buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        plumb__buf_putn(b, small, (size_t)n);
        return;
    }
    if (!grow(b, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xE0) == 0xC0 ? 2
                 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 2 && s[0] < 0xC2)
        return 0; /* overlong */
    if (len == 3) {
        unsigned cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    }
    if (len == 4) {
        unsigned cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
        if (cp < 0x10000 || cp > 0x10FFFF)
            return 0;
    }
    return len;
}

void plumb__buf_html(plumb__buf *b, const char *s) {
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), run = 0; /* bytes copied as they are, flushed before each replacement */
    for (size_t i = 0; i < n;) {
        const char *rep = NULL;
        size_t len = 1;
        switch (p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\t':
        case '\n':
            break;
        default:
            if (p[i] < 0x20 || p[i] == 0x7F)
                rep = "\xEF\xBF\xBD";
            else if (p[i] >= 0x80 && (len = utf8_len(p + i, n - i)) == 0) {
                rep = "\xEF\xBF\xBD";
                len = 1;
            }
        }
        if (rep) {
            plumb__buf_putn(b, s + i - run, run);
            plumb__buf_put(b, rep);
            run = 0;
        } else
            run += len;
        i += len;
    }
    plumb__buf_putn(b, s + n - run, run);
}

void plumb__buf_free(plumb__buf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void plumb__fmt_fixed(char *out, size_t n, double v, int decimals) {
    if (!isfinite(v)) {
        snprintf(out, n, "n/a");
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    snprintf(out, n, "%.*f", decimals, v);
    /* "-0.000" reads as a sign that is not there */
    if (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1))
        memmove(out, out + 1, strlen(out));
}

void plumb__buf_coord(plumb__buf *b, double v) {
    char s[32];
    if (!isfinite(v))
        v = 0;
    v = v > 1e6 ? 1e6 : v < -1e6 ? -1e6 : v;
    plumb__fmt_fixed(s, sizeof s, v, 1);
    plumb__buf_put(b, s);
}
