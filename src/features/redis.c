/* redis.c -- the Redis backend of the feature store: an entity is the hash "TABLE:KEY", read with HGETALL.
 *
 * Each thread has its own connection (hiredis contexts are not thread-safe; one per thread also needs no pool
 * lock). Every connect and every command has a timeout (default 500 ms, "?timeout_ms=N" in the URI), so a Redis
 * that is down, stopped or unreachable gives an error within that bound, never a hang. A connection that fails is
 * dropped; when it had worked before, the command is retried once on a fresh one at once, so a Redis that was
 * restarted costs no request; otherwise the next lookup connects again.
 */
#define _GNU_SOURCE /* memrchr */
#include "backend.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define DEFAULT_TIMEOUT_MS 500

typedef struct state {
    char *host;
    int port;
    char *table;
    struct timeval timeout;
} state;

static void redis_close(void *p) {
    state *s = p;
    if (!s)
        return;
    free(s->host);
    free(s->table);
    free(s);
}

/* target: HOST[:PORT][?timeout_ms=N] */
static plumb_status parse_target(state *s, const char *target, plumb_error *err) {
    long timeout_ms = DEFAULT_TIMEOUT_MS;
    const char *q = strchr(target, '?');
    if (q) {
        char *end;
        errno = 0;
        if (strncmp(q + 1, "timeout_ms=", 11) != 0 || (timeout_ms = strtol(q + 12, &end, 10), *end) || errno ||
            timeout_ms < 1 || timeout_ms > 3600000)
            return plumb__fail(err, PLUMB_EINVAL,
                               "bad redis uri 'redis://%s': the only option is ?timeout_ms=N (1 to 3600000)", target);
    }
    const size_t len = q ? (size_t)(q - target) : strlen(target);
    const char *colon = memrchr(target, ':', len);
    size_t host_len = colon ? (size_t)(colon - target) : len;
    s->port = 6379;
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || end != target + len || port < 1 || port > 65535)
            return plumb__fail(err, PLUMB_EINVAL, "bad redis uri 'redis://%s': expected redis://HOST:PORT", target);
        s->port = (int)port;
    }
    if (host_len == 0)
        return plumb__fail(err, PLUMB_EINVAL, "bad redis uri 'redis://%s': expected redis://HOST:PORT", target);
    if (!(s->host = strndup(target, host_len)))
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    s->timeout.tv_sec = timeout_ms / 1000;
    s->timeout.tv_usec = (timeout_ms % 1000) * 1000;
    return PLUMB_OK;
}

/* A connection with the command timeout set into *out. */
static plumb_status connect_to(const state *s, redisContext **out, plumb_error *err) {
    redisContext *c = redisConnectWithTimeout(s->host, s->port, s->timeout);
    *out = NULL;
    if (!c)
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    if (c->err || redisSetTimeout(c, s->timeout) != REDIS_OK) {
        plumb_status st = plumb__fail(err, PLUMB_EIO, "cannot connect to redis at %s:%d: %s", s->host, s->port,
                                      c->err ? c->errstr : "cannot set a timeout");
        redisFree(c);
        return st;
    }
    *out = c;
    return PLUMB_OK;
}

static plumb_status redis_open(const char *target, const char *table, void **out, plumb_error *err) {
    plumb_status st;
    state *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->table = plumb__strdup(table))) {
        redis_close(s);
        return plumb__fail(err, PLUMB_ENOMEM, "out of memory");
    }
    if ((st = parse_target(s, target, err)) != PLUMB_OK) {
        redis_close(s);
        return st;
    }
    /* a mistyped host or port should stop a server at start-up, not at its first request */
    redisContext *c = NULL;
    redisReply *r = NULL;
    if ((st = connect_to(s, &c, err)) != PLUMB_OK)
        goto done;
    if (!(r = redisCommand(c, "PING")))
        st = plumb__fail(err, PLUMB_EIO, "redis at %s:%d does not answer: %s", s->host, s->port, c->errstr);
    else if (r->type == REDIS_REPLY_ERROR)
        st = plumb__fail(err, PLUMB_EIO, "redis at %s:%d refuses PING: %s", s->host, s->port, r->str);
done:
    freeReplyObject(r);
    if (c)
        redisFree(c);
    if (st != PLUMB_OK)
        redis_close(s);
    else
        *out = s;
    return st;
}

static void redis_conn_free(void *c) {
    if (c)
        redisFree(c);
}

static void hash_field(const void *reply, size_t i, plumb__text *name, plumb__text *value) {
    const redisReply *r = reply;
    *name = (plumb__text){r->element[2 * i]->str, r->element[2 * i]->len};
    *value = (plumb__text){r->element[2 * i + 1]->str, r->element[2 * i + 1]->len};
}

/* The hash in reply as a row (an empty one: NULL, the entity does not exist). */
static plumb_status to_row(const state *s, const redisReply *r, plumb__row **row, plumb_error *err) {
    if (r->type == REDIS_REPLY_ERROR)
        return plumb__fail(err, PLUMB_EIO, "redis at %s:%d answered an error: %s", s->host, s->port, r->str);
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return plumb__fail(err, PLUMB_EIO, "redis at %s:%d did not answer HGETALL with a hash", s->host, s->port);
    const size_t n = r->elements / 2;
    if (n == 0)
        return PLUMB_OK;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return plumb__fail(err, PLUMB_EIO, "redis at %s:%d answered HGETALL with a field that is not a string",
                               s->host, s->port);
    *row = plumb__row_create(n, hash_field, r);
    return *row ? PLUMB_OK : plumb__fail(err, PLUMB_ENOMEM, "out of memory");
}

/* HGETALL TABLE:KEY with SIGPIPE held off. hiredis writes with write(2): on a connection that Redis has closed
 * the write fails with EPIPE and raises SIGPIPE, whose default action kills the process, and a library must not
 * change the process's signal handlers. So the signal is blocked in this thread for the command, and one that
 * the command raised (it was not pending before) is taken off the thread before unblocking. */
static redisReply *hgetall(redisContext *c, const char *table, const char *key) {
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE);
    redisReply *r = redisCommand(c, "HGETALL %s:%s", table, key);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        int sig;
        sigwait(&pipe_set, &sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

static plumb_status redis_fetch(void *p, void **connp, const char *key, plumb__row **row, plumb_error *err) {
    const state *s = p;
    *row = NULL;
    for (int attempt = 0;; attempt++) {
        const bool fresh = *connp == NULL;
        plumb_status st;
        if (fresh && (st = connect_to(s, (redisContext **)connp, err)) != PLUMB_OK)
            return st;
        redisContext *c = *connp;
        redisReply *r = hgetall(c, s->table, key);
        if (r) {
            st = to_row(s, r, row, err);
            freeReplyObject(r);
            return st;
        }
        /* the connection is unusable after an error (timeout, reset, closed): drop it */
        st =
            plumb__fail(err, PLUMB_EIO, "redis at %s:%d: %s", s->host, s->port, c->errstr[0] ? c->errstr : "no answer");
        redisFree(c);
        *connp = NULL;
        if (fresh || attempt > 0)
            return st;
    }
}

const plumb__store_backend plumb__store_redis = {
    .open = redis_open,
    .fetch = redis_fetch,
    .conn_free = redis_conn_free,
    .close = redis_close,
};
