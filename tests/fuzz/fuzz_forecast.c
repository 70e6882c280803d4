/* fuzz_forecast.c -- libFuzzer target for the forecaster's series reader and features (src/forecast/).
 *
 * The first input byte picks the spec (a series column, a covariate); the rest is the CSV, written to a temporary
 * file because the reader takes a path. A read either fails with a located message or gives series of consecutive
 * days; then the features of every origin and a few horizons are computed, which must touch no day after the
 * origin (ASan sees any read past a series' end). Any crash, leak, sanitizer report or broken invariant (abort) is a
 * finding.
 */
#include <plumb/plumb.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forecast/forecast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_forecast_%d.csv", (int)getpid());
    }
    if (size < 1)
        return 0;
    const uint8_t mode = data[0];
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    char *future[] = {"p"};
    plumb__fc_spec spec = {.time_col = "date",
                           .target = "y",
                           .series_col = (mode & 1) ? "id" : NULL,
                           .future = future,
                           .n_future = (mode & 2) ? 1 : 0,
                           .horizon = 3};
    plumb__fc_set set;
    plumb_error err;
    if (plumb__fc_read(path, &spec, !(mode & 4), &set, &err) != PLUMB_OK) {
        if (err.code == PLUMB_OK || !err.message[0] || set.n != 0)
            abort();
        return 0;
    }
    float x[64];
    for (int64_t i = 0; i < set.n; i++) {
        const plumb__fc_series *s = &set.s[i];
        if (s->n < 1 || s->n > s->cap)
            abort();
        if (mode & 4)
            continue; /* read without a target: no values to build features from */
        for (int64_t t = PLUMB__FC_MIN_HISTORY - 1; t < s->n; t++) {
            const double level = plumb__fc_level(s, t);
            if (!(level > 0))
                abort();
            for (int64_t h = 1; h <= spec.horizon; h++)
                plumb__fc_features(s, t, h, level, NULL, spec.n_future, x);
        }
    }
    plumb__fc_set_free(&set);
    return 0;
}
