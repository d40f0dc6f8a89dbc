#define LOG_TAG "master"

#include "master/core/master.h"

#include "admin_task/task_manager.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "master/api/api.h"
#include "master/cluster/pstate.h"
#include "master/cluster/topo.h"
#include "master/core/locks.h"
#include "master/core/views.h"
#include "master/core/workers.h"
#include "master/http/http_server.h"
#include "master/raft/raft_node.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Happy path of a leadership change: Raft elects us -> a barrier makes sure every committed
 * entry is applied -> the node view is reloaded from LMDB -> ready: mutating routes, ID
 * allocation and the schedulers start, the first heartbeat round goes out at once (warm_cb) and
 * the periodic status checks start once it is answered. Losing leadership stops them at once
 * (ready is cleared before anything else), so a deposed master never acts on stale state.
 * Failure modes: a leader whose barrier or start fails hands leadership over rather than keep
 * the group without a serving leader.
 * Shutdown: stop accepting HTTP, let workers finish their operations (they may still need Raft),
 * stop Raft (commits pending writes), close the store. */

int master_http_addr_of(const struct master *m, uint64_t id, char *buf, size_t size)
{
    const struct master_peer *p;
    struct store_master rec;
    struct store_txn *t;
    int rv = CFS_ENOTFOUND;

    /* Masters added with /raftNode/add are only known from their replicated record. */
    if (id != 0 && store_read_begin(m->store, &t) == 0) {
        rv = store_get_master(t, id, &rec);
        store_txn_end(t);
        if (rv == 0) {
            snprintf(buf, size, "%s", rec.http_addr);
            return 0;
        }
    }
    p = master_config_peer(&m->cfg, id);
    snprintf(buf, size, "%s", p != NULL ? p->http_addr : "");
    return p != NULL ? 0 : CFS_ENOTFOUND;
}

void master_leader_http_addr(const struct master *m, char *buf, size_t size)
{
    master_http_addr_of(m, m->leader_id, buf, size);
}

/* --- proposals from workers ----------------------------------------------------------------- */

struct propose_ctx {
    struct master *m;
    struct fsm_cmd *cmd;
    struct fsm_result *res;
    struct loop_call *call;
};

static void propose_done_cb(void *arg, int rv, const struct fsm_result *res)
{
    struct propose_ctx *ctx = arg;

    if (rv == 0) {
        *ctx->res = *res;
    }
    loop_call_done(ctx->call, rv);
}

static void propose_on_loop(struct loop_call *c, void *arg)
{
    struct propose_ctx *ctx = arg;
    int rv;

    ctx->call = c;
    if (!ctx->m->ready) {
        loop_call_done(c, CFS_ENOTLEADER);
        return;
    }
    rv = raft_node_propose(ctx->m->raft, ctx->cmd, ctx->m->cfg.raft_commit_timeout_ms,
                           propose_done_cb, ctx);
    if (rv != 0) {
        loop_call_done(c, rv);
    }
}

void master_propose_error(const struct master *m, int rv, char *errmsg)
{
    switch (rv) {
    case CFS_ENOTLEADER:
        errors_set(errmsg, "this master is no longer the leader; retry on the new leader");
        break;
    case CFS_ETIMEDOUT:
        errors_set(errmsg,
                   "raft commit did not finish within %u ms; the change may still be "
                   "applied",
                   m->cfg.raft_commit_timeout_ms);
        break;
    case CFS_ECANCELED:
        errors_set(errmsg, "the master is shutting down");
        break;
    default:
        errors_set(errmsg, "raft proposal failed: %s", errors_strerror(rv));
        break;
    }
}

int master_propose(struct master *m, struct fsm_cmd *cmd, struct fsm_result *res, char *errmsg)
{
    struct propose_ctx ctx = {.m = m, .cmd = cmd, .res = res};
    int rv = workers_call(m->workers, propose_on_loop, &ctx);

    if (rv != 0) {
        master_propose_error(m, rv, errmsg);
    }
    return rv;
}

int master_propose_async(struct master *m, const struct fsm_cmd *cmd, raft_node_result_cb cb,
                         void *arg, char *errmsg)
{
    int rv = m->ready ? raft_node_propose(m->raft, cmd, m->cfg.raft_commit_timeout_ms, cb, arg)
                      : CFS_ENOTLEADER;

    if (rv != 0) {
        master_propose_error(m, rv, errmsg);
    }
    return rv;
}

int master_alloc_ids(struct master *m, enum store_counter c, uint32_t n, uint64_t *first,
                     char *errmsg)
{
    struct id_range *r = &m->ids[c];
    struct store_txn *t = NULL;
    struct fsm_cmd cmd = {0};
    struct fsm_result res;
    uint64_t ceiling = 0;
    int rv = 0;

    pthread_mutex_lock(&m->ids_lock);
    /* next == 0: nothing reserved yet (the ranges start zeroed), so ID 0 is never handed out. */
    if (r->next > 0 && r->next <= r->last && r->next + n - 1 <= r->last) {
        goto take;
    }
    /* Reserve the next range above everything ever reserved, whoever reserved it. The lock is
     * held across the proposal so two workers never reserve overlapping ranges. */
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = store_get_counter(t, c, &ceiling);
        store_txn_end(t);
    }
    if (rv != 0) {
        errors_set(errmsg, "reading ID counter: %s", errors_strerror(rv));
        goto out;
    }
    cmd.batch = store_batch_new();
    if (cmd.batch == NULL) {
        rv = -ENOMEM;
        goto out;
    }
    rv = store_batch_raise_counter(cmd.batch, c,
                                   ceiling + (n > MASTER_ID_RANGE ? n : MASTER_ID_RANGE));
    if (rv == 0) {
        rv = master_propose(m, &cmd, &res, errmsg);
    }
    if (rv != 0) {
        errors_prefix(errmsg, "reserving IDs");
        goto out;
    }
    r->next = ceiling + 1;
    r->last = ceiling + (n > MASTER_ID_RANGE ? n : MASTER_ID_RANGE);
take:
    *first = r->next;
    r->next += n;
out:
    pthread_mutex_unlock(&m->ids_lock);
    fsm_cmd_clear(&cmd);
    return rv;
}

/* --- partition status ----------------------------------------------------------------------- */

/* A refresh walks every partition on the loop thread (milliseconds for a few hundred). Mutations
 * ask for one each; under a stream of them, refreshes are spaced so that they take at most about
 * a twenty-fifth of the loop: at least REFRESH_GAP_MIN_MS apart, and REFRESH_GAP_FACTOR times the
 * last refresh's duration. Every request but those marked ROUTE_NO_STATUS runs a pending
 * refresh first (master_refresh_pending), so a client that was answered success reads its
 * write. */
#define REFRESH_GAP_MIN_MS 20
#define REFRESH_GAP_FACTOR 25

static void refresh_pstate(struct master *m)
{
    char errmsg[ERRMSG_SIZE] = "";
    uint64_t start = clock_mono_ms();

    m->refresh_pending = false;
    uv_timer_stop(&m->kick_timer);
    if (!m->ready) {
        return;
    }
    m->refresh_start_ms = start;
    if (pstate_refresh(m->pstate, m, start, errmsg) != 0) {
        log_error("%s", errmsg);
        return;
    }
    m->refresh_cost_ms = clock_mono_ms() - start;
    views_forget(m->views); /* the statuses are this master's own now */
}

static void pstate_timer_cb(uv_timer_t *h)
{
    refresh_pstate(h->data);
}

static void kick_timer_cb(uv_timer_t *h)
{
    refresh_pstate(h->data);
}

static void pstate_kick_cb(uv_async_t *h)
{
    struct master *m = h->data;
    uint64_t gap = REFRESH_GAP_FACTOR * m->refresh_cost_ms;
    uint64_t now = clock_mono_ms();

    if (gap < REFRESH_GAP_MIN_MS) {
        gap = REFRESH_GAP_MIN_MS;
    }
    if (m->refresh_start_ms == 0 || now >= m->refresh_start_ms + gap) {
        refresh_pstate(m);
    } else if (!m->refresh_pending) {
        m->refresh_pending = true;
        uv_timer_start(&m->kick_timer, kick_timer_cb, m->refresh_start_ms + gap - now, 0);
    }
}

void master_refresh_soon(struct master *m)
{
    uv_async_send(&m->pstate_kick);
}

void master_refresh_pending(struct master *m)
{
    if (m->refresh_pending) {
        refresh_pstate(m);
    }
}

/* --- the task sender, on its own thread ------------------------------------------------------ */

static void *sender_main(void *arg)
{
    struct master *m = arg;
    char errmsg[ERRMSG_SIZE];

    pthread_mutex_lock(&m->sender_lock);
    for (;;) {
        bool want, ok = true;
        while (m->sender_want == m->sender_on && !m->sender_quit) {
            pthread_cond_wait(&m->sender_cond, &m->sender_lock);
        }
        if (m->sender_want == m->sender_on) {
            break; /* quitting, and nothing left to change */
        }
        want = m->sender_want;
        pthread_mutex_unlock(&m->sender_lock);
        if (!want) {
            task_manager_stop(m->tasks);
            log_info("task sender stopped");
        } else if (task_manager_start(m->tasks, errmsg) != 0) {
            log_error("task sender: %s", errmsg);
            ok = false;
        } else {
            log_info("task sender started");
        }
        pthread_mutex_lock(&m->sender_lock);
        m->sender_on = want && ok;
        if (!ok) {
            m->sender_want = false; /* asked again by the next leadership */
        }
    }
    pthread_mutex_unlock(&m->sender_lock);
    return NULL;
}

/* Loop thread: ask the sender thread to start or stop the task sender (it acts at once). */
static void sender_set(struct master *m, bool on)
{
    pthread_mutex_lock(&m->sender_lock);
    m->sender_want = on;
    pthread_cond_signal(&m->sender_cond);
    pthread_mutex_unlock(&m->sender_lock);
}

static void sender_join(struct master *m)
{
    if (!m->sender_thread_started) {
        return;
    }
    pthread_mutex_lock(&m->sender_lock);
    m->sender_quit = true;
    m->sender_want = false;
    pthread_cond_signal(&m->sender_cond);
    pthread_mutex_unlock(&m->sender_lock);
    pthread_join(m->sender_thread, NULL);
    m->sender_thread_started = false;
}

/* --- leadership ----------------------------------------------------------------------------- */

static int load_node_cb(const struct store_node *n, void *arg, enum topo_kind kind)
{
    struct master *m = arg;
    char errmsg[ERRMSG_SIZE];
    int rv = topo_put_node(m->topo, kind, n);

    if (rv == 0) {
        rv = task_manager_add_node(m->tasks, n->addr, errmsg);
    }
    return rv;
}

static int load_datanode_cb(const struct store_node *n, void *arg)
{
    return load_node_cb(n, arg, TOPO_DATA);
}

static int load_metanode_cb(const struct store_node *n, void *arg)
{
    return load_node_cb(n, arg, TOPO_META);
}

static int load_nodeset_cb(const struct store_nodeset *ns, void *arg)
{
    return topo_put_nodeset(((struct master *)arg)->topo, ns);
}

/* The node view is soft state: a new leader rebuilds it from the records and fresh heartbeats. */
static int load_topology(struct master *m, char *errmsg)
{
    struct store_txn *t;
    int rv;

    topo_clear(m->topo);
    rv = store_read_begin(m->store, &t);
    if (rv == 0) {
        rv = store_foreach_nodeset(t, load_nodeset_cb, m);
        if (rv == 0) {
            rv = store_foreach_datanode(t, load_datanode_cb, m);
        }
        if (rv == 0) {
            rv = store_foreach_metanode(t, load_metanode_cb, m);
        }
        store_txn_end(t);
    }
    if (rv != 0) {
        errors_set(errmsg, "loading nodes: %s", errors_strerror(rv));
    }
    return rv;
}

bool master_warming_up(const struct master *m)
{
    return m->ready && m->pstate_handles && uv_is_active((const uv_handle_t *)&m->warm_timer);
}

/* The first heartbeat round of a new leader. The first tick comes right after the heartbeat
 * timer queued the round (same due time, started later), so starting the task sender here sends
 * it at once instead of a task tick later. The round is over when every node has answered, or
 * after one heartbeat interval for nodes that are down; only then do the periodic status checks
 * start, so they never judge partitions from no reports (a mutation still refreshes at once). */
static void warm_cb(uv_timer_t *h)
{
    struct master *m = h->data;
    struct topo_counts c;
    uint64_t now = clock_mono_ms();

    if (!m->ready) {
        uv_timer_stop(h);
        return;
    }
    sender_set(m, true); /* a no-op after the first tick */
    topo_counts(m->topo, &c);
    if (c.inactive[TOPO_DATA] + c.inactive[TOPO_META] > 0 && now < m->warm_deadline_ms) {
        return;
    }
    uv_timer_stop(h);
    uv_timer_start(&m->pstate_timer, pstate_timer_cb, 0, m->cfg.partition_check_ms);
    log_info("first heartbeat round done: %u of %u nodes answered",
             c.active[TOPO_DATA] + c.active[TOPO_META],
             c.active[TOPO_DATA] + c.active[TOPO_META] + c.inactive[TOPO_DATA] +
                 c.inactive[TOPO_META]);
}

/* A leader that cannot serve must not keep the group without a serving leader. */
static void hand_over(struct master *m, const char *why)
{
    char errmsg[ERRMSG_SIZE] = "";

    log_error("cannot take up leadership: %s; handing leadership over", why);
    if (raft_node_transfer(m->raft, 0, NULL, NULL, errmsg) != 0) {
        log_error("leadership transfer: %s", errmsg);
    }
}

static void become_ready(struct master *m)
{
    char errmsg[ERRMSG_SIZE] = "";
    uint64_t now = clock_mono_ms();
    bool inherited = views_fresh(m->views, now);

    /* ID ranges are kept: a range reserved through Raft stays this master's, since every later
     * reservation, by any leader, starts above the counter that includes it. */
    m->term_ready = raft_node_term(m->raft);
    if (!inherited) {
        pstate_clear(m->pstate);
        views_forget(m->views);
    }
    if (load_topology(m, errmsg) != 0 || api_leader_start(m, errmsg) != 0) {
        api_leader_stop(m);
        hand_over(m, errmsg);
        return;
    }
    m->ready = true;
    m->warm_deadline_ms = now + m->cfg.heartbeat_interval_ms;
    uv_timer_start(&m->warm_timer, warm_cb, 0, m->cfg.tick_interval);
    if (!inherited) {
        /* With no copy to serve, statuses from no reports beat "vol not exists". */
        refresh_pstate(m);
    }
    log_info("leader ready at applied index %" PRIu64 " (term %" PRIu64 ")%s",
             raft_node_applied(m->raft), m->term_ready,
             inherited ? "; serving the previous leader's partition statuses until the first "
                         "heartbeat round"
                       : "");
}

static void barrier_cb(void *arg, int rv)
{
    struct master *m = arg;

    if (!m->leader || m->stopping) {
        log_info("leadership barrier ended without leadership (%s)", errors_strerror(rv));
        return;
    }
    if (rv != 0) {
        hand_over(m, errors_strerror(rv));
        return;
    }
    become_ready(m);
}

/* Everything leader-only stops here, on the loop, at once: timers are stopped before this
 * returns and the task sender is told to stop (its thread sends nothing new from then on). */
static void step_down(struct master *m)
{
    bool was_ready = m->ready;

    m->ready = false;
    if (was_ready) {
        uv_timer_stop(&m->pstate_timer);
        uv_timer_stop(&m->warm_timer);
        uv_timer_stop(&m->kick_timer);
        m->refresh_pending = false;
        pstate_clear(m->pstate);
        views_forget(m->views);
        sender_set(m, false);
        api_leader_stop(m);
        log_info("leader duties stopped");
    }
}

static void on_leader_cb(void *arg, bool leader, uint64_t leader_id)
{
    struct master *m = arg;
    int rv;

    m->leader_id = leader_id;
    if (leader == m->leader) {
        return;
    }
    m->leader = leader;
    if (!leader) {
        step_down(m);
        return;
    }
    /* Serve nothing until everything committed by earlier leaders is applied here. */
    rv = raft_node_barrier(m->raft, barrier_cb, m);
    if (rv != 0) {
        hand_over(m, errors_strerror(rv));
    }
}

/* --- start / stop ---------------------------------------------------------------------------- */

static void raft_stopped_cb(void *arg)
{
    struct master *m = arg;

    uv_stop(m->loop);
}

static void workers_stopped_cb(void *arg)
{
    struct master *m = arg;

    m->workers = NULL;
    if (m->raft != NULL) {
        raft_node_stop(m->raft, raft_stopped_cb, m);
    } else {
        uv_stop(m->loop);
    }
}

static void shutdown_master(struct master *m)
{
    if (m->stopping) {
        return;
    }
    m->stopping = true;
    log_info("shutting down");
    step_down(m);
    m->leader = false;
    if (m->http != NULL) {
        http_server_stop(m->http, NULL, NULL);
    }
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
    if (m->pstate_handles) {
        uv_close((uv_handle_t *)&m->pstate_timer, NULL);
        uv_close((uv_handle_t *)&m->pstate_kick, NULL);
        uv_close((uv_handle_t *)&m->kick_timer, NULL);
        uv_close((uv_handle_t *)&m->warm_timer, NULL);
    }
    views_stop(m->views);
    /* Workers first: their operations may still need Raft. */
    if (m->workers != NULL) {
        workers_stop(m->workers, workers_stopped_cb, m);
    } else {
        workers_stopped_cb(m);
    }
}

static void signal_cb(uv_signal_t *h, int signum)
{
    log_info("signal %d", signum);
    shutdown_master(h->data);
}

/* A store that already belongs to another cluster must never be joined to this one. */
static int check_cluster_name(struct master *m, char *errmsg)
{
    struct store_cluster c;
    struct store_txn *t;
    int rv = store_read_begin(m->store, &t);

    if (rv != 0) {
        errors_set(errmsg, "reading the store: %s", errors_strerror(rv));
        return rv;
    }
    rv = store_get_cluster(t, &c);
    store_txn_end(t);
    if (rv == CFS_ENOTFOUND) {
        return 0;
    }
    if (rv == 0 && strcmp(c.name, m->cfg.cluster_name) != 0) {
        errors_set(errmsg,
                   "storeDir %s holds cluster \"%s\" but clusterName is \"%s\"; refusing "
                   "to start",
                   m->cfg.store_dir, c.name, m->cfg.cluster_name);
        return -EINVAL;
    }
    return rv;
}

static int open_parts(struct master *m, char *errmsg)
{
    struct raft_node_options ro;
    struct store_options so;
    struct task_policy tp;
    char path[MASTER_PATH_SIZE + 32];
    int rv;

    rv = fsutil_mkdirs(m->cfg.store_dir, errmsg);
    if (rv == 0) {
        rv = fsutil_mkdirs(m->cfg.wal_dir, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    store_options_default(&so);
    snprintf(path, sizeof(path), "%s/cluster.mdb", m->cfg.store_dir);
    rv = store_open(path, &so, &m->store, errmsg);
    if (rv == 0) {
        rv = check_cluster_name(m, errmsg);
    }
    if (rv == 0) {
        rv = fsm_new(m->store, &m->fsm);
    }
    if (rv != 0) {
        return rv;
    }
    task_policy_default(&tp);
    tp.tick_ms = m->cfg.task_tick_ms;
    tp.resend_ms = m->cfg.task_resend_ms;
    tp.timeout_ms = m->cfg.task_timeout_ms;
    tp.sync_timeout_ms = m->cfg.sync_task_timeout_ms;
    tp.pool.dial_timeout_ms = m->cfg.dial_timeout_ms;
    rv = task_manager_new(&tp, &m->tasks, errmsg);
    if (rv == 0) {
        rv = locks_new(&m->locks);
    }
    if (rv == 0) {
        rv = topo_new(&m->topo);
    }
    if (rv == 0) {
        rv = pstate_new(&m->pstate);
    }
    if (rv == 0) {
        rv = workers_start(m->loop, m->cfg.worker_threads, &m->workers);
    }
    if (rv == 0) {
        rv = -pthread_create(&m->sender_thread, NULL, sender_main, m);
        m->sender_thread_started = rv == 0;
        if (rv != 0) {
            errors_set(errmsg, "task sender thread: %s", errors_strerror(rv));
        }
    }
    if (rv == 0) {
        rv = views_start(m, &m->views);
        if (rv != 0) {
            errors_set(errmsg, "client views copy: %s", errors_strerror(rv));
        }
    }
    if (rv == 0) {
        rv = api_init(m, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    raft_node_options_default(&ro);
    ro.id = m->cfg.id;
    snprintf(ro.addr, sizeof(ro.addr), "%s", master_config_peer(&m->cfg, m->cfg.id)->raft_addr);
    ro.dir = m->cfg.wal_dir;
    ro.fsm = m->fsm;
    /* Only a master with no state at all forms the group; one with state never re-forms it. */
    ro.bootstrap = store_applied_index(m->store) == 0 && !m->cfg.join;
    for (uint32_t i = 0; i < m->cfg.npeers && i < RAFT_NODE_MAX_MEMBERS; i++) {
        ro.members[i].id = m->cfg.peers[i].id;
        snprintf(ro.members[i].addr, sizeof(ro.members[i].addr), "%s", m->cfg.peers[i].raft_addr);
        ro.members[i].role = RAFT_NODE_VOTER;
        ro.nmembers++;
    }
    ro.heartbeat_ms = m->cfg.tick_interval;
    ro.election_timeout_ms = m->cfg.tick_interval * m->cfg.election_tick;
    ro.snapshot_threshold = m->cfg.snapshot_threshold;
    ro.snapshot_trailing = m->cfg.retain_logs;
    ro.on_leader = on_leader_cb;
    ro.arg = m;
    uv_timer_init(m->loop, &m->pstate_timer);
    m->pstate_timer.data = m;
    uv_async_init(m->loop, &m->pstate_kick, pstate_kick_cb);
    m->pstate_kick.data = m;
    uv_timer_init(m->loop, &m->kick_timer);
    m->kick_timer.data = m;
    uv_timer_init(m->loop, &m->warm_timer);
    m->warm_timer.data = m;
    m->pstate_handles = true;
    rv = raft_node_start(m->loop, &ro, &m->raft, errmsg);
    if (rv != 0) {
        return rv;
    }
    return api_http_start(m, errmsg);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

/* Handles still open at the end (h2o connections, the listener) are closed so the loop can be
 * closed and its memory released. */
static void close_loop(uv_loop_t *loop)
{
    uv_walk(loop, close_walk_cb, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        log_warn("event loop still busy at exit");
    }
}

int master_run(const struct master_config *cfg)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct master *m = calloc(1, sizeof(*m));
    uv_loop_t loop;
    int code;

    if (m == NULL) {
        fprintf(stderr, "cfs-master: out of memory\n");
        return 1;
    }
    m->cfg = *cfg;
    uv_loop_init(&loop);
    m->loop = &loop;
    pthread_mutex_init(&m->ids_lock, NULL);
    pthread_mutex_init(&m->sender_lock, NULL);
    pthread_cond_init(&m->sender_cond, NULL);
    /* libuv writes to sockets whose peer may have gone; that must be an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    uv_signal_init(&loop, &m->sigterm);
    uv_signal_init(&loop, &m->sigint);
    m->sigterm.data = m;
    m->sigint.data = m;
    uv_signal_start(&m->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&m->sigint, signal_cb, SIGINT);
    if (open_parts(m, errmsg) != 0) {
        log_error("%s", errmsg);
        fprintf(stderr, "cfs-master: %s\n", errmsg);
        m->exit_code = 1;
        /* What did start stops in the same order as on SIGTERM. */
        shutdown_master(m);
    } else {
        log_info("cfs-master %" PRIu64 " of cluster %s: http %s:%u, raft %s, data %s", m->cfg.id,
                 m->cfg.cluster_name, m->cfg.ip, m->cfg.listen,
                 master_config_peer(&m->cfg, m->cfg.id)->raft_addr, m->cfg.data_dir);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    /* h2o closes its own handles; whatever is left after that is closed by close_loop. */
    http_server_dispose(m->http);
    close_loop(&loop);
    http_server_free(m->http);
    sender_join(m);
    views_free(m->views);
    task_manager_free(m->tasks);
    locks_free(m->locks);
    pstate_free(m->pstate);
    topo_free(m->topo);
    api_free(m);
    fsm_free(m->fsm);
    store_close(m->store);
    pthread_mutex_destroy(&m->ids_lock);
    pthread_mutex_destroy(&m->sender_lock);
    pthread_cond_destroy(&m->sender_cond);
    code = m->exit_code;
    free(m);
    log_info("stopped");
    return code;
}
