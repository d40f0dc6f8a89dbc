/* `cfs-cli datapartition` (CubeFS's datapartition command group). */
#ifndef CFS_TOOLS_CFS_CLI_DATAPARTITION_H
#define CFS_TOOLS_CFS_CLI_DATAPARTITION_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd datapartition_cmd;

#endif
