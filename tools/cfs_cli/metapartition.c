#include "tools/cfs_cli/metapartition.h"

#include "tools/cfs_cli/client.h"
#include "tools/cfs_cli/output.h"
#include "tools/cfs_cli/partition.h"

#include <inttypes.h>

#define GET_PATH "/metaPartition/get"

static const struct output_field info_fields[] = {
    {"volume name", "VolName", OUTPUT_RAW},
    {"PartitionID", "PartitionID", OUTPUT_RAW},
    {"Status", "Status", OUTPUT_MP_STATUS},
    {"Recovering", "IsRecover", OUTPUT_YES_NO},
    {"Start", "Start", OUTPUT_RAW},
    {"End", "End", OUTPUT_RAW},
    {"MaxInodeID", "MaxInodeID", OUTPUT_RAW},
    {"Forbidden", "Forbidden", OUTPUT_RAW},
    {"Freeze", "Freeze", OUTPUT_RAW},
    {"ForbidWriteOpOfProtoVer0", "ForbidWriteOpOfProtoVer0", OUTPUT_RAW},
};
static const struct output_view info_view = OUTPUT_VIEW("", 14, info_fields);

static const struct output_column replica_cols[] = {
    {"ADDRESS", 65, "Addr", OUTPUT_ADDR},
    {"MaxInodeID", 6, "MaxInodeID", OUTPUT_RAW},
    {"ISLEADER", 6, "IsLeader", OUTPUT_RAW},
    {"STATUS", 6, "Status", OUTPUT_MP_STATUS},
    {"REPORT TIME", 10, "ReportTime", OUTPUT_UNIX_TIME},
};
static const struct output_table replica_table = OUTPUT_TABLE("    ", replica_cols);

static int info_run(struct cli_ctx *ctx)
{
    struct client_query q;
    json_t *mp = NULL;
    uint64_t id;
    int rv = cli_arg_id(ctx, 0, &id);

    if (rv == 0) {
        client_query_init(&q, GET_PATH);
        client_query_addf(&q, "id", "%" PRIu64, id);
        rv = client_get(ctx, &q, &mp);
    }
    if (rv != 0 || cli_json(ctx)) {
        rv = rv != 0 ? rv : cli_print_json(ctx, mp);
        json_decref(mp);
        return rv;
    }
    fputc('\n', ctx->out);
    output_view(ctx->out, &info_view, mp);
    fprintf(ctx->out, "\nReplicas : \n");
    output_table(ctx->out, "", &replica_table, json_object_get(mp, "Replicas"));
    partition_print_members(ctx->out, mp, "MissNodes");
    json_decref(mp);
    return 0;
}

static const struct partition_op decommission = {"/metaPartition/decommission",
                                                 "Decommission meta partition successfully", false};
static const struct partition_op add_replica = {"/metaReplica/add", "Add replication successfully",
                                                false};
static const struct partition_op del_replica = {"/metaReplica/delete",
                                                "Delete replication successfully", false};

static const struct partition_check_section check_sections[] = {
    {"Inactive Meta nodes", "InactiveMetaNodes", PARTITION_CHECK_NODES, NULL, true},
    {"Corrupt meta partitions (no leader)", "NoLeaderMetaPartitionIDs", PARTITION_CHECK_PARTITIONS,
     NULL, true},
    {"Meta partition lack replicas", "LackReplicaMetaPartitionIDs", PARTITION_CHECK_PARTITIONS,
     NULL, true},
    {"Bad meta partitions(decommission not completed)", "BadMetaPartitionIDs", PARTITION_CHECK_BAD,
     NULL, true},
    {"Meta Partition has unavailable replica", "UnavailableMetaPartitionIDs",
     PARTITION_CHECK_PARTITIONS, NULL, true},
    {"Partition with replica inode count not equal", "InodeCountNotEqualIDs",
     PARTITION_CHECK_PARTITIONS, NULL, true},
    {"Partition with replica max inode not equal", "MaxInodeNotEqualIDs",
     PARTITION_CHECK_PARTITIONS, NULL, true},
    {"Partition with replica dentry count not equal", "DentryCountNotEqualIDs",
     PARTITION_CHECK_PARTITIONS, NULL, true},
};

static const struct partition_check check = {
    "/metaPartition/diagnose?v1=true",
    "/metaNode/get",
    GET_PATH,
    check_sections,
    sizeof(check_sections) / sizeof(check_sections[0]),
};

static const struct args_flag json_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag op_flags[] = {CLI_FLAG_CLIENT_ID_KEY, CLI_FLAG_YES, ARGS_FLAG_END};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[META PARTITION ID]",
    .summary = "Display detail information of a meta partition",
    .min_args = 1,
    .max_args = 1,
    .flags = json_flags,
    .run = info_run,
};

static const struct args_cmd check_cmd = {
    .name = "check",
    .summary = "Check and list unhealthy meta partitions",
    .max_args = 0,
    .flags = json_flags,
    .run = partition_check_run,
    .data = &check,
};

static const struct args_cmd decommission_cmd = {
    .name = "decommission",
    .usage = "[ADDRESS] [META PARTITION ID]",
    .summary = "Decommission a replication of the meta partition to a new address",
    .min_args = 2,
    .max_args = 2,
    .flags = op_flags,
    .run = partition_op_run,
    .data = &decommission,
};

static const struct args_cmd add_replica_cmd = {
    .name = "add-replica",
    .usage = "[ADDRESS] [META PARTITION ID]",
    .summary = "Add a replication of the meta partition on a new address",
    .min_args = 2,
    .max_args = 2,
    .flags = op_flags,
    .run = partition_op_run,
    .data = &add_replica,
};

static const struct args_cmd del_replica_cmd = {
    .name = "del-replica",
    .usage = "[ADDRESS] [META PARTITION ID]",
    .summary = "Delete a replication of the meta partition on a fixed address",
    .min_args = 2,
    .max_args = 2,
    .flags = op_flags,
    .run = partition_op_run,
    .data = &del_replica,
};

static const struct args_cmd *const subs[] = {
    &info_cmd, &check_cmd, &decommission_cmd, &add_replica_cmd, &del_replica_cmd, NULL,
};

const struct args_cmd metapartition_cmd = {
    .name = "metapartition",
    .summary = "Manage meta partition",
    .subs = subs,
};
