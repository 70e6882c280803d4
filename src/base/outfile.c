/* outfile.c -- output files that appear whole or not at all.
 *
 * Data is written to "<path>.tmp.<pid>.<n>" in the same directory, then flushed, fsync'd and renamed over the
 * target, so a crash or an error never leaves a partial file under the real name. The handle owns the temporary
 * name and the stream until commit or abort.
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct plumb_outfile {
    FILE *stream;
    char *path; /* NULL for standard output */
    char *tmp;
};

plumb_status plumb_outfile_open(const char *path, plumb_outfile **out, FILE **stream, plumb_error *err) {
    static atomic_uint counter;
    plumb_outfile *f = NULL;
    int fd = -1;
    *out = NULL;
    *stream = NULL;
    if (!path || !path[0])
        return plumb__fail(err, PLUMB_EINVAL, "empty output path");
    f = calloc(1, sizeof *f);
    if (!f)
        goto nomem;
    if (strcmp(path, "-") == 0) {
        f->stream = stdout;
        goto done;
    }
    f->path = plumb__strdup(path);
    size_t n = strlen(path) + 48;
    f->tmp = malloc(n);
    if (!f->path || !f->tmp)
        goto nomem;
    snprintf(f->tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1));
    fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(f->stream = fdopen(fd, "w"))) {
        plumb_status st = plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s': %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(f->tmp);
        }
        free(f->path);
        free(f->tmp);
        free(f);
        return st;
    }
done:
    *out = f;
    *stream = f->stream;
    return PLUMB_OK;
nomem:
    if (f) {
        free(f->path);
        free(f->tmp);
        free(f);
    }
    return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

plumb_status plumb_outfile_commit(plumb_outfile *f, plumb_error *err) {
    plumb_status st = PLUMB_OK;
    if (!f->path) {
        if (fflush(f->stream) != 0)
            st = plumb__fail(err, PLUMB_EIO, "cannot write standard output: %s", strerror(errno));
        free(f);
        return st;
    }
    int failed = ferror(f->stream) || fflush(f->stream) != 0 || fsync(fileno(f->stream)) != 0;
    int saved = errno;
    if (fclose(f->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(f->tmp, f->path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        unlink(f->tmp);
        st = plumb__error_at(err, PLUMB_EIO, f->path, 0, 0, "cannot write '%s': %s", f->path, strerror(saved));
    }
    free(f->path);
    free(f->tmp);
    free(f);
    return st;
}

void plumb_outfile_abort(plumb_outfile *f) {
    if (!f)
        return;
    if (f->path) {
        fclose(f->stream);
        unlink(f->tmp);
    }
    free(f->path);
    free(f->tmp);
    free(f);
}
