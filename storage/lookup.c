/* Lookups and walks: generic over record types, with thin typed wrappers for the public API. */
#define LOG_TAG "store"

#include "storage/store_internal.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>

/* A transaction lost to an error has no LMDB handle left to read from. */
static int txn_live(const struct store_txn *t)
{
    return t->txn != NULL ? 0 : (t->dead != 0 ? t->dead : -EINVAL);
}

/* Decode the record stored under key into out, which is untouched on error. */
static int get_at(struct store_txn *t, enum store_rec_type type, const struct store_key *key,
                  void *out)
{
    char err[ERRMSG_SIZE] = "";
    union store_record r;
    size_t size;
    MDB_val k = store_key_val(key);
    MDB_val v;
    int rv = txn_live(t);

    if (rv != 0) {
        return rv;
    }
    rv = store_lmdb_rv(mdb_get(t->txn, t->s->dbi, &k, &v));
    if (rv != 0) {
        return rv;
    }
    rv = store_record_decode(type, v.mv_data, v.mv_size, &r, err);
    if (rv != 0) {
        log_error("stored %s is damaged: %s", records_type_name(type), err);
        return CFS_ECORRUPT;
    }
    records_fields(type, &size);
    memcpy(out, &r, size);
    return 0;
}

static int get_by_id(struct store_txn *t, enum store_rec_type type, uint64_t id, void *out)
{
    struct store_key key;
    uint8_t be[8];

    store_be64_put(be, id);
    store_key_record(&key, type, be, sizeof(be));
    return get_at(t, type, &key, out);
}

static int get_by_name(struct store_txn *t, enum store_rec_type type, const char *name, void *out)
{
    struct store_key key;
    MDB_val k, v;
    int rv = txn_live(t);

    if (rv != 0) {
        return rv;
    }
    if (!store_key_index(&key, type, name)) {
        return CFS_ENOTFOUND;
    }
    k = store_key_val(&key);
    rv = store_lmdb_rv(mdb_get(t->txn, t->s->dbi, &k, &v));
    if (rv != 0) {
        return rv;
    }
    rv = store_key_record(&key, type, v.mv_data, v.mv_size) ? get_at(t, type, &key, out)
                                                            : CFS_ENOTFOUND;
    if (rv == CFS_ENOTFOUND) {
        log_error("%s index entry \"%s\" does not lead to a record", records_type_name(type), name);
        rv = CFS_ECORRUPT;
    }
    return rv;
}

int store_get_cluster(struct store_txn *t, struct store_cluster *out)
{
    struct store_key key;

    store_key_record(&key, STORE_REC_CLUSTER, NULL, 0);
    return get_at(t, STORE_REC_CLUSTER, &key, out);
}

int store_get_counter(struct store_txn *t, enum store_counter c, uint64_t *out)
{
    struct store_key key;
    MDB_val k, v;
    int rv = txn_live(t);

    if (rv != 0 || (int)c < 0 || c >= STORE_COUNTER_COUNT) {
        return rv != 0 ? rv : -EINVAL;
    }
    store_key_counter(&key, c);
    k = store_key_val(&key);
    rv = store_lmdb_rv(mdb_get(t->txn, t->s->dbi, &k, &v));
    if (rv == CFS_ENOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rv == 0 && v.mv_size != 8) {
        rv = CFS_ECORRUPT;
    }
    if (rv == 0) {
        *out = store_be64_get(v.mv_data);
    }
    return rv;
}

int store_get_vol(struct store_txn *t, uint64_t id, struct store_vol *out)
{
    return get_by_id(t, STORE_REC_VOL, id, out);
}

int store_get_vol_by_name(struct store_txn *t, const char *name, struct store_vol *out)
{
    return get_by_name(t, STORE_REC_VOL, name, out);
}

int store_get_dp(struct store_txn *t, uint64_t id, struct store_dp *out)
{
    return get_by_id(t, STORE_REC_DP, id, out);
}

int store_get_mp(struct store_txn *t, uint64_t id, struct store_mp *out)
{
    return get_by_id(t, STORE_REC_MP, id, out);
}

int store_get_datanode(struct store_txn *t, uint64_t id, struct store_node *out)
{
    return get_by_id(t, STORE_REC_DATANODE, id, out);
}

int store_get_datanode_by_addr(struct store_txn *t, const char *addr, struct store_node *out)
{
    return get_by_name(t, STORE_REC_DATANODE, addr, out);
}

int store_get_metanode(struct store_txn *t, uint64_t id, struct store_node *out)
{
    return get_by_id(t, STORE_REC_METANODE, id, out);
}

int store_get_metanode_by_addr(struct store_txn *t, const char *addr, struct store_node *out)
{
    return get_by_name(t, STORE_REC_METANODE, addr, out);
}

int store_get_nodeset(struct store_txn *t, uint64_t id, struct store_nodeset *out)
{
    return get_by_id(t, STORE_REC_NODESET, id, out);
}

int store_get_user(struct store_txn *t, const char *user_id, struct store_user *out)
{
    struct store_key key;

    if (!store_key_record(&key, STORE_REC_USER, user_id, strlen(user_id))) {
        return CFS_ENOTFOUND;
    }
    return get_at(t, STORE_REC_USER, &key, out);
}

int store_get_user_by_ak(struct store_txn *t, const char *access_key, struct store_user *out)
{
    return get_by_name(t, STORE_REC_USER, access_key, out);
}

int store_get_job(struct store_txn *t, uint64_t id, struct store_job *out)
{
    return get_by_id(t, STORE_REC_JOB, id, out);
}

int store_get_master(struct store_txn *t, uint64_t id, struct store_master *out)
{
    return get_by_id(t, STORE_REC_MASTER, id, out);
}

/* A typed callback: calling through a cast function pointer would be undefined behaviour. */
struct walk {
    enum store_rec_type type;
    union {
        store_vol_cb vol;
        store_dp_cb dp;
        store_mp_cb mp;
        store_node_cb node;
        store_nodeset_cb nodeset;
        store_user_cb user;
        store_job_cb job;
        store_master_cb master;
    } cb;
    void *arg;
};

static int walk_call(const struct walk *w, const union store_record *r)
{
    switch (w->type) {
    case STORE_REC_VOL:
        return w->cb.vol(&r->vol, w->arg);
    case STORE_REC_DP:
        return w->cb.dp(&r->dp, w->arg);
    case STORE_REC_MP:
        return w->cb.mp(&r->mp, w->arg);
    case STORE_REC_DATANODE:
    case STORE_REC_METANODE:
        return w->cb.node(&r->node, w->arg);
    case STORE_REC_NODESET:
        return w->cb.nodeset(&r->nodeset, w->arg);
    case STORE_REC_USER:
        return w->cb.user(&r->user, w->arg);
    case STORE_REC_MASTER:
        return w->cb.master(&r->master, w->arg);
    default:
        return w->cb.job(&r->job, w->arg);
    }
}

/* The record value for a walked key: the value itself, or for a child key ('p' type vol id)
 * the record it names. */
static int walk_value(struct store_txn *t, enum store_rec_type type, bool child, const MDB_val *k,
                      MDB_val *v)
{
    struct store_key key;
    MDB_val rk;
    int rv;

    if (!child) {
        return 0;
    }
    if (k->mv_size != STORE_CHILD_KEY_SIZE) {
        return CFS_ECORRUPT;
    }
    store_key_record(&key, type, (const uint8_t *)k->mv_data + STORE_CHILD_KEY_SIZE - 8, 8);
    rk = store_key_val(&key);
    rv = store_lmdb_rv(mdb_get(t->txn, t->s->dbi, &rk, v));
    return rv == CFS_ENOTFOUND ? CFS_ECORRUPT : rv;
}

/* Call w for every key under prefix, in key order. */
static int walk(struct store_txn *t, const struct walk *w, const struct store_key *prefix,
                bool child)
{
    char err[ERRMSG_SIZE] = "";
    MDB_cursor *cur = NULL;
    MDB_val k = store_key_val(prefix);
    MDB_val v;
    MDB_cursor_op op = MDB_SET_RANGE;
    union store_record r;
    int rc;
    int rv = txn_live(t);

    if (rv != 0) {
        return rv;
    }
    rc = mdb_cursor_open(t->txn, t->s->dbi, &cur);
    if (rc != 0) {
        return store_lmdb_rv(rc);
    }
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (k.mv_size < prefix->len || memcmp(k.mv_data, prefix->b, prefix->len) != 0) {
            break;
        }
        rv = walk_value(t, w->type, child, &k, &v);
        if (rv == 0 && store_record_decode(w->type, v.mv_data, v.mv_size, &r, err) != 0) {
            rv = CFS_ECORRUPT;
        }
        if (rv != 0) {
            log_error("walking %ss: a stored record is damaged: %s", records_type_name(w->type),
                      err);
            break;
        }
        rv = walk_call(w, &r);
        if (rv != 0) {
            break;
        }
    }
    if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND) {
        rv = store_lmdb_rv(rc);
    }
    mdb_cursor_close(cur);
    return rv > 0 ? 0 : rv;
}

static int walk_type(struct store_txn *t, const struct walk *w)
{
    struct store_key prefix;

    store_key_record(&prefix, w->type, NULL, 0);
    return walk(t, w, &prefix, false);
}

/* Partitions of one volume through the child keys, or all of them when vol_id is 0. */
static int walk_partitions(struct store_txn *t, const struct walk *w, uint64_t vol_id)
{
    struct store_key prefix;

    if (vol_id == 0) {
        return walk_type(t, w);
    }
    store_key_child(&prefix, w->type, vol_id, NULL);
    return walk(t, w, &prefix, true);
}

int store_foreach_vol(struct store_txn *t, store_vol_cb cb, void *arg)
{
    struct walk w = {STORE_REC_VOL, {.vol = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_dp(struct store_txn *t, uint64_t vol_id, store_dp_cb cb, void *arg)
{
    struct walk w = {STORE_REC_DP, {.dp = cb}, arg};
    return walk_partitions(t, &w, vol_id);
}

int store_foreach_mp(struct store_txn *t, uint64_t vol_id, store_mp_cb cb, void *arg)
{
    struct walk w = {STORE_REC_MP, {.mp = cb}, arg};
    return walk_partitions(t, &w, vol_id);
}

int store_foreach_datanode(struct store_txn *t, store_node_cb cb, void *arg)
{
    struct walk w = {STORE_REC_DATANODE, {.node = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_metanode(struct store_txn *t, store_node_cb cb, void *arg)
{
    struct walk w = {STORE_REC_METANODE, {.node = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_nodeset(struct store_txn *t, store_nodeset_cb cb, void *arg)
{
    struct walk w = {STORE_REC_NODESET, {.nodeset = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_user(struct store_txn *t, store_user_cb cb, void *arg)
{
    struct walk w = {STORE_REC_USER, {.user = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_job(struct store_txn *t, store_job_cb cb, void *arg)
{
    struct walk w = {STORE_REC_JOB, {.job = cb}, arg};
    return walk_type(t, &w);
}

int store_foreach_master(struct store_txn *t, store_master_cb cb, void *arg)
{
    struct walk w = {STORE_REC_MASTER, {.master = cb}, arg};
    return walk_type(t, &w);
}
