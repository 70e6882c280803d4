/* compiled.h -- compiled gradient-boosted trees (model kind "compiled"): generating the C, building the shared
 * object, and the kind that scores with it (docs/compile.md).
 *
 * A compiled model is a shared object made by plumb_model_compile: the generated code (one if/else nest per tree,
 * exported through one const plumb_compiled_abi, plumb.h) followed, after the ELF image, by the model file it was
 * compiled from and a trailer: the file's length (8 bytes, little-endian) and TRAILER_MAGIC. Loading one reads the
 * embedded model as any model file (its own checksum checked), loads the ELF image from a memory file with dlopen,
 * checks the ABI version and that the code's checksum is the embedded model's, and makes a model whose score_block
 * calls the code and whose other hooks (link, importance, contributions, the file body) are the embedded model's.
 */
#ifndef PLUMB_COMPILED_COMPILED_H
#define PLUMB_COMPILED_COMPILED_H

#include "../gbdt/gbdt.h"

#define PLUMB__COMPILED_MAGIC "plumb-compiled-1" /* the last 16 bytes of a compiled model */
#define PLUMB__COMPILED_MAGIC_LEN 16
#define PLUMB__COMPILED_TRAILER (8 + PLUMB__COMPILED_MAGIC_LEN)

/* The kind's data (plumb_model.impl). The outer model shares the embedded model's schema, feature list and
 * calibrator (the same pointers): the outer one owns them, and free clears them in the embedded one first. */
typedef struct plumb__compiled {
    plumb_model *inner;            /* the embedded gbdt model */
    void *handle;                  /* dlopen's */
    const plumb_compiled_abi *abi; /* the code's entry, inside handle */
} plumb__compiled;

/* The C source of gbdt model m (its file's checksum sha256, hex) into *out (malloc'ed, *n bytes; the caller frees
 * it), and the counts of *info. PLUMB_EINVAL for what the generator cannot express (a categorical split on a
 * numeric feature), PLUMB_ENOMEM. */
plumb_status plumb__compiled_source(const plumb_model *m, const char *sha256, char **out, size_t *n,
                                    plumb_compile_info *info, plumb_error *err);

#endif /* PLUMB_COMPILED_COMPILED_H */
