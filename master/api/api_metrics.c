/* /metrics: Prometheus text exposition of the master, served by every master.
 *
 * Every master reports its HTTP routes (request counts and latency histograms), its Raft member
 * (applied and last index, term, whether it leads) and its store. The cluster families (nodes by
 * liveness, partitions by status, task queues per node) come from the leader's soft state, which
 * a follower does not keep, so only the ready leader reports them: a follower's zeros would add
 * wrong numbers to any sum across masters. */
#define LOG_TAG "api"

#include "admin_task/task_manager.h"
#include "master/api/api_internal.h"
#include "master/api/prom.h"
#include "master/cluster/pstate.h"
#include "master/cluster/topo.h"
#include "master/core/master.h"
#include "master/raft/raft_node.h"

#include <stddef.h>
#include <stdlib.h>

static void http_families(struct prom *p, struct master *m)
{
    double bounds[HTTP_LATENCY_BUCKETS];
    size_t n = 0;
    const struct http_route_stats *st = api_route_stats(m, &n);

    for (size_t i = 0; i < HTTP_LATENCY_BUCKETS; i++) {
        bounds[i] = (double)http_latency_bounds_us[i] / 1e6;
    }
    prom_family(p, "cfs_master_http_requests_total", "counter",
                "HTTP requests answered, by route.");
    for (size_t i = 0; i < n; i++) {
        const struct prom_label path = {"path", st[i].path};
        prom_sample(p, "cfs_master_http_requests_total", &path, 1, (double)st[i].count);
    }
    prom_family(p, "cfs_master_http_request_duration_seconds", "histogram",
                "Time from request to answer, by route.");
    for (size_t i = 0; i < n; i++) {
        const struct prom_label path = {"path", st[i].path};
        prom_histogram(p, "cfs_master_http_request_duration_seconds", &path, 1, bounds,
                       st[i].buckets, HTTP_LATENCY_BUCKETS, (double)st[i].sum_us / 1e6,
                       st[i].count);
    }
}

static void gauge(struct prom *p, const char *name, const char *help, double value)
{
    prom_family(p, name, "gauge", help);
    prom_sample(p, name, NULL, 0, value);
}

static void raft_families(struct prom *p, struct master *m)
{
    struct raft_node_member members[RAFT_NODE_MAX_MEMBERS];

    gauge(p, "cfs_master_raft_applied_index", "Last Raft entry applied to the store.",
          (double)raft_node_applied(m->raft));
    gauge(p, "cfs_master_raft_last_index", "Last entry of this master's Raft log.",
          (double)raft_node_last_index(m->raft));
    gauge(p, "cfs_master_raft_term", "Current Raft term.", (double)raft_node_term(m->raft));
    gauge(p, "cfs_master_raft_members", "Members of the Raft configuration.",
          (double)raft_node_members(m->raft, members, RAFT_NODE_MAX_MEMBERS));
    gauge(p, "cfs_master_is_leader", "1 when this master is the Raft leader.", m->leader ? 1 : 0);
    gauge(p, "cfs_master_leader_ready",
          "1 when this master leads and has caught up: it serves mutating routes.",
          m->ready ? 1 : 0);
    gauge(p, "cfs_master_store_map_size_bytes", "Size of the LMDB map.",
          (double)store_map_size(m->store));
}

static void node_families(struct prom *p, struct master *m)
{
    struct topo_counts c;

    topo_counts(m->topo, &c);
    prom_family(p, "cfs_master_nodes", "gauge", "Registered nodes by kind and liveness.");
    for (int kind = 0; kind < TOPO_KINDS; kind++) {
        struct prom_label labels[2] = {{"kind", topo_kind_name((enum topo_kind)kind)},
                                       {"state", "active"}};
        prom_sample(p, "cfs_master_nodes", labels, 2, c.active[kind]);
        labels[1].value = "inactive";
        prom_sample(p, "cfs_master_nodes", labels, 2, c.inactive[kind]);
    }
}

static void partition_families(struct prom *p, struct master *m)
{
    static const char *const statuses[3] = {"Unavailable", "ReadOnly", "ReadWrite"};
    struct pstate_counts c;

    pstate_counts(m->pstate, &c);
    prom_family(p, "cfs_master_partitions", "gauge",
                "Partitions by kind and status, as of the last partition check.");
    for (int s = 0; s < 3; s++) {
        struct prom_label labels[2] = {{"kind", "data"}, {"status", statuses[s]}};
        prom_sample(p, "cfs_master_partitions", labels, 2, c.dp[s]);
        labels[0].value = "meta";
        prom_sample(p, "cfs_master_partitions", labels, 2, c.mp[s]);
    }
    prom_family(p, "cfs_master_partition_checks_total", "counter",
                "Partition status checks run since this master became leader.");
    prom_sample(p, "cfs_master_partition_checks_total", NULL, 0, (double)c.refreshes);
    gauge(p, "cfs_master_partition_check_seconds", "Duration of the last partition check.",
          (double)c.last_refresh_us / 1e6);
}

/* Per node: the queue depth and the counters of the task sender. */
static void task_families(struct prom *p, struct master *m)
{
    static const struct {
        const char *result;
        size_t offset;
    } counters[] = {
        {"sent", offsetof(struct task_node_stats, sent)},
        {"acked", offsetof(struct task_node_stats, acked)},
        {"failed", offsetof(struct task_node_stats, failed)},
        {"resent", offsetof(struct task_node_stats, resent)},
        {"dropped", offsetof(struct task_node_stats, dropped)},
        {"answered", offsetof(struct task_node_stats, answered)},
    };
    size_t n = task_manager_stats(m->tasks, NULL, 0);
    struct task_node_stats *st = calloc(n > 0 ? n : 1, sizeof(*st));

    if (st == NULL) {
        p->failed = true;
        return;
    }
    n = task_manager_stats(m->tasks, st, n);
    prom_family(p, "cfs_master_task_queue_depth", "gauge", "Tasks queued for a node.");
    for (size_t i = 0; i < n; i++) {
        const struct prom_label node = {"node", st[i].addr};
        prom_sample(p, "cfs_master_task_queue_depth", &node, 1, st[i].queued);
    }
    prom_family(p, "cfs_master_tasks_total", "counter",
                "Node tasks by outcome: sent, acked, failed, resent, dropped, answered.");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
            const struct prom_label labels[2] = {{"node", st[i].addr},
                                                 {"result", counters[k].result}};
            prom_sample(p, "cfs_master_tasks_total", labels, 2,
                        (double)*(const uint64_t *)((const char *)&st[i] + counters[k].offset));
        }
    }
    free(st);
    prom_family(p, "cfs_master_task_unknown_responses_total", "counter",
                "Task responses from unknown nodes or for tasks no longer queued.");
    prom_sample(p, "cfs_master_task_unknown_responses_total", NULL, 0,
                (double)task_manager_unknown_responses(m->tasks));
}

static void metrics(struct http_req *r, void *arg)
{
    static const char oom[] = "out of memory\n";
    struct master *m = arg;
    const char *text;
    struct prom p;
    size_t len = 0;

    prom_init(&p);
    http_families(&p, m);
    raft_families(&p, m);
    if (m->ready) {
        node_families(&p, m);
        partition_families(&p, m);
        task_families(&p, m);
    }
    text = prom_text(&p, &len);
    if (text == NULL) {
        http_req_reply_raw(r, 500, "Internal Server Error", "text/plain; charset=utf-8", oom,
                           sizeof(oom) - 1, NULL, NULL);
    } else {
        http_req_reply_raw(r, 200, "OK", PROM_CONTENT_TYPE, text, len, NULL, NULL);
    }
    prom_free(&p);
}

static const struct http_route routes[] = {
    {"/metrics", HTTP_GET, ROUTE_ANY_MASTER, metrics},
};

const struct api_group api_metrics_group = {routes, sizeof(routes) / sizeof(routes[0]), NULL, NULL};
