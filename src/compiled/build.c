/* build.c -- plumb_model_compile: the model file to a shared object, through the system's C compiler.
 *
 * The model file is read once and its bytes are what the .so embeds (so its checksum is the one the code carries);
 * the C goes to a private temporary directory, the compiler runs as a child process (posix_spawnp, no shell) with
 * its messages kept in a file there, and the .so it writes is copied with the model and the trailer (compiled.h)
 * into an output file that appears whole or not at all. The temporary directory is removed on every path.
 */
#include "compiled.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void plumb_compile_options_init(plumb_compile_options *opts) {
    memset(opts, 0, sizeof *opts);
}

/* Splits s at spaces into argv (at most max - 1 words, NULL-terminated) inside buf (a copy of s). */
static int split_words(char *buf, char **argv, int at, int max) {
    for (char *w = strtok(buf, " \t"); w && at < max - 1; w = strtok(NULL, " \t"))
        argv[at++] = w;
    argv[at] = NULL;
    return at;
}

/* The first line of the compiler's messages in path, for an error (at most 200 bytes). */
static void first_line(const char *path, char *out, size_t n) {
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) { /* the first line that says "error", else the first line */
        line[strcspn(line, "\n")] = '\0';
        if (!out[0] || strstr(line, "error")) {
            plumb__quote(out, n, line, strlen(line));
            if (strstr(line, "error"))
                break;
        }
    }
    fclose(f);
}

/* Runs the compiler on dir/model.c into dir/model.so. */
static plumb_status run_cc(const plumb_compile_options *o, const char *dir, double *seconds, plumb_error *err) {
    const char *cc = o->cc ? o->cc : getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    const char *cflags = o->cflags ? o->cflags : "-O2 -march=native";
    char ccbuf[512], flagbuf[512], src[4200], so[4200], log[4200];
    char *argv[64];
    snprintf(ccbuf, sizeof ccbuf, "%s", cc);
    snprintf(flagbuf, sizeof flagbuf, "%s", cflags);
    snprintf(src, sizeof src, "%s/model.c", dir);
    snprintf(so, sizeof so, "%s/model.so", dir);
    snprintf(log, sizeof log, "%s/cc.log", dir);
    int n = split_words(ccbuf, argv, 0, 40);
    if (n == 0)
        return plumb__fail(err, PLUMB_EINVAL, "no C compiler: the compiler's name is empty");
    n = split_words(flagbuf, argv, n, 48);
    const char *fixed[] = {"-std=c11", "-shared", "-fPIC", "-fvisibility=hidden", "-o", so, src};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[n++] = (char *)fixed[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid;
    const int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return plumb__fail(err, PLUMB_EINVAL, "cannot run the C compiler '%s': %s (install gcc or clang, or set CC)",
                           argv[0], strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char first[256];
        first_line(log, first, 200);
        if (WIFEXITED(status))
            return plumb__fail(err, PLUMB_EINVAL, "the C compiler '%s' failed (exit status %d)%s%s", argv[0],
                               WEXITSTATUS(status), first[0] ? ": " : "", first);
        return plumb__fail(err, PLUMB_EINVAL, "the C compiler '%s' was killed by signal %d", argv[0], WTERMSIG(status));
    }
    return PLUMB_OK;
}

/* Writes n bytes at data to path whole or not at all. */
static plumb_status write_file(const char *path, const void *data, size_t n, plumb_error *err) {
    plumb_outfile *file = NULL;
    FILE *f;
    plumb_status st = plumb_outfile_open(path, &file, &f, err);
    if (st != PLUMB_OK)
        return st;
    if (fwrite(data, 1, n, f) != n) {
        plumb_outfile_abort(file);
        return plumb__error_at(err, PLUMB_EIO, path, 0, 0, "cannot write '%s': %s", path, strerror(errno));
    }
    return plumb_outfile_commit(file, err);
}

/* The checksum in a model file's header line (64 hex digits into sha), or false. */
static bool header_sha(const char *data, size_t n, char sha[65]) {
    char head[256];
    const size_t m = n < sizeof head - 1 ? n : sizeof head - 1;
    memcpy(head, data, m);
    head[m] = '\0';
    int version;
    char len[24];
    return sscanf(head, "plumb-model %d %23s %64s", &version, len, sha) == 3 && strlen(sha) == 64;
}

static void remove_dir(const char *dir) {
    const char *names[] = {"model.c", "model.so", "cc.log"};
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

plumb_status plumb_model_compile(const char *model_path, const char *so_path, const plumb_compile_options *opts,
                                 plumb_compile_info *info, plumb_error *err) {
    plumb_compile_options defaults;
    plumb_compile_info local;
    plumb__error_clear(err);
    if (!opts) {
        plumb_compile_options_init(&defaults);
        opts = &defaults;
    }
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!model_path || !so_path)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_model_compile: a NULL argument");
    char *bytes = NULL, *src = NULL, *so = NULL, *out = NULL;
    size_t n_bytes = 0, n_src = 0, n_so = 0;
    plumb_model *m = NULL;
    char dir[4096] = "";
    plumb_status st = plumb__file_read(model_path, &bytes, &n_bytes, err);
    if (st != PLUMB_OK)
        goto done;
    if (n_bytes >= 4 && memcmp(bytes, "\177ELF", 4) == 0) {
        st = plumb__error_at(err, PLUMB_EINVAL, model_path, 0, 0,
                             "is a compiled model already: compile the model file it was made from");
        goto done;
    }
    if ((st = plumb_model_load_buffer(bytes, n_bytes, model_path, &m, err)) != PLUMB_OK)
        goto done;
    if (m->ops != &plumb__gbdt_ops) {
        st = plumb__error_at(err, PLUMB_EINVAL, model_path, 0, 0, "a %s model cannot be compiled: only gbdt models can",
                             m->ops->name);
        goto done;
    }
    header_sha(bytes, n_bytes, info->model_sha256); /* load_buffer checked the header */
    for (int64_t f = 0; f < plumb__gbdt_of(m)->n_features; f++) {
        const plumb__feature *ft = &plumb__gbdt_of(m)->features[f];
        for (int32_t e = 0; ft->edges && e < ft->n_bins - 2; e++)
            if (isnan(ft->edges[e])) {
                st = plumb__error_at(err, PLUMB_EINVAL, model_path, 0, 0,
                                     "feature %lld has a NaN bin edge: it cannot be compiled", (long long)f);
                goto done;
            }
    }
    if ((st = plumb__compiled_source(m, info->model_sha256, &src, &n_src, info, err)) != PLUMB_OK)
        goto done;
    if (opts->emit_c && (st = write_file(opts->emit_c, src, n_src, err)) != PLUMB_OK)
        goto done;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/plumb-compile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        st = plumb__fail(err, PLUMB_EIO, "cannot make a temporary directory '%s': %s", dir, strerror(errno));
        dir[0] = '\0';
        goto done;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/model.c", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(src, 1, n_src, f) != n_src || fclose(f) != 0) {
        st = plumb__fail(err, PLUMB_EIO, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    if ((st = run_cc(opts, dir, &info->seconds, err)) != PLUMB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/model.so", dir);
    if ((st = plumb__file_read(path, &so, &n_so, err)) != PLUMB_OK)
        goto done;
    const size_t total = n_so + n_bytes + PLUMB__COMPILED_TRAILER;
    if (!(out = malloc(total))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(out, so, n_so);
    memcpy(out + n_so, bytes, n_bytes);
    for (int i = 0; i < 8; i++)
        out[n_so + n_bytes + (size_t)i] = (char)(((uint64_t)n_bytes >> (8 * i)) & 0xFF);
    memcpy(out + n_so + n_bytes + 8, PLUMB__COMPILED_MAGIC, PLUMB__COMPILED_MAGIC_LEN);
    if ((st = write_file(so_path, out, total, err)) != PLUMB_OK)
        goto done;
    info->so_bytes = (int64_t)total;
done:
    if (dir[0])
        remove_dir(dir);
    plumb_model_free(m);
    free(bytes);
    free(src);
    free(so);
    free(out);
    return st;
}

plumb_status plumb_compiled_check(const char *so_path, const char *model_path, plumb_error *err) {
    plumb__error_clear(err);
    if (!so_path || !model_path)
        return plumb__fail(err, PLUMB_EINVAL, "plumb_compiled_check: a NULL argument");
    char *bytes = NULL;
    size_t n = 0;
    plumb_model *c = NULL;
    char want[65] = "";
    plumb_status st = plumb__file_read(model_path, &bytes, &n, err);
    if (st != PLUMB_OK)
        goto done;
    if (!header_sha(bytes, n, want)) {
        st = plumb__error_at(err, PLUMB_EFORMAT, model_path, 0, 0, "not a plumb model file");
        goto done;
    }
    if ((st = plumb_model_load(so_path, &c, err)) != PLUMB_OK)
        goto done;
    if (c->ops != &plumb__compiled_ops) {
        st = plumb__error_at(err, PLUMB_EFORMAT, so_path, 0, 0, "not a compiled model: a %s model file", c->ops->name);
        goto done;
    }
    const plumb__compiled *cm = c->impl;
    if (strcmp(cm->abi->model_sha256, want) != 0)
        st = plumb__error_at(err, PLUMB_EFORMAT, so_path, 0, 0,
                             "compiled for another model (checksum %.12s..., %s has %.12s...): compile %s again",
                             cm->abi->model_sha256, model_path, want, model_path);
done:
    plumb_model_free(c);
    free(bytes);
    return st;
}
