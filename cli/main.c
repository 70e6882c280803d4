/* main.c -- the plumb command: a dispatch table of subcommands, each parsed from its own option table.
 *
 * Exit status: 0 success, 1 a data, model or runtime error, 2 a usage error (the message points to --help).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command *const commands[] = {
    &cli_inspect,  &cli_train,   &cli_predict,  &cli_explain,     &cli_eval,    &cli_cv,
    &cli_split,    &cli_audit,   &cli_synth,    &cli_report_cmd,  &cli_demo,    &cli_site,
    &cli_features, &cli_serve,   &cli_quantize, &cli_import,      &cli_distill, &cli_export,
    &cli_tune,     &cli_compile, &cli_forecast, &cli_bench_serve, &cli_monitor};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void print_main_help(void) {
    printf("usage: plumb [--version] [--help] <command> [<args>]\n\n"
           "plumb is a machine-learning toolkit for tabular data: it reads CSV into typed columns, trains, audits,\n"
           "explains, serves, forecasts and monitors models.\n\ncommands:\n");
    int w = 4; /* "help" */
    for (size_t i = 0; i < N_COMMANDS; i++)
        if ((int)strlen(commands[i]->name) > w)
            w = (int)strlen(commands[i]->name);
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-*s %s\n", w, commands[i]->name, commands[i]->summary);
    printf("  %-*s %s\n\n", w, "help", "show the help of a command");
    printf("'plumb <command> --help' or 'plumb help <command>' lists a command's options with their defaults.\n"
           "Exit status: 0 success, 1 data or runtime error, 2 usage error.\n");
}

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int n_options(const cli_command *cmd) {
    int n = 0;
    while (cmd->options[n].name)
        n++;
    return n;
}

/* Whether option name (dashes) matches the len bytes of arg, reading '_' in arg as '-': LightGBM's spellings
 * (--num_leaves) name the same options. */
static bool same_name(const char *name, const char *arg, size_t len) {
    if (strlen(name) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] != (arg[i] == '_' ? '-' : arg[i]))
            return false;
    return true;
}

/* Levenshtein distance between a (len bytes, '_' read as '-') and b, at most 63 bytes each (else a large number). */
static size_t edit_distance(const char *a, size_t la, const char *b) {
    const size_t lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        const char ca = a[i - 1] == '_' ? '-' : a[i - 1];
        for (size_t j = 1; j <= lb; j++) {
            const size_t up = row[j];
            const size_t sub = diag + (ca != b[j - 1]);
            const size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            diag = up;
        }
    }
    return row[lb];
}

/* The option nearest to an unknown name (within a third of its length, at most 3 edits), or NULL. */
static const char *nearest_option(const cli_command *cmd, const char *name, size_t len) {
    const char *best = NULL;
    size_t best_d = len / 3 < 3 ? len / 3 : 3;
    if (best_d == 0)
        best_d = 1;
    for (const cli_option *o = cmd->options; o->name; o++) {
        const size_t d = edit_distance(name, len, o->name);
        if (d <= best_d && (!best || d < best_d)) {
            best = o->name;
            best_d = d;
        }
    }
    return best;
}

/* Parses argv for cmd: --name value, --name=value, -x value, flags, "--" ends options. */
static int parse_args(const cli_command *cmd, int argc, char **argv, cli_args *a) {
    const int n = n_options(cmd);
    const char *flag = NULL, *flag_value = NULL; /* a flag followed by an argument: perhaps meant as its value */
    int flag_k = -1, flag_i = -1;                /* the last flag and where it was */
    a->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            while (++i < argc)
                a->pos[a->n_pos++] = argv[i];
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (!flag && flag_k >= 0 && flag_i == i - 1)
                flag = cmd->options[flag_k].name, flag_value = arg;
            a->pos[a->n_pos++] = arg;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_print_help(cmd);
            exit(EXIT_OK);
        }
        int k = -1;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (int o = 0; o < n; o++)
                if (same_name(cmd->options[o].name, name, len))
                    k = o;
            if (eq)
                value = eq + 1;
            const char *near = k < 0 ? nearest_option(cmd, name, len) : NULL;
            if (near)
                return cli_usage_error(cmd, "unknown option '%.*s' (did you mean --%s?)", (int)(len + 2), arg, near);
        } else if (arg[2] == '\0') {
            for (int o = 0; o < n; o++)
                if (cmd->options[o].short_name == arg[1])
                    k = o;
        }
        if (k < 0)
            return cli_usage_error(cmd, "unknown option '%s'", arg);
        const cli_option *opt = &cmd->options[k];
        if (!opt->arg) {
            if (value)
                return cli_usage_error(cmd, "option '--%s' takes no value", opt->name);
            a->values[k] = "1";
            flag_k = k, flag_i = i;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "option '--%s' needs a value (%s)", opt->name, opt->arg);
            value = argv[++i];
        }
        a->values[k] = value;
    }
    if (a->n_pos < cmd->min_pos)
        return cli_usage_error(cmd, "missing argument: usage: plumb %s %s", cmd->name, cmd->usage);
    if (a->n_pos > cmd->max_pos && flag)
        return cli_usage_error(cmd, "unexpected argument '%s' (option '--%s' takes no value%s%s%s)",
                               a->pos[cmd->max_pos], flag, flag_value == a->pos[cmd->max_pos] ? "" : ": '",
                               flag_value == a->pos[cmd->max_pos] ? "" : flag_value,
                               flag_value == a->pos[cmd->max_pos] ? "" : "' is an argument");
    if (a->n_pos > cmd->max_pos)
        return cli_usage_error(cmd, "unexpected argument '%s'", a->pos[cmd->max_pos]);
    return EXIT_OK;
}

/* Two settings of the process that take a re-execution, since the C library and libgomp read them from the
 * environment when they are loaded, before main; a user's own setting is left alone, and a failed exec just
 * carries on with the defaults.
 * - GNU OpenMP's threads busy-wait for up to 300,000 spins between parallel regions. When another busy process
 *   wants a core, a spinning thread holds it while its partner needs it, and the work collapses; measured beside
 *   one busy loop on 2 cores: training 300k rows x 28, 100 rounds, 10.3 s with the default spin, 4.4 s with
 *   10,000, 2.5 s with 1,000; the audit of 100k x 30, 12.4 s, 12.4 s, 6.8 s. On a quiet machine a spin of 1,000
 *   costs 4-6% of training time (and nothing on the audit).
 * - glibc's malloc in transparent huge pages (the glibc.malloc.hugetlb=1 tunable): on the 2-core VM a fresh
 *   4 KiB page costs about 10 us on first touch, and reading the 1M x 28 CSV (227 MB read into memory, 116 MB of
 *   columns) took 84,000 page faults and 3.0 s of CPU, against 15,500 faults and 1.55 s in 2 MiB pages. Not for
 *   `plumb serve`: a long-running server gives memory back in 4 KiB steps, and its soak measures that. */
static void tune_process(char **argv) {
    bool again = false;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        again = setenv("GOMP_SPINCOUNT", "1000", 0) == 0;
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (argv[1] && strcmp(argv[1], "serve") != 0 && !(tunables && strstr(tunables, "glibc.malloc.hugetlb"))) {
        char value[1024];
        int n = snprintf(value, sizeof value, "%s%sglibc.malloc.hugetlb=1", tunables ? tunables : "",
                         tunables && *tunables ? ":" : "");
        if (n > 0 && (size_t)n < sizeof value && setenv("GLIBC_TUNABLES", value, 1) == 0)
            again = true;
    }
    if (again)
        execv("/proc/self/exe", argv);
}

/* The library's warnings (a singular design, a class smaller than the folds) reach stderr, as the commands' own
 * warnings do, even under -q; its notes and debug lines stay silent: the commands say what matters themselves. */
static void log_warnings(plumb_log_level level, const char *message, void *user) {
    (void)user;
    if (level >= PLUMB_LOG_WARN)
        fprintf(stderr, "plumb: warning: %s\n", message);
}

int main(int argc, char **argv) {
    tune_process(argv);
    if (argc < 2) {
        print_main_help();
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_main_help();
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("plumb %s\n", plumb_version());
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_main_help();
            return EXIT_OK;
        }
        const cli_command *cmd = find_command(argv[2]);
        if (!cmd) {
            fprintf(stderr, "plumb: unknown command '%s'\nsee 'plumb --help'\n", argv[2]);
            return EXIT_USAGE;
        }
        cli_print_help(cmd);
        return EXIT_OK;
    }
    const cli_command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "plumb: unknown command '%s'\nsee 'plumb --help'\n", name);
        return EXIT_USAGE;
    }
    cli_args a = {.argc = argc - 2, .argv = argv + 2};
    a.values = calloc((size_t)n_options(cmd) + 1, sizeof *a.values);
    a.pos = calloc((size_t)argc, sizeof *a.pos);
    if (!a.values || !a.pos) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    int rc = parse_args(cmd, argc - 2, argv + 2, &a);
    cli_quiet = rc == EXIT_OK && cli_get(&a, "quiet");
    plumb_set_log(log_warnings, NULL);
    if (rc == EXIT_OK)
        rc = cmd->run(&a);
    free(a.values);
    free(a.pos);
    return rc;
}
