/* System test of cfs-datanode and cfs-metanode: real processes on loopback addresses against the
 * mock master, driven with task packets over plain blocking sockets, checked on disk, in the
 * replies and in what they post. Tests run in order and share the nodes they start; every wait
 * is a polled condition with a deadline. */
#include "admin_task/node_files.h"
#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/crc32.h"
#include "common/errors.h"
#include "datanode_proto/dn_bodies.h"
#include "datanode_proto/dn_store.h"
#include "metanode_proto/mn_bodies.h"
#include "metanode_proto/mn_store.h"
#include "tests/support/mock_master.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS      15000 /* bound on any one wait; the whole run takes a few seconds */
#define IO_TIMEOUT_S 10
#define NO_ROOM      "9223372036854775807" /* a reserve no disk has free */
#define GOLDEN_ADDR  "127.0.0.1:17310"     /* the data node the golden packets were sent to */

struct node {
    const char *name;   /* "datanode" or "metanode" */
    const char *binary; /* relative to the build dir */
    const char *ip;
    const char *add_path; /* the registration route */
    const char *response_path;
    bool null_request; /* posts task responses with "Request": null, as CubeFS's meta node */
    uint16_t port;
    char addr[TASK_ADDR_SIZE];
    char config[PATH_MAX];
    char log[PATH_MAX];
    pid_t pid;
};

static struct mock_master *master;
static char master_addr[64];
static char tmp[128];
static char disk1[256];
static char disk2[256];
static char meta_dir[256];

static struct node dn = {.name = "datanode",
                         .binary = "datanode_proto/cfs-datanode",
                         .ip = "127.0.0.21",
                         .add_path = "/dataNode/add",
                         .response_path = "/dataNode/response"};
static struct node mn = {.name = "metanode",
                         .binary = "metanode_proto/cfs-metanode",
                         .ip = "127.0.0.22",
                         .add_path = "/metaNode/add",
                         .response_path = "/metaNode/response",
                         .null_request = true};

/* ---- sockets ----------------------------------------------------------------------------- */

static int connect_to(const char *ip, uint16_t port)
{
    struct sockaddr_in sa = {0};
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A port nobody listens on at ip right now (the node binds it a moment later). */
static uint16_t free_port(const char *ip)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint16_t port = 0;

    sa.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* Read one reply packet; 0, or -1 on timeout, close or a bad stream. */
static int read_reply(int fd, struct packet *out)
{
    struct packet_decoder d;
    uint8_t buf[4096];
    int rv = -1;

    packet_decoder_init(&d, PACKET_DEFAULT_MAX_BODY);
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        size_t off = 0;
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        while (off < (size_t)k) {
            size_t used = 0;
            int r = packet_decoder_feed(&d, buf + off, (size_t)k - off, &used, out);
            off += used;
            if (r != 0) {
                rv = r == 1 ? 0 : -1;
                goto out;
            }
        }
    }
out:
    packet_decoder_close(&d);
    return rv;
}

/* Send raw packet bytes to a node and read its reply. */
static int exchange_raw(const struct node *n, const void *bytes, size_t len, struct packet *reply)
{
    int fd = connect_to(n->ip, n->port);
    int rv = -1;

    if (fd >= 0 && write_all(fd, bytes, len) == 0) {
        rv = read_reply(fd, reply);
    }
    if (fd >= 0) {
        close(fd);
    }
    return rv;
}

/* Send one task (taking request) and read the reply. */
static int exchange(const struct node *n, uint8_t opcode, uint64_t partition_id, json_t *request,
                    struct packet *reply, struct packet *sent)
{
    struct admin_task t;
    struct packet p = {0};
    char *text = NULL;
    uint8_t *bytes = NULL;
    size_t len;
    int rv = admin_task_init(&t, opcode, n->addr, partition_id, request, time(NULL));

    if (rv != 0) {
        return rv;
    }
    rv = admin_task_encode(&t, &text, &len);
    if (rv == 0) {
        rv = packet_init_request(&p, opcode, partition_id, text, (uint32_t)len);
    }
    if (rv == 0) {
        rv = packet_encode(&p, &bytes, &len);
    }
    if (rv == 0) {
        rv = exchange_raw(n, bytes, len, reply);
    }
    if (sent != NULL) {
        *sent = p;
        sent->arg = NULL;
        sent->data = NULL;
    }
    free(bytes);
    free(text);
    packet_clear(&p);
    admin_task_clear(&t);
    return rv;
}

static void assert_ok_reply(const struct packet *reply, const struct packet *sent)
{
    if (reply->result_code != OP_OK) {
        fprintf(stderr, "\nreply %s: %s\n", packet_result_name(reply->result_code),
                reply->data != NULL ? (const char *)reply->data : "");
    }
    CU_ASSERT_EQUAL(reply->result_code, OP_OK);
    CU_ASSERT_EQUAL(reply->magic, PACKET_MAGIC);
    CU_ASSERT_EQUAL(reply->opcode, sent->opcode);
    CU_ASSERT_EQUAL(reply->partition_id, sent->partition_id);
    CU_ASSERT_EQUAL(reply->req_id, sent->req_id);
    CU_ASSERT_EQUAL(reply->arg_len, 0);
    CU_ASSERT_EQUAL(reply->crc, 0);
}

static bool data_is(const struct packet *p, const char *text)
{
    return p->data != NULL && p->size == strlen(text) && memcmp(p->data, text, p->size) == 0;
}

/* Send one task (taking request) and expect OpOk; the reply goes to *reply for more checks (the
 * caller clears it), or is dropped when reply is NULL. */
static void exchange_ok(const struct node *n, uint8_t opcode, uint64_t partition_id,
                        json_t *request, struct packet *reply)
{
    struct packet got = {0};
    struct packet sent = {0};

    CU_ASSERT_EQUAL_FATAL(exchange(n, opcode, partition_id, request, &got, &sent), 0);
    assert_ok_reply(&got, &sent);
    if (reply != NULL) {
        *reply = got;
    } else {
        packet_clear(&got);
    }
}

/* A packet captured from a CubeFS master (tests/data/cubefs-packets/<name>): its bytes
 * (malloc'd, *len of them) and its decoded header in *sent. */
static uint8_t *golden_packet(const char *name, size_t *len, struct packet *sent)
{
    char relative[128];
    uint8_t *bytes;

    snprintf(relative, sizeof(relative), "cubefs-packets/%s", name);
    bytes = test_read_file(test_data_path(relative), len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    CU_ASSERT_EQUAL_FATAL(packet_decode(bytes, *len, PACKET_DEFAULT_MAX_BODY, sent, len), 0);
    return bytes;
}

/* Send golden bytes and expect OpOk, as exchange_ok. */
static void golden_ok(const struct node *n, const uint8_t *bytes, size_t len,
                      const struct packet *sent, struct packet *reply)
{
    struct packet got = {0};

    CU_ASSERT_EQUAL_FATAL(exchange_raw(n, bytes, len, &got), 0);
    assert_ok_reply(&got, sent);
    if (reply != NULL) {
        *reply = got;
    } else {
        packet_clear(&got);
    }
}

/* ---- processes --------------------------------------------------------------------------- */

static bool port_open(void *arg)
{
    const struct node *n = arg;
    int fd = connect_to(n->ip, n->port);

    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

struct reg_wait {
    const struct node *n;
    size_t want;
};

static bool registered(void *arg)
{
    struct reg_wait *w = arg;
    return mock_master_count(master, w->n->add_path) >= w->want;
}

static void write_config(struct node *n, const char *extra)
{
    FILE *f = fopen(n->config, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "{\"listen\": \"%u\", \"localIP\": \"%s\", \"masterAddr\": [\"%s\"],\n"
            " \"logLevel\": \"debug\", \"registerRetryMs\": \"100\",\n %s}\n",
            n->port, n->ip, master_addr, extra);
    fclose(f);
}

/* Start n and wait until it listens and has registered (want registrations in total). */
static void start_node(struct node *n, size_t want_registrations)
{
    char *argv[] = {(char *)proc_binary(n->binary), "-c", n->config, NULL};
    struct reg_wait w = {n, want_registrations};

    n->pid = proc_spawn(argv, n->log);
    CU_ASSERT_FATAL(n->pid > 0);
    if (!proc_wait_until(port_open, n, WAIT_MS) || !proc_wait_until(registered, &w, WAIT_MS)) {
        fprintf(stderr, "\n%s did not come up; see %s\n", n->name, n->log);
        CU_FAIL_FATAL("node did not come up");
    }
}

static void dn_config(const char *reserve1, const char *reserve2)
{
    char extra[3 * PATH_MAX];

    snprintf(extra, sizeof(extra), "\"disks\": [\"%s:%s\", \"%s:%s\"]", disk1, reserve1, disk2,
             reserve2);
    write_config(&dn, extra);
}

/* The next body n posted for opcode, decoded as an AdminTask (others are skipped). */
static int take_response(const struct node *n, uint8_t opcode, struct admin_task *out)
{
    for (;;) {
        char *body = mock_master_take_post(master, n->response_path, WAIT_MS);
        struct admin_task t = {0};
        int rv;

        if (body == NULL) {
            return -1;
        }
        rv = admin_task_decode(body, strlen(body), &t, NULL);
        free(body);
        if (rv == 0 && t.opcode == opcode) {
            *out = t;
            return 0;
        }
        admin_task_clear(&t);
    }
}

/* An async task: send it (taking request, which must not be NULL), expect an empty OpOk ack, and
 * take what the node then posts. The posted task carries the request back, or "Request": null
 * from a node that posts it so. */
static void posted_ok(const struct node *n, uint8_t opcode, uint64_t partition_id, json_t *request,
                      struct admin_task *posted)
{
    struct packet reply = {0};

    CU_ASSERT_PTR_NOT_NULL_FATAL(request);
    json_incref(request);
    exchange_ok(n, opcode, partition_id, request, &reply);
    CU_ASSERT_EQUAL(reply.size, 0);
    packet_clear(&reply);
    CU_ASSERT_EQUAL_FATAL(take_response(n, opcode, posted), 0);
    CU_ASSERT_STRING_EQUAL(posted->operator_addr, n->addr);
    if (n->null_request) {
        CU_ASSERT_PTR_NULL(posted->request);
    } else {
        CU_ASSERT_TRUE(json_equal(posted->request, request));
    }
    json_decref(request);
}

/* ---- fixture ----------------------------------------------------------------------------- */

static void node_paths(struct node *n)
{
    n->port = free_port(n->ip);
    snprintf(n->addr, sizeof(n->addr), "%s:%u", n->ip, n->port);
    snprintf(n->config, sizeof(n->config), "%s/%s.json", tmp, n->name);
    snprintf(n->log, sizeof(n->log), "%s/%s.log", tmp, n->name);
}

static int suite_init(void)
{
    if (test_mkdtemp(tmp, sizeof(tmp), "node_agents") != 0 ||
        mock_master_start("127.0.0.1", 0, &master) != 0) {
        return -1;
    }
    snprintf(master_addr, sizeof(master_addr), "127.0.0.1:%u", mock_master_port(master));
    snprintf(disk1, sizeof(disk1), "%s/disk1", tmp);
    snprintf(disk2, sizeof(disk2), "%s/disk2", tmp);
    snprintf(meta_dir, sizeof(meta_dir), "%s/meta", tmp);
    node_paths(&dn);
    node_paths(&mn);
    if (mkdir(disk1, 0755) != 0 || mkdir(disk2, 0755) != 0 || dn.port == 0 || mn.port == 0) {
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    if (dn.pid > 0) {
        proc_stop(dn.pid, SIGKILL, WAIT_MS);
    }
    if (mn.pid > 0) {
        proc_stop(mn.pid, SIGKILL, WAIT_MS);
    }
    mock_master_stop(master);
    if (CU_get_number_of_failures() == 0) {
        test_rmtree(tmp);
    } else {
        fprintf(stderr, "\nkept %s (node logs and files) for inspection\n", tmp);
    }
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void dp_dir(char *buf, size_t size, const char *disk, uint64_t id, uint64_t psize)
{
    snprintf(buf, size, "%s/datapartition_%llu_%llu", disk, (unsigned long long)id,
             (unsigned long long)psize);
}

/* The META file of data partition id (of size bytes) on disk, decoded into *meta. */
static void read_dn_meta(const char *disk, uint64_t id, uint64_t size, struct dn_partition *meta)
{
    char path[PATH_MAX];
    char errmsg[ERRMSG_SIZE] = "";

    dp_dir(path, sizeof(path), disk, id, size);
    strcat(path, "/META");
    memset(meta, 0, sizeof(*meta));
    CU_ASSERT_EQUAL(node_files_read_json(path, dn_partition_fields, meta, errmsg), 0);
}

#define GOLDEN_DP_SIZE 128849018880ull /* PartitionSize in dp_create_req.bin */

static json_t *dn_create_request(uint64_t id, uint64_t size)
{
    struct dn_create_dp_req r = {0};

    r.partition_id = id;
    r.partition_size = size;
    snprintf(r.volume_id, sizeof(r.volume_id), "vol1");
    r.replica_num = 1;
    r.nmembers = 1;
    r.members[0].id = 2;
    snprintf(r.members[0].addr, sizeof(r.members[0].addr), "%s", dn.addr);
    r.nhosts = 1;
    snprintf(r.hosts[0], sizeof(r.hosts[0]), "%s", dn.addr);
    return jc_encode(dn_create_dp_req_fields, &r);
}

static json_t *raft_member_request(const struct jc_field *fields, uint64_t id, const char *addr)
{
    struct dn_raft_member_req r = {0};

    r.partition_id = id;
    r.peer.id = 9;
    snprintf(r.peer.addr, sizeof(r.peer.addr), "%s", addr);
    return jc_encode(fields, &r);
}

/* ---- data node --------------------------------------------------------------------------- */

static void test_dn_registration_is_retried(void)
{
    char want[128];
    char *query;

    dn_config("0", NO_ROOM); /* only disk1 has room */
    mock_master_fail_registrations(master, 2);
    start_node(&dn, 3);
    query = mock_master_last_query(master, "/dataNode/add");
    CU_ASSERT_PTR_NOT_NULL_FATAL(query);
    /* Real v3.5 nodes send the address unescaped, ":" included. */
    snprintf(want, sizeof(want), "addr=%s:%u&zoneName=default", dn.ip, dn.port);
    CU_ASSERT_STRING_EQUAL(query, want);
    free(query);
    CU_ASSERT_TRUE(proc_alive(dn.pid));
}

static void test_dn_create_replies_like_cubefs(void)
{
    struct packet reply = {0};
    struct packet sent = {0};
    struct dn_partition meta;
    char path[PATH_MAX];
    uint8_t *golden;
    size_t len;

    /* The golden create request, byte for byte as a CubeFS master sends it; resent, the same
     * answer and nothing changes. */
    golden = golden_packet("dp_create_req.bin", &len, &sent);
    for (int i = 0; i < 2; i++) {
        golden_ok(&dn, golden, len, &sent, &reply);
        CU_ASSERT_EQUAL(reply.req_id, 4); /* as in dp_create_reply_ok */
        CU_ASSERT_TRUE(data_is(&reply, disk1));
        packet_clear(&reply);
        read_dn_meta(disk1, 7, GOLDEN_DP_SIZE, &meta);
        CU_ASSERT_EQUAL(meta.partition_id, 7);
        CU_ASSERT_STRING_EQUAL(meta.vol_name, "vol1");
        CU_ASSERT_EQUAL(meta.npeers, 3);
        CU_ASSERT_STRING_EQUAL(meta.peers[0].addr, GOLDEN_ADDR);
        CU_ASSERT_EQUAL(meta.nhosts, 3);
    }
    packet_clear(&sent);
    free(golden);

    /* A second partition, led by this node (first member). */
    exchange_ok(&dn, OP_CREATE_DATA_PARTITION, 8, dn_create_request(8, 4096), &reply);
    CU_ASSERT_TRUE(data_is(&reply, disk1));
    packet_clear(&reply);
    dp_dir(path, sizeof(path), disk1, 8, 4096);
    CU_ASSERT_TRUE(exists(path));
    dp_dir(path, sizeof(path), disk2, 8, 4096);
    CU_ASSERT_FALSE(exists(path));
}

static void test_dn_members_and_leader(void)
{
    struct packet reply = {0};
    struct packet sent = {0};
    struct dn_partition meta;
    uint8_t *golden;
    size_t len;

    /* The golden add: 127.0.0.4:17310 (id 9) joins partition 7; resent, still OpOk. */
    golden = golden_packet("dp_add_raft_member_req.bin", &len, &sent);
    golden_ok(&dn, golden, len, &sent, NULL);
    golden_ok(&dn, golden, len, &sent, NULL);
    packet_clear(&sent);
    free(golden);

    exchange_ok(&dn, OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, 7,
                raft_member_request(dn_remove_raft_member_req_fields, 7, "127.0.0.2:17310"), NULL);

    read_dn_meta(disk1, 7, GOLDEN_DP_SIZE, &meta);
    CU_ASSERT_EQUAL_FATAL(meta.npeers, 3);
    CU_ASSERT_STRING_EQUAL(meta.peers[0].addr, GOLDEN_ADDR);
    CU_ASSERT_STRING_EQUAL(meta.peers[1].addr, "127.0.0.3:17310");
    CU_ASSERT_STRING_EQUAL(meta.peers[2].addr, "127.0.0.4:17310");
    CU_ASSERT_EQUAL(meta.peers[2].id, 9);
    CU_ASSERT_EQUAL_FATAL(meta.nhosts, 3);
    CU_ASSERT_STRING_EQUAL(meta.hosts[0], GOLDEN_ADDR);
    CU_ASSERT_STRING_EQUAL(meta.hosts[1], "127.0.0.3:17310");
    CU_ASSERT_STRING_EQUAL(meta.hosts[2], "127.0.0.4:17310");
    CU_ASSERT_FALSE(meta.leader_marked);

    /* An unknown partition answers like CubeFS: OpErr, "<action>_<message>". */
    CU_ASSERT_EQUAL_FATAL(
        exchange(&dn, OP_ADD_DATA_PARTITION_RAFT_MEMBER, 99,
                 raft_member_request(dn_add_raft_member_req_fields, 99, "127.0.0.4:17310"), &reply,
                 &sent),
        0);
    CU_ASSERT_EQUAL(reply.result_code, OP_ERR);
    CU_ASSERT_TRUE(data_is(&reply, "addDataPartitionRaftMember_data partition 99 not exists"));
    packet_clear(&reply);

    /* TryToLeader (null Request) marks partition 7, which this node does not head. */
    exchange_ok(&dn, OP_DATA_PARTITION_TRY_TO_LEADER, 7, NULL, NULL);
    read_dn_meta(disk1, 7, GOLDEN_DP_SIZE, &meta);
    CU_ASSERT_TRUE(meta.leader_marked);
}

static void test_dn_delete(void)
{
    struct dn_delete_dp_req req = {0};
    char path[PATH_MAX];

    exchange_ok(&dn, OP_CREATE_DATA_PARTITION, 9, dn_create_request(9, 4096), NULL);
    dp_dir(path, sizeof(path), disk1, 9, 4096);
    CU_ASSERT_TRUE(exists(path));
    req.partition_id = 9;
    for (int i = 0; i < 2; i++) { /* the second time it is already gone: still OpOk */
        exchange_ok(&dn, OP_DELETE_DATA_PARTITION, 9, jc_encode(dn_delete_dp_req_fields, &req),
                    NULL);
        CU_ASSERT_FALSE(exists(path));
    }
}

static bool within(uint64_t got, uint64_t want, uint64_t tolerance)
{
    bool ok = got + tolerance >= want && got <= want + tolerance;

    if (!ok) {
        fprintf(stderr, "\n%llu is not within %llu of %llu\n", (unsigned long long)got,
                (unsigned long long)tolerance, (unsigned long long)want);
    }
    return ok;
}

static const struct dn_partition_report *dn_report(const struct dn_heartbeat_resp *r, uint64_t id)
{
    for (uint32_t i = 0; i < r->nreports; i++) {
        if (r->reports[i].partition_id == id) {
            return &r->reports[i];
        }
    }
    return NULL;
}

/* Send a heartbeat task to n, check the ack, and decode the Response it posts with fields. */
static void heartbeat(const struct node *n, uint8_t opcode, const struct jc_field *fields,
                      void *out)
{
    struct admin_task posted = {0};
    struct heartbeat_req hb = {0};
    char errmsg[ERRMSG_SIZE] = "";

    hb.curr_time = time(NULL);
    snprintf(hb.master_addr, sizeof(hb.master_addr), "%s", master_addr);
    posted_ok(n, opcode, 0, jc_encode(heartbeat_req_fields, &hb), &posted);
    if (jc_decode(posted.response, fields, out, errmsg) != 0) {
        fprintf(stderr, "\nheartbeat response: %s\n", errmsg);
        CU_FAIL_FATAL("heartbeat response does not decode");
    }
    admin_task_clear(&posted);
}

static void dn_heartbeat(struct dn_heartbeat_resp *out)
{
    heartbeat(&dn, OP_DATA_NODE_HEARTBEAT, dn_heartbeat_resp_fields, out);
}

static void test_dn_heartbeat_reports_real_figures(void)
{
    struct dn_heartbeat_resp r = {0};
    const struct dn_partition_report *rep;
    struct statvfs st;
    char path[PATH_MAX];
    char data[5000];
    FILE *f;
    uint64_t total;
    uint64_t avail;
    uint64_t used;
    uint64_t tolerance;

    /* 5000 bytes of data in partition 8. */
    dp_dir(path, sizeof(path), disk1, 8, 4096);
    strcat(path, "/1");
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    memset(data, 'x', sizeof(data));
    fwrite(data, 1, sizeof(data), f);
    fclose(f);

    dn_heartbeat(&r);
    CU_ASSERT_EQUAL_FATAL(statvfs(tmp, &st), 0);
    total = (uint64_t)st.f_blocks * st.f_frsize;
    avail = (uint64_t)st.f_bavail * st.f_frsize;
    used = (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize;
    /* Other processes write to this file system too; allow them 1% or 256 MiB. */
    tolerance = total / 100 > (256ull << 20) ? total / 100 : 256ull << 20;

    CU_ASSERT_EQUAL(r.status, TASK_SUCCEEDS);
    CU_ASSERT_STRING_EQUAL(r.zone_name, "default");
    /* Both disks live on the temp dir's file system; disk2's reserve leaves it no room. */
    CU_ASSERT_TRUE(within(r.total, 2 * total, 2 * tolerance));
    CU_ASSERT_TRUE(within(r.used, 2 * used, 2 * tolerance));
    CU_ASSERT_TRUE(within(r.available, avail, tolerance));
    CU_ASSERT_EQUAL(r.max_capacity, r.available);
    CU_ASSERT_EQUAL(r.created_partition_cnt, 2);
    CU_ASSERT_EQUAL(r.total_partition_size, GOLDEN_DP_SIZE + 4096);
    CU_ASSERT_TRUE(r.start_time > 0 && r.start_time <= time(NULL));
    CU_ASSERT_EQUAL_FATAL(r.nall_disks, 2);
    CU_ASSERT_STRING_EQUAL(r.all_disks[0], disk1);
    CU_ASSERT_STRING_EQUAL(r.all_disks[1], disk2);
    CU_ASSERT_EQUAL_FATAL(r.ndisk_stats, 2);
    CU_ASSERT_TRUE(within(r.disk_stats[0].total, total, tolerance));
    CU_ASSERT_TRUE(within(r.disk_stats[0].available, avail, tolerance));
    CU_ASSERT_EQUAL(r.disk_stats[1].available, 0);
    CU_ASSERT_EQUAL(r.nbad_disks, 0);

    CU_ASSERT_EQUAL_FATAL(r.nreports, 2);
    rep = dn_report(&r, 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    CU_ASSERT_STRING_EQUAL(rep->vol_name, "vol1");
    CU_ASSERT_EQUAL(rep->partition_status, DP_STATUS_READ_WRITE);
    CU_ASSERT_EQUAL(rep->total, GOLDEN_DP_SIZE);
    CU_ASSERT_EQUAL(rep->used, 0);
    CU_ASSERT_STRING_EQUAL(rep->disk_path, disk1);
    CU_ASSERT_TRUE(rep->is_leader); /* marked by TryToLeader */
    rep = dn_report(&r, 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    CU_ASSERT_EQUAL(rep->used, 5000);
    CU_ASSERT_EQUAL(rep->extent_count, 1);
    CU_ASSERT_TRUE(rep->is_leader); /* first member */
    jc_free(dn_heartbeat_resp_fields, &r);
}

static void test_dn_load_posts_file_crcs(void)
{
    struct dn_load_dp_req req = {8};
    struct dn_load_dp_resp resp = {0};
    struct admin_task posted = {0};
    char errmsg[ERRMSG_SIZE] = "";
    char data[5000];

    posted_ok(&dn, OP_LOAD_DATA_PARTITION, 8, jc_encode(dn_load_dp_req_fields, &req), &posted);
    CU_ASSERT_EQUAL_FATAL(jc_decode(posted.response, dn_load_dp_resp_fields, &resp, errmsg), 0);
    CU_ASSERT_EQUAL(resp.partition_id, 8);
    CU_ASSERT_EQUAL(resp.status, TASK_SUCCEEDS);
    CU_ASSERT_EQUAL(resp.used, 5000);
    CU_ASSERT_EQUAL_FATAL(resp.nfiles, 1);
    CU_ASSERT_STRING_EQUAL(resp.files[0].name, "1");
    CU_ASSERT_EQUAL(resp.files[0].size, 5000);
    memset(data, 'x', sizeof(data));
    CU_ASSERT_EQUAL(resp.files[0].crc, crc32_ieee(0, data, sizeof(data)));
    jc_free(dn_load_dp_resp_fields, &resp);
    admin_task_clear(&posted);

    /* An unknown partition: acked, and the posted answer says why. */
    req.partition_id = 42;
    posted_ok(&dn, OP_LOAD_DATA_PARTITION, 42, jc_encode(dn_load_dp_req_fields, &req), &posted);
    memset(&resp, 0, sizeof(resp));
    CU_ASSERT_EQUAL_FATAL(jc_decode(posted.response, dn_load_dp_resp_fields, &resp, errmsg), 0);
    CU_ASSERT_EQUAL(resp.status, TASK_FAILED);
    CU_ASSERT_STRING_EQUAL(resp.result, "data partition 42 not exists");
    jc_free(dn_load_dp_resp_fields, &resp);
    admin_task_clear(&posted);
}

/* Send bytes, then expect the node to close the connection: no reply, and no waiting for more
 * bytes either (a read that times out means the node is still listening to the stream). */
static void expect_dropped(const struct node *n, const uint8_t *bytes, size_t len)
{
    uint8_t buf[256];
    int fd = connect_to(n->ip, n->port);
    ssize_t k;

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write_all(fd, bytes, len), 0);
    do {
        k = read(fd, buf, sizeof(buf));
    } while (k < 0 && errno == EINTR);
    CU_ASSERT_TRUE(k == 0 || (k < 0 && errno == ECONNRESET));
    close(fd);
}

static void test_dn_survives_garbage(void)
{
    static const uint8_t garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct packet p = {0};
    uint8_t header[PACKET_HEADER_SIZE];
    uint8_t *bytes;
    size_t len;

    expect_dropped(&dn, garbage, sizeof(garbage) - 1);
    /* A well-formed header announcing 4 GiB - 1 of data. */
    p.magic = PACKET_MAGIC;
    p.opcode = OP_CREATE_DATA_PARTITION;
    p.size = UINT32_MAX;
    packet_header_encode(&p, header);
    expect_dropped(&dn, header, sizeof(header));
    /* A packet whose data is not an AdminTask. */
    CU_ASSERT_EQUAL_FATAL(packet_init_request(&p, OP_CREATE_DATA_PARTITION, 1, "{not json", 9), 0);
    CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &bytes, &len), 0);
    expect_dropped(&dn, bytes, len);
    free(bytes);
    packet_clear(&p);

    CU_ASSERT_TRUE(proc_alive(dn.pid));
    exchange_ok(&dn, OP_CREATE_DATA_PARTITION, 8, dn_create_request(8, 4096), NULL);
}

static void test_dn_unknown_opcode(void)
{
    struct packet reply = {0};
    struct packet sent = {0};

    CU_ASSERT_EQUAL_FATAL(exchange(&dn, OP_META_NODE_HEARTBEAT, 0, NULL, &reply, &sent), 0);
    CU_ASSERT_EQUAL(reply.result_code, OP_ERR);
    CU_ASSERT_TRUE(data_is(&reply, "unknown opcode 0x41 (OpMetaNodeHeartbeat)"));
    packet_clear(&reply);
}

static void test_dn_kill9_restart_keeps_partitions(void)
{
    struct dn_heartbeat_resp r = {0};
    struct packet reply = {0};
    struct packet sent = {0};
    size_t before = mock_master_count(master, "/dataNode/add");
    int status = proc_stop(dn.pid, SIGKILL, WAIT_MS);

    CU_ASSERT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* Back with a reserve above the free space on both disks. */
    dn_config(NO_ROOM, NO_ROOM);
    start_node(&dn, before + 1);

    dn_heartbeat(&r);
    CU_ASSERT_EQUAL_FATAL(r.nreports, 2);
    CU_ASSERT_EQUAL(r.reports[0].partition_id, 7);
    CU_ASSERT_EQUAL(r.reports[1].partition_id, 8);
    CU_ASSERT_TRUE(r.reports[0].is_leader);
    CU_ASSERT_EQUAL(r.reports[1].used, 5000);
    /* No room left on their disk: ReadOnly. */
    CU_ASSERT_EQUAL(r.reports[0].partition_status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(r.reports[1].partition_status, DP_STATUS_READ_ONLY);
    CU_ASSERT_EQUAL(r.available, 0);
    jc_free(dn_heartbeat_resp_fields, &r);

    /* A new partition has nowhere to go, as in dp_create_reply_err... */
    CU_ASSERT_EQUAL_FATAL(
        exchange(&dn, OP_CREATE_DATA_PARTITION, 10, dn_create_request(10, 4096), &reply, &sent), 0);
    CU_ASSERT_EQUAL(reply.result_code, OP_ERR);
    CU_ASSERT_EQUAL(reply.opcode, OP_CREATE_DATA_PARTITION);
    CU_ASSERT_EQUAL(reply.req_id, sent.req_id);
    CU_ASSERT_TRUE(data_is(&reply, "createDataPartition_no space left on any disk"));
    packet_clear(&reply);
    /* ...while a resent create of an existing one still answers its disk. */
    exchange_ok(&dn, OP_CREATE_DATA_PARTITION, 8, dn_create_request(8, 4096), &reply);
    CU_ASSERT_TRUE(data_is(&reply, disk1));
    packet_clear(&reply);
}

/* ---- meta node --------------------------------------------------------------------------- */

#define GOLDEN_MP_START 16777217ull
#define GOLDEN_MP_END   9223372036854775807ull
#define TOTAL_MEM       4294967296ull

static void mn_config(void)
{
    char extra[2 * PATH_MAX];

    snprintf(extra, sizeof(extra), "\"totalMem\": \"%llu\", \"metadataDir\": \"%s\"", TOTAL_MEM,
             meta_dir);
    write_config(&mn, extra);
}

/* The meta file of meta partition id, decoded into *meta. */
static void read_mn_meta(uint64_t id, struct mn_partition *meta)
{
    char path[PATH_MAX];
    char errmsg[ERRMSG_SIZE] = "";

    snprintf(path, sizeof(path), "%s/partition_%llu/meta", meta_dir, (unsigned long long)id);
    memset(meta, 0, sizeof(*meta));
    CU_ASSERT_EQUAL(node_files_read_json(path, mn_partition_fields, meta, errmsg), 0);
}

static void test_mn_registers_and_creates(void)
{
    struct packet reply = {0};
    struct packet sent = {0};
    struct mn_partition meta;
    uint8_t *golden;
    size_t len;

    mn_config();
    mock_master_fail_registrations(master, 1);
    start_node(&mn, 2);

    golden = golden_packet("mp_create_req.bin", &len, &sent);
    for (int i = 0; i < 2; i++) { /* a resent create is a no-op */
        golden_ok(&mn, golden, len, &sent, &reply);
        CU_ASSERT_EQUAL(reply.size, 0);
        packet_clear(&reply);
    }
    packet_clear(&sent);
    free(golden);
    read_mn_meta(3, &meta);
    CU_ASSERT_EQUAL(meta.partition_id, 3);
    CU_ASSERT_EQUAL(meta.start, GOLDEN_MP_START);
    CU_ASSERT_EQUAL(meta.end, GOLDEN_MP_END);
    CU_ASSERT_STRING_EQUAL(meta.vol_name, "vol1");
    CU_ASSERT_EQUAL(meta.npeers, 3);
}

static void test_mn_load_update_members(void)
{
    struct mn_load_mp_req load = {3};
    struct mn_load_mp_resp loaded = {0};
    struct mn_update_mp_req update = {0};
    struct mn_update_mp_resp updated = {0};
    struct mn_raft_member_req member = {0};
    struct mn_partition meta;
    struct admin_task posted = {0};
    struct packet reply = {0};
    struct packet sent = {0};
    char errmsg[ERRMSG_SIZE] = "";

    /* Load is sync: the reply carries the answer. */
    exchange_ok(&mn, OP_LOAD_META_PARTITION, 3, jc_encode(mn_load_mp_req_fields, &load), &reply);
    CU_ASSERT_EQUAL_FATAL(
        jc_decode_text(reply.data, reply.size, mn_load_mp_resp_fields, &loaded, errmsg), 0);
    CU_ASSERT_EQUAL(loaded.partition_id, 3);
    CU_ASSERT_EQUAL(loaded.max_inode, GOLDEN_MP_START);
    CU_ASSERT_TRUE(loaded.do_compare);
    CU_ASSERT_STRING_EQUAL(loaded.addr, mn.addr);
    packet_clear(&reply);
    load.partition_id = 4;
    CU_ASSERT_EQUAL_FATAL(exchange(&mn, OP_LOAD_META_PARTITION, 4,
                                   jc_encode(mn_load_mp_req_fields, &load), &reply, &sent),
                          0);
    CU_ASSERT_EQUAL(reply.result_code, OP_ERR);
    CU_ASSERT_TRUE(data_is(&reply, "meta partition 4 not exists"));
    packet_clear(&reply);

    /* Update is async: acked, then the answer is posted. */
    update.partition_id = 3;
    snprintf(update.vol_name, sizeof(update.vol_name), "vol1");
    update.start = GOLDEN_MP_START;
    update.end = 2 * GOLDEN_MP_START;
    posted_ok(&mn, OP_UPDATE_META_PARTITION, 3, jc_encode(mn_update_mp_req_fields, &update),
              &posted);
    CU_ASSERT_EQUAL_FATAL(jc_decode(posted.response, mn_update_mp_resp_fields, &updated, errmsg),
                          0);
    CU_ASSERT_EQUAL(updated.partition_id, 3);
    CU_ASSERT_EQUAL(updated.end, 2 * GOLDEN_MP_START);
    CU_ASSERT_EQUAL(updated.status, TASK_SUCCEEDS);
    admin_task_clear(&posted);

    member.partition_id = 3;
    member.peer.id = 7;
    snprintf(member.peer.addr, sizeof(member.peer.addr), "127.0.0.4:17210");
    exchange_ok(&mn, OP_ADD_META_PARTITION_RAFT_MEMBER, 3,
                jc_encode(mn_add_raft_member_req_fields, &member), NULL);
    snprintf(member.peer.addr, sizeof(member.peer.addr), "127.0.0.1:17210");
    exchange_ok(&mn, OP_REMOVE_META_PARTITION_RAFT_MEMBER, 3,
                jc_encode(mn_remove_raft_member_req_fields, &member), NULL);

    read_mn_meta(3, &meta);
    CU_ASSERT_EQUAL(meta.end, 2 * GOLDEN_MP_START);
    CU_ASSERT_EQUAL_FATAL(meta.npeers, 3);
    CU_ASSERT_STRING_EQUAL(meta.peers[0].addr, "127.0.0.2:17210");
    CU_ASSERT_STRING_EQUAL(meta.peers[2].addr, "127.0.0.4:17210");

    exchange_ok(&mn, OP_META_PARTITION_TRY_TO_LEADER, 3, NULL, NULL);
}

static void mn_heartbeat(struct mn_heartbeat_resp *out)
{
    heartbeat(&mn, OP_META_NODE_HEARTBEAT, mn_heartbeat_resp_fields, out);
}

static void check_mn_report(const struct mn_heartbeat_resp *r)
{
    CU_ASSERT_EQUAL(r->status, TASK_SUCCEEDS);
    CU_ASSERT_STRING_EQUAL(r->zone_name, "default");
    CU_ASSERT_EQUAL(r->total, TOTAL_MEM);
    /* A live process's RSS: above a megabyte, far below the 4 GiB budget. */
    CU_ASSERT_TRUE(r->used > (1u << 20) && r->used < TOTAL_MEM);
    CU_ASSERT_EQUAL_FATAL(r->nreports, 1);
    CU_ASSERT_EQUAL(r->reports[0].partition_id, 3);
    CU_ASSERT_EQUAL(r->reports[0].start, GOLDEN_MP_START);
    CU_ASSERT_EQUAL(r->reports[0].end, 2 * GOLDEN_MP_START);
    CU_ASSERT_EQUAL(r->reports[0].max_inode_id, GOLDEN_MP_START);
    CU_ASSERT_EQUAL(r->reports[0].status, MP_STATUS_READ_WRITE);
    CU_ASSERT_TRUE(r->reports[0].is_leader); /* marked by TryToLeader */
    CU_ASSERT_STRING_EQUAL(r->reports[0].vol_name, "vol1");
}

static void test_mn_heartbeat_and_kill9_restart(void)
{
    struct mn_heartbeat_resp r = {0};
    size_t before;
    int status;

    mn_heartbeat(&r);
    check_mn_report(&r);
    jc_free(mn_heartbeat_resp_fields, &r);

    before = mock_master_count(master, "/metaNode/add");
    status = proc_stop(mn.pid, SIGKILL, WAIT_MS);
    CU_ASSERT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    start_node(&mn, before + 1);
    memset(&r, 0, sizeof(r));
    mn_heartbeat(&r);
    check_mn_report(&r);
    jc_free(mn_heartbeat_resp_fields, &r);
}

/* ---- shutdown ---------------------------------------------------------------------------- */

static void test_sigterm_exits_zero(void)
{
    int status = proc_stop(dn.pid, SIGTERM, WAIT_MS);

    CU_ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    dn.pid = 0;
    status = proc_stop(mn.pid, SIGTERM, WAIT_MS);
    CU_ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    mn.pid = 0;
}

static const struct test_case cases[] = {
    {"dn_registration_is_retried", test_dn_registration_is_retried},
    {"dn_create_replies_like_cubefs", test_dn_create_replies_like_cubefs},
    {"dn_members_and_leader", test_dn_members_and_leader},
    {"dn_delete", test_dn_delete},
    {"dn_heartbeat_reports_real_figures", test_dn_heartbeat_reports_real_figures},
    {"dn_load_posts_file_crcs", test_dn_load_posts_file_crcs},
    {"dn_survives_garbage", test_dn_survives_garbage},
    {"dn_unknown_opcode", test_dn_unknown_opcode},
    {"dn_kill9_restart_keeps_partitions", test_dn_kill9_restart_keeps_partitions},
    {"mn_registers_and_creates", test_mn_registers_and_creates},
    {"mn_load_update_members", test_mn_load_update_members},
    {"mn_heartbeat_and_kill9_restart", test_mn_heartbeat_and_kill9_restart},
    {"sigterm_exits_zero", test_sigterm_exits_zero},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"node_agents", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* a node that drops a connection mid-write must not kill us */
    return test_run(argc, argv, suites);
}
