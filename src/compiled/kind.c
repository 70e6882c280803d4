/* kind.c -- the kind "compiled": opening a compiled model's shared object, and its operations.
 *
 * Opening checks, in this order, what can be checked without running the file's code -- the trailer at its end,
 * the embedded model (a whole model file with its own checksum, of kind gbdt) -- then loads the ELF image with
 * dlopen from a memory file holding the very bytes that were checked (no second read of the path), then checks the
 * ABI version, the code's checksum against the embedded model's and the counts. dlopen runs the object's
 * initialisers: opening a compiled model runs code, as loading any shared library does (docs/compile.md).
 *
 * The model's shared fields are the embedded model's (the same pointers, owned here: free clears them there), its
 * score_block calls the code, and the hooks compiled code does not do -- link, importance, contributions, the
 * validation curve, the file body -- are the embedded model's, so saving a compiled model writes the gbdt model
 * it was compiled from.
 */
#define _GNU_SOURCE /* memfd_create */
#include "compiled.h"
#include "../model/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void compiled_free(void *impl) {
    plumb__compiled *c = impl;
    if (!c)
        return;
    if (c->inner) { /* the outer model owns what they share */
        c->inner->schema = NULL;
        c->inner->feature_col = NULL;
        c->inner->calibrator = NULL;
        c->inner->reference = NULL;
        plumb_model_free(c->inner);
    }
    if (c->handle)
        dlclose(c->handle);
    free(c);
}

static const plumb_model *inner_of(const plumb_model *m) {
    return ((const plumb__compiled *)m->impl)->inner;
}

static void score_block(const plumb_model *m, const float *x, int64_t nr, void *scratch, double *out) {
    (void)scratch;
    ((const plumb__compiled *)m->impl)->abi->score_f32(x, nr, out);
}

static void compiled_link(const plumb_model *m, int64_t n, double *out) {
    const plumb_model *in = inner_of(m);
    if (in->ops->link)
        in->ops->link(in, n, out);
}

static void describe(const plumb_model *m, plumb_model_info *info) {
    const plumb_model *in = inner_of(m);
    in->ops->describe(in, info);
}

static json_t *to_json(const plumb_model *m) {
    const plumb_model *in = inner_of(m);
    return in->ops->to_json(in);
}

/* A compiled model lives in its shared object; a model file that names the kind is refused. */
static plumb_status from_json(plumb__loader *ld, const json_t *root, plumb_model *m) {
    (void)root;
    (void)m;
    plumb__loader_bad(ld, "a compiled model is a shared object made by plumb compile, not a model file");
    return ld->st;
}

static plumb_status importance(const plumb_model *m, plumb_importance *out, plumb_error *err) {
    const plumb_model *in = inner_of(m);
    return in->ops->importance(in, out, err);
}

static plumb_status contrib(const plumb_model *m, const plumb_frame *frame, int threads, double *out,
                            plumb_error *err) {
    const plumb_model *in = inner_of(m);
    return in->ops->contrib(in, frame, threads, out, err);
}

static int64_t valid_curve(const plumb_model *m, const double **values) {
    const plumb_model *in = inner_of(m);
    return in->ops->valid_curve ? in->ops->valid_curve(in, values) : 0;
}

/* The ELF image (n bytes at data) loaded from a memory file: the handle, or NULL with *err filled. */
static void *load_image(const void *data, size_t n, const char *name, plumb_error *err) {
    const int fd = memfd_create("plumb-compiled", MFD_CLOEXEC);
    if (fd < 0) {
        plumb__error_at(err, PLUMB_EIO, name, 0, 0, "cannot load the compiled model: memfd_create: %s",
                        strerror(errno));
        return NULL;
    }
    for (size_t at = 0; at < n;) {
        const ssize_t w = write(fd, (const char *)data + at, n - at);
        if (w <= 0) {
            plumb__error_at(err, PLUMB_EIO, name, 0, 0, "cannot load the compiled model: %s", strerror(errno));
            close(fd);
            return NULL;
        }
        at += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    close(fd);
    if (!h) {
        const char *why = dlerror();
        plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "not a loadable shared object: %s",
                        why ? (strstr(why, ": ") ? strstr(why, ": ") + 2 : why) : "dlopen failed");
    }
    return h;
}

static plumb_status open_compiled(const void *data, size_t size, const char *name, plumb_model **out,
                                  plumb_error *err) {
    const char *p = data;
    *out = NULL;
    const bool ours = memmem(p, size, PLUMB_COMPILED_SYMBOL, sizeof PLUMB_COMPILED_SYMBOL - 1) != NULL;
    if (size < PLUMB__COMPILED_TRAILER ||
        memcmp(p + size - PLUMB__COMPILED_MAGIC_LEN, PLUMB__COMPILED_MAGIC, PLUMB__COMPILED_MAGIC_LEN) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                               ours ? "truncated compiled model: the embedded model at its end is missing"
                                    : "not a compiled plumb model: no embedded model at its end (not made by plumb "
                                      "compile, or truncated)");
    uint64_t len = 0;
    for (int i = 0; i < 8; i++)
        len |= (uint64_t)(uint8_t)p[size - PLUMB__COMPILED_TRAILER + (size_t)i] << (8 * i);
    if (len > size - PLUMB__COMPILED_TRAILER)
        return plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                               "truncated compiled model: its embedded model says %llu bytes, the file has %zu",
                               (unsigned long long)len, size - PLUMB__COMPILED_TRAILER);
    const size_t image = size - PLUMB__COMPILED_TRAILER - (size_t)len;
    const char *emb = p + image;
    if (len < 12 || memcmp(emb, "plumb-model ", 12) != 0)
        return plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "corrupted compiled model: no embedded model file");
    plumb_model *inner = NULL, *m = NULL;
    plumb__compiled *c = NULL;
    plumb_status st = plumb_model_load_buffer(emb, (size_t)len, name, &inner, err);
    if (st != PLUMB_OK)
        return st;
    if (inner->ops != &plumb__gbdt_ops) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                             "corrupted compiled model: its embedded model is a %s model, not gbdt", inner->ops->name);
        goto fail;
    }
    char sha[65] = "", head[256];
    const size_t hn = len < sizeof head - 1 ? (size_t)len : sizeof head - 1;
    memcpy(head, emb, hn);
    head[hn] = '\0';
    sscanf(head, "plumb-model %*d %*s %64s", sha); /* load_buffer checked the header */
    if (!(c = calloc(1, sizeof *c)) || !(m = plumb__model_new(&plumb__compiled_ops))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto fail;
    }
    c->inner = inner;
    if (!(c->handle = load_image(p, image, name, err))) {
        st = err ? err->code : PLUMB_EFORMAT;
        goto fail;
    }
    const plumb_compiled_abi *abi = dlsym(c->handle, PLUMB_COMPILED_SYMBOL);
    if (!abi) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "not a compiled plumb model: no symbol '%s'",
                             PLUMB_COMPILED_SYMBOL);
        goto fail;
    }
    if (abi->abi_version != PLUMB_COMPILED_ABI_VERSION) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                             "compiled model of ABI version %u: this plumb reads version %d (compile the model again)",
                             abi->abi_version, PLUMB_COMPILED_ABI_VERSION);
        goto fail;
    }
    if (abi->struct_size < sizeof *abi || memchr(abi->model_sha256, '\0', sizeof abi->model_sha256) == NULL ||
        !abi->score_f32 || !abi->score_f64) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0, "corrupted compiled model: a bad entry '%s'",
                             PLUMB_COMPILED_SYMBOL);
        goto fail;
    }
    if ((abi->isa & ~PLUMB_COMPILED_ISA_AVX512F) != 0 ||
        ((abi->isa & PLUMB_COMPILED_ISA_AVX512F) && !__builtin_cpu_supports("avx512f"))) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                             "compiled for a processor with AVX-512, which this one lacks: compile the model again "
                             "on this machine");
        goto fail;
    }
    if (strcmp(abi->model_sha256, sha) != 0) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                             "checksum mismatch: the code was compiled from model %.12s..., the embedded model is "
                             "%.12s...",
                             abi->model_sha256, sha);
        goto fail;
    }
    if (abi->n_features != inner->n_features || abi->n_outputs != inner->n_outputs ||
        abi->n_trees != plumb__gbdt_of(inner)->n_trees) {
        st = plumb__error_at(err, PLUMB_EFORMAT, name, 0, 0,
                             "corrupted compiled model: the code has %lld features, %lld outputs and %lld trees, the "
                             "embedded model %lld, %lld and %lld",
                             (long long)abi->n_features, (long long)abi->n_outputs, (long long)abi->n_trees,
                             (long long)inner->n_features, (long long)inner->n_outputs,
                             (long long)plumb__gbdt_of(inner)->n_trees);
        goto fail;
    }
    c->abi = abi;
    /* the shared fields: the embedded model's, owned by m from here on */
    m->impl = c;
    m->schema = inner->schema;
    m->task = inner->task;
    m->n_outputs = inner->n_outputs;
    m->n_features = inner->n_features;
    m->feature_col = inner->feature_col;
    m->positive_first = inner->positive_first;
    m->calibrator = inner->calibrator;
    m->reference = inner->reference;
    memcpy(m->plumb_version, inner->plumb_version, sizeof m->plumb_version);
    memcpy(m->data_sha256, inner->data_sha256, sizeof m->data_sha256);
    m->train_rows = inner->train_rows;
    memcpy(m->created, inner->created, sizeof m->created);
    *out = m;
    return PLUMB_OK;
fail:
    if (c)
        c->inner = NULL; /* nothing is shared yet: inner is freed whole below */
    compiled_free(c);
    plumb_model_free(inner);
    plumb_model_free(m);
    return st;
}

const plumb__model_ops plumb__compiled_ops = {
    .name = "compiled",
    .kind = PLUMB_MODEL_GBDT, /* gradient-boosted trees, in compiled form: the name tells them apart */
    .free = compiled_free,
    .score_block = score_block,
    .link = compiled_link,
    .describe = describe,
    .to_json = to_json,
    .from_json = from_json,
    .importance = importance,
    .contrib = contrib,
    .valid_curve = valid_curve,
    .magic = "\177ELF",
    .magic_len = 4,
    .open = open_compiled,
};
