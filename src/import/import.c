/* import.c -- plumb_model_import: reads a foreign model file and hands its bytes to the format's reader. */
#include "import.h"

#include <stdlib.h>
#include <string.h>

plumb_status plumb_model_import_buffer(const void *data, size_t size, const char *name, plumb_import_format from,
                                       plumb_model **out, plumb_error *err) {
    *out = NULL;
    name = name ? name : "<buffer>";
    if (from == PLUMB_IMPORT_XGBOOST)
        return plumb__import_xgboost(data, size, name, out, err);
    if (from == PLUMB_IMPORT_LIGHTGBM)
        return plumb__import_lightgbm(data, size, name, out, err);
    return plumb__fail(err, PLUMB_EINVAL, "unknown import format %d", (int)from);
}

plumb_status plumb_model_import(const char *path, plumb_import_format from, plumb_model **out, plumb_error *err) {
    *out = NULL;
    char *buf;
    size_t n;
    plumb_status st = plumb__file_read(path, &buf, &n, err);
    if (st == PLUMB_OK)
        st = plumb_model_import_buffer(buf, n, path, from, out, err);
    free(buf);
    return st;
}

plumb_status plumb_import_format_parse(const char *name, plumb_import_format *out, plumb_error *err) {
    if (strcmp(name, "xgboost") == 0)
        *out = PLUMB_IMPORT_XGBOOST;
    else if (strcmp(name, "lightgbm") == 0)
        *out = PLUMB_IMPORT_LIGHTGBM;
    else
        return plumb__fail(err, PLUMB_EINVAL, "unknown model format '%s' (xgboost or lightgbm)", name);
    return PLUMB_OK;
}
