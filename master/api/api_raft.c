#define LOG_TAG "api"

/* The masters themselves: Raft membership (/raftNode/add, /raftNode/remove), the members' status
 * (/raftNode/status) and the views followers copy from the leader (/internal/clientViews).
 *
 * Happy path of add: the new master's addresses are recorded through Raft (so every master can
 * redirect to it once it leads), it joins as a spare, and promoting it to voter makes libraft
 * catch it up (a snapshot if it is far behind) before it counts in quorums. Remove: the master
 * leaves the configuration, then its record goes. Removing the leader itself first hands
 * leadership to another voter and then lets the new leader do the removal.
 * Failure modes: one change at a time (a second request is refused with a message while one
 * runs); a member that cannot be caught up fails the promotion and stays a spare, which the answer
 * says; a record is never left for a master that did not join. */

#include "common/clock.h"
#include "common/crc32.h"
#include "common/http_client.h"
#include "common/log.h"
#include "master/api/api_internal.h"
#include "master/api/params.h"
#include "master/cluster/pstate.h"
#include "master/core/locks.h"
#include "master/core/master.h"
#include "master/core/views.h"
#include "master/core/workers.h"
#include "master/raft/raft_node.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBERSHIP_LOCK "raft:membership"

struct raft_op {
    struct api_op op;
    bool add;
    uint64_t id;
    char addr[MASTER_ADDR_SIZE];
    char raft_addr[MASTER_ADDR_SIZE];
};

/* A membership call made on the loop for a worker. */
struct change_call {
    struct master *m;
    int kind; /* 0 add, 1 assign voter, 2 remove, 3 transfer */
    uint64_t id;
    const char *raft_addr;
    struct loop_call *call;
    char errmsg[ERRMSG_SIZE];
};

static void change_done_cb(void *arg, int rv)
{
    struct change_call *c = arg;

    if (rv != 0 && c->errmsg[0] == '\0') {
        errors_set(c->errmsg, "%s", errors_strerror(rv));
    }
    loop_call_done(c->call, rv);
}

static void change_on_loop(struct loop_call *call, void *arg)
{
    struct change_call *c = arg;
    struct raft_node *raft = c->m->raft;
    int rv;

    c->call = call;
    switch (c->kind) {
    case 0:
        rv = raft_node_add(raft, c->id, c->raft_addr, change_done_cb, c, c->errmsg);
        break;
    case 1:
        rv = raft_node_assign(raft, c->id, RAFT_NODE_VOTER, change_done_cb, c, c->errmsg);
        break;
    case 2:
        rv = raft_node_remove(raft, c->id, change_done_cb, c, c->errmsg);
        break;
    default:
        rv = raft_node_transfer(raft, c->id, change_done_cb, c, c->errmsg);
        break;
    }
    if (rv != 0) {
        loop_call_done(call, rv);
    }
}

static int change(struct master *m, int kind, uint64_t id, const char *raft_addr, char *errmsg)
{
    struct change_call c = {.m = m, .kind = kind, .id = id, .raft_addr = raft_addr};
    int rv = workers_call(m->workers, change_on_loop, &c);

    if (rv != 0) {
        errors_set(errmsg, "%s", c.errmsg);
    }
    return rv;
}

struct members_call {
    struct master *m;
    struct raft_node_member members[RAFT_NODE_MAX_MEMBERS];
    size_t n;
};

static void members_on_loop(struct loop_call *call, void *arg)
{
    struct members_call *c = arg;

    c->n = raft_node_members(c->m->raft, c->members, RAFT_NODE_MAX_MEMBERS);
    loop_call_done(call, 0);
}

/* The member with this id in the current configuration, or NULL. */
static const struct raft_node_member *find_member(struct members_call *c, uint64_t id)
{
    for (size_t i = 0; i < c->n && i < RAFT_NODE_MAX_MEMBERS; i++) {
        if (c->members[i].id == id) {
            return &c->members[i];
        }
    }
    return NULL;
}

static int record_master(struct master *m, bool put, uint64_t id, const char *http_addr,
                         const char *raft_addr, char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    struct store_master rec = {.id = id, .create_time = clock_wall_s()};
    int rv;

    snprintf(rec.http_addr, sizeof(rec.http_addr), "%s", http_addr);
    snprintf(rec.raft_addr, sizeof(rec.raft_addr), "%s", raft_addr);
    cmd.batch = store_batch_new();
    if (cmd.batch == NULL) {
        return -ENOMEM;
    }
    rv = put ? store_batch_put_master(cmd.batch, &rec) : store_batch_del_master(cmd.batch, id);
    if (rv == 0) {
        rv = master_propose(m, &cmd, &res, errmsg);
    }
    if (rv == 0 && res.code != API_SUCCESS) {
        errors_set(errmsg, "%s", res.msg);
        rv = -EINVAL;
    }
    fsm_cmd_clear(&cmd);
    return rv;
}

static void add_member(struct raft_op *o, struct members_call *members)
{
    struct master *m = o->op.m;
    char errmsg[ERRMSG_SIZE] = "";
    const struct raft_node_member *cur = find_member(members, o->id);

    /* A spare left by a promotion that failed is promoted again: what the failure said to do. */
    if (cur != NULL && (cur->role == RAFT_NODE_VOTER || strcmp(cur->addr, o->raft_addr) != 0)) {
        api_op_fail(&o->op, API_PARAM_ERROR, "raft node id %" PRIu64 " is already a member", o->id);
        return;
    }
    for (size_t i = 0; cur == NULL && i < members->n && i < RAFT_NODE_MAX_MEMBERS; i++) {
        if (strcmp(members->members[i].addr, o->raft_addr) == 0) {
            api_op_fail(&o->op, API_PARAM_ERROR,
                        "raftAddr %s is already the address of raft node %" PRIu64, o->raft_addr,
                        members->members[i].id);
            return;
        }
    }
    if (cur == NULL) {
        if (record_master(m, true, o->id, o->addr, o->raft_addr, errmsg) != 0) {
            api_op_fail(&o->op, API_INTERNAL_ERROR, "recording master %" PRIu64 ": %s", o->id,
                        errmsg);
            return;
        }
        if (change(m, 0, o->id, o->raft_addr, errmsg) != 0) {
            char undo[ERRMSG_SIZE];
            record_master(m, false, o->id, o->addr, o->raft_addr, undo);
            api_op_fail(&o->op, API_INTERNAL_ERROR, "adding raft node %" PRIu64 ": %s", o->id,
                        errmsg);
            return;
        }
    }
    /* Promotion waits for the catch-up rounds: only then does the new voter count. */
    if (change(m, 1, o->id, NULL, errmsg) != 0) {
        api_op_fail(&o->op, API_INTERNAL_ERROR,
                    "raft node %" PRIu64 " joined as a spare but could not be promoted to "
                    "voter (%s); retry /raftNode/add or remove it",
                    o->id, errmsg);
        return;
    }
    log_info("raft node %" PRIu64 " (%s, raft %s) added as voter", o->id, o->addr, o->raft_addr);
    api_op_ok(&o->op, json_sprintf("add  raft node id :%" PRIu64 ", addr:%s successfully \n", o->id,
                                   o->addr));
}

/* Ask the new leader to remove this master, until it answers: right after the transfer it may
 * still be running its leadership barrier (503). */
static void ask_new_leader(struct raft_op *o, uint64_t deadline)
{
    struct master *m = o->op.m;
    char errmsg[ERRMSG_SIZE] = "";
    char leader[MASTER_ADDR_SIZE] = "";
    char path[256];
    const char *masters[1] = {leader};
    json_t *data = NULL;
    int code = 0, rv = CFS_ENOLEADER;

    snprintf(path, sizeof(path), "/raftNode/remove?id=%" PRIu64 "&addr=%s", o->id, o->addr);
    while (rv == CFS_ENOLEADER && clock_mono_ms() < deadline) {
        struct http_client *client = NULL;
        master_leader_http_addr(m, leader, sizeof(leader));
        if (leader[0] == '\0' || m->leader_id == m->cfg.id) {
            clock_sleep_ms(50);
            continue;
        }
        rv = http_client_new(masters, 1, NULL, &client, errmsg);
        if (rv == 0) {
            rv = http_client_call(client, "GET", path, NULL, 0, &code, &data, errmsg);
        }
        http_client_free(client);
        if (rv == CFS_ENOLEADER) {
            clock_sleep_ms(100);
        }
    }
    if (rv == 0) {
        api_op_ok(&o->op, data);
    } else if (leader[0] == '\0' || m->leader_id == m->cfg.id) {
        api_op_fail(&o->op, API_NO_LEADER,
                    "leadership was handed over but no new leader is known yet; retry on the "
                    "new leader");
    } else {
        api_op_fail(&o->op, code != 0 ? code : API_INTERNAL_ERROR, "new leader %s: %s", leader,
                    errmsg);
    }
}

/* The leader cannot remove itself: it hands leadership over, then asks the new leader. */
static void remove_self(struct raft_op *o)
{
    char errmsg[ERRMSG_SIZE] = "";

    if (change(o->op.m, 3, 0, NULL, errmsg) != 0) {
        api_op_fail(&o->op, API_INTERNAL_ERROR,
                    "cannot remove the leader: leadership transfer failed: %s", errmsg);
        return;
    }
    ask_new_leader(o, clock_mono_ms() + 10000);
}

static void remove_member(struct raft_op *o, struct members_call *members)
{
    struct master *m = o->op.m;
    char errmsg[ERRMSG_SIZE] = "";

    if (find_member(members, o->id) == NULL) {
        api_op_fail(&o->op, API_PARAM_ERROR, "raft node id %" PRIu64 " is not a member", o->id);
        return;
    }
    if (o->id == m->cfg.id) {
        remove_self(o);
        return;
    }
    if (change(m, 2, o->id, NULL, errmsg) != 0) {
        api_op_fail(&o->op, API_INTERNAL_ERROR, "removing raft node %" PRIu64 ": %s", o->id,
                    errmsg);
        return;
    }
    if (record_master(m, false, o->id, o->addr, "", errmsg) != 0) {
        log_warn("raft node %" PRIu64 " removed but its record stays: %s", o->id, errmsg);
    }
    log_info("raft node %" PRIu64 " (%s) removed", o->id, o->addr);
    api_op_ok(&o->op, json_sprintf("remove  raft node id :%" PRIu64 ", addr:%s successfully \n",
                                   o->id, o->addr));
}

static void membership_run(struct api_op *op)
{
    struct raft_op *o = (struct raft_op *)op;
    struct members_call members = {.m = op->m};
    char errmsg[ERRMSG_SIZE] = "";

    if (locks_acquire(op->m->locks, MEMBERSHIP_LOCK, o->add ? "raft node add" : "raft node remove",
                      100, errmsg) != 0) {
        api_op_fail(op, API_INTERNAL_ERROR, "a membership change is already in progress");
        return;
    }
    workers_call(op->m->workers, members_on_loop, &members);
    if (o->add) {
        add_member(o, &members);
    } else {
        remove_member(o, &members);
    }
    locks_release(op->m->locks, MEMBERSHIP_LOCK);
}

/* CubeFS answers a non-numeric id with Go's strconv text; scripts may match on it. */
static int parse_id(struct http_req *r, uint64_t *id)
{
    const char *v = http_req_param(r, "id");
    bool parsed;

    if (v == NULL || v[0] == '\0') {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter id not found");
        return -1;
    }
    parsed = params_parse_uint(v, id);
    if (!parsed || *id == 0) {
        /* Digits that do not parse: too large for the store (Go's wording for that). */
        http_req_reply_error(r, API_PARAM_ERROR, "strconv.ParseUint: parsing \"%.64s\": %s", v,
                             !parsed && v[strspn(v, "0123456789")] == '\0' ? "value out of range"
                                                                           : "invalid syntax");
        return -1;
    }
    return 0;
}

static void membership(struct http_req *r, struct master *m, bool add)
{
    struct raft_op *o;
    const char *addr, *raft_addr = NULL;
    const char *colon;
    uint64_t id;
    unsigned port;

    if (parse_id(r, &id) != 0 || params_str(r, "addr", true, &addr) != 0 ||
        params_str(r, "raftAddr", false, &raft_addr) != 0) {
        return;
    }
    colon = strrchr(addr, ':');
    if (colon == NULL || strlen(addr) >= MASTER_ADDR_SIZE - 8 ||
        sscanf(colon + 1, "%u", &port) != 1 || port == 0 || port > 65535) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter addr not match");
        return;
    }
    if (raft_addr != NULL && (strchr(raft_addr, ':') == NULL || strlen(raft_addr) >= 64)) {
        http_req_reply_error(r, API_PARAM_ERROR, "parameter raftAddr not match");
        return;
    }
    o = api_op_new(m, r, sizeof(*o), membership_run);
    if (o == NULL) {
        return;
    }
    o->add = add;
    o->id = id;
    snprintf(o->addr, sizeof(o->addr), "%s", addr);
    /* A removal names the member by id only; an addition needs its Raft address. */
    if (raft_addr != NULL) {
        snprintf(o->raft_addr, sizeof(o->raft_addr), "%s", raft_addr);
    } else if (add && port + MASTER_RAFT_PORT_OFFSET <= 65535) {
        /* The same default every master derives for itself: HTTP port + offset. */
        snprintf(o->raft_addr, sizeof(o->raft_addr), "%.*s:%u", (int)(colon - addr), addr,
                 port + MASTER_RAFT_PORT_OFFSET);
    } else if (add) {
        http_req_reply_error(r, API_PARAM_ERROR,
                             "parameter raftAddr not found (addr's port leaves no room for the "
                             "default raft port)");
        free(o);
        return;
    }
    api_op_submit(&o->op);
}

static void raft_add(struct http_req *r, void *arg)
{
    membership(r, arg, true);
}

static void raft_remove(struct http_req *r, void *arg)
{
    membership(r, arg, false);
}

/* --- status and the followers' copy ------------------------------------------------------------
 */

static json_t *members_view(struct master *m)
{
    struct raft_node_member members[RAFT_NODE_MAX_MEMBERS];
    size_t n = raft_node_members(m->raft, members, RAFT_NODE_MAX_MEMBERS);
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < n && i < RAFT_NODE_MAX_MEMBERS; i++) {
        char addr[MASTER_ADDR_SIZE] = "";
        master_http_addr_of(m, members[i].id, addr, sizeof(addr));
        if (json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:b}", "ID",
                                                  (json_int_t)members[i].id, "Addr", addr,
                                                  "RaftAddr", members[i].addr, "Role",
                                                  raft_node_role_name(members[i].role), "Leader",
                                                  members[i].id == m->leader_id)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

/* GET /raftNode/status, on any master, read-only: this master's Raft state, the members with
 * their roles, and a fingerprint of its store (applied index, CRC-32 of a snapshot of it) so
 * operators and tests can check that masters hold identical state. The CRC walks the whole
 * store, so this is a diagnostic, not something to poll at a high rate. */
static void raft_status(struct http_req *r, void *arg)
{
    struct master *m = arg;
    char errmsg[ERRMSG_SIZE] = "";
    char leader[MASTER_ADDR_SIZE] = "";
    uint64_t copied = views_copied_ms(m->views);
    uint64_t now = clock_mono_ms();
    void *snap = NULL;
    size_t len = 0;
    json_t *data;

    if (store_snapshot_export(m->store, &snap, &len, errmsg) != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "store snapshot: %s", errmsg);
        return;
    }
    master_leader_http_addr(m, leader, sizeof(leader));
    data = json_pack(
        "{s:I,s:s,s:b,s:b,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "ID", (json_int_t)m->cfg.id,
        "State", raft_node_state_name(m->raft), "Ready", m->ready, "WarmingUp",
        master_warming_up(m), "LeaderID", (json_int_t)m->leader_id, "LeaderAddr", leader, "Term",
        (json_int_t)raft_node_term(m->raft), "Applied", (json_int_t)raft_node_applied(m->raft),
        "LastIndex", (json_int_t)raft_node_last_index(m->raft), "StoreApplied",
        (json_int_t)store_applied_index(m->store), "StoreCRC", (json_int_t)crc32_ieee(0, snap, len),
        "StoreBytes", (json_int_t)len, "ClientViewsAgeMs",
        (json_int_t)(copied != 0 ? (int64_t)(now - copied) : -1), "Members", members_view(m));
    free(snap);
    if (data == NULL) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        return;
    }
    http_req_reply_ok(r, data);
}

/* GET /internal/clientViews, leader only: the partition statuses and client envelopes followers
 * copy (master/core/views.h), as pstate_export() writes them, with the applied index they are
 * consistent with in a header. */
static void client_views(struct http_req *r, void *arg)
{
    struct master *m = arg;
    char applied[24];
    void *buf = NULL;
    size_t len = 0;

    /* The copy was computed from records applied no further than this: a follower that has
     * applied this much holds every record the copy lists. */
    snprintf(applied, sizeof(applied), "%" PRIu64, store_applied_index(m->store));
    if (pstate_export(m->pstate, &buf, &len) != 0) {
        http_req_reply_error(r, API_INTERNAL_ERROR, "out of memory");
        return;
    }
    http_req_reply_raw(r, 200, "OK", "application/octet-stream", buf, len, VIEWS_APPLIED_HEADER,
                       applied);
    free(buf);
}

static const struct http_route routes[] = {
    {"/raftNode/add", HTTP_GET | HTTP_POST, 0, raft_add},
    {"/raftNode/remove", HTTP_GET | HTTP_POST, 0, raft_remove},
    {"/raftNode/status", HTTP_GET, ROUTE_ANY_MASTER, raft_status},
    {"/internal/clientViews", HTTP_GET, 0, client_views},
};

/* The first leader records the configured masters that are members, so every later address
 * lookup (and a master added afterwards) finds them in the store; a peer removed since then is
 * no longer a member and is not brought back. */
static void record_peers_run(void *arg)
{
    struct master *m = arg;
    struct members_call members = {.m = m};
    char errmsg[ERRMSG_SIZE] = "";
    struct store_txn *t;
    struct store_master rec;

    workers_call(m->workers, members_on_loop, &members);
    for (uint32_t i = 0; i < m->cfg.npeers; i++) {
        int rv;
        if (find_member(&members, m->cfg.peers[i].id) == NULL) {
            continue;
        }
        rv = store_read_begin(m->store, &t);
        if (rv == 0) {
            rv = store_get_master(t, m->cfg.peers[i].id, &rec);
            store_txn_end(t);
        }
        if (rv == CFS_ENOTFOUND &&
            record_master(m, true, m->cfg.peers[i].id, m->cfg.peers[i].http_addr,
                          m->cfg.peers[i].raft_addr, errmsg) != 0) {
            log_warn("recording master %" PRIu64 ": %s", m->cfg.peers[i].id, errmsg);
        }
    }
}

static int raft_leader_start(struct master *m, char *errmsg)
{
    int rv = workers_submit(m->workers, record_peers_run, NULL, m);

    if (rv != 0) {
        errors_set(errmsg, "recording the masters: %s", errors_strerror(rv));
    }
    return rv;
}

const struct api_group api_raft_group = {
    routes,
    sizeof(routes) / sizeof(routes[0]),
    raft_leader_start,
    NULL,
};
