/* What both node agents share about their partitions: one directory per partition holding a JSON
 * metadata file, the in-memory index of those partitions, the replica member lists recorded in
 * the files, and the operations both stores build on (create, delete, members, leader mark).
 *
 * Crash safety (kill -9 at any instruction leaves either the old or the new state):
 * - a file is replaced by writing <path>.tmp, fsync, rename over <path>, fsync the directory;
 * - a partition directory is built as <name>.tmp (metadata file inside, fsynced) and renamed to
 *   <name>, so a directory with the final name always has a whole metadata file;
 * - a partition directory is removed by renaming it to <name>.del (fsynced) before deleting the
 *   tree, so a half-deleted tree never looks like a partition.
 * node_files_scan() removes the .tmp and .del leftovers of an interrupted create or delete. */
#ifndef CFS_ADMIN_TASK_NODE_FILES_H
#define CFS_ADMIN_TASK_NODE_FILES_H

#include "admin_task/task.h"
#include "common/fsutil.h"
#include "common/jcodec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Staging directories share the suffix of fsutil_write_atomic's temporary files, so one scan rule
 * removes the leftovers of both. */
#define NODE_FILES_TMP_SUFFIX FSUTIL_TMP_SUFFIX
#define NODE_FILES_DEL_SUFFIX ".del"
#define NODE_FILES_MAX_JSON   (1u << 20) /* bound on a metadata file we agree to read */

/* Encode obj with fields and replace path with the text atomically. */
int node_files_write_json(const char *path, const struct jc_field *fields, const void *obj,
                          char *errmsg);

/* Read path (at most NODE_FILES_MAX_JSON bytes) and decode it into out, which holds the defaults
 * on entry. Errors name the file. */
int node_files_read_json(const char *path, const struct jc_field *fields, void *out, char *errmsg);

/* Create parent/name holding file_name = obj encoded with fields, staged as described above.
 * A stale parent/name.tmp is replaced; an existing parent/name is an error (-EEXIST). */
int node_files_create_dir(const char *parent, const char *name, const char *file_name,
                          const struct jc_field *fields, const void *obj, char *errmsg);

/* Remove parent/name and everything in it; a missing directory is not an error. Once the rename
 * to .del is durable the partition is gone: failing to delete the tree after that is only logged
 * (the next scan retries). */
int node_files_remove_dir(const char *parent, const char *name, char *errmsg);

/* Call cb(name, arg, errmsg) for each entry of parent whose name starts with prefix and is not a
 * staging leftover (those are removed, with a log line). cb returns 0 to go on, or an error (with
 * errmsg filled) that stops the scan and is returned. */
int node_files_scan(const char *parent, const char *prefix,
                    int (*cb)(const char *name, void *arg, char *errmsg), void *arg, char *errmsg);

/* path = a/b, with an error naming both when it does not fit in size bytes. */
int node_files_join(char *path, size_t size, const char *a, const char *b, char *errmsg);

/* The in-memory index of the partitions found on disk: items of item_size bytes, each starting
 * with its uint64_t id, kept sorted by id so reports come out in a stable order. Zero-initialise
 * with item_size set (and kind and owner for the partition operations below); pointers into it
 * are valid until the next insert or remove. */
struct node_files_kind;

struct node_files_table {
    size_t item_size;
    const struct node_files_kind *kind;
    const void *owner; /* the agent's store, handed to kind->locate */
    char *items;
    size_t n;
    size_t cap;
};

void *node_files_table_find(const struct node_files_table *t, uint64_t id);
void *node_files_table_at(const struct node_files_table *t, size_t i);
/* Copy item in at its place; the caller has checked that its id is absent. */
int node_files_table_insert(struct node_files_table *t, const void *item);
void node_files_table_remove(struct node_files_table *t, const void *item);
void node_files_table_free(struct node_files_table *t);

/* Partition operations both agents share, on a table whose items hold a partition's metadata
 * struct (what its metadata file holds). A kind tells them how an agent lays its partitions out. */

/* The replica lists and leader mark inside one metadata struct. */
struct node_files_replicas {
    struct task_peer *peers; /* TASK_MAX_MEMBERS entries */
    uint32_t *npeers;
    char (*hosts)[TASK_ADDR_SIZE]; /* TASK_MAX_MEMBERS entries, or NULL: the kind keeps none */
    uint32_t *nhosts;
    bool *leader_marked;
};

struct node_files_kind {
    const char *name;              /* "data partition": messages read "<name> <id> ..." */
    const char *file_name;         /* the metadata file inside a partition directory */
    const struct jc_field *fields; /* its encoding */
    size_t meta_offset;            /* where the metadata struct sits in a table item */
    size_t meta_size;
    void (*replicas)(void *meta, struct node_files_replicas *out);
    /* An item's partition directory: returns its parent (owned by owner), its name into name. */
    const char *(*locate)(const void *owner, const void *item, char *name, size_t size);
};

/* "<name> <id> not exists", CFS_ENOTFOUND: what a CubeFS node answers for an unknown id. */
int node_files_not_exists(const struct node_files_table *t, uint64_t id, char *errmsg);

/* Create item's directory with its metadata file (node_files_create_dir), then index a copy of
 * item; failing to index removes the directory again, so memory and disk keep agreeing. */
int node_files_part_create(struct node_files_table *t, const void *item, char *errmsg);

/* Remove partition id's directory, then its item; an unknown id is not an error. */
int node_files_part_delete(struct node_files_table *t, uint64_t id, char *errmsg);

/* Persist next (a metadata struct) as item's metadata file, then copy it into item: memory
 * changes only once the file is durable. */
int node_files_part_commit(struct node_files_table *t, void *item, const void *next, char *errmsg);

/* Add peer to, or remove it from, partition id's peers (and hosts, when the kind keeps them);
 * nothing is written when the lists already are so, so a resent task is a no-op. */
int node_files_part_change_member(struct node_files_table *t, uint64_t id,
                                  const struct task_peer *peer, bool add, char *errmsg);

/* Mark partition id as asked to lead by TryToLeader (see node_files_is_leader). */
int node_files_part_mark_leader(struct node_files_table *t, uint64_t id, char *errmsg);

/* Replica members. Peers are matched by address, which is how the master names replicas. Both
 * return 1 when the list changed, 0 when it already had (or lacked) the peer, so a resent task is
 * a no-op; adding to a full list is -ENOSPC. */
int node_files_peer_add(struct task_peer *peers, uint32_t *n, const struct task_peer *peer);
int node_files_peer_remove(struct task_peer *peers, uint32_t *n, const char *addr);

/* The same for a plain address list (the data node's Hosts). */
int node_files_host_add(char (*hosts)[TASK_ADDR_SIZE], uint32_t *n, const char *addr);
int node_files_host_remove(char (*hosts)[TASK_ADDR_SIZE], uint32_t *n, const char *addr);

/* Leader flag, with no per-partition Raft in these agents: a replica is the leader when it is
 * the first member of its list (a choice every replica of the partition makes alike, so one of
 * them reports it), or after a TryToLeader task marked it. */
bool node_files_is_leader(const struct task_peer *peers, uint32_t n, const char *self_addr,
                          bool marked);

#endif
