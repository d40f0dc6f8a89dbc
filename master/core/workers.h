/* Operation workers: the threads that run the master's mutating flows as straight-line code,
 * and the bridge back to the loop thread.
 *
 * Happy path: an HTTP handler validates its request on the loop thread and hands the operation to
 * workers_submit(); a worker runs it (placement, sync node tasks, Raft proposals) and the done
 * callback runs on the loop thread, which answers the client. When a worker needs the loop
 * (to propose to Raft, which is loop-only), workers_call() runs a function there and blocks
 * until that function, or a callback it started, calls loop_call_done().
 * Failure modes: workers_call() from the loop thread itself would deadlock and is refused with
 * -EDEADLK; after workers_stop() new submissions fail with CFS_ECANCELED, queued operations still
 * run (their done callbacks fire) so no request is left without an answer. */
#ifndef CFS_MASTER_CORE_WORKERS_H
#define CFS_MASTER_CORE_WORKERS_H

#include <stdbool.h>
#include <uv.h>

struct workers;
struct loop_call;

typedef void (*workers_fn)(void *arg);
typedef void (*loop_call_fn)(struct loop_call *c, void *arg);

int workers_start(uv_loop_t *loop, unsigned nthreads, struct workers **out);

/* Drain the queue, join the threads, close the loop handles; done fires on the loop thread
 * when everything is released. */
void workers_stop(struct workers *w, void (*done)(void *arg), void *arg);

/* Run fn(arg) on a worker, then done(arg) on the loop thread (done may be NULL). */
int workers_submit(struct workers *w, workers_fn fn, workers_fn done, void *arg);

/* From a worker thread: run fn(call, arg) on the loop thread and wait until loop_call_done(call,
 * rv) is called there; returns rv. */
int workers_call(struct workers *w, loop_call_fn fn, void *arg);

/* Finish a loop call (loop thread, exactly once per call). */
void loop_call_done(struct loop_call *c, int rv);

/* True on the loop thread. */
bool workers_on_loop(const struct workers *w);

#endif
