/* forecast.h -- internal pieces of the forecaster (src/forecast/): daily series read from long-format CSV, the
 * features of one (origin, horizon) pair, and the forecast spec a model carries.
 *
 * A series is a run of consecutive days with one value each (and the known-future covariates of that day). The
 * reader refuses what would make a day ambiguous -- a duplicate, a date out of order, a gap -- with the file, line
 * and column, so the features can index days by offset from the series' first day.
 *
 * The one invariant that matters: plumb__fc_features for origin t reads values of days 0..t only, never a target
 * value after the origin (tests/unit/test_forecast.c perturbs every later value and requires identical features).
 * Known-future covariates are read on the target day, which is their point: they are known in advance.
 */
#ifndef PLUMB_FORECAST_FORECAST_H
#define PLUMB_FORECAST_FORECAST_H

#include "../base/base.h"

#define PLUMB__FC_MIN_HISTORY 7 /* fewest observed days before an origin can be forecast from */
#define PLUMB__FC_LEVEL_DAYS 28 /* the level a series is divided by: the mean of its last 28 days (fewer if young) */
#define PLUMB__FC_MAX_HORIZON 366
#define PLUMB__FC_SPEC_COLUMN "plumb_forecast" /* the model schema's column whose one category is the spec */

/* One daily series: n consecutive days from day0 (days since 1970-01-01). */
typedef struct plumb__fc_series {
    char *name;    /* the series column's value; "" without a series column */
    int64_t day0;  /* first day */
    int64_t n;     /* days held */
    int64_t cap;   /* allocated days */
    double *y;     /* n target values (NaN when read without a target) */
    float *future; /* n x n_future covariate values, row-major; NaN when missing */
    int64_t row0;  /* the data row (0-based) of the first day, for messages */
    int64_t last_row;
} plumb__fc_series;

typedef struct plumb__fc_set {
    plumb__fc_series *s;
    int64_t n, cap;
    int64_t n_future;
} plumb__fc_set;

/* What a forecast model was trained on and how its features are built: stored in the model (see forecast.c). */
typedef struct plumb__fc_spec {
    char *time_col, *target, *series_col; /* series_col NULL: one series */
    char **future;                        /* n_future known-future covariate columns */
    int64_t n_future;
    int64_t horizon;
} plumb__fc_spec;

void plumb__fc_spec_free(plumb__fc_spec *spec);

/* Reads the daily series of a long-format CSV file (path, "-" for stdin): the time column (ISO dates, whole
 * days), the target (numbers, none missing; skipped when !with_target), the series column (when spec has one),
 * the covariates spec->future (numbers; missing allowed). Errors (file:line:column): a column absent from the
 * header, a bad or partial-day date, a bad or missing target, a bad covariate, a duplicate date, a date earlier
 * than the one before it or a gap in a series. *out is filled (free with plumb__fc_set_free, also on failure). */
plumb_status plumb__fc_read(const char *path, const plumb__fc_spec *spec, bool with_target, plumb__fc_set *out,
                            plumb_error *err);
void plumb__fc_set_free(plumb__fc_set *set);

/* The day (days since 1970-01-01) as "YYYY-MM-DD" into buf (size n). */
void plumb__fc_day_text(int64_t day, char *buf, size_t n);

/* The index of the series called name, or -1. */
int64_t plumb__fc_find(const plumb__fc_set *set, const char *name);

/* Number of features for n_future covariates, and the name of feature f (fixed names, then "future_<col>");
 * name writes into buf (size n) when it has to build the name. */
int64_t plumb__fc_n_features(int64_t n_future);
const char *plumb__fc_feature_name(const plumb__fc_spec *spec, int64_t f, char *buf, size_t n);

/* The level series s is divided by at origin t (0 <= t < s->n): the mean of its last PLUMB__FC_LEVEL_DAYS values
 * up to t; 1 when that is not positive. */
double plumb__fc_level(const plumb__fc_series *s, int64_t t);

/* The features of forecasting day t + h of series s from origin t (day index, PLUMB__FC_MIN_HISTORY - 1 <= t), h
 * >= 1, into x (plumb__fc_n_features values). Reads s->y[0..t] only, and the covariates of day t + h from
 * future (n_future values, NULL when none). level is plumb__fc_level(s, t). */
void plumb__fc_features(const plumb__fc_series *s, int64_t t, int64_t h, double level, const float *future,
                        int64_t n_future, float *x);

#endif /* PLUMB_FORECAST_FORECAST_H */
