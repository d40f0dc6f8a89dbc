/* System test of Raft membership changes while a client writes: up to five cfs-master, three
 * cfs-datanode and three cfs-metanode processes; snapshots every 64 entries so that joining
 * masters catch up through a snapshot.
 *
 * The group grows from three masters to four and five (each new master starts with join: true
 * and is added with /raftNode/add), a member is removed, wiped and added back (it rejoins through
 * a snapshot; a second membership change sent while that one runs is refused), a follower and
 * then the leader itself are removed (leadership moves first). Writes keep succeeding after every
 * step, every member ends with identical state, and every write that was answered success is
 * there with its IDs. */
#include "tests/support/cluster_env.h"
#include "tests/support/masters.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS   20000
#define SNAPSHOTS "\"snapshotThreshold\":\"64\",\"retainLogs\":\"16\""

static struct cenv env;
static struct mm_writer writer;

static int suite_init(void)
{
    if (cenv_init(&env, "mm_members", 5) != 0) {
        return -1;
    }
    /* Three masters form the group; masters 4 and 5 only have ports for now. */
    env.nmasters = 3;
    snprintf(env.master_extra, sizeof(env.master_extra), "%s", SNAPSHOTS);
    if (cenv_start_masters(&env) != 0 || cenv_wait_leader(&env, WAIT_MS) < 0 ||
        cenv_add_datanodes(&env, 3) != 0 || cenv_add_metanodes(&env, 3) != 0 ||
        !cenv_wait_nodes_active(&env, WAIT_MS)) {
        return -1;
    }
    env.nmasters = 5;
    snprintf(env.master_extra, sizeof(env.master_extra), "%s,\"join\":true", SNAPSHOTS);
    return mm_writer_start(&writer, &env, "mb");
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

/* --- helpers ---------------------------------------------------------------------------------- */

/* A membership request through the leader; its code, msg in msg. */
static int membership(const char *op, size_t i, char *msg, size_t size)
{
    char path[256];

    snprintf(path, sizeof(path), "/raftNode/%s?id=%llu&addr=%s&raftAddr=127.0.0.1:%u", op,
             (unsigned long long)env.master_ids[i], env.masters[i].addr, env.raft_ports[i]);
    return cenv_call(&env, path, NULL, msg, size);
}

static void expect_change(const char *op, size_t i)
{
    char msg[512] = "";
    int code = membership(op, i, msg, sizeof(msg));

    if (code != 0) {
        fprintf(stderr, "%s master %zu: code %d: %s\n", op, i + 1, code, msg);
    }
    CU_ASSERT_EQUAL(code, 0);
}

/* The leader's view of the members: role of each id (NULL when not a member). */
struct members {
    size_t n;
    uint64_t ids[8];
    char roles[8][16];
};

static bool leader_members(struct members *out)
{
    int leader = cenv_wait_leader(&env, WAIT_MS);
    json_t *s = leader >= 0 ? mm_status(&env, (size_t)leader) : NULL;
    json_t *item;
    size_t i;

    memset(out, 0, sizeof(*out));
    json_array_foreach(json_object_get(s, "Members"), i, item)
    {
        if (out->n < 8) {
            out->ids[out->n] = cenv_u64(item, "ID");
            snprintf(out->roles[out->n], sizeof(out->roles[0]), "%s", cenv_str(item, "Role"));
            out->n++;
        }
    }
    json_decref(s);
    return s != NULL;
}

static const char *role_of(const struct members *ms, uint64_t id)
{
    for (size_t i = 0; i < ms->n; i++) {
        if (ms->ids[i] == id) {
            return ms->roles[i];
        }
    }
    return NULL;
}

/* The group has exactly these voters (ids 1-based, 0-terminated). */
static void expect_voters(const uint64_t *ids)
{
    struct members ms;
    size_t n = 0;

    CU_ASSERT_TRUE_FATAL(leader_members(&ms));
    for (; ids[n] != 0; n++) {
        const char *role = role_of(&ms, ids[n]);
        CU_ASSERT_PTR_NOT_NULL(role);
        CU_ASSERT_STRING_EQUAL(role != NULL ? role : "", "voter");
    }
    CU_ASSERT_EQUAL(ms.n, n);
}

/* The writer succeeds again from now on: the group is available. */
static void expect_writes(void)
{
    CU_ASSERT_TRUE(mm_writer_wait_success(&writer, clock_mono_ms(), WAIT_MS));
}

static bool enough_log(struct cenv *e, void *arg)
{
    int leader = cenv_wait_leader(e, WAIT_MS);
    json_t *s = leader >= 0 ? mm_status(e, (size_t)leader) : NULL;
    bool ok = cenv_u64(s, "Applied") >= *(uint64_t *)arg;

    json_decref(s);
    return ok;
}

/* Every member ends with the same state: compared with the writer held, since a write applied on
 * one member and not yet on the next is no difference. */
static void expect_same_state(void)
{
    mm_writer_pause(&writer);
    CU_ASSERT_TRUE(mm_wait_same_state(&env, WAIT_MS));
    mm_writer_resume(&writer);
}

/* --- growing ---------------------------------------------------------------------------------- */

static void grow(size_t i)
{
    uint64_t need = 120;

    /* Enough entries that the log was compacted: the newcomer needs a snapshot. */
    CU_ASSERT_TRUE(cenv_wait(&env, enough_log, &need, 3 * WAIT_MS));
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&env, i), 0);
    expect_change("add", i);
    expect_writes();
    expect_same_state();
    CU_ASSERT_TRUE(mm_count_in_file(env.masters[i].log, "installed a snapshot") >= 1);
}

static void test_grow_to_five(void)
{
    const uint64_t four[] = {1, 2, 3, 4, 0}, five[] = {1, 2, 3, 4, 5, 0};

    grow(3);
    expect_voters(four);
    grow(4);
    expect_voters(five);
}

/* --- wipe a member, with a concurrent change refused on the way --------------------------------
 */

struct async_change {
    size_t master;
    int code;
    char msg[512];
};

static void *add_async(void *arg)
{
    struct async_change *a = arg;

    a->code = membership("add", a->master, a->msg, sizeof(a->msg));
    return NULL;
}

static bool is_spare(struct cenv *e, void *arg)
{
    struct members ms;
    const char *role;

    (void)e;
    if (!leader_members(&ms)) {
        return false;
    }
    role = role_of(&ms, *(uint64_t *)arg);
    return role != NULL && strcmp(role, "spare") == 0;
}

/* Removing a member, wiping its data and adding it back (with join: true) is how a master with
 * a lost or damaged disk rejoins: it comes back through a snapshot. While the add runs (here
 * while the master is still down, so its promotion waits), another change is refused. */
static void test_wipe_and_rejoin(void)
{
    int leader = cenv_wait_leader(&env, WAIT_MS);
    const size_t victim = leader == 4 ? 3 : 4;
    const size_t other = leader == 2 ? 1 : 2; /* a follower the refused change names */
    uint64_t id = env.master_ids[victim];
    uint64_t voters[6], n = 0;
    struct async_change a = {.master = victim};
    char msg[512] = "", cmd[1100];
    size_t snapshots;
    pthread_t t;
    int code;

    for (size_t i = 0; i < 5; i++) {
        if (i != victim) {
            voters[n++] = env.master_ids[i];
        }
    }
    voters[n] = 0;
    expect_change("remove", victim);
    CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, victim, SIGTERM), -1);
    expect_voters(voters);
    expect_writes();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s'", env.masters[victim].dir,
             env.masters[victim].dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);

    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, add_async, &a), 0);
    CU_ASSERT_TRUE(cenv_wait(&env, is_spare, &id, WAIT_MS));
    code = membership("remove", other, msg, sizeof(msg));
    if (code == 0 || strstr(msg, "a membership change is already in progress") == NULL) {
        fprintf(stderr, "concurrent change: code %d: %s\n", code, msg);
    }
    CU_ASSERT_NOT_EQUAL(code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "a membership change is already in progress"));
    pthread_join(t, NULL);
    /* Its process is down, so the promotion gave up: it stays a spare, and the answer says so. */
    CU_ASSERT_NOT_EQUAL(a.code, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.msg, "could not be promoted to voter"));

    /* Back with no state at all; adding it again promotes the spare, through a snapshot. */
    snapshots = mm_count_in_file(env.masters[victim].log, "installed a snapshot");
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&env, victim), 0);
    expect_change("add", victim);
    voters[n++] = id;
    voters[n] = 0;
    expect_voters(voters);
    expect_writes();
    expect_same_state();
    CU_ASSERT_TRUE(mm_count_in_file(env.masters[victim].log, "installed a snapshot") > snapshots);
}

/* --- shrinking -------------------------------------------------------------------------------- */

static void test_remove_follower(void)
{
    int leader = cenv_wait_leader(&env, WAIT_MS);
    size_t victim = leader == 3 ? 4 : 3;
    uint64_t left[5], n = 0;

    for (size_t i = 0; i < 5; i++) {
        if (i != victim) {
            left[n++] = env.master_ids[i];
        }
    }
    left[n] = 0;
    expect_change("remove", victim);
    expect_voters(left);
    CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, victim, SIGTERM), -1);
    expect_writes();
    expect_same_state();
}

static void test_remove_leader(void)
{
    int leader = cenv_wait_leader(&env, WAIT_MS);
    char msg[512] = "";
    struct members ms;
    int fresh, code;

    CU_ASSERT_TRUE_FATAL(leader >= 0);
    code = membership("remove", (size_t)leader, msg, sizeof(msg));
    if (code != 0) {
        fprintf(stderr, "remove the leader: code %d: %s\n", code, msg);
    }
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT_TRUE(leader_members(&ms));
    CU_ASSERT_PTR_NULL(role_of(&ms, env.master_ids[leader]));
    CU_ASSERT_EQUAL(ms.n, 3);
    CU_ASSERT_NOT_EQUAL(cenv_stop_master(&env, (size_t)leader, SIGTERM), -1);
    fresh = mm_wait_new_leader(&env, leader, WAIT_MS);
    CU_ASSERT_TRUE(fresh >= 0 && fresh != leader);
    expect_writes();

    mm_writer_stop(&writer);
    fprintf(stderr, "\n  writer: %llu successes, %llu failures (last: %s)\n",
            (unsigned long long)writer.successes, (unsigned long long)writer.failures,
            writer.last_error);
    CU_ASSERT_TRUE(mm_wait_same_state(&env, WAIT_MS));
    CU_ASSERT_TRUE(mm_writer_verify(&writer));
}

static const struct test_case cases[] = {
    {"grow_to_five", test_grow_to_five},
    {"wipe_and_rejoin", test_wipe_and_rejoin},
    {"remove_follower", test_remove_follower},
    {"remove_leader", test_remove_leader},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"membership", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
