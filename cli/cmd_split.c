/* cmd_split.c -- `plumb split`: one train/test split of a CSV file into two CSV files, so nobody splits with awk.
 *
 * The rows are assigned by the library's splits (plumb_split_*: random, stratified, group, time with a gap), the
 * same code that `plumb cv` folds with; the output files carry the input's header and its records byte for byte
 * (numbers, dates and ids are not re-formatted), in input order. The input is read twice: once as a frame for the
 * roles the split needs, once as raw records, so it must be a file, not standard input.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"train", 0, "FILE", NULL, "where to write the training rows (required)"},
    {"test", 0, "FILE", NULL, "where to write the test rows (required)"},
    {"strategy", 0, "NAME", "random",
     "random, stratified (by --target's classes), group (rows of a --group-col value stay together) or time (the "
     "latest rows by --time-col are the test)"},
    {"test-size", 0, "F", "0.2", "share of the rows in the test file (random, stratified, group: 1/k of k folds)"},
    {"gap", 0, "N", "0", "time: rows left out between the training rows and the test rows"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the random, stratified and group assignment"},
    CLI_QUIET_OPTION("; standard output: nothing on success"),
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

static const char *const strategy_names[] = {"random", "stratified", "group", "time"};

/* The per-row input the strategy needs (class, group or time), allocated into *buf. */
static int strategy_inputs(const cli_args *a, const plumb_frame *fr, plumb_split_options *o, void **buf) {
    const int64_t n = plumb_frame_n_rows(fr);
    *buf = NULL;
    if (o->strategy == PLUMB_SPLIT_STRATIFIED || o->strategy == PLUMB_SPLIT_GROUP) {
        const bool strat = o->strategy == PLUMB_SPLIT_STRATIFIED;
        const int64_t col = cli_column_with_role(fr, strat ? PLUMB_ROLE_TARGET : PLUMB_ROLE_GROUP);
        if (col < 0)
            return cli_usage_error(a->cmd, "--strategy %s needs %s", strat ? "stratified" : "group",
                                   strat ? "--target" : "--group-col");
        const int32_t *codes = plumb_frame_codes(fr, col);
        const uint8_t *u8 = plumb_frame_u8(fr, col);
        const double *f64 = plumb_frame_f64(fr, col);
        int64_t *v = malloc((size_t)(n + 1) * sizeof *v);
        if (!(*buf = v))
            return cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        plumb_column_info c;
        plumb_schema_column(plumb_frame_schema(fr), col, &c);
        for (int64_t i = 0; i < n; i++) {
            v[i] = codes ? codes[i]
                   : u8  ? (u8[i] == PLUMB_BOOL_MISSING ? -1 : u8[i])
                   : f64 && f64[i] >= 0 && f64[i] == floor(f64[i]) && f64[i] < 1e15 ? (int64_t)f64[i]
                                                                                    : -1;
            if (v[i] < 0) {
                fprintf(stderr, "%s: %s column '%s' is missing or not a class in data row %lld\n", a->pos[0],
                        strat ? "target" : "group", c.name, (long long)i + 1);
                return EXIT_DATA;
            }
        }
        if (strat)
            o->labels = v;
        else
            o->groups = v;
    } else if (o->strategy == PLUMB_SPLIT_TIME) {
        double *tm = NULL;
        const int rc = cli_time_values(a, fr, &tm);
        *buf = tm;
        if (rc != EXIT_OK)
            return rc;
        o->times = tm;
    }
    return EXIT_OK;
}

/* The whole file at path, NUL-terminated, into *text (*len bytes). */
static int read_all(const char *path, char **text, size_t *len) {
    FILE *f = fopen(path, "rb");
    *text = NULL;
    *len = 0;
    size_t cap = 0;
    if (!f) {
        fprintf(stderr, "plumb: cannot open '%s': %s\n", path, strerror(errno));
        return EXIT_DATA;
    }
    for (;;) {
        if (*len + 65536 + 1 > cap) {
            char *t = realloc(*text, cap = 2 * cap + 65536 + 1);
            if (!t) {
                fclose(f);
                fprintf(stderr, "plumb: out of memory\n");
                return EXIT_DATA;
            }
            *text = t;
        }
        const size_t got = fread(*text + *len, 1, 65536, f);
        *len += got;
        if (got < 65536)
            break;
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "plumb: cannot read '%s'\n", path);
        return EXIT_DATA;
    }
    (*text)[*len] = '\0';
    return EXIT_OK;
}

/* The end of the CSV record that starts at p (after its line break): line breaks inside quotes belong to it. */
static const char *record_end(const char *p, const char *end) {
    bool quoted = false;
    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            return p + 1;
    }
    return end;
}

static bool blank(const char *p, const char *e) {
    return e - p == 0 || (e - p == 1 && p[0] == '\n') || (e - p == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Writes the header and the records whose role is want, each as it was read. */
static int write_rows(const char *path, const char *text, size_t len, const uint8_t *role, int64_t n, uint8_t want,
                      int64_t *written) {
    plumb_error err;
    plumb_outfile *file = NULL;
    FILE *f;
    if (plumb_outfile_open(path, &file, &f, &err) != PLUMB_OK)
        return cli_fail(&err);
    const char *end = text + len, *p = text, *e = record_end(p, end);
    fwrite(p, 1, (size_t)(e - p), f);
    if (e > p && e[-1] != '\n')
        fputc('\n', f);
    int64_t row = 0;
    *written = 0;
    for (p = e; p < end; p = e) {
        e = record_end(p, end);
        if (blank(p, e))
            continue;
        if (row >= n)
            break;
        if (role[row++] == want) {
            fwrite(p, 1, (size_t)(e - p), f);
            if (e[-1] != '\n')
                fputc('\n', f);
            ++*written;
        }
    }
    if (row != n) {
        plumb_outfile_abort(file);
        fprintf(stderr, "plumb: cannot match the %lld data rows of the file to its records\n", (long long)n);
        return EXIT_DATA;
    }
    return plumb_outfile_commit(file, &err) == PLUMB_OK ? EXIT_OK : cli_fail(&err);
}

static int run(const cli_args *a) {
    const char *train_path = cli_get(a, "train"), *test_path = cli_get(a, "test"), *sname = cli_get(a, "strategy");
    double test_size = 0.2;
    long long gap = 0, seed = CLI_SEED;
    if (!train_path || !test_path)
        return cli_usage_error(a->cmd, "give both --train FILE and --test FILE");
    if (strcmp(a->pos[0], "-") == 0)
        return cli_usage_error(a->cmd, "split reads its input twice: give a file, not standard input");
    if (!cli_double(a, "test-size", &test_size) || !cli_int(a, "gap", 0, &gap) || !cli_int(a, "seed", 0, &seed))
        return EXIT_USAGE;
    if (!(test_size > 0 && test_size <= 0.5))
        return cli_usage_error(a->cmd, "option '--test-size' expects a share in (0, 0.5], got %g", test_size);
    int strategy = sname ? -1 : 0;
    for (int s = 0; sname && s < 4; s++)
        if (strcmp(sname, strategy_names[s]) == 0)
            strategy = s;
    if (strategy < 0)
        return cli_usage_error(a->cmd, "unknown strategy '%s' (expected random, stratified, group or time)", sname);
    if (cli_get(a, "gap") && strategy != PLUMB_SPLIT_TIME)
        return cli_usage_error(a->cmd, "--gap goes with --strategy time");
    if (strcmp(train_path, test_path) == 0 || strcmp(train_path, a->pos[0]) == 0 || strcmp(test_path, a->pos[0]) == 0)
        return cli_usage_error(a->cmd, "--train, --test and the input must be three different files");

    plumb_frame *frame = NULL;
    plumb_split *split = NULL;
    void *buf = NULL;
    uint8_t *role = NULL;
    char *text = NULL;
    size_t len = 0;
    plumb_error err;
    int rc = cli_read_frame(a, a->pos[0], NULL, &frame);
    if (rc != EXIT_OK)
        goto done;
    const int64_t n = plumb_frame_n_rows(frame);
    plumb_split_options so;
    plumb_split_options_init(&so);
    so.strategy = (plumb_split_strategy)strategy;
    so.seed = (uint64_t)seed;
    so.gap = gap;
    /* k folds with a test share of 1/k; time: k expanding windows whose last test block is n / (k + 1) rows */
    const int32_t k = (int32_t)floor(1 / test_size + 0.5);
    so.n_folds = strategy == PLUMB_SPLIT_TIME ? (k - 1 < 2 ? 2 : k - 1) : k;
    if ((rc = strategy_inputs(a, frame, &so, &buf)) != EXIT_OK)
        goto done;
    if (!(role = malloc((size_t)(n + 1)))) {
        rc = cli_fail(&(plumb_error){.code = PLUMB_ENOMEM});
        goto done;
    }
    if (plumb_split_create(n, &so, &split, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    plumb_split_roles(split, strategy == PLUMB_SPLIT_TIME ? so.n_folds - 1 : 0, role);
    int64_t n_train = 0, n_test = 0;
    if ((rc = read_all(a->pos[0], &text, &len)) != EXIT_OK ||
        (rc = write_rows(train_path, text, len, role, n, PLUMB_FOLD_TRAIN, &n_train)) != EXIT_OK ||
        (rc = write_rows(test_path, text, len, role, n, PLUMB_FOLD_TEST, &n_test)) != EXIT_OK)
        goto done;
    if (!cli_get(a, "quiet")) {
        printf("split %lld rows (%s): %lld to '%s', %lld to '%s'", (long long)n, strategy_names[strategy],
               (long long)n_train, train_path, (long long)n_test, test_path);
        if (n - n_train - n_test > 0)
            printf(", %lld left out (the gap)", (long long)(n - n_train - n_test));
        printf("\n");
    }
done:
    free(text);
    free(role);
    free(buf);
    plumb_split_free(split);
    plumb_frame_free(frame);
    return rc;
}

const cli_command cli_split = {
    .name = "split",
    .usage = "[options] --train FILE --test FILE <data.csv>",
    .summary = "split a CSV file into training and test files: random, stratified, group or by time",
    .details = "The rows are assigned by the same splits as 'plumb cv' (docs/split.md) and copied byte for byte, with\n"
               "the header, in input order. random, stratified and group take one fold of k = 1/--test-size;\n"
               "time holds out the latest rows (scikit-learn's TimeSeriesSplit, last fold), after --gap rows.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
