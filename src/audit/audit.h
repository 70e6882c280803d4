/* audit.h -- internal pieces of the audit (src/audit): row times, availability of feature values. */
#ifndef PLUMB_AUDIT_AUDIT_H
#define PLUMB_AUDIT_AUDIT_H

#include "../data/target.h"

#include <stdbool.h>

/* Row i of a time-like column in days: datetime columns (seconds) / 86400, numbers as they are; NaN when
 * missing. */
double plumb__row_days(const plumb_frame *f, int64_t col, int64_t i);

/* How many rows of column col became known after their moment of prediction. */
typedef struct plumb__late {
    bool declared;         /* the schema says when the column becomes known */
    int64_t n_checked;     /* rows with both times */
    int64_t n_late;        /* of which known after the row's time */
    int64_t first_row;     /* the first late row, -1 when none */
    double max_delay_days; /* the latest, in days (or the time column's units) */
} plumb__late;

/* Fills *out for column col of f. PLUMB_EINVAL when a declaration cannot be checked (no time column),
 * PLUMB_ESCHEMA when its available_at column is absent. */
plumb_status plumb__availability(const plumb_frame *f, int64_t col, plumb__late *out, plumb_error *err);

#endif /* PLUMB_AUDIT_AUDIT_H */
