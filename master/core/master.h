/* The cfs-master process: one struct holding every part, and the calls other modules use.
 *
 * Threads: the loop thread runs h2o, libraft, timers and every read; operation workers run
 * mutating flows and reach Raft through master_propose(), which hops to the loop. State that the
 * loop and workers share (the topology view, ID ranges) has its own lock.
 *
 * Leadership: when Raft makes this master leader, it first runs a barrier so everything
 * committed is applied, then reloads its caches from LMDB and becomes "ready"; only a ready
 * leader serves mutating routes and allocates IDs. Losing leadership clears ready at once. */
#ifndef CFS_MASTER_CORE_MASTER_H
#define CFS_MASTER_CORE_MASTER_H

#include "master/core/master_config.h"
#include "master/raft/fsm.h"
#include "master/raft/raft_node.h"
#include "storage/store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct http_server;
struct raft_node;
struct task_manager;
struct workers;
struct topo;
struct pstate;
struct locks;
struct views;

/* IDs are handed out from ranges reserved through Raft (one proposal per range, not per ID). */
#define MASTER_ID_RANGE 1000

struct id_range {
    uint64_t next; /* next ID to hand out */
    uint64_t last; /* last ID of the reserved range; next > last means none reserved */
};

struct master {
    struct master_config cfg;
    uv_loop_t *loop;
    struct store *store;
    struct fsm *fsm;
    struct raft_node *raft;
    struct http_server *http;
    struct task_manager *tasks;
    struct workers *workers;
    struct topo *topo;     /* nodes and their last reports (soft state, rebuilt per leader) */
    struct pstate *pstate; /* partition statuses and client views, recomputed every check */
    uv_timer_t pstate_timer;
    uv_async_t pstate_kick;
    uv_timer_t kick_timer; /* a refresh asked for while the last one is recent */
    uv_timer_t warm_timer; /* a new leader's first heartbeat round (see master.c) */
    uint64_t warm_deadline_ms;
    uint64_t refresh_start_ms; /* last refresh: when it started, how long it took */
    uint64_t refresh_cost_ms;
    bool refresh_pending; /* kick_timer runs */
    bool pstate_handles;  /* the four handles above are initialised */
    struct views *views;  /* followers: the copy of the leader's pstate (views.h) */
    struct locks *locks;  /* per-partition / per-name operation exclusion */

    /* Leadership, read from any thread. */
    volatile bool leader; /* Raft says this master leads */
    volatile bool ready;  /* leader and caught up: serves writes */
    volatile uint64_t leader_id;
    uint64_t term_ready; /* the Raft term in which ready was reached */

    pthread_mutex_t ids_lock;
    struct id_range ids[STORE_COUNTER_COUNT];

    /* The task sender starts and stops on its own thread: stopping joins sender threads that may
     * be inside a node call (dial and read deadlines), which must not stall the loop. */
    pthread_t sender_thread;
    pthread_mutex_t sender_lock;
    pthread_cond_t sender_cond;
    bool sender_want; /* what the loop asked for (leadership) */
    bool sender_on;   /* what the sender thread last did */
    bool sender_quit;
    bool sender_thread_started;

    uv_signal_t sigterm;
    uv_signal_t sigint;
    bool stopping;
    int exit_code;
};

/* Run the master until SIGTERM/SIGINT; returns the process exit status. */
int master_run(const struct master_config *cfg);

/* From a worker thread: propose cmd and wait for it to be applied and committed. Returns 0 with
 * res filled (res->code says whether a precondition rejected it), or an error: CFS_ENOTLEADER,
 * CFS_ETIMEDOUT (the outcome is unknown: it may still commit), CFS_ECANCELED. */
int master_propose(struct master *m, struct fsm_cmd *cmd, struct fsm_result *res, char *errmsg);

/* From a worker thread: n consecutive IDs of counter c, *first being the first. Reserves a new
 * range through Raft when the current one runs out. */
/* Loop thread: propose cmd without a worker. 0: cb fires exactly once, on the loop, with the
 * outcome (an rv other than 0 is explained by master_propose_error()); otherwise errmsg says why
 * and cb never fires. */
int master_propose_async(struct master *m, const struct fsm_cmd *cmd, raft_node_result_cb cb,
                         void *arg, char *errmsg);

/* What a failed proposal's rv means for the client. */
void master_propose_error(const struct master *m, int rv, char *errmsg);

int master_alloc_ids(struct master *m, enum store_counter c, uint32_t n, uint64_t *first,
                     char *errmsg);

/* From any thread: recompute partition statuses soon (after a change that affects them). Under
 * a stream of changes the refreshes are spaced out (see master.c). */
void master_refresh_soon(struct master *m);

/* Loop thread: run a refresh asked for and not done yet, before answering from the statuses. */
void master_refresh_pending(struct master *m);

/* The HTTP address of master id (from the replicated master records, else the configured
 * peers): 0, or CFS_ENOTFOUND with buf "". */
int master_http_addr_of(const struct master *m, uint64_t id, char *buf, size_t size);

/* The HTTP address of the current leader ("" when unknown). */
void master_leader_http_addr(const struct master *m, char *buf, size_t size);

/* True while this master leads and is still in its first heartbeat round (statuses are then the
 * copy it held as a follower, or computed from the replies so far). */
bool master_warming_up(const struct master *m);

#endif
