/* Replica operations on one data or meta partition: add a replica, remove one, and the health
 * survey and safety rules that decide whether a removal is allowed.
 *
 * Happy path (worker thread, caller holds the partition lock "dp:<id>" / "mp:<id>"):
 *   add    = raft member add via the current leader replica (then the other hosts) -> create the
 *            replica on the new node -> ONE Raft command with the new hosts, peers (and data
 *            replicas), IsRecover set;
 *   remove = raft member remove via the leader (then the others) -> ONE Raft command without the
 *            host; then replica_ops_drop() deletes the replica on the removed node and, when the
 *            partition has no leader left, asks the new first host to lead.
 * A decommission job passes its next job record, which travels in the same Raft command as the
 * partition change, so the job's state and the partition never disagree.
 * Failure modes: a node step that fails undoes the node steps before it (best effort) and answers
 * why; a Raft command rejected or refused undoes the node steps too; a command whose outcome is
 * unknown (commit deadline passed) is not undone, since it may still apply, and the message says
 * so. Node steps are idempotent on the nodes (an existing member, partition or missing one is not
 * an error), so re-running a step after a crash converges.
 *
 * The safety rules (majority, recovering) are pure functions of a survey, tested with tables. */
#ifndef CFS_MASTER_CLUSTER_REPLICA_OPS_H
#define CFS_MASTER_CLUSTER_REPLICA_OPS_H

#include "common/errors.h"
#include "master/cluster/topo.h"
#include "storage/records.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;

/* CubeFS's "similar enough" rules for a recovering partition (spec §5.1). */
#define REPLICA_OPS_USED_DIFF_MAX  (1ULL << 30) /* data: used sizes differ by less */
#define REPLICA_OPS_INODE_DIFF_MAX 1000ULL      /* meta: max inode ids differ by less */

/* A partition of either kind. */
struct replica_part {
    enum topo_kind kind;
    union {
        struct store_dp dp; /* kind == TOPO_DATA */
        struct store_mp mp; /* kind == TOPO_META */
    } rec;
};

/* A field both record kinds have (id, vol_id, replica_num, is_recover, nhosts, hosts, npeers,
 * peers), as an lvalue. */
#define REPLICA_PART_FIELD(p, f) (*((p)->kind == TOPO_DATA ? &(p)->rec.dp.f : &(p)->rec.mp.f))

/* "data" / "meta" partition naming for messages. */
const char *replica_ops_noun(enum topo_kind kind);

/* The partition lock key, "dp:<id>" or "mp:<id>". */
void replica_ops_lock_key(enum topo_kind kind, uint64_t id, char *buf, size_t size);

/* Read a partition: 0 or CFS_ENOTFOUND (or a store error). */
int replica_ops_load(struct store_txn *t, enum topo_kind kind, uint64_t id,
                     struct replica_part *out);

/* Index of addr in the partition's hosts, or -1. */
int replica_ops_host_index(const struct replica_part *p, const char *addr);

/* What one host's replica last reported, and whether it counts as live (status.h rules). */
struct replica_ops_host {
    char addr[STORE_ADDR_SIZE];
    bool reported; /* the host's node reported this partition */
    bool live;     /* node active, report fresh, not Unavailable */
    bool leader;   /* live and reporting leadership */
    char why[96];  /* why it is not live */
    uint64_t report_ms;
    int32_t status; /* the replica's reported status */
    uint64_t total, used, extent_count;
    uint64_t max_inode_id, inode_count, dentry_count;
    char disk_path[STORE_PATH_SIZE];
};

struct replica_ops_health {
    enum topo_kind kind;
    uint32_t nhosts;
    struct replica_ops_host hosts[STORE_MAX_HOSTS]; /* in the partition's host order */
    uint32_t live;
    char leader[STORE_ADDR_SIZE]; /* "" when no live host reports leadership */
};

/* Survey the hosts of p from the nodes' latest reports (topo); any thread. */
void replica_ops_survey(struct master *m, const struct replica_part *p, uint64_t now_ms,
                        struct replica_ops_health *out);

/* Pure. Whether the hosts other than `leaving` keep at least `need` live replicas; CubeFS's
 * majority is replica_num / 2 + 1. 0, or API_CANNOT_BE_OFFLINE with a message naming the
 * partition and each host that is not live. */
int replica_ops_check_majority(const struct replica_ops_health *h, uint64_t id, const char *leaving,
                               uint32_t need, char *errmsg);

/* Pure. Whether the live replicas still differ (used size for data, max inode id for meta) by
 * CubeFS's recovering margin; why says by how much. */
bool replica_ops_diverged(const struct replica_ops_health *h, char *why, size_t size);

/* Pure. CubeFS's removal rules for taking `leaving` away from p: the other hosts keep a live
 * majority (always), and a partition flagged IsRecover whose replicas still diverge is not
 * touched unless force. 0 or the API code with a message. */
int replica_ops_check_remove(const struct replica_part *p, const struct replica_ops_health *h,
                             const char *leaving, bool force, char *errmsg);

/* Pure. A partition flagged IsRecover has recovered when it has all its replicas, every host is
 * live, and the replicas no longer diverge. */
bool replica_ops_recovered(const struct replica_part *p, const struct replica_ops_health *h);

/* Add the node `peer` as a replica of p (worker thread; the caller holds the partition lock and
 * has checked peer->addr is a registered node of p's kind and not a host). job (may be NULL) is
 * put in the same Raft command. On success p holds the committed record. */
int replica_ops_add(struct master *m, struct replica_part *p, const struct store_peer *peer,
                    const struct store_job *job, char *errmsg);

/* Remove host addr from p's raft group and records (worker thread, partition lock held; the
 * caller has checked the removal rules). job (may be NULL) goes in the same Raft command. On
 * success p holds the committed record; call replica_ops_drop() next. */
int replica_ops_remove(struct master *m, struct replica_part *p, const char *addr,
                       const struct store_job *job, char *errmsg);

/* After a committed removal: delete the replica on addr (queued for retries when the node does
 * not answer), then, when addr was the leader or no host of p reports leadership, ask p's first
 * host to lead. Never fails; what went wrong is logged. */
void replica_ops_drop(struct master *m, const struct replica_part *p, const char *addr,
                      bool was_leader);

/* Undo a replica that was created but never committed (a failed job's target): remove it from
 * the raft group via the hosts and delete it on addr. Best effort. */
void replica_ops_discard(struct master *m, const struct replica_part *p, const char *addr);

/* Choose a node for a new replica of p replacing src: placement over the current nodes, src's
 * nodeset first, never a host of p (or a decommissioning, inactive or full node). zone "" means
 * any. commit = false leaves the nodes' placement weights alone (a dry run). */
int replica_ops_choose_target(struct master *m, const struct replica_part *p, const char *src,
                              const char *zone, bool commit, struct store_peer *out, char *errmsg);

/* One Raft command putting p's record (its volume must still exist) and job when not NULL.
 * CFS_ENOTFOUND when the volume is gone or being deleted; CFS_ETIMEDOUT leaves the outcome
 * unknown (see master_propose). */
int replica_ops_commit(struct master *m, const struct replica_part *p, const struct store_job *job,
                       char *errmsg);

/* Worker thread: clear IsRecover on every partition flagged so that has recovered (all replicas
 * live and alike), under each partition's lock (busy ones wait for the next sweep), as CubeFS's
 * recovery-progress check does. Returns how many were cleared. */
uint32_t replica_ops_clear_recovered(struct master *m);

/* Queue OpLoadDataPartition to every live host of p (any thread); returns how many were queued. */
uint32_t replica_ops_load_dp(struct master *m, const struct replica_part *p, uint64_t now_ms);

/* Register the handler that logs OpLoadDataPartition answers (idempotent). */
int replica_ops_register(struct master *m);

#endif
