/* Decommission jobs (see decommission.h for the state machines).
 *
 * Happy path: a route records a job (MARKED) and kicks the driver. The driver, a leader-only
 * timer on the loop thread, reads the unfinished jobs, picks the ones to run within the limits
 * (decom_plan_tick) and hands each to a worker. The worker runs the job's steps one after the
 * other under the partition lock: read the job and the partition, decide (decom_part_step), act
 * on the nodes, persist the next state through Raft, until the job ends or has to wait. A node
 * job's run spawns children and counts them; finished children kick the driver so their parent
 * is counted at once.
 * Failure modes: a step that cannot proceed records its attempt and reason in the job and is
 * retried after a backoff kept in memory (a new leader retries at once); after max_attempts the
 * job fails, undoing a target replica that was never committed. Losing leadership stops the
 * timer; a running step ends at its next Raft proposal, which a deposed leader cannot make, and
 * the new leader resumes from the persisted state. Every step is idempotent, so work done on the
 * nodes but not yet persisted is simply done again. */
#define LOG_TAG "decom"

#include "master/cluster/decommission.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/hmap.h"
#include "common/log.h"
#include "master/core/locks.h"
#include "master/core/master.h"
#include "master/core/workers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- states and transitions --------------------------------------------------------------- */

#define BIT(s) (1u << (s))

static const struct {
    const char *name;   /* ours */
    const char *status; /* v3.5 DecommissionStatus text */
    uint32_t code;      /* v3.5 DecommissionStatus number (node info) */
} states[DECOM_STATE_COUNT] = {
    [0] = {"Initial", "Initial", 0},
    [DECOM_MARKED] = {"Marked", "Marked", 1},
    [DECOM_TARGET_CHOSEN] = {"TargetChosen", "Prepare", 3},
    [DECOM_REPLICA_ADDED] = {"ReplicaAdded", "Running", 4},
    [DECOM_OLD_REMOVED] = {"OldRemoved", "Running", 4},
    [DECOM_RUNNING] = {"Running", "Running", 4},
    [DECOM_SUCCESS] = {"Success", "Success", 5},
    [DECOM_FAILED] = {"Failed", "Fail", 6},
};

/* The transition table: the states each state may move to (itself included: a retry). A
 * partition job never fails once the old replica is gone: the move is done by then. */
static const uint32_t part_next[DECOM_STATE_COUNT] = {
    [DECOM_MARKED] = BIT(DECOM_MARKED) | BIT(DECOM_TARGET_CHOSEN) | BIT(DECOM_FAILED),
    [DECOM_TARGET_CHOSEN] = BIT(DECOM_TARGET_CHOSEN) | BIT(DECOM_REPLICA_ADDED) | BIT(DECOM_FAILED),
    [DECOM_REPLICA_ADDED] = BIT(DECOM_REPLICA_ADDED) | BIT(DECOM_OLD_REMOVED) | BIT(DECOM_FAILED),
    [DECOM_OLD_REMOVED] = BIT(DECOM_OLD_REMOVED) | BIT(DECOM_SUCCESS),
};

static const uint32_t node_next[DECOM_STATE_COUNT] = {
    [DECOM_MARKED] =
        BIT(DECOM_MARKED) | BIT(DECOM_RUNNING) | BIT(DECOM_SUCCESS) | BIT(DECOM_FAILED),
    [DECOM_RUNNING] = BIT(DECOM_RUNNING) | BIT(DECOM_SUCCESS) | BIT(DECOM_FAILED),
};

bool decom_is_partition_kind(uint8_t kind)
{
    return kind == STORE_JOB_DP || kind == STORE_JOB_MP;
}

bool decom_is_final(uint8_t state)
{
    return state == DECOM_SUCCESS || state == DECOM_FAILED;
}

bool decom_transition_ok(uint8_t kind, uint8_t from, uint8_t to)
{
    const uint32_t *table = decom_is_partition_kind(kind)                              ? part_next
                            : kind == STORE_JOB_DATANODE || kind == STORE_JOB_METANODE ? node_next
                                                                                       : NULL;

    return table != NULL && from < DECOM_STATE_COUNT && to < DECOM_STATE_COUNT &&
           (table[from] & BIT(to)) != 0;
}

const char *decom_state_name(uint8_t state)
{
    return state < DECOM_STATE_COUNT && states[state].name != NULL ? states[state].name : "Unknown";
}

const char *decom_status_name(uint8_t state)
{
    return state < DECOM_STATE_COUNT && states[state].status != NULL ? states[state].status
                                                                     : "Unknown";
}

uint32_t decom_status_code(uint8_t state)
{
    return state < DECOM_STATE_COUNT ? states[state].code : 0;
}

const char *decom_action_name(enum decom_action a)
{
    static const char *const names[] = {
        [DECOM_ACT_NONE] = "none",
        [DECOM_ACT_CHOOSE_TARGET] = "choose target",
        [DECOM_ACT_ADD_REPLICA] = "add replica",
        [DECOM_ACT_COMMIT_ADDED] = "commit added",
        [DECOM_ACT_REMOVE_OLD] = "remove old",
        [DECOM_ACT_COMMIT_REMOVED] = "commit removed",
        [DECOM_ACT_FINISH] = "finish",
        [DECOM_ACT_WAIT] = "wait",
        [DECOM_ACT_FAIL] = "fail",
        [DECOM_ACT_SPAWN] = "spawn",
        [DECOM_ACT_REMOVE_NODE] = "remove node",
        [DECOM_ACT_KEEP_NODE] = "keep node",
    };

    return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

void decom_policy_default(struct decom_policy *p)
{
    p->max_attempts = 10;
    p->backoff_base_ms = 1000;
    p->backoff_max_ms = 30000;
    p->max_running_parts = 2;
    p->max_running_nodes = 1;
    p->node_parallel = 4;
}

uint64_t decom_backoff_ms(const struct decom_policy *p, uint32_t attempts)
{
    uint64_t d = p->backoff_base_ms;

    if (attempts == 0) {
        return 0;
    }
    for (uint32_t i = 1; i < attempts && d < p->backoff_max_ms; i++) {
        d *= 2;
    }
    return d < p->backoff_max_ms ? d : p->backoff_max_ms;
}

uint32_t decom_request_majority(uint32_t replica_num)
{
    uint32_t majority = replica_num / 2 + 1;

    if (replica_num == 0) {
        return 0;
    }
    return majority < replica_num - 1 ? majority : replica_num - 1;
}

/* --- partition step ------------------------------------------------------------------------ */

static void step_set(struct decom_step *out, enum decom_action a, uint8_t next, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

static void step_set(struct decom_step *out, enum decom_action a, uint8_t next, const char *fmt,
                     ...)
{
    va_list ap;

    out->action = a;
    out->next_state = next;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof(out->why), fmt, ap);
    va_end(ap);
}

/* REPLICA_ADDED: src may go once the new replica reports, has caught up, and the others keep a
 * live majority. */
static void step_remove(const struct store_job *job, const struct decom_part_view *v, int dst,
                        struct decom_step *out)
{
    const struct replica_ops_health *h = v->health;
    const struct replica_ops_host *d = &h->hosts[dst];
    uint32_t need = REPLICA_PART_FIELD(v->part, replica_num) / 2u + 1u;
    char why[ERRMSG_SIZE];

    if (!d->live) {
        step_set(out, DECOM_ACT_WAIT, job->state,
                 "waiting for the new replica on %s to report (%s)", d->addr, d->why);
        return;
    }
    if (v->fresh_after_ms > 0 && d->report_ms <= v->fresh_after_ms) {
        step_set(out, DECOM_ACT_WAIT, job->state,
                 "waiting for a report of the new replica on %s made after it was added", d->addr);
        return;
    }
    if (replica_ops_diverged(h, why, 160)) {
        step_set(out, DECOM_ACT_WAIT, job->state, "the new replica on %s is still recovering: %s",
                 d->addr, why);
        return;
    }
    if (replica_ops_check_majority(h, REPLICA_PART_FIELD(v->part, id), job->src_addr, need, why) !=
        0) {
        step_set(out, DECOM_ACT_WAIT, job->state, "%s", why);
        return;
    }
    step_set(out, DECOM_ACT_REMOVE_OLD, DECOM_OLD_REMOVED, "removing %s", job->src_addr);
}

void decom_part_step(const struct store_job *job, const struct decom_part_view *v,
                     struct decom_step *out)
{
    const char *noun = replica_ops_noun(job->kind == STORE_JOB_DP ? TOPO_DATA : TOPO_META);
    int src = -1, dst = -1;

    memset(out, 0, sizeof(*out));
    out->next_state = job->state;
    if (decom_is_final(job->state)) {
        return;
    }
    if (job->state == DECOM_OLD_REMOVED) {
        step_set(out, DECOM_ACT_FINISH, DECOM_SUCCESS, "moved from %s to %s", job->src_addr,
                 job->dst_addr);
        return;
    }
    if (!v->exists) {
        step_set(out, DECOM_ACT_FAIL, DECOM_FAILED, "%s %" PRIu64 " no longer exists", noun,
                 job->partition_id);
        return;
    }
    src = replica_ops_host_index(v->part, job->src_addr);
    if (job->dst_addr[0] != '\0') {
        dst = replica_ops_host_index(v->part, job->dst_addr);
    }
    switch (job->state) {
    case DECOM_MARKED:
        if (src < 0) {
            step_set(out, DECOM_ACT_FAIL, DECOM_FAILED, "%s is no longer a host of %s %" PRIu64,
                     job->src_addr, noun, job->partition_id);
        } else {
            step_set(out, DECOM_ACT_CHOOSE_TARGET, DECOM_TARGET_CHOSEN, "choosing a target");
        }
        return;
    case DECOM_TARGET_CHOSEN:
        if (dst >= 0) {
            step_set(out, DECOM_ACT_COMMIT_ADDED, DECOM_REPLICA_ADDED, "%s is already a host",
                     job->dst_addr);
        } else if (src < 0) {
            step_set(out, DECOM_ACT_FAIL, DECOM_FAILED,
                     "%s was removed from %s %" PRIu64 " by another operation before %s was added",
                     job->src_addr, noun, job->partition_id, job->dst_addr);
        } else if (REPLICA_PART_FIELD(v->part, nhosts) >= STORE_MAX_HOSTS) {
            step_set(out, DECOM_ACT_FAIL, DECOM_FAILED, "%s %" PRIu64 " already has %u hosts", noun,
                     job->partition_id, STORE_MAX_HOSTS);
        } else if (!v->dst_usable) {
            step_set(out, DECOM_ACT_CHOOSE_TARGET, DECOM_TARGET_CHOSEN,
                     "the target %s can no longer take the replica; choosing another",
                     job->dst_addr);
        } else {
            step_set(out, DECOM_ACT_ADD_REPLICA, DECOM_REPLICA_ADDED, "adding %s", job->dst_addr);
        }
        return;
    case DECOM_REPLICA_ADDED:
        if (src < 0) {
            step_set(out, DECOM_ACT_COMMIT_REMOVED, DECOM_OLD_REMOVED, "%s is already gone",
                     job->src_addr);
        } else if (dst < 0) {
            step_set(out, DECOM_ACT_FAIL, DECOM_FAILED,
                     "the new replica %s was removed from %s %" PRIu64
                     " by another operation; %s stays",
                     job->dst_addr, noun, job->partition_id, job->src_addr);
        } else {
            step_remove(job, v, dst, out);
        }
        return;
    default:
        step_set(out, DECOM_ACT_FAIL, DECOM_FAILED, "unknown state %u", job->state);
        return;
    }
}

/* --- node step ----------------------------------------------------------------------------- */

void decom_node_step(const struct store_job *job, const struct decom_node_view *v,
                     const struct decom_policy *p, struct decom_node_step *out)
{
    uint32_t limit = job->total > 0 ? job->total : UINT32_MAX;
    uint32_t spawned = v->active + v->succeeded + v->failed;
    uint32_t room = p->node_parallel > v->active ? p->node_parallel - v->active : 0;
    uint32_t left = limit > spawned ? limit - spawned : 0;
    uint32_t k = room < v->unassigned ? room : v->unassigned;

    memset(out, 0, sizeof(*out));
    out->next_state = job->state;
    if (decom_is_final(job->state)) {
        return;
    }
    out->next_state = DECOM_RUNNING;
    k = k < left ? k : left;
    if (!v->node_exists) {
        out->action = DECOM_ACT_FAIL;
        out->next_state = DECOM_FAILED;
        snprintf(out->why, sizeof(out->why), "%s is no longer registered", job->src_addr);
    } else if (k > 0) {
        out->action = DECOM_ACT_SPAWN;
        out->spawn = k;
        snprintf(out->why, sizeof(out->why), "moving %u more partitions", k);
    } else if (v->active > 0 || (v->busy > 0 && left > 0)) {
        out->action = DECOM_ACT_WAIT;
        snprintf(out->why, sizeof(out->why),
                 "%u partitions moved, %u failed, %u moving, %u waiting for other jobs",
                 v->succeeded, v->failed, v->active, v->busy);
    } else if (v->hosted == 0) {
        out->action = DECOM_ACT_REMOVE_NODE;
        out->next_state = DECOM_SUCCESS;
        snprintf(out->why, sizeof(out->why), "node emptied: %u partitions moved", v->succeeded);
    } else if (v->failed == 0 && (v->hosted == 0 || spawned >= limit)) {
        out->action = DECOM_ACT_KEEP_NODE;
        out->next_state = DECOM_SUCCESS;
        snprintf(out->why, sizeof(out->why), "%u partitions moved as asked; %u left on the node",
                 v->succeeded, v->hosted);
    } else {
        out->action = DECOM_ACT_FAIL;
        out->next_state = DECOM_FAILED;
        snprintf(out->why, sizeof(out->why),
                 "%u partitions could not be moved (%u moved, %u failed); the node stays",
                 v->hosted, v->succeeded, v->failed);
    }
}

/* --- scheduling ---------------------------------------------------------------------------- */

size_t decom_plan_tick(const struct decom_brief *jobs, size_t n, uint64_t now_ms,
                       const struct decom_policy *p, uint64_t *start, size_t max)
{
    uint32_t parts = 0, nodes = 0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (jobs[i].running && !decom_is_final(jobs[i].state)) {
            parts += decom_is_partition_kind(jobs[i].kind);
            nodes += !decom_is_partition_kind(jobs[i].kind);
        }
    }
    for (size_t i = 0; i < n && k < max; i++) {
        const struct decom_brief *j = &jobs[i];
        bool part = decom_is_partition_kind(j->kind);
        if (decom_is_final(j->state) || j->running || now_ms < j->not_before_ms) {
            continue;
        }
        if (part ? parts >= p->max_running_parts : nodes >= p->max_running_nodes) {
            continue;
        }
        parts += part;
        nodes += !part;
        start[k++] = j->id;
    }
    return k;
}

/* --- reads ---------------------------------------------------------------------------------- */

static enum store_job_kind part_job_kind(enum topo_kind kind)
{
    return kind == TOPO_DATA ? STORE_JOB_DP : STORE_JOB_MP;
}

static enum store_job_kind node_job_kind(enum topo_kind kind)
{
    return kind == TOPO_DATA ? STORE_JOB_DATANODE : STORE_JOB_METANODE;
}

static enum topo_kind job_topo_kind(uint8_t kind)
{
    return kind == STORE_JOB_DP || kind == STORE_JOB_DATANODE ? TOPO_DATA : TOPO_META;
}

struct find_ctx {
    uint8_t kind;
    uint64_t pid;     /* partition jobs */
    const char *addr; /* node jobs */
    bool found;
    struct store_job *out;
};

static int find_cb(const struct store_job *j, void *arg)
{
    struct find_ctx *c = arg;

    if (j->kind != c->kind) {
        return 0;
    }
    if (c->addr != NULL ? strcmp(j->src_addr, c->addr) == 0 : j->partition_id == c->pid) {
        *c->out = *j; /* ids ascend: the last match is the latest job */
        c->found = true;
    }
    return 0;
}

int decommission_find_partition_job(struct store_txn *t, enum topo_kind kind, uint64_t pid,
                                    struct store_job *out)
{
    struct find_ctx c = {.kind = part_job_kind(kind), .pid = pid, .out = out};
    int rv = store_foreach_job(t, find_cb, &c);

    return rv != 0 ? rv : c.found ? 0 : CFS_ENOTFOUND;
}

int decommission_find_node_job(struct store_txn *t, enum topo_kind kind, const char *addr,
                               struct store_job *out)
{
    struct find_ctx c = {.kind = node_job_kind(kind), .addr = addr, .out = out};
    int rv = store_foreach_job(t, find_cb, &c);

    return rv != 0 ? rv : c.found ? 0 : CFS_ENOTFOUND;
}

/* Partitions of one kind that list addr among their hosts, in id order, and whether each
 * belongs to a volume being deleted. */
struct hosted {
    const char *addr;
    uint64_t *ids;
    bool *deleting;
    size_t n, cap;
    struct store_txn *t;
};

static bool lists_host(const char (*hosts)[STORE_ADDR_SIZE], uint32_t n, const char *addr)
{
    for (uint32_t i = 0; i < n && i < STORE_MAX_HOSTS; i++) {
        if (strcmp(hosts[i], addr) == 0) {
            return true;
        }
    }
    return false;
}

static int hosted_add(struct hosted *h, uint64_t id, uint64_t vol_id)
{
    struct store_vol vol;

    if (h->n == h->cap) {
        size_t cap = h->cap > 0 ? h->cap * 2 : 16;
        uint64_t *ids = realloc(h->ids, cap * sizeof(*ids));
        bool *del;
        if (ids == NULL) {
            return -ENOMEM;
        }
        h->ids = ids;
        del = realloc(h->deleting, cap * sizeof(*del));
        if (del == NULL) {
            return -ENOMEM;
        }
        h->deleting = del;
        h->cap = cap;
    }
    h->deleting[h->n] =
        store_get_vol(h->t, vol_id, &vol) != 0 || vol.status == VOL_STATUS_MARK_DELETE;
    h->ids[h->n++] = id;
    return 0;
}

static int hosted_dp_cb(const struct store_dp *dp, void *arg)
{
    struct hosted *h = arg;

    return lists_host(dp->hosts, dp->nhosts, h->addr) ? hosted_add(h, dp->id, dp->vol_id) : 0;
}

static int hosted_mp_cb(const struct store_mp *mp, void *arg)
{
    struct hosted *h = arg;

    return lists_host(mp->hosts, mp->nhosts, h->addr) ? hosted_add(h, mp->id, mp->vol_id) : 0;
}

static int hosted_collect(struct store_txn *t, enum topo_kind kind, const char *addr,
                          struct hosted *out)
{
    memset(out, 0, sizeof(*out));
    out->addr = addr;
    out->t = t;
    return kind == TOPO_DATA ? store_foreach_dp(t, 0, hosted_dp_cb, out)
                             : store_foreach_mp(t, 0, hosted_mp_cb, out);
}

static void hosted_free(struct hosted *h)
{
    free(h->ids);
    free(h->deleting);
}

/* Every job touching a node job's partitions: its own children (latest per partition) and the
 * partitions other unfinished jobs are moving. */
struct node_jobs {
    const struct store_job *parent;
    uint8_t part_kind;
    struct hmap *children; /* partition id -> struct store_job * (latest child) */
    struct hmap *busy;     /* partition id -> (void *)1 */
    char first_error[STORE_TEXT_SIZE];
    int rv;
};

static int node_jobs_cb(const struct store_job *j, void *arg)
{
    struct node_jobs *c = arg;
    struct store_job *copy;
    void *old = NULL;

    if (j->kind != c->part_kind) {
        return 0;
    }
    if (j->parent_id != c->parent->id) {
        if (!decom_is_final(j->state) && hmap_put_u64(c->busy, j->partition_id, (void *)1, NULL)) {
            return -ENOMEM;
        }
        return 0;
    }
    copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        return -ENOMEM;
    }
    *copy = *j;
    if (hmap_put_u64(c->children, j->partition_id, copy, &old) != 0) {
        free(copy);
        return -ENOMEM;
    }
    free(old);
    if (j->state == DECOM_FAILED && c->first_error[0] == '\0') {
        snprintf(c->first_error, sizeof(c->first_error), "partition %" PRIu64 ": %.200s",
                 j->partition_id, j->message);
    }
    return 0;
}

static void node_jobs_free(struct node_jobs *c)
{
    size_t pos = 0;
    void *v;

    while (c->children != NULL && hmap_next(c->children, &pos, NULL, NULL, &v)) {
        free(v);
    }
    hmap_free(c->children);
    hmap_free(c->busy);
}

static int node_jobs_collect(struct store_txn *t, const struct store_job *parent,
                             struct node_jobs *out)
{
    memset(out, 0, sizeof(*out));
    out->parent = parent;
    out->part_kind = part_job_kind(job_topo_kind(parent->kind));
    out->children = hmap_new(false);
    out->busy = hmap_new(false);
    if (out->children == NULL || out->busy == NULL) {
        return -ENOMEM;
    }
    return store_foreach_job(t, node_jobs_cb, out);
}

/* Count a node job's world into the view; unassigned ids (at most max) go to pick. */
static void node_view(const struct hosted *h, const struct node_jobs *c, bool node_exists,
                      struct decom_node_view *v, uint64_t *pick, size_t max, size_t *npick)
{
    size_t pos = 0;
    void *val;

    memset(v, 0, sizeof(*v));
    v->node_exists = node_exists;
    *npick = 0;
    while (hmap_next(c->children, &pos, NULL, NULL, &val)) {
        const struct store_job *j = val;
        v->active += !decom_is_final(j->state);
        v->succeeded += j->state == DECOM_SUCCESS;
        v->failed += j->state == DECOM_FAILED;
    }
    v->hosted = (uint32_t)h->n;
    for (size_t i = 0; i < h->n; i++) {
        if (hmap_get_u64(c->children, h->ids[i]) != NULL) {
            continue;
        }
        if (h->deleting[i] || hmap_get_u64(c->busy, h->ids[i]) != NULL) {
            v->busy++;
            continue;
        }
        v->unassigned++;
        if (*npick < max) {
            pick[(*npick)++] = h->ids[i];
        }
    }
}

int decommission_node_progress(struct store_txn *t, const struct store_job *job,
                               struct decom_progress *out)
{
    struct decom_node_view v;
    struct node_jobs c;
    struct hosted h;
    size_t npick;
    int rv;

    memset(out, 0, sizeof(*out));
    rv = hosted_collect(t, job_topo_kind(job->kind), job->src_addr, &h);
    if (rv == 0) {
        rv = node_jobs_collect(t, job, &c);
        if (rv == 0) {
            node_view(&h, &c, true, &v, NULL, 0, &npick);
            out->succeeded = v.succeeded;
            out->failed = v.failed;
            out->running = v.active;
            out->remaining = v.hosted;
            /* Failed and running children's partitions are still on the node. */
            out->total = v.succeeded + v.hosted;
            if (job->total > 0 && out->total > job->total) {
                out->total = job->total;
            }
        }
        node_jobs_free(&c);
    }
    hosted_free(&h);
    return rv;
}

int decommission_node_info(struct store_txn *t, enum topo_kind kind, const struct store_node *node,
                           json_t *obj)
{
    struct decom_progress pr;
    struct store_job job;
    json_t *prog;
    int rv;

    if (json_object_set_new(obj, "ToBeOffline", json_boolean(node->to_be_offline)) != 0) {
        return -ENOMEM;
    }
    rv = decommission_find_node_job(t, kind, node->addr, &job);
    if (rv == CFS_ENOTFOUND) {
        return json_object_set_new(obj, "DecommissionStatus", json_integer(0)) == 0 ? 0 : -ENOMEM;
    }
    if (rv == 0) {
        rv = decommission_node_progress(t, &job, &pr);
    }
    if (rv != 0) {
        return rv;
    }
    prog = json_pack("{s:I,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:I,s:I}", "JobID", (json_int_t)job.id,
                     "Status", decom_status_name(job.state), "State", decom_state_name(job.state),
                     "Total", (int)pr.total, "Succeeded", (int)pr.succeeded, "Failed",
                     (int)pr.failed, "Running", (int)pr.running, "Remaining", (int)pr.remaining,
                     "ErrorMessage", job.state == DECOM_FAILED ? job.message : "", "CreateTime",
                     (json_int_t)job.create_time, "UpdateTime", (json_int_t)job.update_time);
    if (prog == NULL ||
        json_object_set_new(obj, "DecommissionStatus",
                            json_integer(decom_status_code(job.state))) != 0 ||
        json_object_set_new(obj, "DecommissionLimit", json_integer(job.total)) != 0 ||
        json_object_set_new(obj, "DecommissionProgress", prog) != 0) {
        return -ENOMEM;
    }
    return 0;
}

/* --- persistence ---------------------------------------------------------------------------- */

/* The job moving to `to`: attempts start over on a new state. */
static void advance(struct store_job *next, const struct store_job *job, uint8_t to,
                    const char *message)
{
    *next = *job;
    if (to != job->state) {
        next->attempts = 0;
    }
    next->state = to;
    next->update_time = clock_wall_s();
    snprintf(next->message, sizeof(next->message), "%s", message);
}

/* One Raft command putting the job (checked against the transition table) and, when b is not
 * NULL, the other records b holds; b is consumed. */
static int persist(struct master *m, const struct store_job *cur, const struct store_job *next,
                   struct store_batch *b, char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    int rv;

    cmd.batch = b != NULL ? b : store_batch_new();
    if (!decom_transition_ok(cur->kind, cur->state, next->state)) {
        errors_set(errmsg, "job %" PRIu64 ": %s -> %s is not a transition", cur->id,
                   decom_state_name(cur->state), decom_state_name(next->state));
        rv = -EINVAL;
        goto out;
    }
    rv = cmd.batch != NULL ? store_batch_put_job(cmd.batch, next) : -ENOMEM;
    if (rv != 0) {
        errors_set(errmsg, "building the raft command: %s", errors_strerror(rv));
        goto out;
    }
    rv = master_propose(m, &cmd, &res, errmsg);
    if (rv == 0 && res.code != API_SUCCESS) {
        errors_set(errmsg, "%s", res.msg);
        rv = -EPERM;
    }
out:
    fsm_cmd_clear(&cmd);
    return rv;
}

/* --- the driver ----------------------------------------------------------------------------- */

/* Loop-thread state of the one job driver of this process; it outlives leadership changes, so
 * workers finishing after a step-down still find it. */
struct slot {
    bool running;
    uint64_t not_before_ms;
    uint64_t added_ms; /* when this leader committed the job's new replica, 0 unknown */
};

struct driver {
    bool handles;
    bool leading;
    uv_timer_t timer;
    uv_async_t kick;
    struct hmap *slots; /* job id -> struct slot */
    struct decom_policy policy;
    bool sweeping; /* a recovery sweep is on a worker */
};

static struct driver driver;

/* What a run tells the loop when it ends. */
struct run {
    struct master *m;
    uint64_t id;
    uint64_t added_ms; /* in and out: struct slot's */
    uint64_t retry_ms; /* > 0: not before now + retry_ms */
    bool final;
    bool kick; /* something changed another job may wait on */
};

enum run_next { RUN_CONTINUE, RUN_STOP };

/* The step could not proceed: record the attempt, or fail the job once attempts run out (never
 * after the old replica is gone: the move is done then, only recording it is left). */
static enum run_next retry(struct run *r, const struct store_job *job,
                           const struct replica_part *part, const char *why)
{
    const struct decom_policy *p = &driver.policy;
    struct store_job next;
    char errmsg[ERRMSG_SIZE];
    char msg[STORE_TEXT_SIZE];
    uint32_t attempts = job->attempts + 1;

    if (attempts >= p->max_attempts && job->state != DECOM_OLD_REMOVED) {
        snprintf(msg, sizeof(msg), "gave up after %u attempts: %s", attempts, why);
        if (job->state == DECOM_TARGET_CHOSEN && part != NULL) {
            replica_ops_discard(r->m, part, job->dst_addr);
        }
        if (job->state == DECOM_REPLICA_ADDED) {
            snprintf(msg, sizeof(msg),
                     "gave up after %u attempts: %s; the partition keeps the new replica on "
                     "%s and %s",
                     attempts, why, job->dst_addr, job->src_addr);
        }
        advance(&next, job, DECOM_FAILED, msg);
        if (persist(r->m, job, &next, NULL, errmsg) != 0) {
            log_warn("job %" PRIu64 ": recording the failure: %s", job->id, errmsg);
            r->retry_ms = p->backoff_base_ms;
            return RUN_STOP;
        }
        log_warn("job %" PRIu64 " failed: %s", job->id, msg);
        r->final = true;
        r->kick = true;
        return RUN_STOP;
    }
    advance(&next, job, job->state, why);
    next.attempts = attempts;
    if (persist(r->m, job, &next, NULL, errmsg) != 0) {
        log_warn("job %" PRIu64 ": recording attempt %u: %s", job->id, attempts, errmsg);
    }
    log_info("job %" PRIu64 " (%s, attempt %u): %s", job->id, decom_state_name(job->state),
             attempts, why);
    r->retry_ms = decom_backoff_ms(p, attempts);
    return RUN_STOP;
}

/* Persist a state change that needs no other record. */
static enum run_next move(struct run *r, const struct store_job *job, uint8_t to, const char *msg)
{
    struct store_job next;
    char errmsg[ERRMSG_SIZE];

    advance(&next, job, to, msg);
    if (persist(r->m, job, &next, NULL, errmsg) != 0) {
        return retry(r, job, NULL, errmsg);
    }
    log_info("job %" PRIu64 ": %s -> %s (%s)", job->id, decom_state_name(job->state),
             decom_state_name(to), msg);
    if (decom_is_final(to)) {
        r->final = true;
        r->kick = true;
        return RUN_STOP;
    }
    return RUN_CONTINUE;
}

/* Read what a partition job's step needs: the job, the partition, the volume's zone, and the
 * target node's id. */
struct part_ctx {
    struct store_job job;
    bool exists;
    struct replica_part part;
    char zone[STORE_NAME_SIZE];
    struct store_peer dst;
    bool dst_usable; /* registered, see struct decom_part_view */
};

static int part_read(struct master *m, uint64_t id, struct part_ctx *c)
{
    struct store_txn *t;
    struct store_node node;
    struct topo_node view;
    struct store_vol vol;
    enum topo_kind kind = TOPO_DATA;
    int rv;

    memset(c, 0, sizeof(*c));
    rv = store_read_begin(m->store, &t);
    if (rv != 0) {
        return rv;
    }
    rv = store_get_job(t, id, &c->job);
    if (rv != 0) {
        goto out;
    }
    kind = job_topo_kind(c->job.kind);
    rv = replica_ops_load(t, kind, c->job.partition_id, &c->part);
    c->exists = rv == 0;
    if (rv == CFS_ENOTFOUND) {
        rv = 0;
    }
    if (rv == 0 && c->exists && store_get_vol(t, REPLICA_PART_FIELD(&c->part, vol_id), &vol) == 0) {
        snprintf(c->zone, sizeof(c->zone), "%s", vol.zone_name);
    }
    if (rv == 0 && c->job.dst_addr[0] != '\0' &&
        (kind == TOPO_DATA ? store_get_datanode_by_addr(t, c->job.dst_addr, &node)
                           : store_get_metanode_by_addr(t, c->job.dst_addr, &node)) == 0) {
        c->dst.id = node.id;
        snprintf(c->dst.addr, sizeof(c->dst.addr), "%s", node.addr);
        c->dst_usable = !node.to_be_offline;
    }
out:
    store_txn_end(t);
    if (c->dst_usable && topo_get_node(m->topo, kind, c->dst.addr, &view) == 0 && view.reported &&
        !view.active) {
        c->dst_usable = false;
    }
    return rv;
}

/* One step of a partition job, under the partition lock. */
static enum run_next part_run_step(struct run *r, struct part_ctx *c)
{
    struct master *m = r->m;
    struct store_job *job = &c->job;
    struct replica_ops_health h;
    struct decom_part_view v = {c->exists, &c->part, &h, r->added_ms, c->dst_usable};
    struct store_job next;
    struct decom_step step;
    struct store_peer dst;
    char errmsg[ERRMSG_SIZE];

    memset(&h, 0, sizeof(h));
    if (c->exists) {
        replica_ops_survey(m, &c->part, clock_mono_ms(), &h);
    }
    decom_part_step(job, &v, &step);
    log_debug("job %" PRIu64 " (%s): %s: %s", job->id, decom_state_name(job->state),
              decom_action_name(step.action), step.why);
    switch (step.action) {
    case DECOM_ACT_NONE:
        r->final = true;
        return RUN_STOP;
    case DECOM_ACT_CHOOSE_TARGET:
        if (job->state == DECOM_TARGET_CHOSEN) {
            /* The old target may hold a half-made replica from an earlier attempt. */
            replica_ops_discard(m, &c->part, job->dst_addr);
        }
        if (replica_ops_choose_target(m, &c->part, job->src_addr, c->zone, true, &dst, errmsg) !=
            0) {
            return retry(r, job, NULL, errmsg);
        }
        advance(&next, job, step.next_state, "");
        snprintf(next.dst_addr, sizeof(next.dst_addr), "%s", dst.addr);
        if (persist(m, job, &next, NULL, errmsg) != 0) {
            return retry(r, job, NULL, errmsg);
        }
        log_info("job %" PRIu64 ": %s %" PRIu64 " moves from %s to %s", job->id,
                 replica_ops_noun(c->part.kind), job->partition_id, job->src_addr, dst.addr);
        return RUN_CONTINUE;
    case DECOM_ACT_ADD_REPLICA:
        /* dst_usable, which chose this action, implies the target is registered. */
        advance(&next, job, step.next_state, "");
        if (replica_ops_add(m, &c->part, &c->dst, &next, errmsg) != 0) {
            return retry(r, job, &c->part, errmsg);
        }
        r->added_ms = clock_mono_ms();
        return RUN_CONTINUE;
    case DECOM_ACT_REMOVE_OLD:
        advance(&next, job, step.next_state, "");
        if (replica_ops_remove(m, &c->part, job->src_addr, &next, errmsg) != 0) {
            return retry(r, job, &c->part, errmsg);
        }
        return RUN_CONTINUE;
    case DECOM_ACT_COMMIT_ADDED:
        r->added_ms = clock_mono_ms();
        return move(r, job, step.next_state, step.why);
    case DECOM_ACT_COMMIT_REMOVED:
        return move(r, job, step.next_state, step.why);
    case DECOM_ACT_FINISH:
        if (c->exists) {
            replica_ops_drop(m, &c->part, job->src_addr, false);
        }
        return move(r, job, step.next_state, step.why);
    case DECOM_ACT_WAIT:
        return retry(r, job, &c->part, step.why);
    case DECOM_ACT_FAIL:
    default:
        if (job->state == DECOM_TARGET_CHOSEN && c->exists) {
            replica_ops_discard(m, &c->part, job->dst_addr);
        }
        return move(r, job, DECOM_FAILED, step.why);
    }
}

static enum run_next part_run(struct run *r)
{
    struct part_ctx c;
    char key[32], holder[48], errmsg[ERRMSG_SIZE];
    enum run_next next;
    int rv = part_read(r->m, r->id, &c);

    if (rv != 0) {
        log_warn("job %" PRIu64 ": reading it: %s", r->id, errors_strerror(rv));
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    replica_ops_lock_key(job_topo_kind(c.job.kind), c.job.partition_id, key, sizeof(key));
    snprintf(holder, sizeof(holder), "decommission job %" PRIu64, r->id);
    if (locks_acquire(r->m->locks, key, holder, 1000, errmsg) != 0) {
        /* Another operation is changing the partition: try again later, no attempt spent. */
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    /* Read again under the lock: the holder before us may have changed the partition. */
    rv = part_read(r->m, r->id, &c);
    next = rv == 0 ? part_run_step(r, &c) : RUN_STOP;
    locks_release(r->m->locks, key);
    return next;
}

/* --- node jobs ------------------------------------------------------------------------------ */

#define DECOM_LOCK "decommission" /* serialises creating jobs */
#define SPAWN_MAX  64

static int put_node(struct store_batch *b, enum topo_kind kind, const struct store_node *n)
{
    return kind == TOPO_DATA ? store_batch_put_datanode(b, n) : store_batch_put_metanode(b, n);
}

static void node_lock_key(const char *addr, char *buf, size_t size)
{
    snprintf(buf, size, "node:%s", addr);
}

static int get_node(struct store_txn *t, enum topo_kind kind, const char *addr,
                    struct store_node *out)
{
    return kind == TOPO_DATA ? store_get_datanode_by_addr(t, addr, out)
                             : store_get_metanode_by_addr(t, addr, out);
}

/* The node job's last command: SUCCESS or FAILED, with the node's record removed or unmarked.
 * The record is read again under the node's lock, which registration and zone moves take too, so
 * no concurrent change of it is lost. */
static enum run_next node_finish(struct run *r, const struct store_job *job,
                                 const struct decom_node_step *s, const struct decom_node_view *v,
                                 const char *first_error)
{
    enum topo_kind kind = job_topo_kind(job->kind);
    struct store_batch *b = NULL;
    struct store_node node;
    struct store_job next;
    struct store_txn *t;
    char key[16 + STORE_ADDR_SIZE], errmsg[ERRMSG_SIZE], msg[STORE_TEXT_SIZE];
    bool exists = false;
    int rv;

    node_lock_key(job->src_addr, key, sizeof(key));
    if (locks_acquire(r->m->locks, key, "node decommission job", 1000, errmsg) != 0) {
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    rv = store_read_begin(r->m->store, &t);
    if (rv == 0) {
        rv = get_node(t, kind, job->src_addr, &node);
        exists = rv == 0;
        rv = rv == CFS_ENOTFOUND ? 0 : rv;
        store_txn_end(t);
    }
    b = rv == 0 ? store_batch_new() : NULL;
    if (b == NULL) {
        rv = rv != 0 ? rv : -ENOMEM;
    } else if (exists && s->action == DECOM_ACT_REMOVE_NODE) {
        rv = kind == TOPO_DATA ? store_batch_del_datanode(b, node.id)
                               : store_batch_del_metanode(b, node.id);
    } else if (exists) {
        node.to_be_offline = false;
        rv = put_node(b, kind, &node);
    }
    snprintf(msg, sizeof(msg), "%.120s%s%.120s", s->why, first_error[0] != '\0' ? "; " : "",
             first_error);
    advance(&next, job, s->next_state, msg);
    next.done = v->succeeded;
    next.failed = v->failed;
    if (rv == 0) {
        rv = persist(r->m, job, &next, b, errmsg);
        b = NULL;
    } else {
        errors_set(errmsg, "%s", errors_strerror(rv));
    }
    if (rv == 0 && exists && s->action == DECOM_ACT_REMOVE_NODE) {
        /* Committed: the soft state follows. */
        topo_remove_node(r->m->topo, kind, node.addr);
        task_manager_remove_node(r->m->tasks, node.addr);
    } else if (rv == 0 && exists) {
        topo_put_node(r->m->topo, kind, &node);
    }
    locks_release(r->m->locks, key);
    store_batch_free(b);
    if (rv != 0) {
        log_warn("job %" PRIu64 ": finishing: %s", job->id, errmsg);
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    log_info("job %" PRIu64 " (%s node %s) %s: %s", job->id, topo_kind_name(kind), job->src_addr,
             decom_state_name(next.state), msg);
    r->final = true;
    r->kick = true;
    return RUN_STOP;
}

/* Create n child jobs for the partitions in pick, with the parent's progress, in one command. */
static enum run_next node_spawn(struct run *r, const struct store_job *job, const uint64_t *pick,
                                uint32_t n, const struct decom_node_view *v, const char *why)
{
    struct store_batch *b = store_batch_new();
    struct store_job next, child;
    char errmsg[ERRMSG_SIZE] = "";
    uint64_t first = 0;
    int64_t now = clock_wall_s();
    int rv = b != NULL ? master_alloc_ids(r->m, STORE_COUNTER_JOB, n, &first, errmsg) : -ENOMEM;

    for (uint32_t i = 0; rv == 0 && i < n; i++) {
        memset(&child, 0, sizeof(child));
        child.id = first + i;
        child.kind = part_job_kind(job_topo_kind(job->kind));
        child.state = DECOM_MARKED;
        child.partition_id = pick[i];
        child.parent_id = job->id;
        snprintf(child.src_addr, sizeof(child.src_addr), "%s", job->src_addr);
        child.create_time = child.update_time = now;
        rv = store_batch_put_job(b, &child);
    }
    if (rv != 0) {
        log_warn("job %" PRIu64 ": spawning: %s", job->id,
                 errmsg[0] ? errmsg : errors_strerror(rv));
        store_batch_free(b);
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    advance(&next, job, DECOM_RUNNING, why);
    next.done = v->succeeded;
    next.failed = v->failed;
    if (persist(r->m, job, &next, b, errmsg) != 0) {
        log_warn("job %" PRIu64 ": spawning: %s", job->id, errmsg);
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    log_info("job %" PRIu64 ": %u child jobs from %" PRIu64 " for %s", job->id, n, first,
             job->src_addr);
    r->kick = true;
    return RUN_STOP;
}

static enum run_next node_run(struct run *r)
{
    struct decom_node_step s;
    struct decom_node_view v = {0};
    struct store_node node = {0};
    bool node_exists = false;
    struct store_job job;
    struct node_jobs c = {0};
    struct hosted h = {0};
    struct store_txn *t = NULL;
    uint64_t pick[SPAWN_MAX];
    size_t npick = 0;
    enum topo_kind kind = TOPO_DATA;
    char errmsg[ERRMSG_SIZE];
    enum run_next next = RUN_STOP;
    int rv;

    if (locks_acquire(r->m->locks, DECOM_LOCK, "node decommission job", 1000, errmsg) != 0) {
        r->retry_ms = driver.policy.backoff_base_ms;
        return RUN_STOP;
    }
    rv = store_read_begin(r->m->store, &t);
    if (rv == 0) {
        rv = store_get_job(t, r->id, &job);
    }
    if (rv == 0) {
        kind = job_topo_kind(job.kind);
        node_exists = get_node(t, kind, job.src_addr, &node) == 0;
        rv = hosted_collect(t, kind, job.src_addr, &h);
    }
    if (rv == 0) {
        rv = node_jobs_collect(t, &job, &c);
    }
    if (t != NULL) {
        store_txn_end(t);
    }
    if (rv != 0) {
        log_warn("node job %" PRIu64 ": reading: %s", r->id, errors_strerror(rv));
        r->retry_ms = driver.policy.backoff_base_ms;
        goto out;
    }
    node_view(&h, &c, node_exists, &v, pick, SPAWN_MAX, &npick);
    decom_node_step(&job, &v, &driver.policy, &s);
    switch (s.action) {
    case DECOM_ACT_NONE:
        r->final = true;
        break;
    case DECOM_ACT_SPAWN:
        next = node_spawn(r, &job, pick, s.spawn < npick ? s.spawn : (uint32_t)npick, &v, s.why);
        break;
    case DECOM_ACT_WAIT:
        /* Persist progress only when it changed, not on every tick. */
        if (job.state != DECOM_RUNNING || job.done != v.succeeded || job.failed != v.failed) {
            struct store_job upd;
            advance(&upd, &job, DECOM_RUNNING, s.why);
            upd.done = v.succeeded;
            upd.failed = v.failed;
            if (persist(r->m, &job, &upd, NULL, errmsg) != 0) {
                log_warn("node job %" PRIu64 ": progress: %s", job.id, errmsg);
            }
        }
        break;
    default:
        next = node_finish(r, &job, &s, &v, c.first_error);
        break;
    }
out:
    node_jobs_free(&c);
    hosted_free(&h);
    locks_release(r->m->locks, DECOM_LOCK);
    return next;
}

/* --- driver plumbing ------------------------------------------------------------------------ */

static void run_job(void *arg)
{
    struct run *r = arg;
    struct store_job job;
    struct store_txn *t;
    bool part;
    int rv;

    rv = store_read_begin(r->m->store, &t);
    if (rv == 0) {
        rv = store_get_job(t, r->id, &job);
        store_txn_end(t);
    }
    if (rv != 0) {
        r->final = rv == CFS_ENOTFOUND;
        return;
    }
    part = decom_is_partition_kind(job.kind);
    /* Bounded: a job that keeps advancing still yields its worker now and then. */
    for (int steps = 0; steps < 16 && r->m->ready && !r->final; steps++) {
        if ((part ? part_run(r) : node_run(r)) == RUN_STOP) {
            break;
        }
    }
}

static struct slot *slot_of(uint64_t id)
{
    struct slot *s = hmap_get_u64(driver.slots, id);

    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s != NULL && hmap_put_u64(driver.slots, id, s, NULL) != 0) {
            free(s);
            s = NULL;
        }
    }
    return s;
}

static void run_done(void *arg)
{
    struct run *r = arg;
    struct slot *s = hmap_get_u64(driver.slots, r->id);

    if (s != NULL) {
        s->running = false;
        s->added_ms = r->added_ms;
        s->not_before_ms = r->retry_ms > 0 ? clock_mono_ms() + r->retry_ms : 0;
        if (r->final) {
            free(hmap_del_u64(driver.slots, r->id));
        }
    }
    if (r->kick) {
        decommission_kick(r->m);
    }
    free(r);
}

static void sweep_run(void *arg)
{
    replica_ops_clear_recovered(arg);
}

static void sweep_done(void *arg)
{
    (void)arg;
    driver.sweeping = false;
}

struct collect {
    struct decom_brief *jobs;
    size_t n, cap;
};

static int collect_cb(const struct store_job *j, void *arg)
{
    struct collect *c = arg;
    struct slot *s;

    if (decom_is_final(j->state)) {
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap > 0 ? c->cap * 2 : 32;
        struct decom_brief *grown = realloc(c->jobs, cap * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        c->jobs = grown;
        c->cap = cap;
    }
    s = hmap_get_u64(driver.slots, j->id);
    c->jobs[c->n++] = (struct decom_brief){j->id, j->kind, j->state, s != NULL && s->running,
                                           s != NULL ? s->not_before_ms : 0};
    return 0;
}

/* Loop thread: start what the plan says. */
static void tick(struct master *m)
{
    struct collect c = {0};
    struct store_txn *t;
    uint64_t start[16];
    size_t n;
    int rv;

    if (!driver.leading || !m->ready) {
        return;
    }
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = store_foreach_job(t, collect_cb, &c);
        store_txn_end(t);
    }
    if (rv != 0) {
        log_error("reading decommission jobs: %s", errors_strerror(rv));
        free(c.jobs);
        return;
    }
    n = decom_plan_tick(c.jobs, c.n, clock_mono_ms(), &driver.policy, start, 16);
    free(c.jobs);
    for (size_t i = 0; i < n; i++) {
        struct slot *s = slot_of(start[i]);
        struct run *r = calloc(1, sizeof(*r));
        if (s == NULL || r == NULL) {
            free(r);
            break;
        }
        r->m = m;
        r->id = start[i];
        r->added_ms = s->added_ms;
        if (workers_submit(m->workers, run_job, run_done, r) != 0) {
            free(r);
            break;
        }
        s->running = true;
    }
    if (!driver.sweeping && workers_submit(m->workers, sweep_run, sweep_done, m) == 0) {
        driver.sweeping = true;
    }
}

static void timer_cb(uv_timer_t *h)
{
    tick(h->data);
}

static void kick_cb(uv_async_t *h)
{
    tick(h->data);
}

void decommission_kick(struct master *m)
{
    (void)m;
    if (driver.handles) {
        uv_async_send(&driver.kick);
    }
}

int decommission_leader_start(struct master *m, char *errmsg)
{
    size_t pos = 0;
    void *v;

    if (!driver.handles) {
        driver.slots = hmap_new(false);
        if (driver.slots == NULL) {
            errors_set(errmsg, "decommission driver: out of memory");
            return -ENOMEM;
        }
        uv_timer_init(m->loop, &driver.timer);
        uv_async_init(m->loop, &driver.kick, kick_cb);
        driver.timer.data = m;
        driver.kick.data = m;
        driver.handles = true;
    }
    decom_policy_default(&driver.policy);
    /* Retries follow the partition check: tests run it fast, production every few seconds. */
    driver.policy.backoff_base_ms = m->cfg.partition_check_ms;
    driver.policy.backoff_max_ms = 10 * m->cfg.partition_check_ms;
    driver.policy.max_running_parts = m->cfg.worker_threads / 2 > 0 ? m->cfg.worker_threads / 2 : 1;
    /* A new leader resumes every unfinished job now, whatever backoff the old one kept, and
     * its node reports all postdate what was committed before. */
    while (hmap_next(driver.slots, &pos, NULL, NULL, &v)) {
        ((struct slot *)v)->not_before_ms = 0;
        ((struct slot *)v)->added_ms = 0;
    }
    driver.leading = true;
    uv_timer_start(&driver.timer, timer_cb, 0, m->cfg.partition_check_ms);
    return 0;
}

void decommission_leader_stop(struct master *m)
{
    (void)m;
    driver.leading = false;
    if (driver.handles) {
        uv_timer_stop(&driver.timer);
    }
}

/* --- creating jobs -------------------------------------------------------------------------- */

static int active_job_cb(const struct store_job *j, void *arg)
{
    struct find_ctx *c = arg;

    if (j->kind == c->kind && j->partition_id == c->pid && !decom_is_final(j->state)) {
        *c->out = *j;
        c->found = true;
        return 1;
    }
    return 0;
}

/* One Raft command holding the new job and, for node jobs, the node's mark. */
static int record_job(struct master *m, struct store_job *job, enum topo_kind kind,
                      const struct store_node *node, char *errmsg)
{
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    uint64_t id;
    int rv = master_alloc_ids(m, STORE_COUNTER_JOB, 1, &id, errmsg);

    if (rv != 0) {
        return rv;
    }
    job->id = id;
    job->create_time = job->update_time = clock_wall_s();
    cmd.batch = store_batch_new();
    rv = cmd.batch != NULL ? store_batch_put_job(cmd.batch, job) : -ENOMEM;
    if (rv == 0 && node != NULL) {
        rv = put_node(cmd.batch, kind, node);
    }
    if (rv == 0) {
        rv = master_propose(m, &cmd, &res, errmsg);
        if (rv == 0 && res.code != API_SUCCESS) {
            errors_set(errmsg, "%s", res.msg);
            rv = -EPERM;
        }
    } else {
        errors_set(errmsg, "building the raft command: %s", errors_strerror(rv));
    }
    fsm_cmd_clear(&cmd);
    return rv;
}

/* Checks of a partition decommission request, under the partition lock; API code or 0. */
static int check_partition(struct master *m, enum topo_kind kind, uint64_t pid, const char *src,
                           struct replica_part *p, char *errmsg)
{
    const char *noun = replica_ops_noun(kind);
    struct find_ctx c = {.kind = part_job_kind(kind), .pid = pid};
    struct replica_ops_health h;
    struct store_job active;
    struct store_vol vol = {0};
    struct store_peer dst;
    struct store_txn *t;
    char why[160];
    int rv, code;

    c.out = &active;
    rv = store_read_begin(m->store, &t);
    if (rv != 0) {
        errors_set(errmsg, "reading the store: %s", errors_strerror(rv));
        return API_INTERNAL_ERROR;
    }
    rv = replica_ops_load(t, kind, pid, p);
    if (rv == 0) {
        rv = store_foreach_job(t, active_job_cb, &c);
    }
    if (rv == 0 && store_get_vol(t, REPLICA_PART_FIELD(p, vol_id), &vol) != 0) {
        vol.status = VOL_STATUS_MARK_DELETE;
    }
    store_txn_end(t);
    if (rv == CFS_ENOTFOUND) {
        errors_set(errmsg, "%s",
                   errors_api_message(kind == TOPO_DATA ? API_DATA_PARTITION_NOT_EXISTS
                                                        : API_META_PARTITION_NOT_EXISTS));
        return kind == TOPO_DATA ? API_DATA_PARTITION_NOT_EXISTS : API_META_PARTITION_NOT_EXISTS;
    }
    if (rv != 0) {
        errors_set(errmsg, "reading %s %" PRIu64 ": %s", noun, pid, errors_strerror(rv));
        return API_INTERNAL_ERROR;
    }
    if (replica_ops_host_index(p, src) < 0) {
        errors_set(errmsg, "%s is not a host of %s %" PRIu64, src, noun, pid);
        return API_PARAM_ERROR;
    }
    if (vol.status == VOL_STATUS_MARK_DELETE) {
        errors_set(errmsg, "vol of %s %" PRIu64 " is being deleted", noun, pid);
        return API_VOL_NOT_EXISTS;
    }
    if (c.found) {
        errors_set(errmsg,
                   "%s %" PRIu64 " is already being decommissioned by job %" PRIu64
                   " (%s, from %s%s%s)",
                   noun, pid, active.id, decom_state_name(active.state), active.src_addr,
                   active.dst_addr[0] != '\0' ? " to " : "", active.dst_addr);
        return API_INTERNAL_ERROR;
    }
    replica_ops_survey(m, p, clock_mono_ms(), &h);
    code = replica_ops_check_majority(
        &h, pid, src, decom_request_majority(REPLICA_PART_FIELD(p, replica_num)), errmsg);
    if (code != 0) {
        return code;
    }
    if (REPLICA_PART_FIELD(p, is_recover) && replica_ops_diverged(&h, why, sizeof(why))) {
        errors_set(errmsg, "%s %" PRIu64 " is recovering (%s) and cannot be decommissioned yet",
                   noun, pid, why);
        return API_CANNOT_BE_OFFLINE;
    }
    if (replica_ops_choose_target(m, p, src, vol.zone_name, false, &dst, errmsg) != 0) {
        return kind == TOPO_DATA ? API_NO_DATA_NODE_TO_CREATE_DATA_PARTITION
                                 : API_NO_META_NODE_TO_CREATE_META_PARTITION;
    }
    return 0;
}

int decommission_start_partition(struct master *m, enum topo_kind kind, uint64_t pid,
                                 const char *src, uint64_t *job_id, char *errmsg)
{
    struct replica_part p;
    struct store_job job = {0};
    char key[32];
    int rv;

    replica_ops_lock_key(kind, pid, key, sizeof(key));
    rv = locks_acquire(m->locks, key, "decommission request", m->cfg.sync_task_timeout_ms * 3,
                       errmsg);
    if (rv != 0) {
        return API_INTERNAL_ERROR;
    }
    rv = locks_acquire(m->locks, DECOM_LOCK, "decommission request",
                       m->cfg.sync_task_timeout_ms * 3, errmsg);
    if (rv != 0) {
        locks_release(m->locks, key);
        return API_INTERNAL_ERROR;
    }
    rv = check_partition(m, kind, pid, src, &p, errmsg);
    if (rv == 0) {
        job.kind = part_job_kind(kind);
        job.state = DECOM_MARKED;
        job.partition_id = pid;
        snprintf(job.src_addr, sizeof(job.src_addr), "%s", src);
        rv = record_job(m, &job, kind, NULL, errmsg);
    }
    locks_release(m->locks, DECOM_LOCK);
    locks_release(m->locks, key);
    if (rv == 0) {
        *job_id = job.id;
        log_info("job %" PRIu64 ": decommission %s %" PRIu64 " on %s", job.id,
                 replica_ops_noun(kind), pid, src);
        decommission_kick(m);
    }
    return rv;
}

/* A node with partitions whose first one has nowhere to go cannot be emptied: say so now
 * rather than after a job's retries. */
static int check_node_targets(struct master *m, enum topo_kind kind, struct store_txn *t,
                              const char *addr, char *errmsg)
{
    struct replica_part p;
    struct store_vol vol;
    struct store_peer dst;
    struct hosted h;
    int rv = hosted_collect(t, kind, addr, &h);

    if (rv == 0 && h.n > 0 && replica_ops_load(t, kind, h.ids[0], &p) == 0) {
        if (store_get_vol(t, REPLICA_PART_FIELD(&p, vol_id), &vol) != 0) {
            vol.zone_name[0] = '\0';
        }
        if (replica_ops_choose_target(m, &p, addr, vol.zone_name, false, &dst, errmsg) != 0) {
            rv = kind == TOPO_DATA ? API_NO_DATA_NODE_TO_CREATE_DATA_PARTITION
                                   : API_NO_META_NODE_TO_CREATE_META_PARTITION;
        }
    }
    hosted_free(&h);
    return rv;
}

int decommission_start_node(struct master *m, enum topo_kind kind, const char *addr, uint32_t count,
                            struct store_job *job, bool *existing, char *errmsg)
{
    uint32_t wait_ms = m->cfg.sync_task_timeout_ms * 3;
    char key[16 + STORE_ADDR_SIZE];
    struct store_node node;
    struct store_txn *t;
    int rv;

    *existing = false;
    node_lock_key(addr, key, sizeof(key));
    if (locks_acquire(m->locks, DECOM_LOCK, "decommission request", wait_ms, errmsg) != 0) {
        return API_INTERNAL_ERROR;
    }
    /* The node's record changes under its lock only (registration, zone moves, and here). */
    if (locks_acquire(m->locks, key, "decommission request", wait_ms, errmsg) != 0) {
        locks_release(m->locks, DECOM_LOCK);
        return API_INTERNAL_ERROR;
    }
    rv = store_read_begin(m->store, &t);
    if (rv != 0) {
        errors_set(errmsg, "reading the store: %s", errors_strerror(rv));
        rv = API_INTERNAL_ERROR;
        goto out;
    }
    rv = get_node(t, kind, addr, &node);
    if (rv == CFS_ENOTFOUND) {
        rv = kind == TOPO_DATA ? API_DATA_NODE_NOT_EXISTS : API_META_NODE_NOT_EXISTS;
        errors_set(errmsg, "%s", errors_api_message(rv));
    } else if (rv == 0 && decommission_find_node_job(t, kind, addr, job) == 0 &&
               !decom_is_final(job->state)) {
        *existing = true;
    } else if (rv == 0) {
        rv = check_node_targets(m, kind, t, addr, errmsg);
    }
    store_txn_end(t);
    if (rv != 0 || *existing) {
        goto out;
    }
    memset(job, 0, sizeof(*job));
    job->kind = node_job_kind(kind);
    job->state = DECOM_MARKED;
    job->total = count;
    snprintf(job->src_addr, sizeof(job->src_addr), "%s", addr);
    node.to_be_offline = true;
    rv = record_job(m, job, kind, &node, errmsg);
    if (rv == 0) {
        topo_put_node(m->topo, kind, &node);
        log_info("job %" PRIu64 ": decommission %s node %s (limit %u)", job->id,
                 topo_kind_name(kind), addr, count);
    }
out:
    locks_release(m->locks, key);
    locks_release(m->locks, DECOM_LOCK);
    if (rv == 0) {
        decommission_kick(m);
    }
    return rv;
}
