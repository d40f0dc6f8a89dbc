/* The node tasks that act on partition replicas, built from the stored records and sent
 * synchronously over the node's pooled connection (from worker threads).
 *
 * Every call returns 0 or an error whose message names the node and carries its own text, e.g.
 * "127.0.0.1:17310: OpErr: createDataPartition_no space left on any disk". The *_all calls act on
 * every host of a partition in parallel, so a dead node costs one deadline, not one per replica;
 * cleanup() removes what a failed create made (sync delete, falling back to a queued async
 * delete the sender retries when the node does not answer). */
#ifndef CFS_MASTER_CLUSTER_PTASKS_H
#define CFS_MASTER_CLUSTER_PTASKS_H

#include "common/errors.h"
#include "metanode_proto/mn_bodies.h"
#include "storage/records.h"

#include <stdbool.h>
#include <stdint.h>

struct master;

/* CreateType of OpCreateDataPartition. */
enum {
    PTASKS_CREATE_NEW = 0,
    PTASKS_CREATE_DECOMMISSION = 1 /* a replica added to an existing partition */
};

/* Data partitions. create fills disk_path (STORE_PATH_SIZE) with the node's answer. */
int ptasks_create_dp(struct master *m, const struct store_dp *dp, const char *host,
                     int32_t create_type, char *disk_path, char *errmsg);
int ptasks_delete_dp(struct master *m, uint64_t dp_id, const char *host, char *errmsg);
/* Add or remove peer in the raft group of dp, asking node `to`. */
int ptasks_dp_member(struct master *m, uint64_t dp_id, const char *to, bool add,
                     const struct store_peer *peer, char *errmsg);
int ptasks_dp_try_leader(struct master *m, uint64_t dp_id, const char *host, char *errmsg);

/* Meta partitions. */
int ptasks_create_mp(struct master *m, const struct store_mp *mp, const char *host, char *errmsg);
int ptasks_delete_mp(struct master *m, uint64_t mp_id, const char *host, char *errmsg);
int ptasks_mp_member(struct master *m, uint64_t mp_id, const char *to, bool add,
                     const struct store_peer *peer, char *errmsg);
int ptasks_mp_try_leader(struct master *m, uint64_t mp_id, const char *host, char *errmsg);
int ptasks_load_mp(struct master *m, uint64_t mp_id, const char *host, struct mn_load_mp_resp *out,
                   char *errmsg);

/* Per-host outcome of an *_all call (indexes follow the partition's hosts). */
struct ptasks_result {
    int rv;
    char errmsg[ERRMSG_SIZE];
    char disk_path[STORE_PATH_SIZE]; /* data partitions */
};

/* Create on every host at once; returns how many succeeded (all of them is success). */
uint32_t ptasks_create_dp_all(struct master *m, const struct store_dp *dp,
                              struct ptasks_result *res);
uint32_t ptasks_create_mp_all(struct master *m, const struct store_mp *mp,
                              struct ptasks_result *res);

/* Delete the replicas a failed create made (those with res[i].rv == 0); never fails: a node
 * that does not answer gets a queued delete instead. */
void ptasks_cleanup_dp(struct master *m, const struct store_dp *dp,
                       const struct ptasks_result *res);
void ptasks_cleanup_mp(struct master *m, const struct store_mp *mp,
                       const struct ptasks_result *res);

/* Queue an async delete (resent by the task sender until answered or timed out). */
void ptasks_queue_delete(struct master *m, bool data, uint64_t partition_id, const char *host);

/* Short text for a whole *_all outcome: "127.0.0.1:17310: <why>; 127.0.0.2:17310: <why>". */
void ptasks_summarize(const struct ptasks_result *res, const char (*hosts)[STORE_ADDR_SIZE],
                      uint32_t n, char *errmsg);

#endif
