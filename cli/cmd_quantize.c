/* cmd_quantize.c -- `plumb quantize`: a gradient-boosted model made smaller for scoring (plumb_model_quantize).
 *
 * Everything is measured before the output is written, so a failure (a bad --data file) leaves no file behind. The
 * report: the file and memory sizes before and after, the bound on how far a raw score can move and, with --data,
 * how far it did move on those rows and what that did to the metrics.
 */
#include "evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_option options[] = {
    {"output", 'o', "FILE", NULL, "write the quantised model here (required)"},
    {"data", 0, "FILE", NULL, "labelled rows to measure the change on: raw-score differences and the metrics"},
    {"leaf-bits", 0, "N", "16", "bits of each leaf value: 16 (int16) or 8 (int8, smaller and less exact)"},
    {"delimiter", 'd', "CHAR", ",", "field separator of --data; 'tab' for a tab"},
    {"missing", 0, "A,B", "pandas' list and ?", "values read as missing in --data, comma-separated"},
    {"threads", 't', "N", "all cores", "threads to use"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Predictions (raw scores when raw) of both models on fr: n x K each, malloc'ed into *a and *b. */
static int predict_both(const plumb_model *m, const plumb_model *q, const plumb_frame *fr, bool raw, int threads,
                        int64_t k, double **a, double **b) {
    const int64_t n = plumb_frame_n_rows(fr);
    plumb_predict_options po = {.threads = threads, .raw = raw};
    plumb_error err;
    *a = malloc((size_t)(n * k + 1) * sizeof **a);
    *b = malloc((size_t)(n * k + 1) * sizeof **b);
    if (!*a || !*b)
        return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM, .message = "out of memory"});
    if (plumb_model_predict(m, fr, &po, *a, &err) != PLUMB_OK || plumb_model_predict(q, fr, &po, *b, &err) != PLUMB_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/* The metrics of both models' predictions pa and pb on fr's labels, printed side by side. */
static int compare_metrics(const char *path, const plumb_model *m, const plumb_frame *fr, const double *pa,
                           const double *pb, int64_t k) {
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const plumb_schema *ms = plumb_model_schema(m);
    const char *target = NULL;
    for (int64_t j = 0; j < plumb_schema_n_columns(ms); j++) {
        plumb_column_info c;
        plumb_schema_column(ms, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            target = c.name;
    }
    const int64_t col = target ? plumb_frame_find(fr, target) : -1;
    if (col < 0) {
        printf("(no target column in %s: no metrics)\n", path);
        return EXIT_OK;
    }
    const int64_t n = plumb_frame_n_rows(fr);
    double *y = malloc((size_t)(n + 1) * sizeof *y);
    plumb_task task = info.task;
    const char *positive = plumb_model_positive_class(m);
    int64_t n_classes = 0;
    plumb_evaluation ea = {0}, eb = {0};
    plumb_error err;
    int rc = EXIT_OK;
    if (!y) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM, .message = "out of memory"});
        goto done;
    }
    if (plumb_frame_labels(fr, col, path, &task, &positive, &n_classes, y, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = n;
    d.label = y;
    d.n_classes = task == PLUMB_TASK_MULTICLASS ? k : 2;
    plumb_evaluation_options eo;
    plumb_evaluation_options_init(&eo);
    eo.task = task;
    eo.source = path;
    d.score = pa;
    if ((rc = cli_evaluate(&d, &eo, &ea)) != EXIT_OK)
        goto done;
    d.score = pb;
    if ((rc = cli_evaluate(&d, &eo, &eb)) != EXIT_OK)
        goto done;
    printf("%-22s %14s %14s %12s\n", "metric", "gbdt", "gbdt_q", "change");
    for (size_t i = 0; i < ea.n_metrics && i < eb.n_metrics; i++)
        printf("%-22s %14.7f %14.7f %12.3g\n", plumb_metric_name(ea.metrics[i]), ea.values[i], eb.values[i],
               eb.values[i] - ea.values[i]);
done:
    plumb_evaluation_free(&ea);
    plumb_evaluation_free(&eb);
    free(y);
    return rc;
}

/* Raw-score differences and metrics of both models on the rows of --data. */
static int measure(const cli_args *a, const plumb_model *m, const plumb_model *q, int threads) {
    const char *path = cli_get(a, "data");
    plumb_frame *fr = NULL;
    double *ra = NULL, *rb = NULL, *pa = NULL, *pb = NULL;
    plumb_model_info info;
    plumb_model_describe(m, &info);
    const int64_t k = info.n_outputs > 0 ? info.n_outputs : 1;
    int rc = cli_read_frame(a, path, plumb_model_schema(m), &fr);
    if (rc == EXIT_OK)
        rc = predict_both(m, q, fr, true, threads, k, &ra, &rb);
    if (rc == EXIT_OK)
        rc = predict_both(m, q, fr, false, threads, k, &pa, &pb);
    if (rc != EXIT_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(fr);
    double mx = 0, sum = 0;
    for (int64_t i = 0; i < n * k; i++) {
        mx = fmax(mx, fabs(ra[i] - rb[i]));
        sum += fabs(ra[i] - rb[i]);
    }
    printf("on %s (%lld rows):\n", path, (long long)n);
    printf("raw score difference   max %.3g, mean %.3g\n", mx, n > 0 ? sum / (double)(n * k) : 0.0);
    rc = compare_metrics(path, m, fr, pa, pb, k);
done:
    free(ra);
    free(rb);
    free(pa);
    free(pb);
    plumb_frame_free(fr);
    return rc;
}

static int run(const cli_args *a) {
    const char *in = a->pos[0], *out = cli_get(a, "output");
    long long bits = 16, threads = 0;
    if (!out)
        return cli_usage_error(a->cmd, "missing option '--output FILE'");
    if (!cli_int(a, "leaf-bits", 8, &bits) || !cli_threads(a, &threads))
        return EXIT_USAGE;
    if (bits != 8 && bits != 16)
        return cli_usage_error(a->cmd, "option '--leaf-bits' expects 8 or 16, got '%s'", cli_get(a, "leaf-bits"));
    int rc = cli_check_outputs(a, CLI_FILES(out));
    if (rc != EXIT_OK)
        return rc;
    plumb_model *m = NULL, *q = NULL;
    plumb_error err;
    plumb_quantize_options qo;
    plumb_quantize_options_init(&qo);
    qo.leaf_bits = (int)bits;
    plumb_quantize_info qi;
    if (plumb_model_load(in, &m, &err) != PLUMB_OK || plumb_model_quantize(m, &qo, &q, &qi, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (cli_get(a, "data") && (rc = measure(a, m, q, (int)threads)) != EXIT_OK)
        goto done;
    if (plumb_model_save(q, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    const long long before = file_size(in), after = file_size(out);
    printf("wrote %s: gbdt_q, %d-byte nodes, %d-byte bin codes, %d-bit leaves\n", out, qi.node_bytes, qi.code_bytes,
           qi.leaf_bits);
    printf("file size              %lld -> %lld bytes (%.2fx smaller)\n", before, after,
           after > 0 ? (double)before / (double)after : 0.0);
    printf("memory                 %lld -> %lld bytes (%.2fx smaller)\n", (long long)qi.memory_before,
           (long long)qi.memory_after, (double)qi.memory_before / (double)qi.memory_after);
    printf("raw score bound        %.3g (no raw score moves further)\n", qi.error_bound);
done:
    plumb_model_free(m);
    plumb_model_free(q);
    return rc;
}

const cli_command cli_quantize = {
    .name = "quantize",
    .usage = "MODEL -o FILE [--data FILE]",
    .summary = "make a gradient-boosted model smaller for scoring: bin-index thresholds, integer leaves",
    .details = "Thresholds become indices of the model's own bin edges, so every split decides as before; leaf\n"
               "values become 16-bit (or 8-bit) integers times a per-tree scale, the one change to the scores: the\n"
               "report bounds it, and with --data measures it and the metrics before and after. The quantised\n"
               "model predicts, evaluates and serves like any model; it has no importance or contributions.\n"
               "docs/quantize.md has the format and the figures.",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
