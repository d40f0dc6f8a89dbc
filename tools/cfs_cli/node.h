/* What `datanode` and `metanode` share: list, info, decommission (with --wait) and
 * query-progress, run from a descriptor of the node kind that each command's data points at. */
#ifndef CFS_TOOLS_CFS_CLI_NODE_H
#define CFS_TOOLS_CFS_CLI_NODE_H

#include "tools/cfs_cli/cli.h"
#include "tools/cfs_cli/output.h"

#include <stdbool.h>

struct node_kind {
    const char *noun;       /* "data node" */
    const char *list_path;  /* /admin/cluster/getAllDataNodes */
    const char *list_title; /* [Data nodes] */
    const char *get_path;   /* /dataNode/get */
    const char *info_title; /* [Data node info] */
    const struct output_view *info_view;
    const char *decommission_path; /* /dataNode/decommission */
    const char *decommission_done; /* Decommission data node successfully */
    bool raft_force_weight;        /* data nodes also send raftForceDel and weight */
    int gone_code;                 /* envelope code once the node is unknown (12 / 13) */
};

/* Run callbacks; the command's data is a struct node_kind. */
int node_list_run(struct cli_ctx *ctx);
int node_info_run(struct cli_ctx *ctx);
int node_decommission_run(struct cli_ctx *ctx);
int node_query_progress_run(struct cli_ctx *ctx);

/* Flags of the list and decommission commands. */
#define NODE_LIST_FLAGS                                                                   \
    {"filter-writable", 0, ARGS_STRING, NULL, "Filter node writable status"},             \
        {"filter-status", 0, ARGS_STRING, NULL, "Filter node status [Active, Inactive]"}, \
        CLI_FLAG_JSON, ARGS_FLAG_END

#define NODE_WAIT_FLAGS                                                                           \
    {"wait", 0, ARGS_BOOL, "false", "Wait until the decommission ends, drawing its progress"},    \
    {                                                                                             \
        "timeout", 0, ARGS_UINT, "600", "With --wait: give up after this many seconds (0: never)" \
    }

#endif
