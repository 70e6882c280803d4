/* cli.h -- the plumb tool's shared pieces: option tables, parsing, help text, error reporting.
 *
 * Each subcommand declares its options in a table; the same table parses argv and generates `--help`, so the
 * help can never list an option that does not exist or miss one that does. The tool uses only the public API.
 */
#ifndef PLUMB_CLI_H
#define PLUMB_CLI_H

#include <plumb/plumb.h>

#include <stdbool.h>

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

extern const cli_command cli_inspect, cli_train, cli_predict;

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
        {"missing", 0, "A,B", "\"\",NA,NaN,null,?", "values read as missing, comma-separated"},                        \
        {"max-categories", 0, "N", "1000",                                                                             \
         "a text column with more distinct values is read as string, not categorical"},                                \
    {                                                                                                                  \
        "threads", 't', "N", "all cores", "threads to use"                                                             \
    }

/* Prints the command's help (usage, summary, every option with its default, details) to stdout. */
void cli_print_help(const cli_command *cmd);

/* Looks up an option's value by long name; NULL when absent. */
const char *cli_get(const cli_args *args, const char *name);

/* Reports a usage error ("plumb CMD: message" + pointer to --help) and returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a library error (file:line:column: message) and returns EXIT_DATA. */
int cli_fail(const plumb_error *err);

/* Parses an integer option; on failure reports a usage error and returns false. */
bool cli_int(const cli_args *args, const char *name, long long min, long long *out);

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

#endif /* PLUMB_CLI_H */
