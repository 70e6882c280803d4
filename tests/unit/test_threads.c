/* test_threads.c -- the library under a host's threads: shared models read by many threads at once, the
 * process-wide setters changed while they run, and the cap on thread counts.
 *
 * The stress case runs 8 threads x 200 rounds of predict, describe, feature names, importance, contributions,
 * rules, coefficients, loading a model from a shared buffer, saving, rendering a report and training a small
 * logistic model (which logs), on models shared by all threads, while a ninth thread keeps swapping the log
 * callback between two (function, user) pairs and the default thread count. Every prediction must equal the one
 * computed alone beforehand, and every log message must reach a function together with its own user pointer.
 * .ci/run builds this file with ThreadSanitizer (OpenMP off), where any data race fails it too.
 */
#include "test.h"

#include "base/base.h"

#include <pthread.h>
#include <stdatomic.h>

#define N_THREADS 8
#define N_ROUNDS 200

typedef struct shared {
    plumb_frame *frame, *small;
    plumb_model *gbdt, *linear, *tree;
    double *want[3]; /* predictions of each model, computed by one thread before the others start */
    char *model_file;
    size_t model_len;
    char *record;
    atomic_int failures;
    atomic_bool stop;
} shared;

static int tag_a, tag_b;
static atomic_long torn, delivered;

static void log_a(plumb_log_level level, const char *message, void *user) {
    (void)level;
    (void)message;
    atomic_fetch_add(&delivered, 1);
    if (user != &tag_a)
        atomic_fetch_add(&torn, 1);
}

static void log_b(plumb_log_level level, const char *message, void *user) {
    (void)level;
    (void)message;
    atomic_fetch_add(&delivered, 1);
    if (user != &tag_b)
        atomic_fetch_add(&torn, 1);
}

static plumb_frame *credit_frame(int64_t rows) {
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = rows;
    o.n_months = 12;
    o.n_threads = 1;
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    plumb_error err;
    assert_int_equal(plumb_synth_credit_write(&o, f, NULL, &err), PLUMB_OK);
    fclose(f);
    plumb_schema *schema = NULL;
    assert_int_equal(plumb_synth_credit_schema(&schema, &err), PLUMB_OK);
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.schema = schema;
    ro.n_threads = 1;
    plumb_frame *frame = NULL;
    assert_int_equal(plumb_frame_read_buffer(csv, len, &ro, &frame, &err), PLUMB_OK);
    plumb_schema_free(schema);
    free(csv);
    return frame;
}

static plumb_model *train_linear(const plumb_frame *frame) {
    plumb_linear_params p;
    plumb_linear_params_init(&p);
    p.positive_class = "bad";
    p.n_threads = 1;
    plumb_model *m = NULL;
    plumb_error err;
    return plumb_linear_train(frame, &p, &m, &err) == PLUMB_OK ? m : NULL;
}

static void setup(shared *s) {
    memset(s, 0, sizeof *s);
    s->frame = credit_frame(400);
    s->small = credit_frame(60);
    plumb_error err;
    plumb_gbdt_params gp;
    plumb_gbdt_params_init(&gp);
    gp.num_iterations = 10;
    gp.positive_class = "bad";
    gp.n_threads = 1;
    assert_int_equal(plumb_gbdt_train(s->frame, NULL, &gp, &s->gbdt, &err), PLUMB_OK);
    assert_non_null(s->linear = train_linear(s->frame));
    plumb_tree_params tp;
    plumb_tree_params_init(&tp);
    tp.positive_class = "bad";
    tp.max_depth = 4;
    tp.n_threads = 1;
    assert_int_equal(plumb_tree_train(s->frame, &tp, &s->tree, &err), PLUMB_OK);
    const plumb_model *models[3] = {s->gbdt, s->linear, s->tree};
    const plumb_predict_options one = {.threads = 1};
    for (int k = 0; k < 3; k++) {
        s->want[k] = calloc((size_t)plumb_frame_n_rows(s->frame), sizeof(double));
        assert_int_equal(plumb_model_predict(models[k], s->frame, &one, s->want[k], &err), PLUMB_OK);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/plumb_threads_%d.plumb", plumb_test_tmp_dir(), (int)getpid());
    assert_int_equal(plumb_model_save(s->gbdt, path, &err), PLUMB_OK);
    FILE *f = fopen(path, "rb");
    FILE *m = open_memstream(&s->model_file, &s->model_len);
    char buf[65536];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;)
        fwrite(buf, 1, got, m);
    fclose(f);
    fclose(m);
    unlink(path);
    s->record = strdup("{\"plumb_run\": 1, \"kind\": \"eval\", \"evaluations\": [{\"name\": \"test\", \"metrics\": "
                       "{\"roc_auc\": 0.81}, \"curves\": {\"roc\": {\"fpr\": [0, 0.3, 1], \"tpr\": [0, 0.7, 1]}}}]}");
}

static void teardown(shared *s) {
    plumb_model_free(s->gbdt);
    plumb_model_free(s->linear);
    plumb_model_free(s->tree);
    plumb_frame_free(s->frame);
    plumb_frame_free(s->small);
    for (int k = 0; k < 3; k++)
        free(s->want[k]);
    free(s->model_file);
    free(s->record);
}

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "thread check failed at line %d: %s\n", __LINE__, #cond);                                  \
            atomic_fetch_add(&s->failures, 1);                                                                         \
        }                                                                                                              \
    } while (0)

typedef struct worker {
    shared *s;
    int id;
} worker;

static void *work(void *arg) {
    const worker *w = arg;
    shared *s = w->s;
    const int64_t n = plumb_frame_n_rows(s->frame);
    double *out = calloc((size_t)n * 32, sizeof *out);
    const plumb_model *models[3] = {s->gbdt, s->linear, s->tree};
    const plumb_predict_options one = {.threads = 1};
    char path[600];
    snprintf(path, sizeof path, "%s/plumb_threads_%d_%d.plumb", plumb_test_tmp_dir(), (int)getpid(), w->id);
    plumb_error err;
    for (int round = 0; round < N_ROUNDS && out; round++) {
        const int k = (round + w->id) % 3;
        CHECK(plumb_model_predict(models[k], s->frame, &one, out, &err) == PLUMB_OK);
        CHECK(memcmp(out, s->want[k], (size_t)n * sizeof *out) == 0);
        plumb_model_info info;
        plumb_model_describe(models[k], &info);
        CHECK(info.n_features > 0);
        for (int64_t f = 0; f < info.n_features && k == 0; f++)
            CHECK(plumb_model_feature_name(models[k], f) != NULL);
        switch (round % 8) {
        case 0: {
            plumb_model_info g;
            plumb_model_describe(s->gbdt, &g);
            plumb_importance *imp = calloc((size_t)g.n_features, sizeof *imp);
            CHECK(imp && plumb_model_importance(s->gbdt, imp, &err) == PLUMB_OK);
            free(imp);
            break;
        }
        case 1:
            CHECK(plumb_model_contrib(s->gbdt, s->small, &one, out, &err) == PLUMB_OK);
            break;
        case 2: {
            char *rules = NULL;
            CHECK(plumb_model_rules(s->tree, &rules, &err) == PLUMB_OK && rules && rules[0]);
            free(rules);
            break;
        }
        case 3: {
            const plumb_coefficient *c;
            int64_t nc;
            CHECK(plumb_model_coefficients(s->linear, &c, &nc, &err) == PLUMB_OK && nc > 1);
            break;
        }
        case 4: {
            plumb_model *m = NULL;
            CHECK(plumb_model_load_buffer(s->model_file, s->model_len, "shared", &m, &err) == PLUMB_OK);
            plumb_model_free(m);
            break;
        }
        case 5:
            if (round % 40 == 5)
                CHECK(plumb_model_save(s->gbdt, path, &err) == PLUMB_OK);
            break;
        case 6: {
            char *page = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&page, &len);
            CHECK(plumb_report_render(s->record, strlen(s->record), "run.json", f, &err) == PLUMB_OK);
            fclose(f);
            CHECK(page && strstr(page, "viewBox=\"0 0 480.0 "));
            free(page);
            break;
        }
        case 7:
            if (round % 40 == 7) {
                plumb_model *m = train_linear(s->small); /* logs its iterations at debug level */
                CHECK(m != NULL);
                plumb_model_free(m);
            }
            break;
        }
    }
    unlink(path);
    free(out);
    return NULL;
}

static void *swap_settings(void *arg) {
    shared *s = arg;
    for (unsigned i = 0; !atomic_load(&s->stop); i++) {
        if (i & 1)
            plumb_set_log(log_a, &tag_a);
        else
            plumb_set_log(log_b, &tag_b);
        plumb_set_threads((int)(i % 3));
    }
    return NULL;
}

static void shared_models_under_many_threads(void **state) {
    (void)state;
    shared s;
    setup(&s);
    pthread_t setter, t[N_THREADS];
    worker w[N_THREADS];
    assert_int_equal(pthread_create(&setter, NULL, swap_settings, &s), 0);
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){&s, i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&s.stop, true);
    pthread_join(setter, NULL);
    plumb_set_log(NULL, NULL);
    plumb_set_threads(0);
    assert_int_equal(atomic_load(&s.failures), 0);
    assert_int_equal(atomic_load(&torn), 0);
    assert_true(atomic_load(&delivered) > 0); /* the log pair was really read while it changed */
    teardown(&s);
}

static char last_warning[256];
static void keep_warning(plumb_log_level level, const char *message, void *user) {
    (void)user;
    if (level == PLUMB_LOG_WARN)
        snprintf(last_warning, sizeof last_warning, "%s", message);
}

/* A thread count beyond a few per core is capped, and said once. */
static void thread_counts_are_capped(void **state) {
    (void)state;
    const int cores = plumb__cores(), cap = cores * PLUMB__THREADS_PER_CORE;
    plumb_set_log(keep_warning, NULL);
    assert_int_equal(plumb__threads(1), 1);
    assert_int_equal(plumb__threads(cap), cap);
    assert_int_equal(plumb__threads(100000), cap);
    char want[128];
    snprintf(want, sizeof want, "100000 threads asked for; using %d (%d per core on %d cores)", cap,
             PLUMB__THREADS_PER_CORE, cores);
    assert_string_equal(last_warning, want);
    plumb_set_threads(100000);
    assert_int_equal(plumb__threads(0), cap);
    plumb_set_threads(0);
    assert_true(plumb__threads(0) >= 1 && plumb__threads(0) <= cap);
    plumb_set_log(NULL, NULL);
    /* a whole call with a huge count runs and agrees with one thread */
    plumb_frame *frame = credit_frame(200);
    plumb_model *m = train_linear(frame);
    assert_non_null(m);
    double *a = calloc(200, sizeof *a), *b = calloc(200, sizeof *b);
    plumb_error err;
    assert_int_equal(plumb_model_predict(m, frame, &(plumb_predict_options){.threads = 1}, a, &err), PLUMB_OK);
    assert_int_equal(plumb_model_predict(m, frame, &(plumb_predict_options){.threads = 100000}, b, &err), PLUMB_OK);
    assert_memory_equal(a, b, 200 * sizeof *a);
    free(a);
    free(b);
    plumb_model_free(m);
    plumb_frame_free(frame);
}

PLUMB_TEST_MAIN(cmocka_unit_test(shared_models_under_many_threads), cmocka_unit_test(thread_counts_are_capped))
