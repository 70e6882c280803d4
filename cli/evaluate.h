/* evaluate.h -- what `plumb eval` and `plumb cv` share: the --task option, an evaluation (plumb_evaluation_compute)
 * printed as a table or JSON, the curves file, and writing numbers and text columns back to CSV.
 */
#ifndef PLUMB_CLI_EVALUATE_H
#define PLUMB_CLI_EVALUATE_H

#include "cli.h"

#include <jansson.h>

/* Parses --task (binary, regression, multiclass, auto; absent: auto) into *task; a usage error otherwise. */
int cli_task_option(const cli_args *args, plumb_task *task);

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

/* Computes the evaluation of data (plumb_evaluation_compute), saying on stderr when binary scores are not
 * probabilities. Returns EXIT_OK, or EXIT_DATA after reporting the error; free *ev with plumb_evaluation_free
 * either way. */
int cli_evaluate(const plumb_metric_data *data, const plumb_evaluation_options *opts, plumb_evaluation *ev);

/* Prints the report as a table (metric, value, interval) to f, then the confusion matrix; class names label it
 * when not NULL (k entries). */
void cli_report_print(FILE *f, const plumb_evaluation *r, const char *const *class_names);

/* The report as a JSON object: {"task", "rows", "weight", "metrics": {name: value}, "ci": {...}, "confusion"}. */
json_t *cli_report_json(const plumb_evaluation *r);

/* A JSON number, or null for NaN and infinities. */
json_t *cli_json_number(double x);

/* Writes the binary curves of data as JSON to path, atomically: roc, pr, calibration (bins, strategy), gain.
 * Returns EXIT_OK, or EXIT_DATA after reporting the error. */
int cli_write_curves(const char *path, const plumb_metric_data *data, int64_t bins, plumb_bins strategy);

#endif /* PLUMB_CLI_EVALUATE_H */
