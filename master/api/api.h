/* The master's HTTP API: the route table, the interceptor, and what the API layer does when this
 * master gains or loses leadership (load caches, start schedulers). */
#ifndef CFS_MASTER_API_API_H
#define CFS_MASTER_API_API_H

#include "master/http/http_server.h"

struct master;

/* Route flags the interceptor reads. */
enum {
    ROUTE_ANY_MASTER = 1u << 0,    /* served by every master (getIp, metrics) */
    ROUTE_FOLLOWER_READ = 1u << 1, /* served by followers when followerRead is on */
    /* Needs no status refresh that a recent change asked for (master_refresh_pending()): it
     * reads at most a volume's used space, which only heartbeats change. */
    ROUTE_NO_STATUS = 1u << 2
};

int api_init(struct master *m, char *errmsg);
int api_http_start(struct master *m, char *errmsg);
void api_free(struct master *m);

/* Leadership: called on the loop thread once the barrier is done / when it is lost. */
int api_leader_start(struct master *m, char *errmsg);
void api_leader_stop(struct master *m);

#endif
