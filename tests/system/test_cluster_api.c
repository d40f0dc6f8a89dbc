/* System test of the cluster views and settings, users and metrics: one cfs-master, three
 * cfs-datanode and three cfs-metanode processes. getCluster shows the leader, its MasterNodes and
 * every node up and writable, in v3.5's field set; the topology and stat routes agree with it;
 * freeze, threshold and node info settings survive a master restart (SIGTERM, start); users are
 * created, listed, read and handed a volume; /metrics is valid Prometheus text with sensible
 * values; every route answers missing, malformed and unknown parameters with CubeFS's codes and
 * messages. Tests run in order and share the cluster. */
#include "tests/support/cluster_env.h"
#include "tests/support/prom_parse.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000
#define GIB     (1ULL << 30)

static struct cenv env;

static int suite_init(void)
{
    if (cenv_init(&env, "cluster_api", 1) != 0 || cenv_up(&env, 3, 3, WAIT_MS) != 0) {
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers --------------------------------------------------------------------------------- */

#define call_ok(path) cenv_ok(&env, "%s", path)

/* The answer of master 0 (the only one, so the leader) to a GET (body NULL) or POST. */
static int call_master(const char *path, const char *body, char *msg, size_t size, json_t **data)
{
    int code = -1;
    long status = cenv_http(&env, 0, path, body, &code, msg, size, data);

    if (status != 200) {
        fprintf(stderr, "%s: HTTP %ld\n", path, status);
        return -1;
    }
    return code;
}

/* The request answers code with msg (exactly, or starting with it when prefix) and null data. */
static void expect_error_at(const char *path, const char *body, int code, const char *msg,
                            bool prefix)
{
    char got[512] = "";
    json_t *data = NULL;
    int rv = call_master(path, body, got, sizeof(got), &data);
    bool same = prefix ? strncmp(got, msg, strlen(msg)) == 0 : strcmp(got, msg) == 0;

    if (rv != code || !same) {
        fprintf(stderr, "%s %s: got %d \"%s\", want %d \"%s\"\n", path, body != NULL ? body : "",
                rv, got, code, msg);
    }
    CU_ASSERT_EQUAL(rv, code);
    CU_ASSERT_TRUE(same);
    CU_ASSERT_PTR_NULL(data);
    json_decref(data);
}

static void expect_error(const char *path, int code, const char *msg)
{
    expect_error_at(path, NULL, code, msg, false);
}

static void expect_post_error(const char *path, const char *body, int code, const char *msg)
{
    expect_error_at(path, body, code, msg, false);
}

/* POST body to path; data of a code-0 answer (asserted). */
static json_t *post_ok(const char *path, const char *body)
{
    char msg[512] = "";
    json_t *data = NULL;
    int code = call_master(path, body, msg, sizeof(msg), &data);

    if (code != 0) {
        fprintf(stderr, "%s %s: code %d: %s\n", path, body, code, msg);
    }
    CU_ASSERT_EQUAL(code, 0);
    return data;
}

/* obj has exactly the keys of the NULL-terminated list. */
static void expect_keys(const json_t *obj, const char *const *keys)
{
    size_t n = 0;

    CU_ASSERT_TRUE_FATAL(json_is_object(obj));
    for (; keys[n] != NULL; n++) {
        if (json_object_get(obj, keys[n]) == NULL) {
            fprintf(stderr, "missing key %s\n", keys[n]);
        }
        CU_ASSERT_PTR_NOT_NULL(json_object_get(obj, keys[n]));
    }
    if (json_object_size(obj) != n) {
        char *text = json_dumps(obj, JSON_COMPACT);
        fprintf(stderr, "want %zu keys, got %s\n", n, text);
        free(text);
    }
    CU_ASSERT_EQUAL(json_object_size(obj), n);
}

static long long int_of(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static bool is_time_text(const char *s)
{
    static const char layout[] = "dddd-dd-dd dd:dd:dd";

    for (size_t i = 0; i < sizeof(layout) - 1; i++) {
        if (layout[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != layout[i]) {
            return false;
        }
    }
    return s[sizeof(layout) - 1] == '\0';
}

static bool is_alnum_of(const char *s, size_t len)
{
    size_t i = 0;

    while (isalnum((unsigned char)s[i])) {
        i++;
    }
    return i == len && s[i] == '\0';
}

static const char *const node_view_keys[] = {
    "Addr", "Status", "DomainAddr", "ID", "IsWritable", "MediaType", "ForbidWriteOpOfProtoVer0",
    NULL};

/* MasterNodes add which master leads and what the others are to Raft. */
static const char *const master_view_keys[] = {
    "Addr", "Status", "DomainAddr", "ID", "IsWritable", "MediaType", "ForbidWriteOpOfProtoVer0",
    "Role", NULL};

static json_t *find_addr(json_t *list, const char *addr)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (strcmp(cenv_str(v, "Addr"), addr) == 0) {
            return v;
        }
    }
    return NULL;
}

/* Every node of procs appears in list, up and writable, with the NodeView field set. */
static bool all_up(json_t *list, const struct cenv_proc *procs, size_t n)
{
    bool ok = json_array_size(list) == n;

    for (size_t i = 0; ok && i < n; i++) {
        json_t *v = find_addr(list, procs[i].addr);
        ok = v != NULL && json_is_true(json_object_get(v, "Status")) &&
             json_is_true(json_object_get(v, "IsWritable"));
    }
    return ok;
}

static bool cluster_all_up(struct cenv *e, void *arg)
{
    json_t *c = NULL;
    bool ok;

    (void)arg;
    if (cenv_call(e, "/admin/getCluster", &c, NULL, 0) != 0) {
        return false;
    }
    ok = all_up(json_object_get(c, "DataNodes"), e->datanodes, e->ndatanodes) &&
         all_up(json_object_get(c, "MetaNodes"), e->metanodes, e->nmetanodes);
    json_decref(c);
    return ok;
}

/* --- /admin/getCluster, /cluster/stat --------------------------------------------------------- */

static const char *const cluster_view_keys[] = {"Name",
                                                "CreateTime",
                                                "LeaderAddr",
                                                "DisableAutoAlloc",
                                                "ForbidMpDecommission",
                                                "MetaNodeThreshold",
                                                "Applied",
                                                "MaxDataPartitionID",
                                                "MaxMetaNodeID",
                                                "MaxMetaPartitionID",
                                                "VolDeletionDelayTimeHour",
                                                "MetaNodeGOGC",
                                                "DataNodeGOGC",
                                                "MarkDiskBrokenThreshold",
                                                "EnableAutoDpMetaRepair",
                                                "AutoDpMetaRepairParallelCnt",
                                                "EnableAutoDecommission",
                                                "AutoDecommissionDiskInterval",
                                                "DecommissionFirstHostDiskParallelLimit",
                                                "DecommissionLimit",
                                                "DecommissionDiskLimit",
                                                "DpRepairTimeout",
                                                "DpBackupTimeout",
                                                "DpTimeout",
                                                "MpTimeout",
                                                "DataNodeStatInfo",
                                                "MetaNodeStatInfo",
                                                "VolStatInfo",
                                                "BadPartitionIDs",
                                                "BadMetaPartitionIDs",
                                                "MasterNodes",
                                                "MetaNodes",
                                                "DataNodes",
                                                "StatOfStorageClass",
                                                "StatMigrateStorageClass",
                                                "ForbidWriteOpOfProtoVer0",
                                                "LegacyDataMediaType",
                                                "RaftPartitionCanUsingDifferentPortEnabled",
                                                "FlashNodes",
                                                "FlashNodeHandleReadTimeout",
                                                "FlashNodeReadDataNodeTimeout",
                                                "RemoteCacheTTL",
                                                "RemoteCacheReadTimeout",
                                                "RemoteCacheMultiRead",
                                                "FlashNodeTimeoutCount",
                                                "RemoteCacheSameZoneTimeout",
                                                "RemoteCacheSameRegionTimeout",
                                                "FlashHotKeyMissCount",
                                                "FlashReadFlowLimit",
                                                "FlashWriteFlowLimit",
                                                "FlashKeyFlowLimit",
                                                "RemoteClientFlowLimit",
                                                NULL};

static const char *const stat_info_keys[] = {"TotalGB",   "UsedGB",  "IncreasedGB",
                                             "UsedRatio", "AvailGB", NULL};

static void test_get_cluster(void)
{
    json_t *c, *masters, *m, *v;
    size_t i;

    /* Nodes turn writable once their first heartbeat figures are in. */
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, cluster_all_up, NULL, WAIT_MS));
    c = call_ok("/admin/getCluster");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    expect_keys(c, cluster_view_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(c, "Name"), "cenv");
    CU_ASSERT_STRING_EQUAL(cenv_str(c, "LeaderAddr"), env.masters[0].addr);
    CU_ASSERT_TRUE(is_time_text(cenv_str(c, "CreateTime")));
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(c, "MetaNodeThreshold")), 0.75, 1e-6);
    CU_ASSERT_TRUE(json_is_false(json_object_get(c, "DisableAutoAlloc")));
    CU_ASSERT_TRUE(int_of(c, "Applied") > 0);
    /* Six nodes and their nodesets took IDs from the common counter. */
    CU_ASSERT_TRUE(int_of(c, "MaxMetaNodeID") >= 7);
    CU_ASSERT_EQUAL(int_of(c, "VolDeletionDelayTimeHour"), 48);
    CU_ASSERT_STRING_EQUAL(cenv_str(c, "DpTimeout"), "5m0s");

    masters = json_object_get(c, "MasterNodes");
    CU_ASSERT_EQUAL_FATAL(json_array_size(masters), 1);
    m = json_array_get(masters, 0);
    expect_keys(m, master_view_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(m, "Role"), "leader");
    CU_ASSERT_STRING_EQUAL(cenv_str(m, "Addr"), env.masters[0].addr);
    CU_ASSERT_TRUE(json_is_true(json_object_get(m, "Status")));
    CU_ASSERT_EQUAL(int_of(m, "ID"), 1);
    CU_ASSERT_TRUE(json_is_false(json_object_get(m, "IsWritable")));

    json_array_foreach(json_object_get(c, "DataNodes"), i, v)
    {
        expect_keys(v, node_view_keys);
        CU_ASSERT_TRUE(int_of(v, "ID") > 0);
    }
    json_array_foreach(json_object_get(c, "MetaNodes"), i, v)
    {
        expect_keys(v, node_view_keys);
    }
    expect_keys(json_object_get(c, "DataNodeStatInfo"), stat_info_keys);
    expect_keys(json_object_get(c, "MetaNodeStatInfo"), stat_info_keys);
    /* Three data nodes on this machine's disk, three meta nodes of 8 GiB each. */
    CU_ASSERT_TRUE(int_of(json_object_get(c, "DataNodeStatInfo"), "TotalGB") > 0);
    CU_ASSERT_EQUAL(int_of(json_object_get(c, "MetaNodeStatInfo"), "TotalGB"), 24);
    CU_ASSERT_EQUAL(strlen(cenv_str(json_object_get(c, "MetaNodeStatInfo"), "UsedRatio")), 5);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "VolStatInfo")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "BadPartitionIDs")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "FlashNodes")), 0);
    json_decref(c);

    /* CubeFS's method rule: getCluster takes GET only. */
    CU_ASSERT_EQUAL(cenv_http(&env, 0, "/admin/getCluster", "", NULL, NULL, 0, NULL), 405);
}

static void test_cluster_stat(void)
{
    static const char *const zone_keys[] = {"TotalGB",    "UsedGB",        "AvailGB", "UsedRatio",
                                            "TotalNodes", "WritableNodes", NULL};
    json_t *s = call_ok("/cluster/stat");
    json_t *zone, *data, *meta;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    expect_keys(json_object_get(s, "DataNodeStatInfo"), stat_info_keys);
    expect_keys(json_object_get(s, "MetaNodeStatInfo"), stat_info_keys);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(s, "ZoneStatInfo")), 1);
    zone = json_object_get(json_object_get(s, "ZoneStatInfo"), "default");
    CU_ASSERT_PTR_NOT_NULL_FATAL(zone);
    data = json_object_get(zone, "DataNodeStat");
    meta = json_object_get(zone, "MetaNodeStat");
    expect_keys(data, zone_keys);
    expect_keys(meta, zone_keys);
    CU_ASSERT_EQUAL(int_of(data, "TotalNodes"), 3);
    CU_ASSERT_EQUAL(int_of(data, "WritableNodes"), 3);
    CU_ASSERT_EQUAL(int_of(meta, "TotalNodes"), 3);
    CU_ASSERT_EQUAL(int_of(meta, "WritableNodes"), 3);
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(meta, "TotalGB")), 24, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(meta, "AvailGB")),
                           24 - json_number_value(json_object_get(meta, "UsedGB")), 0.011);
    json_decref(s);
}

/* --- settings --------------------------------------------------------------------------------- */

static void expect_string_data(const char *path, const char *want)
{
    json_t *d = call_ok(path);

    CU_ASSERT_STRING_EQUAL(json_string_value(d) != NULL ? json_string_value(d) : "", want);
    json_decref(d);
}

static void test_freeze_and_threshold(void)
{
    json_t *c;

    expect_error("/cluster/freeze", 2, "parameter enable not found");
    expect_error("/cluster/freeze?enable=", 2, "parameter enable not found");
    expect_error("/cluster/freeze?enable=maybe", 2, "parameter enable not match");
    expect_string_data("/cluster/freeze?enable=true",
                       "set DisableAutoAllocate to true successfully");

    expect_error("/threshold/set", 2, "parameter threshold not found");
    expect_error("/threshold/set?threshold=abc", 2, "parameter threshold not match");
    expect_error("/threshold/set?threshold=1.5", 2, "parameter threshold not match");
    expect_error("/threshold/set?threshold=0", 2, "parameter threshold not match");
    expect_string_data("/threshold/set?threshold=0.8", "set threshold to 0.8 successfully");

    c = call_ok("/admin/getCluster");
    CU_ASSERT_TRUE(json_is_true(json_object_get(c, "DisableAutoAlloc")));
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(c, "MetaNodeThreshold")), 0.8, 1e-6);
    json_decref(c);
}

static const char *const node_info_keys[] = {
    "autoRepairRate",    "batchCount",    "deleteWorkerSleepMs",
    "dpMaxRepairErrCnt", "loadFactor",    "markDeleteRate",
    "maxDpCntLimit",     "maxMpCntLimit", NULL};

static void test_node_info(void)
{
    json_t *info = call_ok("/admin/getNodeInfo");

    /* v3.5's defaults, as strings. */
    expect_keys(info, node_info_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "batchCount"), "0");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "loadFactor"), "0");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "maxDpCntLimit"), "3000");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "maxMpCntLimit"), "300");
    json_decref(info);

    expect_error("/admin/setNodeInfo", 2, "parameter batchCount not found");
    /* cfs-cli sends every key, the unset ones empty. */
    expect_error("/admin/setNodeInfo?markDeleteRate=&deleteWorkerSleepMs=&autoRepairRate=&"
                 "loadFactor=&maxDpCntLimit=&maxMpCntLimit=&clientIDKey=&batchCount=",
                 2, "parameter batchCount not found");
    expect_error("/admin/setNodeInfo?batchCount=x", 2, "parameter batchCount not match");
    /* Above INT64_MAX: the store could not keep it, so it is refused before Raft. */
    expect_error("/admin/setNodeInfo?batchCount=9223372036854775808", 2,
                 "parameter batchCount not match");
    expect_error("/admin/setNodeInfo?maxDpCntLimit=-3", 2, "parameter maxDpCntLimit not match");
    expect_error("/admin/setNodeInfo?loadFactor=-1", 2, "parameter loadFactor not match");
    expect_string_data("/admin/setNodeInfo?markDeleteRate=&deleteWorkerSleepMs=&autoRepairRate=&"
                       "loadFactor=1.5&maxDpCntLimit=2000&maxMpCntLimit=&clientIDKey=&"
                       "batchCount=100",
                       "set nodeinfo params map[batchCount:100 loadFactor:1.5 maxDpCntLimit:2000] "
                       "successfully");
    expect_string_data("/admin/setNodeInfo?deleteWorkerSleepMs=7",
                       "set nodeinfo params map[deleteWorkerSleepMs:7] successfully");

    info = call_ok("/admin/getNodeInfo");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "batchCount"), "100");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "loadFactor"), "1.5");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "maxDpCntLimit"), "2000");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "maxMpCntLimit"), "300");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "deleteWorkerSleepMs"), "7");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "markDeleteRate"), "0");
    json_decref(info);
}

static bool restarted(struct cenv *e, void *arg)
{
    (void)arg;
    return cenv_wait_leader(e, 100) == 0;
}

/* What the settings routes wrote is in the cluster record: a restarted master has it all. */
static void test_settings_survive_restart(void)
{
    json_t *c, *info, *ip;

    /* It exits in time (its exit status is not the point here). */
    CU_ASSERT_NOT_EQUAL_FATAL(cenv_stop_master(&env, 0, SIGTERM), -1);
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&env, 0), 0);
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, restarted, NULL, WAIT_MS));

    c = call_ok("/admin/getCluster");
    CU_ASSERT_TRUE(json_is_true(json_object_get(c, "DisableAutoAlloc")));
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(c, "MetaNodeThreshold")), 0.8, 1e-6);
    json_decref(c);
    info = call_ok("/admin/getNodeInfo");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "batchCount"), "100");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "loadFactor"), "1.5");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "maxDpCntLimit"), "2000");
    CU_ASSERT_STRING_EQUAL(cenv_str(info, "deleteWorkerSleepMs"), "7");
    json_decref(info);
    /* Nodes learn the delete settings from getIp. */
    ip = call_ok("/admin/getIp");
    CU_ASSERT_EQUAL(int_of(ip, "MetaNodeDeleteBatchCount"), 100);
    CU_ASSERT_EQUAL(int_of(ip, "MetaNodeDeleteWorkerSleepMs"), 7);
    json_decref(ip);

    expect_string_data("/cluster/freeze?enable=false",
                       "set DisableAutoAllocate to false successfully");
    CU_ASSERT_TRUE(cenv_wait(&env, cluster_all_up, NULL, WAIT_MS));
}

/* --- topology -------------------------------------------------------------------------------- */

static uint64_t nodeset_id;

static void test_topology(void)
{
    static const char *const set_keys[] = {"DataNodeLen", "MetaNodeLen", "MetaNodes", "DataNodes",
                                           NULL};
    static const char *const stat_keys[] = {
        "ID",          "Capacity",    "Zone", "CanAllocMetaNodeCnt", "CanAllocDataNodeCnt",
        "MetaNodeNum", "DataNodeNum", NULL};
    static const char *const set_info_keys[] = {"ID",
                                                "Capacity",
                                                "Zone",
                                                "CanAllocMetaNodeCnt",
                                                "CanAllocDataNodeCnt",
                                                "MetaNodes",
                                                "DataNodes",
                                                "DataNodeSelector",
                                                "MetaNodeSelector",
                                                NULL};
    static const char *const node_stat_keys[] = {
        "Addr", "Status", "DomainAddr", "ID", "IsWritable", "Total", "Used", "Avail", NULL};
    json_t *topo = call_ok("/topo/get"), *zones, *zone, *sets, *set, *list, *info;
    const char *key;
    char path[64];

    zones = json_object_get(topo, "Zones");
    CU_ASSERT_EQUAL_FATAL(json_array_size(zones), 1);
    zone = json_array_get(zones, 0);
    CU_ASSERT_STRING_EQUAL(cenv_str(zone, "Name"), "default");
    CU_ASSERT_STRING_EQUAL(cenv_str(zone, "Status"), "available");
    sets = json_object_get(zone, "NodeSet");
    CU_ASSERT_EQUAL_FATAL(json_object_size(sets), 1);
    json_object_foreach(sets, key, set)
    {
        nodeset_id = strtoull(key, NULL, 10);
        expect_keys(set, set_keys);
        CU_ASSERT_EQUAL(int_of(set, "DataNodeLen"), 3);
        CU_ASSERT_EQUAL(int_of(set, "MetaNodeLen"), 3);
        CU_ASSERT_TRUE(all_up(json_object_get(set, "DataNodes"), env.datanodes, 3));
        CU_ASSERT_TRUE(all_up(json_object_get(set, "MetaNodes"), env.metanodes, 3));
        expect_keys(json_array_get(json_object_get(set, "DataNodes"), 0), node_view_keys);
    }
    json_decref(topo);

    list = call_ok("/zone/list");
    CU_ASSERT_EQUAL(json_array_size(list), 1);
    CU_ASSERT_STRING_EQUAL(cenv_str(json_array_get(list, 0), "Name"), "default");
    CU_ASSERT_EQUAL(json_object_size(json_object_get(json_array_get(list, 0), "NodeSet")), 0);
    json_decref(list);

    list = call_ok("/nodeSet/list");
    CU_ASSERT_EQUAL_FATAL(json_array_size(list), 1);
    expect_keys(json_array_get(list, 0), stat_keys);
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "ID"), (long long)nodeset_id);
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "DataNodeNum"), 3);
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "MetaNodeNum"), 3);
    /* Free slots: the default capacity (18) less the nodes of each kind. */
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "Capacity"), 18);
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "CanAllocDataNodeCnt"), 15);
    CU_ASSERT_EQUAL(int_of(json_array_get(list, 0), "CanAllocMetaNodeCnt"), 15);
    CU_ASSERT_STRING_EQUAL(cenv_str(json_array_get(list, 0), "Zone"), "default");
    json_decref(list);
    list = call_ok("/nodeSet/list?zoneName=default");
    CU_ASSERT_EQUAL(json_array_size(list), 1);
    json_decref(list);
    expect_error("/nodeSet/list?zoneName=nozone", 52, "zone not exists");

    snprintf(path, sizeof(path), "/nodeSet/get?nodesetId=%llu", (unsigned long long)nodeset_id);
    info = call_ok(path);
    expect_keys(info, set_info_keys);
    CU_ASSERT_EQUAL(int_of(info, "ID"), (long long)nodeset_id);
    CU_ASSERT_EQUAL(int_of(info, "CanAllocDataNodeCnt"), 15);
    CU_ASSERT_EQUAL(int_of(info, "CanAllocMetaNodeCnt"), 15);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(info, "DataNodes")), 3);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(info, "MetaNodes")), 3);
    expect_keys(json_array_get(json_object_get(info, "MetaNodes"), 0), node_stat_keys);
    CU_ASSERT_EQUAL(int_of(json_array_get(json_object_get(info, "MetaNodes"), 0), "Total"),
                    8LL << 30);
    json_decref(info);
    expect_error("/nodeSet/get", 2, "parameter nodesetId not found");
    expect_error("/nodeSet/get?nodesetId=x", 2, "parameter nodesetId not match");
    expect_error("/nodeSet/get?nodesetId=99999", 64, "node set 99999 not exists");
}

/* --- users and a volume ----------------------------------------------------------------------- */

static const char *const user_keys[] = {"user_id",     "access_key", "secret_key",
                                        "policy",      "user_type",  "create_time",
                                        "description", "EMPTY",      NULL};
static char alice_ak[32];

static void test_user_create(void)
{
    static const char *const policy_keys[] = {"own_vols", "authorized_vols", NULL};
    json_t *u = post_ok("/user/create?clientIDKey=",
                        "{\"id\":\"alice\",\"pwd\":\"\",\"ak\":\"\",\"sk\":\"\",\"type\":3,"
                        "\"description\":\"\"}");
    char body[256];

    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    expect_keys(u, user_keys);
    expect_keys(json_object_get(u, "policy"), policy_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "user_id"), "alice");
    CU_ASSERT_TRUE(is_alnum_of(cenv_str(u, "access_key"), 16));
    CU_ASSERT_TRUE(is_alnum_of(cenv_str(u, "secret_key"), 32));
    CU_ASSERT_EQUAL(int_of(u, "user_type"), 3);
    CU_ASSERT_TRUE(is_time_text(cenv_str(u, "create_time")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(u, "EMPTY")));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(u, "policy"), "own_vols")), 0);
    snprintf(alice_ak, sizeof(alice_ak), "%s", cenv_str(u, "access_key"));
    json_decref(u);

    /* CubeFS's CI creates its user with given keys. */
    u = post_ok("/user/create", "{\"id\":\"ltptest\",\"pwd\":\"\",\"ak\":\"39bEF4RrAQgMj6RV\","
                                "\"sk\":\"TRL6o3JL16YOqvZGIohBDFTHZDEcFsyd\",\"type\":2,"
                                "\"description\":\"ci user\"}");
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "access_key"), "39bEF4RrAQgMj6RV");
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "secret_key"), "TRL6o3JL16YOqvZGIohBDFTHZDEcFsyd");
    CU_ASSERT_EQUAL(int_of(u, "user_type"), 2);
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "description"), "ci user");
    json_decref(u);

    expect_post_error("/user/create", "{\"id\":\"alice\",\"type\":3}", 45, "duplicate user id");
    snprintf(body, sizeof(body), "{\"id\":\"bob\",\"ak\":\"%s\",\"type\":3}", alice_ak);
    expect_post_error("/user/create", body, 49, "duplicate access key");
    expect_error_at("/user/create", "{\"id\":", 2, "", true);
    expect_error_at("/user/create", "", 2, "", true);
    expect_post_error("/user/create", "{\"type\":3}", 55, "invalid user ID");
    expect_post_error("/user/create", "{\"id\":\"9lives\",\"type\":3}", 55, "invalid user ID");
    expect_post_error("/user/create", "{\"id\":\"bob\",\"type\":1}", 56, "invalid user type");
    expect_post_error("/user/create", "{\"id\":\"bob\"}", 56, "invalid user type");
    expect_post_error("/user/create", "{\"id\":\"bob\",\"type\":3,\"ak\":\"short\"}", 59,
                      "invalid access key");
    expect_post_error("/user/create", "{\"id\":\"bob\",\"type\":3,\"sk\":\"s-k\"}", 60,
                      "invalid secret key");
    expect_error_at("/user/create", "{\"id\":\"bob\",\"type\":\"three\"}", 2, "type", true);
    /* Creation is a POST. */
    CU_ASSERT_EQUAL(cenv_http(&env, 0, "/user/create", NULL, NULL, NULL, 0, NULL), 405);
}

static void test_user_info_and_list(void)
{
    json_t *u = call_ok("/user/info?user=alice"), *list;
    size_t i;
    json_t *v;

    expect_keys(u, user_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "access_key"), alice_ak);
    json_decref(u);
    expect_error("/user/info", 2, "parameter user not found");
    expect_error("/user/info?user=nobody", 46, "user not exists");

    list = call_ok("/user/list?keywords=ali");
    CU_ASSERT_EQUAL(json_array_size(list), 1);
    CU_ASSERT_STRING_EQUAL(cenv_str(json_array_get(list, 0), "user_id"), "alice");
    json_decref(list);
    list = call_ok("/user/list?keywords=");
    CU_ASSERT_TRUE(json_array_size(list) >= 2);
    json_array_foreach(list, i, v)
    {
        expect_keys(v, user_keys);
    }
    json_decref(list);
    list = call_ok("/user/list");
    CU_ASSERT_TRUE(json_array_size(list) >= 2);
    json_decref(list);
}

/* createVol comes from another route group: retry while nodes settle. */
static bool vol_created(struct cenv *e, void *arg)
{
    char msg[512] = "";
    json_t *data = NULL;
    int code = cenv_call(e, arg, &data, msg, sizeof(msg));

    json_decref(data);
    if (code != 0) {
        fprintf(stderr, "createVol: %d %s\n", code, msg);
    }
    return code == 0;
}

static json_t *own_vols(const char *user)
{
    char path[64];
    json_t *u, *vols;

    snprintf(path, sizeof(path), "/user/info?user=%s", user);
    u = call_ok(path);
    vols = json_incref(json_object_get(json_object_get(u, "policy"), "own_vols"));
    json_decref(u);
    return vols;
}

static void expect_owner(const char *vol, const char *owner)
{
    char path[64];
    json_t *v;

    snprintf(path, sizeof(path), "/admin/getVol?name=%s", vol);
    v = call_ok(path);
    CU_ASSERT_STRING_EQUAL(cenv_str(v, "Owner"), owner);
    json_decref(v);
}

static void test_transfer_vol(void)
{
    json_t *u, *vols, *c, *stat = NULL;
    size_t i;
    json_t *v;

    CU_ASSERT_TRUE_FATAL(
        cenv_wait(&env, vol_created, "/admin/createVol?name=vol1&capacity=10&owner=cfs", WAIT_MS));
    /* createVol made the owner a user, who owns the volume. */
    vols = own_vols("cfs");
    CU_ASSERT_EQUAL(json_array_size(vols), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(vols, 0)), "vol1");
    json_decref(vols);

    expect_post_error("/user/transferVol", "{\"user_src\":\"cfs\",\"user_dst\":\"alice\"}", 2,
                      "parameter volume not found");
    expect_post_error("/user/transferVol", "{\"volume\":\"vol1\",\"user_src\":\"cfs\"}", 2,
                      "parameter user_dst not found");
    expect_error_at("/user/transferVol", "[1,2", 2, "", true);
    expect_post_error("/user/transferVol",
                      "{\"volume\":\"nosuchvol\",\"user_src\":\"cfs\",\"user_dst\":\"alice\"}", 7,
                      "vol not exists");
    expect_error_at("/user/transferVol",
                    "{\"volume\":\"vol1\",\"user_src\":\"ltptest\",\"user_dst\":\"alice\"}", 50,
                    "no vol policy: vol vol1 is owned by cfs, not ltptest", false);
    expect_post_error("/user/transferVol",
                      "{\"volume\":\"vol1\",\"user_src\":\"cfs\",\"user_dst\":\"nobody\"}", 46,
                      "user not exists");

    u = post_ok(
        "/user/transferVol?clientIDKey=",
        "{\"volume\":\"vol1\",\"user_src\":\"cfs\",\"user_dst\":\"alice\",\"force\":false}");
    expect_keys(u, user_keys);
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "user_id"), "alice");
    vols = json_object_get(json_object_get(u, "policy"), "own_vols");
    CU_ASSERT_EQUAL(json_array_size(vols), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(vols, 0)), "vol1");
    json_decref(u);
    expect_owner("vol1", "alice");
    vols = own_vols("cfs");
    CU_ASSERT_EQUAL(json_array_size(vols), 0);
    json_decref(vols);

    /* force takes it from whoever owns it. */
    u = post_ok("/user/transferVol",
                "{\"volume\":\"vol1\",\"user_src\":\"ltptest\",\"user_dst\":\"ltptest\","
                "\"force\":true}");
    CU_ASSERT_STRING_EQUAL(cenv_str(u, "user_id"), "ltptest");
    json_decref(u);
    expect_owner("vol1", "ltptest");

    /* The volume shows in the cluster view and the upgrade settings. */
    c = call_ok("/admin/getCluster");
    json_array_foreach(json_object_get(c, "VolStatInfo"), i, v)
    {
        if (strcmp(cenv_str(v, "Name"), "vol1") == 0) {
            stat = v;
        }
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(stat);
    CU_ASSERT_EQUAL(int_of(stat, "TotalSize"), (long long)(10 * GIB));
    CU_ASSERT_STRING_EQUAL(cenv_str(stat, "UsedRatio"), "0.000");
    CU_ASSERT_EQUAL(int_of(stat, "DefaultStorageClass"), 1);
    CU_ASSERT_TRUE(int_of(c, "MaxDataPartitionID") > 0);
    CU_ASSERT_TRUE(int_of(c, "MaxMetaPartitionID") > 0);
    json_decref(c);

    c = call_ok("/admin/getUpgradeCompatibleSettings");
    CU_ASSERT_EQUAL(json_object_size(c), 4);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(c, "VolsForbidWriteOpOfProtoVer0")), 1);
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_array_get(json_object_get(c, "VolsForbidWriteOpOfProtoVer0"), 0)),
        "vol1");
    CU_ASSERT_TRUE(json_is_true(json_object_get(c, "DataMediaTypeVaild")));
    json_decref(c);
}

/* --- /metrics -------------------------------------------------------------------------------- */

/* GET /metrics of the master at addr: the parsed samples (*n of them), with the status and content
 * type asserted; NULL when it could not be fetched or parsed. */
static struct prom_parsed *scrape(const char *addr, size_t *n)
{
    struct cenv_reply r;
    struct prom_parsed *s = NULL;
    char errmsg[256] = "";

    CU_ASSERT_EQUAL(cenv_request(addr, "/metrics", NULL, NULL, false, &r), 200);
    CU_ASSERT_EQUAL(strncmp(r.ctype, "text/plain; version=0.0.4", 25), 0);
    if (r.body != NULL && prom_parse(r.body, &s, n, errmsg, sizeof(errmsg)) != 0) {
        fprintf(stderr, "/metrics is not valid: %s\n", errmsg);
    }
    CU_ASSERT_PTR_NOT_NULL(s);
    cenv_reply_clear(&r);
    return s;
}

static double metric(const struct prom_parsed *s, size_t n, const char *name, const char *match)
{
    double v = -1;

    if (!prom_find(s, n, name, match, &v)) {
        fprintf(stderr, "no sample %s{%s}\n", name, match != NULL ? match : "");
    }
    return v;
}

static bool partitions_counted(struct cenv *e, void *arg)
{
    struct prom_parsed *s;
    size_t n = 0;
    double v = 0;

    (void)e;
    (void)arg;
    s = scrape(env.masters[0].addr, &n);
    prom_find(s, n, "cfs_master_partitions", "kind=data,status=ReadWrite", &v);
    free(s);
    return v >= 1;
}

static void test_metrics(void)
{
    struct prom_parsed *s;
    double requests, count;
    size_t n = 0;

    CU_ASSERT_TRUE(cenv_wait(&env, partitions_counted, NULL, WAIT_MS));
    s = scrape(env.masters[0].addr, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    requests = metric(s, n, "cfs_master_http_requests_total", "path=/admin/getCluster");
    count =
        metric(s, n, "cfs_master_http_request_duration_seconds_count", "path=/admin/getCluster");
    CU_ASSERT_TRUE(requests >= 1);
    CU_ASSERT_EQUAL(requests, count);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_http_request_duration_seconds_bucket",
                          "path=/admin/getCluster,le=+Inf") == count);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_http_requests_total", "path=/user/create") >= 10);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_raft_applied_index", NULL) > 0);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_raft_last_index", NULL) >=
                   metric(s, n, "cfs_master_raft_applied_index", NULL));
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_raft_term", NULL) >= 1);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_raft_members", NULL), 1);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_is_leader", NULL), 1);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_leader_ready", NULL), 1);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_nodes", "kind=data,state=active"), 3);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_nodes", "kind=meta,state=active"), 3);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_nodes", "kind=data,state=inactive"), 0);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_partitions", "kind=meta,status=ReadWrite") >= 1);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_partitions", "kind=data,status=Unavailable"), 0);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_partition_checks_total", NULL) >= 1);
    /* Every node has a task queue, and heartbeats went out to each. */
    CU_ASSERT_EQUAL(prom_count(s, n, "cfs_master_task_queue_depth"), 6);
    for (size_t i = 0; i < 3; i++) {
        char match[128];
        snprintf(match, sizeof(match), "node=%s,result=sent", env.datanodes[i].addr);
        CU_ASSERT_TRUE(metric(s, n, "cfs_master_tasks_total", match) >= 1);
        snprintf(match, sizeof(match), "node=%s,result=sent", env.metanodes[i].addr);
        CU_ASSERT_TRUE(metric(s, n, "cfs_master_tasks_total", match) >= 1);
    }
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_task_unknown_responses_total", NULL) >= 0);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_store_map_size_bytes", NULL) >= 1 << 20);
    free(s);
}

/* The data partitions of a data node that stopped answering turn ReadOnly (each has a replica
 * on every data node) and the view shows the node down; it comes back after a restart. */
static bool node_down_shown(struct cenv *e, void *arg)
{
    json_t *c = NULL, *node, *bad;
    bool ok;

    (void)arg;
    if (cenv_call(e, "/admin/getCluster", &c, NULL, 0) != 0) {
        return false;
    }
    node = find_addr(json_object_get(c, "DataNodes"), e->datanodes[0].addr);
    bad = json_array_get(json_object_get(c, "BadPartitionIDs"), 0);
    ok = node != NULL && json_is_false(json_object_get(node, "Status")) &&
         json_is_false(json_object_get(node, "IsWritable")) &&
         strcmp(cenv_str(bad, "Path"), "ReadOnly") == 0 &&
         json_array_size(json_object_get(bad, "PartitionIDs")) >= 1;
    json_decref(c);
    return ok;
}

static void test_node_down(void)
{
    static const char *const bad_keys[] = {"Path", "PartitionIDs", NULL};
    struct prom_parsed *s;
    json_t *c;
    size_t n = 0;

    CU_ASSERT_NOT_EQUAL_FATAL(cenv_stop_node(&env, true, 0, SIGKILL), -1);
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, node_down_shown, NULL, WAIT_MS));
    c = call_ok("/admin/getCluster");
    expect_keys(json_array_get(json_object_get(c, "BadPartitionIDs"), 0), bad_keys);
    json_decref(c);
    s = scrape(env.masters[0].addr, &n);
    CU_ASSERT_EQUAL(metric(s, n, "cfs_master_nodes", "kind=data,state=inactive"), 1);
    CU_ASSERT_TRUE(metric(s, n, "cfs_master_partitions", "kind=data,status=ReadOnly") >= 1);
    free(s);

    CU_ASSERT_EQUAL_FATAL(cenv_start_node(&env, true, 0), 0);
    CU_ASSERT_TRUE(cenv_wait(&env, cluster_all_up, NULL, WAIT_MS));
}

/* --- three masters --------------------------------------------------------------------------- */

static struct cenv trio;

static int trio_init(void)
{
    if (cenv_init(&trio, "cluster_masters", 3) != 0 || cenv_start_masters(&trio) != 0 ||
        cenv_wait_leader(&trio, WAIT_MS) < 0) {
        return -1;
    }
    return 0;
}

static int trio_cleanup(void)
{
    cenv_close(&trio);
    return 0;
}

/* The leader's MasterNodes list every master, each up exactly when arg says (NULL: all up;
 * otherwise the index of the one that is down). */
static bool masters_as_expected(struct cenv *e, void *arg)
{
    const size_t *down = arg;
    json_t *c = NULL, *list;
    bool ok;

    if (cenv_call(e, "/admin/getCluster", &c, NULL, 0) != 0) {
        return false;
    }
    list = json_object_get(c, "MasterNodes");
    ok = json_array_size(list) == e->nmasters;
    for (size_t i = 0; ok && i < e->nmasters; i++) {
        json_t *m = find_addr(list, e->masters[i].addr);
        ok = m != NULL && int_of(m, "ID") == (long long)e->master_ids[i] &&
             json_is_true(json_object_get(m, "Status")) == (down == NULL || *down != i);
    }
    json_decref(c);
    return ok;
}

static void test_master_nodes(void)
{
    int leader = cenv_wait_leader(&trio, WAIT_MS);

    CU_ASSERT_TRUE_FATAL(leader >= 0);
    CU_ASSERT_TRUE(cenv_wait(&trio, masters_as_expected, NULL, WAIT_MS));
    for (size_t i = 0; i < trio.nmasters; i++) {
        struct prom_parsed *s;
        size_t n = 0;
        double v = -1;
        bool is_leader = (int)i == leader;
        /* Only the leader answers getCluster itself: that is how clients find it. */
        long status = cenv_http(&trio, i, "/admin/getCluster", NULL, NULL, NULL, 0, NULL);
        CU_ASSERT_EQUAL(status, is_leader ? 200 : 307);
        /* Every master serves /metrics; the cluster families come from the leader alone. */
        s = scrape(trio.masters[i].addr, &n);
        CU_ASSERT_TRUE(prom_find(s, n, "cfs_master_is_leader", NULL, &v) && v == is_leader);
        CU_ASSERT_TRUE(prom_find(s, n, "cfs_master_raft_members", NULL, &v) && v == 3);
        CU_ASSERT_EQUAL(prom_count(s, n, "cfs_master_nodes"), is_leader ? 4 : 0);
        free(s);
    }
}

/* A follower that stops answering Raft shows as down, and up again once it is back. */
static void test_master_down(void)
{
    int leader = cenv_wait_leader(&trio, WAIT_MS);
    size_t victim = leader == 0 ? 1 : 0;

    CU_ASSERT_TRUE_FATAL(leader >= 0);
    CU_ASSERT_NOT_EQUAL_FATAL(cenv_stop_master(&trio, victim, SIGKILL), -1);
    CU_ASSERT_TRUE(cenv_wait(&trio, masters_as_expected, &victim, WAIT_MS));
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&trio, victim), 0);
    CU_ASSERT_TRUE(cenv_wait(&trio, masters_as_expected, NULL, WAIT_MS));
}

static const struct test_case trio_cases[] = {
    {"master_nodes", test_master_nodes},
    {"master_down", test_master_down},
    {NULL, NULL},
};

static const struct test_case cases[] = {
    {"get_cluster", test_get_cluster},
    {"cluster_stat", test_cluster_stat},
    {"freeze_and_threshold", test_freeze_and_threshold},
    {"node_info", test_node_info},
    {"settings_survive_restart", test_settings_survive_restart},
    {"topology", test_topology},
    {"user_create", test_user_create},
    {"user_info_and_list", test_user_info_and_list},
    {"transfer_vol", test_transfer_vol},
    {"metrics", test_metrics},
    {"node_down", test_node_down},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"cluster_api", suite_init, suite_cleanup, cases},
    {"three_masters", trio_init, trio_cleanup, trio_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
