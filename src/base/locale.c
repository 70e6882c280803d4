/* locale.c -- the C locale for the library's own number formatting and parsing, whatever the host chose.
 *
 * A host that calls setlocale(LC_ALL, "") under de_DE would otherwise make every printf("%g") in the library
 * write "0,5" (invalid SVG, JSON and rules) and strtod stop at the '.' of "0.5". Public entry points that format
 * or parse numbers bracket their work with plumb__c_locale_enter/leave: uselocale() switches the calling thread
 * only, so a server's other threads and the host's own locale are untouched, and nested entries are harmless
 * (the inner one restores the C locale it found). The locale object is created once, on first use, under
 * pthread_once, and never freed (one per process, like the C library's own). OpenMP worker threads do not
 * inherit a thread's locale: code that formats numbers inside a parallel region must take plumb__c_locale() and
 * use the _l functions, or format outside the region.
 */
#include "base.h"

#include <pthread.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) {
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t plumb__c_locale(void) {
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

locale_t plumb__c_locale_enter(void) {
    const locale_t c = plumb__c_locale();
    return c ? uselocale(c) : (locale_t)0;
}

void plumb__c_locale_leave(locale_t saved) {
    if (saved)
        uselocale(saved);
}
