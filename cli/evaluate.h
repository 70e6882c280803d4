/* evaluate.h -- what `plumb eval` and `plumb cv` share: reading a target as labels, the metric list of a task,
 * and printing a metrics report as a table or JSON.
 */
#ifndef PLUMB_CLI_EVALUATE_H
#define PLUMB_CLI_EVALUATE_H

#include "cli.h"

#include <jansson.h>

typedef enum cli_task { CLI_TASK_AUTO = 0, CLI_TASK_BINARY, CLI_TASK_REGRESSION, CLI_TASK_MULTICLASS } cli_task;

const char *cli_task_name(cli_task task);

/* Parses --task (binary, regression, multiclass, auto; absent: auto) into *task; a usage error otherwise. */
int cli_task_option(const cli_args *args, cli_task *task);

/* Reads column col of frame (source names the file in errors) as labels into y (n_rows entries): binary targets as
 * 0/1 with *positive (IN: the class asked for or NULL, OUT: the class used, borrowed from the frame) being 1 --
 * categorical targets must have two categories, numbers must be 0/1, bool true is 1; regression targets as
 * numbers; multiclass targets as class indices (categories in sorted order, or integers 0..k-1 with *n_classes
 * set to k). *task AUTO becomes binary for a two-valued target, else regression. Missing labels are an error.
 * Returns EXIT_OK, or EXIT_DATA after reporting the error. */
int cli_target_labels(const plumb_frame *frame, int64_t col, const char *source, cli_task *task, const char **positive,
                      int64_t *n_classes, double *y);

/* The name of the column of binary scores in every predictions file plumb writes: "p_<positive class>" -- the
 * category of a text target, "true" for a bool target, else "1" -- so that `plumb eval --pred` knows what the
 * scores are about (docs/eval.md). Writes it to buf (size n). */
void cli_binary_score_name(const char *positive, bool bool_target, char *buf, size_t n);

/* Writes x to f in the fewest significant digits that read back as the same number: as a float32 when single is
 * set (a feature column), else as a float64 (a target, a weight), so 15.104 is written "15.104" and not
 * "15.103999999999999". NaN writes nothing (a missing value). */
void cli_put_number(FILE *f, double x, bool single);

/* Reads column name of a CSV input again, as text: a frame whose column name is a string column holding exactly
 * the characters of each field (ids of any type, dates included). The input is the file at path, or buf (len
 * bytes) when buf is not NULL; the other columns are inferred and not meant to be used. Returns EXIT_OK, or the
 * exit status after reporting the error; *out is owned by the caller. */
int cli_read_text_column(const cli_args *args, const char *path, const char *buf, size_t len, const char *name,
                         plumb_frame **out);

/* Writes row i of the text column read by cli_read_text_column to f as a CSV field (a missing value: nothing). */
void cli_put_text(FILE *f, const plumb_frame *text, const char *name, int64_t i);

/* The metrics of a task, in report order; without probabilities (binary scores outside [0, 1]) log-loss and the
 * Brier score are left out. Returns how many were written to out (at most PLUMB_METRIC_COUNT). */
size_t cli_task_metrics(cli_task task, bool probabilities, plumb_metric *out);

/* One evaluation: metric values, optional bootstrap intervals, the confusion matrix. */
typedef struct cli_report {
    cli_task task;
    size_t n_metrics;
    plumb_metric metrics[PLUMB_METRIC_COUNT];
    double values[PLUMB_METRIC_COUNT];
    double ci_level; /* 0: no intervals */
    int64_t n_resamples;
    double lo[PLUMB_METRIC_COUNT], hi[PLUMB_METRIC_COUNT];
    double *confusion; /* k x k (binary: 2 x 2), malloc'ed; NULL for regression */
    int64_t n_classes;
    double n_rows, weight_sum, positives; /* positives: binary, weight of label 1 */
} cli_report;

/* Computes the report of data for task (bootstrap intervals when ci_level > 0, with n_resamples and seed).
 * Returns EXIT_OK, or EXIT_DATA after reporting the error (source, when not NULL, prefixes library messages). */
int cli_report_compute(const plumb_metric_data *data, cli_task task, double ci_level, int64_t n_resamples,
                       uint64_t seed, const char *source, cli_report *r);
/* The same, and for regression the pinball loss at data->alpha when pinball is set (quantile predictions). The
 * Poisson and Gamma deviances are reported for regression whenever the labels and predictions are in their
 * domain. */
int cli_report_compute_quantile(const plumb_metric_data *data, cli_task task, double ci_level, int64_t n_resamples,
                                uint64_t seed, const char *source, bool pinball, cli_report *r);
void cli_report_free(cli_report *r);

/* Prints the report as a table (metric, value, interval) to f, then the confusion matrix; class names label it
 * when not NULL (k entries). */
void cli_report_print(FILE *f, const cli_report *r, const char *const *class_names);

/* The report as a JSON object: {"task", "rows", "weight", "metrics": {name: value}, "ci": {...}, "confusion"}. */
json_t *cli_report_json(const cli_report *r);

/* A JSON number, or null for NaN and infinities. */
json_t *cli_json_number(double x);

/* Writes the binary curves of data as JSON to path, atomically: roc, pr, calibration (bins, strategy), gain.
 * Returns EXIT_OK, or EXIT_DATA after reporting the error. */
int cli_write_curves(const char *path, const plumb_metric_data *data, int64_t bins, plumb_bins strategy);

#endif /* PLUMB_CLI_EVALUATE_H */
