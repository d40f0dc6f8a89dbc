/* Decommission jobs: persisted, resumable state machines that move a replica off a node
 * (partition jobs) or empty a whole node (node jobs). Every job is a store_job record written
 * through Raft, so a new leader resumes each unfinished job where the old one stopped.
 *
 * Partition job (STORE_JOB_DP / STORE_JOB_MP), adding the new replica before removing the old:
 *
 *   MARKED --target chosen--> TARGET_CHOSEN --replica added--> REPLICA_ADDED
 *          --old removed--> OLD_REMOVED --old replica deleted--> SUCCESS
 *   (any state but OLD_REMOVED) --> FAILED(message)
 *
 * Each transition is persisted before the work of the next state starts, and the partition
 * change of a step travels in the same Raft command as the state it leads to, so the job and the
 * partition never disagree. Every step is idempotent: re-running it after a crash converges (a
 * target already in the hosts skips the add, a source already gone skips the removal, node tasks
 * tolerate repeats). A step that cannot proceed yet (no live majority, the new replica not yet
 * reported, a node not answering) is retried with exponential backoff; after the bounded number
 * of attempts the job fails with the reason. A job never reports success for work it did not do.
 *
 * Node job (STORE_JOB_DATANODE / STORE_JOB_METANODE): MARKED --> RUNNING --> SUCCESS | FAILED.
 * Created together with the node's to_be_offline mark (placement never picks the node again), it
 * spawns one child partition job per partition on the node, a bounded number at a time; when no
 * partition is left on the node it removes the node's record, in the same command as SUCCESS.
 * With a count limit it stops after that many partitions and keeps the node. A node job that
 * cannot empty the node fails and clears the mark, so the node serves again.
 *
 * The decisions (allowed transitions, next step of a job, which jobs to run on a tick, backoff)
 * are pure functions here; decommission.c also holds the leader-only driver that carries them out
 * on the workers. */
#ifndef CFS_MASTER_CLUSTER_DECOMMISSION_H
#define CFS_MASTER_CLUSTER_DECOMMISSION_H

#include "master/cluster/replica_ops.h"
#include "storage/records.h"
#include "storage/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;

enum decom_state {
    DECOM_MARKED = 1,        /* recorded; nothing done */
    DECOM_TARGET_CHOSEN = 2, /* partition jobs: dst picked by placement */
    DECOM_REPLICA_ADDED = 3, /* dst is a committed host */
    DECOM_OLD_REMOVED = 4,   /* src is no longer a host */
    DECOM_RUNNING = 5,       /* node jobs: child jobs spawned and running */
    DECOM_SUCCESS = 6,
    DECOM_FAILED = 7,
    DECOM_STATE_COUNT
};

/* Whether a job of kind may move from one state to another; staying in a non-final state (a
 * retry, progress counters) is allowed. */
bool decom_transition_ok(uint8_t kind, uint8_t from, uint8_t to);
bool decom_is_final(uint8_t state);
bool decom_is_partition_kind(uint8_t kind);

/* Our precise state name ("TargetChosen") and the v3.5 status word cfs-cli shows ("Marked",
 * "Prepare", "Running", "Success", "Fail"; "Initial" for no job). */
const char *decom_state_name(uint8_t state);
const char *decom_status_name(uint8_t state);

/* The v3.5 DecommissionStatus number of the same (Initial 0, Marked 1, Prepare 3, Running 4,
 * Success 5, Fail 6), for the views that carry it as an integer. */
uint32_t decom_status_code(uint8_t state);

struct decom_policy {
    uint32_t max_attempts;      /* failed tries of one step before the job fails */
    uint32_t backoff_base_ms;   /* first retry delay, doubled per attempt */
    uint32_t backoff_max_ms;    /* cap on the delay */
    uint32_t max_running_parts; /* partition jobs running at once */
    uint32_t max_running_nodes; /* node jobs running at once */
    uint32_t node_parallel;     /* unfinished children a node job keeps */
};

void decom_policy_default(struct decom_policy *p);

/* Delay before retry number `attempts` (1 = first retry). */
uint64_t decom_backoff_ms(const struct decom_policy *p, uint32_t attempts);

/* --- partition jobs ---------------------------------------------------------------------- */

enum decom_action {
    DECOM_ACT_NONE = 0,       /* final state: nothing to do */
    DECOM_ACT_CHOOSE_TARGET,  /* MARKED, or a target that went away: pick dst, persist it */
    DECOM_ACT_ADD_REPLICA,    /* TARGET_CHOSEN: add dst, persist REPLICA_ADDED with the hosts */
    DECOM_ACT_COMMIT_ADDED,   /* TARGET_CHOSEN, dst already a host: persist REPLICA_ADDED */
    DECOM_ACT_REMOVE_OLD,     /* REPLICA_ADDED: remove src, persist OLD_REMOVED with the hosts */
    DECOM_ACT_COMMIT_REMOVED, /* REPLICA_ADDED, src already gone: persist OLD_REMOVED */
    DECOM_ACT_FINISH,         /* OLD_REMOVED: delete src's replica, persist SUCCESS */
    DECOM_ACT_WAIT,           /* a condition does not hold yet: retry later */
    DECOM_ACT_FAIL,           /* cannot succeed: persist FAILED */
    /* Node jobs. */
    DECOM_ACT_SPAWN,       /* create child jobs */
    DECOM_ACT_REMOVE_NODE, /* node empty: delete its record, persist SUCCESS */
    DECOM_ACT_KEEP_NODE    /* count reached: clear the mark, persist SUCCESS */
};

const char *decom_action_name(enum decom_action a);

/* What a partition job's next step sees: the partition (exists = false when it is gone) and its
 * hosts' health. */
struct decom_part_view {
    bool exists;
    const struct replica_part *part;
    const struct replica_ops_health *health;
    /* Monotonic ms at or before which a report of the new replica may predate it (a node that
     * held the partition before reports it until its next heartbeat); 0 when every report is
     * newer (a new leader starts from fresh reports). */
    uint64_t fresh_after_ms;
    /* The chosen target can still take the replica: registered, not decommissioning, and not
     * known to be down (a node not heard from since this leader started counts as usable). */
    bool dst_usable;
};

struct decom_step {
    enum decom_action action;
    uint8_t next_state; /* the state the action persists */
    char why[ERRMSG_SIZE];
};

void decom_part_step(const struct store_job *job, const struct decom_part_view *v,
                     struct decom_step *out);

/* The live majority a decommission must keep, counted among the hosts other than src when the
 * job is requested: CubeFS's replica_num / 2 + 1, but for 1- and 2-replica partitions, whose
 * replacement is added first, what they can keep (the full rule is checked again before src is
 * removed). */
uint32_t decom_request_majority(uint32_t replica_num);

/* --- node jobs ---------------------------------------------------------------------------- */

struct decom_node_view {
    bool node_exists;
    uint32_t hosted;     /* partitions listing the node now */
    uint32_t unassigned; /* hosted, with no job of this node job and none active elsewhere */
    uint32_t busy;       /* hosted, with an active job of another requester */
    uint32_t active;     /* this job's unfinished children */
    uint32_t succeeded;  /* this job's children that succeeded */
    uint32_t failed;     /* this job's children that failed */
};

struct decom_node_step {
    enum decom_action action;
    uint8_t next_state;
    uint32_t spawn; /* DECOM_ACT_SPAWN: how many children */
    char why[ERRMSG_SIZE];
};

/* job->total holds the requested count (0 = all partitions). */
void decom_node_step(const struct store_job *job, const struct decom_node_view *v,
                     const struct decom_policy *p, struct decom_node_step *out);

/* --- scheduling --------------------------------------------------------------------------- */

struct decom_brief {
    uint64_t id;
    uint8_t kind;
    uint8_t state;
    bool running;           /* a worker is on it */
    uint64_t not_before_ms; /* backoff: not before this monotonic time */
};

/* Which unfinished jobs to start now, oldest first, keeping within the running limits; writes at
 * most max ids and returns how many. */
size_t decom_plan_tick(const struct decom_brief *jobs, size_t n, uint64_t now_ms,
                       const struct decom_policy *p, uint64_t *start, size_t max);

/* --- the driver and the routes' entry points ----------------------------------------------- */

/* Leader-only job driver: leader_start resumes every unfinished job and ticks every partition
 * check interval; leader_stop stops ticking (running steps end at their next Raft proposal). */
int decommission_leader_start(struct master *m, char *errmsg);
void decommission_leader_stop(struct master *m);

/* Any thread: run a tick soon (a job was created, a child finished). */
void decommission_kick(struct master *m);

/* Worker thread: record a partition job moving src off partition pid of kind (TOPO_DATA or
 * TOPO_META) after checking, under the partition lock, that src is a host, that no other job is
 * moving that partition, that a live majority stays, that it is not recovering and that a target
 * exists. Returns 0 with *job_id, or an API code (> 0) with errmsg, or a negative error. */
int decommission_start_partition(struct master *m, enum topo_kind kind, uint64_t pid,
                                 const char *src, uint64_t *job_id, char *errmsg);

/* Worker thread: record a node job for the registered node addr (and its to_be_offline mark)
 * moving at most count partitions (0 = all). A node already being emptied answers its running
 * job (*existing = true). Returns 0, an API code (> 0) with errmsg, or a negative error. */
int decommission_start_node(struct master *m, enum topo_kind kind, const char *addr, uint32_t count,
                            struct store_job *job, bool *existing, char *errmsg);

/* Reads, inside the caller's read transaction. The latest job of a partition / a node:
 * 0 or CFS_ENOTFOUND. */
int decommission_find_partition_job(struct store_txn *t, enum topo_kind kind, uint64_t pid,
                                    struct store_job *out);
int decommission_find_node_job(struct store_txn *t, enum topo_kind kind, const char *addr,
                               struct store_job *out);

/* Progress of a node job counted from its children. */
struct decom_progress {
    uint32_t total; /* partitions to move: moved + failed + running + waiting */
    uint32_t succeeded, failed, running;
    uint32_t remaining; /* partitions still on the node */
};

int decommission_node_progress(struct store_txn *t, const struct store_job *job,
                               struct decom_progress *out);

/* For /dataNode/get and /metaNode/get (api_node.c): set on obj "ToBeOffline" (the node's mark)
 * and, when the node has a decommission job, "DecommissionStatus" (the status word),
 * "DecommissionLimit" (count, 0 = all) and "DecommissionProgress" {JobID, Status, State, Total,
 * Succeeded, Failed, Running, Remaining, ErrorMessage, CreateTime, UpdateTime}. node is the
 * node's record. 0 or a negative error (out of memory, store). */
int decommission_node_info(struct store_txn *t, enum topo_kind kind, const struct store_node *node,
                           json_t *obj);

#endif
