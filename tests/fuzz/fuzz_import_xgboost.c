/* fuzz_import_xgboost.c -- libFuzzer target for the XGBoost JSON model reader (src/import/xgboost.c). */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(data, size, PLUMB_IMPORT_XGBOOST);
}
