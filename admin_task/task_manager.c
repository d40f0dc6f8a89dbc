/* Happy path (async): every tick_ms the ticker marks each node that has queued tasks and is not
 * still busy as ready; a sender worker takes the node, asks task_plan_tick() what to send and
 * drop, and for each task stamps SendTime/SendCount, writes the packet on a pooled connection and
 * reads the node's OpOk ack. Later the node posts the task with its Response, and
 * task_manager_handle_response() removes it from the queue and calls the opcode's callback.
 * Happy path (sync): encode, write, read the reply with the sync deadline, check it is OpOk.
 *
 * Failure modes: a dial failure counts a send for the task at hand and ends the node's tick (the
 * rest wait for the next one); a write or read failure, or an ack that is not OpOk, force-closes
 * the connection, counts a send and moves on; unanswered tasks are resent after resend_ms and
 * dropped after max_sends or timeout_ms; a node that stalls in a dial or a read holds only the
 * worker serving it, and is skipped by later ticks until that worker is done; responses for
 * unknown nodes or task IDs are counted and logged; stop abandons the rest of each node's tick
 * once the exchange in flight ends (bounded by its deadlines).
 *
 * Threads and locking: one mutex guards the node table, every queue, the counters, the handlers
 * and the ready list; no I/O happens under it, except closing sockets. Nodes are reference counted
 * (table, ready list, serving worker, sync senders), so remove_node never frees a pool in use. A
 * releaser thread reaps idle connections about once a second for the manager's whole life. */
#define LOG_TAG "task"

#include "admin_task/task_manager.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RELEASE_INTERVAL_MS 1000u
#define NOPCODES            256

struct handler {
    const struct jc_field *fields;
    size_t size;
    task_response_cb cb;
    void *arg;
};

/* IDLE -> READY (ticker, queued on the ready list) -> SERVING (a worker) -> IDLE. A node that is
 * READY or SERVING when a tick comes is the "still busy" node that tick skips. */
enum node_state { NODE_IDLE, NODE_READY, NODE_SERVING };

struct node {
    struct conn_pool *pool;
    struct task_entry *entries; /* the queue, in the order tasks were added; IDs unique */
    size_t n;
    size_t cap;
    enum node_state state;
    struct node *next_ready;
    unsigned refs;
    bool removed;
    struct task_node_stats stats; /* addr set once; queued filled on read */
};

struct task_manager {
    struct task_policy policy;
    pthread_mutex_t lock;
    pthread_cond_t work_cond; /* ready list non-empty, or stopping */
    pthread_cond_t tick_cond; /* stopping or closing; waited on with CLOCK_MONOTONIC deadlines */
    struct node **nodes;      /* sorted by address */
    size_t nnodes;
    size_t cap;
    struct node *ready_head;
    struct node *ready_tail;
    struct handler handlers[NOPCODES];
    uint64_t unknown;
    bool running;
    bool stopping;
    bool closing;
    pthread_t ticker;
    pthread_t *workers; /* policy.sender_threads of them while running */
    pthread_t releaser;
};

/* How far one request/reply exchange got: async accounting needs to know whether the packet was
 * written and whether the failure was the dial. */
enum stage { STAGE_DIAL, STAGE_WRITE, STAGE_READ, STAGE_DONE };

void task_policy_default(struct task_policy *p)
{
    p->tick_ms = 2000;
    p->resend_ms = 5000;
    p->max_sends = 5;
    p->timeout_ms = 100000;
    p->soft_cap = 30;
    p->write_timeout_ms = 5000;
    p->ack_timeout_ms = 5000;
    p->sync_timeout_ms = 20000;
    p->sender_threads = 4;
    p->max_body = PACKET_DEFAULT_MAX_BODY;
    conn_pool_options_default(&p->pool);
}

bool task_is_heartbeat(uint8_t opcode)
{
    return opcode == OP_DATA_NODE_HEARTBEAT || opcode == OP_META_NODE_HEARTBEAT;
}

bool task_is_urgent(uint8_t opcode)
{
    return opcode == OP_CREATE_DATA_PARTITION || opcode == OP_CREATE_META_PARTITION ||
           opcode == OP_LOAD_DATA_PARTITION || opcode == OP_UPDATE_META_PARTITION;
}

/* Time since a stamp; a clock that went backwards counts as no time. */
static uint64_t since(uint64_t now, uint64_t stamp)
{
    return now > stamp ? now - stamp : 0;
}

/* Dropped once max_sends sends went unanswered for resend_ms after the last one, or timeout_ms
 * after the first send. CubeFS drops at the first tick after the last send; waiting resend_ms
 * gives the last send the same time to be answered as every earlier one. */
static bool task_expired(const struct task_entry *e, uint64_t now, const struct task_policy *p)
{
    if (e->sends == 0) {
        return false;
    }
    return (e->sends >= p->max_sends && since(now, e->last_sent_ms) >= p->resend_ms) ||
           since(now, e->first_sent_ms) >= p->timeout_ms;
}

static bool task_due(const struct task_entry *e, uint64_t now, const struct task_policy *p)
{
    return e->sends == 0 ||
           (e->sends < p->max_sends && since(now, e->last_sent_ms) >= p->resend_ms &&
            !task_expired(e, now, p));
}

enum task_class { CLASS_HEARTBEAT, CLASS_URGENT, CLASS_OTHER, NCLASSES };

static enum task_class task_class_of(uint8_t opcode)
{
    if (task_is_heartbeat(opcode)) {
        return CLASS_HEARTBEAT;
    }
    return task_is_urgent(opcode) ? CLASS_URGENT : CLASS_OTHER;
}

/* One pass per class, each in queue order. The soft cap binds only the last pass, and counts
 * every task picked so far, heartbeats and urgent ones included: a task of the last pass is picked
 * only while that total is at most soft_cap, so the pass stops once the total exceeds the cap.
 * This is CubeFS's "append, then break when len(tasks) > MaxTaskNum": with fewer heartbeat and
 * urgent tasks than the cap a tick sends at most soft_cap + 1 tasks, and with more it sends no
 * other task at all. */
void task_plan_tick(const struct task_entry *entries, size_t n, uint64_t now_ms,
                    const struct task_policy *p, struct task_plan *plan)
{
    plan->nsend = 0;
    plan->ndrop = 0;
    for (size_t i = 0; i < n; i++) {
        if (task_expired(&entries[i], now_ms, p)) {
            plan->drop[plan->ndrop++] = i;
        }
    }
    for (int cls = 0; cls < NCLASSES; cls++) {
        for (size_t i = 0; i < n; i++) {
            if (task_class_of(entries[i].task.opcode) != (enum task_class)cls ||
                !task_due(&entries[i], now_ms, p)) {
                continue;
            }
            if (cls == CLASS_OTHER && plan->nsend > p->soft_cap) {
                break;
            }
            plan->send[plan->nsend++] = i;
        }
    }
}

/* --- nodes and queues (all under m->lock) --- */

static size_t node_search(const struct task_manager *m, const char *addr, bool *found)
{
    size_t lo = 0;
    size_t hi = m->nnodes;

    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->nodes[mid]->stats.addr, addr);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static struct node *node_find(const struct task_manager *m, const char *addr)
{
    bool found;
    size_t i = node_search(m, addr, &found);

    return found ? m->nodes[i] : NULL;
}

static void node_clear_queue(struct node *node)
{
    for (size_t i = 0; i < node->n; i++) {
        admin_task_clear(&node->entries[i].task);
    }
    node->n = 0;
}

static void node_unref(struct node *node)
{
    if (--node->refs > 0) {
        return;
    }
    node_clear_queue(node);
    free(node->entries);
    conn_pool_free(node->pool);
    free(node);
}

/* Queues hold a heartbeat and a few partition tasks, so a linear scan is the cheapest index. */
static struct task_entry *entry_find(const struct node *node, const char *id, size_t *index)
{
    for (size_t i = 0; i < node->n; i++) {
        if (strcmp(node->entries[i].task.id, id) == 0) {
            if (index != NULL) {
                *index = i;
            }
            return &node->entries[i];
        }
    }
    return NULL;
}

static void entry_remove(struct node *node, size_t i)
{
    admin_task_clear(&node->entries[i].task);
    memmove(&node->entries[i], &node->entries[i + 1], (node->n - i - 1) * sizeof(*node->entries));
    node->n--;
}

static uint64_t manager_now(const struct task_manager *m)
{
    return m->policy.pool.now_ms();
}

/* --- packets --- */

static int build_request(const struct admin_task *t, struct packet *req)
{
    char *text = NULL;
    size_t len;
    int rv;

    rv = admin_task_encode(t, &text, &len);
    if (rv != 0) {
        return rv;
    }
    rv = len > UINT32_MAX
             ? -E2BIG
             : packet_init_request(req, t->opcode, t->partition_id, text, (uint32_t)len);
    free(text);
    return rv;
}

/* A shallow copy with CubeFS's per-send stamps: SendTime now, SendCount one more. */
static struct admin_task stamped_copy(const struct admin_task *t, uint32_t sends)
{
    struct admin_task copy = *t;

    copy.send_time = clock_wall_s();
    copy.send_count = sends > UINT8_MAX ? UINT8_MAX : (uint8_t)sends;
    return copy;
}

static void io_error(char *errmsg, const char *addr, enum stage stage, const struct packet *req,
                     int rv, uint32_t timeout_ms)
{
    const char *what = stage == STAGE_WRITE ? "write" : "read reply to";

    if (rv == CFS_ETIMEDOUT) {
        errors_set(errmsg, "%s: %s %s: timed out after %u ms", addr, what,
                   packet_opcode_name(req->opcode), timeout_ms);
    } else {
        errors_set(errmsg, "%s: %s %s: %s", addr, what, packet_opcode_name(req->opcode),
                   errors_strerror(rv));
    }
}

/* Write req on a pooled connection and read the OpOk reply that matches it (same opcode and
 * ReqID: anything else means the stream is out of step). The connection goes back to the pool
 * after a clean exchange and is closed after any error. */
static int roundtrip(const struct task_policy *p, struct conn_pool *pool, const struct packet *req,
                     uint32_t read_timeout_ms, struct packet *reply, enum stage *stage,
                     char *errmsg)
{
    const char *addr = conn_pool_addr(pool);
    struct packet tmp = {0};
    uint8_t *buf = NULL;
    size_t len;
    int fd = -1;
    int rv;

    *stage = STAGE_DIAL;
    rv = packet_encode(req, &buf, &len);
    if (rv != 0) {
        errors_set(errmsg, "%s: encode %s: %s", addr, packet_opcode_name(req->opcode),
                   errors_strerror(rv));
        goto out;
    }
    rv = conn_pool_get(pool, &fd, errmsg);
    if (rv != 0) {
        goto out;
    }
    *stage = STAGE_WRITE;
    rv = conn_pool_write_all(fd, buf, len, p->write_timeout_ms);
    if (rv != 0) {
        io_error(errmsg, addr, *stage, req, rv, p->write_timeout_ms);
        goto out;
    }
    *stage = STAGE_READ;
    rv = conn_pool_read_packet(fd, p->max_body, read_timeout_ms, &tmp);
    if (rv != 0) {
        io_error(errmsg, addr, *stage, req, rv, read_timeout_ms);
        goto out;
    }
    if (tmp.opcode != req->opcode || tmp.req_id != req->req_id) {
        rv = CFS_ECORRUPT;
        errors_set(errmsg, "%s: reply op 0x%02x req %lld does not match request op 0x%02x req %lld",
                   addr, tmp.opcode, (long long)tmp.req_id, req->opcode, (long long)req->req_id);
        goto out;
    }
    /* Any other result fails the task; CubeFS closes the connection then too. */
    if (tmp.result_code != OP_OK) {
        rv = CFS_EREMOTE;
        errors_set(errmsg, "%s: %s: %s", addr, packet_result_name(tmp.result_code),
                   tmp.data != NULL ? (char *)tmp.data : "");
        goto out;
    }
    *stage = STAGE_DONE;
    *reply = tmp;
    memset(&tmp, 0, sizeof(tmp));
out:
    if (fd >= 0) {
        conn_pool_put(pool, fd, rv != 0);
    }
    packet_clear(&tmp);
    free(buf);
    return rv;
}

/* --- async sender --- */

/* Stamp the queued task and build its packet. CFS_ENOTFOUND when it was answered or dropped since
 * the plan was made, CFS_ECANCELED when the sender is stopping. Locked. */
static int stamp_task(struct task_manager *m, struct node *node, const char *id, struct packet *req,
                      uint32_t *sends)
{
    struct task_entry *e = entry_find(node, id, NULL);
    struct admin_task copy;
    uint64_t now;
    int rv;

    if (m->stopping) {
        return CFS_ECANCELED;
    }
    if (e == NULL) {
        return CFS_ENOTFOUND;
    }
    copy = stamped_copy(&e->task, e->sends + 1);
    rv = build_request(&copy, req);
    if (rv != 0) {
        return rv;
    }
    /* CubeFS counts the send whatever happens next, a failed dial included. */
    now = manager_now(m);
    e->task.send_time = copy.send_time;
    e->task.send_count = copy.send_count;
    e->sends++;
    e->last_sent_ms = now;
    if (e->first_sent_ms == 0) {
        e->first_sent_ms = now;
    }
    *sends = e->sends;
    return 0;
}

static void count_send(struct node *node, const char *id, enum stage stage, uint32_t sends, bool ok)
{
    struct task_entry *e = entry_find(node, id, NULL);

    if (stage >= STAGE_READ) {
        node->stats.sent++;
        if (sends > 1) {
            node->stats.resent++;
        }
    }
    if (ok) {
        node->stats.acked++;
        if (e != NULL) {
            e->task.status = TASK_RUNNING;
        }
    } else {
        node->stats.failed++;
    }
}

/* Send one queued task and read its ack. Returns non-zero when the node's tick must end. */
static int send_task(struct task_manager *m, struct node *node, const char *id)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct packet req = {0};
    struct packet ack = {0};
    enum stage stage;
    uint32_t sends = 0;
    int rv;

    pthread_mutex_lock(&m->lock);
    rv = stamp_task(m, node, id, &req, &sends);
    pthread_mutex_unlock(&m->lock);
    if (rv == CFS_ENOTFOUND) {
        return 0;
    }
    if (rv != 0) {
        if (rv != CFS_ECANCELED) {
            log_error("%s: task %s: %s", node->stats.addr, id, errors_strerror(rv));
        }
        return rv;
    }
    rv = roundtrip(&m->policy, node->pool, &req, m->policy.ack_timeout_ms, &ack, &stage, errmsg);
    if (rv != 0) {
        /* The task stays queued and is sent again after resend_ms. */
        log_warn("%s (task %s)", errmsg, id);
    }
    pthread_mutex_lock(&m->lock);
    count_send(node, id, stage, sends, rv == 0);
    pthread_mutex_unlock(&m->lock);
    packet_clear(&req);
    packet_clear(&ack);
    return rv != 0 && stage == STAGE_DIAL ? rv : 0;
}

/* Run the plan's drops and return the IDs to send, in order (malloc'd; NULL when none). IDs rather
 * than indexes, because answers remove entries while the worker is sending. Locked. */
static int plan_node(struct task_manager *m, struct node *node, char (**ids)[TASK_ID_SIZE],
                     size_t *nids)
{
    struct task_plan plan;
    size_t *idx = NULL;
    char(*out)[TASK_ID_SIZE] = NULL;
    int rv = -ENOMEM;

    if (node->n == 0) {
        *ids = NULL;
        *nids = 0;
        return 0;
    }
    idx = malloc(2 * node->n * sizeof(*idx));
    if (idx == NULL) {
        goto out;
    }
    plan.send = idx;
    plan.drop = idx + node->n;
    task_plan_tick(node->entries, node->n, manager_now(m), &m->policy, &plan);
    if (plan.nsend > 0 && (out = malloc(plan.nsend * sizeof(*out))) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < plan.nsend; i++) {
        memcpy(out[i], node->entries[plan.send[i]].task.id, TASK_ID_SIZE);
    }
    /* Drop indexes are ascending; removing from the end keeps the others valid. */
    for (size_t i = plan.ndrop; i-- > 0;) {
        const struct task_entry *e = &node->entries[plan.drop[i]];
        log_warn("%s: drop task %s unanswered after %u sends", node->stats.addr, e->task.id,
                 e->sends);
        node->stats.dropped++;
        entry_remove(node, plan.drop[i]);
    }
    *ids = out;
    *nids = plan.nsend;
    rv = 0;
out:
    free(idx);
    return rv;
}

static void serve_node(struct task_manager *m, struct node *node)
{
    char(*ids)[TASK_ID_SIZE];
    size_t nids;
    int rv;

    pthread_mutex_lock(&m->lock);
    rv = plan_node(m, node, &ids, &nids);
    pthread_mutex_unlock(&m->lock);
    if (rv != 0) {
        log_error("%s: plan: %s", node->stats.addr, errors_strerror(rv));
        return;
    }
    for (size_t i = 0; i < nids && rv == 0; i++) {
        rv = send_task(m, node, ids[i]);
    }
    free(ids);
}

static void *worker_main(void *arg)
{
    struct task_manager *m = arg;

    pthread_mutex_lock(&m->lock);
    for (;;) {
        struct node *node;

        while (!m->stopping && m->ready_head == NULL) {
            pthread_cond_wait(&m->work_cond, &m->lock);
        }
        node = m->ready_head;
        if (node == NULL) {
            break;
        }
        m->ready_head = node->next_ready;
        if (m->ready_head == NULL) {
            m->ready_tail = NULL;
        }
        node->next_ready = NULL;
        if (!m->stopping && !node->removed) {
            node->state = NODE_SERVING;
            pthread_mutex_unlock(&m->lock);
            serve_node(m, node);
            pthread_mutex_lock(&m->lock);
        }
        node->state = NODE_IDLE;
        node_unref(node);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* Locked. */
static void schedule_nodes(struct task_manager *m)
{
    bool any = false;

    for (size_t i = 0; i < m->nnodes; i++) {
        struct node *node = m->nodes[i];
        if (node->state != NODE_IDLE || node->n == 0) {
            continue;
        }
        node->state = NODE_READY;
        node->refs++;
        if (m->ready_tail != NULL) {
            m->ready_tail->next_ready = node;
        } else {
            m->ready_head = node;
        }
        m->ready_tail = node;
        any = true;
    }
    if (any) {
        pthread_cond_broadcast(&m->work_cond);
    }
}

static void wait_until(struct task_manager *m, uint64_t deadline_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000u),
                          .tv_nsec = (long)(deadline_ms % 1000u) * 1000000L};

    pthread_cond_timedwait(&m->tick_cond, &m->lock, &ts);
}

static void *ticker_main(void *arg)
{
    struct task_manager *m = arg;
    uint64_t next = clock_mono_ms();

    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        uint64_t now = clock_mono_ms();
        if (now >= next) {
            schedule_nodes(m);
            next = now + m->policy.tick_ms;
        }
        wait_until(m, next);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void *releaser_main(void *arg)
{
    struct task_manager *m = arg;

    pthread_mutex_lock(&m->lock);
    while (!m->closing) {
        wait_until(m, clock_mono_ms() + RELEASE_INTERVAL_MS);
        for (size_t i = 0; i < m->nnodes && !m->closing; i++) {
            conn_pool_reap(m->nodes[i]->pool);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* --- public API --- */

int task_manager_new(const struct task_policy *p, struct task_manager **out, char *errmsg)
{
    struct task_manager *m = calloc(1, sizeof(*m));
    pthread_condattr_t attr;
    int inited = 0;
    int rv = -ENOMEM;

    if (m == NULL) {
        goto out;
    }
    if (p != NULL) {
        m->policy = *p;
    } else {
        task_policy_default(&m->policy);
    }
    if (m->policy.pool.now_ms == NULL) {
        m->policy.pool.now_ms = clock_mono_ms;
    }
    rv = -EINVAL;
    if (m->policy.tick_ms == 0 || m->policy.sender_threads == 0 || m->policy.max_sends == 0) {
        errors_set(errmsg, "task policy: tick_ms, sender_threads and max_sends must be positive");
        goto out;
    }
    rv = -pthread_mutex_init(&m->lock, NULL);
    if (rv != 0) {
        goto out;
    }
    inited = 1;
    rv = -pthread_cond_init(&m->work_cond, NULL);
    if (rv != 0) {
        goto out;
    }
    inited = 2;
    rv = -pthread_condattr_init(&attr);
    if (rv != 0) {
        goto out;
    }
    /* Tick deadlines come from clock_mono_ms, so the wait must use the same clock. */
    rv = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rv == 0) {
        rv = -pthread_cond_init(&m->tick_cond, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rv != 0) {
        goto out;
    }
    inited = 3;
    rv = -pthread_create(&m->releaser, NULL, releaser_main, m);
    if (rv != 0) {
        goto out;
    }
    *out = m;
out:
    if (rv != 0 && rv != -EINVAL) {
        errors_set(errmsg, "task manager: %s", errors_strerror(rv));
    }
    if (rv != 0 && m != NULL) {
        if (inited >= 3) {
            pthread_cond_destroy(&m->tick_cond);
        }
        if (inited >= 2) {
            pthread_cond_destroy(&m->work_cond);
        }
        if (inited >= 1) {
            pthread_mutex_destroy(&m->lock);
        }
        free(m);
    }
    return rv;
}

void task_manager_free(struct task_manager *m)
{
    if (m == NULL) {
        return;
    }
    task_manager_stop(m);
    pthread_mutex_lock(&m->lock);
    m->closing = true;
    pthread_cond_broadcast(&m->tick_cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->releaser, NULL);
    for (size_t i = 0; i < m->nnodes; i++) {
        node_unref(m->nodes[i]);
    }
    free(m->nodes);
    pthread_cond_destroy(&m->tick_cond);
    pthread_cond_destroy(&m->work_cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Wake and join the sender threads; the first n workers were started, the ticker when ticker. */
static void join_sender(struct task_manager *m, size_t n, bool ticker)
{
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->tick_cond);
    pthread_cond_broadcast(&m->work_cond);
    pthread_mutex_unlock(&m->lock);
    if (ticker) {
        pthread_join(m->ticker, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        pthread_join(m->workers[i], NULL);
    }
    free(m->workers);
    m->workers = NULL;
}

int task_manager_start(struct task_manager *m, char *errmsg)
{
    size_t n = m->policy.sender_threads;
    bool ticker = false;
    size_t started = 0;
    int rv = 0;

    if (m->running) {
        return 0;
    }
    m->workers = calloc(n, sizeof(*m->workers));
    if (m->workers == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    pthread_mutex_lock(&m->lock);
    m->stopping = false;
    pthread_mutex_unlock(&m->lock);
    while (started < n) {
        rv = -pthread_create(&m->workers[started], NULL, worker_main, m);
        if (rv != 0) {
            goto out;
        }
        started++;
    }
    rv = -pthread_create(&m->ticker, NULL, ticker_main, m);
    ticker = rv == 0;
out:
    if (rv != 0) {
        errors_set(errmsg, "start task sender: %s", errors_strerror(rv));
        join_sender(m, started, ticker);
    }
    m->running = rv == 0;
    return rv;
}

void task_manager_stop(struct task_manager *m)
{
    if (!m->running) {
        return;
    }
    join_sender(m, m->policy.sender_threads, true);
    m->running = false;
}

int task_manager_add_node(struct task_manager *m, const char *addr, char *errmsg)
{
    struct node *node = NULL;
    struct node **grown;
    bool found;
    size_t at;
    int rv = 0;

    if (strlen(addr) >= TASK_ADDR_SIZE) {
        errors_set(errmsg, "node address too long: %s", addr);
        return -ENAMETOOLONG;
    }
    pthread_mutex_lock(&m->lock);
    at = node_search(m, addr, &found);
    if (found) {
        goto out;
    }
    rv = -ENOMEM;
    if (m->nnodes == m->cap) {
        size_t cap = m->cap > 0 ? 2 * m->cap : 8;
        grown = realloc(m->nodes, cap * sizeof(*grown));
        if (grown == NULL) {
            goto out;
        }
        m->nodes = grown;
        m->cap = cap;
    }
    node = calloc(1, sizeof(*node));
    if (node == NULL) {
        goto out;
    }
    rv = conn_pool_new(addr, &m->policy.pool, &node->pool, errmsg);
    if (rv != 0) {
        goto out;
    }
    strcpy(node->stats.addr, addr);
    node->refs = 1;
    memmove(&m->nodes[at + 1], &m->nodes[at], (m->nnodes - at) * sizeof(*m->nodes));
    m->nodes[at] = node;
    m->nnodes++;
    node = NULL;
out:
    pthread_mutex_unlock(&m->lock);
    if (rv == -ENOMEM) {
        errors_set(errmsg, "add node %s: out of memory", addr);
    }
    free(node);
    return rv;
}

void task_manager_remove_node(struct task_manager *m, const char *addr)
{
    struct node *node;
    bool found;
    size_t at;

    pthread_mutex_lock(&m->lock);
    at = node_search(m, addr, &found);
    if (found) {
        node = m->nodes[at];
        memmove(&m->nodes[at], &m->nodes[at + 1], (m->nnodes - at - 1) * sizeof(*m->nodes));
        m->nnodes--;
        node->removed = true;
        /* Now, not at the last unref: a worker serving the node finds nothing left to send. */
        node_clear_queue(node);
        node_unref(node);
    }
    pthread_mutex_unlock(&m->lock);
}

int task_manager_add(struct task_manager *m, struct admin_task *t, bool *queued, char *errmsg)
{
    struct task_entry *e;
    struct node *node;
    bool taken = false;
    int rv = 0;

    pthread_mutex_lock(&m->lock);
    node = node_find(m, t->operator_addr);
    if (node == NULL) {
        errors_set(errmsg, "task %s: node %s was not added", t->id, t->operator_addr);
        rv = CFS_ENOTFOUND;
        goto out;
    }
    if (entry_find(node, t->id, NULL) != NULL) {
        goto out;
    }
    if (node->n == node->cap) {
        size_t cap = node->cap > 0 ? 2 * node->cap : 4;
        struct task_entry *grown = realloc(node->entries, cap * sizeof(*grown));
        if (grown == NULL) {
            errors_set(errmsg, "task %s: out of memory", t->id);
            rv = -ENOMEM;
            goto out;
        }
        node->entries = grown;
        node->cap = cap;
    }
    e = &node->entries[node->n++];
    memset(e, 0, sizeof(*e));
    e->task = *t;
    e->queued_ms = manager_now(m);
    /* The JSON now belongs to the queue; a stray admin_task_clear(t) must not free it. */
    t->request = NULL;
    t->response = NULL;
    taken = true;
out:
    pthread_mutex_unlock(&m->lock);
    if (!taken) {
        admin_task_clear(t);
    }
    if (rv == 0 && queued != NULL) {
        *queued = taken;
    }
    return rv;
}

int task_manager_send_sync(struct task_manager *m, const struct admin_task *t, struct packet *reply,
                           char *errmsg)
{
    struct admin_task copy = stamped_copy(t, (uint32_t)t->send_count + 1);
    struct conn_pool *once = NULL;
    struct packet req = {0};
    struct node *node;
    enum stage stage;
    int rv;

    rv = build_request(&copy, &req);
    if (rv != 0) {
        errors_set(errmsg, "%s: encode task %s: %s", t->operator_addr, t->id, errors_strerror(rv));
        return rv;
    }
    pthread_mutex_lock(&m->lock);
    node = node_find(m, t->operator_addr);
    if (node != NULL) {
        node->refs++;
    }
    pthread_mutex_unlock(&m->lock);
    /* A node that was never added gets a one-off pool, closed after this exchange. */
    if (node == NULL) {
        rv = conn_pool_new(t->operator_addr, &m->policy.pool, &once, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    rv = roundtrip(&m->policy, node != NULL ? node->pool : once, &req, m->policy.sync_timeout_ms,
                   reply, &stage, errmsg);
out:
    if (node != NULL) {
        pthread_mutex_lock(&m->lock);
        if (rv != 0) {
            node->stats.failed++;
        }
        node_unref(node);
        pthread_mutex_unlock(&m->lock);
    }
    conn_pool_free(once);
    packet_clear(&req);
    return rv;
}

int task_manager_on_response(struct task_manager *m, uint8_t opcode, const struct jc_field *fields,
                             size_t size, task_response_cb cb, void *arg)
{
    if (cb == NULL || (fields != NULL && size == 0)) {
        return -EINVAL;
    }
    pthread_mutex_lock(&m->lock);
    m->handlers[opcode] = (struct handler){fields, size, cb, arg};
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int task_manager_handle_response(struct task_manager *m, const void *body, size_t len, char *errmsg)
{
    struct handler h = {0};
    struct admin_task t;
    struct node *node;
    void *resp = NULL;
    size_t at;
    int rv;

    rv = admin_task_decode(body, len, &t, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "task response");
        return rv;
    }
    pthread_mutex_lock(&m->lock);
    node = node_find(m, t.operator_addr);
    if (node == NULL || entry_find(node, t.id, &at) == NULL) {
        m->unknown++;
        pthread_mutex_unlock(&m->lock);
        log_warn("response for unknown %s %s", node == NULL ? "node" : "task",
                 node == NULL ? t.operator_addr : t.id);
        goto out;
    }
    /* Matched by ID alone, as CubeFS does; the task leaves the queue even if its Response turns
     * out not to decode, since the node did answer. */
    entry_remove(node, at);
    node->stats.answered++;
    h = m->handlers[t.opcode];
    pthread_mutex_unlock(&m->lock);
    if (h.cb == NULL) {
        log_warn("%s: no handler for %s responses", t.operator_addr, packet_opcode_name(t.opcode));
        goto out;
    }
    if (h.fields != NULL && t.response != NULL) {
        resp = calloc(1, h.size);
        if (resp == NULL) {
            rv = -ENOMEM;
            errors_set(errmsg, "response to %s: out of memory", t.id);
            goto out;
        }
        rv = jc_decode(t.response, h.fields, resp, errmsg);
        if (rv != 0) {
            errors_prefix(errmsg, "response to %s", t.id);
            goto out;
        }
    }
    h.cb(&t, resp, h.arg);
out:
    if (resp != NULL) {
        jc_free(h.fields, resp);
        free(resp);
    }
    admin_task_clear(&t);
    return rv;
}

size_t task_manager_stats(struct task_manager *m, struct task_node_stats *out, size_t max)
{
    size_t n;

    pthread_mutex_lock(&m->lock);
    n = m->nnodes;
    for (size_t i = 0; i < n && i < max; i++) {
        out[i] = m->nodes[i]->stats;
        out[i].queued = (uint32_t)m->nodes[i]->n;
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

uint64_t task_manager_unknown_responses(struct task_manager *m)
{
    uint64_t n;

    pthread_mutex_lock(&m->lock);
    n = m->unknown;
    pthread_mutex_unlock(&m->lock);
    return n;
}
