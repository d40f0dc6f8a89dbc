#define LOG_TAG "fsm"

#include "master/raft/fsm.h"

#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Wire form of a command (big-endian):
 *   u32 magic "CFSC" | u8 version | u8 nchecks |
 *   nchecks x (u8 kind | u64 id | u16 keylen | key) |
 *   u32 batchlen | batch (store_batch_encode) | zero padding to a multiple of 8. */
#define CMD_MAGIC   0x43465343u
#define CMD_VERSION 1

struct fsm {
    struct store *store;
    struct store_txn *wtxn; /* open while applied commands wait for the commit */
    uint64_t applied;
};

struct cursor {
    const uint8_t *p;
    size_t left;
};

static bool take(struct cursor *c, void *out, size_t n)
{
    if (c->left < n) {
        return false;
    }
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return true;
}

static bool take_be(struct cursor *c, uint64_t *out, size_t width)
{
    uint8_t b[8];

    if (!take(c, b, width)) {
        return false;
    }
    *out = 0;
    for (size_t i = 0; i < width; i++) {
        *out = *out << 8 | b[i];
    }
    return true;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, size_t width)
{
    for (size_t i = width; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
    return p + width;
}

int fsm_cmd_check(struct fsm_cmd *c, enum fsm_check_kind kind, uint64_t id, const char *key)
{
    struct fsm_check *k;

    if (c->nchecks >= FSM_MAX_CHECKS) {
        return -E2BIG;
    }
    if (key != NULL && strlen(key) >= sizeof(k->key)) {
        return -ENAMETOOLONG;
    }
    k = &c->checks[c->nchecks++];
    memset(k, 0, sizeof(*k));
    k->kind = (uint8_t)kind;
    k->id = id;
    if (key != NULL) {
        strcpy(k->key, key);
    }
    return 0;
}

int fsm_cmd_encode(const struct fsm_cmd *c, void *(*alloc)(size_t), void **out, size_t *len)
{
    void *batch = NULL;
    size_t batch_len = 0;
    size_t total = 4 + 1 + 1 + 4;
    uint8_t *buf;
    uint8_t *p;
    int rv;

    if (c->batch != NULL) {
        rv = store_batch_encode(c->batch, &batch, &batch_len);
        if (rv != 0) {
            return rv;
        }
    }
    for (uint32_t i = 0; i < c->nchecks; i++) {
        total += 1 + 8 + 2 + strlen(c->checks[i].key);
    }
    total += batch_len;
    total = (total + 7) & ~(size_t)7;
    buf = alloc(total);
    if (buf == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    memset(buf, 0, total);
    p = put_be(buf, CMD_MAGIC, 4);
    *p++ = CMD_VERSION;
    *p++ = (uint8_t)c->nchecks;
    for (uint32_t i = 0; i < c->nchecks; i++) {
        size_t klen = strlen(c->checks[i].key);
        *p++ = c->checks[i].kind;
        p = put_be(p, c->checks[i].id, 8);
        p = put_be(p, klen, 2);
        memcpy(p, c->checks[i].key, klen);
        p += klen;
    }
    p = put_be(p, batch_len, 4);
    if (batch_len > 0) {
        memcpy(p, batch, batch_len);
    }
    *out = buf;
    *len = total;
    rv = 0;
out:
    free(batch);
    return rv;
}

int fsm_cmd_decode(const void *buf, size_t len, struct fsm_cmd *out, char *errmsg)
{
    struct cursor c = {buf, len};
    struct fsm_cmd tmp = {0};
    uint64_t magic, batch_len;
    uint8_t version = 0, nchecks = 0;
    int rv = CFS_ECORRUPT;

    if (!take_be(&c, &magic, 4) || magic != CMD_MAGIC) {
        errors_set(errmsg, "raft command: bad magic");
        goto out;
    }
    if (!take(&c, &version, 1) || version != CMD_VERSION) {
        errors_set(errmsg, "raft command: unknown version %u", version);
        goto out;
    }
    if (!take(&c, &nchecks, 1) || nchecks > FSM_MAX_CHECKS) {
        errors_set(errmsg, "raft command: %u preconditions, at most %d", nchecks, FSM_MAX_CHECKS);
        goto out;
    }
    for (uint8_t i = 0; i < nchecks; i++) {
        struct fsm_check *k = &tmp.checks[i];
        uint64_t klen;
        if (!take(&c, &k->kind, 1) || !take_be(&c, &k->id, 8) || !take_be(&c, &klen, 2) ||
            klen >= sizeof(k->key) || !take(&c, k->key, klen)) {
            errors_set(errmsg, "raft command: precondition %u malformed", i);
            goto out;
        }
        k->key[klen] = '\0';
    }
    tmp.nchecks = nchecks;
    if (!take_be(&c, &batch_len, 4) || batch_len > c.left) {
        errors_set(errmsg, "raft command: batch length over the command");
        goto out;
    }
    /* The batch decoder accepts the trailing zeros Raft padding leaves after the batch. */
    rv = store_batch_decode(c.p, c.left, &tmp.batch, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "raft command");
        goto out;
    }
    *out = tmp;
out:
    return rv;
}

void fsm_cmd_clear(struct fsm_cmd *c)
{
    store_batch_free(c->batch);
    memset(c, 0, sizeof(*c));
}

int fsm_new(struct store *store, struct fsm **out)
{
    struct fsm *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -ENOMEM;
    }
    f->store = store;
    f->applied = store_applied_index(store);
    *out = f;
    return 0;
}

void fsm_free(struct fsm *f)
{
    char errmsg[ERRMSG_SIZE];

    if (f == NULL) {
        return;
    }
    if (fsm_commit(f, errmsg) != 0) {
        log_error("final commit failed: %s", errmsg);
    }
    free(f);
}

/* 0 when the precondition holds, otherwise the API code that rejects the command. */
static int check_one(struct store_txn *t, const struct fsm_check *k, char *msg)
{
    struct store_vol vol;
    struct store_node node;
    struct store_user user;
    struct store_cluster cluster;
    int rv;

    switch (k->kind) {
    case FSM_CHECK_VOL_NAME_FREE:
        rv = store_get_vol_by_name(t, k->key, &vol);
        if (rv == 0) {
            errors_set(msg, "duplicate vol: %s", k->key);
            return API_DUPLICATE_VOL;
        }
        break;
    case FSM_CHECK_VOL_EXISTS:
        rv = store_get_vol(t, k->id, &vol);
        if (rv == 0 && vol.status == VOL_STATUS_MARK_DELETE) {
            errors_set(msg, "vol %s is being deleted", vol.name);
            return API_VOL_NOT_EXISTS;
        }
        if (rv == CFS_ENOTFOUND) {
            errors_set(msg, "vol not exists");
            return API_VOL_NOT_EXISTS;
        }
        break;
    case FSM_CHECK_DATANODE_ADDR_FREE:
    case FSM_CHECK_METANODE_ADDR_FREE:
        rv = k->kind == FSM_CHECK_DATANODE_ADDR_FREE ? store_get_datanode_by_addr(t, k->key, &node)
                                                     : store_get_metanode_by_addr(t, k->key, &node);
        if (rv == 0) {
            errors_set(msg, "node %s is already registered with id %llu", k->key,
                       (unsigned long long)node.id);
            return API_INTERNAL_ERROR;
        }
        break;
    case FSM_CHECK_USER_FREE:
        rv = store_get_user(t, k->key, &user);
        if (rv == 0) {
            errors_set(msg, "duplicate user id: %s", k->key);
            return API_DUPLICATE_USER_ID;
        }
        break;
    case FSM_CHECK_ACCESS_KEY_FREE:
        rv = store_get_user_by_ak(t, k->key, &user);
        if (rv == 0) {
            errors_set(msg, "duplicate access key");
            return API_DUPLICATE_ACCESS_KEY;
        }
        break;
    case FSM_CHECK_CLUSTER_NAME:
        rv = store_get_cluster(t, &cluster);
        if (rv == 0 && strcmp(cluster.name, k->key) != 0) {
            errors_set(msg, "cluster is named %s, not %s", cluster.name, k->key);
            return API_INVALID_CFG;
        }
        break;
    default:
        errors_set(msg, "unknown precondition %u", k->kind);
        return API_INTERNAL_ERROR;
    }
    /* A lookup that failed for another reason than "not found" is a local fault. */
    if (rv != 0 && rv != CFS_ENOTFOUND) {
        errors_set(msg, "precondition lookup failed: %s", errors_strerror(rv));
        return -1;
    }
    return 0;
}

/* Store errors that reject the batch itself rather than report a local fault. */
static bool refused(int rv)
{
    return rv == -EINVAL || rv == CFS_ETYPE || rv == CFS_EMISSING || rv == CFS_EEXIST;
}

int fsm_apply(struct fsm *f, uint64_t index, const void *buf, size_t len, struct fsm_result *res,
              bool *skipped, char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct store_batch *batch;
    int code = API_SUCCESS;
    int rv;

    *skipped = false;
    if (index <= f->applied) {
        *skipped = true;
        return 0;
    }
    /* A command we cannot decode means this binary and the log disagree: stop rather than
     * diverge from the other masters. */
    rv = fsm_cmd_decode(buf, len, &cmd, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (f->wtxn == NULL) {
        rv = store_write_begin(f->store, &f->wtxn, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    memset(res, 0, sizeof(*res));
    res->index = index;
    for (uint32_t i = 0; i < cmd.nchecks && code == API_SUCCESS; i++) {
        code = check_one(f->wtxn, &cmd.checks[i], res->msg);
    }
    if (code < 0) {
        errors_set(errmsg, "%s", res->msg);
        rv = -EIO;
        goto out;
    }
    res->code = code;
    if (code == API_SUCCESS) {
        batch = cmd.batch;
        cmd.batch = NULL;
        if (batch == NULL) {
            batch = store_batch_new();
        }
    } else {
        /* Rejected: only the applied index moves. */
        batch = store_batch_new();
        log_debug("index %llu rejected: %s", (unsigned long long)index, res->msg);
    }
    if (batch == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    rv = store_write_apply(f->wtxn, batch, index, skipped, errmsg);
    if (refused(rv)) {
        /* The store found the batch invalid against the state (a name taken, a bad record):
         * a rejection like a failed precondition, and every master decides it the same way. */
        res->code = API_INTERNAL_ERROR;
        errors_set(res->msg, "%s", errmsg);
        log_warn("index %llu refused by the store: %s", (unsigned long long)index, errmsg);
        batch = store_batch_new();
        rv = batch != NULL ? store_write_apply(f->wtxn, batch, index, skipped, errmsg) : -ENOMEM;
    }
    if (rv != 0) {
        goto out;
    }
    f->applied = index;
out:
    if (rv != 0 && f->wtxn != NULL) {
        store_write_abort(f->wtxn);
        f->wtxn = NULL;
    }
    fsm_cmd_clear(&cmd);
    return rv;
}

int fsm_commit(struct fsm *f, char *errmsg)
{
    struct store_txn *w = f->wtxn;

    if (w == NULL) {
        return 0;
    }
    f->wtxn = NULL;
    return store_write_commit(w, errmsg);
}

int fsm_restore(struct fsm *f, const void *buf, size_t len, char *errmsg)
{
    bool skipped = false;
    int rv;

    rv = fsm_commit(f, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = store_snapshot_import(f->store, buf, len, &skipped, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (skipped) {
        log_info("snapshot skipped: the store already holds applied index %llu",
                 (unsigned long long)store_applied_index(f->store));
    }
    f->applied = store_applied_index(f->store);
    return 0;
}

bool fsm_dirty(const struct fsm *f)
{
    return f->wtxn != NULL;
}

uint64_t fsm_applied(const struct fsm *f)
{
    return f->applied;
}

struct store *fsm_store(struct fsm *f)
{
    return f->store;
}
