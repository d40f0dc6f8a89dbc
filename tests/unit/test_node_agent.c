/* node_agent_run in a thread, with a small ops table, against mock masters on 127.0.0.1. */
#include "admin_task/node_agent.h"
#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/config.h"
#include "common/errors.h"
#include "common/http_client.h"
#include "tests/support/mock_master.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#define WAIT_MS   5000
#define RETRY_MS  50
#define DISK_PATH "/data/disk1"

static struct mock_master *leader, *follower;
static char leader_addr[64], follower_addr[64];

/* One agent running in its own thread, and what its callbacks saw (they run on its loop). */
struct agent_run {
    struct node_agent_config cfg;
    struct node_agent_ops ops;
    pthread_t tid;
    int rv;
    char errmsg[ERRMSG_SIZE];
    _Atomic bool done;
    _Atomic(struct node_agent *) agent;
    _Atomic uint64_t registered_id;
    _Atomic int registered_calls;
    _Atomic int shutdown_calls;
    _Atomic int handled;
    pthread_mutex_t mu;
    char master_seen[TASK_ADDR_SIZE]; /* node_agent_master_addr() in the last handle */
};

/* ------------------------------------------------------------------------------------------ */
/* The test ops                                                                               */

static void test_handle(void *arg, struct node_agent *a, const struct admin_task *task,
                        struct node_agent_reply *reply)
{
    struct agent_run *r = arg;

    atomic_store(&r->agent, a);
    atomic_fetch_add(&r->handled, 1);
    pthread_mutex_lock(&r->mu);
    snprintf(r->master_seen, sizeof(r->master_seen), "%s", node_agent_master_addr(a));
    pthread_mutex_unlock(&r->mu);
    switch (task->opcode) {
    case OP_CREATE_DATA_PARTITION:
        node_agent_reply_text(reply, OP_OK, DISK_PATH);
        break;
    case OP_DATA_NODE_HEARTBEAT:
    case OP_META_NODE_HEARTBEAT:
        reply->result = OP_OK;
        reply->response = json_pack("{s:i,s:s,s:s}", "Status", TASK_SUCCEEDS, "Result", "",
                                    "ZoneName", "testzone");
        break;
    case OP_LOAD_DATA_PARTITION:
        reply->result = OP_OK;
        reply->response = json_pack("{s:I,s:i,s:s}", "PartitionId", (json_int_t)task->partition_id,
                                    "Status", TASK_FAILED, "Result", "no such partition");
        break;
    case OP_DELETE_DATA_PARTITION:
        /* Left empty on purpose: the runtime must answer for it. */
        break;
    default:
        node_agent_reply_text(reply, OP_ERR, "unknown opcode");
        break;
    }
}

static void test_registered(void *arg, struct node_agent *a, uint64_t node_id)
{
    struct agent_run *r = arg;

    atomic_store(&r->agent, a);
    atomic_store(&r->registered_id, node_id);
    atomic_fetch_add(&r->registered_calls, 1);
}

static void test_shutdown(void *arg, struct node_agent *a)
{
    struct agent_run *r = arg;

    (void)a;
    atomic_fetch_add(&r->shutdown_calls, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

/* A port nothing listens on right now (bound, read, released). */
static uint16_t free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static void *agent_thread(void *arg)
{
    struct agent_run *r = arg;

    r->rv = node_agent_run(&r->cfg, &r->ops, r, r->errmsg);
    atomic_store(&r->done, true);
    return NULL;
}

/* port 0: a free one. */
static struct agent_run *agent_start(const char *role, const char *const *masters, size_t n,
                                     uint16_t port)
{
    struct agent_run *r = calloc(1, sizeof(*r));

    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    pthread_mutex_init(&r->mu, NULL);
    node_agent_config_default(&r->cfg);
    r->cfg.listen = port != 0 ? port : free_port();
    r->cfg.nmasters = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        snprintf(r->cfg.masters[i], sizeof(r->cfg.masters[i]), "%s", masters[i]);
    }
    snprintf(r->cfg.zone_name, sizeof(r->cfg.zone_name), "test zone");
    r->cfg.register_retry_ms = RETRY_MS;
    r->ops = (struct node_agent_ops){.role = role,
                                     .handle = test_handle,
                                     .registered = test_registered,
                                     .shutdown = test_shutdown};
    CU_ASSERT_EQUAL_FATAL(pthread_create(&r->tid, NULL, agent_thread, r), 0);
    return r;
}

/* An agent of role registering with the leader mock alone. */
static struct agent_run *leader_agent(const char *role)
{
    const char *masters[] = {leader_addr};

    return agent_start(role, masters, 1, 0);
}

static bool registered(void *arg)
{
    return atomic_load(&((struct agent_run *)arg)->registered_calls) > 0;
}

static bool finished(void *arg)
{
    return atomic_load(&((struct agent_run *)arg)->done);
}

/* Stop the agent (it must have shown itself to a callback), check the clean return, free. */
static void agent_stop(struct agent_run *r)
{
    struct node_agent *a = atomic_load(&r->agent);

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    node_agent_request_stop(a);
    CU_ASSERT_FATAL(proc_wait_until(finished, r, WAIT_MS));
    pthread_join(r->tid, NULL);
    CU_ASSERT_EQUAL(r->rv, 0);
    CU_ASSERT_EQUAL(atomic_load(&r->shutdown_calls), 1);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

struct dial {
    uint16_t port;
    int fd;
};

static bool try_connect(void *arg)
{
    struct dial *d = arg;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d->port)};
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};

    d->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (d->fd < 0) {
        return false;
    }
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(d->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(d->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(d->fd);
        d->fd = -1;
        return false;
    }
    return true;
}

/* Connect to the agent's packet port, waiting for it to listen (agent_start does not wait). */
static int agent_connect(const struct agent_run *r)
{
    struct dial d = {(uint16_t)r->cfg.listen, -1};

    CU_ASSERT_FATAL(proc_wait_until(try_connect, &d, WAIT_MS));
    return d.fd;
}

static void send_bytes(int fd, const void *buf, size_t len)
{
    CU_ASSERT_EQUAL(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Send a packet for opcode whose data is text; returns its ReqID. */
static int64_t send_packet(int fd, uint8_t opcode, uint64_t pid, const char *text)
{
    struct packet p;
    uint8_t *buf;
    size_t len;
    int64_t id;

    CU_ASSERT_EQUAL_FATAL(packet_init_request(&p, opcode, pid, text, (uint32_t)strlen(text)), 0);
    CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &buf, &len), 0);
    send_bytes(fd, buf, len);
    id = p.req_id;
    packet_clear(&p);
    free(buf);
    return id;
}

/* Read one reply (the decoder takes bytes as they come). */
static void read_reply(int fd, struct packet *out)
{
    struct packet_decoder d;
    uint8_t buf[4096];
    int rv = 0;

    packet_decoder_init(&d, PACKET_DEFAULT_MAX_BODY);
    while (rv == 0) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        size_t used;
        CU_ASSERT_FATAL(n > 0);
        /* One reply per request: everything received belongs to it. */
        rv = packet_decoder_feed(&d, buf, (size_t)n, &used, out);
    }
    CU_ASSERT_EQUAL(rv, 1);
    packet_decoder_close(&d);
}

/* Send the AdminTask t in a packet and read the reply; returns the request's ReqID. */
static int64_t exchange(int fd, const struct admin_task *t, struct packet *reply)
{
    char *json;
    size_t len;
    int64_t id;

    CU_ASSERT_EQUAL_FATAL(admin_task_encode(t, &json, &len), 0);
    id = send_packet(fd, t->opcode, t->partition_id, json);
    free(json);
    read_reply(fd, reply);
    return id;
}

static void expect_closed(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);

    CU_ASSERT(n == 0 || (n < 0 && errno == ECONNRESET));
}

static void make_task(struct admin_task *t, const struct agent_run *r, uint8_t opcode, uint64_t pid,
                      json_t *request)
{
    char addr[64];

    snprintf(addr, sizeof(addr), "127.0.0.1:%u", r->cfg.listen);
    CU_ASSERT_EQUAL_FATAL(admin_task_init(t, opcode, addr, pid, request, 1700000000), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Suite                                                                                      */

static int suite_init(void)
{
    if (http_client_global_init() != 0 || mock_master_start("127.0.0.1", 0, &leader) != 0 ||
        mock_master_start("127.0.0.1", 0, &follower) != 0) {
        return -1;
    }
    snprintf(leader_addr, sizeof(leader_addr), "127.0.0.1:%u", mock_master_port(leader));
    snprintf(follower_addr, sizeof(follower_addr), "127.0.0.1:%u", mock_master_port(follower));
    return 0;
}

static int suite_cleanup(void)
{
    mock_master_stop(leader);
    mock_master_stop(follower);
    return 0;
}

/* Posts left behind by one test must not be taken by the next. */
static void drain_posts(struct mock_master *m, const char *path)
{
    char *body;

    while ((body = mock_master_take_post(m, path, 0)) != NULL) {
        free(body);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                      */

static void test_registration_retried(void)
{
    size_t adds = mock_master_count(leader, "/dataNode/add");
    size_t ips = mock_master_count(leader, "/admin/getIp");
    struct agent_run *r;
    char expect[128], *query;
    uint64_t id;

    mock_master_fail_registrations(leader, 3);
    r = leader_agent("dataNode");
    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    CU_ASSERT_EQUAL(mock_master_count(leader, "/dataNode/add"), adds + 4);
    CU_ASSERT_EQUAL(mock_master_count(leader, "/admin/getIp"), ips + 4);
    id = atomic_load(&r->registered_id);
    CU_ASSERT(id > 0);
    CU_ASSERT_EQUAL(node_agent_node_id(atomic_load(&r->agent)), id);
    CU_ASSERT_EQUAL(atomic_load(&r->registered_calls), 1);
    snprintf(expect, sizeof(expect), "127.0.0.1:%u", r->cfg.listen);
    CU_ASSERT_STRING_EQUAL(node_agent_addr(atomic_load(&r->agent)), expect);
    query = mock_master_last_query(leader, "/dataNode/add");
    snprintf(expect, sizeof(expect), "addr=127.0.0.1:%u&zoneName=test%%20zone", r->cfg.listen);
    CU_ASSERT_STRING_EQUAL(query, expect);
    free(query);
    agent_stop(r);
}

/* The master answers a known address with its ID again, so a restarted agent keeps its ID. */
static void test_same_addr_same_node_id(void)
{
    const char *masters[] = {leader_addr};
    struct agent_run *r = agent_start("metaNode", masters, 1, 0);
    uint16_t port = (uint16_t)r->cfg.listen;
    uint64_t id;

    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    id = atomic_load(&r->registered_id);
    agent_stop(r);

    r = agent_start("metaNode", masters, 1, port);
    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    CU_ASSERT_EQUAL(atomic_load(&r->registered_id), id);
    agent_stop(r);
}

static void test_task_reply(void)
{
    struct agent_run *r = leader_agent("dataNode");
    struct admin_task t;
    struct packet reply;
    int64_t id;
    int fd;

    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    fd = agent_connect(r);
    make_task(&t, r, OP_CREATE_DATA_PARTITION, 12, json_pack("{s:I}", "PartitionId", 12));
    id = exchange(fd, &t, &reply);
    CU_ASSERT_EQUAL(reply.req_id, id);
    CU_ASSERT_EQUAL(reply.opcode, OP_CREATE_DATA_PARTITION);
    CU_ASSERT_EQUAL(reply.partition_id, 12);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    CU_ASSERT_EQUAL(reply.size, strlen(DISK_PATH));
    CU_ASSERT_STRING_EQUAL((const char *)reply.data, DISK_PATH);
    packet_clear(&reply);

    /* The same connection serves the next task. */
    id = exchange(fd, &t, &reply);
    CU_ASSERT_EQUAL(reply.req_id, id);
    packet_clear(&reply);
    admin_task_clear(&t);
    close(fd);
    agent_stop(r);
}

/* Take the next post to path and decode it as an AdminTask. */
static void take_task(struct mock_master *m, const char *path, struct admin_task *t)
{
    char errmsg[ERRMSG_SIZE] = "";
    char *body = mock_master_take_post(m, path, WAIT_MS);

    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_EQUAL_FATAL(admin_task_decode(body, strlen(body), t, errmsg), 0);
    free(body);
}

static void test_heartbeat_response_posted(void)
{
    struct agent_run *r;
    struct admin_task t, posted;
    struct packet reply;
    char addr[64];
    int fd;

    drain_posts(leader, "/dataNode/response");
    r = leader_agent("dataNode");
    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", r->cfg.listen);
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, addr, "127.0.0.1:17010", 1700000000),
        0);
    fd = agent_connect(r);
    exchange(fd, &t, &reply);
    /* Acked at once, with an empty body; the answer goes to the master over HTTP. */
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    CU_ASSERT_EQUAL(reply.size, 0);
    packet_clear(&reply);
    pthread_mutex_lock(&r->mu);
    CU_ASSERT_STRING_EQUAL(r->master_seen, "127.0.0.1:17010");
    pthread_mutex_unlock(&r->mu);

    take_task(leader, "/dataNode/response", &posted);
    CU_ASSERT_STRING_EQUAL(posted.id, t.id);
    CU_ASSERT_STRING_EQUAL(posted.request_id, t.request_id);
    CU_ASSERT_STRING_EQUAL(posted.operator_addr, addr);
    CU_ASSERT_EQUAL(posted.opcode, OP_DATA_NODE_HEARTBEAT);
    CU_ASSERT_EQUAL(posted.status, TASK_SUCCEEDS);
    CU_ASSERT(json_equal(posted.request, t.request));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(posted.response, "Status")), TASK_SUCCEEDS);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(posted.response, "ZoneName")),
                           "testzone");
    admin_task_clear(&posted);
    admin_task_clear(&t);
    close(fd);
    agent_stop(r);
}

/* A Response that says it failed makes the posted task failed too. */
static void test_failed_status_posted(void)
{
    struct agent_run *r;
    struct admin_task t, posted;
    struct packet reply;
    int fd;

    drain_posts(leader, "/dataNode/response");
    r = leader_agent("dataNode");
    fd = agent_connect(r);
    make_task(&t, r, OP_LOAD_DATA_PARTITION, 33, json_pack("{s:i}", "PartitionId", 33));
    exchange(fd, &t, &reply);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    packet_clear(&reply);
    take_task(leader, "/dataNode/response", &posted);
    CU_ASSERT_STRING_EQUAL(posted.id, t.id);
    CU_ASSERT_EQUAL(posted.partition_id, 33);
    CU_ASSERT_EQUAL(posted.status, TASK_FAILED);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(posted.response, "Result")),
                           "no such partition");
    admin_task_clear(&posted);
    admin_task_clear(&t);
    close(fd);
    agent_stop(r);
}

static void test_unhandled_opcode(void)
{
    struct agent_run *r = leader_agent("dataNode");
    struct admin_task t;
    struct packet reply;
    int fd = agent_connect(r);

    make_task(&t, r, OP_DELETE_DATA_PARTITION, 5, NULL);
    exchange(fd, &t, &reply);
    CU_ASSERT_EQUAL(reply.result_code, OP_ERR);
    CU_ASSERT_STRING_EQUAL((const char *)reply.data,
                           "unhandled opcode 0x61 (OpDeleteDataPartition)");
    packet_clear(&reply);
    admin_task_clear(&t);
    close(fd);
    agent_stop(r);
}

static void test_garbage_does_not_stop_agent(void)
{
    static const char garbage[] = "GET /admin/getIp HTTP/1.1\r\n\r\n";
    struct agent_run *r = leader_agent("dataNode");
    struct admin_task t;
    struct packet reply;
    int bad, good;

    /* Not a packet at all. */
    bad = agent_connect(r);
    send_bytes(bad, garbage, sizeof(garbage) - 1);
    expect_closed(bad);
    close(bad);
    /* A packet whose data is not an AdminTask (not JSON, then JSON without the ID). */
    bad = agent_connect(r);
    send_packet(bad, OP_CREATE_DATA_PARTITION, 1, "not json");
    expect_closed(bad);
    close(bad);
    bad = agent_connect(r);
    send_packet(bad, OP_CREATE_DATA_PARTITION, 1, "{\"OpCode\":96}");
    expect_closed(bad);
    close(bad);
    CU_ASSERT_EQUAL(atomic_load(&r->handled), 0);

    good = agent_connect(r);
    make_task(&t, r, OP_CREATE_DATA_PARTITION, 9, NULL);
    exchange(good, &t, &reply);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    packet_clear(&reply);
    admin_task_clear(&t);
    close(good);
    agent_stop(r);
}

/* A follower answering 307 sends registration and posts to the leader. */
static void test_follows_redirect_to_leader(void)
{
    const char *masters[] = {follower_addr};
    size_t adds = mock_master_count(leader, "/metaNode/add");
    struct agent_run *r;
    struct admin_task t, posted;
    struct packet reply;
    char addr[64];
    int fd;

    drain_posts(leader, "/metaNode/response");
    mock_master_redirect_to(follower, leader_addr);
    r = agent_start("metaNode", masters, 1, 0);
    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    CU_ASSERT_EQUAL(mock_master_count(leader, "/metaNode/add"), adds + 1);
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", r->cfg.listen);
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init_heartbeat(&t, OP_META_NODE_HEARTBEAT, addr, leader_addr, 1700000000), 0);
    fd = agent_connect(r);
    exchange(fd, &t, &reply);
    packet_clear(&reply);
    take_task(leader, "/metaNode/response", &posted);
    CU_ASSERT_STRING_EQUAL(posted.id, t.id);
    admin_task_clear(&posted);
    admin_task_clear(&t);
    close(fd);
    agent_stop(r);
    mock_master_redirect_to(follower, NULL);
}

/* With no master reachable: tasks are still served, the response POST is dropped (logged), and
 * the stop does not wait on registration. */
static void test_no_master_stop_is_bounded(void)
{
    char dead[64];
    const char *masters[] = {dead};
    struct agent_run *r;
    struct admin_task t;
    struct packet reply;
    int fd;

    snprintf(dead, sizeof(dead), "127.0.0.1:%u", free_port());
    r = agent_start("dataNode", masters, 1, 0);
    fd = agent_connect(r);
    CU_ASSERT_EQUAL_FATAL(
        admin_task_init_heartbeat(&t, OP_DATA_NODE_HEARTBEAT, "x:1", "127.0.0.1:17010", 1700000000),
        0);
    exchange(fd, &t, &reply);
    CU_ASSERT_EQUAL(reply.result_code, OP_OK);
    packet_clear(&reply);
    admin_task_clear(&t);
    close(fd);
    CU_ASSERT_EQUAL(atomic_load(&r->registered_calls), 0);
    agent_stop(r);
}

static void test_sigterm(void)
{
    struct agent_run *r = leader_agent("dataNode");

    /* Registered means the signal watchers are installed (they start before registration). */
    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    kill(getpid(), SIGTERM);
    CU_ASSERT_FATAL(proc_wait_until(finished, r, WAIT_MS));
    pthread_join(r->tid, NULL);
    CU_ASSERT_EQUAL(r->rv, 0);
    CU_ASSERT_EQUAL(atomic_load(&r->shutdown_calls), 1);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void test_port_taken(void)
{
    struct agent_run *r = leader_agent("dataNode");
    struct node_agent_config cfg;
    struct node_agent_ops ops = {.role = "dataNode", .handle = test_handle};
    char errmsg[ERRMSG_SIZE] = "", expect[ERRMSG_SIZE];

    CU_ASSERT_FATAL(proc_wait_until(registered, r, WAIT_MS));
    cfg = r->cfg;
    CU_ASSERT_EQUAL(node_agent_run(&cfg, &ops, NULL, errmsg), UV_EADDRINUSE);
    snprintf(expect, sizeof(expect), "listen on 127.0.0.1:%u: address already in use", cfg.listen);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    agent_stop(r);
}

/* The dispatch table's one handler, acting on the opcode: a load answers data, a create fails,
 * anything else succeeds with nothing to say. */
static int dispatch_probe(void *arg, struct node_agent *a, const struct admin_task *t,
                          struct node_agent_reply *reply, char *errmsg)
{
    (void)arg;
    (void)a;
    switch (t->opcode) {
    case OP_LOAD_DATA_PARTITION:
        return node_agent_reply_text(reply, OP_OK, DISK_PATH);
    case OP_CREATE_DATA_PARTITION:
    case OP_DELETE_META_PARTITION:
        errors_set(errmsg, "data partition %llu not exists", (unsigned long long)t->partition_id);
        return CFS_ENOTFOUND;
    default:
        return 0;
    }
}

/* node_agent_dispatch: OpOk by default, the handler's data, errors with and without the action
 * prefix, and an opcode the table lacks. */
static void test_dispatch_table(void)
{
    static const struct node_agent_handler table[] = {
        {OP_CREATE_DATA_PARTITION, "createDataPartition", dispatch_probe},
        {OP_DELETE_META_PARTITION, NULL, dispatch_probe},
        {OP_DELETE_DATA_PARTITION, "deleteDataPartition", dispatch_probe},
        {OP_LOAD_DATA_PARTITION, "loadDataPartition", dispatch_probe},
    };
    static const struct {
        uint8_t opcode;
        uint8_t result;
        const char *data; /* NULL: none */
    } rows[] = {
        {OP_CREATE_DATA_PARTITION, OP_ERR, "createDataPartition_data partition 9 not exists"},
        {OP_DELETE_META_PARTITION, OP_ERR, "data partition 9 not exists"},
        {OP_DELETE_DATA_PARTITION, OP_OK, NULL},
        {OP_LOAD_DATA_PARTITION, OP_OK, DISK_PATH},
        {OP_META_NODE_HEARTBEAT, OP_ERR, "unknown opcode 0x41 (OpMetaNodeHeartbeat)"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct admin_task t = {.opcode = rows[i].opcode, .partition_id = 9};
        struct node_agent_reply reply = {0};

        snprintf(t.id, sizeof(t.id), "task-%zu", i);
        node_agent_dispatch(table, sizeof(table) / sizeof(table[0]), NULL, NULL, &t, &reply);
        CU_ASSERT_EQUAL(reply.result, rows[i].result);
        if (rows[i].data == NULL) {
            CU_ASSERT_PTR_NULL(reply.data);
        } else {
            CU_ASSERT_EQUAL(reply.size, strlen(rows[i].data));
            CU_ASSERT_NSTRING_EQUAL(reply.data != NULL ? reply.data : "", rows[i].data, reply.size);
        }
        CU_ASSERT_PTR_NULL(reply.response);
        free(reply.data);
    }
}

static void test_config_check(void)
{
    static const struct {
        const char *key; /* which field the case breaks */
        const char *value;
        const char *msg;
    } cases[] = {
        {"listen", "0", "listen: port 0 is out of range 1-65535"},
        {"listen", "70000", "listen: port 70000 is out of range 1-65535"},
        {"localIP", "host.example", "localIP: \"host.example\" is not an IP address"},
        {"masterAddr", "", "masterAddr: 0 addresses, expected 1 to 16"},
        {"masterAddr", "127.0.0.1", "masterAddr[1]: \"127.0.0.1\" is not host:port"},
        {"masterAddr", ":17010", "masterAddr[1]: \":17010\" is not host:port"},
        {"masterAddr", "h:0", "masterAddr[1]: \"h:0\" is not host:port"},
        {"masterAddr", "h:17x", "masterAddr[1]: \"h:17x\" is not host:port"},
        {"logLevel", "loud", "logLevel: unknown level \"loud\" (debug, info, warn, error)"},
        {"zoneName", "", "zoneName: must not be empty"},
        {"registerRetryMs", "0", "registerRetryMs: must be positive"},
        {"maxPacketBytes", "10", "maxPacketBytes: 10 is below 69"},
    };
    struct node_agent_config good;
    char errmsg[ERRMSG_SIZE] = "";

    node_agent_config_default(&good);
    good.listen = 17310;
    good.nmasters = 1;
    snprintf(good.masters[0], sizeof(good.masters[0]), "127.0.0.1:17010");
    CU_ASSERT_EQUAL(node_agent_config_check(&good, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(good.local_ip, "127.0.0.1");
    CU_ASSERT_STRING_EQUAL(good.zone_name, "default");
    CU_ASSERT_EQUAL(good.register_retry_ms, 2000);
    CU_ASSERT_EQUAL(good.max_body, 64u << 20);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct node_agent_config c = good;
        const char *key = cases[i].key;
        const char *v = cases[i].value;

        if (strcmp(key, "listen") == 0) {
            c.listen = (uint32_t)atoi(v);
        } else if (strcmp(key, "localIP") == 0) {
            snprintf(c.local_ip, sizeof(c.local_ip), "%s", v);
        } else if (strcmp(key, "masterAddr") == 0) {
            c.nmasters = v[0] != '\0' ? 2 : 0;
            snprintf(c.masters[1], sizeof(c.masters[1]), "%s", v);
        } else if (strcmp(key, "logLevel") == 0) {
            snprintf(c.log_level, sizeof(c.log_level), "%s", v);
        } else if (strcmp(key, "zoneName") == 0) {
            snprintf(c.zone_name, sizeof(c.zone_name), "%s", v);
        } else if (strcmp(key, "registerRetryMs") == 0) {
            c.register_retry_ms = (uint32_t)atoi(v);
        } else {
            c.max_body = (uint32_t)atoi(v);
        }
        CU_ASSERT_EQUAL(node_agent_config_check(&c, errmsg), -EINVAL);
        CU_ASSERT_STRING_EQUAL(errmsg, cases[i].msg);
    }
    /* node_agent_run checks too, before anything starts. */
    good.listen = 0;
    CU_ASSERT_EQUAL(node_agent_run(&good, NULL, NULL, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "listen: port 0 is out of range 1-65535");
}

/* The shared keys decode from a CubeFS-style config file (numbers as strings, lists split). */
static void test_config_fields(void)
{
    static const char text[] = "{\"listen\":\"17310\",\"localIP\":\"127.0.0.1\","
                               "\"masterAddr\":\"127.0.0.1:17010,127.0.0.1:17011\","
                               "\"zoneName\":\"z1\",\"logLevel\":\"debug\"}";
    static const struct jc_field fields[] = {
        NODE_AGENT_CONFIG_FIELDS(struct agent_run, cfg),
        JC_END,
    };
    struct agent_run holder;
    char errmsg[ERRMSG_SIZE] = "";

    node_agent_config_default(&holder.cfg);
    CU_ASSERT_EQUAL_FATAL(config_parse("agent.json", text, strlen(text), fields, &holder, errmsg),
                          0);
    CU_ASSERT_EQUAL(holder.cfg.listen, 17310);
    CU_ASSERT_EQUAL(holder.cfg.nmasters, 2);
    CU_ASSERT_STRING_EQUAL(holder.cfg.masters[1], "127.0.0.1:17011");
    CU_ASSERT_STRING_EQUAL(holder.cfg.zone_name, "z1");
    CU_ASSERT_EQUAL(holder.cfg.register_retry_ms, 2000);
    CU_ASSERT_EQUAL(node_agent_config_check(&holder.cfg, errmsg), 0);
}

static const struct test_case cases[] = {
    {"registration_retried", test_registration_retried},
    {"same_addr_same_node_id", test_same_addr_same_node_id},
    {"task_reply", test_task_reply},
    {"heartbeat_response_posted", test_heartbeat_response_posted},
    {"failed_status_posted", test_failed_status_posted},
    {"unhandled_opcode", test_unhandled_opcode},
    {"garbage_does_not_stop_agent", test_garbage_does_not_stop_agent},
    {"follows_redirect_to_leader", test_follows_redirect_to_leader},
    {"no_master_stop_is_bounded", test_no_master_stop_is_bounded},
    {"sigterm", test_sigterm},
    {"port_taken", test_port_taken},
    {"dispatch_table", test_dispatch_table},
    {"config_check", test_config_check},
    {"config_fields", test_config_fields},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"node_agent", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
