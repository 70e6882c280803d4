/* cmd_distill.c -- `plumb distill`: a small student trained on a teacher's scores (plumb_model_distill), with the
 * accuracy/latency trade-off of a ladder of student sizes.
 *
 * The data is split into rows the students learn from and held-out rows (or --valid) on which every student and
 * the teacher are measured the same way: the headline metric on the true labels when the target is there,
 * fidelity to the teacher (agreement of the predicted class, RMSE of the raw scores as plumb_model_margins puts
 * them), the model file's size, and microseconds per row through the scorer API, one row at a time
 * (plumb_scorer_row) and in a batch (plumb_scorer_matrix), on one thread. Every student is trained and measured
 * before anything is written, so a failure leaves no file behind; the chosen student (--model, --num-leaves,
 * --num-iterations) is the one saved.
 */
#include "evaluate.h"
#include "record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LADDER "4x20,8x50,15x100,31x100,linear"
#define MAX_RUNGS 16
#define TIMING_SECONDS 0.1 /* each timing repeats its pass until this long, and keeps the fastest */
#define TIMING_ROUNDS 3    /* rounds over every model, so that a burst of other work on the machine slows all */
#define BATCH_ROWS 10000   /* held-out rows in the batch that is timed */

static const cli_option options[] = {
    {"output", 'o', "FILE", NULL, "write the chosen student here (required)"},
    {"model", 0, "KIND", "gbdt", "the chosen student: gbdt, or logistic (binary teacher) / linear (regression)"},
    {"num-leaves", 0, "N", "31", "gbdt student: most leaves per tree"},
    {"num-iterations", 0, "N", "100", "gbdt student: boosting iterations"},
    {"learning-rate", 0, "X", "0.1", "gbdt students: shrinkage of each tree"},
    {"min-data-in-leaf", 0, "N", "20", "gbdt students: fewest rows in a leaf"},
    {"max-bin", 0, "N", "255", "gbdt students: most bins per feature (fewer bins: a smaller file)"},
    {"labels-weight", 0, "A", "0",
     "share of the true labels' loss in the students' loss, in [0, 1): (1-A) squared error to the teacher's raw "
     "scores + A the task's loss on the labels"},
    {"ladder", 0, "LIST", DEFAULT_LADDER,
     "students to compare besides the chosen one: LEAVESxITERATIONS or linear, comma-separated; 'none' for none"},
    {"valid", 0, "FILE", NULL, "held-out rows to measure on (default: --valid-fraction of the data)"},
    {"valid-fraction", 0, "F", "0.2", "share of the data held out to measure on, when there is no --valid"},
    {"timing-rows", 0, "N", "2000", "held-out rows scored one at a time for the single-row latency"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the held-out split"},
    CLI_REPORT_OPTION,
    {"json", 0, NULL, NULL, "print the comparison as JSON"},
    {"delimiter", 'd', "CHAR", ",", "field separator; 'tab' for a tab"},
    {"missing", 0, "A,B", "pandas' list and ?", "values read as missing, comma-separated"},
    {"threads", 't', "N", "all cores", "threads to train with (latency is measured on one)"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

/* One model of the comparison: the teacher, or a student. */
typedef struct rung {
    char name[32];  /* "teacher", "gbdt 31x100", "logistic" */
    bool linear;    /* a linear student */
    int64_t leaves; /* gbdt students */
    int64_t iterations;
    bool chosen, teacher;
    plumb_model *model;
    long long bytes;
    double train_seconds, metric, agreement, rmse, us_row, us_batch;
} rung;

/* The held-out rows, ready for the scorer API. */
typedef struct timing_rows {
    const char **columns; /* the frame's numeric, bool and categorical columns, by name */
    int64_t n_columns, n_rows, n_single;
    double *values;          /* n_single x n_columns: numbers (NaN: missing or categorical) */
    const char **categories; /* n_single x n_columns: category text (NULL: missing or not categorical) */
    bool *categorical;       /* per column */
} timing_rows;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int oom(void) {
    return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM, .message = "out of memory"});
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Options                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Parses one rung of --ladder ("31x100", "linear") into *r; false after reporting a usage error. */
static bool parse_rung(const cli_args *a, const char *s, size_t len, rung *r) {
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        goto bad;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (strcmp(buf, "linear") == 0 || strcmp(buf, "logistic") == 0) {
        r->linear = true;
        return true;
    }
    char *end;
    const long long leaves = strtoll(buf, &end, 10);
    if (end == buf || *end != 'x')
        goto bad;
    const char *it = end + 1;
    const long long iters = strtoll(it, &end, 10);
    if (end == it || *end || leaves < 2 || leaves > 131072 || iters < 1 || iters > 100000)
        goto bad;
    r->leaves = leaves;
    r->iterations = iters;
    return true;
bad:
    cli_usage_error(a->cmd, "option '--ladder' expects LEAVESxITERATIONS (e.g. 31x100) or linear, got '%.*s'", (int)len,
                    s);
    return false;
}

static void name_rung(rung *r, plumb_task task) {
    if (r->teacher)
        snprintf(r->name, sizeof r->name, "teacher");
    else if (r->linear)
        snprintf(r->name, sizeof r->name, "%s", task == PLUMB_TASK_BINARY ? "logistic" : "linear");
    else
        snprintf(r->name, sizeof r->name, "gbdt %lldx%lld", (long long)r->leaves, (long long)r->iterations);
}

/* The ladder: rung 0 the teacher, then the --ladder students and the chosen one (added when not among them), in
 * the order given. Linear rungs are skipped when no_linear (a multiclass teacher: a linear model is binary or
 * regression; a binary one with --labels-weight: a logistic student fits the teacher's scores alone). */
static int parse_ladder(const cli_args *a, const rung *chosen, plumb_task task, bool no_linear, rung *rungs, int *n) {
    const char *spec = cli_get(a, "ladder") ? cli_get(a, "ladder") : DEFAULT_LADDER;
    *n = 0;
    rungs[(*n)++] = (rung){.teacher = true};
    bool have_chosen = false;
    if (strcmp(spec, "none") != 0) {
        for (const char *s = spec;;) {
            const char *comma = strchr(s, ',');
            const size_t len = comma ? (size_t)(comma - s) : strlen(s);
            rung r = {0};
            if (!parse_rung(a, s, len, &r))
                return EXIT_USAGE;
            bool dup = false;
            for (int i = 1; i < *n; i++)
                dup |=
                    rungs[i].linear == r.linear && rungs[i].leaves == r.leaves && rungs[i].iterations == r.iterations;
            if (!dup && !(r.linear && no_linear)) {
                if (*n == MAX_RUNGS - 1)
                    return cli_usage_error(a->cmd, "option '--ladder' lists more than %d students", MAX_RUNGS - 2);
                r.chosen =
                    r.linear == chosen->linear && r.leaves == chosen->leaves && r.iterations == chosen->iterations;
                have_chosen |= r.chosen;
                rungs[(*n)++] = r;
            }
            if (!comma)
                break;
            s = comma + 1;
        }
    }
    if (!have_chosen)
        rungs[(*n)++] = *chosen;
    for (int i = 0; i < *n; i++)
        name_rung(&rungs[i], task);
    return EXIT_OK;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Data                                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */

/* Splits frame into training and held-out rows: each row is held out with probability fraction (xorshift64 of the
 * seed, as plumb train --valid-fraction). */
static int split_frame(const cli_args *a, const plumb_frame *frame, double fraction, uint64_t seed, plumb_frame **train,
                       plumb_frame **valid) {
    const int64_t n = plumb_frame_n_rows(frame);
    int64_t *rows = malloc((size_t)(n + 1) * sizeof *rows), nv = 0, nt = 0;
    plumb_error err;
    int rc = EXIT_OK;
    if (!rows)
        return oom();
    int64_t *held = rows + n; /* filled backwards below the end, then reversed */
    uint64_t x = seed * 0x9e3779b97f4a7c15u + 0x632be59bd9b4e019u;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if ((double)(x >> 11) * 0x1.0p-53 < fraction)
            *--held = i, nv++;
        else
            rows[nt++] = i;
    }
    for (int64_t i = 0, j = nv - 1; i < j; i++, j--) {
        const int64_t t = held[i];
        held[i] = held[j];
        held[j] = t;
    }
    if (nt < 2 || nv < 2)
        rc = cli_fail(&(plumb_error){.code = PLUMB_EINVAL,
                                     .message = "too few rows to hold some out: give more data or --valid"});
    else if (plumb_frame_take(frame, rows, nt, train, &err) != PLUMB_OK ||
             plumb_frame_take(frame, held, nv, valid, &err) != PLUMB_OK)
        rc = cli_fail(&err);
    (void)a;
    free(rows);
    return rc;
}

/* EXIT_OK when frame (read from path) has every feature of the teacher; else reports the first one missing. */
static int check_features(const plumb_model *teacher, const plumb_frame *frame, const char *path) {
    plumb_model_info info;
    plumb_model_describe(teacher, &info);
    for (int64_t f = 0; f < info.n_features; f++) {
        const char *name = plumb_model_feature_name(teacher, f);
        if (plumb_frame_find(frame, name) < 0) {
            plumb_error err = {.code = PLUMB_ESCHEMA};
            snprintf(err.path, sizeof err.path, "%s", path);
            snprintf(err.message, sizeof err.message, "no column '%s', which the teacher reads", name);
            return cli_fail(&err);
        }
    }
    return EXIT_OK;
}

/* The teacher's labels of valid into *y (malloc'ed), or NULL without a target column; *metric names the headline
 * metric of the task. */
static int read_labels(const plumb_model *teacher, const plumb_frame *valid, const char *path, double **y,
                       plumb_metric *metric) {
    plumb_model_info info;
    plumb_model_describe(teacher, &info);
    *metric = info.task == PLUMB_TASK_BINARY       ? PLUMB_METRIC_ROC_AUC
              : info.task == PLUMB_TASK_MULTICLASS ? PLUMB_METRIC_MULTI_ACCURACY
                                                   : PLUMB_METRIC_RMSE;
    *y = NULL;
    const plumb_schema *ms = plumb_model_schema(teacher);
    int64_t col = -1;
    for (int64_t j = 0; j < plumb_schema_n_columns(ms); j++) {
        plumb_column_info c;
        plumb_schema_column(ms, j, &c);
        if (c.role == PLUMB_ROLE_TARGET)
            col = plumb_frame_find(valid, c.name);
    }
    if (col < 0)
        return EXIT_OK;
    const int64_t n = plumb_frame_n_rows(valid);
    plumb_task task = info.task;
    const char *positive = plumb_model_positive_class(teacher);
    int64_t n_classes = 0;
    plumb_error err;
    if (!(*y = malloc((size_t)(n + 1) * sizeof **y)))
        return oom();
    if (plumb_frame_labels(valid, col, path, &task, &positive, &n_classes, *y, &err) != PLUMB_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

static void timing_free(timing_rows *t) {
    free(t->columns);
    free(t->values);
    free(t->categories);
    free(t->categorical);
}

/* The held-out rows as the scorer API takes them: every numeric, bool and categorical column of valid. */
static int timing_prepare(const plumb_frame *valid, int64_t n_single, timing_rows *t) {
    const plumb_schema *s = plumb_frame_schema(valid);
    const int64_t C = plumb_frame_n_columns(valid), n = plumb_frame_n_rows(valid);
    t->n_rows = n;
    t->n_single = n_single < n ? n_single : n;
    t->columns = calloc((size_t)C + 1, sizeof *t->columns);
    t->categorical = calloc((size_t)C + 1, sizeof *t->categorical);
    int64_t *col = calloc((size_t)C + 1, sizeof *col);
    if (!t->columns || !t->categorical || !col) {
        free(col);
        return oom();
    }
    for (int64_t j = 0; j < C; j++) {
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        if (c.role != PLUMB_ROLE_FEATURE ||
            (c.type != PLUMB_TYPE_NUMERIC && c.type != PLUMB_TYPE_BOOL && c.type != PLUMB_TYPE_CATEGORICAL))
            continue;
        t->categorical[t->n_columns] = c.type == PLUMB_TYPE_CATEGORICAL;
        col[t->n_columns] = j;
        t->columns[t->n_columns++] = c.name;
    }
    const size_t cells = (size_t)(t->n_single * t->n_columns + 1);
    t->values = malloc(cells * sizeof *t->values);
    t->categories = calloc(cells, sizeof *t->categories);
    if (!t->values || !t->categories) {
        free(col);
        return oom();
    }
    for (int64_t k = 0; k < t->n_columns; k++) {
        const int64_t j = col[k];
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        const float *f = plumb_frame_f32(valid, j);
        const double *d = plumb_frame_f64(valid, j);
        const uint8_t *u = plumb_frame_u8(valid, j);
        const int32_t *codes = plumb_frame_codes(valid, j);
        for (int64_t i = 0; i < t->n_single; i++) {
            double v = NAN;
            const char *cat = NULL;
            if (codes)
                cat = codes[i] >= 0 && c.categories ? c.categories[codes[i]] : NULL;
            else if (f)
                v = f[i];
            else if (d)
                v = d[i];
            else if (u)
                v = u[i] == PLUMB_BOOL_MISSING ? NAN : u[i];
            t->values[i * t->n_columns + k] = v;
            t->categories[i * t->n_columns + k] = cat;
        }
    }
    free(col);
    return EXIT_OK;
}

/* Microseconds per row of model on the held-out rows, one thread: one row at a time, and as one matrix of up to
 * BATCH_ROWS rows; r keeps the fastest of this and its earlier rounds. */
static int measure_latency(const plumb_model *m, const plumb_frame *valid, const timing_rows *t, rung *r) {
    plumb_scorer *sc = NULL;
    plumb_error err;
    const int64_t C = t->n_columns, n = t->n_rows < BATCH_ROWS ? t->n_rows : BATCH_ROWS, K = 16;
    float *x = malloc((size_t)(n * C + 1) * sizeof *x);
    double *out = malloc((size_t)(n * K + 1) * sizeof *out);
    int rc = EXIT_OK;
    if (!x || !out) {
        rc = oom();
        goto done;
    }
    if (plumb_scorer_create(m, t->columns, C, &sc, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (plumb_scorer_n_outputs(sc) > K) { /* room for every output of a row */
        free(out);
        if (!(out = malloc((size_t)(n * plumb_scorer_n_outputs(sc) + 1) * sizeof *out))) {
            rc = oom();
            goto done;
        }
    }
    const plumb_schema *s = plumb_frame_schema(valid);
    for (int64_t k = 0; k < C; k++) {
        const int64_t j = plumb_frame_find(valid, t->columns[k]);
        plumb_column_info c;
        plumb_schema_column(s, j, &c);
        const float *f = plumb_frame_f32(valid, j);
        const uint8_t *u = plumb_frame_u8(valid, j);
        const int32_t *codes = plumb_frame_codes(valid, j);
        for (int64_t i = 0; i < n; i++)
            x[i * C + k] = codes ? (float)(codes[i] >= 0 && c.categories
                                               ? plumb_scorer_category_code(sc, k, c.categories[codes[i]])
                                               : PLUMB_CODE_MISSING)
                           : f   ? f[i]
                           : u   ? (u[i] == PLUMB_BOOL_MISSING ? NAN : (float)u[i])
                                 : NAN;
    }
    /* the fastest of the passes that fit in TIMING_SECONDS: the figure least disturbed by other work */
    double best = INFINITY;
    for (const double t0 = now(); best == INFINITY || now() - t0 < TIMING_SECONDS;) {
        const double p0 = now();
        for (int64_t i = 0; i < t->n_single; i++)
            if (plumb_scorer_row(sc, t->values + i * C, t->categories + i * C, out, &err) != PLUMB_OK) {
                rc = cli_fail(&err);
                goto done;
            }
        best = fmin(best, now() - p0);
    }
    r->us_row = fmin(r->us_row, 1e6 * best / (double)t->n_single);
    best = INFINITY;
    for (const double t0 = now(); best == INFINITY || now() - t0 < TIMING_SECONDS;) {
        const double p0 = now();
        if (plumb_scorer_matrix(sc, x, PLUMB_DTYPE_F32, PLUMB_LAYOUT_ROW_MAJOR, n, 1, out, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        best = fmin(best, now() - p0);
    }
    r->us_batch = fmin(r->us_batch, 1e6 * best / (double)n);
done:
    plumb_scorer_free(sc);
    free(x);
    free(out);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Measuring one model                                                                                         */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct measure_ctx {
    const plumb_frame *valid;
    const char *valid_path;
    plumb_task task;
    int64_t K;
    const double *y; /* labels, or NULL */
    plumb_metric metric;
    double *teacher_pred, *teacher_margin; /* n x K, of the teacher */
    const timing_rows *timing;
    char tmp_path[PLUMB_PATH_MAX - 32]; /* where a student is saved to be weighed */
} measure_ctx;

/* The headline metric of predictions p on the labels. */
static int headline(const measure_ctx *c, const double *p, double *value) {
    *value = NAN;
    if (!c->y)
        return EXIT_OK;
    plumb_metric_data d;
    plumb_metric_data_init(&d);
    d.n_rows = plumb_frame_n_rows(c->valid);
    d.label = c->y;
    d.score = p;
    d.n_classes = c->task == PLUMB_TASK_MULTICLASS ? c->K : 2;
    plumb_error err;
    if (plumb_metrics_compute(&d, &c->metric, 1, value, &err) != PLUMB_OK) {
        if (!err.path[0])
            snprintf(err.path, sizeof err.path, "%s", c->valid_path);
        return cli_fail(&err);
    }
    return EXIT_OK;
}

static int64_t argmax(const double *p, int64_t K) {
    int64_t best = 0;
    for (int64_t k = 1; k < K; k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

/* Metric, fidelity and size of rung r (its model set) on the held-out rows; path is its file (NULL: it
 * is saved to a temporary file to be weighed). */
static int measure(measure_ctx *c, rung *r, const char *path) {
    const int64_t n = plumb_frame_n_rows(c->valid), K = c->K;
    double *p = malloc((size_t)(n * K + 1) * sizeof *p), *z = malloc((size_t)(n * K + 1) * sizeof *z);
    plumb_error err;
    int rc = EXIT_OK;
    if (!p || !z) {
        rc = oom();
        goto done;
    }
    if (plumb_model_predict(r->model, c->valid, NULL, p, &err) != PLUMB_OK ||
        plumb_model_margins(r->model, c->valid, 0, z, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (r->teacher) {
        memcpy(c->teacher_pred, p, (size_t)(n * K) * sizeof *p);
        memcpy(c->teacher_margin, z, (size_t)(n * K) * sizeof *z);
    }
    if ((rc = headline(c, p, &r->metric)) != EXIT_OK)
        goto done;
    /* fidelity: the same predicted class; raw scores (log-odds, class scores) or, for regression, predictions */
    double agree = 0, se = 0;
    for (int64_t i = 0; i < n; i++) {
        if (c->task == PLUMB_TASK_BINARY)
            agree += (p[i] >= 0.5) == (c->teacher_pred[i] >= 0.5);
        else if (c->task == PLUMB_TASK_MULTICLASS)
            agree += argmax(p + i * K, K) == argmax(c->teacher_pred + i * K, K);
        for (int64_t k = 0; k < K; k++) {
            const double d = c->task == PLUMB_TASK_REGRESSION ? p[i * K + k] - c->teacher_pred[i * K + k]
                                                              : z[i * K + k] - c->teacher_margin[i * K + k];
            se += d * d;
        }
    }
    r->agreement = c->task == PLUMB_TASK_REGRESSION ? NAN : agree / (double)n;
    r->rmse = sqrt(se / (double)(n * K));
    if (!path) {
        if (plumb_model_save(r->model, c->tmp_path, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
        path = c->tmp_path;
    }
    struct stat st;
    r->bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
done:
    free(p);
    free(z);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Output                                                                                                      */
/* ---------------------------------------------------------------------------------------------------------- */

static void print_table(const rung *rungs, int n, plumb_metric metric, bool has_labels, plumb_task task) {
    printf("%-2s%-16s %12s %10s %10s %10s %10s %12s %9s\n", "", "model", "bytes",
           has_labels ? plumb_metric_name(metric) : "-", task == PLUMB_TASK_REGRESSION ? "-" : "agreement", "raw rmse",
           "us/row", "us/row batch", "train s");
    for (int i = 0; i < n; i++) {
        const rung *r = &rungs[i];
        char m[32] = "-", ag[32] = "-";
        if (isfinite(r->metric))
            snprintf(m, sizeof m, "%.4f", r->metric);
        if (isfinite(r->agreement))
            snprintf(ag, sizeof ag, "%.4f", r->agreement);
        printf("%-2s%-16s %12lld %10s %10s %10.4g %10.2f %12.3f %9.2f\n", r->chosen ? "*" : "", r->name, r->bytes, m,
               ag, r->rmse, r->us_row, r->us_batch, r->train_seconds);
    }
}

/* The comparison as JSON: one object per model. */
static json_t *rungs_json(const rung *rungs, int n) {
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++) {
        const rung *r = &rungs[i];
        json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "name", r->name, "kind",
                              r->teacher  ? "teacher"
                              : r->linear ? "linear"
                                          : "gbdt",
                              "teacher", r->teacher, "chosen", r->chosen);
        if (!o) {
            json_decref(arr);
            return NULL;
        }
        if (!r->teacher && !r->linear) {
            json_object_set_new(o, "leaves", json_integer(r->leaves));
            json_object_set_new(o, "iterations", json_integer(r->iterations));
        }
        json_object_set_new(o, "bytes", json_integer(r->bytes));
        json_object_set_new(o, "metric", cli_json_number(r->metric));
        json_object_set_new(o, "agreement", cli_json_number(r->agreement));
        json_object_set_new(o, "raw_rmse", cli_json_number(r->rmse));
        json_object_set_new(o, "us_row", cli_json_number(r->us_row));
        json_object_set_new(o, "us_row_batch", cli_json_number(r->us_batch));
        json_object_set_new(o, "train_seconds", cli_json_number(r->teacher ? NAN : r->train_seconds));
        json_array_append_new(arr, o);
    }
    return arr;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The run record (kind "distill", docs/report.md) written to html_path and the JSON beside it. */
static int write_report(const char *html_path, const char *teacher_path, const char *data_path, const char *valid_desc,
                        int64_t n_train, int64_t n_valid, plumb_task task, plumb_metric metric, bool has_labels,
                        double labels_weight, const rung *rungs, int n) {
    char created[64], title[512];
    cli_format_datetime((double)time(NULL), created, sizeof created);
    snprintf(title, sizeof title, "Distillation of %s on %s", base_name(teacher_path), base_name(data_path));
    json_t *students = rungs_json(rungs, n);
    json_t *rec =
        json_pack("{s:i, s:s, s:s, s:s, s:s, s:{s:s, s:I, s:s, s:I}, s:{s:s, s:s, s:s?, s:f, s:o}}", "plumb_run", 1,
                  "kind", "distill", "title", title, "created", created, "plumb_version", plumb_version(), "data",
                  "path", data_path, "rows", (json_int_t)n_train, "valid", valid_desc, "valid_rows",
                  (json_int_t)n_valid, "distill", "teacher", teacher_path, "task", plumb_task_name(task), "metric",
                  has_labels ? plumb_metric_name(metric) : NULL, "labels_weight", labels_weight, "students", students);
    char approach[1024];
    snprintf(approach, sizeof approach,
             "Each student is trained on %lld rows to reproduce the teacher's raw scores (%s) by squared error%s, and "
             "keeps the teacher's task, schema, positive class and calibrator. Every model is then measured on the "
             "same held-out rows: the metric on the true labels, agreement with the teacher and the RMSE of the raw "
             "scores, the size of its file, and microseconds per row through the scorer API on one thread, one row "
             "at a time and as one batch (the fastest of repeated passes).",
             (long long)n_train,
             task == PLUMB_TASK_BINARY       ? "log-odds"
             : task == PLUMB_TASK_MULTICLASS ? "one score per class"
                                             : "values",
             labels_weight > 0 ? ", mixed with the loss on the true labels" : "");
    if (rec && labels_weight > 0) {
        char w[160];
        snprintf(w, sizeof w, " The labels weigh %g of the loss.", labels_weight);
        strncat(approach, w, sizeof approach - strlen(approach) - 1);
    }
    if (rec)
        json_object_set_new(rec, "narrative", json_pack("{s:s}", "approach", approach));
    char *text = rec ? json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(rec);
    if (!text)
        return oom();
    plumb_error err;
    const plumb_status st = plumb_report_write(text, strlen(text), html_path, &err);
    free(text);
    return st == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The command                                                                                                 */
/* ---------------------------------------------------------------------------------------------------------- */

typedef struct settings {
    long long leaves, iterations, min_leaf, max_bin, timing_rows, seed, threads;
    double learning_rate, labels_weight, valid_fraction;
    bool linear;
} settings;

static int parse_settings(const cli_args *a, settings *s) {
    s->leaves = 31, s->iterations = 100, s->min_leaf = 20, s->max_bin = 255, s->timing_rows = 2000, s->seed = CLI_SEED;
    s->threads = 0, s->learning_rate = 0.1, s->labels_weight = 0, s->valid_fraction = 0.2;
    if (!cli_get(a, "output"))
        return cli_usage_error(a->cmd, "missing option '--output FILE'");
    if (!cli_int(a, "num-leaves", 2, &s->leaves) || !cli_int(a, "num-iterations", 1, &s->iterations) ||
        !cli_int(a, "min-data-in-leaf", 1, &s->min_leaf) || !cli_int(a, "max-bin", 2, &s->max_bin) ||
        !cli_int(a, "timing-rows", 1, &s->timing_rows) || !cli_int(a, "seed", 0, &s->seed) ||
        !cli_threads(a, &s->threads) || !cli_double(a, "learning-rate", &s->learning_rate) ||
        !cli_double(a, "labels-weight", &s->labels_weight) || !cli_double(a, "valid-fraction", &s->valid_fraction))
        return EXIT_USAGE;
    if (!(s->labels_weight >= 0 && s->labels_weight < 1))
        return cli_usage_error(a->cmd, "option '--labels-weight' expects a share in [0, 1), got '%s'",
                               cli_get(a, "labels-weight"));
    if (!(s->valid_fraction > 0 && s->valid_fraction < 1))
        return cli_usage_error(a->cmd, "option '--valid-fraction' expects a share in (0, 1), got '%s'",
                               cli_get(a, "valid-fraction"));
    if (!(s->learning_rate > 0))
        return cli_usage_error(a->cmd, "option '--learning-rate' expects a positive number, got '%s'",
                               cli_get(a, "learning-rate"));
    const char *kind = cli_get(a, "model") ? cli_get(a, "model") : "gbdt";
    if (strcmp(kind, "gbdt") != 0 && strcmp(kind, "logistic") != 0 && strcmp(kind, "linear") != 0)
        return cli_usage_error(a->cmd, "option '--model' expects gbdt, logistic or linear, got '%s'", kind);
    s->linear = strcmp(kind, "gbdt") != 0;
    if (s->linear && (cli_get(a, "num-leaves") || cli_get(a, "num-iterations")))
        return cli_usage_error(a->cmd, "--num-leaves and --num-iterations size a gbdt student, not --model %s", kind);
    if (cli_get(a, "valid") && cli_get(a, "valid-fraction"))
        return cli_usage_error(a->cmd, "give --valid or --valid-fraction, not both");
    return EXIT_OK;
}

/* The student of rung r trained on train. */
static int train_student(const settings *s, const plumb_model *teacher, const plumb_frame *train, rung *r) {
    plumb_distill_options o;
    plumb_distill_options_init(&o);
    o.labels_weight = s->labels_weight;
    o.student = r->linear ? PLUMB_MODEL_LINEAR : PLUMB_MODEL_GBDT;
    o.gbdt.num_leaves = (int32_t)r->leaves;
    o.gbdt.num_iterations = r->iterations;
    o.gbdt.learning_rate = s->learning_rate;
    o.gbdt.min_data_in_leaf = s->min_leaf;
    o.gbdt.max_bin = (int32_t)(s->max_bin > 65536 ? 65536 : s->max_bin); /* above 65535: the trainer says so */
    o.gbdt.seed = (uint64_t)s->seed;
    o.gbdt.n_threads = (int)s->threads;
    o.linear.n_threads = (int)s->threads;
    plumb_error err;
    const double t0 = now();
    if (plumb_model_distill(teacher, train, &o, &r->model, &err) != PLUMB_OK)
        return cli_fail(&err);
    r->train_seconds = now() - t0;
    return EXIT_OK;
}

static int run(const cli_args *a) {
    const char *teacher_path = a->pos[0], *data_path = a->pos[1], *out = cli_get(a, "output");
    const char *report = cli_get(a, "report"), *valid_path = cli_get(a, "valid");
    settings s;
    int rc = parse_settings(a, &s);
    if (rc != EXIT_OK)
        return rc;
    if ((rc = cli_check_outputs(a, CLI_FILES(out, report))) != EXIT_OK)
        return rc;
    plumb_model *teacher = NULL;
    plumb_frame *data = NULL, *train = NULL, *valid = NULL;
    double *y = NULL;
    rung rungs[MAX_RUNGS];
    int n_rungs = 0;
    timing_rows timing = {0};
    measure_ctx mc = {0};
    plumb_error err;
    plumb_model_info info;
    if (plumb_model_load(teacher_path, &teacher, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_model_describe(teacher, &info);
    const rung chosen = {.linear = s.linear,
                         .leaves = s.linear ? 0 : s.leaves,
                         .iterations = s.linear ? 0 : s.iterations,
                         .chosen = true};
    if (s.linear && info.task == PLUMB_TASK_MULTICLASS) {
        rc = cli_usage_error(a->cmd, "a multiclass teacher needs a gbdt student: linear models are binary or "
                                     "regression");
        goto done;
    }
    if (s.linear && strcmp(cli_get(a, "model"), info.task == PLUMB_TASK_BINARY ? "logistic" : "linear") != 0) {
        rc = cli_usage_error(a->cmd, "a %s teacher's linear student is --model %s", plumb_task_name(info.task),
                             info.task == PLUMB_TASK_BINARY ? "logistic" : "linear");
        goto done;
    }
    if (s.linear && info.task == PLUMB_TASK_BINARY && s.labels_weight > 0) {
        rc = cli_usage_error(a->cmd, "--labels-weight with a binary teacher needs a gbdt student: a logistic student "
                                     "fits the teacher's scores alone");
        goto done;
    }
    const bool no_linear =
        info.task == PLUMB_TASK_MULTICLASS || (info.task == PLUMB_TASK_BINARY && s.labels_weight > 0);
    if ((rc = parse_ladder(a, &chosen, info.task, no_linear, rungs, &n_rungs)) != EXIT_OK)
        goto done;
    rungs[0].model = teacher;
    if ((rc = cli_read_frame(a, data_path, plumb_model_schema(teacher), &data)) != EXIT_OK ||
        (rc = check_features(teacher, data, data_path)) != EXIT_OK)
        goto done;
    if (valid_path) {
        if ((rc = cli_read_frame(a, valid_path, plumb_model_schema(teacher), &valid)) != EXIT_OK ||
            (rc = check_features(teacher, valid, valid_path)) != EXIT_OK)
            goto done;
        train = data;
        data = NULL;
    } else if ((rc = split_frame(a, data, s.valid_fraction, (uint64_t)s.seed, &train, &valid)) != EXIT_OK) {
        goto done;
    }
    plumb_metric metric;
    if ((rc = read_labels(teacher, valid, valid_path ? valid_path : data_path, &y, &metric)) != EXIT_OK ||
        (rc = timing_prepare(valid, s.timing_rows, &timing)) != EXIT_OK)
        goto done;
    const int64_t nv = plumb_frame_n_rows(valid), K = info.n_outputs > 0 ? info.n_outputs : 1;
    mc = (measure_ctx){.valid = valid,
                       .valid_path = valid_path ? valid_path : data_path,
                       .task = info.task,
                       .K = K,
                       .y = y,
                       .metric = metric,
                       .teacher_pred = malloc((size_t)(nv * K + 1) * sizeof(double)),
                       .teacher_margin = malloc((size_t)(nv * K + 1) * sizeof(double)),
                       .timing = &timing};
    if (!mc.teacher_pred || !mc.teacher_margin) {
        rc = oom();
        goto done;
    }
    /* students are weighed in a file of their own in the temporary folder, never beside the output */
    const char *tmpdir = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    snprintf(mc.tmp_path, sizeof mc.tmp_path, "%s/plumb-distill-XXXXXX", tmpdir);
    const int fd = mkstemp(mc.tmp_path);
    if (fd < 0) {
        plumb_error e = {.code = PLUMB_EIO};
        snprintf(e.path, sizeof e.path, "%s", mc.tmp_path);
        snprintf(e.message, sizeof e.message, "cannot create a temporary file: %s", strerror(errno));
        mc.tmp_path[0] = 0;
        rc = cli_fail(&e);
        goto done;
    }
    close(fd);
    if ((rc = measure(&mc, &rungs[0], teacher_path)) != EXIT_OK)
        goto done;
    for (int i = 1; i < n_rungs; i++) {
        if (!cli_quiet && isatty(STDERR_FILENO))
            fprintf(stderr, "\rplumb: distilling %s (%d of %d)   ", rungs[i].name, i, n_rungs - 1);
        if ((rc = train_student(&s, teacher, train, &rungs[i])) != EXIT_OK ||
            (rc = measure(&mc, &rungs[i], NULL)) != EXIT_OK)
            goto done;
    }
    for (int round = 0; round < TIMING_ROUNDS; round++)
        for (int i = 0; i < n_rungs; i++) {
            if (round == 0)
                rungs[i].us_row = rungs[i].us_batch = INFINITY;
            if ((rc = measure_latency(rungs[i].model, valid, &timing, &rungs[i])) != EXIT_OK)
                goto done;
        }
    if (!cli_quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "\r%60s\r", "");
    const rung *pick = NULL;
    for (int i = 1; i < n_rungs; i++)
        if (rungs[i].chosen)
            pick = &rungs[i];
    char valid_desc[64];
    if (valid_path)
        snprintf(valid_desc, sizeof valid_desc, "%s", base_name(valid_path));
    else
        snprintf(valid_desc, sizeof valid_desc, "%g of the rows, held out", s.valid_fraction);
    if (report && (rc = write_report(report, teacher_path, data_path, valid_desc, plumb_frame_n_rows(train), nv,
                                     info.task, metric, y != NULL, s.labels_weight, rungs, n_rungs)) != EXIT_OK)
        goto done;
    if (plumb_model_save(pick->model, out, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (cli_get(a, "json")) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s?, s:f, s:o}", "teacher", teacher_path, "student", out,
                              "task", plumb_task_name(info.task), "train_rows", (json_int_t)plumb_frame_n_rows(train),
                              "valid_rows", (json_int_t)nv, "metric", y ? plumb_metric_name(metric) : NULL,
                              "labels_weight", s.labels_weight, "models", rungs_json(rungs, n_rungs));
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        printf("\n");
        json_decref(o);
    } else {
        printf("trained on %lld rows of %s, measured on %lld held-out rows (%s)\n",
               (long long)plumb_frame_n_rows(train), data_path, (long long)nv, valid_desc);
        print_table(rungs, n_rungs, metric, y != NULL, info.task);
        printf("wrote %s: the %s student (*)\n", out, pick->name);
    }
    if (report)
        cli_note("wrote %s", report);
done:
    if (mc.tmp_path[0])
        unlink(mc.tmp_path);
    for (int i = 1; i < n_rungs; i++)
        plumb_model_free(rungs[i].model);
    plumb_model_free(teacher);
    plumb_frame_free(data);
    plumb_frame_free(train);
    plumb_frame_free(valid);
    free(y);
    free(mc.teacher_pred);
    free(mc.teacher_margin);
    timing_free(&timing);
    return rc;
}

const cli_command cli_distill = {
    .name = "distill",
    .usage = "TEACHER DATA -o FILE [--num-leaves N --num-iterations N | --model logistic] [--report FILE.html]",
    .summary = "train a small, fast student model on a teacher model's scores",
    .details = "The student fits the teacher's raw scores (log-odds, class scores, values) by squared error, and\n"
               "with --labels-weight the true labels too; it is a model of the teacher's task, schema and positive\n"
               "class, with the teacher's calibrator. The teacher may be any plumb model. A ladder of student sizes\n"
               "is measured on held-out rows against the teacher: the metric on the labels (when the data has the\n"
               "target), agreement with the teacher's predicted class, RMSE of the raw scores, file size and\n"
               "microseconds per row (one row at a time, and in a batch, on one thread). docs/distill.md has the\n"
               "figures.",
    .options = options,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
