/* `cfs-cli metanode` (CubeFS's metanode command group). */
#ifndef CFS_TOOLS_CFS_CLI_METANODE_H
#define CFS_TOOLS_CFS_CLI_METANODE_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd metanode_cmd;

#endif
