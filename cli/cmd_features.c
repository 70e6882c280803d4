/* cmd_features.c -- `plumb features load`: a CSV file into the SQLite table that `plumb serve --features` reads.
 *
 * A thin client of plumb_features_load: the library checks the keys, writes the table in one transaction and
 * leaves the database as it was when anything fails.
 */
#include "cli.h"

#include <string.h>

static const cli_option options[] = {
    {"key", 0, "COL", NULL, "the entity key column: unique and never empty (required)"},
    {"db", 0, "FILE", NULL, "the SQLite database to write; created when absent (required)"},
    {"table", 0, "NAME", "features", "the table to create or replace"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

static int run(const cli_args *a) {
    if (strcmp(a->pos[0], "load") != 0)
        return cli_usage_error(a->cmd, "unknown subcommand '%s' (expected load)", a->pos[0]);
    const char *key = cli_get(a, "key"), *db = cli_get(a, "db"), *table = cli_get(a, "table");
    if (!key || !*key)
        return cli_usage_error(a->cmd, "--key is required");
    if (!db || !*db)
        return cli_usage_error(a->cmd, "--db is required");
    if (!table)
        table = "features";
    if (!*table)
        return cli_usage_error(a->cmd, "--table needs a name");
    const int rc = cli_check_outputs(a, CLI_FILES(db));
    if (rc != EXIT_OK)
        return rc;
    plumb_error err;
    if (plumb_features_load(a->pos[1], key, db, table, &err) != PLUMB_OK)
        return cli_fail(&err);
    cli_note("%s: table '%s' loaded from %s, keyed by '%s'", db, table, a->pos[1], key);
    return EXIT_OK;
}

const cli_command cli_features = {
    .name = "features",
    .usage = "load [options] --key COL --db FILE <data.csv>",
    .summary = "load a feature table (CSV) into the SQLite database that plumb serve looks entities up in",
    .details = "Every column is stored as text, exactly as the file has it (missing tokens such as \"\" or NA as\n"
               "NULL); the key column is the table's primary key. The table is replaced in one transaction, so a\n"
               "running server sees the old rows or the new ones; on any error the database is left as it was.\n"
               "See docs/features.md.\n",
    .options = options,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
