/* common.c -- option help, lookups, error reporting and CSV reading shared by the subcommands. */
#include "cli.h"
#include "record.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
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

bool cli_quiet;

void cli_note(const char *fmt, ...) {
    if (cli_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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
            cli_note("plumb: --threads %lld is more than %d per core: using %lld (%ld cores)", n, CLI_THREADS_PER_CORE,
                     cap, cores);
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

/* ---------------------------------------------------------------------------------------------------------- */
/* Outputs                                                                                                     */
/* ---------------------------------------------------------------------------------------------------------- */

/* Where an output will be: the file itself when it exists (links followed), else its folder and name. */
typedef struct place {
    bool exists;
    struct stat st;   /* the file, or its folder */
    const char *name; /* last component */
    size_t name_len;
} place;

/* The folder part of path ("." when none) into buf. */
static void folder_of(const char *path, char *buf, size_t n) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if (slash == path)
        snprintf(buf, n, "/");
    else
        snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

/* Checks one file output: its name fits, it is not a folder, its folder exists and can be written. */
static int check_output(const cli_args *a, const char *path, place *p) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    p->name = slash ? slash + 1 : path;
    p->name_len = strlen(p->name);
    if (!p->name[0])
        return cli_usage_error(a->cmd, "output '%s' names a folder, not a file", path);
    if (p->name_len > NAME_MAX)
        return cli_usage_error(a->cmd, "output '%s': the name is longer than %d bytes", path, NAME_MAX);
    if (stat(path, &p->st) == 0) {
        p->exists = true;
        if (S_ISDIR(p->st.st_mode))
            return cli_usage_error(a->cmd, "output '%s' is a folder, not a file", path);
        if (!S_ISREG(p->st.st_mode)) /* a device or FIFO is written straight: it must be writable itself */
            return access(path, W_OK) == 0
                       ? EXIT_OK
                       : cli_usage_error(a->cmd, "cannot write output '%s': %s", path, strerror(errno));
    }
    folder_of(path, dir, sizeof dir);
    struct stat ds;
    if (stat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode))
        return cli_usage_error(a->cmd, "cannot write output '%s': folder '%s' does not exist", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return cli_usage_error(a->cmd, "cannot write output '%s': folder '%s' is not writable", path, dir);
    if (!p->exists)
        p->st = ds;
    return EXIT_OK;
}

static bool same_place(const place *x, const place *y) {
    if (x->st.st_dev != y->st.st_dev || x->st.st_ino != y->st.st_ino || x->exists != y->exists)
        return false;
    return x->exists || (x->name_len == y->name_len && memcmp(x->name, y->name, x->name_len) == 0);
}

/* A report's JSON beside its page replaces only a file plumb wrote: a run record ({"plumb_run": 1, ...}). */
int cli_check_report_json(const cli_args *a, const char *json_path) {
    struct stat sb;
    if (stat(json_path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return EXIT_OK;
    json_t *root = json_load_file(json_path, 0, NULL);
    const bool ours = root && json_is_object(root) && json_object_get(root, "plumb_run");
    json_decref(root);
    if (ours)
        return EXIT_OK;
    return cli_usage_error(a->cmd,
                           "'%s' exists and is not a plumb run record: the report writes its numbers there; move it "
                           "or name the report otherwise",
                           json_path);
}

/* The options that name files a command reads (besides its positional arguments). */
static const char *const input_options[] = {"schema", "valid", "init-model", "model", "test", "pred", "data"};

int cli_check_outputs(const cli_args *a, const char *const *out, size_t n_out) {
    const char *in[64];
    size_t n_in = 0;
    for (int i = 0; i < a->n_pos && n_in < 48; i++)
        in[n_in++] = a->pos[i];
    for (int k = 0; a->cmd->options[k].name; k++) /* options naming a FILE (train's --model names a kind) */
        for (size_t i = 0; i < sizeof input_options / sizeof *input_options; i++)
            if (strcmp(a->cmd->options[k].name, input_options[i]) == 0 && a->cmd->options[k].arg &&
                strcmp(a->cmd->options[k].arg, "FILE") == 0 && n_in < 64)
                in[n_in++] = a->values[k];
    const char *report = cli_get(a, "report");
    char *json[8] = {0};
    const char *outs[16];
    size_t n = 0, n_json = 0;
    int rc = EXIT_OK;
    place *po = NULL;
    for (size_t i = 0; i < n_out && n < 8; i++) {
        if (!out[i] || strcmp(out[i], "-") == 0)
            continue;
        outs[n++] = out[i];
        /* a report page brings its JSON record beside it */
        if (report && strcmp(out[i], report) == 0 && n_json < 8) {
            if (!(json[n_json] = cli_record_json_path(report))) {
                fprintf(stderr, "plumb: out of memory\n");
                rc = EXIT_DATA;
                goto done;
            }
            outs[n++] = json[n_json++];
        }
    }
    if (!(po = calloc(n + 1, sizeof *po))) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = check_output(a, outs[i], &po[i])) != EXIT_OK)
            goto done;
        for (size_t k = 0; k < i; k++)
            if (same_place(&po[i], &po[k]) && !S_ISCHR(po[i].st.st_mode)) {
                rc = cli_usage_error(a->cmd, "outputs '%s' and '%s' are the same file", outs[k], outs[i]);
                goto done;
            }
    }
    /* an output that is an input would destroy it; a terminal or /dev/null (character devices) is harmless */
    for (size_t j = 0; j < n_in; j++) {
        struct stat sb;
        if (!in[j] || strcmp(in[j], "-") == 0 || stat(in[j], &sb) != 0 || S_ISCHR(sb.st_mode))
            continue;
        for (size_t i = 0; i < n; i++)
            if (po[i].exists && po[i].st.st_dev == sb.st_dev && po[i].st.st_ino == sb.st_ino) {
                rc = cli_usage_error(a->cmd, "output '%s' is the input '%s': writing it would destroy the input",
                                     outs[i], in[j]);
                goto done;
            }
    }
    for (size_t i = 0; i < n_json; i++)
        if ((rc = cli_check_report_json(a, json[i])) != EXIT_OK)
            goto done;
done:
    for (size_t i = 0; i < n_json; i++)
        free(json[i]);
    free(po);
    return rc;
}

int cli_check_output_folder(const cli_args *a, const char *dir, const char *input) {
    struct stat sb, ib;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return cli_usage_error(a->cmd, "output folder '%s' is a file, not a folder", dir);
        if (input && stat(input, &ib) == 0 && ib.st_dev == sb.st_dev && ib.st_ino == sb.st_ino)
            return cli_usage_error(a->cmd, "output folder '%s' is the input '%s': write the output elsewhere", dir,
                                   input);
        if (access(dir, W_OK | X_OK) != 0)
            return cli_usage_error(a->cmd, "output folder '%s' is not writable", dir);
        return EXIT_OK;
    }
    /* absent: the closest folder that exists above it must be writable, to create it there */
    char up[PATH_MAX];
    snprintf(up, sizeof up, "%s", dir);
    for (;;) {
        size_t n = strlen(up);
        while (n > 1 && up[n - 1] == '/')
            up[--n] = '\0';
        char *slash = strrchr(up, '/');
        if (!slash)
            snprintf(up, sizeof up, ".");
        else if (slash == up)
            up[1] = '\0';
        else
            *slash = '\0';
        if (stat(up, &sb) == 0)
            break;
        if (strcmp(up, ".") == 0 || strcmp(up, "/") == 0)
            return cli_usage_error(a->cmd, "cannot create output folder '%s'", dir);
    }
    if (!S_ISDIR(sb.st_mode) || access(up, W_OK | X_OK) != 0)
        return cli_usage_error(a->cmd, "cannot create output folder '%s': '%s' is not a writable folder", dir, up);
    return EXIT_OK;
}

int64_t cli_column_with_role(const plumb_frame *fr, plumb_role role) {
    for (int64_t j = 0; j < plumb_frame_n_columns(fr); j++) {
        plumb_column_info c;
        plumb_schema_column(plumb_frame_schema(fr), j, &c);
        if (c.role == role)
            return j;
    }
    return -1;
}

int cli_time_values(const cli_args *a, const plumb_frame *fr, double **out) {
    *out = NULL;
    const int64_t t = cli_column_with_role(fr, PLUMB_ROLE_TIME), n = plumb_frame_n_rows(fr);
    if (t < 0)
        return cli_usage_error(a->cmd, "--strategy time needs --time-col");
    const int64_t *i64 = plumb_frame_i64(fr, t);
    const double *f64 = plumb_frame_f64(fr, t);
    const float *f32 = plumb_frame_f32(fr, t);
    if (!i64 && !f64 && !f32)
        return cli_usage_error(a->cmd, "--time-col '%s' is read as text, not as dates or numbers",
                               cli_get(a, "time-col"));
    double *tm = malloc((size_t)(n + 1) * sizeof *tm);
    if (!(*out = tm))
        return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
    for (int64_t i = 0; i < n; i++)
        if (isnan(tm[i] = i64   ? (i64[i] == PLUMB_DATETIME_MISSING ? NAN : (double)i64[i])
                          : f64 ? f64[i]
                                : (double)f32[i])) {
            fprintf(stderr, "%s: time column '%s' is missing in data row %lld\n", a->pos[0], cli_get(a, "time-col"),
                    (long long)i + 1);
            return EXIT_DATA;
        }
    return EXIT_OK;
}

void cli_format_datetime(double seconds, char *buf, size_t n) {
    time_t t = (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (tm.tm_hour || tm.tm_min || tm.tm_sec)
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        strftime(buf, n, "%Y-%m-%d", &tm);
}
