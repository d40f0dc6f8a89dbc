/* What a cluster admin checks after failures: a dead data node makes its partitions ReadOnly
 * within the configured window and a returning one makes them ReadWrite again (nothing sticky),
 * and everything the master knows survives its restart, whether it stopped cleanly or was
 * killed. One master, 3 data nodes, 3 meta nodes. */
#include "common/clock.h"
#include "tests/support/cluster_env.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cenv env;

static int setup(void)
{
    if (cenv_init(&env, "cfs-persist", 1) != 0 || cenv_start_masters(&env) != 0 ||
        cenv_add_datanodes(&env, 3) != 0 || cenv_add_metanodes(&env, 3) != 0) {
        return -1;
    }
    return cenv_wait_nodes_active(&env, 30000) ? 0 : -1;
}

static int teardown(void)
{
    cenv_close(&env);
    return 0;
}

#define call(path) cenv_ok(&env, "%s", path)

/* Status of every data partition of vol whose hosts include addr (or all when addr is NULL):
 * true when all of them have status want. */
static bool partitions_have(const char *vol, const char *addr, int want, size_t *matched)
{
    char path[256];
    json_t *data, *list, *dp;
    bool ok = true;
    size_t i, n = 0;

    snprintf(path, sizeof(path), "/client/partitions?name=%s", vol);
    if (cenv_call(&env, path, &data, NULL, 0) != 0) {
        return false;
    }
    list = json_object_get(data, "DataPartitions");
    json_array_foreach(list, i, dp)
    {
        json_t *hosts = json_object_get(dp, "Hosts");
        bool on = addr == NULL;
        size_t k;
        json_t *h;
        json_array_foreach(hosts, k, h)
        {
            on = on || strcmp(json_string_value(h), addr) == 0;
        }
        if (on) {
            n++;
            ok = ok && json_integer_value(json_object_get(dp, "Status")) == want;
        }
    }
    json_decref(data);
    if (matched != NULL) {
        *matched = n;
    }
    return ok && n > 0;
}

struct want {
    const char *vol;
    const char *addr;
    int status;
};

static bool want_cb(struct cenv *e, void *arg)
{
    struct want *w = arg;

    (void)e;
    return partitions_have(w->vol, w->addr, w->status, NULL);
}

static void test_dead_data_node_turns_partitions_read_only(void)
{
    struct want all_rw = {"persist1", NULL, 2};
    struct want dead_ro = {"persist1", env.datanodes[0].addr, 1};
    json_t *data;
    uint64_t start, took;
    size_t n = 0;

    data = call("/admin/createVol?name=persist1&owner=cfs&capacity=10&replicaNum=3");
    json_decref(data);
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, want_cb, &all_rw, 15000));
    CU_ASSERT_TRUE(partitions_have("persist1", env.datanodes[0].addr, 2, &n));
    CU_ASSERT_TRUE(n > 0);

    start = clock_mono_ms();
    cenv_stop_node(&env, true, 0, SIGKILL);
    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, want_cb, &dead_ro, 20000));
    took = clock_mono_ms() - start;
    /* The window: node timeout (3 s here) plus a heartbeat and a partition check. */
    printf("\n    partitions ReadOnly %llu ms after the node died\n", (unsigned long long)took);
    CU_ASSERT_TRUE(took <= 3000 + 500 + 500 + 2000);

    CU_ASSERT_EQUAL_FATAL(cenv_start_node(&env, true, 0), 0);
    CU_ASSERT_TRUE(cenv_wait(&env, want_cb, &all_rw, 20000));
}

/* Everything an admin can read about the cluster's durable state, as one JSON document. Fields
 * that legitimately change with time or liveness are left out. */
static json_t *durable_view(void)
{
    static const char *const paths[] = {
        "/admin/getVol?name=persist1",
        "/client/metaPartitions?name=persist1",
        "/admin/cluster/getAllDataNodes",
        "/admin/cluster/getAllMetaNodes",
        "/user/info?user=cfs",
        "/vol/list",
        "/admin/getNodeInfo",
        "/nodeSet/list",
    };
    static const char *const volatile_keys[] = {
        "ReportTime", "Status",    "IsWritable", "RwDpCnt",     "LeaderAddr", "IsLeader",
        "UsedSize",   "UsedRatio", "InodeCount", "DentryCount", "MaxInodeID"};
    json_t *view = json_object();

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        json_t *data = call(paths[i]);
        json_object_set_new(view, paths[i], data != NULL ? data : json_null());
    }
    /* Strip volatile keys wherever they appear (two levels deep covers these views). */
    for (size_t k = 0; k < sizeof(volatile_keys) / sizeof(volatile_keys[0]); k++) {
        const char *key;
        json_t *v;
        json_object_foreach(view, key, v)
        {
            size_t i;
            json_t *e;
            json_object_del(v, volatile_keys[k]);
            if (json_is_array(v)) {
                json_array_foreach(v, i, e)
                {
                    json_object_del(e, volatile_keys[k]);
                }
            }
        }
    }
    return view;
}

static void restart_master_and_compare(int sig)
{
    struct want all_rw = {"persist1", NULL, 2};
    json_t *before, *after;
    char *b, *a;

    CU_ASSERT_TRUE_FATAL(cenv_wait(&env, want_cb, &all_rw, 20000));
    before = durable_view();
    cenv_stop_master(&env, 0, sig);
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&env, 0), 0);
    CU_ASSERT_TRUE_FATAL(cenv_wait_leader(&env, 15000) == 0);
    /* The new leader relearns liveness from heartbeats; then everything must be as before. */
    CU_ASSERT_TRUE_FATAL(cenv_wait_nodes_active(&env, 20000));
    CU_ASSERT_TRUE(cenv_wait(&env, want_cb, &all_rw, 20000));
    after = durable_view();
    b = json_dumps(before, JSON_SORT_KEYS | JSON_COMPACT);
    a = json_dumps(after, JSON_SORT_KEYS | JSON_COMPACT);
    CU_ASSERT_STRING_EQUAL(a, b);
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "before: %s\nafter:  %s\n", b, a);
    }
    free(a);
    free(b);
    json_decref(before);
    json_decref(after);
}

static void test_state_survives_clean_restart(void)
{
    json_decref(call("/dataPartition/create?name=persist1&count=2"));
    json_decref(call("/admin/setNodeInfo?batchCount=77"));
    restart_master_and_compare(SIGTERM);
}

static void test_state_survives_kill9(void)
{
    json_decref(
        call("/vol/expand?name=persist1&authKey=7b2f1bf38b87d32470c4557c7ff02e75&capacity=20"));
    restart_master_and_compare(SIGKILL);
}

static bool exited(void *arg)
{
    return !proc_alive(*(pid_t *)arg);
}

/* A master pointed at another cluster's data refuses to start and says why; the data is left
 * as it was. */
static void test_other_cluster_refused(void)
{
    char config[600], log[600];
    char *text, *other;
    size_t len;
    FILE *out;
    pid_t pid;

    cenv_stop_master(&env, 0, SIGTERM);
    text = test_read_file(env.masters[0].config, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    other = strstr(text, "\"clusterName\":\"cenv\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    memcpy(other, "\"clusterName\":\"oth2\"", strlen("\"clusterName\":\"oth2\""));
    snprintf(config, sizeof(config), "%s.other", env.masters[0].config);
    snprintf(log, sizeof(log), "%s.other", env.masters[0].log);
    out = fopen(config, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(fwrite(text, 1, len, out), len);
    fclose(out);
    free(text);
    pid = proc_spawn((char *const[]){(char *)proc_binary("master/cfs-master"), "-c", config, NULL},
                     log);
    CU_ASSERT_TRUE_FATAL(pid > 0);
    CU_ASSERT_TRUE(proc_wait_until(exited, &pid, 10000));
    text = test_read_file(log, &len);
    CU_ASSERT_PTR_NOT_NULL(text != NULL ? strstr(text, "holds cluster \"cenv\" but clusterName is "
                                                       "\"oth2\"; refusing")
                                        : NULL);
    free(text);
    /* Started with its own config again, it serves what it had. */
    CU_ASSERT_EQUAL_FATAL(cenv_start_master(&env, 0), 0);
    CU_ASSERT_TRUE(cenv_wait_leader(&env, 15000) == 0);
    json_decref(call("/admin/getVol?name=persist1"));
}

static const struct test_case cases[] = {
    {"dead_data_node_turns_partitions_read_only", test_dead_data_node_turns_partitions_read_only},
    {"state_survives_clean_restart", test_state_survives_clean_restart},
    {"state_survives_kill9", test_state_survives_kill9},
    {"other_cluster_refused", test_other_cluster_refused},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"persistence", setup, teardown, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
