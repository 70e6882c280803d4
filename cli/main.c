/* main.c -- the plumb command: a dispatch table of subcommands, each parsed from its own option table.
 *
 * Exit status: 0 success, 1 a data, model or runtime error, 2 a usage error (the message points to --help).
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command *const commands[] = {&cli_inspect,    &cli_train, &cli_predict, &cli_explain,
                                              &cli_eval,       &cli_cv,    &cli_audit,   &cli_synth,
                                              &cli_report_cmd, &cli_demo,  &cli_site};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void print_main_help(void) {
    printf("usage: plumb [--version] [--help] <command> [<args>]\n\n"
           "plumb is a machine-learning toolkit for tabular data: it reads CSV into typed columns, and (as it\n"
           "grows) trains, audits, explains, serves and monitors models.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
    printf("  %-10s %s\n\n", "help", "show the help of a command");
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

/* Parses argv for cmd: --name value, --name=value, -x value, flags, "--" ends options. */
static int parse_args(const cli_command *cmd, int argc, char **argv, cli_args *a) {
    const int n = n_options(cmd);
    a->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            while (++i < argc)
                a->pos[a->n_pos++] = argv[i];
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
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
                if (strlen(cmd->options[o].name) == len && strncmp(cmd->options[o].name, name, len) == 0)
                    k = o;
            if (eq)
                value = eq + 1;
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
    if (a->n_pos > cmd->max_pos)
        return cli_usage_error(cmd, "unexpected argument '%s'", a->pos[cmd->max_pos]);
    return EXIT_OK;
}

/* GNU OpenMP's threads busy-wait for up to 300,000 spins between parallel regions. When another busy process
 * wants a core, a spinning thread holds it while its partner needs it, and the work collapses; measured beside one
 * busy loop on 2 cores: training 300k rows x 28, 100 rounds, 10.3 s with the default spin, 4.4 s with 10,000,
 * 2.5 s with 1,000; the audit of 100k x 30, 12.4 s, 12.4 s, 6.8 s. On a quiet machine a spin of 1,000 costs 4-6%
 * of training time (and nothing on the audit). libgomp reads its environment when it is loaded, before main, so
 * the setting takes a re-execution. A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone, and a failed
 * exec just carries on with the defaults. */
static void tame_openmp_waits(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    if (setenv("GOMP_SPINCOUNT", "1000", 0) == 0)
        execv("/proc/self/exe", argv);
}

int main(int argc, char **argv) {
    tame_openmp_waits(argv);
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
    cli_args a = {0};
    a.values = calloc((size_t)n_options(cmd) + 1, sizeof *a.values);
    a.pos = calloc((size_t)argc, sizeof *a.pos);
    if (!a.values || !a.pos) {
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    int rc = parse_args(cmd, argc - 2, argv + 2, &a);
    if (rc == EXIT_OK)
        rc = cmd->run(&a);
    free(a.values);
    free(a.pos);
    return rc;
}
