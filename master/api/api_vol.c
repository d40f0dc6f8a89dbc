/* Volume routes: createVol, getVol, the volume changes (/vol/...), the client reads
 * (/client/...), manual data and meta partition creation, and the two leader jobs (automatic data
 * partitions, deletion).
 *
 * Reads answer on the loop thread from one short store read transaction plus the partition
 * status cache (pstate). Mutations are validated here, with CubeFS's parameter messages, and run
 * on a worker (master/cluster/vol_ops.h). */
#define LOG_TAG "api"

#include "common/clock.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/cluster/pstate.h"
#include "master/cluster/vol_ops.h"
#include "master/core/master.h"
#include "master/core/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GIB (1ULL << 30)

/* --- views (v3.5 field sets, constants as the samples show them) ------------------------------ */

struct qos_item {
    char name[16];
    uint32_t type;
    uint64_t total;
};

static const struct jc_field qos_item_fields[] = {
    JC_F(struct qos_item, name, "Name", JC_STR, 0),
    JC_F(struct qos_item, type, "Type", JC_U32, 0),
    JC_F(struct qos_item, total, "Total", JC_U64, 0),
    JC_CONST("CliUsed", JC_EMIT_ZERO),
    JC_END,
};

struct qos_info {
    uint32_t nitems;
    struct qos_item items[2];
};

static const struct jc_field qos_info_fields[] = {
    JC_ARR(struct qos_info, items, nitems, "QosItems", JC_OBJECT, qos_item_fields, 0),
    JC_CONST("QosEnable", JC_EMIT_FALSE),
    JC_END,
};

struct class_quota {
    uint32_t storage_class;
};

static const struct jc_field class_quota_fields[] = {
    JC_F(struct class_quota, storage_class, "StorageClass", JC_U32, 0),
    JC_CONST("InodeCount", JC_EMIT_ZERO),
    JC_CONST("UsedSizeBytes", JC_EMIT_ZERO),
    JC_CONST("QuotaGB", JC_EMIT_ZERO),
    JC_END,
};

/* SimpleVolView, /admin/getVol. Every data partition counts as SSD: the storage class v3.5
 * reports for replica volumes (VolStorageClass 1). */
struct vol_view {
    uint64_t id;
    char name[STORE_NAME_SIZE];
    char owner[STORE_NAME_SIZE];
    char zone[STORE_NAME_SIZE];
    uint32_t dp_replica_num;
    uint32_t mp_replica_num;
    uint64_t inode_count;
    uint64_t dentry_count;
    uint64_t max_mp_id;
    uint32_t status;
    uint64_t capacity;
    uint32_t rw_dp_cnt;
    uint32_t mp_cnt;
    uint32_t dp_cnt;
    bool follower_read;
    bool authenticate;
    bool cross_zone;
    char create_time[32];
    char tx_mask_v1[16];
    char tx_mask[16];
    int64_t tx_timeout;
    int64_t tx_retry_num;
    int64_t tx_retry_interval;
    char description[STORE_TEXT_SIZE];
    char delete_exec_time[32];
    uint64_t repair_block_size;
    int64_t access_time_interval;
    uint32_t storage_class;
    uint32_t nallowed;
    uint32_t allowed[1];
    bool forbid_proto_v0;
    uint32_t nquotas;
    struct class_quota quotas[1];
    int64_t cache_ttl;
    int64_t cache_read_timeout;
    int64_t cache_max_file_gb;
    int64_t flash_timeout_count;
    int64_t cache_same_zone_timeout;
    int64_t cache_same_region_timeout;
    struct qos_info qos;
};

static const struct jc_field vol_view_fields[] = {
    JC_F(struct vol_view, id, "ID", JC_U64, 0),
    JC_F(struct vol_view, name, "Name", JC_STR, 0),
    JC_F(struct vol_view, owner, "Owner", JC_STR, 0),
    JC_F(struct vol_view, zone, "ZoneName", JC_STR, 0),
    JC_F(struct vol_view, dp_replica_num, "DpReplicaNum", JC_U32, 0),
    JC_F(struct vol_view, mp_replica_num, "MpReplicaNum", JC_U32, 0),
    JC_F(struct vol_view, inode_count, "InodeCount", JC_U64, 0),
    JC_F(struct vol_view, dentry_count, "DentryCount", JC_U64, 0),
    JC_F(struct vol_view, max_mp_id, "MaxMetaPartitionID", JC_U64, 0),
    JC_CONST("MaxDataPartitionID", JC_EMIT_ZERO),
    JC_F(struct vol_view, status, "Status", JC_U32, 0),
    JC_F(struct vol_view, capacity, "Capacity", JC_U64, 0),
    JC_F(struct vol_view, rw_dp_cnt, "RwDpCnt", JC_U32, 0),
    JC_F(struct vol_view, rw_dp_cnt, "RwDpOfSSDCnt", JC_U32, 0),
    JC_CONST("RwDpOfHDDCnt", JC_EMIT_ZERO),
    JC_F(struct vol_view, mp_cnt, "MpCnt", JC_U32, 0),
    JC_F(struct vol_view, dp_cnt, "DpCnt", JC_U32, 0),
    JC_F(struct vol_view, dp_cnt, "DpOfSSDCnt", JC_U32, 0),
    JC_CONST("DpOfHDDCnt", JC_EMIT_ZERO),
    JC_F(struct vol_view, follower_read, "FollowerRead", JC_BOOL, 0),
    JC_CONST("MetaFollowerRead", JC_EMIT_FALSE),
    JC_CONST("DirectRead", JC_EMIT_FALSE),
    JC_CONST("IgnoreTinyRecover", JC_EMIT_FALSE),
    JC_CONST("MaximallyRead", JC_EMIT_FALSE),
    JC_CONST("NeedToLowerReplica", JC_EMIT_FALSE),
    JC_F(struct vol_view, authenticate, "Authenticate", JC_BOOL, 0),
    JC_F(struct vol_view, cross_zone, "CrossZone", JC_BOOL, 0),
    JC_CONST("DefaultPriority", JC_EMIT_FALSE),
    JC_CONST("DomainOn", JC_EMIT_FALSE),
    JC_F(struct vol_view, create_time, "CreateTime", JC_STR, 0),
    JC_CONST("DeleteLockTime", JC_EMIT_ZERO),
    JC_CONST("LeaderRetryTimeOut", JC_EMIT_ZERO),
    JC_CONST("EnableToken", JC_EMIT_FALSE),
    JC_CONST("EnablePosixAcl", JC_EMIT_FALSE),
    JC_CONST("EnableQuota", JC_EMIT_FALSE),
    JC_F(struct vol_view, tx_mask_v1, "EnableTransactionV1", JC_STR, 0),
    JC_F(struct vol_view, tx_mask, "EnableTransaction", JC_STR, 0),
    JC_F(struct vol_view, tx_timeout, "TxTimeout", JC_I64, 0),
    JC_F(struct vol_view, tx_retry_num, "TxConflictRetryNum", JC_I64, 0),
    JC_F(struct vol_view, tx_retry_interval, "TxConflictRetryInterval", JC_I64, 0),
    JC_CONST("TxOpLimit", JC_EMIT_ZERO),
    JC_F(struct vol_view, description, "Description", JC_STR, 0),
    JC_CONST("DpSelectorName", JC_EMIT_EMPTY_STR),
    JC_CONST("DpSelectorParm", JC_EMIT_EMPTY_STR),
    JC_CONST("DefaultZonePrior", JC_EMIT_FALSE),
    JC_CONST("DpReadOnlyWhenVolFull", JC_EMIT_FALSE),
    JC_CONST("LeaderRetryTimeout", JC_EMIT_ZERO),
    JC_CONST("VolType", JC_EMIT_ZERO),
    JC_CONST("ObjBlockSize", JC_EMIT_ZERO),
    JC_CONST("Uids", JC_EMIT_NULL),
    JC_CONST("TrashInterval", JC_EMIT_ZERO),
    JC_CONST("LatestVer", JC_EMIT_ZERO),
    JC_CONST("Forbidden", JC_EMIT_FALSE),
    JC_CONST("DisableAuditLog", JC_EMIT_FALSE),
    JC_F(struct vol_view, delete_exec_time, "DeleteExecTime", JC_STR, 0),
    JC_F(struct vol_view, repair_block_size, "DpRepairBlockSize", JC_U64, 0),
    JC_CONST("EnableAutoDpMetaRepair", JC_EMIT_FALSE),
    JC_F(struct vol_view, access_time_interval, "AccessTimeInterval", JC_I64, 0),
    JC_CONST("EnablePersistAccessTime", JC_EMIT_FALSE),
    JC_F(struct vol_view, storage_class, "VolStorageClass", JC_U32, 0),
    JC_ARR(struct vol_view, allowed, nallowed, "AllowedStorageClass", JC_U32, NULL, 0),
    JC_F(struct vol_view, forbid_proto_v0, "ForbidWriteOpOfProtoVer0", JC_BOOL, 0),
    JC_ARR(struct vol_view, quotas, nquotas, "QuotaOfStorageClass", JC_OBJECT, class_quota_fields,
           0),
    JC_CONST("RemoteCacheEnable", JC_EMIT_FALSE),
    JC_CONST("RemoteCachePath", JC_EMIT_EMPTY_STR),
    JC_CONST("RemoteCacheAutoPrepare", JC_EMIT_FALSE),
    JC_F(struct vol_view, cache_ttl, "RemoteCacheTTL", JC_I64, 0),
    JC_F(struct vol_view, cache_read_timeout, "RemoteCacheReadTimeout", JC_I64, 0),
    JC_F(struct vol_view, cache_max_file_gb, "RemoteCacheMaxFileSizeGB", JC_I64, 0),
    JC_CONST("RemoteCacheOnlyForNotSSD", JC_EMIT_FALSE),
    JC_CONST("RemoteCacheMultiRead", JC_EMIT_FALSE),
    JC_F(struct vol_view, flash_timeout_count, "FlashNodeTimeoutCount", JC_I64, 0),
    JC_F(struct vol_view, cache_same_zone_timeout, "RemoteCacheSameZoneTimeout", JC_I64, 0),
    JC_F(struct vol_view, cache_same_region_timeout, "RemoteCacheSameRegionTimeout", JC_I64, 0),
    JC_OBJ(struct vol_view, qos, "QosInfo", qos_info_fields, 0),
    JC_CONST("RemoteCacheRemoveDupReq", JC_EMIT_FALSE),
    JC_END,
};

/* The fields v3.5 sends with fixed non-zero values. */
static const struct vol_view vol_view_template = {
    .tx_mask_v1 = "rename",
    .tx_mask = "off",
    .tx_timeout = 1,
    .tx_retry_num = 121,
    .tx_retry_interval = 500,
    .delete_exec_time = "0001-01-01T00:00:00Z",
    .repair_block_size = 131072,
    .access_time_interval = 86400,
    .storage_class = 1,
    .nallowed = 1,
    .allowed = {1},
    .forbid_proto_v0 = true,
    .nquotas = 1,
    .quotas = {{1}},
    .cache_ttl = 432000,
    .cache_read_timeout = 5,
    .cache_max_file_gb = 128,
    .flash_timeout_count = 5,
    .cache_same_zone_timeout = 400,
    .cache_same_region_timeout = 100,
    .qos = {2, {{"FlowRead", 3, 32 * GIB}, {"FlowWrite", 4, 32 * GIB}}},
};

struct oss_secure {
    char access_key[STORE_KEY_SIZE];
    char secret_key[STORE_KEY_SIZE];
};

static const struct jc_field oss_secure_fields[] = {
    JC_F(struct oss_secure, access_key, "AccessKey", JC_STR, 0),
    JC_F(struct oss_secure, secret_key, "SecretKey", JC_STR, 0),
    JC_END,
};

/* VolView, /client/vol. DataPartitions is always empty: clients take them from
 * /client/partitions. */
struct client_vol_view {
    char name[STORE_NAME_SIZE];
    char owner[STORE_NAME_SIZE];
    uint32_t status;
    bool follower_read;
    json_t *mps;
    uint32_t ndps;
    uint32_t dps[1];
    struct oss_secure oss;
    int64_t create_time;
};

static const struct jc_field client_vol_view_fields[] = {
    JC_F(struct client_vol_view, name, "Name", JC_STR, 0),
    JC_F(struct client_vol_view, owner, "Owner", JC_STR, 0),
    JC_F(struct client_vol_view, status, "Status", JC_U32, 0),
    JC_F(struct client_vol_view, follower_read, "FollowerRead", JC_BOOL, 0),
    JC_F(struct client_vol_view, mps, "MetaPartitions", JC_JSON, 0),
    JC_ARR(struct client_vol_view, dps, ndps, "DataPartitions", JC_U32, NULL, 0),
    JC_CONST("DomainOn", JC_EMIT_FALSE),
    JC_OBJ(struct client_vol_view, oss, "OSSSecure", oss_secure_fields, 0),
    JC_F(struct client_vol_view, create_time, "CreateTime", JC_I64, 0),
    JC_CONST("DeleteLockTime", JC_EMIT_ZERO),
    JC_CONST("VolType", JC_EMIT_ZERO),
    JC_END,
};

/* One /vol/list entry. */
struct vol_list_item {
    char name[STORE_NAME_SIZE];
    char owner[STORE_NAME_SIZE];
    int64_t create_time;
    uint32_t status;
    uint64_t total;
    uint64_t used;
};

static const struct jc_field vol_list_item_fields[] = {
    JC_F(struct vol_list_item, name, "Name", JC_STR, 0),
    JC_F(struct vol_list_item, owner, "Owner", JC_STR, 0),
    JC_F(struct vol_list_item, create_time, "CreateTime", JC_I64, 0),
    JC_F(struct vol_list_item, status, "Status", JC_U32, 0),
    JC_F(struct vol_list_item, total, "TotalSize", JC_U64, 0),
    JC_F(struct vol_list_item, used, "UsedSize", JC_U64, 0),
    JC_CONST("DpReadOnlyWhenVolFull", JC_EMIT_FALSE),
    JC_END,
};

/* --- parameters ------------------------------------------------------------------------------ */

static bool has_value(struct http_req *r, const char *name)
{
    const char *v = http_req_param(r, name);

    return v != NULL && v[0] != '\0';
}

/* createVol's numbers, parsed as v3.5 does (extractUint): absent or empty leaves *out; anything
 * but a decimal answers "args [<name>] is not legal, val <v>". */
static int arg_uint(struct http_req *r, const char *name, bool required, uint64_t *out)
{
    const char *v = http_req_param(r, name);

    if (v == NULL || v[0] == '\0') {
        if (required) {
            http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not found", name);
            return -1;
        }
        return 0;
    }
    if (!params_parse_uint(v, out)) {
        http_req_reply_error(r, API_PARAM_ERROR, "args [%s] is not legal, val %.64s", name, v);
        return -1;
    }
    return 0;
}

/* An optional text copied into buf; *given (may be NULL) says whether it was sent. */
static int text_arg(struct http_req *r, const char *name, char *buf, size_t size, bool *given)
{
    const char *v = http_req_param(r, name);

    if (given != NULL) {
        *given = v != NULL;
    }
    if (v == NULL) {
        return 0;
    }
    if (strlen(v) >= size) {
        http_req_reply_error(r, API_PARAM_ERROR, "args [%s] is not legal: longer than %zu bytes",
                             name, size - 1);
        return -1;
    }
    snprintf(buf, size, "%s", v);
    return 0;
}

static int auth_key_arg(struct http_req *r, char *buf, size_t size)
{
    const char *v;

    if (params_str(r, "authKey", true, &v) != 0) {
        return -1;
    }
    snprintf(buf, size, "%s", v);
    return 0;
}

/* --- reads ------------------------------------------------------------------------------------ */

/* The volume named name from t; answers r (7 or 1) and returns -1 when there is none or, unless
 * deleted_ok, when it is marked deleted. */
static int find_vol(struct http_req *r, struct store_txn *t, const char *name, bool deleted_ok,
                    struct store_vol *out)
{
    int rv = store_get_vol_by_name(t, name, out);

    if (rv == 0 && (deleted_ok || out->status != VOL_STATUS_MARK_DELETE)) {
        return 0;
    }
    if (rv == 0 || rv == CFS_ENOTFOUND) {
        http_req_reply_error(r, API_VOL_NOT_EXISTS, "%s", errors_api_message(API_VOL_NOT_EXISTS));
    } else {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading the store: %s", errors_strerror(rv));
    }
    return -1;
}

static int begin_read(struct http_req *r, struct master *m, struct store_txn **t)
{
    int rv = store_read_begin(m->store, t);

    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading the store: %s", errors_strerror(rv));
        return -1;
    }
    return 0;
}

/* The volume the name parameter names (see find_vol) with its figures from the last partition
 * check (stats untouched when it has none yet); answers r and returns -1 when there is none. */
static int named_vol(struct http_req *r, struct master *m, bool deleted_ok, struct store_vol *vol,
                     struct pstate_vol *stats)
{
    struct store_txn *t;
    const char *name;
    int rv;

    if (params_vol_name(r, &name) != 0 || begin_read(r, m, &t) != 0) {
        return -1;
    }
    rv = find_vol(r, t, name, deleted_ok, vol);
    store_txn_end(t);
    if (rv == 0) {
        pstate_vol(m->pstate, vol->id, stats);
    }
    return rv;
}

static void get_vol(struct http_req *r, void *arg)
{
    struct vol_view view = vol_view_template;
    struct pstate_vol stats = {0};
    struct store_vol vol;

    if (named_vol(r, arg, true, &vol, &stats) != 0) {
        return;
    }
    view.id = vol.id;
    snprintf(view.name, sizeof(view.name), "%s", vol.name);
    snprintf(view.owner, sizeof(view.owner), "%s", vol.owner);
    snprintf(view.zone, sizeof(view.zone), "%s", vol.zone_name);
    view.dp_replica_num = vol.dp_replica_num;
    view.mp_replica_num = vol.mp_replica_num;
    view.inode_count = stats.inode_count;
    view.dentry_count = stats.dentry_count;
    view.max_mp_id = stats.max_mp_id;
    view.status = vol.status;
    view.capacity = vol.capacity;
    view.rw_dp_cnt = stats.rw_dp_count;
    view.mp_cnt = stats.mp_count;
    view.dp_cnt = stats.dp_count;
    view.follower_read = vol.follower_read;
    view.authenticate = vol.authenticate;
    view.cross_zone = vol.cross_zone;
    clock_format_wall(vol.create_time, view.create_time, sizeof(view.create_time));
    snprintf(view.description, sizeof(view.description), "%s", vol.description);
    http_req_reply_ok(r, jc_encode(vol_view_fields, &view));
}

struct list_walk {
    struct master *m;
    const char *keywords;
    json_t *list;
};

static int list_vol_cb(const struct store_vol *v, void *arg)
{
    struct list_walk *w = arg;
    struct vol_list_item item = {0};
    struct pstate_vol stats = {0};

    if (v->status == VOL_STATUS_MARK_DELETE || strstr(v->name, w->keywords) == NULL) {
        return 0;
    }
    pstate_vol(w->m->pstate, v->id, &stats);
    snprintf(item.name, sizeof(item.name), "%s", v->name);
    snprintf(item.owner, sizeof(item.owner), "%s", v->owner);
    item.create_time = v->create_time;
    item.status = v->status;
    item.total = v->capacity * GIB;
    item.used = stats.used;
    return json_array_append_new(w->list, jc_encode(vol_list_item_fields, &item)) == 0 ? 0
                                                                                       : -ENOMEM;
}

static void list_vols(struct http_req *r, void *arg)
{
    struct list_walk w = {.m = arg, .keywords = "", .list = json_array()};
    struct store_txn *t;
    int rv;

    if (params_str(r, "keywords", false, &w.keywords) != 0 || begin_read(r, w.m, &t) != 0) {
        json_decref(w.list);
        return;
    }
    rv = w.list != NULL ? store_foreach_vol(t, list_vol_cb, &w) : -ENOMEM;
    store_txn_end(t);
    if (rv != 0) {
        json_decref(w.list);
        http_req_reply_error(r, API_INTERNAL_ERROR, "listing volumes: %s", errors_strerror(rv));
        return;
    }
    http_req_reply_ok(r, w.list);
}

struct mp_walk {
    struct master *m;
    json_t *list;
};

/* A meta partition as clients see it; one not in the status cache yet (just created) shows its
 * recorded status. */
static int client_mp_cb(const struct store_mp *mp, void *arg)
{
    struct mp_walk *w = arg;
    struct pstate_part p = {0};

    if (pstate_mp(w->m->pstate, mp->id, &p) != 0) {
        p.status = mp->status;
    }
    return json_array_append_new(w->list, pstate_mp_view(mp, &p)) == 0 ? 0 : -ENOMEM;
}

static bool skip_owner_check(struct http_req *r)
{
    const char *v = http_req_header(r, "Skip-Owner-Validation");

    return v != NULL && strcasecmp(v, "true") == 0;
}

static void client_vol(struct http_req *r, void *arg)
{
    struct master *m = arg;
    struct client_vol_view view = {0};
    struct mp_walk w = {.m = m, .list = json_array()};
    bool skip = skip_owner_check(r);
    const char *name, *key = NULL;
    struct store_vol vol;
    struct store_txn *t;
    int rv = -1;

    if (params_vol_name(r, &name) != 0 || (!skip && params_str(r, "authKey", true, &key) != 0) ||
        begin_read(r, m, &t) != 0) {
        goto out;
    }
    if (find_vol(r, t, name, false, &vol) != 0) {
        store_txn_end(t);
        goto out;
    }
    rv = w.list != NULL ? store_foreach_mp(t, vol.id, client_mp_cb, &w) : -ENOMEM;
    store_txn_end(t);
    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading meta partitions: %s",
                             errors_strerror(rv));
        goto out;
    }
    if (!skip && !vol_ops_auth_ok(vol.owner, key)) {
        http_req_reply_error(r, API_VOL_AUTH_KEY_NOT_MATCH, "%s",
                             errors_api_message(API_VOL_AUTH_KEY_NOT_MATCH));
        goto out;
    }
    snprintf(view.name, sizeof(view.name), "%s", vol.name);
    snprintf(view.owner, sizeof(view.owner), "%s", vol.owner);
    view.status = vol.status;
    view.follower_read = vol.follower_read;
    view.mps = w.list;
    snprintf(view.oss.access_key, sizeof(view.oss.access_key), "%s", vol.oss_access_key);
    snprintf(view.oss.secret_key, sizeof(view.oss.secret_key), "%s", vol.oss_secret_key);
    view.create_time = vol.create_time;
    http_req_reply_ok(r, jc_encode(client_vol_view_fields, &view));
out:
    json_decref(w.list);
}

static void client_vol_stat(struct http_req *r, void *arg)
{
    struct pstate_vol stats = {0};
    struct store_vol vol;

    if (named_vol(r, arg, false, &vol, &stats) == 0) {
        http_req_reply_ok(r, vol_ops_stat_view(&vol, &stats, 2));
    }
}

/* The cached envelopes of the partition status refresh, as they are. */
static void client_envelope(struct http_req *r, struct master *m, bool data)
{
    const char *name;
    char *env;
    size_t len = 0;

    if (params_vol_name(r, &name) != 0) {
        return;
    }
    env = data ? pstate_client_partitions(m->pstate, name, &len)
               : pstate_client_meta_partitions(m->pstate, name, &len);
    if (env == NULL) {
        http_req_reply_error(r, API_VOL_NOT_EXISTS, "%s", errors_api_message(API_VOL_NOT_EXISTS));
        return;
    }
    http_req_reply_envelope(r, env, len);
    free(env);
}

static void client_partitions(struct http_req *r, void *arg)
{
    client_envelope(r, arg, true);
}

static void client_meta_partitions(struct http_req *r, void *arg)
{
    client_envelope(r, arg, false);
}

/* --- mutations -------------------------------------------------------------------------------- */

static void finish(struct api_op *op, int code, const char *msg)
{
    if (code == API_SUCCESS) {
        api_op_ok(op, json_string(msg));
    } else {
        api_op_fail(op, code, "%s", msg);
    }
}

struct create_op {
    struct api_op op;
    struct vol_ops_create_req req;
};

static void create_vol_run(struct api_op *op)
{
    struct create_op *c = (struct create_op *)op;
    char msg[ERRMSG_SIZE];

    finish(op, vol_ops_create(op->m, &c->req, msg), msg);
}

/* Parameters in v3.5's order; the many others cfs-cli sends (remote cache, transactions, QoS,
 * storage classes, ...) are accepted and ignored. */
static void create_vol(struct http_req *r, void *arg)
{
    struct vol_ops_create_req req = {0};
    struct create_op *op;
    const char *name, *owner;
    uint64_t size_gb = 0;
    char msg[ERRMSG_SIZE];

    if (params_vol_name(r, &name) != 0 || params_owner(r, "owner", &owner) != 0 ||
        arg_uint(r, "mpCount", false, &req.mp_count) != 0 ||
        arg_uint(r, "dpCount", false, &req.dp_count) != 0 ||
        arg_uint(r, "replicaNum", false, &req.replicas) != 0 ||
        arg_uint(r, "dpSize", false, &req.dp_size_gb) != 0 ||
        arg_uint(r, "size", false, &size_gb) != 0 ||
        arg_uint(r, "capacity", true, &req.capacity) != 0 ||
        params_bool(r, "followerRead", false, &req.follower_read) != 0 ||
        params_bool(r, "crossZone", false, &req.cross_zone) != 0 ||
        text_arg(r, "zoneName", req.zone, sizeof(req.zone), NULL) != 0 ||
        text_arg(r, "description", req.description, sizeof(req.description), NULL) != 0) {
        return;
    }
    snprintf(req.name, sizeof(req.name), "%s", name);
    snprintf(req.owner, sizeof(req.owner), "%s", owner);
    req.follower_read_given = has_value(r, "followerRead");
    if (req.dp_size_gb == 0) {
        req.dp_size_gb = size_gb; /* v2.5.2's name */
    }
    if (vol_ops_check_create(&req, msg) != API_SUCCESS) {
        http_req_reply_error(r, API_PARAM_ERROR, "%s", msg);
        return;
    }
    op = api_op_new(arg, r, sizeof(*op), create_vol_run);
    if (op != NULL) {
        op->req = req;
        api_op_submit(&op->op);
    }
}

struct update_op {
    struct api_op op;
    struct vol_ops_update_req req;
};

static void update_vol_run(struct api_op *op)
{
    struct update_op *u = (struct update_op *)op;
    char msg[ERRMSG_SIZE];

    finish(op, vol_ops_update(op->m, &u->req, msg), msg);
}

static void change_done(void *arg, int code, const char *msg)
{
    struct http_req *r = arg;

    if (code == API_SUCCESS) {
        http_req_reply_ok(r, json_string(msg));
    } else {
        http_req_reply_error(r, code, "%s", msg);
    }
}

/* Run on the loop when the volume is free, else on a worker (vol_ops_update_start()). */
static void change_vol(struct http_req *r, void *arg, enum vol_ops_update_kind kind)
{
    struct vol_ops_update_req req = {.kind = kind};
    struct update_op *op;
    const char *name;
    char msg[ERRMSG_SIZE];
    int code;

    if (params_vol_name(r, &name) != 0 ||
        auth_key_arg(r, req.auth_key, sizeof(req.auth_key)) != 0 ||
        params_u64(r, "capacity", kind != VOL_OPS_UPDATE, &req.capacity) != 0) {
        return;
    }
    req.has_capacity = has_value(r, "capacity");
    if (kind == VOL_OPS_UPDATE) {
        if (params_u64(r, "replicaNum", false, &req.replicas) != 0 ||
            params_bool(r, "followerRead", false, &req.follower_read) != 0 ||
            text_arg(r, "zoneName", req.zone, sizeof(req.zone), &req.has_zone) != 0 ||
            text_arg(r, "description", req.description, sizeof(req.description),
                     &req.has_description) != 0) {
            return;
        }
        req.has_replicas = has_value(r, "replicaNum");
        req.has_follower_read = has_value(r, "followerRead");
    }
    snprintf(req.name, sizeof(req.name), "%s", name);
    code = vol_ops_update_start(arg, &req, change_done, r, msg);
    if (code != VOL_OPS_ON_WORKER) {
        if (code != API_SUCCESS) {
            change_done(r, code, msg);
        }
        return;
    }
    op = api_op_new(arg, r, sizeof(*op), update_vol_run);
    if (op != NULL) {
        op->req = req;
        api_op_submit(&op->op);
    }
}

static void update_vol(struct http_req *r, void *arg)
{
    change_vol(r, arg, VOL_OPS_UPDATE);
}

static void expand_vol(struct http_req *r, void *arg)
{
    change_vol(r, arg, VOL_OPS_EXPAND);
}

static void shrink_vol(struct http_req *r, void *arg)
{
    change_vol(r, arg, VOL_OPS_SHRINK);
}

/* Routes that name a volume and one more value. */
struct vol_op {
    struct api_op op;
    char name[STORE_NAME_SIZE];
    char auth_key[STORE_KEY_SIZE];
    char from[64];
    uint64_t value;
};

static struct vol_op *vol_op_new(struct http_req *r, struct master *m, const char *name,
                                 uint64_t value, api_op_fn run)
{
    struct vol_op *op = api_op_new(m, r, sizeof(*op), run);

    if (op != NULL) {
        snprintf(op->name, sizeof(op->name), "%s", name);
        op->value = value;
    }
    return op;
}

static void delete_vol_run(struct api_op *op)
{
    struct vol_op *v = (struct vol_op *)op;
    char msg[ERRMSG_SIZE];

    finish(op, vol_ops_delete(op->m, v->name, v->auth_key, v->from, msg), msg);
}

static void delete_vol(struct http_req *r, void *arg)
{
    struct vol_op *op;
    char key[STORE_KEY_SIZE];
    const char *name;

    if (params_vol_name(r, &name) != 0 || auth_key_arg(r, key, sizeof(key)) != 0) {
        return;
    }
    op = vol_op_new(r, arg, name, 0, delete_vol_run);
    if (op != NULL) {
        snprintf(op->auth_key, sizeof(op->auth_key), "%s", key);
        snprintf(op->from, sizeof(op->from), "%s", http_req_remote_ip(r));
        api_op_submit(&op->op);
    }
}

static void create_dps_run(struct api_op *op)
{
    struct vol_op *v = (struct vol_op *)op;
    char msg[ERRMSG_SIZE];

    finish(op, vol_ops_add_dps(op->m, v->name, (uint32_t)v->value, msg), msg);
}

/* count before name, as v3.5 parses them. */
static void create_dps(struct http_req *r, void *arg)
{
    struct vol_op *op;
    const char *name;
    uint64_t count = 0;

    if (params_u64(r, "count", true, &count) != 0) {
        return;
    }
    if (count == 0) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter count not match");
        return;
    }
    if (count > VOL_OPS_MAX_DP_COUNT) {
        http_req_reply_error(r, API_PARAM_ERROR,
                             "args [count] is not legal, val %llu: at most %d per request",
                             (unsigned long long)count, VOL_OPS_MAX_DP_COUNT);
        return;
    }
    if (params_vol_name(r, &name) != 0) {
        return;
    }
    op = vol_op_new(r, arg, name, count, create_dps_run);
    if (op != NULL) {
        api_op_submit(&op->op);
    }
}

static void create_mp_run(struct api_op *op)
{
    struct vol_op *v = (struct vol_op *)op;
    char msg[ERRMSG_SIZE];

    finish(op, vol_ops_split_mp(op->m, v->name, v->value, msg), msg);
}

static void create_mp(struct http_req *r, void *arg)
{
    struct vol_op *op;
    const char *name;
    uint64_t start = 0;

    if (params_vol_name(r, &name) != 0 || params_u64(r, "start", true, &start) != 0) {
        return;
    }
    op = vol_op_new(r, arg, name, start, create_mp_run);
    if (op != NULL) {
        api_op_submit(&op->op);
    }
}

/* --- leader jobs ------------------------------------------------------------------------------ */

/* One timer per leadership, every partition check: a deletion round whenever none is running,
 * and, once autoCreateDelayMs has passed (time for every node to report), an automatic creation
 * round whenever none is running. Rounds run on workers; the flags live on the loop thread. */
struct vol_jobs {
    struct master *m; /* the master the timer was made for */
    uv_timer_t timer;
    uint64_t auto_after_ms;
    bool auto_busy;
    bool delete_busy;
};

static struct vol_jobs jobs;

static void auto_run(void *arg)
{
    vol_ops_auto_create_round(arg);
}

static void auto_done(void *arg)
{
    (void)arg;
    jobs.auto_busy = false;
}

static void delete_run(void *arg)
{
    vol_ops_delete_round(arg);
}

static void delete_done(void *arg)
{
    (void)arg;
    jobs.delete_busy = false;
}

static void jobs_tick_cb(uv_timer_t *h)
{
    struct master *m = h->data;

    if (!m->ready) {
        return;
    }
    if (!jobs.delete_busy && workers_submit(m->workers, delete_run, delete_done, m) == 0) {
        jobs.delete_busy = true;
    }
    if (!jobs.auto_busy && clock_mono_ms() >= jobs.auto_after_ms &&
        workers_submit(m->workers, auto_run, auto_done, m) == 0) {
        jobs.auto_busy = true;
    }
}

static int vol_leader_start(struct master *m, char *errmsg)
{
    int rv = vol_ops_leader_start(m, errmsg);

    if (rv != 0) {
        return rv;
    }
    if (jobs.m != m) {
        uv_timer_init(m->loop, &jobs.timer);
        jobs.timer.data = m;
        jobs.m = m;
    }
    jobs.auto_after_ms = clock_mono_ms() + m->cfg.auto_create_delay_ms;
    uv_timer_start(&jobs.timer, jobs_tick_cb, m->cfg.partition_check_ms, m->cfg.partition_check_ms);
    return 0;
}

static void vol_leader_stop(struct master *m)
{
    if (jobs.m == m) {
        uv_timer_stop(&jobs.timer);
    }
}

static const struct http_route routes[] = {
    {"/admin/createVol", HTTP_GET | HTTP_POST, 0, create_vol},
    {"/admin/getVol", HTTP_GET, 0, get_vol},
    {"/vol/list", HTTP_GET, 0, list_vols},
    {"/vol/update", HTTP_GET | HTTP_POST, ROUTE_NO_STATUS, update_vol},
    {"/vol/expand", HTTP_GET | HTTP_POST, ROUTE_NO_STATUS, expand_vol},
    {"/vol/shrink", HTTP_GET | HTTP_POST, ROUTE_NO_STATUS, shrink_vol},
    {"/vol/delete", HTTP_GET | HTTP_POST, 0, delete_vol},
    {"/client/vol", HTTP_GET | HTTP_POST, ROUTE_FOLLOWER_READ, client_vol},
    {"/client/volStat", HTTP_GET, ROUTE_FOLLOWER_READ, client_vol_stat},
    {"/client/partitions", HTTP_GET, ROUTE_FOLLOWER_READ, client_partitions},
    {"/client/metaPartitions", HTTP_GET, ROUTE_FOLLOWER_READ, client_meta_partitions},
    {"/dataPartition/create", HTTP_GET | HTTP_POST, 0, create_dps},
    {"/metaPartition/create", HTTP_GET | HTTP_POST, 0, create_mp},
};

const struct api_group api_vol_group = {
    routes,
    sizeof(routes) / sizeof(routes[0]),
    vol_leader_start,
    vol_leader_stop,
};
