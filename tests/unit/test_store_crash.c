/* Crash consistency of the store: a child process commits batches in a loop and is killed with
 * SIGKILL at a random moment; the reopened store must hold exactly the last whole batch.
 *
 * Batch i rewrites the same records, every one stamped with i: RECORDS volumes (description
 * "batch i", and a name that alternates with i so the name index is rewritten too) and RECORDS
 * data partitions (create time i, moved to another volume every batch so the partition index is
 * rewritten too), and raises a counter to i. The parent learns of commits through a pipe, so it
 * waits on reads, never on fixed sleeps. Rounds continue the same store, alternating between
 * store_apply (one batch per transaction) and store_write_* (BATCHES_PER_TXN per transaction).
 * The map starts tiny, so the child also grows it while being killed. */
#include "storage/store.h"

#include "common/errors.h"
#include "tests/support/test_support.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    RECORDS = 50,
    ROUNDS = 8,
    BATCHES_PER_TXN = 3,
    MAX_COMMITS_BEFORE_KILL = 25,
    MAX_EXTRA_DELAY_US = 3000
};

#define MAP_SIZE (256 * 1024)
#define DP_BASE  1000

static char dir[256];
static char path[512];

static int suite_init(void)
{
    if (test_mkdtemp(dir, sizeof(dir), "test_store_crash") != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/store", dir);
    return 0;
}

static int suite_cleanup(void)
{
    return test_rmtree(dir);
}

static struct store *open_store(void)
{
    struct store_options o;
    struct store *s = NULL;
    char err[ERRMSG_SIZE] = "";

    store_options_default(&o);
    o.map_size = MAP_SIZE;
    if (store_open(path, &o, &s, err) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        return NULL;
    }
    return s;
}

static void vol_name(char *buf, size_t size, uint64_t k, uint64_t stamp)
{
    snprintf(buf, size, "v%" PRIu64 "-%" PRIu64, k, stamp % 2);
}

static uint64_t dp_vol(uint64_t k, uint64_t stamp)
{
    return (k + stamp) % RECORDS + 1;
}

static struct store_batch *stamped_batch(uint64_t stamp)
{
    struct store_batch *b = store_batch_new();
    struct store_vol v;
    struct store_dp dp;
    int rv = b == NULL ? -ENOMEM : 0;

    for (uint64_t k = 1; rv == 0 && k <= RECORDS; k++) {
        memset(&v, 0, sizeof(v));
        v.id = k;
        vol_name(v.name, sizeof(v.name), k, stamp);
        snprintf(v.description, sizeof(v.description), "batch %" PRIu64, stamp);
        v.capacity = stamp;
        rv = store_batch_put_vol(b, &v);
        memset(&dp, 0, sizeof(dp));
        dp.id = DP_BASE + k;
        dp.vol_id = dp_vol(k, stamp);
        dp.create_time = (int64_t)stamp;
        dp.nhosts = 1;
        snprintf(dp.hosts[0], sizeof(dp.hosts[0]), "10.0.0.%" PRIu64 ":17310", k);
        rv = rv == 0 ? store_batch_put_dp(b, &dp) : rv;
    }
    rv = rv == 0 ? store_batch_raise_counter(b, STORE_COUNTER_DP, stamp) : rv;
    if (rv != 0) {
        store_batch_free(b);
        return NULL;
    }
    return b;
}

/* Commit one transaction starting at index next; returns the last index committed or 0. */
static uint64_t commit_round(struct store *s, uint64_t next, bool multi)
{
    char err[ERRMSG_SIZE] = "";
    struct store_batch *b;
    struct store_txn *w;
    int rv;

    if (!multi) {
        b = stamped_batch(next);
        rv = b != NULL ? store_apply(s, b, next, NULL, err) : -ENOMEM;
        store_batch_free(b);
        return rv == 0 ? next : 0;
    }
    if (store_write_begin(s, &w, err) != 0) {
        return 0;
    }
    for (uint64_t i = 0; i < BATCHES_PER_TXN; i++) {
        b = stamped_batch(next + i);
        if (b == NULL || store_write_apply(w, b, next + i, NULL, err) != 0) {
            store_write_abort(w);
            return 0;
        }
    }
    return store_write_commit(w, err) == 0 ? next + BATCHES_PER_TXN - 1 : 0;
}

/* The child: commit forever, reporting each committed index; killed by the parent. */
static void child_main(int fd, bool multi)
{
    struct store *s = open_store();
    uint64_t applied;

    if (s == NULL) {
        _exit(2);
    }
    applied = store_applied_index(s);
    for (;;) {
        applied = commit_round(s, applied + 1, multi);
        if (applied == 0) {
            _exit(3);
        }
        /* The pipe is non-blocking: a parent that stopped reading must not stall the child. */
        if (write(fd, &applied, sizeof(applied)) < 0 && errno != EAGAIN) {
            _exit(4);
        }
    }
}

static void spin_us(long us)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

/* Every record carries the stamp of the applied index, and nothing else. */
static void check_store(uint64_t floor, uint64_t *applied_out)
{
    struct store *s = open_store();
    struct store_txn *t = NULL;
    struct store_vol v;
    struct store_dp dp;
    char name[64];
    char want[64];
    uint64_t a, counter = 0;
    int wrong = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    a = store_applied_index(s);
    CU_ASSERT(a >= floor);
    CU_ASSERT_EQUAL_FATAL(store_read_begin(s, &t), 0);
    snprintf(want, sizeof(want), "batch %" PRIu64, a);
    for (uint64_t k = 1; k <= RECORDS; k++) {
        vol_name(name, sizeof(name), k, a);
        wrong += store_get_vol(t, k, &v) != 0 || strcmp(v.description, want) != 0 ||
                 v.capacity != a || strcmp(v.name, name) != 0;
        wrong += store_get_vol_by_name(t, name, &v) != 0 || v.id != k;
        vol_name(name, sizeof(name), k, a + 1);
        wrong += store_get_vol_by_name(t, name, &v) != CFS_ENOTFOUND;
        wrong += store_get_dp(t, DP_BASE + k, &dp) != 0 || dp.create_time != (int64_t)a ||
                 dp.vol_id != dp_vol(k, a);
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(store_get_counter(t, STORE_COUNTER_DP, &counter), 0);
    CU_ASSERT_EQUAL(counter, a);
    CU_ASSERT_EQUAL(store_get_vol(t, RECORDS + 1, &v), CFS_ENOTFOUND);
    store_txn_end(t);
    store_close(s);
    *applied_out = a;
}

static void test_kill_during_commits(void)
{
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const char *env = getenv("CFS_TEST_SEED");
    uint64_t applied = 0;

    if (env != NULL) {
        seed = (unsigned)strtoul(env, NULL, 10);
    }
    fprintf(stderr, "seed %u (CFS_TEST_SEED) ", seed);
    srand(seed);
    for (int round = 0; round < ROUNDS; round++) {
        bool multi = round % 2 == 1;
        int target = 1 + rand() % MAX_COMMITS_BEFORE_KILL;
        uint64_t reported = applied;
        uint64_t start;
        uint64_t got;
        int fds[2];
        int status = 0;
        pid_t pid;

        CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
        CU_ASSERT_EQUAL_FATAL(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
        pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_main(fds[1], multi);
        }
        close(fds[1]);
        for (int seen = 0; seen < target; seen++) {
            ssize_t n = read(fds[0], &got, sizeof(got));
            if (n != (ssize_t)sizeof(got)) {
                break; /* the child died: waitpid below reports it */
            }
            CU_ASSERT(got > reported);
            reported = got;
        }
        spin_us(rand() % MAX_EXTRA_DELAY_US);
        kill(pid, SIGKILL);
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        close(fds[0]);

        start = applied;
        check_store(reported, &applied);
        CU_ASSERT(applied > start);
        /* a shared transaction is whole or absent */
        CU_ASSERT(!multi || (applied - start) % BATCHES_PER_TXN == 0);
        fprintf(stderr, "[%s: reported %" PRIu64 ", applied %" PRIu64 "] ", multi ? "txn" : "apply",
                reported, applied);
    }
}

static const struct test_case crash_cases[] = {
    {"kill_during_commits", test_kill_during_commits},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    static const struct test_suite suites[] = {
        {"crash", suite_init, suite_cleanup, crash_cases},
        {NULL, NULL, NULL, NULL},
    };

    return test_run(argc, argv, suites);
}
