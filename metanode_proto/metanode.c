/* cfs-metanode: the meta-node agent. The shared runtime (admin_task/node_agent.h) registers with
 * the masters, serves task packets and posts responses; this file maps each meta-node opcode onto
 * mn_store.
 *
 * Happy path: sync tasks (create, delete, load, add/remove raft member, try-to-leader) answer in
 * the reply packet, OpOk with the load response JSON for a load; async tasks (heartbeat, update)
 * are acked OpOk and the runtime posts their Response afterwards, with "Request": null as a CubeFS
 * meta node posts it (spec 3.6).
 * Failure modes: a sync task that fails answers OpErr with the error text, as a CubeFS meta node
 * does; an update that fails is acked and posts a failed Response (Status 2, Result = why); an
 * unknown opcode answers OpErr. Every change is durable before its reply is sent, so there is
 * nothing to flush at shutdown and a kill -9 loses no acknowledged task. */
#define LOG_TAG "metanode"

#include "admin_task/node_agent.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "metanode_proto/mn_bodies.h"
#include "metanode_proto/mn_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mn_config {
    struct node_agent_config agent;
    uint64_t total_mem;                /* totalMem: bytes this node may use for metadata */
    char metadata_dir[TASK_PATH_SIZE]; /* metadataDir */
};

static const struct jc_field config_fields[] = {
    NODE_AGENT_CONFIG_FIELDS(struct mn_config, agent),
    CONFIG_F(struct mn_config, total_mem, "totalMem", JC_U64, JC_REQUIRED),
    CONFIG_F(struct mn_config, metadata_dir, "metadataDir", JC_STR, JC_REQUIRED),
    JC_END,
};

struct metanode {
    struct mn_store *store;
    uint64_t total_mem;
};

/* Resident set size from /proc/self/statm (pages), what CubeFS reports as Used; 0 with a log
 * line when it cannot be read. */
static uint64_t process_rss(void)
{
    unsigned long long size = 0;
    unsigned long long resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "r");
    int n = 0;

    if (f != NULL) {
        n = fscanf(f, "%llu %llu", &size, &resident);
        fclose(f);
    }
    if (n != 2 || page <= 0) {
        log_warn("cannot read /proc/self/statm: reporting 0 bytes used");
        return 0;
    }
    return (uint64_t)resident * (uint64_t)page;
}

static int create_mp(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    struct mn_create_mp_req req = {0};
    int rv;

    (void)a;
    (void)reply;
    rv = node_agent_decode_request(t, mn_create_mp_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = mn_store_create(mn->store, &req, clock_wall_s(), errmsg);
    }
    if (rv == 0) {
        log_info("meta partition %" PRIu64 " of %s holds inodes [%" PRIu64 ", %" PRIu64 "]",
                 req.partition_id, req.vol_name, req.start, req.end);
    }
    return rv;
}

static int delete_mp(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    struct mn_delete_mp_req req = {0};
    int rv;

    (void)a;
    (void)reply;
    rv = node_agent_decode_request(t, mn_delete_mp_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = mn_store_delete(mn->store, req.partition_id, errmsg);
    }
    if (rv == 0) {
        log_info("deleted meta partition %" PRIu64, req.partition_id);
    }
    return rv;
}

static int update_mp(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    struct mn_update_mp_req req = {0};
    struct mn_update_mp_resp resp = {0};
    char why[ERRMSG_SIZE];
    int rv;

    (void)a;
    rv = node_agent_decode_request(t, mn_update_mp_req_fields, &req, errmsg);
    if (rv != 0) {
        return rv;
    }
    resp.partition_id = req.partition_id;
    resp.end = req.end;
    strcpy(resp.vol_name, req.vol_name);
    /* The master reads the outcome from the posted answer, not from the ack. */
    if (mn_store_update_end(mn->store, req.partition_id, req.end, why) == 0) {
        resp.status = TASK_SUCCEEDS;
        log_info("meta partition %" PRIu64 " now ends at %" PRIu64, req.partition_id, req.end);
    } else {
        resp.status = TASK_FAILED;
        snprintf(resp.result, sizeof(resp.result), "%s", why);
    }
    return node_agent_set_response(reply, mn_update_mp_resp_fields, &resp, errmsg);
}

/* Load is sync: the answer is the reply's data. */
static int load_mp(void *arg, struct node_agent *a, const struct admin_task *t,
                   struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    struct mn_load_mp_req req = {0};
    struct mn_load_mp_resp resp = {0};
    char *text;
    size_t len;
    int rv;

    rv = node_agent_decode_request(t, mn_load_mp_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = mn_store_load(mn->store, req.partition_id, node_agent_addr(a), &resp, errmsg);
    }
    if (rv == 0) {
        rv = jc_encode_text(mn_load_mp_resp_fields, &resp, &text, &len);
        if (rv != 0) {
            errors_set(errmsg, "encode load response: %s", errors_strerror(rv));
        }
    }
    if (rv == 0) {
        reply->data = text;
        reply->size = (uint32_t)len;
    }
    return rv;
}

static int heartbeat(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    struct mn_heartbeat_resp resp = {0};
    char why[ERRMSG_SIZE];
    int rv;

    (void)t;
    resp.total = mn->total_mem;
    resp.used = process_rss();
    if (mn_store_heartbeat(mn->store, node_agent_addr(a), resp.used, resp.total, &resp, why) == 0) {
        resp.status = TASK_SUCCEEDS;
    } else {
        resp.status = TASK_FAILED;
        snprintf(resp.result, sizeof(resp.result), "%s", why);
    }
    snprintf(resp.zone_name, sizeof(resp.zone_name), "%s", node_agent_zone(a));
    rv = node_agent_set_response(reply, mn_heartbeat_resp_fields, &resp, errmsg);
    jc_free(mn_heartbeat_resp_fields, &resp);
    return rv;
}

/* Add and remove raft member: the opcode says which. */
static int change_member(void *arg, struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;
    bool add = t->opcode == OP_ADD_META_PARTITION_RAFT_MEMBER;
    struct mn_raft_member_req req = {0};
    int rv;

    (void)a;
    (void)reply;
    rv = node_agent_decode_request(
        t, add ? mn_add_raft_member_req_fields : mn_remove_raft_member_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = add ? mn_store_add_member(mn->store, req.partition_id, &req.peer, errmsg)
                 : mn_store_remove_member(mn->store, req.partition_id, &req.peer, errmsg);
    }
    return rv;
}

/* TryToLeader has a null Request: the partition is the task's. */
static int try_to_leader(void *arg, struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply, char *errmsg)
{
    struct metanode *mn = arg;

    (void)a;
    (void)reply;
    return mn_store_mark_leader(mn->store, t->partition_id, errmsg);
}

/* A CubeFS meta node answers a failed task with the bare error text (no action prefix). */
static const struct node_agent_handler handlers[] = {
    {OP_CREATE_META_PARTITION, NULL, create_mp},
    {OP_DELETE_META_PARTITION, NULL, delete_mp},
    {OP_UPDATE_META_PARTITION, NULL, update_mp},
    {OP_LOAD_META_PARTITION, NULL, load_mp},
    {OP_META_NODE_HEARTBEAT, NULL, heartbeat},
    {OP_ADD_META_PARTITION_RAFT_MEMBER, NULL, change_member},
    {OP_REMOVE_META_PARTITION_RAFT_MEMBER, NULL, change_member},
    {OP_META_PARTITION_TRY_TO_LEADER, NULL, try_to_leader},
};

static void handle(void *arg, struct node_agent *a, const struct admin_task *t,
                   struct node_agent_reply *reply)
{
    node_agent_dispatch(handlers, sizeof(handlers) / sizeof(handlers[0]), arg, a, t, reply);
}

int main(int argc, char **argv)
{
    static struct mn_config cfg;
    struct metanode mn = {0};
    struct node_agent_ops ops = {.role = "metaNode", .post_null_request = true, .handle = handle};
    char errmsg[ERRMSG_SIZE] = "";
    int rv = 0;

    node_agent_config_default(&cfg.agent);
    node_agent_main_init(argc, argv, "cfs-metanode", config_fields, &cfg, &cfg.agent);
    if (cfg.total_mem == 0) {
        errors_set(errmsg, "totalMem must be above 0");
        rv = -EINVAL;
    }
    if (rv == 0) {
        rv = mn_store_open(cfg.metadata_dir, &mn.store, errmsg);
    }
    if (rv == 0) {
        log_info("meta node %s:%u: %zu partitions in %s", cfg.agent.local_ip, cfg.agent.listen,
                 mn_store_count(mn.store), cfg.metadata_dir);
        mn.total_mem = cfg.total_mem;
        rv = node_agent_run(&cfg.agent, &ops, &mn, errmsg);
    }
    mn_store_close(mn.store);
    if (rv != 0) {
        log_error("cfs-metanode: %s", errmsg);
        fprintf(stderr, "cfs-metanode: %s\n", errmsg);
        return 1;
    }
    log_info("cfs-metanode stopped");
    return 0;
}
