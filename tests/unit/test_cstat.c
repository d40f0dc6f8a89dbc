#include "master/cluster/cstat.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#define GIB CSTAT_GB

static struct topo_node node(enum topo_kind kind, uint64_t total_gib, double used_gib, bool active)
{
    struct topo_node n;

    memset(&n, 0, sizeof(n));
    n.kind = kind;
    n.active = active;
    n.reported = true;
    n.total = total_gib * GIB;
    n.used = (uint64_t)(used_gib * (double)GIB);
    n.available = n.total - n.used;
    return n;
}

static void test_ratio_and_round(void)
{
    char buf[16];

    cstat_ratio(1, 3, 3, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "0.333");
    cstat_ratio(2, 3, 2, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "0.67");
    cstat_ratio(5, 0, 3, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_DOUBLE_EQUAL(cstat_round(246.974, 2), 246.97, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(cstat_round(0.075, 2), 0.08, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(cstat_round(18.0, 2), 18.0, 1e-9);
}

static void test_total(void)
{
    struct topo_node nodes[2] = {node(TOPO_DATA, 100, 10.5, true), node(TOPO_DATA, 50, 2, false)};
    struct cstat_total t;

    /* The sample of a real v3.5 master: 246 GB, 18 used, ratio 0.076. */
    nodes[0].total = 246 * GIB + GIB / 2;
    nodes[0].used = 18 * GIB + GIB / 2;
    nodes[0].available = 71 * GIB;
    cstat_total(nodes, 1, &t);
    CU_ASSERT_EQUAL(t.total_gb, 246);
    CU_ASSERT_EQUAL(t.used_gb, 18);
    CU_ASSERT_EQUAL(t.avail_gb, 71);
    CU_ASSERT_EQUAL(t.increased_gb, 0);
    CU_ASSERT_STRING_EQUAL(t.used_ratio, "0.075");

    /* Inactive nodes count too: the figures are what the cluster has, not what is up. */
    nodes[0] = node(TOPO_DATA, 100, 10.5, true);
    cstat_total(nodes, 2, &t);
    CU_ASSERT_EQUAL(t.total_gb, 150);
    CU_ASSERT_EQUAL(t.used_gb, 12);
    CU_ASSERT_EQUAL(t.avail_gb, 137);
    CU_ASSERT_STRING_EQUAL(t.used_ratio, "0.083");

    cstat_total(NULL, 0, &t);
    CU_ASSERT_EQUAL(t.total_gb, 0);
    CU_ASSERT_STRING_EQUAL(t.used_ratio, "");
}

static void test_zone(void)
{
    struct topo_node data[3] = {node(TOPO_DATA, 100, 10, true), node(TOPO_DATA, 100, 95, true),
                                node(TOPO_DATA, 100, 0, false)};
    struct topo_node meta[1] = {node(TOPO_META, 8, 1, true)};
    struct topo_set_view sets[2];
    struct topo_zone_view zone = {"default", sets, 2};
    struct placement_policy policy;
    struct cstat_zone z;

    placement_policy_default(&policy);
    memset(sets, 0, sizeof(sets));
    sets[0].set.id = 1;
    sets[0].set.count[TOPO_DATA] = 2;
    sets[0].set.count[TOPO_META] = 1;
    sets[0].nodes[TOPO_DATA] = &data[0];
    sets[0].nodes[TOPO_META] = meta;
    sets[1].set.id = 2;
    sets[1].set.count[TOPO_DATA] = 1;
    sets[1].nodes[TOPO_DATA] = &data[2];

    cstat_zone(&zone, TOPO_DATA, &policy, &z);
    CU_ASSERT_EQUAL(z.total_nodes, 3);
    /* 95 GB used leaves 5 GB, under the 10 GB a writable data node needs; one is inactive. */
    CU_ASSERT_EQUAL(z.writable_nodes, 1);
    CU_ASSERT_DOUBLE_EQUAL(z.total_gb, 300, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(z.used_gb, 105, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(z.avail_gb, 195, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(z.used_ratio, 0.35, 1e-9);

    cstat_zone(&zone, TOPO_META, &policy, &z);
    CU_ASSERT_EQUAL(z.total_nodes, 1);
    CU_ASSERT_EQUAL(z.writable_nodes, 1);
    CU_ASSERT_DOUBLE_EQUAL(z.used_ratio, 0.13, 1e-9);

    /* An empty zone: zeros, not CubeFS's total of 1. */
    zone.nsets = 0;
    cstat_zone(&zone, TOPO_DATA, &policy, &z);
    CU_ASSERT_EQUAL(z.total_nodes, 0);
    CU_ASSERT_DOUBLE_EQUAL(z.total_gb, 0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(z.used_ratio, 0, 1e-9);
}

static const struct test_case cases[] = {
    {"ratio_and_round", test_ratio_and_round},
    {"total", test_total},
    {"zone", test_zone},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"cstat", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
