/* sort.c -- a stable sort of doubles by index, for the ranking metrics, the calibrators and the time splits.
 *
 * Doubles map to unsigned keys that order like the numbers (flip all bits of negatives, the sign bit of the
 * rest; -0.0 first becomes 0.0), then an LSD radix sort of 16-bit digits, which is stable and O(n): the ROC-AUC of
 * a million rows costs one pass per digit that varies instead of a comparison sort's n log n branches. Small
 * inputs use insertion sort.
 */
#include "eval.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t key_of(double x) {
    if (x == 0)
        x = 0.0; /* -0.0 sorts as 0.0, as numpy compares them */
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | 0x8000000000000000u;
}

bool plumb__sort_doubles(const double *v, int64_t n, int64_t *order) {
    if (n < 64) {
        for (int64_t i = 0; i < n; i++) {
            int64_t j = i;
            const double x = v[i] == 0 ? 0.0 : v[i];
            while (j > 0 && v[order[j - 1]] > x) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        return true;
    }
    uint64_t *key = malloc((size_t)n * sizeof *key), *key2 = malloc((size_t)n * sizeof *key2);
    int64_t *tmp = malloc((size_t)n * sizeof *tmp);
    size_t *count = malloc(65536 * sizeof *count);
    bool ok = key && key2 && tmp && count;
    if (ok) {
        for (int64_t i = 0; i < n; i++) {
            key[i] = key_of(v[i]);
            order[i] = i;
        }
        int64_t *src = order, *dst = tmp;
        uint64_t *ksrc = key, *kdst = key2;
        for (int shift = 0; shift < 64; shift += 16) {
            memset(count, 0, 65536 * sizeof *count);
            for (int64_t i = 0; i < n; i++)
                count[(ksrc[i] >> shift) & 0xffff]++;
            if (count[(ksrc[0] >> shift) & 0xffff] == (size_t)n)
                continue; /* every key has this digit: the pass would not move anything */
            size_t sum = 0;
            for (int d = 0; d < 65536; d++) {
                const size_t c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int64_t i = 0; i < n; i++) {
                const size_t at = count[(ksrc[i] >> shift) & 0xffff]++;
                dst[at] = src[i];
                kdst[at] = ksrc[i];
            }
            int64_t *t = src;
            src = dst;
            dst = t;
            uint64_t *kt = ksrc;
            ksrc = kdst;
            kdst = kt;
        }
        if (src != order)
            memcpy(order, src, (size_t)n * sizeof *order);
    }
    free(key);
    free(key2);
    free(tmp);
    free(count);
    return ok;
}
