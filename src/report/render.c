/* render.c -- a run record as one self-contained HTML page: plumb_report_render and plumb_report_write.
 *
 * The page explains the work the way a good engineer would to a reader who did not do it: a summary in plain
 * words on top, then the problem, the approach, the validation, the risks, the results
 * and the decision with its reason. Each section appears only when the record has something for it. The whole
 * page is built in memory (record.c checks the record first, then every byte goes into a plumb__buf), so a bad
 * record or a failed allocation leaves the caller's stream untouched. No scripts, fonts or images: CSS and SVG are
 * inline, and the page reads the same offline, printed and on a phone. The charts are drawn by the charts_*.c files,
 * one per family (validation, audit, curves, importance), through page.h; their primitives are in svg.c.
 */
#include "page.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Words and numbers                                                                                           */
/* ---------------------------------------------------------------------------------------------------------- */

static const struct {
    const char *name, *label;
    int percent; /* shown as a percentage in sentences */
} metric_labels[] = {
    {"roc_auc", "ROC AUC", 0},
    {"pr_auc", "PR AUC", 0},
    {"gini", "Gini", 0},
    {"ks", "KS", 0},
    {"log_loss", "log-loss", 0},
    {"brier", "Brier score", 0},
    {"accuracy", "accuracy", 1},
    {"precision", "precision", 1},
    {"recall", "recall", 1},
    {"f1", "F1", 0},
    {"f1_best", "best F1", 0},
    {"f1_best_threshold", "best-F1 threshold", 0},
    {"rmse", "RMSE", 0},
    {"mae", "MAE", 0},
    {"mape", "MAPE", 0},
    {"wape", "WAPE", 0},
    {"r2", "R\xC2\xB2", 0},
    {"macro_f1", "macro F1", 0},
    {"micro_f1", "micro F1", 0},
    {"binary_logloss", "log-loss", 0},
    {"auc", "AUC", 0},
    {"multi_logloss", "log-loss", 0},
    {"poisson_deviance", "Poisson deviance", 0},
    {"gamma_deviance", "Gamma deviance", 0},
    {"pinball_loss", "pinball loss", 0},
};

const char *plumb__metric_label(const char *name) {
    for (size_t i = 0; i < sizeof metric_labels / sizeof *metric_labels; i++)
        if (name && strcmp(metric_labels[i].name, name) == 0)
            return metric_labels[i].label;
    return name ? name : "metric";
}

/* A metric for a table: three decimals, fewer for large values (errors in the target's units). */
static void fmt_metric(char *out, size_t n, double v) {
    const double a = fabs(v);
    plumb__fmt_fixed(out, n, v, a >= 1000 ? 0 : a >= 100 ? 1 : 3);
}

/* A count: no decimals when whole, else one. */
static void fmt_count(char *out, size_t n, double v) {
    plumb__fmt_fixed(out, n, v, isfinite(v) && v == floor(v) ? 0 : 1);
    if (!isfinite(v))
        return;
    /* thousands separated by a thin space, so 20000 reads 20 000 */
    char digits[64];
    snprintf(digits, sizeof digits, "%s", out);
    const char *dot = strchr(digits, '.');
    size_t int_len = dot ? (size_t)(dot - digits) : strlen(digits), start = digits[0] == '-';
    size_t o = 0;
    for (size_t i = 0; digits[i] && o + 4 < n; i++) {
        if (i > start && i < int_len && (int_len - i) % 3 == 0) {
            memcpy(out + o, "\xE2\x80\x89", 3);
            o += 3;
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static void fmt_percent(char *out, size_t n, double share, int decimals) {
    plumb__fmt_fixed(out, n, 100 * share, decimals);
    if (isfinite(share))
        strncat(out, "%", n - strlen(out) - 1);
}

/* Plain text with blank lines between paragraphs, as <p> elements. */
static void paragraphs(page *p, const char *text) {
    if (!text || !text[0])
        return;
    const char *s = text;
    while (*s) {
        while (*s == '\n' || *s == ' ')
            s++;
        if (!*s)
            break;
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char *one = malloc(len + 1);
        if (!one) {
            p->b->oom = true;
            return;
        }
        memcpy(one, s, len);
        one[len] = '\0';
        put(p, "<p>");
        esc(p, one);
        put(p, "</p>\n");
        free(one);
        s += len;
    }
}

void plumb__eval_label(const plumb__eval *e, size_t i, char *out, size_t n) {
    if (e->model && e->name)
        snprintf(out, n, "%s, %s", e->model, e->name);
    else if (e->model || e->name)
        snprintf(out, n, "%s", e->model ? e->model : e->name);
    else
        snprintf(out, n, "evaluation %zu", i + 1);
}

static const plumb__metric *find_metric(const plumb__eval *e, const char *name) {
    for (size_t i = 0; i < e->n_metrics; i++)
        if (strcmp(e->metrics[i].name, name) == 0 && isfinite(e->metrics[i].value))
            return &e->metrics[i];
    return NULL;
}

static double mean_sd(const plumb__vec *v, double *sd, size_t *count) {
    double s = 0, ss = 0;
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (isfinite(v->v[i])) {
            s += v->v[i];
            n++;
        }
    *count = n;
    if (n == 0) {
        *sd = NAN;
        return NAN;
    }
    const double m = s / (double)n;
    for (size_t i = 0; i < v->n; i++)
        if (isfinite(v->v[i]))
            ss += (v->v[i] - m) * (v->v[i] - m);
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    return m;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The document                                                                                                */
/* ---------------------------------------------------------------------------------------------------------- */

static const char css[] =
    ":root{--ink:#1f2328;--muted:#59636e;--rule:#d8dee4;--soft:#f6f8fa;--accent:#2f5d8a;--crit:#b42318;"
    "--warn:#9a6700;--info:#3a6ea5}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;color:var(--ink);background:#fff;font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,\"Noto Sans\",\"Liberation Sans\",sans-serif}\n"
    "main{max-width:60rem;margin:0 auto;padding:2rem 1.25rem 3rem}\n"
    "header{border-bottom:1px solid var(--rule);margin-bottom:1.5rem;padding-bottom:1rem}\n"
    ".kicker{margin:0;color:var(--muted);font-size:.8rem;letter-spacing:.06em;text-transform:uppercase}\n"
    "h1{font-size:1.9rem;line-height:1.2;margin:.3rem 0 .5rem;font-weight:650}\n"
    "h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-top:.4rem;border-top:1px solid var(--rule);font-weight:620}\n"
    "h3{font-size:1.02rem;margin:1.4rem 0 .4rem;font-weight:620}\n"
    "p{margin:.5rem 0;max-width:46rem}\n"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:0 2rem}\n"
    ".meta{color:var(--muted);font-size:.9rem;margin:0}\n"
    ".summary{background:var(--soft);border:1px solid var(--rule);border-left:4px solid var(--accent);"
    "border-radius:6px;padding:.9rem 1.2rem;margin:1rem 0 1.5rem}\n"
    ".summary h2{border:0;margin:0 0 .3rem;padding:0;font-size:1.1rem}\n"
    ".summary p,.summary li{font-size:1.05rem}.summary ul{margin:.3rem 0 .6rem;padding-left:1.3rem}\n"
    ".decision{font-weight:600}\n"
    ".facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1.2rem;margin:.6rem 0;font-size:.95rem}\n"
    ".facts dt{color:var(--muted)}.facts dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere;"
    "min-width:0}\n.cols>div{min-width:0}\n"
    ".table{overflow-x:auto;margin:.6rem 0 1rem;-webkit-overflow-scrolling:touch}\n"
    "table{border-collapse:collapse;font-size:.9rem;min-width:50%}\n"
    "th,td{padding:.35rem .7rem;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}\n"
    "th{font-weight:600;background:var(--soft);white-space:nowrap}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".metrics th{white-space:normal;min-width:7rem;max-width:14rem;vertical-align:bottom}"
    ".metrics td:first-child{white-space:nowrap}\n"
    ".key{color:var(--muted);font-size:.78rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\n"
    ".ci{display:block;color:var(--muted);font-size:.78rem}\n"
    ".badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.75rem;font-weight:650;"
    "letter-spacing:.03em;text-transform:uppercase;color:#fff;white-space:nowrap}\n"
    ".badge.critical{background:var(--crit)}.badge.warning{background:var(--warn)}.badge.info{background:var(--info)}\n"
    ".finding .evidence,.finding .action{display:block;color:var(--muted);font-size:.85rem;margin-top:.2rem}\n"
    ".finding .action{color:var(--ink)}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(19rem,1fr));gap:1rem 1.5rem;margin:1rem 0}\n"
    "figure{margin:0;break-inside:avoid;page-break-inside:avoid}\n"
    "figure svg{display:block;width:100%;height:auto;max-width:36rem}\n"
    "figcaption{color:var(--muted);font-size:.82rem;margin-top:.2rem}\n"
    "svg text{font-family:inherit;fill:var(--ink)}\n"
    "footer{margin-top:3rem;padding-top:.8rem;border-top:1px solid var(--rule);color:var(--muted);font-size:.8rem}\n"
    "@media (max-width:40rem){main{padding:1.2rem .9rem 2rem}h1{font-size:1.5rem}"
    ".facts{grid-template-columns:1fr}.facts dd{margin-bottom:.4rem}}\n"
    "@media print{body{font-size:11pt}main{max-width:none;padding:0}.summary{background:none}"
    "h2{break-after:avoid;page-break-after:avoid}.table{overflow:visible}table{font-size:9pt}"
    ".badge{color:#000;border:1px solid #000;background:none!important}"
    ".charts{grid-template-columns:1fr 1fr}a{color:inherit;text-decoration:none}}\n";

static void fact(page *p, const char *term, const char *value) {
    if (!value)
        return;
    put(p, "<dt>");
    esc(p, term);
    put(p, "</dt><dd>");
    esc(p, value);
    put(p, "</dd>");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Summary                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

static void summary_eval(page *p, const plumb__eval *e) {
    const plumb__record *r = p->r;
    const char *pos = r->positive_class ? r->positive_class : "positive";
    const char *neg = r->negative_class ? r->negative_class : r->positive_class ? "other" : "negative";
    char a[48], b[48], c[48];
    const plumb__metric *auc = find_metric(e, "roc_auc");
    const plumb__metric *r2 = find_metric(e, "r2"), *mae = find_metric(e, "mae"), *rmse = find_metric(e, "rmse");
    if (!auc && !r2 && !mae)
        return;
    put(p, "<p>");
    if (e->name) {
        put(p, "On ");
        esc(p, e->name);
        put(p, ", the ");
    } else
        put(p, "The ");
    /* "the boosted model"; a name that already ends in "model" is not followed by another ("the naive model", and
     * "the model" for one named "model") */
    const size_t ml = e->model ? strlen(e->model) : 0;
    const bool says_model = ml >= 5 && strcmp(e->model + ml - 5, "model") == 0 && (ml == 5 || e->model[ml - 6] == ' ');
    if (e->model && !says_model) {
        esc(p, e->model);
        put(p, " model ");
    } else if (says_model) {
        esc(p, e->model);
        put(p, " ");
    } else
        put(p, "model ");
    if (auc) {
        fmt_percent(a, sizeof a, auc->value, 0);
        plumb__fmt_fixed(b, sizeof b, auc->value, 2);
        put(p, "ranks a random ");
        esc(p, pos);
        put(p, " case above a random ");
        esc(p, neg);
        plumb__buf_printf(p->b, " one %s of the time (AUC %s", a, b);
        if (isfinite(auc->lo)) {
            plumb__fmt_fixed(a, sizeof a, auc->lo, 2);
            plumb__fmt_fixed(c, sizeof c, auc->hi, 2);
            plumb__buf_printf(p->b, ", 95%% interval %s to %s", a, c);
        }
        put(p, auc->value < 0.6 ? "), barely better than a coin toss." : ").");
        if (e->has_confusion && isfinite(e->threshold)) {
            const double total = e->tn + e->fp + e->fn + e->tp, flagged = e->tp + e->fp, pos_n = e->tp + e->fn;
            if (total > 0) {
                plumb__fmt_fixed(a, sizeof a, e->threshold, 2);
                /* a share that rounds to 0% or 100% is said with its counts: "flags 0% of cases; 100% of those
                 * flagged are bad" read as a contradiction when one case of 1,000 was flagged */
                const double share = flagged / total;
                fmt_percent(b, sizeof b, share, 0);
                if (flagged == 0)
                    plumb__buf_printf(p->b, " At a score threshold of %s it flags no case", a);
                else if (share < 0.005 || flagged < 20) {
                    fmt_count(b, sizeof b, flagged);
                    fmt_count(c, sizeof c, total);
                    plumb__buf_printf(p->b, " At a score threshold of %s it flags %s of %s cases", a, b, c);
                } else
                    plumb__buf_printf(p->b, " At a score threshold of %s it flags %s of cases", a, b);
                if (flagged > 0 && flagged < 20) {
                    fmt_count(b, sizeof b, e->tp);
                    put(p, "; ");
                    put(p, b);
                    put(p, e->tp == 1 ? " of them is " : " of them are ");
                    esc(p, pos);
                } else if (flagged > 0) {
                    fmt_percent(c, sizeof c, e->tp / flagged, 0);
                    plumb__buf_printf(p->b, "; %s of those flagged are ", c);
                    esc(p, pos);
                }
                if (pos_n > 0) {
                    fmt_percent(c, sizeof c, e->tp / pos_n, 0);
                    plumb__buf_printf(p->b, ", and it catches %s of all ", c);
                    esc(p, pos);
                    put(p, " cases");
                }
                put(p, ".");
            }
        }
    } else {
        if (mae) {
            fmt_metric(a, sizeof a, mae->value);
            plumb__buf_printf(p->b, "is off by %s on average", a);
            if (rmse) {
                fmt_metric(b, sizeof b, rmse->value);
                plumb__buf_printf(p->b, " (RMSE %s)", b);
            }
        }
        if (r2) {
            fmt_percent(a, sizeof a, r2->value, 0);
            plumb__fmt_fixed(b, sizeof b, r2->value, 2);
            plumb__buf_printf(p->b, "%sexplains %s of the variance", mae ? " and " : "", a);
            if (r->target) {
                put(p, " of ");
                esc(p, r->target);
            }
            plumb__buf_printf(p->b, " (R\xC2\xB2 %s)", b);
        }
        put(p, ".");
    }
    put(p, "</p>\n");
}

static void summary_comparison(page *p, const plumb__comparison *c) {
    if (!isfinite(c->offline) || !isfinite(c->out_of_time))
        return;
    char a[32], b[32], d[32];
    const char *label = plumb__metric_label(c->metric ? c->metric : "roc_auc");
    const bool higher_better = !c->metric || !(strstr(c->metric, "loss") || strcmp(c->metric, "brier") == 0 ||
                                               strcmp(c->metric, "rmse") == 0 || strcmp(c->metric, "mae") == 0);
    const double drop = higher_better ? c->offline - c->out_of_time : c->out_of_time - c->offline;
    fmt_metric(a, sizeof a, c->offline);
    fmt_metric(b, sizeof b, c->out_of_time);
    fmt_metric(d, sizeof d, fabs(drop));
    put(p, "<p>");
    if (c->name) {
        put(p, "The ");
        esc(p, c->name);
    } else
        put(p, "The model");
    plumb__buf_printf(p->b, " scores %s (", a);
    esc(p, label);
    plumb__buf_printf(p->b, ") in offline validation and %s on later data it never saw", b);
    if (drop >= 0.05)
        plumb__buf_printf(p->b, ": a drop of %s, so the offline figure overstates what it will do in production.", d);
    else if (drop > 0.02)
        plumb__buf_printf(p->b, ": a small drop of %s.", d);
    else
        put(p, ": it holds up over time.");
    put(p, "</p>\n");
}

static void summary_audit(page *p) {
    const plumb__record *r = p->r;
    size_t count[3] = {0, 0, 0}; /* critical, warning, info */
    for (size_t i = 0; i < r->n_findings; i++)
        count[strcmp(r->findings[i].severity, "critical") == 0  ? 0
              : strcmp(r->findings[i].severity, "warning") == 0 ? 1
                                                                : 2]++;
    put(p, "<p>");
    if (r->n_findings == 0) {
        put(p, "The data audit found nothing that looks like leakage or bad labels.</p>\n");
        return;
    }
    static const char *const kind[3][2] = {
        {"critical finding", "critical findings"}, {"warning", "warnings"}, {"note", "notes"}};
    put(p, "The data audit raised ");
    size_t listed = 0, nonzero = (count[0] > 0) + (count[1] > 0) + (count[2] > 0);
    for (int k = 0; k < 3; k++) {
        if (!count[k])
            continue;
        put(p, listed == 0 ? "" : listed + 1 == nonzero ? " and " : ", ");
        plumb__buf_printf(p->b, "%zu %s", count[k], kind[k][count[k] != 1]);
        listed++;
    }
    if (count[0] == 0)
        put(p, " and nothing critical");
    size_t shown = 0;
    for (int sev = 0; sev < 2; sev++)
        for (size_t i = 0; i < r->n_findings && shown < 3; i++) {
            const plumb__finding *f = &r->findings[i];
            if (!f->title || strcmp(f->severity, sev == 0 ? "critical" : "warning") != 0)
                continue;
            put(p, shown == 0 ? ". The most serious:</p>\n<ul>\n<li>" : "</li>\n<li>");
            esc(p, f->title);
            shown++;
        }
    put(p, shown ? "</li>\n</ul>\n" : ".</p>\n");
}

static void section_summary(page *p) {
    const plumb__record *r = p->r;
    const size_t start = p->b->len;
    put(p, "<section class=\"summary\" id=\"summary\" aria-label=\"Summary\">\n<h2>Summary</h2>\n");
    const size_t body = p->b->len;
    for (size_t i = 0, shown = 0; i < r->n_evals && shown < 4; i++) {
        const size_t before = p->b->len;
        summary_eval(p, &r->evals[i]);
        shown += p->b->len != before;
    }
    for (size_t i = 0; i < r->n_comparison && i < 4; i++)
        summary_comparison(p, &r->comparison[i]);
    if (r->n_students)
        plumb__distill_summary(p);
    if (r->n_fold_metrics > 0) {
        const plumb__fold_metric *f = &r->fold_metrics[0];
        size_t n;
        double sd, m = mean_sd(&f->v, &sd, &n);
        if (n > 0) {
            char a[32], b[32];
            fmt_metric(a, sizeof a, m);
            fmt_metric(b, sizeof b, sd);
            plumb__buf_printf(p->b, "<p>Across %zu cross-validation folds", n);
            if (r->fold_strategy) {
                put(p, " (");
                esc(p, r->fold_strategy);
                put(p, ")");
            }
            put(p, ", ");
            esc(p, plumb__metric_label(f->name));
            plumb__buf_printf(p->b, " is %s \xC2\xB1 %s.</p>\n", a, b);
        }
    }
    if (r->has_tune && isfinite(r->tune_best_cv)) {
        char a[32], b[32];
        fmt_metric(a, sizeof a, r->tune_best_cv);
        put(p, "<p>The best of ");
        if (isfinite(r->tune_trials))
            plumb__buf_printf(p->b, "%.0f", r->tune_trials);
        put(p, " trials scored ");
        esc(p, plumb__metric_label(r->tune_metric));
        plumb__buf_printf(p->b, " %s in cross-validation, an optimistic figure (the best of many)", a);
        if (isfinite(r->tune_test_score)) {
            fmt_metric(b, sizeof b, r->tune_test_score);
            plumb__buf_printf(p->b,
                              "; refit on every training row, the model scores %s on held-out rows no trial "
                              "saw.</p>\n",
                              b);
        } else {
            put(p, ". No rows were held out, so there is no unbiased estimate.</p>\n");
        }
    }
    if (r->has_audit)
        summary_audit(p);
    if (r->decision) {
        put(p, "<p class=\"decision\">Decision: ");
        esc(p, r->decision);
        put(p, "</p>\n");
        if (r->rationale) {
            put(p, "<p>Why: ");
            esc(p, r->rationale);
            put(p, "</p>\n");
        }
    }
    if (p->b->len == body)
        put(p, "<p>This record holds no evaluation, audit or decision yet; the sections below show what it has.</p>\n");
    (void)start;
    put(p, "</section>\n");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Sections                                                                                                    */
/* ---------------------------------------------------------------------------------------------------------- */

static void section_problem(page *p) {
    if (!p->r->problem)
        return;
    put(p, "<section id=\"problem\">\n<h2>The problem</h2>\n");
    paragraphs(p, p->r->problem);
    put(p, "</section>\n");
}

static void param_value(page *p, json_t *v) {
    char s[64];
    if (json_is_string(v))
        esc(p, json_string_value(v));
    else if (json_is_integer(v))
        plumb__buf_printf(p->b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        snprintf(s, sizeof s, "%.6g", json_real_value(v));
        put(p, s);
    } else if (json_is_boolean(v))
        put(p, json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        put(p, "none");
    else {
        char *d = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!d) {
            p->b->oom = true;
            return;
        }
        esc(p, d);
        free(d);
    }
}

/* What a setting or a training-run figure is, in words; the record's key is shown beside it. */
static const struct {
    const char *key, *label;
} setting_labels[] = {
    {"objective", "objective"},
    {"num_iterations", "boosting iterations (most)"},
    {"early_stopping_rounds", "early stopping: rounds without improvement (0: off)"},
    {"learning_rate", "learning rate"},
    {"num_leaves", "leaves per tree (most)"},
    {"max_depth", "depth (most; -1: no limit)"},
    {"min_data_in_leaf", "rows per leaf (fewest)"},
    {"min_sum_hessian_in_leaf", "hessian per leaf (smallest sum)"},
    {"lambda_l1", "L1 regularisation of leaf values"},
    {"lambda_l2", "L2 regularisation of leaf values"},
    {"min_gain_to_split", "gain to make a split (smallest)"},
    {"feature_fraction", "share of features per tree"},
    {"bagging_fraction", "share of rows per bag"},
    {"bagging_freq", "new bag every N iterations (0: no bagging)"},
    {"max_bin", "bins per feature (most)"},
    {"monotone", "monotone constraints"},
    {"calibration", "probability calibration"},
    {"class_weight", "class weights"},
    {"l1_ratio", "L1 share of the penalty"},
    {"standardize", "numeric columns standardised"},
    {"clip_quantile", "numeric values clipped at quantile"},
    {"min_category_weight", "weight for a category's own column (smallest)"},
    {"max_iter", "solver iterations (most)"},
    {"tol", "solver tolerance"},
    {"criterion", "split criterion"},
    {"min_samples_split", "rows to split a node (fewest)"},
    {"min_samples_leaf", "rows per leaf (fewest)"},
    {"min_impurity_decrease", "impurity decrease to split (smallest)"},
    {"ccp_alpha", "cost-complexity pruning strength"},
    {"n_iterations", "iterations trained"},
    {"best_iteration", "iterations kept (the best)"},
    {"train_rows", "training rows"},
    {"metric", "validation metric"},
    {"train_metric", "metric on the training rows"},
    {"valid_metric", "metric on the validation rows"},
};

/* A table of a record object's keys with their values: the training settings (skipping the class names, which
 * the data facts show) or the training run's figures. */
static void settings_table(page *p, json_t *obj, const char *title, bool settings) {
    if (!obj || json_object_size(obj) == 0)
        return;
    put(p, "<h3>");
    esc(p, title);
    put(p, "</h3>\n<div class=\"table\"><table class=\"settings\" aria-label=\"");
    esc(p, title);
    put(p, settings ? "\"><thead><tr><th>setting</th><th>value</th></tr></thead><tbody>\n"
                    : "\"><thead><tr><th>figure</th><th>value</th></tr></thead><tbody>\n");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (settings && (strcmp(key, "positive_class") == 0 || strcmp(key, "negative_class") == 0))
            continue;
        const char *label = NULL;
        for (size_t i = 0; i < sizeof setting_labels / sizeof *setting_labels; i++)
            if (strcmp(setting_labels[i].key, key) == 0)
                label = setting_labels[i].label;
        put(p, "<tr><td>");
        esc(p, label ? label : key);
        if (label) {
            put(p, " <span class=\"key\">");
            esc(p, key);
            put(p, "</span>");
        }
        put(p, "</td><td>");
        if (strcmp(key, "monotone") == 0 && json_is_object(v)) {
            /* {"Income": -1} reads "Income decreasing" */
            const char *col;
            json_t *dir;
            bool first = true;
            json_object_foreach(v, col, dir) {
                put(p, first ? "" : ", ");
                esc(p, col);
                put(p, json_is_number(dir) && json_number_value(dir) < 0 ? " decreasing" : " increasing");
                first = false;
            }
        } else
            param_value(p, v);
        put(p, "</td></tr>\n");
    }
    put(p, "</tbody></table></div>\n");
}

static void section_approach(page *p) {
    const plumb__record *r = p->r;
    const bool data = r->data_path || r->target || isfinite(r->rows) || r->positive_class;
    if (!r->approach && !data && !r->has_model)
        return;
    char s[64];
    put(p, "<section id=\"approach\">\n<h2>The approach</h2>\n");
    paragraphs(p, r->approach);
    put(p, "<div class=\"cols\">\n");
    if (data) {
        put(p, "<div>");
        put(p, "<h3>Data</h3>\n<dl class=\"facts\">");
        fact(p, "file", r->data_path);
        if (isfinite(r->rows)) {
            fmt_count(s, sizeof s, r->rows);
            fact(p, "rows", s);
        }
        fact(p, "target", r->target);
        fact(p, "task", r->task);
        fact(p, "positive class", r->positive_class);
        fact(p, "negative class", r->negative_class);
        if (isfinite(r->positive_rate)) {
            fmt_percent(s, sizeof s, r->positive_rate, 1);
            fact(p, "positive rate", s);
        }
        put(p, "</dl></div>\n");
    }
    if (r->has_model) {
        put(p, "<div><h3>Model</h3>\n<dl class=\"facts\">");
        fact(p, "kind", r->model_kind);
        fact(p, "objective", r->objective);
        if (isfinite(r->n_features)) {
            fmt_count(s, sizeof s, r->n_features);
            fact(p, "features", s);
        }
        if (isfinite(r->n_trees)) {
            fmt_count(s, sizeof s, r->n_trees);
            fact(p, "trees", s);
        }
        put(p, "</dl></div>\n");
    }
    put(p, "</div>\n");
    if (r->has_model) {
        settings_table(p, r->settings, "Training settings", true);
        settings_table(p, r->params, "Training run", false);
    }
    put(p, "</section>\n");
}

static void section_validation(page *p) {
    const plumb__record *r = p->r;
    const bool lc = r->lc_train.n || r->lc_valid.n;
    if (!r->validation && !r->n_fold_metrics && !lc)
        return;
    put(p, "<section id=\"validation\">\n<h2>Validation</h2>\n");
    paragraphs(p, r->validation);
    if (r->n_fold_metrics || lc) {
        put(p, "<div class=\"charts\">\n");
        if (r->n_fold_metrics)
            plumb__chart_folds(p);
        if (lc)
            plumb__chart_learning(p);
        put(p, "</div>\n");
    }
    put(p, "</section>\n");
}

/* A tune record's search: what was searched, the best CV score against the held-out one, the history, the
 * parameters' importance and the best parameters. */
static void section_search(page *p) {
    const plumb__record *r = p->r;
    if (!r->has_tune)
        return;
    char s[64];
    put(p, "<section id=\"search\">\n<h2>The search</h2>\n<div class=\"cols\">\n<div><dl class=\"facts\">");
    fact(p, "sampler", r->tune_sampler);
    fact(p, "metric", plumb__metric_label(r->tune_metric));
    fact(p, "better", r->tune_higher ? "higher" : "lower");
    if (isfinite(r->tune_trials)) {
        fmt_count(s, sizeof s, r->tune_trials);
        fact(p, "trials", s);
    }
    if (isfinite(r->tune_pruned)) {
        fmt_count(s, sizeof s, r->tune_pruned);
        fact(p, "pruned", s);
    }
    if (isfinite(r->tune_failed) && r->tune_failed > 0) {
        fmt_count(s, sizeof s, r->tune_failed);
        fact(p, "failed", s);
    }
    if (isfinite(r->tune_folds)) {
        fmt_count(s, sizeof s, r->tune_folds);
        fact(p, "folds per trial", s);
    }
    if (isfinite(r->tune_seconds)) {
        snprintf(s, sizeof s, "%.1f s", r->tune_seconds);
        fact(p, "wall time", s);
    }
    put(p, "</dl></div>\n<div><dl class=\"facts\">");
    if (isfinite(r->tune_best_trial)) {
        fmt_count(s, sizeof s, r->tune_best_trial);
        fact(p, "best trial", s);
    }
    if (isfinite(r->tune_best_cv)) {
        fmt_metric(s, sizeof s, r->tune_best_cv);
        fact(p, "best CV score (optimistic)", s);
    }
    if (isfinite(r->tune_test_score)) {
        fmt_metric(s, sizeof s, r->tune_test_score);
        fact(p, "held-out score (unbiased)", s);
        fact(p, "held-out data", r->tune_test_data);
    } else {
        fact(p, "held-out score", "none: no rows were kept out of the search");
    }
    put(p, "</dl></div>\n</div>\n<div class=\"charts\">\n");
    if (r->tune_scores.n)
        plumb__chart_tune_history(p);
    if (r->tune_imp.n)
        plumb__chart_tune_importance(p);
    put(p, "</div>\n");
    settings_table(p, r->tune_best_params, "Best parameters", true);
    put(p, "</section>\n");
}

static int severity_rank(const char *s) {
    return strcmp(s, "critical") == 0 ? 0 : strcmp(s, "warning") == 0 ? 1 : 2;
}

static void audit_score_row(page *p, const char *what, double v) {
    if (!isfinite(v))
        return;
    char s[32];
    fmt_metric(s, sizeof s, v);
    put(p, "<tr><td>");
    esc(p, what);
    plumb__buf_printf(p->b, "</td><td class=\"num\">%s</td></tr>\n", s);
}

static void section_risks(page *p) {
    const plumb__record *r = p->r;
    if (!r->risks && !r->has_audit)
        return;
    put(p, "<section id=\"risks\">\n<h2>Risks</h2>\n");
    paragraphs(p, r->risks);
    if (r->has_audit) {
        char s[64];
        put(p, "<h3>Data audit</h3>\n<dl class=\"facts\">");
        fact(p, "target", r->audit_target);
        if (isfinite(r->audit_rows)) {
            fmt_count(s, sizeof s, r->audit_rows);
            fact(p, "rows", s);
        }
        if (isfinite(r->audit_positive_rate)) {
            fmt_percent(s, sizeof s, r->audit_positive_rate, 1);
            fact(p, "positive rate", s);
        }
        if (isfinite(r->audit_noise_rate)) {
            fmt_percent(s, sizeof s, r->audit_noise_rate, 1);
            fact(p, "estimated wrong labels", s);
        }
        if (isfinite(r->audit_suspects)) {
            fmt_count(s, sizeof s, r->audit_suspects);
            fact(p, "suspect labels", s);
        }
        if (isfinite(r->audit_immature)) {
            fmt_count(s, sizeof s, r->audit_immature);
            fact(p, "rows too recent for a final label", s);
        }
        put(p, "</dl>\n");
        const double scores[] = {r->score_train,       r->score_cv_random, r->score_cv_time,
                                 r->score_out_of_time, r->score_test,      r->score_row_order};
        bool any = false;
        for (size_t i = 0; i < 6; i++)
            any |= isfinite(scores[i]) != 0;
        if (any) {
            put(p, "<div class=\"table\"><table aria-label=\"audit scores\"><thead><tr><th>the audit's own model, "
                   "scored on</th><th class=\"num\">");
            esc(p, plumb__metric_label(r->audit_metric ? r->audit_metric : "roc_auc"));
            put(p, "</th></tr></thead><tbody>\n");
            audit_score_row(p, "its training data", r->score_train);
            audit_score_row(p, "cross-validation, random folds", r->score_cv_random);
            audit_score_row(p, "cross-validation, folds in time order", r->score_cv_time);
            audit_score_row(p, "the most recent rows (out of time)", r->score_out_of_time);
            audit_score_row(p, "the test set", r->score_test);
            audit_score_row(p, "the row order alone", r->score_row_order);
            put(p, "</tbody></table></div>\n");
        }
        if (r->n_findings > 0) {
            put(p, "<h3>Findings, most severe first</h3>\n<div class=\"table\"><table class=\"findings\" "
                   "aria-label=\"audit findings\"><thead><tr><th>severity</th><th>finding</th><th>column</th></tr>"
                   "</thead><tbody>\n");
            for (int sev = 0; sev < 3; sev++)
                for (size_t i = 0; i < r->n_findings; i++) {
                    const plumb__finding *f = &r->findings[i];
                    if (severity_rank(f->severity) != sev)
                        continue;
                    put(p, "<tr class=\"finding\"><td><span class=\"badge ");
                    esc(p, f->severity);
                    put(p, "\">");
                    esc(p, f->severity);
                    put(p, "</span></td><td>");
                    esc(p, f->title ? f->title : f->check);
                    if (f->evidence) {
                        put(p, "<span class=\"evidence\">");
                        esc(p, f->evidence);
                        put(p, "</span>");
                    }
                    if (f->action) {
                        put(p, "<span class=\"action\">Action: ");
                        esc(p, f->action);
                        put(p, "</span>");
                    }
                    put(p, "</td><td>");
                    esc(p, f->column ? f->column : "\xE2\x80\x94");
                    put(p, "</td></tr>\n");
                }
            put(p, "</tbody></table></div>\n");
        }
        if (r->n_audit_features > 0) {
            put(p, "<div class=\"charts\">\n");
            plumb__chart_audit_features(p);
            put(p, "</div>\n");
        }
    }
    put(p, "</section>\n");
}

/* The metric columns of the table: those of any evaluation, known ones first (each evaluation lists them so). */
static void metrics_table(page *p) {
    const plumb__record *r = p->r;
    size_t total = 0;
    for (size_t i = 0; i < r->n_evals; i++)
        total += r->evals[i].n_metrics;
    if (total == 0)
        return;
    const char **cols = malloc(total * sizeof *cols);
    if (!cols) {
        p->b->oom = true;
        return;
    }
    size_t n_cols = 0;
    for (size_t i = 0; i < r->n_evals; i++)
        for (size_t k = 0; k < r->evals[i].n_metrics; k++) {
            const char *name = r->evals[i].metrics[k].name;
            bool seen = false;
            for (size_t c = 0; c < n_cols; c++)
                seen |= strcmp(cols[c], name) == 0;
            if (!seen)
                cols[n_cols++] = name;
        }
    /* a row a metric, a column an evaluation: there are few evaluations and many metrics, and a phone scrolls the
     * narrow way */
    char s[96], lo[32], hi[32];
    bool any_ci = false;
    put(p, "<div class=\"table\"><table class=\"metrics\" aria-label=\"metrics\"><thead><tr><th>metric</th>");
    for (size_t i = 0; i < r->n_evals; i++) {
        if (r->evals[i].n_metrics == 0)
            continue;
        plumb__eval_label(&r->evals[i], i, s, sizeof s);
        put(p, "<th class=\"num\">");
        esc(p, s);
        put(p, "</th>");
    }
    put(p, "</tr></thead><tbody>\n");
    for (size_t c = 0; c < n_cols; c++) {
        put(p, "<tr><td>");
        esc(p, plumb__metric_label(cols[c]));
        put(p, "</td>");
        for (size_t i = 0; i < r->n_evals; i++) {
            const plumb__eval *e = &r->evals[i];
            if (e->n_metrics == 0)
                continue;
            const plumb__metric *m = NULL;
            for (size_t k = 0; k < e->n_metrics; k++)
                if (strcmp(e->metrics[k].name, cols[c]) == 0)
                    m = &e->metrics[k];
            if (!m) {
                put(p, "<td class=\"num\"></td>");
                continue;
            }
            fmt_metric(s, sizeof s, m->value);
            plumb__buf_printf(p->b, "<td class=\"num\">%s", s);
            if (isfinite(m->lo) && isfinite(m->hi)) {
                fmt_metric(lo, sizeof lo, m->lo);
                fmt_metric(hi, sizeof hi, m->hi);
                plumb__buf_printf(p->b, "<span class=\"ci\">%s\xE2\x80\x93%s</span>", lo, hi);
                any_ci = true;
            }
            put(p, "</td>");
        }
        put(p, "</tr>\n");
    }
    put(p, "</tbody></table></div>\n");
    if (any_ci)
        put(p, "<p class=\"meta\">Small figures under a value: its 95% confidence interval.</p>\n");
    free(cols);
}

static void comparison_block(page *p) {
    const plumb__record *r = p->r;
    char a[32], b[32];
    put(p, "<h3>Offline against out of time</h3>\n<div class=\"table\"><table aria-label=\"comparison\"><thead><tr>"
           "<th>model</th><th>metric</th><th class=\"num\">offline</th><th class=\"num\">out of time</th>"
           "<th class=\"num\">change</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->n_comparison; i++) {
        const plumb__comparison *c = &r->comparison[i];
        put(p, "<tr><td>");
        esc(p, c->name ? c->name : "model");
        put(p, "</td><td>");
        esc(p, plumb__metric_label(c->metric ? c->metric : "roc_auc"));
        fmt_metric(a, sizeof a, c->offline);
        fmt_metric(b, sizeof b, c->out_of_time);
        plumb__buf_printf(p->b, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td>", a, b);
        const double d = c->out_of_time - c->offline;
        fmt_metric(a, sizeof a, d);
        plumb__buf_printf(p->b, "<td class=\"num\">%s%s</td></tr>\n", isfinite(d) && d > 0 ? "+" : "", a);
    }
    put(p, "</tbody></table></div>\n");
    plumb__bar *bars = calloc(r->n_comparison, sizeof *bars);
    if (!bars) {
        p->b->oom = true;
        return;
    }
    bool r2_or_auc = true;
    for (size_t i = 0; i < r->n_comparison; i++) {
        bars[i] = (plumb__bar){r->comparison[i].name ? r->comparison[i].name : "model",
                               {r->comparison[i].offline, r->comparison[i].out_of_time},
                               0};
        r2_or_auc &= !r->comparison[i].metric || strcmp(r->comparison[i].metric, "roc_auc") == 0;
    }
    char title[96];
    snprintf(title, sizeof title, "%s offline and out of time",
             plumb__metric_label(r->comparison[0].metric ? r->comparison[0].metric : "roc_auc"));
    plumb__bar_chart c = {title,
                          "Each model's score in offline validation next to its score on later data.",
                          plumb__metric_label(r->comparison[0].metric ? r->comparison[0].metric : "roc_auc"),
                          bars,
                          r->n_comparison,
                          2,
                          {"offline", "out of time"},
                          r2_or_auc ? 0.5 : NAN,
                          r2_or_auc ? 1 : NAN,
                          3,
                          {NAN, NAN},
                          {NULL, NULL}};
    put(p, "<div class=\"charts\">\n");
    figure_open(p);
    plumb__svg_hbars(p->b, p->next_id++, &c);
    figure_close(p, NULL);
    put(p, "</div>\n");
    free(bars);
}

static void section_results(page *p) {
    const plumb__record *r = p->r;
    bool any_metric = false, any_curve = false, any_conf = false, any_hist = false, any_shap = false, any_gain = false,
         any_reg = false;
    for (size_t i = 0; i < r->n_evals; i++) {
        const plumb__eval *e = &r->evals[i];
        any_metric |= e->n_metrics > 0;
        any_curve |= e->roc_fpr.n || e->pr_recall.n || e->cal_pred.n || e->gain_pop.n;
        any_conf |= e->has_confusion;
        any_hist |= e->hist_edges.n > 1;
        any_reg |= e->reg_pred.n > 0 || e->n_segments > 0;
    }
    for (size_t i = 0; i < r->n_importance; i++) {
        any_gain |= isfinite(r->importance[i].gain_share) != 0;
        any_shap |= isfinite(r->importance[i].shap_mean_abs) != 0;
    }
    const bool realtime = json_object_get(r->root, "realtime") != NULL;
    if (!r->results && !any_metric && !any_curve && !any_conf && !any_hist && !any_reg && !r->n_comparison &&
        !any_gain && !any_shap && !r->n_contributions && !r->n_students && !realtime)
        return;
    put(p, "<section id=\"results\">\n<h2>Results</h2>\n");
    paragraphs(p, r->results);
    if (any_metric)
        metrics_table(p);
    if (r->n_comparison)
        comparison_block(p);
    if (r->n_students)
        plumb__distill_block(p);
    if (realtime)
        plumb__realtime_block(p);
    if (any_curve) {
        put(p, "<h3>How well it ranks and how far its probabilities can be trusted</h3>\n<div class=\"charts\">\n");
        plumb__charts_curves(p);
        put(p, "</div>\n");
    }
    if (any_reg) {
        put(p, "<h3>How far off the predictions are</h3>\n<div class=\"charts\">\n");
        for (size_t i = 0; i < r->n_evals; i++)
            plumb__charts_regression(p, &r->evals[i], i);
        put(p, "</div>\n");
    }
    if (any_conf || any_hist) {
        put(p, "<h3>Decisions at the threshold and scores by class</h3>\n<div class=\"charts\">\n");
        for (size_t i = 0; i < r->n_evals; i++) {
            const plumb__eval *e = &r->evals[i];
            char label[96], title[160], thr[32];
            plumb__eval_label(e, i, label, sizeof label);
            if (e->has_confusion) {
                if (isfinite(e->threshold)) {
                    plumb__fmt_fixed(thr, sizeof thr, e->threshold, 2);
                    snprintf(title, sizeof title, "Confusion at %s: %s", thr, label);
                } else
                    snprintf(title, sizeof title, "Confusion: %s", label);
                figure_open(p);
                plumb__svg_confusion(p->b, p->next_id++, title,
                                     r->negative_class   ? r->negative_class
                                     : r->positive_class ? "other"
                                                         : "negative",
                                     r->positive_class ? r->positive_class : "positive", e->tn, e->fp, e->fn, e->tp);
                figure_close(p, NULL);
            }
            if (e->hist_edges.n > 1)
                plumb__chart_hist(p, e, i);
        }
        put(p, "</div>\n");
    }
    if (any_gain || any_shap || r->n_contributions) {
        put(p, "<h3>What the model relies on</h3>\n<div class=\"charts\">\n");
        if (any_gain)
            plumb__chart_ranked(p, 0);
        if (any_shap)
            plumb__chart_ranked(p, 1);
        if (r->n_contributions)
            plumb__chart_ranked(p, 2);
        put(p, "</div>\n");
    }
    put(p, "</section>\n");
}

static void section_decision(page *p) {
    const plumb__record *r = p->r;
    if (!r->decision && !r->rationale)
        return;
    put(p, "<section id=\"decision\">\n<h2>Decision and rationale</h2>\n");
    if (r->decision) {
        put(p, "<div class=\"decision\">");
        paragraphs(p, r->decision);
        put(p, "</div>\n");
    }
    paragraphs(p, r->rationale);
    put(p, "</section>\n");
}

static const char *kind_name(const char *kind) {
    return strcmp(kind, "train") == 0     ? "training run"
           : strcmp(kind, "cv") == 0      ? "cross-validation"
           : strcmp(kind, "eval") == 0    ? "evaluation"
           : strcmp(kind, "audit") == 0   ? "data audit"
           : strcmp(kind, "distill") == 0 ? "distillation"
           : strcmp(kind, "tune") == 0    ? "hyperparameter search"
                                          : "case study";

    return strcmp(kind, "train") == 0   ? "training run"
           : strcmp(kind, "cv") == 0    ? "cross-validation"
           : strcmp(kind, "eval") == 0  ? "evaluation"
           : strcmp(kind, "audit") == 0 ? "data audit"
           : strcmp(kind, "tune") == 0  ? "hyperparameter search"
                                        : "case study";
}

static void document(page *p) {
    const plumb__record *r = p->r;
    char title[160];
    if (r->title)
        snprintf(title, sizeof title, "%s", r->title);
    else
        snprintf(title, sizeof title, "plumb %s report", kind_name(r->kind));
    put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    plumb__buf_printf(p->b, "<meta name=\"generator\" content=\"plumb %s\">\n<title>", plumb_version());
    esc(p, r->title ? r->title : title);
    put(p, "</title>\n<style>\n");
    put(p, css);
    put(p, "</style>\n</head>\n<body>\n<main>\n<header>\n<p class=\"kicker\">plumb \xC2\xB7 ");
    put(p, kind_name(r->kind));
    put(p, "</p>\n<h1>");
    esc(p, r->title ? r->title : title);
    put(p, "</h1>\n");
    if (r->created || r->data_path) {
        put(p, "<p class=\"meta\">");
        if (r->created) {
            put(p, "<time>");
            esc(p, r->created);
            put(p, "</time>");
        }
        if (r->created && r->data_path)
            put(p, " \xC2\xB7 ");
        if (r->data_path) {
            put(p, "data: ");
            esc(p, r->data_path);
        }
        put(p, "</p>\n");
    }
    put(p, "</header>\n");
    section_summary(p);
    section_problem(p);
    section_approach(p);
    section_validation(p);
    section_search(p);
    section_risks(p);
    section_results(p);
    section_decision(p);
    put(p, "<footer>Written by plumb ");
    esc(p, r->plumb_version ? r->plumb_version : plumb_version());
    put(p, " from a run record; every number on this page is in the JSON file beside it.</footer>\n"
           "</main>\n</body>\n</html>\n");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Public API                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */

/* Renders into *b (owned by the caller, freed by it). */
static plumb_status render(const char *json, size_t len, const char *name, plumb__buf *b, plumb_error *err) {
    plumb__record r;
    plumb_status st = plumb__record_parse(json, len, name, &r, err);
    if (st == PLUMB_OK) {
        page p = {b, &r, 1};
        document(&p);
        if (b->oom)
            st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    plumb__record_free(&r);
    return st;
}

plumb_status plumb_report_render(const char *run_json, size_t len, const char *name, FILE *out, plumb_error *err) {
    plumb__error_clear(err);
    const locale_t saved = plumb__c_locale_enter();
    plumb__buf b = {0};
    plumb_status st = render(run_json, len, name, &b, err);
    if (st == PLUMB_OK && (fwrite(b.s, 1, b.len, out) != b.len || ferror(out)))
        st = plumb__fail(err, PLUMB_EIO, "cannot write the report: %s", strerror(errno));
    plumb__buf_free(&b);
    plumb__c_locale_leave(saved);
    return st;
}

static plumb_status report_write(const char *run_json, size_t len, const char *html_path, plumb_error *err);

plumb_status plumb_report_write(const char *run_json, size_t len, const char *html_path, plumb_error *err) {
    const locale_t saved = plumb__c_locale_enter();
    const plumb_status st = report_write(run_json, len, html_path, err);
    plumb__c_locale_leave(saved);
    return st;
}

static plumb_status report_write(const char *run_json, size_t len, const char *html_path, plumb_error *err) {
    plumb__error_clear(err);
    plumb__buf b = {0};
    plumb_outfile *file = NULL;
    FILE *f;
    char *json_path = NULL;
    plumb_status st = PLUMB_OK;
    if (!html_path || !html_path[0] || strcmp(html_path, "-") == 0)
        return plumb__fail(err, PLUMB_EINVAL, "the report needs a file name, not '%s'", html_path ? html_path : "");
    const size_t n = strlen(html_path);
    if (!(json_path = malloc(n + 6)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (n > 5 && strcmp(html_path + n - 5, ".html") == 0) {
        memcpy(json_path, html_path, n - 5);
        strcpy(json_path + n - 5, ".json");
    } else {
        memcpy(json_path, html_path, n);
        strcpy(json_path + n, ".json");
    }
    if ((st = render(run_json, len, json_path, &b, err)) != PLUMB_OK)
        goto done;
    if ((st = plumb_outfile_open(json_path, &file, &f, err)) != PLUMB_OK)
        goto done;
    fwrite(run_json, 1, len, f);
    if (len > 0 && run_json[len - 1] != '\n')
        fputc('\n', f);
    st = plumb_outfile_commit(file, err);
    file = NULL;
    if (st != PLUMB_OK)
        goto done;
    if ((st = plumb_outfile_open(html_path, &file, &f, err)) != PLUMB_OK)
        goto done;
    fwrite(b.s, 1, b.len, f);
    st = plumb_outfile_commit(file, err);
    file = NULL;
done:
    plumb_outfile_abort(file);
    plumb__buf_free(&b);
    free(json_path);
    return st;
}
