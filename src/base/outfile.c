/* outfile.c -- output files that appear whole or not at all.
 *
 * Data is written to "<name>.tmp.<pid>.<n>" in the target's directory, then flushed, fsync'd and renamed over the
 * target, so a crash or an error never leaves a partial file under the real name. Only regular files (or names
 * not yet taken) are replaced that way: a symbolic link is followed and its target written atomically (the link
 * stays a link), and a special file (/dev/null, a terminal, a FIFO, a socket) is written straight, as a shell
 * redirection would, since renaming over it would replace the device with a plain file. The temporary name is
 * kept within NAME_MAX by shortening the target's name in it. The handle owns the names and the stream until
 * commit or abort.
 */
#define _GNU_SOURCE
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct plumb_outfile {
    FILE *stream;
    char *path; /* NULL for standard output */
    char *tmp;  /* NULL when writing straight to a special file */
};

/* The file a chain of symbolic links at path ends at (itself when it is not a link), as a new string; the final
 * name need not exist. NULL when out of memory; a loop of links is left to open() to report. */
static char *follow_links(const char *path) {
    char *cur = plumb__strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode))
            return cur;
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0)
            return cur;
        target[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || !slash) {
            next = plumb__strdup(target);
        } else { /* relative to the link's folder */
            size_t dir = (size_t)(slash - cur) + 1;
            next = malloc(dir + (size_t)n + 1);
            if (next) {
                memcpy(next, cur, dir);
                memcpy(next + dir, target, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    return cur;
}

/* "<dir>/<name>.tmp.<pid>.<n>" for path, with <name> cut so that the last component fits in NAME_MAX. */
static char *temp_name(const char *path, unsigned n) {
    char suffix[48];
    int ls = snprintf(suffix, sizeof suffix, ".tmp.%ld.%u", (long)getpid(), n);
    const char *slash = strrchr(path, '/');
    const size_t dir = slash ? (size_t)(slash - path) + 1 : 0, base = strlen(path) - dir;
    size_t keep = base;
    if (keep + (size_t)ls > NAME_MAX)
        keep = NAME_MAX - (size_t)ls;
    char *t = malloc(dir + keep + (size_t)ls + 1);
    if (t) {
        memcpy(t, path, dir + keep);
        memcpy(t + dir + keep, suffix, (size_t)ls + 1);
    }
    return t;
}

static plumb_status open_failed(plumb_outfile *f, const char *path, int fd, plumb_error *err) {
    plumb_status st = plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s': %s", path, strerror(errno));
    if (fd >= 0) {
        close(fd);
        if (f->tmp)
            unlink(f->tmp);
    }
    free(f->path);
    free(f->tmp);
    free(f);
    return st;
}

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
    if (!(f->path = follow_links(path)))
        goto nomem;
    struct stat sb;
    if (stat(f->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        errno = EISDIR;
        return open_failed(f, path, -1, err);
    }
    if (stat(f->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* a device, FIFO or socket: written straight, never replaced */
        fd = open(f->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || !(f->stream = fdopen(fd, "w")))
            return open_failed(f, path, fd, err);
        goto done;
    }
    if (!(f->tmp = temp_name(f->path, atomic_fetch_add(&counter, 1))))
        goto nomem;
    fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(f->stream = fdopen(fd, "w")))
        return open_failed(f, path, fd, err);
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
    /* fsync only a file that is renamed into place: a device or FIFO may not support it */
    int failed = ferror(f->stream) || fflush(f->stream) != 0 || (f->tmp && fsync(fileno(f->stream)) != 0);
    int saved = errno;
    if (fclose(f->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && f->tmp && rename(f->tmp, f->path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        if (f->tmp)
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
        if (f->tmp)
            unlink(f->tmp);
    }
    free(f->path);
    free(f->tmp);
    free(f);
}
