/* Shared by the route groups (api_*.c). */
#ifndef CFS_MASTER_API_API_INTERNAL_H
#define CFS_MASTER_API_API_INTERNAL_H

#include "common/errors.h"
#include "master/api/api.h"
#include "master/http/http_server.h"

#include <jansson.h>

struct master;

/* A group of routes and what the group does when leadership starts or ends. */
struct api_group {
    const struct http_route *routes;
    size_t nroutes;
    int (*leader_start)(struct master *m, char *errmsg);
    void (*leader_stop)(struct master *m);
};

extern const struct api_group api_cluster_group;
extern const struct api_group api_node_group;
extern const struct api_group api_vol_group;
extern const struct api_group api_partition_group;
extern const struct api_group api_user_group;
extern const struct api_group api_metrics_group;
extern const struct api_group api_raft_group;

const struct http_route_stats *api_route_stats(struct master *m, size_t *n);

/* A mutating operation: validated on the loop, run on a worker, answered on the loop.
 * Embed it first in a struct holding the operation's parameters. */
struct api_op;
typedef void (*api_op_fn)(struct api_op *op);

struct api_op {
    struct master *m;
    struct http_req *r;
    api_op_fn run; /* on a worker: sets code/msg/data */
    int code;
    char msg[ERRMSG_SIZE * 2];
    json_t *data;
};

/* Allocate an op of size bytes (zeroed) for r. Returns NULL after answering r when out of
 * memory. */
void *api_op_new(struct master *m, struct http_req *r, size_t size, api_op_fn run);

/* Queue op on the workers; its answer is sent when run returns. */
void api_op_submit(struct api_op *op);

void api_op_ok(struct api_op *op, json_t *data);
void api_op_fail(struct api_op *op, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
