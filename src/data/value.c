/* value.c -- the out-of-line parts of value.h: exact strtod under the C locale, ISO-8601 datetimes and the
 * civil-calendar arithmetic behind them.
 *
 * Calendar arithmetic counts days in 400-year eras of 146097 days, with years starting in March so the leap day
 * falls at the end (the method of H. Hinnant's "chrono-compatible low-level date algorithms").
 */
#define _GNU_SOURCE
#include "value.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) {
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

bool plumb__strtod_exact(const char *s, const char *e, double *out) {
    char buf[128];
    size_t n = (size_t)(e - s);
    if (n >= sizeof buf)
        return false; /* longer than any number worth reading */
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    char *end;
    double v = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
    if (end != buf + n)
        return false;
    *out = v;
    return true;
}

float plumb__strtof_exact(const char *s, const char *e) {
    char buf[128];
    size_t n = (size_t)(e - s);
    if (n >= sizeof buf)
        n = sizeof buf - 1; /* numbers that long were already refused by plumb__parse_number */
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale ? strtof_l(buf, NULL, c_locale) : strtof(buf, NULL);
}

int64_t plumb__days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void plumb__civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((unsigned)(s[i] - '0') >= 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool plumb__parse_datetime(const char *s, size_t n, int64_t *out) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, hh = 0, mi = 0, ss = 0;
    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d))
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return false;
    size_t i = 10;
    int64_t offset = 0;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        if (n < i + 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &hh) || !digits(s + i + 4, 2, &mi))
            return false;
        i += 6;
        if (i < n && s[i] == ':') {
            if (n < i + 3 || !digits(s + i + 1, 2, &ss))
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t f = i;
                while (i < n && (unsigned)(s[i] - '0') < 10)
                    i++;
                if (i == f)
                    return false;
            }
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return false;
        if (i < n && s[i] == 'Z') {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            if (n < i + 3 || !digits(s + i + 1, 2, &oh))
                return false;
            i += 3;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (n < i + 2 || !digits(s + i, 2, &om))
                    return false;
                i += 2;
            }
            if (oh > 23 || om > 59)
                return false;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != n)
        return false;
    *out = plumb__days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    return true;
}
