/* infile.c -- a whole input file in memory, for the readers of files that are parsed at once (model files). */
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

plumb_status plumb__file_read(const char *path, char **data, size_t *size, plumb_error *err) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return plumb__fail(err, PLUMB_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    const bool failed = ferror(f);
    fclose(f);
    if (!buf)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (failed) {
        free(buf);
        return plumb__fail(err, PLUMB_EIO, "cannot read '%s'", path);
    }
    *data = buf;
    *size = n;
    return PLUMB_OK;
}
