/* studies.c -- the table of case studies, and what running any of them takes: the options checked, the output
 * folder created, the summary collected.
 *
 * Adding a study is one file with the outline of studies.h and one row here (docs/architecture.md).
 */
#include "studies.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const plumb__study studies[] = {
    {{"credit", "credit scoring: leakage, bad labels, a clean model that holds up out of time", 2000, 20000},
     plumb__study_credit},
    {{"realtime", "real-time recommendations: a slow path and a fast one, latency and quality at each step", 1000,
      100004},
     plumb__study_realtime},
};
#define N_STUDIES ((int64_t)(sizeof studies / sizeof *studies))

const plumb_study_info *plumb_study_get(int64_t i) {
    return i >= 0 && i < N_STUDIES ? &studies[i].info : NULL;
}

void plumb_study_options_init(plumb_study_options *o) {
    memset(o, 0, sizeof *o);
    o->seed = 0;
}

const char *plumb__study_path(plumb__study_ctx *ctx, const char *name) {
    snprintf(ctx->path, sizeof ctx->path, "%s/%s", ctx->opts->output_dir, name);
    return ctx->path;
}

/* Creates dir and the folders above it that are missing. */
static plumb_status mkdirs(const char *dir, plumb_error *err) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        const char c = *p;
        if (c == '/' || c == '\0') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return plumb__fail(err, PLUMB_EIO, "cannot create folder '%s': %s", buf, strerror(errno));
            *p = c;
        }
        if (c == '\0')
            return PLUMB_OK;
    }
}

plumb_status plumb_study_run(const char *name, const plumb_study_options *o, char **summary, plumb_error *err) {
    plumb_error local;
    if (!err)
        err = &local;
    plumb__error_clear(err);
    if (summary)
        *summary = NULL;
    const plumb__study *st = NULL;
    for (int64_t i = 0; name && i < N_STUDIES; i++)
        if (strcmp(name, studies[i].info.name) == 0)
            st = &studies[i];
    if (!st) {
        char names[256] = "";
        for (int64_t i = 0; i < N_STUDIES; i++) /* "a", "a or b", "a, b or c" */
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     i == 0               ? ""
                     : i == N_STUDIES - 1 ? " or "
                                          : ", ",
                     studies[i].info.name);
        return plumb__fail(err, PLUMB_EINVAL, "unknown case study '%s' (expected %s)", name ? name : "", names);
    }
    if (!o->output_dir || !o->output_dir[0])
        return plumb__fail(err, PLUMB_EINVAL, "a case study needs an output folder");
    if (o->n_rows != 0 && o->n_rows < st->info.min_rows)
        return plumb__fail(err, PLUMB_EINVAL, "the %s study needs at least %lld rows, not %lld", name,
                           (long long)st->info.min_rows, (long long)o->n_rows);
    plumb__study_ctx ctx = {.opts = o, .n_rows = o->n_rows ? o->n_rows : st->info.n_rows};
    char *text = NULL;
    size_t len = 0;
    plumb_status s = mkdirs(o->output_dir, err);
    if (s != PLUMB_OK)
        return s;
    if (!(ctx.summary = open_memstream(&text, &len)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    s = st->run(&ctx, err);
    if (fclose(ctx.summary) != 0 && s == PLUMB_OK)
        s = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (s == PLUMB_OK)
        plumb__error_clear(err); /* a step may have filled it on purpose (the credit study's refusal) */
    if (s == PLUMB_OK && summary)
        *summary = text;
    else
        free(text);
    return s;
}
