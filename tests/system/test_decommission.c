/* System test of replicas, diagnosis and decommission: one cfs-master, four cfs-datanode and three
 * cfs-metanode processes, a volume with 3-replica partitions.
 *
 * A partition decommission moves a replica to the free node (its directory leaves the source's
 * disk and appears on the target's) and /dataPartition/get shows the new hosts; replicas are
 * deleted and added by hand, and a removal that would leave no live majority is refused with the
 * reason; a whole data node is emptied and leaves the cluster, with the master killed (SIGKILL) as
 * soon as the first child job runs and restarted to finish it; every route answers missing,
 * malformed and unknown parameters with CubeFS's codes and messages. Tests run in order and share
 * the cluster. */
#include "tests/support/cluster_env.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAIT_MS 20000
#define VOL     "dvol"

static struct cenv env;

static int suite_init(void)
{
    if (cenv_init(&env, "decommission", 1) != 0 || cenv_up(&env, 4, 3, WAIT_MS) != 0) {
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers -----------------------------------------------------------------------------------
 */

#define call_ok(...)              cenv_ok(&env, __VA_ARGS__)
#define expect(code, msg, ...)    cenv_expect(&env, code, msg, true, __VA_ARGS__)
#define expect_in(code, msg, ...) cenv_expect(&env, code, msg, false, __VA_ARGS__)
#define expect_text(part, ...)    cenv_expect_text(&env, part, false, __VA_ARGS__)

static bool has_string(const json_t *list, const char *s)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (strcmp(json_string_value(json_array_get(list, i)), s) == 0) {
            return true;
        }
    }
    return false;
}

static bool has_id(const json_t *list, uint64_t id)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        if ((uint64_t)json_integer_value(json_array_get(list, i)) == id) {
            return true;
        }
    }
    return false;
}

static const struct cenv_proc *node_at(bool data, const char *addr)
{
    const struct cenv_proc *procs = data ? env.datanodes : env.metanodes;
    size_t n = data ? env.ndatanodes : env.nmetanodes;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(procs[i].addr, addr) == 0) {
            return &procs[i];
        }
    }
    return NULL;
}

static size_t node_index(bool data, const char *addr)
{
    const struct cenv_proc *p = node_at(data, addr);

    return p - (data ? env.datanodes : env.metanodes);
}

/* Whether a node's disk holds partition id: datapartition_<id>_<size> or partition_<id>. */
static bool on_disk(bool data, const char *addr, uint64_t id)
{
    const struct cenv_proc *node = node_at(data, addr);
    char prefix[64];
    struct dirent *e;
    bool found = false;
    DIR *d;

    if (node == NULL || (d = opendir(node->dir)) == NULL) {
        return false;
    }
    snprintf(prefix, sizeof(prefix), data ? "datapartition_%llu_" : "partition_%llu",
             (unsigned long long)id);
    while (!found && (e = readdir(d)) != NULL) {
        found =
            data ? strncmp(e->d_name, prefix, strlen(prefix)) == 0 : strcmp(e->d_name, prefix) == 0;
    }
    closedir(d);
    return found;
}

/* Data partition directories left on a data node's disk. */
static size_t dirs_on(const char *addr)
{
    const struct cenv_proc *node = node_at(true, addr);
    struct dirent *e;
    size_t n = 0;
    DIR *d = node != NULL ? opendir(node->dir) : NULL;

    while (d != NULL && (e = readdir(d)) != NULL) {
        n += strncmp(e->d_name, "datapartition_", 14) == 0;
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

static json_t *part_get(bool data, uint64_t id)
{
    return call_ok("/%sPartition/get?id=%llu", data ? "data" : "meta", (unsigned long long)id);
}

/* A partition with n hosts, all reporting a live replica (ReadWrite for data partitions). */
struct part_wait {
    bool data;
    uint64_t id;
    size_t n;
};

static bool part_settled(struct cenv *e, void *arg)
{
    const struct part_wait *w = arg;
    char path[128];
    json_t *d = NULL;
    bool ok;

    snprintf(path, sizeof(path), "/%sPartition/get?id=%llu", w->data ? "data" : "meta",
             (unsigned long long)w->id);
    if (cenv_call(e, path, &d, NULL, 0) != 0) {
        json_decref(d);
        return false;
    }
    ok = json_array_size(json_object_get(d, "Hosts")) == w->n &&
         json_array_size(json_object_get(d, "Replicas")) == w->n &&
         json_object_size(json_object_get(d, w->data ? "MissingNodes" : "MissNodes")) == 0 &&
         (!w->data || cenv_u64(d, "Status") == 2);
    json_decref(d);
    return ok;
}

static void wait_settled(bool data, uint64_t id, size_t n)
{
    struct part_wait w = {data, id, n};
    bool ok = cenv_wait(&env, part_settled, &w, WAIT_MS);

    if (!ok) {
        fprintf(stderr, "%s partition %llu never settled with %zu hosts\n", data ? "data" : "meta",
                (unsigned long long)id, n);
    }
    CU_ASSERT_TRUE(ok);
}

/* The volume's partition ids, from the client views. */
static size_t vol_parts(bool data, uint64_t *ids, size_t max)
{
    json_t *d = call_ok("/client/%s?name=" VOL, data ? "partitions" : "metaPartitions");
    json_t *list = data ? json_object_get(d, "DataPartitions") : d;
    size_t n = 0;

    for (size_t i = 0; i < json_array_size(list) && n < max; i++) {
        ids[n++] = cenv_u64(json_array_get(list, i), "PartitionID");
    }
    json_decref(d);
    return n;
}

/* The first data node not hosting the partition. */
static const char *free_node(const json_t *dp)
{
    const json_t *hosts = json_object_get(dp, "Hosts");

    for (size_t i = 0; i < env.ndatanodes; i++) {
        if (env.datanodes[i].pid > 0 && !has_string(hosts, env.datanodes[i].addr)) {
            return env.datanodes[i].addr;
        }
    }
    return NULL;
}

/* queryDecommissionStatus reaches a final status. */
struct status_wait {
    uint64_t id;
    char status[32]; /* out */
    json_t *last;    /* out */
};

static bool status_final(struct cenv *e, void *arg)
{
    struct status_wait *w = arg;
    char path[128];
    json_t *d = NULL;

    snprintf(path, sizeof(path), "/dataPartition/queryDecommissionStatus?id=%llu",
             (unsigned long long)w->id);
    if (cenv_call(e, path, &d, NULL, 0) != 0) {
        json_decref(d);
        return false;
    }
    snprintf(w->status, sizeof(w->status), "%s", cenv_str(d, "Status"));
    json_decref(w->last);
    w->last = d;
    return strcmp(w->status, "Success") == 0 || strcmp(w->status, "Fail") == 0;
}

static bool node_listed(const char *addr)
{
    json_t *d = call_ok("/admin/cluster/getAllDataNodes");
    bool found = false;

    for (size_t i = 0; i < json_array_size(d); i++) {
        found |= strcmp(cenv_str(json_array_get(d, i), "Addr"), addr) == 0;
    }
    json_decref(d);
    return found;
}

static bool kind_node_active(struct cenv *e, const char *kind, const char *addr)
{
    char path[128];
    json_t *d = NULL;
    bool active;

    snprintf(path, sizeof(path), "/%sNode/get?addr=%s", kind, addr);
    active = cenv_call(e, path, &d, NULL, 0) == 0 && json_is_true(json_object_get(d, "IsActive"));
    json_decref(d);
    return active;
}

static bool node_active(struct cenv *e, void *arg)
{
    return kind_node_active(e, "data", arg);
}

static bool meta_node_active(struct cenv *e, void *arg)
{
    return kind_node_active(e, "meta", arg);
}

static bool node_inactive(struct cenv *e, void *arg)
{
    return !node_active(e, arg);
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_create_vol(void)
{
    uint64_t ids[32];
    size_t n;

    /* Enough data partitions that a node holds several and its job runs them in batches. */
    expect_text("create vol[" VOL "] successfully",
                "/admin/createVol?name=" VOL "&capacity=10&owner=cfs&replicaNum=3&dpCount=8");
    n = vol_parts(true, ids, 32);
    CU_ASSERT_TRUE(n >= 3);
    for (size_t i = 0; i < n; i++) {
        wait_settled(true, ids[i], 3);
    }
    n = vol_parts(false, ids, 32);
    CU_ASSERT_TRUE(n >= 1);
    for (size_t i = 0; i < n; i++) {
        wait_settled(false, ids[i], 3);
    }
}

static void test_bad_params(void)
{
    const char *dn = env.datanodes[0].addr;
    const char *mn = env.metanodes[0].addr;
    uint64_t dp, mp;
    json_t *d;

    vol_parts(true, &dp, 1);
    vol_parts(false, &mp, 1);

    expect(2, "parameter id not found", "/dataPartition/get");
    expect(2, "parameter id not match", "/dataPartition/get?id=abc");
    expect(11, "data partition not exists", "/dataPartition/get?id=999999");
    expect(7, "vol not exists", "/dataPartition/get?id=%llu&name=novol", (unsigned long long)dp);
    expect(2, "parameter id not found", "/metaPartition/get");
    expect(2, "parameter id not match", "/metaPartition/get?id=-1");
    expect(10, "meta partition not exists", "/metaPartition/get?id=999999");
    expect(2, "parameter id not found", "/dataPartition/load");
    expect(2, "parameter id not match", "/dataPartition/load?id=1x");
    expect(11, "data partition not exists", "/dataPartition/load?id=999999");

    expect(2, "parameter id not found", "/dataReplica/add?addr=%s", dn);
    expect(2, "parameter id not match", "/dataReplica/add?id=x&addr=%s", dn);
    expect(2, "parameter addr not found", "/dataReplica/add?id=%llu", (unsigned long long)dp);
    expect(2, "parameter addr not match", "/dataReplica/add?id=%llu&addr=nohost",
           (unsigned long long)dp);
    expect(11, "data partition not exists", "/dataReplica/add?id=999999&addr=%s", dn);
    expect(12, "data node not exists", "/dataReplica/add?id=%llu&addr=127.0.0.1:1999",
           (unsigned long long)dp);
    expect(2, "parameter id not found", "/dataReplica/delete?addr=%s", dn);
    expect(2, "parameter force not match", "/dataReplica/delete?id=%llu&addr=%s&force=maybe",
           (unsigned long long)dp, dn);
    expect(11, "data partition not exists", "/dataReplica/delete?id=999999&addr=%s", dn);
    expect_in(2, "127.0.0.1:1999 is not a host of data partition",
              "/dataReplica/delete?id=%llu&addr=127.0.0.1:1999", (unsigned long long)dp);
    expect(2, "parameter addr not found", "/metaReplica/add?id=%llu", (unsigned long long)mp);
    expect(10, "meta partition not exists", "/metaReplica/add?id=999999&addr=%s", mn);
    expect(13, "meta node not exists", "/metaReplica/add?id=%llu&addr=127.0.0.1:1999",
           (unsigned long long)mp);
    expect_in(2, "is already a host of meta partition", "/metaReplica/add?id=%llu&addr=%s",
              (unsigned long long)mp, mn);
    expect(2, "parameter addr not match", "/metaReplica/delete?id=%llu&addr=1.2.3.4",
           (unsigned long long)mp);
    expect(10, "meta partition not exists", "/metaReplica/delete?id=999999&addr=%s", mn);

    /* The v3.5 sample: no arguments, then an unknown partition. */
    expect(2, "parameter id not found", "/dataPartition/decommission");
    expect(2, "parameter addr not found", "/dataPartition/decommission?id=%llu",
           (unsigned long long)dp);
    expect(2, "parameter addr not match", "/dataPartition/decommission?id=1&addr=127.0.0.1");
    expect(11, "data partition not exists", "/dataPartition/decommission?id=999999&addr=%s", dn);
    expect(2, "parameter id not match", "/metaPartition/decommission?id=a&addr=%s", mn);
    expect(10, "meta partition not exists", "/metaPartition/decommission?id=999999&addr=%s", mn);
    /* Not CubeFS's silent success: an address that is not a host is refused. */
    expect_in(2, "127.0.0.1:1999 is not a host of data partition",
              "/dataPartition/decommission?id=%llu&addr=127.0.0.1:1999&decommissionType=1&"
              "raftForceDel=false&weight=2&clientIDKey=",
              (unsigned long long)dp);

    expect(2, "parameter id not found", "/dataPartition/queryDecommissionStatus");
    expect(2, "parameter id not match", "/dataPartition/queryDecommissionStatus?id=z");
    expect(11, "data partition not exists", "/dataPartition/queryDecommissionStatus?id=999999");
    d = call_ok("/dataPartition/queryDecommissionStatus?id=%llu", (unsigned long long)dp);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "Status"), "Initial");
    CU_ASSERT_EQUAL(cenv_u64(d, "PartitionId"), dp);
    json_decref(d);

    expect(2, "parameter addr not found", "/dataNode/decommission");
    expect(2, "parameter addr not match", "/dataNode/decommission?addr=x:1");
    expect(2, "parameter count not match", "/dataNode/decommission?addr=%s&count=abc", dn);
    expect(12, "data node not exists", "/dataNode/decommission?addr=127.0.0.1:1999");
    expect(2, "parameter addr not found", "/metaNode/decommission");
    expect(13, "meta node not exists", "/metaNode/decommission?addr=127.0.0.1:1999");
}

static void test_views(void)
{
    uint64_t dp, mp;
    json_t *d, *replicas, *peers;

    vol_parts(true, &dp, 1);
    vol_parts(false, &mp, 1);
    d = part_get(true, dp);
    CU_ASSERT_EQUAL_FATAL(d != NULL, true);
    CU_ASSERT_EQUAL(cenv_u64(d, "PartitionID"), dp);
    CU_ASSERT_EQUAL(cenv_u64(d, "ReplicaNum"), 3);
    CU_ASSERT_EQUAL(cenv_u64(d, "Status"), 2);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "VolName"), VOL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 3);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Zones")), 3);
    CU_ASSERT_TRUE(json_is_object(json_object_get(d, "MissingNodes")));
    CU_ASSERT_TRUE(json_is_object(json_object_get(d, "FileInCoreMap")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(d, "IsRecover")));
    replicas = json_object_get(d, "Replicas");
    CU_ASSERT_EQUAL(json_array_size(replicas), 3);
    for (size_t i = 0; i < json_array_size(replicas); i++) {
        const json_t *r = json_array_get(replicas, i);
        CU_ASSERT_TRUE(has_string(json_object_get(d, "Hosts"), cenv_str(r, "Addr")));
        CU_ASSERT_STRING_EQUAL(cenv_str(r, "DiskPath"), node_at(true, cenv_str(r, "Addr"))->dir);
        CU_ASSERT_EQUAL(cenv_u64(r, "Status"), 2);
        CU_ASSERT_TRUE(cenv_u64(r, "ReportTime") > 1700000000);
        CU_ASSERT_TRUE(cenv_u64(r, "TotalSize") > 0);
    }
    peers = json_object_get(d, "Peers");
    CU_ASSERT_EQUAL(json_array_size(peers), 3);
    CU_ASSERT_TRUE(cenv_u64(json_array_get(peers, 0), "id") > 0);
    CU_ASSERT_TRUE(
        has_string(json_object_get(d, "Hosts"), cenv_str(json_array_get(peers, 0), "addr")));
    json_decref(d);
    /* name restricts the lookup to that volume. */
    d = call_ok("/dataPartition/get?id=%llu&name=" VOL, (unsigned long long)dp);
    CU_ASSERT_EQUAL(cenv_u64(d, "PartitionID"), dp);
    json_decref(d);

    d = part_get(false, mp);
    CU_ASSERT_EQUAL_FATAL(d != NULL, true);
    CU_ASSERT_EQUAL(cenv_u64(d, "PartitionID"), mp);
    CU_ASSERT_STRING_EQUAL(cenv_str(d, "VolName"), VOL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 3);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Replicas")), 3);
    CU_ASSERT_TRUE(json_object_get(d, "Start") != NULL && json_object_get(d, "End") != NULL);
    CU_ASSERT_TRUE(json_is_object(json_object_get(d, "MissNodes")));
    json_decref(d);

    expect_text("Load data partition successfully", "/dataPartition/load?id=%llu",
                (unsigned long long)dp);

    d = call_ok("/dataPartition/diagnose?ignoreDiscard=true");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "InactiveDataNodes")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "CorruptDataPartitionIDs")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "LackReplicaDataPartitionIDs")), 0);
    CU_ASSERT_TRUE(json_is_array(json_object_get(d, "BadDataPartitionIDs")));
    json_decref(d);
    d = call_ok("/metaPartition/diagnose?v1=true");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "InactiveMetaNodes")), 0);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "CorruptMetaPartitionIDs")), 0);
    json_decref(d);
}

/* Delete a replica, refuse the next removal (no majority), add the replica back: on the nodes'
 * disks and in the views. Then the same for a meta partition. */
static void test_replica_delete_add(void)
{
    char first[64], second[64];
    uint64_t dp, mp;
    json_t *d;

    vol_parts(true, &dp, 1);
    d = part_get(true, dp);
    snprintf(first, sizeof(first), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 0)));
    snprintf(second, sizeof(second), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 1)));
    json_decref(d);

    expect_text("delete replica [", "/dataReplica/delete?id=%llu&addr=%s", (unsigned long long)dp,
                first);
    d = part_get(true, dp);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 2);
    CU_ASSERT_FALSE(has_string(json_object_get(d, "Hosts"), first));
    json_decref(d);
    CU_ASSERT_FALSE(on_disk(true, first, dp));
    d = call_ok("/dataPartition/diagnose");
    CU_ASSERT_TRUE(has_id(json_object_get(d, "LackReplicaDataPartitionIDs"), dp));
    json_decref(d);

    /* Two hosts of three: the other one alone would not be a majority. */
    expect_in(25, "cannot take the data replica offline", "/dataReplica/delete?id=%llu&addr=%s",
              (unsigned long long)dp, second);
    expect_in(25, "needs 2", "/dataReplica/delete?id=%llu&addr=%s&force=true",
              (unsigned long long)dp, second);

    expect_text("add replica [", "/dataReplica/add?id=%llu&addr=%s", (unsigned long long)dp, first);
    CU_ASSERT_TRUE(on_disk(true, first, dp));
    wait_settled(true, dp, 3);
    expect_in(2, "is already a host of data partition", "/dataReplica/add?id=%llu&addr=%s",
              (unsigned long long)dp, first);

    vol_parts(false, &mp, 1);
    d = part_get(false, mp);
    snprintf(first, sizeof(first), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 0)));
    json_decref(d);
    expect_text("delete replica [", "/metaReplica/delete?id=%llu&addr=%s", (unsigned long long)mp,
                first);
    CU_ASSERT_FALSE(on_disk(false, first, mp));
    d = part_get(false, mp);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 2);
    json_decref(d);
    expect_text("add replica [", "/metaReplica/add?id=%llu&addr=%s", (unsigned long long)mp, first);
    CU_ASSERT_TRUE(on_disk(false, first, mp));
    wait_settled(false, mp, 3);
}

/* Move one replica of a data partition to the free data node. */
static void test_partition_decommission(void)
{
    struct status_wait w = {0};
    char src[64], dst[64];
    uint64_t dp, mp;
    json_t *d;
    bool done;

    vol_parts(true, &dp, 1);
    d = part_get(true, dp);
    snprintf(src, sizeof(src), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 1)));
    snprintf(dst, sizeof(dst), "%s", free_node(d));
    json_decref(d);
    CU_ASSERT_TRUE(on_disk(true, src, dp));
    CU_ASSERT_FALSE(on_disk(true, dst, dp));

    expect_text("successfully", "/dataPartition/decommission?id=%llu&addr=%s",
                (unsigned long long)dp, src);
    w.id = dp;
    done = cenv_wait(&env, status_final, &w, WAIT_MS);
    CU_ASSERT_TRUE(done);
    CU_ASSERT_STRING_EQUAL(w.status, "Success");
    CU_ASSERT_STRING_EQUAL(cenv_str(w.last, "SrcAddress"), src);
    CU_ASSERT_STRING_EQUAL(cenv_str(w.last, "DstAddress"), dst);
    CU_ASSERT_STRING_EQUAL(cenv_str(w.last, "ErrorMessage"), "");
    json_decref(w.last);

    d = part_get(true, dp);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 3);
    CU_ASSERT_FALSE(has_string(json_object_get(d, "Hosts"), src));
    CU_ASSERT_TRUE(has_string(json_object_get(d, "Hosts"), dst));
    json_decref(d);
    CU_ASSERT_FALSE(on_disk(true, src, dp));
    CU_ASSERT_TRUE(on_disk(true, dst, dp));
    wait_settled(true, dp, 3);

    /* src is no longer a host: said so, nothing recorded. */
    expect_in(2, "is not a host of data partition", "/dataPartition/decommission?id=%llu&addr=%s",
              (unsigned long long)dp, src);

    /* Every meta node already holds the meta partition: nowhere to go, said at once. */
    vol_parts(false, &mp, 1);
    expect_in(30, "no meta node to take the replica of meta partition",
              "/metaPartition/decommission?id=%llu&addr=%s", (unsigned long long)mp,
              env.metanodes[0].addr);
    expect_in(30, "no meta node to take the replica", "/metaNode/decommission?addr=%s",
              env.metanodes[0].addr);
}

/* With one host of a partition down, removing another one is refused with the reason, and
 * diagnosis shows the node and the partition. */
static void test_majority_refusal(void)
{
    uint64_t ids[32], dp = 0;
    char down[64], other[64] = "";
    size_t n = vol_parts(true, ids, 32), k;
    json_t *d = part_get(true, ids[0]);

    dp = ids[0];
    snprintf(down, sizeof(down), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 0)));
    snprintf(other, sizeof(other), "%s",
             json_string_value(json_array_get(json_object_get(d, "Hosts"), 1)));
    json_decref(d);
    k = node_index(true, down);
    cenv_stop_node(&env, true, k, SIGKILL);
    CU_ASSERT_TRUE(cenv_wait(&env, node_inactive, down, WAIT_MS));

    expect_in(25, "cannot take the data replica offline",
              "/dataPartition/decommission?id=%llu&addr=%s", (unsigned long long)dp, other);
    expect_in(25, "node inactive", "/dataReplica/delete?id=%llu&addr=%s", (unsigned long long)dp,
              other);
    d = call_ok("/dataPartition/diagnose");
    CU_ASSERT_TRUE(has_string(json_object_get(d, "InactiveDataNodes"), down));
    CU_ASSERT_TRUE(has_id(json_object_get(d, "BadReplicaDataPartitionIDs"), dp));
    CU_ASSERT_TRUE(json_array_size(json_object_get(d, "PartitionReasons")) > 0);
    json_decref(d);

    CU_ASSERT_EQUAL(cenv_start_node(&env, true, k), 0);
    CU_ASSERT_TRUE(cenv_wait(&env, node_active, down, WAIT_MS));
    n = vol_parts(true, ids, 32);
    for (size_t i = 0; i < n; i++) {
        d = part_get(true, ids[i]);
        wait_settled(true, ids[i], json_array_size(json_object_get(d, "Hosts")));
        json_decref(d);
    }
}

/* A child job of the node job has left Marked. */
struct child_wait {
    uint64_t ids[32];
    size_t n;
};

static bool child_running(struct cenv *e, void *arg)
{
    const struct child_wait *w = arg;

    for (size_t i = 0; i < w->n; i++) {
        char path[128];
        json_t *d = NULL;
        bool running;
        snprintf(path, sizeof(path), "/dataPartition/queryDecommissionStatus?id=%llu",
                 (unsigned long long)w->ids[i]);
        running = cenv_call(e, path, &d, NULL, 0) == 0 && cenv_u64(d, "ParentJobID") != 0 &&
                  (strcmp(cenv_str(d, "Status"), "Prepare") == 0 ||
                   strcmp(cenv_str(d, "Status"), "Running") == 0);
        json_decref(d);
        if (running) {
            return true;
        }
    }
    return false;
}

/* /dataNode/get or /metaNode/get of a node with a running node job: the mark, the job's status
 * and limit, and its progress. */
static void expect_decommissioning(bool data, const char *addr, uint32_t limit)
{
    json_t *info = call_ok("/%sNode/get?addr=%s", data ? "data" : "meta", addr);
    json_t *p = json_object_get(info, "DecommissionProgress");
    uint64_t status = cenv_u64(info, "DecommissionStatus");
    const char *word = cenv_str(p, "Status");

    CU_ASSERT_TRUE(json_is_true(json_object_get(info, "ToBeOffline")));
    CU_ASSERT_TRUE(status == 1 || status == 4); /* Marked, Running */
    CU_ASSERT_TRUE(json_is_integer(json_object_get(info, "DecommissionLimit")));
    CU_ASSERT_EQUAL(cenv_u64(info, "DecommissionLimit"), limit);
    CU_ASSERT_TRUE_FATAL(json_is_object(p));
    CU_ASSERT_TRUE(cenv_u64(p, "JobID") > 0);
    CU_ASSERT_TRUE(strcmp(word, "Marked") == 0 || strcmp(word, "Running") == 0);
    CU_ASSERT_TRUE(cenv_u64(p, "Remaining") > 0);
    CU_ASSERT_STRING_EQUAL(cenv_str(p, "ErrorMessage"), "");
    json_decref(info);
}

static bool node_gone(struct cenv *e, void *arg)
{
    char path[128];
    int code;

    snprintf(path, sizeof(path), "/dataNode/get?addr=%s", (const char *)arg);
    code = cenv_call(e, path, NULL, NULL, 0);
    return code == 12 && dirs_on(arg) == 0;
}

/* Empty a data node; SIGKILL the master as soon as the first child job runs; the restarted
 * master resumes and finishes the job. */
static void test_node_decommission_resumes(void)
{
    struct child_wait w = {0};
    uint64_t ids[32];
    const char *node = env.datanodes[3].addr;
    size_t n = vol_parts(true, ids, 32);
    bool gone;

    for (size_t i = 0; i < n; i++) {
        json_t *d = part_get(true, ids[i]);
        if (has_string(json_object_get(d, "Hosts"), node)) {
            w.ids[w.n++] = ids[i];
        }
        json_decref(d);
    }
    CU_ASSERT_TRUE_FATAL(w.n > 0);
    CU_ASSERT_TRUE(dirs_on(node) >= w.n);

    expect_text("decommission data node [", "/dataNode/decommission?addr=%s", node);
    expect_decommissioning(true, node, 0);
    CU_ASSERT_TRUE(cenv_wait(&env, child_running, &w, WAIT_MS));
    CU_ASSERT_TRUE(node_listed(node));
    cenv_stop_master(&env, 0, SIGKILL);
    CU_ASSERT_EQUAL(cenv_start_master(&env, 0), 0);
    CU_ASSERT_TRUE(cenv_wait_leader(&env, WAIT_MS) >= 0);

    gone = cenv_wait(&env, node_gone, (void *)node, 2 * WAIT_MS);
    if (!gone) {
        fprintf(stderr, "%s still has %zu partition directories\n", node, dirs_on(node));
    }
    CU_ASSERT_TRUE(gone);
    CU_ASSERT_FALSE(node_listed(node));
    for (size_t i = 0; i < w.n; i++) {
        struct status_wait sw = {.id = w.ids[i]};
        json_t *d;
        CU_ASSERT_TRUE(status_final(&env, &sw));
        CU_ASSERT_STRING_EQUAL(sw.status, "Success");
        json_decref(sw.last);
        d = part_get(true, w.ids[i]);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 3);
        CU_ASSERT_FALSE(has_string(json_object_get(d, "Hosts"), node));
        json_decref(d);
        wait_settled(true, w.ids[i], 3);
    }
    expect(12, "data node not exists", "/dataNode/decommission?addr=%s", node);
}

/* A partition's replica left src and the partition settled again with n hosts. */
struct move_wait {
    struct part_wait part;
    const char *src;
};

static bool part_moved(struct cenv *e, void *arg)
{
    struct move_wait *w = arg;
    char path[128];
    json_t *d = NULL;
    bool gone;

    snprintf(path, sizeof(path), "/%sPartition/get?id=%llu", w->part.data ? "data" : "meta",
             (unsigned long long)w->part.id);
    gone = cenv_call(e, path, &d, NULL, 0) == 0 && !has_string(json_object_get(d, "Hosts"), w->src);
    json_decref(d);
    return gone && part_settled(e, &w->part);
}

static bool meta_node_gone(struct cenv *e, void *arg)
{
    char path[128];

    snprintf(path, sizeof(path), "/metaNode/get?addr=%s", (const char *)arg);
    return cenv_call(e, path, NULL, NULL, 0) == 13;
}

/* A fourth meta node gives the meta partitions somewhere to go: one meta partition moves by
 * hand, then a whole meta node is emptied and leaves. */
static void test_meta_decommission(void)
{
    struct move_wait w = {{false, 0, 3}, NULL};
    uint64_t ids[32];
    const char *src = env.metanodes[1].addr;
    const char *leaving = env.metanodes[0].addr;
    const char *fresh;
    size_t n;
    json_t *d;
    bool ok;

    CU_ASSERT_EQUAL_FATAL(cenv_add_metanodes(&env, 1), 0);
    fresh = env.metanodes[3].addr;
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, meta_node_active, (void *)fresh, WAIT_MS));
    n = vol_parts(false, ids, 32);
    CU_ASSERT_TRUE_FATAL(n > 0);

    expect_text("decommissionMetaPartition successfully",
                "/metaPartition/decommission?id=%llu&addr=%s", (unsigned long long)ids[0], src);
    w.part.id = ids[0];
    w.src = src;
    ok = cenv_wait(&env, part_moved, &w, WAIT_MS);
    CU_ASSERT_TRUE(ok);
    d = part_get(false, ids[0]);
    CU_ASSERT_FALSE(has_string(json_object_get(d, "Hosts"), src));
    CU_ASSERT_TRUE(has_string(json_object_get(d, "Hosts"), fresh));
    json_decref(d);
    CU_ASSERT_FALSE(on_disk(false, src, ids[0]));
    CU_ASSERT_TRUE(on_disk(false, fresh, ids[0]));

    expect_text("decommissionMetaNode metaNode [", "/metaNode/decommission?addr=%s", leaving);
    expect_decommissioning(false, leaving, 0);
    /* Asking again answers the running job's progress. */
    expect_text("", "/metaNode/decommission?addr=%s", leaving);
    ok = cenv_wait(&env, meta_node_gone, (void *)leaving, 2 * WAIT_MS);
    CU_ASSERT_TRUE(ok);
    for (size_t i = 0; i < n; i++) {
        d = part_get(false, ids[i]);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "Hosts")), 3);
        CU_ASSERT_FALSE(has_string(json_object_get(d, "Hosts"), leaving));
        json_decref(d);
        CU_ASSERT_FALSE(on_disk(false, leaving, ids[i]));
        wait_settled(false, ids[i], 3);
    }
}

static const struct test_case cases[] = {
    {"create_vol", test_create_vol},
    {"bad_params", test_bad_params},
    {"views", test_views},
    {"replica_delete_add", test_replica_delete_add},
    {"partition_decommission", test_partition_decommission},
    {"majority_refusal", test_majority_refusal},
    {"node_decommission_resumes", test_node_decommission_resumes},
    {"meta_decommission", test_meta_decommission},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"decommission", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
