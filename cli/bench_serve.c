/* bench_serve.c -- open- and closed-loop HTTP load on one epoll thread (bench_serve.h). */
#define _GNU_SOURCE
#include "bench_serve.h"
#include "http_response.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { IN_CAP = 1 << 17 };

typedef struct conn {
    int fd;
    bool busy;
    double due; /* the request's due time (open loop) or send time (closed loop) */
    const char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len;
} conn;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_bucket_ms(int k) {
    return 0.01 * pow(1.5, k);
}

static int conn_open(const bench_options *o, int ep, conn *c, char *why, size_t n) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1) {
        snprintf(why, n, "'%s' is not an IPv4 address", o->host);
        return -1;
    }
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(why, n, "cannot connect to %s:%d: %s", o->host, o->port, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        return -1;
    }
    const int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->busy = false;
    c->in_len = 0;
    return 0;
}

/* Sends what is left of c's request; -1 on a connection error. */
static int conn_flush(conn *c) {
    while (c->out_off < c->out_len) {
        const ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        c->out_off += (size_t)k;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted[0..n) by nearest rank. */
static double rank(const double *sorted, int64_t n, double q) {
    if (n == 0)
        return NAN;
    int64_t k = (int64_t)ceil(q * (double)n) - 1;
    return sorted[k < 0 ? 0 : k >= n ? n - 1 : k];
}

int bench_run(const bench_options *o, bench_result *r, char *why, size_t why_n) {
    memset(r, 0, sizeof *r);
    const int nc = o->connections > 0 ? o->connections : 1;
    char **req = calloc(o->n_bodies, sizeof *req);
    size_t *req_len = calloc(o->n_bodies, sizeof *req_len);
    conn *cs = calloc((size_t)nc, sizeof *cs);
    int64_t cap = o->rate > 0 ? (int64_t)(o->rate * (o->duration_s + 1)) + 16 : 1 << 16, n_lat = 0;
    double *lat = malloc((size_t)cap * sizeof *lat);
    const int ep = epoll_create1(0);
    int rc = -1;
    if (!req || !req_len || !cs || !lat || ep < 0) {
        snprintf(why, why_n, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < o->n_bodies; i++) {
        const size_t bl = strlen(o->bodies[i]);
        if (!(req[i] = malloc(bl + strlen(o->path) + strlen(o->host) + 128))) {
            snprintf(why, why_n, "out of memory");
            goto done;
        }
        req_len[i] = (size_t)sprintf(req[i],
                                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                                     "Content-Length: %zu\r\n\r\n%s",
                                     o->path, o->host, o->port, bl, o->bodies[i]);
    }
    for (int i = 0; i < nc; i++) {
        cs[i].fd = -1;
        if (!(cs[i].in = malloc(IN_CAP))) {
            snprintf(why, why_n, "out of memory");
            goto done;
        }
        if (conn_open(o, ep, &cs[i], why, why_n) != 0)
            goto done;
    }
    const double t0 = now_s(), t_meas = t0 + o->warmup_s, t_end = t_meas + o->duration_s;
    double last_done = t_meas;
    int64_t next = 0; /* the next request to send */
    int busy = 0;
    struct epoll_event evs[256];
    for (;;) {
        double now = now_s();
        /* open loop: every request due before the end is sent, however late (a server behind its load is charged
         * for the wait); closed loop: sending stops at the end. Past the end, 10 s at most for what is in flight
         * or still to send, then it counts as errors. */
        const bool sending = o->rate > 0 ? t0 + (double)next / o->rate < t_end : now < t_end;
        if (!sending && busy == 0)
            break;
        if (now > t_end + 10) {
            r->errors += busy;
            for (; o->rate > 0 && t0 + (double)next / o->rate < t_end; next++)
                r->errors += t0 + (double)next / o->rate >= t_meas;
            break;
        }
        /* hand due requests to free connections */
        for (int i = 0; i < nc && sending; i++) {
            conn *c = &cs[i];
            if (c->busy || c->fd < 0)
                continue;
            const double due = o->rate > 0 ? t0 + (double)next / o->rate : now;
            if (due > now || (o->rate > 0 && due >= t_end))
                break;
            const size_t b = (size_t)(next % (int64_t)o->n_bodies);
            c->busy = true;
            c->due = due;
            c->out = req[b];
            c->out_len = req_len[b];
            c->out_off = 0;
            c->in_len = 0;
            next++;
            busy++;
            if (conn_flush(c) != 0) {
                r->errors += c->due >= t_meas;
                busy--;
                close(c->fd);
                if (conn_open(o, ep, c, why, why_n) != 0)
                    goto done;
            }
        }
        double wait = 0.2;
        bool idle = false;
        for (int i = 0; i < nc; i++)
            idle |= !cs[i].busy && cs[i].fd >= 0;
        if (sending && o->rate > 0 && idle) { /* else a response frees a connection first */
            const double due = t0 + (double)next / o->rate - now_s();
            wait = due < wait ? due : wait;
        }
        if (sending && o->rate <= 0)
            wait = 0.2;
        if (wait < 0)
            wait = 0;
        struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
        const int ne = epoll_pwait2(ep, evs, 256, &ts, NULL);
        if (ne < 0 && errno != EINTR) {
            snprintf(why, why_n, "epoll: %s", strerror(errno));
            goto done;
        }
        for (int e = 0; e < ne; e++) {
            conn *c = evs[e].data.ptr;
            bool broken = false;
            if (c->busy && (evs[e].events & EPOLLOUT))
                broken = conn_flush(c) != 0;
            while (!broken && (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                const ssize_t k = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, MSG_DONTWAIT);
                if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    broken = true;
                    break;
                }
                if (k < 0)
                    break;
                c->in_len += (size_t)k;
                int status;
                const char *bad;
                const long len = http_response_parse(c->in, c->in_len, &status, &bad);
                if (len < 0 || (len == 0 && c->in_len == IN_CAP)) {
                    broken = true;
                    break;
                }
                if (len == 0)
                    continue;
                if (!c->busy) { /* a response nobody asked for */
                    broken = true;
                    break;
                }
                const double done_t = now_s();
                if (c->due >= t_meas) {
                    if (n_lat == cap) {
                        double *nl = realloc(lat, (size_t)(cap *= 2) * sizeof *lat);
                        if (!nl) {
                            snprintf(why, why_n, "out of memory");
                            goto done;
                        }
                        lat = nl;
                    }
                    lat[n_lat++] = (done_t - c->due) * 1e3;
                    r->non_2xx += status < 200 || status > 299;
                    last_done = done_t;
                }
                memmove(c->in, c->in + len, c->in_len - (size_t)len);
                c->in_len -= (size_t)len;
                c->busy = false;
                busy--;
            }
            if (broken) {
                if (c->busy) {
                    r->errors += c->due >= t_meas;
                    busy--;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                if (conn_open(o, ep, c, why, why_n) != 0)
                    goto done;
            }
        }
    }
    qsort(lat, (size_t)n_lat, sizeof *lat, cmp_double);
    r->requests = n_lat;
    r->seconds = last_done - t_meas;
    r->throughput = r->seconds > 0 ? (double)n_lat / r->seconds : NAN;
    r->p50_ms = rank(lat, n_lat, 0.50);
    r->p90_ms = rank(lat, n_lat, 0.90);
    r->p99_ms = rank(lat, n_lat, 0.99);
    r->p999_ms = rank(lat, n_lat, 0.999);
    r->max_ms = n_lat ? lat[n_lat - 1] : NAN;
    double sum = 0;
    for (int64_t i = 0, k = 0; i < n_lat; i++) {
        sum += lat[i];
        while (k < BENCH_BUCKETS - 1 && lat[i] > bench_bucket_ms((int)k))
            k++;
        r->hist[k]++;
    }
    r->mean_ms = n_lat ? sum / (double)n_lat : NAN;
    rc = 0;
done:
    for (int i = 0; cs && i < nc; i++) {
        if (cs[i].fd >= 0)
            close(cs[i].fd);
        free(cs[i].in);
    }
    for (size_t i = 0; req && i < o->n_bodies; i++)
        free(req[i]);
    if (ep >= 0)
        close(ep);
    free(req);
    free(req_len);
    free(cs);
    free(lat);
    return rc;
}

/* A JSON number, or null for NaN. */
static json_t *num(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *bench_result_json(const bench_options *o, const bench_result *r) {
    json_t *h = json_array(), *edges = json_array();
    int last = 0;
    for (int k = 0; k < BENCH_BUCKETS; k++)
        if (r->hist[k])
            last = k;
    for (int k = 0; k <= last; k++) {
        json_array_append_new(h, json_integer(r->hist[k]));
        json_array_append_new(edges, json_real(bench_bucket_ms(k)));
    }
    return json_pack("{s:o, s:i, s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "rate",
                     num(o->rate), "connections", o->connections, "duration_s", num(o->duration_s), "warmup_s",
                     num(o->warmup_s), "requests", (json_int_t)r->requests, "non_2xx", (json_int_t)r->non_2xx, "errors",
                     (json_int_t)r->errors, "throughput", num(r->throughput), "p50_ms", num(r->p50_ms), "p90_ms",
                     num(r->p90_ms), "p99_ms", num(r->p99_ms), "p999_ms", num(r->p999_ms), "max_ms", num(r->max_ms),
                     "mean_ms", num(r->mean_ms), "histogram_ms_upper", edges, "histogram", h);
}
