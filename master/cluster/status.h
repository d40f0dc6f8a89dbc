/* Partition status and liveness: pure functions of (what the partition records, what its
 * replicas last reported, now).
 *
 * Nothing here is sticky: a status is recomputed from the reports every check, so a replica that
 * went silent turns its partition ReadOnly and a fresh report turns it back. Where CubeFS v2.5.2
 * takes the status of the last replica when a meta partition has no leader, we answer Unavailable.
 *
 * The types of this header are also the vocabulary topo.c stores and copies out: a replica is a
 * status_source (the node that reported, and when) plus the kind's report. Both report kinds start
 * with a struct status_report, so code common to data and meta partitions walks either array with
 * a stride. */
#ifndef CFS_MASTER_CLUSTER_STATUS_H
#define CFS_MASTER_CLUSTER_STATUS_H

#include "common/errors.h"
#include "storage/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CubeFS v2.5.2 defaults (spec §5.1). */
#define STATUS_NODE_TIMEOUT_MS       18000ULL /* 3 heartbeats of 6 s */
#define STATUS_DP_REPLICA_TIMEOUT_MS 30000ULL
#define STATUS_MP_REPLICA_TIMEOUT_MS 60000ULL
#define STATUS_DP_MIN_FREE           (10ULL << 30) /* a data partition needs more free to be written */

/* True when a report stamped report_ms is at most timeout_ms old at now_ms. A report stamped
 * after now_ms (read on another thread a moment later) is fresh. Node liveness is exactly this. */
bool status_is_fresh(uint64_t report_ms, uint64_t now_ms, uint64_t timeout_ms);

/* What every partition report carries. */
struct status_report {
    uint64_t partition_id;
    int32_t status; /* DP_STATUS_* or MP_STATUS_* (same values) */
    bool is_leader;
};

struct status_dp_report {
    struct status_report base;
    uint64_t total; /* bytes */
    uint64_t used;
    uint64_t extent_count;
    char disk_path[STORE_PATH_SIZE];
};

struct status_mp_report {
    struct status_report base;
    uint64_t start;
    uint64_t end;
    uint64_t max_inode_id;
    uint64_t inode_count;
    uint64_t dentry_count;
};

/* The node a replica report came from, as it stood when the report was copied. */
struct status_source {
    char addr[STORE_ADDR_SIZE];
    uint64_t report_ms; /* monotonic ms of the node's heartbeat that carried the report */
    bool node_active;
    bool node_rdonly; /* a ReadWrite replica on a read-only node counts as ReadOnly */
};

struct status_dp_replica {
    struct status_source src;
    struct status_dp_report report;
};

struct status_mp_replica {
    struct status_source src;
    struct status_mp_report report;
};

/* The partition as recorded, and the clock. */
struct status_part {
    const char (*hosts)[STORE_ADDR_SIZE]; /* store_dp.hosts or store_mp.hosts */
    uint32_t nhosts;                      /* at most STORE_MAX_HOSTS */
    uint32_t replica_num;
    uint64_t now_ms;
    uint64_t replica_timeout_ms;
};

/* What the replicas add up to, for both kinds. */
struct status_summary {
    int8_t status;                /* DP_STATUS_* or MP_STATUS_* */
    uint32_t live;                /* hosts with a live replica */
    char leader[STORE_ADDR_SIZE]; /* a live host replica reporting leader, "" when none */
    /* Hosts without a live replica (no report, node inactive, report too old, or Unavailable). */
    uint32_t nmissing;
    char missing[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    /* Replicas reported by nodes not in hosts: nextra counts them all, the first
     * STORE_MAX_HOSTS addresses are kept. They do not change the status. */
    uint32_t nextra;
    char extra[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    /* What is wrong, "; "-separated and cut to fit: for a data partition exactly why it is not
     * ReadWrite; a meta partition can be ReadWrite with a minority of its hosts listed here. */
    char reason[ERRMSG_SIZE];
};

struct status_dp_input {
    struct status_part part;
    const struct status_dp_replica *replicas;
    size_t nreplicas;
    uint64_t min_free; /* total − used must stay above this (STATUS_DP_MIN_FREE) */
    bool vol_full;     /* the volume's used space has reached its capacity */
};

struct status_dp_result {
    struct status_summary sum;
    uint64_t total; /* the largest total and used over the hosts' reports */
    uint64_t used;
};

struct status_mp_input {
    struct status_part part;
    const struct status_mp_replica *replicas;
    size_t nreplicas;
    uint64_t end; /* the End the master records */
    bool last;    /* the volume's last (highest-id) meta partition */
};

struct status_mp_result {
    struct status_summary sum;
    uint64_t max_inode_id; /* the largest over the hosts' reports */
    uint64_t inode_count;
    uint64_t dentry_count;
};

/* ReadWrite only when every host (and at least replica_num of them) has a live replica, every
 * live replica reports ReadWrite, total − used > min_free, and the volume is not full; otherwise
 * ReadOnly. A replica is live when its node is active, its report is within the replica timeout,
 * and it is not Unavailable. */
void status_dp(const struct status_dp_input *in, struct status_dp_result *out);

/* Unavailable when at most replica_num/2 replicas are live or no live replica is the leader;
 * otherwise the leader's status, ReadOnly when any live replica reports ReadOnly, and ReadOnly
 * when a partition other than the last has used its inode range (max inode id >= end). */
void status_mp(const struct status_mp_input *in, struct status_mp_result *out);

#endif
