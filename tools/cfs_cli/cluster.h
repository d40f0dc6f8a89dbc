/* `cfs-cli cluster` (CubeFS's cluster command group). */
#ifndef CFS_TOOLS_CFS_CLI_CLUSTER_H
#define CFS_TOOLS_CFS_CLI_CLUSTER_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd cluster_cmd;

#endif
