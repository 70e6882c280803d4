/* loader.c -- reloads of model files on a thread of their own, so that no worker thread waits for a disk.
 *
 * Loading a 500-tree model takes about half a second; done on the libmicrohttpd thread that received
 * `POST .../load`, it held every connection of that thread for as long (a p99 of 325 ms over 100 reloads under
 * load). Here the request is only queued: the HTTP layer suspends its connection and the loader calls the
 * waiter's done hook (which resumes it) when the load has finished or was refused. SIGHUP queues the same jobs
 * without a waiter; their outcome is logged.
 *
 * Jobs form a FIFO queue, one running at a time. A request for a slot that already has a job queued (not yet
 * started) joins that job: ten clients asking for a reload at once cost one load. A job already running read the
 * file as it was when it started, so a later request queues a new job. The swap itself is
 * plumb__serve_slot_reload's: atomic, the old model reference-counted.
 *
 * Stopping hands every queued job's waiters a 503 at once and waits for the running job up to a timeout; a load
 * that does not finish by then (a file on a hung NFS mount, a FIFO nobody writes) is abandoned: its waiters are
 * answered, the thread is detached, and the caller must not free the slots (the process is about to exit).
 *
 * Ownership: the loader owns its jobs; a waiter is owned by the caller and must stay alive until its done hook
 * has been called (always exactly once for a request that plumb__serve_loader_request accepted).
 */
#include "serve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
    plumb__serve_slot *slot;
    plumb__serve_waiter *waiters;
    bool log_success; /* a SIGHUP asked for it: a successful reload is logged (a failed one always is) */
    struct job *next;
} job;

struct plumb__serve_loader {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a job queued, or stopping */
    pthread_cond_t idle; /* the running job finished */
    job *head, *tail;    /* queued, not started */
    job *running;        /* or NULL */
    bool stopping, quiet;
    bool stopped, hung;  /* plumb__serve_loader_stop has run; and left a load running */
    _Atomic int queued;  /* jobs not started */
    _Atomic int busy;    /* 1 while a job runs */
    _Atomic int waiting; /* waiters not yet answered */
};

/* Answers every waiter of j (taken off it first) with status and message. Called without the lock. */
static void answer_all(plumb__serve_loader *l, plumb__serve_waiter *w, int status, const char *message) {
    while (w) {
        plumb__serve_waiter *next = w->next; /* w may be freed by its own done hook */
        w->status = status;
        snprintf(w->message, sizeof w->message, "%s", message);
        atomic_fetch_sub(&l->waiting, 1);
        w->done(w);
        w = next;
    }
}

static void run_job(plumb__serve_loader *l, job *j) {
    plumb_error err;
    char msg[PLUMB_ERROR_MAX] = "";
    int status = 200;
    int64_t version = 0;
    char checksum[65] = "";
    if (plumb__serve_slot_reload(j->slot, &err) == PLUMB_OK) {
        plumb__serve_model *m = plumb__serve_slot_acquire(j->slot);
        version = m->version;
        memcpy(checksum, m->checksum, sizeof checksum);
        plumb__serve_model_unref(m);
    } else {
        plumb_error_format(&err, msg, sizeof msg);
        /* the file is the server's, not the client's: one that cannot be read (gone, no permission) or memory that
         * runs out is the server's failure; a file that reads but is refused (corrupt, incompatible) is a 422 */
        status = err.code == PLUMB_EIO || err.code == PLUMB_ENOMEM ? 500 : 422;
    }
    pthread_mutex_lock(&l->lock);
    plumb__serve_waiter *w = j->waiters; /* NULL when the job was abandoned by a stop */
    const bool log_success = j->log_success && !l->quiet;
    j->waiters = NULL;
    pthread_mutex_unlock(&l->lock);
    if (status != 200)
        fprintf(stderr, "plumb serve: reload of '%s' refused, the old model keeps serving: %s\n", j->slot->name, msg);
    else if (log_success)
        fprintf(stderr, "plumb serve: reloaded '%s': version %lld, checksum %s\n", j->slot->name, (long long)version,
                checksum);
    for (plumb__serve_waiter *v = w; v; v = v->next) {
        v->version = version;
        memcpy(v->checksum, checksum, sizeof checksum);
    }
    answer_all(l, w, status, msg);
}

static void *loader_main(void *arg) {
    plumb__serve_loader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->head && !l->stopping)
            pthread_cond_wait(&l->wake, &l->lock);
        if (l->stopping)
            break;
        job *j = l->head;
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->running = j;
        atomic_fetch_sub(&l->queued, 1);
        atomic_store(&l->busy, 1);
        pthread_mutex_unlock(&l->lock);
        run_job(l, j);
        pthread_mutex_lock(&l->lock);
        l->running = NULL;
        atomic_store(&l->busy, 0);
        free(j);
        pthread_cond_broadcast(&l->idle);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

plumb__serve_loader *plumb__serve_loader_start(bool quiet) {
    plumb__serve_loader *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->quiet = quiet;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    pthread_cond_init(&l->idle, NULL);
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        pthread_cond_destroy(&l->idle);
        pthread_cond_destroy(&l->wake);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return NULL;
    }
    return l;
}

bool plumb__serve_loader_request(plumb__serve_loader *l, plumb__serve_slot *slot, plumb__serve_waiter *w) {
    bool ok = false;
    pthread_mutex_lock(&l->lock);
    if (l->stopping)
        goto done;
    job *j = NULL;
    for (job *q = l->head; q && !j; q = q->next)
        if (q->slot == slot)
            j = q;
    if (!j) {
        if (!(j = calloc(1, sizeof *j)))
            goto done;
        j->slot = slot;
        if (l->tail)
            l->tail->next = j;
        else
            l->head = j;
        l->tail = j;
        atomic_fetch_add(&l->queued, 1);
        pthread_cond_signal(&l->wake);
    }
    if (w) {
        w->next = j->waiters;
        j->waiters = w;
        atomic_fetch_add(&l->waiting, 1);
    } else {
        j->log_success = true;
    }
    ok = true;
done:
    pthread_mutex_unlock(&l->lock);
    return ok;
}

void plumb__serve_loader_counts(plumb__serve_loader *l, int *queued, int *running, int *waiting) {
    *queued = atomic_load(&l->queued);
    *running = atomic_load(&l->busy);
    *waiting = atomic_load(&l->waiting);
}

bool plumb__serve_loader_stop(plumb__serve_loader *l, double timeout_s) {
    if (!l)
        return true;
    if (l->stopped)
        return !l->hung;
    static const char stopped[] = "the server is stopping: the model was not reloaded";
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_broadcast(&l->wake);
    /* the queued jobs will not start: their waiters hear so now */
    plumb__serve_waiter *w = NULL;
    for (job *j = l->head, *next; j; j = next) {
        next = j->next;
        for (plumb__serve_waiter *v = j->waiters, *vn; v; v = vn) {
            vn = v->next;
            v->next = w;
            w = v;
        }
        atomic_fetch_sub(&l->queued, 1);
        free(j);
    }
    l->head = l->tail = NULL;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    const double end = (double)until.tv_sec + (double)until.tv_nsec / 1e9 + (timeout_s > 0 ? timeout_s : 0);
    until.tv_sec = (time_t)end;
    until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
    while (l->running && pthread_cond_timedwait(&l->idle, &l->lock, &until) == 0) {
    }
    const bool hung = l->running != NULL;
    const char *hung_name = hung ? l->running->slot->name : NULL;
    if (hung) { /* abandoned: its waiters are answered here, the job finds none when (if) its load returns */
        for (plumb__serve_waiter *v = l->running->waiters, *vn; v; v = vn) {
            vn = v->next;
            v->next = w;
            w = v;
        }
        l->running->waiters = NULL;
    }
    pthread_mutex_unlock(&l->lock);
    answer_all(l, w, 503, stopped);
    l->stopped = true;
    l->hung = hung;
    if (hung) {
        fprintf(stderr, "plumb serve: the reload of '%s' did not finish within %g s: stopping anyway\n", hung_name,
                timeout_s);
        pthread_detach(l->thread);
        return false;
    }
    pthread_join(l->thread, NULL);
    return true;
}

void plumb__serve_loader_free(plumb__serve_loader *l) {
    if (!l || !l->stopped || l->hung) /* a detached thread still holds it: the process exit takes it */
        return;
    pthread_cond_destroy(&l->idle);
    pthread_cond_destroy(&l->wake);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
