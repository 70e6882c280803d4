/* charts_distill.c -- the distillation record's summary sentence, its table of models and its charts: the
 * students' metric against their latency, and their file sizes and latencies beside the teacher's.
 *
 * Everything is read from the record's "distill" object (record.c); the chosen student is marked in the table and
 * drawn in its own colour.
 */
#include "page.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const plumb__student *teacher_of(const plumb__record *r) {
    for (size_t i = 0; i < r->n_students; i++)
        if (r->students[i].teacher)
            return &r->students[i];
    return NULL;
}

static const plumb__student *chosen_of(const plumb__record *r) {
    for (size_t i = 0; i < r->n_students; i++)
        if (r->students[i].chosen)
            return &r->students[i];
    return NULL;
}

/* Bytes as "245 kB", "1.42 MB". */
static void fmt_bytes(char *out, size_t n, double v) {
    if (!isfinite(v) || v < 0)
        snprintf(out, n, "-");
    else if (v >= 1e6)
        snprintf(out, n, "%.2f MB", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, n, "%.0f kB", v / 1e3);
    else
        snprintf(out, n, "%.0f B", v);
}

static void cell(page *p, double v, int decimals) {
    char s[32];
    if (!isfinite(v)) {
        put(p, "<td class=\"num\">-</td>");
        return;
    }
    plumb__fmt_fixed(s, sizeof s, v, decimals);
    plumb__buf_printf(p->b, "<td class=\"num\">%s</td>", s);
}

void plumb__distill_summary(page *p) {
    const plumb__record *r = p->r;
    const plumb__student *t = teacher_of(r), *c = chosen_of(r);
    if (!t || !c)
        return;
    char a[32], b[32];
    put(p, "<p>The chosen student, ");
    esc(p, c->name ? c->name : "student");
    if (r->distill_metric && isfinite(c->metric) && isfinite(t->metric)) {
        plumb__fmt_fixed(a, sizeof a, c->metric, 4);
        plumb__fmt_fixed(b, sizeof b, t->metric, 4);
        put(p, ", scores ");
        esc(p, plumb__metric_label(r->distill_metric));
        plumb__buf_printf(p->b, " %s against the teacher's %s", a, b);
    }
    if (isfinite(c->agreement)) {
        plumb__fmt_fixed(a, sizeof a, 100 * c->agreement, 1);
        plumb__buf_printf(p->b, ", predicts the teacher's class on %s%% of the held-out rows", a);
    }
    if (isfinite(c->bytes) && isfinite(t->bytes) && t->bytes > 0) {
        fmt_bytes(a, sizeof a, c->bytes);
        fmt_bytes(b, sizeof b, t->bytes);
        plumb__buf_printf(p->b, ", in a file of %s (the teacher's: %s)", a, b);
    }
    if (isfinite(c->us_row) && isfinite(t->us_row)) {
        plumb__fmt_fixed(a, sizeof a, c->us_row, 2);
        plumb__fmt_fixed(b, sizeof b, t->us_row, 2);
        plumb__buf_printf(p->b, " and scores a row in %s \xC2\xB5s (the teacher: %s \xC2\xB5s)", a, b);
    }
    put(p, ".</p>\n");
}

static void table(page *p) {
    const plumb__record *r = p->r;
    const bool regression = r->distill_task && strcmp(r->distill_task, "regression") == 0;
    put(p, "<div class=\"table\"><table aria-label=\"students\"><thead><tr><th>model</th>"
           "<th class=\"num\">file</th>");
    if (r->distill_metric) {
        put(p, "<th class=\"num\">");
        esc(p, plumb__metric_label(r->distill_metric));
        put(p, "</th>");
    }
    if (!regression)
        put(p, "<th class=\"num\">agreement</th>");
    put(p, "<th class=\"num\">raw-score RMSE</th><th class=\"num\">\xC2\xB5s per row</th>"
           "<th class=\"num\">\xC2\xB5s per row, batch</th><th class=\"num\">training s</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->n_students; i++) {
        const plumb__student *s = &r->students[i];
        char b[32];
        fmt_bytes(b, sizeof b, s->bytes);
        put(p, s->chosen ? "<tr class=\"chosen\"><td style=\"white-space:nowrap\"><strong>"
                         : "<tr><td style=\"white-space:nowrap\">");
        esc(p, s->name ? s->name : "model");
        put(p, s->chosen ? "</strong> (chosen)" : "");
        plumb__buf_printf(p->b, "</td><td class=\"num\">%s</td>", b);
        if (r->distill_metric)
            cell(p, s->metric, 4);
        if (!regression)
            cell(p, s->agreement, 4);
        cell(p, s->raw_rmse, 4);
        cell(p, s->us_row, 2);
        cell(p, s->us_row_batch, 3);
        cell(p, s->train_seconds, 2);
        put(p, "</tr>\n");
    }
    put(p, "</tbody></table></div>\n");
}

/* The students' metric (or, without labels, their agreement or raw-score RMSE) against microseconds per row. */
static void tradeoff_chart(page *p) {
    const plumb__record *r = p->r;
    const size_t n = r->n_students;
    const bool regression = r->distill_task && strcmp(r->distill_task, "regression") == 0;
    double *x = calloc(4 * n + 1, sizeof *x), *y = calloc(4 * n + 1, sizeof *y);
    size_t *order = calloc(n + 1, sizeof *order);
    if (!x || !y || !order)
        goto done;
    const char *ylabel = r->distill_metric ? plumb__metric_label(r->distill_metric)
                         : regression      ? "RMSE to the teacher"
                                           : "agreement with the teacher";
    /* groups in x/y: [0, n) gbdt students by latency, then linear, chosen and teacher, n entries each at most */
    size_t ng = 0, nl = 0, nc = 0, nt = 0;
    for (size_t i = 0; i < n; i++)
        if (!r->students[i].teacher && !(r->students[i].kind && strcmp(r->students[i].kind, "linear") == 0))
            order[ng++] = i;
    for (size_t i = 1; i < ng; i++) /* insertion sort by latency: the line runs from fast to slow */
        for (size_t j = i; j > 0 && r->students[order[j]].us_row < r->students[order[j - 1]].us_row; j--) {
            const size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        const plumb__student *s = &r->students[i];
        const double v = r->distill_metric ? s->metric : regression ? s->raw_rmse : s->agreement;
        if (s->kind && strcmp(s->kind, "linear") == 0) {
            x[n + nl] = s->us_row;
            y[n + nl++] = v;
        }
        if (s->chosen) {
            x[2 * n + nc] = s->us_row;
            y[2 * n + nc++] = v;
        }
        if (s->teacher) {
            x[3 * n + nt] = s->us_row;
            y[3 * n + nt++] = v;
        }
    }
    for (size_t i = 0; i < ng; i++) {
        const plumb__student *s = &r->students[order[i]];
        x[i] = s->us_row;
        y[i] = r->distill_metric ? s->metric : regression ? s->raw_rmse : s->agreement;
    }
    plumb__series series[4];
    size_t ns = 0;
    if (ng)
        series[ns++] = (plumb__series){"gbdt students", x, y, ng, PLUMB__MARK_LINE, 0, false};
    if (nl)
        series[ns++] = (plumb__series){"linear student", x + n, y + n, nl, PLUMB__MARK_POINTS, 4, false};
    if (nc)
        series[ns++] = (plumb__series){"chosen", x + 2 * n, y + 2 * n, nc, PLUMB__MARK_POINTS, 1, false};
    if (nt)
        series[ns++] = (plumb__series){"teacher", x + 3 * n, y + 3 * n, nt, PLUMB__MARK_POINTS, 2, false};
    const plumb__student *t = teacher_of(r);
    const double tv = !t ? NAN : r->distill_metric ? t->metric : NAN;
    char title[128];
    snprintf(title, sizeof title, "%s against latency", ylabel);
    const plumb__xy_chart c = {.title = title,
                               .desc = "Each student's score on the held-out rows against the microseconds it takes "
                                       "to score one row; the teacher's score as a dashed line.",
                               .x_label = "\xC2\xB5s per row (one row at a time)",
                               .y_label = ylabel,
                               .x_lo = 0,
                               .x_hi = NAN,
                               .y_lo = NAN,
                               .y_hi = NAN,
                               .baseline = tv,
                               .baseline_label = "teacher",
                               .series = series,
                               .n_series = ns};
    figure_open(p);
    plumb__svg_xy(p->b, p->next_id++, &c);
    figure_close(p, NULL);
done:
    free(x);
    free(y);
    free(order);
}

/* One bar per model: its file size in kB (which 0) or microseconds per row (which 1). */
static void bars_chart(page *p, int which) {
    const plumb__record *r = p->r;
    plumb__bar *bars = calloc(r->n_students + 1, sizeof *bars);
    if (!bars)
        return;
    for (size_t i = 0; i < r->n_students; i++) {
        const plumb__student *s = &r->students[i];
        bars[i] = (plumb__bar){s->name ? s->name : "model",
                               {which == 0 ? s->bytes / 1e3 : s->us_row, NAN},
                               s->teacher  ? 2
                               : s->chosen ? 1
                                           : 0};
    }
    const plumb__bar_chart c = {which == 0 ? "File size" : "Latency, one row at a time",
                                which == 0 ? "The size of each model's file in kilobytes."
                                           : "Microseconds each model takes to score one row, on one thread.",
                                which == 0 ? "kB" : "\xC2\xB5s per row",
                                bars,
                                r->n_students,
                                1,
                                {NULL, NULL},
                                NAN,
                                NAN,
                                which == 0 ? 0 : 2,
                                {NAN, NAN},
                                {NULL, NULL}};
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    figure_close(p, NULL);
    free(bars);
}

void plumb__distill_block(page *p) {
    const plumb__record *r = p->r;
    put(p, "<h3>Students against the teacher</h3>\n");
    if (r->valid_desc || isfinite(r->valid_rows)) {
        put(p, "<p class=\"meta\">Measured on ");
        if (isfinite(r->valid_rows))
            plumb__buf_printf(p->b, "%.0f ", r->valid_rows);
        put(p, "held-out rows");
        if (r->valid_desc) {
            put(p, " (");
            esc(p, r->valid_desc);
            put(p, ")");
        }
        put(p, "; agreement: the share of rows whose predicted class is the teacher's; raw-score RMSE: against the "
               "teacher's log-odds, class scores or predictions; latency on one thread through the scorer API.</p>\n");
    }
    table(p);
    put(p, "<div class=\"charts\">\n");
    tradeoff_chart(p);
    bars_chart(p, 0);
    bars_chart(p, 1);
    put(p, "</div>\n");
}
