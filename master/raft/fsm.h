/* The replicated state machine: Raft commands applied to the LMDB store.
 *
 * A command is a list of preconditions plus one store batch. Applying it checks the preconditions
 * against the current state (inside the write transaction, so earlier commands of the same loop
 * iteration count) and then applies the batch together with the Raft index. A failed
 * precondition is a business rejection: nothing is written but the applied index, and the result
 * carries the API code and message for the proposer. Only local faults (disk, map full, a command
 * that does not decode) are errors.
 *
 * Commits are batched: fsm_apply() writes into one open write transaction, and fsm_commit()
 * (called once per loop iteration, and before snapshots) commits it. Results are only released to
 * proposers after the commit, so a client that was told "success" can read its write. This module
 * knows nothing of libraft; master/raft/raft_node.c adapts it. */
#ifndef CFS_MASTER_RAFT_FSM_H
#define CFS_MASTER_RAFT_FSM_H

#include "common/errors.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSM_MAX_CHECKS 8

enum fsm_check_kind {
    FSM_CHECK_VOL_NAME_FREE = 1,  /* no volume named key */
    FSM_CHECK_VOL_EXISTS,         /* volume id exists and is not marked deleted */
    FSM_CHECK_DATANODE_ADDR_FREE, /* no data node at key */
    FSM_CHECK_METANODE_ADDR_FREE, /* no meta node at key */
    FSM_CHECK_USER_FREE,          /* no user with id key */
    FSM_CHECK_ACCESS_KEY_FREE,    /* no user with access key key */
    FSM_CHECK_CLUSTER_NAME        /* the stored cluster is named key (or none is stored yet) */
};

struct fsm_check {
    uint8_t kind;
    uint64_t id;
    char key[STORE_NAME_SIZE];
};

struct fsm_cmd {
    uint32_t nchecks;
    struct fsm_check checks[FSM_MAX_CHECKS];
    struct store_batch *batch; /* owned by the command */
};

/* What applying a command did, for the proposer. */
struct fsm_result {
    uint64_t index;
    int code; /* API_SUCCESS, or the API code of the failed precondition */
    char msg[ERRMSG_SIZE];
};

/* Serialize for raft: the buffer comes from alloc (raft_malloc for Raft) and its length is padded
 * with zeros to a multiple of 8 bytes, which libraft 0.15 needs to reload its log correctly. */
int fsm_cmd_encode(const struct fsm_cmd *c, void *(*alloc)(size_t), void **out, size_t *len);
int fsm_cmd_decode(const void *buf, size_t len, struct fsm_cmd *out, char *errmsg);
void fsm_cmd_clear(struct fsm_cmd *c);

/* Add a precondition; -E2BIG past FSM_MAX_CHECKS, -ENAMETOOLONG for a key that does not fit. */
int fsm_cmd_check(struct fsm_cmd *c, enum fsm_check_kind kind, uint64_t id, const char *key);

struct fsm;

int fsm_new(struct store *store, struct fsm **out);
void fsm_free(struct fsm *f); /* commits what is pending */

/* Apply the command at Raft index `index`. Entries at or below the store's applied index are
 * skipped (replays after restart): *skipped is set and res is not filled. Returns an error only
 * for local faults, after which the process must stop applying (its state would diverge). */
int fsm_apply(struct fsm *f, uint64_t index, const void *buf, size_t len, struct fsm_result *res,
              bool *skipped, char *errmsg);

/* Commit the open write transaction, if any. */
int fsm_commit(struct fsm *f, char *errmsg);

/* Install a snapshot (store_snapshot_import): pending writes are committed first, and a snapshot
 * at or below what the store already holds is skipped. */
int fsm_restore(struct fsm *f, const void *buf, size_t len, char *errmsg);

/* True while applied commands wait for fsm_commit(). */
bool fsm_dirty(const struct fsm *f);

/* Highest index applied, committed or not. */
uint64_t fsm_applied(const struct fsm *f);

struct store *fsm_store(struct fsm *f);

#endif
