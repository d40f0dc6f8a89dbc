#define LOG_TAG "api"

/* Node routes: registration (/dataNode/add, /metaNode/add), node views (/dataNode/get and
 * /metaNode/get with the node's decommission, /admin/cluster/getAll{Data,Meta}Nodes,
 * /disk/queryDisks) and the task responses nodes post back (/dataNode/response,
 * /metaNode/response). Registration runs on a worker (node_ops_register); the views are read on
 * the loop from one store read transaction and topo; the responses go to the task manager, whose
 * heartbeat handlers (node_ops.c) run right here on the loop. The heartbeat timer starts and stops
 * with leadership (node_ops_leader_start/stop). */

#include "admin_task/task_manager.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/cluster/decommission.h"
#include "master/cluster/node_ops.h"
#include "master/core/master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- registration --------------------------------------------------------------------------- */

struct add_op {
    struct api_op op;
    enum topo_kind kind;
    struct node_ops_reg req;
};

static void add_run(struct api_op *op)
{
    struct add_op *o = (struct add_op *)op;
    char errmsg[ERRMSG_SIZE] = "";
    int code = API_INTERNAL_ERROR;
    uint64_t id = 0;

    if (node_ops_register(op->m, o->kind, &o->req, &id, &code, errmsg) != 0) {
        api_op_fail(op, code, "adding %s node %s: %s", topo_kind_name(o->kind), o->req.addr,
                    errmsg);
        return;
    }
    api_op_ok(op, json_integer((json_int_t)id));
}

static int reply_mismatch(struct http_req *r, const char *name)
{
    http_req_reply_error(r, API_PARAM_ERROR, "parameter %s not match", name);
    return -1;
}

/* An optional unsigned parameter of at most max; absent or empty leaves *out. */
static int param_u32(struct http_req *r, const char *name, uint32_t max, uint32_t *out)
{
    uint64_t v = *out;

    if (params_u64(r, name, false, &v) != 0) {
        return -1;
    }
    if (v > max) {
        return reply_mismatch(r, name);
    }
    *out = (uint32_t)v;
    return 0;
}

/* The address parameter, also bounded to what a record holds. */
static int param_addr(struct http_req *r, const char **out)
{
    if (params_addr(r, "addr", out) != 0) {
        return -1;
    }
    return strlen(*out) < STORE_ADDR_SIZE ? 0 : reply_mismatch(r, "addr");
}

/* addr (required), zoneName, id (a nodeset), and v3.5's heartbeatPort, replicaPort, mediaType
 * and clientIDKey (not checked: we keep no client IDs). A meta node has no media type. */
static void add_node(struct http_req *r, struct master *m, enum topo_kind kind)
{
    struct node_ops_reg req = {0};
    const char *addr, *zone = "";
    struct add_op *o;

    if (param_addr(r, &addr) != 0 || params_str(r, "zoneName", false, &zone) != 0 ||
        params_u64(r, "id", false, &req.nodeset_id) != 0 ||
        param_u32(r, "heartbeatPort", 65535, &req.heartbeat_port) != 0 ||
        param_u32(r, "replicaPort", 65535, &req.replica_port) != 0 ||
        param_u32(r, "mediaType", UINT32_MAX, &req.media_type) != 0) {
        return;
    }
    if (strlen(zone) >= sizeof(req.zone)) {
        reply_mismatch(r, "zoneName");
        return;
    }
    snprintf(req.addr, sizeof(req.addr), "%s", addr);
    snprintf(req.zone, sizeof(req.zone), "%s", zone);
    if (kind == TOPO_META) {
        req.media_type = 0;
    }
    o = api_op_new(m, r, sizeof(*o), add_run);
    if (o == NULL) {
        return;
    }
    o->kind = kind;
    o->req = req;
    api_op_submit(&o->op);
}

static void data_node_add(struct http_req *r, void *arg)
{
    add_node(r, arg, TOPO_DATA);
}

static void meta_node_add(struct http_req *r, void *arg)
{
    add_node(r, arg, TOPO_META);
}

/* --- views ---------------------------------------------------------------------------------------
 */

/* Everything the views of one node are built from. */
struct node_data {
    struct store_node rec;
    struct topo_node view;
    bool known; /* topo knows the node */
    struct node_ops_hosted *hosted;
    size_t nhosted;
    size_t cap;
    struct status_dp_report *reports;
    char (*vols)[STORE_NAME_SIZE];
    size_t nreports;
    struct topo_disk *disks;
    size_t ndisks;
};

static void node_data_free(struct node_data *d)
{
    free(d->hosted);
    free(d->reports);
    free(d->vols);
    free(d->disks);
}

static int push_hosted(struct node_data *d, uint64_t id, const char *disk_path)
{
    if (d->nhosted == d->cap) {
        size_t cap = d->cap > 0 ? 2 * d->cap : 16;
        struct node_ops_hosted *grown = realloc(d->hosted, cap * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        d->hosted = grown;
        d->cap = cap;
    }
    d->hosted[d->nhosted].id = id;
    snprintf(d->hosted[d->nhosted].disk_path, STORE_PATH_SIZE, "%s", disk_path);
    d->nhosted++;
    return 0;
}

static bool lists(const char (*hosts)[STORE_ADDR_SIZE], uint32_t n, const char *addr)
{
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(hosts[i], addr) == 0) {
            return true;
        }
    }
    return false;
}

static int hosted_dp_cb(const struct store_dp *dp, void *arg)
{
    struct node_data *d = arg;
    const char *disk = "";

    if (!lists(dp->hosts, dp->nhosts, d->rec.addr)) {
        return 0;
    }
    for (uint32_t i = 0; i < dp->nreplicas; i++) {
        if (strcmp(dp->replicas[i].addr, d->rec.addr) == 0) {
            disk = dp->replicas[i].disk_path;
        }
    }
    return push_hosted(d, dp->id, disk);
}

static int hosted_mp_cb(const struct store_mp *mp, void *arg)
{
    struct node_data *d = arg;

    return lists(mp->hosts, mp->nhosts, d->rec.addr) ? push_hosted(d, mp->id, "") : 0;
}

/* A data node's last partition reports and the volume each belongs to. */
static int load_reports(struct store_txn *t, struct master *m, struct node_data *d)
{
    struct store_dp dp;
    int rv = topo_copy_dp_reports(m->topo, d->rec.addr, &d->reports, &d->nreports);

    if (rv != 0 || d->nreports == 0) {
        return rv;
    }
    d->vols = calloc(d->nreports, sizeof(*d->vols));
    if (d->vols == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < d->nreports; i++) {
        if (store_get_dp(t, d->reports[i].base.partition_id, &dp) == 0) {
            memcpy(d->vols[i], dp.vol_name, sizeof(d->vols[i]));
        }
    }
    return 0;
}

/* The node at addr, read in t: 0, CFS_ENOTFOUND for an address never registered, or an error. */
static int load_node(struct store_txn *t, struct master *m, enum topo_kind kind, const char *addr,
                     struct node_data *d)
{
    int rv;

    memset(d, 0, sizeof(*d));
    rv = kind == TOPO_DATA ? store_get_datanode_by_addr(t, addr, &d->rec)
                           : store_get_metanode_by_addr(t, addr, &d->rec);
    if (rv == 0) {
        rv = kind == TOPO_DATA ? store_foreach_dp(t, 0, hosted_dp_cb, d)
                               : store_foreach_mp(t, 0, hosted_mp_cb, d);
    }
    d->known = rv == 0 && topo_get_node(m->topo, kind, addr, &d->view) == 0;
    if (d->known && kind == TOPO_DATA) {
        rv = load_reports(t, m, d);
        if (rv == 0) {
            rv = topo_copy_disks(m->topo, addr, &d->disks, &d->ndisks);
        }
        /* The node may have left topo since topo_get_node: it then has nothing to show. */
        rv = rv == CFS_ENOTFOUND ? 0 : rv;
    }
    if (rv != 0) {
        node_data_free(d);
    }
    return rv;
}

static void source_of(const struct node_data *d, struct node_ops_source *src)
{
    memset(src, 0, sizeof(*src));
    src->rec = &d->rec;
    src->node = d->known ? &d->view : NULL;
    src->hosted = d->hosted;
    src->nhosted = d->nhosted;
    src->reports = d->reports;
    src->report_vols = d->vols;
    src->nreports = d->nreports;
    src->disks = d->disks;
    src->ndisks = d->ndisks;
}

enum node_view_kind {
    VIEW_INFO, /* DataNodeInfo / MetaNodeInfo with the node's decommission */
    VIEW_DISKS /* /disk/queryDisks */
};

/* The view of the node src, completed from t; 0 with *out, or a negative error. */
static int build_view(struct store_txn *t, enum topo_kind kind, enum node_view_kind what,
                      const struct node_ops_source *src, const struct node_ops_view_env *env,
                      json_t **out)
{
    json_t *v;
    int rv = 0;

    if (what == VIEW_DISKS) {
        v = node_ops_disks_view(src);
    } else {
        v = kind == TOPO_DATA ? node_ops_data_node_info(src, env)
                              : node_ops_meta_node_info(src, env);
        rv = v != NULL ? decommission_node_info(t, kind, src->rec, v) : 0;
    }
    if (rv == 0 && v == NULL) {
        rv = -ENOMEM;
    }
    if (rv != 0) {
        json_decref(v);
        return rv;
    }
    *out = v;
    return 0;
}

/* Answer r with the view of the node at addr, or with the kind's "not exists" code. */
static void reply_node(struct http_req *r, struct master *m, enum topo_kind kind,
                       enum node_view_kind what)
{
    int missing = kind == TOPO_DATA ? API_DATA_NODE_NOT_EXISTS : API_META_NODE_NOT_EXISTS;
    struct node_ops_view_env env;
    struct node_ops_source src;
    struct node_data d;
    struct store_txn *t;
    const char *addr;
    json_t *out = NULL;
    int rv;

    if (param_addr(r, &addr) != 0) {
        return;
    }
    node_ops_view_env(m, &env);
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = load_node(t, m, kind, addr, &d);
        if (rv == 0) {
            source_of(&d, &src);
            rv = build_view(t, kind, what, &src, &env, &out);
            node_data_free(&d);
        }
        store_txn_end(t);
    }
    if (rv == CFS_ENOTFOUND) {
        http_req_reply_error(r, missing, "%s", errors_api_message(missing));
        return;
    }
    if (rv != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "reading %s node %s: %s", topo_kind_name(kind),
                             addr, errors_strerror(rv));
        return;
    }
    http_req_reply_ok(r, out);
}

static void data_node_get(struct http_req *r, void *arg)
{
    reply_node(r, arg, TOPO_DATA, VIEW_INFO);
}

static void meta_node_get(struct http_req *r, void *arg)
{
    reply_node(r, arg, TOPO_META, VIEW_INFO);
}

static void query_disks(struct http_req *r, void *arg)
{
    reply_node(r, arg, TOPO_DATA, VIEW_DISKS);
}

/* Every registered node of a kind, by ID. */
static void list_nodes(struct http_req *r, struct master *m, enum topo_kind kind)
{
    struct node_ops_view_env env;
    struct store_txn *t;
    json_t *list = json_array();
    int rv = list != NULL ? 0 : -ENOMEM;

    node_ops_view_env(m, &env);
    if (rv == 0) {
        rv = store_read_begin(m->store, &t);
    }
    if (rv == 0) {
        rv = node_ops_list_views(t, m->topo, kind, &env, list);
        store_txn_end(t);
    }
    if (rv != 0) {
        json_decref(list);
        http_req_reply_error(r, API_INTERNAL_ERROR, "listing %s nodes: %s", topo_kind_name(kind),
                             errors_strerror(rv));
        return;
    }
    http_req_reply_ok(r, list);
}

static void all_data_nodes(struct http_req *r, void *arg)
{
    list_nodes(r, arg, TOPO_DATA);
}

static void all_meta_nodes(struct http_req *r, void *arg)
{
    list_nodes(r, arg, TOPO_META);
}

/* --- task responses ------------------------------------------------------------------------ */

/* The body is an AdminTask with its Response; the task manager matches it to the queued task and
 * runs the opcode's handler before we answer (as v3.5 does). */
static void task_response(struct http_req *r, void *arg)
{
    struct master *m = arg;
    char errmsg[ERRMSG_SIZE] = "";
    size_t len;
    const char *body = http_req_body(r, &len);

    if (task_manager_handle_response(m->tasks, body, len, errmsg) != 0) {
        log_warn("%s from %s: %s", http_req_path(r), http_req_remote_ip(r), errmsg);
        http_req_reply_error(r, API_PARAM_ERROR, "%s", errmsg);
        return;
    }
    http_req_reply_ok(r, json_string("200"));
}

static const struct http_route routes[] = {
    {"/dataNode/add", HTTP_GET | HTTP_POST, 0, data_node_add},
    {"/metaNode/add", HTTP_GET | HTTP_POST, 0, meta_node_add},
    {"/dataNode/get", HTTP_GET, 0, data_node_get},
    {"/metaNode/get", HTTP_GET, 0, meta_node_get},
    {"/admin/cluster/getAllDataNodes", HTTP_GET, 0, all_data_nodes},
    {"/admin/cluster/getAllMetaNodes", HTTP_GET, 0, all_meta_nodes},
    {"/dataNode/response", HTTP_GET | HTTP_POST, 0, task_response},
    {"/metaNode/response", HTTP_GET | HTTP_POST, 0, task_response},
    {"/disk/queryDisks", HTTP_GET | HTTP_POST, 0, query_disks},
};

const struct api_group api_node_group = {
    routes,
    sizeof(routes) / sizeof(routes[0]),
    node_ops_leader_start,
    node_ops_leader_stop,
};
