/* loader.h -- reading the JSON body of a model file, shared by every kind of model: checks run on, and the first
 * structural problem found is the one reported ("corrupted model file: ..."), so a loader can test everything in
 * one expression and look at the status once. */
#ifndef PLUMB_MODEL_LOADER_H
#define PLUMB_MODEL_LOADER_H

#include "../base/base.h"

#include <stdbool.h>

typedef struct plumb__loader {
    const char *name; /* the file, for the message */
    plumb_error *err;
    plumb_status st; /* PLUMB_OK until the first problem */
} plumb__loader;

/* Records "name: corrupted model file: <what>" as the loader's error, unless one is recorded already. Returns
 * false, so a check reads `return plumb__loader_bad(ld, "...")`; inline, so the compiler sees the false and with it
 * which outputs a failed check leaves unset. */
static inline bool plumb__loader_bad(plumb__loader *ld, const char *what) {
    if (ld->st == PLUMB_OK)
        ld->st = plumb__error_at(ld->err, PLUMB_EFORMAT, ld->name, 0, 0, "corrupted model file: %s", what);
    return false;
}

typedef struct json_t json_t;

/* The model's provenance as the file's "provenance" object (plumb version, data SHA-256, training rows, time), a
 * new reference (NULL when out of memory), and back from root's "provenance" (absent fields read as empty). */
json_t *plumb__provenance_json(const plumb_model *m);
void plumb__provenance_read(plumb_model *m, const json_t *root);

#endif /* PLUMB_MODEL_LOADER_H */
