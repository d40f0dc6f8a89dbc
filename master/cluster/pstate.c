#define LOG_TAG "pstate"

#include "master/cluster/pstate.h"

#include "common/clock.h"
#include "common/crc32.h"
#include "common/hmap.h"
#include "common/jcodec.h"
#include "common/log.h"
#include "datanode_proto/dn_bodies.h"
#include "master/cluster/status.h"
#include "master/cluster/topo.h"
#include "master/core/master.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A refresh builds a whole new generation off the lock and swaps it in, so readers always see
 * one consistent refresh and the lock is held only for the swap. */

struct vol_cache {
    char name[STORE_NAME_SIZE];
    struct pstate_vol vol;
    bool deleted;
    char *parts_env;
    size_t parts_len;
    char *mps_env;
    size_t mps_len;
};

struct gen {
    struct hmap *dps;     /* id -> struct pstate_part */
    struct hmap *mps;     /* id -> struct pstate_part */
    struct hmap *vols;    /* name -> struct vol_cache (also owns them) */
    struct hmap *vol_ids; /* id -> struct vol_cache (borrowed) */
    struct pstate_counts counts;
};

struct pstate {
    pthread_mutex_t mu;
    struct gen *gen;
    uint64_t refreshes;
};

/* --- views served to clients (v3.5 field sets) ----------------------------------------------- */

struct dp_view {
    uint64_t id;
    int32_t status;
    uint32_t replica_num;
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    char leader[STORE_ADDR_SIZE];
    bool is_recover;
};

static const struct jc_field dp_view_fields[] = {
    JC_CONST("PartitionType", JC_EMIT_ZERO),
    JC_F(struct dp_view, id, "PartitionID", JC_U64, 0),
    JC_F(struct dp_view, status, "Status", JC_I32, 0),
    JC_F(struct dp_view, replica_num, "ReplicaNum", JC_U32, 0),
    JC_ARR(struct dp_view, hosts, nhosts, "Hosts", JC_STR, NULL, 0),
    JC_F(struct dp_view, leader, "LeaderAddr", JC_STR, 0),
    JC_CONST("Epoch", JC_EMIT_ZERO),
    JC_F(struct dp_view, is_recover, "IsRecover", JC_BOOL, 0),
    JC_CONST("IsDiscard", JC_EMIT_FALSE),
    JC_CONST("MediaType", JC_EMIT_ZERO),
    JC_END,
};

struct mp_view {
    uint64_t id;
    uint64_t start, end;
    uint64_t max_inode_id, inode_count, dentry_count;
    bool is_recover;
    uint32_t nhosts;
    char hosts[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    char leader[STORE_ADDR_SIZE];
    int32_t status;
};

static const struct jc_field mp_view_fields[] = {
    JC_F(struct mp_view, id, "PartitionID", JC_U64, 0),
    JC_F(struct mp_view, start, "Start", JC_U64, 0),
    JC_F(struct mp_view, end, "End", JC_U64, 0),
    JC_F(struct mp_view, max_inode_id, "MaxInodeID", JC_U64, 0),
    JC_F(struct mp_view, inode_count, "InodeCount", JC_U64, 0),
    JC_F(struct mp_view, dentry_count, "DentryCount", JC_U64, 0),
    JC_CONST("FreeListLen", JC_EMIT_ZERO),
    JC_CONST("TxCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbInoCnt", JC_EMIT_ZERO),
    JC_CONST("TxRbDenCnt", JC_EMIT_ZERO),
    JC_F(struct mp_view, is_recover, "IsRecover", JC_BOOL, 0),
    JC_ARR(struct mp_view, hosts, nhosts, "Members", JC_STR, NULL, 0),
    JC_F(struct mp_view, leader, "LeaderAddr", JC_STR, 0),
    JC_F(struct mp_view, status, "Status", JC_I32, 0),
    JC_CONST("Freeze", JC_EMIT_ZERO),
    JC_CONST("LastDelReplicaTime", JC_EMIT_ZERO),
    JC_END,
};

/* --- generations ------------------------------------------------------------------------------ */

static void gen_free(struct gen *g)
{
    size_t pos = 0;
    void *v;

    if (g == NULL) {
        return;
    }
    while (g->dps != NULL && hmap_next(g->dps, &pos, NULL, NULL, &v)) {
        free(v);
    }
    pos = 0;
    while (g->mps != NULL && hmap_next(g->mps, &pos, NULL, NULL, &v)) {
        free(v);
    }
    pos = 0;
    while (g->vols != NULL && hmap_next(g->vols, &pos, NULL, NULL, &v)) {
        struct vol_cache *c = v;
        free(c->parts_env);
        free(c->mps_env);
        free(c);
    }
    hmap_free(g->dps);
    hmap_free(g->mps);
    hmap_free(g->vols);
    hmap_free(g->vol_ids);
    free(g);
}

static struct gen *gen_new(void)
{
    struct gen *g = calloc(1, sizeof(*g));

    if (g == NULL) {
        return NULL;
    }
    g->dps = hmap_new(false);
    g->mps = hmap_new(false);
    g->vols = hmap_new(true);
    g->vol_ids = hmap_new(false);
    if (g->dps == NULL || g->mps == NULL || g->vols == NULL || g->vol_ids == NULL) {
        gen_free(g);
        return NULL;
    }
    return g;
}

int pstate_new(struct pstate **out)
{
    struct pstate *ps = calloc(1, sizeof(*ps));

    if (ps == NULL) {
        return -ENOMEM;
    }
    ps->gen = gen_new();
    if (ps->gen == NULL) {
        free(ps);
        return -ENOMEM;
    }
    pthread_mutex_init(&ps->mu, NULL);
    *out = ps;
    return 0;
}

void pstate_free(struct pstate *ps)
{
    if (ps == NULL) {
        return;
    }
    gen_free(ps->gen);
    pthread_mutex_destroy(&ps->mu);
    free(ps);
}

static void swap_in(struct pstate *ps, struct gen *g)
{
    struct gen *old;

    pthread_mutex_lock(&ps->mu);
    old = ps->gen;
    ps->gen = g;
    pthread_mutex_unlock(&ps->mu);
    gen_free(old);
}

void pstate_clear(struct pstate *ps)
{
    struct gen *g = gen_new();

    if (g != NULL) {
        swap_in(ps, g);
    }
}

/* --- one refresh ------------------------------------------------------------------------------ */

struct refresh {
    struct master *m;
    struct store_txn *t; /* one read transaction: every volume from the same state */
    struct gen *g;
    uint64_t now_ms;
    struct vol_cache *vol;
    json_t *dp_list;
    struct store_mp *mps; /* this volume's meta partitions, ids ascending */
    size_t nmps, cap_mps;
    int rv;
};

static bool has_replica(const char *host, const struct status_source *srcs, size_t stride, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct status_source *s = (const void *)((const char *)srcs + i * stride);
        if (strcmp(s->addr, host) == 0) {
            return true;
        }
    }
    return false;
}

/* CubeFS records a replica it just created as reported ReadWrite "now": a host of a partition
 * created within the replica timeout that has not reported it yet counts as such. */
static bool created_recently(int64_t create_time, int64_t now_s, uint64_t timeout_ms)
{
    return create_time > 0 && now_s >= create_time &&
           (uint64_t)(now_s - create_time) * 1000u < timeout_ms;
}

static void fill_source(struct master *m, enum topo_kind kind, const char *host, uint64_t now_ms,
                        struct status_source *src)
{
    struct topo_node node;

    memset(src, 0, sizeof(*src));
    snprintf(src->addr, sizeof(src->addr), "%s", host);
    src->report_ms = now_ms;
    if (topo_get_node(m->topo, kind, host, &node) == 0) {
        src->node_active = node.active;
        src->node_rdonly = node.rdonly;
    }
}

size_t pstate_dp_replicas(struct master *m, const struct store_dp *dp, uint64_t now_ms,
                          struct status_dp_replica *out, size_t cap)
{
    size_t n = topo_dp_replicas(m->topo, dp->id, out, cap);

    n = n < cap ? n : cap;
    if (!created_recently(dp->create_time, clock_wall_s(), m->cfg.dp_timeout_ms)) {
        return n;
    }
    for (uint32_t i = 0; i < dp->nhosts && n < cap; i++) {
        if (has_replica(dp->hosts[i], &out[0].src, sizeof(out[0]), n)) {
            continue;
        }
        memset(&out[n], 0, sizeof(out[n]));
        fill_source(m, TOPO_DATA, dp->hosts[i], now_ms, &out[n].src);
        out[n].report.base.partition_id = dp->id;
        out[n].report.base.status = DP_STATUS_READ_WRITE;
        out[n].report.total = dp->size;
        /* The disk the node chose when it created the replica, as its report would say. */
        for (uint32_t k = 0; k < dp->nreplicas; k++) {
            if (strcmp(dp->replicas[k].addr, dp->hosts[i]) == 0) {
                snprintf(out[n].report.disk_path, sizeof(out[n].report.disk_path), "%s",
                         dp->replicas[k].disk_path);
            }
        }
        n++;
    }
    return n;
}

size_t pstate_mp_replicas(struct master *m, const struct store_mp *mp, uint64_t now_ms,
                          struct status_mp_replica *out, size_t cap)
{
    size_t n = topo_mp_replicas(m->topo, mp->id, out, cap);

    n = n < cap ? n : cap;
    if (!created_recently(mp->create_time, clock_wall_s(), m->cfg.mp_timeout_ms)) {
        return n;
    }
    for (uint32_t i = 0; i < mp->nhosts && n < cap; i++) {
        if (has_replica(mp->hosts[i], &out[0].src, sizeof(out[0]), n)) {
            continue;
        }
        memset(&out[n], 0, sizeof(out[n]));
        fill_source(m, TOPO_META, mp->hosts[i], now_ms, &out[n].src);
        out[n].report.base.partition_id = mp->id;
        out[n].report.base.status = MP_STATUS_READ_WRITE;
        /* Nodes make the first member the leader of a new partition. */
        out[n].report.base.is_leader =
            mp->npeers > 0 && strcmp(mp->peers[0].addr, mp->hosts[i]) == 0;
        out[n].report.start = mp->start;
        out[n].report.end = mp->end;
        out[n].report.max_inode_id = mp->start;
        n++;
    }
    return n;
}

static void count_status(uint32_t *counts, int8_t status)
{
    counts[status == DP_STATUS_READ_WRITE ? 2 : status == DP_STATUS_READ_ONLY ? 1 : 0]++;
}

static int put_part(struct hmap *map, const struct pstate_part *p)
{
    struct pstate_part *copy = malloc(sizeof(*copy));

    if (copy == NULL) {
        return -ENOMEM;
    }
    *copy = *p;
    if (hmap_put_u64(map, p->id, copy, NULL) != 0) {
        free(copy);
        return -ENOMEM;
    }
    return 0;
}

static int dp_cb(const struct store_dp *dp, void *arg)
{
    struct refresh *rf = arg;
    struct status_dp_replica reps[2 * STORE_MAX_HOSTS];
    size_t n = pstate_dp_replicas(rf->m, dp, rf->now_ms, reps, 2 * STORE_MAX_HOSTS);
    struct status_dp_input in = {0};
    struct status_dp_result res;
    struct pstate_part p = {0};
    struct dp_view view = {0};

    in.part.hosts = dp->hosts;
    in.part.nhosts = dp->nhosts;
    in.part.replica_num = dp->replica_num;
    in.part.now_ms = rf->now_ms;
    in.part.replica_timeout_ms = rf->m->cfg.dp_timeout_ms;
    in.replicas = reps;
    in.nreplicas = n;
    /* CubeFS wants 10 GiB free; small test partitions would never qualify, so a tenth of the
     * partition is enough below that. */
    in.min_free = dp->size / 10 < STATUS_DP_MIN_FREE ? dp->size / 10 : STATUS_DP_MIN_FREE;
    status_dp(&in, &res);
    p.id = dp->id;
    p.vol_id = dp->vol_id;
    p.status = res.sum.status;
    p.live = res.sum.live;
    snprintf(p.leader, sizeof(p.leader), "%s", res.sum.leader);
    snprintf(p.reason, sizeof(p.reason), "%s", res.sum.reason);
    p.total = res.total;
    p.used = res.used;
    if (put_part(rf->g->dps, &p) != 0) {
        return -ENOMEM;
    }
    count_status(rf->g->counts.dp, p.status);
    rf->vol->vol.dp_count++;
    rf->vol->vol.rw_dp_count += p.status == DP_STATUS_READ_WRITE;
    rf->vol->vol.total += dp->size;
    rf->vol->vol.used += p.used;
    view.id = dp->id;
    view.status = p.status;
    view.replica_num = dp->replica_num;
    view.nhosts = dp->nhosts;
    memcpy(view.hosts, dp->hosts, sizeof(view.hosts));
    snprintf(view.leader, sizeof(view.leader), "%s", p.leader);
    view.is_recover = dp->is_recover;
    return json_array_append_new(rf->dp_list, jc_encode(dp_view_fields, &view)) == 0 ? 0 : -ENOMEM;
}

static int mp_collect_cb(const struct store_mp *mp, void *arg)
{
    struct refresh *rf = arg;

    if (rf->nmps == rf->cap_mps) {
        size_t cap = rf->cap_mps > 0 ? rf->cap_mps * 2 : 8;
        struct store_mp *grown = realloc(rf->mps, cap * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        rf->mps = grown;
        rf->cap_mps = cap;
    }
    rf->mps[rf->nmps++] = *mp;
    return 0;
}

json_t *pstate_mp_view(const struct store_mp *mp, const struct pstate_part *p)
{
    struct mp_view view = {0};

    view.id = mp->id;
    view.start = mp->start;
    view.end = mp->end;
    view.max_inode_id = p->max_inode_id;
    view.inode_count = p->inode_count;
    view.dentry_count = p->dentry_count;
    view.is_recover = mp->is_recover;
    view.nhosts = mp->nhosts;
    memcpy(view.hosts, mp->hosts, sizeof(view.hosts));
    snprintf(view.leader, sizeof(view.leader), "%s", p->leader);
    view.status = p->status;
    return jc_encode(mp_view_fields, &view);
}

static int mp_status(struct refresh *rf, const struct store_mp *mp, bool last, json_t *list)
{
    struct status_mp_replica reps[2 * STORE_MAX_HOSTS];
    size_t n = pstate_mp_replicas(rf->m, mp, rf->now_ms, reps, 2 * STORE_MAX_HOSTS);
    struct status_mp_input in = {0};
    struct status_mp_result res;
    struct pstate_part p = {0};

    in.part.hosts = mp->hosts;
    in.part.nhosts = mp->nhosts;
    in.part.replica_num = mp->replica_num;
    in.part.now_ms = rf->now_ms;
    in.part.replica_timeout_ms = rf->m->cfg.mp_timeout_ms;
    in.replicas = reps;
    in.nreplicas = n;
    in.end = mp->end;
    in.last = last;
    status_mp(&in, &res);
    p.id = mp->id;
    p.vol_id = mp->vol_id;
    p.status = res.sum.status;
    p.live = res.sum.live;
    snprintf(p.leader, sizeof(p.leader), "%s", res.sum.leader);
    snprintf(p.reason, sizeof(p.reason), "%s", res.sum.reason);
    p.max_inode_id = res.max_inode_id;
    p.inode_count = res.inode_count;
    p.dentry_count = res.dentry_count;
    if (put_part(rf->g->mps, &p) != 0) {
        return -ENOMEM;
    }
    count_status(rf->g->counts.mp, p.status);
    rf->vol->vol.mp_count++;
    rf->vol->vol.rw_mp_count += p.status == MP_STATUS_READ_WRITE;
    rf->vol->vol.inode_count += p.inode_count;
    rf->vol->vol.dentry_count += p.dentry_count;
    rf->vol->vol.max_mp_id = mp->id;
    return json_array_append_new(list, pstate_mp_view(mp, &p)) == 0 ? 0 : -ENOMEM;
}

static char *envelope(int code, const char *msg, json_t *data, size_t *len)
{
    json_t *env = json_pack("{s:i,s:s,s:o}", "code", code, "msg", msg, "data",
                            data != NULL ? data : json_null());
    char *text = env != NULL ? json_dumps(env, JSON_COMPACT) : NULL;

    json_decref(env);
    *len = text != NULL ? strlen(text) : 0;
    return text;
}

/* The /client/partitions envelope of a volume, CubeFS's answers for the empty and full cases. */
static int build_dp_envelope(struct refresh *rf)
{
    struct vol_cache *c = rf->vol;
    json_t *data;

    if (json_array_size(rf->dp_list) == 0) {
        c->parts_env =
            envelope(API_NO_AVAIL_DATA_PARTITION, errors_api_message(API_NO_AVAIL_DATA_PARTITION),
                     NULL, &c->parts_len);
        return c->parts_env != NULL ? 0 : -ENOMEM;
    }
    data =
        json_pack("{s:O,s:b,s:n}", "DataPartitions", rf->dp_list, "VolReadOnly", 0, "StatByClass");
    c->parts_env = data != NULL ? envelope(0, "success", data, &c->parts_len) : NULL;
    return c->parts_env != NULL ? 0 : -ENOMEM;
}

static int vol_cb(const struct store_vol *v, void *arg)
{
    struct refresh *rf = arg;
    struct vol_cache *c = calloc(1, sizeof(*c));
    json_t *mp_list = json_array();
    int rv = -ENOMEM;

    rf->dp_list = json_array();
    rf->nmps = 0;
    if (c == NULL || mp_list == NULL || rf->dp_list == NULL) {
        goto out;
    }
    snprintf(c->name, sizeof(c->name), "%s", v->name);
    c->vol.id = v->id;
    c->deleted = v->status == VOL_STATUS_MARK_DELETE;
    rf->vol = c;
    rv = store_foreach_dp(rf->t, v->id, dp_cb, rf);
    if (rv == 0) {
        rv = store_foreach_mp(rf->t, v->id, mp_collect_cb, rf);
    }
    for (size_t i = 0; rv == 0 && i < rf->nmps; i++) {
        rv = mp_status(rf, &rf->mps[i], i + 1 == rf->nmps, mp_list);
    }
    if (rv == 0) {
        rv = build_dp_envelope(rf);
    }
    if (rv == 0) {
        c->mps_env = envelope(0, "success", json_incref(mp_list), &c->mps_len);
        rv = c->mps_env != NULL ? 0 : -ENOMEM;
    }
    if (rv == 0) {
        rv = hmap_put_str(rf->g->vols, c->name, c, NULL);
    }
    if (rv == 0) {
        rv = hmap_put_u64(rf->g->vol_ids, c->vol.id, c, NULL);
        c = NULL; /* owned by vols now */
    }
out:
    if (c != NULL) {
        free(c->parts_env);
        free(c->mps_env);
        free(c);
    }
    json_decref(mp_list);
    json_decref(rf->dp_list);
    rf->dp_list = NULL;
    return rv;
}

int pstate_refresh(struct pstate *ps, struct master *m, uint64_t now_ms, char *errmsg)
{
    struct refresh rf = {.m = m, .now_ms = now_ms};
    uint64_t start = clock_mono_ms();
    int rv;

    rf.g = gen_new();
    if (rf.g == NULL) {
        return -ENOMEM;
    }
    rv = store_read_begin(m->store, &rf.t);
    if (rv == 0) {
        rv = store_foreach_vol(rf.t, vol_cb, &rf);
        store_txn_end(rf.t);
    }
    free(rf.mps);
    if (rv != 0) {
        errors_set(errmsg, "partition status refresh: %s", errors_strerror(rv));
        gen_free(rf.g);
        return rv;
    }
    rf.g->counts.refreshes = ++ps->refreshes;
    rf.g->counts.last_refresh_us = (clock_mono_ms() - start) * 1000u;
    swap_in(ps, rf.g);
    return 0;
}

/* --- lookups ------------------------------------------------------------------------------------
 */

static int get_part(struct pstate *ps, bool data, uint64_t id, struct pstate_part *out)
{
    const struct pstate_part *p;
    int rv = CFS_ENOTFOUND;

    pthread_mutex_lock(&ps->mu);
    p = hmap_get_u64(data ? ps->gen->dps : ps->gen->mps, id);
    if (p != NULL) {
        *out = *p;
        rv = 0;
    }
    pthread_mutex_unlock(&ps->mu);
    return rv;
}

int pstate_dp(struct pstate *ps, uint64_t id, struct pstate_part *out)
{
    return get_part(ps, true, id, out);
}

int pstate_mp(struct pstate *ps, uint64_t id, struct pstate_part *out)
{
    return get_part(ps, false, id, out);
}

int pstate_vol(struct pstate *ps, uint64_t vol_id, struct pstate_vol *out)
{
    const struct vol_cache *c;
    int rv = CFS_ENOTFOUND;

    pthread_mutex_lock(&ps->mu);
    c = hmap_get_u64(ps->gen->vol_ids, vol_id);
    if (c != NULL) {
        *out = c->vol;
        rv = 0;
    }
    pthread_mutex_unlock(&ps->mu);
    return rv;
}

void pstate_counts(struct pstate *ps, struct pstate_counts *out)
{
    pthread_mutex_lock(&ps->mu);
    *out = ps->gen->counts;
    pthread_mutex_unlock(&ps->mu);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static size_t bad(struct pstate *ps, bool data, uint64_t *ids, size_t max)
{
    size_t pos = 0, n = 0;
    uint64_t id;
    void *v;

    pthread_mutex_lock(&ps->mu);
    while (hmap_next(data ? ps->gen->dps : ps->gen->mps, &pos, &id, NULL, &v)) {
        if (((const struct pstate_part *)v)->status != DP_STATUS_READ_WRITE) {
            if (n < max) {
                ids[n] = id;
            }
            n++;
        }
    }
    pthread_mutex_unlock(&ps->mu);
    if (n > 0 && max > 0) { /* callers may count with ids NULL; qsort wants a real array */
        qsort(ids, n < max ? n : max, sizeof(*ids), cmp_u64);
    }
    return n;
}

size_t pstate_bad_dps(struct pstate *ps, uint64_t *ids, size_t max)
{
    return bad(ps, true, ids, max);
}

size_t pstate_bad_mps(struct pstate *ps, uint64_t *ids, size_t max)
{
    return bad(ps, false, ids, max);
}

static char *client_envelope(struct pstate *ps, const char *vol, bool data, size_t *len)
{
    const struct vol_cache *c;
    char *copy = NULL;

    pthread_mutex_lock(&ps->mu);
    c = hmap_get_str(ps->gen->vols, vol);
    if (c != NULL && !c->deleted) {
        const char *env = data ? c->parts_env : c->mps_env;
        *len = data ? c->parts_len : c->mps_len;
        copy = malloc(*len + 1);
        if (copy != NULL) {
            memcpy(copy, env, *len + 1);
        }
    }
    pthread_mutex_unlock(&ps->mu);
    return copy;
}

char *pstate_client_partitions(struct pstate *ps, const char *vol, size_t *len)
{
    return client_envelope(ps, vol, true, len);
}

char *pstate_client_meta_partitions(struct pstate *ps, const char *vol, size_t *len)
{
    return client_envelope(ps, vol, false, len);
}

bool pstate_has_vol(struct pstate *ps, const char *vol)
{
    const struct vol_cache *c;
    bool known;

    pthread_mutex_lock(&ps->mu);
    c = hmap_get_str(ps->gen->vols, vol);
    known = c != NULL && !c->deleted;
    pthread_mutex_unlock(&ps->mu);
    return known;
}

/* --- copies for other masters -------------------------------------------------------------------
 *
 * Stream (big-endian): u32 magic "CFPV" | u16 version | counts (6 x u32, 2 x u64) |
 * u32 n + n data partitions | u32 n + n meta partitions | u32 n + n volumes | u32 CRC-32 of all
 * before it. A partition: u64 id, u64 vol id, u8 status, u32 live, str leader, str reason,
 * u64 total, used, max inode id, inode count, dentry count. A volume: str name, u8 deleted, the
 * pstate_vol figures (u64 id, 4 x u32 counts, 5 x u64), blob /client/partitions envelope,
 * blob /client/metaPartitions envelope. str: u16 length + bytes; blob: u32 length + bytes. */

#define WIRE_MAGIC   0x43465056u
#define WIRE_VERSION 1
#define WIRE_MAX     (1u << 30)

struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
    if (w->failed) {
        return;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap > 0 ? w->cap : 4096;
        uint8_t *grown;
        while (cap < w->len + n) {
            cap *= 2;
        }
        grown = realloc(w->p, cap);
        if (grown == NULL) {
            w->failed = true;
            return;
        }
        w->p = grown;
        w->cap = cap;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void w_uint(struct wbuf *w, uint64_t v, size_t width)
{
    uint8_t b[8];

    for (size_t i = width; i-- > 0;) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
    w_bytes(w, b, width);
}

static void w_str(struct wbuf *w, const char *s)
{
    size_t n = strlen(s);

    w_uint(w, n, 2);
    w_bytes(w, s, n);
}

static void w_blob(struct wbuf *w, const char *s, size_t n)
{
    w_uint(w, n, 4);
    w_bytes(w, s, n);
}

static void w_part(struct wbuf *w, const struct pstate_part *p)
{
    w_uint(w, p->id, 8);
    w_uint(w, p->vol_id, 8);
    w_uint(w, (uint8_t)p->status, 1);
    w_uint(w, p->live, 4);
    w_str(w, p->leader);
    w_str(w, p->reason);
    w_uint(w, p->total, 8);
    w_uint(w, p->used, 8);
    w_uint(w, p->max_inode_id, 8);
    w_uint(w, p->inode_count, 8);
    w_uint(w, p->dentry_count, 8);
}

static void w_parts(struct wbuf *w, const struct hmap *map)
{
    size_t pos = 0;
    void *v;

    w_uint(w, hmap_count(map), 4);
    while (hmap_next(map, &pos, NULL, NULL, &v)) {
        w_part(w, v);
    }
}

static void w_vol(struct wbuf *w, const struct vol_cache *c)
{
    const struct pstate_vol *v = &c->vol;

    w_str(w, c->name);
    w_uint(w, c->deleted, 1);
    w_uint(w, v->id, 8);
    w_uint(w, v->dp_count, 4);
    w_uint(w, v->rw_dp_count, 4);
    w_uint(w, v->mp_count, 4);
    w_uint(w, v->rw_mp_count, 4);
    w_uint(w, v->total, 8);
    w_uint(w, v->used, 8);
    w_uint(w, v->inode_count, 8);
    w_uint(w, v->dentry_count, 8);
    w_uint(w, v->max_mp_id, 8);
    w_blob(w, c->parts_env != NULL ? c->parts_env : "", c->parts_len);
    w_blob(w, c->mps_env != NULL ? c->mps_env : "", c->mps_len);
}

int pstate_export(struct pstate *ps, void **out, size_t *len)
{
    struct wbuf w = {0};
    const struct gen *g;
    size_t pos = 0;
    void *v;

    pthread_mutex_lock(&ps->mu);
    g = ps->gen;
    w_uint(&w, WIRE_MAGIC, 4);
    w_uint(&w, WIRE_VERSION, 2);
    for (int i = 0; i < 3; i++) {
        w_uint(&w, g->counts.dp[i], 4);
        w_uint(&w, g->counts.mp[i], 4);
    }
    w_uint(&w, g->counts.refreshes, 8);
    w_uint(&w, g->counts.last_refresh_us, 8);
    w_parts(&w, g->dps);
    w_parts(&w, g->mps);
    w_uint(&w, hmap_count(g->vols), 4);
    while (hmap_next(g->vols, &pos, NULL, NULL, &v)) {
        w_vol(&w, v);
    }
    pthread_mutex_unlock(&ps->mu);
    w_uint(&w, crc32_ieee(0, w.p, w.len), 4);
    if (w.failed || w.len > WIRE_MAX) {
        free(w.p);
        return -ENOMEM;
    }
    *out = w.p;
    *len = w.len;
    return 0;
}

struct rbuf {
    const uint8_t *p;
    size_t left;
    bool bad;
};

static uint64_t r_uint(struct rbuf *r, size_t width)
{
    uint64_t v = 0;

    if (r->bad || r->left < width) {
        r->bad = true;
        return 0;
    }
    for (size_t i = 0; i < width; i++) {
        v = v << 8 | r->p[i];
    }
    r->p += width;
    r->left -= width;
    return v;
}

/* A string into dst (size bytes, NUL-terminated); one that does not fit marks the stream bad. */
static void r_str(struct rbuf *r, char *dst, size_t size)
{
    size_t n = (size_t)r_uint(r, 2);

    if (r->bad || n >= size || n > r->left) {
        r->bad = true;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, r->p, n);
    dst[n] = '\0';
    r->p += n;
    r->left -= n;
}

/* A malloc'd NUL-terminated copy of a blob; an empty one marks the stream bad (envelopes are
 * never empty). */
static char *r_blob(struct rbuf *r, size_t *len)
{
    size_t n = (size_t)r_uint(r, 4);
    char *copy;

    if (r->bad || n == 0 || n > r->left) {
        r->bad = true;
        return NULL;
    }
    copy = malloc(n + 1);
    if (copy == NULL) {
        r->bad = true;
        return NULL;
    }
    memcpy(copy, r->p, n);
    copy[n] = '\0';
    r->p += n;
    r->left -= n;
    *len = n;
    return copy;
}

static int r_parts(struct rbuf *r, struct hmap *map)
{
    uint64_t n = r_uint(r, 4);

    for (uint64_t i = 0; i < n && !r->bad; i++) {
        struct pstate_part p = {0};
        p.id = r_uint(r, 8);
        p.vol_id = r_uint(r, 8);
        p.status = (int8_t)r_uint(r, 1);
        p.live = (uint32_t)r_uint(r, 4);
        r_str(r, p.leader, sizeof(p.leader));
        r_str(r, p.reason, sizeof(p.reason));
        p.total = r_uint(r, 8);
        p.used = r_uint(r, 8);
        p.max_inode_id = r_uint(r, 8);
        p.inode_count = r_uint(r, 8);
        p.dentry_count = r_uint(r, 8);
        if (hmap_get_u64(map, p.id) != NULL) {
            r->bad = true; /* a partition twice */
        }
        if (!r->bad && put_part(map, &p) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static int r_vol(struct rbuf *r, struct gen *g)
{
    struct vol_cache *c = calloc(1, sizeof(*c));
    struct pstate_vol *v;
    int rv = -ENOMEM;

    if (c == NULL) {
        return -ENOMEM;
    }
    v = &c->vol;
    r_str(r, c->name, sizeof(c->name));
    c->deleted = r_uint(r, 1) != 0;
    v->id = r_uint(r, 8);
    v->dp_count = (uint32_t)r_uint(r, 4);
    v->rw_dp_count = (uint32_t)r_uint(r, 4);
    v->mp_count = (uint32_t)r_uint(r, 4);
    v->rw_mp_count = (uint32_t)r_uint(r, 4);
    v->total = r_uint(r, 8);
    v->used = r_uint(r, 8);
    v->inode_count = r_uint(r, 8);
    v->dentry_count = r_uint(r, 8);
    v->max_mp_id = r_uint(r, 8);
    c->parts_env = r_blob(r, &c->parts_len);
    c->mps_env = r_blob(r, &c->mps_len);
    if (r->bad || hmap_get_str(g->vols, c->name) != NULL ||
        hmap_get_u64(g->vol_ids, v->id) != NULL) {
        r->bad = true;
        rv = 0; /* the caller reports the malformed stream */
        goto out;
    }
    if (hmap_put_str(g->vols, c->name, c, NULL) != 0) {
        goto out;
    }
    if (hmap_put_u64(g->vol_ids, v->id, c, NULL) != 0) {
        hmap_del_str(g->vols, c->name);
        goto out;
    }
    return 0;
out:
    free(c->parts_env);
    free(c->mps_env);
    free(c);
    return rv;
}

int pstate_import(struct pstate *ps, const void *buf, size_t len, char *errmsg)
{
    struct rbuf r = {buf, len, false};
    struct gen *g = NULL;
    uint64_t magic, version, nvols;
    int rv = CFS_ECORRUPT;

    if (len < 10 || len > WIRE_MAX) {
        errors_set(errmsg, "partition statuses: %zu bytes is not a valid copy", len);
        return rv;
    }
    r.p += len - 4;
    r.left = 4;
    if (crc32_ieee(0, buf, len - 4) != (uint32_t)r_uint(&r, 4)) {
        errors_set(errmsg, "partition statuses: CRC mismatch");
        return rv;
    }
    r.p = buf;
    r.left = len - 4;
    magic = r_uint(&r, 4);
    version = r_uint(&r, 2);
    if (magic != WIRE_MAGIC || version != WIRE_VERSION) {
        errors_set(errmsg, "partition statuses: bad magic or version %llu",
                   (unsigned long long)version);
        return rv;
    }
    g = gen_new();
    if (g == NULL) {
        return -ENOMEM;
    }
    for (int i = 0; i < 3; i++) {
        g->counts.dp[i] = (uint32_t)r_uint(&r, 4);
        g->counts.mp[i] = (uint32_t)r_uint(&r, 4);
    }
    g->counts.refreshes = r_uint(&r, 8);
    g->counts.last_refresh_us = r_uint(&r, 8);
    rv = r_parts(&r, g->dps);
    if (rv == 0) {
        rv = r_parts(&r, g->mps);
    }
    nvols = r_uint(&r, 4);
    for (uint64_t i = 0; rv == 0 && i < nvols && !r.bad; i++) {
        rv = r_vol(&r, g);
    }
    if (rv == 0 && (r.bad || r.left != 0)) {
        errors_set(errmsg, "partition statuses: malformed copy");
        rv = CFS_ECORRUPT;
    }
    if (rv != 0) {
        if (rv == -ENOMEM) {
            errors_set(errmsg, "partition statuses: out of memory");
        }
        gen_free(g);
        return rv;
    }
    swap_in(ps, g);
    return 0;
}
