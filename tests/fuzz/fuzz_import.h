/* fuzz_import.h -- the body of the import fuzz targets (fuzz_import_xgboost.c, fuzz_import_lightgbm.c): a
 * mutated foreign model file is imported, and whatever imports must score rows without crashing, so the checks
 * of the readers and of the tree builder are what stands between a file and the scoring loop. */
#include <plumb/plumb.h>

#include <math.h>
#include <stdlib.h>

static int fuzz_import(const uint8_t *data, size_t size, plumb_import_format from) {
    plumb_model *m = NULL;
    if (plumb_model_import_buffer(data, size, "fuzz", from, &m, NULL) != PLUMB_OK)
        return 0;
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const int64_t nf = info.n_features;
    const char **names = malloc((size_t)(nf + 1) * sizeof *names);
    float *x = malloc((size_t)(6 * nf + 1) * sizeof *x);
    double *out = malloc((size_t)(6 * info.n_outputs + 1) * sizeof *out);
    plumb_scorer *s = NULL;
    for (int64_t f = 0; names && f < nf; f++)
        names[f] = plumb_model_feature_name(m, f);
    if (names && x && out && plumb_scorer_create(m, names, nf, &s, NULL) == PLUMB_OK) {
        /* numbers around the edges, and category codes in and out of range */
        static const float values[] = {0.0f, -1e30f, NAN, 3.0f, 1e30f, -0.5f, 1e-36f, 7.0f};
        for (int64_t i = 0; i < 6 * nf; i++)
            x[i] = values[(i * 7 + i / nf) % 8];
        plumb_scorer_matrix(s, x, PLUMB_DTYPE_F32, PLUMB_LAYOUT_ROW_MAJOR, 6, 1, out, NULL);
    }
    plumb_scorer_free(s);
    free(names);
    free(x);
    free(out);
    plumb_model_free(m);
    return 0;
}
