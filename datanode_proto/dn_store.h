/* The data node's on-disk state: data partitions spread over the configured disks.
 *
 * Layout, as CubeFS lays it out: each partition is a directory <disk>/datapartition_<id>_<size>
 * holding a JSON metadata file META (volume, id, size, type, replica num, peers, hosts, create
 * time, create type, leader mark) and the partition's data files. Directories and META are
 * created, replaced and removed with admin_task/node_files.h, so kill -9 never leaves a torn
 * file or a half-made partition; opening the store scans every disk and holds exactly the
 * partitions whose directory and META agree (anything else is skipped with a logged reason).
 *
 * Space decisions are pure functions of struct dn_disk_space, so tests drive them with tables;
 * only dn_store_disk_space() calls statvfs. All calls run on one thread (the agent's loop). */
#ifndef CFS_DATANODE_PROTO_DN_STORE_H
#define CFS_DATANODE_PROTO_DN_STORE_H

#include "admin_task/task.h"
#include "common/jcodec.h"
#include "datanode_proto/dn_bodies.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DN_STORE_MAX_DISKS  32
#define DN_STORE_DIR_PREFIX "datapartition_"
#define DN_STORE_META_FILE  "META"

struct dn_disk_conf {
    char path[TASK_PATH_SIZE];
    uint64_t reserved; /* bytes the data node leaves free on this disk */
};

/* Parse a `disks` config entry "path:reservedBytes" (the last ':' separates them). */
int dn_store_parse_disk(const char *spec, struct dn_disk_conf *out, char *errmsg);

/* One disk as the space decisions see it. */
struct dn_disk_space {
    bool ok;           /* statvfs answered; a disk that does not is reported bad */
    uint64_t total;    /* f_blocks * f_frsize */
    uint64_t used;     /* (f_blocks - f_bfree) * f_frsize */
    uint64_t avail;    /* f_bavail * f_frsize: what the node's writes can still use */
    uint64_t reserved; /* from the config */
};

/* statvfs of conf->path. A failing statvfs is not an error: out->ok is false. */
void dn_store_disk_space(const struct dn_disk_conf *conf, struct dn_disk_space *out);

/* Free space above the reserve: avail - reserved, 0 when the reserve eats it or the disk is bad. */
uint64_t dn_store_disk_room(const struct dn_disk_space *d);

/* The disk for a new partition: the most room, the first listed on ties; -1 when no disk has
 * any room. */
int dn_store_choose_disk(const struct dn_disk_space *disks, size_t n);

/* A partition's status from its disk: Unavailable when the disk or the partition directory
 * cannot be read, ReadOnly when the disk has no room left, ReadWrite otherwise. */
int32_t dn_store_partition_status(const struct dn_disk_space *disk, bool dir_ok);

/* What META holds. */
struct dn_partition {
    char vol_name[TASK_NAME_SIZE]; /* VolumeID */
    uint64_t partition_id;         /* PartitionID */
    uint64_t size;                 /* PartitionSize */
    int32_t partition_type;        /* PartitionType */
    int32_t replica_num;           /* ReplicaNum */
    uint32_t npeers;               /* Peers */
    struct task_peer peers[TASK_MAX_MEMBERS];
    uint32_t nhosts; /* Hosts */
    char hosts[TASK_MAX_MEMBERS][TASK_ADDR_SIZE];
    int64_t create_time; /* CreateTime, unix seconds */
    int32_t create_type; /* DataPartitionCreateType */
    bool leader_marked;  /* IsLeader: set by TryToLeader */
};
extern const struct jc_field dn_partition_fields[];

struct dn_store;

/* Check the disks (they must be directories) and load every partition found on them. */
int dn_store_open(const struct dn_disk_conf *disks, size_t ndisks, struct dn_store **out,
                  char *errmsg);
void dn_store_close(struct dn_store *s);

size_t dn_store_count(const struct dn_store *s);

/* The partition with this id and the path of its disk, or NULL. */
const struct dn_partition *dn_store_get(const struct dn_store *s, uint64_t id,
                                        const char **disk_path);

/* Create a partition on the disk with the most room; *disk_path gets that disk's path (owned by
 * the store). An existing id answers its disk again without touching anything. No disk with
 * room: -ENOSPC, "no space left on any disk". */
int dn_store_create(struct dn_store *s, const struct dn_create_dp_req *req, int64_t now,
                    const char **disk_path, char *errmsg);

/* Remove a partition and its files; an unknown id is not an error. */
int dn_store_delete(struct dn_store *s, uint64_t id, char *errmsg);

/* Add or remove a replica in Peers and Hosts; a no-op when already so. Unknown id: CFS_ENOTFOUND,
 * "data partition <id> not exists". */
int dn_store_add_member(struct dn_store *s, uint64_t id, const struct task_peer *peer,
                        char *errmsg);
int dn_store_remove_member(struct dn_store *s, uint64_t id, const struct task_peer *peer,
                           char *errmsg);

/* Record that this replica was asked to lead (see node_files_is_leader). */
int dn_store_mark_leader(struct dn_store *s, uint64_t id, char *errmsg);

/* The LoadDataPartition answer: every data file (a regular file at the top of the partition
 * directory other than META) with its size, CRC-32 and mtime, and Used = their total size. */
int dn_store_load(const struct dn_store *s, uint64_t id, struct dn_load_dp_resp *out, char *errmsg);

/* Space figures (statvfs now: Total and Used as the file systems count them, Available and
 * MaxCapacity above the reserves, RemainingCapacity = room not yet promised to the partitions on
 * each disk), all disks with their stats, and one report per partition in id order (Used and
 * ExtentCount from its data files, leader per node_files_is_leader). Node-level fields the store
 * does not know (ZoneName, StartTime, Status) are left for the caller. Free with jc_free. */
int dn_store_heartbeat(const struct dn_store *s, const char *self_addr,
                       struct dn_heartbeat_resp *out, char *errmsg);

#endif
