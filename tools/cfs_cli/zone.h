/* `cfs-cli zone` (CubeFS's zone command group). */
#ifndef CFS_TOOLS_CFS_CLI_ZONE_H
#define CFS_TOOLS_CFS_CLI_ZONE_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd zone_cmd;

#endif
