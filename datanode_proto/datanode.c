/* cfs-datanode: the data-node agent. The shared runtime (admin_task/node_agent.h) registers with
 * the masters, serves task packets and posts responses; this file maps each data-node opcode onto
 * dn_store.
 *
 * Happy path: sync tasks (create, delete, add/remove raft member, try-to-leader) answer in the
 * reply packet, OpOk with the disk path for a create; async tasks (heartbeat, load) are acked
 * OpOk and the runtime posts their Response afterwards.
 * Failure modes: a sync task that fails answers OpErr with "<action>_<message>", as a CubeFS data
 * node does ("createDataPartition_no space left on any disk"); a load of an unknown partition is
 * acked and posts a failed Response (Status 2, Result = why); an unknown opcode answers OpErr.
 * Every change is durable before its reply is sent, so there is nothing to flush at shutdown and
 * a kill -9 loses no acknowledged task. */
#define LOG_TAG "datanode"

#include "admin_task/node_agent.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "datanode_proto/dn_bodies.h"
#include "datanode_proto/dn_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dn_config {
    struct node_agent_config agent;
    uint32_t ndisks;
    char disks[DN_STORE_MAX_DISKS][TASK_PATH_SIZE + 24]; /* "path:reservedBytes" */
};

static const struct jc_field config_fields[] = {
    NODE_AGENT_CONFIG_FIELDS(struct dn_config, agent),
    CONFIG_LIST(struct dn_config, disks, ndisks, "disks", JC_STR, JC_REQUIRED),
    JC_END,
};

struct datanode {
    struct dn_store *store;
    int64_t start_time;
};

static int create_dp(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;
    struct dn_create_dp_req req = {0};
    const char *disk;
    int rv;

    (void)a;
    rv = node_agent_decode_request(t, dn_create_dp_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = dn_store_create(dn->store, &req, clock_wall_s(), &disk, errmsg);
    }
    if (rv == 0) {
        log_info("created data partition %" PRIu64 " of %s on %s", req.partition_id, req.volume_id,
                 disk);
        rv = node_agent_reply_text(reply, OP_OK, disk);
    }
    return rv;
}

static int delete_dp(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;
    struct dn_delete_dp_req req = {0};
    int rv;

    (void)a;
    (void)reply;
    rv = node_agent_decode_request(t, dn_delete_dp_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = dn_store_delete(dn->store, req.partition_id, errmsg);
    }
    if (rv == 0) {
        log_info("deleted data partition %" PRIu64, req.partition_id);
    }
    return rv;
}

static int load_dp(void *arg, struct node_agent *a, const struct admin_task *t,
                   struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;
    struct dn_load_dp_req req = {0};
    struct dn_load_dp_resp resp = {0};
    char why[ERRMSG_SIZE];
    int rv;

    (void)a;
    rv = node_agent_decode_request(t, dn_load_dp_req_fields, &req, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* The master waits for the posted answer, so a failure travels there, not in the ack. */
    if (dn_store_load(dn->store, req.partition_id, &resp, why) != 0) {
        resp.partition_id = req.partition_id;
        resp.status = TASK_FAILED;
        snprintf(resp.result, sizeof(resp.result), "%s", why);
    }
    rv = node_agent_set_response(reply, dn_load_dp_resp_fields, &resp, errmsg);
    jc_free(dn_load_dp_resp_fields, &resp);
    return rv;
}

static int heartbeat(void *arg, struct node_agent *a, const struct admin_task *t,
                     struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;
    struct dn_heartbeat_resp resp = {0};
    char why[ERRMSG_SIZE];
    int rv;

    (void)t;
    if (dn_store_heartbeat(dn->store, node_agent_addr(a), &resp, why) == 0) {
        resp.status = TASK_SUCCEEDS;
    } else {
        resp.status = TASK_FAILED;
        snprintf(resp.result, sizeof(resp.result), "%s", why);
    }
    snprintf(resp.zone_name, sizeof(resp.zone_name), "%s", node_agent_zone(a));
    resp.start_time = dn->start_time;
    rv = node_agent_set_response(reply, dn_heartbeat_resp_fields, &resp, errmsg);
    jc_free(dn_heartbeat_resp_fields, &resp);
    return rv;
}

/* Add and remove raft member: the opcode says which. */
static int change_member(void *arg, struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;
    bool add = t->opcode == OP_ADD_DATA_PARTITION_RAFT_MEMBER;
    struct dn_raft_member_req req = {0};
    int rv;

    (void)a;
    (void)reply;
    rv = node_agent_decode_request(
        t, add ? dn_add_raft_member_req_fields : dn_remove_raft_member_req_fields, &req, errmsg);
    if (rv == 0) {
        rv = add ? dn_store_add_member(dn->store, req.partition_id, &req.peer, errmsg)
                 : dn_store_remove_member(dn->store, req.partition_id, &req.peer, errmsg);
    }
    return rv;
}

/* TryToLeader has a null Request: the partition is the task's. */
static int try_to_leader(void *arg, struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply, char *errmsg)
{
    struct datanode *dn = arg;

    (void)a;
    (void)reply;
    return dn_store_mark_leader(dn->store, t->partition_id, errmsg);
}

/* CubeFS's action names (datanode/wrap_operator.go), the prefix of its error replies. */
static const struct node_agent_handler handlers[] = {
    {OP_CREATE_DATA_PARTITION, "createDataPartition", create_dp},
    {OP_DELETE_DATA_PARTITION, "deleteDataPartition", delete_dp},
    {OP_LOAD_DATA_PARTITION, "loadDataPartition", load_dp},
    {OP_DATA_NODE_HEARTBEAT, "dataNodeHeartbeat", heartbeat},
    {OP_ADD_DATA_PARTITION_RAFT_MEMBER, "addDataPartitionRaftMember", change_member},
    {OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, "removeDataPartitionRaftMember", change_member},
    {OP_DATA_PARTITION_TRY_TO_LEADER, "dataPartitionTryToLeader", try_to_leader},
};

static void handle(void *arg, struct node_agent *a, const struct admin_task *t,
                   struct node_agent_reply *reply)
{
    node_agent_dispatch(handlers, sizeof(handlers) / sizeof(handlers[0]), arg, a, t, reply);
}

int main(int argc, char **argv)
{
    static struct dn_config cfg;
    struct dn_disk_conf disks[DN_STORE_MAX_DISKS];
    struct datanode dn = {0};
    struct node_agent_ops ops = {.role = "dataNode", .handle = handle};
    char errmsg[ERRMSG_SIZE] = "";
    int rv = 0;

    node_agent_config_default(&cfg.agent);
    node_agent_main_init(argc, argv, "cfs-datanode", config_fields, &cfg, &cfg.agent);
    for (uint32_t i = 0; i < cfg.ndisks && rv == 0; i++) {
        rv = dn_store_parse_disk(cfg.disks[i], &disks[i], errmsg);
    }
    if (rv == 0) {
        rv = dn_store_open(disks, cfg.ndisks, &dn.store, errmsg);
    }
    if (rv == 0) {
        log_info("data node %s:%u: %zu partitions on %u disks", cfg.agent.local_ip,
                 cfg.agent.listen, dn_store_count(dn.store), cfg.ndisks);
        dn.start_time = clock_wall_s();
        rv = node_agent_run(&cfg.agent, &ops, &dn, errmsg);
    }
    dn_store_close(dn.store);
    if (rv != 0) {
        log_error("cfs-datanode: %s", errmsg);
        fprintf(stderr, "cfs-datanode: %s\n", errmsg);
        return 1;
    }
    log_info("cfs-datanode stopped");
    return 0;
}
