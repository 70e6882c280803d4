/* features.c -- the features of one forecast: day t + h of a series, seen from origin t.
 *
 * A direct multi-horizon model: one booster sees the horizon h as a feature, and every other feature is computed
 * at the origin, so the same row describes "what was known on day t" for each day ahead. Values are scale-free:
 * every target-derived feature is divided by the series' level at the origin (the mean of its last 28 days), so
 * series of different sizes (analogs, other stores, other stations) teach the same shapes. Calendar features are
 * those of the target day, which is known in advance; so are the known-future covariates (the caller passes the
 * target day's values). Nothing reads s->y beyond index t: that is the invariant the tests check.
 */
#include "forecast.h"

#include "../data/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const fixed_names[] = {
    "horizon",       "dow",    "month",  "doy",    "age",        "last_1",     "last_2",     "last_3",
    "last_4",        "last_5", "last_6", "last_7", "same_dow_1", "same_dow_2", "same_dow_3", "dow_mean_28",
    "dow_median_28", "mean_7", "std_7",  "min_7",  "max_7",      "trend_7",
};
#define N_FIXED ((int64_t)(sizeof fixed_names / sizeof *fixed_names))

int64_t plumb__fc_n_features(int64_t n_future) {
    return N_FIXED + n_future;
}

const char *plumb__fc_feature_name(const plumb__fc_spec *spec, int64_t f, char *buf, size_t n) {
    if (f < N_FIXED)
        return fixed_names[f];
    snprintf(buf, n, "future_%s", spec->future[f - N_FIXED]);
    return buf;
}

double plumb__fc_level(const plumb__fc_series *s, int64_t t) {
    const int64_t from = t + 1 > PLUMB__FC_LEVEL_DAYS ? t + 1 - PLUMB__FC_LEVEL_DAYS : 0;
    double sum = 0;
    for (int64_t j = from; j <= t; j++)
        sum += s->y[j];
    const double level = sum / (double)(t + 1 - from);
    return level > 0 && isfinite(level) ? level : 1.0;
}

/* Monday 0 .. Sunday 6 of a day counted from 1970-01-01 (a Thursday). */
static int weekday(int64_t day) {
    return (int)(((day % 7) + 7 + 3) % 7);
}

void plumb__fc_features(const plumb__fc_series *s, int64_t t, int64_t h, double level, const float *future,
                        int64_t n_future, float *x) {
    const double *y = s->y;
    const int64_t d = t + h; /* the target day, as an index into the series */
    const int64_t day = s->day0 + d;
    int64_t year;
    int month, mday;
    plumb__civil_from_days(day, &year, &month, &mday);
    int64_t f = 0;
    x[f++] = (float)h;
    x[f++] = (float)weekday(day);
    x[f++] = (float)month;
    x[f++] = (float)(day - plumb__days_from_civil(year, 1, 1) + 1);
    x[f++] = (float)d; /* days since launch on the target day */
    for (int64_t k = 0; k < 7; k++)
        x[f++] = t - k >= 0 ? (float)(y[t - k] / level) : NAN;
    /* the same weekday as the target day, in the last weeks before the origin */
    const int64_t back = (h + 6) / 7;
    for (int64_t m = 0; m < 3; m++) {
        const int64_t j = d - 7 * (back + m);
        x[f++] = j >= 0 ? (float)(y[j] / level) : NAN;
    }
    double sum = 0;
    int64_t cnt = 0;
    for (int64_t j = d - 7 * back; j >= 0 && j > t - 28; j -= 7) {
        sum += y[j];
        cnt++;
    }
    x[f++] = cnt ? (float)(sum / (double)cnt / level) : NAN;
    /* their median: one holiday among them does not move it */
    double v[4];
    int64_t nv = 0;
    for (int64_t j = d - 7 * back; j >= 0 && j > t - 28 && nv < 4; j -= 7) {
        int64_t k = nv++;
        for (; k > 0 && v[k - 1] > y[j]; k--)
            v[k] = v[k - 1];
        v[k] = y[j];
    }
    x[f++] = nv ? (float)((nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2) / level) : NAN;
    /* the last week: mean, spread, extremes, and its ratio to the week before */
    const int64_t from = t >= 6 ? t - 6 : 0;
    double mean = 0, lo = INFINITY, hi = -INFINITY;
    for (int64_t j = from; j <= t; j++) {
        mean += y[j];
        lo = y[j] < lo ? y[j] : lo;
        hi = y[j] > hi ? y[j] : hi;
    }
    mean /= (double)(t + 1 - from);
    double var = 0;
    for (int64_t j = from; j <= t; j++)
        var += (y[j] - mean) * (y[j] - mean);
    var /= (double)(t + 1 - from);
    x[f++] = (float)(mean / level);
    x[f++] = (float)(sqrt(var) / level);
    x[f++] = (float)(lo / level);
    x[f++] = (float)(hi / level);
    double prev = 0;
    if (t >= 13) {
        for (int64_t j = t - 13; j <= t - 7; j++)
            prev += y[j];
        prev /= 7;
    }
    x[f++] = t >= 13 && prev > 0 ? (float)(mean / prev) : NAN;
    for (int64_t k = 0; k < n_future; k++)
        x[f++] = future ? future[k] : NAN;
}
