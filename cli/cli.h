/* cli.h -- the plumb tool's shared pieces: option tables, parsing, help text, error reporting.
 *
 * Each subcommand declares its options in a table; the same table parses argv and generates `--help`, so the
 * help can never list an option that does not exist or miss one that does. The tool uses only the public API.
 */
#ifndef PLUMB_CLI_H
#define PLUMB_CLI_H

#include <plumb/plumb.h>

#include <stdbool.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

typedef struct cli_option {
    const char *name; /* long name, without the dashes */
    char short_name;  /* 0 for none */
    const char *arg;  /* argument placeholder, NULL for a flag */
    const char *def;  /* default as shown in --help, NULL for none */
    const char *help;
} cli_option;

typedef struct cli_command cli_command;

typedef struct cli_args {
    const cli_command *cmd;
    const char **values; /* per option: its value, "1" for a given flag, NULL when absent */
    const char **pos;    /* positional arguments */
    int n_pos;
    int argc; /* the command's own arguments, for options that may be repeated (plumb serve --model) */
    char **argv;
} cli_args;

struct cli_command {
    const char *name;
    const char *usage;         /* after "plumb NAME " */
    const char *summary;       /* one line */
    const char *details;       /* paragraphs printed after the options, or NULL */
    const cli_option *options; /* terminated by an entry with name NULL */
    int min_pos, max_pos;
    int (*run)(const cli_args *args);
};
extern const cli_command cli_synth; /* synthetic data with planted problems: cmd_synth.c */

extern const cli_command cli_report_cmd; /* `plumb report`: cmd_report.c (cli_report is evaluate.h's type) */

extern const cli_command cli_inspect, cli_train, cli_predict, cli_explain, cli_audit;
extern const cli_command cli_eval, cli_cv;   /* evaluation: cmd_eval.c, cmd_cv.c */
extern const cli_command cli_split;          /* train/test files: cmd_split.c */
extern const cli_command cli_import;         /* models from XGBoost and LightGBM: cmd_import.c */
extern const cli_command cli_demo, cli_site; /* case studies and the portfolio site: cmd_demo.c, cmd_site.c */
extern const cli_command cli_features;       /* the feature store's tables: cmd_features.c */
extern const cli_command cli_serve;          /* the HTTP scoring server: cmd_serve.c */
extern const cli_command cli_quantize;       /* quantised trees: cmd_quantize.c */
extern const cli_command cli_distill;        /* students trained on a teacher's scores: cmd_distill.c */
extern const cli_command cli_export;         /* ONNX export: cmd_export.c */
extern const cli_command cli_tune;           /* hyperparameter search: cmd_tune.c */
extern const cli_command cli_compile;        /* compiled trees: cmd_compile.c */
extern const cli_command cli_forecast;       /* daily demand forecasts: cmd_forecast.c */
extern const cli_command cli_bench_serve;    /* load on a scoring server: cmd_bench_serve.c */
extern const cli_command cli_monitor;        /* drift and performance against the model's profile: cmd_monitor.c */

/* The one default of --seed, in every command that draws random numbers (as in XGBoost; docs/cli.md). */
#define CLI_SEED 0
#define CLI_STRING(x) #x
#define CLI_STRING_OF(x) CLI_STRING(x)
#define CLI_SEED_DEFAULT CLI_STRING_OF(CLI_SEED) /* as --help shows it */

/* Options shared by every command that reads a CSV file; cli_read_frame interprets them. */
#define CLI_READ_OPTIONS                                                                                               \
    {"target", 0, "COL", NULL, "the column to predict"},                                                               \
        {"categorical", 0, "A,B", NULL, "columns to read as categorical, comma-separated"},                            \
        {"id-col", 0, "COL", NULL, "row identifier: kept as text, never a feature"},                                   \
        {"time-col", 0, "COL", NULL, "when each row happened (datetime or number)"},                                   \
        {"weight-col", 0, "COL", NULL, "sample weight (numeric)"},                                                     \
        {"group-col", 0, "COL", NULL, "group label: rows of a group stay in one fold"},                                \
        {"schema", 0, "FILE", NULL,                                                                                    \
         "JSON schema overriding inferred types and roles (see plumb inspect --write-schema)"},                        \
        {"delimiter", 'd', "CHAR", ",", "field separator; 'tab' for a tab"},                                           \
        {"missing", 0, "A,B", "pandas' list and ?",                                                                    \
         "values read as missing, comma-separated (pandas' list: \"\", #N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, "       \
         "-NaN, -nan, 1.#IND, 1.#QNAN, <NA>, N/A, NA, NULL, NaN, None, n/a, nan, null)"},                              \
        {"max-categories", 0, "N", "1000",                                                                             \
         "a text column with more distinct values is read as string, not categorical"},                                \
    {                                                                                                                  \
        "threads", 't', "N", "all cores", "threads to use"                                                             \
    }

/* Options of every kind of model, shared by train and cv; cli_fit interprets them. */
/* clang-format off */
#define CLI_MODEL_OPTIONS \
    {"model", 0, "KIND", "gbdt", "the kind of model: gbdt (gradient-boosted trees), logistic or linear (regression), tree (one CART tree)"}, \
    {"task", 0, "TASK", "auto", "binary, regression, multiclass, or auto (from the target's values)"}, \
    {"positive-class", 0, "VALUE", "the last category", "binary target with text values: the positive class"}, \
    {"allow-feature", 0, "A,B", NULL, "train on these features although the schema says they become known after the moment of prediction"}, \
    {"objective", 0, "NAME", "by the task", "gbdt: binary, l2, l1, huber, poisson, quantile or multiclass"}, \
    {"alpha", 0, "X", "by the model", "gbdt (0.9): huber's threshold, quantile's level; linear, logistic (0.0001): penalty strength (docs/linear.md)"}, \
    {"metric", 0, "NAME", "the objective's loss", "validation metric for early stopping: binary_logloss, auc, binary_error, l2, rmse, l1, huber, poisson, quantile, mape, multi_logloss, multi_error (LightGBM's names; scikit-learn's roc_auc, log_loss, mae, mse, poisson_deviance also work; poisson is reported as the mean Poisson deviance)"}, \
    {"monotone", 0, "COL:+1,COL:-1", NULL, "the output never decreases (+1) or never increases (-1) as these numeric features grow"}, \
    {"init-model", 0, "FILE", NULL, "continue training this model (its trees and bins come first)"}, \
    {"num-iterations", 0, "N", "100", "boosting iterations (trees; times the classes for multiclass)"}, \
    {"learning-rate", 0, "X", "0.1", "shrinkage applied to every tree"}, \
    {"num-leaves", 0, "N", "31", "most leaves per tree (trees grow leaf-wise)"}, \
    {"max-depth", 0, "N", "-1", "most levels per tree; -1: no limit"}, \
    {"min-data-in-leaf", 0, "N", "20", "fewest training rows in a leaf (estimated from hessians, as LightGBM)"}, \
    {"min-sum-hessian-in-leaf", 0, "X", "0.001", "smallest sum of hessians in a leaf"}, \
    {"lambda-l1", 0, "X", "0", "L1 regularisation of leaf values"}, \
    {"lambda-l2", 0, "X", "0", "L2 regularisation of leaf values"}, \
    {"min-gain-to-split", 0, "X", "0", "smallest gain that makes a split"}, \
    {"max-bin", 0, "N", "255", "most bins per feature (2..65535; over 255, bins take 2 bytes a value)"}, \
    {"feature-fraction", 0, "F", "1", "share of features each tree may use"}, \
    {"bagging-fraction", 0, "F", "1", "share of rows each bag keeps (with --bagging-freq)"}, \
    {"bagging-freq", 0, "N", "0", "draw a new bag every N iterations; 0: no bagging"}, \
    {"early-stopping-rounds", 0, "N", "0", "stop when the validation metric has not improved for N rounds; 0: off"}, \
    {"cat-smooth", 0, "X", "10", "categorical splits: categories are ordered by gradient / (hessian + X)"}, \
    {"cat-l2", 0, "X", "10", "categorical splits: extra L2 regularisation"}, \
    {"min-data-per-group", 0, "N", "100", "categorical splits: fewest rows of a category in a set split"}, \
    {"max-cat-threshold", 0, "N", "32", "categorical splits: most categories on one side (at most 64)"}, \
    {"max-cat-to-onehot", 0, "N", "4", "features with this many categories or fewer split one against the rest"}, \
    {"criterion", 0, "NAME", "gini or squared_error", "tree: gini or entropy (binary), squared_error (regression)"}, \
    {"min-samples-split", 0, "N", "2", "tree: fewest rows a node needs to be split"}, \
    {"min-samples-leaf", 0, "N", "1", "tree: fewest rows in each child of a split"}, \
    {"min-impurity-decrease", 0, "X", "0", "tree: smallest weighted impurity decrease that makes a split"}, \
    {"ccp-alpha", 0, "X", "0", "tree: minimal cost-complexity pruning strength; 0: no pruning"}, \
    {"class-weight", 0, "W", "none", "tree, logistic: 'balanced' or per class (e.g. 'bad=3,good=1'; tree also NEG:POS, e.g. 1:3)"}, \
    {"l1-ratio", 0, "F", "0", "linear, logistic: L1 share of the penalty (0 ridge, 1 lasso, between: elastic net)"}, \
    {"clip-quantile", 0, "Q", "0", "linear, logistic: clip numeric values to their [Q, 1-Q] training quantiles"}, \
    {"min-category-weight", 0, "X", "0", "linear, logistic: categories with less training weight get no column of their own"}, \
    {"no-standardize", 0, NULL, NULL, "linear, logistic: fit on the numeric columns as they are"}, \
    {"max-iter", 0, "N", "100", "linear, logistic: most Newton iterations"}, \
    {"tol", 0, "X", "1e-08", "linear, logistic: stop when the optimality conditions hold to X"}, \
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of bagging, feature sampling and --valid-fraction"}
/* clang-format on */

typedef struct cli_kind cli_kind;

/* The model options, parsed once by cli_fit_parse for the kind --model names. */
typedef struct cli_fit {
    const cli_kind *kind;
    plumb_task task;            /* --task, PLUMB_TASK_AUTO without it */
    const char *positive_class; /* --positive-class or NULL */
    bool quiet;                 /* -q: no progress line */
    plumb_gbdt_params gbdt;     /* gbdt: with what it points to below */
    plumb_monotone *monotone;
    char *monotone_buf;
    plumb_model *init_model; /* --init-model, loaded once */
    plumb_tree_params tree;
    const char *tree_class_weight; /* --class-weight CLASS=W,..., resolved (tree) or checked (logistic) when the
                                      target is known */
    plumb_linear_params linear;
    const char *allow[256]; /* --allow-feature, pointers into allow_buf */
    size_t n_allow;
    char *allow_buf;
} cli_fit;

/* A kind of model the command line trains, explains and summarises: one row of cli_kinds (fit.c). */
struct cli_kind {
    const char *name;      /* --model NAME */
    const char *file_kind; /* plumb_model_info.kind of the models it trains */
    unsigned bit;          /* the kinds each model option applies to are a mask of these (fit.c) */
    bool validates;        /* scores validation data every iteration: early stopping, --valid */
    int (*parse)(const cli_args *args, cli_fit *fit);
    plumb_status (*train)(const cli_fit *fit, const plumb_frame *train, const plumb_frame *valid, bool progress,
                          plumb_model **out, plumb_error *err);
    /* train's summary of a freshly trained model (text, or JSON with --json); valid may be NULL; extra (a jansson
     * object or NULL, taken over) is added to the JSON */
    int (*summary)(const cli_args *args, const plumb_model *model, const plumb_model_info *info, const char *out,
                   const plumb_frame *valid, void *extra);
    /* explain's explanation (--top N, --json) */
    int (*explain)(const cli_args *args, const plumb_model *model, const plumb_model_info *info);
};
extern const cli_kind cli_kinds[]; /* terminated by a row with name NULL */

/* The kind --model NAME names, or NULL; the kind of a loaded model (NULL for one the command line does not know). */
const cli_kind *cli_kind_named(const char *name);
const cli_kind *cli_kind_of_model(const plumb_model *model);

/* Parses the model options once into *fit (loading --init-model). Returns EXIT_OK, or the exit status after
 * reporting the error; free with cli_fit_free either way. */
int cli_fit_parse(const cli_args *args, cli_fit *fit);
void cli_fit_free(cli_fit *fit);

/* Trains the model *fit describes on train (valid may be NULL), showing a progress line on a terminal when progress
 * is set and -q is not. Refuses what would train without a word but not as asked (an --allow-feature that is no
 * column, --positive-class on a multiclass target, a one-valued target, a text --time-col). Returns EXIT_OK, or the
 * exit status after reporting the error; *out is owned by the caller. */
int cli_fit_train(const cli_args *args, const cli_fit *fit, const plumb_frame *train, const plumb_frame *valid,
                  bool progress, plumb_model **out);

/* The hooks of the kinds: summaries in cmd_train.c, explanations in cmd_explain.c. */
int cli_summary_gbdt(const cli_args *a, const plumb_model *m, const plumb_model_info *info, const char *out,
                     const plumb_frame *valid, void *extra);
int cli_summary_tree(const cli_args *a, const plumb_model *m, const plumb_model_info *info, const char *out,
                     const plumb_frame *valid, void *extra);
int cli_summary_linear(const cli_args *a, const plumb_model *m, const plumb_model_info *info, const char *out,
                       const plumb_frame *valid, void *extra);
int cli_explain_gbdt(const cli_args *a, const plumb_model *m, const plumb_model_info *info);
int cli_explain_tree(const cli_args *a, const plumb_model *m, const plumb_model_info *info);
int cli_explain_linear(const cli_args *a, const plumb_model *m, const plumb_model_info *info);

/* Parses a finite number option; on failure reports a usage error and returns false. */
bool cli_double(const cli_args *args, const char *name, double *out);

/* Prints the command's help (usage, summary, every option with its default, details) to stdout. */
void cli_print_help(const cli_command *cmd);

/* Looks up an option's value by long name; NULL when absent. */
const char *cli_get(const cli_args *args, const char *name);

/* -q, --quiet: every command has it, with this meaning (docs/cli.md); main.c sets cli_quiet from it. */
#define CLI_QUIET_OPTION(also)                                                                                         \
    { "quiet", 'q', NULL, NULL, "no progress lines or notes on standard error (errors and warnings stay)" also }
extern bool cli_quiet;

/* Seconds since the epoch (UTC) as a date, "2011-01-17", or with the time when it has one. */
void cli_format_datetime(double seconds, char *buf, size_t n);

/* Prints a note (what was written where, a column left unused, a lowered thread count) on stderr, unless -q. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a usage error ("plumb CMD: message" + pointer to --help) and returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a library error (file:line:column: message) and returns EXIT_DATA. */
int cli_fail(const plumb_error *err);

/* Prints a linear model's coefficients as a table (cmd_explain.c). */
void cli_print_coefficients(const plumb_coefficient *co, int64_t n, bool logistic);

/* Writes s to f as one CSV field, quoted when it must be. */
void cli_put_field(FILE *f, const char *s);

/* Parses an integer option; on failure reports a usage error and returns false. */
bool cli_int(const cli_args *args, const char *name, long long min, long long *out);

/* Parses --threads (at least 1) into *out, left as it is when the option is absent. More threads than
 * CLI_THREADS_PER_CORE per online core only slow a run down (and a huge count crashes the OpenMP runtime): such a
 * count is lowered to that cap, said once on stderr. On a bad value reports a usage error and returns false. */
#define CLI_THREADS_PER_CORE 4
bool cli_threads(const cli_args *args, long long *out);

/* Read options made from the shared options a command has, and what they own. */
typedef struct cli_reader {
    plumb_read_options opts;
    plumb_schema *schema; /* loaded from --schema */
    char *cat_buf, *miss_buf;
    const char **cats, **miss;
} cli_reader;

/* Fills *r from args; with a model's schema, data is read with it (the columns it names may be absent).
 * Returns EXIT_OK, or the exit status after reporting the error (then *r holds nothing). */
int cli_reader_init(cli_reader *r, const cli_args *args, const plumb_schema *model_schema);
void cli_reader_free(cli_reader *r);

/* Reads the CSV file at path (or "-") with those of the shared read options that the command has. With a
 * model's schema, the data is read with it (the columns it names may be absent). Returns EXIT_OK, or the exit
 * status after reporting the error. *frame is owned by the caller. */
int cli_read_frame(const cli_args *args, const char *path, const plumb_schema *model_schema, plumb_frame **frame);

/* Checks a command's outputs before any work, so that no run ends by destroying its own input or failing to
 * write its result. The inputs are the positional arguments and the options --schema, --valid, --init-model,
 * --model, --test, --pred and --data, where the command has them. Refuses (a usage error, exit 2) an output that is one
 * of the inputs (same device and inode, whatever the names and links), two outputs that are one file, an output that is
 * a folder, whose folder is missing or not writable, or whose name is longer than NAME_MAX. An output equal to --report
 * also stands for its JSON record beside it, which must not replace a file that is not a plumb run record
 * (cli_check_report_json). NULL entries and "-" are skipped; character devices (/dev/null, a terminal) may be both.
 * Returns EXIT_OK or the exit status after reporting. Use CLI_FILES(...) for each list. */
int cli_check_outputs(const cli_args *args, const char *const *out, size_t n_out);
#define CLI_FILES(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* The same for an output folder (site, demo): it must be a folder that can be written, or be creatable under the
 * closest folder above it, and not be the folder input (may be NULL). */
int cli_check_output_folder(const cli_args *args, const char *dir, const char *input);

/* EXIT_OK unless json_path exists and is not a plumb run record (then a usage error is reported). */
int cli_check_report_json(const cli_args *args, const char *json_path);

/* The column with role in fr, or -1. */
int64_t cli_column_with_role(const plumb_frame *fr, plumb_role role);

/* The time column's values as numbers (datetimes as seconds) into *out (malloc'd, freed by the caller, also on
 * failure): a usage error without --time-col or with a text one, EXIT_DATA naming the first missing value. */
int cli_time_values(const cli_args *a, const plumb_frame *fr, double **out);

#endif /* PLUMB_CLI_H */
