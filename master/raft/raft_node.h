/* This master's Raft member: libraft 0.15 (libuv backend) driving the FSM. The only module that
 * includes raft.h.
 *
 * Happy path: raft_node_start() opens the log in dir, bootstraps the group when asked to (only
 * on a master with no state at all), and joins the loop. On the leader, raft_node_propose()
 * encodes a command, appends it, and once a quorum has it the FSM applies it into the open LMDB
 * write transaction; a uv_check handle commits that transaction once per loop iteration and only
 * then completes the proposals, so a caller told "success" can read its write.
 *
 * Failure modes: a proposal on a follower fails at once with CFS_ENOTLEADER; leadership lost
 * before commit completes it with CFS_ENOTLEADER; its deadline passing completes it with
 * CFS_ETIMEDOUT (the entry may still commit later: the caller must say the outcome is unknown);
 * shutdown completes the rest with CFS_ECANCELED. Each callback fires exactly once. A local fault
 * while applying or committing (disk, LMDB) stops the process: the Raft log is the durable record
 * and a restart replays it, while continuing would let this master diverge.
 *
 * libraft 0.15 traps handled here (see deps-field-notes.md): entries are padded to 8 bytes,
 * auto-recovery is off so a corrupt segment fails start loudly, the FSM skips entries at or below
 * LMDB's applied index (replays), apply results live in a per-node slot (raft never frees them),
 * raft_strerror() is used instead of the stale raft_errmsg(), and role changes are polled since
 * 0.15 has no state callback. */
#ifndef CFS_MASTER_RAFT_RAFT_NODE_H
#define CFS_MASTER_RAFT_RAFT_NODE_H

#include "master/raft/fsm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RAFT_NODE_ADDR_SIZE   64
#define RAFT_NODE_MAX_MEMBERS 16

enum raft_node_role { RAFT_NODE_STANDBY = 0, RAFT_NODE_VOTER = 1, RAFT_NODE_SPARE = 2 };

struct raft_node_member {
    uint64_t id;
    char addr[RAFT_NODE_ADDR_SIZE]; /* Raft address, ip:port */
    int role;                       /* enum raft_node_role */
    /* On the leader: monotonic ms when the member was last heard from (this member: now), polled
     * every heartbeat; 0 when unknown (never heard from, or this member does not lead). */
    uint64_t contact_ms;
};

struct raft_node_options {
    uint64_t id;
    char addr[RAFT_NODE_ADDR_SIZE]; /* this member's Raft address; the transport binds to it */
    const char *dir;                /* walDir; created if missing */
    struct fsm *fsm;
    bool bootstrap; /* first start with empty state: form the group below */
    uint32_t nmembers;
    struct raft_node_member members[RAFT_NODE_MAX_MEMBERS]; /* the bootstrap voters */
    uint32_t election_timeout_ms;
    uint32_t heartbeat_ms;
    uint32_t snapshot_threshold; /* entries between snapshots */
    uint32_t snapshot_trailing;  /* entries kept behind a snapshot */
    /* How long the leader waits for a follower to install a snapshot before sending it again.
     * libraft's 30 s default stalls a follower that was busy with its own snapshot when the
     * first one arrived (it refuses with RAFT_BUSY and the leader waits out the timeout). */
    uint32_t install_snapshot_timeout_ms;
    /* Called on the loop thread when this member's view of the leader changes (polled every
     * heartbeat_ms): leader is this member's role, leader_id 0 when unknown. */
    void (*on_leader)(void *arg, bool leader, uint64_t leader_id);
    void *arg;
};

void raft_node_options_default(struct raft_node_options *o);

struct raft_node;

typedef void (*raft_node_result_cb)(void *arg, int rv, const struct fsm_result *res);
typedef void (*raft_node_done_cb)(void *arg, int rv);

int raft_node_start(uv_loop_t *loop, const struct raft_node_options *o, struct raft_node **out,
                    char *errmsg);

/* Stop: pending proposals complete with CFS_ECANCELED, the FSM's pending writes are committed,
 * handles are closed; done fires once everything is released (the node is freed then). */
void raft_node_stop(struct raft_node *n, void (*done)(void *arg), void *arg);

/* Propose cmd (loop thread only). If it returns an error, cb never fires. */
int raft_node_propose(struct raft_node *n, const struct fsm_cmd *cmd, uint32_t timeout_ms,
                      raft_node_result_cb cb, void *arg);

/* Append a barrier: cb fires once everything before it has been applied and committed. */
int raft_node_barrier(struct raft_node *n, raft_node_done_cb cb, void *arg);

bool raft_node_is_leader(struct raft_node *n);

/* "voter", "spare" or "standby". */
const char *raft_node_role_name(enum raft_node_role role);

/* This member's Raft state: "leader", "follower", "candidate" or "unavailable". */
const char *raft_node_state_name(struct raft_node *n);

/* Leader id (0 unknown) and its Raft address (NULL when unknown). */
uint64_t raft_node_leader(struct raft_node *n, const char **addr);

uint64_t raft_node_id(const struct raft_node *n);
uint64_t raft_node_applied(struct raft_node *n);
uint64_t raft_node_last_index(struct raft_node *n);
uint64_t raft_node_term(struct raft_node *n);

/* Current configuration; returns the number of members (at most max are copied). */
size_t raft_node_members(struct raft_node *n, struct raft_node_member *out, size_t max);

/* Membership changes (leader only, one at a time: a second one fails with -EBUSY and a message).
 * add joins id as a spare; assign changes its role (promoting to voter catches it up first);
 * remove drops it; transfer hands leadership to id (0: any up-to-date voter). cb fires exactly
 * once unless the call fails. */
int raft_node_add(struct raft_node *n, uint64_t id, const char *addr, raft_node_done_cb cb,
                  void *arg, char *errmsg);
int raft_node_assign(struct raft_node *n, uint64_t id, int role, raft_node_done_cb cb, void *arg,
                     char *errmsg);
int raft_node_remove(struct raft_node *n, uint64_t id, raft_node_done_cb cb, void *arg,
                     char *errmsg);
int raft_node_transfer(struct raft_node *n, uint64_t id, raft_node_done_cb cb, void *arg,
                       char *errmsg);

#endif
