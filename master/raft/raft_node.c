#define LOG_TAG "raft"

#include "master/raft/raft_node.h"

#include "common/clock.h"
#include "common/fsutil.h"
#include "common/log.h"

#include <errno.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A proposal outlives its user callback when it times out: raft still references req until its
 * own callback fires, so both sides are tracked and the memory goes when both are done. */
struct proposal {
    struct raft_apply apply;
    struct raft_barrier barrier;
    struct raft_node *n;
    raft_node_result_cb result_cb;
    raft_node_done_cb done_cb;
    void *arg;
    uint64_t deadline_ms;
    int rv;
    struct fsm_result res;
    bool ready;     /* raft answered; the user is told after the next commit */
    bool raft_done; /* raft will not touch the request again */
    bool user_done; /* the user callback has fired */
    struct proposal *prev, *next;
};

/* How long applies nobody waits for may stay uncommitted in LMDB. */
#define LAZY_COMMIT_MS 10

struct raft_node {
    uv_loop_t *loop;
    struct raft raft;
    struct raft_io io;
    struct raft_uv_transport transport;
    struct raft_fsm rfsm;
    struct fsm *fsm;
    struct fsm_result slot; /* apply results: raft hands the pointer to the apply callback */
    uv_check_t check;       /* commits once per loop iteration, then completes proposals */
    uv_timer_t lazy_commit; /* commits applies nobody waits for (see check_cb) */
    uv_timer_t poll;        /* leader changes and proposal deadlines */
    struct proposal *proposals;
    struct raft_change change;
    raft_node_done_cb change_cb;
    void *change_arg;
    bool change_busy;
    struct raft_transfer transfer;
    uint64_t transfer_target;
    raft_node_done_cb transfer_cb;
    void *transfer_arg;
    bool transfer_busy;
    uint64_t id;
    bool was_leader;
    uint64_t last_leader;
    uint64_t leader_term; /* the term in which this member last became leader */
    /* Leader: when each member was last heard from. libraft only keeps a per-follower "received
     * within this election timeout" flag that it clears every election timeout, so the poll
     * turns it into a time. */
    struct {
        uint64_t id;
        uint64_t ms;
    } contacts[RAFT_NODE_MAX_MEMBERS];
    void (*on_leader)(void *arg, bool leader, uint64_t leader_id);
    void *on_leader_arg;
    bool closing;
    int pending_closes;
    void (*stop_cb)(void *arg);
    void *stop_arg;
};

void raft_node_options_default(struct raft_node_options *o)
{
    memset(o, 0, sizeof(*o));
    o->election_timeout_ms = 1000;
    o->heartbeat_ms = 100;
    o->snapshot_threshold = 8192;
    o->snapshot_trailing = 2048;
    o->install_snapshot_timeout_ms = 5000;
}

/* Applying or committing failed on this master only: its LMDB would now lag the log. The log is
 * durable, so stopping and replaying on restart is the safe way out. */
__attribute__((noreturn)) static void fatal(const char *what, const char *errmsg)
{
    log_error("fatal: %s: %s; stopping so a restart replays the Raft log", what, errmsg);
    abort();
}

static int map_raft_error(int status)
{
    switch (status) {
    case 0:
        return 0;
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
        return CFS_ENOTLEADER;
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
        return CFS_ECANCELED;
    case RAFT_NOMEM:
        return -ENOMEM;
    case RAFT_CANTCHANGE:
    case RAFT_BUSY:
        return -EBUSY;
    case RAFT_BADID:
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
    case RAFT_BADROLE:
    case RAFT_NOTFOUND:
    case RAFT_INVALID:
        return -EINVAL;
    default:
        return -EIO;
    }
}

/* --- FSM adapter ------------------------------------------------------------------------- */

static int fsm_apply_cb(struct raft_fsm *rf, const struct raft_buffer *buf, void **result)
{
    struct raft_node *n = rf->data;
    /* 0.15 passes no index; last_applied is bumped after this returns, so +1 is this entry. */
    uint64_t index = raft_last_applied(&n->raft) + 1;
    char errmsg[ERRMSG_SIZE] = "";
    bool skipped;

    if (fsm_apply(n->fsm, index, buf->base, buf->len, &n->slot, &skipped, errmsg) != 0) {
        fatal("apply", errmsg);
    }
    if (skipped) {
        memset(&n->slot, 0, sizeof(n->slot));
        n->slot.index = index;
    }
    *result = &n->slot;
    return 0;
}

static void commit_or_die(struct raft_node *n)
{
    char errmsg[ERRMSG_SIZE] = "";

    if (fsm_commit(n->fsm, errmsg) != 0) {
        fatal("commit", errmsg);
    }
}

static int fsm_snapshot_cb(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct raft_node *n = rf->data;
    char errmsg[ERRMSG_SIZE] = "";
    struct raft_buffer *b;
    void *data;
    size_t len;
    int rv;

    /* The snapshot must hold everything applied so far, including this iteration's writes. */
    commit_or_die(n);
    b = raft_malloc(sizeof(*b));
    if (b == NULL) {
        return RAFT_NOMEM;
    }
    rv = store_snapshot_export(fsm_store(n->fsm), &data, &len, errmsg);
    if (rv != 0) {
        log_error("snapshot export failed: %s", errmsg);
        raft_free(b);
        return RAFT_IOERR;
    }
    b->base = data;
    b->len = len;
    *bufs = b;
    *n_bufs = 1;
    log_info("snapshot at applied index %llu: %zu bytes", (unsigned long long)fsm_applied(n->fsm),
             len);
    return 0;
}

/* With snapshot_finalize set, the buffers stay ours and are released here. */
static int fsm_snapshot_finalize_cb(struct raft_fsm *rf, struct raft_buffer *bufs[],
                                    unsigned *n_bufs)
{
    (void)rf;
    if (*bufs != NULL) {
        for (unsigned i = 0; i < *n_bufs; i++) {
            free((*bufs)[i].base);
        }
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

static int fsm_restore_cb(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct raft_node *n = rf->data;
    char errmsg[ERRMSG_SIZE] = "";
    int rv;

    rv = fsm_restore(n->fsm, buf->base, buf->len, errmsg);
    if (rv != 0) {
        log_error("snapshot restore failed: %s", errmsg);
        return RAFT_IOERR;
    }
    log_info("installed a snapshot: store at applied index %llu (%zu bytes)",
             (unsigned long long)fsm_applied(n->fsm), buf->len);
    raft_free(buf->base);
    return 0;
}

/* --- proposals ------------------------------------------------------------------------------ */

static void proposal_link(struct raft_node *n, struct proposal *p)
{
    p->next = n->proposals;
    if (n->proposals != NULL) {
        n->proposals->prev = p;
    }
    n->proposals = p;
}

static void proposal_release(struct proposal *p)
{
    struct raft_node *n = p->n;

    if (!p->raft_done || !p->user_done) {
        return;
    }
    if (p->prev != NULL) {
        p->prev->next = p->next;
    } else {
        n->proposals = p->next;
    }
    if (p->next != NULL) {
        p->next->prev = p->prev;
    }
    free(p);
}

static void proposal_finish(struct proposal *p, int rv)
{
    if (p->user_done) {
        return;
    }
    p->user_done = true;
    if (p->result_cb != NULL) {
        p->result_cb(p->arg, rv, rv == 0 ? &p->res : NULL);
    } else if (p->done_cb != NULL) {
        p->done_cb(p->arg, rv);
    }
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct proposal *p = req->data;

    p->raft_done = true;
    p->rv = map_raft_error(status);
    if (status == 0 && result != NULL) {
        p->res = *(const struct fsm_result *)result;
    }
    p->ready = true;
    proposal_release(p);
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct proposal *p = req->data;

    p->raft_done = true;
    p->rv = map_raft_error(status);
    p->ready = true;
    proposal_release(p);
}

static void lazy_commit_cb(uv_timer_t *h)
{
    struct raft_node *n = h->data;

    if (!n->closing && fsm_dirty(n->fsm)) {
        commit_or_die(n);
    }
}

static bool anyone_waits(const struct raft_node *n)
{
    for (const struct proposal *p = n->proposals; p != NULL; p = p->next) {
        if (p->ready && !p->user_done) {
            return true;
        }
    }
    return false;
}

/* Once per loop iteration: make this iteration's applies durable in LMDB, then tell proposers.
 * Applies nobody waits for (a follower's, or entries proposed elsewhere) are committed at most
 * LAZY_COMMIT_MS later instead, with whatever follows them: every commit is a disk sync on the
 * loop, and the Raft log already holds them durably (a restart replays what LMDB lacks). */
static void check_cb(uv_check_t *h)
{
    struct raft_node *n = h->data;
    struct proposal *p, *next;

    if (n->closing) {
        return;
    }
    if (fsm_dirty(n->fsm)) {
        if (anyone_waits(n)) {
            uv_timer_stop(&n->lazy_commit);
            commit_or_die(n);
        } else if (!uv_is_active((uv_handle_t *)&n->lazy_commit)) {
            uv_timer_start(&n->lazy_commit, lazy_commit_cb, LAZY_COMMIT_MS, 0);
        }
    }
    for (p = n->proposals; p != NULL; p = next) {
        next = p->next;
        if (p->ready && !p->user_done) {
            proposal_finish(p, p->rv);
            proposal_release(p);
        }
    }
}

static struct proposal *proposal_new(struct raft_node *n, uint32_t timeout_ms)
{
    struct proposal *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    p->n = n;
    p->deadline_ms = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : 0;
    p->apply.data = p;
    p->barrier.data = p;
    return p;
}

int raft_node_propose(struct raft_node *n, const struct fsm_cmd *cmd, uint32_t timeout_ms,
                      raft_node_result_cb cb, void *arg)
{
    struct raft_buffer buf = {0};
    struct proposal *p = NULL;
    int rv;

    if (n->closing) {
        return CFS_ECANCELED;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        return CFS_ENOTLEADER;
    }
    p = proposal_new(n, timeout_ms);
    if (p == NULL) {
        return -ENOMEM;
    }
    rv = fsm_cmd_encode(cmd, raft_malloc, &buf.base, &buf.len);
    if (rv != 0) {
        goto out;
    }
    p->result_cb = cb;
    p->arg = arg;
    rv = raft_apply(&n->raft, &p->apply, &buf, 1, apply_cb);
    if (rv != 0) {
        log_warn("raft_apply: %s", raft_strerror(rv));
        raft_free(buf.base);
        rv = map_raft_error(rv);
        goto out;
    }
    proposal_link(n, p);
    p = NULL;
out:
    free(p);
    return rv;
}

int raft_node_barrier(struct raft_node *n, raft_node_done_cb cb, void *arg)
{
    struct proposal *p;
    int rv;

    if (n->closing) {
        return CFS_ECANCELED;
    }
    p = proposal_new(n, 0);
    if (p == NULL) {
        return -ENOMEM;
    }
    p->done_cb = cb;
    p->arg = arg;
    rv = raft_barrier(&n->raft, &p->barrier, barrier_cb);
    if (rv != 0) {
        free(p);
        return map_raft_error(rv);
    }
    proposal_link(n, p);
    return 0;
}

/* --- leadership, deadlines ------------------------------------------------------------------ */

static void note_contacts(struct raft_node *n, uint64_t now)
{
    const struct raft_configuration *c = &n->raft.configuration;

    for (unsigned i = 0; i < c->n; i++) {
        raft_id id = c->servers[i].id;
        size_t k = 0;
        if (id != n->id && !n->raft.leader_state.progress[i].recent_recv) {
            continue;
        }
        /* Slots fill in order and are only cleared together: the member's slot or the first
         * free one. */
        while (k < RAFT_NODE_MAX_MEMBERS && n->contacts[k].id != id && n->contacts[k].id != 0) {
            k++;
        }
        if (k < RAFT_NODE_MAX_MEMBERS) {
            n->contacts[k].id = id;
            n->contacts[k].ms = now;
        }
    }
}

static uint64_t contact_of(struct raft_node *n, uint64_t id)
{
    if (!raft_node_is_leader(n)) {
        return 0;
    }
    if (id == n->id) {
        return clock_mono_ms();
    }
    for (size_t k = 0; k < RAFT_NODE_MAX_MEMBERS; k++) {
        if (n->contacts[k].id == id) {
            return n->contacts[k].ms;
        }
    }
    return 0;
}

static void poll_cb(uv_timer_t *h)
{
    struct raft_node *n = h->data;
    uint64_t now = clock_mono_ms();
    struct proposal *p, *next;
    const char *addr;
    raft_id leader;
    bool is_leader;

    if (n->closing) {
        return;
    }
    raft_leader(&n->raft, &leader, &addr);
    is_leader = raft_state(&n->raft) == RAFT_LEADER;
    /* Leadership lost and won again between two polls is two changes: whatever the master built
     * for the old term (its barrier, its caches) must be rebuilt for the new one. */
    if (is_leader && n->was_leader && n->raft.current_term != n->leader_term) {
        log_info("leadership of term %llu ended", (unsigned long long)n->leader_term);
        n->was_leader = false;
        if (n->on_leader != NULL) {
            n->on_leader(n->on_leader_arg, false, 0);
        }
    }
    if (is_leader != n->was_leader || leader != n->last_leader) {
        log_info("leader is now %llu%s (term %llu)", (unsigned long long)leader,
                 is_leader ? " (this master)" : "", (unsigned long long)n->raft.current_term);
        n->was_leader = is_leader;
        n->last_leader = leader;
        n->leader_term = is_leader ? n->raft.current_term : 0;
        memset(n->contacts, 0, sizeof(n->contacts));
        if (n->on_leader != NULL) {
            n->on_leader(n->on_leader_arg, is_leader, leader);
        }
    }
    if (is_leader) {
        note_contacts(n, now);
    }
    for (p = n->proposals; p != NULL; p = next) {
        next = p->next;
        if (!p->user_done && p->deadline_ms != 0 && now >= p->deadline_ms) {
            proposal_finish(p, CFS_ETIMEDOUT);
            proposal_release(p);
        }
    }
}

bool raft_node_is_leader(struct raft_node *n)
{
    return !n->closing && raft_state(&n->raft) == RAFT_LEADER;
}

const char *raft_node_role_name(enum raft_node_role role)
{
    switch (role) {
    case RAFT_NODE_VOTER:
        return "voter";
    case RAFT_NODE_SPARE:
        return "spare";
    default:
        return "standby";
    }
}

const char *raft_node_state_name(struct raft_node *n)
{
    switch (n->closing ? RAFT_UNAVAILABLE : raft_state(&n->raft)) {
    case RAFT_LEADER:
        return "leader";
    case RAFT_FOLLOWER:
        return "follower";
    case RAFT_CANDIDATE:
        return "candidate";
    default:
        return "unavailable";
    }
}

uint64_t raft_node_leader(struct raft_node *n, const char **addr)
{
    raft_id id = 0;
    const char *a = NULL;

    raft_leader(&n->raft, &id, &a);
    if (addr != NULL) {
        *addr = a;
    }
    return id;
}

uint64_t raft_node_id(const struct raft_node *n)
{
    return n->id;
}

uint64_t raft_node_applied(struct raft_node *n)
{
    return raft_last_applied(&n->raft);
}

uint64_t raft_node_last_index(struct raft_node *n)
{
    return raft_last_index(&n->raft);
}

uint64_t raft_node_term(struct raft_node *n)
{
    return n->raft.current_term;
}

size_t raft_node_members(struct raft_node *n, struct raft_node_member *out, size_t max)
{
    const struct raft_configuration *c = &n->raft.configuration;

    for (unsigned i = 0; i < c->n && i < max; i++) {
        out[i].id = c->servers[i].id;
        snprintf(out[i].addr, sizeof(out[i].addr), "%s", c->servers[i].address);
        out[i].role = c->servers[i].role;
        out[i].contact_ms = contact_of(n, c->servers[i].id);
    }
    return c->n;
}

/* --- membership ----------------------------------------------------------------------------- */

static void change_cb(struct raft_change *req, int status)
{
    struct raft_node *n = req->data;
    raft_node_done_cb cb = n->change_cb;

    n->change_busy = false;
    n->change_cb = NULL;
    if (cb != NULL) {
        cb(n->change_arg, map_raft_error(status));
    }
}

static int change_begin(struct raft_node *n, raft_node_done_cb cb, void *arg, char *errmsg)
{
    if (n->closing) {
        errors_set(errmsg, "master is shutting down");
        return CFS_ECANCELED;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        errors_set(errmsg, "not the leader");
        return CFS_ENOTLEADER;
    }
    if (n->change_busy) {
        errors_set(errmsg, "a membership change is already in progress");
        return -EBUSY;
    }
    n->change.data = n;
    n->change_cb = cb;
    n->change_arg = arg;
    return 0;
}

static int change_started(struct raft_node *n, int rv, const char *what, char *errmsg)
{
    if (rv != 0) {
        n->change_cb = NULL;
        errors_set(errmsg, "%s: %s", what, raft_strerror(rv));
        return map_raft_error(rv);
    }
    n->change_busy = true;
    return 0;
}

int raft_node_add(struct raft_node *n, uint64_t id, const char *addr, raft_node_done_cb cb,
                  void *arg, char *errmsg)
{
    int rv = change_begin(n, cb, arg, errmsg);

    if (rv != 0) {
        return rv;
    }
    return change_started(n, raft_add(&n->raft, &n->change, id, addr, change_cb), "add", errmsg);
}

int raft_node_assign(struct raft_node *n, uint64_t id, int role, raft_node_done_cb cb, void *arg,
                     char *errmsg)
{
    int rv = change_begin(n, cb, arg, errmsg);

    if (rv != 0) {
        return rv;
    }
    return change_started(n, raft_assign(&n->raft, &n->change, id, role, change_cb), "assign",
                          errmsg);
}

int raft_node_remove(struct raft_node *n, uint64_t id, raft_node_done_cb cb, void *arg,
                     char *errmsg)
{
    int rv = change_begin(n, cb, arg, errmsg);

    if (rv != 0) {
        return rv;
    }
    return change_started(n, raft_remove(&n->raft, &n->change, id, change_cb), "remove", errmsg);
}

static void transfer_cb(struct raft_transfer *req)
{
    struct raft_node *n = req->data;
    raft_node_done_cb cb = n->transfer_cb;
    raft_id leader = 0;
    const char *addr;

    n->transfer_busy = false;
    n->transfer_cb = NULL;
    raft_leader(&n->raft, &leader, &addr);
    if (cb != NULL) {
        /* 0.15 reports no status: success is "the leader is someone else now". */
        bool moved = leader != n->id && (n->transfer_target == 0 || leader == n->transfer_target);
        cb(n->transfer_arg, moved ? 0 : CFS_ETIMEDOUT);
    }
}

int raft_node_transfer(struct raft_node *n, uint64_t id, raft_node_done_cb cb, void *arg,
                       char *errmsg)
{
    int rv;

    if (raft_state(&n->raft) != RAFT_LEADER) {
        errors_set(errmsg, "not the leader");
        return CFS_ENOTLEADER;
    }
    if (n->transfer_busy) {
        errors_set(errmsg, "a leadership transfer is already in progress");
        return -EBUSY;
    }
    n->transfer.data = n;
    n->transfer_target = id;
    n->transfer_cb = cb;
    n->transfer_arg = arg;
    rv = raft_transfer(&n->raft, &n->transfer, id, transfer_cb);
    if (rv != 0) {
        n->transfer_cb = NULL;
        errors_set(errmsg, "transfer leadership: %s", raft_strerror(rv));
        return map_raft_error(rv);
    }
    n->transfer_busy = true;
    return 0;
}

/* --- start / stop ----------------------------------------------------------------------------- */

static void failed_start_closed_cb(struct raft *r)
{
    struct raft_node *n = r->data;

    raft_uv_close(&n->io);
    raft_uv_tcp_close(&n->transport);
    n->closing = false; /* tells raft_node_start the close has finished */
}

static int bootstrap(struct raft_node *n, const struct raft_node_options *o, char *errmsg)
{
    struct raft_configuration conf;
    int rv = 0;

    raft_configuration_init(&conf);
    for (uint32_t i = 0; i < o->nmembers && rv == 0; i++) {
        rv = raft_configuration_add(&conf, o->members[i].id, o->members[i].addr, RAFT_VOTER);
    }
    if (rv == 0) {
        rv = raft_bootstrap(&n->raft, &conf);
        /* The log already holds a configuration: this member has state and must not re-form. */
        if (rv == RAFT_CANTBOOTSTRAP) {
            log_info("raft log already initialised; not bootstrapping");
            rv = 0;
        }
    }
    raft_configuration_close(&conf);
    if (rv != 0) {
        errors_set(errmsg, "bootstrap: %s", raft_strerror(rv));
        return map_raft_error(rv);
    }
    return 0;
}

/* libraft 0.15's raft_barrier() leaves its entry's 8-byte payload uninitialised and writes it to
 * the log: stray heap bytes on disk, and valgrind errors in every master. libraft's memory
 * comes zeroed instead (its buffers are small; zeroing costs nothing measurable). */
static void *heap_malloc(void *data, size_t size)
{
    (void)data;
    return calloc(1, size);
}

static void heap_free(void *data, void *ptr)
{
    (void)data;
    free(ptr);
}

static void *heap_calloc(void *data, size_t nmemb, size_t size)
{
    (void)data;
    return calloc(nmemb, size);
}

static void *heap_realloc(void *data, void *ptr, size_t size)
{
    (void)data;
    return realloc(ptr, size);
}

static void *heap_aligned_alloc(void *data, size_t alignment, size_t size)
{
    (void)data;
    return aligned_alloc(alignment, size);
}

static void heap_aligned_free(void *data, size_t alignment, void *ptr)
{
    (void)data;
    (void)alignment;
    free(ptr);
}

static struct raft_heap zeroed_heap = {
    .malloc = heap_malloc,
    .free = heap_free,
    .calloc = heap_calloc,
    .realloc = heap_realloc,
    .aligned_alloc = heap_aligned_alloc,
    .aligned_free = heap_aligned_free,
};

int raft_node_start(uv_loop_t *loop, const struct raft_node_options *o, struct raft_node **out,
                    char *errmsg)
{
    struct raft_node *n = calloc(1, sizeof(*n));
    int stage = 0;
    int rv;

    if (n == NULL) {
        return -ENOMEM;
    }
    raft_heap_set(&zeroed_heap); /* the same heap for every node: libc underneath */
    n->loop = loop;
    n->fsm = o->fsm;
    n->id = o->id;
    n->on_leader = o->on_leader;
    n->on_leader_arg = o->arg;
    n->rfsm.version = 2;
    n->rfsm.data = n;
    n->rfsm.apply = fsm_apply_cb;
    n->rfsm.snapshot = fsm_snapshot_cb;
    n->rfsm.snapshot_finalize = fsm_snapshot_finalize_cb;
    n->rfsm.restore = fsm_restore_cb;
    rv = fsutil_mkdirs(o->dir, errmsg);
    if (rv != 0) {
        goto out;
    }
    rv = raft_uv_tcp_init(&n->transport, loop);
    if (rv != 0) {
        errors_set(errmsg, "raft transport: %s", raft_strerror(rv));
        goto out;
    }
    stage = 1;
    rv = raft_uv_init(&n->io, loop, o->dir, &n->transport);
    if (rv != 0) {
        errors_set(errmsg, "raft io in %s: %s", o->dir, n->io.errmsg);
        goto out;
    }
    stage = 2;
    /* A corrupt segment must fail the start, not be renamed away with its entries. */
    raft_uv_set_auto_recovery(&n->io, false);
    rv = raft_init(&n->raft, &n->io, &n->rfsm, o->id, o->addr);
    if (rv != 0) {
        errors_set(errmsg, "raft init: %s", raft_strerror(rv));
        goto out;
    }
    stage = 3;
    n->raft.data = n;
    if (o->bootstrap) {
        rv = bootstrap(n, o, errmsg);
        if (rv != 0) {
            goto out;
        }
    }
    raft_set_election_timeout(&n->raft, o->election_timeout_ms);
    raft_set_heartbeat_timeout(&n->raft, o->heartbeat_ms);
    raft_set_snapshot_threshold(&n->raft, o->snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, o->snapshot_trailing);
    raft_set_install_snapshot_timeout(&n->raft, o->install_snapshot_timeout_ms);
    raft_set_pre_vote(&n->raft, true);
    rv = raft_start(&n->raft);
    if (rv != 0) {
        errors_set(errmsg, "raft start (%s): %s", o->dir, raft_strerror(rv));
        goto out;
    }
    uv_check_init(loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, check_cb);
    uv_timer_init(loop, &n->lazy_commit);
    n->lazy_commit.data = n;
    uv_timer_init(loop, &n->poll);
    n->poll.data = n;
    uv_timer_start(&n->poll, poll_cb, o->heartbeat_ms, o->heartbeat_ms);
    *out = n;
    return 0;
out:
    rv = rv > 0 ? map_raft_error(rv) : rv;
    if (stage >= 3) {
        /* After raft_init only raft_close may release things, and it completes on the loop:
         * turn the loop here so a failed start leaves nothing behind. */
        n->closing = true;
        raft_close(&n->raft, failed_start_closed_cb);
        while (n->closing) {
            uv_run(loop, UV_RUN_ONCE);
        }
        free(n);
        return rv;
    }
    if (stage >= 2) {
        raft_uv_close(&n->io);
    }
    if (stage >= 1) {
        raft_uv_tcp_close(&n->transport);
    }
    free(n);
    return rv;
}

static void handle_closed_cb(uv_handle_t *h)
{
    struct raft_node *n = h->data;
    struct proposal *p, *next;

    if (--n->pending_closes > 0) {
        return;
    }
    for (p = n->proposals; p != NULL; p = next) {
        next = p->next;
        free(p);
    }
    if (n->stop_cb != NULL) {
        n->stop_cb(n->stop_arg);
    }
    free(n);
}

static void raft_closed_cb(struct raft *r)
{
    struct raft_node *n = r->data;
    struct proposal *p;

    raft_uv_close(&n->io);
    raft_uv_tcp_close(&n->transport);
    /* Applies of this iteration are committed first: their proposers get the real outcome.
     * Raft has answered every request by now; anyone else is told "canceled". */
    commit_or_die(n);
    for (p = n->proposals; p != NULL; p = p->next) {
        p->raft_done = true;
        proposal_finish(p, p->ready ? p->rv : CFS_ECANCELED);
    }
    n->pending_closes = 3;
    uv_close((uv_handle_t *)&n->check, handle_closed_cb);
    uv_close((uv_handle_t *)&n->poll, handle_closed_cb);
    uv_close((uv_handle_t *)&n->lazy_commit, handle_closed_cb);
}

void raft_node_stop(struct raft_node *n, void (*done)(void *arg), void *arg)
{
    if (n->closing) {
        return;
    }
    n->closing = true;
    n->stop_cb = done;
    n->stop_arg = arg;
    uv_check_stop(&n->check);
    uv_timer_stop(&n->poll);
    uv_timer_stop(&n->lazy_commit);
    raft_close(&n->raft, raft_closed_cb);
}
