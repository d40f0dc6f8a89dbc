/* `cfs-cli user` (CubeFS's user command group). */
#ifndef CFS_TOOLS_CFS_CLI_USER_H
#define CFS_TOOLS_CFS_CLI_USER_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd user_cmd;

#endif
