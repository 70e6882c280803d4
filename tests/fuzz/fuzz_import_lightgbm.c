/* fuzz_import_lightgbm.c -- libFuzzer target for the LightGBM text model reader (src/import/lightgbm.c). */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(data, size, PLUMB_IMPORT_LIGHTGBM);
}
