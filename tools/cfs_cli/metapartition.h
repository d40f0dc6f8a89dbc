/* `cfs-cli metapartition` (CubeFS's metapartition command group). */
#ifndef CFS_TOOLS_CFS_CLI_METAPARTITION_H
#define CFS_TOOLS_CFS_CLI_METAPARTITION_H

#include "tools/cfs_cli/args.h"

extern const struct args_cmd metapartition_cmd;

#endif
