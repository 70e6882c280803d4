/* cmd_explain.c -- `plumb explain`: what a model learned, in terms a person can check. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_option options[] = {
    {"top", 0, "N", "all",
     "show the N most important: features (gbdt), coefficients by |per std| (linear, logistic), rules by rows (tree)"},
    {"json", 0, NULL, NULL, "print the explanation as JSON"},
    CLI_QUIET_OPTION(""),
    {NULL, 0, NULL, NULL, NULL},
};

typedef struct ranked {
    int64_t feature;
    plumb_importance imp;
} ranked;

static int by_gain(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->imp.gain != y->imp.gain)
        return x->imp.gain < y->imp.gain ? 1 : -1;
    return (x->feature > y->feature) - (x->feature < y->feature);
}

/* The class a binary model's probabilities are of, as a line and as JSON. */
static void print_positive(const plumb_model *model, const plumb_model_info *info) {
    if (info->task == PLUMB_TASK_BINARY && plumb_model_positive_class(model))
        printf("positive class: '%s' (probabilities are P(%s))\n", plumb_model_positive_class(model),
               plumb_model_positive_class(model));
}

static json_t *positive_json(const plumb_model *model, const plumb_model_info *info) {
    const char *pos = plumb_model_positive_class(model);
    return info->task == PLUMB_TASK_BINARY && pos ? json_string(pos) : json_null();
}

/* Gain and split-count importance of a gradient-boosted model, most important first. */
int cli_explain_gbdt(const cli_args *a, const plumb_model *model, const plumb_model_info *info) {
    plumb_error err;
    const int64_t F = info->n_features;
    plumb_importance *imp = malloc((size_t)(F + 1) * sizeof *imp);
    ranked *r = malloc((size_t)(F + 1) * sizeof *r);
    long long top = F;
    int rc = EXIT_OK;
    if (!imp || !r) {
        fprintf(stderr, "plumb: out of memory\n");
        rc = EXIT_DATA;
        goto done;
    }
    if (!cli_int(a, "top", 1, &top)) {
        rc = EXIT_USAGE;
        goto done;
    }
    if (plumb_model_importance(model, imp, &err) != PLUMB_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    double total_gain = 0;
    int64_t total_splits = 0;
    for (int64_t f = 0; f < F; f++) {
        r[f] = (ranked){f, imp[f]};
        total_gain += imp[f].gain;
        total_splits += imp[f].splits;
    }
    qsort(r, (size_t)F, sizeof *r, by_gain);
    const int64_t shown = top < F ? top : F;
    if (cli_get(a, "json")) {
        json_t *list = json_array();
        for (int64_t i = 0; i < shown; i++)
            json_array_append_new(list, json_pack("{s:s, s:f, s:f, s:I}", "feature",
                                                  plumb_model_feature_name(model, r[i].feature), "gain", r[i].imp.gain,
                                                  "gain_share", total_gain > 0 ? r[i].imp.gain / total_gain : 0.0,
                                                  "splits", (json_int_t)r[i].imp.splits));
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:o}", "model", info->kind, "task", plumb_task_name(info->task),
                      "objective", info->objective, "positive_class", positive_json(model, info), "n_trees",
                      (json_int_t)info->n_trees, "n_features", (json_int_t)F, "importance", list);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
        goto done;
    }
    printf("%s model, objective %s: %lld trees over %lld features, %lld splits\n", info->kind, info->objective,
           (long long)info->n_trees, (long long)F, (long long)total_splits);
    print_positive(model, info);
    printf("\n");
    printf("%-32s %14s %7s %8s\n", "feature", "gain", "share", "splits");
    for (int64_t i = 0; i < shown; i++)
        printf("%-32s %14.6g %6.1f%% %8lld\n", plumb_model_feature_name(model, r[i].feature), r[i].imp.gain,
               total_gain > 0 ? 100 * r[i].imp.gain / total_gain : 0.0, (long long)r[i].imp.splits);
    printf("\ngain: the loss reduction the feature's splits bought in training; a feature that holds most of it\n"
           "deserves a look for leakage. Per-row reasons: plumb predict --contrib.\n");
done:
    free(imp);
    free(r);
    return rc;
}

void cli_print_coefficients(const plumb_coefficient *co, int64_t n, bool logistic) {
    printf("%-32s %14s %14s%s\n", "coefficient", "per unit", "per std", logistic ? "     odds ratio" : "");
    for (int64_t j = 0; j < n; j++) {
        printf("%-32s %14.6g %14.6g", co[j].name, co[j].value, co[j].standardized);
        if (logistic)
            printf(" %14.6g", co[j].odds_ratio);
        printf("\n");
    }
}

static int by_abs_standardized(const void *a, const void *b) {
    const plumb_coefficient *x = a, *y = b;
    const double ax = fabs(x->standardized), ay = fabs(y->standardized);
    if (ax != ay)
        return ax < ay ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* A linear model's coefficients by name, with odds ratios for logistic regression; with --top N the N largest by
 * |per std| (the intercept, whose per std is 0, last). */
int cli_explain_linear(const cli_args *a, const plumb_model *model, const plumb_model_info *info) {
    const plumb_coefficient *all;
    plumb_coefficient *sorted = NULL;
    int64_t n;
    plumb_error err;
    if (plumb_model_coefficients(model, &all, &n, &err) != PLUMB_OK)
        return cli_fail(&err);
    long long top = n;
    if (!cli_int(a, "top", 1, &top))
        return EXIT_USAGE;
    const plumb_coefficient *co = all;
    if (cli_get(a, "top")) {
        if (!(sorted = malloc((size_t)(n + 1) * sizeof *sorted))) {
            fprintf(stderr, "plumb: out of memory\n");
            return EXIT_DATA;
        }
        memcpy(sorted, all, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, by_abs_standardized);
        co = sorted;
        if (top < n)
            n = top;
    }
    const bool logistic = info->task == PLUMB_TASK_BINARY;
    if (cli_get(a, "json")) {
        json_t *list = json_array();
        for (int64_t j = 0; j < n; j++)
            json_array_append_new(list, json_pack("{s:s, s:f, s:f, s:o}", "name", co[j].name, "value", co[j].value,
                                                  "standardized", co[j].standardized, "odds_ratio",
                                                  logistic ? json_real(co[j].odds_ratio) : json_null()));
        json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "model", "linear", "task", logistic ? "binary" : "regression",
                              "positive_class", positive_json(model, info), "coefficients", list);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
        free(sorted);
        return EXIT_OK;
    }
    printf("%s regression over %lld features\n", logistic ? "logistic" : "linear", (long long)info->n_features);
    print_positive(model, info); /* worded as for every kind */
    printf("\n");
    cli_print_coefficients(co, n, logistic);
    printf("\nper unit: the change of the %s when the input grows by one (categories: against none of them);\n"
           "per std: the same per standard deviation, comparable across features%s.\n",
           logistic ? "log-odds" : "prediction", logistic ? "; odds ratio: exp(per unit)" : "");
    free(sorted);
    return EXIT_OK;
}

typedef struct rule {
    const char *text;
    long long rows;
    size_t order;
} rule;

static int by_rows(const void *a, const void *b) {
    const rule *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows < y->rows ? 1 : -1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Keeps the top rules of text (one per line, each ending "(N rows)") with the most rows, in tree order. */
static int keep_top_rules(char *text, long long top) {
    size_t n = 0, len = strlen(text);
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    rule *r = malloc((n + 1) * sizeof *r);
    char *copy = malloc(len + 1);
    if (!r || !copy) {
        free(r);
        free(copy);
        fprintf(stderr, "plumb: out of memory\n");
        return EXIT_DATA;
    }
    memcpy(copy, text, len + 1);
    n = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *paren = strrchr(line, '(');
        r[n] = (rule){line, paren ? atoll(paren + 1) : 0, n};
        n++;
    }
    qsort(r, n, sizeof *r, by_rows);
    if ((size_t)top < n)
        n = (size_t)top;
    /* back to tree order, which keeps the conditions of neighbouring leaves together */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && r[j - 1].order > r[j].order; j--) {
            const rule t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    char *p = text;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\n", r[i].text);
    *p = '\0';
    free(r);
    free(copy);
    return EXIT_OK;
}

/* A decision tree as rules, one per leaf; with --top N the N leaves with the most training rows. */
int cli_explain_tree(const cli_args *a, const plumb_model *model, const plumb_model_info *info) {
    plumb_error err;
    char *rules = NULL;
    long long top = 0;
    if (!cli_int(a, "top", 1, &top))
        return EXIT_USAGE;
    if (plumb_model_rules(model, &rules, &err) != PLUMB_OK)
        return cli_fail(&err);
    if (top > 0 && keep_top_rules(rules, top) != EXIT_OK) {
        free(rules);
        return EXIT_DATA;
    }
    if (cli_get(a, "json")) {
        json_t *o = json_pack("{s:s, s:s, s:o, s:s}", "model", "tree", "task", plumb_task_name(info->task),
                              "positive_class", positive_json(model, info), "rules", rules);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
    } else {
        print_positive(model, info);
        fputs(rules, stdout);
    }
    free(rules);
    return EXIT_OK;
}

/* A kind the CLI has no explanation of (quantised trees keep no gains): what the model is and its features, and
 * where the explanation is. */
static int explain_other(const cli_args *a, const plumb_model *model, const plumb_model_info *info) {
    const int64_t F = info->n_features;
    const char *why = "this kind keeps no importance: explain the model it was made from";
    if (cli_get(a, "json")) {
        json_t *names = json_array();
        for (int64_t f = 0; f < F; f++)
            json_array_append_new(names, json_string(plumb_model_feature_name(model, f)));
        json_t *o = json_pack("{s:s, s:s, s:s?, s:o, s:I, s:I, s:o, s:s}", "model", info->kind, "task",
                              plumb_task_name(info->task), "objective", info->objective, "positive_class",
                              positive_json(model, info), "n_trees", (json_int_t)info->n_trees, "n_features",
                              (json_int_t)F, "features", names, "note", why);
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(o);
        return EXIT_OK;
    }
    printf("%s model (%s", info->kind, plumb_task_name(info->task));
    if (info->objective)
        printf(", objective %s", info->objective);
    if (info->n_trees > 0)
        printf(", %lld trees", (long long)info->n_trees);
    printf(") over %lld features:\n", (long long)F);
    for (int64_t f = 0; f < F; f++)
        printf("  %s\n", plumb_model_feature_name(model, f));
    print_positive(model, info);
    printf("\n%s.\n", why);
    return EXIT_OK;
}

static int run(const cli_args *a) {
    plumb_error err;
    plumb_model *model = NULL;
    if (plumb_model_load(a->pos[0], &model, &err) != PLUMB_OK)
        return cli_fail(&err);
    plumb_model_info info;
    plumb_model_describe(model, &info);
    const cli_kind *kind = cli_kind_of_model(model);
    const int rc = kind ? kind->explain(a, model, &info) : explain_other(a, model, &info);
    plumb_model_free(model);
    return rc;
}

const cli_command cli_explain = {
    .name = "explain",
    .usage = "[options] <model.plumb>",
    .summary = "show what a model learned: importance, coefficients and odds ratios, or a tree's rules",
    .details = "Gradient-boosted models: each feature's total split gain (its share of the loss reduction) and\n"
               "number of splits, most important first. For the reasons behind single predictions, 'plumb predict\n"
               "--contrib' writes each feature's TreeSHAP contribution per row.\n"
               "Linear and logistic regression: the coefficients by name, per unit and per standard deviation,\n"
               "with odds ratios for logistic regression.\n"
               "Decision trees (--model tree): one readable rule per leaf, with its prediction and rows.\n"
               "Other kinds (quantised trees): what the model is and its features.\n",
    .options = options,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
