/* cmd_inspect.c -- `plumb inspect`: the inferred schema and a profile of every column, as a table or JSON. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const cli_option options[] = {
    {"json", 0, NULL, NULL, "print JSON instead of a table (keys documented in docs/inspect.md)"},
    {"write-schema", 0, "FILE", NULL, "also write the inferred schema as JSON, for editing and --schema"},
    CLI_QUIET_OPTION(""),
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ISO-8601 text of a datetime given as seconds since the epoch. */
/* A number for people: integers in full, anything else to 6 significant digits. */
static const char *fmt_num(double x, char *buf, size_t n) {
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, n, "%.0f", x);
    else
        snprintf(buf, n, "%.6g", x);
    return buf;
}

/* A category as a table shows it: control characters (a line break would break the table) as '?'. */
static const char *printable(const char *s, char *buf, size_t n) {
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

/* The "summary" cell of the table. */
static void summarize(const plumb_column_info *c, const plumb_column_profile *p, char *buf, size_t n) {
    buf[0] = '\0';
    const int64_t present = p->n_rows - p->n_missing;
    if (present == 0) {
        snprintf(buf, n, "all missing");
    } else if (c->type == PLUMB_TYPE_NUMERIC) {
        char lo[32], mean[32], hi[32];
        snprintf(buf, n, "min %s  mean %s  max %s", fmt_num(p->min, lo, sizeof lo), fmt_num(p->mean, mean, sizeof mean),
                 fmt_num(p->max, hi, sizeof hi));
    } else if (c->type == PLUMB_TYPE_DATETIME) {
        char lo[32], hi[32];
        cli_format_datetime(p->min, lo, sizeof lo);
        cli_format_datetime(p->max, hi, sizeof hi);
        snprintf(buf, n, "from %s to %s", lo, hi);
    } else {
        size_t used = 0;
        char shown[128];
        for (int i = 0; i < p->n_top && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s%s %lld (%.1f%%)", i ? ", " : "",
                                     printable(p->top[i].value, shown, sizeof shown), (long long)p->top[i].count,
                                     100.0 * (double)p->top[i].count / (double)present);
        if (p->n_distinct > p->n_top && used < n)
            snprintf(buf + used, n - used, ", ...");
    }
}

static json_t *number_or_null(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *column_json(const plumb_column_info *c, const plumb_column_profile *p) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:I, s:f, s:I}", "name", c->name, "type", plumb_type_name(c->type), "role",
                  plumb_role_name(c->role), "n_missing", (json_int_t)p->n_missing, "missing_share",
                  p->n_rows ? (double)p->n_missing / (double)p->n_rows : 0.0, "n_distinct", (json_int_t)p->n_distinct);
    if (!o)
        return NULL;
    if (c->type == PLUMB_TYPE_NUMERIC) {
        json_object_set_new(o, "min", number_or_null(p->min));
        json_object_set_new(o, "mean", number_or_null(p->mean));
        json_object_set_new(o, "max", number_or_null(p->max));
        json_object_set_new(o, "std", number_or_null(p->std));
    } else if (c->type == PLUMB_TYPE_DATETIME) {
        char lo[32], hi[32];
        cli_format_datetime(p->min, lo, sizeof lo);
        cli_format_datetime(p->max, hi, sizeof hi);
        json_object_set_new(o, "min", isnan(p->min) ? json_null() : json_string(lo));
        json_object_set_new(o, "max", isnan(p->max) ? json_null() : json_string(hi));
    } else {
        json_t *top = json_array();
        if (c->note)
            json_object_set_new(o, "note", json_string(c->note));
        for (int i = 0; i < p->n_top; i++)
            json_array_append_new(
                top, json_pack("{s:s, s:I}", "value", p->top[i].value, "count", (json_int_t)p->top[i].count));
        json_object_set_new(o, "top", top);
    }
    return o;
}

/* Writes an editable schema: every column's type and role, without fixed categories, so new categories in
 * other files stay ordinary categories. */
static int write_schema(const plumb_frame *frame, const char *path) {
    plumb_error err;
    plumb_schema *s = NULL;
    int rc = EXIT_OK;
    const plumb_schema *fs = plumb_frame_schema(frame);
    if (plumb_schema_create(&s, &err) != PLUMB_OK)
        return cli_fail(&err);
    for (int64_t j = 0; j < plumb_schema_n_columns(fs); j++) {
        plumb_column_info c;
        plumb_schema_column(fs, j, &c);
        if (plumb_schema_set_type(s, c.name, c.type, &err) != PLUMB_OK ||
            plumb_schema_set_role(s, c.name, c.role, &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    if (plumb_schema_save(s, path, &err) != PLUMB_OK)
        rc = cli_fail(&err);
    else
        cli_note("schema written to '%s'", path);
done:
    plumb_schema_free(s);
    return rc;
}

static int run(const cli_args *a) {
    const char *path = a->pos[0];
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    plumb_frame *frame = NULL;
    plumb_error err;
    double t0 = now();
    int rc = cli_check_outputs(a, CLI_FILES(cli_get(a, "write-schema")));
    if (rc == EXIT_OK)
        rc = cli_read_frame(a, path, NULL, &frame);
    if (rc != EXIT_OK)
        return rc;
    double seconds = now() - t0;
    const plumb_schema *schema = plumb_frame_schema(frame);
    const int64_t n_cols = plumb_frame_n_columns(frame), n_rows = plumb_frame_n_rows(frame);
    plumb_column_info *info = calloc((size_t)n_cols, sizeof *info);
    plumb_column_profile *prof = calloc((size_t)n_cols, sizeof *prof);
    if (!info || !prof) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    for (int64_t j = 0; j < n_cols; j++) {
        plumb_schema_column(schema, j, &info[j]);
        if (plumb_frame_profile(frame, j, &prof[j], &err) != PLUMB_OK) {
            rc = cli_fail(&err);
            goto done;
        }
    }
    const char *schema_out = cli_get(a, "write-schema");
    if (schema_out && (rc = write_schema(frame, schema_out)) != EXIT_OK)
        goto done;

    if (cli_get(a, "json")) {
        json_t *cols = json_array();
        for (int64_t j = 0; j < n_cols; j++)
            json_array_append_new(cols, column_json(&info[j], &prof[j]));
        json_t *root = json_pack("{s:s, s:I, s:I, s:f, s:o}", "file", shown, "n_rows", (json_int_t)n_rows, "n_columns",
                                 (json_int_t)n_cols, "read_seconds", seconds, "columns", cols);
        if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
            fprintf(stderr, "plumb: cannot write JSON\n");
            rc = EXIT_DATA;
        }
        printf("\n");
        json_decref(root);
        goto done;
    }

    printf("%s: %lld rows, %lld columns (read in %.3f s)\n\n", shown, (long long)n_rows, (long long)n_cols, seconds);
    int wname = 6;
    for (int64_t j = 0; j < n_cols; j++) {
        int len = (int)strlen(info[j].name);
        wname = len > wname ? (len < 40 ? len : 40) : wname;
    }
    printf("%4s  %-*s  %-11s  %-7s  %15s  %9s  %s\n", "#", wname, "column", "type", "role", "missing", "distinct",
           "summary");
    for (int64_t j = 0; j < n_cols; j++) {
        char summary[512], missing[32];
        summarize(&info[j], &prof[j], summary, sizeof summary);
        snprintf(missing, sizeof missing, "%lld (%.1f%%)", (long long)prof[j].n_missing,
                 n_rows ? 100.0 * (double)prof[j].n_missing / (double)n_rows : 0.0);
        printf("%4lld  %-*s  %-11s  %-7s  %15s  %9lld  %s\n", (long long)j + 1, wname, info[j].name,
               plumb_type_name(info[j].type), plumb_role_name(info[j].role), missing, (long long)prof[j].n_distinct,
               summary);
    }
    /* a column that one stray value turned into text: say which value, so it can join --missing or be fixed */
    bool noted = false;
    for (int64_t j = 0; j < n_cols; j++) {
        if (!info[j].note)
            continue;
        printf("%snote: column '%s' is read as %s: %s; if that value means missing, add it to --missing\n",
               noted ? "" : "\n", info[j].name, plumb_type_name(info[j].type), info[j].note);
        noted = true;
    }
done:
    free(info);
    free(prof);
    plumb_frame_free(frame);
    return rc;
}

const cli_command cli_inspect = {
    .name = "inspect",
    .usage = "[options] <data.csv | ->",
    .summary = "show the inferred schema of a CSV file and a profile of every column",
    .details = "Types are inferred from every value: numeric, categorical (text with few distinct values),\n"
               "string (identifiers and free text), datetime (ISO-8601), bool (true/false). Override them\n"
               "with --categorical, the role options or --schema; '-' reads standard input.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
