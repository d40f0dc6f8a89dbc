/* Volumes and their partitions: creating a volume with its meta and data partitions, adding data
 * partitions, splitting the last meta partition, changing and deleting volumes, and the two
 * leader jobs behind them (automatic data-partition creation, removal of deleted volumes).
 *
 * Happy path of a creation: lock "vol:<name>" -> read the store -> place every replica
 * (placement.h: distinct nodes in one nodeset) -> allocate IDs -> create the replicas on the
 * nodes, all partitions at once (ptasks.h) -> ONE Raft command holding every record -> refresh
 * the partition statuses -> answer.
 * Failure modes: a placement, ID or node failure deletes every replica created so far and answers
 * why (never a half-created volume); a Raft rejection (the name was taken meanwhile) deletes them
 * too; a proposal whose outcome is unknown (commit timeout) keeps them, since the records may
 * still commit, and says so.
 *
 * Deletion is two-phase, as in CubeFS: /vol/delete only marks the volume deleted through Raft;
 * the leader's deletion job then deletes every replica on the nodes (sync tasks) and removes the
 * records of the partitions whose replicas are all gone, and the volume's record with the last
 * of them. A replica on a node that is down stays, and is retried on the next round.
 *
 * Meta partitions get as many replicas as the volume's data partitions (replicaNum); CubeFS
 * forces 3 outside singleNodeMode, which a one- or two-node test cluster cannot satisfy.
 *
 * Flows run on worker threads and return the API code the client gets (API_SUCCESS or the
 * envelope code) with msg (ERRMSG_SIZE bytes) holding the answer: on success the text CubeFS
 * sends as data, otherwise why it failed. The pure rules (inode ranges, defaults, update checks,
 * the authKey) are exported for tests. */
#ifndef CFS_MASTER_CLUSTER_VOL_OPS_H
#define CFS_MASTER_CLUSTER_VOL_OPS_H

#include "storage/records.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct master;
struct pstate_vol;

#define VOL_OPS_INODE_STEP         (1ULL << 22)           /* v3.5's inode range per partition */
#define VOL_OPS_INODE_MAX          9223372036854775807ULL /* 2^63 - 1: the last partition's End */
#define VOL_OPS_DEFAULT_REPLICAS   3
#define VOL_OPS_MAX_REPLICAS       3
#define VOL_OPS_DEFAULT_MP_COUNT   3
#define VOL_OPS_MAX_MP_COUNT       100
#define VOL_OPS_DEFAULT_DP_COUNT   3
#define VOL_OPS_MAX_DP_COUNT       200
#define VOL_OPS_DEFAULT_DP_SIZE_GB 120
#define VOL_OPS_DEFAULT_ZONE       "default"

/* --- pure rules ------------------------------------------------------------------------------ */

struct vol_ops_range {
    uint64_t start;
    uint64_t end;
};

/* The inode ranges of a new volume's count (>= 1) meta partitions: [0, step], [step + 1,
 * 2 step], ..., the last one ending at VOL_OPS_INODE_MAX. */
void vol_ops_mp_ranges(uint32_t count, struct vol_ops_range *out);

/* Splitting the last meta partition: its End becomes max(start, last_start, max_inode) + step
 * and a new partition takes [End + 1, VOL_OPS_INODE_MAX]. -ERANGE when no inode would be left
 * for the new partition. */
int vol_ops_split_end(uint64_t start, uint64_t last_start, uint64_t max_inode, uint64_t *end);

/* True when auth_key is the hex MD5 of owner, in either case (CubeFS's authKey). */
bool vol_ops_auth_ok(const char *owner, const char *auth_key);

/* createVol as the API layer parsed it; zeros mean "not given". */
struct vol_ops_create_req {
    char name[STORE_NAME_SIZE];
    char owner[STORE_NAME_SIZE];
    char zone[STORE_NAME_SIZE]; /* "" -> VOL_OPS_DEFAULT_ZONE */
    char description[STORE_TEXT_SIZE];
    uint64_t capacity;   /* GB, required */
    uint64_t replicas;   /* 0 -> 3; 1..3 */
    uint64_t mp_count;   /* 0 -> 3; at most 100 */
    uint64_t dp_count;   /* 0 -> 3; at most 200 */
    uint64_t dp_size_gb; /* 0 -> 120 */
    bool follower_read;
    bool follower_read_given;
    bool cross_zone;
};

/* Fill the defaults and check the ranges (pure). API_SUCCESS, or API_PARAM_ERROR with a message
 * in CubeFS's form "args [<key>] is not legal, val <v>: <why>" (or v3.5's own text for the
 * followerRead rule: volumes with 1 or 2 replicas read from followers). */
int vol_ops_check_create(struct vol_ops_create_req *req, char *msg);

enum vol_ops_update_kind {
    VOL_OPS_UPDATE, /* /vol/update: any of the fields below */
    VOL_OPS_EXPAND, /* /vol/expand: capacity only, strictly larger */
    VOL_OPS_SHRINK  /* /vol/shrink: capacity only, strictly smaller */
};

struct vol_ops_update_req {
    enum vol_ops_update_kind kind;
    char name[STORE_NAME_SIZE];
    char auth_key[STORE_KEY_SIZE];
    bool has_capacity;
    uint64_t capacity; /* GB */
    bool has_replicas;
    uint64_t replicas; /* 0 keeps the current count */
    bool has_follower_read;
    bool follower_read;
    bool has_zone;
    char zone[STORE_NAME_SIZE]; /* "" keeps the current zone */
    bool has_description;
    char description[STORE_TEXT_SIZE];
};

/* The volume after req (pure), given the bytes its data partitions use. Code 2 when expand or
 * shrink does not move the capacity the right way, when replicaNum is out of 1..3 or grows
 * (new data partitions get the new count; existing ones keep theirs), or when 1 or 2 replicas
 * come with followerRead=false; code 1 when a lower capacity would be under 1.2 x the used
 * space. */
int vol_ops_plan_update(const struct store_vol *cur, uint64_t used_bytes,
                        const struct vol_ops_update_req *req, struct store_vol *out, char *msg);

/* --- views ----------------------------------------------------------------------------------- */

/* VolStatInfo (v3.5 field set) of vol with the figures of the last partition check: an element
 * of /admin/getCluster's VolStatInfo (ratio_decimals 3) and the answer of /client/volStat (2), as
 * v3.5 writes them. NULL when out of memory. */
json_t *vol_ops_stat_view(const struct store_vol *vol, const struct pstate_vol *stats,
                          int ratio_decimals);

/* --- flows (worker threads) ------------------------------------------------------------------ */

/* /admin/createVol: req must have passed vol_ops_check_create(). Also writes the owner's user
 * record when there is none (normal user, random 16-character access key and 32-character
 * secret key). */
int vol_ops_create(struct master *m, const struct vol_ops_create_req *req, char *msg);

/* /dataPartition/create: count partitions one after another; the first failure stops it and
 * says why (the partitions made before it stay). Refused while the cluster is frozen. */
int vol_ops_add_dps(struct master *m, const char *name, uint32_t count, char *msg);

/* /metaPartition/create: split the volume's last meta partition (see vol_ops_split_end); the
 * replicas of the old partition learn their new End through queued OpUpdateMetaPartition. */
int vol_ops_split_mp(struct master *m, const char *name, uint64_t start, char *msg);

/* /vol/update, /vol/expand, /vol/shrink (checks: the volume, the authKey, vol_ops_plan_update,
 * and a new zone must have nodes). */
int vol_ops_update(struct master *m, const struct vol_ops_update_req *req, char *msg);

/* Loop thread: the same update without a worker. API_SUCCESS: the update is under way and done
 * fires exactly once, on the loop, with the answer (msg is only valid during the call); another
 * API code: it failed (msg says why) and done never fires; VOL_OPS_ON_WORKER: the volume is busy
 * with another operation (or this master is not ready), run vol_ops_update() on a worker. A
 * /vol/update then costs no hand-off between threads. */
#define VOL_OPS_ON_WORKER (-1)
typedef void (*vol_ops_done_cb)(void *arg, int code, const char *msg);
int vol_ops_update_start(struct master *m, const struct vol_ops_update_req *req,
                         vol_ops_done_cb done, void *arg, char *msg);

/* /vol/delete: mark the volume deleted (again is a no-op success); `from` is the client's address
 * for the answer. */
int vol_ops_delete(struct master *m, const char *name, const char *auth_key, const char *from,
                   char *msg);

/* --- leader jobs: one round each, on a worker thread ------------------------------------------ */

/* Give every live volume with capacity left as many ReadWrite data partitions as its dpCount
 * asks; nothing while the cluster is frozen. Volumes another operation holds are skipped. */
void vol_ops_auto_create_round(struct master *m);

/* Move every volume marked deleted forward: delete its replicas on the nodes, then the records
 * whose replicas are all gone. */
void vol_ops_delete_round(struct master *m);

/* Leadership start (loop thread): listen to OpUpdateMetaPartition responses, to log failures. */
int vol_ops_leader_start(struct master *m, char *errmsg);

#endif
