/* plumb.h -- the public API of libplumb, a machine-learning toolkit for tabular data.
 *
 * Usage (read a CSV into a typed frame, look at one column, clean up):
 *
 *     #include <plumb/plumb.h>
 *
 *     plumb_read_options opts;
 *     plumb_read_options_init(&opts);
 *     opts.target = "Status";                       // optional: declares a role
 *
 *     plumb_frame *frame = NULL;
 *     plumb_error err;
 *     if (plumb_frame_read_csv("credit.csv", &opts, &frame, &err) != PLUMB_OK) {
 *         char msg[PLUMB_ERROR_MAX];
 *         fprintf(stderr, "%s\n", plumb_error_format(&err, msg, sizeof msg));
 *         return 1;                                 // "credit.csv:42:7: bad number 'abc' ..."
 *     }
 *     int64_t col = plumb_frame_find(frame, "Income");
 *     const float *income = plumb_frame_f32(frame, col);  // NaN where missing
 *     printf("%lld rows, first income %g\n",
 *            (long long)plumb_frame_n_rows(frame), income[0]);
 *     plumb_frame_free(frame);
 *
 * Conventions, once for the whole API:
 * - Every fallible function returns a plumb_status: PLUMB_OK (0) on success, a negative number on failure.
 *   Results come through out-parameters; the last parameter is a plumb_error * (may be NULL) that is filled
 *   with the status, the file, line and column where it applies, and a lowercase message.
 * - Whoever creates an object owns it and frees it with the matching _free, which accepts NULL.
 *   Arguments are borrowed for the duration of the call unless a comment says otherwise.
 * - The library never prints to stdout and never exits; diagnostics go to the callback set by plumb_set_log.
 * - Objects are immutable once created or loaded, so concurrent reads from several threads are safe;
 *   functions that modify an object (plumb_schema_set_*) need external locking.
 */
#ifndef PLUMB_PLUMB_H
#define PLUMB_PLUMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PLUMB_BUILDING) && defined(__GNUC__)
#define PLUMB_API __attribute__((visibility("default")))
#else
#define PLUMB_API
#endif

#define PLUMB_VERSION_MAJOR 0
#define PLUMB_VERSION_MINOR 1
#define PLUMB_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH". Static storage; never fails. */
PLUMB_API const char *plumb_version(void);

/* ---------------------------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------------------------- */

/* X(NAME, value, default message). A negative number always means an error. */
#define PLUMB_STATUS_MAP(X)                                                                                            \
    X(OK, 0, "success")                                                                                                \
    X(ENOMEM, -1, "out of memory")                                                                                     \
    X(EIO, -2, "input/output error")                                                                                   \
    X(EINVAL, -3, "invalid argument")                                                                                  \
    X(EPARSE, -4, "malformed input")                                                                                   \
    X(ESCHEMA, -5, "schema does not match the data")                                                                   \
    X(EFORMAT, -6, "unsupported or corrupted file")

typedef enum plumb_status {
#define PLUMB_STATUS_ENUM(name, value, msg) PLUMB_##name = (value),
    PLUMB_STATUS_MAP(PLUMB_STATUS_ENUM)
#undef PLUMB_STATUS_ENUM
} plumb_status;

/* The status's symbolic name ("PLUMB_EPARSE") and default message; "unknown status" for other values. */
PLUMB_API const char *plumb_status_name(plumb_status status);
PLUMB_API const char *plumb_status_message(plumb_status status);

#define PLUMB_PATH_MAX 1024
#define PLUMB_MESSAGE_MAX 512
/* Enough for any plumb_error_format output. */
#define PLUMB_ERROR_MAX (PLUMB_PATH_MAX + PLUMB_MESSAGE_MAX + 48)

typedef struct plumb_error {
    plumb_status code;
    char path[PLUMB_PATH_MAX];       /* file the error is about; "" when none */
    int64_t line;                    /* 1-based; 0 when it does not apply */
    int64_t column;                  /* 1-based, in characters; 0 when it does not apply */
    char message[PLUMB_MESSAGE_MAX]; /* lowercase, no full stop, the bad value quoted */
} plumb_error;

/* Writes "path:line:column: message" (the parts that apply) into buf (OUT, size n, always NUL-terminated).
 * Returns buf. */
PLUMB_API char *plumb_error_format(const plumb_error *err, char *buf, size_t n);

/* ---------------------------------------------------------------------------------------------------------------
 * Logging
 * ------------------------------------------------------------------------------------------------------------- */

typedef enum plumb_log_level {
    PLUMB_LOG_DEBUG = 0,
    PLUMB_LOG_INFO = 1,
    PLUMB_LOG_WARN = 2,
} plumb_log_level;

typedef void (*plumb_log_fn)(plumb_log_level level, const char *message, void *user);

/* Routes the library's diagnostics to fn (NULL: discard them, the default). Safe to call at any time from any
 * thread: every message goes to one (fn, user) pair as set by one call, never the function of one call with the
 * user pointer of another; a message being delivered while the pair changes may still reach the previous pair, so
 * keep the previous user data alive until the calls in flight have returned. The callback may be called from any
 * thread, concurrently. */
PLUMB_API void plumb_set_log(plumb_log_fn fn, void *user);

/* Threads that calls without their own thread count use (scoring; readers and trainers with n_threads 0):
 * n > 0, or 0 for all cores (the default). Safe to call at any time from any thread (calls already running keep
 * their count). Any thread count, this one or a call's own, is capped at 4 per logical core (a warning is logged
 * the first time). */
PLUMB_API void plumb_set_threads(int n);

/* ---------------------------------------------------------------------------------------------------------------
 * Column types, roles and schemas
 * ------------------------------------------------------------------------------------------------------------- */

typedef enum plumb_type {
    PLUMB_TYPE_AUTO = 0,    /* in a schema: infer from the data */
    PLUMB_TYPE_NUMERIC,     /* float32 with NaN for missing (float64 for targets and weights) */
    PLUMB_TYPE_CATEGORICAL, /* int32 codes into a sorted dictionary */
    PLUMB_TYPE_DATETIME,    /* int64 seconds since 1970-01-01T00:00:00Z */
    PLUMB_TYPE_BOOL,        /* uint8: 0 false, 1 true, PLUMB_BOOL_MISSING */
    PLUMB_TYPE_STRING,      /* high-cardinality strings (identifiers, free text): codes + dictionary, not a feature */
} plumb_type;

typedef enum plumb_role {
    PLUMB_ROLE_FEATURE = 0, /* an input of the model (the default) */
    PLUMB_ROLE_TARGET,      /* what the model predicts; at most one per schema */
    PLUMB_ROLE_ID,          /* identifies a row; carried through predictions, never a feature */
    PLUMB_ROLE_TIME,        /* when the row happened; used for time splits and drift windows */
    PLUMB_ROLE_WEIGHT,      /* sample weight */
    PLUMB_ROLE_GROUP,       /* rows of one group stay in one fold */
    PLUMB_ROLE_IGNORE,      /* read, but used for nothing */
} plumb_role;

/* Codes of categorical and string columns: 0..n_categories-1 index the dictionary; negative codes are reserved. */
#define PLUMB_CODE_MISSING (-1) /* the value was missing */
#define PLUMB_CODE_UNSEEN (-2)  /* a category the schema's fixed dictionary does not know (e.g. new at scoring) */
#define PLUMB_DATETIME_MISSING INT64_MIN
#define PLUMB_BOOL_MISSING 255

/* Lowercase names ("numeric", "target") and their inverse; the parse functions return -1 for an unknown name. */
PLUMB_API const char *plumb_type_name(plumb_type type);
PLUMB_API const char *plumb_role_name(plumb_role role);
PLUMB_API int plumb_type_parse(const char *name);
PLUMB_API int plumb_role_parse(const char *name);

/* A schema: an ordered list of column descriptions (name, type, role, optional fixed category list).
 * Given to the reader, it overrides inference for the columns it names; a frame's own schema describes every
 * column fully. */
typedef struct plumb_schema plumb_schema;

/* Creates an empty schema (*out, owned by the caller). Returns PLUMB_ENOMEM on failure. */
PLUMB_API plumb_status plumb_schema_create(plumb_schema **out, plumb_error *err);

/* Loads a JSON schema (format in docs/schema.md). Errors (PLUMB_EIO, PLUMB_EPARSE) carry the file, line and
 * column. *out is owned by the caller. */
PLUMB_API plumb_status plumb_schema_load(const char *path, plumb_schema **out, plumb_error *err);

/* Writes the schema as JSON to path atomically: on failure no file is left behind. */
PLUMB_API plumb_status plumb_schema_save(const plumb_schema *schema, const char *path, plumb_error *err);

/* Frees the schema; accepts NULL. */
PLUMB_API void plumb_schema_free(plumb_schema *schema);

/* Sets the type or role of the named column, adding the column when the schema lacks it.
 * Returns PLUMB_EINVAL for a bad enum value or an empty name (and a second target), PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_schema_set_type(plumb_schema *schema, const char *name, plumb_type type, plumb_error *err);
PLUMB_API plumb_status plumb_schema_set_role(plumb_schema *schema, const char *name, plumb_role role, plumb_error *err);

typedef struct plumb_column_info {
    const char *name;
    plumb_type type;
    plumb_role role;
    int64_t n_categories;          /* dictionary size; -1 when the schema does not fix the categories */
    const char *const *categories; /* n_categories entries, sorted bytewise; NULL when n_categories < 0 */
    /* when the column's value becomes known (docs/schema.md), for leakage checks: the column holding that moment,
     * or a delay in days after the row's time; NULL and NaN when not declared */
    const char *available_at;
    double available_after_days;
    /* a frame's text column whose values are mostly numbers (or datetimes) but not all: where the first value that
     * is not one sits and what it is, e.g. "d.csv:2502:1: 'n.a.' is not a number (2999 of 3000 distinct values
     * are)"; NULL otherwise. Such a column cannot be used as a number: tools show the note. */
    const char *note;
} plumb_column_info;

/* Number of columns, and the i-th column (0 <= i < n). Pointers in *info live as long as the schema does and
 * until it is next modified. */
PLUMB_API int64_t plumb_schema_n_columns(const plumb_schema *schema);
PLUMB_API void plumb_schema_column(const plumb_schema *schema, int64_t i, plumb_column_info *info);

/* ---------------------------------------------------------------------------------------------------------------
 * Frames: typed columns read from CSV
 * ------------------------------------------------------------------------------------------------------------- */

typedef struct plumb_frame plumb_frame;

typedef struct plumb_read_options {
    char delimiter; /* field separator; default ',' */
    /* values read as missing; NULL = pandas' defaults and '?': "", #N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, -NaN,
     * -nan, 1.#IND, 1.#QNAN, <NA>, N/A, NA, NULL, NaN, None, n/a, nan, null, ? */
    const char *const *missing_tokens;
    size_t n_missing_tokens;
    const plumb_schema *schema; /* overrides inference for the columns it names; NULL = infer all */
    const char *target;         /* role shortcuts: column names, or NULL */
    const char *id_col;
    const char *time_col;
    const char *weight_col;
    const char *group_col;
    const char *const *categorical; /* columns forced to PLUMB_TYPE_CATEGORICAL */
    size_t n_categorical;
    int64_t max_categories;   /* a string column with more distinct values is PLUMB_TYPE_STRING; 1000 */
    int n_threads;            /* 0 = all cores */
    const char *display_name; /* the name errors use instead of the path (e.g. "<stdin>") */
    int schema_subset;        /* nonzero: columns the schema names may be absent from the data (scoring
                                 data without its target); by default that is an error */
} plumb_read_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_read_options_init(plumb_read_options *opts);

/* Reads a CSV file (RFC 4180: quoted fields, doubled quotes, newlines in quotes, CRLF, a UTF-8 BOM; blank
 * lines skipped) into a new frame (*out, owned by the caller). path "-" reads standard input.
 * Types are inferred from all values unless the schema, categorical list or role shortcuts say otherwise; a
 * value that does not fit a declared type is an error. Errors: PLUMB_EIO (cannot open/read), PLUMB_EPARSE
 * (malformed CSV, a bad value, an empty file, a header without rows), PLUMB_ESCHEMA (duplicate column name,
 * a declared column absent from the header), PLUMB_EINVAL (bad options), PLUMB_ENOMEM; each with the line and
 * column where it applies. On failure *out is NULL. Thread-safe. */
PLUMB_API plumb_status plumb_frame_read_csv(const char *path, const plumb_read_options *opts, plumb_frame **out,
                                            plumb_error *err);

/* The same from size bytes at data (borrowed; need not be NUL-terminated). opts->display_name names it in
 * errors ("<buffer>" when NULL). */
PLUMB_API plumb_status plumb_frame_read_buffer(const void *data, size_t size, const plumb_read_options *opts,
                                               plumb_frame **out, plumb_error *err);

/* Frees the frame and its columns; accepts NULL. */
PLUMB_API void plumb_frame_free(plumb_frame *frame);

PLUMB_API int64_t plumb_frame_n_rows(const plumb_frame *frame);
PLUMB_API int64_t plumb_frame_n_columns(const plumb_frame *frame);

/* The index of the named column, or -1. */
PLUMB_API int64_t plumb_frame_find(const plumb_frame *frame, const char *name);

/* The frame's full schema (every column, its type, role and dictionary). Borrowed: lives as long as the frame. */
PLUMB_API const plumb_schema *plumb_frame_schema(const plumb_frame *frame);

/* Column data, n_rows values, borrowed from the frame; NULL when the column is not stored that way.
 * numeric: f32 for features, f64 for target and weight columns (NaN = missing); categorical and string: codes;
 * datetime: i64; bool: u8. */
PLUMB_API const float *plumb_frame_f32(const plumb_frame *frame, int64_t col);
PLUMB_API const double *plumb_frame_f64(const plumb_frame *frame, int64_t col);
PLUMB_API const int32_t *plumb_frame_codes(const plumb_frame *frame, int64_t col);
PLUMB_API const int64_t *plumb_frame_i64(const plumb_frame *frame, int64_t col);
PLUMB_API const uint8_t *plumb_frame_u8(const plumb_frame *frame, int64_t col);

/* A new frame (*out, owned by the caller) with rows rows[0..n) of frame, in that order (rows may repeat), and
 * the same schema. Returns PLUMB_EINVAL for a row out of range, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_frame_take(const plumb_frame *frame, const int64_t *rows, int64_t n, plumb_frame **out,
                                        plumb_error *err);

/* Bytes of memory the frame holds (column data, dictionaries, names). */
PLUMB_API size_t plumb_frame_memory(const plumb_frame *frame);

/* ---------------------------------------------------------------------------------------------------------------
 * Column profiles
 * ------------------------------------------------------------------------------------------------------------- */

#define PLUMB_PROFILE_TOP 5

typedef struct plumb_column_profile {
    int64_t n_rows;
    int64_t n_missing;
    int64_t n_distinct; /* distinct non-missing values */
    /* numeric, datetime (seconds) and bool (share of true as mean): over non-missing values; NaN when none */
    double min, max, mean, std;
    /* categorical, string and bool: the most frequent values, most frequent first (ties: dictionary order) */
    int n_top;
    struct {
        const char *value; /* borrowed from the frame */
        int64_t count;
    } top[PLUMB_PROFILE_TOP];
} plumb_column_profile;

/* Profiles column col into *out. Returns PLUMB_EINVAL for a bad index, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_frame_profile(const plumb_frame *frame, int64_t col, plumb_column_profile *out,
                                           plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Metrics (src/eval): binary, regression and multiclass scores, curves, bootstrap intervals
 *
 * Every metric equals scikit-learn 1.2's within 1e-9 (tests/parity/sklearn_metrics.py), with sample weights.
 * Undefined cases fail with PLUMB_EINVAL and say why ("only one class present in the labels: ROC-AUC is
 * undefined"), where scikit-learn raises; docs/eval.md lists each definition and each degenerate case.
 * ------------------------------------------------------------------------------------------------------------- */

/* X(NAME, "name", "task"): the metrics, their names and the task they belong to. */
#define PLUMB_METRIC_MAP(X)                                                                                            \
    X(ROC_AUC, "roc_auc", "binary")                     /* area under the ROC curve, ties count one half */            \
    X(PR_AUC, "pr_auc", "binary")                       /* average precision (step integral of the PR curve) */        \
    X(LOG_LOSS, "log_loss", "binary")                   /* mean -log p of the true class, p clipped to [eps, 1-eps] */ \
    X(BRIER, "brier", "binary")                         /* mean (p - y)^2 */                                           \
    X(ACCURACY, "accuracy", "binary")                   /* at the threshold: score >= threshold is positive */         \
    X(PRECISION, "precision", "binary")                 /* at the threshold; 0 when nothing is predicted positive */   \
    X(RECALL, "recall", "binary")                       /* at the threshold; 0 without positives */                    \
    X(F1, "f1", "binary")                               /* at the threshold; 0 when precision + recall is 0 */         \
    X(F1_BEST, "f1_best", "binary")                     /* the highest F1 over all thresholds */                       \
    X(F1_BEST_THRESHOLD, "f1_best_threshold", "binary") /* the (lowest) score threshold that reaches it */             \
    X(KS, "ks", "binary")                               /* Kolmogorov-Smirnov: max |TPR - FPR| */                      \
    X(GINI, "gini", "binary")                           /* 2 ROC-AUC - 1 */                                            \
    X(MAE, "mae", "regression")                         /* mean |y - p| */                                             \
    X(RMSE, "rmse", "regression")                       /* sqrt(mean (y - p)^2) */                                     \
    X(MAPE, "mape", "regression")                       /* mean |y - p| / max(|y|, DBL_EPSILON) */                     \
    X(WAPE, "wape", "regression")                       /* sum |y - p| / sum |y| */                                    \
    X(R2, "r2", "regression")                           /* 1 - SSE / SST (1 or 0 for a constant target) */             \
    X(POISSON_DEVIANCE, "poisson_deviance", "regression") /* mean 2 (y log(y/p) - y + p); y >= 0, p > 0 */             \
    X(GAMMA_DEVIANCE, "gamma_deviance", "regression")     /* mean 2 (log(p/y) + y/p - 1); y > 0, p > 0 */              \
    X(PINBALL_LOSS, "pinball_loss", "regression")         /* mean alpha max(y-p, 0) + (1-alpha) max(p-y, 0) */         \
    X(MULTI_ACCURACY, "accuracy", "multiclass")           /* share of rows whose most probable class is the label */   \
    X(MACRO_F1, "macro_f1", "multiclass")       /* mean F1 over the classes present in labels or predictions */        \
    X(MICRO_F1, "micro_f1", "multiclass")       /* F1 of the pooled counts */                                          \
    X(MULTI_LOG_LOSS, "log_loss", "multiclass") /* mean -log p of the label's class, rows renormalised */

typedef enum plumb_metric {
#define PLUMB_METRIC_ENUM(name, str, task) PLUMB_METRIC_##name,
    PLUMB_METRIC_MAP(PLUMB_METRIC_ENUM)
#undef PLUMB_METRIC_ENUM
        PLUMB_METRIC_COUNT
} plumb_metric;

/* The metric's name ("roc_auc") and task ("binary", "regression" or "multiclass"); NULL for a bad value. */
PLUMB_API const char *plumb_metric_name(plumb_metric metric);
PLUMB_API const char *plumb_metric_task(plumb_metric metric);

/* What a metric is computed from; all arrays are borrowed. */
typedef struct plumb_metric_data {
    int64_t n_rows;
    const double *label;  /* binary: 0 or 1; regression: the values; multiclass: 0..n_classes-1 */
    const double *score;  /* binary: score of class 1 (probabilities in [0, 1] for log-loss, Brier and accuracy-type
                             metrics, any finite number for the ranking ones); regression: the prediction;
                             multiclass: n_rows x n_classes probabilities, row-major */
    const double *weight; /* sample weights, finite and >= 0; NULL: all 1 */
    int64_t n_classes;    /* multiclass: 2 or more */
    double threshold;     /* binary: a score >= threshold is predicted positive; 0.5 */
    double alpha;         /* pinball_loss: the quantile level the predictions are for, in (0, 1); 0.5 */
} plumb_metric_data;

/* Fills *data with the defaults above (no rows). */
PLUMB_API void plumb_metric_data_init(plumb_metric_data *data);

/* Computes metrics[0..n_metrics) into values (OUT, n_metrics entries), sharing one sort of the scores (binary
 * ranking metrics are O(n log n) in all). Returns PLUMB_EINVAL for bad data (a label outside its range, a
 * non-finite score or weight, weights summing to 0) or an undefined metric, with a message naming the first
 * problem, and PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_metrics_compute(const plumb_metric_data *data, const plumb_metric *metrics,
                                             size_t n_metrics, double *values, plumb_error *err);

typedef struct plumb_bootstrap_options {
    double level;        /* 0.95: the interval holds this share of the resampled values */
    int64_t n_resamples; /* 1000 */
    uint64_t seed;       /* 0 */
    int n_threads;       /* 0 = the plumb_set_threads default; the result does not depend on it */
} plumb_bootstrap_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_bootstrap_options_init(plumb_bootstrap_options *opts);

/* Percentile bootstrap intervals: draws n_rows rows with replacement n_resamples times (each row keeps its
 * weight), computes each metric on every resample, and writes the (1-level)/2 and (1+level)/2 quantiles (linear
 * interpolation, as numpy.percentile) into lo[i] and hi[i] (OUT, n_metrics entries). Resamples on which a metric is
 * undefined (one class drawn) are left out of its quantiles; lo and hi are NaN when none remain. The same seed
 * gives the same intervals whatever the thread count. Errors as plumb_metrics_compute on the full data, and
 * PLUMB_EINVAL for a level outside (0, 1) or fewer than 2 resamples. */
PLUMB_API plumb_status plumb_metrics_bootstrap(const plumb_metric_data *data, const plumb_metric *metrics,
                                               size_t n_metrics, const plumb_bootstrap_options *opts, double *lo,
                                               double *hi, plumb_error *err);

/* The weighted confusion matrix into out (OUT, k*k entries, k = 2 for binary, else n_classes): row = true class,
 * column = predicted class (binary: {tn, fp, fn, tp}, the threshold deciding; multiclass: the most probable
 * class). Errors as plumb_metrics_compute. */
PLUMB_API plumb_status plumb_metrics_confusion(const plumb_metric_data *data, int multiclass, double *out,
                                               plumb_error *err);

/* ROC curve of binary data, as sklearn.metrics.roc_curve (drop_intermediate=True) in scikit-learn 1.2: points at
 * the distinct scores of the rows with non-zero weight, from the highest, collinear interior points dropped, and a
 * first point (0, 0) whose threshold is the highest score + 1. fpr, tpr, thresholds (OUT) need n_rows + 1 entries;
 * *n_points (OUT) is how many were written. PLUMB_EINVAL when either class is absent. */
PLUMB_API plumb_status plumb_curve_roc(const plumb_metric_data *data, double *fpr, double *tpr, double *thresholds,
                                       int64_t *n_points, plumb_error *err);

/* Precision-recall curve of binary data, as sklearn.metrics.precision_recall_curve: precision and recall (OUT,
 * n_rows + 1 entries) by increasing threshold, then the final point (1, 0); thresholds (OUT, n_rows entries) the
 * distinct scores, increasing. *n_points counts the precision and recall entries (thresholds have one fewer).
 * PLUMB_EINVAL without positives. */
PLUMB_API plumb_status plumb_curve_pr(const plumb_metric_data *data, double *precision, double *recall,
                                      double *thresholds, int64_t *n_points, plumb_error *err);

typedef enum plumb_bins {
    PLUMB_BINS_UNIFORM = 0, /* n_bins equal widths over [0, 1] */
    PLUMB_BINS_QUANTILE,    /* edges at the score quantiles (numpy.percentile, linear), so bins hold equal counts */
} plumb_bins;

/* Reliability (calibration) curve of binary probabilities, as sklearn.calibration.calibration_curve: the rows are
 * put in n_bins bins of their score (a score equal to an inner edge goes to the lower bin), and for every
 * non-empty bin, by increasing score, prob_true = weighted share of positives, prob_pred = weighted mean score,
 * count = weight of the bin (OUT arrays of n_bins entries; *n_points written). Weights extend scikit-learn's
 * unweighted definition. PLUMB_EINVAL for scores outside [0, 1] or n_bins < 1. */
PLUMB_API plumb_status plumb_curve_calibration(const plumb_metric_data *data, int64_t n_bins, plumb_bins strategy,
                                               double *prob_true, double *prob_pred, double *count, int64_t *n_points,
                                               plumb_error *err);

/* Cumulative gain and lift of binary data: with the rows ordered by decreasing score, for each distinct score
 * (rows with equal scores enter together) population = share of the total weight scored >= it, gain = share of the
 * positive weight among them, lift = gain / population, threshold = the score (OUT arrays of n_rows entries;
 * *n_points written). PLUMB_EINVAL without positives. */
PLUMB_API plumb_status plumb_curve_gain(const plumb_metric_data *data, double *population, double *gain, double *lift,
                                        double *thresholds, int64_t *n_points, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Cross-validation splits (src/eval/split.c)
 *
 * A split assigns, for each fold k, every row a role: train, test or unused. k-fold, stratified and group splits
 * are partitions (each row is tested in exactly one fold and trains in the others); time splits are not: the
 * earliest rows are never tested, and rows in a gap or after the test block are unused.
 * ------------------------------------------------------------------------------------------------------------- */

typedef enum plumb_split_strategy {
    PLUMB_SPLIT_KFOLD = 0,  /* consecutive blocks of rows (shuffled first with shuffle); sizes differ by at most 1 */
    PLUMB_SPLIT_STRATIFIED, /* every fold gets each class in the same proportion (sklearn StratifiedKFold) */
    PLUMB_SPLIT_GROUP,      /* rows of a group share a fold; folds of balanced size (sklearn GroupKFold) */
    PLUMB_SPLIT_TIME,       /* expanding window over time order: test blocks follow their training rows */
} plumb_split_strategy;

typedef enum plumb_fold_role {
    PLUMB_FOLD_UNUSED = 0,
    PLUMB_FOLD_TRAIN = 1,
    PLUMB_FOLD_TEST = 2,
} plumb_fold_role;

typedef struct plumb_split_options {
    plumb_split_strategy strategy; /* PLUMB_SPLIT_KFOLD */
    int32_t n_folds;               /* 5 */
    int shuffle;                   /* kfold and stratified: shuffle (by seed) before assigning folds; 1 */
    uint64_t seed;                 /* 0 */
    const int64_t *labels;         /* stratified: the class of each row (any values >= 0; negative = missing) */
    const int64_t *groups;         /* group: the group of each row (any values >= 0; negative = missing) */
    const double *times;           /* time: when each row happened (any finite numbers; NaN = missing) */
    int64_t gap;                   /* time: rows left out between each training block and its test block; 0 */
} plumb_split_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_split_options_init(plumb_split_options *opts);

typedef struct plumb_split plumb_split;

/* Assigns the folds of n_rows rows (*out, owned by the caller; labels, groups and times are copied as needed).
 * Time splits follow sklearn's TimeSeriesSplit over the rows sorted by time (stable), with test blocks of
 * n_rows / (n_folds + 1) rows whose edges move to the nearest change of time, so rows with equal times are never
 * split between train and test (nor between train and the gap); the gap counts rows. Returns PLUMB_EINVAL for
 * fewer than 2 folds, more folds than rows, groups or rows per class (stratified: more folds than the largest
 * class has rows), a missing label, group or time, a gap that leaves a fold without training rows, or too few
 * distinct times; PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_split_create(int64_t n_rows, const plumb_split_options *opts, plumb_split **out,
                                          plumb_error *err);

/* Frees the split; accepts NULL. */
PLUMB_API void plumb_split_free(plumb_split *split);

PLUMB_API int32_t plumb_split_n_folds(const plumb_split *split);
PLUMB_API int64_t plumb_split_n_rows(const plumb_split *split);

/* Fold k's role of every row into role (OUT, n_rows entries, plumb_fold_role values). */
PLUMB_API void plumb_split_roles(const plumb_split *split, int32_t fold, uint8_t *role);

/* Fold k's training and test rows, increasing, into train and test (OUT, n_rows entries each; either may be
 * NULL), their counts into *n_train and *n_test (may be NULL). Ready for plumb_frame_take. */
PLUMB_API void plumb_split_rows(const plumb_split *split, int32_t fold, int64_t *train, int64_t *n_train, int64_t *test,
                                int64_t *n_test);

/* ---------------------------------------------------------------------------------------------------------------
 * Models: gradient-boosted decision trees
 * ------------------------------------------------------------------------------------------------------------- */

/* A trained model: immutable, so concurrent predictions from many threads are safe. */
typedef struct plumb_model plumb_model;

/* X(NAME, "name"): the tasks, in enum order, with the names plumb_task_name prints and plumb_task_parse reads. */
#define PLUMB_TASK_MAP(X)                                                                                              \
    X(AUTO, "auto")             /* binary for a two-valued target (two categories, bool, or numbers 0/1), multiclass   \
                                   for a categorical target with more categories, else regression */                   \
    X(BINARY, "binary")         /* predictions are probabilities of the positive class */                              \
    X(REGRESSION, "regression") /* predictions are values */                                                           \
    X(MULTICLASS, "multiclass") /* predictions are one probability per class (the target's categories, in order) */

typedef enum plumb_task {
#define PLUMB_TASK_ENUM(NAME, name) PLUMB_TASK_##NAME,
    PLUMB_TASK_MAP(PLUMB_TASK_ENUM)
#undef PLUMB_TASK_ENUM
} plumb_task;

/* The task's name ("binary"), or "unknown" for a value outside the enum. Thread-safe. */
PLUMB_API const char *plumb_task_name(plumb_task task);

/* Parses a task name (one of PLUMB_TASK_MAP's) into *out. PLUMB_EINVAL, with a message listing the names, for
 * any other string (or NULL). */
PLUMB_API plumb_status plumb_task_parse(const char *name, plumb_task *out, plumb_error *err);

/* What gradient boosting minimises (LightGBM's objectives). AUTO: binary log-loss, L2 or softmax, by the task. */
typedef enum plumb_objective {
    PLUMB_OBJECTIVE_AUTO = 0,
    PLUMB_OBJECTIVE_BINARY,     /* log-loss on the log-odds */
    PLUMB_OBJECTIVE_L2,         /* squared error */
    PLUMB_OBJECTIVE_L1,         /* absolute error: predicts the conditional median */
    PLUMB_OBJECTIVE_HUBER,      /* squared error within alpha of the target, absolute beyond: robust to outliers */
    PLUMB_OBJECTIVE_POISSON,    /* Poisson deviance on the log of the mean: counts (demand); targets >= 0 */
    PLUMB_OBJECTIVE_QUANTILE,   /* pinball loss: predicts the conditional alpha-quantile (prediction intervals) */
    PLUMB_OBJECTIVE_MULTICLASS, /* softmax log-loss: one tree per class and iteration */
} plumb_objective;

/* The objective's name ("binary", "l2", "l1", "huber", "poisson", "quantile", "multiclass"), and back
 * (PLUMB_EINVAL for an unknown name). */
PLUMB_API const char *plumb_objective_name(plumb_objective objective);
PLUMB_API plumb_status plumb_objective_parse(const char *name, plumb_objective *out, plumb_error *err);

/* Reported once per boosting iteration to a progress callback. */
typedef struct plumb_train_progress {
    int64_t iteration;    /* 1-based */
    int64_t n_iterations; /* the most there will be */
    const char *metric;   /* the validation metric's name, e.g. "binary_logloss", "auc", "l2" */
    double valid_metric;  /* NaN without validation data */
    double elapsed_seconds;
} plumb_train_progress;

typedef void (*plumb_progress_fn)(const plumb_train_progress *progress, void *user);

/* A monotone constraint: the model's output never decreases (direction +1) or never increases (-1) when the
 * numeric feature column grows, the others fixed. */
typedef struct plumb_monotone {
    const char *column;
    int direction; /* +1 or -1 (0: none) */
} plumb_monotone;

/* Training parameters. Names and defaults follow LightGBM's. */
typedef struct plumb_gbdt_params {
    plumb_task task;                /* PLUMB_TASK_AUTO */
    plumb_objective objective;      /* PLUMB_OBJECTIVE_AUTO: from the task */
    double alpha;                   /* 0.9: huber's threshold and quantile's level */
    const char *metric;             /* validation metric for early stopping; NULL = the objective's own loss. One of
                                       binary_logloss, auc, binary_error, l2, rmse, l1, huber, poisson_deviance
                                       (LightGBM's poisson: the same name), quantile, mape, multi_logloss,
                                       multi_error */
    const char *positive_class;     /* binary with a text target: the positive category; NULL = the last one in
                                       sorted order (numbers: 1, bool: true) */
    int64_t num_iterations;         /* 100 */
    double learning_rate;           /* 0.1 */
    int32_t num_leaves;             /* 31 */
    int32_t max_depth;              /* -1: no limit */
    int64_t min_data_in_leaf;       /* 20 */
    double min_sum_hessian_in_leaf; /* 1e-3 */
    double lambda_l1;               /* 0 */
    double lambda_l2;               /* 0 */
    double min_gain_to_split;       /* 0 */
    int32_t max_bin;                /* 255; up to 65535 (codes take 2 bytes above 255) */
    double feature_fraction;        /* 1.0: share of features each tree may use */
    double bagging_fraction;        /* 1.0: share of rows each bagging round keeps */
    int32_t bagging_freq;           /* 0: no bagging; k: new bag every k iterations */
    int64_t early_stopping_rounds;  /* 0: off; k: stop when the validation metric has not improved for k rounds */
    /* categorical features: a split sends a set of categories left, found by sorting the categories by
     * sum_gradient / (sum_hessian + cat_smooth) */
    double cat_smooth;              /* 10 */
    double cat_l2;                  /* 10: extra L2 regularisation of categorical splits */
    int64_t min_data_per_group;     /* 100: fewest rows of a category for it to take part in a set split */
    int32_t max_cat_threshold;      /* 32: most categories on one side of a split */
    int32_t max_cat_to_onehot;      /* 4: features with this many categories or fewer split one category vs the rest */
    double poisson_max_delta_step;  /* 0.7: hessian exp(score + this) keeps Poisson steps small */
    const plumb_monotone *monotone; /* n_monotone constraints, by column name; NULL: none */
    int n_monotone;
    const plumb_model *init_model; /* continue training: its trees come first, its bins are kept; NULL: none */
    int n_threads;                 /* 0 = all cores; the model does not depend on it */
    uint64_t seed;                 /* 0 */
    plumb_progress_fn progress;    /* NULL: no progress reports */
    void *progress_user;
} plumb_gbdt_params;

/* Fills *params with the defaults above. */
PLUMB_API void plumb_gbdt_params_init(plumb_gbdt_params *params);

/* What a model is made of. */
typedef enum plumb_model_kind {
    PLUMB_MODEL_GBDT = 0, /* gradient-boosted decision trees */
    PLUMB_MODEL_LINEAR,   /* linear regression, or logistic regression for a binary task */
    PLUMB_MODEL_TREE,     /* a single CART decision tree */
    PLUMB_MODEL_GBDT_Q,   /* quantised gradient-boosted trees (plumb_model_quantize) */
} plumb_model_kind;

/* Trains gradient-boosted trees on the feature columns of train (numeric, bool and categorical columns with role
 * feature) to predict its target column, each row weighted by the weight column when there is one; valid (may be
 * NULL) is scored every iteration for early stopping.
 * Returns PLUMB_EINVAL for bad parameters or an unusable target (missing values, not two classes for binary),
 * PLUMB_ESCHEMA when valid lacks a column, PLUMB_ENOMEM. The same data, parameters and seed give the same
 * model whatever the thread count. *out is owned by the caller. */
PLUMB_API plumb_status plumb_gbdt_train(const plumb_frame *train, const plumb_frame *valid,
                                        const plumb_gbdt_params *params, plumb_model **out, plumb_error *err);

/* Frees the model; accepts NULL. */
PLUMB_API void plumb_model_free(plumb_model *model);

/* Writes the model file (docs/model-format.md) atomically: a header line with the body's length and SHA-256,
 * then JSON. On failure no file is left behind. */
PLUMB_API plumb_status plumb_model_save(const plumb_model *model, const char *path, plumb_error *err);

/* Loads a model file, verifying its checksum and version: PLUMB_EIO (cannot read), PLUMB_EFORMAT (not a plumb
 * model, truncated, corrupted, or written by a newer plumb), each with a message that says which. */
PLUMB_API plumb_status plumb_model_load(const char *path, plumb_model **out, plumb_error *err);

/* The same from size bytes at data; name is used in errors. */
PLUMB_API plumb_status plumb_model_load_buffer(const void *data, size_t size, const char *name, plumb_model **out,
                                               plumb_error *err);

/* The schema of the training data (types, roles, categorical dictionaries); read scoring data with it.
 * Borrowed: lives as long as the model. */
PLUMB_API const plumb_schema *plumb_model_schema(const plumb_model *model);

typedef struct plumb_model_info {
    const char *kind; /* "gbdt", "linear", "tree" */
    plumb_task task;
    const char *objective; /* gbdt: plumb_objective_name of its objective */
    int64_t n_outputs;     /* values predicted per row: the classes of a multiclass model, else 1 */
    int64_t n_features, n_trees;
    int64_t n_iterations;   /* trained; the model keeps the trees up to best_iteration */
    int64_t best_iteration; /* 1-based */
    const char *metric;     /* the validation metric's name */
    double train_metric;    /* of the trees kept */
    double valid_metric;    /* at best_iteration; NaN without validation data */
    int64_t train_rows;
    const char *plumb_version, *data_sha256, *created; /* provenance */
} plumb_model_info;

/* Describes the model; strings are borrowed from it. */
PLUMB_API void plumb_model_describe(const plumb_model *model, plumb_model_info *info);

/* How a call scores: zero-initialise ({0} or NULL) for the defaults. */
typedef struct plumb_predict_options {
    int threads;       /* threads for this call; 0: the plumb_set_threads default. A server scoring each request on its
                        * own thread sets 1 (docs/embedding.md) */
    bool raw;          /* raw scores before the link function and any calibration: for gradient boosting log-odds
                        * (binary), log of the mean (poisson), class scores before the softmax (multiclass), values
                        * otherwise; for linear models and trees, their predictions before any calibration */
    bool uncalibrated; /* predictions as if the model held no calibration (plumb_model_calibrate): what the
                        * calibration map is fitted to */
} plumb_predict_options;

/* Predicts every row of frame into out (n_rows x n_outputs values, row-major, caller-owned): probabilities of the
 * positive class for binary models, values for regression, n_outputs class probabilities for multiclass (or raw
 * scores, opts->raw). opts may be NULL (defaults). Columns are matched by name; PLUMB_ESCHEMA when one the model
 * needs is absent or has another type. Thread-safe. */
PLUMB_API plumb_status plumb_model_predict(const plumb_model *model, const plumb_frame *frame,
                                           const plumb_predict_options *opts, double *out, plumb_error *err);

/* The name of the model's feature f, 0 <= f < n_features (plumb_model_info); borrowed from the model. */
PLUMB_API const char *plumb_model_feature_name(const plumb_model *model, int64_t f);

/* How much a gradient-boosted model uses each feature. */
typedef struct plumb_importance {
    double gain;    /* total gain of the feature's splits (the loss reduction they bought) */
    int64_t splits; /* number of splits on the feature */
} plumb_importance;

/* Fills out[0..n_features) with the importance of each model feature. PLUMB_EINVAL for a model that is not gbdt. */
PLUMB_API plumb_status plumb_model_importance(const plumb_model *model, plumb_importance *out, plumb_error *err);

/* Per-row contributions of each feature to the raw score by TreeSHAP (Lundberg, Erion & Lee 2018, path-dependent,
 * exact for trees): out (caller-owned) holds n_rows x n_outputs x (n_features + 1) values, per row and output the
 * contribution of each model feature and then the bias (the expected raw score); they sum to the raw score
 * (plumb_model_predict with raw set); opts as there (raw is ignored). PLUMB_EINVAL for a model that is not gbdt,
 * PLUMB_ESCHEMA, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_model_contrib(const plumb_model *model, const plumb_frame *frame,
                                           const plumb_predict_options *opts, double *out, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Scoring without a frame: one row at a time (a server's path), or plain float/double matrices (bindings)
 * ------------------------------------------------------------------------------------------------------------- */

/* A model bound to a row layout: the caller's column names in the caller's order. Predictions equal
 * plumb_model_predict's on the same values to the last bit, for every kind of model. */
typedef struct plumb_scorer plumb_scorer;

/* Binds model (borrowed: it must outlive the scorer) to rows whose i-th value is column columns[i]. Names the
 * model does not use are ignored. PLUMB_ESCHEMA when a feature the model needs is not among columns,
 * PLUMB_EINVAL, PLUMB_ENOMEM. Free with plumb_scorer_free. */
PLUMB_API plumb_status plumb_scorer_create(const plumb_model *model, const char *const *columns, int64_t n_columns,
                                           plumb_scorer **out, plumb_error *err);
PLUMB_API void plumb_scorer_free(plumb_scorer *scorer);

/* Values written per row: plumb_model_info.n_outputs. */
PLUMB_API int64_t plumb_scorer_n_outputs(const plumb_scorer *scorer);

/* Scores one row into out (n_outputs predictions, as plumb_model_predict): values[i] is column i's value when it
 * is numeric or bool (NaN: missing; values may be NULL when every feature is categorical), categories[i] its text
 * when it is categorical (NULL array when there are none; a NULL entry: missing; text the model never saw follows
 * the model's rule for unseen categories). No allocation for models of up to 1024 features, no lock: any number
 * of threads may share a scorer. PLUMB_EINVAL (NULL arguments; a linear model given an infinite value). */
PLUMB_API plumb_status plumb_scorer_row(const plumb_scorer *scorer, const double *values, const char *const *categories,
                                        double *out, plumb_error *err);

typedef enum plumb_layout { PLUMB_LAYOUT_ROW_MAJOR, PLUMB_LAYOUT_COL_MAJOR } plumb_layout;
typedef enum plumb_dtype { PLUMB_DTYPE_F32, PLUMB_DTYPE_F64 } plumb_dtype;

/* Scores n_rows rows of a plain matrix of n_columns (the scorer's columns) into out (n_rows x n_outputs), with
 * threads threads (0: the plumb_set_threads default). Categorical columns hold the model's category codes
 * (plumb_scorer_category_code; NaN or negative: missing). Statuses as plumb_scorer_row. */
PLUMB_API plumb_status plumb_scorer_matrix(const plumb_scorer *scorer, const void *data, plumb_dtype dtype,
                                           plumb_layout layout, int64_t n_rows, int threads, double *out,
                                           plumb_error *err);

/* The code of category text in the dictionary of the scorer's column (for plumb_scorer_matrix):
 * PLUMB_CODE_MISSING for NULL, PLUMB_CODE_UNSEEN for a category the model never saw or a column that is not a
 * categorical feature of the model. */
PLUMB_API int32_t plumb_scorer_category_code(const plumb_scorer *scorer, int64_t column, const char *category);

/* ---------------------------------------------------------------------------------------------------------------
 * Models: a single CART decision tree
 * ------------------------------------------------------------------------------------------------------------- */

/* What a tree minimises when it chooses a split. */
typedef enum plumb_tree_criterion {
    PLUMB_TREE_CRITERION_AUTO = 0,      /* gini for a binary task, squared_error for regression */
    PLUMB_TREE_CRITERION_GINI,          /* binary: Gini impurity 1 - sum p_k^2 */
    PLUMB_TREE_CRITERION_ENTROPY,       /* binary: Shannon entropy in bits, -sum p_k log2 p_k */
    PLUMB_TREE_CRITERION_SQUARED_ERROR, /* regression: weighted variance of the target */
} plumb_tree_criterion;

/* Training parameters of a tree. Names, defaults and meaning follow scikit-learn's DecisionTreeClassifier and
 * DecisionTreeRegressor (docs/tree.md maps each one). */
typedef struct plumb_tree_params {
    plumb_task task;                /* PLUMB_TASK_AUTO, as plumb_gbdt_params */
    const char *positive_class;     /* as plumb_gbdt_params: NULL = the last category in sorted order */
    plumb_tree_criterion criterion; /* PLUMB_TREE_CRITERION_AUTO */
    int32_t max_depth;              /* -1: no limit (sklearn None); else at least 1 */
    int64_t min_samples_split;      /* 2: fewest rows a node needs to be split */
    int64_t min_samples_leaf;       /* 1: fewest rows in each child of a split */
    double min_impurity_decrease;   /* 0: a split must decrease the weighted impurity by at least this */
    double ccp_alpha;               /* 0: minimal cost-complexity pruning strength; 0 keeps the grown tree */
    int class_weight_balanced;      /* 0; nonzero: weigh class c by n / (2 n_c), as class_weight="balanced" */
    double class_weight[2];         /* {1, 1}: weights of the negative and positive class (binary only) */
    int n_threads;                  /* 0 = the plumb_set_threads default; the tree does not depend on it */
} plumb_tree_params;

/* Fills *params with the defaults above. */
PLUMB_API void plumb_tree_params_init(plumb_tree_params *params);

/* Trains one CART tree on the feature columns of train (numeric, bool and categorical columns with role feature)
 * to predict its target column, with the frame's weight column (if any) as sample weights. Splits are exact: every
 * boundary between distinct values of a numeric feature (the midpoint, as scikit-learn), every prefix of a
 * categorical feature's categories ordered by their mean target (Breiman's ordering, optimal for two classes and
 * for squared error), each with missing values tried on both sides. The result is a plumb_model of kind
 * PLUMB_MODEL_TREE that plumb_model_predict / _save / _load / _describe / _free accept. Returns PLUMB_EINVAL for
 * bad parameters or an unusable target or weight (missing values, not two classes for binary, negative weights),
 * PLUMB_ENOMEM. Deterministic: the same data and parameters give the same tree for any thread count.
 * *out is owned by the caller. */
PLUMB_API plumb_status plumb_tree_train(const plumb_frame *train, const plumb_tree_params *params, plumb_model **out,
                                        plumb_error *err);

/* The minimal cost-complexity pruning path of the tree that params grow on train (params->ccp_alpha is ignored),
 * as scikit-learn's cost_complexity_pruning_path: *n (OUT) increasing effective alphas in *ccp_alphas (OUT) and
 * the total leaf impurity of the subtree pruned at each in *impurities (OUT); both malloc'd, the caller frees them
 * with free(). The first alpha is 0 (the whole tree), the last prunes it to its root. Errors as plumb_tree_train. */
PLUMB_API plumb_status plumb_tree_pruning_path(const plumb_frame *train, const plumb_tree_params *params,
                                               double **ccp_alphas, double **impurities, int64_t *n, plumb_error *err);

typedef struct plumb_tree_info {
    int64_t n_nodes, n_leaves;
    int64_t depth;         /* of the deepest leaf; 0 for a tree that is only its root */
    const char *criterion; /* "gini", "entropy" or "squared_error" */
    double ccp_alpha;      /* the pruning it was trained with */
} plumb_tree_info;

/* Describes a tree model into *info (strings static). PLUMB_EINVAL when the model is not a tree. */
PLUMB_API plumb_status plumb_tree_describe(const plumb_model *model, plumb_tree_info *info, plumb_error *err);

/* Renders a tree model as readable rules, one line per leaf in tree order, e.g.
 *     if Seniority <= 2.5 and Records = yes and (Income <= 120.5 or missing) then P(bad) = 0.62 (312 rows)
 * (conditions on one feature along the path are merged: "30.5 < Age <= 50.5", "Home in {owner, priv}"; "or
 * missing" where missing values take that branch and the feature had missing values in training). *text (OUT)
 * is NUL-terminated, malloc'd, owned by the caller (free()). PLUMB_EINVAL when the model is not a tree,
 * PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_model_rules(const plumb_model *model, char **text, plumb_error *err);

/* ---- probability calibration ---- */

typedef enum plumb_calibration {
    PLUMB_CALIBRATION_NONE = 0,
    PLUMB_CALIBRATION_ISOTONIC, /* a non-decreasing map: isotonic regression, centred (never 0 or 1; docs/eval.md) */
    PLUMB_CALIBRATION_PLATT,    /* a sigmoid of the score (Platt scaling, as scikit-learn's) */
} plumb_calibration;

/* Judges a calibration honestly, on rows its map did not see: splits frame's rows into *folds stratified folds
 * (by seed) and, for each, fits the method's map on the other folds and applies it to the fold. *folds: IN the
 * number of folds, 0 to choose (5, or as many as the smaller class has rows when that is fewer); OUT the number
 * used. OUT, n_rows entries each (caller-owned): label (0/1 as the model encodes the target), uncalibrated (the
 * model's probabilities, any calibration it holds ignored) and calibrated (cross-fitted). The model is not
 * changed; thread-safe. PLUMB_EINVAL as plumb_model_calibrate, or for fewer than 2 folds or a class with fewer rows
 * than folds, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_model_calibrate_crossfit(const plumb_model *model, const plumb_frame *frame,
                                                      plumb_calibration method, int32_t *folds, uint64_t seed,
                                                      double *label, double *uncalibrated, double *calibrated,
                                                      plumb_error *err);

/* Fits a calibration of a binary model's probabilities on frame (rows it did not train on, with the target) and
 * stores it in the model: from then on plumb_model_predict returns calibrated probabilities, and the model file
 * keeps the map. Call it before the model is shared between threads. PLUMB_EINVAL for a model that is not binary,
 * a bad target, or rows of one class only (the map would be a constant), PLUMB_ESCHEMA, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_model_calibrate(plumb_model *model, const plumb_frame *frame, plumb_calibration method,
                                             plumb_error *err);

/* ---- the target as the model encodes it (for evaluation) ---- */

/* The category of a text target whose probability a binary model predicts (as chosen by positive_class at
 * training), borrowed from the model; NULL when the target is not text or the task is not binary (numbers: the
 * positive class is 1, bool: true). */
PLUMB_API const char *plumb_model_positive_class(const plumb_model *model);

/* ---------------------------------------------------------------------------------------------------------------
 * Audit: data leakage and bad labels (docs/audit.md)
 * ------------------------------------------------------------------------------------------------------------- */

/* Checks the feature columns of frame whose schema declares when their value becomes known (available_at or
 * available_after_days, docs/schema.md) against the moment of prediction (the time column): PLUMB_EINVAL naming
 * the first feature known later than that in some row, unless its name is among allowed[0..n_allowed). */
PLUMB_API plumb_status plumb_frame_check_availability(const plumb_frame *frame, const char *const *allowed,
                                                      size_t n_allowed, plumb_error *err);

typedef enum plumb_severity {
    PLUMB_SEVERITY_INFO = 0,
    PLUMB_SEVERITY_WARNING,
    PLUMB_SEVERITY_CRITICAL, /* the model cannot be trusted until it is resolved */
} plumb_severity;

PLUMB_API const char *plumb_severity_name(plumb_severity severity);

/* One finding of the audit. Strings are borrowed from the audit. */
typedef struct plumb_finding {
    plumb_severity severity;
    const char *check;    /* stable identifier: single_feature_power, gain_concentration, too_good, missingness,
                             available_at, retro_filled, duplicates, id_overlap, test_older, target_shift,
                             random_vs_time, id_leak, row_order, label_noise, label_maturity, importance_disagreement,
                             metric_gap, lag_structure, duplicate_columns, constant_columns */
    const char *column;   /* the column concerned; NULL when none */
    const char *title;    /* one line */
    const char *evidence; /* the numbers behind it, in words */
    const char *action;   /* what to do about it, for a person */
    double value;         /* the number the severity was decided on */
    double threshold;     /* the threshold it crossed */
} plumb_finding;

typedef struct plumb_audit_options {
    const char *positive_class;   /* binary text target: the positive class; NULL: the last category */
    const plumb_frame *test;      /* a test set to check the split against and score out of time; NULL: none */
    const plumb_model *model;     /* a trained model to audit too (importance, scores); NULL: none */
    double outcome_window_days;   /* > 0: rows whose outcome window has not closed by the snapshot are immature */
    double as_of_days;            /* the snapshot, in days since 1970-01-01 (the time column's units when it holds
                                     numbers); NaN: the latest time in the data. For auditing a period that ended
                                     before the data was extracted */
    int32_t n_folds;              /* 5 */
    uint64_t seed;                /* 0 */
    int64_t num_iterations;       /* 80: boosting rounds of the audit's own models */
    double single_power_critical; /* 0.90 AUC (binary) / 0.80 R^2 (regression): one feature alone */
    double single_power_warning;  /* 0.80 AUC / 0.50 R^2 */
    double too_good;              /* 0.95 AUC / 0.98 R^2: the whole model, cross-validated */
    double gain_share;            /* 0.50: one feature's share of the model's total gain */
    double missing_power;         /* 0.65: AUC of the missing indicator alone (warning; critical at 0.75) */
    double id_power;              /* 0.60: AUC of an identifier or of the row order (warning; critical at 0.70) */
    double split_gap;             /* 0.05: random-split minus time-split AUC (warning; critical at twice this) */
    double label_noise;           /* 0.02: warns when the wrong-label interval lies above it (critical: 0.10) */
    int n_threads;                /* 0 = the plumb_set_threads default */
} plumb_audit_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_audit_options_init(plumb_audit_options *opts);

typedef struct plumb_audit plumb_audit;

/* Audits data (the target and feature columns of a training table) for leakage and bad labels: single-feature
 * power, the concentration of a full model's gain, a cross-validated score too good to be true, missingness that
 * predicts the target, declared and statistically detected late-known features, split hygiene against opts->test,
 * identifiers and row order that carry the label, labels the out-of-fold model finds very unlikely (confident
 * learning), immature labels, gain against permutation importance, and gaps between train, validation and
 * out-of-time scores. *out (owned by the caller) holds the findings, most severe first. Returns PLUMB_EINVAL for
 * an unusable target or options, PLUMB_ESCHEMA when the test set lacks a column, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_audit_run(const plumb_frame *data, const plumb_audit_options *opts, plumb_audit **out,
                                       plumb_error *err);

PLUMB_API int64_t plumb_audit_n_findings(const plumb_audit *audit);
PLUMB_API const plumb_finding *plumb_audit_finding(const plumb_audit *audit, int64_t i);

/* The rows (0-based, of data) whose labels the audit finds suspicious, most suspicious first; borrowed. */
PLUMB_API const int64_t *plumb_audit_suspect_rows(const plumb_audit *audit, int64_t *n);

/* Everything the audit measured as JSON (findings, per-feature table, scores): a malloc'd string the caller frees,
 * NULL when out of memory. */
PLUMB_API char *plumb_audit_json(const plumb_audit *audit);

PLUMB_API void plumb_audit_free(plumb_audit *audit);

/* ---------------------------------------------------------------------------------------------------------------
 * Models: linear and logistic regression
 *
 * The model carries its preprocessing and applies it identically when it scores (docs/linear.md):
 *   numeric  optional clipping at the clip_quantile and 1 - clip_quantile quantiles of the training data, missing
 *            values imputed with the median (plus a 0/1 column "NAME:missing" when the training column had missing
 *            values), then standardised with the training mean and standard deviation;
 *   bool     0/1, missing values imputed with the most frequent value (plus "NAME:missing" as above);
 *   categorical  one 0/1 column "NAME=VALUE" per category seen in training (all zero for a missing or unseen
 *            category, and for categories whose training weight is below min_category_weight).
 * Every statistic uses the sample weights (the column with the weight role). String and datetime columns are
 * not used. The fit minimises, over the intercept b0 and the coefficients b of the design columns,
 *
 *     (1 / sum w) sum_i w_i loss_i + alpha * (l1_ratio * |b|_1 + (1 - l1_ratio) / 2 * |b|_2^2)
 *
 * with loss = (y - f)^2 / 2 for regression and the log-loss of p = 1 / (1 + e^-f) for logistic regression,
 * f = b0 + x.b, w = sample weight x class weight; the intercept is not penalised. In scikit-learn's terms (W = sum
 * of the weights): Ridge(alpha = alpha * W); Lasso/ElasticNet(alpha = alpha, l1_ratio = l1_ratio);
 * LinearRegression for alpha 0; LogisticRegression(C = 1 / (alpha * W)) with penalty l2, l1 or elasticnet.
 * ------------------------------------------------------------------------------------------------------------- */

typedef struct plumb_linear_params {
    plumb_task task;            /* PLUMB_TASK_AUTO: logistic regression for a two-valued target, else linear */
    const char *positive_class; /* binary with a text target: the positive category; NULL = the last in sorted order */
    double alpha;               /* 1e-4: strength of the penalty; 0 for none */
    double l1_ratio;            /* 0: the L1 share of the penalty, in [0, 1] (0 ridge, 1 lasso, between elastic net) */
    const char *class_weight;   /* binary only. NULL: none; "balanced": n / (2 n_class) with n_class the rows of the
                                   class, as scikit-learn's; or "CLASS=W,CLASS=W" by the target's values ("bad=3"; a
                                   class not named keeps 1) */
    int standardize;            /* 1: numeric columns are standardised (the penalty treats them alike); 0: not */
    double clip_quantile;       /* 0: no clipping; q in (0, 0.5): clip numeric values to the [q, 1-q] quantiles */
    double min_category_weight; /* 0: a category needs at least this training weight (its rows, without weights)
                                   for a column of its own; categories never seen with weight never get one */
    int64_t max_iter;           /* 100: most (proximal) Newton iterations */
    double tol;                 /* 1e-8: stop when no coefficient's optimality condition is violated by more (the
                                   gradient of the objective above, or its subgradient distance with L1; for linear
                                   regression times the target's standard deviation) */
    int n_threads;              /* 0 = the plumb_set_threads default; the model does not depend on it */
} plumb_linear_params;

/* Fills *params with the defaults above. */
PLUMB_API void plumb_linear_params_init(plumb_linear_params *params);

/* Fits a linear (regression) or logistic (binary) regression on the numeric, bool and categorical feature columns
 * of train to predict its target (encoded as plumb_gbdt_train does: positive_class, bool true, or 0/1 numbers).
 * The model (*out, owned by the caller; kind PLUMB_MODEL_LINEAR) predicts, saves and loads like any plumb_model;
 * predictions are probabilities of the positive class or values. Returns PLUMB_EINVAL for bad parameters, an
 * unusable target, bad weights (missing, negative, infinite, or all zero), an infinite feature value or no usable
 * feature column, PLUMB_ENOMEM. Newton's method (coordinate descent inside it with an L1 share) converges to tol;
 * when max_iter runs out first, the model is returned and a warning is logged. The same data and parameters give
 * the same model whatever the thread count. Thread-safe. */
PLUMB_API plumb_status plumb_linear_train(const plumb_frame *train, const plumb_linear_params *params,
                                          plumb_model **out, plumb_error *err);

/* One coefficient of a linear model: the intercept first, then one per design column. */
typedef struct plumb_coefficient {
    const char *name;      /* "(intercept)", "Income", "Income:missing", "Home=owner", "Flag" */
    const char *column;    /* the data column it comes from; NULL for the intercept */
    double value;          /* per unit of the column (after clipping and imputation): the original scale; the
                              intercept is the score where every design column is 0 */
    double standardized;   /* per standard deviation of the column: the scale the model is fitted (and penalised)
                              on; the same as value for 0/1 columns; the intercept is the score where every
                              standardised column is at its training mean and every 0/1 column is 0 */
    double odds_ratio;     /* logistic: exp(value), the factor on the odds per unit (intercept: the odds where
                              every design column is 0); NaN for regression */
    double odds_ratio_std; /* logistic: exp(standardized); NaN for regression */
    double center, scale;  /* the design column is (x - center) / scale: 0 and 1 when it is not standardised */
} plumb_coefficient;

/* The coefficients of a linear model: *out (OUT) points at *n (OUT) entries, borrowed from the model (valid as
 * long as it lives). Returns PLUMB_EINVAL for a model of another kind. Thread-safe. */
PLUMB_API plumb_status plumb_model_coefficients(const plumb_model *model, const plumb_coefficient **out, int64_t *n,
                                                plumb_error *err);

typedef struct plumb_linear_info {
    double alpha, l1_ratio;     /* the penalty it was fitted with */
    int64_t n_inputs;           /* data columns used */
    int64_t n_coefficients;     /* the intercept and one per design column */
    int64_t n_nonzero;          /* design columns with a nonzero coefficient */
    int64_t n_iterations;       /* Newton iterations (steps taken) */
    int converged;              /* 1 when the optimality conditions held to tol; 0 when max_iter ran out */
    double objective;           /* the penalised objective at the solution */
    const char *positive_class; /* binary: the class whose probability it predicts ("1" for 0/1 numbers, "true"
                                   for bool); NULL for regression */
} plumb_linear_info;

/* Describes a linear model (strings borrowed from it). Returns PLUMB_EINVAL for a model of another kind. */
PLUMB_API plumb_status plumb_linear_describe(const plumb_model *model, plumb_linear_info *info, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Output files written atomically
 * ------------------------------------------------------------------------------------------------------------- */

/* Writes a file so that readers see either nothing or the whole of it: data goes to a temporary file beside
 * path, which plumb_outfile_commit flushes, fsyncs and renames over path; plumb_outfile_abort removes it. */
typedef struct plumb_outfile plumb_outfile;

/* Opens the temporary file; *stream (OUT) is where to write. path "-" writes standard output directly. */
PLUMB_API plumb_status plumb_outfile_open(const char *path, plumb_outfile **out, FILE **stream, plumb_error *err);

/* Makes the file visible under its path and frees the handle, even on failure (then nothing is left behind). */
PLUMB_API plumb_status plumb_outfile_commit(plumb_outfile *file, plumb_error *err);

/* Removes the temporary file and frees the handle; accepts NULL. */
PLUMB_API void plumb_outfile_abort(plumb_outfile *file);

/* ---------------------------------------------------------------------------------------------------------------
 * Synthetic data with known, planted problems (ground truth for the audit; docs/synth.md)
 * ------------------------------------------------------------------------------------------------------------- */

/* Which state of the data a generator writes. */
typedef enum plumb_synth_view {
    PLUMB_SYNTH_VIEW_WAREHOUSE = 0, /* as the data warehouse holds it on the snapshot date: the leaks are in */
    PLUMB_SYNTH_VIEW_DECISION,      /* as the scoring system saw each application at its decision time: the same
                                       rows, features and labels, but no review flag, no collections, ids in
                                       application order (what production scores) */
} plumb_synth_view;

typedef struct plumb_synth_credit_options {
    int64_t n_rows;              /* 20000: applications, 1 to 10,000,000 */
    uint64_t seed;               /* 1: at most 2^63 - 1; the same options give the same bytes */
    const char *start_date;      /* "2021-01-01": the first day of the period, YYYY-MM-DD */
    int32_t n_months;            /* 36: length of the period in calendar months; the snapshot is its last
                                    application date */
    double flip_rate;            /* 0.08: share of matured true defaulters labelled good (wrong labels), 0 to 1 */
    int32_t outcome_window_days; /* 365: "bad" = defaulted within this many days of the application, 1 to 3660 */
    plumb_synth_view view;       /* PLUMB_SYNTH_VIEW_WAREHOUSE */
    int n_threads;               /* 0: the plumb_set_threads default; the output does not depend on it */
} plumb_synth_credit_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_synth_credit_options_init(plumb_synth_credit_options *opts);

/* Generates a credit-scoring table -- one application a row, in date order: application_id, client_id,
 * application_date, applicant and credit features with real signal, verification_flag (filled in retroactively),
 * collections_amount (known only after a default), status (good/bad) -- with planted leaks, flipped labels and
 * immature recent rows, and writes it as CSV to table (borrowed). When truth (borrowed) is not NULL, also writes
 * the truth as JSON there: each column's role (clean, leak_post_outcome, leak_retro_filled, leak_id_order, id,
 * time, target), the 0-based data rows with flipped labels, immature rows and hidden defaults, the snapshot date,
 * the outcome window, the options. Streams are written, not flushed or closed; on failure they may hold part of
 * the output (write through plumb_outfile for files that appear whole or not at all).
 * Returns PLUMB_EINVAL for bad options (the message names the option and the value), PLUMB_EIO when a write
 * fails, PLUMB_ENOMEM. Thread-safe; deterministic for the options whatever the thread count. */
PLUMB_API plumb_status plumb_synth_credit_write(const plumb_synth_credit_options *opts, FILE *table, FILE *truth,
                                                plumb_error *err);

/* The schema of the generated table (*out, owned by the caller): status is the target, application_id an id,
 * application_date the time; categorical and numeric types fixed, every other column a feature (so a model
 * trained with it takes the leaks in, as a naive one would). Returns PLUMB_ENOMEM on failure. */
PLUMB_API plumb_status plumb_synth_credit_schema(plumb_schema **out, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Run records: learning curves and the portfolio site (issue 7; docs/site.md)
 * ------------------------------------------------------------------------------------------------------------- */

/* The validation metric (plumb_model_info.metric) of a gradient-boosted model after each iteration trained with
 * validation data: *values (OUT) is borrowed from the model and has the returned number of entries, 0 (and NULL)
 * for other models and for models trained without validation data. Thread-safe. */
PLUMB_API int64_t plumb_model_valid_curve(const plumb_model *model, const double **values);

/* Builds a static site in out_dir (created when absent) from the run records in in_dir: every "*.json" file with
 * "plumb_run": 1 whose HTML report ("x.json" beside "x.html") exists becomes a card on index.html (title, date,
 * headline metric, a small ROC chart or, for regression, predicted against actual) linking to a copy of the
 * report under reports/; every "*.md" file becomes a
 * page rendered from Markdown (CommonMark, by cmark) and linked from the index's navigation. Files are written
 * atomically. Returns PLUMB_EIO when a folder or file cannot be read or written, PLUMB_EINVAL when in_dir holds no
 * report and no page, PLUMB_ENOMEM. *n_reports and *n_pages (OUT, may be NULL) count what was written. */
PLUMB_API plumb_status plumb_site_build(const char *in_dir, const char *out_dir, int64_t *n_reports, int64_t *n_pages,
                                        plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Reports: a run record rendered as one self-contained HTML page (docs/report.md)
 *
 * A run record is a JSON object that train, cv, eval, audit and the case study write (docs/report.md lists its
 * keys): {"plumb_run": 1, "kind": "train"|"cv"|"eval"|"audit"|"case_study", "title", "created", "data", "model",
 * "narrative", "evaluations", "importance", "learning_curve", "folds", "audit", "comparison", ...}. Every key but
 * plumb_run and kind is optional; the page shows what is there. Keys a renderer does not know are ignored, so
 * writers may add optional keys.
 * ------------------------------------------------------------------------------------------------------------- */

/* Renders the run record run_json[0..len) (borrowed, UTF-8 JSON) as one self-contained HTML page -- inline CSS
 * and SVG charts, no scripts and nothing loaded from the network -- and writes it to out (borrowed; written, not
 * flushed or closed). name (may be NULL: "run record") names the record in error messages. The whole record is
 * checked before anything is written, so on failure out holds nothing from this call: PLUMB_EPARSE for a record
 * that is not JSON ("name:LINE:COL: bad run record: <jansson's message>") or has a key of the wrong type or an
 * unknown plumb_run or kind ("name: bad run record: 'evaluations[0].metrics.roc_auc' is not a number"),
 * PLUMB_EIO when writing fails, PLUMB_ENOMEM. The output depends only on the record (numbers are printed with fixed
 * formats), so the same record always gives the same bytes. Thread-safe. */
PLUMB_API plumb_status plumb_report_render(const char *run_json, size_t len, const char *name, FILE *out,
                                           plumb_error *err);

/* Renders the run record like plumb_report_render into the file html_path, which appears whole or not at all
 * (plumb_outfile), and writes the record itself, byte for byte, beside it as "<html_path without .html>.json"
 * (html_path plus ".json" when it does not end in ".html"), unless that is html_path itself. Errors about the
 * record name that JSON file. Returns the statuses of plumb_report_render, and PLUMB_EINVAL for an empty path or
 * "-". The JSON file is written first; when it cannot be, the HTML file is not written. Thread-safe for distinct
 * paths. */
PLUMB_API plumb_status plumb_report_write(const char *run_json, size_t len, const char *html_path, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Evaluations: every number `plumb eval` and `plumb cv` report about scores against labels (docs/eval.md)
 * ------------------------------------------------------------------------------------------------------------- */

/* Reads column col of frame as labels into y (OUT, n_rows entries): binary targets as 0/1 with *positive (IN: the
 * class asked for or NULL; OUT: the class used, borrowed from the frame) being 1 -- categorical targets must have
 * two categories, numbers must be 0/1, bool true is 1; regression targets as numbers; multiclass targets as class
 * indices (categories in sorted order, or integers 0..k-1 with *n_classes set to k). *task (IN/OUT) AUTO becomes
 * binary for a two-valued target, else regression. source (may be NULL) names the data in errors. Returns
 * PLUMB_EINVAL naming the column and row for a missing label, a label the task cannot take or an unknown positive
 * class ("credit.csv: target 'Status' is missing in data row 12"). Thread-safe. */
PLUMB_API plumb_status plumb_frame_labels(const plumb_frame *frame, int64_t col, const char *source, plumb_task *task,
                                          const char **positive, int64_t *n_classes, double *y, plumb_error *err);

/* The metrics an evaluation of task reports, in report order, into out (OUT, up to PLUMB_METRIC_COUNT entries);
 * without probabilities (binary scores outside [0, 1]) log-loss and the Brier score are left out. The deviances
 * and the pinball loss, defined on some data only, are not listed (plumb_evaluation_compute adds them). Returns how
 * many were written. Thread-safe. */
PLUMB_API size_t plumb_task_metrics(plumb_task task, bool probabilities, plumb_metric *out);

typedef struct plumb_evaluation_options {
    plumb_task task;     /* PLUMB_TASK_BINARY; binary, regression or multiclass */
    double ci_level;     /* 0: no bootstrap intervals; else their level, as plumb_bootstrap_options.level */
    int64_t n_resamples; /* 1000: bootstrap resamples */
    uint64_t seed;       /* 0: bootstrap seed */
    bool pinball;        /* false; regression: also the pinball loss at plumb_metric_data.alpha */
    const char *source;  /* NULL; names the data in errors that name no file */
} plumb_evaluation_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_evaluation_options_init(plumb_evaluation_options *opts);

/* One evaluation: the metrics, their intervals, the confusion matrix. A plain struct the caller owns; what it
 * points to is freed by plumb_evaluation_free. */
typedef struct plumb_evaluation {
    plumb_task task;
    bool probabilities; /* binary: every score is in [0, 1] (else no log-loss or Brier score) */
    size_t n_metrics;
    plumb_metric metrics[PLUMB_METRIC_COUNT]; /* plumb_task_metrics' list, then the deviances that apply */
    double values[PLUMB_METRIC_COUNT];
    double ci_level; /* 0: no intervals */
    int64_t n_resamples;
    double lo[PLUMB_METRIC_COUNT], hi[PLUMB_METRIC_COUNT];
    double *confusion; /* n_classes x n_classes, row-major (rows: true class); NULL for regression */
    int64_t n_classes;
    double n_rows, weight_sum, positives; /* positives: binary, the weight of label 1 */
} plumb_evaluation;

/* Computes the evaluation of data into *out (OUT; free with plumb_evaluation_free, also on failure): the task's
 * metrics; for regression the Poisson and Gamma deviances whenever the labels and predictions are in their domain;
 * bootstrap intervals when opts->ci_level > 0; the confusion matrix for binary (at data->threshold) and multiclass.
 * Returns the errors of plumb_metrics_compute and plumb_metrics_bootstrap, with opts->source as their path when
 * they name no file, and PLUMB_EINVAL for a task that is not binary, regression or multiclass. Thread-safe. */
PLUMB_API plumb_status plumb_evaluation_compute(const plumb_metric_data *data, const plumb_evaluation_options *opts,
                                                plumb_evaluation *out, plumb_error *err);

/* Frees what an evaluation points to (the struct itself is the caller's); accepts NULL. */
PLUMB_API void plumb_evaluation_free(plumb_evaluation *ev);

/* ---------------------------------------------------------------------------------------------------------------
 * Run records: what `--report` on train, cv, eval and audit writes (docs/report.md)
 *
 *     plumb_run_options o;
 *     plumb_run_options_init(&o);
 *     o.data_path = "credit.csv";
 *     plumb_run *run = NULL;
 *     if (plumb_run_train(&o, model, train, valid, &run, &err) != PLUMB_OK ||
 *         plumb_run_write(run, "train.html", &err) != PLUMB_OK)   // train.html and train.json beside it
 *         ...;
 *     plumb_run_free(run);
 *
 * Every number in a record comes from the public API: metrics and intervals from plumb_evaluation_compute, curves
 * (thinned to at most 256 points) from plumb_curve_*, importance from plumb_model_importance and the mean |TreeSHAP|
 * of plumb_model_contrib, the learning curve from plumb_model_valid_curve.
 * ------------------------------------------------------------------------------------------------------------- */

/* A run record being built: one JSON object ("plumb_run": 1). */
typedef struct plumb_run plumb_run;

/* What a record says about where its numbers come from; every string is borrowed for the call. */
typedef struct plumb_run_options {
    const char *data_path;         /* required: the data file; its base name goes into the title */
    const char *target;            /* eval, cv, audit: the target column (train: the model's) */
    const char *positive_class;    /* eval, cv: the positive class, NULL for none (train: the model's) */
    const char *negative_class;    /* eval: the other class of a binary text target, NULL: none (train: the model's) */
    const char *model_kind;        /* cv: the kind of model cross-validated ("gbdt") */
    const char *strategy;          /* cv: how the folds were drawn ("stratified") */
    const plumb_model *fold_model; /* cv: one fold's model, whose training settings the record states; NULL: none */
    uint64_t seed; /* train: the seed of the cross-fitted judgement of a calibrated model (as train's --seed) */
} plumb_run_options;

/* Fills *opts with NULLs and zeros. */
PLUMB_API void plumb_run_options_init(plumb_run_options *opts);

/* A record of kind train (*out, OUT, owned by the caller): the data (rows, positive rate), the model, the feature
 * importance (mean |TreeSHAP| over up to 2,000 rows of valid, else of train), the settings it was trained with, the
 * learning curve and, when valid is not NULL, the evaluation on valid -- for a calibrated model, the probabilities
 * before and after calibration cross-fitted over valid (plumb_model_calibrate_crossfit, seed opts->seed), so the
 * calibration is not judged on the rows its map was fitted to. Returns PLUMB_EINVAL for a model that is neither binary
 * nor regression or for data without the model's target column (the message names opts->data_path), the errors of
 * plumb_frame_labels, plumb_model_predict and plumb_model_contrib, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_run_train(const plumb_run_options *opts, const plumb_model *model,
                                       const plumb_frame *train, const plumb_frame *valid, plumb_run **out,
                                       plumb_error *err);

/* A record of kind eval: the data, the model (when not NULL), and one evaluation named after the data file of the
 * scores in data (ev computed on data; binary: with ROC, precision-recall, calibration and gain curves and the
 * score histogram per class; regression: predicted against actual, residuals and the error by segment). frame (may
 * be NULL) holds data's rows: for regression the time and segment columns come from it. Returns the errors of
 * plumb_curve_*, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_run_eval(const plumb_run_options *opts, const plumb_metric_data *data,
                                      const plumb_evaluation *ev, const plumb_model *model, const plumb_frame *frame,
                                      plumb_run **out, plumb_error *err);

/* A record of kind cv: the data, "folds" (opts->strategy, k, per metric of fold_metrics[0..n_fold_metrics) its value
 * in each of the k folds: fold_values, row-major k x n_fold_metrics) and the pooled out-of-fold evaluation ev of
 * data. Errors as plumb_run_eval. */
PLUMB_API plumb_status plumb_run_cv(const plumb_run_options *opts, int64_t k, const plumb_metric *fold_metrics,
                                    size_t n_fold_metrics, const double *fold_values, const plumb_metric_data *data,
                                    const plumb_evaluation *ev, plumb_run **out, plumb_error *err);

/* A record of kind audit: the data (n_rows, opts->target) and plumb_audit_json's object. Returns PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_run_audit(const plumb_run_options *opts, int64_t n_rows, const plumb_audit *audit,
                                       plumb_run **out, plumb_error *err);

/* The record as JSON text (malloc'ed, free with free()), keys in the order written; NULL when out of memory. */
PLUMB_API char *plumb_run_json(const plumb_run *run);

/* Writes the record as JSON beside html_path and renders it to html_path (plumb_report_write): both files appear
 * whole or not at all. Returns the statuses of plumb_report_write. Thread-safe for distinct paths. */
PLUMB_API plumb_status plumb_run_write(const plumb_run *run, const char *html_path, plumb_error *err);

/* Frees a record; accepts NULL. */
PLUMB_API void plumb_run_free(plumb_run *run);

/* ---------------------------------------------------------------------------------------------------------------
 * Case studies: whole pipelines on planted problems, each writing its data, models and one report (docs/demo.md)
 * ------------------------------------------------------------------------------------------------------------- */

typedef struct plumb_study_info {
    const char *name;    /* "credit" */
    const char *summary; /* one line: what the study shows */
    int64_t min_rows;    /* the fewest rows it runs on */
    int64_t n_rows;      /* the rows it generates by default */
} plumb_study_info;

/* Case study i (0, 1, ... in the order `plumb demo` lists them; static storage), NULL past the last. Thread-safe. */
PLUMB_API const plumb_study_info *plumb_study_get(int64_t i);

typedef struct plumb_study_options {
    const char *output_dir; /* required: the folder of the report, the data and the models (created when absent) */
    int64_t n_rows;         /* 0: the study's n_rows; else at least its min_rows */
    uint64_t seed;          /* 0: seed of the generator, the splits and the models */
    int n_threads;          /* 0: the plumb_set_threads default; the results do not depend on it */
    const char *data_path;  /* a study on real data (realtime: movielens.csv): the file; NULL for the others */
} plumb_study_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_study_options_init(plumb_study_options *opts);

/* Runs the study called name: writes its files into opts->output_dir, its report as "report.html" there with its
 * run record "report.json" beside it, and *summary (OUT, may be NULL; malloc'ed, free with free()) a one-screen
 * account of the results ending with where the report is. Returns PLUMB_EINVAL for an unknown name (the message
 * lists the studies) or bad options, PLUMB_EIO when a file or folder cannot be written, the errors of the steps
 * (generating, reading, training, auditing), PLUMB_ENOMEM. Deterministic for the options whatever the thread
 * count. */
PLUMB_API plumb_status plumb_study_run(const char *name, const plumb_study_options *opts, char **summary,
                                       plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Feature store
 * ------------------------------------------------------------------------------------------------------------- */

/* Loads CSV rows into table TABLE of SQLite file DB (created if absent, the table replaced atomically in one
 * transaction), keyed by column KEY (must be unique and non-empty; a duplicate is file:line:col error).
 * Every column is stored as TEXT, each value exactly as the file has it (a missing token such as "" or "NA" as
 * NULL); KEY is the table's primary key, which is how plumb serve finds an entity (docs/features.md). Errors:
 * the reader's (plumb_frame_read_csv), PLUMB_ESCHEMA for a KEY not in the header, PLUMB_EPARSE for a missing or
 * duplicate key, PLUMB_EIO when the database cannot be written; on any error the database is as it was (a new
 * file is removed). csv_path "-" reads standard input. Thread-safe for distinct databases. */
PLUMB_API plumb_status plumb_features_load(const char *csv_path, const char *key, const char *db_path,
                                           const char *table, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Quantised trees: a gradient-boosted model made smaller for scoring (docs/quantize.md)
 * ------------------------------------------------------------------------------------------------------------- */

typedef struct plumb_quantize_options {
    int leaf_bits; /* 16: leaf values as int16 times a per-tree scale; 8: as int8 (smaller, less exact) */
} plumb_quantize_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_quantize_options_init(plumb_quantize_options *opts);

/* What quantising did. Memory counts the kind's own data (trees, bins, scoring layout); the schema and calibrator,
 * the same in both models, are not counted. */
typedef struct plumb_quantize_info {
    int64_t memory_before, memory_after; /* bytes */
    double error_bound; /* the most any raw score can move: the largest, over outputs, sum over their trees of the
                           largest leaf rounding error */
    int node_bytes;     /* bytes per tree node: 4 or 8 */
    int code_bytes;     /* bytes per binned feature value: 1 when every feature has at most 256 bins, else 2 */
    int leaf_bits;
} plumb_quantize_info;

/* Makes *out (owned by the caller; kind "gbdt_q", PLUMB_MODEL_GBDT_Q) from a gradient-boosted model: thresholds
 * become indices of the model's own bin edges (every split decides as before, exactly), leaf values integers of
 * opts->leaf_bits times a per-tree scale, nodes packed. It predicts, saves and loads like any plumb_model; it has
 * no importance, contributions or validation curve. opts and info (OUT) may be NULL. Returns PLUMB_EINVAL for a
 * model that is not gbdt ("a linear model cannot be quantised: only gbdt models can"), bad options, or a tree whose
 * categorical bitsets exceed 65535 words; PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_model_quantize(const plumb_model *model, const plumb_quantize_options *opts,
                                            plumb_model **out, plumb_quantize_info *info, plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Importing models trained elsewhere (docs/import.md)
 * ------------------------------------------------------------------------------------------------------------ */

typedef enum plumb_import_format {
    PLUMB_IMPORT_XGBOOST = 1, /* XGBoost's JSON model (Booster.save_model("m.json")), versions 1 to 3 */
    PLUMB_IMPORT_LIGHTGBM,    /* LightGBM's text model (Booster.save_model("m.txt")), versions v2 to v4 */
} plumb_import_format;

/* The format called name ("xgboost", "lightgbm"). PLUMB_EINVAL naming it when unknown. */
PLUMB_API plumb_status plumb_import_format_parse(const char *name, plumb_import_format *out, plumb_error *err);

/* Reads the model file at path, written by XGBoost or LightGBM, as a gradient-boosted plumb model (*out, owned by
 * the caller; free with plumb_model_free) that predicts what the original library predicts for the same float
 * values: its schema has the model's features (numeric; LightGBM's categorical features categorical, with the
 * category values 0, 1, ... as text) and a target "label". PLUMB_EIO when the file cannot be read, PLUMB_EFORMAT
 * naming the file and what is wrong when it is truncated, of an unknown version, inconsistent or uses what plumb
 * cannot express exactly, PLUMB_ENOMEM. The _buffer form reads size bytes at data; name names them in errors. */
PLUMB_API plumb_status plumb_model_import(const char *path, plumb_import_format from, plumb_model **out,
                                          plumb_error *err);
PLUMB_API plumb_status plumb_model_import_buffer(const void *data, size_t size, const char *name,
                                                 plumb_import_format from, plumb_model **out, plumb_error *err);

/* ---------------------------------------------------------------------------------------------------------------
 * Frames from arrays: columns a program already holds in memory (numpy, pandas, Arrow), without CSV (docs/python.md)
 *
 *     const float income[] = {1200, NAN, 900};
 *     const int8_t home[] = {1, 0, -1};                        // codes into categories; -1: missing
 *     const char *const homes[] = {"rent", "owner"};         // any order: the frame sorts its dictionary
 *     const double status[] = {0, 1, 0};
 *     plumb_array_column cols[3] = {
 *         {.name = "Income", .dtype = PLUMB_ARRAY_F32, .data = income},
 *         {.name = "Home", .type = PLUMB_TYPE_CATEGORICAL, .dtype = PLUMB_ARRAY_I8, .data = home,
 *          .categories = homes, .n_categories = 2},
 *         {.name = "Status", .role = PLUMB_ROLE_TARGET, .dtype = PLUMB_ARRAY_F64, .data = status},
 *     };
 *     plumb_frame *frame = NULL;
 *     plumb_status st = plumb_frame_from_arrays(cols, 3, 3, NULL, &frame, &err);
 *
 * Copies: a column whose values are already laid out as the frame stores them -- contiguous (stride 1), without a
 * missing mask, and float32 for a numeric feature, float64 for a numeric target, weight or time, 0/1 bytes for a
 * bool, int32 codes into categories already sorted bytewise for a categorical, int64 seconds for a datetime -- is
 * used in place when opts->borrow is set (the caller then keeps it alive and unchanged until the frame is freed).
 * Every other column is converted with one copy (float64 features to float32, integers to floats, codes remapped
 * to the sorted dictionary, datetimes to seconds, masked values to the missing value).
 * ------------------------------------------------------------------------------------------------------------- */

/* How the values of an array are stored. */
typedef enum plumb_array_dtype {
    PLUMB_ARRAY_F32 = 0, /* float: NaN is missing */
    PLUMB_ARRAY_F64,     /* double: NaN is missing */
    PLUMB_ARRAY_I8,      /* signed integers: numbers, or category codes (negative: missing) */
    PLUMB_ARRAY_I16,
    PLUMB_ARRAY_I32,
    PLUMB_ARRAY_I64, /* also datetimes (PLUMB_DATETIME_MISSING, numpy's NaT, is missing) */
    PLUMB_ARRAY_U8,  /* unsigned integers: numbers */
    PLUMB_ARRAY_U16,
    PLUMB_ARRAY_U32,
    PLUMB_ARRAY_U64,
    PLUMB_ARRAY_BOOL,   /* one byte, 0 false, any other value true (PLUMB_BOOL_MISSING: missing) */
    PLUMB_ARRAY_STRING, /* const char * per row, NUL-terminated UTF-8; NULL: missing */
} plumb_array_dtype;

/* One column. Zero-initialised fields are the defaults. */
typedef struct plumb_array_column {
    const char *name; /* required, unique */
    plumb_type type;  /* PLUMB_TYPE_AUTO: numeric for numbers, bool for PLUMB_ARRAY_BOOL, categorical for strings
                         (string when they have more than opts->max_categories distinct values) */
    plumb_role role;  /* PLUMB_ROLE_FEATURE */
    plumb_array_dtype dtype;
    const void *data;       /* row i's value at element i * stride */
    int64_t stride;         /* elements (not bytes) between rows; 0 means 1. A row-major matrix's column: n_columns */
    const uint8_t *missing; /* NULL, or n_rows flags (contiguous), nonzero: the row's value is missing (pandas'
                               masks, numpy.ma) */
    /* categorical and string columns given as integer codes: the text of codes 0..n_categories-1 (distinct, any
       order); a negative code is missing */
    const char *const *categories;
    int64_t n_categories;
    /* datetime columns (integer dtype): units per second, e.g. 1 (seconds), 1000 (ms), 1000000000 (numpy's
       datetime64[ns]); 0 means 1. Values are floored to seconds */
    int64_t datetime_per_second;
} plumb_array_column;

typedef struct plumb_array_options {
    bool borrow;            /* false: every column is copied, the frame owns all its data; true: columns laid
                               out as the frame's are used in place (see above) */
    int64_t max_categories; /* 1000: as plumb_read_options.max_categories for PLUMB_TYPE_AUTO strings */
    int n_threads;          /* 0 = the plumb_set_threads default; the frame does not depend on it */
} plumb_array_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_array_options_init(plumb_array_options *opts);

/* Builds a frame (*out, owned by the caller; NULL on failure) of n_rows rows from columns[0..n_columns), in that
 * order, as plumb_frame_read_csv would have typed them; opts may be NULL (defaults). Returns PLUMB_EINVAL naming
 * the column for an empty or duplicate name, a second target, a type its dtype cannot hold (text as numbers,
 * floats as codes or datetimes), a code outside its categories, duplicate categories, a bool byte other than 0, 1
 * and PLUMB_BOOL_MISSING given as PLUMB_ARRAY_U8 ("column 'Home': code 7 in row 12 is outside its 3 categories"),
 * PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_frame_from_arrays(const plumb_array_column *columns, int64_t n_columns, int64_t n_rows,
                                               const plumb_array_options *opts, plumb_frame **out, plumb_error *err);

/* The model file, as plumb_model_save writes it, in memory: *data (OUT, malloc'd, free with free()) of *size (OUT)
 * bytes, which plumb_model_load_buffer reads back. PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_model_save_buffer(const plumb_model *model, void **data, size_t *size, plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Distillation: a small student model trained on a teacher's scores (docs/distill.md)
 * ------------------------------------------------------------------------------------------------------------ */

typedef struct plumb_distill_options {
    plumb_model_kind student;   /* PLUMB_MODEL_GBDT (default) or PLUMB_MODEL_LINEAR */
    plumb_gbdt_params gbdt;     /* a gbdt student's settings (num_leaves, num_iterations, ...): plumb_gbdt_params_init;
                                   task, objective, metric, positive_class, init_model and early stopping are the
                                   teacher's or unused */
    plumb_linear_params linear; /* a linear student's (alpha, l1_ratio, ...): plumb_linear_params_init; task,
                                   positive_class and class_weight are unused */
    double labels_weight;       /* 0: the teacher's scores alone; a in (0, 1): the loss is (1 - a) x the squared error
                                   to the teacher's raw scores + a x the task's loss on the true labels (log-loss,
                                   softmax, squared error); the data must then hold the target */
} plumb_distill_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_distill_options_init(plumb_distill_options *opts);

/* Trains a student (*out, owned by the caller) on frame's rows to reproduce teacher's raw scores, whatever the
 * teacher's kind (scored through plumb_model_predict): a squared-error fit to the teacher's log-odds (binary), class
 * scores (multiclass, one output per class) or values (regression; the log of the mean for a Poisson teacher), raw
 * scores that are probabilities (linear and tree models) taken as their logit (log for multiclass). The student is an
 * ordinary model of the teacher's task: the same schema, target, positive class and link (a binary teacher gives a
 * binary student that predicts probabilities), and the teacher's calibrator, which maps the uncalibrated
 * probabilities both models share. frame needs the teacher's features; its target column is used only with
 * labels_weight > 0. opts may be NULL (defaults: a gbdt student of 31 leaves and 100 iterations). Returns
 * PLUMB_EINVAL for bad options ("labels_weight must be in [0, 1)", a linear student of a multiclass teacher,
 * labels_weight with a linear student of a binary teacher), fewer than 2 rows or labels_weight without a usable
 * target column; PLUMB_ESCHEMA when frame lacks a feature of the teacher; the trainers' errors; PLUMB_ENOMEM.
 * Thread-safe; the same data and options give the same student whatever the thread count. */
PLUMB_API plumb_status plumb_model_distill(const plumb_model *teacher, const plumb_frame *frame,
                                           const plumb_distill_options *opts, plumb_model **out, plumb_error *err);

/* The raw scores of model on frame's rows (out: n_rows x n_outputs, caller-owned) on the scale a student fits, and
 * on which a student's fidelity is measured: log-odds (binary), class scores (multiclass), values (regression; the
 * log of the mean for a Poisson model). For kinds whose raw output is a probability (linear, tree) that is logit(p)
 * (log(p) for multiclass), p clipped to [1e-7, 1 - 1e-7]. threads as plumb_predict_options. Errors as
 * plumb_model_predict, PLUMB_ENOMEM. Thread-safe. */
PLUMB_API plumb_status plumb_model_margins(const plumb_model *model, const plumb_frame *frame, int threads, double *out,
                                           plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Exporting models to ONNX (docs/export.md)
 * ------------------------------------------------------------------------------------------------------------ */

/* Writes model as an ONNX model (IR 8, opsets ai.onnx 15 and ai.onnx.ml 3) to path, atomically: the file appears
 * whole or not at all. gbdt and CART trees become TreeEnsembleClassifier (binary, multiclass: outputs "label" and
 * "probabilities") or TreeEnsembleRegressor (output "prediction"), with categorical splits and missing values as
 * plumb decides them; linear and logistic models LinearRegressor / LinearClassifier after their preprocessing
 * (imputation, clipping, standardisation, one-hot encoding) in ONNX operators. Inputs: "X", float [N, n_numeric],
 * the numeric and bool features in the model's feature order (NaN missing, bools 0/1), and "C", string
 * [N, n_categorical], the categorical ones as text; the metadata key "plumb.inputs" names their columns.
 * Returns PLUMB_EINVAL for a model ONNX cannot express as plumb scores it ("a calibrated model cannot be exported
 * to ONNX: ...", a gbdt_q model, a multiclass tree), PLUMB_EIO when path cannot be written, PLUMB_ENOMEM.
 * The _buffer form returns the bytes instead (*data malloc'ed, owned by the caller; *size bytes). Thread-safe. */
PLUMB_API plumb_status plumb_model_export_onnx(const plumb_model *model, const char *path, plumb_error *err);
PLUMB_API plumb_status plumb_model_export_onnx_buffer(const plumb_model *model, void **data, size_t *size,
                                                      plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Hyperparameter search: spaces, the TPE and random samplers, the SQLite journal (docs/tune.md)
 *
 *     plumb_tune_space *space = NULL;   // the default space of a model kind, or plumb_tune_space_load
 *     plumb_tuner *tuner = NULL;
 *     plumb_tuner_options o;
 *     plumb_tuner_options_init(&o);     // TPE, maximise, seed 0
 *     plumb_tune_space_default("gbdt", PLUMB_TASK_BINARY, &space, &err);
 *     plumb_tuner_create(space, &o, &tuner, &err);
 *     for (int t = 0; t < 50; t++) {
 *         plumb_tuner_ask(tuner, values, &err);         // one value per parameter, NaN when inactive
 *         plumb_tune_apply_gbdt(space, values, &params);
 *         ... cross-validate params into score ...
 *         plumb_tuner_tell(tuner, values, PLUMB_TRIAL_COMPLETE, score, fold_scores, k, &err);
 *     }
 *     plumb_tuner_free(tuner); plumb_tune_space_free(space);
 *
 * A proposal depends only on the seed, the trial's number and the trials told before it, so a search replayed
 * from its journal proposes the same next trial as the uninterrupted one.
 * ------------------------------------------------------------------------------------------------------------ */

typedef enum plumb_tune_type {
    PLUMB_TUNE_FLOAT = 0,   /* a real number in [low, high], on a log scale when log */
    PLUMB_TUNE_INT,         /* an integer in [low, high], on a log scale when log */
    PLUMB_TUNE_CATEGORICAL, /* one of choices[0..n_choices); its value is the choice's index */
} plumb_tune_type;

/* One parameter of a space; every pointer is owned by the space. */
typedef struct plumb_tune_param {
    const char *name; /* the model parameter's name as in its params struct: "learning_rate" */
    plumb_tune_type type;
    double low, high; /* FLOAT, INT: the bounds, inclusive */
    bool log;
    int64_t n_choices; /* CATEGORICAL: the choices, as text ("0", "gini") */
    const char **choices;
    int64_t parent;       /* -1, or the categorical parameter (an earlier one) this one depends on */
    uint64_t parent_mask; /* active only when the parent is active and its choice c has bit c set here */
} plumb_tune_param;

typedef struct plumb_tune_space plumb_tune_space;

/* The default space of a model kind ("gbdt", "logistic", "linear", "tree") for task (binary or regression), as
 * docs/tune.md lists it. *out is owned by the caller. PLUMB_EINVAL for an unknown kind, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_tune_space_default(const char *model, plumb_task task, plumb_tune_space **out,
                                                plumb_error *err);

/* Parses a space file's JSON text json[0..len) for the model kind (docs/tune.md: an object of parameters, each
 * {"type": "float"|"int"|"categorical", "low", "high", "log", "choices", "when": {"parent": [choices]}}). name
 * (may be NULL) names the text in errors, which say where: "space.json:4:20: 'num_leaves': low 1 is below the
 * smallest value 2 a gbdt model takes" (PLUMB_EPARSE). *out is owned by the caller. The _load form reads the file
 * at path (PLUMB_EIO when it cannot). */
PLUMB_API plumb_status plumb_tune_space_parse(const char *json, size_t len, const char *name, const char *model,
                                              plumb_tune_space **out, plumb_error *err);
PLUMB_API plumb_status plumb_tune_space_load(const char *path, const char *model, plumb_tune_space **out,
                                             plumb_error *err);

/* The number of parameters, and parameter i (borrowed from the space). */
PLUMB_API int64_t plumb_tune_space_size(const plumb_tune_space *space);
PLUMB_API const plumb_tune_param *plumb_tune_space_param(const plumb_tune_space *space, int64_t i);

/* The space as canonical JSON text (malloc'ed; free with free()), the same for the same space; NULL when out of
 * memory. */
PLUMB_API char *plumb_tune_space_json(const plumb_tune_space *space);

/* The active parameters of values (one per parameter, NaN: inactive) as compact JSON text {"name": value, ...} in the
 * space's order: integers as integers, a categorical choice as a number when its text is one (bagging_freq's 0 and
 * 1), else as its text. Malloc'ed (free with free()); NULL when out of memory. */
PLUMB_API char *plumb_tune_params_json(const plumb_tune_space *space, const double *values);

/* Whether parameter i is active for values (one per parameter): its parent, if any, is active and chose one of
 * the choices in its mask. */
PLUMB_API bool plumb_tune_space_active(const plumb_tune_space *space, const double *values, int64_t i);

/* Writes values (one per parameter; inactive ones are skipped) into the params struct of the space's model kind;
 * the fields the space does not name keep their values. Text choices point into the space. */
PLUMB_API void plumb_tune_apply_gbdt(const plumb_tune_space *space, const double *values, plumb_gbdt_params *p);
PLUMB_API void plumb_tune_apply_tree(const plumb_tune_space *space, const double *values, plumb_tree_params *p);
PLUMB_API void plumb_tune_apply_linear(const plumb_tune_space *space, const double *values, plumb_linear_params *p);

/* Formats value of parameter i as text ("0.0123", "31", "gini", "-" when NaN) into buf (size n). Returns buf. */
PLUMB_API char *plumb_tune_format_value(const plumb_tune_space *space, int64_t i, double value, char *buf, size_t n);

PLUMB_API void plumb_tune_space_free(plumb_tune_space *space);

typedef enum plumb_tune_sampler {
    PLUMB_TUNE_TPE = 0, /* tree-structured Parzen estimator (Bergstra et al. 2011), after n_startup random trials */
    PLUMB_TUNE_RANDOM,  /* independent uniform draws (on the log scale for log parameters) */
} plumb_tune_sampler;

typedef enum plumb_trial_state {
    PLUMB_TRIAL_COMPLETE = 0, /* every step ran; score is the trial's result */
    PLUMB_TRIAL_PRUNED,       /* stopped early: score is the mean of its steps so far */
    PLUMB_TRIAL_FAILED,       /* could not be trained: no score */
} plumb_trial_state;

typedef struct plumb_tuner_options {
    plumb_tune_sampler sampler; /* PLUMB_TUNE_TPE */
    uint64_t seed;              /* 0 */
    bool minimize;              /* false: a higher score is better */
    int64_t n_startup;          /* 10: TPE draws this many trials at random first */
    int64_t n_candidates;       /* 24: TPE candidates drawn from l(x) per parameter, the best l/g is proposed */
    double gamma;               /* 0.1: the good group is the best ceil(gamma n) complete trials ... */
    int64_t max_good;           /* 25: ... and at most this many */
} plumb_tuner_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_tuner_options_init(plumb_tuner_options *opts);

typedef struct plumb_tuner plumb_tuner;

/* A search over space (borrowed; it must outlive the tuner). PLUMB_EINVAL for bad options, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_tuner_create(const plumb_tune_space *space, const plumb_tuner_options *opts,
                                          plumb_tuner **out, plumb_error *err);

/* The next trial's values (OUT, one per parameter, NaN for inactive ones), a function of the seed and the trials
 * told so far only. PLUMB_ENOMEM. Not thread-safe on one tuner. */
PLUMB_API plumb_status plumb_tuner_ask(plumb_tuner *tuner, double *values, plumb_error *err);

/* Records a finished trial: its values, state, score (ignored for a failed trial) and its step scores
 * steps[0..n_steps) (fold scores; may be NULL), which plumb_tuner_median uses. PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_tuner_tell(plumb_tuner *tuner, const double *values, plumb_trial_state state, double score,
                                        const double *steps, int64_t n_steps, plumb_error *err);

/* The number of trials told, and trial t's values (borrowed), state, score. */
PLUMB_API int64_t plumb_tuner_n_trials(const plumb_tuner *tuner);
PLUMB_API const double *plumb_tuner_trial(const plumb_tuner *tuner, int64_t t, plumb_trial_state *state, double *score);

/* Trial t's step scores (borrowed; *steps NULL when it has none); returns how many. */
PLUMB_API int64_t plumb_tuner_steps(const plumb_tuner *tuner, int64_t t, const double **steps);

/* The best complete trial's number, or -1 when no trial is complete. */
PLUMB_API int64_t plumb_tuner_best(const plumb_tuner *tuner);

/* The median rule (Golovin et al. 2017): the median over the trials told (complete or pruned) that reached step
 * of the mean of their steps 0..step; NAN when fewer than n_min trials reached it. */
PLUMB_API double plumb_tuner_median(const plumb_tuner *tuner, int64_t step, int64_t n_min);

/* Parameter importance into out (OUT, one per parameter, summing to 1 unless all are 0): the share of the
 * complete trials' score variance that each parameter explains on its own -- epsilon squared, the between-group
 * variance over the total less what chance gives that many groups, with trials grouped by choice or numbers into up
 * to 10 equal-count bins, clipped at 0 -- normalised over the parameters. A main-effect measure, like fANOVA's
 * first-order terms without the forest. Needs 4 complete trials where a parameter was active, else it gets 0. */
PLUMB_API void plumb_tuner_importance(const plumb_tuner *tuner, double *out);

PLUMB_API void plumb_tuner_free(plumb_tuner *tuner);

/* A search's journal: one SQLite file holding the search's configuration and every finished trial, each written
 * in its own transaction, so a killed search loses at most the trials it had not finished. */
typedef struct plumb_tune_journal plumb_tune_journal;

/* Opens (creating when absent) the journal at path for the search described by config (any text: the caller's
 * canonical description of data, model, space, folds, seed). PLUMB_EINVAL when the journal holds another search
 * ("tune.db: journal of another search: its model is 'tree', not 'gbdt'"-style, naming the first difference as
 * the config texts' first differing line), PLUMB_EIO when it cannot be opened or is no journal. */
PLUMB_API plumb_status plumb_tune_journal_open(const char *path, const char *config, plumb_tune_journal **out,
                                               plumb_error *err);

/* Tells tuner every trial of the journal, in order; *n (OUT) is how many. PLUMB_EFORMAT for a trial whose values
 * do not fit the tuner's space, PLUMB_EIO. */
PLUMB_API plumb_status plumb_tune_journal_replay(plumb_tune_journal *journal, plumb_tuner *tuner, int64_t *n,
                                                 plumb_error *err);

/* Appends trial number (which must be the next one) in one transaction, with its wall time in seconds. */
PLUMB_API plumb_status plumb_tune_journal_append(plumb_tune_journal *journal, const plumb_tune_space *space,
                                                 int64_t number, const double *values, plumb_trial_state state,
                                                 double score, const double *steps, int64_t n_steps, double seconds,
                                                 plumb_error *err);

/* Trial t's wall time in seconds as recorded, or NAN. */
PLUMB_API double plumb_tune_journal_seconds(const plumb_tune_journal *journal, int64_t t);

/* Closes the journal; accepts NULL. */
PLUMB_API void plumb_tune_journal_close(plumb_tune_journal *journal);

/* What a record of kind tune says (plumb_run_tune); every pointer is borrowed for the call. */
typedef struct plumb_run_tune_info {
    const plumb_tune_space *space;
    const plumb_tuner *tuner;        /* the finished search */
    const char *sampler;             /* "tpe" or "random" */
    plumb_metric metric;             /* the score optimised */
    bool minimize;                   /* a lower score is better */
    int64_t n_folds;                 /* folds per trial */
    double seconds;                  /* wall time of the search */
    const plumb_model *model;        /* the model refit with the best parameters */
    const plumb_frame *train;        /* the rows it was refit on (importance), may be NULL */
    const char *test_path;           /* held-out data, NULL: none (then test and test_ev are NULL) */
    const plumb_metric_data *test;   /* the model's scores on it */
    const plumb_evaluation *test_ev; /* their evaluation */
} plumb_run_tune_info;

/* A record of kind tune: the data, the refit model (settings, importance), "tune" (sampler, metric, trials, the
 * history of every trial's score and state, the best trial and parameters, the parameter importances), "folds"
 * (the best trial's fold scores) and, with held-out data, its evaluation -- the unbiased figure. opts->data_path,
 * target, positive_class, model_kind and strategy are used. Errors as plumb_run_eval; PLUMB_EINVAL when no trial
 * is complete. */
PLUMB_API plumb_status plumb_run_tune(const plumb_run_options *opts, const plumb_run_tune_info *info, plumb_run **out,
                                      plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Compiled trees: a gradient-boosted model as machine code in a shared object (docs/compile.md)
 * ------------------------------------------------------------------------------------------------------------ */

/* The ABI of a compiled model's shared object: it exports one symbol, PLUMB_COMPILED_SYMBOL, a const struct whose
 * first member is the ABI version; a loader reads that first and refuses other versions. Everything else the .so
 * holds is its generated code and, appended after the ELF image, the model file it was compiled from. */
#define PLUMB_COMPILED_ABI_VERSION 1
#define PLUMB_COMPILED_SYMBOL "plumb_compiled_model"
#define PLUMB_COMPILED_ISA_AVX512F 1u /* the code walks 16 trees at once with AVX-512F */

typedef struct plumb_compiled_abi {
    uint32_t abi_version;  /* PLUMB_COMPILED_ABI_VERSION */
    uint32_t struct_size;  /* sizeof (plumb_compiled_abi) as the generated code saw it */
    char model_sha256[65]; /* the model file's checksum (the SHA-256 of its body, from its header line), hex */
    int64_t n_features;    /* feature values per row, in the model's feature order (plumb_model_feature_name) */
    int64_t n_outputs;     /* raw scores per row */
    int64_t n_trees;
    uint32_t isa; /* instructions the code needs beyond the baseline: PLUMB_COMPILED_ISA_AVX512F, or 0 */
    /* Raw scores (before the sigmoid, softmax or exp) of n rows of feature values x (row-major, n x n_features:
     * numbers, NaN when missing; a categorical feature's model category code, negative when missing or unseen)
     * into out (n x n_outputs), equal to the bit to what plumb scores with the model. Thread-safe, allocates
     * nothing; the double form rounds each value to float first, as plumb does. */
    void (*score_f32)(const float *x, int64_t n, double *out);
    void (*score_f64)(const double *x, int64_t n, double *out);
} plumb_compiled_abi;

typedef struct plumb_compile_options {
    const char *cc;     /* the C compiler; NULL: $CC, else "cc" on PATH */
    const char *emit_c; /* also write the generated C source here (atomically); NULL: do not */
    const char *cflags; /* optimisation and target flags; NULL: "-O2 -march=native" (docs/compile.md) */
} plumb_compile_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_compile_options_init(plumb_compile_options *opts);

/* What compiling did. */
typedef struct plumb_compile_info {
    int64_t n_trees, n_nodes; /* trees and internal nodes turned into code */
    int64_t c_bytes;          /* size of the generated C source */
    int64_t so_bytes;         /* size of the shared object written, the embedded model included */
    double seconds;           /* time spent in the C compiler */
    char model_sha256[65];
} plumb_compile_info;

/* Compiles the gradient-boosted model in the model file at model_path into a shared object at so_path (written
 * atomically: on failure nothing is left there) that plumb_model_load opens as a model of kind "compiled", which
 * scores with the generated code to the same bits as the model and delegates contributions and importance to the
 * model embedded in it. opts and info (OUT) may be NULL. PLUMB_EIO when a file cannot be read or written,
 * PLUMB_EFORMAT for a bad model file, PLUMB_EINVAL for a model that is not gbdt ("a linear model cannot be
 * compiled: only gbdt models can"), a missing compiler or one that fails (its first lines of errors quoted),
 * PLUMB_ENOMEM. Runs the compiler as a child process; thread-safe. */
PLUMB_API plumb_status plumb_model_compile(const char *model_path, const char *so_path,
                                           const plumb_compile_options *opts, plumb_compile_info *info,
                                           plumb_error *err);

/* Checks that the compiled model at so_path was compiled from the model file at model_path: its code's checksum
 * and its embedded model's are both model_path's. PLUMB_OK when they are; PLUMB_EFORMAT naming so_path when it was
 * compiled from another model or is not a compiled model; PLUMB_EIO when a file cannot be read. Opening the .so
 * runs its code (it is loaded to read its checksum). */
PLUMB_API plumb_status plumb_compiled_check(const char *so_path, const char *model_path, plumb_error *err);

/* ------------------------------------------------------------------------------------------------------------
 * Demand forecasting: direct multi-horizon boosting on daily series, cold starts helped by analogs
 * (docs/forecast.md)
 * ------------------------------------------------------------------------------------------------------------ */

/* How plumb_forecast_train reads the history and what it trains. */
typedef struct plumb_forecast_options {
    const char *time_col;           /* the day of each row, YYYY-MM-DD (required) */
    const char *target;             /* the demand to forecast (required) */
    const char *series_col;         /* which series a row belongs to; NULL: the file is one series */
    int64_t horizon;                /* days ahead to forecast, 1..366 (required) */
    const char *const *future_cols; /* n_future_cols known-future covariates (price, promotion, a weather
                                       forecast): read on the day forecast, so predict needs them for the horizon */
    size_t n_future_cols;
    const char *related;    /* path of analog series in long format (the same time, target, series and covariate
                               columns), pooled into training; NULL: none */
    double related_weight;  /* 1: the sample weight of an analog's rows (the history's rows weigh 1) */
    int64_t related_stride; /* 1: use every k-th origin of an analog series (fewer rows from long analogs) */
    plumb_gbdt_params gbdt; /* the booster; plumb_forecast_options_init sets forecasting defaults (below) */
} plumb_forecast_options;

/* Fills *opts: no columns, horizon 0 (to be set), no analogs, related_weight 1, related_stride 1, and the gbdt
 * defaults with l2 regression, 300 iterations, learning rate 0.05, 15 leaves, min_data_in_leaf 20, lambda_l2 1. */
PLUMB_API void plumb_forecast_options_init(plumb_forecast_options *opts);

/* Trains a forecast model on the daily series of the CSV file history (path; "-" reads standard input): one
 * gradient-boosted model over (series, origin, horizon) rows whose features are built from what was known at the
 * origin (docs/forecast.md lists them) and whose target is the value h days later divided by the series' level.
 * The model is a gbdt model (kind "gbdt") carrying its forecast spec in its schema: plumb_model_save and
 * plumb_model_load keep it, and plumb_forecast_predict reads it. Errors: PLUMB_EINVAL for bad options (no time
 * column or target, a horizon outside 1..366, too little history: fewer than horizon + 7 days in every series);
 * PLUMB_ESCHEMA for a column absent from a file's header; PLUMB_EPARSE with file:line:column for a bad date, a
 * missing or bad target value, a duplicate date, a date out of order or a gap in a series; PLUMB_EIO, PLUMB_ENOMEM.
 * *out is owned by the caller (NULL on failure). Thread-safe. */
PLUMB_API plumb_status plumb_forecast_train(const char *history, const plumb_forecast_options *opts, plumb_model **out,
                                            plumb_error *err);

/* What a forecast model was trained on. Strings are borrowed from the model. */
typedef struct plumb_forecast_info {
    const char *time_col, *target, *series_col; /* series_col NULL: one series */
    int64_t horizon;                            /* the longest horizon it forecasts */
    int64_t n_future_cols;
} plumb_forecast_info;

/* Fills *info. PLUMB_EINVAL for a model that is not a forecast model. The strings live as long as the model. */
PLUMB_API plumb_status plumb_forecast_describe(const plumb_model *model, plumb_forecast_info *info, plumb_error *err);

/* How plumb_forecast_predict forecasts: zero-initialise for the defaults. */
typedef struct plumb_forecast_predict_options {
    int64_t horizon;    /* days ahead, 1..the model's horizon; 0: the model's */
    const char *future; /* CSV of the known-future covariates (time, series and covariate columns) for every day
                           forecast; required when the model has covariates */
    const char *origin; /* "YYYY-MM-DD": forecast from this day, ignoring any later row; NULL: each series' last day */
    int threads;        /* 0: the plumb_set_threads default */
} plumb_forecast_predict_options;

/* Forecasts: rows of (series, day, horizon, prediction), series in the order of the history, days in order. */
typedef struct plumb_forecast plumb_forecast;

typedef struct plumb_forecast_row {
    const char *series; /* "" without a series column; borrowed from the forecast */
    int64_t date;       /* the day forecast, seconds since 1970-01-01T00:00:00Z */
    int64_t horizon;    /* days after the origin */
    double prediction;
} plumb_forecast_row;

/* Forecasts every series of the CSV file history (the model's time, target, series columns) from its last day
 * (or opts->origin) for the next opts->horizon days. opts may be NULL. Errors as plumb_forecast_train's reader,
 * PLUMB_EINVAL for a model that is not a forecast model, a horizon beyond the model's, a series with fewer than 7
 * days up to the origin, covariates missing for a day forecast (naming the series and the day). *out is owned by
 * the caller (NULL on failure). Thread-safe. */
PLUMB_API plumb_status plumb_forecast_predict(const plumb_model *model, const char *history,
                                              const plumb_forecast_predict_options *opts, plumb_forecast **out,
                                              plumb_error *err);

PLUMB_API int64_t plumb_forecast_n_rows(const plumb_forecast *fc);
/* Row i, 0 <= i < plumb_forecast_n_rows; strings borrowed from fc. */
PLUMB_API void plumb_forecast_row_get(const plumb_forecast *fc, int64_t i, plumb_forecast_row *out);
/* Frees the forecasts; accepts NULL. */
PLUMB_API void plumb_forecast_free(plumb_forecast *fc);
/* ---- The reference profile a model carries (src/model/reference.c, docs/monitor.md) ----------------------------
 * Every model trained by plumb profiles its training data and its scores on it into the model file; monitoring
 * compares new data against this profile. Files written before it existed have none. */
typedef struct plumb_profile_column {
    bool categorical; /* categorical or bool feature: counts per category, else numeric bins */
    int64_t n_rows, n_missing;
    int32_t n_bins;        /* numeric: bins, cut at n_bins - 1 training quantiles (cuts); bin of x: cuts <= x */
    const double *cuts;    /* borrowed from the model */
    const int64_t *counts; /* numeric: rows per bin; categorical: rows per category of the model's schema */
    int32_t n_categories;  /* categorical: its categories (2 for bool: false, true) */
    double min, max, mean, std;
    const double *quantiles; /* numeric: at 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99 (7 values) */
} plumb_profile_column;

/* Whether the model carries a reference profile. */
PLUMB_API bool plumb_model_profile_present(const plumb_model *model);

/* The profile of model feature f (0 .. n_features-1), or of the model's score (the first output before
 * calibration, binary and regression models) for f = -1, into *out (pointers borrowed from the model). PLUMB_EINVAL
 * when the model has no profile, no score profile, or f is out of range. Thread-safe. */
PLUMB_API plumb_status plumb_model_profile_column(const plumb_model *model, int64_t f, plumb_profile_column *out,
                                                  plumb_error *err);

/* Profiles the model's scores again, on held_out rows (validation data: rows the model did not learn from): the
 * score distribution, the calibration curve and the expected and realised performance, which on training rows are
 * optimistic. `plumb train` does it with its validation rows. Modifies the model: not while other threads use it.
 * PLUMB_EINVAL without a profile or without rows, PLUMB_ESCHEMA when held_out lacks a feature, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_model_profile_scores(plumb_model *model, const plumb_frame *held_out, plumb_error *err);

/* The whole profile as the JSON object the model file holds (malloc'd, free with free()); NULL without one or
 * when out of memory. */
PLUMB_API char *plumb_model_profile_json(const plumb_model *model);

/* ---- Monitoring new data against the model's reference profile (src/monitor/, docs/monitor.md) --------------- */
typedef struct plumb_monitor plumb_monitor;

typedef struct plumb_monitor_options {
    const char *labels_column; /* the realised label of each row, to measure performance; NULL: none */
    const char *time_column;   /* a datetime column cutting the rows into windows; NULL: one window */
    int64_t window_seconds;    /* with time_column: the windows' length (7 days: 604800); 0: one window */
    double alpha;              /* 0.05: the false-alarm budget of a window's feature tests (split over features) */
    int threads;               /* 0: the plumb_set_threads default */
} plumb_monitor_options;

/* Fills *opts with the defaults above. */
PLUMB_API void plumb_monitor_options_init(plumb_monitor_options *opts);

/* Compares data with the model's reference profile, per time window: every model feature's drift (KS or
 * chi-square up to 1,000 rows, Wasserstein or Jensen-Shannon above; PSI reported), missing-rate changes, values
 * outside the training range, unseen categories, columns missing or of another type, the score's drift, the
 * performance expected from calibrated scores (CBPE) and, with labels, the realised one. *out (OUT) borrows model
 * and is freed with plumb_monitor_free. PLUMB_EINVAL when the model has no profile or a named column is missing or
 * unusable, PLUMB_ENOMEM. Thread-safe for distinct outputs. */
PLUMB_API plumb_status plumb_monitor_run(const plumb_model *model, const plumb_frame *data,
                                         const plumb_monitor_options *opts, plumb_monitor **out, plumb_error *err);

/* Alerts raised (0: none), over all windows and the schema. */
PLUMB_API int64_t plumb_monitor_n_alerts(const plumb_monitor *mon);

/* The findings as JSON / as a short text for people (malloc'd, free with free()); NULL when out of memory. */
PLUMB_API char *plumb_monitor_json(const plumb_monitor *mon);
PLUMB_API char *plumb_monitor_text(const plumb_monitor *mon);

PLUMB_API void plumb_monitor_free(plumb_monitor *mon);

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_PLUMB_H */
