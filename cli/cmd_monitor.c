/* cmd_monitor.c -- `plumb monitor`: new data against the reference profile inside a model file, per time window. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_ALERT = 3 };

static const cli_option options[] = {
    {"labels-col", 0, "COL", NULL, "the realised labels: measure performance beside the label-free estimate"},
    {"window", 0, "N[smhdw]", NULL, "with --time-col: the length of a window (7d, 24h; a bare number is days)"},
    {"alpha", 0, "P", "0.05", "false-alarm budget of a window's feature tests, split over the features"},
    {"json", 0, NULL, NULL, "print every statistic of every column and window as JSON (docs/monitor.md)"},
    CLI_QUIET_OPTION(""),
    CLI_READ_OPTIONS,
    {NULL, 0, NULL, NULL, NULL},
};

/* "7d", "24h", "90m", "3600s", "2w" or a bare number of days to seconds; 0 on a bad value. */
static int64_t parse_window(const char *s) {
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    double unit = 86400;
    if (*end && !end[1])
        unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : *end == 'w' ? 604800 : 0;
    else if (*end)
        unit = 0;
    const double secs = v * unit;
    return errno || end == s || !(secs >= 1) || secs > 1e12 ? 0 : (int64_t)secs;
}

static int run(const cli_args *a) {
    plumb_monitor_options o;
    plumb_monitor_options_init(&o);
    if (!cli_double(a, "alpha", &o.alpha))
        return EXIT_USAGE;
    if (!(o.alpha > 0 && o.alpha < 1))
        return cli_usage_error(a->cmd, "option '--alpha' expects a number between 0 and 1");
    if (cli_get(a, "window")) {
        if (!cli_get(a, "time-col"))
            return cli_usage_error(a->cmd, "option '--window' needs --time-col");
        if (!(o.window_seconds = parse_window(cli_get(a, "window"))))
            return cli_usage_error(a->cmd, "option '--window' expects a length such as 7d, 24h or 30m, not '%s'",
                                   cli_get(a, "window"));
    } else if (cli_get(a, "time-col")) {
        o.window_seconds = 86400; /* a day */
    }
    o.time_column = cli_get(a, "time-col");
    o.labels_column = cli_get(a, "labels-col");
    long long threads = 0;
    if (!cli_threads(a, &threads))
        return EXIT_USAGE;
    o.threads = (int)threads;
    plumb_error err;
    plumb_model *model = NULL;
    plumb_frame *data = NULL;
    plumb_monitor *mon = NULL;
    char *text = NULL;
    int rc = EXIT_OK;
    if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_read_frame(a, a->pos[1], plumb_model_schema(model), &data)) != EXIT_OK)
        goto done;
    if (plumb_monitor_run(model, data, &o, &mon, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    text = cli_get(a, "json") ? plumb_monitor_json(mon) : plumb_monitor_text(mon);
    if (!text) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    fputs(text, stdout);
    if (cli_get(a, "json"))
        fputc('\n', stdout);
    rc = plumb_monitor_n_alerts(mon) > 0 ? EXIT_ALERT : EXIT_OK;
done:
    free(text);
    plumb_monitor_free(mon);
    plumb_frame_free(data);
    plumb_model_free(model);
    return rc;
}

const cli_command cli_monitor = {
    .name = "monitor",
    .usage = "[options] <model.plumb> <new.csv>",
    .summary = "compare new data with the profile inside the model: drift, breaks, estimated performance",
    .details = "Per feature (docs/monitor.md): drift by KS (numeric) or chi-square (categorical) up to 1,000 rows,\n"
               "by Wasserstein over the training std or Jensen-Shannon above (threshold 0.1), PSI beside; the\n"
               "missing rate against training, values outside the training range, unseen categories; columns\n"
               "missing or retyped; the score's drift; for binary models the AUC expected from the calibrated\n"
               "scores (CBPE) and, with --labels-col, the realised one. With --time-col, per window (default a day).\n"
               "Exit status: 0 without alerts, 3 with (so a scheduler can act), 1 on bad input, 2 on a usage error.\n",
    .options = options,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
