/* `cfs-cli datanode` (CubeFS's datanode command group). */
#ifndef CFS_TOOLS_CFS_CLI_DATANODE_H
#define CFS_TOOLS_CFS_CLI_DATANODE_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd datanode_cmd;

#endif
