#define LOG_TAG "api"

#include "common/clock.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/core/master.h"
#include "master/raft/raft_node.h"

#include <stdio.h>
#include <string.h>

/* ClusterInfo as /admin/getIp answers it (v3.5 field set). */
struct cluster_info {
    char cluster[STORE_NAME_SIZE];
    char ip[64];
    uint64_t meta_node_delete_batch_count;
    uint64_t meta_node_delete_worker_sleep_ms;
    uint64_t data_node_delete_limit_rate;
    uint64_t data_node_auto_repair_limit_rate;
};

static const struct jc_field cluster_info_fields[] = {
    JC_F(struct cluster_info, cluster, "Cluster", JC_STR, 0),
    JC_F(struct cluster_info, ip, "Ip", JC_STR, 0),
    JC_F(struct cluster_info, meta_node_delete_batch_count, "MetaNodeDeleteBatchCount", JC_U64, 0),
    JC_F(struct cluster_info, meta_node_delete_worker_sleep_ms, "MetaNodeDeleteWorkerSleepMs",
         JC_U64, 0),
    JC_F(struct cluster_info, data_node_delete_limit_rate, "DataNodeDeleteLimitRate", JC_U64, 0),
    JC_F(struct cluster_info, data_node_auto_repair_limit_rate, "DataNodeAutoRepairLimitRate",
         JC_U64, 0),
    JC_CONST("DpMaxRepairErrCnt", JC_EMIT_ZERO),
    JC_CONST("EbsAddr", JC_EMIT_EMPTY_STR),
    JC_CONST("ServicePath", JC_EMIT_EMPTY_STR),
    JC_CONST("ClusterUuid", JC_EMIT_EMPTY_STR),
    JC_CONST("ClusterUuidEnable", JC_EMIT_FALSE),
    JC_CONST("ClusterEnableSnapshot", JC_EMIT_FALSE),
    JC_CONST("RaftPartitionCanUsingDifferentPort", JC_EMIT_FALSE),
    JC_END,
};

/* The cluster record as stored, or defaults when the first leader has not written it yet. */
static void load_cluster(struct master *m, struct store_cluster *c)
{
    struct store_txn *t;

    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", m->cfg.cluster_name);
    c->meta_node_threshold = 0.75f;
    if (store_read_begin(m->store, &t) == 0) {
        store_get_cluster(t, c);
        store_txn_end(t);
    }
}

static void get_ip(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct store_cluster c;
    struct cluster_info info = {0};

    load_cluster(m, &c);
    snprintf(info.cluster, sizeof(info.cluster), "%s", c.name);
    snprintf(info.ip, sizeof(info.ip), "%s", http_req_remote_ip(r));
    info.meta_node_delete_batch_count = c.meta_node_delete_batch_count;
    info.meta_node_delete_worker_sleep_ms = c.meta_node_delete_worker_sleep_ms;
    info.data_node_delete_limit_rate = c.data_node_delete_limit_rate;
    info.data_node_auto_repair_limit_rate = c.data_node_auto_repair_limit_rate;
    http_req_reply_ok(r, jc_encode(cluster_info_fields, &info));
}

/* Basic ClusterView; only the ready leader answers it (followers redirect), which is what
 * clients and tests use to find the leader. */
static void get_cluster(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct store_cluster c;
    char leader[MASTER_ADDR_SIZE];

    load_cluster(m, &c);
    master_leader_http_addr(m, leader, sizeof(leader));
    http_req_reply_ok(r, json_pack("{s:s,s:s,s:b,s:f,s:I,s:[],s:[],s:[]}", "Name", c.name,
                                   "LeaderAddr", leader, "DisableAutoAlloc", c.disable_auto_alloc,
                                   "MetaNodeThreshold", (double)c.meta_node_threshold, "Applied",
                                   (json_int_t)store_applied_index(m->store), "MasterNodes",
                                   "MetaNodes", "DataNodes"));
}

static const struct http_route routes[] = {
    {"/admin/getIp", HTTP_GET | HTTP_POST, ROUTE_ANY_MASTER, get_ip},
    {"/admin/getCluster", HTTP_GET, 0, get_cluster},
};

static void cluster_created_cb(void *arg, int rv, const struct fsm_result *res)
{
    (void)arg;
    if (rv != 0) {
        log_warn("writing the cluster record: %s", errors_strerror(rv));
    } else if (res->code != API_SUCCESS) {
        log_error("the cluster record was refused: %s", res->msg);
    }
}

/* The first leader of a new cluster writes the cluster record (name, creation time, defaults).
 * The precondition makes a racing leader with another clusterName fail instead of renaming. */
static int cluster_leader_start(struct master *m, char *errmsg)
{
    struct store_cluster c;
    struct store_txn *t;
    struct fsm_cmd cmd = {0};
    int rv = store_read_begin(m->store, &t);

    if (rv != 0) {
        errors_set(errmsg, "reading the store: %s", errors_strerror(rv));
        return rv;
    }
    rv = store_get_cluster(t, &c);
    store_txn_end(t);
    if (rv != CFS_ENOTFOUND) {
        return rv;
    }
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", m->cfg.cluster_name);
    c.create_time = clock_wall_s();
    c.meta_node_threshold = 0.75f;
    c.max_dp_cnt_limit = 3000;
    c.max_mp_cnt_limit = 300;
    cmd.batch = store_batch_new();
    rv = cmd.batch != NULL ? store_batch_put_cluster(cmd.batch, &c) : -ENOMEM;
    if (rv == 0) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_CLUSTER_NAME, 0, m->cfg.cluster_name);
    }
    if (rv == 0) {
        rv = raft_node_propose(m->raft, &cmd, m->cfg.raft_commit_timeout_ms, cluster_created_cb,
                               NULL);
    }
    fsm_cmd_clear(&cmd);
    if (rv != 0) {
        errors_set(errmsg, "writing the cluster record: %s", errors_strerror(rv));
    }
    return rv;
}

const struct api_group api_cluster_group = {
    routes,
    sizeof(routes) / sizeof(routes[0]),
    cluster_leader_start,
    NULL,
};
