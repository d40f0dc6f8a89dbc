#include "tools/cfs_cli/metanode.h"

#include "tools/cfs_cli/node.h"

/* MetaNodeInfo as the master answers it (Go's json names: TotalWeight, Zone, maxMpCntLimit). */
static const struct output_field info_fields[] = {
    {"ID", "ID", OUTPUT_RAW},
    {"Address", "Addr", OUTPUT_ADDR},
    {"RaftHeartbeatPort", "RaftHeartbeatPort", OUTPUT_RAW},
    {"RaftReplicaPort", "RaftReplicaPort", OUTPUT_RAW},
    {"Threshold", "Threshold", OUTPUT_RAW},
    {"MaxMemAvailWeight", "MaxMemAvailWeight", OUTPUT_SIZE},
    {"Allocated", "UsedWeight", OUTPUT_SIZE},
    {"Total", "TotalWeight", OUTPUT_SIZE},
    {"Zone", "Zone", OUTPUT_RAW},
    {"Status", "IsActive", OUTPUT_ACTIVE},
    {"Rdonly", "RdOnly", OUTPUT_RAW},
    {"Report time", "ReportTime", OUTPUT_GO_TIME},
    {"Partition count", "MetaPartitionCount", OUTPUT_RAW},
    {"Persist partitions", "PersistenceMetaPartitions", OUTPUT_RAW},
    {"Can alloc partition", "CanAllowPartition", OUTPUT_RAW},
    {"Max partition count", "maxMpCntLimit", OUTPUT_RAW},
    {"CpuUtil", "cpuUtil", OUTPUT_RAW},
};

static const struct output_view info_view = OUTPUT_VIEW("  ", 20, info_fields);

static const struct node_kind meta_node = {
    .noun = "meta node",
    .list_path = "/admin/cluster/getAllMetaNodes",
    .list_title = "[Meta nodes]",
    .get_path = "/metaNode/get",
    .info_title = "[Meta node info]",
    .info_view = &info_view,
    .decommission_path = "/metaNode/decommission",
    .decommission_done = "Decommission meta node successfully",
    .raft_force_weight = false,
    .gone_code = 13, /* MetaNodeNotExists */
};

static const char *const list_aliases[] = {"ls", NULL};

static const struct args_flag list_flags[] = {NODE_LIST_FLAGS};

static const struct args_flag info_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag decommission_flags[] = {
    {"count", 0, ARGS_INT, "0", "MetaNode delete mp count"},
    CLI_FLAG_CLIENT_ID_KEY,
    NODE_WAIT_FLAGS,
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_cmd list_cmd = {
    .name = "list",
    .aliases = list_aliases,
    .summary = "List information of meta nodes",
    .max_args = 0,
    .flags = list_flags,
    .run = node_list_run,
    .data = &meta_node,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[{HOST}:{PORT}]",
    .summary = "Show information of meta nodes",
    .min_args = 1,
    .max_args = 1,
    .flags = info_flags,
    .run = node_info_run,
    .data = &meta_node,
};

static const struct args_cmd decommission_cmd = {
    .name = "decommission",
    .usage = "[{HOST}:{PORT}]",
    .summary = "Decommission partitions in a meta node to other nodes",
    .details = "Decommission partitions in a meta node to other nodes. With --wait, follow the\n"
               "progress until the decommission ends (exit status 1 when it fails or times out).",
    .min_args = 1,
    .max_args = 1,
    .flags = decommission_flags,
    .run = node_decommission_run,
    .data = &meta_node,
};

static const struct args_cmd *const subs[] = {&list_cmd, &info_cmd, &decommission_cmd, NULL};

const struct args_cmd metanode_cmd = {
    .name = "metanode",
    .summary = "Manage meta nodes",
    .subs = subs,
};
