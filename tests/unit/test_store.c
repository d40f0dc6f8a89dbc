/* Unit tests of storage/: records, batches, apply, lookups, walks, map growth, snapshots. */
#include "storage/store.h"
#include "storage/store_internal.h"

#include "common/errors.h"
#include "tests/support/test_support.h"

#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static int suite_init(void)
{
    return test_mkdtemp(dir, sizeof(dir), "test_store");
}

static int suite_cleanup(void)
{
    return test_rmtree(dir);
}

static const char *store_path(const char *name)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static struct store *open_with(const char *name, uint64_t map_size, uint64_t max_map_size,
                               unsigned grow_wait_ms)
{
    struct store_options o;
    struct store *s = NULL;
    char err[ERRMSG_SIZE] = "";
    int rv;

    store_options_default(&o);
    if (map_size != 0) {
        o.map_size = map_size;
    }
    if (max_map_size != 0) {
        o.max_map_size = max_map_size;
    }
    if (grow_wait_ms != 0) {
        o.grow_wait_ms = grow_wait_ms;
    }
    rv = store_open(store_path(name), &o, &s, err);
    if (rv != 0) {
        fprintf(stderr, "store_open %s: %s\n", name, err);
    }
    CU_ASSERT_EQUAL_FATAL(rv, 0);
    return s;
}

static struct store *open_store(const char *name)
{
    return open_with(name, 0, 0, 0);
}

/* ---- record fillers: every field set, and different per id ---- */

static void fill_cluster(struct store_cluster *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "cfs-test");
    c->create_time = 1700000000;
    c->meta_node_threshold = 0.75f;
    c->disable_auto_alloc = true;
    c->data_node_delete_limit_rate = 11;
    c->meta_node_delete_batch_count = 12;
    c->meta_node_delete_worker_sleep_ms = 13;
    c->data_node_auto_repair_limit_rate = 14;
    c->max_dp_cnt_limit = 15;
    c->max_mp_cnt_limit = 16;
}

static void fill_vol(struct store_vol *v, uint64_t id, const char *name)
{
    memset(v, 0, sizeof(*v));
    v->id = id;
    snprintf(v->name, sizeof(v->name), "%s", name);
    snprintf(v->owner, sizeof(v->owner), "owner-%" PRIu64, id);
    snprintf(v->zone_name, sizeof(v->zone_name), "zone-%" PRIu64, id % 2);
    snprintf(v->description, sizeof(v->description), "volume number %" PRIu64, id);
    v->dp_replica_num = 3;
    v->mp_replica_num = 3;
    v->status = VOL_STATUS_MARK_DELETE;
    v->capacity = 100 + id;
    v->dp_size = 120ull << 30;
    v->mp_count = 3;
    v->dp_count = 10;
    v->follower_read = true;
    v->authenticate = true;
    v->cross_zone = true;
    v->create_time = 1700000000 + (int64_t)id;
    snprintf(v->oss_access_key, sizeof(v->oss_access_key), "AK%" PRIu64, id);
    snprintf(v->oss_secret_key, sizeof(v->oss_secret_key), "SK%" PRIu64, id);
}

static void fill_dp(struct store_dp *dp, uint64_t id, uint64_t vol_id)
{
    memset(dp, 0, sizeof(*dp));
    dp->id = id;
    dp->vol_id = vol_id;
    snprintf(dp->vol_name, sizeof(dp->vol_name), "vol-%" PRIu64, vol_id);
    dp->replica_num = 3;
    dp->status = -1;
    dp->is_recover = true;
    dp->offline_peer_id = 7;
    dp->size = 1ull << 30;
    dp->create_time = 1700000100 + (int64_t)id;
    dp->nhosts = dp->npeers = dp->nreplicas = 3;
    for (uint32_t i = 0; i < 3; i++) {
        snprintf(dp->hosts[i], sizeof(dp->hosts[i]), "10.0.0.%u:17310", i + 1);
        dp->peers[i].id = 11 + i;
        snprintf(dp->peers[i].addr, sizeof(dp->peers[i].addr), "10.0.0.%u:17310", i + 1);
        snprintf(dp->replicas[i].addr, sizeof(dp->replicas[i].addr), "10.0.0.%u:17310", i + 1);
        snprintf(dp->replicas[i].disk_path, sizeof(dp->replicas[i].disk_path),
                 "/data/disk%u/dp_%" PRIu64, i, id);
    }
}

static void fill_mp(struct store_mp *mp, uint64_t id, uint64_t vol_id)
{
    memset(mp, 0, sizeof(*mp));
    mp->id = id;
    mp->vol_id = vol_id;
    snprintf(mp->vol_name, sizeof(mp->vol_name), "vol-%" PRIu64, vol_id);
    mp->start = id * 1000;
    mp->end = INT64_MAX; /* CubeFS's last partition ends at 1<<63 - 1 */
    mp->replica_num = 3;
    mp->status = 2;
    mp->is_recover = true;
    mp->offline_peer_id = 9;
    mp->create_time = 1700000200 + (int64_t)id;
    mp->nhosts = mp->npeers = 3;
    for (uint32_t i = 0; i < 3; i++) {
        snprintf(mp->hosts[i], sizeof(mp->hosts[i]), "10.0.1.%u:17210", i + 1);
        mp->peers[i].id = 21 + i;
        snprintf(mp->peers[i].addr, sizeof(mp->peers[i].addr), "10.0.1.%u:17210", i + 1);
    }
}

static void fill_node(struct store_node *n, uint64_t id, const char *addr)
{
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->nodeset_id = 31;
    snprintf(n->addr, sizeof(n->addr), "%s", addr);
    snprintf(n->zone_name, sizeof(n->zone_name), "zone-%" PRIu64, id % 2);
    n->rdonly = true;
    n->to_be_offline = true;
    n->heartbeat_port = 17330;
    n->replica_port = 17340;
    n->media_type = 1;
    n->create_time = 1700000300 + (int64_t)id;
}

static void fill_nodeset(struct store_nodeset *ns, uint64_t id)
{
    memset(ns, 0, sizeof(*ns));
    ns->id = id;
    ns->capacity = 18;
    snprintf(ns->zone_name, sizeof(ns->zone_name), "zone-%" PRIu64, id % 2);
}

static void fill_user(struct store_user *u, const char *user_id, const char *ak)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->user_id, sizeof(u->user_id), "%s", user_id);
    snprintf(u->access_key, sizeof(u->access_key), "%s", ak);
    snprintf(u->secret_key, sizeof(u->secret_key), "secret-of-%s", user_id);
    u->user_type = USER_TYPE_NORMAL;
    u->create_time = 1700000400;
    snprintf(u->description, sizeof(u->description), "user %s", user_id);
}

static void fill_job(struct store_job *j, uint64_t id)
{
    memset(j, 0, sizeof(*j));
    j->id = id;
    j->kind = STORE_JOB_DP;
    j->state = 2;
    j->partition_id = 100 + id;
    j->parent_id = 40;
    snprintf(j->src_addr, sizeof(j->src_addr), "10.0.0.1:17310");
    snprintf(j->dst_addr, sizeof(j->dst_addr), "10.0.0.9:17310");
    j->total = 5;
    j->done = 3;
    j->failed = 1;
    j->attempts = 2;
    j->create_time = 1700000500;
    j->update_time = 1700000600;
    snprintf(j->message, sizeof(j->message), "job %" PRIu64 " moving", id);
}

/* ---- helpers ---- */

static void apply_ok(struct store *s, struct store_batch *b, uint64_t index)
{
    char err[ERRMSG_SIZE] = "";
    bool skipped = true;
    int rv = store_apply(s, b, index, &skipped, err);

    if (rv != 0) {
        fprintf(stderr, "apply at %" PRIu64 ": %s\n", index, err);
    }
    CU_ASSERT_EQUAL(rv, 0);
    CU_ASSERT_FALSE(skipped);
    store_batch_free(b);
}

static struct store_txn *read_txn(struct store *s)
{
    struct store_txn *t = NULL;

    CU_ASSERT_EQUAL_FATAL(store_read_begin(s, &t), 0);
    return t;
}

/* The fixture every walk and snapshot test uses. */
enum {
    POP_VOLS = 3,
    POP_DPS = 10,   /* ids 101..110, vol (i % 3) + 1 */
    POP_MPS = 6,    /* ids 201..206 */
    POP_DNODES = 4, /* ids 11..14 */
    POP_MNODES = 3, /* ids 21..23 */
    POP_NODESETS = 2,
    POP_USERS = 3,
    POP_JOBS = 3
};

static const char *const pop_users[POP_USERS] = {"alice", "bob", "carol"};

static uint64_t pop_dp_vol(uint64_t i)
{
    return i % 3 + 1;
}

static struct store_batch *population(void)
{
    struct store_batch *b = store_batch_new();
    struct store_cluster c;
    struct store_vol v;
    struct store_dp dp;
    struct store_mp mp;
    struct store_node n;
    struct store_nodeset ns;
    struct store_user u;
    struct store_job j;
    char text[64];

    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    fill_cluster(&c);
    CU_ASSERT_EQUAL(store_batch_put_cluster(b, &c), 0);
    for (uint64_t i = 0; i < POP_VOLS; i++) {
        snprintf(text, sizeof(text), "vol-%" PRIu64, i + 1);
        fill_vol(&v, i + 1, text);
        CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    }
    for (uint64_t i = 0; i < POP_DPS; i++) {
        fill_dp(&dp, 101 + i, pop_dp_vol(i));
        CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    }
    for (uint64_t i = 0; i < POP_MPS; i++) {
        fill_mp(&mp, 201 + i, i % 2 + 1);
        CU_ASSERT_EQUAL(store_batch_put_mp(b, &mp), 0);
    }
    for (uint64_t i = 0; i < POP_DNODES; i++) {
        snprintf(text, sizeof(text), "10.0.0.%" PRIu64 ":17310", i + 1);
        fill_node(&n, 11 + i, text);
        CU_ASSERT_EQUAL(store_batch_put_datanode(b, &n), 0);
    }
    for (uint64_t i = 0; i < POP_MNODES; i++) {
        snprintf(text, sizeof(text), "10.0.1.%" PRIu64 ":17210", i + 1);
        fill_node(&n, 21 + i, text);
        CU_ASSERT_EQUAL(store_batch_put_metanode(b, &n), 0);
    }
    for (uint64_t i = 0; i < POP_NODESETS; i++) {
        fill_nodeset(&ns, 31 + i);
        CU_ASSERT_EQUAL(store_batch_put_nodeset(b, &ns), 0);
    }
    for (int i = 0; i < POP_USERS; i++) {
        snprintf(text, sizeof(text), "AK-%s", pop_users[i]);
        fill_user(&u, pop_users[i], text);
        CU_ASSERT_EQUAL(store_batch_put_user(b, &u), 0);
    }
    for (uint64_t i = 0; i < POP_JOBS; i++) {
        fill_job(&j, 41 + i);
        CU_ASSERT_EQUAL(store_batch_put_job(b, &j), 0);
    }
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_COMMON, 1000), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_DP, 2000), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_MP, 3000), 0);
    return b;
}

/* Collected records of one walk, copied out of the callbacks. */
struct collect {
    char items[32][sizeof(union store_record)];
    size_t size;
    int n;
    int stop_after; /* return 1 after this many, 0 = never */
    int fail_with;  /* return this from the first call when non-zero */
};

static int collect_add(struct collect *c, const void *rec, size_t size)
{
    if (c->fail_with != 0) {
        return c->fail_with;
    }
    CU_ASSERT_FATAL(c->n < 32);
    memcpy(c->items[c->n++], rec, size);
    c->size = size;
    return c->stop_after > 0 && c->n >= c->stop_after ? 1 : 0;
}

static int vol_cb(const struct store_vol *v, void *arg)
{
    return collect_add(arg, v, sizeof(*v));
}

static int dp_cb(const struct store_dp *dp, void *arg)
{
    return collect_add(arg, dp, sizeof(*dp));
}

static int mp_cb(const struct store_mp *mp, void *arg)
{
    return collect_add(arg, mp, sizeof(*mp));
}

static int node_cb(const struct store_node *n, void *arg)
{
    return collect_add(arg, n, sizeof(*n));
}

static int nodeset_cb(const struct store_nodeset *ns, void *arg)
{
    return collect_add(arg, ns, sizeof(*ns));
}

static int user_cb(const struct store_user *u, void *arg)
{
    return collect_add(arg, u, sizeof(*u));
}

static int job_cb(const struct store_job *j, void *arg)
{
    return collect_add(arg, j, sizeof(*j));
}

/* Every walk of a store, so two stores can be compared record by record. */
enum { W_VOL, W_DP, W_MP, W_DNODE, W_MNODE, W_NODESET, W_USER, W_JOB, W_COUNT };

static void walk_all(struct store_txn *t, struct collect *c)
{
    memset(c, 0, W_COUNT * sizeof(*c));
    CU_ASSERT_EQUAL(store_foreach_vol(t, vol_cb, &c[W_VOL]), 0);
    CU_ASSERT_EQUAL(store_foreach_dp(t, 0, dp_cb, &c[W_DP]), 0);
    CU_ASSERT_EQUAL(store_foreach_mp(t, 0, mp_cb, &c[W_MP]), 0);
    CU_ASSERT_EQUAL(store_foreach_datanode(t, node_cb, &c[W_DNODE]), 0);
    CU_ASSERT_EQUAL(store_foreach_metanode(t, node_cb, &c[W_MNODE]), 0);
    CU_ASSERT_EQUAL(store_foreach_nodeset(t, nodeset_cb, &c[W_NODESET]), 0);
    CU_ASSERT_EQUAL(store_foreach_user(t, user_cb, &c[W_USER]), 0);
    CU_ASSERT_EQUAL(store_foreach_job(t, job_cb, &c[W_JOB]), 0);
}

/* Compare two stores: every record of every type, the cluster, the counters, lookups by name. */
static void assert_same_state(struct store *a, struct store *b)
{
    struct collect *ca = calloc(W_COUNT, sizeof(*ca));
    struct collect *cb = calloc(W_COUNT, sizeof(*cb));
    struct store_txn *ta = read_txn(a);
    struct store_txn *tb = read_txn(b);
    struct store_cluster cla, clb;
    struct store_vol va, vb;
    struct store_user ua, ub;
    uint64_t x, y;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    walk_all(ta, ca);
    walk_all(tb, cb);
    for (int w = 0; w < W_COUNT; w++) {
        CU_ASSERT_EQUAL(ca[w].n, cb[w].n);
        CU_ASSERT(ca[w].n > 0);
        for (int i = 0; i < ca[w].n && i < cb[w].n; i++) {
            CU_ASSERT_EQUAL(memcmp(ca[w].items[i], cb[w].items[i], ca[w].size), 0);
        }
    }
    CU_ASSERT_EQUAL(store_get_cluster(ta, &cla), 0);
    CU_ASSERT_EQUAL(store_get_cluster(tb, &clb), 0);
    CU_ASSERT_EQUAL(memcmp(&cla, &clb, sizeof(cla)), 0);
    for (int c = 0; c < STORE_COUNTER_COUNT; c++) {
        CU_ASSERT_EQUAL(store_get_counter(ta, c, &x), 0);
        CU_ASSERT_EQUAL(store_get_counter(tb, c, &y), 0);
        CU_ASSERT_EQUAL(x, y);
    }
    for (int i = 0; i < ca[W_VOL].n; i++) {
        const struct store_vol *v = (const struct store_vol *)ca[W_VOL].items[i];
        CU_ASSERT_EQUAL(store_get_vol_by_name(ta, v->name, &va), 0);
        CU_ASSERT_EQUAL(store_get_vol_by_name(tb, v->name, &vb), 0);
        CU_ASSERT_EQUAL(memcmp(&va, &vb, sizeof(va)), 0);
    }
    for (int i = 0; i < ca[W_USER].n; i++) {
        const struct store_user *u = (const struct store_user *)ca[W_USER].items[i];
        CU_ASSERT_EQUAL(store_get_user_by_ak(tb, u->access_key, &ub), 0);
        CU_ASSERT_EQUAL(store_get_user_by_ak(ta, u->access_key, &ua), 0);
        CU_ASSERT_EQUAL(memcmp(&ua, &ub, sizeof(ua)), 0);
    }
    CU_ASSERT_EQUAL(store_applied_index(a), store_applied_index(b));
    store_txn_end(ta);
    store_txn_end(tb);
    free(ca);
    free(cb);
}

/* ---- records ---- */

static void test_record_tables(void)
{
    char err[ERRMSG_SIZE] = "";
    size_t size = 0;

    for (int t = STORE_REC_CLUSTER; t < STORE_REC_TYPE_COUNT; t++) {
        const struct jc_field *f = records_fields(t, &size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT(size > 0);
        CU_ASSERT_EQUAL(jc_check_table(f, err), 0);
        CU_ASSERT_STRING_NOT_EQUAL(records_type_name(t), "unknown");
    }
    CU_ASSERT_PTR_NULL(records_fields(STORE_REC_TYPE_COUNT, &size));
    CU_ASSERT_PTR_NULL(records_fields(0, NULL));
    CU_ASSERT_STRING_EQUAL(records_type_name(STORE_REC_VOL), "vol");
    CU_ASSERT_STRING_EQUAL(records_type_name(99), "unknown");
}

/* ---- apply and lookups ---- */

static void test_round_trip(void)
{
    struct store *s = open_store("roundtrip");
    struct store_batch *b = store_batch_new();
    struct store_cluster c, c2;
    struct store_vol v, v2;
    struct store_dp dp, dp2;
    struct store_mp mp, mp2;
    struct store_node dn, mn, n2;
    struct store_nodeset ns, ns2;
    struct store_user u, u2;
    struct store_job j, j2;
    struct store_txn *t;

    fill_cluster(&c);
    fill_vol(&v, 7, "rt-vol");
    fill_dp(&dp, 70, 7);
    fill_mp(&mp, 71, 7);
    fill_node(&dn, 72, "192.168.0.1:17310");
    fill_node(&mn, 73, "192.168.0.1:17210");
    fill_nodeset(&ns, 74);
    fill_user(&u, "root", "AKroot0123456789");
    fill_job(&j, 75);
    CU_ASSERT_EQUAL(store_batch_put_cluster(b, &c), 0);
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    CU_ASSERT_EQUAL(store_batch_put_mp(b, &mp), 0);
    CU_ASSERT_EQUAL(store_batch_put_datanode(b, &dn), 0);
    CU_ASSERT_EQUAL(store_batch_put_metanode(b, &mn), 0);
    CU_ASSERT_EQUAL(store_batch_put_nodeset(b, &ns), 0);
    CU_ASSERT_EQUAL(store_batch_put_user(b, &u), 0);
    CU_ASSERT_EQUAL(store_batch_put_job(b, &j), 0);
    CU_ASSERT_EQUAL(store_batch_count(b), 9);
    apply_ok(s, b, 1);
    CU_ASSERT_EQUAL(store_applied_index(s), 1);

    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_cluster(t, &c2), 0);
    CU_ASSERT_EQUAL(memcmp(&c, &c2, sizeof(c)), 0);
    CU_ASSERT_EQUAL(c2.meta_node_threshold, 0.75f);
    CU_ASSERT_EQUAL(store_get_vol(t, 7, &v2), 0);
    CU_ASSERT_EQUAL(memcmp(&v, &v2, sizeof(v)), 0);
    CU_ASSERT_STRING_EQUAL(v2.oss_secret_key, "SK7");
    CU_ASSERT_EQUAL(store_get_dp(t, 70, &dp2), 0);
    CU_ASSERT_EQUAL(memcmp(&dp, &dp2, sizeof(dp)), 0);
    CU_ASSERT_EQUAL(dp2.status, -1);
    CU_ASSERT_STRING_EQUAL(dp2.replicas[2].disk_path, "/data/disk2/dp_70");
    CU_ASSERT_EQUAL(store_get_mp(t, 71, &mp2), 0);
    CU_ASSERT_EQUAL(memcmp(&mp, &mp2, sizeof(mp)), 0);
    CU_ASSERT_EQUAL(mp2.end, (uint64_t)INT64_MAX);
    CU_ASSERT_EQUAL(store_get_datanode(t, 72, &n2), 0);
    CU_ASSERT_EQUAL(memcmp(&dn, &n2, sizeof(dn)), 0);
    CU_ASSERT_EQUAL(store_get_metanode(t, 73, &n2), 0);
    CU_ASSERT_EQUAL(memcmp(&mn, &n2, sizeof(mn)), 0);
    CU_ASSERT_EQUAL(store_get_nodeset(t, 74, &ns2), 0);
    CU_ASSERT_EQUAL(memcmp(&ns, &ns2, sizeof(ns)), 0);
    CU_ASSERT_EQUAL(store_get_user(t, "root", &u2), 0);
    CU_ASSERT_EQUAL(memcmp(&u, &u2, sizeof(u)), 0);
    CU_ASSERT_EQUAL(store_get_job(t, 75, &j2), 0);
    CU_ASSERT_EQUAL(memcmp(&j, &j2, sizeof(j)), 0);
    /* a data node and a meta node are different tables even with equal ids */
    CU_ASSERT_EQUAL(store_get_metanode(t, 72, &n2), CFS_ENOTFOUND);
    store_txn_end(t);
    store_close(s);
}

static void test_lookups(void)
{
    struct store *s = open_store("lookups");
    struct store_txn *t;
    struct store_vol v;
    struct store_node n;
    struct store_user u;
    struct store_dp dp;
    char longname[200];

    apply_ok(s, population(), 1);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(t, 2, &v), 0);
    CU_ASSERT_STRING_EQUAL(v.name, "vol-2");
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "vol-3", &v), 0);
    CU_ASSERT_EQUAL(v.id, 3);
    CU_ASSERT_EQUAL(store_get_datanode_by_addr(t, "10.0.0.4:17310", &n), 0);
    CU_ASSERT_EQUAL(n.id, 14);
    CU_ASSERT_EQUAL(store_get_metanode_by_addr(t, "10.0.1.2:17210", &n), 0);
    CU_ASSERT_EQUAL(n.id, 22);
    CU_ASSERT_EQUAL(store_get_datanode_by_addr(t, "10.0.1.2:17210", &n), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user_by_ak(t, "AK-bob", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.user_id, "bob");
    CU_ASSERT_EQUAL(store_get_user(t, "carol", &u), 0);
    CU_ASSERT_STRING_EQUAL(u.access_key, "AK-carol");

    /* misses leave the output alone */
    memset(&v, 0xab, sizeof(v));
    CU_ASSERT_EQUAL(store_get_vol(t, 99, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(v.id, 0xababababababababull);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "nope", &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "", &v), CFS_ENOTFOUND);
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, longname, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user(t, longname, &u), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user(t, "", &u), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_dp(t, 0, &dp), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(v.id, 0xababababababababull);
    store_txn_end(t);
    store_close(s);
}

static void test_iteration(void)
{
    struct store *s = open_store("iterate");
    struct collect *c = calloc(W_COUNT, sizeof(*c));
    struct collect one;
    struct store_txn *t;
    int expect[W_COUNT] = {POP_VOLS,   POP_DPS,      POP_MPS,   POP_DNODES,
                           POP_MNODES, POP_NODESETS, POP_USERS, POP_JOBS};
    int total = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    apply_ok(s, population(), 1);
    t = read_txn(s);
    walk_all(t, c);
    for (int w = 0; w < W_COUNT; w++) {
        CU_ASSERT_EQUAL(c[w].n, expect[w]);
    }
    /* ids ascend; users come in key (name) order */
    for (int i = 0; i < POP_DPS; i++) {
        CU_ASSERT_EQUAL(((struct store_dp *)c[W_DP].items[i])->id, 101 + (uint64_t)i);
    }
    for (int i = 0; i < POP_USERS; i++) {
        CU_ASSERT_STRING_EQUAL(((struct store_user *)c[W_USER].items[i])->user_id, pop_users[i]);
    }
    CU_ASSERT_EQUAL(((struct store_node *)c[W_MNODE].items[0])->id, 21);

    /* partitions of one volume versus all of them */
    for (uint64_t vol = 1; vol <= POP_VOLS; vol++) {
        memset(&one, 0, sizeof(one));
        CU_ASSERT_EQUAL(store_foreach_dp(t, vol, dp_cb, &one), 0);
        for (int i = 0; i < one.n; i++) {
            CU_ASSERT_EQUAL(((struct store_dp *)one.items[i])->vol_id, vol);
            CU_ASSERT_EQUAL(pop_dp_vol(((struct store_dp *)one.items[i])->id - 101), vol);
        }
        total += one.n;
    }
    CU_ASSERT_EQUAL(total, POP_DPS);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_dp(t, 1, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 4); /* i = 0, 3, 6, 9 */
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_mp(t, 2, mp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, POP_MPS / 2);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_mp(t, 3, mp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 0);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_dp(t, 999, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 0);

    /* early stop and error propagation */
    memset(&one, 0, sizeof(one));
    one.stop_after = 2;
    CU_ASSERT_EQUAL(store_foreach_dp(t, 0, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 2);
    memset(&one, 0, sizeof(one));
    one.stop_after = 1;
    CU_ASSERT_EQUAL(store_foreach_user(t, user_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 1);
    memset(&one, 0, sizeof(one));
    one.fail_with = -42;
    CU_ASSERT_EQUAL(store_foreach_job(t, job_cb, &one), -42);
    CU_ASSERT_EQUAL(store_foreach_mp(t, 1, mp_cb, &one), -42);
    CU_ASSERT_EQUAL(store_foreach_nodeset(t, nodeset_cb, &one), -42);
    store_txn_end(t);
    store_close(s);
    free(c);
}

static int apply_rv(struct store *s, struct store_batch *b, uint64_t index, char *err)
{
    int rv = store_apply(s, b, index, NULL, err);

    store_batch_free(b);
    return rv;
}

static void test_index_maintenance(void)
{
    struct store *s = open_store("indexes");
    struct store_batch *b;
    struct store_txn *t;
    struct store_vol v;
    struct store_node n;
    struct store_user u;
    struct store_dp dp;
    struct collect one;
    char err[ERRMSG_SIZE] = "";

    apply_ok(s, population(), 1);

    /* rename vol 1, re-address data node 11, new access key for alice, move dp 101 to vol 2 */
    b = store_batch_new();
    fill_vol(&v, 1, "renamed");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    fill_node(&n, 11, "10.9.9.9:17310");
    CU_ASSERT_EQUAL(store_batch_put_datanode(b, &n), 0);
    fill_user(&u, "alice", "AK-new");
    CU_ASSERT_EQUAL(store_batch_put_user(b, &u), 0);
    fill_dp(&dp, 101, 2);
    CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    apply_ok(s, b, 2);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "vol-1", &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "renamed", &v), 0);
    CU_ASSERT_EQUAL(v.id, 1);
    CU_ASSERT_EQUAL(store_get_datanode_by_addr(t, "10.0.0.1:17310", &n), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_datanode_by_addr(t, "10.9.9.9:17310", &n), 0);
    CU_ASSERT_EQUAL(store_get_user_by_ak(t, "AK-alice", &u), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user_by_ak(t, "AK-new", &u), 0);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_dp(t, 1, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 3);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_dp(t, 2, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 4);
    CU_ASSERT_EQUAL(((struct store_dp *)one.items[0])->id, 101);
    store_txn_end(t);

    /* the name a renamed record gave up can be taken by another one */
    b = store_batch_new();
    fill_vol(&v, 9, "vol-1");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    apply_ok(s, b, 3);

    /* ops apply in order: a volume deleted and re-created under its name in one batch */
    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_del_vol(b, 3), 0);
    fill_vol(&v, 30, "vol-3");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    apply_ok(s, b, 4);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "vol-3", &v), 0);
    CU_ASSERT_EQUAL(v.id, 30);
    CU_ASSERT_EQUAL(store_get_vol(t, 3, &v), CFS_ENOTFOUND);
    store_txn_end(t);

    /* a name held by another record is refused and the batch leaves no trace */
    b = store_batch_new();
    fill_vol(&v, 10, "fresh");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    fill_vol(&v, 4, "renamed");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    CU_ASSERT_EQUAL(apply_rv(s, b, 5, err), CFS_EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "op 2 (put vol 4)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"renamed\" already belongs to vol 1"));
    CU_ASSERT_EQUAL(store_applied_index(s), 4);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(t, 10, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "fresh", &v), CFS_ENOTFOUND);
    store_txn_end(t);

    /* deletes drop every secondary key; deleting a missing record is a no-op */
    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_del_vol(b, 1), 0);
    CU_ASSERT_EQUAL(store_batch_del_datanode(b, 11), 0);
    CU_ASSERT_EQUAL(store_batch_del_user(b, "alice"), 0);
    CU_ASSERT_EQUAL(store_batch_del_dp(b, 101), 0);
    CU_ASSERT_EQUAL(store_batch_del_dp(b, 101), 0);
    CU_ASSERT_EQUAL(store_batch_del_job(b, 4242), 0);
    CU_ASSERT_EQUAL(store_batch_del_metanode(b, 21), 0);
    CU_ASSERT_EQUAL(store_batch_del_nodeset(b, 31), 0);
    CU_ASSERT_EQUAL(store_batch_del_mp(b, 201), 0);
    apply_ok(s, b, 6);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(t, 1, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "renamed", &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "vol-1", &v), 0);
    CU_ASSERT_EQUAL(v.id, 9);
    CU_ASSERT_EQUAL(store_get_datanode_by_addr(t, "10.9.9.9:17310", &n), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_metanode_by_addr(t, "10.0.1.1:17210", &n), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user_by_ak(t, "AK-new", &u), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_user(t, "alice", &u), CFS_ENOTFOUND);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_dp(t, 2, dp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 3);
    memset(&one, 0, sizeof(one));
    CU_ASSERT_EQUAL(store_foreach_mp(t, 1, mp_cb, &one), 0);
    CU_ASSERT_EQUAL(one.n, 2);
    store_txn_end(t);
    store_close(s);
}

static void test_validation(void)
{
    struct store *s = open_store("validation");
    struct store_batch *b;
    struct store_txn *t;
    struct store_vol v;
    struct store_dp dp;
    struct store_node n;
    struct store_user u;
    char err[ERRMSG_SIZE];

    apply_ok(s, population(), 1);
    /* the first op is fine, the second is not: nothing of the batch is written */
    b = store_batch_new();
    fill_vol(&v, 50, "ok");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    fill_vol(&v, 0, "zero");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    err[0] = '\0';
    CU_ASSERT_EQUAL(apply_rv(s, b, 2, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "op 2 (put vol): ID is 0");

    b = store_batch_new();
    fill_vol(&v, 51, "");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    CU_ASSERT_EQUAL(apply_rv(s, b, 2, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "op 1 (put vol): Name is empty");

    b = store_batch_new();
    fill_dp(&dp, 52, 0);
    CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    CU_ASSERT_EQUAL(apply_rv(s, b, 2, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "op 1 (put dp): VolID is 0");

    b = store_batch_new();
    fill_node(&n, 53, "");
    CU_ASSERT_EQUAL(store_batch_put_metanode(b, &n), 0);
    CU_ASSERT_EQUAL(apply_rv(s, b, 2, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "op 1 (put metanode): Addr is empty");

    b = store_batch_new();
    fill_user(&u, "", "AK");
    CU_ASSERT_EQUAL(store_batch_put_user(b, &u), 0);
    CU_ASSERT_EQUAL(apply_rv(s, b, 2, err), -EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "op 1 (put user): user_id is empty");

    CU_ASSERT_EQUAL(store_applied_index(s), 1);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(t, 50, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(t, "ok", &v), CFS_ENOTFOUND);
    store_txn_end(t);

    /* what the batch builder can refuse at once */
    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_del_vol(b, 0), -EINVAL);
    CU_ASSERT_EQUAL(store_batch_del_user(b, ""), -EINVAL);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_COUNT, 1), -EINVAL);
    CU_ASSERT_EQUAL(store_batch_count(b), 0);
    store_batch_free(b);

    /* a user without an access key is stored, just not indexed */
    b = store_batch_new();
    fill_user(&u, "nokey", "");
    CU_ASSERT_EQUAL(store_batch_put_user(b, &u), 0);
    apply_ok(s, b, 2);
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_user(t, "nokey", &u), 0);
    CU_ASSERT_EQUAL(store_get_user_by_ak(t, "", &u), CFS_ENOTFOUND);
    store_txn_end(t);
    store_close(s);
}

static void test_counters(void)
{
    struct store *s = open_store("counters");
    struct store_batch *b;
    struct store_txn *t;
    uint64_t v = 99;

    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_JOB, &v), 0);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_COUNT, &v), -EINVAL);
    store_txn_end(t);

    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_DP, 10), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_DP, 7), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_MP, 5), 0);
    apply_ok(s, b, 1);
    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_DP, 3), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(b, STORE_COUNTER_MP, 1ull << 40), 0);
    apply_ok(s, b, 2);

    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_DP, &v), 0);
    CU_ASSERT_EQUAL(v, 10);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_MP, &v), 0);
    CU_ASSERT_EQUAL(v, 1ull << 40);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_COMMON, &v), 0);
    CU_ASSERT_EQUAL(v, 0);
    store_txn_end(t);
    store_close(s);
}

/* ---- batch wire form ---- */

static void test_batch_codec(void)
{
    struct store *a = open_store("codec-a");
    struct store *b = open_store("codec-b");
    struct store_batch *orig = population();
    struct store_batch *dec = NULL;
    char err[ERRMSG_SIZE];
    uint8_t *buf = NULL;
    uint8_t *padded;
    void *enc = NULL;
    size_t len = 0;

    CU_ASSERT_EQUAL_FATAL(store_batch_encode(orig, &enc, &len), 0);
    buf = enc;
    CU_ASSERT_EQUAL(memcmp(buf, "CFSB", 4), 0);

    /* decoded as is and with every Raft padding, applied, gives the same state */
    padded = calloc(1, len + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(padded);
    memcpy(padded, buf, len);
    for (size_t pad = 0; pad <= 8; pad++) {
        err[0] = '\0';
        CU_ASSERT_EQUAL(store_batch_decode(padded, len + pad, &dec, err), 0);
        CU_ASSERT_STRING_EQUAL(err, "");
        CU_ASSERT_EQUAL(store_batch_count(dec), store_batch_count(orig));
        store_batch_free(dec);
        dec = NULL;
    }
    CU_ASSERT_EQUAL(store_batch_decode(padded, len + 5, &dec, err), 0);
    apply_ok(a, orig, 1);
    apply_ok(b, dec, 1);
    assert_same_state(a, b);

    /* every cut is refused with a message */
    for (size_t cut = 0; cut < len; cut++) {
        dec = NULL;
        err[0] = '\0';
        CU_ASSERT_NOT_EQUAL(store_batch_decode(buf, cut, &dec, err), 0);
        CU_ASSERT_PTR_NULL(dec);
        CU_ASSERT(strlen(err) > 0);
    }
    CU_ASSERT_EQUAL(store_batch_decode(buf, 5, &dec, err), CFS_ETRUNC);
    CU_ASSERT_STRING_EQUAL(err, "batch of 5 bytes is shorter than its 12-byte header");

    /* a non-zero byte in the padding */
    padded[len + 3] = 1;
    CU_ASSERT_EQUAL(store_batch_decode(padded, len + 8, &dec, err), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not zero padding"));

    /* garbage, a wrong version, an unknown op kind, an oversized payload */
    for (size_t i = 0; i < len; i++) {
        padded[i] = (uint8_t)(i * 131 + 7);
    }
    CU_ASSERT_EQUAL(store_batch_decode(padded, len, &dec, err), CFS_EMAGIC);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad batch magic"));
    memcpy(padded, buf, len);
    padded[5] = 2;
    CU_ASSERT_EQUAL(store_batch_decode(padded, len, &dec, err), CFS_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(err, "batch format version 2 flags 0x0000, this binary reads version 1");
    memcpy(padded, buf, len);
    padded[12] = 9;
    CU_ASSERT_EQUAL(store_batch_decode(padded, len, &dec, err), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown op kind 9"));
    memcpy(padded, buf, len);
    padded[13] = 0;
    CU_ASSERT_EQUAL(store_batch_decode(padded, len, &dec, err), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "op 1 of"));
    memcpy(padded, buf, len);
    padded[14] = 0x7f;
    CU_ASSERT_EQUAL(store_batch_decode(padded, len, &dec, err), CFS_ETOOBIG);
    /* valid framing around JSON that is not a record fails at apply, naming the op */
    {
        static const uint8_t bad[] = {'C', 'F', 'S', 'B', 0, 1, 0, 0,   0,   0,   0,
                                      1,   1,   2,   0,   0, 0, 4, '[', '1', ']', ' '};
        CU_ASSERT_EQUAL_FATAL(store_batch_decode(bad, sizeof(bad), &dec, err), 0);
        CU_ASSERT_EQUAL(store_apply(a, dec, 2, NULL, err), CFS_ETYPE);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "op 1 (put vol)"));
        store_batch_free(dec);
    }
    CU_ASSERT_EQUAL(store_applied_index(a), 1);

    /* an empty batch still moves the applied index */
    dec = store_batch_new();
    free(enc);
    CU_ASSERT_EQUAL(store_batch_encode(dec, &enc, &len), 0);
    CU_ASSERT_EQUAL(len, 12);
    store_batch_free(dec);
    CU_ASSERT_EQUAL(store_batch_decode(enc, len, &dec, err), 0);
    apply_ok(a, dec, 2);
    CU_ASSERT_EQUAL(store_applied_index(a), 2);
    free(enc);
    free(padded);
    store_close(a);
    store_close(b);
}

/* ---- applied index and write transactions ---- */

static struct store_batch *vol_batch(uint64_t id, const char *name)
{
    struct store_batch *b = store_batch_new();
    struct store_vol v;

    fill_vol(&v, id, name);
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    return b;
}

static void test_applied_skip(void)
{
    struct store *s = open_store("skip");
    struct store_txn *t;
    struct store_vol v;
    char err[ERRMSG_SIZE] = "";
    bool skipped = false;
    struct store_batch *b;

    apply_ok(s, vol_batch(1, "a"), 5);
    CU_ASSERT_EQUAL(store_applied_index(s), 5);
    for (uint64_t index = 0; index <= 5; index++) {
        b = vol_batch(2, "b");
        skipped = false;
        CU_ASSERT_EQUAL(store_apply(s, b, index, &skipped, err), 0);
        CU_ASSERT_TRUE(skipped);
        store_batch_free(b);
    }
    t = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(t, 2, &v), CFS_ENOTFOUND);
    store_txn_end(t);
    apply_ok(s, vol_batch(2, "b"), 9);
    CU_ASSERT_EQUAL(store_applied_index(s), 9);
    store_close(s);

    /* the applied index survives a reopen */
    s = open_store("skip");
    CU_ASSERT_EQUAL(store_applied_index(s), 9);
    store_close(s);
}

static void test_write_txn(void)
{
    struct store *s = open_store("writetxn");
    struct store_txn *w, *r;
    struct store_vol v;
    struct store_dp dp;
    struct store_batch *b;
    char err[ERRMSG_SIZE] = "";
    bool skipped = true;

    CU_ASSERT_EQUAL_FATAL(store_write_begin(s, &w, err), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(1, "one"), 1, &skipped, err), 0);
    CU_ASSERT_FALSE(skipped);
    CU_ASSERT_EQUAL(store_get_vol_by_name(w, "one", &v), 0);
    b = store_batch_new();
    fill_dp(&dp, 10, 1);
    CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, b, 2, NULL, err), 0);
    CU_ASSERT_EQUAL(store_get_dp(w, 10, &dp), 0);
    /* a reader does not see uncommitted batches */
    r = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(r, 1, &v), CFS_ENOTFOUND);
    store_txn_end(r);
    /* inside the transaction, an index already applied in it is skipped */
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(3, "three"), 2, &skipped, err), 0);
    CU_ASSERT_TRUE(skipped);
    CU_ASSERT_EQUAL(store_get_vol(w, 3, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_applied_index(s), 0);
    CU_ASSERT_EQUAL(store_write_commit(w, err), 0);
    CU_ASSERT_EQUAL(store_applied_index(s), 2);

    /* abort discards every batch */
    CU_ASSERT_EQUAL_FATAL(store_write_begin(s, &w, err), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(4, "four"), 3, NULL, err), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(5, "five"), 4, NULL, err), 0);
    CU_ASSERT_EQUAL(store_get_vol_by_name(w, "five", &v), 0);
    store_write_abort(w);
    CU_ASSERT_EQUAL(store_applied_index(s), 2);
    r = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol(r, 4, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol_by_name(r, "five", &v), CFS_ENOTFOUND);
    store_txn_end(r);

    /* a refused batch in the middle leaves the ones before and after it */
    CU_ASSERT_EQUAL_FATAL(store_write_begin(s, &w, err), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(6, "six"), 5, NULL, err), 0);
    b = store_batch_new();
    fill_vol(&v, 7, "seven");
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    fill_vol(&v, 8, "six"); /* taken by vol 6 */
    CU_ASSERT_EQUAL(store_batch_put_vol(b, &v), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, b, 6, NULL, err), CFS_EEXIST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "already belongs to vol 6"));
    CU_ASSERT_EQUAL(store_get_vol(w, 7, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol(w, 6, &v), 0);
    CU_ASSERT_EQUAL(store_write_apply(w, vol_batch(9, "nine"), 7, NULL, err), 0);
    CU_ASSERT_EQUAL(store_write_commit(w, err), 0);
    CU_ASSERT_EQUAL(store_applied_index(s), 7);
    r = read_txn(s);
    CU_ASSERT_EQUAL(store_get_vol_by_name(r, "six", &v), 0);
    CU_ASSERT_EQUAL(v.id, 6);
    CU_ASSERT_EQUAL(store_get_vol_by_name(r, "nine", &v), 0);
    CU_ASSERT_EQUAL(store_get_vol(r, 7, &v), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(store_get_vol(r, 8, &v), CFS_ENOTFOUND);
    store_txn_end(r);
    store_close(s);
}

/* ---- map growth ---- */

enum { GROW_BATCHES = 300, GROW_PER_BATCH = 20 };

static struct store_batch *dp_batch(uint64_t first, int count, uint64_t vol_id)
{
    struct store_batch *b = store_batch_new();
    struct store_dp dp;

    for (int i = 0; i < count; i++) {
        fill_dp(&dp, first + (uint64_t)i, vol_id);
        CU_ASSERT_EQUAL(store_batch_put_dp(b, &dp), 0);
    }
    return b;
}

static int count_dps(struct store *s, uint64_t vol_id)
{
    struct store_txn *t = read_txn(s);
    struct store_dp dp;
    int n = 0;
    uint64_t id = 0;

    /* more than struct collect holds: count through lookups of the known ids */
    for (id = 1; id <= GROW_BATCHES * GROW_PER_BATCH * 2; id++) {
        if (store_get_dp(t, id, &dp) == 0) {
            CU_ASSERT_EQUAL(dp.vol_id, vol_id);
            CU_ASSERT_EQUAL(dp.id, id);
            n++;
        }
    }
    store_txn_end(t);
    return n;
}

static void test_grow(void)
{
    struct store *s = open_with("grow", 256 * 1024, 0, 0);
    struct store_txn *w;
    char err[ERRMSG_SIZE] = "";
    uint64_t size = store_map_size(s);
    int grown = 0;
    uint64_t index = 0;

    CU_ASSERT_EQUAL(size, 256 * 1024);
    /* one write transaction per batch */
    for (int i = 0; i < GROW_BATCHES / 2; i++) {
        apply_ok(s, dp_batch(1 + (uint64_t)i * GROW_PER_BATCH, GROW_PER_BATCH, 1), ++index);
        if (store_map_size(s) != size) {
            grown++;
            size = store_map_size(s);
        }
    }
    /* many batches in one write transaction */
    CU_ASSERT_EQUAL_FATAL(store_write_begin(s, &w, err), 0);
    for (int i = GROW_BATCHES / 2; i < GROW_BATCHES; i++) {
        CU_ASSERT_EQUAL(
            store_write_apply(w, dp_batch(1 + (uint64_t)i * GROW_PER_BATCH, GROW_PER_BATCH, 1),
                              ++index, NULL, err),
            0);
        if (store_map_size(s) != size) {
            grown++;
            size = store_map_size(s);
        }
    }
    CU_ASSERT_EQUAL(store_write_commit(w, err), 0);
    CU_ASSERT(grown >= 5);
    CU_ASSERT_EQUAL(store_applied_index(s), GROW_BATCHES);
    CU_ASSERT_EQUAL(count_dps(s, 1), GROW_BATCHES * GROW_PER_BATCH);
    store_close(s);
    s = open_with("grow", 256 * 1024, 0, 0);
    CU_ASSERT_EQUAL(store_map_size(s), size);
    CU_ASSERT_EQUAL(count_dps(s, 1), GROW_BATCHES * GROW_PER_BATCH);
    store_close(s);
}

static void test_map_cap(void)
{
    struct store *s = open_with("cap", 256 * 1024, 1024 * 1024, 0);
    struct store_batch *b;
    struct store_txn *w;
    char err[ERRMSG_SIZE] = "";
    uint64_t index = 0;
    uint64_t before;
    int rv = 0;
    int stored;

    /* fill until the cap refuses a batch */
    while (rv == 0 && index < GROW_BATCHES) {
        b = dp_batch(1 + index * GROW_PER_BATCH, GROW_PER_BATCH, 2);
        rv = store_apply(s, b, index + 1, NULL, err);
        store_batch_free(b);
        index += rv == 0 ? 1 : 0;
    }
    CU_ASSERT_EQUAL_FATAL(rv, CFS_EMAPFULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "raise max_map_size"));
    CU_ASSERT_EQUAL(store_map_size(s), 1024 * 1024);
    CU_ASSERT_EQUAL(store_applied_index(s), index);
    CU_ASSERT_EQUAL(count_dps(s, 2), (int)index * GROW_PER_BATCH);

    /* still usable: free space and write again */
    b = store_batch_new();
    for (uint64_t id = 1; id <= index * GROW_PER_BATCH / 2; id++) {
        CU_ASSERT_EQUAL(store_batch_del_dp(b, id), 0);
    }
    apply_ok(s, b, index + 1);
    stored = (int)(index * GROW_PER_BATCH - index * GROW_PER_BATCH / 2);
    CU_ASSERT_EQUAL(count_dps(s, 2), stored);
    index++;

    /* in a shared transaction the refused batch goes, the ones before it stay */
    before = index;
    CU_ASSERT_EQUAL_FATAL(store_write_begin(s, &w, err), 0);
    rv = 0;
    for (uint64_t i = 0; rv == 0 && i < GROW_BATCHES; i++) {
        rv = store_write_apply(w, dp_batch(5000 + i * GROW_PER_BATCH, GROW_PER_BATCH, 2), index + 1,
                               NULL, err);
        index += rv == 0 ? 1 : 0;
        stored += rv == 0 ? GROW_PER_BATCH : 0;
    }
    CU_ASSERT_EQUAL(rv, CFS_EMAPFULL);
    /* The commit itself needs a few pages (LMDB's free list), and the refused batch left the map
     * as full as it gets: the commit may fail too, but then it leaves the state before the
     * transaction, whole. */
    rv = store_write_commit(w, err);
    CU_ASSERT(rv == 0 || rv == CFS_EMAPFULL);
    if (rv != 0) {
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "raise max_map_size"));
        stored -= (int)(index - before) * GROW_PER_BATCH;
        index = before;
    }
    CU_ASSERT_EQUAL(store_applied_index(s), index);
    {
        struct store_txn *t = read_txn(s);
        struct collect one;
        int n = 0;
        struct store_dp dp;
        for (uint64_t id = 1; id < 5000 + GROW_BATCHES * GROW_PER_BATCH; id++) {
            n += store_get_dp(t, id, &dp) == 0;
        }
        CU_ASSERT_EQUAL(n, stored);
        memset(&one, 0, sizeof(one));
        one.stop_after = 10;
        CU_ASSERT_EQUAL(store_foreach_dp(t, 2, dp_cb, &one), 0);
        CU_ASSERT_EQUAL(one.n, 10);
        store_txn_end(t);
    }
    /* and a write that fits still goes through */
    apply_ok(s, vol_batch(1, "after-cap"), index + 1);
    store_close(s);
}

static void test_grow_blocked_by_reader(void)
{
    struct store *s = open_with("blocked", 256 * 1024, 0, 100);
    struct store_txn *r;
    struct store_batch *b = dp_batch(1, 400, 3);
    char err[ERRMSG_SIZE] = "";
    struct store_dp dp;

    r = read_txn(s);
    CU_ASSERT_EQUAL(store_apply(s, b, 1, NULL, err), CFS_EMAPFULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 transactions stayed open for 100 ms"));
    CU_ASSERT_EQUAL(store_applied_index(s), 0);
    store_txn_end(r);
    CU_ASSERT_EQUAL(store_apply(s, b, 1, NULL, err), 0);
    CU_ASSERT(store_map_size(s) > 256 * 1024);
    r = read_txn(s);
    CU_ASSERT_EQUAL(store_get_dp(r, 400, &dp), 0);
    store_txn_end(r);
    store_batch_free(b);
    store_close(s);
}

/* ---- snapshots ---- */

static void test_snapshot_round_trip(void)
{
    struct store *a = open_store("snap-a");
    struct store *b = open_store("snap-b");
    struct store *c = open_store("snap-c");
    struct store_txn *t;
    char err[ERRMSG_SIZE] = "";
    void *buf = NULL;
    size_t len = 0;
    uint64_t applied = 0;
    bool skipped = true;

    apply_ok(a, population(), 10);
    apply_ok(a, dp_batch(500, 5, 2), 11);
    CU_ASSERT_EQUAL_FATAL(store_snapshot_export(a, &buf, &len, err), 0);
    CU_ASSERT_EQUAL(store_snapshot_applied(buf, len, &applied, err), 0);
    CU_ASSERT_EQUAL(applied, 11);

    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, &skipped, err), 0);
    CU_ASSERT_FALSE(skipped);
    CU_ASSERT_EQUAL(store_applied_index(b), 11);
    assert_same_state(a, b);
    /* importing it again is a no-op */
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, &skipped, err), 0);
    CU_ASSERT_TRUE(skipped);
    free(buf);

    /* through a file, and from a read transaction held while the store moves on */
    CU_ASSERT_EQUAL(store_snapshot_export_file(a, store_path("snap.bin"), err), 0);
    CU_ASSERT_EQUAL(store_snapshot_import_file(c, store_path("snap.bin"), &skipped, err), 0);
    CU_ASSERT_FALSE(skipped);
    assert_same_state(a, c);
    CU_ASSERT_EQUAL(store_snapshot_import_file(c, store_path("missing.bin"), NULL, err), -ENOENT);

    t = read_txn(a);
    apply_ok(a, dp_batch(600, 3, 3), 12);
    CU_ASSERT_EQUAL(store_snapshot_export_txn(t, &buf, &len, err), 0);
    store_txn_end(t);
    CU_ASSERT_EQUAL(store_snapshot_applied(buf, len, &applied, err), 0);
    CU_ASSERT_EQUAL(applied, 11);
    free(buf);

    /* state survives reopening the imported store */
    store_close(b);
    b = open_store("snap-b");
    CU_ASSERT_EQUAL(store_applied_index(b), 11);
    assert_same_state(c, b);
    store_close(a);
    store_close(b);
    store_close(c);
}

static void test_snapshot_damaged(void)
{
    struct store *a = open_store("damage-a");
    struct store *b = open_store("damage-b");
    struct store_txn *t;
    struct store_vol v;
    char err[ERRMSG_SIZE];
    uint8_t *buf = NULL;
    void *out = NULL;
    size_t len = 0;
    size_t step;
    int failures = 0, tries = 0;

    apply_ok(a, population(), 20);
    apply_ok(b, vol_batch(77, "target-only"), 3);
    CU_ASSERT_EQUAL_FATAL(store_snapshot_export(a, &out, &len, err), 0);
    buf = out;

    /* every header byte, then bytes spread over the body */
    step = len / 300 + 1;
    for (size_t pos = 0; pos < len; pos += pos < 40 ? 1 : step) {
        err[0] = '\0';
        buf[pos] ^= 0x20;
        failures += store_snapshot_import(b, buf, len, NULL, err) != 0;
        tries++;
        CU_ASSERT(strncmp(err, "snapshot", 8) == 0 || strstr(err, "snapshot") != NULL);
        buf[pos] ^= 0x20;
    }
    CU_ASSERT_EQUAL(failures, tries);
    err[0] = '\0';
    buf[len / 2] ^= 1;
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, NULL, err), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "snapshot import: snapshot checksum mismatch"));
    buf[len / 2] ^= 1;
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len - 1, NULL, err), CFS_ECORRUPT);
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, 20, NULL, err), CFS_ETRUNC);
    CU_ASSERT_EQUAL(store_snapshot_applied(buf, 20, &(uint64_t){0}, err), CFS_ETRUNC);
    buf[15] = 9; /* schema version 9 */
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, NULL, err), CFS_ESCHEMA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 9"));

    /* the target never changed */
    CU_ASSERT_EQUAL(store_applied_index(b), 3);
    t = read_txn(b);
    CU_ASSERT_EQUAL(store_get_vol(t, 77, &v), 0);
    CU_ASSERT_EQUAL(store_get_vol(t, 1, &v), CFS_ENOTFOUND);
    store_txn_end(t);
    free(buf);
    store_close(a);
    store_close(b);
}

static void test_snapshot_older_skipped(void)
{
    struct store *a = open_store("older-a");
    struct store *b = open_store("older-b");
    struct store_txn *t;
    struct store_vol v;
    char err[ERRMSG_SIZE] = "";
    void *buf = NULL;
    size_t len = 0;
    bool skipped = false;

    apply_ok(a, population(), 50);
    apply_ok(b, vol_batch(88, "newer"), 100);
    CU_ASSERT_EQUAL_FATAL(store_snapshot_export(a, &buf, &len, err), 0);
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, &skipped, err), 0);
    CU_ASSERT_TRUE(skipped);
    CU_ASSERT_EQUAL(store_applied_index(b), 100);
    t = read_txn(b);
    CU_ASSERT_EQUAL(store_get_vol(t, 88, &v), 0);
    CU_ASSERT_EQUAL(store_get_vol(t, 1, &v), CFS_ENOTFOUND);
    store_txn_end(t);
    free(buf);
    store_close(a);
    store_close(b);
}

static void test_snapshot_grows_map(void)
{
    struct store *a = open_store("snapgrow-a");
    struct store *b = open_with("snapgrow-b", 256 * 1024, 0, 0);
    char err[ERRMSG_SIZE] = "";
    void *buf = NULL;
    size_t len = 0;

    apply_ok(a, dp_batch(1, 2000, 4), 1);
    CU_ASSERT_EQUAL_FATAL(store_snapshot_export(a, &buf, &len, err), 0);
    CU_ASSERT_EQUAL(store_snapshot_import(b, buf, len, NULL, err), 0);
    CU_ASSERT(store_map_size(b) > 256 * 1024);
    CU_ASSERT_EQUAL(store_applied_index(b), 1);
    free(buf);
    store_close(a);
    store_close(b);
}

/* ---- open ---- */

static int master_cb(const struct store_master *m, void *arg)
{
    uint64_t *sum = arg;

    *sum += m->id;
    return 0;
}

static void test_master_records(void)
{
    struct store *s = open_store("masters");
    struct store_batch *b = store_batch_new();
    struct store_master m = {.id = 4, .create_time = 7};
    struct store_master got;
    struct store_txn *t;
    char err[ERRMSG_SIZE] = "";
    uint64_t sum = 0;

    snprintf(m.http_addr, sizeof(m.http_addr), "127.0.0.1:17013");
    snprintf(m.raft_addr, sizeof(m.raft_addr), "127.0.0.1:27013");
    CU_ASSERT_EQUAL(store_batch_put_master(b, &m), 0);
    m.id = 5;
    CU_ASSERT_EQUAL(store_batch_put_master(b, &m), 0);
    CU_ASSERT_EQUAL_FATAL(apply_rv(s, b, 1, err), 0);
    CU_ASSERT_EQUAL_FATAL(store_read_begin(s, &t), 0);
    CU_ASSERT_EQUAL(store_get_master(t, 4, &got), 0);
    CU_ASSERT_STRING_EQUAL(got.http_addr, "127.0.0.1:17013");
    CU_ASSERT_STRING_EQUAL(got.raft_addr, "127.0.0.1:27013");
    CU_ASSERT_EQUAL(got.create_time, 7);
    CU_ASSERT_EQUAL(store_foreach_master(t, master_cb, &sum), 0);
    CU_ASSERT_EQUAL(sum, 9);
    store_txn_end(t);
    b = store_batch_new();
    CU_ASSERT_EQUAL(store_batch_del_master(b, 4), 0);
    CU_ASSERT_EQUAL_FATAL(apply_rv(s, b, 2, err), 0);
    CU_ASSERT_EQUAL_FATAL(store_read_begin(s, &t), 0);
    CU_ASSERT_EQUAL(store_get_master(t, 4, &got), CFS_ENOTFOUND);
    store_txn_end(t);
    store_close(s);
}

static void test_schema_mismatch(void)
{
    struct store *s = open_store("schema");
    struct store_key key;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    uint8_t be[8];
    char err[ERRMSG_SIZE] = "";

    store_close(s);
    CU_ASSERT_EQUAL_FATAL(mdb_env_create(&env), 0);
    CU_ASSERT_EQUAL(mdb_env_set_maxdbs(env, 1), 0);
    CU_ASSERT_EQUAL_FATAL(mdb_env_open(env, store_path("schema"), MDB_NOSUBDIR, 0644), 0);
    CU_ASSERT_EQUAL_FATAL(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CU_ASSERT_EQUAL_FATAL(mdb_dbi_open(txn, STORE_DBI_NAME, 0, &dbi), 0);
    store_key_meta(&key, STORE_META_SCHEMA);
    k = store_key_val(&key);
    store_be64_put(be, STORE_SCHEMA_VERSION + 1);
    v.mv_size = sizeof(be);
    v.mv_data = be;
    CU_ASSERT_EQUAL(mdb_put(txn, dbi, &k, &v, 0), 0);
    CU_ASSERT_EQUAL(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    s = NULL;
    CU_ASSERT_EQUAL(store_open(store_path("schema"), NULL, &s, err), CFS_ESCHEMA);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 2, this binary uses 1"));
}

static void test_open_errors(void)
{
    struct store_options o;
    struct store *s = NULL;
    char err[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(store_open("/nonexistent-dir/x/store", NULL, &s, err), -ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "store /nonexistent-dir/x/store: mdb_env_open"));
    store_options_default(&o);
    o.max_map_size = o.map_size / 2;
    CU_ASSERT_EQUAL(store_open(store_path("bad-opts"), &o, &s, err), -EINVAL);
    CU_ASSERT_PTR_NULL(s);
}

static const struct test_case record_cases[] = {
    {"tables", test_record_tables},
    {NULL, NULL},
};

static const struct test_case store_cases[] = {
    {"round_trip", test_round_trip},
    {"lookups", test_lookups},
    {"iteration", test_iteration},
    {"index_maintenance", test_index_maintenance},
    {"validation", test_validation},
    {"counters", test_counters},
    {"batch_codec", test_batch_codec},
    {"applied_skip", test_applied_skip},
    {"write_txn", test_write_txn},
    {"schema_mismatch", test_schema_mismatch},
    {"master_records", test_master_records},
    {"open_errors", test_open_errors},
    {NULL, NULL},
};

static const struct test_case growth_cases[] = {
    {"grow", test_grow},
    {"map_cap", test_map_cap},
    {"grow_blocked_by_reader", test_grow_blocked_by_reader},
    {NULL, NULL},
};

static const struct test_case snapshot_cases[] = {
    {"round_trip", test_snapshot_round_trip},
    {"damaged", test_snapshot_damaged},
    {"older_skipped", test_snapshot_older_skipped},
    {"grows_map", test_snapshot_grows_map},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    static const struct test_suite suites[] = {
        {"records", NULL, NULL, record_cases},
        {"store", suite_init, suite_cleanup, store_cases},
        {"growth", suite_init, suite_cleanup, growth_cases},
        {"snapshot", suite_init, suite_cleanup, snapshot_cases},
        {NULL, NULL, NULL, NULL},
    };

    return test_run(argc, argv, suites);
}
