/* `cfs-cli volume` (alias vol; CubeFS's volume command group). */
#ifndef CFS_TOOLS_CFS_CLI_VOL_H
#define CFS_TOOLS_CFS_CLI_VOL_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd vol_cmd;

#endif
