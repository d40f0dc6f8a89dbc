/* System test of leader failover: three cfs-master, four cfs-datanode and three cfs-metanode
 * processes.
 *
 * - A data node decommission started on one leader finishes after that leader is killed
 *   (SIGKILL) while the job runs: the new leader resumes the persisted job.
 * - Five times in a row, the leader is killed while a client creates volumes and data partitions
 *   in a loop through every master in turn: a new leader serves writes, nodes stay active and
 *   their heartbeats come from the new leader, and the killed master restarts and catches up.
 *   Afterwards every master holds identical state (same applied index and store CRC), every
 *   operation that was answered success exists with the IDs recorded then, and no volume, data
 *   partition or meta partition ID is used twice.
 * - A leader left alone (both followers killed) steps down: it stops its schedulers and task
 *   sender (no heartbeat reaches a node any more, /metrics says it is not a ready leader), and
 *   heartbeats resume once a leader is back. */
#include "tests/support/cluster_env.h"
#include "tests/support/masters.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000
#define CYCLES  5

static struct cenv env;

static int suite_init(void)
{
    if (cenv_init(&env, "mm_failover", 3) != 0 || cenv_up(&env, 4, 3, WAIT_MS) != 0) {
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers ---------------------------------------------------------------------------------- */

/* GET through the leader (found on the way); the data of a code-0 answer, else NULL. */
__attribute__((format(printf, 2, 3))) static json_t *call(int *code, const char *fmt, ...)
{
    char path[1024];
    json_t *data = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    *code = cenv_call(&env, path, &data, NULL, 0);
    if (*code != 0) {
        json_decref(data);
        data = NULL;
    }
    return data;
}

static bool has_string(const json_t *list, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v) != NULL ? json_string_value(v) : "", s) == 0) {
            return true;
        }
    }
    return false;
}

/* Heartbeat packets node i has received so far (its log at debug level). */
static size_t heartbeats_at(size_t i, bool data)
{
    const struct cenv_proc *p = data ? &env.datanodes[i] : &env.metanodes[i];

    return mm_count_in_file(p->log, data ? "OpDataNodeHeartbeat req" : "OpMetaNodeHeartbeat req");
}

static size_t all_heartbeats(void)
{
    size_t n = 0;

    for (size_t i = 0; i < env.ndatanodes; i++) {
        n += env.datanodes[i].pid > 0 ? heartbeats_at(i, true) : 0;
    }
    for (size_t i = 0; i < env.nmetanodes; i++) {
        n += heartbeats_at(i, false);
    }
    return n;
}

/* The leader a node's log names last ("leader is <addr>", logged when heartbeats start coming
 * from another master). */
static bool last_leader_is(const char *path, const char *addr)
{
    FILE *f = fopen(path, "r");
    char line[4096], last[128] = "";

    if (f == NULL) {
        return false;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p = strstr(line, "leader is ");
        if (p != NULL) {
            snprintf(last, sizeof(last), "%s", p + strlen("leader is "));
            last[strcspn(last, " \r\n")] = '\0';
        }
    }
    fclose(f);
    return strcmp(last, addr) == 0;
}

/* Every running node gets its heartbeats from leader_addr now. */
static bool nodes_follow(struct cenv *e, void *arg)
{
    for (size_t i = 0; i < e->ndatanodes; i++) {
        if (e->datanodes[i].pid > 0 && !last_leader_is(e->datanodes[i].log, arg)) {
            return false;
        }
    }
    for (size_t i = 0; i < e->nmetanodes; i++) {
        if (!last_leader_is(e->metanodes[i].log, arg)) {
            return false;
        }
    }
    return true;
}

/* Master i follows leader_id and has applied at least `applied`. */
struct catch_up {
    size_t master;
    uint64_t leader_id;
    uint64_t applied;
};

static bool caught_up(struct cenv *e, void *arg)
{
    struct catch_up *c = arg;
    json_t *s = mm_status(e, c->master);
    bool ok = s != NULL && cenv_u64(s, "LeaderID") == c->leader_id &&
              cenv_u64(s, "StoreApplied") >= c->applied;

    json_decref(s);
    return ok;
}

static uint64_t store_applied(size_t i)
{
    json_t *s = mm_status(&env, i);
    uint64_t applied = cenv_u64(s, "StoreApplied");

    json_decref(s);
    return applied;
}

/* --- decommission across a failover ----------------------------------------------------------- */

struct child_wait {
    uint64_t ids[64];
    size_t n;
};

/* A child job of the node's decommission runs. */
static bool child_running(struct cenv *e, void *arg)
{
    const struct child_wait *w = arg;

    (void)e;
    for (size_t i = 0; i < w->n; i++) {
        int code;
        json_t *d = call(&code, "/dataPartition/queryDecommissionStatus?id=%llu",
                         (unsigned long long)w->ids[i]);
        bool running = d != NULL && cenv_u64(d, "ParentJobID") != 0 &&
                       (strcmp(cenv_str(d, "Status"), "Prepare") == 0 ||
                        strcmp(cenv_str(d, "Status"), "Running") == 0);
        json_decref(d);
        if (running) {
            return true;
        }
    }
    return false;
}

static bool node_gone(struct cenv *e, void *arg)
{
    int code;
    json_t *d;

    (void)e;
    d = call(&code, "/dataNode/get?addr=%s", (const char *)arg);
    json_decref(d);
    return code == 12;
}

static void test_decommission_resumes(void)
{
    const char *node = env.datanodes[3].addr;
    struct child_wait w = {0};
    int code, old, fresh;
    json_t *list;

    for (int v = 0; v < 2; v++) {
        json_t *d = call(&code,
                         "/admin/createVol?name=decom%d&owner=mmowner&capacity=10&mpCount=1&"
                         "dpCount=4",
                         v);
        CU_ASSERT_EQUAL(code, 0);
        json_decref(d);
        list = call(&code, "/client/partitions?name=decom%d", v);
        CU_ASSERT_EQUAL_FATAL(code, 0);
        for (size_t i = 0; i < json_array_size(json_object_get(list, "DataPartitions")); i++) {
            json_t *dp = json_array_get(json_object_get(list, "DataPartitions"), i);
            if (has_string(json_object_get(dp, "Hosts"), node) && w.n < 64) {
                w.ids[w.n++] = cenv_u64(dp, "PartitionID");
            }
        }
        json_decref(list);
    }
    CU_ASSERT_TRUE_FATAL(w.n > 0);

    json_decref(call(&code, "/dataNode/decommission?addr=%s", node));
    CU_ASSERT_EQUAL_FATAL(code, 0);
    CU_ASSERT_TRUE(cenv_wait(&env, child_running, &w, WAIT_MS));
    old = cenv_wait_leader(&env, WAIT_MS);
    CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, (size_t)old, SIGKILL), -1);
    fresh = mm_wait_new_leader(&env, old, WAIT_MS);
    CU_ASSERT_TRUE_FATAL(fresh >= 0 && fresh != old);

    /* The new leader finishes the job: the node leaves, its partitions have 3 other hosts. */
    CU_ASSERT_TRUE(cenv_wait(&env, node_gone, (void *)node, 3 * WAIT_MS));
    for (size_t i = 0; i < w.n; i++) {
        json_t *d = call(&code, "/dataPartition/get?id=%llu", (unsigned long long)w.ids[i]);
        json_t *hosts = json_object_get(d, "Hosts");
        CU_ASSERT_EQUAL(code, 0);
        CU_ASSERT_EQUAL(json_array_size(hosts), 3);
        CU_ASSERT_FALSE(has_string(hosts, node));
        json_decref(d);
    }
    cenv_stop_node(&env, true, 3, SIGTERM);
    CU_ASSERT_EQUAL(cenv_start_master(&env, (size_t)old), 0);
    CU_ASSERT_TRUE(mm_wait_same_state(&env, WAIT_MS));
}

/* --- kill the leader under writes, again and again -------------------------------------------- */

static void test_kill_cycles(void)
{
    struct mm_writer *w = calloc(1, sizeof(*w));
    uint64_t failover_ms[CYCLES];

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL_FATAL(mm_writer_start(w, &env, "fo"), 0);
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        uint64_t t0, before = mm_writer_successes(w, NULL);
        struct catch_up c;
        int old, fresh;
        /* Some writes on this leader first. */
        for (uint64_t deadline = clock_mono_ms() + WAIT_MS;
             mm_writer_successes(w, NULL) < before + 3 && clock_mono_ms() < deadline;) {
            clock_sleep_ms(20);
        }
        CU_ASSERT_TRUE(mm_writer_successes(w, NULL) >= before + 3);
        old = cenv_wait_leader(&env, WAIT_MS);
        CU_ASSERT_TRUE_FATAL(old >= 0);
        t0 = clock_mono_ms();
        CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, (size_t)old, SIGKILL), -1);
        fresh = mm_wait_new_leader(&env, old, WAIT_MS);
        CU_ASSERT_TRUE_FATAL(fresh >= 0);
        failover_ms[cycle] = clock_mono_ms() - t0;
        /* The new leader serves writes, nodes report to it and stay active. */
        CU_ASSERT_TRUE(mm_writer_wait_success(w, clock_mono_ms(), WAIT_MS));
        CU_ASSERT_TRUE(cenv_wait(&env, nodes_follow, env.masters[fresh].addr, WAIT_MS));
        CU_ASSERT_TRUE(cenv_wait_nodes_active(&env, 5000));
        /* The killed master comes back and catches up. */
        c.master = (size_t)old;
        c.leader_id = env.master_ids[fresh];
        c.applied = store_applied((size_t)fresh);
        CU_ASSERT_EQUAL(cenv_start_master(&env, (size_t)old), 0);
        CU_ASSERT_TRUE(cenv_wait(&env, caught_up, &c, WAIT_MS));
    }
    mm_writer_stop(w);
    fprintf(stderr, "\n  writer: %llu successes, %llu failures (last: %s); failovers:",
            (unsigned long long)w->successes, (unsigned long long)w->failures, w->last_error);
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        fprintf(stderr, " %llu ms", (unsigned long long)failover_ms[cycle]);
    }
    fprintf(stderr, "\n");
    CU_ASSERT_TRUE(w->successes >= 5 * CYCLES);
    CU_ASSERT_TRUE(mm_wait_same_state(&env, 2 * WAIT_MS));
    CU_ASSERT_TRUE(mm_writer_verify(w));
    free(w);
}

/* --- a deposed leader stops its duties -------------------------------------------------------- */

static bool steps_down(struct cenv *e, void *arg)
{
    json_t *s = mm_status(e, (size_t) * (int *)arg);
    bool down = s != NULL && !json_is_true(json_object_get(s, "Ready")) &&
                strcmp(cenv_str(s, "State"), "leader") != 0;

    json_decref(s);
    return down;
}

static bool heartbeats_grow(struct cenv *e, void *arg)
{
    (void)e;
    return all_heartbeats() > *(size_t *)arg;
}

/* The heartbeat count stopped changing since the last call (a batch already sent may still
 * land after the step-down). */
static bool heartbeats_settle(struct cenv *e, void *arg)
{
    size_t *count = arg;
    size_t now = all_heartbeats();

    (void)e;
    if (now != *count) {
        *count = now;
        return false;
    }
    return true;
}

static void test_deposed_leader_stops(void)
{
    int lone = cenv_wait_leader(&env, WAIT_MS);
    size_t before, settled;
    struct cenv_reply r;

    CU_ASSERT_TRUE_FATAL(lone >= 0);
    before = all_heartbeats();
    CU_ASSERT_TRUE(cenv_wait(&env, heartbeats_grow, &before, WAIT_MS));
    for (size_t i = 0; i < 3; i++) {
        if ((int)i != lone) {
            CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, i, SIGKILL), -1);
        }
    }
    /* Without a quorum it steps down within an election timeout... */
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, steps_down, &lone, 5000));
    CU_ASSERT_TRUE(mm_count_in_file(env.masters[lone].log, "leader duties stopped") >= 1);
    cenv_request(env.masters[lone].addr, "/metrics", NULL, NULL, false, &r);
    CU_ASSERT_PTR_NOT_NULL(r.body != NULL ? strstr(r.body, "cfs_master_leader_ready 0") : NULL);
    CU_ASSERT_PTR_NULL(r.body != NULL ? strstr(r.body, "cfs_master_nodes{") : "");
    cenv_reply_clear(&r);
    /* ... and sends nothing more: a batch already on the wire may still land, then no node
     * hears a heartbeat for three heartbeat intervals (heartbeats go every 500 ms here). */
    settled = all_heartbeats();
    for (int i = 0; i < 20 && !heartbeats_settle(&env, &settled); i++) {
        clock_sleep_ms(300);
    }
    CU_ASSERT_FALSE(cenv_wait(&env, heartbeats_grow, &settled, 1500));
    CU_ASSERT_EQUAL(all_heartbeats(), settled);

    for (size_t i = 0; i < 3; i++) {
        if ((int)i != lone) {
            CU_ASSERT_EQUAL(cenv_start_master(&env, i), 0);
        }
    }
    CU_ASSERT_TRUE(cenv_wait_leader(&env, WAIT_MS) >= 0);
    CU_ASSERT_TRUE(cenv_wait(&env, heartbeats_grow, &settled, WAIT_MS));
    CU_ASSERT_TRUE(cenv_wait_nodes_active(&env, WAIT_MS));
    CU_ASSERT_TRUE(mm_wait_same_state(&env, WAIT_MS));
}

static const struct test_case cases[] = {
    {"decommission_resumes", test_decommission_resumes},
    {"kill_cycles", test_kill_cycles},
    {"deposed_leader_stops", test_deposed_leader_stops},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"failover", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
