/* svg.c -- chart primitives drawn as inline SVG: nice ticks, line/area charts, horizontal bars, a confusion
 * heatmap and a cross-validation strip plot.
 *
 * Every chart is an <svg> with a viewBox (it scales to its container), role="img", a <title> and a <desc> that
 * aria-labelledby points to, its title drawn at the top and axis labels on the axes. Coordinates are printed with
 * one decimal through plumb__buf_coord and values through plumb__fmt_fixed, so the output is the same bytes for
 * the same input, and non-finite values never reach the markup: points are skipped, bars left out.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const plumb__colors[PLUMB__N_COLORS] = {"#2f5d8a", "#c8553d", "#4d8b55", "#b42318", "#b7791f", "#6b5b95"};

#define W 480.0
#define FONT_W 6.4 /* average advance of a 12px sans-serif character, for layout estimates */
#define MAX_POINTS 200

/* ---------------------------------------------------------------------------------------------------------- */
/* Ticks                                                                                                       */
/* ---------------------------------------------------------------------------------------------------------- */

/* A 1, 2, 5 (or 10) times a power of ten near x: rounded to the nearest when round, else the next above. */
static double nice_number(double x, bool round) {
    const double e = floor(log10(x)), f = x / pow(10, e);
    double nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

int plumb__nice_ticks(double lo, double hi, int target, double *ticks, double *nice_lo, double *nice_hi,
                      int *decimals) {
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        const double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12 * fmax(1, fmax(fabs(lo), fabs(hi)))) {
        const double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    if (target < 2)
        target = 2;
    if (target > PLUMB__MAX_TICKS - 1)
        target = PLUMB__MAX_TICKS - 1;
    const double range = nice_number(hi - lo, false);
    double step = nice_number(range / (target - 1), true);
    double g_lo = floor(lo / step) * step, g_hi = ceil(hi / step) * step;
    while ((g_hi - g_lo) / step + 1.5 > PLUMB__MAX_TICKS) { /* a range the rounding stretched: coarser steps */
        step = nice_number(step * 1.5, false);
        g_lo = floor(lo / step) * step;
        g_hi = ceil(hi / step) * step;
    }
    int n = 0;
    for (double t = g_lo; t <= g_hi + 0.5 * step && n < PLUMB__MAX_TICKS; t = g_lo + (double)n * step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    if (nice_lo)
        *nice_lo = g_lo;
    if (nice_hi)
        *nice_hi = ticks[n - 1];
    if (decimals) {
        const int d = (int)-floor(log10(step) + 1e-9);
        *decimals = d > 0 ? d : 0;
    }
    return n;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Shared pieces                                                                                               */
/* ---------------------------------------------------------------------------------------------------------- */

static void num(plumb__buf *b, double v) {
    plumb__buf_coord(b, v);
}

static void shorten(char *out, size_t n, const char *s, size_t max);

/* <svg ...><title/><desc/> and the title text; h is the height of the chart. A title too long for one line is
 * broken at a space onto a second (itself shortened to fit, the whole in <title>): the chart below moves down by
 * TITLE_LINE inside a group, and the svg grows by as much. Returns whether it did; close_svg closes the group. */
#define TITLE_LINE 17.0
static void title_line(plumb__buf *b, double y, const char *s) {
    plumb__buf_printf(b, "<text x=\"8\" y=\"%g\" font-size=\"13\" font-weight=\"600\">", y);
    plumb__buf_html(b, s);
    plumb__buf_put(b, "</text>\n");
}

static bool open_svg(plumb__buf *b, int id, double h, const char *title, const char *desc) {
    /* the visible title fits the width (13px semibold: about 7.6 units a character) */
    const size_t max = (size_t)((W - 16) / 7.6);
    const char *t = title ? title : "";
    size_t chars = 0, split = 0; /* split: the byte after the last space within max characters */
    for (size_t i = 0; t[i]; i++) {
        if (((unsigned char)t[i] & 0xC0) == 0x80)
            continue;
        if (t[i] == ' ' && chars <= max)
            split = i;
        chars++;
    }
    const bool two = chars > max && split > 0;
    plumb__buf_printf(b, "<svg class=\"chart\" id=\"chart-%d\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ",
                      id);
    num(b, W);
    plumb__buf_put(b, " ");
    num(b, h + (two ? TITLE_LINE : 0));
    plumb__buf_put(b, "\" width=\"");
    num(b, W);
    plumb__buf_put(b, "\" height=\"");
    num(b, h + (two ? TITLE_LINE : 0));
    plumb__buf_printf(
        b, "\" role=\"img\" aria-labelledby=\"chart-%d-title chart-%d-desc\">\n<title id=\"chart-%d-title\">", id, id,
        id);
    plumb__buf_html(b, title ? title : "chart");
    plumb__buf_printf(b, "</title>\n<desc id=\"chart-%d-desc\">", id);
    plumb__buf_html(b, desc ? desc : "");
    plumb__buf_put(b, "</desc>\n");
    char cut[256];
    if (two) {
        snprintf(cut, sizeof cut, "%.*s", (int)split, t);
        title_line(b, 18, cut);
        shorten(cut, sizeof cut, t + split + 1, max);
        title_line(b, 18 + TITLE_LINE, cut);
        plumb__buf_printf(b, "<g transform=\"translate(0 %g)\">\n", TITLE_LINE);
    } else {
        shorten(cut, sizeof cut, t, max);
        title_line(b, 18, cut);
    }
    return two;
}

static void close_svg(plumb__buf *b, bool wrapped) {
    plumb__buf_put(b, wrapped ? "</g>\n</svg>\n" : "</svg>\n");
}

/* <text> of s; when title is not NULL, a <title> child with it (the whole of a label shown shortened: browsers show
 * it on hover and screen readers read it). */
static void text_titled(plumb__buf *b, double x, double y, const char *anchor, double size, const char *fill,
                        const char *s, const char *title) {
    plumb__buf_put(b, "<text x=\"");
    num(b, x);
    plumb__buf_put(b, "\" y=\"");
    num(b, y);
    plumb__buf_printf(b, "\" font-size=\"%g\"", size);
    if (anchor)
        plumb__buf_printf(b, " text-anchor=\"%s\"", anchor);
    if (fill)
        plumb__buf_printf(b, " fill=\"%s\" style=\"fill:%s\"", fill, fill);
    plumb__buf_put(b, ">");
    plumb__buf_html(b, s);
    if (title) {
        plumb__buf_put(b, "<title>");
        plumb__buf_html(b, title);
        plumb__buf_put(b, "</title>");
    }
    plumb__buf_put(b, "</text>\n");
}

static void text(plumb__buf *b, double x, double y, const char *anchor, double size, const char *fill, const char *s) {
    text_titled(b, x, y, anchor, size, fill, s, NULL);
}

/* s shortened to at most max characters, with the whole of it as a <title> when cut. */
static void text_cut(plumb__buf *b, double x, double y, const char *anchor, double size, const char *fill,
                     const char *s, size_t max) {
    char cut[256];
    shorten(cut, sizeof cut, s ? s : "", max);
    text_titled(b, x, y, anchor, size, fill, cut, s && strcmp(cut, s) != 0 ? s : NULL);
}

static void line(plumb__buf *b, double x1, double y1, double x2, double y2, const char *stroke, double width,
                 const char *dash) {
    plumb__buf_put(b, "<line x1=\"");
    num(b, x1);
    plumb__buf_put(b, "\" y1=\"");
    num(b, y1);
    plumb__buf_put(b, "\" x2=\"");
    num(b, x2);
    plumb__buf_put(b, "\" y2=\"");
    num(b, y2);
    plumb__buf_printf(b, "\" stroke=\"%s\" stroke-width=\"%g\"", stroke, width);
    if (dash)
        plumb__buf_printf(b, " stroke-dasharray=\"%s\"", dash);
    plumb__buf_put(b, "/>\n");
}

static void rect(plumb__buf *b, double x, double y, double w, double h, const char *fill, double opacity) {
    plumb__buf_put(b, "<rect x=\"");
    num(b, x);
    plumb__buf_put(b, "\" y=\"");
    num(b, y);
    plumb__buf_put(b, "\" width=\"");
    num(b, w > 0 ? w : 0);
    plumb__buf_put(b, "\" height=\"");
    num(b, h > 0 ? h : 0);
    plumb__buf_printf(b, "\" fill=\"%s\"", fill);
    if (opacity < 1)
        plumb__buf_printf(b, " fill-opacity=\"%.2f\"", opacity);
    plumb__buf_put(b, "/>\n");
}

/* A label shortened to at most max characters (UTF-8 aware), "..." when cut. */
static void shorten(char *out, size_t n, const char *s, size_t max) {
    size_t chars = 0, i = 0, o = 0;
    for (; s[i] && o + 8 < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == max)
                break;
            chars++;
        }
        out[o++] = s[i];
    }
    if (s[i]) {
        while (o > 0 && chars > max - 1) { /* drop the last character for the ellipsis */
            while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
                o--;
            if (o > 0)
                o--;
            chars--;
        }
        while (o > 0 && out[o - 1] == ' ') /* "the months..." rather than "the months ..." */
            o--;
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
}

static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Legend items in rows from (x0, y); returns the height used. Only measures when b is NULL. */
static double legend(plumb__buf *b, double x0, double y, const char *const *names, const int *colors, const bool *areas,
                     size_t n) {
    double x = x0, rows = 1;
    /* a name is cut only when it cannot fit a row of its own */
    const size_t fit = (size_t)((W - 8 - x0 - 36) / FONT_W);
    for (size_t i = 0; i < n; i++) {
        char label[256];
        shorten(label, sizeof label, names[i] ? names[i] : "", fit);
        const double w = 22 + FONT_W * (double)utf8_chars(label) + 14;
        if (x > x0 && x + w > W - 8) {
            x = x0;
            y += 18;
            rows++;
        }
        if (b) {
            if (areas && areas[i])
                rect(b, x, y - 9, 14, 10, plumb__colors[colors[i] % PLUMB__N_COLORS], 0.6);
            else
                line(b, x, y - 4, x + 16, y - 4, plumb__colors[colors[i] % PLUMB__N_COLORS], 2.5, NULL);
            text_cut(b, x + 22, y, NULL, 12, NULL, names[i], fit);
        }
        x += w;
    }
    return rows * 18;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Line and area charts                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct scale {
    double lo, hi, p0, p1; /* data range to pixel range */
} scale;

static double at(const scale *s, double v) {
    return s->p0 + (v - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

static void range_of(const plumb__xy_chart *c, int axis, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < c->n_series; k++) {
        const plumb__series *s = &c->series[k];
        const double *v = axis ? s->y : s->x;
        const size_t n = s->mark == PLUMB__MARK_STEP_AREA && axis == 0 ? s->n + 1 : s->n;
        for (size_t i = 0; i < n; i++)
            if (isfinite(v[i])) {
                *lo = fmin(*lo, v[i]);
                *hi = fmax(*hi, v[i]);
            }
    }
    if (axis == 1 && isfinite(c->baseline)) {
        *lo = fmin(*lo, c->baseline);
        *hi = fmax(*hi, c->baseline);
    }
}

static void draw_series(plumb__buf *b, const plumb__series *s, const scale *sx, const scale *sy) {
    const char *color = plumb__colors[s->color % PLUMB__N_COLORS];
    if (s->mark == PLUMB__MARK_STEP_AREA) {
        const double y0 = at(sy, fmax(sy->lo, 0));
        bool open = false;
        plumb__buf_printf(b, "<path fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\" stroke-width=\"1.5\" d=\"", color,
                          color);
        for (size_t i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->x[i + 1])) {
                if (open)
                    plumb__buf_put(b, "Z");
                open = false;
                continue;
            }
            const double h = isfinite(s->y[i]) ? s->y[i] : 0;
            if (!open) {
                plumb__buf_put(b, "M");
                num(b, at(sx, s->x[i]));
                plumb__buf_put(b, " ");
                num(b, y0);
                open = true;
            }
            plumb__buf_put(b, "L");
            num(b, at(sx, s->x[i]));
            plumb__buf_put(b, " ");
            num(b, at(sy, h));
            plumb__buf_put(b, "L");
            num(b, at(sx, s->x[i + 1]));
            plumb__buf_put(b, " ");
            num(b, at(sy, h));
            if (i + 1 == s->n || !isfinite(s->x[i + 2 <= s->n ? i + 2 : i + 1])) {
                plumb__buf_put(b, "L");
                num(b, at(sx, s->x[i + 1]));
                plumb__buf_put(b, " ");
                num(b, y0);
                plumb__buf_put(b, "Z");
                open = false;
            }
        }
        plumb__buf_put(b, "\"/>\n");
        return;
    }
    const size_t stride = s->n > MAX_POINTS ? (s->n + MAX_POINTS - 1) / MAX_POINTS : 1;
    if (s->mark == PLUMB__MARK_POINTS) {
        for (size_t i = 0; i < s->n; i++) {
            if ((i % stride && i + 1 != s->n) || !isfinite(s->x[i]) || !isfinite(s->y[i]))
                continue;
            plumb__buf_put(b, "<circle cx=\"");
            num(b, at(sx, s->x[i]));
            plumb__buf_put(b, "\" cy=\"");
            num(b, at(sy, s->y[i]));
            plumb__buf_printf(b, "\" r=\"3\" fill=\"%s\"/>\n", color);
        }
        return;
    }
    plumb__buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"%s d=\"", color,
                      s->dashed ? " stroke-dasharray=\"6 4\"" : "");
    bool pen = false;
    size_t drawn = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i % stride && i + 1 != s->n)
            continue;
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            pen = false;
            continue;
        }
        plumb__buf_put(b, pen ? "L" : "M");
        num(b, at(sx, s->x[i]));
        plumb__buf_put(b, " ");
        num(b, at(sy, s->y[i]));
        pen = true;
        drawn++;
    }
    plumb__buf_put(b, "\"/>\n");
    if (drawn == 1) /* a single point draws no line: mark it */
        for (size_t i = 0; i < s->n; i++)
            if (isfinite(s->x[i]) && isfinite(s->y[i])) {
                plumb__buf_put(b, "<circle cx=\"");
                num(b, at(sx, s->x[i]));
                plumb__buf_put(b, "\" cy=\"");
                num(b, at(sy, s->y[i]));
                plumb__buf_printf(b, "\" r=\"3\" fill=\"%s\"/>\n", color);
                break;
            }
}

void plumb__svg_xy(plumb__buf *b, int id, const plumb__xy_chart *c) {
    double xlo, xhi, ylo, yhi, xt[PLUMB__MAX_TICKS], yt[PLUMB__MAX_TICKS];
    int xd, yd;
    range_of(c, 0, &xlo, &xhi);
    range_of(c, 1, &ylo, &yhi);
    const bool empty = !(xlo <= xhi) || !(ylo <= yhi);
    xlo = isfinite(c->x_lo) ? c->x_lo : xlo;
    xhi = isfinite(c->x_hi) ? c->x_hi : xhi;
    ylo = isfinite(c->y_lo) ? c->y_lo : ylo;
    yhi = isfinite(c->y_hi) ? c->y_hi : yhi;
    int nx = plumb__nice_ticks(xlo, xhi, 6, xt, &xlo, &xhi, &xd);
    int ny = plumb__nice_ticks(ylo, yhi, 6, yt, &ylo, &yhi, &yd);
    if (isfinite(c->x_lo) && isfinite(c->x_hi) && c->x_lo < c->x_hi) {
        xlo = c->x_lo;
        xhi = c->x_hi;
    }
    if (isfinite(c->y_lo) && isfinite(c->y_hi) && c->y_lo < c->y_hi) {
        ylo = c->y_lo;
        yhi = c->y_hi;
    }
    const char *names[16];
    int colors[16];
    bool areas[16];
    size_t n_leg = 0;
    for (size_t k = 0; k < c->n_series && n_leg < 16; k++) {
        names[n_leg] = c->series[k].name;
        colors[n_leg] = c->series[k].color;
        areas[n_leg++] = c->series[k].mark == PLUMB__MARK_STEP_AREA;
    }
    const bool show_legend =
        n_leg > 1 || (n_leg == 1 && c->series[0].name && c->series[0].mark == PLUMB__MARK_STEP_AREA);
    const double ml = 58, mr = 16, mt = 34, plot_h = 230;
    const double leg_h = show_legend ? legend(NULL, ml, 0, names, colors, areas, n_leg) : 0;
    const double h = mt + plot_h + 44 + leg_h + 6;
    scale sx = {xlo, xhi, ml, W - mr}, sy = {ylo, yhi, mt + plot_h, mt};
    const bool wrapped = open_svg(b, id, h, c->title, c->desc);
    char s[32];
    /* grid and ticks */
    for (int i = 0; i < ny; i++) {
        if (yt[i] < ylo - 1e-12 || yt[i] > yhi + 1e-12)
            continue;
        const double y = at(&sy, yt[i]);
        line(b, ml, y, W - mr, y, "#e6e9ed", 1, NULL);
        plumb__fmt_fixed(s, sizeof s, yt[i], yd);
        text(b, ml - 6, y + 4, "end", 11, "#59636e", s);
    }
    for (int i = 0; i < nx; i++) {
        if (xt[i] < xlo - 1e-12 || xt[i] > xhi + 1e-12)
            continue;
        const double x = at(&sx, xt[i]);
        line(b, x, mt, x, mt + plot_h, "#f0f2f4", 1, NULL);
        line(b, x, mt + plot_h, x, mt + plot_h + 4, "#8c959f", 1, NULL);
        plumb__fmt_fixed(s, sizeof s, xt[i], xd);
        text(b, x, mt + plot_h + 17, "middle", 11, "#59636e", s);
    }
    line(b, ml, mt + plot_h, W - mr, mt + plot_h, "#8c959f", 1, NULL);
    line(b, ml, mt, ml, mt + plot_h, "#8c959f", 1, NULL);
    if (c->x_label)
        text(b, (ml + W - mr) / 2, mt + plot_h + 35, "middle", 12, NULL, c->x_label);
    if (c->y_label) {
        plumb__buf_put(b, "<text transform=\"translate(14 ");
        num(b, mt + plot_h / 2);
        plumb__buf_put(b, ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">");
        plumb__buf_html(b, c->y_label);
        plumb__buf_put(b, "</text>\n");
    }
    plumb__buf_printf(b, "<clipPath id=\"chart-%d-clip\"><rect x=\"", id);
    num(b, ml);
    plumb__buf_put(b, "\" y=\"");
    num(b, mt - 2);
    plumb__buf_put(b, "\" width=\"");
    num(b, W - mr - ml);
    plumb__buf_put(b, "\" height=\"");
    num(b, plot_h + 4);
    plumb__buf_printf(b, "\"/></clipPath>\n<g clip-path=\"url(#chart-%d-clip)\">\n", id);
    if (c->diagonal) {
        const double lo = fmax(xlo, ylo), hi = fmin(xhi, yhi);
        if (lo < hi)
            line(b, at(&sx, lo), at(&sy, lo), at(&sx, hi), at(&sy, hi), "#8c959f", 1.2, "4 4");
    }
    if (isfinite(c->baseline) && c->baseline >= ylo && c->baseline <= yhi)
        line(b, ml, at(&sy, c->baseline), W - mr, at(&sy, c->baseline), "#8c959f", 1.2, "4 4");
    for (size_t k = 0; k < c->n_series; k++)
        draw_series(b, &c->series[k], &sx, &sy);
    plumb__buf_put(b, "</g>\n");
    if (isfinite(c->baseline) && c->baseline_label && c->baseline >= ylo && c->baseline <= yhi)
        text(b, W - mr - 4, at(&sy, c->baseline) - 4, "end", 10, "#59636e", c->baseline_label);
    if (empty)
        text(b, (ml + W - mr) / 2, mt + plot_h / 2, "middle", 12, "#59636e", "no data to draw");
    if (show_legend)
        legend(b, ml, mt + plot_h + 58, names, colors, areas, n_leg);
    close_svg(b, wrapped);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Horizontal bars                                                                                             */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__svg_hbars(plumb__buf *b, int id, const plumb__bar_chart *c) {
    const int groups = c->n_groups == 2 ? 2 : 1;
    double lo = INFINITY, hi = -INFINITY;
    size_t label_chars = 4;
    for (size_t i = 0; i < c->n_bars; i++) {
        for (int g = 0; g < groups; g++)
            if (isfinite(c->bars[i].value[g])) {
                lo = fmin(lo, c->bars[i].value[g]);
                hi = fmax(hi, c->bars[i].value[g]);
            }
        const size_t len = utf8_chars(c->bars[i].label ? c->bars[i].label : "");
        label_chars = len > label_chars ? len : label_chars;
    }
    if (!(lo <= hi))
        lo = 0, hi = 1;
    lo = isfinite(c->x_lo) ? c->x_lo : fmin(lo, 0);
    hi = isfinite(c->x_hi) ? c->x_hi : fmax(hi, 0);
    for (int t = 0; t < 2; t++)
        if (isfinite(c->threshold[t]))
            hi = fmax(hi, c->threshold[t]);
    double ticks[PLUMB__MAX_TICKS];
    int dec;
    const int nt = plumb__nice_ticks(lo, hi, 5, ticks, &lo, &hi, &dec);
    if (isfinite(c->x_lo) && isfinite(c->x_hi) && c->x_lo < c->x_hi) {
        lo = c->x_lo;
        hi = c->x_hi;
    }
    if (label_chars > 26)
        label_chars = 26;
    const double ml = 12 + FONT_W * (double)label_chars, mr = 56, row = groups == 2 ? 28 : 22;
    const char *names[2] = {c->group_name[0], c->group_name[1]};
    const int colors[2] = {0, 1};
    const bool swatch[2] = {true, true};
    const double leg_h = groups == 2 ? legend(NULL, ml, 0, names, colors, swatch, 2) : 0;
    const double mt = 34 + leg_h + (isfinite(c->threshold[0]) || isfinite(c->threshold[1]) ? 14 : 0);
    const double plot_h = row * (double)(c->n_bars ? c->n_bars : 1);
    const double h = mt + plot_h + 44;
    scale sx = {lo, hi, ml, W - mr};
    const bool wrapped = open_svg(b, id, h, c->title, c->desc);
    if (groups == 2)
        legend(b, ml, 34 + 10, names, colors, swatch, 2);
    char s[64];
    for (int i = 0; i < nt; i++) {
        if (ticks[i] < lo - 1e-12 || ticks[i] > hi + 1e-12)
            continue;
        const double x = at(&sx, ticks[i]);
        line(b, x, mt, x, mt + plot_h, "#eef0f2", 1, NULL);
        plumb__fmt_fixed(s, sizeof s, ticks[i], dec);
        text(b, x, mt + plot_h + 16, "middle", 11, "#59636e", s);
    }
    line(b, ml, mt + plot_h, W - mr, mt + plot_h, "#8c959f", 1, NULL);
    if (c->x_label)
        text(b, (ml + W - mr) / 2, mt + plot_h + 34, "middle", 12, NULL, c->x_label);
    const double zero = at(&sx, fmin(fmax(0, lo), hi));
    for (size_t i = 0; i < c->n_bars; i++) {
        const double y = mt + row * (double)i;
        text_cut(b, ml - 6, y + row / 2 + 4, "end", 12, NULL, c->bars[i].label, 26);
        for (int g = 0; g < groups; g++) {
            const double v = c->bars[i].value[g];
            if (!isfinite(v))
                continue;
            const double x = at(&sx, fmin(fmax(v, lo), hi));
            const double bh = groups == 2 ? 10 : 14, by = y + (row - bh * groups) / 2 + bh * g;
            const int color = groups == 2 ? g : c->bars[i].color;
            rect(b, fmin(x, zero), by, fabs(x - zero), bh, plumb__colors[color % PLUMB__N_COLORS], 0.85);
            plumb__fmt_fixed(s, sizeof s, v, c->decimals);
            if (v < 0) /* the value beyond the bar's end, on its own side */
                text(b, x - 4, by + bh - 2, "end", 10.5, "#59636e", s);
            else
                text(b, x + 4, by + bh - 2, NULL, 10.5, "#59636e", s);
        }
    }
    line(b, zero, mt, zero, mt + plot_h, "#8c959f", 1, NULL);
    for (int t = 0; t < 2; t++) {
        const double v = c->threshold[t];
        if (!isfinite(v) || v < lo || v > hi)
            continue;
        const char *color = t == 0 ? "#b7791f" : "#b42318";
        line(b, at(&sx, v), mt - 4, at(&sx, v), mt + plot_h, color, 1.3, "5 3");
        if (c->threshold_label[t])
            text(b, at(&sx, v), mt - 7, "middle", 10, color, c->threshold_label[t]);
    }
    close_svg(b, wrapped);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Confusion matrix                                                                                            */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__svg_confusion(plumb__buf *b, int id, const char *title, const char *negative, const char *positive,
                          double tn, double fp, double fn, double tp) {
    const double h = 300, x0 = 150, y0 = 74, cw = 140, ch = 82;
    char desc[256], s[64], neg[32], pos[32];
    shorten(neg, sizeof neg, negative ? negative : "negative", 14);
    shorten(pos, sizeof pos, positive ? positive : "positive", 14);
    snprintf(desc, sizeof desc,
             "Rows are the actual class, columns the predicted one. True %s %.0f, false %s %.0f, missed %s %.0f, "
             "caught %s %.0f.",
             neg, isfinite(tn) ? tn : 0, pos, isfinite(fp) ? fp : 0, pos, isfinite(fn) ? fn : 0, pos,
             isfinite(tp) ? tp : 0);
    const bool wrapped = open_svg(b, id, h, title, desc);
    const double cell[2][2] = {{tn, fp}, {fn, tp}};
    const char *full[2] = {negative ? negative : "negative", positive ? positive : "positive"};
    text(b, x0 + cw, y0 - 30, "middle", 12, "#59636e", "predicted");
    for (int c = 0; c < 2; c++)
        text_cut(b, x0 + cw * c + cw / 2, y0 - 10, "middle", 12, NULL, full[c], 14);
    plumb__buf_put(b, "<text transform=\"translate(24 ");
    num(b, y0 + ch);
    plumb__buf_put(b, ") rotate(-90)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#59636e\" style=\"fill:#59636e\">"
                      "actual</text>\n");
    for (int r = 0; r < 2; r++) {
        const double row_total = (isfinite(cell[r][0]) ? cell[r][0] : 0) + (isfinite(cell[r][1]) ? cell[r][1] : 0);
        text_cut(b, x0 - 10, y0 + ch * r + ch / 2 + 4, "end", 12, NULL, full[r], 14);
        for (int c = 0; c < 2; c++) {
            const double v = isfinite(cell[r][c]) ? cell[r][c] : 0, share = row_total > 0 ? v / row_total : 0;
            /* the shade: white to the accent blue by the share of the actual class, so the diagonal stands out */
            const int red = (int)lround(255 + (47 - 255) * share), green = (int)lround(255 + (93 - 255) * share),
                      blue = (int)lround(255 + (138 - 255) * share);
            char fill[16];
            snprintf(fill, sizeof fill, "#%02x%02x%02x", red, green, blue);
            rect(b, x0 + cw * c, y0 + ch * r, cw - 2, ch - 2, fill, 1);
            const char *ink = share > 0.5 ? "#ffffff" : "#1f2328";
            plumb__fmt_fixed(s, sizeof s, v, v == floor(v) ? 0 : 1);
            text(b, x0 + cw * c + cw / 2, y0 + ch * r + ch / 2, "middle", 18, ink, s);
            plumb__fmt_fixed(s, sizeof s, 100 * share, 1);
            strcat(s, "% of actual");
            text(b, x0 + cw * c + cw / 2, y0 + ch * r + ch / 2 + 18, "middle", 10.5, ink, s);
        }
    }
    close_svg(b, wrapped);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Cross-validation spread                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

void plumb__svg_folds(plumb__buf *b, int id, const char *title, const plumb__fold_row *rows, size_t n_rows) {
    const double ml = 96, mr = 112, mt = 34, row = 56;
    const double h = mt + row * (double)n_rows + 8;
    const bool wrapped =
        open_svg(b, id, h, title,
                 "For each metric, a dot per cross-validation fold and a band for the mean plus or minus one standard "
                 "deviation; each metric has its own scale.");
    char s[64], t[64];
    for (size_t r = 0; r < n_rows; r++) {
        const plumb__fold_row *f = &rows[r];
        double sum = 0, ss = 0, lo = INFINITY, hi = -INFINITY;
        size_t n = 0;
        for (size_t i = 0; i < f->n; i++)
            if (isfinite(f->v[i])) {
                sum += f->v[i];
                lo = fmin(lo, f->v[i]);
                hi = fmax(hi, f->v[i]);
                n++;
            }
        const double y = mt + row * (double)r, cy = y + 16;
        text_cut(b, ml - 8, cy + 4, "end", 12, NULL, f->label, 14);
        if (n == 0) {
            text(b, ml, cy + 4, NULL, 11, "#59636e", "no finite values");
            continue;
        }
        const double mean = sum / (double)n;
        for (size_t i = 0; i < f->n; i++)
            if (isfinite(f->v[i]))
                ss += (f->v[i] - mean) * (f->v[i] - mean);
        const double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
        double ticks[PLUMB__MAX_TICKS], nlo, nhi;
        int dec;
        const double pad = fmax((hi - lo) * 0.15, fmax(sd, fabs(mean) * 0.002));
        const int nt =
            plumb__nice_ticks(fmin(lo, mean - sd) - pad, fmax(hi, mean + sd) + pad, 6, ticks, &nlo, &nhi, &dec);
        scale sx = {nlo, nhi, ml, W - mr};
        line(b, ml, cy + 12, W - mr, cy + 12, "#d8dee4", 1, NULL);
        for (int i = 0; i < nt; i++) {
            const double x = at(&sx, ticks[i]);
            line(b, x, cy + 12, x, cy + 15, "#8c959f", 1, NULL);
            plumb__fmt_fixed(t, sizeof t, ticks[i], dec);
            text(b, x, cy + 27, "middle", 10, "#59636e", t);
        }
        rect(b, at(&sx, mean - sd), cy - 9, at(&sx, mean + sd) - at(&sx, mean - sd), 18, plumb__colors[0], 0.15);
        line(b, at(&sx, mean), cy - 11, at(&sx, mean), cy + 11, plumb__colors[0], 2, NULL);
        for (size_t i = 0; i < f->n; i++) {
            if (!isfinite(f->v[i]))
                continue;
            plumb__buf_put(b, "<circle cx=\"");
            num(b, at(&sx, f->v[i]));
            plumb__buf_put(b, "\" cy=\"");
            num(b, cy);
            plumb__buf_printf(b, "\" r=\"4\" fill=\"%s\" fill-opacity=\"0.8\" stroke=\"#fff\"/>\n", plumb__colors[1]);
        }
        const int vd = fabs(mean) >= 100 ? 1 : 3;
        plumb__fmt_fixed(s, sizeof s, mean, vd);
        plumb__fmt_fixed(t, sizeof t, sd, vd);
        char both[140];
        snprintf(both, sizeof both, "%s \xC2\xB1 %s", s, t);
        text(b, W - 8, cy + 4, "end", 12, NULL, both);
    }
    close_svg(b, wrapped);
}
