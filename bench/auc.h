/* auc.h -- area under the ROC curve with ties, for the gradient-boosting benchmark (gen_higgs, bench_gbdt).
 *
 * AUC = P(score of a random positive > score of a random negative) + 1/2 P(equal), the Mann-Whitney U statistic
 * divided by n_pos * n_neg: the same number as sklearn.metrics.roc_auc_score, which integrates the ROC curve with
 * the trapezoid rule (a group of tied scores is one diagonal step, worth half its positive-negative pairs).
 * Sorting costs O(n log n); the sums are exact integers up to 2^53 pairs. Header-only: the two programs that use
 * it are separate executables.
 */
#ifndef PLUMB_BENCH_AUC_H
#define PLUMB_BENCH_AUC_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct bench_scored {
    double score;
    int label; /* 0 or 1 */
} bench_scored;

static int bench_cmp_scored(const void *a, const void *b) {
    const double x = ((const bench_scored *)a)->score, y = ((const bench_scored *)b)->score;
    return (x > y) - (x < y);
}

/* AUC of score[0..n) against labels y[0..n) (0 or 1; anything nonzero counts as 1). Returns NaN when a class
 * is absent, a score is NaN, or memory runs out. */
static double bench_auc(const double *score, const double *y, int64_t n) {
    bench_scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return NAN;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(score[i])) {
            free(v);
            return NAN;
        }
        v[i].score = score[i];
        v[i].label = y[i] != 0;
    }
    qsort(v, (size_t)n, sizeof *v, bench_cmp_scored);
    /* walk groups of equal scores in ascending order: each positive of a group beats every negative below the
     * group and ties with the group's negatives */
    double pairs = 0, neg_below = 0, n_pos = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        double pos = 0, neg = 0;
        while (j < n && v[j].score == v[i].score) {
            if (v[j].label)
                pos++;
            else
                neg++;
            j++;
        }
        pairs += pos * neg_below + 0.5 * pos * neg;
        neg_below += neg;
        n_pos += pos;
        i = j;
    }
    free(v);
    const double n_neg = neg_below;
    return n_pos > 0 && n_neg > 0 ? pairs / (n_pos * n_neg) : NAN;
}

#endif /* PLUMB_BENCH_AUC_H */
