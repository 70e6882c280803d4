/* curve.c -- the learning curve a gradient-boosted model carries: its validation metric per iteration.
 *
 * The trainer records the metric of every iteration it trained on the validation data (model->valid_metric,
 * saved in the model file's "metrics.valid"); this file only lends it out, so reports can draw the curve from a
 * saved model without retraining.
 */
#include "../gbdt/gbdt.h"

int64_t plumb_model_valid_curve(const plumb_model *model, const double **values) {
    *values = NULL;
    if (!model || model->kind != PLUMB_MODEL_GBDT || !model->valid_metric || model->n_iterations <= 0)
        return 0;
    *values = model->valid_metric;
    return model->n_iterations;
}
