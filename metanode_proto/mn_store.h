/* The meta node's on-disk state: meta partitions under metadataDir.
 *
 * Layout, as CubeFS lays it out: each partition is a directory <metadataDir>/partition_<id>
 * holding a JSON file `meta` (partition id, volume, inode range, peers, create time, leader mark)
 * with CubeFS's own keys. It is created, replaced and removed with admin_task/node_files.h, so
 * kill -9 never leaves a torn file; opening the store loads exactly the partitions whose
 * directory and `meta` agree (anything else is skipped with a logged reason).
 *
 * There is no inode or dentry store behind these partitions: a partition's inode cursor stays at
 * Start (CubeFS starts it there), so MaxInodeID = Start and the counts are 0. All calls run on
 * one thread (the agent's loop). */
#ifndef CFS_METANODE_PROTO_MN_STORE_H
#define CFS_METANODE_PROTO_MN_STORE_H

#include "admin_task/task.h"
#include "common/jcodec.h"
#include "metanode_proto/mn_bodies.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_STORE_DIR_PREFIX "partition_"
#define MN_STORE_META_FILE  "meta"

/* What `meta` holds. */
struct mn_partition {
    uint64_t partition_id;         /* partition_id */
    char vol_name[TASK_NAME_SIZE]; /* vol_name */
    uint64_t start;                /* start: first inode */
    uint64_t end;                  /* end: last inode */
    uint32_t npeers;               /* peers */
    struct task_peer peers[TASK_MAX_MEMBERS];
    int64_t create_time; /* create_time, unix seconds */
    bool leader_marked;  /* leader_marked: set by TryToLeader */
};
extern const struct jc_field mn_partition_fields[];

/* The inode cursor: the highest inode handed out, which is Start until inodes exist. */
uint64_t mn_store_max_inode(const struct mn_partition *p);

/* A partition's status: ReadOnly once its cursor has reached End (no inode left to hand out)
 * or the process's memory has reached totalMem (mem_used >= mem_total, as a CubeFS meta node
 * refuses new inodes then); ReadWrite otherwise. A pure function for tests. */
int32_t mn_store_partition_status(const struct mn_partition *p, uint64_t mem_used,
                                  uint64_t mem_total);

struct mn_store;

/* Make dir if needed and load every partition in it. */
int mn_store_open(const char *dir, struct mn_store **out, char *errmsg);
void mn_store_close(struct mn_store *s);

size_t mn_store_count(const struct mn_store *s);

/* The partition with this id, or NULL. */
const struct mn_partition *mn_store_get(const struct mn_store *s, uint64_t id);

/* Create a partition. The same request again is a no-op; an existing id with a different volume
 * or range is CFS_EEXIST (CubeFS compares them the same way). Start > End is -EINVAL. */
int mn_store_create(struct mn_store *s, const struct mn_create_mp_req *req, int64_t now,
                    char *errmsg);

/* Remove a partition; an unknown id is not an error. */
int mn_store_delete(struct mn_store *s, uint64_t id, char *errmsg);

/* A new End (the master splits the last partition this way). It may not fall below the inode
 * cursor (-EINVAL). Unknown id: CFS_ENOTFOUND, "meta partition <id> not exists". */
int mn_store_update_end(struct mn_store *s, uint64_t id, uint64_t end, char *errmsg);

/* Add or remove a replica in peers; a no-op when already so. */
int mn_store_add_member(struct mn_store *s, uint64_t id, const struct task_peer *peer,
                        char *errmsg);
int mn_store_remove_member(struct mn_store *s, uint64_t id, const struct task_peer *peer,
                           char *errmsg);

/* Record that this replica was asked to lead (see node_files_is_leader). */
int mn_store_mark_leader(struct mn_store *s, uint64_t id, char *errmsg);

/* The LoadMetaPartition answer; Addr = self_addr. */
int mn_store_load(const struct mn_store *s, uint64_t id, const char *self_addr,
                  struct mn_load_mp_resp *out, char *errmsg);

/* One report per partition into out->reports (malloc'd; free with jc_free). The node-level
 * fields (ZoneName, Total, Used, Status) are left for the caller. */
int mn_store_heartbeat(const struct mn_store *s, const char *self_addr, uint64_t mem_used,
                       uint64_t mem_total, struct mn_heartbeat_resp *out, char *errmsg);

#endif
