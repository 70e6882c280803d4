/* reference.h -- the reference profile a model carries: what its training data and its scores looked like.
 *
 * Written at training through plumb__model_stamp (every kind that is trained goes through it), kept in the model
 * file under "reference", read back on load; a file without one loads with m->reference NULL. Monitoring
 * (src/monitor/) compares new data against it, so a model file is all `plumb monitor` needs.
 *
 * Per model feature: numeric features keep up to PLUMB__REF_BINS bins cut at the training quantiles (the bin of
 * x is the number of cuts <= x, so bins are (-inf, c1), [c1, c2), ..., [c_last, inf)), their counts, the range,
 * mean, standard deviation and seven quantiles; categorical and bool features keep their count per model
 * category code. Both keep their rows and missing values. The score (the first output, before any calibration)
 * is profiled like a numeric feature; binary models add a calibration curve (equal-frequency bins of the score:
 * mean score, observed positive rate) and the realised and expected (CBPE) AUC and accuracy on training rows.
 * Immutable once built, like the model.
 */
#ifndef PLUMB_MODEL_REFERENCE_H
#define PLUMB_MODEL_REFERENCE_H

#include "model.h"

#define PLUMB__REF_BINS 20     /* numeric bins per feature (fewer when values tie) */
#define PLUMB__REF_QUANTILES 7 /* 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99 */
#define PLUMB__REF_CAL_BINS 10 /* calibration curve points */

typedef struct json_t json_t;

typedef struct plumb__ref_column {
    bool categorical;
    int64_t n_rows, n_missing;
    /* numeric */
    int32_t n_cuts; /* bins: n_cuts + 1 */
    double cuts[PLUMB__REF_BINS - 1];
    int64_t counts[PLUMB__REF_BINS];
    double min, max, mean, std;
    double q[PLUMB__REF_QUANTILES];
    /* categorical: rows per model category code (0 .. n_cats-1) */
    int32_t n_cats;
    int64_t *cat_counts;
} plumb__ref_column;

typedef struct plumb__reference {
    int64_t n_rows;
    int64_t n_features; /* the model's features, in its order */
    plumb__ref_column *features;
    bool has_score;
    bool held_out;      /* the score part comes from held-out rows (plumb_model_profile_scores), not training rows */
    int64_t score_rows; /* rows the score part was taken on */
    plumb__ref_column score;
    int32_t n_cal; /* binary: calibration curve points, else 0 */
    double cal_score[PLUMB__REF_CAL_BINS], cal_rate[PLUMB__REF_CAL_BINS];
    int64_t cal_count[PLUMB__REF_CAL_BINS];
    double positive_rate, auc, accuracy, expected_auc, expected_accuracy; /* binary, training rows; else NaN */
} plumb__reference;

extern const double plumb__ref_quantile_levels[PLUMB__REF_QUANTILES];

/* Profiles the training frame (and the model's scores on it, when it can score it) into a new reference; NULL when
 * out of memory or when the frame lacks a feature. The model must be complete enough to score (its kind prepared). */
plumb__reference *plumb__reference_build(const plumb_model *m, const plumb_frame *train);
void plumb__reference_free(plumb__reference *r);

/* The reference as the model file's "reference" object (NULL when out of memory), and back: PLUMB_EFORMAT through
 * the loader when it does not fit the model (wrong number of features, bad counts). */
json_t *plumb__reference_to_json(const plumb__reference *r);
bool plumb__reference_from_json(const json_t *j, const plumb_model *m, plumb__reference **out);

/* The bin of x (not NaN) among a numeric column's bins: the number of cuts <= x. */
static inline int32_t plumb__ref_bin(const plumb__ref_column *c, double x) {
    int32_t lo = 0, hi = c->n_cuts;
    while (lo < hi) {
        const int32_t mid = (lo + hi) / 2;
        if (c->cuts[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Profiles n values v (NaN: missing) as a numeric column into *c (its cuts from these values); false when out of
 * memory. */
bool plumb__ref_numeric(const double *v, int64_t n, plumb__ref_column *c);

/* Expected ROC AUC and accuracy (threshold 0.5) of n calibrated probabilities p if each row's label were drawn
 * with its probability (CBPE, NannyML): AUC = sum over pairs i != j with p_i > p_j of p_i (1 - p_j), ties half,
 * over the expected count of positive-negative pairs. NaN for fewer than two rows. false when out of memory. */
bool plumb__expected_performance(const double *p, int64_t n, double *auc, double *accuracy);

/* Calibrated probabilities of n uncalibrated binary scores s into out (may alias s): the model's calibrator when it
 * has one, else the reference's calibration curve (linear between its points, flat beyond). CBPE needs them. */
void plumb__reference_calibrate(const plumb_model *m, const plumb__reference *r, const double *s, int64_t n,
                                double *out);

#endif /* PLUMB_MODEL_REFERENCE_H */
