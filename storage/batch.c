/* Batches: building, the wire form carried by Raft commands, and applying one batch inside a
 * write transaction.
 *
 * Wire form (big-endian):
 *     0  u32  magic "CFSB"
 *     4  u16  format version (1)
 *     6  u16  flags (0; any other value is rejected so a later format can use them)
 *     8  u32  op count
 *    12  ops, each:
 *          0  u8   kind: 1 put, 2 delete, 3 raise counter
 *          1  u8   record type (put, delete) or counter (raise)
 *          2  u32  payload length
 *          6       payload: record JSON (put), record id (delete: u64, or the user id bytes),
 *                  u64 value (raise)
 *    then zero bytes only: the Raft layer pads entries to a multiple of 8 bytes.
 * A batch in memory is its op area in exactly this form, so encoding is one copy and applying a
 * local batch and a decoded one is the same code. */
#include "storage/store_internal.h"

#include "common/errors.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAGIC       0x43465342u /* "CFSB" */
#define BATCH_VERSION     1
#define BATCH_HEADER_SIZE 12
#define OP_HEADER_SIZE    6
#define OP_PAYLOAD_MAX    (1u << 20) /* far above any record; bounds what a peer can make us copy */

enum op_kind { OP_PUT = 1, OP_DEL = 2, OP_RAISE = 3 };

struct op {
    uint8_t kind;
    uint8_t type;
    uint32_t len;
    const uint8_t *data;
};

static const char *const kind_names[] = {[OP_PUT] = "put", [OP_DEL] = "del", [OP_RAISE] = "raise"};

/* Read the op at *pos and move past it; the op area was checked when it was built or decoded. */
static void op_next(const struct store_batch *b, size_t *pos, struct op *op)
{
    const uint8_t *p = b->ops + *pos;

    op->kind = p[0];
    op->type = p[1];
    op->len = store_be32_get(p + 2);
    op->data = p + OP_HEADER_SIZE;
    *pos += OP_HEADER_SIZE + op->len;
}

static bool rec_type_valid(uint8_t type)
{
    return type > 0 && type < STORE_REC_TYPE_COUNT;
}

/* Everything that can be checked without decoding JSON. */
static int op_check(const struct op *op, char *errmsg)
{
    switch (op->kind) {
    case OP_PUT:
        if (!rec_type_valid(op->type) || op->len == 0) {
            errors_set(errmsg, "put of record type %u with %u bytes", op->type, op->len);
            return -EINVAL;
        }
        return 0;
    case OP_DEL:
        if (!rec_type_valid(op->type)) {
            errors_set(errmsg, "delete of unknown record type %u", op->type);
            return -EINVAL;
        }
        return store_id_check(op->type, op->data, op->len, errmsg);
    case OP_RAISE:
        if (op->type >= STORE_COUNTER_COUNT || op->len != 8) {
            errors_set(errmsg, "raise of counter %u with %u bytes", op->type, op->len);
            return -EINVAL;
        }
        return 0;
    default:
        errors_set(errmsg, "unknown op kind %u", op->kind);
        return -EINVAL;
    }
}

struct store_batch *store_batch_new(void)
{
    return calloc(1, sizeof(struct store_batch));
}

void store_batch_free(struct store_batch *b)
{
    if (b != NULL) {
        free(b->ops);
        free(b);
    }
}

size_t store_batch_count(const struct store_batch *b)
{
    return b->count;
}

static int add_op(struct store_batch *b, uint8_t kind, uint8_t type, const void *data, size_t len)
{
    struct op op = {kind, type, (uint32_t)len, data};
    size_t need;
    int rv;

    if (len > OP_PAYLOAD_MAX || b->count == UINT32_MAX) {
        return CFS_ETOOBIG;
    }
    rv = op_check(&op, NULL);
    if (rv != 0) {
        return rv;
    }
    need = b->len + OP_HEADER_SIZE + len;
    if (need > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 256;
        uint8_t *ops;
        while (cap < need) {
            cap *= 2;
        }
        ops = realloc(b->ops, cap);
        if (ops == NULL) {
            return -ENOMEM;
        }
        b->ops = ops;
        b->cap = cap;
    }
    b->ops[b->len] = kind;
    b->ops[b->len + 1] = type;
    store_be32_put(b->ops + b->len + 2, (uint32_t)len);
    memcpy(b->ops + b->len + OP_HEADER_SIZE, data, len);
    b->len = need;
    b->count++;
    return 0;
}

static int add_put(struct store_batch *b, enum store_rec_type type, const void *rec)
{
    char *json;
    size_t len;
    int rv = jc_encode_text(records_fields(type, NULL), rec, &json, &len);

    if (rv != 0) {
        return rv;
    }
    rv = add_op(b, OP_PUT, (uint8_t)type, json, len);
    free(json);
    return rv;
}

static int add_del(struct store_batch *b, enum store_rec_type type, uint64_t id)
{
    uint8_t be[8];

    store_be64_put(be, id);
    return add_op(b, OP_DEL, (uint8_t)type, be, sizeof(be));
}

int store_batch_put_cluster(struct store_batch *b, const struct store_cluster *c)
{
    return add_put(b, STORE_REC_CLUSTER, c);
}

int store_batch_put_vol(struct store_batch *b, const struct store_vol *v)
{
    return add_put(b, STORE_REC_VOL, v);
}

int store_batch_del_vol(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_VOL, id);
}

int store_batch_put_dp(struct store_batch *b, const struct store_dp *dp)
{
    return add_put(b, STORE_REC_DP, dp);
}

int store_batch_del_dp(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_DP, id);
}

int store_batch_put_mp(struct store_batch *b, const struct store_mp *mp)
{
    return add_put(b, STORE_REC_MP, mp);
}

int store_batch_del_mp(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_MP, id);
}

int store_batch_put_datanode(struct store_batch *b, const struct store_node *n)
{
    return add_put(b, STORE_REC_DATANODE, n);
}

int store_batch_del_datanode(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_DATANODE, id);
}

int store_batch_put_metanode(struct store_batch *b, const struct store_node *n)
{
    return add_put(b, STORE_REC_METANODE, n);
}

int store_batch_del_metanode(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_METANODE, id);
}

int store_batch_put_nodeset(struct store_batch *b, const struct store_nodeset *ns)
{
    return add_put(b, STORE_REC_NODESET, ns);
}

int store_batch_del_nodeset(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_NODESET, id);
}

int store_batch_put_user(struct store_batch *b, const struct store_user *u)
{
    return add_put(b, STORE_REC_USER, u);
}

int store_batch_del_user(struct store_batch *b, const char *user_id)
{
    return add_op(b, OP_DEL, STORE_REC_USER, user_id, strlen(user_id));
}

int store_batch_put_job(struct store_batch *b, const struct store_job *j)
{
    return add_put(b, STORE_REC_JOB, j);
}

int store_batch_del_job(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_JOB, id);
}

int store_batch_put_master(struct store_batch *b, const struct store_master *m)
{
    return add_put(b, STORE_REC_MASTER, m);
}

int store_batch_del_master(struct store_batch *b, uint64_t id)
{
    return add_del(b, STORE_REC_MASTER, id);
}

int store_batch_raise_counter(struct store_batch *b, enum store_counter c, uint64_t value)
{
    uint8_t be[8];

    store_be64_put(be, value);
    return add_op(b, OP_RAISE, (uint8_t)c, be, sizeof(be));
}

int store_batch_encode(const struct store_batch *b, void **out, size_t *len)
{
    uint8_t *buf = malloc(BATCH_HEADER_SIZE + b->len);

    if (buf == NULL) {
        return -ENOMEM;
    }
    store_be32_put(buf, BATCH_MAGIC);
    store_be16_put(buf + 4, BATCH_VERSION);
    store_be16_put(buf + 6, 0);
    store_be32_put(buf + 8, b->count);
    if (b->len > 0) {
        memcpy(buf + BATCH_HEADER_SIZE, b->ops, b->len);
    }
    *out = buf;
    *len = BATCH_HEADER_SIZE + b->len;
    return 0;
}

/* Walk the ops of an encoded batch, checking each; *end is where the op area ends. */
static int check_ops(const uint8_t *p, size_t len, uint32_t count, size_t *end, char *errmsg)
{
    size_t pos = BATCH_HEADER_SIZE;

    for (uint32_t i = 0; i < count; i++) {
        struct op op;
        int rv;
        if (len - pos < OP_HEADER_SIZE) {
            errors_set(errmsg, "op %u of %u: header cut off at byte %zu", i + 1, count, len);
            return CFS_ETRUNC;
        }
        op.kind = p[pos];
        op.type = p[pos + 1];
        op.len = store_be32_get(p + pos + 2);
        op.data = p + pos + OP_HEADER_SIZE;
        if (op.len > OP_PAYLOAD_MAX) {
            errors_set(errmsg, "op %u of %u: payload of %u bytes is over the limit of %u", i + 1,
                       count, op.len, OP_PAYLOAD_MAX);
            return CFS_ETOOBIG;
        }
        if (op.len > len - pos - OP_HEADER_SIZE) {
            errors_set(errmsg, "op %u of %u: %u-byte payload cut off at byte %zu", i + 1, count,
                       op.len, len);
            return CFS_ETRUNC;
        }
        rv = op_check(&op, errmsg);
        if (rv != 0) {
            errors_prefix(errmsg, "op %u of %u", i + 1, count);
            return CFS_ECORRUPT;
        }
        pos += OP_HEADER_SIZE + op.len;
    }
    *end = pos;
    return 0;
}

int store_batch_decode(const void *buf, size_t len, struct store_batch **out, char *errmsg)
{
    const uint8_t *p = buf;
    struct store_batch *b;
    uint32_t count;
    size_t end;
    int rv;

    if (len < BATCH_HEADER_SIZE) {
        errors_set(errmsg, "batch of %zu bytes is shorter than its %d-byte header", len,
                   BATCH_HEADER_SIZE);
        return CFS_ETRUNC;
    }
    if (store_be32_get(p) != BATCH_MAGIC) {
        errors_set(errmsg, "bad batch magic 0x%08x", store_be32_get(p));
        return CFS_EMAGIC;
    }
    if (store_be16_get(p + 4) != BATCH_VERSION || store_be16_get(p + 6) != 0) {
        errors_set(errmsg, "batch format version %u flags 0x%04x, this binary reads version %d",
                   store_be16_get(p + 4), store_be16_get(p + 6), BATCH_VERSION);
        return CFS_ESCHEMA;
    }
    count = store_be32_get(p + 8);
    rv = check_ops(p, len, count, &end, errmsg);
    if (rv != 0) {
        return rv;
    }
    for (size_t i = end; i < len; i++) {
        if (p[i] != 0) {
            errors_set(errmsg, "%zu bytes after op %u of %u are not zero padding", len - end, count,
                       count);
            return CFS_ECORRUPT;
        }
    }
    b = store_batch_new();
    if (b == NULL) {
        return -ENOMEM;
    }
    b->len = b->cap = end - BATCH_HEADER_SIZE;
    b->count = count;
    if (b->len > 0) {
        b->ops = malloc(b->len);
        if (b->ops == NULL) {
            free(b);
            return -ENOMEM;
        }
        memcpy(b->ops, p + BATCH_HEADER_SIZE, b->len);
    }
    *out = b;
    return 0;
}

/* Identity of the record stored under key; *found is false when there is none. Types without
 * secondary keys need only the key, so their JSON is not decoded. */
static int stored_ident(MDB_txn *txn, MDB_dbi dbi, enum store_rec_type type,
                        const struct store_key *key, struct store_ident *out, bool *found,
                        char *errmsg)
{
    MDB_val k = store_key_val(key);
    MDB_val v;
    union store_record r;
    int rc = mdb_get(txn, dbi, &k, &v);
    int rv;

    if (rc == MDB_NOTFOUND) {
        *found = false;
        return 0;
    }
    if (rc != 0) {
        return store_lmdb_fail(rc, errmsg, "mdb_get");
    }
    *found = true;
    if (!store_type_indexed(type) && !store_type_has_vol(type)) {
        memset(out, 0, sizeof(*out));
        out->key = *key;
        return 0;
    }
    rv = store_record_decode(type, v.mv_data, v.mv_size, &r, errmsg);
    if (rv == 0) {
        rv = store_ident_of(type, &r, out, errmsg);
    }
    if (rv != 0) {
        errors_prefix(errmsg, "stored record is damaged");
        return CFS_ECORRUPT;
    }
    return 0;
}

static MDB_val id_val(const struct store_ident *id)
{
    MDB_val v = {id->key.len - 2, (void *)(id->key.b + 2)};
    return v;
}

static bool val_equal(const MDB_val *a, const MDB_val *b)
{
    return a->mv_size == b->mv_size && memcmp(a->mv_data, b->mv_data, a->mv_size) == 0;
}

static int del_quiet(MDB_txn *txn, MDB_dbi dbi, const struct store_key *key, char *errmsg)
{
    MDB_val k = store_key_val(key);
    int rc = mdb_del(txn, dbi, &k, NULL);

    return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_lmdb_fail(rc, errmsg, "mdb_del");
}

/* Drop the name index entry of id, unless the name has since passed to another record. */
static int index_drop(MDB_txn *txn, MDB_dbi dbi, enum store_rec_type type,
                      const struct store_ident *id, char *errmsg)
{
    struct store_key key;
    MDB_val k, v, mine = id_val(id);
    int rc;

    if (!store_key_index(&key, type, id->name)) {
        return 0;
    }
    k = store_key_val(&key);
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND || (rc == 0 && !val_equal(&v, &mine))) {
        return 0;
    }
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_get") : del_quiet(txn, dbi, &key, errmsg);
}

/* Point the name index at id. A name held by another live record is a conflict: two volumes
 * with one name would make lookups by name depend on apply order. */
static int index_claim(MDB_txn *txn, MDB_dbi dbi, enum store_rec_type type,
                       const struct store_ident *id, char *errmsg)
{
    struct store_key key, owner_key;
    MDB_val k, v, owner, mine = id_val(id);
    char owner_text[96];
    int rc;

    if (!store_key_index(&key, type, id->name)) {
        return 0;
    }
    k = store_key_val(&key);
    rc = mdb_get(txn, dbi, &k, &v);
    /* An entry whose record is gone is stale and simply taken over. */
    if (rc == 0 && !val_equal(&v, &mine) &&
        store_key_record(&owner_key, type, v.mv_data, v.mv_size)) {
        owner = store_key_val(&owner_key);
        rc = mdb_get(txn, dbi, &owner, &v);
        if (rc == 0) {
            store_id_format(type, owner_key.b + 2, owner_key.len - 2, owner_text,
                            sizeof(owner_text));
            errors_set(errmsg, "\"%s\" already belongs to %s", id->name, owner_text);
            return CFS_EEXIST;
        }
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return store_lmdb_fail(rc, errmsg, "mdb_get");
    }
    rc = mdb_put(txn, dbi, &k, &mine, 0);
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_put") : 0;
}

static int child_put(MDB_txn *txn, MDB_dbi dbi, enum store_rec_type type,
                     const struct store_ident *id, char *errmsg)
{
    struct store_key key;
    MDB_val k, empty = {0, NULL};
    int rc;

    store_key_child(&key, type, id->vol_id, id->key.b + 2);
    k = store_key_val(&key);
    rc = mdb_put(txn, dbi, &k, &empty, 0);
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_put") : 0;
}

static int child_drop(MDB_txn *txn, MDB_dbi dbi, enum store_rec_type type,
                      const struct store_ident *id, char *errmsg)
{
    struct store_key key;

    store_key_child(&key, type, id->vol_id, id->key.b + 2);
    return del_quiet(txn, dbi, &key, errmsg);
}

static int write_put(MDB_txn *txn, MDB_dbi dbi, const struct op *op, const struct store_ident *id,
                     char *errmsg)
{
    struct store_ident old;
    bool found;
    bool renamed;
    MDB_val k = store_key_val(&id->key);
    MDB_val v = {op->len, (void *)op->data};
    int rc;
    int rv = stored_ident(txn, dbi, op->type, &id->key, &old, &found, errmsg);

    if (rv != 0) {
        return rv;
    }
    renamed = !found || strcmp(old.name, id->name) != 0;
    if (renamed && found) {
        rv = index_drop(txn, dbi, op->type, &old, errmsg);
    }
    if (rv == 0 && renamed) {
        rv = index_claim(txn, dbi, op->type, id, errmsg);
    }
    if (rv == 0 && store_type_has_vol(op->type) && (!found || old.vol_id != id->vol_id)) {
        rv = found ? child_drop(txn, dbi, op->type, &old, errmsg) : 0;
        rv = rv == 0 ? child_put(txn, dbi, op->type, id, errmsg) : rv;
    }
    if (rv != 0) {
        return rv;
    }
    rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_put") : 0;
}

/* Deleting a record that does not exist is a no-op, so a replayed or repeated delete is harmless.
 */
static int write_del(MDB_txn *txn, MDB_dbi dbi, const struct op *op, const struct store_key *key,
                     char *errmsg)
{
    struct store_ident old;
    bool found;
    int rv = stored_ident(txn, dbi, op->type, key, &old, &found, errmsg);

    if (rv != 0 || !found) {
        return rv;
    }
    rv = index_drop(txn, dbi, op->type, &old, errmsg);
    if (rv == 0 && store_type_has_vol(op->type)) {
        rv = child_drop(txn, dbi, op->type, &old, errmsg);
    }
    return rv == 0 ? del_quiet(txn, dbi, key, errmsg) : rv;
}

static int write_raise(MDB_txn *txn, MDB_dbi dbi, const struct op *op, const struct store_key *key,
                       char *errmsg)
{
    MDB_val k = store_key_val(key);
    MDB_val v;
    int rc = mdb_get(txn, dbi, &k, &v);

    if (rc == 0 && v.mv_size != 8) {
        errors_set(errmsg, "stored counter has %zu bytes", v.mv_size);
        return CFS_ECORRUPT;
    }
    if (rc == 0 && store_be64_get(v.mv_data) >= store_be64_get(op->data)) {
        return 0;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return store_lmdb_fail(rc, errmsg, "mdb_get");
    }
    v.mv_size = op->len;
    v.mv_data = (void *)op->data;
    rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc != 0 ? store_lmdb_fail(rc, errmsg, "mdb_put") : 0;
}

/* Validation of one op: decode a put's JSON and derive the keys every op will touch. */
static int plan_op(const struct op *op, struct store_ident *id, char *errmsg)
{
    union store_record r;
    int rv;

    memset(id, 0, sizeof(*id));
    switch (op->kind) {
    case OP_PUT:
        rv = store_record_decode(op->type, op->data, op->len, &r, errmsg);
        return rv != 0 ? rv : store_ident_of(op->type, &r, id, errmsg);
    case OP_DEL:
        store_key_record(&id->key, op->type, op->data, op->len);
        return 0;
    default:
        store_key_counter(&id->key, op->type);
        return 0;
    }
}

static void op_prefix(char *errmsg, uint32_t i, const struct op *op, const struct store_ident *id)
{
    char what[96];

    if (op->kind == OP_RAISE) {
        errors_prefix(errmsg, "op %u (raise counter %u)", i + 1, op->type);
    } else if (id->key.len > 0) {
        store_id_format(op->type, id->key.b + 2, id->key.len - 2, what, sizeof(what));
        errors_prefix(errmsg, "op %u (%s %s)", i + 1, kind_names[op->kind], what);
    } else {
        errors_prefix(errmsg, "op %u (%s %s)", i + 1, kind_names[op->kind],
                      records_type_name(op->type));
    }
}

int store_batch_exec(struct store *s, MDB_txn *txn, const struct store_batch *b, uint64_t index,
                     bool *wrote, char *errmsg)
{
    struct store_ident *ids = NULL;
    struct op op;
    size_t pos = 0;
    int rv = 0;

    *wrote = false;
    if (b->count > 0) {
        ids = calloc(b->count, sizeof(*ids));
        if (ids == NULL) {
            errors_set(errmsg, "out of memory for a batch of %u ops", b->count);
            return -ENOMEM;
        }
    }
    for (uint32_t i = 0; i < b->count; i++) {
        op_next(b, &pos, &op);
        rv = plan_op(&op, &ids[i], errmsg);
        if (rv != 0) {
            op_prefix(errmsg, i, &op, &ids[i]);
            goto out;
        }
    }
    *wrote = true;
    pos = 0;
    for (uint32_t i = 0; i < b->count; i++) {
        op_next(b, &pos, &op);
        if (op.kind == OP_PUT) {
            rv = write_put(txn, s->dbi, &op, &ids[i], errmsg);
        } else if (op.kind == OP_DEL) {
            rv = write_del(txn, s->dbi, &op, &ids[i].key, errmsg);
        } else {
            rv = write_raise(txn, s->dbi, &op, &ids[i].key, errmsg);
        }
        if (rv != 0) {
            op_prefix(errmsg, i, &op, &ids[i]);
            goto out;
        }
    }
    rv = store_meta_put(txn, s->dbi, STORE_META_APPLIED, index, errmsg);
out:
    free(ids);
    return rv;
}
