/* `cfs-cli nodeset` (CubeFS's nodeset command group). */
#ifndef CFS_TOOLS_CFS_CLI_NODESET_H
#define CFS_TOOLS_CFS_CLI_NODESET_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd nodeset_cmd;

#endif
