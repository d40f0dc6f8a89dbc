#define LOG_TAG "replica"

#include "master/cluster/replica_ops.h"

#include "master/cluster/pstate.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/log.h"
#include "datanode_proto/dn_bodies.h"
#include "master/cluster/node_ops.h"
#include "master/cluster/placement.h"
#include "master/cluster/ptasks.h"
#include "master/cluster/status.h"
#include "master/core/locks.h"
#include "master/core/master.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *replica_ops_noun(enum topo_kind kind)
{
    return kind == TOPO_DATA ? "data partition" : "meta partition";
}

void replica_ops_lock_key(enum topo_kind kind, uint64_t id, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%" PRIu64, kind == TOPO_DATA ? "dp" : "mp", id);
}

int replica_ops_load(struct store_txn *t, enum topo_kind kind, uint64_t id,
                     struct replica_part *out)
{
    struct replica_part p;
    int rv;

    memset(&p, 0, sizeof(p));
    p.kind = kind;
    rv = kind == TOPO_DATA ? store_get_dp(t, id, &p.rec.dp) : store_get_mp(t, id, &p.rec.mp);
    if (rv == 0) {
        *out = p;
    }
    return rv;
}

int replica_ops_host_index(const struct replica_part *p, const char *addr)
{
    for (uint32_t i = 0; i < REPLICA_PART_FIELD(p, nhosts) && i < STORE_MAX_HOSTS; i++) {
        if (strcmp(REPLICA_PART_FIELD(p, hosts)[i], addr) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* --- survey ---------------------------------------------------------------------------------- */

/* Text for a host status.h did not count as live; the decision itself is status.h's. A node that
 * is down is the cause an admin acts on, whether or not it ever reported this partition. */
static void not_live_text(struct master *m, enum topo_kind kind, const struct status_source *src,
                          const struct replica_ops_host *h, uint64_t now_ms, uint64_t timeout_ms,
                          char *buf, size_t size)
{
    struct topo_node node;
    bool active = src != NULL ? src->node_active
                              : topo_get_node(m->topo, kind, h->addr, &node) == 0 && node.active;

    if (!active) {
        snprintf(buf, size, "node inactive");
    } else if (!h->reported) {
        snprintf(buf, size, "no report");
    } else if (!status_is_fresh(src->report_ms, now_ms, timeout_ms)) {
        snprintf(buf, size, "last report %" PRIu64 " ms ago", now_ms - src->report_ms);
    } else {
        snprintf(buf, size, "replica unavailable");
    }
}

static bool in_list(const char (*list)[STORE_ADDR_SIZE], uint32_t n, const char *addr)
{
    for (uint32_t i = 0; i < n && i < STORE_MAX_HOSTS; i++) {
        if (strcmp(list[i], addr) == 0) {
            return true;
        }
    }
    return false;
}

/* Copy host h's report (if any) out of the replica array, which holds either kind. */
static const struct status_source *fill_host(const struct replica_part *p, const void *reps,
                                             size_t n, struct replica_ops_host *h)
{
    for (size_t i = 0; i < n; i++) {
        if (p->kind == TOPO_DATA) {
            const struct status_dp_replica *r = &((const struct status_dp_replica *)reps)[i];
            if (strcmp(r->src.addr, h->addr) != 0) {
                continue;
            }
            h->status = r->report.base.status;
            h->total = r->report.total;
            h->used = r->report.used;
            h->extent_count = r->report.extent_count;
            snprintf(h->disk_path, sizeof(h->disk_path), "%s", r->report.disk_path);
            h->report_ms = r->src.report_ms;
            h->reported = true;
            return &r->src;
        }
        const struct status_mp_replica *r = &((const struct status_mp_replica *)reps)[i];
        if (strcmp(r->src.addr, h->addr) != 0) {
            continue;
        }
        h->status = r->report.base.status;
        h->max_inode_id = r->report.max_inode_id;
        h->inode_count = r->report.inode_count;
        h->dentry_count = r->report.dentry_count;
        h->report_ms = r->src.report_ms;
        h->reported = true;
        return &r->src;
    }
    return NULL;
}

void replica_ops_survey(struct master *m, const struct replica_part *p, uint64_t now_ms,
                        struct replica_ops_health *out)
{
    struct status_dp_replica dreps[2 * STORE_MAX_HOSTS];
    struct status_mp_replica mreps[2 * STORE_MAX_HOSTS];
    const size_t cap = 2 * STORE_MAX_HOSTS;
    uint32_t nhosts = REPLICA_PART_FIELD(p, nhosts);
    struct status_summary sum;
    uint64_t timeout;
    const void *reps;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->kind = p->kind;
    out->nhosts = nhosts < STORE_MAX_HOSTS ? nhosts : STORE_MAX_HOSTS;
    if (p->kind == TOPO_DATA) {
        struct status_dp_input in = {0};
        struct status_dp_result res;
        n = pstate_dp_replicas(m, &p->rec.dp, now_ms, dreps, cap);
        timeout = m->cfg.dp_timeout_ms;
        in.part = (struct status_part){p->rec.dp.hosts, out->nhosts, p->rec.dp.replica_num, now_ms,
                                       timeout};
        in.replicas = dreps;
        in.nreplicas = n;
        status_dp(&in, &res);
        sum = res.sum;
        reps = dreps;
    } else {
        struct status_mp_input in = {0};
        struct status_mp_result res;
        n = pstate_mp_replicas(m, &p->rec.mp, now_ms, mreps, cap);
        timeout = m->cfg.mp_timeout_ms;
        in.part = (struct status_part){p->rec.mp.hosts, out->nhosts, p->rec.mp.replica_num, now_ms,
                                       timeout};
        in.replicas = mreps;
        in.nreplicas = n;
        in.end = p->rec.mp.end;
        in.last = true;
        status_mp(&in, &res);
        sum = res.sum;
        reps = mreps;
    }
    for (uint32_t i = 0; i < out->nhosts; i++) {
        struct replica_ops_host *h = &out->hosts[i];
        const struct status_source *src;
        snprintf(h->addr, sizeof(h->addr), "%s", REPLICA_PART_FIELD(p, hosts)[i]);
        src = fill_host(p, reps, n, h);
        h->live = !in_list(sum.missing, sum.nmissing, h->addr);
        h->leader = h->live && strcmp(sum.leader, h->addr) == 0;
        if (!h->live) {
            not_live_text(m, p->kind, src, h, now_ms, timeout, h->why, sizeof(h->why));
        }
    }
    out->live = sum.live;
    snprintf(out->leader, sizeof(out->leader), "%s", sum.leader);
}

/* --- rules ------------------------------------------------------------------------------------ */

int replica_ops_check_majority(const struct replica_ops_health *h, uint64_t id, const char *leaving,
                               uint32_t need, char *errmsg)
{
    char down[ERRMSG_SIZE / 2] = "";
    size_t off = 0;
    uint32_t live = 0;

    for (uint32_t i = 0; i < h->nhosts; i++) {
        const struct replica_ops_host *r = &h->hosts[i];
        if (leaving != NULL && strcmp(r->addr, leaving) == 0) {
            continue;
        }
        if (r->live) {
            live++;
        } else if (off < sizeof(down)) {
            off += (size_t)snprintf(down + off, sizeof(down) - off, "%s%s: %s", off > 0 ? ", " : "",
                                    r->addr, r->why);
        }
    }
    if (live >= need) {
        return 0;
    }
    errors_set(errmsg,
               "cannot take the %s replica offline: %s %" PRIu64 " would keep %u live "
               "replica%s without %s, needs %u%s%s%s",
               h->kind == TOPO_DATA ? "data" : "meta", replica_ops_noun(h->kind), id, live,
               live == 1 ? "" : "s", leaving != NULL ? leaving : "none", need,
               down[0] != '\0' ? " (" : "", down, down[0] != '\0' ? ")" : "");
    return API_CANNOT_BE_OFFLINE;
}

bool replica_ops_diverged(const struct replica_ops_health *h, char *why, size_t size)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    bool data = h->kind == TOPO_DATA;

    for (uint32_t i = 0; i < h->nhosts; i++) {
        uint64_t v = data ? h->hosts[i].used : h->hosts[i].max_inode_id;
        if (!h->hosts[i].live) {
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (hi < lo || hi - lo < (data ? REPLICA_OPS_USED_DIFF_MAX : REPLICA_OPS_INODE_DIFF_MAX)) {
        return false;
    }
    snprintf(why, size, "live replicas' %s range from %" PRIu64 " to %" PRIu64,
             data ? "used bytes" : "max inode ids", lo, hi);
    return true;
}

int replica_ops_check_remove(const struct replica_part *p, const struct replica_ops_health *h,
                             const char *leaving, bool force, char *errmsg)
{
    uint64_t id = REPLICA_PART_FIELD(p, id);
    uint32_t need = REPLICA_PART_FIELD(p, replica_num) / 2u + 1u;
    char why[160];
    int code = replica_ops_check_majority(h, id, leaving, need, errmsg);

    if (code != 0) {
        return code;
    }
    if (!force && REPLICA_PART_FIELD(p, is_recover) && replica_ops_diverged(h, why, sizeof(why))) {
        errors_set(errmsg,
                   "%s %" PRIu64 " is recovering (%s); removing %s could lose data, "
                   "force=true removes it anyway",
                   replica_ops_noun(p->kind), id, why, leaving);
        return API_CANNOT_BE_OFFLINE;
    }
    return 0;
}

bool replica_ops_recovered(const struct replica_part *p, const struct replica_ops_health *h)
{
    char why[160];

    return h->nhosts >= REPLICA_PART_FIELD(p, replica_num) && h->live == h->nhosts &&
           !replica_ops_diverged(h, why, sizeof(why));
}

/* --- node steps ------------------------------------------------------------------------------- */

static int send_member(struct master *m, enum topo_kind kind, uint64_t id, const char *to, bool add,
                       const struct store_peer *peer, char *errmsg)
{
    return kind == TOPO_DATA ? ptasks_dp_member(m, id, to, add, peer, errmsg)
                             : ptasks_mp_member(m, id, to, add, peer, errmsg);
}

static int send_delete(struct master *m, enum topo_kind kind, uint64_t id, const char *host,
                       char *errmsg)
{
    return kind == TOPO_DATA ? ptasks_delete_dp(m, id, host, errmsg)
                             : ptasks_delete_mp(m, id, host, errmsg);
}

/* Delete a replica now, or queue the delete for the async sender when the node does not answer
 * (a dead node being decommissioned). */
static void delete_or_queue(struct master *m, enum topo_kind kind, uint64_t id, const char *host)
{
    char errmsg[ERRMSG_SIZE];

    if (send_delete(m, kind, id, host, errmsg) != 0) {
        log_warn("deleting %s %" PRIu64 " on %s: %s; queued for retries", replica_ops_noun(kind),
                 id, host, errmsg);
        ptasks_queue_delete(m, kind == TOPO_DATA, id, host);
    }
}

/* The hosts to ask for a raft membership change, in order: the leader (even when it is the one
 * leaving: a raft leader can remove itself), then the live hosts, then the others; `leaving` is
 * asked only as the leader. */
static uint32_t member_candidates(const struct replica_ops_health *h, const char *leaving,
                                  char (*out)[STORE_ADDR_SIZE])
{
    uint32_t n = 0;

    if (h->leader[0] != '\0') {
        memcpy(out[n++], h->leader, STORE_ADDR_SIZE);
    }
    for (int pass = 1; pass >= 0; pass--) {
        for (uint32_t i = 0; i < h->nhosts; i++) {
            const struct replica_ops_host *r = &h->hosts[i];
            if ((int)r->live != pass || strcmp(r->addr, h->leader) == 0 ||
                (leaving != NULL && strcmp(r->addr, leaving) == 0)) {
                continue;
            }
            memcpy(out[n++], r->addr, STORE_ADDR_SIZE);
        }
    }
    return n;
}

/* Change the raft membership through the first candidate that accepts; *via names it. */
static int change_member(struct master *m, const struct replica_part *p,
                         const struct replica_ops_health *h, const char *leaving, bool add,
                         const struct store_peer *peer, char *via, char *errmsg)
{
    char cands[STORE_MAX_HOSTS][STORE_ADDR_SIZE];
    uint32_t n = member_candidates(h, leaving, cands);
    int rv = CFS_ENOTFOUND;

    errors_set(errmsg, "no host to ask");
    for (uint32_t i = 0; i < n; i++) {
        rv = send_member(m, p->kind, REPLICA_PART_FIELD(p, id), cands[i], add, peer, errmsg);
        if (rv == 0) {
            memcpy(via, cands[i], STORE_ADDR_SIZE);
            return 0;
        }
    }
    return rv;
}

/* --- records ---------------------------------------------------------------------------------- */

static void append_member(struct replica_part *p, const struct store_peer *peer,
                          const char *disk_path)
{
    uint32_t *nhosts = &REPLICA_PART_FIELD(p, nhosts);
    uint32_t *npeers = &REPLICA_PART_FIELD(p, npeers);

    memcpy(REPLICA_PART_FIELD(p, hosts)[(*nhosts)++], peer->addr, STORE_ADDR_SIZE);
    if (*npeers < STORE_MAX_HOSTS) {
        REPLICA_PART_FIELD(p, peers)[(*npeers)++] = *peer;
    }
    if (p->kind == TOPO_DATA && p->rec.dp.nreplicas < STORE_MAX_HOSTS) {
        struct store_dp_replica *r = &p->rec.dp.replicas[p->rec.dp.nreplicas++];
        memset(r, 0, sizeof(*r));
        snprintf(r->addr, sizeof(r->addr), "%s", peer->addr);
        snprintf(r->disk_path, sizeof(r->disk_path), "%s", disk_path);
    }
}

/* Drop addr from hosts, peers and (data) replicas, keeping the others' order. */
static void remove_member(struct replica_part *p, const char *addr)
{
    uint32_t *nhosts = &REPLICA_PART_FIELD(p, nhosts);
    uint32_t *npeers = &REPLICA_PART_FIELD(p, npeers);
    struct store_peer *peers = REPLICA_PART_FIELD(p, peers);
    char(*hosts)[STORE_ADDR_SIZE] = REPLICA_PART_FIELD(p, hosts);
    uint32_t k = 0;

    for (uint32_t i = 0; i < *nhosts; i++) {
        if (strcmp(hosts[i], addr) != 0) {
            memmove(hosts[k++], hosts[i], STORE_ADDR_SIZE);
        }
    }
    *nhosts = k;
    k = 0;
    for (uint32_t i = 0; i < *npeers; i++) {
        if (strcmp(peers[i].addr, addr) != 0) {
            peers[k++] = peers[i];
        }
    }
    *npeers = k;
    if (p->kind == TOPO_DATA) {
        k = 0;
        for (uint32_t i = 0; i < p->rec.dp.nreplicas; i++) {
            if (strcmp(p->rec.dp.replicas[i].addr, addr) != 0) {
                p->rec.dp.replicas[k++] = p->rec.dp.replicas[i];
            }
        }
        p->rec.dp.nreplicas = k;
    }
}

/* The partition's peer entry for addr; a host without one gets the node's id from topo. */
static void peer_of(struct master *m, const struct replica_part *p, const char *addr,
                    struct store_peer *out)
{
    const struct store_peer *peers = REPLICA_PART_FIELD(p, peers);
    struct topo_node node;

    memset(out, 0, sizeof(*out));
    snprintf(out->addr, sizeof(out->addr), "%s", addr);
    for (uint32_t i = 0; i < REPLICA_PART_FIELD(p, npeers) && i < STORE_MAX_HOSTS; i++) {
        if (strcmp(peers[i].addr, addr) == 0) {
            out->id = peers[i].id;
            return;
        }
    }
    if (topo_get_node(m->topo, p->kind, addr, &node) == 0) {
        out->id = node.id;
    }
}

/* The volume must still exist, so a partition of a volume deleted meanwhile is never written
 * back. */
int replica_ops_commit(struct master *m, const struct replica_part *p, const struct store_job *job,
                       char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    int rv = -ENOMEM;

    cmd.batch = store_batch_new();
    if (cmd.batch == NULL) {
        errors_set(errmsg, "out of memory");
        goto out;
    }
    rv = fsm_cmd_check(&cmd, FSM_CHECK_VOL_EXISTS, REPLICA_PART_FIELD(p, vol_id), NULL);
    if (rv == 0) {
        rv = p->kind == TOPO_DATA ? store_batch_put_dp(cmd.batch, &p->rec.dp)
                                  : store_batch_put_mp(cmd.batch, &p->rec.mp);
    }
    if (rv == 0 && job != NULL) {
        rv = store_batch_put_job(cmd.batch, job);
    }
    if (rv != 0) {
        errors_set(errmsg, "building the raft command: %s", errors_strerror(rv));
        goto out;
    }
    rv = master_propose(m, &cmd, &res, errmsg);
    if (rv == 0 && res.code != API_SUCCESS) {
        errors_set(errmsg, "%s", res.msg);
        rv = CFS_ENOTFOUND;
    }
out:
    fsm_cmd_clear(&cmd);
    return rv;
}

/* --- flows ------------------------------------------------------------------------------------ */

int replica_ops_add(struct master *m, struct replica_part *p, const struct store_peer *peer,
                    const struct store_job *job, char *errmsg)
{
    struct replica_ops_health h;
    struct replica_part next = *p;
    uint64_t id = REPLICA_PART_FIELD(p, id);
    const char *noun = replica_ops_noun(p->kind);
    char disk[STORE_PATH_SIZE] = "";
    char via[STORE_ADDR_SIZE] = "";
    char undo[ERRMSG_SIZE];
    int rv;

    if (replica_ops_host_index(p, peer->addr) >= 0) {
        errors_set(errmsg, "%s is already a host of %s %" PRIu64, peer->addr, noun, id);
        return CFS_EEXIST;
    }
    if (REPLICA_PART_FIELD(p, nhosts) >= STORE_MAX_HOSTS) {
        errors_set(errmsg, "%s %" PRIu64 " already has %u hosts", noun, id, STORE_MAX_HOSTS);
        return -ENOSPC;
    }
    replica_ops_survey(m, p, clock_mono_ms(), &h);
    rv = change_member(m, p, &h, NULL, true, peer, via, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "adding %s to the raft group of %s %" PRIu64, peer->addr, noun, id);
        return rv;
    }
    append_member(&next, peer, "");
    REPLICA_PART_FIELD(&next, is_recover) = true;
    rv = p->kind == TOPO_DATA ? ptasks_create_dp(m, &next.rec.dp, peer->addr,
                                                 PTASKS_CREATE_DECOMMISSION, disk, errmsg)
                              : ptasks_create_mp(m, &next.rec.mp, peer->addr, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "creating the replica of %s %" PRIu64 " on %s", noun, id, peer->addr);
        if (send_member(m, p->kind, id, via, false, peer, undo) != 0) {
            log_warn("undoing the raft member add of %s: %s", peer->addr, undo);
        }
        return rv;
    }
    if (p->kind == TOPO_DATA) {
        snprintf(next.rec.dp.replicas[next.rec.dp.nreplicas - 1].disk_path, STORE_PATH_SIZE, "%s",
                 disk);
    }
    rv = replica_ops_commit(m, &next, job, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "recording %s as a host of %s %" PRIu64, peer->addr, noun, id);
        /* An unknown outcome may still commit: undoing would break a committed partition. */
        if (rv != CFS_ETIMEDOUT) {
            delete_or_queue(m, p->kind, id, peer->addr);
            if (send_member(m, p->kind, id, via, false, peer, undo) != 0) {
                log_warn("undoing the raft member add of %s: %s", peer->addr, undo);
            }
        }
        return rv;
    }
    log_info("%s %" PRIu64 ": added replica %s (raft member via %s)", noun, id, peer->addr, via);
    *p = next;
    master_refresh_soon(m);
    return 0;
}

int replica_ops_remove(struct master *m, struct replica_part *p, const char *addr,
                       const struct store_job *job, char *errmsg)
{
    struct replica_ops_health h;
    struct replica_part next = *p;
    uint64_t id = REPLICA_PART_FIELD(p, id);
    const char *noun = replica_ops_noun(p->kind);
    char via[STORE_ADDR_SIZE] = "";
    char undo[ERRMSG_SIZE];
    struct store_peer peer;
    int rv;

    if (replica_ops_host_index(p, addr) < 0) {
        errors_set(errmsg, "%s is not a host of %s %" PRIu64, addr, noun, id);
        return CFS_ENOTFOUND;
    }
    peer_of(m, p, addr, &peer);
    replica_ops_survey(m, p, clock_mono_ms(), &h);
    rv = change_member(m, p, &h, addr, false, &peer, via, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "removing %s from the raft group of %s %" PRIu64, addr, noun, id);
        return rv;
    }
    remove_member(&next, addr);
    rv = replica_ops_commit(m, &next, job, errmsg);
    if (rv != 0) {
        errors_prefix(errmsg, "recording the removal of %s from %s %" PRIu64, addr, noun, id);
        if (rv != CFS_ETIMEDOUT && send_member(m, p->kind, id, via, true, &peer, undo) != 0) {
            log_warn("undoing the raft member removal of %s: %s", addr, undo);
        }
        return rv;
    }
    log_info("%s %" PRIu64 ": removed replica %s (raft member via %s)", noun, id, addr, via);
    *p = next;
    master_refresh_soon(m);
    return 0;
}

void replica_ops_drop(struct master *m, const struct replica_part *p, const char *addr,
                      bool was_leader)
{
    uint64_t id = REPLICA_PART_FIELD(p, id);
    struct replica_ops_health h;
    char errmsg[ERRMSG_SIZE];
    const char *first;
    int rv;

    delete_or_queue(m, p->kind, id, addr);
    if (REPLICA_PART_FIELD(p, nhosts) == 0) {
        return;
    }
    replica_ops_survey(m, p, clock_mono_ms(), &h);
    if (!was_leader && h.leader[0] != '\0') {
        return;
    }
    first = REPLICA_PART_FIELD(p, hosts)[0];
    rv = p->kind == TOPO_DATA ? ptasks_dp_try_leader(m, id, first, errmsg)
                              : ptasks_mp_try_leader(m, id, first, errmsg);
    if (rv != 0) {
        log_warn("%s %" PRIu64 ": asking %s to lead: %s", replica_ops_noun(p->kind), id, first,
                 errmsg);
    }
}

void replica_ops_discard(struct master *m, const struct replica_part *p, const char *addr)
{
    struct replica_ops_health h;
    struct store_peer peer;
    char via[STORE_ADDR_SIZE];
    char errmsg[ERRMSG_SIZE];

    peer_of(m, p, addr, &peer);
    replica_ops_survey(m, p, clock_mono_ms(), &h);
    if (change_member(m, p, &h, addr, false, &peer, via, errmsg) != 0) {
        log_warn("%s %" PRIu64 ": removing the abandoned member %s: %s", replica_ops_noun(p->kind),
                 REPLICA_PART_FIELD(p, id), addr, errmsg);
    }
    delete_or_queue(m, p->kind, REPLICA_PART_FIELD(p, id), addr);
}

int replica_ops_choose_target(struct master *m, const struct replica_part *p, const char *src,
                              const char *zone, bool commit_weights, struct store_peer *out,
                              char *errmsg)
{
    struct placement_request req = {0};
    struct placement_policy policy;
    struct topo_node *nodes = NULL;
    uint64_t rng = clock_mono_ms() ^ (REPLICA_PART_FIELD(p, id) * 0x9E3779B97F4A7C15ULL);
    size_t n = 0, chosen[1];
    int rv;

    rv = topo_copy_nodes(m->topo, p->kind, &nodes, &n);
    if (rv != 0) {
        errors_set(errmsg, "copying the node view: %s", errors_strerror(rv));
        return rv;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(nodes[i].addr, src) == 0) {
            req.prefer_nodeset = nodes[i].nodeset_id;
        }
    }
    req.kind = p->kind;
    req.replicas = 1;
    req.zone = zone;
    req.exclude = REPLICA_PART_FIELD(p, hosts);
    req.nexclude = REPLICA_PART_FIELD(p, nhosts);
    /* The cluster's rules, as the node views and volume creation use them. */
    node_ops_master_policy(m, &policy);
    rv = placement_choose(nodes, n, &req, &policy, &rng, chosen, errmsg);
    if (rv == 0) {
        memset(out, 0, sizeof(*out));
        out->id = nodes[chosen[0]].id;
        snprintf(out->addr, sizeof(out->addr), "%s", nodes[chosen[0]].addr);
        if (commit_weights) {
            topo_put_placement(m->topo, p->kind, nodes, n);
        }
    } else {
        errors_prefix(errmsg, "no %s node to take the replica of %s %" PRIu64 " from %s",
                      topo_kind_name(p->kind), replica_ops_noun(p->kind), REPLICA_PART_FIELD(p, id),
                      src);
    }
    free(nodes);
    return rv;
}

/* Partitions flagged IsRecover, collected in one read transaction. */
struct recovering {
    enum topo_kind kind;
    uint64_t *ids;
    size_t n, cap;
};

static int collect_recovering(struct recovering *r, uint64_t id)
{
    if (r->n == r->cap) {
        size_t cap = r->cap > 0 ? r->cap * 2 : 16;
        uint64_t *grown = realloc(r->ids, cap * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        r->ids = grown;
        r->cap = cap;
    }
    r->ids[r->n++] = id;
    return 0;
}

static int recovering_dp_cb(const struct store_dp *dp, void *arg)
{
    return dp->is_recover ? collect_recovering(arg, dp->id) : 0;
}

static int recovering_mp_cb(const struct store_mp *mp, void *arg)
{
    return mp->is_recover ? collect_recovering(arg, mp->id) : 0;
}

/* Clear IsRecover on partition id when it has recovered; true when cleared. */
static bool clear_one(struct master *m, enum topo_kind kind, uint64_t id)
{
    struct replica_ops_health h;
    struct replica_part p;
    struct store_txn *t;
    char key[32], errmsg[ERRMSG_SIZE];
    bool cleared = false;
    int rv;

    replica_ops_lock_key(kind, id, key, sizeof(key));
    if (locks_acquire(m->locks, key, "recovery check", 0, errmsg) != 0) {
        return false;
    }
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = replica_ops_load(t, kind, id, &p);
        store_txn_end(t);
    }
    if (rv == 0 && REPLICA_PART_FIELD(&p, is_recover)) {
        replica_ops_survey(m, &p, clock_mono_ms(), &h);
        if (replica_ops_recovered(&p, &h)) {
            REPLICA_PART_FIELD(&p, is_recover) = false;
            cleared = replica_ops_commit(m, &p, NULL, errmsg) == 0;
            if (cleared) {
                log_info("%s %" PRIu64 " has recovered", replica_ops_noun(kind), id);
            } else {
                log_warn("%s %" PRIu64 ": clearing IsRecover: %s", replica_ops_noun(kind), id,
                         errmsg);
            }
        }
    }
    locks_release(m->locks, key);
    return cleared;
}

uint32_t replica_ops_clear_recovered(struct master *m)
{
    struct recovering r[TOPO_KINDS] = {{.kind = TOPO_DATA}, {.kind = TOPO_META}};
    struct store_txn *t;
    uint32_t cleared = 0;
    int rv;

    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = store_foreach_dp(t, 0, recovering_dp_cb, &r[TOPO_DATA]);
        if (rv == 0) {
            rv = store_foreach_mp(t, 0, recovering_mp_cb, &r[TOPO_META]);
        }
        store_txn_end(t);
    }
    for (int k = 0; k < TOPO_KINDS; k++) {
        for (size_t i = 0; rv == 0 && i < r[k].n && m->ready; i++) {
            cleared += clear_one(m, r[k].kind, r[k].ids[i]);
        }
        free(r[k].ids);
    }
    if (cleared > 0) {
        master_refresh_soon(m);
    }
    return cleared;
}

uint32_t replica_ops_load_dp(struct master *m, const struct replica_part *p, uint64_t now_ms)
{
    struct replica_ops_health h;
    uint32_t queued = 0;

    replica_ops_survey(m, p, now_ms, &h);
    for (uint32_t i = 0; i < h.nhosts; i++) {
        struct dn_load_dp_req req = {.partition_id = p->rec.dp.id};
        char errmsg[ERRMSG_SIZE];
        struct admin_task t;
        json_t *body;
        if (!h.hosts[i].live) {
            continue;
        }
        body = jc_encode(dn_load_dp_req_fields, &req);
        if (body == NULL || admin_task_init(&t, OP_LOAD_DATA_PARTITION, h.hosts[i].addr,
                                            req.partition_id, body, clock_wall_s()) != 0) {
            log_error("cannot build the load task of data partition %" PRIu64 " for %s",
                      req.partition_id, h.hosts[i].addr);
            continue;
        }
        if (task_manager_add(m->tasks, &t, NULL, errmsg) != 0) {
            log_warn("queueing the load of data partition %" PRIu64 " on %s: %s", req.partition_id,
                     h.hosts[i].addr, errmsg);
            continue;
        }
        queued++;
    }
    return queued;
}

static void load_response_cb(const struct admin_task *task, void *response, void *arg)
{
    const struct dn_load_dp_resp *r = response;

    (void)arg;
    if (r == NULL) {
        log_warn("%s: load of data partition %" PRIu64 " answered without a response",
                 task->operator_addr, task->partition_id);
    } else if (r->status != TASK_SUCCEEDS) {
        log_warn("%s: load of data partition %" PRIu64 " failed: %s", task->operator_addr,
                 r->partition_id, r->result);
    } else {
        log_info("%s: data partition %" PRIu64 " loaded: %u files, %" PRIu64 " bytes used",
                 task->operator_addr, r->partition_id, r->nfiles, r->used);
    }
}

int replica_ops_register(struct master *m)
{
    return task_manager_on_response(m->tasks, OP_LOAD_DATA_PARTITION, dn_load_dp_resp_fields,
                                    sizeof(struct dn_load_dp_resp), load_response_cb, NULL);
}
