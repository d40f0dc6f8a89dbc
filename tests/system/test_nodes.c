/* System test of node registration, heartbeats and liveness: one cfs-master (nodeSetCap 3), three
 * cfs-datanode and three cfs-metanode processes, later a fourth data node. Nodes register and
 * turn active; registration is idempotent; a fourth data node opens a second nodeset; a node that
 * reports another zone is moved there; a killed node turns inactive within the node timeout and
 * active again after a restart; every node route answers bad and unknown parameters with
 * CubeFS's codes and messages. Tests run in order and share the cluster. */
#include "tests/support/cluster_env.h"
#include "tests/support/test_support.h"

#include "common/clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS         20000
#define NODE_TIMEOUT_MS 3000 /* cluster_env's nodeTimeoutMs */
#define HEARTBEAT_MS    500  /* cluster_env's heartbeatIntervalMs */
#define ZERO_TIME       "0001-01-01T00:00:00Z"

static struct cenv env;

/* CUnit skips the cleanup of a suite whose init failed: stop what started, keep the logs. */
static int init_failed(void)
{
    fprintf(stderr, "test_nodes: cluster did not start; logs kept in %s\n", env.root);
    for (size_t i = 0; i < env.ndatanodes; i++) {
        cenv_stop_node(&env, true, i, SIGKILL);
    }
    for (size_t i = 0; i < env.nmetanodes; i++) {
        cenv_stop_node(&env, false, i, SIGKILL);
    }
    cenv_stop_master(&env, 0, SIGKILL);
    return -1;
}

static int suite_init(void)
{
    if (cenv_init(&env, "nodes", 1) != 0) {
        return -1;
    }
    snprintf(env.master_extra, sizeof(env.master_extra), "\"nodeSetCap\":\"3\"");
    if (cenv_start_masters(&env) != 0 || cenv_wait_leader(&env, WAIT_MS) < 0 ||
        cenv_add_datanodes(&env, 3) != 0 || cenv_add_metanodes(&env, 3) != 0) {
        return init_failed();
    }
    return 0;
}

static int suite_cleanup(void)
{
    cenv_close(&env);
    return 0;
}

#define call_ok(path) cenv_ok(&env, "%s", path)

/* GET path on the leader answers code with exactly msg. */
static void expect_error(const char *path, int code, const char *msg)
{
    char got[512] = "";
    json_t *data = NULL;
    int rv = cenv_call(&env, path, &data, got, sizeof(got));

    if (rv != code || strcmp(got, msg) != 0) {
        fprintf(stderr, "%s: got %d \"%s\", want %d \"%s\"\n", path, rv, got, code, msg);
    }
    CU_ASSERT_EQUAL(rv, code);
    CU_ASSERT_STRING_EQUAL(got, msg);
    CU_ASSERT_PTR_NULL(data);
    json_decref(data);
}

static json_t *find_addr(json_t *list, const char *addr)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "Addr")), addr) == 0) {
            return v;
        }
    }
    return NULL;
}

static json_t *node_get(bool data, const char *addr)
{
    char path[128];

    snprintf(path, sizeof(path), "/%s/get?addr=%s", data ? "dataNode" : "metaNode", addr);
    return call_ok(path);
}

/* The listed status of the node at addr: 1 active, 0 inactive, -1 not listed. */
static int listed_status(bool data, const char *addr)
{
    json_t *list = NULL;
    json_t *v;
    int status = -1;

    if (cenv_call(&env, data ? "/admin/cluster/getAllDataNodes" : "/admin/cluster/getAllMetaNodes",
                  &list, NULL, 0) != 0) {
        return -1;
    }
    v = find_addr(list, addr);
    if (v != NULL) {
        status = json_is_true(json_object_get(v, "Status"));
    }
    json_decref(list);
    return status;
}

struct want_status {
    bool data;
    const char *addr;
    int status;
};

static bool has_status(struct cenv *e, void *arg)
{
    const struct want_status *w = arg;

    (void)e;
    return listed_status(w->data, w->addr) == w->status;
}

static bool wait_status(bool data, const char *addr, int status, uint32_t timeout_ms)
{
    struct want_status w = {data, addr, status};

    return cenv_wait(&env, has_status, &w, timeout_ms);
}

static void test_nodes_register_and_turn_active(void)
{
    static const char *const keys[] = {
        "Addr", "Status", "DomainAddr", "ID", "IsWritable", "MediaType", "ForbidWriteOpOfProtoVer0",
        NULL};
    json_t *list, *v, *val, *info;
    const char *key;
    size_t k;

    CU_ASSERT_FATAL(cenv_wait_nodes_active(&env, WAIT_MS));
    for (int kind = 0; kind < 2; kind++) {
        bool data = kind == 0;
        const struct cenv_proc *procs = data ? env.datanodes : env.metanodes;
        list = call_ok(data ? "/admin/cluster/getAllDataNodes" : "/admin/cluster/getAllMetaNodes");
        CU_ASSERT_EQUAL(json_array_size(list), 3);
        for (size_t i = 0; i < 3; i++) {
            v = find_addr(list, procs[i].addr);
            CU_ASSERT_PTR_NOT_NULL_FATAL(v);
            CU_ASSERT_TRUE(json_is_true(json_object_get(v, "Status")));
            CU_ASSERT(cenv_u64(v, "ID") > 0);
            k = 0;
            json_object_foreach(v, key, val)
            {
                CU_ASSERT_PTR_NOT_NULL_FATAL(keys[k]);
                CU_ASSERT_STRING_EQUAL(key, keys[k]);
                k++;
            }
            CU_ASSERT_EQUAL(k, 7);
        }
        json_decref(list);
    }
    info = node_get(true, env.datanodes[0].addr);
    CU_ASSERT(cenv_u64(info, "TotalWeight") > 0);
    CU_ASSERT(cenv_u64(info, "AvailableSpace") > 0);
    CU_ASSERT_TRUE(json_is_true(json_object_get(info, "IsActive")));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(info, "Zone")), "default");
    CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(info, "ReportTime")), ZERO_TIME);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(info, "AllDisks")), 1);
    json_decref(info);
    /* Never decommissioned: no mark, status Initial (0), no progress. */
    for (int kind = 0; kind < 2; kind++) {
        info = node_get(kind == 0, kind == 0 ? env.datanodes[1].addr : env.metanodes[1].addr);
        CU_ASSERT_TRUE(json_is_false(json_object_get(info, "ToBeOffline")));
        CU_ASSERT_TRUE(json_is_integer(json_object_get(info, "DecommissionStatus")));
        CU_ASSERT_EQUAL(cenv_u64(info, "DecommissionStatus"), 0);
        CU_ASSERT_PTR_NULL(json_object_get(info, "DecommissionLimit"));
        CU_ASSERT_PTR_NULL(json_object_get(info, "DecommissionProgress"));
        json_decref(info);
    }
    info = node_get(false, env.metanodes[0].addr);
    CU_ASSERT_EQUAL(cenv_u64(info, "TotalWeight"), 8589934592ULL);
    CU_ASSERT_TRUE(json_is_true(json_object_get(info, "IsActive")));
    CU_ASSERT_TRUE(json_is_true(json_object_get(info, "IsWriteAble")));
    CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(info, "ReportTime")), ZERO_TIME);
    json_decref(info);
}

static void test_registration_is_idempotent(void)
{
    char path[256];
    json_t *info, *id;

    for (int kind = 0; kind < 2; kind++) {
        bool data = kind == 0;
        const char *addr = data ? env.datanodes[1].addr : env.metanodes[1].addr;
        info = node_get(data, addr);
        /* The way a v3.5 node registers, with every parameter. */
        snprintf(path, sizeof(path),
                 "/%s/add?addr=%s&clientIDKey=&heartbeatPort=17330&mediaType=1&"
                 "replicaPort=17340&zoneName=default",
                 data ? "dataNode" : "metaNode", addr);
        id = call_ok(path);
        CU_ASSERT_TRUE(json_is_integer(id));
        CU_ASSERT_EQUAL(json_integer_value(id), json_integer_value(json_object_get(info, "ID")));
        json_decref(id);
        /* Naming its own nodeset is fine too. */
        snprintf(path, sizeof(path), "/%s/add?addr=%s&id=%llu", data ? "dataNode" : "metaNode",
                 addr, (unsigned long long)cenv_u64(info, "NodeSetID"));
        id = call_ok(path);
        CU_ASSERT_EQUAL(json_integer_value(id), json_integer_value(json_object_get(info, "ID")));
        json_decref(id);
        json_decref(info);
    }
}

static void test_fourth_data_node_opens_a_nodeset(void)
{
    uint64_t first_set, ids[3];
    json_t *info;
    char path[256], msg[512];

    for (size_t i = 0; i < 3; i++) {
        info = node_get(true, env.datanodes[i].addr);
        ids[i] = cenv_u64(info, "NodeSetID");
        json_decref(info);
    }
    first_set = ids[0];
    CU_ASSERT(first_set > 0);
    CU_ASSERT_EQUAL(ids[1], first_set);
    CU_ASSERT_EQUAL(ids[2], first_set);
    CU_ASSERT_EQUAL_FATAL(cenv_add_datanodes(&env, 1), 0);
    CU_ASSERT_FATAL(wait_status(true, env.datanodes[3].addr, 1, WAIT_MS));
    info = node_get(true, env.datanodes[3].addr);
    CU_ASSERT(cenv_u64(info, "NodeSetID") > first_set);
    json_decref(info);
    /* Asking to join another nodeset than its own is a conflict. */
    snprintf(path, sizeof(path), "/dataNode/add?addr=%s&id=%llu", env.datanodes[0].addr,
             (unsigned long long)first_set + 1000);
    snprintf(msg, sizeof(msg), "adding data node %s: already registered in nodeset %llu, not %llu",
             env.datanodes[0].addr, (unsigned long long)first_set,
             (unsigned long long)first_set + 1000);
    expect_error(path, 1, msg);
}

static void test_unreachable_node_registers_inactive(void)
{
    json_t *id, *info, *again;

    /* Registered by hand like the sample's 127.0.0.1:17999: no process answers there. */
    expect_error("/dataNode/add?addr=127.0.0.1:1999&id=424242", 64,
                 "adding data node 127.0.0.1:1999: nodeset 424242 not found in zone default");
    id = call_ok("/dataNode/add?addr=127.0.0.1:1999&heartbeatPort=17330&mediaType=1&"
                 "replicaPort=17340&zoneName=default");
    CU_ASSERT_FATAL(json_is_integer(id));
    info = node_get(true, "127.0.0.1:1999");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(info, "ID")), json_integer_value(id));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(info, "RaftHeartbeatPort")), "17330");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(info, "RaftReplicaPort")), "17340");
    CU_ASSERT_EQUAL(cenv_u64(info, "MediaType"), 1);
    CU_ASSERT_TRUE(json_is_false(json_object_get(info, "IsActive")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(info, "IsWriteAble")));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(info, "ReportTime")), ZERO_TIME);
    CU_ASSERT_EQUAL(listed_status(true, "127.0.0.1:1999"), 0);
    again = call_ok("/dataNode/add?addr=127.0.0.1:1999");
    CU_ASSERT_EQUAL(json_integer_value(again), json_integer_value(id));
    json_decref(again);
    json_decref(info);
    json_decref(id);
}

/* Rewrite a node's config with zoneName set (the agents' configs are one JSON object). */
static int set_zone(const struct cenv_proc *p, const char *zone)
{
    char *text = test_read_file(p->config, NULL);
    FILE *f;
    int rv = -1;

    if (text == NULL || text[0] != '{') {
        free(text);
        return -1;
    }
    f = fopen(p->config, "w");
    if (f != NULL) {
        fprintf(f, "{\"zoneName\":\"%s\",%s", zone, text + 1);
        rv = fclose(f);
    }
    free(text);
    return rv;
}

struct want_zone {
    const char *addr;
    const char *zone;
};

static bool in_zone(struct cenv *e, void *arg)
{
    const struct want_zone *w = arg;
    json_t *info = NULL;
    bool ok = false;
    char path[128];

    snprintf(path, sizeof(path), "/dataNode/get?addr=%s", w->addr);
    if (cenv_call(e, path, &info, NULL, 0) == 0) {
        const char *zone = json_string_value(json_object_get(info, "Zone"));
        ok = zone != NULL && strcmp(zone, w->zone) == 0;
    }
    json_decref(info);
    return ok;
}

static void test_node_reporting_another_zone_is_moved(void)
{
    struct cenv_proc *p = &env.datanodes[3];
    struct want_zone w = {p->addr, "z2"};
    uint64_t old_set, id;
    json_t *info;

    info = node_get(true, p->addr);
    old_set = cenv_u64(info, "NodeSetID");
    id = cenv_u64(info, "ID");
    json_decref(info);
    CU_ASSERT_EQUAL_FATAL(cenv_stop_node(&env, true, 3, SIGTERM), 0);
    CU_ASSERT_EQUAL_FATAL(set_zone(p, "z2"), 0);
    CU_ASSERT_EQUAL_FATAL(cenv_start_node(&env, true, 3), 0);
    CU_ASSERT_FATAL(cenv_wait(&env, in_zone, &w, WAIT_MS));
    info = node_get(true, p->addr);
    CU_ASSERT_EQUAL(cenv_u64(info, "ID"), id);
    CU_ASSERT(cenv_u64(info, "NodeSetID") > old_set);
    json_decref(info);
    CU_ASSERT(wait_status(true, p->addr, 1, WAIT_MS));
}

static void test_killed_node_turns_inactive_then_active(void)
{
    const char *addr = env.datanodes[0].addr;
    uint64_t start, took;

    CU_ASSERT_EQUAL_FATAL(listed_status(true, addr), 1);
    start = clock_mono_ms();
    cenv_stop_node(&env, true, 0, SIGKILL);
    CU_ASSERT_FATAL(wait_status(true, addr, 0, WAIT_MS));
    took = clock_mono_ms() - start;
    /* The last heartbeat came at most one interval before the kill, and the liveness pass runs
     * every interval: inactive within the timeout plus about two intervals. */
    fprintf(stderr, "inactive %llu ms after SIGKILL\n", (unsigned long long)took);
    CU_ASSERT(took <= NODE_TIMEOUT_MS + 3 * HEARTBEAT_MS);
    CU_ASSERT(took >= NODE_TIMEOUT_MS - 2 * HEARTBEAT_MS);
    CU_ASSERT_EQUAL(listed_status(true, env.datanodes[1].addr), 1);
    CU_ASSERT_EQUAL_FATAL(cenv_start_node(&env, true, 0), 0);
    CU_ASSERT(wait_status(true, addr, 1, WAIT_MS));
}

static void test_query_disks(void)
{
    char path[128];
    json_t *data, *disks, *d, *info;

    snprintf(path, sizeof(path), "/disk/queryDisks?addr=%s", env.datanodes[1].addr);
    data = call_ok(path);
    disks = json_object_get(data, "Disks");
    CU_ASSERT_EQUAL_FATAL(json_array_size(disks), 1);
    d = json_array_get(disks, 0);
    info = node_get(true, env.datanodes[1].addr);
    CU_ASSERT_EQUAL(cenv_u64(d, "NodeId"), cenv_u64(info, "ID"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "Address")), env.datanodes[1].addr);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "Path")), env.datanodes[1].dir);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(d, "Status")), "ReadWrite");
    CU_ASSERT(cenv_u64(d, "Total") > 0);
    CU_ASSERT(cenv_u64(d, "Available") > 0);
    CU_ASSERT(cenv_u64(d, "Used") <= cenv_u64(d, "Total"));
    json_decref(info);
    json_decref(data);
}

static void test_param_errors(void)
{
    static const struct {
        const char *path;
        int code;
        const char *msg;
    } cases[] = {
        {"/dataNode/add", 2, "parameter addr not found"},
        {"/dataNode/add?addr=", 2, "parameter addr not found"},
        {"/dataNode/add?addr=127.0.0.1", 2, "parameter addr not match"},
        {"/dataNode/add?addr=127.0.0.1:80", 2, "parameter addr not match"},
        {"/dataNode/add?addr=127.0.0.1:17310&id=x", 2, "parameter id not match"},
        {"/dataNode/add?addr=127.0.0.1:17310&heartbeatPort=x", 2,
         "parameter heartbeatPort not match"},
        {"/dataNode/add?addr=127.0.0.1:17310&replicaPort=70000", 2,
         "parameter replicaPort not match"},
        {"/dataNode/add?addr=127.0.0.1:17310&mediaType=ssd", 2, "parameter mediaType not match"},
        {"/metaNode/add", 2, "parameter addr not found"},
        {"/metaNode/add?addr=localhost:17210", 2, "parameter addr not match"},
        {"/metaNode/add?addr=127.0.0.1:17210&id=-1", 2, "parameter id not match"},
        {"/dataNode/get", 2, "parameter addr not found"},
        {"/dataNode/get?addr=abc", 2, "parameter addr not match"},
        {"/dataNode/get?addr=127.0.0.1:17310", 12, "data node not exists"},
        {"/metaNode/get", 2, "parameter addr not found"},
        {"/metaNode/get?addr=1.2.3:17210", 2, "parameter addr not match"},
        {"/metaNode/get?addr=127.0.0.1:17210", 13, "meta node not exists"},
        {"/disk/queryDisks", 2, "parameter addr not found"},
        {"/disk/queryDisks?addr=x:1", 2, "parameter addr not match"},
        {"/disk/queryDisks?addr=127.0.0.1:17310", 12, "data node not exists"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_error(cases[i].path, cases[i].code, cases[i].msg);
    }
    /* A meta node is not a data node, and the other way round. */
    {
        char path[128];
        snprintf(path, sizeof(path), "/dataNode/get?addr=%s", env.metanodes[0].addr);
        expect_error(path, 12, "data node not exists");
        snprintf(path, sizeof(path), "/metaNode/get?addr=%s", env.datanodes[1].addr);
        expect_error(path, 13, "meta node not exists");
        snprintf(path, sizeof(path), "/disk/queryDisks?addr=%s", env.metanodes[0].addr);
        expect_error(path, 12, "data node not exists");
    }
}

static void test_task_responses(void)
{
    static const char *const paths[] = {"/dataNode/response", "/metaNode/response"};
    int leader = cenv_wait_leader(&env, WAIT_MS);
    char msg[512];
    json_t *data;
    int code;

    CU_ASSERT_FATAL(leader >= 0);
    for (size_t i = 0; i < 2; i++) {
        code = -1;
        CU_ASSERT_EQUAL(
            cenv_http(&env, (size_t)leader, paths[i], "garbage", &code, msg, sizeof(msg), &data),
            200);
        CU_ASSERT_EQUAL(code, 2);
        CU_ASSERT_NSTRING_EQUAL(msg, "task response: invalid JSON", 27);
        CU_ASSERT_PTR_NULL(data);
        /* A JSON body that is not an AdminTask (OpCode must be a number). */
        code = -1;
        CU_ASSERT_EQUAL(cenv_http(&env, (size_t)leader, paths[i], "{\"ID\":\"t\",\"OpCode\":\"x\"}",
                                  &code, msg, sizeof(msg), &data),
                        200);
        CU_ASSERT_EQUAL(code, 2);
        CU_ASSERT_NSTRING_EQUAL(msg, "task response: OpCode", 21);
        /* No body at all (a GET). */
        code = -1;
        CU_ASSERT_EQUAL(
            cenv_http(&env, (size_t)leader, paths[i], NULL, &code, msg, sizeof(msg), &data), 200);
        CU_ASSERT_EQUAL(code, 2);
        CU_ASSERT_NSTRING_EQUAL(msg, "task response: invalid JSON", 27);
        /* A well-formed response for a task nobody queued is accepted and dropped. */
        code = -1;
        CU_ASSERT_EQUAL(cenv_http(&env, (size_t)leader, paths[i],
                                  "{\"ID\":\"addr[127.0.0.1:1]_op[99]\",\"OpCode\":99,"
                                  "\"OperatorAddr\":\"127.0.0.1:1\",\"Status\":1,"
                                  "\"Request\":null,\"Response\":null}",
                                  &code, msg, sizeof(msg), &data),
                        200);
        CU_ASSERT_EQUAL(code, 0);
        CU_ASSERT_STRING_EQUAL(msg, "success");
        CU_ASSERT_STRING_EQUAL(json_string_value(data), "200");
        json_decref(data);
    }
}

static const struct test_case cases[] = {
    {"nodes_register_and_turn_active", test_nodes_register_and_turn_active},
    {"registration_is_idempotent", test_registration_is_idempotent},
    {"fourth_data_node_opens_a_nodeset", test_fourth_data_node_opens_a_nodeset},
    {"unreachable_node_registers_inactive", test_unreachable_node_registers_inactive},
    {"node_reporting_another_zone_is_moved", test_node_reporting_another_zone_is_moved},
    {"killed_node_turns_inactive_then_active", test_killed_node_turns_inactive_then_active},
    {"query_disks", test_query_disks},
    {"param_errors", test_param_errors},
    {"task_responses", test_task_responses},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"nodes", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return test_run(argc, argv, suites);
}
