/* cmd_audit.c -- `plumb audit`: find data leakage and bad labels before a model reaches production. */
#include "cli.h"
#include "record.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_CRITICAL = 3 };

static const cli_option options[] = {
    {"test", 0, "FILE", NULL, "a test set: checked against the data (duplicates, ids, time order, target rate)"},
    {"model", 0, "FILE", NULL, "a trained model to audit too: its gain and its score on --test"},
    {"outcome-window", 0, "DAYS", NULL, "rows younger than this (before the last date) have immature labels"},
    {"positive-class", 0, "VALUE", "the last category", "binary target with text values: the positive class"},
    {"folds", 'k', "N", "5", "cross-validation folds of the audit's models"},
    {"seed", 0, "N", CLI_SEED_DEFAULT, "seed of the folds and shuffles"},
    {"threshold", 0, "CHECK=X,...", NULL,
     "set a check's threshold (recorded in the JSON): single_feature_power (warning), single_feature_power_critical, "
     "too_good, gain_concentration, missingness, id_leak (and row order), random_vs_time, label_noise"},
    {"json", 0, NULL, NULL, "print every finding and measurement as JSON instead of the text (docs/audit.md)"},
    CLI_QUIET_OPTION("; standard output: only the findings' one-line titles"),
    CLI_REPORT_OPTION,
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

/* The thresholds --threshold sets, by the check that uses them. */
static double *threshold_field(plumb_audit_options *o, const char *check, size_t len) {
    static const struct {
        const char *check;
        size_t offset;
    } table[] = {
        {"single_feature_power", offsetof(plumb_audit_options, single_power_warning)},
        {"single_feature_power_critical", offsetof(plumb_audit_options, single_power_critical)},
        {"too_good", offsetof(plumb_audit_options, too_good)},
        {"gain_concentration", offsetof(plumb_audit_options, gain_share)},
        {"missingness", offsetof(plumb_audit_options, missing_power)},
        {"id_leak", offsetof(plumb_audit_options, id_power)},
        {"random_vs_time", offsetof(plumb_audit_options, split_gap)},
        {"label_noise", offsetof(plumb_audit_options, label_noise)},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strlen(table[i].check) == len && strncmp(table[i].check, check, len) == 0)
            return (double *)((char *)o + table[i].offset);
    return NULL;
}

/* Parses --threshold CHECK=X[,CHECK=X...] into o; false (after a usage error) on a bad item. */
static bool parse_thresholds(const cli_args *a, plumb_audit_options *o) {
    const char *p = cli_get(a, "threshold");
    while (p && *p) {
        const char *end = strchr(p, ','), *eq = memchr(p, '=', end ? (size_t)(end - p) : strlen(p));
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        double *field = eq ? threshold_field(o, p, (size_t)(eq - p)) : NULL;
        char *stop = NULL;
        const double v = eq ? strtod(eq + 1, &stop) : NAN;
        if (!field || stop != p + len || eq + 1 == stop || !isfinite(v) || v < 0) {
            cli_usage_error(a->cmd,
                            "option '--threshold' expects CHECK=X with a known check and a number >= 0, not "
                            "'%.*s'",
                            (int)len, p);
            return false;
        }
        *field = v;
        p = end ? end + 1 : NULL;
    }
    return true;
}

static int run(const cli_args *a) {
    plumb_audit_options o;
    plumb_audit_options_init(&o);
    long long folds = o.n_folds, seed = CLI_SEED;
    if (!cli_int(a, "folds", 2, &folds) || !cli_int(a, "seed", 0, &seed) ||
        !cli_double(a, "outcome-window", &o.outcome_window_days))
        return EXIT_USAGE;
    if (!parse_thresholds(a, &o))
        return EXIT_USAGE;
    if (cli_check_outputs(a, CLI_FILES(cli_get(a, "report"))) != EXIT_OK)
        return EXIT_USAGE;
    if (cli_get(a, "outcome-window") && !(o.outcome_window_days > 0))
        return cli_usage_error(a->cmd, "option '--outcome-window' expects a number of days > 0");
    o.n_folds = (int32_t)folds;
    o.seed = (uint64_t)seed;
    o.positive_class = cli_get(a, "positive-class");
    plumb_error err;
    plumb_frame *data = NULL, *test = NULL;
    plumb_model *model = NULL;
    plumb_audit *audit = NULL;
    char *json = NULL;
    int rc = cli_read_frame(a, a->pos[0], NULL, &data);
    if (rc != EXIT_OK)
        goto done;
    plumb_column_info target;
    const int64_t ycol = cli_column_with_role(data, PLUMB_ROLE_TARGET);
    if (ycol < 0) {
        rc = cli_usage_error(a->cmd, "no target: name the column to audit with --target (or give it the role target "
                                     "in --schema)");
        goto done;
    }
    plumb_schema_column(plumb_frame_schema(data), ycol, &target);
    const int64_t tcol = cli_column_with_role(data, PLUMB_ROLE_TIME);
    if (tcol >= 0 && !plumb_frame_i64(data, tcol) && !plumb_frame_f64(data, tcol) && !plumb_frame_f32(data, tcol)) {
        rc =
            cli_usage_error(a->cmd, "--time-col '%s' is read as text, not as dates or numbers", cli_get(a, "time-col"));
        goto done;
    }
    if (cli_get(a, "test") && (rc = cli_read_frame(a, cli_get(a, "test"), plumb_frame_schema(data), &test)) != EXIT_OK)
        goto done;
    if (cli_get(a, "model") && plumb_model_load(cli_get(a, "model"), &model, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    o.test = test;
    o.model = model;
    if (plumb_audit_run(data, &o, &audit, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (cli_get(a, "report")) {
        plumb_run_options ro;
        plumb_run_options_init(&ro);
        ro.data_path = a->pos[0];
        ro.target = target.name;
        plumb_run *run = NULL;
        const plumb_status made = plumb_run_audit(&ro, plumb_frame_n_rows(data), audit, &run, &err);
        if ((rc = cli_record_write(made, run, &err, cli_get(a, "report"))) != EXIT_OK)
            goto done;
    }
    if (cli_get(a, "json")) {
        if (!(json = plumb_audit_json(audit))) {
            fprintf(stderr, "plumb: out of memory\n");
            rc = EXIT_DATA;
            goto done;
        }
        puts(json);
        goto verdict;
    }
    const int64_t n = plumb_audit_n_findings(audit);
    int64_t count[3] = {0};
    for (int64_t i = 0; i < n; i++)
        count[plumb_audit_finding(audit, i)->severity]++;
    printf("audit of '%s': %lld rows, %lld finding%s (%lld critical, %lld warning%s, %lld info)\n\n", a->pos[0],
           (long long)plumb_frame_n_rows(data), (long long)n, n == 1 ? "" : "s",
           (long long)count[PLUMB_SEVERITY_CRITICAL], (long long)count[PLUMB_SEVERITY_WARNING],
           count[PLUMB_SEVERITY_WARNING] == 1 ? "" : "s", (long long)count[PLUMB_SEVERITY_INFO]);
    for (int64_t i = 0; i < n; i++) {
        const plumb_finding *f = plumb_audit_finding(audit, i);
        printf("%-8s  %s\n", plumb_severity_name(f->severity), f->title);
        if (!cli_get(a, "quiet"))
            printf("          evidence: %s\n          action:   %s\n          check:    %s\n\n", f->evidence, f->action,
                   f->check);
    }
    if (n == 0)
        printf("no finding: nothing in the data looks like leakage or bad labels to these checks\n");
verdict:
    for (int64_t i = 0; i < plumb_audit_n_findings(audit); i++)
        if (plumb_audit_finding(audit, i)->severity == PLUMB_SEVERITY_CRITICAL)
            rc = EXIT_CRITICAL;
done:
    free(json);
    plumb_audit_free(audit);
    plumb_model_free(model);
    plumb_frame_free(test);
    plumb_frame_free(data);
    return rc;
}

const cli_command cli_audit = {
    .name = "audit",
    .usage = "[options] [--target COL] <data.csv>",
    .summary = "find data leakage and bad labels: ranked findings with evidence and actions",
    .details =
        "Checks (docs/audit.md): the out-of-fold power of every feature alone, of its missingness, and of a\n"
        "full model (too good to be true?); how much of the model one feature holds; features the schema says\n"
        "become known after the moment of prediction, and features that behave like values filled in after the\n"
        "fact (strong on old rows, weak or missing on recent ones); identifiers and row order that carry the\n"
        "label; random against time-split validation; with --test: duplicates, shared ids, test rows older than\n"
        "training rows, a shifted target rate; labels the out-of-fold model finds very unlikely (confident\n"
        "learning) and, with --time-col and --outcome-window, labels too recent to be final; gain against\n"
        "permutation importance; train, validation and out-of-time scores.\n"
        "Exit status: 0 without critical findings, 3 with (so it can gate a pipeline), 1 on bad input, 2 on a\n"
        "usage error.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
