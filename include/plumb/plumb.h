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

/* Routes the library's diagnostics to fn (NULL: discard them, the default). Call before other threads use the
 * library; the callback itself may be called from any thread. */
PLUMB_API void plumb_set_log(plumb_log_fn fn, void *user);

/* Threads that calls without their own thread count use (scoring; readers and trainers with n_threads 0):
 * n > 0, or 0 for all cores (the default). Like plumb_set_log, set it before other threads use the library. */
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
    char delimiter;                    /* field separator; default ',' */
    const char *const *missing_tokens; /* values read as missing; NULL = "", NA, NaN, null, ? */
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
 * Models: gradient-boosted decision trees
 * ------------------------------------------------------------------------------------------------------------- */

/* A trained model: immutable, so concurrent predictions from many threads are safe. */
typedef struct plumb_model plumb_model;

typedef enum plumb_task {
    PLUMB_TASK_AUTO = 0,   /* binary for a two-valued target (two categories, bool, or numbers 0/1), multiclass for
                              a categorical target with more categories, else regression */
    PLUMB_TASK_BINARY,     /* predictions are probabilities of the positive class */
    PLUMB_TASK_REGRESSION, /* predictions are values */
    PLUMB_TASK_MULTICLASS, /* predictions are one probability per class (the target's categories, in order) */
} plumb_task;

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
                                       binary_logloss, auc, binary_error, l2, rmse, l1, huber, poisson, quantile, mape,
                                       multi_logloss, multi_error */
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

/* Predicts every row of frame into out (n_rows x n_outputs values, row-major, caller-owned): probabilities of the
 * positive class for binary models, values for regression, n_outputs class probabilities for multiclass, with the
 * plumb_set_threads threads. Columns are matched by name;
 * PLUMB_ESCHEMA when one the model needs is absent or has another type. Thread-safe. */
PLUMB_API plumb_status plumb_model_predict(const plumb_model *model, const plumb_frame *frame, double *out,
                                           plumb_error *err);

/* Raw scores before the link function, n_rows x n_outputs: log-odds (binary), log of the mean (poisson), class
 * scores before the softmax (multiclass), values otherwise. Statuses as plumb_model_predict. */
PLUMB_API plumb_status plumb_model_predict_raw(const plumb_model *model, const plumb_frame *frame, double *out,
                                               plumb_error *err);

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
 * (plumb_model_predict_raw). PLUMB_EINVAL for a model that is not gbdt, PLUMB_ESCHEMA, PLUMB_ENOMEM. */
PLUMB_API plumb_status plumb_model_contrib(const plumb_model *model, const plumb_frame *frame, double *out,
                                           plumb_error *err);

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

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_PLUMB_H */
