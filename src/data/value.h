/* value.h -- parsers for the scalar values of a CSV field: numbers, booleans, ISO-8601 datetimes.
 *
 * These are the reader's inner loop, so they are inline and bounded by an end pointer (the input is a buffer
 * with no terminating NUL). Numbers follow Clinger's fast path: when the decimal significand fits in 53 bits
 * and the power of ten is exact in a double (|e| <= 22), one IEEE multiplication or division gives the correctly
 * rounded result; anything else goes to strtod_l under the C locale, so "1.5" never depends on the process
 * locale.
 */
#ifndef PLUMB_DATA_VALUE_H
#define PLUMB_DATA_VALUE_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Slow path of plumb__parse_number: converts [s, e) with strtod under the C locale. */
bool plumb__strtod_exact(const char *s, const char *e, double *out);

/* Parses the longest decimal number at [p, end): [+-]digits[.digits][(e|E)[+-]digits], or with digits only
 * after the point. Returns the first byte after it, or NULL when there is no number at p. */
static inline const char *plumb__parse_number(const char *p, const char *end, double *out) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *start = p;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int n_sig = 0;        /* significant digits held in m */
    int e10 = 0;          /* decimal exponent to apply to m */
    bool inexact = false; /* a nonzero digit did not fit in m */
    bool any = false;
    for (; p < end && (unsigned)(*p - '0') < 10; p++) {
        any = true;
        if (n_sig < 19) {
            m = m * 10 + (unsigned)(*p - '0');
            n_sig += m != 0;
        } else {
            e10++;
            inexact |= *p != '0';
        }
    }
    if (p < end && *p == '.') {
        p++;
        for (; p < end && (unsigned)(*p - '0') < 10; p++) {
            any = true;
            if (n_sig < 19) {
                m = m * 10 + (unsigned)(*p - '0');
                n_sig += m != 0;
                e10--;
            } else {
                inexact |= *p != '0';
            }
        }
    }
    if (!any)
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        bool eneg = false;
        if (q < end && (*q == '-' || *q == '+')) {
            eneg = *q == '-';
            q++;
        }
        if (q == end || (unsigned)(*q - '0') >= 10)
            return NULL; /* "1e" or "1e+" is not a number */
        int x = 0;
        for (; q < end && (unsigned)(*q - '0') < 10; q++)
            if (x < 100000)
                x = x * 10 + (*q - '0');
        e10 += eneg ? -x : x;
        p = q;
    }
    double v;
    if (m == 0 && !inexact) {
        v = 0.0;
    } else if (!inexact && m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        v = (double)m;
        v = e10 < 0 ? v / pow10[-e10] : v * pow10[e10];
    } else {
        return plumb__strtod_exact(start, p, out) ? p : NULL;
    }
    *out = neg ? -v : v;
    return p;
}

/* Slow path of plumb__to_float: [s, e) with strtof under the C locale. */
float plumb__strtof_exact(const char *s, const char *e);

/* The float nearest to the decimal number [s, e), given v, the double nearest to it. Rounding v to float is
 * right unless v lies exactly halfway between two floats (its low 29 significand bits are 1000...0): then the
 * first rounding may have made the tie, and the text decides. Float subnormals have fewer bits: text too. */
static inline float plumb__to_float(double v, const char *s, const char *e) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if ((bits & 0x1FFFFFFFu) != 0x10000000u && !(fabs(v) < FLT_MIN && v != 0))
        return (float)v;
    return plumb__strtof_exact(s, e);
}

/* "true"/"false" in lower, upper or title case. */
static inline bool plumb__parse_bool(const char *s, size_t n, uint8_t *out) {
    if (n == 4 &&
        (!__builtin_memcmp(s, "true", 4) || !__builtin_memcmp(s, "TRUE", 4) || !__builtin_memcmp(s, "True", 4))) {
        *out = 1;
        return true;
    }
    if (n == 5 &&
        (!__builtin_memcmp(s, "false", 5) || !__builtin_memcmp(s, "FALSE", 5) || !__builtin_memcmp(s, "False", 5))) {
        *out = 0;
        return true;
    }
    return false;
}

/* ISO-8601 "YYYY-MM-DD" optionally followed by ('T' or ' ') "HH:MM[:SS[.fraction]]" and 'Z' or an offset
 * "+HH:MM"/"+HHMM"/"+HH". Writes seconds since 1970-01-01T00:00:00Z (the fraction is dropped). Rejects
 * impossible dates such as 2023-02-29. */
bool plumb__parse_datetime(const char *s, size_t n, int64_t *out);

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d, and its inverse. */
int64_t plumb__days_from_civil(int64_t y, int m, int d);
void plumb__civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif /* PLUMB_DATA_VALUE_H */
