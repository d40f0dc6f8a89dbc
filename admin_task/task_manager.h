/* The AdminTaskManager: how the master commands meta and data nodes.
 *
 * Sync path: task_manager_send_sync() sends one task over the node's connection pool and waits
 * for the node's reply (write deadline, then read deadline). Any result other than OpOk is an
 * error carrying the node's message; on any error the connection is closed, otherwise it goes back
 * to the pool. Safe to call from many worker threads at once.
 *
 * Async path: task_manager_add() queues a task under its ID; adding an ID that is already queued
 * is a no-op, which keeps one heartbeat outstanding per node. A sender thread wakes every tick and,
 * per node, sends heartbeats first, then urgent tasks (create, load, update), then the rest up to a
 * soft cap, reading each node's OpOk ack with a deadline. Nodes are served by a small pool of
 * threads, so a node that cannot be dialed stalls only itself. A task is resent when unanswered
 * for resend_ms and dropped after max_sends sends or timeout_ms. Nodes answer later by POSTing the
 * task with its Response to the master, whose handler calls task_manager_handle_response(): the
 * task is found by OperatorAddr and ID, removed, its Response decoded with the table registered
 * for the opcode, and the opcode's callback called.
 *
 * What to send and drop each tick is task_plan_tick(), a pure function of (queue, now, policy), so
 * priorities, the cap, resends, drops and de-duplication are tested with a fake clock. */
#ifndef CFS_ADMIN_TASK_TASK_MANAGER_H
#define CFS_ADMIN_TASK_TASK_MANAGER_H

#include "admin_task/conn_pool.h"
#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/jcodec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task_policy {
    uint32_t tick_ms;          /* async batch interval; CubeFS 2 s */
    uint32_t resend_ms;        /* resend a task unanswered this long; 5 s */
    uint32_t max_sends;        /* drop after this many sends; 5 */
    uint32_t timeout_ms;       /* drop a task first sent this long ago; 100 s */
    uint32_t soft_cap;         /* tasks per node per tick beyond heartbeats and urgent ones; 30 */
    uint32_t write_timeout_ms; /* every packet write; 5 s */
    uint32_t ack_timeout_ms;   /* read of an async task's ack; 5 s */
    uint32_t sync_timeout_ms;  /* read of a sync task's reply; 20 s */
    uint32_t sender_threads;   /* nodes served in parallel by the async sender; 4 */
    uint32_t max_body;         /* bound on reply packets; PACKET_DEFAULT_MAX_BODY */
    struct conn_pool_options pool;
};

void task_policy_default(struct task_policy *p);

/* A queued task and its bookkeeping (monotonic milliseconds; 0 = never). */
struct task_entry {
    struct admin_task task;
    uint64_t queued_ms;
    uint64_t first_sent_ms;
    uint64_t last_sent_ms;
    uint32_t sends;
};

/* This tick's decision for one node: entry indexes to send, in send order, and to drop. */
struct task_plan {
    size_t *send;
    size_t nsend;
    size_t *drop;
    size_t ndrop;
};

bool task_is_heartbeat(uint8_t opcode);
bool task_is_urgent(uint8_t opcode); /* create dp/mp, load dp, update mp */

/* Pure. plan->send and plan->drop must each have room for n indexes. */
void task_plan_tick(const struct task_entry *entries, size_t n, uint64_t now_ms,
                    const struct task_policy *p, struct task_plan *plan);

struct task_manager;

/* Counters per node, readable for /metrics. */
struct task_node_stats {
    char addr[TASK_ADDR_SIZE];
    uint64_t sent;     /* async packets written and acked or not */
    uint64_t acked;    /* async acks received */
    uint64_t failed;   /* sync or async sends that failed (dial, write, read, non-OpOk) */
    uint64_t resent;   /* async sends after the first */
    uint64_t dropped;  /* tasks dropped unanswered */
    uint64_t answered; /* responses matched to a queued task */
    uint32_t queued;   /* tasks in the queue now */
};

/* Called with the task as the node posted it and its Response decoded with the registered table
 * (NULL when the Response was null). Runs on the thread that called handle_response. */
typedef void (*task_response_cb)(const struct admin_task *task, void *response, void *arg);

int task_manager_new(const struct task_policy *p, struct task_manager **out, char *errmsg);

/* Stops the sender if running, drops every queue, closes every pool. */
void task_manager_free(struct task_manager *m);

/* Start / stop the async sender (the master runs it only while leader). stop returns once the
 * sender has finished its current tick; queues are kept. */
int task_manager_start(struct task_manager *m, char *errmsg);
void task_manager_stop(struct task_manager *m);

/* Nodes are known by address. Adding a known node is a no-op; removing one drops its queue and
 * closes its connections. */
int task_manager_add_node(struct task_manager *m, const char *addr, char *errmsg);
void task_manager_remove_node(struct task_manager *m, const char *addr);

/* Queue a task for its OperatorAddr (the node must have been added). Takes ownership of t's
 * contents in every case; *queued (may be NULL) is false when the ID was already queued. */
int task_manager_add(struct task_manager *m, struct admin_task *t, bool *queued, char *errmsg);

/* Send t now and wait for the reply. On success *reply (caller frees with packet_clear) holds the
 * node's OpOk packet; errors name the node, e.g. "127.0.0.1:17310: OpErr: no space left on any
 * disk" (CFS_EREMOTE) or the pool's dial error. The node need not have been added. */
int task_manager_send_sync(struct task_manager *m, const struct admin_task *t, struct packet *reply,
                           char *errmsg);

/* Register how responses of one opcode are decoded and handled. */
int task_manager_on_response(struct task_manager *m, uint8_t opcode, const struct jc_field *fields,
                             size_t size, task_response_cb cb, void *arg);

/* A body posted to /dataNode/response or /metaNode/response. Returns 0 when the body was a valid
 * AdminTask (a task ID that is not queued is counted and logged, not an error), or an error with
 * a message for a body that is not an AdminTask or whose Response does not decode. */
int task_manager_handle_response(struct task_manager *m, const void *body, size_t len,
                                 char *errmsg);

/* Fill up to max entries (in address order); returns the number of nodes. */
size_t task_manager_stats(struct task_manager *m, struct task_node_stats *out, size_t max);

/* Responses whose node or task ID was not known. */
uint64_t task_manager_unknown_responses(struct task_manager *m);

#endif
