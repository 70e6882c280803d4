/* test_synth.c -- `plumb synth credit`: the generator's determinism, shape and options, and every planted problem
 * measured on the table as a user reads it (CSV through plumb's reader, truth through jansson).
 *
 * The planted properties are statistical, so each test uses a table large enough (20,000 rows, the default) for
 * its bounds to hold with a wide margin at any seed; test_synth.seeds checks a few seeds. Output goes to memory
 * with open_memstream.
 */
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

typedef struct synth {
    char *table, *truth_text;
    size_t table_len, truth_len;
    json_t *truth;
    plumb_frame *frame;
} synth;

static void synth_free(synth *s) {
    free(s->table);
    free(s->truth_text);
    json_decref(s->truth);
    plumb_frame_free(s->frame);
    memset(s, 0, sizeof *s);
}

/* Generates with opts into memory, reads the table with the generator's schema and parses the truth. */
static void generate(const plumb_synth_credit_options *o, synth *s) {
    memset(s, 0, sizeof *s);
    FILE *t = open_memstream(&s->table, &s->table_len), *j = open_memstream(&s->truth_text, &s->truth_len);
    assert_non_null(t);
    assert_non_null(j);
    plumb_error err;
    plumb_status st = plumb_synth_credit_write(o, t, j, &err);
    assert_int_equal(fclose(t), 0);
    assert_int_equal(fclose(j), 0);
    if (st != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fail_msg("generate: %s", plumb_error_format(&err, msg, sizeof msg));
    }
    json_error_t jerr;
    s->truth = json_loadb(s->truth_text, s->truth_len, 0, &jerr);
    if (!s->truth)
        fail_msg("truth is not JSON: %s at line %d", jerr.text, jerr.line);
    plumb_schema *schema = NULL;
    assert_int_equal(plumb_synth_credit_schema(&schema, &err), PLUMB_OK);
    plumb_read_options ro;
    plumb_read_options_init(&ro);
    ro.schema = schema;
    ro.display_name = "synth.csv";
    st = plumb_frame_read_buffer(s->table, s->table_len, &ro, &s->frame, &err);
    plumb_schema_free(schema);
    if (st != PLUMB_OK) {
        char msg[PLUMB_ERROR_MAX];
        fail_msg("read: %s", plumb_error_format(&err, msg, sizeof msg));
    }
}

static void generate_default(synth *s) {
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    generate(&o, s);
}

static int64_t col(const synth *s, const char *name) {
    int64_t c = plumb_frame_find(s->frame, name);
    if (c < 0)
        fail_msg("no column '%s'", name);
    return c;
}

static const float *num(const synth *s, const char *name) {
    const float *v = plumb_frame_f32(s->frame, col(s, name));
    assert_non_null(v);
    return v;
}

/* The code of value in the categorical column name, -100 when the column never has it. */
static int32_t code_of(const synth *s, const char *name, const char *value) {
    plumb_column_info info;
    plumb_schema_column(plumb_frame_schema(s->frame), col(s, name), &info);
    for (int64_t k = 0; k < info.n_categories; k++)
        if (strcmp(info.categories[k], value) == 0)
            return (int32_t)k;
    return -100;
}

/* Per row: 1 when status is bad. Caller frees. */
static uint8_t *bad_labels(const synth *s) {
    const int64_t n = plumb_frame_n_rows(s->frame);
    const int32_t *codes = plumb_frame_codes(s->frame, col(s, "status"));
    assert_non_null(codes);
    const int32_t bad = code_of(s, "status", "bad");
    uint8_t *y = malloc((size_t)n);
    assert_non_null(y);
    for (int64_t i = 0; i < n; i++)
        y[i] = codes[i] == bad;
    return y;
}

/* Per row: 1 when the truth lists it under key. Caller frees. */
static uint8_t *truth_rows(const synth *s, const char *key) {
    const int64_t n = plumb_frame_n_rows(s->frame);
    uint8_t *m = calloc((size_t)n, 1);
    assert_non_null(m);
    json_t *list = json_object_get(s->truth, key);
    assert_true(json_is_array(list));
    size_t k;
    json_t *v;
    json_array_foreach(list, k, v) {
        json_int_t i = json_integer_value(v);
        assert_true(i >= 0 && i < n);
        assert_int_equal(m[i], 0); /* listed once */
        m[i] = 1;
    }
    return m;
}

static json_int_t truth_int(const synth *s, const char *key) {
    json_t *v = json_object_get(s->truth, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static json_int_t truth_count(const synth *s, const char *key) {
    json_t *v = json_object_get(json_object_get(s->truth, "counts"), key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *truth_str(const synth *s, const char *key) {
    json_t *v = json_object_get(s->truth, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Seconds since the epoch of a YYYY-MM-DD text. */
static int64_t date_seconds(const char *text) {
    int y, m, d;
    assert_int_equal(sscanf(text, "%d-%d-%d", &y, &m, &d), 3);
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400, yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400;
}

/* ---------------------------------------------------------------------------------------------------------- */

static void options_defaults(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    memset(&o, 0x5a, sizeof o);
    plumb_synth_credit_options_init(&o);
    assert_int_equal(o.n_rows, 20000);
    assert_int_equal(o.seed, 1);
    assert_string_equal(o.start_date, "2021-01-01");
    assert_int_equal(o.n_months, 36);
    assert_true(o.flip_rate == 0.08);
    assert_int_equal(o.outcome_window_days, 365);
    assert_int_equal(o.view, PLUMB_SYNTH_VIEW_WAREHOUSE);
    assert_int_equal(o.n_threads, 0);
}

/* The same options give the same bytes whatever the thread count; another seed gives another table. */
static void deterministic(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 5000;
    synth a, b, c;
    o.n_threads = 1;
    generate(&o, &a);
    o.n_threads = 2;
    generate(&o, &b);
    o.seed = 2;
    generate(&o, &c);
    assert_int_equal(a.table_len, b.table_len);
    assert_memory_equal(a.table, b.table, a.table_len);
    assert_int_equal(a.truth_len, b.truth_len);
    assert_memory_equal(a.truth_text, b.truth_text, a.truth_len);
    assert_true(a.table_len != c.table_len || memcmp(a.table, c.table, a.table_len) != 0);
    synth_free(&a);
    synth_free(&b);
    synth_free(&c);
}

/* Header, row count, column types, dates in order within the period, unique ids. */
static void shape(void **state) {
    (void)state;
    static const char *const names[] = {"application_id",
                                        "client_id",
                                        "application_date",
                                        "age",
                                        "marital",
                                        "home",
                                        "job",
                                        "seniority",
                                        "months_with_bank",
                                        "prior_arrears",
                                        "income",
                                        "expenses",
                                        "assets",
                                        "debt",
                                        "purpose",
                                        "amount",
                                        "price",
                                        "term_months",
                                        "verification_flag",
                                        "collections_amount",
                                        "status"};
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 3000;
    synth s;
    generate(&o, &s);
    assert_int_equal(plumb_frame_n_rows(s.frame), 3000);
    assert_int_equal(plumb_frame_n_columns(s.frame), 21);
    int64_t lines = 0;
    for (size_t i = 0; i < s.table_len; i++)
        lines += s.table[i] == '\n';
    assert_int_equal(lines, 3001);
    const plumb_schema *schema = plumb_frame_schema(s.frame);
    for (int64_t j = 0; j < 21; j++) {
        plumb_column_info c;
        plumb_schema_column(schema, j, &c);
        assert_string_equal(c.name, names[j]);
    }
    /* types and roles as the schema declares them; every truth column is a table column */
    plumb_column_info c;
    plumb_schema_column(schema, col(&s, "status"), &c);
    assert_int_equal(c.role, PLUMB_ROLE_TARGET);
    assert_int_equal(c.n_categories, 2);
    plumb_schema_column(schema, col(&s, "application_date"), &c);
    assert_int_equal(c.type, PLUMB_TYPE_DATETIME);
    assert_int_equal(c.role, PLUMB_ROLE_TIME);
    plumb_schema_column(schema, col(&s, "application_id"), &c);
    assert_int_equal(c.role, PLUMB_ROLE_ID);
    json_t *cols = json_object_get(s.truth, "columns");
    assert_int_equal(json_array_size(cols), 21);
    for (size_t j = 0; j < 21; j++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(cols, j), "name")), names[j]);

    const int64_t *day = plumb_frame_i64(s.frame, col(&s, "application_date"));
    const float *cid = num(&s, "client_id");
    const float *age = num(&s, "age"), *amount = num(&s, "amount"), *price = num(&s, "price");
    assert_int_equal(day[0], date_seconds("2021-01-01"));
    assert_int_equal(day[2999], date_seconds(truth_str(&s, "snapshot_date")));
    assert_true(day[2999] <= date_seconds("2023-12-31"));
    for (int64_t i = 0; i < 3000; i++) {
        if (i)
            assert_true(day[i] >= day[i - 1]);
        assert_true(age[i] >= 18 && age[i] <= 75);
        assert_true(amount[i] > 0 && amount[i] <= price[i]);
    }
    /* client ids are unique */
    float *sorted = malloc(3000 * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, cid, 3000 * sizeof *sorted);
    qsort(sorted, 3000, sizeof *sorted, cmp_float);
    for (int64_t i = 1; i < 3000; i++)
        assert_true(sorted[i] > sorted[i - 1]);
    free(sorted);
    synth_free(&s);
}

/* collections_amount is > 0 almost only for bad rows; the good rows with collections are mostly flipped ones. */
static void leak_post_outcome(void **state) {
    (void)state;
    synth s;
    generate_default(&s);
    const int64_t n = plumb_frame_n_rows(s.frame);
    const float *coll = num(&s, "collections_amount");
    uint8_t *y = bad_labels(&s), *flipped = truth_rows(&s, "flipped_rows");
    int64_t with = 0, with_bad = 0, with_good_flipped = 0, bad = 0, bad_with = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(coll[i] >= 0);
        bad += y[i];
        if (coll[i] > 0) {
            with++;
            with_bad += y[i];
            with_good_flipped += !y[i] && flipped[i];
            bad_with += y[i];
        }
    }
    print_message("collections > 0: %lld rows, %.3f bad, %.3f of the good ones flipped; %.3f of bad rows\n",
                  (long long)with, (double)with_bad / with, (double)with_good_flipped / (with - with_bad),
                  (double)bad_with / bad);
    assert_true(with_bad > 0.85 * with);
    assert_true(with_good_flipped > 0.5 * (with - with_bad));
    assert_true(bad_with > 0.7 * bad);
    free(y);
    free(flipped);
    synth_free(&s);
}

/* Flipped rows are true defaulters labelled good: with flip rate 0 the same rows are bad, every other cell is the
 * same, and the flipped share of matured defaulters is the flip rate. */
static void flipped_labels(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    synth with, none;
    generate(&o, &with);
    o.flip_rate = 0;
    generate(&o, &none);
    assert_int_equal(json_array_size(json_object_get(none.truth, "flipped_rows")), 0);
    const int64_t n = plumb_frame_n_rows(with.frame), first_immature = truth_int(&with, "first_immature_row");
    uint8_t *y1 = bad_labels(&with), *y0 = bad_labels(&none), *flipped = truth_rows(&with, "flipped_rows");
    int64_t n_flipped = 0, matured_bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (flipped[i]) {
            assert_true(y0[i] == 1 && y1[i] == 0);
            assert_true(i < first_immature);
            n_flipped++;
        } else {
            assert_int_equal(y0[i], y1[i]);
        }
        matured_bad += i < first_immature && y0[i];
    }
    assert_int_equal(n_flipped, truth_count(&with, "flipped"));
    double share = (double)n_flipped / matured_bad;
    print_message("flipped %lld of %lld matured defaulters (%.3f)\n", (long long)n_flipped, (long long)matured_bad,
                  share);
    assert_true(share > 0.06 && share < 0.10);
    /* only the labels differ: the tables match once the status field is cut off each line */
    const char *a = with.table, *b = none.table;
    for (int64_t line = 0; line <= n; line++) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        const char *ca = ea, *cb = eb;
        while (*ca != ',')
            ca--;
        while (*cb != ',')
            cb--;
        assert_int_equal(ca - a, cb - b);
        assert_memory_equal(a, b, (size_t)(ca - a));
        a = ea + 1;
        b = eb + 1;
    }
    free(y0);
    free(y1);
    free(flipped);
    synth_free(&with);
    synth_free(&none);
}

/* verification_flag: set almost only for good clients on matured rows, mostly missing on recent ones, and on
 * recent rows filled more often for defaulters (its missingness depends on age and label). */
static void leak_retro_filled(void **state) {
    (void)state;
    synth s;
    generate_default(&s);
    const int64_t n = plumb_frame_n_rows(s.frame), first_immature = truth_int(&s, "first_immature_row");
    const int32_t *flag = plumb_frame_codes(s.frame, col(&s, "verification_flag"));
    const int32_t yes = code_of(&s, "verification_flag", "yes"), no = code_of(&s, "verification_flag", "no");
    uint8_t *y = bad_labels(&s);
    int64_t m_yes = 0, m_yes_bad = 0, m_no = 0, m_no_bad = 0, m_missing = 0;
    int64_t r_bad = 0, r_bad_filled = 0, r_good = 0, r_good_filled = 0;
    int64_t q_n[4] = {0}, q_missing[4] = {0};
    for (int64_t i = 0; i < n; i++) {
        if (i < first_immature) {
            m_yes += flag[i] == yes;
            m_yes_bad += flag[i] == yes && y[i];
            m_no += flag[i] == no;
            m_no_bad += flag[i] == no && y[i];
            m_missing += flag[i] == PLUMB_CODE_MISSING;
        } else {
            int q = (int)(4 * (i - first_immature) / (n - first_immature));
            q_n[q]++;
            q_missing[q] += flag[i] == PLUMB_CODE_MISSING;
            if (y[i])
                r_bad++, r_bad_filled += flag[i] != PLUMB_CODE_MISSING;
            else
                r_good++, r_good_filled += flag[i] != PLUMB_CODE_MISSING;
        }
    }
    print_message("matured: P(bad|yes) %.3f P(bad|no) %.3f missing %.3f; recent missing by quarter %.2f %.2f %.2f "
                  "%.2f; filled: bad %.2f good %.2f\n",
                  (double)m_yes_bad / m_yes, (double)m_no_bad / m_no, (double)m_missing / first_immature,
                  (double)q_missing[0] / q_n[0], (double)q_missing[1] / q_n[1], (double)q_missing[2] / q_n[2],
                  (double)q_missing[3] / q_n[3], (double)r_bad_filled / r_bad, (double)r_good_filled / r_good);
    assert_true(m_yes_bad < 0.05 * m_yes);
    assert_true(m_no_bad > 0.6 * m_no);
    assert_true(m_missing < 0.15 * first_immature);
    for (int q = 1; q < 4; q++) /* missingness rises towards the snapshot */
        assert_true(q_missing[q] * q_n[q - 1] > q_missing[q - 1] * q_n[q]);
    assert_true(q_missing[3] > 0.9 * q_n[3]);
    assert_true((double)r_bad_filled / r_bad > 2.0 * r_good_filled / r_good);
    free(y);
    synth_free(&s);
}

/* client_id grows quarter by quarter, and within a quarter the bad rows hold the later ids. */
static void leak_id_order(void **state) {
    (void)state;
    synth s;
    generate_default(&s);
    const int64_t n = plumb_frame_n_rows(s.frame);
    const float *cid = num(&s, "client_id");
    const int64_t *t = plumb_frame_i64(s.frame, col(&s, "application_date"));
    uint8_t *y = bad_labels(&s);
    double pairs = 0, ordered = 0;
    int64_t quarters = 0;
    for (int64_t lo = 0, hi; lo < n; lo = hi) {
        /* a quarter: the rows of one calendar quarter (the migration's batch) */
        time_t t0 = (time_t)t[lo];
        struct tm tm0;
        gmtime_r(&t0, &tm0);
        for (hi = lo + 1; hi < n; hi++) {
            time_t ti = (time_t)t[hi];
            struct tm tmi;
            gmtime_r(&ti, &tmi);
            if (tmi.tm_mon / 3 != tm0.tm_mon / 3 || tmi.tm_year != tm0.tm_year)
                break;
        }
        if (hi < n)
            for (int64_t i = lo; i < hi; i++) /* every id of a quarter is below every id of the next */
                assert_true(cid[i] < cid[hi]);
        int64_t nb = 0, ng = 0;
        double rank_bad = 0;
        for (int64_t i = lo; i < hi; i++) {
            int64_t below = 0;
            for (int64_t k = lo; k < hi; k++)
                below += cid[k] < cid[i];
            if (y[i])
                nb++, rank_bad += (double)below;
            else
                ng++;
        }
        /* Mann-Whitney: pairs (bad, good) where the bad row has the larger id */
        ordered += rank_bad - (double)nb * (nb - 1) / 2.0;
        pairs += (double)nb * ng;
        quarters++;
    }
    print_message("%lld quarters; within a quarter, a bad row's id is above a good row's in %.3f of pairs\n",
                  (long long)quarters, ordered / pairs);
    assert_int_equal(quarters, 12);
    assert_true(ordered / pairs > 0.8 && ordered / pairs < 0.97); /* strong, not perfect: a stale status table */
    free(y);
    synth_free(&s);
}

/* Immature rows are the last ones (outcome window not closed at the snapshot): fewer bad labels, and the truth's
 * hidden defaults among them are labelled good. */
static void immature_rows(void **state) {
    (void)state;
    synth s;
    generate_default(&s);
    const int64_t n = plumb_frame_n_rows(s.frame), first = truth_int(&s, "first_immature_row");
    const int64_t *t = plumb_frame_i64(s.frame, col(&s, "application_date"));
    const int64_t snapshot = date_seconds(truth_str(&s, "snapshot_date")), window = 365 * 86400;
    assert_int_equal(truth_int(&s, "outcome_window_days"), 365);
    assert_int_equal(t[n - 1], snapshot);
    uint8_t *immature = truth_rows(&s, "immature_rows"), *hidden = truth_rows(&s, "hidden_default_rows");
    uint8_t *y = bad_labels(&s);
    int64_t n_imm = 0, bad_imm = 0, bad_mat = 0, n_hidden = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(immature[i], t[i] + window > snapshot);
        assert_int_equal(immature[i], i >= first);
        if (hidden[i]) {
            assert_true(immature[i] && !y[i]);
            n_hidden++;
        }
        n_imm += immature[i];
        bad_imm += immature[i] && y[i];
        bad_mat += !immature[i] && y[i];
    }
    assert_int_equal(n_imm, truth_count(&s, "immature"));
    assert_int_equal(n_hidden, truth_count(&s, "hidden_defaults"));
    double rate_imm = (double)bad_imm / n_imm, rate_mat = (double)bad_mat / (n - n_imm);
    print_message("immature rows %lld from row %lld: bad rate %.3f vs %.3f matured; %lld hidden defaults\n",
                  (long long)n_imm, (long long)first, rate_imm, rate_mat, (long long)n_hidden);
    assert_true(n_imm > n / 4 && n_imm < n / 2);
    assert_true(rate_imm < 0.6 * rate_mat);
    /* the hidden defaults are most of the immature rows' true defaults */
    assert_true(n_hidden > bad_imm);
    free(immature);
    free(hidden);
    free(y);
    synth_free(&s);
}

/* Clean columns carry moderate signal: the truth's AUC of the visible creditworthiness is realistic, the bad
 * rate is credit-like, income is missing more often for freelancers, and prior arrears raise the bad rate. */
static void clean_signal(void **state) {
    (void)state;
    synth s;
    generate_default(&s);
    const int64_t n = plumb_frame_n_rows(s.frame), first = truth_int(&s, "first_immature_row");
    double clean_auc = json_real_value(json_object_get(s.truth, "clean_signal_auc"));
    print_message("clean signal AUC %.4f\n", clean_auc);
    assert_true(clean_auc > 0.76 && clean_auc < 0.84);
    uint8_t *y = bad_labels(&s);
    const float *income = num(&s, "income");
    const int32_t *job = plumb_frame_codes(s.frame, col(&s, "job"));
    const int32_t *arrears = plumb_frame_codes(s.frame, col(&s, "prior_arrears"));
    const int32_t freelance = code_of(&s, "job", "freelance"), fixed = code_of(&s, "job", "fixed");
    const int32_t yes = code_of(&s, "prior_arrears", "yes");
    int64_t bad = 0, fl = 0, fl_miss = 0, fx = 0, fx_miss = 0, ar = 0, ar_bad = 0, na = 0, na_bad = 0;
    for (int64_t i = 0; i < first; i++) {
        bad += y[i];
        if (arrears[i] == yes)
            ar++, ar_bad += y[i];
        else
            na++, na_bad += y[i];
    }
    for (int64_t i = 0; i < n; i++) {
        if (job[i] == freelance)
            fl++, fl_miss += isnan(income[i]);
        if (job[i] == fixed)
            fx++, fx_miss += isnan(income[i]);
    }
    double rate = (double)bad / first;
    assert_true(rate > 0.12 && rate < 0.25);
    assert_true((double)fl_miss / fl > 3.0 * fx_miss / fx);
    assert_true((double)ar_bad / ar > 1.8 * na_bad / na);
    assert_true(truth_count(&s, "true_defaults") > truth_count(&s, "bad_labels"));
    free(y);
    synth_free(&s);
}

/* The decision view: the same applications, features and labels, without what the decision could not know. */
static void decision_view(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 5000;
    synth w, d;
    generate(&o, &w);
    o.view = PLUMB_SYNTH_VIEW_DECISION;
    generate(&o, &d);
    const int64_t n = 5000;
    const float *coll = num(&d, "collections_amount"), *cid = num(&d, "client_id");
    const int32_t *flag = plumb_frame_codes(d.frame, col(&d, "verification_flag"));
    for (int64_t i = 0; i < n; i++) {
        assert_true(coll[i] == 0);
        assert_int_equal(flag[i], PLUMB_CODE_MISSING);
        if (i)
            assert_true(cid[i] > cid[i - 1]);
    }
    /* every other column is the same text */
    static const char *const same[] = {"age", "income", "assets", "amount", "term_months"};
    for (size_t k = 0; k < sizeof same / sizeof *same; k++) {
        const float *a = num(&w, same[k]), *b = num(&d, same[k]);
        for (int64_t i = 0; i < n; i++)
            assert_true(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])));
    }
    uint8_t *yw = bad_labels(&w), *yd = bad_labels(&d);
    assert_memory_equal(yw, yd, (size_t)n);
    assert_string_equal(json_string_value(json_object_get(json_object_get(d.truth, "options"), "view")), "decision");
    free(yw);
    free(yd);
    synth_free(&w);
    synth_free(&d);
}

/* A few more seeds: the planted strengths hold across them (cheap checks only). */
static void seeds(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    for (uint64_t seed = 2; seed <= 4; seed++) {
        o.seed = seed;
        synth s;
        generate(&o, &s);
        const int64_t n = plumb_frame_n_rows(s.frame);
        const float *coll = num(&s, "collections_amount");
        uint8_t *y = bad_labels(&s);
        int64_t with = 0, with_bad = 0;
        for (int64_t i = 0; i < n; i++)
            with += coll[i] > 0, with_bad += coll[i] > 0 && y[i];
        double auc = json_real_value(json_object_get(s.truth, "clean_signal_auc"));
        double flips = (double)truth_count(&s, "flipped");
        assert_true(with_bad > 0.85 * with);
        assert_true(auc > 0.76 && auc < 0.84);
        assert_true(flips > 100 && flips < 300);
        free(y);
        synth_free(&s);
    }
}

/* Other periods: a start at the end of a month, a short period, a long window (every row immature). */
static void periods(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 2000;
    o.start_date = "2024-02-29";
    o.n_months = 12;
    o.outcome_window_days = 90;
    synth s;
    generate(&o, &s);
    assert_string_equal(truth_str(&s, "first_date"), "2024-02-29");
    assert_string_equal(truth_str(&s, "snapshot_date"), "2025-02-27"); /* the period ends on 2025-02-28 */
    /* a 90-day window of a growing year: a little over a quarter of the rows */
    assert_true(truth_int(&s, "first_immature_row") > 1300 && truth_int(&s, "first_immature_row") < 1600);
    synth_free(&s);
    o.start_date = "2021-01-01";
    o.n_months = 6;
    o.outcome_window_days = 3660;
    generate(&o, &s);
    assert_int_equal(truth_int(&s, "first_immature_row"), 0);
    assert_int_equal(truth_count(&s, "immature"), 2000);
    assert_int_equal(truth_count(&s, "flipped"), 0);
    synth_free(&s);
    o.n_rows = 1;
    generate(&o, &s);
    assert_int_equal(plumb_frame_n_rows(s.frame), 1);
    synth_free(&s);
}

static void expect_error(const plumb_synth_credit_options *o, FILE *table, plumb_status code, const char *message) {
    plumb_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = table ? table : open_memstream(&buf, &len);
    plumb_status st = plumb_synth_credit_write(o, f, NULL, &err);
    if (!table) {
        fclose(f);
        free(buf);
    }
    char msg[PLUMB_ERROR_MAX];
    plumb_error_format(&err, msg, sizeof msg);
    if (st != code)
        fail_msg("status %s (%s), expected %s", plumb_status_name(st), msg, plumb_status_name(code));
    assert_string_equal(msg, message);
}

static void bad_options(void **state) {
    (void)state;
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 0;
    expect_error(&o, NULL, PLUMB_EINVAL, "rows 0 is out of range [1, 10000000]");
    plumb_synth_credit_options_init(&o);
    o.start_date = "2021-02-30";
    expect_error(&o, NULL, PLUMB_EINVAL, "bad start date '2021-02-30': expected YYYY-MM-DD");
    o.start_date = "2021-1-1";
    expect_error(&o, NULL, PLUMB_EINVAL, "bad start date '2021-1-1': expected YYYY-MM-DD");
    o.start_date = NULL;
    expect_error(&o, NULL, PLUMB_EINVAL, "bad start date '': expected YYYY-MM-DD");
    o.start_date = "9999-06-01";
    expect_error(&o, NULL, PLUMB_EINVAL, "the period from 9999-06-01 over 36 months ends after the year 9999");
    plumb_synth_credit_options_init(&o);
    o.n_months = 0;
    expect_error(&o, NULL, PLUMB_EINVAL, "months 0 is out of range [1, 1200]");
    plumb_synth_credit_options_init(&o);
    o.flip_rate = 1.5;
    expect_error(&o, NULL, PLUMB_EINVAL, "flip rate 1.5 is out of range [0, 1]");
    o.flip_rate = NAN;
    expect_error(&o, NULL, PLUMB_EINVAL, "flip rate nan is out of range [0, 1]");
    plumb_synth_credit_options_init(&o);
    o.outcome_window_days = 0;
    expect_error(&o, NULL, PLUMB_EINVAL, "outcome window 0 days is out of range [1, 3660]");
    plumb_synth_credit_options_init(&o);
    o.seed = UINT64_MAX;
    expect_error(&o, NULL, PLUMB_EINVAL, "seed 18446744073709551615 is too large (at most 2^63 - 1)");
    plumb_synth_credit_options_init(&o);
    o.view = (plumb_synth_view)7;
    expect_error(&o, NULL, PLUMB_EINVAL, "bad view 7");
    plumb_error err;
    assert_int_equal(plumb_synth_credit_write(NULL, stdout, NULL, &err), PLUMB_EINVAL);
    plumb_synth_credit_options_init(&o);
    assert_int_equal(plumb_synth_credit_write(&o, NULL, NULL, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "no options or no table stream");
}

/* A stream that cannot be written is an I/O error, not a crash. */
static void write_error(void **state) {
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    plumb_synth_credit_options o;
    plumb_synth_credit_options_init(&o);
    o.n_rows = 20000;
    expect_error(&o, full, PLUMB_EIO, "cannot write the table: No space left on device");
    fclose(full);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_defaults),  cmocka_unit_test(deterministic),  cmocka_unit_test(shape),
        cmocka_unit_test(leak_post_outcome), cmocka_unit_test(flipped_labels), cmocka_unit_test(leak_retro_filled),
        cmocka_unit_test(leak_id_order),     cmocka_unit_test(immature_rows),  cmocka_unit_test(clean_signal),
        cmocka_unit_test(decision_view),     cmocka_unit_test(seeds),          cmocka_unit_test(periods),
        cmocka_unit_test(bad_options),       cmocka_unit_test(write_error),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
