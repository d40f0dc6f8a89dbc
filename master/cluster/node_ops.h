/* What the master does with data and meta nodes: registration, the heartbeat cycle (liveness and
 * heartbeat tasks), zone moves, and the CubeFS v3.5 views of nodes the API answers with.
 *
 * Registration (worker thread), happy path: lock "node:<addr>" -> a known address answers its ID
 * -> lock "nodesets:<zone>" -> choose the zone's nodeset with the most free slots for the kind, or
 * a new one -> reserve IDs -> ONE Raft command with the new nodeset (if any) and the node, on
 * condition that the address is still free -> after commit, topo and the task manager learn the
 * node and a first heartbeat is queued. Failure modes: nothing is written unless everything is;
 * a lock held too long, a rejected or unfinished proposal answer with the reason; topo changes only
 * after the commit, and a node that registers again heals a topo that missed it.
 *
 * Heartbeat cycle (loop thread, leader only): every heartbeatIntervalMs, and once at once when
 * leadership starts, a liveness pass (topo_check_liveness) and one heartbeat task per node. The
 * responses update topo on the loop thread and never wait for anything; a node that reports
 * another zone than it registered with is moved on a worker (nodeset of the new zone, created if
 * needed, and the node record, in one command). */
#ifndef CFS_MASTER_CLUSTER_NODE_OPS_H
#define CFS_MASTER_CLUSTER_NODE_OPS_H

#include "common/errors.h"
#include "master/cluster/placement.h"
#include "master/cluster/topo.h"
#include "master/core/master_config.h"
#include "storage/records.h"
#include "storage/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;

/* --- registration ---------------------------------------------------------------------------- */

/* /dataNode/add and /metaNode/add, validated. */
struct node_ops_reg {
    char addr[STORE_ADDR_SIZE];
    char zone[STORE_NAME_SIZE]; /* "" means TOPO_DEFAULT_ZONE */
    uint64_t nodeset_id;        /* 0: choose one */
    uint32_t heartbeat_port;    /* v3.5 raft ports, 0 when not given */
    uint32_t replica_port;
    uint32_t media_type;
};

/* From a worker thread. 0 with *id (the existing ID for a known address), or an error with *code
 * (the API code to answer) and errmsg saying why. */
int node_ops_register(struct master *m, enum topo_kind kind, const struct node_ops_reg *req,
                      uint64_t *id, int *code, char *errmsg);

/* Where a node goes: an existing nodeset, or a new one to create. */
struct node_ops_set_plan {
    uint64_t nodeset_id; /* 0 with create */
    bool create;
};

/* Pure. want != 0 names a nodeset, which must be one of sets and in zone (CFS_ENOTFOUND with a
 * message otherwise); want == 0 takes placement_pick_nodeset's choice, or plans a new nodeset when
 * every one of the zone is full. */
int node_ops_plan_nodeset(const struct topo_nodeset *sets, size_t n, const char *zone,
                          enum topo_kind kind, uint64_t want, struct node_ops_set_plan *out,
                          char *errmsg);

/* --- heartbeats ---------------------------------------------------------------------------------
 */

/* Loop thread, when leadership starts / ends: response handlers, the heartbeat timer. stop
 * returns at once; a tick never runs after it. */
int node_ops_leader_start(struct master *m, char *errmsg);
void node_ops_leader_stop(struct master *m);

/* --- views
 * ----------------------------------------------------------------------------------------- */

/* The writability rules of placement, from the configuration and the cluster record: the same
 * rules placement must use, so IsWriteAble means "placement may choose it". */
void node_ops_policy(const struct master_config *cfg, const struct store_cluster *cluster,
                     struct placement_policy *out);

/* node_ops_policy with m's configuration and its stored cluster record (the defaults until the
 * first leader writes it): what volume creation, replica moves and the node views all use, so
 * "writable" means the same everywhere. */
void node_ops_master_policy(struct master *m, struct placement_policy *out);

/* What the views need besides the nodes: rules, limits and clocks. */
struct node_ops_view_env {
    struct placement_policy policy;
    float meta_threshold;  /* the cluster's Threshold */
    uint64_t max_dp_count; /* maxDpCntLimit, 0 for none */
    uint64_t max_mp_count; /* maxMpCntLimit, 0 for none */
    uint64_t now_ms;       /* monotonic, the clock of topo's report times */
    int64_t now_wall_s;
};

/* Fill env from the master's configuration, its cluster record and the clocks. */
void node_ops_view_env(struct master *m, struct node_ops_view_env *out);

/* RFC 3339 in local time, as Go writes a time.Time ("2026-11-22T19:03:57+08:00", "...Z" in
 * UTC). */
void node_ops_format_time(int64_t wall_s, char *buf, size_t size);

/* A partition the store places on a node, with the disk the data node chose for it. */
struct node_ops_hosted {
    uint64_t id;
    char disk_path[STORE_PATH_SIZE]; /* "" for meta partitions */
};

/* A node as the views see it: its record, its topo view (NULL when topo does not know it, then it
 * is inactive with zero figures), and what its last heartbeat and the store say about it. */
struct node_ops_source {
    const struct store_node *rec;
    const struct topo_node *node;
    const struct node_ops_hosted *hosted; /* partitions whose hosts list the node, ids ascending */
    size_t nhosted;
    /* Data nodes only. */
    const struct status_dp_report *reports;
    const char (*report_vols)[STORE_NAME_SIZE]; /* the volume of each report, "" when unknown */
    size_t nreports;
    const struct topo_disk *disks;
    size_t ndisks;
};

/* The views; each returns a new JSON value, or NULL when out of memory. */

/* An element of /admin/cluster/getAllDataNodes and getAllMetaNodes (NodeView). */
json_t *node_ops_node_view(const struct node_ops_source *src, const struct node_ops_view_env *env);

/* NodeView lists (/admin/cluster/getAll{Data,Meta}Nodes, /admin/getCluster's DataNodes and
 * MetaNodes, a nodeset's nodes in /topo/get), appended to list; 0 or -ENOMEM.
 *
 * node_ops_list_views: every registered node of kind (records in t), by ID, with its topo view
 * (a node topo does not know is inactive). node_ops_append_views: n nodes copied from topo, each
 * with its record read in t (a node whose record is already gone, being removed, shows what topo
 * has). */
int node_ops_list_views(struct store_txn *t, struct topo *topo, enum topo_kind kind,
                        const struct node_ops_view_env *env, json_t *list);
int node_ops_append_views(struct store_txn *t, const struct topo_node *nodes, size_t n,
                          const struct node_ops_view_env *env, json_t *list);

/* /dataNode/get (DataNodeInfo) and /metaNode/get (MetaNodeInfo). */
json_t *node_ops_data_node_info(const struct node_ops_source *src,
                                const struct node_ops_view_env *env);
json_t *node_ops_meta_node_info(const struct node_ops_source *src,
                                const struct node_ops_view_env *env);

/* /disk/queryDisks of one data node: {"Disks":[DiskInfo...]}. */
json_t *node_ops_disks_view(const struct node_ops_source *src);

#endif
