#include "common/errors.h"
#include "master/cluster/placement.h"
#include "master/cluster/status.h"
#include "master/cluster/topo.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB     (1ULL << 30)
#define TIMEOUT STATUS_NODE_TIMEOUT_MS

static struct topo *t;

static int setup(void)
{
    return topo_new(&t) == 0 ? 0 : 1;
}

static int teardown(void)
{
    topo_free(t);
    t = NULL;
    return 0;
}

static void put_set(uint64_t id, const char *zone)
{
    struct store_nodeset ns = {.id = id, .capacity = 18};

    snprintf(ns.zone_name, sizeof(ns.zone_name), "%s", zone);
    CU_ASSERT_EQUAL_FATAL(topo_put_nodeset(t, &ns), 0);
}

static void put_node(enum topo_kind kind, uint64_t id, const char *addr, uint64_t set,
                     const char *zone)
{
    struct store_node rec = {.id = id, .nodeset_id = set};

    snprintf(rec.addr, sizeof(rec.addr), "%s", addr);
    snprintf(rec.zone_name, sizeof(rec.zone_name), "%s", zone);
    CU_ASSERT_EQUAL_FATAL(topo_put_node(t, kind, &rec), 0);
}

/* A data-node heartbeat reporting the partitions in ids (0-terminated), all ReadWrite. */
static int dn_beat(const char *addr, const uint64_t *ids, uint64_t now, const char *zone,
                   struct topo_hb_result *res)
{
    struct dn_partition_report reports[8];
    struct dn_heartbeat_resp resp = {.total = 1000 * GIB,
                                     .used = 100 * GIB,
                                     .available = 900 * GIB,
                                     .status = TASK_SUCCEEDS,
                                     .reports = reports};
    char errmsg[ERRMSG_SIZE];

    snprintf(resp.zone_name, sizeof(resp.zone_name), "%s", zone);
    memset(reports, 0, sizeof(reports));
    for (; ids != NULL && ids[resp.nreports] != 0; resp.nreports++) {
        struct dn_partition_report *r = &reports[resp.nreports];
        r->partition_id = ids[resp.nreports];
        r->partition_status = DP_STATUS_READ_WRITE;
        r->total = 120 * GIB;
        r->used = 5 * GIB;
        r->is_leader = strcmp(addr, "d1:1") == 0;
        r->extent_count = 64;
        snprintf(r->disk_path, sizeof(r->disk_path), "/disk/%s", addr);
    }
    return topo_apply_dn_heartbeat(t, addr, &resp, now, res, errmsg);
}

static void test_heartbeat_applied(void)
{
    static const uint64_t ids[] = {11, 12, 0};
    struct topo_hb_result res;
    struct topo_node v;
    struct status_dp_report *reports;
    size_t n;

    put_set(1, "default");
    put_node(TOPO_DATA, 100, "d1:1", 1, "default");
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "d1:1", &v), 0);
    CU_ASSERT_FALSE(v.active);
    CU_ASSERT_FALSE(v.reported);

    CU_ASSERT_EQUAL(dn_beat("d1:1", ids, 5000, "", &res), 0);
    CU_ASSERT_TRUE(res.became_active);
    CU_ASSERT_FALSE(res.zone_changed); /* "" is "default" */
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "d1:1", &v), 0);
    CU_ASSERT_EQUAL(v.id, 100);
    CU_ASSERT_EQUAL(v.nodeset_id, 1);
    CU_ASSERT_TRUE(v.active);
    CU_ASSERT_TRUE(v.reported);
    CU_ASSERT_EQUAL(v.report_ms, 5000);
    CU_ASSERT_EQUAL(v.total, 1000 * GIB);
    CU_ASSERT_EQUAL(v.used, 100 * GIB);
    CU_ASSERT_EQUAL(v.available, 900 * GIB);
    CU_ASSERT_EQUAL(v.partition_count, 2);
    CU_ASSERT_STRING_EQUAL(v.reported_zone, "default");

    CU_ASSERT_EQUAL(topo_copy_dp_reports(t, "d1:1", &reports, &n), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(reports[1].base.partition_id, 12);
    CU_ASSERT_EQUAL(reports[1].base.status, DP_STATUS_READ_WRITE);
    CU_ASSERT_TRUE(reports[1].base.is_leader);
    CU_ASSERT_EQUAL(reports[1].total, 120 * GIB);
    CU_ASSERT_EQUAL(reports[1].extent_count, 64);
    CU_ASSERT_STRING_EQUAL(reports[1].disk_path, "/disk/d1:1");
    free(reports);

    CU_ASSERT_EQUAL(dn_beat("d1:1", ids, 6000, "rack2", &res), 0);
    CU_ASSERT_FALSE(res.became_active);
    CU_ASSERT_TRUE(res.zone_changed);
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "d1:1", &v), 0);
    CU_ASSERT_STRING_EQUAL(v.zone, "default"); /* moving it is the caller's job */
    CU_ASSERT_STRING_EQUAL(v.reported_zone, "rack2");
}

static void test_heartbeat_rejected(void)
{
    struct dn_heartbeat_resp failed = {.status = TASK_FAILED, .result = "disk gone"};
    struct topo_node v;
    char errmsg[ERRMSG_SIZE];

    put_node(TOPO_DATA, 101, "d2:1", 1, "default");
    CU_ASSERT_EQUAL(topo_apply_dn_heartbeat(t, "d2:1", &failed, 1000, NULL, errmsg), CFS_EREMOTE);
    CU_ASSERT_STRING_EQUAL(errmsg, "data node d2:1: heartbeat failed: disk gone");
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "d2:1", &v), 0);
    CU_ASSERT_FALSE(v.reported);

    CU_ASSERT_EQUAL(dn_beat("nobody:1", NULL, 1000, "", NULL), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "nobody:1", &v), CFS_ENOTFOUND);
    /* The same address as a meta node is another node. */
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_META, "d2:1", &v), CFS_ENOTFOUND);
}

static void test_meta_heartbeat(void)
{
    struct mn_partition_report reports[2] = {
        {.partition_id = 7,
         .start = 1,
         .end = 1000,
         .status = MP_STATUS_READ_WRITE,
         .max_inode_id = 90,
         .is_leader = true,
         .inode_cnt = 80,
         .dentry_cnt = 70},
        {.partition_id = 8, .start = 1001, .end = 2000, .status = MP_STATUS_READ_ONLY},
    };
    struct mn_heartbeat_resp resp = {.zone_name = "default",
                                     .total = 16 * GIB,
                                     .used = 4 * GIB,
                                     .reports = reports,
                                     .nreports = 2,
                                     .status = TASK_SUCCEEDS};
    struct status_mp_replica reps[4];
    struct status_mp_report *copy;
    struct topo_node v;
    size_t n;

    put_node(TOPO_META, 200, "m1:1", 1, "default");
    CU_ASSERT_EQUAL(topo_apply_mn_heartbeat(t, "m1:1", &resp, 3000, NULL, NULL), 0);
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_META, "m1:1", &v), 0);
    CU_ASSERT_EQUAL(v.available, 12 * GIB);
    CU_ASSERT_EQUAL(v.partition_count, 2);

    CU_ASSERT_EQUAL_FATAL(topo_mp_replicas(t, 7, reps, 4), 1);
    CU_ASSERT_STRING_EQUAL(reps[0].src.addr, "m1:1");
    CU_ASSERT_EQUAL(reps[0].src.report_ms, 3000);
    CU_ASSERT_TRUE(reps[0].src.node_active);
    CU_ASSERT_EQUAL(reps[0].report.base.partition_id, 7);
    CU_ASSERT_TRUE(reps[0].report.base.is_leader);
    CU_ASSERT_EQUAL(reps[0].report.end, 1000);
    CU_ASSERT_EQUAL(reps[0].report.max_inode_id, 90);
    CU_ASSERT_EQUAL(reps[0].report.inode_count, 80);
    CU_ASSERT_EQUAL(reps[0].report.dentry_count, 70);
    /* Data and meta partition ids are separate spaces. */
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 7, NULL, 0), 0);

    CU_ASSERT_EQUAL(topo_copy_mp_reports(t, "m1:1", &copy, &n), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(copy[1].base.status, MP_STATUS_READ_ONLY);
    free(copy);
    CU_ASSERT_EQUAL(topo_copy_mp_reports(t, "nobody:1", &copy, &n), CFS_ENOTFOUND);
}

/* Liveness with a fake clock: a table of (event, time, expected changes). */
static void test_liveness(void)
{
    enum { BEAT, CHECK };
    static const struct {
        int what;
        const char *addr; /* BEAT */
        uint64_t now;
        size_t nchanges; /* CHECK */
        bool active;     /* state of the changes */
    } steps[] = {
        {CHECK, NULL, 0, 0, false}, /* never reported: stays inactive, no change */
        {BEAT, "l1:1", 1000, 0, false},
        {BEAT, "l2:1", 1000, 0, false},
        {CHECK, NULL, 1000 + TIMEOUT, 0, false},
        {CHECK, NULL, 1000 + TIMEOUT + 1, 2, false},
        {CHECK, NULL, 1000 + TIMEOUT + 2, 0, false},
        {BEAT, "l2:1", 30000, 0, false},
        {CHECK, NULL, 30000, 0, false}, /* the heartbeat already made it active */
        {CHECK, NULL, 30000 + TIMEOUT + 1, 1, false},
    };
    struct topo *saved = t;
    struct topo_counts counts;

    CU_ASSERT_EQUAL_FATAL(topo_new(&t), 0);
    put_node(TOPO_DATA, 1, "l1:1", 1, "default");
    put_node(TOPO_META, 2, "l2:1", 1, "default");
    put_node(TOPO_META, 3, "l3:1", 1, "default");
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct topo_change *changes;
        size_t n;
        if (steps[i].what == BEAT) {
            struct mn_heartbeat_resp mresp = {.status = TASK_SUCCEEDS};
            int rv =
                strcmp(steps[i].addr, "l1:1") == 0
                    ? dn_beat(steps[i].addr, NULL, steps[i].now, "", NULL)
                    : topo_apply_mn_heartbeat(t, steps[i].addr, &mresp, steps[i].now, NULL, NULL);
            CU_ASSERT_EQUAL(rv, 0);
            continue;
        }
        CU_ASSERT_EQUAL(topo_check_liveness(t, steps[i].now, TIMEOUT, &changes, &n), 0);
        CU_ASSERT_EQUAL(n, steps[i].nchanges);
        for (size_t j = 0; j < n; j++) {
            CU_ASSERT_EQUAL(changes[j].active, steps[i].active);
        }
        if (n == 2) {
            CU_ASSERT_NOT_EQUAL(changes[0].kind, changes[1].kind);
        }
        if (n == 1) {
            CU_ASSERT_STRING_EQUAL(changes[0].addr, "l2:1");
            CU_ASSERT_EQUAL(changes[0].kind, TOPO_META);
        }
        free(changes);
    }
    topo_counts(t, &counts);
    CU_ASSERT_EQUAL(counts.active[TOPO_DATA], 0);
    CU_ASSERT_EQUAL(counts.inactive[TOPO_DATA], 1);
    CU_ASSERT_EQUAL(counts.active[TOPO_META], 0);
    CU_ASSERT_EQUAL(counts.inactive[TOPO_META], 2);
    topo_free(t);
    t = saved;
}

static void test_partition_index(void)
{
    static const uint64_t both[] = {501, 502, 0};
    static const uint64_t second[] = {502, 0};
    static const uint64_t first_twice[] = {501, 501, 0};
    struct status_dp_replica reps[4];

    put_node(TOPO_DATA, 110, "p1:1", 1, "default");
    put_node(TOPO_DATA, 111, "p2:1", 1, "default");
    CU_ASSERT_EQUAL(dn_beat("p1:1", both, 1000, "", NULL), 0);
    CU_ASSERT_EQUAL(dn_beat("p2:1", first_twice, 1000, "", NULL), 0);
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 501, reps, 4), 2); /* p2's duplicate counts once */
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 502, reps, 4), 1);
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 501, reps, 1), 2); /* more than fit */

    /* p1 stops reporting 501 while still alive. */
    CU_ASSERT_EQUAL(dn_beat("p1:1", second, 2000, "", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(topo_dp_replicas(t, 501, reps, 4), 1);
    CU_ASSERT_STRING_EQUAL(reps[0].src.addr, "p2:1");
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 502, reps, 4), 1);

    CU_ASSERT_EQUAL(dn_beat("p1:1", NULL, 3000, "", NULL), 0);
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 502, reps, 4), 0);

    CU_ASSERT_EQUAL(topo_remove_node(t, TOPO_DATA, "p2:1"), 0);
    CU_ASSERT_EQUAL(topo_dp_replicas(t, 501, reps, 4), 0);
    CU_ASSERT_EQUAL(topo_remove_node(t, TOPO_DATA, "p2:1"), CFS_ENOTFOUND);
}

/* What a copy holds does not move when the topology does. */
static void test_copies_are_independent(void)
{
    static const uint64_t ids[] = {601, 0};
    struct topo_node *nodes;
    struct status_dp_replica rep;
    struct topo_summary sum;
    size_t n;

    put_node(TOPO_DATA, 120, "c1:1", 1, "default");
    CU_ASSERT_EQUAL(dn_beat("c1:1", ids, 1000, "", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(topo_copy_nodes(t, TOPO_DATA, &nodes, &n), 0);
    CU_ASSERT_EQUAL_FATAL(topo_dp_replicas(t, 601, &rep, 1), 1);
    CU_ASSERT_EQUAL_FATAL(topo_summarize(t, &sum), 0);

    CU_ASSERT_EQUAL(dn_beat("c1:1", NULL, 9000, "", NULL), 0);
    CU_ASSERT_EQUAL(topo_remove_node(t, TOPO_DATA, "c1:1"), 0);
    put_node(TOPO_DATA, 121, "c2:1", 1, "default");

    CU_ASSERT_EQUAL(rep.src.report_ms, 1000);
    CU_ASSERT_EQUAL(rep.report.base.partition_id, 601);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(nodes[i].addr, "c1:1") == 0) {
            CU_ASSERT_EQUAL(nodes[i].report_ms, 1000);
            CU_ASSERT_EQUAL(nodes[i].partition_count, 1);
        }
        CU_ASSERT_STRING_NOT_EQUAL(nodes[i].addr, "c2:1");
    }
    for (size_t z = 0; z < sum.nzones; z++) {
        for (size_t s = 0; s < sum.zones[z].nsets; s++) {
            const struct topo_set_view *v = &sum.zones[z].sets[s];
            for (uint32_t i = 0; i < v->set.count[TOPO_DATA]; i++) {
                CU_ASSERT_STRING_NOT_EQUAL(v->nodes[TOPO_DATA][i].addr, "c2:1");
            }
        }
    }
    free(nodes);
    topo_summary_free(&sum);
}

/* Registration fields change without losing heartbeat state; carry goes back from placement. */
static void test_put_node_and_placement_state(void)
{
    struct topo_node v;
    struct topo_node *nodes;
    size_t n;

    put_node(TOPO_DATA, 129, "a0:1", 1, "default");
    put_node(TOPO_DATA, 130, "r1:1", 1, "default");
    CU_ASSERT_EQUAL(dn_beat("r1:1", NULL, 4000, "", NULL), 0);
    {
        struct store_node rec = {.id = 130, .nodeset_id = 1, .rdonly = true, .to_be_offline = true};
        snprintf(rec.addr, sizeof(rec.addr), "r1:1");
        snprintf(rec.zone_name, sizeof(rec.zone_name), "default");
        CU_ASSERT_EQUAL(topo_put_node(t, TOPO_DATA, &rec), 0);
    }
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "r1:1", &v), 0);
    CU_ASSERT_TRUE(v.rdonly);
    CU_ASSERT_TRUE(v.decommissioning);
    CU_ASSERT_TRUE(v.active);
    CU_ASSERT_EQUAL(v.report_ms, 4000);

    CU_ASSERT_EQUAL_FATAL(topo_copy_nodes(t, TOPO_DATA, &nodes, &n), 0);
    for (size_t i = 0; i < n; i++) {
        nodes[i].carry = 0.5;
        nodes[i].selected_times = 3;
        if (i > 0) {
            CU_ASSERT(strcmp(nodes[i - 1].addr, nodes[i].addr) < 0);
        }
    }
    CU_ASSERT_STRING_EQUAL_FATAL(nodes[0].addr, "a0:1");
    CU_ASSERT_EQUAL(topo_remove_node(t, TOPO_DATA, "a0:1"), 0); /* gone: skipped */
    topo_put_placement(t, TOPO_DATA, nodes, n);
    CU_ASSERT_EQUAL(topo_get_node(t, TOPO_DATA, "r1:1", &v), 0);
    CU_ASSERT_EQUAL(v.carry, 0.5);
    CU_ASSERT_EQUAL(v.selected_times, 3);
    free(nodes);
}

static void test_nodesets_and_summary(void)
{
    struct topo *saved = t;
    struct topo_nodeset *sets;
    struct topo_summary sum;
    size_t n;

    CU_ASSERT_EQUAL_FATAL(topo_new(&t), 0);
    CU_ASSERT_EQUAL(topo_summarize(t, &sum), 0);
    CU_ASSERT_EQUAL(sum.nzones, 0);
    topo_summary_free(&sum);

    put_set(3, "zb");
    put_set(1, "za");
    put_set(2, "za");
    put_node(TOPO_DATA, 10, "d2:1", 1, "za");
    put_node(TOPO_DATA, 11, "d1:1", 1, "za");
    put_node(TOPO_META, 12, "m1:1", 1, "za");
    put_node(TOPO_META, 13, "m2:1", 3, "zb");
    put_node(TOPO_DATA, 14, "d3:1", 9, "zc"); /* its nodeset record comes later */

    CU_ASSERT_EQUAL_FATAL(topo_copy_nodesets(t, &sets, &n), 0);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(sets[0].id, 1);
    CU_ASSERT_EQUAL(sets[0].count[TOPO_DATA], 2);
    CU_ASSERT_EQUAL(sets[0].count[TOPO_META], 1);
    CU_ASSERT_EQUAL(sets[1].count[TOPO_DATA], 0);
    CU_ASSERT_EQUAL(sets[3].id, 9);
    CU_ASSERT_EQUAL(sets[3].capacity, 0);
    CU_ASSERT_STRING_EQUAL(sets[3].zone, "zc");
    /* Registration in za: nodeset 2 has the most free data slots. */
    CU_ASSERT_EQUAL(placement_pick_nodeset(sets, n, "za", TOPO_DATA), 2);
    free(sets);

    CU_ASSERT_EQUAL_FATAL(topo_summarize(t, &sum), 0);
    CU_ASSERT_EQUAL_FATAL(sum.nzones, 3);
    CU_ASSERT_STRING_EQUAL(sum.zones[0].name, "za");
    CU_ASSERT_EQUAL_FATAL(sum.zones[0].nsets, 2);
    CU_ASSERT_EQUAL(sum.zones[0].sets[0].set.id, 1);
    CU_ASSERT_EQUAL(sum.zones[0].sets[0].set.capacity, 18);
    CU_ASSERT_EQUAL_FATAL(sum.zones[0].sets[0].set.count[TOPO_DATA], 2);
    CU_ASSERT_STRING_EQUAL(sum.zones[0].sets[0].nodes[TOPO_DATA][0].addr, "d1:1");
    CU_ASSERT_STRING_EQUAL(sum.zones[0].sets[0].nodes[TOPO_DATA][1].addr, "d2:1");
    CU_ASSERT_STRING_EQUAL(sum.zones[0].sets[0].nodes[TOPO_META][0].addr, "m1:1");
    CU_ASSERT_EQUAL(sum.zones[0].sets[1].set.id, 2);
    CU_ASSERT_PTR_NULL(sum.zones[0].sets[1].nodes[TOPO_DATA]);
    CU_ASSERT_STRING_EQUAL(sum.zones[1].name, "zb");
    CU_ASSERT_STRING_EQUAL(sum.zones[1].sets[0].nodes[TOPO_META][0].addr, "m2:1");
    CU_ASSERT_STRING_EQUAL(sum.zones[2].name, "zc");
    CU_ASSERT_STRING_EQUAL(sum.zones[2].sets[0].nodes[TOPO_DATA][0].addr, "d3:1");
    topo_summary_free(&sum);

    topo_clear(t);
    CU_ASSERT_EQUAL(topo_copy_nodesets(t, &sets, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(sets);
    topo_free(t);
    t = saved;
}

/* Heartbeats through topo, status over the copied replicas: a node that goes silent turns its
 * partition ReadOnly, and its next heartbeat turns it back (nothing sticky). */
static void test_status_follows_heartbeats(void)
{
    static const char hosts[3][STORE_ADDR_SIZE] = {"s1:1", "s2:1", "s3:1"};
    static const uint64_t ids[] = {701, 0};
    static const struct {
        uint64_t now;
        bool s3_beats;
        int8_t status;
    } steps[] = {
        {1000, true, DP_STATUS_READ_WRITE},   {7000, false, DP_STATUS_READ_WRITE},
        {19000, false, DP_STATUS_READ_WRITE}, {19001, false, DP_STATUS_READ_ONLY},
        {25000, false, DP_STATUS_READ_ONLY},  {31000, true, DP_STATUS_READ_WRITE},
    };

    for (int i = 0; i < 3; i++) {
        put_node(TOPO_DATA, (uint64_t)(140 + i), hosts[i], 1, "default");
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct status_dp_replica reps[4];
        struct status_dp_result res;
        struct topo_change *changes;
        size_t n;
        CU_ASSERT_EQUAL(dn_beat("s1:1", ids, steps[i].now, "", NULL), 0);
        CU_ASSERT_EQUAL(dn_beat("s2:1", ids, steps[i].now, "", NULL), 0);
        if (steps[i].s3_beats) {
            CU_ASSERT_EQUAL(dn_beat("s3:1", ids, steps[i].now, "", NULL), 0);
        }
        CU_ASSERT_EQUAL(topo_check_liveness(t, steps[i].now, TIMEOUT, &changes, &n), 0);
        free(changes);
        struct status_dp_input in = {
            .part = {hosts, 3, 3, steps[i].now, STATUS_DP_REPLICA_TIMEOUT_MS},
            .replicas = reps,
            .nreplicas = topo_dp_replicas(t, 701, reps, 4),
            .min_free = STATUS_DP_MIN_FREE,
        };
        status_dp(&in, &res);
        CU_ASSERT_EQUAL(res.sum.status, steps[i].status);
        if (steps[i].status == DP_STATUS_READ_ONLY) {
            CU_ASSERT_STRING_EQUAL(res.sum.reason, "s3:1: node inactive");
        }
    }
}

/* Heartbeats on two threads, copies and liveness on two others, all at once; run under ASan. */
#define STRESS_NODES  8
#define STRESS_ROUNDS 2000

struct stress_arg {
    int id;
    struct topo *t;
};

static void *stress_beats(void *p)
{
    const struct stress_arg *a = p;
    struct dn_partition_report reports[16];
    char addr[STORE_ADDR_SIZE];

    memset(reports, 0, sizeof(reports));
    for (int round = 0; round < STRESS_ROUNDS; round++) {
        int node = a->id * (STRESS_NODES / 2) + round % (STRESS_NODES / 2);
        struct dn_heartbeat_resp resp = {
            .status = TASK_SUCCEEDS, .reports = reports, .total = 100, .available = 50};
        resp.nreports = (uint32_t)(round % 16);
        for (uint32_t i = 0; i < resp.nreports; i++) {
            reports[i].partition_id = (uint64_t)(1 + (round + (int)i) % 24); /* shared ids */
            reports[i].partition_status = DP_STATUS_READ_WRITE;
        }
        snprintf(addr, sizeof(addr), "st%d:1", node);
        if (topo_apply_dn_heartbeat(a->t, addr, &resp, (uint64_t)round, NULL, NULL) != 0) {
            return (void *)1;
        }
    }
    return NULL;
}

static void *stress_reads(void *p)
{
    const struct stress_arg *a = p;

    for (int round = 0; round < STRESS_ROUNDS / 4; round++) {
        struct status_dp_replica reps[STRESS_NODES];
        struct topo_node *nodes;
        struct topo_summary sum;
        struct topo_change *changes;
        size_t n;
        if (topo_copy_nodes(a->t, TOPO_DATA, &nodes, &n) != 0 || n != STRESS_NODES) {
            return (void *)1;
        }
        topo_put_placement(a->t, TOPO_DATA, nodes, n);
        free(nodes);
        if (topo_dp_replicas(a->t, (uint64_t)(1 + round % 24), reps, STRESS_NODES) > STRESS_NODES) {
            return (void *)1;
        }
        if (topo_summarize(a->t, &sum) != 0) {
            return (void *)1;
        }
        topo_summary_free(&sum);
        if (topo_check_liveness(a->t, (uint64_t)round * 4, 100, &changes, &n) != 0) {
            return (void *)1;
        }
        free(changes);
    }
    return NULL;
}

static void test_concurrent_stress(void)
{
    struct topo *st;
    pthread_t threads[4];
    struct stress_arg args[4];
    struct status_dp_replica reps[STRESS_NODES];

    CU_ASSERT_EQUAL_FATAL(topo_new(&st), 0);
    for (int i = 0; i < STRESS_NODES; i++) {
        struct store_node rec = {.id = (uint64_t)(i + 1), .nodeset_id = 1};
        snprintf(rec.addr, sizeof(rec.addr), "st%d:1", i);
        snprintf(rec.zone_name, sizeof(rec.zone_name), "default");
        CU_ASSERT_EQUAL_FATAL(topo_put_node(st, TOPO_DATA, &rec), 0);
    }
    for (int i = 0; i < 4; i++) {
        args[i].id = i % 2;
        args[i].t = st;
        CU_ASSERT_EQUAL_FATAL(
            pthread_create(&threads[i], NULL, i < 2 ? stress_beats : stress_reads, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(threads[i], &rv);
        CU_ASSERT_PTR_NULL(rv);
    }
    /* Every node ends with a heartbeat of round 1999 - k, 15 reports or fewer: the index must
     * agree with the nodes' own reports. */
    for (uint64_t id = 1; id <= 24; id++) {
        size_t expect = 0;
        for (int i = 0; i < STRESS_NODES; i++) {
            struct status_dp_report *r;
            size_t n;
            char addr[STORE_ADDR_SIZE];
            snprintf(addr, sizeof(addr), "st%d:1", i);
            CU_ASSERT_EQUAL_FATAL(topo_copy_dp_reports(st, addr, &r, &n), 0);
            for (size_t j = 0; j < n; j++) {
                if (r[j].base.partition_id == id) {
                    expect++;
                    break;
                }
            }
            free(r);
        }
        CU_ASSERT_EQUAL(topo_dp_replicas(st, id, reps, STRESS_NODES), expect);
    }
    topo_free(st);
}

static const struct test_case cases[] = {
    {"heartbeat_applied", test_heartbeat_applied},
    {"heartbeat_rejected", test_heartbeat_rejected},
    {"meta_heartbeat", test_meta_heartbeat},
    {"liveness", test_liveness},
    {"partition_index", test_partition_index},
    {"copies_are_independent", test_copies_are_independent},
    {"put_node_and_placement_state", test_put_node_and_placement_state},
    {"nodesets_and_summary", test_nodesets_and_summary},
    {"status_follows_heartbeats", test_status_follows_heartbeats},
    {"concurrent_stress", test_concurrent_stress},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"topo", setup, teardown, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
