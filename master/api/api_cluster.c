/* Cluster-wide routes: the cluster view and statistics, the cluster settings (freeze, meta-node
 * threshold, node info), and the topology (zones, nodesets).
 *
 * Reads are answered on the loop from one short store read transaction plus the leader's soft
 * state (topo: nodes and their last heartbeats; pstate: partition statuses). Every settings route
 * is the same operation on a worker: take the "cluster" lock, read the cluster record, change the
 * fields the request names, propose the record (one command, guarded by the cluster name), answer.
 * Only the ready leader serves them; /admin/getIp is served by every master. */
#define LOG_TAG "api"

#include "common/clock.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/cluster/cstat.h"
#include "master/cluster/node_ops.h"
#include "master/cluster/pstate.h"
#include "master/cluster/topo.h"
#include "master/cluster/vol_ops.h"
#include "master/core/locks.h"
#include "master/core/master.h"
#include "master/raft/raft_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_CLUSTER     "cluster"
#define LOCK_WAIT_MS     5000
#define DEFAULT_DP_LIMIT 3000 /* CubeFS's maxDpCntLimit; setting 0 restores it */
#define DEFAULT_MP_LIMIT 300
#define ZONE_STATUS_OK   "available"
#define NODE_SELECTOR    "CarryWeight" /* CubeFS's name for the carry pick placement uses */

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

/* NodeStatInfo (the cluster-wide sums). */
static const struct jc_field total_fields[] = {
    JC_F(struct cstat_total, total_gb, "TotalGB", JC_U64, 0),
    JC_F(struct cstat_total, used_gb, "UsedGB", JC_U64, 0),
    JC_F(struct cstat_total, increased_gb, "IncreasedGB", JC_I64, 0),
    JC_F(struct cstat_total, used_ratio, "UsedRatio", JC_STR, 0),
    JC_F(struct cstat_total, avail_gb, "AvailGB", JC_U64, 0),
    JC_END,
};

/* ZoneNodesStat. */
static const struct jc_field zone_stat_fields[] = {
    JC_F(struct cstat_zone, total_gb, "TotalGB", JC_DOUBLE, 0),
    JC_F(struct cstat_zone, used_gb, "UsedGB", JC_DOUBLE, 0),
    JC_F(struct cstat_zone, avail_gb, "AvailGB", JC_DOUBLE, 0),
    JC_F(struct cstat_zone, used_ratio, "UsedRatio", JC_DOUBLE, 0),
    JC_F(struct cstat_zone, total_nodes, "TotalNodes", JC_U32, 0),
    JC_F(struct cstat_zone, writable_nodes, "WritableNodes", JC_U32, 0),
    JC_END,
};

/* BadPartitionView: CubeFS groups partitions by the bad disk they sit on; here they are grouped
 * by what their status is, so Path names the status ("ReadOnly", "Unavailable"). */
struct bad_view {
    char path[16];
    uint64_t *ids;
    uint32_t nids;
};

static const struct jc_field bad_view_fields[] = {
    JC_F(struct bad_view, path, "Path", JC_STR, 0),
    JC_HARR(struct bad_view, ids, nids, "PartitionIDs", JC_U64, NULL, 0),
    JC_END,
};

/* ClusterView (v3.5 field set). Settings we do not implement carry v3.5's defaults. */
struct cluster_view {
    char name[STORE_NAME_SIZE];
    char create_time[24];
    char leader_addr[MASTER_ADDR_SIZE];
    bool disable_auto_alloc;
    float meta_node_threshold;
    uint64_t applied;
    uint64_t max_dp_id;
    uint64_t max_common_id;
    uint64_t max_mp_id;
    uint32_t vol_deletion_delay_hours;
    uint32_t gogc;
    uint32_t dp_meta_repair_parallel;
    char auto_decommission_interval[16];
    uint32_t decommission_limit;
    uint32_t decommission_disk_limit;
    char dp_repair_timeout[16];
    char dp_backup_timeout[16];
    char dp_timeout[16];
    char mp_timeout[16];
    uint32_t flash_read_timeout_ms;
    uint32_t flash_read_dn_timeout_ms;
    uint32_t flash_hot_key_miss_count;
    uint64_t flash_flow_limit;
    struct cstat_total data_stat;
    struct cstat_total meta_stat;
    json_t *vols; /* array of VolStatInfo */
    struct bad_view *bad_dps;
    uint32_t nbad_dps;
    struct bad_view *bad_mps;
    uint32_t nbad_mps;
    json_t *masters; /* arrays of NodeView */
    json_t *meta_nodes;
    json_t *data_nodes;
};

static const struct jc_field cluster_view_fields[] = {
    JC_F(struct cluster_view, name, "Name", JC_STR, 0),
    JC_F(struct cluster_view, create_time, "CreateTime", JC_STR, 0),
    JC_F(struct cluster_view, leader_addr, "LeaderAddr", JC_STR, 0),
    JC_F(struct cluster_view, disable_auto_alloc, "DisableAutoAlloc", JC_BOOL, 0),
    JC_CONST("ForbidMpDecommission", JC_EMIT_FALSE),
    JC_F(struct cluster_view, meta_node_threshold, "MetaNodeThreshold", JC_DOUBLE, 0),
    JC_F(struct cluster_view, applied, "Applied", JC_U64, 0),
    JC_F(struct cluster_view, max_dp_id, "MaxDataPartitionID", JC_U64, 0),
    JC_F(struct cluster_view, max_common_id, "MaxMetaNodeID", JC_U64, 0),
    JC_F(struct cluster_view, max_mp_id, "MaxMetaPartitionID", JC_U64, 0),
    JC_F(struct cluster_view, vol_deletion_delay_hours, "VolDeletionDelayTimeHour", JC_U32, 0),
    JC_F(struct cluster_view, gogc, "MetaNodeGOGC", JC_U32, 0),
    JC_F(struct cluster_view, gogc, "DataNodeGOGC", JC_U32, 0),
    JC_CONST("MarkDiskBrokenThreshold", JC_EMIT_ZERO),
    JC_CONST("EnableAutoDpMetaRepair", JC_EMIT_FALSE),
    JC_F(struct cluster_view, dp_meta_repair_parallel, "AutoDpMetaRepairParallelCnt", JC_U32, 0),
    JC_CONST("EnableAutoDecommission", JC_EMIT_FALSE),
    JC_F(struct cluster_view, auto_decommission_interval, "AutoDecommissionDiskInterval", JC_STR,
         0),
    JC_F(struct cluster_view, decommission_limit, "DecommissionFirstHostDiskParallelLimit", JC_U32,
         0),
    JC_F(struct cluster_view, decommission_limit, "DecommissionLimit", JC_U32, 0),
    JC_F(struct cluster_view, decommission_disk_limit, "DecommissionDiskLimit", JC_U32, 0),
    JC_F(struct cluster_view, dp_repair_timeout, "DpRepairTimeout", JC_STR, 0),
    JC_F(struct cluster_view, dp_backup_timeout, "DpBackupTimeout", JC_STR, 0),
    JC_F(struct cluster_view, dp_timeout, "DpTimeout", JC_STR, 0),
    JC_F(struct cluster_view, mp_timeout, "MpTimeout", JC_STR, 0),
    JC_OBJ(struct cluster_view, data_stat, "DataNodeStatInfo", total_fields, 0),
    JC_OBJ(struct cluster_view, meta_stat, "MetaNodeStatInfo", total_fields, 0),
    JC_F(struct cluster_view, vols, "VolStatInfo", JC_JSON, 0),
    JC_HARR(struct cluster_view, bad_dps, nbad_dps, "BadPartitionIDs", JC_OBJECT, bad_view_fields,
            0),
    JC_HARR(struct cluster_view, bad_mps, nbad_mps, "BadMetaPartitionIDs", JC_OBJECT,
            bad_view_fields, 0),
    JC_F(struct cluster_view, masters, "MasterNodes", JC_JSON, 0),
    JC_F(struct cluster_view, meta_nodes, "MetaNodes", JC_JSON, 0),
    JC_F(struct cluster_view, data_nodes, "DataNodes", JC_JSON, 0),
    JC_CONST("StatOfStorageClass", JC_EMIT_EMPTY_ARRAY),
    JC_CONST("StatMigrateStorageClass", JC_EMIT_EMPTY_ARRAY),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("LegacyDataMediaType", JC_EMIT_ZERO),
    JC_CONST("RaftPartitionCanUsingDifferentPortEnabled", JC_EMIT_FALSE),
    JC_CONST("FlashNodes", JC_EMIT_EMPTY_ARRAY),
    JC_F(struct cluster_view, flash_read_timeout_ms, "FlashNodeHandleReadTimeout", JC_U32, 0),
    JC_F(struct cluster_view, flash_read_dn_timeout_ms, "FlashNodeReadDataNodeTimeout", JC_U32, 0),
    JC_CONST("RemoteCacheTTL", JC_EMIT_ZERO),
    JC_CONST("RemoteCacheReadTimeout", JC_EMIT_ZERO),
    JC_CONST("RemoteCacheMultiRead", JC_EMIT_FALSE),
    JC_CONST("FlashNodeTimeoutCount", JC_EMIT_ZERO),
    JC_CONST("RemoteCacheSameZoneTimeout", JC_EMIT_ZERO),
    JC_CONST("RemoteCacheSameRegionTimeout", JC_EMIT_ZERO),
    JC_F(struct cluster_view, flash_hot_key_miss_count, "FlashHotKeyMissCount", JC_U32, 0),
    JC_F(struct cluster_view, flash_flow_limit, "FlashReadFlowLimit", JC_U64, 0),
    JC_F(struct cluster_view, flash_flow_limit, "FlashWriteFlowLimit", JC_U64, 0),
    JC_CONST("FlashKeyFlowLimit", JC_EMIT_ZERO),
    JC_CONST("RemoteClientFlowLimit", JC_EMIT_ZERO),
    JC_END,
};

/* --- shared reads ---------------------------------------------------------------------------- */

/* The cluster record as stored, or defaults when the first leader has not written it yet. */
static void load_cluster(struct master *m, struct store_cluster *c)
{
    struct store_txn *t;

    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", m->cfg.cluster_name);
    c->meta_node_threshold = 0.75f;
    c->max_dp_cnt_limit = DEFAULT_DP_LIMIT;
    c->max_mp_cnt_limit = DEFAULT_MP_LIMIT;
    if (store_read_begin(m->store, &t) == 0) {
        store_get_cluster(t, c);
        store_txn_end(t);
    }
}

static void reply_failure(struct http_req *r, const char *what, int rv)
{
    http_req_reply_error(r, API_INTERNAL_ERROR, "%s: %s", what, errors_strerror(rv));
}

/* --- /admin/getIp ---------------------------------------------------------------------------- */

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

/* --- /admin/getCluster ----------------------------------------------------------------------- */

struct vol_walk {
    struct master *m;
    json_t *list;
};

/* Volumes being deleted are left out; used space and inodes come from the last partition check. */
static int vol_stat_cb(const struct store_vol *v, void *arg)
{
    struct vol_walk *w = arg;
    struct pstate_vol pv = {0};

    if (v->status == VOL_STATUS_MARK_DELETE) {
        return 0;
    }
    pstate_vol(w->m->pstate, v->id, &pv);
    return json_array_append_new(w->list, vol_ops_stat_view(v, &pv, 3)) == 0 ? 0 : -ENOMEM;
}

/* Partitions that are not ReadWrite, grouped by status (ReadOnly, then Unavailable); groups
 * with no partition are left out. */
static int bad_views(struct master *m, bool data, struct bad_view **out, uint32_t *nout)
{
    size_t n = data ? pstate_bad_dps(m->pstate, NULL, 0) : pstate_bad_mps(m->pstate, NULL, 0);
    struct bad_view *views = calloc(2, sizeof(*views));
    uint64_t *ids = malloc((n > 0 ? n : 1) * sizeof(*ids));
    uint32_t nviews = 0;
    int rv = -ENOMEM;

    if (views == NULL || ids == NULL) {
        goto out;
    }
    n = data ? pstate_bad_dps(m->pstate, ids, n) : pstate_bad_mps(m->pstate, ids, n);
    snprintf(views[0].path, sizeof(views[0].path), "ReadOnly");
    snprintf(views[1].path, sizeof(views[1].path), "Unavailable");
    for (size_t i = 0; i < n; i++) {
        struct pstate_part p;
        struct bad_view *v;
        if ((data ? pstate_dp(m->pstate, ids[i], &p) : pstate_mp(m->pstate, ids[i], &p)) != 0) {
            continue;
        }
        v = &views[p.status == DP_STATUS_READ_ONLY ? 0 : 1];
        if (v->ids == NULL && (v->ids = malloc(n * sizeof(*v->ids))) == NULL) {
            goto out;
        }
        v->ids[v->nids++] = ids[i];
    }
    if (views[0].nids == 0) {
        views[0] = views[1];
        memset(&views[1], 0, sizeof(views[1]));
    }
    nviews = (views[0].nids > 0) + (views[1].nids > 0);
    *out = views;
    *nout = nviews;
    views = NULL;
    rv = 0;
out:
    if (views != NULL) {
        free(views[0].ids);
        free(views[1].ids);
    }
    free(views);
    free(ids);
    return rv;
}

/* Beyond CubeFS's NodeView: which master leads, and what the others are to Raft. */
static const char *master_role(const struct master *m, const struct raft_node_member *member)
{
    if (member->id == m->leader_id) {
        return "leader";
    }
    return member->role == RAFT_NODE_VOTER ? "follower" : raft_node_role_name(member->role);
}

/* MasterNodes from the Raft configuration, as node views of their HTTP addresses. Status: this
 * master (the leader answering) is up; another member is up when the leader heard from it
 * within the last election timeout. A master takes no partitions: with no capacity its view is
 * never writable. */
static int master_views(struct master *m, const struct node_ops_view_env *env, json_t *list)
{
    struct raft_node_member members[RAFT_NODE_MAX_MEMBERS];
    size_t n = raft_node_members(m->raft, members, RAFT_NODE_MAX_MEMBERS);
    uint64_t timeout = (uint64_t)m->cfg.tick_interval * m->cfg.election_tick;

    for (size_t i = 0; i < n && i < RAFT_NODE_MAX_MEMBERS; i++) {
        struct store_node rec = {.id = members[i].id};
        struct topo_node node = {.kind = TOPO_META, .id = members[i].id};
        struct node_ops_source src = {.rec = &rec, .node = &node};
        json_t *view;
        if (master_http_addr_of(m, members[i].id, rec.addr, sizeof(rec.addr)) != 0) {
            snprintf(rec.addr, sizeof(rec.addr), "%s", members[i].addr);
        }
        node.active =
            members[i].id == m->cfg.id ||
            (members[i].contact_ms != 0 && members[i].contact_ms + timeout >= env->now_ms);
        view = node_ops_node_view(&src, env);
        if (view == NULL ||
            json_object_set_new(view, "Role", json_string(master_role(m, &members[i]))) != 0) {
            json_decref(view);
            return -ENOMEM;
        }
        if (json_array_append_new(list, view) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* The nodes of one kind, sorted by address: their views into list, their sums into total. */
static int kind_views(struct master *m, struct store_txn *t, enum topo_kind kind,
                      const struct node_ops_view_env *env, json_t *list, struct cstat_total *total)
{
    struct topo_node *nodes = NULL;
    size_t n = 0;
    int rv = topo_copy_nodes(m->topo, kind, &nodes, &n);

    if (rv == 0) {
        cstat_total(nodes, n, total);
        rv = node_ops_append_views(t, nodes, n, env, list);
    }
    free(nodes);
    return rv;
}

static int fill_cluster_view(struct master *m, struct cluster_view *v)
{
    struct node_ops_view_env env;
    struct store_cluster c;
    struct vol_walk walk = {m, NULL};
    struct store_txn *t;
    int rv;

    load_cluster(m, &c);
    node_ops_view_env(m, &env);
    snprintf(v->name, sizeof(v->name), "%s", c.name);
    clock_format_wall(c.create_time, v->create_time, sizeof(v->create_time));
    master_leader_http_addr(m, v->leader_addr, sizeof(v->leader_addr));
    v->disable_auto_alloc = c.disable_auto_alloc;
    v->meta_node_threshold = c.meta_node_threshold;
    v->applied = store_applied_index(m->store);
    v->masters = json_array();
    v->meta_nodes = json_array();
    v->data_nodes = json_array();
    v->vols = walk.list = json_array();
    if (v->masters == NULL || v->meta_nodes == NULL || v->data_nodes == NULL || v->vols == NULL) {
        return -ENOMEM;
    }
    rv = store_read_begin(m->store, &t);
    if (rv != 0) {
        return rv;
    }
    store_get_counter(t, STORE_COUNTER_DP, &v->max_dp_id);
    store_get_counter(t, STORE_COUNTER_COMMON, &v->max_common_id);
    store_get_counter(t, STORE_COUNTER_MP, &v->max_mp_id);
    rv = store_foreach_vol(t, vol_stat_cb, &walk);
    if (rv == 0) {
        rv = kind_views(m, t, TOPO_DATA, &env, v->data_nodes, &v->data_stat);
    }
    if (rv == 0) {
        rv = kind_views(m, t, TOPO_META, &env, v->meta_nodes, &v->meta_stat);
    }
    store_txn_end(t);
    if (rv == 0) {
        rv = bad_views(m, true, &v->bad_dps, &v->nbad_dps);
    }
    if (rv == 0) {
        rv = bad_views(m, false, &v->bad_mps, &v->nbad_mps);
    }
    if (rv == 0) {
        rv = master_views(m, &env, v->masters);
    }
    return rv;
}

/* Only the ready leader answers (followers redirect), which is how clients and tests find it. */
static void get_cluster(struct http_req *r, void *arg)
{
    struct cluster_view v = {
        .vol_deletion_delay_hours = 48,
        .gogc = 100,
        .dp_meta_repair_parallel = 100,
        .auto_decommission_interval = "10s",
        .decommission_limit = 10,
        .decommission_disk_limit = 1,
        .dp_repair_timeout = "2h0m0s",
        .dp_backup_timeout = "168h0m0s",
        .dp_timeout = "5m0s",
        .mp_timeout = "1m0s",
        .flash_read_timeout_ms = 1000,
        .flash_read_dn_timeout_ms = 3000,
        .flash_hot_key_miss_count = 5,
        .flash_flow_limit = 2147483648ULL,
    };
    int rv = fill_cluster_view(arg, &v);

    if (rv != 0) {
        reply_failure(r, "building the cluster view", rv);
    } else {
        http_req_reply_ok(r, jc_encode(cluster_view_fields, &v));
    }
    jc_free(cluster_view_fields, &v);
}

/* --- /cluster/stat --------------------------------------------------------------------------- */

static json_t *zone_stats(const struct topo_summary *s, const struct placement_policy *policy)
{
    json_t *zones = json_object();

    for (size_t i = 0; zones != NULL && i < s->nzones; i++) {
        struct cstat_zone data, meta;
        json_t *z;
        cstat_zone(&s->zones[i], TOPO_DATA, policy, &data);
        cstat_zone(&s->zones[i], TOPO_META, policy, &meta);
        z = json_pack("{s:o,s:o}", "DataNodeStat", jc_encode(zone_stat_fields, &data),
                      "MetaNodeStat", jc_encode(zone_stat_fields, &meta));
        if (json_object_set_new(zones, s->zones[i].name, z) != 0) {
            json_decref(zones);
            zones = NULL;
        }
    }
    return zones;
}

static void cluster_stat(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct node_ops_view_env env;
    struct cstat_total totals[TOPO_KINDS];
    struct topo_summary s;
    int rv = 0;

    node_ops_view_env(m, &env);
    for (int kind = 0; rv == 0 && kind < TOPO_KINDS; kind++) {
        struct topo_node *nodes = NULL;
        size_t n = 0;
        rv = topo_copy_nodes(m->topo, (enum topo_kind)kind, &nodes, &n);
        cstat_total(nodes, n, &totals[kind]);
        free(nodes);
    }
    if (rv == 0) {
        rv = topo_summarize(m->topo, &s);
    }
    if (rv != 0) {
        reply_failure(r, "cluster stat", rv);
        return;
    }
    http_req_reply_ok(r, json_pack("{s:o,s:o,s:o}", "DataNodeStatInfo",
                                   jc_encode(total_fields, &totals[TOPO_DATA]), "MetaNodeStatInfo",
                                   jc_encode(total_fields, &totals[TOPO_META]), "ZoneStatInfo",
                                   zone_stats(&s, &env.policy)));
    topo_summary_free(&s);
}

/* --- settings: /cluster/freeze, /threshold/set, /admin/setNodeInfo, /admin/getNodeInfo -------- */

enum setting_type { SETTING_U64, SETTING_FLOAT, SETTING_BOOL };

/* A field of the cluster record a route may set, and the parameter that names it. */
struct setting {
    const char *param;
    enum setting_type type;
    size_t offset; /* in struct store_cluster */
};

enum {
    SET_FREEZE,
    SET_THRESHOLD,
    /* /admin/setNodeInfo's parameters, in the order Go prints a map of them (by name). */
    SET_AUTO_REPAIR_RATE,
    SET_BATCH_COUNT,
    SET_DELETE_SLEEP_MS,
    SET_LOAD_FACTOR,
    SET_MARK_DELETE_RATE,
    SET_MAX_DP_CNT,
    SET_MAX_MP_CNT,
    SET_COUNT
};

static const struct setting settings[SET_COUNT] = {
    [SET_FREEZE] = {"enable", SETTING_BOOL, offsetof(struct store_cluster, disable_auto_alloc)},
    [SET_THRESHOLD] = {"threshold", SETTING_FLOAT,
                       offsetof(struct store_cluster, meta_node_threshold)},
    [SET_AUTO_REPAIR_RATE] = {"autoRepairRate", SETTING_U64,
                              offsetof(struct store_cluster, data_node_auto_repair_limit_rate)},
    [SET_BATCH_COUNT] = {"batchCount", SETTING_U64,
                         offsetof(struct store_cluster, meta_node_delete_batch_count)},
    [SET_DELETE_SLEEP_MS] = {"deleteWorkerSleepMs", SETTING_U64,
                             offsetof(struct store_cluster, meta_node_delete_worker_sleep_ms)},
    [SET_LOAD_FACTOR] = {"loadFactor", SETTING_FLOAT, offsetof(struct store_cluster, load_factor)},
    [SET_MARK_DELETE_RATE] = {"markDeleteRate", SETTING_U64,
                              offsetof(struct store_cluster, data_node_delete_limit_rate)},
    [SET_MAX_DP_CNT] = {"maxDpCntLimit", SETTING_U64,
                        offsetof(struct store_cluster, max_dp_cnt_limit)},
    [SET_MAX_MP_CNT] = {"maxMpCntLimit", SETTING_U64,
                        offsetof(struct store_cluster, max_mp_cnt_limit)},
};

static size_t setting_size(enum setting_type type)
{
    return type == SETTING_U64     ? sizeof(uint64_t)
           : type == SETTING_FLOAT ? sizeof(float)
                                   : sizeof(bool);
}

/* The value as Go's %v prints it. */
static void setting_text(const struct store_cluster *c, unsigned which, char *buf, size_t size)
{
    const char *p = (const char *)c + settings[which].offset;

    switch (settings[which].type) {
    case SETTING_U64:
        snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case SETTING_FLOAT:
        snprintf(buf, size, "%.7g", (double)*(const float *)p);
        break;
    case SETTING_BOOL:
        snprintf(buf, size, "%s", *(const bool *)p ? "true" : "false");
        break;
    }
}

struct settings_op {
    struct api_op op; /* first */
    unsigned mask;    /* 1 << SET_* of the fields to change */
    struct store_cluster want;
    char reply[ERRMSG_SIZE]; /* the success text */
};

static void settings_run(struct api_op *op)
{
    struct settings_op *s = (struct settings_op *)op;
    struct master *m = op->m;
    char errmsg[ERRMSG_SIZE] = "";
    struct fsm_cmd cmd = {0};
    struct store_cluster c;
    struct fsm_result res;
    struct store_txn *t;
    int rv = locks_acquire(m->locks, LOCK_CLUSTER, "cluster settings", LOCK_WAIT_MS, errmsg);

    if (rv != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "%s", errmsg);
        return;
    }
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = store_get_cluster(t, &c);
        store_txn_end(t);
    }
    if (rv == CFS_ENOTFOUND) {
        api_op_fail(op, API_INTERNAL_ERROR, "the cluster record is not written yet; retry");
        goto out;
    }
    for (unsigned i = 0; rv == 0 && i < SET_COUNT; i++) {
        if (s->mask & (1u << i)) {
            memcpy((char *)&c + settings[i].offset, (const char *)&s->want + settings[i].offset,
                   setting_size(settings[i].type));
        }
    }
    cmd.batch = rv == 0 ? store_batch_new() : NULL;
    if (rv == 0 && cmd.batch == NULL) {
        rv = -ENOMEM;
    }
    if (rv == 0) {
        rv = store_batch_put_cluster(cmd.batch, &c);
    }
    if (rv == 0) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_CLUSTER_NAME, 0, m->cfg.cluster_name);
    }
    if (rv != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "changing the cluster record: %s", errors_strerror(rv));
        goto out;
    }
    if (master_propose(m, &cmd, &res, errmsg) != 0) {
        api_op_fail(op, API_PERSISTENCE_BY_RAFT, "%s", errmsg);
    } else if (res.code != API_SUCCESS) {
        api_op_fail(op, res.code, "%s", res.msg);
    } else {
        api_op_ok(op, json_string(s->reply));
    }
out:
    fsm_cmd_clear(&cmd);
    locks_release(m->locks, LOCK_CLUSTER);
}

static struct settings_op *settings_op_new(struct master *m, struct http_req *r)
{
    return api_op_new(m, r, sizeof(struct settings_op), settings_run);
}

static void cluster_freeze(struct http_req *r, void *arg)
{
    struct settings_op *s;
    bool enable = false;
    char text[8];

    if (params_bool(r, "enable", true, &enable) != 0 || (s = settings_op_new(arg, r)) == NULL) {
        return;
    }
    s->mask = 1u << SET_FREEZE;
    s->want.disable_auto_alloc = enable;
    setting_text(&s->want, SET_FREEZE, text, sizeof(text));
    snprintf(s->reply, sizeof(s->reply), "set DisableAutoAllocate to %s successfully", text);
    api_op_submit(&s->op);
}

static void threshold_set(struct http_req *r, void *arg)
{
    struct settings_op *s;
    double threshold = 0;
    char text[32];

    if (params_double(r, "threshold", true, &threshold) != 0) {
        return;
    }
    if (!(threshold > 0 && threshold <= 1)) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter threshold not match");
        return;
    }
    if ((s = settings_op_new(arg, r)) == NULL) {
        return;
    }
    s->mask = 1u << SET_THRESHOLD;
    s->want.meta_node_threshold = (float)threshold;
    setting_text(&s->want, SET_THRESHOLD, text, sizeof(text));
    snprintf(s->reply, sizeof(s->reply), "set threshold to %s successfully", text);
    api_op_submit(&s->op);
}

/* Parse the node-info parameters present (empty values change nothing) into want; 0, or -1
 * after answering. */
static int parse_node_info(struct http_req *r, struct store_cluster *want, unsigned *mask)
{
    for (unsigned i = SET_AUTO_REPAIR_RATE; i < SET_COUNT; i++) {
        const char *v = http_req_param(r, settings[i].param);
        char *dst = (char *)want + settings[i].offset;
        double d = 0;
        if (v == NULL || v[0] == '\0') {
            continue;
        }
        if (settings[i].type == SETTING_FLOAT) {
            if (params_double(r, settings[i].param, true, &d) != 0) {
                return -1;
            }
            if (d < 0) {
                http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not match",
                                     settings[i].param);
                return -1;
            }
            *(float *)dst = (float)d;
        } else if (params_u64(r, settings[i].param, true, (uint64_t *)dst) != 0) {
            return -1;
        }
        *mask |= 1u << i;
    }
    /* 0 restores CubeFS's default limits, as cfs-cli's help says. */
    if ((*mask & (1u << SET_MAX_DP_CNT)) && want->max_dp_cnt_limit == 0) {
        want->max_dp_cnt_limit = DEFAULT_DP_LIMIT;
    }
    if ((*mask & (1u << SET_MAX_MP_CNT)) && want->max_mp_cnt_limit == 0) {
        want->max_mp_cnt_limit = DEFAULT_MP_LIMIT;
    }
    if (*mask == 0) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not found",
                             settings[SET_BATCH_COUNT].param);
        return -1;
    }
    return 0;
}

static void set_node_info(struct http_req *r, void *arg)
{
    struct store_cluster want = {0};
    struct settings_op *s;
    const char *sep = "";
    unsigned mask = 0;
    size_t len;

    if (parse_node_info(r, &want, &mask) != 0 || (s = settings_op_new(arg, r)) == NULL) {
        return;
    }
    s->mask = mask;
    s->want = want;
    /* Go prints the map of what was set: "map[batchCount:100 maxDpCntLimit:3000]". */
    len = (size_t)snprintf(s->reply, sizeof(s->reply), "set nodeinfo params map[");
    for (unsigned i = SET_AUTO_REPAIR_RATE; i < SET_COUNT && len < sizeof(s->reply); i++) {
        char text[32];
        if (mask & (1u << i)) {
            setting_text(&want, i, text, sizeof(text));
            len += (size_t)snprintf(s->reply + len, sizeof(s->reply) - len, "%s%s:%s", sep,
                                    settings[i].param, text);
            sep = " ";
        }
    }
    if (len < sizeof(s->reply)) {
        snprintf(s->reply + len, sizeof(s->reply) - len, "] successfully");
    }
    api_op_submit(&s->op);
}

/* Every value as a string, by name (v3.5 shape). */
static void get_node_info(struct http_req *r, void *arg)
{
    struct store_cluster c;
    json_t *info = json_object();

    load_cluster(arg, &c);
    for (unsigned i = SET_AUTO_REPAIR_RATE; info != NULL && i < SET_COUNT; i++) {
        char text[32];
        setting_text(&c, i, text, sizeof(text));
        json_object_set_new(info, settings[i].param, json_string(text));
        if (i == SET_DELETE_SLEEP_MS) {
            json_object_set_new(info, "dpMaxRepairErrCnt", json_string("0"));
        }
    }
    http_req_reply_ok(r, info);
}

/* --- /admin/getUpgradeCompatibleSettings ----------------------------------------------------- */

static int vol_name_cb(const struct store_vol *v, void *arg)
{
    if (v->status == VOL_STATUS_MARK_DELETE) {
        return 0;
    }
    return json_array_append_new(arg, json_string(v->name)) == 0 ? 0 : -ENOMEM;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The strings of arr in a new array, sorted (NULL when out of memory). */
static json_t *sorted_strings(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = malloc((n > 0 ? n : 1) * sizeof(*items));
    json_t *sorted = items != NULL ? json_array() : NULL;

    for (size_t i = 0; sorted != NULL && i < n; i++) {
        items[i] = json_array_get(arr, i);
    }
    if (sorted != NULL) {
        qsort(items, n, sizeof(*items), cmp_json_str);
    }
    for (size_t i = 0; sorted != NULL && i < n; i++) {
        if (json_array_append(sorted, items[i]) != 0) {
            json_decref(sorted);
            sorted = NULL;
        }
    }
    free(items);
    return sorted;
}

/* Every volume forbids v0-protocol writes (as volumes created by v3.5 do), sorted by name. */
static void upgrade_settings(struct http_req *r, void *arg)
{
    struct master *m = arg;
    json_t *names = json_array(), *sorted = NULL;
    struct store_txn *t;
    int rv = names != NULL ? store_read_begin(m->store, &t) : -ENOMEM;

    if (rv == 0) {
        rv = store_foreach_vol(t, vol_name_cb, names);
        store_txn_end(t);
    }
    if (rv == 0 && (sorted = sorted_strings(names)) == NULL) {
        rv = -ENOMEM;
    }
    json_decref(names);
    if (rv != 0) {
        reply_failure(r, "listing volumes", rv);
        return;
    }
    http_req_reply_ok(r, json_pack("{s:o,s:b,s:i,s:b}", "VolsForbidWriteOpOfProtoVer0", sorted,
                                   "ClusterForbidWriteOpOfProtoVer0", 0, "LegacyDataMediaType", 0,
                                   "DataMediaTypeVaild", 1));
}

/* --- topology: /topo/get, /zone/list, /nodeSet/list, /nodeSet/get ----------------------------- */

/* NodeSetStat. */
struct nodeset_stat {
    uint64_t id;
    uint32_t capacity;
    char zone[STORE_NAME_SIZE];
    uint32_t meta_free;
    uint32_t data_free;
    uint32_t meta_nodes;
    uint32_t data_nodes;
};

static const struct jc_field nodeset_stat_fields[] = {
    JC_F(struct nodeset_stat, id, "ID", JC_U64, 0),
    JC_F(struct nodeset_stat, capacity, "Capacity", JC_U32, 0),
    JC_F(struct nodeset_stat, zone, "Zone", JC_STR, 0),
    JC_F(struct nodeset_stat, meta_free, "CanAllocMetaNodeCnt", JC_U32, 0),
    JC_F(struct nodeset_stat, data_free, "CanAllocDataNodeCnt", JC_U32, 0),
    JC_F(struct nodeset_stat, meta_nodes, "MetaNodeNum", JC_U32, 0),
    JC_F(struct nodeset_stat, data_nodes, "DataNodeNum", JC_U32, 0),
    JC_END,
};

static void nodeset_stat_of(const struct topo_nodeset *set, struct nodeset_stat *out)
{
    memset(out, 0, sizeof(*out));
    out->id = set->id;
    out->capacity = set->capacity;
    snprintf(out->zone, sizeof(out->zone), "%s", set->zone);
    out->meta_free = placement_nodeset_free(set, TOPO_META);
    out->data_free = placement_nodeset_free(set, TOPO_DATA);
    out->meta_nodes = set->count[TOPO_META];
    out->data_nodes = set->count[TOPO_DATA];
}

/* NodeStatView: a node of /nodeSet/get with its figures (bytes). */
struct node_stat_view {
    char addr[STORE_ADDR_SIZE];
    bool active;
    uint64_t id;
    bool writable;
    uint64_t total, used, avail;
};

static const struct jc_field node_stat_view_fields[] = {
    JC_F(struct node_stat_view, addr, "Addr", JC_STR, 0),
    JC_F(struct node_stat_view, active, "Status", JC_BOOL, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct node_stat_view, id, "ID", JC_U64, 0),
    JC_F(struct node_stat_view, writable, "IsWritable", JC_BOOL, 0),
    JC_F(struct node_stat_view, total, "Total", JC_U64, 0),
    JC_F(struct node_stat_view, used, "Used", JC_U64, 0),
    JC_F(struct node_stat_view, avail, "Avail", JC_U64, 0),
    JC_END,
};

static json_t *node_stat_view(const struct topo_node *n, const struct node_ops_view_env *env)
{
    struct node_stat_view v = {.active = n->active,
                               .id = n->id,
                               .writable = placement_writable(n, &env->policy),
                               .total = n->total,
                               .used = n->used,
                               .avail = n->available};

    memcpy(v.addr, n->addr, sizeof(v.addr));
    return jc_encode(node_stat_view_fields, &v);
}

/* ZoneView: with every nodeset and the NodeViews of its nodes (full), or with none (/zone/list). */
static json_t *zone_view(struct store_txn *t, const struct topo_zone_view *z,
                         const struct node_ops_view_env *env, bool full)
{
    json_t *sets = json_object();

    for (size_t i = 0; full && sets != NULL && i < z->nsets; i++) {
        const struct topo_set_view *s = &z->sets[i];
        const uint32_t *count = s->set.count;
        json_t *data = json_array(), *meta = json_array();
        char key[24];
        snprintf(key, sizeof(key), "%llu", (unsigned long long)s->set.id);
        if (data == NULL || meta == NULL ||
            node_ops_append_views(t, s->nodes[TOPO_DATA], count[TOPO_DATA], env, data) != 0 ||
            node_ops_append_views(t, s->nodes[TOPO_META], count[TOPO_META], env, meta) != 0 ||
            json_object_set_new(sets, key,
                                json_pack("{s:i,s:i,s:O,s:O}", "DataNodeLen", (int)count[TOPO_DATA],
                                          "MetaNodeLen", (int)count[TOPO_META], "MetaNodes", meta,
                                          "DataNodes", data)) != 0) {
            json_decref(sets);
            sets = NULL;
        }
        json_decref(data);
        json_decref(meta);
    }
    return json_pack("{s:s,s:s,s:o}", "Name", z->name, "Status", ZONE_STATUS_OK, "NodeSet", sets);
}

static void zones(struct http_req *r, struct master *m, bool full)
{
    struct node_ops_view_env env;
    struct topo_summary s;
    struct store_txn *t;
    json_t *list;
    int rv;

    node_ops_view_env(m, &env);
    rv = topo_summarize(m->topo, &s);
    if (rv != 0) {
        reply_failure(r, "topology", rv);
        return;
    }
    rv = store_read_begin(m->store, &t);
    if (rv != 0) {
        topo_summary_free(&s);
        reply_failure(r, "reading the store", rv);
        return;
    }
    list = json_array();
    for (size_t i = 0; list != NULL && i < s.nzones; i++) {
        if (json_array_append_new(list, zone_view(t, &s.zones[i], &env, full)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    store_txn_end(t);
    topo_summary_free(&s);
    http_req_reply_ok(r, full ? json_pack("{s:o}", "Zones", list) : list);
}

static void topo_get(struct http_req *r, void *arg)
{
    zones(r, arg, true);
}

static void zone_list(struct http_req *r, void *arg)
{
    zones(r, arg, false);
}

/* Optional zoneName: only that zone's nodesets (52 when no nodeset names it). */
static void nodeset_list(struct http_req *r, void *arg)
{
    struct master *m = arg;
    const char *zone = "";
    struct topo_nodeset *sets = NULL;
    size_t n = 0;
    json_t *list;
    bool zone_found = false;
    int rv;

    if (params_str(r, "zoneName", false, &zone) != 0) {
        return;
    }
    rv = topo_copy_nodesets(m->topo, &sets, &n);
    if (rv != 0) {
        reply_failure(r, "listing node sets", rv);
        return;
    }
    list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        struct nodeset_stat st;
        if (zone[0] != '\0' && strcmp(zone, sets[i].zone) != 0) {
            continue;
        }
        zone_found = true;
        nodeset_stat_of(&sets[i], &st);
        if (json_array_append_new(list, jc_encode(nodeset_stat_fields, &st)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    free(sets);
    if (zone[0] != '\0' && !zone_found) {
        json_decref(list);
        http_req_reply_error(r, API_ZONE_NOT_EXISTS, "%s", errors_api_message(API_ZONE_NOT_EXISTS));
        return;
    }
    http_req_reply_ok(r, list);
}

static const struct topo_set_view *find_set(const struct topo_summary *s, uint64_t id)
{
    for (size_t z = 0; z < s->nzones; z++) {
        for (size_t i = 0; i < s->zones[z].nsets; i++) {
            if (s->zones[z].sets[i].set.id == id) {
                return &s->zones[z].sets[i];
            }
        }
    }
    return NULL;
}

static json_t *node_stat_views(const struct topo_set_view *set, enum topo_kind kind,
                               const struct node_ops_view_env *env)
{
    json_t *list = json_array();

    for (uint32_t i = 0; list != NULL && i < set->set.count[kind]; i++) {
        if (json_array_append_new(list, node_stat_view(&set->nodes[kind][i], env)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

/* NodeSetStatInfo of nodesetId. */
static void nodeset_get(struct http_req *r, void *arg)
{
    struct master *m = arg;
    const struct topo_set_view *set;
    struct node_ops_view_env env;
    struct topo_summary s;
    uint64_t id = 0;
    int rv;

    if (params_u64(r, "nodesetId", true, &id) != 0) {
        return;
    }
    node_ops_view_env(m, &env);
    rv = topo_summarize(m->topo, &s);
    if (rv != 0) {
        reply_failure(r, "topology", rv);
        return;
    }
    set = find_set(&s, id);
    if (set == NULL) {
        http_req_reply_error(r, API_NODE_SET_NOT_EXISTS, "node set %llu not exists",
                             (unsigned long long)id);
    } else {
        http_req_reply_ok(
            r, json_pack("{s:I,s:i,s:s,s:i,s:i,s:o,s:o,s:s,s:s}", "ID", (json_int_t)id, "Capacity",
                         (int)set->set.capacity, "Zone", set->set.zone, "CanAllocMetaNodeCnt",
                         (int)placement_nodeset_free(&set->set, TOPO_META), "CanAllocDataNodeCnt",
                         (int)placement_nodeset_free(&set->set, TOPO_DATA), "MetaNodes",
                         node_stat_views(set, TOPO_META, &env), "DataNodes",
                         node_stat_views(set, TOPO_DATA, &env), "DataNodeSelector", NODE_SELECTOR,
                         "MetaNodeSelector", NODE_SELECTOR));
    }
    topo_summary_free(&s);
}

/* --- the group ------------------------------------------------------------------------------- */

static const struct http_route routes[] = {
    {"/admin/getIp", HTTP_GET | HTTP_POST, ROUTE_ANY_MASTER, get_ip},
    {"/admin/getCluster", HTTP_GET, 0, get_cluster},
    {"/cluster/stat", HTTP_GET, 0, cluster_stat},
    {"/cluster/freeze", HTTP_GET | HTTP_POST, 0, cluster_freeze},
    {"/threshold/set", HTTP_GET | HTTP_POST, 0, threshold_set},
    {"/admin/getNodeInfo", HTTP_GET, 0, get_node_info},
    {"/admin/setNodeInfo", HTTP_GET | HTTP_POST, 0, set_node_info},
    {"/admin/getUpgradeCompatibleSettings", HTTP_GET, 0, upgrade_settings},
    {"/topo/get", HTTP_GET, 0, topo_get},
    {"/zone/list", HTTP_GET, 0, zone_list},
    {"/nodeSet/list", HTTP_GET, 0, nodeset_list},
    {"/nodeSet/get", HTTP_GET, 0, nodeset_get},
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
    c.max_dp_cnt_limit = DEFAULT_DP_LIMIT;
    c.max_mp_cnt_limit = DEFAULT_MP_LIMIT;
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
