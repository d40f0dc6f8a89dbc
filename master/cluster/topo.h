/* The leader's in-memory view of the data and meta nodes: soft state, never persisted.
 *
 * Registration fields (id, nodeset, zone, rdonly, decommissioning) come from the store records,
 * loaded at leader start and updated as nodes register, move or leave. Everything else comes
 * from heartbeats: the node's figures, the time of its last report, and its partition reports,
 * indexed by partition id so all replica reports of a partition are found at once. A node that
 * stops reporting a partition drops out of that partition's index at its next heartbeat.
 *
 * Time is the caller's monotonic milliseconds; nothing here reads a clock. All calls are
 * thread-safe (one mutex): heartbeats are applied on the loop thread while placement and status
 * checks copy views out on workers. Copies are independent of later updates. */
#ifndef CFS_MASTER_CLUSTER_TOPO_H
#define CFS_MASTER_CLUSTER_TOPO_H

#include "datanode_proto/dn_bodies.h"
#include "master/cluster/status.h"
#include "metanode_proto/mn_bodies.h"
#include "storage/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPO_DEFAULT_ZONE "default" /* the zone of a node whose heartbeat names none */

enum topo_kind { TOPO_DATA = 0, TOPO_META = 1 };
#define TOPO_KINDS 2

/* "data" or "meta", for messages. */
const char *topo_kind_name(enum topo_kind kind);

/* One node, as copied out. */
struct topo_node {
    enum topo_kind kind;
    uint64_t id;
    uint64_t nodeset_id;
    char addr[STORE_ADDR_SIZE];
    char zone[STORE_NAME_SIZE];          /* registered zone */
    char reported_zone[STORE_NAME_SIZE]; /* from the last heartbeat; "" before the first */
    bool rdonly;
    bool decommissioning; /* store_node.to_be_offline */
    bool active;
    bool reported;      /* a heartbeat was applied since the node was added */
    uint64_t report_ms; /* monotonic ms of the last heartbeat */
    /* Data nodes: disk bytes. Meta nodes: memory bytes, available = total − used. */
    uint64_t total;
    uint64_t used;
    uint64_t available;
    uint32_t partition_count; /* partitions in the last heartbeat */
    /* Placement state (see placement.h): spreading weight and how often the node was chosen. */
    double carry;
    uint64_t selected_times;
};

/* A nodeset with how many nodes of each kind it holds now. */
struct topo_nodeset {
    uint64_t id;
    uint32_t capacity; /* 0 for a nodeset known only from a node's record */
    char zone[STORE_NAME_SIZE];
    uint32_t count[TOPO_KINDS];
};

struct topo;

int topo_new(struct topo **out);
void topo_free(struct topo *t);

/* Forget every node and nodeset, before a new leader loads the store. */
void topo_clear(struct topo *t);

/* Add a nodeset or update its capacity and zone. */
int topo_put_nodeset(struct topo *t, const struct store_nodeset *ns);

/* Add a node, or update the registration fields of a known one (same kind and address) and keep
 * its heartbeat state. A node in a nodeset not put yet creates that nodeset with capacity 0. */
int topo_put_node(struct topo *t, enum topo_kind kind, const struct store_node *rec);

/* Remove a node and its partition reports; CFS_ENOTFOUND when it is not known. */
int topo_remove_node(struct topo *t, enum topo_kind kind, const char *addr);

/* What a heartbeat changed, for the caller to act on. */
struct topo_hb_result {
    bool became_active;
    /* The reported zone differs from the registered one: the caller moves the node (spec §2.8)
     * and puts the new record. Said again on every heartbeat until then. */
    bool zone_changed;
};

/* Apply a heartbeat response from the node at addr: figures, zone, report time = now_ms, active,
 * and the partition reports, which replace the previous ones. CFS_ENOTFOUND for a node not
 * registered; CFS_EREMOTE when the response says the heartbeat failed (nothing changes); -ENOMEM
 * either changes nothing or leaves the node with its new figures and no partition reports until
 * its next heartbeat. res may be NULL. */
int topo_apply_dn_heartbeat(struct topo *t, const char *addr, const struct dn_heartbeat_resp *resp,
                            uint64_t now_ms, struct topo_hb_result *res, char *errmsg);
int topo_apply_mn_heartbeat(struct topo *t, const char *addr, const struct mn_heartbeat_resp *resp,
                            uint64_t now_ms, struct topo_hb_result *res, char *errmsg);

/* A data node's disk as its last heartbeat described it (DiskStats, BadDisks). */
struct topo_disk {
    char path[STORE_PATH_SIZE];
    uint64_t total; /* bytes */
    uint64_t used;
    uint64_t available;
    int32_t status; /* on the partition scale: DP_STATUS_READ_WRITE, _READ_ONLY, _UNAVAILABLE */
    bool bad;       /* listed in BadDisks */
};

/* Keep the disks of a data node's heartbeat response (replacing the previous ones), for the disk
 * views; call it with the response just applied. CFS_ENOTFOUND for a node not registered,
 * -ENOMEM (the previous disks stay). */
int topo_put_disks(struct topo *t, const char *addr, const struct dn_heartbeat_resp *resp);

/* The disks of a data node's last heartbeat (malloc'd; NULL when none). CFS_ENOTFOUND when the
 * node is unknown. */
int topo_copy_disks(struct topo *t, const char *addr, struct topo_disk **out, size_t *n);

struct topo_change {
    enum topo_kind kind;
    char addr[STORE_ADDR_SIZE];
    bool active; /* the new state */
};

/* Liveness pass: every node is active when it has reported within timeout_ms of now_ms
 * (status_is_fresh). *out (malloc'd, NULL when nothing changed) lists the nodes that changed. */
int topo_check_liveness(struct topo *t, uint64_t now_ms, uint64_t timeout_ms,
                        struct topo_change **out, size_t *n);

/* All nodes of a kind, sorted by address (malloc'd; NULL when there are none). */
int topo_copy_nodes(struct topo *t, enum topo_kind kind, struct topo_node **out, size_t *n);

/* Store back the carry and selected_times that placement left in a copy (by address; nodes gone
 * since are skipped). Concurrent placements race here, last writer wins: carry only spreads
 * load, it never decides whether a node may be chosen. */
void topo_put_placement(struct topo *t, enum topo_kind kind, const struct topo_node *nodes,
                        size_t n);

/* One node by address; CFS_ENOTFOUND when unknown. */
int topo_get_node(struct topo *t, enum topo_kind kind, const char *addr, struct topo_node *out);

/* The reports of one node's last heartbeat (malloc'd; NULL when none). CFS_ENOTFOUND when the
 * node is unknown. */
int topo_copy_dp_reports(struct topo *t, const char *addr, struct status_dp_report **out,
                         size_t *n);
int topo_copy_mp_reports(struct topo *t, const char *addr, struct status_mp_report **out,
                         size_t *n);

/* Every node's report of partition id, with the node's liveness now. Fills at most cap and
 * returns how many there are (more than cap means some were left out). */
size_t topo_dp_replicas(struct topo *t, uint64_t id, struct status_dp_replica *out, size_t cap);
size_t topo_mp_replicas(struct topo *t, uint64_t id, struct status_mp_replica *out, size_t cap);

struct topo_counts {
    uint32_t active[TOPO_KINDS];
    uint32_t inactive[TOPO_KINDS];
};

void topo_counts(struct topo *t, struct topo_counts *out);

/* All nodesets with their counts, sorted by id (malloc'd; NULL when none). For registration. */
int topo_copy_nodesets(struct topo *t, struct topo_nodeset **out, size_t *n);

/* Zones, their nodesets, and the nodesets' nodes, for /topo/get, /zone/list and /nodeSet/list.
 * Zones are not records: a zone is the set of nodesets naming it. */
struct topo_set_view {
    struct topo_nodeset set;
    struct topo_node *nodes[TOPO_KINDS]; /* set.count[kind] nodes each, sorted by address */
};

struct topo_zone_view {
    char name[STORE_NAME_SIZE];
    struct topo_set_view *sets; /* sorted by id */
    size_t nsets;
};

struct topo_summary {
    struct topo_zone_view *zones; /* sorted by name */
    size_t nzones;
    struct topo_set_view *set_buf; /* storage behind the views */
    struct topo_node *node_buf;
};

int topo_summarize(struct topo *t, struct topo_summary *out);
void topo_summary_free(struct topo_summary *s);

#endif
