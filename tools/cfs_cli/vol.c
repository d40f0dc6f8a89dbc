#include "tools/cfs_cli/vol.h"

#include "common/digest.h"
#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STORAGE_CLASS_BLOBSTORE 3
#define SUMMARY_SIZE            4096

/* --- shared ------------------------------------------------------------------------------ */

/* A lenient bool as CubeFS's cli reads its string flags: anything but a true word is false. */
static bool loose_bool(const char *text)
{
    bool b = false;

    return args_parse_bool(text, &b) == 0 && b;
}

static const char *bool_text(bool b)
{
    return b ? "true" : "false";
}

/* /admin/getVol; auth_key (may be NULL) gets md5(Owner), the owner's credential. */
static int get_vol(struct cli_ctx *ctx, const char *name, json_t **vv,
                   char auth_key[DIGEST_MD5_HEX_SIZE])
{
    struct client_query q;
    const char *owner;
    int rv;

    client_query_init(&q, "/admin/getVol");
    client_query_add(&q, "name", name);
    rv = client_get(ctx, &q, vv);
    if (rv != 0 || auth_key == NULL) {
        return rv;
    }
    owner = json_string_value(json_object_get(*vv, "Owner"));
    owner = owner != NULL ? owner : "";
    if (digest_md5_hex(owner, strlen(owner), auth_key) != 0) {
        json_decref(*vv);
        *vv = NULL;
        return cli_fail(ctx, -EIO, "cannot compute the owner's authKey (MD5 unavailable)");
    }
    return 0;
}

/* --- list -------------------------------------------------------------------------------- */

static const struct output_column list_cols[] = {
    {"VOLUME", 63, "Name", OUTPUT_RAW},
    {"OWNER", 20, "Owner", OUTPUT_RAW},
    {"USED", 8, "UsedSize", OUTPUT_SIZE},
    {"TOTAL", 8, "TotalSize", OUTPUT_SIZE},
    {"STATUS", 8, "Status", OUTPUT_VOL_STATUS},
    {"CREATE TIME", 10, "CreateTime", OUTPUT_RFC1123_TIME},
};
static const struct output_table list_table = OUTPUT_TABLE("    ", list_cols);

static int list_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *vols = NULL;
    int rv;

    client_query_init(&q, "/vol/list");
    client_query_add(&q, "keywords", args_str(&ctx->args, "keyword"));
    rv = client_get(ctx, &q, &vols);
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, vols);
        } else {
            output_table(ctx->out, "", &list_table, vols);
        }
    }
    json_decref(vols);
    return rv;
}

/* --- create ------------------------------------------------------------------------------ */

/* Parameters CubeFS's cli sends with fixed defaults for options we do not offer. */
static const struct {
    const char *key;
    const char *value;
} create_constants[] = {
    {"remoteCacheEnable", ""},
    {"remoteCacheAutoPrepare", ""},
    {"remoteCachePath", ""},
    {"remoteCacheTTL", "432000"},
    {"remoteCacheReadTimeout", "2000"},
    {"remoteCacheMaxFileSizeGB", "128"},
    {"remoteCacheOnlyForNotSSD", "true"},
    {"remoteCacheMultiRead", "false"},
    {"flashNodeTimeoutCount", "5"},
    {"remoteCacheSameZoneTimeout", "400"},
    {"remoteCacheSameRegionTimeout", "100"},
};

struct create_opts {
    const char *name, *owner, *zone, *replica;
    bool cross_zone, normal_first, follower_read, ro_when_full;
    const char *meta_follower_read, *maximally_read, *enable_quota;
    int64_t delete_lock_time;
};

static void create_summary(const struct cli_ctx *ctx, const struct create_opts *o, char *buf,
                           size_t size)
{
    const struct args_result *a = &ctx->args;

    snprintf(buf, size,
             "Create a new volume:\n"
             "  Name                     : %s\n"
             "  Owner                    : %s\n"
             "  capacity                 : %s G\n"
             "  deleteLockTime           : %" PRId64 " h\n"
             "  crossZone                : %s\n"
             "  DefaultPriority          : %s\n"
             "  description              : %s\n"
             "  mpCount                  : %s\n"
             "  dpCount                  : %s\n"
             "  replicaNum               : %s\n"
             "  dpSize                   : %s G\n"
             "  followerRead             : %s\n"
             "  readOnlyWhenFull         : %s\n"
             "  zoneName                 : %s\n"
             "  volStorageClass          : %s\n"
             "  allowedStorageClass      : %s\n"
             "  enableQuota              : %s\n"
             "  metaFollowerRead         : %s\n"
             "  maximallyRead            : %s\n\n",
             o->name, o->owner, args_str(a, "capacity"), o->delete_lock_time,
             bool_text(o->cross_zone), bool_text(o->normal_first), args_str(a, "description"),
             args_str(a, "mp-count"), args_str(a, "dp-count"), o->replica, args_str(a, "dp-size"),
             bool_text(o->follower_read), bool_text(o->ro_when_full), o->zone,
             args_str(a, "volStorageClass"), args_str(a, "allowedStorageClass"), o->enable_quota,
             o->meta_follower_read, o->maximally_read);
}

static void create_query(struct cli_ctx *ctx, const struct create_opts *o, struct client_query *q)
{
    const struct args_result *a = &ctx->args;

    client_query_init(q, "/admin/createVol");
    client_query_add(q, "name", o->name);
    client_query_add(q, "owner", o->owner);
    client_query_add(q, "capacity", args_str(a, "capacity"));
    client_query_addf(q, "deleteLockTime", "%" PRId64, o->delete_lock_time);
    client_query_add(q, "crossZone", bool_text(o->cross_zone));
    client_query_add(q, "normalZonesFirst", bool_text(o->normal_first));
    client_query_add(q, "description", args_str(a, "description"));
    client_query_add(q, "mpCount", args_str(a, "mp-count"));
    client_query_add(q, "dpCount", args_str(a, "dp-count"));
    client_query_addf(q, "replicaNum", "%d", atoi(o->replica));
    client_query_add(q, "dpSize", args_str(a, "dp-size"));
    client_query_add(q, "followerRead", bool_text(o->follower_read));
    client_query_add(q, "metaFollowerRead", o->meta_follower_read);
    client_query_add(q, "maximallyRead", o->maximally_read);
    client_query_add(q, "zoneName", o->zone);
    client_query_add(q, "ebsBlkSize", args_str(a, "ebs-blk-size"));
    client_query_add(q, "dpReadOnlyWhenVolFull", bool_text(o->ro_when_full));
    client_query_add(q, "enableQuota", o->enable_quota);
    client_query_add(q, "clientIDKey", cli_client_id_key(ctx));
    client_query_add(q, "volStorageClass", args_str(a, "volStorageClass"));
    client_query_add(q, "allowedStorageClass", args_str(a, "allowedStorageClass"));
    for (size_t i = 0; i < sizeof(create_constants) / sizeof(create_constants[0]); i++) {
        client_query_add(q, create_constants[i].key, create_constants[i].value);
    }
    if (args_str(a, "transaction-mask")[0] != '\0') {
        client_query_add(q, "enableTxMask", args_str(a, "transaction-mask"));
    }
    if (args_uint(a, "transaction-timeout") > 0) {
        client_query_add(q, "txTimeout", args_str(a, "transaction-timeout"));
    }
    if (args_int(a, "tx-conflict-retry-num") > 0) {
        client_query_add(q, "txConflictRetryNum", args_str(a, "tx-conflict-retry-num"));
    }
    if (args_int(a, "tx-conflict-retry-Interval") > 0) {
        client_query_add(q, "txConflictRetryInterval", args_str(a, "tx-conflict-retry-Interval"));
    }
}

static const char *true_or_false(const char *text)
{
    return strcmp(text, "true") == 0 ? "true" : "false";
}

static int create_run(struct cli_ctx *ctx)
{
    const struct args_result *a = &ctx->args;
    uint64_t storage = args_uint(a, "volStorageClass");
    const char *follower = args_str(a, "follower-read");
    struct create_opts o;
    struct client_query q;
    char summary[SUMMARY_SIZE];
    char why[ERRMSG_SIZE];
    int rv;

    o.name = args_pos(a, 0);
    o.owner = args_pos(a, 1);
    o.zone = args_str(a, "zone-name");
    o.replica = args_str(a, "replica-num");
    o.cross_zone = loose_bool(args_str(a, "crossZone"));
    o.normal_first = loose_bool(args_str(a, "normalZonesFirst"));
    o.follower_read = loose_bool(follower);
    o.ro_when_full = loose_bool(args_str(a, "readonly-when-full"));
    o.meta_follower_read = true_or_false(args_str(a, "meta-follower-read"));
    o.maximally_read = true_or_false(args_str(a, "maximally-read"));
    o.enable_quota = true_or_false(args_str(a, "enableQuota"));
    o.delete_lock_time = args_int(a, "delete-lock-time") < 0 ? 0 : args_int(a, "delete-lock-time");
    if (o.replica[0] != '\0' && args_check_value(ARGS_UINT, o.replica, why) != 0) {
        return cli_usage(ctx, "invalid argument \"%s\" for \"--replica-num\" flag: %s", o.replica,
                         why);
    }
    if (!o.cross_zone && strchr(o.zone, ',') != NULL) {
        o.cross_zone = true;
        fprintf(ctx->out, "\nassigned more than one zone in param \"zone-name\", auto set param "
                          "\"crossZone\" as true\n\n");
    }
    if (o.replica[0] == '\0' && storage == STORAGE_CLASS_BLOBSTORE) {
        o.replica = "1";
    }
    if (storage != STORAGE_CLASS_BLOBSTORE && follower[0] == '\0' &&
        (strcmp(o.replica, "1") == 0 || strcmp(o.replica, "2") == 0)) {
        o.follower_read = true; /* one or two replicas: reads must be allowed on followers */
    }
    create_summary(ctx, &o, summary, sizeof(summary));
    rv = cli_confirm(ctx, summary, "Confirm", true);
    if (rv != 0) {
        return rv;
    }
    create_query(ctx, &o, &q);
    return client_action(ctx, &q, "Create volume success.");
}

/* --- info -------------------------------------------------------------------------------- */

static const struct output_field summary_fields[] = {
    {"ID", "ID", OUTPUT_RAW},
    {"Name", "Name", OUTPUT_RAW},
    {"Owner", "Owner", OUTPUT_RAW},
    {"Authenticate", "Authenticate", OUTPUT_ENABLED},
    {"Capacity", "Capacity", OUTPUT_GB},
    {"Create time", "CreateTime", OUTPUT_RAW},
    {"DeleteLockTime", "DeleteLockTime", OUTPUT_RAW},
    {"Cross zone", "CrossZone", OUTPUT_ENABLED},
    {"DefaultPriority", "DefaultPriority", OUTPUT_RAW},
    {"Dentry count", "DentryCount", OUTPUT_RAW},
    {"Description", "Description", OUTPUT_RAW},
    {"DpCnt", "DpCnt", OUTPUT_RAW},
    {"DpOfSSDCnt", "DpOfSSDCnt", OUTPUT_RAW},
    {"DpOfHDDCnt", "DpOfHDDCnt", OUTPUT_RAW},
    {"DpReplicaNum", "DpReplicaNum", OUTPUT_RAW},
    {"Follower read", "FollowerRead", OUTPUT_ENABLED},
    {"Meta Follower read", "MetaFollowerRead", OUTPUT_ENABLED},
    {"Direct Read", "DirectRead", OUTPUT_ENABLED},
    {"Ignore TinyRecover", "IgnoreTinyRecover", OUTPUT_ENABLED},
    {"Maximally Read", "MaximallyRead", OUTPUT_ENABLED},
    {"Inode count", "InodeCount", OUTPUT_RAW},
    {"Max metaPartition ID", "MaxMetaPartitionID", OUTPUT_RAW},
    {"Max DataPartition ID", "MaxDataPartitionID", OUTPUT_RAW},
    {"MpCnt", "MpCnt", OUTPUT_RAW},
    {"MpReplicaNum", "MpReplicaNum", OUTPUT_RAW},
    {"NeedToLowerReplica", "NeedToLowerReplica", OUTPUT_ENABLED},
    {"RwDpCnt", "RwDpCnt", OUTPUT_RAW},
    {"RwDpOfSSDCnt", "RwDpOfSSDCnt", OUTPUT_RAW},
    {"RwDpOfHDDCnt", "RwDpOfHDDCnt", OUTPUT_RAW},
    {"Status", "Status", OUTPUT_VOL_STATUS},
    {"ZoneName", "ZoneName", OUTPUT_RAW},
    {"VolType", "VolType", OUTPUT_RAW},
    {"DpReadOnlyWhenVolFull", "DpReadOnlyWhenVolFull", OUTPUT_RAW},
    {"Transaction Mask", "EnableTransactionV1", OUTPUT_RAW},
    {"Transaction timeout", "TxTimeout", OUTPUT_RAW},
    {"Tx conflict retry num", "TxConflictRetryNum", OUTPUT_RAW},
    {"Tx conflict retry interval(ms)", "TxConflictRetryInterval", OUTPUT_RAW},
    {"Tx limit interval(s)", "TxOpLimit", OUTPUT_RAW},
    {"Forbidden", "Forbidden", OUTPUT_RAW},
    {"DisableAuditLog", "DisableAuditLog", OUTPUT_RAW},
    {"TrashInterval", "TrashInterval", OUTPUT_DURATION_MIN},
    {"DpRepairBlockSize", "DpRepairBlockSize", OUTPUT_SIZE},
    {"EnableAutoDpMetaRepair", "EnableAutoDpMetaRepair", OUTPUT_RAW},
    {"Quota", "EnableQuota", OUTPUT_ENABLED},
    {"AccessTimeValidInterval", "AccessTimeInterval", OUTPUT_DURATION_S},
    {"MetaLeaderRetryTimeout", "LeaderRetryTimeOut", OUTPUT_DURATION_S},
    {"EnablePersistAccessTime", "EnablePersistAccessTime", OUTPUT_RAW},
    {"ForbidWriteOpOfProtoVer0", "ForbidWriteOpOfProtoVer0", OUTPUT_RAW},
    {"VolStorageClass", "VolStorageClass", OUTPUT_STORAGE_CLASS},
    {"AllowedStorageClass", "AllowedStorageClass", OUTPUT_STORAGE_CLASSES},
    {"QosEnable", "QosInfo.QosEnable", OUTPUT_RAW},
};
static const struct output_view summary_view = OUTPUT_VIEW("  ", 32, summary_fields);

static const struct output_column mp_cols[] = {
    {"ID", 8, "PartitionID", OUTPUT_RAW},
    {"MAX INODE", 12, "MaxInodeID", OUTPUT_RAW},
    {"DENTRY COUNT", 10, "DentryCount", OUTPUT_RAW},
    {"INODE COUNT", 12, "InodeCount", OUTPUT_RAW},
    {"START", 12, "Start", OUTPUT_RAW},
    {"END", 12, "End", OUTPUT_RANGE_END},
    {"STATUS", 8, "Status", OUTPUT_MP_STATUS},
    {"LEADER", 12, "LeaderAddr", OUTPUT_RAW},
    {"MEMBERS", 18, "Members", OUTPUT_JOIN_COMMA},
};
static const struct output_table mp_table = OUTPUT_TABLE("    ", mp_cols);

static const struct output_column dp_cols[] = {
    {"ID", 8, "PartitionID", OUTPUT_RAW},        {"REPLICAS", 8, "ReplicaNum", OUTPUT_RAW},
    {"STATUS", 10, "Status", OUTPUT_DP_STATUS},  {"ISRECOVER", 10, "IsRecover", OUTPUT_RAW},
    {"MEDIA", 10, "MediaType", OUTPUT_MEDIA},    {"LEADER", 18, "LeaderAddr", OUTPUT_RAW},
    {"MEMBERS", 18, "Hosts", OUTPUT_JOIN_COMMA},
};
static const struct output_table dp_table = OUTPUT_TABLE("    ", dp_cols);

/* GET path?name=<vol>, then print the array found at key ("" for the data itself). */
static int print_partitions(struct cli_ctx *ctx, const char *path, const char *key,
                            const char *title, const struct output_table *t)
{
    struct client_query q;
    json_t *data = NULL, *list;
    int rv;

    client_query_init(&q, path);
    client_query_add(&q, "name", args_pos(&ctx->args, 0));
    rv = client_get(ctx, &q, &data);
    if (rv != 0) {
        return rv;
    }
    list = key[0] != '\0' ? json_object_get(data, key) : data;
    output_sort(list, "PartitionID");
    fprintf(ctx->out, "%s\n", title);
    output_table(ctx->out, "", t, list);
    json_decref(data);
    return 0;
}

static int print_storage_classes(struct cli_ctx *ctx)
{
    static const struct {
        const char *title, *key;
    } parts[] = {
        {"Usage by storage class:", "StatByStorageClass"},
        {"\nUsage by dp media type:", "StatByDpMediaType"},
        {"\nMigration Usage by storage class:", "StatMigrateStorageClass"},
    };
    struct client_query q;
    json_t *stat = NULL;
    int rv;

    client_query_init(&q, "/client/volStat");
    client_query_add(&q, "name", args_pos(&ctx->args, 0));
    client_query_add(&q, "version", "1");
    client_query_add(&q, "role", "cfs-cli");
    rv = client_get(ctx, &q, &stat);
    for (size_t i = 0; rv == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
        json_t *list = json_object_get(stat, parts[i].key);
        output_sort(list, "StorageClass");
        fprintf(ctx->out, "%s\n", parts[i].title);
        output_table(ctx->out, "", &output_storage_class_table, list);
    }
    json_decref(stat);
    return rv;
}

static int info_run(struct cli_ctx *ctx)
{
    json_t *vv = NULL;
    int rv = get_vol(ctx, args_pos(&ctx->args, 0), &vv, NULL);

    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, vv);
        json_decref(vv);
        return rv;
    }
    fprintf(ctx->out, "Summary:\n");
    output_view(ctx->out, &summary_view, vv);
    fputc('\n', ctx->out);
    json_decref(vv);
    if (args_bool(&ctx->args, "storage-class")) {
        rv = print_storage_classes(ctx);
    }
    if (rv == 0 && args_bool(&ctx->args, "meta-partition")) {
        rv = print_partitions(ctx, "/client/metaPartitions", "", "Meta partitions:", &mp_table);
    }
    if (rv == 0 && args_bool(&ctx->args, "data-partition")) {
        rv = print_partitions(ctx, "/client/partitions", "DataPartitions",
                              "Data partitions:", &dp_table);
    }
    return rv;
}

/* --- update ------------------------------------------------------------------------------ */

enum upd_kind { UPD_STR, UPD_BOOL, UPD_INT };

/* /vol/update sends the whole configuration: each parameter comes from the volume's view (key)
 * unless its flag was given. A number flag below min, or an empty text flag, leaves the value as
 * it is, as CubeFS's defaults (-1, 0, "") do. */
struct upd_param {
    const char *param;
    const char *key;
    const char *flag; /* NULL: always the view's value */
    enum upd_kind kind;
    int64_t min;
};

static const struct upd_param upd_params[] = {
    {"description", "Description", "description", UPD_STR, 0},
    {"zoneName", "ZoneName", "zone-name", UPD_STR, 0},
    {"crossZone", "CrossZone", "cross-zone", UPD_BOOL, 0},
    {"capacity", "Capacity", "capacity", UPD_INT, 1},
    {"replicaNum", "DpReplicaNum", "replica-num", UPD_INT, 1},
    {"followerRead", "FollowerRead", "follower-read", UPD_BOOL, 0},
    {"metaFollowerRead", "MetaFollowerRead", "meta-follower-read", UPD_BOOL, 0},
    {"directRead", "DirectRead", "directRead", UPD_BOOL, 0},
    {"ignoreTinyRecover", "IgnoreTinyRecover", "ignoreTinyRecover", UPD_BOOL, 0},
    {"maximallyRead", "MaximallyRead", "maximally-read", UPD_BOOL, 0},
    {"ebsBlkSize", "ObjBlockSize", "ebs-blk-size", UPD_INT, 1},
    {"dpReadOnlyWhenVolFull", "DpReadOnlyWhenVolFull", "readonly-when-full", UPD_BOOL, 0},
    {"enableQuota", "EnableQuota", "enableQuota", UPD_BOOL, 0},
    {"deleteLockTime", "DeleteLockTime", "delete-lock-time", UPD_INT, 0},
    {"autoDpMetaRepair", "EnableAutoDpMetaRepair", "autoDpMetaRepair", UPD_BOOL, 0},
    {"trashInterval", "TrashInterval", "trashInterval", UPD_INT, 0},
    {"interval", "TrashInterval", "trashInterval", UPD_INT, 0},
    {"accessTimeValidInterval", "AccessTimeInterval", "accessTimeValidInterval", UPD_INT, 0},
    {"enablePersistAccessTime", "EnablePersistAccessTime", "enablePersistAccessTime", UPD_BOOL, 0},
    {"volStorageClass", "VolStorageClass", "volStorageClass", UPD_INT, 1},
    {"forbidWriteOpOfProtoVersion0", "ForbidWriteOpOfProtoVer0", "forbidWriteOpOfProtoVersion0",
     UPD_BOOL, 0},
    {"leaderRetryTimeout", "LeaderRetryTimeOut", "leader-retry-timeout", UPD_INT, 0},
    {"remoteCacheEnable", "RemoteCacheEnable", NULL, UPD_BOOL, 0},
    {"remoteCachePath", "RemoteCachePath", NULL, UPD_STR, 0},
    {"remoteCacheAutoPrepare", "RemoteCacheAutoPrepare", NULL, UPD_BOOL, 0},
    {"remoteCacheTTL", "RemoteCacheTTL", NULL, UPD_INT, 0},
    {"remoteCacheReadTimeout", "RemoteCacheReadTimeout", NULL, UPD_INT, 0},
    {"remoteCacheMaxFileSizeGB", "RemoteCacheMaxFileSizeGB", NULL, UPD_INT, 0},
    {"remoteCacheOnlyForNotSSD", "RemoteCacheOnlyForNotSSD", NULL, UPD_BOOL, 0},
    {"remoteCacheMultiRead", "RemoteCacheMultiRead", NULL, UPD_BOOL, 0},
    {"flashNodeTimeoutCount", "FlashNodeTimeoutCount", "flashNodeTimeoutCount", UPD_INT, 1},
    {"remoteCacheSameZoneTimeout", "RemoteCacheSameZoneTimeout", NULL, UPD_INT, 0},
    {"remoteCacheSameRegionTimeout", "RemoteCacheSameRegionTimeout", NULL, UPD_INT, 0},
};

#define NUPD (sizeof(upd_params) / sizeof(upd_params[0]))

struct upd_value {
    bool present; /* sent: in the view, or given */
    char text[OUTPUT_CELL_SIZE];
};

/* The value of p from its flag, when given: 1 with out set, 0 when not given, or a usage error. */
static int upd_flag(struct cli_ctx *ctx, const struct upd_param *p, char *out, size_t size)
{
    const char *text;
    char why[ERRMSG_SIZE];
    bool b;

    if (p->flag == NULL || !args_is_set(&ctx->args, p->flag)) {
        return 0;
    }
    text = args_str(&ctx->args, p->flag);
    switch (p->kind) {
    case UPD_STR:
        break;
    case UPD_BOOL:
        if (text[0] == '\0') {
            return 0;
        }
        if (args_parse_bool(text, &b) != 0) {
            return cli_usage(ctx, "--%s: \"%s\" should be true or false", p->flag, text);
        }
        text = bool_text(b);
        break;
    case UPD_INT:
        if (args_check_value(ARGS_INT, text, why) != 0) {
            return cli_usage(ctx, "--%s: \"%s\": %s", p->flag, text, why);
        }
        if (strtoll(text, NULL, 10) < p->min) {
            return 0;
        }
        break;
    }
    if (text[0] == '\0') {
        return 0;
    }
    snprintf(out, size, "%s", text);
    return 1;
}

/* Fill values[] from the view and the flags; append the changes to summary. *changed counts them.
 */
static int upd_collect(struct cli_ctx *ctx, const json_t *vv, struct upd_value *values,
                       char *summary, size_t size, int *changed)
{
    size_t used = strlen(summary);
    bool follower_given = false;
    int rv;

    for (size_t i = 0; i < NUPD; i++) {
        const struct upd_param *p = &upd_params[i];
        const json_t *old = json_object_get(vv, p->key);
        char given[OUTPUT_CELL_SIZE], before[OUTPUT_CELL_SIZE];

        output_value(old, before, sizeof(before));
        values[i].present = old != NULL;
        snprintf(values[i].text, sizeof(values[i].text), "%s", before);
        rv = upd_flag(ctx, p, given, sizeof(given));
        if (rv < 0) {
            return rv;
        }
        if (rv == 0) {
            continue;
        }
        follower_given = follower_given || strcmp(p->param, "followerRead") == 0;
        values[i].present = true;
        snprintf(values[i].text, sizeof(values[i].text), "%s", given);
        if (strcmp(before, given) != 0 && strcmp(p->param, "interval") != 0) {
            (*changed)++;
            if (used < size) {
                used += (size_t)snprintf(summary + used, size - used, "  %-26s : %s -> %s\n",
                                         p->flag, before, given);
            }
        }
    }
    for (size_t i = 0; !follower_given && i < NUPD; i++) {
        /* one or two replicas: reads must stay allowed on followers, as CubeFS's cli does */
        if (strcmp(upd_params[i].param, "replicaNum") == 0 &&
            (strcmp(values[i].text, "1") == 0 || strcmp(values[i].text, "2") == 0)) {
            for (size_t j = 0; j < NUPD; j++) {
                if (strcmp(upd_params[j].param, "followerRead") == 0) {
                    values[j].present = true;
                    snprintf(values[j].text, sizeof(values[j].text), "true");
                }
            }
        }
    }
    return 0;
}

static int update_run(struct cli_ctx *ctx)
{
    const char *name = args_pos(&ctx->args, 0);
    struct upd_value *values = calloc(NUPD, sizeof(*values));
    char summary[SUMMARY_SIZE];
    char auth_key[DIGEST_MD5_HEX_SIZE];
    struct client_query q;
    json_t *vv = NULL;
    int changed = 0;
    int rv;

    if (values == NULL) {
        return cli_fail(ctx, -ENOMEM, "out of memory");
    }
    rv = get_vol(ctx, name, &vv, auth_key);
    if (rv != 0) {
        goto out;
    }
    snprintf(summary, sizeof(summary), "Volume configuration changes:\n  %-26s : %s\n", "Name",
             name);
    rv = upd_collect(ctx, vv, values, summary, sizeof(summary), &changed);
    if (rv != 0) {
        goto out;
    }
    if (changed == 0) {
        fprintf(ctx->out, "No changes has been set.\n");
        goto out;
    }
    strncat(summary, "\n", sizeof(summary) - strlen(summary) - 1);
    rv = cli_confirm(ctx, summary, "Confirm", true);
    if (rv != 0) {
        goto out;
    }
    client_query_init(&q, "/vol/update");
    client_query_add(&q, "name", name);
    client_query_add(&q, "authKey", auth_key);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    for (size_t i = 0; i < NUPD; i++) {
        if (values[i].present) {
            client_query_add(&q, upd_params[i].param, values[i].text);
        }
    }
    rv = client_action(ctx, &q, "Volume configuration has been update successfully.");
out:
    json_decref(vv);
    free(values);
    return rv;
}

/* --- expand / shrink --------------------------------------------------------------------- */

struct capacity_op {
    const char *path;
    bool expand;
};

static int capacity_run(struct cli_ctx *ctx)
{
    const struct capacity_op *op = args_command(&ctx->args)->data;
    const char *name = args_pos(&ctx->args, 0);
    const char *text = args_pos(&ctx->args, 1);
    char auth_key[DIGEST_MD5_HEX_SIZE];
    char why[ERRMSG_SIZE];
    struct client_query q;
    json_t *vv = NULL;
    uint64_t capacity, current;
    int rv;

    if (args_check_value(ARGS_UINT, text, why) != 0) {
        return cli_usage(ctx, "invalid capacity \"%s\": %s", text, why);
    }
    capacity = strtoull(text, NULL, 10);
    rv = get_vol(ctx, name, &vv, auth_key);
    if (rv != 0) {
        return rv;
    }
    current = (uint64_t)json_integer_value(json_object_get(vv, "Capacity"));
    json_decref(vv);
    if (op->expand && capacity <= current) {
        return cli_fail(ctx, -EINVAL, "Expand capacity must larger than %" PRIu64, current);
    }
    if (!op->expand && capacity >= current) {
        return cli_fail(ctx, -EINVAL, "Shrink capacity must less than %" PRIu64, current);
    }
    client_query_init(&q, op->path);
    client_query_add(&q, "name", name);
    client_query_add(&q, "authKey", auth_key);
    client_query_addf(&q, "capacity", "%" PRIu64, capacity);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    return client_action(ctx, &q, "Volume capacity has been set successfully.");
}

/* --- delete, transfer, add-dp ------------------------------------------------------------ */

static int delete_run(struct cli_ctx *ctx)
{
    const char *name = args_pos(&ctx->args, 0);
    bool del = args_bool(&ctx->args, "status");
    char auth_key[DIGEST_MD5_HEX_SIZE];
    char question[256];
    struct client_query q;
    json_t *vv = NULL;
    int rv;

    snprintf(question, sizeof(question), "%s volume [%s]", del ? "Delete" : "UnDelete", name);
    rv = cli_confirm(ctx, NULL, question, false);
    if (rv == 0) {
        rv = get_vol(ctx, name, &vv, auth_key);
    }
    json_decref(vv);
    if (rv != 0) {
        return rv;
    }
    client_query_init(&q, "/vol/delete");
    client_query_add(&q, "name", name);
    client_query_add(&q, "authKey", auth_key);
    if (del) {
        client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    } else {
        client_query_add(&q, "delete", "false");
    }
    return client_action(ctx, &q,
                         del ? "Volume has been deleted successfully."
                             : "Volume has been undeleted successfully.");
}

static int transfer_run(struct cli_ctx *ctx)
{
    const char *name = args_pos(&ctx->args, 0);
    const char *user = args_pos(&ctx->args, 1);
    struct client_query q;
    json_t *vv = NULL, *info = NULL, *body = NULL;
    char question[256];
    int rv;

    snprintf(question, sizeof(question), "Transfer volume [%s] to user [%s]", name, user);
    rv = cli_confirm(ctx, NULL, question, false);
    if (rv == 0) {
        rv = get_vol(ctx, name, &vv, NULL);
    }
    if (rv == 0 && json_integer_value(json_object_get(vv, "Status")) != 0) {
        rv = cli_fail(ctx, -EINVAL, "volume status abnormal");
    }
    if (rv == 0) {
        client_query_init(&q, "/user/info");
        client_query_add(&q, "user", user);
        rv = client_get(ctx, &q, &info);
    }
    if (rv == 0) {
        body = json_pack("{s:s,s:O,s:O,s:b}", "volume", name, "user_src",
                         json_object_get(vv, "Owner"), "user_dst", json_object_get(info, "user_id"),
                         "force", args_bool(&ctx->args, "force"));
        rv = body != NULL ? 0 : cli_fail(ctx, -EPROTO, "the master's answers lack Owner/user_id");
    }
    if (rv == 0) {
        client_query_init(&q, "/user/transferVol");
        client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
        rv = client_post(ctx, &q, body, NULL);
    }
    if (rv == 0) {
        fprintf(ctx->out, "Volume has been transferred successfully.\n");
    }
    json_decref(body);
    json_decref(info);
    json_decref(vv);
    return rv;
}

static int add_dp_run(struct cli_ctx *ctx)
{
    const char *number = args_pos(&ctx->args, 1);
    struct client_query q;
    char why[ERRMSG_SIZE];

    if (args_check_value(ARGS_INT, number, why) != 0) {
        return cli_usage(ctx, "invalid number \"%s\": %s", number, why);
    }
    if (strtoll(number, NULL, 10) < 1) {
        return cli_usage(ctx, "number must be larger than 0");
    }
    client_query_init(&q, "/dataPartition/create");
    client_query_add(&q, "count", number);
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    client_query_add(&q, "mediaType", args_str(&ctx->args, "mediaType"));
    client_query_add(&q, "name", args_pos(&ctx->args, 0));
    return client_action(ctx, &q, "Add dp success.");
}

/* --- the command tree -------------------------------------------------------------------- */

static const struct args_flag list_flags[] = {
    {"keyword", 0, ARGS_STRING, NULL, "Specify keyword of volume name to filter"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_flag create_flags[] = {
    {"capacity", 0, ARGS_UINT, "10", "Specify volume capacity"},
    {"crossZone", 0, ARGS_STRING, "false", "Disable cross zone"},
    {"normalZonesFirst", 0, ARGS_STRING, "false", "Write to normal zone first"},
    {"description", 0, ARGS_STRING, NULL, "Description"},
    {"mp-count", 0, ARGS_INT, "3", "Specify init meta partition count"},
    {"dp-count", 0, ARGS_INT, "3", "Specify init data partition count"},
    {"replica-num", 0, ARGS_STRING, NULL,
     "Specify data partition replicas number(default 3 for normal volume,1 for low volume)"},
    {"dp-size", 0, ARGS_INT, "120", "Specify data partition size[Unit: GB]"},
    {"follower-read", 0, ARGS_STRING, NULL, "Enable read form replica follower"},
    {"meta-follower-read", 0, ARGS_STRING, NULL,
     "Enable read form more hosts, (true|false), default false"},
    {"maximally-read", 0, ARGS_STRING, NULL,
     "Enable read form mp follower, (true|false), default false"},
    {"zone-name", 0, ARGS_STRING, NULL, "Specify volume zone name"},
    {"ebs-blk-size", 0, ARGS_INT, "8388608", "Specify ebsBlk Size[Unit: byte]"},
    {"readonly-when-full", 0, ARGS_STRING, "false",
     "Enable volume becomes read only when it is full"},
    CLI_FLAG_CLIENT_ID_KEY,
    CLI_FLAG_YES,
    {"transaction-mask", 0, ARGS_STRING, NULL,
     "Enable transaction for specified operation: \"create|mkdir|remove|rename|mknod|symlink|"
     "link\" or \"off\" or \"all\""},
    {"transaction-timeout", 0, ARGS_UINT, "1",
     "Specify timeout[Unit: minute] for transaction [1-60]"},
    {"tx-conflict-retry-num", 0, ARGS_INT, "0",
     "Specify retry times for transaction conflict [1-100]"},
    {"tx-conflict-retry-Interval", 0, ARGS_INT, "0",
     "Specify retry interval[Unit: ms] for transaction conflict [10-1000]"},
    {"enableQuota", 0, ARGS_STRING, "false", "Enable quota"},
    {"delete-lock-time", 0, ARGS_INT, "0", "Specify delete lock time[Unit: hour] for volume"},
    {"volStorageClass", 0, ARGS_UINT, "0",
     "Specify which StorageClass the clients mounts this vol should write to: [1:SSD | 2:HDD | "
     "3:Blobstore]"},
    {"allowedStorageClass", 0, ARGS_STRING, NULL,
     "Specify which StorageClasses the vol will support, comma separated (1:SSD, 2:HDD; empty: "
     "decided by the master)"},
    ARGS_FLAG_END,
};

static const struct args_flag update_flags[] = {
    {"description", 0, ARGS_STRING, NULL, "The description of volume"},
    {"zone-name", 0, ARGS_STRING, NULL, "Specify volume zone name"},
    {"cross-zone", 0, ARGS_STRING, NULL, "Enable cross zone"},
    {"capacity", 0, ARGS_UINT, "0", "Specify volume datanode capacity [Unit: GB]"},
    {"follower-read", 0, ARGS_STRING, NULL, "Enable read form replica follower (default false)"},
    {"meta-follower-read", 0, ARGS_STRING, NULL,
     "Enable read form mp follower (true|false, default false)"},
    {"directRead", 0, ARGS_STRING, NULL,
     "Enable read direct from disk (true|false, default false)"},
    {"ignoreTinyRecover", 0, ARGS_STRING, NULL,
     "ignore tiny extent recover (true|false, default false)"},
    {"maximally-read", 0, ARGS_STRING, NULL, "Enable read more hosts (true|false, default false)"},
    {"ebs-blk-size", 0, ARGS_INT, "0", "Specify ebsBlk Size[Unit: byte]"},
    {"readonly-when-full", 0, ARGS_STRING, NULL, "Enable volume becomes read only when it is full"},
    CLI_FLAG_YES,
    {"replica-num", 0, ARGS_STRING, NULL,
     "Specify data partition replicas number(default 3 for normal volume,1 for low volume)"},
    {"enableQuota", 0, ARGS_STRING, NULL, "Enable quota"},
    {"delete-lock-time", 0, ARGS_INT, "-1", "Specify delete lock time[Unit: hour] for volume"},
    {"leader-retry-timeout", 0, ARGS_INT, "-1",
     "Specify leader retry timeout for mp read [Unit: second] for volume, default 0"},
    CLI_FLAG_CLIENT_ID_KEY,
    {"autoDpMetaRepair", 0, ARGS_STRING, NULL, "Enable or disable dp auto meta repair"},
    {"volStorageClass", 0, ARGS_INT, "0", "specify volStorageClass"},
    {"trashInterval", 0, ARGS_INT, "-1", "The retention period for files in trash"},
    {"accessTimeValidInterval", 0, ARGS_INT, "-1",
     "Effective time interval for accesstime [Unit: second]"},
    {"enablePersistAccessTime", 0, ARGS_STRING, NULL,
     "true/false to enable/disable persisting access time"},
    {"forbidWriteOpOfProtoVersion0", 0, ARGS_STRING, NULL,
     "set volume forbid write operates of packet whose protocol version is version-0: [true | "
     "false]"},
    {"flashNodeTimeoutCount", 0, ARGS_INT, "0",
     "FlashNode timeout count, flashNode will be removed by client if it's timeout count exceeds "
     "this value(default 5)"},
    ARGS_FLAG_END,
};

static const struct args_flag info_flags[] = {
    {"meta-partition", 'm', ARGS_BOOL, "false", "Display meta partition detail information"},
    {"data-partition", 'd', ARGS_BOOL, "false", "Display data partition detail information"},
    {"storage-class", 's', ARGS_BOOL, "false", "Display hybrid cloud detail information"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_flag delete_flags[] = {
    CLI_FLAG_YES,
    CLI_FLAG_CLIENT_ID_KEY,
    {"status", 's', ARGS_BOOL, "true", "Decide whether to delete or undelete"},
    ARGS_FLAG_END,
};

static const struct args_flag transfer_flags[] = {
    CLI_FLAG_YES,
    {"force", 'f', ARGS_BOOL, "false", "Force transfer without current owner check"},
    CLI_FLAG_CLIENT_ID_KEY,
    ARGS_FLAG_END,
};

static const struct args_flag add_dp_flags[] = {
    CLI_FLAG_CLIENT_ID_KEY,
    {"mediaType", 0, ARGS_UINT, "0", "Specify the mediaType of datapartition, [1(SSD) | 2(HDD)]"},
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_flag capacity_flags[] = {CLI_FLAG_CLIENT_ID_KEY, CLI_FLAG_YES,
                                                  ARGS_FLAG_END};

static const char *const list_aliases[] = {"ls", NULL};
static const char *const transfer_aliases[] = {"trans", NULL};

static const struct args_cmd list_cmd = {
    .name = "list",
    .aliases = list_aliases,
    .summary = "List cluster volumes",
    .max_args = 0,
    .flags = list_flags,
    .run = list_run,
};

static const struct args_cmd create_cmd = {
    .name = "create",
    .usage = "[VOLUME NAME] [USER ID]",
    .summary = "Create a new volume",
    .min_args = 2,
    .max_args = 2,
    .flags = create_flags,
    .run = create_run,
};

static const struct capacity_op expand_op = {"/vol/expand", true};
static const struct capacity_op shrink_op = {"/vol/shrink", false};

static const struct args_cmd expand_cmd = {
    .name = "expand",
    .usage = "[VOLUME] [CAPACITY]",
    .summary = "Expand capacity of a volume",
    .min_args = 2,
    .max_args = 2,
    .flags = capacity_flags,
    .run = capacity_run,
    .data = &expand_op,
};

static const struct args_cmd shrink_cmd = {
    .name = "shrink",
    .usage = "[VOLUME] [CAPACITY]",
    .summary = "Shrink capacity of a volume",
    .min_args = 2,
    .max_args = 2,
    .flags = capacity_flags,
    .run = capacity_run,
    .data = &shrink_op,
};

static const struct args_cmd update_cmd = {
    .name = "update",
    .usage = "[VOLUME NAME]",
    .summary = "Update configuration of the volume",
    .min_args = 1,
    .max_args = 1,
    .flags = update_flags,
    .run = update_run,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[VOLUME NAME]",
    .summary = "Show volume information",
    .min_args = 1,
    .max_args = 1,
    .flags = info_flags,
    .run = info_run,
};

static const struct args_cmd delete_cmd = {
    .name = "delete",
    .usage = "[VOLUME NAME]",
    .summary = "Delete a volume from cluster",
    .min_args = 1,
    .max_args = 1,
    .flags = delete_flags,
    .run = delete_run,
};

static const struct args_cmd transfer_cmd = {
    .name = "transfer",
    .aliases = transfer_aliases,
    .usage = "[VOLUME NAME] [USER ID]",
    .summary = "Transfer volume to another user. (Change owner of volume)",
    .min_args = 2,
    .max_args = 2,
    .flags = transfer_flags,
    .run = transfer_run,
};

static const struct args_cmd add_dp_cmd = {
    .name = "add-dp",
    .usage = "[VOLUME] [NUMBER]",
    .summary = "Create and add more data partition to a volume",
    .min_args = 2,
    .max_args = 2,
    .flags = add_dp_flags,
    .run = add_dp_run,
};

static const struct args_cmd *const subs[] = {
    &list_cmd, &create_cmd, &expand_cmd,   &shrink_cmd, &update_cmd,
    &info_cmd, &delete_cmd, &transfer_cmd, &add_dp_cmd, NULL,
};

static const char *const aliases[] = {"vol", NULL};

const struct args_cmd vol_cmd = {
    .name = "volume",
    .aliases = aliases,
    .summary = "Manage cluster volumes",
    .subs = subs,
};
