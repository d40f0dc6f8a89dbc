#include "master/cluster/placement.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define GIB (1ULL << 30)

/* A node in a table row: writable unless a flag says otherwise. */
struct spec {
    const char *addr;
    uint64_t nodeset;
    const char *zone; /* NULL means "default" */
    uint64_t free_gib;
    bool inactive;
    bool rdonly;
    bool decommissioning;
    uint64_t used_gib; /* meta nodes */
    uint32_t partitions;
};

#define MAX_NODES 64

static size_t make_nodes(enum topo_kind kind, const struct spec *specs, struct topo_node *out)
{
    size_t n = 0;

    for (; specs[n].addr != NULL; n++) {
        const struct spec *s = &specs[n];
        struct topo_node *v = &out[n];
        memset(v, 0, sizeof(*v));
        v->kind = kind;
        v->id = n + 1;
        v->nodeset_id = s->nodeset;
        snprintf(v->addr, sizeof(v->addr), "%s", s->addr);
        snprintf(v->zone, sizeof(v->zone), "%s", s->zone != NULL ? s->zone : "default");
        v->active = !s->inactive;
        v->reported = true;
        v->rdonly = s->rdonly;
        v->decommissioning = s->decommissioning;
        v->total = 1000 * GIB;
        if (kind == TOPO_DATA) {
            v->available = s->free_gib * GIB;
            v->used = v->total - v->available;
        } else {
            v->total = 16 * GIB;
            v->used = s->used_gib * GIB;
            v->available = v->total - v->used;
        }
        v->partition_count = s->partitions;
    }
    return n;
}

static struct placement_policy policy(void)
{
    struct placement_policy p;

    placement_policy_default(&p);
    return p;
}

static int choose(struct topo_node *nodes, size_t n, const struct placement_request *req,
                  uint64_t *rng, size_t *chosen, char *errmsg)
{
    struct placement_policy pol = policy();

    return placement_choose(nodes, n, req, &pol, rng, chosen, errmsg);
}

static const struct spec two_sets[] = {
    {.addr = "a1:1", 1, NULL, 500}, {.addr = "a2:1", 1, NULL, 500}, {.addr = "a3:1", 1, NULL, 500},
    {.addr = "a4:1", 1, NULL, 500}, {.addr = "b1:1", 2, NULL, 500}, {.addr = "b2:1", 2, NULL, 500},
    {.addr = "b3:1", 2, NULL, 500}, {.addr = "b4:1", 2, NULL, 500}, {.addr = NULL},
};

static void test_distinct_nodes_in_one_nodeset(void)
{
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, two_sets, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 3};
    uint64_t rng = 1;
    unsigned per_set[3] = {0};
    uint64_t selected = 0;

    for (int round = 0; round < 200; round++) {
        size_t chosen[3];
        char errmsg[ERRMSG_SIZE] = "";
        CU_ASSERT_EQUAL_FATAL(choose(nodes, n, &req, &rng, chosen, errmsg), 0);
        CU_ASSERT(chosen[0] != chosen[1] && chosen[1] != chosen[2] && chosen[0] != chosen[2]);
        CU_ASSERT_EQUAL(nodes[chosen[0]].nodeset_id, nodes[chosen[1]].nodeset_id);
        CU_ASSERT_EQUAL(nodes[chosen[0]].nodeset_id, nodes[chosen[2]].nodeset_id);
        per_set[nodes[chosen[0]].nodeset_id]++;
    }
    for (size_t i = 0; i < n; i++) {
        selected += nodes[i].selected_times;
        CU_ASSERT(nodes[i].carry >= 0 && nodes[i].carry <= 10);
    }
    CU_ASSERT_EQUAL(selected, 600);
    /* Equal nodesets share the load. */
    CU_ASSERT(per_set[1] > 70 && per_set[2] > 70);
}

/* Over many picks each node is chosen in proportion to its free space. */
static void test_prefers_free_space(void)
{
    static const struct spec specs[] = {
        {.addr = "n1:1", 1, NULL, 100},
        {.addr = "n2:1", 1, NULL, 200},
        {.addr = "n3:1", 1, NULL, 300},
        {.addr = "n4:1", 1, NULL, 400},
        {.addr = NULL},
    };
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 1};
    unsigned count[4] = {0};
    uint64_t rng = 42;

    for (int round = 0; round < 1000; round++) {
        size_t chosen[1];
        CU_ASSERT_EQUAL_FATAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        count[chosen[0]]++;
    }
    for (int i = 0; i < 4; i++) {
        unsigned expect = 100 * (unsigned)(i + 1);
        CU_ASSERT(count[i] + 10 >= expect && count[i] <= expect + 10);
    }

    /* Two replicas of four: still strictly more often the emptier nodes. */
    memset(count, 0, sizeof(count));
    n = make_nodes(TOPO_DATA, specs, nodes);
    req.replicas = 2;
    for (int round = 0; round < 1000; round++) {
        size_t chosen[2];
        CU_ASSERT_EQUAL_FATAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        count[chosen[0]]++;
        count[chosen[1]]++;
    }
    CU_ASSERT(count[0] < count[1] && count[1] < count[2] && count[2] < count[3]);
}

/* The same seed replays the same choices. */
static void test_seed_replays(void)
{
    struct topo_node a[MAX_NODES];
    struct topo_node b[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, two_sets, a);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 3};
    uint64_t rng_a = 7;
    uint64_t rng_b = 7;

    make_nodes(TOPO_DATA, two_sets, b);
    for (int round = 0; round < 20; round++) {
        size_t ca[3];
        size_t cb[3];
        CU_ASSERT_EQUAL(choose(a, n, &req, &rng_a, ca, NULL), 0);
        CU_ASSERT_EQUAL(choose(b, n, &req, &rng_b, cb, NULL), 0);
        CU_ASSERT_EQUAL(memcmp(ca, cb, sizeof(ca)), 0);
    }
}

static const struct spec mixed[] = {
    {.addr = "ok:1", 1, NULL, 500},
    {.addr = "down:1", 1, NULL, 500, .inactive = true},
    {.addr = "full:1", 1, NULL, 10},
    {.addr = "ro:1", 1, NULL, 500, .rdonly = true},
    {.addr = "leaving:1", 1, NULL, 500, .decommissioning = true},
    {.addr = "host:1", 1, NULL, 500},
    {.addr = NULL},
};

static void test_skips_unwritable(void)
{
    static const char exclude[1][STORE_ADDR_SIZE] = {"host:1"};
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, mixed, nodes);
    struct placement_request req = {
        .kind = TOPO_DATA, .replicas = 1, .exclude = exclude, .nexclude = 1};
    uint64_t rng = 3;

    for (int round = 0; round < 50; round++) {
        size_t chosen[1];
        CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        CU_ASSERT_STRING_EQUAL(nodes[chosen[0]].addr, "ok:1");
    }
}

static void test_failure_says_why(void)
{
    static const char exclude[1][STORE_ADDR_SIZE] = {"host:1"};
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, mixed, nodes);
    struct placement_request req = {
        .kind = TOPO_DATA, .replicas = 2, .zone = "default", .exclude = exclude, .nexclude = 1};
    char errmsg[ERRMSG_SIZE];
    size_t chosen[2];
    uint64_t rng = 3;
    double carry = nodes[0].carry;

    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no node set with 2 writable data nodes in zone default: "
                                   "nodeset 1 found 1 of 6 (1 excluded, 1 inactive, "
                                   "1 decommissioning, 1 rdonly, 1 low space)");
    CU_ASSERT_EQUAL(nodes[0].carry, carry); /* untouched on error */
    CU_ASSERT_EQUAL(nodes[0].selected_times, 0);
}

/* Several nodesets, any zone: the closest first, each with its zone. */
static void test_failure_lists_nodesets(void)
{
    static const struct spec specs[] = {
        {.addr = "a:1", 3, "z1", 500},
        {.addr = "b:1", 3, "z1", 1},
        {.addr = "c:1", 5, "z2", 500},
        {.addr = "d:1", 5, "z2", 500},
        {.addr = "e:1", 5, "z2", 500, .inactive = true},
        {.addr = NULL},
    };
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 3};
    char errmsg[ERRMSG_SIZE];
    size_t chosen[3];
    uint64_t rng = 3;

    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no node set with 3 writable data nodes in any zone: "
                                   "nodeset 5 (zone z2) found 2 of 3 (1 inactive); "
                                   "nodeset 3 (zone z1) found 1 of 2 (1 low space)");

    req.zone = "z9";
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no data nodes in zone z9");
    req.zone = NULL;
    CU_ASSERT_EQUAL(choose(nodes, 0, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no data nodes in any zone");
}

/* Many nodesets: the message stays within its buffer and says how many it left out. */
static void test_failure_message_bounded(void)
{
    struct spec specs[MAX_NODES + 1];
    char addrs[MAX_NODES][16];
    struct topo_node nodes[MAX_NODES];
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 3, .zone = "default"};
    char errmsg[ERRMSG_SIZE];
    size_t chosen[3];
    uint64_t rng = 3;
    size_t n;

    memset(specs, 0, sizeof(specs));
    for (int i = 0; i < 40; i++) {
        snprintf(addrs[i], sizeof(addrs[i]), "n%d:1", i);
        specs[i].addr = addrs[i];
        specs[i].nodeset = (uint64_t)(100 + i / 2);
        specs[i].free_gib = i % 2 == 0 ? 500 : 1;
    }
    n = make_nodes(TOPO_DATA, specs, nodes);
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT(strlen(errmsg) < ERRMSG_SIZE);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "nodeset 100 found 1 of 2 (1 low space); "));
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, " more node sets"));
}

static void test_zone_filter(void)
{
    static const struct spec specs[] = {
        {.addr = "a1:1", 1, "za", 900},
        {.addr = "a2:1", 1, "za", 900},
        {.addr = "b1:1", 2, "zb", 100},
        {.addr = "b2:1", 2, "zb", 100},
        {.addr = NULL},
    };
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 2, .zone = "zb"};
    uint64_t rng = 5;

    for (int round = 0; round < 20; round++) {
        size_t chosen[2];
        CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        CU_ASSERT_STRING_EQUAL(nodes[chosen[0]].zone, "zb");
        CU_ASSERT_STRING_EQUAL(nodes[chosen[1]].zone, "zb");
    }
}

/* Among qualifying nodesets, the draw is weighted by their writable free space. */
static void test_nodeset_draw_weighted(void)
{
    static const struct spec specs[] = {
        {.addr = "a1:1", 1, NULL, 100},
        {.addr = "a2:1", 1, NULL, 100},
        {.addr = "b1:1", 2, NULL, 300},
        {.addr = "b2:1", 2, NULL, 300},
        {.addr = NULL},
    };
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 2};
    unsigned in_b = 0;
    uint64_t rng = 11;

    for (int round = 0; round < 2000; round++) {
        size_t chosen[2];
        CU_ASSERT_EQUAL_FATAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        in_b += nodes[chosen[0]].nodeset_id == 2;
    }
    CU_ASSERT(in_b > 1400 && in_b < 1600); /* 3/4 of 2000 */
}

/* A replica move: the source's nodeset first, then its zone, then anywhere allowed. */
static void test_move_tiers(void)
{
    static const struct spec specs[] = {
        {.addr = "s1:1", 2, "za", 100},
        {.addr = "s2:1", 2, "za", 100},
        {.addr = "s3:1", 2, "za", 100},
        {.addr = "s4:1", 2, "za", 100},
        {.addr = "t1:1", 3, "za", 100},
        {.addr = "u1:1", 4, "zb", 900},
        {.addr = NULL},
    };
    static const char hosts[3][STORE_ADDR_SIZE] = {"s1:1", "s2:1", "s3:1"};
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {
        .kind = TOPO_DATA, .replicas = 1, .prefer_nodeset = 2, .exclude = hosts, .nexclude = 3};
    size_t chosen[1];
    uint64_t rng = 9;

    for (int round = 0; round < 10; round++) {
        CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        CU_ASSERT_STRING_EQUAL(nodes[chosen[0]].addr, "s4:1");
    }
    nodes[3].active = false; /* s4 down: stay in zone za */
    for (int round = 0; round < 10; round++) {
        CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        CU_ASSERT_STRING_EQUAL(nodes[chosen[0]].addr, "t1:1");
    }
    nodes[4].rdonly = true; /* t1 too: another zone */
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
    CU_ASSERT_STRING_EQUAL(nodes[chosen[0]].addr, "u1:1");
    req.zone = "za"; /* unless the volume is pinned to za */
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, NULL), -ENOSPC);
}

static void test_meta_rules(void)
{
    static const struct spec specs[] = {
        {.addr = "m1:1", 1, NULL, .used_gib = 2},
        {.addr = "m2:1", 1, NULL, .used_gib = 6},
        {.addr = "lowmem:1", 1, NULL, .used_gib = 15},
        {.addr = "hot:1", 1, NULL, .used_gib = 13},
        {.addr = "busy:1", 1, NULL, .used_gib = 1, .partitions = PLACEMENT_META_MAX_PARTITIONS},
        {.addr = NULL},
    };
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_META, specs, nodes);
    struct placement_request req = {.kind = TOPO_META, .replicas = 1};
    unsigned count[2] = {0};
    char errmsg[ERRMSG_SIZE];
    size_t chosen[3];
    uint64_t rng = 13;

    /* Free memory 14 GiB against 10 GiB. */
    for (int round = 0; round < 240; round++) {
        CU_ASSERT_EQUAL_FATAL(choose(nodes, n, &req, &rng, chosen, NULL), 0);
        CU_ASSERT_FATAL(chosen[0] < 2);
        count[chosen[0]]++;
    }
    CU_ASSERT(count[0] >= 135 && count[0] <= 145);
    req.replicas = 3;
    req.zone = "default";
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -ENOSPC);
    CU_ASSERT_STRING_EQUAL(errmsg, "no node set with 3 writable meta nodes in zone default: "
                                   "nodeset 1 found 2 of 5 (1 low memory, "
                                   "1 over memory threshold, 1 too many partitions)");
}

static void test_bad_replica_count(void)
{
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, two_sets, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 0};
    char errmsg[ERRMSG_SIZE];
    size_t chosen[STORE_MAX_HOSTS + 1];
    uint64_t rng = 1;

    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "replica count 0 is not in 1..8");
    req.replicas = STORE_MAX_HOSTS + 1;
    CU_ASSERT_EQUAL(choose(nodes, n, &req, &rng, chosen, errmsg), -EINVAL);
}

/* A small test disk: the threshold is a parameter. */
static void test_min_free_is_a_parameter(void)
{
    static const struct spec specs[] = {{.addr = "tiny:1", 1, NULL, 1}, {.addr = NULL}};
    struct topo_node nodes[MAX_NODES];
    size_t n = make_nodes(TOPO_DATA, specs, nodes);
    struct placement_request req = {.kind = TOPO_DATA, .replicas = 1};
    struct placement_policy pol = policy();
    size_t chosen[1];
    uint64_t rng = 1;

    CU_ASSERT_EQUAL(placement_choose(nodes, n, &req, &pol, &rng, chosen, NULL), -ENOSPC);
    pol.data_min_free = 512ULL << 20;
    CU_ASSERT_EQUAL(placement_choose(nodes, n, &req, &pol, &rng, chosen, NULL), 0);
}

static void test_pick_nodeset(void)
{
    static const struct topo_nodeset sets[] = {
        {.id = 1, .capacity = 18, .zone = "default", .count = {18, 2}},
        {.id = 2, .capacity = 18, .zone = "default", .count = {10, 17}},
        {.id = 3, .capacity = 18, .zone = "default", .count = {10, 0}},
        {.id = 4, .capacity = 18, .zone = "other", .count = {0, 0}},
        {.id = 5, .capacity = 0, .zone = "default", .count = {0, 0}},
    };
    static const struct {
        size_t nsets;
        const char *zone;
        enum topo_kind kind;
        uint64_t expect;
    } cases[] = {
        {5, "default", TOPO_DATA, 2}, /* 8 free in 2 and 3: the lower id */
        {5, "default", TOPO_META, 3}, /* 18 free */
        {5, "other", TOPO_DATA, 4},
        {1, "default", TOPO_DATA, 0}, /* full: a new nodeset is needed */
        {5, "nowhere", TOPO_META, 0},
        {0, "default", TOPO_DATA, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(placement_pick_nodeset(sets, cases[i].nsets, cases[i].zone, cases[i].kind),
                        cases[i].expect);
    }
    /* The free slots /nodeSet/list shows as CanAlloc{Meta,Data}NodeCnt. */
    CU_ASSERT_EQUAL(placement_nodeset_free(&sets[0], TOPO_DATA), 0);
    CU_ASSERT_EQUAL(placement_nodeset_free(&sets[0], TOPO_META), 16);
    CU_ASSERT_EQUAL(placement_nodeset_free(&sets[1], TOPO_META), 1);
    CU_ASSERT_EQUAL(placement_nodeset_free(&sets[4], TOPO_DATA), 0); /* capacity unknown */
}

static const struct test_case cases[] = {
    {"distinct_nodes_in_one_nodeset", test_distinct_nodes_in_one_nodeset},
    {"prefers_free_space", test_prefers_free_space},
    {"seed_replays", test_seed_replays},
    {"skips_unwritable", test_skips_unwritable},
    {"failure_says_why", test_failure_says_why},
    {"failure_lists_nodesets", test_failure_lists_nodesets},
    {"failure_message_bounded", test_failure_message_bounded},
    {"zone_filter", test_zone_filter},
    {"nodeset_draw_weighted", test_nodeset_draw_weighted},
    {"move_tiers", test_move_tiers},
    {"meta_rules", test_meta_rules},
    {"bad_replica_count", test_bad_replica_count},
    {"min_free_is_a_parameter", test_min_free_is_a_parameter},
    {"pick_nodeset", test_pick_nodeset},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"placement", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
