#include "tools/cfs_cli/datanode.h"

#include "tools/cfs_cli/node.h"

/* DataNodeInfo as the master answers it (Go's json names: TotalWeight, Zone, maxDpCntLimit). */
static const struct output_field info_fields[] = {
    {"ID", "ID", OUTPUT_RAW},
    {"Address", "Addr", OUTPUT_ADDR},
    {"RaftHeartbeatPort", "RaftHeartbeatPort", OUTPUT_RAW},
    {"RaftReplicaPort", "RaftReplicaPort", OUTPUT_RAW},
    {"Allocated ratio", "UsageRatio", OUTPUT_RAW},
    {"Allocated", "UsedWeight", OUTPUT_SIZE},
    {"Available", "AvailableSpace", OUTPUT_SIZE},
    {"Total", "TotalWeight", OUTPUT_SIZE},
    {"Zone", "Zone", OUTPUT_RAW},
    {"Rdonly", "RdOnly", OUTPUT_RAW},
    {"Status", "IsActive", OUTPUT_ACTIVE},
    {"MediaType", "MediaType", OUTPUT_MEDIA},
    {"ToBeOffline", "ToBeOffline", OUTPUT_TRUE_FALSE},
    {"Report time", "ReportTime", OUTPUT_GO_TIME},
    {"Partition count", "DataPartitionCount", OUTPUT_RAW},
    {"AllDisks", "AllDisks", OUTPUT_RAW},
    {"Bad disks", "BadDisks", OUTPUT_RAW},
    {"Lost disks", "LostDisks", OUTPUT_RAW},
    {"Decommissioned disks", "DecommissionedDisk", OUTPUT_RAW},
    {"DecommissionSuccess disks", "DecommissionSuccessDisk", OUTPUT_RAW},
    {"Persist partitions", "PersistenceDataPartitions", OUTPUT_RAW},
    {"Backup partitions", "BackupDataPartitions", OUTPUT_RAW},
    {"Can alloc partition", "CanAllocPartition", OUTPUT_RAW},
    {"Max partition count", "maxDpCntLimit", OUTPUT_RAW},
    {"CpuUtil", "cpuUtil", OUTPUT_RAW},
};

static const struct output_view info_view = OUTPUT_VIEW("  ", 26, info_fields);

static const struct node_kind data_node = {
    .noun = "data node",
    .list_path = "/admin/cluster/getAllDataNodes",
    .list_title = "[Data nodes]",
    .get_path = "/dataNode/get",
    .info_title = "[Data node info]",
    .info_view = &info_view,
    .decommission_path = "/dataNode/decommission",
    .decommission_done = "Decommission data node successfully",
    .raft_force_weight = true,
    .gone_code = 12, /* DataNodeNotExists */
};

static const char *const list_aliases[] = {"ls", NULL};

static const struct args_flag list_flags[] = {NODE_LIST_FLAGS};

static const struct args_flag info_flags[] = {CLI_FLAG_JSON, ARGS_FLAG_END};

static const struct args_flag decommission_flags[] = {
    {"count", 0, ARGS_INT, "0", "DataNode delete mp count"},
    CLI_FLAG_CLIENT_ID_KEY,
    {"raftForceDel", 'r', ARGS_BOOL, "false", "true for raftForceDel"},
    {"decommissionWeight", 0, ARGS_INT, "2", "decommission weight"},
    NODE_WAIT_FLAGS,
    CLI_FLAG_YES,
    ARGS_FLAG_END,
};

static const struct args_cmd list_cmd = {
    .name = "list",
    .aliases = list_aliases,
    .summary = "List information of data nodes",
    .max_args = 0,
    .flags = list_flags,
    .run = node_list_run,
    .data = &data_node,
};

static const struct args_cmd info_cmd = {
    .name = "info",
    .usage = "[{HOST}:{PORT}]",
    .summary = "Show information of a data node",
    .min_args = 1,
    .max_args = 1,
    .flags = info_flags,
    .run = node_info_run,
    .data = &data_node,
};

static const struct args_cmd decommission_cmd = {
    .name = "decommission",
    .usage = "[{HOST}:{PORT}]",
    .summary = "decommission partitions in a data node to others",
    .details = "Decommission partitions in a data node to others. With --wait, follow the\n"
               "progress until the decommission ends (exit status 1 when it fails or times out).",
    .min_args = 1,
    .max_args = 1,
    .flags = decommission_flags,
    .run = node_decommission_run,
    .data = &data_node,
};

static const struct args_cmd query_progress_cmd = {
    .name = "query-progress",
    .usage = "[{HOST}:{PORT}]",
    .summary = "query datanode decommission progress",
    .min_args = 1,
    .max_args = 1,
    .flags = info_flags,
    .run = node_query_progress_run,
    .data = &data_node,
};

static const struct args_cmd *const subs[] = {&list_cmd, &info_cmd, &decommission_cmd,
                                              &query_progress_cmd, NULL};

const struct args_cmd datanode_cmd = {
    .name = "datanode",
    .summary = "Manage data nodes",
    .subs = subs,
};
