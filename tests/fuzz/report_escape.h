/* report_escape.h -- the escaping property of the report renderer, checked by its fuzzer and its unit test.
 *
 * Property: no byte of a string from the run record reaches the page as markup. The check renders the record
 * twice: once as it is, once with every '<', '>', '"' and '\'' inside its strings (values and keys, at any depth)
 * replaced by 'Q'. The renderer's own markup is the same in both pages -- none of its decisions can tell the two
 * records apart: 'Q' and those four characters are one byte each (same truncations, same widths) and no name the
 * renderer looks for contains any of them -- while a string it escapes becomes &lt; &gt; &quot; &#39; in the first
 * page and Q in the second, so neither adds one of the four characters. Any difference in the count of one of them
 * is a record string written without escaping. Records whose rewritten keys would collide are skipped.
 *
 * Test-only code: it aborts on a failed allocation rather than carrying an error path.
 */
#ifndef PLUMB_REPORT_ESCAPE_H
#define PLUMB_REPORT_ESCAPE_H

#include <plumb/plumb.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plumb_escape_specials[] = "<>\"'";

/* A copy of s with the special characters replaced; free() it. */
static char *plumb_escape_neutral(const char *s, size_t n) {
    char *t = malloc(n + 1);
    if (!t)
        abort();
    for (size_t i = 0; i < n; i++)
        t[i] = s[i] && strchr(plumb_escape_specials, s[i]) ? 'Q' : s[i];
    t[n] = '\0';
    return t;
}

/* The tree v with every string neutralised; NULL when two keys of one object would become the same. */
static json_t *plumb_escape_rewrite(const json_t *v) {
    if (json_is_string(v)) {
        char *t = plumb_escape_neutral(json_string_value(v), json_string_length(v));
        json_t *s = json_stringn(t, json_string_length(v));
        free(t);
        return s;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            json_t *y = plumb_escape_rewrite(x);
            if (!y || json_array_append_new(a, y) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *key;
        json_t *x;
        json_object_foreach((json_t *)v, key, x) {
            char *k = plumb_escape_neutral(key, strlen(key));
            json_t *y = json_object_get(o, k) ? NULL : plumb_escape_rewrite(x);
            if (!y || json_object_set_new(o, k, y) != 0) {
                free(k);
                json_decref(o);
                return NULL;
            }
            free(k);
        }
        return o;
    }
    return json_deep_copy(v);
}

/* The page of record json[0..len), malloc'ed and NUL-terminated; NULL when the renderer refuses the record. */
static char *plumb_escape_render(const char *json, size_t len) {
    char *page = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&page, &n);
    if (!f)
        abort();
    plumb_error err;
    const plumb_status st = plumb_report_render(json, len, "record.json", f, &err);
    fclose(f);
    if (st != PLUMB_OK) {
        free(page);
        return NULL;
    }
    return page;
}

/* Checks the property on record json[0..len). Returns true when it holds or does not apply (not a JSON object,
 * refused by the renderer, colliding keys); false with a description in why[0..n) when a record string reached the
 * page unescaped. */
static bool plumb_report_escapes(const char *json, size_t len, char *why, size_t n) {
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL), *neutral = NULL;
    char *a = NULL, *b = NULL, *ja = NULL, *jb = NULL;
    bool ok = true;
    if (!json_is_object(root) || !(neutral = plumb_escape_rewrite(root)))
        goto done;
    /* both records dumped the same way, so they differ only in the characters replaced */
    ja = json_dumps(root, JSON_COMPACT);
    jb = json_dumps(neutral, JSON_COMPACT);
    if (!ja || !jb || !(a = plumb_escape_render(ja, strlen(ja))))
        goto done;
    if (!(b = plumb_escape_render(jb, strlen(jb)))) {
        snprintf(why, n, "the record with its strings neutralised is refused, the original is not");
        ok = false;
        goto done;
    }
    for (const char *c = plumb_escape_specials; *c && ok; c++) {
        size_t in_a = 0, in_b = 0;
        for (size_t i = 0; a[i]; i++)
            in_a += a[i] == *c;
        for (size_t i = 0; b[i]; i++)
            in_b += b[i] == *c;
        if (in_a != in_b) {
            size_t i = 0; /* the first byte where the pages part */
            while (a[i] && a[i] == b[i])
                i++;
            snprintf(why, n,
                     "'%c' appears %zu times in the page, %zu times with the record's strings neutralised; the "
                     "pages part at byte %zu: '%.60s'",
                     *c, in_a, in_b, i, a + (i > 20 ? i - 20 : 0));
            ok = false;
        }
    }
done:
    free(a);
    free(b);
    free(ja);
    free(jb);
    json_decref(root);
    json_decref(neutral);
    return ok;
}

#endif /* PLUMB_REPORT_ESCAPE_H */
