/* fuzz_model.c -- libFuzzer target for the model loader and for scoring with whatever it accepts.
 *
 * A mutated model file almost never passes the SHA-256 check, which would stop the fuzzer at the header; so the
 * input (after a mode byte) is taken as the JSON body and given a correct header, which sends every mutation
 * into the JSON and structure checks. Mode bit 0 instead passes the input as a whole file, header included.
 * Whatever loads must score rows without crashing: a frame of the model's columns is read, predicted, and
 * explained (TreeSHAP contributions).
 */
#include <plumb/plumb.h>

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void score_some_rows(const plumb_model *m) {
    const plumb_schema *s = plumb_model_schema(m);
    char csv[4096];
    size_t len = 0;
    const int64_t n = plumb_schema_n_columns(s);
    if (n == 0 || n > 64)
        return;
    static const char *const values[] = {"0", "-1e30", "", "3.5", "1e30", "NA"};
    for (int row = -1; row < 6; row++) {
        for (int64_t j = 0; j < n; j++) {
            plumb_column_info c;
            plumb_schema_column(s, j, &c);
            const char *v = row < 0 ? c.name : values[(row + j) % 6];
            if (strpbrk(v, ",\"\n\r") || len + strlen(v) + 2 >= sizeof csv)
                return;
            len += (size_t)snprintf(csv + len, sizeof csv - len, "%s%s", j ? "," : "", v);
        }
        csv[len++] = '\n';
    }
    plumb_read_options o;
    plumb_read_options_init(&o);
    o.n_threads = 1;
    o.schema = s;
    o.schema_subset = 1;
    plumb_frame *f = NULL;
    if (plumb_frame_read_buffer(csv, len, &o, &f, NULL) == PLUMB_OK) {
        plumb_model_info info;
        plumb_model_describe(m, &info);
        const int64_t rows = plumb_frame_n_rows(f), k = info.n_outputs > 0 ? info.n_outputs : 1;
        double *pred = malloc((size_t)(rows * k * (info.n_features + 1) + 1) * sizeof *pred);
        if (pred) {
            plumb_model_predict(m, f, NULL, pred, NULL);
            plumb_model_contrib(m, f, NULL, pred, NULL);
        }
        free(pred);
    }
    plumb_frame_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    plumb_model *m = NULL;
    if (data[0] & 1) {
        plumb_model_load_buffer(data + 1, size - 1, "fuzz.plumb", &m, NULL);
    } else {
        struct sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        sha256_update(&ctx, size - 1, data + 1);
        sha256_digest(&ctx, sizeof digest, digest);
        char *file = malloc(size + 128);
        int h = snprintf(file, 128, "plumb-model 1 %zu ", size - 1);
        for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
            h += snprintf(file + h, 3, "%02x", digest[i]);
        file[h++] = '\n';
        memcpy(file + h, data + 1, size - 1);
        plumb_model_load_buffer(file, (size_t)h + size - 1, "fuzz.plumb", &m, NULL);
        free(file);
    }
    if (m)
        score_some_rows(m);
    plumb_model_free(m);
    return 0;
}
