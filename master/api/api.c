#define LOG_TAG "api"

#include "master/api/api.h"

#include "common/errors.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/core/master.h"
#include "master/raft/raft_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every route group contributes a table; they are joined once at start. */
static const struct api_group *const groups[] = {
    &api_cluster_group,   &api_node_group, &api_vol_group,
    &api_partition_group, &api_user_group, &api_metrics_group,
};

struct api_state {
    struct http_route *routes;
    size_t nroutes;
};

static struct api_state state;

/* The leader interceptor. The ready leader serves everything. A follower serves routes marked
 * for any master, and client reads when followerRead is on; otherwise it sends the client to the
 * leader (307 with Location, POST bodies survive it), or, with no leader known or the leader not
 * yet caught up, answers 503 with Retry-After and the NoLeader code. A master never redirects
 * to itself. */
static bool intercept(struct http_req *r, const struct http_route *route, void *arg)
{
    struct master *m = arg;
    char leader[MASTER_ADDR_SIZE];
    char url[2048];

    if (m->ready || (route->flags & ROUTE_ANY_MASTER) ||
        ((route->flags & ROUTE_FOLLOWER_READ) && m->cfg.follower_read)) {
        return false;
    }
    master_leader_http_addr(m, leader, sizeof(leader));
    if (m->leader || leader[0] == '\0' || m->leader_id == m->cfg.id) {
        static const char body[] = "{\"code\":33,\"msg\":\"no leader\",\"data\":null}";
        http_req_reply_raw(r, 503, "Service Unavailable", "application/json", body,
                           sizeof(body) - 1, "retry-after", "1");
        return true;
    }
    snprintf(url, sizeof(url), "http://%s%s%s%s", leader, http_req_path(r),
             http_req_query(r)[0] != '\0' ? "?" : "", http_req_query(r));
    http_req_redirect(r, url, API_SUCCESS, leader);
    return true;
}

int api_init(struct master *m, char *errmsg)
{
    size_t n = 0, k = 0;

    (void)m;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        n += groups[g]->nroutes;
    }
    state.routes = calloc(n, sizeof(*state.routes));
    if (state.routes == NULL) {
        errors_set(errmsg, "out of memory");
        return -1;
    }
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        for (size_t i = 0; i < groups[g]->nroutes; i++) {
            state.routes[k++] = groups[g]->routes[i];
        }
    }
    state.nroutes = n;
    return 0;
}

int api_http_start(struct master *m, char *errmsg)
{
    return http_server_start(m->loop, m->cfg.ip, (uint16_t)m->cfg.listen, state.routes,
                             state.nroutes, intercept, m, &m->http, errmsg);
}

void api_free(struct master *m)
{
    (void)m;
    free(state.routes);
    state.routes = NULL;
}

int api_leader_start(struct master *m, char *errmsg)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (groups[g]->leader_start != NULL && groups[g]->leader_start(m, errmsg) != 0) {
            return -1;
        }
    }
    return 0;
}

void api_leader_stop(struct master *m)
{
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (groups[g]->leader_stop != NULL) {
            groups[g]->leader_stop(m);
        }
    }
}

const struct http_route_stats *api_route_stats(struct master *m, size_t *n)
{
    return http_server_stats(m->http, n);
}
