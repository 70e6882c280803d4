/* check_availability.c -- check 3 (declared): features the schema says become known after the moment of
 * prediction (availability.c measures them). */
#include "audit.h"

#include "../data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check 3 (declared): features the schema says become known after the moment of prediction. */
plumb_status plumb__audit_declared_availability(plumb__audit_ctx *c, plumb_error *err) {
    plumb_audit *a = c->a;
    for (int64_t k = 0; k < a->n_feats; k++) {
        const plumb__feat_stat *s = &a->feats[k];
        if (!s->is_feature)
            continue;
        plumb__late late;
        plumb_status st = plumb__availability(c->f, s->col, &late, err);
        if (st != PLUMB_OK)
            return st;
        if (late.n_late > 0 &&
            !plumb__audit_add(
                a, PLUMB_SEVERITY_CRITICAL, "available_at", s->name, (double)late.n_late / (double)late.n_checked, 0,
                plumb__audit_format("'%s' becomes known after the moment of prediction", s->name),
                plumb__audit_format("in %lld of %lld rows its value was recorded after the row's time (up to %.4g days "
                                    "later; first: data row %lld)",
                                    (long long)late.n_late, (long long)late.n_checked, late.max_delay_days,
                                    (long long)late.first_row + 1),
                plumb__audit_format("drop '%s': plumb train refuses it unless given --allow-feature %s", s->name,
                                    s->name)))
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    return PLUMB_OK;
}
