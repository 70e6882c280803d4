/* charts_realtime.c -- the latency section of the real-time case study's report (plumb demo realtime): the models'
 * quality and size, and, when the serving steps were measured, the waterfall from the slow path to the fast one
 * (p50 and p99 per step, what each step bought), the latency distributions of the first and last steps, and the
 * table of every figure.
 *
 * It reads the record's "realtime" and "latency" objects directly: they are the study's own (report.json holds
 * them as src/studies/realtime.c and cli/demo_realtime.c write them), and every field is checked here, a missing
 * or non-numeric one shown as a dash.
 */
#include "page.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

/* A table cell of v with decimals, a dash when not finite. */
static void cell(page *p, double v, int decimals) {
    char s[48];
    if (isfinite(v))
        plumb__fmt_fixed(s, sizeof s, v, decimals);
    else
        snprintf(s, sizeof s, "-");
    put(p, "<td class=\"num\">");
    esc(p, s);
    put(p, "</td>");
}

/* The models: quality after the cut, size and trees. */
static void models_table(page *p, const json_t *models) {
    put(p, "<h3>Quality and size of each model</h3>\n<div class=\"table\"><table aria-label=\"models\"><thead><tr>"
           "<th>model</th><th>what</th><th>ROC AUC</th><th>NDCG@10</th><th>bytes</th><th>trees</th></tr></thead>"
           "<tbody>\n");
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m) {
        put(p, "<tr><td>");
        esc(p, str(m, "name"));
        put(p, "</td><td>");
        esc(p, str(m, "what"));
        put(p, "</td>");
        cell(p, num(m, "roc_auc"), 4);
        cell(p, num(m, "ndcg_at_10"), 4);
        cell(p, num(m, "bytes"), 0);
        cell(p, num(m, "n_trees"), 0);
        put(p, "</tr>\n");
    }
    put(p, "</tbody></table></div>\n");
}

/* p50 and p99 per step as two groups of bars. */
static void waterfall(page *p, const json_t *steps) {
    const size_t n = json_array_size(steps);
    plumb__bar *bars = calloc(n ? n : 1, sizeof *bars);
    if (!bars) {
        p->b->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(steps, i);
        bars[i] = (plumb__bar){str(s, "name"), {num(s, "p50_ms"), num(s, "p99_ms")}, 0};
    }
    plumb__bar_chart c = {.title = "Latency waterfall: from the slow path to the fast one",
                          .desc = "The median and 99th-percentile latency of each serving step, in milliseconds.",
                          .x_label = "latency (ms), measured at a fixed request rate",
                          .bars = bars,
                          .n_bars = n,
                          .n_groups = 2,
                          .group_name = {"p50", "p99"},
                          .x_lo = NAN,
                          .x_hi = NAN,
                          .decimals = 2,
                          .threshold = {NAN, NAN}};
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    figure_close(p, "Each step adds one change to the one above it; the numbers at the bars' ends are the "
                    "measured latencies (the fast steps' bars are too short to see beside the slow path's).");
    free(bars);
}

/* How many times lower each step's p99 is than the slow path's. */
static void speedups(page *p, const json_t *steps) {
    const size_t n = json_array_size(steps);
    plumb__bar *bars = calloc(n ? n : 1, sizeof *bars);
    if (!bars) {
        p->b->oom = true;
        return;
    }
    const double slow = num(json_array_get(steps, 0), "p99_ms");
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(steps, i);
        bars[i] = (plumb__bar){str(s, "name"), {slow / num(s, "p99_ms"), NAN}, 1};
    }
    plumb__bar_chart c = {.title = "What each step bought: p99 of the slow path over the step's p99",
                          .desc = "How many times lower each step's 99th-percentile latency is than the slow path's.",
                          .x_label = "times lower p99 than the slow path",
                          .bars = bars,
                          .n_bars = n,
                          .n_groups = 1,
                          .x_lo = NAN,
                          .x_hi = NAN,
                          .decimals = 1,
                          .threshold = {100, NAN},
                          .threshold_label = {"goal: 100x", NULL}};
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    figure_close(p, NULL);
    free(bars);
}

/* The latency histograms of the first and the last step, on a log10 scale of milliseconds. */
static void distributions(page *p, const json_t *steps) {
    const size_t n = json_array_size(steps);
    const json_t *pick[2] = {json_array_get(steps, 0), json_array_get(steps, n ? n - 1 : 0)};
    double *buf[2] = {NULL, NULL};
    plumb__series s[2];
    size_t k = 0;
    for (int w = 0; w < 2 && n >= 2; w++) {
        const json_t *h = json_object_get(pick[w], "histogram"), *e = json_object_get(pick[w], "histogram_ms_upper");
        const size_t m = json_array_size(h);
        if (m == 0 || json_array_size(e) != m)
            continue;
        double total = 0;
        for (size_t i = 0; i < m; i++)
            total += json_number_value(json_array_get(h, i));
        if (!(buf[w] = malloc((2 * m + 1) * sizeof *buf[w]))) {
            p->b->oom = true;
            break;
        }
        double *x = buf[w], *y = buf[w] + m + 1;
        x[0] = log10(json_number_value(json_array_get(e, 0)) / 1.5);
        for (size_t i = 0; i < m; i++) {
            x[i + 1] = log10(json_number_value(json_array_get(e, i)));
            y[i] = total > 0 ? 100 * json_number_value(json_array_get(h, i)) / total : 0;
        }
        s[k++] = (plumb__series){str(pick[w], "name"), x, y, m, PLUMB__MARK_STEP_AREA, w ? 1 : 0, false};
    }
    if (k > 0) {
        plumb__xy_chart c = {"Latency distributions: the slow path and the fast one",
                             "Share of requests per latency bucket, log10 of milliseconds.",
                             "latency, log10 ms (-1: 0.1 ms, 0: 1 ms, 1: 10 ms, 2: 100 ms)",
                             "% of requests",
                             NAN,
                             NAN,
                             0,
                             NAN,
                             false,
                             NAN,
                             NULL,
                             s,
                             k};
        figure_open(p);
        plumb__svg_xy(p->b, p->next_id++, &c);
        figure_close(p, NULL);
    }
    free(buf[0]);
    free(buf[1]);
}

static void steps_table(page *p, const json_t *lat, const json_t *steps) {
    put(p, "<div class=\"table\"><table aria-label=\"serving steps\"><thead><tr><th>step</th>"
           "<th>rate (req/s)</th><th>requests</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th>"
           "<th>errors</th><th>cache hits</th><th>server CPU-s per 1,000</th><th>ROC AUC</th><th>NDCG@10</th>"
           "</tr></thead><tbody>\n");
    size_t i;
    json_t *s;
    json_array_foreach(steps, i, s) {
        put(p, "<tr><td title=\"");
        esc(p, str(s, "what"));
        put(p, "\">");
        esc(p, str(s, "name"));
        put(p, "</td>");
        cell(p, num(s, "rate"), 0);
        cell(p, num(s, "requests"), 0);
        cell(p, num(s, "p50_ms"), 3);
        cell(p, num(s, "p90_ms"), 3);
        cell(p, num(s, "p99_ms"), 3);
        cell(p, num(s, "p999_ms"), 3);
        cell(p, num(s, "errors") + num(s, "non_2xx"), 0);
        cell(p, 100 * num(s, "cache_hit_ratio"), 1);
        cell(p, num(s, "server_cpu_s_per_1000"), 3);
        cell(p, num(s, "roc_auc"), 4);
        cell(p, num(s, "ndcg_at_10"), 4);
        put(p, "</tr>\n");
    }
    put(p, "</tbody></table></div>\n");
    const json_t *tp = json_object_get(lat, "throughput");
    char line[512], a[32], b[32], c[32], k[32];
    plumb__fmt_fixed(k, sizeof k, num(tp, "connections"), 0); /* a record may hold anything: no cast of a double */
    plumb__fmt_fixed(a, sizeof a, num(tp, "throughput"), 0);
    plumb__fmt_fixed(b, sizeof b, num(lat, "p99_ratio"), 1);
    plumb__fmt_fixed(c, sizeof c, num(lat, "auc_change"), 4);
    snprintf(line, sizeof line,
             "Throughput of the fast path, as fast as %s connections go: %s requests/s. The fast path's p99 is %sx "
             "lower than the slow path's; its ROC AUC differs from the teacher's by %s. Cache hits in %%; the "
             "server's CPU per 1,000 requests counts its priming too. Every figure was measured in this run on the "
             "machine that wrote the report.",
             k, a, b, c);
    put(p, "<p>");
    esc(p, line);
    put(p, "</p>\n");
}

void plumb__realtime_block(page *p) {
    const json_t *root = p->r->root, *rt = json_object_get(root, "realtime"), *lat = json_object_get(root, "latency");
    const json_t *steps = json_object_get(lat, "steps");
    if (json_is_array(json_object_get(rt, "models")))
        models_table(p, json_object_get(rt, "models"));
    if (!json_is_array(steps) || json_array_size(steps) == 0)
        return;
    put(p, "<h3>Latency from the slow path to the fast one</h3>\n<div class=\"charts\">\n");
    waterfall(p, steps);
    speedups(p, steps);
    distributions(p, steps);
    put(p, "</div>\n");
    steps_table(p, lat, steps);
}
