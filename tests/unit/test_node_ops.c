/* Pure parts of node_ops: the nodeset choice of a registration, the writability rules, the
 * CubeFS v3.5 node views (field sets in CubeFS's order, values from topo and the records), time
 * formatting, and topo's record of a data node's disks. */
#include "master/cluster/node_ops.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GIB (1ULL << 30)

/* --- nodeset choice ----------------------------------------------------------------------------
 */

static const struct topo_nodeset sets[] = {
    {.id = 1, .capacity = 3, .zone = "default", .count = {3, 1}},
    {.id = 4, .capacity = 3, .zone = "default", .count = {1, 3}},
    {.id = 7, .capacity = 3, .zone = "z2", .count = {0, 0}},
};

static void test_plan_picks_the_zone_set_with_room(void)
{
    struct node_ops_set_plan plan;
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "default", TOPO_DATA, 0, &plan, errmsg), 0);
    CU_ASSERT_EQUAL(plan.nodeset_id, 4);
    CU_ASSERT_FALSE(plan.create);
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "default", TOPO_META, 0, &plan, errmsg), 0);
    CU_ASSERT_EQUAL(plan.nodeset_id, 1);
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "z2", TOPO_DATA, 0, &plan, errmsg), 0);
    CU_ASSERT_EQUAL(plan.nodeset_id, 7);
}

static void test_plan_creates_when_full_or_new_zone(void)
{
    static const struct topo_nodeset full[] = {
        {.id = 1, .capacity = 3, .zone = "default", .count = {3, 0}},
        /* Known only from a node record: capacity 0, never chosen. */
        {.id = 2, .capacity = 0, .zone = "default", .count = {1, 0}},
    };
    struct node_ops_set_plan plan = {.nodeset_id = 99};
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(node_ops_plan_nodeset(full, 2, "default", TOPO_DATA, 0, &plan, errmsg), 0);
    CU_ASSERT_TRUE(plan.create);
    CU_ASSERT_EQUAL(plan.nodeset_id, 0);
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(full, 2, "other", TOPO_DATA, 0, &plan, errmsg), 0);
    CU_ASSERT_TRUE(plan.create);
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(NULL, 0, "default", TOPO_META, 0, &plan, errmsg), 0);
    CU_ASSERT_TRUE(plan.create);
}

static void test_plan_named_nodeset(void)
{
    struct node_ops_set_plan plan = {0};
    char errmsg[ERRMSG_SIZE] = "";

    /* A named nodeset is taken even when full, as CubeFS does. */
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "default", TOPO_DATA, 1, &plan, errmsg), 0);
    CU_ASSERT_EQUAL(plan.nodeset_id, 1);
    CU_ASSERT_FALSE(plan.create);
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "default", TOPO_DATA, 7, &plan, errmsg),
                    CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "nodeset 7 not found in zone default");
    CU_ASSERT_EQUAL(node_ops_plan_nodeset(sets, 3, "z2", TOPO_DATA, 99, &plan, errmsg),
                    CFS_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(errmsg, "nodeset 99 not found in zone z2");
}

/* --- rules
 * ---------------------------------------------------------------------------------------- */

static void test_policy_from_config_and_cluster(void)
{
    struct master_config cfg;
    struct store_cluster c = {0};
    struct placement_policy p;

    master_config_default(&cfg);
    cfg.meta_node_reserved_mem = 16ULL << 20; /* below CubeFS's floor: ignored */
    node_ops_policy(&cfg, &c, &p);
    CU_ASSERT_EQUAL(p.meta_reserved_mem, PLACEMENT_META_RESERVED_MEM);
    CU_ASSERT_DOUBLE_EQUAL(p.meta_threshold, PLACEMENT_META_THRESHOLD, 1e-9);
    CU_ASSERT_EQUAL(p.data_min_free, PLACEMENT_DATA_MIN_FREE);
    cfg.meta_node_reserved_mem = 2 * GIB;
    c.meta_node_threshold = 0.5f;
    node_ops_policy(&cfg, &c, &p);
    CU_ASSERT_EQUAL(p.meta_reserved_mem, 2 * GIB);
    CU_ASSERT_DOUBLE_EQUAL(p.meta_threshold, 0.5, 1e-6);
}

static struct topo_node data_node(uint64_t available)
{
    struct topo_node n = {.kind = TOPO_DATA, .id = 3, .nodeset_id = 1, .addr = "127.0.0.1:17310"};

    n.active = true;
    n.reported = true;
    n.total = 100 * GIB;
    n.available = available;
    n.used = n.total - available;
    return n;
}

static struct topo_node meta_node(uint64_t total, uint64_t used)
{
    struct topo_node n = {.kind = TOPO_META, .id = 2, .nodeset_id = 1, .addr = "127.0.0.1:17210"};

    n.active = true;
    n.reported = true;
    n.total = total;
    n.used = used;
    n.available = total - used;
    return n;
}

static void test_writable_follows_placement_rules(void)
{
    struct placement_policy p;
    struct topo_node n;

    placement_policy_default(&p);
    n = data_node(50 * GIB);
    CU_ASSERT_TRUE(placement_writable(&n, &p));
    n = data_node(10 * GIB); /* must be above 10 GiB */
    CU_ASSERT_FALSE(placement_writable(&n, &p));
    n = data_node(50 * GIB);
    n.active = false;
    CU_ASSERT_FALSE(placement_writable(&n, &p));
    n = data_node(50 * GIB);
    n.rdonly = true;
    CU_ASSERT_FALSE(placement_writable(&n, &p));
    n = data_node(50 * GIB);
    n.decommissioning = true;
    CU_ASSERT_FALSE(placement_writable(&n, &p));
    n = meta_node(8 * GIB, 1 * GIB);
    CU_ASSERT_TRUE(placement_writable(&n, &p));
    n = meta_node(8 * GIB, 7 * GIB); /* over the 0.75 threshold */
    CU_ASSERT_FALSE(placement_writable(&n, &p));
    n = meta_node(GIB + GIB / 2, GIB / 2 + 1); /* 1 GiB reserve not left */
    CU_ASSERT_FALSE(placement_writable(&n, &p));
}

/* --- time
 * ------------------------------------------------------------------------------------------ */

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void test_format_time(void)
{
    char buf[40];

    set_tz("UTC");
    node_ops_format_time(0, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00Z");
    node_ops_format_time(1795374237, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-22T19:03:57Z");
    set_tz("CST-8");
    node_ops_format_time(1795374237, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-23T03:03:57+08:00");
    set_tz("EST5");
    node_ops_format_time(1795374237, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "2026-11-22T14:03:57-05:00");
    set_tz("UTC");
}

/* --- views
 * ----------------------------------------------------------------------------------------- */

/* The object's keys, in order, are exactly keys (NULL-terminated). */
static void assert_keys(const json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *v;
    size_t i = 0;

    CU_ASSERT_FATAL(json_is_object(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        (void)v;
        CU_ASSERT_PTR_NOT_NULL_FATAL(keys[i]);
        if (strcmp(key, keys[i]) != 0) {
            fprintf(stderr, "key %zu: got %s, want %s\n", i, key, keys[i]);
        }
        CU_ASSERT_STRING_EQUAL(key, keys[i]);
        i++;
    }
    CU_ASSERT_PTR_NULL(keys[i]);
}

static uint64_t u64_of(const json_t *obj, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(obj, key));
}

static const char *str_of(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "(not a string)";
}

static struct node_ops_view_env view_env(void)
{
    struct node_ops_view_env env = {0};

    placement_policy_default(&env.policy);
    env.meta_threshold = 0.75f;
    env.max_dp_count = 3000;
    env.max_mp_count = 300;
    env.now_ms = 100000;
    env.now_wall_s = 1795374237;
    return env;
}

static const struct store_node dn_rec = {
    .id = 3,
    .nodeset_id = 1,
    .addr = "127.0.0.1:17310",
    .zone_name = "default",
    .heartbeat_port = 17330,
    .replica_port = 17340,
    .media_type = 1,
};

static const char *const node_view_keys[] = {
    "Addr", "Status", "DomainAddr", "ID", "IsWritable", "MediaType", "ForbidWriteOpOfProtoVer0",
    NULL,
};

static void test_node_view_like_sample(void)
{
    struct node_ops_view_env env = view_env();
    struct topo_node n = data_node(50 * GIB);
    struct node_ops_source src = {.rec = &dn_rec, .node = &n};
    json_t *v = node_ops_node_view(&src, &env);
    char *text;

    assert_keys(v, node_view_keys);
    text = json_dumps(v, JSON_COMPACT);
    CU_ASSERT_STRING_EQUAL(text,
                           "{\"Addr\":\"127.0.0.1:17310\",\"Status\":true,\"DomainAddr\":\"\","
                           "\"ID\":3,\"IsWritable\":true,\"MediaType\":1,"
                           "\"ForbidWriteOpOfProtoVer0\":false}");
    free(text);
    json_decref(v);
    /* A registered node topo does not know (yet): inactive, not writable. */
    src.node = NULL;
    v = node_ops_node_view(&src, &env);
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "Status")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "IsWritable")));
    json_decref(v);
}

static const char *const dn_info_keys[] = {
    "TotalWeight",
    "UsedWeight",
    "AvailableSpace",
    "ID",
    "Zone",
    "Addr",
    "RaftHeartbeatPort",
    "RaftReplicaPort",
    "DomainAddr",
    "ReportTime",
    "IsActive",
    "ToBeOffline",
    "IsWriteAble",
    "UsageRatio",
    "SelectedTimes",
    "DataPartitionReports",
    "DataPartitionCount",
    "NodeSetID",
    "PersistenceDataPartitions",
    "PersistenceDataPartitionsWithDiskPath",
    "AllDisks",
    "BadDisks",
    "LostDisks",
    "RdOnly",
    "CanAllocPartition",
    "maxDpCntLimit",
    "cpuUtil",
    "ioUtil",
    "DecommissionedDisk",
    "DecommissionSuccessDisk",
    "BackupDataPartitions",
    "MediaType",
    "DiskOpLogs",
    "DpOpLogs",
    NULL,
};

static const char *const dp_report_keys[] = {
    "VolName",
    "PartitionID",
    "PartitionStatus",
    "Total",
    "Used",
    "DiskPath",
    "IsLeader",
    "ExtentCount",
    "NeedCompare",
    "DecommissionRepairProgress",
    "LocalPeers",
    "TriggerDiskError",
    "ForbidWriteOpOfProtoVer0",
    "ReadOnlyReasons",
    "IsMissingTinyExtent",
    "IsRepairing",
    NULL,
};

static const struct status_dp_report dp_reports[] = {
    {.base = {.partition_id = 5, .status = 2, .is_leader = true},
     .total = 120 * GIB,
     .used = 4096,
     .extent_count = 64,
     .disk_path = "/d1"},
    {.base = {.partition_id = 9, .status = 1},
     .total = 120 * GIB,
     .used = 0,
     .extent_count = 3,
     .disk_path = "/d2"},
};

static const char report_vols[][STORE_NAME_SIZE] = {"vol1", ""};

static const struct node_ops_hosted dn_hosted[] = {{5, "/d1"}, {6, "/d2"}};

static const struct topo_disk disks[] = {
    {.path = "/d1", .total = 60 * GIB, .used = 10 * GIB, .available = 50 * GIB, .status = 2},
    {.path = "/d2", .status = -1, .bad = true},
};

static void test_data_node_info(void)
{
    struct node_ops_view_env env = view_env();
    struct topo_node n = data_node(50 * GIB);
    struct node_ops_source src = {
        .rec = &dn_rec,
        .node = &n,
        .hosted = dn_hosted,
        .nhosted = 2,
        .reports = dp_reports,
        .report_vols = report_vols,
        .nreports = 2,
        .disks = disks,
        .ndisks = 2,
    };
    json_t *v, *reports, *with_disk;

    set_tz("UTC");
    n.report_ms = env.now_ms - 2500; /* 2.5 s ago */
    n.partition_count = 2;
    n.selected_times = 7;
    v = node_ops_data_node_info(&src, &env);
    assert_keys(v, dn_info_keys);
    CU_ASSERT_EQUAL(u64_of(v, "TotalWeight"), 100 * GIB);
    CU_ASSERT_EQUAL(u64_of(v, "UsedWeight"), 50 * GIB);
    CU_ASSERT_EQUAL(u64_of(v, "AvailableSpace"), 50 * GIB);
    CU_ASSERT_EQUAL(u64_of(v, "ID"), 3);
    CU_ASSERT_STRING_EQUAL(str_of(v, "Zone"), "default");
    CU_ASSERT_STRING_EQUAL(str_of(v, "RaftHeartbeatPort"), "17330");
    CU_ASSERT_STRING_EQUAL(str_of(v, "RaftReplicaPort"), "17340");
    CU_ASSERT_STRING_EQUAL(str_of(v, "ReportTime"), "2026-11-22T19:03:55Z");
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "IsActive")));
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "IsWriteAble")));
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "CanAllocPartition")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "ToBeOffline")));
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(v, "UsageRatio")), 0.5, 1e-9);
    CU_ASSERT_EQUAL(u64_of(v, "SelectedTimes"), 7);
    CU_ASSERT_EQUAL(u64_of(v, "DataPartitionCount"), 2);
    CU_ASSERT_EQUAL(u64_of(v, "NodeSetID"), 1);
    CU_ASSERT_EQUAL(u64_of(v, "maxDpCntLimit"), 3000);
    CU_ASSERT_EQUAL(u64_of(v, "MediaType"), 1);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "PersistenceDataPartitions")), 2);
    CU_ASSERT_EQUAL(
        json_integer_value(json_array_get(json_object_get(v, "PersistenceDataPartitions"), 1)), 6);
    with_disk = json_object_get(v, "PersistenceDataPartitionsWithDiskPath");
    CU_ASSERT_EQUAL(u64_of(json_array_get(with_disk, 0), "PartitionId"), 5);
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(with_disk, 1), "Disk"), "/d2");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "AllDisks")), 2);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "BadDisks")), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(v, "BadDisks"), 0)),
                           "/d2");
    CU_ASSERT_TRUE(json_is_null(json_object_get(v, "LostDisks")));
    reports = json_object_get(v, "DataPartitionReports");
    CU_ASSERT_EQUAL_FATAL(json_array_size(reports), 2);
    assert_keys(json_array_get(reports, 0), dp_report_keys);
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(reports, 0), "VolName"), "vol1");
    CU_ASSERT_EQUAL(u64_of(json_array_get(reports, 0), "ExtentCount"), 64);
    CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(reports, 0), "IsLeader")));
    CU_ASSERT_EQUAL(
        json_integer_value(json_object_get(json_array_get(reports, 1), "PartitionStatus")), 1);
    json_decref(v);
}

static void test_data_node_info_before_any_report(void)
{
    struct node_ops_view_env env = view_env();
    struct store_node rec = dn_rec;
    struct node_ops_source src = {.rec = &rec};
    json_t *v;

    rec.heartbeat_port = 0;
    rec.replica_port = 0;
    rec.to_be_offline = true;
    v = node_ops_data_node_info(&src, &env);
    assert_keys(v, dn_info_keys);
    CU_ASSERT_STRING_EQUAL(str_of(v, "ReportTime"), "0001-01-01T00:00:00Z");
    CU_ASSERT_STRING_EQUAL(str_of(v, "RaftHeartbeatPort"), "");
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "IsActive")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "IsWriteAble")));
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "ToBeOffline")));
    CU_ASSERT_EQUAL(u64_of(v, "TotalWeight"), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "PersistenceDataPartitions")), 0);
    CU_ASSERT_TRUE(json_is_array(json_object_get(v, "DataPartitionReports")));
    json_decref(v);
}

static void test_can_alloc_respects_limit(void)
{
    struct node_ops_view_env env = view_env();
    struct topo_node n = data_node(50 * GIB);
    struct node_ops_source src = {.rec = &dn_rec, .node = &n};
    json_t *v;

    env.max_dp_count = 2;
    n.partition_count = 2;
    v = node_ops_data_node_info(&src, &env);
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "IsWriteAble")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "CanAllocPartition")));
    json_decref(v);
}

static const char *const mn_info_keys[] = {
    "ID",
    "Addr",
    "RaftHeartbeatPort",
    "RaftReplicaPort",
    "DomainAddr",
    "IsActive",
    "IsWriteAble",
    "Zone",
    "MaxMemAvailWeight",
    "TotalWeight",
    "UsedWeight",
    "Ratio",
    "SelectCount",
    "Threshold",
    "ReportTime",
    "MetaPartitionCount",
    "NodeSetID",
    "PersistenceMetaPartitions",
    "RdOnly",
    "CanAllowPartition",
    "maxMpCntLimit",
    "cpuUtil",
    NULL,
};

static void test_meta_node_info(void)
{
    static const struct store_node rec = {
        .id = 2, .nodeset_id = 1, .addr = "127.0.0.1:17210", .zone_name = "default"};
    static const struct node_ops_hosted hosted[] = {{1, ""}, {2, ""}, {3, ""}};
    struct node_ops_view_env env = view_env();
    struct topo_node n = meta_node(8 * GIB, 2 * GIB);
    struct node_ops_source src = {.rec = &rec, .node = &n, .hosted = hosted, .nhosted = 3};
    json_t *v;
    char *text;

    set_tz("UTC");
    n.report_ms = env.now_ms;
    n.partition_count = 3;
    v = node_ops_meta_node_info(&src, &env);
    assert_keys(v, mn_info_keys);
    CU_ASSERT_EQUAL(u64_of(v, "MaxMemAvailWeight"), 6 * GIB);
    CU_ASSERT_EQUAL(u64_of(v, "TotalWeight"), 8 * GIB);
    CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(v, "Ratio")), 0.25, 1e-9);
    CU_ASSERT_EQUAL(u64_of(v, "MetaPartitionCount"), 3);
    CU_ASSERT_EQUAL(u64_of(v, "maxMpCntLimit"), 300);
    CU_ASSERT_STRING_EQUAL(str_of(v, "ReportTime"), "2026-11-22T19:03:57Z");
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "IsWriteAble")));
    CU_ASSERT_TRUE(json_is_true(json_object_get(v, "CanAllowPartition")));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "PersistenceMetaPartitions")), 3);
    /* The float threshold prints as 0.75, not 0.75000000xx. */
    text = json_dumps(json_object_get(v, "Threshold"), JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    CU_ASSERT_STRING_EQUAL(text, "0.75");
    free(text);
    json_decref(v);
    n = meta_node(8 * GIB, 7 * GIB);
    v = node_ops_meta_node_info(&src, &env);
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "IsWriteAble")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(v, "CanAllowPartition")));
    json_decref(v);
}

static const char *const disk_keys[] = {
    "NodeId",
    "Address",
    "Path",
    "Status",
    "Total",
    "Used",
    "Available",
    "IOUtil",
    "TotalPartitionCnt",
    "DiskErrPartitionList",
    NULL,
};

static void test_disks_view(void)
{
    static const struct topo_disk more[] = {
        {.path = "/d1", .total = 60 * GIB, .used = 10 * GIB, .available = 50 * GIB, .status = 2},
        {.path = "/d2", .status = -1, .bad = true},
        {.path = "/d3", .status = 1},
        {.path = "/d4", .status = 0},
    };
    struct node_ops_source src = {
        .rec = &dn_rec, .reports = dp_reports, .report_vols = report_vols, .nreports = 2};
    json_t *v, *list;

    src.disks = more;
    src.ndisks = 4;
    v = node_ops_disks_view(&src);
    list = json_object_get(v, "Disks");
    CU_ASSERT_EQUAL_FATAL(json_array_size(list), 4);
    assert_keys(json_array_get(list, 0), disk_keys);
    CU_ASSERT_EQUAL(u64_of(json_array_get(list, 0), "NodeId"), 3);
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 0), "Address"), "127.0.0.1:17310");
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 0), "Path"), "/d1");
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 0), "Status"), "ReadWrite");
    CU_ASSERT_EQUAL(u64_of(json_array_get(list, 0), "Total"), 60 * GIB);
    CU_ASSERT_EQUAL(u64_of(json_array_get(list, 0), "Available"), 50 * GIB);
    CU_ASSERT_EQUAL(u64_of(json_array_get(list, 0), "TotalPartitionCnt"), 1);
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 1), "Status"), "Unavailable");
    CU_ASSERT_EQUAL(u64_of(json_array_get(list, 1), "TotalPartitionCnt"), 1);
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 2), "Status"), "ReadOnly");
    CU_ASSERT_STRING_EQUAL(str_of(json_array_get(list, 3), "Status"), "Recovering");
    json_decref(v);
    /* No disks reported (yet): Go's nil list. */
    src.ndisks = 0;
    v = node_ops_disks_view(&src);
    CU_ASSERT_TRUE(json_is_null(json_object_get(v, "Disks")));
    json_decref(v);
}

/* --- topo's disks
 * ----------------------------------------------------------------------------------- */

static void test_topo_keeps_disks_of_last_heartbeat(void)
{
    struct dn_disk_stat stats[2] = {
        {.disk_path = "/d1", .total = 100, .used = 10, .available = 80, .status = 2},
        {.disk_path = "/d2", .status = -1},
    };
    char bad[1][TASK_PATH_SIZE] = {"/d2"};
    struct dn_heartbeat_resp resp = {.status = TASK_SUCCEEDS};
    struct store_node rec = dn_rec;
    struct topo_disk *out = NULL;
    struct topo *t;
    size_t n = 9;

    CU_ASSERT_EQUAL_FATAL(topo_new(&t), 0);
    resp.disk_stats = stats;
    resp.ndisk_stats = 2;
    resp.bad_disks = bad;
    resp.nbad_disks = 1;
    CU_ASSERT_EQUAL(topo_put_disks(t, rec.addr, &resp), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL(topo_copy_disks(t, rec.addr, &out, &n), CFS_ENOTFOUND);
    CU_ASSERT_EQUAL_FATAL(topo_put_node(t, TOPO_DATA, &rec), 0);
    CU_ASSERT_EQUAL(topo_copy_disks(t, rec.addr, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(topo_put_disks(t, rec.addr, &resp), 0);
    CU_ASSERT_EQUAL_FATAL(topo_copy_disks(t, rec.addr, &out, &n), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(out[0].path, "/d1");
    CU_ASSERT_EQUAL(out[0].total, 100);
    CU_ASSERT_EQUAL(out[0].available, 80);
    CU_ASSERT_EQUAL(out[0].status, 2);
    CU_ASSERT_FALSE(out[0].bad);
    CU_ASSERT_TRUE(out[1].bad);
    free(out);
    /* The next heartbeat replaces the list. */
    resp.ndisk_stats = 1;
    resp.nbad_disks = 0;
    CU_ASSERT_EQUAL(topo_put_disks(t, rec.addr, &resp), 0);
    CU_ASSERT_EQUAL(topo_copy_disks(t, rec.addr, &out, &n), 0);
    CU_ASSERT_EQUAL(n, 1);
    free(out);
    topo_free(t);
}

static const struct test_case cases[] = {
    {"plan_picks_the_zone_set_with_room", test_plan_picks_the_zone_set_with_room},
    {"plan_creates_when_full_or_new_zone", test_plan_creates_when_full_or_new_zone},
    {"plan_named_nodeset", test_plan_named_nodeset},
    {"policy_from_config_and_cluster", test_policy_from_config_and_cluster},
    {"writable_follows_placement_rules", test_writable_follows_placement_rules},
    {"format_time", test_format_time},
    {"node_view_like_sample", test_node_view_like_sample},
    {"data_node_info", test_data_node_info},
    {"data_node_info_before_any_report", test_data_node_info_before_any_report},
    {"can_alloc_respects_limit", test_can_alloc_respects_limit},
    {"meta_node_info", test_meta_node_info},
    {"disks_view", test_disks_view},
    {"topo_keeps_disks_of_last_heartbeat", test_topo_keeps_disks_of_last_heartbeat},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"node_ops", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
