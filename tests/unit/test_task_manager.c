/* The AdminTaskManager: task_plan_tick() as tables over a fake clock, then the sync and async
 * paths against fake nodes on 127.0.0.1 (a thread that answers each task packet with OpOk, OpErr,
 * a wrong ReqID, nothing, or a closed connection), an address where nothing listens, and a
 * listener whose full backlog drops every SYN. Intervals are tens of milliseconds. */
#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/errors.h"
#include "datanode_proto/dn_bodies.h"
#include "tests/support/net_fixture.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ADDR "127.0.0.1:17310" /* the node of the golden heartbeat response */

/* --- plan tables --- */

static void plan_run(const struct task_entry *e, size_t n, uint64_t now,
                     const struct task_policy *p, struct task_plan *plan)
{
    static size_t send[64];
    static size_t drop[64];

    CU_ASSERT_FATAL(n <= 64);
    plan->send = send;
    plan->drop = drop;
    task_plan_tick(e, n, now, p, plan);
}

static void test_policy_default(void)
{
    struct task_policy p;

    task_policy_default(&p);
    CU_ASSERT_EQUAL(p.tick_ms, 2000);
    CU_ASSERT_EQUAL(p.resend_ms, 5000);
    CU_ASSERT_EQUAL(p.max_sends, 5);
    CU_ASSERT_EQUAL(p.timeout_ms, 100000);
    CU_ASSERT_EQUAL(p.soft_cap, 30);
    CU_ASSERT_EQUAL(p.write_timeout_ms, 5000);
    CU_ASSERT_EQUAL(p.ack_timeout_ms, 5000);
    CU_ASSERT_EQUAL(p.sync_timeout_ms, 20000);
    CU_ASSERT_EQUAL(p.sender_threads, 4);
    CU_ASSERT_EQUAL(p.max_body, PACKET_DEFAULT_MAX_BODY);
    CU_ASSERT_EQUAL(p.pool.idle_timeout_ms, 90000);
    CU_ASSERT_EQUAL(p.pool.dial_timeout_ms, 10000);
}

static void test_policy_rejected(void)
{
    struct task_manager *m = (struct task_manager *)&m;
    char errmsg[ERRMSG_SIZE] = "";
    struct task_policy p;

    task_policy_default(&p);
    p.tick_ms = 0;
    CU_ASSERT_EQUAL(task_manager_new(&p, &m, errmsg), -EINVAL);
    CU_ASSERT_PTR_EQUAL(m, (struct task_manager *)&m);
    CU_ASSERT_STRING_EQUAL(errmsg,
                           "task policy: tick_ms, sender_threads and max_sends must be positive");
}

static void test_classes(void)
{
    for (int op = 0; op < 256; op++) {
        bool hb = op == OP_DATA_NODE_HEARTBEAT || op == OP_META_NODE_HEARTBEAT;
        bool urgent = op == OP_CREATE_DATA_PARTITION || op == OP_CREATE_META_PARTITION ||
                      op == OP_LOAD_DATA_PARTITION || op == OP_UPDATE_META_PARTITION;
        CU_ASSERT_EQUAL(task_is_heartbeat((uint8_t)op), hb);
        CU_ASSERT_EQUAL(task_is_urgent((uint8_t)op), urgent);
    }
}

/* Heartbeats first, then urgent tasks, then the rest, each group in queue order. */
static void test_plan_priorities(void)
{
    static const struct {
        uint8_t ops[8];
        size_t n;
        size_t want[8];
    } cases[] = {
        {{OP_DELETE_DATA_PARTITION, OP_CREATE_DATA_PARTITION, OP_DATA_NODE_HEARTBEAT},
         3,
         {2, 1, 0}},
        {{OP_DELETE_META_PARTITION, OP_UPDATE_META_PARTITION, OP_META_PARTITION_TRY_TO_LEADER,
          OP_CREATE_META_PARTITION, OP_META_NODE_HEARTBEAT},
         5,
         {4, 1, 3, 0, 2}},
        {{OP_LOAD_DATA_PARTITION, OP_DATA_NODE_HEARTBEAT, OP_ADD_DATA_PARTITION_RAFT_MEMBER,
          OP_META_NODE_HEARTBEAT, OP_CREATE_DATA_PARTITION},
         5,
         {1, 3, 0, 4, 2}},
        {{OP_DELETE_DATA_PARTITION, OP_DELETE_FILE}, 2, {0, 1}},
    };
    struct task_policy p;

    task_policy_default(&p);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct task_entry e[8] = {0};
        struct task_plan plan;

        for (size_t i = 0; i < cases[c].n; i++) {
            e[i].task.opcode = cases[c].ops[i];
        }
        plan_run(e, cases[c].n, 1000, &p, &plan);
        CU_ASSERT_EQUAL(plan.ndrop, 0);
        CU_ASSERT_EQUAL_FATAL(plan.nsend, cases[c].n);
        for (size_t i = 0; i < cases[c].n; i++) {
            CU_ASSERT_EQUAL(plan.send[i], cases[c].want[i]);
        }
    }
}

/* The soft cap: heartbeats and urgent tasks are never capped; the third pass picks a task only
 * while the total picked so far (all classes) is at most the cap, i.e. it stops once the total
 * exceeds the cap, so a tick sends at most cap + 1 tasks unless heartbeats and urgent tasks alone
 * are more. The queue lists the other tasks first, so order in the queue cannot explain it. */
static void test_plan_soft_cap(void)
{
    static const struct {
        uint32_t cap;
        size_t hb, urgent, other;
        size_t want_other;
    } cases[] = {
        {3, 0, 0, 10, 4},   {3, 1, 1, 10, 2},   {3, 1, 2, 10, 1}, {3, 2, 2, 10, 0},
        {3, 3, 0, 10, 1},   {3, 5, 5, 0, 0},    {3, 8, 8, 10, 0}, {0, 0, 0, 5, 1},
        {30, 0, 0, 40, 31}, {30, 1, 5, 40, 25}, {30, 2, 0, 3, 3},
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct task_entry e[64] = {0};
        size_t n = 0;
        size_t got[3] = {0};
        struct task_plan plan;
        struct task_policy p;

        task_policy_default(&p);
        p.soft_cap = cases[c].cap;
        for (size_t i = 0; i < cases[c].other; i++) {
            e[n++].task.opcode = OP_DELETE_DATA_PARTITION;
        }
        for (size_t i = 0; i < cases[c].urgent; i++) {
            e[n++].task.opcode = i % 2 ? OP_CREATE_META_PARTITION : OP_LOAD_DATA_PARTITION;
        }
        for (size_t i = 0; i < cases[c].hb; i++) {
            e[n++].task.opcode = OP_DATA_NODE_HEARTBEAT;
        }
        plan_run(e, n, 1000, &p, &plan);
        for (size_t i = 0; i < plan.nsend; i++) {
            uint8_t op = e[plan.send[i]].task.opcode;
            got[task_is_heartbeat(op) ? 0 : task_is_urgent(op) ? 1 : 2]++;
            if (i > 0) {
                CU_ASSERT(!task_is_heartbeat(op) ||
                          task_is_heartbeat(e[plan.send[i - 1]].task.opcode));
            }
        }
        CU_ASSERT_EQUAL(got[0], cases[c].hb);
        CU_ASSERT_EQUAL(got[1], cases[c].urgent);
        CU_ASSERT_EQUAL(got[2], cases[c].want_other);
        CU_ASSERT_EQUAL(plan.ndrop, 0);
    }
}

/* Send and drop for one task, policy resend 5 s, 5 sends, timeout 100 s. */
static void test_plan_resend_and_drop(void)
{
    static const struct {
        const char *what;
        uint32_t sends;
        uint64_t first, last, now;
        bool send, drop;
    } cases[] = {
        {"never sent", 0, 0, 0, 1000, true, false},
        {"never sent, clock at zero", 0, 0, 0, 0, true, false},
        {"answer window open", 1, 1000, 1000, 5999, false, false},
        {"resend when the window closes", 1, 1000, 1000, 6000, true, false},
        {"fifth send", 4, 1000, 10000, 15000, true, false},
        {"last send still in its window", 5, 1000, 10000, 14999, false, false},
        {"max_sends unanswered", 5, 1000, 10000, 15000, false, true},
        {"over max_sends", 9, 1000, 10000, 15000, false, true},
        {"before the timeout", 2, 1000, 99000, 100999, false, false},
        {"timeout since the first send", 2, 1000, 99000, 101000, false, true},
        {"timeout beats a due resend", 1, 1000, 1000, 101000, false, true},
        {"clock went backwards", 1, 5000, 5000, 4000, false, false},
    };
    struct task_policy p;

    task_policy_default(&p);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct task_entry e[2] = {0};
        struct task_plan plan;
        char what[128];

        /* A never-sent heartbeat beside it shows the drop does not disturb other tasks. */
        e[0].task.opcode = OP_DELETE_DATA_PARTITION;
        e[0].sends = cases[c].sends;
        e[0].first_sent_ms = cases[c].first;
        e[0].last_sent_ms = cases[c].last;
        e[1].task.opcode = OP_DATA_NODE_HEARTBEAT;
        plan_run(e, 2, cases[c].now, &p, &plan);
        snprintf(what, sizeof(what), "case \"%s\"", cases[c].what);
        CU_assertImplementation(plan.nsend == (cases[c].send ? 2u : 1u) && plan.send[0] == 1 &&
                                    (!cases[c].send || plan.send[1] == 0),
                                __LINE__, what, __FILE__, "", CU_FALSE);
        CU_assertImplementation(plan.ndrop == (cases[c].drop ? 1u : 0u) &&
                                    (!cases[c].drop || plan.drop[0] == 0),
                                __LINE__, what, __FILE__, "", CU_FALSE);
    }
}

/* --- fake node --- */

enum fake_mode { FAKE_OK, FAKE_ERR, FAKE_BAD_REQID, FAKE_SILENT, FAKE_CLOSE };

#define FAKE_MAX_CONNS 32
#define FAKE_MAX_SEEN  32

struct seen_task {
    uint8_t opcode;
    char id[TASK_ID_SIZE];
    uint8_t send_count;
    int64_t send_time;
    uint64_t at_ms;
};

struct fake_conn {
    int fd;
    struct packet_decoder d;
};

struct fake_node {
    struct net_fixture_listener l; /* l.addr: the node's address */
    int wake[2];
    pthread_t thread;
    pthread_mutex_t lock;
    enum fake_mode mode;
    const char *text; /* OpOk body or OpErr message */
    unsigned accepted;
    unsigned eofs;
    size_t nseen;
    struct seen_task seen[FAKE_MAX_SEEN];
    struct fake_conn conns[FAKE_MAX_CONNS]; /* the node thread's own */
    size_t nconns;
};

/* Record the task, then answer as the mode says; false closes the connection. */
static bool fake_handle(struct fake_node *f, int fd, const struct packet *pkt)
{
    struct admin_task t;
    struct packet reply;
    enum fake_mode mode;
    const char *text;
    uint8_t *buf;
    size_t len;

    pthread_mutex_lock(&f->lock);
    if (f->nseen < FAKE_MAX_SEEN) {
        struct seen_task *s = &f->seen[f->nseen];
        s->opcode = pkt->opcode;
        s->at_ms = clock_mono_ms();
        if (admin_task_decode(pkt->data, pkt->size, &t, NULL) == 0) {
            memcpy(s->id, t.id, sizeof(s->id));
            s->send_count = t.send_count;
            s->send_time = t.send_time;
            admin_task_clear(&t);
        }
    }
    f->nseen++;
    mode = f->mode;
    text = f->text != NULL ? f->text : "";
    pthread_mutex_unlock(&f->lock);
    if (mode == FAKE_SILENT || mode == FAKE_CLOSE) {
        return mode == FAKE_SILENT;
    }
    if (packet_init_reply(&reply, pkt, mode == FAKE_ERR ? OP_ERR : OP_OK, text,
                          (uint32_t)strlen(text)) != 0) {
        return false;
    }
    reply.req_id += mode == FAKE_BAD_REQID;
    if (packet_encode(&reply, &buf, &len) == 0) {
        conn_pool_write_all(fd, buf, len, 1000);
        free(buf);
    }
    packet_clear(&reply);
    return true;
}

static bool fake_read(struct fake_node *f, struct fake_conn *c)
{
    uint8_t buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    size_t off = 0;

    if (n <= 0) {
        pthread_mutex_lock(&f->lock);
        f->eofs++;
        pthread_mutex_unlock(&f->lock);
        return false;
    }
    while (off < (size_t)n) {
        struct packet pkt;
        size_t used;
        int rv = packet_decoder_feed(&c->d, buf + off, (size_t)n - off, &used, &pkt);
        bool keep = true;

        off += used;
        if (rv < 0) {
            return false;
        }
        if (rv == 1) {
            keep = fake_handle(f, c->fd, &pkt);
            packet_clear(&pkt);
        }
        if (!keep) {
            return false;
        }
    }
    return true;
}

static void *fake_main(void *arg)
{
    struct fake_node *f = arg;
    struct pollfd pfds[2 + FAKE_MAX_CONNS];

    for (;;) {
        size_t n = f->nconns;

        pfds[0] = (struct pollfd){.fd = f->wake[0], .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = f->l.fd, .events = POLLIN};
        for (size_t i = 0; i < n; i++) {
            pfds[2 + i] = (struct pollfd){.fd = f->conns[i].fd, .events = POLLIN};
        }
        if (poll(pfds, 2 + n, -1) < 0 || pfds[0].revents != 0) {
            break;
        }
        /* Backwards, so moving the last connection into a freed slot skips nothing. */
        for (size_t i = n; i-- > 0;) {
            if (pfds[2 + i].revents != 0 && !fake_read(f, &f->conns[i])) {
                close(f->conns[i].fd);
                packet_decoder_close(&f->conns[i].d);
                f->conns[i] = f->conns[--f->nconns];
            }
        }
        if (pfds[1].revents != 0) {
            int fd = accept(f->l.fd, NULL, NULL);
            if (fd >= 0 && f->nconns < FAKE_MAX_CONNS) {
                f->conns[f->nconns].fd = fd;
                packet_decoder_init(&f->conns[f->nconns].d, 1u << 20);
                f->nconns++;
                pthread_mutex_lock(&f->lock);
                f->accepted++;
                pthread_mutex_unlock(&f->lock);
            } else if (fd >= 0) {
                close(fd);
            }
        }
    }
    while (f->nconns > 0) {
        f->nconns--;
        close(f->conns[f->nconns].fd);
        packet_decoder_close(&f->conns[f->nconns].d);
    }
    return NULL;
}

static void fake_start(struct fake_node *f, enum fake_mode mode, const char *text)
{
    memset(f, 0, sizeof(*f));
    f->mode = mode;
    f->text = text;
    net_fixture_listen(&f->l, 64);
    CU_ASSERT_FATAL(pipe(f->wake) == 0);
    CU_ASSERT_FATAL(pthread_mutex_init(&f->lock, NULL) == 0);
    CU_ASSERT_FATAL(pthread_create(&f->thread, NULL, fake_main, f) == 0);
}

static void fake_stop(struct fake_node *f)
{
    CU_ASSERT(write(f->wake[1], "x", 1) == 1);
    pthread_join(f->thread, NULL);
    close(f->wake[0]);
    close(f->wake[1]);
    net_fixture_close(&f->l);
    pthread_mutex_destroy(&f->lock);
}

struct fake_counts {
    unsigned accepted;
    unsigned eofs;
    size_t nseen;
};

static struct fake_counts fake_counts(struct fake_node *f)
{
    struct fake_counts c;

    pthread_mutex_lock(&f->lock);
    c = (struct fake_counts){f->accepted, f->eofs, f->nseen};
    pthread_mutex_unlock(&f->lock);
    return c;
}

static struct seen_task fake_seen(struct fake_node *f, size_t i)
{
    struct seen_task s;

    pthread_mutex_lock(&f->lock);
    s = f->seen[i];
    pthread_mutex_unlock(&f->lock);
    return s;
}

enum fake_count { FAKE_SEEN, FAKE_EOFS };

/* Wait up to ms for the fake node to have seen n tasks (FAKE_SEEN) or n connections close
 * (FAKE_EOFS); false on timeout. */
static bool fake_wait(struct fake_node *f, enum fake_count which, size_t n, int ms)
{
    for (int waited = 0;; waited += 5) {
        struct fake_counts c = fake_counts(f);

        if ((which == FAKE_SEEN ? c.nseen : c.eofs) >= n) {
            return true;
        }
        if (waited >= ms) {
            return false;
        }
        clock_sleep_ms(5);
    }
}

/* --- manager helpers --- */

static void fast_policy(struct task_policy *p)
{
    task_policy_default(p);
    p->tick_ms = 50;
    p->resend_ms = 200;
    p->max_sends = 3;
    p->timeout_ms = 10000;
    p->write_timeout_ms = 500;
    p->ack_timeout_ms = 300;
    p->sync_timeout_ms = 300;
    p->pool.dial_timeout_ms = 1000;
}

static struct task_manager *manager_new(const struct task_policy *p)
{
    struct task_manager *m = NULL;
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(task_manager_new(p, &m, errmsg), 0);
    return m;
}

static void add_node(struct task_manager *m, const char *addr)
{
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(task_manager_add_node(m, addr, errmsg), 0);
}

static void add_task(struct task_manager *m, uint8_t opcode, const char *addr, uint64_t pid)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct admin_task t;
    bool queued = false;

    CU_ASSERT_EQUAL_FATAL(admin_task_init(&t, opcode, addr, pid, json_object(), 1795374000), 0);
    CU_ASSERT_EQUAL(task_manager_add(m, &t, &queued, errmsg), 0);
    CU_ASSERT_TRUE(queued);
}

static struct task_node_stats node_stats(struct task_manager *m, const char *addr)
{
    struct task_node_stats all[8];
    struct task_node_stats none = {0};
    size_t n = task_manager_stats(m, all, 8);

    for (size_t i = 0; i < n && i < 8; i++) {
        if (strcmp(all[i].addr, addr) == 0) {
            return all[i];
        }
    }
    return none;
}

/* Compare every counter of the node with want (addr aside), printing both on a mismatch. */
static void assert_stats(struct task_manager *m, const char *addr, struct task_node_stats want)
{
    struct task_node_stats got = node_stats(m, addr);
    bool same = got.sent == want.sent && got.acked == want.acked && got.failed == want.failed &&
                got.resent == want.resent && got.dropped == want.dropped &&
                got.answered == want.answered && got.queued == want.queued;

    if (!same) {
        fprintf(stderr,
                "\n%s: sent/acked/failed/resent/dropped/answered/queued %" PRIu64 "/%" PRIu64
                "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu32 ", want %" PRIu64
                "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu32 "\n",
                addr, got.sent, got.acked, got.failed, got.resent, got.dropped, got.answered,
                got.queued, want.sent, want.acked, want.failed, want.resent, want.dropped,
                want.answered, want.queued);
    }
    CU_ASSERT_TRUE(same);
}

/* Wait (2 s at most) until a counter of the node reaches n; field is the offsetof() of one of
 * the uint64_t counters of struct task_node_stats. */
static void wait_count(struct task_manager *m, const char *addr, size_t field, uint64_t n)
{
    for (int i = 0; i < 400; i++) {
        struct task_node_stats st = node_stats(m, addr);
        uint64_t have;

        memcpy(&have, (const char *)&st + field, sizeof(have));
        if (have >= n) {
            return;
        }
        clock_sleep_ms(5);
    }
}

/* --- queue --- */

static void test_add_dedup(void)
{
    struct task_policy p;
    struct task_manager *m;
    struct task_node_stats st[4];
    char errmsg[ERRMSG_SIZE] = "";
    struct admin_task t;
    bool queued = true;

    task_policy_default(&p);
    m = manager_new(&p);
    add_node(m, "127.0.0.2:1");
    add_node(m, ADDR);
    add_node(m, ADDR);
    CU_ASSERT_EQUAL(task_manager_add_node(m, "no-port", errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "bad node address \"no-port\": want host:port");

    CU_ASSERT_EQUAL_FATAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, ADDR, "127.0.0.1:17010", 1795374000),
        0);
    CU_ASSERT_EQUAL(task_manager_add(m, &t, &queued, NULL), 0);
    CU_ASSERT_TRUE(queued);
    CU_ASSERT_PTR_NULL(t.request);
    /* The same ID again: not queued, and its JSON is released (valgrind checks). */
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, ADDR, "127.0.0.1:17010", 1795374002),
        0);
    CU_ASSERT_EQUAL(task_manager_add(m, &t, &queued, NULL), 0);
    CU_ASSERT_FALSE(queued);
    add_task(m, OP_LOAD_DATA_PARTITION, ADDR, 7);
    add_task(m, OP_LOAD_DATA_PARTITION, ADDR, 8);

    CU_ASSERT_EQUAL(task_manager_stats(m, st, 4), 2);
    CU_ASSERT_STRING_EQUAL(st[0].addr, ADDR);
    CU_ASSERT_EQUAL(st[0].queued, 3);
    CU_ASSERT_STRING_EQUAL(st[1].addr, "127.0.0.2:1");
    CU_ASSERT_EQUAL(st[1].queued, 0);

    queued = true;
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init(&t, OP_LOAD_DATA_PARTITION, "127.0.0.3:1", 1, json_object(), 0), 0);
    CU_ASSERT_EQUAL(task_manager_add(m, &t, &queued, errmsg), CFS_ENOTFOUND);
    CU_ASSERT_TRUE(queued);
    CU_ASSERT_STRING_EQUAL(errmsg,
                           "task addr[127.0.0.3:1]_op[98]_DataPartitionID[1]: node 127.0.0.3:1 "
                           "was not added");

    task_manager_remove_node(m, ADDR);
    task_manager_remove_node(m, "127.0.0.9:1");
    CU_ASSERT_EQUAL(task_manager_stats(m, st, 4), 1);
    CU_ASSERT_STRING_EQUAL(st[0].addr, "127.0.0.2:1");
    task_manager_free(m);
}

/* --- sync --- */

static void build_create_dp(struct admin_task *t, const char *addr)
{
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init(t, OP_CREATE_DATA_PARTITION, addr, 7, json_object(), clock_wall_s()), 0);
}

static void test_sync_ok(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    struct admin_task t;
    struct packet reply;
    struct seen_task s;

    fake_start(&f, FAKE_OK, "/cfs/disk1");
    fast_policy(&p);
    p.pool.idle_timeout_ms = 100;
    m = manager_new(&p);
    add_node(m, f.l.addr);
    build_create_dp(&t, f.l.addr);
    CU_ASSERT_EQUAL_FATAL(task_manager_send_sync(m, &t, &reply, errmsg), 0);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    CU_ASSERT_EQUAL(reply.opcode, OP_CREATE_DATA_PARTITION);
    CU_ASSERT_EQUAL(reply.partition_id, 7);
    CU_ASSERT_STRING_EQUAL((char *)reply.data, "/cfs/disk1");
    packet_clear(&reply);
    s = fake_seen(&f, 0);
    CU_ASSERT_STRING_EQUAL(s.id, t.id);
    CU_ASSERT_EQUAL(s.send_count, 1);
    CU_ASSERT(s.send_time >= clock_wall_s() - 2 && s.send_time <= clock_wall_s());
    CU_ASSERT_EQUAL(node_stats(m, f.l.addr).failed, 0);
    /* Idle past 100 ms: the releaser closes it within about a second. */
    CU_ASSERT_EQUAL(fake_counts(&f).eofs, 0);
    CU_ASSERT_TRUE(fake_wait(&f, FAKE_EOFS, 1, 2500));
    admin_task_clear(&t);
    task_manager_free(m);
    fake_stop(&f);
}

static void test_sync_errors(void)
{
    static const struct {
        enum fake_mode mode;
        int rv;
        const char *fmt; /* %s is the node's address */
    } cases[] = {
        {FAKE_ERR, CFS_EREMOTE, "%s: OpErr: createDataPartition_no space left on any disk"},
        {FAKE_BAD_REQID, CFS_ECORRUPT, "%s: reply op 0x60 req "},
        {FAKE_CLOSE, CFS_ECLOSED, "%s: read reply to OpCreateDataPartition: connection closed"},
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char errmsg[ERRMSG_SIZE] = "";
        char want[ERRMSG_SIZE];
        struct task_policy p;
        struct task_manager *m;
        struct fake_node f;
        struct admin_task t;
        struct packet reply = {.opcode = 0x11};

        fake_start(&f, cases[c].mode, "createDataPartition_no space left on any disk");
        fast_policy(&p);
        m = manager_new(&p);
        add_node(m, f.l.addr);
        build_create_dp(&t, f.l.addr);
        CU_ASSERT_EQUAL(task_manager_send_sync(m, &t, &reply, errmsg), cases[c].rv);
        CU_ASSERT_EQUAL(reply.opcode, 0x11);
        snprintf(want, sizeof(want), cases[c].fmt, f.l.addr);
        CU_ASSERT_EQUAL(strncmp(errmsg, want, strlen(want)), 0);
        CU_ASSERT_EQUAL(node_stats(m, f.l.addr).failed, 1);
        /* The connection is closed after any error. */
        CU_ASSERT_TRUE(cases[c].mode == FAKE_CLOSE || fake_wait(&f, FAKE_EOFS, 1, 1000));
        admin_task_clear(&t);
        task_manager_free(m);
        fake_stop(&f);
    }
}

/* A node that takes the task and never answers: the read deadline, then the connection closes. */
static void test_sync_timeout(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    char want[ERRMSG_SIZE];
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    struct admin_task t;
    struct packet reply;
    uint64_t elapsed;

    fake_start(&f, FAKE_SILENT, NULL);
    fast_policy(&p);
    m = manager_new(&p);
    add_node(m, f.l.addr);
    build_create_dp(&t, f.l.addr);
    elapsed = clock_mono_ms();
    CU_ASSERT_EQUAL(task_manager_send_sync(m, &t, &reply, errmsg), CFS_ETIMEDOUT);
    elapsed = clock_mono_ms() - elapsed;
    CU_ASSERT(elapsed >= 290 && elapsed < 800);
    snprintf(want, sizeof(want), "%s: read reply to OpCreateDataPartition: timed out after 300 ms",
             f.l.addr);
    CU_ASSERT_STRING_EQUAL(errmsg, want);
    CU_ASSERT_EQUAL(fake_counts(&f).nseen, 1);
    CU_ASSERT_TRUE(fake_wait(&f, FAKE_EOFS, 1, 1000));
    admin_task_clear(&t);
    task_manager_free(m);
    fake_stop(&f);
}

/* Not added: a one-off connection, closed afterwards. Nothing listening: the dial error. */
static void test_sync_unknown_node(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    char want[ERRMSG_SIZE];
    char dead[32];
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    struct admin_task t;
    struct packet reply;

    fake_start(&f, FAKE_OK, NULL);
    fast_policy(&p);
    m = manager_new(&p);
    build_create_dp(&t, f.l.addr);
    CU_ASSERT_EQUAL(task_manager_send_sync(m, &t, &reply, errmsg), 0);
    packet_clear(&reply);
    CU_ASSERT_TRUE(fake_wait(&f, FAKE_EOFS, 1, 1000));
    CU_ASSERT_EQUAL(task_manager_stats(m, NULL, 0), 0);
    admin_task_clear(&t);

    net_fixture_dead_addr(dead, sizeof(dead));
    add_node(m, dead);
    build_create_dp(&t, dead);
    CU_ASSERT_EQUAL(task_manager_send_sync(m, &t, &reply, errmsg), -ECONNREFUSED);
    snprintf(want, sizeof(want), "dial %s: ", dead);
    CU_ASSERT_EQUAL(strncmp(errmsg, want, strlen(want)), 0);
    CU_ASSERT_EQUAL(node_stats(m, dead).failed, 1);
    admin_task_clear(&t);
    task_manager_free(m);
    fake_stop(&f);
}

struct sync_worker {
    struct task_manager *m;
    const char *addr;
    int ok;
};

static void *sync_worker_main(void *arg)
{
    struct sync_worker *w = arg;

    for (int i = 0; i < 10; i++) {
        struct admin_task t;
        struct packet reply;

        if (admin_task_init(&t, OP_CREATE_DATA_PARTITION, w->addr, (uint64_t)i, NULL, 0) != 0) {
            continue;
        }
        if (task_manager_send_sync(w->m, &t, &reply, NULL) == 0 && reply.result_code == OP_OK) {
            w->ok++;
            packet_clear(&reply);
        }
        admin_task_clear(&t);
    }
    return NULL;
}

static void test_sync_concurrent(void)
{
    struct sync_worker w[8];
    pthread_t threads[8];
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;

    fake_start(&f, FAKE_OK, "/cfs/disk1");
    fast_policy(&p);
    m = manager_new(&p);
    add_node(m, f.l.addr);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct sync_worker){m, f.l.addr, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, sync_worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_EQUAL(w[i].ok, 10);
    }
    CU_ASSERT_EQUAL(fake_counts(&f).nseen, 80);
    CU_ASSERT(fake_counts(&f).accepted <= 8);
    CU_ASSERT_EQUAL(node_stats(m, f.l.addr).failed, 0);
    task_manager_free(m);
    fake_stop(&f);
}

/* --- async --- */

struct cb_record {
    int calls;
    char id[TASK_ID_SIZE];
    uint64_t total;
    uint32_t nreports;
    char zone[TASK_NAME_SIZE];
    bool null_response;
};

static void record_cb(const struct admin_task *t, void *response, void *arg)
{
    struct cb_record *r = arg;
    const struct dn_heartbeat_resp *resp = response;

    r->calls++;
    memcpy(r->id, t->id, sizeof(r->id));
    r->null_response = resp == NULL;
    if (resp != NULL) {
        r->total = resp->total;
        r->nreports = resp->nreports;
        memcpy(r->zone, resp->zone_name, sizeof(r->zone));
    }
}

/* The node's POST: the task with its Response filled in, as a data node builds it. */
static char *posted_heartbeat(const char *addr, uint64_t total, const char *zone)
{
    struct dn_heartbeat_resp resp = {.total = total, .status = TASK_SUCCEEDS};
    struct admin_task t;
    char *body = NULL;
    size_t len;

    snprintf(resp.zone_name, sizeof(resp.zone_name), "%s", zone);
    CU_ASSERT_EQUAL_FATAL(admin_task_init(&t, OP_DATA_NODE_HEARTBEAT, addr, 0, NULL, 0), 0);
    t.status = TASK_SUCCEEDS;
    t.response = jc_encode(dn_heartbeat_resp_fields, &resp);
    CU_ASSERT_PTR_NOT_NULL(t.response);
    CU_ASSERT_EQUAL(admin_task_encode(&t, &body, &len), 0);
    admin_task_clear(&t);
    return body;
}

/* Queued heartbeat -> sent with SendCount stamped -> acked -> posted response -> callback. */
static void test_async_heartbeat(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct cb_record rec = {0};
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    struct admin_task t;
    struct seen_task s;
    char *body;

    fake_start(&f, FAKE_OK, NULL);
    fast_policy(&p);
    p.resend_ms = 5000;
    m = manager_new(&p);
    CU_ASSERT_EQUAL(task_manager_on_response(m, OP_DATA_NODE_HEARTBEAT, dn_heartbeat_resp_fields,
                                             sizeof(struct dn_heartbeat_resp), record_cb, &rec),
                    0);
    add_node(m, f.l.addr);
    CU_ASSERT_EQUAL_FATAL(admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, f.l.addr,
                                                    "127.0.0.1:17010", clock_wall_s()),
                          0);
    CU_ASSERT_EQUAL(task_manager_add(m, &t, NULL, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, errmsg), 0);
    CU_ASSERT_TRUE_FATAL(fake_wait(&f, FAKE_SEEN, 1, 2000));
    s = fake_seen(&f, 0);
    CU_ASSERT_EQUAL(s.opcode, OP_DATA_NODE_HEARTBEAT);
    CU_ASSERT_STRING_EQUAL(s.id, t.id);
    CU_ASSERT_EQUAL(s.send_count, 1);
    CU_ASSERT(s.send_time >= clock_wall_s() - 2 && s.send_time <= clock_wall_s());
    wait_count(m, f.l.addr, offsetof(struct task_node_stats, acked), 1);

    body = posted_heartbeat(f.l.addr, 107374182400u, "z1");
    CU_ASSERT_EQUAL(task_manager_handle_response(m, body, strlen(body), errmsg), 0);
    free(body);
    CU_ASSERT_EQUAL(rec.calls, 1);
    CU_ASSERT_STRING_EQUAL(rec.id, t.id);
    CU_ASSERT_FALSE(rec.null_response);
    CU_ASSERT_EQUAL(rec.total, 107374182400u);
    CU_ASSERT_STRING_EQUAL(rec.zone, "z1");
    clock_sleep_ms(3 * p.tick_ms);
    task_manager_stop(m);

    assert_stats(m, f.l.addr, (struct task_node_stats){.sent = 1, .acked = 1, .answered = 1});
    CU_ASSERT_EQUAL(fake_counts(&f).nseen, 1);
    CU_ASSERT_EQUAL(fake_counts(&f).accepted, 1);
    CU_ASSERT_EQUAL(task_manager_unknown_responses(m), 0);
    task_manager_free(m);
    fake_stop(&f);
}

/* Acked but never answered: resent every resend_ms with a growing SendCount, then dropped. */
static void test_async_resend_then_drop(void)
{
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;

    fake_start(&f, FAKE_OK, NULL);
    fast_policy(&p);
    m = manager_new(&p);
    add_node(m, f.l.addr);
    add_task(m, OP_LOAD_DATA_PARTITION, f.l.addr, 7);
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    wait_count(m, f.l.addr, offsetof(struct task_node_stats, dropped), 1);
    task_manager_stop(m);
    CU_ASSERT_EQUAL_FATAL(fake_counts(&f).nseen, 3);
    for (size_t i = 0; i < 3; i++) {
        struct seen_task s = fake_seen(&f, i);
        CU_ASSERT_EQUAL(s.send_count, i + 1);
        /* Stamped resend_ms apart; receipt times add a little send latency either way. */
        CU_ASSERT(i == 0 || s.at_ms - fake_seen(&f, i - 1).at_ms >= p.resend_ms - 20);
    }
    assert_stats(m, f.l.addr,
                 (struct task_node_stats){.sent = 3, .acked = 3, .resent = 2, .dropped = 1});
    CU_ASSERT_EQUAL(fake_counts(&f).accepted, 1);
    task_manager_free(m);
    fake_stop(&f);
}

/* Acks that never come, or that are not OpOk: failed sends, each connection closed. */
static void test_async_ack_failures(void)
{
    static const enum fake_mode modes[] = {FAKE_SILENT, FAKE_ERR};

    for (size_t c = 0; c < sizeof(modes) / sizeof(modes[0]); c++) {
        struct task_policy p;
        struct task_manager *m;
        struct fake_node f;

        fake_start(&f, modes[c], "busy");
        fast_policy(&p);
        p.max_sends = 2;
        p.resend_ms = 100;
        m = manager_new(&p);
        add_node(m, f.l.addr);
        add_task(m, OP_DATA_NODE_HEARTBEAT, f.l.addr, 0);
        CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
        wait_count(m, f.l.addr, offsetof(struct task_node_stats, dropped), 1);
        task_manager_stop(m);
        assert_stats(m, f.l.addr,
                     (struct task_node_stats){.sent = 2, .failed = 2, .resent = 1, .dropped = 1});
        CU_ASSERT_EQUAL(fake_counts(&f).nseen, 2);
        CU_ASSERT_EQUAL(fake_counts(&f).accepted, 2);
        CU_ASSERT_TRUE(fake_wait(&f, FAKE_EOFS, 2, 1000));
        task_manager_free(m);
        fake_stop(&f);
    }
}

/* A failed dial counts one send for the task at hand and ends the node's tick: the second task
 * is not tried until a later tick. The first tick runs at start; the next is 10 s away. */
static void test_async_dial_failure_ends_tick(void)
{
    char dead[32];
    struct task_policy p;
    struct task_manager *m;

    net_fixture_dead_addr(dead, sizeof(dead));
    fast_policy(&p);
    p.tick_ms = 10000;
    m = manager_new(&p);
    add_node(m, dead);
    add_task(m, OP_DATA_NODE_HEARTBEAT, dead, 0);
    add_task(m, OP_LOAD_DATA_PARTITION, dead, 3);
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    wait_count(m, dead, offsetof(struct task_node_stats, failed), 1);
    clock_sleep_ms(50);
    task_manager_stop(m);
    assert_stats(m, dead, (struct task_node_stats){.failed = 1, .queued = 2});
    task_manager_free(m);
}

/* In one tick, a refused node and a node whose dial hangs (1 s timeout) do not hold up a healthy
 * node: its heartbeat arrives well before the dial timeout. */
static void test_async_bad_nodes_do_not_delay(void)
{
    char dead[32];
    struct net_fixture_listener hole;
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    uint64_t start;

    fake_start(&f, FAKE_OK, NULL);
    net_fixture_dead_addr(dead, sizeof(dead));
    net_fixture_blackhole(&hole);
    fast_policy(&p);
    p.tick_ms = 5000;
    m = manager_new(&p);
    add_node(m, dead);
    add_node(m, hole.addr);
    add_node(m, f.l.addr);
    add_task(m, OP_DATA_NODE_HEARTBEAT, dead, 0);
    add_task(m, OP_DATA_NODE_HEARTBEAT, hole.addr, 0);
    add_task(m, OP_DATA_NODE_HEARTBEAT, f.l.addr, 0);
    start = clock_mono_ms();
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    CU_ASSERT_TRUE(fake_wait(&f, FAKE_SEEN, 1, 2000));
    CU_ASSERT(fake_seen(&f, 0).at_ms - start < 300);
    wait_count(m, f.l.addr, offsetof(struct task_node_stats, acked), 1);
    CU_ASSERT_EQUAL(node_stats(m, f.l.addr).acked, 1);
    /* stop waits for the hanging dial, which its own deadline bounds. */
    task_manager_stop(m);
    CU_ASSERT(clock_mono_ms() - start < 1500);
    CU_ASSERT_EQUAL(node_stats(m, hole.addr).failed, 1);
    CU_ASSERT_EQUAL(node_stats(m, dead).failed, 1);
    task_manager_free(m);
    net_fixture_close(&hole);
    fake_stop(&f);
}

static void test_handle_response(void)
{
    static const char garbage[] = "not json";
    char errmsg[ERRMSG_SIZE] = "";
    struct cb_record rec = {0};
    struct task_policy p;
    struct task_manager *m;
    size_t len;
    char *golden =
        test_read_file(test_data_path("cubefs-packets/dn_heartbeat_response.json"), &len);
    char *body;

    CU_ASSERT_PTR_NOT_NULL_FATAL(golden);
    task_policy_default(&p);
    m = manager_new(&p);
    CU_ASSERT_EQUAL(task_manager_on_response(m, OP_DATA_NODE_HEARTBEAT, NULL, 1, NULL, NULL),
                    -EINVAL);
    CU_ASSERT_EQUAL(task_manager_on_response(m, OP_DATA_NODE_HEARTBEAT, dn_heartbeat_resp_fields,
                                             sizeof(struct dn_heartbeat_resp), record_cb, &rec),
                    0);
    add_node(m, ADDR);

    /* CubeFS's own body, matched to the queued heartbeat by OperatorAddr and ID. */
    add_task(m, OP_DATA_NODE_HEARTBEAT, ADDR, 0);
    CU_ASSERT_EQUAL(task_manager_handle_response(m, golden, len, errmsg), 0);
    CU_ASSERT_EQUAL(rec.calls, 1);
    CU_ASSERT_STRING_EQUAL(rec.id, "addr[127.0.0.1:17310]_op[99]");
    CU_ASSERT_EQUAL(rec.total, 107374182400u);
    CU_ASSERT_EQUAL(rec.nreports, 2);
    CU_ASSERT_STRING_EQUAL(rec.zone, "default");
    CU_ASSERT_EQUAL(node_stats(m, ADDR).answered, 1);
    CU_ASSERT_EQUAL(node_stats(m, ADDR).queued, 0);

    /* The same again: the ID is no longer queued. Then an unknown node. Neither is an error. */
    CU_ASSERT_EQUAL(task_manager_handle_response(m, golden, len, errmsg), 0);
    CU_ASSERT_EQUAL(task_manager_unknown_responses(m), 1);
    body = posted_heartbeat("127.0.0.9:1", 1, "z");
    CU_ASSERT_EQUAL(task_manager_handle_response(m, body, strlen(body), errmsg), 0);
    free(body);
    CU_ASSERT_EQUAL(task_manager_unknown_responses(m), 2);
    CU_ASSERT_EQUAL(rec.calls, 1);

    /* Not an AdminTask. */
    errmsg[0] = '\0';
    CU_ASSERT_NOT_EQUAL(task_manager_handle_response(m, garbage, strlen(garbage), errmsg), 0);
    CU_ASSERT_EQUAL(strncmp(errmsg, "task response: ", 15), 0);
    CU_ASSERT(strlen(errmsg) > 15);
    CU_ASSERT_NOT_EQUAL(task_manager_handle_response(m, "{}", 2, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "ID"));

    /* A Response that does not decode: an error naming the task; the task is answered anyway. */
    add_task(m, OP_DATA_NODE_HEARTBEAT, ADDR, 0);
    body = strstr(golden, "\"Total\":107374182400");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    memcpy(body, "\"Total\":\"7418240000\"", 20);
    CU_ASSERT_EQUAL(task_manager_handle_response(m, golden, len, errmsg), CFS_ETYPE);
    CU_ASSERT_EQUAL(strncmp(errmsg, "response to addr[127.0.0.1:17310]_op[99]: ", 42), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "Total"));
    CU_ASSERT_EQUAL(rec.calls, 1);
    CU_ASSERT_EQUAL(node_stats(m, ADDR).answered, 2);
    CU_ASSERT_EQUAL(node_stats(m, ADDR).queued, 0);

    /* Response null: the callback gets NULL. */
    add_task(m, OP_DATA_NODE_HEARTBEAT, ADDR, 0);
    body = posted_heartbeat(ADDR, 1, "z");
    {
        struct admin_task t;
        char *text;
        size_t tlen;
        CU_ASSERT_EQUAL_FATAL(admin_task_decode(body, strlen(body), &t, NULL), 0);
        json_decref(t.response);
        t.response = NULL;
        CU_ASSERT_EQUAL_FATAL(admin_task_encode(&t, &text, &tlen), 0);
        CU_ASSERT_EQUAL(task_manager_handle_response(m, text, tlen, errmsg), 0);
        free(text);
        admin_task_clear(&t);
    }
    free(body);
    CU_ASSERT_EQUAL(rec.calls, 2);
    CU_ASSERT_TRUE(rec.null_response);
    free(golden);
    task_manager_free(m);
}

/* stop comes back within about a tick, queues survive it, and the sender starts again. */
static void test_start_stop_start(void)
{
    struct task_policy p;
    struct task_manager *m;
    struct fake_node f;
    uint64_t t0;

    fake_start(&f, FAKE_OK, NULL);
    fast_policy(&p);
    p.tick_ms = 200;
    m = manager_new(&p);
    add_node(m, f.l.addr);
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    CU_ASSERT_EQUAL(task_manager_start(m, NULL), 0);
    clock_sleep_ms(50);
    t0 = clock_mono_ms();
    task_manager_stop(m);
    CU_ASSERT(clock_mono_ms() - t0 < p.tick_ms);
    task_manager_stop(m);

    add_task(m, OP_DATA_NODE_HEARTBEAT, f.l.addr, 0);
    clock_sleep_ms(p.tick_ms + 50);
    CU_ASSERT_EQUAL(fake_counts(&f).nseen, 0);
    CU_ASSERT_EQUAL(node_stats(m, f.l.addr).queued, 1);
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    CU_ASSERT_TRUE(fake_wait(&f, FAKE_SEEN, 1, 1000));
    wait_count(m, f.l.addr, offsetof(struct task_node_stats, acked), 1);
    t0 = clock_mono_ms();
    task_manager_stop(m);
    CU_ASSERT(clock_mono_ms() - t0 < p.tick_ms);
    CU_ASSERT_EQUAL(node_stats(m, f.l.addr).acked, 1);
    /* Freed while running: free stops the sender first. */
    CU_ASSERT_EQUAL_FATAL(task_manager_start(m, NULL), 0);
    task_manager_free(m);
    fake_stop(&f);
}

static const struct test_case plan_cases[] = {
    {"policy_default", test_policy_default},
    {"policy_rejected", test_policy_rejected},
    {"classes", test_classes},
    {"priorities", test_plan_priorities},
    {"soft_cap", test_plan_soft_cap},
    {"resend_and_drop", test_plan_resend_and_drop},
    {NULL, NULL},
};

static const struct test_case queue_cases[] = {
    {"add_dedup", test_add_dedup},
    {"handle_response", test_handle_response},
    {NULL, NULL},
};

static const struct test_case sync_cases[] = {
    {"ok", test_sync_ok},
    {"errors", test_sync_errors},
    {"timeout", test_sync_timeout},
    {"unknown_node", test_sync_unknown_node},
    {"concurrent", test_sync_concurrent},
    {NULL, NULL},
};

static const struct test_case async_cases[] = {
    {"heartbeat", test_async_heartbeat},
    {"resend_then_drop", test_async_resend_then_drop},
    {"ack_failures", test_async_ack_failures},
    {"dial_failure_ends_tick", test_async_dial_failure_ends_tick},
    {"bad_nodes_do_not_delay", test_async_bad_nodes_do_not_delay},
    {"start_stop_start", test_start_stop_start},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"plan", NULL, NULL, plan_cases}, {"queue", NULL, NULL, queue_cases},
    {"sync", NULL, NULL, sync_cases}, {"async", NULL, NULL, async_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
