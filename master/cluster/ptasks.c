#define LOG_TAG "ptasks"

#include "master/cluster/ptasks.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/log.h"
#include "datanode_proto/dn_bodies.h"
#include "master/core/fanout.h"
#include "master/core/master.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Build the task for host, send it, and keep the reply when the caller wants its data. */
static int send_task(struct master *m, uint8_t opcode, const char *host, uint64_t pid,
                     const struct jc_field *fields, const void *req, struct packet *reply,
                     char *errmsg)
{
    struct admin_task t;
    struct packet tmp = {0};
    json_t *body = NULL;
    int rv;

    if (fields != NULL) {
        body = jc_encode(fields, req);
        if (body == NULL) {
            errors_set(errmsg, "out of memory");
            return -ENOMEM;
        }
    }
    rv = admin_task_init(&t, opcode, host, pid, body, clock_wall_s());
    if (rv != 0) {
        errors_set(errmsg, "%s: bad node address", host);
        return rv;
    }
    rv = task_manager_send_sync(m->tasks, &t, &tmp, errmsg);
    admin_task_clear(&t);
    if (rv == 0 && reply != NULL) {
        *reply = tmp;
    } else {
        packet_clear(&tmp);
    }
    if (rv != 0) {
        log_warn("%s %s partition %" PRIu64 ": %s", packet_opcode_name(opcode), host, pid, errmsg);
    }
    return rv;
}

static void copy_peers(struct task_peer *dst, uint32_t *n, const struct store_peer *src,
                       uint32_t count)
{
    *n = count < TASK_MAX_MEMBERS ? count : TASK_MAX_MEMBERS;
    for (uint32_t i = 0; i < *n; i++) {
        dst[i].id = src[i].id;
        snprintf(dst[i].addr, sizeof(dst[i].addr), "%s", src[i].addr);
    }
}

int ptasks_create_dp(struct master *m, const struct store_dp *dp, const char *host,
                     int32_t create_type, char *disk_path, char *errmsg)
{
    struct dn_create_dp_req req = {0};
    struct packet reply = {0};
    int rv;

    req.partition_id = dp->id;
    req.partition_size = dp->size;
    snprintf(req.volume_id, sizeof(req.volume_id), "%s", dp->vol_name);
    copy_peers(req.members, &req.nmembers, dp->peers, dp->npeers);
    req.nhosts = dp->nhosts < TASK_MAX_MEMBERS ? dp->nhosts : TASK_MAX_MEMBERS;
    for (uint32_t i = 0; i < req.nhosts; i++) {
        snprintf(req.hosts[i], sizeof(req.hosts[i]), "%s", dp->hosts[i]);
    }
    req.create_type = create_type;
    req.replica_num = dp->replica_num;
    rv = send_task(m, OP_CREATE_DATA_PARTITION, host, dp->id, dn_create_dp_req_fields, &req, &reply,
                   errmsg);
    if (rv == 0) {
        /* The node answers with the disk it chose. */
        snprintf(disk_path, STORE_PATH_SIZE, "%.*s", (int)reply.size,
                 reply.data != NULL ? (const char *)reply.data : "");
        packet_clear(&reply);
    }
    return rv;
}

int ptasks_delete_dp(struct master *m, uint64_t dp_id, const char *host, char *errmsg)
{
    struct dn_delete_dp_req req = {.partition_id = dp_id};

    return send_task(m, OP_DELETE_DATA_PARTITION, host, dp_id, dn_delete_dp_req_fields, &req, NULL,
                     errmsg);
}

int ptasks_dp_member(struct master *m, uint64_t dp_id, const char *to, bool add,
                     const struct store_peer *peer, char *errmsg)
{
    struct dn_raft_member_req req = {.partition_id = dp_id};

    req.peer.id = peer->id;
    snprintf(req.peer.addr, sizeof(req.peer.addr), "%s", peer->addr);
    return send_task(
        m, add ? OP_ADD_DATA_PARTITION_RAFT_MEMBER : OP_REMOVE_DATA_PARTITION_RAFT_MEMBER, to,
        dp_id, add ? dn_add_raft_member_req_fields : dn_remove_raft_member_req_fields, &req, NULL,
        errmsg);
}

int ptasks_dp_try_leader(struct master *m, uint64_t dp_id, const char *host, char *errmsg)
{
    return send_task(m, OP_DATA_PARTITION_TRY_TO_LEADER, host, dp_id, NULL, NULL, NULL, errmsg);
}

int ptasks_create_mp(struct master *m, const struct store_mp *mp, const char *host, char *errmsg)
{
    struct mn_create_mp_req req = {0};

    snprintf(req.vol_name, sizeof(req.vol_name), "%s", mp->vol_name);
    req.start = mp->start;
    req.end = mp->end;
    req.partition_id = mp->id;
    copy_peers(req.members, &req.nmembers, mp->peers, mp->npeers);
    return send_task(m, OP_CREATE_META_PARTITION, host, mp->id, mn_create_mp_req_fields, &req, NULL,
                     errmsg);
}

int ptasks_delete_mp(struct master *m, uint64_t mp_id, const char *host, char *errmsg)
{
    struct mn_delete_mp_req req = {.partition_id = mp_id};

    return send_task(m, OP_DELETE_META_PARTITION, host, mp_id, mn_delete_mp_req_fields, &req, NULL,
                     errmsg);
}

int ptasks_mp_member(struct master *m, uint64_t mp_id, const char *to, bool add,
                     const struct store_peer *peer, char *errmsg)
{
    struct mn_raft_member_req req = {.partition_id = mp_id};

    req.peer.id = peer->id;
    snprintf(req.peer.addr, sizeof(req.peer.addr), "%s", peer->addr);
    return send_task(
        m, add ? OP_ADD_META_PARTITION_RAFT_MEMBER : OP_REMOVE_META_PARTITION_RAFT_MEMBER, to,
        mp_id, add ? mn_add_raft_member_req_fields : mn_remove_raft_member_req_fields, &req, NULL,
        errmsg);
}

int ptasks_mp_try_leader(struct master *m, uint64_t mp_id, const char *host, char *errmsg)
{
    return send_task(m, OP_META_PARTITION_TRY_TO_LEADER, host, mp_id, NULL, NULL, NULL, errmsg);
}

int ptasks_load_mp(struct master *m, uint64_t mp_id, const char *host, struct mn_load_mp_resp *out,
                   char *errmsg)
{
    struct mn_load_mp_req req = {.partition_id = mp_id};
    struct mn_load_mp_resp resp = {0};
    struct packet reply = {0};
    int rv;

    rv = send_task(m, OP_LOAD_META_PARTITION, host, mp_id, mn_load_mp_req_fields, &req, &reply,
                   errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = jc_decode_text(reply.data != NULL ? (const char *)reply.data : "", reply.size,
                        mn_load_mp_resp_fields, &resp, errmsg);
    packet_clear(&reply);
    if (rv != 0) {
        errors_prefix(errmsg, "%s: load reply", host);
        return rv;
    }
    *out = resp;
    return 0;
}

/* One parallel job per host. */
struct create_job {
    struct master *m;
    const struct store_dp *dp;
    const struct store_mp *mp;
    const char *host;
    struct ptasks_result *res;
};

static void create_job_run(void *arg)
{
    struct create_job *j = arg;

    j->res->errmsg[0] = '\0';
    j->res->disk_path[0] = '\0';
    j->res->rv = j->dp != NULL ? ptasks_create_dp(j->m, j->dp, j->host, PTASKS_CREATE_NEW,
                                                  j->res->disk_path, j->res->errmsg)
                               : ptasks_create_mp(j->m, j->mp, j->host, j->res->errmsg);
}

static uint32_t create_all(struct master *m, const struct store_dp *dp, const struct store_mp *mp,
                           const char (*hosts)[STORE_ADDR_SIZE], uint32_t n,
                           struct ptasks_result *res)
{
    struct create_job jobs[STORE_MAX_HOSTS];
    uint32_t ok = 0;

    for (uint32_t i = 0; i < n; i++) {
        jobs[i] = (struct create_job){m, dp, mp, hosts[i], &res[i]};
    }
    fanout_run(create_job_run, jobs, sizeof(jobs[0]), n);
    for (uint32_t i = 0; i < n; i++) {
        ok += res[i].rv == 0;
    }
    return ok;
}

uint32_t ptasks_create_dp_all(struct master *m, const struct store_dp *dp,
                              struct ptasks_result *res)
{
    return create_all(m, dp, NULL, dp->hosts, dp->nhosts, res);
}

uint32_t ptasks_create_mp_all(struct master *m, const struct store_mp *mp,
                              struct ptasks_result *res)
{
    return create_all(m, NULL, mp, mp->hosts, mp->nhosts, res);
}

void ptasks_queue_delete(struct master *m, bool data, uint64_t partition_id, const char *host)
{
    struct dn_delete_dp_req dreq = {.partition_id = partition_id};
    struct mn_delete_mp_req mreq = {.partition_id = partition_id};
    char errmsg[ERRMSG_SIZE] = "";
    struct admin_task t;
    json_t *body = data ? jc_encode(dn_delete_dp_req_fields, &dreq)
                        : jc_encode(mn_delete_mp_req_fields, &mreq);

    if (body == NULL ||
        admin_task_init(&t, data ? OP_DELETE_DATA_PARTITION : OP_DELETE_META_PARTITION, host,
                        partition_id, body, clock_wall_s()) != 0) {
        log_error("cannot queue the delete of partition %" PRIu64 " on %s", partition_id, host);
        return;
    }
    if (task_manager_add(m->tasks, &t, NULL, errmsg) != 0) {
        log_error("cannot queue the delete of partition %" PRIu64 " on %s: %s", partition_id, host,
                  errmsg);
    }
}

static void cleanup(struct master *m, bool data, uint64_t pid, const char (*hosts)[STORE_ADDR_SIZE],
                    uint32_t n, const struct ptasks_result *res)
{
    char errmsg[ERRMSG_SIZE];

    for (uint32_t i = 0; i < n; i++) {
        if (res[i].rv != 0) {
            continue;
        }
        if ((data ? ptasks_delete_dp(m, pid, hosts[i], errmsg)
                  : ptasks_delete_mp(m, pid, hosts[i], errmsg)) != 0) {
            ptasks_queue_delete(m, data, pid, hosts[i]);
        }
    }
}

void ptasks_cleanup_dp(struct master *m, const struct store_dp *dp, const struct ptasks_result *res)
{
    cleanup(m, true, dp->id, dp->hosts, dp->nhosts, res);
}

void ptasks_cleanup_mp(struct master *m, const struct store_mp *mp, const struct ptasks_result *res)
{
    cleanup(m, false, mp->id, mp->hosts, mp->nhosts, res);
}

void ptasks_summarize(const struct ptasks_result *res, const char (*hosts)[STORE_ADDR_SIZE],
                      uint32_t n, char *errmsg)
{
    size_t off = 0;

    errmsg[0] = '\0';
    for (uint32_t i = 0; i < n && off < ERRMSG_SIZE; i++) {
        if (res[i].rv == 0) {
            continue;
        }
        /* The pool's and the node's messages already start with the address. */
        off += (size_t)snprintf(errmsg + off, ERRMSG_SIZE - off, "%s%s", off > 0 ? "; " : "",
                                res[i].errmsg[0] != '\0' ? res[i].errmsg : hosts[i]);
    }
}
