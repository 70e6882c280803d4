/* split.c -- cross-validation folds: k-fold, stratified k-fold, group k-fold and time-series splits.
 *
 * A split stores, per row, what decides its role in every fold: the test fold of a partition (k-fold, stratified,
 * group), or the row's position in time order for a time split together with, per fold, where its training rows
 * end and where its test block starts and ends. plumb_split_roles and plumb_split_rows then answer for any fold
 * without allocating.
 *
 * The assignments follow scikit-learn 1.2, so unshuffled k-fold and stratified folds, group folds (groups of
 * distinct sizes) and time splits (distinct times, rows in time order) are the same as KFold, StratifiedKFold,
 * GroupKFold and TimeSeriesSplit give; tests/parity checks them. Shuffling uses our own random stream (seeded), so
 * shuffled folds are balanced the same way but are not sklearn's rows.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct plumb_split {
    int64_t n;
    int32_t k;
    plumb_split_strategy strategy;
    int32_t *fold;                              /* partitions: the fold that tests row i */
    int64_t *pos;                               /* time: the position of row i in time order */
    int64_t *train_end, *test_start, *test_end; /* time, per fold: positions [0, train_end) train,
                                                   [test_start, test_end) test */
};

void plumb_split_options_init(plumb_split_options *o) {
    memset(o, 0, sizeof *o);
    o->strategy = PLUMB_SPLIT_KFOLD;
    o->n_folds = 5;
    o->shuffle = 1;
}

void plumb_split_free(plumb_split *s) {
    if (!s)
        return;
    free(s->fold);
    free(s->pos);
    free(s->train_end);
    free(s->test_start);
    free(s->test_end);
    free(s);
}

int32_t plumb_split_n_folds(const plumb_split *s) {
    return s->k;
}

int64_t plumb_split_n_rows(const plumb_split *s) {
    return s->n;
}

static void shuffle_ints(int64_t *v, int64_t n, uint64_t *rng) {
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = (int64_t)plumb__random_below(rng, (uint64_t)i + 1);
        const int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* ---- k-fold: consecutive blocks, the first n % k one row longer (sklearn KFold) ------------------------------ */

static plumb_status kfold(plumb_split *s, const plumb_split_options *o, uint64_t *rng, plumb_error *err) {
    const int64_t n = s->n, k = s->k;
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    if (o->shuffle)
        shuffle_ints(perm, n, rng);
    int64_t at = 0;
    for (int64_t f = 0; f < k; f++) {
        const int64_t size = n / k + (f < n % k);
        for (int64_t j = 0; j < size; j++)
            s->fold[perm[at++]] = (int32_t)f;
    }
    free(perm);
    return PLUMB_OK;
}

/* ---- stratified: sklearn StratifiedKFold's allocation ------------------------------------------------------
 * Classes are numbered by first appearance; the rows, sorted by class, are dealt round-robin to the folds, which
 * fixes how many rows of each class every fold gets; within a class, rows in row order (or shuffled) take the
 * folds 0, 0, ..., 1, 1, ... in those numbers. */

static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Numbers the distinct values of v[0..n) into code (OUT): by increasing value when by_value, else by first
 * appearance. Returns how many there are, -1 when out of memory. */
static int64_t encode(const int64_t *v, int64_t n, bool by_value, int64_t *code) {
    int64_t *sorted = malloc((size_t)n * sizeof *sorted), *first = malloc((size_t)n * sizeof *first);
    if (!sorted || !first) {
        free(sorted);
        free(first);
        return -1;
    }
    memcpy(sorted, v, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_i64);
    int64_t u = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            sorted[u++] = sorted[i];
    for (int64_t i = 0; i < n; i++) { /* index of v[i] among the distinct values */
        const int64_t *p = bsearch(&v[i], sorted, (size_t)u, sizeof *sorted, cmp_i64);
        code[i] = p - sorted;
    }
    if (!by_value) { /* renumber by first appearance */
        for (int64_t c = 0; c < u; c++)
            first[c] = -1;
        int64_t next = 0;
        for (int64_t i = 0; i < n; i++)
            if (first[code[i]] < 0)
                first[code[i]] = next++;
        for (int64_t i = 0; i < n; i++)
            code[i] = first[code[i]];
    }
    free(sorted);
    free(first);
    return u;
}

static plumb_status stratified(plumb_split *s, const plumb_split_options *o, uint64_t *rng, plumb_error *err) {
    const int64_t n = s->n, k = s->k;
    plumb_status st = PLUMB_OK;
    for (int64_t i = 0; i < n; i++)
        if (o->labels[i] < 0)
            return plumb__fail(err, PLUMB_EINVAL, "the class of row %lld is missing", (long long)i + 1);
    int64_t *code = malloc((size_t)n * sizeof *code), *counts = NULL, *alloc = NULL, *folds = NULL;
    const int64_t nc = code ? encode(o->labels, n, false, code) : -1;
    if (nc < 0 || !(counts = calloc((size_t)nc, sizeof *counts)) ||
        !(alloc = calloc((size_t)(nc * k), sizeof *alloc)) || !(folds = malloc((size_t)n * sizeof *folds))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        counts[code[i]]++;
    int64_t largest = 0, smallest = n;
    for (int64_t c = 0; c < nc; c++) {
        largest = counts[c] > largest ? counts[c] : largest;
        smallest = counts[c] < smallest ? counts[c] : smallest;
    }
    if (k > largest) {
        st = plumb__fail(err, PLUMB_EINVAL,
                         "cannot make %lld stratified folds: no class has that many rows (the largest has %lld)",
                         (long long)k, (long long)largest);
        goto done;
    }
    if (k > smallest)
        plumb__log(PLUMB_LOG_WARN, "the smallest class has %lld rows, fewer than the %lld folds: some folds lack it",
                   (long long)smallest, (long long)k);
    /* rows sorted by class, dealt round-robin: position p (class c) goes to fold p % k */
    for (int64_t c = 0, p = 0; c < nc; c++)
        for (int64_t j = 0; j < counts[c]; j++, p++)
            alloc[(p % k) * nc + c]++;
    for (int64_t c = 0; c < nc; c++) {
        int64_t m = 0;
        for (int64_t f = 0; f < k; f++)
            for (int64_t j = 0; j < alloc[f * nc + c]; j++)
                folds[m++] = f;
        if (o->shuffle)
            shuffle_ints(folds, m, rng);
        for (int64_t i = 0, j = 0; i < n; i++)
            if (code[i] == c)
                s->fold[i] = (int32_t)folds[j++];
    }
done:
    free(code);
    free(counts);
    free(alloc);
    free(folds);
    return st;
}

/* ---- group: sklearn GroupKFold: largest groups first, each to the fold with the fewest rows so far -------- */

typedef struct group_size {
    int64_t group, size;
} group_size;

static int cmp_group_size(const void *a, const void *b) {
    const group_size *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;                         /* larger first */
    return x->group < y->group ? 1 : x->group > y->group ? -1 : 0; /* then the later group (numpy's reversed sort) */
}

static plumb_status group_kfold(plumb_split *s, const plumb_split_options *o, plumb_error *err) {
    const int64_t n = s->n, k = s->k;
    plumb_status st = PLUMB_OK;
    for (int64_t i = 0; i < n; i++)
        if (o->groups[i] < 0)
            return plumb__fail(err, PLUMB_EINVAL, "the group of row %lld is missing", (long long)i + 1);
    int64_t *code = malloc((size_t)n * sizeof *code), *load = calloc((size_t)k, sizeof *load), *fold_of = NULL;
    group_size *gs = NULL;
    const int64_t ng = code ? encode(o->groups, n, true, code) : -1;
    if (ng < 0 || !load || !(gs = calloc((size_t)ng, sizeof *gs)) ||
        !(fold_of = malloc((size_t)ng * sizeof *fold_of))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    if (ng < k) {
        st = plumb__fail(err, PLUMB_EINVAL, "cannot have more folds (%lld) than groups (%lld)", (long long)k,
                         (long long)ng);
        goto done;
    }
    for (int64_t g = 0; g < ng; g++)
        gs[g].group = g;
    for (int64_t i = 0; i < n; i++)
        gs[code[i]].size++;
    qsort(gs, (size_t)ng, sizeof *gs, cmp_group_size);
    for (int64_t j = 0; j < ng; j++) {
        int64_t best = 0;
        for (int64_t f = 1; f < k; f++)
            if (load[f] < load[best])
                best = f;
        load[best] += gs[j].size;
        fold_of[gs[j].group] = best;
    }
    for (int64_t i = 0; i < n; i++)
        s->fold[i] = (int32_t)fold_of[code[i]];
done:
    free(code);
    free(load);
    free(gs);
    free(fold_of);
    return st;
}

/* ---- time: sklearn TimeSeriesSplit over time order, block edges moved to changes of time ------------------- */

static plumb_status time_split(plumb_split *s, const plumb_split_options *o, plumb_error *err) {
    const int64_t n = s->n, k = s->k, gap = o->gap;
    plumb_status st = PLUMB_OK;
    if (gap < 0)
        return plumb__fail(err, PLUMB_EINVAL, "the gap must be at least 0 rows, got %lld", (long long)gap);
    for (int64_t i = 0; i < n; i++)
        if (isnan(o->times[i]))
            return plumb__fail(err, PLUMB_EINVAL, "the time of row %lld is missing", (long long)i + 1);
    const int64_t test_size = n / (k + 1);
    if (n - gap - test_size * k <= 0 || test_size == 0)
        return plumb__fail(err, PLUMB_EINVAL,
                           "too many folds (%lld) for %lld rows with a gap of %lld: time splits need more than "
                           "gap + folds x rows/(folds+1) rows",
                           (long long)k, (long long)n, (long long)gap);
    int64_t *order = malloc((size_t)n * sizeof *order);
    double *t = malloc((size_t)n * sizeof *t);
    if (!order || !t || !plumb__sort_doubles(o->times, n, order)) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t p = 0; p < n; p++) {
        s->pos[order[p]] = p;
        t[p] = o->times[order[p]];
    }
    int64_t *edge = s->test_start; /* edge[j] = start of test block j; the last block ends at n */
    for (int64_t j = 0; j < k; j++) {
        const int64_t b = n - k * test_size + j * test_size;
        int64_t lo = b, hi = b;
        while (lo > 0 && t[lo - 1] == t[lo])
            lo--;
        while (hi < n && hi > 0 && t[hi - 1] == t[hi])
            hi++;
        edge[j] = b - lo <= hi - b ? lo : hi; /* the nearest change of time; the earlier on a tie */
    }
    for (int64_t j = 0; j < k; j++) {
        s->test_end[j] = j + 1 < k ? edge[j + 1] : n;
        int64_t e = edge[j] - gap;
        while (e > 0 && e < n && t[e - 1] == t[e]) /* a time's rows do not straddle training and the gap */
            e--;
        s->train_end[j] = e < 0 ? 0 : e;
        if (s->test_end[j] <= edge[j] || edge[j] == n) {
            st = plumb__fail(err, PLUMB_EINVAL,
                             "too few distinct times for %lld folds: test block %lld would be empty (rows with equal "
                             "times stay together)",
                             (long long)k, (long long)j + 1);
            goto done;
        }
        if (s->train_end[j] <= 0) {
            st = plumb__fail(err, PLUMB_EINVAL,
                             "fold %lld has no training rows: its test block starts at the earliest time%s",
                             (long long)j + 1, gap ? " or within the gap" : "");
            goto done;
        }
    }
done:
    free(order);
    free(t);
    return st;
}

plumb_status plumb_split_create(int64_t n_rows, const plumb_split_options *o, plumb_split **out, plumb_error *err) {
    *out = NULL;
    plumb__error_clear(err);
    const int64_t k = o->n_folds;
    if (k < 2)
        return plumb__fail(err, PLUMB_EINVAL, "cross-validation needs at least 2 folds, got %lld", (long long)k);
    if (k > n_rows)
        return plumb__fail(err, PLUMB_EINVAL, "cannot have more folds (%lld) than rows (%lld)", (long long)k,
                           (long long)n_rows);
    const char *need = o->strategy == PLUMB_SPLIT_STRATIFIED && !o->labels ? "stratified folds need the classes"
                       : o->strategy == PLUMB_SPLIT_GROUP && !o->groups    ? "group folds need the groups"
                       : o->strategy == PLUMB_SPLIT_TIME && !o->times      ? "time splits need the times"
                       : (unsigned)o->strategy > PLUMB_SPLIT_TIME          ? "unknown split strategy"
                                                                           : NULL;
    if (need)
        return plumb__fail(err, PLUMB_EINVAL, "%s", need);
    plumb_split *s = calloc(1, sizeof *s);
    if (!s)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    s->n = n_rows;
    s->k = (int32_t)k;
    s->strategy = o->strategy;
    const bool is_time = o->strategy == PLUMB_SPLIT_TIME;
    plumb_status st = PLUMB_OK;
    if ((!is_time && !(s->fold = malloc((size_t)n_rows * sizeof *s->fold))) ||
        (is_time && (!(s->pos = malloc((size_t)n_rows * sizeof *s->pos)) ||
                     !(s->train_end = malloc((size_t)k * sizeof *s->train_end)) ||
                     !(s->test_start = malloc((size_t)k * sizeof *s->test_start)) ||
                     !(s->test_end = malloc((size_t)k * sizeof *s->test_end))))) {
        plumb_split_free(s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    uint64_t rng = o->seed ^ 0x5851f42d4c957f2du;
    switch (o->strategy) {
    case PLUMB_SPLIT_KFOLD:
        st = kfold(s, o, &rng, err);
        break;
    case PLUMB_SPLIT_STRATIFIED:
        st = stratified(s, o, &rng, err);
        break;
    case PLUMB_SPLIT_GROUP:
        st = group_kfold(s, o, err);
        break;
    case PLUMB_SPLIT_TIME:
        st = time_split(s, o, err);
        break;
    }
    if (st != PLUMB_OK) {
        plumb_split_free(s);
        return st;
    }
    *out = s;
    return PLUMB_OK;
}

static inline plumb_fold_role role_of(const plumb_split *s, int32_t fold, int64_t i) {
    if (s->fold)
        return s->fold[i] == fold ? PLUMB_FOLD_TEST : PLUMB_FOLD_TRAIN;
    const int64_t p = s->pos[i];
    return p < s->train_end[fold]                              ? PLUMB_FOLD_TRAIN
           : p >= s->test_start[fold] && p < s->test_end[fold] ? PLUMB_FOLD_TEST
                                                               : PLUMB_FOLD_UNUSED;
}

void plumb_split_roles(const plumb_split *s, int32_t fold, uint8_t *role) {
    for (int64_t i = 0; i < s->n; i++)
        role[i] = (uint8_t)role_of(s, fold, i);
}

void plumb_split_rows(const plumb_split *s, int32_t fold, int64_t *train, int64_t *n_train, int64_t *test,
                      int64_t *n_test) {
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < s->n; i++) {
        const plumb_fold_role r = role_of(s, fold, i);
        if (r == PLUMB_FOLD_TRAIN) {
            if (train)
                train[a] = i;
            a++;
        } else if (r == PLUMB_FOLD_TEST) {
            if (test)
                test[b] = i;
            b++;
        }
    }
    if (n_train)
        *n_train = a;
    if (n_test)
        *n_test = b;
}
