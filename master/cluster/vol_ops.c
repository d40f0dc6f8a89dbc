#define LOG_TAG "vol"

#include "master/cluster/vol_ops.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/errors.h"
#include "common/jcodec.h"
#include "common/log.h"
#include "master/cluster/cstat.h"
#include "master/cluster/node_ops.h"
#include "master/cluster/placement.h"
#include "master/cluster/pstate.h"
#include "master/cluster/ptasks.h"
#include "master/cluster/topo.h"
#include "master/core/fanout.h"
#include "master/core/locks.h"
#include "master/core/master.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GIB (1ULL << 30)

/* Partitions created on the nodes at once; each of them sends to all its hosts in parallel. */
#define VOL_OPS_PARALLEL 16

/* The automatic job and the deletion job skip a volume another operation holds, for a while. */
#define VOL_OPS_JOB_LOCK_WAIT_MS 100

#define ACCESS_KEY_LEN 16
#define SECRET_KEY_LEN 32

/* --- pure rules ------------------------------------------------------------------------------ */

void vol_ops_mp_ranges(uint32_t count, struct vol_ops_range *out)
{
    for (uint32_t i = 0; i < count; i++) {
        out[i].start = i == 0 ? 0 : out[i - 1].end + 1;
        out[i].end = i + 1 == count ? VOL_OPS_INODE_MAX : (uint64_t)(i + 1) * VOL_OPS_INODE_STEP;
    }
}

int vol_ops_split_end(uint64_t start, uint64_t last_start, uint64_t max_inode, uint64_t *end)
{
    uint64_t base = start;

    if (last_start > base) {
        base = last_start;
    }
    if (max_inode > base) {
        base = max_inode;
    }
    /* The new partition [end + 1, MAX] must keep at least one inode of its own. */
    if (base > VOL_OPS_INODE_MAX - VOL_OPS_INODE_STEP - 2) {
        return -ERANGE;
    }
    *end = base + VOL_OPS_INODE_STEP;
    return 0;
}

bool vol_ops_auth_ok(const char *owner, const char *auth_key)
{
    char md5[DIGEST_MD5_HEX_SIZE];

    return digest_md5_hex(owner, strlen(owner), md5) == 0 && strcasecmp(md5, auth_key) == 0;
}

static int not_legal(char *msg, const char *key, uint64_t val, const char *why)
{
    errors_set(msg, "args [%s] is not legal, val %" PRIu64 ": %s", key, val, why);
    return API_PARAM_ERROR;
}

/* 1 or 2 replicas cannot serve consistent reads from a leader alone, so v3.5 makes such volumes
 * read from followers and refuses an explicit followerRead=false. */
static int follower_read_rule(uint64_t replicas, bool given, bool *follower_read, char *msg)
{
    if (replicas >= 3) {
        return API_SUCCESS;
    }
    if (given && !*follower_read) {
        errors_set(msg, "vol with 1 or 2 replica should enable followerRead");
        return API_PARAM_ERROR;
    }
    *follower_read = true;
    return API_SUCCESS;
}

int vol_ops_check_create(struct vol_ops_create_req *req, char *msg)
{
    if (req->capacity == 0 || req->capacity > UINT64_MAX / GIB) {
        return not_legal(msg, "capacity", req->capacity, "a capacity in GB of at least 1");
    }
    if (req->replicas == 0) {
        req->replicas = VOL_OPS_DEFAULT_REPLICAS;
    }
    if (req->replicas > VOL_OPS_MAX_REPLICAS) {
        return not_legal(msg, "replicaNum", req->replicas, "1, 2 or 3 replicas");
    }
    if (req->mp_count == 0) {
        req->mp_count = VOL_OPS_DEFAULT_MP_COUNT;
    }
    if (req->mp_count > VOL_OPS_MAX_MP_COUNT) {
        return not_legal(msg, "mpCount", req->mp_count, "at most 100 meta partitions");
    }
    if (req->dp_count == 0) {
        req->dp_count = VOL_OPS_DEFAULT_DP_COUNT;
    }
    if (req->dp_count > VOL_OPS_MAX_DP_COUNT) {
        return not_legal(msg, "dpCount", req->dp_count, "at most 200 data partitions");
    }
    if (req->dp_size_gb == 0) {
        req->dp_size_gb = VOL_OPS_DEFAULT_DP_SIZE_GB;
    }
    if (req->dp_size_gb > UINT64_MAX / GIB) {
        return not_legal(msg, "dpSize", req->dp_size_gb, "a data partition size in GB");
    }
    if (req->cross_zone) {
        errors_set(msg, "crossZone volumes are not supported: a volume lives in one zone "
                        "(zoneName)");
        return API_PARAM_ERROR;
    }
    if (req->zone[0] == '\0') {
        snprintf(req->zone, sizeof(req->zone), "%s", VOL_OPS_DEFAULT_ZONE);
    }
    return follower_read_rule(req->replicas, req->follower_read_given, &req->follower_read, msg);
}

int vol_ops_plan_update(const struct store_vol *cur, uint64_t used_bytes,
                        const struct vol_ops_update_req *req, struct store_vol *out, char *msg)
{
    struct store_vol v = *cur;
    uint64_t cap = req->has_capacity ? req->capacity : cur->capacity;
    int code;

    if (req->kind == VOL_OPS_EXPAND && cap <= cur->capacity) {
        errors_set(
            msg, "expand capacity[%" PRIu64 "] should be larger than the old capacity[%" PRIu64 "]",
            cap, cur->capacity);
        return API_PARAM_ERROR;
    }
    if (req->kind == VOL_OPS_SHRINK && cap >= cur->capacity) {
        errors_set(msg,
                   "shrink capacity[%" PRIu64 "] should be less than the old capacity[%" PRIu64 "]",
                   cap, cur->capacity);
        return API_PARAM_ERROR;
    }
    if (cap == 0 || cap > UINT64_MAX / GIB) {
        return not_legal(msg, "capacity", cap, "a capacity in GB of at least 1");
    }
    /* Lowering the capacity must leave 20 % room over what is written (CubeFS's rule). */
    if (cap < cur->capacity && cap * GIB < used_bytes + used_bytes / 5) {
        errors_set(msg,
                   "capacity[%" PRIu64 " GB] must be at least 1.2 times the used space[%" PRIu64
                   " bytes]",
                   cap, used_bytes);
        return API_INTERNAL_ERROR;
    }
    v.capacity = cap;
    if (req->has_replicas && req->replicas != 0) {
        if (req->replicas > VOL_OPS_MAX_REPLICAS) {
            return not_legal(msg, "replicaNum", req->replicas, "1, 2 or 3 replicas");
        }
        if (req->replicas > cur->dp_replica_num) {
            errors_set(msg,
                       "args [replicaNum] is not legal, val %" PRIu64
                       ": may not be larger than the volume's %u replicas",
                       req->replicas, cur->dp_replica_num);
            return API_PARAM_ERROR;
        }
        v.dp_replica_num = (uint8_t)req->replicas;
    }
    v.follower_read = req->has_follower_read ? req->follower_read : cur->follower_read;
    code = follower_read_rule(v.dp_replica_num, req->has_follower_read, &v.follower_read, msg);
    if (code != API_SUCCESS) {
        return code;
    }
    if (req->has_zone && req->zone[0] != '\0') {
        snprintf(v.zone_name, sizeof(v.zone_name), "%s", req->zone);
    }
    if (req->has_description) {
        snprintf(v.description, sizeof(v.description), "%s", req->description);
    }
    *out = v;
    return API_SUCCESS;
}

/* --- views ----------------------------------------------------------------------------------- */

/* VolStatInfo. Every volume is a replica volume: DefaultStorageClass 1 (Replica_SSD). */
struct stat_view {
    char name[STORE_NAME_SIZE];
    uint64_t total; /* bytes: the capacity */
    uint64_t used;
    char used_ratio[16];
    uint64_t inode_count;
    uint32_t storage_class;
};

static const struct jc_field stat_view_fields[] = {
    JC_F(struct stat_view, name, "Name", JC_STR, 0),
    JC_F(struct stat_view, total, "TotalSize", JC_U64, 0),
    JC_F(struct stat_view, used, "UsedSize", JC_U64, 0),
    JC_F(struct stat_view, used_ratio, "UsedRatio", JC_STR, 0),
    JC_CONST("CacheTotalSize", JC_EMIT_ZERO),
    JC_CONST("CacheUsedSize", JC_EMIT_ZERO),
    JC_CONST("CacheUsedRatio", JC_EMIT_EMPTY_STR),
    JC_CONST("EnableToken", JC_EMIT_FALSE),
    JC_F(struct stat_view, inode_count, "InodeCount", JC_U64, 0),
    JC_CONST("TxCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbInoCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbDenCnt", JC_EMIT_ZERO),
    JC_CONST("DpReadOnlyWhenVolFull", JC_EMIT_FALSE),
    JC_CONST("TrashIntervalV2", JC_EMIT_ZERO),
    JC_F(struct stat_view, storage_class, "DefaultStorageClass", JC_U32, 0),
    JC_CONST("MetaFollowerRead", JC_EMIT_FALSE),
    JC_CONST("MaximallyRead", JC_EMIT_FALSE),
    JC_CONST("LeaderRetryTimeOut", JC_EMIT_ZERO),
    JC_CONST("StatByStorageClass", JC_EMIT_EMPTY_ARRAY),
    JC_CONST("StatMigrateStorageClass", JC_EMIT_EMPTY_ARRAY),
    JC_CONST("StatByDpMediaType", JC_EMIT_NULL),
    JC_END,
};

json_t *vol_ops_stat_view(const struct store_vol *vol, const struct pstate_vol *stats,
                          int ratio_decimals)
{
    struct stat_view v = {.storage_class = 1};

    snprintf(v.name, sizeof(v.name), "%s", vol->name);
    v.total = vol->capacity * GIB;
    v.used = stats->used;
    v.inode_count = stats->inode_count;
    cstat_ratio(v.used, v.total, ratio_decimals, v.used_ratio, sizeof(v.used_ratio));
    return jc_encode(stat_view_fields, &v);
}

/* --- store reads ------------------------------------------------------------------------------ */

/* The volume named name: API_SUCCESS, or API_VOL_NOT_EXISTS ("vol not exists") when there is none
 * or, unless deleted_ok, when it is marked deleted. */
static int load_vol(struct master *m, const char *name, bool deleted_ok, struct store_vol *out,
                    char *msg)
{
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    if (rv == 0) {
        rv = store_get_vol_by_name(t, name, out);
        store_txn_end(t);
    }
    if (rv == 0 && (deleted_ok || out->status != VOL_STATUS_MARK_DELETE)) {
        return API_SUCCESS;
    }
    if (rv == 0 || rv == CFS_ENOTFOUND) {
        errors_set(msg, "%s", errors_api_message(API_VOL_NOT_EXISTS));
        return API_VOL_NOT_EXISTS;
    }
    errors_set(msg, "reading the store: %s", errors_strerror(rv));
    return API_INTERNAL_ERROR;
}

/* The cluster record; defaults when the first leader has not written it yet. */
static int load_cluster(struct master *m, struct store_cluster *out, char *msg)
{
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    memset(out, 0, sizeof(*out));
    if (rv == 0) {
        rv = store_get_cluster(t, out);
        store_txn_end(t);
    }
    if (rv != 0 && rv != CFS_ENOTFOUND) {
        errors_set(msg, "reading the cluster record: %s", errors_strerror(rv));
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

static int frozen(struct master *m, char *msg)
{
    struct store_cluster c;
    int code = load_cluster(m, &c, msg);

    if (code == API_SUCCESS && c.disable_auto_alloc) {
        errors_set(msg, "the cluster is frozen (DisableAutoAlloc): no partition is created until "
                        "/cluster/freeze?enable=false");
        return API_INTERNAL_ERROR;
    }
    return code;
}

/* A growing array of records collected by a store walk. */
struct rec_list {
    void *items;
    size_t n;
    size_t cap;
    size_t size;
};

static int rec_list_add(struct rec_list *l, const void *rec)
{
    if (l->n == l->cap) {
        size_t cap = l->cap > 0 ? 2 * l->cap : 8;
        void *grown = realloc(l->items, cap * l->size);
        if (grown == NULL) {
            return -ENOMEM;
        }
        l->items = grown;
        l->cap = cap;
    }
    memcpy((char *)l->items + l->n * l->size, rec, l->size);
    l->n++;
    return 0;
}

static int collect_dp_cb(const struct store_dp *dp, void *arg)
{
    return rec_list_add(arg, dp);
}

static int collect_mp_cb(const struct store_mp *mp, void *arg)
{
    return rec_list_add(arg, mp);
}

static int collect_vol_cb(const struct store_vol *v, void *arg)
{
    return rec_list_add(arg, v);
}

/* The data and meta partitions of volume vol_id, or of every volume for 0 (either may be NULL). */
static int load_parts(struct master *m, uint64_t vol_id, struct rec_list *dps, struct rec_list *mps,
                      char *msg)
{
    struct store_txn *t = NULL;
    int rv = store_read_begin(m->store, &t);

    if (rv == 0 && dps != NULL) {
        dps->size = sizeof(struct store_dp);
        rv = store_foreach_dp(t, vol_id, collect_dp_cb, dps);
    }
    if (rv == 0 && mps != NULL) {
        mps->size = sizeof(struct store_mp);
        rv = store_foreach_mp(t, vol_id, collect_mp_cb, mps);
    }
    if (t != NULL) {
        store_txn_end(t);
    }
    if (rv != 0) {
        errors_set(msg, "reading partitions: %s", errors_strerror(rv));
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

static int count_dp_cb(const struct store_dp *dp, void *arg)
{
    (void)dp;
    (*(uint32_t *)arg)++;
    return 0;
}

/* --- the volume lock ------------------------------------------------------------------------- */

struct vol_lock {
    char key[STORE_NAME_SIZE + 8];
};

/* Long enough for the holder to finish: a round of node tasks and a couple of Raft commits. */
static uint32_t lock_wait_ms(const struct master *m)
{
    return 2 * m->cfg.sync_task_timeout_ms + 2 * m->cfg.raft_commit_timeout_ms;
}

static int vol_lock(struct master *m, const char *name, const char *holder, uint32_t wait_ms,
                    struct vol_lock *l, char *msg)
{
    snprintf(l->key, sizeof(l->key), "vol:%s", name);
    if (locks_acquire(m->locks, l->key, holder, wait_ms, msg) != 0) {
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

static void vol_unlock(struct master *m, struct vol_lock *l)
{
    locks_release(m->locks, l->key);
}

/* --- placement -------------------------------------------------------------------------------- */

/* Node views copied once per operation, so the carry placement leaves on one partition's nodes
 * spreads the next partition of the same operation; stored back when anything was created. */
struct placer {
    struct master *m;
    struct placement_policy policy;
    uint64_t rng;
    struct topo_node *nodes[TOPO_KINDS];
    size_t n[TOPO_KINDS];
    bool loaded[TOPO_KINDS];
};

static void placer_init(struct placer *p, struct master *m)
{
    memset(p, 0, sizeof(*p));
    p->m = m;
    node_ops_master_policy(m, &p->policy);
    p->rng = clock_mono_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)clock_wall_s();
}

static void placer_done(struct placer *p, bool keep)
{
    for (int k = 0; k < TOPO_KINDS; k++) {
        if (keep && p->n[k] > 0) {
            topo_put_placement(p->m->topo, (enum topo_kind)k, p->nodes[k], p->n[k]);
        }
        free(p->nodes[k]);
        p->nodes[k] = NULL;
    }
}

/* Hosts (in placement order, which spreads partition leaders) and peers for one partition. */
static int placer_pick(struct placer *p, enum topo_kind kind, uint32_t replicas, const char *zone,
                       char (*hosts)[STORE_ADDR_SIZE], struct store_peer *peers, uint32_t *n,
                       char *msg)
{
    struct placement_request req = {.kind = kind, .replicas = replicas, .zone = zone};
    size_t chosen[STORE_MAX_HOSTS];
    int rv;

    if (!p->loaded[kind]) {
        rv = topo_copy_nodes(p->m->topo, kind, &p->nodes[kind], &p->n[kind]);
        if (rv != 0) {
            errors_set(msg, "copying the %s nodes: %s", topo_kind_name(kind), errors_strerror(rv));
            return API_INTERNAL_ERROR;
        }
        p->loaded[kind] = true;
    }
    if (placement_choose(p->nodes[kind], p->n[kind], &req, &p->policy, &p->rng, chosen, msg) != 0) {
        return API_INTERNAL_ERROR;
    }
    for (uint32_t i = 0; i < replicas; i++) {
        const struct topo_node *node = &p->nodes[kind][chosen[i]];
        snprintf(hosts[i], STORE_ADDR_SIZE, "%s", node->addr);
        peers[i].id = node->id;
        snprintf(peers[i].addr, sizeof(peers[i].addr), "%s", node->addr);
    }
    *n = replicas;
    return API_SUCCESS;
}

static int place_mp(struct placer *p, const struct store_vol *vol, struct store_mp *mp, char *msg)
{
    mp->vol_id = vol->id;
    snprintf(mp->vol_name, sizeof(mp->vol_name), "%s", vol->name);
    mp->replica_num = vol->mp_replica_num;
    mp->status = MP_STATUS_READ_WRITE;
    mp->create_time = clock_wall_s();
    if (placer_pick(p, TOPO_META, mp->replica_num, vol->zone_name, mp->hosts, mp->peers,
                    &mp->nhosts, msg) != API_SUCCESS) {
        return API_INTERNAL_ERROR;
    }
    mp->npeers = mp->nhosts;
    return API_SUCCESS;
}

static int place_dp(struct placer *p, const struct store_vol *vol, struct store_dp *dp, char *msg)
{
    dp->vol_id = vol->id;
    snprintf(dp->vol_name, sizeof(dp->vol_name), "%s", vol->name);
    dp->replica_num = vol->dp_replica_num;
    dp->status = DP_STATUS_READ_WRITE;
    dp->size = vol->dp_size;
    dp->create_time = clock_wall_s();
    if (placer_pick(p, TOPO_DATA, dp->replica_num, vol->zone_name, dp->hosts, dp->peers,
                    &dp->nhosts, msg) != API_SUCCESS) {
        return API_INTERNAL_ERROR;
    }
    dp->npeers = dp->nhosts;
    return API_SUCCESS;
}

/* --- replicas on the nodes -------------------------------------------------------------------- */

/* One partition's replicas: created on all hosts at once, or deleted again. */
struct part_job {
    struct master *m;
    struct store_dp *dp; /* one of dp and mp */
    struct store_mp *mp;
    bool cleanup;
    struct ptasks_result res[STORE_MAX_HOSTS];
};

static void part_job_cb(void *arg)
{
    struct part_job *j = arg;

    if (j->cleanup) {
        if (j->dp != NULL) {
            ptasks_cleanup_dp(j->m, j->dp, j->res);
        } else {
            ptasks_cleanup_mp(j->m, j->mp, j->res);
        }
    } else if (j->dp != NULL) {
        ptasks_create_dp_all(j->m, j->dp, j->res);
    } else {
        ptasks_create_mp_all(j->m, j->mp, j->res);
    }
}

static void run_jobs(struct part_job *jobs, size_t n, bool cleanup)
{
    for (size_t i = 0; i < n; i++) {
        jobs[i].cleanup = cleanup;
    }
    for (size_t off = 0; off < n; off += VOL_OPS_PARALLEL) {
        size_t batch = n - off < VOL_OPS_PARALLEL ? n - off : VOL_OPS_PARALLEL;
        fanout_run(part_job_cb, jobs + off, sizeof(*jobs), batch);
    }
}

/* The partitions one operation creates, and what creating them did. */
struct parts {
    struct store_mp *mps;
    uint32_t nmps;
    struct store_dp *dps;
    uint32_t ndps;
    struct part_job *jobs; /* nmps + ndps once created */
};

static void parts_free(struct parts *p)
{
    free(p->mps);
    free(p->dps);
    free(p->jobs);
    memset(p, 0, sizeof(*p));
}

/* Create every replica of every partition. On any failure, delete what was created and answer
 * the first failure ("data partition 12: 127.0.0.1:17310: ..."). */
static int parts_create(struct master *m, struct parts *p, char *msg)
{
    size_t n = (size_t)p->nmps + p->ndps;
    const struct part_job *bad = NULL;
    char why[ERRMSG_SIZE];

    p->jobs = calloc(n, sizeof(*p->jobs));
    if (p->jobs == NULL) {
        errors_set(msg, "out of memory");
        return API_INTERNAL_ERROR;
    }
    for (uint32_t i = 0; i < p->nmps; i++) {
        p->jobs[i] = (struct part_job){.m = m, .mp = &p->mps[i]};
    }
    for (uint32_t i = 0; i < p->ndps; i++) {
        p->jobs[p->nmps + i] = (struct part_job){.m = m, .dp = &p->dps[i]};
    }
    run_jobs(p->jobs, n, false);
    for (size_t i = 0; i < n && bad == NULL; i++) {
        const struct part_job *j = &p->jobs[i];
        uint32_t nhosts = j->dp != NULL ? j->dp->nhosts : j->mp->nhosts;
        for (uint32_t h = 0; h < nhosts && bad == NULL; h++) {
            bad = j->res[h].rv != 0 ? j : NULL;
        }
    }
    if (bad != NULL) {
        ptasks_summarize(bad->res, bad->dp != NULL ? bad->dp->hosts : bad->mp->hosts,
                         bad->dp != NULL ? bad->dp->nhosts : bad->mp->nhosts, why);
        errors_set(msg, "%s partition %" PRIu64 ": %s", bad->dp != NULL ? "data" : "meta",
                   bad->dp != NULL ? bad->dp->id : bad->mp->id, why);
        run_jobs(p->jobs, n, true);
        return API_INTERNAL_ERROR;
    }
    for (uint32_t i = 0; i < p->ndps; i++) {
        struct store_dp *dp = &p->dps[i];
        const struct part_job *j = &p->jobs[p->nmps + i];
        dp->nreplicas = dp->nhosts;
        for (uint32_t h = 0; h < dp->nhosts; h++) {
            memcpy(dp->replicas[h].addr, dp->hosts[h], sizeof(dp->replicas[h].addr));
            snprintf(dp->replicas[h].disk_path, sizeof(dp->replicas[h].disk_path), "%s",
                     j->res[h].disk_path);
        }
    }
    return API_SUCCESS;
}

/* Delete every replica parts_create() made (after Raft turned the records down). */
static void parts_remove(struct parts *p)
{
    run_jobs(p->jobs, (size_t)p->nmps + p->ndps, true);
}

/* --- Raft ------------------------------------------------------------------------------------- */

/* Propose cmd (cleared in every case). API_SUCCESS once applied; otherwise the code and why, and
 * *unknown tells whether the records may still commit (the proposal timed out). CubeFS answers a
 * duplicate name with code 1 ("duplicate vol" in the text), and so do we. */
/* The answer for an applied command: a precondition the FSM found violated is the client's. */
static int result_code(const struct fsm_result *res, char *msg)
{
    if (res->code != API_SUCCESS) {
        errors_set(msg, "%s", res->msg);
        return res->code == API_DUPLICATE_VOL ? API_INTERNAL_ERROR : res->code;
    }
    return API_SUCCESS;
}

static int propose(struct master *m, struct fsm_cmd *cmd, bool *unknown, char *msg)
{
    struct fsm_result res;
    int rv = master_propose(m, cmd, &res, msg);

    fsm_cmd_clear(cmd);
    *unknown = rv == CFS_ETIMEDOUT;
    return rv != 0 ? API_INTERNAL_ERROR : result_code(&res, msg);
}

static int cmd_init(struct fsm_cmd *cmd, char *msg)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->batch = store_batch_new();
    if (cmd->batch == NULL) {
        errors_set(msg, "out of memory");
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

static int cmd_fail(struct fsm_cmd *cmd, int rv, char *msg)
{
    errors_set(msg, "building the raft command: %s", errors_strerror(rv));
    fsm_cmd_clear(cmd);
    return API_INTERNAL_ERROR;
}

/* Records of a whole new volume, with the owner's user record when it is new. */
static int commit_vol(struct master *m, const struct store_vol *vol, const struct parts *p,
                      const struct store_user *user, bool *unknown, char *msg)
{
    struct fsm_cmd cmd;
    int rv;

    if (cmd_init(&cmd, msg) != API_SUCCESS) {
        return API_INTERNAL_ERROR;
    }
    rv = fsm_cmd_check(&cmd, FSM_CHECK_VOL_NAME_FREE, 0, vol->name);
    if (rv == 0) {
        rv = store_batch_put_vol(cmd.batch, vol);
    }
    if (rv == 0 && user != NULL) {
        rv = fsm_cmd_check(&cmd, FSM_CHECK_USER_FREE, 0, user->user_id);
        if (rv == 0) {
            rv = fsm_cmd_check(&cmd, FSM_CHECK_ACCESS_KEY_FREE, 0, user->access_key);
        }
        if (rv == 0) {
            rv = store_batch_put_user(cmd.batch, user);
        }
    }
    for (uint32_t i = 0; rv == 0 && i < p->nmps; i++) {
        rv = store_batch_put_mp(cmd.batch, &p->mps[i]);
    }
    for (uint32_t i = 0; rv == 0 && i < p->ndps; i++) {
        rv = store_batch_put_dp(cmd.batch, &p->dps[i]);
    }
    if (rv != 0) {
        return cmd_fail(&cmd, rv, msg);
    }
    return propose(m, &cmd, unknown, msg);
}

/* Partition records of an existing volume, which must still be live when they apply. */
static int commit_parts(struct master *m, uint64_t vol_id, const struct store_mp *mps,
                        uint32_t nmps, const struct store_dp *dps, uint32_t ndps, bool *unknown,
                        char *msg)
{
    struct fsm_cmd cmd;
    int rv;

    if (cmd_init(&cmd, msg) != API_SUCCESS) {
        return API_INTERNAL_ERROR;
    }
    rv = fsm_cmd_check(&cmd, FSM_CHECK_VOL_EXISTS, vol_id, NULL);
    for (uint32_t i = 0; rv == 0 && i < nmps; i++) {
        rv = store_batch_put_mp(cmd.batch, &mps[i]);
    }
    for (uint32_t i = 0; rv == 0 && i < ndps; i++) {
        rv = store_batch_put_dp(cmd.batch, &dps[i]);
    }
    if (rv != 0) {
        return cmd_fail(&cmd, rv, msg);
    }
    return propose(m, &cmd, unknown, msg);
}

/* The command that stores vol, provided it still exists when applied. */
static int vol_record_cmd(const struct store_vol *vol, struct fsm_cmd *cmd, char *msg)
{
    int rv;

    if (cmd_init(cmd, msg) != API_SUCCESS) {
        return API_INTERNAL_ERROR;
    }
    rv = fsm_cmd_check(cmd, FSM_CHECK_VOL_EXISTS, vol->id, NULL);
    if (rv == 0) {
        rv = store_batch_put_vol(cmd->batch, vol);
    }
    return rv != 0 ? cmd_fail(cmd, rv, msg) : API_SUCCESS;
}

static int commit_vol_record(struct master *m, const struct store_vol *vol, char *msg)
{
    struct fsm_cmd cmd;
    bool unknown;
    int code = vol_record_cmd(vol, &cmd, msg);

    return code != API_SUCCESS ? code : propose(m, &cmd, &unknown, msg);
}

/* After a failed commit: the replicas go unless the records may still commit. */
static void undo_or_keep(struct parts *p, bool unknown, char *msg)
{
    if (unknown) {
        size_t len = strlen(msg);
        snprintf(msg + len, ERRMSG_SIZE - len, "; the partitions created on the nodes are kept");
        return;
    }
    parts_remove(p);
}

/* --- createVol -------------------------------------------------------------------------------- */

/* The name must be free (CubeFS: code 1, "duplicate vol"), the cluster not frozen, an explicit
 * zone known; *user_exists says whether the owner already has a user record. */
static int check_new_vol(struct master *m, const struct vol_ops_create_req *req, bool *user_exists,
                         char *msg)
{
    struct store_vol vol;
    struct store_user user;
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);
    int urv = CFS_ENOTFOUND;

    if (rv == 0) {
        rv = store_get_vol_by_name(t, req->name, &vol);
        urv = store_get_user(t, req->owner, &user);
        store_txn_end(t);
    }
    if (rv == 0) {
        errors_set(msg, "%s", errors_api_message(API_DUPLICATE_VOL));
        return API_INTERNAL_ERROR;
    }
    if ((rv != CFS_ENOTFOUND) || (urv != 0 && urv != CFS_ENOTFOUND)) {
        errors_set(msg, "reading the store: %s", errors_strerror(rv != CFS_ENOTFOUND ? rv : urv));
        return API_INTERNAL_ERROR;
    }
    *user_exists = urv == 0;
    return frozen(m, msg);
}

static int new_user(const char *owner, struct store_user *u, char *msg)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->user_id, sizeof(u->user_id), "%s", owner);
    u->user_type = USER_TYPE_NORMAL;
    u->create_time = clock_wall_s();
    if (digest_random_key(u->access_key, ACCESS_KEY_LEN) != 0 ||
        digest_random_key(u->secret_key, SECRET_KEY_LEN) != 0) {
        errors_set(msg, "no random bytes for the owner's keys");
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

static int new_vol_record(const struct vol_ops_create_req *req, struct store_vol *v, char *msg)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "%s", req->name);
    snprintf(v->owner, sizeof(v->owner), "%s", req->owner);
    snprintf(v->zone_name, sizeof(v->zone_name), "%s", req->zone);
    snprintf(v->description, sizeof(v->description), "%s", req->description);
    v->dp_replica_num = (uint8_t)req->replicas;
    v->mp_replica_num = (uint8_t)req->replicas;
    v->status = VOL_STATUS_NORMAL;
    v->capacity = req->capacity;
    v->dp_size = req->dp_size_gb * GIB;
    v->mp_count = (uint32_t)req->mp_count;
    v->dp_count = (uint32_t)req->dp_count;
    v->follower_read = req->follower_read;
    v->create_time = clock_wall_s();
    if (digest_random_key(v->oss_access_key, ACCESS_KEY_LEN) != 0 ||
        digest_random_key(v->oss_secret_key, SECRET_KEY_LEN) != 0) {
        errors_set(msg, "no random bytes for the volume's keys");
        return API_INTERNAL_ERROR;
    }
    return API_SUCCESS;
}

/* Place every partition of the new volume, then take the IDs (none are used up by a volume that
 * cannot be placed). */
static int plan_vol(struct master *m, struct placer *pl, struct store_vol *vol, struct parts *p,
                    char *msg)
{
    struct vol_ops_range *ranges = calloc(vol->mp_count, sizeof(*ranges));
    uint64_t first_mp = 0, first_dp = 0;
    int code = API_INTERNAL_ERROR;

    p->nmps = vol->mp_count;
    p->ndps = vol->dp_count;
    p->mps = calloc(p->nmps, sizeof(*p->mps));
    p->dps = calloc(p->ndps, sizeof(*p->dps));
    if (ranges == NULL || p->mps == NULL || p->dps == NULL) {
        errors_set(msg, "out of memory");
        goto out;
    }
    vol_ops_mp_ranges(p->nmps, ranges);
    for (uint32_t i = 0; i < p->nmps; i++) {
        p->mps[i].start = ranges[i].start;
        p->mps[i].end = ranges[i].end;
        if (place_mp(pl, vol, &p->mps[i], msg) != API_SUCCESS) {
            errors_prefix(msg, "meta partition %u of %u", i + 1, p->nmps);
            goto out;
        }
    }
    for (uint32_t i = 0; i < p->ndps; i++) {
        if (place_dp(pl, vol, &p->dps[i], msg) != API_SUCCESS) {
            errors_prefix(msg, "data partition %u of %u", i + 1, p->ndps);
            goto out;
        }
    }
    if (master_alloc_ids(m, STORE_COUNTER_COMMON, 1, &vol->id, msg) != 0 ||
        master_alloc_ids(m, STORE_COUNTER_MP, p->nmps, &first_mp, msg) != 0 ||
        master_alloc_ids(m, STORE_COUNTER_DP, p->ndps, &first_dp, msg) != 0) {
        goto out;
    }
    for (uint32_t i = 0; i < p->nmps; i++) {
        p->mps[i].id = first_mp + i;
        p->mps[i].vol_id = vol->id;
    }
    for (uint32_t i = 0; i < p->ndps; i++) {
        p->dps[i].id = first_dp + i;
        p->dps[i].vol_id = vol->id;
    }
    code = API_SUCCESS;
out:
    free(ranges);
    return code;
}

int vol_ops_create(struct master *m, const struct vol_ops_create_req *req, char *msg)
{
    uint64_t start_ms = clock_mono_ms();
    struct store_vol vol;
    struct store_user user;
    struct parts parts = {0};
    struct placer pl;
    struct vol_lock lock;
    bool user_exists = false;
    bool unknown = false;
    bool placed = false;
    int code;

    code = vol_lock(m, req->name, "createVol", lock_wait_ms(m), &lock, msg);
    if (code != API_SUCCESS) {
        errors_prefix(msg, "createVol %s", req->name);
        return code;
    }
    placer_init(&pl, m);
    code = check_new_vol(m, req, &user_exists, msg);
    if (code == API_SUCCESS) {
        code = new_vol_record(req, &vol, msg);
    }
    if (code == API_SUCCESS && !user_exists) {
        code = new_user(req->owner, &user, msg);
    }
    if (code == API_SUCCESS) {
        code = plan_vol(m, &pl, &vol, &parts, msg);
    }
    if (code == API_SUCCESS) {
        code = parts_create(m, &parts, msg);
    }
    if (code == API_SUCCESS) {
        placed = true;
        code = commit_vol(m, &vol, &parts, user_exists ? NULL : &user, &unknown, msg);
        /* A user created meanwhile (by /user/create) is not a reason to fail. */
        if (code == API_DUPLICATE_USER_ID) {
            code = commit_vol(m, &vol, &parts, NULL, &unknown, msg);
        }
        if (code != API_SUCCESS) {
            undo_or_keep(&parts, unknown, msg);
        }
    }
    placer_done(&pl, placed);
    vol_unlock(m, &lock);
    if (code != API_SUCCESS) {
        errors_prefix(msg, "createVol %s", req->name);
        log_warn("%s", msg);
    } else {
        master_refresh_soon(m);
        errors_set(msg, "create vol[%s] successfully, has allocate [%u] data partitions", req->name,
                   parts.ndps);
        log_info("created vol %s (id %" PRIu64 "): %u meta and %u data partitions, %u replicas, "
                 "in %" PRIu64 " ms",
                 vol.name, vol.id, parts.nmps, parts.ndps, vol.dp_replica_num,
                 clock_mono_ms() - start_ms);
    }
    parts_free(&parts);
    return code;
}

/* --- data partitions -------------------------------------------------------------------------- */

/* Add count data partitions to vol (the caller holds its lock), one after another: each is
 * placed, created and committed alone, so a failure keeps those before it. */
static int add_dps(struct master *m, const struct store_vol *vol, uint32_t count, uint32_t *created,
                   char *msg)
{
    struct placer pl;
    int code = API_SUCCESS;

    *created = 0;
    placer_init(&pl, m);
    while (*created < count && code == API_SUCCESS) {
        struct store_dp dp = {0};
        struct parts parts = {.dps = &dp, .ndps = 1};
        bool unknown = false;
        code = place_dp(&pl, vol, &dp, msg);
        if (code == API_SUCCESS && master_alloc_ids(m, STORE_COUNTER_DP, 1, &dp.id, msg) != 0) {
            code = API_INTERNAL_ERROR;
        }
        if (code == API_SUCCESS) {
            code = parts_create(m, &parts, msg);
        }
        if (code == API_SUCCESS) {
            code = commit_parts(m, vol->id, NULL, 0, &dp, 1, &unknown, msg);
            if (code != API_SUCCESS) {
                undo_or_keep(&parts, unknown, msg);
            }
        }
        free(parts.jobs);
        if (code == API_SUCCESS) {
            (*created)++;
        }
    }
    placer_done(&pl, *created > 0);
    if (*created > 0) {
        master_refresh_soon(m);
    }
    return code;
}

int vol_ops_add_dps(struct master *m, const char *name, uint32_t count, char *msg)
{
    struct store_vol vol;
    struct store_txn *t;
    struct vol_lock lock;
    uint32_t cluster_before = 0, vol_before = 0, created = 0;
    int code = vol_lock(m, name, "createDataPartition", lock_wait_ms(m), &lock, msg);
    int rv;

    if (code != API_SUCCESS) {
        errors_prefix(msg, "createDataPartition vol[%s]", name);
        return code;
    }
    code = load_vol(m, name, false, &vol, msg);
    if (code == API_SUCCESS) {
        code = frozen(m, msg);
    }
    if (code == API_SUCCESS) {
        rv = store_read_begin(m->store, &t);
        if (rv == 0) {
            rv = store_foreach_dp(t, 0, count_dp_cb, &cluster_before);
            if (rv == 0) {
                rv = store_foreach_dp(t, vol.id, count_dp_cb, &vol_before);
            }
            store_txn_end(t);
        }
        if (rv != 0) {
            errors_set(msg, "counting data partitions: %s", errors_strerror(rv));
            code = API_INTERNAL_ERROR;
        }
    }
    if (code == API_SUCCESS) {
        code = add_dps(m, &vol, count, &created, msg);
        if (code != API_SUCCESS) {
            errors_prefix(msg, "%u of %u created", created, count);
        }
    }
    vol_unlock(m, &lock);
    if (code == API_SUCCESS) {
        errors_set(msg,
                   " createDataPartition succeeeds. clusterLastTotalDataPartitions[%u],vol[%s] has "
                   "%u data partitions previously and %u data partitions now",
                   cluster_before, name, vol_before, vol_before + created);
    } else if (code != API_VOL_NOT_EXISTS) {
        errors_prefix(msg, "createDataPartition vol[%s]", name);
        log_warn("%s", msg);
    }
    return code;
}

/* --- meta partitions -------------------------------------------------------------------------- */

static void update_mp_cb(const struct admin_task *task, void *response, void *arg)
{
    const struct mn_update_mp_resp *resp = response;

    (void)arg;
    if (resp == NULL || resp->status != TASK_SUCCEEDS) {
        log_warn("%s: meta partition %" PRIu64 " did not take its new End: %s", task->operator_addr,
                 task->partition_id, resp != NULL ? resp->result : "no response body");
    }
}

int vol_ops_leader_start(struct master *m, char *errmsg)
{
    int rv = task_manager_on_response(m->tasks, OP_UPDATE_META_PARTITION, mn_update_mp_resp_fields,
                                      sizeof(struct mn_update_mp_resp), update_mp_cb, m);

    if (rv != 0) {
        errors_set(errmsg, "registering the meta partition update handler: %s",
                   errors_strerror(rv));
    }
    return rv;
}

/* Tell every replica of mp its End (async: the sender resends until the node answers). */
static void queue_mp_update(struct master *m, const struct store_mp *mp)
{
    struct mn_update_mp_req req = {.partition_id = mp->id, .start = mp->start, .end = mp->end};
    char errmsg[ERRMSG_SIZE];

    snprintf(req.vol_name, sizeof(req.vol_name), "%s", mp->vol_name);
    for (uint32_t i = 0; i < mp->nhosts; i++) {
        struct admin_task t;
        json_t *body = jc_encode(mn_update_mp_req_fields, &req);
        if (body == NULL || admin_task_init(&t, OP_UPDATE_META_PARTITION, mp->hosts[i], mp->id,
                                            body, clock_wall_s()) != 0) {
            log_error("cannot build the update of meta partition %" PRIu64 " for %s", mp->id,
                      mp->hosts[i]);
            continue;
        }
        if (task_manager_add(m->tasks, &t, NULL, errmsg) != 0) {
            log_error("cannot queue the update of meta partition %" PRIu64 " for %s: %s", mp->id,
                      mp->hosts[i], errmsg);
        }
    }
}

/* The partition that ends the inode space (the highest Start). */
static const struct store_mp *last_mp(const struct rec_list *mps)
{
    const struct store_mp *all = mps->items;
    const struct store_mp *last = NULL;

    for (size_t i = 0; i < mps->n; i++) {
        if (last == NULL || all[i].start > last->start) {
            last = &all[i];
        }
    }
    return last;
}

static int split_mp(struct master *m, const struct store_vol *vol, uint64_t start, char *msg)
{
    struct rec_list mps = {0};
    struct store_mp pair[2] = {{0}};
    struct parts parts = {.mps = &pair[1], .nmps = 1};
    struct pstate_part state = {0};
    struct placer pl;
    const struct store_mp *last;
    uint64_t end;
    bool unknown = false;
    int code = load_parts(m, vol->id, NULL, &mps, msg);

    placer_init(&pl, m);
    if (code != API_SUCCESS) {
        goto out;
    }
    last = last_mp(&mps);
    if (last == NULL) {
        errors_set(msg, "the volume has no meta partition");
        code = API_INTERNAL_ERROR;
        goto out;
    }
    pstate_mp(m->pstate, last->id, &state);
    if (vol_ops_split_end(start, last->start, state.max_inode_id, &end) != 0) {
        errors_set(msg, "meta partition %" PRIu64 " cannot be split: no inode range is left",
                   last->id);
        code = API_INVALID_MP_START;
        goto out;
    }
    pair[0] = *last;
    pair[0].end = end;
    pair[1].start = end + 1;
    pair[1].end = VOL_OPS_INODE_MAX;
    code = place_mp(&pl, vol, &pair[1], msg);
    if (code == API_SUCCESS && master_alloc_ids(m, STORE_COUNTER_MP, 1, &pair[1].id, msg) != 0) {
        code = API_INTERNAL_ERROR;
    }
    if (code == API_SUCCESS) {
        code = parts_create(m, &parts, msg);
    }
    if (code == API_SUCCESS) {
        code = commit_parts(m, vol->id, pair, 2, NULL, 0, &unknown, msg);
        if (code != API_SUCCESS) {
            undo_or_keep(&parts, unknown, msg);
        }
    }
    if (code == API_SUCCESS) {
        queue_mp_update(m, &pair[0]);
        master_refresh_soon(m);
        log_info("vol %s: meta partition %" PRIu64 " ends at %" PRIu64 ", %" PRIu64
                 " starts after it",
                 vol->name, pair[0].id, end, pair[1].id);
    }
out:
    placer_done(&pl, code == API_SUCCESS);
    free(parts.jobs);
    free(mps.items);
    return code;
}

int vol_ops_split_mp(struct master *m, const char *name, uint64_t start, char *msg)
{
    struct store_vol vol;
    struct vol_lock lock;
    int code = vol_lock(m, name, "createMetaPartition", lock_wait_ms(m), &lock, msg);

    if (code == API_SUCCESS) {
        code = load_vol(m, name, false, &vol, msg);
        if (code == API_SUCCESS) {
            code = split_mp(m, &vol, start, msg);
        }
        vol_unlock(m, &lock);
    }
    if (code == API_SUCCESS) {
        errors_set(msg, "create meta partition successfully");
    } else if (code != API_VOL_NOT_EXISTS) {
        errors_prefix(msg, "createMetaPartition %s", name);
        log_warn("%s", msg);
    }
    return code;
}

/* --- update and delete ------------------------------------------------------------------------ */

static int check_auth(const struct store_vol *vol, const char *auth_key, char *msg)
{
    if (!vol_ops_auth_ok(vol->owner, auth_key)) {
        errors_set(msg, "%s", errors_api_message(API_VOL_AUTH_KEY_NOT_MATCH));
        return API_VOL_AUTH_KEY_NOT_MATCH;
    }
    return API_SUCCESS;
}

/* A zone exists while a nodeset names it. */
static int check_zone(struct master *m, const char *zone, char *msg)
{
    struct topo_nodeset *sets = NULL;
    size_t n = 0;
    bool found = false;
    int rv = topo_copy_nodesets(m->topo, &sets, &n);

    for (size_t i = 0; rv == 0 && i < n && !found; i++) {
        found = strcmp(sets[i].zone, zone) == 0;
    }
    free(sets);
    if (rv != 0) {
        errors_set(msg, "reading the zones: %s", errors_strerror(rv));
        return API_INTERNAL_ERROR;
    }
    if (!found) {
        errors_set(msg, "%s: %s", errors_api_message(API_ZONE_NOT_EXISTS), zone);
        return API_ZONE_NOT_EXISTS;
    }
    return API_SUCCESS;
}

/* The checks of an update and the command that makes it; the volume's lock is held. */
static int plan_vol_update(struct master *m, const struct vol_ops_update_req *req,
                           struct fsm_cmd *cmd, char *msg)
{
    struct store_vol cur, next;
    struct pstate_vol stats = {0};
    int code = load_vol(m, req->name, false, &cur, msg);

    if (code == API_SUCCESS) {
        code = check_auth(&cur, req->auth_key, msg);
    }
    if (code != API_SUCCESS) {
        return code;
    }
    pstate_vol(m->pstate, cur.id, &stats);
    code = vol_ops_plan_update(&cur, stats.used, req, &next, msg);
    if (code == API_SUCCESS && strcmp(next.zone_name, cur.zone_name) != 0) {
        code = check_zone(m, next.zone_name, msg);
    }
    return code != API_SUCCESS ? code : vol_record_cmd(&next, cmd, msg);
}

static void vol_updated(struct master *m, const char *name, char *msg)
{
    master_refresh_soon(m);
    errors_set(msg, "update vol[%s] successfully\n", name);
}

int vol_ops_update(struct master *m, const struct vol_ops_update_req *req, char *msg)
{
    struct vol_lock lock;
    struct fsm_cmd cmd;
    bool unknown;
    int code = vol_lock(m, req->name, "updateVol", lock_wait_ms(m), &lock, msg);

    if (code != API_SUCCESS) {
        return code;
    }
    code = plan_vol_update(m, req, &cmd, msg);
    if (code == API_SUCCESS) {
        code = propose(m, &cmd, &unknown, msg);
    }
    vol_unlock(m, &lock);
    if (code == API_SUCCESS) {
        vol_updated(m, req->name, msg);
    }
    return code;
}

struct update_async {
    struct master *m;
    struct vol_lock lock;
    char name[STORE_NAME_SIZE];
    vol_ops_done_cb done;
    void *arg;
};

static void update_applied_cb(void *arg, int rv, const struct fsm_result *res)
{
    struct update_async *u = arg;
    char msg[ERRMSG_SIZE];
    int code = API_INTERNAL_ERROR;

    vol_unlock(u->m, &u->lock);
    if (rv != 0) {
        master_propose_error(u->m, rv, msg);
    } else {
        code = result_code(res, msg);
    }
    if (code == API_SUCCESS) {
        vol_updated(u->m, u->name, msg);
    }
    u->done(u->arg, code, msg);
    free(u);
}

int vol_ops_update_start(struct master *m, const struct vol_ops_update_req *req,
                         vol_ops_done_cb done, void *arg, char *msg)
{
    struct update_async *u = calloc(1, sizeof(*u));
    struct fsm_cmd cmd;
    int code;

    if (u == NULL) {
        errors_set(msg, "out of memory");
        return API_INTERNAL_ERROR;
    }
    /* A busy volume is waited for on a worker, never on the loop. */
    if (!m->ready || vol_lock(m, req->name, "updateVol", 0, &u->lock, msg) != API_SUCCESS) {
        free(u);
        return VOL_OPS_ON_WORKER;
    }
    code = plan_vol_update(m, req, &cmd, msg);
    if (code == API_SUCCESS) {
        u->m = m;
        snprintf(u->name, sizeof(u->name), "%s", req->name);
        u->done = done;
        u->arg = arg;
        if (master_propose_async(m, &cmd, update_applied_cb, u, msg) != 0) {
            code = API_INTERNAL_ERROR;
        }
        fsm_cmd_clear(&cmd);
    }
    if (code != API_SUCCESS) {
        vol_unlock(m, &u->lock);
        free(u);
    }
    return code;
}

int vol_ops_delete(struct master *m, const char *name, const char *auth_key, const char *from,
                   char *msg)
{
    struct store_vol vol;
    struct vol_lock lock;
    int code = vol_lock(m, name, "deleteVol", lock_wait_ms(m), &lock, msg);

    if (code != API_SUCCESS) {
        return code;
    }
    code = load_vol(m, name, true, &vol, msg);
    if (code == API_SUCCESS) {
        code = check_auth(&vol, auth_key, msg);
    }
    if (code == API_SUCCESS && vol.status != VOL_STATUS_MARK_DELETE) {
        vol.status = VOL_STATUS_MARK_DELETE;
        code = commit_vol_record(m, &vol, msg);
    }
    vol_unlock(m, &lock);
    if (code == API_SUCCESS) {
        master_refresh_soon(m);
        log_info("vol %s marked deleted (from %s)", name, from);
        errors_set(msg, "delete vol[%s] successfully,from[%s]", name, from);
    }
    return code;
}

/* --- leader jobs ------------------------------------------------------------------------------ */

/* The volumes a job looks at: marked deleted (deleted) or live. */
static int load_vols(struct master *m, bool deleted, struct rec_list *out)
{
    struct rec_list all = {.size = sizeof(struct store_vol)};
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    out->size = sizeof(struct store_vol);
    if (rv == 0) {
        rv = store_foreach_vol(t, collect_vol_cb, &all);
        store_txn_end(t);
    }
    for (size_t i = 0; rv == 0 && i < all.n; i++) {
        const struct store_vol *v = (const struct store_vol *)all.items + i;
        if ((v->status == VOL_STATUS_MARK_DELETE) == deleted) {
            rv = rec_list_add(out, v);
        }
    }
    free(all.items);
    if (rv != 0) {
        log_error("reading volumes: %s", errors_strerror(rv));
    }
    return rv;
}

/* How many data partitions vol lacks: ReadWrite ones count, and so do those created since the
 * last status refresh; a full volume gets none. */
static uint32_t dps_wanted(struct master *m, const struct store_vol *vol)
{
    struct rec_list dps = {0};
    struct pstate_vol stats;
    uint32_t rw = 0;
    char msg[ERRMSG_SIZE];

    if (pstate_vol(m->pstate, vol->id, &stats) != 0 || stats.used >= vol->capacity * GIB ||
        load_parts(m, vol->id, &dps, NULL, msg) != API_SUCCESS) {
        free(dps.items);
        return 0;
    }
    for (size_t i = 0; i < dps.n; i++) {
        struct pstate_part part;
        const struct store_dp *dp = (const struct store_dp *)dps.items + i;
        rw += pstate_dp(m->pstate, dp->id, &part) != 0 || part.status == DP_STATUS_READ_WRITE;
    }
    free(dps.items);
    return vol->dp_count > rw ? vol->dp_count - rw : 0;
}

static void auto_create_vol(struct master *m, const struct store_vol *listed)
{
    struct store_vol vol;
    struct vol_lock lock;
    uint32_t want, created = 0;
    char msg[ERRMSG_SIZE];

    if (dps_wanted(m, listed) == 0 ||
        vol_lock(m, listed->name, "autoCreateDataPartitions", VOL_OPS_JOB_LOCK_WAIT_MS, &lock,
                 msg) != API_SUCCESS) {
        return;
    }
    /* Again under the lock: another operation may have just added partitions. */
    if (load_vol(m, listed->name, false, &vol, msg) == API_SUCCESS && vol.id == listed->id &&
        (want = dps_wanted(m, &vol)) > 0) {
        if (add_dps(m, &vol, want, &created, msg) != API_SUCCESS) {
            log_warn("vol %s lacks %u writable data partitions; %u created: %s", vol.name, want,
                     created, msg);
        } else {
            log_info("vol %s: %u data partitions created to reach %u writable ones", vol.name,
                     created, vol.dp_count);
        }
    }
    vol_unlock(m, &lock);
}

void vol_ops_auto_create_round(struct master *m)
{
    struct rec_list vols = {0};
    char msg[ERRMSG_SIZE];

    if (!m->ready || frozen(m, msg) != API_SUCCESS || load_vols(m, false, &vols) != 0) {
        free(vols.items);
        return;
    }
    for (size_t i = 0; i < vols.n && m->ready; i++) {
        auto_create_vol(m, (const struct store_vol *)vols.items + i);
    }
    free(vols.items);
}

/* One replica delete of the deletion job. */
struct del_job {
    struct master *m;
    bool data;
    uint64_t id;
    const char *host;
    size_t part; /* index in the job's partition list */
    int rv;
};

static void del_job_cb(void *arg)
{
    struct del_job *j = arg;
    char errmsg[ERRMSG_SIZE];

    j->rv = j->data ? ptasks_delete_dp(j->m, j->id, j->host, errmsg)
                    : ptasks_delete_mp(j->m, j->id, j->host, errmsg);
}

/* A partition of a deleted volume: gone from the nodes once every host confirmed. */
struct del_part {
    bool data;
    uint64_t id;
    bool gone;
};

/* Queue a delete for every host of a partition that can answer: a host that is no longer a
 * node has nothing to delete; an inactive node keeps the partition for a later round. */
static void del_plan(struct master *m, struct del_part *part, size_t index,
                     const char (*hosts)[STORE_ADDR_SIZE], uint32_t nhosts, struct del_job *jobs,
                     size_t *njobs)
{
    part->gone = true;
    for (uint32_t h = 0; h < nhosts; h++) {
        struct topo_node node;
        int rv = topo_get_node(m->topo, part->data ? TOPO_DATA : TOPO_META, hosts[h], &node);
        if (rv == CFS_ENOTFOUND) {
            continue;
        }
        if (rv != 0 || !node.active) {
            part->gone = false;
            continue;
        }
        jobs[(*njobs)++] = (struct del_job){m, part->data, part->id, hosts[h], index, 0};
    }
}

/* One round for one volume: delete replicas, then commit the removal of what is gone. */
static void delete_vol_step(struct master *m, const struct store_vol *vol)
{
    struct rec_list dps = {0}, mps = {0};
    struct del_part *parts = NULL;
    struct del_job *jobs = NULL;
    size_t nparts, njobs = 0, gone = 0;
    struct fsm_cmd cmd = {0};
    bool unknown;
    char msg[ERRMSG_SIZE];
    int rv = 0;

    if (load_parts(m, vol->id, &dps, &mps, msg) != API_SUCCESS) {
        log_warn("deleting vol %s: %s", vol->name, msg);
        goto out;
    }
    nparts = dps.n + mps.n;
    parts = calloc(nparts + 1, sizeof(*parts));
    jobs = calloc(nparts * STORE_MAX_HOSTS + 1, sizeof(*jobs));
    if (parts == NULL || jobs == NULL || cmd_init(&cmd, msg) != API_SUCCESS) {
        goto out;
    }
    for (size_t i = 0; i < dps.n; i++) {
        const struct store_dp *dp = (const struct store_dp *)dps.items + i;
        parts[i] = (struct del_part){true, dp->id, false};
        del_plan(m, &parts[i], i, dp->hosts, dp->nhosts, jobs, &njobs);
    }
    for (size_t i = 0; i < mps.n; i++) {
        const struct store_mp *mp = (const struct store_mp *)mps.items + i;
        parts[dps.n + i] = (struct del_part){false, mp->id, false};
        del_plan(m, &parts[dps.n + i], dps.n + i, mp->hosts, mp->nhosts, jobs, &njobs);
    }
    for (size_t off = 0; off < njobs; off += FANOUT_MAX) {
        fanout_run(del_job_cb, jobs + off, sizeof(*jobs),
                   njobs - off < FANOUT_MAX ? njobs - off : FANOUT_MAX);
    }
    for (size_t i = 0; i < njobs; i++) {
        parts[jobs[i].part].gone &= jobs[i].rv == 0;
    }
    for (size_t i = 0; rv == 0 && i < nparts; i++) {
        if (parts[i].gone) {
            gone++;
            rv = parts[i].data ? store_batch_del_dp(cmd.batch, parts[i].id)
                               : store_batch_del_mp(cmd.batch, parts[i].id);
        }
    }
    if (rv == 0 && gone == nparts) {
        rv = store_batch_del_vol(cmd.batch, vol->id);
    }
    if (rv != 0 || store_batch_count(cmd.batch) == 0) {
        goto out;
    }
    if (propose(m, &cmd, &unknown, msg) != API_SUCCESS) {
        log_warn("deleting vol %s: %s", vol->name, msg);
    } else if (gone == nparts) {
        log_info("vol %s (id %" PRIu64 ") deleted with its %zu partitions", vol->name, vol->id,
                 nparts);
        master_refresh_soon(m);
    } else {
        log_info("deleting vol %s: %zu of %zu partitions removed, the others wait for their "
                 "nodes",
                 vol->name, gone, nparts);
    }
out:
    fsm_cmd_clear(&cmd);
    free(jobs);
    free(parts);
    free(dps.items);
    free(mps.items);
}

void vol_ops_delete_round(struct master *m)
{
    struct rec_list vols = {0};

    if (!m->ready || load_vols(m, true, &vols) != 0) {
        free(vols.items);
        return;
    }
    for (size_t i = 0; i < vols.n && m->ready; i++) {
        const struct store_vol *vol = (const struct store_vol *)vols.items + i;
        struct vol_lock lock;
        char msg[ERRMSG_SIZE];
        if (vol_lock(m, vol->name, "deleteVolPartitions", VOL_OPS_JOB_LOCK_WAIT_MS, &lock, msg) ==
            API_SUCCESS) {
            delete_vol_step(m, vol);
            vol_unlock(m, &lock);
        }
    }
    free(vols.items);
}
