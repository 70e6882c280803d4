/* cmd_serve.c -- `plumb serve`: options to a server configuration; the server is src/serve (docs/serve.md). */
#include "cli.h"
#include "serve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option options[] = {
    {"name", 0, "NAME", "the file's name without .plumb", "the name MODEL.plumb is served under"},
    {"model", 0, "NAME=FILE", NULL, "serve another model (repeatable)"},
    {"host", 0, "ADDR", "127.0.0.1", "address to listen on (0.0.0.0: every interface)"},
    {"port", 'p', "N", "8080", "port to listen on; 0: any free port (printed)"},
    {"threads", 't', "N", "the cores", "worker threads"},
    {"max-body", 0, "BYTES", "8388608", "largest request body (a batch of 10,000 rows of 20 features is about 4 MB)"},
    {"max-batch", 0, "N", "10000", "most rows in one request"},
    {"max-buffered", 0, "BYTES", "4 x max-body x threads", "request bodies held at once; beyond: 503"},
    {"max-depth", 0, "N", "32", "deepest JSON nesting"},
    {"max-string", 0, "BYTES", "65536", "longest JSON string"},
    {"timeout", 0, "S", "30", "close a connection idle (or sending its headers or body) this long"},
    {"max-connections", 0, "N", "1024", "most open connections"},
    {"drain-timeout", 0, "S", "30", "on SIGTERM, longest wait for requests in flight"},
    {"access-log", 0, "FILE", NULL, "append one JSON line per request"},
    {"fallback", 0, "FILE", NULL, "model that answers when the main one cannot (marked in the answer)"},
    {"deadline-ms", 0, "MS", "none", "with --features: past this, answer from the fallback (or 503)"},
    {"shadow", 0, "NAME=FILE", NULL, "also score model NAME's requests with FILE, log both (repeatable)"},
    {"shadow-log", 0, "FILE", NULL, "JSON lines of main and shadow predictions"},
    {"shadow-log-max", 0, "BYTES", "104857600", "rotate the shadow log to FILE.1 beyond this size"},
    {"shadow-budget-ms", 0, "MS", "5", "skip the shadow while its mean time per request is above this"},
    {"entity-key", 0, "COL", NULL, "input naming an entity whose stored features fill the row"},
    {"features", 0, "URI", NULL, "feature store: a SQLite file or redis://HOST:PORT"},
    {"features-table", 0, "NAME", "features", "table (SQLite) or key prefix (Redis) of the entities"},
    {"features-query", 0, "FILE", NULL,
     "with a SQLite --features: compute an entity's features per request with the SELECT in FILE (?1: the key)"},
    {"cache-size", 0, "N", "100000", "entities kept in memory; 0: no cache"},
    {"cache-ttl", 0, "S", "60", "seconds an entity stays cached; 0: forever"},
    {"missing-entity", 0, "WHAT", "error", "an unknown entity: 'error' (404) or 'missing' (missing values)"},
    CLI_QUIET_OPTION(": no line for a reload that succeeded"),
    {NULL, 0, NULL, NULL, NULL},
};

/* A whole number option from min to max; false after a usage error. */
static bool count_option(const cli_args *a, const char *name, const char *def, long long min, long long max,
                         long long *out) {
    const char *s = cli_get(a, name);
    if (!s)
        s = def;
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    if (end == s || *end || errno || *out < min || *out > max) {
        cli_usage_error(a->cmd, "--%s must be a whole number from %lld to %lld, not '%s'", name, min, max, s);
        return false;
    }
    return true;
}

/* A number option from 0 to max (*out keeps its default when the option is absent); false after a usage error.
 * The bound keeps the server's conversions (seconds to nanoseconds as uint64_t) defined. */
static bool time_option(const cli_args *a, const char *name, double max, double *out) {
    if (!cli_double(a, name, out))
        return false;
    if (!(*out >= 0 && *out <= max)) {
        cli_usage_error(a->cmd, "--%s must be a number from 0 to %.15g, not '%s'", name, max, cli_get(a, name));
        return false;
    }
    return true;
}

/* Collects every --NAME NAME=FILE (or --NAME=NAME=FILE) of argv into names and paths (argv strings, split in
 * place at the '='). */
static int collect_pairs(const cli_args *a, const char *option, const char **names, const char **paths, int max,
                         int *n) {
    const size_t lo = strlen(option);
    for (int i = 0; i < a->argc; i++) {
        char *arg = a->argv[i], *v = NULL;
        if (strcmp(arg, "--") == 0)
            break;
        if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, option, lo) != 0)
            continue;
        if (arg[2 + lo] == '=')
            v = arg + 3 + lo;
        else if (arg[2 + lo] == '\0' && i + 1 < a->argc)
            v = a->argv[++i];
        else
            continue;
        char *eq = strchr(v, '=');
        if (!eq || eq == v || !eq[1])
            return cli_usage_error(a->cmd, "--%s takes NAME=FILE, not '%s'", option, v);
        if (*n == max)
            return cli_usage_error(a->cmd, "at most %d --%s options", max, option);
        *eq = '\0';
        names[*n] = v;
        paths[(*n)++] = eq + 1;
    }
    return EXIT_OK;
}

/* The name a model file is served under: its base name without ".plumb". */
static char *default_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = strdup(base);
    const size_t n = name ? strlen(name) : 0;
    if (n > 6 && strcmp(name + n - 6, ".plumb") == 0)
        name[n - 6] = '\0';
    return name;
}

static int run(const cli_args *a) {
    enum { MAX_MODELS = 64 };
    const char *names[MAX_MODELS], *paths[MAX_MODELS], *shadow_names[MAX_MODELS], *shadow_paths[MAX_MODELS];
    int n = 0, n_shadows = 0, rc;
    char *first_name = NULL, *query_uri = NULL;
    if (a->n_pos == 1) {
        const char *given = cli_get(a, "name");
        first_name = given ? strdup(given) : default_name(a->pos[0]);
        names[0] = first_name;
        paths[n++] = a->pos[0];
    } else if (cli_get(a, "name")) {
        return cli_usage_error(a->cmd, "--name names MODEL.plumb, and there is none");
    }
    if ((rc = collect_pairs(a, "model", names, paths, MAX_MODELS, &n)) != EXIT_OK ||
        (rc = collect_pairs(a, "shadow", shadow_names, shadow_paths, MAX_MODELS, &n_shadows)) != EXIT_OK)
        goto done;
    rc = EXIT_USAGE;
    if (n == 0) {
        cli_usage_error(a->cmd, "no model to serve: give MODEL.plumb or --model NAME=FILE");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                cli_usage_error(a->cmd, "two models named '%s'", names[i]);
                goto done;
            }
    long long port, threads, max_body, max_batch, max_depth, max_string, timeout, max_conn, cache_size, log_max;
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char cores_text[24];
    snprintf(cores_text, sizeof cores_text, "%ld", cores > 0 ? cores : 1);
    if (!count_option(a, "port", "8080", 0, 65535, &port) ||
        !count_option(a, "threads", cores_text, 1, 1024, &threads) ||
        !count_option(a, "max-body", "8388608", 1, 1LL << 32, &max_body) ||
        !count_option(a, "max-batch", "10000", 1, 10000000, &max_batch) ||
        !count_option(a, "max-depth", "32", 2, 1000, &max_depth) ||
        !count_option(a, "max-string", "65536", 0, 1LL << 30, &max_string) ||
        !count_option(a, "timeout", "30", 1, 86400, &timeout) ||
        !count_option(a, "max-connections", "1024", 1, 1000000, &max_conn) ||
        !count_option(a, "cache-size", "100000", 0, 1LL << 40, &cache_size) ||
        !count_option(a, "shadow-log-max", "104857600", 0, 1LL << 50, &log_max))
        goto done;
    /* libmicrohttpd shares the connections out among its threads: a thread with none would accept nothing */
    if (max_conn < threads) {
        cli_usage_error(a->cmd, "--max-connections must be at least --threads (%lld), not %lld", threads, max_conn);
        goto done;
    }
    long long max_buffered;
    char buffered_text[32];
    snprintf(buffered_text, sizeof buffered_text, "%lld", 4 * max_body * threads);
    if (!count_option(a, "max-buffered", buffered_text, 0, 1LL << 50, &max_buffered))
        goto done;
    if (max_buffered < max_body) {
        cli_usage_error(a->cmd, "--max-buffered must be at least --max-body (%lld), not %lld", max_body, max_buffered);
        goto done;
    }
    double deadline = 0, drain = 30, budget = 5, ttl = 60;
    if (!time_option(a, "deadline-ms", 3600e3, &deadline) || !time_option(a, "drain-timeout", 86400, &drain) ||
        !time_option(a, "shadow-budget-ms", 3600e3, &budget) || !time_option(a, "cache-ttl", 365 * 86400.0, &ttl))
        goto done;
    const char *missing = cli_get(a, "missing-entity");
    if (missing && strcmp(missing, "error") != 0 && strcmp(missing, "missing") != 0) {
        cli_usage_error(a->cmd, "--missing-entity is 'error' or 'missing', not '%s'", missing);
        goto done;
    }
    if (!cli_get(a, "entity-key") != !cli_get(a, "features")) {
        cli_usage_error(a->cmd, "--entity-key and --features go together");
        goto done;
    }
    if (n_shadows && !cli_get(a, "shadow-log")) {
        cli_usage_error(a->cmd, "--shadow needs --shadow-log FILE for its predictions");
        goto done;
    }
    const char *host = cli_get(a, "host");
    const char *table = cli_get(a, "features-table"), *query = cli_get(a, "features-query");
    if (query && (table || !cli_get(a, "features") || strncmp(cli_get(a, "features"), "redis://", 8) == 0)) {
        cli_usage_error(a->cmd, "--features-query goes with a SQLite --features and without --features-table");
        goto done;
    }
    if (query && (query_uri = malloc(strlen(cli_get(a, "features")) + 7)))
        snprintf(query_uri, strlen(cli_get(a, "features")) + 7, "query:%s", cli_get(a, "features"));
    const plumb__serve_config cfg = {
        .host = host ? host : "127.0.0.1",
        .quiet = cli_quiet,
        .port = (int)port,
        .threads = (int)threads,
        .names = names,
        .paths = paths,
        .n_models = n,
        .shadow_names = shadow_names,
        .shadow_paths = shadow_paths,
        .n_shadows = n_shadows,
        .fallback_path = cli_get(a, "fallback"),
        .deadline_ms = deadline,
        .limits = {(size_t)max_body, max_batch, (int)max_depth, (size_t)max_string},
        .max_buffered = (size_t)max_buffered,
        .connection_timeout_s = (int)timeout,
        .max_connections = (int)max_conn,
        .drain_timeout_s = drain,
        .access_log = cli_get(a, "access-log"),
        .shadow_log = cli_get(a, "shadow-log"),
        .shadow_log_max = (size_t)log_max,
        .shadow_budget_ms = budget,
        .entity_key = cli_get(a, "entity-key"),
        .features = query_uri ? query_uri : cli_get(a, "features"),
        .features_table = query   ? query
                          : table ? table
                                  : "features",
        .cache_size = (size_t)cache_size,
        .cache_ttl_s = ttl,
        .missing_entity_ok = missing && strcmp(missing, "missing") == 0,
    };
    rc = plumb__serve_run(&cfg) == 0 ? EXIT_OK : EXIT_DATA;
done:
    free(first_name);
    free(query_uri);
    return rc;
}

const cli_command cli_serve = {
    "serve",
    "[MODEL.plumb] [options]",
    "answer scoring requests over HTTP (KServe v2 and v1 JSON)",
    "Endpoints: GET /v2/health/live, /v2/health/ready, /v2/models/NAME, /metrics; POST /v2/models/NAME/infer,\n"
    "/v1/models/NAME:predict, /v2/repository/models/NAME/load (reload the file). SIGHUP reloads every model;\n"
    "SIGTERM stops accepting, finishes the requests in flight and exits 0. docs/serve.md has the details.\n",
    options,
    0,
    1,
    run,
};
