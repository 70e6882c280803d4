/* common.c -- option help, lookups, error reporting and CSV reading shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_print_help(const cli_command *cmd) {
    printf("usage: plumb %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    printf("  %-30s %s\n", "-h, --help", "show this help and exit");
    for (const cli_option *o = cmd->options; o->name; o++) {
        char left[96];
        snprintf(left, sizeof left, "%s%c%s--%s%s%s", o->short_name ? "-" : " ", o->short_name ? o->short_name : ' ',
                 o->short_name ? ", " : "  ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        if (strlen(left) > 30)
            printf("  %s\n  %-30s ", left, "");
        else
            printf("  %-30s ", left);
        printf("%s", o->help);
        if (o->def)
            printf(" (default: %s)", o->def);
        printf("\n");
    }
    if (cmd->details)
        printf("\n%s", cmd->details);
}

const char *cli_get(const cli_args *a, const char *name) {
    for (int i = 0; a->cmd->options[i].name; i++)
        if (strcmp(a->cmd->options[i].name, name) == 0)
            return a->values[i];
    return NULL;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "plumb %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nsee 'plumb %s --help'\n", cmd->name);
    return EXIT_USAGE;
}

int cli_fail(const plumb_error *err) {
    char msg[PLUMB_ERROR_MAX];
    plumb_error_format(err, msg, sizeof msg);
    fprintf(stderr, err->path[0] ? "%s\n" : "plumb: %s\n", msg);
    return EXIT_DATA;
}

bool cli_int(const cli_args *a, const char *name, long long min, long long *out) {
    const char *v = cli_get(a, name);
    if (!v)
        return true;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < min) {
        cli_usage_error(a->cmd, "option '--%s' expects an integer of at least %lld, got '%s'", name, min, v);
        return false;
    }
    *out = x;
    return true;
}

bool cli_threads(const cli_args *a, long long *out) {
    static bool said;
    long long n = *out;
    if (!cli_int(a, "threads", 1, &n))
        return false;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    const long long cap = CLI_THREADS_PER_CORE * (long long)cores;
    if (n > cap) {
        if (!said)
            fprintf(stderr, "plumb: --threads %lld is more than %d per core: using %lld (%ld cores)\n", n,
                    CLI_THREADS_PER_CORE, cap, cores);
        said = true;
        n = cap;
    }
    *out = n;
    return true;
}

/* Splits a comma-separated list into *items (pointers into *buf, both owned by the caller). */
static bool split_list(const char *list, char **buf, const char ***items, size_t *n) {
    *buf = NULL;
    *items = NULL;
    *n = 0;
    if (!list)
        return true;
    size_t len = strlen(list), count = 1;
    for (size_t i = 0; i < len; i++)
        count += list[i] == ',';
    if (!(*buf = malloc(len + 1)) || !(*items = malloc(count * sizeof **items)))
        return false;
    memcpy(*buf, list, len + 1);
    char *p = *buf;
    for (;;) {
        (*items)[(*n)++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return true;
}

int cli_reader_init(cli_reader *r, const cli_args *a, const plumb_schema *model_schema) {
    plumb_error err;
    plumb_read_options *o = &r->opts;
    long long threads = 0, max_cat = 1000;
    memset(r, 0, sizeof *r);
    plumb_read_options_init(o);
    const char *d = cli_get(a, "delimiter");
    if (d) {
        if (strcmp(d, "tab") == 0 || strcmp(d, "\\t") == 0)
            o->delimiter = '\t';
        else if (strlen(d) == 1 && !strchr("\"\r\n", d[0]) && (unsigned char)d[0] < 0x80)
            o->delimiter = d[0];
        else
            return cli_usage_error(a->cmd,
                                   "option '--delimiter' expects one ASCII character other than a quote or line "
                                   "break, or 'tab'; got '%s'",
                                   d);
    }
    if (!cli_threads(a, &threads) || !cli_int(a, "max-categories", 1, &max_cat))
        return EXIT_USAGE;
    o->n_threads = (int)threads;
    plumb_set_threads((int)threads); /* scoring and anything else without its own count */
    o->max_categories = max_cat;
    o->target = cli_get(a, "target");
    o->id_col = cli_get(a, "id-col");
    o->time_col = cli_get(a, "time-col");
    o->weight_col = cli_get(a, "weight-col");
    o->group_col = cli_get(a, "group-col");
    size_t n_cats = 0, n_miss = 0;
    if (!split_list(cli_get(a, "categorical"), &r->cat_buf, &r->cats, &n_cats) ||
        !split_list(cli_get(a, "missing"), &r->miss_buf, &r->miss, &n_miss)) {
        cli_reader_free(r);
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    o->categorical = r->cats;
    o->n_categorical = n_cats;
    if (r->miss) {
        o->missing_tokens = r->miss;
        o->n_missing_tokens = n_miss;
    }
    const char *schema_path = cli_get(a, "schema");
    if (schema_path && plumb_schema_load(schema_path, &r->schema, &err) != PLUMB_OK) {
        cli_reader_free(r);
        return cli_fail(&err);
    }
    o->schema = model_schema ? model_schema : r->schema;
    o->schema_subset = model_schema != NULL;
    return EXIT_OK;
}

void cli_reader_free(cli_reader *r) {
    plumb_schema_free(r->schema);
    free(r->cat_buf);
    free(r->cats);
    free(r->miss_buf);
    free(r->miss);
    memset(r, 0, sizeof *r);
}

int cli_read_frame(const cli_args *a, const char *path, const plumb_schema *model_schema, plumb_frame **frame) {
    cli_reader r;
    plumb_error err;
    *frame = NULL;
    int rc = cli_reader_init(&r, a, model_schema);
    if (rc != EXIT_OK)
        return rc;
    if (plumb_frame_read_csv(path, &r.opts, frame, &err) != PLUMB_OK)
        rc = cli_fail(&err);
    cli_reader_free(&r);
    return rc;
}

/* Writes s as one CSV field, quoted when it must be. */
void cli_put_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
