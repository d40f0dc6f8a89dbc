#include "tools/cfs_cli/datapartition.h"

#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/node.h"
#include "tools/cfs_cli/output.h"
#include "tools/cfs_cli/partition.h"
#include "tools/cfs_cli/progress.h"

#include <inttypes.h>
#include <string.h>

#define GET_PATH    "/dataPartition/get"
#define STATUS_PATH "/dataPartition/queryDecommissionStatus"

static const struct output_field info_fields[] = {
    {"volume name", "VolName", OUTPUT_RAW},
    {"volume ID", "VolID", OUTPUT_RAW},
    {"PartitionID", "PartitionID", OUTPUT_RAW},
    {"PartitionType", "PartitionType", OUTPUT_RAW},
    {"Status", "Status", OUTPUT_DP_STATUS},
    {"LastLoadedTime", "LastLoadedTime", OUTPUT_UNIX_TIME},
    {"OfflinePeerID", "OfflinePeerID", OUTPUT_RAW},
    {"ISRdOnly", "RdOnly", OUTPUT_RAW},
    {"IsDiscard", "IsDiscard", OUTPUT_RAW},
    {"ReplicaNum", "ReplicaNum", OUTPUT_RAW},
    {"Forbidden", "Forbidden", OUTPUT_RAW},
    {"MediaType", "MediaType", OUTPUT_MEDIA},
    {"ForbidWriteOpOfProtoVer0", "ForbidWriteOpOfProtoVer0", OUTPUT_RAW},
};
static const struct output_view info_view = OUTPUT_VIEW("", 14, info_fields);

static const struct output_column replica_cols[] = {
    {"ADDR", 65, "Addr", OUTPUT_ADDR},
    {"USEDSIZE", 12, "UsedSize", OUTPUT_SIZE},
    {"TOTALSIZE", 12, "TotalSize", OUTPUT_SIZE},
    {"ISLEADER", 12, "IsLeader", OUTPUT_RAW},
    {"FILECOUNT", 12, "FileCount", OUTPUT_RAW},
    {"HASLOADRESPONSE", 12, "HasLoadResponse", OUTPUT_RAW},
    {"NEEDSTOCOMPARE", 12, "NeedsToCompare", OUTPUT_RAW},
    {"ISREPAIRING", 12, "IsRepairing", OUTPUT_RAW},
    {"STATUS", 12, "Status", OUTPUT_DP_STATUS},
    {"DISKPATH", 18, "DiskPath", OUTPUT_RAW},
    {"REPORT TIME", 10, "ReportTime", OUTPUT_UNIX_TIME},
};
static const struct output_table replica_table = OUTPUT_TABLE("    ", replica_cols);

static const struct output_field progress_fields[] = {
    {"Status", "Status", OUTPUT_RAW},
    {"SpecialStep", "SpecialStep", OUTPUT_RAW},
    {"Progress", "Progress", OUTPUT_RAW},
    {"DiskRetryMap", "DiskRetryMap", OUTPUT_RAW},
    {"Retry", "Retry", OUTPUT_RAW},
    {"RaftForce", "RaftForce", OUTPUT_RAW},
    {"Recover", "Recover", OUTPUT_RAW},
    {"SrcAddress", "SrcAddress", OUTPUT_RAW},
    {"SrcDiskPath", "SrcDiskPath", OUTPUT_RAW},
    {"DstAddress", "DstAddress", OUTPUT_RAW},
    {"DstNodeSet", "DstNodeSet", OUTPUT_RAW},
    {"Term", "Term", OUTPUT_RAW},
    {"Weight", "Weight", OUTPUT_RAW},
    {"Replicas", "Replicas", OUTPUT_RAW},
    {"NeedRollbackTimes", "NeedRollbackTimes", OUTPUT_RAW},
    {"ErrorMessage", "ErrorMessage", OUTPUT_RAW},
};
static const struct output_view progress_view = OUTPUT_VIEW("", 18, progress_fields);

static int get_by_id(struct cli_ctx *ctx, const char *path, uint64_t id, bool with_name,
                     json_t **out)
{
    struct client_query q;

    client_query_init(&q, path);
    client_query_addf(&q, "id", "%" PRIu64, id);
    if (with_name) {
        client_query_add(&q, "name", "");
    }
    return client_get(ctx, &q, out);
}

static int info_run(struct cli_ctx *ctx)
{
    json_t *dp = NULL;
    uint64_t id;
    int rv = cli_arg_id(ctx, 0, &id);

    if (rv == 0) {
        rv = get_by_id(ctx, GET_PATH, id, true, &dp);
    }
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, dp);
        json_decref(dp);
        return rv;
    }
    fputc('\n', ctx->out);
    output_view(ctx->out, &info_view, dp);
    fprintf(ctx->out, "\nReplicas : \n");
    output_table(ctx->out, "", &replica_table, json_object_get(dp, "Replicas"));
    partition_print_members(ctx->out, dp, "MissingNodes");
    json_decref(dp);
    return 0;
}

struct dp_poll {
    uint64_t id;
    const char *addr;
};

static int poll_dp(struct cli_ctx *ctx, const void *arg, struct progress_status *st)
{
    const struct dp_poll *p = arg;
    json_t *status = NULL, *dp = NULL;
    const char *word;
    int rv = get_by_id(ctx, STATUS_PATH, p->id, false, &status);

    word = json_string_value(json_object_get(status, "Status"));
    if (rv == 0 && (word == NULL || strcmp(word, "Initial") == 0)) {
        /* no job (any more): whether the source still hosts the partition decides */
        rv = get_by_id(ctx, GET_PATH, p->id, true, &dp);
    }
    if (rv == 0) {
        progress_dp_status(status, json_object_get(dp, "Hosts"), p->addr, st);
    }
    json_decref(status);
    json_decref(dp);
    return rv;
}

static int decommission_run(struct cli_ctx *ctx)
{
    uint64_t dst = args_uint(&ctx->args, "decommissionDstNodeSet");
    struct client_query q;
    struct dp_poll poll;
    struct progress_job job;
    char what[160];
    const char *addr;
    uint64_t id;
    int rv = partition_op_args(ctx, &addr, &id);

    if (rv != 0) {
        return rv;
    }
    client_query_init(&q, "/dataPartition/decommission");
    client_query_add(&q, "decommissionType", args_str(&ctx->args, "decommissionType"));
    client_query_addf(&q, "id", "%" PRIu64, id);
    client_query_add(&q, "addr", addr);
    client_query_add(&q, "raftForceDel", args_bool(&ctx->args, "raftForceDel") ? "true" : "false");
    client_query_addf(&q, "weight", "%" PRId64, args_int(&ctx->args, "decommissionWeight"));
    client_query_add(&q, "clientIDKey", cli_client_id_key(ctx));
    if (dst != 0) {
        client_query_addf(&q, "dstNodeSet", "%" PRIu64, dst);
    }
    rv = client_action(ctx, &q, "Decommission data partition successfully");
    if (rv != 0 || !args_bool(&ctx->args, "wait")) {
        return rv;
    }
    snprintf(what, sizeof(what), "decommission of data partition %" PRIu64 " from %s", id, addr);
    poll.id = id;
    poll.addr = addr;
    job.what = what;
    job.poll = poll_dp;
    job.arg = &poll;
    return progress_wait(ctx, &job, args_uint(&ctx->args, "timeout"));
}

static int query_progress_run(struct cli_ctx *ctx)
{
    json_t *status = NULL;
    uint64_t id;
    int rv = cli_arg_id(ctx, 0, &id);

    if (rv == 0) {
        rv = get_by_id(ctx, STATUS_PATH, id, false, &status);
    }
    if (rv == 0) {
        if (cli_json(ctx)) {
            rv = cli_print_json(ctx, status);
        } else {
            output_view(ctx->out, &progress_view, status);
        }
    }
    json_decref(status);
    return rv;
}

static const struct partition_op add_replica = {"/dataReplica/add", "Add replication successfully",
                                                false};
static const struct partition_op del_replica = {"/dataReplica/delete",
                                                "Delete replication successfully", true};

static const struct partition_check_section check_sections[] = {
    {"Inactive Data nodes", "InactiveDataNodes", PARTITION_CHECK_NODES, "showInactiveNodes", true},
    {"Corrupt data partitions (no leader)", "CorruptDataPartitionIDs", PARTITION_CHECK_PARTITIONS,
     "showNoLeader", true},
    {"Partition lack replicas", "LackReplicaDataPartitionIDs", PARTITION_CHECK_PARTITIONS,
     "showLack", true},
    {"Bad data partitions(decommission not completed)", "BadDataPartitionInfos",
     PARTITION_CHECK_BAD, "showBadDp", true},
    {"Partition has unavailable replica", "BadReplicaDataPartitionIDs", PARTITION_CHECK_PARTITIONS,
     "showUnavailable", true},
    {"Partition with replica file count differ significantly", "RepFileCountDifferDpIDs",
     PARTITION_CHECK_PARTITIONS, "showDiff", false},
    {"Partition with replica used size differ significantly", "RepUsedSizeDifferDpIDs",
     PARTITION_CHECK_PARTITIONS, "showDiff", false},
    {"Partition with excessive replicas", "ExcessReplicaDpIDs", PARTITION_CHECK_PARTITIONS,
     "showExcess", true},
    {"Partition with missing tiny extent", "MissingTinyExtentDpIDs", PARTITION_CHECK_PARTITIONS,
     "showMissingTinyExtent", false},
};

static const struct partition_check check = {
    "/dataPartition/diagnose?ignoreDiscard=true",       "/dataNode/get", GET_PATH, check_sections,
    sizeof(check_sections) / sizeof(check_sections[0]),
};

static const struct args_flag json_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag decommission_flags[] = {
    {"raftForceDel", 'r', ARGS_BOOL, "false", "true for raftForceDel"},
    {"decommissionWeight", 0, ARGS_INT, "2", "decommission weight"},
    {"decommissionDstNodeSet", 0, ARGS_UINT, "0", "decommission dst nodeSet"},
    {"decommissionType", 0, ARGS_STRING, "1", "decommission type"},
    CLI_FLAG_CLIENT_ID_KEY,
    NODE_WAIT_FLAGS,
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_flag add_flags[] = {CLI_FLAG_CLIENT_ID_KEY, CLI_FLAG_YES, ARGS_FLAG_END};

static const struct args_flag del_flags[] = {
    CLI_FLAG_CLIENT_ID_KEY,
    {"raftForceDel", 'r', ARGS_BOOL, "false", "true for raftForceDel"},
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_flag check_flags[] = {
    {"showSimplified", 's', ARGS_BOOL, "false", "true for display Simplified version"},
    {"showInactiveNodes", 'i', ARGS_BOOL, "false", "true for display inactive dataNodes"},
    {"showNoLeader", 'n', ARGS_BOOL, "false", "true for display no-leader dp"},
    {"showLack", 'l', ARGS_BOOL, "false", "true for display lack replicas dp"},
    {"showUnavailable", 'u', ARGS_BOOL, "false", "true for display dp with unavailable replicas"},
    {"showBadDp", 'b', ARGS_BOOL, "false", "true for display bad dp"},
    {"showExcess", 'e', ARGS_BOOL, "false", "true for display dp with excess replicas"},
    {"showMissingTinyExtent", 'm', ARGS_BOOL, "false",
     "true for display dp with missing tiny extent"},
    {"showDiskError", 'E', ARGS_BOOL, "false", "accepted for compatibility; not shown"},
    {"showDiscard", 'D', ARGS_BOOL, "false", "accepted for compatibility; not shown"},
    {"showDiff", 'd', ARGS_BOOL, "false",
     "true for display dp those replica file count count or size differ significantly"},
    CLI_FLAG_JSON,
    ARGS_FLAG_END,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[DATA PARTITION ID]",
    .summary = "Display detail information of a data partition",
    .min_args = 1,
    .max_args = 1,
    .flags = json_flags,
    .run = info_run,
};

static const struct args_cmd check_cmd = {
    .name = "check",
    .summary = "Check and list unhealthy data partitions",
    .max_args = 0,
    .flags = check_flags,
    .run = partition_check_run,
    .data = &check,
};

static const struct args_cmd decommission_cmd = {
    .name = "decommission",
    .usage = "[ADDRESS] [DATA PARTITION ID]",
    .summary = "Decommission a replication of the data partition to a new address",
    .details = "Decommission a replication of the data partition to a new address. With --wait,\n"
               "follow the progress until it ends (exit status 1 when it fails or times out).",
    .min_args = 2,
    .max_args = 2,
    .flags = decommission_flags,
    .run = decommission_run,
};

static const struct args_cmd add_replica_cmd = {
    .name = "add-replica",
    .usage = "[ADDRESS] [DATA PARTITION ID]",
    .summary = "Add a replication of the data partition on a new address",
    .min_args = 2,
    .max_args = 2,
    .flags = add_flags,
    .run = partition_op_run,
    .data = &add_replica,
};

static const struct args_cmd del_replica_cmd = {
    .name = "del-replica",
    .usage = "[ADDRESS] [DATA PARTITION ID]",
    .summary = "Delete a replication of the data partition on a fixed address",
    .min_args = 2,
    .max_args = 2,
    .flags = del_flags,
    .run = partition_op_run,
    .data = &del_replica,
};

static const struct args_cmd query_progress_cmd = {
    .name = "query-progress",
    .usage = "[DATA PARTITION ID]",
    .summary = "Query data partition decommission progress",
    .min_args = 1,
    .max_args = 1,
    .flags = json_flags,
    .run = query_progress_run,
};

static const struct args_cmd *const subs[] = {
    &info_cmd,           &check_cmd, &decommission_cmd, &add_replica_cmd, &del_replica_cmd,
    &query_progress_cmd, NULL,
};

const struct args_cmd datapartition_cmd = {
    .name = "datapartition",
    .summary = "Manage data partition",
    .subs = subs,
};
