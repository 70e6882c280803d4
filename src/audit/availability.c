/* availability.c -- feature-source constraints: a feature whose value became known after the moment of prediction
 * must not be trained on.
 *
 * The schema may declare, per column, when its value becomes known (docs/schema.md): `available_at` names a column
 * holding that moment for each row, `available_after_days` a fixed delay after the row's time. The moment of
 * prediction is the row's time (the time-role column). A row whose value became known later than that is a
 * violation: the model would learn from information it will not have in production (a verification flag filled in
 * after the decision, a field updated when the outcome arrived).
 */
#include "audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double plumb__row_days(const plumb_frame *f, int64_t col, int64_t i) {
    const int64_t *t64 = plumb_frame_i64(f, col);
    if (t64)
        return t64[i] == PLUMB_DATETIME_MISSING ? NAN : (double)t64[i] / 86400.0;
    const double *d = plumb_frame_f64(f, col);
    if (d)
        return d[i];
    const float *x = plumb_frame_f32(f, col);
    return x ? (double)x[i] : NAN;
}

plumb_status plumb__availability(const plumb_frame *f, int64_t col, plumb__late *out, plumb_error *err) {
    memset(out, 0, sizeof *out);
    out->first_row = -1;
    plumb_column_info c;
    plumb_schema_column(plumb_frame_schema(f), col, &c);
    if (!c.available_at && isnan(c.available_after_days))
        return PLUMB_OK;
    out->declared = true;
    const int64_t time = plumb__find_role(f, PLUMB_ROLE_TIME);
    if (time < 0)
        return plumb__fail(err, PLUMB_EINVAL,
                           "column '%s' declares when it becomes known, which needs the moment of prediction: name "
                           "the time column with --time-col",
                           c.name);
    const int64_t at = c.available_at ? plumb_frame_find(f, c.available_at) : -1;
    if (c.available_at && at < 0)
        return plumb__fail(err, PLUMB_ESCHEMA, "column '%s' becomes known at '%s', which is not in the data", c.name,
                           c.available_at);
    const int64_t n = plumb_frame_n_rows(f);
    for (int64_t i = 0; i < n; i++) {
        const double t = plumb__row_days(f, time, i);
        const double known = at >= 0 ? plumb__row_days(f, at, i) : t + c.available_after_days;
        if (isnan(t) || isnan(known))
            continue;
        out->n_checked++;
        if (known > t) {
            if (out->n_late++ == 0)
                out->first_row = i;
            out->max_delay_days = fmax(out->max_delay_days, known - t);
        }
    }
    return PLUMB_OK;
}

static plumb_status check_availability(const plumb_frame *frame, const char *const *allowed, size_t n_allowed,
                                       plumb_error *err) {
    plumb__error_clear(err);
    const plumb_schema *s = plumb_frame_schema(frame);
    for (int64_t j = 0; j < plumb_schema_n_columns(s); j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role != PLUMB_ROLE_FEATURE)
            continue;
        bool ok = false;
        for (size_t k = 0; k < n_allowed && !ok; k++)
            ok = strcmp(allowed[k], c.name) == 0;
        if (ok)
            continue;
        plumb__late late;
        plumb_status st = plumb__availability(frame, j, &late, err);
        if (st != PLUMB_OK)
            return st;
        if (late.n_late > 0)
            return plumb__fail(err, PLUMB_EINVAL,
                               "feature '%s' becomes known after the moment of prediction in %lld of %lld rows (first: "
                               "data row %lld, up to %.4g days late): a model would learn what it cannot know in "
                               "production; drop the column, or train on it knowingly with --allow-feature %s",
                               c.name, (long long)late.n_late, (long long)late.n_checked, (long long)late.first_row + 1,
                               late.max_delay_days, c.name);
    }
    return PLUMB_OK;
}

/* The C locale around it, whatever the host set: its numbers are read and written the same everywhere. */
plumb_status plumb_frame_check_availability(const plumb_frame *frame, const char *const *allowed, size_t n_allowed,
                                            plumb_error *err) {
    const locale_t saved = plumb__c_locale_enter();
    plumb_status r = check_availability(frame, allowed, n_allowed, err);
    plumb__c_locale_leave(saved);
    return r;
}
