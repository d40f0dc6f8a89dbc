#include "common/errors.h"
#include "master/cluster/pstate.h"
#include "master/cluster/vol_ops.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define GIB (1ULL << 30)

/* --- inode ranges ---------------------------------------------------------------------------- */

/* v3.5's layout as the samples show it: [0, 4194304], [4194305, 8388608], [8388609, 2^63-1]. */
static void test_mp_ranges_sample(void)
{
    struct vol_ops_range r[3];

    vol_ops_mp_ranges(3, r);
    CU_ASSERT_EQUAL(r[0].start, 0);
    CU_ASSERT_EQUAL(r[0].end, 4194304);
    CU_ASSERT_EQUAL(r[1].start, 4194305);
    CU_ASSERT_EQUAL(r[1].end, 8388608);
    CU_ASSERT_EQUAL(r[2].start, 8388609);
    CU_ASSERT_EQUAL(r[2].end, 9223372036854775807ULL);
}

/* Any count: contiguous, no gap, no overlap, the last one open-ended. */
static void test_mp_ranges_cover(void)
{
    static const uint32_t counts[] = {1, 2, 7, VOL_OPS_MAX_MP_COUNT};
    struct vol_ops_range r[VOL_OPS_MAX_MP_COUNT];

    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        uint32_t n = counts[c];
        vol_ops_mp_ranges(n, r);
        CU_ASSERT_EQUAL(r[0].start, 0);
        CU_ASSERT_EQUAL(r[n - 1].end, VOL_OPS_INODE_MAX);
        for (uint32_t i = 0; i + 1 < n; i++) {
            CU_ASSERT_EQUAL(r[i].end, (uint64_t)(i + 1) * VOL_OPS_INODE_STEP);
            CU_ASSERT_EQUAL(r[i + 1].start, r[i].end + 1);
            CU_ASSERT(r[i].start <= r[i].end);
        }
    }
}

static void test_split_end(void)
{
    static const struct {
        uint64_t start, last_start, max_inode;
        int rv;
        uint64_t end;
    } cases[] = {
        {0, 8388609, 8388609, 0, 8388609 + VOL_OPS_INODE_STEP}, /* the node's cursor = Start */
        {20000000, 8388609, 8388609, 0, 20000000 + VOL_OPS_INODE_STEP}, /* start wins */
        {0, 8388609, 30000000, 0, 30000000 + VOL_OPS_INODE_STEP},       /* used inodes win */
        {0, 0, 0, 0, VOL_OPS_INODE_STEP},
        {VOL_OPS_INODE_MAX - VOL_OPS_INODE_STEP - 2, 0, 0, 0, VOL_OPS_INODE_MAX - 2},
        {VOL_OPS_INODE_MAX - VOL_OPS_INODE_STEP - 1, 0, 0, -ERANGE, 0}, /* nothing left */
        {0, VOL_OPS_INODE_MAX - 5, 0, -ERANGE, 0},
        {0, 0, UINT64_MAX, -ERANGE, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t end = 7;
        CU_ASSERT_EQUAL(
            vol_ops_split_end(cases[i].start, cases[i].last_start, cases[i].max_inode, &end),
            cases[i].rv);
        CU_ASSERT_EQUAL(end, cases[i].rv == 0 ? cases[i].end : 7);
    }
}

static void test_auth_key(void)
{
    CU_ASSERT(vol_ops_auth_ok("cfs", "7b2f1bf38b87d32470c4557c7ff02e75"));
    CU_ASSERT(vol_ops_auth_ok("cfs", "7B2F1BF38B87D32470C4557C7FF02E75"));
    CU_ASSERT(!vol_ops_auth_ok("cfs", "7b2f1bf38b87d32470c4557c7ff02e7"));
    CU_ASSERT(!vol_ops_auth_ok("cfs", ""));
    CU_ASSERT(!vol_ops_auth_ok("cfs2", "7b2f1bf38b87d32470c4557c7ff02e75"));
}

/* --- createVol parameters -------------------------------------------------------------------- */

static struct vol_ops_create_req create_req(void)
{
    struct vol_ops_create_req r = {0};

    snprintf(r.name, sizeof(r.name), "vol1");
    snprintf(r.owner, sizeof(r.owner), "cfs");
    r.capacity = 10;
    return r;
}

static void test_create_defaults(void)
{
    struct vol_ops_create_req r = create_req();
    char msg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL(vol_ops_check_create(&r, msg), API_SUCCESS);
    CU_ASSERT_EQUAL(r.replicas, 3);
    CU_ASSERT_EQUAL(r.mp_count, 3);
    CU_ASSERT_EQUAL(r.dp_count, 3);
    CU_ASSERT_EQUAL(r.dp_size_gb, 120);
    CU_ASSERT_STRING_EQUAL(r.zone, "default");
    CU_ASSERT(!r.follower_read);
}

/* Given values stay; 1 or 2 replicas read from followers. */
static void test_create_given(void)
{
    struct vol_ops_create_req r = create_req();
    char msg[ERRMSG_SIZE] = "";

    r.replicas = 1;
    r.mp_count = 1;
    r.dp_count = 200;
    r.dp_size_gb = 10;
    snprintf(r.zone, sizeof(r.zone), "z1");
    CU_ASSERT_EQUAL(vol_ops_check_create(&r, msg), API_SUCCESS);
    CU_ASSERT_EQUAL(r.replicas, 1);
    CU_ASSERT_EQUAL(r.mp_count, 1);
    CU_ASSERT_EQUAL(r.dp_count, 200);
    CU_ASSERT_EQUAL(r.dp_size_gb, 10);
    CU_ASSERT_STRING_EQUAL(r.zone, "z1");
    CU_ASSERT(r.follower_read);
}

static void test_create_rejects(void)
{
    static const struct {
        uint64_t capacity, replicas, mp_count, dp_count;
        bool follower_read_given, cross_zone;
        const char *msg;
    } cases[] = {
        {0, 0, 0, 0, false, false,
         "args [capacity] is not legal, val 0: a capacity in GB of at least 1"},
        {UINT64_MAX, 0, 0, 0, false, false,
         "args [capacity] is not legal, val 18446744073709551615: a capacity in GB of at least 1"},
        {10, 4, 0, 0, false, false, "args [replicaNum] is not legal, val 4: 1, 2 or 3 replicas"},
        {10, 0, 101, 0, false, false,
         "args [mpCount] is not legal, val 101: at most 100 meta partitions"},
        {10, 0, 0, 201, false, false,
         "args [dpCount] is not legal, val 201: at most 200 data partitions"},
        {10, 2, 0, 0, true, false, "vol with 1 or 2 replica should enable followerRead"},
        {10, 0, 0, 0, false, true,
         "crossZone volumes are not supported: a volume lives in one zone (zoneName)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vol_ops_create_req r = create_req();
        char msg[ERRMSG_SIZE] = "";
        r.capacity = cases[i].capacity;
        r.replicas = cases[i].replicas;
        r.mp_count = cases[i].mp_count;
        r.dp_count = cases[i].dp_count;
        r.follower_read_given = cases[i].follower_read_given;
        r.cross_zone = cases[i].cross_zone;
        CU_ASSERT_EQUAL(vol_ops_check_create(&r, msg), API_PARAM_ERROR);
        CU_ASSERT_STRING_EQUAL(msg, cases[i].msg);
    }
}

/* --- updates --------------------------------------------------------------------------------- */

static struct store_vol vol(void)
{
    struct store_vol v = {0};

    v.id = 5;
    snprintf(v.name, sizeof(v.name), "vol1");
    snprintf(v.owner, sizeof(v.owner), "cfs");
    snprintf(v.zone_name, sizeof(v.zone_name), "default");
    snprintf(v.description, sizeof(v.description), "old");
    v.dp_replica_num = 3;
    v.mp_replica_num = 3;
    v.capacity = 100;
    return v;
}

static void test_update_expand_shrink(void)
{
    static const struct {
        enum vol_ops_update_kind kind;
        uint64_t capacity;
        uint64_t used;
        int code;
        const char *msg;
    } cases[] = {
        {VOL_OPS_EXPAND, 101, 0, API_SUCCESS, ""},
        {VOL_OPS_EXPAND, 100, 0, API_PARAM_ERROR,
         "expand capacity[100] should be larger than the old capacity[100]"},
        {VOL_OPS_SHRINK, 99, 0, API_SUCCESS, ""},
        {VOL_OPS_SHRINK, 100, 0, API_PARAM_ERROR,
         "shrink capacity[100] should be less than the old capacity[100]"},
        {VOL_OPS_SHRINK, 60, 50 * GIB, API_SUCCESS, ""}, /* exactly 1.2 x used */
        {VOL_OPS_SHRINK, 59, 50 * GIB, API_INTERNAL_ERROR,
         "capacity[59 GB] must be at least 1.2 times the used space[53687091200 bytes]"},
        {VOL_OPS_SHRINK, 0, 0, API_PARAM_ERROR,
         "args [capacity] is not legal, val 0: a capacity in GB of at least 1"},
        /* Raising the capacity is never refused for lack of room. */
        {VOL_OPS_UPDATE, 101, 500 * GIB, API_SUCCESS, ""},
        {VOL_OPS_UPDATE, 99, 500 * GIB, API_INTERNAL_ERROR,
         "capacity[99 GB] must be at least 1.2 times the used space[536870912000 bytes]"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store_vol cur = vol(), out = {0};
        struct vol_ops_update_req req = {.kind = cases[i].kind, .has_capacity = true};
        char msg[ERRMSG_SIZE] = "";
        req.capacity = cases[i].capacity;
        CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, cases[i].used, &req, &out, msg), cases[i].code);
        CU_ASSERT_STRING_EQUAL(msg, cases[i].msg);
        CU_ASSERT_EQUAL(out.capacity, cases[i].code == API_SUCCESS ? cases[i].capacity : 0);
    }
}

/* replicaNum is really applied (CubeFS validates it and drops it), may only shrink, and 1 or 2
 * replicas turn followerRead on unless the request says otherwise. */
static void test_update_replicas(void)
{
    static const struct {
        uint64_t replicas;
        bool has_fr, fr;
        int code;
        uint8_t want;
        bool want_fr;
        const char *msg;
    } cases[] = {
        {2, false, false, API_SUCCESS, 2, true, ""},
        {3, false, false, API_SUCCESS, 3, false, ""},
        {0, false, false, API_SUCCESS, 3, false, ""}, /* 0 keeps the count */
        {1, true, true, API_SUCCESS, 1, true, ""},
        {1, true, false, API_PARAM_ERROR, 0, false,
         "vol with 1 or 2 replica should enable followerRead"},
        {4, false, false, API_PARAM_ERROR, 0, false,
         "args [replicaNum] is not legal, val 4: 1, 2 or 3 replicas"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store_vol cur = vol(), out = {0};
        struct vol_ops_update_req req = {.kind = VOL_OPS_UPDATE, .has_replicas = true};
        char msg[ERRMSG_SIZE] = "";
        req.replicas = cases[i].replicas;
        req.has_follower_read = cases[i].has_fr;
        req.follower_read = cases[i].fr;
        CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, 0, &req, &out, msg), cases[i].code);
        CU_ASSERT_STRING_EQUAL(msg, cases[i].msg);
        CU_ASSERT_EQUAL(out.dp_replica_num, cases[i].want);
        CU_ASSERT_EQUAL(out.follower_read, cases[i].want_fr);
        if (cases[i].code == API_SUCCESS) {
            CU_ASSERT_EQUAL(out.mp_replica_num, 3);
            CU_ASSERT_EQUAL(out.capacity, 100);
        }
    }
}

static void test_update_grow_refused(void)
{
    struct store_vol cur = vol(), out = {0};
    struct vol_ops_update_req req = {.kind = VOL_OPS_UPDATE, .has_replicas = true, .replicas = 3};
    char msg[ERRMSG_SIZE] = "";

    cur.dp_replica_num = 2;
    cur.follower_read = true;
    CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, 0, &req, &out, msg), API_PARAM_ERROR);
    CU_ASSERT_STRING_EQUAL(
        msg, "args [replicaNum] is not legal, val 3: may not be larger than the volume's 2 "
             "replicas");
}

/* Fields not sent keep their values; an empty zoneName keeps the zone. */
static void test_update_fields(void)
{
    struct store_vol cur = vol(), out = {0};
    struct vol_ops_update_req req = {.kind = VOL_OPS_UPDATE};
    char msg[ERRMSG_SIZE] = "";

    cur.follower_read = true;
    CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, 0, &req, &out, msg), API_SUCCESS);
    CU_ASSERT_EQUAL(out.capacity, 100);
    CU_ASSERT_EQUAL(out.dp_replica_num, 3);
    CU_ASSERT(out.follower_read);
    CU_ASSERT_STRING_EQUAL(out.zone_name, "default");
    CU_ASSERT_STRING_EQUAL(out.description, "old");

    req.has_zone = true;
    req.has_description = true;
    snprintf(req.description, sizeof(req.description), "hello");
    req.has_follower_read = true;
    req.follower_read = false;
    CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, 0, &req, &out, msg), API_SUCCESS);
    CU_ASSERT_STRING_EQUAL(out.zone_name, "default");
    CU_ASSERT_STRING_EQUAL(out.description, "hello");
    CU_ASSERT(!out.follower_read);

    snprintf(req.zone, sizeof(req.zone), "z2");
    req.has_description = false;
    CU_ASSERT_EQUAL(vol_ops_plan_update(&cur, 0, &req, &out, msg), API_SUCCESS);
    CU_ASSERT_STRING_EQUAL(out.zone_name, "z2");
    CU_ASSERT_STRING_EQUAL(out.description, "old");
}

/* --- views ----------------------------------------------------------------------------------- */

/* VolStatInfo: v3.5's keys in v3.5's order (the /client/volStat sample), the ratio with as many
 * decimals as the route shows. */
static void test_stat_view(void)
{
    static const char *const keys[] = {"Name",
                                       "TotalSize",
                                       "UsedSize",
                                       "UsedRatio",
                                       "CacheTotalSize",
                                       "CacheUsedSize",
                                       "CacheUsedRatio",
                                       "EnableToken",
                                       "InodeCount",
                                       "TxCnt",
                                       "TxRbInoCnt",
                                       "TxRbDenCnt",
                                       "DpReadOnlyWhenVolFull",
                                       "TrashIntervalV2",
                                       "DefaultStorageClass",
                                       "MetaFollowerRead",
                                       "MaximallyRead",
                                       "LeaderRetryTimeOut",
                                       "StatByStorageClass",
                                       "StatMigrateStorageClass",
                                       "StatByDpMediaType",
                                       NULL};
    struct store_vol vol = {.capacity = 10};
    struct pstate_vol stats = {.used = GIB, .inode_count = 7};
    json_t *v, *val;
    const char *key;
    size_t k = 0;

    snprintf(vol.name, sizeof(vol.name), "vol1");
    v = vol_ops_stat_view(&vol, &stats, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    json_object_foreach(v, key, val)
    {
        CU_ASSERT_PTR_NOT_NULL_FATAL(keys[k]);
        CU_ASSERT_STRING_EQUAL(key, keys[k]);
        k++;
    }
    CU_ASSERT_PTR_NULL(keys[k]);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "Name")), "vol1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "TotalSize")), (json_int_t)(10 * GIB));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "UsedSize")), (json_int_t)GIB);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "UsedRatio")), "0.10");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "InodeCount")), 7);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "DefaultStorageClass")), 1);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "StatByStorageClass")), 0);
    json_decref(v);
    v = vol_ops_stat_view(&vol, &stats, 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "UsedRatio")), "0.100");
    json_decref(v);
}

static const struct test_case cases[] = {
    {"mp_ranges_sample", test_mp_ranges_sample},
    {"mp_ranges_cover", test_mp_ranges_cover},
    {"split_end", test_split_end},
    {"auth_key", test_auth_key},
    {"create_defaults", test_create_defaults},
    {"create_given", test_create_given},
    {"create_rejects", test_create_rejects},
    {"update_expand_shrink", test_update_expand_shrink},
    {"update_replicas", test_update_replicas},
    {"update_grow_refused", test_update_grow_refused},
    {"update_fields", test_update_fields},
    {"stat_view", test_stat_view},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"vol_ops", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
