/* test_store.c -- the feature store (src/features): SQLite files written by plumb_features_load and a real
 * redis-server that each Redis test starts on a free loopback port in a temporary directory and stops, behind the
 * LRU cache (hit and miss counts, TTL, eviction order, many threads), and a Redis that dies, hangs and comes back.
 */
#define _GNU_SOURCE
#include "test.h"

#include "features/store.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

static const char *const COLS[] = {"age", "city", "score", "nope"};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A temporary directory for the test's files, removed at exit. */
static char tmp_dir[512];
static void remove_tmp_dir(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (tmp_dir[0] && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmp_dir);
}
static const char *tmp_path(const char *name) {
    static char path[600];
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "%s/plumb_store_XXXXXX", plumb_test_tmp_dir());
        assert_non_null(mkdtemp(tmp_dir));
        atexit(remove_tmp_dir);
    }
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return path;
}

/* Writes text to the test directory's file name and loads it as table "users" of users.db. */
static void load_users(const char *text) {
    char csv[600];
    snprintf(csv, sizeof csv, "%s", tmp_path("users.csv"));
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    plumb_error err;
    assert_int_equal(plumb_features_load(csv, "user_id", tmp_path("users.db"), "users", &err), PLUMB_OK);
}

static const char USERS[] = "user_id,age,city,score\nu1,30,Paris,0.10\nu2,,\"New, York\",NA\nu3,41,Rome,007\n";

static plumb__store *open_sqlite(size_t cache, double ttl) {
    plumb__store *s = NULL;
    plumb_error err;
    char uri[700];
    snprintf(uri, sizeof uri, "sqlite:%s", tmp_path("users.db"));
    assert_int_equal(plumb__store_open(uri, "users", cache, ttl, &s, &err), PLUMB_OK);
    return s;
}

/* get KEY: asserts success and returns found; values into v (4 columns of COLS). */
static int get(plumb__store *s, const char *key, const char **v) {
    plumb_error err;
    int found = -1;
    assert_int_equal(plumb__store_get(s, key, 4, COLS, v, &found, &err), PLUMB_OK);
    return found;
}

static void expect_stats(const plumb__store *s, uint64_t hits, uint64_t misses, uint64_t expired, uint64_t evictions) {
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_int_equal(st.expired, expired);
    assert_int_equal(st.evictions, evictions);
}

/* ---- SQLite ------------------------------------------------------------------------------------------------ */

static void sqlite_values(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = open_sqlite(0, 0);
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30");
    assert_string_equal(v[1], "Paris");
    assert_string_equal(v[2], "0.10"); /* the text as written, not a re-formatted number */
    assert_null(v[3]);                 /* no such column */
    assert_int_equal(get(s, "u2", v), 1);
    assert_null(v[0]); /* "" and NA are stored as NULL */
    assert_string_equal(v[1], "New, York");
    assert_null(v[2]);
    assert_int_equal(get(s, "u3", v), 1);
    assert_string_equal(v[2], "007");
    plumb__store_close(s);
}

static void sqlite_missing_entity(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = open_sqlite(0, 0);
    const char *v[4] = {"x", "x", "x", "x"};
    assert_int_equal(get(s, "u9", v), 0);
    for (int i = 0; i < 4; i++)
        assert_null(v[i]);
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.not_found, 1);
    assert_int_equal(st.errors, 0);
    plumb__store_close(s);
}

/* Writes text to the test directory's file name; returns its path (tmp_path's buffer). */
static const char *write_file(const char *name, const char *text) {
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Opens the query backend on users.db with the SQL text; returns the status, err filled. */
static plumb_status open_query(const char *sql, plumb__store **s, plumb_error *err) {
    char uri[700], file[700];
    snprintf(file, sizeof file, "%s", write_file("q.sql", sql));
    snprintf(uri, sizeof uri, "query:%s", tmp_path("users.db"));
    return plumb__store_open(uri, file, 0, 0, s, err);
}

static void query_values(void **state) {
    (void)state;
    load_users("user_id,age,city,score\nu1,30,Paris,1\nu2,40,Paris,2\nu3,41,Rome,3\n");
    /* an entity per city: its features aggregated from the rows per lookup */
    plumb__store *s = NULL;
    plumb_error err;
    plumb_test_ok(open_query("-- per city\nSELECT count(*) AS age, ?1 AS city, avg(CAST(score AS REAL)) AS score\n"
                             "FROM users WHERE city = ?1 HAVING count(*) > 0;\n",
                             &s, &err),
                  &err);
    const char *v[4];
    assert_int_equal(get(s, "Paris", v), 1);
    assert_string_equal(v[0], "2");
    assert_string_equal(v[1], "Paris");
    assert_string_equal(v[2], "1.5");
    assert_null(v[3]);
    assert_int_equal(get(s, "Rome", v), 1);
    assert_string_equal(v[0], "1");
    assert_int_equal(get(s, "Oslo", v), 0); /* no row: no entity */
    /* the aggregate follows the table: a row added is in the next lookup (no cache) */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(tmp_path("users.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO users VALUES ('u4', '50', 'Rome', '5')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(get(s, "Rome", v), 1);
    assert_string_equal(v[0], "2");
    assert_string_equal(v[2], "4.0");
    plumb__store_close(s);
}

static void query_errors(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = NULL;
    plumb_error err;
    char msg[PLUMB_ERROR_MAX], want[800];
    assert_int_equal(open_query("SELECT *\nFROM users WHERE user_id = ?1 AND AND", &s, &err), PLUMB_EFORMAT);
    snprintf(want, sizeof want, "%s:2:35: near \"AND\": syntax error", tmp_path("q.sql"));
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    assert_null(s);
    assert_int_equal(open_query("SELECT * FROM nothere WHERE user_id = ?1", &s, &err), PLUMB_EFORMAT);
    assert_string_equal(err.message, "no such table: nothere"); /* SQLite gives no place for it */
    assert_int_equal(open_query("SELECT * FROM users WHERE user_id = ?1;\n SELECT 1", &s, &err), PLUMB_EFORMAT);
    snprintf(want, sizeof want, "%s:2:2: a query file holds one statement", tmp_path("q.sql"));
    assert_string_equal(plumb_error_format(&err, msg, sizeof msg), want);
    assert_int_equal(open_query("SELECT * FROM users", &s, &err), PLUMB_EFORMAT);
    assert_non_null(strstr(err.message, "one parameter, ?1, the entity key (it has 0)"));
    assert_int_equal(open_query("DELETE FROM users WHERE user_id = ?1", &s, &err), PLUMB_EFORMAT);
    assert_int_equal(open_query("  -- nothing\n", &s, &err), PLUMB_EFORMAT);
    assert_non_null(strstr(err.message, "no SQL statement"));
    char uri[700];
    snprintf(uri, sizeof uri, "query:%s", tmp_path("users.db"));
    assert_int_equal(plumb__store_open(uri, tmp_path("absent.sql"), 0, 0, &s, &err), PLUMB_EIO);
    assert_null(s);
    /* nothing was deleted */
    s = open_sqlite(0, 0);
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    plumb__store_close(s);
}

static void sqlite_open_errors(void **state) {
    (void)state;
    plumb__store *s = NULL;
    plumb_error err;
    char uri[700], msg[PLUMB_ERROR_MAX];
    snprintf(uri, sizeof uri, "%s", tmp_path("absent.db"));
    assert_int_equal(plumb__store_open(uri, "users", 0, 0, &s, &err), PLUMB_EIO);
    assert_null(s);
    snprintf(msg, sizeof msg, "cannot open feature database '%s': unable to open database file", uri);
    assert_string_equal(err.message, msg);

    load_users(USERS);
    snprintf(uri, sizeof uri, "%s", tmp_path("users.db"));
    assert_int_equal(plumb__store_open(uri, "people", 0, 0, &s, &err), PLUMB_ESCHEMA);
    snprintf(msg, sizeof msg, "feature database '%s' has no table 'people'", uri);
    assert_string_equal(err.message, msg);

    sqlite3 *db;
    assert_int_equal(sqlite3_open(uri, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE loose (a TEXT, b TEXT)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(plumb__store_open(uri, "loose", 0, 0, &s, &err), PLUMB_ESCHEMA);
    snprintf(msg, sizeof msg,
             "table 'loose' of '%s' has no primary key: an entity needs one key column (plumb features load makes it)",
             uri);
    assert_string_equal(err.message, msg);
    assert_int_equal(plumb__store_open("redis://localhost:http", "t", 0, 0, &s, &err), PLUMB_EINVAL);
    assert_string_equal(err.message, "bad redis uri 'redis://localhost:http': expected redis://HOST:PORT");
    assert_int_equal(plumb__store_open("redis://127.0.0.1:6379?timeout=5", "t", 0, 0, &s, &err), PLUMB_EINVAL);
    assert_string_equal(
        err.message,
        "bad redis uri 'redis://127.0.0.1:6379?timeout=5': the only option is ?timeout_ms=N (1 to 3600000)");
    assert_int_equal(plumb__store_open("redis://:6379", "t", 0, 0, &s, &err), PLUMB_EINVAL);
    assert_null(s);
}

/* ---- the cache --------------------------------------------------------------------------------------------- */

static void cache_hits_and_misses(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = open_sqlite(10, 0);
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    assert_int_equal(get(s, "u1", v), 1);
    assert_int_equal(get(s, "u2", v), 1);
    assert_int_equal(get(s, "u9", v), 0);
    assert_int_equal(get(s, "u9", v), 0); /* an unknown key is cached too */
    expect_stats(s, 2, 3, 0, 0);
    /* a hit comes from the cache: the table now says otherwise, and the answer is still the cached one */
    load_users("user_id,age\nu1,99\nu9,5\n");
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30");
    assert_string_equal(v[1], "Paris");
    assert_int_equal(get(s, "u9", v), 0);
    expect_stats(s, 4, 3, 0, 0);
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.not_found, 3);
    plumb__store_close(s);
}

static void cache_ttl_expiry(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = open_sqlite(10, 0.3);
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    load_users("user_id,age\nu1,99\n");
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30"); /* still fresh */
    sleep_s(0.4);
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "99"); /* expired: fetched again */
    assert_null(v[1]);
    assert_int_equal(get(s, "u1", v), 1);
    expect_stats(s, 2, 2, 1, 0); /* the expired lookup is one of the 2 misses, not a third */
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.hits + st.misses, 4); /* every lookup is a hit or a miss, once */
    plumb__store_close(s);
}

static void cache_lru_eviction_order(void **state) {
    (void)state;
    load_users(USERS);
    plumb__store *s = open_sqlite(2, 0);
    const char *v[4];
    get(s, "u1", v);
    get(s, "u2", v);
    get(s, "u1", v); /* u1 is now the most recently used: u2 goes first */
    get(s, "u3", v);
    expect_stats(s, 1, 3, 0, 1);
    get(s, "u1", v);
    get(s, "u3", v);
    expect_stats(s, 3, 3, 0, 1); /* u1 and u3 stayed */
    assert_int_equal(get(s, "u2", v), 1);
    assert_string_equal(v[1], "New, York");
    expect_stats(s, 3, 4, 0, 2); /* u2 was evicted, and now u1 is */
    get(s, "u3", v);
    get(s, "u1", v);
    expect_stats(s, 4, 5, 0, 3);
    plumb__store_close(s);
}

/* ---- many threads -------------------------------------------------------------------------------------------- */

enum { N_THREADS = 8, N_GETS = 3000, N_KEYS = 40 };

typedef struct reader_arg {
    plumb__store *s;
    unsigned seed;
    int bad;
} reader_arg;

static void *reader(void *p) {
    reader_arg *a = p;
    static const char *const cols[] = {"v", "w"};
    for (int i = 0; i < N_GETS; i++) {
        char key[16], want[32];
        const int k = (int)(rand_r(&a->seed) % N_KEYS);
        snprintf(key, sizeof key, "k%d", k);
        const char *v[2];
        int found;
        plumb_error err;
        if (plumb__store_get(a->s, key, 2, cols, v, &found, &err) != PLUMB_OK || !found) {
            a->bad++;
            continue;
        }
        snprintf(want, sizeof want, "value of k%d", k);
        a->bad += !v[0] || strcmp(v[0], want) != 0 || !v[1] || atoi(v[1]) != k * 7;
    }
    return NULL;
}

static void concurrent_readers(void **state) {
    (void)state;
    plumb_test_text t = {0};
    plumb_test_put(&t, "user_id,v,w\n");
    for (int k = 0; k < N_KEYS; k++)
        plumb_test_put(&t, "k%d,value of k%d,%d\n", k, k, k * 7);
    load_users(t.s);
    free(t.s);
    for (size_t cache = 0; cache <= 16; cache += 16) { /* no cache: every thread on its own connection */
        plumb__store *s = open_sqlite(cache, 0);
        pthread_t th[N_THREADS];
        reader_arg args[N_THREADS];
        for (int i = 0; i < N_THREADS; i++) {
            args[i] = (reader_arg){s, (unsigned)i + 1, 0};
            assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]), 0);
        }
        for (int i = 0; i < N_THREADS; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(args[i].bad, 0);
        }
        plumb__store_stats st;
        plumb__store_stats_get(s, &st);
        assert_int_equal(st.hits + st.misses, N_THREADS * N_GETS);
        assert_int_equal(st.errors, 0);
        if (cache) {
            /* 16 of 40 keys fit: plenty of both; then one pass over all keys finds at most 16 in the cache */
            assert_true(st.hits > 0 && st.misses > N_KEYS && st.evictions > 0);
            const char *v[4];
            for (int k = 0; k < N_KEYS; k++) {
                char key[16];
                snprintf(key, sizeof key, "k%d", k);
                assert_int_equal(get(s, key, v), 1);
            }
            plumb__store_stats after;
            plumb__store_stats_get(s, &after);
            assert_true(after.hits - st.hits <= 16);
        }
        plumb__store_close(s);
    }
}

/* ---- Redis --------------------------------------------------------------------------------------------------- */

static pid_t redis_pid;
static int redis_port;

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A direct connection to the test's Redis (to fill it), or NULL when it does not answer. */
static redisContext *redis_admin(void) {
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, (struct timeval){1, 0});
    redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
    if (!r && c) {
        redisFree(c);
        c = NULL;
    }
    freeReplyObject(r);
    return c;
}

static void redis_cmd(const char *fmt, const char *a, const char *b, const char *c) {
    redisContext *ctx = redis_admin();
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, fmt, a, b, c);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(ctx);
}

static void redis_stop(void) {
    if (redis_pid > 0) {
        kill(redis_pid, SIGCONT);
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
}

/* Starts redis-server on redis_port (a free one the first time), with no persistence, and waits until it answers.
 * It dies with this process (PR_SET_PDEATHSIG) even when an assertion ends the test early. */
static void redis_start(void) {
    if (!redis_port) {
        redis_port = free_port();
        atexit(redis_stop);
    }
    char port[16], dir[600], log[600];
    snprintf(port, sizeof port, "%d", redis_port);
    snprintf(dir, sizeof dir, "%s", tmp_path(""));
    snprintf(log, sizeof log, "%s", tmp_path("redis.log"));
    redis_pid = fork();
    assert_true(redis_pid >= 0);
    if (redis_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
               "--appendonly", "no", "--logfile", log, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 250; i++) {
        redisContext *c = redis_admin();
        if (c) {
            redisFree(c);
            return;
        }
        int status;
        assert_int_equal(waitpid(redis_pid, &status, WNOHANG), 0); /* exited: not installed, or the port taken */
        sleep_s(0.02);
    }
    fail_msg("redis-server did not answer within 5 s");
}

static plumb__store *open_redis(const char *options) {
    char uri[128];
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d%s", redis_port, options);
    plumb__store *s = NULL;
    plumb_error err;
    assert_int_equal(plumb__store_open(uri, "users", 0, 0, &s, &err), PLUMB_OK);
    return s;
}

static void fill_redis(void) {
    redis_cmd("HSET users:%s age %s city %s", "u1", "30", "Paris");
    redis_cmd("HSET users:%s score %s city %s", "u2", "0.10", "New, York");
    redis_cmd("SET users:%s %s%s", "u4", "not a hash", "");
}

static void redis_values(void **state) {
    (void)state;
    redis_start();
    fill_redis();
    plumb__store *s = open_redis("");
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30");
    assert_string_equal(v[1], "Paris");
    assert_null(v[2]);
    assert_null(v[3]);
    assert_int_equal(get(s, "u2", v), 1);
    assert_null(v[0]);
    assert_string_equal(v[1], "New, York");
    assert_string_equal(v[2], "0.10");
    assert_int_equal(get(s, "u9", v), 0);
    /* a key that holds something else than a hash is an error, not an entity */
    plumb_error err;
    int found = 1;
    assert_int_equal(plumb__store_get(s, "u4", 4, COLS, v, &found, &err), PLUMB_EIO);
    assert_int_equal(found, 0);
    assert_null(v[0]);
    assert_non_null(strstr(err.message, "answered an error: WRONGTYPE"));
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.not_found, 1);
    assert_int_equal(st.errors, 1);
    plumb__store_close(s);
    redis_stop();
}

/* A dead Redis is an error at once; a Redis started again serves the next lookup on a new connection. */
static void redis_down_then_up(void **state) {
    (void)state;
    redis_start();
    fill_redis();
    plumb__store *s = open_redis("");
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    redis_stop();
    for (int i = 0; i < 2; i++) { /* the broken connection, then a refused one */
        plumb_error err;
        int found = 1;
        const double t0 = now_s();
        assert_int_equal(plumb__store_get(s, "u1", 4, COLS, v, &found, &err), PLUMB_EIO);
        assert_true(now_s() - t0 < 1.0);
        assert_int_equal(found, 0);
        char want[128];
        snprintf(want, sizeof want, "cannot connect to redis at 127.0.0.1:%d: Connection refused", redis_port);
        assert_string_equal(err.message, want);
    }
    redis_start();
    fill_redis();
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[1], "Paris");
    plumb__store_stats st;
    plumb__store_stats_get(s, &st);
    assert_int_equal(st.errors, 2);
    plumb__store_close(s);

    /* opening a store on a Redis that is not there fails at once */
    redis_stop();
    char uri[64], want[128];
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", redis_port);
    snprintf(want, sizeof want, "cannot connect to redis at 127.0.0.1:%d: Connection refused", redis_port);
    plumb_error err;
    assert_int_equal(plumb__store_open(uri, "users", 0, 0, &s, &err), PLUMB_EIO);
    assert_string_equal(err.message, want);
}

/* A Redis that accepts connections but never answers (stopped) gives an error after the timeout, not a hang. */
static void redis_hung_times_out(void **state) {
    (void)state;
    redis_start();
    fill_redis();
    plumb__store *s = open_redis("?timeout_ms=200");
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    assert_int_equal(kill(redis_pid, SIGSTOP), 0);
    plumb_error err;
    int found;
    const double t0 = now_s();
    assert_int_equal(plumb__store_get(s, "u1", 4, COLS, v, &found, &err), PLUMB_EIO);
    const double took = now_s() - t0;
    /* one command timeout, one reconnect (accepted by the kernel's backlog) and a second command timeout */
    assert_true(took >= 0.19 && took < 1.0);
    char want[96];
    snprintf(want, sizeof want, "redis at 127.0.0.1:%d gave no answer within 200 ms", redis_port);
    assert_string_equal(err.message, want);
    assert_int_equal(kill(redis_pid, SIGCONT), 0);
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30");
    plumb__store_close(s);
    redis_stop();
}

/* Redis closing the connection while a long command is being written: the write fails with EPIPE, whose SIGPIPE
 * would kill the process (the default action); the store blocks it, drops the connection and retries. */
static void redis_closed_connection_is_no_sigpipe(void **state) {
    (void)state;
    redis_start();
    fill_redis();
    plumb__store *s = open_redis("");
    const char *v[4];
    assert_int_equal(get(s, "u1", v), 1);
    redis_cmd("CLIENT KILL TYPE %s%s%s", "normal", "", ""); /* every client connection, ours included */
    sleep_s(0.1);
    const size_t n = (size_t)8 << 20;
    char *key = malloc(n + 1);
    assert_non_null(key);
    memset(key, 'k', n);
    key[n] = '\0';
    assert_int_equal(get(s, key, v), 0); /* on a new connection: no such entity */
    free(key);
    assert_int_equal(get(s, "u1", v), 1);
    assert_string_equal(v[0], "30");
    plumb__store_close(s);
    redis_stop();
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_values),
        cmocka_unit_test(sqlite_missing_entity),
        cmocka_unit_test(sqlite_open_errors),
        cmocka_unit_test(query_values),
        cmocka_unit_test(query_errors),
        cmocka_unit_test(cache_hits_and_misses),
        cmocka_unit_test(cache_ttl_expiry),
        cmocka_unit_test(cache_lru_eviction_order),
        cmocka_unit_test(concurrent_readers),
        cmocka_unit_test(redis_values),
        cmocka_unit_test(redis_down_then_up),
        cmocka_unit_test(redis_hung_times_out),
        cmocka_unit_test(redis_closed_connection_is_no_sigpipe),
    };
    return plumb_test_main(argc, argv, tests, sizeof tests / sizeof *tests);
}
