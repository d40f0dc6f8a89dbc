#include "master/api/api_internal.h"

/* Routes of this group are being written. */
const struct api_group api_node_group = {NULL, 0, NULL, NULL};
