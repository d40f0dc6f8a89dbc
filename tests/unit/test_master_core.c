/* The master's plumbing: config, workers and their bridge to the loop, fan-out, locks. */
#include "common/clock.h"
#include "common/errors.h"
#include "master/core/fanout.h"
#include "master/core/locks.h"
#include "master/core/master_config.h"
#include "master/core/workers.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static void test_config_defaults_make_a_single_master(void)
{
    struct master_config c;
    char errmsg[ERRMSG_SIZE] = "";

    master_config_default(&c);
    CU_ASSERT_EQUAL_FATAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_EQUAL(c.npeers, 1);
    CU_ASSERT_STRING_EQUAL(c.peers[0].http_addr, "127.0.0.1:17010");
    CU_ASSERT_STRING_EQUAL(c.peers[0].raft_addr, "127.0.0.1:27010");
    CU_ASSERT_STRING_EQUAL(c.wal_dir, "./cfs-data/master1/wal");
    CU_ASSERT_STRING_EQUAL(c.store_dir, "./cfs-data/master1/store");
}

static void test_config_peers(void)
{
    struct master_peer p[4];
    char errmsg[ERRMSG_SIZE] = "";
    uint32_t n = 0;
    struct master_config c;

    CU_ASSERT_EQUAL(
        master_config_parse_peers("1:10.0.0.1:17010,2:10.0.0.2:17010:5901", p, 4, &n, errmsg), 0);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_STRING_EQUAL(p[0].raft_addr, "10.0.0.1:27010");
    CU_ASSERT_STRING_EQUAL(p[1].raft_addr, "10.0.0.2:5901");
    CU_ASSERT_NOT_EQUAL(master_config_parse_peers("1:10.0.0.1", p, 4, &n, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "is not id:ip:port"));
    CU_ASSERT_NOT_EQUAL(master_config_parse_peers("1:a:1,1:b:2", p, 4, &n, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "appears twice"));
    CU_ASSERT_NOT_EQUAL(master_config_parse_peers("x:a:1", p, 4, &n, errmsg), 0);
    /* This master must be in its own peers list. */
    master_config_default(&c);
    strcpy(c.peers_text, "2:127.0.0.1:17011,3:127.0.0.1:17012");
    CU_ASSERT_NOT_EQUAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "must list this master as 1:127.0.0.1:17010"));
    master_config_default(&c);
    strcpy(c.leader_forward, "teleport");
    CU_ASSERT_NOT_EQUAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "leaderForward"));
}

static void test_config_raft_ports(void)
{
    struct master_config c;
    char errmsg[ERRMSG_SIZE] = "";

    /* A high HTTP port is fine when peers name the Raft port. */
    master_config_default(&c);
    c.listen = 60000;
    strcpy(c.peers_text, "1:127.0.0.1:60000:40000,2:127.0.0.1:60001:40001");
    CU_ASSERT_EQUAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_EQUAL(c.raft_port, 40000);
    /* ...and refused with a message saying what to set when nothing names it. */
    master_config_default(&c);
    c.listen = 60000;
    CU_ASSERT_NOT_EQUAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "raftPort: set it"));
    /* raftPort is this master's own port even when peers would derive another. */
    master_config_default(&c);
    c.raft_port = 5901;
    strcpy(c.peers_text, "1:127.0.0.1:17010,2:127.0.0.2:17010");
    CU_ASSERT_EQUAL(master_config_finish(&c, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(c.peers[0].raft_addr, "127.0.0.1:5901");
    CU_ASSERT_STRING_EQUAL(c.peers[1].raft_addr, "127.0.0.2:27010");
}

struct wctx {
    struct workers *w;
    atomic_int ran;
    atomic_int done;
    int call_rv;
    bool stopped;
};

static void on_loop_later_cb(uv_timer_t *t)
{
    loop_call_done(t->data, 42);
    uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

/* Runs on the loop, finishes later from a timer, as Raft proposals do. */
static void loop_fn(struct loop_call *c, void *arg)
{
    uv_loop_t *loop = arg;
    uv_timer_t *t = malloc(sizeof(*t));

    uv_timer_init(loop, t);
    t->data = c;
    uv_timer_start(t, on_loop_later_cb, 20, 0);
}

static uv_loop_t *test_loop;

static void job_fn(void *arg)
{
    struct wctx *x = arg;

    x->call_rv = workers_call(x->w, loop_fn, test_loop);
    atomic_fetch_add(&x->ran, 1);
}

static void job_done(void *arg)
{
    struct wctx *x = arg;

    atomic_fetch_add(&x->done, 1);
}

static void stopped_cb(void *arg)
{
    ((struct wctx *)arg)->stopped = true;
}

static void test_workers_run_call_loop_and_stop(void)
{
    uv_loop_t loop;
    struct wctx x = {0};
    uint64_t deadline;

    uv_loop_init(&loop);
    test_loop = &loop;
    CU_ASSERT_EQUAL_FATAL(workers_start(&loop, 3, &x.w), 0);
    CU_ASSERT_TRUE(workers_on_loop(x.w));
    CU_ASSERT_EQUAL(workers_call(x.w, loop_fn, &loop), -EDEADLK);
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(workers_submit(x.w, job_fn, job_done, &x), 0);
    }
    /* Stopping while jobs still wait on the loop must not deadlock: the loop keeps serving. */
    workers_stop(x.w, stopped_cb, &x);
    CU_ASSERT_EQUAL(workers_submit(x.w, job_fn, job_done, &x), CFS_ECANCELED);
    deadline = clock_mono_ms() + 5000;
    while (!x.stopped && clock_mono_ms() < deadline) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    CU_ASSERT_TRUE(x.stopped);
    CU_ASSERT_EQUAL(atomic_load(&x.ran), 10);
    CU_ASSERT_EQUAL(atomic_load(&x.done), 10);
    CU_ASSERT_EQUAL(x.call_rv, 42);
    uv_run(&loop, UV_RUN_NOWAIT);
    CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

static atomic_int inflight, peak;

static void slow_job(void *job)
{
    int now = atomic_fetch_add(&inflight, 1) + 1;
    int seen = atomic_load(&peak);

    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
    clock_sleep_ms(100);
    atomic_fetch_sub(&inflight, 1);
    *(int *)job = 1;
}

static void test_fanout_runs_jobs_in_parallel(void)
{
    int jobs[8] = {0};
    uint64_t start = clock_mono_ms();

    fanout_run(slow_job, jobs, sizeof(jobs[0]), 8);
    CU_ASSERT_TRUE(clock_mono_ms() - start < 500);
    CU_ASSERT_EQUAL(atomic_load(&peak), 8);
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(jobs[i], 1);
    }
}

struct lctx {
    struct locks *l;
    int rv;
    uint64_t waited;
};

static void *contender(void *arg)
{
    struct lctx *x = arg;
    char errmsg[ERRMSG_SIZE];
    uint64_t start = clock_mono_ms();

    x->rv = locks_acquire(x->l, "dp:7", "second", 2000, errmsg);
    x->waited = clock_mono_ms() - start;
    if (x->rv == 0) {
        locks_release(x->l, "dp:7");
    }
    return NULL;
}

static void test_locks_exclude_and_time_out(void)
{
    struct locks *l;
    struct lctx x;
    pthread_t t;
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_EQUAL_FATAL(locks_new(&l), 0);
    CU_ASSERT_EQUAL(locks_acquire(l, "dp:7", "decommission of dp 7", 100, errmsg), 0);
    CU_ASSERT_EQUAL(locks_acquire(l, "dp:8", "other", 100, errmsg), 0);
    CU_ASSERT_EQUAL(locks_acquire(l, "dp:7", "replica add", 100, errmsg), CFS_ETIMEDOUT);
    CU_ASSERT_STRING_EQUAL(errmsg, "dp:7 is busy with another operation (decommission of dp 7)");
    /* A waiter gets the lock as soon as it is released. */
    x.l = l;
    pthread_create(&t, NULL, contender, &x);
    clock_sleep_ms(150);
    locks_release(l, "dp:7");
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(x.rv, 0);
    CU_ASSERT_TRUE(x.waited >= 100 && x.waited < 1500);
    locks_release(l, "dp:8");
    locks_free(l);
}

static const struct test_case cases[] = {
    {"config_defaults_make_a_single_master", test_config_defaults_make_a_single_master},
    {"config_peers", test_config_peers},
    {"config_raft_ports", test_config_raft_ports},
    {"workers_run_call_loop_and_stop", test_workers_run_call_loop_and_stop},
    {"fanout_runs_jobs_in_parallel", test_fanout_runs_jobs_in_parallel},
    {"locks_exclude_and_time_out", test_locks_exclude_and_time_out},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"master_core", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
