/* What `datapartition` and `metapartition` share: replica operations on <ADDRESS> <ID>, the
 * `check` report built from the master's diagnosis, and the member lists of `info`. Run callbacks
 * take their descriptor from the command's data. */
#ifndef CFS_TOOLS_CFS_CLI_PARTITION_H
#define CFS_TOOLS_CFS_CLI_PARTITION_H

#include "tools/cfs_cli/cli.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* <ADDRESS> <PARTITION ID> operations: GET path?id&addr&clientIDKey[&raftForceDel]. */
struct partition_op {
    const char *path;
    const char *done; /* printed on success */
    bool raft_force;  /* also send --raftForceDel */
};

int partition_op_run(struct cli_ctx *ctx);

/* The <ADDRESS> <PARTITION ID> arguments of a replica operation: 0, or a usage error. */
int partition_op_args(struct cli_ctx *ctx, const char **addr, uint64_t *id);

enum partition_check_kind {
    PARTITION_CHECK_NODES,      /* array of node addresses */
    PARTITION_CHECK_PARTITIONS, /* array of partition IDs */
    PARTITION_CHECK_BAD         /* [{Path, PartitionIDs | PartitionInfos[].PartitionID}] */
};

struct partition_check_section {
    const char *title; /* "Partition lack replicas" */
    const char *key;   /* in the diagnosis */
    enum partition_check_kind kind;
    const char *flag; /* selects the section; NULL: shown whenever everything is */
    bool in_default;  /* shown when no section flag is given */
};

struct partition_check {
    const char
        *diagnose_path;    /* with its query, e.g. "/dataPartition/diagnose?ignoreDiscard=true" */
    const char *node_path; /* /dataNode/get */
    const char *partition_path; /* /dataPartition/get */
    const struct partition_check_section *sections;
    size_t nsections;
};

int partition_check_run(struct cli_ctx *ctx);

/* The Peers table and the Hosts, Zones, NodeSets and missing-nodes lists of a partition. */
void partition_print_members(FILE *out, const json_t *p, const char *missing_key);

#endif
