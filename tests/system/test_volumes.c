/* System test of volumes: one cfs-master, three cfs-datanode and three cfs-metanode processes.
 * createVol places 3-replica meta and data partitions whose directories appear on the right
 * nodes' disks and whose hosts and statuses every client view agrees on; data partitions are
 * added by hand and automatically; the last meta partition splits; updates, expand and shrink
 * follow their rules; a deleted volume leaves the nodes' disks and then the store; a createVol
 * that fails (a node dies under it, or too few nodes are left) says why and leaves nothing
 * behind; every route answers missing, malformed and unknown parameters with CubeFS's codes and
 * messages. Latencies of createVol and /dataPartition/create are printed. Tests run in order and
 * share the cluster. */
#include "tests/support/cluster_env.h"
#include "tests/support/test_support.h"

#include "common/clock.h"
#include "common/http_client.h"

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAIT_MS    20000
#define AUTH_CFS   "7b2f1bf38b87d32470c4557c7ff02e75" /* md5("cfs") */
#define DP_SIZE    128849018880ULL                    /* 120 GiB, the default dpSize */
#define INODE_MAX  9223372036854775807ULL
#define INODE_STEP 4194304ULL

static struct cenv env;

/* Partitions of vol1, remembered to check the disks after its deletion. */
static uint64_t vol1_dps[16], vol1_mps[16];
static size_t vol1_ndps, vol1_nmps;

static int suite_init(void)
{
    if (cenv_init(&env, "volumes", 1) != 0 || cenv_up(&env, 3, 3, WAIT_MS) != 0) {
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers ---------------------------------------------------------------------------------- */

#define call_ok(...)           cenv_ok(&env, __VA_ARGS__)
#define expect(code, msg, ...) cenv_expect(&env, code, msg, true, __VA_ARGS__)
#define expect_text(want, ...) cenv_expect_text(&env, want, true, __VA_ARGS__)

static double elapsed_ms(uint64_t start)
{
    return (double)(clock_mono_ms() - start);
}

static bool path_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
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

static void dp_dir(char *buf, size_t size, const struct cenv_proc *node, uint64_t id)
{
    snprintf(buf, size, "%s/datapartition_%llu_%llu", node->dir, (unsigned long long)id, DP_SIZE);
}

static void mp_dir(char *buf, size_t size, const struct cenv_proc *node, uint64_t id)
{
    snprintf(buf, size, "%s/partition_%llu", node->dir, (unsigned long long)id);
}

/* Every partition directory on every node, as one sorted-by-node text, for before/after checks. */
static void disk_listing(char *buf, size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int kind = 0; kind < 2; kind++) {
        const struct cenv_proc *procs = kind == 0 ? env.datanodes : env.metanodes;
        size_t n = kind == 0 ? env.ndatanodes : env.nmetanodes;
        for (size_t i = 0; i < n; i++) {
            struct dirent **names = NULL;
            int k = scandir(procs[i].dir, &names, NULL, alphasort);
            for (int j = 0; j < k; j++) {
                if (strncmp(names[j]->d_name, "datapartition_", 14) == 0 ||
                    strncmp(names[j]->d_name, "partition_", 10) == 0) {
                    off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s/%s;",
                                            procs[i].addr, names[j]->d_name);
                }
                free(names[j]);
            }
            free(names);
        }
    }
}

/* The partitions of a volume once the status refresh lists n of them. */
struct parts_wait {
    const char *vol;
    bool data;
    size_t n;
    json_t *list; /* out */
};

static bool parts_listed(struct cenv *e, void *arg)
{
    struct parts_wait *w = arg;
    char path[256];
    json_t *data = NULL;
    json_t *list;

    snprintf(path, sizeof(path), "/client/%s?name=%s", w->data ? "partitions" : "metaPartitions",
             w->vol);
    if (cenv_call(e, path, &data, NULL, 0) != 0) {
        json_decref(data);
        return false;
    }
    list = w->data ? json_object_get(data, "DataPartitions") : data;
    if (json_array_size(list) != w->n) {
        json_decref(data);
        return false;
    }
    json_decref(w->list);
    w->list = json_incref(list);
    json_decref(data);
    return true;
}

static json_t *wait_parts(const char *vol, bool data, size_t n)
{
    struct parts_wait w = {vol, data, n, NULL};

    if (!cenv_wait(&env, parts_listed, &w, WAIT_MS)) {
        fprintf(stderr, "%s never listed %zu %s partitions\n", vol, n, data ? "data" : "meta");
    }
    CU_ASSERT_PTR_NOT_NULL(w.list);
    return w.list;
}

/* Hosts of a partition view: 3 distinct nodes of the kind, each holding the partition's
 * directory. */
static void check_hosts(const json_t *part, bool data)
{
    const json_t *hosts = json_object_get(part, data ? "Hosts" : "Members");
    uint64_t id = cenv_u64(part, "PartitionID");
    char dir[1024];

    CU_ASSERT_EQUAL(json_array_size(hosts), 3);
    for (size_t i = 0; i < json_array_size(hosts); i++) {
        const char *addr = json_string_value(json_array_get(hosts, i));
        const struct cenv_proc *node = node_at(data, addr);
        CU_ASSERT_PTR_NOT_NULL_FATAL(node);
        for (size_t j = 0; j < i; j++) {
            CU_ASSERT_STRING_NOT_EQUAL(addr, json_string_value(json_array_get(hosts, j)));
        }
        if (data) {
            dp_dir(dir, sizeof(dir), node, id);
        } else {
            mp_dir(dir, sizeof(dir), node, id);
        }
        if (!path_exists(dir)) {
            fprintf(stderr, "missing %s\n", dir);
        }
        CU_ASSERT(path_exists(dir));
    }
}

/* GET with one request header, the envelope code back (cenv has no header option). */
static int call_with_header(const char *path, const char *header, char *msg, size_t msg_size,
                            json_t **data)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, header);
    char url[512];
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    int code = -1;

    snprintf(url, sizeof(url), "http://%s%s", env.masters[0].addr, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (curl_easy_perform(c) == CURLE_OK) {
        fflush(out);
        http_envelope_parse(body, len, &code, msg, msg_size, data, NULL);
    }
    fclose(out);
    free(body);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return code;
}

/* --- parameters --------------------------------------------------------------------------------
 */

static void test_bad_params(void)
{
    /* createVol: name, owner, then the numbers, as v3.5 checks them. */
    expect(2, "parameter name not found", "/admin/createVol?capacity=10&owner=cfs");
    expect(2, "name can only be number and letters",
           "/admin/createVol?name=v1&capacity=10&owner=cfs");
    expect(2, "parameter owner not found", "/admin/createVol?name=vol1&capacity=10");
    expect(2, "owner can only be number and letters", "/admin/createVol?name=vol1&owner=1cfs");
    expect(2, "parameter capacity not found", "/admin/createVol?name=vol1&owner=cfs");
    expect(2, "args [capacity] is not legal, val abc",
           "/admin/createVol?name=vol1&capacity=abc&owner=cfs");
    expect(2, "args [capacity] is not legal, val 0: a capacity in GB of at least 1",
           "/admin/createVol?name=vol1&capacity=0&owner=cfs");
    expect(2, "args [mpCount] is not legal, val x",
           "/admin/createVol?name=vol1&capacity=10&owner=cfs&mpCount=x");
    expect(2, "args [capacity] is not legal, val 18446744073709551615",
           "/admin/createVol?name=vol1&capacity=18446744073709551615&owner=cfs");
    expect(2, "parameter capacity not match",
           "/vol/update?name=nosuchvol&authKey=x&capacity=9223372036854775808");
    expect(2, "args [replicaNum] is not legal, val 4: 1, 2 or 3 replicas",
           "/admin/createVol?name=vol1&capacity=10&owner=cfs&replicaNum=4");
    expect(2, "args [dpCount] is not legal, val 201: at most 200 data partitions",
           "/admin/createVol?name=vol1&capacity=10&owner=cfs&dpCount=201");
    expect(2, "parameter followerRead not match",
           "/admin/createVol?name=vol1&capacity=10&owner=cfs&followerRead=maybe");
    expect(2, "vol with 1 or 2 replica should enable followerRead",
           "/admin/createVol?name=vol1&capacity=10&owner=cfs&replicaNum=1&followerRead=false");

    expect(2, "parameter name not found", "/admin/getVol");
    expect(2, "name can only be number and letters", "/admin/getVol?name=v1");
    expect(7, "vol not exists", "/admin/getVol?name=nosuchvol");

    expect(2, "parameter name not found", "/vol/update?authKey=%s", AUTH_CFS);
    expect(2, "parameter authKey not found", "/vol/update?name=nosuchvol");
    expect(2, "parameter capacity not match", "/vol/update?name=nosuchvol&authKey=x&capacity=abc");
    expect(2, "parameter replicaNum not match",
           "/vol/update?name=nosuchvol&authKey=x&replicaNum=a");
    expect(7, "vol not exists", "/vol/update?name=nosuchvol&authKey=%s", AUTH_CFS);
    expect(2, "parameter capacity not found", "/vol/expand?name=nosuchvol&authKey=%s", AUTH_CFS);
    expect(2, "parameter capacity not match", "/vol/expand?name=nosuchvol&authKey=x&capacity=-1");
    expect(7, "vol not exists", "/vol/expand?name=nosuchvol&authKey=%s&capacity=20", AUTH_CFS);
    expect(2, "name can only be number and letters", "/vol/expand?name=v!1&authKey=x&capacity=9");
    expect(2, "name can only be number and letters", "/vol/update?name=v1&authKey=x");
    expect(2, "parameter authKey not found", "/vol/shrink?name=nosuchvol&capacity=5");
    expect(2, "parameter capacity not match", "/vol/shrink?name=nosuchvol&authKey=x&capacity=5G");
    expect(7, "vol not exists", "/vol/shrink?name=nosuchvol&authKey=%s&capacity=5", AUTH_CFS);
    expect(2, "parameter name not found", "/vol/delete?authKey=%s", AUTH_CFS);
    expect(2, "name can only be number and letters", "/vol/delete?name=a&authKey=x");
    expect(2, "parameter authKey not found", "/vol/delete?name=nosuchvol");
    expect(7, "vol not exists", "/vol/delete?name=nosuchvol&authKey=%s", AUTH_CFS);

    expect(2, "parameter name not found", "/client/vol");
    expect(2, "name can only be number and letters", "/client/vol?name=v1");
    expect(2, "parameter authKey not found", "/client/vol?name=nosuchvol");
    expect(7, "vol not exists", "/client/vol?name=nosuchvol&authKey=%s", AUTH_CFS);
    expect(2, "parameter name not found", "/client/volStat");
    expect(2, "name can only be number and letters", "/client/volStat?name=v_");
    expect(7, "vol not exists", "/client/volStat?name=nosuchvol");
    expect(2, "parameter name not found", "/client/partitions");
    expect(2, "name can only be number and letters", "/client/partitions?name=-x-");
    expect(7, "vol not exists", "/client/partitions?name=nosuchvol");
    expect(2, "parameter name not found", "/client/metaPartitions");
    expect(2, "name can only be number and letters", "/client/metaPartitions?name=v1");
    expect(7, "vol not exists", "/client/metaPartitions?name=nosuchvol");

    /* count is parsed before name, as v3.5 does. */
    expect(2, "parameter count not found", "/dataPartition/create?name=vol1");
    expect(2, "parameter count not match", "/dataPartition/create?count=x&name=vol1");
    expect(2, "parameter count not match", "/dataPartition/create?count=0&name=vol1");
    expect(2, "args [count] is not legal, val 201: at most 200 per request",
           "/dataPartition/create?count=201&name=vol1");
    expect(2, "parameter name not found", "/dataPartition/create?count=1");
    expect(2, "name can only be number and letters", "/dataPartition/create?count=1&name=v1");
    expect(7, "vol not exists", "/dataPartition/create?count=1&name=nosuchvol");
    expect(2, "parameter name not found", "/metaPartition/create?start=1");
    expect(2, "parameter start not found", "/metaPartition/create?name=nosuchvol");
    expect(2, "parameter start not match", "/metaPartition/create?name=nosuchvol&start=x");
    expect(2, "name can only be number and letters", "/metaPartition/create?name=v1&start=0");
    expect(7, "vol not exists", "/metaPartition/create?name=nosuchvol&start=0");

    json_decref(call_ok("/vol/list?keywords="));
}

/* --- createVol -------------------------------------------------------------------------------- */

static void test_create(void)
{
    uint64_t start = clock_mono_ms();
    json_t *dps, *mps, *user;

    expect_text("create vol[vol1] successfully, has allocate [3] data partitions",
                "/admin/createVol?name=vol1&capacity=10&owner=cfs&zoneName=&description=first");
    printf("\n  createVol latency (3 replicas, 3 meta + 3 data partitions): %.1f ms (first: "
           "includes reserving ID ranges)",
           elapsed_ms(start));
    /* Two more samples on a warm master; test_delete removes them. */
    for (int i = 1; i <= 2; i++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "create vol[lat%d] successfully, has allocate [3] data "
                 "partitions",
                 i);
        start = clock_mono_ms();
        expect_text(want, "/admin/createVol?name=lat%d&capacity=10&owner=cfs", i);
        printf(", %.1f ms", elapsed_ms(start));
    }
    printf("\n");

    dps = wait_parts("vol1", true, 3);
    for (size_t i = 0; i < json_array_size(dps); i++) {
        json_t *dp = json_array_get(dps, i);
        CU_ASSERT_EQUAL(cenv_u64(dp, "Status"), 2);
        CU_ASSERT_EQUAL(cenv_u64(dp, "ReplicaNum"), 3);
        check_hosts(dp, true);
        vol1_dps[vol1_ndps++] = cenv_u64(dp, "PartitionID");
    }
    json_decref(dps);

    mps = wait_parts("vol1", false, 3);
    for (size_t i = 0; i < json_array_size(mps); i++) {
        json_t *mp = json_array_get(mps, i);
        CU_ASSERT_EQUAL(cenv_u64(mp, "Status"), 2);
        CU_ASSERT_EQUAL(cenv_u64(mp, "Start"), i == 0 ? 0 : i * INODE_STEP + 1);
        CU_ASSERT_EQUAL(cenv_u64(mp, "End"), i == 2 ? INODE_MAX : (i + 1) * INODE_STEP);
        check_hosts(mp, false);
        vol1_mps[vol1_nmps++] = cenv_u64(mp, "PartitionID");
    }
    json_decref(mps);

    expect(1, "createVol vol1: duplicate vol", "/admin/createVol?name=vol1&capacity=10&owner=cfs");

    /* The owner got a user record with CubeFS-shaped keys. */
    user = call_ok("/user/info?user=cfs");
    CU_ASSERT_STRING_EQUAL(cenv_str(user, "user_id"), "cfs");
    CU_ASSERT_EQUAL(strlen(cenv_str(user, "access_key")), 16);
    CU_ASSERT_EQUAL(strlen(cenv_str(user, "secret_key")), 32);
    json_decref(user);
}

static void test_views(void)
{
    json_t *vol, *view, *mps, *list, *stat;
    char msg[256] = "";
    int code;

    vol = call_ok("/admin/getVol?name=vol1");
    CU_ASSERT_STRING_EQUAL(cenv_str(vol, "Name"), "vol1");
    CU_ASSERT_STRING_EQUAL(cenv_str(vol, "Owner"), "cfs");
    CU_ASSERT_STRING_EQUAL(cenv_str(vol, "ZoneName"), "default");
    CU_ASSERT_STRING_EQUAL(cenv_str(vol, "Description"), "first");
    CU_ASSERT_EQUAL(cenv_u64(vol, "DpReplicaNum"), 3);
    CU_ASSERT_EQUAL(cenv_u64(vol, "MpReplicaNum"), 3);
    CU_ASSERT_EQUAL(cenv_u64(vol, "Capacity"), 10);
    CU_ASSERT_EQUAL(cenv_u64(vol, "Status"), 0);
    CU_ASSERT_EQUAL(cenv_u64(vol, "DpCnt"), 3);
    CU_ASSERT_EQUAL(cenv_u64(vol, "RwDpCnt"), 3);
    CU_ASSERT_EQUAL(cenv_u64(vol, "MpCnt"), 3);
    CU_ASSERT_EQUAL(cenv_u64(vol, "MaxMetaPartitionID"), vol1_mps[2]);
    CU_ASSERT_EQUAL(strlen(cenv_str(vol, "CreateTime")), 19); /* "2006-01-02 15:04:05" */
    CU_ASSERT(json_is_false(json_object_get(vol, "FollowerRead")));
    CU_ASSERT_PTR_NOT_NULL(json_object_get(vol, "QosInfo"));
    json_decref(vol);

    view = call_ok("/client/vol?name=vol1&authKey=%s", AUTH_CFS);
    CU_ASSERT_STRING_EQUAL(cenv_str(view, "Name"), "vol1");
    CU_ASSERT_STRING_EQUAL(cenv_str(view, "Owner"), "cfs");
    CU_ASSERT_EQUAL(json_array_size(json_object_get(view, "DataPartitions")), 0);
    CU_ASSERT(json_is_array(json_object_get(view, "DataPartitions")));
    CU_ASSERT_EQUAL(strlen(cenv_str(json_object_get(view, "OSSSecure"), "AccessKey")), 16);
    CU_ASSERT_EQUAL(strlen(cenv_str(json_object_get(view, "OSSSecure"), "SecretKey")), 32);
    mps = json_object_get(view, "MetaPartitions");
    CU_ASSERT_EQUAL(json_array_size(mps), 3);
    for (size_t i = 0; i < json_array_size(mps); i++) {
        CU_ASSERT_EQUAL(cenv_u64(json_array_get(mps, i), "Status"), 2);
        check_hosts(json_array_get(mps, i), false);
    }
    json_decref(view);
    /* The key is compared case-insensitively; a wrong one is refused unless the owner check is
     * skipped on purpose. */
    json_decref(call_ok("/client/vol?name=vol1&authKey=7B2F1BF38B87D32470C4557C7FF02E75"));
    expect(34, "client and server auth key do not match", "/client/vol?name=vol1&authKey=xyz");
    view = NULL;
    code = call_with_header("/client/vol?name=vol1", "Skip-Owner-Validation: true", msg,
                            sizeof(msg), &view);
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT_STRING_EQUAL(cenv_str(view, "Name"), "vol1");
    json_decref(view);

    list = call_ok("/vol/list?keywords=ol1");
    CU_ASSERT_EQUAL(json_array_size(list), 1);
    CU_ASSERT_STRING_EQUAL(cenv_str(json_array_get(list, 0), "Name"), "vol1");
    CU_ASSERT_EQUAL(cenv_u64(json_array_get(list, 0), "TotalSize"), 10ULL << 30);
    json_decref(list);
    list = call_ok("/vol/list?keywords=zzz");
    CU_ASSERT_EQUAL(json_array_size(list), 0);
    json_decref(list);

    stat = call_ok("/client/volStat?name=vol1");
    CU_ASSERT_STRING_EQUAL(cenv_str(stat, "Name"), "vol1");
    CU_ASSERT_EQUAL(cenv_u64(stat, "TotalSize"), 10ULL << 30);
    CU_ASSERT_STRING_EQUAL(cenv_str(stat, "UsedRatio"), "0.00");
    json_decref(stat);
}

/* --- partitions added by hand ----------------------------------------------------------------- */

static void test_add_dps(void)
{
    uint64_t start;
    json_t *dps;

    expect_text(" createDataPartition succeeeds. clusterLastTotalDataPartitions[9],vol[vol1] has 3 "
                "data partitions previously and 5 data partitions now",
                "/dataPartition/create?count=2&name=vol1");
    printf("  /dataPartition/create?count=1 latency (3 replicas):");
    for (unsigned i = 0; i < 3; i++) {
        char want[256];
        snprintf(want, sizeof(want),
                 " createDataPartition succeeeds. clusterLastTotalDataPartitions[%u],vol[vol1] "
                 "has %u data partitions previously and %u data partitions now",
                 11 + i, 5 + i, 6 + i);
        start = clock_mono_ms();
        expect_text(want, "/dataPartition/create?count=1&name=vol1&mediaType=0&clientIDKey=");
        printf(" %.1f ms", elapsed_ms(start));
    }
    printf("\n");

    /* A frozen cluster creates nothing, and says so (CubeFS answers success). */
    json_decref(call_ok("/cluster/freeze?enable=true"));
    expect(1,
           "createDataPartition vol[vol1]: the cluster is frozen (DisableAutoAlloc): no partition "
           "is created until /cluster/freeze?enable=false",
           "/dataPartition/create?count=1&name=vol1");
    expect(1,
           "createVol vol9: the cluster is frozen (DisableAutoAlloc): no partition is created "
           "until /cluster/freeze?enable=false",
           "/admin/createVol?name=vol9&capacity=10&owner=cfs");
    json_decref(call_ok("/cluster/freeze?enable=false"));

    dps = wait_parts("vol1", true, 8);
    vol1_ndps = 0;
    for (size_t i = 0; i < json_array_size(dps); i++) {
        json_t *dp = json_array_get(dps, i);
        CU_ASSERT_EQUAL(cenv_u64(dp, "Status"), 2);
        check_hosts(dp, true);
        vol1_dps[vol1_ndps++] = cenv_u64(dp, "PartitionID");
    }
    json_decref(dps);
}

struct file_wait {
    char path[1024];
    const char *needle;
};

static bool file_has(struct cenv *e, void *arg)
{
    struct file_wait *w = arg;
    char *text = test_read_file(w->path, NULL);
    bool found = text != NULL && strstr(text, w->needle) != NULL;

    (void)e;
    free(text);
    return found;
}

/* The last meta partition [8388609, MAX] ends at 8388609 + 2^22 and a new one takes the rest;
 * the old one's replicas learn their End. */
static void test_split_mp(void)
{
    uint64_t end = 8388609 + INODE_STEP;
    json_t *mps, *old = NULL, *added = NULL;
    char needle[64];

    expect_text("create meta partition successfully", "/metaPartition/create?name=vol1&start=0");
    mps = wait_parts("vol1", false, 4);
    for (size_t i = 0; i < json_array_size(mps); i++) {
        json_t *mp = json_array_get(mps, i);
        if (cenv_u64(mp, "PartitionID") == vol1_mps[2]) {
            old = mp;
        } else if (cenv_u64(mp, "Start") == end + 1) {
            added = mp;
        }
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    CU_ASSERT_PTR_NOT_NULL_FATAL(added);
    CU_ASSERT_EQUAL(cenv_u64(old, "End"), end);
    CU_ASSERT_EQUAL(cenv_u64(added, "End"), INODE_MAX);
    CU_ASSERT_EQUAL(cenv_u64(added, "Status"), 2);
    check_hosts(added, false);
    vol1_mps[vol1_nmps++] = cenv_u64(added, "PartitionID");

    snprintf(needle, sizeof(needle), "\"end\":%llu", (unsigned long long)end);
    for (size_t i = 0; i < json_array_size(json_object_get(old, "Members")); i++) {
        const char *addr = json_string_value(json_array_get(json_object_get(old, "Members"), i));
        struct file_wait w = {.needle = needle};
        mp_dir(w.path, sizeof(w.path) - 8, node_at(false, addr), vol1_mps[2]);
        strcat(w.path, "/meta");
        if (!cenv_wait(&env, file_has, &w, WAIT_MS)) {
            fprintf(stderr, "%s never held %s\n", w.path, needle);
        }
        CU_ASSERT(file_has(&env, &w));
    }
    json_decref(mps);
}

/* --- changes ---------------------------------------------------------------------------------- */

static void test_update(void)
{
    json_t *vol;

    expect(34, "client and server auth key do not match",
           "/vol/update?name=vol1&authKey=0123&description=x");
    expect_text("update vol[vol1] successfully\n",
                "/vol/update?name=vol1&authKey=%s&description=hello&zoneName=default", AUTH_CFS);
    expect(52, "zone not exists: nowhere", "/vol/update?name=vol1&authKey=%s&zoneName=nowhere",
           AUTH_CFS);
    expect(2, "args [replicaNum] is not legal, val 4: 1, 2 or 3 replicas",
           "/vol/update?name=vol1&authKey=%s&replicaNum=4", AUTH_CFS);
    expect(2, "vol with 1 or 2 replica should enable followerRead",
           "/vol/update?name=vol1&authKey=%s&replicaNum=2&followerRead=false", AUTH_CFS);

    expect_text("update vol[vol1] successfully\n", "/vol/expand?name=vol1&authKey=%s&capacity=30",
                AUTH_CFS);
    expect(2, "expand capacity[30] should be larger than the old capacity[30]",
           "/vol/expand?name=vol1&authKey=%s&capacity=30", AUTH_CFS);
    expect(34, "client and server auth key do not match",
           "/vol/shrink?name=vol1&authKey=bad&capacity=20");
    expect_text("update vol[vol1] successfully\n", "/vol/shrink?name=vol1&authKey=%s&capacity=20",
                AUTH_CFS);
    expect(2, "shrink capacity[25] should be less than the old capacity[20]",
           "/vol/shrink?name=vol1&authKey=%s&capacity=25", AUTH_CFS);

    /* replicaNum is applied (CubeFS drops it): new data partitions get 2 replicas. */
    expect_text("update vol[vol1] successfully\n", "/vol/update?name=vol1&authKey=%s&replicaNum=2",
                AUTH_CFS);
    vol = call_ok("/admin/getVol?name=vol1");
    CU_ASSERT_EQUAL(cenv_u64(vol, "Capacity"), 20);
    CU_ASSERT_EQUAL(cenv_u64(vol, "DpReplicaNum"), 2);
    CU_ASSERT_EQUAL(cenv_u64(vol, "MpReplicaNum"), 3);
    CU_ASSERT(json_is_true(json_object_get(vol, "FollowerRead")));
    CU_ASSERT_STRING_EQUAL(cenv_str(vol, "Description"), "hello");
    json_decref(vol);
    expect(2,
           "args [replicaNum] is not legal, val 3: may not be larger than the volume's 2 replicas",
           "/vol/update?name=vol1&authKey=%s&replicaNum=3", AUTH_CFS);
}

/* Clients updating one volume at once, half its description and half its capacity: every update
 * is answered success and none is lost or reordered: each field holds the last value some client
 * sent for it (an update built from a stale read would put back an older one). */
#define UPDATERS 8
#define UPDATES  10

static int capacity_of(int t, int i)
{
    return 100 * (t + 1) + i;
}

static void *updater(void *arg)
{
    int t = (int)(intptr_t)arg, ok = 0;
    char path[256];

    for (int i = 0; i < UPDATES; i++) {
        if (t % 2 == 0) {
            snprintf(path, sizeof(path), "/vol/update?name=vol1&authKey=%s&description=c%dn%d",
                     AUTH_CFS, t, i);
        } else {
            snprintf(path, sizeof(path), "/vol/update?name=vol1&authKey=%s&capacity=%d", AUTH_CFS,
                     capacity_of(t, i));
        }
        ok += cenv_call(&env, path, NULL, NULL, 0) == 0;
    }
    return (void *)(intptr_t)ok;
}

static void test_concurrent_updates(void)
{
    pthread_t threads[UPDATERS];
    int answered = 0;
    bool last_desc = false, last_capacity = false;
    json_t *vol;

    for (int t = 0; t < UPDATERS; t++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[t], NULL, updater, (void *)(intptr_t)t), 0);
    }
    for (int t = 0; t < UPDATERS; t++) {
        void *ok;
        pthread_join(threads[t], &ok);
        answered += (int)(intptr_t)ok;
    }
    CU_ASSERT_EQUAL(answered, UPDATERS * UPDATES);
    vol = call_ok("/admin/getVol?name=vol1");
    for (int t = 0; t < UPDATERS; t += 2) {
        char want[32];
        snprintf(want, sizeof(want), "c%dn%d", t, UPDATES - 1);
        last_desc = last_desc || strcmp(cenv_str(vol, "Description"), want) == 0;
        last_capacity =
            last_capacity || cenv_u64(vol, "Capacity") == (uint64_t)capacity_of(t + 1, UPDATES - 1);
    }
    CU_ASSERT(last_desc);
    CU_ASSERT(last_capacity);
    CU_ASSERT_EQUAL(cenv_u64(vol, "DpReplicaNum"), 2); /* the other fields are left alone */
    json_decref(vol);
    expect_text("update vol[vol1] successfully\n", "/vol/update?name=vol1&authKey=%s&capacity=20",
                AUTH_CFS);
}

/* --- deletion --------------------------------------------------------------------------------- */

static bool vol_gone(struct cenv *e, void *arg)
{
    return cenv_call(e, arg, NULL, NULL, 0) == 7;
}

/* No directory of vol1's partitions is left on any node. */
static bool vol1_dirs_gone(struct cenv *e, void *arg)
{
    char dir[1024];

    (void)arg;
    for (size_t k = 0; k < e->ndatanodes; k++) {
        for (size_t i = 0; i < vol1_ndps; i++) {
            dp_dir(dir, sizeof(dir), &e->datanodes[k], vol1_dps[i]);
            if (path_exists(dir)) {
                return false;
            }
        }
    }
    for (size_t k = 0; k < e->nmetanodes; k++) {
        for (size_t i = 0; i < vol1_nmps; i++) {
            mp_dir(dir, sizeof(dir), &e->metanodes[k], vol1_mps[i]);
            if (path_exists(dir)) {
                return false;
            }
        }
    }
    return true;
}

static void test_delete(void)
{
    CU_ASSERT_EQUAL(vol1_ndps, 8);
    CU_ASSERT_EQUAL(vol1_nmps, 4);
    for (int i = 1; i <= 2; i++) {
        char want[64];
        snprintf(want, sizeof(want), "delete vol[lat%d] successfully,from[127.0.0.1]", i);
        expect_text(want, "/vol/delete?name=lat%d&authKey=%s", i, AUTH_CFS);
    }
    expect(34, "client and server auth key do not match", "/vol/delete?name=vol1&authKey=nope");
    expect_text("delete vol[vol1] successfully,from[127.0.0.1]",
                "/vol/delete?name=vol1&authKey=%s&clientIDKey=", AUTH_CFS);
    /* At once a deleted volume takes no new partitions and is gone for clients. */
    expect(7, "vol not exists", "/dataPartition/create?count=1&name=vol1");
    expect(7, "vol not exists", "/client/vol?name=vol1&authKey=%s", AUTH_CFS);
    CU_ASSERT(cenv_wait(&env, vol1_dirs_gone, NULL, WAIT_MS));
    CU_ASSERT(cenv_wait(&env, vol_gone, "/admin/getVol?name=vol1", WAIT_MS));
    CU_ASSERT(cenv_wait(&env, vol_gone, "/admin/getVol?name=lat1", WAIT_MS));
    CU_ASSERT(cenv_wait(&env, vol_gone, "/admin/getVol?name=lat2", WAIT_MS));
    expect(7, "vol not exists", "/client/partitions?name=vol1");
    CU_ASSERT(vol1_dirs_gone(&env, NULL));
}

/* --- automatic data partitions and failed creations --------------------------------------------
 */

struct count_wait {
    const char *vol;
    uint64_t rw;
    uint64_t total;
};

static bool counts_reached(struct cenv *e, void *arg)
{
    struct count_wait *w = arg;
    char path[128];
    json_t *vol = NULL;
    bool ok;

    snprintf(path, sizeof(path), "/admin/getVol?name=%s", w->vol);
    ok = cenv_call(e, path, &vol, NULL, 0) == 0 && cenv_u64(vol, "RwDpCnt") == w->rw &&
         cenv_u64(vol, "DpCnt") == w->total;
    json_decref(vol);
    return ok;
}

/* How many data partitions of vol have a replica on addr. */
static uint64_t dps_on(const char *vol, const char *addr)
{
    json_t *dps = wait_parts(vol, true, 3);
    uint64_t n = 0;

    for (size_t i = 0; i < json_array_size(dps); i++) {
        json_t *hosts = json_object_get(json_array_get(dps, i), "Hosts");
        for (size_t h = 0; h < json_array_size(hosts); h++) {
            n += strcmp(json_string_value(json_array_get(hosts, h)), addr) == 0;
        }
    }
    json_decref(dps);
    return n;
}

struct inactive_wait {
    size_t n; /* data nodes expected inactive */
};

static bool data_nodes_inactive(struct cenv *e, void *arg)
{
    struct inactive_wait *w = arg;
    json_t *list = NULL;
    size_t inactive = 0;

    if (cenv_call(e, "/admin/cluster/getAllDataNodes", &list, NULL, 0) != 0) {
        return false;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        inactive += json_is_false(json_object_get(json_array_get(list, i), "Status"));
    }
    json_decref(list);
    return inactive == w->n;
}

/* A data node dies under a createVol: the create on it fails, every replica made on the other
 * nodes is deleted again, and the answer names the node. A 2-replica volume then regains its
 * writable data partitions automatically on the two nodes left. */
static void test_node_dies_during_create(void)
{
    static char before[16384], after[16384];
    struct inactive_wait one = {1};
    struct count_wait counts = {"auto1", 3, 3};
    char msg[512] = "";
    json_t *data = NULL;
    int code;

    expect_text("create vol[auto1] successfully, has allocate [3] data partitions",
                "/admin/createVol?name=auto1&capacity=10&owner=bob&replicaNum=2&dpCount=3");
    /* Each partition of auto1 on the node about to die turns read-only and is replaced. */
    counts.total += dps_on("auto1", env.datanodes[2].addr);
    printf("  auto1 has %llu data partitions on the node that dies\n",
           (unsigned long long)(counts.total - 3));
    disk_listing(before, sizeof(before));
    cenv_stop_node(&env, true, 2, SIGKILL);
    code = cenv_call(&env, "/admin/createVol?name=vol2&capacity=10&owner=cfs", &data, msg,
                     sizeof(msg));
    printf("  createVol with a dead data node: %d %s\n", code, msg);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT(strncmp(msg, "createVol vol2: ", 16) == 0);
    /* Normally the master still counts the node as alive and the create on it fails; should the
     * node have been marked inactive already, placement refuses instead. */
    CU_ASSERT(strstr(msg, env.datanodes[2].addr) != NULL ||
              strstr(msg, "no node set with 3 writable data nodes") != NULL);
    json_decref(data);
    disk_listing(after, sizeof(after));
    CU_ASSERT_STRING_EQUAL(after, before);
    expect(7, "vol not exists", "/admin/getVol?name=vol2");

    CU_ASSERT(cenv_wait(&env, data_nodes_inactive, &one, WAIT_MS));
    if (!cenv_wait(&env, counts_reached, &counts, WAIT_MS)) {
        fprintf(stderr, "auto1 never reached 3 writable of %llu data partitions\n",
                (unsigned long long)counts.total);
    }
    CU_ASSERT(counts_reached(&env, &counts));
}

/* With two of three data nodes down, a 3-replica volume cannot be placed: the answer says where
 * and how many were needed and found, and nothing is created anywhere. */
static void test_placement_refused(void)
{
    static char before[16384], after[16384];
    struct inactive_wait two = {2};
    char msg[512] = "";
    int code;

    CU_ASSERT_EQUAL(cenv_stop_node(&env, true, 1, SIGTERM), 0);
    CU_ASSERT(cenv_wait(&env, data_nodes_inactive, &two, WAIT_MS));
    disk_listing(before, sizeof(before));
    code =
        cenv_call(&env, "/admin/createVol?name=vol3&capacity=10&owner=cfs", NULL, msg, sizeof(msg));
    printf("  createVol with 1 of 3 data nodes: %d %s\n", code, msg);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "createVol vol3: data partition 1 of 3: no node set with 3 "
                                       "writable data nodes in zone default"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "found 1 of 3 (2 inactive)"));
    disk_listing(after, sizeof(after));
    CU_ASSERT_STRING_EQUAL(after, before);
    expect(7, "vol not exists", "/admin/getVol?name=vol3");
    code = cenv_call(&env, "/dataPartition/create?count=1&name=auto1", NULL, msg, sizeof(msg));
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "createDataPartition vol[auto1]: 0 of 1 created: no node "
                                       "set with 2 writable data nodes in zone default"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "found 1 of 3 (2 inactive)"));
}

static const struct test_case cases[] = {
    {"bad_params", test_bad_params},
    {"create", test_create},
    {"views", test_views},
    {"add_dps", test_add_dps},
    {"split_mp", test_split_mp},
    {"update", test_update},
    {"concurrent_updates", test_concurrent_updates},
    {"delete", test_delete},
    {"node_dies_during_create", test_node_dies_during_create},
    {"placement_refused", test_placement_refused},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"volumes", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
