#define LOG_TAG "workers"

#include "master/core/workers.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
    workers_fn fn;
    workers_fn done;
    void *arg;
    struct job *next;
};

struct loop_call {
    struct workers *w;
    loop_call_fn fn;
    void *arg;
    int rv;
    bool finished;
    pthread_cond_t cond;
    struct loop_call *next;
};

struct workers {
    uv_loop_t *loop;
    pthread_t loop_thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job *queue, *queue_tail;       /* waiting for a worker */
    struct job *done, *done_tail;         /* finished, waiting for the loop */
    struct loop_call *calls, *calls_tail; /* waiting to run on the loop, in call order */
    uv_async_t async;
    unsigned nthreads;
    unsigned exited;
    pthread_t *threads;
    bool stopping;
    bool closing;
    void (*stopped)(void *arg);
    void *stopped_arg;
};

static void push(struct job **head, struct job **tail, struct job *j)
{
    j->next = NULL;
    if (*tail != NULL) {
        (*tail)->next = j;
    } else {
        *head = j;
    }
    *tail = j;
}

static void *worker_main(void *arg)
{
    struct workers *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct job *j;
        while (w->queue == NULL && !w->stopping) {
            pthread_cond_wait(&w->wake, &w->lock);
        }
        j = w->queue;
        if (j == NULL) {
            /* Tell the loop, which joins the threads once all have left. */
            w->exited++;
            uv_async_send(&w->async);
            break;
        }
        w->queue = j->next;
        if (w->queue == NULL) {
            w->queue_tail = NULL;
        }
        pthread_mutex_unlock(&w->lock);
        j->fn(j->arg);
        pthread_mutex_lock(&w->lock);
        push(&w->done, &w->done_tail, j);
        uv_async_send(&w->async);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void async_closed_cb(uv_handle_t *h);

/* On the loop: run calls workers wait for, finish completed jobs, and once stopping workers
 * have all left, join them and close. */
static void async_cb(uv_async_t *h)
{
    struct workers *w = h->data;
    struct job *done;
    struct loop_call *calls;
    bool all_exited;

    if (w->closing) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    done = w->done;
    w->done = w->done_tail = NULL;
    calls = w->calls;
    w->calls = w->calls_tail = NULL;
    all_exited = w->stopping && w->exited == w->nthreads;
    pthread_mutex_unlock(&w->lock);
    while (calls != NULL) {
        struct loop_call *c = calls;
        calls = c->next;
        c->fn(c, c->arg);
    }
    while (done != NULL) {
        struct job *j = done;
        done = j->next;
        if (j->done != NULL) {
            j->done(j->arg);
        }
        free(j);
    }
    if (all_exited) {
        for (unsigned i = 0; i < w->nthreads; i++) {
            pthread_join(w->threads[i], NULL);
        }
        w->closing = true;
        uv_close((uv_handle_t *)&w->async, async_closed_cb);
    }
}

int workers_start(uv_loop_t *loop, unsigned nthreads, struct workers **out)
{
    struct workers *w = calloc(1, sizeof(*w));
    int rv;

    if (w == NULL) {
        return -ENOMEM;
    }
    w->threads = calloc(nthreads, sizeof(*w->threads));
    if (w->threads == NULL) {
        free(w);
        return -ENOMEM;
    }
    w->loop = loop;
    w->loop_thread = pthread_self();
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    /* Threads only touch the async handle after a job or a stop, both later than this call. */
    for (; w->nthreads < nthreads; w->nthreads++) {
        rv = pthread_create(&w->threads[w->nthreads], NULL, worker_main, w);
        if (rv != 0) {
            log_error("cannot start worker thread: %s", errors_strerror(-rv));
            break;
        }
    }
    if (w->nthreads == 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w->threads);
        free(w);
        return -EAGAIN;
    }
    uv_async_init(loop, &w->async, async_cb);
    w->async.data = w;
    *out = w;
    return 0;
}

int workers_submit(struct workers *w, workers_fn fn, workers_fn done, void *arg)
{
    struct job *j = malloc(sizeof(*j));

    if (j == NULL) {
        return -ENOMEM;
    }
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        return CFS_ECANCELED;
    }
    push(&w->queue, &w->queue_tail, j);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

bool workers_on_loop(const struct workers *w)
{
    return pthread_equal(pthread_self(), w->loop_thread);
}

int workers_call(struct workers *w, loop_call_fn fn, void *arg)
{
    struct loop_call c = {.w = w, .fn = fn, .arg = arg};
    int rv;

    if (workers_on_loop(w)) {
        return -EDEADLK;
    }
    pthread_cond_init(&c.cond, NULL);
    pthread_mutex_lock(&w->lock);
    /* In call order: proposals reach Raft in the order workers made them. */
    if (w->calls_tail != NULL) {
        w->calls_tail->next = &c;
    } else {
        w->calls = &c;
    }
    w->calls_tail = &c;
    uv_async_send(&w->async);
    while (!c.finished) {
        pthread_cond_wait(&c.cond, &w->lock);
    }
    rv = c.rv;
    pthread_mutex_unlock(&w->lock);
    pthread_cond_destroy(&c.cond);
    return rv;
}

void loop_call_done(struct loop_call *c, int rv)
{
    struct workers *w = c->w;

    pthread_mutex_lock(&w->lock);
    c->rv = rv;
    c->finished = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&w->lock);
}

static void async_closed_cb(uv_handle_t *h)
{
    struct workers *w = h->data;
    void (*stopped)(void *arg) = w->stopped;
    void *stopped_arg = w->stopped_arg;

    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w->threads);
    free(w);
    if (stopped != NULL) {
        stopped(stopped_arg);
    }
}

void workers_stop(struct workers *w, void (*done)(void *arg), void *arg)
{
    /* Queued jobs still run and may need loop calls, so the loop keeps serving until the last
     * worker has left (async_cb joins them then); joining here would deadlock. */
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    w->stopped = done;
    w->stopped_arg = arg;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    uv_async_send(&w->async);
}
