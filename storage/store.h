/* The LMDB store: the whole cluster state of a master.
 *
 * Contract with the Raft layer above:
 * - every mutation is a batch (puts, deletes, counter raises) applied in one write transaction
 *   together with the Raft index it came from; an index at or below the stored applied index is
 *   skipped, so a log replayed after restart never applies twice;
 * - several batches may share one write transaction (store_write_*) so the loop commits once per
 *   iteration; each batch is still all-or-nothing because it is validated before any write;
 * - MDB_MAP_FULL grows the map and retries the whole transaction, up to max_map_size; past that the
 *   call fails with CFS_EMAPFULL and a message, and nothing is written;
 * - a snapshot is a consistent read transaction walked into a self-checking byte stream; importing
 *   one replaces every record in a single write transaction, so readers see the old state or the
 *   new one, never a mixture.
 *
 * Threads: any thread may read (MDB_NOTLS); writes must come from one thread at a time. */
#ifndef CFS_STORAGE_STORE_H
#define CFS_STORAGE_STORE_H

#include "storage/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1

struct store;
struct store_txn;
struct store_batch;

struct store_options {
    uint64_t map_size;     /* initial LMDB map size, bytes (default 64 MiB) */
    uint64_t max_map_size; /* growth limit (default 64 GiB) */
    bool sync;             /* fsync every commit; default false = MDB_NOMETASYNC */
    unsigned grow_wait_ms; /* how long map growth waits for open transactions to end (5000) */
};

void store_options_default(struct store_options *o);

/* Open or create the store file at path (MDB_NOSUBDIR: path-lock sits next to it). A new store is
 * stamped with STORE_SCHEMA_VERSION; an existing one with another version fails (CFS_ESCHEMA). */
int store_open(const char *path, const struct store_options *opts, struct store **out,
               char *errmsg);
void store_close(struct store *s);

/* Applied Raft index as last committed. */
uint64_t store_applied_index(struct store *s);

/* Current LMDB map size in bytes. */
uint64_t store_map_size(struct store *s);

/* Read transactions: a consistent view until store_txn_end() (which aborts a write transaction).
 * Map growth waits for every transaction to end, so keep read transactions short. */
int store_read_begin(struct store *s, struct store_txn **out);
void store_txn_end(struct store_txn *t);

/* Lookups inside a read or write transaction: 0, CFS_ENOTFOUND, or an error; out is untouched
 * unless 0 is returned. A counter that was never raised reads 0. */
int store_get_cluster(struct store_txn *t, struct store_cluster *out);
int store_get_counter(struct store_txn *t, enum store_counter c, uint64_t *out);
int store_get_vol(struct store_txn *t, uint64_t id, struct store_vol *out);
int store_get_vol_by_name(struct store_txn *t, const char *name, struct store_vol *out);
int store_get_dp(struct store_txn *t, uint64_t id, struct store_dp *out);
int store_get_mp(struct store_txn *t, uint64_t id, struct store_mp *out);
int store_get_datanode(struct store_txn *t, uint64_t id, struct store_node *out);
int store_get_datanode_by_addr(struct store_txn *t, const char *addr, struct store_node *out);
int store_get_metanode(struct store_txn *t, uint64_t id, struct store_node *out);
int store_get_metanode_by_addr(struct store_txn *t, const char *addr, struct store_node *out);
int store_get_nodeset(struct store_txn *t, uint64_t id, struct store_nodeset *out);
int store_get_user(struct store_txn *t, const char *user_id, struct store_user *out);
int store_get_user_by_ak(struct store_txn *t, const char *access_key, struct store_user *out);
int store_get_job(struct store_txn *t, uint64_t id, struct store_job *out);
int store_get_master(struct store_txn *t, uint64_t id, struct store_master *out);

/* Iteration in key order (ids ascending, users by id). The callback returns 0 to go on, 1 to stop
 * early (the walk then returns 0), or a negative error that the walk returns. The record pointer
 * is only valid during the call. */
typedef int (*store_vol_cb)(const struct store_vol *v, void *arg);
typedef int (*store_dp_cb)(const struct store_dp *dp, void *arg);
typedef int (*store_mp_cb)(const struct store_mp *mp, void *arg);
typedef int (*store_node_cb)(const struct store_node *n, void *arg);
typedef int (*store_nodeset_cb)(const struct store_nodeset *ns, void *arg);
typedef int (*store_user_cb)(const struct store_user *u, void *arg);
typedef int (*store_job_cb)(const struct store_job *j, void *arg);
typedef int (*store_master_cb)(const struct store_master *m, void *arg);

int store_foreach_vol(struct store_txn *t, store_vol_cb cb, void *arg);
/* vol_id 0 walks every partition. */
int store_foreach_dp(struct store_txn *t, uint64_t vol_id, store_dp_cb cb, void *arg);
int store_foreach_mp(struct store_txn *t, uint64_t vol_id, store_mp_cb cb, void *arg);
int store_foreach_datanode(struct store_txn *t, store_node_cb cb, void *arg);
int store_foreach_metanode(struct store_txn *t, store_node_cb cb, void *arg);
int store_foreach_nodeset(struct store_txn *t, store_nodeset_cb cb, void *arg);
int store_foreach_user(struct store_txn *t, store_user_cb cb, void *arg);
int store_foreach_job(struct store_txn *t, store_job_cb cb, void *arg);
int store_foreach_master(struct store_txn *t, store_master_cb cb, void *arg);

/* Batches. Adding a record encodes it at once, so the batch owns its bytes. */
struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);
size_t store_batch_count(const struct store_batch *b);

int store_batch_put_cluster(struct store_batch *b, const struct store_cluster *c);
int store_batch_put_vol(struct store_batch *b, const struct store_vol *v);
int store_batch_del_vol(struct store_batch *b, uint64_t id);
int store_batch_put_dp(struct store_batch *b, const struct store_dp *dp);
int store_batch_del_dp(struct store_batch *b, uint64_t id);
int store_batch_put_mp(struct store_batch *b, const struct store_mp *mp);
int store_batch_del_mp(struct store_batch *b, uint64_t id);
int store_batch_put_datanode(struct store_batch *b, const struct store_node *n);
int store_batch_del_datanode(struct store_batch *b, uint64_t id);
int store_batch_put_metanode(struct store_batch *b, const struct store_node *n);
int store_batch_del_metanode(struct store_batch *b, uint64_t id);
int store_batch_put_nodeset(struct store_batch *b, const struct store_nodeset *ns);
int store_batch_del_nodeset(struct store_batch *b, uint64_t id);
int store_batch_put_user(struct store_batch *b, const struct store_user *u);
int store_batch_del_user(struct store_batch *b, const char *user_id);
int store_batch_put_job(struct store_batch *b, const struct store_job *j);
int store_batch_del_job(struct store_batch *b, uint64_t id);
int store_batch_put_master(struct store_batch *b, const struct store_master *m);
int store_batch_del_master(struct store_batch *b, uint64_t id);
/* Set counter c to value if value is larger (ID ranges are reserved by raising the ceiling). */
int store_batch_raise_counter(struct store_batch *b, enum store_counter c, uint64_t value);

/* Serialized form for a Raft command (malloc'd). Decoding accepts trailing zero bytes, which the
 * Raft layer adds to pad entries to 8 bytes, and rejects anything malformed with a message. */
int store_batch_encode(const struct store_batch *b, void **out, size_t *len);
int store_batch_decode(const void *buf, size_t len, struct store_batch **out, char *errmsg);

/* Apply b at Raft index `index` in its own write transaction. *skipped (may be NULL) is set when
 * index <= applied index and nothing was written. A batch that fails validation (zero id, empty
 * name, bad JSON: -EINVAL, CFS_ETYPE, ...) or names a name another record holds (CFS_EEXIST)
 * writes nothing, not even the applied index; deleting a missing record is not an error. */
int store_apply(struct store *s, const struct store_batch *b, uint64_t index, bool *skipped,
                char *errmsg);

/* Several batches in one write transaction. store_write_apply takes ownership of b in every case.
 * Lookups with the write transaction see the batches applied so far. A batch that fails leaves
 * the earlier ones in place and the transaction usable, except after an error reported as lost
 * (e.g. disk I/O), when only store_write_abort is left. After CFS_EMAPFULL the commit needs a few
 * pages too and usually fails the same way, writing nothing of the transaction. */
int store_write_begin(struct store *s, struct store_txn **out, char *errmsg);
int store_write_apply(struct store_txn *w, struct store_batch *b, uint64_t index, bool *skipped,
                      char *errmsg);
int store_write_commit(struct store_txn *w, char *errmsg);
void store_write_abort(struct store_txn *w);

/* Snapshots. The stream carries the schema version, the applied index, every key and value, and a
 * CRC-32 over all of it. */
int store_snapshot_export(struct store *s, void **out, size_t *len, char *errmsg);
/* The same from a read transaction the caller holds (e.g. begun on the loop thread, walked in a
 * worker thread). */
int store_snapshot_export_txn(struct store_txn *t, void **out, size_t *len, char *errmsg);
int store_snapshot_export_file(struct store *s, const char *path, char *errmsg);
/* Replace the whole state with the snapshot's. *skipped (may be NULL) is set when the snapshot's
 * applied index is at or below ours and nothing changed. A damaged snapshot changes nothing. */
int store_snapshot_import(struct store *s, const void *buf, size_t len, bool *skipped,
                          char *errmsg);
int store_snapshot_import_file(struct store *s, const char *path, bool *skipped, char *errmsg);
/* Applied index a snapshot carries, after checking its header. */
int store_snapshot_applied(const void *buf, size_t len, uint64_t *applied, char *errmsg);

#endif
