/* realtime.c -- the real-time recommendation case study (issue 15, `plumb demo realtime`): the models and the data
 * of a recommender served from a slow path and a fast one.
 *
 * The problem: will this user rate this movie 4 or more (movielens ratings, a real sample)? Features are computed
 * from the ratings before a time cut only: per user the count, mean rating, share of high ratings, days since the
 * last rating and the genre profile (share of the user's ratings in each genre), the user's affinity for the
 * movie's genres; per movie the popularity, mean rating, share of high ratings, year and genres. Two cuts make the
 * time split without leakage: the training rows are the ratings of [t1, t2) with features as of t1, the test rows
 * the ratings from t2 on with features as of t2. The audit checks the split and the features.
 *
 * The models: the teacher, a large gradient-boosted model (500 trees, no early stopping: what a first prototype
 * ships), and its student, distilled (a small gbdt fitted to the teacher's scores), then quantised and compiled to
 * a shared object. Quality on the test period: ROC-AUC over every rating and NDCG@10 over each user's candidate
 * list (the movies the user rated in the test period, the liked ones relevant).
 *
 * For serving (docs/realtime.md) the study writes the raw ratings a prototype queries per request and the
 * catalogue of movies (ratings.csv, movies.csv, which `plumb features load` puts in SQLite), the SQL that
 * aggregates a user's and a movie's history into the features (features.sql, run by `plumb serve
 * --features-query`), and the precomputed features of every candidate pair (pairs.csv, the feature store of the
 * fast path), keyed "user:movie".
 */
#include "studies.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The movielens genres, in the order of the genre features. */
static const char *const genre_names[] = {
    "Action", "Adventure", "Animation", "Children", "Comedy",  "Crime",  "Documentary", "Drama", "Fantasy", "Film-Noir",
    "Horror", "IMAX",      "Musical",   "Mystery",  "Romance", "Sci-Fi", "Thriller",    "War",   "Western"};
#define N_GENRES ((int)(sizeof genre_names / sizeof *genre_names))

/* The features: user ones, the affinity, movie ones; genre profiles and flags are N_GENRES columns each. */
enum {
    F_U_COUNT,
    F_U_MEAN,
    F_U_HIGH,
    F_U_DAYS,
    F_U_GENRE,
    F_AFFINITY = F_U_GENRE + N_GENRES,
    F_M_COUNT,
    F_M_MEAN,
    F_M_HIGH,
    F_M_YEAR,
    F_M_GENRE,
    N_FEATURES = F_M_GENRE + N_GENRES
};

typedef struct rating {
    int32_t user, movie; /* dense indices */
    float stars;
    int64_t ts;
} rating;

typedef struct dataset {
    rating *r;
    int64_t n;
    int32_t n_users, n_movies;
    int32_t *user_id, *movie_id; /* dense index -> the file's id */
    int32_t *year;               /* per movie, 0 when missing */
    uint32_t *genres;            /* per movie, bit g: genre_names[g] */
} dataset;

static void dataset_free(dataset *d) {
    free(d->r);
    free(d->user_id);
    free(d->movie_id);
    free(d->year);
    free(d->genres);
}

/* Field i of a CSV line (fields separated by ',', double-quoted when they hold one) into buf. Returns the byte
 * after the field (its comma or the line's end), or NULL for a malformed quote. */
static const char *csv_field(const char *p, const char *end, char *buf, size_t cap) {
    size_t n = 0;
    if (p < end && *p == '"') {
        for (p++;; p++) {
            if (p >= end)
                return NULL;
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"')
                    p++;
                else {
                    p++;
                    break;
                }
            }
            if (n + 1 < cap)
                buf[n++] = *p;
        }
        buf[n] = '\0';
        return p < end && *p != ',' ? NULL : p;
    }
    for (; p < end && *p != ','; p++)
        if (n + 1 < cap)
            buf[n++] = *p;
    buf[n] = '\0';
    return p;
}

static bool parse_long(const char *s, long long lo, long long hi, long long *out) {
    char *e;
    *out = strtoll(s, &e, 10);
    return e != s && *e == '\0' && *out >= lo && *out <= hi;
}

/* Reads the first max_rows ratings of path (columns userId, movieId, rating, timestamp, title, year, genres). */
static plumb_status read_ratings(const char *path, int64_t max_rows, dataset *d, plumb_error *err) {
    static const char header[] = "userId,movieId,rating,timestamp,title,year,genres";
    enum { MAX_ID = 1 << 21 }; /* ids up to 2,097,151: movielens' largest movieId is 164,979 */
    plumb_status st = PLUMB_OK;
    FILE *f = fopen(path, "rb");
    char *line = NULL, buf[7][512];
    size_t cap = 0;
    int32_t *uix = NULL, *mix = NULL;
    int64_t cap_r = 0, lineno = 0;
    memset(d, 0, sizeof *d);
    if (!f)
        return plumb__fail(err, PLUMB_EIO, "cannot open '%s'", path);
    if (!(uix = malloc(MAX_ID * sizeof *uix)) || !(mix = malloc(MAX_ID * sizeof *mix)))
        goto nomem;
    memset(uix, 0xff, MAX_ID * sizeof *uix);
    memset(mix, 0xff, MAX_ID * sizeof *mix);
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && d->n < max_rows) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1) {
            if (strcmp(line, header) != 0) {
                st = plumb__error_at(err, PLUMB_EFORMAT, path, 1, 1, "expected the header '%s'", header);
                goto done;
            }
            continue;
        }
        const char *p = line, *end = line + len;
        int k = 0;
        for (; k < 7; k++) {
            if (!(p = csv_field(p, end, buf[k], sizeof buf[k])))
                break;
            if (k < 6 && (p >= end || *p != ','))
                break;
            if (k < 6)
                p++;
        }
        if (k < 7 || p != end) {
            st = plumb__error_at(err, PLUMB_EFORMAT, path, lineno, p ? p - line + 1 : 1,
                                 "expected 7 fields (userId,movieId,rating,timestamp,title,year,genres)");
            goto done;
        }
        long long uid, mid, ts, year = 0;
        char *e;
        const double stars = strtod(buf[2], &e);
        const char *bad = !parse_long(buf[0], 1, MAX_ID - 1, &uid)   ? "userId is not a whole number from 1 to 2097151"
                          : !parse_long(buf[1], 1, MAX_ID - 1, &mid) ? "movieId is not a whole number from 1 to 2097151"
                          : e == buf[2] || *e || !(stars >= 0 && stars <= 5) ? "rating is not a number from 0 to 5"
                          : !parse_long(buf[3], 0, INT64_MAX, &ts)           ? "timestamp is not a whole number"
                          : buf[5][0] && strcmp(buf[5], "NA") != 0 && !parse_long(buf[5], 1000, 9999, &year)
                              ? "year is not a year"
                              : NULL;
        if (bad) {
            st = plumb__error_at(err, PLUMB_EFORMAT, path, lineno, 1, "%s", bad);
            goto done;
        }
        if (d->n == cap_r) {
            cap_r = cap_r ? 2 * cap_r : 4096;
            rating *r = realloc(d->r, (size_t)cap_r * sizeof *r);
            if (!r)
                goto nomem;
            d->r = r;
        }
        if (uix[uid] < 0) {
            int32_t *u = realloc(d->user_id, (size_t)(d->n_users + 1) * sizeof *u);
            if (!u)
                goto nomem;
            d->user_id = u;
            d->user_id[d->n_users] = (int32_t)uid;
            uix[uid] = d->n_users++;
        }
        if (mix[mid] < 0) {
            const size_t m = (size_t)d->n_movies + 1;
            int32_t *a = realloc(d->movie_id, m * sizeof *a), *y = a ? realloc(d->year, m * sizeof *y) : NULL;
            if (a)
                d->movie_id = a;
            if (y)
                d->year = y;
            uint32_t *g = y ? realloc(d->genres, m * sizeof *g) : NULL;
            if (!g)
                goto nomem;
            d->genres = g;
            d->movie_id[d->n_movies] = (int32_t)mid;
            d->year[d->n_movies] = (int32_t)year;
            uint32_t bits = 0;
            for (char *tok = strtok(buf[6], "|"); tok; tok = strtok(NULL, "|"))
                for (int gi = 0; gi < N_GENRES; gi++)
                    if (strcmp(tok, genre_names[gi]) == 0)
                        bits |= 1u << gi;
            d->genres[d->n_movies] = bits;
            mix[mid] = d->n_movies++;
        }
        d->r[d->n++] = (rating){uix[uid], mix[mid], (float)stars, (int64_t)ts};
    }
    if (ferror(f))
        st = plumb__fail(err, PLUMB_EIO, "cannot read '%s'", path);
    else if (d->n < 1000)
        st = plumb__error_at(err, PLUMB_EFORMAT, path, lineno, 1, "%lld ratings: the study needs at least 1000",
                             (long long)d->n);
    goto done;
nomem:
    st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
done:
    if (st != PLUMB_OK) {
        dataset_free(d);
        memset(d, 0, sizeof *d);
    }
    free(line);
    free(uix);
    free(mix);
    fclose(f);
    return st;
}

/* What the ratings before a cut say about each user and movie. */
typedef struct history {
    int64_t cut;
    int32_t *u_count, *u_high, *u_genre; /* u_genre: n_users x N_GENRES */
    double *u_sum;
    int64_t *u_last;
    int32_t *m_count, *m_high;
    double *m_sum;
} history;

static void history_free(history *h) {
    free(h->u_count);
    free(h->u_high);
    free(h->u_genre);
    free(h->u_sum);
    free(h->u_last);
    free(h->m_count);
    free(h->m_high);
    free(h->m_sum);
}

static plumb_status history_build(const dataset *d, int64_t cut, history *h, plumb_error *err) {
    const size_t nu = (size_t)d->n_users, nm = (size_t)d->n_movies;
    *h = (history){.cut = cut};
    h->u_count = calloc(nu, sizeof *h->u_count);
    h->u_high = calloc(nu, sizeof *h->u_high);
    h->u_genre = calloc(nu * N_GENRES, sizeof *h->u_genre);
    h->u_sum = calloc(nu, sizeof *h->u_sum);
    h->u_last = calloc(nu, sizeof *h->u_last);
    h->m_count = calloc(nm, sizeof *h->m_count);
    h->m_high = calloc(nm, sizeof *h->m_high);
    h->m_sum = calloc(nm, sizeof *h->m_sum);
    if (!h->u_count || !h->u_high || !h->u_genre || !h->u_sum || !h->u_last || !h->m_count || !h->m_high || !h->m_sum) {
        history_free(h);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < d->n; i++) {
        const rating *r = &d->r[i];
        if (r->ts >= cut)
            continue;
        const int high = r->stars >= 4;
        h->u_count[r->user]++;
        h->u_high[r->user] += high;
        h->u_sum[r->user] += r->stars;
        h->u_last[r->user] = r->ts > h->u_last[r->user] ? r->ts : h->u_last[r->user];
        for (int g = 0; g < N_GENRES; g++)
            h->u_genre[(size_t)r->user * N_GENRES + (size_t)g] += (int32_t)(d->genres[r->movie] >> g & 1u);
        h->m_count[r->movie]++;
        h->m_high[r->movie] += high;
        h->m_sum[r->movie] += r->stars;
    }
    return PLUMB_OK;
}

/* The features of (user, movie) as of h's cut into x[0..N_FEATURES); NaN where the history has nothing. Must agree
 * with the SQL of write_query. */
static void features_of(const dataset *d, const history *h, int32_t u, int32_t m, double *x) {
    const double nu = h->u_count[u], nm = h->m_count[m];
    x[F_U_COUNT] = nu;
    x[F_U_MEAN] = nu > 0 ? h->u_sum[u] / nu : NAN;
    x[F_U_HIGH] = nu > 0 ? h->u_high[u] / nu : NAN;
    x[F_U_DAYS] = nu > 0 ? (double)(h->cut - h->u_last[u]) / 86400.0 : NAN;
    double aff = 0;
    int n_g = 0;
    for (int g = 0; g < N_GENRES; g++) {
        const double share = nu > 0 ? h->u_genre[(size_t)u * N_GENRES + (size_t)g] / nu : NAN;
        x[F_U_GENRE + g] = share;
        if (d->genres[m] >> g & 1u) {
            aff += share;
            n_g++;
        }
    }
    x[F_AFFINITY] = nu > 0 && n_g > 0 ? aff / n_g : NAN;
    x[F_M_COUNT] = nm;
    x[F_M_MEAN] = nm > 0 ? h->m_sum[m] / nm : NAN;
    x[F_M_HIGH] = nm > 0 ? h->m_high[m] / nm : NAN;
    x[F_M_YEAR] = d->year[m] ? d->year[m] : NAN;
    for (int g = 0; g < N_GENRES; g++)
        x[F_M_GENRE + g] = (double)(d->genres[m] >> g & 1u);
}

/* The feature names, in feature order (static storage). */
static const char *feature_name(int f) {
    static char names[N_FEATURES][40];
    static const char *const fixed[] = {[F_U_COUNT] = "u_count", [F_U_MEAN] = "u_mean",       [F_U_HIGH] = "u_high",
                                        [F_U_DAYS] = "u_days",   [F_AFFINITY] = "u_affinity", [F_M_COUNT] = "m_count",
                                        [F_M_MEAN] = "m_mean",   [F_M_HIGH] = "m_high",       [F_M_YEAR] = "m_year"};
    if (f < (int)(sizeof fixed / sizeof *fixed) && fixed[f])
        return fixed[f];
    if (!names[f][0]) {
        const int g = f >= F_M_GENRE ? f - F_M_GENRE : f - F_U_GENRE;
        char *p = names[f] + snprintf(names[f], sizeof names[f], "%s_", f >= F_M_GENRE ? "m" : "u");
        for (const char *s = genre_names[g]; *s; s++)
            *p++ = *s == '-' ? '_' : (char)(*s | 0x20); /* "Sci-Fi" -> "sci_fi" */
        *p = '\0';
    }
    return names[f];
}

/* One split: the ratings of [lo, hi) with features as of h. */
typedef struct examples {
    int64_t n;
    double *x;      /* n x N_FEATURES */
    int8_t *liked;  /* 0, 1 */
    int32_t *user;  /* dense index */
    int32_t *movie; /* dense index */
} examples;

static void examples_free(examples *e) {
    free(e->x);
    free(e->liked);
    free(e->user);
    free(e->movie);
}

static plumb_status examples_build(const dataset *d, const history *h, int64_t lo, int64_t hi, examples *e,
                                   plumb_error *err) {
    *e = (examples){0};
    int64_t n = 0;
    for (int64_t i = 0; i < d->n; i++)
        n += d->r[i].ts >= lo && d->r[i].ts < hi;
    e->x = malloc((size_t)(n + 1) * N_FEATURES * sizeof *e->x);
    e->liked = malloc((size_t)n + 1);
    e->user = malloc((size_t)(n + 1) * sizeof *e->user);
    e->movie = malloc((size_t)(n + 1) * sizeof *e->movie);
    if (!e->x || !e->liked || !e->user || !e->movie) {
        examples_free(e);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < d->n; i++) {
        const rating *r = &d->r[i];
        if (r->ts < lo || r->ts >= hi)
            continue;
        features_of(d, h, r->user, r->movie, e->x + (size_t)e->n * N_FEATURES);
        e->liked[e->n] = r->stars >= 4;
        e->user[e->n] = r->user;
        e->movie[e->n++] = r->movie;
    }
    return PLUMB_OK;
}

/* The examples as a frame: the features and the target "liked" (no, yes). */
static plumb_status examples_frame(const examples *e, plumb_frame **out, plumb_error *err) {
    static const char *const levels[] = {"no", "yes"};
    plumb_array_column cols[N_FEATURES + 1];
    memset(cols, 0, sizeof cols);
    for (int f = 0; f < N_FEATURES; f++)
        cols[f] = (plumb_array_column){.name = feature_name(f),
                                       .type = PLUMB_TYPE_NUMERIC,
                                       .dtype = PLUMB_ARRAY_F64,
                                       .data = e->x + f,
                                       .stride = N_FEATURES};
    cols[N_FEATURES] = (plumb_array_column){.name = "liked",
                                            .type = PLUMB_TYPE_CATEGORICAL,
                                            .role = PLUMB_ROLE_TARGET,
                                            .dtype = PLUMB_ARRAY_I8,
                                            .data = e->liked,
                                            .categories = levels,
                                            .n_categories = 2};
    return plumb_frame_from_arrays(cols, N_FEATURES + 1, e->n, NULL, out, err);
}

/* ROC-AUC of scores, and NDCG@10 over each user's candidates (the user's test ratings; relevant: liked), averaged
 * over the users with at least one liked and one other candidate. */
typedef struct quality {
    double auc, ndcg10;
    int64_t n_users;
} quality;

static int cmp_desc(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static plumb_status quality_of(const examples *e, int32_t n_users, const double *score, quality *q, plumb_error *err) {
    double *y = malloc((size_t)(e->n + 1) * sizeof *y), *pair = malloc((size_t)(e->n + 1) * 2 * sizeof *pair);
    int64_t *start = calloc((size_t)n_users + 2, sizeof *start), *fill = NULL;
    plumb_status st = PLUMB_OK;
    if (!y || !pair || !start || !(fill = malloc(((size_t)n_users + 1) * sizeof *fill))) {
        st = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < e->n; i++)
        y[i] = e->liked[i];
    plumb_metric_data md;
    plumb_metric_data_init(&md);
    md.n_rows = e->n;
    md.label = y;
    md.score = score;
    const plumb_metric m = PLUMB_METRIC_ROC_AUC;
    if ((st = plumb_metrics_compute(&md, &m, 1, &q->auc, err)) != PLUMB_OK)
        goto done;
    /* group the rows by user (counting sort), each user's candidates as (score, liked) pairs */
    for (int64_t i = 0; i < e->n; i++)
        start[e->user[i] + 1]++;
    for (int32_t u = 0; u < n_users; u++)
        start[u + 1] += start[u];
    memcpy(fill, start, (size_t)n_users * sizeof *fill);
    for (int64_t i = 0; i < e->n; i++) {
        const int64_t k = fill[e->user[i]]++;
        pair[2 * k] = score[i];
        pair[2 * k + 1] = e->liked[i];
    }
    double sum = 0;
    q->n_users = 0;
    for (int32_t u = 0; u < n_users; u++) {
        double *c = pair + 2 * start[u];
        const int64_t n = start[u + 1] - start[u];
        int64_t pos = 0;
        for (int64_t k = 0; k < n; k++)
            pos += c[2 * k + 1] > 0;
        if (pos == 0 || pos == n)
            continue;
        /* sort by score, then by liked ascending among ties: a tie is not counted in the model's favour */
        qsort(c, (size_t)n, 2 * sizeof *c, cmp_desc);
        for (int64_t a = 0; a < n;) {
            int64_t b = a;
            while (b < n && c[2 * b] == c[2 * a])
                b++;
            int64_t liked = 0;
            for (int64_t k = a; k < b; k++)
                liked += c[2 * k + 1] > 0;
            for (int64_t k = a; k < b; k++)
                c[2 * k + 1] = k >= b - liked;
            a = b;
        }
        double dcg = 0, ideal = 0;
        for (int64_t k = 0; k < n && k < 10; k++) {
            const double disc = 1 / log2((double)k + 2);
            dcg += c[2 * k + 1] * disc;
            ideal += k < pos ? disc : 0;
        }
        sum += dcg / ideal;
        q->n_users++;
    }
    q->ndcg10 = q->n_users ? sum / (double)q->n_users : NAN;
done:
    free(y);
    free(pair);
    free(start);
    free(fill);
    return st;
}

/* The time at which a share q of the ratings came before. */
static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Writes the raw ratings before cut (ratings.csv: rating_id, userId, movieId, rating, timestamp) and the catalogue
 * of movies (movies.csv: movieId, year, genres): the tables the slow path queries. */
static plumb_status write_raw(const dataset *d, int64_t cut, const char *ratings_path, const char *movies_path,
                              plumb_error *err) {
    plumb_outfile *of = NULL;
    FILE *f;
    if (plumb_outfile_open(ratings_path, &of, &f, err) != PLUMB_OK)
        return err->code;
    fputs("rating_id,userId,movieId,rating,timestamp\n", f);
    for (int64_t i = 0; i < d->n; i++) {
        const rating *r = &d->r[i];
        if (r->ts < cut)
            fprintf(f, "%lld,%d,%d,%g,%lld\n", (long long)i + 1, d->user_id[r->user], d->movie_id[r->movie],
                    (double)r->stars, (long long)r->ts);
    }
    if (plumb_outfile_commit(of, err) != PLUMB_OK || plumb_outfile_open(movies_path, &of, &f, err) != PLUMB_OK)
        return err->code;
    fputs("movieId,year,genres\n", f);
    for (int32_t m = 0; m < d->n_movies; m++) {
        fprintf(f, "%d,", d->movie_id[m]);
        if (d->year[m])
            fprintf(f, "%d", d->year[m]);
        fputc(',', f);
        for (int g = 0, first = 1; g < N_GENRES; g++)
            if (d->genres[m] >> g & 1u) {
                fprintf(f, "%s%s", first ? "" : "|", genre_names[g]);
                first = 0;
            }
        fputc('\n', f);
    }
    return plumb_outfile_commit(of, err);
}

/* Writes the precomputed features of the test candidates (pairs.csv, key "pair" = "user:movie"), as of the cut:
 * the feature store of the fast path. Values are printed to 17 significant digits, so they read back exactly. */
static plumb_status write_pairs(const dataset *d, const examples *e, const char *path, plumb_error *err) {
    plumb_outfile *of = NULL;
    FILE *f;
    if (plumb_outfile_open(path, &of, &f, err) != PLUMB_OK)
        return err->code;
    fputs("pair", f);
    for (int k = 0; k < N_FEATURES; k++)
        fprintf(f, ",%s", feature_name(k));
    fputc('\n', f);
    uint8_t *seen = calloc((size_t)d->n_users * (size_t)d->n_movies / 8 + 1, 1);
    if (!seen) {
        plumb_outfile_abort(of);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < e->n; i++) {
        const size_t bit = (size_t)e->user[i] * (size_t)d->n_movies + (size_t)e->movie[i];
        if (seen[bit / 8] >> (bit % 8) & 1u)
            continue; /* a user who rated a movie twice in the period: one pair */
        seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
        fprintf(f, "%d:%d", d->user_id[e->user[i]], d->movie_id[e->movie[i]]);
        for (int k = 0; k < N_FEATURES; k++) {
            const double v = e->x[(size_t)i * N_FEATURES + (size_t)k];
            if (isnan(v))
                fputc(',', f);
            else
                fprintf(f, ",%.17g", v);
        }
        fputc('\n', f);
    }
    free(seen);
    return plumb_outfile_commit(of, err);
}

/* Writes the SQL that computes the features of the entity "user:movie" (?1) from the raw ratings table as of the
 * cut: what a first prototype runs per request. It agrees with features_of (tests/cli/realtime checks it). */
static plumb_status write_query(int64_t cut, const char *path, plumb_error *err) {
    plumb_outfile *of = NULL;
    FILE *f;
    if (plumb_outfile_open(path, &of, &f, err) != PLUMB_OK)
        return err->code;
    fprintf(f,
            "-- The features of one (user, movie) pair, aggregated per request from the raw ratings before the cut\n"
            "-- (%lld, Unix time). ?1 is the entity key \"userId:movieId\". Written by plumb demo realtime.\n"
            "WITH k AS (SELECT CAST(substr(?1, 1, instr(?1, ':') - 1) AS INTEGER) AS u,\n"
            "                  CAST(substr(?1, instr(?1, ':') + 1) AS INTEGER) AS m),\n"
            "  mv AS (SELECT genres, year FROM movies, k WHERE CAST(movieId AS INTEGER) = k.m),\n"
            "  ur AS (SELECT CAST(r.rating AS REAL) AS r, CAST(r.timestamp AS INTEGER) AS t, v.genres\n"
            "         FROM ratings r JOIN movies v ON v.movieId = r.movieId, k\n"
            "         WHERE CAST(r.userId AS INTEGER) = k.u AND CAST(r.timestamp AS INTEGER) < %lld),\n"
            "  mr AS (SELECT CAST(rating AS REAL) AS r FROM ratings, k\n"
            "         WHERE CAST(movieId AS INTEGER) = k.m AND CAST(timestamp AS INTEGER) < %lld),\n"
            "  us AS (SELECT count(*) AS n, avg(r) AS mean, avg(r >= 4) AS high, (%lld - max(t)) / 86400.0 AS days",
            (long long)cut, (long long)cut, (long long)cut, (long long)cut);
    for (int g = 0; g < N_GENRES; g++)
        fprintf(f, ",\n            avg('|' || genres || '|' LIKE '%%|%s|%%') AS g%d", genre_names[g], g);
    fputs(" FROM ur),\n"
          "  ms AS (SELECT count(*) AS n, avg(r) AS mean, avg(r >= 4) AS high FROM mr)\n"
          "SELECT us.n AS u_count, us.mean AS u_mean, us.high AS u_high, us.days AS u_days",
          f);
    for (int g = 0; g < N_GENRES; g++)
        fprintf(f, ",\n  us.g%d AS %s", g, feature_name(F_U_GENRE + g));
    /* the affinity: the mean of the user's shares over the movie's genres */
    fputs(",\n  CASE WHEN us.n > 0 THEN (0", f);
    for (int g = 0; g < N_GENRES; g++)
        fprintf(f, " + CASE WHEN '|' || mv.genres || '|' LIKE '%%|%s|%%' THEN us.g%d ELSE 0 END", genre_names[g], g);
    fputs(") / nullif(0", f);
    for (int g = 0; g < N_GENRES; g++)
        fprintf(f, " + ('|' || mv.genres || '|' LIKE '%%|%s|%%')", genre_names[g]);
    fputs(", 0) END AS u_affinity,\n  ms.n AS m_count, ms.mean AS m_mean, ms.high AS m_high, "
          "CAST(nullif(mv.year, '') AS INTEGER) AS m_year",
          f);
    for (int g = 0; g < N_GENRES; g++)
        fprintf(f, ",\n  ('|' || mv.genres || '|' LIKE '%%|%s|%%') AS %s", genre_names[g], feature_name(F_M_GENRE + g));
    fputs("\nFROM us, ms, mv;\n", f);
    return plumb_outfile_commit(of, err);
}

/* Size in bytes of the file at path, -1 when it cannot be read. */
static int64_t file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fclose(f);
    return n;
}

/* One model of the ladder: its file, its quality on the test period, its size. */
typedef struct step {
    const char *name, *file, *what;
    plumb_model *model;
    quality q;
    int64_t bytes, n_trees;
} step;

plumb_status plumb__study_realtime(plumb__study_ctx *ctx, plumb_error *err) {
    const plumb_study_options *o = ctx->opts;
    FILE *out = ctx->summary;
    dataset d = {0};
    history h1 = {0}, h2 = {0};
    examples tr = {0}, te = {0};
    plumb_frame *ftr = NULL, *fte = NULL;
    plumb_model *student_gbdt = NULL;
    plumb_audit *audit = NULL;
    char *audit_text = NULL;
    int64_t *times = NULL;
    double *score = NULL;
    json_t *rec = NULL;
    enum { N_STEPS = 4 };
    step steps[N_STEPS] = {
        {.name = "teacher", .file = "teacher.plumb", .what = "gbdt, 500 trees of 31 leaves"},
        {.name = "student", .file = "student.plumb", .what = "distilled gbdt, 60 trees of 15 leaves"},
        {.name = "student_q", .file = "student_q.plumb", .what = "the student quantised (16-bit leaves)"},
        {.name = "student_so", .file = "student.so", .what = "the student compiled to a shared object"},
    };
    plumb_status rc;
    if (!o->data_path || !o->data_path[0]) {
        rc = plumb__fail(err, PLUMB_EINVAL, "the realtime study needs the movielens ratings file (--data FILE)");
        goto done;
    }

    /* ---- 1. the data: the ratings, two time cuts ---- */
    if ((rc = read_ratings(o->data_path, ctx->n_rows, &d, err)) != PLUMB_OK)
        goto done;
    if (!(times = malloc((size_t)d.n * sizeof *times))) {
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < d.n; i++)
        times[i] = d.r[i].ts;
    qsort(times, (size_t)d.n, sizeof *times, cmp_i64);
    const int64_t t1 = times[d.n * 6 / 10], t2 = times[d.n * 8 / 10];
    if ((rc = history_build(&d, t1, &h1, err)) != PLUMB_OK || (rc = history_build(&d, t2, &h2, err)) != PLUMB_OK ||
        (rc = examples_build(&d, &h1, t1, t2, &tr, err)) != PLUMB_OK ||
        (rc = examples_build(&d, &h2, t2, INT64_MAX, &te, err)) != PLUMB_OK)
        goto done;
    if ((rc = examples_frame(&tr, &ftr, err)) != PLUMB_OK || (rc = examples_frame(&te, &fte, err)) != PLUMB_OK)
        goto done;
    char ratings_path[4096];
    snprintf(ratings_path, sizeof ratings_path, "%s/ratings.csv", o->output_dir);
    if ((rc = write_raw(&d, t2, ratings_path, plumb__study_path(ctx, "movies.csv"), err)) != PLUMB_OK ||
        (rc = write_pairs(&d, &te, plumb__study_path(ctx, "pairs.csv"), err)) != PLUMB_OK ||
        (rc = write_query(t2, plumb__study_path(ctx, "features.sql"), err)) != PLUMB_OK)
        goto done;

    /* ---- 2. the teacher: the large model a prototype ships ---- */
    plumb_gbdt_params p;
    plumb_gbdt_params_init(&p);
    p.positive_class = "yes";
    p.num_iterations = 500;
    p.learning_rate = 0.03;
    p.num_leaves = 31;
    p.min_data_in_leaf = 50;
    p.feature_fraction = 0.8;
    p.seed = o->seed;
    p.n_threads = o->n_threads;
    if (plumb_gbdt_train(ftr, NULL, &p, &steps[0].model, err) != PLUMB_OK) {
        rc = err->code;
        goto done;
    }

    /* ---- 3. the audit: the time split and the features ---- */
    plumb_audit_options ao;
    plumb_audit_options_init(&ao);
    ao.positive_class = "yes";
    ao.test = fte;
    ao.model = steps[0].model;
    ao.seed = o->seed;
    ao.n_threads = o->n_threads;
    if (plumb_audit_run(ftr, &ao, &audit, err) != PLUMB_OK) {
        rc = err->code;
        goto done;
    }
    int64_t n_crit = 0;
    for (int64_t i = 0; i < plumb_audit_n_findings(audit); i++)
        n_crit += plumb_audit_finding(audit, i)->severity == PLUMB_SEVERITY_CRITICAL;

    /* ---- 4. the student: distilled, quantised, compiled ---- */
    plumb_distill_options dop;
    plumb_distill_options_init(&dop);
    dop.gbdt.num_iterations = 60;
    dop.gbdt.num_leaves = 15;
    dop.gbdt.learning_rate = 0.1;
    dop.gbdt.min_data_in_leaf = 50;
    dop.gbdt.seed = o->seed;
    dop.gbdt.n_threads = o->n_threads;
    dop.labels_weight = 0.5;
    plumb_quantize_options qo;
    plumb_quantize_options_init(&qo);
    qo.leaf_bits = 16;
    char so_path[4096], student_path[4096];
    snprintf(student_path, sizeof student_path, "%s/student.plumb", o->output_dir);
    snprintf(so_path, sizeof so_path, "%s/student.so", o->output_dir);
    if (plumb_model_distill(steps[0].model, ftr, &dop, &student_gbdt, err) != PLUMB_OK ||
        plumb_model_save(steps[0].model, plumb__study_path(ctx, steps[0].file), err) != PLUMB_OK ||
        plumb_model_save(student_gbdt, student_path, err) != PLUMB_OK ||
        plumb_model_quantize(student_gbdt, &qo, &steps[2].model, NULL, err) != PLUMB_OK ||
        plumb_model_save(steps[2].model, plumb__study_path(ctx, steps[2].file), err) != PLUMB_OK ||
        plumb_model_compile(student_path, so_path, NULL, NULL, err) != PLUMB_OK ||
        plumb_model_load(so_path, &steps[3].model, err) != PLUMB_OK) {
        rc = err->code;
        goto done;
    }
    steps[1].model = student_gbdt;
    student_gbdt = NULL;

    /* ---- 5. quality of each model on the test period ---- */
    if (!(score = malloc((size_t)(te.n + 1) * sizeof *score))) {
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < N_STEPS; k++) {
        plumb_model_info info;
        plumb_model_describe(steps[k].model, &info);
        steps[k].n_trees = info.n_trees;
        steps[k].bytes = file_size(plumb__study_path(ctx, steps[k].file));
        if (plumb_model_predict(steps[k].model, fte, NULL, score, err) != PLUMB_OK) {
            rc = err->code;
            goto done;
        }
        if ((rc = quality_of(&te, d.n_users, score, &steps[k].q, err)) != PLUMB_OK)
            goto done;
    }

    /* ---- 6. the record and the summary ---- */
    rec = plumb__run_new("case_study", "Real-time recommendations: from a slow path to a fast one");
    if ((rc = plumb__run_add_evaluation(rec, "test period (after the cut)", "teacher", steps[0].model, fte,
                                        "test period", NULL, err)) != PLUMB_OK ||
        (rc = plumb__run_add_evaluation(rec, "test period (after the cut)", "student", steps[1].model, fte,
                                        "test period", NULL, err)) != PLUMB_OK ||
        (rc = plumb__run_model(rec, steps[0].model, fte, err)) != PLUMB_OK)
        goto done;
    if (!(audit_text = plumb_audit_json(audit))) {
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    json_error_t je;
    json_t *audit_obj = json_loads(audit_text, 0, &je);
    if (!audit_obj) {
        rc = plumb__fail(err, PLUMB_ENOMEM, "out of memory");
        goto done;
    }
    json_object_set_new(rec, "audit", audit_obj);
    int64_t n_pos = 0;
    for (int64_t i = 0; i < tr.n; i++)
        n_pos += tr.liked[i];
    json_object_set_new(
        rec, "data",
        plumb__run_data(o->data_path, tr.n, "liked", "yes", PLUMB_TASK_BINARY, (double)n_pos / (double)tr.n));
    json_object_set_new(json_object_get(rec, "data"), "negative_class", json_string("no"));
    json_t *models = json_array();
    for (int k = 0; k < N_STEPS; k++)
        json_array_append_new(
            models, json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I}", "name", steps[k].name, "file", steps[k].file,
                              "what", steps[k].what, "roc_auc", plumb__json_number(steps[k].q.auc), "ndcg_at_10",
                              plumb__json_number(steps[k].q.ndcg10), "ndcg_users", (json_int_t)steps[k].q.n_users,
                              "bytes", (json_int_t)steps[k].bytes, "n_trees", (json_int_t)steps[k].n_trees));
    json_object_set_new(rec, "realtime",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "ratings", (json_int_t)d.n, "users",
                                  (json_int_t)d.n_users, "movies", (json_int_t)d.n_movies, "cut_train", (json_int_t)t1,
                                  "cut_test", (json_int_t)t2, "train_rows", (json_int_t)tr.n, "test_rows",
                                  (json_int_t)te.n, "models", models));
    const double d_auc = steps[3].q.auc - steps[0].q.auc;
    char problem[1024], approach[1400], validation[1024], risks[1024], results[1024], decision[900], rationale[1024];
    snprintf(problem, sizeof problem,
             "A recommender ranks movies for a user in real time: for each candidate it estimates the probability "
             "that the user will rate it 4 stars or more. %lld ratings of %d users on %d movies (movielens). A first "
             "prototype computes the features per request from the raw ratings and scores them with a large model; "
             "the question is how fast it can answer, and what quality speed costs.",
             (long long)d.n, d.n_users, d.n_movies);
    snprintf(approach, sizeof approach,
             "User features (count, mean rating, share of high ratings, days since the last rating, genre profile, "
             "affinity for the movie's genres) and movie features (popularity, mean rating, share of high ratings, "
             "year, genres) are aggregated from the ratings before a cut. The teacher is %s; the student is %s, "
             "fitted half to the teacher's scores and half to the labels, then quantised and compiled. The slow "
             "path aggregates the features per request in SQL (features.sql) and scores the teacher; the fast path "
             "reads them precomputed from the feature store, through the cache, and scores the compiled student.",
             steps[0].what, steps[1].what);
    snprintf(validation, sizeof validation,
             "A time split without leakage: the models learn from the %lld ratings between the two cuts with "
             "features as of the first, and are tested on the %lld ratings after the second with features as of the "
             "second. Quality: ROC-AUC over every test rating, NDCG@10 over each user's candidates (the movies the "
             "user rated after the cut; %lld users with both liked and other candidates). The audit of the split "
             "and the features raised %lld critical findings.",
             (long long)tr.n, (long long)te.n, (long long)steps[0].q.n_users, (long long)n_crit);
    snprintf(risks, sizeof risks,
             "New users and new movies have no history before the cut (their features are missing) and are ranked on "
             "the popularity of what they meet. The features are as of the cut: in production the store must be "
             "refreshed as ratings arrive, and the cache's time to live bounds how stale a served feature may be. "
             "The candidates are the movies a user went on to rate, an easier list than the whole catalogue.");
    snprintf(results, sizeof results,
             "Teacher: AUC %.4f, NDCG@10 %.4f, %lld bytes. Student: AUC %.4f, NDCG@10 %.4f, %lld bytes. Quantised: "
             "AUC %.4f. Compiled: AUC %.4f, NDCG@10 %.4f (%+.4f AUC against the teacher).",
             steps[0].q.auc, steps[0].q.ndcg10, (long long)steps[0].bytes, steps[1].q.auc, steps[1].q.ndcg10,
             (long long)steps[1].bytes, steps[2].q.auc, steps[3].q.auc, steps[3].q.ndcg10, d_auc);
    snprintf(decision, sizeof decision, "%s",
             fabs(d_auc) <= 0.005 || d_auc > 0
                 ? "Serve the compiled student from the precomputed feature store: its quality is the teacher's."
                 : "Keep the teacher: the student loses more than 0.005 AUC.");
    snprintf(rationale, sizeof rationale,
             "Equal quality is the condition of the fast path: the compiled student is within %.4f AUC of the "
             "teacher, so what the fast path buys in latency is not paid for in recommendations.",
             fabs(d_auc));
    json_object_set_new(rec, "narrative",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "problem", problem, "approach", approach,
                                  "validation", validation, "risks", risks, "results", results, "decision", decision,
                                  "rationale", rationale));
    if ((rc = plumb__run_write(rec, plumb__study_path(ctx, "report.html"), err)) != PLUMB_OK)
        goto done;

    fprintf(out, "real-time recommendation case study: %lld ratings, %d users, %d movies\n", (long long)d.n, d.n_users,
            d.n_movies);
    fprintf(out, "time split: %lld training ratings, %lld test ratings; audit: %lld critical findings\n",
            (long long)tr.n, (long long)te.n, (long long)n_crit);
    fprintf(out, "\n%-12s %8s %8s %10s %6s\n", "model", "ROC-AUC", "NDCG@10", "bytes", "trees");
    for (int k = 0; k < N_STEPS; k++)
        fprintf(out, "%-12s %8.4f %8.4f %10lld %6lld\n", steps[k].name, steps[k].q.auc, steps[k].q.ndcg10,
                (long long)steps[k].bytes, (long long)steps[k].n_trees);
    fprintf(out, "\nreport: %s (every number in report.json beside it)\n", plumb__study_path(ctx, "report.html"));
done:
    for (int k = 0; k < N_STEPS; k++)
        plumb_model_free(steps[k].model);
    plumb_model_free(student_gbdt);
    plumb_audit_free(audit);
    free(audit_text);
    free(times);
    free(score);
    json_decref(rec);
    plumb_frame_free(ftr);
    plumb_frame_free(fte);
    examples_free(&tr);
    examples_free(&te);
    history_free(&h1);
    history_free(&h2);
    dataset_free(&d);
    return rc;
}
