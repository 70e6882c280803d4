/* fuzz_serve.c -- libFuzzer target for the request parser of plumb serve (src/serve/parse.c).
 *
 * The first byte chooses the protocol (bit 0: v1 instances, else v2 tensors); the rest is the body, parsed
 * against three columns of every type and an entity key. Whatever the body, the parser must return either a
 * batch whose every value can be read (ASan checks the strings point into live memory) or a 4xx/5xx status with
 * a message; the limits are small so that the fuzzer reaches them. plumb__serve_parse reads plain v1 rows and
 * v2 tensors directly and hands anything else to jansson: the body is parsed through jansson alone too, and the
 * two must give the same status and message, or the same batch value for value. The body is also read as one
 * number, which must be strtod's.
 */
#include "serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_text(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* a and b hold the same rows: bit for bit the same numbers (NaN: missing), the same texts. */
static bool same_batch(const plumb__serve_batch *a, const plumb__serve_batch *b) {
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols || a->explain != b->explain || !same_text(a->id, b->id))
        return false;
    for (int64_t i = 0; i < a->n_rows * a->n_cols; i++)
        if (memcmp(&a->values[i], &b->values[i], sizeof a->values[i]) != 0 || a->given[i] != b->given[i] ||
            !same_text(a->cats[i], b->cats[i]))
            return false;
    for (int64_t r = 0; r < a->n_rows; r++)
        if (!same_text(a->keys[r], b->keys[r]))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    static const char *const names[] = {"age", "home", "flag"};
    static const plumb_type types[] = {PLUMB_TYPE_NUMERIC, PLUMB_TYPE_CATEGORICAL, PLUMB_TYPE_BOOL};
    const plumb__serve_columns cols = {3, names, types, "user"};
    const plumb__serve_limits lim = {1 << 16, 64, 12, 128};
    plumb__serve_batch b;
    plumb__serve_problem prob;
    const int st = plumb__serve_parse((const char *)data + 1, size - 1, data[0] & 1 ? PLUMB__SERVE_V1 : PLUMB__SERVE_V2,
                                      &cols, &lim, &b, &prob);
    if (st == 0) {
        if (b.n_rows < 1 || b.n_rows > lim.max_batch || b.n_cols != 3 || prob.message[0])
            abort();
        size_t total = 0;
        for (int64_t i = 0; i < b.n_rows * b.n_cols; i++) {
            total += b.cats[i] ? strlen(b.cats[i]) : 0;
            if (types[i % 3] == PLUMB_TYPE_BOOL && !isnan(b.values[i]) && b.values[i] != 0 && b.values[i] != 1)
                abort();
        }
        for (int64_t r = 0; r < b.n_rows; r++)
            total += b.keys[r] ? strlen(b.keys[r]) : 0;
        if (b.id)
            total += strlen(b.id);
        (void)total;
    } else if (st < 400 || st > 599 || prob.status != st || !prob.message[0]) {
        abort();
    }
    /* the number reader the feature store's values go through: exactly strtod's double whenever it says yes */
    double x;
    if (plumb__serve_number((const char *)data + 1, size - 1, &x)) {
        char *text = strndup((const char *)data + 1, size - 1);
        const double y = text ? strtod(text, NULL) : x;
        if (memcmp(&x, &y, sizeof x) != 0)
            abort();
        free(text);
    }
    plumb__serve_batch j;
    plumb__serve_problem jprob;
    const int jst = plumb__serve_parse_json((const char *)data + 1, size - 1,
                                            data[0] & 1 ? PLUMB__SERVE_V1 : PLUMB__SERVE_V2, &cols, &lim, &j, &jprob);
    if (jst != st || (st && strcmp(prob.message, jprob.message) != 0) || (st == 0 && !same_batch(&b, &j)))
        abort();
    plumb__serve_batch_free(&j);
    plumb__serve_batch_free(&b);
    return 0;
}
