/* Partition routes: data and meta partition views, load, diagnosis, replica add/delete, and the
 * decommission of partitions and nodes (persisted jobs, master/cluster/decommission.h).
 *
 * Reads answer on the loop thread from one read transaction plus the nodes' latest reports.
 * Replica changes run on a worker under the partition lock (replica_ops.h); decommission
 * requests only record a job there and answer once it is committed; the job driver does the
 * rest and queryDecommissionStatus / the node views show its progress. */
#define LOG_TAG "api"

#include "common/clock.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/cluster/decommission.h"
#include "master/cluster/pstate.h"
#include "master/cluster/replica_ops.h"
#include "master/cluster/topo.h"
#include "master/core/locks.h"
#include "master/core/master.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- shared lookups ------------------------------------------------------------------------- */

static int not_found_code(enum topo_kind kind)
{
    return kind == TOPO_DATA ? API_DATA_PARTITION_NOT_EXISTS : API_META_PARTITION_NOT_EXISTS;
}

static int node_not_found_code(enum topo_kind kind)
{
    return kind == TOPO_DATA ? API_DATA_NODE_NOT_EXISTS : API_META_NODE_NOT_EXISTS;
}

/* Read partition id (of volume vol_name when not NULL or empty) inside t; answers r and returns
 * -1 when it cannot. vol (may be NULL) gets the partition's volume when it exists. */
static int read_part(struct http_req *r, struct store_txn *t, enum topo_kind kind, uint64_t id,
                     const char *vol_name, struct replica_part *p, struct store_vol *vol)
{
    struct store_vol v;
    int rv;

    if (vol_name != NULL && vol_name[0] != '\0' && store_get_vol_by_name(t, vol_name, &v) != 0) {
        http_req_reply_error(r, API_VOL_NOT_EXISTS, "%s", errors_api_message(API_VOL_NOT_EXISTS));
        return -1;
    }
    rv = replica_ops_load(t, kind, id, p);
    if (rv == 0 && vol_name != NULL && vol_name[0] != '\0' &&
        REPLICA_PART_FIELD(p, vol_id) != v.id) {
        rv = CFS_ENOTFOUND;
    }
    if (rv == CFS_ENOTFOUND) {
        http_req_reply_error(r, not_found_code(kind), "%s",
                             errors_api_message(not_found_code(kind)));
        return -1;
    }
    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading %s %" PRIu64 ": %s",
                             replica_ops_noun(kind), id, errors_strerror(rv));
        return -1;
    }
    if (vol != NULL && store_get_vol(t, REPLICA_PART_FIELD(p, vol_id), vol) != 0) {
        memset(vol, 0, sizeof(*vol));
    }
    return 0;
}

/* A read transaction or an answer saying why not. */
static struct store_txn *read_begin(struct master *m, struct http_req *r)
{
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading the store: %s", errors_strerror(rv));
        return NULL;
    }
    return t;
}

/* Unix seconds of a topo report stamped report_ms (monotonic). */
static int64_t wall_of(uint64_t report_ms, uint64_t now_ms, int64_t now_s)
{
    return report_ms >= now_ms ? now_s : now_s - (int64_t)((now_ms - report_ms) / 1000u);
}

/* --- partition views (v3.5 DataPartitionInfo / MetaPartitionInfo) --------------------------- */

struct peer_view {
    uint64_t id;
    char addr[STORE_ADDR_SIZE];
    char heartbeat[12];
    char replica[12];
};

static const struct jc_field peer_view_fields[] = {
    JC_F(struct peer_view, id, "id", JC_U64, 0),
    JC_F(struct peer_view, addr, "addr", JC_STR, 0),
    JC_F(struct peer_view, heartbeat, "raftHeartbeat", JC_STR, 0),
    JC_F(struct peer_view, replica, "raftReplica", JC_STR, 0),
    JC_END,
};

struct dp_replica_view {
    char addr[STORE_ADDR_SIZE];
    int64_t report_time;
    uint64_t file_count;
    int32_t status;
    uint64_t total, used;
    bool is_leader;
    bool needs_compare;
    char disk_path[STORE_PATH_SIZE];
    uint32_t npeers;
    struct peer_view peers[STORE_MAX_HOSTS];
};

static const struct jc_field dp_replica_view_fields[] = {
    JC_F(struct dp_replica_view, addr, "Addr", JC_STR, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct dp_replica_view, report_time, "ReportTime", JC_I64, 0),
    JC_F(struct dp_replica_view, file_count, "FileCount", JC_U64, 0),
    JC_F(struct dp_replica_view, status, "Status", JC_I32, 0),
    JC_CONST("HasLoadResponse", JC_EMIT_FALSE),
    JC_F(struct dp_replica_view, total, "TotalSize", JC_U64, 0),
    JC_F(struct dp_replica_view, used, "UsedSize", JC_U64, 0),
    JC_F(struct dp_replica_view, is_leader, "IsLeader", JC_BOOL, 0),
    JC_F(struct dp_replica_view, needs_compare, "NeedsToCompare", JC_BOOL, 0),
    JC_F(struct dp_replica_view, disk_path, "DiskPath", JC_STR, 0),
    JC_CONST("DecommissionRepairProgress", JC_EMIT_ZERO),
    JC_ARR(struct dp_replica_view, peers, npeers, "LocalPeers", JC_OBJECT, peer_view_fields, 0),
    JC_CONST("TriggerDiskError", JC_EMIT_FALSE),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("ReadOnlyReasons", JC_EMIT_ZERO),
    JC_CONST("IsMissingTinyExtent", JC_EMIT_FALSE),
    JC_CONST("IsRepairing", JC_EMIT_FALSE),
    JC_END,
};

struct mp_replica_view {
    char addr[STORE_ADDR_SIZE];
    uint64_t max_inode_id;
    int64_t report_time;
    int32_t status;
    bool is_leader;
    uint64_t inode_count, dentry_count;
};

static const struct jc_field mp_replica_view_fields[] = {
    JC_F(struct mp_replica_view, addr, "Addr", JC_STR, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct mp_replica_view, max_inode_id, "MaxInodeID", JC_U64, 0),
    JC_F(struct mp_replica_view, report_time, "ReportTime", JC_I64, 0),
    JC_F(struct mp_replica_view, status, "Status", JC_I32, 0),
    JC_F(struct mp_replica_view, is_leader, "IsLeader", JC_BOOL, 0),
    JC_F(struct mp_replica_view, inode_count, "InodeCount", JC_U64, 0),
    JC_F(struct mp_replica_view, dentry_count, "DentryCount", JC_U64, 0),
    JC_END,
};

/* What both partition views share. */
struct part_common {
    uint64_t id;
    uint32_t replica_num;
    int32_t status;
    bool is_recover;
    uint64_t offline_peer_id;
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    uint32_t npeers;
    struct peer_view peers[STORE_MAX_HOSTS];
    uint32_t nzones;
    char zones[STORE_MAX_HOSTS][STORE_NAME_SIZE];
    uint32_t nnodesets;
    uint64_t nodesets[STORE_MAX_HOSTS];
    json_t *missing; /* {addr: unix seconds of its last report, 0 when none} */
    char vol_name[STORE_NAME_SIZE];
    uint64_t vol_id;
};

struct dp_info_view {
    struct part_common c;
    uint32_t nreplicas;
    struct dp_replica_view replicas[STORE_MAX_HOSTS];
    json_t *empty_a; /* FileInCoreMap */
    json_t *empty_b; /* FilesWithMissingReplica */
    uint32_t decom_status;
    char decom_addr[STORE_ADDR_SIZE];
};

static const struct jc_field dp_info_view_fields[] = {
    JC_F(struct dp_info_view, c.id, "PartitionID", JC_U64, 0),
    JC_CONST("PartitionType", JC_EMIT_ZERO),
    JC_CONST("LastLoadedTime", JC_EMIT_ZERO),
    JC_F(struct dp_info_view, c.replica_num, "ReplicaNum", JC_U32, 0),
    JC_F(struct dp_info_view, c.status, "Status", JC_I32, 0),
    JC_CONST("Recover", JC_EMIT_FALSE),
    JC_ARR(struct dp_info_view, replicas, nreplicas, "Replicas", JC_OBJECT, dp_replica_view_fields,
           0),
    JC_ARR(struct dp_info_view, c.hosts, c.nhosts, "Hosts", JC_STR, NULL, 0),
    JC_ARR(struct dp_info_view, c.peers, c.npeers, "Peers", JC_OBJECT, peer_view_fields, 0),
    JC_ARR(struct dp_info_view, c.zones, c.nzones, "Zones", JC_STR, NULL, 0),
    JC_ARR(struct dp_info_view, c.nodesets, c.nnodesets, "NodeSets", JC_U64, NULL, 0),
    JC_F(struct dp_info_view, c.missing, "MissingNodes", JC_JSON, 0),
    JC_F(struct dp_info_view, c.vol_name, "VolName", JC_STR, 0),
    JC_F(struct dp_info_view, c.vol_id, "VolID", JC_U64, 0),
    JC_F(struct dp_info_view, c.offline_peer_id, "OfflinePeerID", JC_U64, 0),
    JC_F(struct dp_info_view, empty_a, "FileInCoreMap", JC_JSON, 0),
    JC_F(struct dp_info_view, c.is_recover, "IsRecover", JC_BOOL, 0),
    JC_F(struct dp_info_view, empty_b, "FilesWithMissingReplica", JC_JSON, 0),
    JC_F(struct dp_info_view, decom_status, "SingleDecommissionStatus", JC_U32, 0),
    JC_F(struct dp_info_view, decom_addr, "SingleDecommissionAddr", JC_STR, 0),
    JC_CONST("RdOnly", JC_EMIT_FALSE),
    JC_CONST("IsDiscard", JC_EMIT_FALSE),
    JC_CONST("Forbidden", JC_EMIT_FALSE),
    JC_CONST("MediaType", JC_EMIT_ZERO),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_END,
};

struct mp_info_view {
    struct part_common c;
    uint64_t start, end;
    uint64_t max_inode_id, inode_count, dentry_count;
    uint32_t nreplicas;
    struct mp_replica_view replicas[STORE_MAX_HOSTS];
};

static const struct jc_field mp_info_view_fields[] = {
    JC_F(struct mp_info_view, c.id, "PartitionID", JC_U64, 0),
    JC_F(struct mp_info_view, start, "Start", JC_U64, 0),
    JC_F(struct mp_info_view, end, "End", JC_U64, 0),
    JC_F(struct mp_info_view, max_inode_id, "MaxInodeID", JC_U64, 0),
    JC_F(struct mp_info_view, inode_count, "InodeCount", JC_U64, 0),
    JC_F(struct mp_info_view, dentry_count, "DentryCount", JC_U64, 0),
    JC_F(struct mp_info_view, c.vol_name, "VolName", JC_STR, 0),
    JC_ARR(struct mp_info_view, replicas, nreplicas, "Replicas", JC_OBJECT, mp_replica_view_fields,
           0),
    JC_F(struct mp_info_view, c.replica_num, "ReplicaNum", JC_U32, 0),
    JC_F(struct mp_info_view, c.status, "Status", JC_I32, 0),
    JC_F(struct mp_info_view, c.is_recover, "IsRecover", JC_BOOL, 0),
    JC_ARR(struct mp_info_view, c.hosts, c.nhosts, "Hosts", JC_STR, NULL, 0),
    JC_ARR(struct mp_info_view, c.peers, c.npeers, "Peers", JC_OBJECT, peer_view_fields, 0),
    JC_ARR(struct mp_info_view, c.zones, c.nzones, "Zones", JC_STR, NULL, 0),
    JC_ARR(struct mp_info_view, c.nodesets, c.nnodesets, "NodeSets", JC_U64, NULL, 0),
    JC_F(struct mp_info_view, c.offline_peer_id, "OfflinePeerID", JC_U64, 0),
    JC_F(struct mp_info_view, c.missing, "MissNodes", JC_JSON, 0),
    JC_CONST("LoadResponse", JC_EMIT_EMPTY_ARRAY),
    JC_CONST("Forbidden", JC_EMIT_FALSE),
    JC_END,
};

/* The view fields common to both kinds: hosts, peers (with the nodes' raft ports), zones,
 * nodesets, missing hosts, status. */
static int fill_common(struct master *m, struct store_txn *t, const struct replica_part *p,
                       const struct replica_ops_health *h, const struct store_vol *vol,
                       uint64_t now_ms, int64_t now_s, struct part_common *c)
{
    struct pstate_part ps;
    int rv;

    memset(c, 0, sizeof(*c));
    c->id = REPLICA_PART_FIELD(p, id);
    c->replica_num = REPLICA_PART_FIELD(p, replica_num);
    c->is_recover = REPLICA_PART_FIELD(p, is_recover);
    c->offline_peer_id = REPLICA_PART_FIELD(p, offline_peer_id);
    c->vol_id = REPLICA_PART_FIELD(p, vol_id);
    snprintf(c->vol_name, sizeof(c->vol_name), "%s", vol->name);
    rv = p->kind == TOPO_DATA ? pstate_dp(m->pstate, c->id, &ps) : pstate_mp(m->pstate, c->id, &ps);
    c->status = rv == 0 ? ps.status : DP_STATUS_READ_ONLY;
    c->missing = json_object();
    if (c->missing == NULL) {
        return -ENOMEM;
    }
    c->nhosts = h->nhosts;
    for (uint32_t i = 0; i < h->nhosts; i++) {
        struct topo_node node;
        snprintf(c->hosts[i], sizeof(c->hosts[i]), "%s", h->hosts[i].addr);
        if (topo_get_node(m->topo, p->kind, h->hosts[i].addr, &node) == 0) {
            snprintf(c->zones[c->nzones++], STORE_NAME_SIZE, "%s", node.zone);
            c->nodesets[c->nnodesets++] = node.nodeset_id;
        }
        if (!h->hosts[i].live &&
            json_object_set_new(c->missing, h->hosts[i].addr,
                                json_integer(h->hosts[i].reported
                                                 ? wall_of(h->hosts[i].report_ms, now_ms, now_s)
                                                 : 0)) != 0) {
            return -ENOMEM;
        }
    }
    for (uint32_t i = 0; i < REPLICA_PART_FIELD(p, npeers) && i < STORE_MAX_HOSTS; i++) {
        const struct store_peer *peer = &REPLICA_PART_FIELD(p, peers)[i];
        struct peer_view *v = &c->peers[c->npeers++];
        struct store_node rec;
        v->id = peer->id;
        snprintf(v->addr, sizeof(v->addr), "%s", peer->addr);
        if ((p->kind == TOPO_DATA ? store_get_datanode_by_addr(t, peer->addr, &rec)
                                  : store_get_metanode_by_addr(t, peer->addr, &rec)) == 0 &&
            rec.heartbeat_port > 0) {
            snprintf(v->heartbeat, sizeof(v->heartbeat), "%u", rec.heartbeat_port);
            snprintf(v->replica, sizeof(v->replica), "%u", rec.replica_port);
        }
    }
    return 0;
}

static json_t *dp_info(struct master *m, struct store_txn *t, const struct replica_part *p,
                       const struct store_vol *vol)
{
    struct dp_info_view *v = calloc(1, sizeof(*v));
    struct replica_ops_health h;
    struct store_job job;
    uint64_t now_ms = clock_mono_ms();
    int64_t now_s = clock_wall_s();
    json_t *out = NULL;

    if (v == NULL) {
        return NULL;
    }
    replica_ops_survey(m, p, now_ms, &h);
    if (fill_common(m, t, p, &h, vol, now_ms, now_s, &v->c) != 0) {
        goto out;
    }
    for (uint32_t i = 0; i < h.nhosts; i++) {
        const struct replica_ops_host *r = &h.hosts[i];
        struct dp_replica_view *rv;
        if (!r->reported) {
            continue;
        }
        rv = &v->replicas[v->nreplicas++];
        snprintf(rv->addr, sizeof(rv->addr), "%s", r->addr);
        rv->report_time = wall_of(r->report_ms, now_ms, now_s);
        rv->file_count = r->extent_count;
        rv->status = r->status;
        rv->total = r->total;
        rv->used = r->used;
        rv->is_leader = r->leader;
        rv->needs_compare = true;
        snprintf(rv->disk_path, sizeof(rv->disk_path), "%s", r->disk_path);
        rv->npeers = v->c.npeers;
        memcpy(rv->peers, v->c.peers, sizeof(rv->peers));
    }
    v->empty_a = json_object();
    v->empty_b = json_object();
    if (decommission_find_partition_job(t, TOPO_DATA, v->c.id, &job) == 0 &&
        !decom_is_final(job.state)) {
        v->decom_status = decom_status_code(job.state);
        snprintf(v->decom_addr, sizeof(v->decom_addr), "%s", job.src_addr);
    }
    if (v->empty_a != NULL && v->empty_b != NULL) {
        out = jc_encode(dp_info_view_fields, v);
    }
out:
    jc_free(dp_info_view_fields, v);
    free(v);
    return out;
}

static json_t *mp_info(struct master *m, struct store_txn *t, const struct replica_part *p,
                       const struct store_vol *vol)
{
    struct mp_info_view *v = calloc(1, sizeof(*v));
    struct replica_ops_health h;
    uint64_t now_ms = clock_mono_ms();
    int64_t now_s = clock_wall_s();
    json_t *out = NULL;

    if (v == NULL) {
        return NULL;
    }
    replica_ops_survey(m, p, now_ms, &h);
    if (fill_common(m, t, p, &h, vol, now_ms, now_s, &v->c) == 0) {
        v->start = p->rec.mp.start;
        v->end = p->rec.mp.end;
        for (uint32_t i = 0; i < h.nhosts; i++) {
            const struct replica_ops_host *r = &h.hosts[i];
            struct mp_replica_view *rv;
            if (!r->reported) {
                continue;
            }
            rv = &v->replicas[v->nreplicas++];
            snprintf(rv->addr, sizeof(rv->addr), "%s", r->addr);
            rv->max_inode_id = r->max_inode_id;
            rv->report_time = wall_of(r->report_ms, now_ms, now_s);
            rv->status = r->status;
            rv->is_leader = r->leader;
            rv->inode_count = r->inode_count;
            rv->dentry_count = r->dentry_count;
            v->max_inode_id = r->max_inode_id > v->max_inode_id ? r->max_inode_id : v->max_inode_id;
            v->inode_count = r->inode_count > v->inode_count ? r->inode_count : v->inode_count;
            v->dentry_count = r->dentry_count > v->dentry_count ? r->dentry_count : v->dentry_count;
        }
        out = jc_encode(mp_info_view_fields, v);
    }
    jc_free(mp_info_view_fields, v);
    free(v);
    return out;
}

static void part_get(struct http_req *r, struct master *m, enum topo_kind kind)
{
    const char *name = NULL;
    struct replica_part p;
    struct store_vol vol;
    struct store_txn *t;
    uint64_t id;
    json_t *data;

    if (params_u64(r, "id", true, &id) != 0 ||
        (kind == TOPO_DATA && params_str(r, "name", false, &name) != 0)) {
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    if (read_part(r, t, kind, id, name, &p, &vol) == 0) {
        data = kind == TOPO_DATA ? dp_info(m, t, &p, &vol) : mp_info(m, t, &p, &vol);
        if (data == NULL) {
            http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        } else {
            http_req_reply_ok(r, data);
        }
    }
    store_txn_end(t);
}

static void dp_get(struct http_req *r, void *arg)
{
    part_get(r, arg, TOPO_DATA);
}

static void mp_get(struct http_req *r, void *arg)
{
    part_get(r, arg, TOPO_META);
}

/* /dataPartition/load: CRC load on every live replica; answers come back asynchronously. */
static void dp_load(struct http_req *r, void *arg)
{
    struct master *m = arg;
    const char *name = NULL;
    struct replica_part p;
    struct store_txn *t;
    uint32_t queued;
    uint64_t id;
    int rv;

    if (params_u64(r, "id", true, &id) != 0 || params_str(r, "name", false, &name) != 0) {
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    rv = read_part(r, t, TOPO_DATA, id, name, &p, NULL);
    store_txn_end(t);
    if (rv != 0) {
        return;
    }
    queued = replica_ops_load_dp(m, &p, clock_mono_ms());
    if (queued == 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR,
                             "no live replica of data partition %" PRIu64 " to load", id);
        return;
    }
    http_req_reply_ok(r, json_sprintf("/dataPartition/load partitionID :%" PRIu64
                                      "  Load data partition successfully (%u replicas)",
                                      id, queued));
}

/* --- diagnosis ------------------------------------------------------------------------------ */

struct diag {
    struct master *m;
    enum topo_kind kind;
    uint64_t now_ms;
    json_t *corrupt, *lack, *excess, *bad_replica, *recovering, *differ_a, *differ_b, *differ_c;
    json_t *reasons;
    int rv;
};

static int append_id(json_t *list, uint64_t id)
{
    return json_array_append_new(list, json_integer((json_int_t)id));
}

/* Per-replica figures compared across the live replicas. */
enum figure { FIG_EXTENTS, FIG_INODES, FIG_MAX_INODE, FIG_DENTRIES };

static uint64_t figure_of(const struct replica_ops_host *h, enum figure f)
{
    switch (f) {
    case FIG_EXTENTS:
        return h->extent_count;
    case FIG_INODES:
        return h->inode_count;
    case FIG_MAX_INODE:
        return h->max_inode_id;
    default:
        return h->dentry_count;
    }
}

/* Whether a figure differs among the live replicas. */
static bool differs(const struct replica_ops_health *h, enum figure f)
{
    bool seen = false;
    uint64_t first = 0;

    for (uint32_t i = 0; i < h->nhosts; i++) {
        if (!h->hosts[i].live) {
            continue;
        }
        if (seen && figure_of(&h->hosts[i], f) != first) {
            return true;
        }
        first = figure_of(&h->hosts[i], f);
        seen = true;
    }
    return false;
}

static int diag_one(struct diag *d, const struct replica_part *p, const char *vol)
{
    struct replica_ops_health h;
    struct pstate_part ps;
    uint64_t id = REPLICA_PART_FIELD(p, id);
    uint32_t replicas = REPLICA_PART_FIELD(p, replica_num);
    uint32_t nhosts = REPLICA_PART_FIELD(p, nhosts);
    char why[160];
    int rv = 0;

    replica_ops_survey(d->m, p, d->now_ms, &h);
    if (nhosts < replicas) {
        rv |= append_id(d->lack, id);
    } else if (nhosts > replicas) {
        rv |= append_id(d->excess, id);
    }
    if (h.live < replicas / 2 + 1) {
        rv |= append_id(d->corrupt, id);
    } else if (h.live < nhosts) {
        rv |= append_id(d->bad_replica, id);
    }
    if (REPLICA_PART_FIELD(p, is_recover)) {
        rv |= append_id(d->recovering, id);
    }
    if (p->kind == TOPO_DATA) {
        if (differs(&h, FIG_EXTENTS)) {
            rv |= append_id(d->differ_a, id);
        }
        if (replica_ops_diverged(&h, why, sizeof(why))) {
            rv |= append_id(d->differ_b, id);
        }
    } else {
        if (differs(&h, FIG_INODES)) {
            rv |= append_id(d->differ_a, id);
        }
        if (differs(&h, FIG_MAX_INODE)) {
            rv |= append_id(d->differ_b, id);
        }
        if (differs(&h, FIG_DENTRIES)) {
            rv |= append_id(d->differ_c, id);
        }
    }
    if ((p->kind == TOPO_DATA ? pstate_dp(d->m->pstate, id, &ps)
                              : pstate_mp(d->m->pstate, id, &ps)) == 0 &&
        ps.status != DP_STATUS_READ_WRITE) {
        rv |= json_array_append_new(d->reasons, json_pack("{s:I,s:s,s:i,s:s}", "PartitionID",
                                                          (json_int_t)id, "VolName", vol, "Status",
                                                          ps.status, "Reason", ps.reason));
    }
    return rv != 0 ? -ENOMEM : 0;
}

static int diag_dp_cb(const struct store_dp *dp, void *arg)
{
    struct replica_part p = {.kind = TOPO_DATA, .rec.dp = *dp};

    return diag_one(arg, &p, dp->vol_name);
}

static int diag_mp_cb(const struct store_mp *mp, void *arg)
{
    struct replica_part p = {.kind = TOPO_META, .rec.mp = *mp};

    return diag_one(arg, &p, mp->vol_name);
}

static json_t *inactive_nodes(struct master *m, enum topo_kind kind)
{
    struct topo_node *nodes = NULL;
    json_t *list = json_array();
    size_t n = 0;

    if (list == NULL || topo_copy_nodes(m->topo, kind, &nodes, &n) != 0) {
        json_decref(list);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!nodes[i].active && json_array_append_new(list, json_string(nodes[i].addr)) != 0) {
            json_decref(list);
            list = NULL;
            break;
        }
    }
    free(nodes);
    return list;
}

static void diagnose(struct http_req *r, struct master *m, enum topo_kind kind)
{
    struct diag d = {.m = m, .kind = kind, .now_ms = clock_mono_ms()};
    json_t *inactive = inactive_nodes(m, kind);
    json_t **lists[] = {&d.corrupt,  &d.lack,     &d.excess,   &d.bad_replica, &d.recovering,
                        &d.differ_a, &d.differ_b, &d.differ_c, &d.reasons};
    json_t *data = NULL, *bad;
    struct store_txn *t;
    int rv = inactive != NULL ? 0 : -ENOMEM;

    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        *lists[i] = json_array();
        rv = *lists[i] == NULL ? -ENOMEM : rv;
    }
    if (rv == 0 && (t = read_begin(m, r)) == NULL) {
        goto out;
    }
    if (rv == 0) {
        rv = kind == TOPO_DATA ? store_foreach_dp(t, 0, diag_dp_cb, &d)
                               : store_foreach_mp(t, 0, diag_mp_cb, &d);
        store_txn_end(t);
    }
    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "diagnosis: %s", errors_strerror(rv));
        goto out;
    }
    /* CubeFS's BadPartitionView groups partitions by where they went bad; ours are grouped as
     * the partitions still recovering after a replica was added. */
    bad = json_array_size(d.recovering) == 0
              ? json_array()
              : json_pack("[{s:s,s:O}]", "Path", "recovering", "PartitionIDs", d.recovering);
    if (kind == TOPO_DATA) {
        data =
            json_pack("{s:O,s:O,s:O,s:o,s:O,s:O,s:O,s:O,s:O}", "InactiveDataNodes", inactive,
                      "CorruptDataPartitionIDs", d.corrupt, "LackReplicaDataPartitionIDs", d.lack,
                      "BadDataPartitionIDs", bad, "BadReplicaDataPartitionIDs", d.bad_replica,
                      "RepFileCountDifferDpIDs", d.differ_a, "RepUsedSizeDifferDpIDs", d.differ_b,
                      "ExcessReplicaDpIDs", d.excess, "PartitionReasons", d.reasons);
    } else {
        data = json_pack("{s:O,s:O,s:O,s:o,s:O,s:O,s:O,s:O,s:O,s:O}", "InactiveMetaNodes", inactive,
                         "CorruptMetaPartitionIDs", d.corrupt, "LackReplicaMetaPartitionIDs",
                         d.lack, "BadMetaPartitionIDs", bad, "BadReplicaMetaPartitionIDs",
                         d.bad_replica, "ExcessReplicaMetaPartitionIDs", d.excess,
                         "InodeCountNotEqualReplicaMetaPartitionIDs", d.differ_a,
                         "MaxInodeNotEqualReplicaMetaPartitionIDs", d.differ_b,
                         "DentryCountNotEqualReplicaMetaPartitionIDs", d.differ_c,
                         "PartitionReasons", d.reasons);
    }
    if (data == NULL) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
    } else {
        http_req_reply_ok(r, data);
    }
out:
    json_decref(inactive);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        json_decref(*lists[i]);
    }
}

static void dp_diagnose(struct http_req *r, void *arg)
{
    diagnose(r, arg, TOPO_DATA);
}

static void mp_diagnose(struct http_req *r, void *arg)
{
    diagnose(r, arg, TOPO_META);
}

/* --- replica add / delete --------------------------------------------------------------------- */

struct replica_req {
    struct api_op op; /* first */
    enum topo_kind kind;
    bool add;
    bool force;
    uint64_t id;
    char addr[STORE_ADDR_SIZE];
};

static void replica_change(struct replica_req *q, struct replica_part *p)
{
    struct api_op *op = &q->op;
    const char *noun = q->kind == TOPO_DATA ? "data" : "meta";
    struct replica_ops_health h;
    struct store_peer peer = {0};
    struct store_node node = {0};
    struct store_txn *t;
    char errmsg[ERRMSG_SIZE];
    bool was_leader;
    int idx, rv, code = 0;

    rv = store_read_begin(op->m->store, &t);
    if (rv == 0) {
        rv = replica_ops_load(t, q->kind, q->id, p);
        if (rv == 0 && q->add) {
            rv = q->kind == TOPO_DATA ? store_get_datanode_by_addr(t, q->addr, &node)
                                      : store_get_metanode_by_addr(t, q->addr, &node);
            code = rv == CFS_ENOTFOUND ? node_not_found_code(q->kind) : 0;
        } else {
            code = rv == CFS_ENOTFOUND ? not_found_code(q->kind) : 0;
        }
        store_txn_end(t);
    }
    if (rv != 0) {
        if (rv == CFS_ENOTFOUND) {
            api_op_fail(op, code, "%s", errors_api_message(code));
        } else {
            api_op_fail(op, API_INTERNAL_ERROR, "reading the store: %s", errors_strerror(rv));
        }
        return;
    }
    idx = replica_ops_host_index(p, q->addr);
    if (q->add && idx >= 0) {
        api_op_fail(op, API_PARAM_ERROR, "%s is already a host of %s partition %" PRIu64, q->addr,
                    noun, q->id);
        return;
    }
    if (!q->add && idx < 0) {
        api_op_fail(op, API_PARAM_ERROR, "%s is not a host of %s partition %" PRIu64, q->addr, noun,
                    q->id);
        return;
    }
    if (q->add && node.to_be_offline) {
        api_op_fail(op, API_PARAM_ERROR, "%s is being decommissioned and takes no new replicas",
                    q->addr);
        return;
    }
    if (q->add) {
        peer.id = node.id;
        snprintf(peer.addr, sizeof(peer.addr), "%s", q->addr);
        if (replica_ops_add(op->m, p, &peer, NULL, errmsg) != 0) {
            api_op_fail(op, API_INTERNAL_ERROR, "%s", errmsg);
            return;
        }
        api_op_ok(op, json_sprintf("%s partitionID :%" PRIu64 "  add replica [%s] successfully",
                                   noun, q->id, q->addr));
        return;
    }
    replica_ops_survey(op->m, p, clock_mono_ms(), &h);
    code = replica_ops_check_remove(p, &h, q->addr, q->force, errmsg);
    if (code != 0) {
        api_op_fail(op, code, "%s", errmsg);
        return;
    }
    was_leader = h.hosts[idx].leader;
    if (replica_ops_remove(op->m, p, q->addr, NULL, errmsg) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "%s", errmsg);
        return;
    }
    replica_ops_drop(op->m, p, q->addr, was_leader);
    api_op_ok(op, json_sprintf("%s partitionID :%" PRIu64 "  delete replica [%s] successfully",
                               noun, q->id, q->addr));
}

static void replica_run(struct api_op *op)
{
    struct replica_req *q = (struct replica_req *)op;
    struct replica_part p;
    char key[32], errmsg[ERRMSG_SIZE];

    replica_ops_lock_key(q->kind, q->id, key, sizeof(key));
    if (locks_acquire(op->m->locks, key, q->add ? "replica add" : "replica delete",
                      op->m->cfg.sync_task_timeout_ms * 3, errmsg) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "%s", errmsg);
        return;
    }
    replica_change(q, &p);
    locks_release(op->m->locks, key);
}

static void replica_route(struct http_req *r, struct master *m, enum topo_kind kind, bool add)
{
    struct replica_req *q;
    struct replica_part p;
    struct store_node node;
    struct store_txn *t;
    const char *addr;
    bool force = false;
    uint64_t id;
    int rv;

    if (params_u64(r, "id", true, &id) != 0 || params_addr(r, "addr", &addr) != 0 ||
        (!add && params_bool(r, "force", false, &force) != 0)) {
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    rv = read_part(r, t, kind, id, NULL, &p, NULL);
    if (rv == 0 && add &&
        (kind == TOPO_DATA ? store_get_datanode_by_addr(t, addr, &node)
                           : store_get_metanode_by_addr(t, addr, &node)) != 0) {
        http_req_reply_error(r, node_not_found_code(kind), "%s",
                             errors_api_message(node_not_found_code(kind)));
        rv = -1;
    }
    store_txn_end(t);
    if (rv != 0) {
        return;
    }
    q = api_op_new(m, r, sizeof(*q), replica_run);
    if (q == NULL) {
        return;
    }
    q->kind = kind;
    q->add = add;
    q->force = force;
    q->id = id;
    snprintf(q->addr, sizeof(q->addr), "%s", addr);
    api_op_submit(&q->op);
}

static void dp_replica_add(struct http_req *r, void *arg)
{
    replica_route(r, arg, TOPO_DATA, true);
}

static void dp_replica_delete(struct http_req *r, void *arg)
{
    replica_route(r, arg, TOPO_DATA, false);
}

static void mp_replica_add(struct http_req *r, void *arg)
{
    replica_route(r, arg, TOPO_META, true);
}

static void mp_replica_delete(struct http_req *r, void *arg)
{
    replica_route(r, arg, TOPO_META, false);
}

/* --- decommission ------------------------------------------------------------------------------
 */

struct decom_req {
    struct api_op op; /* first */
    enum topo_kind kind;
    uint64_t id; /* partition; 0 for a node */
    uint32_t count;
    char addr[STORE_ADDR_SIZE];
};

static void decom_part_run(struct api_op *op)
{
    struct decom_req *q = (struct decom_req *)op;
    char errmsg[ERRMSG_SIZE] = "";
    uint64_t job_id;
    int rv = decommission_start_partition(op->m, q->kind, q->id, q->addr, &job_id, errmsg);

    if (rv != 0) {
        api_op_fail(op, rv > 0 ? rv : API_INTERNAL_ERROR, "%s", errmsg);
    } else if (q->kind == TOPO_DATA) {
        api_op_ok(op, json_sprintf("/dataPartition/decommission dataPartitionID :%" PRIu64
                                   "  on node:%s successfully",
                                   q->id, q->addr));
    } else {
        api_op_ok(op, json_sprintf("/metaPartition/decommission partitionID :%" PRIu64
                                   "  decommissionMetaPartition successfully",
                                   q->id));
    }
}

static void decom_part_route(struct http_req *r, struct master *m, enum topo_kind kind)
{
    struct decom_req *q;
    struct replica_part p;
    struct store_txn *t;
    const char *addr;
    uint64_t id;
    int rv;

    /* v3.5 extras (decommissionType, raftForceDel, weight, clientIDKey) are accepted as is. */
    if (params_u64(r, "id", true, &id) != 0 || params_addr(r, "addr", &addr) != 0) {
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    rv = read_part(r, t, kind, id, NULL, &p, NULL);
    store_txn_end(t);
    if (rv != 0) {
        return;
    }
    q = api_op_new(m, r, sizeof(*q), decom_part_run);
    if (q == NULL) {
        return;
    }
    q->kind = kind;
    q->id = id;
    snprintf(q->addr, sizeof(q->addr), "%s", addr);
    api_op_submit(&q->op);
}

static void dp_decommission(struct http_req *r, void *arg)
{
    decom_part_route(r, arg, TOPO_DATA);
}

static void mp_decommission(struct http_req *r, void *arg)
{
    decom_part_route(r, arg, TOPO_META);
}

/* v3.5 DecommissionDataPartitionInfo, with our job's details. */
struct decom_status_view {
    uint64_t partition_id;
    uint32_t replica_num;
    char status[16];
    char special_step[32]; /* v3.5's step of its 1- and 2-replica flow; ours has none */
    uint32_t retry;
    bool recover;
    char src[STORE_ADDR_SIZE];
    char src_disk[STORE_PATH_SIZE];
    char dst[STORE_ADDR_SIZE];
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    char error[STORE_TEXT_SIZE];
    char type[32];
    uint64_t job_id;
    uint64_t parent_id;
    char state[16];
    char message[STORE_TEXT_SIZE];
    int64_t create_time, update_time;
};

static const struct jc_field decom_status_view_fields[] = {
    JC_F(struct decom_status_view, partition_id, "PartitionId", JC_U64, 0),
    JC_F(struct decom_status_view, replica_num, "ReplicaNum", JC_U32, 0),
    JC_F(struct decom_status_view, status, "Status", JC_STR, 0),
    JC_F(struct decom_status_view, special_step, "SpecialStep", JC_STR, 0),
    JC_F(struct decom_status_view, retry, "Retry", JC_U32, 0),
    JC_CONST("RaftForce", JC_EMIT_FALSE),
    JC_F(struct decom_status_view, recover, "Recover", JC_BOOL, 0),
    JC_F(struct decom_status_view, src, "SrcAddress", JC_STR, 0),
    JC_F(struct decom_status_view, src_disk, "SrcDiskPath", JC_STR, 0),
    JC_F(struct decom_status_view, dst, "DstAddress", JC_STR, 0),
    JC_CONST("Term", JC_EMIT_ZERO),
    JC_ARR(struct decom_status_view, hosts, nhosts, "Replicas", JC_STR, NULL, 0),
    JC_F(struct decom_status_view, error, "ErrorMessage", JC_STR, 0),
    JC_CONST("NeedRollbackTimes", JC_EMIT_ZERO),
    JC_F(struct decom_status_view, type, "DecommissionType", JC_STR, 0),
    JC_CONST("IsDiscard", JC_EMIT_FALSE),
    JC_F(struct decom_status_view, job_id, "JobID", JC_U64, 0),
    JC_F(struct decom_status_view, parent_id, "ParentJobID", JC_U64, 0),
    JC_F(struct decom_status_view, state, "State", JC_STR, 0),
    JC_F(struct decom_status_view, message, "Message", JC_STR, 0),
    JC_F(struct decom_status_view, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct decom_status_view, update_time, "UpdateTime", JC_I64, 0),
    JC_END,
};

static void dp_decommission_status(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct decom_status_view v;
    struct replica_part p;
    struct store_job job;
    struct store_txn *t;
    uint64_t id;
    bool found;

    if (params_u64(r, "id", true, &id) != 0) {
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    if (read_part(r, t, TOPO_DATA, id, NULL, &p, NULL) != 0) {
        store_txn_end(t);
        return;
    }
    found = decommission_find_partition_job(t, TOPO_DATA, id, &job) == 0;
    store_txn_end(t);
    memset(&v, 0, sizeof(v));
    v.partition_id = id;
    v.replica_num = p.rec.dp.replica_num;
    v.recover = p.rec.dp.is_recover;
    v.nhosts = p.rec.dp.nhosts;
    memcpy(v.hosts, p.rec.dp.hosts, sizeof(v.hosts));
    snprintf(v.status, sizeof(v.status), "%s", decom_status_name(found ? job.state : 0));
    snprintf(v.special_step, sizeof(v.special_step), "SpecialDecommissionInitial");
    snprintf(v.state, sizeof(v.state), "%s", decom_state_name(found ? job.state : 0));
    snprintf(v.type, sizeof(v.type), "%s",
             found && job.parent_id != 0 ? "NodeDecommission" : "ManualDecommission");
    if (found) {
        v.retry = job.attempts;
        snprintf(v.src, sizeof(v.src), "%s", job.src_addr);
        snprintf(v.dst, sizeof(v.dst), "%s", job.dst_addr);
        for (uint32_t i = 0; i < p.rec.dp.nreplicas; i++) {
            if (strcmp(p.rec.dp.replicas[i].addr, job.src_addr) == 0) {
                snprintf(v.src_disk, sizeof(v.src_disk), "%s", p.rec.dp.replicas[i].disk_path);
            }
        }
        if (job.state == DECOM_FAILED) {
            snprintf(v.error, sizeof(v.error), "%s", job.message);
        }
        snprintf(v.message, sizeof(v.message), "%s", job.message);
        v.job_id = job.id;
        v.parent_id = job.parent_id;
        v.create_time = job.create_time;
        v.update_time = job.update_time;
    }
    http_req_reply_ok(r, jc_encode(decom_status_view_fields, &v));
}

/* The answer of a node decommission: CubeFS's sentence, then the job and its progress. */
static json_t *node_answer(struct master *m, enum topo_kind kind, const struct store_job *job,
                           bool existing)
{
    struct decom_progress pr = {0};
    struct store_txn *t;
    char head[160];

    if (store_read_begin(m->store, &t) == 0) {
        decommission_node_progress(t, job, &pr);
        store_txn_end(t);
    }
    if (existing) {
        snprintf(head, sizeof(head), "%s node [%s] is already being decommissioned",
                 topo_kind_name(kind), job->src_addr);
    } else if (kind == TOPO_DATA) {
        snprintf(head, sizeof(head), "decommission data node [%s] limit %u successfully",
                 job->src_addr, job->total);
    } else {
        snprintf(head, sizeof(head),
                 "decommissionMetaNode metaNode [%s] limit %u has offline successfully",
                 job->src_addr, job->total);
    }
    return json_sprintf("%s: job %" PRIu64 " (%s), %u partitions to move: %u moved, %u failed, "
                        "%u moving, %u left on the node",
                        head, job->id, decom_status_name(job->state), pr.total, pr.succeeded,
                        pr.failed, pr.running, pr.remaining);
}

static void decom_node_run(struct api_op *op)
{
    struct decom_req *q = (struct decom_req *)op;
    char errmsg[ERRMSG_SIZE] = "";
    struct store_job job;
    bool existing = false;
    int rv = decommission_start_node(op->m, q->kind, q->addr, q->count, &job, &existing, errmsg);

    if (rv != 0) {
        api_op_fail(op, rv > 0 ? rv : API_INTERNAL_ERROR, "%s", errmsg);
        return;
    }
    api_op_ok(op, node_answer(op->m, q->kind, &job, existing));
}

static void decom_node_route(struct http_req *r, struct master *m, enum topo_kind kind)
{
    struct decom_req *q;
    struct store_node node;
    struct store_txn *t;
    const char *addr;
    uint64_t count = 0;
    int rv;

    if (params_addr(r, "addr", &addr) != 0 || params_u64(r, "count", false, &count) != 0) {
        return;
    }
    if (count > UINT32_MAX) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter count not match");
        return;
    }
    t = read_begin(m, r);
    if (t == NULL) {
        return;
    }
    rv = kind == TOPO_DATA ? store_get_datanode_by_addr(t, addr, &node)
                           : store_get_metanode_by_addr(t, addr, &node);
    store_txn_end(t);
    if (rv != 0) {
        http_req_reply_error(r, node_not_found_code(kind), "%s",
                             errors_api_message(node_not_found_code(kind)));
        return;
    }
    q = api_op_new(m, r, sizeof(*q), decom_node_run);
    if (q == NULL) {
        return;
    }
    q->kind = kind;
    q->count = (uint32_t)count;
    snprintf(q->addr, sizeof(q->addr), "%s", addr);
    api_op_submit(&q->op);
}

static void dn_decommission(struct http_req *r, void *arg)
{
    decom_node_route(r, arg, TOPO_DATA);
}

static void mn_decommission(struct http_req *r, void *arg)
{
    decom_node_route(r, arg, TOPO_META);
}

/* --- the group ----------------------------------------------------------------------------------
 */

static const struct http_route routes[] = {
    {"/dataPartition/get", HTTP_GET, 0, dp_get},
    {"/metaPartition/get", HTTP_GET, 0, mp_get},
    {"/dataPartition/load", HTTP_GET | HTTP_POST, 0, dp_load},
    {"/dataPartition/diagnose", HTTP_GET, 0, dp_diagnose},
    {"/metaPartition/diagnose", HTTP_GET, 0, mp_diagnose},
    {"/dataReplica/add", HTTP_GET | HTTP_POST, 0, dp_replica_add},
    {"/dataReplica/delete", HTTP_GET | HTTP_POST, 0, dp_replica_delete},
    {"/metaReplica/add", HTTP_GET | HTTP_POST, 0, mp_replica_add},
    {"/metaReplica/delete", HTTP_GET | HTTP_POST, 0, mp_replica_delete},
    {"/dataPartition/decommission", HTTP_GET | HTTP_POST, 0, dp_decommission},
    {"/metaPartition/decommission", HTTP_GET | HTTP_POST, 0, mp_decommission},
    {"/dataPartition/queryDecommissionStatus", HTTP_GET, 0, dp_decommission_status},
    {"/dataNode/decommission", HTTP_GET | HTTP_POST, 0, dn_decommission},
    {"/metaNode/decommission", HTTP_GET | HTTP_POST, 0, mn_decommission},
};

static int partition_leader_start(struct master *m, char *errmsg)
{
    int rv = replica_ops_register(m);

    if (rv != 0) {
        errors_set(errmsg, "registering the load response handler: %s", errors_strerror(rv));
        return rv;
    }
    return decommission_leader_start(m, errmsg);
}

static void partition_leader_stop(struct master *m)
{
    decommission_leader_stop(m);
}

const struct api_group api_partition_group = {
    routes,
    sizeof(routes) / sizeof(routes[0]),
    partition_leader_start,
    partition_leader_stop,
};
