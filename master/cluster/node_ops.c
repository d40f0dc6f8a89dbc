#define LOG_TAG "nodes"

#include "master/cluster/node_ops.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/log.h"
#include "master/core/locks.h"
#include "master/core/master.h"
#include "master/core/workers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

/* Below this CubeFS ignores metaNodeReservedMem and keeps its 1 GiB default. */
#define META_RESERVED_MEM_MIN (32ULL << 20)

/* How long a zone move waits for a node another operation holds: the next heartbeat retries. */
#define MOVE_LOCK_WAIT_MS 100

/* Go's zero time.Time, which CubeFS shows for a node that never reported. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

#define TIME_SIZE 40

/* --- registration and zone moves (worker threads) ------------------------------------------- */

int node_ops_plan_nodeset(const struct topo_nodeset *sets, size_t n, const char *zone,
                          enum topo_kind kind, uint64_t want, struct node_ops_set_plan *out,
                          char *errmsg)
{
    uint64_t id;

    if (want == 0) {
        id = placement_pick_nodeset(sets, n, zone, kind);
        out->nodeset_id = id;
        out->create = id == 0;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (sets[i].id == want && strcmp(sets[i].zone, zone) == 0) {
            out->nodeset_id = want;
            out->create = false;
            return 0;
        }
    }
    errors_set(errmsg, "nodeset %" PRIu64 " not found in zone %s", want, zone);
    return CFS_ENOTFOUND;
}

static int get_record(struct master *m, enum topo_kind kind, const char *addr,
                      struct store_node *out)
{
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    if (rv == 0) {
        rv = kind == TOPO_DATA ? store_get_datanode_by_addr(t, addr, out)
                               : store_get_metanode_by_addr(t, addr, out);
        store_txn_end(t);
    }
    return rv;
}

/* Any thread. A heartbeat already queued for the node makes this a no-op. */
static void queue_heartbeat(struct master *m, enum topo_kind kind, const char *addr)
{
    const struct master_peer *self = master_config_peer(&m->cfg, m->cfg.id);
    uint8_t opcode = kind == TOPO_DATA ? OP_DATA_NODE_HEARTBEAT : OP_META_NODE_HEARTBEAT;
    char errmsg[ERRMSG_SIZE] = "";
    struct admin_task task;
    int rv;

    rv = admin_task_init_heartbeat(&task, opcode, addr, self->http_addr, clock_wall_s());
    if (rv == 0) {
        rv = task_manager_add(m->tasks, &task, NULL, errmsg);
    } else {
        errors_set(errmsg, "%s", errors_strerror(rv));
    }
    if (rv != 0) {
        log_warn("%s node %s: heartbeat not queued: %s", topo_kind_name(kind), addr, errmsg);
    }
}

/* A committed node record becomes known to topo and the task manager, and is asked for a
 * heartbeat at once so it turns active without waiting a whole interval. */
static void learn_node(struct master *m, enum topo_kind kind, const struct store_node *rec)
{
    char errmsg[ERRMSG_SIZE] = "";

    if (topo_put_node(m->topo, kind, rec) != 0) {
        log_error("%s node %s: out of memory adding it to the topology", topo_kind_name(kind),
                  rec->addr);
    }
    if (task_manager_add_node(m->tasks, rec->addr, errmsg) != 0) {
        log_error("%s node %s: %s", topo_kind_name(kind), rec->addr, errmsg);
    }
    queue_heartbeat(m, kind, rec->addr);
}

static int propose_node(struct master *m, enum topo_kind kind, const struct store_node *rec,
                        bool fresh, const struct store_nodeset *new_set, int *code, char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    int rv = -ENOMEM;

    cmd.batch = store_batch_new();
    if (cmd.batch == NULL) {
        errors_set(errmsg, "out of memory");
        goto out;
    }
    rv = new_set != NULL ? store_batch_put_nodeset(cmd.batch, new_set) : 0;
    if (rv == 0) {
        rv = kind == TOPO_DATA ? store_batch_put_datanode(cmd.batch, rec)
                               : store_batch_put_metanode(cmd.batch, rec);
    }
    if (rv == 0 && fresh) {
        rv = fsm_cmd_check(
            &cmd, kind == TOPO_DATA ? FSM_CHECK_DATANODE_ADDR_FREE : FSM_CHECK_METANODE_ADDR_FREE,
            0, rec->addr);
    }
    if (rv != 0) {
        errors_set(errmsg, "building the raft command: %s", errors_strerror(rv));
        goto out;
    }
    rv = master_propose(m, &cmd, &res, errmsg);
    if (rv == 0 && res.code != API_SUCCESS) {
        *code = res.code;
        errors_set(errmsg, "%s", res.msg);
        rv = CFS_EEXIST;
    }
out:
    fsm_cmd_clear(&cmd);
    return rv;
}

/* Put rec into a nodeset of its zone (want, or the one with the most free slots, or a new one)
 * and commit it in ONE command with the new nodeset, if any. A record without an ID is a new node:
 * it gets one, and its address must still be free when the command applies. The zone's nodeset
 * lock makes choose-and-commit atomic, so two registrations never take the same last slot or
 * create two nodesets at once. On error rec is unchanged. */
static int commit_node(struct master *m, enum topo_kind kind, struct store_node *rec, uint64_t want,
                       int *code, char *errmsg)
{
    char key[16 + STORE_NAME_SIZE];
    struct store_node next = *rec;
    struct store_nodeset ns = {0};
    struct topo_nodeset *sets = NULL;
    struct node_ops_set_plan plan;
    size_t nsets = 0;
    uint64_t first = 0;
    uint32_t nids;
    int rv;

    snprintf(key, sizeof(key), "nodesets:%s", rec->zone_name);
    rv = locks_acquire(m->locks, key, rec->addr, m->cfg.raft_commit_timeout_ms, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = topo_copy_nodesets(m->topo, &sets, &nsets);
    if (rv != 0) {
        errors_set(errmsg, "copying the nodesets: %s", errors_strerror(rv));
        goto out;
    }
    rv = node_ops_plan_nodeset(sets, nsets, rec->zone_name, kind, want, &plan, errmsg);
    if (rv != 0) {
        *code = API_NODE_SET_NOT_EXISTS;
        goto out;
    }
    nids = (plan.create ? 1u : 0u) + (rec->id == 0 ? 1u : 0u);
    if (nids > 0) {
        rv = master_alloc_ids(m, STORE_COUNTER_COMMON, nids, &first, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    /* CubeFS's order: the nodeset takes its ID before the node. */
    if (plan.create) {
        ns.id = first++;
        ns.capacity = m->cfg.node_set_cap;
        memcpy(ns.zone_name, rec->zone_name, sizeof(ns.zone_name));
        plan.nodeset_id = ns.id;
    }
    if (next.id == 0) {
        next.id = first;
    }
    next.nodeset_id = plan.nodeset_id;
    rv = propose_node(m, kind, &next, rec->id == 0, plan.create ? &ns : NULL, code, errmsg);
    if (rv != 0) {
        goto out;
    }
    if (plan.create && topo_put_nodeset(m->topo, &ns) != 0) {
        log_error("nodeset %" PRIu64 ": out of memory adding it to the topology", ns.id);
    }
    learn_node(m, kind, &next);
    *rec = next;
out:
    locks_release(m->locks, key);
    free(sets);
    return rv;
}

int node_ops_register(struct master *m, enum topo_kind kind, const struct node_ops_reg *req,
                      uint64_t *id, int *code, char *errmsg)
{
    const char *kname = topo_kind_name(kind);
    char key[8 + STORE_ADDR_SIZE];
    struct store_node rec;
    int rv;

    *code = API_INTERNAL_ERROR;
    snprintf(key, sizeof(key), "node:%s", req->addr);
    rv = locks_acquire(m->locks, key, "node registration", m->cfg.raft_commit_timeout_ms, errmsg);
    if (rv != 0) {
        return rv;
    }
    rv = get_record(m, kind, req->addr, &rec);
    if (rv == 0) {
        /* Registration is idempotent: a node retries it after every restart. Only asking for
         * another nodeset is a conflict; another zone is handled by the heartbeats' zone move. */
        if (req->nodeset_id != 0 && req->nodeset_id != rec.nodeset_id) {
            errors_set(errmsg, "already registered in nodeset %" PRIu64 ", not %" PRIu64,
                       rec.nodeset_id, req->nodeset_id);
            rv = CFS_EEXIST;
        } else {
            learn_node(m, kind, &rec);
            *id = rec.id;
        }
        goto out;
    }
    if (rv != CFS_ENOTFOUND) {
        errors_set(errmsg, "reading the %s node records: %s", kname, errors_strerror(rv));
        goto out;
    }
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.addr, sizeof(rec.addr), "%s", req->addr);
    snprintf(rec.zone_name, sizeof(rec.zone_name), "%s",
             req->zone[0] != '\0' ? req->zone : TOPO_DEFAULT_ZONE);
    rec.heartbeat_port = req->heartbeat_port;
    rec.replica_port = req->replica_port;
    rec.media_type = req->media_type;
    rec.create_time = clock_wall_s();
    rv = commit_node(m, kind, &rec, req->nodeset_id, code, errmsg);
    if (rv == 0) {
        *id = rec.id;
        log_info("%s node %s registered with id %" PRIu64 " in zone %s, nodeset %" PRIu64, kname,
                 rec.addr, rec.id, rec.zone_name, rec.nodeset_id);
    }
out:
    locks_release(m->locks, key);
    return rv;
}

struct zone_move {
    struct master *m;
    enum topo_kind kind;
    char addr[STORE_ADDR_SIZE];
};

/* Worker: move a node to the zone its heartbeats report (spec §2.8). Everything is re-read under
 * the node's lock, so a move that another one already made, or a node that left, is a no-op. */
static void move_run(void *arg)
{
    struct zone_move *mv = arg;
    struct master *m = mv->m;
    const char *kname = topo_kind_name(mv->kind);
    char errmsg[ERRMSG_SIZE] = "";
    char key[8 + STORE_ADDR_SIZE];
    char old_zone[STORE_NAME_SIZE];
    struct topo_node view;
    struct store_node rec;
    int code = API_INTERNAL_ERROR;
    int rv;

    snprintf(key, sizeof(key), "node:%s", mv->addr);
    if (locks_acquire(m->locks, key, "zone move", MOVE_LOCK_WAIT_MS, errmsg) != 0) {
        log_debug("%s node %s: zone move postponed: %s", kname, mv->addr, errmsg);
        free(mv);
        return;
    }
    if (topo_get_node(m->topo, mv->kind, mv->addr, &view) != 0 ||
        get_record(m, mv->kind, mv->addr, &rec) != 0 || view.reported_zone[0] == '\0') {
        goto out;
    }
    if (strcmp(rec.zone_name, view.reported_zone) == 0) {
        /* Already moved (a commit whose answer was lost): topo only has to catch up. */
        learn_node(m, mv->kind, &rec);
        goto out;
    }
    memcpy(old_zone, rec.zone_name, sizeof(old_zone));
    memcpy(rec.zone_name, view.reported_zone, sizeof(rec.zone_name));
    rv = commit_node(m, mv->kind, &rec, 0, &code, errmsg);
    if (rv != 0) {
        log_warn("%s node %s: moving it from zone %s to %s failed: %s", kname, mv->addr, old_zone,
                 view.reported_zone, errmsg);
    } else {
        log_info("%s node %s moved from zone %s to zone %s, nodeset %" PRIu64, kname, mv->addr,
                 old_zone, rec.zone_name, rec.nodeset_id);
    }
out:
    locks_release(m->locks, key);
    free(mv);
}

/* --- heartbeats (loop thread) -------------------------------------------------------------- */

static void submit_move(struct master *m, enum topo_kind kind, const char *addr)
{
    struct zone_move *mv = calloc(1, sizeof(*mv));
    int rv = -ENOMEM;

    if (mv != NULL) {
        mv->m = m;
        mv->kind = kind;
        snprintf(mv->addr, sizeof(mv->addr), "%s", addr);
        rv = workers_submit(m->workers, move_run, NULL, mv);
    }
    if (rv != 0) {
        log_warn("%s node %s: zone move not started: %s", topo_kind_name(kind), addr,
                 errors_strerror(rv));
        free(mv);
    }
}

static void on_heartbeat(struct master *m, enum topo_kind kind, const struct admin_task *task,
                         const void *response)
{
    const char *addr = task->operator_addr;
    struct topo_hb_result res = {0};
    char errmsg[ERRMSG_SIZE] = "";
    uint64_t now = clock_mono_ms();
    int rv;

    if (response == NULL) {
        log_warn("%s node %s: heartbeat answered without a Response", topo_kind_name(kind), addr);
        return;
    }
    if (kind == TOPO_DATA) {
        rv = topo_apply_dn_heartbeat(m->topo, addr, response, now, &res, errmsg);
        if (rv == 0 && topo_put_disks(m->topo, addr, response) != 0) {
            log_warn("data node %s: out of memory keeping its disks", addr);
        }
    } else {
        rv = topo_apply_mn_heartbeat(m->topo, addr, response, now, &res, errmsg);
    }
    if (rv != 0) {
        log_warn("%s", errmsg);
        return;
    }
    if (res.became_active) {
        log_info("%s node %s is active", topo_kind_name(kind), addr);
        master_refresh_soon(m);
    }
    if (res.zone_changed) {
        submit_move(m, kind, addr);
    }
}

static void dn_heartbeat_cb(const struct admin_task *task, void *response, void *arg)
{
    on_heartbeat(arg, TOPO_DATA, task, response);
}

static void mn_heartbeat_cb(const struct admin_task *task, void *response, void *arg)
{
    on_heartbeat(arg, TOPO_META, task, response);
}

static void check_liveness(struct master *m)
{
    struct topo_change *changes = NULL;
    size_t n = 0;
    int rv = topo_check_liveness(m->topo, clock_mono_ms(), m->cfg.node_timeout_ms, &changes, &n);

    if (rv != 0) {
        log_error("liveness pass: %s", errors_strerror(rv));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (changes[i].active) {
            log_info("%s node %s is active", topo_kind_name(changes[i].kind), changes[i].addr);
        } else {
            log_warn("%s node %s is inactive: no heartbeat for %u ms",
                     topo_kind_name(changes[i].kind), changes[i].addr, m->cfg.node_timeout_ms);
        }
    }
    if (n > 0) {
        master_refresh_soon(m);
    }
    free(changes);
}

static void queue_heartbeats(struct master *m, enum topo_kind kind)
{
    struct topo_node *nodes = NULL;
    size_t n = 0;

    if (topo_copy_nodes(m->topo, kind, &nodes, &n) != 0) {
        log_error("%s nodes: out of memory queueing heartbeats", topo_kind_name(kind));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        queue_heartbeat(m, kind, nodes[i].addr);
    }
    free(nodes);
}

/* The leader's heartbeat timer; loop thread only (one master per process). */
static uv_timer_t *heartbeat_timer;

static void heartbeat_tick_cb(uv_timer_t *h)
{
    struct master *m = h->data;

    /* A leadership whose start failed half-way never became ready: nothing to do for it. */
    if (!m->ready) {
        return;
    }
    check_liveness(m);
    queue_heartbeats(m, TOPO_DATA);
    queue_heartbeats(m, TOPO_META);
}

static void timer_closed_cb(uv_handle_t *h)
{
    free(h);
}

int node_ops_leader_start(struct master *m, char *errmsg)
{
    int rv;

    /* Registering again on a later leadership replaces the handlers with themselves. */
    rv = task_manager_on_response(m->tasks, OP_DATA_NODE_HEARTBEAT, dn_heartbeat_resp_fields,
                                  sizeof(struct dn_heartbeat_resp), dn_heartbeat_cb, m);
    if (rv == 0) {
        rv = task_manager_on_response(m->tasks, OP_META_NODE_HEARTBEAT, mn_heartbeat_resp_fields,
                                      sizeof(struct mn_heartbeat_resp), mn_heartbeat_cb, m);
    }
    if (rv != 0) {
        errors_set(errmsg, "heartbeat response handlers: %s", errors_strerror(rv));
        return rv;
    }
    if (heartbeat_timer == NULL) {
        heartbeat_timer = malloc(sizeof(*heartbeat_timer));
        if (heartbeat_timer == NULL) {
            errors_set(errmsg, "heartbeat timer: out of memory");
            return -ENOMEM;
        }
        uv_timer_init(m->loop, heartbeat_timer);
        heartbeat_timer->data = m;
    }
    /* Timeout 0: the first round goes out on the next loop iteration. */
    uv_timer_start(heartbeat_timer, heartbeat_tick_cb, 0, m->cfg.heartbeat_interval_ms);
    return 0;
}

void node_ops_leader_stop(struct master *m)
{
    (void)m;
    if (heartbeat_timer != NULL) {
        uv_close((uv_handle_t *)heartbeat_timer, timer_closed_cb);
        heartbeat_timer = NULL;
    }
}

/* --- views ---------------------------------------------------------------------------------------
 */

void node_ops_policy(const struct master_config *cfg, const struct store_cluster *cluster,
                     struct placement_policy *out)
{
    placement_policy_default(out);
    out->data_min_free = cfg->data_node_min_free;
    if (cfg->meta_node_reserved_mem >= META_RESERVED_MEM_MIN) {
        out->meta_reserved_mem = cfg->meta_node_reserved_mem;
    }
    if (cluster->meta_node_threshold > 0) {
        out->meta_threshold = cluster->meta_node_threshold;
    }
}

/* The cluster record; before the first leader writes it, the defaults hold. */
static void read_cluster(struct master *m, struct store_cluster *c)
{
    struct store_txn *t;

    memset(c, 0, sizeof(*c));
    c->meta_node_threshold = (float)PLACEMENT_META_THRESHOLD;
    if (store_read_begin(m->store, &t) == 0) {
        store_get_cluster(t, c);
        store_txn_end(t);
    }
}

void node_ops_master_policy(struct master *m, struct placement_policy *out)
{
    struct store_cluster c;

    read_cluster(m, &c);
    node_ops_policy(&m->cfg, &c, out);
}

void node_ops_view_env(struct master *m, struct node_ops_view_env *out)
{
    struct store_cluster c;

    read_cluster(m, &c);
    memset(out, 0, sizeof(*out));
    node_ops_policy(&m->cfg, &c, &out->policy);
    out->meta_threshold = (float)out->policy.meta_threshold;
    out->max_dp_count = c.max_dp_cnt_limit;
    out->max_mp_count = c.max_mp_cnt_limit;
    out->now_ms = clock_mono_ms();
    out->now_wall_s = clock_wall_s();
}

void node_ops_format_time(int64_t wall_s, char *buf, size_t size)
{
    time_t t = (time_t)wall_s;
    char zone[8];
    struct tm tm;
    size_t len;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
        strftime(zone, sizeof(zone), "%z", &tm) != 5) {
        snprintf(buf, size, "%s", ZERO_TIME);
        return;
    }
    len = strlen(buf);
    if (strcmp(zone, "+0000") == 0) {
        snprintf(buf + len, size - len, "Z");
    } else {
        snprintf(buf + len, size - len, "%.3s:%s", zone, zone + 3);
    }
}

/* When the node last reported, on the wall clock; Go's zero time before its first report. */
static void report_time(const struct topo_node *node, const struct node_ops_view_env *env,
                        char *buf, size_t size)
{
    uint64_t age_ms;

    if (node == NULL || !node->reported) {
        snprintf(buf, size, "%s", ZERO_TIME);
        return;
    }
    age_ms = env->now_ms > node->report_ms ? env->now_ms - node->report_ms : 0;
    node_ops_format_time(env->now_wall_s - (int64_t)(age_ms / 1000), buf, size);
}

/* v3.5 keeps the raft ports as strings, empty when the node did not say. */
static void port_text(uint32_t port, char *buf, size_t size)
{
    if (port == 0) {
        buf[0] = '\0';
    } else {
        snprintf(buf, size, "%" PRIu32, port);
    }
}

static bool writable(const struct node_ops_source *src, const struct node_ops_view_env *env)
{
    return src->node != NULL && placement_writable(src->node, &env->policy);
}

/* Whether the node may take one more partition: writable and under the cluster's limit. */
static bool can_alloc(const struct node_ops_source *src, const struct node_ops_view_env *env,
                      uint64_t limit)
{
    return writable(src, env) && (limit == 0 || src->node->partition_count < limit);
}

static double ratio(uint64_t used, uint64_t total)
{
    return total > 0 ? (double)used / (double)total : 0;
}

/* The ids of src's hosted partitions (malloc'd; NULL when none or out of memory). */
static uint64_t *hosted_ids(const struct node_ops_source *src)
{
    uint64_t *ids = src->nhosted > 0 ? malloc(src->nhosted * sizeof(*ids)) : NULL;

    for (size_t i = 0; ids != NULL && i < src->nhosted; i++) {
        ids[i] = src->hosted[i].id;
    }
    return ids;
}

/* NodeView. */
struct node_view {
    char addr[STORE_ADDR_SIZE];
    bool active;
    uint64_t id;
    bool writable;
    uint32_t media_type;
};

static const struct jc_field node_view_fields[] = {
    JC_F(struct node_view, addr, "Addr", JC_STR, 0),
    JC_F(struct node_view, active, "Status", JC_BOOL, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct node_view, id, "ID", JC_U64, 0),
    JC_F(struct node_view, writable, "IsWritable", JC_BOOL, 0),
    JC_F(struct node_view, media_type, "MediaType", JC_U32, 0),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_END,
};

json_t *node_ops_node_view(const struct node_ops_source *src, const struct node_ops_view_env *env)
{
    struct node_view v = {0};

    memcpy(v.addr, src->rec->addr, sizeof(v.addr));
    v.active = src->node != NULL && src->node->active;
    v.id = src->rec->id;
    v.writable = writable(src, env);
    v.media_type = src->rec->media_type;
    return jc_encode(node_view_fields, &v);
}

static int append_view(json_t *list, const struct store_node *rec, const struct topo_node *node,
                       const struct node_ops_view_env *env)
{
    struct node_ops_source src = {.rec = rec, .node = node};

    return json_array_append_new(list, node_ops_node_view(&src, env)) == 0 ? 0 : -ENOMEM;
}

struct list_walk {
    struct topo *topo;
    enum topo_kind kind;
    const struct node_ops_view_env *env;
    json_t *list;
};

static int list_cb(const struct store_node *rec, void *arg)
{
    struct list_walk *w = arg;
    struct topo_node view;
    bool known = topo_get_node(w->topo, w->kind, rec->addr, &view) == 0;

    return append_view(w->list, rec, known ? &view : NULL, w->env);
}

int node_ops_list_views(struct store_txn *t, struct topo *topo, enum topo_kind kind,
                        const struct node_ops_view_env *env, json_t *list)
{
    struct list_walk w = {topo, kind, env, list};

    return kind == TOPO_DATA ? store_foreach_datanode(t, list_cb, &w)
                             : store_foreach_metanode(t, list_cb, &w);
}

int node_ops_append_views(struct store_txn *t, const struct topo_node *nodes, size_t n,
                          const struct node_ops_view_env *env, json_t *list)
{
    int rv = 0;

    for (size_t i = 0; rv == 0 && i < n; i++) {
        const struct topo_node *node = &nodes[i];
        struct store_node rec = {.id = node->id, .nodeset_id = node->nodeset_id};
        if ((node->kind == TOPO_DATA ? store_get_datanode_by_addr(t, node->addr, &rec)
                                     : store_get_metanode_by_addr(t, node->addr, &rec)) != 0) {
            snprintf(rec.addr, sizeof(rec.addr), "%s", node->addr);
        }
        rv = append_view(list, &rec, node, env);
    }
    return rv;
}

/* DataPartitionReport. */
struct dp_report_view {
    char vol_name[STORE_NAME_SIZE];
    uint64_t partition_id;
    int32_t status;
    uint64_t total;
    uint64_t used;
    char disk_path[STORE_PATH_SIZE];
    bool is_leader;
    uint64_t extent_count;
};

static const struct jc_field dp_report_view_fields[] = {
    JC_F(struct dp_report_view, vol_name, "VolName", JC_STR, 0),
    JC_F(struct dp_report_view, partition_id, "PartitionID", JC_U64, 0),
    JC_F(struct dp_report_view, status, "PartitionStatus", JC_I32, 0),
    JC_F(struct dp_report_view, total, "Total", JC_U64, 0),
    JC_F(struct dp_report_view, used, "Used", JC_U64, 0),
    JC_F(struct dp_report_view, disk_path, "DiskPath", JC_STR, 0),
    JC_F(struct dp_report_view, is_leader, "IsLeader", JC_BOOL, 0),
    JC_F(struct dp_report_view, extent_count, "ExtentCount", JC_U64, 0),
    JC_CONST("NeedCompare", JC_EMIT_FALSE),
    JC_CONST("DecommissionRepairProgress", JC_EMIT_ZERO),
    JC_CONST("LocalPeers", JC_EMIT_NULL),
    JC_CONST("TriggerDiskError", JC_EMIT_FALSE),
    JC_CONST("ForbidWriteOpOfProtoVer0", JC_EMIT_FALSE),
    JC_CONST("ReadOnlyReasons", JC_EMIT_ZERO),
    JC_CONST("IsMissingTinyExtent", JC_EMIT_FALSE),
    JC_CONST("IsRepairing", JC_EMIT_FALSE),
    JC_END,
};

/* PersistenceDataPartitionsWithDiskPath entries are the hosted partitions themselves. */
static const struct jc_field hosted_disk_fields[] = {
    JC_F(struct node_ops_hosted, id, "PartitionId", JC_U64, 0),
    JC_F(struct node_ops_hosted, disk_path, "Disk", JC_STR, 0),
    JC_END,
};

/* DataNodeInfo. */
struct dn_info {
    uint64_t total;
    uint64_t used;
    uint64_t available;
    uint64_t id;
    char zone[STORE_NAME_SIZE];
    char addr[STORE_ADDR_SIZE];
    char heartbeat_port[12];
    char replica_port[12];
    char report_time[TIME_SIZE];
    bool active;
    bool to_be_offline;
    bool writable;
    double usage_ratio;
    uint64_t selected_times;
    struct dp_report_view *reports;
    uint32_t nreports;
    uint32_t dp_count;
    uint64_t nodeset_id;
    uint64_t *ids;
    uint32_t nids;
    const struct node_ops_hosted *hosted;
    uint32_t nhosted;
    char (*all_disks)[STORE_PATH_SIZE];
    uint32_t nall_disks;
    char (*bad_disks)[STORE_PATH_SIZE];
    uint32_t nbad_disks;
    bool rdonly;
    bool can_alloc;
    uint64_t max_dp_count;
    uint32_t media_type;
};

static const struct jc_field dn_info_fields[] = {
    JC_F(struct dn_info, total, "TotalWeight", JC_U64, 0),
    JC_F(struct dn_info, used, "UsedWeight", JC_U64, 0),
    JC_F(struct dn_info, available, "AvailableSpace", JC_U64, 0),
    JC_F(struct dn_info, id, "ID", JC_U64, 0),
    JC_F(struct dn_info, zone, "Zone", JC_STR, 0),
    JC_F(struct dn_info, addr, "Addr", JC_STR, 0),
    JC_F(struct dn_info, heartbeat_port, "RaftHeartbeatPort", JC_STR, 0),
    JC_F(struct dn_info, replica_port, "RaftReplicaPort", JC_STR, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct dn_info, report_time, "ReportTime", JC_STR, 0),
    JC_F(struct dn_info, active, "IsActive", JC_BOOL, 0),
    JC_F(struct dn_info, to_be_offline, "ToBeOffline", JC_BOOL, 0),
    JC_F(struct dn_info, writable, "IsWriteAble", JC_BOOL, 0),
    JC_F(struct dn_info, usage_ratio, "UsageRatio", JC_DOUBLE, 0),
    JC_F(struct dn_info, selected_times, "SelectedTimes", JC_U64, 0),
    JC_HARR(struct dn_info, reports, nreports, "DataPartitionReports", JC_OBJECT,
            dp_report_view_fields, 0),
    JC_F(struct dn_info, dp_count, "DataPartitionCount", JC_U32, 0),
    JC_F(struct dn_info, nodeset_id, "NodeSetID", JC_U64, 0),
    JC_HARR(struct dn_info, ids, nids, "PersistenceDataPartitions", JC_U64, NULL, 0),
    JC_HARR(struct dn_info, hosted, nhosted, "PersistenceDataPartitionsWithDiskPath", JC_OBJECT,
            hosted_disk_fields, 0),
    JC_HARR(struct dn_info, all_disks, nall_disks, "AllDisks", JC_STR, NULL, 0),
    JC_HARR(struct dn_info, bad_disks, nbad_disks, "BadDisks", JC_STR, NULL, 0),
    JC_CONST("LostDisks", JC_EMIT_NULL),
    JC_F(struct dn_info, rdonly, "RdOnly", JC_BOOL, 0),
    JC_F(struct dn_info, can_alloc, "CanAllocPartition", JC_BOOL, 0),
    JC_F(struct dn_info, max_dp_count, "maxDpCntLimit", JC_U64, 0),
    JC_CONST("cpuUtil", JC_EMIT_ZERO),
    JC_CONST("ioUtil", JC_EMIT_NULL),
    JC_CONST("DecommissionedDisk", JC_EMIT_NULL),
    JC_CONST("DecommissionSuccessDisk", JC_EMIT_NULL),
    JC_CONST("BackupDataPartitions", JC_EMIT_NULL),
    JC_F(struct dn_info, media_type, "MediaType", JC_U32, 0),
    JC_CONST("DiskOpLogs", JC_EMIT_NULL),
    JC_CONST("DpOpLogs", JC_EMIT_NULL),
    JC_END,
};

/* The heap arrays of a DataNodeInfo; NULL in info when out of memory. */
static int dn_info_arrays(const struct node_ops_source *src, struct dn_info *info)
{
    info->reports = src->nreports > 0 ? calloc(src->nreports, sizeof(*info->reports)) : NULL;
    info->ids = hosted_ids(src);
    info->all_disks = src->ndisks > 0 ? calloc(src->ndisks, sizeof(*info->all_disks)) : NULL;
    info->bad_disks = src->ndisks > 0 ? calloc(src->ndisks, sizeof(*info->bad_disks)) : NULL;
    if ((src->nreports > 0 && info->reports == NULL) || (src->nhosted > 0 && info->ids == NULL) ||
        (src->ndisks > 0 && (info->all_disks == NULL || info->bad_disks == NULL))) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < src->nreports; i++) {
        const struct status_dp_report *r = &src->reports[i];
        struct dp_report_view *v = &info->reports[i];
        memcpy(v->vol_name, src->report_vols[i], sizeof(v->vol_name));
        v->partition_id = r->base.partition_id;
        v->status = r->base.status;
        v->total = r->total;
        v->used = r->used;
        memcpy(v->disk_path, r->disk_path, sizeof(v->disk_path));
        v->is_leader = r->base.is_leader;
        v->extent_count = r->extent_count;
    }
    info->nreports = (uint32_t)src->nreports;
    info->nids = (uint32_t)src->nhosted;
    for (size_t i = 0; i < src->ndisks; i++) {
        memcpy(info->all_disks[info->nall_disks++], src->disks[i].path, STORE_PATH_SIZE);
        if (src->disks[i].bad) {
            memcpy(info->bad_disks[info->nbad_disks++], src->disks[i].path, STORE_PATH_SIZE);
        }
    }
    return 0;
}

json_t *node_ops_data_node_info(const struct node_ops_source *src,
                                const struct node_ops_view_env *env)
{
    const struct store_node *rec = src->rec;
    const struct topo_node *node = src->node;
    struct dn_info info = {0};
    json_t *out = NULL;

    if (node != NULL) {
        info.total = node->total;
        info.used = node->used;
        info.available = node->available;
        info.active = node->active;
        info.usage_ratio = ratio(node->used, node->total);
        info.selected_times = node->selected_times;
        info.dp_count = node->partition_count;
    }
    info.id = rec->id;
    memcpy(info.zone, rec->zone_name, sizeof(info.zone));
    memcpy(info.addr, rec->addr, sizeof(info.addr));
    port_text(rec->heartbeat_port, info.heartbeat_port, sizeof(info.heartbeat_port));
    port_text(rec->replica_port, info.replica_port, sizeof(info.replica_port));
    report_time(node, env, info.report_time, sizeof(info.report_time));
    info.to_be_offline = rec->to_be_offline;
    info.writable = writable(src, env);
    info.nodeset_id = rec->nodeset_id;
    info.hosted = src->hosted;
    info.nhosted = (uint32_t)src->nhosted;
    info.rdonly = rec->rdonly;
    info.can_alloc = can_alloc(src, env, env->max_dp_count);
    info.max_dp_count = env->max_dp_count;
    info.media_type = rec->media_type;
    if (dn_info_arrays(src, &info) == 0) {
        out = jc_encode(dn_info_fields, &info);
    }
    free(info.reports);
    free(info.ids);
    free(info.all_disks);
    free(info.bad_disks);
    return out;
}

/* MetaNodeInfo. */
struct mn_info {
    uint64_t id;
    char addr[STORE_ADDR_SIZE];
    char heartbeat_port[12];
    char replica_port[12];
    bool active;
    bool writable;
    char zone[STORE_NAME_SIZE];
    uint64_t max_mem_avail;
    uint64_t total;
    uint64_t used;
    double ratio;
    uint64_t select_count;
    float threshold;
    char report_time[TIME_SIZE];
    uint32_t mp_count;
    uint64_t nodeset_id;
    uint64_t *ids;
    uint32_t nids;
    bool rdonly;
    bool can_alloc;
    uint64_t max_mp_count;
};

static const struct jc_field mn_info_fields[] = {
    JC_F(struct mn_info, id, "ID", JC_U64, 0),
    JC_F(struct mn_info, addr, "Addr", JC_STR, 0),
    JC_F(struct mn_info, heartbeat_port, "RaftHeartbeatPort", JC_STR, 0),
    JC_F(struct mn_info, replica_port, "RaftReplicaPort", JC_STR, 0),
    JC_CONST("DomainAddr", JC_EMIT_EMPTY_STR),
    JC_F(struct mn_info, active, "IsActive", JC_BOOL, 0),
    JC_F(struct mn_info, writable, "IsWriteAble", JC_BOOL, 0),
    JC_F(struct mn_info, zone, "Zone", JC_STR, 0),
    JC_F(struct mn_info, max_mem_avail, "MaxMemAvailWeight", JC_U64, 0),
    JC_F(struct mn_info, total, "TotalWeight", JC_U64, 0),
    JC_F(struct mn_info, used, "UsedWeight", JC_U64, 0),
    JC_F(struct mn_info, ratio, "Ratio", JC_DOUBLE, 0),
    JC_F(struct mn_info, select_count, "SelectCount", JC_U64, 0),
    JC_F(struct mn_info, threshold, "Threshold", JC_DOUBLE, 0),
    JC_F(struct mn_info, report_time, "ReportTime", JC_STR, 0),
    JC_F(struct mn_info, mp_count, "MetaPartitionCount", JC_U32, 0),
    JC_F(struct mn_info, nodeset_id, "NodeSetID", JC_U64, 0),
    JC_HARR(struct mn_info, ids, nids, "PersistenceMetaPartitions", JC_U64, NULL, 0),
    JC_F(struct mn_info, rdonly, "RdOnly", JC_BOOL, 0),
    JC_F(struct mn_info, can_alloc, "CanAllowPartition", JC_BOOL, 0),
    JC_F(struct mn_info, max_mp_count, "maxMpCntLimit", JC_U64, 0),
    JC_CONST("cpuUtil", JC_EMIT_ZERO),
    JC_END,
};

json_t *node_ops_meta_node_info(const struct node_ops_source *src,
                                const struct node_ops_view_env *env)
{
    const struct store_node *rec = src->rec;
    const struct topo_node *node = src->node;
    struct mn_info info = {0};
    json_t *out = NULL;

    if (node != NULL) {
        info.active = node->active;
        info.total = node->total;
        info.used = node->used;
        info.max_mem_avail = node->total > node->used ? node->total - node->used : 0;
        info.ratio = ratio(node->used, node->total);
        info.select_count = node->selected_times;
        info.mp_count = node->partition_count;
    }
    info.id = rec->id;
    memcpy(info.addr, rec->addr, sizeof(info.addr));
    port_text(rec->heartbeat_port, info.heartbeat_port, sizeof(info.heartbeat_port));
    port_text(rec->replica_port, info.replica_port, sizeof(info.replica_port));
    info.writable = writable(src, env);
    memcpy(info.zone, rec->zone_name, sizeof(info.zone));
    info.threshold = env->meta_threshold;
    report_time(node, env, info.report_time, sizeof(info.report_time));
    info.nodeset_id = rec->nodeset_id;
    info.ids = hosted_ids(src);
    info.nids = (uint32_t)src->nhosted;
    info.rdonly = rec->rdonly;
    info.can_alloc = can_alloc(src, env, env->max_mp_count);
    info.max_mp_count = env->max_mp_count;
    if (src->nhosted == 0 || info.ids != NULL) {
        out = jc_encode(mn_info_fields, &info);
    }
    free(info.ids);
    return out;
}

/* DiskInfo of /disk/queryDisks. */
struct disk_view {
    uint64_t node_id;
    char addr[STORE_ADDR_SIZE];
    char path[STORE_PATH_SIZE];
    char status[16];
    uint64_t total;
    uint64_t used;
    uint64_t available;
    uint32_t partitions;
};

static const struct jc_field disk_view_fields[] = {
    JC_F(struct disk_view, node_id, "NodeId", JC_U64, 0),
    JC_F(struct disk_view, addr, "Address", JC_STR, 0),
    JC_F(struct disk_view, path, "Path", JC_STR, 0),
    JC_F(struct disk_view, status, "Status", JC_STR, 0),
    JC_F(struct disk_view, total, "Total", JC_U64, 0),
    JC_F(struct disk_view, used, "Used", JC_U64, 0),
    JC_F(struct disk_view, available, "Available", JC_U64, 0),
    JC_CONST("IOUtil", JC_EMIT_ZERO),
    JC_F(struct disk_view, partitions, "TotalPartitionCnt", JC_U32, 0),
    JC_CONST("DiskErrPartitionList", JC_EMIT_NULL),
    JC_END,
};

struct disks_view {
    struct disk_view *disks;
    uint32_t n;
};

/* Go leaves the list nil, hence null, when the node has no disks to show. */
static const struct jc_field disks_view_fields[] = {
    JC_HARR(struct disks_view, disks, n, "Disks", JC_OBJECT, disk_view_fields, JC_NULL_EMPTY),
    JC_END,
};

/* CubeFS's DiskStatusMap. */
static const char *disk_status_name(int32_t status)
{
    switch (status) {
    case 0:
        return "Recovering";
    case DP_STATUS_READ_ONLY:
        return "ReadOnly";
    case DP_STATUS_READ_WRITE:
        return "ReadWrite";
    case DP_STATUS_UNAVAILABLE:
        return "Unavailable";
    default:
        return "";
    }
}

json_t *node_ops_disks_view(const struct node_ops_source *src)
{
    struct disks_view v = {0};
    json_t *out;

    v.disks = src->ndisks > 0 ? calloc(src->ndisks, sizeof(*v.disks)) : NULL;
    if (src->ndisks > 0 && v.disks == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < src->ndisks; i++) {
        const struct topo_disk *d = &src->disks[i];
        struct disk_view *dv = &v.disks[v.n++];
        dv->node_id = src->rec->id;
        memcpy(dv->addr, src->rec->addr, sizeof(dv->addr));
        memcpy(dv->path, d->path, sizeof(dv->path));
        snprintf(dv->status, sizeof(dv->status), "%s",
                 disk_status_name(d->bad ? DP_STATUS_UNAVAILABLE : d->status));
        dv->total = d->total;
        dv->used = d->used;
        dv->available = d->available;
        for (size_t k = 0; k < src->nreports; k++) {
            dv->partitions += strcmp(src->reports[k].disk_path, d->path) == 0;
        }
    }
    out = jc_encode(disks_view_fields, &v);
    free(v.disks);
    return out;
}
