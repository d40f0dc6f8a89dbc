/* The FSM alone, then real libraft groups of 1 and 3 members in this process on one libuv loop. */
#include "common/clock.h"
#include "common/errors.h"
#include "master/raft/fsm.h"
#include "master/raft/raft_node.h"
#include "storage/store.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char tmp[256];

static int setup(void)
{
    return test_mkdtemp(tmp, sizeof(tmp), "cfs-raft");
}

static int teardown(void)
{
    return test_rmtree(tmp);
}

static struct store *open_store(const char *name)
{
    char path[512];
    char errmsg[ERRMSG_SIZE] = "";
    struct store_options o;
    struct store *s = NULL;

    store_options_default(&o);
    snprintf(path, sizeof(path), "%s/%s.mdb", tmp, name);
    CU_ASSERT_EQUAL_FATAL(store_open(path, &o, &s, errmsg), 0);
    return s;
}

static void vol_cmd(struct fsm_cmd *c, uint64_t id, const char *name)
{
    struct store_vol v;

    memset(c, 0, sizeof(*c));
    memset(&v, 0, sizeof(v));
    v.id = id;
    snprintf(v.name, sizeof(v.name), "%s", name);
    snprintf(v.owner, sizeof(v.owner), "cfs");
    v.dp_replica_num = 3;
    v.mp_replica_num = 3;
    c->batch = store_batch_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->batch);
    CU_ASSERT_EQUAL(store_batch_put_vol(c->batch, &v), 0);
    CU_ASSERT_EQUAL(store_batch_raise_counter(c->batch, STORE_COUNTER_COMMON, id), 0);
    CU_ASSERT_EQUAL(fsm_cmd_check(c, FSM_CHECK_VOL_NAME_FREE, 0, name), 0);
}

static bool has_vol(struct store *s, const char *name)
{
    struct store_txn *t;
    struct store_vol v;
    int rv;

    if (store_read_begin(s, &t) != 0) {
        return false;
    }
    rv = store_get_vol_by_name(t, name, &v);
    store_txn_end(t);
    return rv == 0;
}

/* --- FSM alone ------------------------------------------------------------------------------ */

static void test_cmd_encoding_is_padded_and_round_trips(void)
{
    struct fsm_cmd c, back;
    char errmsg[ERRMSG_SIZE] = "";
    void *buf;
    size_t len;

    vol_cmd(&c, 7, "vol7");
    CU_ASSERT_EQUAL_FATAL(fsm_cmd_encode(&c, malloc, &buf, &len), 0);
    CU_ASSERT_EQUAL(len % 8, 0);
    CU_ASSERT_EQUAL_FATAL(fsm_cmd_decode(buf, len, &back, errmsg), 0);
    CU_ASSERT_EQUAL(back.nchecks, 1);
    CU_ASSERT_EQUAL(back.checks[0].kind, FSM_CHECK_VOL_NAME_FREE);
    CU_ASSERT_STRING_EQUAL(back.checks[0].key, "vol7");
    CU_ASSERT_EQUAL(store_batch_count(back.batch), 2);
    fsm_cmd_clear(&back);
    /* Damage is refused with a message, never applied. */
    ((uint8_t *)buf)[0] ^= 0xFF;
    CU_ASSERT_EQUAL(fsm_cmd_decode(buf, len, &back, errmsg), CFS_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "bad magic"));
    ((uint8_t *)buf)[0] ^= 0xFF;
    CU_ASSERT_NOT_EQUAL(fsm_cmd_decode(buf, 9, &back, errmsg), 0);
    free(buf);
    fsm_cmd_clear(&c);
}

static void apply_cmd(struct fsm *f, struct fsm_cmd *c, uint64_t index, struct fsm_result *res,
                      bool *skipped)
{
    char errmsg[ERRMSG_SIZE] = "";
    void *buf;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(fsm_cmd_encode(c, malloc, &buf, &len), 0);
    CU_ASSERT_EQUAL(fsm_apply(f, index, buf, len, res, skipped, errmsg), 0);
    free(buf);
    fsm_cmd_clear(c);
}

static void test_fsm_preconditions_and_replays(void)
{
    struct store *s = open_store("fsm");
    struct fsm *f;
    struct fsm_cmd c;
    struct fsm_result res;
    char errmsg[ERRMSG_SIZE] = "";
    bool skipped;

    CU_ASSERT_EQUAL_FATAL(fsm_new(s, &f), 0);
    vol_cmd(&c, 1, "alpha");
    apply_cmd(f, &c, 1, &res, &skipped);
    CU_ASSERT_FALSE(skipped);
    CU_ASSERT_EQUAL(res.code, API_SUCCESS);
    CU_ASSERT_TRUE(fsm_dirty(f));
    /* Uncommitted writes are not visible to readers yet. */
    CU_ASSERT_FALSE(has_vol(s, "alpha"));
    /* The same name again: rejected, nothing written, the applied index still moves. */
    vol_cmd(&c, 2, "alpha");
    apply_cmd(f, &c, 2, &res, &skipped);
    CU_ASSERT_EQUAL(res.code, API_DUPLICATE_VOL);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.msg, "duplicate vol"));
    CU_ASSERT_EQUAL(fsm_commit(f, errmsg), 0);
    CU_ASSERT_TRUE(has_vol(s, "alpha"));
    CU_ASSERT_EQUAL(store_applied_index(s), 2);
    /* A replayed entry is skipped. */
    vol_cmd(&c, 3, "beta");
    apply_cmd(f, &c, 2, &res, &skipped);
    CU_ASSERT_TRUE(skipped);
    CU_ASSERT_FALSE(has_vol(s, "beta"));
    fsm_free(f);
    store_close(s);
}

/* --- libraft groups ----------------------------------------------------------------------- */

#define MAX_MEMBERS 3

struct member {
    char name[32];
    struct store *store;
    struct fsm *fsm;
    struct raft_node *node;
    struct raft_node_options opts;
    bool stopped;
};

struct group {
    uv_loop_t loop;
    size_t n;
    struct member m[MAX_MEMBERS];
};

static uint16_t free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint16_t port;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void member_start(struct group *g, size_t i)
{
    struct member *m = &g->m[i];
    char errmsg[ERRMSG_SIZE] = "";

    if (m->store == NULL) {
        m->store = open_store(m->name);
    }
    CU_ASSERT_EQUAL_FATAL(fsm_new(m->store, &m->fsm), 0);
    m->opts.fsm = m->fsm;
    /* Bootstrapping is requested on every start: raft must refuse it once it has state. */
    m->opts.bootstrap = true;
    CU_ASSERT_EQUAL_FATAL(raft_node_start(&g->loop, &m->opts, &m->node, errmsg), 0);
    m->stopped = false;
}

static void stopped_cb(void *arg)
{
    *(bool *)arg = true;
}

static void run_until(struct group *g, bool (*cond)(struct group *g, void *arg), void *arg,
                      uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;

    while (!cond(g, arg) && clock_mono_ms() < deadline) {
        uv_run(&g->loop, UV_RUN_ONCE);
    }
}

static bool flag_set(struct group *g, void *arg)
{
    (void)g;
    return *(bool *)arg;
}

static void member_stop(struct group *g, size_t i)
{
    struct member *m = &g->m[i];
    bool done = false;

    raft_node_stop(m->node, stopped_cb, &done);
    run_until(g, flag_set, &done, 5000);
    CU_ASSERT_TRUE(done);
    fsm_free(m->fsm);
    m->node = NULL;
    m->stopped = true;
}

static void group_init(struct group *g, size_t n, const char *prefix, uint32_t threshold)
{
    memset(g, 0, sizeof(*g));
    uv_loop_init(&g->loop);
    g->n = n;
    for (size_t i = 0; i < n; i++) {
        struct member *m = &g->m[i];
        snprintf(m->name, sizeof(m->name), "%s%zu", prefix, i + 1);
        raft_node_options_default(&m->opts);
        m->opts.id = i + 1;
        snprintf(m->opts.addr, sizeof(m->opts.addr), "127.0.0.1:%u", free_port());
        m->opts.election_timeout_ms = 300;
        m->opts.heartbeat_ms = 30;
        m->opts.snapshot_threshold = threshold;
        m->opts.snapshot_trailing = 4;
        m->opts.install_snapshot_timeout_ms = 1000;
    }
    for (size_t i = 0; i < n; i++) {
        char *dir = malloc(512);
        snprintf(dir, 512, "%s/%s-wal", tmp, g->m[i].name);
        g->m[i].opts.dir = dir;
        g->m[i].opts.nmembers = (uint32_t)n;
        for (size_t k = 0; k < n; k++) {
            g->m[i].opts.members[k].id = k + 1;
            strcpy(g->m[i].opts.members[k].addr, g->m[k].opts.addr);
            g->m[i].opts.members[k].role = RAFT_NODE_VOTER;
        }
    }
    for (size_t i = 0; i < n; i++) {
        member_start(g, i);
    }
}

static void group_close(struct group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (!g->m[i].stopped) {
            member_stop(g, i);
        }
        store_close(g->m[i].store);
        free((void *)g->m[i].opts.dir);
    }
    uv_run(&g->loop, UV_RUN_NOWAIT);
    CU_ASSERT_EQUAL(uv_loop_close(&g->loop), 0);
}

static bool has_leader(struct group *g, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < g->n; i++) {
        if (!g->m[i].stopped && raft_node_is_leader(g->m[i].node)) {
            return true;
        }
    }
    return false;
}

static struct member *leader(struct group *g)
{
    run_until(g, has_leader, NULL, 10000);
    for (size_t i = 0; i < g->n; i++) {
        if (!g->m[i].stopped && raft_node_is_leader(g->m[i].node)) {
            return &g->m[i];
        }
    }
    CU_FAIL_FATAL("no leader elected");
    return NULL;
}

struct outcome {
    bool done;
    int rv;
    struct fsm_result res;
    struct store *store;
    const char *name;
    bool visible; /* the write could be read when the callback fired */
};

static void outcome_cb(void *arg, int rv, const struct fsm_result *res)
{
    struct outcome *o = arg;

    o->done = true;
    o->rv = rv;
    if (res != NULL) {
        o->res = *res;
    }
    o->visible = o->store != NULL && has_vol(o->store, o->name);
}

static bool outcome_done(struct group *g, void *arg)
{
    (void)g;
    return ((struct outcome *)arg)->done;
}

static struct outcome propose_vol(struct group *g, struct member *m, uint64_t id, const char *name)
{
    struct outcome o = {.store = m->store, .name = name};
    struct fsm_cmd c;
    int rv;

    vol_cmd(&c, id, name);
    rv = raft_node_propose(m->node, &c, 5000, outcome_cb, &o);
    fsm_cmd_clear(&c);
    if (rv != 0) {
        o.done = true;
        o.rv = rv;
        return o;
    }
    run_until(g, outcome_done, &o, 10000);
    CU_ASSERT_TRUE(o.done);
    return o;
}

static void test_single_member_commits_before_answering(void)
{
    struct group g;
    struct member *l;
    struct outcome o;
    char name[32];
    uint64_t applied;

    group_init(&g, 1, "solo", 1000000);
    l = leader(&g);
    for (uint64_t i = 1; i <= 20; i++) {
        snprintf(name, sizeof(name), "vol%llu", (unsigned long long)i);
        o = propose_vol(&g, l, i, name);
        CU_ASSERT_EQUAL(o.rv, 0);
        CU_ASSERT_EQUAL(o.res.code, API_SUCCESS);
        /* Answered only once LMDB has it: the proposer can read its write. */
        CU_ASSERT_TRUE(o.visible);
    }
    o = propose_vol(&g, l, 21, "vol3");
    CU_ASSERT_EQUAL(o.rv, 0);
    CU_ASSERT_EQUAL(o.res.code, API_DUPLICATE_VOL);
    applied = store_applied_index(l->store);
    CU_ASSERT_EQUAL(applied, o.res.index);

    /* Restart: the log replays into a store that already has everything; nothing doubles. */
    member_stop(&g, 0);
    member_start(&g, 0);
    l = leader(&g);
    CU_ASSERT_EQUAL(store_applied_index(l->store), applied);
    o = propose_vol(&g, l, 22, "vol22");
    CU_ASSERT_EQUAL(o.rv, 0);
    CU_ASSERT_EQUAL(o.res.code, API_SUCCESS);
    CU_ASSERT_TRUE(o.res.index > applied);
    group_close(&g);
}

static void test_follower_refuses_proposals(void)
{
    struct group g;
    struct member *l;
    struct fsm_cmd c;

    group_init(&g, 3, "refuse", 1000000);
    l = leader(&g);
    for (size_t i = 0; i < g.n; i++) {
        if (&g.m[i] == l) {
            continue;
        }
        vol_cmd(&c, 1, "x1");
        CU_ASSERT_EQUAL(raft_node_propose(g.m[i].node, &c, 1000, outcome_cb, NULL), CFS_ENOTLEADER);
        fsm_cmd_clear(&c);
    }
    group_close(&g);
}

static bool all_applied(struct group *g, void *arg)
{
    uint64_t want = *(uint64_t *)arg;

    for (size_t i = 0; i < g->n; i++) {
        if (!g->m[i].stopped && store_applied_index(g->m[i].store) < want) {
            return false;
        }
    }
    return true;
}

/* Every running member's export is byte-identical: same records, same applied index. */
static void assert_same_state(struct group *g)
{
    char errmsg[ERRMSG_SIZE] = "";
    void *first = NULL, *buf;
    size_t first_len = 0, len;

    for (size_t i = 0; i < g->n; i++) {
        if (g->m[i].stopped) {
            continue;
        }
        CU_ASSERT_EQUAL_FATAL(store_snapshot_export(g->m[i].store, &buf, &len, errmsg), 0);
        if (first == NULL) {
            first = buf;
            first_len = len;
            continue;
        }
        CU_ASSERT_EQUAL(len, first_len);
        CU_ASSERT_TRUE(len == first_len && memcmp(buf, first, len) == 0);
        free(buf);
    }
    free(first);
}

static size_t count_snapshots(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "snapshot-", 9) == 0 && strstr(e->d_name, ".meta") == NULL) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_three_members_replicate_fail_over_and_catch_up(void)
{
    struct group g;
    struct member *l, *l2;
    struct outcome o;
    char name[32];
    uint64_t id = 1, want;
    size_t old;

    /* A low threshold so snapshots are taken and a restarted member catches up through one. */
    group_init(&g, 3, "trio", 16);
    l = leader(&g);
    for (int i = 0; i < 40; i++, id++) {
        snprintf(name, sizeof(name), "v%llu", (unsigned long long)id);
        o = propose_vol(&g, l, id, name);
        CU_ASSERT_EQUAL(o.rv, 0);
        CU_ASSERT_EQUAL(o.res.code, API_SUCCESS);
    }
    want = o.res.index;
    run_until(&g, all_applied, &want, 10000);
    assert_same_state(&g);
    CU_ASSERT_TRUE(count_snapshots(l->opts.dir) > 0);

    /* The leader goes away: the others elect a new one, which takes writes. */
    old = (size_t)(l - g.m);
    member_stop(&g, old);
    l2 = leader(&g);
    CU_ASSERT_PTR_NOT_EQUAL(l2, l);
    for (int i = 0; i < 40; i++, id++) {
        snprintf(name, sizeof(name), "v%llu", (unsigned long long)id);
        o = propose_vol(&g, l2, id, name);
        CU_ASSERT_EQUAL(o.rv, 0);
    }
    /* The old leader comes back far behind the new snapshots and catches up to the same state. */
    member_start(&g, old);
    want = o.res.index;
    run_until(&g, all_applied, &want, 15000);
    CU_ASSERT_TRUE(all_applied(&g, &want));
    assert_same_state(&g);
    group_close(&g);
}

static const struct test_case fsm_cases[] = {
    {"cmd_encoding_is_padded_and_round_trips", test_cmd_encoding_is_padded_and_round_trips},
    {"fsm_preconditions_and_replays", test_fsm_preconditions_and_replays},
    {NULL, NULL},
};

static const struct test_case raft_cases[] = {
    {"single_member_commits_before_answering", test_single_member_commits_before_answering},
    {"follower_refuses_proposals", test_follower_refuses_proposals},
    {"three_members_replicate_fail_over_and_catch_up",
     test_three_members_replicate_fail_over_and_catch_up},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"fsm", setup, teardown, fsm_cases},
    {"raft", setup, teardown, raft_cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
