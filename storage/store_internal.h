/* Internals of the store shared by its .c files (tests may include it).
 *
 * Key layout: one named LMDB database ("state"), binary keys, integers big-endian so that key
 * order is numeric order.
 *
 *   'm' "schema"                          u64 schema version
 *   'm' "applied"                         u64 applied Raft index
 *   'c' <counter u8>                      u64 counter value
 *   'r' <type u8>                         cluster record JSON (the one record without an id)
 *   'r' <type u8> <id u64>                record JSON: vol, dp, mp, datanode, metanode, nodeset,
 * job 'r' <type u8> <user id bytes>         user record JSON 'x' <type u8> <name bytes> id bytes of
 * the record holding that name: vol Name, datanode/metanode Addr, user access_key 'p' <type u8>
 * <vol id u64> <id u64>   empty: the partitions (dp, mp) of a volume
 *
 * One database keeps batches and snapshots generic: both move (key, value) pairs and never need
 * to know which table a pair belongs to. Snapshots carry every pair except the 'm' ones, whose
 * values travel in the snapshot header. */
#ifndef CFS_STORAGE_STORE_INTERNAL_H
#define CFS_STORAGE_STORE_INTERNAL_H

#include "storage/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>

#define STORE_DBI_NAME     "state"
#define STORE_META_SCHEMA  "schema"
#define STORE_META_APPLIED "applied"

enum {
    STORE_KP_COUNTER = 'c',
    STORE_KP_META = 'm',
    STORE_KP_CHILD = 'p',
    STORE_KP_RECORD = 'r',
    STORE_KP_INDEX = 'x'
};

/* The longest key is an index key: prefix, type and an access key. */
#define STORE_KEY_MAX (2 + STORE_KEY_SIZE)

/* A child key: prefix, type, vol id, partition id. */
#define STORE_CHILD_KEY_SIZE 18

struct store_key {
    uint8_t b[STORE_KEY_MAX];
    size_t len;
};

/* Any record, so that generic code can decode a value of any type into one buffer. */
union store_record {
    struct store_cluster cluster;
    struct store_vol vol;
    struct store_dp dp;
    struct store_mp mp;
    struct store_node node;
    struct store_nodeset nodeset;
    struct store_user user;
    struct store_job job;
    struct store_master master;
};

/* What the store derives from a record: where it lives and which secondary keys point at it. */
struct store_ident {
    struct store_key key;      /* the record key; its id bytes start at key.b + 2 */
    char name[STORE_KEY_SIZE]; /* indexed name, "" when the type or the record has none */
    uint64_t vol_id;           /* owning volume of a dp or mp, 0 for other types */
};

struct store {
    MDB_env *env;
    MDB_dbi dbi;
    uint64_t max_map_size;
    unsigned grow_wait_ms;
    size_t page_size;
    _Atomic uint64_t applied;  /* as last committed */
    _Atomic uint64_t map_size; /* changed only by the writer, read by anyone */
    /* mdb_env_set_mapsize() needs every transaction of the process ended, so each transaction
     * passes this gate and growth closes it. A mutex and a count rather than a rwlock: a read
     * transaction may end on another thread than the one that began it (MDB_NOTLS), which a
     * rwlock does not allow. */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    unsigned gate_active;
    bool gate_growing;
};

/* One step of a write transaction, kept so that the transaction can be rebuilt: a batch at its
 * Raft index, or a whole snapshot at the applied index it carries. */
struct store_logged {
    const struct store_batch *b; /* NULL for a snapshot */
    const void *snap;
    size_t snap_len;
    uint64_t index;
};

struct store_txn {
    struct store *s;
    MDB_txn *txn;
    bool write;
    bool in_gate;
    /* Write transactions: the batches applied so far, replayed when the map grows (MDB_MAP_FULL
     * aborts the LMDB transaction) or when a batch fails halfway and must be rolled back. */
    bool owns_batches;
    int dead; /* error that lost the LMDB transaction; the caller can only abort */
    uint64_t applied;
    struct store_logged *log;
    size_t nlog;
    size_t caplog;
};

/* A batch is its ops already in wire form (see batch.c), so encoding is one copy. */
struct store_batch {
    uint8_t *ops;
    size_t len;
    size_t cap;
    uint32_t count;
};

static inline void store_be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void store_be32_put(uint8_t *p, uint32_t v)
{
    store_be16_put(p, (uint16_t)(v >> 16));
    store_be16_put(p + 2, (uint16_t)v);
}

static inline void store_be64_put(uint8_t *p, uint64_t v)
{
    store_be32_put(p, (uint32_t)(v >> 32));
    store_be32_put(p + 4, (uint32_t)v);
}

static inline uint16_t store_be16_get(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t store_be32_get(const uint8_t *p)
{
    return (uint32_t)store_be16_get(p) << 16 | store_be16_get(p + 2);
}

static inline uint64_t store_be64_get(const uint8_t *p)
{
    return (uint64_t)store_be32_get(p) << 32 | store_be32_get(p + 4);
}

static inline MDB_val store_key_val(const struct store_key *k)
{
    MDB_val v = {k->len, (void *)k->b};
    return v;
}

/* keys.c: key builders and record identities. */
void store_key_meta(struct store_key *k, const char *name);
void store_key_counter(struct store_key *k, enum store_counter c);
/* The two builders taking caller text return false when it cannot be a stored key (empty name,
 * longer than any record allows), so lookups answer "not found" without touching LMDB. */
bool store_key_record(struct store_key *k, enum store_rec_type type, const void *id, size_t idlen);
bool store_key_index(struct store_key *k, enum store_rec_type type, const char *name);
/* With id NULL: the prefix of every child key of that volume. */
void store_key_child(struct store_key *k, enum store_rec_type type, uint64_t vol_id,
                     const uint8_t *id);
bool store_type_indexed(enum store_rec_type type);
bool store_type_has_vol(enum store_rec_type type);
/* Check the id bytes of a record key: 8 bytes, not zero, or a user id (no NUL, fits its buffer). */
int store_id_check(enum store_rec_type type, const uint8_t *id, size_t len, char *errmsg);
/* "vol 7", "user \"alice\"", "cluster" for messages. */
void store_id_format(enum store_rec_type type, const uint8_t *id, size_t len, char *buf,
                     size_t size);
/* Identity of a record, rejecting a zero id, an empty required name or a missing volume. */
int store_ident_of(enum store_rec_type type, const union store_record *r, struct store_ident *out,
                   char *errmsg);
/* Decode a stored JSON value of the given type into r (zeroed first). */
int store_record_decode(enum store_rec_type type, const void *json, size_t len,
                        union store_record *r, char *errmsg);

/* store.c: LMDB plumbing for the other files. */
int store_lmdb_rv(int rc);
int store_lmdb_fail(int rc, char *errmsg, const char *what);
/* Meta values are u64; a missing one reads as CFS_ENOTFOUND. */
int store_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out, char *errmsg);
int store_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t value, char *errmsg);

/* Run one step in its own write transaction and commit it, unless its index is at or below the
 * applied index (*skipped, may be NULL). Map growth and rollback as for store_write_apply. */
int store_run_once(struct store *s, const struct store_logged *step, bool *skipped, char *errmsg);

/* batch.c: validate every op of b, then write them and the applied index into txn. *wrote is set
 * once anything may have been written, so the caller knows a failure needs a rollback. */
int store_batch_exec(struct store *s, MDB_txn *txn, const struct store_batch *b, uint64_t index,
                     bool *wrote, char *errmsg);

/* snapshot.c: replace the content of txn with a snapshot that store_snapshot_import checked. */
int store_snapshot_load(struct store *s, MDB_txn *txn, const void *snap, size_t len, char *errmsg);

#endif
