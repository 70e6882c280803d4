/* site.c -- the portfolio site: a static index of case-study reports plus pages written in Markdown.
 *
 * plumb_site_build reads a folder (and its sub-folders, one level deep) as `--report` and `plumb demo` leave it:
 * x.html with its run record x.json beside it. Each record gives a card on index.html -- title, kind, date, the
 * headline metric and a small chart (the ROC curve, or a regression's predicted against actual values) -- linking
 * to the report under reports/, rendered again from the record (so what is published is escaped, whatever wrote the
 * HTML beside it). Each *.md file is rendered to HTML by cmark (CommonMark; raw HTML in the Markdown is not passed
 * through, since cmark's default is safe) and becomes a page linked from every page's navigation. Cards are ordered
 * newest first (by "created"), pages by file name, so the same folder always gives the same site. The pages share one
 * small stylesheet in the visual language of the reports (system fonts, the same ink, muted and accent colours, cards
 * with thin borders); each file is written through plumb_outfile, whole or not at all. Links are relative paths built
 * from file names, percent-encoded (a page named "javascript:x.md" links to "javascript%3Ax.html"), and every string
 * from a record or a file name is HTML-escaped.
 */
#include "../base/base.h"

#include <cmark.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char css[] =
    ":root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--panel:#f6f8fa;--accent:#0b5cad;"
    "--good:#1a7f37;--bad:#b42318}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
    "color:var(--ink);background:var(--bg)}"
    "header{border-bottom:1px solid var(--line);background:var(--panel)}"
    ".wrap{max-width:980px;margin:0 auto;padding:0 20px}"
    "header .wrap{display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 24px;padding-top:14px;padding-bottom:14px}"
    ".brand{font-weight:700;font-size:18px;color:var(--ink);text-decoration:none}"
    "nav a{color:var(--accent);text-decoration:none;margin-right:16px}nav a:hover{text-decoration:underline}"
    "main{padding:28px 0 48px}h1{font-size:28px;line-height:1.25;margin:0 0 6px}"
    ".lead{color:var(--muted);margin:0 0 24px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr));gap:18px}"
    ".card>div{flex:1;min-width:0}"
    ".card{display:flex;gap:14px;border:1px solid var(--line);border-radius:8px;padding:16px;background:var(--bg);"
    "color:inherit;text-decoration:none}"
    ".card:hover{border-color:var(--accent);box-shadow:0 1px 4px rgba(31,35,40,.12)}"
    ".card h2{font-size:17px;line-height:1.3;margin:0 0 6px}"
    ".meta{color:var(--muted);font-size:13px;margin:0 0 8px}"
    ".metric{font-size:26px;font-weight:700;font-variant-numeric:tabular-nums}"
    ".metric small{display:block;font-size:12px;font-weight:400;color:var(--muted)}"
    ".card svg{flex:none;width:120px;height:120px}"
    "article{max-width:760px}article h1,article h2,article h3{line-height:1.3}"
    "article pre{background:var(--panel);padding:12px;border-radius:6px;overflow-x:auto}"
    "article code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px}"
    "article table{border-collapse:collapse}article td,article th{border:1px solid var(--line);padding:4px 8px}"
    "article a{color:var(--accent)}"
    "footer{border-top:1px solid var(--line);color:var(--muted);font-size:13px;padding:14px 0}"
    "@media print{header,footer{display:none}.card{break-inside:avoid}}";

typedef struct entry {
    char *rel;     /* path of the record without ".json", relative to in_dir */
    char *slug;    /* file name under reports/ without ".html" */
    json_t *rec;   /* the run record */
    char *title;   /* pages: the first heading, else the file name */
    char *created; /* records: for the order */
} entry;

typedef struct site {
    const char *in, *out;
    entry *reports, *pages;
    int64_t n_reports, n_pages, cap_reports, cap_pages;
} site;

/* ---- small helpers ------------------------------------------------------------------------------------------ */

static char *dup_printf(const char *fmt, ...) PLUMB__PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static bool ends_with(const char *s, const char *tail) {
    const size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Writes the first n bytes of s (or all of it, if shorter) with &, <, >, " and ' escaped. */
static void put_escaped_n(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; s && *s && i < n; s++, i++)
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
}

static void put_escaped(FILE *f, const char *s) {
    put_escaped_n(f, s, (size_t)-1);
}

/* Writes s[0..n) as a path segment of a URL: every byte but the unreserved ones (RFC 3986: letters, digits, '-',
 * '.', '_', '~') percent-encoded. A file name such as "javascript:alert(1)" thus stays a relative path (its colon
 * becomes %3A, so no scheme can be read into it), and no quote, space or bracket can end the attribute. */
static void put_url_segment(FILE *f, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~')
            fputc(c, f);
        else
            fprintf(f, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

/* Writes href="<dir><slug>.html": dir is one of the site's own folders ("" or "reports/"), slug a file name. */
static void put_href(FILE *f, const char *dir, const char *slug) {
    fprintf(f, "href=\"%s", dir);
    put_url_segment(f, slug, strlen(slug));
    fputs(".html\"", f);
}

/* Reads a whole file into a malloc'ed, NUL-terminated buffer. */
static plumb_status read_all(const char *path, char **out, size_t *len, plumb_error *err) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return plumb__fail(err, PLUMB_EIO, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            }
            buf = b;
        }
        const size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (got < 65536)
            break;
    }
    const bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return plumb__fail(err, PLUMB_EIO, "cannot read '%s'", path);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return PLUMB_OK;
}

static plumb_status make_dir(const char *path, plumb_error *err) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return plumb__fail(err, PLUMB_EIO, "cannot create folder '%s': %s", path, strerror(errno));
    return PLUMB_OK;
}

/* ---- collecting the folder ---------------------------------------------------------------------------------- */

static plumb_status add_report(site *s, const char *rel, plumb_error *err) {
    char *json_path = dup_printf("%s/%s.json", s->in, rel), *html_path = dup_printf("%s/%s.html", s->in, rel);
    plumb_status st = PLUMB_OK;
    struct stat sb;
    if (!json_path || !html_path) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (stat(html_path, &sb) != 0) /* a JSON file without its report is not a report */
        goto done;
    json_error_t je;
    json_t *rec = json_load_file(json_path, 0, &je);
    if (!rec || json_integer_value(json_object_get(rec, "plumb_run")) != 1) {
        json_decref(rec); /* any other JSON file (a schema, a truth file) is not ours to list */
        goto done;
    }
    if (s->n_reports == s->cap_reports) {
        s->cap_reports = s->cap_reports ? 2 * s->cap_reports : 8;
        entry *e = realloc(s->reports, (size_t)s->cap_reports * sizeof *e);
        if (!e) {
            json_decref(rec);
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            goto done;
        }
        s->reports = e;
    }
    entry *e = &s->reports[s->n_reports++];
    memset(e, 0, sizeof *e);
    e->rec = rec;
    e->rel = strdup(rel);
    e->slug = strdup(rel);
    const char *created = json_string_value(json_object_get(rec, "created"));
    e->created = strdup(created ? created : "");
    if (!e->rel || !e->slug || !e->created) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (char *p = e->slug; *p; p++)
        if (*p == '/')
            *p = '-';
done:
    free(json_path);
    free(html_path);
    return st;
}

static plumb_status add_page(site *s, const char *rel, plumb_error *err) {
    if (s->n_pages == s->cap_pages) {
        s->cap_pages = s->cap_pages ? 2 * s->cap_pages : 8;
        entry *e = realloc(s->pages, (size_t)s->cap_pages * sizeof *e);
        if (!e)
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        s->pages = e;
    }
    entry *e = &s->pages[s->n_pages++];
    memset(e, 0, sizeof *e);
    char *path = dup_printf("%s/%s.md", s->in, rel), *text = NULL;
    if (!path || !(e->rel = strdup(rel)) || !(e->slug = strdup(rel))) {
        free(path);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (char *p = e->slug; *p; p++)
        if (*p == '/')
            *p = '-';
    if (strcmp(e->slug, "index") == 0) { /* index.html is the list of case studies */
        free(e->slug);
        if (!(e->slug = strdup("index-page"))) {
            free(path);
            return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        }
    }
    plumb_status st = read_all(path, &text, NULL, err);
    free(path);
    if (st != PLUMB_OK)
        return st;
    /* the title: the first ATX heading's text, else the file name */
    const char *t = NULL;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (line[0] == '#') {
            t = line;
            break;
        }
    if (t) {
        while (*t == '#')
            t++;
        while (*t == ' ')
            t++;
        const size_t n = strcspn(t, "\r\n");
        e->title = dup_printf("%.*s", (int)n, t);
    } else {
        e->title = strdup(e->slug);
    }
    free(text);
    return e->title ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the reports and pages of folder prefix (relative to in_dir; "" for in_dir itself). */
static plumb_status scan(site *s, const char *prefix, int depth, plumb_error *err) {
    char *dir_path = prefix[0] ? dup_printf("%s/%s", s->in, prefix) : strdup(s->in);
    if (!dir_path)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    DIR *dir = opendir(dir_path);
    if (!dir) {
        plumb_status st = plumb__fail(err, PLUMB_EIO, "cannot open folder '%s': %s", dir_path, strerror(errno));
        free(dir_path);
        return st;
    }
    /* names sorted, so the site does not depend on the file system's order */
    char **names = NULL;
    size_t n = 0, cap = 0;
    plumb_status st = PLUMB_OK;
    for (struct dirent *de; (de = readdir(dir));) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(dir);
    if (names)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; st == PLUMB_OK && i < n; i++) {
        char *rel = prefix[0] ? dup_printf("%s/%s", prefix, names[i]) : strdup(names[i]);
        char *full = dup_printf("%s/%s", dir_path, names[i]);
        struct stat sb;
        if (!rel || !full) {
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        } else if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (depth == 0)
                st = scan(s, rel, depth + 1, err);
        } else if (ends_with(rel, ".json")) {
            rel[strlen(rel) - 5] = '\0';
            st = add_report(s, rel, err);
        } else if (ends_with(rel, ".md")) {
            rel[strlen(rel) - 3] = '\0';
            st = add_page(s, rel, err);
        }
        free(rel);
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir_path);
    return st;
}

/* ---- writing ------------------------------------------------------------------------------------------------ */

static void page_head(FILE *f, const site *s, const char *title, const char *root) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
          f);
    put_escaped(f, title);
    fprintf(f, "</title><style>%s</style></head>\n<body><header><div class=\"wrap\"><a class=\"brand\" ", css);
    put_href(f, root, "index");
    fputs(">Case studies</a><nav>", f);
    for (int64_t i = 0; i < s->n_pages; i++) {
        fputs("<a ", f);
        put_href(f, root, s->pages[i].slug);
        fputs(">", f);
        put_escaped(f, s->pages[i].title);
        fputs("</a>", f);
    }
    fputs("</nav></div></header>\n<main><div class=\"wrap\">\n", f);
}

static void page_foot(FILE *f) {
    fprintf(f,
            "</div></main>\n<footer><div class=\"wrap\">Built with plumb %s from its run records.</div></footer>"
            "\n</body></html>\n",
            plumb_version());
}

/* The evaluation the card shows: for a case study the last one out of time, else the first with a ROC curve or,
 * for regression, an R^2. */
static const json_t *main_evaluation(const json_t *rec) {
    const json_t *evs = json_object_get(rec, "evaluations"), *best = NULL;
    size_t i;
    const json_t *e;
    json_array_foreach(evs, i, e) {
        if (!json_object_get(json_object_get(e, "curves"), "roc") &&
            !json_is_number(json_object_get(json_object_get(e, "metrics"), "r2")))
            continue;
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!best || (name && strstr(name, "out of time")))
            best = e;
    }
    return best;
}

/* A small ROC chart (120 x 120, chance diagonal, the curve) of evaluation e; k numbers it on the page. */
static void roc_svg(FILE *f, const json_t *e, int k) {
    const json_t *roc = json_object_get(json_object_get(e, "curves"), "roc");
    const json_t *fpr = json_object_get(roc, "fpr"), *tpr = json_object_get(roc, "tpr");
    fprintf(f,
            "<svg class=\"chart\" id=\"roc%d\" viewBox=\"0 0 120 120\" role=\"img\" aria-labelledby=\"roc%d-t\">"
            "<title id=\"roc%d-t\">ROC curve</title>",
            k, k, k);
    fputs(""
          "<rect x=\"10\" y=\"10\" width=\"100\" height=\"100\" fill=\"#f6f8fa\" stroke=\"#d1d9e0\"/>"
          "<line x1=\"10\" y1=\"110\" x2=\"110\" y2=\"10\" stroke=\"#8c959f\" stroke-dasharray=\"3 3\"/>"
          "<polyline fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"2\" points=\"",
          f);
    for (size_t i = 0; i < json_array_size(fpr) && i < json_array_size(tpr); i++) {
        const double x = json_number_value(json_array_get(fpr, i)), y = json_number_value(json_array_get(tpr, i));
        if (isfinite(x) && isfinite(y))
            fprintf(f, "%.1f,%.1f ", 10 + 100 * x, 110 - 100 * y);
    }
    fputs("\"/><text x=\"60\" y=\"119\" font-size=\"8\" text-anchor=\"middle\" fill=\"#59636e\">false positive "
          "rate</text></svg>",
          f);
}

/* A small chart of a regression evaluation e (120 x 120): predicted across, actual up, the line y = x, a dot per
 * row of its "regression.points"; k numbers it on the page. Nothing without points. */
static void scatter_svg(FILE *f, const json_t *e, int k) {
    const json_t *pts = json_object_get(json_object_get(e, "regression"), "points");
    const json_t *px = json_object_get(pts, "predicted"), *py = json_object_get(pts, "actual");
    const size_t n = json_array_size(px) < json_array_size(py) ? json_array_size(px) : json_array_size(py);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++) {
            const json_t *v = json_array_get(a ? py : px, i);
            if (json_is_number(v))
                lo = fmin(lo, json_number_value(v)), hi = fmax(hi, json_number_value(v));
        }
    if (!(lo < hi))
        return;
    fprintf(f,
            "<svg class=\"chart\" id=\"roc%d\" viewBox=\"0 0 120 120\" role=\"img\" aria-labelledby=\"roc%d-t\">"
            "<title id=\"roc%d-t\">Predicted against actual</title>"
            "<rect x=\"10\" y=\"10\" width=\"100\" height=\"100\" fill=\"#f6f8fa\" stroke=\"#d1d9e0\"/>"
            "<line x1=\"10\" y1=\"110\" x2=\"110\" y2=\"10\" stroke=\"#8c959f\" stroke-dasharray=\"3 3\"/>",
            k, k, k);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(px, i), *y = json_array_get(py, i);
        if (json_is_number(x) && json_is_number(y))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.3\" fill=\"#0b5cad\" fill-opacity=\"0.6\"/>",
                    10 + 100 * (json_number_value(x) - lo) / (hi - lo),
                    110 - 100 * (json_number_value(y) - lo) / (hi - lo));
    }
    fputs("<text x=\"60\" y=\"119\" font-size=\"8\" text-anchor=\"middle\" fill=\"#59636e\">predicted</text></svg>", f);
}

/* How a metric or a record kind reads in a sentence: "roc_auc" -> "ROC-AUC", "case_study" -> "case study". */
static const char *readable(const char *name) {
    static const struct {
        const char *key, *text;
    } names[] = {{"roc_auc", "ROC-AUC"},       {"r2", "R\xc2\xb2"},        {"pr_auc", "PR-AUC"},
                 {"case_study", "case study"}, {"cv", "cross-validation"}, {"eval", "evaluation"},
                 {"train", "training"},        {"audit", "audit"}};
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i].key) == 0)
            return names[i].text;
    return name ? name : "";
}

/* The headline: for a case study, the last comparison row's out-of-time value; else the main evaluation's ROC-AUC
 * (or R^2, or the audit's number of findings). Writes the label into label and the decimals to show. */
static double headline(const json_t *rec, const json_t *ev, char *label, size_t n, int *decimals) {
    *decimals = 3;
    const json_t *cmp = json_object_get(rec, "comparison");
    if (json_array_size(cmp) > 0) {
        const json_t *last = json_array_get(cmp, json_array_size(cmp) - 1);
        const json_t *v = json_object_get(last, "out_of_time");
        if (json_is_number(v)) {
            const char *name = json_string_value(json_object_get(last, "name"));
            snprintf(label, n, "%s out of time%s%s", readable(json_string_value(json_object_get(last, "metric"))),
                     name ? ", " : "", name ? name : "");
            return json_number_value(v);
        }
    }
    const json_t *metrics = json_object_get(ev, "metrics");
    static const char *const keys[] = {"roc_auc", "r2"}, *const shown[] = {"ROC-AUC", "R\xc2\xb2"};
    for (int k = 0; k < 2; k++) {
        const json_t *v = json_object_get(metrics, keys[k]);
        if (json_is_number(v)) {
            const char *name = json_string_value(json_object_get(ev, "name"));
            snprintf(label, n, "%s%s%s", shown[k], name ? ", " : "", name ? name : "");
            return json_number_value(v);
        }
    }
    const json_t *findings = json_object_get(json_object_get(rec, "audit"), "findings");
    if (json_is_array(findings)) {
        snprintf(label, n, "audit findings");
        *decimals = 0;
        return (double)json_array_size(findings);
    }
    label[0] = '\0';
    return NAN;
}

static int cmp_created(const void *a, const void *b) {
    const entry *x = a, *y = b;
    const int c = strcmp(y->created, x->created); /* newest first */
    return c ? c : strcmp(x->rel, y->rel);
}

static plumb_status write_index(const site *s, plumb_error *err) {
    char *path = dup_printf("%s/index.html", s->out);
    plumb_outfile *of = NULL;
    FILE *f;
    if (!path)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    plumb_status st = plumb_outfile_open(path, &of, &f, err);
    free(path);
    if (st != PLUMB_OK)
        return st;
    page_head(f, s, "Case studies", "");
    fprintf(
        f,
        "<h1>Case studies</h1><p class=\"lead\" id=\"summary\">%lld report%s: each card opens the full report with its "
        "charts and every number behind it.</p>\n<div class=\"cards\">\n",
        (long long)s->n_reports, s->n_reports == 1 ? "" : "s");
    for (int64_t i = 0; i < s->n_reports; i++) {
        const entry *e = &s->reports[i];
        const json_t *ev = main_evaluation(e->rec);
        char label[256];
        int decimals;
        const double h = headline(e->rec, ev, label, sizeof label, &decimals);
        fputs("<a class=\"card\" ", f);
        put_href(f, "reports/", e->slug);
        fputs("><div><h2>", f);
        const char *title = json_string_value(json_object_get(e->rec, "title"));
        put_escaped(f, title ? title : e->rel);
        fputs("</h2><p class=\"meta\">", f);
        put_escaped(f, readable(json_string_value(json_object_get(e->rec, "kind"))));
        fputs(" &middot; ", f);
        put_escaped_n(f, e->created, 10); /* the date of an ISO 8601 time */
        fputs("</p>", f);
        if (!isnan(h)) {
            fprintf(f, "<div class=\"metric\">%.*f<small>", decimals, h);
            put_escaped(f, label);
            fputs("</small></div>", f);
        }
        fputs("</div>", f);
        if (ev && json_object_get(json_object_get(ev, "curves"), "roc"))
            roc_svg(f, ev, (int)i);
        else if (ev)
            scatter_svg(f, ev, (int)i);
        fputs("</a>\n", f);
    }
    fputs("</div>\n", f);
    page_foot(f);
    return plumb_outfile_commit(of, err);
}

static plumb_status write_page(const site *s, const entry *e, plumb_error *err) {
    char *src = dup_printf("%s/%s.md", s->in, e->rel), *dst = dup_printf("%s/%s.html", s->out, e->slug);
    char *text = NULL, *html = NULL;
    size_t len = 0;
    plumb_outfile *of = NULL;
    FILE *f;
    plumb_status st = PLUMB_OK;
    if (!src || !dst) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = read_all(src, &text, &len, err)) != PLUMB_OK)
        goto done;
    if (!(html = cmark_markdown_to_html(text, len, CMARK_OPT_DEFAULT))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = plumb_outfile_open(dst, &of, &f, err)) != PLUMB_OK)
        goto done;
    page_head(f, s, e->title, "");
    fputs("<article>\n", f);
    fputs(html, f);
    fputs("</article>\n", f);
    page_foot(f);
    st = plumb_outfile_commit(of, err);
done:
    free(src);
    free(dst);
    free(text);
    free(html);
    return st;
}

/* Copies in_dir/rel.ext to out/reports/slug.ext. */
static plumb_status copy_file(const site *s, const entry *e, const char *ext, plumb_error *err) {
    char *src = dup_printf("%s/%s.%s", s->in, e->rel, ext), *dst = dup_printf("%s/reports/%s.%s", s->out, e->slug, ext);
    char *data = NULL;
    size_t len = 0;
    plumb_outfile *of = NULL;
    FILE *f;
    plumb_status st = PLUMB_OK;
    if (!src || !dst)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    else if ((st = read_all(src, &data, &len, err)) == PLUMB_OK &&
             (st = plumb_outfile_open(dst, &of, &f, err)) == PLUMB_OK) {
        fwrite(data, 1, len, f);
        st = plumb_outfile_commit(of, err);
    }
    free(src);
    free(dst);
    free(data);
    return st;
}

/* Writes out/reports/slug.html rendered afresh from the record in_dir/rel.json, rather than copying the HTML found
 * beside it: the published page is then the one this plumb renders from the record, escaped, whatever wrote (or
 * edited) the file in the folder. */
static plumb_status render_report(const site *s, const entry *e, plumb_error *err) {
    char *src = dup_printf("%s/%s.json", s->in, e->rel), *dst = dup_printf("%s/reports/%s.html", s->out, e->slug);
    char *data = NULL;
    size_t len = 0;
    plumb_outfile *of = NULL;
    FILE *f;
    plumb_status st = PLUMB_OK;
    if (!src || !dst)
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    else if ((st = read_all(src, &data, &len, err)) == PLUMB_OK &&
             (st = plumb_outfile_open(dst, &of, &f, err)) == PLUMB_OK) {
        if ((st = plumb_report_render(data, len, src, f, err)) == PLUMB_OK)
            st = plumb_outfile_commit(of, err);
        else
            plumb_outfile_abort(of);
    }
    free(src);
    free(dst);
    free(data);
    return st;
}

static plumb_status site_build(const char *in_dir, const char *out_dir, int64_t *n_reports, int64_t *n_pages,
                               plumb_error *err) {
    site s = {.in = in_dir, .out = out_dir};
    plumb_status st = PLUMB_OK;
    char *reports_dir = NULL;
    if (!in_dir || !out_dir || !in_dir[0] || !out_dir[0])
        return plumb__fail(err, PLUMB_EINVAL, "the site needs an input and an output folder");
    if ((st = scan(&s, "", 0, err)) != PLUMB_OK)
        goto done;
    if (s.n_reports == 0 && s.n_pages == 0) {
        st = plumb__fail(err, PLUMB_EINVAL, "'%s' holds no report (x.html with its run record x.json) and no *.md page",
                         in_dir);
        goto done;
    }
    if (s.n_reports > 1)
        qsort(s.reports, (size_t)s.n_reports, sizeof *s.reports, cmp_created);
    if (!(reports_dir = dup_printf("%s/reports", out_dir))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = make_dir(out_dir, err)) != PLUMB_OK || (st = make_dir(reports_dir, err)) != PLUMB_OK)
        goto done;
    for (int64_t i = 0; i < s.n_reports && st == PLUMB_OK; i++)
        if ((st = render_report(&s, &s.reports[i], err)) == PLUMB_OK)
            st = copy_file(&s, &s.reports[i], "json", err);
    for (int64_t i = 0; i < s.n_pages && st == PLUMB_OK; i++)
        st = write_page(&s, &s.pages[i], err);
    if (st == PLUMB_OK)
        st = write_index(&s, err);
    if (st == PLUMB_OK && n_reports)
        *n_reports = s.n_reports;
    if (st == PLUMB_OK && n_pages)
        *n_pages = s.n_pages;
done:
    for (int64_t i = 0; i < s.n_reports; i++) {
        json_decref(s.reports[i].rec);
        free(s.reports[i].rel);
        free(s.reports[i].slug);
        free(s.reports[i].created);
    }
    for (int64_t i = 0; i < s.n_pages; i++) {
        free(s.pages[i].rel);
        free(s.pages[i].slug);
        free(s.pages[i].title);
    }
    free(s.reports);
    free(s.pages);
    free(reports_dir);
    return st;
}

plumb_status plumb_site_build(const char *in_dir, const char *out_dir, int64_t *n_reports, int64_t *n_pages,
                              plumb_error *err) {
    const locale_t saved = plumb__c_locale_enter();
    const plumb_status st = site_build(in_dir, out_dir, n_reports, n_pages, err);
    plumb__c_locale_leave(saved);
    return st;
}
